/* SPDX-License-Identifier: ISC */
#include "xenvif/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "xenvif/classified.h"
#include "xenvif/classifier.h"
#include "xenvif/growth.h"
#include "xenvif/netlink.h"
#include "xenvif/resources.h"
#include "xenvif/state_file.h"
#include "xenvif/text.h"
#include "xenvif/xenstat_links.h"
#include "xenvif/xsconn.h"

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

	/* The eBPF classifier, opened once the engine serves (not at
	 * start: an engine that finds another instance serving is
	 * discarded, and must leave that instance's hooks alone); NULL if
	 * it cannot run. */
	struct xv_classifier *cls;
	bool cls_tried, cls_read_failed;
	struct xv_classified_list classified;

	/* Where the counters come from: nl or xenstat_counters. */
	struct xv_collector source;
	struct xv_xenstat_counters xenstat_counters;
	struct xv_hypervisor hv;        /* libxenstat, for resources too */
	bool resources_failed;
	time_t last_save;       /* CLOCK_MONOTONIC seconds */
	/* A part said a change must be saved at once, and no save has
	 * succeeded since. */
	bool unsaved;
};

static void say(struct xv_engine *e, enum xv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct xv_engine *e, enum xv_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xv_vsay(&e->log, level, fmt, ap);
	va_end(ap);
}

static uint32_t now_ticks(struct xv_engine *e)
{
	return e->hooks.now(e->hooks.ctx);
}

/* Seconds on a clock no one sets: wall-clock steps must not stop or
 * rush the saves. */
static time_t monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the master's clock -------------------------------------------- */

/* Two readings of the master's clock origin this close are the same
 * master: its uptime comes in centiseconds, read a little apart.  A
 * restarted master moves it by far more. */
#define ORIGIN_TOLERANCE_MS 1000

static uint32_t rebase(uint32_t stamp, int64_t delta)
{
	int64_t moved = (int64_t)stamp + delta;

	if (stamp == 0 || moved <= 0)
		return 0;
	return moved > UINT32_MAX ? UINT32_MAX : (uint32_t)moved;
}

/*
 * TimeStamps count from e->uptime_origin.  If the master's clock now
 * starts elsewhen (first contact with it, or a new master), they move
 * with it, and those that fall before its start become 0, "not since
 * the master started".  The switch's own TimeStamps stay: its clock
 * follows.
 */
static void follow_origin(struct xv_engine *e)
{
	int64_t origin = e->hooks.origin_ms(e->hooks.ctx);
	int64_t delta_ticks = (e->uptime_origin - origin) / 10;

	if (e->uptime_origin - origin >= -ORIGIN_TOLERANCE_MS &&
	    e->uptime_origin - origin <= ORIGIN_TOLERANCE_MS)
		return;
	for (size_t i = 0; i < e->table.rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(&e->table, i);

		row->discontinuity = rebase(row->discontinuity, delta_ticks);
	}
	e->table.last_change = rebase(e->table.last_change, delta_ticks);
	e->uptime_origin = origin;
	xv_switch_follow_master(&e->sw, origin);
}

/* ---- state file ---------------------------------------------------- */

static int load_state(struct xv_engine *e, char *err, size_t errlen)
{
	struct xv_state_info info;
	char msg[1024], aside[PATH_MAX + 64];
	int rc = xv_state_load(e->state_path, &e->table, &e->vms, &e->sw, e->boot_id,
			       &info, msg, sizeof msg);

	if (rc == -ENOENT) {
		say(e, XV_LOG_NOTICE, "no state file %s: starting without saved counters",
		    e->state_path);
		e->state_lost = true;
		return 0;
	}
	if (rc == -EINVAL) {
		/* Keep the damaged file for a human; never overwrite it. */
		if (xv_state_set_aside(e->state_path, aside, sizeof aside) < 0) {
			snprintf(err, errlen, "%s; cannot set it aside: %s", msg,
				 strerror(errno));
			return -EIO;
		}
		say(e, XV_LOG_ERR, "%s; kept as %s, counters restart where the "
		    "kernel's stand", msg, aside);
		e->state_lost = true;
		return 0;
	}
	if (rc < 0) {
		/* Unreadable but present (or no memory to read it):
		 * starting would overwrite it. */
		snprintf(err, errlen, "%s", msg);
		return rc;
	}
	if (info.boot_id[0] && strcmp(info.boot_id, e->boot_id) != 0)
		say(e, XV_LOG_NOTICE, "state file %s is from an earlier boot: "
		    "counters continue from it, devices start afresh", e->state_path);
	say(e, XV_LOG_INFO, "loaded %zu rows from %s", e->table.rows.n, e->state_path);
	/* Saved TimeStamps count from the master agent of that time: the
	 * same master as now, or one whose clock started elsewhen. */
	e->uptime_origin = info.uptime_origin;
	follow_origin(e);
	return 0;
}

int xv_engine_save(struct xv_engine *e)
{
	struct xv_state_info info = {.saved = time(NULL),
				     .uptime_origin = e->uptime_origin};
	char err[1024];
	int rc;

	memcpy(info.boot_id, e->boot_id, sizeof info.boot_id);
	e->sw.saved_uptime = xv_switch_uptime(&e->sw, now_ticks(e));
	rc = xv_state_save(e->state_path, &e->table, &e->vms, &e->sw, &info, err,
			   sizeof err);
	if (rc < 0) {
		if (!e->save_failed)
			say(e, XV_LOG_ERR, "cannot save state: %s", err);
		e->save_failed = true;
		return rc;
	}
	if (e->save_failed)
		say(e, XV_LOG_NOTICE, "state saved again to %s", e->state_path);
	e->save_failed = false;
	e->unsaved = false;
	e->last_save = monotonic_seconds();
	return 0;
}

/* What a part returned: XV_SAVE_NOW, or an error after which what it
 * did may be incomplete but should be kept. */
static void record(struct xv_engine *e, int verdict)
{
	if (verdict != XV_SAVE_LATER)
		e->unsaved = true;
}

static void save_if_unsaved(struct xv_engine *e)
{
	if (e->unsaved)
		xv_engine_save(e);
}

/* ---- xenstore ------------------------------------------------------ */

/* libxenstat reads domain names through a xenstore connection of its
 * own, which died with ours and which it never reopens: a fresh handle
 * next time. */
static void xenstore_lost(struct xv_engine *e)
{
	xv_hypervisor_renew(&e->hv);
}

static void follow_xenstore(struct xv_engine *e)
{
	if (xv_xs_follow_read(&e->xs) < 0)
		xenstore_lost(e);
}

/* ---- the kernel and the table -------------------------------------- */

static bool sysfs_nodename(void *ctx, const char *ifname, uint32_t *domid,
			   uint32_t *devid)
{
	struct xv_engine *e = ctx;
	char path[PATH_MAX + 64], buf[64];
	FILE *f;
	bool ok = false;

	/* Interface names cannot contain '/', but be sure. */
	if (strchr(ifname, '/') || strcmp(ifname, "..") == 0 || strcmp(ifname, ".") == 0)
		return false;
	snprintf(path, sizeof path, "%s/class/net/%s/device/nodename",
		 e->cfg.sysfs_root, ifname);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof buf, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ok = xv_parse_pair(buf, "backend/vif/", '/', domid, devid);
	}
	fclose(f);
	return ok;
}

static void drain_links(struct xv_engine *e)
{
	char err[256];

	if (e->source.ops->drain(e->source.src, &e->events, err, sizeof err) < 0 &&
	    !e->nl_failed) {
		say(e, XV_LOG_ERR, "%s", err);
		e->nl_failed = true;
	}
}

/* The switch's ports follow the rows. */
static void follow_switch(struct xv_engine *e, uint32_t now)
{
	char host[256] = "";
	struct xv_switch_input in = {
		.table = &e->table,
		.cfg = &e->cfg.sw,
		.now = time(NULL),
		.ticks = xv_switch_uptime(&e->sw, now),
		.host = host,
		.system = e->system,
	};

	/* Renamed hosts are seen at the next refresh. */
	if (gethostname(host, sizeof host - 1) < 0)
		host[0] = '\0';
	int rc = xv_switch_update(&e->sw, &in);
	if (rc < 0)
		say(e, XV_LOG_ERR, "out of memory while updating the switch's "
		    "ports; trying again at the next refresh");
	record(e, rc);
}

/* ---- the classifier ------------------------------------------------ */

static void open_classifier(struct xv_engine *e)
{
	char err[512];
	int rc;

	e->cls_tried = true;
	if (!e->cfg.classifier) {
		say(e, XV_LOG_INFO, "classifier no: traffic flooded to a VM is not told "
		    "apart; Out is accounted as all");
		return;
	}
	rc = xv_classifier_open(&e->cls, e->cfg.classifier_pins,
				e->cfg.classifier_hooks, &e->log, err, sizeof err);
	if (rc < 0) {
		e->cls = NULL;
		say(e, XV_LOG_WARNING, "cannot classify traffic: %s; Out is accounted "
		    "as all (floods included), and the classifier's columns have no "
		    "instance", err);
		return;
	}
	xv_classifier_set_budget(e->cls, XV_HOOKING_SLICE_MS);
	say(e, XV_LOG_INFO, "classifier running on %s hooks, its maps in %s",
	    xv_classifier_hooks_name(xv_classifier_hooks(e->cls)),
	    e->cfg.classifier_pins);
	/* New maps count from zero: what the state file read of the old
	 * ones must go now, and be saved so, before anything is counted. */
	if (!xv_classifier_counts_continue(e->cls)) {
		record(e, xv_vif_table_split_restarted(&e->table));
		xv_engine_save(e);
	}
}

/* The classifier's counts into the links (and the final ones of links
 * deleted), before they are reconciled. */
static void read_split(struct xv_engine *e)
{
	char err[256];

	if (!e->cls)
		return;
	if (xv_classifier_read(e->cls, &e->links, &e->events.gone, err, sizeof err) < 0) {
		if (!e->cls_read_failed)
			say(e, XV_LOG_ERR, "%s; the classifier's counts wait", err);
		e->cls_read_failed = true;
		return;
	}
	if (e->cls_read_failed)
		say(e, XV_LOG_NOTICE, "reading the classifier's counts again");
	e->cls_read_failed = false;
}

/* The classifier's hooks follow the served rows' devices. */
static void follow_classifier(struct xv_engine *e)
{
	if (!e->cls)
		return;
	if (xv_classified_list(&e->classified, &e->table, &e->vms, &e->links) < 0 ||
	    xv_classifier_follow(e->cls, e->classified.v, e->classified.n) < 0)
		say(e, XV_LOG_ERR, "out of memory while following the classifier's "
		    "devices; trying again at the next refresh");
}

void xv_engine_hook_more(struct xv_engine *e)
{
	follow_classifier(e);
}

/* Reads the kernel and folds it and the metadata into the table. */
static void sync_table(struct xv_engine *e)
{
	char err[256];
	uint32_t now = now_ticks(e);
	int rc;

	/* Notifications first: a link deleted before the dump must not
	 * be retired without its final counters. */
	drain_links(e);
	if (e->source.ops->read(e->source.src, &e->xs.meta, &e->links, err,
				sizeof err) < 0) {
		if (!e->nl_failed)
			say(e, XV_LOG_ERR, "%s; keeping the last counters", err);
		e->nl_failed = true;
		return;
	}
	if (e->nl_failed)
		say(e, XV_LOG_NOTICE, "reading %s counters again",
		    e->source.ops->what);
	e->nl_failed = false;
	drain_links(e);
	read_split(e);

	struct xv_reconcile in = {
		.meta = &e->xs.meta,
		.links = &e->links,
		.gone = &e->events.gone,
		.now = now,
		.new_row_discontinuity = e->state_lost && !e->settled ? (now ? now : 1) : 0,
		.new_sources_are_baseline = e->state_lost && !e->settled,
		.nodename = sysfs_nodename,
		.nodename_ctx = e,
	};
	/* New indexes, and devices started or finished, must reach the
	 * state file before a crash could lose them: the parts say so. */
	if ((rc = xv_vif_table_reconcile(&e->table, &in)) < 0)
		say(e, XV_LOG_ERR, "out of memory while updating the table; "
		    "trying again at the next refresh");
	record(e, rc);
	if ((rc = xv_vm_table_update(&e->vms, &e->table, &e->cfg, time(NULL))) < 0)
		say(e, XV_LOG_ERR, "out of memory while updating the VM table");
	record(e, rc);
	follow_switch(e, now);
	follow_classifier(e);
	say(e, XV_LOG_DEBUG, "reconciled %zu links, %zu gone, %zu domains: "
	    "%zu rows served of %zu known", e->links.n, e->events.gone.n,
	    e->xs.meta.n, e->table.rows.nactive, e->table.rows.n);
	if (e->events.overrun && !e->overrun_logged) {
		say(e, XV_LOG_WARNING, "kernel link notifications were lost (a "
		    "burst of device changes): a device deleted meanwhile may "
		    "miss its last interval");
		e->overrun_logged = true;
	}
	xv_link_events_clear(&e->events);
	/* Settled once a full xenstore picture has been joined. */
	if (xv_xs_follow_settled(&e->xs))
		e->settled = true;
}

static void release(struct xv_engine *e);

/* The switch's address follows the host: its machine id, else its
 * name. */
static void switch_address(struct xv_engine *e)
{
	char seed[256] = "";
	FILE *f = fopen("/etc/machine-id", "re");

	if (f) {
		if (!fgets(seed, sizeof seed, f))
			seed[0] = '\0';
		fclose(f);
	}
	seed[strcspn(seed, "\n")] = '\0';
	if (!seed[0] && gethostname(seed, sizeof seed - 1) < 0)
		seed[0] = '\0';
	xv_switch_set_address(&e->sw, seed);
}

/* ---- entry points -------------------------------------------------- */

static int start(struct xv_engine *e, struct xv_config *cfg,
		 const char *state_path, const struct xv_engine_hooks *hooks,
		 char *err, size_t errlen)
{
	int rc;

	e->cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	e->hooks = *hooks;
	snprintf(e->state_path, sizeof e->state_path, "%s", state_path);
	e->log = (struct xv_log){hooks->log, hooks->ctx};
	/* The toolstack's layout of xenstore. */
	static const struct xv_layout *const layouts[] = {
		[XV_TOOLSTACK_AUTO] = &xv_auto_layout,
		[XV_TOOLSTACK_LIBXL] = &xv_libxl_layout,
		[XV_TOOLSTACK_XAPI] = &xv_xapi_layout,
	};
	xv_xs_follow_init(&e->xs, e->cfg.backend_domid, layouts[e->cfg.toolstack],
			  hooks->xs_ops ? hooks->xs_ops : &xv_libxenstore_conn,
			  hooks->xs_ops ? hooks->xs_conn : &e->xs_conn, &e->log);
	e->xs.retry_seconds = e->cfg.refresh_interval;
	xv_xsconn_init(&e->xs_conn);
	xv_vif_table_init(&e->table);
	xv_vm_table_init(&e->vms);
	xv_switch_init(&e->sw);
	struct utsname uts;
	if (uname(&uts) == 0)
		snprintf(e->system, sizeof e->system, "%.40s %.40s %.20s", uts.sysname,
			 uts.release, uts.machine);
	e->nl.dump_fd = e->nl.event_fd = -1;
	e->hv.log = &e->log;
	e->xenstat_counters = (struct xv_xenstat_counters){
		&e->hv, {.fd = -1, .sysfs_root = e->cfg.sysfs_root}, &e->log};
	e->source = hooks->collector.ops ? hooks->collector
		    : e->cfg.counter_source == XV_COUNTERS_XENSTAT
			    ? (struct xv_collector){&xv_xenstat_collector,
						    &e->xenstat_counters}
			    : (struct xv_collector){&xv_netlink_collector, &e->nl};
	xv_state_boot_id(e->boot_id);
	if (!e->boot_id[0])
		say(e, XV_LOG_WARNING, "cannot read the kernel's boot id: a state "
		    "file's devices are assumed to be of this boot");
	e->last_save = monotonic_seconds();
	e->uptime_origin = hooks->origin_ms(hooks->ctx);

	if ((rc = load_state(e, err, errlen)) < 0 ||
	    (rc = e->source.ops->open(e->source.src, err, errlen)) < 0) {
		release(e);
		return rc;
	}
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		xv_switch_start_clock(&e->sw, e->uptime_origin, now_ticks(e),
				      (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	}
	switch_address(e);
	xv_xs_follow_check(&e->xs);
	follow_xenstore(e);
	sync_table(e);
	/* Rates count from here. */
	record(e, xv_vm_table_sample(&e->vms, &e->cfg, monotonic_ms()));
	return 0;
}

struct xv_engine *xv_engine_start(struct xv_config *cfg, const char *state_path,
				  const struct xv_engine_hooks *hooks, char *err,
				  size_t errlen)
{
	struct xv_engine *e = calloc(1, sizeof *e);

	if (!e) {
		snprintf(err, errlen, "out of memory");
		xv_config_free(cfg);
		memset(cfg, 0, sizeof *cfg);
		return NULL;
	}
	if (start(e, cfg, state_path, hooks, err, errlen) < 0) {
		free(e);
		return NULL;
	}
	return e;
}

const struct xv_vif_table *xv_engine_vifs(const struct xv_engine *e)
{
	return &e->table;
}

const struct xv_vm_table *xv_engine_vms(const struct xv_engine *e)
{
	return &e->vms;
}

const struct xv_switch *xv_engine_switch(const struct xv_engine *e)
{
	return &e->sw;
}

const struct xv_config *xv_engine_config(const struct xv_engine *e)
{
	return &e->cfg;
}

struct xv_engine_schedule xv_engine_schedule(const struct xv_engine *e)
{
	return (struct xv_engine_schedule){
		e->cfg.refresh_interval, e->cfg.resource_interval, e->vms.period_next,
		e->cls && xv_classifier_waiting(e->cls) > 0};
}

int xv_engine_save_pending(struct xv_engine *e)
{
	return e->unsaved ? xv_engine_save(e) : 0;
}

void xv_engine_start_classifier(struct xv_engine *e)
{
	if (e->cls_tried)
		return;
	open_classifier(e);
	follow_classifier(e);
}

void xv_engine_refresh(struct xv_engine *e)
{
	xv_engine_start_classifier(e);
	if (xv_xs_follow_check(&e->xs))
		xenstore_lost(e);
	follow_xenstore(e);
	sync_table(e);
	record(e, xv_vm_table_sample(&e->vms, &e->cfg, monotonic_ms()));
	if (e->unsaved ||
	    monotonic_seconds() - e->last_save >= (time_t)e->cfg.state_save_interval)
		xv_engine_save(e);
}

void xv_engine_xenstore_ready(struct xv_engine *e)
{
	int rc = xv_xs_follow_events(&e->xs);

	if (rc < 0)
		xenstore_lost(e);
	if (rc <= 0)
		return;
	follow_xenstore(e);
	sync_table(e);
	save_if_unsaved(e);
}

static void keeps_old_value(void *ctx, const char *token)
{
	say(ctx, XV_LOG_WARNING, "reload: %s changes only with a restart; "
	    "keeping the old value", token);
}

void xv_engine_reconfigure(struct xv_engine *e, struct xv_config *cfg)
{
	xv_config_keep_fixed(cfg, &e->cfg, keeps_old_value, e);
	xv_config_free(&e->cfg);
	e->cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	e->xs.retry_seconds = e->cfg.refresh_interval;
	/* Quotas, alarms and the period apply at once, on the usage
	 * counted so far. */
	sync_table(e);
	save_if_unsaved(e);
	say(e, XV_LOG_NOTICE, "configuration reloaded: %zu quotas, %zu rate alarms",
	    e->cfg.nquotas, e->cfg.nrates);
}

void xv_engine_read_resources(struct xv_engine *e)
{
	struct xv_resource_set set = {0};
	struct xv_xenstat *handle = xv_hypervisor_xenstat(&e->hv);
	char err[256], chatter[sizeof e->hv.chatter];
	int rc;

	if (!handle)
		return;
	rc = xv_xenstat_resources(handle, &set, err, sizeof err, chatter,
				  sizeof chatter);
	xv_hypervisor_heard(&e->hv, chatter);
	if (rc < 0) {
		if (!e->resources_failed)
			say(e, XV_LOG_WARNING, "%s; VM state, vcpus, memory and CPU "
			    "time are not served; trying again every %u s", err,
			    e->cfg.resource_interval);
		e->resources_failed = true;
		xv_vm_table_apply_resources(&e->vms, NULL);
		xv_resource_set_free(&set);
		return;
	}
	if (e->resources_failed)
		say(e, XV_LOG_NOTICE, "reading VM resources from the hypervisor again");
	e->resources_failed = false;
	xv_vm_table_apply_resources(&e->vms, &set);
	xv_resource_set_free(&set);
}

void xv_engine_netlink_ready(struct xv_engine *e)
{
	drain_links(e);
	if (e->events.changed || e->events.gone.n > 0)
		sync_table(e);
	save_if_unsaved(e);
}

void xv_engine_notices_sent(struct xv_engine *e, size_t vm_notices,
			    size_t port_notices)
{
	xv_switch_sent(&e->sw, port_notices);
	record(e, xv_vm_table_sent(&e->vms, vm_notices));
	save_if_unsaved(e);
}

void xv_engine_master_connected(struct xv_engine *e)
{
	follow_origin(e);
}

/* Frees everything the engine holds (its configuration included). */
static void release(struct xv_engine *e)
{
	xv_hypervisor_renew(&e->hv);
	xv_xs_follow_free(&e->xs);
	e->source.ops->close(e->source.src);
	xv_linkset_free(&e->links);
	xv_link_events_free(&e->events);
	xv_vif_table_free(&e->table);
	xv_vm_table_free(&e->vms);
	xv_switch_free(&e->sw);
	xv_classified_free(&e->classified);
	xv_config_free(&e->cfg);
}

void xv_engine_discard(struct xv_engine *e)
{
	release(e);
	free(e);
}

void xv_engine_stop(struct xv_engine *e)
{
	/* A device deleted since the last refresh: its final counters
	 * wait in the notification socket. */
	if (e->source.ops->fd(e->source.src) >= 0)
		sync_table(e);
	xv_engine_save(e);
	/* Its hooks and pins go: a clean stop leaves nothing behind. */
	if (e->cls)
		xv_classifier_close(e->cls);
	release(e);
	free(e);
}

int xv_engine_xenstore_fd(const struct xv_engine *e)
{
	return xv_xs_follow_fd(&e->xs);
}

int xv_engine_netlink_fd(const struct xv_engine *e)
{
	return e->source.ops->fd(e->source.src);
}
