/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-discovery"

#include "hearth-discovery.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-multicast-prober.h"
#include "hearth-sighting-private.h"
#include "hearth-trust-store.h"

/* HearthDiscovery merges what the mDNS browser, the multicast prober and add-by-address report
 * into one GListModel of HearthSighting, keyed by device id.
 *
 * Announcements are hints only. A sighting says where a device claims to be and what it claims
 * to be called; anyone on the link can claim anything, including another device's id and
 * fingerprint. The hub learns who it is talking to only at connect time, from the key the
 * device presents in TLS, checked against the trust store. Nothing here is ever used to trust
 * a device.
 *
 * Lifetimes: an mDNS address lives while Avahi lists the service; a probe address lives while
 * answers or HELLOs keep coming (three probe intervals, 90 s by default); an address added by
 * hand lives as long as this object. A sighting left with no source is stale, and leaves the
 * model stale-timeout seconds later (60 by default) unless a source reports it again. When
 * avahi-daemon goes away every mDNS address is withdrawn at once (the browser says "reset");
 * the new daemon reports the services again within a second or two. */

#define EXPIRY_CHECK_MAX_SECONDS 5
#define ADD_ADDRESS_TIMEOUT_SECONDS 10
#define DESCRIPTION_NAME_MAX_BYTES 128

enum
{
  PROP_0,
  PROP_USE_MDNS,
  PROP_USE_PROBE,
  PROP_PROBE_INTERVAL,
  PROP_STALE_TIMEOUT,
  PROP_ALLOWED_INTERFACES,
  PROP_MDNS_STATE,
  PROP_MDNS_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthDiscovery
{
  GObject parent_instance;

  /* Owned */
  HearthMdnsBrowser *mdns_browser;
  HearthMulticastProber *prober;
  SoupSession *session;
  GCancellable *cancellable;
  GPtrArray *sightings; /* HearthSighting, in the order first seen */
  GHashTable *by_id;    /* device id → HearthSighting (borrowed from sightings) */
  guint expiry_source;
  guint probe_interval_seconds;
  guint stale_timeout_seconds;
  char **allowed_interfaces;
  gboolean use_mdns;
  gboolean use_probe;
  gboolean is_started;
};

static void hearth_discovery_list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthDiscovery, hearth_discovery, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      hearth_discovery_list_model_iface_init))

G_DEFINE_BOXED_TYPE (HearthInterfaceReport, hearth_interface_report, hearth_interface_report_copy,
                     hearth_interface_report_free)

HearthInterfaceReport *
hearth_interface_report_copy (const HearthInterfaceReport *report)
{
  HearthInterfaceReport *copy = g_memdup2 (report, sizeof *report);

  copy->name = g_strdup (report->name);
  copy->last_error = g_strdup (report->last_error);
  copy->device_ids = g_strdupv (report->device_ids);
  return copy;
}

void
hearth_interface_report_free (HearthInterfaceReport *report)
{
  if (report == NULL)
    return;
  g_free (report->name);
  g_free (report->last_error);
  g_strfreev (report->device_ids);
  g_free (report);
}

/* GListModel */

static GType
hearth_discovery_get_item_type (GListModel *model)
{
  return HEARTH_TYPE_SIGHTING;
}

static guint
hearth_discovery_get_n_items (GListModel *model)
{
  return HEARTH_DISCOVERY (model)->sightings->len;
}

static gpointer
hearth_discovery_get_item (GListModel *model, guint position)
{
  HearthDiscovery *self = HEARTH_DISCOVERY (model);

  if (position >= self->sightings->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->sightings, position));
}

static void
hearth_discovery_list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = hearth_discovery_get_item_type;
  iface->get_n_items = hearth_discovery_get_n_items;
  iface->get_item = hearth_discovery_get_item;
}

/* Merging */

static HearthSighting *
apply_report (HearthDiscovery *self, const HearthSightingReport *report)
{
  HearthSighting *sighting = g_hash_table_lookup (self->by_id, report->device_id);

  if (sighting == NULL)
    {
      if (self->sightings->len >= HEARTH_DISCOVERY_MAX_SIGHTINGS)
        {
          g_debug ("Ignoring %s: already %d sightings", report->device_id,
                   HEARTH_DISCOVERY_MAX_SIGHTINGS);
          return NULL;
        }
      sighting = hearth_sighting_new (report->device_id);
      hearth_sighting_apply_report (sighting, report);
      g_ptr_array_add (self->sightings, sighting);
      g_hash_table_insert (self->by_id, (gpointer)hearth_sighting_get_device_id (sighting),
                           sighting);
      g_list_model_items_changed (G_LIST_MODEL (self), self->sightings->len - 1, 0, 1);
      return sighting;
    }

  hearth_sighting_apply_report (sighting, report);
  return sighting;
}

static void
remove_at (HearthDiscovery *self, guint position)
{
  HearthSighting *sighting = g_ptr_array_index (self->sightings, position);

  g_hash_table_remove (self->by_id, hearth_sighting_get_device_id (sighting));
  g_ptr_array_remove_index (self->sightings, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static void
expire (HearthDiscovery *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 probe_lifetime_us = 3 * (gint64)self->probe_interval_seconds * G_USEC_PER_SEC;
  gint64 stale_timeout_us = (gint64)self->stale_timeout_seconds * G_USEC_PER_SEC;

  for (guint i = self->sightings->len; i > 0; i--)
    {
      HearthSighting *sighting = g_ptr_array_index (self->sightings, i - 1);
      gint64 stale_since;

      hearth_sighting_expire (sighting, HEARTH_SIGHTING_SOURCE_PROBE, now - probe_lifetime_us);
      stale_since = hearth_sighting_get_stale_since (sighting);
      if (stale_since != 0 && now - stale_since >= stale_timeout_us)
        remove_at (self, i - 1);
    }
}

static gboolean
expiry_cb (gpointer user_data)
{
  expire (user_data);
  return G_SOURCE_CONTINUE;
}

static void
mdns_resolved_cb (HearthMdnsBrowser *browser, gpointer report, HearthDiscovery *self)
{
  apply_report (self, report);
}

static void
mdns_removed_cb (HearthMdnsBrowser *browser, const char *device_id, guint interface_index,
                 HearthDiscovery *self)
{
  HearthSighting *sighting = g_hash_table_lookup (self->by_id, device_id);

  if (sighting != NULL)
    hearth_sighting_withdraw (sighting, HEARTH_SIGHTING_SOURCE_MDNS, interface_index);
}

static void
mdns_reset_cb (HearthMdnsBrowser *browser, HearthDiscovery *self)
{
  for (guint i = 0; i < self->sightings->len; i++)
    hearth_sighting_withdraw (g_ptr_array_index (self->sightings, i), HEARTH_SIGHTING_SOURCE_MDNS,
                              0);
}

static void
mdns_notify_cb (HearthMdnsBrowser *browser, GParamSpec *pspec, HearthDiscovery *self)
{
  if (g_strcmp0 (pspec->name, "state") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MDNS_STATE]);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MDNS_ERROR]);
}

static void
prober_sighted_cb (HearthMulticastProber *prober, gpointer report, HearthDiscovery *self)
{
  apply_report (self, report);
}

/* Properties */

static void
hearth_discovery_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDiscovery *self = HEARTH_DISCOVERY (object);

  switch (prop_id)
    {
      case PROP_USE_MDNS:
        g_value_set_boolean (value, self->use_mdns);
        break;
      case PROP_USE_PROBE:
        g_value_set_boolean (value, self->use_probe);
        break;
      case PROP_PROBE_INTERVAL:
        g_value_set_uint (value, self->probe_interval_seconds);
        break;
      case PROP_STALE_TIMEOUT:
        g_value_set_uint (value, self->stale_timeout_seconds);
        break;
      case PROP_ALLOWED_INTERFACES:
        g_value_set_boxed (value, self->allowed_interfaces);
        break;
      case PROP_MDNS_STATE:
        g_value_set_enum (value, hearth_discovery_get_mdns_state (self));
        break;
      case PROP_MDNS_ERROR:
        g_value_set_string (value, hearth_discovery_get_mdns_error (self));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_discovery_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  HearthDiscovery *self = HEARTH_DISCOVERY (object);

  switch (prop_id)
    {
      case PROP_USE_MDNS:
        self->use_mdns = g_value_get_boolean (value);
        break;
      case PROP_USE_PROBE:
        self->use_probe = g_value_get_boolean (value);
        break;
      case PROP_PROBE_INTERVAL:
        self->probe_interval_seconds = g_value_get_uint (value);
        break;
      case PROP_STALE_TIMEOUT:
        self->stale_timeout_seconds = g_value_get_uint (value);
        break;
      case PROP_ALLOWED_INTERFACES:
        self->allowed_interfaces = g_value_dup_boxed (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_discovery_dispose (GObject *object)
{
  HearthDiscovery *self = HEARTH_DISCOVERY (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->expiry_source, g_source_remove);
  if (self->mdns_browser != NULL)
    g_signal_handlers_disconnect_by_data (self->mdns_browser, self);
  if (self->prober != NULL)
    g_signal_handlers_disconnect_by_data (self->prober, self);
  g_clear_object (&self->mdns_browser);
  g_clear_object (&self->prober);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  if (self->by_id != NULL)
    g_hash_table_remove_all (self->by_id);
  if (self->sightings != NULL)
    g_ptr_array_set_size (self->sightings, 0);

  G_OBJECT_CLASS (hearth_discovery_parent_class)->dispose (object);
}

static void
hearth_discovery_finalize (GObject *object)
{
  HearthDiscovery *self = HEARTH_DISCOVERY (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->sightings, g_ptr_array_unref);
  g_strfreev (self->allowed_interfaces);

  G_OBJECT_CLASS (hearth_discovery_parent_class)->finalize (object);
}

static void
hearth_discovery_class_init (HearthDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_discovery_get_property;
  object_class->set_property = hearth_discovery_set_property;
  object_class->dispose = hearth_discovery_dispose;
  object_class->finalize = hearth_discovery_finalize;

  /**
   * HearthDiscovery:use-mdns:
   *
   * Whether to browse DNS-SD through Avahi. Off only in tests of the probe alone.
   */
  properties[PROP_USE_MDNS] = g_param_spec_boolean ("use-mdns", NULL, NULL, TRUE, construct_only);
  /**
   * HearthDiscovery:use-probe:
   *
   * Whether to run the IOTSCP multicast probe. Off only in tests of mDNS alone.
   */
  properties[PROP_USE_PROBE] = g_param_spec_boolean ("use-probe", NULL, NULL, TRUE, construct_only);
  /**
   * HearthDiscovery:probe-interval:
   *
   * Seconds between periodic probe rounds; a probe sighting lasts three intervals.
   */
  properties[PROP_PROBE_INTERVAL]
      = g_param_spec_uint ("probe-interval", NULL, NULL, 1, 3600,
                           HEARTH_DISCOVERY_PROBE_INTERVAL_SECONDS, construct_only);
  /**
   * HearthDiscovery:stale-timeout:
   *
   * Seconds a stale sighting stays in the model before it is removed.
   */
  properties[PROP_STALE_TIMEOUT] = g_param_spec_uint (
      "stale-timeout", NULL, NULL, 1, 86400, HEARTH_DISCOVERY_STALE_SECONDS, construct_only);
  /**
   * HearthDiscovery:allowed-interfaces:
   *
   * Names of the interfaces the multicast probe may use, or %NULL for every usable interface.
   * Lets a user keep probes off a network, and tests keep them on loopback.
   */
  properties[PROP_ALLOWED_INTERFACES]
      = g_param_spec_boxed ("allowed-interfaces", NULL, NULL, G_TYPE_STRV, construct_only);
  properties[PROP_MDNS_STATE] = g_param_spec_enum ("mdns-state", NULL, NULL, HEARTH_TYPE_MDNS_STATE,
                                                   HEARTH_MDNS_STATE_STOPPED, read_only);
  /**
   * HearthDiscovery:mdns-error:
   *
   * Why mDNS does not work right now (for example "avahi-daemon is not running"), or %NULL.
   */
  properties[PROP_MDNS_ERROR] = g_param_spec_string ("mdns-error", NULL, NULL, NULL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_discovery_init (HearthDiscovery *self)
{
  self->sightings = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->cancellable = g_cancellable_new ();
  self->use_mdns = TRUE;
  self->use_probe = TRUE;
  self->probe_interval_seconds = HEARTH_DISCOVERY_PROBE_INTERVAL_SECONDS;
  self->stale_timeout_seconds = HEARTH_DISCOVERY_STALE_SECONDS;
}

/* Public API */

/**
 * hearth_discovery_new:
 *
 * Returns: (transfer full): a discovery with the default settings; call
 *   hearth_discovery_start()
 */
HearthDiscovery *
hearth_discovery_new (void)
{
  return g_object_new (HEARTH_TYPE_DISCOVERY, NULL);
}

/**
 * hearth_discovery_start:
 * @self: a #HearthDiscovery
 * @error: return location for a #GError
 *
 * Starts the mDNS browser and the multicast prober. A missing avahi-daemon is not an error
 * (#HearthDiscovery:mdns-state says so, and discovery goes on with the probe); failing to
 * open any probe socket is (%HEARTH_ERROR_LISTEN_FAILED).
 *
 * Returns: %TRUE on success
 */
gboolean
hearth_discovery_start (HearthDiscovery *self, GError **error)
{
  guint expiry_seconds;

  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), FALSE);

  if (self->is_started)
    return TRUE;

  if (self->use_probe)
    {
      g_autoptr (HearthMulticastProber) prober = hearth_multicast_prober_new (
          self->probe_interval_seconds, (const char *const *)self->allowed_interfaces);

      g_signal_connect (prober, "sighted", G_CALLBACK (prober_sighted_cb), self);
      if (!hearth_multicast_prober_start (prober, error))
        {
          g_signal_handlers_disconnect_by_data (prober, self);
          return FALSE;
        }
      self->prober = g_steal_pointer (&prober);
    }
  if (self->use_mdns)
    {
      self->mdns_browser = hearth_mdns_browser_new ();
      g_signal_connect (self->mdns_browser, "resolved", G_CALLBACK (mdns_resolved_cb), self);
      g_signal_connect (self->mdns_browser, "removed", G_CALLBACK (mdns_removed_cb), self);
      g_signal_connect (self->mdns_browser, "reset", G_CALLBACK (mdns_reset_cb), self);
      g_signal_connect (self->mdns_browser, "notify::state", G_CALLBACK (mdns_notify_cb), self);
      g_signal_connect (self->mdns_browser, "notify::last-error", G_CALLBACK (mdns_notify_cb),
                        self);
      hearth_mdns_browser_start (self->mdns_browser);
    }

  expiry_seconds
      = MIN (EXPIRY_CHECK_MAX_SECONDS,
             MAX (1, MIN (self->stale_timeout_seconds, self->probe_interval_seconds) / 2));
  self->expiry_source = g_timeout_add_seconds (expiry_seconds, expiry_cb, self);
  self->is_started = TRUE;
  return TRUE;
}

/**
 * hearth_discovery_refresh:
 * @self: a #HearthDiscovery
 *
 * Asks for a probe round now (when the user opens "New devices", or a known device has gone
 * quiet), and re-reads the interfaces. Rounds are at least a second apart however often this is
 * called.
 */
void
hearth_discovery_refresh (HearthDiscovery *self)
{
  g_return_if_fail (HEARTH_IS_DISCOVERY (self));

  if (self->prober == NULL)
    return;
  hearth_multicast_prober_rescan_interfaces (self->prober);
  hearth_multicast_prober_probe_now (self->prober);
}

/**
 * hearth_discovery_lookup:
 * @self: a #HearthDiscovery
 * @device_id: a device id
 *
 * Returns: (transfer none) (nullable): the sighting of @device_id, if there is one
 */
HearthSighting *
hearth_discovery_lookup (HearthDiscovery *self, const char *device_id)
{
  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, device_id);
}

HearthMdnsState
hearth_discovery_get_mdns_state (HearthDiscovery *self)
{
  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), HEARTH_MDNS_STATE_STOPPED);

  if (self->mdns_browser == NULL)
    return HEARTH_MDNS_STATE_STOPPED;
  return hearth_mdns_browser_get_state (self->mdns_browser);
}

const char *
hearth_discovery_get_mdns_error (HearthDiscovery *self)
{
  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), NULL);

  if (self->mdns_browser == NULL)
    return NULL;
  return hearth_mdns_browser_get_last_error (self->mdns_browser);
}

/* How many times the Avahi client was made again after the daemon went away. */
guint
hearth_discovery_get_n_mdns_restarts (HearthDiscovery *self)
{
  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), 0);
  return self->mdns_browser != NULL ? hearth_mdns_browser_get_n_restarts (self->mdns_browser) : 0;
}

/* How many probe rounds went out. */
guint
hearth_discovery_get_n_probe_rounds (HearthDiscovery *self)
{
  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), 0);
  return self->prober != NULL ? hearth_multicast_prober_get_n_rounds (self->prober) : 0;
}

/* Add by address */

typedef struct
{
  SoupMessage *message;
  GTlsCertificate *peer_certificate;
  guint8 *buffer;
  guint16 port;
} AddAddress;

static void
add_address_free (AddAddress *data)
{
  g_clear_object (&data->message);
  g_clear_object (&data->peer_certificate);
  g_free (data->buffer);
  g_free (data);
}

static gboolean
accept_certificate_cb (SoupMessage *message, GTlsCertificate *certificate,
                       GTlsCertificateFlags errors, AddAddress *data)
{
  /* There is no certificate authority in IOTSCP (docs/protocol.md §1.1): every device
   * certificate is self-signed. Accepting it here trusts nothing: the key only becomes the
   * sighting's fingerprint hint, and pinning happens elsewhere, with the user's consent. */
  g_set_object (&data->peer_certificate, certificate);
  return TRUE;
}

static gboolean
is_valid_name (const char *name)
{
  gsize length = name != NULL ? strlen (name) : 0;

  if (length == 0 || length > DESCRIPTION_NAME_MAX_BYTES)
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return FALSE;
    }
  return TRUE;
}

static void
description_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HearthDiscovery *self = g_task_get_source_object (task);
  AddAddress *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (HearthSightingReport) report = NULL;
  g_autofree char *fingerprint = NULL;
  GSocketAddress *remote;
  JsonNode *root;
  JsonObject *object;
  const char *device_id, *name;
  HearthSighting *sighting;
  gsize length = 0;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &length, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (length > HEARTH_DISCOVERY_MAX_DESCRIPTION_BYTES)
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                               "The device's description is larger than %d bytes",
                               HEARTH_DISCOVERY_MAX_DESCRIPTION_BYTES);
      return;
    }
  if (!json_parser_load_from_data (parser, (const char *)data->buffer, (gssize)length, &error))
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                               "The device's description is not valid JSON: %s", error->message);
      return;
    }
  root = json_parser_get_root (parser);
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  device_id
      = object != NULL ? json_object_get_string_member_with_default (object, "id", NULL) : NULL;
  name = object != NULL ? json_object_get_string_member_with_default (object, "name", NULL) : NULL;
  if (object == NULL || json_object_get_int_member_with_default (object, "iotscp", 0) != 2
      || !hearth_trust_device_id_is_valid (device_id) || !is_valid_name (name))
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                               "The address does not serve an IOTSCP/2 description with a valid "
                               "id and name");
      return;
    }
  if (data->peer_certificate == NULL)
    g_set_object (&data->peer_certificate, soup_message_get_tls_peer_certificate (data->message));
  if (data->peer_certificate == NULL
      || (fingerprint = hearth_fingerprint_from_tls_certificate (data->peer_certificate, &error))
             == NULL)
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                               "Cannot read the device's key: %s",
                               error != NULL ? error->message : "no certificate");
      return;
    }

  report = hearth_sighting_report_new (HEARTH_SIGHTING_SOURCE_MANUAL);
  report->device_id = g_strdup (device_id);
  report->name = g_strdup (name);
  report->fingerprint_hint = g_steal_pointer (&fingerprint);
  report->path = g_strdup ("/.well-known/iotscp");
  report->port = data->port;
  remote = soup_message_get_remote_address (data->message);
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (remote);

      report->address = g_object_ref (g_inet_socket_address_get_address (inet));
      if (g_socket_address_get_family (remote) == G_SOCKET_FAMILY_IPV6)
        report->interface_index = g_inet_socket_address_get_scope_id (inet);
    }
  sighting = apply_report (self, report);
  if (sighting == NULL)
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                               "Too many devices are in view (%d)", HEARTH_DISCOVERY_MAX_SIGHTINGS);
      return;
    }
  g_task_return_pointer (task, g_object_ref (sighting), g_object_unref);
}

static void
description_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AddAddress *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream
      = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (stream == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  status = soup_message_get_status (data->message);
  if (status != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                               "The device answered %u %s instead of its description", status,
                               soup_message_get_reason_phrase (data->message));
      return;
    }
  /* One byte over the limit tells a description that is too large from one that fits. */
  data->buffer = g_malloc (HEARTH_DISCOVERY_MAX_DESCRIPTION_BYTES + 1);
  g_input_stream_read_all_async (stream, data->buffer, HEARTH_DISCOVERY_MAX_DESCRIPTION_BYTES + 1,
                                 G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                 description_read_cb, g_object_ref (task));
}

/**
 * hearth_discovery_add_address_async:
 * @self: a #HearthDiscovery
 * @host_and_port: "host", "host:port", "[ipv6]:port"; the port defaults to 4443
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: for @callback
 *
 * Adds a device that discovery cannot see (another subnet, multicast filtered) by asking it
 * directly: `GET /.well-known/iotscp` over HTTPS, without a client certificate. The key the
 * device presents becomes the sighting's full fingerprint hint. Like every sighting this is a
 * hint, not trust: the certificate is accepted only to read the description.
 */
void
hearth_discovery_add_address_async (HearthDiscovery *self, const char *host_and_port,
                                    GCancellable *cancellable, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnectable) connectable = NULL;
  g_autoptr (GUri) uri = NULL;
  AddAddress *data;

  g_return_if_fail (HEARTH_IS_DISCOVERY (self));
  g_return_if_fail (host_and_port != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_discovery_add_address_async);

  connectable = g_network_address_parse (host_and_port, 4443, &error);
  if (connectable == NULL)
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a host and port: %s", host_and_port, error->message);
      return;
    }

  data = g_new0 (AddAddress, 1);
  data->port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  g_task_set_task_data (task, data, (GDestroyNotify)add_address_free);
  if (data->port == 0)
    {
      g_task_return_new_error (task, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT, "“%s” has port 0",
                               host_and_port);
      return;
    }

  uri = g_uri_build (G_URI_FLAGS_NONE, "https", NULL,
                     g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)), data->port,
                     "/.well-known/iotscp", NULL, NULL);
  data->message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  g_signal_connect (data->message, "accept-certificate", G_CALLBACK (accept_certificate_cb), data);

  if (self->session == NULL)
    self->session
        = soup_session_new_with_options ("timeout", ADD_ADDRESS_TIMEOUT_SECONDS, "idle-timeout",
                                         ADD_ADDRESS_TIMEOUT_SECONDS, "user-agent", "Hearth", NULL);
  soup_session_send_async (self->session, data->message, G_PRIORITY_DEFAULT, cancellable,
                           description_sent_cb, g_steal_pointer (&task));
}

/**
 * hearth_discovery_add_address_finish:
 * @self: a #HearthDiscovery
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the sighting of the device at that address
 */
HearthSighting *
hearth_discovery_add_address_finish (HearthDiscovery *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (
      g_task_get_source_tag (G_TASK (result)) == hearth_discovery_add_address_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Interface report */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

static int
compare_reports (gconstpointer a, gconstpointer b)
{
  const HearthInterfaceReport *ra = *(HearthInterfaceReport *const *)a;
  const HearthInterfaceReport *rb = *(HearthInterfaceReport *const *)b;

  return (int)ra->index - (int)rb->index;
}

/**
 * hearth_discovery_dup_interface_report:
 * @self: a #HearthDiscovery
 *
 * Says, per network interface, whether mDNS and the IPv4 and IPv6 probe work there, the last
 * problem seen there, and which devices are currently seen there: the answer to "why isn't my
 * device found?".
 *
 * Returns: (transfer container) (element-type HearthInterfaceReport): one entry per
 *   interface, in interface index order
 */
GPtrArray *
hearth_discovery_dup_interface_report (HearthDiscovery *self)
{
  g_autoptr (GPtrArray) probe_interfaces = NULL;
  GPtrArray *reports;
  gboolean mdns_running;

  g_return_val_if_fail (HEARTH_IS_DISCOVERY (self), NULL);

  mdns_running = hearth_discovery_get_mdns_state (self) == HEARTH_MDNS_STATE_RUNNING;
  reports = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_interface_report_free);
  if (self->prober != NULL)
    probe_interfaces = hearth_multicast_prober_dup_interfaces (self->prober);

  for (guint i = 0; probe_interfaces != NULL && i < probe_interfaces->len; i++)
    {
      HearthProbeInterface *interface = g_ptr_array_index (probe_interfaces, i);
      HearthInterfaceReport *report = g_new0 (HearthInterfaceReport, 1);
      g_autoptr (GPtrArray) ids = g_ptr_array_new ();

      report->name = g_strdup (interface->name);
      report->index = interface->index;
      report->is_up = interface->is_up;
      report->mdns_active = mdns_running && interface->is_up;
      report->probe_ipv4_active = interface->probe_ipv4_active;
      report->probe_ipv6_active = interface->probe_ipv6_active;
      report->last_error = g_strdup (interface->last_error);
      if (report->last_error == NULL && !mdns_running && self->mdns_browser != NULL)
        report->last_error = g_strdup (hearth_discovery_get_mdns_error (self));

      for (guint j = 0; j < self->sightings->len; j++)
        {
          HearthSighting *sighting = g_ptr_array_index (self->sightings, j);
          g_autoptr (GPtrArray) addresses = hearth_sighting_dup_addresses (sighting);

          for (guint k = 0; k < addresses->len; k++)
            {
              HearthSightingAddress *address = g_ptr_array_index (addresses, k);

              if (address->interface_index == interface->index)
                {
                  g_ptr_array_add (ids, g_strdup (hearth_sighting_get_device_id (sighting)));
                  break;
                }
            }
        }
      g_ptr_array_sort (ids, compare_strings);
      g_ptr_array_add (ids, NULL);
      report->device_ids = (char **)g_ptr_array_steal (ids, NULL);
      g_ptr_array_add (reports, report);
    }

  g_ptr_array_sort (reports, compare_reports);
  return reports;
}
