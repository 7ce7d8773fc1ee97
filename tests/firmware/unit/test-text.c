/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the firmware text helpers (iotscp_text.h). */
#include <stdint.h>

#include "iotscp_text.h"
#include "unit.h"

static void
test_utf8 (void)
{
  static const struct
  {
    const char *bytes;
    size_t len;
    bool valid;
  } cases[] = {
#define U(s, v) { s, sizeof s - 1, v }
    U ("", true),
    U ("ascii", true),
    U ("K\xc3\xbc"
       "che \xe2\x98\x80",
       true),
    U ("\xf0\x9f\x98\x80", true),
    U ("\xf4\x8f\xbf\xbf", true),  /* U+10FFFF */
    U ("\xef\xbf\xbf", true),      /* U+FFFF */
    U ("\x00", true),              /* U+0000 is valid UTF-8 */
    U ("\xc3", false),             /* truncated */
    U ("\xe2\x98", false),         /* truncated */
    U ("\xc3\x28", false),         /* bad continuation */
    U ("\x80", false),             /* lone continuation */
    U ("\xc0\xaf", false),         /* overlong '/' */
    U ("\xc1\xbf", false),         /* overlong */
    U ("\xe0\x80\xaf", false),     /* overlong, 3 bytes */
    U ("\xf0\x80\x80\xaf", false), /* overlong, 4 bytes */
    U ("\xed\xa0\x80", false),     /* U+D800 */
    U ("\xed\xbf\xbf", false),     /* U+DFFF */
    U ("\xf4\x90\x80\x80", false), /* U+110000 */
    U ("\xf5\x80\x80\x80", false),
    U ("\xfe", false),
    U ("\xff", false),
    U ("a\xe2\x98\x80\xe2", false),
#undef U
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_MSG (iotscp_text_utf8_valid (cases[i].bytes, cases[i].len) == cases[i].valid,
               "UTF-8 case %zu", i);

  /* Encoding round-trips every scalar value and refuses the rest. */
  uint8_t out[4];
  int bad = 0;
  for (uint32_t cp = 0; cp <= 0x10ffff; cp++)
    {
      size_t n = iotscp_utf8_encode (cp, out);
      uint32_t back = 0;
      bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
      if (surrogate ? n != 0 : (n == 0 || iotscp_utf8_decode (out, n, &back) != n || back != cp))
        bad++;
    }
  CHECK_INT (bad, 0, "code points that do not round-trip");
  CHECK_INT (iotscp_utf8_encode (0x110000, out), 0, "encode beyond U+10FFFF");
}

static void
test_percent (void)
{
  char out[64];
  size_t len = 99;
  CHECK (iotscp_text_percent_decode ("w%C3%A4rme", 10, out, sizeof out, &len) == 0);
  CHECK_STR (out, "w\xc3\xa4rme", "decoded");
  CHECK_INT (len, 6, "decoded length");
  CHECK (iotscp_text_percent_decode ("a%2fb+c", 7, out, sizeof out, NULL) == 0);
  CHECK_STR (out, "a/b+c", "slash and plus");
  CHECK (iotscp_text_percent_decode ("", 0, out, sizeof out, &len) == 0 && len == 0);
  CHECK (iotscp_text_percent_decode ("%00", 3, out, sizeof out, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("%G0", 3, out, sizeof out, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("%0", 2, out, sizeof out, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("%", 1, out, sizeof out, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("%C3", 3, out, sizeof out, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("%C0%AF", 6, out, sizeof out, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("abc", 3, out, 4, NULL) == 0);
  CHECK (iotscp_text_percent_decode ("abc", 3, out, 3, NULL) < 0);
  CHECK (iotscp_text_percent_decode ("abc", 3, out, 0, NULL) < 0);

  const char *name = "K\xc3\xbc"
                     "che \xe2\x98\x80/%~._-";
  size_t n = iotscp_text_percent_encode (name, strlen (name), out, sizeof out);
  CHECK_STR (out, "K%C3%BCche%20%E2%98%80%2F%25~._-", "encoded");
  CHECK_INT (n, strlen (out), "encoded length");
  char back[64];
  CHECK (iotscp_text_percent_decode (out, n, back, sizeof back, NULL) == 0);
  CHECK_STR (back, name, "percent round trip");
  CHECK_INT (iotscp_text_percent_encode (name, strlen (name), out, n + 1), n, "exact fit");
  CHECK (iotscp_text_percent_encode (name, strlen (name), out, n) == (size_t)-1);
  CHECK (iotscp_text_percent_encode ("", 0, out, 0) == (size_t)-1);
}

static void
test_cut (void)
{
  const char *s = "K\xc3\xbc"
                  "che \xe2\x98\x80"; /* 10 bytes: 1 + 2 + 3 + 1 + 3 */
  CHECK_INT (iotscp_text_cut_utf8 (s, 100), 10, "no cut");
  CHECK_INT (iotscp_text_cut_utf8 (s, 10), 10, "exact");
  CHECK_INT (iotscp_text_cut_utf8 (s, 9), 7, "inside the sun");
  CHECK_INT (iotscp_text_cut_utf8 (s, 8), 7, "inside the sun");
  CHECK_INT (iotscp_text_cut_utf8 (s, 2), 1, "inside the umlaut");
  CHECK_INT (iotscp_text_cut_utf8 (s, 0), 0, "nothing");
  CHECK_INT (iotscp_text_cut_utf8 ("ab\xff"
                                   "cd",
                                   10),
             2, "stops at invalid UTF-8");

  /* A 63-byte DNS-SD instance name from a long name of 3-byte characters. */
  char name[IOTSCP_DEVICE_NAME_MAX + 1] = "";
  for (int i = 0; i < 40; i++)
    strcat (name, "\xe2\x98\x80");
  size_t cut = iotscp_text_cut_utf8 (name, IOTSCP_DNSSD_INSTANCE_MAX);
  CHECK_INT (cut, 63, "21 suns");
  CHECK (iotscp_text_utf8_valid (name, cut));
  memset (name, 'a', 62);
  memcpy (name + 62, "\xe2\x98\x80", 4);
  CHECK_INT (iotscp_text_cut_utf8 (name, 63), 62, "sun across the limit");
}

static void
test_hex_and_misc (void)
{
  uint8_t bytes[] = { 0x00, 0x7f, 0x80, 0xff, 0xa5 };
  char hex[16];
  CHECK_INT (iotscp_text_hex_encode (bytes, 5, hex, sizeof hex), 10, "hex length");
  CHECK_STR (hex, "007f80ffa5", "hex");
  CHECK_INT (iotscp_text_hex_encode (bytes, 5, hex, 10), 0, "no room for NUL");
  uint8_t back[8];
  CHECK_INT (iotscp_text_hex_decode ("007F80ffA5", 10, back, sizeof back), 5, "decoded bytes");
  CHECK (memcmp (back, bytes, 5) == 0);
  CHECK_INT (iotscp_text_hex_decode ("abc", 3, back, sizeof back), -1, "odd");
  CHECK_INT (iotscp_text_hex_decode ("zz", 2, back, sizeof back), -1, "bad digit");
  CHECK_INT (iotscp_text_hex_decode ("0011", 4, back, 1), -1, "too long");
  CHECK (iotscp_text_is_lower_hex ("0123456789abcdef", 16));
  CHECK (!iotscp_text_is_lower_hex ("ABCDEF", 6));

  CHECK (iotscp_text_equal_ct ("abc", "abc", 3));
  CHECK (!iotscp_text_equal_ct ("abc", "abd", 3));
  CHECK (iotscp_text_equal_ct ("", "x", 0));

  CHECK (iotscp_text_ascii_case_equal ("ChUnKeD", 7, "chunked"));
  CHECK (!iotscp_text_ascii_case_equal ("chunke", 6, "chunked"));
  CHECK (!iotscp_text_ascii_case_equal ("chunkedx", 8, "chunked"));

  uint64_t v;
  CHECK (iotscp_text_parse_uint ("0", 1, 10, &v) == 0 && v == 0);
  CHECK (iotscp_text_parse_uint ("18446744073709551615", 20, UINT64_MAX, &v) == 0
         && v == UINT64_MAX);
  CHECK (iotscp_text_parse_uint ("18446744073709551616", 20, UINT64_MAX, &v) < 0);
  CHECK (iotscp_text_parse_uint ("65536", 5, 65535, &v) < 0);
  CHECK (iotscp_text_parse_uint ("01", 2, 100, &v) < 0);
  CHECK (iotscp_text_parse_uint ("", 0, 100, &v) < 0);
  CHECK (iotscp_text_parse_uint ("-1", 2, 100, &v) < 0);
  CHECK (iotscp_text_parse_uint (" 1", 2, 100, &v) < 0);

  CHECK (iotscp_text_is_device_id ("sim-0123456789abcdef", 20));
  CHECK (!iotscp_text_is_device_id ("Sim", 3));
  CHECK (!iotscp_text_is_device_id ("", 0));
  CHECK (!iotscp_text_is_device_id ("a_b", 3));
  char long_id[66];
  memset (long_id, 'a', 65);
  CHECK (iotscp_text_is_device_id (long_id, 64));
  CHECK (!iotscp_text_is_device_id (long_id, 65));
}

int
main (void)
{
  test_utf8 ();
  test_percent ();
  test_cut ();
  test_hex_and_misc ();
  return unit_finish ("test-text");
}
