/* SPDX-License-Identifier: ISC */
#include "xenvif/text.h"

#include <stdlib.h>
#include <string.h>

/*
 * Decodes one UTF-8 character at s[0..len).  Returns its length and
 * stores the code point, or returns 0 for an invalid sequence
 * (overlong forms, surrogates and values past U+10FFFF included).
 */
static size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters that are valid but must not reach a terminal or a log. */
static bool unsafe_code_point(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x200b && cp <= 0x200f) || /* zero-width, LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* separators, embeddings */
	       (cp >= 0x2060 && cp <= 0x206f) || /* isolates, invisibles */
	       cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

size_t xv_text_clean(char *out, size_t outsz, const void *in, size_t inlen,
		     enum xv_text_kind kind)
{
	const uint8_t *s = in;
	size_t limit = outsz - 1, o = 0, i = 0;

	if (limit > XV_TEXT_MAX)
		limit = XV_TEXT_MAX;
	while (i < inlen) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, inlen - i, &cp);
		bool keep = n > 0 && !unsafe_code_point(cp) &&
			    (kind == XV_TEXT_UTF8 || cp < 0x80);

		if (keep) {
			if (o + n > limit)
				break;
			memcpy(out + o, s + i, n);
			o += n;
		} else {
			if (o + 1 > limit)
				break;
			out[o++] = XV_TEXT_REPLACEMENT;
		}
		i += n > 0 ? n : 1;
	}
	out[o] = '\0';
	return o;
}

char *xv_text_clean_dup(const void *in, size_t inlen, enum xv_text_kind kind)
{
	char buf[XV_TEXT_MAX + 1];
	size_t n = xv_text_clean(buf, sizeof buf, in, inlen, kind);
	char *copy = malloc(n + 1);

	if (copy)
		memcpy(copy, buf, n + 1);
	return copy;
}

int xv_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool xv_parse_mac(const char *text, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = xv_hex_digit(text[3 * i]), lo = xv_hex_digit(text[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		if (i < 5 && text[3 * i + 2] != ':' && text[3 * i + 2] != '-')
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool xv_parse_uuid(const char *text, size_t len, char out[37])
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		int v = xv_hex_digit(text[i]);

		if (dash ? text[i] != '-' : v < 0)
			return false;
		out[i] = dash ? '-' : "0123456789abcdef"[v];
	}
	out[36] = '\0';
	return true;
}

/* Reads a decimal at *p, advancing it; false if none or too large. */
static bool read_decimal(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s++ - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	*p = s;
	return true;
}

bool xv_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (!read_decimal(&text, &v) || *text != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool xv_parse_pair(const char *text, const char *prefix, char sep,
		   uint32_t *d, uint32_t *n)
{
	size_t plen = strlen(prefix);

	if (strncmp(text, prefix, plen) != 0)
		return false;
	text += plen;
	if (!read_decimal(&text, d) || *text++ != sep)
		return false;
	return read_decimal(&text, n) && *text == '\0';
}
