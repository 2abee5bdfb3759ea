/* SPDX-License-Identifier: ISC */
#include "xenvif/growth.h"

#include <stdint.h>
#include <stdlib.h>

void *xv_grow(void *items, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want;
	void *grown;

	if (n < *cap)
		return items;
	want = *cap ? *cap * 2 : first;
	if (want < *cap || (size && want > SIZE_MAX / size))
		return NULL;
	if (!(grown = realloc(items, want * size)))
		return NULL;
	*cap = want;
	return grown;
}
