/* SPDX-License-Identifier: ISC */
#include "fake_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fake_init(struct fake_store *fs)
{
	memset(fs, 0, sizeof *fs);
	fake_set_live(fs, 0, true);
}

void fake_free(struct fake_store *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->nodes[i].path);
		free(fs->nodes[i].value);
	}
	free(fs->nodes);
	memset(fs, 0, sizeof *fs);
}

/* FNV-1a: a fuzzer reads the store thousands of times per input, and
 * most nodes are then told apart by a number instead of a string. */
static uint32_t path_hash(const char *path)
{
	uint32_t h = 2166136261U;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 16777619U;
	return h;
}

static struct fake_node *find(struct fake_store *fs, const char *path)
{
	uint32_t h = path_hash(path);

	for (size_t i = 0; i < fs->n; i++)
		if (fs->nodes[i].hash == h && strcmp(fs->nodes[i].path, path) == 0)
			return &fs->nodes[i];
	return NULL;
}

bool fake_exists(struct fake_store *fs, const char *path)
{
	return find(fs, path) != NULL;
}

void fake_write_bytes(struct fake_store *fs, const char *path, const void *v,
		      size_t len)
{
	struct fake_node *node = find(fs, path);

	if (!node) {
		fs->nodes = realloc(fs->nodes, (fs->n + 1) * sizeof *fs->nodes);
		node = &fs->nodes[fs->n++];
		node->path = strdup(path);
		node->hash = path_hash(path);
		node->value = NULL;
	}
	free(node->value);
	node->value = malloc(len + 1);
	memcpy(node->value, v, len);
	node->value[len] = '\0';
	node->len = len;
}

void fake_write(struct fake_store *fs, const char *path, const char *value)
{
	fake_write_bytes(fs, path, value, strlen(value));
}

static bool below(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	/* The cheap test first (see path_hash). */
	return strlen(path) > len && path[len] == '/' && strncmp(path, dir, len) == 0;
}

void fake_rm(struct fake_store *fs, const char *path)
{
	size_t keep = 0;

	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->nodes[i].path, path) == 0 || below(fs->nodes[i].path, path)) {
			free(fs->nodes[i].path);
			free(fs->nodes[i].value);
		} else {
			fs->nodes[keep++] = fs->nodes[i];
		}
	}
	fs->n = keep;
}

void fake_set_live(struct fake_store *fs, uint32_t domid, bool live)
{
	size_t keep = 0;

	for (size_t i = 0; i < fs->nlive; i++)
		if (fs->live[i] != domid)
			fs->live[keep++] = fs->live[i];
	fs->nlive = keep;
	if (live)
		fs->live[fs->nlive++] = domid;
}

static void *api_read(void *ctx, const char *path, size_t *len)
{
	struct fake_store *fs = ctx;
	struct fake_node *node;
	char *copy;

	if (fs->fail_errno) {
		errno = fs->fail_errno;
		return NULL;
	}
	fs->reads++;
	node = find(fs, path);
	if (!node) {
		errno = ENOENT;
		return NULL;
	}
	copy = malloc(node->len + 1);
	memcpy(copy, node->value, node->len + 1);
	*len = node->len;
	return copy;
}

static char **api_directory(void *ctx, const char *path, unsigned int *num)
{
	struct fake_store *fs = ctx;
	size_t plen = strlen(path), count = 0, bytes = 0;
	const char **names = calloc(fs->n + 1, sizeof *names);
	size_t *lens = calloc(fs->n + 1, sizeof *lens);
	bool exists = find(fs, path) != NULL;

	if (fs->fail_errno) {
		free(names);
		free(lens);
		errno = fs->fail_errno;
		return NULL;
	}
	fs->reads++;
	for (size_t i = 0; i < fs->n; i++) {
		const char *p = fs->nodes[i].path;
		size_t len;
		bool seen = false;

		if (!below(p, path))
			continue;
		exists = true;
		p += plen + 1;
		len = strcspn(p, "/");
		for (size_t j = 0; j < count; j++)
			if (lens[j] == len && strncmp(names[j], p, len) == 0)
				seen = true;
		if (seen)
			continue;
		names[count] = p;
		lens[count++] = len;
		bytes += len + 1;
	}
	if (!exists) {
		free(names);
		free(lens);
		errno = ENOENT;
		return NULL;
	}
	/* One block, as libxenstore returns it. */
	char **out = malloc((count + 1) * sizeof *out + bytes);
	char *s = (char *)(out + count + 1);
	for (size_t j = 0; j < count; j++) {
		out[j] = s;
		memcpy(s, names[j], lens[j]);
		s[lens[j]] = '\0';
		s += lens[j] + 1;
	}
	*num = (unsigned int)count;
	free(names);
	free(lens);
	return out;
}

static int api_domain_live(void *ctx, uint32_t domid)
{
	struct fake_store *fs = ctx;

	if (fs->fail_errno)
		return -fs->fail_errno;
	fs->reads++;
	for (size_t i = 0; i < fs->nlive; i++)
		if (fs->live[i] == domid)
			return 1;
	return 0;
}

struct xv_store fake_api(struct fake_store *fs)
{
	return (struct xv_store){.read = api_read,
				 .directory = api_directory,
				 .domain_live = api_domain_live,
				 .ctx = fs};
}

void fake_add_vm(struct fake_store *fs, uint32_t domid, const char *name,
		 const char *uuid, uint32_t devid, const char *mac,
		 const char *bridge)
{
	char path[256], value[256];

	snprintf(path, sizeof path, "/local/domain/%u/name", domid);
	fake_write(fs, path, name);
	snprintf(path, sizeof path, "/local/domain/%u/vm", domid);
	snprintf(value, sizeof value, "/vm/%s", uuid);
	fake_write(fs, path, value);
	snprintf(path, sizeof path, "/local/domain/0/backend/vif/%u/%u/state", domid, devid);
	fake_write(fs, path, "4");
	if (mac) {
		snprintf(path, sizeof path, "/local/domain/0/backend/vif/%u/%u/mac", domid,
			 devid);
		fake_write(fs, path, mac);
	}
	if (bridge) {
		snprintf(path, sizeof path, "/local/domain/0/backend/vif/%u/%u/bridge",
			 domid, devid);
		fake_write(fs, path, bridge);
	}
	fake_set_live(fs, domid, true);
}
