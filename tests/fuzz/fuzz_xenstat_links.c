/* SPDX-License-Identifier: ISC */
/*
 * libxenstat's readings paired with the devices xenstore names
 * (xv_xenstat_links), the kernel answered by a fake probe.
 *
 * Input, binary: the kernel's devices (name, ifindex, state, bridge),
 * the domains and vifs the metadata holds (vifname, bridge key) and
 * libxenstat's readings (domain, device, counters), each list led by
 * its length.  Properties: links come sorted, each name fits a device
 * name; counters given to a link are a reading's, a link without
 * counters shows none; the same readings give the same links again,
 * however the first call reordered them; links confirmed against an
 * earlier look keep counters only where that look had the device.
 */
#include <errno.h>
#include <net/if.h> /* before linux/if.h, which then defers to it */
#include <linux/if.h>
#include <string.h>

#include "fuzz.h"
#include "xenvif/xenstat_links.h"

struct device {
	char name[24];
	int ifindex;
	bool up;
	char master[IF_NAMESIZE];
	int master_ifindex;
};

struct kernel {
	struct device dev[8];
	size_t n;
};

static bool probe(void *ctx, const char *name, bool want_master,
		  struct xv_link *out, char *master, size_t mastersz)
{
	const struct kernel *k = ctx;

	FUZZ_ASSERT(strlen(name) < IF_NAMESIZE, "probed for '%s'", name);
	for (size_t i = 0; i < k->n; i++) {
		const struct device *d = &k->dev[i];

		if (strcmp(d->name, name) != 0)
			continue;
		memset(out, 0, sizeof *out);
		out->ifindex = d->ifindex;
		out->flags = IFF_UP | (d->up ? IFF_RUNNING : 0);
		out->operstate = d->up ? IF_OPER_UP : IF_OPER_DOWN;
		if (want_master && d->master[0]) {
			snprintf(master, mastersz, "%s", d->master);
			out->master = d->master_ifindex;
		}
		return true;
	}
	return false;
}

static void read_kernel(struct fuzz_reader *r, struct kernel *k)
{
	k->n = fuzz_u8(r) % 9;
	for (size_t i = 0; i < k->n; i++) {
		struct device *d = &k->dev[i];
		uint8_t flags = fuzz_u8(r);

		/* Most names as the metadata makes them, to meet them. */
		if (flags & 1)
			snprintf(d->name, sizeof d->name, "vif%u.%u%s", flags >> 5 & 7,
				 flags >> 3 & 3, flags & 4 ? "-emu" : "");
		else
			fuzz_text(r, d->name, sizeof d->name - 1);
		d->ifindex = (int)(fuzz_u8(r) % 32) - 1;
		d->up = flags & 2;
		if (fuzz_u8(r) & 1) {
			fuzz_text(r, d->master, sizeof d->master - 1);
			d->master_ifindex = (int)(fuzz_u8(r) % 32) - 1;
		}
	}
}

static int order_domid(const void *a, const void *b)
{
	const struct xv_domain_meta *x = a, *y = b;

	return (x->domid > y->domid) - (x->domid < y->domid);
}

static int order_devid(const void *a, const void *b)
{
	const struct xv_vif_meta *x = a, *y = b;

	return (x->devid > y->devid) - (x->devid < y->devid);
}

/* The metadata as xsmeta leaves it: domains by domid, vifs by devid,
 * each once. */
static int read_meta(struct fuzz_reader *r, struct xv_meta *m)
{
	size_t ndoms = fuzz_u8(r) % 5;

	if (!(m->doms = calloc(ndoms + 1, sizeof *m->doms)))
		return -ENOMEM;
	for (size_t i = 0; i < ndoms; i++) {
		struct xv_domain_meta *d = &m->doms[m->n];
		size_t nvifs = fuzz_u8(r) % 4;
		char text[XV_TEXT_MAX + 1];

		d->domid = fuzz_u8(r) % 8;
		if (xv_meta_find(m, d->domid) ||
		    !(d->vifs = calloc(nvifs + 1, sizeof *d->vifs)))
			continue;
		m->n++;
		for (size_t j = 0; j < nvifs; j++) {
			struct xv_vif_meta *v = &d->vifs[d->nvifs];
			uint8_t flags = fuzz_u8(r);

			v->devid = flags % 4;
			if (xv_meta_find_vif(d, v->devid))
				continue;
			d->nvifs++;
			if (flags & 4) {
				/* As xsmeta cleans it, up to the MIB's limit. */
				fuzz_text(r, text, sizeof text - 1);
				v->vifname = xv_text_clean_dup(text, strlen(text), XV_TEXT_ASCII);
			}
			if (flags & 8)
				v->bridge = strdup("xenbr0");
			qsort(d->vifs, d->nvifs, sizeof *d->vifs, order_devid);
		}
		qsort(m->doms, m->n, sizeof *m->doms, order_domid);
	}
	return 0;
}

static void read_readings(struct fuzz_reader *r, struct xv_vif_readings *rd)
{
	size_t n = fuzz_u8(r) % 9;

	if (!(rd->v = calloc(n + 1, sizeof *rd->v)))
		return;
	rd->cap = n + 1;
	for (size_t i = 0; i < n; i++) {
		struct xv_vif_reading *x = &rd->v[rd->n++];

		x->domid = fuzz_u8(r) % 8;
		x->devid = fuzz_u8(r) % 4;
		for (int c = 0; c < XV_NCOUNTERS; c++)
			x->stats.v[c] = fuzz_u8(r);
	}
}

static bool is_a_reading(const struct xv_vif_readings *rd, const struct xv_counters *c)
{
	for (size_t i = 0; i < rd->n; i++)
		if (memcmp(&rd->v[i].stats, c, sizeof *c) == 0)
			return true;
	return false;
}

static void check(const struct xv_linkset *out, const struct xv_vif_readings *rd)
{
	static const struct xv_counters none;

	for (size_t i = 0; i < out->n; i++) {
		const struct xv_link *l = &out->links[i];

		FUZZ_ASSERT(i == 0 || out->links[i - 1].ifindex <= l->ifindex, "unsorted");
		FUZZ_ASSERT(memchr(l->name, '\0', sizeof l->name), "name unterminated");
		if (l->stats_unknown)
			FUZZ_ASSERT(memcmp(&l->stats, &none, sizeof none) == 0,
				    "%s: counters said unknown, yet shown", l->name);
		else
			FUZZ_ASSERT(is_a_reading(rd, &l->stats),
				    "%s: counters from no reading", l->name);
	}
}

static bool same_links(const struct xv_linkset *a, const struct xv_linkset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct xv_link *x = &a->links[i], *y = &b->links[i];

		if (x->ifindex != y->ifindex || strcmp(x->name, y->name) != 0 ||
		    x->stats_unknown != y->stats_unknown || x->master != y->master ||
		    memcmp(&x->stats, &y->stats, sizeof x->stats) != 0)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reader r = {data, size};
	struct kernel k = {0};
	struct xv_meta meta;
	struct xv_vif_readings rd = {0}, no_readings = {0};
	struct xv_linkset before = {0}, out = {0}, again = {0};

	read_kernel(&r, &k);
	xv_meta_init(&meta, 0);
	if (read_meta(&r, &meta) == 0)
		read_readings(&r, &rd);
	/* As a refresh does: a look without readings, then with them. */
	if (xv_xenstat_links(&no_readings, &meta, probe, &k, &before) == 0 &&
	    xv_xenstat_links(&rd, &meta, probe, &k, &out) == 0) {
		check(&before, &no_readings);
		check(&out, &rd);
		if (xv_xenstat_links(&rd, &meta, probe, &k, &again) == 0)
			FUZZ_ASSERT(same_links(&out, &again),
				    "the same readings paired otherwise the second time");
		size_t withheld = xv_xenstat_links_confirm(&out, &before);
		FUZZ_ASSERT(withheld <= out.n, "withheld %zu of %zu", withheld, out.n);
		for (size_t i = 0; i < out.n; i++) {
			const struct xv_link *l = &out.links[i], *was;

			if (l->stats_unknown)
				continue;
			was = xv_linkset_find(&before, l->ifindex);
			FUZZ_ASSERT(was && strcmp(was->name, l->name) == 0,
				    "%s kept counters unconfirmed", l->name);
		}
	}
	xv_linkset_free(&before);
	xv_linkset_free(&out);
	xv_linkset_free(&again);
	xv_vif_readings_free(&rd);
	xv_meta_free(&meta);
	return 0;
}
