/* SPDX-License-Identifier: ISC */
/*
 * The vif table: one row per VM network device, identified by the
 * VM's UUID and the device id, joining xenstore metadata with the
 * kernel's counters.  The table owns the rows, their indexes and their
 * accumulated counters; nothing else changes them.
 *
 * A row's counters are the sum of what its kernel devices (the vif,
 * the HVM -emu tap, and the vifs of earlier incarnations of the VM)
 * carried while the agent could see them.  Each device is a "source"
 * remembering the kernel counters last read from it, so a device
 * re-created under a new ifindex starts a new source and the row
 * continues instead of jumping back.
 */
#ifndef XENVIF_VIF_TABLE_H
#define XENVIF_VIF_TABLE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/counters.h"
#include "xenvif/netlink.h"
#include "xenvif/registry.h"
#include "xenvif/save.h"
#include "xenvif/xsmeta.h"

struct xv_source {
	int ifindex;
	bool emu;                 /* the HVM guest's emulated tap */
	bool seen;                /* scratch: present in this reconcile */
	char name[IF_NAMESIZE];
	struct xv_counters last;  /* kernel counters when last read */
};

struct xv_vif_row {
	/* xenVifIndex; identity "UUID/N", else "name:NAME/N"; active:
	 * served, the backend vif exists for a live domain. */
	struct xv_entry entry;
	struct xv_counters total; /* what the MIB serves */
	/* What the last reconcile added, as traffic of now: a baseline
	 * (see struct xv_reconcile) is in total but not here. */
	struct xv_counters moved;
	uint32_t discontinuity;   /* TimeStamp of lost continuity, 0 if none */
	struct xv_source *sources;
	size_t nsources, capsources;

	/* Valid while active. */
	bool live;                /* scratch: found live in this reconcile */
	uint32_t domid, devid;
	char *domain_name;        /* cleaned UTF-8 */
	char uuid[37];
	char *ifname;             /* the device's name now or expected */
	char *bridge;
	char *ips;
	uint8_t mac[6];
	bool has_mac;
	uint64_t rate_bps;        /* the backend's rate limit, 0 if none */
	uint32_t mtu;             /* the device's, else the backend's; 0 unknown */
	int ifindex;              /* of the main device, 0 if absent */
	bool oper_up;
	/* The classifier counts every device of the row now: its split
	 * counters are served, and its Out can be billed as addressed. */
	bool split;
};

struct xv_nodename_cache;

struct xv_vif_table {
	struct xv_registry rows;  /* every row ever known */
	uint32_t last_change;     /* TimeStamp for xenVifTableLastChange */
	struct xv_nodename_cache *nodenames;
};

/*
 * Tells which vif a kernel device is when neither its name nor its
 * parent device says so: the agent reads sysfs device/nodename.
 * Called at most once per device.  Returns false if not a vif.
 */
typedef bool xv_nodename_fn(void *ctx, const char *ifname, uint32_t *domid,
			    uint32_t *devid);

struct xv_reconcile {
	const struct xv_meta *meta;
	const struct xv_linkset *links; /* every link now */
	const struct xv_linkset *gone;  /* final counters of deleted links */
	uint32_t now;                   /* TimeStamp for changes made */
	uint32_t new_row_discontinuity; /* given to rows created now */
	/* Devices first read now carried their traffic before the agent
	 * had any saved state: it counts in the rows' totals, as the
	 * kernel's counters do, but is not traffic of now (moved). */
	bool new_sources_are_baseline;
	xv_nodename_fn *nodename;       /* may be NULL */
	void *nodename_ctx;
};

void xv_vif_table_init(struct xv_vif_table *t);
void xv_vif_table_free(struct xv_vif_table *t);

/* Brings the rows up to date.  Returns XV_SAVE_NOW when a row is new
 * or a device started, stopped or gave its final counters (a crash
 * would lose what it carried since the last save), XV_SAVE_LATER, or
 * -ENOMEM (the table stays consistent: a row that could not be made
 * is tried again next time). */
int xv_vif_table_reconcile(struct xv_vif_table *t, const struct xv_reconcile *in);

/* The classifier's counts start again from zero (its map was made
 * anew): every source's last reading of them is forgotten, so that all
 * the new map counts is new traffic.  XV_SAVE_NOW: after a crash, a
 * saved reading of the old map must not be taken for one of the new. */
enum xv_save xv_vif_table_split_restarted(struct xv_vif_table *t);

/* The identity key of a vif; false if it does not fit. */
bool xv_vif_row_key(const struct xv_domain_meta *dom, const struct xv_vif_meta *vif,
		char *buf, size_t bufsz);

static inline struct xv_vif_row *xv_vif_row_of(struct xv_entry *e)
{
	return (struct xv_vif_row *)e; /* the entry is the first member */
}

/* The i-th row by index, and the i-th served row. */
static inline struct xv_vif_row *xv_vif_table_row(const struct xv_vif_table *t, size_t i)
{
	return xv_vif_row_of(t->rows.by_index[i]);
}

static inline struct xv_vif_row *xv_vif_table_served(const struct xv_vif_table *t, size_t i)
{
	return xv_vif_row_of(t->rows.active[i]);
}

struct xv_vif_row *xv_vif_table_find_key(const struct xv_vif_table *t, const char *key);
struct xv_vif_row *xv_vif_table_find_index(const struct xv_vif_table *t, uint32_t index);

/* Adds a row with this identity, for the state file loader.  Fails
 * with -EEXIST if the index or key is taken, -ENOMEM. */
int xv_vif_table_add(struct xv_vif_table *t, uint32_t index, const char *key,
		 struct xv_vif_row **out);
int xv_vif_row_add_source(struct xv_vif_row *row, int ifindex, bool emu,
		      const char *name, const struct xv_counters *last);

#endif
