/* SPDX-License-Identifier: ISC */
#include "xenvif/xenstat_links.h"

#include <errno.h>
#include <limits.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xenvif/text.h"
#include "xenvif/search.h"

/* ---- pairing readings with devices ----------------------------------- */

/* Readings by (domid, devid), each group in libxenstat's order, which
 * is the kernel's order of devices. */
static int compare_reading(const void *a, const void *b)
{
	const struct xv_vif_reading *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	if (x->devid != y->devid)
		return x->devid < y->devid ? -1 : 1;
	return 0;
}

/* qsort is not stable: the position within a group is kept in the
 * low bits of a key sorted alongside. */
struct keyed {
	struct xv_vif_reading r;
	size_t seq;
};

static int compare_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = compare_reading(&x->r, &y->r);

	if (c)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int group_readings(struct xv_vif_readings *r)
{
	struct keyed *k;

	if (r->n < 2)
		return 0;
	if (!(k = malloc(r->n * sizeof *k)))
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		k[i] = (struct keyed){r->v[i], i};
	qsort(k, r->n, sizeof *k, compare_keyed);
	for (size_t i = 0; i < r->n; i++)
		r->v[i] = k[i].r;
	free(k);
	return 0;
}

/* The readings of (domid, devid): *count of them from *first. */
static const struct xv_vif_reading *readings_of(const struct xv_vif_readings *r,
						uint32_t domid, uint32_t devid,
						size_t *count)
{
	struct xv_vif_reading key = {.domid = domid, .devid = devid};
	size_t lo = xv_lower_bound(r->v, r->n, sizeof *r->v, &key, compare_reading);

	*count = 0;
	while (lo + *count < r->n && compare_reading(&r->v[lo + *count], &key) == 0)
		(*count)++;
	return *count ? &r->v[lo] : NULL;
}

/* Would libxenstat file a device of this name under (domid, devid)?
 * It reads "vif%u.%u" from the start of the name (or sysfs nodename,
 * which only netback devices have). */
static bool named_for(const char *name, uint32_t domid, uint32_t devid)
{
	unsigned int d, n;

	return sscanf(name, "vif%u.%u", &d, &n) == 2 && d == domid && n == devid;
}

/* A bridge only the kernel names: listed once, for its name. */
static int add_bridge(struct xv_linkset *out, int ifindex, const char *name)
{
	struct xv_link *l;

	for (size_t i = 0; i < out->n; i++)
		if (out->links[i].ifindex == ifindex)
			return 0;
	if (!(l = xv_linkset_append(out)))
		return -ENOMEM;
	l->ifindex = ifindex;
	snprintf(l->name, sizeof l->name, "%s", name);
	l->stats_unknown = true;
	return 0;
}

/* A device found for a vif, with its bridge if only the kernel has it. */
struct probed {
	struct xv_link link;
	char master[IF_NAMESIZE];
};

static int add_vif(struct xv_linkset *out, const struct xv_domain_meta *dom,
		   const struct xv_vif_meta *vif, const struct xv_vif_readings *r,
		   xv_device_probe_fn *probe, void *ctx)
{
	/* Any name metadata gives; a name too long is no device's. */
	char main_name[XV_TEXT_MAX + 1], emu_name[IF_NAMESIZE + 4];
	const char *name[2] = {main_name, emu_name};
	struct probed found[2];
	size_t nfound = 0, nreadings;
	const struct xv_vif_reading *readings;

	xv_vif_device_name(dom, vif, main_name, sizeof main_name);
	if (strlen(main_name) >= IF_NAMESIZE)
		return 0;
	snprintf(emu_name, sizeof emu_name, "%s-emu", main_name);
	for (int i = 0; i < 2; i++) {
		struct probed *p = &found[nfound];

		if (strlen(name[i]) >= IF_NAMESIZE)
			continue; /* no device can have this name */
		/* An HVM tap libxenstat cannot file under this vif is not
		 * counted either way. */
		if (i == 1 && !named_for(name[i], dom->domid, vif->devid))
			continue;
		memset(p, 0, sizeof *p);
		if (!probe(ctx, name[i], !vif->bridge, &p->link, p->master,
			   sizeof p->master))
			continue;
		snprintf(p->link.name, sizeof p->link.name, "%s", name[i]);
		nfound++;
	}
	if (nfound == 2 && found[1].link.ifindex < found[0].link.ifindex) {
		struct probed t = found[0];

		found[0] = found[1];
		found[1] = t;
	}
	readings = readings_of(r, dom->domid, vif->devid, &nreadings);
	for (size_t i = 0; i < nfound; i++) {
		struct xv_link *l = xv_linkset_append(out);

		if (!l)
			return -ENOMEM;
		*l = found[i].link;
		/* Paired in the kernel's order, or not at all. */
		if (nreadings == nfound)
			l->stats = readings[i].stats;
		else
			l->stats_unknown = true;
		if (l->master > 0 && found[i].master[0] &&
		    add_bridge(out, l->master, found[i].master) < 0)
			return -ENOMEM;
	}
	return 0;
}

int xv_xenstat_links(struct xv_vif_readings *readings, const struct xv_meta *meta,
		     xv_device_probe_fn *probe, void *probe_ctx,
		     struct xv_linkset *out)
{
	xv_linkset_clear(out);
	if (group_readings(readings) < 0)
		return -ENOMEM;
	for (size_t d = 0; d < meta->n; d++) {
		const struct xv_domain_meta *dom = &meta->doms[d];

		for (size_t v = 0; v < dom->nvifs; v++)
			if (add_vif(out, dom, &dom->vifs[v], readings, probe,
				    probe_ctx) < 0)
				return -ENOMEM;
	}
	xv_linkset_sort(out);
	return 0;
}

size_t xv_xenstat_links_confirm(struct xv_linkset *links,
				const struct xv_linkset *before)
{
	size_t withheld = 0;

	for (size_t i = 0; i < links->n; i++) {
		struct xv_link *l = &links->links[i];
		const struct xv_link *was;

		if (l->stats_unknown)
			continue;
		was = xv_linkset_find(before, l->ifindex);
		if (!was || strcmp(was->name, l->name) != 0) {
			l->stats_unknown = true;
			withheld++;
		}
	}
	return withheld;
}

/* The devices of vifs among links: those that are no other's master. */
static size_t vif_devices(const struct xv_linkset *links)
{
	size_t n = 0;

	for (size_t i = 0; i < links->n; i++) {
		bool bridge = false;

		for (size_t j = 0; j < links->n && !bridge; j++)
			bridge = links->links[j].master == links->links[i].ifindex;
		n += !bridge;
	}
	return n;
}

int xv_xenstat_read_links(struct xv_xenstat *x, const struct xv_meta *meta,
			  struct xv_kernel_probe *probe, struct xv_linkset *out,
			  size_t *withheld, char *err, size_t errlen,
			  char *chatter, size_t chattersz)
{
	struct xv_vif_readings readings = {0};
	struct xv_linkset before = {0};
	int rc;

	*withheld = 0;
	if (chattersz)
		chatter[0] = '\0';
	/* With no readings, every device is listed without counters. */
	if (xv_xenstat_links(&readings, meta, xv_kernel_probe, probe,
			     &before) < 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = xv_xenstat_networks(x, &readings, err, errlen, chatter, chattersz);
	if (rc == 0 && readings.n == 0 && vif_devices(&before) > 0) {
		/* Zeros served as counters would be believed: nothing is. */
		snprintf(err, errlen, "libxenstat reports no network for any domain "
			 "while %zu vif device(s) exist: it finds vifs only on a "
			 "Linux bridge, not on Open vSwitch; use counterSource "
			 "netlink", vif_devices(&before));
		rc = -ENODEV;
	}
	if (rc == 0 && xv_xenstat_links(&readings, meta, xv_kernel_probe, probe,
					out) < 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	}
	if (rc == 0)
		*withheld = xv_xenstat_links_confirm(out, &before);
out:
	xv_linkset_free(&before);
	xv_vif_readings_free(&readings);
	return rc;
}

/* ---- the kernel's answer --------------------------------------------- */

static bool read_master(const char *sysfs_root, const char *name, char *out,
			size_t outsz)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof path, "%s/class/net/%s/master", sysfs_root, name);
	n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= outsz)
		return false;
	snprintf(out, outsz, "%s", base);
	return true;
}

static bool ifindex_of(int fd, const char *name, int *ifindex)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return false;
	*ifindex = ifr.ifr_ifindex;
	return true;
}

bool xv_kernel_probe(void *ctx, const char *name, bool want_master,
		     struct xv_link *out, char *master_name, size_t master_namesz)
{
	struct xv_kernel_probe *p = ctx;
	struct ifreq ifr = {0};

	if (p->fd < 0)
		p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || strlen(name) >= sizeof ifr.ifr_name)
		return false;
	memset(out, 0, sizeof *out);
	if (!ifindex_of(p->fd, name, &out->ifindex))
		return false;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(p->fd, SIOCGIFFLAGS, &ifr) < 0)
		return false;
	out->flags = (unsigned short)ifr.ifr_flags;
	/* IFF_RUNNING is the kernel's "operationally up". */
	out->operstate = out->flags & IFF_RUNNING ? IF_OPER_UP : IF_OPER_DOWN;
	if (want_master && read_master(p->sysfs_root, name, master_name,
				       master_namesz))
		ifindex_of(p->fd, master_name, &out->master);
	return true;
}
