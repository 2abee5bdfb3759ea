#include "xenvif/search.h"

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
