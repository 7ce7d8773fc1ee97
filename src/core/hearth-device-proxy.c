/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-device-proxy"

#include "hearth-device-proxy.h"

#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-notify-body.h"

/* HearthDeviceProxy is the hub's side of one paired device: it fetches and validates the
 * device's description, keeps the device's property values, writes properties and calls
 * actions, and keeps a subscription to the device's events alive.
 *
 * Connection: one kept-alive connection per device, because a new HTTPS connection costs the
 * hub CPU and the device has only 4 connection slots. All proxies of one hub identity share
 * one SoupSession (a session per proxy cost about 115 KiB per device; see
 * docs/architecture.md, "Memory"); libsoup keys its connections by host and port, and
 * `max-conns-per-host` 1 keeps it at one connection per device. Every request carries the
 * IDEMPOTENT flag so that libsoup reuses that connection: for a non-idempotent method
 * (SUBSCRIBE, POST) libsoup 3.2 would otherwise want a fresh connection and, to make room,
 * close every idle connection of the session, i.e. of every device. libsoup only ever sends a
 * request a second time (after a kept-alive connection turned out closed) when its *method*
 * is idempotent, so a POST is still never sent twice.
 *
 * Trust: nothing is checked against certificate authorities. The device's key is checked in
 * `accept-certificate` against the trust store; a key that differs from the pinned one is
 * refused at the TLS layer, before any request byte is sent, and reported as a certificate
 * change (the trust store keeps exactly one pending change per device, however often it is
 * reported). Because connections are shared per host and port, every request is checked again
 * in `starting`, just before its first byte is written: the connection's peer key must be this
 * device's pinned key, else the request is cancelled unsent. The hub's own certificate is the
 * client certificate, so the device can check it against its controller list. Device
 * connections never go through an HTTP proxy (no proxy resolver).
 *
 * Deadlines: libsoup's I/O timeout does not cover the time a request spends before its first
 * I/O (queued for the connection slot, in GLib's thread pool for the TLS handshake). Each
 * request therefore has its own deadline (REQUEST_DEADLINE_S); when it passes, the request is
 * cancelled and fails with HEARTH_DEVICE_ERROR_TIMEOUT, so the subscription cycle always ends
 * in "online" or in a retry, never in a wait without end.
 *
 * Subscription cycle: description → SUBSCRIBE (CALLBACK at the hub's address on this very
 * connection, which is the address the device sees the SUBSCRIBE come from) → GET /properties
 * → online. Renewal at half the lease, with jitter so that devices subscribed together do not
 * renew together. A SEQ gap or a new boot id makes the proxy re-read every property. When
 * 2.5 heartbeat intervals pass without a NOTIFY (the third heartbeat is half an interval late)
 * the device is offline, and the cycle starts again with exponential backoff and jitter.
 *
 * Values read while NOTIFYs keep arriving: a read answer is older than a NOTIFY that arrived
 * while the read was under way, so for each property the read value is applied only if no
 * NOTIFY changed that property since the read was sent. A change the NOTIFY stream lost
 * always shows up as a SEQ gap at the next NOTIFY (heartbeats included), which starts another
 * read, so the cache converges to the device's state. */

#define DEFAULT_HEARTBEAT_S 15
#define DEFAULT_LEASE_S 1800
#define DEFAULT_MAX_BACKOFF_MS 5000
#define MIN_BACKOFF_MS 100
#define REQUEST_TIMEOUT_S 10
/* The whole life of a request, queued time included: above the I/O timeout, so that a request
 * that is making progress fails with libsoup's own (more precise) error first. */
#define REQUEST_DEADLINE_S 15
/* Below the device's 60 s idle limit, so the hub closes an idle connection before the device
 * does and never sends a request into a connection the device is closing. */
#define IDLE_TIMEOUT_S 50
#define DESCRIPTION_MAX_BYTES HEARTH_DESCRIPTION_MAX_BYTES
#define ANSWER_MAX_BYTES (16 * 1024)
#define DEVICE_MESSAGE_MAX_BYTES 256

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_IDENTITY,
  PROP_TRUST_STORE,
  PROP_EVENT_SERVER,
  PROP_BUS,
  PROP_REQUESTED_HEARTBEAT,
  PROP_MAX_BACKOFF,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthDeviceProxy
{
  GObject parent_instance;

  /* Owned */
  HearthDevice *device;
  HearthHubIdentity *identity;
  HearthTrustStore *trust_store;
  HearthEventServer *event_server;
  HearthEventBus *bus;
  SoupSession *session;            /* shared by the proxies of one identity */
  GWeakRef socket;                 /* the socket of the last connection made to the device */
  GPtrArray *requests;             /* Request under way (borrowed) */
  GCancellable *cancellable;       /* cancelled in dispose */
  GCancellable *cycle_cancellable; /* the subscription cycle under way */
  GInetAddress *local_address;
  char *sid;
  char *boot_id;
  char *held_key;
  GHashTable *values;     /* property name → JsonNode */
  GHashTable *changed_at; /* property name → generation of the last NOTIFY that set it */
  guint64 generation;
  guint renew_source;
  guint watchdog_source;
  guint retry_source;
  guint requested_heartbeat;
  guint max_backoff_ms;
  guint lease;
  guint heartbeat;
  guint backoff_attempt;
  gint64 last_notify_us;
  gboolean started;
  gboolean was_online_once;
  gboolean resync_in_flight;
  gboolean resync_again;
  guint64 n_resyncs;
  guint64 n_lost_notifies;
  guint64 n_handshakes_refused;
};

G_DEFINE_FINAL_TYPE (HearthDeviceProxy, hearth_device_proxy, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth - device - error - quark, hearth_device_error)

static void start_cycle (HearthDeviceProxy *self);
static void go_offline (HearthDeviceProxy *self, const GError *error);
static void request_resync (HearthDeviceProxy *self);

/* ---------------------------------------------------------------------------------------- */
/* A certificate database without anchors */

/* glib-networking (2.74) builds every new TLS connection's credentials from the process's
 * default GTlsDatabase before libsoup can replace it: with the system store that is a parsed
 * copy of every certificate authority, about 8 ms of CPU, and the copy stays with the
 * connection (measured: 83 KiB per kept-alive connection, most of the hub's memory with
 * 1,000 devices). Hearth trusts no certificate authority anywhere (docs/protocol.md §1.1:
 * every key is pinned), so the hub makes this empty database the process's default. It fails
 * closed: a chain checked against it is never trusted. */
#define HEARTH_TYPE_NO_ANCHORS_DATABASE (hearth_no_anchors_database_get_type ())
G_DECLARE_FINAL_TYPE (HearthNoAnchorsDatabase, hearth_no_anchors_database, HEARTH,
                      NO_ANCHORS_DATABASE, GTlsDatabase)

struct _HearthNoAnchorsDatabase
{
  GTlsDatabase parent_instance;
};

G_DEFINE_FINAL_TYPE (HearthNoAnchorsDatabase, hearth_no_anchors_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
no_anchors_verify_chain (GTlsDatabase *database, GTlsCertificate *chain, const char *purpose,
                         GSocketConnectable *identity, GTlsInteraction *interaction,
                         GTlsDatabaseVerifyFlags flags, GCancellable *cancellable, GError **error)
{
  return G_TLS_CERTIFICATE_UNKNOWN_CA;
}

static char *
no_anchors_create_certificate_handle (GTlsDatabase *database, GTlsCertificate *certificate)
{
  return NULL;
}

static GTlsCertificate *
no_anchors_lookup_certificate_for_handle (GTlsDatabase *database, const char *handle,
                                          GTlsInteraction *interaction,
                                          GTlsDatabaseLookupFlags flags, GCancellable *cancellable,
                                          GError **error)
{
  return NULL;
}

static GTlsCertificate *
no_anchors_lookup_certificate_issuer (GTlsDatabase *database, GTlsCertificate *certificate,
                                      GTlsInteraction *interaction, GTlsDatabaseLookupFlags flags,
                                      GCancellable *cancellable, GError **error)
{
  return NULL;
}

static GList *
no_anchors_lookup_certificates_issued_by (GTlsDatabase *database, GByteArray *issuer_raw_dn,
                                          GTlsInteraction *interaction,
                                          GTlsDatabaseLookupFlags flags, GCancellable *cancellable,
                                          GError **error)
{
  return NULL;
}

static void
hearth_no_anchors_database_class_init (HearthNoAnchorsDatabaseClass *klass)
{
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  database_class->verify_chain = no_anchors_verify_chain;
  database_class->create_certificate_handle = no_anchors_create_certificate_handle;
  database_class->lookup_certificate_for_handle = no_anchors_lookup_certificate_for_handle;
  database_class->lookup_certificate_issuer = no_anchors_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by = no_anchors_lookup_certificates_issued_by;
}

static void
hearth_no_anchors_database_init (HearthNoAnchorsDatabase *self)
{
}

/**
 * hearth_device_proxy_use_pinned_keys_only:
 *
 * Makes a database without certificate authorities the process's default TLS database (see
 * above). Called by the hub before it opens any connection, and by the first device proxy.
 * Idempotent.
 */
void
hearth_device_proxy_use_pinned_keys_only (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_autoptr (GTlsDatabase) database = g_object_new (HEARTH_TYPE_NO_ANCHORS_DATABASE, NULL);

      g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
      g_once_init_leave (&done, 1);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Requests */

typedef struct
{
  HearthDeviceProxy *self;
  SoupMessage *msg;
  GCancellable *cancellable; /* this request's own, cancelled by the caller's and the proxy's */
  GCancellable *parents[2];
  gulong parent_handlers[2];
  GTask *task; /* borrowed: libsoup's callback holds it until the request ends */
  gsize max_bytes;
  guint deadline_source;
  gboolean returned; /* the task was returned at the deadline, before libsoup ended */
  gboolean too_large;
  gboolean tls_refused;
} Request;

/* What a request completes with: the message (for status and headers) and its parsed JSON body
 * (NULL when the body is empty). */
typedef struct
{
  SoupMessage *msg;
  JsonNode *json;
} Answer;

static void
answer_free (Answer *answer)
{
  g_clear_object (&answer->msg);
  g_clear_pointer (&answer->json, json_node_unref);
  g_free (answer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Answer, answer_free)

static void
request_free (Request *request)
{
  g_clear_handle_id (&request->deadline_source, g_source_remove);
  if (request->self->requests != NULL)
    g_ptr_array_remove_fast (request->self->requests, request);
  for (int i = 0; i < 2; i++)
    if (request->parents[i] != NULL)
      {
        g_cancellable_disconnect (request->parents[i], request->parent_handlers[i]);
        g_object_unref (request->parents[i]);
      }
  g_clear_object (&request->cancellable);
  g_clear_object (&request->msg);
  g_clear_object (&request->self);
  g_free (request);
}

static void
cancel_child (GCancellable *parent, gpointer child)
{
  g_cancellable_cancel (child);
}

static void
set_state (HearthDeviceProxy *self, HearthDeviceState state)
{
  HearthDeviceState before = hearth_device_get_state (self->device);

  if (before == state)
    return;
  hearth_device_set_state (self->device, state);

  if (state == HEARTH_DEVICE_STATE_ONLINE || before == HEARTH_DEVICE_STATE_ONLINE)
    {
      g_autoptr (HearthEvent) event = hearth_event_new (
          state == HEARTH_DEVICE_STATE_ONLINE ? HEARTH_EVENT_DEVICE_ONLINE
                                              : HEARTH_EVENT_DEVICE_OFFLINE,
          HEARTH_EVENT_SOURCE_HUB, hearth_device_get_id (self->device), NULL, NULL, -1);

      hearth_event_bus_publish (self->bus, event);
    }
  if (state == HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED || state == HEARTH_DEVICE_STATE_BLOCKED)
    {
      g_autoptr (HearthEvent) event = hearth_event_new (
          HEARTH_EVENT_TRUST_CHANGED, HEARTH_EVENT_SOURCE_HUB, hearth_device_get_id (self->device),
          hearth_device_state_to_string (state), NULL, -1);

      hearth_event_bus_publish (self->bus, event);
    }
}

/* The common name of a certificate's subject, which IOTSCP devices set to their id. */
static char *
certificate_common_name (GTlsCertificate *certificate)
{
  g_autofree char *subject = g_tls_certificate_get_subject_name (certificate);
  const char *cn;
  const char *end;

  if (subject == NULL || (cn = strstr (subject, "CN=")) == NULL)
    return NULL;
  cn += 3;
  end = strchr (cn, ',');
  return end != NULL ? g_strndup (cn, (gsize)(end - cn)) : g_strdup (cn);
}

/* The check of the device's key on a request's connection, just before the request's first
 * byte is written: a kept-alive connection is shared by host and port, so it may have been
 * made (and its key checked) for another device that answered at this address. */
static void
starting_cb (SoupMessage *msg, gpointer user_data)
{
  Request *request = user_data;
  HearthDeviceProxy *self = request->self;
  GTlsCertificate *certificate = soup_message_get_tls_peer_certificate (msg);
  g_autofree char *fingerprint
      = certificate != NULL ? hearth_fingerprint_from_tls_certificate (certificate, NULL) : NULL;

  if (fingerprint != NULL
      && hearth_trust_store_check (self->trust_store, hearth_device_get_id (self->device),
                                   fingerprint)
             == HEARTH_TRUST_VERDICT_TRUSTED)
    return;

  /* libsoup checks the cancellable before it writes anything. */
  request->tls_refused = TRUE;
  self->n_handshakes_refused++;
  g_cancellable_cancel (request->cancellable);
}

/* The TLS layer's check of the device's key; see the comment at the top of the file. */
static gboolean
accept_certificate_cb (SoupMessage *msg, GTlsCertificate *certificate, GTlsCertificateFlags errors,
                       gpointer user_data)
{
  Request *request = user_data;
  HearthDeviceProxy *self = request->self;
  const char *device_id = hearth_device_get_id (self->device);
  g_autofree char *fingerprint = hearth_fingerprint_from_tls_certificate (certificate, NULL);
  g_autofree char *common_name = certificate_common_name (certificate);
  g_autofree char *address = hearth_device_dup_address (self->device);
  g_autoptr (HearthTrustPendingChange) pending = NULL;
  g_autoptr (GError) error = NULL;

  if (fingerprint == NULL || self->device == NULL)
    goto refuse;

  switch (hearth_trust_store_check (self->trust_store, device_id, fingerprint))
    {
      case HEARTH_TRUST_VERDICT_TRUSTED:
        return TRUE;

      case HEARTH_TRUST_VERDICT_CHANGED:
        /* Another device now answering at this address (its certificate names another id) is
         * not a certificate change of this one: refuse it without asking the user. */
        if (common_name != NULL && strcmp (common_name, device_id) != 0)
          {
            hearth_device_set_problem (self->device, "Another device answers at this address");
            goto refuse;
          }
        if (!hearth_trust_store_report_certificate_change (self->trust_store, device_id,
                                                           fingerprint, address, &error))
          g_debug ("Could not record the certificate change of %s: %s", device_id, error->message);
        pending = hearth_trust_store_get_pending (self->trust_store, device_id);
        hearth_device_set_problem (self->device, "The device presents a new key");
        set_state (self, pending != NULL && pending->rejected
                             ? HEARTH_DEVICE_STATE_BLOCKED
                             : HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED);
        goto refuse;

      case HEARTH_TRUST_VERDICT_BLOCKED:
        hearth_device_set_problem (self->device, "The device is blocked");
        set_state (self, HEARTH_DEVICE_STATE_BLOCKED);
        goto refuse;

      case HEARTH_TRUST_VERDICT_UNKNOWN:
      case HEARTH_TRUST_VERDICT_IGNORED:
      default:
        hearth_device_set_problem (self->device, "The device is not paired");
        goto refuse;
    }

refuse:
  request->tls_refused = TRUE;
  self->n_handshakes_refused++;
  return FALSE;
}

static void
network_event_cb (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection,
                  gpointer user_data)
{
  Request *request = user_data;
  g_autoptr (GSocketAddress) local = NULL;

  if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION (connection))
    return;

  /* Remembered so that this device's connection, and only this one, can be closed. */
  g_weak_ref_set (&request->self->socket,
                  g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)));

  /* Requests are small and answered at once; without this, a request whose headers and body
   * go out in two writes waits for the device's delayed ACK. */
  g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                       IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  /* The local end of the connection to the device is the address the device sees the
   * SUBSCRIBE come from, so it is the one callback address the device accepts (§7.1). */
  local = g_socket_connection_get_local_address (G_SOCKET_CONNECTION (connection), NULL);
  if (G_IS_INET_SOCKET_ADDRESS (local))
    {
      g_clear_object (&request->self->local_address);
      request->self->local_address
          = g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
    }
}

static void
got_headers_cb (SoupMessage *msg, gpointer user_data)
{
  Request *request = user_data;
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  /* Devices always send a Content-Length (§5.1); an answer without one, or over the limit, is
   * not read at all. */
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED
      || soup_message_headers_get_content_length (headers) > (goffset)request->max_bytes)
    {
      request->too_large = TRUE;
      g_cancellable_cancel (request->cancellable);
    }
}

/* Drops this device's connection: the session is shared, so soup_session_abort() is not an
 * option. Requests under way are cancelled (libsoup closes the connection of a request that
 * is cancelled while it runs), and the kept-alive connection's socket is shut down, which
 * makes libsoup discard the connection instead of reusing it; the next request connects
 * anew. */
static void
hearth_device_proxy_reset_session (HearthDeviceProxy *self)
{
  g_autoptr (GSocket) socket = g_weak_ref_get (&self->socket);
  g_autoptr (GPtrArray) requests = NULL;

  if (self->requests != NULL)
    {
      requests = g_ptr_array_copy (self->requests, NULL, NULL);
      for (guint i = 0; i < requests->len; i++)
        g_cancellable_cancel (((Request *)g_ptr_array_index (requests, i))->cancellable);
    }
  if (socket != NULL && !g_socket_is_closed (socket))
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  g_weak_ref_set (&self->socket, NULL);
}

static GError *
error_from_answer (SoupMessage *msg, JsonNode *json)
{
  guint status = soup_message_get_status (msg);
  const char *code = NULL;
  const char *message = NULL;
  HearthDeviceError error_code;

  if (json != NULL && JSON_NODE_HOLDS_OBJECT (json))
    {
      JsonObject *root = json_node_get_object (json);
      JsonNode *error_node = json_object_get_member (root, "error");

      if (error_node != NULL && JSON_NODE_HOLDS_OBJECT (error_node))
        {
          JsonObject *error_object = json_node_get_object (error_node);

          code = json_object_get_string_member_with_default (error_object, "code", NULL);
          message = json_object_get_string_member_with_default (error_object, "message", NULL);
          if (message != NULL && strlen (message) > DEVICE_MESSAGE_MAX_BYTES)
            message = NULL;
        }
    }

  switch (status)
    {
      case 409:
        error_code = HEARTH_DEVICE_ERROR_REFUSED;
        break;
      case 422:
        error_code = HEARTH_DEVICE_ERROR_INVALID_VALUE;
        break;
      case 403:
        error_code = HEARTH_DEVICE_ERROR_FORBIDDEN;
        break;
      case 404:
        error_code = HEARTH_DEVICE_ERROR_NOT_FOUND;
        break;
      case 405:
        error_code = HEARTH_DEVICE_ERROR_READ_ONLY;
        break;
      case 408:
        error_code = HEARTH_DEVICE_ERROR_TIMEOUT;
        break;
      case 503:
        error_code = HEARTH_DEVICE_ERROR_BUSY;
        break;
      default:
        error_code = HEARTH_DEVICE_ERROR_PROTOCOL;
        break;
    }

  if (message != NULL)
    return g_error_new (HEARTH_DEVICE_ERROR, error_code, "%s", message);
  return g_error_new (
      HEARTH_DEVICE_ERROR, error_code, "The device answered %u %s%s%s", status,
      soup_message_get_reason_phrase (msg) != NULL ? soup_message_get_reason_phrase (msg) : "",
      code != NULL ? ": " : "", code != NULL ? code : "");
}

static void
request_sent_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  HearthDeviceProxy *self = request->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (Answer) answer = NULL;
  gsize size;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (request->returned)
    return;
  request->returned = TRUE;
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      /* The proxy is being disposed: nothing of it may be touched any more. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The proxy was stopped");
      return;
    }
  if (body == NULL)
    {
      if (request->tls_refused)
        g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_TRUSTED,
                                 "The device presented a key that is not trusted; nothing was "
                                 "sent");
      else if (request->too_large)
        g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                                 "The device's answer is larger than %zu bytes",
                                 request->max_bytes);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_TIMEOUT,
                                 "The device did not answer within %d s", REQUEST_TIMEOUT_S);
      else
        g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_TRANSPORT,
                                 "Cannot reach the device: %s", error->message);
      return;
    }

  hearth_device_set_last_heard (self->device, g_get_real_time ());

  answer = g_new0 (Answer, 1);
  answer->msg = g_object_ref (request->msg);
  size = g_bytes_get_size (body);
  if (size > request->max_bytes)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                               "The device's answer is larger than %zu bytes", request->max_bytes);
      return;
    }
  if (size > 0)
    {
      g_autoptr (JsonParser) parser = json_parser_new_immutable ();
      const char *data = g_bytes_get_data (body, NULL);

      if (!hearth_json_check_limits (data, size, 16, 8192, &error)
          || !json_parser_load_from_data (parser, data, (gssize)size, &error))
        {
          g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                                   "The device's answer is not valid JSON: %s", error->message);
          return;
        }
      if (json_parser_get_root (parser) != NULL)
        answer->json = json_node_ref (json_parser_get_root (parser));
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (request->msg)))
    {
      g_task_return_error (task, error_from_answer (request->msg, answer->json));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&answer), (GDestroyNotify)answer_free);
}

/* The request has not ended within REQUEST_DEADLINE_S. It is cancelled, but libsoup may take
 * its time to notice (a request that waits for GLib's thread pool to run its TLS handshake
 * ignores its cancellable until then, and before this deadline nothing bounded that wait), so
 * the caller is answered now, and libsoup's late answer is dropped. */
static gboolean
request_deadline_cb (gpointer user_data)
{
  Request *request = user_data;
  g_autoptr (GTask) task = g_object_ref (request->task);

  request->deadline_source = 0;
  g_cancellable_cancel (request->cancellable);
  if (!request->returned)
    {
      request->returned = TRUE;
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_TIMEOUT,
                               "No answer from the device within %d s (the request did not get "
                               "through)",
                               REQUEST_DEADLINE_S);
    }
  return G_SOURCE_REMOVE;
}

/* Sends one request to the device. @path is already percent-encoded. */
static void
send_request (HearthDeviceProxy *self, const char *method, const char *path,
              SoupMessageHeaders *extra_headers, JsonNode *body, gsize max_bytes,
              GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GUri) uri = NULL;
  Request *request;
  const char *host = hearth_device_get_host (self->device);
  SoupMessageHeaders *headers;

  g_task_set_source_tag (task, send_request);

  if (host == NULL)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_TRANSPORT,
                               "The device's address is not known yet");
      return;
    }

  uri = g_uri_build (G_URI_FLAGS_ENCODED, "https", NULL, host,
                     hearth_device_get_port (self->device), path, NULL, NULL);

  request = g_new0 (Request, 1);
  request->task = task;
  request->self = g_object_ref (self);
  request->max_bytes = max_bytes;
  request->cancellable = g_cancellable_new ();
  request->msg = soup_message_new_from_uri (method, uri);
  g_task_set_task_data (task, request, (GDestroyNotify)request_free);
  g_ptr_array_add (self->requests, request);
  /* Seconds-granular timers of all requests fire together, which keeps wake-ups few. */
  request->deadline_source
      = g_timeout_add_seconds (REQUEST_DEADLINE_S, request_deadline_cb, request);
  /* Reuse the device's kept-alive connection for every method; see the top of the file. */
  soup_message_add_flags (request->msg, SOUP_MESSAGE_IDEMPOTENT);

  /* The request's own cancellable follows the caller's and the proxy's, and can also be
   * cancelled alone (an answer that is too large). */
  request->parents[0] = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  request->parents[1] = g_object_ref (self->cancellable);
  for (int i = 0; i < 2; i++)
    if (request->parents[i] != NULL)
      request->parent_handlers[i] = g_cancellable_connect (
          request->parents[i], G_CALLBACK (cancel_child), request->cancellable, NULL);

  soup_message_set_tls_client_certificate (request->msg,
                                           hearth_hub_identity_get_certificate (self->identity));
  g_signal_connect (request->msg, "accept-certificate", G_CALLBACK (accept_certificate_cb),
                    request);
  g_signal_connect (request->msg, "network-event", G_CALLBACK (network_event_cb), request);
  g_signal_connect (request->msg, "starting", G_CALLBACK (starting_cb), request);
  g_signal_connect (request->msg, "got-headers", G_CALLBACK (got_headers_cb), request);

  headers = soup_message_get_request_headers (request->msg);
  if (extra_headers != NULL)
    {
      SoupMessageHeadersIter iter;
      const char *name, *value;

      soup_message_headers_iter_init (&iter, extra_headers);
      while (soup_message_headers_iter_next (&iter, &name, &value))
        soup_message_headers_append (headers, name, value);
    }

  if (body != NULL)
    {
      g_autofree char *text = json_to_string (body, FALSE);
      gsize length = strlen (text);
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), length);

      soup_message_set_request_body_from_bytes (request->msg, "application/json", bytes);
    }
  else if (strcmp (method, "POST") == 0 || strcmp (method, "PUT") == 0)
    soup_message_headers_set_content_length (headers, 0);

  soup_session_send_and_read_async (self->session, request->msg, G_PRIORITY_DEFAULT,
                                    request->cancellable, request_sent_cb, g_steal_pointer (&task));
}

static Answer *
send_request_finish (HearthDeviceProxy *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Requests that users make (read, write, call) are refused without any network traffic while
 * the device is quarantined or blocked. */
static gboolean
check_usable (HearthDeviceProxy *self, GError **error)
{
  HearthDeviceState state = hearth_device_get_state (self->device);

  if (state == HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED || state == HEARTH_DEVICE_STATE_BLOCKED)
    {
      g_set_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_TRUSTED,
                   "Device “%s” is %s; nothing is sent to it until the user decides",
                   hearth_device_get_id (self->device),
                   state == HEARTH_DEVICE_STATE_BLOCKED ? "blocked"
                                                        : "quarantined after a certificate change");
      return FALSE;
    }
  if (hearth_device_get_description (self->device) == NULL)
    {
      g_set_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_UNUSABLE,
                   "The description of device “%s” is not known (yet)%s%s",
                   hearth_device_get_id (self->device),
                   hearth_device_get_problem (self->device) != NULL ? ": " : "",
                   hearth_device_get_problem (self->device) != NULL
                       ? hearth_device_get_problem (self->device)
                       : "");
      return FALSE;
    }
  return TRUE;
}

static char *
name_path (const char *prefix, const char *name)
{
  g_autofree char *escaped = g_uri_escape_string (name, NULL, FALSE);

  return g_strconcat (prefix, escaped, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Property values */

static void
publish_value (HearthDeviceProxy *self, const char *name, JsonNode *value, HearthEventSource source,
               gint64 device_time_ms)
{
  g_autoptr (HearthEvent) event
      = hearth_event_new (HEARTH_EVENT_PROPERTY_CHANGED, source,
                          hearth_device_get_id (self->device), name, value, device_time_ms);

  hearth_event_bus_publish (self->bus, event);
}

/* Stores a value reported by the device if it is valid for the property, and publishes it if
 * it differs from the cached one. */
static void
apply_value (HearthDeviceProxy *self, const char *name, JsonNode *value, HearthEventSource source,
             gint64 device_time_ms)
{
  HearthDescription *description = hearth_device_get_description (self->device);
  const HearthSchema *schema
      = description != NULL ? hearth_description_lookup_property (description, name) : NULL;
  JsonNode *cached = NULL;
  char *key = NULL;
  g_autoptr (GError) error = NULL;

  if (schema == NULL || !hearth_schema_check_value (schema, value, &error))
    {
      g_debug ("Ignoring a value of %s from %s: %s", name, hearth_device_get_id (self->device),
               error != NULL ? error->message : "no such property");
      return;
    }

  if (g_hash_table_lookup_extended (self->values, name, (gpointer *)&key, (gpointer *)&cached))
    {
      if (json_node_equal (cached, value))
        return;
    }
  else
    key = g_strdup (schema->name);

  /* A NOTIFY's values are sealed (immutable), so the cache can share them instead of copying,
   * and the key of a property seen before is kept: at tens of thousands of changes a second, a
   * copy and a key per change were a measurable part of the hub's time. The key is stolen
   * with its old value and inserted again with the new one. */
  g_hash_table_steal (self->values, key);
  g_hash_table_insert (self->values, key,
                       json_node_is_immutable (value) ? json_node_ref (value)
                                                      : json_node_copy (value));
  g_clear_pointer (&cached, json_node_unref);
  publish_value (self, schema->name, value, source, device_time_ms);
}

/* Applies a snapshot read (or the answer to a write) that was sent at @generation: properties
 * that a NOTIFY changed since then keep the NOTIFY's newer value. */
static void
apply_snapshot (HearthDeviceProxy *self, JsonObject *object, guint64 generation,
                HearthEventSource source)
{
  g_autoptr (GList) names = json_object_get_members (object);

  for (GList *l = names; l != NULL; l = l->next)
    {
      guint64 changed_at = GPOINTER_TO_SIZE (g_hash_table_lookup (self->changed_at, l->data));

      if (changed_at > generation)
        continue;
      apply_value (self, l->data, json_object_get_member (object, l->data), source, -1);
    }
}

typedef struct
{
  guint64 generation;
} ReadData;

static void
properties_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  guint64 *generation = g_task_get_task_data (task);
  g_autoptr (Answer) answer = NULL;
  g_autoptr (GError) error = NULL;

  answer = send_request_finish (self, result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (answer->json == NULL || !JSON_NODE_HOLDS_OBJECT (answer->json))
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                               "GET /properties did not answer an object");
      return;
    }

  apply_snapshot (self, json_node_get_object (answer->json), *generation, HEARTH_EVENT_SOURCE_READ);
  g_task_return_boolean (task, TRUE);
}

static void
read_properties (HearthDeviceProxy *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                 gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  guint64 *generation = g_new (guint64, 1);

  g_task_set_source_tag (task, read_properties);
  *generation = self->generation;
  g_task_set_task_data (task, generation, g_free);
  send_request (self, "GET", "/properties", NULL, NULL, ANSWER_MAX_BYTES, cancellable,
                properties_read_cb, task);
}

static void
resync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (GError) error = NULL;

  self->resync_in_flight = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Re-reading %s failed: %s", hearth_device_get_id (self->device), error->message);
      /* Still stale: the next NOTIFY or the liveness check will bring another attempt. */
      self->resync_again = TRUE;
    }
  else
    self->n_resyncs++;

  if (self->resync_again && hearth_device_get_state (self->device) == HEARTH_DEVICE_STATE_ONLINE)
    request_resync (self);
}

/* Re-reads every property after a SEQ gap or a reboot. Requests coalesce: gaps reported while
 * a read is under way cause exactly one more read after it. */
static void
request_resync (HearthDeviceProxy *self)
{
  if (self->resync_in_flight)
    {
      self->resync_again = TRUE;
      return;
    }
  self->resync_in_flight = TRUE;
  self->resync_again = FALSE;
  read_properties (self, self->cycle_cancellable, resync_done_cb, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* NOTIFY */

static void
notify_cb (const HearthNotify *notify, gpointer user_data)
{
  HearthDeviceProxy *self = user_data;
  HearthDescription *description = hearth_device_get_description (self->device);

  self->last_notify_us = g_get_monotonic_time ();
  hearth_device_set_last_heard (self->device, g_get_real_time ());

  for (guint i = 0; i < notify->entries->len; i++)
    {
      HearthNotifyEntry *entry = g_ptr_array_index (notify->entries, i);

      if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY)
        {
          self->generation++;
          gpointer name = NULL;

          /* The key of a property seen before is taken out and put back: no allocation per
           * change. */
          if (!g_hash_table_steal_extended (self->changed_at, entry->name, &name, NULL))
            name = g_strdup (entry->name);
          g_hash_table_insert (self->changed_at, name, GSIZE_TO_POINTER (self->generation));
          apply_value (self, entry->name, entry->value, HEARTH_EVENT_SOURCE_NOTIFY,
                       entry->device_time_ms);
        }
      else
        {
          const HearthEventInfo *info
              = description != NULL ? hearth_description_lookup_event (description, entry->name)
                                    : NULL;
          g_autoptr (GError) error = NULL;
          g_autoptr (HearthEvent) event = NULL;

          if (info == NULL
              || (info->data != NULL
                  && !hearth_schema_check_value (info->data, entry->value, &error))
              || (info->data == NULL && !JSON_NODE_HOLDS_NULL (entry->value)))
            {
              g_debug ("Ignoring event %s from %s: not as described", entry->name,
                       hearth_device_get_id (self->device));
              continue;
            }
          event = hearth_event_new (HEARTH_EVENT_DEVICE_EVENT, HEARTH_EVENT_SOURCE_NOTIFY,
                                    hearth_device_get_id (self->device), entry->name, entry->value,
                                    entry->device_time_ms);
          hearth_event_bus_publish (self->bus, event);
        }
    }

  /* The entries of a lost NOTIFY are gone; what they changed is read back. */
  if (notify->n_lost > 0)
    {
      self->n_lost_notifies += notify->n_lost;
      request_resync (self);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* The subscription cycle */

static guint
backoff_delay_ms (HearthDeviceProxy *self)
{
  guint shift = MIN (self->backoff_attempt, 16u);
  guint64 delay = (guint64)MIN_BACKOFF_MS << shift;

  self->backoff_attempt++;
  delay = MIN (delay, (guint64)self->max_backoff_ms);
  /* ±25 % jitter, so that devices that went away together do not come back in lockstep. */
  return (guint)((double)delay * g_random_double_range (0.75, 1.25));
}

static gboolean
retry_cb (gpointer user_data)
{
  HearthDeviceProxy *self = user_data;

  self->retry_source = 0;
  start_cycle (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (HearthDeviceProxy *self)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (!self->started)
    return;
  self->retry_source = g_timeout_add (backoff_delay_ms (self), retry_cb, self);
}

static void
drop_subscription (HearthDeviceProxy *self)
{
  g_clear_handle_id (&self->renew_source, g_source_remove);
  g_clear_handle_id (&self->watchdog_source, g_source_remove);
  if (self->sid != NULL)
    hearth_event_server_remove_subscription (self->event_server, self->sid);
  g_clear_pointer (&self->sid, g_free);
  if (self->held_key != NULL)
    {
      hearth_event_server_release_key (self->event_server, self->held_key);
      g_clear_pointer (&self->held_key, g_free);
    }
}

/* A failure of the cycle or of the subscription: what the device's state becomes depends on
 * what failed. Trust failures set their own state in accept_certificate_cb() and wait for the
 * user; everything else is retried. */
static void
go_offline (HearthDeviceProxy *self, const GError *error)
{
  HearthDeviceState state = hearth_device_get_state (self->device);

  g_debug ("%s: connection lost: %s", hearth_device_get_id (self->device),
           error != NULL ? error->message : "no error");
  drop_subscription (self);
  g_cancellable_cancel (self->cycle_cancellable);
  self->resync_in_flight = FALSE;

  if (error != NULL && g_error_matches (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_TRUSTED)
      && (state == HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED || state == HEARTH_DEVICE_STATE_BLOCKED))
    {
      hearth_device_proxy_reset_session (self);
      return;
    }

  if (error != NULL)
    hearth_device_set_problem (self->device, error->message);
  if (error != NULL
      && (g_error_matches (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA)
          || g_error_matches (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE)
          || g_error_matches (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_UNUSABLE)))
    set_state (self, HEARTH_DEVICE_STATE_UNUSABLE);
  else
    set_state (self, HEARTH_DEVICE_STATE_OFFLINE);

  /* The connection may be half dead (a killed device); the next attempt starts afresh. */
  hearth_device_proxy_reset_session (self);
  schedule_retry (self);
}

static gboolean watchdog_cb (gpointer user_data);

/* The liveness check runs once, 2.5 heartbeat intervals after the last NOTIFY, instead of
 * polling: a NOTIFY only notes its time, and the timer, when it fires early, sleeps again
 * until the new deadline. With 1,000 devices that is one wake-up per device every 2.5
 * intervals. */
static void
arm_watchdog (HearthDeviceProxy *self, gint64 delay_ms)
{
  g_clear_handle_id (&self->watchdog_source, g_source_remove);
  self->watchdog_source = g_timeout_add ((guint)MAX (delay_ms, 1), watchdog_cb, self);
}

static gboolean
watchdog_cb (gpointer user_data)
{
  HearthDeviceProxy *self = user_data;
  gint64 silence_ms = (g_get_monotonic_time () - self->last_notify_us) / 1000;
  gint64 limit_ms = (gint64)self->heartbeat * 2500;

  self->watchdog_source = 0;
  if (silence_ms <= limit_ms)
    {
      arm_watchdog (self, limit_ms - silence_ms + 1);
      return G_SOURCE_REMOVE;
    }

  {
    g_autoptr (GError) error = g_error_new (
        HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_TIMEOUT,
        "No NOTIFY for %" G_GINT64_FORMAT " ms (heartbeat %u s)", silence_ms, self->heartbeat);

    self->backoff_attempt = 0;
    go_offline (self, error);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
parse_seconds (const char *text, guint *out)
{
  guint64 value;

  if (text == NULL || !g_str_has_prefix (text, "Second-")
      || !g_ascii_string_to_unsigned (text + 7, 10, 1, 86400, &value, NULL))
    return FALSE;
  *out = (guint)value;
  return TRUE;
}

static void renew (HearthDeviceProxy *self);

static gboolean
renew_cb (gpointer user_data)
{
  HearthDeviceProxy *self = user_data;

  self->renew_source = 0;
  renew (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_renew (HearthDeviceProxy *self, guint delay_ms)
{
  g_clear_handle_id (&self->renew_source, g_source_remove);
  self->renew_source = g_timeout_add (delay_ms, renew_cb, self);
}

/* Half the lease, ±10 %. */
static guint
renew_delay_ms (HearthDeviceProxy *self)
{
  return (guint)((double)self->lease * 500.0 * g_random_double_range (0.9, 1.1));
}

static gboolean
read_subscription_headers (HearthDeviceProxy *self, SoupMessage *msg, gboolean *boot_changed,
                           GError **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *sid = soup_message_headers_get_one (headers, "SID");
  const char *boot_id = soup_message_headers_get_one (headers, "BOOTID");
  guint lease, heartbeat;

  if (sid == NULL || strlen (sid) > 64 || boot_id == NULL || strlen (boot_id) != 32
      || !parse_seconds (soup_message_headers_get_one (headers, "TIMEOUT"), &lease)
      || !parse_seconds (soup_message_headers_get_one (headers, "HEARTBEAT"), &heartbeat)
      || heartbeat > 60)
    {
      g_set_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                   "The SUBSCRIBE answer lacks a valid SID, TIMEOUT, HEARTBEAT or BOOTID");
      return FALSE;
    }

  *boot_changed = g_strcmp0 (self->boot_id, boot_id) != 0;
  g_free (self->boot_id);
  self->boot_id = g_strdup (boot_id);
  if (self->sid == NULL || strcmp (self->sid, sid) != 0)
    {
      if (self->sid != NULL)
        hearth_event_server_remove_subscription (self->event_server, self->sid);
      g_free (self->sid);
      self->sid = g_strdup (sid);
    }
  self->lease = MAX (lease, 2u);
  self->heartbeat = heartbeat;
  hearth_device_set_heartbeat_interval (self->device, heartbeat);
  return TRUE;
}

static void
renewed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (Answer) answer = NULL;
  g_autoptr (GError) error = NULL;
  gboolean boot_changed = FALSE;

  answer = send_request_finish (self, result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* 412: the device forgot the subscription (lease ran out, reboot): subscribe anew. */
      if (g_error_matches (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL)
          || g_error_matches (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_TRUSTED))
        {
          go_offline (self, error);
          return;
        }
      /* Unreachable for now: try again soon; the liveness check decides about offline. */
      schedule_renew (self, MIN (self->lease * 100u, 5000u));
      return;
    }

  if (!read_subscription_headers (self, answer->msg, &boot_changed, &error))
    {
      go_offline (self, error);
      return;
    }
  if (boot_changed)
    request_resync (self);
  schedule_renew (self, renew_delay_ms (self));
}

static void
renew (HearthDeviceProxy *self)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *timeout = g_strdup_printf ("Second-%u", DEFAULT_LEASE_S);
  g_autofree char *heartbeat = g_strdup_printf ("Second-%u", self->requested_heartbeat);

  soup_message_headers_append (headers, "SID", self->sid);
  soup_message_headers_append (headers, "TIMEOUT", timeout);
  soup_message_headers_append (headers, "HEARTBEAT", heartbeat);
  send_request (self, "SUBSCRIBE", "/events", headers, NULL, ANSWER_MAX_BYTES,
                self->cycle_cancellable, renewed_cb, NULL);
}

static void
cycle_properties_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("%s: first read: %s", hearth_device_get_id (self->device), error->message);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        go_offline (self, error);
      return;
    }

  if (self->was_online_once)
    hearth_device_set_resubscribe_count (self->device,
                                         hearth_device_get_resubscribe_count (self->device) + 1);
  self->was_online_once = TRUE;
  self->backoff_attempt = 0;
  g_debug ("%s: online", hearth_device_get_id (self->device));
  hearth_device_set_problem (self->device, NULL);
  set_state (self, HEARTH_DEVICE_STATE_ONLINE);

  /* A gap reported while the first read was under way needs another read. */
  if (self->resync_again)
    request_resync (self);
}

static void
cycle_subscribed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (Answer) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthTrustPin) pin = NULL;
  gboolean boot_changed;

  answer = send_request_finish (self, result, &error);
  if (answer == NULL || !read_subscription_headers (self, answer->msg, &boot_changed, &error))
    {
      g_debug ("%s: SUBSCRIBE: %s", hearth_device_get_id (self->device), error->message);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        go_offline (self, error);
      return;
    }

  pin = hearth_trust_store_get_pin (self->trust_store, hearth_device_get_id (self->device));
  if (pin == NULL)
    {
      g_set_error (&error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_TRUSTED,
                   "The device is no longer paired");
      go_offline (self, error);
      return;
    }
  hearth_event_server_add_subscription (self->event_server, self->sid,
                                        hearth_device_get_id (self->device), pin->fingerprint,
                                        self->boot_id, notify_cb, self);
  if (self->held_key != NULL)
    {
      hearth_event_server_release_key (self->event_server, self->held_key);
      g_clear_pointer (&self->held_key, g_free);
    }

  self->last_notify_us = g_get_monotonic_time ();
  arm_watchdog (self, (gint64)self->heartbeat * 2500);
  schedule_renew (self, renew_delay_ms (self));

  /* The subscription reports changes from now on; the state before it is read (§7.4). */
  self->resync_in_flight = FALSE;
  self->resync_again = FALSE;
  read_properties (self, self->cycle_cancellable, cycle_properties_cb, NULL);
}

/* The address toward the device when no connection has reported one (a connection reused
 * from before): connect() on a UDP socket picks the route and the source address without
 * sending anything. */
static GInetAddress *
local_address_toward (const char *host, guint16 port)
{
  g_autoptr (GInetAddress) remote = g_inet_address_new_from_string (host);
  g_autoptr (GSocketAddress) remote_address = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocket) socket = NULL;

  if (remote == NULL)
    return NULL;
  socket = g_socket_new (g_inet_address_get_family (remote), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, NULL);
  remote_address = g_inet_socket_address_new (remote, port);
  if (socket == NULL || !g_socket_connect (socket, remote_address, NULL, NULL)
      || (local = g_socket_get_local_address (socket, NULL)) == NULL)
    return NULL;
  return g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

static void
cycle_description_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (Answer) answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description = NULL;
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autoptr (HearthTrustPin) pin = NULL;
  g_autofree char *json = NULL;
  g_autofree char *callback = NULL;
  g_autofree char *callback_header = NULL;
  g_autofree char *timeout = NULL;
  g_autofree char *heartbeat = NULL;

  answer = send_request_finish (self, result, &error);
  if (answer == NULL)
    {
      g_debug ("%s: description: %s", hearth_device_get_id (self->device), error->message);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        go_offline (self, error);
      return;
    }

  /* Validated from the text, with the parser's own limits. */
  json = answer->json != NULL ? json_to_string (answer->json, FALSE) : g_strdup ("");
  description = hearth_description_parse (json, strlen (json), &error);
  if (description == NULL)
    {
      go_offline (self, error);
      return;
    }
  if (strcmp (hearth_description_get_id (description), hearth_device_get_id (self->device)) != 0)
    {
      g_set_error (&error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_UNUSABLE,
                   "The device describes itself as “%s”", hearth_description_get_id (description));
      go_offline (self, error);
      return;
    }
  hearth_device_set_description (self->device, description);
  hearth_device_set_name (self->device, hearth_description_get_name (description));

  if (self->local_address == NULL)
    self->local_address = local_address_toward (hearth_device_get_host (self->device),
                                                hearth_device_get_port (self->device));
  pin = hearth_trust_store_get_pin (self->trust_store, hearth_device_get_id (self->device));
  if (self->local_address == NULL || pin == NULL)
    {
      g_set_error (&error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_TRANSPORT,
                   "Cannot tell which address the device can call back");
      go_offline (self, error);
      return;
    }

  callback = hearth_event_server_build_callback_url (self->event_server, self->local_address,
                                                     hearth_device_get_id (self->device));
  callback_header = g_strdup_printf ("<%s>", callback);
  timeout = g_strdup_printf ("Second-%u", DEFAULT_LEASE_S);
  heartbeat = g_strdup_printf ("Second-%u", self->requested_heartbeat);
  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_append (headers, "CALLBACK", callback_header);
  soup_message_headers_append (headers, "NT", "iotscp:event");
  soup_message_headers_append (headers, "TIMEOUT", timeout);
  soup_message_headers_append (headers, "HEARTBEAT", heartbeat);

  /* From here until the SID is registered, a NOTIFY with this key is asked to come back
   * later instead of ending the new subscription. */
  if (self->held_key == NULL)
    {
      self->held_key = g_strdup (pin->fingerprint);
      hearth_event_server_hold_key (self->event_server, self->held_key);
    }
  send_request (self, "SUBSCRIBE", "/events", headers, NULL, ANSWER_MAX_BYTES,
                self->cycle_cancellable, cycle_subscribed_cb, NULL);
}

static void
unsubscribed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (Answer) answer = send_request_finish (self, result, NULL);
}

/* A new cycle makes a new subscription; the device would keep the old one (one of its 4
 * slots, docs/protocol.md §7.1) until the hub answers one of its NOTIFYs 412, so it is ended
 * now. Sent before the cycle's requests on the same connection, whose order libsoup keeps;
 * the answer does not matter (412 if the device already forgot it). */
static void
unsubscribe_abandoned (HearthDeviceProxy *self, const char *sid)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  soup_message_headers_append (headers, "SID", sid);
  send_request (self, "UNSUBSCRIBE", "/events", headers, NULL, ANSWER_MAX_BYTES, NULL,
                unsubscribed_cb, NULL);
}

static void
start_cycle (HearthDeviceProxy *self)
{
  g_autofree char *abandoned_sid = g_strdup (self->sid);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_subscription (self);
  g_cancellable_cancel (self->cycle_cancellable);
  g_clear_object (&self->cycle_cancellable);
  self->cycle_cancellable = g_cancellable_new ();
  self->resync_in_flight = FALSE;

  g_debug ("%s: cycle starts", hearth_device_get_id (self->device));
  if (abandoned_sid != NULL)
    unsubscribe_abandoned (self, abandoned_sid);
  send_request (self, "GET", "/.well-known/iotscp", NULL, NULL, DESCRIPTION_MAX_BYTES,
                self->cycle_cancellable, cycle_description_cb, NULL);
}

static void
trust_changed_cb (HearthTrustStore *store, gpointer user_data)
{
  HearthDeviceProxy *self = user_data;
  const char *device_id = hearth_device_get_id (self->device);
  g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (store, device_id);
  HearthDeviceState state = hearth_device_get_state (self->device);
  HearthTrustVerdict verdict = pin != NULL
                                   ? hearth_trust_store_check (store, device_id, pin->fingerprint)
                                   : HEARTH_TRUST_VERDICT_UNKNOWN;

  if (verdict != HEARTH_TRUST_VERDICT_TRUSTED)
    {
      /* Forgotten or blocked: stop at once, also on a connection that is already open. */
      if (state != HEARTH_DEVICE_STATE_BLOCKED && state != HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED)
        {
          drop_subscription (self);
          g_cancellable_cancel (self->cycle_cancellable);
          hearth_device_proxy_reset_session (self);
          g_clear_handle_id (&self->retry_source, g_source_remove);
          set_state (self, verdict == HEARTH_TRUST_VERDICT_BLOCKED ? HEARTH_DEVICE_STATE_BLOCKED
                                                                   : HEARTH_DEVICE_STATE_OFFLINE);
        }
      return;
    }

  /* The pinned key is trusted again (approved, unblocked): a device that was refused gets a
   * new connection, whose handshake decides. */
  if (self->started
      && (state == HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED || state == HEARTH_DEVICE_STATE_BLOCKED))
    {
      set_state (self, HEARTH_DEVICE_STATE_OFFLINE);
      hearth_device_proxy_reset_session (self);
      self->backoff_attempt = 0;
      start_cycle (self);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* GObject */

static void
hearth_device_proxy_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        g_value_set_object (value, self->device);
        break;
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
      case PROP_REQUESTED_HEARTBEAT:
        g_value_set_uint (value, self->requested_heartbeat);
        break;
      case PROP_MAX_BACKOFF:
        g_value_set_uint (value, self->max_backoff_ms);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_proxy_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        self->device = g_value_dup_object (value);
        break;
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
      case PROP_REQUESTED_HEARTBEAT:
        hearth_device_proxy_set_requested_heartbeat (self, g_value_get_uint (value));
        break;
      case PROP_MAX_BACKOFF:
        hearth_device_proxy_set_max_backoff (self, g_value_get_uint (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define SHARED_SESSION_KEY "hearth-device-proxy-session"
/* Far above any number of devices: when libsoup reaches this limit it closes every idle
 * connection of the session. */
#define SHARED_SESSION_MAX_CONNECTIONS 65536

/* The session of every proxy that uses @identity's certificate: a connection made with one
 * client certificate is never reused for requests that should carry another. */
static SoupSession *
shared_session_for (HearthHubIdentity *identity)
{
  SoupSession *session = g_object_get_data (G_OBJECT (identity), SHARED_SESSION_KEY);

  if (session != NULL)
    return g_object_ref (session);

  hearth_device_proxy_use_pinned_keys_only ();
  session = soup_session_new_with_options ("max-conns", SHARED_SESSION_MAX_CONNECTIONS,
                                           "max-conns-per-host", 1, "timeout", REQUEST_TIMEOUT_S,
                                           "idle-timeout", IDLE_TIMEOUT_S, "tls-database", NULL,
                                           "proxy-resolver", NULL, "user-agent", "Hearth", NULL);
  g_object_set_data_full (G_OBJECT (identity), SHARED_SESSION_KEY, g_object_ref (session),
                          g_object_unref);
  return session;
}

static void
hearth_device_proxy_constructed (GObject *object)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (object);

  G_OBJECT_CLASS (hearth_device_proxy_parent_class)->constructed (object);

  self->session = shared_session_for (self->identity);
  g_signal_connect_object (self->trust_store, "changed", G_CALLBACK (trust_changed_cb), self, 0);
}

static void
hearth_device_proxy_dispose (GObject *object)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (object);

  self->started = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->cycle_cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->event_server != NULL)
    drop_subscription (self);
  if (self->requests != NULL)
    hearth_device_proxy_reset_session (self);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->cycle_cancellable);
  g_clear_object (&self->local_address);
  g_clear_object (&self->device);
  g_clear_object (&self->identity);
  g_clear_object (&self->trust_store);
  g_clear_object (&self->event_server);
  g_clear_object (&self->bus);
  g_clear_pointer (&self->values, g_hash_table_unref);
  g_clear_pointer (&self->changed_at, g_hash_table_unref);

  G_OBJECT_CLASS (hearth_device_proxy_parent_class)->dispose (object);
}

static void
hearth_device_proxy_finalize (GObject *object)
{
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (object);

  g_clear_object (&self->cancellable);
  g_weak_ref_clear (&self->socket);
  g_free (self->sid);
  g_free (self->boot_id);
  g_free (self->held_key);
  G_OBJECT_CLASS (hearth_device_proxy_parent_class)->finalize (object);
}

static void
hearth_device_proxy_class_init (HearthDeviceProxyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags read_write = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_device_proxy_get_property;
  object_class->set_property = hearth_device_proxy_set_property;
  object_class->constructed = hearth_device_proxy_constructed;
  object_class->dispose = hearth_device_proxy_dispose;
  object_class->finalize = hearth_device_proxy_finalize;

  properties[PROP_DEVICE]
      = g_param_spec_object ("device", NULL, NULL, HEARTH_TYPE_DEVICE, construct);
  properties[PROP_IDENTITY]
      = g_param_spec_object ("identity", NULL, NULL, HEARTH_TYPE_HUB_IDENTITY, construct);
  properties[PROP_TRUST_STORE]
      = g_param_spec_object ("trust-store", NULL, NULL, HEARTH_TYPE_TRUST_STORE, construct);
  properties[PROP_EVENT_SERVER]
      = g_param_spec_object ("event-server", NULL, NULL, HEARTH_TYPE_EVENT_SERVER, construct);
  properties[PROP_BUS] = g_param_spec_object ("bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS, construct);
  /* The heartbeat interval asked for in SUBSCRIBE (the device clamps it to 1…60 s). */
  properties[PROP_REQUESTED_HEARTBEAT] = g_param_spec_uint ("requested-heartbeat", NULL, NULL, 1,
                                                            60, DEFAULT_HEARTBEAT_S, read_write);
  /* The longest wait between two attempts to reach an unreachable device. */
  properties[PROP_MAX_BACKOFF] = g_param_spec_uint ("max-backoff", NULL, NULL, MIN_BACKOFF_MS,
                                                    600000, DEFAULT_MAX_BACKOFF_MS, read_write);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_device_proxy_init (HearthDeviceProxy *self)
{
  self->cancellable = g_cancellable_new ();
  self->cycle_cancellable = g_cancellable_new ();
  self->requests = g_ptr_array_new ();
  g_weak_ref_init (&self->socket, NULL);
  self->values
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_node_unref);
  self->changed_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->requested_heartbeat = DEFAULT_HEARTBEAT_S;
  self->max_backoff_ms = DEFAULT_MAX_BACKOFF_MS;
  self->heartbeat = DEFAULT_HEARTBEAT_S;
  self->lease = DEFAULT_LEASE_S;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API */

/**
 * hearth_device_proxy_new:
 * @device: the registry's item for the device; the proxy keeps its state and figures current
 * @identity: the hub's identity (client certificate)
 * @trust_store: where the device's pinned key is
 * @event_server: where the device's NOTIFYs arrive
 * @bus: where property changes, events and liveness changes are published
 *
 * Returns: (transfer full): a proxy; call hearth_device_proxy_start() to connect
 */
HearthDeviceProxy *
hearth_device_proxy_new (HearthDevice *device, HearthHubIdentity *identity,
                         HearthTrustStore *trust_store, HearthEventServer *event_server,
                         HearthEventBus *bus)
{
  return g_object_new (HEARTH_TYPE_DEVICE_PROXY, "device", device, "identity", identity,
                       "trust-store", trust_store, "event-server", event_server, "bus", bus, NULL);
}

HearthDevice *
hearth_device_proxy_get_device (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  return self->device;
}

/**
 * hearth_device_proxy_start:
 *
 * Starts the subscription cycle (description, SUBSCRIBE, read) and keeps it going until
 * hearth_device_proxy_stop(): the proxy retries on its own.
 */
void
hearth_device_proxy_start (HearthDeviceProxy *self)
{
  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  if (self->started)
    return;
  self->started = TRUE;
  self->backoff_attempt = 0;
  if (hearth_device_get_state (self->device) == HEARTH_DEVICE_STATE_NEW)
    set_state (self, HEARTH_DEVICE_STATE_OFFLINE);
  start_cycle (self);
}

/**
 * hearth_device_proxy_reconnect:
 *
 * Drops the connection and the subscription and starts the cycle again now, e.g. when
 * discovery reports the device at a new address or announcing itself after a reboot. A
 * quarantined device gets a new handshake, which is refused again (and counted on its pending
 * change) unless the user approved its key.
 */
void
hearth_device_proxy_reconnect (HearthDeviceProxy *self)
{
  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  self->started = TRUE;
  self->backoff_attempt = 0;
  hearth_device_proxy_reset_session (self);
  start_cycle (self);
}

/**
 * hearth_device_proxy_stop:
 *
 * Stops talking to the device: cancels requests and timers, forgets the subscription (the
 * device's lease ends by itself, and its NOTIFYs are answered 412 meanwhile).
 */
void
hearth_device_proxy_stop (HearthDeviceProxy *self)
{
  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  self->started = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_subscription (self);
  g_cancellable_cancel (self->cycle_cancellable);
  hearth_device_proxy_reset_session (self);
}

guint
hearth_device_proxy_get_requested_heartbeat (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), 0);
  return self->requested_heartbeat;
}

void
hearth_device_proxy_set_requested_heartbeat (HearthDeviceProxy *self, guint seconds)
{
  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  seconds = CLAMP (seconds, 1, 60);
  if (self->requested_heartbeat == seconds)
    return;
  self->requested_heartbeat = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTED_HEARTBEAT]);
}

guint
hearth_device_proxy_get_max_backoff (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), 0);
  return self->max_backoff_ms;
}

void
hearth_device_proxy_set_max_backoff (HearthDeviceProxy *self, guint milliseconds)
{
  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  milliseconds = MAX (milliseconds, MIN_BACKOFF_MS);
  if (self->max_backoff_ms == milliseconds)
    return;
  self->max_backoff_ms = milliseconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_BACKOFF]);
}

/**
 * hearth_device_proxy_get_value:
 *
 * Returns: (transfer none) (nullable): the cached value of @property
 */
JsonNode *
hearth_device_proxy_get_value (HearthDeviceProxy *self, const char *property)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  return g_hash_table_lookup (self->values, property);
}

/**
 * hearth_device_proxy_list_values:
 *
 * Returns: (transfer full): the names of the properties with a cached value
 */
GStrv
hearth_device_proxy_list_values (HearthDeviceProxy *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  g_hash_table_iter_init (&iter, self->values);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_strv_builder_add (builder, key);
  return g_strv_builder_end (builder);
}

const char *
hearth_device_proxy_get_sid (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  return self->sid;
}

/**
 * hearth_device_proxy_get_boot_id:
 *
 * Returns: (nullable): the device's boot id, from its last SUBSCRIBE answer
 */
const char *
hearth_device_proxy_get_boot_id (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  return self->boot_id;
}

/** hearth_device_proxy_get_n_resyncs: Returns: how many full re-reads completed */
guint64
hearth_device_proxy_get_n_resyncs (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), 0);
  return self->n_resyncs;
}

/** hearth_device_proxy_get_n_lost_notifies: Returns: the sum of all SEQ gaps seen */
guint64
hearth_device_proxy_get_n_lost_notifies (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), 0);
  return self->n_lost_notifies;
}

/** hearth_device_proxy_get_n_handshakes_refused: Returns: TLS handshakes refused by pinning */
guint64
hearth_device_proxy_get_n_handshakes_refused (HearthDeviceProxy *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), 0);
  return self->n_handshakes_refused;
}

/**
 * hearth_device_proxy_read_properties_async:
 *
 * Reads every property from the device into the cache (hearth_device_proxy_get_value());
 * changed values are published on the bus.
 */
void
hearth_device_proxy_read_properties_async (HearthDeviceProxy *self, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));

  if (!check_usable (self, &error))
    {
      g_task_report_error (self, callback, user_data, hearth_device_proxy_read_properties_async,
                           g_steal_pointer (&error));
      return;
    }
  read_properties (self, cancellable, callback, user_data);
}

gboolean
hearth_device_proxy_read_properties_finish (HearthDeviceProxy *self, GAsyncResult *result,
                                            GError **error)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  char *name;
  guint64 generation;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_free (data->name);
  g_free (data);
}

static void
property_written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  WriteData *data = g_task_get_task_data (task);
  g_autoptr (Answer) answer = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *applied;

  answer = send_request_finish (self, result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (answer->json == NULL || !JSON_NODE_HOLDS_OBJECT (answer->json)
      || (applied = json_object_get_member (json_node_get_object (answer->json), "value")) == NULL)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                               "The answer to PUT has no “value”");
      return;
    }

  if (GPOINTER_TO_SIZE (g_hash_table_lookup (self->changed_at, data->name)) <= data->generation)
    apply_value (self, data->name, applied, HEARTH_EVENT_SOURCE_WRITE, -1);
  g_task_return_pointer (task, json_node_copy (applied), (GDestroyNotify)json_node_unref);
}

/**
 * hearth_device_proxy_write_property_async:
 * @self: a #HearthDeviceProxy
 * @property: the property name
 * @value: the value to write
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Writes a property. The value is checked against the description first; an invalid value or
 * a read-only property fails without anything being sent.
 */
void
hearth_device_proxy_write_property_async (HearthDeviceProxy *self, const char *property,
                                          JsonNode *value, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autofree char *path = NULL;
  const HearthSchema *schema;
  WriteData *data;

  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  g_return_if_fail (property != NULL && value != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_device_proxy_write_property_async);

  if (!check_usable (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  schema
      = hearth_description_lookup_property (hearth_device_get_description (self->device), property);
  if (schema == NULL)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_FOUND,
                               "The device has no property “%s”", property);
      return;
    }
  if (schema->read_only)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_READ_ONLY,
                               "The property “%s” is read-only", property);
      return;
    }
  if (!hearth_schema_check_value (schema, value, &error))
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_INVALID_VALUE, "%s",
                               error->message);
      return;
    }

  object = json_object_new ();
  json_object_set_member (object, "value", json_node_copy (value));
  body = json_node_init_object (json_node_alloc (), object);
  path = name_path ("/properties/", property);
  data = g_new0 (WriteData, 1);
  data->name = g_strdup (property);
  data->generation = self->generation;
  g_task_set_task_data (task, data, (GDestroyNotify)write_data_free);
  send_request (self, "PUT", path, NULL, body, ANSWER_MAX_BYTES, cancellable, property_written_cb,
                g_steal_pointer (&task));
}

/**
 * hearth_device_proxy_write_property_finish:
 *
 * Returns: (transfer full): the value the device applied (it may round to the step), or %NULL
 *   with a %HEARTH_DEVICE_ERROR (for a refusal, the device's own message)
 */
JsonNode *
hearth_device_proxy_write_property_finish (HearthDeviceProxy *self, GAsyncResult *result,
                                           GError **error)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
action_called_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HearthDeviceProxy *self = HEARTH_DEVICE_PROXY (source);
  g_autoptr (Answer) answer = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *output;

  answer = send_request_finish (self, result, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (answer->json == NULL || !JSON_NODE_HOLDS_OBJECT (answer->json)
      || (output = json_object_get_member (json_node_get_object (answer->json), "output")) == NULL)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_PROTOCOL,
                               "The answer to the action has no “output”");
      return;
    }
  g_task_return_pointer (task, json_node_copy (output), (GDestroyNotify)json_node_unref);
}

/**
 * hearth_device_proxy_call_action_async:
 * @self: a #HearthDeviceProxy
 * @action: the action name
 * @input: (nullable): the input object; %NULL for an action without input
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * Calls an action. The input is checked against the action's input schema first.
 */
void
hearth_device_proxy_call_action_async (HearthDeviceProxy *self, const char *action, JsonNode *input,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  const HearthActionInfo *info;

  g_return_if_fail (HEARTH_IS_DEVICE_PROXY (self));
  g_return_if_fail (action != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_device_proxy_call_action_async);

  if (!check_usable (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  info = hearth_description_lookup_action (hearth_device_get_description (self->device), action);
  if (info == NULL)
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_FOUND,
                               "The device has no action “%s”", action);
      return;
    }
  if (info->input != NULL && !hearth_schema_check_value (info->input, input, &error))
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_INVALID_VALUE, "%s",
                               error->message);
      return;
    }
  if (info->input == NULL && input != NULL && !JSON_NODE_HOLDS_NULL (input))
    {
      g_task_return_new_error (task, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_INVALID_VALUE,
                               "The action “%s” takes no input", action);
      return;
    }

  if (info->input != NULL)
    {
      g_autoptr (JsonObject) object = json_object_new ();

      json_object_set_member (object, "input", json_node_copy (input));
      body = json_node_init_object (json_node_alloc (), object);
    }
  path = name_path ("/actions/", action);
  send_request (self, "POST", path, NULL, body, ANSWER_MAX_BYTES, cancellable, action_called_cb,
                g_steal_pointer (&task));
}

/**
 * hearth_device_proxy_call_action_finish:
 *
 * Returns: (transfer full): the action's output (a JSON null node when it has none), or %NULL
 *   with a %HEARTH_DEVICE_ERROR
 */
JsonNode *
hearth_device_proxy_call_action_finish (HearthDeviceProxy *self, GAsyncResult *result,
                                        GError **error)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PROXY (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
