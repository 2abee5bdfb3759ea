/* SPDX-License-Identifier: ISC */
/*
 * The XEN-VIF-MIB module as one unit: the engine, its MIB objects and
 * its place in net-snmp's event loop, started and stopped together.
 * Two hosts run it: the AgentX daemon (agentx/main.c) and snmpd itself,
 * which loads it with dlmod (agentx/snmpd_module.c).  They differ only
 * in where notifications go and whose clock TimeStamps use; the module
 * owns the engine, so the same code answers in both.
 */
#ifndef XV_MODULE_H
#define XV_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "xenvif/config.h"

enum xv_module_host {
	XV_HOST_SUBAGENT, /* an AgentX subagent: snmpd is elsewhere */
	XV_HOST_SNMPD,    /* loaded into snmpd: no AgentX hop */
};

/*
 * Starts the engine with cfg (the module takes its rule lists and
 * clears cfg, whatever the outcome), loads
 * the state file, registers XEN-VIF-MIB and joins the event loop.  0,
 * or -1 with err set; nothing is left running then.
 */
int xv_module_start(enum xv_module_host host, struct xv_config *cfg, char *err,
		    size_t errlen);

bool xv_module_running(void);

/* A subagent, before it connects to its master: makes the switch
 * view's context exist here already (see xv_compat_prepare_context). */
void xv_module_prepare_context(const struct xv_config *cfg);

/* A new configuration (the module takes it). */
void xv_module_reconfigure(struct xv_config *cfg);

/* How many vifs are served, for the start-up message. */
size_t xv_module_vifs(void);

/* Reads the counters a last time, sends what notices wait (a subagent
 * only: inside snmpd they wait in the state file), leaves the MIB and
 * saves the state file.  Does nothing if not running. */
void xv_module_stop(void);

#endif
