/* SPDX-License-Identifier: ISC */
/* xenVifTable as GET and GETNEXT see it: a vif table of three rows,
 * and a table of the {OID, type, value} expected of every column of
 * every row, read through the table's one column function. */
#include <stdio.h>
#include <string.h>

#include "../../agentx/mib_oids.h"
#include "../../agentx/mib_vif.h"
#include "mib_expect.h"
#include "tap.h"

/* The rows served.  Their values all differ, so that a column reading
 * another field, or another row, shows; the last row is at the top of
 * xenVifIndex's range. */
static const struct vif {
	uint32_t index, domid, devid;
	const char *domain, *uuid, *ifname, *bridge, *ips;
	const char *mac; /* NULL: none well-formed */
	int ifindex;
	bool up;
	bool split; /* the classifier counts it */
	struct xv_counters total;
	uint32_t discontinuity;
} vifs[] = {
	{3, 30, 0, "web1", "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11", "vif30.0",
	 "xenbr0", "192.0.2.3", "\x00\x16\x3e\x00\x00\x03", 11, true, true,
	 {{5000000003ULL, 31, 32, 33, 34, 35, 36, 37,
	   6000000003ULL, 301, 302, 303, 304, 305, 306, 307, 308, 309}}, 0},
	{7, 70, 1, "db1", "", "vif70.1", "", "", NULL, 0, false, false,
	 {{5000000007ULL, 71, 72, 73, 74, 75, 76, 77, 701, 702}}, 4242},
	{2147483647, 65535, 2, "edge", "0e7c41d2-5b8a-4f3e-8d21-9c6b1a2f3e4d",
	 "vif65535.2", "xenbr1", "192.0.2.9 2001:db8::9", "\x00\x16\x3e\xff\xff\xff",
	 2147483647, true, true,
	 {{7147483647ULL, 1, 2, 3, 18446744073709551615ULL, 5, 6, 7,
	   18446744073709551615ULL, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, 100},
};

/* The VM of row 7 (its key "vm7/1" is of VM "vm7"); rows 3 and
 * 2147483647 have none known yet. */
#define VM_OF_7 555

#define TABLE "1.3.6.1.4.1.8072.9999.98.1.3"
#define VIF TABLE ".1."
#define R3 ".3"
#define R7 ".7"
#define RMAX ".2147483647"

/* Column by column, as a walk gives them. */
static const struct expect table[] = {
	{VIF "2" R3, ASN_UNSIGNED, INT, 30, NULL},
	{VIF "2" R7, ASN_UNSIGNED, INT, 70, NULL},
	{VIF "2" RMAX, ASN_UNSIGNED, INT, 65535, NULL},
	{VIF "3" R3, ASN_OCTET_STR, TEXT, 0, "web1"},
	{VIF "3" R7, ASN_OCTET_STR, TEXT, 0, "db1"},
	{VIF "3" RMAX, ASN_OCTET_STR, TEXT, 0, "edge"},
	{VIF "4" R3, ASN_OCTET_STR, TEXT, 0, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"},
	{VIF "4" R7, ASN_OCTET_STR, TEXT, 0, ""},
	{VIF "4" RMAX, ASN_OCTET_STR, TEXT, 0, "0e7c41d2-5b8a-4f3e-8d21-9c6b1a2f3e4d"},
	{VIF "5" R3, ASN_UNSIGNED, INT, 0, NULL},
	{VIF "5" R7, ASN_UNSIGNED, INT, 1, NULL},
	{VIF "5" RMAX, ASN_UNSIGNED, INT, 2, NULL},
	{VIF "6" R3, ASN_OCTET_STR, TEXT, 0, "vif30.0"},
	{VIF "6" R7, ASN_OCTET_STR, TEXT, 0, "vif70.1"},
	{VIF "6" RMAX, ASN_OCTET_STR, TEXT, 0, "vif65535.2"},
	{VIF "7" R3, ASN_INTEGER, INT, 11, NULL},
	{VIF "7" R7, ASN_INTEGER, INT, 0, NULL},
	{VIF "7" RMAX, ASN_INTEGER, INT, 2147483647, NULL},
	{VIF "8" R3, ASN_OCTET_STR, HEX, 0, "00163e000003"},
	{VIF "8" R7, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL}, /* no MAC */
	{VIF "8" RMAX, ASN_OCTET_STR, HEX, 0, "00163effffff"},
	{VIF "9" R3, ASN_OCTET_STR, TEXT, 0, "xenbr0"},
	{VIF "9" R7, ASN_OCTET_STR, TEXT, 0, ""},
	{VIF "9" RMAX, ASN_OCTET_STR, TEXT, 0, "xenbr1"},
	{VIF "10" R3, ASN_OCTET_STR, TEXT, 0, "192.0.2.3"},
	{VIF "10" R7, ASN_OCTET_STR, TEXT, 0, ""},
	{VIF "10" RMAX, ASN_OCTET_STR, TEXT, 0, "192.0.2.9 2001:db8::9"},
	{VIF "11" R3, ASN_INTEGER, INT, 1, NULL},
	{VIF "11" R7, ASN_INTEGER, INT, 2, NULL},
	{VIF "11" RMAX, ASN_INTEGER, INT, 1, NULL},
	{VIF "12" R3, ASN_COUNTER64, C64, 5000000003ULL, NULL}, /* above 32 bits */
	{VIF "12" R7, ASN_COUNTER64, C64, 5000000007ULL, NULL},
	{VIF "12" RMAX, ASN_COUNTER64, C64, 7147483647ULL, NULL},
	{VIF "13" R3, ASN_COUNTER64, C64, 31, NULL},
	{VIF "13" R7, ASN_COUNTER64, C64, 71, NULL},
	{VIF "13" RMAX, ASN_COUNTER64, C64, 1, NULL},
	{VIF "14" R3, ASN_COUNTER64, C64, 32, NULL},
	{VIF "14" R7, ASN_COUNTER64, C64, 72, NULL},
	{VIF "14" RMAX, ASN_COUNTER64, C64, 2, NULL},
	{VIF "15" R3, ASN_COUNTER64, C64, 33, NULL},
	{VIF "15" R7, ASN_COUNTER64, C64, 73, NULL},
	{VIF "15" RMAX, ASN_COUNTER64, C64, 3, NULL},
	{VIF "16" R3, ASN_COUNTER64, C64, 34, NULL},
	{VIF "16" R7, ASN_COUNTER64, C64, 74, NULL},
	{VIF "16" RMAX, ASN_COUNTER64, C64, 18446744073709551615ULL, NULL},
	{VIF "17" R3, ASN_COUNTER64, C64, 35, NULL},
	{VIF "17" R7, ASN_COUNTER64, C64, 75, NULL},
	{VIF "17" RMAX, ASN_COUNTER64, C64, 5, NULL},
	{VIF "18" R3, ASN_COUNTER64, C64, 36, NULL},
	{VIF "18" R7, ASN_COUNTER64, C64, 76, NULL},
	{VIF "18" RMAX, ASN_COUNTER64, C64, 6, NULL},
	{VIF "19" R3, ASN_COUNTER64, C64, 37, NULL},
	{VIF "19" R7, ASN_COUNTER64, C64, 77, NULL},
	{VIF "19" RMAX, ASN_COUNTER64, C64, 7, NULL},
	{VIF "20" R3, ASN_TIMETICKS, INT, 0, NULL},
	{VIF "20" R7, ASN_TIMETICKS, INT, 4242, NULL},
	{VIF "20" RMAX, ASN_TIMETICKS, INT, 100, NULL},
	{VIF "21" R3, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL}, /* no VM known yet */
	{VIF "21" R7, ASN_UNSIGNED, INT, VM_OF_7, NULL},
	{VIF "21" RMAX, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	/* The classifier's: row 7 it does not count. */
	{VIF "22" R3, ASN_COUNTER64, C64, 6000000003ULL, NULL},
	{VIF "22" R7, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VIF "22" RMAX, ASN_COUNTER64, C64, 18446744073709551615ULL, NULL},
	{VIF "23" R3, ASN_COUNTER64, C64, 301, NULL},
	{VIF "23" RMAX, ASN_COUNTER64, C64, 0, NULL},
	{VIF "24" R3, ASN_COUNTER64, C64, 302, NULL},
	{VIF "24" RMAX, ASN_COUNTER64, C64, 0, NULL},
	{VIF "25" R3, ASN_COUNTER64, C64, 303, NULL},
	{VIF "25" RMAX, ASN_COUNTER64, C64, 0, NULL},
	{VIF "26" R3, ASN_COUNTER64, C64, 304, NULL},
	{VIF "26" RMAX, ASN_COUNTER64, C64, 0, NULL},
	{VIF "27" R3, ASN_COUNTER64, C64, 305, NULL},
	{VIF "27" RMAX, ASN_COUNTER64, C64, 0, NULL},
	{VIF "28" R3, ASN_COUNTER64, C64, 306, NULL},
	{VIF "28" RMAX, ASN_COUNTER64, C64, 0, NULL},
	{VIF "29" R3, ASN_COUNTER64, C64, 307, NULL},
	{VIF "29" R7, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VIF "29" RMAX, ASN_COUNTER64, C64, 0, NULL},
	/* What a GET finds nothing at. */
	{VIF "2.4", 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},   /* no such row */
	{VIF "2.4.0", 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL}, /* a longer index */
	{VIF "2.7.0", 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VIF "2", 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},     /* no index */
	{VIF "30.7", 0, ABSENT, SNMP_NOSUCHOBJECT, NULL},    /* no such column */
	{VIF "1.7", 0, ABSENT, SNMP_NOSUCHOBJECT, NULL},     /* the index: not readable */
};

/* What a GETNEXT from an OID gives (inclusive: with AgentX's include
 * flag): the instance of that row of table, NULL: endOfMibView. */
static const struct next {
	const char *from;
	bool inclusive;
	const char *gives;
	const char *what;
} nexts[] = {
	{TABLE, false, VIF "2" R3, "GETNEXT of the table: the first instance"},
	{VIF "2" R3, false, VIF "2" R7, "then the next row"},
	{VIF "2" RMAX, false, VIF "3" R3, "past the last row: next column"},
	{VIF "8" R3, false, VIF "8" RMAX, "a row without a MAC is skipped in its column"},
	{VIF "8.5.99", false, VIF "8" RMAX, "a partial index between rows"},
	{VIF "2.4294967295", false, VIF "3" R3,
	 "an index beyond the range moves to the next column"},
	{VIF "21" R7, false, VIF "22" R3, "past a column: the first instance of the next"},
	{VIF "22" R3, false, VIF "22" RMAX, "a row the classifier does not count is skipped"},
	{VIF "29" RMAX, false, NULL, "after the last instance: nothing"},
	{VIF "0", false, VIF "2" R3, "column 0: first instance"},
	{VIF "99", false, NULL, "column past the last: nothing"},
	{VIF "2" R7, true, VIF "2" R7, "GETNEXT with AgentX include: the instance itself"},
};

static struct xv_vif_table t;
static struct xv_vm_table vms;
static struct xv_mib_table desc;
static const struct xv_mib_vif_ctx ctx = {&t, &vms, NULL};

static void setup(void)
{
	struct xv_vif_row *r;
	struct xv_vm *vm;
	char key[32];

	xv_vif_table_init(&t);
	xv_vm_table_init(&vms);
	for (size_t i = 0; i < EXPECT_ROWS(vifs); i++) {
		const struct vif *m = &vifs[i];

		snprintf(key, sizeof key, "vm%u/%u", m->index, m->devid);
		xv_vif_table_add(&t, m->index, key, &r);
		r->entry.active = true;
		r->domid = m->domid;
		r->devid = m->devid;
		r->domain_name = strdup(m->domain);
		snprintf(r->uuid, sizeof r->uuid, "%s", m->uuid);
		r->ifname = strdup(m->ifname);
		r->bridge = strdup(m->bridge);
		r->ips = strdup(m->ips);
		r->has_mac = m->mac != NULL;
		if (m->mac)
			memcpy(r->mac, m->mac, sizeof r->mac);
		r->ifindex = m->ifindex;
		r->oper_up = m->up;
		r->total = m->total;
		r->split = m->split;
		r->discontinuity = m->discontinuity;
	}
	xv_registry_rebuild_view(&t.rows);
	xv_vm_table_add(&vms, VM_OF_7, "vm7", &vm);
	xv_mib_vif_describe(&desc, &ctx);
}

static void check_nexts(void)
{
	oid name[EXPECT_OID_MAX], out[EXPECT_OID_MAX];
	size_t outlen = 0;
	struct xv_mib_value v;
	char why[256];

	for (size_t i = 0; i < EXPECT_ROWS(nexts); i++) {
		const struct next *n = &nexts[i];
		const struct expect end = {n->from, 0, ABSENT, SNMP_ENDOFMIBVIEW, NULL};
		const struct expect *x =
			n->gives ? expect_find(table, EXPECT_ROWS(table), n->gives) : &end;
		size_t len = expect_parse(n->from, name);
		int rc = xv_mib_table_resolve(&desc, true, n->inclusive, name, len, out,
					      &outlen, &v);

		if (!x)
			snprintf(why, sizeof why, "no row %s in the table", n->gives);
		if (!tap_ok(x && expect_matches(x, rc, out, outlen, &v, why, sizeof why),
			    "%s", n->what))
			tap_diag("%s", why);
	}
}

int main(void)
{
	static const oid entry[] = {XV_OID_VIF_ENTRY};
	oid out[EXPECT_OID_MAX];
	size_t outlen;
	struct xv_mib_value v;

	setup();
	expect_check(&desc, 1, table, EXPECT_ROWS(table));
	check_nexts();
	tap_is_u64(expect_walk(&desc, table, EXPECT_ROWS(table)), 19 * 3 - 1 + 1 + 8 * 2,
		   "a walk: 19 columns x 3 rows, one MAC missing, one VM known, "
		   "and 8 of the classifier's for the 2 rows it counts");

	t.rows.nactive = 0;
	tap_is_u64(xv_mib_table_resolve(&desc, true, false, entry, OID_LENGTH(entry),
					out, &outlen, &v),
		   SNMP_ENDOFMIBVIEW, "empty table");
	xv_vif_table_free(&t);
	xv_vm_table_free(&vms);
	return tap_done();
}
