/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-device"

#include "hearth-device.h"

#include <string.h>

/* HearthDevice is the item of the device registry's GListModel: what the UI shows about one
 * device (name, state, address) and the liveness figures "why is it offline?" needs (last
 * heard, heartbeat interval, resubscribe count). It holds no connection: HearthDeviceProxy does
 * the talking and updates these properties, so a list row can bind to them directly. */

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_STATE,
  PROP_HOST,
  PROP_PORT,
  PROP_FINGERPRINT_HINT,
  PROP_LAST_HEARD,
  PROP_HEARTBEAT_INTERVAL,
  PROP_RESUBSCRIBE_COUNT,
  PROP_DESCRIPTION,
  PROP_PROBLEM,
  PROP_AREA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthDevice
{
  GObject parent_instance;

  /* Owned */
  char *id;
  char *name;
  HearthDeviceState state;
  char *host;
  guint16 port;
  char *fingerprint_hint;
  gint64 last_heard;
  guint heartbeat_interval;
  guint resubscribe_count;
  HearthDescription *description;
  char *problem;
  char *area;
};

G_DEFINE_FINAL_TYPE (HearthDevice, hearth_device, G_TYPE_OBJECT)

GType
hearth_device_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { HEARTH_DEVICE_STATE_NEW, "HEARTH_DEVICE_STATE_NEW", "new" },
    { HEARTH_DEVICE_STATE_PAIRING, "HEARTH_DEVICE_STATE_PAIRING", "pairing" },
    { HEARTH_DEVICE_STATE_ONLINE, "HEARTH_DEVICE_STATE_ONLINE", "online" },
    { HEARTH_DEVICE_STATE_OFFLINE, "HEARTH_DEVICE_STATE_OFFLINE", "offline" },
    { HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED, "HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED",
      "certificate-changed" },
    { HEARTH_DEVICE_STATE_BLOCKED, "HEARTH_DEVICE_STATE_BLOCKED", "blocked" },
    { HEARTH_DEVICE_STATE_UNUSABLE, "HEARTH_DEVICE_STATE_UNUSABLE", "unusable" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("HearthDeviceState", values));
  return type;
}

/**
 * hearth_device_state_to_string:
 *
 * Returns: the state's nick: `new`, `pairing`, `online`, `offline`, `certificate-changed`,
 *   `blocked` or `unusable`
 */
const char *
hearth_device_state_to_string (HearthDeviceState state)
{
  g_autoptr (GEnumClass) enum_class = g_type_class_ref (HEARTH_TYPE_DEVICE_STATE);
  GEnumValue *value = g_enum_get_value (enum_class, (int)state);

  return value != NULL ? value->value_nick : "unknown";
}

static void
hearth_device_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDevice *self = HEARTH_DEVICE (object);

  switch (prop_id)
    {
      case PROP_ID:
        g_value_set_string (value, self->id);
        break;
      case PROP_NAME:
        g_value_set_string (value, self->name);
        break;
      case PROP_STATE:
        g_value_set_enum (value, (int)self->state);
        break;
      case PROP_HOST:
        g_value_set_string (value, self->host);
        break;
      case PROP_PORT:
        g_value_set_uint (value, self->port);
        break;
      case PROP_FINGERPRINT_HINT:
        g_value_set_string (value, self->fingerprint_hint);
        break;
      case PROP_LAST_HEARD:
        g_value_set_int64 (value, self->last_heard);
        break;
      case PROP_HEARTBEAT_INTERVAL:
        g_value_set_uint (value, self->heartbeat_interval);
        break;
      case PROP_RESUBSCRIBE_COUNT:
        g_value_set_uint (value, self->resubscribe_count);
        break;
      case PROP_DESCRIPTION:
        g_value_set_boxed (value, self->description);
        break;
      case PROP_PROBLEM:
        g_value_set_string (value, self->problem);
        break;
      case PROP_AREA:
        g_value_set_string (value, self->area);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  HearthDevice *self = HEARTH_DEVICE (object);

  switch (prop_id)
    {
      case PROP_ID:
        self->id = g_value_dup_string (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_dispose (GObject *object)
{
  HearthDevice *self = HEARTH_DEVICE (object);

  g_clear_pointer (&self->description, hearth_description_unref);
  G_OBJECT_CLASS (hearth_device_parent_class)->dispose (object);
}

static void
hearth_device_finalize (GObject *object)
{
  HearthDevice *self = HEARTH_DEVICE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->host);
  g_free (self->fingerprint_hint);
  g_free (self->problem);
  g_free (self->area);
  G_OBJECT_CLASS (hearth_device_parent_class)->finalize (object);
}

static void
hearth_device_class_init (HearthDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_device_get_property;
  object_class->set_property = hearth_device_set_property;
  object_class->dispose = hearth_device_dispose;
  object_class->finalize = hearth_device_finalize;

  properties[PROP_ID] = g_param_spec_string (
      "id", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, read_only);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, HEARTH_TYPE_DEVICE_STATE,
                                              HEARTH_DEVICE_STATE_NEW, read_only);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, read_only);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, read_only);
  properties[PROP_FINGERPRINT_HINT]
      = g_param_spec_string ("fingerprint-hint", NULL, NULL, NULL, read_only);
  /* Real time in microseconds of the last NOTIFY or answer from the device; 0 if never. */
  properties[PROP_LAST_HEARD]
      = g_param_spec_int64 ("last-heard", NULL, NULL, 0, G_MAXINT64, 0, read_only);
  properties[PROP_HEARTBEAT_INTERVAL]
      = g_param_spec_uint ("heartbeat-interval", NULL, NULL, 0, 3600, 0, read_only);
  properties[PROP_RESUBSCRIBE_COUNT]
      = g_param_spec_uint ("resubscribe-count", NULL, NULL, 0, G_MAXUINT, 0, read_only);
  properties[PROP_DESCRIPTION]
      = g_param_spec_boxed ("description", NULL, NULL, HEARTH_TYPE_DESCRIPTION, read_only);
  properties[PROP_PROBLEM] = g_param_spec_string ("problem", NULL, NULL, NULL, read_only);
  /* The room or place the user put the device in ("Kitchen"); kept with the pin on the hub. */
  properties[PROP_AREA] = g_param_spec_string ("area", NULL, NULL, NULL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_device_init (HearthDevice *self)
{
}

HearthDevice *
hearth_device_new (const char *id)
{
  return g_object_new (HEARTH_TYPE_DEVICE, "id", id, NULL);
}

const char *
hearth_device_get_id (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->id;
}

/**
 * hearth_device_get_name:
 *
 * Returns: the device's name, or its id while the name is not known
 */
const char *
hearth_device_get_name (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->name != NULL ? self->name : self->id;
}

static void
set_string (HearthDevice *self, char **field, const char *value, guint prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

void
hearth_device_set_name (HearthDevice *self, const char *name)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  set_string (self, &self->name, name, PROP_NAME);
}

HearthDeviceState
hearth_device_get_state (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), HEARTH_DEVICE_STATE_NEW);
  return self->state;
}

void
hearth_device_set_state (HearthDevice *self, HearthDeviceState state)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

const char *
hearth_device_get_host (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->host;
}

guint16
hearth_device_get_port (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), 0);
  return self->port;
}

/**
 * hearth_device_dup_address:
 *
 * Returns: (transfer full) (nullable): `host:port` (`[v6]:port` for IPv6), or %NULL
 */
char *
hearth_device_dup_address (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  if (self->host == NULL)
    return NULL;
  if (strchr (self->host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", self->host, self->port);
  return g_strdup_printf ("%s:%u", self->host, self->port);
}

void
hearth_device_set_address (HearthDevice *self, const char *host, guint16 port)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  set_string (self, &self->host, host, PROP_HOST);
  if (self->port != port)
    {
      self->port = port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
    }
}

const char *
hearth_device_get_fingerprint_hint (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->fingerprint_hint;
}

void
hearth_device_set_fingerprint_hint (HearthDevice *self, const char *fingerprint)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  set_string (self, &self->fingerprint_hint, fingerprint, PROP_FINGERPRINT_HINT);
}

gint64
hearth_device_get_last_heard (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), 0);
  return self->last_heard;
}

/* Called for every NOTIFY, so it only notifies when the value moves by a second or more: a
 * UI showing "last heard 3 s ago" needs no more, and thousands of notifications a second
 * would cost more than the events themselves. */
void
hearth_device_set_last_heard (HearthDevice *self, gint64 time_us)
{
  gint64 previous;

  g_return_if_fail (HEARTH_IS_DEVICE (self));
  previous = self->last_heard;
  self->last_heard = time_us;
  if (time_us / G_USEC_PER_SEC != previous / G_USEC_PER_SEC)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_HEARD]);
}

guint
hearth_device_get_heartbeat_interval (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), 0);
  return self->heartbeat_interval;
}

void
hearth_device_set_heartbeat_interval (HearthDevice *self, guint seconds)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  if (self->heartbeat_interval == seconds)
    return;
  self->heartbeat_interval = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEARTBEAT_INTERVAL]);
}

guint
hearth_device_get_resubscribe_count (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), 0);
  return self->resubscribe_count;
}

void
hearth_device_set_resubscribe_count (HearthDevice *self, guint count)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  if (self->resubscribe_count == count)
    return;
  self->resubscribe_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESUBSCRIBE_COUNT]);
}

/**
 * hearth_device_get_description:
 *
 * Returns: (transfer none) (nullable): the validated description, once fetched
 */
HearthDescription *
hearth_device_get_description (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->description;
}

void
hearth_device_set_description (HearthDevice *self, HearthDescription *description)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  if (self->description == description)
    return;
  g_clear_pointer (&self->description, hearth_description_unref);
  if (description != NULL)
    self->description = hearth_description_ref (description);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}

/**
 * hearth_device_get_problem:
 *
 * Returns: (nullable): why the device is not online, for people (the last connection error,
 *   or the rule its description breaks)
 */
const char *
hearth_device_get_problem (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->problem;
}

void
hearth_device_set_problem (HearthDevice *self, const char *problem)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  set_string (self, &self->problem, problem, PROP_PROBLEM);
}

/**
 * hearth_device_get_area:
 *
 * Returns: (nullable): the area the user assigned to the device on the hub ("Kitchen"), or
 *   %NULL when it has none; it comes from the device's pin in the trust store, never from the
 *   device
 */
const char *
hearth_device_get_area (HearthDevice *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (self), NULL);
  return self->area;
}

void
hearth_device_set_area (HearthDevice *self, const char *area)
{
  g_return_if_fail (HEARTH_IS_DEVICE (self));
  /* An empty area and no area are the same to people: both list under "No area". */
  set_string (self, &self->area, area != NULL && *area != '\0' ? area : NULL, PROP_AREA);
}
