/*
 * Sends the VM table's notices as XEN-VIF-MIB notifications through
 * the AgentX master to its trap and inform sinks.  Every varbind is a
 * full instance of a VM table column, its value read with the same
 * function that answers GETs, when it is sent.  Notices wait in the VM
 * table (and its state file) while the master is away.
 */
#ifndef XV_NOTIFY_H
#define XV_NOTIFY_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "xenvif/vm_table.h"

void xv_notify_init(const struct xv_vm_table *vms);

/* Sends the VM table's waiting notices if the master is there, and
 * tells the table they are sent. */
void xv_notify_pass(struct xv_vm_table *vms);

/* The varbinds of a notice (snmpTrapOID.0 first), for sending and tests;
 * the caller frees them with snmp_free_varbind.  NULL if out of memory. */
netsnmp_variable_list *xv_notify_varbinds(const struct xv_vm *vm,
					  enum xv_notice_kind kind);

void xv_notify_shutdown(void);

#endif
