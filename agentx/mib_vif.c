#include "mib_vif.h"

#include <string.h>

#include "mib_oids.h"
#include "xenvif/text.h"

static struct xv_mib_table vif_table;
static netsnmp_handler_registration *number_reg, *last_change_reg;

static uint32_t vm_ref(const struct xv_vm_table *vms, const struct xv_row *row)
{
	char key[XV_TEXT_MAX + 64];
	struct xv_vm *vm;

	if (!xv_vm_key_of_row(row->entry.key, key, sizeof key) ||
	    !(vm = xv_vm_table_find_key(vms, key)))
		return 0;
	return vm->entry.index;
}

bool xv_mib_vif_column(const struct xv_vm_table *vms, const struct xv_row *row,
		       int column, struct xv_mib_value *out)
{
	static const enum xv_counter counter_of[] = {
		[XV_COL_HC_IN_OCTETS] = XV_IN_OCTETS,
		[XV_COL_HC_IN_PKTS] = XV_IN_PKTS,
		[XV_COL_IN_DISCARDS] = XV_IN_DISCARDS,
		[XV_COL_IN_ERRORS] = XV_IN_ERRORS,
		[XV_COL_HC_OUT_OCTETS] = XV_OUT_OCTETS,
		[XV_COL_HC_OUT_PKTS] = XV_OUT_PKTS,
		[XV_COL_OUT_DISCARDS] = XV_OUT_DISCARDS,
		[XV_COL_OUT_ERRORS] = XV_OUT_ERRORS,
	};

	switch (column) {
	case XV_COL_DOMAIN_ID:
		xv_mib_set_u32(out, ASN_UNSIGNED, row->domid);
		return true;
	case XV_COL_DOMAIN_NAME:
		xv_mib_set_text(out, row->domain_name);
		return true;
	case XV_COL_DOMAIN_UUID:
		xv_mib_set_text(out, row->uuid);
		return true;
	case XV_COL_DEVICE_ID:
		xv_mib_set_u32(out, ASN_UNSIGNED, row->devid);
		return true;
	case XV_COL_NAME:
		xv_mib_set_text(out, row->ifname);
		return true;
	case XV_COL_IFINDEX:
		xv_mib_set_u32(out, ASN_INTEGER, (uint32_t)row->ifindex);
		return true;
	case XV_COL_MAC:
		if (!row->has_mac)
			return false;
		xv_mib_set_octets(out, row->mac, sizeof row->mac);
		return true;
	case XV_COL_BRIDGE:
		xv_mib_set_text(out, row->bridge);
		return true;
	case XV_COL_IP_ADDRESSES:
		xv_mib_set_text(out, row->ips);
		return true;
	case XV_COL_OPER_STATUS:
		xv_mib_set_u32(out, ASN_INTEGER, row->oper_up ? 1 : 2);
		return true;
	case XV_COL_HC_IN_OCTETS:
	case XV_COL_HC_IN_PKTS:
	case XV_COL_IN_DISCARDS:
	case XV_COL_IN_ERRORS:
	case XV_COL_HC_OUT_OCTETS:
	case XV_COL_HC_OUT_PKTS:
	case XV_COL_OUT_DISCARDS:
	case XV_COL_OUT_ERRORS:
		xv_mib_set_c64(out, row->total.v[counter_of[column]]);
		return true;
	case XV_COL_DISCONTINUITY_TIME:
		xv_mib_set_u32(out, ASN_TIMETICKS, row->discontinuity);
		return true;
	case XV_COL_VM_REF: {
		uint32_t ref = vm_ref(vms, row);

		if (!ref)
			return false; /* the VM table has not seen it yet */
		xv_mib_set_u32(out, ASN_UNSIGNED, ref);
		return true;
	}
	default:
		return false;
	}
}

static bool column(const void *ctx, const struct xv_entry *e, int col,
		   struct xv_mib_value *out)
{
	return xv_mib_vif_column(ctx, xv_row_of((struct xv_entry *)e), col, out);
}

void xv_mib_vif_describe(struct xv_mib_table *t, const struct xv_table *vifs,
			 const struct xv_vm_table *vms)
{
	static const oid entry[] = {XV_OID_VIF_ENTRY};

	xv_mib_table_init(t, "xenVifTable", entry, OID_LENGTH(entry),
			  XV_COL_FIRST_READABLE, XV_COL_LAST, &vifs->rows, column, vms);
}

static u_long vif_number(const void *ctx)
{
	return ((const struct xv_table *)ctx)->rows.nactive;
}

static u_long last_change(const void *ctx)
{
	return ((const struct xv_table *)ctx)->last_change;
}

int xv_mib_vif_register(const struct xv_table *vifs, const struct xv_vm_table *vms)
{
	static const oid number_oid[] = {XV_OID_VIF_NUMBER};
	static const oid last_change_oid[] = {XV_OID_VIF_TABLE_LAST_CHANGE};
	int rc;

	xv_mib_vif_describe(&vif_table, vifs, vms);
	if ((rc = xv_mib_table_register(&vif_table)) != MIB_REGISTERED_OK)
		return rc;
	number_reg = xv_mib_scalar_register("xenVifNumber", number_oid,
					    OID_LENGTH(number_oid), ASN_UNSIGNED,
					    vif_number, vifs);
	last_change_reg = xv_mib_scalar_register(
		"xenVifTableLastChange", last_change_oid, OID_LENGTH(last_change_oid),
		ASN_TIMETICKS, last_change, vifs);
	return number_reg && last_change_reg ? MIB_REGISTERED_OK
					     : MIB_REGISTRATION_FAILED;
}

void xv_mib_vif_unregister(void)
{
	xv_mib_table_unregister(&vif_table);
	if (number_reg)
		netsnmp_unregister_handler(number_reg);
	if (last_change_reg)
		netsnmp_unregister_handler(last_change_reg);
	number_reg = last_change_reg = NULL;
}
