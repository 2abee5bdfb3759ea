/* SPDX-License-Identifier: ISC */
/*
 * The switch view: dom0 as a whole device in an SNMP context of its
 * own, served from the engine's switch (lib/switch_view.c).
 *
 *  - mib_system.c: SNMPv2-MIB's system group;
 *  - mib_ifmib.c: IF-MIB's ifNumber, ifTable, ifXTable and
 *    ifTableLastChange, one interface per port;
 *  - mib_bridge.c: BRIDGE-MIB's dot1dBase group, port table and
 *    forwarding table.
 *
 * XEN-VIF-MIB is served in the same context beside them (mib_vif.c,
 * mib_vm.c), with its TimeStamps in the switch's clock.
 */
#ifndef XV_MIB_SWITCH_H
#define XV_MIB_SWITCH_H

#include "mib_table.h"
#include "xenvif/config.h"
#include "xenvif/switch_view.h"

struct xv_mib_switch_ctx {
	const struct xv_switch *sw;
	const struct xv_switch_config *cfg; /* the engine's, kept current */
	uint32_t (*master_now)(void);       /* the master agent's sysUpTime */
};

/* The value of a column of ifTable (ifx false) or ifXTable for a port:
 * for GET, GETNEXT and the linkUp/linkDown varbinds. */
bool xv_mib_if_column(const struct xv_mib_switch_ctx *ctx,
		      const struct xv_port *port, bool ifx, int column,
		      struct xv_mib_value *out);

#define XV_MIB_SYSTEM_OBJECTS 7
size_t xv_mib_system_objects(struct xv_mib_table *out,
			     const struct xv_mib_switch_ctx *ctx);

#define XV_MIB_IFMIB_OBJECTS 4
size_t xv_mib_ifmib_objects(struct xv_mib_table *out,
			    const struct xv_mib_switch_ctx *ctx);

#define XV_MIB_BRIDGE_OBJECTS 5
size_t xv_mib_bridge_objects(struct xv_mib_table *out,
			     const struct xv_mib_switch_ctx *ctx);

#endif
