/* SPDX-License-Identifier: ISC */
/* xapi's layout of xenstore, the layout found from what xenstore holds,
 * and bridge settings reduced to the switch's name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store.h"
#include "tap.h"
#include "xenvif/xsmeta.h"

#define REAL "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define INCOMING "6f1c2a9e-0d3b-4c8e-9a51-000000000001"
#define OUTGOING "6f1c2a9e-0d3b-4c8e-9a51-000000000000"
#define BE "/local/domain/0/backend/vif"
#define PRIV "/xapi/" REAL "/private/vif/0"

/* What xenopsd writes for a running VM with vif 0: the backend with no
 * bridge or name, the rest under /xapi. */
static void xapi_vm(struct fake_store *fs, uint32_t domid, const char *vm_uuid)
{
	char path[256], value[64];

	snprintf(path, sizeof path, "/local/domain/%u/name", domid);
	fake_write(fs, path, "web1");
	snprintf(path, sizeof path, "/local/domain/%u/vm", domid);
	snprintf(value, sizeof value, "/vm/%s", vm_uuid);
	fake_write(fs, path, value);
	snprintf(path, sizeof path, "/vm/%s/uuid", vm_uuid);
	fake_write(fs, path, vm_uuid);
	snprintf(path, sizeof path, BE "/%u/0/mac", domid);
	fake_write(fs, path, "00:16:3e:0a:0b:0c");
	snprintf(path, sizeof path, BE "/%u/0/frontend-id", domid);
	fake_write(fs, path, "x");
	snprintf(path, sizeof path, "/xapi/" REAL "/hotplug/%u/vif/0/vif", domid);
	snprintf(value, sizeof value, "vif%u.0", domid);
	fake_write(fs, path, value);
	fake_set_live(fs, domid, true);
}

static void test_xapi(void)
{
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;
	const struct xv_domain_meta *d;
	const struct xv_vif_meta *v;
	struct xv_watch_set w = {0};

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	xapi_vm(&fs, 7, REAL);
	fake_write(&fs, PRIV "/bridge", "xapi3");
	fake_write(&fs, PRIV "/MTU", "9000");
	fake_write(&fs, PRIV "/locking-mode", "locked");
	fake_write(&fs, PRIV "/ipv4-allowed", "192.0.2.5,192.0.2.6");
	fake_write(&fs, PRIV "/ipv6-allowed", "2001:db8::5");
	/* The guest agent's word, and the frontend: never read. */
	fake_write(&fs, "/local/domain/7/attr/vif/0/ipv4/0", "203.0.113.66");
	fake_write(&fs, "/local/domain/7/device/vif/0/mac", "02:00:00:00:00:66");

	tap_is_u64(xv_auto_layout.scan_all(&meta, &st), 1, "found and read");
	tap_ok(meta.found == &xv_xapi_layout, "xapi's layout found by /xapi");
	d = xv_meta_find(&meta, 7);
	v = d ? xv_meta_find_vif(d, 0) : NULL;
	tap_ok(v != NULL, "the vif from the backend tree");
	if (!v)
		return;
	tap_is_str(d->name, "web1", "name");
	tap_is_str(d->uuid, REAL, "UUID");
	tap_ok(v->has_mac && memcmp(v->mac, "\x00\x16\x3e\x0a\x0b\x0c", 6) == 0,
	       "MAC from the backend");
	tap_is_str(v->bridge, "xapi3", "bridge from /xapi/UUID/private");
	tap_is_u64(v->mtu, 9000, "MTU from there too");
	tap_is_str(v->ips, "192.0.2.5 192.0.2.6 2001:db8::5",
		   "addresses: the locked ones, space separated");
	tap_is_str(v->vifname, "vif7.0", "device name from the hotplug tree");
	tap_is_str(v->emu_name, "tap7.0", "the emulated NIC: tapD.N");
	tap_is_u64(xv_auto_layout.watches(&meta, &w), 0, "watches");
	tap_ok(w.n == 4 && xv_watch_set_has(&w, "@introduceDomain") &&
		       xv_watch_set_has(&w, "@releaseDomain") && xv_watch_set_has(&w, BE) &&
		       xv_watch_set_has(&w, "/xapi"),
	       "four, whatever the number of guests");
	xv_watch_set_free(&w);
	uint32_t which = 0;
	tap_is_u64(xv_auto_layout.watch_scope(&meta, PRIV "/locking-mode", &which),
		   XV_WATCH_DOMAIN, "a VIF's private record: the VM's domain");
	tap_is_u64(which, 7, "domain 7");
	tap_is_u64(xv_auto_layout.watch_scope(&meta, "/xapi/" REAL "/hotplug/9/vif/0/vif",
					      &which), XV_WATCH_DOMAIN, "a hotplug record");
	tap_is_u64(which, 9, "its domain, from the path");
	tap_is_u64(xv_auto_layout.watch_scope(&meta, "/xapi/" INCOMING "/private", &which),
		   XV_WATCH_NONE, "a VM not running here: nothing");
	tap_is_u64(xv_auto_layout.watch_scope(&meta, "/xapi/" REAL "/hotplug/x/vif", &which),
		   XV_WATCH_NONE, "a hotplug path without a domid: nothing");
	meta.backend_domid = 5;
	tap_is_u64(xv_auto_layout.watches(&meta, &w), 0, "a driver domain's watches");
	tap_ok(w.n == 3 && !xv_watch_set_has(&w, "/xapi"), "three: it cannot read /xapi");
	xv_watch_set_free(&w);
	meta.backend_domid = 0;

	/* Unlocked: xapi does not enforce the lists, so they say nothing. */
	fake_write(&fs, PRIV "/locking-mode", "network_default");
	tap_is_u64(xv_auto_layout.scan_domain(&meta, &st, 7), 1, "unlocked is a change");
	v = xv_meta_find_vif(xv_meta_find(&meta, 7), 0);
	tap_ok(v->ips == NULL, "no addresses when not locked");

	/* A local migration: the incoming domain under a temporary UUID
	 * naming the real one, the outgoing renamed naming its origin. */
	xapi_vm(&fs, 8, INCOMING);
	fake_write(&fs, "/vm/" INCOMING "/final-uuid", REAL);
	fake_write(&fs, "/local/domain/7/vm", "/vm/" OUTGOING);
	fake_write(&fs, "/vm/" OUTGOING "/origin-uuid", REAL);
	tap_is_u64(xv_auto_layout.scan_all(&meta, &st), 1, "both domains read");
	tap_is_str(xv_meta_find(&meta, 7)->uuid, REAL, "the outgoing: the real UUID");
	tap_is_str(xv_meta_find(&meta, 8)->uuid, REAL, "the incoming: the real UUID");
	v = xv_meta_find_vif(xv_meta_find(&meta, 8), 0);
	tap_is_str(v->bridge, "xapi3", "its bridge from the real UUID's tree");
	tap_is_str(v->vifname, "vif8.0", "its own device");
	/* A final-uuid that is not a UUID is not believed. */
	fake_write(&fs, "/vm/" INCOMING "/final-uuid", "../../etc");
	xv_auto_layout.scan_domain(&meta, &st, 8);
	tap_is_str(xv_meta_find(&meta, 8)->uuid, INCOMING, "a bad final-uuid: ignored");

	/* xapi gone (the tree removed): libxl's layout from then on. */
	fake_rm(&fs, "/xapi");
	fake_write(&fs, BE "/7/0/bridge", "xenbr0");
	tap_is_u64(xv_auto_layout.scan_all(&meta, &st), 1, "read anew");
	tap_ok(meta.found == &xv_libxl_layout, "libxl's layout found");
	v = xv_meta_find_vif(xv_meta_find(&meta, 7), 0);
	tap_is_str(v->bridge, "xenbr0", "the backend's bridge");
	tap_ok(v->emu_name == NULL, "the emulated NIC: libxl's -emu");
	tap_is_u64(xv_auto_layout.watches(&meta, &w), 0, "watches");
	tap_ok(xv_watch_set_has(&w, "/xapi") && xv_watch_set_has(&w, "/local/domain/7/name"),
	       "names, and /xapi should xapi start");
	xv_watch_set_free(&w);
	uint32_t domid;
	tap_is_u64(xv_auto_layout.watch_scope(&meta, "/xapi/" REAL "/private", &domid),
		   XV_WATCH_ALL, "xapi appearing: everything read again");
	tap_is_u64(xv_auto_layout.watch_scope(&meta, "/xapiX", &domid), XV_WATCH_NONE,
		   "a sibling: nothing");
	xv_meta_free(&meta);
	fake_free(&fs);
}

static void test_bridge_names(void)
{
	struct {
		const char *in;
		bool ovs;
		const char *out;
	} cases[] = {
		{"xenbr0", false, "xenbr0"},
		{"xenbr0.10:20:30", false, "xenbr0"}, /* ':' is Open vSwitch's alone */
		{"xenbr0:20", false, "xenbr0"},
		{"br0.100", false, "br0.100"},        /* a Linux bridge's name */
		{"br0.100", true, "br0"},             /* vif-openvswitch's VLAN */
		{"ovsbr", true, "ovsbr"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char b[32], what[96];

		snprintf(b, sizeof b, "%s", cases[i].in);
		xv_bridge_name(b, cases[i].ovs);
		snprintf(what, sizeof what, "%s%s", cases[i].in,
			 cases[i].ovs ? " with vif-openvswitch" : "");
		tap_is_str(b, cases[i].out, "%s", what);
	}

	/* libxl with the vif-openvswitch script (xl and libvirt alike). */
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_add_vm(&fs, 3, "web1", REAL, 0, NULL, "ovsbr0.10:20:30");
	fake_add_vm(&fs, 4, "db1", INCOMING, 0, NULL, "ovsbr0.10");
	fake_write(&fs, BE "/4/0/script", "/etc/xen/scripts/vif-openvswitch");
	fake_add_vm(&fs, 5, "lb1", OUTGOING, 0, NULL, "br0.100");
	fake_write(&fs, BE "/5/0/script", "/etc/xen/scripts/vif-bridge");
	xv_libxl_layout.scan_all(&meta, &st);
	tap_is_str(xv_meta_find_vif(xv_meta_find(&meta, 3), 0)->bridge, "ovsbr0",
		   "libxl: BR.VLAN:TRUNKS reduced");
	tap_is_str(xv_meta_find_vif(xv_meta_find(&meta, 4), 0)->bridge, "ovsbr0",
		   "libxl, vif-openvswitch: BR.VLAN reduced");
	tap_is_str(xv_meta_find_vif(xv_meta_find(&meta, 5), 0)->bridge, "br0.100",
		   "libxl, vif-bridge: a dotted bridge name kept");
	xv_meta_free(&meta);
	fake_free(&fs);
}

int main(void)
{
	test_xapi();
	test_bridge_names();
	return tap_done();
}
