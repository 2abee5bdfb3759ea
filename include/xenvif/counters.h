/* SPDX-License-Identifier: ISC */
/*
 * The eight per-port counters, named for the backend port as IF-MIB
 * names them: In is what the backend receives from the guest (the
 * guest's transmit), Out is what the backend sends to the guest.
 */
#ifndef XENVIF_COUNTERS_H
#define XENVIF_COUNTERS_H

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
	XV_NCOUNTERS
};

struct xv_counters {
	uint64_t v[XV_NCOUNTERS];
};

/*
 * Adds to *total what a kernel counter set moved since *last and makes
 * *last = *now.  A counter below its last value was reset by the
 * kernel (the driver restarted it); everything it shows now is new.
 */
void xv_counters_advance(struct xv_counters *total, struct xv_counters *last,
			 const struct xv_counters *now);

#endif
