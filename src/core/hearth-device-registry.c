/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-device-registry"

#include "hearth-device-registry.h"

#include "hearth-error.h"
#include "hearth-fingerprint.h"

/* HearthDeviceRegistry is the list of devices the hub knows: every pinned device (from the
 * trust store, online or not) and every device seen but not paired yet. It is a GListModel of
 * HearthDevice that the UI binds to, and it owns one HearthDeviceProxy per pinned device with
 * a known address.
 *
 * Addresses come from outside: discovery (mDNS, multicast probe) or the user, through
 * hearth_device_registry_note_address(). An address is a hint; the device's key, checked by
 * its proxy in every TLS handshake, is what identifies it. Devices are kept in the order they
 * became known, so rows do not jump around as states change. */

enum
{
  PROP_0,
  PROP_IDENTITY,
  PROP_TRUST_STORE,
  PROP_EVENT_SERVER,
  PROP_BUS,
  PROP_HEARTBEAT,
  PROP_MAX_BACKOFF,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthDeviceRegistry
{
  GObject parent_instance;

  /* Owned */
  HearthHubIdentity *identity;
  HearthTrustStore *trust_store;
  HearthEventServer *event_server;
  HearthEventBus *bus;
  GPtrArray *devices;  /* HearthDevice, in the order they became known */
  GHashTable *by_id;   /* device id → HearthDevice (borrowed from devices) */
  GHashTable *proxies; /* device id → HearthDeviceProxy */
  guint heartbeat;
  guint max_backoff;
};

static void hearth_device_registry_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthDeviceRegistry, hearth_device_registry, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      hearth_device_registry_list_model_init))

static GType
hearth_device_registry_get_item_type (GListModel *model)
{
  return HEARTH_TYPE_DEVICE;
}

static guint
hearth_device_registry_get_n_items (GListModel *model)
{
  return HEARTH_DEVICE_REGISTRY (model)->devices->len;
}

static gpointer
hearth_device_registry_get_item (GListModel *model, guint position)
{
  HearthDeviceRegistry *self = HEARTH_DEVICE_REGISTRY (model);

  if (position >= self->devices->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->devices, position));
}

static void
hearth_device_registry_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = hearth_device_registry_get_item_type;
  iface->get_n_items = hearth_device_registry_get_n_items;
  iface->get_item = hearth_device_registry_get_item;
}

static HearthDevice *
add_device (HearthDeviceRegistry *self, const char *device_id)
{
  HearthDevice *device = g_hash_table_lookup (self->by_id, device_id);

  if (device != NULL)
    return device;
  device = hearth_device_new (device_id);
  g_ptr_array_add (self->devices, device);
  g_hash_table_insert (self->by_id, (gpointer)hearth_device_get_id (device), device);
  g_list_model_items_changed (G_LIST_MODEL (self), self->devices->len - 1, 0, 1);
  return device;
}

static HearthDeviceProxy *
ensure_proxy (HearthDeviceRegistry *self, HearthDevice *device)
{
  HearthDeviceProxy *proxy = g_hash_table_lookup (self->proxies, hearth_device_get_id (device));

  if (proxy != NULL)
    return proxy;
  proxy = hearth_device_proxy_new (device, self->identity, self->trust_store, self->event_server,
                                   self->bus);
  hearth_device_proxy_set_requested_heartbeat (proxy, self->heartbeat);
  hearth_device_proxy_set_max_backoff (proxy, self->max_backoff);
  g_hash_table_insert (self->proxies, g_strdup (hearth_device_get_id (device)), proxy);
  return proxy;
}

/* Brings the list in line with the trust store: pinned devices are listed (a new pin, e.g.
 * after adopting, gets its proxy started when its address is known), and a forgotten device
 * loses its proxy and shows as new again. */
static void
sync_with_trust_store (HearthDeviceRegistry *self)
{
  g_autoptr (GPtrArray) pins = hearth_trust_store_list_pins (self->trust_store);

  for (guint i = 0; i < pins->len; i++)
    {
      HearthTrustPin *pin = g_ptr_array_index (pins, i);
      HearthDevice *device = add_device (self, pin->device_id);

      /* The area is the user's, changed on the hub at any time, so it follows every change. */
      hearth_device_set_area (device, pin->area);
      if (hearth_device_get_state (device) == HEARTH_DEVICE_STATE_NEW)
        {
          hearth_device_set_name (device, pin->name);
          hearth_device_set_state (device, HEARTH_DEVICE_STATE_OFFLINE);
          if (hearth_device_get_host (device) != NULL)
            hearth_device_proxy_start (ensure_proxy (self, device));
        }
    }

  for (guint i = 0; i < self->devices->len; i++)
    {
      HearthDevice *device = g_ptr_array_index (self->devices, i);
      g_autoptr (HearthTrustPin) pin
          = hearth_trust_store_get_pin (self->trust_store, hearth_device_get_id (device));
      HearthDeviceProxy *proxy;

      if (pin != NULL)
        continue;
      hearth_device_set_area (device, NULL);
      proxy = g_hash_table_lookup (self->proxies, hearth_device_get_id (device));
      if (proxy != NULL)
        {
          hearth_device_proxy_stop (proxy);
          g_hash_table_remove (self->proxies, hearth_device_get_id (device));
        }
      hearth_device_set_state (device, HEARTH_DEVICE_STATE_NEW);
    }
}

static void
trust_changed_cb (HearthTrustStore *store, gpointer user_data)
{
  sync_with_trust_store (HEARTH_DEVICE_REGISTRY (user_data));
}

static void
hearth_device_registry_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  HearthDeviceRegistry *self = HEARTH_DEVICE_REGISTRY (object);

  switch (prop_id)
    {
      case PROP_IDENTITY:
        g_value_set_object (value, self->identity);
        break;
      case PROP_TRUST_STORE:
        g_value_set_object (value, self->trust_store);
        break;
      case PROP_EVENT_SERVER:
        g_value_set_object (value, self->event_server);
        break;
      case PROP_BUS:
        g_value_set_object (value, self->bus);
        break;
      case PROP_HEARTBEAT:
        g_value_set_uint (value, self->heartbeat);
        break;
      case PROP_MAX_BACKOFF:
        g_value_set_uint (value, self->max_backoff);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_registry_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  HearthDeviceRegistry *self = HEARTH_DEVICE_REGISTRY (object);

  switch (prop_id)
    {
      case PROP_IDENTITY:
        self->identity = g_value_dup_object (value);
        break;
      case PROP_TRUST_STORE:
        self->trust_store = g_value_dup_object (value);
        break;
      case PROP_EVENT_SERVER:
        self->event_server = g_value_dup_object (value);
        break;
      case PROP_BUS:
        self->bus = g_value_dup_object (value);
        break;
      case PROP_HEARTBEAT:
        hearth_device_registry_set_heartbeat (self, g_value_get_uint (value));
        break;
      case PROP_MAX_BACKOFF:
        hearth_device_registry_set_max_backoff (self, g_value_get_uint (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_registry_constructed (GObject *object)
{
  HearthDeviceRegistry *self = HEARTH_DEVICE_REGISTRY (object);

  G_OBJECT_CLASS (hearth_device_registry_parent_class)->constructed (object);

  sync_with_trust_store (self);
  g_signal_connect_object (self->trust_store, "changed", G_CALLBACK (trust_changed_cb), self, 0);
}

static void
hearth_device_registry_dispose (GObject *object)
{
  HearthDeviceRegistry *self = HEARTH_DEVICE_REGISTRY (object);

  g_clear_pointer (&self->proxies, g_hash_table_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_object (&self->identity);
  g_clear_object (&self->trust_store);
  g_clear_object (&self->event_server);
  g_clear_object (&self->bus);
  G_OBJECT_CLASS (hearth_device_registry_parent_class)->dispose (object);
}

static void
hearth_device_registry_class_init (HearthDeviceRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags read_write = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_device_registry_get_property;
  object_class->set_property = hearth_device_registry_set_property;
  object_class->constructed = hearth_device_registry_constructed;
  object_class->dispose = hearth_device_registry_dispose;

  properties[PROP_IDENTITY]
      = g_param_spec_object ("identity", NULL, NULL, HEARTH_TYPE_HUB_IDENTITY, construct);
  properties[PROP_TRUST_STORE]
      = g_param_spec_object ("trust-store", NULL, NULL, HEARTH_TYPE_TRUST_STORE, construct);
  properties[PROP_EVENT_SERVER]
      = g_param_spec_object ("event-server", NULL, NULL, HEARTH_TYPE_EVENT_SERVER, construct);
  properties[PROP_BUS] = g_param_spec_object ("bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS, construct);
  /* Applied to proxies made from now on. */
  properties[PROP_HEARTBEAT] = g_param_spec_uint ("heartbeat", NULL, NULL, 1, 60, 15, read_write);
  properties[PROP_MAX_BACKOFF]
      = g_param_spec_uint ("max-backoff", NULL, NULL, 100, 600000, 5000, read_write);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_device_registry_init (HearthDeviceRegistry *self)
{
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->proxies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->heartbeat = 15;
  self->max_backoff = 5000;
}

/**
 * hearth_device_registry_new:
 *
 * Returns: (transfer full): a registry listing every pinned device of @trust_store
 */
HearthDeviceRegistry *
hearth_device_registry_new (HearthHubIdentity *identity, HearthTrustStore *trust_store,
                            HearthEventServer *event_server, HearthEventBus *bus)
{
  return g_object_new (HEARTH_TYPE_DEVICE_REGISTRY, "identity", identity, "trust-store",
                       trust_store, "event-server", event_server, "bus", bus, NULL);
}

/**
 * hearth_device_registry_lookup:
 *
 * Returns: (transfer none) (nullable): the device with this id
 */
HearthDevice *
hearth_device_registry_lookup (HearthDeviceRegistry *self, const char *device_id)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_REGISTRY (self), NULL);
  return g_hash_table_lookup (self->by_id, device_id);
}

/**
 * hearth_device_registry_get_proxy:
 *
 * Returns: (transfer none) (nullable): the proxy of a pinned device with a known address
 */
HearthDeviceProxy *
hearth_device_registry_get_proxy (HearthDeviceRegistry *self, const char *device_id)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_REGISTRY (self), NULL);
  return g_hash_table_lookup (self->proxies, device_id);
}

/**
 * hearth_device_registry_note_address:
 * @self: a #HearthDeviceRegistry
 * @device_id: the id the announcement or the user gave
 * @host: an IP address literal
 * @port: the device's TLS port
 * @fingerprint_hint: (nullable): the fingerprint (or its prefix) announced; a hint only
 * @error: return location for a #GError
 *
 * Tells the registry where a device can be reached. An unknown device is listed as new. A
 * pinned device's proxy connects (or reconnects at once, if the address changed or the device
 * was not online: an announcement usually means the device just came up).
 *
 * Returns: (transfer none): the device, or %NULL with %HEARTH_ERROR_INVALID_ARGUMENT
 */
HearthDevice *
hearth_device_registry_note_address (HearthDeviceRegistry *self, const char *device_id,
                                     const char *host, guint16 port, const char *fingerprint_hint,
                                     GError **error)
{
  g_autoptr (HearthTrustPin) pin = NULL;
  HearthDevice *device;
  HearthDeviceProxy *proxy;
  gboolean moved;

  g_return_val_if_fail (HEARTH_IS_DEVICE_REGISTRY (self), NULL);

  if (!hearth_trust_device_id_is_valid (device_id) || host == NULL
      || !g_hostname_is_ip_address (host) || port == 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A device address needs a valid device id, an IP address and a port");
      return NULL;
    }

  device = add_device (self, device_id);
  moved = g_strcmp0 (hearth_device_get_host (device), host) != 0
          || hearth_device_get_port (device) != port;
  hearth_device_set_address (device, host, port);
  if (fingerprint_hint != NULL)
    hearth_device_set_fingerprint_hint (device, fingerprint_hint);

  pin = hearth_trust_store_get_pin (self->trust_store, device_id);
  if (pin == NULL)
    return device;

  if (hearth_device_get_state (device) == HEARTH_DEVICE_STATE_NEW)
    hearth_device_set_state (device, HEARTH_DEVICE_STATE_OFFLINE);
  proxy = g_hash_table_lookup (self->proxies, device_id);
  if (proxy == NULL)
    hearth_device_proxy_start (ensure_proxy (self, device));
  else if (moved || hearth_device_get_state (device) == HEARTH_DEVICE_STATE_OFFLINE)
    hearth_device_proxy_reconnect (proxy);
  return device;
}

guint
hearth_device_registry_get_heartbeat (HearthDeviceRegistry *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_REGISTRY (self), 0);
  return self->heartbeat;
}

void
hearth_device_registry_set_heartbeat (HearthDeviceRegistry *self, guint seconds)
{
  g_return_if_fail (HEARTH_IS_DEVICE_REGISTRY (self));
  seconds = CLAMP (seconds, 1, 60);
  if (self->heartbeat == seconds)
    return;
  self->heartbeat = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEARTBEAT]);
}

guint
hearth_device_registry_get_max_backoff (HearthDeviceRegistry *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_REGISTRY (self), 0);
  return self->max_backoff;
}

void
hearth_device_registry_set_max_backoff (HearthDeviceRegistry *self, guint milliseconds)
{
  g_return_if_fail (HEARTH_IS_DEVICE_REGISTRY (self));
  milliseconds = MAX (milliseconds, 100u);
  if (self->max_backoff == milliseconds)
    return;
  self->max_backoff = milliseconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BACKOFF]);
}
