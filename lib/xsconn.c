#include "xenvif/xsconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xenvif/search.h"

#define XV_WATCH_TOKEN "xen-vif-agent"

void xv_xsconn_init(struct xv_xsconn *c, const char *backend_dir)
{
	memset(c, 0, sizeof *c);
	snprintf(c->backend_dir, sizeof c->backend_dir, "%s", backend_dir);
}

bool xv_xsconn_is_open(const struct xv_xsconn *c)
{
	return c->h != NULL;
}

int xv_xsconn_fd(const struct xv_xsconn *c)
{
	return c->h ? xs_fileno(c->h) : -1;
}

void xv_xsconn_close(struct xv_xsconn *c)
{
	if (c->h)
		xs_close(c->h);
	c->h = NULL;
	free(c->named);
	c->named = NULL;
	c->nnamed = c->capnamed = 0;
}

int xv_xsconn_open(struct xv_xsconn *c, char *err, size_t errlen)
{
	static const char *const fixed[] = {"@introduceDomain", "@releaseDomain"};
	int e;

	xv_xsconn_close(c);
	errno = 0;
	c->h = xs_open(0);
	if (!c->h) {
		e = errno ? errno : ENOENT;
		snprintf(err, errlen, "cannot connect to xenstore: %s", strerror(e));
		return -e;
	}
	for (size_t i = 0; i < 2; i++) {
		if (!xs_watch(c->h, fixed[i], XV_WATCH_TOKEN))
			goto failed;
	}
	/* Watching a node that does not exist yet works: the event
	 * fires when the toolstack creates it. */
	if (!xs_watch(c->h, c->backend_dir, XV_WATCH_TOKEN))
		goto failed;
	return 0;
failed:
	e = errno ? errno : EIO;
	snprintf(err, errlen, "cannot set xenstore watches: %s", strerror(e));
	xv_xsconn_close(c);
	return -e;
}

char *xv_xsconn_next_event(struct xv_xsconn *c, int *rc)
{
	char **ev, *path;

	*rc = 0;
	if (!c->h)
		return NULL;
	errno = 0;
	ev = xs_check_watch(c->h);
	if (!ev) {
		if (errno != EAGAIN && errno != 0)
			*rc = -errno;
		return NULL;
	}
	path = strdup(ev[XS_WATCH_PATH]);
	free(ev);
	if (!path)
		*rc = -ENOMEM;
	return path;
}

static int order_u32(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key, *(const uint32_t *)item);
}

static bool contains(const uint32_t *v, size_t n, uint32_t x)
{
	return xv_find_sorted(v, n, sizeof *v, &x, order_u32) != NULL;
}

int xv_xsconn_watch_names(struct xv_xsconn *c, const struct xv_meta *meta)
{
	uint32_t *now;
	char path[64];

	if (!c->h)
		return -ENOTCONN;
	now = malloc((meta->n ? meta->n : 1) * sizeof *now);
	if (!now)
		return -ENOMEM;
	for (size_t i = 0; i < meta->n; i++)
		now[i] = meta->doms[i].domid;
	/* Both lists are sorted by domid. */
	for (size_t i = 0; i < c->nnamed; i++) {
		if (contains(now, meta->n, c->named[i]))
			continue;
		snprintf(path, sizeof path, "/local/domain/%u/name", c->named[i]);
		xs_unwatch(c->h, path, XV_WATCH_TOKEN);
	}
	for (size_t i = 0; i < meta->n; i++) {
		if (contains(c->named, c->nnamed, now[i]))
			continue;
		snprintf(path, sizeof path, "/local/domain/%u/name", now[i]);
		if (!xs_watch(c->h, path, XV_WATCH_TOKEN)) {
			int e = errno ? errno : EIO;

			/* Keep the old list: the next call tries again. */
			free(now);
			return -e;
		}
	}
	free(c->named);
	c->named = now;
	c->nnamed = c->capnamed = meta->n;
	return 0;
}

int xv_xsconn_ping(struct xv_xsconn *c)
{
	char *path;

	if (!c->h)
		return -ENOTCONN;
	/* Answered by xenstored itself, whatever the permissions: also
	 * from a driver domain, which may not read dom0's nodes. */
	errno = 0;
	path = xs_get_domain_path(c->h, 0);
	if (path) {
		free(path);
		return 0;
	}
	return -(errno ? errno : EIO);
}

static void *store_read(void *ctx, const char *path, size_t *len)
{
	struct xv_xsconn *c = ctx;
	unsigned int n = 0;
	void *v;

	if (!c->h) {
		errno = ENOTCONN;
		return NULL;
	}
	v = xs_read(c->h, XBT_NULL, path, &n);
	*len = n;
	return v;
}

static char **store_directory(void *ctx, const char *path, unsigned int *num)
{
	struct xv_xsconn *c = ctx;

	if (!c->h) {
		errno = ENOTCONN;
		return NULL;
	}
	return xs_directory(c->h, XBT_NULL, path, num);
}

static int store_domain_live(void *ctx, uint32_t domid)
{
	struct xv_xsconn *c = ctx;

	if (!c->h)
		return -ENOTCONN;
	/* libxenstore answers false both for "no" and for a failed
	 * request.  errno may be stale after a success, so a failure is
	 * believed only if xenstore then fails a plain read too. */
	errno = 0;
	if (xs_is_domain_introduced(c->h, domid))
		return 1;
	if (errno == 0)
		return 0;
	int rc = xv_xsconn_ping(c);
	return rc < 0 ? rc : 0;
}

struct xv_store xv_xsconn_store(struct xv_xsconn *c)
{
	return (struct xv_store){
		.read = store_read,
		.directory = store_directory,
		.domain_live = store_domain_live,
		.ctx = c,
	};
}

/* ---- as the xenstore follower's connection ------------------------- */

static int conn_open(void *c, char *err, size_t errlen)
{
	return xv_xsconn_open(c, err, errlen);
}

static void conn_close(void *c)
{
	xv_xsconn_close(c);
}

static bool conn_is_open(const void *c)
{
	return xv_xsconn_is_open(c);
}

static int conn_fd(const void *c)
{
	return xv_xsconn_fd(c);
}

static char *conn_next_event(void *c, int *rc)
{
	return xv_xsconn_next_event(c, rc);
}

static int conn_watch_names(void *c, const struct xv_meta *meta)
{
	return xv_xsconn_watch_names(c, meta);
}

static int conn_ping(void *c)
{
	return xv_xsconn_ping(c);
}

static struct xv_store conn_store(void *c)
{
	return xv_xsconn_store(c);
}

const struct xv_xs_conn_ops xv_libxenstore_conn = {
	.open = conn_open,
	.close = conn_close,
	.is_open = conn_is_open,
	.fd = conn_fd,
	.next_event = conn_next_event,
	.watch_names = conn_watch_names,
	.ping = conn_ping,
	.store = conn_store,
};
