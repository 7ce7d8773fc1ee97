/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the multicast probe codec. The input is parsed as a probe and
 * as an answer; whatever parses is formatted again and must parse back to
 * the same facts, and an answer is never larger than the probe it answers.
 */
#include <string.h>

#include "fuzz.h"
#include "iotscp_probe_msg.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char buf[IOTSCP_PROBE_MAX_SIZE];
  iotscp_probe probe;
  iotscp_probe_answer answer, back;

  if (iotscp_probe_parse (data, size, &probe) == 0)
    {
      FUZZ_CHECK (size >= IOTSCP_PROBE_MIN_SIZE && size <= IOTSCP_PROBE_MAX_SIZE);
      FUZZ_CHECK (strlen (probe.nonce) == IOTSCP_PROBE_NONCE_LEN);
      size_t n = iotscp_probe_format (buf, sizeof buf, size, probe.nonce,
                                      probe.has_id ? probe.id : NULL);
      FUZZ_CHECK (n == size);
      iotscp_probe again;
      FUZZ_CHECK (iotscp_probe_parse (buf, n, &again) == 0);
      FUZZ_CHECK (strcmp (again.nonce, probe.nonce) == 0 && again.has_id == probe.has_id
                  && strcmp (again.id, probe.id) == 0);
      /* The largest answer must fit this probe. */
      static const char name[] = "K\xc3\xbc"
                                 "che \xe2\x98\x80 with a long name of many words";
      iotscp_probe_info info = { "sim-0123456789abcdef-0123456789abcdef-0123456789abcdef-01234567",
                                 name,
                                 65535,
                                 "d8888f22474916b163b7fbfd9e0e7e9c2640bdcce461f891e7764dfb22408fcd",
                                 "/.well-known/iotscp",
                                 true };
      size_t answer_len = iotscp_probe_answer_format (buf, sizeof buf, size, probe.nonce, &info);
      FUZZ_CHECK (answer_len > 0 && answer_len <= size);
    }

  if (iotscp_probe_answer_parse (data, size, &answer) == 0)
    {
      iotscp_probe_info info
          = { answer.id, answer.name, answer.port, answer.fp, answer.path, answer.pair };
      size_t n = iotscp_probe_answer_format (buf, sizeof buf, sizeof buf,
                                             answer.hello ? NULL : answer.nonce, &info);
      /* Parsing accepts names with DEL-free UTF-8 only, so formatting must succeed. */
      FUZZ_CHECK (n > 0);
      FUZZ_CHECK (iotscp_probe_answer_parse (buf, n, &back) == 0);
      FUZZ_CHECK (back.hello == answer.hello && back.port == answer.port && back.pair == answer.pair
                  && strcmp (back.id, answer.id) == 0 && strcmp (back.name, answer.name) == 0
                  && strcmp (back.fp, answer.fp) == 0 && strcmp (back.path, answer.path) == 0
                  && strcmp (back.nonce, answer.nonce) == 0);
    }
  return 0;
}
