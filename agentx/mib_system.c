/* SPDX-License-Identifier: ISC */
/* SNMPv2-MIB's system group of the switch view. */
#include "mib_switch.h"

#include "mib_oids.h"
#include "std_oids.h"

enum {
	XV_SYS_DESCR = 1,
	XV_SYS_OBJECT_ID,
	XV_SYS_UP_TIME,
	XV_SYS_CONTACT,
	XV_SYS_NAME,
	XV_SYS_LOCATION,
	XV_SYS_SERVICES,
};

static bool value(const void *vctx, const void *row, int column,
		  struct xv_mib_value *out)
{
	static const oid switch_oid[] = {XV_OID_SWITCH};
	const struct xv_mib_switch_ctx *ctx = vctx;

	(void)row;
	switch (column) {
	case XV_SYS_DESCR:
		xv_mib_set_text(out, ctx->sw->sys_descr);
		return true;
	case XV_SYS_OBJECT_ID:
		xv_mib_set_oid(out, switch_oid, OID_LENGTH(switch_oid));
		return true;
	case XV_SYS_UP_TIME:
		/* The switch's clock: it keeps running while the counters
		 * do, across agent and snmpd restarts. */
		xv_mib_set_u32(out, ASN_TIMETICKS,
			       xv_switch_uptime(ctx->sw, ctx->master_now()));
		return true;
	case XV_SYS_CONTACT:
		xv_mib_set_text(out, ctx->cfg->contact);
		return true;
	case XV_SYS_NAME:
		xv_mib_set_text(out, ctx->sw->sys_name);
		return true;
	case XV_SYS_LOCATION:
		xv_mib_set_text(out, ctx->cfg->location);
		return true;
	default:
		/* A bridge: the data link layer, 2^(2-1). */
		xv_mib_set_u32(out, ASN_INTEGER, 2);
		return true;
	}
}

size_t xv_mib_system_objects(struct xv_mib_table *out,
			     const struct xv_mib_switch_ctx *ctx)
{
	static const oid system[] = {XV_OID_SYSTEM};
	static const char *const names[] = {
		"sysDescr", "sysObjectID", "sysUpTime", "sysContact",
		"sysName", "sysLocation", "sysServices",
	};

	for (int c = XV_SYS_DESCR; c <= XV_SYS_SERVICES; c++)
		xv_mib_scalar_init(&out[c - 1], names[c - 1], system,
				   OID_LENGTH(system), c, value, ctx);
	return XV_MIB_SYSTEM_OBJECTS;
}
