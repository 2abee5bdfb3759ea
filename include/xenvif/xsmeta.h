/* SPDX-License-Identifier: ISC */
/*
 * What xenstore says about the vifs this domain serves as backend:
 * one record per live domain that has backend vifs, read only from
 * nodes the backend domain (dom0) owns.  The guest can write its own
 * frontend tree and several other nodes under /local/domain/D; none of
 * those is ever read here.
 *
 * The module reads through struct xv_store so that tests can hand it
 * an in-memory tree; the agent hands it libxenstore.
 */
#ifndef XENVIF_XSMETA_H
#define XENVIF_XSMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/text.h"
#include "xenvif/watch_set.h"

/* Read access to a xenstore tree.  Results are heap blocks the caller
 * frees with free(): read() a NUL-terminated copy of the value,
 * directory() one block holding the array and the names; both return
 * NULL with errno ENOENT for a missing node, another errno on failure.
 * domain_live() is 1 for a live domain, 0 for none, -errno on failure. */
struct xv_store {
	void *(*read)(void *ctx, const char *path, size_t *len);
	char **(*directory)(void *ctx, const char *path, unsigned int *num);
	int (*domain_live)(void *ctx, uint32_t domid);
	void *ctx;
};

struct xv_vif_meta {
	uint32_t devid;
	char *vifname; /* the dom0 device's name if not vifD.N, or NULL */
	/* The device of the emulated NIC of an HVM guest, if the toolstack
	 * names it otherwise than the vif's device with "-emu", or NULL. */
	char *emu_name;
	char *bridge;  /* the switch's name (no VLAN suffixes), or NULL */
	char *ips;     /* addresses, separated by spaces, or NULL */
	uint8_t mac[6];
	bool has_mac;  /* the backend 'mac' key was a well-formed MAC */
	/* The backend 'rate' key ("BYTES,MICROSECONDS", as netback reads
	 * it) in bits per second; 0 if there is none or it is malformed. */
	uint64_t rate_bps;
	uint32_t mtu;  /* the backend 'mtu' key; 0 if absent or malformed */
};

struct xv_domain_meta {
	uint32_t domid;
	char *name;    /* from /local/domain/D/name; "" if absent */
	char uuid[37]; /* from /local/domain/D/vm; "" if absent or invalid */
	struct xv_vif_meta *vifs; /* sorted by devid */
	size_t nvifs;
};

struct xv_layout;

struct xv_meta {
	uint32_t backend_domid;
	char backend_dir[64]; /* /local/domain/B/backend/vif */
	/* The layout that read it last, NULL before the first full
	 * reading. */
	const struct xv_layout *found;
	struct xv_domain_meta *doms; /* live domains with vifs, by domid */
	size_t n, cap;
};

void xv_meta_init(struct xv_meta *meta, uint32_t backend_domid);
void xv_meta_free(struct xv_meta *meta);

const struct xv_domain_meta *xv_meta_find(const struct xv_meta *meta,
					  uint32_t domid);
const struct xv_vif_meta *xv_meta_find_vif(const struct xv_domain_meta *dom,
					   uint32_t devid);

/*
 * Re-reads one domain.  The domain's record is replaced, or removed if
 * the domain is not live or has no backend vif here.  Returns 1 if the
 * record changed, 0 if not, -errno if the store failed (the old record
 * is kept then).
 */
int xv_meta_scan_domain(struct xv_meta *meta, const struct xv_store *store,
			uint32_t domid);

/* Re-reads every domain listed in the backend tree or known before.
 * Returns 1 if anything changed, 0 if not, -errno on store failure. */
int xv_meta_scan_all(struct xv_meta *meta, const struct xv_store *store);

/* Reads the domains listed in the backend tree that have no record
 * yet (a domain just introduced).  Same returns as scan_all. */
int xv_meta_scan_new(struct xv_meta *meta, const struct xv_store *store);

/* Drops the records of domains no longer live (a domain released).
 * Same returns as scan_all. */
int xv_meta_prune(struct xv_meta *meta, const struct xv_store *store);

/* Which domain a watch event's path concerns. */
enum xv_watch_scope {
	XV_WATCH_NONE,     /* nothing this module reads */
	XV_WATCH_DOMAIN,   /* one domain, stored in *domid */
	XV_WATCH_ALL,      /* everything must be re-read */
	XV_WATCH_RELEASED, /* a domain went away: check which */
	XV_WATCH_INTRODUCED, /* a domain appeared */
};
enum xv_watch_scope xv_meta_watch_scope(const struct xv_meta *meta,
					const char *path, uint32_t *domid);

/*
 * What libxl's layout watches: @introduceDomain and @releaseDomain
 * (domains come and go), the backend vif tree (vifs come, go and
 * change) and, per domain with vifs, its name node (xl rename) when
 * the backend domain is dom0.
 * Nothing the guest can write is watched, so a guest cannot flood the
 * agent with events.  Adds them to out: 0 or -errno.
 */
int xv_meta_watches(const struct xv_meta *meta, struct xv_watch_set *out);

/* netback's rate limit "BYTES,MICROSECONDS" in bits per second, at
 * most UINT64_MAX; false if malformed or zero. */
bool xv_parse_rate(const char *text, size_t len, uint64_t *bps);

/*
 * A toolstack's layout of xenstore: how its metadata is read, what to
 * watch, and which watch events concern what.  libxl's (xl, libvirt) is the one above;
 * another toolstack's layout implements the same and the engine does
 * not change.
 */
struct xv_layout {
	const char *name;
	int (*scan_all)(struct xv_meta *meta, const struct xv_store *store);
	int (*scan_domain)(struct xv_meta *meta, const struct xv_store *store,
			   uint32_t domid);
	int (*scan_new)(struct xv_meta *meta, const struct xv_store *store);
	int (*prune)(struct xv_meta *meta, const struct xv_store *store);
	/* The paths to watch, given what is known: added to out. */
	int (*watches)(const struct xv_meta *meta, struct xv_watch_set *out);
	enum xv_watch_scope (*watch_scope)(const struct xv_meta *meta,
					   const char *path, uint32_t *domid);
};

/* libxl's layout: the functions above. */
extern const struct xv_layout xv_libxl_layout;

/* xapi's layout (XCP-ng, XenServer): the backend tree for the vifs,
 * the dom0-only /xapi tree for their bridge, device name, MTU and
 * locked addresses; a migrating domain is known by its final UUID. */
extern const struct xv_layout xv_xapi_layout;

/* Which layout xenstore holds, looked at again at each full reading:
 * xapi's if /xapi is there, else libxl's. */
extern const struct xv_layout xv_auto_layout;

/* ---- for the layouts ------------------------------------------------- */

/* How a toolstack keeps what it knows of a domain and its vifs: the
 * VM's identity (dom->name is read already), then each vif's keys
 * (the backend's MAC and rate are read already; dir is its backend
 * directory). */
struct xv_domain_reader {
	int (*identity)(const struct xv_store *store, struct xv_domain_meta *dom);
	int (*vif)(const struct xv_store *store, const char *dir,
		   const struct xv_domain_meta *dom, struct xv_vif_meta *vif);
};

/* xv_meta_scan_domain, and the scan of the domains listed in the
 * backend tree (with those known, or only new ones), with a reader. */
int xv_meta_scan_domain_by(struct xv_meta *meta, const struct xv_store *store,
			   uint32_t domid, const struct xv_domain_reader *reader);
int xv_meta_scan_listed_by(struct xv_meta *meta, const struct xv_store *store,
			   bool with_known, const struct xv_domain_reader *reader);

/* Reads path; *value is NULL if the node does not exist or may not be
 * read (a driver domain may not read a guest's name).  0 or -errno. */
int xv_store_read_node(const struct xv_store *store, const char *path,
		       char **value, size_t *len);
/* A text node, cleaned; *out is NULL if it does not exist. */
int xv_store_read_text(const struct xv_store *store, const char *path,
		       enum xv_text_kind kind, char **out);
/* An MTU node; *mtu 0 if absent or not a plausible MTU. */
int xv_store_read_mtu(const struct xv_store *store, const char *path,
		      uint32_t *mtu);
/* The UUID /local/domain/D/vm names ("/vm/UUID"); "" if absent or
 * not that form. */
int xv_store_read_vm_uuid(const struct xv_store *store, uint32_t domid,
			  char uuid[37]);

/* A bridge setting reduced to the switch's name, in place:
 * Open vSwitch's BR.VLAN:TRUNK:... gives BR.  Only with the
 * vif-openvswitch script is a '.' a VLAN suffix: a Linux bridge may be
 * called br0.100. */
void xv_bridge_name(char *bridge, bool openvswitch);

/* The name the dom0 device of a vif has: the 'vifname' key or vifD.N. */
void xv_vif_device_name(const struct xv_domain_meta *dom,
			const struct xv_vif_meta *vif, char *buf, size_t bufsz);

#endif
