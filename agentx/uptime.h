/*
 * TimeStamps in the master agent's sysUpTime.  net-snmp sets the
 * subagent's uptime from every response the master sends, so
 * netsnmp_get_agent_uptime() is the master's clock once connected.
 * Its origin, the wall-clock moment of uptime 0, moves when the agent
 * first connects or when the master restarts; stored TimeStamps must
 * then be moved by the same amount.
 */
#ifndef XV_UPTIME_H
#define XV_UPTIME_H

#include <stdint.h>

/* Now, in centiseconds of the master's sysUpTime. */
uint32_t xv_uptime_now(void);

/* The wall-clock millisecond at which the uptime was zero. */
int64_t xv_uptime_origin_ms(void);

/* Called with how far (in centiseconds) stored TimeStamps must move
 * when the origin moved by more than a second. */
typedef void xv_origin_moved_fn(void *ctx, int64_t delta_ticks,
				int64_t origin_ms);

/* Watches AgentX (re)connections for moves of the origin. */
void xv_uptime_follow(xv_origin_moved_fn *fn, void *ctx);

#endif
