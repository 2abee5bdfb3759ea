/* SPDX-License-Identifier: ISC */
#include "xenvif/counters.h"

static uint64_t advance_one(struct xv_counters *total, struct xv_counters *last,
			    const struct xv_counters *now, int i, bool final)
{
	uint64_t delta;

	if (now->v[i] < last->v[i] && final)
		return 0; /* read after the final counters, not reset */
	delta = now->v[i] >= last->v[i] ? now->v[i] - last->v[i] : now->v[i];
	total->v[i] += delta;
	last->v[i] = now->v[i];
	return delta;
}

/* Packets less broadcast and multicast, never below none. */
static uint64_t unicast(uint64_t pkts, uint64_t bcast, uint64_t mcast)
{
	uint64_t group = bcast + mcast;

	return pkts > group ? pkts - group : 0;
}

static void advance(struct xv_counters *total, struct xv_counters *last,
		    const struct xv_counters *now, bool split, bool final)
{
	uint64_t moved[XV_SPLIT_END] = {0};
	int n = split ? XV_SPLIT_END : XV_NKERNEL_COUNTERS;

	for (int i = 0; i < n; i++)
		moved[i] = advance_one(total, last, now, i, final);
	total->v[XV_OUT_UCAST_PKTS] += unicast(moved[XV_OUT_PKTS], moved[XV_OUT_BCAST_PKTS],
					       moved[XV_OUT_MCAST_PKTS]);
	total->v[XV_IN_UCAST_PKTS] += unicast(moved[XV_IN_PKTS], moved[XV_IN_BCAST_PKTS],
					      moved[XV_IN_MCAST_PKTS]);
}

void xv_counters_advance(struct xv_counters *total, struct xv_counters *last,
			 const struct xv_counters *now, bool split)
{
	advance(total, last, now, split, false);
}

void xv_counters_advance_final(struct xv_counters *total, struct xv_counters *last,
			       const struct xv_counters *final, bool split)
{
	advance(total, last, final, split, true);
}
