/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-notify-body"

#include "hearth-notify-body.h"

#include "hearth-description.h"
#include "hearth-error.h"

/* The validating parser of a NOTIFY body, `{"events": [ … ]}` (docs/protocol.md §7.4). The
 * body arrives from the network; only a device holding a pinned key gets this far, but a
 * pinned device can still be buggy, so the size (16 KiB), nesting depth, token count and number
 * of entries are bounded before and while parsing, and each entry must be exactly one of the
 * two shapes of §7.4. Entries are checked against the device's description later, by the
 * proxy that knows it. */

void
hearth_notify_entry_free (HearthNotifyEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->name);
  g_clear_pointer (&entry->value, json_node_unref);
  g_free (entry);
}

static gboolean
invalid (GError **error, guint index, const char *reason)
{
  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "NOTIFY entry %u: %s", index,
               reason);
  return FALSE;
}

static gboolean
parse_entry (JsonNode *node, guint index, HearthNotifyEntry *entry, GError **error)
{
  JsonObject *object;
  JsonNode *member;
  const char *kind;
  const char *value_member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, index, "not an object");
  object = json_node_get_object (node);

  member = json_object_get_member (object, "kind");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING)
    return invalid (error, index, "“kind” is missing or not a string");
  kind = json_node_get_string (member);
  if (g_str_equal (kind, "property"))
    {
      entry->kind = HEARTH_NOTIFY_ENTRY_PROPERTY;
      value_member = "value";
    }
  else if (g_str_equal (kind, "event"))
    {
      entry->kind = HEARTH_NOTIFY_ENTRY_EVENT;
      value_member = "data";
    }
  else
    return invalid (error, index, "“kind” is neither “property” nor “event”");

  member = json_object_get_member (object, "name");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING
      || !hearth_description_name_is_valid (json_node_get_string (member)))
    return invalid (error, index, "“name” is missing or not a valid name");
  entry->name = g_strdup (json_node_get_string (member));

  member = json_object_get_member (object, value_member);
  if (member == NULL)
    {
      /* A property change without a value says nothing; an event may omit null data. */
      if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY)
        return invalid (error, index, "a property change without “value”");
      entry->value = json_node_new (JSON_NODE_NULL);
    }
  else if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY && !JSON_NODE_HOLDS_VALUE (member))
    return invalid (error, index, "a property value must be a boolean, number or string");
  else
    entry->value = json_node_copy (member);

  member = json_object_get_member (object, "t");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_INT64 || json_node_get_int (member) < 0)
    return invalid (error, index, "“t” is missing or not a non-negative integer");
  entry->device_time_ms = json_node_get_int (member);

  return TRUE;
}

/**
 * hearth_notify_body_parse:
 * @data: the body of a NOTIFY request
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type HearthNotifyEntry): the entries in the order they
 *   happened (possibly none: a heartbeat), or %NULL with %HEARTH_ERROR_TOO_LARGE or
 *   %HEARTH_ERROR_INVALID_DATA
 */
GPtrArray *
hearth_notify_body_parse (const char *data, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;
  JsonNode *events;
  JsonArray *array;
  guint n;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > HEARTH_NOTIFY_BODY_MAX_BYTES)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "The NOTIFY body is %zu bytes long; at most %d are allowed", length,
                   HEARTH_NOTIFY_BODY_MAX_BYTES);
      return NULL;
    }
  if (!hearth_json_check_limits (data, length, HEARTH_NOTIFY_BODY_MAX_DEPTH,
                                 HEARTH_NOTIFY_BODY_MAX_TOKENS, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize)length, &local_error))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The NOTIFY body is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || (events = json_object_get_member (json_node_get_object (root), "events")) == NULL
      || !JSON_NODE_HOLDS_ARRAY (events))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The NOTIFY body must be an object with an “events” array");
      return NULL;
    }

  array = json_node_get_array (events);
  n = json_array_get_length (array);
  if (n > HEARTH_NOTIFY_BODY_MAX_ENTRIES)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "The NOTIFY body has %u entries; at most %d are allowed", n,
                   HEARTH_NOTIFY_BODY_MAX_ENTRIES);
      return NULL;
    }

  entries = g_ptr_array_new_full (n, (GDestroyNotify)hearth_notify_entry_free);
  for (guint i = 0; i < n; i++)
    {
      HearthNotifyEntry *entry = g_new0 (HearthNotifyEntry, 1);

      g_ptr_array_add (entries, entry);
      if (!parse_entry (json_array_get_element (array, i), i, entry, error))
        return NULL;
    }

  return g_steal_pointer (&entries);
}
