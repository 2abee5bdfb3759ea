/* SPDX-License-Identifier: ISC */
/* An in-memory xenstore for unit tests, behind struct xv_store. */
#ifndef XV_FAKE_STORE_H
#define XV_FAKE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenvif/xsmeta.h"

struct fake_node {
	char *path;
	uint32_t hash; /* of path: lookups compare it first */
	char *value;
	size_t len;
};

struct fake_store {
	struct fake_node *nodes;
	size_t n;
	uint32_t live[256];
	size_t nlive;
	int fail_errno;     /* every request fails with it when set */
	unsigned int reads; /* requests answered */
};

void fake_init(struct fake_store *fs);
void fake_free(struct fake_store *fs);
void fake_write(struct fake_store *fs, const char *path, const char *value);
void fake_write_bytes(struct fake_store *fs, const char *path, const void *v,
		      size_t len);
void fake_rm(struct fake_store *fs, const char *path); /* and below */
bool fake_exists(struct fake_store *fs, const char *path);
void fake_set_live(struct fake_store *fs, uint32_t domid, bool live);
struct xv_store fake_api(struct fake_store *fs);

/* Writes what the toolstack writes for a running VM with one vif, and
 * marks it live; mac and bridge may be NULL. */
void fake_add_vm(struct fake_store *fs, uint32_t domid, const char *name,
		 const char *uuid, uint32_t devid, const char *mac,
		 const char *bridge);

#endif
