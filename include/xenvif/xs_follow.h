/* SPDX-License-Identifier: ISC */
/*
 * Following xenstore: the connection and its watches, which domains
 * the watch events say must be read again, and the metadata read
 * (struct xv_meta).  A lost connection is said once, closed, and made
 * again at the next check; until then the last metadata stands.
 *
 * The connection is reached through struct xv_xs_conn_ops: libxenstore's
 * in the agent (xsconn.c), an in-memory one in tests.
 */
#ifndef XENVIF_XS_FOLLOW_H
#define XENVIF_XS_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/log.h"
#include "xenvif/xsmeta.h"

struct xv_xs_conn_ops {
	/* Connects: 0, or -errno with err set. */
	int (*open)(void *conn, char *err, size_t errlen);
	void (*close)(void *conn);
	bool (*is_open)(const void *conn);
	int (*fd)(const void *conn); /* readable when events wait; -1 closed */
	/* The next event's path (heap), or NULL: *rc 0 none, -errno failed. */
	char *(*next_event)(void *conn, int *rc);
	/* Watches exactly these paths from now on: 0, or -errno (what is
	 * watched then is a mix, and the next call sets it right). */
	int (*watch)(void *conn, const struct xv_watch_set *paths);
	int (*ping)(void *conn); /* 0 if xenstore still answers, -errno */
	struct xv_store (*store)(void *conn);
};

struct xv_xs_follow {
	const struct xv_xs_conn_ops *ops;
	void *conn;
	const struct xv_layout *layout; /* how the toolstack lays it out */
	const struct xv_log *log;
	unsigned int retry_seconds; /* how often check() runs, to say so */
	struct xv_meta meta;

	/* What xenstore must tell us again. */
	bool rescan_all;        /* everything */
	bool scan_new;          /* domains without a record */
	bool prune;             /* which known domains died */
	uint32_t *dirty;        /* domains to re-read, sorted */
	size_t ndirty, capdirty;
	bool failed;            /* said; said again when it is back */
};

void xv_xs_follow_init(struct xv_xs_follow *f, uint32_t backend_domid,
		       const struct xv_layout *layout,
		       const struct xv_xs_conn_ops *ops, void *conn,
		       const struct xv_log *log);
/* Closes the connection and frees the metadata. */
void xv_xs_follow_free(struct xv_xs_follow *f);

/*
 * Connects if there is no connection, else makes sure xenstore still
 * answers: a restarted xenstored drops the connection and its watches,
 * which only a request notices.  True if the connection was found lost
 * now (everything read through it is suspect).
 */
bool xv_xs_follow_check(struct xv_xs_follow *f);

/* Takes the waiting watch events: 1 if any asks for a read, 0 if none,
 * -errno if the connection failed (it is closed: lost). */
int xv_xs_follow_events(struct xv_xs_follow *f);

/* Reads what the events asked for: 1 if the metadata changed, 0 if
 * not, -errno if the connection failed (closed: lost; everything is
 * read again once it is back). */
int xv_xs_follow_read(struct xv_xs_follow *f);

/* A full picture has been read, and nothing is pending a full read. */
bool xv_xs_follow_settled(const struct xv_xs_follow *f);

int xv_xs_follow_fd(const struct xv_xs_follow *f);

#endif
