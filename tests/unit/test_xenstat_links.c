/* SPDX-License-Identifier: ISC */
/* libxenstat's readings made into links: paired with the devices the
 * metadata names, in the kernel's order, or listed without counters. */
#include <net/if.h> /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store.h"
#include "tap.h"
#include "xenvif/xenstat_links.h"

#define U1 "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define U2 "11111111-2222-3333-4444-555555555555"
#define BE "/local/domain/0/backend/vif"

/* The kernel's devices, as the fake probe finds them. */
struct device {
	const char *name;
	int ifindex;
	bool up;
	const char *master;
	int master_ifindex;
};

struct kernel {
	struct device dev[8];
	size_t n;
	int probes;
	int master_probes;
};

static bool probe(void *ctx, const char *name, bool want_master,
		  struct xv_link *out, char *master, size_t mastersz)
{
	struct kernel *k = ctx;

	k->probes++;
	for (size_t i = 0; i < k->n; i++) {
		const struct device *d = &k->dev[i];

		if (strcmp(d->name, name) != 0)
			continue;
		memset(out, 0, sizeof *out);
		out->ifindex = d->ifindex;
		out->flags = IFF_UP | (d->up ? IFF_RUNNING : 0);
		out->operstate = d->up ? IF_OPER_UP : IF_OPER_DOWN;
		if (want_master) {
			k->master_probes++;
			if (d->master) {
				snprintf(master, mastersz, "%s", d->master);
				out->master = d->master_ifindex;
			}
		}
		return true;
	}
	return false;
}

static void reading(struct xv_vif_readings *r, uint32_t domid, uint32_t devid,
		    uint64_t rx, uint64_t tx)
{
	r->v = realloc(r->v, (r->n + 1) * sizeof *r->v);
	memset(&r->v[r->n], 0, sizeof *r->v);
	r->v[r->n].domid = domid;
	r->v[r->n].devid = devid;
	r->v[r->n].stats.v[XV_IN_OCTETS] = rx;
	r->v[r->n].stats.v[XV_OUT_OCTETS] = tx;
	r->n++;
}

static const struct xv_link *by_name(const struct xv_linkset *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->links[i].name, name) == 0)
			return &set->links[i];
	return NULL;
}

int main(void)
{
	struct fake_store fs;
	struct xv_store st;
	struct xv_meta meta;
	struct xv_linkset out = {0};
	struct xv_vif_readings r = {0};
	const struct xv_link *l;
	struct kernel k = {
		.dev = {
			{"vif3.0", 30, true, NULL, 0},
			{"vif4.0-emu", 41, true, NULL, 0},
			{"vif4.0", 42, false, NULL, 0},
			{"web-eth1", 50, true, "xenbr9", 7},
			{"web-eth1-emu", 51, true, NULL, 0},
		},
		.n = 5,
	};

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_add_vm(&fs, 3, "web1", U1, 0, NULL, "xenbr0");
	fake_add_vm(&fs, 4, "hvm1", U2, 0, NULL, "xenbr0");
	/* domain 3's second vif: a custom name, no bridge key */
	fake_write(&fs, BE "/3/1/frontend-id", "3");
	fake_write(&fs, BE "/3/1/handle", "1");
	fake_write(&fs, BE "/3/1/vifname", "web-eth1");
	fake_write(&fs, BE "/3/1/state", "4");
	xv_meta_scan_all(&meta, &st);

	/* libxenstat's order: the tap was created first, as the kernel
	 * lists it; a domain not in xenstore; domain 3's devices in any
	 * order among the others. */
	reading(&r, 4, 0, 111, 11);   /* vif4.0-emu, ifindex 41 */
	reading(&r, 3, 1, 555, 55);   /* web-eth1 (found by nodename) */
	reading(&r, 9, 0, 999, 99);   /* no such domain in xenstore */
	reading(&r, 4, 0, 222, 22);   /* vif4.0, ifindex 42 */
	reading(&r, 3, 0, 333, 33);   /* vif3.0 */
	tap_is_u64(xv_xenstat_links(&r, &meta, probe, &k, &out), 0, "links made");
	tap_is_u64(out.n, 5, "vif3.0, web-eth1, the bridge only the kernel "
		   "names, and both of domain 4's devices");
	for (size_t i = 1; i < out.n; i++)
		tap_ok(out.links[i - 1].ifindex < out.links[i].ifindex,
		       "sorted by ifindex (%d)", out.links[i].ifindex);
	l = by_name(&out, "vif3.0");
	tap_ok(l && l->ifindex == 30 && l->stats.v[XV_IN_OCTETS] == 333 &&
	       l->stats.v[XV_OUT_OCTETS] == 33 && !l->stats_unknown,
	       "vif3.0: its reading, its ifindex");
	tap_ok(l && (l->flags & IFF_UP) && l->operstate == IF_OPER_UP, "and up");
	l = by_name(&out, "vif4.0-emu");
	tap_ok(l && l->ifindex == 41 && l->stats.v[XV_IN_OCTETS] == 111,
	       "two readings of (4, 0): the first is the lower ifindex, the tap");
	l = by_name(&out, "vif4.0");
	tap_ok(l && l->ifindex == 42 && l->stats.v[XV_IN_OCTETS] == 222 &&
	       l->operstate == IF_OPER_DOWN, "the second is vif4.0, down");
	l = by_name(&out, "web-eth1");
	tap_ok(l && l->stats.v[XV_IN_OCTETS] == 555 && l->master == 7,
	       "a custom vifname, with the kernel's bridge (no bridge key)");
	l = by_name(&out, "xenbr9");
	tap_ok(l && l->ifindex == 7 && l->stats_unknown,
	       "the bridge is listed for its name, without counters");
	tap_ok(!by_name(&out, "web-eth1-emu"),
	       "a tap libxenstat would not file under the vif is left out");
	tap_is_u64(k.master_probes, 1, "the kernel is asked for a bridge only "
		   "where xenstore has none");

	/* A device came between libxenstat's look and ours: one reading,
	 * two devices.  Neither gets counters this time. */
	r.n = 0;
	reading(&r, 4, 0, 230, 23);
	reading(&r, 3, 0, 340, 34);
	xv_xenstat_links(&r, &meta, probe, &k, &out);
	tap_ok((l = by_name(&out, "vif4.0")) && l->stats_unknown,
	       "unpaired: vif4.0 listed without counters");
	tap_ok((l = by_name(&out, "vif4.0-emu")) && l->stats_unknown,
	       "and its tap too");
	tap_ok((l = by_name(&out, "vif3.0")) && !l->stats_unknown &&
	       l->stats.v[XV_IN_OCTETS] == 340, "the others are read as usual");

	/* libxenstat reads nothing for a vif (its domain unknown to the
	 * hypervisor): the device is still there, without counters. */
	r.n = 0;
	xv_xenstat_links(&r, &meta, probe, &k, &out);
	tap_ok((l = by_name(&out, "vif3.0")) && l->stats_unknown,
	       "no reading: listed without counters");

	/* A device replaced under its name while libxenstat read: the
	 * look before and the look after disagree on its ifindex. */
	{
		struct xv_linkset before = {0};

		r.n = 0;
		reading(&r, 3, 0, 360, 36);
		xv_xenstat_links(&r, &meta, probe, &k, &before);
		k.dev[0].ifindex = 99;
		xv_xenstat_links(&r, &meta, probe, &k, &out);
		tap_is_u64(xv_xenstat_links_confirm(&out, &before), 1,
			   "a device replaced between the looks is withheld");
		tap_ok((l = by_name(&out, "vif3.0")) && l->ifindex == 99 &&
		       l->stats_unknown, "vif3.0, new ifindex, without counters");
		k.dev[0].ifindex = 30;
		xv_xenstat_links(&r, &meta, probe, &k, &before);
		xv_xenstat_links(&r, &meta, probe, &k, &out);
		tap_is_u64(xv_xenstat_links_confirm(&out, &before), 0,
			   "devices unchanged between the looks keep their counters");
		tap_ok((l = by_name(&out, "vif3.0")) && !l->stats_unknown &&
		       l->stats.v[XV_IN_OCTETS] == 360, "vif3.0 read as usual");
		xv_linkset_free(&before);
	}

	/* A device gone: not listed. */
	k.dev[0].name = "gone";
	reading(&r, 3, 0, 350, 35);
	xv_xenstat_links(&r, &meta, probe, &k, &out);
	tap_ok(!by_name(&out, "vif3.0"), "a device the kernel has not is not listed");

	xv_linkset_free(&out);
	xv_vif_readings_free(&r);
	xv_meta_free(&meta);
	fake_free(&fs);
	return tap_done();
}
