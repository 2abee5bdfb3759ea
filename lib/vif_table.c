/* SPDX-License-Identifier: ISC */
#include "xenvif/vif_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/growth.h"
#include "xenvif/text.h"
#include "xenvif/search.h"

/* What sysfs said about a device, remembered for the device's life. */
struct xv_nodename_entry {
	int ifindex;
	bool is_vif;
	uint32_t domid, devid;
};

struct xv_nodename_cache {
	struct xv_nodename_entry *v;
	size_t n;
};

/* A dom0 device name a live vif's devices may have. */
struct name_entry {
	char name[IF_NAMESIZE];
	bool emu;
	struct xv_vif_row *row;
};

struct name_map {
	struct name_entry *v;
	size_t n, cap;
};

void xv_vif_table_init(struct xv_vif_table *t)
{
	memset(t, 0, sizeof *t);
	xv_registry_init(&t->rows);
}

static void row_free(struct xv_entry *e)
{
	struct xv_vif_row *row = xv_vif_row_of(e);

	free(row->entry.key);
	free(row->sources);
	free(row->domain_name);
	free(row->ifname);
	free(row->bridge);
	free(row->ips);
	free(row);
}

void xv_vif_table_free(struct xv_vif_table *t)
{
	xv_registry_free(&t->rows, row_free);
	if (t->nodenames) {
		free(t->nodenames->v);
		free(t->nodenames);
	}
	memset(t, 0, sizeof *t);
}

/* ---- identity ------------------------------------------------------ */

struct xv_vif_row *xv_vif_table_find_index(const struct xv_vif_table *t, uint32_t index)
{
	struct xv_entry *e = xv_registry_find_index(&t->rows, index);

	return e ? xv_vif_row_of(e) : NULL;
}

struct xv_vif_row *xv_vif_table_find_key(const struct xv_vif_table *t, const char *key)
{
	struct xv_entry *e = xv_registry_find_key(&t->rows, key);

	return e ? xv_vif_row_of(e) : NULL;
}

bool xv_vif_row_key(const struct xv_domain_meta *dom, const struct xv_vif_meta *vif,
		char *buf, size_t bufsz)
{
	int len;

	/* The UUID follows the VM everywhere; without one, the name is
	 * what the toolstack keeps unique among live domains. */
	if (dom->uuid[0])
		len = snprintf(buf, bufsz, "%s/%u", dom->uuid, vif->devid);
	else if (dom->name && dom->name[0])
		len = snprintf(buf, bufsz, "name:%s/%u", dom->name, vif->devid);
	else
		len = snprintf(buf, bufsz, "domid:%u/%u", dom->domid, vif->devid);
	return len > 0 && (size_t)len < bufsz;
}

int xv_vif_table_add(struct xv_vif_table *t, uint32_t index, const char *key,
		 struct xv_vif_row **out)
{
	struct xv_vif_row *row = calloc(1, sizeof *row);
	int rc;

	if (!row || !(row->entry.key = strdup(key))) {
		free(row);
		return -ENOMEM;
	}
	row->entry.index = index;
	if ((rc = xv_registry_add(&t->rows, &row->entry)) < 0) {
		free(row->entry.key);
		free(row);
		return rc;
	}
	*out = row;
	return 0;
}

int xv_vif_row_add_source(struct xv_vif_row *row, int ifindex, bool emu,
		      const char *name, const struct xv_counters *last)
{
	struct xv_source *s = xv_grow(row->sources, &row->capsources, row->nsources,
				      sizeof *s, 2);

	if (!s)
		return -ENOMEM;
	row->sources = s;
	s = &row->sources[row->nsources++];
	memset(s, 0, sizeof *s);
	s->ifindex = ifindex;
	s->emu = emu;
	snprintf(s->name, sizeof s->name, "%s", name);
	s->last = *last;
	return 0;
}

/* ---- metadata ------------------------------------------------------ */

/* Replaces *field with value (NULL meaning ""); notes a change. */
static int set_text(char **field, const char *value, bool *changed)
{
	if (!value)
		value = "";
	if (*field && strcmp(*field, value) == 0)
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	*changed = true;
	return 0;
}

static int apply_meta(struct xv_vif_row *row, const struct xv_domain_meta *dom,
		      const struct xv_vif_meta *vif, bool *changed)
{
	int rc = 0;

	if (row->domid != dom->domid || row->devid != vif->devid ||
	    strcmp(row->uuid, dom->uuid) != 0 || row->has_mac != vif->has_mac ||
	    (vif->has_mac && memcmp(row->mac, vif->mac, 6) != 0))
		*changed = true;
	row->domid = dom->domid;
	row->devid = vif->devid;
	memcpy(row->uuid, dom->uuid, sizeof row->uuid);
	row->has_mac = vif->has_mac;
	memcpy(row->mac, vif->mac, 6);
	row->rate_bps = vif->rate_bps;
	rc |= set_text(&row->domain_name, dom->name, changed);
	rc |= set_text(&row->ips, vif->ips, changed);
	/* The device name and bridge are settled after the links are
	 * read: the kernel's word on them comes first. */
	return rc ? -ENOMEM : 0;
}

/* ---- names --------------------------------------------------------- */

static int name_map_add(struct name_map *m, const char *name, bool emu,
			struct xv_vif_row *row)
{
	struct name_entry *v;

	if (strlen(name) >= IF_NAMESIZE)
		return 0; /* no kernel device can have it */
	if (!(v = xv_grow(m->v, &m->cap, m->n, sizeof *v, 64)))
		return -ENOMEM;
	m->v = v;
	snprintf(m->v[m->n].name, IF_NAMESIZE, "%s", name);
	m->v[m->n].emu = emu;
	m->v[m->n].row = row;
	m->n++;
	return 0;
}

/* The vif's own name and the default vifD.N (the device has it until
 * the hotplug script renames it), each with its -emu tap, unless the
 * toolstack names the emulated NIC itself (xapi's tapD.N). */
static int name_map_add_vif(struct name_map *m, const struct xv_domain_meta *dom,
			    const struct xv_vif_meta *vif, struct xv_vif_row *row)
{
	char name[XV_TEXT_MAX + 8];
	int rc = 0;

	snprintf(name, sizeof name, "vif%u.%u", dom->domid, vif->devid);
	rc |= name_map_add(m, name, false, row);
	if (!vif->emu_name) {
		strcat(name, "-emu");
		rc |= name_map_add(m, name, true, row);
	}
	if (vif->vifname) {
		snprintf(name, sizeof name, "%s", vif->vifname);
		rc |= name_map_add(m, name, false, row);
		if (!vif->emu_name) {
			snprintf(name, sizeof name, "%s-emu", vif->vifname);
			rc |= name_map_add(m, name, true, row);
		}
	}
	if (vif->emu_name)
		rc |= name_map_add(m, vif->emu_name, true, row);
	return rc ? -ENOMEM : 0;
}

static int compare_name_entry(const void *a, const void *b)
{
	return strcmp(((const struct name_entry *)a)->name,
		      ((const struct name_entry *)b)->name);
}

static const struct name_entry *name_map_find(const struct name_map *m,
					      const char *name)
{
	struct name_entry key;

	if (m->n == 0)
		return NULL;
	snprintf(key.name, sizeof key.name, "%s", name);
	return xv_find_sorted(m->v, m->n, sizeof key, &key, compare_name_entry);
}

/* ---- sysfs nodenames ----------------------------------------------- */

static int order_nodename(const void *key, const void *item)
{
	int a = *(const int *)key, b = ((const struct xv_nodename_entry *)item)->ifindex;

	return (a > b) - (a < b);
}

static const struct xv_nodename_entry *
nodename_lookup(struct xv_nodename_cache *c, const struct xv_nodename_cache *old,
		const struct xv_link *link, const struct xv_reconcile *in)
{
	/* Entries arrive in ifindex order, as the links do. */
	const struct xv_nodename_entry *known =
		xv_find_sorted(old->v, old->n, sizeof *old->v, &link->ifindex,
			       order_nodename);
	struct xv_nodename_entry *e = &c->v[c->n++];

	if (known) {
		*e = *known;
		return e;
	}
	memset(e, 0, sizeof *e);
	e->ifindex = link->ifindex;
	if (in->nodename)
		e->is_vif = in->nodename(in->nodename_ctx, link->name, &e->domid,
					 &e->devid);
	return e;
}

/* ---- counters ------------------------------------------------------ */

/* Final counters of a deleted device: newer than any dump, so only
 * what moved forward counts. */
static void advance_final(struct xv_vif_row *row, struct xv_source *s,
			  const struct xv_link *final)
{
	xv_counters_advance_final(&row->total, &s->last, &final->stats,
				  final->split_known);
}

static struct xv_source *row_source(struct xv_vif_row *row, int ifindex)
{
	for (size_t i = 0; i < row->nsources; i++)
		if (row->sources[i].ifindex == ifindex)
			return &row->sources[i];
	return NULL;
}

/* Where each kernel device's counters go: the rows' sources by ifindex. */
struct source_ref {
	int ifindex;
	struct xv_vif_row *row;
};

static int compare_source_ref(const void *a, const void *b)
{
	const struct source_ref *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static struct source_ref *source_refs(const struct xv_vif_table *t, size_t *count)
{
	size_t n = 0;
	struct source_ref *refs;

	for (size_t i = 0; i < t->rows.n; i++)
		n += xv_vif_table_row(t, i)->nsources;
	refs = malloc((n ? n : 1) * sizeof *refs);
	if (!refs)
		return NULL;
	n = 0;
	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);

		for (size_t j = 0; j < row->nsources; j++) {
			row->sources[j].seen = false;
			refs[n].ifindex = row->sources[j].ifindex;
			refs[n++].row = row;
		}
	}
	if (n > 1)
		qsort(refs, n, sizeof *refs, compare_source_ref);
	*count = n;
	return refs;
}

static struct xv_vif_row *find_source_row(const struct source_ref *refs, size_t n,
				      int ifindex)
{
	struct source_ref key = {.ifindex = ifindex};
	const struct source_ref *r;

	if (n == 0)
		return NULL;
	r = xv_find_sorted(refs, n, sizeof key, &key, compare_source_ref);
	return r ? r->row : NULL;
}

/* The row of a live vif (D, N), or NULL. */
static struct xv_vif_row *vif_row(const struct xv_vif_table *t,
			      const struct xv_meta *meta, uint32_t domid,
			      uint32_t devid)
{
	const struct xv_domain_meta *dom = xv_meta_find(meta, domid);
	const struct xv_vif_meta *vif = dom ? xv_meta_find_vif(dom, devid) : NULL;
	char key[XV_TEXT_MAX + 64];

	if (!vif || !xv_vif_row_key(dom, vif, key, sizeof key))
		return NULL;
	return xv_vif_table_find_key(t, key);
}

/* Which row a device not yet counted belongs to, and whether it is
 * the emulated tap. */
static struct xv_vif_row *resolve_link(struct xv_vif_table *t,
				   const struct xv_reconcile *in,
				   const struct name_map *names,
				   struct xv_nodename_cache *cache,
				   const struct xv_nodename_cache *old_cache,
				   const struct xv_link *link, bool *emu)
{
	uint32_t domid, devid;
	const struct name_entry *byname;

	*emu = false;
	/* A netback device names its xenbus device: the strongest sign. */
	if (strcmp(link->parent_bus, "xen-backend") == 0) {
		if (xv_parse_pair(link->parent_dev, "vif-", '-', &domid, &devid))
			return vif_row(t, in->meta, domid, devid);
		return NULL;
	}
	byname = name_map_find(names, link->name);
	if (byname) {
		*emu = byname->emu;
		return byname->row;
	}
	/* Renamed by something other than the toolstack: ask sysfs,
	 * once per device. */
	const struct xv_nodename_entry *e =
		nodename_lookup(cache, old_cache, link, in);
	return e->is_vif ? vif_row(t, in->meta, e->domid, e->devid) : NULL;
}

/* Moves a device's source to another row, keeping its last reading:
 * what it carries from now on is the new row's. */
static struct xv_source *move_source(struct xv_vif_row *from, struct xv_vif_row *to,
				     int ifindex, bool emu)
{
	struct xv_source *s = row_source(from, ifindex), moved = *s;

	if (xv_vif_row_add_source(to, moved.ifindex, emu, moved.name, &moved.last) < 0)
		return s; /* stays: counting on where it was beats losing it */
	*s = from->sources[--from->nsources];
	return &to->sources[to->nsources - 1];
}

/* Reads every link into the rows.  *counted is false if nothing could
 * be read (no memory): the rows must then be left as they are.  *save
 * if a row started following a device. */
static int count_links(struct xv_vif_table *t, const struct xv_reconcile *in,
		       const struct name_map *names, bool *counted,
		       enum xv_save *save)
{
	struct xv_nodename_cache old = {0}, cache = {0};
	struct source_ref *refs;
	size_t nrefs = 0;
	int rc = 0;

	*counted = false;
	if (!t->nodenames && !(t->nodenames = calloc(1, sizeof *t->nodenames)))
		return -ENOMEM;
	old = *t->nodenames;
	cache.v = malloc((in->links->n ? in->links->n : 1) * sizeof *cache.v);
	if (!cache.v)
		return -ENOMEM;
	/* Clears every source's "seen": nothing may fail after it but
	 * single devices, which then only miss this reading. */
	refs = source_refs(t, &nrefs);
	if (!refs) {
		free(cache.v);
		return -ENOMEM;
	}
	*counted = true;
	for (size_t i = 0; i < in->links->n; i++) {
		const struct xv_link *link = &in->links->links[i];
		struct xv_vif_row *row = find_source_row(refs, nrefs, link->ifindex);
		struct xv_source *s;
		bool emu;

		if (row) {
			/* Counted before: a device stays with its row, whatever
			 * its name becomes, unless the row's identity went away
			 * while the device lives on under another (a domain
			 * without UUID renamed). */
			s = row_source(row, link->ifindex);
			if (!row->live) {
				struct xv_vif_row *to = resolve_link(t, in, names, &cache,
								 &old, link, &emu);

				if (to && to != row && to->live) {
					s = move_source(row, to, link->ifindex, emu);
					*save = XV_SAVE_NOW;
					row = to;
				}
			}
			if (!link->stats_unknown)
				xv_counters_advance(&row->total, &s->last, &link->stats,
						    link->split_known);
			snprintf(s->name, sizeof s->name, "%s", link->name);
			s->seen = true;
			continue;
		}
		/* Counted from its first known reading, not before. */
		if (link->stats_unknown)
			continue;
		row = resolve_link(t, in, names, &cache, &old, link, &emu);
		if (!row)
			continue;
		/* New to the row: all it carried so far is new traffic. */
		static const struct xv_counters zero;
		if (xv_vif_row_add_source(row, link->ifindex, emu, link->name, &zero) < 0) {
			rc = -ENOMEM;
			continue;
		}
		s = &row->sources[row->nsources - 1];
		xv_counters_advance(&row->total, &s->last, &link->stats,
				    link->split_known);
		if (in->new_sources_are_baseline)
			/* moved holds the totals before this reconcile here */
			for (int c = 0; c < XV_NCOUNTERS; c++)
				row->moved.v[c] += link->stats.v[c];
		s->seen = true;
		*save = XV_SAVE_NOW;
	}
	free(refs);
	free(old.v);
	*t->nodenames = cache;
	return rc;
}

/* Drops the sources whose devices are gone, taking their final
 * counters where the kernel announced the deletion. */
static enum xv_save retire_sources(struct xv_vif_table *t,
				   const struct xv_reconcile *in)
{
	enum xv_save save = XV_SAVE_LATER;

	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);
		size_t keep = 0;

		for (size_t j = 0; j < row->nsources; j++) {
			struct xv_source *s = &row->sources[j];
			const struct xv_link *final =
				in->gone ? xv_linkset_find(in->gone, s->ifindex)
					 : NULL;

			/* A device deleted after the dump read it is in both:
			 * its final counters are the newer. */
			if (final)
				advance_final(row, s, final);
			if (s->seen && !final)
				row->sources[keep++] = *s;
			else
				save = XV_SAVE_NOW;
		}
		row->nsources = keep;
	}
	return save;
}

enum xv_save xv_vif_table_split_restarted(struct xv_vif_table *t)
{
	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);

		for (size_t j = 0; j < row->nsources; j++)
			for (int c = XV_NKERNEL_COUNTERS; c < XV_SPLIT_END; c++)
				row->sources[j].last.v[c] = 0;
	}
	return XV_SAVE_NOW;
}

/* ---- the served view ----------------------------------------------- */

static int settle_row(struct xv_vif_row *row, const struct xv_linkset *links,
		      const struct xv_domain_meta *dom,
		      const struct xv_vif_meta *vif, bool *changed)
{
	const struct xv_link *main_link = NULL;
	const char *bridge = vif->bridge;
	char devname[XV_TEXT_MAX + 1], master[IF_NAMESIZE];
	int ifindex = 0;
	bool up = false, split = false, unsplit = false;

	for (size_t j = 0; j < row->nsources; j++) {
		const struct xv_link *l =
			xv_linkset_find(links, row->sources[j].ifindex);

		if (!l)
			continue;
		up = up || xv_link_is_up(l);
		split = split || l->split_known;
		unsplit = unsplit || !l->split_known;
		if (!row->sources[j].emu && (!main_link || l->ifindex > main_link->ifindex))
			main_link = l; /* the newest, during a local migration */
	}
	/* The kernel allows any byte but '/' and blanks in a name. */
	if (main_link)
		xv_text_clean(devname, sizeof devname, main_link->name,
			      strlen(main_link->name), XV_TEXT_ASCII);
	else
		xv_vif_device_name(dom, vif, devname, sizeof devname);
	if (set_text(&row->ifname, devname, changed) < 0)
		return -ENOMEM;
	if (main_link) {
		ifindex = main_link->ifindex;
		if (!bridge && main_link->master) {
			const struct xv_link *m =
				xv_linkset_find(links, main_link->master);

			/* Open vSwitch's kernel datapath is every port's
			 * master, whatever the bridge: not a bridge's name. */
			if (m && strcmp(m->name, "ovs-system") != 0) {
				xv_text_clean(master, sizeof master, m->name,
					      strlen(m->name), XV_TEXT_ASCII);
				bridge = master;
			}
		}
	}
	if (row->ifindex != ifindex)
		*changed = true;
	row->ifindex = ifindex;
	row->oper_up = up;
	row->split = split && !unsplit;
	row->mtu = main_link && main_link->mtu ? main_link->mtu : vif->mtu;
	return set_text(&row->bridge, bridge, changed);
}

/* ---- reconcile ----------------------------------------------------- */

/* Makes sure every live vif has a row and records its metadata. */
static int mark_live(struct xv_vif_table *t, const struct xv_reconcile *in,
		     struct name_map *names, bool *changed)
{
	const struct xv_meta *meta = in->meta;
	int rc = 0;

	/* Newest domain first: during a local migration two live domains
	 * share a UUID, and the row shows the newer one. */
	for (size_t d = meta->n; d-- > 0;) {
		const struct xv_domain_meta *dom = &meta->doms[d];

		for (size_t v = 0; v < dom->nvifs; v++) {
			const struct xv_vif_meta *vif = &dom->vifs[v];
			char key[XV_TEXT_MAX + 64];
			struct xv_vif_row *row;

			if (!xv_vif_row_key(dom, vif, key, sizeof key))
				continue;
			row = xv_vif_table_find_key(t, key);
			if (!row) {
				if (xv_vif_table_add(t, xv_registry_new_index(&t->rows, key),
						 key, &row) < 0) {
					rc = -ENOMEM;
					continue;
				}
				row->discontinuity = in->new_row_discontinuity;
			}
			/* Both domains' devices count; the newer one's
			 * metadata is shown. */
			if (name_map_add_vif(names, dom, vif, row) < 0)
				rc = -ENOMEM;
			if (row->live)
				continue;
			row->live = true;
			if (apply_meta(row, dom, vif, changed) < 0)
				rc = -ENOMEM;
		}
	}
	return rc;
}

int xv_vif_table_reconcile(struct xv_vif_table *t, const struct xv_reconcile *in)
{
	struct name_map names = {0};
	size_t rows_before = t->rows.n;
	enum xv_save save = XV_SAVE_LATER;
	bool changed = false;
	int rc;

	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);

		row->live = false;
		row->moved = row->total; /* becomes the difference below */
	}
	rc = mark_live(t, in, &names, &changed);
	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);

		if (row->entry.active != row->live)
			changed = true; /* a row came or left */
		row->entry.active = row->live;
	}
	if (names.n > 1)
		qsort(names.v, names.n, sizeof *names.v, compare_name_entry);
	bool counted;
	if (count_links(t, in, &names, &counted, &save) < 0)
		rc = -ENOMEM;
	free(names.v);
	if (counted && retire_sources(t, in) == XV_SAVE_NOW)
		save = XV_SAVE_NOW;

	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);
		const struct xv_domain_meta *dom;

		if (!row->entry.active)
			continue;
		/* mark_live found both for every active row. */
		dom = xv_meta_find(in->meta, row->domid);
		if (settle_row(row, in->links, dom,
			       xv_meta_find_vif(dom, row->devid), &changed) < 0)
			rc = -ENOMEM;
	}
	for (size_t i = 0; i < t->rows.n; i++) {
		struct xv_vif_row *row = xv_vif_table_row(t, i);

		for (int c = 0; c < XV_NCOUNTERS; c++)
			row->moved.v[c] = row->total.v[c] - row->moved.v[c];
	}
	if (changed) {
		xv_registry_rebuild_view(&t->rows);
		t->last_change = in->now;
	}
	/* A new row's index must survive a crash. */
	if (t->rows.n != rows_before)
		save = XV_SAVE_NOW;
	return rc < 0 ? rc : (int)save;
}
