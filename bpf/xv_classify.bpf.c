/* SPDX-License-Identifier: ISC */
/*
 * The classifier's eBPF programs (see include/xenvif/classifier.h), one
 * on each hook of a served device's clsact qdisc:
 *
 *  - egress, what the backend sends to the guest (Out): split by the
 *    destination MAC into broadcast, multicast, the VM's own unicast
 *    (not counted: it is the device's total less the rest) and foreign
 *    unicast (what a bridge floods to every port);
 *  - ingress, what the guest sends (In): a source MAC that is none of
 *    the VM's (forged), and broadcast and multicast destinations.
 *
 * Both only count and return TC_ACT_UNSPEC: the frame goes on to the
 * next filter and the qdisc exactly as if we were not there.
 *
 * Octets are skb->len, which includes the Ethernet header on both hooks
 * (egress: the header is pushed before the qdisc; ingress: cls_bpf
 * pushes it back for the program), as the device's rx_bytes and
 * tx_bytes do (veth and netback count skb->len).  A packet is an skb, as
 * for the device's counters: a GSO skb is one packet of all its bytes.
 *
 * Built with clang -target bpf -O2 -g; the object is embedded into the
 * agent with bpftool gen skeleton.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "xv_classify.h"

/* The VMs' MACs, by ifindex of the dom0 device: for ifindex below
 * XV_CLS_DIRECT at that index (nmacs 0: not counted), else in the hash.
 * Written by the agent (follow); a device with no MACs is not counted. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XV_CLS_DIRECT);
	__type(key, __u32);
	__type(value, struct xv_cls_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_config SEC(".maps");

/* Entries made as needed (NO_PREALLOC): memory follows the devices, not
 * max_entries. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XV_CLS_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct xv_cls_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_config_hi SEC(".maps");

/* The counts, per CPU so that no frame waits for another CPU's: in the
 * device's slot, */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XV_CLS_SLOTS);
	__type(key, __u32);
	__type(value, struct xv_cls_counts);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_slots SEC(".maps");

/* or for a device without one, by ifindex.  A preallocated per-CPU hash
 * would take max_entries x 64 bytes on every CPU (1 MB each);
 * NO_PREALLOC makes an entry per device counted here (the agent makes
 * it when it hooks the device: not in the datapath). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XV_CLS_MAX_DEVICES);
	__type(key, __u32);
	__type(value, struct xv_cls_counts);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xv_counts SEC(".maps");

/*
 * Two lookups that must stay two: clang would sink them into one call
 * with the map chosen by a branch, and the verifier inlines an array's
 * lookup (a bounds check and an address) only where the call has one
 * array map; with both, every frame paid a helper call and the hash's
 * price.  The empty asm on one path's result keeps the paths apart.
 */
static __always_inline const struct xv_cls_config *config_of(__u32 ifindex)
{
	const struct xv_cls_config *cfg;

	if (ifindex < XV_CLS_DIRECT)
		return bpf_map_lookup_elem(&xv_config, &ifindex);
	cfg = bpf_map_lookup_elem(&xv_config_hi, &ifindex);
	barrier_var(cfg);
	return cfg;
}

/* Six byte compares folded with OR: no early exit, no call; the MAC in
 * the map has no alignment to load it wider. */
static __always_inline int same_mac(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		(a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
}

/*
 * Is mac one of the VM's?  At most nmacs compares (usually one).  They
 * are written out, each reading its entry at a fixed offset: a loop
 * walking a pointer through the table could, on a path the CPU only
 * speculates, read past its end, and the verifier refuses that to an
 * agent without CAP_PERFMON (older kernels do; recent ones fence the
 * speculation instead).  clang will not unroll the loop itself (it has
 * two exits).
 */
#define XV_MAC_AT(i)                                                          \
	do {                                                                  \
		if (n <= (i))                                                 \
			return 0;                                             \
		if (same_mac(cfg->macs[i], mac))                              \
			return 1;                                             \
	} while (0)

_Static_assert(XV_CLS_MACS == 8, "vm_mac compares eight MACs at most");

static __always_inline int vm_mac(const struct xv_cls_config *cfg, const __u8 *mac)
{
	__u32 n = cfg->nmacs;

	XV_MAC_AT(0);
	XV_MAC_AT(1);
	XV_MAC_AT(2);
	XV_MAC_AT(3);
	XV_MAC_AT(4);
	XV_MAC_AT(5);
	XV_MAC_AT(6);
	XV_MAC_AT(7);
	return 0;
}

/*
 * The device's counts: its slot, or its entry in the hash (made here
 * only if the agent's was deleted meanwhile).  As in config_of, the
 * slot's lookup is kept a call of its own, so the verifier inlines it.
 */
static __always_inline struct xv_cls_counts *counts_of(const struct xv_cls_config *cfg,
						       __u32 ifindex)
{
	struct xv_cls_counts *c;
	__u32 slot = cfg->slot1 - 1; /* none: 0xffffffff */

	if (slot < XV_CLS_SLOTS) {
		c = bpf_map_lookup_elem(&xv_slots, &slot);
		barrier_var(c);
		return c;
	}
	c = bpf_map_lookup_elem(&xv_counts, &ifindex);
	barrier_var(c);
	if (c)
		return c;
	{
		struct xv_cls_counts zero = {};

		/* NOEXIST: another CPU may have made it meanwhile; either way
		 * the lookup then finds this CPU's part. */
		bpf_map_update_elem(&xv_counts, &ifindex, &zero, BPF_NOEXIST);
	}
	return bpf_map_lookup_elem(&xv_counts, &ifindex);
}

/*
 * The Ethernet header's first 12 bytes (destination, source) are in the
 * linear part, where they always are for an Ethernet device; a shorter
 * frame is not classified.  The check is written out in each program:
 * a helper returning NULL for "too short" would have the program compare
 * a packet pointer with NULL, which the verifier refuses to an agent
 * without CAP_PERFMON (CAP_BPF and CAP_NET_ADMIN are all it needs).
 */
#define ETH_ADDRS_OR_RETURN(eth, skb)                                        \
	do {                                                                 \
		eth = (const __u8 *)(long)(skb)->data;                       \
		if (eth + 12 > (const __u8 *)(long)(skb)->data_end)          \
			return TC_ACT_UNSPEC;                                \
	} while (0)

static __always_inline int is_bcast(const __u8 *m)
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

/*
 * The counts are added to at fixed places, with 0 or 1 (and the length
 * or 0), never at an index chosen by a branch: the verifier refuses a
 * pointer moved by a value that differs between paths to an agent
 * without CAP_PERFMON (its Spectre v1 rule), and the adds are on one
 * cache line anyway.
 */
SEC("tc")
int xv_egress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	const struct xv_cls_config *cfg;
	struct xv_cls_counts *c;
	const __u8 *eth;
	__u64 group, bcast;

	cfg = config_of(ifindex);
	if (!cfg || cfg->nmacs == 0)
		return TC_ACT_UNSPEC;
	ETH_ADDRS_OR_RETURN(eth, skb);
	group = eth[0] & 1;
	if (!group && vm_mac(cfg, eth))
		return TC_ACT_UNSPEC; /* addressed to the VM: the common case */
	c = counts_of(cfg, ifindex);
	if (!c)
		return TC_ACT_UNSPEC;
	bcast = group & is_bcast(eth);
	/* Not a group address and none of the VM's: foreign (flooded). */
	c->v[XV_CLS_OUT_FOREIGN_PKTS] += group ^ 1;
	c->v[XV_CLS_OUT_FOREIGN_OCTETS] += skb->len & -(group ^ 1);
	c->v[XV_CLS_OUT_BCAST_PKTS] += bcast;
	c->v[XV_CLS_OUT_MCAST_PKTS] += group & (bcast ^ 1);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int xv_ingress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	const struct xv_cls_config *cfg;
	struct xv_cls_counts *c;
	const __u8 *eth;
	__u64 forged, group, bcast;

	cfg = config_of(ifindex);
	if (!cfg || cfg->nmacs == 0)
		return TC_ACT_UNSPEC;
	ETH_ADDRS_OR_RETURN(eth, skb);
	forged = !vm_mac(cfg, eth + 6);
	group = eth[0] & 1;
	if (!forged && !group)
		return TC_ACT_UNSPEC; /* the VM's own unicast: the common case */
	c = counts_of(cfg, ifindex);
	if (!c)
		return TC_ACT_UNSPEC;
	bcast = group & is_bcast(eth);
	c->v[XV_CLS_IN_FOREIGN_SRC_PKTS] += forged;
	c->v[XV_CLS_IN_FOREIGN_SRC_OCTETS] += skb->len & -forged;
	c->v[XV_CLS_IN_BCAST_PKTS] += bcast;
	c->v[XV_CLS_IN_MCAST_PKTS] += group & (bcast ^ 1);
	return TC_ACT_UNSPEC;
}

/* The kernel asks a program's license only to lend it the helpers that
 * are GPL-only; the map lookup and update it calls are not, so it is
 * under the project's license, as the rest. */
char LICENSE[] SEC("license") = "ISC";
