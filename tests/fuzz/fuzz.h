/* SPDX-License-Identifier: ISC */
/*
 * What the libFuzzer harnesses share.  Each harness feeds one parser of
 * outside input from LLVMFuzzerTestOneInput, frees all it made before
 * returning (LeakSanitizer checks), and keeps no state between inputs.
 * A property that does not hold aborts: libFuzzer keeps the input.
 */
#ifndef XV_FUZZ_H
#define XV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...)                                                  \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__,   \
				__LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			abort();                                                 \
		}                                                                \
	} while (0)

/* The input taken a piece at a time; past its end, zeros. */
struct fuzz_reader {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_u8(struct fuzz_reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return *r->p++;
}

static inline uint32_t fuzz_u32(struct fuzz_reader *r)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | fuzz_u8(r);
	return v;
}

/* Up to max bytes into out as a NUL-terminated string (the length
 * first, one byte); returns its length. */
static inline size_t fuzz_text(struct fuzz_reader *r, char *out, size_t max)
{
	size_t n = fuzz_u8(r) % (max + 1);

	if (n > r->left)
		n = r->left;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)fuzz_u8(r);
	out[n] = '\0';
	return n;
}

#endif
