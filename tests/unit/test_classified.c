/* SPDX-License-Identifier: ISC */
/* The classifier's device list: the served rows' devices, each with
 * every MAC of its VM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "xenvif/classified.h"

#define U1 "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define U2 "11111111-2222-3333-4444-555555555555"
#define U3 "33333333-2222-3333-4444-555555555555"

static struct xv_vif_row *add_row(struct xv_vif_table *t, const char *key,
				  const char *mac, int ifindex, int emu_ifindex)
{
	static const struct xv_counters zero;
	struct xv_vif_row *r;

	xv_vif_table_add(t, xv_registry_new_index(&t->rows, key), key, &r);
	xv_vif_row_add_source(r, ifindex, false, "vif", &zero);
	if (emu_ifindex)
		xv_vif_row_add_source(r, emu_ifindex, true, "vif-emu", &zero);
	r->entry.active = true;
	r->domain_name = strdup("vm");
	snprintf(r->uuid, sizeof r->uuid, "%.36s", key);
	if (mac) {
		memcpy(r->mac, mac, 6);
		r->has_mac = true;
	}
	return r;
}

static void add_link(struct xv_linkset *links, int ifindex)
{
	struct xv_link *l = xv_linkset_append(links);

	l->ifindex = ifindex;
	snprintf(l->name, sizeof l->name, "dev%d", ifindex);
}

/* A device's MACs as "last octets", for comparison. */
static const char *macs_of(const struct xv_classified *d)
{
	static char buf[64];

	buf[0] = '\0';
	for (unsigned int i = 0; i < d->nmacs; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%02x",
			 i ? " " : "", d->macs[i][5]);
	return buf;
}

int main(void)
{
	struct xv_vif_table t;
	struct xv_vm_table vt;
	struct xv_config cfg;
	struct xv_linkset links = {0};
	struct xv_classified_list list = {0};

	xv_vif_table_init(&t);
	xv_vm_table_init(&vt);
	xv_config_defaults(&cfg);
	/* VM 1: two vifs, the first with its emulated tap; VM 2 without a
	 * MAC; VM 3's device gone from the kernel. */
	add_row(&t, U1 "/1", "\x00\x16\x3e\x00\x00\x02", 12, 0);
	add_row(&t, U1 "/0", "\x00\x16\x3e\x00\x00\x01", 20, 11);
	add_row(&t, U2 "/0", NULL, 13, 0);
	add_row(&t, U3 "/0", "\x00\x16\x3e\x00\x00\x04", 14, 0);
	xv_registry_rebuild_view(&t.rows);
	xv_vm_table_update(&vt, &t, &cfg, 1795348800);
	add_link(&links, 11);
	add_link(&links, 12);
	add_link(&links, 13);
	add_link(&links, 20);
	xv_linkset_sort(&links);

	tap_is_u64(xv_classified_list(&list, &t, &vt, &links), 0, "listed");
	tap_is_u64(list.n, 3, "VM 1's three devices, none of VM 2 (no MAC) or 3 (gone)");
	tap_ok(list.n == 3 && list.v[0].ifindex == 11 && list.v[1].ifindex == 12 &&
		       list.v[2].ifindex == 20, "sorted by ifindex, the tap too");
	for (size_t i = 0; i < list.n; i++)
		tap_is_str(macs_of(&list.v[i]), "01 02", "each with both MACs of its VM");

	/* A VM with more MACs than the classifier holds: the first ones. */
	for (int i = 0; i < XV_CLASSIFIER_MACS + 2; i++) {
		char key[64], mac[6] = {0x02, 0, 0, 0, 0, (char)(0x40 + i)};

		snprintf(key, sizeof key, U2 "/%d", i + 1);
		add_row(&t, key, mac, 100 + i, 0);
		add_link(&links, 100 + i);
	}
	xv_linkset_sort(&links);
	xv_registry_rebuild_view(&t.rows);
	xv_vm_table_update(&vt, &t, &cfg, 1795348805);
	tap_is_u64(xv_classified_list(&list, &t, &vt, &links), 0, "listed again");
	tap_is_u64(list.n, 3 + 1 + XV_CLASSIFIER_MACS + 2,
		   "VM 2 now has MACs: all its devices, the MAC-less vif too");
	tap_is_u64(list.v[2].ifindex, 13, "its vif without a MAC of its own");
	tap_is_u64(list.v[2].nmacs, XV_CLASSIFIER_MACS, "holds as many MACs as fit");
	tap_is_str(macs_of(&list.v[2]), "40 41 42 43 44 45 46 47", "the lowest");

	xv_classified_free(&list);
	tap_ok(list.v == NULL && list.n == 0, "freed");
	xv_linkset_free(&links);
	xv_vm_table_free(&vt);
	xv_vif_table_free(&t);
	xv_config_free(&cfg);
	return tap_done();
}
