/* SPDX-License-Identifier: ISC */
/*
 * The connection to xenstore through libxenstore: the watches the
 * toolstack's layout asks for, their events, and a struct xv_store for
 * reading.
 *
 * libxenstore runs its own reader thread once a watch exists, to sort
 * watch events from replies; it only moves bytes into a queue and
 * never calls back into the agent, whose code stays single-threaded.
 */
#ifndef XENVIF_XSCONN_H
#define XENVIF_XSCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/watch_set.h"
#include "xenvif/xs_follow.h"
#include "xenvif/xsmeta.h"

struct xs_handle;

struct xv_xsconn {
	struct xs_handle *h;
	struct xv_watch_set watched;
};

void xv_xsconn_init(struct xv_xsconn *c);

/* Connects, watching nothing yet.  0, or -errno with err set. */
int xv_xsconn_open(struct xv_xsconn *c, char *err, size_t errlen);
void xv_xsconn_close(struct xv_xsconn *c);
bool xv_xsconn_is_open(const struct xv_xsconn *c);

/* Readable when watch events wait; -1 when closed. */
int xv_xsconn_fd(const struct xv_xsconn *c);

/*
 * The next pending watch event's path (heap string for the caller to
 * free), or NULL with *rc 0 when none is pending, or NULL with *rc
 * -errno when the connection failed.
 */
char *xv_xsconn_next_event(struct xv_xsconn *c, int *rc);

/* Watches exactly these paths from now on.  0, or -errno: what is
 * watched then is what was, with the changes made before the failure. */
int xv_xsconn_watch(struct xv_xsconn *c, const struct xv_watch_set *want);

/* A cheap request to tell whether xenstore still answers.  0 or -errno. */
int xv_xsconn_ping(struct xv_xsconn *c);

struct xv_store xv_xsconn_store(struct xv_xsconn *c);

/* These functions as the xenstore follower's connection (conn: a
 * struct xv_xsconn). */
extern const struct xv_xs_conn_ops xv_libxenstore_conn;

#endif
