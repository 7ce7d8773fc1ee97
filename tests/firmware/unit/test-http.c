/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the firmware HTTP parsers and writers (iotscp_http.h): a
 * table of malformed requests with the status each must get, well-formed
 * requests with what must be extracted from them, and the same results
 * whether the bytes arrive at once, one at a time or in random pieces.
 */
#include <stdint.h>

#include "iotscp_http.h"
#include "iotscp_json.h"
#include "unit.h"

#define H "Host: d\r\n"
#define GET(target) "GET " target " HTTP/1.1\r\n" H

/* How a request's bytes are handed to the parser. */
typedef enum
{
  SPLIT_NONE,
  SPLIT_BYTES,
  SPLIT_RANDOM
} split_mode;

static uint32_t rng_state = 12345;

static uint32_t
rng (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static iotscp_http_request req;
static iotscp_http_body_buffer body_buffer;

/* Feeds raw[0..len) in the given way; returns the status and the bytes consumed. */
static iotscp_http_status
feed_request (const char *raw, size_t len, split_mode mode, size_t *consumed)
{
  iotscp_http_request_reset (&req);
  size_t pos = 0;
  iotscp_http_status status = IOTSCP_HTTP_NEED_MORE;
  while (pos < len && status == IOTSCP_HTTP_NEED_MORE)
    {
      size_t n = len - pos;
      if (mode == SPLIT_BYTES)
        n = 1;
      else if (mode == SPLIT_RANDOM)
        n = 1 + rng () % (n < 7 ? n : 7);
      size_t used = 0;
      status = iotscp_http_request_feed (&req, (const uint8_t *)raw + pos, n, &used);
      CHECK_MSG (used <= n, "consumed %zu of %zu", used, n);
      CHECK_MSG (status != IOTSCP_HTTP_NEED_MORE || used == n, "NEED_MORE must consume all");
      pos += used;
    }
  *consumed = pos;
  return status;
}

/* A summary of what a parse produced, to compare the ways of feeding. */
static void
summarize (iotscp_http_status status, char *out, size_t cap)
{
  int n = snprintf (out, cap, "%d/%d/%d/%d/%u/", (int)status, req.error_status, (int)req.method,
                    (int)req.keep_alive, (unsigned)req.body_len);
  for (unsigned i = 0; status == IOTSCP_HTTP_COMPLETE && i < req.segment_count && n > 0; i++)
    n += snprintf (out + n, cap - (size_t)n, "[%s]", iotscp_http_path_segment (&req, i, NULL));
  if (status == IOTSCP_HTTP_COMPLETE && n > 0 && (size_t)n < cap)
    snprintf (out + n, cap - (size_t)n, "%.*s", (int)req.body_len, (const char *)req.body);
}

/*
 * Parses raw in all three ways. expected_status is 0 for a request that must
 * be COMPLETE, -1 for one that must still need more bytes, else the error
 * status. Returns with req holding the one-shot parse.
 */
static void
check_request (const char *name, const char *raw, size_t len, int expected_status)
{
  char summary[3][600];
  iotscp_http_status statuses[3];
  for (int mode = SPLIT_RANDOM; mode >= SPLIT_NONE; mode--)
    {
      size_t consumed;
      statuses[mode] = feed_request (raw, len, (split_mode)mode, &consumed);
      summarize (statuses[mode], summary[mode], sizeof summary[mode]);
    }
  CHECK_MSG (strcmp (summary[0], summary[1]) == 0 && strcmp (summary[0], summary[2]) == 0,
             "%s: feeding at once (%s), bytewise (%s) and in pieces (%s) differ", name, summary[0],
             summary[1], summary[2]);
  if (expected_status == 0)
    CHECK_MSG (statuses[0] == IOTSCP_HTTP_COMPLETE, "%s: expected COMPLETE, got %d (error %d %s)",
               name, (int)statuses[0], req.error_status, req.error_code ? req.error_code : "");
  else if (expected_status < 0)
    CHECK_MSG (statuses[0] == IOTSCP_HTTP_NEED_MORE, "%s: expected NEED_MORE, got %d", name,
               (int)statuses[0]);
  else
    {
      CHECK_MSG (statuses[0] == IOTSCP_HTTP_ERROR && req.error_status == expected_status,
                 "%s: expected error %d, got status %d error %d", name, expected_status,
                 (int)statuses[0], req.error_status);
      CHECK_MSG (req.error_code != NULL, "%s: no error code", name);
    }
}

#define CHECK_REQ(name, literal, expected)                                                         \
  check_request (name, literal, sizeof literal - 1, expected)

typedef struct bad_case
{
  const char *name;
  const char *raw;
  size_t len; /* 0: strlen (raw) */
  int status;
} bad_case;

#define BAD(name, raw, status)                                                                     \
  {                                                                                                \
    name, raw, sizeof raw - 1, status                                                              \
  }

static const bad_case bad_cases[] = {
  /* Sizes. */
  BAD ("too many segments", GET ("/a/b/c/d/e/f/g/h/i") "\r\n", 414),
  BAD ("CL over the body limit", "PUT /p HTTP/1.1\r\n" H "Content-Length: 2049\r\n\r\n", 413),
  BAD ("CL beyond 32 bits", "PUT /p HTTP/1.1\r\n" H "Content-Length: 99999999999999999999\r\n\r\n",
       413),
  BAD ("chunk over the body limit",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n801\r\n", 413),
  /* Chunk syntax. */
  BAD ("negative chunk size", "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n-5\r\n",
       400),
  BAD ("chunk size hex overflow",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n1000000005\r\n", 400),
  BAD ("chunk size with 0x", "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n0x5\r\n",
       400),
  BAD ("chunk size then space",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400),
  BAD ("space before chunk size",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400),
  BAD ("empty chunk size line", "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n\r\n",
       400),
  BAD ("chunk data without CRLF",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", 400),
  BAD ("chunk data with bare LF",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400),
  BAD ("chunk size with bare LF",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400),
  BAD ("chunk extension with NUL",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5;a\0b\r\nhello\r\n0\r\n\r\n",
       400),
  BAD ("bad trailer (obs-fold)",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n folded\r\n\r\n",
       400),
  /* Framing fields. */
  BAD ("CL and TE",
       "PUT /p HTTP/1.1\r\n" H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
  BAD ("TE and CL",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
  BAD ("two different CL", "PUT /p HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
       400),
  BAD ("CL with a sign", "PUT /p HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n", 400),
  BAD ("negative CL", "PUT /p HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400),
  BAD ("CL list", "PUT /p HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\nhello", 400),
  BAD ("CL in hex", "PUT /p HTTP/1.1\r\n" H "Content-Length: 0x5\r\n\r\nhello", 400),
  BAD ("empty CL", "PUT /p HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400),
  BAD ("TE gzip", "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n", 400),
  BAD ("TE gzip, chunked", "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 400),
  BAD ("TE twice",
       "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       400),
  BAD ("PUT without length", "PUT /p HTTP/1.1\r\n" H "\r\n", 411),
  BAD ("POST without length", "POST /actions/a HTTP/1.1\r\n" H "\r\n", 411),
  /* NUL and other control bytes. */
  BAD ("NUL in method", "G\0ET / HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("NUL in target", "GET /a\0b HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("NUL in version", "GET / HTTP/1.1\0\r\n" H "\r\n", 400),
  BAD ("NUL in header name", GET ("/") "X\0: 1\r\n\r\n", 400),
  BAD ("NUL in header value", GET ("/") "X: a\0b\r\n\r\n", 400),
  BAD ("NUL in stored header value", GET ("/") "SID: uuid:\0\r\n\r\n", 400),
  BAD ("DEL in header value", GET ("/") "X: a\x7f\r\n\r\n", 400),
  BAD ("bare CR in header value", GET ("/") "X: a\rb\r\n\r\n", 400),
  BAD ("bare CR in request line", "GET /\r HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("bare LF line ends", "GET / HTTP/1.1\nHost: d\n\n", 400),
  BAD ("bare LF after headers", GET ("/") "\n", 400),
  /* Path. */
  BAD ("invalid UTF-8 in path", GET ("/properties/%C3%28") "\r\n", 400),
  BAD ("overlong UTF-8 in path", GET ("/properties/%C0%AF") "\r\n", 400),
  BAD ("surrogate in path", GET ("/properties/%ED%A0%80") "\r\n", 400),
  BAD ("code point over U+10FFFF", GET ("/properties/%F4%90%80%80") "\r\n", 400),
  BAD ("truncated UTF-8 at segment end", GET ("/properties/%E2%98/x") "\r\n", 400),
  BAD ("%00 in path", GET ("/properties/a%00b") "\r\n", 400),
  BAD ("bad hex in percent-escape", GET ("/properties/%G1") "\r\n", 400),
  BAD ("truncated percent-escape", GET ("/properties/a%4") "\r\n", 400),
  BAD ("lone percent", GET ("/properties/%") "\r\n", 400),
  BAD ("raw UTF-8 in target", GET ("/properties/k\xc3\xbc") "\r\n", 400),
  BAD ("fragment", GET ("/properties#x") "\r\n", 400),
  BAD ("absolute-form target", GET ("http://d/properties") "\r\n", 400),
  BAD ("asterisk target", "OPTIONS * HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("empty target", "GET  HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("two spaces after the method", "GET  / HTTP/1.1\r\n" H "\r\n", 400),
  /* Header syntax. */
  BAD ("obs-fold", GET ("/") "X: a\r\n b\r\n\r\n", 400),
  BAD ("obs-fold with tab", GET ("/") "X: a\r\n\tb\r\n\r\n", 400),
  BAD ("whitespace before the first header", "GET / HTTP/1.1\r\n Host: d\r\n\r\n", 400),
  BAD ("header without colon", GET ("/") "NoColon\r\n\r\n", 400),
  BAD ("space before colon", "GET / HTTP/1.1\r\nHost : d\r\n\r\n", 400),
  BAD ("tab before colon", "GET / HTTP/1.1\r\nHost\t: d\r\n\r\n", 400),
  BAD ("empty header name", GET ("/") ": x\r\n\r\n", 400),
  BAD ("bad character in header name", GET ("/") "X(y): 1\r\n\r\n", 400),
  BAD ("UTF-8 in header name", GET ("/") "X\xc3\xa4: 1\r\n\r\n", 400),
  BAD ("no Host", "GET / HTTP/1.1\r\n\r\n", 400),
  BAD ("two Host", GET ("/") H "\r\n", 400),
  BAD ("two SID", GET ("/") "SID: a\r\nSID: a\r\n\r\n", 400),
  /* Request line. */
  BAD ("HTTP/2.0", "GET / HTTP/2.0\r\n" H "\r\n", 400),
  BAD ("HTTP/1.0", "GET / HTTP/1.0\r\n" H "\r\n", 400),
  BAD ("HTTP/1.2", "GET / HTTP/1.2\r\n" H "\r\n", 400),
  BAD ("lowercase version", "GET / http/1.1\r\n" H "\r\n", 400),
  BAD ("HTTP/1.10", "GET / HTTP/1.10\r\n" H "\r\n", 400),
  BAD ("no version (HTTP/0.9)", "GET /\r\n\r\n", 400),
  BAD ("space after version", "GET / HTTP/1.1 \r\n" H "\r\n", 400),
  BAD ("request line starting with space", " GET / HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("bad character in method", "GE(T / HTTP/1.1\r\n" H "\r\n", 400),
  BAD ("TLS handshake bytes as HTTP", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
};

/* Builds a request with a header value of n bytes. */
static size_t
build_with_value (char *buf, size_t cap, const char *name, size_t n)
{
  int len = snprintf (buf, cap, "GET / HTTP/1.1\r\nHost: d\r\n%s: ", name);
  memset (buf + len, 'a', n);
  len += (int)n;
  len += snprintf (buf + len, cap - (size_t)len, "\r\n\r\n");
  return (size_t)len;
}

static void
test_sizes (void)
{
  static char buf[8192];
  size_t len;

  len = build_with_value (buf, sizeof buf, "X-Big", 2100);
  check_request ("one header over the head limit", buf, len, 431);

  /* The head limit counts everything up to and including the empty line. */
  size_t base = build_with_value (buf, sizeof buf, "X", 0);
  len = build_with_value (buf, sizeof buf, "X", IOTSCP_HTTP_MAX_HEAD - base);
  check_request ("head of exactly the limit", buf, len, 0);
  len = build_with_value (buf, sizeof buf, "X", IOTSCP_HTTP_MAX_HEAD - base + 1);
  check_request ("head one byte over the limit", buf, len, 431);

  len = build_with_value (buf, sizeof buf, "Host2", 10);
  check_request ("unknown header kept out of the store", buf, len, 0);
  len = build_with_value (buf, sizeof buf, "SID", IOTSCP_HTTP_MAX_SHORT_VALUE);
  check_request ("SID at its limit", buf, len, 0);
  len = build_with_value (buf, sizeof buf, "SID", IOTSCP_HTTP_MAX_SHORT_VALUE + 1);
  check_request ("SID over its limit", buf, len, 431);
  len = build_with_value (buf, sizeof buf, "CALLBACK", IOTSCP_HTTP_MAX_CALLBACK);
  check_request ("CALLBACK at its limit", buf, len, 0);
  len = build_with_value (buf, sizeof buf, "CALLBACK", IOTSCP_HTTP_MAX_CALLBACK + 1);
  check_request ("CALLBACK over its limit", buf, len, 431);
  len = (size_t)snprintf (buf, sizeof buf, "GET / HTTP/1.1\r\nHost: %0200d\r\n\r\n", 1);
  check_request ("Host over its limit", buf, len, 431);

  /* Header count. */
  len = (size_t)snprintf (buf, sizeof buf, "GET / HTTP/1.1\r\n" H);
  for (int i = 1; i < IOTSCP_HTTP_MAX_HEADERS; i++)
    len += (size_t)snprintf (buf + len, sizeof buf - len, "X-%d: 1\r\n", i);
  memcpy (buf + len, "\r\n", 3);
  check_request ("32 headers", buf, len + 2, 0);
  len += (size_t)snprintf (buf + len, sizeof buf - len, "X-last: 1\r\n\r\n");
  check_request ("33 headers", buf, len, 431);

  /* Target length. */
  len = (size_t)snprintf (buf, sizeof buf, "GET /");
  memset (buf + len, 'a', IOTSCP_HTTP_MAX_TARGET - 1);
  len += IOTSCP_HTTP_MAX_TARGET - 1;
  len += (size_t)snprintf (buf + len, sizeof buf - len, " HTTP/1.1\r\n" H "\r\n");
  check_request ("target of exactly 256 bytes", buf, len, 0);
  len = (size_t)snprintf (buf, sizeof buf, "GET /");
  memset (buf + len, 'a', IOTSCP_HTTP_MAX_TARGET);
  len += IOTSCP_HTTP_MAX_TARGET;
  len += (size_t)snprintf (buf + len, sizeof buf - len, " HTTP/1.1\r\n" H "\r\n");
  check_request ("target of 257 bytes", buf, len, 414);
  len = (size_t)snprintf (buf, sizeof buf, "GET /?");
  memset (buf + len, 'q', 3000);
  len += 3000;
  check_request ("long query, unfinished", buf, len, 414);

  /* Bodies. */
  len = (size_t)snprintf (buf, sizeof buf, "PUT /p HTTP/1.1\r\n" H "Content-Length: %d\r\n\r\n",
                          IOTSCP_HTTP_MAX_BODY);
  memset (buf + len, 'b', IOTSCP_HTTP_MAX_BODY);
  check_request ("body of exactly the limit", buf, len + IOTSCP_HTTP_MAX_BODY, 0);
  CHECK_INT (req.body_len, IOTSCP_HTTP_MAX_BODY, "body length");

  len = (size_t)snprintf (buf, sizeof buf,
                          "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n400\r\n");
  memset (buf + len, 'c', 0x400);
  len += 0x400;
  len += (size_t)snprintf (buf + len, sizeof buf - len, "\r\n400\r\n");
  memset (buf + len, 'd', 0x400);
  len += 0x400;
  len += (size_t)snprintf (buf + len, sizeof buf - len, "\r\n0\r\n\r\n");
  check_request ("two chunks filling the body exactly", buf, len, 0);
  CHECK_INT (req.body_len, 0x800, "chunked body length");
  len = (size_t)snprintf (buf, sizeof buf,
                          "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n400\r\n");
  memset (buf + len, 'c', 0x400);
  len += 0x400;
  len += (size_t)snprintf (buf + len, sizeof buf - len, "\r\n401\r\n");
  check_request ("second chunk over the limit", buf, len, 413);

  len = (size_t)snprintf (buf, sizeof buf,
                          "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n1;");
  memset (buf + len, 'e', 100);
  len += 100;
  len += (size_t)snprintf (buf + len, sizeof buf - len, "\r\nx\r\n0\r\n\r\n");
  check_request ("chunk extension too long", buf, len, 400);
}

static void
test_good_requests (void)
{
  size_t len;

  CHECK_REQ ("GET description", GET ("/.well-known/iotscp") "\r\n", 0);
  CHECK_INT (req.method, IOTSCP_HTTP_GET, "method");
  CHECK (iotscp_http_path_is (&req, "/.well-known/iotscp"));
  CHECK (!iotscp_http_path_is (&req, "/.well-known"));
  CHECK (!iotscp_http_path_is (&req, "/.well-known/iotscp/x"));
  CHECK (req.keep_alive);
  CHECK_STR (iotscp_http_header (&req, IOTSCP_HDR_HOST), "d", "Host");
  CHECK (iotscp_http_header (&req, IOTSCP_HDR_SID) == NULL);
  CHECK (iotscp_http_request_head_done (&req));

  CHECK_REQ ("root", GET ("/") "\r\n", 0);
  CHECK_INT (req.segment_count, 1, "segments of /");
  CHECK (iotscp_http_path_is (&req, "/"));
  CHECK_STR (iotscp_http_path_segment (&req, 0, NULL), "", "segment of /");
  CHECK (iotscp_http_path_segment (&req, 1, NULL) == NULL);

  CHECK_REQ ("query ignored", GET ("/properties?x=1&y=%zz/") "\r\n", 0);
  CHECK (iotscp_http_path_is (&req, "/properties"));

  CHECK_REQ ("UTF-8 name", GET ("/properties/w%C3%A4rme") "\r\n", 0);
  CHECK_STR (iotscp_http_path_segment (&req, 1, NULL), "w\xc3\xa4rme", "decoded segment");
  CHECK (iotscp_http_path_is (&req, "/properties/w\xc3\xa4rme"));

  CHECK_REQ ("encoded slash stays in its segment", GET ("/properties/a%2Fb") "\r\n", 0);
  CHECK_INT (req.segment_count, 2, "segments");
  CHECK_STR (iotscp_http_path_segment (&req, 1, NULL), "a/b", "segment with slash");
  CHECK (!iotscp_http_path_is (&req, "/properties/a/b"));

  CHECK_REQ ("trailing slash", GET ("/properties/") "\r\n", 0);
  CHECK_INT (req.segment_count, 2, "segments");
  CHECK_STR (iotscp_http_path_segment (&req, 1, NULL), "", "empty last segment");

  CHECK_REQ ("eight segments", GET ("/a/b/c/d/e/f/g/h") "\r\n", 0);
  CHECK_STR (iotscp_http_path_segment (&req, 7, NULL), "h", "last segment");

  CHECK_REQ ("sun in a name", GET ("/properties/K%C3%BCche%20%E2%98%80") "\r\n", 0);
  CHECK_STR (iotscp_http_path_segment (&req, 1, &len),
             "K\xc3\xbc"
             "che \xe2\x98\x80",
             "name");
  CHECK_INT (len, 10, "segment length");

  CHECK_REQ ("PUT with body",
             "PUT /properties/brightness HTTP/1.1\r\nHost: 192.168.1.20:4443\r\n"
             "Content-Type: application/json; charset=utf-8\r\nContent-Length: 14\r\n\r\n"
             "{\"value\":40}\r\n",
             0);
  CHECK_INT (req.method, IOTSCP_HTTP_PUT, "method");
  CHECK_INT (req.body_len, 14, "body length");
  CHECK (req.has_content_length && req.content_length == 14);
  CHECK (iotscp_http_content_type_is_json (&req));

  CHECK_REQ ("chunked with extension and trailer",
             "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: Chunked\r\n\r\n"
             "6\r\n{\"valu\r\n9;ext=1;b=\"q\"\r\ne\": true}\r\n0\r\nX-Trailer: 1\r\n\r\n",
             0);
  CHECK_STR ((const char *)req.body, "{\"value\": true}", "chunked body");
  CHECK (req.chunked);

  CHECK_REQ ("chunk sizes with leading zeros and uppercase",
             "PUT /p HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
             "0000000A\r\n0123456789\r\n00\r\n\r\n",
             0);
  CHECK_INT (req.body_len, 10, "body length");

  CHECK_REQ ("trimmed values and stored headers",
             "SUBSCRIBE /events HTTP/1.1\r\nhost:\t d \t\r\n"
             "CALLBACK: <https://192.168.1.10:4300/iotscp/events/x>\r\nnt: iotscp:event\r\n"
             "TIMEOUT: Second-1800\r\nHEARTBEAT:Second-15\r\n\r\n",
             0);
  CHECK_INT (req.method, IOTSCP_HTTP_SUBSCRIBE, "method");
  CHECK_STR (iotscp_http_header (&req, IOTSCP_HDR_HOST), "d", "trimmed host");
  CHECK_STR (iotscp_http_header (&req, IOTSCP_HDR_CALLBACK),
             "<https://192.168.1.10:4300/iotscp/events/x>", "CALLBACK");
  CHECK_STR (iotscp_http_header (&req, IOTSCP_HDR_NT), "iotscp:event", "NT");
  CHECK_STR (iotscp_http_header (&req, IOTSCP_HDR_HEARTBEAT), "Second-15", "HEARTBEAT");
  uint32_t seconds = 0;
  CHECK (iotscp_http_parse_seconds (iotscp_http_header (&req, IOTSCP_HDR_TIMEOUT), &seconds) == 0
         && seconds == 1800);

  CHECK_REQ ("empty stored value", GET ("/") "SID:   \r\n\r\n", 0);
  CHECK_STR (iotscp_http_header (&req, IOTSCP_HDR_SID), "", "empty SID");

  CHECK_REQ ("Connection: close", GET ("/") "Connection: Keep-Alive, close\r\n\r\n", 0);
  CHECK (!req.keep_alive);
  CHECK_REQ ("Connection list without close", GET ("/") "Connection: keep-alive, TE\r\n\r\n", 0);
  CHECK (req.keep_alive);

  CHECK_REQ ("two equal CL",
             "PUT /p HTTP/1.1\r\n" H "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok", 0);
  CHECK_REQ ("CL with leading zeros", "PUT /p HTTP/1.1\r\n" H "Content-Length: 002\r\n\r\nok", 0);
  CHECK_INT (req.body_len, 2, "body length");
  CHECK_REQ ("empty lines before the request", "\r\n\r\n" GET ("/") "\r\n", 0);
  CHECK_REQ ("unknown method is parsed through",
             "BREW /pot HTTP/1.1\r\n" H "Content-Length: 3\r\n\r\nabc", 0);
  CHECK_INT (req.method, IOTSCP_HTTP_OTHER, "unknown method");
  CHECK_INT (req.body_len, 3, "unknown method's body");
  CHECK_REQ ("methods are case-sensitive", "get / HTTP/1.1\r\n" H "\r\n", 0);
  CHECK_INT (req.method, IOTSCP_HTTP_OTHER, "lowercase get");
  CHECK_REQ ("long unknown method",
             "VERYLONGMETHODNAMETHATISLONGERTHANTHEBUFFER / HTTP/1.1\r\n" H "\r\n", 0);
  CHECK_INT (req.method, IOTSCP_HTTP_OTHER, "long method");
  CHECK_REQ ("DELETE", "DELETE /controllers/ab HTTP/1.1\r\n" H "\r\n", 0);
  CHECK_INT (req.method, IOTSCP_HTTP_DELETE, "method");
  CHECK_REQ ("UNSUBSCRIBE", "UNSUBSCRIBE /events HTTP/1.1\r\n" H "SID: uuid:1\r\n\r\n", 0);
  CHECK_INT (req.method, IOTSCP_HTTP_UNSUBSCRIBE, "method");
  CHECK_REQ ("long header name is skipped",
             GET ("/") "Content-Length-But-Much-Longer-Than-Twenty: 5\r\n\r\n", 0);
  CHECK (!req.has_content_length);
  CHECK_REQ ("obs-text in a value", GET ("/") "X-Name: K\xc3\xbc\x80\xff\r\n\r\n", 0);
  CHECK_REQ ("GET with a body", "GET / HTTP/1.1\r\n" H "Content-Length: 2\r\n\r\n{}", 0);
  CHECK_INT (req.body_len, 2, "GET body");

  CHECK_REQ ("incomplete head", GET ("/"), -1);
  CHECK (iotscp_http_request_started (&req));
  CHECK (!iotscp_http_request_head_done (&req));
  CHECK_REQ ("incomplete body", "PUT /p HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nabc", -1);
  CHECK (iotscp_http_request_head_done (&req));

  iotscp_http_request_reset (&req);
  CHECK (!iotscp_http_request_started (&req));
}

static void
test_bad_requests (void)
{
  size_t n = sizeof bad_cases / sizeof bad_cases[0], count = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (bad_cases[i].status == 0)
        continue;
      check_request (bad_cases[i].name, bad_cases[i].raw, bad_cases[i].len, bad_cases[i].status);
      count++;
    }
  printf ("malformed-request table: %zu cases\n", count);
}

static void
test_pipelining (void)
{
  static const char two[] = "PUT /a HTTP/1.1\r\n" H "Content-Length: 2\r\n\r\nhi" GET ("/b") "\r\n";
  size_t consumed = 0;
  iotscp_http_request_reset (&req);
  iotscp_http_status status
      = iotscp_http_request_feed (&req, (const uint8_t *)two, sizeof two - 1, &consumed);
  CHECK_INT (status, IOTSCP_HTTP_COMPLETE, "first pipelined request");
  CHECK (iotscp_http_path_is (&req, "/a"));
  CHECK_STR ((const char *)req.body, "hi", "first body");
  size_t first = consumed;
  CHECK_INT (first, strchr (two, 'G') - two, "consumed up to the second request");

  /* A finished request consumes nothing more until it is reset. */
  status = iotscp_http_request_feed (&req, (const uint8_t *)two + first, sizeof two - 1 - first,
                                     &consumed);
  CHECK_INT (status, IOTSCP_HTTP_COMPLETE, "complete stays complete");
  CHECK_INT (consumed, 0, "nothing consumed after COMPLETE");

  iotscp_http_request_reset (&req);
  status = iotscp_http_request_feed (&req, (const uint8_t *)two + first, sizeof two - 1 - first,
                                     &consumed);
  CHECK_INT (status, IOTSCP_HTTP_COMPLETE, "second pipelined request");
  CHECK (iotscp_http_path_is (&req, "/b"));
  CHECK_INT (req.method, IOTSCP_HTTP_GET, "second method");
  CHECK_INT (req.body_len, 0, "second body");

  /* An error also stops consuming. */
  iotscp_http_request_reset (&req);
  status = iotscp_http_request_feed (&req, (const uint8_t *)"GET / HTTP/9.9\r\n", 16, &consumed);
  CHECK_INT (status, IOTSCP_HTTP_ERROR, "error");
  status = iotscp_http_request_feed (&req, (const uint8_t *)"x", 1, &consumed);
  CHECK_INT (status, IOTSCP_HTTP_ERROR, "error stays");
  CHECK_INT (consumed, 0, "nothing consumed after ERROR");
}

static void
test_helpers (void)
{
  uint32_t s;
  CHECK (iotscp_http_parse_seconds ("Second-0", &s) == 0 && s == 0);
  CHECK (iotscp_http_parse_seconds ("second-4294967295", &s) == 0 && s == 4294967295u);
  CHECK (iotscp_http_parse_seconds ("Second-4294967296", &s) < 0);
  CHECK (iotscp_http_parse_seconds ("Second-", &s) < 0);
  CHECK (iotscp_http_parse_seconds ("Second--1", &s) < 0);
  CHECK (iotscp_http_parse_seconds ("Second-infinite", &s) < 0);
  CHECK (iotscp_http_parse_seconds ("Minute-5", &s) < 0);
  CHECK (iotscp_http_parse_seconds ("Se", &s) < 0);
  CHECK (iotscp_http_parse_seconds ("Second-01", &s) < 0);

  static const struct
  {
    const char *type;
    bool json;
  } types[] = {
    { "application/json", true },
    { "Application/JSON", true },
    { "application/json;charset=utf-8", true },
    { "application/json ; q=1", true },
    { "application/jsonx", false },
    { "text/plain", false },
    { "application/json-seq", false },
    { "", false },
  };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    {
      char raw[200];
      int n = snprintf (raw, sizeof raw,
                        "PUT /p HTTP/1.1\r\n" H "Content-Type: %s\r\nContent-Length: 0\r\n\r\n",
                        types[i].type);
      check_request (types[i].type, raw, (size_t)n, 0);
      CHECK_MSG (iotscp_http_content_type_is_json (&req) == types[i].json, "content type %s",
                 types[i].type);
    }
  CHECK_REQ ("no content type", "PUT /p HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n", 0);
  CHECK (!iotscp_http_content_type_is_json (&req));

  CHECK_STR (iotscp_http_method_name (IOTSCP_HTTP_SUBSCRIBE), "SUBSCRIBE", "method name");
  CHECK_STR (iotscp_http_method_name ((iotscp_http_method)99), "OTHER", "bad method name");
  CHECK_STR (iotscp_http_reason (431), "Request Header Fields Too Large", "reason");
  CHECK_STR (iotscp_http_reason (299), "Unknown", "unknown reason");
}

static iotscp_http_response resp;

/* The kept start of a response body, when the configuration keeps that much. */
#define CHECK_KEPT(text, what)                                                                     \
  do                                                                                               \
    {                                                                                              \
      if (IOTSCP_HTTP_MAX_RESPONSE_BODY >= sizeof text - 1)                                        \
        CHECK_STR ((const char *)resp.body, text, what);                                           \
      else                                                                                         \
        CHECK_INT (resp.body_len, IOTSCP_HTTP_MAX_RESPONSE_BODY, what);                            \
    }                                                                                              \
  while (0)

static iotscp_http_status
feed_response (const char *raw, size_t len, iotscp_http_method method, bool bytewise)
{
  iotscp_http_response_reset (&resp, method);
  iotscp_http_status status = IOTSCP_HTTP_NEED_MORE;
  size_t pos = 0, used;
  while (pos < len && status == IOTSCP_HTTP_NEED_MORE)
    {
      size_t n = bytewise ? 1 : len - pos;
      status = iotscp_http_response_feed (&resp, (const uint8_t *)raw + pos, n, &used);
      pos += used;
    }
  return status;
}

#define FEED_RESP(raw, method, bytewise) feed_response (raw, sizeof raw - 1, method, bytewise)

static void
test_responses (void)
{
  for (int bytewise = 0; bytewise < 2; bytewise++)
    {
      CHECK_INT (
          FEED_RESP ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", IOTSCP_HTTP_NOTIFY, bytewise),
          IOTSCP_HTTP_COMPLETE, "200");
      CHECK_INT (resp.status, 200, "status");
      CHECK (resp.keep_alive);

      CHECK_INT (FEED_RESP ("HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n"
                            "Content-Length: 13\r\nConnection: close\r\n\r\n{\"error\":{}}\n",
                            IOTSCP_HTTP_NOTIFY, bytewise),
                 IOTSCP_HTTP_COMPLETE, "412");
      CHECK_INT (resp.status, 412, "status");
      CHECK (!resp.keep_alive);
      CHECK_INT (resp.body_total, 13, "body length");
      CHECK_KEPT ("{\"error\":{}}\n", "body");

      CHECK_INT (FEED_RESP ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200\r\nTransfer-Encoding: "
                            "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                            IOTSCP_HTTP_NOTIFY, bytewise),
                 IOTSCP_HTTP_COMPLETE, "100 then chunked 200");
      CHECK_INT (resp.status, 200, "final status");
      CHECK_INT (resp.body_total, 3, "chunked body length");
      CHECK_KEPT ("abc", "chunked body");

      CHECK_INT (FEED_RESP ("HTTP/1.1 204 No Content\r\n\r\n", IOTSCP_HTTP_NOTIFY, bytewise),
                 IOTSCP_HTTP_COMPLETE, "204");
      CHECK_INT (
          FEED_RESP ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", IOTSCP_HTTP_HEAD, bytewise),
          IOTSCP_HTTP_COMPLETE, "answer to HEAD");
      CHECK_INT (
          FEED_RESP ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", IOTSCP_HTTP_NOTIFY, bytewise),
          IOTSCP_HTTP_COMPLETE, "HTTP/1.0");
      CHECK (!resp.keep_alive);

      CHECK_INT (FEED_RESP ("HTTP/1.1 200 OK\r\n\r\nuntil close", IOTSCP_HTTP_NOTIFY, bytewise),
                 IOTSCP_HTTP_NEED_MORE, "body until close");
      CHECK (resp.until_close && !resp.keep_alive);
      CHECK_INT (iotscp_http_response_eof (&resp), IOTSCP_HTTP_COMPLETE, "eof completes");
      CHECK_INT (resp.body_total, 11, "body until close");
      CHECK_KEPT ("until close", "body until close");

      CHECK_INT (FEED_RESP ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", IOTSCP_HTTP_NOTIFY,
                            bytewise),
                 IOTSCP_HTTP_NEED_MORE, "short body");
      CHECK_INT (iotscp_http_response_eof (&resp), IOTSCP_HTTP_ERROR, "eof in a body");

      static const char *const bad[] = {
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 099 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n",
        "HTTP/1.1 200 O\x01K\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
      };
      for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG (feed_response (bad[i], strlen (bad[i]), IOTSCP_HTTP_NOTIFY, bytewise)
                       == IOTSCP_HTTP_ERROR,
                   "bad response %zu must fail", i);
    }

  /* Bodies longer than what is kept are framed and skipped: only their start is kept. */
  static char big[IOTSCP_HTTP_MAX_RESPONSE_BODY + 3000];
  for (int chunked = 0; chunked < 3; chunked++)
    {
      static const char *const heads[] = {
        "HTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2500\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9c4\r\n",
      };
      int n = snprintf (big, sizeof big, "%s", heads[chunked]);
      memset (big + n, 'x', 2500);
      n += 2500;
      if (chunked == 2)
        n += snprintf (big + n, sizeof big - (size_t)n, "\r\n0\r\n\r\n");
      iotscp_http_status status = feed_response (big, (size_t)n, IOTSCP_HTTP_NOTIFY, false);
      if (chunked == 0)
        {
          CHECK_INT (status, IOTSCP_HTTP_NEED_MORE, "long body until close");
          status = iotscp_http_response_eof (&resp);
        }
      CHECK_INT (status, IOTSCP_HTTP_COMPLETE, "long response body is skipped");
      CHECK_INT (resp.body_total, 2500, "skipped body counted");
      CHECK_INT (resp.body_len,
                 IOTSCP_HTTP_MAX_RESPONSE_BODY < 2500 ? IOTSCP_HTTP_MAX_RESPONSE_BODY : 2500,
                 "kept part");
    }
}

/*
 * Reads a stream of pipelined requests the way the device's server does: never more than
 * iotscp_http_request_max_read() at a time. Every read must be taken whole (the bound never
 * reaches into the next request) and every request must come out as it was sent.
 */
static void
test_max_read (void)
{
  static const char stream[] = "\r\nPUT /a HTTP/1.1\r\n" H "Content-Length: 2\r\n\r\nhi"
                               "GET /b HTTP/1.1\r\n" H "\r\n"
                               "A / HTTP/1.1\r\nHost:\r\n\r\n"
                               "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n"
                               "POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: y\r\n\r\n"
                               "0\r\n\r\n"
                               "GET /e HTTP/1.1\r\n" H "\r\n";
  static const char *const paths[] = { "/a", "/b", "/", "/c", "/d", "/e" };
  static const char *const bodies[] = { "hi", "", "", "abc0123456789abcdef", "", "" };
  static iotscp_http_body_buffer own_body;
  for (int round = 0; round < 50; round++)
    {
      size_t pos = 0, len = sizeof stream - 1, reads = 0;
      for (size_t r = 0; r < sizeof paths / sizeof paths[0]; r++)
        {
          iotscp_http_status status = IOTSCP_HTTP_NEED_MORE;
          iotscp_http_request_reset (&req);
          iotscp_http_request_attach_body (&req, NULL);
          while (status == IOTSCP_HTTP_NEED_MORE)
            {
              size_t want = iotscp_http_request_max_read (&req), used = 0;
              if (iotscp_http_request_wants_body (&req))
                {
                  CHECK_INT (want, 0, "nothing to read while a body buffer is missing");
                  iotscp_http_request_attach_body (&req, &own_body);
                  continue;
                }
              CHECK_MSG (want > 0, "request %zu: max_read 0 while incomplete", r);
              if (want == 0)
                return;
              /* Round 0 reads all it may; the others read less at random. */
              if (round > 0)
                want = 1 + rng () % want;
              if (want > len - pos)
                want = len - pos;
              status = iotscp_http_request_feed (&req, (const uint8_t *)stream + pos, want, &used);
              CHECK_MSG (used == want, "request %zu: %zu of %zu bytes taken", r, used, want);
              pos += used;
              reads++;
            }
          CHECK_INT (status, IOTSCP_HTTP_COMPLETE, "pipelined request complete");
          CHECK_MSG (iotscp_http_path_is (&req, paths[r]), "request %zu path", r);
          CHECK_INT (req.body_len, strlen (bodies[r]), "pipelined body length");
          if (req.body != NULL)
            CHECK_STR ((const char *)req.body, bodies[r], "pipelined body");
        }
      CHECK_INT (pos, len, "whole stream read");
      if (round == 0)
        printf ("pipelined stream of %zu bytes read in %zu pieces (1-byte reads: %zu)\n", len,
                reads, len);
    }
  iotscp_http_request_attach_body (&req, &body_buffer);
}

static void
test_writers (void)
{
  char buf[512];
  size_t n
      = iotscp_http_write_head (buf, sizeof buf, 200, "application/json", 12, "SID: x\r\n", true);
  CHECK_STR (buf,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
             "SID: x\r\n\r\n",
             "200 head");
  CHECK_INT (n, strlen (buf), "head length");
  for (size_t cap = 0; cap <= n; cap++)
    CHECK_MSG (iotscp_http_write_head (buf, cap, 200, "application/json", 12, "SID: x\r\n", true)
                   == 0,
               "head in %zu bytes must fail", cap);

  n = iotscp_http_write_head (buf, sizeof buf, 204, NULL, 0, NULL, false);
  CHECK_STR (buf, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", "204 head");

  /* An error answer must parse back with our own response and JSON parsers. */
  const char *message = "bad \"name\"\n\\ K\xc3\xbc"
                        "che \x01 \xff";
  n = iotscp_http_write_error (buf, sizeof buf, 422, "invalid-value", message, false);
  CHECK (n > 0);
  CHECK_INT (feed_response (buf, n, IOTSCP_HTTP_PUT, false), IOTSCP_HTTP_COMPLETE,
             "error answer parses");
  CHECK_INT (resp.status, 422, "error status");
  CHECK (!resp.keep_alive);
  iotscp_json_token tokens[16];
  iotscp_json_doc doc;
  iotscp_json_doc_init (&doc, tokens, 16);
  /* The parser keeps no body by default: the body is the framed tail of the answer. */
  CHECK_INT (resp.body_total, n - (size_t)(strstr (buf, "\r\n\r\n") + 4 - buf),
             "error body length");
  CHECK_INT (iotscp_json_parse (&doc, buf + n - resp.body_total, resp.body_total), 0,
             "error body JSON");
  int error = iotscp_json_object_get (&doc, 0, "error");
  char text[128];
  CHECK (iotscp_json_get_string (&doc, iotscp_json_object_get (&doc, error, "code"), text,
                                 sizeof text, NULL)
             == 0
         && strcmp (text, "invalid-value") == 0);
  CHECK (iotscp_json_get_string (&doc, iotscp_json_object_get (&doc, error, "message"), text,
                                 sizeof text, NULL)
         == 0);
  CHECK_STR (text,
             "bad \"name\"\n\\ K\xc3\xbc"
             "che \x01 \xef\xbf\xbd",
             "message round trip");
  size_t full = n;
  for (size_t cap = 0; cap <= full; cap++)
    CHECK_MSG (iotscp_http_write_error (buf, cap, 422, "invalid-value", message, false) == 0,
               "error in %zu bytes must fail", cap);

  n = iotscp_http_write_request_head (buf, sizeof buf, "NOTIFY", "/iotscp/events/x", "h:1",
                                      "application/json", 17, "SEQ: 0\r\n");
  CHECK_STR (buf,
             "NOTIFY /iotscp/events/x HTTP/1.1\r\nHost: h:1\r\nContent-Type: application/json\r\n"
             "Content-Length: 17\r\nSEQ: 0\r\n\r\n",
             "NOTIFY head");
  CHECK_INT (iotscp_http_write_request_head (buf, n, "NOTIFY", "/x", "h", NULL, 0, NULL) > 0, 1,
             "short request head");
  CHECK_INT (iotscp_http_write_request_head (buf, sizeof buf, "NOTIFY", "x", "h", NULL, 0, NULL), 0,
             "target must be origin-form");
}

int
main (void)
{
  iotscp_http_request_attach_body (&req, &body_buffer);
  test_good_requests ();
  test_bad_requests ();
  test_sizes ();
  test_pipelining ();
  test_max_read ();
  test_helpers ();
  test_responses ();
  test_writers ();
  return unit_finish ("test-http");
}
