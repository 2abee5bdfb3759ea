/* SPDX-License-Identifier: ISC */
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

/*
 * Where the module is in snmpd's loading and reading of its files.
 * Whether XEN-VIF-MIB is served is xv_module_running(): a configuration
 * with errors leaves the module loaded and not serving.
 */
static enum {
	MODULE_OUT,       /* not loaded, or unloaded for good */
	MODULE_LOADED,    /* starts from the event loop; nothing read yet */
	MODULE_READ,      /* starts from the event loop; snmpd's reading of
			   * its files ended (ready: what it gave, if good) */
	MODULE_IN,        /* started, or waiting for a good configuration */
	MODULE_RELOADING, /* snmpd reads its files again: it unloads and
			   * loads its modules meanwhile */
	MODULE_PARKED,    /* unloaded by that reading, still running: it
			   * loads us again, or its reading ends without */
} state = MODULE_OUT;

static bool pinned;               /* never unmapped: may outlive deinit */
static struct xv_config *ready;   /* read, checked, not yet started */
static unsigned int start_alarm;  /* while LOADED or READ */

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
	state = MODULE_OUT;
}

/* After snmpd has read its files (at start, on SIGHUP). */
static void on_config(struct xv_config *cfg, unsigned int errors, bool found)
{
	if (state == MODULE_PARKED) {
		/* The dlmod line is gone: snmpd did not load us again. */
		drop(cfg);
		retire();
		xv_agent_config_follow_snmpd(NULL);
		snmp_log(LOG_INFO, "%s: unloaded\n", XV_APP_NAME);
		return;
	}
	/* Before the start: what to start with, once the event loop runs. */
	bool starting = state == MODULE_LOADED || state == MODULE_READ;
	state = starting ? MODULE_READ : MODULE_IN;
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
	if (!starting)
		start();
}

static void on_start(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	start_alarm = 0;
	if (state == MODULE_LOADED) {
		/* Loaded after snmpd read its files (nsDynamicModuleTable):
		 * read ours now. */
		struct xv_config *cfg = malloc(sizeof *cfg);
		unsigned int errors;
		bool found;

		state = MODULE_IN;
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
	state = MODULE_IN;
	if (ready)
		start();
}

static int on_pre_update(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)server, (void)client;
	/* Only a module in service follows the reading; one yet to start
	 * takes what the reading gives. */
	if (state == MODULE_IN)
		state = MODULE_RELOADING;
	return SNMP_ERR_NOERROR;
}

void init_xen_vif_mib(void)
{
	struct timeval soon = {0, 1000};
	bool was_pinned = pinned;

	if (state == MODULE_PARKED) {
		/* Loaded again by the reading that unloaded us. */
		state = MODULE_RELOADING;
		return;
	}
	if (!pinned && !(pinned = pin()))
		snmp_log(LOG_WARNING, "%s: cannot keep the module in memory: "
			 "a SIGHUP of snmpd restarts it\n", XV_APP_NAME);
	/* A pinned module's callback stays registered for good. */
	if (!was_pinned)
		snmp_register_callback(SNMP_CALLBACK_APPLICATION,
				       SNMPD_CALLBACK_PRE_UPDATE_CONFIG,
				       on_pre_update, NULL);
	xv_agent_config_follow_snmpd(on_config);
	state = MODULE_LOADED;
	start_alarm = snmp_alarm_register_hr(soon, 0, on_start, NULL);
}

void deinit_xen_vif_mib(void)
{
	if (state == MODULE_RELOADING && pinned) {
		state = MODULE_PARKED; /* until init, or the reading's end */
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
	xv_agent_config_unregister();
}
