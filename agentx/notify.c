#include "notify.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <stdlib.h>
#include <string.h>

#include "master_link.h"
#include "mib_oids.h"
#include "mib_vm.h"

/* Notices kept while the master is away; past this, the oldest go. */
#define XV_NOTIFY_BACKLOG 4096

static const struct xv_vm_table *vm_table;
static const struct xv_config *config;
static struct xv_notice *backlog;
static size_t nbacklog;
static bool backlog_overflowed;

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

void xv_notify_init(const struct xv_vm_table *vms, const struct xv_config *cfg)
{
	vm_table = vms;
	config = cfg;
}

netsnmp_variable_list *xv_notify_varbinds(const struct xv_config *cfg,
					  const struct xv_vm *vm,
					  enum xv_notice_kind kind)
{
	static const oid trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
	const oid notification[] = {XV_OID_NOTIFICATIONS, (oid)kind};
	const oid entry[] = {XV_OID_VM_ENTRY};
	const int *objects = kind >= XV_NOTICE_RATE_ALARM ? rate_objects : quota_objects;
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
		if (!xv_mib_vm_column(cfg, vm, *col, &v) ||
		    !snmp_varlist_add_variable(&vars, name, OID_LENGTH(name), v.type,
					       v.data, v.len)) {
			snmp_free_varbind(vars);
			return NULL;
		}
	}
	return vars;
}

/* The AgentX session to the master, opened by net-snmp's subagent
 * code; net-snmp does not declare it in its installed headers. */
extern netsnmp_session *main_session;

/* The master's AgentX message that carries a notification (RFC 2741). */
#define XV_AGENTX_MSG_NOTIFY 12

/*
 * send_v2trap() would also convert every notification to SNMPv1 for
 * v1 sinks, which fails (and says so in the log) for any Counter64
 * varbind; a subagent's only sink is the master, so the Notify goes
 * straight there.  Takes vars.
 */
static void send_to_master(netsnmp_variable_list *vars)
{
	static const oid uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
	netsnmp_pdu *pdu = snmp_pdu_create(XV_AGENTX_MSG_NOTIFY);
	u_long uptime = netsnmp_get_agent_uptime();

	if (!pdu || !main_session) {
		snmp_free_varbind(vars);
		if (pdu)
			snmp_free_pdu(pdu);
		return;
	}
	/* sysUpTime.0 first, in the master's clock, then snmpTrapOID.0 */
	snmp_varlist_add_variable(&pdu->variables, uptime_oid, OID_LENGTH(uptime_oid),
				  ASN_TIMETICKS, &uptime, sizeof uptime);
	if (pdu->variables)
		pdu->variables->next_variable = vars;
	else
		pdu->variables = vars;
	send_trap_to_sess(main_session, pdu);
	snmp_free_pdu(pdu);
}

static void send_one(const struct xv_notice *n)
{
	const struct xv_vm *vm = xv_vm_table_find_index(vm_table, n->vm_index);
	netsnmp_variable_list *vars;

	if (!vm)
		return;
	if (!(vars = xv_notify_varbinds(config, vm, n->kind))) {
		snmp_log(LOG_ERR, "out of memory: notification %d for VM %u not sent\n",
			 n->kind, n->vm_index);
		return;
	}
	send_to_master(vars);
}

static void keep(const struct xv_notice *v, size_t n)
{
	struct xv_notice *grown;

	if (nbacklog + n > XV_NOTIFY_BACKLOG) {
		size_t drop = nbacklog + n - XV_NOTIFY_BACKLOG;

		if (drop > nbacklog)
			drop = nbacklog;
		memmove(backlog, backlog + drop, (nbacklog - drop) * sizeof *backlog);
		nbacklog -= drop;
		if (!backlog_overflowed)
			snmp_log(LOG_WARNING, "the AgentX master is away and more "
				 "than %d notifications wait: dropping the oldest\n",
				 XV_NOTIFY_BACKLOG);
		backlog_overflowed = true;
	}
	grown = realloc(backlog, (nbacklog + n) * sizeof *grown);
	if (!grown)
		return;
	backlog = grown;
	memcpy(backlog + nbacklog, v, n * sizeof *v);
	nbacklog += n;
}

void xv_notify_pass(struct xv_vm_table *vms)
{
	size_t n;
	struct xv_notice *v = xv_vm_table_take_notices(vms, &n);

	if (n)
		keep(v, n);
	free(v);
	/* With no master there is no sink: net-snmp would drop them. */
	if (!nbacklog || !xv_master_connected())
		return;
	for (size_t i = 0; i < nbacklog; i++)
		send_one(&backlog[i]);
	nbacklog = 0;
	backlog_overflowed = false;
}

void xv_notify_shutdown(void)
{
	free(backlog);
	backlog = NULL;
	nbacklog = 0;
}
