/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-tls"

#include "hearth-tls-server.h"

#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "hearth-error.h"
#include "hearth-fingerprint.h"

/* HearthTlsServer accepts TCP connections and runs the server side of their TLS handshakes
 * with GnuTLS, requiring a client certificate whose key the peer filter accepts. A connection
 * whose handshake succeeds is handed on as a HearthTlsStream ("accepted"); any other is closed
 * and leaves nothing behind.
 *
 * Why not libsoup's own TLS (glib-networking): see hearth-tls-stream.c. Besides memory, a
 * failed handshake inside libsoup 3.2 leaked its connection (hearth-soup-server-leak.c); here a
 * refused key costs nothing once its socket is closed.
 *
 * Everything runs in the thread-default main context of the thread that called
 * hearth_tls_server_listen(). */

/* Handshakes under way at once (HEARTH_TLS_SERVER_HANDSHAKES_MAX). More connections wait in
 * the kernel's backlog until one ends, so a flood of connections that never finish a handshake
 * (they are closed at the handshake deadline) holds a bounded amount of memory: a handshake
 * under way holds about 20 KiB. With 128, a thousand devices coming back at once (hub-memory's
 * reconnect rounds) took 51 and 110 s to be online again, with 1,024 45 and 77 s (one run
 * each, same machine and load): devices whose connection waits in the backlog time out their
 * NOTIFY (5 s) and try again later. 512 (not measured on its own) keeps such a flood at about
 * 10 MiB. */
#define LISTEN_BACKLOG 1024
#define HANDSHAKE_TIMEOUT_DEFAULT_S 10
/* After accept() failed (out of file descriptors, say), try again this much later instead of
 * spinning. */
#define ACCEPT_RETRY_MS 100

typedef struct
{
  HearthTlsServer *server; /* borrowed: the server frees its handshakes */
  GSocket *socket;
  gnutls_session_t session;
  HearthTlsCredentials *credentials;
  GSource *io_source;
  GSource *deadline;
  char *peer_fingerprint;
  gboolean refused;
} Handshake;

struct _HearthTlsServer
{
  GObject parent_instance;

  HearthTlsCredentials *credentials;
  HearthTlsPeerFilter peer_filter;
  gpointer peer_filter_data;
  guint handshake_timeout;
  GSocketListener *listener;
  GCancellable *cancellable; /* of the accept loop */
  GMainContext *context;
  GHashTable *handshakes; /* Handshake * (owned) */
  guint max_handshakes;
  gboolean accept_paused; /* at max_handshakes */
  GSource *accept_retry;
  guint16 port;
  guint64 n_refused;
  guint64 n_timed_out;
  guint64 n_failed;
};

enum
{
  SIGNAL_ACCEPTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthTlsServer, hearth_tls_server, G_TYPE_OBJECT)

static void accept_next (HearthTlsServer *self);

static void
handshake_free (Handshake *handshake)
{
  if (handshake->io_source != NULL)
    {
      g_source_destroy (handshake->io_source);
      g_source_unref (handshake->io_source);
    }
  if (handshake->deadline != NULL)
    {
      g_source_destroy (handshake->deadline);
      g_source_unref (handshake->deadline);
    }
  g_clear_pointer (&handshake->session, gnutls_deinit);
  g_clear_pointer (&handshake->credentials, hearth_tls_credentials_unref);
  if (handshake->socket != NULL)
    {
      g_socket_close (handshake->socket, NULL);
      g_object_unref (handshake->socket);
    }
  g_free (handshake->peer_fingerprint);
  g_free (handshake);
}

/* Ends a handshake, and lets the next connection in if the limit had stopped it. */
static void
handshake_end (Handshake *handshake)
{
  HearthTlsServer *self = handshake->server;

  g_hash_table_remove (self->handshakes, handshake);
  if (self->accept_paused && g_hash_table_size (self->handshakes) < self->max_handshakes)
    {
      self->accept_paused = FALSE;
      accept_next (self);
    }
}

/* Called by GnuTLS once the client's certificate is in, before the handshake goes on: a key
 * the filter does not accept fails the handshake here, so the client learns it from a TLS
 * alert. GnuTLS itself checks that the client holds the certificate's private key (its
 * CertificateVerify message); nothing checks who issued the certificate, as IOTSCP pins keys. */
static int
verify_peer_cb (gnutls_session_t session)
{
  Handshake *handshake = gnutls_session_get_ptr (session);
  HearthTlsServer *self = handshake->server;
  const gnutls_datum_t *certificates;
  unsigned int n_certificates = 0;
  g_autofree char *fingerprint = NULL;

  certificates = gnutls_certificate_get_peers (session, &n_certificates);
  if (certificates != NULL && n_certificates > 0)
    fingerprint = hearth_fingerprint_from_der (certificates[0].data, certificates[0].size, NULL);
  if (fingerprint == NULL || self->peer_filter == NULL
      || !self->peer_filter (fingerprint, self->peer_filter_data))
    {
      handshake->refused = TRUE;
      return GNUTLS_E_CERTIFICATE_ERROR;
    }
  g_free (handshake->peer_fingerprint);
  handshake->peer_fingerprint = g_steal_pointer (&fingerprint);
  return 0;
}

static void
handshake_succeeded (Handshake *handshake)
{
  HearthTlsServer *self = handshake->server;
  g_autoptr (HearthTlsStream) stream = NULL;

  stream = hearth_tls_stream_new (handshake->socket, g_steal_pointer (&handshake->session),
                                  handshake->credentials, handshake->peer_fingerprint);
  g_clear_object (&handshake->socket); /* the stream has it now and closes it */
  handshake_end (handshake);
  g_signal_emit (self, signals[SIGNAL_ACCEPTED], 0, stream);
}

static void handshake_step (Handshake *handshake);

static gboolean
handshake_socket_ready_cb (GSocket *socket, GIOCondition condition, gpointer data)
{
  Handshake *handshake = data;

  g_clear_pointer (&handshake->io_source, g_source_unref);
  handshake_step (handshake);
  return G_SOURCE_REMOVE;
}

static void
handshake_step (Handshake *handshake)
{
  HearthTlsServer *self = handshake->server;
  GIOCondition condition;
  int ret;

  do
    ret = gnutls_handshake (handshake->session);
  while (ret == GNUTLS_E_INTERRUPTED
         || (ret < 0 && ret != GNUTLS_E_AGAIN && !gnutls_error_is_fatal (ret)));

  if (ret == GNUTLS_E_SUCCESS)
    {
      if (handshake->peer_fingerprint == NULL)
        {
          /* The verify function is how a key is accepted; a handshake that never called it
           * has no authenticated peer. */
          self->n_refused++;
          handshake_end (handshake);
          return;
        }
      handshake_succeeded (handshake);
      return;
    }
  if (ret != GNUTLS_E_AGAIN)
    {
      if (handshake->refused || ret == GNUTLS_E_NO_CERTIFICATE_FOUND
          || ret == GNUTLS_E_CERTIFICATE_REQUIRED || ret == GNUTLS_E_CERTIFICATE_ERROR)
        self->n_refused++;
      else
        self->n_failed++;
      g_debug ("TLS handshake failed: %s", gnutls_strerror (ret));
      handshake_end (handshake);
      return;
    }

  condition = gnutls_record_get_direction (handshake->session) ? G_IO_OUT : G_IO_IN;
  handshake->io_source = g_socket_create_source (handshake->socket, condition, NULL);
  g_source_set_callback (handshake->io_source, G_SOURCE_FUNC (handshake_socket_ready_cb), handshake,
                         NULL);
  g_source_set_static_name (handshake->io_source, "[hearth] TLS handshake");
  g_source_attach (handshake->io_source, self->context);
}

static gboolean
handshake_deadline_cb (gpointer data)
{
  Handshake *handshake = data;

  g_debug ("closing a connection whose TLS handshake did not finish in time");
  handshake->server->n_timed_out++;
  g_clear_pointer (&handshake->deadline, g_source_unref); /* removed by returning */
  handshake_end (handshake);
  return G_SOURCE_REMOVE;
}

static void
handshake_start (HearthTlsServer *self, GSocket *socket)
{
  Handshake *handshake;
  int ret;

  handshake = g_new0 (Handshake, 1);
  handshake->server = self;
  handshake->socket = socket; /* owned */
  handshake->credentials = hearth_tls_credentials_ref (self->credentials);
  g_hash_table_add (self->handshakes, handshake);

  /* The answer to a NOTIFY is written in two parts; with Nagle's algorithm the second waits
   * for the device's delayed ACK (40 ms). */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  /* No session tickets: a device makes a new connection rarely (its NOTIFY connection is kept
   * alive), and a ticket key is one more secret to rotate. */
  if ((ret = gnutls_init (&handshake->session,
                          GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS))
          < 0
      || (ret = gnutls_priority_set (
              handshake->session, hearth_tls_credentials_get_priorities (handshake->credentials)))
             < 0
      || (ret = gnutls_credentials_set (handshake->session, GNUTLS_CRD_CERTIFICATE,
                                        hearth_tls_credentials_get_gnutls (handshake->credentials)))
             < 0)
    {
      g_warning ("Cannot start a TLS session: %s", gnutls_strerror (ret));
      self->n_failed++;
      handshake_end (handshake);
      return;
    }
  gnutls_certificate_server_set_request (handshake->session, GNUTLS_CERT_REQUIRE);
  gnutls_session_set_ptr (handshake->session, handshake);
  gnutls_transport_set_int (handshake->session, g_socket_get_fd (socket));

  handshake->deadline = g_timeout_source_new (self->handshake_timeout * 1000);
  g_source_set_callback (handshake->deadline, handshake_deadline_cb, handshake, NULL);
  g_source_set_static_name (handshake->deadline, "[hearth] TLS handshake deadline");
  g_source_attach (handshake->deadline, self->context);

  handshake_step (handshake);
}

static gboolean
accept_retry_cb (gpointer data)
{
  HearthTlsServer *self = data;

  g_clear_pointer (&self->accept_retry, g_source_unref);
  accept_next (self);
  return G_SOURCE_REMOVE;
}

static void
accepted_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (HearthTlsServer) self = data;
  g_autoptr (GError) error = NULL;
  GSocket *socket;

  socket
      = g_socket_listener_accept_socket_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (socket == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->listener == NULL)
        return;
      g_debug ("accepting a connection failed: %s", error->message);
      self->accept_retry = g_timeout_source_new (ACCEPT_RETRY_MS);
      g_source_set_callback (self->accept_retry, accept_retry_cb, self, NULL);
      g_source_attach (self->accept_retry, self->context);
      return;
    }
  if (self->listener == NULL)
    {
      g_socket_close (socket, NULL);
      g_object_unref (socket);
      return;
    }
  handshake_start (self, socket);
  accept_next (self);
}

static void
accept_next (HearthTlsServer *self)
{
  if (self->listener == NULL || self->accept_retry != NULL)
    return;
  if (g_hash_table_size (self->handshakes) >= self->max_handshakes)
    {
      self->accept_paused = TRUE;
      return;
    }
  g_socket_listener_accept_socket_async (self->listener, self->cancellable, accepted_cb,
                                         g_object_ref (self));
}

static void
hearth_tls_server_dispose (GObject *object)
{
  HearthTlsServer *self = HEARTH_TLS_SERVER (object);

  hearth_tls_server_stop (self);
  G_OBJECT_CLASS (hearth_tls_server_parent_class)->dispose (object);
}

static void
hearth_tls_server_finalize (GObject *object)
{
  HearthTlsServer *self = HEARTH_TLS_SERVER (object);

  g_hash_table_unref (self->handshakes);
  g_clear_pointer (&self->credentials, hearth_tls_credentials_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (hearth_tls_server_parent_class)->finalize (object);
}

static void
hearth_tls_server_class_init (HearthTlsServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_tls_server_dispose;
  object_class->finalize = hearth_tls_server_finalize;

  /**
   * HearthTlsServer::accepted:
   * @server: the server
   * @stream: a connection whose handshake succeeded with a key the filter accepted
   *
   * The handler takes a reference to @stream to keep the connection; else it is closed.
   */
  signals[SIGNAL_ACCEPTED]
      = g_signal_new ("accepted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, HEARTH_TYPE_TLS_STREAM);
}

static void
hearth_tls_server_init (HearthTlsServer *self)
{
  self->handshakes = g_hash_table_new_full (NULL, NULL, (GDestroyNotify)handshake_free, NULL);
  self->handshake_timeout = HANDSHAKE_TIMEOUT_DEFAULT_S;
  self->max_handshakes = HEARTH_TLS_SERVER_HANDSHAKES_MAX;
}

/**
 * hearth_tls_server_new:
 * @certificate: the server's certificate, with its private key
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a server that does not listen yet, or %NULL with
 *   %HEARTH_ERROR_INVALID_DATA when @certificate cannot be used
 */
HearthTlsServer *
hearth_tls_server_new (GTlsCertificate *certificate, GError **error)
{
  g_autoptr (HearthTlsServer) self = g_object_new (HEARTH_TYPE_TLS_SERVER, NULL);

  if (!hearth_tls_server_set_certificate (self, certificate, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * hearth_tls_server_set_certificate:
 * @self: a #HearthTlsServer
 * @certificate: the server's certificate, with its private key
 * @error: return location for a #GError
 *
 * Handshakes from now on use @certificate; connections already made keep theirs.
 *
 * Returns: %TRUE if @certificate can be used; else %HEARTH_ERROR_INVALID_DATA and the server
 *   keeps its certificate
 */
gboolean
hearth_tls_server_set_certificate (HearthTlsServer *self, GTlsCertificate *certificate,
                                   GError **error)
{
  HearthTlsCredentials *credentials;

  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), FALSE);

  credentials = hearth_tls_credentials_new (certificate, verify_peer_cb, error);
  if (credentials == NULL)
    return FALSE;
  g_clear_pointer (&self->credentials, hearth_tls_credentials_unref);
  self->credentials = credentials;
  return TRUE;
}

/**
 * hearth_tls_server_set_peer_filter:
 * @self: a #HearthTlsServer
 * @filter: (nullable): decides which keys may connect; %NULL refuses every client
 * @user_data: data for @filter; must stay valid while @self uses @filter
 */
void
hearth_tls_server_set_peer_filter (HearthTlsServer *self, HearthTlsPeerFilter filter,
                                   gpointer user_data)
{
  g_return_if_fail (HEARTH_IS_TLS_SERVER (self));
  self->peer_filter = filter;
  self->peer_filter_data = user_data;
}

/* A connection whose handshake is not complete this long after it was accepted is closed. */
void
hearth_tls_server_set_handshake_timeout (HearthTlsServer *self, guint seconds)
{
  g_return_if_fail (HEARTH_IS_TLS_SERVER (self));
  g_return_if_fail (seconds > 0);
  self->handshake_timeout = seconds;
}

/* At most this many handshakes run at once (HEARTH_TLS_SERVER_HANDSHAKES_MAX unless set);
 * further connections wait in the listen backlog. */
void
hearth_tls_server_set_max_handshakes (HearthTlsServer *self, guint max_handshakes)
{
  g_return_if_fail (HEARTH_IS_TLS_SERVER (self));
  g_return_if_fail (max_handshakes > 0);
  self->max_handshakes = max_handshakes;
  if (self->accept_paused && g_hash_table_size (self->handshakes) < max_handshakes)
    {
      self->accept_paused = FALSE;
      accept_next (self);
    }
}

/**
 * hearth_tls_server_listen:
 * @self: a #HearthTlsServer
 * @address: (nullable): the address to listen on; %NULL for every address (IPv4 and IPv6)
 * @port: the port; 0 picks a free one (see hearth_tls_server_get_port())
 * @error: return location for a #GError
 *
 * Starts accepting connections in the thread-default main context. A server listens once.
 *
 * Returns: %TRUE when listening; else %FALSE with a #GIOError
 */
gboolean
hearth_tls_server_listen (HearthTlsServer *self, GInetAddress *address, guint16 port,
                          GError **error)
{
  g_autoptr (GSocketListener) listener = NULL;

  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  listener = g_socket_listener_new ();
  g_socket_listener_set_backlog (listener, LISTEN_BACKLOG);
  if (address != NULL)
    {
      g_autoptr (GSocketAddress) requested = g_inet_socket_address_new (address, port);
      g_autoptr (GSocketAddress) effective = NULL;

      if (!g_socket_listener_add_address (listener, requested, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
        return FALSE;
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    }
  else if (port == 0)
    {
      port = g_socket_listener_add_any_inet_port (listener, NULL, error);
      if (port == 0)
        return FALSE;
    }
  else if (!g_socket_listener_add_inet_port (listener, port, NULL, error))
    return FALSE;

  self->listener = g_steal_pointer (&listener);
  self->port = port;
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  accept_next (self);
  return TRUE;
}

guint16
hearth_tls_server_get_port (HearthTlsServer *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), 0);
  return self->port;
}

/**
 * hearth_tls_server_stop:
 * @self: a #HearthTlsServer
 *
 * Stops listening and closes the connections whose handshake is under way. Streams already
 * handed on are not touched.
 */
void
hearth_tls_server_stop (HearthTlsServer *self)
{
  g_return_if_fail (HEARTH_IS_TLS_SERVER (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->accept_retry != NULL)
    {
      g_source_destroy (self->accept_retry);
      g_clear_pointer (&self->accept_retry, g_source_unref);
    }
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  g_clear_object (&self->listener);
  g_hash_table_remove_all (self->handshakes);
  self->accept_paused = FALSE;
}

guint
hearth_tls_server_get_n_handshaking (HearthTlsServer *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), 0);
  return g_hash_table_size (self->handshakes);
}

/* Handshakes failed because the client's key was refused or it sent no certificate. */
guint64
hearth_tls_server_get_n_refused (HearthTlsServer *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), 0);
  return self->n_refused;
}

/* Handshakes not complete by the handshake deadline. */
guint64
hearth_tls_server_get_n_timed_out (HearthTlsServer *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), 0);
  return self->n_timed_out;
}

/* Handshakes failed otherwise: not TLS, aborted by the client, no common cipher suite. */
guint64
hearth_tls_server_get_n_failed (HearthTlsServer *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_SERVER (self), 0);
  return self->n_failed;
}
