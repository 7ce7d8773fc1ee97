/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Text helpers of the firmware core: UTF-8 validation, percent-encoding,
 * hex, character-boundary cuts and constant-time comparison.
 *
 * Everything here works on caller buffers and allocates nothing. Functions
 * that write a string always NUL-terminate it when they succeed.
 */
#ifndef IOTSCP_TEXT_H
#define IOTSCP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotscp_config.h"

/*
 * Decodes one UTF-8 character from s[0..len). Returns the number of bytes it
 * takes (1-4) and stores the code point in *code_point, or returns 0 when the
 * bytes are not a valid UTF-8 character: truncated, overlong, a surrogate
 * (U+D800-U+DFFF) or above U+10FFFF. U+0000 is valid here.
 */
size_t iotscp_utf8_decode (const uint8_t *s, size_t len, uint32_t *code_point);

/*
 * Encodes code_point (at most U+10FFFF, not a surrogate) as UTF-8 into out,
 * which must have room for 4 bytes. Returns the number of bytes written, or
 * 0 for an invalid code point.
 */
size_t iotscp_utf8_encode (uint32_t code_point, uint8_t out[4]);

/* True when s[0..len) is entirely valid UTF-8 (see iotscp_utf8_decode). */
bool iotscp_text_utf8_valid (const void *s, size_t len);

/*
 * Percent-decodes in[0..in_len) into out (capacity cap, NUL-terminated).
 * Fails (returns -1) on a '%' not followed by two hex digits, on %00, on a
 * result that is not valid UTF-8, or when the result plus its NUL does not
 * fit. '+' is not special. Returns 0 and stores the decoded length in
 * *out_len (may be NULL) on success.
 */
int iotscp_text_percent_decode (const char *in, size_t in_len, char *out, size_t cap,
                                size_t *out_len);

/*
 * Percent-encodes the bytes in[0..in_len) for use as one URL path segment:
 * every byte except the RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~)
 * becomes %XX with uppercase hex, so '/' inside a name is encoded too.
 * Writes a NUL-terminated result into out. Returns its length, or
 * (size_t)-1 when it does not fit in cap bytes.
 */
size_t iotscp_text_percent_encode (const char *in, size_t in_len, char *out, size_t cap);

/*
 * Returns the length of the longest prefix of the NUL-terminated UTF-8
 * string s that is at most max_bytes long and ends at a character boundary,
 * for example for the 63-byte DNS-SD instance name. Invalid UTF-8 is cut
 * before its first invalid byte.
 */
size_t iotscp_text_cut_utf8 (const char *s, size_t max_bytes);

/* The value of one hexadecimal digit (either case), or -1 when @c is not one. */
int iotscp_text_hex_value (char c);

/*
 * Writes the lowercase hex of in[0..in_len) into out, NUL-terminated.
 * Returns 2 * in_len, or 0 when out (cap bytes) is too small.
 */
size_t iotscp_text_hex_encode (const uint8_t *in, size_t in_len, char *out, size_t cap);

/*
 * Decodes in_len hex digits (either case, no separators, even count) into
 * out. Returns the number of bytes written, or -1 on a bad digit, an odd
 * count or when the result does not fit in cap bytes.
 */
int iotscp_text_hex_decode (const char *in, size_t in_len, uint8_t *out, size_t cap);

/* True when s[0..len) is made only of lowercase hex digits. */
bool iotscp_text_is_lower_hex (const char *s, size_t len);

/*
 * Compares a[0..len) and b[0..len) in time that depends only on len, for
 * comparing secrets and fingerprints. True when they are equal.
 */
bool iotscp_text_equal_ct (const void *a, const void *b, size_t len);

/* ASCII case-insensitive comparison of a[0..len) and the NUL-terminated b. */
bool iotscp_text_ascii_case_equal (const char *a, size_t len, const char *b);

/*
 * Parses a strict unsigned decimal s[0..len): 1-20 ASCII digits, no sign,
 * no spaces, no leading zeros unless the number is 0. Fails (-1) above max.
 * Returns 0 and stores the value in *out on success.
 */
int iotscp_text_parse_uint (const char *s, size_t len, uint64_t max, uint64_t *out);

/* True when s[0..len) is a device id: 1-64 bytes of [a-z0-9-]. */
bool iotscp_text_is_device_id (const char *s, size_t len);

/*
 * Window copy for documents written piece by piece: the n bytes s are at offset pos of a
 * document; the part of them at offsets skip .. skip+cap-1 is copied to buf[offset - skip].
 * Returns pos + n, the document's length so far.
 */
size_t iotscp_text_window_copy (char *buf, size_t cap, size_t skip, size_t pos, const char *s,
                                size_t n);

#endif /* IOTSCP_TEXT_H */
