/* SPDX-License-Identifier: ISC */
/*
 * Where the vif counters come from, behind one interface, so the engine
 * reads "every link now" and "what the notifications said" without
 * knowing which collector it has:
 *
 *  - rtnetlink (counterSource netlink): one dump per refresh, and link
 *    notifications carrying deleted links' final counters;
 *  - libxenstat's network statistics (counterSource xenstat): the
 *    devices the metadata names, looked up in the kernel and paired
 *    with libxenstat's readings; no notifications.
 *
 * libxenstat's handle is shared with the VM resources the engine reads:
 * struct xv_hypervisor opens it on first use, starts afresh when
 * xenstore was lost (libxenstat never reopens its own connection), and
 * says each of its complaints once.
 */
#ifndef XENVIF_COLLECTOR_H
#define XENVIF_COLLECTOR_H

#include "xenvif/log.h"
#include "xenvif/netlink.h"
#include "xenvif/xenstat_links.h"
#include "xenvif/xsmeta.h"

struct xv_hypervisor {
	struct xv_xenstat *xenstat; /* NULL until first used */
	char chatter[256];          /* libxenstat's last complaint said */
	const struct xv_log *log;
};

/* The handle, opened if need be; NULL only if out of memory. */
struct xv_xenstat *xv_hypervisor_xenstat(struct xv_hypervisor *h);
/* Says what libxenstat wrote to stderr, once for each new complaint. */
void xv_hypervisor_heard(struct xv_hypervisor *h, const char *chatter);
/* A fresh handle next time (xenstore was lost). */
void xv_hypervisor_renew(struct xv_hypervisor *h);

struct xv_collector_ops {
	const char *what;  /* whose counters, for messages: "kernel" */
	/* 0, or -errno with err set: the agent cannot count. */
	int (*open)(void *src, char *err, size_t errlen);
	void (*close)(void *src);
	/* Readable when notifications wait; -1 if there are none. */
	int (*fd)(const void *src);
	/* Takes the waiting notifications into ev.  0 or -errno, err set. */
	int (*drain)(void *src, struct xv_link_events *ev, char *err, size_t errlen);
	/* Every link now, into out.  0 or -errno, err set. */
	int (*read)(void *src, const struct xv_meta *meta, struct xv_linkset *out,
		    char *err, size_t errlen);
};

struct xv_collector {
	const struct xv_collector_ops *ops;
	void *src;
};

/* rtnetlink; src: a struct xv_netlink. */
extern const struct xv_collector_ops xv_netlink_collector;

/* libxenstat; src: a struct xv_xenstat_counters. */
struct xv_xenstat_counters {
	struct xv_hypervisor *hypervisor;
	struct xv_kernel_probe probe; /* fd -1 until needed */
	const struct xv_log *log;
};
extern const struct xv_collector_ops xv_xenstat_collector;

#endif
