/* SPDX-License-Identifier: ISC */
#include "xenvif/search.h"

#include <errno.h>
#include <string.h>

#include "xenvif/growth.h"

size_t xv_lower_bound(const void *base, size_t n, size_t size, const void *key,
		      xv_order_fn *order)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (order(key, (const char *)base + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *xv_find_sorted(const void *base, size_t n, size_t size, const void *key,
		     xv_order_fn *order)
{
	size_t i = xv_lower_bound(base, n, size, key, order);
	const char *item = (const char *)base + i * size;

	return i < n && order(key, item) == 0 ? (void *)item : NULL;
}

int xv_insert_sorted(void **items, size_t *n, size_t *cap, size_t size,
		     const void *item, xv_order_fn *order)
{
	size_t i = xv_lower_bound(*items, *n, size, item, order);
	char *v;

	if (i < *n && order(item, (char *)*items + i * size) == 0)
		return 0;
	if (!(v = xv_grow(*items, cap, *n, size, 16)))
		return -ENOMEM;
	*items = v;
	memmove(v + (i + 1) * size, v + i * size, (*n - i) * size);
	memcpy(v + i * size, item, size);
	(*n)++;
	return 1;
}
