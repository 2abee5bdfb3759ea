/* SPDX-License-Identifier: ISC */
/*
 * refresh_cost: what one refresh cycle costs, per counter source, on
 * the dom0 it runs in (the benchmark runs it in the simulated dom0):
 *
 *   dump       a bare rtnetlink RTM_GETLINK dump: the floor
 *   netlink    the agent's refresh: the dump, the reconcile into the
 *              vif table and the VM table's update
 *   xenstat    libxenstat's network collection (xenstat_get_node with
 *              XENSTAT_NETWORK), which parses /proc/net/dev
 *   xenstat-agent  the agent's refresh with counterSource xenstat: that
 *              collection, the devices looked up, the reconcile
 *
 * Usage: refresh_cost CYCLES.  xenstore through XENSTORED_PATH; the
 * hypervisor as libxenstat finds it.  Prints "name median_ms min_ms".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstat.h>

#include "xenvif/config.h"
#include "xenvif/netlink.h"
#include "xenvif/vif_table.h"
#include "xenvif/vm_table.h"
#include "xenvif/xsconn.h"
#include "xenvif/xenstat_links.h"
#include "xenvif/xsmeta.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median (one slow cycle, an interrupt or a page fault, must not
 * move it) and the fastest; ms is sorted. */
static void report(const char *name, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof *ms, compare_ms);
	printf("%s %.3f %.3f\n", name,
	       n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[0]);
}

int main(int argc, char **argv)
{
	int cycles = argc > 1 ? atoi(argv[1]) : 20;
	double *ms = calloc((size_t)cycles, sizeof *ms);
	char err[256];
	struct xv_netlink nl;
	struct xv_linkset links = {0};
	struct xv_xsconn xs;
	struct xv_meta meta;
	struct xv_vif_table table;
	struct xv_vm_table vms;
	struct xv_config cfg;
	struct xv_store store;

	if (!ms || cycles < 1 || xv_netlink_open(&nl, err, sizeof err) < 0) {
		fprintf(stderr, "refresh_cost: %s\n", ms ? err : "out of memory");
		return 1;
	}
	for (int i = 0; i < cycles; i++) {
		double t0 = now_ms();

		xv_netlink_dump(&nl, &links, err, sizeof err);
		ms[i] = now_ms() - t0;
	}
	fprintf(stderr, "links: %zu\n", links.n);
	report("dump", ms, cycles);

	xv_config_defaults(&cfg);
	xv_meta_init(&meta, 0);
	xv_xsconn_init(&xs);
	if (xv_xsconn_open(&xs, err, sizeof err) < 0) {
		fprintf(stderr, "refresh_cost: %s\n", err);
		return 1;
	}
	store = xv_xsconn_store(&xs);
	if (xv_meta_scan_all(&meta, &store) < 0) {
		fprintf(stderr, "refresh_cost: cannot read xenstore\n");
		return 1;
	}
	xv_vif_table_init(&table);
	xv_vm_table_init(&vms);
	for (int i = 0; i <= cycles; i++) {
		struct xv_linkset gone = {0};
		struct xv_reconcile in = {.meta = &meta, .links = &links, .gone = &gone,
					  .now = 1};
		double t0 = now_ms();

		xv_netlink_dump(&nl, &links, err, sizeof err);
		xv_vif_table_reconcile(&table, &in);
		xv_vm_table_update(&vms, &table, &cfg, time(NULL));
		if (i > 0) /* the first one builds the rows */
			ms[i - 1] = now_ms() - t0;
	}
	fprintf(stderr, "rows: %zu served\n", table.rows.nactive);
	report("netlink", ms, cycles);

	errno = 0;
	xenstat_handle *h = xenstat_init();
	if (h) {
		int ok = 0;

		for (int i = 0; i < cycles; i++) {
			double t0 = now_ms();
			xenstat_node *node = xenstat_get_node(h, XENSTAT_NETWORK);

			ms[i] = now_ms() - t0;
			if (node) {
				ok++;
				xenstat_free_node(node);
			}
		}
		if (ok == cycles)
			report("xenstat", ms, cycles);
		else
			fprintf(stderr, "refresh_cost: libxenstat failed %d of %d times\n",
				cycles - ok, cycles);
		xenstat_uninit(h);
	} else {
		fprintf(stderr, "refresh_cost: no hypervisor for libxenstat: %s\n",
			strerror(errno));
	}
	xv_vif_table_free(&table);
	xv_vm_table_free(&vms);

	/* The agent's refresh with counterSource xenstat. */
	struct xv_xenstat *x = xv_xenstat_new();
	struct xv_kernel_probe probe = {.fd = -1, .sysfs_root = "/sys"};
	char chatter[256];
	size_t withheld;
	int failed = 0;

	xv_vif_table_init(&table);
	xv_vm_table_init(&vms);
	for (int i = 0; x && i <= cycles; i++) {
		struct xv_reconcile in = {.meta = &meta, .links = &links, .now = 1};
		double t0 = now_ms();

		if (xv_xenstat_read_links(x, &meta, &probe, &links, &withheld,
					  err, sizeof err, chatter,
					  sizeof chatter) < 0)
			failed++;
		xv_vif_table_reconcile(&table, &in);
		xv_vm_table_update(&vms, &table, &cfg, time(NULL));
		if (i > 0)
			ms[i - 1] = now_ms() - t0;
	}
	if (x && !failed)
		report("xenstat-agent", ms, cycles);
	else
		fprintf(stderr, "refresh_cost: the xenstat collector failed: %s\n", err);
	xv_xenstat_free(x);
	if (probe.fd >= 0)
		close(probe.fd);
	xv_vif_table_free(&table);
	xv_vm_table_free(&vms);
	xv_meta_free(&meta);
	xv_xsconn_close(&xs);
	xv_linkset_free(&links);
	xv_netlink_close(&nl);
	xv_config_free(&cfg);
	free(ms);
	return 0;
}
