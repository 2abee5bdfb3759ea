#include "event_glue.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

static struct xv_engine *engine;
static int xenstore_fd = -1, netlink_fd = -1;
static unsigned int refresh_alarm;

static void on_xenstore(int fd, void *data);
static void on_netlink(int fd, void *data);

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

static void follow_fds(void)
{
	follow_fd(&xenstore_fd, xv_engine_xenstore_fd(engine), on_xenstore);
	follow_fd(&netlink_fd, xv_engine_netlink_fd(engine), on_netlink);
}

static void on_xenstore(int fd, void *data)
{
	(void)fd, (void)data;
	xv_engine_xenstore_ready(engine);
	follow_fds();
}

static void on_netlink(int fd, void *data)
{
	(void)fd, (void)data;
	xv_engine_netlink_ready(engine);
	follow_fds();
}

static void on_refresh(unsigned int reg, void *data)
{
	(void)reg, (void)data;
	xv_engine_refresh(engine);
	follow_fds();
}

void xv_glue_start(struct xv_engine *e)
{
	engine = e;
	follow_fds();
	refresh_alarm = snmp_alarm_register(e->cfg.refresh_interval, SA_REPEAT,
					    on_refresh, NULL);
}

void xv_glue_stop(void)
{
	if (refresh_alarm)
		snmp_alarm_unregister(refresh_alarm);
	refresh_alarm = 0;
	if (xenstore_fd >= 0)
		unregister_readfd(xenstore_fd);
	if (netlink_fd >= 0)
		unregister_readfd(netlink_fd);
	xenstore_fd = netlink_fd = -1;
	engine = NULL;
}
