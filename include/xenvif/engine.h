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
#include "xenvif/switch_view.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"
#include "xenvif/xs_follow.h"

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

/* Opaque: the engine's parts are its own; callers use the functions
 * below. */
struct xv_engine;


/*
 * Starts an engine: the state file is loaded (a damaged one is set
 * aside and reported), not written (see xv_engine_save_pending()), the
 * tables made.  The engine takes cfg, which is cleared, whatever the
 * outcome.  NULL with err set if the agent cannot run: no rtnetlink, a
 * state file that exists but cannot be read, no memory; nothing is
 * left open then.
 */
struct xv_engine *xv_engine_start(struct xv_config *cfg, const char *state_path,
				  const struct xv_engine_hooks *hooks, char *err,
				  size_t errlen);

/* What the engine keeps and serves.  The pointers hold until it stops;
 * the configuration is replaced in place by a reload. */
const struct xv_vif_table *xv_engine_vifs(const struct xv_engine *e);
struct xv_vm_table *xv_engine_vms(struct xv_engine *e);
struct xv_switch *xv_engine_switch(struct xv_engine *e);
const struct xv_config *xv_engine_config(const struct xv_engine *e);

/* When the engine must run again. */
struct xv_engine_schedule {
	unsigned int refresh;   /* seconds between refreshes */
	unsigned int resources; /* seconds between resource reads; 0: none */
	time_t period_end;      /* the accounting period's end (epoch
				 * seconds): a refresh is due just after */
};
struct xv_engine_schedule xv_engine_schedule(const struct xv_engine *e);

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

/* Saves, closes and frees everything. */
void xv_engine_stop(struct xv_engine *e);

/* Closes and frees everything without saving: the state file belongs
 * to another instance. */
void xv_engine_discard(struct xv_engine *e);

int xv_engine_xenstore_fd(const struct xv_engine *e);
int xv_engine_netlink_fd(const struct xv_engine *e);

#endif
