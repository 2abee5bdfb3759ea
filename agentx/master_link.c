/* SPDX-License-Identifier: ISC */
#include "master_link.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <time.h>

#include "netsnmp_compat.h"

static xv_master_connected_fn *connected_fn;
static void *connected_ctx;
static bool connected;

uint32_t xv_master_uptime(void)
{
	return (uint32_t)netsnmp_get_agent_uptime();
}

int64_t xv_master_origin_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 -
	       (int64_t)netsnmp_get_agent_uptime() * 10;
}

static int on_connect(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)client;
	/* server: the new session to the master. */
	xv_compat_guard_master_recv(server);
	connected = true;
	if (connected_fn)
		connected_fn(connected_ctx);
	return SNMP_ERR_NOERROR;
}

static int on_disconnect(int major, int minor, void *server, void *client)
{
	(void)major, (void)minor, (void)server, (void)client;
	/* net-snmp says "AgentX master disconnected us" itself. */
	connected = false;
	return SNMP_ERR_NOERROR;
}

void xv_master_follow(void)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
			       NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
			       on_connect, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP,
			       on_disconnect, NULL);
}

void xv_master_on_connect(xv_master_connected_fn *fn, void *ctx)
{
	connected_fn = fn;
	connected_ctx = ctx;
}

bool xv_master_connected(void)
{
	return connected;
}

void xv_master_local(void)
{
	connected = true;
}
