/* SPDX-License-Identifier: ISC */
/*
 * The xenstore paths a toolstack's layout asks to be watched: built by
 * the layout from what it knows, kept by the connection as what it
 * watches.  Sorted, each path once.
 */
#ifndef XENVIF_WATCH_SET_H
#define XENVIF_WATCH_SET_H

#include <stdbool.h>
#include <stddef.h>

/* Longer than any path a layout watches; xenstore's own limit is far
 * above, but nothing watched comes near this. */
#define XV_WATCH_PATH_MAX 128

struct xv_watch_set {
	char (*paths)[XV_WATCH_PATH_MAX];
	size_t n, cap;
};

/* 0 (added, or there already), -ENAMETOOLONG, -ENOMEM. */
int xv_watch_set_add(struct xv_watch_set *s, const char *path);
bool xv_watch_set_has(const struct xv_watch_set *s, const char *path);
/* Drops the i-th path. */
void xv_watch_set_remove(struct xv_watch_set *s, size_t i);
void xv_watch_set_free(struct xv_watch_set *s);

#endif
