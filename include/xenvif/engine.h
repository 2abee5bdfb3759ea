/*
 * The engine keeps the vif and VM tables true: it follows xenstore
 * through watches, reads the kernel's counters through rtnetlink,
 * reconciles the two into the vif table, feeds the VM table (usage,
 * quotas, rates) and saves the state file.  Notices of quota and rate
 * crossings wait in the VM table for the agent to send.  It knows nothing
 * of SNMP: the agent calls it from net-snmp's event loop when a file
 * descriptor is readable or the refresh alarm fires, and serves the
 * table it keeps.
 *
 * Nothing here blocks on a poller's request: all reading from the
 * kernel and xenstore happens in these calls, between requests.
 */
#ifndef XENVIF_ENGINE_H
#define XENVIF_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "xenvif/config.h"
#include "xenvif/collector.h"
#include "xenvif/log.h"
#include "xenvif/netlink.h"
#include "xenvif/resources.h"
#include "xenvif/state_file.h"
#include "xenvif/switch_view.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"
#include "xenvif/xs_follow.h"
#include "xenvif/xsconn.h"
#include "xenvif/xsmeta.h"

/* Two readings of the master's clock origin this close are the same
 * master: its uptime comes in centiseconds, read a little apart.  A
 * restarted master moves it by far more. */
#define XV_ORIGIN_TOLERANCE_MS 1000

struct xv_engine_hooks {
	/* TimeStamp now, in the master agent's sysUpTime (centiseconds). */
	uint32_t (*now)(void *ctx);
	/* The wall-clock millisecond at which that uptime was zero. */
	int64_t (*origin_ms)(void *ctx);
	void (*log)(void *ctx, enum xv_log_level level, const char *msg);
	void *ctx;
	/* What the engine reads, if not the real ones (tests): a xenstore
	 * connection, and a counter collector. */
	const struct xv_xs_conn_ops *xs_ops;
	void *xs_conn;
	struct xv_collector collector;
};

struct xv_engine {
	struct xv_config cfg;
	char state_path[PATH_MAX];
	struct xv_engine_hooks hooks;

	struct xv_vif_table table;
	struct xv_vm_table vms;
	struct xv_switch sw;    /* dom0 as a switch: the ports */
	char system[128];       /* the kernel and machine, for sysDescr */
	struct xv_log log;
	struct xv_xsconn xs_conn;
	struct xv_xs_follow xs;  /* xenstore, through xs_conn */
	struct xv_netlink nl;
	struct xv_linkset links;
	struct xv_link_events events;
	char boot_id[40];
	int64_t uptime_origin;  /* wall-clock millisecond of TimeStamp 0 */

	/* Continuity: rows first seen before the first full picture,
	 * with no saved state, may have had counters before. */
	bool state_lost;
	bool settled;

	/* Report a failing resource once, and its recovery once. */
	bool nl_failed, save_failed, overrun_logged;

	/* Where the counters come from: nl or xenstat_counters. */
	struct xv_collector source;
	struct xv_xenstat_counters xenstat_counters;
	struct xv_hypervisor hv;        /* libxenstat, for resources too */
	bool resources_failed;
	time_t last_save;       /* CLOCK_MONOTONIC seconds */
	bool save_soon;
};

/* Prepares everything; the state file is loaded (a damaged one is set
 * aside and reported), not written: see xv_engine_save_pending().  The
 * engine takes cfg's rule lists.  -errno with err set if the agent
 * cannot run: no rtnetlink, or a state file that exists but cannot be
 * read; everything is released then. */
int xv_engine_start(struct xv_engine *e, const struct xv_config *cfg,
		    const char *state_path, const struct xv_engine_hooks *hooks,
		    char *err, size_t errlen);

/* The refresh alarm: counters, and xenstore's health. */
void xv_engine_refresh(struct xv_engine *e);

/* xenstore's descriptor is readable: watch events wait. */
void xv_engine_xenstore_ready(struct xv_engine *e);

/* The link notification socket is readable. */
void xv_engine_netlink_ready(struct xv_engine *e);

/* The resource alarm: reads the hypervisor's view of the domains. */
void xv_engine_read_resources(struct xv_engine *e);

/* Saves the state file now.  0 or -errno (logged). */
int xv_engine_save(struct xv_engine *e);

/* Saves it if a change waits to be recorded (new rows at start). */
int xv_engine_save_pending(struct xv_engine *e);

/* The TimeStamp clock's origin moved (first contact with the master
 * agent, or a new master): stored TimeStamps move by delta_ticks, and
 * those that fall before the new origin become 0, "not since the
 * master started". */
void xv_engine_rebase_clock(struct xv_engine *e, int64_t delta_ticks,
			    int64_t origin_ms);

/*
 * Takes a new configuration (a reload); the engine owns it from now
 * on.  Settings that need a restart (backendDomain, stateFile,
 * sysfsRoot) keep their old values, with a warning.  Usage is kept;
 * quotas and alarms are re-evaluated at once.
 */
void xv_engine_reconfigure(struct xv_engine *e, struct xv_config *cfg);

/* Saves and closes everything. */
void xv_engine_stop(struct xv_engine *e);

/* Closes everything without saving: the state file belongs to another
 * instance. */
void xv_engine_discard(struct xv_engine *e);

int xv_engine_xenstore_fd(const struct xv_engine *e);
int xv_engine_netlink_fd(const struct xv_engine *e);

#endif
