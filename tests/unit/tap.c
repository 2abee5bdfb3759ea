/* SPDX-License-Identifier: ISC */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int count, failed;

static int report(int cond, const char *fmt, va_list ap)
{
	count++;
	printf("%sok %d - ", cond ? "" : "not ", count);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond)
		failed++;
	return cond;
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int tap_is_u64(uint64_t got, uint64_t expected, const char *fmt, ...)
{
	va_list ap;
	int cond = got == expected;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#      got: %llu\n# expected: %llu\n", (unsigned long long)got,
		       (unsigned long long)expected);
	return cond;
}

static void print_escaped(const char *label, const void *p, size_t len)
{
	const unsigned char *s = p;

	printf("# %8s: ", label);
	if (!p) {
		printf("(null)\n");
		return;
	}
	for (size_t i = 0; i < len; i++)
		printf(s[i] >= 0x20 && s[i] < 0x7f ? "%c" : "\\x%02x", s[i]);
	printf("\n");
}

int tap_is_str(const char *got, const char *expected, const char *fmt, ...)
{
	va_list ap;
	int cond = got && expected ? strcmp(got, expected) == 0 : got == expected;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		print_escaped("got", got, got ? strlen(got) : 0);
		print_escaped("expected", expected, expected ? strlen(expected) : 0);
	}
	return cond;
}

int tap_is_mem(const void *got, size_t got_len, const void *expected,
	       size_t expected_len, const char *fmt, ...)
{
	va_list ap;
	int cond = got_len == expected_len && memcmp(got, expected, got_len) == 0;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		print_escaped("got", got, got_len);
		print_escaped("expected", expected, expected_len);
	}
	return cond;
}

void tap_skip(const char *desc, const char *why)
{
	count++;
	printf("ok %d - %s # SKIP %s\n", count, desc, why);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int tap_done(void)
{
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
