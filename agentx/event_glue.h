/* SPDX-License-Identifier: ISC */
/*
 * The only place the engine meets net-snmp's event loop: its file
 * descriptors become net-snmp "external" read fds, its refresh and the
 * next accounting period's start become net-snmp alarms, so
 * agent_check_and_process() runs everything in one thread.  After each
 * engine call the notices it queued are sent.
 */
#ifndef XV_EVENT_GLUE_H
#define XV_EVENT_GLUE_H

#include <stdbool.h>

#include "mib_switch.h"
#include "xenvif/engine.h"

/* sw: the switch view served (its linkUp/linkDown), or NULL. */
void xv_glue_start(struct xv_engine *e, const struct xv_mib_switch_ctx *sw);
void xv_glue_stop(void);

/* Reads the counters a last time and, if send, sends what notices there
 * are (those not sent stay in the state). */
void xv_glue_finish(bool send);

/* Applies a reloaded configuration (the engine takes it). */
void xv_glue_reconfigure(struct xv_config *cfg);

#endif
