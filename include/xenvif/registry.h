/* SPDX-License-Identifier: ISC */
/*
 * Entries with a stable index and an identity key: the vif rows and
 * the VMs.  An entry's index comes from a hash of its key, so the same
 * identity gets the same index even without the state file; a taken
 * index moves the new one on.  Entries are never removed: an identity
 * keeps its index for good.  The served ones (active) form a view
 * sorted by index, which SNMP lookups binary-search.
 *
 * struct xv_entry is the first member of the structures kept here, so
 * a pointer to one converts to a pointer to the other.
 */
#ifndef XENVIF_REGISTRY_H
#define XENVIF_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XV_INDEX_MAX 2147483647U

struct xv_entry {
	uint32_t index; /* 1..XV_INDEX_MAX */
	char *key;
	bool active;    /* served */
};

struct xv_registry {
	struct xv_entry **by_index; /* every entry, by index */
	struct xv_entry **by_key;   /* the same, by key */
	size_t n, cap;
	struct xv_entry **active;   /* the served ones, by index */
	size_t nactive;
};

void xv_registry_init(struct xv_registry *r);
/* Frees the arrays, and each entry with free_entry. */
void xv_registry_free(struct xv_registry *r, void (*free_entry)(struct xv_entry *));

struct xv_entry *xv_registry_find_index(const struct xv_registry *r, uint32_t index);
struct xv_entry *xv_registry_find_key(const struct xv_registry *r, const char *key);

/* The index a new key would get. */
uint32_t xv_registry_new_index(const struct xv_registry *r, const char *key);

/* Adds e (its index and key set, key heap-owned by e from now on).
 * -EINVAL for an index out of range, -EEXIST if the index or key is
 * taken, -ENOMEM. */
int xv_registry_add(struct xv_registry *r, struct xv_entry *e);

/* Rebuilds the served view from the entries' active flags. */
void xv_registry_rebuild_view(struct xv_registry *r);

/* Position in the served view of the first entry with index >= index. */
size_t xv_registry_active_from(const struct xv_registry *r, uint32_t index);

#endif
