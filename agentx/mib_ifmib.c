/* SPDX-License-Identifier: ISC */
/*
 * IF-MIB of the switch view: one interface per port, ifIndex = the
 * vif row's xenVifIndex.  The counters are the row's.  netback counts
 * no multicast or broadcast frames: the unicast, multicast and
 * broadcast counters are the classifier's where it counts the port's
 * devices, and where it does not every packet counts as unicast (the
 * row accumulates them so, counters.h).  The 32-bit counters are the
 * low halves of the 64-bit ones.
 */
#include "mib_switch.h"

#include "std_oids.h"

#define XV_IF_TYPE_ETHERNET 6 /* ethernetCsmacd */
#define XV_DEFAULT_MTU 1500
#define XV_TRUE 1
#define XV_FALSE 2

static void counter32(struct xv_mib_value *out, uint64_t v)
{
	xv_mib_set_u32(out, ASN_COUNTER, (uint32_t)(v & 0xffffffffU));
}

static uint64_t total(const struct xv_port *p, enum xv_counter c)
{
	return p->row->total.v[c];
}

static bool if_column(const struct xv_mib_switch_ctx *ctx,
		      const struct xv_port *p, int column, struct xv_mib_value *out)
{
	static const oid zero_dot_zero[] = {0, 0};
	uint64_t speed = xv_port_speed(p, ctx->cfg);

	switch (column) {
	case XV_IF_INDEX:
		xv_mib_set_u32(out, ASN_INTEGER, p->entry.index);
		return true;
	case XV_IF_DESCR:
		xv_mib_set_text(out, p->descr);
		return true;
	case XV_IF_TYPE:
		xv_mib_set_u32(out, ASN_INTEGER, XV_IF_TYPE_ETHERNET);
		return true;
	case XV_IF_MTU:
		xv_mib_set_u32(out, ASN_INTEGER, p->mtu ? p->mtu : XV_DEFAULT_MTU);
		return true;
	case XV_IF_SPEED:
		xv_mib_set_u32(out, ASN_GAUGE,
			       speed > 0xffffffffULL ? 0xffffffffU : (uint32_t)speed);
		return true;
	case XV_IF_PHYS_ADDRESS:
		xv_mib_set_octets(out, p->mac, p->has_mac ? 6 : 0);
		return true;
	case XV_IF_ADMIN_STATUS:
		xv_mib_set_u32(out, ASN_INTEGER, 1);
		return true;
	case XV_IF_OPER_STATUS:
		xv_mib_set_u32(out, ASN_INTEGER, p->up ? 1 : 2);
		return true;
	case XV_IF_LAST_CHANGE:
		xv_mib_set_u32(out, ASN_TIMETICKS, p->last_change);
		return true;
	case XV_IF_IN_OCTETS:
		counter32(out, total(p, XV_IN_OCTETS));
		return true;
	case XV_IF_IN_UCAST_PKTS:
		counter32(out, total(p, XV_IN_UCAST_PKTS));
		return true;
	case XV_IF_IN_DISCARDS:
		counter32(out, total(p, XV_IN_DISCARDS));
		return true;
	case XV_IF_IN_ERRORS:
		counter32(out, total(p, XV_IN_ERRORS));
		return true;
	case XV_IF_OUT_OCTETS:
		counter32(out, total(p, XV_OUT_OCTETS));
		return true;
	case XV_IF_OUT_UCAST_PKTS:
		counter32(out, total(p, XV_OUT_UCAST_PKTS));
		return true;
	case XV_IF_OUT_DISCARDS:
		counter32(out, total(p, XV_OUT_DISCARDS));
		return true;
	case XV_IF_OUT_ERRORS:
		counter32(out, total(p, XV_OUT_ERRORS));
		return true;
	case XV_IF_IN_NUCAST_PKTS:
		counter32(out, total(p, XV_IN_BCAST_PKTS) + total(p, XV_IN_MCAST_PKTS));
		return true;
	case XV_IF_OUT_NUCAST_PKTS:
		counter32(out, total(p, XV_OUT_BCAST_PKTS) + total(p, XV_OUT_MCAST_PKTS));
		return true;
	case XV_IF_IN_UNKNOWN_PROTOS:
		counter32(out, 0);
		return true;
	case XV_IF_OUT_QLEN:
		xv_mib_set_u32(out, ASN_GAUGE, 0);
		return true;
	case XV_IF_SPECIFIC:
		xv_mib_set_oid(out, zero_dot_zero, 2);
		return true;
	default:
		return false;
	}
}

static bool ifx_column(const struct xv_mib_switch_ctx *ctx,
		       const struct xv_port *p, int column, struct xv_mib_value *out)
{
	uint64_t speed = xv_port_speed(p, ctx->cfg);

	switch (column) {
	case XV_IFX_NAME:
		xv_mib_set_text(out, p->name);
		return true;
	case XV_IFX_IN_MULTICAST_PKTS:
		counter32(out, total(p, XV_IN_MCAST_PKTS));
		return true;
	case XV_IFX_IN_BROADCAST_PKTS:
		counter32(out, total(p, XV_IN_BCAST_PKTS));
		return true;
	case XV_IFX_OUT_MULTICAST_PKTS:
		counter32(out, total(p, XV_OUT_MCAST_PKTS));
		return true;
	case XV_IFX_OUT_BROADCAST_PKTS:
		counter32(out, total(p, XV_OUT_BCAST_PKTS));
		return true;
	case XV_IFX_HC_IN_OCTETS:
		xv_mib_set_c64(out, total(p, XV_IN_OCTETS));
		return true;
	case XV_IFX_HC_IN_UCAST_PKTS:
		xv_mib_set_c64(out, total(p, XV_IN_UCAST_PKTS));
		return true;
	case XV_IFX_HC_OUT_OCTETS:
		xv_mib_set_c64(out, total(p, XV_OUT_OCTETS));
		return true;
	case XV_IFX_HC_OUT_UCAST_PKTS:
		xv_mib_set_c64(out, total(p, XV_OUT_UCAST_PKTS));
		return true;
	case XV_IFX_HC_IN_MULTICAST_PKTS:
		xv_mib_set_c64(out, total(p, XV_IN_MCAST_PKTS));
		return true;
	case XV_IFX_HC_IN_BROADCAST_PKTS:
		xv_mib_set_c64(out, total(p, XV_IN_BCAST_PKTS));
		return true;
	case XV_IFX_HC_OUT_MULTICAST_PKTS:
		xv_mib_set_c64(out, total(p, XV_OUT_MCAST_PKTS));
		return true;
	case XV_IFX_HC_OUT_BROADCAST_PKTS:
		xv_mib_set_c64(out, total(p, XV_OUT_BCAST_PKTS));
		return true;
	case XV_IFX_LINK_UP_DOWN_TRAP_ENABLE:
		xv_mib_set_u32(out, ASN_INTEGER,
			       ctx->cfg->link_notifications ? 1 : 2);
		return true;
	case XV_IFX_HIGH_SPEED: {
		/* Mbit/s, rounded to the nearest as IF-MIB says (so 0 below
		 * half a megabit), at most what a Gauge32 holds. */
		uint64_t mbps = speed / 1000000 + (speed % 1000000 >= 500000);

		xv_mib_set_u32(out, ASN_GAUGE,
			       mbps > 0xffffffffULL ? 0xffffffffU : (uint32_t)mbps);
		return true;
	}
	case XV_IFX_PROMISCUOUS_MODE:
		xv_mib_set_u32(out, ASN_INTEGER, XV_FALSE);
		return true;
	case XV_IFX_CONNECTOR_PRESENT:
		/* A port with a VM plugged in (or unplugged) is a port:
		 * pollers list it with the physical ones. */
		xv_mib_set_u32(out, ASN_INTEGER, XV_TRUE);
		return true;
	case XV_IFX_ALIAS:
		xv_mib_set_text(out, p->alias);
		return true;
	case XV_IFX_COUNTER_DISCONTINUITY_TIME:
		xv_mib_set_u32(out, ASN_TIMETICKS, p->discontinuity);
		return true;
	default:
		return false;
	}
}

bool xv_mib_if_column(const struct xv_mib_switch_ctx *ctx,
		      const struct xv_port *port, bool ifx, int column,
		      struct xv_mib_value *out)
{
	return ifx ? ifx_column(ctx, port, column, out)
		   : if_column(ctx, port, column, out);
}

static bool if_value(const void *ctx, const void *row, int column,
		     struct xv_mib_value *out)
{
	return if_column(ctx, row, column, out);
}

static bool ifx_value(const void *ctx, const void *row, int column,
		      struct xv_mib_value *out)
{
	return ifx_column(ctx, row, column, out);
}


/* ifNumber.0 (interfaces.1) and ifTableLastChange.0 (ifMIBObjects.5). */
static bool scalar(const void *vctx, const void *row, int column,
		   struct xv_mib_value *out)
{
	const struct xv_mib_switch_ctx *ctx = vctx;

	(void)row;
	if (column == 1)
		xv_mib_set_u32(out, ASN_INTEGER, (uint32_t)ctx->sw->ports.nactive);
	else
		xv_mib_set_u32(out, ASN_TIMETICKS, ctx->sw->last_change);
	return true;
}

size_t xv_mib_ifmib_objects(struct xv_mib_table *out,
			    const struct xv_mib_switch_ctx *ctx)
{
	static const oid interfaces[] = {XV_OID_INTERFACES};
	static const oid if_entry[] = {XV_OID_IF_ENTRY};
	static const oid ifx_entry[] = {XV_OID_IFX_ENTRY};
	static const oid ifmib_objects[] = {XV_OID_IFMIB_OBJECTS};

	xv_mib_scalar_init(&out[0], "ifNumber", interfaces, OID_LENGTH(interfaces),
			   1, scalar, ctx);
	/* The switch's ports are its registry's served view. */
	xv_mib_table_init_registry(&out[1], "ifTable", if_entry,
				   OID_LENGTH(if_entry), XV_IF_INDEX,
				   XV_IF_SPECIFIC, &ctx->sw->ports, if_value, ctx);
	xv_mib_table_init_registry(&out[2], "ifXTable", ifx_entry,
				   OID_LENGTH(ifx_entry), XV_IFX_NAME,
				   XV_IFX_COUNTER_DISCONTINUITY_TIME,
				   &ctx->sw->ports, ifx_value, ctx);
	xv_mib_scalar_init(&out[3], "ifTableLastChange", ifmib_objects,
			   OID_LENGTH(ifmib_objects), 5, scalar, ctx);
	return XV_MIB_IFMIB_OBJECTS;
}
