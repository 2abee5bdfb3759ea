/* SPDX-License-Identifier: ISC */
#include "xenvif/xsconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>


#define XV_WATCH_TOKEN "xen-vif-agent"

void xv_xsconn_init(struct xv_xsconn *c)
{
	memset(c, 0, sizeof *c);
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
	/* The watches went with the connection. */
	xv_watch_set_free(&c->watched);
}

int xv_xsconn_open(struct xv_xsconn *c, char *err, size_t errlen)
{
	int e;

	xv_xsconn_close(c);
	errno = 0;
	c->h = xs_open(0);
	if (!c->h) {
		e = errno ? errno : ENOENT;
		snprintf(err, errlen, "cannot connect to xenstore: %s", strerror(e));
		return -e;
	}
	return 0;
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

int xv_xsconn_watch(struct xv_xsconn *c, const struct xv_watch_set *want)
{
	if (!c->h)
		return -ENOTCONN;
	for (size_t i = c->watched.n; i-- > 0;) {
		if (xv_watch_set_has(want, c->watched.paths[i]))
			continue;
		xs_unwatch(c->h, c->watched.paths[i], XV_WATCH_TOKEN);
		xv_watch_set_remove(&c->watched, i);
	}
	for (size_t i = 0; i < want->n; i++) {
		const char *path = want->paths[i];
		int rc;

		if (xv_watch_set_has(&c->watched, path))
			continue;
		if (!xs_watch(c->h, path, XV_WATCH_TOKEN))
			return -(errno ? errno : EIO);
		/* Watched but not recorded would be watched twice later. */
		if ((rc = xv_watch_set_add(&c->watched, path)) < 0) {
			xs_unwatch(c->h, path, XV_WATCH_TOKEN);
			return rc;
		}
	}
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

static int conn_watch(void *c, const struct xv_watch_set *paths)
{
	return xv_xsconn_watch(c, paths);
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
	.watch = conn_watch,
	.ping = conn_ping,
	.store = conn_store,
};
