/* SPDX-License-Identifier: ISC */
/*
 * What the classifier's eBPF programs (xv_classify.bpf.c) and the agent
 * (lib/classifier.c) share: the maps' keys and values.  Both sides
 * include it, so the layouts cannot differ within one build; an agent of
 * another build finds the pinned maps' value sizes changed and makes
 * them again (lib/classifier.c).
 */
#ifndef XV_CLASSIFY_H
#define XV_CLASSIFY_H

#include <linux/types.h>

/* classifier.h's XV_CLASSIFIER_MACS (checked there). */
#define XV_CLS_MACS 8
/* Devices counted at once (in the hashes): four times the vifs of the
 * largest dom0 bench/run measures; the hashes' memory is 16 bytes a
 * bucket plus their entries, made as needed. */
#define XV_CLS_MAX_DEVICES 16384
/*
 * Arrays over hashes where the key allows: the verifier makes an
 * array's lookup a bounds check and an address, where a hash's costs
 * ~60 ns a frame in place on the machine of bench/classifier.md.
 *
 * Devices whose ifindex is below XV_CLS_DIRECT have their MACs in an
 * array indexed by ifindex (xv_config); others (a dom0 that has made
 * 16k devices since it booted) in a hash (xv_config_hi).  56 bytes an
 * entry: 0.9 MB.
 *
 * The counts of a device are in one of XV_CLS_SLOTS slots of a per-CPU
 * array (xv_slots), the slot the agent gave it (in its config: ifindex
 * is no index there, it only grows); a device beyond them (a dom0
 * serving more than 1024 devices at once) has its counts in a per-CPU
 * hash by ifindex (xv_counts).  64 bytes a slot and CPU: 64 kB a CPU.
 */
#define XV_CLS_DIRECT 16384
#define XV_CLS_SLOTS 1024

/* xv_config's and xv_config_hi's value, keyed by the device's ifindex
 * (__u32). */
struct xv_cls_config {
	__u8 macs[XV_CLS_MACS][6];
	__u32 nmacs; /* the first nmacs of macs are the VM's */
	/* Its counts' slot in xv_slots plus one; 0: none, its counts are
	 * in xv_counts (an entry of zeros, as the array starts, is none). */
	__u32 slot1;
};

/* xv_slots' and xv_counts' value, per CPU; in the order of the split
 * counters of counters.h (checked there), from XV_OUT_FOREIGN_OCTETS
 * on. */
enum xv_cls_count {
	XV_CLS_OUT_FOREIGN_OCTETS,
	XV_CLS_OUT_FOREIGN_PKTS,
	XV_CLS_OUT_BCAST_PKTS,
	XV_CLS_OUT_MCAST_PKTS,
	XV_CLS_IN_FOREIGN_SRC_OCTETS,
	XV_CLS_IN_FOREIGN_SRC_PKTS,
	XV_CLS_IN_BCAST_PKTS,
	XV_CLS_IN_MCAST_PKTS,
	XV_CLS_NCOUNTS
};

struct xv_cls_counts {
	__u64 v[XV_CLS_NCOUNTS];
};

#endif
