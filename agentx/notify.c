/* SPDX-License-Identifier: ISC */
#include "notify.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <stdlib.h>
#include <string.h>

#include "master_link.h"
#include "mib_oids.h"
#include "mib_vm.h"
#include "netsnmp_compat.h"
#include "std_oids.h"

static const struct xv_vm_table *vm_table;
static const struct xv_mib_switch_ctx *switch_ctx;
static enum xv_notify_way route = XV_NOTIFY_AGENTX;

/* The objects of each notification, as XEN-VIF-MIB lists them. */
static const int quota_objects[] = {
	XV_VMCOL_NAME, XV_VMCOL_UUID, XV_VMCOL_PERIOD_IN, XV_VMCOL_PERIOD_OUT,
	XV_VMCOL_QUOTA, XV_VMCOL_QUOTA_DIRECTION, XV_VMCOL_QUOTA_USED_PERCENT,
	XV_VMCOL_DEVICES, 0,
};
static const int rate_objects[] = {
	XV_VMCOL_NAME, XV_VMCOL_UUID, XV_VMCOL_IN_BIT_RATE, XV_VMCOL_OUT_BIT_RATE,
	XV_VMCOL_IN_RATE_THRESHOLD, XV_VMCOL_OUT_RATE_THRESHOLD,
	XV_VMCOL_IN_RATE_ALARM, XV_VMCOL_OUT_RATE_ALARM, XV_VMCOL_DEVICES, 0,
};
static const int flood_objects[] = {
	XV_VMCOL_NAME, XV_VMCOL_UUID, XV_VMCOL_FLOOD_BIT_RATE,
	XV_VMCOL_FLOOD_RATE_THRESHOLD, XV_VMCOL_FLOOD_ALARM, XV_VMCOL_DEVICES, 0,
};

static const int *objects_of(enum xv_notice_kind kind)
{
	switch (kind) {
	case XV_NOTICE_RATE_ALARM:
	case XV_NOTICE_RATE_CLEARED:
		return rate_objects;
	case XV_NOTICE_FLOOD_ALARM:
	case XV_NOTICE_FLOOD_CLEARED:
		return flood_objects;
	default:
		return quota_objects;
	}
}

void xv_notify_init(const struct xv_vm_table *vms,
		    const struct xv_mib_switch_ctx *sw)
{
	vm_table = vms;
	switch_ctx = sw;
}

void xv_notify_route(enum xv_notify_way way)
{
	route = way;
}

netsnmp_variable_list *xv_notify_varbinds(const struct xv_vm *vm,
					  enum xv_notice_kind kind)
{
	static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
	const oid notification[] = {XV_OID_NOTIFICATIONS, (oid)kind};
	const oid entry[] = {XV_OID_VM_ENTRY};
	const int *objects = objects_of(kind);
	netsnmp_variable_list *vars = NULL;

	if (!snmp_varlist_add_variable(&vars, trap_oid_oid, OID_LENGTH(trap_oid_oid),
				       ASN_OBJECT_ID, notification, sizeof notification))
		return NULL;
	for (const int *col = objects; *col; col++) {
		oid name[OID_LENGTH(entry) + 2];
		struct xv_mib_value v;

		memcpy(name, entry, sizeof entry);
		name[OID_LENGTH(entry)] = (oid)*col;
		name[OID_LENGTH(entry) + 1] = vm->entry.index;
		if (!xv_mib_vm_column(vm, *col, &v) ||
		    !snmp_varlist_add_variable(&vars, name, OID_LENGTH(name), v.type,
					       v.data, v.len)) {
			snmp_free_varbind(vars);
			return NULL;
		}
	}
	return vars;
}

netsnmp_variable_list *xv_notify_port_varbinds(const struct xv_mib_switch_ctx *ctx,
					       const struct xv_port *port,
					       enum xv_port_notice_kind kind)
{
	static const oid trap_oid_oid[] = {XV_OID_SNMP_TRAP_OID};
	static const oid if_entry[] = {XV_OID_IF_ENTRY};
	static const oid ifx_entry[] = {XV_OID_IFX_ENTRY};
	/* IF-MIB's linkDown and linkUp carry the first three, in this
	 * order; the names after them let a receiver that knows dom0, not
	 * the switch, tell which VM's port it is. */
	static const struct {
		bool ifx;
		int column;
	} objects[] = {
		{false, XV_IF_INDEX}, {false, XV_IF_ADMIN_STATUS},
		{false, XV_IF_OPER_STATUS}, {true, XV_IFX_NAME},
		{true, XV_IFX_ALIAS}, {false, XV_IF_DESCR},
	};
	const oid notification[] = {XV_OID_SNMP_TRAPS, (oid)kind};
	netsnmp_variable_list *vars = NULL;

	if (!snmp_varlist_add_variable(&vars, trap_oid_oid, OID_LENGTH(trap_oid_oid),
				       ASN_OBJECT_ID, notification, sizeof notification))
		return NULL;
	for (size_t i = 0; i < sizeof objects / sizeof *objects; i++) {
		const oid *entry = objects[i].ifx ? ifx_entry : if_entry;
		size_t len = objects[i].ifx ? OID_LENGTH(ifx_entry) : OID_LENGTH(if_entry);
		oid name[XV_MIB_ENTRY_MAX + 2];
		struct xv_mib_value v;

		memcpy(name, entry, len * sizeof *entry);
		name[len] = (oid)objects[i].column;
		name[len + 1] = port->entry.index;
		if (!xv_mib_if_column(ctx, port, objects[i].ifx, objects[i].column, &v) ||
		    !snmp_varlist_add_variable(&vars, name, len + 2, v.type, v.data,
					       v.len)) {
			snmp_free_varbind(vars);
			return NULL;
		}
	}
	return vars;
}

/*
 * send_v2trap() would also convert every notification to SNMPv1 for
 * v1 sinks, which fails (and says so in the log) for any Counter64
 * varbind; a subagent's only sink is the master, so the Notify goes
 * straight there, with its context for the master's SNMPv3 sinks.
 * Takes vars.
 */
static void send_to_master(netsnmp_variable_list *vars, const char *context)
{
	netsnmp_pdu *pdu = snmp_pdu_create(XV_AGENTX_MSG_NOTIFY);
	netsnmp_session *master = xv_compat_master_session();

	if (!pdu || !master ||
	    (context && !(pdu->contextName = strdup(context)))) {
		snmp_free_varbind(vars);
		if (pdu)
			snmp_free_pdu(pdu);
		return;
	}
	if (context)
		pdu->contextNameLen = strlen(context);
	pdu->variables = vars;
	send_trap_to_sess(master, pdu);
	snmp_free_pdu(pdu);
}

/*
 * Sends a notification's varbinds (snmpTrapOID.0 first; takes them)
 * with sysUpTime.0 = uptime first, the clock of the context they are
 * about (NULL: the default).
 */
static void send_vars(netsnmp_variable_list *vars, u_long uptime,
		      const char *context)
{
	static const oid uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
	netsnmp_variable_list *all = NULL;

	if (!snmp_varlist_add_variable(&all, uptime_oid, OID_LENGTH(uptime_oid),
				       ASN_TIMETICKS, &uptime, sizeof uptime)) {
		snmp_free_varbind(vars);
		return;
	}
	all->next_variable = vars;
	if (route == XV_NOTIFY_LOCAL) {
		/* snmpd's own sinks (an SNMPv1 trapsink gets nothing:
		 * SNMPv1 cannot carry a Counter64). */
		xv_compat_send_in_snmpd(all, context);
		snmp_free_varbind(all);
		return;
	}
	send_to_master(all, context);
}

static void send_one(const struct xv_notice *n)
{
	const struct xv_vm *vm = xv_vm_table_find_index(vm_table, n->vm_index);
	netsnmp_variable_list *vars;

	if (!vm)
		return;
	if (!(vars = xv_notify_varbinds(vm, n->kind))) {
		snmp_log(LOG_ERR, "out of memory: notification %d for VM %u not sent\n",
			 n->kind, n->vm_index);
		return;
	}
	/* In the master's clock: the default context's sysUpTime. */
	send_vars(vars, netsnmp_get_agent_uptime(), NULL);
}

size_t xv_notify_ports(const struct xv_switch *sw)
{
	static size_t dropped_reported;

	if (sw->dropped > dropped_reported) {
		snmp_log(LOG_WARNING, "%zu linkUp/linkDown notification(s) dropped: "
			 "more than %d waited\n", sw->dropped - dropped_reported,
			 XV_PORT_NOTICE_BACKLOG);
		dropped_reported = sw->dropped;
	}
	/* No switch view, no ifIndex to speak of: nothing is sent.  No
	 * master, no sink: they wait (not across restarts: a link's state
	 * then is what a poller reads). */
	if (!switch_ctx)
		return sw->nnotices;
	if (!sw->nnotices || !xv_master_connected())
		return 0;
	for (size_t i = 0; i < sw->nnotices; i++) {
		const struct xv_port *p = xv_switch_find(sw, sw->notices[i].index);
		netsnmp_variable_list *vars;

		if (!p)
			continue;
		if (!(vars = xv_notify_port_varbinds(switch_ctx, p, sw->notices[i].kind))) {
			snmp_log(LOG_ERR, "out of memory: link notification for "
				 "ifIndex %u not sent\n", p->entry.index);
			continue;
		}
		/* The switch's: its sysUpTime, its context. */
		send_vars(vars, xv_switch_uptime(sw, switch_ctx->master_now()),
			  switch_ctx->cfg->context);
	}
	return sw->nnotices;
}

size_t xv_notify_pass(const struct xv_vm_table *vms)
{
	static size_t dropped_reported;

	if (vms->dropped > dropped_reported) {
		snmp_log(LOG_WARNING, "%zu notification(s) dropped: more than %d "
			 "waited while the AgentX master was away\n",
			 vms->dropped - dropped_reported, XV_NOTICE_BACKLOG);
		dropped_reported = vms->dropped;
	}
	/* With no master there is no sink: they wait, saved with the
	 * state, until there is one. */
	if (!vms->nnotices || !xv_master_connected())
		return 0;
	for (size_t i = 0; i < vms->nnotices; i++)
		send_one(&vms->notices[i]);
	return vms->nnotices;
}

void xv_notify_shutdown(void)
{
	vm_table = NULL;
	switch_ctx = NULL;
	route = XV_NOTIFY_AGENTX;
}
