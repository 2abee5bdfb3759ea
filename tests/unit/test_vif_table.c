/* SPDX-License-Identifier: ISC */
/* The vif table: identity, counter continuity and what is served. */
#include <errno.h>
#include <net/if.h> /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store.h"
#include "tap.h"
#include "xenvif/vif_table.h"

#define U1 "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define U2 "11111111-2222-3333-4444-555555555555"
#define BE "/local/domain/0/backend/vif"

struct world {
	const struct xv_layout *layout; /* libxl's unless set */
	struct fake_store fs;
	struct xv_store st;
	struct xv_meta meta;
	struct xv_vif_table t;
	struct xv_linkset links, gone;
	int nodename_calls;
};

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	fake_init(&w->fs);
	w->st = fake_api(&w->fs);
	xv_meta_init(&w->meta, 0);
	xv_vif_table_init(&w->t);
}

static void world_free(struct world *w)
{
	xv_vif_table_free(&w->t);
	xv_meta_free(&w->meta);
	free(w->links.links);
	free(w->gone.links);
	fake_free(&w->fs);
}

static struct xv_link *put_link(struct xv_linkset *set, int ifindex, const char *name,
				uint64_t rx, uint64_t tx)
{
	struct xv_link *l = NULL;

	for (size_t i = 0; i < set->n; i++)
		if (set->links[i].ifindex == ifindex)
			l = &set->links[i];
	if (!l) {
		size_t i = set->n;

		set->links = realloc(set->links, (set->n + 1) * sizeof *set->links);
		/* keep sorted by ifindex */
		while (i > 0 && set->links[i - 1].ifindex > ifindex) {
			set->links[i] = set->links[i - 1];
			i--;
		}
		l = &set->links[i];
		set->n++;
	}
	memset(l, 0, sizeof *l);
	l->ifindex = ifindex;
	snprintf(l->name, sizeof l->name, "%s", name);
	l->flags = IFF_UP | IFF_RUNNING;
	l->operstate = IF_OPER_UP;
	l->stats.v[XV_IN_OCTETS] = rx;
	l->stats.v[XV_IN_PKTS] = rx / 100;
	l->stats.v[XV_OUT_OCTETS] = tx;
	return l;
}

static void drop_link(struct xv_linkset *set, int ifindex)
{
	size_t keep = 0;

	for (size_t i = 0; i < set->n; i++)
		if (set->links[i].ifindex != ifindex)
			set->links[keep++] = set->links[i];
	set->n = keep;
}

static bool fake_nodename(void *ctx, const char *ifname, uint32_t *d, uint32_t *n)
{
	struct world *w = ctx;

	w->nodename_calls++;
	if (strcmp(ifname, "renamed0") == 0) {
		*d = 9;
		*n = 1;
		return true;
	}
	return false;
}

static int sync_at(struct world *w, uint32_t now, uint32_t new_disc)
{
	struct xv_reconcile in = {.meta = &w->meta,
				  .links = &w->links,
				  .gone = &w->gone,
				  .now = now,
				  .new_row_discontinuity = new_disc,
				  .nodename = fake_nodename,
				  .nodename_ctx = w};

	(w->layout ? w->layout : &xv_libxl_layout)->scan_all(&w->meta, &w->st);
	int rc = xv_vif_table_reconcile(&w->t, &in);
	w->gone.n = 0;
	return rc;
}

static struct xv_vif_row *row_of(struct world *w, const char *key)
{
	return xv_vif_table_find_key(&w->t, key);
}

static void destroy_domain(struct world *w, uint32_t domid)
{
	char path[64];

	snprintf(path, sizeof path, BE "/%u", domid);
	fake_rm(&w->fs, path);
	snprintf(path, sizeof path, "/local/domain/%u", domid);
	fake_rm(&w->fs, path);
	fake_set_live(&w->fs, domid, false);
}

static void test_reboot_and_recreate(void)
{
	struct world w;
	struct xv_vif_row *r;
	struct xv_vif_table empty;

	world_init(&w);
	xv_vif_table_init(&empty);
	uint32_t expected_index = xv_registry_new_index(&empty.rows, U1 "/0");

	fake_add_vm(&w.fs, 3, "web1", U1, 0, "00:16:3e:01:02:03", NULL);
	put_link(&w.links, 2, "xenbr0", 0, 0);
	put_link(&w.links, 10, "vif3.0", 1000, 500)->master = 2;
	put_link(&w.links, 11, "eth0", 99999, 99999);
	tap_is_u64(sync_at(&w, 100, 0), XV_SAVE_NOW, "reconcile: a new row, saved at once");
	tap_is_u64(w.t.rows.nactive, 1, "one row served; other links ignored");
	r = row_of(&w, U1 "/0");
	tap_ok(r != NULL, "row keyed by UUID and device id");
	if (!r)
		return;
	tap_is_u64(r->entry.index, expected_index, "index is the key's hash");
	tap_is_u64(r->domid, 3, "domain id");
	tap_is_str(r->ifname, "vif3.0", "device name");
	tap_is_u64(r->ifindex, 10, "device ifindex");
	tap_is_str(r->bridge, "xenbr0", "no bridge key: the kernel's master");
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1000, "a new device counts from zero");
	tap_is_u64(r->total.v[XV_OUT_OCTETS], 500, "out too");
	tap_ok(r->oper_up, "up");
	tap_is_u64(w.t.last_change, 100, "table changed at 100");
	tap_is_u64(r->discontinuity, 0, "no discontinuity for a new row");

	put_link(&w.links, 10, "vif3.0", 1500, 700)->master = 2;
	sync_at(&w, 200, 0);
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1500, "counters advance");
	tap_is_u64(w.t.last_change, 100, "counting is not a table change");

	/* Reboot: the domain dies, the kernel reports the device's last
	 * counters as it deletes it, the VM comes back as domain 7. */
	destroy_domain(&w, 3);
	drop_link(&w.links, 10);
	put_link(&w.gone, 10, "vif3.0", 1600, 720);
	sync_at(&w, 300, 0);
	tap_is_u64(w.t.rows.nactive, 0, "destroyed domain's row leaves the table");
	tap_is_u64(w.t.last_change, 300, "and that is a change");
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1600, "final counters of the deleted device count");
	tap_is_u64(r->nsources, 0, "the device is no longer followed");

	fake_add_vm(&w.fs, 7, "web1", U1, 0, "00:16:3e:01:02:03", "xenbr0");
	put_link(&w.links, 12, "vif7.0", 50, 5);
	sync_at(&w, 400, 0);
	tap_is_u64(w.t.rows.nactive, 1, "back after reboot");
	tap_ok(row_of(&w, U1 "/0") == r && r->entry.index == expected_index,
	       "same row, same index under a new domid");
	tap_is_u64(r->domid, 7, "new domain id");
	tap_is_str(r->ifname, "vif7.0", "new device name");
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1650, "counters continue: 1600 + 50");
	tap_is_u64(r->total.v[XV_OUT_OCTETS], 725, "out continues: 720 + 5");

	/* The device vanishes between two reads without a notification:
	 * only what it carried since the last read is lost. */
	drop_link(&w.links, 12);
	put_link(&w.links, 13, "vif7.0", 30, 0);
	sync_at(&w, 500, 0);
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1680, "re-created device adds on");
	tap_is_u64(r->ifindex, 13, "new ifindex served");
	tap_is_u64(w.t.last_change, 500, "an ifindex change is a table change");

	/* A counter the driver reset on the same device. */
	put_link(&w.links, 13, "vif7.0", 10, 0);
	sync_at(&w, 600, 0);
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1690, "a reset counter never goes backwards");
	world_free(&w);
}

static void test_emu_and_names(void)
{
	struct world w;
	struct xv_vif_row *r;

	world_init(&w);
	fake_add_vm(&w.fs, 8, "hvm1", U2, 0, NULL, "br-dmz");
	put_link(&w.links, 20, "vif8.0", 100, 10);
	struct xv_link *emu = put_link(&w.links, 21, "vif8.0-emu", 40, 4);
	emu->operstate = IF_OPER_UNKNOWN;
	sync_at(&w, 10, 0);
	r = row_of(&w, U2 "/0");
	tap_ok(r != NULL, "HVM row");
	if (!r)
		return;
	tap_is_u64(r->total.v[XV_IN_OCTETS], 140, "the -emu tap's traffic is added in");
	tap_is_u64(r->ifindex, 20, "ifindex is the PV device's");
	tap_is_str(r->bridge, "br-dmz", "bridge from the backend key");
	put_link(&w.links, 20, "vif8.0", 100, 10)->flags = 0;
	sync_at(&w, 20, 0);
	tap_ok(r->oper_up, "up while the tap is up (PV drivers not loaded yet)");
	put_link(&w.links, 21, "vif8.0-emu", 40, 4)->flags = 0;
	sync_at(&w, 30, 0);
	tap_ok(!r->oper_up, "down when both are down");

	fake_write(&w.fs, BE "/9/0/vifname", "cust0");
	fake_add_vm(&w.fs, 9, "c", "22222222-2222-3333-4444-555555555555", 0, NULL, NULL);
	fake_write(&w.fs, BE "/9/1/state", "4");
	put_link(&w.links, 30, "cust0", 7, 0);
	put_link(&w.links, 31, "cust0-emu", 3, 0);
	put_link(&w.links, 32, "renamed0", 11, 0);
	struct xv_link *nb = put_link(&w.links, 33, "odd", 13, 0);
	snprintf(nb->parent_bus, sizeof nb->parent_bus, "xen-backend");
	snprintf(nb->parent_dev, sizeof nb->parent_dev, "vif-9-1");
	sync_at(&w, 40, 0);
	r = row_of(&w, "22222222-2222-3333-4444-555555555555/0");
	tap_ok(r && r->total.v[XV_IN_OCTETS] == 10 && strcmp(r->ifname, "cust0") == 0,
	       "custom vifname and its -emu tap");
	r = row_of(&w, "22222222-2222-3333-4444-555555555555/1");
	tap_is_u64(r ? r->total.v[XV_IN_OCTETS] : 0, 24,
		   "devices found by sysfs nodename and by netback parent device");
	int calls = w.nodename_calls;
	sync_at(&w, 50, 0);
	tap_is_u64(w.nodename_calls, calls, "sysfs is asked once per device");
	tap_ok(calls >= 1, "and was asked");
	world_free(&w);
}

/* xapi with Open vSwitch: tapD.N is the emulated NIC, every port's
 * kernel master is ovs-system, and a VM migrating on the host runs as
 * two domains known by one UUID. */
static void test_xapi_ovs(void)
{
	struct world w;
	struct xv_vif_row *r;

	world_init(&w);
	w.layout = &xv_xapi_layout;
	fake_write(&w.fs, "/xapi/" U1 "/private/vif/0/bridge", "xenbr0");
	fake_write(&w.fs, "/xapi/" U1 "/hotplug/7/vif/0/vif", "vif7.0");
	fake_write(&w.fs, "/local/domain/7/name", "web1");
	fake_write(&w.fs, "/local/domain/7/vm", "/vm/" U1);
	fake_write(&w.fs, BE "/7/0/mac", "00:16:3e:00:00:07");
	fake_set_live(&w.fs, 7, true);
	put_link(&w.links, 2, "ovs-system", 0, 0);
	put_link(&w.links, 70, "vif7.0", 1000, 100)->master = 2;
	put_link(&w.links, 71, "tap7.0", 500, 50)->master = 2;
	sync_at(&w, 10, 0);
	r = row_of(&w, U1 "/0");
	tap_ok(r && r->entry.active, "the vif's row");
	if (!r)
		return;
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1500, "tapD.N summed into its vif's row");
	tap_is_u64(r->nsources, 2, "two devices");
	tap_is_u64(r->ifindex, 70, "the PV device is the main one");
	tap_is_str(r->bridge, "xenbr0", "bridge from xapi's tree, not ovs-system");
	fake_rm(&w.fs, "/xapi/" U1 "/private");
	sync_at(&w, 20, 0);
	tap_ok(!r->bridge || !r->bridge[0], "no bridge known: none, never ovs-system");
	fake_write(&w.fs, "/xapi/" U1 "/private/vif/0/bridge", "xenbr0");

	/* The incoming domain of a local migration, its vif plugged early. */
	uint32_t index = r->entry.index;
	fake_write(&w.fs, "/local/domain/8/name", "web1");
	fake_write(&w.fs, "/local/domain/8/vm", "/vm/6f1c2a9e-0d3b-4c8e-9a51-000000000001");
	fake_write(&w.fs, "/vm/6f1c2a9e-0d3b-4c8e-9a51-000000000001/final-uuid", U1);
	fake_write(&w.fs, "/xapi/" U1 "/hotplug/8/vif/0/vif", "vif8.0");
	fake_write(&w.fs, BE "/8/0/mac", "00:16:3e:00:00:07");
	fake_set_live(&w.fs, 8, true);
	put_link(&w.links, 80, "vif8.0", 0, 0)->master = 2;
	sync_at(&w, 30, 0);
	tap_ok(row_of(&w, U1 "/0") == r && w.t.rows.n == 1,
	       "one row for both domains: the real UUID's");
	tap_is_u64(r->nsources, 3, "three devices");
	tap_is_u64(r->domid, 8, "the newer domain's metadata");
	/* The source goes: its last counters are taken, then it leaves. */
	put_link(&w.gone, 70, "vif7.0", 1200, 100);
	drop_link(&w.links, 70);
	drop_link(&w.links, 71);
	put_link(&w.links, 80, "vif8.0", 50, 5)->master = 2;
	destroy_domain(&w, 7);
	sync_at(&w, 40, 0);
	r = row_of(&w, U1 "/0");
	tap_ok(r && r->entry.index == index && r->entry.active, "the same row, the same index");
	tap_is_u64(r ? r->total.v[XV_IN_OCTETS] : 0, 1750,
		   "counters went on: the old domain's last ones, the new one's");
	tap_is_u64(r ? r->nsources : 0, 1, "only the new device now");
	world_free(&w);
}

static void test_identity(void)
{
	struct world w;
	struct xv_vif_table t;
	struct xv_vif_row *r;

	world_init(&w);
	/* Localhost migration: two live domains share the UUID. */
	fake_add_vm(&w.fs, 4, "m", U1, 0, NULL, NULL);
	fake_add_vm(&w.fs, 5, "m--incoming", U1, 0, NULL, NULL);
	put_link(&w.links, 40, "vif4.0", 100, 0);
	put_link(&w.links, 41, "vif5.0", 20, 0);
	sync_at(&w, 10, 0);
	tap_is_u64(w.t.rows.nactive, 1, "one row for one VM device during migration");
	r = row_of(&w, U1 "/0");
	tap_is_u64(r ? r->total.v[XV_IN_OCTETS] : 0, 120, "both domains' traffic counts");
	tap_is_u64(r ? r->ifindex : 0, 41, "the newest device is shown");

	/* No UUID: the name identifies; no name either: the domid. */
	fake_write(&w.fs, "/local/domain/6/name", "nouuid");
	fake_write(&w.fs, BE "/6/0/state", "4");
	fake_set_live(&w.fs, 6, true);
	fake_write(&w.fs, BE "/10/0/state", "4");
	fake_set_live(&w.fs, 10, true);
	sync_at(&w, 20, 0);
	tap_ok(row_of(&w, "name:nouuid/0") != NULL, "name key without UUID");
	tap_ok(row_of(&w, "domid:10/0") != NULL, "domid key without name");

	xv_vif_table_init(&t);
	uint32_t h = xv_registry_new_index(&t.rows, U1 "/0");
	tap_is_u64(xv_vif_table_add(&t, h, "someone-else", &r), 0, "occupy the hash slot");
	tap_is_u64(xv_registry_new_index(&t.rows, U1 "/0"), h == XV_INDEX_MAX ? 1 : h + 1,
		   "a collision moves to the next free index");
	tap_ok(xv_vif_table_add(&t, h, "third", &r) == -EEXIST, "an index is never shared");
	tap_ok(xv_vif_table_add(&t, h + 7, "someone-else", &r) == -EEXIST,
	       "a key is never shared");
	xv_vif_table_free(&t);

	/* A vif in xenstore whose device does not exist yet. */
	fake_add_vm(&w.fs, 11, "early", "33333333-2222-3333-4444-555555555555", 2, NULL, NULL);
	sync_at(&w, 30, 7);
	r = row_of(&w, "33333333-2222-3333-4444-555555555555/2");
	tap_ok(r && r->entry.active && r->ifindex == 0 && !r->oper_up,
	       "row exists before its device, down, ifindex 0");
	tap_is_str(r ? r->ifname : NULL, "vif11.2", "with the name it will have");
	tap_is_u64(r ? r->discontinuity : 0, 7, "new rows take the given discontinuity");
	world_free(&w);
}

static void test_lingering_device(void)
{
	struct world w;
	struct xv_vif_row *r;

	world_init(&w);
	fake_add_vm(&w.fs, 3, "v", U1, 0, NULL, NULL);
	put_link(&w.links, 10, "vif3.0", 100, 0);
	sync_at(&w, 10, 0);
	r = row_of(&w, U1 "/0");
	/* xenstore forgets the domain before the kernel deletes the device. */
	destroy_domain(&w, 3);
	put_link(&w.links, 10, "vif3.0", 180, 0);
	sync_at(&w, 20, 0);
	tap_is_u64(w.t.rows.nactive, 0, "row left the table");
	tap_is_u64(r ? r->total.v[XV_IN_OCTETS] : 0, 180,
		   "its device is still counted until it goes");
	drop_link(&w.links, 10);
	sync_at(&w, 30, 0);
	tap_is_u64(r ? r->nsources : 9, 0, "then forgotten");
	world_free(&w);
}

static void test_review_cases(void)
{
	struct world w;
	struct xv_vif_row *r, *old;

	world_init(&w);
	/* A domain without UUID is keyed by name; xl rename gives it a new
	 * key while its device lives on: the device follows. */
	fake_write(&w.fs, "/local/domain/6/name", "plain");
	fake_write(&w.fs, BE "/6/0/state", "4");
	fake_set_live(&w.fs, 6, true);
	put_link(&w.links, 60, "vif6.0", 100, 0);
	sync_at(&w, 10, 0);
	old = row_of(&w, "name:plain/0");
	fake_write(&w.fs, "/local/domain/6/name", "plain2");
	put_link(&w.links, 60, "vif6.0", 130, 0);
	int verdict = sync_at(&w, 20, 0);
	r = row_of(&w, "name:plain2/0");
	tap_ok(r && r->entry.active && r->ifindex == 60 && r->oper_up,
	       "renamed domain without UUID: the device follows to the new row");
	tap_is_u64(r ? r->total.v[XV_IN_OCTETS] : 0, 30, "counting from its last reading");
	tap_ok(old && !old->entry.active && old->total.v[XV_IN_OCTETS] == 100 &&
		       old->nsources == 0,
	       "the old row keeps what it counted and lets the device go");
	tap_is_u64(verdict, XV_SAVE_NOW, "a moved device is a change to save");
	tap_is_u64(sync_at(&w, 25, 0), XV_SAVE_LATER, "plain counting is not");

	/* Kernel names may carry control bytes: served cleaned. */
	fake_add_vm(&w.fs, 7, "n", U2, 0, NULL, NULL);
	struct xv_link *l = put_link(&w.links, 70, "vif7.0", 0, 0);
	put_link(&w.links, 71, "br\x1b]0;x", 0, 0);
	l = put_link(&w.links, 70, "vif7.0", 0, 0);
	l->master = 71;
	sync_at(&w, 30, 0);
	r = row_of(&w, U2 "/0");
	tap_is_str(r ? r->bridge : NULL, "br?]0;x", "the master's name is cleaned");
	struct xv_link *renamed = put_link(&w.links, 70, "v\x07x", 0, 0);
	renamed->master = 71;
	sync_at(&w, 40, 0);
	tap_is_str(r ? r->ifname : NULL, "v?x", "the device's name is cleaned");

	/* Two live domains share a UUID (local migration): the table does
	 * not change while nothing changes. */
	fake_add_vm(&w.fs, 8, "m", U1, 0, NULL, NULL);
	fake_add_vm(&w.fs, 9, "m--incoming", U1, 0, NULL, NULL);
	sync_at(&w, 50, 0);
	r = row_of(&w, U1 "/0");
	tap_ok(r && r->domid == 9, "the newer domain is shown");
	sync_at(&w, 60, 0);
	tap_is_u64(w.t.last_change, 50, "and the table is stable between changes");
	world_free(&w);
}

static void test_active_from(void)
{
	struct xv_vif_table t;
	struct xv_vif_row *r;

	xv_vif_table_init(&t);
	uint32_t idx[] = {50, 10, 30, 40};
	for (int i = 0; i < 4; i++) {
		char key[8];

		snprintf(key, sizeof key, "k%d", i);
		xv_vif_table_add(&t, idx[i], key, &r);
		r->entry.active = idx[i] != 40;
	}
	xv_registry_rebuild_view(&t.rows);
	tap_is_u64(t.rows.nactive, 3, "the view holds the active rows");
	tap_ok(xv_vif_table_served(&t, 0)->entry.index == 10 &&
		       xv_vif_table_served(&t, 2)->entry.index == 50, "sorted by index");
	tap_is_u64(xv_registry_active_from(&t.rows, 0), 0, "from 0: first");
	tap_is_u64(xv_registry_active_from(&t.rows, 30), 1, "exact index");
	tap_is_u64(xv_registry_active_from(&t.rows, 31), 2, "between, past an inactive one");
	tap_is_u64(xv_registry_active_from(&t.rows, 51), 3, "past the end");
	xv_vif_table_free(&t);
}

/* A collector that could not pair a device with its counters lists it
 * without them: the row keeps what it has, and a device never counted
 * waits for its first real reading. */
static void test_stats_unknown(void)
{
	struct world w;
	struct xv_vif_row *r;

	world_init(&w);
	fake_add_vm(&w.fs, 3, "web1", U1, 0, NULL, "xenbr0");
	put_link(&w.links, 10, "vif3.0", 1000, 500);
	sync_at(&w, 100, 0);
	r = row_of(&w, U1 "/0");
	tap_ok(r != NULL, "row");
	if (!r)
		return;
	put_link(&w.links, 10, "vif3.0", 0, 0)->stats_unknown = true;
	put_link(&w.links, 11, "vif3.0-emu", 0, 0)->stats_unknown = true;
	sync_at(&w, 200, 0);
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1000, "no counters: the row keeps its own");
	tap_is_u64(r->nsources, 1, "the device is still followed, the unknown tap not yet");
	tap_is_u64(r->ifindex, 10, "and still served");
	put_link(&w.links, 10, "vif3.0", 1200, 600);
	put_link(&w.links, 11, "vif3.0-emu", 70, 7);
	sync_at(&w, 300, 0);
	tap_is_u64(r->total.v[XV_IN_OCTETS], 1270,
		   "counted again from the last reading, the tap from zero");
	tap_is_u64(r->nsources, 2, "both followed");
	world_free(&w);
}

int main(void)
{
	test_reboot_and_recreate();
	test_emu_and_names();
	test_xapi_ovs();
	test_identity();
	test_lingering_device();
	test_review_cases();
	test_active_from();
	test_stats_unknown();
	return tap_done();
}
