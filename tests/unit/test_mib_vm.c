/* SPDX-License-Identifier: ISC */
/* xenVifVmTable as GET and GETNEXT see it, and the notifications built
 * from the same values: two VMs, and a table of the {OID, type, value}
 * expected of every column of each, read through the table's one
 * column function. */
#include <stdio.h>
#include <string.h>

#include "../../agentx/mib_oids.h"
#include "../../agentx/mib_vm.h"
#include "../../agentx/notify.h"
#include "mib_expect.h"
#include "tap.h"
#include "xenvif/period.h"

#define VM "1.3.6.1.4.1.8072.9999.98.1.5.1."
#define R42 ".42"
#define R43 ".43"
#define UUID42 "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"

/* Column by column, as a walk gives them.  VM 42 is over its quota and
 * in an out-rate alarm, and the hypervisor has not been read for it;
 * VM 43 has no quota, an in-rate threshold it is below, and resources. */
static const struct expect table[] = {
	{VM "2" R42, ASN_UNSIGNED, INT, 3, NULL},
	{VM "2" R43, ASN_UNSIGNED, INT, 8, NULL},
	{VM "3" R42, ASN_OCTET_STR, TEXT, 0, "web1"},
	{VM "3" R43, ASN_OCTET_STR, TEXT, 0, "db1"},
	{VM "4" R42, ASN_OCTET_STR, TEXT, 0, UUID42},
	{VM "4" R43, ASN_OCTET_STR, TEXT, 0, ""},
	/* DateAndTime: 2026-11-01 00:00 and 2026-11-15 12:30, +01:00 */
	{VM "5" R42, ASN_OCTET_STR, HEX, 0, "07ea0b01000000002b0100"},
	{VM "5" R43, ASN_OCTET_STR, HEX, 0, "07ea0b0f0c1e00002b0100"},
	{VM "6" R42, ASN_COUNTER64, C64, 6000000000ULL, NULL}, /* above 32 bits */
	{VM "6" R43, ASN_COUNTER64, C64, 0, NULL},
	{VM "7" R42, ASN_COUNTER64, C64, 7, NULL},
	{VM "7" R43, ASN_COUNTER64, C64, 12345678901ULL, NULL},
	{VM "8" R42, ASN_COUNTER64, C64, 5000000000ULL, NULL},
	{VM "8" R43, ASN_COUNTER64, C64, 0, NULL},
	{VM "9" R42, ASN_INTEGER, INT, 1, NULL}, /* in(1) */
	{VM "9" R43, ASN_INTEGER, INT, 3, NULL}, /* total(3) */
	{VM "10" R42, ASN_UNSIGNED, INT, 120, NULL},
	{VM "10" R43, ASN_UNSIGNED, INT, 0, NULL},
	{VM "11" R42, ASN_INTEGER, INT, 4, NULL}, /* exceeded(4) */
	{VM "11" R43, ASN_INTEGER, INT, 1, NULL}, /* none(1) */
	{VM "12" R42, ASN_UNSIGNED, INT, 80, NULL},
	{VM "12" R43, ASN_UNSIGNED, INT, 0, NULL},
	{VM "13" R42, ASN_COUNTER64, C64, 3000, NULL},
	{VM "13" R43, ASN_COUNTER64, C64, 1500, NULL},
	{VM "14" R42, ASN_COUNTER64, C64, 5000, NULL},
	{VM "14" R43, ASN_COUNTER64, C64, 0, NULL},
	{VM "15" R42, ASN_COUNTER64, C64, 0, NULL},
	{VM "15" R43, ASN_COUNTER64, C64, 2000, NULL},
	{VM "16" R42, ASN_COUNTER64, C64, 1000, NULL},
	{VM "16" R43, ASN_COUNTER64, C64, 0, NULL},
	{VM "17" R42, ASN_INTEGER, INT, 1, NULL}, /* no in threshold: none(1) */
	{VM "17" R43, ASN_INTEGER, INT, 2, NULL}, /* below it: ok(2) */
	{VM "18" R42, ASN_INTEGER, INT, 3, NULL}, /* raised: alarm(3) */
	{VM "18" R43, ASN_INTEGER, INT, 1, NULL},
	{VM "19" R42, ASN_OCTET_STR, TEXT, 0, "vif3.0 vif3.0-emu"},
	{VM "19" R43, ASN_OCTET_STR, TEXT, 0, "vif8.0"},
	{VM "20" R42, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL}, /* no resources */
	{VM "20" R43, ASN_INTEGER, INT, 2, NULL},            /* blocked(2) */
	{VM "21" R42, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VM "21" R43, ASN_UNSIGNED, INT, 4, NULL},
	{VM "22" R42, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VM "22" R43, ASN_COUNTER64, C64, 2097152, NULL},
	{VM "23" R42, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VM "23" R43, ASN_COUNTER64, C64, 4194304, NULL},
	{VM "24" R42, 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL},
	{VM "24" R43, ASN_COUNTER64, C64, 123456789012345ULL, NULL},
	/* Out: web1 addressed (nothing counted yet), db1 mixed. */
	{VM "25" R42, ASN_INTEGER, INT, 2, NULL},
	{VM "25" R43, ASN_INTEGER, INT, 3, NULL},
	{VM "26" R42, ASN_COUNTER64, C64, 0, NULL},
	{VM "26" R43, ASN_COUNTER64, C64, 5000000001ULL, NULL},
	{VM "27" R42, ASN_COUNTER64, C64, 0, NULL},
	{VM "27" R43, ASN_COUNTER64, C64, 9000, NULL},
	{VM "28" R42, ASN_COUNTER64, C64, 0, NULL},
	{VM "28" R43, ASN_COUNTER64, C64, 8000, NULL},
	{VM "29" R42, ASN_INTEGER, INT, 1, NULL}, /* none(1) */
	{VM "29" R43, ASN_INTEGER, INT, 3, NULL}, /* alarm(3) */
	/* What a GET finds nothing at. */
	{VM "2.44", 0, ABSENT, SNMP_NOSUCHINSTANCE, NULL}, /* no such VM */
	{VM "1.42", 0, ABSENT, SNMP_NOSUCHOBJECT, NULL},   /* the index: not readable */
	{VM "30.42", 0, ABSENT, SNMP_NOSUCHOBJECT, NULL},  /* no such column */
};

/* What each notification carries after snmpTrapOID.0, in order; their
 * values are the ones a GET gives. */
static const char *const quota_objects[] = {
	VM "3" R42, VM "4" R42, VM "6" R42, VM "7" R42,
	VM "8" R42, VM "9" R42, VM "10" R42, VM "19" R42,
};
static const char *const rate_objects[] = {
	VM "3" R42, VM "4" R42, VM "13" R42, VM "14" R42, VM "15" R42,
	VM "16" R42, VM "17" R42, VM "18" R42, VM "19" R42,
};
static const char *const flood_objects[] = {
	VM "3" R43, VM "4" R43, VM "27" R43, VM "28" R43, VM "29" R43, VM "19" R43,
};

static struct xv_vm_table vms;
static struct xv_config cfg;

static struct xv_vm *add_vm(uint32_t index, uint32_t domid, const char *name,
			    const char *uuid, const char *devices, time_t start)
{
	struct xv_vm *vm;

	xv_vm_table_add(&vms, index, name, &vm);
	vm->entry.active = true;
	vm->domid = domid;
	vm->name = strdup(name);
	snprintf(vm->uuid, sizeof vm->uuid, "%s", uuid);
	vm->devices = strdup(devices);
	vm->period_start = start;
	xv_period_date_and_time(&cfg.period, start, vm->start_dt);
	return vm;
}

static struct xv_vm *setup(void)
{
	char err[128];
	struct xv_vm *vm, *db;

	xv_vm_table_init(&vms);
	xv_config_defaults(&cfg);
	xv_config_set(&cfg, "accountingPeriod", "monthly 1 Europe/Berlin", err, sizeof err);
	vm = add_vm(42, 3, "web1", UUID42, "vif3.0 vif3.0-emu", 1793487600);
	vm->period_in = 6000000000ULL;
	vm->period_out = 7;
	vm->quota = 5000000000ULL;
	vm->quota_dir = XV_DIR_IN;
	vm->warn_percent = 80;
	vm->status = XV_QUOTA_EXCEEDED;
	vm->used_percent = 120;
	vm->rate[XV_RATE_IN].bits_per_second = 3000;
	vm->rate[XV_RATE_OUT].threshold = 1000;
	vm->rate[XV_RATE_OUT].alarm = true;
	vm->rate[XV_RATE_OUT].bits_per_second = 5000;
	vm->addressed_now = true;

	db = add_vm(43, 8, "db1", "", "vif8.0", 1793487600 + 14 * 86400 + 45000);
	db->period_out = 12345678901ULL;
	db->quota_dir = XV_DIR_TOTAL;
	db->status = XV_QUOTA_NONE;
	db->rate[XV_RATE_IN].threshold = 2000;
	db->rate[XV_RATE_IN].bits_per_second = 1500;
	db->has_resources = true;
	db->state = XV_DOMAIN_BLOCKED;
	db->vcpus = 4;
	db->mem_kb = 2097152;
	db->max_mem_kb = 4194304;
	db->cpu_total_ns = 123456789012345ULL;
	db->out_mode = XV_OUT_MODE_MIXED;
	db->period_out_foreign = 5000000001ULL;
	db->rate[XV_RATE_FLOOD].bits_per_second = 9000;
	db->rate[XV_RATE_FLOOD].threshold = 8000;
	db->rate[XV_RATE_FLOOD].alarm = true;
	xv_registry_rebuild_view(&vms.vms);
	return vm;
}

/* The notification's varbinds: snmpTrapOID.0 = its OID (text), then
 * the objects named, with their rows of table. */
static size_t check_notification(const struct xv_vm *vm, enum xv_notice_kind kind,
				 const char *notification,
				 const char *const *objects, size_t n)
{
	/* snmpTrapOID.0, then no more objects than the table has columns */
	struct expect want[1 + XV_VMCOL_LAST] = {
		{"1.3.6.1.6.3.1.1.4.1.0", ASN_OBJECT_ID, OIDV, 0, notification},
	};
	netsnmp_variable_list *vars;
	size_t count;

	for (size_t i = 0; i < n; i++) {
		const struct expect *x = expect_find(table, EXPECT_ROWS(table), objects[i]);

		if (!x)
			return 0; /* a name not in the table: the count fails */
		want[1 + i] = *x;
	}
	vars = xv_notify_varbinds(vm, kind);
	count = expect_varbinds(vars, want, 1 + n);
	snmp_free_varbind(vars);
	return count;
}

int main(void)
{
	struct xv_mib_table desc;
	struct xv_vm *vm = setup();

	xv_mib_vm_describe(&desc, &vms);
	expect_check(&desc, 1, table, EXPECT_ROWS(table));
	tap_is_u64(expect_walk(&desc, table, EXPECT_ROWS(table)), 23 * 2 + 5,
		   "a walk: 28 columns x 2 VMs, the 5 of resources known of one");

	tap_is_u64(check_notification(vm, XV_NOTICE_QUOTA_EXCEEDED,
				      "1.3.6.1.4.1.8072.9999.98.0.2", quota_objects,
				      EXPECT_ROWS(quota_objects)),
		   9, "quota exceeded: snmpTrapOID.0 and eight objects, devices last");
	tap_is_u64(check_notification(vm, XV_NOTICE_RATE_ALARM,
				      "1.3.6.1.4.1.8072.9999.98.0.4", rate_objects,
				      EXPECT_ROWS(rate_objects)),
		   10, "a rate alarm: snmpTrapOID.0 and nine objects");
	tap_is_u64(check_notification(xv_vm_table_find_index(&vms, 43), XV_NOTICE_FLOOD_ALARM,
				      "1.3.6.1.4.1.8072.9999.98.0.6", flood_objects,
				      EXPECT_ROWS(flood_objects)),
		   7, "a flood alarm: snmpTrapOID.0 and six objects");
	tap_is_u64(check_notification(xv_vm_table_find_index(&vms, 43),
				      XV_NOTICE_FLOOD_CLEARED,
				      "1.3.6.1.4.1.8072.9999.98.0.7", flood_objects,
				      EXPECT_ROWS(flood_objects)),
		   7, "its clearing: the same objects");

	xv_vm_table_free(&vms);
	xv_config_free(&cfg);
	return tap_done();
}
