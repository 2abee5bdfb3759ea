/* SPDX-License-Identifier: ISC */
/*
 * xenstore values and kernel names: the cleaning every text passes
 * before a poller sees it, and the parsers of MACs, UUIDs, numbers,
 * device pairs and netback's rate.
 *
 * Input: one byte of parameters (output size, bounds), then the text.
 * Properties: cleaned text is valid UTF-8 (ASCII in ASCII mode) without
 * controls, within its bounds, and cleaning it again changes nothing;
 * whatever a parser accepts, printing the value back gives the text
 * (in canonical case), and a canonical text is accepted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "xenvif/text.h"
#include "xenvif/xsmeta.h"

/* An independent reading of UTF-8: the length of a well-formed
 * character at s (shortest form, no surrogate, at most U+10FFFF) and
 * its code point, or 0. */
static size_t utf8_char(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2
				 : (s[0] & 0xf0) == 0xe0 ? 3
				 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};

	if (n == 0 || n > len)
		return 0;
	*cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < least[n] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

static void check_clean(const uint8_t *in, size_t inlen, size_t outsz,
			enum xv_text_kind kind)
{
	char out[300], again[300];
	size_t n = xv_text_clean(out, outsz, in, inlen, kind);
	size_t limit = outsz - 1 < XV_TEXT_MAX ? outsz - 1 : XV_TEXT_MAX;

	FUZZ_ASSERT(n == strlen(out), "length %zu, string %zu", n, strlen(out));
	FUZZ_ASSERT(n <= limit, "%zu octets in a room of %zu", n, limit);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_char((const unsigned char *)out + i, n - i, &cp);

		FUZZ_ASSERT(len > 0, "invalid UTF-8 at %zu", i);
		FUZZ_ASSERT(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f),
			    "control U+%04" PRIX32 " at %zu", cp, i);
		FUZZ_ASSERT(kind == XV_TEXT_UTF8 || cp < 0x80,
			    "non-ASCII U+%04" PRIX32 " in ASCII mode", cp);
		i += len;
	}
	/* Clean text is its own cleaning: nothing is cleaned twice. */
	FUZZ_ASSERT(xv_text_clean(again, outsz, out, n, kind) == n &&
		    memcmp(again, out, n) == 0, "cleaning is not idempotent");
	if (outsz > XV_TEXT_MAX) {
		char *dup = xv_text_clean_dup(in, inlen, kind);

		FUZZ_ASSERT(dup && strcmp(dup, out) == 0, "the copy differs");
		free(dup);
	}
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void check_mac(const char *text, size_t len)
{
	uint8_t mac[6];
	char back[18], want[18];

	if (!xv_parse_mac(text, len, mac))
		return;
	snprintf(back, sizeof back, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	FUZZ_ASSERT(len == 17, "a MAC of %zu characters", len);
	memcpy(want, text, 17);
	want[17] = '\0';
	lower(want);
	for (int i = 2; i < 17; i += 3)
		if (want[i] == '-')
			want[i] = ':';
	FUZZ_ASSERT(strcmp(back, want) == 0, "MAC %s read as %s", want, back);
}

static void check_uuid(const char *text, size_t len)
{
	char out[37], want[37];

	if (!xv_parse_uuid(text, len, out))
		return;
	FUZZ_ASSERT(len == 36 && strlen(out) == 36, "a UUID of %zu characters", len);
	memcpy(want, text, 36);
	want[36] = '\0';
	lower(want);
	FUZZ_ASSERT(strcmp(out, want) == 0, "UUID %s read as %s", want, out);
}

/* Digits only, no leading zero, at most ten of them. */
static bool canonical_decimal(const char *s, size_t len)
{
	if (len == 0 || len > 10 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static void check_u32(const char *text, uint32_t min, uint32_t max)
{
	uint32_t v = 0;
	bool ok = xv_parse_u32(text, min, max, &v);
	char back[16];

	if (ok) {
		snprintf(back, sizeof back, "%" PRIu32, v);
		FUZZ_ASSERT(strcmp(back, text) == 0 && v >= min && v <= max,
			    "'%s' read as %s", text, back);
	} else if (canonical_decimal(text, strlen(text))) {
		unsigned long long w = strtoull(text, NULL, 10);

		FUZZ_ASSERT(w > max || w < min, "'%s' in [%u, %u] refused", text, min,
			    max);
	}
}

static void check_pair(const char *text, const char *prefix, char sep)
{
	uint32_t d, n;
	char back[64];

	if (!xv_parse_pair(text, prefix, sep, &d, &n))
		return;
	snprintf(back, sizeof back, "%s%" PRIu32 "%c%" PRIu32, prefix, d, sep, n);
	FUZZ_ASSERT(strcmp(back, text) == 0, "'%s' read as %s", text, back);
}

static void check_rate(const char *text, size_t len)
{
	uint64_t bps;
	const char *comma;
	unsigned long long bytes, usecs;

	if (!xv_parse_rate(text, len, &bps))
		return;
	comma = strchr(text, ',');
	FUZZ_ASSERT(comma && bps > 0, "accepted without a comma or at zero");
	bytes = strtoull(text, NULL, 10);
	usecs = strtoull(comma + 1, NULL, 10);
	FUZZ_ASSERT(usecs > 0 && usecs <= UINT32_MAX, "interval %llu", usecs);
	unsigned __int128 want = (unsigned __int128)bytes * 8000000U / usecs;
	FUZZ_ASSERT(bps == (want > UINT64_MAX ? UINT64_MAX : (uint64_t)want),
		    "%s: %" PRIu64 " bit/s", text, bps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t bounds[][2] = {
		{0, UINT32_MAX}, {1, 100}, {68, 65535}, {0, 0x7fef}, {5, 60},
		{1, 86400}, {0, 0xffff}, {7, 7},
	};
	uint8_t param = size ? data[0] : 0;
	const uint8_t *in = size ? data + 1 : data;
	size_t len = size ? size - 1 : 0;
	char *text = malloc(len + 1);

	if (!text)
		return 0;
	memcpy(text, in, len);
	text[len] = '\0';
	/* Sizes about the limits, and small ones that cut characters. */
	check_clean(in, len, 1 + (param & 0x1f) * 9, XV_TEXT_UTF8);
	check_clean(in, len, 1 + (param & 0x1f) * 9, XV_TEXT_ASCII);
	check_clean(in, len, 300, param & 0x20 ? XV_TEXT_ASCII : XV_TEXT_UTF8);
	check_mac(text, len);
	check_uuid(text, len);
	check_u32(text, bounds[param >> 5][0], bounds[param >> 5][1]);
	check_pair(text, "vif-", '-');
	check_pair(text, "backend/vif/", '/');
	check_pair(text, "", '.');
	check_rate(text, len);
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)text[i], v = xv_hex_digit(text[i]);
		int want = !isxdigit(c) ? -1 : isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;

		FUZZ_ASSERT(v == want, "hex digit %02x read as %d", c, v);
	}
	free(text);
	return 0;
}
