/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-event-item"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-event-item.h"

/*
 * HearthEventItem is one row of the Events page: an event from the live bus or a row of the
 * history table, in one shape, with its display texts worked out once when it is made. A row
 * widget is recycled many times while a list scrolls, so it binds to these ready strings
 * instead of formatting JSON on every bind.
 */

/* Event data comes from devices: a summary shows at most this many characters of it, so that a
 * device sending a huge value cannot make one row enormous. */
#define SUMMARY_MAX_CHARS 160

enum
{
  PROP_0,
  PROP_TIME_TEXT,
  PROP_DEVICE_ID,
  PROP_SUMMARY,
  PROP_ICON_NAME,
  PROP_TYPE_TEXT,
  PROP_DEVICE_NAME,
  PROP_DEVICE_TITLE,
  PROP_HAS_DEVICE_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthEventItem
{
  GObject parent_instance;

  /* Owned */
  gint64 time_us;
  gint64 history_id;
  char *device_id;
  /* The device's name from the registry when the item was made, or NULL: people know their
   * devices by name; the id stays visible beside it, because names need not be unique. */
  char *device_name;
  char *kind;
  char *name;
  char *data;
  char *time_text;
  char *summary;
};

G_DEFINE_FINAL_TYPE (HearthEventItem, hearth_event_item, G_TYPE_OBJECT)

static char *
format_time (gint64 time_us)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  if (time == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (time) == g_date_time_get_year (now)
      && g_date_time_get_day_of_year (time) == g_date_time_get_day_of_year (now))
    /* Translators: the time of an event that happened today, see g_date_time_format() */
    return g_date_time_format (time, _ ("%H:%M:%S"));
  /* Translators: the date and time of an event before today, see g_date_time_format() */
  return g_date_time_format (time, _ ("%Y-%m-%d %H:%M"));
}

/* A number as a person reads it: 21.3, not the 17 digits json-glib writes; anything else as
 * compact JSON. */
static char *
format_number (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup (hearth_format_double (number, sizeof number, json_node_get_double (node)));
    }
  return json_to_string (node, FALSE);
}

/* A value as a person reads it: text without quotes, switches as on and off, anything else as
 * compact JSON, cut to SUMMARY_MAX_CHARS. */
static char *
format_value (const char *data_json, const HearthSchema *schema)
{
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (data_json == NULL || data_json[0] == '\0')
    return NULL;
  node = json_from_string (data_json, NULL);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    text = g_strdup (json_node_get_string (node));
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    {
      /* A switch is on or off; a read-out such as "Locked" or "Motion" reads as yes or no. */
      if (schema != NULL && schema->read_only)
        text = g_strdup (json_node_get_boolean (node) ? _ ("yes") : _ ("no"));
      else
        text = g_strdup (json_node_get_boolean (node) ? _ ("on") : _ ("off"));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && schema != NULL && schema->unit != NULL
           && schema->unit[0] != '\0')
    {
      g_autofree char *number = format_number (node);

      /* Translators: a value and its unit, e.g. "80 %" or "21.5 °C" */
      text = g_strdup_printf (_ ("%s %s"), number, schema->unit);
    }
  else
    text = format_number (node);

  if (g_utf8_strlen (text, -1) > SUMMARY_MAX_CHARS)
    {
      g_autofree char *start = g_utf8_substring (text, 0, SUMMARY_MAX_CHARS);

      return g_strconcat (start, "…", NULL);
    }
  return g_steal_pointer (&text);
}

/* With the device's description, properties and events are named by their titles and values
 * carry their units ("Brightness changed to 80 %"); without it (a device not described yet, or
 * history of a device since removed) by the names the device sent. */
static char *
make_summary (const char *kind, const char *name, const char *data_json,
              HearthDescription *description)
{
  if (g_strcmp0 (kind, "property") == 0)
    {
      const HearthSchema *schema = description != NULL && name != NULL
                                       ? hearth_description_lookup_property (description, name)
                                       : NULL;
      g_autofree char *value = format_value (data_json, schema);
      const char *title = schema != NULL && schema->title != NULL ? schema->title : name;

      /* Translators: a property got a new value, e.g. "Brightness changed to 80 %" */
      return g_strdup_printf (_ ("%s changed to %s"), title, value != NULL ? value : "—");
    }
  if (g_strcmp0 (kind, "event") == 0)
    {
      const HearthEventInfo *info = description != NULL && name != NULL
                                        ? hearth_description_lookup_event (description, name)
                                        : NULL;
      g_autofree char *value = format_value (data_json, NULL);
      const char *title = info != NULL && info->title != NULL ? info->title : name;

      if (value == NULL)
        return g_strdup (title);
      /* Translators: a device event and its data, e.g. "Key down: {"key":60}" */
      return g_strdup_printf (_ ("%s: %s"), title, value);
    }
  if (g_strcmp0 (kind, "online") == 0)
    return g_strdup (_ ("Came online"));
  if (g_strcmp0 (kind, "offline") == 0)
    return g_strdup (_ ("Went offline"));
  if (g_strcmp0 (kind, "trust") == 0)
    {
      if (g_strcmp0 (name, "certificate-changed") == 0)
        return g_strdup (_ ("Presented a new key; nothing flows until you decide"));
      if (g_strcmp0 (name, "trusted") == 0)
        return g_strdup (_ ("New key trusted"));
      if (g_strcmp0 (name, "blocked") == 0)
        return g_strdup (_ ("Blocked"));
      if (g_strcmp0 (name, "rejected") == 0)
        return g_strdup (_ ("New key refused"));
    }
  return g_strdup (name);
}

static void
hearth_event_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthEventItem *self = HEARTH_EVENT_ITEM (object);

  switch (prop_id)
    {
      case PROP_TIME_TEXT:
        g_value_set_string (value, self->time_text);
        break;

      case PROP_DEVICE_ID:
        g_value_set_string (value, self->device_id);
        break;

      case PROP_SUMMARY:
        g_value_set_string (value, self->summary);
        break;

      case PROP_ICON_NAME:
        g_value_set_string (value, hearth_event_item_get_icon_name (self));
        break;

      case PROP_TYPE_TEXT:
        g_value_set_string (value, hearth_event_item_get_type_text (self));
        break;

      case PROP_DEVICE_NAME:
        g_value_set_string (value, self->device_name);
        break;

      case PROP_DEVICE_TITLE:
        g_value_set_string (value, hearth_event_item_get_device_title (self));
        break;

      case PROP_HAS_DEVICE_NAME:
        g_value_set_boolean (value, self->device_name != NULL);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_event_item_finalize (GObject *object)
{
  HearthEventItem *self = HEARTH_EVENT_ITEM (object);

  g_free (self->device_id);
  g_free (self->device_name);
  g_free (self->kind);
  g_free (self->name);
  g_free (self->data);
  g_free (self->time_text);
  g_free (self->summary);

  G_OBJECT_CLASS (hearth_event_item_parent_class)->finalize (object);
}

static void
hearth_event_item_class_init (HearthEventItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_event_item_get_property;
  object_class->finalize = hearth_event_item_finalize;

  properties[PROP_TIME_TEXT]
      = g_param_spec_string ("time-text", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_ID]
      = g_param_spec_string ("device-id", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUMMARY]
      = g_param_spec_string ("summary", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICON_NAME]
      = g_param_spec_string ("icon-name", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TYPE_TEXT]
      = g_param_spec_string ("type-text", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * HearthEventItem:device-name:
   *
   * The device's name, or %NULL when the registry did not know it.
   */
  properties[PROP_DEVICE_NAME]
      = g_param_spec_string ("device-name", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * HearthEventItem:device-title:
   *
   * What the row names the device by: its name, or its id when it has no name.
   */
  properties[PROP_DEVICE_TITLE]
      = g_param_spec_string ("device-title", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * HearthEventItem:has-device-name:
   *
   * Whether the device has a name, so that the row shows its id as well, as secondary text.
   */
  properties[PROP_HAS_DEVICE_NAME]
      = g_param_spec_boolean ("has-device-name", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_event_item_init (HearthEventItem *self)
{
}

static HearthEventItem *
hearth_event_item_new (gint64 time_us, gint64 history_id, const char *device_id, const char *kind,
                       const char *name, char *data)
{
  HearthEventItem *self = g_object_new (HEARTH_TYPE_EVENT_ITEM, NULL);

  self->time_us = time_us;
  self->history_id = history_id;
  self->device_id = g_strdup (device_id != NULL ? device_id : "");
  self->kind = g_strdup (kind != NULL ? kind : "");
  self->name = g_strdup (name != NULL ? name : "");
  self->data = data;
  self->time_text = format_time (time_us);
  self->summary = make_summary (self->kind, self->name, self->data, NULL);
  return self;
}

/**
 * hearth_event_item_new_from_event:
 *
 * Returns: (transfer full): an item for an event of the live bus; it has no history id (0)
 */
HearthEventItem *
hearth_event_item_new_from_event (const HearthEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  return hearth_event_item_new (hearth_event_get_time_us (event), 0,
                                hearth_event_get_device_id (event),
                                hearth_event_kind_to_string (hearth_event_get_kind (event)),
                                hearth_event_get_name (event), hearth_event_dup_value_json (event));
}

/**
 * hearth_event_item_new_from_history:
 *
 * Returns: (transfer full): an item for a row of the history's events table
 */
HearthEventItem *
hearth_event_item_new_from_history (const HearthHistoryEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  return hearth_event_item_new (event->time_us, event->id, event->device_id, event->kind,
                                event->name, g_strdup (event->data));
}

gint64
hearth_event_item_get_time_us (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), 0);
  return self->time_us;
}

/**
 * hearth_event_item_get_history_id:
 *
 * Returns: the row id in the history's events table, or 0 for an item from the live bus
 */
gint64
hearth_event_item_get_history_id (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), 0);
  return self->history_id;
}

const char *
hearth_event_item_get_device_id (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->device_id;
}

/**
 * hearth_event_item_get_kind:
 *
 * Returns: the kind as history stores it: `event`, `property`, `online`, `offline`, `trust`
 */
const char *
hearth_event_item_get_kind (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->kind;
}

const char *
hearth_event_item_get_name (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->name;
}

/**
 * hearth_event_item_get_data:
 *
 * Returns: (nullable): the event's value or data as JSON text
 */
const char *
hearth_event_item_get_data (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->data;
}

const char *
hearth_event_item_get_time_text (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->time_text;
}

const char *
hearth_event_item_get_summary (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->summary;
}

const char *
hearth_event_item_get_icon_name (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);

  if (g_str_equal (self->kind, "property"))
    return "document-edit-symbolic";
  if (g_str_equal (self->kind, "event"))
    return "alarm-symbolic";
  if (g_str_equal (self->kind, "online"))
    return "network-transmit-receive-symbolic";
  if (g_str_equal (self->kind, "offline"))
    return "network-offline-symbolic";
  if (g_str_equal (self->kind, "trust"))
    return "channel-secure-symbolic";
  return "dialog-question-symbolic";
}

/**
 * hearth_event_item_get_type_text:
 *
 * Returns: the kind of event as a short translated word, for the icon's tooltip and for
 *   screen readers
 */
const char *
hearth_event_item_get_type_text (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);

  if (g_str_equal (self->kind, "property"))
    return _ ("Property change");
  if (g_str_equal (self->kind, "event"))
    return _ ("Device event");
  if (g_str_equal (self->kind, "online"))
    return _ ("Online");
  if (g_str_equal (self->kind, "offline"))
    return _ ("Offline");
  if (g_str_equal (self->kind, "trust"))
    return _ ("Trust change");
  return _ ("Other");
}

/**
 * hearth_event_item_get_device_name:
 *
 * Returns: (nullable): the device's name, or %NULL when it was not known
 */
const char *
hearth_event_item_get_device_name (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->device_name;
}

/**
 * hearth_event_item_set_device_name:
 * @device_name: (nullable): the device's name; %NULL or "" when it has none
 */
void
hearth_event_item_set_device_name (HearthEventItem *self, const char *device_name)
{
  gboolean had_name;

  g_return_if_fail (HEARTH_IS_EVENT_ITEM (self));

  if (device_name != NULL && device_name[0] == '\0')
    device_name = NULL;
  if (g_strcmp0 (self->device_name, device_name) == 0)
    return;
  had_name = self->device_name != NULL;
  g_free (self->device_name);
  self->device_name = g_strdup (device_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_TITLE]);
  if (had_name != (device_name != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_DEVICE_NAME]);
}

/**
 * hearth_event_item_get_device_title:
 *
 * Returns: the device's name, or its id when it has none
 */
const char *
hearth_event_item_get_device_title (HearthEventItem *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_ITEM (self), NULL);
  return self->device_name != NULL ? self->device_name : self->device_id;
}

/**
 * hearth_event_item_set_description:
 * @description: (nullable): the device's description, for titles and units in the summary
 */
void
hearth_event_item_set_description (HearthEventItem *self, HearthDescription *description)
{
  g_autofree char *summary = NULL;

  g_return_if_fail (HEARTH_IS_EVENT_ITEM (self));

  summary = make_summary (self->kind, self->name, self->data, description);
  if (g_strcmp0 (summary, self->summary) == 0)
    return;
  g_free (self->summary);
  self->summary = g_steal_pointer (&summary);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
}
