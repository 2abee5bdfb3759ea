/* SPDX-License-Identifier: ISC */
#include "xenvif/xsmeta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/growth.h"
#include "xenvif/text.h"
#include "xenvif/search.h"

/* Domain ids are 15 bits; the rest of the range is reserved by Xen. */
#define XV_DOMID_MAX 0x7fefU
/* A device id is small in practice; refuse absurd ones from the tree. */
#define XV_DEVID_MAX 0xffffU

void xv_meta_init(struct xv_meta *meta, uint32_t backend_domid)
{
	memset(meta, 0, sizeof *meta);
	meta->backend_domid = backend_domid;
	snprintf(meta->backend_dir, sizeof meta->backend_dir,
		 "/local/domain/%u/backend/vif", backend_domid);
}

static void vif_meta_free(struct xv_vif_meta *vif)
{
	free(vif->vifname);
	free(vif->emu_name);
	free(vif->bridge);
	free(vif->ips);
}

static void domain_meta_free(struct xv_domain_meta *dom)
{
	for (size_t i = 0; i < dom->nvifs; i++)
		vif_meta_free(&dom->vifs[i]);
	free(dom->vifs);
	free(dom->name);
	memset(dom, 0, sizeof *dom);
}

void xv_meta_free(struct xv_meta *meta)
{
	for (size_t i = 0; i < meta->n; i++)
		domain_meta_free(&meta->doms[i]);
	free(meta->doms);
	meta->doms = NULL;
	meta->n = meta->cap = 0;
}

static int order_domain(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key,
			    ((const struct xv_domain_meta *)item)->domid);
}

static int order_vif(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key,
			    ((const struct xv_vif_meta *)item)->devid);
}

/* Position of domid in meta->doms, or where it would be inserted. */
static size_t domain_slot(const struct xv_meta *meta, uint32_t domid)
{
	return xv_lower_bound(meta->doms, meta->n, sizeof *meta->doms, &domid,
			      order_domain);
}

const struct xv_domain_meta *xv_meta_find(const struct xv_meta *meta,
					  uint32_t domid)
{
	size_t i = domain_slot(meta, domid);

	return i < meta->n && meta->doms[i].domid == domid ? &meta->doms[i] : NULL;
}

const struct xv_vif_meta *xv_meta_find_vif(const struct xv_domain_meta *dom,
					   uint32_t devid)
{
	return xv_find_sorted(dom->vifs, dom->nvifs, sizeof *dom->vifs, &devid,
			      order_vif);
}

int xv_store_read_node(const struct xv_store *store, const char *path,
		       char **value, size_t *len)
{
	errno = 0;
	*value = store->read(store->ctx, path, len);
	if (*value)
		return 0;
	if (errno == ENOENT || errno == EACCES || errno == 0)
		return 0;
	return -errno;
}

int xv_store_read_text(const struct xv_store *store, const char *path,
		       enum xv_text_kind kind, char **out)
{
	char *raw;
	size_t len;
	int rc = xv_store_read_node(store, path, &raw, &len);

	*out = NULL;
	if (rc < 0 || !raw)
		return rc;
	*out = xv_text_clean_dup(raw, len, kind);
	free(raw);
	return *out ? 0 : -ENOMEM;
}

int xv_store_read_mtu(const struct xv_store *store, const char *path,
		      uint32_t *mtu)
{
	char *raw;
	size_t len;
	int rc = xv_store_read_node(store, path, &raw, &len);

	if (rc < 0)
		return rc;
	/* 68 is the least IPv4 allows; 65535 the most any link has. */
	if (!raw || strlen(raw) != len || !xv_parse_u32(raw, 68, 65535, mtu))
		*mtu = 0;
	free(raw);
	return 0;
}

/* What every toolstack's backend has: the MAC and netback's rate. */
static int read_backend_vif(const struct xv_store *store, const char *dir,
			    struct xv_vif_meta *vif)
{
	char path[256], *mac, *raw;
	size_t len;
	int rc;

	snprintf(path, sizeof path, "%s/mac", dir);
	if ((rc = xv_store_read_node(store, path, &mac, &len)) < 0)
		return rc;
	vif->has_mac = mac && xv_parse_mac(mac, len, vif->mac);
	free(mac);
	snprintf(path, sizeof path, "%s/rate", dir);
	if ((rc = xv_store_read_node(store, path, &raw, &len)) < 0)
		return rc;
	if (!raw || !xv_parse_rate(raw, len, &vif->rate_bps))
		vif->rate_bps = 0;
	free(raw);
	return 0;
}

void xv_bridge_name(char *bridge, bool openvswitch)
{
	/* BR.VLAN:TRUNK:... is Open vSwitch's syntax (vif-openvswitch):
	 * a ':' says so alone; a '.' only with that script, since a Linux
	 * bridge may well be called br0.100. */
	if (openvswitch || strchr(bridge, ':'))
		bridge[strcspn(bridge, ".:")] = '\0';
}

/* libxl's: all in the backend directory. */
static int read_libxl_vif(const struct xv_store *store, const char *dir,
			  const struct xv_domain_meta *dom, struct xv_vif_meta *vif)
{
	char path[256], *script;
	int rc;

	(void)dom;
	snprintf(path, sizeof path, "%s/vifname", dir);
	if ((rc = xv_store_read_text(store, path, XV_TEXT_ASCII, &vif->vifname)) < 0)
		return rc;
	snprintf(path, sizeof path, "%s/bridge", dir);
	if ((rc = xv_store_read_text(store, path, XV_TEXT_ASCII, &vif->bridge)) < 0)
		return rc;
	snprintf(path, sizeof path, "%s/script", dir);
	if ((rc = xv_store_read_text(store, path, XV_TEXT_ASCII, &script)) < 0)
		return rc;
	if (vif->bridge) {
		const char *base = script ? strrchr(script, '/') : NULL;

		base = base ? base + 1 : script;
		xv_bridge_name(vif->bridge, base && strcmp(base, "vif-openvswitch") == 0);
	}
	free(script);
	snprintf(path, sizeof path, "%s/ip", dir);
	if ((rc = xv_store_read_text(store, path, XV_TEXT_ASCII, &vif->ips)) < 0)
		return rc;
	snprintf(path, sizeof path, "%s/mtu", dir);
	if ((rc = xv_store_read_mtu(store, path, &vif->mtu)) < 0)
		return rc;
	/* An empty vifname means "use the default name". */
	if (vif->vifname && vif->vifname[0] == '\0') {
		free(vif->vifname);
		vif->vifname = NULL;
	}
	return 0;
}

bool xv_parse_rate(const char *text, size_t len, uint64_t *bps)
{
	const char *comma = memchr(text, ',', len);
	char bytes[24], usecs[24];
	uint32_t interval;
	uint64_t b = 0;

	if (!comma || strlen(text) != len || (size_t)(comma - text) >= sizeof bytes ||
	    len - (size_t)(comma - text) - 1 >= sizeof usecs)
		return false;
	memcpy(bytes, text, (size_t)(comma - text));
	bytes[comma - text] = '\0';
	snprintf(usecs, sizeof usecs, "%s", comma + 1);
	for (const char *p = bytes; *p; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (*p < '0' || *p > '9' || b > (UINT64_MAX - d) / 10)
			return false;
		b = b * 10 + d;
	}
	if (!bytes[0] || b == 0 || !xv_parse_u32(usecs, 1, UINT32_MAX, &interval))
		return false;
	/* bits per second = bytes * 8 * 10^6 / interval, without overflow */
	unsigned __int128 r = (unsigned __int128)b * 8000000U / interval;
	*bps = r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
	return *bps > 0;
}

static int compare_devid(const void *a, const void *b)
{
	const struct xv_vif_meta *x = a, *y = b;

	return (x->devid > y->devid) - (x->devid < y->devid);
}

int xv_store_read_vm_uuid(const struct xv_store *store, uint32_t domid,
			  char uuid[37])
{
	char path[256], *vm;
	size_t len;
	int rc;

	uuid[0] = '\0';
	snprintf(path, sizeof path, "/local/domain/%u/vm", domid);
	if ((rc = xv_store_read_node(store, path, &vm, &len)) < 0)
		return rc;
	/* The toolstack writes "/vm/UUID"; anything else is not trusted. */
	if (!vm || len < 4 || memcmp(vm, "/vm/", 4) != 0 ||
	    !xv_parse_uuid(vm + 4, len - 4, uuid))
		uuid[0] = '\0';
	free(vm);
	return 0;
}

/* Reads the domain's name, UUID and vifs into *dom (zeroed by caller),
 * the toolstack's keys with its reader. */
static int read_domain(const struct xv_meta *meta, const struct xv_store *store,
		       uint32_t domid, struct xv_domain_meta *dom,
		       const struct xv_domain_reader *reader)
{
	char path[256];
	unsigned int num = 0;
	char **names;
	int rc;

	dom->domid = domid;
	snprintf(path, sizeof path, "%s/%u", meta->backend_dir, domid);
	errno = 0;
	names = store->directory(store->ctx, path, &num);
	if (!names)
		return errno == ENOENT || errno == 0 ? 0 : -errno;
	dom->vifs = calloc(num ? num : 1, sizeof *dom->vifs);
	if (!dom->vifs) {
		free(names);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < num; i++) {
		struct xv_vif_meta *vif = &dom->vifs[dom->nvifs];

		if (!xv_parse_u32(names[i], 0, XV_DEVID_MAX, &vif->devid))
			continue; /* not a device id: not a vif */
		dom->nvifs++;
	}
	free(names);
	if (dom->nvifs == 0)
		return 0;
	qsort(dom->vifs, dom->nvifs, sizeof *dom->vifs, compare_devid);

	/* Who it is first: a toolstack may keep a vif's keys under the VM. */
	snprintf(path, sizeof path, "/local/domain/%u/name", domid);
	if ((rc = xv_store_read_text(store, path, XV_TEXT_UTF8, &dom->name)) < 0)
		return rc;
	if (!dom->name && !(dom->name = strdup("")))
		return -ENOMEM;
	if ((rc = reader->identity(store, dom)) < 0)
		return rc;
	for (size_t i = 0; i < dom->nvifs; i++) {
		struct xv_vif_meta *vif = &dom->vifs[i];
		char dir[192];

		snprintf(dir, sizeof dir, "%s/%u/%u", meta->backend_dir, domid,
			 vif->devid);
		if ((rc = read_backend_vif(store, dir, vif)) < 0 ||
		    (rc = reader->vif(store, dir, dom, vif)) < 0)
			return rc;
	}
	return 0;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_domain(const struct xv_domain_meta *a,
			const struct xv_domain_meta *b)
{
	if (a->nvifs != b->nvifs || strcmp(a->uuid, b->uuid) != 0 ||
	    !same_text(a->name, b->name))
		return false;
	for (size_t i = 0; i < a->nvifs; i++) {
		const struct xv_vif_meta *x = &a->vifs[i], *y = &b->vifs[i];

		if (x->devid != y->devid || x->has_mac != y->has_mac ||
		    (x->has_mac && memcmp(x->mac, y->mac, 6) != 0) ||
		    x->rate_bps != y->rate_bps || x->mtu != y->mtu ||
		    !same_text(x->vifname, y->vifname) ||
		    !same_text(x->emu_name, y->emu_name) ||
		    !same_text(x->bridge, y->bridge) || !same_text(x->ips, y->ips))
			return false;
	}
	return true;
}

static int place_domain(struct xv_meta *meta, struct xv_domain_meta *fresh)
{
	size_t i = domain_slot(meta, fresh->domid);
	bool present = i < meta->n && meta->doms[i].domid == fresh->domid;

	if (fresh->nvifs == 0) {
		/* A backend directory with no device left in it still had
		 * its (empty) array made. */
		domain_meta_free(fresh);
		if (!present)
			return 0;
		domain_meta_free(&meta->doms[i]);
		memmove(&meta->doms[i], &meta->doms[i + 1],
			(meta->n - i - 1) * sizeof *meta->doms);
		meta->n--;
		return 1;
	}
	if (present) {
		int changed = !same_domain(&meta->doms[i], fresh);

		domain_meta_free(&meta->doms[i]);
		meta->doms[i] = *fresh;
		return changed;
	}
	struct xv_domain_meta *doms = xv_grow(meta->doms, &meta->cap, meta->n,
					      sizeof *doms, 16);

	if (!doms)
		return -ENOMEM;
	meta->doms = doms;
	memmove(&meta->doms[i + 1], &meta->doms[i],
		(meta->n - i) * sizeof *meta->doms);
	meta->doms[i] = *fresh;
	meta->n++;
	return 1;
}

int xv_meta_scan_domain_by(struct xv_meta *meta, const struct xv_store *store,
			   uint32_t domid, const struct xv_domain_reader *reader)
{
	struct xv_domain_meta fresh = {.domid = domid};
	/* A backend tree left behind by a dead domain is not a row. */
	int rc = store->domain_live(store->ctx, domid);

	if (rc > 0)
		rc = read_domain(meta, store, domid, &fresh, reader);
	if (rc < 0) {
		domain_meta_free(&fresh);
		return rc;
	}
	rc = place_domain(meta, &fresh);
	if (rc < 0)
		domain_meta_free(&fresh);
	return rc;
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The domain ids listed in the backend tree, sorted; plus, if
 * with_known, those with a record.  NULL with *rc set on failure. */
static uint32_t *collect_domids(const struct xv_meta *meta,
				const struct xv_store *store, bool with_known,
				size_t *count, int *rc)
{
	unsigned int num = 0;
	char **names;
	uint32_t *domids;
	size_t n = 0;

	*rc = 0;
	errno = 0;
	names = store->directory(store->ctx, meta->backend_dir, &num);
	if (!names && errno != ENOENT && errno != 0) {
		*rc = -errno;
		return NULL;
	}
	domids = malloc(((size_t)num + meta->n + 1) * sizeof *domids);
	if (!domids) {
		free(names);
		*rc = -ENOMEM;
		return NULL;
	}
	for (unsigned int i = 0; i < num; i++)
		if (xv_parse_u32(names[i], 0, XV_DOMID_MAX, &domids[n]))
			n++;
	free(names);
	for (size_t i = 0; with_known && i < meta->n; i++)
		domids[n++] = meta->doms[i].domid;
	if (n > 1)
		qsort(domids, n, sizeof *domids, compare_u32);
	*count = n;
	return domids;
}

int xv_meta_scan_listed_by(struct xv_meta *meta, const struct xv_store *store,
			   bool with_known, const struct xv_domain_reader *reader)
{
	size_t n = 0;
	int changed = 0, rc;
	uint32_t *domids = collect_domids(meta, store, with_known, &n, &rc);

	if (!domids)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && domids[i] == domids[i - 1])
			continue;
		if (!with_known && xv_meta_find(meta, domids[i]))
			continue;
		rc = xv_meta_scan_domain_by(meta, store, domids[i], reader);
		if (rc < 0) {
			free(domids);
			return rc;
		}
		changed |= rc;
	}
	free(domids);
	return changed;
}

/* libxl's layout: the VM's UUID is the one /local/domain/D/vm names. */
static int libxl_identity(const struct xv_store *store, struct xv_domain_meta *dom)
{
	return xv_store_read_vm_uuid(store, dom->domid, dom->uuid);
}

static const struct xv_domain_reader libxl_reader = {libxl_identity, read_libxl_vif};

int xv_meta_scan_domain(struct xv_meta *meta, const struct xv_store *store,
			uint32_t domid)
{
	return xv_meta_scan_domain_by(meta, store, domid, &libxl_reader);
}

int xv_meta_scan_all(struct xv_meta *meta, const struct xv_store *store)
{
	meta->found = &xv_libxl_layout;
	return xv_meta_scan_listed_by(meta, store, true, &libxl_reader);
}

int xv_meta_scan_new(struct xv_meta *meta, const struct xv_store *store)
{
	return xv_meta_scan_listed_by(meta, store, false, &libxl_reader);
}

int xv_meta_prune(struct xv_meta *meta, const struct xv_store *store)
{
	int changed = 0;

	for (size_t i = meta->n; i-- > 0;) {
		int live = store->domain_live(store->ctx, meta->doms[i].domid);

		if (live < 0)
			return live;
		if (live)
			continue;
		domain_meta_free(&meta->doms[i]);
		memmove(&meta->doms[i], &meta->doms[i + 1],
			(meta->n - i - 1) * sizeof *meta->doms);
		meta->n--;
		changed = 1;
	}
	return changed;
}

enum xv_watch_scope xv_meta_watch_scope(const struct xv_meta *meta,
					const char *path, uint32_t *domid)
{
	size_t blen = strlen(meta->backend_dir);
	const char *rest;
	char *end;
	unsigned long d;

	if (strcmp(path, "@releaseDomain") == 0)
		return XV_WATCH_RELEASED;
	if (strcmp(path, "@introduceDomain") == 0)
		return XV_WATCH_INTRODUCED;
	if (strncmp(path, meta->backend_dir, blen) == 0) {
		rest = path + blen;
		if (*rest == '\0')
			return XV_WATCH_ALL;
		if (*rest != '/')
			return XV_WATCH_NONE;
		rest++;
	} else if (strncmp(path, "/local/domain/", 14) == 0) {
		/* Only the name node of a domain is watched there. */
		rest = path + 14;
		const char *slash = strchr(rest, '/');

		if (!slash || strcmp(slash, "/name") != 0)
			return XV_WATCH_NONE;
	} else {
		return XV_WATCH_NONE;
	}
	if (*rest < '0' || *rest > '9')
		return XV_WATCH_NONE;
	errno = 0;
	d = strtoul(rest, &end, 10);
	if (errno || d > XV_DOMID_MAX || (*end != '/' && *end != '\0'))
		return XV_WATCH_NONE;
	*domid = (uint32_t)d;
	return XV_WATCH_DOMAIN;
}

int xv_meta_watches(const struct xv_meta *meta, struct xv_watch_set *out)
{
	static const char *const fixed[] = {"@introduceDomain", "@releaseDomain"};
	char path[64];
	int rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++)
		rc = xv_watch_set_add(out, fixed[i]);
	/* Watching a node that does not exist yet works: the event fires
	 * when the toolstack creates it. */
	if (rc == 0)
		rc = xv_watch_set_add(out, meta->backend_dir);
	/* A driver domain may not read the guests' names, and oxenstored
	 * allows it only about a hundred watches: a fixed number then. */
	if (meta->backend_domid != 0)
		return rc;
	for (size_t i = 0; i < meta->n && rc == 0; i++) {
		snprintf(path, sizeof path, "/local/domain/%u/name", meta->doms[i].domid);
		rc = xv_watch_set_add(out, path);
	}
	return rc;
}

void xv_vif_device_name(const struct xv_domain_meta *dom,
			const struct xv_vif_meta *vif, char *buf, size_t bufsz)
{
	if (vif->vifname)
		snprintf(buf, bufsz, "%s", vif->vifname);
	else
		snprintf(buf, bufsz, "vif%u.%u", dom->domid, vif->devid);
}

const struct xv_layout xv_libxl_layout = {
	.name = "libxl",
	.scan_all = xv_meta_scan_all,
	.scan_domain = xv_meta_scan_domain,
	.scan_new = xv_meta_scan_new,
	.prune = xv_meta_prune,
	.watches = xv_meta_watches,
	.watch_scope = xv_meta_watch_scope,
};
