/* SPDX-License-Identifier: ISC */
/*
 * A whole xenstore tree, as the toolstacks' layouts read it, and the
 * watch events that tell the agent what to read again: the input is a
 * sequence of changes to an in-memory store (tests/unit/fake_store.c),
 * each followed as the agent follows xenstore (xv_xs_follow with the
 * libxl, xapi or auto layout over a connection kept here).
 *
 * Input: a first byte (layout; dom0 or a driver domain as backend),
 * then lines:
 *   PATH=VALUE  write (parents made, as xenstored makes them)
 *   -PATH       remove PATH and all below
 *   +D / ~D     domain D comes to life / dies
 *   ?PATH       a watch event for PATH, whatever is watched
 *   !           reading after the next change fails (EIO): the
 *               connection is lost, then made again
 * Events go to the watches that xenstored would fire.
 *
 * Properties: after each change and the events it fired, the agent's
 * reading is what a fresh reading of the store gives (a change no
 * watch sees may leave it behind: then a full read must catch up); a
 * read that changed it says so; reading an unchanged store again
 * changes nothing.  Values are cleaned, records sorted.
 */
#include <errno.h>
#include <string.h>

#include "../unit/fake_store.h"
#include "fuzz.h"
#include "xenvif/xs_follow.h"

struct conn {
	struct fake_store fs;
	bool open;
	bool fail_next; /* the next change's reading fails */
	/* What is watched (libxl: three paths and one per domain). */
	char watched[128][XV_WATCH_PATH_MAX];
	size_t nwatched;
	char **events;
	size_t nevents, head;
};

static int conn_open(void *c, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	((struct conn *)c)->open = true;
	return 0;
}

static void conn_close(void *c)
{
	struct conn *k = c;

	k->open = false;
	k->nwatched = 0;
}

static bool conn_is_open(const void *c)
{
	return ((const struct conn *)c)->open;
}

static int conn_fd(const void *c)
{
	(void)c;
	return -1;
}

static char *conn_next_event(void *c, int *rc)
{
	struct conn *k = c;

	*rc = 0;
	if (k->head == k->nevents)
		return NULL;
	char *path = k->events[k->head];
	k->events[k->head++] = NULL;
	return path;
}

static int conn_watch(void *c, const struct xv_watch_set *paths)
{
	struct conn *k = c;

	k->nwatched = 0;
	for (size_t i = 0; i < paths->n && k->nwatched < 128; i++)
		memcpy(k->watched[k->nwatched++], paths->paths[i], sizeof k->watched[0]);
	/* More than an input of this size can ask for. */
	return paths->n > 128 ? -E2BIG : 0;
}

static int conn_ping(void *c)
{
	(void)c;
	return 0;
}

static struct xv_store conn_store(void *c)
{
	struct conn *k = c;

	return fake_api(&k->fs);
}

static const struct xv_xs_conn_ops ops = {
	conn_open, conn_close, conn_is_open, conn_fd, conn_next_event, conn_watch,
	conn_ping, conn_store,
};

static void queue_event(struct conn *k, const char *path)
{
	char **grown = realloc(k->events, (k->nevents + 1) * sizeof *grown);
	char *copy = strdup(path);

	if (!grown || !copy) {
		free(copy);
		if (grown)
			k->events = grown;
		return;
	}
	k->events = grown;
	k->events[k->nevents++] = copy;
}

static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* What xenstored fires for a change of path: each watch on it or
 * above it, with the path; on a removal also each watch below it,
 * with the watch's own path.  How many fired. */
static size_t fire(struct conn *k, const char *path, bool removed)
{
	size_t fired = 0;

	for (size_t i = 0; i < k->nwatched; i++) {
		const char *w = k->watched[i];

		if (below(path, w)) {
			queue_event(k, path);
			fired++;
		} else if (removed && below(w, path)) {
			queue_event(k, w);
			fired++;
		}
	}
	return fired;
}

static void write_node(struct fake_store *fs, char *path, const char *value,
		       size_t len)
{
	/* xenstored makes the missing parents, empty. */
	for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (!fake_exists(fs, path))
			fake_write(fs, path, "");
		*slash = '/';
	}
	fake_write_bytes(fs, path, value, len);
}

static bool has_domain(const struct fake_store *fs, uint32_t domid)
{
	for (size_t i = 0; i < fs->nlive; i++)
		if (fs->live[i] == domid)
			return true;
	return false;
}

/* Applies one line; how many events it fired. */
static size_t change(struct conn *k, char *line, size_t len)
{
	char *eq;
	unsigned long d;

	switch (line[0]) {
	case '-':
		fake_rm(&k->fs, line + 1);
		return fire(k, line + 1, true);
	case '+':
	case '~':
		d = strtoul(line + 1, NULL, 10) % 0x8000;
		/* The store keeps at most 256 live domains. */
		if (line[0] == '+' && !has_domain(&k->fs, (uint32_t)d) &&
		    k->fs.nlive >= sizeof k->fs.live / sizeof k->fs.live[0])
			return 0;
		fake_set_live(&k->fs, (uint32_t)d, line[0] == '+');
		return fire(k, line[0] == '+' ? "@introduceDomain" : "@releaseDomain",
			    false);
	case '?':
		queue_event(k, line + 1);
		return 1;
	case '!':
		k->fail_next = true;
		return 0;
	default:
		eq = memchr(line, '=', len);
		if (eq)
			*eq = '\0';
		write_node(&k->fs, line, eq ? eq + 1 : "", eq ? len - (size_t)(eq - line) - 1 : 0);
		return fire(k, line, false);
	}
}

/* The reading as text, to show it. */
static char *describe(const struct xv_meta *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "layout %s\n", m->found ? m->found->name : "-");
	for (size_t i = 0; i < m->n; i++) {
		const struct xv_domain_meta *d = &m->doms[i];

		fprintf(f, "dom %u name=[%s] uuid=[%s]\n", d->domid, d->name, d->uuid);
		for (size_t j = 0; j < d->nvifs; j++) {
			const struct xv_vif_meta *v = &d->vifs[j];

			fprintf(f, " vif %u name=[%s] emu=[%s] bridge=[%s] ips=[%s] "
				"mac=%d:%02x%02x%02x%02x%02x%02x rate=%llu mtu=%u\n",
				v->devid, v->vifname ? v->vifname : "-",
				v->emu_name ? v->emu_name : "-", v->bridge ? v->bridge : "-",
				v->ips ? v->ips : "-", v->has_mac, v->mac[0], v->mac[1],
				v->mac[2], v->mac[3], v->mac[4], v->mac[5],
				(unsigned long long)v->rate_bps, v->mtu);
		}
	}
	fclose(f);
	return text;
}

static bool printable_ascii(const char *s)
{
	for (; s && *s; s++)
		if (*s < ' ' || *s > '~')
			return false;
	return true;
}

/* What a reading always is: sorted, each text cleaned, each UUID
 * canonical or empty, every domain with a vif. */
static void check_meta(const struct xv_meta *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct xv_domain_meta *d = &m->doms[i];
		char uuid[37];

		FUZZ_ASSERT(i == 0 || m->doms[i - 1].domid < d->domid, "domains unsorted");
		FUZZ_ASSERT(d->nvifs > 0 && d->name, "domain %u without vifs or name",
			    d->domid);
		FUZZ_ASSERT(!d->uuid[0] || (xv_parse_uuid(d->uuid, strlen(d->uuid), uuid) &&
					    strcmp(uuid, d->uuid) == 0),
			    "UUID '%s'", d->uuid);
		for (const char *c = d->name; *c; c++)
			FUZZ_ASSERT((unsigned char)*c >= ' ' && *c != 0x7f, "name not clean");
		for (size_t j = 0; j < d->nvifs; j++) {
			const struct xv_vif_meta *v = &d->vifs[j];

			FUZZ_ASSERT(j == 0 || d->vifs[j - 1].devid < v->devid, "vifs unsorted");
			FUZZ_ASSERT(printable_ascii(v->vifname) && printable_ascii(v->bridge) &&
				    printable_ascii(v->ips), "vif %u.%u: text not clean",
				    d->domid, v->devid);
			FUZZ_ASSERT(v->mtu == 0 || (v->mtu >= 68 && v->mtu <= 65535), "MTU %u",
				    v->mtu);
		}
	}
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The same records (and, if layout, the same layout found). */
static bool same_meta(const struct xv_meta *a, const struct xv_meta *b, bool layout)
{
	if (a->n != b->n || (layout && a->found != b->found))
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct xv_domain_meta *x = &a->doms[i], *y = &b->doms[i];

		if (x->domid != y->domid || x->nvifs != y->nvifs ||
		    !same_text(x->name, y->name) || strcmp(x->uuid, y->uuid) != 0)
			return false;
		for (size_t j = 0; j < x->nvifs; j++) {
			const struct xv_vif_meta *v = &x->vifs[j], *w = &y->vifs[j];

			if (v->devid != w->devid || v->has_mac != w->has_mac ||
			    (v->has_mac && memcmp(v->mac, w->mac, 6) != 0) ||
			    v->rate_bps != w->rate_bps || v->mtu != w->mtu ||
			    !same_text(v->vifname, w->vifname) ||
			    !same_text(v->emu_name, w->emu_name) ||
			    !same_text(v->bridge, w->bridge) || !same_text(v->ips, w->ips))
				return false;
		}
	}
	return true;
}

/* Fails, showing both readings. */
static void differ(const char *what, const char *line, const struct xv_meta *got,
		   const struct xv_meta *want)
{
	char *g = describe(got), *w = describe(want);

	FUZZ_ASSERT(false, "after '%s': %s:\n%s---\n%s", line, what, g, w);
}

/* xapi knows a migrating VM's domains by one UUID and reads again only
 * the newer on a change under /xapi: the older is about to go. */
static bool shares_uuid(const struct xv_meta *m)
{
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = i + 1; j < m->n; j++)
			if (m->doms[i].uuid[0] && strcmp(m->doms[i].uuid, m->doms[j].uuid) == 0)
				return true;
	return false;
}

/* Takes the events and reads, as the agent does: 1 changed, 0 not,
 * -errno lost. */
static int follow(struct xv_xs_follow *f)
{
	xv_xs_follow_check(f);
	xv_xs_follow_events(f);
	return xv_xs_follow_read(f);
}

/* A fresh reading of the store into *m (initialised); false if it
 * failed (no memory). */
static bool fresh_reading(struct conn *k, const struct xv_layout *layout,
			  struct xv_meta *m)
{
	struct xv_store st = fake_api(&k->fs);

	k->fs.fail_errno = 0;
	xv_meta_free(m);
	m->found = NULL;
	if (layout->scan_all(m, &st) < 0)
		return false;
	check_meta(m);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xv_layout *const layouts[] = {
		&xv_libxl_layout, &xv_xapi_layout, &xv_auto_layout,
	};
	const struct xv_layout *layout = layouts[(size ? data[0] : 0) % 3];
	uint32_t backend = size && data[0] / 3 % 2 ? 1 : 0;
	struct conn k = {0};
	struct xv_log log = {0};
	struct xv_xs_follow f;
	struct xv_meta before, fresh;
	char *text = malloc(size + 1);
	bool known = false; /* before is what the agent holds */

	if (!text)
		return 0;
	memcpy(text, data, size);
	fake_init(&k.fs);
	xv_xs_follow_init(&f, backend, layout, &ops, &k, &log);
	xv_meta_init(&before, backend);
	xv_meta_init(&fresh, backend);
	follow(&f);
	for (size_t at = size ? 1 : 0; at < size;) {
		char *line = text + at, *nl = memchr(line, '\n', size - at);
		size_t len = nl ? (size_t)(nl - line) : size - at;
		int rc;

		line[len] = '\0';
		at += len + 1;
		if (len == 0)
			continue;
		bool fail = k.fail_next && line[0] != '!';
		size_t fired = change(&k, line, len);

		k.fs.fail_errno = fail ? EIO : 0;
		k.fail_next &= !fail;
		rc = follow(&f);
		if (rc < 0 || !fresh_reading(&k, layout, &fresh)) {
			known = false; /* lost: read again once back */
			continue;
		}
		if (known && rc == 0 && !same_meta(&f.meta, &before, false))
			differ("the reading changed, the read said not", line, &f.meta,
			       &before);
		if (!same_meta(&f.meta, &fresh, true)) {
			if (fired && !shares_uuid(&f.meta))
				differ("its events left the reading stale", line, &f.meta,
				       &fresh);
			/* Unseen: a full read catches up. */
			queue_event(&k, f.meta.backend_dir);
			if (follow(&f) < 0) {
				known = false;
				continue;
			}
			if (!same_meta(&f.meta, &fresh, true))
				differ("a full read does not catch up", line, &f.meta, &fresh);
		}
		/* The next change starts from here. */
		struct xv_meta t = before;
		before = fresh;
		fresh = t;
		known = true;
	}
	/* Reading an unchanged store again changes nothing. */
	if (fresh_reading(&k, layout, &fresh)) {
		struct xv_store st = fake_api(&k.fs);

		FUZZ_ASSERT(layout->scan_all(&fresh, &st) == 0,
			    "an unchanged store read again changed the reading");
	}
	xv_meta_free(&before);
	xv_meta_free(&fresh);
	xv_xs_follow_free(&f);
	for (size_t i = k.head; i < k.nevents; i++)
		free(k.events[i]);
	free(k.events);
	fake_free(&k.fs);
	free(text);
	return 0;
}
