/* SPDX-License-Identifier: ISC */
/*
 * What the hypervisor says about each domain, read with libxenstat:
 * state, vcpus, memory and CPU time.  It is read on its own cadence,
 * apart from the counters: a hypervisor query costs more than a netlink
 * dump and changes slowly.  libxenstat's network statistics can also
 * be the source of the vif counters (counterSource xenstat).
 *
 * libxenstat reports its troubles on stderr; the source catches what it
 * writes during each call and hands it back, so the agent can log it
 * once instead of letting it through to a terminal or a journal on every
 * refresh.
 */
#ifndef XENVIF_RESOURCES_H
#define XENVIF_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/counters.h"

/* Values as XEN-VIF-MIB's xenVifVmState. */
enum xv_domain_state {
	XV_DOMAIN_RUNNING = 1,
	XV_DOMAIN_BLOCKED = 2,
	XV_DOMAIN_PAUSED = 3,
	XV_DOMAIN_SHUTDOWN = 4,
	XV_DOMAIN_CRASHED = 5,
	XV_DOMAIN_DYING = 6,
};

struct xv_domain_resources {
	uint32_t domid;
	enum xv_domain_state state;
	uint32_t vcpus;
	uint64_t mem_kb;     /* in use */
	uint64_t max_mem_kb; /* 0: no limit */
	uint64_t cpu_ns;     /* since the domain was created */
};

/* Domains sorted by domid. */
struct xv_resource_set {
	struct xv_domain_resources *doms;
	size_t n, cap;
};

void xv_resource_set_free(struct xv_resource_set *set);
const struct xv_domain_resources *xv_resource_set_find(const struct xv_resource_set *set,
						       uint32_t domid);

struct xv_xenstat; /* a libxenstat handle, opened on first use */

struct xv_xenstat *xv_xenstat_new(void);
void xv_xenstat_free(struct xv_xenstat *x);

/*
 * Reads every domain's resources into *out.  0, or -errno with err set
 * (no hypervisor, a failed query); the handle is opened again on the
 * next call after a failure.  Whatever libxenstat wrote to stderr during
 * the call is in chatter (empty if nothing).
 */
int xv_xenstat_resources(struct xv_xenstat *x, struct xv_resource_set *out,
			 char *err, size_t errlen, char *chatter, size_t chattersz);

/* One network device as libxenstat's network statistics report it:
 * the domain and device id its name says, and its counters.  Not its
 * name: an HVM guest's vifD.N and vifD.N-emu come as two readings of
 * (D, N), in the kernel's order of devices. */
struct xv_vif_reading {
	uint32_t domid, devid;
	struct xv_counters stats;
};

struct xv_vif_readings {
	struct xv_vif_reading *v;
	size_t n, cap;
};

void xv_vif_readings_free(struct xv_vif_readings *r);

/*
 * Reads every vif's counters with libxenstat (XENSTAT_NETWORK: it parses
 * /proc/net/dev).  0, or -errno with err set, as xv_xenstat_resources.
 */
int xv_xenstat_networks(struct xv_xenstat *x, struct xv_vif_readings *out,
			char *err, size_t errlen, char *chatter, size_t chattersz);

/* The state a domain is in, from libxenstat's flags. */
enum xv_domain_state xv_domain_state_of(bool dying, bool crashed, bool shutdown,
					bool paused, bool running);

#endif
