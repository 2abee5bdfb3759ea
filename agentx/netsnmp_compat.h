/* SPDX-License-Identifier: ISC */
/*
 * What net-snmp does not do right, or does not install, worked around
 * in one place.  Each says which releases it is for (5.9.3 is what the
 * project builds and tests against: Debian 12) and what goes wrong
 * without it, so that it can go when those releases have.
 */
#ifndef XV_NETSNMP_COMPAT_H
#define XV_NETSNMP_COMPAT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

/* The version byte of AgentX sessions and the message that carries a
 * notification (RFC 2741): net-snmp (all releases) installs no header
 * that names them. */
#define XV_AGENTX_VERSION_1 0xc1
#define XV_AGENTX_MSG_NOTIFY 12

/* The subagent's AgentX session to its master, opened by net-snmp's
 * subagent code, which declares it in no installed header (all
 * releases).  NULL while there is none. */
netsnmp_session *xv_compat_master_session(void);

/*
 * Keeps net-snmp from leaking on a failed read of the AgentX session
 * (call on every connection, with the new session).  net-snmp before
 * 5.9.5 (fixed upstream in commit 91f57dc, "snmpUnixDomain.c: Free
 * memory if recvfrom fails") allocates a struct sockaddr_un, 110 bytes,
 * before each read of a unix-domain socket and drops it when the read
 * fails: when snmpd goes away with something the agent sent still
 * unread, the read gets ECONNRESET, not the end of the stream, and the
 * buffer is lost, once per such restart or crash.  The session's read
 * function is wrapped: a failing read fails here first, as net-snmp's
 * would, and net-snmp reads only when there is data or the stream's
 * end.  The Open exchange, read before net-snmp says it is connected,
 * is not covered.  tcp: sessions (whose reads do not leak) are left
 * as they are.
 */
void xv_compat_guard_master_recv(netsnmp_session *session);

/*
 * Unregisters a handler.  net-snmp 5.9's netsnmp_unregister_handler()
 * frees the registration midway and then reads its context name and
 * OID (a use after free, seen with contexts): this hands
 * unregister_mib_context() copies.  context: where it was registered
 * (NULL or "": the default).
 */
void xv_compat_unregister(netsnmp_handler_registration *reg, const char *context);

/*
 * Creates a context in a subagent before it connects to its master.
 * net-snmp (5.7 to 5.9) gives a new context its root nodes (0, 1, 2)
 * when something is first registered in it, and a subagent connected by
 * then asks the master to register those too, which snmpd refuses
 * ("registering pdu failed: 263!", AgentX unsupportedContext).  Made
 * before the connection they stay local: a (re)connection registers only
 * what is below them.
 */
void xv_compat_prepare_context(const char *context);

/*
 * Inside snmpd: sends a notification (sysUpTime.0 and snmpTrapOID.0
 * first) to snmpd's sinks, SNMPv3 ones in context.  net-snmp 5.9 makes
 * an SNMPv1 copy of every notification before it looks at the sinks,
 * and for one with a Counter64 says twice that it cannot, even with no
 * SNMPv1 sink: while it sends, snmpd's log handlers pass those two
 * lines over.  Their functions are swapped, not the handlers removed:
 * 5.9 does not keep its list's links right when a handler is added and
 * removed again.
 */
void xv_compat_send_in_snmpd(netsnmp_variable_list *vars, const char *context);

/*
 * Stops a log handler this library registered.  net-snmp 5.9 unlinks a
 * handler added at the end of its list by cutting the list short,
 * leaving the one before pointing at freed memory: disabled, not
 * removed (it is libnetsnmp's own callback handler, so it may outlive
 * this library).
 */
void xv_compat_stop_loghandler(netsnmp_log_handler *h);

#endif
