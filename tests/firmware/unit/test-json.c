/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the firmware JSON parser and writer (iotscp_json.h): accept
 * and reject tables in the categories of JSONTestSuite (y_ must parse, n_
 * must not; the i_ cases, where RFC 8259 lets parsers choose, are decided
 * here and listed as such), the accessors, and the writer's escaping and
 * number formatting read back through the parser.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "iotscp_json.h"
#include "unit.h"

static iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS];
static iotscp_json_doc doc;

static int
parse_n (const char *text, size_t len)
{
  iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
  return iotscp_json_parse (&doc, text, len);
}

static int
parse (const char *text)
{
  return parse_n (text, strlen (text));
}

typedef struct json_case
{
  const char *text;
  size_t len; /* 0: strlen */
  int result; /* 0 or the iotscp_json_error expected */
} json_case;

#define Y(t)                                                                                       \
  {                                                                                                \
    t, sizeof t - 1, 0                                                                             \
  }
#define N(t, e)                                                                                    \
  {                                                                                                \
    t, sizeof t - 1, e                                                                             \
  }

static const json_case cases[] = {
  /* y_: structures. */
  Y ("{}"),
  Y ("[]"),
  Y ("[[]]"),
  Y ("{\"a\":{}}"),
  Y ("  [ 1 , 2 ]  "),
  Y ("\t\r\n{}\n"),
  Y ("{\"a\":[1,{\"b\":null}],\"c\":true}"),
  Y ("[false, true, null]"),
  /* y_: scalars at the top (RFC 8259 allows them). */
  Y ("1"),
  Y ("\"x\""),
  Y ("null"),
  Y ("true"),
  Y (" false "),
  /* y_: numbers. */
  Y ("0"),
  Y ("-0"),
  Y ("-0.0"),
  Y ("1.5"),
  Y ("1e5"),
  Y ("1E+5"),
  Y ("1e-5"),
  Y ("-12.5e-3"),
  Y ("123456789012345678901234567890"),
  Y ("1e999"),
  Y ("0e0"),
  Y ("0.000001"),
  /* y_: strings. */
  Y ("\"\""),
  Y ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
  Y ("\"\\u0041\\u00e4\\u20AC\""),
  Y ("\"\\ud83d\\ude00\""),
  Y ("\"\xf0\x9f\x98\x80\""),
  Y ("\"K\xc3\xbc"
     "che \xe2\x98\x80\""),
  Y ("\"\\u0000\""),
  Y ("\"\x7f\""),
  Y ("\"\xef\xbf\xbf\""),
  Y ("\"\xf4\x8f\xbf\xbf\""),
  Y ("{\"a\":1,\"b\":1}"),
  Y ("{\"\":1}"),
  /* n_: structure. */
  N ("", -1),
  N (" ", -1),
  N ("[", -1),
  N ("]", -1),
  N ("{", -1),
  N ("[1,]", -1),
  N ("[,1]", -1),
  N ("[1 2]", -1),
  N ("{\"a\"}", -1),
  N ("{\"a\":}", -1),
  N ("{\"a\" 1}", -1),
  N ("{\"a\":1,}", -1),
  N ("{,}", -1),
  N ("{1:1}", -1),
  N ("{a:1}", -1),
  N ("{'a':1}", -1),
  N ("[1]]", -1),
  N ("[1]x", -1),
  N ("{}{}", -1),
  N ("1 2", -1),
  N ("[1,,2]", -1),
  N ("[\"a\":1]", -1),
  N ("{\"a\":1:2}", -1),
  N ("[1}", -1),
  N ("{]", -1),
  N ("\xef\xbb\xbf{}", -1),
  N ("[1]\0", -1),
  N ("/* c */ 1", -1),
  N ("[1] // c", -1),
  /* n_: literals. */
  N ("tru", -1),
  N ("True", -1),
  N ("nul", -1),
  N ("nulll", -1),
  N ("[truefalse]", -1),
  N ("NaN", -1),
  N ("Infinity", -1),
  N ("-Infinity", -1),
  N ("undefined", -1),
  /* n_: numbers. */
  N ("01", -1),
  N ("-01", -1),
  N ("+1", -1),
  N (".5", -1),
  N ("5.", -1),
  N ("1.e5", -1),
  N ("1e", -1),
  N ("1e+", -1),
  N ("-", -1),
  N ("--1", -1),
  N ("0x10", -1),
  N ("1_000", -1),
  N ("1.5.5", -1),
  N ("[-]", -1),
  N ("[1e1.5]", -1),
  N ("- 1", -1),
  N ("1,5", -1),
  /* n_: strings. */
  N ("\"abc", -1),
  N ("\"\\\"", -1),
  N ("\"\\x41\"", -1),
  N ("\"\\u12\"", -1),
  N ("\"\\u12G4\"", -1),
  N ("\"\\U0041\"", -1),
  N ("\"\t\"", -1),
  N ("\"\n\"", -1),
  N ("\"\x01\"", -1),
  N ("'a'", -1),
  N ("\"a\0b\"", -1),
  N ("\"\\", -1),
  /* n_: UTF-8 and surrogates. */
  N ("\"\xc3\"", -4),
  N ("\"\xc3\x28\"", -4),
  N ("\"\xc0\xaf\"", -4),
  N ("\"\xe0\x80\xaf\"", -4),
  N ("\"\xed\xa0\x80\"", -4),
  N ("\"\xf4\x90\x80\x80\"", -4),
  N ("\"\xf8\x88\x80\x80\x80\"", -4),
  N ("\"\xff\"", -4),
  N ("\"\x80\"", -4),
  N ("\"\\ud800\"", -4),
  N ("\"\\udc00\"", -4),
  N ("\"\\ud800\\u0041\"", -4),
  N ("\"\\ud800\\ud800\"", -4),
  N ("\"\\ude00\\ud83d\"", -4),
  N ("\"\\ud83dx\"", -4),
  /* i_ decided: duplicate keys are rejected, also when spelled differently. */
  N ("{\"a\":1,\"a\":2}", -5),
  N ("{\"a\":1,\"\\u0061\":2}", -5),
  N ("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}", -5),
  /* Depth: IOTSCP_JSON_MAX_DEPTH (8) containers nest, 9 do not. */
  Y ("[[[[[[[[1]]]]]]]]"),
  N ("[[[[[[[[[1]]]]]]]]]", -3),
  Y ("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}"),
  N ("{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}}", -3),
};

static void
test_tables (void)
{
  size_t n = sizeof cases / sizeof cases[0], accept = 0, reject = 0;
  for (size_t i = 0; i < n; i++)
    {
      int r = parse_n (cases[i].text, cases[i].len);
      CHECK_MSG (r == cases[i].result, "case %zu \"%.*s\": got %d, expected %d", i,
                 (int)cases[i].len, cases[i].text, r, cases[i].result);
      if (cases[i].result == 0)
        accept++;
      else
        reject++;
    }
  printf ("JSON table: %zu accepted, %zu rejected cases\n", accept, reject);

  /* Token limits: 64 tokens fit, 65 do not. */
  char text[512];
  size_t len = 0;
  text[len++] = '[';
  for (int i = 0; i < IOTSCP_JSON_MAX_TOKENS - 1; i++)
    len += (size_t)snprintf (text + len, sizeof text - len, i ? ",%d" : "%d", i % 10);
  text[len++] = ']';
  CHECK_INT (parse_n (text, len), 0, "64 tokens");
  CHECK_INT (doc.count, IOTSCP_JSON_MAX_TOKENS, "token count");
  memcpy (text + len - 1, ",1]", 3);
  CHECK_INT (parse_n (text, len + 2), IOTSCP_JSON_ERR_TOKENS, "65 tokens");

  /* Every prefix of a valid document is invalid. */
  const char *doc_text = "{\"a\":[1,-2.5e3,\"x\\u00e4\",true,null],\"b\":{}}";
  for (size_t i = 0; i < strlen (doc_text); i++)
    CHECK_MSG (parse_n (doc_text, i) < 0, "prefix of %zu bytes must fail", i);
}

static void
test_accessors (void)
{
  const char *text = "{\"value\": 40, \"s\": \"a\\\"b\\u00e4\\ud83d\\ude00\", \"k\\u00fc\": true,"
                     " \"arr\": [1, [2, 3], {\"x\": null}, 4], \"f\": 1.5, \"o\": {}}";
  CHECK_INT (parse (text), 0, "parse");
  CHECK_INT (iotscp_json_type_of (&doc, 0), IOTSCP_JSON_OBJECT, "root type");
  CHECK_INT (doc.tokens[0].count, 6, "members");

  int64_t i64;
  int v = iotscp_json_object_get (&doc, 0, "value");
  CHECK (v > 0 && iotscp_json_get_int64 (&doc, v, &i64) == 0 && i64 == 40);
  CHECK (iotscp_json_object_get (&doc, 0, "missing") == -1);
  CHECK (iotscp_json_object_get (&doc, 0, "valu") == -1);
  CHECK (iotscp_json_object_get (&doc, v, "x") == -1);

  char buf[64];
  size_t len;
  int s = iotscp_json_object_get (&doc, 0, "s");
  CHECK (iotscp_json_get_string (&doc, s, buf, sizeof buf, &len) == 0);
  CHECK_STR (buf, "a\"b\xc3\xa4\xf0\x9f\x98\x80", "unescaped string");
  CHECK_INT (len, 9, "string length");
  CHECK (iotscp_json_get_string (&doc, s, buf, 10, NULL) == 0);
  CHECK (iotscp_json_get_string (&doc, s, buf, 9, NULL) < 0);
  CHECK (iotscp_json_string_equals (&doc, s, "a\"b\xc3\xa4\xf0\x9f\x98\x80"));
  CHECK (!iotscp_json_string_equals (&doc, s, "a\"b\xc3\xa4"));
  CHECK (iotscp_json_get_int64 (&doc, s, &i64) < 0);

  bool b = false;
  int k = iotscp_json_object_get (&doc, 0, "k\xc3\xbc");
  CHECK (k > 0 && iotscp_json_get_bool (&doc, k, &b) == 0 && b);
  CHECK (iotscp_json_get_bool (&doc, v, &b) < 0);

  double d = 0;
  int f = iotscp_json_object_get (&doc, 0, "f");
  CHECK (iotscp_json_get_double (&doc, f, &d) == 0 && d == 1.5);
  CHECK (iotscp_json_get_int64 (&doc, f, &i64) < 0);
  CHECK (iotscp_json_get_double (&doc, v, &d) == 0 && d == 40.0);

  /* Iteration skips nested containers. */
  int arr = iotscp_json_object_get (&doc, 0, "arr");
  CHECK_INT (iotscp_json_type_of (&doc, arr), IOTSCP_JSON_ARRAY, "arr type");
  int seen = 0, types[4] = { 0 };
  for (int e = iotscp_json_first (&doc, arr); e >= 0; e = iotscp_json_next (&doc, arr, e))
    types[seen < 4 ? seen : 3] = iotscp_json_type_of (&doc, e), seen++;
  CHECK_INT (seen, 4, "array elements");
  CHECK (types[0] == IOTSCP_JSON_NUMBER && types[1] == IOTSCP_JSON_ARRAY
         && types[2] == IOTSCP_JSON_OBJECT && types[3] == IOTSCP_JSON_NUMBER);
  int keys = 0;
  for (int key = iotscp_json_first (&doc, 0); key >= 0; key = iotscp_json_next (&doc, 0, key))
    {
      CHECK_INT (iotscp_json_type_of (&doc, key), IOTSCP_JSON_STRING, "key type");
      keys++;
    }
  CHECK_INT (keys, 6, "object keys");
  int o = iotscp_json_object_get (&doc, 0, "o");
  CHECK (iotscp_json_first (&doc, o) == -1);
  CHECK (iotscp_json_first (&doc, v) == -1);
  CHECK (iotscp_json_type_of (&doc, 999) == IOTSCP_JSON_NONE);
  CHECK (iotscp_json_type_of (&doc, -1) == IOTSCP_JSON_NONE);

  /* \u0000 is valid JSON but has no place in a C string. */
  CHECK_INT (parse ("\"a\\u0000b\""), 0, "NUL escape parses");
  CHECK (iotscp_json_get_string (&doc, 0, buf, sizeof buf, NULL) < 0);

  /* Integers in every spelling; fractions and out-of-range values fail. */
  static const struct
  {
    const char *text;
    bool ok;
    int64_t value;
  } ints[] = {
    { "0", true, 0 },
    { "-0", true, 0 },
    { "1.0", true, 1 },
    { "1e2", true, 100 },
    { "1.25e2", true, 125 },
    { "12500e-2", true, 125 },
    { "0.5e1", true, 5 },
    { "100.000", true, 100 },
    { "0e-999999", true, 0 },
    { "0.0e5", true, 0 },
    { "9223372036854775807", true, INT64_MAX },
    { "-9223372036854775808", true, INT64_MIN },
    { "9223372036854775808", false, 0 },
    { "-9223372036854775809", false, 0 },
    { "922337203685477580.7e1", true, INT64_MAX },
    { "1e19", false, 0 },
    { "1e18", true, 1000000000000000000 },
    { "1e99999999999", false, 0 },
    { "1.5", false, 0 },
    { "0.1", false, 0 },
    { "1e-1", false, 0 },
    { "123456789012345678901234567890", false, 0 },
    { "10e-1", true, 1 },
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
    {
      CHECK_MSG (parse (ints[i].text) == 0, "number %s parses", ints[i].text);
      int64_t got = 0;
      int r = iotscp_json_get_int64 (&doc, 0, &got);
      CHECK_MSG ((r == 0) == ints[i].ok && (!ints[i].ok || got == ints[i].value),
                 "int64 of %s: r=%d got %lld", ints[i].text, r, (long long)got);
    }

  CHECK (parse ("1e999") == 0 && iotscp_json_get_double (&doc, 0, &d) < 0);
  CHECK (parse ("-1e-999") == 0 && iotscp_json_get_double (&doc, 0, &d) == 0 && d == 0);
  CHECK (parse ("0.1") == 0 && iotscp_json_get_double (&doc, 0, &d) == 0 && d == 0.1);
}

/* Writes with the writer, checks the text, and parses it back. */
static void
test_writer (void)
{
  char buf[256];
  iotscp_jw w;

  iotscp_jw_init (&w, buf, sizeof buf);
  iotscp_jw_object_begin (&w);
  iotscp_jw_key (&w, "s");
  iotscp_jw_string (&w, "q\"b\\s/\n\r\t\b\f\x01\x1f K\xc3\xbc"
                        "che \xe2\x98\x80");
  iotscp_jw_key (&w, "bad");
  iotscp_jw_string (&w, "a\xff"
                        "b\xc3");
  iotscp_jw_key (&w, "nul");
  iotscp_jw_string_n (&w, "a\0b", 3);
  iotscp_jw_key (&w, "i");
  iotscp_jw_int64 (&w, INT64_MIN);
  iotscp_jw_key (&w, "a");
  iotscp_jw_array_begin (&w);
  iotscp_jw_bool (&w, true);
  iotscp_jw_bool (&w, false);
  iotscp_jw_null (&w);
  iotscp_jw_raw (&w, "{\"x\":1}", 7);
  iotscp_jw_array_begin (&w);
  iotscp_jw_array_end (&w);
  iotscp_jw_object_begin (&w);
  iotscp_jw_object_end (&w);
  iotscp_jw_array_end (&w);
  iotscp_jw_object_end (&w);
  size_t n = iotscp_jw_finish (&w);
  CHECK_STR (buf,
             "{\"s\":\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f K\xc3\xbc"
             "che \xe2\x98\x80\","
             "\"bad\":\"a\xef\xbf\xbd"
             "b\xef\xbf\xbd\",\"nul\":\"a\\u0000b\","
             "\"i\":-9223372036854775808,\"a\":[true,false,null,{\"x\":1},[],{}]}",
             "written JSON");
  CHECK_INT (n, strlen (buf), "length");
  CHECK_INT (parse_n (buf, n), 0, "written JSON parses");
  char s[64];
  CHECK (iotscp_json_get_string (&doc, iotscp_json_object_get (&doc, 0, "s"), s, sizeof s, NULL)
         == 0);
  CHECK_STR (s,
             "q\"b\\s/\n\r\t\b\f\x01\x1f K\xc3\xbc"
             "che \xe2\x98\x80",
             "string round trip");

  /* Every buffer shorter than the output fails cleanly, without writing past it. */
  for (size_t cap = 0; cap <= n; cap++)
    {
      char small[256];
      memset (small, 'Z', sizeof small);
      iotscp_jw_init (&w, small, cap);
      iotscp_jw_object_begin (&w);
      iotscp_jw_key (&w, "s");
      iotscp_jw_string (&w, "q\"b\\s/\n\r\t\b\f\x01\x1f K\xc3\xbc"
                            "che \xe2\x98\x80");
      iotscp_jw_object_end (&w);
      size_t got = iotscp_jw_finish (&w);
      CHECK_MSG (got == 0 || got < cap, "cap %zu gave %zu", cap, got);
      for (size_t i = cap; i < sizeof small; i++)
        if (small[i] != 'Z')
          {
            CHECK_MSG (0, "writer wrote byte %zu of a %zu-byte buffer", i, cap);
            break;
          }
    }

  /* Misuse fails the writer. */
  static const int misuse_count = 8;
  for (int m = 0; m < misuse_count; m++)
    {
      iotscp_jw_init (&w, buf, sizeof buf);
      switch (m)
        {
          case 0: /* value without key in an object */
            iotscp_jw_object_begin (&w);
            iotscp_jw_int64 (&w, 1);
            iotscp_jw_object_end (&w);
            break;
          case 1: /* key in an array */
            iotscp_jw_array_begin (&w);
            iotscp_jw_key (&w, "k");
            iotscp_jw_array_end (&w);
            break;
          case 2: /* mismatched end */
            iotscp_jw_array_begin (&w);
            iotscp_jw_object_end (&w);
            break;
          case 3: /* unclosed */
            iotscp_jw_array_begin (&w);
            break;
          case 4: /* two roots */
            iotscp_jw_int64 (&w, 1);
            iotscp_jw_int64 (&w, 2);
            break;
          case 5: /* NaN */
            iotscp_jw_double (&w, NAN);
            break;
          case 6: /* infinity */
            iotscp_jw_double (&w, -INFINITY);
            break;
          default: /* key without value */
            iotscp_jw_object_begin (&w);
            iotscp_jw_key (&w, "k");
            iotscp_jw_object_end (&w);
            break;
        }
      CHECK_MSG (iotscp_jw_finish (&w) == 0, "misuse %d must fail the writer", m);
    }

  /* Doubles: shortest form that reads back exactly, always valid JSON. */
  static const double doubles[]
      = { 0.0,  -0.0,       1.0,     0.1,     1.5,    -2.25,   1e21,
          1e-7, 123456.789, DBL_MAX, DBL_MIN, 5e-324, 1.0 / 3, 9007199254740993.0,
          21.5 };
  for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++)
    {
      iotscp_jw_init (&w, buf, sizeof buf);
      iotscp_jw_double (&w, doubles[i]);
      size_t len = iotscp_jw_finish (&w);
      CHECK_MSG (len > 0, "double %g written", doubles[i]);
      double back = 0;
      CHECK_MSG (parse_n (buf, len) == 0 && iotscp_json_get_double (&doc, 0, &back) == 0
                     && back == doubles[i] && signbit (back) == signbit (doubles[i]),
                 "double %.17g written as %s", doubles[i], buf);
    }
  iotscp_jw_init (&w, buf, sizeof buf);
  iotscp_jw_double (&w, 0.1);
  iotscp_jw_finish (&w);
  CHECK_STR (buf, "0.1", "shortest 0.1");
  iotscp_jw_init (&w, buf, sizeof buf);
  iotscp_jw_double (&w, 21.5);
  iotscp_jw_finish (&w);
  CHECK_STR (buf, "21.5", "shortest 21.5");
}

int
main (void)
{
  test_tables ();
  test_accessors ();
  test_writer ();
  return unit_finish ("test-json");
}
