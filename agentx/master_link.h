/* SPDX-License-Identifier: ISC */
/*
 * What the agent knows of its AgentX master: whether it is connected,
 * and its clock.  Inside snmpd (xv_master_local) the master is the
 * process itself.
 *
 * TimeStamps are in the master's sysUpTime.  net-snmp sets the
 * subagent's uptime from every response the master sends, so
 * netsnmp_get_agent_uptime() is the master's clock once connected.
 * Its origin, the wall-clock moment of uptime 0, moves when the agent
 * first connects or when the master restarts; whoever keeps TimeStamps
 * looks at it again on every connection.
 */
#ifndef XV_MASTER_LINK_H
#define XV_MASTER_LINK_H

#include <stdbool.h>
#include <stdint.h>

/* Now, in centiseconds of the master's sysUpTime. */
uint32_t xv_master_uptime(void);

/* The wall-clock millisecond at which the uptime was zero. */
int64_t xv_master_origin_ms(void);

/* Called on every connection to the master, once the master's clock
 * is known. */
typedef void xv_master_connected_fn(void *ctx);

/* Starts following AgentX (re)connections: call before init_snmp(),
 * which makes the first connection.  net-snmp's warning for every
 * failed reconnection attempt is silenced; the agent says it once. */
void xv_master_follow(void);

/* Who is told of connections from now on (NULL: no one). */
void xv_master_on_connect(xv_master_connected_fn *fn, void *ctx);

bool xv_master_connected(void);

/* The module runs inside snmpd: the master is here, always connected,
 * and its clock is the agent's own, whose origin never moves. */
void xv_master_local(void);

#endif
