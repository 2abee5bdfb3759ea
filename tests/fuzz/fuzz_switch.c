/* SPDX-License-Identifier: ISC */
/*
 * The switch view's inputs: ports, names and numbers from the state
 * file, the VMs' names and MACs as rows carry them from xenstore, and
 * dom0's host name, made into ifName, ifAlias, ifDescr, port numbers,
 * the forwarding table and sysName (xv_switch_update).
 *
 * Input: a first line, the host name; a second, "NOW RETENTION NOTIFY
 * RUNNING" (numbers; RUNNING a bit mask of the rows whose VM runs);
 * then a state file (sealed, state_input.h).  A running row's VM name
 * is its key, its UUID and device id read from the key, its MAC and
 * state from its index.
 *
 * Properties: the switch's ports have distinct ifNames of safe
 * characters and distinct numbers of BRIDGE-MIB's range; the views are
 * sorted; each MAC is learned once, from a running port; the texts
 * fit; an update with nothing new changes nothing; after a restart
 * (saved, loaded, updated) every port has its name and number again.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fuzz.h"
#include "state_input.h"
#include "xenvif/state_file.h"

struct world {
	struct xv_vif_table t;
	struct xv_vm_table vms;
	struct xv_switch sw;
	struct xv_state_info info;
};

struct params {
	char host[256];
	int64_t now;
	uint32_t running;
	struct xv_switch_config cfg;
};

static void world_free(struct world *w)
{
	xv_switch_free(&w->sw);
	xv_vm_table_free(&w->vms);
	xv_vif_table_free(&w->t);
}

static int load(struct world *w, const void *buf, size_t len, char *err,
		size_t errlen)
{
	FILE *f = fmemopen((void *)buf, len, "r");
	int rc;

	xv_vif_table_init(&w->t);
	xv_vm_table_init(&w->vms);
	xv_switch_init(&w->sw);
	if (!f)
		return -1;
	rc = xv_state_load_stream(f, "fuzz", &w->t, &w->vms, &w->sw, "b", &w->info,
				  err, errlen);
	fclose(f);
	return rc;
}

/* What the vif table knows of a running VM's row, made up from the
 * row: its key as the VM's name (as hostile as xenstore may hold). */
static void run_rows(struct world *w, uint32_t running)
{
	for (size_t i = 0; i < w->t.rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(&w->t, i);
		uint32_t x = row->entry.index;
		const char *slash = strrchr(row->entry.key, '/');

		row->entry.active = running >> (i % 32) & 1;
		if (!row->entry.active)
			continue;
		free(row->domain_name);
		row->domain_name = xv_text_clean_dup(row->entry.key, strlen(row->entry.key),
						     XV_TEXT_UTF8);
		if (!xv_parse_uuid(row->entry.key, slash ? (size_t)(slash - row->entry.key) : 0,
				   row->uuid))
			row->uuid[0] = '\0';
		if (!slash || !xv_parse_u32(slash + 1, 0, 0xffff, &row->devid))
			row->devid = 0;
		memcpy(row->mac, (uint8_t[6]){0x00, 0x16, 0x3e, 0, 0, x & 3}, 6);
		row->has_mac = x & 4;
		row->oper_up = x & 8;
		row->rate_bps = x & 16 ? (uint64_t)x * 1000 : 0;
		row->mtu = 1500;
	}
	xv_registry_rebuild_view(&w->t.rows);
}

static int update(struct world *w, const struct params *p)
{
	struct xv_switch_input in = {&w->t, &p->cfg, p->now, 1000, p->host, "Linux"};

	return xv_switch_update(&w->sw, &in);
}

static bool safe_name(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-#", *s))
			return false;
	return true;
}

static void check(const struct xv_switch *sw)
{
	for (size_t i = 0; i < sw->ports.nactive; i++) {
		const struct xv_port *p = xv_switch_served(sw, i);

		FUZZ_ASSERT(strlen(p->name) <= XV_PORT_NAME_MAX && p->name[0] &&
			    safe_name(p->name), "ifName '%s'", p->name);
		FUZZ_ASSERT(p->number >= 1 && p->number <= XV_PORT_NUMBER_MAX,
			    "port %u numbered %u", p->entry.index, p->number);
		FUZZ_ASSERT(strlen(p->alias) <= 64 && strlen(p->descr) < sizeof p->descr,
			    "ifAlias or ifDescr too long");
		FUZZ_ASSERT(i == 0 || xv_switch_served(sw, i - 1)->entry.index < p->entry.index,
			    "ports unsorted");
		for (size_t j = 0; j < i; j++) {
			const struct xv_port *q = xv_switch_served(sw, j);

			FUZZ_ASSERT(strcmp(p->name, q->name) != 0, "ifName '%s' twice", p->name);
			FUZZ_ASSERT(p->number != q->number, "number %u twice", p->number);
		}
	}
	FUZZ_ASSERT(sw->nnumbered == sw->ports.nactive, "%zu numbered of %zu",
		    sw->nnumbered, sw->ports.nactive);
	for (size_t i = 1; i < sw->nnumbered; i++)
		FUZZ_ASSERT(sw->numbered[i - 1]->number < sw->numbered[i]->number,
			    "numbers unsorted");
	for (size_t i = 0; i < sw->nfdb; i++) {
		const struct xv_port *p = sw->fdb[i];

		FUZZ_ASSERT(p->entry.active && p->running && p->has_mac && p->number,
			    "port %u in the forwarding table", p->entry.index);
		FUZZ_ASSERT(i == 0 || memcmp(sw->fdb[i - 1]->mac, p->mac, 6) < 0,
			    "forwarding table unsorted or a MAC twice");
	}
	for (const char *c = sw->host; *c; c++)
		FUZZ_ASSERT(*c >= ' ' && *c < 0x7f, "host name not clean");
}

/* Each port's number and name, to compare. */
static char *names(const struct xv_switch *sw)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < sw->ports.nactive; i++) {
		const struct xv_port *p = xv_switch_served(sw, i);

		fprintf(f, "%u #%u %s\n", p->entry.index, p->number, p->name);
	}
	fclose(f);
	return text;
}

/* Saved, loaded and brought up again, as a restart does. */
static void restart(const struct world *w, const struct params *p, const char *before)
{
	struct world again;
	char *mem = NULL, *after, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);

	if (!f)
		return;
	int rc = xv_state_write(f, "fuzz", &w->t, &w->vms, &w->sw, &w->info, err,
				sizeof err);
	fclose(f);
	FUZZ_ASSERT(rc == 0, "cannot save: %s", err);
	rc = load(&again, mem, len, err, sizeof err);
	FUZZ_ASSERT(rc == 0 || rc == -ENOMEM, "what was saved does not load: %s\n%.*s",
		    err, (int)len, mem);
	if (rc == 0) {
		run_rows(&again, p->running);
		if (update(&again, p) >= 0 && (after = names(&again.sw))) {
			FUZZ_ASSERT(strcmp(before, after) == 0,
				    "a restart renamed or renumbered:\n%s---\n%s", before, after);
			free(after);
		}
	}
	world_free(&again);
	free(mem);
}

static const char *read_params(const char *text, size_t size, struct params *p)
{
	const char *nl = memchr(text, '\n', size), *second;
	long long now = 0;
	unsigned int retention = 0, notify = 0, running = 0;

	memset(p, 0, sizeof *p);
	if (!nl)
		return NULL;
	snprintf(p->host, sizeof p->host, "%.*s", (int)(nl - text), text);
	second = nl + 1;
	if (!(nl = memchr(second, '\n', size - (size_t)(second - text))))
		return NULL;
	sscanf(second, "%lld %u %u %x", &now, &retention, &notify, &running);
	/* 0 is no time: a port that left then would look served. */
	p->now = 1 + (now < 0 ? -(now + 1) : now) % ((int64_t)1 << 40);
	p->running = running;
	snprintf(p->cfg.context, sizeof p->cfg.context, "xen");
	p->cfg.port_speed = 10000000000ULL;
	p->cfg.port_retention = retention;
	p->cfg.link_notifications = notify & 1;
	return nl + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct params p;
	struct world w;
	char *copy = malloc(size + 1), *sealed = NULL, *before = NULL, *again = NULL;
	const char *file;
	char err[512];
	size_t len;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	file = read_params(copy, size, &p);
	if (!file || !(sealed = state_input_sealed((const uint8_t *)file,
						   size - (size_t)(file - copy), &len)) ||
	    load(&w, sealed, len, err, sizeof err) != 0) {
		if (sealed)
			world_free(&w);
		goto out;
	}
	run_rows(&w, p.running);
	xv_switch_start_clock(&w.sw, 0, 1000, p.now * 1000);
	if (update(&w, &p) >= 0) {
		check(&w.sw);
		before = names(&w.sw);
		/* Nothing new: nothing changes. */
		FUZZ_ASSERT(update(&w, &p) == XV_SAVE_LATER, "a second update saves");
		check(&w.sw);
		again = names(&w.sw);
		if (before && again) {
			FUZZ_ASSERT(strcmp(before, again) == 0,
				    "an update with nothing new renamed:\n%s---\n%s", before,
				    again);
			restart(&w, &p, before);
		}
	}
	world_free(&w);
out:
	free(before);
	free(again);
	free(sealed);
	free(copy);
	return 0;
}
