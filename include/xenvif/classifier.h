/* SPDX-License-Identifier: ISC */
/*
 * The classifier: an eBPF program on each served device's ingress and
 * egress hooks (tcx, or tc's clsact) that counts, per device, what was addressed to the VM and what
 * was not.  A bridge floods a frame whose destination it has not
 * learned out of every port, so a vif's Out counters also hold other
 * VMs' traffic; the classifier tells it apart:
 *
 *  - egress (Out, to the guest): frames to a broadcast, a multicast, or
 *    a unicast MAC that is none of the VM's (foreign: flooded);
 *  - ingress (In, from the guest): frames whose source MAC is none of
 *    the VM's (forged), and broadcast and multicast destinations.
 *
 * It only counts: it never drops, redirects or reorders (every frame
 * goes on as if it were not there), and it sits beside whatever else
 * uses the device's qdiscs (tc shaping on the root qdisc, nftables).
 *
 * Its maps are pinned under a directory of the bpf filesystem, so an
 * agent started again (after a crash too) finds the counts and the
 * hooks it left and goes on with them; a clean stop removes both.
 * Counts are read in one batch per refresh, into the split part of
 * each link's counters (counters.h).
 */
#ifndef XENVIF_CLASSIFIER_H
#define XENVIF_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/log.h"
#include "xenvif/netlink.h"

/* A VM's MACs: a device's frames to or from any of them are the VM's. */
#define XV_CLASSIFIER_MACS 8

/* A device to classify, and the VM whose traffic it carries. */
struct xv_classified {
	int ifindex;
	uint8_t macs[XV_CLASSIFIER_MACS][6];
	unsigned int nmacs; /* 0: nothing known, nothing counted */
};

struct xv_classifier;

/* Where the programs sit on a device's hooks. */
enum xv_classifier_hooks {
	XV_HOOKS_AUTO, /* tcx where the kernel has it (Linux 6.6), else tc */
	XV_HOOKS_TCX,  /* tcx links, pinned beside the maps: the cheaper */
	XV_HOOKS_TC,   /* tc filters on a clsact qdisc (Linux 4.5) */
};

/*
 * Loads the program and its maps, pinned under pin_dir (made if need
 * be), reusing what an earlier run of the agent left there.  0, or
 * -errno with err saying why the agent cannot classify (no eBPF, no
 * privilege, no bpf filesystem, no tcx when it was asked for): the
 * caller says so once and accounts without the split.
 */
int xv_classifier_open(struct xv_classifier **out, const char *pin_dir,
		       enum xv_classifier_hooks hooks, const struct xv_log *log,
		       char *err, size_t errlen);

/* The hooks it uses: XV_HOOKS_TCX or XV_HOOKS_TC. */
enum xv_classifier_hooks xv_classifier_hooks(const struct xv_classifier *c);

/* "tcx", "tc" (and "auto"): as the configuration names them. */
static inline const char *xv_classifier_hooks_name(enum xv_classifier_hooks hooks)
{
	return hooks == XV_HOOKS_TCX ? "tcx" : hooks == XV_HOOKS_TC ? "tc" : "auto";
}

/*
 * The devices to classify now, sorted by ifindex: hooks are attached to
 * those new (or replaced, if an earlier run left them: never twice),
 * removed from devices no longer listed, and the MACs brought up to
 * date.  A device that cannot be hooked is said once (log) and left
 * uncounted; 0 or -ENOMEM.
 */
int xv_classifier_follow(struct xv_classifier *c, const struct xv_classified *devs,
			 size_t n);

/*
 * How long one follow may spend putting hooks on devices, in
 * milliseconds (from open: no limit).  A tcx link waits for an RCU
 * grace period to go on, about 12 ms here (README, "Its cost"): a
 * thousand new devices would hold one follow, and the agent, for 25 s.
 * With a budget, a follow hooks devices (at least one) until the time
 * is spent and leaves the rest, uncounted meanwhile, to the next:
 * xv_classifier_waiting() says how many.  Changed MACs, and taking
 * devices off, never wait.
 */
void xv_classifier_set_budget(struct xv_classifier *c, unsigned int ms);

/* Listed devices that the last follow left unhooked for the next (its
 * budget spent); 0 once every device is hooked (or failed, said). */
size_t xv_classifier_waiting(const struct xv_classifier *c);

/*
 * Reads the counts of every hooked device in one batch, into the split
 * counters of the links with its ifindex (in links and in gone: final
 * counts of deleted devices), which are then marked split_known.  Counts
 * of devices in neither are forgotten.  0, or -errno with err set (the
 * links' split stays unknown).
 */
int xv_classifier_read(struct xv_classifier *c, struct xv_linkset *links,
		       struct xv_linkset *gone, char *err, size_t errlen);

/* Do the counts go on from an earlier run's (its pinned map was
 * found)?  If not they start from zero, and every reading kept of them
 * (a state file's) is of a map that is gone. */
bool xv_classifier_counts_continue(const struct xv_classifier *c);

/* Is this device hooked and counted now? */
bool xv_classifier_counts(const struct xv_classifier *c, int ifindex);

/* Removes the hooks from every device, the pins and the directory, and
 * frees c.  (A crash leaves them: the next open takes them over.) */
void xv_classifier_close(struct xv_classifier *c);

#endif
