/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the firmware HTTP request parser. The first byte chooses how
 * the rest is cut into pieces, and the parse must come out the same as when
 * the bytes arrive at once; pipelined requests are parsed until the input
 * runs out. Every result is checked against the parser's promises.
 */
#include <string.h>

#include "fuzz.h"
#include "iotscp_http.h"
#include "iotscp_text.h"

static iotscp_http_request whole, pieces, bounded;
static iotscp_http_body_buffer whole_body, pieces_body, bounded_body;

static void
check_result (const iotscp_http_request *req, iotscp_http_status status)
{
  if (status == IOTSCP_HTTP_ERROR)
    {
      int s = req->error_status;
      FUZZ_CHECK (s == 400 || s == 411 || s == 413 || s == 414 || s == 431);
      FUZZ_CHECK (req->error_code != NULL);
      return;
    }
  if (status != IOTSCP_HTTP_COMPLETE)
    return;
  FUZZ_CHECK (req->body_len <= IOTSCP_HTTP_MAX_BODY);
  FUZZ_CHECK (req->segment_count >= 1 && req->segment_count <= IOTSCP_HTTP_MAX_SEGMENTS);
  FUZZ_CHECK (req->target_len <= IOTSCP_HTTP_MAX_TARGET);
  for (unsigned i = 0; i < req->segment_count; i++)
    {
      size_t len;
      const char *segment = iotscp_http_path_segment (req, i, &len);
      FUZZ_CHECK (segment != NULL && iotscp_text_utf8_valid (segment, len));
    }
  FUZZ_CHECK (iotscp_http_header (req, IOTSCP_HDR_HOST) != NULL);
  for (int id = 0; id < IOTSCP_HDR_STORED_COUNT; id++)
    {
      const char *value = iotscp_http_header (req, (iotscp_http_header_id)id);
      FUZZ_CHECK (!value || strlen (value) <= IOTSCP_HTTP_MAX_CALLBACK);
    }
  FUZZ_CHECK (!(req->chunked && req->has_content_length));
  FUZZ_CHECK (req->chunked || req->body_len == req->content_length);
  (void)iotscp_http_content_type_is_json (req);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  unsigned split_seed = data[0];
  data++;
  size--;
  iotscp_http_request_attach_body (&whole, &whole_body);
  iotscp_http_request_attach_body (&pieces, &pieces_body);

  size_t pos = 0;
  for (int requests = 0; pos < size && requests < 8; requests++)
    {
      size_t used = 0;
      iotscp_http_request_reset (&whole);
      iotscp_http_status status = iotscp_http_request_feed (&whole, data + pos, size - pos, &used);
      FUZZ_CHECK (used <= size - pos);
      FUZZ_CHECK (status != IOTSCP_HTTP_NEED_MORE || used == size - pos);
      check_result (&whole, status);

      /* The same bytes in pieces of 1..16 bytes, chosen by the first byte. */
      iotscp_http_request_reset (&pieces);
      size_t p = pos, step = 0;
      iotscp_http_status split_status = IOTSCP_HTTP_NEED_MORE;
      while (p < size && split_status == IOTSCP_HTTP_NEED_MORE)
        {
          size_t n = 1 + ((split_seed >> (step % 4)) + step) % 16;
          step++;
          if (n > size - p)
            n = size - p;
          size_t piece_used = 0;
          split_status = iotscp_http_request_feed (&pieces, data + p, n, &piece_used);
          FUZZ_CHECK (piece_used <= n);
          p += piece_used;
        }
      FUZZ_CHECK (split_status == status);
      FUZZ_CHECK (p - pos == used);
      if (status == IOTSCP_HTTP_ERROR)
        FUZZ_CHECK (pieces.error_status == whole.error_status);
      if (status == IOTSCP_HTTP_COMPLETE)
        {
          FUZZ_CHECK (pieces.method == whole.method && pieces.body_len == whole.body_len
                      && memcmp (pieces.body, whole.body, whole.body_len) == 0
                      && pieces.segment_count == whole.segment_count
                      && pieces.keep_alive == whole.keep_alive);
          for (unsigned i = 0; i < whole.segment_count; i++)
            FUZZ_CHECK (strcmp (iotscp_http_path_segment (&whole, i, NULL),
                                iotscp_http_path_segment (&pieces, i, NULL))
                        == 0);
        }

      /* The same bytes read as the device's server reads them: never more than max_read, and
       * the body buffer attached only when the parser asks for it. A valid request must take
       * every read whole; then it never reaches into the bytes of the next one. */
      iotscp_http_request_reset (&bounded);
      iotscp_http_request_attach_body (&bounded, NULL);
      p = pos;
      split_status = IOTSCP_HTTP_NEED_MORE;
      bool over_read = false;
      while (p < size && split_status == IOTSCP_HTTP_NEED_MORE)
        {
          size_t n = iotscp_http_request_max_read (&bounded), piece_used = 0;
          if (iotscp_http_request_wants_body (&bounded))
            {
              FUZZ_CHECK (n == 0);
              iotscp_http_request_attach_body (&bounded, &bounded_body);
              continue;
            }
          FUZZ_CHECK (n > 0);
          if (n > size - p)
            n = size - p;
          split_status = iotscp_http_request_feed (&bounded, data + p, n, &piece_used);
          over_read |= piece_used < n;
          p += piece_used;
        }
      FUZZ_CHECK (split_status == status);
      if (status == IOTSCP_HTTP_COMPLETE)
        FUZZ_CHECK (!over_read && p - pos == used && bounded.body_len == whole.body_len);

      if (status != IOTSCP_HTTP_COMPLETE)
        break;
      pos += used;
    }
  return 0;
}
