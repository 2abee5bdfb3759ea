/*
 * The only place the engine meets net-snmp's event loop: its file
 * descriptors become net-snmp "external" read fds and its refresh
 * becomes a net-snmp alarm, so agent_check_and_process() runs
 * everything in one thread.
 */
#ifndef XV_EVENT_GLUE_H
#define XV_EVENT_GLUE_H

#include "xenvif/engine.h"

void xv_glue_start(struct xv_engine *e);
void xv_glue_stop(void);

#endif
