/* SPDX-License-Identifier: ISC */
/*
 * Room for one more item in a growing array: the lists of links,
 * readings, domains and names the library builds all grow the same way.
 */
#ifndef XENVIF_GROWTH_H
#define XENVIF_GROWTH_H

#include <stddef.h>

/*
 * items holds *cap items of size bytes, n of them used.  Returns an
 * array with room for n + 1 (items itself, or a larger copy, with *cap
 * updated: doubled, or first if it was empty), or NULL with items and
 * *cap unchanged (no memory).
 */
void *xv_grow(void *items, size_t *cap, size_t n, size_t size, size_t first);

#endif
