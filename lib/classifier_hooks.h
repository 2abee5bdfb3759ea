/* SPDX-License-Identifier: ISC */
/*
 * Where the classifier's programs sit on a device: the seam between
 * lib/classifier.c (the maps, the slots, the devices followed) and the
 * kernel's two ways of running a program at a device's ingress and
 * egress.
 *
 *  - tcx links (Linux 6.6 and later, classifier_tcx.c): the device's
 *    hook calls the program directly;
 *  - tc filters on a clsact qdisc (classifier_tc.c): the hook walks the
 *    qdisc's filter chain, cls_bpf calls the program; a few function
 *    calls a packet more, which is most of what a tc program costs
 *    (bench/classifier.md), but the only way before 6.6.
 *
 * Either way the programs count the same frames the same way, and what
 * they hold outlives the agent's process (filters are held by their
 * qdisc, links by their pins), so that counting goes on through a crash.
 */
#ifndef XENVIF_CLASSIFIER_HOOKS_H
#define XENVIF_CLASSIFIER_HOOKS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct xv_log;

struct cls_hook_ctx {
	const struct xv_log *log;
	const char *pin_dir;  /* the classifier's pin directory */
	int prog_fd[2];       /* [0] ingress (In), [1] egress (Out) */
};

struct cls_hooks {
	const char *what;     /* "tc filters", "tcx links": in messages */
	/* Our programs on both hooks of a device, replacing what an earlier
	 * run left there (never a second of ours); 0, or -errno with *what
	 * saying which step failed and nothing of ours left on it. */
	int (*attach)(const struct cls_hook_ctx *h, int ifindex, const char **what);
	/* Ours off the device (a device gone took them); failures said. */
	void (*detach)(const struct cls_hook_ctx *h, int ifindex);
	/* At a run's first follow: ours that an earlier run left, taken off
	 * every device for which keep() is false (keep NULL: every device),
	 * each device said once. */
	void (*clean_earlier)(const struct cls_hook_ctx *h,
			      bool (*keep)(void *ctx, int ifindex), void *keep_ctx);
	/* Which of the devices (ifindexes, ascending) may still hold our
	 * programs: on[i] false where they are surely gone, taken off by
	 * someone else; 0, or -errno if that cannot be told (nothing is
	 * then known gone).  NULL where nobody else takes them off. */
	int (*still_on)(const int *ifindexes, size_t n, bool *on);
};

extern const struct cls_hooks xv_cls_tc_hooks;
extern const struct cls_hooks xv_cls_tcx_hooks;

/* Does this kernel have tcx hooks?  1 yes, 0 no, -errno if it cannot be
 * told (no CAP_NET_ADMIN).  A query on the loopback device: nothing
 * attached, nothing changed. */
int xv_cls_tcx_supported(void);

/* A device's name for messages, or "ifindex N" once it is gone. */
static inline const char *xv_cls_dev_name(int ifindex, char buf[IF_NAMESIZE + 16])
{
	char name[IF_NAMESIZE];

	if (if_indextoname((unsigned int)ifindex, name))
		snprintf(buf, IF_NAMESIZE + 16, "%s", name);
	else
		snprintf(buf, IF_NAMESIZE + 16, "ifindex %d", ifindex);
	return buf;
}

#endif
