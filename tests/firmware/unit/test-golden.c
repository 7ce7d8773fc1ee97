/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Runs the golden IOTSCP/2 vectors of tests/data/protocol through the
 * firmware parsers: every request must parse COMPLETE (at once and byte by
 * byte, to the last byte), every answer too, every JSON body and description
 * must be valid JSON, and the probe messages must decode to what README.md
 * there says. The hub's test suite reads the same files.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>

#include "iotscp_http.h"
#include "iotscp_json.h"
#include "iotscp_probe_msg.h"
#include "unit.h"

#ifndef HEARTH_PROTOCOL_DATA_DIR
#error "HEARTH_PROTOCOL_DATA_DIR must name tests/data/protocol"
#endif

static iotscp_http_request req;
static iotscp_http_body_buffer req_body;
static iotscp_http_response resp;
static iotscp_json_token tokens[4096];

static bool
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

static int
parse_json (const char *name, const uint8_t *text, size_t len, size_t max_tokens)
{
  iotscp_json_doc doc;
  iotscp_json_doc_init (&doc, tokens, max_tokens);
  int r = iotscp_json_parse (&doc, (const char *)text, len);
  CHECK_MSG (r == 0, "%s: JSON error %d at byte %u", name, r, doc.error_offset);
  return r;
}

static void
check_request_file (const char *name, const char *data, size_t len)
{
  size_t consumed = 0;
  iotscp_http_request_reset (&req);
  iotscp_http_status status
      = iotscp_http_request_feed (&req, (const uint8_t *)data, len, &consumed);
  CHECK_MSG (status == IOTSCP_HTTP_COMPLETE && consumed == len,
             "%s: status %d (error %d %s), consumed %zu of %zu", name, (int)status,
             req.error_status, req.error_code ? req.error_code : "", consumed, len);
  if (status != IOTSCP_HTTP_COMPLETE)
    return;
  CHECK_MSG (req.method != IOTSCP_HTTP_OTHER, "%s: unknown method", name);
  static uint8_t body[IOTSCP_HTTP_MAX_BODY + 1];
  size_t body_len = req.body_len;
  memcpy (body, req.body, body_len);
  if (body_len > 0)
    {
      CHECK_MSG (iotscp_http_content_type_is_json (&req), "%s: body is not application/json", name);
      /* Requests to the device must fit its limits; NOTIFY bodies go to the hub. */
      parse_json (name, body, body_len,
                  req.method == IOTSCP_HTTP_NOTIFY ? 4096 : IOTSCP_JSON_MAX_TOKENS);
    }

  /* Byte by byte gives the same request. */
  iotscp_http_request_reset (&req);
  size_t pos = 0;
  status = IOTSCP_HTTP_NEED_MORE;
  while (pos < len && status == IOTSCP_HTTP_NEED_MORE)
    {
      status = iotscp_http_request_feed (&req, (const uint8_t *)data + pos, 1, &consumed);
      pos += consumed;
    }
  CHECK_MSG (status == IOTSCP_HTTP_COMPLETE && pos == len && req.body_len == body_len
                 && memcmp (req.body, body, body_len) == 0,
             "%s: bytewise parse differs", name);
}

static void
check_response_file (const char *name, const char *data, size_t len)
{
  size_t consumed = 0;
  iotscp_http_response_reset (&resp, IOTSCP_HTTP_GET);
  iotscp_http_status status
      = iotscp_http_response_feed (&resp, (const uint8_t *)data, len, &consumed);
  if (status == IOTSCP_HTTP_NEED_MORE && resp.until_close)
    status = iotscp_http_response_eof (&resp);
  /* The response parser keeps no body (the device needs only the status): every answer,
   * descriptions included, is framed to its end, and a body framed by Content-Length is checked
   * as JSON where it lies in the file. */
  CHECK_MSG (status == IOTSCP_HTTP_COMPLETE && consumed == len,
             "%s: status %d, consumed %zu of %zu", name, (int)status, consumed, len);
  if (status == IOTSCP_HTTP_COMPLETE && !resp.chunked && resp.body_total > 0
      && resp.body_total <= len)
    parse_json (name, (const uint8_t *)data + len - resp.body_total, resp.body_total, 4096);
  CHECK_MSG (resp.status >= 200 && resp.status <= 599, "%s: status %d", name, resp.status);
}

static void
check_messages (const char *dir)
{
  DIR *d = opendir (dir);
  CHECK_MSG (d != NULL, "cannot open %s", dir);
  if (!d)
    return;
  struct dirent *e;
  int requests = 0, responses = 0;
  while ((e = readdir (d)))
    {
      char path[1024];
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      bool is_request = ends_with (e->d_name, ".request.http");
      bool is_response = ends_with (e->d_name, ".response.http");
      if (!is_request && !is_response)
        continue;
      size_t len;
      char *data = unit_read_file (path, &len);
      CHECK_MSG (data != NULL, "cannot read %s", path);
      if (!data)
        continue;
      if (is_request)
        check_request_file (e->d_name, data, len), requests++;
      else
        check_response_file (e->d_name, data, len), responses++;
      free (data);
    }
  closedir (d);
  printf ("golden messages: %d requests, %d responses\n", requests, responses);
  CHECK (requests > 0 && responses > 0);
}

static char *
read_message (const char *dir, const char *name, size_t *len)
{
  char path[1024];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  char *data = unit_read_file (path, len);
  CHECK_MSG (data != NULL, "cannot read %s", path);
  return data;
}

static void
check_probe_messages (const char *dir)
{
  size_t len;
  char *data;
  iotscp_probe probe;
  iotscp_probe_answer answer;

  if ((data = read_message (dir, "probe.msg", &len)))
    {
      CHECK_MSG (iotscp_probe_parse (data, len, &probe) == 0 && !probe.has_id, "probe.msg");
      free (data);
    }
  if ((data = read_message (dir, "probe-id.msg", &len)))
    {
      CHECK_MSG (iotscp_probe_parse (data, len, &probe) == 0 && probe.has_id
                     && strcmp (probe.id, "sim-0123456789abcdef") == 0,
                 "probe-id.msg");
      free (data);
    }
  if ((data = read_message (dir, "probe-too-short.msg", &len)))
    {
      CHECK_MSG (iotscp_probe_parse (data, len, &probe) < 0, "probe-too-short.msg must be dropped");
      free (data);
    }
  size_t probe_len = 400;
  if ((data = read_message (dir, "here.msg", &len)))
    {
      CHECK_MSG (iotscp_probe_answer_parse (data, len, &answer) == 0 && !answer.hello, "here.msg");
      CHECK_STR (answer.name,
                 "K\xc3\xbc"
                 "che \xe2\x98\x80",
                 "here.msg name");
      CHECK_MSG (len <= probe_len, "here.msg is larger than the probe");
      /* Our formatter writes the same bytes from the same facts. */
      iotscp_probe_info info
          = { answer.id, answer.name, answer.port, answer.fp, answer.path, answer.pair };
      char buf[IOTSCP_PROBE_MAX_SIZE];
      size_t n = iotscp_probe_answer_format (buf, sizeof buf, probe_len, answer.nonce, &info);
      CHECK_MSG (n == len && memcmp (buf, data, len) == 0, "here.msg differs from the formatter");
      free (data);
    }
  if ((data = read_message (dir, "hello.msg", &len)))
    {
      CHECK_MSG (iotscp_probe_answer_parse (data, len, &answer) == 0 && answer.hello, "hello.msg");
      iotscp_probe_info info
          = { answer.id, answer.name, answer.port, answer.fp, answer.path, answer.pair };
      char buf[IOTSCP_PROBE_MAX_SIZE];
      size_t n = iotscp_probe_answer_format (buf, sizeof buf, sizeof buf, NULL, &info);
      CHECK_MSG (n == len && memcmp (buf, data, len) == 0, "hello.msg differs from the formatter");
      free (data);
    }
}

static void
check_descriptions (const char *dir)
{
  DIR *d = opendir (dir);
  CHECK_MSG (d != NULL, "cannot open %s", dir);
  if (!d)
    return;
  struct dirent *e;
  int count = 0;
  while ((e = readdir (d)))
    {
      if (!ends_with (e->d_name, ".json"))
        continue;
      char path[1024];
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      size_t len;
      char *data = unit_read_file (path, &len);
      if (!data)
        continue;
      iotscp_json_doc doc;
      iotscp_json_doc_init (&doc, tokens, sizeof tokens / sizeof tokens[0]);
      int r = iotscp_json_parse (&doc, data, len);
      CHECK_MSG (r == 0, "%s: JSON error %d at %u", e->d_name, r, doc.error_offset);
      int64_t version = 0;
      CHECK_MSG (
          r == 0
              && iotscp_json_get_int64 (&doc, iotscp_json_object_get (&doc, 0, "iotscp"), &version)
                     == 0
              && version == 2,
          "%s: iotscp must be 2", e->d_name);
      free (data);
      count++;
    }
  closedir (d);
  printf ("golden descriptions: %d\n", count);
  CHECK (count > 0);
}

int
main (void)
{
  iotscp_http_request_attach_body (&req, &req_body);
  check_messages (HEARTH_PROTOCOL_DATA_DIR "/messages");
  check_probe_messages (HEARTH_PROTOCOL_DATA_DIR "/messages");
  check_descriptions (HEARTH_PROTOCOL_DATA_DIR "/descriptions");
  return unit_finish ("test-golden");
}
