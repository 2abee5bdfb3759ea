/* The VM table's values, and notifications built from the same. */
#include <string.h>

#include "../../agentx/mib_oids.h"
#include "../../agentx/mib_vm.h"
#include "../../agentx/notify.h"
#include "tap.h"
#include "xenvif/period.h"

static const oid entry[] = {XV_OID_VM_ENTRY};
#define E OID_LENGTH(entry)

static bool is(const netsnmp_variable_list *v, int column, uint32_t index)
{
	return v && v->name_length == E + 2 && memcmp(v->name, entry, sizeof entry) == 0 &&
	       v->name[E] == (oid)column && v->name[E + 1] == index;
}

static uint64_t c64(const netsnmp_variable_list *v)
{
	return v && v->type == ASN_COUNTER64
		       ? (uint64_t)v->val.counter64->high << 32 | v->val.counter64->low
		       : 0;
}

int main(void)
{
	struct xv_vm_table vms;
	struct xv_config cfg;
	struct xv_vm *vm;
	struct xv_mib_value v;
	char err[128];

	xv_vm_table_init(&vms);
	xv_config_defaults(&cfg);
	xv_config_set(&cfg, "accountingPeriod", "monthly 1 Europe/Berlin", err, sizeof err);
	xv_vm_table_add(&vms, 42, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11", &vm);
	vm->entry.active = true;
	vm->name = strdup("web1");
	strcpy(vm->uuid, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11");
	vm->devices = strdup("vif3.0 vif3.0-emu");
	vm->period_start = 1793487600; /* 2026-11-01 00:00 in Berlin */
	xv_period_date_and_time(&cfg.period, (time_t)vm->period_start, vm->start_dt);
	vm->period_in = 6000000000ULL;
	vm->period_out = 7;
	vm->quota = 5000000000ULL;
	vm->quota_dir = XV_DIR_IN;
	vm->warn_percent = 80;
	vm->status = XV_QUOTA_EXCEEDED;
	vm->used_percent = 120;
	vm->rate[XV_RATE_OUT].threshold = 1000;
	vm->rate[XV_RATE_OUT].alarm = true;
	vm->rate[XV_RATE_OUT].bits_per_second = 5000;
	xv_registry_rebuild_view(&vms.vms);

	tap_ok(xv_mib_vm_column(vm, XV_VMCOL_PERIOD_START, &v) && v.len == 11 &&
		       memcmp(v.data, "\x07\xea\x0b\x01\x00\x00\x00\x00+\x01\x00", 11) == 0,
	       "period start: 2026-11-01 00:00 +01:00 as DateAndTime");
	tap_ok(xv_mib_vm_column(vm, XV_VMCOL_QUOTA_STATUS, &v) &&
		       v.type == ASN_INTEGER && v.buf.ul == 4, "status exceeded(4)");
	tap_ok(xv_mib_vm_column(vm, XV_VMCOL_IN_RATE_ALARM, &v) && v.buf.ul == 1,
	       "no in alarm configured: none(1)");
	tap_ok(xv_mib_vm_column(vm, XV_VMCOL_OUT_RATE_ALARM, &v) && v.buf.ul == 3,
	       "out alarm raised: alarm(3)");
	tap_ok(xv_mib_vm_column(vm, XV_VMCOL_PERIOD_IN, &v) &&
		       v.type == ASN_COUNTER64 && v.buf.c64.high == 1,
	       "usage as a 64-bit value");

	struct xv_mib_table desc;
	oid name[E + 2], out[E + 2];
	size_t outlen;
	xv_mib_vm_describe(&desc, &vms);
	memcpy(name, entry, sizeof entry);
	name[E] = XV_VMCOL_DEVICES;
	name[E + 1] = 42;
	tap_ok(xv_mib_table_resolve(&desc, false, false, name, E + 2, out, &outlen, &v) == 0 &&
		       v.len == 17 && memcmp(v.data, "vif3.0 vif3.0-emu", 17) == 0,
	       "GET xenVifVmDevices.42");

	netsnmp_variable_list *vars = xv_notify_varbinds(vm, XV_NOTICE_QUOTA_EXCEEDED);
	static const oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
	static const oid exceeded[] = {XV_OID_NOTIFICATIONS, 2};
	tap_ok(vars && vars->name_length == OID_LENGTH(trap_oid) &&
		       memcmp(vars->name, trap_oid, sizeof trap_oid) == 0 &&
		       vars->type == ASN_OBJECT_ID &&
		       vars->val_len == sizeof exceeded &&
		       memcmp(vars->val.objid, exceeded, sizeof exceeded) == 0,
	       "snmpTrapOID.0 = xenVifQuotaExceeded");
	netsnmp_variable_list *p = vars ? vars->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_NAME, 42) && p->val_len == 4 &&
		       memcmp(p->val.string, "web1", 4) == 0, "xenVifVmName.42 = web1");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_UUID, 42), "xenVifVmUuid.42");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_PERIOD_IN, 42) && c64(p) == 6000000000ULL,
	       "xenVifVmPeriodInOctets.42 = 6000000000");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_PERIOD_OUT, 42) && c64(p) == 7, "xenVifVmPeriodOutOctets.42");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_QUOTA, 42) && c64(p) == 5000000000ULL, "xenVifVmQuotaOctets.42");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_QUOTA_DIRECTION, 42) && *p->val.integer == 1,
	       "xenVifVmQuotaDirection.42 = in(1)");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_QUOTA_USED_PERCENT, 42) && *p->val.integer == 120,
	       "xenVifVmQuotaUsedPercent.42 = 120");
	p = p ? p->next_variable : NULL;
	tap_ok(is(p, XV_VMCOL_DEVICES, 42) && p->next_variable == NULL,
	       "xenVifVmDevices.42, last");
	snmp_free_varbind(vars);

	vars = xv_notify_varbinds(vm, XV_NOTICE_RATE_ALARM);
	size_t n = 0;
	for (p = vars; p; p = p->next_variable)
		n++;
	tap_is_u64(n, 10, "a rate alarm: snmpTrapOID.0 and nine objects");
	for (p = vars; p && !is(p, XV_VMCOL_OUT_BIT_RATE, 42); p = p->next_variable)
		;
	tap_ok(p && c64(p) == 5000, "with the rate");
	snmp_free_varbind(vars);

	xv_vm_table_free(&vms);
	xv_config_free(&cfg);
	return tap_done();
}
