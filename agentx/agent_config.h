/* SPDX-License-Identifier: ISC */
/*
 * xen-vif-agent.conf through net-snmp's configuration reader: the
 * agent's tokens are registered with it, so they live beside net-snmp's
 * own (agentXSocket, agentXPingInterval, ...) in the same file, found
 * on SNMPCONFPATH like every net-snmp application's.
 *
 * net-snmp only logs configuration errors and unknown tokens and goes
 * on; it tells the application nothing.  The agent listens to the log
 * while the files are read and counts errors in its own files, so that
 * a broken configuration stops it instead of half-applying.
 */
#ifndef XV_AGENT_CONFIG_H
#define XV_AGENT_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "xenvif/config.h"

#define XV_APP_NAME "xen-vif-agent"

/* Registers the agent's tokens, filling *cfg as lines are read.
 * extra_files: the -c files (comma-separated), also the agent's own. */
void xv_agent_config_register(struct xv_config *cfg, const char *extra_files);

/* Starts and stops counting errors in the agent's files. */
void xv_agent_config_count_errors(int on);
unsigned int xv_agent_config_errors(void);

/*
 * Reads the agent's own files again (a reload) into fresh, which must
 * hold the defaults.  Returns the number of errors (each logged with
 * its file and line; finding no file at all is one); fresh is only to
 * be used if it is 0.
 */
unsigned int xv_agent_config_reload(struct xv_config *fresh);

/*
 * Inside snmpd, snmpd reads the agent's files itself, with its own,
 * at start and on every SIGHUP.  From now on each such reading fills a
 * fresh configuration (defaults first) and, when it ends, done is
 * called with it (done owns it) and the number of errors in the
 * agent's files, and whether any of them was found.  Call it as snmpd
 * reads its files: the reading under way is the first.  NULL stops
 * following (what is registered stays, inert).
 */
typedef void xv_config_done_fn(struct xv_config *cfg, unsigned int errors,
			       bool found);
void xv_agent_config_follow_snmpd(xv_config_done_fn *done);

/* Forgets everything registered with net-snmp (the module unloads). */
void xv_agent_config_unregister(void);

/* How many of the agent's files exist where they are looked for. */
unsigned int xv_agent_config_files(void);

/* The agent's tokens, for -H. */
void xv_agent_config_print_tokens(FILE *out);

#endif
