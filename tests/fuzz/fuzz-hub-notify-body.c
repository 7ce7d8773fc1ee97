/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hub's NOTIFY body parser (src/core/hearth-notify-body.c) on arbitrary bytes: no memory
 * errors, and whatever is accepted keeps the limits (entry count, valid names, t ≥ 0, a value
 * for every property change) and parses the same way twice.
 */
#include "fuzz.h"

#include "hearth-description.h"
#include "hearth-notify-body.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = hearth_notify_body_parse ((const char *)data, size, &error);
  g_autoptr (GPtrArray) again = hearth_notify_body_parse ((const char *)data, size, NULL);

  FUZZ_CHECK ((entries == NULL) == (again == NULL));
  if (entries == NULL)
    {
      FUZZ_CHECK (error != NULL);
      return 0;
    }

  FUZZ_CHECK (size <= HEARTH_NOTIFY_BODY_MAX_BYTES);
  FUZZ_CHECK (entries->len <= HEARTH_NOTIFY_BODY_MAX_ENTRIES);
  FUZZ_CHECK (entries->len == again->len);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthNotifyEntry *entry = g_ptr_array_index (entries, i);

      FUZZ_CHECK (hearth_description_name_is_valid (entry->name));
      FUZZ_CHECK (entry->device_time_ms >= 0);
      FUZZ_CHECK (entry->value != NULL);
      if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY)
        FUZZ_CHECK (JSON_NODE_HOLDS_VALUE (entry->value));
    }
  return 0;
}
