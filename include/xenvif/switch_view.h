/* SPDX-License-Identifier: ISC */
/*
 * dom0 as a switch: every vif row is a port, numbered by its ifIndex
 * (the row's xenVifIndex), which pollers read with IF-MIB and
 * BRIDGE-MIB in an SNMP context of its own.  This module keeps what a
 * switch has and a vif row does not:
 *
 *  - ports that stay when their VM stops: down, counters held, for the
 *    configured retention, as a switch port with its cable pulled, and
 *    the names, MAC and speed they showed while the VM ran;
 *  - small, stable bridge port numbers (dot1dBasePort);
 *  - names that carry the VM: ifName unique in the switch;
 *  - the forwarding table (each VM's MAC on its port);
 *  - the switch's own clock, its sysUpTime, which keeps running across
 *    agent and snmpd restarts, as the counters do: pollers read a
 *    falling sysUpTime as a reboot and would drop their baselines.
 *
 * It knows nothing of SNMP; agentx/ serves it.  Its state goes into
 * the state file with the rows.
 */
#ifndef XENVIF_SWITCH_VIEW_H
#define XENVIF_SWITCH_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/config.h"
#include "xenvif/registry.h"
#include "xenvif/save.h"
#include "xenvif/vif_table.h"

/* ifName: short, and unique among the switch's ports. */
#define XV_PORT_NAME_MAX 48
/* dot1dBasePort is 1..65535. */
#define XV_PORT_NUMBER_MAX 65535U
/* Link notices waiting to be sent; more are dropped (and counted). */
#define XV_PORT_NOTICE_BACKLOG 256

struct xv_port {
	/* index: ifIndex, the vif row's xenVifIndex; key: the row's;
	 * active: one of the switch's ports now. */
	struct xv_entry entry;
	struct xv_vif_row *row;       /* its counters; rows are never freed */
	bool running;             /* its VM runs: its row is served */
	bool settled;             /* scratch: in the switch before this update */
	bool up;                  /* ifOperStatus up(1), else down(2) */
	uint32_t number;          /* dot1dBasePort; kept as a preference
				   * while out of the switch; 0: none */
	uint32_t last_change;     /* ifLastChange, in the switch's clock */
	/* ifCounterDiscontinuityTime: the row's, in the switch's clock,
	 * which does not fall to 0 when the master restarts. */
	uint32_t discontinuity;
	uint32_t discontinuity_seen; /* the row's, in the master's clock */
	int64_t left;             /* when its VM left, epoch seconds; 0 if
				   * the row is served */

	/* What the port shows, from its row while the VM runs, kept
	 * when it stops. */
	char *vm_name;            /* cleaned UTF-8, "" if none */
	char uuid[37];
	uint32_t devid;
	uint8_t mac[6];
	bool has_mac;
	uint64_t rate_bps;        /* the vif's rate limit, 0 if none */
	uint32_t mtu;             /* 0 if unknown */

	/* ifName: kept once given, so that pollers keyed on it keep
	 * their series when a namesake comes or goes. */
	char name[XV_PORT_NAME_MAX + 1];

	/* Derived from the above. */
	char base[XV_PORT_NAME_MAX + 1]; /* ifName before it is unique */
	char descr[160];          /* ifDescr: "VM vif N" */
	char alias[65];           /* ifAlias: the VM's name */
};

enum xv_port_notice_kind { XV_PORT_DOWN = 3, XV_PORT_UP = 4 }; /* as in SNMPv2-MIB's linkDown.3, linkUp.4 */

struct xv_port_notice {
	enum xv_port_notice_kind kind;
	uint32_t index;
};

struct xv_switch {
	/* Every port known; those in the switch are the served view
	 * (ports.active), by ifIndex. */
	struct xv_registry ports;
	struct xv_port **numbered; /* in the switch with a number, by number */
	size_t nnumbered, capnumbered;
	/* The forwarding table: a port for each running VM's MAC, by MAC
	 * (one port per MAC). */
	const struct xv_port **fdb;
	size_t nfdb, capfdb;
	uint32_t last_change;     /* ifTableLastChange, the switch's clock */
	/* xenVifTableLastChange in the switch's clock, as for the
	 * ports' discontinuities. */
	uint32_t vif_last_change, vif_last_change_seen;

	/* The clock.  sysUpTime = the master agent's + offset_ticks. */
	int64_t origin_ms;        /* epoch ms of the switch's TimeStamp 0 */
	int64_t offset_ticks;
	uint32_t saved_uptime;    /* sysUpTime when the state was saved */

	uint8_t address[6];       /* dot1dBaseBridgeAddress */
	char host[256];           /* dom0's host name */
	char sys_name[256];       /* sysName */
	char sys_descr[256];      /* sysDescr */

	struct xv_port_notice *notices;
	size_t nnotices, dropped;

	/* The views must be made again, though no port changed (loaded
	 * from the state file, a reload, no memory last time). */
	bool rebuild;
};

void xv_switch_init(struct xv_switch *sw);
void xv_switch_free(struct xv_switch *sw);

/*
 * Starts the clock: the saved origin if the state file had one, else
 * now (the switch is switched on).  master_origin_ms is the wall-clock
 * moment of the master's uptime 0, master_now its uptime now.  The
 * switch's uptime never falls below the one saved last, even if the
 * wall clock was set back while the agent was down.
 */
void xv_switch_start_clock(struct xv_switch *sw, int64_t master_origin_ms,
			   uint32_t master_now, int64_t now_ms);

/* The master's clock moved (a new master): the offset follows. */
void xv_switch_follow_master(struct xv_switch *sw, int64_t master_origin_ms);

/* The switch's sysUpTime when the master's is master_ticks. */
uint32_t xv_switch_uptime(const struct xv_switch *sw, uint32_t master_ticks);

/* A TimeStamp of the master's clock in the switch's; 0 stays 0. */
uint32_t xv_switch_stamp(const struct xv_switch *sw, uint32_t master_stamp);

struct xv_switch_input {
	const struct xv_vif_table *table;
	const struct xv_switch_config *cfg;
	int64_t now;              /* epoch seconds */
	uint32_t ticks;           /* the switch's sysUpTime now */
	const char *host;         /* dom0's host name */
	const char *system;       /* the kernel and machine, for sysDescr */
};

/*
 * Follows the vif table: ports come with their rows, go down when their
 * VM stops and leave when the retention has passed; numbers, names and
 * the forwarding table are made anew.  XV_SAVE_NOW when a port came,
 * left, was numbered or named (a crash must not renumber it),
 * XV_SAVE_LATER, or -ENOMEM (what could not be made is tried again
 * next time; nothing served is lost; what was made may be saved).
 */
int xv_switch_update(struct xv_switch *sw, const struct xv_switch_input *in);

static inline struct xv_port *xv_port_of(const struct xv_entry *e)
{
	return (struct xv_port *)e; /* the entry is the first member */
}

/* The i-th port known, by index, and the i-th port of the switch. */
static inline struct xv_port *xv_switch_port(const struct xv_switch *sw, size_t i)
{
	return xv_port_of(sw->ports.by_index[i]);
}

static inline struct xv_port *xv_switch_served(const struct xv_switch *sw, size_t i)
{
	return xv_port_of(sw->ports.active[i]);
}

struct xv_port *xv_switch_find(const struct xv_switch *sw, uint32_t index);

/* Adds a port from the state file; the row must be in table.  -EEXIST,
 * -ENOENT (no such row), -ENOMEM. */
int xv_switch_add(struct xv_switch *sw, const struct xv_vif_table *table,
		  uint32_t index, struct xv_port **out);

/* The port's ifSpeed in bits per second (before Gauge32's cap). */
uint64_t xv_port_speed(const struct xv_port *p, const struct xv_switch_config *cfg);

/* dot1dBaseBridgeAddress: a locally administered unicast address made
 * from seed (the machine id), so it stays the host's. */
void xv_switch_set_address(struct xv_switch *sw, const char *seed);

/* Forgets the first n link notices (sent). */
void xv_switch_sent(struct xv_switch *sw, size_t n);

#endif
