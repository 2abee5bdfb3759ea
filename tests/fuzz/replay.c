/* SPDX-License-Identifier: ISC */
/*
 * A harness without libFuzzer: each input of its corpus once, as a TAP
 * test, so that every build's make check replays the seeds and the
 * inputs kept from findings (under the sanitizers in their build).
 *
 *   replay_NAME [DIR]   (default: $XVA_SRCDIR/tests/fuzz/corpus/NAME)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;

	if (!f)
		return -1;
	if (fstat(fileno(f), &st) < 0 || !(*data = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		return -1;
	}
	*size = fread(*data, 1, (size_t)st.st_size, f);
	fclose(f);
	return 0;
}

static int regular(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/'), *name, *srcdir = getenv("XVA_SRCDIR");
	char dir[4096], path[8192];
	struct dirent **list;
	int n, failed = 0;

	self = self ? self + 1 : argv[0];
	if (strncmp(self, "lt-", 3) == 0)
		self += 3;
	name = strncmp(self, "replay_", 7) == 0 ? self + 7 : self;
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".",
			 name);
	if ((n = scandir(dir, &list, regular, alphasort)) < 0) {
		printf("1..0 # SKIP no corpus %s\n", dir);
		return 0;
	}
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++) {
		uint8_t *data = NULL;
		size_t size = 0;

		snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
		if (read_file(path, &data, &size) < 0) {
			printf("not ok %d - %s: cannot read it\n", i + 1, list[i]->d_name);
			failed = 1;
		} else {
			/* A property that fails aborts: the test fails there. */
			LLVMFuzzerTestOneInput(data, size);
			printf("ok %d - %s %s\n", i + 1, name, list[i]->d_name);
			fflush(stdout);
		}
		free(data);
		free(list[i]);
	}
	free(list);
	return failed;
}
