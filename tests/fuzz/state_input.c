/* SPDX-License-Identifier: ISC */
#include "state_input.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CRC-32 (IEEE 802.3, reflected), as the state file's end line has it. */
static uint32_t crc32_of(const char *p, size_t len)
{
	uint32_t crc = 0xffffffffU;

	while (len--) {
		crc ^= (unsigned char)*p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	}
	return ~crc;
}

static bool starts(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len > n && memcmp(line, word, n) == 0 && line[n] == ' ';
}

char *state_input_sealed(const uint8_t *data, size_t size, size_t *len)
{
	size_t body = size, rows = 0, vms = 0, notices = 0, ports = 0, line_no = 0;
	char format = '4', end[128], *out;
	int endlen;

	/* The body: all but a last line that is an end line. */
	if (body > 0 && data[body - 1] == '\n') {
		size_t last = body - 1;

		while (last > 0 && data[last - 1] != '\n')
			last--;
		if (starts((const char *)data + last, body - last, "end"))
			body = last;
	}
	/* The records the loader counts: those after the four header
	 * lines, the format from the first. */
	for (size_t at = 0; at < body;) {
		const char *line = (const char *)data + at;
		const char *nl = memchr(line, '\n', body - at);
		size_t n = nl ? (size_t)(nl - line) : body - at;

		if (++line_no == 1 && n > 0)
			format = line[n - 1];
		else if (line_no > 4) {
			rows += starts(line, n, "row");
			vms += starts(line, n, "vm");
			notices += starts(line, n, "notice");
			ports += starts(line, n, "port");
		}
		at += n + 1;
	}
	if (!(out = malloc(body + 1 + sizeof end)))
		return NULL;
	memcpy(out, data, body);
	if (body > 0 && out[body - 1] != '\n')
		out[body++] = '\n';
	uint32_t crc = crc32_of(out, body);
	if (format == '1')
		endlen = snprintf(end, sizeof end, "end %zu %08x\n", rows, crc);
	else if (format == '3')
		endlen = snprintf(end, sizeof end, "end %zu %zu %zu %08x\n", rows, vms,
				  notices, crc);
	else
		endlen = snprintf(end, sizeof end, "end %zu %zu %zu %zu %08x\n", rows,
				  vms, notices, ports, crc);
	memcpy(out + body, end, (size_t)endlen);
	*len = body + (size_t)endlen;
	return out;
}

static void ids(FILE *f, const char *what, const struct xv_id_set *s)
{
	fprintf(f, " %s", what);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, ",%d", s->v[i]);
}

static void counters(FILE *f, const struct xv_counters *c)
{
	for (int i = 0; i < XV_NCOUNTERS; i++)
		fprintf(f, " %llu", (unsigned long long)c->v[i]);
}

static void describe_rows(FILE *f, const struct xv_vif_table *t)
{
	for (size_t i = 0; i < t->rows.n; i++) {
		const struct xv_vif_row *r = xv_vif_table_row(t, i);

		fprintf(f, "row index=%u key=[%s] disc=%u total", r->entry.index,
			r->entry.key, r->discontinuity);
		counters(f, &r->total);
		fprintf(f, "\n");
		for (size_t j = 0; j < r->nsources; j++) {
			const struct xv_source *s = &r->sources[j];

			fprintf(f, " source ifindex=%d emu=%d name=[%s] last", s->ifindex,
				s->emu, s->name);
			counters(f, &s->last);
			fprintf(f, "\n");
		}
	}
}

static void describe_vms(FILE *f, const struct xv_vm_table *vms)
{
	for (size_t i = 0; i < vms->vms.n; i++) {
		const struct xv_vm *vm = xv_vm_of(vms->vms.by_index[i]);

		fprintf(f, "vm index=%u key=[%s] uuid=[%s] period=%lld..%lld in=%llu "
			"out=%llu announced=%d alarms=%d,%d name=[%s] cpu=%llu,%u,%llu",
			vm->entry.index, vm->entry.key, vm->uuid,
			(long long)vm->period_start, (long long)vm->period_end,
			(unsigned long long)vm->period_in,
			(unsigned long long)vm->period_out, (int)vm->announced,
			vm->rate[0].alarm, vm->rate[1].alarm, vm->name ? vm->name : "(null)",
			(unsigned long long)vm->cpu_total_ns, vm->cpu_domid,
			(unsigned long long)vm->cpu_last_ns);
		ids(f, "quota", &vm->quota_devices);
		ids(f, "rate", &vm->rate_devices);
		fprintf(f, "\n");
	}
	for (size_t i = 0; i < vms->nnotices; i++)
		fprintf(f, "notice %d %u\n", (int)vms->notices[i].kind,
			vms->notices[i].vm_index);
}

static void describe_switch(FILE *f, const struct xv_switch *sw)
{
	fprintf(f, "switch origin=%lld uptime=%u change=%u vif-change=%u\n",
		(long long)sw->origin_ms, sw->saved_uptime, sw->last_change,
		sw->vif_last_change);
	for (size_t i = 0; i < sw->ports.n; i++) {
		const struct xv_port *p = xv_switch_port(sw, i);

		fprintf(f, "port index=%u key=[%s] row=%u in=%d up=%d number=%u "
			"change=%u disc=%u left=%lld devid=%u mac=%d:%02x%02x%02x%02x"
			"%02x%02x rate=%llu mtu=%u uuid=[%s] vm=[%s] name=[%s]\n",
			p->entry.index, p->entry.key, p->row ? p->row->entry.index : 0,
			p->entry.active, p->up, p->number, p->last_change,
			p->discontinuity, (long long)p->left, p->devid, p->has_mac,
			p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5],
			(unsigned long long)p->rate_bps, p->mtu, p->uuid, p->vm_name,
			p->name);
	}
}

char *state_describe(const struct xv_vif_table *t, const struct xv_vm_table *vms,
		     const struct xv_switch *sw, const struct xv_state_info *info)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "boot=[%s] saved=%lld origin=%lld\n", info->boot_id,
		(long long)info->saved, (long long)info->uptime_origin);
	describe_rows(f, t);
	describe_vms(f, vms);
	if (sw)
		describe_switch(f, sw);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
