/* SPDX-License-Identifier: ISC */
#include "xenvif/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenvif/growth.h"
#include "xenvif/search.h"

void xv_registry_init(struct xv_registry *r)
{
	memset(r, 0, sizeof *r);
}

void xv_registry_free(struct xv_registry *r, void (*free_entry)(struct xv_entry *))
{
	for (size_t i = 0; i < r->n; i++)
		free_entry(r->by_index[i]);
	free(r->by_index);
	free(r->by_key);
	free(r->active);
	memset(r, 0, sizeof *r);
}

static int order_index(const void *key, const void *item)
{
	return xv_order_u32(*(const uint32_t *)key,
			    (*(struct xv_entry *const *)item)->index);
}

static int order_key(const void *key, const void *item)
{
	return strcmp(key, (*(struct xv_entry *const *)item)->key);
}

static size_t index_slot(struct xv_entry *const *v, size_t n, uint32_t index)
{
	return xv_lower_bound(v, n, sizeof *v, &index, order_index);
}

static size_t key_slot(const struct xv_registry *r, const char *key)
{
	return xv_lower_bound(r->by_key, r->n, sizeof *r->by_key, key, order_key);
}

struct xv_entry *xv_registry_find_index(const struct xv_registry *r, uint32_t index)
{
	size_t i = index_slot(r->by_index, r->n, index);

	return i < r->n && r->by_index[i]->index == index ? r->by_index[i] : NULL;
}

struct xv_entry *xv_registry_find_key(const struct xv_registry *r, const char *key)
{
	size_t i = key_slot(r, key);

	return i < r->n && strcmp(r->by_key[i]->key, key) == 0 ? r->by_key[i] : NULL;
}

uint32_t xv_registry_new_index(const struct xv_registry *r, const char *key)
{
	/* FNV-1a: the same key gives the same index even if the state
	 * file is lost, so pollers keep their series. */
	uint32_t h = 2166136261U;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619U;
	h &= XV_INDEX_MAX;
	if (h == 0)
		h = 1;
	while (xv_registry_find_index(r, h))
		h = h == XV_INDEX_MAX ? 1 : h + 1;
	return h;
}

int xv_registry_add(struct xv_registry *r, struct xv_entry *e)
{
	size_t ii, ki;

	if (e->index == 0 || e->index > XV_INDEX_MAX)
		return -EINVAL;
	if (xv_registry_find_index(r, e->index) || xv_registry_find_key(r, e->key))
		return -EEXIST;
	if (r->n == r->cap) {
		/* The three arrays grow in step; the view can hold every
		 * entry, so rebuilding it never needs memory. */
		size_t cap_index = r->cap, cap_key = r->cap, cap_active = r->cap;
		struct xv_entry **a;

		if (!(a = xv_grow(r->by_index, &cap_index, r->n, sizeof *a, 64)))
			return -ENOMEM;
		r->by_index = a;
		if (!(a = xv_grow(r->by_key, &cap_key, r->n, sizeof *a, 64)))
			return -ENOMEM;
		r->by_key = a;
		if (!(a = xv_grow(r->active, &cap_active, r->n, sizeof *a, 64)))
			return -ENOMEM;
		r->active = a;
		r->cap = cap_index;
	}
	ii = index_slot(r->by_index, r->n, e->index);
	ki = key_slot(r, e->key);
	memmove(&r->by_index[ii + 1], &r->by_index[ii], (r->n - ii) * sizeof *r->by_index);
	memmove(&r->by_key[ki + 1], &r->by_key[ki], (r->n - ki) * sizeof *r->by_key);
	r->by_index[ii] = r->by_key[ki] = e;
	r->n++;
	return 0;
}

void xv_registry_rebuild_view(struct xv_registry *r)
{
	r->nactive = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->by_index[i]->active)
			r->active[r->nactive++] = r->by_index[i];
}

size_t xv_registry_active_from(const struct xv_registry *r, uint32_t index)
{
	return index_slot(r->active, r->nactive, index);
}
