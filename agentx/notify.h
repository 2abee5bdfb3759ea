/*
 * Sends the VM table's notices as XEN-VIF-MIB notifications through
 * the AgentX master to its trap and inform sinks.  Every varbind is a
 * full instance of a VM table column, its value read with the same
 * function that answers GETs.  Notices wait while the master is away
 * and go out when it is back.
 */
#ifndef XV_NOTIFY_H
#define XV_NOTIFY_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "xenvif/config.h"
#include "xenvif/vm_table.h"

void xv_notify_init(const struct xv_vm_table *vms, const struct xv_config *cfg);

/* Takes the VM table's queued notices and sends what it can. */
void xv_notify_pass(struct xv_vm_table *vms);

/* The varbinds of a notice (snmpTrapOID.0 first), for sending and tests;
 * the caller frees them with snmp_free_varbind.  NULL if out of memory. */
netsnmp_variable_list *xv_notify_varbinds(const struct xv_config *cfg,
					  const struct xv_vm *vm,
					  enum xv_notice_kind kind);

void xv_notify_shutdown(void);

#endif
