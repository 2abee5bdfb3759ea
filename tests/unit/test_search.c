/* SPDX-License-Identifier: ISC */
/* The one binary search: where a key is or would go, among equals the
 * first, and what it finds. */
#include <stdlib.h>

#include "tap.h"
#include "xenvif/search.h"

static int order(const void *key, const void *item)
{
	return xv_order_u32(*(const unsigned int *)key, *(const unsigned int *)item);
}

int main(void)
{
	static const unsigned int v[] = {2, 4, 4, 4, 9};
	unsigned int k;

	k = 4;
	tap_is_u64(xv_lower_bound(v, 0, sizeof *v, &k, order), 0, "empty: 0");
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 1,
		   "among equals, the first");
	k = 1;
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 0, "before all: 0");
	k = 10;
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 5, "after all: n");
	k = 5;
	tap_is_u64(xv_lower_bound(v, 5, sizeof *v, &k, order), 4, "between: where it goes");
	tap_ok(xv_find_sorted(v, 5, sizeof *v, &k, order) == NULL, "and is not found");
	k = 9;
	tap_ok(xv_find_sorted(v, 5, sizeof *v, &k, order) == &v[4], "the last found");
	k = 2;
	tap_ok(xv_find_sorted(v, 1, sizeof *v, &k, order) == &v[0], "one item found");
	tap_ok(xv_find_sorted(v, 0, sizeof *v, &k, order) == NULL, "none in nothing");
	tap_is_u64((unsigned)(xv_order_u32(0, 4294967295U) + 1), 0, "orders the whole "
		   "range, no overflow");

	/* A sorted set grown one item at a time. */
	unsigned int *set = NULL;
	size_t n = 0, cap = 0;
	static const unsigned int in[] = {5, 1, 9, 5, 3, 1, 40};
	int added = 0;

	for (size_t i = 0; i < sizeof in / sizeof *in; i++)
		added += xv_insert_sorted((void **)&set, &n, &cap, sizeof *set, &in[i],
					  order);
	tap_is_u64(added, 5, "each new item added, the equal ones not");
	tap_ok(n == 5 && set[0] == 1 && set[1] == 3 && set[2] == 5 && set[3] == 9 &&
		       set[4] == 40, "in order");
	for (unsigned int i = 100; i > 50; i--)
		xv_insert_sorted((void **)&set, &n, &cap, sizeof *set, &i, order);
	tap_ok(n == 55 && cap >= n && set[5] == 51 && set[54] == 100,
	       "grown past its first room, still in order");
	free(set);
	return tap_done();
}
