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
 * Devices whose ifindex is below this have their MACs in an array
 * indexed by ifindex (xv_config), whose lookup the verifier makes a
 * bounds check and an address: a hash lookup costs ~65 ns a frame in
 * place on the machine of bench/classifier.md, the array ~4 ns.  Others
 * (a dom0 that has made 16k devices since it booted) are in a hash
 * (xv_config_hi).  The array takes 56 bytes an entry: 0.9 MB.
 */
#define XV_CLS_DIRECT 16384

/* xv_config's and xv_config_hi's value, keyed by the device's ifindex
 * (__u32). */
struct xv_cls_config {
	__u8 macs[XV_CLS_MACS][6];
	__u32 nmacs; /* the first nmacs of macs are the VM's */
};

/* xv_counts' value: per CPU, keyed by ifindex; in the order of the
 * split counters of counters.h (checked there), from
 * XV_OUT_FOREIGN_OCTETS on. */
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
