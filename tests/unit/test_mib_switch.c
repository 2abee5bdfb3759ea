/* SPDX-License-Identifier: ISC */
/* The switch view's objects as GET and GETNEXT see them: scalars,
 * ifTable, ifXTable, the bridge's port table and its forwarding table,
 * whose index is a MAC address (six sub-identifiers). */
#include <string.h>

#include "../../agentx/mib_switch.h"
#include "../../agentx/std_oids.h"
#include "tap.h"

static struct xv_vif_table t;
static struct xv_switch sw;
static struct xv_config cfg;

static uint32_t master_now(void)
{
	return 1234;
}

static const struct xv_mib_switch_ctx ctx = {&sw, &cfg.sw, master_now};
static struct xv_mib_table system_objects[XV_MIB_SYSTEM_OBJECTS];
static struct xv_mib_table ifmib[XV_MIB_IFMIB_OBJECTS];
static struct xv_mib_table bridge[XV_MIB_BRIDGE_OBJECTS];

static void add_row(uint32_t index, const char *name, uint8_t mac_last)
{
	struct xv_vif_row *r;
	char key[32];

	snprintf(key, sizeof key, "vm%u/0", index);
	xv_vif_table_add(&t, index, key, &r);
	r->entry.active = true;
	r->oper_up = true;
	r->domain_name = strdup(name);
	r->has_mac = true;
	memcpy(r->mac, "\x00\x16\x3e\x00\x00", 5);
	r->mac[5] = mac_last;
	r->total.v[XV_IN_OCTETS] = 0x100000005ULL;
	r->total.v[XV_OUT_PKTS] = 7;
}

/* GET (getnext false) or GETNEXT of name; the answer's OID in out. */
static int ask(const struct xv_mib_table *tb, bool getnext, const oid *name,
	       size_t len, oid *out, size_t *outlen, struct xv_mib_value *v)
{
	return xv_mib_table_resolve(tb, getnext, false, name, len, out, outlen, v);
}

static bool same_oid(const oid *a, size_t alen, const oid *b, size_t blen)
{
	return snmp_oid_compare(a, alen, b, blen) == 0;
}

static void test_scalars(void)
{
	static const oid sys_name[] = {XV_OID_SYSTEM, 5, 0};
	static const oid sys_up[] = {XV_OID_SYSTEM, 3, 0};
	static const oid sys_descr[] = {XV_OID_SYSTEM, 1};
	static const oid sys_descr0[] = {XV_OID_SYSTEM, 1, 0};
	oid out[40];
	size_t outlen;
	struct xv_mib_value v;

	tap_is_u64(ask(&system_objects[4], false, sys_name, OID_LENGTH(sys_name), out,
		       &outlen, &v), 0, "GET sysName.0");
	tap_ok(v.type == ASN_OCTET_STR && v.len == strlen("xen.h") &&
		       memcmp(v.data, "xen.h", v.len) == 0, "xen.h");
	sw.offset_ticks = 100;
	ask(&system_objects[2], false, sys_up, OID_LENGTH(sys_up), out, &outlen, &v);
	tap_ok(v.type == ASN_TIMETICKS && v.buf.ul == 1334,
	       "sysUpTime: the master's plus the switch's offset");
	tap_is_u64(ask(&system_objects[0], false, sys_descr, OID_LENGTH(sys_descr), out,
		       &outlen, &v), SNMP_NOSUCHINSTANCE, "sysDescr without .0");
	tap_is_u64(ask(&system_objects[0], true, sys_descr, OID_LENGTH(sys_descr), out,
		       &outlen, &v), 0, "GETNEXT of sysDescr");
	tap_ok(same_oid(out, outlen, sys_descr0, OID_LENGTH(sys_descr0)), "is sysDescr.0");
	tap_is_u64(ask(&system_objects[0], true, sys_descr0, OID_LENGTH(sys_descr0), out,
		       &outlen, &v), SNMP_ENDOFMIBVIEW,
		   "nothing after it in its registration");
}

static void test_interfaces(void)
{
	static const oid if_entry[] = {XV_OID_IF_ENTRY};
	oid name[40], out[40];
	size_t outlen, e = OID_LENGTH(if_entry);
	struct xv_mib_value v;

	memcpy(name, if_entry, sizeof if_entry);
	name[e] = XV_IF_IN_OCTETS;
	name[e + 1] = 20;
	tap_is_u64(ask(&ifmib[1], false, name, e + 2, out, &outlen, &v), 0,
		   "GET ifInOctets");
	tap_ok(v.type == ASN_COUNTER && v.buf.ul == 5, "the low 32 bits");
	name[e] = XV_IF_SPEED;
	ask(&ifmib[1], false, name, e + 2, out, &outlen, &v);
	tap_ok(v.type == ASN_GAUGE && v.buf.ul == 4294967295U,
	       "ifSpeed of 10 Gbit/s: Gauge32's top");
	name[e] = XV_IF_PHYS_ADDRESS;
	ask(&ifmib[1], false, name, e + 2, out, &outlen, &v);
	tap_ok(v.len == 6 && memcmp(v.data, "\x00\x16\x3e\x00\x00\x02", 6) == 0,
	       "ifPhysAddress: the VM's MAC");
	name[e] = XV_IF_SPECIFIC;
	ask(&ifmib[1], false, name, e + 2, out, &outlen, &v);
	tap_ok(v.type == ASN_OBJECT_ID && v.len == 2 * sizeof(oid) && v.buf.oids[0] == 0,
	       "ifSpecific 0.0");
	name[e] = XV_IF_DESCR;
	name[e + 1] = 15;
	tap_is_u64(ask(&ifmib[1], true, name, e + 2, out, &outlen, &v), 0,
		   "GETNEXT between two ifIndexes");
	tap_ok(out[e] == XV_IF_DESCR && out[e + 1] == 20 && v.len == 9 &&
		       memcmp(v.data, "db1 vif 0", 9) == 0, "the next port's ifDescr");

	static const oid ifx_entry[] = {XV_OID_IFX_ENTRY};
	memcpy(name, ifx_entry, sizeof ifx_entry);
	e = OID_LENGTH(ifx_entry);
	name[e] = XV_IFX_HC_IN_OCTETS;
	name[e + 1] = 10;
	ask(&ifmib[2], false, name, e + 2, out, &outlen, &v);
	tap_ok(v.type == ASN_COUNTER64 && v.buf.c64.high == 1 && v.buf.c64.low == 5,
	       "ifHCInOctets: all 64 bits");
	name[e] = XV_IFX_HIGH_SPEED;
	ask(&ifmib[2], false, name, e + 2, out, &outlen, &v);
	tap_ok(v.type == ASN_GAUGE && v.buf.ul == 10000, "ifHighSpeed in Mbit/s");
	name[e] = XV_IFX_COUNTER_DISCONTINUITY_TIME + 1;
	tap_is_u64(ask(&ifmib[2], false, name, e + 2, out, &outlen, &v),
		   SNMP_NOSUCHOBJECT, "no column past ifCounterDiscontinuityTime");
}

static void test_bridge(void)
{
	static const oid fdb_entry[] = {XV_OID_DOT1D_FDB_ENTRY};
	static const oid port_entry[] = {XV_OID_DOT1D_BASE_PORT_ENTRY};
	oid name[40], out[40];
	size_t outlen, e = OID_LENGTH(fdb_entry);
	struct xv_mib_value v;

	memcpy(name, fdb_entry, sizeof fdb_entry);
	name[e] = 2; /* dot1dTpFdbPort */
	memcpy(name + e + 1, (oid[]){0, 22, 62, 0, 0, 3}, 6 * sizeof(oid));
	tap_is_u64(ask(&bridge[4], false, name, e + 7, out, &outlen, &v), 0,
		   "GET dot1dTpFdbPort by MAC");
	tap_ok(v.type == ASN_INTEGER && v.buf.ul == 3, "the port of that MAC");
	tap_is_u64(ask(&bridge[4], false, name, e + 6, out, &outlen, &v),
		   SNMP_NOSUCHINSTANCE, "a MAC of five octets is no instance");
	tap_is_u64(ask(&bridge[4], true, name, e + 4, out, &outlen, &v), 0,
		   "GETNEXT from a partial MAC");
	tap_ok(outlen == e + 7 && out[e + 6] == 1, "the first MAC after it");
	name[e + 4] = 300; /* not an octet: after every MAC of 00:16:3e:00 */
	ask(&bridge[4], true, name, e + 5, out, &outlen, &v);
	tap_ok(outlen == e + 7 && out[e] == 3 && out[e + 6] == 1,
	       "an index beyond the octets moves to the next column");
	memcpy(name + e + 1, (oid[]){0, 22, 62, 0, 0, 3}, 6 * sizeof(oid));
	ask(&bridge[4], true, name, e + 7, out, &outlen, &v);
	tap_ok(out[e] == 3 && v.buf.ul == 3, "after the last MAC: dot1dTpFdbStatus learned");

	memcpy(name, port_entry, sizeof port_entry);
	e = OID_LENGTH(port_entry);
	name[e] = 2;
	name[e + 1] = 2;
	ask(&bridge[3], false, name, e + 2, out, &outlen, &v);
	tap_ok(v.buf.ul == 20, "dot1dBasePortIfIndex of port 2");

	/* A full walk of the forwarding table: 3 columns x 3 MACs. */
	size_t count = 0, len = e = OID_LENGTH(fdb_entry);
	oid cur[40];
	memcpy(cur, fdb_entry, sizeof fdb_entry);
	while (ask(&bridge[4], true, cur, len, out, &outlen, &v) == 0) {
		if (snmp_oid_compare(out, outlen, cur, len) <= 0)
			break;
		memcpy(cur, out, outlen * sizeof *out);
		len = outlen;
		count++;
	}
	tap_is_u64(count, 9, "a walk visits each instance once, in order");
}

int main(void)
{
	struct xv_config defaults;
	struct xv_switch_input in = {&t, &cfg.sw, 1000, 10, "h", "Linux"};

	xv_config_defaults(&defaults);
	cfg = defaults;
	xv_vif_table_init(&t);
	xv_switch_init(&sw);
	add_row(10, "web1", 1);
	add_row(20, "db1", 2);
	add_row(30, "mail", 3);
	xv_registry_rebuild_view(&t.rows);
	xv_switch_update(&sw, &in);
	xv_mib_system_objects(system_objects, &ctx);
	xv_mib_ifmib_objects(ifmib, &ctx);
	xv_mib_bridge_objects(bridge, &ctx);
	test_scalars();
	test_interfaces();
	test_bridge();
	xv_switch_free(&sw);
	xv_vif_table_free(&t);
	return tap_done();
}
