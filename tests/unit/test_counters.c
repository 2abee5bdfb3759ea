/* SPDX-License-Identifier: ISC */
/* Counter continuity across kernel reads. */
#include "tap.h"
#include "xenvif/counters.h"

int main(void)
{
	struct xv_counters total = {{0}}, last = {{0}}, now = {{0}};

	now.v[XV_IN_OCTETS] = 1000;
	now.v[XV_OUT_PKTS] = 7;
	xv_counters_advance(&total, &last, &now, true);
	tap_is_u64(total.v[XV_IN_OCTETS], 1000, "first read counts everything");
	tap_is_u64(last.v[XV_IN_OCTETS], 1000, "and is remembered");

	now.v[XV_IN_OCTETS] = 1500;
	now.v[XV_OUT_PKTS] = 9;
	xv_counters_advance(&total, &last, &now, true);
	tap_is_u64(total.v[XV_IN_OCTETS], 1500, "octets move by the delta");
	tap_is_u64(total.v[XV_OUT_PKTS], 9, "packets move by the delta");

	now.v[XV_IN_OCTETS] = 200; /* the driver restarted its counter */
	xv_counters_advance(&total, &last, &now, true);
	tap_is_u64(total.v[XV_IN_OCTETS], 1700, "a counter reset counts what it shows");
	tap_is_u64(total.v[XV_OUT_PKTS], 9, "other counters unaffected");

	last.v[XV_OUT_OCTETS] = UINT64_MAX - 5;
	total.v[XV_OUT_OCTETS] = 100;
	now.v[XV_OUT_OCTETS] = UINT64_MAX;
	xv_counters_advance(&total, &last, &now, true);
	tap_is_u64(total.v[XV_OUT_OCTETS], 105, "64-bit top of range");

	/* The classifier's split, counted or not this time. */
	now.v[XV_OUT_FOREIGN_OCTETS] = 300;
	xv_counters_advance(&total, &last, &now, true);
	tap_is_u64(total.v[XV_OUT_FOREIGN_OCTETS], 300, "a split counter counts when known");
	now.v[XV_OUT_FOREIGN_OCTETS] = 0; /* not read: zero, meaning nothing */
	now.v[XV_IN_OCTETS] = 250;
	xv_counters_advance(&total, &last, &now, false);
	tap_is_u64(total.v[XV_OUT_FOREIGN_OCTETS], 300, "an unknown split leaves the total");
	tap_is_u64(last.v[XV_OUT_FOREIGN_OCTETS], 300, "and its last reading");
	tap_is_u64(total.v[XV_IN_OCTETS], 1750, "while the device's own counters move");
	now.v[XV_OUT_FOREIGN_OCTETS] = 320;
	xv_counters_advance(&total, &last, &now, true);
	tap_is_u64(total.v[XV_OUT_FOREIGN_OCTETS], 320, "known again: the delta since");

	/* Unicast: packets less the classifier's broadcast and multicast,
	 * or every packet without it. */
	struct xv_counters t2 = {{0}}, l2 = {{0}}, n2 = {{0}};

	n2.v[XV_OUT_PKTS] = 10;
	n2.v[XV_IN_PKTS] = 4;
	xv_counters_advance(&t2, &l2, &n2, false);
	tap_is_u64(t2.v[XV_OUT_UCAST_PKTS], 10, "no split: every Out packet is unicast");
	tap_is_u64(t2.v[XV_IN_UCAST_PKTS], 4, "and every In packet");
	n2.v[XV_OUT_PKTS] = 20;
	n2.v[XV_OUT_BCAST_PKTS] = 3;
	n2.v[XV_OUT_MCAST_PKTS] = 1;
	n2.v[XV_IN_PKTS] = 6;
	n2.v[XV_IN_MCAST_PKTS] = 2;
	xv_counters_advance(&t2, &l2, &n2, true);
	tap_is_u64(t2.v[XV_OUT_UCAST_PKTS], 16, "split: 10 packets, 4 of them broadcast or multicast");
	tap_is_u64(t2.v[XV_IN_UCAST_PKTS], 4, "In: 2 packets, both multicast");
	tap_is_u64(t2.v[XV_OUT_BCAST_PKTS], 3, "broadcast counted");
	n2.v[XV_OUT_PKTS] = 21;
	n2.v[XV_OUT_BCAST_PKTS] = 6; /* counted before the device did */
	xv_counters_advance(&t2, &l2, &n2, true);
	tap_is_u64(t2.v[XV_OUT_UCAST_PKTS], 16, "more broadcast than packets: unicast stays");
	n2.v[XV_OUT_PKTS] = 25;
	xv_counters_advance(&t2, &l2, &n2, false);
	tap_is_u64(t2.v[XV_OUT_UCAST_PKTS], 20, "the split gone again: never back");
	tap_is_u64(l2.v[XV_OUT_BCAST_PKTS], 6, "the classifier's last reading kept");
	return tap_done();
}
