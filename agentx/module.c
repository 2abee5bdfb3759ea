/* SPDX-License-Identifier: ISC */
#include "module.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "agent_config.h"
#include "event_glue.h"
#include "master_link.h"
#include "mib_switch.h"
#include "mib_vif.h"
#include "mib_vm.h"
#include "netsnmp_compat.h"
#include "notify.h"
#include "xenvif/engine.h"

static struct xv_engine *engine;
static bool running;
static enum xv_module_host host_running;

/* XEN-VIF-MIB in the default context, from the running engine. */
static struct xv_mib_vif_ctx vif_ctx;
static struct xv_mib_table objects[XV_MIB_VIF_OBJECTS + XV_MIB_VM_OBJECTS];
static size_t nobjects;

/* The switch view: a whole device in a context of its own, with
 * XEN-VIF-MIB again in the switch's clock. */
static struct xv_mib_vif_ctx switch_vif_ctx;
static struct xv_mib_switch_ctx switch_ctx;
static struct xv_mib_table switch_objects[XV_MIB_SYSTEM_OBJECTS +
					  XV_MIB_IFMIB_OBJECTS +
					  XV_MIB_BRIDGE_OBJECTS +
					  XV_MIB_VIF_OBJECTS + XV_MIB_VM_OBJECTS];
static size_t nswitch_objects;
static char switch_context[XV_CONTEXT_MAX + 1];

static int register_objects(struct xv_engine *e, char *err, size_t errlen)
{
	const struct xv_config *cfg = xv_engine_config(e);

	vif_ctx = (struct xv_mib_vif_ctx){xv_engine_vifs(e), xv_engine_vms(e), NULL};
	switch_vif_ctx = (struct xv_mib_vif_ctx){xv_engine_vifs(e), xv_engine_vms(e),
						 xv_engine_switch(e)};
	switch_ctx = (struct xv_mib_switch_ctx){xv_engine_switch(e), &cfg->sw,
						xv_master_uptime};
	nobjects = xv_mib_vif_objects(objects, &vif_ctx);
	nobjects += xv_mib_vm_objects(objects + nobjects, xv_engine_vms(e));
	if (xv_mib_register_all(objects, nobjects, NULL) != MIB_REGISTERED_OK) {
		snprintf(err, errlen, "cannot register the XEN-VIF-MIB objects "
			 "(is another instance serving them?)");
		nobjects = 0;
		return -1;
	}
	snprintf(switch_context, sizeof switch_context, "%s", cfg->sw.context);
	nswitch_objects = 0;
	if (!switch_context[0])
		return 0;
	struct xv_mib_table *o = switch_objects;
	o += xv_mib_system_objects(o, &switch_ctx);
	o += xv_mib_ifmib_objects(o, &switch_ctx);
	o += xv_mib_bridge_objects(o, &switch_ctx);
	o += xv_mib_vif_objects(o, &switch_vif_ctx);
	o += xv_mib_vm_objects(o, xv_engine_vms(e));
	nswitch_objects = (size_t)(o - switch_objects);
	if (xv_mib_register_all(switch_objects, nswitch_objects, switch_context) !=
	    MIB_REGISTERED_OK) {
		snprintf(err, errlen, "cannot register the switch view in context "
			 "'%s' (is another instance serving it?)", switch_context);
		xv_mib_unregister_all(objects, nobjects);
		nobjects = nswitch_objects = 0;
		return -1;
	}
	return 0;
}

static void unregister_objects(void)
{
	xv_mib_unregister_all(switch_objects, nswitch_objects);
	xv_mib_unregister_all(objects, nobjects);
	nobjects = nswitch_objects = 0;
}

static void engine_log(void *ctx, enum xv_log_level level, const char *msg)
{
	static const int priority[] = {
		[XV_LOG_ERR] = LOG_ERR,
		[XV_LOG_WARNING] = LOG_WARNING,
		[XV_LOG_NOTICE] = LOG_NOTICE,
		[XV_LOG_INFO] = LOG_INFO,
	};

	(void)ctx;
	if (level == XV_LOG_DEBUG)
		DEBUGMSGTL((XV_APP_NAME, "%s\n", msg));
	else
		snmp_log(priority[level], "%s\n", msg);
}

static uint32_t engine_now(void *ctx)
{
	(void)ctx;
	return xv_master_uptime();
}

static int64_t engine_origin(void *ctx)
{
	(void)ctx;
	return xv_master_origin_ms();
}

static void on_master_connected(void *ctx)
{
	xv_engine_master_connected(ctx);
}

/* The configured state file, else one in net-snmp's persistent
 * directory: snmpd's own when inside snmpd, so that an operator can
 * move between the daemon and the module and keep the accounting. */
static void state_path(const struct xv_config *cfg, char *out, size_t outsz)
{
	if (cfg->state_file[0])
		snprintf(out, outsz, "%s", cfg->state_file);
	else
		snprintf(out, outsz, "%s/%s.state", get_persistent_directory(),
			 XV_APP_NAME);
}

int xv_module_start(enum xv_module_host host, struct xv_config *cfg, char *err,
		    size_t errlen)
{
	static const struct xv_engine_hooks hooks = {.now = engine_now,
						     .origin_ms = engine_origin,
						     .log = engine_log};
	char path[PATH_MAX], why[1024];

	if (running) {
		snprintf(err, errlen, "already running");
		return -1;
	}
	state_path(cfg, path, sizeof path);
	if (host == XV_HOST_SNMPD)
		xv_master_local();
	/* The tables first, whole: a subagent answers the master while it
	 * registers, and must not answer from tables still empty. */
	engine = xv_engine_start(cfg, path, &hooks, why, sizeof why);
	if (!engine) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	/* Then the objects; if another instance serves them (the daemon
	 * beside the module in snmpd), this one must not write the state
	 * file they share by default: it has only read it so far. */
	if (register_objects(engine, err, errlen) < 0) {
		xv_engine_discard(engine);
		engine = NULL;
		return -1;
	}
	xv_engine_save_pending(engine);
	/* Serving: the classifier's hooks can go on, the sooner the better
	 * (what the vifs carry before is not split). */
	xv_engine_start_classifier(engine);
	xv_master_on_connect(on_master_connected, engine);
	xv_notify_route(host == XV_HOST_SNMPD ? XV_NOTIFY_LOCAL : XV_NOTIFY_AGENTX);
	xv_glue_start(engine, nswitch_objects ? &switch_ctx : NULL);
	host_running = host;
	running = true;
	return 0;
}

void xv_module_prepare_context(const struct xv_config *cfg)
{
	if (cfg->sw.context[0])
		xv_compat_prepare_context(cfg->sw.context);
}

bool xv_module_running(void)
{
	return running;
}

void xv_module_reconfigure(struct xv_config *cfg)
{
	if (running)
		xv_glue_reconfigure(cfg);
	else
		xv_config_free(cfg);
}

size_t xv_module_vifs(void)
{
	return running ? xv_engine_vifs(engine)->rows.nactive : 0;
}

void xv_module_stop(void)
{
	if (!running)
		return;
	/* The last counters, and any notice they call for, before the
	 * state is saved (a notice not sent stays in it).  Inside snmpd,
	 * which is shutting down or reloading, its sinks may be going or
	 * gone, and an inform's answer would never be read: the notices
	 * wait in the state for the next start. */
	xv_glue_finish(host_running != XV_HOST_SNMPD);
	if (host_running == XV_HOST_SNMPD && xv_engine_vms(engine)->nnotices)
		snmp_log(LOG_INFO, "%s: %zu notification(s) wait in the state "
			 "file for the next start\n", XV_APP_NAME,
			 xv_engine_vms(engine)->nnotices);
	xv_glue_stop();
	unregister_objects();
	xv_master_on_connect(NULL, NULL);
	xv_engine_stop(engine);
	engine = NULL;
	running = false;
}
