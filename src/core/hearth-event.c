/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-event"

#include "hearth-event.h"

#include <math.h>
#include <string.h>

/* HearthEvent is one item of the hub's event stream (HearthEventBus). It is an immutable,
 * reference-counted boxed type rather than a GObject: the bus hands the same event to history,
 * UI models and the rule engine, thousands of times a second, and none of them may change it,
 * so there is nothing to notify and no reason to pay for a GObject per event. */

struct _HearthEvent
{
  gatomicrefcount ref_count;
  HearthEventKind kind;
  HearthEventSource source;
  char *device_id;
  char *name;
  JsonNode *value;
  gint64 device_time_ms;
  gint64 time_us;
};

G_DEFINE_BOXED_TYPE (HearthEvent, hearth_event, hearth_event_ref, hearth_event_unref)

/* json_node_copy() shares objects and arrays with the original, so a value the caller can
 * still change is copied member by member. */
static JsonNode *
deep_copy (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *copy = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      JsonNode *result;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        json_object_set_member (copy, name, deep_copy (member));
      result = json_node_init_object (json_node_alloc (), copy);
      json_object_unref (copy);
      return result;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      JsonArray *copy = json_array_sized_new (json_array_get_length (array));
      JsonNode *result;

      for (guint i = 0; i < json_array_get_length (array); i++)
        json_array_add_element (copy, deep_copy (json_array_get_element (array, i)));
      result = json_node_init_array (json_node_alloc (), copy);
      json_array_unref (copy);
      return result;
    }
  return json_node_copy (node);
}

/**
 * hearth_event_new:
 * @kind: what happened
 * @source: how the hub learnt it
 * @device_id: the device it is about
 * @name: (nullable): the property or event name, or the trust state
 * @value: (nullable): the value or data; kept if it is immutable (as parsers of untrusted input
 *   in the hub make them), else copied and sealed: events never change
 * @device_time_ms: the device's uptime when it happened, or -1 when unknown
 *
 * Returns: (transfer full): a new event stamped with the hub's current real time
 */
HearthEvent *
hearth_event_new (HearthEventKind kind, HearthEventSource source, const char *device_id,
                  const char *name, JsonNode *value, gint64 device_time_ms)
{
  gsize device_id_size;
  gsize name_size;
  HearthEvent *self;

  g_return_val_if_fail (device_id != NULL, NULL);

  /* One allocation for the event and its two strings, which follow it: the bus creates tens of
   * thousands of events a second, and three mallocs and frees each were measurable. */
  device_id_size = strlen (device_id) + 1;
  name_size = name != NULL ? strlen (name) + 1 : 0;
  self = g_malloc0 (sizeof (HearthEvent) + device_id_size + name_size);
  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  self->source = source;
  self->device_id = memcpy ((char *)(self + 1), device_id, device_id_size);
  self->name = name != NULL ? memcpy (self->device_id + device_id_size, name, name_size) : NULL;
  if (value != NULL && json_node_is_immutable (value))
    self->value = json_node_ref (value);
  else if (value != NULL)
    {
      self->value = deep_copy (value);
      json_node_seal (self->value);
    }
  self->device_time_ms = device_time_ms;
  self->time_us = g_get_real_time ();
  return self;
}

HearthEvent *
hearth_event_ref (HearthEvent *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_event_unref (HearthEvent *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  /* device_id and name live in the same allocation (see hearth_event_new()). */
  g_clear_pointer (&self->value, json_node_unref);
  g_free (self);
}

HearthEventKind
hearth_event_get_kind (const HearthEvent *self)
{
  return self->kind;
}

HearthEventSource
hearth_event_get_source (const HearthEvent *self)
{
  return self->source;
}

const char *
hearth_event_get_device_id (const HearthEvent *self)
{
  return self->device_id;
}

const char *
hearth_event_get_name (const HearthEvent *self)
{
  return self->name;
}

/**
 * hearth_event_get_value:
 *
 * Returns: (transfer none) (nullable): the sealed value or data
 */
JsonNode *
hearth_event_get_value (const HearthEvent *self)
{
  return self->value;
}

gint64
hearth_event_get_device_time_ms (const HearthEvent *self)
{
  return self->device_time_ms;
}

gint64
hearth_event_get_time_us (const HearthEvent *self)
{
  return self->time_us;
}

/**
 * hearth_event_kind_to_string:
 *
 * Returns: the kind as stored in history: `event`, `property`, `online`, `offline`, `trust`
 */
const char *
hearth_event_kind_to_string (HearthEventKind kind)
{
  switch (kind)
    {
      case HEARTH_EVENT_DEVICE_EVENT:
        return "event";
      case HEARTH_EVENT_PROPERTY_CHANGED:
        return "property";
      case HEARTH_EVENT_DEVICE_ONLINE:
        return "online";
      case HEARTH_EVENT_DEVICE_OFFLINE:
        return "offline";
      case HEARTH_EVENT_TRUST_CHANGED:
        return "trust";
      default:
        return "unknown";
    }
}

static void append_json (GString *out, JsonNode *node);

/* The value as compact JSON text: what json_to_string() writes, except that doubles (also
 * inside objects and arrays) have their shortest text (hearth_format_double()). */
static char *
value_to_json (JsonNode *node)
{
  GString *out = g_string_sized_new (64);

  append_json (out, node);
  return g_string_free (out, FALSE);
}

/**
 * hearth_event_dup_value_json:
 *
 * Returns: (transfer full) (nullable): the value as compact JSON text, doubles (also inside
 *   objects and arrays) in their shortest form: "21.3", not json-glib's "21.300000000000001"
 */
char *
hearth_event_dup_value_json (const HearthEvent *self)
{
  if (self->value == NULL)
    return NULL;
  return value_to_json (self->value);
}

/**
 * hearth_format_double:
 * @buffer: at least %G_ASCII_DTOSTR_BUF_SIZE bytes
 * @size: the size of @buffer
 * @value: a double
 *
 * Writes the shortest text (15, 16 or 17 significant digits, C locale) that reads back as
 * @value. json-glib writes 17 digits always, which turns a thermometer's 21.3 into
 * "21.300000000000001" in the history and on the Events page; both texts read back as the same
 * double, so the shorter one loses nothing.
 *
 * Returns: @buffer
 */
char *
hearth_format_double (char *buffer, gsize size, double value)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };

  /* Whole numbers (a brightness, a count) are the common case and need no round trip. The
   * range is checked first: converting nan, inf or a huge double to an integer is undefined;
   * -0.0 keeps its sign through the formats below. */
  if (fabs (value) < 1e15 && value == (double)(gint64)value && !signbit (value))
    {
      g_snprintf (buffer, size, "%" G_GINT64_FORMAT, (gint64)value);
      return buffer;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buffer, size, formats[i], value);
      /* 17 significant digits always read back as the same double. */
      if (i == G_N_ELEMENTS (formats) - 1 || g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  return buffer;
}

/* Writes a scalar value's compact JSON text into @buffer the way json_to_string() writes it, or
 * returns FALSE when the value needs the generator (containers, strings with characters that
 * are escaped, or text longer than @size). */
static gboolean
format_scalar (JsonNode *node, char *buffer, gsize size)
{
  GType type;

  if (JSON_NODE_HOLDS_NULL (node))
    return g_strlcpy (buffer, "null", size) < size;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return (gsize)g_snprintf (buffer, size, "%" G_GINT64_FORMAT, json_node_get_int (node)) < size;
  if (type == G_TYPE_BOOLEAN)
    return g_strlcpy (buffer, json_node_get_boolean (node) ? "true" : "false", size) < size;
  if (type == G_TYPE_DOUBLE)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      hearth_format_double (number, sizeof number, json_node_get_double (node));
      if (strpbrk (number, ".eEn") == NULL)
        return (gsize)g_snprintf (buffer, size, "%s.0", number) < size;
      /* inf and nan have no JSON text; the generator decides what to do with them. */
      if (strpbrk (number, "n") != NULL)
        return FALSE;
      return g_strlcpy (buffer, number, size) < size;
    }
  if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      gsize length = strlen (text);

      if (length + 3 > size)
        return FALSE;
      for (gsize i = 0; i < length; i++)
        if ((guchar)text[i] < 0x20 || text[i] == '"' || text[i] == '\\' || text[i] == 0x7f)
          return FALSE;
      buffer[0] = '"';
      memcpy (buffer + 1, text, length);
      buffer[length + 1] = '"';
      buffer[length + 2] = '\0';
      return TRUE;
    }
  return FALSE;
}

/* Escapes as json-glib's generator does, so that texts stay comparable with json_to_string(). */
static void
append_json_string (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *)text; *p != '\0'; p++)
    switch (*p)
      {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20 || *p == 0x7f)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char)*p);
      }
  g_string_append_c (out, '"');
}

/* Values reach the hub through parsers that bound their depth (docs/protocol.md), so the
 * recursion is bounded too. */
static void
append_json (GString *out, JsonNode *node)
{
  char scalar[G_ASCII_DTOSTR_BUF_SIZE + 8];

  switch (JSON_NODE_TYPE (node))
    {
      case JSON_NODE_OBJECT:
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *member;
          gboolean first = TRUE;

          /* In the order the members were read, as json-glib's generator writes them. */
          json_object_iter_init_ordered (&iter, json_node_get_object (node));
          g_string_append_c (out, '{');
          while (json_object_iter_next_ordered (&iter, &name, &member))
            {
              if (!first)
                g_string_append_c (out, ',');
              first = FALSE;
              append_json_string (out, name);
              g_string_append_c (out, ':');
              append_json (out, member);
            }
          g_string_append_c (out, '}');
          return;
        }
      case JSON_NODE_ARRAY:
        {
          JsonArray *array = json_node_get_array (node);

          g_string_append_c (out, '[');
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              if (i > 0)
                g_string_append_c (out, ',');
              append_json (out, json_array_get_element (array, i));
            }
          g_string_append_c (out, ']');
          return;
        }
      case JSON_NODE_VALUE:
        if (json_node_get_value_type (node) == G_TYPE_STRING)
          {
            append_json_string (out, json_node_get_string (node));
            return;
          }
        G_GNUC_FALLTHROUGH;
      case JSON_NODE_NULL:
      default:
        if (format_scalar (node, scalar, sizeof scalar))
          g_string_append (out, scalar);
        else
          {
            /* Only a double without a JSON text (inf, nan) gets here: json-glib decides. */
            g_autofree char *text = json_to_string (node, FALSE);

            g_string_append (out, text);
          }
        return;
    }
}

/**
 * hearth_event_format_value_json:
 * @self: an event
 * @buffer: room for the text of a short value
 * @size: the size of @buffer
 * @allocated: (out) (transfer full): set to the text when it did not fit in @buffer (free it)
 *
 * The value as compact JSON text, as hearth_event_dup_value_json() gives it, without an
 * allocation for numbers,
 * booleans and short strings: consumers that store every event (history)
 * call this thousands of times a second.
 *
 * Returns: (nullable): the text, in @buffer or in *@allocated; %NULL when the event has no value
 */
const char *
hearth_event_format_value_json (const HearthEvent *self, char *buffer, gsize size, char **allocated)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (allocated != NULL && *allocated == NULL, NULL);

  if (self->value == NULL)
    return NULL;
  if (format_scalar (self->value, buffer, size))
    return buffer;
  *allocated = value_to_json (self->value);
  return *allocated;
}
