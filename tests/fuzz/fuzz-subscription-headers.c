/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the subscription headers a device parses (protocol.md section 7.1): CALLBACK
 * (iotscp_subscription_parse_callback with the address parsers, iotscp_callback.c) and the
 * TIMEOUT and HEARTBEAT values (iotscp_http_parse_seconds). The first input byte chooses the
 * subscriber's address (IPv4 127.0.0.1 or IPv6 ::1, or one parsed from the input's first line);
 * the rest, cut at the header value limit (256 bytes) as the HTTP parser would, is the value.
 * Invariants: an accepted CALLBACK points at the subscriber's own address, its path is visible
 * ASCII starting with '/', the strings fit their buffers and are terminated; an accepted
 * "Second-<n>" is written back and parses to the same number.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "iotscp_http.h"
#include "iotscp_internal.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char value[IOTSCP_HTTP_MAX_CALLBACK + 1];
  iotscp_subscription sub;
  iotscp_addr subscriber;
  const char *why = NULL;
  uint32_t seconds;
  size_t len;

  if (size == 0)
    return 0;
  memset (&subscriber, 0, sizeof subscriber);
  len = size - 1 < IOTSCP_HTTP_MAX_CALLBACK ? size - 1 : IOTSCP_HTTP_MAX_CALLBACK;
  memcpy (value, data + 1, len);
  value[len] = '\0';
  /* The HTTP parser never hands on a value with NUL or control bytes other than tab. */
  if (strlen (value) != len)
    return 0;

  switch (data[0] % 3)
    {
      case 0:
        subscriber.family = IOTSCP_AF_INET;
        FUZZ_CHECK (iotscp_addr_parse_ipv4 ("127.0.0.1", subscriber.bytes));
        break;
      case 1:
        subscriber.family = IOTSCP_AF_INET6;
        FUZZ_CHECK (iotscp_addr_parse_ipv6 ("::1", subscriber.bytes));
        break;
      default:
        {
          /* Whatever the value's host is, as the subscriber: exercises the accepting path. */
          char host[64];
          const char *start = strstr (value, "://");
          size_t n = 0;
          if (start == NULL)
            return 0;
          start += 3;
          if (*start == '[')
            start++;
          while (start[n] != '\0' && strchr ("]:/", start[n]) == NULL && n < sizeof host - 1)
            n++;
          memcpy (host, start, n);
          host[n] = '\0';
          if (iotscp_addr_parse_ipv4 (host, subscriber.bytes))
            subscriber.family = IOTSCP_AF_INET;
          else if (iotscp_addr_parse_ipv6 (host, subscriber.bytes))
            subscriber.family = IOTSCP_AF_INET6;
          else
            return 0;
        }
    }

  memset (&sub, 0x5a, sizeof sub);
  if (iotscp_subscription_parse_callback (value, &subscriber, &sub, &why))
    {
      size_t host_len = strnlen (sub.callback_host, sizeof sub.callback_host);
      size_t path_len = strnlen (sub.callback_path, sizeof sub.callback_path);
      FUZZ_CHECK (host_len < sizeof sub.callback_host && path_len < sizeof sub.callback_path);
      FUZZ_CHECK (sub.callback_path[0] == '/');
      for (size_t i = 0; i < path_len; i++)
        FUZZ_CHECK (sub.callback_path[i] > 0x20 && sub.callback_path[i] < 0x7f);
      FUZZ_CHECK (sub.callback_addr.family == subscriber.family);
      FUZZ_CHECK (memcmp (sub.callback_addr.bytes, subscriber.bytes,
                          subscriber.family == IOTSCP_AF_INET ? 4 : 16)
                  == 0);
      FUZZ_CHECK (sub.callback_addr.port != 0);
    }
  else
    FUZZ_CHECK (why != NULL);

  if (iotscp_http_parse_seconds (value, &seconds) == 0)
    {
      char again[32];
      uint32_t back;
      snprintf (again, sizeof again, "Second-%lu", (unsigned long)seconds);
      FUZZ_CHECK (iotscp_http_parse_seconds (again, &back) == 0 && back == seconds);
    }
  return 0;
}
