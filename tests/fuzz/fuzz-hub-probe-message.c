/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hub's parser of multicast probe messages (src/core/hearth-probe-message.c): every
 * datagram on UDP port 4299 goes through it. Beyond memory errors this checks that an accepted
 * message obeys the limits the parser promises, and that a probe it accepts can be rebuilt at
 * the same size with the same nonce and id. */

#include <string.h>

#include "fuzz.h"
#include "hearth-probe-message.h"

static int
is_lower_hex (const char *text, size_t length)
{
  if (text == NULL || strlen (text) != length)
    return 0;
  for (size_t i = 0; i < length; i++)
    if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
      return 0;
  return 1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  HearthProbeMessage *message = hearth_probe_message_parse (data, size, NULL);

  if (message == NULL)
    return 0;

  FUZZ_CHECK (size > 0 && size <= HEARTH_PROBE_MAX_BYTES);
  FUZZ_CHECK (data[size - 1] == '\n');
  FUZZ_CHECK (g_utf8_validate ((const char *)data, (gssize)size, NULL));

  if (message->verb == HEARTH_PROBE_VERB_PROBE)
    {
      GBytes *rebuilt;
      HearthProbeMessage *again;

      FUZZ_CHECK (size >= HEARTH_PROBE_MIN_BYTES);
      FUZZ_CHECK (is_lower_hex (message->nonce, HEARTH_PROBE_NONCE_LENGTH));
      rebuilt = hearth_probe_message_build_probe (message->nonce, message->device_id, size, NULL);
      FUZZ_CHECK (rebuilt != NULL);
      FUZZ_CHECK (g_bytes_get_size (rebuilt) == size);
      again = hearth_probe_message_parse (g_bytes_get_data (rebuilt, NULL), size, NULL);
      FUZZ_CHECK (again != NULL);
      FUZZ_CHECK (strcmp (again->nonce, message->nonce) == 0);
      FUZZ_CHECK (g_strcmp0 (again->device_id, message->device_id) == 0);
      hearth_probe_message_free (again);
      g_bytes_unref (rebuilt);
    }
  else
    {
      FUZZ_CHECK (message->device_id != NULL && strlen (message->device_id) <= 64);
      FUZZ_CHECK (message->name != NULL && strlen (message->name) >= 1
                  && strlen (message->name) <= 128);
      FUZZ_CHECK (g_utf8_validate (message->name, -1, NULL));
      FUZZ_CHECK (message->port > 0);
      FUZZ_CHECK (is_lower_hex (message->fingerprint, 64));
      FUZZ_CHECK (message->path != NULL && message->path[0] == '/');
      FUZZ_CHECK ((message->verb == HEARTH_PROBE_VERB_HERE) == (message->nonce != NULL));
      for (const char *p = message->name; *p != '\0'; p++)
        FUZZ_CHECK ((unsigned char)*p >= 0x20 && *p != 0x7f);
    }

  hearth_probe_message_free (message);
  return 0;
}
