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
#include "mib_vif.h"
#include "mib_vm.h"
#include "notify.h"
#include "xenvif/engine.h"

static struct xv_engine engine;
static bool running;
static enum xv_module_host host_running;

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

static void on_origin_moved(void *ctx, int64_t delta_ticks, int64_t origin_ms)
{
	xv_engine_rebase_clock(ctx, delta_ticks, origin_ms);
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
	/* The objects first: if another instance serves them (the daemon
	 * beside the module in snmpd), this one must not touch the state
	 * file they share by default. */
	if (xv_mib_vif_register(&engine.table, &engine.vms) != MIB_REGISTERED_OK ||
	    xv_mib_vm_register(&engine.vms) != MIB_REGISTERED_OK) {
		snprintf(err, errlen, "cannot register the XEN-VIF-MIB objects "
			 "(is another instance serving them?)");
		xv_mib_vm_unregister();
		xv_mib_vif_unregister();
		xv_config_free(cfg);
		memset(cfg, 0, sizeof *cfg);
		return -1;
	}
	state_path(cfg, path, sizeof path);
	if (host == XV_HOST_SNMPD)
		xv_master_local();
	int rc = xv_engine_start(&engine, cfg, path, &hooks, why, sizeof why);

	/* The engine has taken (or, failing, released) cfg's lists. */
	memset(cfg, 0, sizeof *cfg);
	if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		xv_mib_vm_unregister();
		xv_mib_vif_unregister();
		return -1;
	}
	xv_master_on_origin_moved(on_origin_moved, &engine);
	xv_notify_route(host == XV_HOST_SNMPD ? XV_NOTIFY_LOCAL : XV_NOTIFY_AGENTX);
	xv_glue_start(&engine);
	host_running = host;
	running = true;
	return 0;
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
	return running ? engine.table.rows.nactive : 0;
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
	if (host_running == XV_HOST_SNMPD && engine.vms.nnotices)
		snmp_log(LOG_INFO, "%s: %zu notification(s) wait in the state "
			 "file for the next start\n", XV_APP_NAME,
			 engine.vms.nnotices);
	xv_glue_stop();
	xv_mib_vm_unregister();
	xv_mib_vif_unregister();
	xv_master_on_origin_moved(NULL, NULL);
	xv_engine_stop(&engine);
	running = false;
}
