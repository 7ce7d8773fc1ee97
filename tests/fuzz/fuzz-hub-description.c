/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hub's description parser (src/core/hearth-description.c) on arbitrary bytes. Besides
 * memory errors, it checks that whatever is accepted keeps the limits of docs/protocol.md §4:
 * counts, valid names, lookups that find every entry, enum values valid for their own schema,
 * and that parsing is deterministic.
 */
#include "fuzz.h"

#include "hearth-description.h"

static void
check_schema (const HearthSchema *schema)
{
  if (schema->name != NULL)
    FUZZ_CHECK (hearth_description_name_is_valid (schema->name));
  if (schema->has_minimum && schema->has_maximum)
    FUZZ_CHECK (schema->minimum <= schema->maximum);
  if (schema->has_step)
    FUZZ_CHECK (schema->step > 0);
  if (schema->enum_values != NULL)
    {
      FUZZ_CHECK (json_array_get_length (schema->enum_values) <= HEARTH_DESCRIPTION_MAX_ENUM);
      for (guint i = 0; i < json_array_get_length (schema->enum_values); i++)
        FUZZ_CHECK (hearth_schema_check_value (
            schema, json_array_get_element (schema->enum_values, i), NULL));
    }
  if (schema->fields != NULL)
    {
      FUZZ_CHECK (schema->fields->len <= HEARTH_DESCRIPTION_MAX_FIELDS);
      for (guint i = 0; i < schema->fields->len; i++)
        check_schema (g_ptr_array_index (schema->fields, i));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description
      = hearth_description_parse ((const char *)data, size, &error);
  g_autoptr (HearthDescription) again = hearth_description_parse ((const char *)data, size, NULL);

  FUZZ_CHECK ((description == NULL) == (again == NULL));
  if (description == NULL)
    {
      FUZZ_CHECK (error != NULL);
      return 0;
    }

  FUZZ_CHECK (size <= HEARTH_DESCRIPTION_MAX_BYTES);
  FUZZ_CHECK (hearth_description_get_n_properties (description)
              <= HEARTH_DESCRIPTION_MAX_PROPERTIES);
  FUZZ_CHECK (hearth_description_get_n_actions (description) <= HEARTH_DESCRIPTION_MAX_ACTIONS);
  FUZZ_CHECK (hearth_description_get_n_events (description) <= HEARTH_DESCRIPTION_MAX_EVENTS);
  FUZZ_CHECK (hearth_description_get_icon (description) != NULL);
  for (guint i = 0; i < hearth_description_get_n_properties (description); i++)
    {
      const HearthSchema *schema = hearth_description_get_property (description, i);

      check_schema (schema);
      FUZZ_CHECK (hearth_description_lookup_property (description, schema->name) == schema);
    }
  for (guint i = 0; i < hearth_description_get_n_actions (description); i++)
    {
      const HearthActionInfo *action = hearth_description_get_action (description, i);

      FUZZ_CHECK (hearth_description_name_is_valid (action->name));
      if (action->input != NULL)
        check_schema (action->input);
      if (action->output != NULL)
        check_schema (action->output);
    }
  for (guint i = 0; i < hearth_description_get_n_events (description); i++)
    {
      const HearthEventInfo *event = hearth_description_get_event (description, i);

      FUZZ_CHECK (hearth_description_name_is_valid (event->name));
      if (event->data != NULL)
        check_schema (event->data);
    }
  if (hearth_description_get_primary (description) != NULL)
    FUZZ_CHECK (hearth_description_lookup_property (description,
                                                    hearth_description_get_primary (description))
                != NULL);
  FUZZ_CHECK (hearth_description_get_n_properties (description)
              == hearth_description_get_n_properties (again));
  return 0;
}
