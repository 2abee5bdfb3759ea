/* SPDX-License-Identifier: ISC */
/*
 * Sorted arrays: the one binary search of the library.  The domains,
 * vifs, rows, ports, readings and names it keeps sorted are all looked
 * up through it, with a function that orders a key against an item.
 */
#ifndef XENVIF_SEARCH_H
#define XENVIF_SEARCH_H

#include <stddef.h>

/* Negative if key comes before item, 0 if they are equal, positive if
 * it comes after. */
typedef int xv_order_fn(const void *key, const void *item);

/* The position of the first of the n items at base (size bytes each,
 * sorted) that key does not come after: where key is, or would go. */
size_t xv_lower_bound(const void *base, size_t n, size_t size, const void *key,
		      xv_order_fn *order);

/* The item equal to key, or NULL. */
void *xv_find_sorted(const void *base, size_t n, size_t size, const void *key,
		     xv_order_fn *order);

/*
 * A sorted set of items (size bytes each) in a growing array: puts item
 * where it belongs unless an equal one is there.  *items, *n and *cap
 * as xv_grow() keeps them.  1 if added, 0 if it was there, -ENOMEM.
 */
int xv_insert_sorted(void **items, size_t *n, size_t *cap, size_t size,
		     const void *item, xv_order_fn *order);

/* Orders two numbers: for order functions. */
static inline int xv_order_u32(unsigned int a, unsigned int b)
{
	return (a > b) - (a < b);
}

#endif
