/* SPDX-License-Identifier: ISC */
/*
 * Text that comes from outside the agent: xenstore values, kernel
 * interface names, configuration words.  Everything a poller will see
 * passes through xv_text_clean() first, so a hostile domain name can
 * never put control bytes, terminal escapes or invalid UTF-8 on an
 * operator's screen, and never exceeds what the MIB allows.
 */
#ifndef XENVIF_TEXT_H
#define XENVIF_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text the MIB serves (DisplayString / SnmpAdminString). */
#define XV_TEXT_MAX 255

/* The character that stands in for anything unsafe. */
#define XV_TEXT_REPLACEMENT '?'

enum xv_text_kind {
	XV_TEXT_ASCII, /* DisplayString: printable US-ASCII only */
	XV_TEXT_UTF8,  /* SnmpAdminString: printable UTF-8 */
};

/*
 * Copies at most XV_TEXT_MAX octets of printable text from in[0..inlen)
 * to out (size outsz, at least 1), NUL-terminated.  Each invalid UTF-8
 * byte and each unsafe character (C0/C1 controls, DEL, text-direction
 * and zero-width format characters; in ASCII mode every non-ASCII
 * character) becomes one '?'.  Truncation never splits a character.
 * Returns the length written.
 */
size_t xv_text_clean(char *out, size_t outsz, const void *in, size_t inlen,
		     enum xv_text_kind kind);

/* Like xv_text_clean, into a fresh heap string; NULL only if out of memory. */
char *xv_text_clean_dup(const void *in, size_t inlen, enum xv_text_kind kind);

/* The value of a hexadecimal digit in either case, or -1. */
int xv_hex_digit(char c);

/* "00:16:3e:0a:0b:0c" (either case, ':' or '-') to six bytes.  Strict. */
bool xv_parse_mac(const char *text, size_t len, uint8_t mac[6]);

/* A canonical UUID in any case to its 36-character lower-case form. */
bool xv_parse_uuid(const char *text, size_t len, char out[37]);

/* A decimal number without sign, spaces or leading zeros, in [min, max]. */
bool xv_parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out);

/* Two decimal numbers joined as PREFIX D SEP N with nothing after,
 * e.g. ("vif-", '-', "vif-3-0") or ("backend/vif/", '/', ...). */
bool xv_parse_pair(const char *text, const char *prefix, char sep,
		   uint32_t *d, uint32_t *n);

#endif
