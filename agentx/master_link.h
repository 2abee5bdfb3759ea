/*
 * What the agent knows of its AgentX master: whether it is connected,
 * and its clock.  Inside snmpd (xv_master_local) the master is the
 * process itself.
 *
 * TimeStamps are in the master's sysUpTime.  net-snmp sets the
 * subagent's uptime from every response the master sends, so
 * netsnmp_get_agent_uptime() is the master's clock once connected.
 * Its origin, the wall-clock moment of uptime 0, moves when the agent
 * first connects or when the master restarts; stored TimeStamps must
 * then move by the same amount.
 */
#ifndef XV_MASTER_LINK_H
#define XV_MASTER_LINK_H

#include <stdbool.h>
#include <stdint.h>

/* Now, in centiseconds of the master's sysUpTime. */
uint32_t xv_master_uptime(void);

/* The wall-clock millisecond at which the uptime was zero. */
int64_t xv_master_origin_ms(void);

/* Called with how far (in centiseconds) stored TimeStamps must move
 * when the origin moved by more than a second. */
typedef void xv_origin_moved_fn(void *ctx, int64_t delta_ticks,
				int64_t origin_ms);

/* Starts following AgentX (re)connections: call before init_snmp(),
 * which makes the first connection.  net-snmp's warning for every
 * failed reconnection attempt is silenced; the agent says it once. */
void xv_master_follow(void);

/* Where moves of the clock's origin are reported from now on. */
void xv_master_on_origin_moved(xv_origin_moved_fn *fn, void *ctx);

bool xv_master_connected(void);

/* The module runs inside snmpd: the master is here, always connected,
 * and its clock is the agent's own, whose origin never moves. */
void xv_master_local(void);

#endif
