/* SPDX-License-Identifier: ISC */
/*
 * BRIDGE-MIB of the switch view: the bridge's address and ports, and
 * its forwarding table, which answers "which port (VM) has this MAC"
 * in the pollers' FDB views.  Port numbers are small and stable
 * (lib/switch_view.c); each names its ifIndex.
 */
#include "mib_switch.h"

#include "std_oids.h"

#define XV_BRIDGE_TRANSPARENT_ONLY 2
#define XV_FDB_LEARNED 3

/* dot1dBaseBridgeAddress, dot1dBaseNumPorts, dot1dBaseType. */
static bool base(const void *vctx, const void *row, int column,
		 struct xv_mib_value *out)
{
	const struct xv_mib_switch_ctx *ctx = vctx;

	(void)row;
	switch (column) {
	case 1:
		xv_mib_set_octets(out, ctx->sw->address, 6);
		return true;
	case 2:
		xv_mib_set_u32(out, ASN_INTEGER, (uint32_t)ctx->sw->nnumbered);
		return true;
	default:
		xv_mib_set_u32(out, ASN_INTEGER, XV_BRIDGE_TRANSPARENT_ONLY);
		return true;
	}
}

static size_t numbered_rows(const void *ctx, const void *const **rows)
{
	const struct xv_switch *sw = ctx;

	*rows = (const void *const *)sw->numbered;
	return sw->nnumbered;
}

static void number_index(const void *row, oid *out)
{
	out[0] = ((const struct xv_port *)row)->number;
}

static bool port_value(const void *ctx, const void *row, int column,
		       struct xv_mib_value *out)
{
	static const oid zero_dot_zero[] = {0, 0};
	const struct xv_port *p = row;

	(void)ctx;
	switch (column) {
	case 1: /* dot1dBasePort */
		xv_mib_set_u32(out, ASN_INTEGER, p->number);
		return true;
	case 2: /* dot1dBasePortIfIndex */
		xv_mib_set_u32(out, ASN_INTEGER, p->entry.index);
		return true;
	case 3: /* dot1dBasePortCircuit: none */
		xv_mib_set_oid(out, zero_dot_zero, 2);
		return true;
	default: /* DelayExceeded-, MtuExceededDiscards: none here */
		xv_mib_set_u32(out, ASN_COUNTER, 0);
		return true;
	}
}

static size_t fdb_rows(const void *ctx, const void *const **rows)
{
	const struct xv_switch *sw = ctx;

	*rows = (const void *const *)sw->fdb;
	return sw->nfdb;
}

/* A MacAddress index is its six octets, one sub-id each. */
static void mac_index(const void *row, oid *out)
{
	const struct xv_port *p = row;

	for (int i = 0; i < 6; i++)
		out[i] = p->mac[i];
}

static bool fdb_value(const void *ctx, const void *row, int column,
		      struct xv_mib_value *out)
{
	const struct xv_port *p = row;

	(void)ctx;
	switch (column) {
	case 1: /* dot1dTpFdbAddress */
		xv_mib_set_octets(out, p->mac, 6);
		return true;
	case 2: /* dot1dTpFdbPort */
		xv_mib_set_u32(out, ASN_INTEGER, p->number);
		return true;
	default: /* dot1dTpFdbStatus */
		xv_mib_set_u32(out, ASN_INTEGER, XV_FDB_LEARNED);
		return true;
	}
}

size_t xv_mib_bridge_objects(struct xv_mib_table *out,
			     const struct xv_mib_switch_ctx *ctx)
{
	static const oid dot1d_base[] = {XV_OID_DOT1D_BASE};
	static const oid port_entry[] = {XV_OID_DOT1D_BASE_PORT_ENTRY};
	static const oid fdb_entry[] = {XV_OID_DOT1D_FDB_ENTRY};
	static const char *const names[] = {"dot1dBaseBridgeAddress",
					    "dot1dBaseNumPorts", "dot1dBaseType"};

	for (int c = 1; c <= 3; c++)
		xv_mib_scalar_init(&out[c - 1], names[c - 1], dot1d_base,
				   OID_LENGTH(dot1d_base), c, base, ctx);
	xv_mib_table_init(&out[3], "dot1dBasePortTable", port_entry,
			  OID_LENGTH(port_entry), 1, 5, numbered_rows, ctx->sw,
			  number_index, 1, port_value, ctx);
	xv_mib_table_init(&out[4], "dot1dTpFdbTable", fdb_entry,
			  OID_LENGTH(fdb_entry), 1, 3, fdb_rows, ctx->sw,
			  mac_index, 6, fdb_value, ctx);
	return XV_MIB_BRIDGE_OBJECTS;
}
