/* SPDX-License-Identifier: ISC */
#include "event_glue.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <sys/time.h>

#include "notify.h"

static struct xv_engine *engine;
static int xenstore_fd = -1, netlink_fd = -1;
static unsigned int refresh_alarm, boundary_alarm, resource_alarm, hooking_alarm;
static unsigned int alarm_interval, resource_interval;
static time_t alarm_boundary;

static void on_xenstore(int fd, void *data);
static void on_netlink(int fd, void *data);
static void on_refresh(unsigned int reg, void *data);
static void on_boundary(unsigned int reg, void *data);
static void on_resources(unsigned int reg, void *data);
static void on_hooking(unsigned int reg, void *data);

/* The engine may have closed or reopened a descriptor; select() must
 * never see a closed one, so this runs after every engine call. */
static void follow_fd(int *registered, int now, void (*fn)(int, void *))
{
	if (*registered == now)
		return;
	if (*registered >= 0)
		unregister_readfd(*registered);
	if (now >= 0)
		register_readfd(now, fn, engine);
	*registered = now;
}

/* The refresh follows the configured interval; one more alarm fires
 * just after the current accounting period ends, so usage starts
 * from zero on time and not at the next refresh. */
static void follow_alarms(void)
{
	struct xv_engine_schedule when = xv_engine_schedule(engine);
	time_t next = when.period_end;

	if (when.refresh != alarm_interval) {
		if (refresh_alarm)
			snmp_alarm_unregister(refresh_alarm);
		alarm_interval = when.refresh;
		refresh_alarm = snmp_alarm_register(alarm_interval, SA_REPEAT,
						    on_refresh, NULL);
	}
	/* The hypervisor on its own cadence, so that a slow query never
	 * delays the counters. */
	if (when.resources != resource_interval) {
		if (resource_alarm)
			snmp_alarm_unregister(resource_alarm);
		resource_alarm = 0;
		resource_interval = when.resources;
		if (resource_interval) {
			resource_alarm = snmp_alarm_register(resource_interval, SA_REPEAT,
							     on_resources, NULL);
			/* and at once, not an interval from now */
			xv_engine_read_resources(engine);
		}
	}
	/* Devices wait for the classifier's hooks: a few more soon, after
	 * the requests that came meanwhile. */
	if (when.hooking && !hooking_alarm) {
		struct timeval pause = {0, XV_HOOKING_PAUSE_MS * 1000};

		hooking_alarm = snmp_alarm_register_hr(pause, 0, on_hooking, NULL);
	}
	/* A period that should have ended already (counters could not be
	 * read) is left to the refresh, not re-armed every 50 ms. */
	if (next != alarm_boundary && next > time(NULL)) {
		struct timeval now, wait = {0, 50000};

		if (boundary_alarm)
			snmp_alarm_unregister(boundary_alarm);
		boundary_alarm = 0;
		alarm_boundary = next;
		gettimeofday(&now, NULL);
		if (next > now.tv_sec) {
			wait.tv_sec = next - now.tv_sec - 1;
			wait.tv_usec = 1000000 - now.tv_usec + 50000;
			if (wait.tv_usec >= 1000000) {
				wait.tv_sec++;
				wait.tv_usec -= 1000000;
			}
		}
		boundary_alarm = snmp_alarm_register_hr(wait, 0, on_boundary, NULL);
	}
}

static void send_notices(void)
{
	size_t vm_notices = xv_notify_pass(xv_engine_vms(engine));
	size_t port_notices = xv_notify_ports(xv_engine_switch(engine));

	if (vm_notices || port_notices)
		xv_engine_notices_sent(engine, vm_notices, port_notices);
}

static void after_engine(void)
{
	follow_fd(&xenstore_fd, xv_engine_xenstore_fd(engine), on_xenstore);
	follow_fd(&netlink_fd, xv_engine_netlink_fd(engine), on_netlink);
	send_notices();
	follow_alarms();
}

static void on_xenstore(int fd, void *data)
{
	(void)fd, (void)data;
	xv_engine_xenstore_ready(engine);
	after_engine();
}

static void on_netlink(int fd, void *data)
{
	(void)fd, (void)data;
	xv_engine_netlink_ready(engine);
	after_engine();
}

static void on_refresh(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	xv_engine_refresh(engine);
	after_engine();
}

static void on_resources(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	xv_engine_read_resources(engine);
	after_engine();
}

static void on_hooking(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	hooking_alarm = 0;
	xv_engine_hook_more(engine);
	after_engine();
}

static void on_boundary(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	boundary_alarm = 0;
	alarm_boundary = 0; /* set anew for the next period */
	xv_engine_refresh(engine);
	after_engine();
}

void xv_glue_start(struct xv_engine *e, const struct xv_mib_switch_ctx *sw)
{
	engine = e;
	xv_notify_init(xv_engine_vms(e), sw);
	after_engine();
}

void xv_glue_finish(bool send)
{
	xv_engine_refresh(engine);
	if (send)
		send_notices();
}

void xv_glue_reconfigure(struct xv_config *cfg)
{
	xv_engine_reconfigure(engine, cfg);
	after_engine();
}

void xv_glue_stop(void)
{
	if (refresh_alarm)
		snmp_alarm_unregister(refresh_alarm);
	if (boundary_alarm)
		snmp_alarm_unregister(boundary_alarm);
	if (resource_alarm)
		snmp_alarm_unregister(resource_alarm);
	if (hooking_alarm)
		snmp_alarm_unregister(hooking_alarm);
	refresh_alarm = boundary_alarm = resource_alarm = hooking_alarm = 0;
	alarm_interval = resource_interval = 0;
	alarm_boundary = 0;
	if (xenstore_fd >= 0)
		unregister_readfd(xenstore_fd);
	if (netlink_fd >= 0)
		unregister_readfd(netlink_fd);
	xenstore_fd = netlink_fd = -1;
	xv_notify_shutdown();
	engine = NULL;
}
