/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-description"

#include "hearth-description.h"

#include <math.h>
#include <string.h>

#include "hearth-error.h"
#include "hearth-trust-store.h"

/* HearthDescription is the validating parser of a device's self-description
 * (`GET /.well-known/iotscp`, docs/protocol.md §4). A description comes from the network, from
 * a device that may be broken or hostile, so nothing of it reaches the rest of the hub before
 * every rule of §4 has been checked: the document size (64 KiB), the JSON nesting depth and
 * token count (checked by a scan before json-glib builds a tree, so a deeply nested document
 * cannot exhaust the stack), the number of properties, actions, events, fields and enum
 * values, name syntax, text lengths in bytes, and the cross-field rules JSON Schema cannot
 * state (minimum ≤ maximum, enum values within bounds, `ui.primary` and `required` naming
 * existing members).
 *
 * Unknown members are ignored as §4.6 asks, and listed (as "unsupported" entries) so that the
 * UI can tell the user that this device uses something newer than this hub; a property of an
 * unknown type is kept, marked unsupported, rather than making the whole device unusable. */

#define DESCRIPTION_MAX_DEPTH 16
#define DESCRIPTION_MAX_TOKENS 16384
#define DEVICE_NAME_MAX_BYTES 128
#define MODEL_MAX_BYTES 128
#define FIRMWARE_MAX_BYTES 64
#define TITLE_MAX_BYTES 64
#define DESCRIPTION_TEXT_MAX_BYTES 512
#define UNIT_MAX_BYTES 16
#define ENUM_TEXT_MAX_BYTES 64
#define STRING_DEFAULT_MAX_LENGTH 64
#define STRING_MAX_LENGTH 512
#define UNSUPPORTED_MAX_ENTRIES 64
#define SCHEMA_MAX_NESTING 4
#define INTEGER_LIMIT 9007199254740991.0 /* 2^53 − 1 */

struct _HearthDescription
{
  gatomicrefcount ref_count;
  char *id;
  char *name;
  char *model;
  char *manufacturer;
  char *firmware;
  char *icon;
  char *primary;
  GPtrArray *properties;  /* HearthSchema */
  GPtrArray *actions;     /* HearthActionInfo */
  GPtrArray *events;      /* HearthEventInfo */
  GPtrArray *unsupported; /* char *, NULL-terminated */
};

G_DEFINE_BOXED_TYPE (HearthDescription, hearth_description, hearth_description_ref,
                     hearth_description_unref)

static void
schema_free (HearthSchema *schema)
{
  if (schema == NULL)
    return;
  g_free (schema->name);
  g_free (schema->type_name);
  g_free (schema->title);
  g_free (schema->description);
  g_free (schema->unit);
  g_clear_pointer (&schema->enum_values, json_array_unref);
  g_free (schema->group);
  g_clear_pointer (&schema->fields, g_ptr_array_unref);
  g_strfreev (schema->required);
  g_free (schema);
}

static void
action_info_free (HearthActionInfo *action)
{
  g_free (action->name);
  g_free (action->title);
  g_free (action->description);
  schema_free (action->input);
  schema_free (action->output);
  g_free (action);
}

static void
event_info_free (HearthEventInfo *event)
{
  g_free (event->name);
  g_free (event->title);
  g_free (event->description);
  schema_free (event->data);
  g_free (event);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSchema, schema_free)

/**
 * hearth_json_check_limits:
 * @data: JSON text
 * @length: its length in bytes
 * @max_depth: the deepest nesting of arrays and objects allowed
 * @max_tokens: the most values, keys and containers allowed
 * @error: return location for a #GError
 *
 * Scans JSON text for its nesting depth and token count without building anything, so that a
 * parser that recurses (json-glib does) is never given a document that could exhaust the stack
 * or memory. It also refuses NUL bytes and invalid UTF-8. It does not check the grammar: the
 * real parser does that afterwards.
 *
 * Returns: %TRUE when the text is within the limits
 */
gboolean
hearth_json_check_limits (const char *data, gsize length, guint max_depth, guint max_tokens,
                          GError **error)
{
  guint depth = 0;
  guint tokens = 0;
  gboolean in_scalar = FALSE;

  if (!g_utf8_validate_len (data, length, NULL))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The JSON text is not valid UTF-8 or contains a NUL byte");
      return FALSE;
    }

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      switch (c)
        {
          case '"':
            /* A string is one token; skip to its closing quote. */
            in_scalar = FALSE;
            tokens++;
            for (i++; i < length && data[i] != '"'; i++)
              if (data[i] == '\\')
                i++;
            break;
          case '{':
          case '[':
            in_scalar = FALSE;
            tokens++;
            if (++depth > max_depth)
              {
                g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                             "The JSON text is nested deeper than %u levels", max_depth);
                return FALSE;
              }
            break;
          case '}':
          case ']':
            in_scalar = FALSE;
            if (depth > 0)
              depth--;
            break;
          case ',':
          case ':':
          case ' ':
          case '\t':
          case '\r':
          case '\n':
            in_scalar = FALSE;
            break;
          default:
            /* Numbers, true, false and null: count each run of other characters once. */
            if (!in_scalar)
              tokens++;
            in_scalar = TRUE;
            break;
        }

      if (tokens > max_tokens)
        {
          g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                       "The JSON text has more than %u tokens", max_tokens);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * hearth_description_name_is_valid:
 * @name: (nullable): a property, action, event or field name
 *
 * Returns: %TRUE if @name is 1–32 bytes of UTF-8 without `/ % ? #`, without control
 *   characters and without a space at either end (docs/protocol.md §4.2)
 */
gboolean
hearth_description_name_is_valid (const char *name)
{
  gsize length;

  if (name == NULL)
    return FALSE;
  length = strlen (name);
  if (length == 0 || length > HEARTH_DESCRIPTION_NAME_MAX_BYTES
      || !g_utf8_validate (name, (gssize)length, NULL))
    return FALSE;
  if (name[0] == ' ' || name[length - 1] == ' ')
    return FALSE;

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '/' || c == '%' || c == '?' || c == '#')
        return FALSE;
    }

  return TRUE;
}

/* Text for people: UTF-8 without control characters (a line feed is allowed where
 * @allow_newline), at most @max_bytes bytes, and not empty. */
static gboolean
text_is_valid (const char *text, gsize max_bytes, gboolean allow_newline)
{
  gsize length = strlen (text);

  if (length == 0 || length > max_bytes || !g_utf8_validate (text, (gssize)length, NULL))
    return FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' && allow_newline)
        continue;
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return FALSE;
    }

  return TRUE;
}

typedef struct
{
  GPtrArray *unsupported;
  GError **error;
} ParseContext;

static gboolean fail (ParseContext *context, const char *path, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
fail (ParseContext *context, const char *path, const char *format, ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (context->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "%s%s%s", path,
               *path != '\0' ? ": " : "", reason);
  return FALSE;
}

static void
note_unsupported (ParseContext *context, const char *path, const char *what)
{
  if (context->unsupported->len >= UNSUPPORTED_MAX_ENTRIES)
    return;
  g_ptr_array_add (context->unsupported, g_strdup_printf ("%s: %s", path, what));
}

/* Lists the members of @object not in @known as unsupported (§4.6: ignored, but worth telling
 * the user about). */
static void
note_unknown_members (ParseContext *context, const char *path, JsonObject *object,
                      const char *const *known)
{
  g_autoptr (GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *member_path = g_strdup_printf ("%s.%s", path, (const char *)l->data);

        note_unsupported (context, member_path, "unknown member ignored");
      }
}

static gboolean
get_text (ParseContext *context, const char *path, JsonObject *object, const char *member,
          gsize max_bytes, gboolean allow_newline, gboolean required, char **out)
{
  JsonNode *node = json_object_get_member (object, member);
  const char *text;

  if (node == NULL)
    {
      if (required)
        return fail (context, path, "the member “%s” is missing", member);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail (context, path, "“%s” must be a string", member);

  text = json_node_get_string (node);
  if (!text_is_valid (text, max_bytes, allow_newline))
    return fail (context, path, "“%s” must be 1–%zu bytes of UTF-8 text without control characters",
                 member, max_bytes);

  *out = g_strdup (text);
  return TRUE;
}

static gboolean
node_is_integer (JsonNode *node)
{
  gint64 value;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  value = json_node_get_int (node);
  return value >= -(gint64)INTEGER_LIMIT && value <= (gint64)INTEGER_LIMIT;
}

static gboolean
node_is_number (JsonNode *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return TRUE;
  return json_node_get_value_type (node) == G_TYPE_DOUBLE && isfinite (json_node_get_double (node));
}

static double
node_number (JsonNode *node)
{
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double)json_node_get_int (node);
  return json_node_get_double (node);
}

static gboolean
get_bound (ParseContext *context, const char *path, JsonObject *object, const char *member,
           HearthValueType type, gboolean *has, double *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return TRUE;
  if (type != HEARTH_VALUE_TYPE_INTEGER && type != HEARTH_VALUE_TYPE_NUMBER)
    return fail (context, path, "“%s” is only allowed for integer and number", member);
  if (type == HEARTH_VALUE_TYPE_INTEGER ? !node_is_integer (node) : !node_is_number (node))
    return fail (context, path, "“%s” must be %s", member,
                 type == HEARTH_VALUE_TYPE_INTEGER ? "an integer" : "a number");

  *has = TRUE;
  *out = node_number (node);
  return TRUE;
}

static HearthValueType
value_type_from_name (const char *name, gboolean allow_object)
{
  if (g_str_equal (name, "boolean"))
    return HEARTH_VALUE_TYPE_BOOLEAN;
  if (g_str_equal (name, "integer"))
    return HEARTH_VALUE_TYPE_INTEGER;
  if (g_str_equal (name, "number"))
    return HEARTH_VALUE_TYPE_NUMBER;
  if (g_str_equal (name, "string"))
    return HEARTH_VALUE_TYPE_STRING;
  if (allow_object && g_str_equal (name, "object"))
    return HEARTH_VALUE_TYPE_OBJECT;
  return HEARTH_VALUE_TYPE_UNSUPPORTED;
}

static HearthWidgetHint
widget_from_name (const char *name)
{
  static const char *const names[] = { "switch", "slider", "dropdown", "entry", "readout" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      return (HearthWidgetHint)(i + 1);
  return HEARTH_WIDGET_HINT_NONE;
}

static gboolean schema_check_value_at (const HearthSchema *schema, JsonNode *value,
                                       const char *path, GError **error);

static gboolean
parse_ui_hints (ParseContext *context, const char *path, JsonObject *object, HearthSchema *schema)
{
  static const char *const known[] = { "widget", "group", NULL };
  g_autofree char *ui_path = g_strdup_printf ("%s.ui", path);
  JsonNode *node = json_object_get_member (object, "ui");
  JsonObject *ui;
  JsonNode *widget;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (context, path, "“ui” must be an object");
  ui = json_node_get_object (node);

  widget = json_object_get_member (ui, "widget");
  if (widget != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (widget) || json_node_get_value_type (widget) != G_TYPE_STRING)
        return fail (context, ui_path, "“widget” must be a string");
      schema->widget = widget_from_name (json_node_get_string (widget));
      if (schema->widget == HEARTH_WIDGET_HINT_NONE)
        note_unsupported (context, ui_path, "unknown widget hint ignored");
    }
  if (!get_text (context, ui_path, ui, "group", TITLE_MAX_BYTES, FALSE, FALSE, &schema->group))
    return FALSE;
  note_unknown_members (context, ui_path, ui, known);
  return TRUE;
}

/* Parses a property (@is_property) or a data schema (docs/protocol.md §4.3, §4.4). */
static HearthSchema *
parse_schema (ParseContext *context, const char *path, const char *name, JsonNode *node,
              gboolean is_property, guint nesting)
{
  static const char *const property_known[]
      = { "type", "title", "description", "unit",     "minimum", "maximum",
          "step", "enum",  "maxLength",   "readOnly", "ui",      NULL };
  static const char *const schema_known[]
      = { "type", "title", "description", "unit",       "minimum",  "maximum",
          "step", "enum",  "maxLength",   "properties", "required", NULL };
  g_autoptr (HearthSchema) schema = g_new0 (HearthSchema, 1);
  JsonObject *object;
  JsonNode *member;

  if (nesting > SCHEMA_MAX_NESTING)
    {
      fail (context, path, "data schemas are nested deeper than %d levels", SCHEMA_MAX_NESTING);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (context, path, "must be an object");
      return NULL;
    }
  object = json_node_get_object (node);
  schema->name = g_strdup (name);
  schema->max_length = STRING_DEFAULT_MAX_LENGTH;

  member = json_object_get_member (object, "type");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING)
    {
      fail (context, path, "“type” is missing or not a string");
      return NULL;
    }
  schema->type_name = g_strdup (json_node_get_string (member));
  if (strlen (schema->type_name) > TITLE_MAX_BYTES
      || !text_is_valid (schema->type_name, TITLE_MAX_BYTES, FALSE))
    {
      fail (context, path, "“type” is not a valid type name");
      return NULL;
    }
  schema->type = value_type_from_name (schema->type_name, !is_property);

  if (!get_text (context, path, object, "title", TITLE_MAX_BYTES, FALSE, FALSE, &schema->title)
      || !get_text (context, path, object, "description", DESCRIPTION_TEXT_MAX_BYTES, TRUE, FALSE,
                    &schema->description))
    return NULL;

  if (schema->type == HEARTH_VALUE_TYPE_UNSUPPORTED)
    {
      /* A later protocol version may add types; the device stays usable and only this entry
       * is shown as unsupported (§4.6). Its other members mean nothing to this hub. */
      g_autofree char *what = g_strdup_printf ("type “%s” is not supported", schema->type_name);

      note_unsupported (context, path, what);
      if (is_property)
        schema->read_only = TRUE;
      return g_steal_pointer (&schema);
    }

  if (!get_bound (context, path, object, "minimum", schema->type, &schema->has_minimum,
                  &schema->minimum)
      || !get_bound (context, path, object, "maximum", schema->type, &schema->has_maximum,
                     &schema->maximum)
      || !get_bound (context, path, object, "step", schema->type, &schema->has_step, &schema->step))
    return NULL;
  if (schema->has_minimum && schema->has_maximum && schema->minimum > schema->maximum)
    {
      fail (context, path, "“minimum” is larger than “maximum”");
      return NULL;
    }
  if (schema->has_step && !(schema->step > 0))
    {
      fail (context, path, "“step” must be greater than 0");
      return NULL;
    }

  if (json_object_has_member (object, "unit"))
    {
      if (schema->type != HEARTH_VALUE_TYPE_INTEGER && schema->type != HEARTH_VALUE_TYPE_NUMBER)
        {
          fail (context, path, "“unit” is only allowed for integer and number");
          return NULL;
        }
      if (!get_text (context, path, object, "unit", UNIT_MAX_BYTES, FALSE, FALSE, &schema->unit))
        return NULL;
    }

  member = json_object_get_member (object, "maxLength");
  if (member != NULL)
    {
      gint64 max_length;

      if (schema->type != HEARTH_VALUE_TYPE_STRING || !node_is_integer (member))
        {
          fail (context, path, "“maxLength” must be an integer, for strings only");
          return NULL;
        }
      max_length = json_node_get_int (member);
      if (max_length < 1 || max_length > STRING_MAX_LENGTH)
        {
          fail (context, path, "“maxLength” must be 1–%d", STRING_MAX_LENGTH);
          return NULL;
        }
      schema->max_length = (guint)max_length;
    }

  member = json_object_get_member (object, "readOnly");
  if (member != NULL)
    {
      if (!is_property || !JSON_NODE_HOLDS_VALUE (member)
          || json_node_get_value_type (member) != G_TYPE_BOOLEAN)
        {
          fail (context, path, "“readOnly” must be a boolean, for properties only");
          return NULL;
        }
      schema->read_only = json_node_get_boolean (member);
    }

  if (is_property && !parse_ui_hints (context, path, object, schema))
    return NULL;

  if (!is_property && schema->type == HEARTH_VALUE_TYPE_OBJECT)
    {
      JsonNode *fields = json_object_get_member (object, "properties");
      JsonNode *required = json_object_get_member (object, "required");

      schema->fields = g_ptr_array_new_with_free_func ((GDestroyNotify)schema_free);
      if (fields != NULL)
        {
          g_autoptr (GList) names = NULL;
          JsonObject *fields_object;

          if (!JSON_NODE_HOLDS_OBJECT (fields))
            {
              fail (context, path, "“properties” must be an object");
              return NULL;
            }
          fields_object = json_node_get_object (fields);
          if (json_object_get_size (fields_object) > HEARTH_DESCRIPTION_MAX_FIELDS)
            {
              fail (context, path, "more than %d fields", HEARTH_DESCRIPTION_MAX_FIELDS);
              return NULL;
            }
          names = json_object_get_members (fields_object);
          for (GList *l = names; l != NULL; l = l->next)
            {
              g_autofree char *field_path = g_strdup_printf ("%s.%s", path, (char *)l->data);
              HearthSchema *field;

              if (!hearth_description_name_is_valid (l->data))
                {
                  fail (context, path, "“%s” is not a valid field name", (char *)l->data);
                  return NULL;
                }
              field = parse_schema (context, field_path, l->data,
                                    json_object_get_member (fields_object, l->data), FALSE,
                                    nesting + 1);
              if (field == NULL)
                return NULL;
              g_ptr_array_add (schema->fields, field);
            }
        }

      if (required != NULL)
        {
          JsonArray *array;
          guint n;

          if (!JSON_NODE_HOLDS_ARRAY (required))
            {
              fail (context, path, "“required” must be an array");
              return NULL;
            }
          array = json_node_get_array (required);
          n = json_array_get_length (array);
          if (n > HEARTH_DESCRIPTION_MAX_FIELDS)
            {
              fail (context, path, "“required” lists more than %d names",
                    HEARTH_DESCRIPTION_MAX_FIELDS);
              return NULL;
            }
          schema->required = g_new0 (char *, n + 1);
          for (guint i = 0; i < n; i++)
            {
              JsonNode *item = json_array_get_element (array, i);
              const char *field_name;
              gboolean found = FALSE;

              if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
                {
                  fail (context, path, "“required” must hold names");
                  return NULL;
                }
              field_name = json_node_get_string (item);
              for (guint j = 0; j < schema->fields->len && !found; j++)
                found = g_str_equal (((HearthSchema *)g_ptr_array_index (schema->fields, j))->name,
                                     field_name);
              if (!found || g_strv_contains ((const char *const *)schema->required, field_name))
                {
                  fail (context, path, "“required” names “%s”, which is not a field or repeated",
                        field_name);
                  return NULL;
                }
              schema->required[i] = g_strdup (field_name);
            }
        }
    }
  else if (json_object_has_member (object, "properties")
           || json_object_has_member (object, "required"))
    {
      fail (context, path, "“properties” and “required” are only allowed for objects");
      return NULL;
    }

  member = json_object_get_member (object, "enum");
  if (member != NULL)
    {
      JsonArray *array;
      guint n;

      if (schema->type == HEARTH_VALUE_TYPE_BOOLEAN || schema->type == HEARTH_VALUE_TYPE_OBJECT)
        {
          fail (context, path, "“enum” is not allowed for %s", schema->type_name);
          return NULL;
        }
      if (!JSON_NODE_HOLDS_ARRAY (member))
        {
          fail (context, path, "“enum” must be an array");
          return NULL;
        }
      array = json_node_get_array (member);
      n = json_array_get_length (array);
      if (n < 1 || n > HEARTH_DESCRIPTION_MAX_ENUM)
        {
          fail (context, path, "“enum” must have 1–%d values", HEARTH_DESCRIPTION_MAX_ENUM);
          return NULL;
        }
      for (guint i = 0; i < n; i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          g_autoptr (GError) local_error = NULL;

          if (schema->type == HEARTH_VALUE_TYPE_STRING
              && (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING
                  || !text_is_valid (json_node_get_string (item), ENUM_TEXT_MAX_BYTES, FALSE)))
            {
              fail (context, path, "“enum” values must be text of 1–%d bytes", ENUM_TEXT_MAX_BYTES);
              return NULL;
            }
          /* Each value must itself be valid for the type and bounds, and distinct. */
          if (!schema_check_value_at (schema, item, path, &local_error))
            {
              fail (context, path, "an “enum” value is invalid: %s", local_error->message);
              return NULL;
            }
          for (guint j = 0; j < i; j++)
            {
              JsonNode *earlier = json_array_get_element (array, j);
              gboolean same
                  = schema->type == HEARTH_VALUE_TYPE_STRING
                        ? g_str_equal (json_node_get_string (earlier), json_node_get_string (item))
                        : node_number (earlier) == node_number (item);

              if (same)
                {
                  fail (context, path, "“enum” values must be distinct");
                  return NULL;
                }
            }
        }
      schema->enum_values = json_array_ref (array);
    }

  note_unknown_members (context, path, object, is_property ? property_known : schema_known);
  return g_steal_pointer (&schema);
}

static gboolean
get_optional_schema (ParseContext *context, const char *path, JsonObject *object,
                     const char *member, HearthSchema **out)
{
  g_autofree char *member_path = g_strdup_printf ("%s.%s", path, member);
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return TRUE;
  *out = parse_schema (context, member_path, NULL, node, FALSE, 0);
  return *out != NULL;
}

/* Iterates a map of named entries (properties, actions or events) with its count limit. */
static JsonObject *
get_map (ParseContext *context, JsonObject *root, const char *member, guint max_entries,
         gboolean required)
{
  static JsonObject *empty = NULL;
  JsonNode *node = json_object_get_member (root, member);
  JsonObject *map;
  g_autoptr (GList) names = NULL;

  if (node == NULL)
    {
      if (required)
        {
          fail (context, "", "the member “%s” is missing", member);
          return NULL;
        }
      if (g_once_init_enter (&empty))
        g_once_init_leave (&empty, json_object_new ());
      return empty;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (context, member, "must be an object");
      return NULL;
    }
  map = json_node_get_object (node);
  if (json_object_get_size (map) > max_entries)
    {
      fail (context, member, "more than %u entries", max_entries);
      return NULL;
    }
  names = json_object_get_members (map);
  for (GList *l = names; l != NULL; l = l->next)
    if (!hearth_description_name_is_valid (l->data))
      {
        fail (context, member, "“%s” is not a valid name", (char *)l->data);
        return NULL;
      }
  return map;
}

static gboolean
parse_document (ParseContext *context, JsonNode *root_node, HearthDescription *self)
{
  static const char *const known[]
      = { "iotscp",     "id",      "name",   "model", "manufacturer", "firmware", "ui",
          "properties", "actions", "events", NULL };
  static const char *const action_known[] = { "title", "description", "input", "output", NULL };
  static const char *const event_known[] = { "title", "description", "data", NULL };
  static const char *const ui_known[] = { "icon", "primary", NULL };
  JsonObject *root;
  JsonObject *map;
  JsonNode *node;
  g_autoptr (GList) names = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root_node))
    return fail (context, "", "the description must be a JSON object");
  root = json_node_get_object (root_node);

  node = json_object_get_member (root, "iotscp");
  if (node == NULL || !node_is_integer (node) || json_node_get_int (node) != 2)
    return fail (context, "iotscp", "must be the number 2");

  node = json_object_get_member (root, "id");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING
      || !hearth_trust_device_id_is_valid (json_node_get_string (node)))
    return fail (context, "id", "must be 1–64 characters of [a-z0-9-]");
  self->id = g_strdup (json_node_get_string (node));

  if (!get_text (context, "", root, "name", DEVICE_NAME_MAX_BYTES, FALSE, TRUE, &self->name)
      || !get_text (context, "", root, "model", MODEL_MAX_BYTES, FALSE, FALSE, &self->model)
      || !get_text (context, "", root, "manufacturer", MODEL_MAX_BYTES, FALSE, FALSE,
                    &self->manufacturer)
      || !get_text (context, "", root, "firmware", FIRMWARE_MAX_BYTES, FALSE, FALSE,
                    &self->firmware))
    return FALSE;

  /* Properties. */
  if ((map = get_map (context, root, "properties", HEARTH_DESCRIPTION_MAX_PROPERTIES, TRUE))
      == NULL)
    return FALSE;
  names = json_object_get_members (map);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *path = g_strdup_printf ("properties.%s", (char *)l->data);
      HearthSchema *schema
          = parse_schema (context, path, l->data, json_object_get_member (map, l->data), TRUE, 0);

      if (schema == NULL)
        return FALSE;
      g_ptr_array_add (self->properties, schema);
    }
  g_clear_pointer (&names, g_list_free);

  /* Actions. */
  if ((map = get_map (context, root, "actions", HEARTH_DESCRIPTION_MAX_ACTIONS, FALSE)) == NULL)
    return FALSE;
  names = json_object_get_members (map);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *path = g_strdup_printf ("actions.%s", (char *)l->data);
      JsonNode *entry = json_object_get_member (map, l->data);
      HearthActionInfo *action;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        return fail (context, path, "must be an object");
      object = json_node_get_object (entry);
      action = g_new0 (HearthActionInfo, 1);
      action->name = g_strdup (l->data);
      g_ptr_array_add (self->actions, action);
      if (!get_text (context, path, object, "title", TITLE_MAX_BYTES, FALSE, FALSE, &action->title)
          || !get_text (context, path, object, "description", DESCRIPTION_TEXT_MAX_BYTES, TRUE,
                        FALSE, &action->description)
          || !get_optional_schema (context, path, object, "input", &action->input)
          || !get_optional_schema (context, path, object, "output", &action->output))
        return FALSE;
      if (action->input != NULL && action->input->type != HEARTH_VALUE_TYPE_OBJECT
          && action->input->type != HEARTH_VALUE_TYPE_UNSUPPORTED)
        return fail (context, path, "“input” must be an object schema");
      note_unknown_members (context, path, object, action_known);
    }
  g_clear_pointer (&names, g_list_free);

  /* Events. */
  if ((map = get_map (context, root, "events", HEARTH_DESCRIPTION_MAX_EVENTS, FALSE)) == NULL)
    return FALSE;
  names = json_object_get_members (map);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *path = g_strdup_printf ("events.%s", (char *)l->data);
      JsonNode *entry = json_object_get_member (map, l->data);
      HearthEventInfo *event;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (entry))
        return fail (context, path, "must be an object");
      object = json_node_get_object (entry);
      event = g_new0 (HearthEventInfo, 1);
      event->name = g_strdup (l->data);
      g_ptr_array_add (self->events, event);
      if (!get_text (context, path, object, "title", TITLE_MAX_BYTES, FALSE, FALSE, &event->title)
          || !get_text (context, path, object, "description", DESCRIPTION_TEXT_MAX_BYTES, TRUE,
                        FALSE, &event->description)
          || !get_optional_schema (context, path, object, "data", &event->data))
        return FALSE;
      note_unknown_members (context, path, object, event_known);
    }

  /* UI hints of the device; checked last because `primary` must name a property. */
  node = json_object_get_member (root, "ui");
  if (node != NULL)
    {
      JsonObject *ui;
      JsonNode *icon;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return fail (context, "ui", "must be an object");
      ui = json_node_get_object (node);
      icon = json_object_get_member (ui, "icon");
      if (icon != NULL)
        {
          static const char *const icons[]
              = { "light", "switch", "keypad", "thermometer", "motion", "lock", "generic", NULL };

          if (!JSON_NODE_HOLDS_VALUE (icon) || json_node_get_value_type (icon) != G_TYPE_STRING)
            return fail (context, "ui", "“icon” must be a string");
          if (g_strv_contains (icons, json_node_get_string (icon)))
            self->icon = g_strdup (json_node_get_string (icon));
          else
            note_unsupported (context, "ui.icon", "unknown icon, shown as generic");
        }
      node = json_object_get_member (ui, "primary");
      if (node != NULL)
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
              || hearth_description_lookup_property (self, json_node_get_string (node)) == NULL)
            return fail (context, "ui", "“primary” must name a property");
          self->primary = g_strdup (json_node_get_string (node));
        }
      note_unknown_members (context, "ui", ui, ui_known);
    }
  if (self->icon == NULL)
    self->icon = g_strdup ("generic");

  note_unknown_members (context, "", root, known);
  return TRUE;
}

/**
 * hearth_description_parse:
 * @data: the description as the device sent it
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Validates a self-description and builds its typed model. Fails with %HEARTH_ERROR_TOO_LARGE
 * for a document over the limits, or %HEARTH_ERROR_INVALID_DATA with the first rule it breaks
 * (the message names the member, e.g. `properties.brightness: “minimum” is larger than
 * “maximum”`), so the UI can show why a device is unusable.
 *
 * Returns: (transfer full): the description, or %NULL
 */
HearthDescription *
hearth_description_parse (const char *data, gsize length, GError **error)
{
  g_autoptr (HearthDescription) self = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  ParseContext context;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length > HEARTH_DESCRIPTION_MAX_BYTES)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "The description is %zu bytes long; at most %d are allowed", length,
                   HEARTH_DESCRIPTION_MAX_BYTES);
      return NULL;
    }
  if (!hearth_json_check_limits (data, length, DESCRIPTION_MAX_DEPTH, DESCRIPTION_MAX_TOKENS,
                                 error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize)length, &local_error))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The description is not valid JSON: %s", local_error->message);
      return NULL;
    }

  self = g_new0 (HearthDescription, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->properties = g_ptr_array_new_with_free_func ((GDestroyNotify)schema_free);
  self->actions = g_ptr_array_new_with_free_func ((GDestroyNotify)action_info_free);
  self->events = g_ptr_array_new_with_free_func ((GDestroyNotify)event_info_free);
  self->unsupported = g_ptr_array_new_with_free_func (g_free);

  context.unsupported = self->unsupported;
  context.error = error;
  if (json_parser_get_root (parser) == NULL
      || !parse_document (&context, json_parser_get_root (parser), self))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "The description is empty");
      return NULL;
    }

  g_ptr_array_add (self->unsupported, NULL);
  return g_steal_pointer (&self);
}

HearthDescription *
hearth_description_ref (HearthDescription *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_description_unref (HearthDescription *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->id);
  g_free (self->name);
  g_free (self->model);
  g_free (self->manufacturer);
  g_free (self->firmware);
  g_free (self->icon);
  g_free (self->primary);
  g_ptr_array_unref (self->properties);
  g_ptr_array_unref (self->actions);
  g_ptr_array_unref (self->events);
  g_ptr_array_unref (self->unsupported);
  g_free (self);
}

const char *
hearth_description_get_id (HearthDescription *self)
{
  return self->id;
}

const char *
hearth_description_get_name (HearthDescription *self)
{
  return self->name;
}

const char *
hearth_description_get_model (HearthDescription *self)
{
  return self->model;
}

const char *
hearth_description_get_manufacturer (HearthDescription *self)
{
  return self->manufacturer;
}

const char *
hearth_description_get_firmware (HearthDescription *self)
{
  return self->firmware;
}

/**
 * hearth_description_get_icon:
 *
 * Returns: one of the icons of docs/protocol.md §4.1; `generic` for an unknown or absent one
 */
const char *
hearth_description_get_icon (HearthDescription *self)
{
  return self->icon;
}

const char *
hearth_description_get_primary (HearthDescription *self)
{
  return self->primary;
}

guint
hearth_description_get_n_properties (HearthDescription *self)
{
  return self->properties->len;
}

const HearthSchema *
hearth_description_get_property (HearthDescription *self, guint index)
{
  g_return_val_if_fail (index < self->properties->len, NULL);
  return g_ptr_array_index (self->properties, index);
}

const HearthSchema *
hearth_description_lookup_property (HearthDescription *self, const char *name)
{
  for (guint i = 0; i < self->properties->len; i++)
    {
      HearthSchema *schema = g_ptr_array_index (self->properties, i);

      if (g_strcmp0 (schema->name, name) == 0)
        return schema;
    }
  return NULL;
}

guint
hearth_description_get_n_actions (HearthDescription *self)
{
  return self->actions->len;
}

const HearthActionInfo *
hearth_description_get_action (HearthDescription *self, guint index)
{
  g_return_val_if_fail (index < self->actions->len, NULL);
  return g_ptr_array_index (self->actions, index);
}

const HearthActionInfo *
hearth_description_lookup_action (HearthDescription *self, const char *name)
{
  for (guint i = 0; i < self->actions->len; i++)
    {
      HearthActionInfo *action = g_ptr_array_index (self->actions, i);

      if (g_strcmp0 (action->name, name) == 0)
        return action;
    }
  return NULL;
}

guint
hearth_description_get_n_events (HearthDescription *self)
{
  return self->events->len;
}

const HearthEventInfo *
hearth_description_get_event (HearthDescription *self, guint index)
{
  g_return_val_if_fail (index < self->events->len, NULL);
  return g_ptr_array_index (self->events, index);
}

const HearthEventInfo *
hearth_description_lookup_event (HearthDescription *self, const char *name)
{
  for (guint i = 0; i < self->events->len; i++)
    {
      HearthEventInfo *event = g_ptr_array_index (self->events, i);

      if (g_strcmp0 (event->name, name) == 0)
        return event;
    }
  return NULL;
}

/**
 * hearth_description_get_unsupported:
 *
 * Returns: (transfer none): what the hub ignored or cannot use, one "path: reason" per entry
 *   (at most 64 entries); empty for a description that uses nothing unknown
 */
const char *const *
hearth_description_get_unsupported (HearthDescription *self)
{
  return (const char *const *)self->unsupported->pdata;
}

static gboolean
schema_check_value_at (const HearthSchema *schema, JsonNode *value, const char *path,
                       GError **error)
{
  const char *prefix = path != NULL ? path : (schema->name != NULL ? schema->name : "value");

  if (value == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "%s: no value", prefix);
      return FALSE;
    }

  switch (schema->type)
    {
      case HEARTH_VALUE_TYPE_UNSUPPORTED:
        g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_SUPPORTED,
                     "%s: values of type “%s” are not supported", prefix, schema->type_name);
        return FALSE;

      case HEARTH_VALUE_TYPE_BOOLEAN:
        if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_BOOLEAN)
          goto wrong_type;
        return TRUE;

      case HEARTH_VALUE_TYPE_INTEGER:
      case HEARTH_VALUE_TYPE_NUMBER:
        {
          double number;

          if (schema->type == HEARTH_VALUE_TYPE_INTEGER ? !node_is_integer (value)
                                                        : !node_is_number (value))
            goto wrong_type;
          number = node_number (value);
          if (schema->has_minimum && number < schema->minimum)
            {
              g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                           "%s: %g is below the minimum %g", prefix, number, schema->minimum);
              return FALSE;
            }
          if (schema->has_maximum && number > schema->maximum)
            {
              g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                           "%s: %g is above the maximum %g", prefix, number, schema->maximum);
              return FALSE;
            }
          if (schema->enum_values != NULL)
            {
              for (guint i = 0; i < json_array_get_length (schema->enum_values); i++)
                if (node_number (json_array_get_element (schema->enum_values, i)) == number)
                  return TRUE;
              goto not_in_enum;
            }
          return TRUE;
        }

      case HEARTH_VALUE_TYPE_STRING:
        {
          const char *text;
          gsize length;

          if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
            goto wrong_type;
          text = json_node_get_string (value);
          length = strlen (text);
          if (!g_utf8_validate (text, (gssize)length, NULL) || length > schema->max_length)
            {
              g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                           "%s: the text must be UTF-8 of at most %u bytes", prefix,
                           schema->max_length);
              return FALSE;
            }
          if (schema->enum_values != NULL)
            {
              for (guint i = 0; i < json_array_get_length (schema->enum_values); i++)
                if (g_str_equal (json_array_get_string_element (schema->enum_values, i), text))
                  return TRUE;
              goto not_in_enum;
            }
          return TRUE;
        }

      case HEARTH_VALUE_TYPE_OBJECT:
        {
          JsonObject *object;
          g_autoptr (GList) members = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (value))
            goto wrong_type;
          object = json_node_get_object (value);
          members = json_object_get_members (object);
          for (GList *l = members; l != NULL; l = l->next)
            {
              const HearthSchema *field = NULL;
              g_autofree char *field_path = g_strdup_printf ("%s.%s", prefix, (char *)l->data);

              for (guint i = 0; schema->fields != NULL && i < schema->fields->len; i++)
                if (g_str_equal (((HearthSchema *)g_ptr_array_index (schema->fields, i))->name,
                                 l->data))
                  field = g_ptr_array_index (schema->fields, i);
              if (field == NULL)
                {
                  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "%s: no such field",
                               field_path);
                  return FALSE;
                }
              if (!schema_check_value_at (field, json_object_get_member (object, l->data),
                                          field_path, error))
                return FALSE;
            }
          for (guint i = 0; schema->required != NULL && schema->required[i] != NULL; i++)
            if (!json_object_has_member (object, schema->required[i]))
              {
                g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                             "%s: the field “%s” is required", prefix, schema->required[i]);
                return FALSE;
              }
          return TRUE;
        }

      default:
        g_assert_not_reached ();
    }

wrong_type:
  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "%s: expected %s", prefix,
               schema->type == HEARTH_VALUE_TYPE_INTEGER ? "an integer" : schema->type_name);
  return FALSE;

not_in_enum:
  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "%s: not one of the allowed values",
               prefix);
  return FALSE;
}

/**
 * hearth_schema_check_value:
 * @schema: a property or data schema of a description
 * @value: (nullable): a JSON value
 * @error: return location for a #GError
 *
 * Checks a value against its schema: the type, bounds, enum, string length and, for objects,
 * that every field is declared and valid and every required field is present. The hub checks
 * what it writes before sending it, and what devices report before the rest of the hub sees it.
 *
 * Returns: %TRUE when @value is valid
 */
gboolean
hearth_schema_check_value (const HearthSchema *schema, JsonNode *value, GError **error)
{
  g_return_val_if_fail (schema != NULL, FALSE);
  return schema_check_value_at (schema, value, NULL, error);
}
