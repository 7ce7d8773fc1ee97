/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-event-server"

#include "hearth-event-server.h"

#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-notify-body.h"
#include "hearth-soup-server-leak.h"
#include "hearth-tls-server.h"

/* HearthEventServer is the hub's HTTPS endpoint for NOTIFY requests (docs/protocol.md §7.4,
 * §7.5). Devices connect to it with their own certificate as TLS client certificate; it serves
 * the hub's identity, so a device can check it talks to the key that subscribed.
 *
 * Every request passes these checks, in order, before anything reaches the event bus:
 *
 * 1. TLS: a client certificate is required, and its key must be the pinned key of a device
 *    that currently has a subscription; anything else fails the handshake. A device whose key
 *    changed (a certificate change) is refused here, so 0 of its events are accepted. The TLS
 *    layer is Hearth's own (HearthTlsServer, GnuTLS with one set of credentials for every
 *    connection); libsoup serves HTTP over the streams it hands on
 *    (soup_server_accept_iostream()). glib-networking's TLS cost about 20 KiB more per kept-alive
 *    device connection (docs/architecture.md, "Memory").
 * 2. Size and time: a Content-Length over 16 KiB closes the connection before the body is read
 *    (libsoup cannot answer before reading the body), a chunked body is cut off when it grows
 *    past 16 KiB, and a request that is not complete within the deadline (10 s, also for a stalled TLS handshake) has its
 *    connection closed. libsoup has no per-request deadline, so one is kept per connection.
 * 3. SID: unknown → 412 (the device ends that subscription). The path must be the callback path
 *    of that subscription.
 * 4. Key: the peer key must be the key pinned for the SID's device, else 403. The key is
 *    recorded per connection when its handshake is accepted (libsoup 3.2 would lose a
 *    per-request peer certificate on kept-alive connections anyway).
 * 5. Headers (NT, NTS, SEQ, BOOTID) and body (hearth-notify-body) → 400 when malformed.
 * 6. SEQ: a SEQ that is not newer than the last one accepted (a replay, or a batch that was
 *    overtaken) is refused with 409 and not delivered; a SEQ that skips numbers is delivered
 *    with the number of lost NOTIFYs, so the subscriber re-reads its state. */

#define NOTIFY_HEADER_MAX_BYTES 256
/* All headers of one request together, and their number: a device sends 8 headers of well
 * under 1 KiB in all (docs/protocol.md §7.4). */
#define HEADERS_MAX_BYTES 8192
#define HEADERS_MAX_COUNT 32
#define REQUEST_TIMEOUT_DEFAULT_S 10
/* A kept-alive connection with no request under way may wait this long for its next one; a
 * device sends at least a heartbeat every 60 s (docs/protocol.md §7.1). */
#define IDLE_TIMEOUT_S 65

enum
{
  PROP_0,
  PROP_IDENTITY,
  PROP_PORT,
  PROP_CALLBACK_PORT,
  PROP_REQUEST_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  char *sid;
  char *device_id;
  char *fingerprint;
  char *boot_id;
  char *path;
  guint32 last_seq;
  gboolean has_seq;
  HearthNotifyFunc func;
  gpointer user_data;
} Subscription;

typedef struct _ConnectionInfo ConnectionInfo;

struct _HearthEventServer
{
  GObject parent_instance;

  /* Owned */
  HearthHubIdentity *identity;
  HearthTlsServer *tls;
  SoupServer *server;
  GMainContext *context;     /* where libsoup serves this server's connections */
  GHashTable *subscriptions; /* sid → Subscription */
  GHashTable *keys;          /* fingerprint → number of subscriptions using it */
  GHashTable *pending_keys;  /* fingerprint → number of SUBSCRIBEs under way with it */
  /* A connection's remote address object (weak) → ConnectionInfo. libsoup gives a message
   * the very address object it was given with the stream, which makes it the connection's
   * key (a stream's connection has no GSocket in libsoup). */
  GHashTable *connections;
  guint16 port;
  guint16 callback_port;
  guint request_timeout;
  guint64 n_accepted;
  guint64 n_connections;
  guint64 n_rejected[HEARTH_NOTIFY_REJECTED_N_REASONS];
};

struct _ConnectionInfo
{
  HearthEventServer *server; /* borrowed: the server outlives its table */
  GObject *address;          /* weak; the key */
  HearthTlsStream *stream;   /* weak */
  char *fingerprint;
  /* The connection's deadline: one source for its whole life instead of a new timeout source
   * for each request (two per request were a measurable part of the intake path).
   * g_source_set_ready_time() wakes the main context up (a write to its eventfd and one more
   * loop turn) every time it is called, which three calls per request made another measurable
   * part, so requests only move deadline_at, and the source's ready time is moved only when
   * the deadline comes earlier than it; a source that fires before the deadline moves itself
   * on to it. The ready time is never later than deadline_at. */
  GSource *deadline;
  gint64 deadline_at; /* monotonic µs; -1: no deadline */
  guint n_requests;
};

G_DEFINE_FINAL_TYPE (HearthEventServer, hearth_event_server, G_TYPE_OBJECT)

static void
subscription_free (Subscription *subscription)
{
  g_free (subscription->sid);
  g_free (subscription->device_id);
  g_free (subscription->fingerprint);
  g_free (subscription->boot_id);
  g_free (subscription->path);
  g_free (subscription);
}

static void address_finalized (gpointer data, GObject *where_the_address_was);

static void
connection_info_free (ConnectionInfo *info)
{
  if (info->deadline != NULL)
    {
      g_source_destroy (info->deadline);
      g_source_unref (info->deadline);
    }
  if (info->address != NULL)
    g_object_weak_unref (info->address, address_finalized, info);
  g_clear_weak_pointer (&info->stream);
  g_free (info->fingerprint);
  g_free (info);
}

static void
address_finalized (gpointer data, GObject *where_the_address_was)
{
  ConnectionInfo *info = data;

  info->address = NULL;
  g_hash_table_remove (info->server->connections, where_the_address_was);
}

/* Ends a connection at once: libsoup's pending read fails, and it drops the connection and its
 * message (or, between two requests, hearth-soup-server-leak.c does). */
static void
shut_down (ConnectionInfo *info)
{
  if (info->stream != NULL)
    hearth_tls_stream_shutdown (info->stream);
}

static gboolean deadline_passed_cb (gpointer data);

/* A source that is dispatched at its ready time only (-1: never). */
static gboolean
deadline_source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs deadline_source_funcs = { .dispatch = deadline_source_dispatch };

static ConnectionInfo *
connection_info_add (HearthEventServer *self, HearthTlsStream *stream)
{
  ConnectionInfo *info = g_new0 (ConnectionInfo, 1);

  info->server = self;
  info->address = G_OBJECT (hearth_tls_stream_get_remote_address (stream));
  g_set_weak_pointer (&info->stream, stream);
  info->fingerprint = g_strdup (hearth_tls_stream_get_peer_fingerprint (stream));
  info->deadline_at = -1;
  info->deadline = g_source_new (&deadline_source_funcs, sizeof (GSource));
  g_source_set_callback (info->deadline, deadline_passed_cb, info, NULL);
  g_source_set_static_name (info->deadline, "[hearth] event server request deadline");
  g_source_attach (info->deadline, self->context);
  g_object_weak_ref (info->address, address_finalized, info);
  g_hash_table_insert (self->connections, info->address, info);
  return info;
}

static gboolean
deadline_passed_cb (gpointer data)
{
  ConnectionInfo *info = data;

  if (info->deadline_at >= 0 && g_source_get_time (info->deadline) < info->deadline_at)
    {
      /* The deadline moved on since the source was set: follow it. */
      g_source_set_ready_time (info->deadline, info->deadline_at);
      return G_SOURCE_CONTINUE;
    }
  g_source_set_ready_time (info->deadline, -1);
  if (info->deadline_at < 0)
    return G_SOURCE_CONTINUE; /* disarmed since the source was set */
  info->deadline_at = -1;
  info->server->n_rejected[HEARTH_NOTIFY_REJECTED_TIMEOUT]++;
  g_debug ("closing a connection whose request did not complete in time");
  /* Shutting the socket down makes libsoup's pending read fail; closing the fd under it instead
   * could hand the number to another file. */
  shut_down (info);
  return G_SOURCE_CONTINUE; /* the source stays with the connection, disarmed */
}

static void
arm_deadline (ConnectionInfo *info, guint seconds)
{
  gint64 ready_time = g_source_get_ready_time (info->deadline);

  info->deadline_at = g_source_get_time (info->deadline) + (gint64)seconds * G_USEC_PER_SEC;
  if (ready_time < 0 || ready_time > info->deadline_at)
    g_source_set_ready_time (info->deadline, info->deadline_at);
}

/* The source stays set: when it fires, it finds no deadline and goes to sleep. */
static void
disarm_deadline (ConnectionInfo *info)
{
  info->deadline_at = -1;
}

/* The TLS layer: accept only keys that own a subscription, or that a SUBSCRIBE under way
 * will give one. */
static gboolean
accept_peer_cb (const char *fingerprint, gpointer user_data)
{
  HearthEventServer *self = user_data;

  return g_hash_table_contains (self->keys, fingerprint)
         || g_hash_table_contains (self->pending_keys, fingerprint);
}

/* The checks of a request's headers and body as they arrive run in emission hooks of
 * SoupServerMessage's "got-headers" and "got-chunk", installed once for the process, rather than
 * in handlers connected to every message: libsoup makes a message per request, and three
 * handlers connected to each (a closure, a handler and a watch on the server each, all undone
 * when the message is finalized) were a measurable part of the intake path. A hook holds no
 * pointer into a server: it finds the message's connection in the tables of the event servers
 * alive in its thread, so a message that outlives its server (libsoup may keep serving one
 * after soup_server_disconnect()) finds nothing and is left alone. */
static GMutex live_servers_lock;
static GPtrArray *live_servers; /* HearthEventServer * (borrowed: each removes itself) */

static ConnectionInfo *
connection_info_of_message (SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  GMainContext *context = g_main_context_get_thread_default ();
  ConnectionInfo *info = NULL;

  if (address == NULL)
    return NULL;
  if (context == NULL)
    context = g_main_context_default ();
  /* A server's table is only used in the thread that runs its context, which is this one when
   * the contexts match. */
  g_mutex_lock (&live_servers_lock);
  for (guint i = 0; info == NULL && i < live_servers->len; i++)
    {
      HearthEventServer *server = g_ptr_array_index (live_servers, i);

      if (server->context == context)
        info = g_hash_table_lookup (server->connections, address);
    }
  g_mutex_unlock (&live_servers_lock);
  return info;
}

static void
check_request_headers (ConnectionInfo *info, SoupServerMessage *msg)
{
  HearthEventServer *self = info->server;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length;

  /* From here the body must arrive within the deadline too. */
  arm_deadline (info, self->request_timeout);

  /* libsoup has read the headers already; a request with more of them than any device sends
   * is not served further. */
  {
    SoupMessageHeadersIter iter;
    const char *name, *value;
    gsize total = 0;
    guint count = 0;

    soup_message_headers_iter_init (&iter, headers);
    while (soup_message_headers_iter_next (&iter, &name, &value))
      {
        total += strlen (name) + strlen (value) + 4;
        count++;
      }
    if (total > HEADERS_MAX_BYTES || count > HEADERS_MAX_COUNT)
      {
        self->n_rejected[HEARTH_NOTIFY_REJECTED_TOO_LARGE]++;
        shut_down (info);
        return;
      }
  }

  length = soup_message_headers_get_content_length (headers);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && length > HEARTH_NOTIFY_BODY_MAX_BYTES)
    {
      /* libsoup reads the whole body before a handler can answer, so a body over the limit is
       * not answered at all: the connection is closed before any of it is read. */
      self->n_rejected[HEARTH_NOTIFY_REJECTED_TOO_LARGE]++;
      shut_down (info);
    }
}

static gboolean
got_headers_hook (GSignalInvocationHint *hint, guint n_values, const GValue *values, gpointer data)
{
  SoupServerMessage *msg = g_value_get_object (&values[0]);
  ConnectionInfo *info = connection_info_of_message (msg);

  if (info != NULL)
    check_request_headers (info, msg);
  return TRUE; /* stays installed */
}

static gboolean
got_chunk_hook (GSignalInvocationHint *hint, guint n_values, const GValue *values, gpointer data)
{
  SoupServerMessage *msg = g_value_get_object (&values[0]);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  ConnectionInfo *info;

  /* Chunked bodies have no length up front: stop reading once they grow past the limit. */
  if (body->length > HEARTH_NOTIFY_BODY_MAX_BYTES
      && (info = connection_info_of_message (msg)) != NULL)
    {
      info->server->n_rejected[HEARTH_NOTIFY_REJECTED_TOO_LARGE]++;
      shut_down (info);
    }
  return TRUE;
}

/* Installs the hooks once for the process and registers @self for them. */
static void
register_live_server (HearthEventServer *self)
{
  g_mutex_lock (&live_servers_lock);
  if (live_servers == NULL)
    {
      /* The class must exist for its signals to be found; it is kept for the hooks. */
      GTypeClass *message_class = g_type_class_ref (SOUP_TYPE_SERVER_MESSAGE);

      live_servers = g_ptr_array_new ();
      g_signal_add_emission_hook (g_signal_lookup ("got-headers", SOUP_TYPE_SERVER_MESSAGE), 0,
                                  got_headers_hook, NULL, NULL);
      g_signal_add_emission_hook (g_signal_lookup ("got-chunk", SOUP_TYPE_SERVER_MESSAGE), 0,
                                  got_chunk_hook, NULL, NULL);
      (void)message_class;
    }
  g_ptr_array_add (live_servers, self);
  g_mutex_unlock (&live_servers_lock);
}

static void
unregister_live_server (HearthEventServer *self)
{
  g_mutex_lock (&live_servers_lock);
  if (live_servers != NULL)
    g_ptr_array_remove (live_servers, self);
  g_mutex_unlock (&live_servers_lock);
}

static ConnectionInfo *
connection_info_lookup (HearthEventServer *self, SoupServerMessage *msg)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);

  return address != NULL ? g_hash_table_lookup (self->connections, address) : NULL;
}

static void
request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  HearthEventServer *self = user_data;
  ConnectionInfo *info = connection_info_lookup (self, msg);

  if (info == NULL)
    return;

  /* The first request of a connection follows its handshake at once (a device connects to
   * send a NOTIFY) and must be complete within the request deadline; later ones start when the
   * device has something to send, so until their headers arrive the idle limit applies. */
  arm_deadline (info, info->n_requests++ == 0 ? self->request_timeout : IDLE_TIMEOUT_S);
}

static void
request_done_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  ConnectionInfo *info = connection_info_lookup (user_data, msg);

  if (info != NULL)
    disarm_deadline (info);
}

/* A handshake succeeded with a key that owns a subscription: libsoup serves HTTP over it. */
static void
tls_accepted_cb (HearthTlsServer *tls, HearthTlsStream *stream, gpointer user_data)
{
  HearthEventServer *self = user_data;
  GSocketAddress *local = hearth_tls_stream_get_local_address (stream);
  GSocketAddress *remote = hearth_tls_stream_get_remote_address (stream);
  g_autoptr (GError) error = NULL;

  if (local == NULL || remote == NULL)
    return; /* the peer is gone already; dropping the stream closes it */
  self->n_connections++;
  connection_info_add (self, stream);
  if (!hearth_soup_server_accept_stream (self->server, G_IO_STREAM (stream), local, remote,
                                         (HearthSoupStreamEndedFunc)hearth_tls_stream_has_ended,
                                         &error))
    g_debug ("libsoup did not take a connection: %s", error->message);
}

static void
respond (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  g_autofree char *body
      = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static gboolean
reject (HearthEventServer *self, SoupServerMessage *msg, HearthNotifyRejection reason, guint status,
        const char *code, const char *message)
{
  self->n_rejected[reason]++;
  respond (msg, status, code, message);
  return FALSE;
}

static const char *
get_header (SoupMessageHeaders *headers, const char *name)
{
  const char *value = soup_message_headers_get_one (headers, name);

  if (value == NULL || strlen (value) > NOTIFY_HEADER_MAX_BYTES)
    return NULL;
  return value;
}

static gboolean
parse_seq (const char *text, guint32 *out)
{
  guint64 value = 0;
  gsize length = text != NULL ? strlen (text) : 0;

  if (length == 0 || length > 10)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      value = value * 10 + (guint64)(text[i] - '0');
    }
  if (value > G_MAXUINT32)
    return FALSE;
  *out = (guint32)value;
  return TRUE;
}

static gboolean
boot_id_is_valid (const char *text)
{
  if (text == NULL || strlen (text) != 32)
    return FALSE;
  for (int i = 0; i < 32; i++)
    if (!g_ascii_isdigit (text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
      return FALSE;
  return TRUE;
}

static void
handle_notify (HearthEventServer *self, SoupServerMessage *msg, const char *path)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *peer_fingerprint = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  Subscription *subscription;
  ConnectionInfo *info;
  const char *sid, *nt, *nts, *boot_id, *content_type;
  HearthNotify notify = { 0 };
  guint32 seq, distance;

  if (soup_server_message_get_status (msg) != 0 && soup_server_message_get_status (msg) != 200)
    return; /* already answered in got-headers (too large) */

  if (strcmp (soup_server_message_get_method (msg), "NOTIFY") != 0)
    {
      reject (self, msg, HEARTH_NOTIFY_REJECTED_MALFORMED, SOUP_STATUS_METHOD_NOT_ALLOWED,
              "method-not-allowed", "Only NOTIFY is served here");
      return;
    }

  /* The peer's key, as recorded on the connection when its handshake was accepted. */
  if ((info = connection_info_lookup (self, msg)) != NULL)
    peer_fingerprint = info->fingerprint;

  sid = get_header (headers, "SID");
  subscription = sid != NULL ? g_hash_table_lookup (self->subscriptions, sid) : NULL;
  if (subscription == NULL || strcmp (subscription->path, path) != 0)
    {
      /* A device may send its first NOTIFY before the hub has read the answer to its
       * SUBSCRIBE. 412 would end that subscription, so while a SUBSCRIBE with this key is under
       * way the answer is 503: a failed NOTIFY, which the device counts as a SEQ gap and the
       * hub repairs by re-reading. */
      if (peer_fingerprint != NULL && g_hash_table_contains (self->pending_keys, peer_fingerprint))
        reject (self, msg, HEARTH_NOTIFY_REJECTED_UNKNOWN_SID, SOUP_STATUS_SERVICE_UNAVAILABLE,
                "busy", "The subscription is not registered yet");
      else
        reject (self, msg, HEARTH_NOTIFY_REJECTED_UNKNOWN_SID, SOUP_STATUS_PRECONDITION_FAILED,
                "precondition-failed", "Unknown SID");
      return;
    }

  if (peer_fingerprint == NULL || strcmp (peer_fingerprint, subscription->fingerprint) != 0)
    {
      reject (self, msg, HEARTH_NOTIFY_REJECTED_WRONG_KEY, SOUP_STATUS_FORBIDDEN, "forbidden",
              "This key does not own the subscription");
      return;
    }

  nt = get_header (headers, "NT");
  nts = get_header (headers, "NTS");
  boot_id = get_header (headers, "BOOTID");
  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (g_strcmp0 (nt, "iotscp:event") != 0
      || (g_strcmp0 (nts, "iotscp:update") != 0 && g_strcmp0 (nts, "iotscp:heartbeat") != 0)
      || !parse_seq (get_header (headers, "SEQ"), &seq) || !boot_id_is_valid (boot_id)
      || g_strcmp0 (content_type, "application/json") != 0)
    {
      reject (self, msg, HEARTH_NOTIFY_REJECTED_MALFORMED, SOUP_STATUS_BAD_REQUEST, "bad-request",
              "Malformed NOTIFY headers");
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  entries
      = hearth_notify_body_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (entries == NULL)
    {
      if (g_error_matches (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE))
        reject (self, msg, HEARTH_NOTIFY_REJECTED_TOO_LARGE, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                "payload-too-large", "The body is too large");
      else
        reject (self, msg, HEARTH_NOTIFY_REJECTED_MALFORMED, SOUP_STATUS_BAD_REQUEST,
                "invalid-json", "The body is not a valid NOTIFY body");
      return;
    }

  /* A subscription lives in the device's RAM for one boot (§7.1), so a NOTIFY for it with
   * another boot id is not from that subscription: refused and not delivered. The proxy learns
   * about a reboot from the boot id of its SUBSCRIBE answers and from the heartbeats that stop.
   *
   * SEQ counts modulo 2^32 (§7.4): a distance of 1 is the next NOTIFY, more is a gap, and 0 or
   * a "negative" distance (the upper half) is a replay or a NOTIFY overtaken by a later one. */
  if (strcmp (boot_id, subscription->boot_id) != 0)
    {
      reject (self, msg, HEARTH_NOTIFY_REJECTED_UNKNOWN_SID, SOUP_STATUS_PRECONDITION_FAILED,
              "precondition-failed", "This SID belongs to another boot of the device");
      return;
    }
  if (subscription->has_seq)
    {
      distance = seq - subscription->last_seq;
      if (distance == 0 || distance > G_MAXINT32)
        {
          reject (self, msg, HEARTH_NOTIFY_REJECTED_OLD_SEQ, SOUP_STATUS_CONFLICT, "old-seq",
                  "This SEQ is not newer than the last one accepted");
          return;
        }
      notify.n_lost = distance - 1;
    }
  else
    notify.n_lost = seq; /* the first NOTIFY of a subscription has SEQ 0 */

  subscription->has_seq = TRUE;
  subscription->last_seq = seq;

  self->n_accepted++;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);

  notify.device_id = subscription->device_id;
  notify.sid = subscription->sid;
  notify.seq = seq;
  notify.boot_id = boot_id;
  notify.is_heartbeat = strcmp (nts, "iotscp:heartbeat") == 0;
  notify.entries = entries;
  subscription->func (&notify, subscription->user_data);
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
  HearthEventServer *self = user_data;

  if (!g_str_has_prefix (path, HEARTH_EVENT_SERVER_PATH_PREFIX))
    {
      reject (self, msg, HEARTH_NOTIFY_REJECTED_MALFORMED, SOUP_STATUS_NOT_FOUND, "not-found",
              "Unknown path");
      return;
    }
  handle_notify (self, msg, path);
}

static void
hearth_event_server_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthEventServer *self = HEARTH_EVENT_SERVER (object);

  switch (prop_id)
    {
      case PROP_IDENTITY:
        g_value_set_object (value, self->identity);
        break;
      case PROP_PORT:
        g_value_set_uint (value, self->port);
        break;
      case PROP_CALLBACK_PORT:
        g_value_set_uint (value, hearth_event_server_get_callback_port (self));
        break;
      case PROP_REQUEST_TIMEOUT:
        g_value_set_uint (value, self->request_timeout);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_event_server_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  HearthEventServer *self = HEARTH_EVENT_SERVER (object);

  switch (prop_id)
    {
      case PROP_IDENTITY:
        self->identity = g_value_dup_object (value);
        break;
      case PROP_CALLBACK_PORT:
        hearth_event_server_set_callback_port (self, (guint16)g_value_get_uint (value));
        break;
      case PROP_REQUEST_TIMEOUT:
        hearth_event_server_set_request_timeout (self, g_value_get_uint (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A rotated hub key must reach the listening server too: devices moved to the new key check the
 * callback server's key against it, and would refuse to deliver NOTIFYs to the old one.
 * soup_server_set_tls_certificate() applies to listeners that already exist. */
static void
identity_certificate_changed_cb (HearthHubIdentity *identity, GParamSpec *pspec,
                                 HearthEventServer *self)
{
  g_autoptr (GError) error = NULL;

  if (self->tls != NULL
      && !hearth_tls_server_set_certificate (
          self->tls, hearth_hub_identity_get_certificate (identity), &error))
    g_warning ("The event server keeps the previous hub key: %s", error->message);
}

static void
hearth_event_server_constructed (GObject *object)
{
  HearthEventServer *self = HEARTH_EVENT_SERVER (object);

  G_OBJECT_CLASS (hearth_event_server_parent_class)->constructed (object);

  g_assert (self->identity != NULL);
  self->context = g_main_context_ref_thread_default ();
  register_live_server (self);
  self->server = soup_server_new ("server-header", NULL, NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  g_signal_connect_object (self->server, "request-started", G_CALLBACK (request_started_cb), self,
                           0);
  g_signal_connect_object (self->server, "request-finished", G_CALLBACK (request_done_cb), self, 0);
  g_signal_connect_object (self->server, "request-aborted", G_CALLBACK (request_done_cb), self, 0);
  g_signal_connect_object (self->identity, "notify::certificate",
                           G_CALLBACK (identity_certificate_changed_cb), self, 0);
}

static void
hearth_event_server_dispose (GObject *object)
{
  HearthEventServer *self = HEARTH_EVENT_SERVER (object);

  unregister_live_server (self);
  if (self->tls != NULL)
    hearth_tls_server_stop (self->tls);
  g_clear_object (&self->tls);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->subscriptions, g_hash_table_unref);
  g_clear_pointer (&self->keys, g_hash_table_unref);
  g_clear_pointer (&self->pending_keys, g_hash_table_unref);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (hearth_event_server_parent_class)->dispose (object);
}

static void
hearth_event_server_class_init (HearthEventServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_event_server_get_property;
  object_class->set_property = hearth_event_server_set_property;
  object_class->constructed = hearth_event_server_constructed;
  object_class->dispose = hearth_event_server_dispose;

  properties[PROP_IDENTITY]
      = g_param_spec_object ("identity", NULL, NULL, HEARTH_TYPE_HUB_IDENTITY,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT]
      = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The port devices are told to call back: the listening port unless set, e.g. behind a
   * port forward (and in tests, a fault-injecting proxy in front of the server). */
  properties[PROP_CALLBACK_PORT]
      = g_param_spec_uint ("callback-port", NULL, NULL, 0, 65535, 0,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUEST_TIMEOUT]
      = g_param_spec_uint ("request-timeout", NULL, NULL, 1, 600, REQUEST_TIMEOUT_DEFAULT_S,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_event_server_init (HearthEventServer *self)
{
  self->subscriptions
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)subscription_free);
  self->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->connections
      = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)connection_info_free);
  self->request_timeout = REQUEST_TIMEOUT_DEFAULT_S;
}

HearthEventServer *
hearth_event_server_new (HearthHubIdentity *identity)
{
  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (identity), NULL);
  return g_object_new (HEARTH_TYPE_EVENT_SERVER, "identity", identity, NULL);
}

/**
 * hearth_event_server_listen:
 * @self: a #HearthEventServer
 * @address: (nullable): the address to listen on; %NULL for every address (IPv4 and IPv6)
 * @port: the port; 0 picks a free one (see hearth_event_server_get_port())
 * @error: return location for a #GError
 *
 * Returns: %TRUE when listening; else %HEARTH_ERROR_LISTEN_FAILED naming the port
 */
/* libsoup keeps a connection alive after a request only while its server has a listener
 * (soup-server.c, request_finished(), libsoup 3.2 to 3.6); a server fed only with
 * soup_server_accept_iostream() closes every connection after its first request, and every
 * NOTIFY would cost the device a new handshake. So the server gets a listener nobody can
 * reach: a UNIX socket whose path is removed as soon as it listens. */
static gboolean
add_unreachable_listener (SoupServer *server, GError **error)
{
  g_autofree char *directory = g_dir_make_tmp ("hearth-event-server-XXXXXX", error);
  g_autofree char *path = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  gboolean listening;

  if (directory == NULL)
    return FALSE;
  path = g_build_filename (directory, "unreachable", NULL);
  address = g_unix_socket_address_new (path);
  socket
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  listening = socket != NULL && g_socket_bind (socket, address, FALSE, error)
              && g_socket_listen (socket, error);
  g_unlink (path);
  g_rmdir (directory);
  return listening && soup_server_listen_socket (server, socket, 0, error);
}

gboolean
hearth_event_server_listen (HearthEventServer *self, GInetAddress *address, guint16 port,
                            GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (HearthTlsServer) tls = NULL;

  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), FALSE);
  g_return_val_if_fail (self->tls == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Every device connection ends closed between two NOTIFYs. */
  hearth_soup_server_release_closed_connections (self->server);
  tls = hearth_tls_server_new (hearth_hub_identity_get_certificate (self->identity), &local_error);
  if (tls != NULL)
    {
      hearth_tls_server_set_peer_filter (tls, accept_peer_cb, self);
      hearth_tls_server_set_handshake_timeout (tls, self->request_timeout);
      g_signal_connect_object (tls, "accepted", G_CALLBACK (tls_accepted_cb), self, 0);
    }
  if (tls == NULL || !add_unreachable_listener (self->server, &local_error)
      || !hearth_tls_server_listen (tls, address, port, &local_error))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "The event server cannot listen on port %u: %s; choose another port", port,
                   local_error->message);
      return FALSE;
    }

  self->tls = g_steal_pointer (&tls);
  self->port = hearth_tls_server_get_port (self->tls);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  return TRUE;
}

guint16
hearth_event_server_get_port (HearthEventServer *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), 0);
  return self->port;
}

guint16
hearth_event_server_get_callback_port (HearthEventServer *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), 0);
  return self->callback_port != 0 ? self->callback_port : self->port;
}

void
hearth_event_server_set_callback_port (HearthEventServer *self, guint16 port)
{
  g_return_if_fail (HEARTH_IS_EVENT_SERVER (self));
  if (self->callback_port == port)
    return;
  self->callback_port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CALLBACK_PORT]);
}

guint
hearth_event_server_get_request_timeout (HearthEventServer *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), 0);
  return self->request_timeout;
}

void
hearth_event_server_set_request_timeout (HearthEventServer *self, guint seconds)
{
  g_return_if_fail (HEARTH_IS_EVENT_SERVER (self));
  g_return_if_fail (seconds > 0);
  if (self->request_timeout == seconds)
    return;
  self->request_timeout = seconds;
  if (self->tls != NULL)
    hearth_tls_server_set_handshake_timeout (self->tls, seconds);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUEST_TIMEOUT]);
}

/**
 * hearth_event_server_build_callback_url:
 * @self: a #HearthEventServer
 * @local_address: the hub's address on the connection to the device (the device only accepts a
 *   callback to the address the SUBSCRIBE came from)
 * @device_id: the device
 *
 * Returns: (transfer full): `https://<address>:<port>/iotscp/events/<device id>`
 */
char *
hearth_event_server_build_callback_url (HearthEventServer *self, GInetAddress *local_address,
                                        const char *device_id)
{
  g_autofree char *host = NULL;

  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), NULL);
  g_return_val_if_fail (G_IS_INET_ADDRESS (local_address), NULL);

  host = g_inet_address_to_string (local_address);
  if (g_inet_address_get_family (local_address) == G_SOCKET_FAMILY_IPV6)
    {
      char *bracketed = g_strdup_printf ("[%s]", host);

      g_free (host);
      host = bracketed;
    }
  return g_strdup_printf ("https://%s:%u%s%s", host, hearth_event_server_get_callback_port (self),
                          HEARTH_EVENT_SERVER_PATH_PREFIX, device_id);
}

/**
 * hearth_event_server_add_subscription:
 * @self: a #HearthEventServer
 * @sid: the SID the device answered
 * @device_id: the device
 * @fingerprint: the key pinned for the device: only NOTIFYs made with it are accepted
 * @boot_id: the BOOTID of the SUBSCRIBE answer
 * @func: called for every accepted NOTIFY of this subscription
 * @user_data: data for @func; must stay valid until the subscription is removed
 *
 * Registers a subscription. Replaces one with the same SID.
 */
void
hearth_event_server_add_subscription (HearthEventServer *self, const char *sid,
                                      const char *device_id, const char *fingerprint,
                                      const char *boot_id, HearthNotifyFunc func,
                                      gpointer user_data)
{
  Subscription *subscription;
  guint uses;

  g_return_if_fail (HEARTH_IS_EVENT_SERVER (self));
  g_return_if_fail (sid != NULL && device_id != NULL && fingerprint != NULL && func != NULL);

  hearth_event_server_remove_subscription (self, sid);

  subscription = g_new0 (Subscription, 1);
  subscription->sid = g_strdup (sid);
  subscription->device_id = g_strdup (device_id);
  subscription->fingerprint = g_strdup (fingerprint);
  subscription->boot_id = g_strdup (boot_id != NULL ? boot_id : "");
  subscription->path = g_strconcat (HEARTH_EVENT_SERVER_PATH_PREFIX, device_id, NULL);
  subscription->func = func;
  subscription->user_data = user_data;
  g_hash_table_insert (self->subscriptions, subscription->sid, subscription);

  uses = GPOINTER_TO_UINT (g_hash_table_lookup (self->keys, fingerprint));
  g_hash_table_insert (self->keys, g_strdup (fingerprint), GUINT_TO_POINTER (uses + 1));
}

void
hearth_event_server_remove_subscription (HearthEventServer *self, const char *sid)
{
  Subscription *subscription;
  guint uses;

  g_return_if_fail (HEARTH_IS_EVENT_SERVER (self));

  subscription = g_hash_table_lookup (self->subscriptions, sid);
  if (subscription == NULL)
    return;

  uses = GPOINTER_TO_UINT (g_hash_table_lookup (self->keys, subscription->fingerprint));
  if (uses <= 1)
    g_hash_table_remove (self->keys, subscription->fingerprint);
  else
    g_hash_table_insert (self->keys, g_strdup (subscription->fingerprint),
                         GUINT_TO_POINTER (uses - 1));
  g_hash_table_remove (self->subscriptions, sid);
}

static void
count_key (GHashTable *table, const char *fingerprint, int delta)
{
  guint uses = GPOINTER_TO_UINT (g_hash_table_lookup (table, fingerprint));

  if (delta < 0 && uses <= 1)
    g_hash_table_remove (table, fingerprint);
  else
    g_hash_table_insert (table, g_strdup (fingerprint), GUINT_TO_POINTER (uses + delta));
}

/**
 * hearth_event_server_hold_key:
 * @self: a #HearthEventServer
 * @fingerprint: the pinned key of a device the hub is subscribing to
 *
 * Announces a SUBSCRIBE under way: until hearth_event_server_release_key(), the device's
 * connections are accepted, and a NOTIFY with a SID not registered yet is answered 503 instead
 * of 412 (see handle_notify()).
 */
void
hearth_event_server_hold_key (HearthEventServer *self, const char *fingerprint)
{
  g_return_if_fail (HEARTH_IS_EVENT_SERVER (self));
  count_key (self->pending_keys, fingerprint, 1);
}

void
hearth_event_server_release_key (HearthEventServer *self, const char *fingerprint)
{
  g_return_if_fail (HEARTH_IS_EVENT_SERVER (self));
  count_key (self->pending_keys, fingerprint, -1);
}

guint64
hearth_event_server_get_n_accepted (HearthEventServer *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), 0);
  return self->n_accepted;
}

/* Connections whose TLS handshake succeeded, and that libsoup was given to serve. */
guint64
hearth_event_server_get_n_connections (HearthEventServer *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), 0);
  return self->n_connections;
}

guint64
hearth_event_server_get_n_rejected (HearthEventServer *self, HearthNotifyRejection reason)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_SERVER (self), 0);
  g_return_val_if_fail (reason < HEARTH_NOTIFY_REJECTED_N_REASONS, 0);
  /* Refused and stalled handshakes are counted by the TLS layer. */
  if (reason == HEARTH_NOTIFY_REJECTED_TLS && self->tls != NULL)
    return self->n_rejected[reason] + hearth_tls_server_get_n_refused (self->tls);
  if (reason == HEARTH_NOTIFY_REJECTED_TIMEOUT && self->tls != NULL)
    return self->n_rejected[reason] + hearth_tls_server_get_n_timed_out (self->tls);
  return self->n_rejected[reason];
}
