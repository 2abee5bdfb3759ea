/* SPDX-License-Identifier: ISC */
/*
 * Running out of memory must never change what is counted: each
 * allocation in a reconcile and in loading the state file fails in
 * turn (the test is linked with malloc, calloc, realloc and strdup
 * wrapped), and the counters must still equal what the kernel counted.
 */
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_store.h"
#include "tap.h"
#include "xenvif/state_file.h"
#include "xenvif/vif_table.h"

#define UUID "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11"

static long calls, fail_at = -1;

static int failing(void)
{
	return fail_at >= 0 && calls++ == fail_at;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

void *__wrap_malloc(size_t n)
{
	return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	return failing() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	return failing() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return failing() ? NULL : __real_strdup(s);
}

static void set_link(struct xv_link *l, int ifindex, const char *name, uint64_t rx)
{
	memset(l, 0, sizeof *l);
	l->ifindex = ifindex;
	snprintf(l->name, sizeof l->name, "%s", name);
	l->flags = IFF_UP;
	l->stats.v[XV_IN_OCTETS] = rx;
}

/* One scenario: a VM reboots (step 1), then counts on (step 2).  The
 * allocation number k of the given step fails.  Returns whether that
 * step reached allocation k. */
static int scenario(int failing_step, long k, uint64_t *in_total)
{
	struct fake_store fs;
	struct xv_store st;
	struct xv_meta meta;
	struct xv_vif_table t;
	struct xv_link links[2], gone[1];
	struct xv_linkset ls = {.links = links}, gs = {.links = gone};
	struct xv_reconcile in = {.meta = &meta, .links = &ls, .gone = &gs};
	int reached;

	fake_init(&fs);
	st = fake_api(&fs);
	xv_meta_init(&meta, 0);
	xv_vif_table_init(&t);
	fake_add_vm(&fs, 3, "a", UUID, 0, NULL, NULL);
	xv_meta_scan_all(&meta, &st);
	set_link(&links[0], 10, "vif3.0", 1000);
	ls.n = 1;
	xv_vif_table_reconcile(&t, &in);

	/* Reboot: vif3.0 deleted with 1500 carried, vif7.0 carries 40. */
	fake_rm(&fs, "/local/domain/0/backend/vif/3");
	fake_set_live(&fs, 3, false);
	fake_add_vm(&fs, 7, "a", UUID, 0, NULL, NULL);
	xv_meta_scan_all(&meta, &st);
	set_link(&gone[0], 10, "vif3.0", 1500);
	gs.n = 1;
	set_link(&links[0], 11, "vif7.0", 40);
	calls = 0;
	fail_at = failing_step == 1 ? k : -1;
	xv_vif_table_reconcile(&t, &in);
	reached = fail_at >= 0 && calls > k;

	gs.n = 0;
	set_link(&links[0], 11, "vif7.0", 45);
	calls = 0;
	fail_at = failing_step == 2 ? k : -1;
	xv_vif_table_reconcile(&t, &in);
	reached = reached || (fail_at >= 0 && calls > k);
	fail_at = -1;

	/* The next reconcile without failures settles everything. */
	set_link(&links[0], 11, "vif7.0", 50);
	xv_vif_table_reconcile(&t, &in);
	struct xv_vif_row *r = xv_vif_table_find_key(&t, UUID "/0");
	*in_total = r ? r->total.v[XV_IN_OCTETS] : 0;
	xv_vif_table_free(&t);
	xv_meta_free(&meta);
	fake_free(&fs);
	return reached;
}

static void test_reconcile(void)
{
	uint64_t total;

	for (int step = 1; step <= 2; step++) {
		long k;
		int wrong = 0;

		for (k = 0; scenario(step, k, &total); k++) {
			/* What the kernel counted is 1500 + 50: never more. */
			if (total > 1550) {
				tap_diag("step %d, allocation %ld failing: in = %llu",
					 step, k, (unsigned long long)total);
				wrong++;
			}
		}
		tap_ok(k >= 3, "step %d: the sweep covered %ld allocations", step, k);
		tap_is_u64(wrong, 0, "step %d: no failed allocation makes a row count "
			   "more than the kernel did", step);
	}
	scenario(0, -1, &total);
	tap_is_u64(total, 1550, "without failures: exactly the kernel's 1500 + 50");
}

static void test_state_load(void)
{
	char dir[] = "/tmp/xv-nomem-XXXXXX", path[64], err[256];
	struct xv_vif_table t;
	struct xv_vif_row *r;
	struct xv_state_info info = {.boot_id = "b"};
	struct xv_counters last = {{5}};
	long k;
	int damaged = 0, ok = 0;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/state", dir);
	xv_vif_table_init(&t);
	xv_vif_table_add(&t, 9, UUID "/0", &r);
	xv_vif_row_add_source(r, 10, false, "vif3.0", &last);
	struct xv_vm_table vms;
	struct xv_vm *vm;
	xv_vm_table_init(&vms);
	xv_vm_table_add(&vms, 4, UUID, &vm);
	xv_state_save(path, &t, &vms, NULL, &info, err, sizeof err);
	xv_vm_table_free(&vms);
	xv_vif_table_free(&t);
	for (k = 0;; k++) {
		struct xv_state_info got;
		int rc;

		xv_vif_table_init(&t);
		xv_vm_table_init(&vms);
		calls = 0;
		fail_at = k;
		rc = xv_state_load(path, &t, &vms, NULL, "b", &got, err, sizeof err);
		int reached = calls > k;
		fail_at = -1;
		xv_vif_table_free(&t);
		xv_vm_table_free(&vms);
		if (rc == -EINVAL)
			damaged++;
		if (rc == 0)
			ok++;
		if (!reached)
			break;
	}
	tap_ok(k > 1, "state load sweep covered %ld allocations", k);
	tap_is_u64(damaged, 0, "running out of memory is never taken for damage");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_reconcile();
	test_state_load();
	return tap_done();
}
