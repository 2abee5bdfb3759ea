/* SPDX-License-Identifier: ISC */
/*
 * Sends the VM table's notices as XEN-VIF-MIB notifications to the
 * master agent's trap and inform sinks (through AgentX, or directly
 * when the module runs inside snmpd).  Every varbind is a
 * full instance of a VM table column, its value read with the same
 * function that answers GETs, when it is sent.  Notices wait in the VM
 * table (and its state file) while the master is away.
 */
#ifndef XV_NOTIFY_H
#define XV_NOTIFY_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "mib_switch.h"
#include "xenvif/switch_view.h"
#include "xenvif/vm_table.h"

/* sw: the switch view served, for linkUp and linkDown; NULL if none. */
void xv_notify_init(const struct xv_vm_table *vms,
		    const struct xv_mib_switch_ctx *sw);

enum xv_notify_way {
	XV_NOTIFY_AGENTX, /* an AgentX Notify to the master, for its sinks */
	XV_NOTIFY_LOCAL,  /* inside snmpd: straight to its sinks */
};

/* How notifications leave (AgentX until told otherwise). */
void xv_notify_route(enum xv_notify_way way);

/* Sends the VM table's waiting notices if the master is there.
 * Returns how many, from the first, are done with: the keeper of the
 * table forgets them (xv_engine_notices_sent). */
size_t xv_notify_pass(const struct xv_vm_table *vms);

/* The varbinds of a notice (snmpTrapOID.0 first), for sending and tests;
 * the caller frees them with snmp_free_varbind.  NULL if out of memory. */
netsnmp_variable_list *xv_notify_varbinds(const struct xv_vm *vm,
					  enum xv_notice_kind kind);

/* Sends the switch's waiting linkUp and linkDown notifications (if
 * the switch view is served and the master is there).  Returns how
 * many, from the first, are done with (all of them if there is no
 * switch view to speak of). */
size_t xv_notify_ports(const struct xv_switch *sw);

/* IF-MIB's linkUp or linkDown for a port, from the ifTable getters. */
netsnmp_variable_list *xv_notify_port_varbinds(const struct xv_mib_switch_ctx *ctx,
					       const struct xv_port *port,
					       enum xv_port_notice_kind kind);

void xv_notify_shutdown(void);

#endif
