/* SPDX-License-Identifier: ISC */
#include "mib_vif.h"

#include <string.h>

#include "mib_oids.h"
#include "xenvif/text.h"

static uint32_t vm_ref(const struct xv_vm_table *vms, const struct xv_vif_row *row)
{
	char key[XV_TEXT_MAX + 64];
	struct xv_vm *vm;

	if (!xv_vm_key_of_row(row->entry.key, key, sizeof key) ||
	    !(vm = xv_vm_table_find_key(vms, key)))
		return 0;
	return vm->entry.index;
}

/* The row's discontinuity in the clock of the context served: the
 * switch keeps its own copy, which a new master does not reset. */
static uint32_t discontinuity(const struct xv_mib_vif_ctx *ctx,
			      const struct xv_vif_row *row)
{
	const struct xv_port *p;

	if (!ctx->clock)
		return row->discontinuity;
	p = xv_switch_find(ctx->clock, row->entry.index);
	return p ? p->discontinuity : xv_switch_stamp(ctx->clock, row->discontinuity);
}

bool xv_mib_vif_column(const struct xv_mib_vif_ctx *ctx, const struct xv_vif_row *row,
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
		[XV_COL_HC_OUT_FOREIGN_OCTETS] = XV_OUT_FOREIGN_OCTETS,
		[XV_COL_HC_OUT_FOREIGN_PKTS] = XV_OUT_FOREIGN_PKTS,
		[XV_COL_HC_OUT_BROADCAST_PKTS] = XV_OUT_BCAST_PKTS,
		[XV_COL_HC_OUT_MULTICAST_PKTS] = XV_OUT_MCAST_PKTS,
		[XV_COL_HC_IN_FOREIGN_SOURCE_OCTETS] = XV_IN_FOREIGN_SRC_OCTETS,
		[XV_COL_HC_IN_FOREIGN_SOURCE_PKTS] = XV_IN_FOREIGN_SRC_PKTS,
		[XV_COL_HC_IN_BROADCAST_PKTS] = XV_IN_BCAST_PKTS,
		[XV_COL_HC_IN_MULTICAST_PKTS] = XV_IN_MCAST_PKTS,
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
	case XV_COL_HC_OUT_FOREIGN_OCTETS:
	case XV_COL_HC_OUT_FOREIGN_PKTS:
	case XV_COL_HC_OUT_BROADCAST_PKTS:
	case XV_COL_HC_OUT_MULTICAST_PKTS:
	case XV_COL_HC_IN_FOREIGN_SOURCE_OCTETS:
	case XV_COL_HC_IN_FOREIGN_SOURCE_PKTS:
	case XV_COL_HC_IN_BROADCAST_PKTS:
	case XV_COL_HC_IN_MULTICAST_PKTS:
		if (!row->split)
			return false; /* the classifier does not count it now */
		xv_mib_set_c64(out, row->total.v[counter_of[column]]);
		return true;
	case XV_COL_DISCONTINUITY_TIME:
		xv_mib_set_u32(out, ASN_TIMETICKS, discontinuity(ctx, row));
		return true;
	case XV_COL_VM_REF: {
		uint32_t ref = vm_ref(ctx->vms, row);

		if (!ref)
			return false; /* the VM table has not seen it yet */
		xv_mib_set_u32(out, ASN_UNSIGNED, ref);
		return true;
	}
	default:
		return false;
	}
}

static bool column(const void *ctx, const void *row, int col,
		   struct xv_mib_value *out)
{
	return xv_mib_vif_column(ctx, xv_vif_row_of((struct xv_entry *)row), col, out);
}

void xv_mib_vif_describe(struct xv_mib_table *t, const struct xv_mib_vif_ctx *ctx)
{
	static const oid entry[] = {XV_OID_VIF_ENTRY};

	xv_mib_table_init_registry(t, "xenVifTable", entry, OID_LENGTH(entry),
				   XV_COL_FIRST_READABLE, XV_COL_LAST,
				   &ctx->vifs->rows, column, ctx);
}

/* xenVifNumber.0 (column 1 of xenVifObjects) and
 * xenVifTableLastChange.0 (column 2). */
static bool scalar(const void *vctx, const void *row, int col,
		   struct xv_mib_value *out)
{
	const struct xv_mib_vif_ctx *ctx = vctx;

	(void)row;
	if (col == 1)
		xv_mib_set_u32(out, ASN_UNSIGNED, (uint32_t)ctx->vifs->rows.nactive);
	else
		xv_mib_set_u32(out, ASN_TIMETICKS,
			       ctx->clock ? ctx->clock->vif_last_change
					  : ctx->vifs->last_change);
	return true;
}

size_t xv_mib_vif_objects(struct xv_mib_table *out, const struct xv_mib_vif_ctx *ctx)
{
	static const oid objects[] = {XV_OID_OBJECTS};

	xv_mib_vif_describe(&out[0], ctx);
	xv_mib_scalar_init(&out[1], "xenVifNumber", objects, OID_LENGTH(objects),
			   1, scalar, ctx);
	xv_mib_scalar_init(&out[2], "xenVifTableLastChange", objects,
			   OID_LENGTH(objects), 2, scalar, ctx);
	return XV_MIB_VIF_OBJECTS;
}
