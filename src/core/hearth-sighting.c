/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-sighting"

#include "hearth-sighting.h"

#include <string.h>

#include "hearth-fingerprint.h"
#include "hearth-sighting-private.h"

/* HearthSighting is what discovery knows about one device id: the facts it announced and the
 * addresses it was seen at, merged over every source (mDNS, the multicast probe, an address
 * the user typed). All of it is a hint. Anyone on the link can announce any id, name or
 * fingerprint; the hub learns who a device is only from the key it presents in the TLS
 * handshake, checked against the trust store.
 *
 * Each address remembers which sources reported it and when, so that one source going away
 * (Avahi removing the service, probe answers stopping) takes away only what that source said.
 * A sighting with no source left is stale; HearthDiscovery removes stale sightings after a
 * while (HEARTH_DISCOVERY_STALE_SECONDS). */

enum
{
  PROP_0,
  PROP_DEVICE_ID,
  PROP_NAME,
  PROP_FINGERPRINT_HINT,
  PROP_PORT,
  PROP_PATH,
  PROP_IS_PAIRING,
  PROP_SOURCES,
  PROP_IS_STALE,
  PROP_FIRST_SEEN,
  PROP_LAST_SEEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  ADDRESSES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The sources are bits 0–2; their per-source times are kept in this order. */
#define N_SOURCES 3

typedef struct
{
  HearthSightingAddress public;
  gint64 seen_by_source_us[N_SOURCES]; /* monotonic */
} SightingAddress;

struct _HearthSighting
{
  GObject parent_instance;

  /* Owned */
  char *device_id;
  char *name;
  char *fingerprint_hint;
  char *path;
  GPtrArray *addresses; /* SightingAddress, most recently seen first */
  guint16 port;
  gboolean is_pairing;
  HearthSightingSource sources;
  gint64 first_seen;
  gint64 last_seen;
  gint64 stale_since_us; /* monotonic; 0 while some source vouches for the sighting */
};

G_DEFINE_FINAL_TYPE (HearthSighting, hearth_sighting, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (HearthSightingAddress, hearth_sighting_address, hearth_sighting_address_copy,
                     hearth_sighting_address_free)

GType
hearth_sighting_source_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GFlagsValue values[] = {
        { HEARTH_SIGHTING_SOURCE_MDNS, "HEARTH_SIGHTING_SOURCE_MDNS", "mdns" },
        { HEARTH_SIGHTING_SOURCE_PROBE, "HEARTH_SIGHTING_SOURCE_PROBE", "probe" },
        { HEARTH_SIGHTING_SOURCE_MANUAL, "HEARTH_SIGHTING_SOURCE_MANUAL", "manual" },
        { 0, NULL, NULL },
      };
      GType type
          = g_flags_register_static (g_intern_static_string ("HearthSightingSource"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

/**
 * hearth_sighting_source_to_string:
 * @sources: a set of sources
 *
 * Returns: (transfer full): the sources as "mdns,probe", or "none"
 */
char *
hearth_sighting_source_to_string (HearthSightingSource sources)
{
  g_autoptr (GString) text = g_string_new (NULL);

  if (sources & HEARTH_SIGHTING_SOURCE_MDNS)
    g_string_append (text, ",mdns");
  if (sources & HEARTH_SIGHTING_SOURCE_PROBE)
    g_string_append (text, ",probe");
  if (sources & HEARTH_SIGHTING_SOURCE_MANUAL)
    g_string_append (text, ",manual");
  if (text->len == 0)
    return g_strdup ("none");
  return g_strdup (text->str + 1);
}

HearthSightingAddress *
hearth_sighting_address_copy (const HearthSightingAddress *address)
{
  HearthSightingAddress *copy = g_new0 (HearthSightingAddress, 1);

  *copy = *address;
  copy->address = g_strdup (address->address);
  copy->interface_name = g_strdup (address->interface_name);
  return copy;
}

void
hearth_sighting_address_free (HearthSightingAddress *address)
{
  if (address == NULL)
    return;
  g_free (address->address);
  g_free (address->interface_name);
  g_free (address);
}

HearthSightingReport *
hearth_sighting_report_new (HearthSightingSource source)
{
  HearthSightingReport *report = g_new0 (HearthSightingReport, 1);

  report->source = source;
  return report;
}

void
hearth_sighting_report_free (HearthSightingReport *report)
{
  if (report == NULL)
    return;
  g_free (report->device_id);
  g_free (report->name);
  g_free (report->fingerprint_hint);
  g_free (report->path);
  g_clear_object (&report->address);
  g_free (report->interface_name);
  g_free (report);
}

static void
sighting_address_free (SightingAddress *address)
{
  g_free (address->public.address);
  g_free (address->public.interface_name);
  g_free (address);
}

static guint
source_slot (HearthSightingSource source)
{
  switch (source)
    {
      case HEARTH_SIGHTING_SOURCE_MDNS:
        return 0;
      case HEARTH_SIGHTING_SOURCE_PROBE:
        return 1;
      case HEARTH_SIGHTING_SOURCE_MANUAL:
        return 2;
      case HEARTH_SIGHTING_SOURCE_NONE:
      default:
        g_return_val_if_reached (0);
    }
}

static gboolean
set_string (char **field, const char *value)
{
  if (value == NULL || g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Recomputes the set of sources from the addresses and notifies what changed. A sighting's
 * sources are the union of its addresses' sources: an address nobody vouches for any more is
 * dropped. */
static void
update_sources (HearthSighting *self)
{
  HearthSightingSource sources = HEARTH_SIGHTING_SOURCE_NONE;
  gboolean was_stale = self->sources == HEARTH_SIGHTING_SOURCE_NONE;

  for (guint i = self->addresses->len; i > 0; i--)
    {
      SightingAddress *address = g_ptr_array_index (self->addresses, i - 1);

      if (address->public.sources == HEARTH_SIGHTING_SOURCE_NONE)
        g_ptr_array_remove_index (self->addresses, i - 1);
      else
        sources |= address->public.sources;
    }

  if (sources == self->sources)
    return;
  self->sources = sources;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCES]);
  if (was_stale != (sources == HEARTH_SIGHTING_SOURCE_NONE))
    {
      self->stale_since_us = sources == HEARTH_SIGHTING_SOURCE_NONE ? g_get_monotonic_time () : 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_STALE]);
    }
}

/* Keeps the longest consistent fingerprint hint: a 64-digit fingerprint (probe answer, TLS
 * handshake) is more useful than the 16-digit TXT prefix, so a matching prefix does not
 * replace it. A hint that disagrees replaces the old one: the newest claim is shown, and the
 * TLS handshake decides. */
static gboolean
merge_fingerprint_hint (HearthSighting *self, const char *hint)
{
  if (hint == NULL)
    return FALSE;
  if (self->fingerprint_hint != NULL && strlen (hint) < strlen (self->fingerprint_hint)
      && g_str_has_prefix (self->fingerprint_hint, hint))
    return FALSE;
  return set_string (&self->fingerprint_hint, hint);
}

static void
hearth_sighting_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthSighting *self = HEARTH_SIGHTING (object);

  switch (prop_id)
    {
      case PROP_DEVICE_ID:
        g_value_set_string (value, self->device_id);
        break;
      case PROP_NAME:
        g_value_set_string (value, self->name);
        break;
      case PROP_FINGERPRINT_HINT:
        g_value_set_string (value, self->fingerprint_hint);
        break;
      case PROP_PORT:
        g_value_set_uint (value, self->port);
        break;
      case PROP_PATH:
        g_value_set_string (value, self->path);
        break;
      case PROP_IS_PAIRING:
        g_value_set_boolean (value, self->is_pairing);
        break;
      case PROP_SOURCES:
        g_value_set_flags (value, self->sources);
        break;
      case PROP_IS_STALE:
        g_value_set_boolean (value, hearth_sighting_get_is_stale (self));
        break;
      case PROP_FIRST_SEEN:
        g_value_set_int64 (value, self->first_seen);
        break;
      case PROP_LAST_SEEN:
        g_value_set_int64 (value, self->last_seen);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_sighting_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  HearthSighting *self = HEARTH_SIGHTING (object);

  switch (prop_id)
    {
      case PROP_DEVICE_ID:
        g_assert (self->device_id == NULL);
        self->device_id = g_value_dup_string (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_sighting_finalize (GObject *object)
{
  HearthSighting *self = HEARTH_SIGHTING (object);

  g_free (self->device_id);
  g_free (self->name);
  g_free (self->fingerprint_hint);
  g_free (self->path);
  g_ptr_array_unref (self->addresses);

  G_OBJECT_CLASS (hearth_sighting_parent_class)->finalize (object);
}

static void
hearth_sighting_class_init (HearthSightingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_sighting_get_property;
  object_class->set_property = hearth_sighting_set_property;
  object_class->finalize = hearth_sighting_finalize;

  /**
   * HearthSighting:device-id:
   *
   * The device id the device announced. The key for merging sightings, and still only a
   * claim until the device's key is checked at connect time.
   */
  properties[PROP_DEVICE_ID]
      = g_param_spec_string ("device-id", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * HearthSighting:name:
   *
   * The device name (UTF-8), from the TXT `name` key, a probe answer or the description.
   */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, read_only);
  /**
   * HearthSighting:fingerprint-hint:
   *
   * 16 hex digits (DNS-SD TXT) or all 64 (probe answer, or the key seen in the TLS handshake
   * of add-by-address). A hint to match a sighting to a pinned device, never a proof.
   */
  properties[PROP_FINGERPRINT_HINT]
      = g_param_spec_string ("fingerprint-hint", NULL, NULL, NULL, read_only);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, read_only);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, read_only);
  properties[PROP_IS_PAIRING] = g_param_spec_boolean ("is-pairing", NULL, NULL, FALSE, read_only);
  /**
   * HearthSighting:sources:
   *
   * The sources that currently vouch for the sighting; none when it is stale.
   */
  properties[PROP_SOURCES] = g_param_spec_flags ("sources", NULL, NULL, HEARTH_TYPE_SIGHTING_SOURCE,
                                                 HEARTH_SIGHTING_SOURCE_NONE, read_only);
  properties[PROP_IS_STALE] = g_param_spec_boolean ("is-stale", NULL, NULL, TRUE, read_only);
  /**
   * HearthSighting:first-seen:
   *
   * When the sighting was first reported, in microseconds since the Unix epoch.
   */
  properties[PROP_FIRST_SEEN]
      = g_param_spec_int64 ("first-seen", NULL, NULL, 0, G_MAXINT64, 0, read_only);
  /**
   * HearthSighting:last-seen:
   *
   * When any source last reported the device, in microseconds since the Unix epoch.
   */
  properties[PROP_LAST_SEEN]
      = g_param_spec_int64 ("last-seen", NULL, NULL, 0, G_MAXINT64, 0, read_only);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthSighting::addresses-changed:
   *
   * An address was added or removed, or the sources that vouch for one changed.
   */
  signals[ADDRESSES_CHANGED]
      = g_signal_new ("addresses-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_sighting_init (HearthSighting *self)
{
  self->addresses = g_ptr_array_new_with_free_func ((GDestroyNotify)sighting_address_free);
}

/* Internal API, for HearthDiscovery (hearth-sighting-private.h). */

HearthSighting *
hearth_sighting_new (const char *device_id)
{
  return g_object_new (HEARTH_TYPE_SIGHTING, "device-id", device_id, NULL);
}

static SightingAddress *
find_address (HearthSighting *self, const char *text, guint interface_index, guint *position)
{
  for (guint i = 0; i < self->addresses->len; i++)
    {
      SightingAddress *address = g_ptr_array_index (self->addresses, i);

      if (address->public.interface_index == interface_index
          && g_strcmp0 (address->public.address, text) == 0)
        {
          *position = i;
          return address;
        }
    }
  return NULL;
}

/* Applies what one source reported; returns TRUE when anything visible changed. */
gboolean
hearth_sighting_apply_report (HearthSighting *self, const HearthSightingReport *report)
{
  gint64 now = g_get_real_time ();
  gboolean changed = FALSE;
  gboolean addresses_changed = FALSE;

  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), FALSE);
  g_return_val_if_fail (g_strcmp0 (report->device_id, self->device_id) == 0, FALSE);

  g_object_freeze_notify (G_OBJECT (self));

  if (set_string (&self->name, report->name))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
      changed = TRUE;
    }
  if (merge_fingerprint_hint (self, report->fingerprint_hint))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINGERPRINT_HINT]);
      changed = TRUE;
    }
  if (set_string (&self->path, report->path))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATH]);
      changed = TRUE;
    }
  if (report->port != 0 && report->port != self->port)
    {
      self->port = report->port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
      changed = TRUE;
    }
  /* Add-by-address reads the description, which says nothing about pairing. */
  if (report->source != HEARTH_SIGHTING_SOURCE_MANUAL && report->is_pairing != self->is_pairing)
    {
      self->is_pairing = report->is_pairing;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_PAIRING]);
      changed = TRUE;
    }

  if (report->address != NULL)
    {
      g_autofree char *text = g_inet_address_to_string (report->address);
      SightingAddress *address;
      guint position = 0;

      address = find_address (self, text, report->interface_index, &position);
      if (address == NULL)
        {
          address = g_new0 (SightingAddress, 1);
          address->public.address = g_steal_pointer (&text);
          address->public.interface_index = report->interface_index;
          address->public.interface_name = g_strdup (report->interface_name);
          if (g_inet_address_get_family (report->address) == G_SOCKET_FAMILY_IPV6
              && g_inet_address_get_is_link_local (report->address))
            address->public.scope_id = report->interface_index;
          g_ptr_array_insert (self->addresses, 0, address);
          addresses_changed = TRUE;
        }
      else if (position != 0)
        {
          /* Most recently seen first: that is the address most likely to work now. */
          g_ptr_array_steal_index (self->addresses, position);
          g_ptr_array_insert (self->addresses, 0, address);
        }
      if (!(address->public.sources & report->source))
        addresses_changed = TRUE;
      address->public.sources |= report->source;
      address->public.last_seen = now;
      address->seen_by_source_us[source_slot (report->source)] = g_get_monotonic_time ();
    }

  if (self->first_seen == 0)
    {
      self->first_seen = now;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRST_SEEN]);
    }
  self->last_seen = now;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEEN]);

  update_sources (self);
  g_object_thaw_notify (G_OBJECT (self));
  if (addresses_changed)
    g_signal_emit (self, signals[ADDRESSES_CHANGED], 0);
  return changed || addresses_changed;
}

/* A source says it no longer sees the device: on one interface, or on every interface when
 * @interface_index is 0. */
void
hearth_sighting_withdraw (HearthSighting *self, HearthSightingSource source, guint interface_index)
{
  for (guint i = 0; i < self->addresses->len; i++)
    {
      SightingAddress *address = g_ptr_array_index (self->addresses, i);

      if (interface_index == 0 || address->public.interface_index == interface_index)
        address->public.sources &= ~source;
    }
  update_sources (self);
}

/* Takes @source away from every address it has not confirmed since @older_than_us
 * (monotonic). */
void
hearth_sighting_expire (HearthSighting *self, HearthSightingSource source, gint64 older_than_us)
{
  guint slot = source_slot (source);
  gboolean addresses_changed = FALSE;

  for (guint i = 0; i < self->addresses->len; i++)
    {
      SightingAddress *address = g_ptr_array_index (self->addresses, i);

      if ((address->public.sources & source) && address->seen_by_source_us[slot] < older_than_us)
        {
          address->public.sources &= ~source;
          addresses_changed = TRUE;
        }
    }
  update_sources (self);
  if (addresses_changed)
    g_signal_emit (self, signals[ADDRESSES_CHANGED], 0);
}

/* Monotonic time at which the last source went away, or 0 while the sighting is live. */
gint64
hearth_sighting_get_stale_since (HearthSighting *self)
{
  return self->stale_since_us;
}

/* Public API */

const char *
hearth_sighting_get_device_id (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), NULL);
  return self->device_id;
}

const char *
hearth_sighting_get_name (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), NULL);
  return self->name;
}

const char *
hearth_sighting_get_fingerprint_hint (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), NULL);
  return self->fingerprint_hint;
}

guint16
hearth_sighting_get_port (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), 0);
  return self->port;
}

const char *
hearth_sighting_get_path (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), NULL);
  return self->path;
}

gboolean
hearth_sighting_get_is_pairing (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), FALSE);
  return self->is_pairing;
}

HearthSightingSource
hearth_sighting_get_sources (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), HEARTH_SIGHTING_SOURCE_NONE);
  return self->sources;
}

gboolean
hearth_sighting_get_is_stale (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), TRUE);
  return self->sources == HEARTH_SIGHTING_SOURCE_NONE;
}

gint64
hearth_sighting_get_first_seen (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), 0);
  return self->first_seen;
}

gint64
hearth_sighting_get_last_seen (HearthSighting *self)
{
  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), 0);
  return self->last_seen;
}

/**
 * hearth_sighting_dup_addresses:
 * @self: a #HearthSighting
 *
 * Returns: (transfer container) (element-type HearthSightingAddress): copies of the addresses
 *   the device was seen at, most recently seen first
 */
GPtrArray *
hearth_sighting_dup_addresses (HearthSighting *self)
{
  GPtrArray *copies;

  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), NULL);

  copies = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_sighting_address_free);
  for (guint i = 0; i < self->addresses->len; i++)
    {
      SightingAddress *address = g_ptr_array_index (self->addresses, i);

      g_ptr_array_add (copies, hearth_sighting_address_copy (&address->public));
    }
  return copies;
}

/**
 * hearth_sighting_dup_socket_addresses:
 * @self: a #HearthSighting
 *
 * The addresses to try when connecting, most recently seen first, with the device's port and,
 * for IPv6 link-local addresses, the scope id without which they cannot be reached.
 *
 * Returns: (transfer container) (element-type GInetSocketAddress): the socket addresses
 */
GPtrArray *
hearth_sighting_dup_socket_addresses (HearthSighting *self)
{
  GPtrArray *socket_addresses;

  g_return_val_if_fail (HEARTH_IS_SIGHTING (self), NULL);

  socket_addresses = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->addresses->len; i++)
    {
      SightingAddress *address = g_ptr_array_index (self->addresses, i);
      g_autoptr (GInetAddress) inet_address
          = g_inet_address_new_from_string (address->public.address);

      if (inet_address == NULL)
        continue;
      g_ptr_array_add (socket_addresses, g_object_new (G_TYPE_INET_SOCKET_ADDRESS, "address",
                                                       inet_address, "port", (guint)self->port,
                                                       "scope-id", address->public.scope_id, NULL));
    }
  return socket_addresses;
}
