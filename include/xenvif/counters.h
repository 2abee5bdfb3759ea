/* SPDX-License-Identifier: ISC */
/*
 * The per-port counters, named for the backend port as IF-MIB names
 * them: In is what the backend receives from the guest (the guest's
 * transmit), Out is what the backend sends to the guest.
 *
 * The first eight are the device's own (the kernel's, or libxenstat's).
 * The rest are the split the classifier counts on the device's tc hooks
 * (see classifier.h): Out by destination, In by source and destination.
 * Frames of a class are also in the device's totals.
 */
#ifndef XENVIF_COUNTERS_H
#define XENVIF_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

enum xv_counter {
	XV_IN_OCTETS,
	XV_IN_PKTS,
	XV_IN_DISCARDS,
	XV_IN_ERRORS,
	XV_OUT_OCTETS,
	XV_OUT_PKTS,
	XV_OUT_DISCARDS,
	XV_OUT_ERRORS,
	XV_NKERNEL_COUNTERS,
	/* Out to a unicast MAC that is none of the VM's: flooded. */
	XV_OUT_FOREIGN_OCTETS = XV_NKERNEL_COUNTERS,
	XV_OUT_FOREIGN_PKTS,
	XV_OUT_BCAST_PKTS,
	XV_OUT_MCAST_PKTS,
	/* In from a source MAC that is none of the VM's: forged. */
	XV_IN_FOREIGN_SRC_OCTETS,
	XV_IN_FOREIGN_SRC_PKTS,
	XV_IN_BCAST_PKTS,
	XV_IN_MCAST_PKTS,
	XV_SPLIT_END,
	/* Derived, for IF-MIB's unicast counters, in a row's totals only:
	 * the device's packets less the classifier's broadcast and
	 * multicast, or all of them where it does not count the device
	 * (see xv_counters_advance). */
	XV_OUT_UCAST_PKTS = XV_SPLIT_END,
	XV_IN_UCAST_PKTS,
	XV_NCOUNTERS
};

struct xv_counters {
	uint64_t v[XV_NCOUNTERS];
};

/*
 * Adds to *total what a counter set moved since *last and makes *last
 * = *now, for the device's own counters and, if split, the
 * classifier's too (else those keep their last reading).  A counter
 * below its last value was reset (the driver, or the classifier's map,
 * restarted it); everything it shows now is new.
 *
 * The unicast counters move by the device's packets of the interval
 * less the broadcast and multicast the classifier counted in it (none
 * if that would be less than none: the classifier counts a frame a
 * little before the device does), or by all of them without the split,
 * as before there was a classifier: IF-MIB's unicast counters never go
 * back when it comes or goes.
 */
void xv_counters_advance(struct xv_counters *total, struct xv_counters *last,
			 const struct xv_counters *now, bool split);

/* The same with a deleted device's final counters, newer than any
 * reading: only what moved forward counts (a counter below its last
 * value was read after them, not reset). */
void xv_counters_advance_final(struct xv_counters *total, struct xv_counters *last,
			       const struct xv_counters *final, bool split);

#endif
