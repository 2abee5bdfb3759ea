/* SPDX-License-Identifier: ISC */
/* A small TAP producer for the unit tests (automake's tap-driver reads it). */
#ifndef XV_TAP_H
#define XV_TAP_H

#include <stddef.h>
#include <stdint.h>

int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_u64(uint64_t got, uint64_t expected, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_is_str(const char *got, const char *expected, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_is_mem(const void *got, size_t got_len, const void *expected,
	       size_t expected_len, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A check not run here, and why. */
void tap_skip(const char *desc, const char *why);
/* Prints the plan; returns the exit status (non-zero if any failed). */
int tap_done(void);

#endif
