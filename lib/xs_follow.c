/* SPDX-License-Identifier: ISC */
#include "xenvif/xs_follow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/search.h"

void xv_xs_follow_init(struct xv_xs_follow *f, uint32_t backend_domid,
		       const struct xv_layout *layout,
		       const struct xv_xs_conn_ops *ops, void *conn,
		       const struct xv_log *log)
{
	memset(f, 0, sizeof *f);
	f->layout = layout;
	f->ops = ops;
	f->conn = conn;
	f->log = log;
	xv_meta_init(&f->meta, backend_domid);
}

void xv_xs_follow_free(struct xv_xs_follow *f)
{
	if (f->ops)
		f->ops->close(f->conn);
	xv_meta_free(&f->meta);
	free(f->dirty);
	f->dirty = NULL;
	f->ndirty = f->capdirty = 0;
}

/* The connection failed: said once, closed, everything read again once
 * it is back. */
static void lost(struct xv_xs_follow *f, int rc)
{
	if (!f->failed)
		xv_say(f->log, XV_LOG_WARNING, "lost xenstore (%s): serving the last "
		       "known table and reconnecting", strerror(-rc));
	f->failed = true;
	f->ops->close(f->conn);
	f->rescan_all = true;
}

/* Watches what the layout asks for, given what is known now. */
static int set_watches(struct xv_xs_follow *f)
{
	struct xv_watch_set want = {0};
	int rc = f->layout->watches(&f->meta, &want);

	if (rc == 0)
		rc = f->ops->watch(f->conn, &want);
	xv_watch_set_free(&want);
	return rc;
}

static void open_conn(struct xv_xs_follow *f)
{
	char err[256];
	int rc;

	if (f->ops->open(f->conn, err, sizeof err) < 0) {
		if (!f->failed)
			xv_say(f->log, XV_LOG_WARNING, "%s; retrying every %u s", err,
			       f->retry_seconds);
		f->failed = true;
		return;
	}
	/* Before the first reading, so that nothing it reads can change
	 * unseen after. */
	if ((rc = set_watches(f)) < 0) {
		if (!f->failed)
			xv_say(f->log, XV_LOG_WARNING, "cannot set xenstore watches: "
			       "%s; retrying every %u s", strerror(-rc),
			       f->retry_seconds);
		f->failed = true;
		f->ops->close(f->conn);
		return;
	}
	if (f->failed)
		xv_say(f->log, XV_LOG_NOTICE, "connected to xenstore again");
	f->failed = false;
	f->rescan_all = true;
}

bool xv_xs_follow_check(struct xv_xs_follow *f)
{
	bool was_lost = false;

	if (f->ops->is_open(f->conn)) {
		int rc = f->ops->ping(f->conn);

		if (rc == 0)
			return false;
		lost(f, rc < 0 ? rc : -EPIPE);
		was_lost = true;
	}
	open_conn(f);
	return was_lost;
}

static int order_domid(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key, *(const uint32_t *)item);
}

static int mark_dirty(struct xv_xs_follow *f, uint32_t domid)
{
	int rc = xv_insert_sorted((void **)&f->dirty, &f->ndirty, &f->capdirty,
				  sizeof *f->dirty, &domid, order_domid);

	return rc < 0 ? rc : 0;
}

int xv_xs_follow_events(struct xv_xs_follow *f)
{
	char *path;
	int rc = 0;
	bool any = false;

	while ((path = f->ops->next_event(f->conn, &rc))) {
		uint32_t domid;

		any = true;
		xv_say(f->log, XV_LOG_DEBUG, "xenstore watch: %s", path);
		switch (f->layout->watch_scope(&f->meta, path, &domid)) {
		case XV_WATCH_DOMAIN:
			rc = mark_dirty(f, domid);
			break;
		case XV_WATCH_ALL:
			f->rescan_all = true;
			break;
		case XV_WATCH_INTRODUCED:
			/* A new domain may own a backend tree already. */
			f->scan_new = true;
			break;
		case XV_WATCH_RELEASED:
			/* Which domain died is not said: check each. */
			f->prune = true;
			break;
		case XV_WATCH_NONE:
			break;
		}
		free(path);
		if (rc < 0)
			break;
	}
	if (rc == -ENOMEM) {
		/* A domain not marked: read everything instead. */
		f->rescan_all = true;
		return 1;
	}
	if (rc < 0) {
		lost(f, rc);
		return rc;
	}
	return any;
}

/* Reads what is pending.  1 changed, 0 not, -errno failed. */
static int read_pending(struct xv_xs_follow *f)
{
	struct xv_store store = f->ops->store(f->conn);
	int changed = 0, rc;

	if (f->rescan_all) {
		const struct xv_layout *found = f->meta.found;

		if ((rc = f->layout->scan_all(&f->meta, &store)) < 0)
			return rc;
		if (f->meta.found != found && f->meta.found)
			xv_say(f->log, XV_LOG_NOTICE, "xenstore is laid out by %s",
			       f->meta.found->name);
		changed |= rc;
		f->rescan_all = f->scan_new = f->prune = false;
		f->ndirty = 0;
	}
	if (f->prune) {
		if ((rc = f->layout->prune(&f->meta, &store)) < 0)
			return rc;
		changed |= rc;
		f->prune = false;
	}
	if (f->scan_new) {
		if ((rc = f->layout->scan_new(&f->meta, &store)) < 0)
			return rc;
		changed |= rc;
		f->scan_new = false;
	}
	while (f->ndirty > 0) {
		rc = f->layout->scan_domain(&f->meta, &store, f->dirty[f->ndirty - 1]);
		if (rc < 0)
			return rc;
		changed |= rc;
		f->ndirty--;
	}
	/* Domains that came or went change what is watched. */
	if ((rc = set_watches(f)) < 0)
		return rc;
	return changed;
}

int xv_xs_follow_read(struct xv_xs_follow *f)
{
	int rc;

	if (!f->ops->is_open(f->conn))
		return 0;
	rc = read_pending(f);
	if (rc < 0)
		lost(f, rc);
	return rc;
}

bool xv_xs_follow_settled(const struct xv_xs_follow *f)
{
	return f->ops->is_open(f->conn) && !f->rescan_all;
}

int xv_xs_follow_fd(const struct xv_xs_follow *f)
{
	return f->ops->fd(f->conn);
}
