/* SPDX-License-Identifier: ISC */
#include "xenvif/counters.h"

static uint64_t advance_one(struct xv_counters *total, struct xv_counters *last,
			    const struct xv_counters *now, int i)
{
	uint64_t delta = now->v[i] >= last->v[i] ? now->v[i] - last->v[i] : now->v[i];

	total->v[i] += delta;
	last->v[i] = now->v[i];
	return delta;
}

void xv_counters_advance(struct xv_counters *total, struct xv_counters *last,
			 const struct xv_counters *now, bool split)
{
	uint64_t moved[XV_NKERNEL_COUNTERS];

	for (int i = 0; i < XV_NKERNEL_COUNTERS; i++)
		moved[i] = advance_one(total, last, now, i);
	if (split) {
		for (int i = XV_NKERNEL_COUNTERS; i < XV_NCOUNTERS; i++)
			advance_one(total, last, now, i);
		return;
	}
	total->v[XV_OUT_UCAST_PKTS] += moved[XV_OUT_PKTS];
	total->v[XV_IN_UCAST_PKTS] += moved[XV_IN_PKTS];
}
