/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-hub"

#include "hearth-hub.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-atomic-file.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"

/* HearthHub is the whole hub without a window: it owns every core object and wires them
 * together, so that `hearth --headless`, the GTK application and tests start the same thing.
 *
 * - Discovery sightings become addresses in the registry: a pinned device's proxy connects
 *   (or reconnects when the device announces itself again), an unknown device is listed as
 *   new. An announcement is only a hint; the proxy's TLS check against the pinned key decides.
 * - Trust decisions reach the registry and the proxies through the trust store's signals.
 * - The event bus feeds the history.
 * - The last address of every pinned device is kept in `addresses.json`, so the hub reaches
 *   its devices at once after a restart, also those added by address that never announce.
 * - Key rotation (issue 3 item 1): the new key is added as a controller on every paired device
 *   with the old key's connection before the old key is removed with the new key's
 *   connection. Devices that cannot be reached stay listed and are retried when they are
 *   heard of again and every ROTATION_RETRY_S; the previous key is forgotten only when every
 *   pinned device is done, so no device is ever left with neither key. */

#define ADDRESSES_MAX_BYTES (4 * 1024 * 1024)
#define ADDRESSES_SAVE_DELAY_MS 500
#define ROTATION_RETRY_S 10
#define ROTATION_REQUEST_TIMEOUT_S 10
#define ROTATION_CONTROLLER_NAME "Hearth hub"

enum
{
  PROP_0,
  PROP_DATA_DIR,
  PROP_PORT,
  PROP_DISCOVERY_ENABLED,
  PROP_HEARTBEAT,
  PROP_IS_ROTATING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  char *host;
  guint16 port;
} KnownAddress;

struct _HearthHub
{
  GObject parent_instance;

  /* Owned */
  char *data_dir;
  guint16 requested_port;
  gboolean discovery_enabled;
  guint heartbeat;
  HearthHubIdentity *identity;
  HearthTrustStore *trust_store;
  HearthHistory *history;
  HearthEventBus *bus;
  HearthEventServer *event_server;
  HearthDeviceRegistry *registry;
  HearthDiscovery *discovery;
  char *discovery_problem;
  GCancellable *cancellable;
  GHashTable *watched_sightings; /* device id → HearthSighting */
  GHashTable *addresses;         /* device id → KnownAddress */
  guint save_addresses_source;
  GHashTable *rotation;           /* device id → HearthRotationEntry, while a rotation runs */
  GHashTable *rotation_in_flight; /* device id → TRUE */
  guint rotation_retry_source;
  GPtrArray *rotation_waiters; /* GTask, answered when every device had one attempt */
  guint rotation_attempts_left;
  gboolean stopped;
};

static void hearth_hub_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthHub, hearth_hub, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, hearth_hub_initable_init))

static void rotate_device (HearthHub *self, const char *device_id);
static void rotation_check_finished (HearthHub *self);

const char *
hearth_rotation_status_to_string (HearthRotationStatus status)
{
  switch (status)
    {
      case HEARTH_ROTATION_DONE:
        return "done";
      case HEARTH_ROTATION_UNREACHABLE:
        return "unreachable";
      case HEARTH_ROTATION_REFUSED:
        return "refused";
      case HEARTH_ROTATION_FAILED:
      default:
        return "failed";
    }
}

void
hearth_rotation_entry_free (HearthRotationEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->device_id);
  g_free (entry->message);
  g_free (entry);
}

static HearthRotationEntry *
rotation_entry_copy (const HearthRotationEntry *entry)
{
  HearthRotationEntry *copy = g_new0 (HearthRotationEntry, 1);

  copy->device_id = g_strdup (entry->device_id);
  copy->status = entry->status;
  copy->message = g_strdup (entry->message);
  return copy;
}

static void
known_address_free (KnownAddress *address)
{
  g_free (address->host);
  g_free (address);
}

/* ---------------------------------------------------------------------------------------- */
/* The address book */

static gboolean
save_addresses_cb (gpointer user_data)
{
  HearthHub *self = user_data;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = g_build_filename (self->data_dir, HEARTH_HUB_ADDRESSES_FILE, NULL);
  g_autoptr (GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  self->save_addresses_source = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, self->addresses);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      KnownAddress *address = value;
      g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (self->trust_store, key);

      /* Only paired devices: anyone on the network can announce any number of new ones. */
      if (pin == NULL)
        continue;
      json_builder_set_member_name (builder, key);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, address->host);
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, address->port);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);

  /* Losing this file only costs the wait for discovery at the next start, so a failure is
   * logged, not fatal. */
  if (!hearth_atomic_file_write (path, text, strlen (text), 0600, &error))
    g_debug ("Could not save the device addresses: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
schedule_save_addresses (HearthHub *self)
{
  if (self->save_addresses_source != 0 || self->stopped)
    return;
  self->save_addresses_source = g_timeout_add (ADDRESSES_SAVE_DELAY_MS, save_addresses_cb, self);
}

static void
remember_address (HearthHub *self, const char *device_id, const char *host, guint16 port)
{
  KnownAddress *known = g_hash_table_lookup (self->addresses, device_id);
  g_autoptr (HearthTrustPin) pin = NULL;

  if (known != NULL && known->port == port && g_strcmp0 (known->host, host) == 0)
    return;
  known = g_new0 (KnownAddress, 1);
  known->host = g_strdup (host);
  known->port = port;
  g_hash_table_replace (self->addresses, g_strdup (device_id), known);
  pin = hearth_trust_store_get_pin (self->trust_store, device_id);
  if (pin != NULL)
    schedule_save_addresses (self);
}

/* Reads addresses.json. A damaged file is not fatal: discovery finds the devices again. */
static void
load_addresses (HearthHub *self)
{
  g_autofree char *path = g_build_filename (self->data_dir, HEARTH_HUB_ADDRESSES_FILE, NULL);
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  gsize length = 0;
  JsonNode *root;
  JsonObject *devices;
  g_autoptr (GList) members = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return;
  if (!hearth_atomic_file_read (path, ADDRESSES_MAX_BYTES, &text, &length, &error)
      || !json_parser_load_from_data (parser, text, (gssize)length, &error))
    {
      g_debug ("Ignoring %s: %s", path, error->message);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || !json_object_has_member (json_node_get_object (root), "devices")
      || !JSON_NODE_HOLDS_OBJECT (json_object_get_member (json_node_get_object (root), "devices")))
    return;
  devices = json_object_get_object_member (json_node_get_object (root), "devices");
  members = json_object_get_members (devices);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (devices, l->data);
      JsonObject *entry;
      const char *host;
      gint64 port;
      g_autoptr (GError) note_error = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      host = json_object_get_string_member_with_default (entry, "host", NULL);
      port = json_object_get_int_member_with_default (entry, "port", 0);
      if (host == NULL || port <= 0 || port > 65535)
        continue;
      if (hearth_hub_note_address (self, l->data, host, (guint16)port, NULL, &note_error) == NULL)
        g_debug ("Ignoring the saved address of %s: %s", (const char *)l->data,
                 note_error->message);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Discovery → registry */

/* The address to connect to: IPv4 first (it works everywhere a device is), then IPv6 with a
 * global scope. Link-local IPv6 needs a scope id that an address literal cannot carry here. */
static char *
pick_address (HearthSighting *sighting)
{
  g_autoptr (GPtrArray) addresses = hearth_sighting_dup_addresses (sighting);
  const char *ipv6 = NULL;

  for (guint i = 0; i < addresses->len; i++)
    {
      HearthSightingAddress *address = g_ptr_array_index (addresses, i);
      g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address->address);

      if (inet == NULL)
        continue;
      if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
        return g_strdup (address->address);
      if (ipv6 == NULL && !g_inet_address_get_is_link_local (inet))
        ipv6 = address->address;
    }
  return g_strdup (ipv6);
}

static void
sighting_changed (HearthHub *self, HearthSighting *sighting)
{
  g_autofree char *host = NULL;
  g_autoptr (GError) error = NULL;

  if (hearth_sighting_get_is_stale (sighting) || hearth_sighting_get_port (sighting) == 0)
    return;
  host = pick_address (sighting);
  if (host == NULL)
    return;
  if (hearth_hub_note_address (self, hearth_sighting_get_device_id (sighting), host,
                               hearth_sighting_get_port (sighting),
                               hearth_sighting_get_fingerprint_hint (sighting), &error)
      == NULL)
    g_debug ("Ignoring a sighting: %s", error->message);
}

static void
sighting_addresses_changed_cb (HearthSighting *sighting, gpointer user_data)
{
  sighting_changed (HEARTH_HUB (user_data), sighting);
}

static void
sighting_notify_cb (HearthSighting *sighting, GParamSpec *pspec, gpointer user_data)
{
  /* last-seen changes with every answer; only a change of where to connect matters. */
  if (g_strcmp0 (pspec->name, "port") == 0 || g_strcmp0 (pspec->name, "is-stale") == 0)
    sighting_changed (HEARTH_HUB (user_data), sighting);
}

static void
discovery_items_changed_cb (GListModel *model, guint position, guint removed, guint added,
                            gpointer user_data)
{
  HearthHub *self = user_data;
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HearthSighting) sighting = g_list_model_get_item (model, i);
      const char *device_id = hearth_sighting_get_device_id (sighting);

      g_hash_table_add (present, (gpointer)device_id);
      if (g_hash_table_lookup (self->watched_sightings, device_id) == sighting)
        continue;
      g_hash_table_replace (self->watched_sightings, g_strdup (device_id), g_object_ref (sighting));
      g_signal_connect_object (sighting, "addresses-changed",
                               G_CALLBACK (sighting_addresses_changed_cb), self, 0);
      g_signal_connect_object (sighting, "notify", G_CALLBACK (sighting_notify_cb), self, 0);
      sighting_changed (self, sighting);
    }

  g_hash_table_iter_init (&iter, self->watched_sightings);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (present, key))
      {
        g_signal_handlers_disconnect_by_data (value, self);
        g_hash_table_iter_remove (&iter);
      }
}

/* ---------------------------------------------------------------------------------------- */
/* Key rotation */

typedef struct
{
  HearthHub *self;
  char *device_id;
  char *host;
  guint16 port;
  char *pinned_fingerprint;
  gboolean added; /* POST /controllers succeeded (or was not needed) */
  SoupSession *session;
} RotationAttempt;

static void
rotation_attempt_free (RotationAttempt *attempt)
{
  g_clear_object (&attempt->self);
  g_free (attempt->device_id);
  g_free (attempt->host);
  g_free (attempt->pinned_fingerprint);
  /* Close the connection now: a device has only a few connection slots (4 for the simulator). */
  if (attempt->session != NULL)
    soup_session_abort (attempt->session);
  g_clear_object (&attempt->session);
  g_free (attempt);
}

static gboolean
rotation_accept_certificate_cb (SoupMessage *msg, GTlsCertificate *certificate,
                                GTlsCertificateFlags errors, gpointer user_data)
{
  RotationAttempt *attempt = user_data;
  g_autofree char *fingerprint = hearth_fingerprint_from_tls_certificate (certificate, NULL);

  /* The same rule as every other connection to a device: only the pinned key. */
  return fingerprint != NULL && g_strcmp0 (fingerprint, attempt->pinned_fingerprint) == 0;
}

static void
rotation_finish_device (RotationAttempt *attempt, HearthRotationStatus status, const char *message)
{
  HearthHub *self = attempt->self;
  HearthRotationEntry *entry;

  g_hash_table_remove (self->rotation_in_flight, attempt->device_id);
  if (self->rotation == NULL || self->stopped)
    {
      rotation_attempt_free (attempt);
      return;
    }
  entry = g_new0 (HearthRotationEntry, 1);
  entry->device_id = g_strdup (attempt->device_id);
  entry->status = status;
  entry->message = g_strdup (message);
  g_hash_table_replace (self->rotation, g_strdup (attempt->device_id), entry);

  if (status == HEARTH_ROTATION_DONE)
    {
      HearthDeviceProxy *proxy
          = hearth_device_registry_get_proxy (self->registry, attempt->device_id);

      /* The proxy's connection and subscription were made with the old key, which the device
       * no longer accepts: start again with the new one. */
      if (proxy != NULL)
        hearth_device_proxy_reconnect (proxy);
    }
  rotation_attempt_free (attempt);
  if (self->rotation_attempts_left > 0)
    self->rotation_attempts_left--;
  rotation_check_finished (self);
}

static void rotation_send (RotationAttempt *attempt, const char *method);

static void
rotation_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RotationAttempt *attempt = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body
      = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  gboolean is_post = g_strcmp0 (soup_message_get_method (msg), "POST") == 0;
  guint status;

  if (body == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Cannot reach the device at %s:%u: %s",
                                                  attempt->host, attempt->port, error->message);

      rotation_finish_device (attempt, HEARTH_ROTATION_UNREACHABLE, message);
      return;
    }

  status = soup_message_get_status (msg);
  if (is_post)
    {
      if (status == 200 || status == 201)
        {
          attempt->added = TRUE;
          rotation_send (attempt, "DELETE");
        }
      else if (status == 403)
        /* The old key is not a controller any more: an earlier attempt may have finished the
         * job, which the new key can confirm. */
        rotation_send (attempt, "DELETE");
      else
        {
          g_autofree char *message = g_strdup_printf (
              "The device answered %u to adding the new key%s", status,
              status == 503 ? " (its controller list is full: remove a controller)" : "");

          rotation_finish_device (attempt, HEARTH_ROTATION_FAILED, message);
        }
      return;
    }

  if (status == 204 || status == 404)
    rotation_finish_device (attempt, HEARTH_ROTATION_DONE, NULL);
  else if (status == 403)
    rotation_finish_device (attempt, HEARTH_ROTATION_REFUSED,
                            attempt->added
                                ? "The device accepted the new key but then refused it"
                                : "The device lists neither the old nor the new hub key: add the "
                                  "hub's key on the device again (iotscp-device "
                                  "--allow-controller) or pair it again");
  else
    {
      g_autofree char *message
          = g_strdup_printf ("The device answered %u to removing the old key", status);

      rotation_finish_device (attempt, HEARTH_ROTATION_FAILED, message);
    }
}

/* POST /controllers with the previous key; DELETE /controllers/{previous} with the new key.
 * Each request gets its own session: a session reuses its connections, and a connection keeps
 * the client certificate of its handshake. */
static void
rotation_send (RotationAttempt *attempt, const char *method)
{
  HearthHub *self = attempt->self;
  const char *old_fingerprint = hearth_hub_identity_get_previous_fingerprint (self->identity);
  gboolean is_post = strcmp (method, "POST") == 0;
  g_autofree char *path
      = is_post ? g_strdup ("/controllers") : g_strconcat ("/controllers/", old_fingerprint, NULL);
  g_autoptr (GUri) uri = g_uri_build (G_URI_FLAGS_ENCODED, "https", NULL, attempt->host,
                                      attempt->port, path, NULL, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new_from_uri (method, uri);

  if (attempt->session != NULL)
    soup_session_abort (attempt->session);
  g_clear_object (&attempt->session);
  attempt->session = soup_session_new_with_options ("timeout", ROTATION_REQUEST_TIMEOUT_S,
                                                    "tls-database", NULL, NULL);
  soup_message_set_tls_client_certificate (
      msg, is_post ? hearth_hub_identity_get_previous_certificate (self->identity)
                   : hearth_hub_identity_get_certificate (self->identity));
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (rotation_accept_certificate_cb),
                    attempt);
  if (is_post)
    {
      g_autofree char *body = g_strdup_printf ("{\"fp\":\"%s\",\"name\":\"%s\"}",
                                               hearth_hub_identity_get_fingerprint (self->identity),
                                               ROTATION_CONTROLLER_NAME);
      gsize length = strlen (body);

      soup_message_set_request_body_from_bytes (msg, "application/json",
                                                g_bytes_new_take (g_steal_pointer (&body), length));
    }
  soup_session_send_and_read_async (attempt->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    rotation_sent_cb, attempt);
}

static void
rotate_device (HearthHub *self, const char *device_id)
{
  g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (self->trust_store, device_id);
  KnownAddress *known = g_hash_table_lookup (self->addresses, device_id);
  HearthRotationEntry *entry = g_hash_table_lookup (self->rotation, device_id);
  RotationAttempt *attempt;

  if (g_hash_table_contains (self->rotation_in_flight, device_id)
      || (entry != NULL && entry->status == HEARTH_ROTATION_DONE))
    return;
  if (pin == NULL)
    {
      g_hash_table_remove (self->rotation, device_id);
      rotation_check_finished (self);
      return;
    }
  if (known == NULL)
    {
      HearthRotationEntry *unreachable = g_new0 (HearthRotationEntry, 1);

      unreachable->device_id = g_strdup (device_id);
      unreachable->status = HEARTH_ROTATION_UNREACHABLE;
      unreachable->message = g_strdup ("The device's address is not known yet");
      g_hash_table_replace (self->rotation, g_strdup (device_id), unreachable);
      if (self->rotation_attempts_left > 0)
        self->rotation_attempts_left--;
      rotation_check_finished (self);
      return;
    }

  attempt = g_new0 (RotationAttempt, 1);
  attempt->self = g_object_ref (self);
  attempt->device_id = g_strdup (device_id);
  attempt->host = g_strdup (known->host);
  attempt->port = known->port;
  attempt->pinned_fingerprint = g_strdup (pin->fingerprint);
  g_hash_table_add (self->rotation_in_flight, g_strdup (device_id));
  rotation_send (attempt, "POST");
}

static void
rotation_answer_waiters (HearthHub *self)
{
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&self->rotation_waiters);

  self->rotation_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      g_task_return_pointer (task, hearth_hub_dup_rotation_entries (self),
                             (GDestroyNotify)g_ptr_array_unref);
    }
}

/* Ends the rotation when every pinned device is done, and answers callers once every device
 * had its first attempt. */
static void
rotation_check_finished (HearthHub *self)
{
  g_autoptr (GPtrArray) pins = NULL;
  gboolean all_done = TRUE;

  if (self->rotation == NULL)
    return;

  pins = hearth_trust_store_list_pins (self->trust_store);
  for (guint i = 0; i < pins->len; i++)
    {
      HearthTrustPin *pin = g_ptr_array_index (pins, i);
      HearthRotationEntry *entry = g_hash_table_lookup (self->rotation, pin->device_id);

      if (entry == NULL || entry->status != HEARTH_ROTATION_DONE)
        all_done = FALSE;
    }

  if (all_done && g_hash_table_size (self->rotation_in_flight) == 0)
    {
      g_autoptr (GError) error = NULL;

      if (!hearth_hub_identity_forget_previous (self->identity, &error))
        {
          /* Keep the previous key (and the retries) until it can be forgotten. */
          g_debug ("Could not end the key rotation: %s", error->message);
          return;
        }
      g_clear_handle_id (&self->rotation_retry_source, g_source_remove);
      rotation_answer_waiters (self);
      g_clear_pointer (&self->rotation, g_hash_table_unref);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_ROTATING]);
      return;
    }

  if (self->rotation_attempts_left == 0 && g_hash_table_size (self->rotation_in_flight) == 0)
    rotation_answer_waiters (self);
}

static gboolean
rotation_retry_cb (gpointer user_data)
{
  HearthHub *self = user_data;
  g_autoptr (GPtrArray) pins = hearth_trust_store_list_pins (self->trust_store);

  for (guint i = 0; i < pins->len; i++)
    rotate_device (self, ((HearthTrustPin *)g_ptr_array_index (pins, i))->device_id);
  rotation_check_finished (self);
  return G_SOURCE_CONTINUE;
}

/* Starts (or, after a restart during a rotation, resumes) a rotation: the previous key is kept
 * by the identity, so every pinned device is tried again; the steps are idempotent. */
static void
rotation_begin (HearthHub *self)
{
  g_autoptr (GPtrArray) pins = hearth_trust_store_list_pins (self->trust_store);

  if (self->rotation == NULL)
    {
      self->rotation = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)hearth_rotation_entry_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_ROTATING]);
    }
  self->rotation_attempts_left = pins->len;
  if (self->rotation_retry_source == 0)
    self->rotation_retry_source = g_timeout_add_seconds (ROTATION_RETRY_S, rotation_retry_cb, self);
  for (guint i = 0; i < pins->len; i++)
    rotate_device (self, ((HearthTrustPin *)g_ptr_array_index (pins, i))->device_id);
  rotation_check_finished (self);
}

/* ---------------------------------------------------------------------------------------- */
/* GObject */

static void
hearth_hub_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthHub *self = HEARTH_HUB (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_value_set_string (value, self->data_dir);
        break;
      case PROP_PORT:
        g_value_set_uint (value, hearth_hub_get_port (self));
        break;
      case PROP_DISCOVERY_ENABLED:
        g_value_set_boolean (value, self->discovery_enabled);
        break;
      case PROP_HEARTBEAT:
        g_value_set_uint (value, self->heartbeat);
        break;
      case PROP_IS_ROTATING:
        g_value_set_boolean (value, self->rotation != NULL);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_hub_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  HearthHub *self = HEARTH_HUB (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        self->data_dir = g_value_dup_string (value);
        break;
      case PROP_PORT:
        self->requested_port = (guint16)g_value_get_uint (value);
        break;
      case PROP_DISCOVERY_ENABLED:
        self->discovery_enabled = g_value_get_boolean (value);
        break;
      case PROP_HEARTBEAT:
        self->heartbeat = g_value_get_uint (value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_hub_dispose (GObject *object)
{
  HearthHub *self = HEARTH_HUB (object);

  hearth_hub_stop (self);
  g_clear_pointer (&self->watched_sightings, g_hash_table_unref);
  g_clear_object (&self->discovery);
  g_clear_object (&self->registry);
  g_clear_object (&self->event_server);
  g_clear_object (&self->bus);
  g_clear_object (&self->history);
  g_clear_object (&self->trust_store);
  g_clear_object (&self->identity);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rotation, g_hash_table_unref);
  g_clear_pointer (&self->rotation_waiters, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_hub_parent_class)->dispose (object);
}

static void
hearth_hub_finalize (GObject *object)
{
  HearthHub *self = HEARTH_HUB (object);

  g_free (self->data_dir);
  g_free (self->discovery_problem);
  g_hash_table_unref (self->addresses);
  g_hash_table_unref (self->rotation_in_flight);
  G_OBJECT_CLASS (hearth_hub_parent_class)->finalize (object);
}

static void
hearth_hub_class_init (HearthHubClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_hub_get_property;
  object_class->set_property = hearth_hub_set_property;
  object_class->dispose = hearth_hub_dispose;
  object_class->finalize = hearth_hub_finalize;

  properties[PROP_DATA_DIR] = g_param_spec_string ("data-dir", NULL, NULL, NULL, construct);
  /* Before init: the port asked for (0 picks a free one); after: the port listened on. */
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535,
                                             HEARTH_EVENT_SERVER_DEFAULT_PORT, construct);
  properties[PROP_DISCOVERY_ENABLED]
      = g_param_spec_boolean ("discovery-enabled", NULL, NULL, TRUE, construct);
  /* The heartbeat interval asked of devices, in seconds: a device that misses 2.5 intervals is
   * offline (docs/protocol.md §7.6). Shorter finds failures sooner, at more traffic. */
  properties[PROP_HEARTBEAT] = g_param_spec_uint ("heartbeat", NULL, NULL, 1, 60, 15, construct);
  properties[PROP_IS_ROTATING] = g_param_spec_boolean ("is-rotating", NULL, NULL, FALSE,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_hub_init (HearthHub *self)
{
  self->requested_port = HEARTH_EVENT_SERVER_DEFAULT_PORT;
  self->discovery_enabled = TRUE;
  self->heartbeat = 15;
  self->cancellable = g_cancellable_new ();
  self->watched_sightings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->addresses
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)known_address_free);
  self->rotation_in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rotation_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

static gboolean
hearth_hub_initable_init_impl (GInitable *initable, GCancellable *cancellable, GError **error)
{
  HearthHub *self = HEARTH_HUB (initable);
  g_autoptr (GError) discovery_error = NULL;

  if (self->data_dir == NULL)
    self->data_dir = hearth_hub_dup_default_data_dir ();

  /* No connection of the hub is checked against certificate authorities (every key is
   * pinned); without the system store each TLS connection costs less CPU and memory. */
  hearth_device_proxy_use_pinned_keys_only ();

  /* Each of these makes the data directory (0700) if it is missing, and refuses a damaged or
   * unsafe file with an error that names it. */
  self->identity = hearth_hub_identity_new (self->data_dir, cancellable, error);
  if (self->identity == NULL)
    return FALSE;
  self->trust_store = hearth_trust_store_new (self->data_dir, cancellable, error);
  if (self->trust_store == NULL)
    return FALSE;
  self->history = hearth_history_new (self->data_dir, cancellable, error);
  if (self->history == NULL)
    return FALSE;

  self->bus = hearth_event_bus_new ();
  hearth_event_bus_attach_history (self->bus, self->history);

  self->event_server = hearth_event_server_new (self->identity);
  if (!hearth_event_server_listen (self->event_server, NULL, self->requested_port, error))
    return FALSE;

  self->registry = hearth_device_registry_new (self->identity, self->trust_store,
                                               self->event_server, self->bus);
  hearth_device_registry_set_heartbeat (self->registry, self->heartbeat);
  load_addresses (self);

  if (self->discovery_enabled)
    {
      self->discovery = hearth_discovery_new ();
      g_signal_connect_object (self->discovery, "items-changed",
                               G_CALLBACK (discovery_items_changed_cb), self, 0);
      /* Without discovery the hub still works with addresses given by hand and the saved
       * ones, so a failure to start it is reported in the status rather than fatal. */
      if (!hearth_discovery_start (self->discovery, &discovery_error))
        self->discovery_problem = g_strdup (discovery_error->message);
    }
  else
    self->discovery_problem = g_strdup ("Discovery is turned off");

  /* A rotation that was under way when the hub stopped goes on. */
  if (hearth_hub_identity_get_previous_fingerprint (self->identity) != NULL)
    rotation_begin (self);
  return TRUE;
}

static void
hearth_hub_initable_init (GInitableIface *iface)
{
  iface->init = hearth_hub_initable_init_impl;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API */

/**
 * hearth_hub_dup_default_data_dir:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/hearth`
 */
char *
hearth_hub_dup_default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "hearth", NULL);
}

/**
 * hearth_hub_new:
 * @data_dir: (nullable): the data directory; %NULL for the default
 * @port: the event server's port; 0 picks a free one
 * @discovery_enabled: whether to browse mDNS and send multicast probes
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the hub's identity, trust store and history, listens for events and starts discovery.
 *
 * Returns: (transfer full): the running hub, or %NULL with an error that names the file or
 *   port at fault
 */
HearthHub *
hearth_hub_new (const char *data_dir, guint16 port, gboolean discovery_enabled,
                GCancellable *cancellable, GError **error)
{
  return g_initable_new (HEARTH_TYPE_HUB, cancellable, error, "data-dir", data_dir, "port",
                         (guint)port, "discovery-enabled", discovery_enabled, NULL);
}

const char *
hearth_hub_get_data_dir (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->data_dir;
}

guint16
hearth_hub_get_port (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), 0);
  return self->event_server != NULL ? hearth_event_server_get_port (self->event_server)
                                    : self->requested_port;
}

HearthHubIdentity *
hearth_hub_get_identity (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->identity;
}

HearthTrustStore *
hearth_hub_get_trust_store (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->trust_store;
}

HearthHistory *
hearth_hub_get_history (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->history;
}

HearthEventBus *
hearth_hub_get_bus (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->bus;
}

HearthEventServer *
hearth_hub_get_event_server (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->event_server;
}

HearthDeviceRegistry *
hearth_hub_get_registry (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->registry;
}

/**
 * hearth_hub_get_discovery:
 *
 * Returns: (transfer none) (nullable): discovery, or %NULL when it is turned off
 */
HearthDiscovery *
hearth_hub_get_discovery (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->discovery;
}

/**
 * hearth_hub_get_discovery_problem:
 *
 * Returns: (nullable): why discovery is not running, for people
 */
const char *
hearth_hub_get_discovery_problem (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);
  return self->discovery_problem;
}

/**
 * hearth_hub_note_address:
 *
 * Tells the hub where a device can be reached (see hearth_device_registry_note_address()) and
 * remembers it for pinned devices. A device that a key rotation has not reached yet is tried
 * again at once.
 *
 * Returns: (transfer none): the device, or %NULL with %HEARTH_ERROR_INVALID_ARGUMENT
 */
HearthDevice *
hearth_hub_note_address (HearthHub *self, const char *device_id, const char *host, guint16 port,
                         const char *fingerprint_hint, GError **error)
{
  HearthDevice *device;

  g_return_val_if_fail (HEARTH_IS_HUB (self), NULL);

  device = hearth_device_registry_note_address (self->registry, device_id, host, port,
                                                fingerprint_hint, error);
  if (device == NULL)
    return NULL;
  remember_address (self, device_id, host, port);
  if (self->rotation != NULL)
    rotate_device (self, device_id);
  return device;
}

static void
add_address_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HearthHub *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthSighting) sighting
      = hearth_discovery_add_address_finish (HEARTH_DISCOVERY (source), result, &error);
  g_autofree char *host = NULL;

  if (sighting == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The sighting also reaches the registry through the discovery model; noting it here makes
   * the device listed before the answer goes out. */
  host = pick_address (sighting);
  if (host != NULL
      && hearth_hub_note_address (self, hearth_sighting_get_device_id (sighting), host,
                                  hearth_sighting_get_port (sighting),
                                  hearth_sighting_get_fingerprint_hint (sighting), &error)
             == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Someone gave the address by hand because the device came back or moved: whatever the
   * proxy believes about its connection, try again now. */
  if (host != NULL)
    {
      HearthDeviceProxy *proxy = hearth_device_registry_get_proxy (
          self->registry, hearth_sighting_get_device_id (sighting));

      if (proxy != NULL)
        hearth_device_proxy_reconnect (proxy);
    }
  g_task_return_pointer (task, g_steal_pointer (&sighting), g_object_unref);
}

/**
 * hearth_hub_add_address_async:
 * @host_and_port: `HOST:PORT` (IPv6 in brackets)
 *
 * Reads the description of a device at an address given by hand and lists the device.
 */
void
hearth_hub_add_address_async (HearthHub *self, const char *host_and_port, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hearth_hub_add_address_async);
  if (self->discovery == NULL)
    {
      /* add-address needs discovery's description reader, not its multicast: a hub started
       * without discovery makes a discovery object just for this. */
      self->discovery = hearth_discovery_new ();
      g_signal_connect_object (self->discovery, "items-changed",
                               G_CALLBACK (discovery_items_changed_cb), self, 0);
    }
  hearth_discovery_add_address_async (self->discovery, host_and_port, cancellable, add_address_cb,
                                      g_steal_pointer (&task));
}

/**
 * hearth_hub_add_address_finish:
 *
 * Returns: (transfer full): the sighting made from the device's description
 */
HearthSighting *
hearth_hub_add_address_finish (HearthHub *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * hearth_hub_adopt:
 * @device_id: the device id
 * @fingerprint: the key fingerprint the user read off the device (any case, spaces allowed)
 *
 * Pins a device without pairing (until pairing exists): the device must already list the
 * hub's key as a controller. The proxy connects as soon as the address is known.
 *
 * Returns: %TRUE when pinned
 */
gboolean
hearth_hub_adopt (HearthHub *self, const char *device_id, const char *fingerprint, GError **error)
{
  g_autoptr (GString) normalized = g_string_new (NULL);
  HearthDevice *device;
  const char *name;

  g_return_val_if_fail (HEARTH_IS_HUB (self), FALSE);

  /* People copy fingerprints in groups of four and in capitals (docs/protocol.md §1.3). */
  for (const char *p = fingerprint; p != NULL && *p != '\0'; p++)
    if (*p != ' ' && *p != ':')
      g_string_append_c (normalized, g_ascii_tolower (*p));
  if (!hearth_trust_device_id_is_valid (device_id))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a device id (1–64 characters of a–z, 0–9 and -)", device_id);
      return FALSE;
    }
  if (!hearth_fingerprint_is_valid (normalized->str))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a key fingerprint (64 hexadecimal digits, as `iotscp-device "
                   "get-cert` prints it)",
                   fingerprint);
      return FALSE;
    }

  device = hearth_device_registry_lookup (self->registry, device_id);
  name = device != NULL && hearth_device_get_name (device) != NULL ? hearth_device_get_name (device)
                                                                   : device_id;
  if (!hearth_trust_store_pin (self->trust_store, device_id, normalized->str, name, error))
    return FALSE;
  schedule_save_addresses (self);
  return TRUE;
}

/**
 * hearth_hub_approve:
 *
 * Trusts the new key of a device whose certificate changed: the key recorded in its pending
 * change, which is what the user was shown.
 *
 * Returns: %TRUE when approved; %G_IO_ERROR_NOT_FOUND when nothing is pending
 */
gboolean
hearth_hub_approve (HearthHub *self, const char *device_id, GError **error)
{
  g_autoptr (HearthTrustPendingChange) pending = NULL;

  g_return_val_if_fail (HEARTH_IS_HUB (self), FALSE);

  pending = hearth_trust_store_get_pending (self->trust_store, device_id);
  if (pending == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "Device “%s” has no pending certificate change", device_id);
      return FALSE;
    }
  return hearth_trust_store_approve (self->trust_store, device_id, pending->new_fingerprint, error);
}

/**
 * hearth_hub_rotate_key_async:
 *
 * Makes a new hub key and moves every paired device to it (see the top of this file). If a
 * rotation is already under way, no new key is made: the devices not done yet are tried again.
 * Completes when every device had one attempt.
 */
void
hearth_hub_rotate_key_async (HearthHub *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;

  g_task_set_source_tag (task, hearth_hub_rotate_key_async);
  if (self->rotation == NULL)
    {
      if (!hearth_hub_identity_regenerate (self->identity, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_ptr_array_add (self->rotation_waiters, g_steal_pointer (&task));
  rotation_begin (self);
}

/**
 * hearth_hub_rotate_key_finish:
 *
 * Returns: (transfer full) (element-type HearthRotationEntry): one entry per paired device
 */
GPtrArray *
hearth_hub_rotate_key_finish (HearthHub *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hearth_hub_get_is_rotating (HearthHub *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB (self), FALSE);
  return self->rotation != NULL;
}

/**
 * hearth_hub_dup_rotation_entries:
 *
 * Returns: (transfer full) (element-type HearthRotationEntry): the state of the rotation
 *   under way per device, sorted by device id (empty when no rotation runs)
 */
GPtrArray *
hearth_hub_dup_rotation_entries (HearthHub *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_rotation_entry_free);
  g_autoptr (GPtrArray) pins = NULL;

  g_return_val_if_fail (HEARTH_IS_HUB (self), entries);
  if (self->rotation == NULL)
    return entries;

  pins = hearth_trust_store_list_pins (self->trust_store);
  for (guint i = 0; i < pins->len; i++)
    {
      HearthTrustPin *pin = g_ptr_array_index (pins, i);
      HearthRotationEntry *entry = g_hash_table_lookup (self->rotation, pin->device_id);

      if (entry != NULL)
        g_ptr_array_add (entries, rotation_entry_copy (entry));
    }
  return entries;
}

/**
 * hearth_hub_stop:
 *
 * Stops talking to devices and writes what is pending (addresses, trust counters, history).
 * Called by dispose; safe to call more than once.
 */
void
hearth_hub_stop (HearthHub *self)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (HEARTH_IS_HUB (self));
  if (self->stopped)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->rotation_retry_source, g_source_remove);
  if (self->save_addresses_source != 0)
    {
      g_clear_handle_id (&self->save_addresses_source, g_source_remove);
      save_addresses_cb (self);
    }
  self->stopped = TRUE;

  if (self->registry != NULL)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->registry)); i++)
      {
        g_autoptr (HearthDevice) device = g_list_model_get_item (G_LIST_MODEL (self->registry), i);
        HearthDeviceProxy *proxy
            = hearth_device_registry_get_proxy (self->registry, hearth_device_get_id (device));

        if (proxy != NULL)
          hearth_device_proxy_stop (proxy);
      }
  if (self->trust_store != NULL && !hearth_trust_store_flush (self->trust_store, &error))
    g_debug ("Could not write the trust store counters: %s", error->message);
  g_clear_error (&error);
  if (self->history != NULL && !hearth_history_flush (self->history, &error))
    g_debug ("Could not write the history: %s", error->message);
}
