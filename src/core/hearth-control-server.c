/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-control-server"

#include "hearth-control-server.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-error.h"
#include "hearth-soup-server-leak.h"
#include "hearth-event.h"
#include "hearth-fingerprint.h"
#include "hearth-version.h"

/* HearthControlServer is the hub's local API for hearthctl and scripts: JSON over HTTP/1.1 on
 * a UNIX socket (docs/cli.md lists the endpoints).
 *
 * Where: `control.sock` in the data directory. The directory is 0700 and names the hub, so
 * `hearthctl --data-dir DIR` finds the hub that uses DIR without further configuration, two
 * hubs with different data directories never meet, and a second hub on the same directory is
 * refused (the socket answers). $XDG_RUNTIME_DIR was the alternative; it is missing for system
 * services and would need a name derived from the data directory anyway.
 *
 * Who: the socket is created 0600 (umask 077 around bind()) inside the 0700 directory, and
 * every connection's peer uid (SO_PEERCRED) must be the hub's own uid, else every request on
 * it is answered 403: the filesystem check alone would trust a socket whose mode someone
 * loosened.
 *
 * Limits: a body over HEARTH_CONTROL_MAX_BODY_BYTES closes the connection before it is read
 * (libsoup reads a body before a handler can answer); a request that is not read completely
 * within HEARTH_CONTROL_REQUEST_TIMEOUT_S has its connection closed; JSON bodies must be an
 * object within depth 16 and 4,096 tokens, and every member is checked for its type before
 * the hub sees it. */

#define JSON_MAX_DEPTH 16
#define JSON_MAX_TOKENS 4096
#define EVENTS_DEFAULT_LIMIT 50
#define EVENTS_MAX_LIMIT 10000
/* A follower that does not read its stream is dropped once this much is queued for it. */
#define FOLLOW_MAX_QUEUED_BYTES (4 * 1024 * 1024)

struct _HearthControlServer
{
  GObject parent_instance;

  /* Owned */
  HearthHub *hub;
  SoupServer *server;
  char *path;
  GPtrArray *followers; /* Follower */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (HearthControlServer, hearth_control_server, G_TYPE_OBJECT)

typedef struct
{
  HearthControlServer *self; /* borrowed: followers end before the server */
  SoupServerMessage *msg;
  gulong event_handler;
  gsize queued;
} Follower;

static void
follower_free (Follower *follower)
{
  if (follower->event_handler != 0)
    g_signal_handler_disconnect (hearth_hub_get_bus (follower->self->hub), follower->event_handler);
  g_signal_handlers_disconnect_by_data (follower->msg, follower);
  g_clear_object (&follower->msg);
  g_free (follower);
}

/* ---------------------------------------------------------------------------------------- */
/* Answers */

static void
respond_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize length = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

static void
respond_builder (SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  respond_json (msg, status, root);
}

/* Errors are {"error": {"code": "...", "message": "..."}}; `code` is what hearthctl acts on
 * (its exit status), `message` says what went wrong and what to do. */
static void respond_error (SoupServerMessage *msg, guint status, const char *code,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
respond_error (SoupServerMessage *msg, guint status, const char *code, const char *format, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  respond_builder (msg, status, builder);
}

static void
respond_gerror (SoupServerMessage *msg, const GError *error)
{
  guint status = 500;
  const char *code = "failed";

  if (error->domain == HEARTH_DEVICE_ERROR)
    switch ((HearthDeviceError)error->code)
      {
        case HEARTH_DEVICE_ERROR_REFUSED:
          status = 409, code = "device-refused";
          break;
        case HEARTH_DEVICE_ERROR_INVALID_VALUE:
          status = 422, code = "invalid-value";
          break;
        case HEARTH_DEVICE_ERROR_FORBIDDEN:
          status = 409, code = "device-forbidden";
          break;
        case HEARTH_DEVICE_ERROR_NOT_FOUND:
          status = 404, code = "not-found";
          break;
        case HEARTH_DEVICE_ERROR_READ_ONLY:
          status = 409, code = "read-only";
          break;
        case HEARTH_DEVICE_ERROR_BUSY:
          status = 503, code = "device-busy";
          break;
        case HEARTH_DEVICE_ERROR_TIMEOUT:
          status = 504, code = "device-timeout";
          break;
        case HEARTH_DEVICE_ERROR_TRANSPORT:
          status = 502, code = "device-unreachable";
          break;
        case HEARTH_DEVICE_ERROR_NOT_TRUSTED:
          status = 409, code = "not-trusted";
          break;
        case HEARTH_DEVICE_ERROR_PROTOCOL:
          status = 502, code = "device-protocol";
          break;
        case HEARTH_DEVICE_ERROR_UNUSABLE:
        default:
          status = 409, code = "device-unusable";
          break;
      }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    status = 404, code = "not-found";
  else if (g_error_matches (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    status = 400, code = "bad-request";
  else if (g_error_matches (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED))
    status = 409, code = "not-trusted";
  else if (error->domain == HEARTH_ERROR || error->domain == G_IO_ERROR
           || error->domain == G_RESOLVER_ERROR || error->domain == G_TLS_ERROR)
    status = 502, code = "failed";

  respond_error (msg, status, code, "%s", error->message);
}

/* ---------------------------------------------------------------------------------------- */
/* Requests: validation */

/* The request body as a JSON object, or NULL after answering 400. An empty body is an empty
 * object. */
static JsonObject *
read_body_object (SoupServerMessage *msg, JsonNode **root_out)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonNode *root;

  if (length == 0)
    {
      *root_out = json_node_init_object (json_node_alloc (), json_object_new ());
      return json_node_get_object (*root_out);
    }
  if (length > HEARTH_CONTROL_MAX_BODY_BYTES)
    {
      respond_error (msg, 413, "too-large", "The request body is larger than %d bytes",
                     HEARTH_CONTROL_MAX_BODY_BYTES);
      return NULL;
    }
  if (!g_utf8_validate (data, (gssize)length, NULL) || memchr (data, '\0', length) != NULL)
    {
      respond_error (msg, 400, "bad-request", "The request body is not UTF-8 text");
      return NULL;
    }
  if (!hearth_json_check_limits (data, length, JSON_MAX_DEPTH, JSON_MAX_TOKENS, &error)
      || !json_parser_load_from_data (parser, data, (gssize)length, &error))
    {
      respond_error (msg, 400, "bad-request", "The request body is not valid JSON: %s",
                     error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      respond_error (msg, 400, "bad-request", "The request body must be a JSON object");
      return NULL;
    }
  *root_out = json_node_ref (root);
  return json_node_get_object (root);
}

/* A string member, or NULL after answering 400 (when @required or when it has another type). */
static const char *
get_string_member (SoupServerMessage *msg, JsonObject *object, const char *name, gboolean required,
                   gboolean *failed)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    {
      if (required)
        {
          respond_error (msg, 400, "bad-request", "The request needs the member “%s”", name);
          *failed = TRUE;
        }
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      respond_error (msg, 400, "bad-request", "“%s” must be a string", name);
      *failed = TRUE;
      return NULL;
    }
  return json_node_get_string (node);
}

/* ---------------------------------------------------------------------------------------- */
/* JSON views of hub objects */

static void
add_string_or_null (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_schema_facts (JsonBuilder *builder, const HearthSchema *schema)
{
  add_string_or_null (builder, "type", schema->type_name);
  add_string_or_null (builder, "title", schema->title);
  add_string_or_null (builder, "unit", schema->unit);
  if (schema->has_minimum)
    {
      json_builder_set_member_name (builder, "minimum");
      json_builder_add_double_value (builder, schema->minimum);
    }
  if (schema->has_maximum)
    {
      json_builder_set_member_name (builder, "maximum");
      json_builder_add_double_value (builder, schema->maximum);
    }
  if (schema->enum_values != NULL)
    {
      g_autoptr (JsonNode) values = json_node_new (JSON_NODE_ARRAY);

      json_node_set_array (values, schema->enum_values);
      json_builder_set_member_name (builder, "enum");
      json_builder_add_value (builder, g_steal_pointer (&values));
    }
}

static void
add_device (HearthControlServer *self, JsonBuilder *builder, HearthDevice *device, gboolean details)
{
  HearthTrustStore *trust_store = hearth_hub_get_trust_store (self->hub);
  const char *device_id = hearth_device_get_id (device);
  g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (trust_store, device_id);
  g_autoptr (HearthTrustPendingChange) pending
      = hearth_trust_store_get_pending (trust_store, device_id);
  HearthDescription *description = hearth_device_get_description (device);
  HearthDeviceProxy *proxy
      = hearth_device_registry_get_proxy (hearth_hub_get_registry (self->hub), device_id);
  g_autofree char *address = hearth_device_dup_address (device);

  json_builder_begin_object (builder);
  add_string_or_null (builder, "id", device_id);
  add_string_or_null (builder, "name", hearth_device_get_name (device));
  /* The user's area, kept with the pin on the hub; null when none (or not paired). */
  add_string_or_null (builder, "area", pin != NULL ? pin->area : NULL);
  add_string_or_null (builder, "state",
                      hearth_device_state_to_string (hearth_device_get_state (device)));
  add_string_or_null (builder, "address", address);
  add_string_or_null (builder, "fingerprint", pin != NULL ? pin->fingerprint : NULL);
  add_string_or_null (builder, "fingerprint_hint", hearth_device_get_fingerprint_hint (device));
  add_string_or_null (builder, "problem", hearth_device_get_problem (device));
  json_builder_set_member_name (builder, "last_heard_us");
  json_builder_add_int_value (builder, hearth_device_get_last_heard (device));
  json_builder_set_member_name (builder, "heartbeat_s");
  json_builder_add_int_value (builder, hearth_device_get_heartbeat_interval (device));
  json_builder_set_member_name (builder, "resubscribes");
  json_builder_add_int_value (builder, hearth_device_get_resubscribe_count (device));
  if (pending != NULL)
    {
      json_builder_set_member_name (builder, "pending_fingerprint");
      json_builder_add_string_value (builder, pending->new_fingerprint);
    }

  if (details)
    {
      if (description != NULL)
        {
          add_string_or_null (builder, "model", hearth_description_get_model (description));
          add_string_or_null (builder, "manufacturer",
                              hearth_description_get_manufacturer (description));
          add_string_or_null (builder, "firmware", hearth_description_get_firmware (description));
        }
      if (proxy != NULL)
        {
          add_string_or_null (builder, "sid", hearth_device_proxy_get_sid (proxy));
          add_string_or_null (builder, "boot_id", hearth_device_proxy_get_boot_id (proxy));
          json_builder_set_member_name (builder, "resyncs");
          json_builder_add_int_value (builder, (gint64)hearth_device_proxy_get_n_resyncs (proxy));
          json_builder_set_member_name (builder, "lost_notifies");
          json_builder_add_int_value (builder,
                                      (gint64)hearth_device_proxy_get_n_lost_notifies (proxy));
        }

      json_builder_set_member_name (builder, "properties");
      json_builder_begin_array (builder);
      for (guint i = 0;
           description != NULL && i < hearth_description_get_n_properties (description); i++)
        {
          const HearthSchema *schema = hearth_description_get_property (description, i);
          JsonNode *value
              = proxy != NULL ? hearth_device_proxy_get_value (proxy, schema->name) : NULL;

          json_builder_begin_object (builder);
          add_string_or_null (builder, "name", schema->name);
          add_schema_facts (builder, schema);
          json_builder_set_member_name (builder, "read_only");
          json_builder_add_boolean_value (builder, schema->read_only);
          json_builder_set_member_name (builder, "value");
          if (value != NULL)
            json_builder_add_value (builder, json_node_copy (value));
          else
            json_builder_add_null_value (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "actions");
      json_builder_begin_array (builder);
      for (guint i = 0; description != NULL && i < hearth_description_get_n_actions (description);
           i++)
        {
          const HearthActionInfo *action = hearth_description_get_action (description, i);

          json_builder_begin_object (builder);
          add_string_or_null (builder, "name", action->name);
          add_string_or_null (builder, "title", action->title);
          add_string_or_null (builder, "description", action->description);
          json_builder_set_member_name (builder, "input");
          json_builder_begin_array (builder);
          for (guint f = 0; action->input != NULL && action->input->fields != NULL
                            && f < action->input->fields->len;
               f++)
            {
              const HearthSchema *field = g_ptr_array_index (action->input->fields, f);

              json_builder_begin_object (builder);
              add_string_or_null (builder, "name", field->name);
              add_schema_facts (builder, field);
              json_builder_set_member_name (builder, "required");
              json_builder_add_boolean_value (
                  builder, action->input->required != NULL
                               && g_strv_contains ((const char *const *)action->input->required,
                                                   field->name));
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "events");
      json_builder_begin_array (builder);
      for (guint i = 0; description != NULL && i < hearth_description_get_n_events (description);
           i++)
        {
          const HearthEventInfo *event = hearth_description_get_event (description, i);

          json_builder_begin_object (builder);
          add_string_or_null (builder, "name", event->name);
          add_string_or_null (builder, "title", event->title);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

static void
add_event_fields (JsonBuilder *builder, gint64 id, gint64 time_us, const char *device_id,
                  const char *kind, const char *name, JsonNode *data)
{
  json_builder_begin_object (builder);
  if (id >= 0)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, id);
    }
  json_builder_set_member_name (builder, "time_us");
  json_builder_add_int_value (builder, time_us);
  add_string_or_null (builder, "device", device_id);
  add_string_or_null (builder, "kind", kind);
  add_string_or_null (builder, "name", name != NULL && *name != '\0' ? name : NULL);
  json_builder_set_member_name (builder, "data");
  if (data != NULL)
    json_builder_add_value (builder, json_node_copy (data));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

/* ---------------------------------------------------------------------------------------- */
/* Asynchronous answers */

typedef struct
{
  HearthControlServer *self;
  SoupServerMessage *msg;
  char *name;
} Pending;

static Pending *
pending_new (HearthControlServer *self, SoupServerMessage *msg, const char *name)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = g_object_ref (self);
  pending->msg = g_object_ref (msg);
  pending->name = g_strdup (name);
  soup_server_message_pause (msg);
  return pending;
}

static void
pending_finish (Pending *pending)
{
  soup_server_message_unpause (pending->msg);
  g_object_unref (pending->msg);
  g_object_unref (pending->self);
  g_free (pending->name);
  g_free (pending);
}

static void
read_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  HearthDeviceProxy *proxy = HEARTH_DEVICE_PROXY (source);
  g_autoptr (GError) error = NULL;

  if (!hearth_device_proxy_read_properties_finish (proxy, result, &error))
    respond_gerror (pending->msg, error);
  else
    {
      JsonNode *value = hearth_device_proxy_get_value (proxy, pending->name);
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      if (value == NULL)
        respond_error (pending->msg, 404, "not-found", "Device “%s” reported no value for “%s”",
                       hearth_device_get_id (hearth_device_proxy_get_device (proxy)),
                       pending->name);
      else
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "value");
          json_builder_add_value (builder, json_node_copy (value));
          json_builder_end_object (builder);
          respond_builder (pending->msg, 200, builder);
        }
    }
  pending_finish (pending);
}

static void
write_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) value
      = hearth_device_proxy_write_property_finish (HEARTH_DEVICE_PROXY (source), result, &error);

  if (value == NULL)
    respond_gerror (pending->msg, error);
  else
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "value");
      json_builder_add_value (builder, g_steal_pointer (&value));
      json_builder_end_object (builder);
      respond_builder (pending->msg, 200, builder);
    }
  pending_finish (pending);
}

static void
call_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) output
      = hearth_device_proxy_call_action_finish (HEARTH_DEVICE_PROXY (source), result, &error);

  if (output == NULL && error != NULL)
    respond_gerror (pending->msg, error);
  else
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "output");
      if (output != NULL)
        json_builder_add_value (builder, g_steal_pointer (&output));
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      respond_builder (pending->msg, 200, builder);
    }
  pending_finish (pending);
}

static void
add_address_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthSighting) sighting
      = hearth_hub_add_address_finish (HEARTH_HUB (source), result, &error);

  if (sighting == NULL)
    respond_gerror (pending->msg, error);
  else
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string_or_null (builder, "id", hearth_sighting_get_device_id (sighting));
      add_string_or_null (builder, "name", hearth_sighting_get_name (sighting));
      add_string_or_null (builder, "fingerprint", hearth_sighting_get_fingerprint_hint (sighting));
      json_builder_end_object (builder);
      respond_builder (pending->msg, 200, builder);
    }
  pending_finish (pending);
}

static void
add_rotation_entries (JsonBuilder *builder, GPtrArray *entries)
{
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthRotationEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "id", entry->device_id);
      add_string_or_null (builder, "status", hearth_rotation_status_to_string (entry->status));
      add_string_or_null (builder, "message", entry->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
rotate_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;
  HearthHub *hub = HEARTH_HUB (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = hearth_hub_rotate_key_finish (hub, result, &error);

  if (entries == NULL)
    respond_gerror (pending->msg, error);
  else
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      HearthHubIdentity *identity = hearth_hub_get_identity (hub);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "fingerprint", hearth_hub_identity_get_fingerprint (identity));
      add_string_or_null (builder, "previous_fingerprint",
                          hearth_hub_identity_get_previous_fingerprint (identity));
      json_builder_set_member_name (builder, "complete");
      json_builder_add_boolean_value (builder, !hearth_hub_get_is_rotating (hub));
      json_builder_set_member_name (builder, "devices");
      add_rotation_entries (builder, entries);
      json_builder_end_object (builder);
      respond_builder (pending->msg, 200, builder);
    }
  pending_finish (pending);
}

/* ---------------------------------------------------------------------------------------- */
/* Endpoints */

static void
handle_status (HearthControlServer *self, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  HearthHubIdentity *identity = hearth_hub_get_identity (self->hub);
  GListModel *devices = G_LIST_MODEL (hearth_hub_get_registry (self->hub));
  HearthDiscovery *discovery = hearth_hub_get_discovery (self->hub);
  guint counts[HEARTH_DEVICE_STATE_UNUSABLE + 1] = { 0 };
  g_autoptr (GPtrArray) rotation = hearth_hub_dup_rotation_entries (self->hub);

  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (devices, i);

      counts[hearth_device_get_state (device)]++;
    }

  json_builder_begin_object (builder);
  add_string_or_null (builder, "version", hearth_get_version ());
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  add_string_or_null (builder, "data_dir", hearth_hub_get_data_dir (self->hub));
  add_string_or_null (builder, "control_socket", self->path);
  add_string_or_null (builder, "fingerprint", hearth_hub_identity_get_fingerprint (identity));
  add_string_or_null (builder, "previous_fingerprint",
                      hearth_hub_identity_get_previous_fingerprint (identity));
  json_builder_set_member_name (builder, "event_port");
  json_builder_add_int_value (builder, hearth_hub_get_port (self->hub));
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, g_list_model_get_n_items (devices));
  for (int state = 0; state <= HEARTH_DEVICE_STATE_UNUSABLE; state++)
    {
      json_builder_set_member_name (builder, hearth_device_state_to_string (state));
      json_builder_add_int_value (builder, counts[state]);
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "pending_trust");
  json_builder_add_int_value (
      builder, hearth_trust_store_get_n_pending (hearth_hub_get_trust_store (self->hub)));
  json_builder_set_member_name (builder, "events_accepted");
  json_builder_add_int_value (builder, (gint64)hearth_event_server_get_n_accepted (
                                           hearth_hub_get_event_server (self->hub)));
  json_builder_set_member_name (builder, "events_published");
  json_builder_add_int_value (
      builder, (gint64)hearth_event_bus_get_n_published (hearth_hub_get_bus (self->hub)));
  json_builder_set_member_name (builder, "history_dropped");
  json_builder_add_int_value (
      builder, (gint64)hearth_history_get_n_dropped (hearth_hub_get_history (self->hub)));
  json_builder_set_member_name (builder, "discovery");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "running");
  json_builder_add_boolean_value (builder, hearth_hub_get_discovery_problem (self->hub) == NULL);
  add_string_or_null (builder, "problem", hearth_hub_get_discovery_problem (self->hub));
  if (discovery != NULL)
    {
      json_builder_set_member_name (builder, "sightings");
      json_builder_add_int_value (builder, g_list_model_get_n_items (G_LIST_MODEL (discovery)));
      add_string_or_null (builder, "mdns_problem", hearth_discovery_get_mdns_error (discovery));
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "rotating");
  json_builder_add_boolean_value (builder, hearth_hub_get_is_rotating (self->hub));
  json_builder_set_member_name (builder, "rotation");
  add_rotation_entries (builder, rotation);
  json_builder_end_object (builder);
  respond_builder (msg, 200, builder);
}

static void
handle_devices (HearthControlServer *self, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  GListModel *devices = G_LIST_MODEL (hearth_hub_get_registry (self->hub));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (devices); i++)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (devices, i);

      add_device (self, builder, device, FALSE);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  respond_builder (msg, 200, builder);
}

static HearthDevice *
lookup_device (HearthControlServer *self, SoupServerMessage *msg, const char *device_id)
{
  HearthDevice *device
      = hearth_device_registry_lookup (hearth_hub_get_registry (self->hub), device_id);

  if (device == NULL)
    respond_error (msg, 404, "not-found",
                   "No device “%s”: see `hearthctl devices`, or add it with `hearthctl "
                   "add-address HOST:PORT`",
                   device_id);
  return device;
}

static HearthDeviceProxy *
lookup_proxy (HearthControlServer *self, SoupServerMessage *msg, const char *device_id)
{
  HearthDevice *device = lookup_device (self, msg, device_id);
  HearthDeviceProxy *proxy;

  if (device == NULL)
    return NULL;
  proxy = hearth_device_registry_get_proxy (hearth_hub_get_registry (self->hub), device_id);
  if (proxy == NULL)
    {
      g_autoptr (HearthTrustPin) pin
          = hearth_trust_store_get_pin (hearth_hub_get_trust_store (self->hub), device_id);

      if (pin == NULL)
        respond_error (msg, 409, "not-trusted",
                       "Device “%s” is not paired: adopt it with `hearthctl adopt %s "
                       "FINGERPRINT` first",
                       device_id, device_id);
      else
        respond_error (msg, 502, "device-unreachable",
                       "The address of device “%s” is not known yet: give it with `hearthctl "
                       "add-address HOST:PORT`",
                       device_id);
    }
  return proxy;
}

static void
handle_device (HearthControlServer *self, SoupServerMessage *msg, const char *method,
               char **segments, guint n_segments)
{
  const char *device_id = segments[2];
  const char *kind = n_segments >= 4 ? segments[3] : NULL;
  HearthDeviceProxy *proxy;
  HearthDevice *device;

  if (!hearth_trust_device_id_is_valid (device_id))
    {
      respond_error (msg, 400, "bad-request",
                     "“%s” is not a device id (1–64 characters of a–z, 0–9 and -)", device_id);
      return;
    }

  if (n_segments == 3 && strcmp (method, "GET") == 0)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      if ((device = lookup_device (self, msg, device_id)) == NULL)
        return;
      add_device (self, builder, device, TRUE);
      respond_builder (msg, 200, builder);
      return;
    }

  if (n_segments == 4 && strcmp (kind, "adopt") == 0 && strcmp (method, "POST") == 0)
    {
      g_autoptr (JsonNode) root = NULL;
      JsonObject *body = read_body_object (msg, &root);
      gboolean failed = FALSE;
      const char *fingerprint;
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      if (body == NULL)
        return;
      fingerprint = get_string_member (msg, body, "fingerprint", TRUE, &failed);
      if (failed)
        return;
      if (!hearth_hub_adopt (self->hub, device_id, fingerprint, &error))
        {
          respond_gerror (msg, error);
          return;
        }
      device = hearth_device_registry_lookup (hearth_hub_get_registry (self->hub), device_id);
      if (device != NULL)
        add_device (self, builder, device, FALSE);
      else
        {
          json_builder_begin_object (builder);
          add_string_or_null (builder, "id", device_id);
          json_builder_end_object (builder);
        }
      respond_builder (msg, 200, builder);
      return;
    }

  if (n_segments == 4 && strcmp (kind, "area") == 0 && strcmp (method, "PUT") == 0)
    {
      g_autoptr (JsonNode) root = NULL;
      JsonObject *body = read_body_object (msg, &root);
      JsonNode *area_node;
      const char *area = NULL;
      gboolean failed = FALSE;
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      if (body == NULL)
        return;
      /* {"area": "Kitchen"} sets it; {"area": null} or no member clears it. */
      area_node = json_object_get_member (body, "area");
      if (area_node != NULL && !JSON_NODE_HOLDS_NULL (area_node))
        {
          area = get_string_member (msg, body, "area", FALSE, &failed);
          if (failed)
            return;
        }
      if ((device = lookup_device (self, msg, device_id)) == NULL)
        return;
      if (!hearth_trust_store_set_area (hearth_hub_get_trust_store (self->hub), device_id, area,
                                        &error))
        {
          respond_gerror (msg, error);
          return;
        }
      add_device (self, builder, device, FALSE);
      respond_builder (msg, 200, builder);
      return;
    }

  if (n_segments == 5 && strcmp (kind, "properties") == 0)
    {
      const char *name = segments[4];

      if (!hearth_description_name_is_valid (name))
        {
          respond_error (msg, 400, "bad-request", "“%s” is not a property name", name);
          return;
        }
      if (strcmp (method, "GET") == 0)
        {
          if ((proxy = lookup_proxy (self, msg, device_id)) == NULL)
            return;
          /* A fresh read: a script asking for a value wants the device's, not the cache's. */
          hearth_device_proxy_read_properties_async (proxy, NULL, read_done_cb,
                                                     pending_new (self, msg, name));
          return;
        }
      if (strcmp (method, "PUT") == 0)
        {
          g_autoptr (JsonNode) root = NULL;
          JsonObject *body = read_body_object (msg, &root);

          if (body == NULL)
            return;
          if (!json_object_has_member (body, "value"))
            {
              respond_error (msg, 400, "bad-request", "The request needs the member “value”");
              return;
            }
          if ((proxy = lookup_proxy (self, msg, device_id)) == NULL)
            return;
          hearth_device_proxy_write_property_async (proxy, name,
                                                    json_object_get_member (body, "value"), NULL,
                                                    write_done_cb, pending_new (self, msg, name));
          return;
        }
    }

  if (n_segments == 5 && strcmp (kind, "actions") == 0 && strcmp (method, "POST") == 0)
    {
      const char *name = segments[4];
      g_autoptr (JsonNode) root = NULL;
      JsonObject *body;

      if (!hearth_description_name_is_valid (name))
        {
          respond_error (msg, 400, "bad-request", "“%s” is not an action name", name);
          return;
        }
      if ((body = read_body_object (msg, &root)) == NULL)
        return;
      if ((proxy = lookup_proxy (self, msg, device_id)) == NULL)
        return;
      hearth_device_proxy_call_action_async (proxy, name, json_object_get_member (body, "input"),
                                             NULL, call_done_cb, pending_new (self, msg, name));
      return;
    }

  respond_error (msg, 404, "not-found", "No endpoint %s %s", method,
                 soup_server_message_get_uri (msg) != NULL
                     ? g_uri_get_path (soup_server_message_get_uri (msg))
                     : "");
}

static void
handle_events (HearthControlServer *self, SoupServerMessage *msg, GHashTable *query)
{
  const char *limit_text = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  const char *device_id = query != NULL ? g_hash_table_lookup (query, "device") : NULL;
  guint64 limit = EVENTS_DEFAULT_LIMIT;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (limit_text != NULL
      && !g_ascii_string_to_unsigned (limit_text, 10, 1, EVENTS_MAX_LIMIT, &limit, NULL))
    {
      respond_error (msg, 400, "bad-request", "limit must be a number from 1 to %d",
                     EVENTS_MAX_LIMIT);
      return;
    }
  if (device_id != NULL && !hearth_trust_device_id_is_valid (device_id))
    {
      respond_error (msg, 400, "bad-request", "“%s” is not a device id", device_id);
      return;
    }
  events = hearth_history_query_events (hearth_hub_get_history (self->hub), device_id, NULL, 0,
                                        (guint)limit, &error);
  if (events == NULL)
    {
      respond_gerror (msg, error);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "events");
  json_builder_begin_array (builder);
  /* History answers newest first; people read logs oldest first. */
  for (guint i = events->len; i > 0; i--)
    {
      HearthHistoryEvent *event = g_ptr_array_index (events, i - 1);
      g_autoptr (JsonNode) data = NULL;

      if (event->data != NULL)
        data = json_from_string (event->data, NULL);
      add_event_fields (builder, event->id, event->time_us, event->device_id, event->kind,
                        event->name, data);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  respond_builder (msg, 200, builder);
}

static void
follower_event_cb (HearthEventBus *bus, HearthEvent *event, gpointer user_data)
{
  Follower *follower = user_data;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  SoupMessageBody *body = soup_server_message_get_response_body (follower->msg);
  gsize length;

  if (follower->queued > FOLLOW_MAX_QUEUED_BYTES)
    return;

  add_event_fields (builder, -1, hearth_event_get_time_us (event),
                    hearth_event_get_device_id (event),
                    hearth_event_kind_to_string (hearth_event_get_kind (event)),
                    hearth_event_get_name (event), hearth_event_get_value (event));
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  line = g_strconcat (text, "\n", NULL);
  length = strlen (line);
  soup_message_body_append_take (body, (guchar *)g_steal_pointer (&line), length);
  follower->queued += length;
  soup_server_message_unpause (follower->msg);
}

static void
follower_wrote_chunk_cb (SoupServerMessage *msg, guint chunk_size, gpointer user_data)
{
  Follower *follower = user_data;

  follower->queued = follower->queued > chunk_size ? follower->queued - chunk_size : 0;
}

static void
follower_finished_cb (SoupServerMessage *msg, gpointer user_data)
{
  Follower *follower = user_data;

  g_ptr_array_remove (follower->self->followers, follower);
}

/* A stream of events as they happen: one JSON object per line, in a chunked answer that lasts
 * until the client goes away. */
static void
handle_follow (HearthControlServer *self, SoupServerMessage *msg)
{
  Follower *follower = g_new0 (Follower, 1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  follower->self = self;
  follower->msg = g_object_ref (msg);
  g_ptr_array_add (self->followers, follower);

  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_set_content_type (headers, "application/x-ndjson", NULL);
  follower->event_handler = g_signal_connect (hearth_hub_get_bus (self->hub), "event",
                                              G_CALLBACK (follower_event_cb), follower);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (follower_wrote_chunk_cb), follower);
  g_signal_connect (msg, "finished", G_CALLBACK (follower_finished_cb), follower);
  /* An empty line at once tells the client that the stream is open. */
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC, "\n",
                            1);
}

static void
add_trust_entries (JsonBuilder *builder, const char *name, GPtrArray *entries)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthTrustEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "id", entry->device_id);
      add_string_or_null (builder, "fingerprint", entry->fingerprint);
      json_builder_set_member_name (builder, "since_us");
      json_builder_add_int_value (builder, entry->since);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
handle_trust_list (HearthControlServer *self, SoupServerMessage *msg)
{
  HearthTrustStore *store = hearth_hub_get_trust_store (self->hub);
  g_autoptr (GPtrArray) pins = hearth_trust_store_list_pins (store);
  g_autoptr (GPtrArray) pending = hearth_trust_store_list_pending (store);
  g_autoptr (GPtrArray) blocked = hearth_trust_store_list_blocked (store);
  g_autoptr (GPtrArray) ignored = hearth_trust_store_list_ignored (store);
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pinned");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pins->len; i++)
    {
      HearthTrustPin *pin = g_ptr_array_index (pins, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "id", pin->device_id);
      add_string_or_null (builder, "fingerprint", pin->fingerprint);
      add_string_or_null (builder, "name", pin->name);
      add_string_or_null (builder, "area", pin->area);
      json_builder_set_member_name (builder, "pinned_at_us");
      json_builder_add_int_value (builder, pin->pinned_at);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "pending");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pending->len; i++)
    {
      HearthTrustPendingChange *change = g_ptr_array_index (pending, i);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "id", change->device_id);
      add_string_or_null (builder, "old_fingerprint", change->old_fingerprint);
      add_string_or_null (builder, "new_fingerprint", change->new_fingerprint);
      add_string_or_null (builder, "address", change->address);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, (gint64)change->count);
      json_builder_set_member_name (builder, "rejected");
      json_builder_add_boolean_value (builder, change->rejected);
      json_builder_set_member_name (builder, "first_seen_us");
      json_builder_add_int_value (builder, change->first_seen);
      json_builder_set_member_name (builder, "last_seen_us");
      json_builder_add_int_value (builder, change->last_seen);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  add_trust_entries (builder, "blocked", blocked);
  add_trust_entries (builder, "ignored", ignored);
  json_builder_end_object (builder);
  respond_builder (msg, 200, builder);
}

static void
handle_trust_decision (HearthControlServer *self, SoupServerMessage *msg, const char *device_id,
                       const char *decision)
{
  HearthTrustStore *store = hearth_hub_get_trust_store (self->hub);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthTrustPendingChange) pending = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  gboolean ok;

  if (!hearth_trust_device_id_is_valid (device_id))
    {
      respond_error (msg, 400, "bad-request", "“%s” is not a device id", device_id);
      return;
    }

  if (strcmp (decision, "approve") == 0)
    ok = hearth_hub_approve (self->hub, device_id, &error);
  else if (strcmp (decision, "reject") == 0)
    {
      pending = hearth_trust_store_get_pending (store, device_id);
      if (pending == NULL)
        {
          respond_error (msg, 404, "not-found",
                         "Device “%s” has no pending certificate change to reject (see "
                         "`hearthctl trust list`)",
                         device_id);
          return;
        }
      ok = hearth_trust_store_reject (store, device_id, &error);
    }
  else if (strcmp (decision, "block") == 0)
    ok = hearth_trust_store_block (store, device_id, NULL, &error);
  else if (strcmp (decision, "unblock") == 0)
    {
      g_autoptr (GPtrArray) blocked = hearth_trust_store_list_blocked (store);
      gboolean found = FALSE;

      /* Unblocking an id lifts every block that names it, with or without a key. */
      ok = TRUE;
      for (guint i = 0; ok && i < blocked->len; i++)
        {
          HearthTrustEntry *entry = g_ptr_array_index (blocked, i);

          if (g_strcmp0 (entry->device_id, device_id) != 0)
            continue;
          found = TRUE;
          ok = hearth_trust_store_unblock (store, device_id, entry->fingerprint, &error);
        }
      if (!found)
        {
          respond_error (msg, 404, "not-found", "Device “%s” is not blocked", device_id);
          return;
        }
    }
  else if (strcmp (decision, "forget") == 0)
    ok = hearth_trust_store_forget (store, device_id, &error);
  else
    {
      respond_error (msg, 404, "not-found",
                     "Unknown trust decision “%s”: approve, reject, block, unblock or forget",
                     decision);
      return;
    }

  if (!ok)
    {
      respond_gerror (msg, error);
      return;
    }
  json_builder_begin_object (builder);
  add_string_or_null (builder, "id", device_id);
  add_string_or_null (builder, "decision", decision);
  json_builder_end_object (builder);
  respond_builder (msg, 200, builder);
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
  HearthControlServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) segments = NULL;
  guint n_segments;

  if (g_object_get_data (G_OBJECT (soup_server_message_get_socket (msg)), "hearth-refused"))
    {
      respond_error (msg, 403, "forbidden",
                     "Only the user running the hub may use its control socket");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      return;
    }

  if (path == NULL || path[0] != '/' || strlen (path) > 1024 || !g_utf8_validate (path, -1, NULL))
    {
      respond_error (msg, 400, "bad-request", "Malformed request path");
      return;
    }
  segments = g_strsplit (path, "/", 8);
  n_segments = g_strv_length (segments);
  /* segments[0] is the empty string before the first '/'. */
  if (n_segments < 3 || strcmp (segments[1], "v1") != 0)
    {
      respond_error (msg, 404, "not-found", "No endpoint %s: the API is under /v1/", path);
      return;
    }
  for (guint i = 1; i < n_segments; i++)
    if (segments[i][0] == '\0')
      {
        respond_error (msg, 404, "not-found", "No endpoint %s", path);
        return;
      }

  if (n_segments == 3 && strcmp (segments[2], "status") == 0 && strcmp (method, "GET") == 0)
    handle_status (self, msg);
  else if (n_segments == 3 && strcmp (segments[2], "devices") == 0 && strcmp (method, "GET") == 0)
    handle_devices (self, msg);
  else if (n_segments >= 4 && strcmp (segments[2], "devices") == 0)
    {
      /* segments[2..] are devices/ID/...: shift so that handle_device sees them at 2.. */
      handle_device (self, msg, method, segments + 1, n_segments - 1);
    }
  else if (n_segments == 3 && strcmp (segments[2], "events") == 0 && strcmp (method, "GET") == 0)
    handle_events (self, msg, query);
  else if (n_segments == 4 && strcmp (segments[2], "events") == 0
           && strcmp (segments[3], "follow") == 0 && strcmp (method, "GET") == 0)
    handle_follow (self, msg);
  else if (n_segments == 3 && strcmp (segments[2], "trust") == 0 && strcmp (method, "GET") == 0)
    handle_trust_list (self, msg);
  else if (n_segments == 5 && strcmp (segments[2], "trust") == 0 && strcmp (method, "POST") == 0)
    handle_trust_decision (self, msg, segments[3], segments[4]);
  else if (n_segments == 3 && strcmp (segments[2], "addresses") == 0
           && strcmp (method, "POST") == 0)
    {
      g_autoptr (JsonNode) root = NULL;
      JsonObject *body = read_body_object (msg, &root);
      gboolean failed = FALSE;
      const char *address;

      if (body == NULL)
        return;
      address = get_string_member (msg, body, "address", TRUE, &failed);
      if (failed)
        return;
      if (strlen (address) > 300)
        {
          respond_error (msg, 400, "bad-request", "The address is too long");
          return;
        }
      hearth_hub_add_address_async (self->hub, address, NULL, add_address_done_cb,
                                    pending_new (self, msg, NULL));
    }
  else if (n_segments == 3 && strcmp (segments[2], "rotate-key") == 0
           && strcmp (method, "POST") == 0)
    hearth_hub_rotate_key_async (self->hub, NULL, rotate_done_cb, pending_new (self, msg, NULL));
  else
    respond_error (msg, 404, "not-found", "No endpoint %s %s", method, path);
}

/* ---------------------------------------------------------------------------------------- */
/* Connections: who, how much, how long */

static gboolean
deadline_passed_cb (gpointer data)
{
  SoupServerMessage *msg = data;
  GSocket *socket = soup_server_message_get_socket (msg);

  g_object_set_data (G_OBJECT (msg), "hearth-deadline", NULL);
  g_debug ("closing a control connection whose request did not arrive in time");
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
remove_source (gpointer data)
{
  g_source_remove (GPOINTER_TO_UINT (data));
}

static void
got_headers_cb (SoupServerMessage *msg, gpointer user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  /* libsoup reads the whole body before a handler can answer, so a body over the limit is not
   * answered: the connection is closed before any of it is read. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > HEARTH_CONTROL_MAX_BODY_BYTES)
    g_socket_shutdown (soup_server_message_get_socket (msg), TRUE, TRUE, NULL);
}

static void
got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  if (soup_server_message_get_request_body (msg)->length > HEARTH_CONTROL_MAX_BODY_BYTES)
    g_socket_shutdown (soup_server_message_get_socket (msg), TRUE, TRUE, NULL);
}

static void
request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  guint source;

  /* The peer's uid, checked once per connection (the kernel records it at connect()). */
  if (socket != NULL && g_object_get_data (G_OBJECT (socket), "hearth-checked") == NULL)
    {
      g_autoptr (GCredentials) credentials = g_socket_get_credentials (socket, NULL);
      uid_t peer_uid
          = credentials != NULL ? g_credentials_get_unix_user (credentials, NULL) : (uid_t)-1;

      g_object_set_data (G_OBJECT (socket), "hearth-checked", GINT_TO_POINTER (1));
      if (credentials == NULL || peer_uid != getuid ())
        g_object_set_data (G_OBJECT (socket), "hearth-refused", GINT_TO_POINTER (1));
    }

  source = g_timeout_add_seconds (HEARTH_CONTROL_REQUEST_TIMEOUT_S, deadline_passed_cb, msg);
  g_object_set_data_full (G_OBJECT (msg), "hearth-deadline", GUINT_TO_POINTER (source),
                          remove_source);
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
}

static void
request_read_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  /* The request is complete; answering may take longer (a device that is slow to answer, an
   * event stream), which is bounded by the device requests' own deadlines. */
  g_object_set_data (G_OBJECT (msg), "hearth-deadline", NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* GObject */

static void
hearth_control_server_dispose (GObject *object)
{
  HearthControlServer *self = HEARTH_CONTROL_SERVER (object);

  hearth_control_server_stop (self);
  g_clear_pointer (&self->followers, g_ptr_array_unref);
  g_clear_object (&self->server);
  g_clear_object (&self->hub);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (hearth_control_server_parent_class)->dispose (object);
}

static void
hearth_control_server_finalize (GObject *object)
{
  HearthControlServer *self = HEARTH_CONTROL_SERVER (object);

  g_free (self->path);
  G_OBJECT_CLASS (hearth_control_server_parent_class)->finalize (object);
}

static void
hearth_control_server_class_init (HearthControlServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_control_server_dispose;
  object_class->finalize = hearth_control_server_finalize;
}

static void
hearth_control_server_init (HearthControlServer *self)
{
  self->followers = g_ptr_array_new_with_free_func ((GDestroyNotify)follower_free);
  self->cancellable = g_cancellable_new ();
}

/* ---------------------------------------------------------------------------------------- */
/* Public API */

/**
 * hearth_control_socket_path:
 *
 * Returns: (transfer full): where the hub using @data_dir listens for hearthctl
 */
char *
hearth_control_socket_path (const char *data_dir)
{
  return g_build_filename (data_dir, HEARTH_CONTROL_SOCKET_FILE, NULL);
}

HearthControlServer *
hearth_control_server_new (HearthHub *hub)
{
  HearthControlServer *self;

  g_return_val_if_fail (HEARTH_IS_HUB (hub), NULL);

  self = g_object_new (HEARTH_TYPE_CONTROL_SERVER, NULL);
  self->hub = g_object_ref (hub);
  self->server = soup_server_new ("server-header", NULL, NULL);
  /* hearthctl closes its connection after each command. */
  hearth_soup_server_release_closed_connections (self->server);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  g_signal_connect_object (self->server, "request-started", G_CALLBACK (request_started_cb), self,
                           0);
  g_signal_connect_object (self->server, "request-read", G_CALLBACK (request_read_cb), self, 0);
  return self;
}

/* Removes a socket file left by a hub that died, and refuses when a hub still answers on it. */
static gboolean
clear_stale_socket (const char *path, GError **error)
{
  GStatBuf st;
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketConnection) connection = NULL;

  if (g_lstat (path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "“%s” exists and is not a socket; move it away and start the hub again", path);
      return FALSE;
    }
  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 2);
  address = g_unix_socket_address_new (path);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
  if (connection != NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "Another hub is running with this data directory (it answers on “%s”); stop "
                   "it first, or use another --data-dir",
                   path);
      return FALSE;
    }
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot remove the stale control socket “%s”: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/**
 * hearth_control_server_listen:
 * @path: the socket path (see hearth_control_socket_path())
 *
 * Returns: %TRUE when listening; else %HEARTH_ERROR_LISTEN_FAILED (or a %G_IO_ERROR) naming
 *   the path
 */
gboolean
hearth_control_server_listen (HearthControlServer *self, const char *path, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) local_error = NULL;
  mode_t old_umask;
  gboolean bound;

  g_return_val_if_fail (HEARTH_IS_CONTROL_SERVER (self), FALSE);
  g_return_val_if_fail (self->path == NULL, FALSE);

  /* sun_path holds 108 bytes with its terminating NUL. */
  if (strlen (path) >= 108)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "The control socket path “%s” is longer than the 107 bytes a UNIX socket "
                   "allows; use a shorter --data-dir",
                   path);
      return FALSE;
    }
  if (!clear_stale_socket (path, error))
    return FALSE;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &local_error);
  if (socket == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "Cannot make the control socket: %s", local_error->message);
      return FALSE;
    }
  address = g_unix_socket_address_new (path);
  /* The socket file is created 0600 from the start; there is no moment at which another user
   * could connect. */
  old_umask = umask (077);
  bound = g_socket_bind (socket, address, FALSE, &local_error);
  umask (old_umask);
  if (!bound || g_chmod (path, 0600) != 0 || !g_socket_listen (socket, &local_error)
      || !soup_server_listen_socket (self->server, socket, 0, &local_error))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "Cannot listen on the control socket “%s”: %s", path,
                   local_error != NULL ? local_error->message : g_strerror (errno));
      return FALSE;
    }
  self->path = g_strdup (path);
  return TRUE;
}

const char *
hearth_control_server_get_path (HearthControlServer *self)
{
  g_return_val_if_fail (HEARTH_IS_CONTROL_SERVER (self), NULL);
  return self->path;
}

/**
 * hearth_control_server_stop:
 *
 * Closes the socket, ends event streams and removes the socket file.
 */
void
hearth_control_server_stop (HearthControlServer *self)
{
  g_return_if_fail (HEARTH_IS_CONTROL_SERVER (self));

  if (self->followers != NULL)
    g_ptr_array_set_size (self->followers, 0);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  if (self->path != NULL)
    {
      g_unlink (self->path);
      g_clear_pointer (&self->path, g_free);
    }
}
