/* SPDX-License-Identifier: ISC */
#include "xenvif/counters.h"

void xv_counters_advance(struct xv_counters *total, struct xv_counters *last,
			 const struct xv_counters *now, bool split)
{
	int n = split ? XV_NCOUNTERS : XV_NKERNEL_COUNTERS;

	for (int i = 0; i < n; i++) {
		uint64_t delta = now->v[i] >= last->v[i] ? now->v[i] - last->v[i]
							 : now->v[i];

		total->v[i] += delta;
		last->v[i] = now->v[i];
	}
}
