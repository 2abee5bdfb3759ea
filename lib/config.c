/* SPDX-License-Identifier: ISC */
#include "xenvif/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xenvif/text.h"
#include "xenvif/growth.h"

#include <stddef.h>

void xv_config_defaults(struct xv_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->refresh_interval = 5;
	cfg->state_save_interval = 60;
	cfg->resource_interval = 15;
	cfg->backend_domid = 0;
	snprintf(cfg->sysfs_root, sizeof cfg->sysfs_root, "/sys");
	cfg->period.kind = XV_PERIOD_MONTHLY;
	cfg->period.day = 1;
	snprintf(cfg->period.tz, sizeof cfg->period.tz, "UTC");
	snprintf(cfg->sw.context, sizeof cfg->sw.context, "xen");
	cfg->sw.port_speed = 10000000000ULL;
	/* A port whose VM stopped on a period's first day stays until its
	 * usage has been billed, whatever the month's length. */
	cfg->sw.port_retention = 35 * 86400;
	cfg->out_accounting = XV_ACCOUNT_ADDRESSED;
	cfg->classifier = true;
	snprintf(cfg->classifier_pins, sizeof cfg->classifier_pins,
		 "/sys/fs/bpf/xen-vif-agent");
}

void xv_config_free(struct xv_config *cfg)
{
	free(cfg->quotas);
	free(cfg->rates);
	free(cfg->floods);
	cfg->quotas = NULL;
	cfg->rates = NULL;
	cfg->floods = NULL;
	cfg->nquotas = cfg->nrates = cfg->capquotas = cfg->caprates = 0;
	cfg->nfloods = cfg->capfloods = 0;
}

/* ---- words --------------------------------------------------------- */

#define MAX_WORDS 8

struct words {
	char buf[1024];
	char *w[MAX_WORDS];
	size_t n;
};

/* Splits value into blank-separated words. */
static int split(const char *value, struct words *out, char *err, size_t errlen)
{
	char *save, *word;

	if (strlen(value) >= sizeof out->buf) {
		snprintf(err, errlen, "line too long");
		return -1;
	}
	snprintf(out->buf, sizeof out->buf, "%s", value);
	out->n = 0;
	for (word = strtok_r(out->buf, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (out->n == MAX_WORDS) {
			snprintf(err, errlen, "too many values");
			return -1;
		}
		out->w[out->n++] = word;
	}
	return 0;
}

static int want_words(const struct words *w, size_t min, size_t max, char *err,
		      size_t errlen)
{
	if (w->n == 0)
		snprintf(err, errlen, "missing value");
	else if (w->n < min)
		snprintf(err, errlen, "too few values");
	else if (w->n > max)
		snprintf(err, errlen, max == 1 ? "expected one value, got more"
					       : "too many values");
	else
		return 0;
	return -1;
}

static int set_number(const char *value, uint32_t min, uint32_t max,
		      uint32_t *out, char *err, size_t errlen)
{
	struct words w;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	if (!xv_parse_u32(w.w[0], min, max, out)) {
		snprintf(err, errlen, "'%s' is not a whole number from %u to %u",
			 w.w[0], min, max);
		return -1;
	}
	return 0;
}

static int set_path(const char *value, char *out, size_t outsz, char *err,
		    size_t errlen)
{
	struct words w;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	if (w.w[0][0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", w.w[0]);
		return -1;
	}
	if (strlen(w.w[0]) >= outsz) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	snprintf(out, outsz, "%s", w.w[0]);
	return 0;
}

/* ---- amounts ------------------------------------------------------- */

bool xv_parse_amount(const char *word, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t unit;
	} units[] = {
		{"", 1},
		{"K", 1000ULL},
		{"M", 1000000ULL},
		{"G", 1000000000ULL},
		{"T", 1000000000000ULL},
		{"Ki", 1ULL << 10},
		{"Mi", 1ULL << 20},
		{"Gi", 1ULL << 30},
		{"Ti", 1ULL << 40},
	};
	const char *p = word;
	uint64_t whole = 0, frac = 0, scale = 1, unit = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		/* Three decimals are plenty for "1.5T"; more is refused
		 * rather than rounded silently. */
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale == 1000)
				return false;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(p, units[i].suffix) == 0)
			unit = units[i].unit;
	if (unit == 0 || (scale > 1 && unit == 1))
		return false;
	if (whole > UINT64_MAX / unit)
		return false;
	whole *= unit;
	/* frac/scale of a unit, rounded down to whole octets */
	uint64_t part = frac * (unit / scale) + frac * (unit % scale) / scale;
	if (whole > UINT64_MAX - part)
		return false;
	*out = whole + part;
	return true;
}

bool xv_parse_duration(const char *word, uint32_t max, uint32_t *out)
{
	static const struct {
		char suffix;
		uint32_t seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	size_t len = strlen(word);
	uint32_t unit = 1, n;
	char digits[16];

	if (len == 0 || len >= sizeof digits)
		return false;
	/* One unit at most, after at least one digit. */
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (word[len - 1] == units[i].suffix) {
			if (len == 1)
				return false;
			unit = units[i].seconds;
			len--;
			break;
		}
	memcpy(digits, word, len);
	digits[len] = '\0';
	if (!xv_parse_u32(digits, 0, max / unit, &n))
		return false;
	*out = n * unit;
	return true;
}

/* ---- VM matches ---------------------------------------------------- */

static int parse_vm(const char *word, struct xv_vm_match *vm, char *err,
		    size_t errlen)
{
	char uuid[37];

	memset(vm, 0, sizeof *vm);
	if (strcmp(word, "*") == 0) {
		vm->kind = XV_MATCH_ANY;
		return 0;
	}
	if (xv_parse_uuid(word, strlen(word), uuid)) {
		vm->kind = XV_MATCH_UUID;
		snprintf(vm->text, sizeof vm->text, "%s", uuid);
		return 0;
	}
	if (strlen(word) >= sizeof vm->text) {
		snprintf(err, errlen, "VM name too long");
		return -1;
	}
	vm->kind = XV_MATCH_NAME;
	snprintf(vm->text, sizeof vm->text, "%s", word);
	return 0;
}

static bool same_vm(const struct xv_vm_match *a, const struct xv_vm_match *b)
{
	return a->kind == b->kind && strcmp(a->text, b->text) == 0;
}

static const char *vm_label(const struct xv_vm_match *vm)
{
	return vm->kind == XV_MATCH_ANY ? "*" : vm->text;
}

/* How closely a rule's VM names this VM: 0 by UUID, 1 by name, 2 as
 * "*", -1 not at all.  The closest rule wins, the first of equals. */
static int match_rank(const struct xv_vm_match *m, const char *uuid,
		      const char *name)
{
	switch (m->kind) {
	case XV_MATCH_UUID:
		return uuid && *uuid && strcmp(m->text, uuid) == 0 ? 0 : -1;
	case XV_MATCH_NAME:
		return name && *name && strcmp(m->text, name) == 0 ? 1 : -1;
	case XV_MATCH_ANY:
		return 2;
	}
	return -1;
}

/* ---- rules --------------------------------------------------------- */

/* Appends one rule of size bytes to a list. */
static int append_rule(void **list, size_t *n, size_t *cap, size_t size,
		       const void *rule, char *err, size_t errlen)
{
	char *grown = xv_grow(*list, cap, *n, size, 8);

	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(grown + *n * size, rule, size);
	*list = grown;
	(*n)++;
	return 0;
}

/* ---- quota --------------------------------------------------------- */

static int parse_direction(const char *word, bool total_ok,
			   enum xv_direction *dir)
{
	if (strcasecmp(word, "in") == 0)
		*dir = XV_DIR_IN;
	else if (strcasecmp(word, "out") == 0)
		*dir = XV_DIR_OUT;
	else if (total_ok && strcasecmp(word, "total") == 0)
		*dir = XV_DIR_TOTAL;
	else
		return -1;
	return 0;
}

static int add_quota(struct xv_config *cfg, const char *value, char *err,
		     size_t errlen)
{
	struct xv_quota_rule q = {.dir = XV_DIR_TOTAL, .warn_percent = 80};
	struct words w;
	size_t i = 2;
	uint32_t pct;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 2, 5, err, errlen) < 0)
		return -1;
	if (parse_vm(w.w[0], &q.vm, err, errlen) < 0)
		return -1;
	if (!xv_parse_amount(w.w[1], &q.octets) || q.octets == 0) {
		snprintf(err, errlen, "'%s' is not an amount of bytes above zero "
			 "(a number with K, M, G, T, Ki, Mi, Gi or Ti)", w.w[1]);
		return -1;
	}
	if (i < w.n && parse_direction(w.w[i], true, &q.dir) == 0)
		i++;
	if (i < w.n && strcasecmp(w.w[i], "warn") == 0) {
		if (i + 1 >= w.n || !xv_parse_u32(w.w[i + 1], 1, 100, &pct)) {
			snprintf(err, errlen, "warn needs a percentage from 1 to 100");
			return -1;
		}
		q.warn_percent = pct;
		i += 2;
	}
	if (i < w.n) {
		snprintf(err, errlen, "'%s': expected in, out, total or warn PERCENT",
			 w.w[i]);
		return -1;
	}
	for (size_t j = 0; j < cfg->nquotas; j++) {
		if (same_vm(&cfg->quotas[j].vm, &q.vm)) {
			snprintf(err, errlen, "a quota for %s is already set",
				 vm_label(&q.vm));
			return -1;
		}
	}
	return append_rule((void **)&cfg->quotas, &cfg->nquotas, &cfg->capquotas,
			   sizeof q, &q, err, errlen);
}

/* ---- rate alarms --------------------------------------------------- */

static int add_rate(struct xv_config *cfg, const char *value, char *err,
		    size_t errlen)
{
	struct xv_rate_rule r = {0};
	struct words w;
	uint32_t secs;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 4, 4, err, errlen) < 0)
		return -1;
	if (parse_vm(w.w[0], &r.vm, err, errlen) < 0)
		return -1;
	if (parse_direction(w.w[1], false, &r.dir) < 0) {
		snprintf(err, errlen, "'%s': expected in or out", w.w[1]);
		return -1;
	}
	if (!xv_parse_amount(w.w[2], &r.bits_per_second) || r.bits_per_second == 0) {
		snprintf(err, errlen, "'%s' is not a rate in bits per second above "
			 "zero (a number with K, M, G, T, Ki, Mi, Gi or Ti)", w.w[2]);
		return -1;
	}
	if (!xv_parse_u32(w.w[3], 1, 86400, &secs)) {
		snprintf(err, errlen, "'%s' is not a whole number of seconds from 1 "
			 "to 86400", w.w[3]);
		return -1;
	}
	r.seconds = secs;
	for (size_t j = 0; j < cfg->nrates; j++) {
		if (same_vm(&cfg->rates[j].vm, &r.vm) && cfg->rates[j].dir == r.dir) {
			snprintf(err, errlen, "a rate alarm for %s %s is already set",
				 vm_label(&r.vm), r.dir == XV_DIR_IN ? "in" : "out");
			return -1;
		}
	}
	return append_rule((void **)&cfg->rates, &cfg->nrates, &cfg->caprates,
			   sizeof r, &r, err, errlen);
}

/* floodAlarm [VM] RATE SECONDS: foreign unicast towards a VM, the sign
 * that its bridge floods (a guest filling the forwarding table). */
static int add_flood(struct xv_config *cfg, const char *value, char *err,
		     size_t errlen)
{
	struct xv_rate_rule r = {.dir = XV_DIR_OUT};
	struct words w;
	uint32_t secs;
	size_t i = 0;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 2, 3, err, errlen) < 0)
		return -1;
	if (w.n == 3) {
		if (parse_vm(w.w[0], &r.vm, err, errlen) < 0)
			return -1;
		i = 1;
	}
	if (!xv_parse_amount(w.w[i], &r.bits_per_second) || r.bits_per_second == 0) {
		snprintf(err, errlen, "'%s' is not a rate in bits per second above "
			 "zero (a number with K, M, G, T, Ki, Mi, Gi or Ti)", w.w[i]);
		return -1;
	}
	if (!xv_parse_u32(w.w[i + 1], 1, 86400, &secs)) {
		snprintf(err, errlen, "'%s' is not a whole number of seconds from 1 "
			 "to 86400", w.w[i + 1]);
		return -1;
	}
	r.seconds = secs;
	for (size_t j = 0; j < cfg->nfloods; j++) {
		if (same_vm(&cfg->floods[j].vm, &r.vm)) {
			snprintf(err, errlen, "a flood alarm for %s is already set",
				 vm_label(&r.vm));
			return -1;
		}
	}
	return append_rule((void **)&cfg->floods, &cfg->nfloods, &cfg->capfloods,
			   sizeof r, &r, err, errlen);
}

/* ---- accounting period --------------------------------------------- */

static int parse_weekday(const char *word)
{
	static const char *const days[] = {"sunday", "monday", "tuesday",
					   "wednesday", "thursday", "friday",
					   "saturday"};

	for (int i = 0; i < 7; i++)
		if (strcasecmp(word, days[i]) == 0 ||
		    (strlen(word) == 3 && strncasecmp(word, days[i], 3) == 0))
			return i;
	return -1;
}

/* A time zone the C library can load: UTC, or a file of the zone
 * database (TZDIR, else /usr/share/zoneinfo). */
static int check_zone(const char *tz, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX + 64];

	if (strcmp(tz, "UTC") == 0)
		return 0;
	if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) >= 64 ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789/_+-") != strlen(tz)) {
		snprintf(err, errlen, "'%s' is not a time zone name", tz);
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
		 tz);
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "unknown time zone '%s' (no %s)", tz, path);
		return -1;
	}
	/* A directory ("Europe") or any other file passes the test above,
	 * and the C library then falls back to UTC without a word: only a
	 * zone file (TZif) is a zone. */
	char magic[4] = "";
	FILE *f = fopen(path, "re");
	size_t got = f ? fread(magic, 1, sizeof magic, f) : 0;

	if (f)
		fclose(f);
	if (got != sizeof magic || memcmp(magic, "TZif", 4) != 0) {
		snprintf(err, errlen, "'%s' is not a time zone (%s is no zone file)",
			 tz, path);
		return -1;
	}
	return 0;
}

static int set_period(struct xv_config *cfg, const char *value, char *err,
		      size_t errlen)
{
	struct xv_period p = {0};
	struct words w;
	size_t i = 1;
	uint32_t day;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 3, err, errlen) < 0)
		return -1;
	if (strcasecmp(w.w[0], "monthly") == 0 || strcasecmp(w.w[0], "weekly") == 0) {
		bool monthly = strcasecmp(w.w[0], "monthly") == 0;
		int wd;

		p.kind = monthly ? XV_PERIOD_MONTHLY : XV_PERIOD_WEEKLY;
		if (w.n < 2) {
			snprintf(err, errlen, monthly ? "monthly needs a DAY from 1 to 28"
						      : "weekly needs a DAY-NAME");
			return -1;
		}
		if (monthly && !xv_parse_u32(w.w[1], 1, 28, &day)) {
			snprintf(err, errlen, "'%s' is not a day of the month from 1 "
				 "to 28", w.w[1]);
			return -1;
		}
		if (!monthly && (wd = parse_weekday(w.w[1])) < 0) {
			snprintf(err, errlen, "'%s' is not a day of the week", w.w[1]);
			return -1;
		}
		p.day = monthly ? day : (unsigned int)wd;
		i = 2;
	} else if (strcasecmp(w.w[0], "daily") == 0) {
		p.kind = XV_PERIOD_DAILY;
	} else if (strcasecmp(w.w[0], "hourly") == 0) {
		p.kind = XV_PERIOD_HOURLY;
	} else {
		snprintf(err, errlen, "'%s': expected monthly, weekly, daily or hourly",
			 w.w[0]);
		return -1;
	}
	snprintf(p.tz, sizeof p.tz, "UTC");
	if (i < w.n) {
		if (check_zone(w.w[i], err, errlen) < 0)
			return -1;
		snprintf(p.tz, sizeof p.tz, "%s", w.w[i]);
		i++;
	}
	if (i < w.n) {
		snprintf(err, errlen, "'%s': too many values", w.w[i]);
		return -1;
	}
	cfg->period = p;
	return 0;
}

/* ---- the switch view ---------------------------------------------- */

/* The rest of the line as one text of at most outsz - 1 octets, blanks
 * at either end dropped; "" is allowed. */
static int set_text(const char *value, char *out, size_t outsz, char *err,
		    size_t errlen)
{
	size_t len;

	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len > 0 && strchr(" \t\r\n", value[len - 1]))
		len--;
	if (len >= outsz) {
		snprintf(err, errlen, "longer than %zu octets", outsz - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)value[i] < ' ' || value[i] == 0x7f) {
			snprintf(err, errlen, "control characters are not allowed");
			return -1;
		}
	}
	memcpy(out, value, len);
	out[len] = '\0';
	return 0;
}

static int set_context(struct xv_switch_config *sw, const char *value,
		       char *err, size_t errlen)
{
	struct words w;
	const char *name;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	name = w.w[0];
	if (strcasecmp(name, "none") == 0) {
		sw->context[0] = '\0';
		return 0;
	}
	/* The default context is snmpd's, with its own system group and
	 * IF-MIB: the switch needs one of its own. */
	if (strcmp(name, "\"\"") == 0) {
		snprintf(err, errlen, "the switch needs a context of its own (the "
			 "default, empty one is snmpd's); 'none' serves no switch");
		return -1;
	}
	if (strlen(name) > XV_CONTEXT_MAX) {
		snprintf(err, errlen, "'%s' is longer than the %d octets of an "
			 "SNMP context name", name, XV_CONTEXT_MAX);
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			snprintf(err, errlen, "a context name is printable ASCII");
			return -1;
		}
	}
	snprintf(sw->context, sizeof sw->context, "%s", name);
	return 0;
}

/* Speeds up to what ifHighSpeed (a Gauge32 of Mbit/s) can carry. */
#define XV_PORT_SPEED_MAX (4294967295ULL * 1000000ULL)

static int set_port_speed(struct xv_switch_config *sw, const char *value,
			  char *err, size_t errlen)
{
	struct words w;
	uint64_t bps;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	if (!xv_parse_amount(w.w[0], &bps) || bps == 0 || bps > XV_PORT_SPEED_MAX) {
		snprintf(err, errlen, "'%s' is not a speed in bits per second above "
			 "zero (a number with K, M, G or T; at most 4294967295M)",
			 w.w[0]);
		return -1;
	}
	sw->port_speed = bps;
	return 0;
}

#define XV_RETENTION_MAX (3650U * 86400U)

static int set_retention(struct xv_switch_config *sw, const char *value,
			 char *err, size_t errlen)
{
	struct words w;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	if (!xv_parse_duration(w.w[0], XV_RETENTION_MAX, &sw->port_retention)) {
		snprintf(err, errlen, "'%s' is not a duration from 0 to 3650d (a "
			 "number of seconds, or with s, m, h or d)", w.w[0]);
		return -1;
	}
	return 0;
}

static int set_yes_no(const char *value, bool *out, char *err, size_t errlen)
{
	struct words w;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	if (strcasecmp(w.w[0], "yes") == 0 || strcasecmp(w.w[0], "on") == 0)
		*out = true;
	else if (strcasecmp(w.w[0], "no") == 0 || strcasecmp(w.w[0], "off") == 0)
		*out = false;
	else {
		snprintf(err, errlen, "'%s': expected yes or no", w.w[0]);
		return -1;
	}
	return 0;
}

/* ---- lookups ------------------------------------------------------- */

const struct xv_quota_rule *xv_config_quota(const struct xv_config *cfg,
					    const char *uuid, const char *name)
{
	const struct xv_quota_rule *best = NULL;
	int best_rank = 3;

	for (size_t i = 0; i < cfg->nquotas; i++) {
		int rank = match_rank(&cfg->quotas[i].vm, uuid, name);

		if (rank >= 0 && rank < best_rank) {
			best = &cfg->quotas[i];
			best_rank = rank;
		}
	}
	return best;
}

const struct xv_rate_rule *xv_config_rate(const struct xv_config *cfg,
					  const char *uuid, const char *name,
					  enum xv_direction dir)
{
	const struct xv_rate_rule *best = NULL;
	int best_rank = 3;

	for (size_t i = 0; i < cfg->nrates; i++) {
		int rank = cfg->rates[i].dir == dir
				   ? match_rank(&cfg->rates[i].vm, uuid, name)
				   : -1;

		if (rank >= 0 && rank < best_rank) {
			best = &cfg->rates[i];
			best_rank = rank;
		}
	}
	return best;
}

const struct xv_rate_rule *xv_config_flood(const struct xv_config *cfg,
					   const char *uuid, const char *name)
{
	const struct xv_rate_rule *best = NULL;
	int best_rank = 3;

	for (size_t i = 0; i < cfg->nfloods; i++) {
		int rank = match_rank(&cfg->floods[i].vm, uuid, name);

		if (rank >= 0 && rank < best_rank) {
			best = &cfg->floods[i];
			best_rank = rank;
		}
	}
	return best;
}

/* ---- the tokens ---------------------------------------------------- */

static int set_refresh(struct xv_config *cfg, const char *value, char *err,
		       size_t errlen)
{
	return set_number(value, 1, 3600, &cfg->refresh_interval, err, errlen);
}

static int set_save_interval(struct xv_config *cfg, const char *value,
			     char *err, size_t errlen)
{
	/* Usage must reach the disk at least every minute. */
	return set_number(value, 5, 60, &cfg->state_save_interval, err, errlen);
}

static int set_resource_interval(struct xv_config *cfg, const char *value,
				 char *err, size_t errlen)
{
	return set_number(value, 0, 3600, &cfg->resource_interval, err, errlen);
}

static int set_counter_source(struct xv_config *cfg, const char *value,
			      char *err, size_t errlen)
{
	char word[16], extra;

	if (sscanf(value, "%15s %c", word, &extra) != 1 ||
	    (strcasecmp(word, "netlink") != 0 && strcasecmp(word, "xenstat") != 0)) {
		snprintf(err, errlen, "'%s': expected netlink or xenstat", value);
		return -1;
	}
	cfg->counter_source = strcasecmp(word, "xenstat") == 0 ? XV_COUNTERS_XENSTAT
							       : XV_COUNTERS_NETLINK;
	return 0;
}

static int set_toolstack(struct xv_config *cfg, const char *value, char *err,
			 size_t errlen)
{
	static const char *const names[] = {"auto", "libxl", "xapi"};
	char word[16], extra;

	if (sscanf(value, "%15s %c", word, &extra) == 1)
		for (size_t i = 0; i < 3; i++)
			if (strcasecmp(word, names[i]) == 0) {
				cfg->toolstack = (enum xv_toolstack)i;
				return 0;
			}
	snprintf(err, errlen, "'%s': expected auto, libxl or xapi", value);
	return -1;
}

static int set_backend(struct xv_config *cfg, const char *value, char *err,
		       size_t errlen)
{
	return set_number(value, 0, 0x7fef, &cfg->backend_domid, err, errlen);
}

static int set_state_file(struct xv_config *cfg, const char *value, char *err,
			  size_t errlen)
{
	return set_path(value, cfg->state_file, sizeof cfg->state_file, err, errlen);
}

static int set_sysfs_root(struct xv_config *cfg, const char *value, char *err,
			  size_t errlen)
{
	return set_path(value, cfg->sysfs_root, sizeof cfg->sysfs_root, err, errlen);
}

static int set_out_accounting(struct xv_config *cfg, const char *value,
			      char *err, size_t errlen)
{
	char word[16], extra;

	if (sscanf(value, "%15s %c", word, &extra) != 1 ||
	    (strcasecmp(word, "addressed") != 0 && strcasecmp(word, "all") != 0)) {
		snprintf(err, errlen, "'%s': expected addressed or all", value);
		return -1;
	}
	cfg->out_accounting = strcasecmp(word, "all") == 0 ? XV_ACCOUNT_ALL
							   : XV_ACCOUNT_ADDRESSED;
	return 0;
}

static int set_classifier(struct xv_config *cfg, const char *value, char *err,
			  size_t errlen)
{
	return set_yes_no(value, &cfg->classifier, err, errlen);
}

static int set_classifier_hooks(struct xv_config *cfg, const char *value,
				char *err, size_t errlen)
{
	static const enum xv_classifier_hooks all[] = {XV_HOOKS_AUTO, XV_HOOKS_TCX,
						       XV_HOOKS_TC};
	struct words w;

	if (split(value, &w, err, errlen) < 0 || want_words(&w, 1, 1, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcasecmp(w.w[0], xv_classifier_hooks_name(all[i])) == 0) {
			cfg->classifier_hooks = all[i];
			return 0;
		}
	}
	snprintf(err, errlen, "'%s': expected auto, tcx or tc", w.w[0]);
	return -1;
}

static int set_classifier_pins(struct xv_config *cfg, const char *value,
			       char *err, size_t errlen)
{
	return set_path(value, cfg->classifier_pins, sizeof cfg->classifier_pins,
			err, errlen);
}

static int set_switch_context(struct xv_config *cfg, const char *value,
			      char *err, size_t errlen)
{
	return set_context(&cfg->sw, value, err, errlen);
}

static int set_switch_name(struct xv_config *cfg, const char *value, char *err,
			   size_t errlen)
{
	return set_text(value, cfg->sw.name, sizeof cfg->sw.name, err, errlen);
}

static int set_switch_contact(struct xv_config *cfg, const char *value,
			      char *err, size_t errlen)
{
	return set_text(value, cfg->sw.contact, sizeof cfg->sw.contact, err, errlen);
}

static int set_switch_location(struct xv_config *cfg, const char *value,
			       char *err, size_t errlen)
{
	return set_text(value, cfg->sw.location, sizeof cfg->sw.location, err, errlen);
}

static int set_speed(struct xv_config *cfg, const char *value, char *err,
		     size_t errlen)
{
	return set_port_speed(&cfg->sw, value, err, errlen);
}

static int set_port_retention(struct xv_config *cfg, const char *value,
			      char *err, size_t errlen)
{
	return set_retention(&cfg->sw, value, err, errlen);
}

static int set_link_notifications(struct xv_config *cfg, const char *value,
				  char *err, size_t errlen)
{
	return set_yes_no(value, &cfg->sw.link_notifications, err, errlen);
}

/* A setting a reload applies. */
#define XV_APPLIES .reload = XV_RELOAD_APPLIES

/* A setting a reload cannot change: where it is in struct xv_config. */
#define XV_FIXED(field, text) \
	.reload = XV_RELOAD_RESTART, .offset = offsetof(struct xv_config, field), \
	.size = sizeof(((struct xv_config *)0)->field), .is_text = text

const struct xv_config_token xv_config_tokens[] = {
	{"refreshInterval", "SECONDS",
	 "how often the kernel counters are read (1-3600, default 5)", set_refresh, XV_APPLIES},
	{"stateSaveInterval", "SECONDS",
	 "how often the state file is written (5-60, default 60)", set_save_interval, XV_APPLIES},
	{"resourceInterval", "SECONDS",
	 "how often VM state, vcpus, memory and CPU time are read from the "
	 "hypervisor (0 = never, 1-3600, default 15)", set_resource_interval, XV_APPLIES},
	{"counterSource", "netlink|xenstat",
	 "where the vif counters come from: rtnetlink (default) or "
	 "libxenstat's network statistics", set_counter_source,
	 XV_FIXED(counter_source, false)},
	{"toolstack", "auto|libxl|xapi",
	 "whose layout of xenstore to read: found out from what it holds "
	 "(default), libxl's (xl, libvirt) or xapi's (XCP-ng, XenServer)",
	 set_toolstack, XV_FIXED(toolstack, false)},
	{"backendDomain", "DOMID",
	 "the domain whose backend vifs are served (default 0, dom0)", set_backend,
	 XV_FIXED(backend_domid, false)},
	{"stateFile", "PATH",
	 "state file (default xen-vif-agent.state in the persistent directory)",
	 set_state_file, XV_FIXED(state_file, true)},
	{"sysfsRoot", "PATH", "where sysfs is mounted (default /sys)", set_sysfs_root,
	 XV_FIXED(sysfs_root, true)},
	{"accountingPeriod", "monthly DAY|weekly DAY-NAME|daily|hourly [TIMEZONE]",
	 "when usage starts again from zero (default monthly 1 UTC)", set_period, XV_APPLIES},
	{"quota", "VM AMOUNT [in|out|total] [warn PERCENT]",
	 "a VM's (name, UUID or *) traffic allowance per period", add_quota,
	 XV_APPLIES, .adds_rule = true},
	{"rateAlarm", "VM in|out RATE SECONDS",
	 "alarm when a VM's rate (bits/s) stays above RATE for SECONDS", add_rate,
	 XV_APPLIES, .adds_rule = true},
	{"floodAlarm", "[VM] RATE SECONDS",
	 "alarm when foreign unicast towards a VM (frames the bridge flooded "
	 "to it, addressed to others) stays above RATE bits/s for SECONDS; "
	 "VM defaults to *", add_flood, XV_APPLIES, .adds_rule = true},
	{"accountingOut", "addressed|all",
	 "what a VM's Out usage and quotas count: only frames addressed to "
	 "it (default, where the classifier runs) or all it received, floods "
	 "included", set_out_accounting, XV_APPLIES},
	{"classifier", "yes|no",
	 "count, with an eBPF program on each vif's tc hooks, what was "
	 "addressed to the VM and what was flooded to it (default yes)",
	 set_classifier, XV_FIXED(classifier, false)},
	{"classifierHooks", "auto|tcx|tc",
	 "where the classifier's programs sit: tcx links (Linux 6.6, the "
	 "cheaper), tc filters on a clsact qdisc, or tcx where the kernel has "
	 "it (default auto)", set_classifier_hooks,
	 XV_FIXED(classifier_hooks, false)},
	{"classifierPins", "PATH",
	 "where the classifier's maps are pinned, in a bpf filesystem "
	 "(default /sys/fs/bpf/xen-vif-agent)", set_classifier_pins,
	 XV_FIXED(classifier_pins, true)},
	{"switchContext", "NAME|none",
	 "the SNMP context serving dom0 as a switch: system group, IF-MIB, "
	 "BRIDGE-MIB and XEN-VIF-MIB (default xen; none: not served)",
	 set_switch_context, XV_FIXED(sw.context, true)},
	{"switchName", "TEXT", "the switch's sysName (default CONTEXT.HOSTNAME)",
	 set_switch_name, XV_APPLIES},
	{"switchContact", "TEXT", "the switch's sysContact (default empty)",
	 set_switch_contact, XV_APPLIES},
	{"switchLocation", "TEXT", "the switch's sysLocation (default empty)",
	 set_switch_location, XV_APPLIES},
	{"portSpeed", "BITS",
	 "ifSpeed of a port whose vif has no rate limit (default 10G)", set_speed, XV_APPLIES},
	{"portRetention", "DURATION",
	 "how long a stopped VM's port stays, down, in the switch "
	 "(0-3650d, default 35d)", set_port_retention, XV_APPLIES},
	{"portLinkNotifications", "yes|no",
	 "send linkUp and linkDown for the switch's ports (default no)",
	 set_link_notifications, XV_APPLIES},
	{.name = NULL},
};

const struct xv_config_token *xv_config_token(const char *name)
{
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++)
		if (strcasecmp(t->name, name) == 0)
			return t;
	return NULL;
}

int xv_config_set(struct xv_config *cfg, const char *token, const char *value,
		  char *err, size_t errlen)
{
	const struct xv_config_token *t = xv_config_token(token);

	if (!t) {
		snprintf(err, errlen, "unknown token '%s'", token);
		return -1;
	}
	return t->set(cfg, value ? value : "", err, errlen);
}

void xv_config_keep_fixed(struct xv_config *fresh, const struct xv_config *running,
			  void (*changed)(void *ctx, const char *token), void *ctx)
{
	for (const struct xv_config_token *t = xv_config_tokens; t->name; t++) {
		char *to = (char *)fresh + t->offset;
		const char *from = (const char *)running + t->offset;

		if (t->reload != XV_RELOAD_RESTART)
			continue;
		if (t->is_text ? strncmp(to, from, t->size) != 0
			       : memcmp(to, from, t->size) != 0)
			changed(ctx, t->name);
		memcpy(to, from, t->size);
	}
}
