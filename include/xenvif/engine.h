/* SPDX-License-Identifier: ISC */
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

struct xv_engine_hooks {
	/* The clock of TimeStamps, read when the engine needs it: now, in
	 * the master agent's sysUpTime (centiseconds), and the wall-clock
	 * millisecond at which that uptime was zero. */
	uint32_t (*now)(void *ctx);
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
const struct xv_vm_table *xv_engine_vms(const struct xv_engine *e);
const struct xv_switch *xv_engine_switch(const struct xv_engine *e);
const struct xv_config *xv_engine_config(const struct xv_engine *e);

/* When the engine must run again. */
struct xv_engine_schedule {
	unsigned int refresh;   /* seconds between refreshes */
	unsigned int resources; /* seconds between resource reads; 0: none */
	time_t period_end;      /* the accounting period's end (epoch
				 * seconds): a refresh is due just after */
	bool hooking;           /* devices wait for the classifier's hooks:
				 * xv_engine_hook_more() is due soon */
};
struct xv_engine_schedule xv_engine_schedule(const struct xv_engine *e);

/*
 * How long one call may spend hooking the classifier's devices (a tcx
 * link waits for an RCU grace period, about 12 ms): the rest is left to
 * xv_engine_hook_more(), called XV_HOOKING_PAUSE_MS later, requests
 * answered between.
 */
#define XV_HOOKING_SLICE_MS 20
#define XV_HOOKING_PAUSE_MS 5

/*
 * Opens the classifier (once) and begins hooking the served rows'
 * devices: to be called as soon as the engine's objects are
 * registered (not before: an engine that finds another instance
 * serving is discarded, and must leave that instance's hooks alone).
 * The sooner the hooks go on, the less of the first interval's traffic
 * goes unclassified; the first refresh does it if nothing did before.
 */
void xv_engine_start_classifier(struct xv_engine *e);

/* Hooks the next few of the devices that wait for them (schedule's
 * hooking). */
void xv_engine_hook_more(struct xv_engine *e);

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

/* The master agent (re)connected: its clock may start elsewhen now (a
 * new master).  Stored TimeStamps then move with it; those that fall
 * before its start become 0, "not since the master started". */
void xv_engine_master_connected(struct xv_engine *e);

/* The first n waiting VM notices and port notices were handed to the
 * master: forgotten, and the VM notices' passing saved. */
void xv_engine_notices_sent(struct xv_engine *e, size_t vm_notices,
			    size_t port_notices);

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
