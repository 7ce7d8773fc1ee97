/* SPDX-License-Identifier: GPL-3.0-or-later */

/* HearthTlsServer and HearthTlsStream, the event server's own TLS layer, against
 * glib-networking's TLS client (GnuTLS at both ends, real keys made by HearthHubIdentity, real
 * sockets on loopback). */

#include <hearth-fingerprint.h>
#include <hearth-hub-identity.h>
#include <hearth-tls-server.h>
#include <string.h>

#include "core-test-utils.h"

#define CLIENT_MESSAGE "ping from the client"
/* Below the default limit, so the test stays within a process's 1,024 file descriptors. */
#define TEST_HANDSHAKES_MAX 64
#define SERVER_MESSAGE "pong from the server"

typedef struct
{
  char *dir;
  HearthHubIdentity *server_identity;
  HearthHubIdentity *client_identity;   /* its key is accepted */
  HearthHubIdentity *stranger_identity; /* its key is not */
  HearthTlsServer *server;
  GPtrArray *streams; /* HearthTlsStream *, as accepted */
} Fixture;

static HearthHubIdentity *
make_identity (Fixture *fixture, const char *name)
{
  g_autofree char *dir = g_build_filename (fixture->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  HearthHubIdentity *identity;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  identity = hearth_hub_identity_new (dir, NULL, &error);
  g_assert_no_error (error);
  return identity;
}

static gboolean
accept_client_only (const char *fingerprint, gpointer user_data)
{
  Fixture *fixture = user_data;

  return strcmp (fingerprint, hearth_hub_identity_get_fingerprint (fixture->client_identity)) == 0;
}

static void
accepted_cb (HearthTlsServer *server, HearthTlsStream *stream, Fixture *fixture)
{
  g_ptr_array_add (fixture->streams, g_object_ref (stream));
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  fixture->dir = core_test_make_temp_dir ();
  fixture->server_identity = make_identity (fixture, "server");
  fixture->client_identity = make_identity (fixture, "client");
  fixture->stranger_identity = make_identity (fixture, "stranger");
  fixture->streams = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->server = hearth_tls_server_new (
      hearth_hub_identity_get_certificate (fixture->server_identity), &error);
  g_assert_no_error (error);
  hearth_tls_server_set_peer_filter (fixture->server, accept_client_only, fixture);
  g_signal_connect (fixture->server, "accepted", G_CALLBACK (accepted_cb), fixture);
  g_assert_true (hearth_tls_server_listen (fixture->server, loopback, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hearth_tls_server_get_port (fixture->server), >, 0);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->streams, g_ptr_array_unref);
  g_clear_object (&fixture->server_identity);
  g_clear_object (&fixture->client_identity);
  g_clear_object (&fixture->stranger_identity);
  core_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

/* A TLS client in a thread of its own (blocking I/O), so the server's main loop runs freely. */
typedef struct
{
  guint16 port;
  GTlsCertificate *certificate; /* nullable: no client certificate */
  gboolean hold_open;           /* wait for the server to close instead of closing */
  gboolean send_twice;          /* the message twice, as two writes (two TLS records) */
  /* Results */
  GError *error;
  char *reply;
  GTlsCertificate *server_certificate;
  gint64 closed_after_ms;
} Client;

static gboolean
accept_any_server (GTlsConnection *connection, GTlsCertificate *certificate,
                   GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE; /* the test checks which certificate it was */
}

static void
client_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Client *client = task_data;
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnection) tcp = NULL;
  g_autoptr (GIOStream) tls = NULL;
  g_autoptr (GSocketConnectable) identity = g_network_address_new ("127.0.0.1", client->port);
  char buffer[256] = { 0 };
  gsize n_read = 0;
  gint64 start;

  tcp = g_socket_client_connect_to_host (socket_client, "127.0.0.1", client->port, NULL,
                                         &client->error);
  if (tcp == NULL)
    return;
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &client->error);
  if (tls == NULL)
    return;
  if (client->certificate != NULL)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (tls), client->certificate);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_server), NULL);
  /* TLS 1.3 reports a refused client certificate only at the first read. */
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &client->error)
      || !g_output_stream_write_all (g_io_stream_get_output_stream (tls), CLIENT_MESSAGE,
                                     strlen (CLIENT_MESSAGE), NULL, NULL, &client->error)
      || (client->send_twice
          && !g_output_stream_write_all (g_io_stream_get_output_stream (tls), CLIENT_MESSAGE,
                                         strlen (CLIENT_MESSAGE), NULL, NULL, &client->error))
      || !g_input_stream_read_all (g_io_stream_get_input_stream (tls), buffer,
                                   strlen (SERVER_MESSAGE), &n_read, NULL, &client->error))
    return;
  client->server_certificate = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls));
  g_object_ref (client->server_certificate);
  client->reply = g_strndup (buffer, n_read);
  if (!client->hold_open)
    return;
  /* Until the server closes: a read returns 0 or fails. */
  start = g_get_monotonic_time ();
  while (g_input_stream_read (g_io_stream_get_input_stream (tls), buffer, sizeof buffer, NULL, NULL)
         > 0)
    ;
  client->closed_after_ms = (g_get_monotonic_time () - start) / 1000;
}

static GTask *
client_start (Fixture *fixture, Client *client, HearthHubIdentity *identity)
{
  GTask *task = g_task_new (NULL, NULL, NULL, NULL);

  client->port = hearth_tls_server_get_port (fixture->server);
  client->certificate = identity != NULL ? hearth_hub_identity_get_certificate (identity) : NULL;
  g_task_set_task_data (task, client, NULL);
  g_task_run_in_thread (task, client_thread);
  return task;
}

static void
client_wait (GTask *task)
{
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (task);
}

static void
client_clear (Client *client)
{
  g_clear_error (&client->error);
  g_clear_pointer (&client->reply, g_free);
  g_clear_object (&client->server_certificate);
}

static gboolean
has_streams (gpointer data)
{
  Fixture *fixture = data;

  return fixture->streams->len > 0;
}

static gboolean
ready_cb (GObject *stream, gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Reads @length bytes from @stream the way libsoup does: wait for the pollable source, then
 * read without blocking. */
static char *
read_pollable (HearthTlsStream *stream, gsize length)
{
  GPollableInputStream *input
      = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (stream)));
  g_autoptr (GString) text = g_string_new (NULL);

  g_assert_true (g_pollable_input_stream_can_poll (input));
  while (text->len < length)
    {
      g_autoptr (GError) error = NULL;
      char buffer[64];
      gssize n
          = g_pollable_input_stream_read_nonblocking (input, buffer, sizeof buffer, NULL, &error);

      if (n < 0)
        {
          g_autoptr (GSource) source = NULL;
          gboolean ready = FALSE;

          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          g_assert_false (g_pollable_input_stream_is_readable (input));
          source = g_pollable_input_stream_create_source (input, NULL);
          g_source_set_callback (source, G_SOURCE_FUNC (ready_cb), &ready, NULL);
          g_source_attach (source, NULL);
          while (!ready)
            g_main_context_iteration (NULL, TRUE);
          g_source_destroy (source);
          continue;
        }
      g_assert_cmpint (n, >, 0); /* no end before the whole message */
      g_string_append_len (text, buffer, n);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
write_pollable (HearthTlsStream *stream, const char *text)
{
  g_autoptr (GError) error = NULL;
  gsize written = 0;

  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (stream)),
                                            text, strlen (text), &written, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, strlen (text));
}

/* A client with an accepted key talks to the server in both directions; the server knows its
 * key, and notices when the client goes. */
static void
test_accepted_key (Fixture *fixture, gconstpointer user_data)
{
  Client client = { 0 };
  GTask *task = client_start (fixture, &client, fixture->client_identity);
  HearthTlsStream *stream;
  g_autofree char *received = NULL;
  g_autofree char *server_fingerprint = NULL;
  GInputStream *input;
  char byte;

  core_test_run_until (has_streams, fixture, 10000);
  stream = g_ptr_array_index (fixture->streams, 0);
  g_assert_cmpstr (hearth_tls_stream_get_peer_fingerprint (stream), ==,
                   hearth_hub_identity_get_fingerprint (fixture->client_identity));
  g_assert_nonnull (hearth_tls_stream_get_remote_address (stream));
  g_assert_nonnull (hearth_tls_stream_get_local_address (stream));
  g_assert_false (hearth_tls_stream_has_ended (stream));

  received = read_pollable (stream, strlen (CLIENT_MESSAGE));
  g_assert_cmpstr (received, ==, CLIENT_MESSAGE);
  write_pollable (stream, SERVER_MESSAGE);
  client_wait (task);
  g_assert_no_error (client.error);
  g_assert_cmpstr (client.reply, ==, SERVER_MESSAGE);
  server_fingerprint = hearth_fingerprint_from_tls_certificate (client.server_certificate, NULL);
  g_assert_cmpstr (server_fingerprint, ==,
                   hearth_hub_identity_get_fingerprint (fixture->server_identity));

  /* The client has closed: the server reads the end, and says so. */
  input = g_io_stream_get_input_stream (G_IO_STREAM (stream));
  g_assert_cmpint (g_input_stream_read (input, &byte, 1, NULL, NULL), <=, 0);
  g_assert_true (hearth_tls_stream_has_ended (stream));
  g_assert_cmpuint (hearth_tls_server_get_n_refused (fixture->server), ==, 0);
  g_assert_cmpuint (hearth_tls_server_get_n_handshaking (fixture->server), ==, 0);

  /* Closing closes the socket. */
  g_assert_true (g_io_stream_close (G_IO_STREAM (stream), NULL, NULL));
  g_assert_true (g_socket_is_closed (hearth_tls_stream_get_socket (stream)));
  client_clear (&client);
}

/* A key the filter does not accept, and no key at all, fail the handshake: nothing is handed
 * on, and the server keeps serving. */
static void
test_refused (Fixture *fixture, gconstpointer user_data)
{
  Client stranger = { 0 }, anonymous = { 0 }, known = { 0 };

  client_wait (client_start (fixture, &stranger, fixture->stranger_identity));
  g_assert_nonnull (stranger.error);
  g_assert_null (stranger.reply);
  client_wait (client_start (fixture, &anonymous, NULL));
  g_assert_nonnull (anonymous.error);
  g_assert_cmpuint (hearth_tls_server_get_n_refused (fixture->server), ==, 2);
  g_assert_cmpuint (fixture->streams->len, ==, 0);
  g_assert_cmpuint (hearth_tls_server_get_n_handshaking (fixture->server), ==, 0);

  {
    GTask *task = client_start (fixture, &known, fixture->client_identity);
    g_autofree char *received = NULL;

    core_test_run_until (has_streams, fixture, 10000);
    received = read_pollable (g_ptr_array_index (fixture->streams, 0), strlen (CLIENT_MESSAGE));
    write_pollable (g_ptr_array_index (fixture->streams, 0), SERVER_MESSAGE);
    client_wait (task);
    g_assert_no_error (known.error);
  }
  client_clear (&stranger);
  client_clear (&anonymous);
  client_clear (&known);
}

static gboolean
timed_out_once (gpointer data)
{
  Fixture *fixture = data;

  return hearth_tls_server_get_n_timed_out (fixture->server) >= 1;
}

static GSocket *
connect_silent (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address
      = g_inet_socket_address_new (loopback, hearth_tls_server_get_port (fixture->server));
  GSocket *socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  return socket;
}

/* A client that connects and never starts its handshake is closed at the deadline. */
static void
test_stalled_handshake (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GSocket) silent = NULL;
  gint64 start;
  gint64 elapsed_ms;
  char byte;

  hearth_tls_server_set_handshake_timeout (fixture->server, 1);
  silent = connect_silent (fixture);
  start = g_get_monotonic_time ();
  core_test_run_until (timed_out_once, fixture, 5000);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("stalled handshake closed after %" G_GINT64_FORMAT " ms", elapsed_ms);
  g_assert_cmpint (elapsed_ms, >=, 900);
  /* The server closed its end: the client reads the end. */
  g_socket_set_blocking (silent, TRUE);
  g_assert_cmpint (g_socket_receive (silent, &byte, 1, NULL, NULL), <=, 0);
  g_assert_cmpuint (hearth_tls_server_get_n_handshaking (fixture->server), ==, 0);
}

typedef struct
{
  Fixture *fixture;
  guint n;
} CountWait;

static gboolean
handshaking_at_least (gpointer data)
{
  CountWait *wait = data;

  return hearth_tls_server_get_n_handshaking (wait->fixture->server) >= wait->n;
}

/* More silent connections than the server handshakes with at once: the rest wait in the
 * backlog, unserved, and a real client gets through once the silent ones are timed out. */
static void
test_handshake_limit (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) silent = g_ptr_array_new_with_free_func (g_object_unref);
  CountWait wait = { fixture, TEST_HANDSHAKES_MAX };
  Client known = { 0 };
  GTask *task;

  hearth_tls_server_set_handshake_timeout (fixture->server, 2);
  hearth_tls_server_set_max_handshakes (fixture->server, TEST_HANDSHAKES_MAX);
  for (guint i = 0; i < TEST_HANDSHAKES_MAX + 40; i++)
    g_ptr_array_add (silent, connect_silent (fixture));
  core_test_run_until (handshaking_at_least, &wait, 5000);
  /* A while later still no more than the limit. */
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
  g_assert_cmpuint (hearth_tls_server_get_n_handshaking (fixture->server), ==, TEST_HANDSHAKES_MAX);

  /* The real client waits behind the silent ones: not served while every slot is taken (the
   * silent handshakes time out 2 s after they were accepted), served once they time out. */
  task = client_start (fixture, &known, fixture->client_identity);
  {
    gint64 until = g_get_monotonic_time () + 800 * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (2000);
  }
  if (hearth_tls_server_get_n_timed_out (fixture->server) == 0)
    g_assert_cmpuint (fixture->streams->len, ==, 0);
  else
    g_test_message ("the machine was too slow to check that the client waits");
  core_test_run_until (has_streams, fixture, 15000);
  g_assert_cmpuint (hearth_tls_server_get_n_timed_out (fixture->server), >=, 1);
  {
    g_autofree char *received
        = read_pollable (g_ptr_array_index (fixture->streams, 0), strlen (CLIENT_MESSAGE));

    write_pollable (g_ptr_array_index (fixture->streams, 0), SERVER_MESSAGE);
  }
  client_wait (task);
  g_assert_no_error (known.error);
  client_clear (&known);
}

/* hearth_tls_stream_shutdown() wakes a waiting reader up to the end, and the client sees the
 * connection close. */
static void
test_shutdown (Fixture *fixture, gconstpointer user_data)
{
  Client client = { .hold_open = TRUE };
  GTask *task = client_start (fixture, &client, fixture->client_identity);
  HearthTlsStream *stream;
  GPollableInputStream *input;
  g_autoptr (GSource) source = NULL;
  g_autofree char *received = NULL;
  gboolean ready = FALSE;
  char byte;

  core_test_run_until (has_streams, fixture, 10000);
  stream = g_ptr_array_index (fixture->streams, 0);
  received = read_pollable (stream, strlen (CLIENT_MESSAGE));
  write_pollable (stream, SERVER_MESSAGE);

  input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (stream)));
  g_assert_false (g_pollable_input_stream_is_readable (input));
  source = g_pollable_input_stream_create_source (input, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (ready_cb), &ready, NULL);
  g_source_attach (source, NULL);
  hearth_tls_stream_shutdown (stream);
  while (!ready)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (source);
  g_assert_true (hearth_tls_stream_has_ended (stream));
  g_assert_cmpint (g_pollable_input_stream_read_nonblocking (input, &byte, 1, NULL, NULL), <=, 0);

  client_wait (task);
  g_assert_no_error (client.error);
  g_test_message ("client saw the close %" G_GINT64_FORMAT " ms after its reply",
                  client.closed_after_ms);
  client_clear (&client);
}

/* Two records that arrived together: once the reader has taken the first, the second is
 * already off the socket (in the stream's read-ahead or in GnuTLS), so the stream must say it
 * is readable without waiting for the socket, which stays empty. */
static void
test_buffered_records (Fixture *fixture, gconstpointer user_data)
{
  Client client = { .send_twice = TRUE };
  GTask *task = client_start (fixture, &client, fixture->client_identity);
  HearthTlsStream *stream;
  GPollableInputStream *input;
  char buffer[64];
  gsize length = strlen (CLIENT_MESSAGE);
  gsize got = 0;
  gint64 until;

  core_test_run_until (has_streams, fixture, 10000);
  stream = g_ptr_array_index (fixture->streams, 0);
  input = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (G_IO_STREAM (stream)));
  /* Both records are in the socket before the first read. */
  until = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (5000);

  while (got < length)
    {
      gssize n = g_pollable_input_stream_read_nonblocking (input, buffer + got, length - got, NULL,
                                                           NULL);

      g_assert_cmpint (n, >, 0);
      got += (gsize)n;
    }
  g_assert_cmpmem (buffer, length, CLIENT_MESSAGE, length);
  g_assert_false (g_socket_condition_check (hearth_tls_stream_get_socket (stream), G_IO_IN)
                  & G_IO_IN);
  g_assert_true (g_pollable_input_stream_is_readable (input));
  {
    g_autoptr (GSource) source = g_pollable_input_stream_create_source (input, NULL);
    gboolean ready = FALSE;

    g_source_set_callback (source, G_SOURCE_FUNC (ready_cb), &ready, NULL);
    g_source_attach (source, NULL);
    g_main_context_iteration (NULL, FALSE);
    g_assert_true (ready);
    g_source_destroy (source);
  }
  {
    g_autofree char *second = read_pollable (stream, length);

    g_assert_cmpstr (second, ==, CLIENT_MESSAGE);
  }
  write_pollable (stream, SERVER_MESSAGE);
  client_wait (task);
  g_assert_no_error (client.error);
  client_clear (&client);
}

/* A new certificate applies to the next handshakes; a connection made before keeps working. */
static void
test_rotated_certificate (Fixture *fixture, gconstpointer user_data)
{
  Client first = { .hold_open = TRUE }, second = { 0 };
  GTask *first_task = client_start (fixture, &first, fixture->client_identity);
  GTask *second_task;
  HearthTlsStream *old_stream;
  g_autoptr (HearthHubIdentity) rotated = make_identity (fixture, "rotated");
  g_autoptr (GError) error = NULL;
  g_autofree char *first_received = NULL;
  g_autofree char *second_received = NULL;
  g_autofree char *second_fingerprint = NULL;

  core_test_run_until (has_streams, fixture, 10000);
  old_stream = g_ptr_array_index (fixture->streams, 0);
  first_received = read_pollable (old_stream, strlen (CLIENT_MESSAGE));

  g_assert_true (hearth_tls_server_set_certificate (
      fixture->server, hearth_hub_identity_get_certificate (rotated), &error));
  g_assert_no_error (error);

  second_task = client_start (fixture, &second, fixture->client_identity);
  while (fixture->streams->len < 2)
    g_main_context_iteration (NULL, TRUE);
  second_received
      = read_pollable (g_ptr_array_index (fixture->streams, 1), strlen (CLIENT_MESSAGE));
  write_pollable (g_ptr_array_index (fixture->streams, 1), SERVER_MESSAGE);
  client_wait (second_task);
  g_assert_no_error (second.error);
  second_fingerprint = hearth_fingerprint_from_tls_certificate (second.server_certificate, NULL);
  g_assert_cmpstr (second_fingerprint, ==, hearth_hub_identity_get_fingerprint (rotated));

  /* The first connection still has the old credentials, and works. */
  write_pollable (old_stream, SERVER_MESSAGE);
  g_io_stream_close (G_IO_STREAM (old_stream), NULL, NULL);
  client_wait (first_task);
  g_assert_no_error (first.error);
  g_assert_cmpstr (first.reply, ==, SERVER_MESSAGE);
  client_clear (&first);
  client_clear (&second);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tls-server/accepted-key", Fixture, NULL, fixture_set_up, test_accepted_key,
              fixture_tear_down);
  g_test_add ("/tls-server/refused", Fixture, NULL, fixture_set_up, test_refused,
              fixture_tear_down);
  g_test_add ("/tls-server/stalled-handshake", Fixture, NULL, fixture_set_up,
              test_stalled_handshake, fixture_tear_down);
  g_test_add ("/tls-server/handshake-limit", Fixture, NULL, fixture_set_up, test_handshake_limit,
              fixture_tear_down);
  g_test_add ("/tls-server/shutdown", Fixture, NULL, fixture_set_up, test_shutdown,
              fixture_tear_down);
  g_test_add ("/tls-server/buffered-records", Fixture, NULL, fixture_set_up, test_buffered_records,
              fixture_tear_down);
  g_test_add ("/tls-server/rotated-certificate", Fixture, NULL, fixture_set_up,
              test_rotated_certificate, fixture_tear_down);
  return g_test_run ();
}
