/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-tls"

#include "hearth-tls-stream.h"

#include "hearth-tls-input-stream.h"
#include "hearth-tls-output-stream.h"
#include "hearth-tls-stream-private.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/* HearthTlsStream is one server-side TLS connection whose handshake is complete: a GnuTLS
 * session straight on the socket's file descriptor (non-blocking), as a GIOStream that libsoup
 * can serve HTTP over (soup_server_accept_iostream()).
 *
 * It replaces glib-networking's GTlsServerConnection for the event server, whose state per
 * connection was most of the hub's memory with many devices (docs/architecture.md, "Memory"):
 * its own copy of the server credentials, the peer's certificate parsed into a
 * GTlsCertificate, and the locks and buffers of a connection that may be used from several
 * threads. This stream keeps the session, the socket and the peer's key fingerprint, and is
 * used from one thread (the one running the server's main context).
 *
 * A read that has to wait returns G_IO_ERROR_WOULD_BLOCK without blocking; GnuTLS then keeps
 * what it has read of a record and goes on at the next call. A write that has to wait keeps
 * the record GnuTLS made of it, and the next write must offer the same data again, which is
 * what GOutputStream's callers do after G_IO_ERROR_WOULD_BLOCK. */
struct _HearthTlsStream
{
  GIOStream parent_instance;

  GSocket *socket;
  gnutls_session_t session;
  HearthTlsCredentials *credentials; /* must outlive the session */
  GSocketAddress *local_address;
  GSocketAddress *remote_address;
  char *peer_fingerprint;
  HearthTlsInputStream *input;
  HearthTlsOutputStream *output;
  /* The peer closed, a read failed, or the stream was shut down: nothing more will be read. */
  gboolean ended;
  /* GnuTLS had to send (e.g. a TLS 1.3 key update answer) to go on reading, or to receive to go
   * on writing: the source to wait for is the other direction's. */
  gboolean read_waits_for_write;
  gboolean write_waits_for_read;
  /* Bytes read from the socket that GnuTLS has not taken yet (see pull_cb()); NULL when none. */
  guint8 *read_ahead;
  gsize read_ahead_start;
  gsize read_ahead_end;
};

/* GnuTLS reads a record in two calls, its 5-byte header and then the rest, and each was a
 * recv() system call: with the one that finds the socket empty after a request, three per
 * NOTIFY. The stream reads whatever the socket holds (up to a few records) into a buffer shared
 * by the thread's streams and serves GnuTLS from it; what is left after GnuTLS's call is kept in
 * a buffer of the connection of just that size until GnuTLS takes it, so an idle connection
 * holds no buffer (the hub keeps one connection per device). */
#define READ_AHEAD_BYTES (20 * 1024)

static guint8 *
thread_read_buffer (void)
{
  static GPrivate buffer_key = G_PRIVATE_INIT (g_free);
  guint8 *buffer = g_private_get (&buffer_key);

  if (buffer == NULL)
    {
      buffer = g_malloc (READ_AHEAD_BYTES);
      g_private_set (&buffer_key, buffer);
    }
  return buffer;
}

static gboolean
has_read_ahead (HearthTlsStream *self)
{
  return self->read_ahead_start < self->read_ahead_end;
}

static gsize
take_read_ahead (HearthTlsStream *self, void *data, gsize size)
{
  gsize count = MIN (size, self->read_ahead_end - self->read_ahead_start);

  memcpy (data, self->read_ahead + self->read_ahead_start, count);
  self->read_ahead_start += count;
  if (self->read_ahead_start == self->read_ahead_end)
    {
      g_clear_pointer (&self->read_ahead, g_free);
      self->read_ahead_start = self->read_ahead_end = 0;
    }
  return count;
}

/* GnuTLS's pull function: returns bytes, 0 at the end, or -1 with the errno for GnuTLS. */
static ssize_t
pull_cb (gnutls_transport_ptr_t transport, void *data, size_t size)
{
  HearthTlsStream *self = transport;
  guint8 *buffer;
  ssize_t received;
  gsize given;

  if (has_read_ahead (self))
    return (ssize_t)take_read_ahead (self, data, size);
  if (size >= READ_AHEAD_BYTES)
    buffer = data; /* nothing to keep: read straight into GnuTLS's buffer */
  else
    buffer = thread_read_buffer ();
  do
    received = recv (g_socket_get_fd (self->socket), buffer, READ_AHEAD_BYTES, 0);
  while (received < 0 && errno == EINTR);
  if (received < 0)
    {
      gnutls_transport_set_errno (self->session, errno);
      return -1;
    }
  if (buffer == data || (gsize)received <= size)
    {
      if (buffer != data)
        memcpy (data, buffer, (gsize)received);
      return received;
    }
  given = size;
  memcpy (data, buffer, given);
  self->read_ahead = g_memdup2 (buffer + given, (gsize)received - given);
  self->read_ahead_start = 0;
  self->read_ahead_end = (gsize)received - given;
  return (ssize_t)given;
}

/* Used by GnuTLS only when a receive has a timeout (none is set), but then it must not take
 * the transport pointer for a file descriptor. */
static int
pull_timeout_cb (gnutls_transport_ptr_t transport, unsigned int ms)
{
  HearthTlsStream *self = transport;
  struct pollfd poll_fd = { .fd = g_socket_get_fd (self->socket), .events = POLLIN };
  int ready;

  if (has_read_ahead (self))
    return 1;
  ready = poll (&poll_fd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
  if (ready < 0)
    gnutls_transport_set_errno (self->session, errno);
  return ready;
}

G_DEFINE_FINAL_TYPE (HearthTlsStream, hearth_tls_stream, G_TYPE_IO_STREAM)

static GInputStream *
hearth_tls_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (HEARTH_TLS_STREAM (stream)->input);
}

static GOutputStream *
hearth_tls_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (HEARTH_TLS_STREAM (stream)->output);
}

/* Ends the session: a close_notify if the socket takes it right away (nobody waits for the
 * peer's), then the socket is closed. */
static gboolean
hearth_tls_stream_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  HearthTlsStream *self = HEARTH_TLS_STREAM (stream);

  g_input_stream_close (G_INPUT_STREAM (self->input), NULL, NULL);
  g_output_stream_close (G_OUTPUT_STREAM (self->output), NULL, NULL);
  if (!g_socket_is_closed (self->socket))
    {
      if (!self->ended)
        gnutls_bye (self->session, GNUTLS_SHUT_WR);
      g_socket_close (self->socket, NULL);
    }
  self->ended = TRUE;
  return TRUE;
}

/* Closing does not block, so there is no need for GIOStream's default, which closes in a
 * thread: the session must only be used from the server's thread. */
static void
hearth_tls_stream_close_async (GIOStream *stream, int io_priority, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, hearth_tls_stream_close_async);
  hearth_tls_stream_close (stream, cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static gboolean
hearth_tls_stream_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
hearth_tls_stream_dispose (GObject *object)
{
  HearthTlsStream *self = HEARTH_TLS_STREAM (object);

  /* GIOStream's dispose closes the stream first, while both sides are still there. */
  G_OBJECT_CLASS (hearth_tls_stream_parent_class)->dispose (object);
  if (self->input != NULL)
    hearth_tls_input_stream_detach (self->input);
  if (self->output != NULL)
    hearth_tls_output_stream_detach (self->output);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
}

static void
hearth_tls_stream_finalize (GObject *object)
{
  HearthTlsStream *self = HEARTH_TLS_STREAM (object);

  g_clear_pointer (&self->session, gnutls_deinit);
  g_clear_pointer (&self->read_ahead, g_free);
  g_clear_pointer (&self->credentials, hearth_tls_credentials_unref);
  g_clear_object (&self->socket);
  g_clear_object (&self->local_address);
  g_clear_object (&self->remote_address);
  g_free (self->peer_fingerprint);
  G_OBJECT_CLASS (hearth_tls_stream_parent_class)->finalize (object);
}

static void
hearth_tls_stream_class_init (HearthTlsStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = hearth_tls_stream_dispose;
  object_class->finalize = hearth_tls_stream_finalize;
  stream_class->get_input_stream = hearth_tls_stream_get_input_stream;
  stream_class->get_output_stream = hearth_tls_stream_get_output_stream;
  stream_class->close_fn = hearth_tls_stream_close;
  stream_class->close_async = hearth_tls_stream_close_async;
  stream_class->close_finish = hearth_tls_stream_close_finish;
}

static void
hearth_tls_stream_init (HearthTlsStream *self)
{
  self->input = hearth_tls_input_stream_new (self);
  self->output = hearth_tls_output_stream_new (self);
}

/**
 * hearth_tls_stream_new:
 * @socket: a connected socket
 * @session: (transfer full): a session whose handshake on @socket is complete
 * @credentials: the credentials @session was made with; kept as long as @session
 * @peer_fingerprint: the fingerprint of the key the peer authenticated with
 *
 * Returns: (transfer full): the stream; closing it closes @socket
 */
HearthTlsStream *
hearth_tls_stream_new (GSocket *socket, gnutls_session_t session, HearthTlsCredentials *credentials,
                       const char *peer_fingerprint)
{
  HearthTlsStream *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (session != NULL && credentials != NULL, NULL);

  self = g_object_new (HEARTH_TYPE_TLS_STREAM, NULL);
  self->socket = g_object_ref (socket);
  self->session = session;
  /* Reads go through the read-ahead above; writes stay GnuTLS's own on the descriptor. */
  gnutls_transport_set_ptr2 (session, self, GINT_TO_POINTER (g_socket_get_fd (socket)));
  gnutls_transport_set_pull_function (session, pull_cb);
  gnutls_transport_set_pull_timeout_function (session, pull_timeout_cb);
  self->credentials = hearth_tls_credentials_ref (credentials);
  self->peer_fingerprint = g_strdup (peer_fingerprint);
  self->local_address = g_socket_get_local_address (socket, NULL);
  self->remote_address = g_socket_get_remote_address (socket, NULL);
  return self;
}

GSocket *
hearth_tls_stream_get_socket (HearthTlsStream *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_STREAM (self), NULL);
  return self->socket;
}

/* Returns: (nullable): the socket's local address, read when the stream was made */
GSocketAddress *
hearth_tls_stream_get_local_address (HearthTlsStream *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_STREAM (self), NULL);
  return self->local_address;
}

/* Returns: (nullable): the peer's address, read when the stream was made */
GSocketAddress *
hearth_tls_stream_get_remote_address (HearthTlsStream *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_STREAM (self), NULL);
  return self->remote_address;
}

const char *
hearth_tls_stream_get_peer_fingerprint (HearthTlsStream *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_STREAM (self), NULL);
  return self->peer_fingerprint;
}

/**
 * hearth_tls_stream_has_ended:
 * @self: a #HearthTlsStream
 *
 * Returns: whether nothing more can be read: the peer closed the connection, a read failed, or
 *   the stream was shut down or closed
 */
gboolean
hearth_tls_stream_has_ended (HearthTlsStream *self)
{
  g_return_val_if_fail (HEARTH_IS_TLS_STREAM (self), TRUE);
  return self->ended;
}

/**
 * hearth_tls_stream_shutdown:
 * @self: a #HearthTlsStream
 *
 * Shuts the socket down in both directions: reads and writes under way fail at once (a
 * waiting reader wakes up to its end), and the file descriptor stays valid until the stream is
 * closed, so it cannot be handed to another file under a reader.
 */
void
hearth_tls_stream_shutdown (HearthTlsStream *self)
{
  g_return_if_fail (HEARTH_IS_TLS_STREAM (self));
  self->ended = TRUE;
  if (!g_socket_is_closed (self->socket))
    g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
}

static gboolean
set_closed_error (HearthTlsStream *self, GError **error)
{
  if (!g_socket_is_closed (self->socket))
    return FALSE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The TLS connection is closed");
  return TRUE;
}

static gboolean
wait_for_socket (HearthTlsStream *self, GCancellable *cancellable, GError **error)
{
  GIOCondition condition = gnutls_record_get_direction (self->session) ? G_IO_OUT : G_IO_IN;

  return g_socket_condition_wait (self->socket, condition, cancellable, error);
}

gssize
hearth_tls_stream_receive (HearthTlsStream *self, void *buffer, gsize count, gboolean blocking,
                           GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      ssize_t received;

      if (set_closed_error (self, error)
          || g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      received = gnutls_record_recv (self->session, buffer, count);
      if (received >= 0)
        {
          self->read_waits_for_write = FALSE;
          if (received == 0 && count > 0)
            self->ended = TRUE;
          return received;
        }
      switch (received)
        {
          case GNUTLS_E_INTERRUPTED:
            continue;
          case GNUTLS_E_AGAIN:
            if (self->ended)
              {
                /* Shut down under a read that had started a record. */
                g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                     "The TLS connection was shut down");
                return -1;
              }
            self->read_waits_for_write = gnutls_record_get_direction (self->session) == 1;
            if (!blocking)
              {
                g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                                     "No TLS data to read yet");
                return -1;
              }
            if (!wait_for_socket (self, cancellable, error))
              return -1;
            continue;
          case GNUTLS_E_PREMATURE_TERMINATION:
            /* The peer closed its socket without a close_notify: devices may, and a NOTIFY
             * connection has no data whose truncation that could hide (HTTP frames its
             * messages), so this is an end like any other. */
            self->ended = TRUE;
            return 0;
          default:
            self->ended = TRUE;
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "TLS: %s",
                         gnutls_strerror ((int)received));
            return -1;
        }
    }
}

gssize
hearth_tls_stream_send (HearthTlsStream *self, const void *buffer, gsize count, gboolean blocking,
                        GCancellable *cancellable, GError **error)
{
  if (count == 0)
    return 0;
  for (;;)
    {
      ssize_t sent;

      if (set_closed_error (self, error)
          || g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      sent = gnutls_record_send (self->session, buffer, count);
      if (sent >= 0)
        {
          self->write_waits_for_read = FALSE;
          return sent;
        }
      switch (sent)
        {
          case GNUTLS_E_INTERRUPTED:
            continue;
          case GNUTLS_E_AGAIN:
            self->write_waits_for_read = gnutls_record_get_direction (self->session) == 0;
            if (!blocking)
              {
                g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                                     "The TLS connection cannot take more data yet");
                return -1;
              }
            if (!wait_for_socket (self, cancellable, error))
              return -1;
            continue;
          default:
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "TLS: %s",
                         gnutls_strerror ((int)sent));
            return -1;
        }
    }
}

/* The socket condition a reader (G_IO_IN) or writer (G_IO_OUT) waits for next. */
static GIOCondition
socket_condition_for (HearthTlsStream *self, GIOCondition condition)
{
  if (condition == G_IO_IN)
    return self->read_waits_for_write ? G_IO_OUT : G_IO_IN;
  return self->write_waits_for_read ? G_IO_IN : G_IO_OUT;
}

/* Whether an operation can go on without waiting for the socket: GnuTLS already holds
 * decrypted data, or the stream cannot be used anymore (the operation fails at once). */
static gboolean
is_ready_without_socket (HearthTlsStream *self, GIOCondition condition)
{
  if (g_socket_is_closed (self->socket))
    return TRUE;
  if (condition == G_IO_IN)
    return self->ended || has_read_ahead (self) || gnutls_record_check_pending (self->session) > 0;
  return FALSE;
}

gboolean
hearth_tls_stream_is_ready (HearthTlsStream *self, GIOCondition condition)
{
  if (is_ready_without_socket (self, condition))
    return TRUE;
  return g_socket_condition_check (self->socket, socket_condition_for (self, condition)) != 0;
}

/* A source that becomes ready when a read (G_IO_IN) or write (G_IO_OUT) can go on, as the child
 * of a pollable source. */
GSource *
hearth_tls_stream_create_ready_source (HearthTlsStream *self, GIOCondition condition)
{
  if (is_ready_without_socket (self, condition))
    return g_timeout_source_new (0);
  return g_socket_create_source (self->socket, socket_condition_for (self, condition), NULL);
}
