/* SPDX-License-Identifier: ISC */
#include "xenvif/state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xenvif/text.h"

#define XV_STATE_MAGIC "xen-vif-agent-state"
/* Format 1 had no VM records, 3 no switch, 4 only the devices' own
 * eight counters (no classifier split). */
#define XV_STATE_FORMAT 5
#define XV_STATE_LINE_MAX 2048

static uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	}
	return ~crc;
}

/* Keys may hold any printable text; spaces and '%' are escaped so a
 * record stays one line of space-separated words.  False if it does not
 * fit: a word is written whole or the save fails, never cut. */
static bool escape_word(char *out, size_t outsz, const char *in)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (o + 4 >= outsz) {
			out[o] = '\0';
			return false;
		}
		if (*p <= ' ' || *p == '%' || *p >= 0x7f)
			o += (size_t)snprintf(out + o, outsz - o, "%%%02X", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return true;
}

static bool unescape_word(char *word)
{
	char *o = word;

	for (char *p = word; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		int hi = xv_hex_digit(p[1]), lo = hi < 0 ? -1 : xv_hex_digit(p[2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return false;
		*o++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*o = '\0';
	return true;
}

/* ---- writing ------------------------------------------------------- */

struct writer {
	FILE *f;
	uint32_t crc;
	bool failed;
};

static void emit(struct writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void emit(struct writer *w, const char *fmt, ...)
{
	char line[XV_STATE_LINE_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof line) {
		w->failed = true;
		return;
	}
	w->crc = crc32_update(w->crc, line, (size_t)len);
	/* No file: only whether it could be written (the loader asks). */
	if (w->f && fputs(line, w->f) == EOF)
		w->failed = true;
}

static void emit_counters(struct writer *w, const struct xv_counters *c)
{
	for (int i = 0; i < XV_NCOUNTERS; i++)
		emit(w, " %" PRIu64, c->v[i]);
	emit(w, "\n");
}

/* A text field as one word: ':' first, so that empty is a word too. */
static void escape_field(struct writer *w, char *out, size_t outsz, const char *in)
{
	out[0] = ':';
	if (!escape_word(out + 1, outsz - 1, in ? in : ""))
		w->failed = true;
}

static void escape_key(struct writer *w, char *out, size_t outsz, const char *in)
{
	if (!escape_word(out, outsz, in))
		w->failed = true;
}

/* A device set as a field: ':' and the ifindexes, with escaped blanks
 * between them.  A set that does not fit fails the save, loudly. */
static void ids_field(struct writer *w, char *out, size_t outsz,
		      const struct xv_id_set *ids)
{
	size_t len = 1;

	out[0] = ':';
	out[1] = '\0';
	for (size_t i = 0; i < ids->n; i++) {
		int n = snprintf(out + len, outsz - len, "%s%d", i ? "%20" : "",
				 ids->v[i]);

		if (n < 0 || (size_t)n >= outsz - len) {
			w->failed = true;
			return;
		}
		len += (size_t)n;
	}
}

static void write_vms(struct writer *w, const struct xv_vm_table *vms)
{
	for (size_t i = 0; i < vms->vms.n; i++) {
		const struct xv_vm *vm = xv_vm_of(vms->vms.by_index[i]);
		char key[1024], qdev[800], rdev[800], name[800];

		escape_key(w, key, sizeof key, vm->entry.key);
		ids_field(w, qdev, sizeof qdev, &vm->quota_devices);
		ids_field(w, rdev, sizeof rdev, &vm->rate_devices);
		escape_field(w, name, sizeof name, vm->name);
		emit(w, "vm %u %s %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64
		     " %d %d %d %s %s %s %" PRIu64 " %u %" PRIu64 " %d %" PRIu64
		     " %d\n",
		     vm->entry.index, key, vm->period_start, vm->period_end,
		     vm->period_in, vm->period_out, (int)vm->announced,
		     vm->rate[XV_RATE_IN].alarm ? 1 : 0,
		     vm->rate[XV_RATE_OUT].alarm ? 1 : 0, qdev, rdev, name,
		     vm->cpu_total_ns, vm->cpu_domid, vm->cpu_last_ns,
		     (int)vm->out_mode, vm->period_out_foreign,
		     vm->rate[XV_RATE_FLOOD].alarm ? 1 : 0);
	}
	for (size_t i = 0; i < vms->nnotices; i++)
		emit(w, "notice %d %u\n", (int)vms->notices[i].kind,
		     vms->notices[i].vm_index);
}

static void write_switch(struct writer *w, const struct xv_switch *sw)
{
	emit(w, "switch %" PRId64 " %u %u %u\n", sw->origin_ms, sw->saved_uptime,
	     sw->last_change, sw->vif_last_change);
	for (size_t i = 0; i < sw->ports.n; i++) {
		const struct xv_port *p = xv_switch_port(sw, i);
		char mac[18] = "-", uuid[128], name[800], ifname[4 * XV_PORT_NAME_MAX];

		if (p->has_mac)
			snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
				 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
		escape_field(w, uuid, sizeof uuid, p->uuid);
		escape_field(w, name, sizeof name, p->vm_name);
		escape_field(w, ifname, sizeof ifname, p->name);
		emit(w, "port %u %d %d %u %u %u %" PRId64 " %u %s %" PRIu64 " %u %s %s %s\n",
		     p->entry.index, p->entry.active ? 1 : 0, p->up ? 1 : 0, p->number,
		     p->last_change, p->discontinuity, p->left, p->devid, mac,
		     p->rate_bps, p->mtu, uuid, name, ifname);
	}
}

static void write_records(struct writer *w, const struct xv_vif_table *t,
			  const struct xv_vm_table *vms, const struct xv_switch *sw,
			  const struct xv_state_info *info)
{
	emit(w, "%s %d\n", XV_STATE_MAGIC, XV_STATE_FORMAT);
	emit(w, "boot-id %s\n", info->boot_id[0] ? info->boot_id : "-");
	emit(w, "saved %" PRId64 "\n", info->saved);
	emit(w, "uptime-origin %" PRId64 "\n", info->uptime_origin);
	for (size_t i = 0; i < t->rows.n; i++) {
		const struct xv_vif_row *row = xv_vif_table_row(t, i);
		char key[1024]; /* a key is at most 266 octets, 3 each escaped */

		escape_key(w, key, sizeof key, row->entry.key);
		emit(w, "row %u %s %u", row->entry.index, key, row->discontinuity);
		emit_counters(w, &row->total);
		for (size_t j = 0; j < row->nsources; j++) {
			const struct xv_source *s = &row->sources[j];
			char name[4 * IF_NAMESIZE];

			escape_key(w, name, sizeof name, s->name);
			emit(w, "source %d %d %s", s->ifindex, s->emu ? 1 : 0, name);
			emit_counters(w, &s->last);
		}
	}
	write_vms(w, vms);
	if (sw)
		write_switch(w, sw);
}

static int sync_directory(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* The records and the end line; false if a record did not fit or f
 * refused a write. */
static bool write_file(FILE *f, const struct xv_vif_table *t,
		       const struct xv_vm_table *vms, const struct xv_switch *sw,
		       const struct xv_state_info *info)
{
	struct writer w = {.f = f};

	write_records(&w, t, vms, sw, info);
	if (!w.failed &&
	    fprintf(f, "end %zu %zu %zu %zu %08x\n", t->rows.n, vms->vms.n,
		    vms->nnotices, sw ? sw->ports.n : 0, w.crc) < 0)
		w.failed = true;
	return !w.failed;
}

int xv_state_write(FILE *f, const char *name, const struct xv_vif_table *t,
		   const struct xv_vm_table *vms, const struct xv_switch *sw,
		   const struct xv_state_info *info, char *err, size_t errlen)
{
	/* A record too long sets no errno: EIO then, not a stale one. */
	errno = 0;
	if (!write_file(f, t, vms, sw, info) || fflush(f) == EOF) {
		int e = errno ? errno : EIO;

		snprintf(err, errlen, "%s: write failed: %s", name, strerror(e));
		return -e;
	}
	return 0;
}

int xv_state_save(const char *path, const struct xv_vif_table *t,
		  const struct xv_vm_table *vms, const struct xv_switch *sw,
		  const struct xv_state_info *info, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *f = NULL;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		e = errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if ((e = xv_state_write(f, tmp, t, vms, sw, info, err, errlen)) < 0 ||
	    fsync(fd) < 0) {
		if (e == 0) {
			e = -errno;
			snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(-e));
		}
		fclose(f);
		unlink(tmp);
		return e;
	}
	if (fclose(f) == EOF || rename(tmp, path) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		unlink(tmp);
		return -e;
	}
	/* The rename itself must reach the disk before we count on it. */
	if ((e = sync_directory(path)) < 0) {
		snprintf(err, errlen, "%s: directory sync: %s", path, strerror(-e));
		return e;
	}
	return 0;
}

/* ---- reading ------------------------------------------------------- */

struct reader {
	const char *path;
	unsigned int line;
	int format;
	char *err;
	size_t errlen;
};

static int bad(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s:%u: %s", r->path, r->line, what);
	return -EINVAL;
}

/* Not damage: the file is fine, the agent is short of memory. */
static int no_memory(struct reader *r)
{
	snprintf(r->err, r->errlen, "%s:%u: out of memory", r->path, r->line);
	return -ENOMEM;
}

static bool parse_u64(const char *word, uint64_t *out)
{
	char *end;

	if (!word || *word < '0' || *word > '9')
		return false;
	errno = 0;
	*out = strtoull(word, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool parse_i64(const char *word, int64_t *out)
{
	char *end;

	if (!word || !*word)
		return false;
	errno = 0;
	*out = strtoll(word, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool parse_counters(const struct reader *r, char **save, struct xv_counters *c)
{
	int n = r->format >= 5 ? XV_NCOUNTERS : XV_NKERNEL_COUNTERS;

	*c = (struct xv_counters){{0}};
	for (int i = 0; i < n; i++)
		if (!parse_u64(strtok_r(NULL, " ", save), &c->v[i]))
			return false;
	return strtok_r(NULL, " ", save) == NULL;
}

static int parse_row(struct reader *r, char **save, struct xv_vif_table *t,
		     struct xv_vif_row **row)
{
	uint64_t index, disc;
	char *key;
	int rc;

	if (!parse_u64(strtok_r(NULL, " ", save), &index) || index == 0 ||
	    index > XV_INDEX_MAX)
		return bad(r, "row: bad index");
	key = strtok_r(NULL, " ", save);
	if (!key || !unescape_word(key) || !*key)
		return bad(r, "row: bad key");
	if (!parse_u64(strtok_r(NULL, " ", save), &disc) || disc > UINT32_MAX)
		return bad(r, "row: bad discontinuity time");
	rc = xv_vif_table_add(t, (uint32_t)index, key, row);
	if (rc == -EEXIST)
		return bad(r, "row: index or key appears twice");
	if (rc < 0)
		return no_memory(r);
	(*row)->discontinuity = (uint32_t)disc;
	if (!parse_counters(r, save, &(*row)->total))
		return bad(r, "row: bad counters");
	/* Before the split every packet was served as unicast: IF-MIB's
	 * unicast counters go on from there. */
	if (r->format < 5) {
		(*row)->total.v[XV_IN_UCAST_PKTS] = (*row)->total.v[XV_IN_PKTS];
		(*row)->total.v[XV_OUT_UCAST_PKTS] = (*row)->total.v[XV_OUT_PKTS];
	}
	return 0;
}

static int parse_source(struct reader *r, char **save, struct xv_vif_row *row,
			bool keep)
{
	int64_t ifindex, emu;
	char *name;
	struct xv_counters last;

	if (!row)
		return bad(r, "source before any row");
	if (!parse_i64(strtok_r(NULL, " ", save), &ifindex) || ifindex <= 0 ||
	    ifindex > INT32_MAX)
		return bad(r, "source: bad ifindex");
	if (!parse_i64(strtok_r(NULL, " ", save), &emu) || (emu != 0 && emu != 1))
		return bad(r, "source: bad emu flag");
	name = strtok_r(NULL, " ", save);
	if (!name || !unescape_word(name) || strlen(name) >= IF_NAMESIZE)
		return bad(r, "source: bad device name");
	if (!parse_counters(r, save, &last))
		return bad(r, "source: bad counters");
	if (keep && xv_vif_row_add_source(row, (int)ifindex, emu == 1, name, &last) < 0)
		return no_memory(r);
	return 0;
}

/* A word written by escape_field, into a heap string: 0, -EINVAL if
 * it is not one, -ENOMEM. */
static int parse_field(char *word, char **out)
{
	if (!word || word[0] != ':' || !unescape_word(word + 1))
		return -EINVAL;
	*out = strdup(word + 1);
	return *out ? 0 : -ENOMEM;
}

/* A field written by ids_field: -EINVAL if it is not one. */
static int parse_ids(char *word, struct xv_id_set *ids)
{
	char *save, *id;
	uint32_t n;

	if (word[0] != ':' || !unescape_word(word + 1))
		return -EINVAL;
	for (id = strtok_r(word + 1, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
		if (!xv_parse_u32(id, 1, INT32_MAX, &n))
			return -EINVAL;
		if (xv_id_set_add(ids, (int)n) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_vm(struct reader *r, char **save, struct xv_vm_table *vms)
{
	uint64_t index, in, out, announced, in_alarm, out_alarm;
	uint64_t cpu_total, cpu_domid, cpu_last;
	uint64_t out_mode = XV_OUT_MODE_NONE, foreign = 0, flood_alarm = 0;
	int64_t start, end;
	char *key, *qdev, *rdev, *name;
	struct xv_vm *vm;
	int rc;

	if (!parse_u64(strtok_r(NULL, " ", save), &index) || index == 0 ||
	    index > XV_INDEX_MAX)
		return bad(r, "vm: bad index");
	key = strtok_r(NULL, " ", save);
	if (!key || !unescape_word(key) || !*key)
		return bad(r, "vm: bad key");
	if (!parse_i64(strtok_r(NULL, " ", save), &start) || start < 0 ||
	    !parse_i64(strtok_r(NULL, " ", save), &end) || end < start ||
	    !parse_u64(strtok_r(NULL, " ", save), &in) ||
	    !parse_u64(strtok_r(NULL, " ", save), &out))
		return bad(r, "vm: bad period or usage");
	if (!parse_u64(strtok_r(NULL, " ", save), &announced) ||
	    announced < XV_QUOTA_NONE || announced > XV_QUOTA_EXCEEDED ||
	    !parse_u64(strtok_r(NULL, " ", save), &in_alarm) || in_alarm > 1 ||
	    !parse_u64(strtok_r(NULL, " ", save), &out_alarm) || out_alarm > 1)
		return bad(r, "vm: bad announcement state");
	qdev = strtok_r(NULL, " ", save);
	rdev = strtok_r(NULL, " ", save);
	name = strtok_r(NULL, " ", save);
	if (!qdev || !rdev || !name)
		return bad(r, "vm: expected device lists and a name");
	if (!parse_u64(strtok_r(NULL, " ", save), &cpu_total) ||
	    !parse_u64(strtok_r(NULL, " ", save), &cpu_domid) || cpu_domid > UINT32_MAX ||
	    !parse_u64(strtok_r(NULL, " ", save), &cpu_last))
		return bad(r, "vm: bad CPU time");
	/* Format 5: how Out was counted, what was flooded, the flood alarm. */
	if (r->format >= 5 &&
	    (!parse_u64(strtok_r(NULL, " ", save), &out_mode) ||
	     out_mode > XV_OUT_MODE_MIXED ||
	     !parse_u64(strtok_r(NULL, " ", save), &foreign) ||
	     !parse_u64(strtok_r(NULL, " ", save), &flood_alarm) || flood_alarm > 1))
		return bad(r, "vm: bad Out accounting or flood alarm");
	if (strtok_r(NULL, " ", save))
		return bad(r, "vm: trailing fields");
	rc = xv_vm_table_add(vms, (uint32_t)index, key, &vm);
	if (rc == -EEXIST)
		return bad(r, "vm: index or key appears twice");
	if (rc < 0)
		return no_memory(r);
	if ((rc = parse_ids(qdev, &vm->quota_devices)) < 0 ||
	    (rc = parse_ids(rdev, &vm->rate_devices)) < 0)
		return rc == -ENOMEM ? no_memory(r) : bad(r, "vm: bad device list");
	if ((rc = parse_field(name, &vm->name)) < 0)
		return rc == -ENOMEM ? no_memory(r) : bad(r, "vm: bad name");
	vm->period_start = start;
	vm->period_end = end;
	vm->period_in = in;
	vm->period_out = out;
	vm->announced = (enum xv_quota_status)announced;
	vm->rate[XV_RATE_IN].alarm = in_alarm == 1;
	vm->rate[XV_RATE_OUT].alarm = out_alarm == 1;
	vm->rate[XV_RATE_FLOOD].alarm = flood_alarm == 1;
	vm->out_mode = (enum xv_out_mode)out_mode;
	vm->period_out_foreign = foreign;
	vm->cpu_total_ns = cpu_total;
	vm->cpu_domid = (uint32_t)cpu_domid;
	vm->cpu_last_ns = cpu_last;
	return 0;
}

static int parse_notice(struct reader *r, char **save, struct xv_vm_table *vms)
{
	uint64_t kind, index;

	if (!parse_u64(strtok_r(NULL, " ", save), &kind) ||
	    kind < XV_NOTICE_QUOTA_WARNING || kind > XV_NOTICE_LAST ||
	    !parse_u64(strtok_r(NULL, " ", save), &index) || index > XV_INDEX_MAX ||
	    !xv_vm_table_find_index(vms, (uint32_t)index) || strtok_r(NULL, " ", save))
		return bad(r, "notice: bad kind or VM");
	xv_vm_table_queue(vms, (enum xv_notice_kind)kind, (uint32_t)index);
	return 0;
}

static int parse_switch(struct reader *r, char **save, struct xv_switch *sw,
			bool *seen)
{
	int64_t origin;
	uint64_t uptime, change, vif_change;

	if (*seen)
		return bad(r, "switch: appears twice");
	/* The origin may be before 1970: a restart with the wall clock
	 * near the epoch moves it back there (xv_switch_start_clock). */
	if (!parse_i64(strtok_r(NULL, " ", save), &origin) ||
	    !parse_u64(strtok_r(NULL, " ", save), &uptime) || uptime > UINT32_MAX ||
	    !parse_u64(strtok_r(NULL, " ", save), &change) || change > UINT32_MAX ||
	    !parse_u64(strtok_r(NULL, " ", save), &vif_change) ||
	    vif_change > UINT32_MAX || strtok_r(NULL, " ", save))
		return bad(r, "switch: bad clock or last change");
	*seen = true;
	if (sw) {
		sw->origin_ms = origin;
		sw->saved_uptime = (uint32_t)uptime;
		sw->last_change = (uint32_t)change;
		sw->vif_last_change = (uint32_t)vif_change;
	}
	return 0;
}

static bool parse_flag(char *word, bool *out)
{
	if (!word || (strcmp(word, "0") != 0 && strcmp(word, "1") != 0))
		return false;
	*out = word[0] == '1';
	return true;
}

static int parse_port(struct reader *r, char **save, const struct xv_vif_table *t,
		      struct xv_switch *sw, size_t *nports)
{
	uint64_t index, number, change, disc, devid, rate, mtu;
	int64_t left;
	bool in_view, up, has_mac = false;
	uint8_t mac[6];
	char *macw, *uuidw, *namew, *ifnamew, *uuid = NULL, *name = NULL;
	struct xv_port *p;
	int rc;

	if (!parse_u64(strtok_r(NULL, " ", save), &index) || index == 0 ||
	    index > XV_INDEX_MAX)
		return bad(r, "port: bad index");
	if (!parse_flag(strtok_r(NULL, " ", save), &in_view) ||
	    !parse_flag(strtok_r(NULL, " ", save), &up) ||
	    !parse_u64(strtok_r(NULL, " ", save), &number) ||
	    number > XV_PORT_NUMBER_MAX ||
	    !parse_u64(strtok_r(NULL, " ", save), &change) || change > UINT32_MAX ||
	    !parse_u64(strtok_r(NULL, " ", save), &disc) || disc > UINT32_MAX ||
	    !parse_i64(strtok_r(NULL, " ", save), &left) || left < 0)
		return bad(r, "port: bad state, number, TimeStamps or leaving time");
	if (!parse_u64(strtok_r(NULL, " ", save), &devid) || devid > UINT32_MAX)
		return bad(r, "port: bad device id");
	macw = strtok_r(NULL, " ", save);
	if (!macw || (strcmp(macw, "-") != 0 &&
		      !(has_mac = xv_parse_mac(macw, strlen(macw), mac))))
		return bad(r, "port: bad MAC address");
	if (!parse_u64(strtok_r(NULL, " ", save), &rate) ||
	    !parse_u64(strtok_r(NULL, " ", save), &mtu) || mtu > 65535)
		return bad(r, "port: bad rate or MTU");
	uuidw = strtok_r(NULL, " ", save);
	namew = strtok_r(NULL, " ", save);
	ifnamew = strtok_r(NULL, " ", save);
	if (!uuidw || !namew || uuidw[0] != ':' || !unescape_word(uuidw + 1) ||
	    (uuidw[1] && strlen(uuidw + 1) != 36) || namew[0] != ':' ||
	    !unescape_word(namew + 1) || strlen(namew + 1) > XV_TEXT_MAX)
		return bad(r, "port: bad UUID or name");
	/* The ifName as given: short, of the characters names are made of. */
	if (!ifnamew || strtok_r(NULL, " ", save) || ifnamew[0] != ':' ||
	    !unescape_word(ifnamew + 1) || strlen(ifnamew + 1) > XV_PORT_NAME_MAX ||
	    strspn(ifnamew + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789._-#") != strlen(ifnamew + 1))
		return bad(r, "port: bad ifName");
	uuid = uuidw + 1;
	name = namew + 1;
	(*nports)++;
	if (!sw)
		return 0;
	rc = xv_switch_add(sw, t, (uint32_t)index, &p);
	if (rc == -EEXIST)
		return bad(r, "port: appears twice");
	if (rc == -ENOENT)
		return bad(r, "port: no row with this index");
	if (rc < 0)
		return no_memory(r);
	char *copy = strdup(name);
	if (!copy)
		return no_memory(r);
	free(p->vm_name);
	p->vm_name = copy;
	p->entry.active = in_view;
	p->up = up;
	p->number = (uint32_t)number;
	p->last_change = (uint32_t)change;
	p->discontinuity = (uint32_t)disc;
	p->left = left;
	snprintf(p->name, sizeof p->name, "%s", ifnamew + 1);
	p->devid = (uint32_t)devid;
	p->has_mac = has_mac;
	memcpy(p->mac, mac, has_mac ? 6 : 0);
	p->rate_bps = rate;
	p->mtu = (uint32_t)mtu;
	snprintf(p->uuid, sizeof p->uuid, "%s", uuid);
	return 0;
}

static int parse_header(struct reader *r, char *line, struct xv_state_info *info)
{
	char *save, *word = strtok_r(line, " ", &save), *value;

	value = word ? strtok_r(NULL, " ", &save) : NULL;
	if (!value || strtok_r(NULL, " ", &save))
		return bad(r, "expected a header field and one value");
	switch (r->line) {
	case 1:
		if (strcmp(word, XV_STATE_MAGIC) != 0)
			return bad(r, "not a xen-vif-agent state file");
		if (strcmp(value, "1") != 0 && strcmp(value, "3") != 0 &&
		    strcmp(value, "4") != 0 && strcmp(value, "5") != 0)
			return bad(r, "unknown state file format");
		r->format = value[0] - '0';
		return 0;
	case 2:
		if (strcmp(word, "boot-id") != 0 || strlen(value) >= sizeof info->boot_id)
			return bad(r, "expected boot-id");
		snprintf(info->boot_id, sizeof info->boot_id, "%s",
			 strcmp(value, "-") == 0 ? "" : value);
		return 0;
	case 3:
		if (strcmp(word, "saved") != 0 || !parse_i64(value, &info->saved))
			return bad(r, "expected saved TIME");
		return 0;
	default:
		if (strcmp(word, "uptime-origin") != 0 ||
		    !parse_i64(value, &info->uptime_origin))
			return bad(r, "expected uptime-origin TIME");
		return 0;
	}
}

static int parse_end(struct reader *r, char *line, uint32_t crc, size_t rows,
		     const struct xv_vm_table *vms, size_t ports)
{
	char expect[128];

	if (r->format == 1)
		snprintf(expect, sizeof expect, "end %zu %08x", rows, crc);
	else if (r->format >= 4)
		snprintf(expect, sizeof expect, "end %zu %zu %zu %zu %08x", rows,
			 vms->vms.n, vms->nnotices, ports, crc);
	else
		snprintf(expect, sizeof expect, "end %zu %zu %zu %08x", rows,
			 vms->vms.n, vms->nnotices, crc);
	if (strcmp(line, expect) != 0)
		return bad(r, "checksum or row count does not match: file damaged");
	return 0;
}

static int parse_file(struct reader *r, FILE *f, struct xv_vif_table *t,
		      struct xv_vm_table *vms, struct xv_switch *sw,
		      const char *boot_id, struct xv_state_info *info)
{
	char line[XV_STATE_LINE_MAX + 2];
	struct xv_vif_row *row = NULL;
	uint32_t crc = 0;
	size_t nports = 0;
	bool keep_sources = true, ended = false, switch_seen = false;
	int rc;

	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);
		char *save, *word;

		r->line++;
		if (ended)
			return bad(r, "data after the end line");
		if (len == 0 || line[len - 1] != '\n')
			return bad(r, len > XV_STATE_LINE_MAX ? "line too long"
							       : "truncated line");
		if (strncmp(line, "end ", 4) == 0) {
			line[len - 1] = '\0';
			if ((rc = parse_end(r, line, crc, t->rows.n, vms, nports)) < 0)
				return rc;
			ended = true;
			continue;
		}
		crc = crc32_update(crc, line, len);
		line[len - 1] = '\0';
		if (r->line <= 4) {
			if ((rc = parse_header(r, line, info)) < 0)
				return rc;
			/* Devices of another boot cannot exist now.  If either
			 * boot is unknown, keeping them is the safer guess:
			 * dropping them would count every device twice. */
			if (r->line == 4)
				keep_sources = !boot_id[0] || !info->boot_id[0] ||
					       strcmp(boot_id, info->boot_id) == 0;
			continue;
		}
		word = strtok_r(line, " ", &save);
		if (word && strcmp(word, "row") == 0)
			rc = parse_row(r, &save, t, &row);
		else if (word && strcmp(word, "source") == 0)
			rc = parse_source(r, &save, row, keep_sources);
		else if (word && strcmp(word, "vm") == 0 && r->format >= 3)
			rc = parse_vm(r, &save, vms);
		else if (word && strcmp(word, "notice") == 0 && r->format >= 3)
			rc = parse_notice(r, &save, vms);
		else if (word && strcmp(word, "switch") == 0 && r->format >= 4)
			rc = parse_switch(r, &save, sw, &switch_seen);
		else if (word && strcmp(word, "port") == 0 && r->format >= 4)
			rc = parse_port(r, &save, t, sw, &nports);
		else
			rc = bad(r, "unknown record");
		if (rc < 0)
			return rc;
	}
	if (ferror(f)) {
		int e = errno;
		snprintf(r->err, r->errlen, "%s: %s", r->path, strerror(e));
		return -e;
	}
	if (!ended) {
		r->line++;
		return bad(r, "no end line: file truncated");
	}
	return 0;
}

int xv_state_load_stream(FILE *f, const char *name, struct xv_vif_table *t,
			 struct xv_vm_table *vms, struct xv_switch *sw,
			 const char *boot_id, struct xv_state_info *info,
			 char *err, size_t errlen)
{
	struct reader r = {.path = name, .err = err, .errlen = errlen};
	int rc;

	memset(info, 0, sizeof *info);
	rc = parse_file(&r, f, t, vms, sw, boot_id, info);
	if (rc == 0) {
		/* What the agent accepts it must be able to save again, or
		 * every later save would fail: its writer says. */
		struct writer probe = {0};

		write_records(&probe, t, vms, sw, info);
		if (probe.failed) {
			snprintf(err, errlen, "%s: a record does not fit in what the "
				 "agent writes (a field or line too long)", name);
			rc = -EINVAL;
		}
	}
	if (rc < 0) {
		if (sw) {
			xv_switch_free(sw);
			xv_switch_init(sw);
		}
		xv_vif_table_free(t);
		xv_vif_table_init(t);
		xv_vm_table_free(vms);
		xv_vm_table_init(vms);
	}
	return rc;
}

int xv_state_load(const char *path, struct xv_vif_table *t, struct xv_vm_table *vms,
		  struct xv_switch *sw, const char *boot_id,
		  struct xv_state_info *info, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		int e = errno;

		memset(info, 0, sizeof *info);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	rc = xv_state_load_stream(f, path, t, vms, sw, boot_id, info, err, errlen);
	fclose(f);
	return rc;
}

int xv_state_set_aside(const char *path, char *aside, size_t asidesz)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	if ((size_t)snprintf(aside, asidesz, "%s.damaged-%s", path, stamp) >= asidesz)
		return -ENAMETOOLONG;
	return rename(path, aside) < 0 ? -errno : 0;
}

void xv_state_boot_id(char out[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, 40, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}
