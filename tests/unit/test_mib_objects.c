/* SPDX-License-Identifier: ISC */
/* The objects the switch's context serves, checked against a table of
 * expected {OID, type, value}: one VM with one vif, known values, a GET
 * of each through the object that owns it. */
#include <stdio.h>
#include <string.h>

#include "../../agentx/mib_switch.h"
#include "../../agentx/mib_vif.h"
#include "../../agentx/mib_vm.h"
#include "mib_expect.h"
#include "tap.h"

#define IFX "1.3.6.1.2.1.31.1.1.1."
#define IF "1.3.6.1.2.1.2.2.1."
#define VIF "1.3.6.1.4.1.8072.9999.98.1.3.1."
#define I ".77"

static const struct expect table[] = {
	{"1.3.6.1.2.1.1.2.0", ASN_OBJECT_ID, OIDV, 0, "1.3.6.1.4.1.8072.9999.98.3.1"},
	{"1.3.6.1.2.1.1.3.0", ASN_TIMETICKS, INT, 1234 + 500, NULL},
	{"1.3.6.1.2.1.1.4.0", ASN_OCTET_STR, TEXT, 0, "noc"},
	{"1.3.6.1.2.1.1.5.0", ASN_OCTET_STR, TEXT, 0, "xen.host1"},
	{"1.3.6.1.2.1.1.6.0", ASN_OCTET_STR, TEXT, 0, ""},
	{"1.3.6.1.2.1.1.7.0", ASN_INTEGER, INT, 2, NULL},
	{"1.3.6.1.2.1.2.1.0", ASN_INTEGER, INT, 1, NULL},
	{IF "1" I, ASN_INTEGER, INT, 77, NULL},
	{IF "2" I, ASN_OCTET_STR, TEXT, 0, "web1 vif 0"},
	{IF "3" I, ASN_INTEGER, INT, 6, NULL},
	{IF "4" I, ASN_INTEGER, INT, 9000, NULL},
	{IF "5" I, ASN_GAUGE, INT, 20000000, NULL},
	{IF "6" I, ASN_OCTET_STR, HEX, 0, "00163e5a0102"},
	{IF "7" I, ASN_INTEGER, INT, 1, NULL},
	{IF "8" I, ASN_INTEGER, INT, 1, NULL},
	{IF "9" I, ASN_TIMETICKS, INT, 100, NULL},
	{IF "10" I, ASN_COUNTER, INT, 5, NULL}, /* low half of 2^32 + 5 */
	{IF "11" I, ASN_COUNTER, INT, 3, NULL},
	{IF "12" I, ASN_COUNTER, INT, 7, NULL}, /* broadcast + multicast */
	{IF "13" I, ASN_COUNTER, INT, 1, NULL},
	{IF "14" I, ASN_COUNTER, INT, 2, NULL},
	{IF "15" I, ASN_COUNTER, INT, 0, NULL},
	{IF "16" I, ASN_COUNTER, INT, 1400, NULL},
	{IF "17" I, ASN_COUNTER, INT, 4, NULL},
	{IF "18" I, ASN_COUNTER, INT, 3, NULL},
	{IF "19" I, ASN_COUNTER, INT, 3, NULL},
	{IF "20" I, ASN_COUNTER, INT, 4, NULL},
	{IF "21" I, ASN_GAUGE, INT, 0, NULL},
	{IF "22" I, ASN_OBJECT_ID, OIDV, 0, "0.0"},
	{"1.3.6.1.2.1.17.1.1.0", ASN_OCTET_STR, HEX, 0, NULL}, /* the address */
	{"1.3.6.1.2.1.17.1.2.0", ASN_INTEGER, INT, 1, NULL},
	{"1.3.6.1.2.1.17.1.3.0", ASN_INTEGER, INT, 2, NULL},
	{"1.3.6.1.2.1.17.1.4.1.1.1", ASN_INTEGER, INT, 1, NULL},
	{"1.3.6.1.2.1.17.1.4.1.2.1", ASN_INTEGER, INT, 77, NULL},
	{"1.3.6.1.2.1.17.1.4.1.3.1", ASN_OBJECT_ID, OIDV, 0, "0.0"},
	{"1.3.6.1.2.1.17.1.4.1.4.1", ASN_COUNTER, INT, 0, NULL},
	{"1.3.6.1.2.1.17.1.4.1.5.1", ASN_COUNTER, INT, 0, NULL},
	{"1.3.6.1.2.1.17.4.3.1.1.0.22.62.90.1.2", ASN_OCTET_STR, HEX, 0, "00163e5a0102"},
	{"1.3.6.1.2.1.17.4.3.1.2.0.22.62.90.1.2", ASN_INTEGER, INT, 1, NULL},
	{"1.3.6.1.2.1.17.4.3.1.3.0.22.62.90.1.2", ASN_INTEGER, INT, 3, NULL},
	{IFX "1" I, ASN_OCTET_STR, TEXT, 0, "web1.0"},
	{IFX "2" I, ASN_COUNTER, INT, 4, NULL},
	{IFX "3" I, ASN_COUNTER, INT, 3, NULL},
	{IFX "4" I, ASN_COUNTER, INT, 1, NULL},
	{IFX "5" I, ASN_COUNTER, INT, 2, NULL},
	{IFX "6" I, ASN_COUNTER64, C64, 4294967301ULL, NULL},
	{IFX "7" I, ASN_COUNTER64, C64, 3, NULL},
	{IFX "8" I, ASN_COUNTER64, C64, 4, NULL},
	{IFX "9" I, ASN_COUNTER64, C64, 3, NULL},
	{IFX "10" I, ASN_COUNTER64, C64, 1400, NULL},
	{IFX "11" I, ASN_COUNTER64, C64, 4, NULL},
	{IFX "12" I, ASN_COUNTER64, C64, 1, NULL},
	{IFX "13" I, ASN_COUNTER64, C64, 2, NULL},
	{IFX "14" I, ASN_INTEGER, INT, 2, NULL},
	{IFX "15" I, ASN_GAUGE, INT, 20, NULL},
	{IFX "16" I, ASN_INTEGER, INT, 2, NULL},
	{IFX "17" I, ASN_INTEGER, INT, 1, NULL},
	{IFX "18" I, ASN_OCTET_STR, TEXT, 0, "web1"},
	{IFX "19" I, ASN_TIMETICKS, INT, 0, NULL},
	{"1.3.6.1.2.1.31.1.5.0", ASN_TIMETICKS, INT, 100, NULL},
	{"1.3.6.1.4.1.8072.9999.98.1.1.0", ASN_UNSIGNED, INT, 1, NULL},
	{VIF "2" I, ASN_UNSIGNED, INT, 3, NULL},
	{VIF "3" I, ASN_OCTET_STR, TEXT, 0, "web1"},
	{VIF "12" I, ASN_COUNTER64, C64, 4294967301ULL, NULL},
};

static struct xv_vif_table t;
static struct xv_vm_table vms;
static struct xv_switch sw;
static struct xv_config cfg;

static uint32_t master_now(void)
{
	return 1234;
}

static const struct xv_mib_switch_ctx sctx = {&sw, &cfg.sw, master_now};
static const struct xv_mib_vif_ctx vctx = {&t, &vms, &sw};
static struct xv_mib_table objects[XV_MIB_SYSTEM_OBJECTS + XV_MIB_IFMIB_OBJECTS +
				   XV_MIB_BRIDGE_OBJECTS + XV_MIB_VIF_OBJECTS +
				   XV_MIB_VM_OBJECTS];
static size_t nobjects;

static void setup(void)
{
	struct xv_switch_input in = {&t, &cfg.sw, 1000, 100, "host1", "Linux"};
	struct xv_vif_row *r;

	xv_config_defaults(&cfg);
	snprintf(cfg.sw.contact, sizeof cfg.sw.contact, "noc");
	xv_vif_table_init(&t);
	xv_vm_table_init(&vms);
	xv_switch_init(&sw);
	xv_vif_table_add(&t, 77, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11/0", &r);
	r->entry.active = true;
	r->oper_up = true;
	r->domid = 3;
	r->domain_name = strdup("web1");
	r->ifname = strdup("vif3.0");
	r->bridge = strdup("xenbr0");
	r->ips = strdup("");
	snprintf(r->uuid, sizeof r->uuid, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11");
	r->has_mac = true;
	memcpy(r->mac, "\x00\x16\x3e\x5a\x01\x02", 6);
	r->rate_bps = 20000000;
	r->mtu = 9000;
	/* In: 3 unicast, 3 broadcast, 4 multicast; Out: 4, 2, 1, as the
	 * classifier split them. */
	r->total = (struct xv_counters){{4294967301ULL, 10, 1, 2, 1400, 7, 3, 4,
					 500, 2, 2, 1, 0, 0, 3, 4, 4, 3}};
	xv_registry_rebuild_view(&t.rows);
	sw.offset_ticks = 500;
	xv_switch_update(&sw, &in);

	struct xv_mib_table *o = objects;
	o += xv_mib_system_objects(o, &sctx);
	o += xv_mib_ifmib_objects(o, &sctx);
	o += xv_mib_bridge_objects(o, &sctx);
	o += xv_mib_vif_objects(o, &vctx);
	o += xv_mib_vm_objects(o, &vms);
	nobjects = (size_t)(o - objects);
}

int main(void)
{
	struct xv_mib_value v;

	setup();
	expect_check(objects, nobjects, table, EXPECT_ROWS(table));
	/* sysDescr is the one object whose value depends on the build. */
	tap_ok(expect_get(objects, nobjects, "1.3.6.1.2.1.1.1.0", &v) == 0 &&
		       v.type == ASN_OCTET_STR && v.len > 0, "sysDescr answers");
	xv_switch_free(&sw);
	xv_vif_table_free(&t);
	xv_vm_table_free(&vms);
	return tap_done();
}
