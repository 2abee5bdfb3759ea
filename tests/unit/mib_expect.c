/* SPDX-License-Identifier: ISC */
#include "mib_expect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

size_t expect_parse(const char *text, oid *out)
{
	size_t n = 0;
	char *end;

	while (n < EXPECT_OID_MAX) {
		out[n++] = strtoul(text, &end, 10);
		if (*end != '.')
			break;
		text = end + 1;
	}
	return n;
}

static void oid_text(const oid *o, size_t len, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, i ? ".%lu" : "%lu",
				       (unsigned long)o[i]);
}

/* What resolve answered, by its SNMP name (0: a value). */
static const char *exception_name(uint64_t rc)
{
	switch (rc) {
	case SNMP_NOSUCHOBJECT:
		return "noSuchObject";
	case SNMP_NOSUCHINSTANCE:
		return "noSuchInstance";
	case SNMP_ENDOFMIBVIEW:
		return "endOfMibView";
	default:
		return "a value";
	}
}

/* Does v hold what x expects?  If not, why says what it holds. */
static bool same_value(const struct expect *x, const struct xv_mib_value *v,
		       char *why, size_t whysz)
{
	if (v->type != x->type) {
		snprintf(why, whysz, "type %u, expected %u", v->type, x->type);
		return false;
	}
	switch (x->kind) {
	case INT:
		snprintf(why, whysz, "%lu, expected %llu", v->buf.ul,
			 (unsigned long long)x->number);
		return v->buf.ul == x->number;
	case C64: {
		uint64_t got = (uint64_t)v->buf.c64.high << 32 | v->buf.c64.low;

		snprintf(why, whysz, "%llu, expected %llu", (unsigned long long)got,
			 (unsigned long long)x->number);
		return got == x->number;
	}
	case TEXT:
		snprintf(why, whysz, "'%.*s', expected '%s'", (int)v->len,
			 (const char *)v->data, x->text);
		return v->len == strlen(x->text) &&
		       (v->len == 0 || memcmp(v->data, x->text, v->len) == 0);
	case OIDV: {
		oid want[EXPECT_OID_MAX];
		size_t n = expect_parse(x->text, want);
		char got[EXPECT_OID_MAX * 11];

		oid_text(v->data, v->len / sizeof(oid), got, sizeof got);
		snprintf(why, whysz, "%s, expected %s", got, x->text);
		return snmp_oid_compare(v->data, v->len / sizeof(oid), want, n) == 0;
	}
	case HEX: {
		char hex[2 * 32 + 1] = "";

		if (!x->text) {
			snprintf(why, whysz, "%zu octets, expected 6", v->len);
			return v->len == 6;
		}
		for (size_t i = 0; i < v->len && i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)v->data)[i]);
		snprintf(why, whysz, "%s, expected %s", hex, x->text);
		return v->len <= 32 && strcmp(hex, x->text) == 0;
	}
	case ABSENT:
		break;
	}
	return false;
}

bool expect_matches(const struct expect *x, int rc, const oid *name, size_t len,
		    const struct xv_mib_value *v, char *why, size_t whysz)
{
	oid want[EXPECT_OID_MAX];
	size_t n;

	if (x->kind == ABSENT || rc != 0) {
		snprintf(why, whysz, "%s, expected %s", exception_name((uint64_t)rc),
			 exception_name(x->kind == ABSENT ? x->number : 0));
		return x->kind == ABSENT && (uint64_t)rc == x->number;
	}
	n = expect_parse(x->oid, want);
	if (snmp_oid_compare(name, len, want, n) != 0) {
		char got[EXPECT_OID_MAX * 11];

		oid_text(name, len, got, sizeof got);
		snprintf(why, whysz, "the instance %s, expected %s", got, x->oid);
		return false;
	}
	return same_value(x, v, why, whysz);
}

/* expect_matches as one TAP result, named "what OID". */
static void answer(const char *what, const struct expect *x, int rc, const oid *name,
		   size_t len, const struct xv_mib_value *v)
{
	char why[256];

	if (tap_ok(expect_matches(x, rc, name, len, v, why, sizeof why), "%s %s%s%s",
		   what, x->oid, x->kind == ABSENT ? ": " : "",
		   x->kind == ABSENT ? exception_name(x->number) : ""))
		return;
	tap_diag("%s", why);
}

const struct expect *expect_find(const struct expect *table, size_t rows,
				 const char *oid)
{
	for (size_t i = 0; i < rows; i++)
		if (strcmp(table[i].oid, oid) == 0)
			return &table[i];
	return NULL;
}

/* The object whose subtree holds name. */
static const struct xv_mib_table *owner(const struct xv_mib_table *objects,
					size_t n, const oid *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (len >= objects[i].root_len &&
		    snmp_oid_compare(name, objects[i].root_len, objects[i].root,
				     objects[i].root_len) == 0)
			return &objects[i];
	return NULL;
}

static int get(const struct xv_mib_table *objects, size_t n, const char *text,
	       oid *out, size_t *outlen, struct xv_mib_value *v)
{
	oid name[EXPECT_OID_MAX];
	size_t len = expect_parse(text, name);
	const struct xv_mib_table *o = owner(objects, n, name, len);

	if (!o)
		return SNMP_NOSUCHOBJECT;
	return xv_mib_table_resolve(o, false, false, name, len, out, outlen, v);
}

int expect_get(const struct xv_mib_table *objects, size_t n, const char *text,
	       struct xv_mib_value *v)
{
	oid out[EXPECT_OID_MAX];
	size_t outlen;

	return get(objects, n, text, out, &outlen, v);
}

void expect_check(const struct xv_mib_table *objects, size_t n,
		  const struct expect *table, size_t rows)
{
	oid out[EXPECT_OID_MAX];
	size_t outlen = 0;
	struct xv_mib_value v;

	for (size_t i = 0; i < rows; i++) {
		int rc = get(objects, n, table[i].oid, out, &outlen, &v);

		answer("GET", &table[i], rc, out, outlen, &v);
	}
}

size_t expect_walk(const struct xv_mib_table *t, const struct expect *table,
		   size_t rows)
{
	oid cur[EXPECT_OID_MAX], out[EXPECT_OID_MAX];
	size_t len = t->entry_len, outlen, count = 0, i = 0, present = 0;
	struct xv_mib_value v;
	char why[256] = "", at[EXPECT_OID_MAX * 11] = "";
	const char *end;
	bool good = true;
	int rc;

	for (size_t k = 0; k < rows; k++)
		present += table[k].kind != ABSENT;
	memcpy(cur, t->entry, len * sizeof *cur);
	for (;;) {
		rc = xv_mib_table_resolve(t, true, false, cur, len, out, &outlen, &v);
		while (i < rows && table[i].kind == ABSENT)
			i++;
		/* An answer that does not move on would walk for ever. */
		if (rc != 0 || snmp_oid_compare(out, outlen, cur, len) <= 0)
			break;
		if (good && i == rows) {
			oid_text(out, outlen, at, sizeof at);
			snprintf(why, sizeof why, "an instance past the last expected");
			good = false;
		} else if (good && !expect_matches(&table[i], rc, out, outlen, &v, why,
						   sizeof why)) {
			snprintf(at, sizeof at, "%s", table[i].oid);
			good = false;
		}
		i++;
		count++;
		memcpy(cur, out, outlen * sizeof *out);
		len = outlen;
	}
	end = rc ? exception_name((uint64_t)rc) : "an answer that goes back";
	if (good && i < rows) {
		snprintf(at, sizeof at, "%s", table[i].oid);
		snprintf(why, sizeof why, "not reached: %s after %zu instances", end, count);
		good = false;
	} else if (good && rc != SNMP_ENDOFMIBVIEW) {
		oid_text(cur, len, at, sizeof at);
		snprintf(why, sizeof why, "then %s, not endOfMibView", end);
		good = false;
	}
	if (!tap_ok(good, "a walk of %s: the %zu expected instances in order, then "
		    "endOfMibView", t->name, present))
		tap_diag("at %s: %s", at, why);
	return count;
}

/* A varbind's value as resolve gives it. */
static void value_of(const netsnmp_variable_list *vb, struct xv_mib_value *v)
{
	v->type = vb->type;
	v->data = vb->val.string;
	v->len = vb->val_len;
	switch (vb->type) {
	case ASN_COUNTER64:
		v->buf.c64 = *vb->val.counter64;
		break;
	case ASN_INTEGER:
	case ASN_GAUGE:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
		v->buf.ul = (u_long)*vb->val.integer;
		break;
	}
}

size_t expect_varbinds(const netsnmp_variable_list *vars,
		       const struct expect *table, size_t rows)
{
	struct xv_mib_value v;
	size_t count = 0;

	for (const netsnmp_variable_list *vb = vars; vb; vb = vb->next_variable) {
		if (count < rows) {
			value_of(vb, &v);
			answer("varbind", &table[count], 0, vb->name,
				      vb->name_length, &v);
		}
		count++;
	}
	for (size_t i = count; i < rows; i++)
		tap_ok(false, "varbind %s: missing", table[i].oid);
	return count;
}
