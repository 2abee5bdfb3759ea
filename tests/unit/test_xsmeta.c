/* SPDX-License-Identifier: ISC */
/* Reading vif metadata from xenstore: only dom0-owned nodes, all
 * values cleaned, failures never mistaken for absence. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store.h"
#include "tap.h"
#include "xenvif/xsmeta.h"

#define UUID "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"
#define BE "/local/domain/0/backend/vif"

static void test_trusted_sources(void)
{
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;
	const struct xv_domain_meta *d;
	const struct xv_vif_meta *v;

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_add_vm(&fs, 3, "web1", UUID, 0, "00:16:3e:01:02:03", "xenbr0");
	fake_write(&fs, BE "/3/0/ip", "192.0.2.10 2001:db8::10");
	/* What the guest may write about itself: all of it must be ignored. */
	fake_write(&fs, "/local/domain/3/device/vif/0/mac", "02:00:00:00:00:66");
	fake_write(&fs, "/local/domain/3/data/name", "spoofed");
	fake_write(&fs, "/local/domain/3/attr/vif/0/ip", "203.0.113.66");

	tap_is_u64(xv_meta_scan_all(&meta, &st), 1, "first scan is a change");
	d = xv_meta_find(&meta, 3);
	tap_ok(d != NULL, "live domain with a vif has a record");
	if (!d)
		return;
	v = xv_meta_find_vif(d, 0);
	tap_is_str(d->name, "web1", "name from /local/domain/D/name");
	tap_is_str(d->uuid, UUID, "UUID from /local/domain/D/vm");
	tap_ok(v && v->has_mac && memcmp(v->mac, "\x00\x16\x3e\x01\x02\x03", 6) == 0,
	       "MAC from the backend, not the guest's frontend");
	tap_is_str(v ? v->bridge : NULL, "xenbr0", "bridge from the backend");
	tap_is_str(v ? v->ips : NULL, "192.0.2.10 2001:db8::10", "ip from the backend");
	tap_ok(v && v->vifname == NULL, "no vifname");
	tap_is_u64(xv_meta_scan_all(&meta, &st), 0, "scanning again changes nothing");
	d = xv_meta_find(&meta, 3); /* records are replaced by each scan */
	v = xv_meta_find_vif(d, 0);

	char name[64];
	xv_vif_device_name(d, v, name, sizeof name);
	tap_is_str(name, "vif3.0", "default device name vifD.N");
	fake_write(&fs, BE "/3/0/vifname", "web1-eth0");
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 3), 1, "vifname change is a change");
	d = xv_meta_find(&meta, 3);
	xv_vif_device_name(d, xv_meta_find_vif(d, 0), name, sizeof name);
	tap_is_str(name, "web1-eth0", "custom vifname");

	fake_write(&fs, "/local/domain/3/name", "web1-renamed");
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 3), 1, "rename is a change");
	tap_is_str(xv_meta_find(&meta, 3)->name, "web1-renamed", "new name");
	xv_meta_free(&meta);
	fake_free(&fs);
}

static void test_hostile_values(void)
{
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;
	const struct xv_domain_meta *d;
	char big[4096];

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_add_vm(&fs, 4, "x", UUID, 0, "not-a-mac", NULL);
	fake_write_bytes(&fs, "/local/domain/4/name", "\x1b[31mred\xff\x00z", 11);
	fake_write(&fs, "/local/domain/4/vm", "/vm/../../etc/passwd");
	memset(big, 'B', sizeof big);
	fake_write_bytes(&fs, BE "/4/0/bridge", big, sizeof big);
	fake_write(&fs, BE "/4/junk/mac", "00:16:3e:00:00:01");
	fake_write(&fs, BE "/4/007/mac", "00:16:3e:00:00:01");
	xv_meta_scan_all(&meta, &st);
	d = xv_meta_find(&meta, 4);
	tap_ok(d != NULL, "domain with hostile values still has a record");
	if (!d)
		return;
	tap_is_str(d->name, "?[31mred??z", "name cleaned");
	tap_is_str(d->uuid, "", "a vm path that is not /vm/UUID gives no UUID");
	tap_is_u64(d->nvifs, 1, "device ids that are not numbers are not vifs");
	tap_ok(!d->vifs[0].has_mac, "malformed MAC is no MAC");
	tap_is_u64(strlen(d->vifs[0].bridge), 255, "4 KB bridge cut to 255");
	xv_meta_free(&meta);
	fake_free(&fs);
}

static void test_lifecycle(void)
{
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_add_vm(&fs, 5, "a", UUID, 0, NULL, NULL);
	fake_add_vm(&fs, 6, "b", "11111111-2222-3333-4444-555555555555", 1, NULL, NULL);
	fake_set_live(&fs, 6, false);
	xv_meta_scan_all(&meta, &st);
	tap_is_u64(meta.n, 1, "a backend tree of a domain not introduced is no record");

	fake_set_live(&fs, 6, true);
	tap_is_u64(xv_meta_scan_new(&meta, &st), 1, "introduced domain found by scan_new");
	tap_is_u64(meta.n, 2, "two records");
	tap_is_u64(xv_meta_scan_new(&meta, &st), 0, "scan_new reads no known domain");

	fake_set_live(&fs, 5, false);
	tap_is_u64(xv_meta_prune(&meta, &st), 1, "released domain pruned");
	tap_ok(!xv_meta_find(&meta, 5) && xv_meta_find(&meta, 6), "only the dead one");

	fs.fail_errno = EIO;
	tap_ok(xv_meta_scan_domain(&meta, &st, 6) == -EIO, "store failure is reported");
	tap_ok(xv_meta_find(&meta, 6) != NULL, "and the record is kept");
	tap_ok(xv_meta_prune(&meta, &st) == -EIO && meta.n == 1,
	       "prune on failure drops nothing");
	fs.fail_errno = 0;

	fake_set_live(&fs, 6, false);
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 6), 1,
		   "a known domain no longer live is dropped by a re-read");
	tap_is_u64(meta.n, 0, "gone");
	fake_set_live(&fs, 6, true);
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 6), 1, "and comes back when live");

	fake_rm(&fs, BE "/6");
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 6), 1, "vifs gone: record dropped");
	tap_is_u64(meta.n, 0, "no records");
	xv_meta_free(&meta);
	fake_free(&fs);
}

static void test_watch_scope(void)
{
	struct xv_meta meta;
	uint32_t d = 999;

	xv_meta_init(&meta, 0);
	tap_is_u64(xv_meta_watch_scope(&meta, BE "/12/0/mac", &d), XV_WATCH_DOMAIN,
		   "backend key concerns a domain");
	tap_is_u64(d, 12, "that domain");
	tap_is_u64(xv_meta_watch_scope(&meta, BE "/13", &d), XV_WATCH_DOMAIN,
		   "backend dir of a domain");
	tap_is_u64(xv_meta_watch_scope(&meta, BE, &d), XV_WATCH_ALL, "the whole tree");
	tap_is_u64(xv_meta_watch_scope(&meta, "/local/domain/7/name", &d), XV_WATCH_DOMAIN,
		   "a name node");
	tap_is_u64(d, 7, "its domain");
	tap_is_u64(xv_meta_watch_scope(&meta, "/local/domain/7/device/vif/0/mac", &d),
		   XV_WATCH_NONE, "the guest's frontend is ignored");
	tap_is_u64(xv_meta_watch_scope(&meta, BE "x/1", &d), XV_WATCH_NONE,
		   "a sibling of the backend dir is ignored");
	tap_is_u64(xv_meta_watch_scope(&meta, BE "/99999999999/0", &d), XV_WATCH_NONE,
		   "an absurd domid is ignored");
	tap_is_u64(xv_meta_watch_scope(&meta, "@releaseDomain", &d), XV_WATCH_RELEASED,
		   "@releaseDomain");
	tap_is_u64(xv_meta_watch_scope(&meta, "@introduceDomain", &d), XV_WATCH_INTRODUCED,
		   "@introduceDomain");
	xv_meta_init(&meta, 5);
	tap_is_u64(xv_meta_watch_scope(&meta, "/local/domain/5/backend/vif/9/0", &d),
		   XV_WATCH_DOMAIN, "a driver domain's backend tree");
	tap_is_u64(xv_meta_watch_scope(&meta, BE "/9/0", &d), XV_WATCH_NONE,
		   "dom0's tree is not ours then");

	/* What is watched: a driver domain's tree, and no name (it may not
	 * read them, and its watches are few); dom0 each domain's name. */
	struct xv_watch_set w = {0};
	char long_path[XV_WATCH_PATH_MAX + 1];

	meta.doms = calloc(2, sizeof *meta.doms);
	meta.doms[0].domid = 3;
	meta.doms[1].domid = 12;
	meta.n = meta.cap = 2;
	tap_is_u64(xv_meta_watches(&meta, &w), 0, "a driver domain's watches");
	tap_ok(w.n == 3 && xv_watch_set_has(&w, "/local/domain/5/backend/vif"),
	       "three, whatever the number of guests");
	xv_watch_set_free(&w);
	meta.backend_domid = 0;
	snprintf(meta.backend_dir, sizeof meta.backend_dir, "%s", BE);
	tap_is_u64(xv_meta_watches(&meta, &w), 0, "dom0's watches");
	tap_is_u64(w.n, 5, "five paths");
	tap_ok(xv_watch_set_has(&w, BE) &&
		       xv_watch_set_has(&w, "/local/domain/3/name") &&
		       xv_watch_set_has(&w, "/local/domain/12/name") &&
		       xv_watch_set_has(&w, "@introduceDomain") &&
		       xv_watch_set_has(&w, "@releaseDomain"), "the ones libxl's layout needs");
	tap_is_u64(xv_meta_watches(&meta, &w), 0, "again");
	tap_is_u64(w.n, 5, "each path once");
	xv_watch_set_remove(&w, 0);
	tap_is_str(w.paths[0], "/local/domain/12/name", "sorted; the first removed");
	memset(long_path, 'x', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	tap_is_u64(xv_watch_set_add(&w, long_path), (uint64_t)-ENAMETOOLONG,
		   "a path too long is refused, not cut");
	xv_watch_set_free(&w);
	free(meta.doms);
	meta.doms = NULL;
	meta.n = meta.cap = 0;
}

/* netback's rate limit and the MTU, from the backend only. */
static void test_rate_and_mtu(void)
{
	static const struct {
		const char *text;
		uint64_t bps;
	} good[] = {
		{"125000,50000", 20000000},          /* 2.5 MB/s */
		{"1250000000,1000000", 10000000000ULL},
		{"1,1000000", 8},
		{"18446744073709551615,1", UINT64_MAX}, /* capped, not wrapped */
	};
	static const char *const bad[] = {
		"", "125000", ",50000", "125000,", "0,50000", "125000,0",
		"125000,50000x", "-1,5", "1,5,6", "12 5,5", "1,4294967296",
		"184467440737095516160,1",
	};
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;
	const struct xv_vif_meta *v;
	uint64_t bps;

	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		tap_ok(xv_parse_rate(good[i].text, strlen(good[i].text), &bps) &&
			       bps == good[i].bps,
		       "rate %s = %llu bit/s", good[i].text,
		       (unsigned long long)good[i].bps);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		tap_ok(!xv_parse_rate(bad[i], strlen(bad[i]), &bps), "rate '%s' refused",
		       bad[i]);
	tap_ok(!xv_parse_rate("1,5\0" "0", 5, &bps), "a NUL inside refused");

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_add_vm(&fs, 3, "web1", UUID, 0, "00:16:3e:01:02:03", "xenbr0");
	fake_add_vm(&fs, 4, "db1", NULL, 0, NULL, NULL);
	fake_write(&fs, BE "/3/0/rate", "125000,50000");
	fake_write(&fs, BE "/3/0/mtu", "9000");
	fake_write(&fs, BE "/4/0/rate", "fast");
	fake_write(&fs, BE "/4/0/mtu", "65536");
	/* What the guest writes about itself is never read. */
	fake_write(&fs, "/local/domain/4/device/vif/0/mtu", "1400");
	xv_meta_scan_all(&meta, &st);
	v = xv_meta_find_vif(xv_meta_find(&meta, 3), 0);
	tap_ok(v && v->rate_bps == 20000000 && v->mtu == 9000,
	       "rate and mtu from the backend");
	v = xv_meta_find_vif(xv_meta_find(&meta, 4), 0);
	tap_ok(v && v->rate_bps == 0 && v->mtu == 0,
	       "malformed ones: no limit, MTU unknown");
	fake_write(&fs, BE "/4/0/rate", "1250000,50000");
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 4), 1, "a new rate is a change");
	xv_meta_free(&meta);
	fake_free(&fs);
}

/* A live domain whose backend directory outlived its last vif: no
 * record, and (under LeakSanitizer) nothing leaked at each scan. */
static void test_empty_backend_dir(void)
{
	struct fake_store fs;
	struct xv_meta meta;
	struct xv_store st;

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	fake_write(&fs, BE "/9", "");
	fake_write(&fs, BE "/9/not-a-device", "");
	fake_set_live(&fs, 9, true);
	tap_is_u64(xv_meta_scan_domain(&meta, &st, 9), 0, "an empty backend dir: no change");
	tap_is_u64(xv_meta_scan_all(&meta, &st), 0, "nor on a full scan");
	tap_is_u64(meta.n, 0, "and no record");
	xv_meta_free(&meta);
	fake_free(&fs);
}

int main(void)
{
	test_empty_backend_dir();
	test_rate_and_mtu();
	test_trusted_sources();
	test_hostile_values();
	test_lifecycle();
	test_watch_scope();
	return tap_done();
}
