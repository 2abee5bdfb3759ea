/*
 * XEN-VIF-MIB inside snmpd, with no AgentX hop:
 *
 *     dlmod xen_vif_mib /usr/lib/xen-vif-agent/xen_vif_mib.so
 *
 * snmpd calls init_xen_vif_mib() while it reads snmpd.conf and
 * deinit_xen_vif_mib() when it unloads the module: when it shuts down
 * (the state is saved then), and also on every SIGHUP, since snmpd
 * unloads and reloads its modules when it reads its files again.  The
 * module keeps itself in memory and runs on through such a reload, so
 * that a reload of xen-vif-agent.conf behaves as the daemon's does: a
 * good configuration applies at once, counting on; one with errors
 * changes nothing.
 *
 * The engine starts from snmpd's event loop, not from init: snmpd forks
 * after reading its configuration, and libxenstore's thread would not
 * survive that.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <dlfcn.h>
#include <stdlib.h>

#include "agent_config.h"
#include "module.h"

void init_xen_vif_mib(void);
void deinit_xen_vif_mib(void);

static bool pinned;               /* never unmapped: may outlive deinit */
static bool hooked;               /* snmpd's reload callback registered */
static bool reloading;            /* snmpd is reading its files again */
static bool parked;               /* unloaded by that reading, running */
static struct xv_config *ready;   /* read, checked, not yet started */
static bool config_seen;          /* a reading ended since init */
static unsigned int start_alarm;

/* Keeps this library mapped after snmpd's dlclose(), so that what it
 * registered stays valid through a reload. */
static bool pin(void)
{
	Dl_info info;

	if (!dladdr(&pinned, &info) || !info.dli_fname)
		return false;
	return dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) != NULL;
}

static void start(void)
{
	char err[1024];
	unsigned int refresh = ready->refresh_interval;
	int rc = xv_module_start(XV_HOST_SNMPD, ready, err, sizeof err);

	free(ready);
	ready = NULL;
	if (rc < 0) {
		snmp_log(LOG_ERR, "%s: cannot start: %s\n", XV_APP_NAME, err);
		return;
	}
	snmp_log(LOG_INFO, "%s %s serving XEN-VIF-MIB inside snmpd: %zu vifs, "
		 "refresh every %u s\n", XV_APP_NAME, PACKAGE_VERSION,
		 xv_module_vifs(), refresh);
}

static void drop(struct xv_config *cfg)
{
	if (cfg) {
		xv_config_free(cfg);
		free(cfg);
	}
}

/* Stops serving; saves the state. */
static void retire(void)
{
	xv_module_stop();
	if (start_alarm)
		snmp_alarm_unregister(start_alarm);
	start_alarm = 0;
	drop(ready);
	ready = NULL;
	config_seen = false;
}

/* After snmpd has read its files (at start, on SIGHUP). */
static void on_config(struct xv_config *cfg, unsigned int errors, bool found)
{
	reloading = false;
	config_seen = true;
	if (parked) {
		/* The dlmod line is gone: snmpd did not load us again. */
		parked = false;
		drop(cfg);
		retire();
		xv_agent_config_follow_snmpd(NULL);
		snmp_log(LOG_INFO, "%s: unloaded\n", XV_APP_NAME);
		return;
	}
	if (errors) {
		snmp_log(LOG_ERR, "%s: %u error(s) in the configuration; %s\n",
			 XV_APP_NAME, errors,
			 xv_module_running() ? "keeping the running one"
					     : "XEN-VIF-MIB is not served until "
					       "they are fixed (then SIGHUP snmpd)");
		drop(cfg);
		return;
	}
	if (xv_module_running()) {
		if (!found) {
			/* Applying the defaults would drop every quota. */
			snmp_log(LOG_ERR, "%s: reload: no %s.conf found; keeping the "
				 "running configuration\n", XV_APP_NAME, XV_APP_NAME);
			drop(cfg);
			return;
		}
		xv_module_reconfigure(cfg);
		free(cfg);
		return;
	}
	if (!found)
		snmp_log(LOG_WARNING, "%s: no %s.conf on snmpd's configuration "
			 "path; starting with the defaults\n", XV_APP_NAME,
			 XV_APP_NAME);
	drop(ready);
	ready = cfg;
	/* Not served yet because of errors, now fixed: start. */
	if (!start_alarm)
		start();
}

static void on_start(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	start_alarm = 0;
	if (!config_seen) {
		/* Loaded after snmpd read its files (nsDynamicModuleTable):
		 * read ours now. */
		struct xv_config *cfg = malloc(sizeof *cfg);
		unsigned int errors;
		bool found;

		if (!cfg) {
			snmp_log(LOG_ERR, "%s: out of memory\n", XV_APP_NAME);
			return;
		}
		xv_config_defaults(cfg);
		found = xv_agent_config_files() > 0;
		errors = found ? xv_agent_config_reload(cfg) : 0;
		on_config(cfg, errors, found);
		return;
	}
	if (ready)
		start();
}

static int on_pre_update(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)server, (void)client;
	reloading = true;
	return SNMP_ERR_NOERROR;
}

void init_xen_vif_mib(void)
{
	struct timeval soon = {0, 1000};

	if (parked) {
		/* Loaded again by the reading that unloaded us. */
		parked = false;
		return;
	}
	if (!pinned && !(pinned = pin()))
		snmp_log(LOG_WARNING, "%s: cannot keep the module in memory: "
			 "a SIGHUP of snmpd restarts it\n", XV_APP_NAME);
	if (!hooked)
		snmp_register_callback(SNMP_CALLBACK_APPLICATION,
				       SNMPD_CALLBACK_PRE_UPDATE_CONFIG,
				       on_pre_update, NULL);
	hooked = true;
	xv_agent_config_follow_snmpd(on_config);
	start_alarm = snmp_alarm_register_hr(soon, 0, on_start, NULL);
}

void deinit_xen_vif_mib(void)
{
	if (reloading && pinned) {
		parked = true; /* until init, or the reading's end */
		return;
	}
	retire();
	if (pinned) {
		xv_agent_config_follow_snmpd(NULL);
		return;
	}
	/* About to be unmapped: nothing of ours may stay registered. */
	snmp_unregister_callback(SNMP_CALLBACK_APPLICATION,
				 SNMPD_CALLBACK_PRE_UPDATE_CONFIG, on_pre_update,
				 NULL, 1);
	hooked = false;
	xv_agent_config_unregister();
}
