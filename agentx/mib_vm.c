/* SPDX-License-Identifier: ISC */
#include "mib_vm.h"

#include <string.h>

#include "mib_oids.h"

static enum xv_alarm_status alarm_status(const struct xv_rate_state *r)
{
	if (r->alarm)
		return XV_ALARM_ON;
	return r->threshold ? XV_ALARM_OK : XV_ALARM_NONE;
}

/* What libxenstat said: no instance while the hypervisor is not read. */
static bool resource_column(const struct xv_vm *vm, int column,
			    struct xv_mib_value *out)
{
	if (!vm->has_resources)
		return false;
	switch (column) {
	case XV_VMCOL_STATE:
		xv_mib_set_u32(out, ASN_INTEGER, vm->state);
		return true;
	case XV_VMCOL_VCPUS:
		xv_mib_set_u32(out, ASN_UNSIGNED, vm->vcpus);
		return true;
	case XV_VMCOL_MEMORY_KB:
		xv_mib_set_c64(out, vm->mem_kb);
		return true;
	case XV_VMCOL_MAX_MEMORY_KB:
		xv_mib_set_c64(out, vm->max_mem_kb);
		return true;
	default:
		xv_mib_set_c64(out, vm->cpu_total_ns);
		return true;
	}
}

bool xv_mib_vm_column(const struct xv_vm *vm, int column, struct xv_mib_value *out)
{
	const struct xv_rate_state *in = &vm->rate[XV_RATE_IN];
	const struct xv_rate_state *outr = &vm->rate[XV_RATE_OUT];
	const struct xv_rate_state *flood = &vm->rate[XV_RATE_FLOOD];

	switch (column) {
	case XV_VMCOL_DOMAIN_ID:
		xv_mib_set_u32(out, ASN_UNSIGNED, vm->domid);
		return true;
	case XV_VMCOL_NAME:
		xv_mib_set_text(out, vm->name);
		return true;
	case XV_VMCOL_UUID:
		xv_mib_set_text(out, vm->uuid);
		return true;
	case XV_VMCOL_PERIOD_START:
		/* Made when the period began: a GET reads no zone file. */
		xv_mib_set_octets(out, vm->start_dt, sizeof vm->start_dt);
		return true;
	case XV_VMCOL_PERIOD_IN:
		xv_mib_set_c64(out, vm->period_in);
		return true;
	case XV_VMCOL_PERIOD_OUT:
		xv_mib_set_c64(out, vm->period_out);
		return true;
	case XV_VMCOL_QUOTA:
		xv_mib_set_c64(out, vm->quota);
		return true;
	case XV_VMCOL_QUOTA_DIRECTION:
		xv_mib_set_u32(out, ASN_INTEGER, vm->quota_dir);
		return true;
	case XV_VMCOL_QUOTA_USED_PERCENT:
		xv_mib_set_u32(out, ASN_UNSIGNED, vm->used_percent);
		return true;
	case XV_VMCOL_QUOTA_STATUS:
		xv_mib_set_u32(out, ASN_INTEGER, vm->status);
		return true;
	case XV_VMCOL_QUOTA_WARN_PERCENT:
		xv_mib_set_u32(out, ASN_UNSIGNED, vm->warn_percent);
		return true;
	case XV_VMCOL_IN_BIT_RATE:
		xv_mib_set_c64(out, in->bits_per_second);
		return true;
	case XV_VMCOL_OUT_BIT_RATE:
		xv_mib_set_c64(out, outr->bits_per_second);
		return true;
	case XV_VMCOL_IN_RATE_THRESHOLD:
		xv_mib_set_c64(out, in->threshold);
		return true;
	case XV_VMCOL_OUT_RATE_THRESHOLD:
		xv_mib_set_c64(out, outr->threshold);
		return true;
	case XV_VMCOL_IN_RATE_ALARM:
		xv_mib_set_u32(out, ASN_INTEGER, alarm_status(in));
		return true;
	case XV_VMCOL_OUT_RATE_ALARM:
		xv_mib_set_u32(out, ASN_INTEGER, alarm_status(outr));
		return true;
	case XV_VMCOL_DEVICES:
		xv_mib_set_text(out, vm->devices);
		return true;
	case XV_VMCOL_OUT_ACCOUNTING:
		xv_mib_set_u32(out, ASN_INTEGER, xv_vm_out_mode(vm));
		return true;
	case XV_VMCOL_PERIOD_OUT_FOREIGN:
		xv_mib_set_c64(out, vm->period_out_foreign);
		return true;
	case XV_VMCOL_FLOOD_BIT_RATE:
		xv_mib_set_c64(out, flood->bits_per_second);
		return true;
	case XV_VMCOL_FLOOD_RATE_THRESHOLD:
		xv_mib_set_c64(out, flood->threshold);
		return true;
	case XV_VMCOL_FLOOD_ALARM:
		xv_mib_set_u32(out, ASN_INTEGER, alarm_status(flood));
		return true;
	case XV_VMCOL_STATE:
	case XV_VMCOL_VCPUS:
	case XV_VMCOL_MEMORY_KB:
	case XV_VMCOL_MAX_MEMORY_KB:
	case XV_VMCOL_CPU_TIME:
		return resource_column(vm, column, out);
	default:
		return false;
	}
}

static bool column(const void *ctx, const void *row, int col,
		   struct xv_mib_value *out)
{
	(void)ctx;
	return xv_mib_vm_column(xv_vm_of((struct xv_entry *)row), col, out);
}

void xv_mib_vm_describe(struct xv_mib_table *t, const struct xv_vm_table *vms)
{
	static const oid entry[] = {XV_OID_VM_ENTRY};

	xv_mib_table_init_registry(t, "xenVifVmTable", entry, OID_LENGTH(entry),
				   XV_VMCOL_FIRST_READABLE, XV_VMCOL_LAST,
				   &vms->vms, column, NULL);
}

/* xenVifVmNumber.0: column 4 of xenVifObjects. */
static bool vm_number(const void *ctx, const void *row, int col,
		      struct xv_mib_value *out)
{
	(void)row, (void)col;
	xv_mib_set_u32(out, ASN_UNSIGNED,
		       (uint32_t)((const struct xv_vm_table *)ctx)->vms.nactive);
	return true;
}

size_t xv_mib_vm_objects(struct xv_mib_table *out, const struct xv_vm_table *vms)
{
	static const oid objects[] = {XV_OID_OBJECTS};

	xv_mib_vm_describe(&out[0], vms);
	xv_mib_scalar_init(&out[1], "xenVifVmNumber", objects, OID_LENGTH(objects),
			   4, vm_number, vms);
	return XV_MIB_VM_OBJECTS;
}
