/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the firmware HTTP response parser (answers to NOTIFY), fed
 * at once and byte by byte, which must agree; then end of stream.
 */
#include <string.h>

#include "fuzz.h"
#include "iotscp_http.h"

static iotscp_http_response whole, bytes;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  iotscp_http_method method = size > 0 && data[0] == 'H' ? IOTSCP_HTTP_HEAD : IOTSCP_HTTP_NOTIFY;
  size_t used = 0;
  iotscp_http_response_reset (&whole, method);
  iotscp_http_status status = iotscp_http_response_feed (&whole, data, size, &used);
  FUZZ_CHECK (used <= size);
  FUZZ_CHECK (status != IOTSCP_HTTP_NEED_MORE || used == size);

  iotscp_http_response_reset (&bytes, method);
  size_t pos = 0;
  iotscp_http_status byte_status = IOTSCP_HTTP_NEED_MORE;
  while (pos < size && byte_status == IOTSCP_HTTP_NEED_MORE)
    {
      size_t one = 0;
      byte_status = iotscp_http_response_feed (&bytes, data + pos, 1, &one);
      pos += one;
    }
  FUZZ_CHECK (byte_status == status && pos == used);
  if (status == IOTSCP_HTTP_COMPLETE)
    {
      FUZZ_CHECK (whole.status >= 200 && whole.status <= 999);
      FUZZ_CHECK (whole.body_len <= IOTSCP_HTTP_MAX_RESPONSE_BODY);
      FUZZ_CHECK (bytes.status == whole.status && bytes.body_len == whole.body_len
                  && memcmp (bytes.body, whole.body, whole.body_len) == 0);
    }
  iotscp_http_status eof = iotscp_http_response_eof (&whole);
  FUZZ_CHECK (eof == IOTSCP_HTTP_COMPLETE || eof == IOTSCP_HTTP_ERROR);
  return 0;
}
