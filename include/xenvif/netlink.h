/* SPDX-License-Identifier: ISC */
/*
 * The kernel's view of network links, read with rtnetlink: one
 * RTM_GETLINK dump per refresh gives every link's 64-bit counters,
 * name, state and parent device; a second socket subscribed to link
 * notifications wakes the agent when links come, go or change, and
 * carries each deleted link's final counters.
 */
#ifndef XENVIF_NETLINK_H
#define XENVIF_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/counters.h"

struct xv_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;     /* IFF_* */
	unsigned char operstate; /* IF_OPER_* */
	int master;             /* ifindex of the bridge or 0 */
	unsigned int mtu;       /* 0 if not told */
	char parent_bus[32];    /* "xen-backend" for a netback vif */
	char parent_dev[32];    /* "vif-D-N" for a netback vif */
	struct xv_counters stats;
	/* No counters this time (a collector that could not pair them
	 * with the device): a row keeps what it has counted. */
	bool stats_unknown;
	/* The classifier counted this device: the split part of stats
	 * holds its counts (else it is zero and means nothing). */
	bool split_known;
};

/* Links sorted by ifindex. */
struct xv_linkset {
	struct xv_link *links;
	size_t n, cap;
};

void xv_linkset_clear(struct xv_linkset *set);
void xv_linkset_free(struct xv_linkset *set);
const struct xv_link *xv_linkset_find(const struct xv_linkset *set, int ifindex);
/* A zeroed link at the end, or NULL (no memory); then sort once. */
struct xv_link *xv_linkset_append(struct xv_linkset *set);
void xv_linkset_sort(struct xv_linkset *set);

/* Up and carrying traffic, as xenVifOperStatus means it. */
bool xv_link_is_up(const struct xv_link *link);

/*
 * Fills *out from one RTM_NEWLINK or RTM_DELLINK message (msg, len
 * bytes).  Returns false if it is not a well-formed link message.
 */
bool xv_link_parse(const void *msg, size_t len, struct xv_link *out);

struct xv_netlink {
	int dump_fd;
	int event_fd;
	unsigned int seq;
	void *buf;
	size_t bufsz;
};

/* Opens both sockets; on failure returns -errno and says why in err. */
int xv_netlink_open(struct xv_netlink *nl, char *err, size_t errlen);
void xv_netlink_close(struct xv_netlink *nl);

/* Replaces *out with every link now.  0, or -errno with err set. */
int xv_netlink_dump(struct xv_netlink *nl, struct xv_linkset *out, char *err,
		    size_t errlen);

/* What the notifications read by xv_netlink_drain() said. */
struct xv_link_events {
	bool changed;          /* some link came, went or changed */
	bool overrun;          /* notifications were lost: trust only a dump */
	struct xv_linkset gone; /* deleted links, with their final counters */
	struct xv_linkset readings; /* highest counters seen per link */
};

/*
 * Reads every pending notification without blocking and adds what it
 * says to *ev.  A deleted link's final counters are the highest each
 * counter showed in any notification since *ev was last cleared: some
 * drivers (veth) report less once deletion has begun, and a link is
 * usually set down, with a notification, before it goes.
 * 0, or -errno with err set.
 */
int xv_netlink_drain(struct xv_netlink *nl, struct xv_link_events *ev,
		     char *err, size_t errlen);

/*
 * The datagrams' parsers, apart from the sockets (tests and fuzzers
 * feed them).  xv_netlink_walk calls fn for each whole message of one
 * datagram in order; a message that claims more than is left, or less
 * than its header, ends the walk.  It stops early with fn's nonzero
 * return, which it returns; else 0.
 */
struct nlmsghdr;
typedef int xv_nlmsg_fn(void *ctx, const struct nlmsghdr *nlh);
int xv_netlink_walk(const void *buf, size_t len, xv_nlmsg_fn *fn, void *ctx);

/* One datagram of the answer to dump seq: links added to *out.  1 when
 * it ends the dump, 0 to read on, -errno (with err set) if the kernel
 * refused it; an NLMSG_ERROR whose value is not a negative errno is
 * -EPROTO. */
int xv_netlink_dump_datagram(const void *buf, size_t len, uint32_t seq,
			     struct xv_linkset *out, bool *interrupted,
			     char *err, size_t errlen);

/* One datagram of link notifications into *ev.  0 or -ENOMEM. */
int xv_netlink_event_datagram(const void *buf, size_t len,
			      struct xv_link_events *ev, char *err, size_t errlen);

/* Forgets what was drained, once the table has taken it in. */
void xv_link_events_clear(struct xv_link_events *ev);
void xv_link_events_free(struct xv_link_events *ev);

#endif
