/* SPDX-License-Identifier: ISC */
#include "xenvif/watch_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/search.h"

static int order_path(const void *key, const void *item)
{
	return strcmp(key, item);
}

int xv_watch_set_add(struct xv_watch_set *s, const char *path)
{
	char item[XV_WATCH_PATH_MAX];

	if (strlen(path) >= sizeof item)
		return -ENAMETOOLONG;
	/* The whole slot is copied: no bytes left unset. */
	memset(item, 0, sizeof item);
	strcpy(item, path);
	int rc = xv_insert_sorted((void **)&s->paths, &s->n, &s->cap, sizeof item,
				  item, order_path);
	return rc < 0 ? rc : 0;
}

bool xv_watch_set_has(const struct xv_watch_set *s, const char *path)
{
	return xv_find_sorted(s->paths, s->n, sizeof *s->paths, path, order_path) != NULL;
}

void xv_watch_set_remove(struct xv_watch_set *s, size_t i)
{
	memmove(&s->paths[i], &s->paths[i + 1], (s->n - i - 1) * sizeof *s->paths);
	s->n--;
}

void xv_watch_set_free(struct xv_watch_set *s)
{
	free(s->paths);
	s->paths = NULL;
	s->n = s->cap = 0;
}
