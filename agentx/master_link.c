#include "master_link.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <time.h>

#include "xenvif/engine.h" /* XV_ORIGIN_TOLERANCE_MS */

static xv_origin_moved_fn *moved_fn;
static void *moved_ctx;
static int64_t known_origin_ms;
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
	int64_t origin = xv_master_origin_ms(), delta = known_origin_ms - origin;

	(void)major, (void)minor, (void)server, (void)client;
	connected = true;
	if (delta > XV_ORIGIN_TOLERANCE_MS || delta < -XV_ORIGIN_TOLERANCE_MS) {
		known_origin_ms = origin;
		if (moved_fn)
			moved_fn(moved_ctx, delta / 10, origin);
	}
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
	known_origin_ms = xv_master_origin_ms();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
			       NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
			       on_connect, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP,
			       on_disconnect, NULL);
}

void xv_master_on_origin_moved(xv_origin_moved_fn *fn, void *ctx)
{
	moved_fn = fn;
	moved_ctx = ctx;
}

bool xv_master_connected(void)
{
	return connected;
}

void xv_master_local(void)
{
	known_origin_ms = xv_master_origin_ms();
	connected = true;
}
