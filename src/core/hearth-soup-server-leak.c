/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-soup-server"

/* Freeing what libsoup 3.2's server keeps of closed connections.
 *
 * Debian 12 and Raspberry Pi OS ship libsoup 3.2.3. Its server loses these for good, each fixed
 * upstream later; together they cost a hub about 30 KiB for every connection a device made to
 * the event server and for every `hearthctl` command:
 *
 * 1. A kept-alive connection closed while it waits for its next request (by the client, or by
 *    the hub's idle deadline) is never disconnected: the next message has no completion
 *    callback until its first byte arrives, so nobody tells the server, which keeps the
 *    connection in its list (libsoup 3.3.0, commit d20c6601, "server: do not leak idle
 *    connections closed by the client").
 * 2. The listener keeps a reference to every socket it accepts (libsoup 3.4.0, commit
 *    b545d5f0, "soup-listener: Plug a leak").
 *
 * libsoup's own TLS had two more: a connection that failed its handshake kept itself alive
 * through its first message (3.3.0, 6308303e), and a message never let go of the peer's
 * certificate (still so in 3.7.1). Hearth's servers no longer use libsoup's TLS: the event
 * server does its own (HearthTlsServer) and hands libsoup the streams, and the control server
 * listens on a UNIX socket. An earlier version of this file freed those two as well, and
 * releasing a failed handshake's first message crashed now and then inside the connection's
 * finalize; that code is gone with the need for it.
 *
 * SoupServerConnection is private in libsoup 3.2, but it is a GObject whose signals and
 * properties work like any other, so this module needs none of libsoup's internals. It learns
 * every connection, with its socket, from the connection's first "request-started" signal (an
 * emission hook), and then:
 * 1. every few seconds looks for connections whose peer is gone, which libsoup would have
 *    noticed at once if it still read from them: a socket that is closed or at its end, or for
 *    a connection made from a stream (hearth_soup_server_accept_stream()), a stream whose owner
 *    says it has ended. One found so at two sweeps in a row was forgotten, and emitting its
 *    "disconnected" signal tells the server what libsoup's own disconnect would have told it:
 *    the server drops it from its list and lets go of it;
 * 2. drops the listener's reference to the socket once the connection is finalized.
 *
 * Every server using this runs on one main context: the hook, the sweep and the releases run
 * in the thread that emits "request-started". */

#include "hearth-soup-server-leak.h"

#include <sys/socket.h>

typedef struct
{
  GObject *connection; /* weak */
  GSocket *socket;     /* owned; NULL for a connection made from a stream */
  GIOStream *stream;   /* weak; a connection made by hearth_soup_server_accept_stream() */
  HearthSoupStreamEndedFunc stream_ended;
  guint closed_sweeps;
  gboolean released;
} TrackedConnection;

static GMutex tracked_lock;
static GHashTable *tracked;   /* SoupServerConnection * → TrackedConnection */
static GSource *sweep_source; /* while anything is tracked */
static guint n_released;

/* The stream hearth_soup_server_accept_stream() is handing to libsoup: libsoup emits the new
 * connection's first "request-started" before soup_server_accept_iostream() returns. */
static GIOStream *accepting_stream;
static HearthSoupStreamEndedFunc accepting_stream_ended;

/* Which of the leaks above the running libsoup has. */
static gboolean
keeps_idle_connections (void)
{
  return soup_get_major_version () == 3 && soup_get_minor_version () < 3;
}

static gboolean
keeps_accepted_sockets (void)
{
  return soup_get_major_version () == 3 && soup_get_minor_version () < 4;
}

static gboolean
keeps_anything (void)
{
  return keeps_idle_connections () || keeps_accepted_sockets ();
}

static void
tracked_connection_free (TrackedConnection *entry)
{
  g_clear_weak_pointer (&entry->stream);
  if (entry->socket != NULL)
    {
      /* Leak 2: the listener's reference, then ours. */
      if (keeps_accepted_sockets ())
        g_object_unref (entry->socket);
      g_object_unref (entry->socket);
    }
  g_free (entry);
}

/* Whether the connection's peer is gone while libsoup still holds the connection: its socket
 * is closed, or at its end (the client closed it, or the hub shut it down). A connection libsoup
 * still serves is never at its end for long: it reads the end as soon as it is there. */
static gboolean
is_forgotten (TrackedConnection *entry)
{
  g_autoptr (GSocket) socket = NULL;
  char byte;

  if (entry->socket == NULL)
    {
      /* libsoup closes the stream when it disconnects the connection itself. */
      return entry->stream != NULL && !g_io_stream_is_closed (entry->stream)
             && entry->stream_ended (entry->stream);
    }
  g_object_get (entry->connection, "socket", &socket, NULL);
  if (socket == NULL)
    return FALSE; /* disconnected by libsoup, which also let go of it */
  if (g_socket_is_closed (socket))
    return TRUE;
  return recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Leak 1: tells the server that @connection is gone, as libsoup's own disconnect would. The
 * connection's "disconnected" handlers are then removed, so that nothing can reach the server
 * a second time should anything still disconnect it. */
static void
release_forgotten (GObject *connection)
{
  guint signal_id = g_signal_lookup ("disconnected", G_OBJECT_TYPE (connection));

  g_object_ref (connection);
  g_signal_emit (connection, signal_id, 0);
  g_signal_handlers_disconnect_matched (connection, G_SIGNAL_MATCH_ID, signal_id, 0, NULL, NULL,
                                        NULL);
  g_object_unref (connection);
}

static gboolean
sweep_cb (gpointer data)
{
  g_autoptr (GPtrArray) forgotten = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  TrackedConnection *entry;
  gboolean more;

  g_mutex_lock (&tracked_lock);
  g_hash_table_iter_init (&iter, tracked);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&entry))
    {
      if (entry->released || !keeps_idle_connections ())
        continue;
      if (!is_forgotten (entry))
        entry->closed_sweeps = 0;
      else if (++entry->closed_sweeps >= 2)
        {
          entry->released = TRUE;
          g_ptr_array_add (forgotten, g_object_ref (entry->connection));
        }
    }
  g_mutex_unlock (&tracked_lock);

  /* Outside the lock: a release may finalize the connection. */
  for (guint i = 0; i < forgotten->len; i++)
    release_forgotten (g_ptr_array_index (forgotten, i));
  n_released += forgotten->len;
  if (forgotten->len > 0)
    g_debug ("freed %u closed connections libsoup had kept", forgotten->len);

  g_mutex_lock (&tracked_lock);
  more = g_hash_table_size (tracked) > 0;
  if (!more)
    g_clear_pointer (&sweep_source, g_source_unref);
  g_mutex_unlock (&tracked_lock);
  return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Called with tracked_lock held. */
static void
ensure_sweeping (void)
{
  g_autoptr (GMainContext) context = NULL;

  if (sweep_source != NULL || !keeps_idle_connections ())
    return;
  context = g_main_context_ref_thread_default ();
  sweep_source = g_timeout_source_new_seconds (HEARTH_SOUP_SERVER_SWEEP_INTERVAL_S);
  g_source_set_callback (sweep_source, sweep_cb, NULL, NULL);
  g_source_set_static_name (sweep_source, "[hearth] closed server connections");
  g_source_attach (sweep_source, context);
}

static void
connection_finalized (gpointer data, GObject *where_the_connection_was)
{
  g_mutex_lock (&tracked_lock);
  g_hash_table_remove (tracked, where_the_connection_was);
  g_mutex_unlock (&tracked_lock);
}

static gboolean
request_started_hook (GSignalInvocationHint *hint, guint n_param_values, const GValue *param_values,
                      gpointer data)
{
  GObject *connection = g_value_get_object (&param_values[0]);
  TrackedConnection *entry;

  g_mutex_lock (&tracked_lock);
  if (g_hash_table_contains (tracked, connection))
    {
      g_mutex_unlock (&tracked_lock);
      return TRUE;
    }

  /* A connection's first "request-started" is emitted when the connection is accepted. */
  entry = g_new0 (TrackedConnection, 1);
  entry->connection = connection;
  g_object_get (connection, "socket", &entry->socket, NULL);
  if (entry->socket == NULL && accepting_stream != NULL)
    {
      g_set_weak_pointer (&entry->stream, accepting_stream);
      entry->stream_ended = accepting_stream_ended;
      accepting_stream = NULL;
    }
  g_object_weak_ref (connection, connection_finalized, NULL);
  g_hash_table_insert (tracked, connection, entry);
  ensure_sweeping ();
  g_mutex_unlock (&tracked_lock);
  return TRUE; /* stay installed */
}

/* libsoup registers its connection type when it makes the first connection; the emission hook
 * needs the type before then. A connection over an empty in-memory stream is read to its end
 * at once and disconnected by libsoup itself (a connection that has no socket is connected
 * from the start, so none of the leaks applies to it). */
static GType
connection_type (SoupServer *server)
{
  GType type = g_type_from_name ("SoupServerConnection");

  if (type == 0)
    {
      g_autoptr (GInputStream) input = g_memory_input_stream_new ();
      g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();
      g_autoptr (GIOStream) stream = g_simple_io_stream_new (input, output);
      g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);

      if (soup_server_accept_iostream (server, stream, address, address, NULL))
        type = g_type_from_name ("SoupServerConnection");
    }
  return type;
}

/**
 * hearth_soup_server_release_closed_connections:
 * @server: a server that is about to accept connections
 *
 * Makes sure that what libsoup 3.2 and 3.3 keep of closed connections of @server (and of
 * every other server of the process) is freed; see the comment at the top of the file. Does
 * nothing with a libsoup that frees it itself. Call it before @server accepts its first
 * connection.
 */
void
hearth_soup_server_release_closed_connections (SoupServer *server)
{
  static gsize installed;

  g_return_if_fail (SOUP_IS_SERVER (server));

  if (!keeps_anything ())
    return;
  if (g_once_init_enter (&installed))
    {
      GType type = connection_type (server);
      guint signal_id = type != 0 ? g_signal_lookup ("request-started", type) : 0;

      if (signal_id == 0)
        g_warning ("libsoup %u.%u.%u: cannot watch server connections; what they keep after "
                   "closing will not be freed",
                   soup_get_major_version (), soup_get_minor_version (), soup_get_micro_version ());
      else
        {
          tracked
              = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)tracked_connection_free);
          g_signal_add_emission_hook (signal_id, 0, request_started_hook, NULL, NULL);
        }
      g_once_init_leave (&installed, 1);
    }
}

/**
 * hearth_soup_server_get_n_released_connections:
 *
 * Returns: how many connections (or their first messages) that libsoup had kept this process
 *   has freed so far
 */
guint
hearth_soup_server_get_n_released_connections (void)
{
  return n_released;
}

/**
 * hearth_soup_server_accept_stream:
 * @server: a server set up with hearth_soup_server_release_closed_connections()
 * @stream: a connection's stream, e.g. a TLS stream whose handshake is done
 * @local_address: the local address of the connection
 * @remote_address: the peer's address
 * @stream_ended: tells whether nothing more can be read from @stream (its peer closed it, or
 *   it was shut down)
 * @error: return location for a #GError
 *
 * soup_server_accept_iostream(), and a connection libsoup 3.2 forgets when its peer closes
 * it between two requests is freed all the same: libsoup cannot look at a stream's socket, so
 * @stream_ended says when the peer is gone.
 *
 * Returns: %TRUE if @server took the stream
 */
gboolean
hearth_soup_server_accept_stream (SoupServer *server, GIOStream *stream,
                                  GSocketAddress *local_address, GSocketAddress *remote_address,
                                  HearthSoupStreamEndedFunc stream_ended, GError **error)
{
  gboolean accepted;

  g_return_val_if_fail (SOUP_IS_SERVER (server), FALSE);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), FALSE);
  g_return_val_if_fail (stream_ended != NULL, FALSE);

  accepting_stream = stream;
  accepting_stream_ended = stream_ended;
  accepted = soup_server_accept_iostream (server, stream, local_address, remote_address, error);
  accepting_stream = NULL;
  accepting_stream_ended = NULL;
  return accepted;
}
