/* SPDX-License-Identifier: ISC */
/* Cleaning of hostile text and strict parsing of xenstore values. */
#include <string.h>
#include <stdlib.h>

#include "tap.h"
#include "xenvif/text.h"

static const char *clean(const char *in, size_t len, enum xv_text_kind kind)
{
	static char out[XV_TEXT_MAX + 1];

	xv_text_clean(out, sizeof out, in, len, kind);
	return out;
}

#define CLEAN_UTF8(lit) clean(lit, sizeof(lit) - 1, XV_TEXT_UTF8)
#define CLEAN_ASCII(lit) clean(lit, sizeof(lit) - 1, XV_TEXT_ASCII)

static void test_clean(void)
{
	char big[4096], expect[XV_TEXT_MAX + 1];

	tap_is_str(CLEAN_UTF8("web-01.example"), "web-01.example", "plain text is kept");
	tap_is_str(CLEAN_UTF8("a\tb\nc\rd"), "a?b?c?d", "tabs and line breaks are replaced");
	tap_is_str(CLEAN_UTF8("\x1b[2J\x1b]0;pwned\x07x"), "?[2J?]0;pwned?x",
		   "terminal escape sequences lose their ESC and BEL");
	tap_is_str(CLEAN_UTF8("a\0b"), "a?b", "a NUL inside a value is replaced");
	tap_is_str(CLEAN_UTF8("x\x7fy"), "x?y", "DEL is replaced");
	tap_is_str(CLEAN_UTF8("M\xc3\xbcller"), "M\xc3\xbcller", "valid UTF-8 is kept");
	tap_is_str(CLEAN_ASCII("M\xc3\xbcller"), "M?ller",
		   "ASCII mode: one '?' per non-ASCII character");
	tap_is_str(CLEAN_UTF8("\xff\xfe"), "??", "bytes that are never UTF-8");
	tap_is_str(CLEAN_UTF8("\xc0\x80"), "??", "overlong encoding of NUL");
	tap_is_str(CLEAN_UTF8("\xed\xa0\x80"), "???", "UTF-16 surrogate");
	tap_is_str(CLEAN_UTF8("\xe2\x82"), "??", "truncated sequence");
	tap_is_str(CLEAN_UTF8("\xf4\x90\x80\x80"), "????", "beyond U+10FFFF");
	tap_is_str(CLEAN_UTF8("\xc2\x85x"), "?x", "C1 control NEL");
	tap_is_str(CLEAN_UTF8("evil\xe2\x80\xaegnp.exe"), "evil?gnp.exe",
		   "right-to-left override");
	tap_is_str(CLEAN_UTF8("a\xe2\x80\x8b" "b\xef\xbb\xbf" "c"), "a?b?c",
		   "zero-width space and BOM");
	tap_is_str(CLEAN_UTF8("\xf0\x9f\x90\xa7"), "\xf0\x9f\x90\xa7",
		   "a 4-byte character is kept");

	memset(big, 'A', sizeof big);
	memset(expect, 'A', XV_TEXT_MAX);
	expect[XV_TEXT_MAX] = '\0';
	tap_is_str(clean(big, sizeof big, XV_TEXT_UTF8), expect,
		   "4 KB of text is cut to 255 octets");
	memset(big, 'a', 254);
	memcpy(big + 254, "\xc3\xa9", 2);
	tap_is_u64(strlen(clean(big, 256, XV_TEXT_UTF8)), 254,
		   "the cut never splits a character");
	char small[4];
	tap_is_u64(xv_text_clean(small, sizeof small, "abcdef", 6, XV_TEXT_ASCII), 3,
		   "output never exceeds the buffer");
	tap_is_str(small, "abc", "and is terminated");
	char *dup = xv_text_clean_dup("x\x01y", 3, XV_TEXT_ASCII);
	tap_is_str(dup, "x?y", "heap copy is cleaned");
	free(dup);
}

static void test_parse(void)
{
	uint8_t mac[6];
	char uuid[37];
	uint32_t a, b;

	tap_ok(xv_parse_mac("00:16:3E:0a:0B:ff", 17, mac) &&
		       memcmp(mac, "\x00\x16\x3e\x0a\x0b\xff", 6) == 0,
	       "MAC in mixed case");
	tap_ok(xv_parse_mac("00-16-3e-0a-0b-ff", 17, mac), "MAC with dashes");
	tap_ok(!xv_parse_mac("00:16:3e:0a:0b:f", 16, mac), "short MAC refused");
	tap_ok(!xv_parse_mac("00:16:3e:0a:0b:fg", 17, mac), "non-hex MAC refused");
	tap_ok(!xv_parse_mac("00:16:3e:0a:0b:ff\n", 18, mac), "MAC with trailing junk refused");
	tap_ok(!xv_parse_mac("0016:3e:0a:0b:ff:", 17, mac), "misplaced separators refused");

	tap_ok(xv_parse_uuid("6F1C2A9E-0D3B-4C8E-9A51-3B2F7D0E4A11", 36, uuid) &&
		       strcmp(uuid, "6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a11") == 0,
	       "UUID is lower-cased");
	tap_ok(!xv_parse_uuid("6f1c2a9e0d3b-4c8e-9a51-3b2f7d0e4a11-", 36, uuid),
	       "UUID with misplaced dashes refused");
	tap_ok(!xv_parse_uuid("6f1c2a9e-0d3b-4c8e-9a51-3b2f7d0e4a1", 35, uuid),
	       "short UUID refused");

	tap_ok(xv_parse_u32("0", 0, 10, &a) && a == 0, "zero");
	tap_ok(xv_parse_u32("4294967295", 0, UINT32_MAX, &a) && a == UINT32_MAX, "largest");
	tap_ok(!xv_parse_u32("4294967296", 0, UINT32_MAX, &a), "overflow refused");
	tap_ok(!xv_parse_u32("07", 0, 10, &a), "leading zero refused");
	tap_ok(!xv_parse_u32("-1", 0, 10, &a), "sign refused");
	tap_ok(!xv_parse_u32(" 1", 0, 10, &a), "space refused");
	tap_ok(!xv_parse_u32("11", 0, 10, &a), "above max refused");
	tap_ok(!xv_parse_u32("", 0, 10, &a), "empty refused");

	tap_ok(xv_parse_pair("vif-12-3", "vif-", '-', &a, &b) && a == 12 && b == 3,
	       "parent device name vif-D-N");
	tap_ok(xv_parse_pair("backend/vif/7/0", "backend/vif/", '/', &a, &b) &&
		       a == 7 && b == 0,
	       "nodename backend/vif/D/N");
	tap_ok(!xv_parse_pair("backend/vif/7/0/x", "backend/vif/", '/', &a, &b),
	       "nodename with more after it refused");
	tap_ok(!xv_parse_pair("backend/vbd/7/0", "backend/vif/", '/', &a, &b),
	       "another device class refused");
}

int main(void)
{
	test_clean();
	test_parse();
	return tap_done();
}
