/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-proxy"

/* The hub's device side against the real simulator (iotscp-device), over real mutual TLS on
 * loopback: device proxy, event server, event bus and registry together. */

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "core-test-utils.h"
#include "hearth-device-registry.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-soup-server-leak.h"
#include <libsoup/soup.h>

/* The simulator under test; HEARTH_TEST_IOTSCP_DEVICE can name another build of it. */
static const char *
simulator_path (void)
{
  const char *path = g_getenv ("HEARTH_TEST_IOTSCP_DEVICE");

  return path != NULL ? path : IOTSCP_DEVICE;
}

typedef struct
{
  GSubprocess *process;
  char *state_dir;
  char *id;
  char *fingerprint;
  guint16 port;
} Simulator;

typedef struct
{
  char *dir;
  char *hub_dir;
  HearthHubIdentity *identity;
  HearthTrustStore *trust_store;
  HearthEventBus *bus;
  HearthEventServer *server;
  HearthDeviceRegistry *registry;
  GPtrArray *events; /* HearthEvent, everything published */
  Simulator sims[2];
  char *extra_controller; /* another controller's fingerprint given to simulators, or NULL */
} Fixture;

static void
on_event (HearthEventBus *bus, HearthEvent *event, Fixture *fixture)
{
  g_ptr_array_add (fixture->events, hearth_event_ref (event));
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
simulator_start (Fixture *fixture, Simulator *sim, const char *profile, guint16 port)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_auto (GStrv) fields = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* A test that aborts must not leave simulators behind. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sim->process = g_subprocess_launcher_spawn (
      launcher, &error, simulator_path (), "--profile", profile, "--port", port_text, "--state-dir",
      sim->state_dir, "--allow-controller", hearth_hub_identity_get_fingerprint (fixture->identity),
      fixture->extra_controller != NULL ? "--allow-controller" : NULL, fixture->extra_controller,
      NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sim->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "ready "));
  fields = g_strsplit (line, " ", -1);
  g_clear_pointer (&sim->id, g_free);
  g_clear_pointer (&sim->fingerprint, g_free);
  sim->id = g_strdup (fields[1] + 3);
  sim->port = (guint16)g_ascii_strtoull (fields[2] + 5, NULL, 10);
  sim->fingerprint = g_strdup (fields[3] + 12);
  g_assert_true (hearth_fingerprint_is_valid (sim->fingerprint));
}

static void
simulator_kill (Simulator *sim)
{
  if (sim->process == NULL)
    return;
  g_subprocess_send_signal (sim->process, SIGKILL);
  g_subprocess_wait (sim->process, NULL, NULL);
  g_clear_object (&sim->process);
}

static void
simulator_new_key (Simulator *sim)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
      simulator_path (), "get-cert", "--state-dir", sim->state_dir, "--force", NULL);

  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (process, NULL, &error));
}

/* Starts a simulator with @profile, pins it, and tells the registry its address. */
static HearthDeviceProxy *
add_device (Fixture *fixture, guint index, const char *profile)
{
  Simulator *sim = &fixture->sims[index];
  g_autoptr (GError) error = NULL;

  simulator_start (fixture, sim, profile, 0);
  g_assert_true (
      hearth_trust_store_pin (fixture->trust_store, sim->id, sim->fingerprint, profile, &error));
  g_assert_no_error (error);
  g_assert_nonnull (hearth_device_registry_note_address (fixture->registry, sim->id, "127.0.0.1",
                                                         sim->port, NULL, &error));
  g_assert_no_error (error);
  return hearth_device_registry_get_proxy (fixture->registry, sim->id);
}

/* HEARTH_TEST_TIME_SCALE stretches every wait and time bound, for runs under valgrind only;
 * the figures the tests assert are for a scale of 1. */
static guint
scaled (guint milliseconds)
{
  const char *scale = g_getenv ("HEARTH_TEST_TIME_SCALE");

  return scale != NULL ? milliseconds * (guint)MAX (1, g_ascii_strtoull (scale, NULL, 10))
                       : milliseconds;
}

typedef struct
{
  HearthDevice *device;
  HearthDeviceState state;
} StateWait;

static gboolean
state_reached (gpointer data)
{
  StateWait *wait = data;

  return hearth_device_get_state (wait->device) == wait->state;
}

static gint64
wait_for_state (HearthDeviceProxy *proxy, HearthDeviceState state, guint timeout_ms)
{
  StateWait wait = { hearth_device_proxy_get_device (proxy), state };
  gint64 start = g_get_monotonic_time ();

  timeout_ms = scaled (timeout_ms);
  while (!state_reached (&wait) && g_get_monotonic_time () - start < (gint64)timeout_ms * 1000)
    g_main_context_iteration (NULL, FALSE), g_usleep (500);
  if (hearth_device_get_state (wait.device) != state)
    g_error ("device %s is %s, not %s after %u ms (%s)", hearth_device_get_id (wait.device),
             hearth_device_state_to_string (hearth_device_get_state (wait.device)),
             hearth_device_state_to_string (state), timeout_ms,
             hearth_device_get_problem (wait.device));
  return (g_get_monotonic_time () - start) / 1000;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  fixture->dir = core_test_make_temp_dir ();
  fixture->hub_dir = g_build_filename (fixture->dir, "hub", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (fixture->sims); i++)
    {
      g_autofree char *name = g_strdup_printf ("device-%u", i);

      fixture->sims[i].state_dir = g_build_filename (fixture->dir, name, NULL);
      g_assert_cmpint (g_mkdir_with_parents (fixture->sims[i].state_dir, 0700), ==, 0);
    }

  fixture->identity = hearth_hub_identity_new (fixture->hub_dir, NULL, &error);
  g_assert_no_error (error);
  fixture->trust_store = hearth_trust_store_new (fixture->hub_dir, NULL, &error);
  g_assert_no_error (error);
  fixture->bus = hearth_event_bus_new ();
  fixture->events = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_event_unref);
  g_signal_connect (fixture->bus, "event", G_CALLBACK (on_event), fixture);
  fixture->server = hearth_event_server_new (fixture->identity);
  g_assert_true (hearth_event_server_listen (fixture->server, loopback, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hearth_event_server_get_port (fixture->server), >, 0);
  fixture->registry = hearth_device_registry_new (fixture->identity, fixture->trust_store,
                                                  fixture->server, fixture->bus);
  hearth_device_registry_set_heartbeat (fixture->registry, MIN (60, scaled (1000) / 1000));
  hearth_device_registry_set_max_backoff (fixture->registry, 500);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->sims); i++)
    {
      simulator_kill (&fixture->sims[i]);
      g_free (fixture->sims[i].state_dir);
      g_free (fixture->sims[i].id);
      g_free (fixture->sims[i].fingerprint);
    }
  g_clear_object (&fixture->registry);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->bus);
  g_clear_object (&fixture->trust_store);
  g_clear_object (&fixture->identity);
  g_clear_pointer (&fixture->events, g_ptr_array_unref);
  g_free (fixture->extra_controller);
  core_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->hub_dir);
}

/* Runs the main loop until an async call completes. */
static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static JsonNode *
write_property (HearthDeviceProxy *proxy, const char *name, const char *value_json, GError **error)
{
  g_autoptr (JsonNode) value = json_from_string (value_json, NULL);
  g_autoptr (GAsyncResult) result = NULL;

  hearth_device_proxy_write_property_async (proxy, name, value, NULL, store_result, &result);
  return hearth_device_proxy_write_property_finish (proxy, wait_result (&result), error);
}

static JsonNode *
call_action (HearthDeviceProxy *proxy, const char *name, const char *input_json, GError **error)
{
  g_autoptr (JsonNode) input = input_json != NULL ? json_from_string (input_json, NULL) : NULL;
  g_autoptr (GAsyncResult) result = NULL;

  hearth_device_proxy_call_action_async (proxy, name, input, NULL, store_result, &result);
  return hearth_device_proxy_call_action_finish (proxy, wait_result (&result), error);
}

static guint
count_events (Fixture *fixture, HearthEventKind kind, const char *name, HearthEventSource source)
{
  guint n = 0;

  for (guint i = 0; i < fixture->events->len; i++)
    {
      HearthEvent *event = g_ptr_array_index (fixture->events, i);

      if (hearth_event_get_kind (event) == kind
          && (name == NULL || g_strcmp0 (hearth_event_get_name (event), name) == 0)
          && hearth_event_get_source (event) == source)
        n++;
    }
  return n;
}

static void
test_read_write_call (Fixture *fixture, gconstpointer user_data)
{
  HearthDeviceProxy *proxy = add_device (fixture, 0, "light");
  HearthDevice *device = hearth_device_proxy_get_device (proxy);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) applied = NULL;
  g_autoptr (JsonNode) output = NULL;

  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  g_assert_cmpstr (hearth_device_get_name (device), ==, "Light");
  g_assert_nonnull (hearth_device_get_description (device));
  g_assert_cmpuint (hearth_device_get_heartbeat_interval (device), ==,
                    MIN (60, scaled (1000) / 1000));
  g_assert_nonnull (hearth_device_proxy_get_value (proxy, "on"));
  g_assert_nonnull (hearth_device_proxy_get_value (proxy, "brightness"));
  g_assert_nonnull (hearth_device_proxy_get_value (proxy, "colour-temperature"));
  g_assert_cmpuint (
      count_events (fixture, HEARTH_EVENT_DEVICE_ONLINE, NULL, HEARTH_EVENT_SOURCE_HUB), ==, 1);

  /* Write: the applied value comes back, lands in the cache and on the bus. */
  applied = write_property (proxy, "brightness", "42", &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_node_get_int (applied), ==, 42);
  g_assert_cmpint (json_node_get_int (hearth_device_proxy_get_value (proxy, "brightness")), ==, 42);

  /* Checked against the description before sending. */
  g_assert_null (write_property (proxy, "brightness", "140", &error));
  g_assert_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "above the maximum 100"));
  g_clear_error (&error);
  g_assert_null (write_property (proxy, "no-such", "1", &error));
  g_assert_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Refused by the device's logic: the error carries the device's own message. */
  g_clear_pointer (&applied, json_node_unref);
  applied = write_property (proxy, "on", "false", &error);
  g_assert_no_error (error);
  g_assert_null (call_action (proxy, "blink", "{\"times\": 2}", &error));
  g_assert_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_REFUSED);
  g_assert_cmpstr (error->message, ==, "the light is off");
  g_clear_error (&error);

  g_clear_pointer (&applied, json_node_unref);
  applied = write_property (proxy, "on", "true", &error);
  g_assert_no_error (error);
  output = call_action (proxy, "blink", "{\"times\": 2}", &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_NULL (output));
  g_assert_null (call_action (proxy, "blink", "{\"times\": 20}", &error));
  g_assert_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_INVALID_VALUE);
}

typedef struct
{
  Fixture *fixture;
  const char *name;
  guint n;
} EventWait;

static gboolean
enough_events (gpointer data)
{
  EventWait *wait = data;

  return count_events (wait->fixture, HEARTH_EVENT_DEVICE_EVENT, wait->name,
                       HEARTH_EVENT_SOURCE_NOTIFY)
         >= wait->n;
}

static void
test_events (Fixture *fixture, gconstpointer user_data)
{
  HearthDeviceProxy *proxy = add_device (fixture, 0, "keypad");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) output = NULL;
  EventWait wait = { fixture, "key", 2 };
  HearthEvent *down = NULL;
  guint64 heartbeats_before, connections_before;

  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  output = call_action (proxy, "press", "{\"key\": 60, \"velocity\": 90}", &error);
  g_assert_no_error (error);

  /* The action makes the device emit key down and key up; both come back by NOTIFY. */
  core_test_run_until (enough_events, &wait, scaled (3000));
  g_assert_cmpuint (
      count_events (fixture, HEARTH_EVENT_DEVICE_EVENT, "key", HEARTH_EVENT_SOURCE_NOTIFY), ==, 2);
  for (guint i = 0; i < fixture->events->len && down == NULL; i++)
    if (hearth_event_get_kind (g_ptr_array_index (fixture->events, i)) == HEARTH_EVENT_DEVICE_EVENT)
      down = g_ptr_array_index (fixture->events, i);
  g_assert_cmpint (
      json_object_get_int_member (json_node_get_object (hearth_event_get_value (down)), "key"), ==,
      60);
  g_assert_cmpstr (
      json_object_get_string_member (json_node_get_object (hearth_event_get_value (down)), "state"),
      ==, "down");

  /* Heartbeats keep coming (1 s) and keep the device online. */
  heartbeats_before = hearth_event_server_get_n_accepted (fixture->server);
  connections_before = hearth_event_server_get_n_connections (fixture->server);
  {
    gint64 until = g_get_monotonic_time () + (gint64)scaled (2500) * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  g_assert_cmpuint (hearth_event_server_get_n_accepted (fixture->server), >=,
                    heartbeats_before + 2);
  /* ... over the connection the device keeps alive: no new handshake for each NOTIFY. */
  g_assert_cmpuint (hearth_event_server_get_n_connections (fixture->server), ==,
                    connections_before);
  g_assert_cmpint (hearth_device_get_state (hearth_device_proxy_get_device (proxy)), ==,
                   HEARTH_DEVICE_STATE_ONLINE);
  g_assert_cmpuint (hearth_device_proxy_get_n_lost_notifies (proxy), ==, 0);
}

static void
test_liveness (Fixture *fixture, gconstpointer user_data)
{
  HearthDeviceProxy *proxy = add_device (fixture, 0, "light");
  HearthDevice *device = hearth_device_proxy_get_device (proxy);
  Simulator *sim = &fixture->sims[0];
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) applied = NULL;
  gint64 offline_ms, online_ms;

  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  applied = write_property (proxy, "brightness", "77", &error);
  g_assert_no_error (error);

  /* Killed: offline within 3 heartbeats (1 s each). */
  simulator_kill (sim);
  offline_ms = wait_for_state (proxy, HEARTH_DEVICE_STATE_OFFLINE, 3000);
  g_test_message ("offline %" G_GINT64_FORMAT " ms after the kill", offline_ms);
  g_assert_cmpint (offline_ms, <=, scaled (3000));
  g_assert_cmpuint (
      count_events (fixture, HEARTH_EVENT_DEVICE_OFFLINE, NULL, HEARTH_EVENT_SOURCE_HUB), ==, 1);

  /* Restarted on the same port (its state is not kept: brightness starts again): resubscribed
   * and re-read within 2 s, with no help from discovery. */
  {
    gint64 dead_until = g_get_monotonic_time () + (gint64)scaled (1500) * 1000;

    while (g_get_monotonic_time () < dead_until)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  simulator_start (fixture, sim, "light", sim->port);
  online_ms = wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 2000);
  g_test_message ("online again %" G_GINT64_FORMAT " ms after the restart", online_ms);
  g_assert_cmpuint (hearth_device_get_resubscribe_count (device), ==, 1);
  g_assert_cmpint (json_node_get_int (hearth_device_proxy_get_value (proxy, "brightness")), !=, 77);
}

/* A request that cannot get through must end all the same. glib-networking runs each TLS
 * handshake on GLib's shared thread pool; libsoup's I/O timeout does not cover the wait there
 * and the request's cancellable is not looked at meanwhile, so before the request deadline a
 * device whose handshake waited stayed offline with no problem recorded and no retry (the
 * symptom reported from the event-intake bench). Here the pool is made busy with real blocked tasks that sort before the handshake: the device must be
 * reported offline with the reason within the request deadline (15 s), and come online once
 * the pool is free again. */

typedef struct
{
  GMutex lock;
  GCond released_cond;
  gboolean released;
  guint remaining;
} PoolBlocker;

static void
block_pool_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PoolBlocker *blocker = task_data;

  g_mutex_lock (&blocker->lock);
  while (!blocker->released)
    g_cond_wait (&blocker->released_cond, &blocker->lock);
  blocker->remaining--;
  g_mutex_unlock (&blocker->lock);
  g_task_return_boolean (task, TRUE);
}

static void
test_stalled_handshake (Fixture *fixture, gconstpointer user_data)
{
  /* More tasks than the pool grows threads in the time this test waits (GLib adds one thread
   * every 100 ms or more while all are busy). */
  const guint n_blockers = 600;
  PoolBlocker blocker = { 0 };
  HearthDeviceProxy *proxy;
  HearthDevice *device;
  gint64 stall_end;

  g_mutex_init (&blocker.lock);
  g_cond_init (&blocker.released_cond);
  blocker.remaining = n_blockers;
  for (guint i = 0; i < n_blockers; i++)
    {
      g_autoptr (GTask) task = g_task_new (NULL, NULL, NULL, NULL);

      g_task_set_priority (task, G_PRIORITY_HIGH);
      g_task_set_task_data (task, &blocker, NULL);
      g_task_run_in_thread (task, block_pool_thread);
    }

  proxy = add_device (fixture, 0, "light");
  device = hearth_device_proxy_get_device (proxy);
  stall_end = g_get_monotonic_time () + (gint64)scaled (20000) * 1000;
  while (g_get_monotonic_time () < stall_end && hearth_device_get_problem (device) == NULL)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  g_test_message ("state %s, problem: %s",
                  hearth_device_state_to_string (hearth_device_get_state (device)),
                  hearth_device_get_problem (device));
  g_assert_cmpint (hearth_device_get_state (device), ==, HEARTH_DEVICE_STATE_OFFLINE);
  g_assert_nonnull (hearth_device_get_problem (device));
  g_assert_nonnull (strstr (hearth_device_get_problem (device), "within"));

  g_mutex_lock (&blocker.lock);
  blocker.released = TRUE;
  g_cond_broadcast (&blocker.released_cond);
  g_mutex_unlock (&blocker.lock);
  g_test_message ("online %" G_GINT64_FORMAT " ms after the pool was freed",
                  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 20000));
  /* The blocked tasks hold pointers to the blocker: let every one of them finish. */
  for (;;)
    {
      guint remaining;

      g_mutex_lock (&blocker.lock);
      remaining = blocker.remaining;
      g_mutex_unlock (&blocker.lock);
      if (remaining == 0)
        break;
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A TCP relay in front of the device that counts the TLS records the hub sends it. TLS 1.2
 * application data (record type 23) is what carries HTTP requests; a handshake that the hub
 * refuses ends with an alert (type 21) and carries none. So "0 requests delivered" is measured
 * on the wire, at the device's side. */

typedef struct
{
  GSocketListener *listener;
  GCancellable *cancellable;
  GThread *thread;
  guint16 port;
  guint16 target_port;
  gint n_connections;
  gint n_application_records; /* hub → device */
} Relay;

typedef struct
{
  Relay *relay;
  GIOStream *from;
  GIOStream *to;
  gboolean count_records;
} RelayPipe;

static gpointer
relay_pipe_thread (gpointer data)
{
  RelayPipe *pipe = data;
  GInputStream *in = g_io_stream_get_input_stream (pipe->from);
  GOutputStream *out = g_io_stream_get_output_stream (pipe->to);
  guint8 buffer[16384 + 5];

  for (;;)
    {
      gsize n = 0;

      if (pipe->count_records)
        {
          gsize length;

          if (!g_input_stream_read_all (in, buffer, 5, &n, NULL, NULL) || n < 5)
            break;
          length = ((gsize)buffer[3] << 8) | buffer[4];
          if (length > 16384 + 2048
              || !g_input_stream_read_all (in, buffer + 5, length, &n, NULL, NULL) || n < length)
            break;
          if (buffer[0] == 23)
            g_atomic_int_inc (&pipe->relay->n_application_records);
          n = length + 5;
        }
      else
        {
          gssize got = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL);

          if (got <= 0)
            break;
          n = (gsize)got;
        }
      if (!g_output_stream_write_all (out, buffer, n, NULL, NULL, NULL))
        break;
    }
  /* Either side ending ends both. */
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (pipe->to)), FALSE, TRUE,
                     NULL);
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (pipe->from)), TRUE, FALSE,
                     NULL);
  return NULL;
}

static gpointer
relay_accept_thread (gpointer data)
{
  Relay *relay = data;

  for (;;)
    {
      g_autoptr (GSocketConnection) client = NULL;
      g_autoptr (GSocketConnection) upstream = NULL;
      g_autoptr (GSocketClient) connector = g_socket_client_new ();
      RelayPipe up, down;
      GThread *threads[2];

      client = g_socket_listener_accept (relay->listener, NULL, relay->cancellable, NULL);
      if (client == NULL)
        break;
      g_atomic_int_inc (&relay->n_connections);
      upstream = g_socket_client_connect_to_host (connector, "127.0.0.1", relay->target_port,
                                                  relay->cancellable, NULL);
      if (upstream == NULL)
        continue;
      up = (RelayPipe){ relay, G_IO_STREAM (client), G_IO_STREAM (upstream), TRUE };
      down = (RelayPipe){ relay, G_IO_STREAM (upstream), G_IO_STREAM (client), FALSE };
      threads[0] = g_thread_new ("relay-up", relay_pipe_thread, &up);
      threads[1] = g_thread_new ("relay-down", relay_pipe_thread, &down);
      g_thread_join (threads[0]);
      g_thread_join (threads[1]);
    }
  return NULL;
}

static void
relay_start (Relay *relay, guint16 target_port)
{
  g_autoptr (GError) error = NULL;

  relay->target_port = target_port;
  relay->cancellable = g_cancellable_new ();
  relay->listener = g_socket_listener_new ();
  relay->port = g_socket_listener_add_any_inet_port (relay->listener, NULL, &error);
  g_assert_no_error (error);
  relay->thread = g_thread_new ("relay", relay_accept_thread, relay);
}

static void
relay_stop (Relay *relay)
{
  g_cancellable_cancel (relay->cancellable);
  g_socket_listener_close (relay->listener);
  g_thread_join (relay->thread);
  g_clear_object (&relay->listener);
  g_clear_object (&relay->cancellable);
}

static void
test_certificate_change (Fixture *fixture, gconstpointer user_data)
{
  Simulator *sim = &fixture->sims[0];
  HearthDeviceProxy *proxy;
  g_autofree char *old_fingerprint = NULL;
  g_autoptr (HearthTrustPendingChange) pending = NULL;
  g_autoptr (GError) error = NULL;
  guint64 accepted_before, refused_before;
  Relay relay = { 0 };

  /* The hub reaches the device through the counting relay. */
  simulator_start (fixture, sim, "light", 0);
  relay_start (&relay, sim->port);
  g_assert_true (
      hearth_trust_store_pin (fixture->trust_store, sim->id, sim->fingerprint, "light", &error));
  g_assert_nonnull (hearth_device_registry_note_address (fixture->registry, sim->id, "127.0.0.1",
                                                         relay.port, NULL, &error));
  proxy = hearth_device_registry_get_proxy (fixture->registry, sim->id);
  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  old_fingerprint = g_strdup (sim->fingerprint);

  /* The device gets a new key and comes back on the same address. */
  simulator_kill (sim);
  simulator_new_key (sim);
  simulator_start (fixture, sim, "light", sim->port);
  g_assert_cmpstr (sim->fingerprint, !=, old_fingerprint);
  hearth_device_proxy_reconnect (proxy);
  /* Before the change, requests did flow through the relay (the count is not blind). */
  g_assert_cmpint (g_atomic_int_get (&relay.n_application_records), >, 0);
  g_atomic_int_set (&relay.n_application_records, 0);
  wait_for_state (proxy, HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED, 5000);
  accepted_before = hearth_event_server_get_n_accepted (fixture->server);

  pending = hearth_trust_store_get_pending (fixture->trust_store, sim->id);
  g_assert_nonnull (pending);
  g_assert_cmpstr (pending->old_fingerprint, ==, old_fingerprint);
  g_assert_cmpstr (pending->new_fingerprint, ==, sim->fingerprint);
  g_clear_pointer (&pending, hearth_trust_pending_change_free);

  /* Requests are refused without touching the network. */
  g_assert_null (write_property (proxy, "brightness", "10", &error));
  g_assert_error (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_NOT_TRUSTED);
  g_clear_error (&error);

  /* 1,000 reconnects: each handshake is refused at the TLS layer, and the store keeps one
   * pending change whose counter counts them. */
  refused_before = hearth_device_proxy_get_n_handshakes_refused (proxy);
  for (guint i = 0; i < 1000; i++)
    {
      guint64 target = refused_before + i + 1;

      hearth_device_proxy_reconnect (proxy);
      while (hearth_device_proxy_get_n_handshakes_refused (proxy) < target)
        g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->trust_store), ==, 1);
  pending = hearth_trust_store_get_pending (fixture->trust_store, sim->id);
  g_assert_cmpuint (pending->count, >=, 1001);
  g_test_message ("pending change count after 1,000 reconnects: %" G_GUINT64_FORMAT,
                  pending->count);
  g_assert_cmpint (hearth_device_get_state (hearth_device_proxy_get_device (proxy)), ==,
                   HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED);
  /* Nothing came in from the device meanwhile: it has no subscription to us. */
  g_assert_cmpuint (hearth_event_server_get_n_accepted (fixture->server), ==, accepted_before);
  g_assert_cmpuint (hearth_device_get_resubscribe_count (hearth_device_proxy_get_device (proxy)),
                    ==, 0);
  /* And the device received no request at all: not one application-data record in 1,000+
   * handshakes. */
  g_test_message ("connections through the relay: %d, application-data records to the device "
                  "while quarantined: %d",
                  g_atomic_int_get (&relay.n_connections),
                  g_atomic_int_get (&relay.n_application_records));
  g_assert_cmpint (g_atomic_int_get (&relay.n_connections), >=, 1000);
  g_assert_cmpint (g_atomic_int_get (&relay.n_application_records), ==, 0);

  /* The user rejects the key: the device stays refused (shown as blocked), still with nothing
   * sent to it. */
  g_assert_true (hearth_trust_store_reject (fixture->trust_store, sim->id, &error));
  g_assert_no_error (error);
  hearth_device_proxy_reconnect (proxy);
  wait_for_state (proxy, HEARTH_DEVICE_STATE_BLOCKED, 5000);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->trust_store), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&relay.n_application_records), ==, 0);

  /* The user changes their mind and approves the key they were shown: back online. */
  g_assert_true (
      hearth_trust_store_approve (fixture->trust_store, sim->id, sim->fingerprint, &error));
  g_assert_no_error (error);
  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  g_assert_cmpint (g_atomic_int_get (&relay.n_application_records), >, 0);

  hearth_device_proxy_stop (proxy);
  simulator_kill (sim);
  relay_stop (&relay);
}

/* A raw TLS client, to send the event server what no well-behaved device sends. */

static GTlsCertificate *
load_device_certificate (const char *state_dir)
{
  g_autofree char *cert_path = g_build_filename (state_dir, "cert.der", NULL);
  g_autofree char *key_path = g_build_filename (state_dir, "key.der", NULL);
  g_autofree char *cert_der = NULL;
  g_autofree char *key_der = NULL;
  gsize cert_length, key_length;
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
  gnutls_datum_t datum;
  char cert_pem[4096], key_pem[4096];
  size_t cert_pem_size = sizeof cert_pem, key_pem_size = sizeof key_pem;
  g_autofree char *pem = NULL;
  g_autoptr (GError) error = NULL;
  GTlsCertificate *certificate;

  g_assert_true (g_file_get_contents (cert_path, &cert_der, &cert_length, NULL));
  g_assert_true (g_file_get_contents (key_path, &key_der, &key_length, NULL));
  gnutls_x509_crt_init (&crt);
  gnutls_x509_privkey_init (&key);
  datum.data = (unsigned char *)cert_der;
  datum.size = (unsigned int)cert_length;
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==, 0);
  datum.data = (unsigned char *)key_der;
  datum.size = (unsigned int)key_length;
  g_assert_cmpint (gnutls_x509_privkey_import (key, &datum, GNUTLS_X509_FMT_DER), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export (crt, GNUTLS_X509_FMT_PEM, cert_pem, &cert_pem_size), ==,
                   0);
  g_assert_cmpint (gnutls_x509_privkey_export_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                     GNUTLS_PKCS_PLAIN, key_pem, &key_pem_size),
                   ==, 0);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  pem = g_strdup_printf ("%.*s%.*s", (int)cert_pem_size, cert_pem, (int)key_pem_size, key_pem);
  certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  return certificate;
}

typedef struct
{
  guint16 port;
  GTlsCertificate *certificate;
  char *request;
  char *answer; /* the status line, or NULL when the handshake or the write failed */
  gint64 closed_after_ms;
} RawRequest;

static gboolean
accept_any (GTlsConnection *connection, GTlsCertificate *certificate, GTlsCertificateFlags errors,
            gpointer user_data)
{
  return TRUE;
}

static void
raw_request_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RawRequest *raw = task_data;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) tcp = NULL;
  g_autoptr (GIOStream) tls = NULL;
  g_autoptr (GError) error = NULL;
  char buffer[1024] = { 0 };
  gsize received = 0;
  gssize n;
  gint64 start = g_get_monotonic_time ();

  tcp = g_socket_client_connect_to_host (client, "127.0.0.1", raw->port, NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
  if (raw->certificate != NULL)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (tls), raw->certificate);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (raw->request != NULL
      && !g_output_stream_write_all (g_io_stream_get_output_stream (tls), raw->request,
                                     strlen (raw->request), NULL, NULL, &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  while (received < sizeof buffer - 1
         && (n = g_input_stream_read (g_io_stream_get_input_stream (tls), buffer + received,
                                      sizeof buffer - 1 - received, NULL, NULL))
                > 0)
    {
      received += (gsize)n;
      if (strstr (buffer, "\r\n") != NULL && raw->request != NULL)
        break;
    }
  raw->closed_after_ms = (g_get_monotonic_time () - start) / 1000;
  if (strstr (buffer, "\r\n") != NULL)
    raw->answer = g_strndup (buffer, (gsize)(strstr (buffer, "\r\n") - buffer));
  g_task_return_boolean (task, TRUE);
}

static char *
send_raw (Fixture *fixture, GTlsCertificate *certificate, const char *request,
          gint64 *closed_after_ms)
{
  RawRequest raw
      = { hearth_event_server_get_port (fixture->server), certificate, (char *)request, NULL, 0 };
  g_autoptr (GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_task_set_task_data (task, &raw, NULL);
  g_task_run_in_thread (task, raw_request_thread);
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);
  if (closed_after_ms != NULL)
    *closed_after_ms = raw.closed_after_ms;
  return raw.answer;
}

static const char *notify_boot_id = "0123456789abcdef0123456789abcdef";

static char *
notify_request (const char *device_id, const char *sid, const char *seq, const char *extra,
                const char *body)
{
  return g_strdup_printf ("NOTIFY /iotscp/events/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nNT: iotscp:event\r\n"
                          "NTS: iotscp:update\r\nSID: %s\r\nSEQ: %s\r\n"
                          "BOOTID: %s\r\n%sContent-Length: %zu\r\n"
                          "\r\n%s",
                          device_id, sid, seq, notify_boot_id, extra, strlen (body), body);
}

static guint
count_notify_values (Fixture *fixture)
{
  return count_events (fixture, HEARTH_EVENT_PROPERTY_CHANGED, NULL, HEARTH_EVENT_SOURCE_NOTIFY)
         + count_events (fixture, HEARTH_EVENT_DEVICE_EVENT, NULL, HEARTH_EVENT_SOURCE_NOTIFY);
}

static void
test_notify_rejected (Fixture *fixture, gconstpointer user_data)
{
  HearthDeviceProxy *proxy_a = add_device (fixture, 0, "light");
  HearthDeviceProxy *proxy_b = add_device (fixture, 1, "light");
  const char *body = "{\"events\":[{\"kind\":\"property\",\"name\":\"brightness\",\"value\":3,"
                     "\"t\":1}]}";
  g_autoptr (GTlsCertificate) key_a = NULL;
  g_autoptr (GTlsCertificate) key_b = NULL;
  g_autoptr (GTlsCertificate) stranger = NULL;
  g_autofree char *stranger_cert = core_test_data_path ("protocol/identity/example-device.crt.pem");
  g_autofree char *stranger_key = core_test_data_path ("protocol/identity/example-device.key.pem");
  g_autoptr (GError) error = NULL;
  const char *id_a = fixture->sims[0].id;
  guint before;
  gint64 closed_ms = 0;

  wait_for_state (proxy_a, HEARTH_DEVICE_STATE_ONLINE, 5000);
  wait_for_state (proxy_b, HEARTH_DEVICE_STATE_ONLINE, 5000);
  key_a = load_device_certificate (fixture->sims[0].state_dir);
  key_b = load_device_certificate (fixture->sims[1].state_dir);
  stranger = g_tls_certificate_new_from_files (stranger_cert, stranger_key, &error);
  g_assert_no_error (error);

  /* Let a few heartbeats through, so SEQ 0 is in the past. */
  {
    gint64 until = g_get_monotonic_time () + (gint64)scaled (2200) * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  before = count_notify_values (fixture);
  notify_boot_id = hearth_device_proxy_get_boot_id (proxy_a);

  {
    g_autofree char *request
        = notify_request (id_a, "uuid:00000000-0000-4000-8000-000000000000", "1", "", body);
    g_autofree char *answer = send_raw (fixture, key_a, request, NULL);

    g_assert_cmpstr (answer, ==, "HTTP/1.1 412 Precondition Failed");
  }
  {
    g_autofree char *request
        = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "0", "", body);
    g_autofree char *answer = send_raw (fixture, key_a, request, NULL);

    g_assert_cmpstr (answer, ==, "HTTP/1.1 409 Conflict");
  }
  {
    g_autofree char *request = NULL;
    g_autofree char *answer = NULL;

    notify_boot_id = "ffffffffffffffffffffffffffffffff";
    request = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4000", "", body);
    answer = send_raw (fixture, key_a, request, NULL);
    notify_boot_id = hearth_device_proxy_get_boot_id (proxy_a);
    g_assert_cmpstr (answer, ==, "HTTP/1.1 412 Precondition Failed");
  }
  {
    g_autofree char *request
        = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4000", "", body);
    g_autofree char *answer = send_raw (fixture, key_b, request, NULL);

    g_assert_cmpstr (answer, ==, "HTTP/1.1 403 Forbidden");
  }
  {
    g_autofree char *request
        = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4000", "", body);
    g_autofree char *answer = send_raw (fixture, stranger, request, NULL);

    g_assert_null (answer); /* refused in the handshake */
  }
  {
    g_autofree char *request
        = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4000", "", body);
    g_autofree char *answer = send_raw (fixture, NULL, request, NULL);

    g_assert_null (answer); /* no client certificate */
  }
  {
    g_autofree char *request = g_strdup_printf (
        "NOTIFY /iotscp/events/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "NT: iotscp:event\r\nNTS: iotscp:update\r\nSID: %s\r\nSEQ: 4000\r\n"
        "BOOTID: %s\r\nContent-Length: 100000\r\n\r\n",
        id_a, hearth_device_proxy_get_sid (proxy_a), notify_boot_id);
    g_autofree char *answer = send_raw (fixture, key_a, request, &closed_ms);

    /* Closed at once, before any of the body is read. */
    g_assert_null (answer);
    g_assert_cmpint (closed_ms, <, scaled (1000));
  }
  {
    /* 100 KiB of headers: closed, not served. */
    g_autoptr (GString) junk = g_string_new ("X-Junk: ");
    g_autofree char *request = NULL;
    g_autofree char *answer = NULL;

    for (int i = 0; i < 100 * 1024; i++)
      g_string_append_c (junk, 'a' + i % 26);
    g_string_append (junk, "\r\n");
    request = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4000", junk->str, body);
    answer = send_raw (fixture, key_a, request, NULL);
    g_assert_true (answer == NULL || g_str_has_prefix (answer, "HTTP/1.1 4"));
  }
  {
    g_autofree char *request
        = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4x", "", body);
    g_autofree char *answer = send_raw (fixture, key_a, request, NULL);

    g_assert_cmpstr (answer, ==, "HTTP/1.1 400 Bad Request");
  }
  {
    g_autofree char *request = notify_request (id_a, hearth_device_proxy_get_sid (proxy_a), "4000",
                                               "", "{\"events\":[{\"kind\":1}]}");
    g_autofree char *answer = send_raw (fixture, key_a, request, NULL);

    g_assert_cmpstr (answer, ==, "HTTP/1.1 400 Bad Request");
  }
  {
    /* A stalled client (handshake done, no request) is closed by the deadline. */
    g_autofree char *answer = NULL;

    hearth_event_server_set_request_timeout (fixture->server, 2);
    answer = send_raw (fixture, key_a, NULL, &closed_ms);
    g_assert_null (answer);
    g_test_message ("stalled connection closed after %" G_GINT64_FORMAT " ms", closed_ms);
    g_assert_cmpint (closed_ms, >=, 1500);
    g_assert_cmpint (closed_ms, <=, scaled (3500));
  }

  /* Nothing of it reached the bus or the cache, and the server still serves the devices. */
  g_assert_cmpuint (count_notify_values (fixture), ==, before);
  g_assert_cmpint (json_node_get_int (hearth_device_proxy_get_value (proxy_a, "brightness")), !=,
                   3);
  {
    guint64 accepted = hearth_event_server_get_n_accepted (fixture->server);
    gint64 until = g_get_monotonic_time () + (gint64)scaled (1500) * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
    g_assert_cmpuint (hearth_event_server_get_n_accepted (fixture->server), >, accepted);
  }
  g_assert_cmpint (hearth_device_get_state (hearth_device_proxy_get_device (proxy_a)), ==,
                   HEARTH_DEVICE_STATE_ONLINE);
  g_assert_cmpuint (hearth_device_proxy_get_n_lost_notifies (proxy_a), ==, 0);
}

/* The fault proxy: a TLS man in the middle between the simulator's NOTIFYs and the event
 * server. It holds both keys (the hub's, to be the server the device expects, and the device's,
 * read from its state directory, to be the client the event server expects), so it can do to
 * whole NOTIFYs what a bad network and a lost connection do: lose them silently, deliver them
 * late (after the next one: reordered), cut the connection, or fail them. */

typedef enum
{
  FAULT_NONE,
  FAULT_DROP, /* answer 200 to the device, never forward: a silent loss on the wire */
  FAULT_HOLD, /* answer 200, forward after the next NOTIFY: reordered */
  FAULT_CUT,  /* close the device's connection without an answer */
  FAULT_FAIL, /* answer 500 without forwarding */
  FAULT_N
} Fault;

typedef struct
{
  SoupServer *server;
  SoupSession *session; /* to the event server, with the device's key */
  GTlsCertificate *device_certificate;
  guint16 server_port;
  GRand *rand;
  gboolean faults_enabled;
  guint n_notifies; /* update NOTIFYs seen */
  guint n_faults[FAULT_N];
  guint n_forwarded;
  guint n_in_flight;
  SoupMessage *held; /* a NOTIFY waiting to be delivered late */
} FaultProxy;

static gboolean
accept_any_message (gpointer msg, GTlsCertificate *certificate, GTlsCertificateFlags errors,
                    gpointer user_data)
{
  return TRUE;
}

static void
set_no_delay (SoupMessage *msg, GSocketClientEvent event, GIOStream *connection, gpointer data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                         IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
fault_proxy_request_started (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_message), NULL);
  if (soup_server_message_get_socket (msg) != NULL)
    g_socket_set_option (soup_server_message_get_socket (msg), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static SoupMessage *
copy_notify (FaultProxy *proxy, SoupServerMessage *msg)
{
  static const char *const names[] = { "NT", "NTS", "SID", "SEQ", "BOOTID" };
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u%s", proxy->server_port,
                                          g_uri_get_path (soup_server_message_get_uri (msg)));
  SoupMessage *copy = soup_message_new ("NOTIFY", uri);
  SoupMessageHeaders *from = soup_server_message_get_request_headers (msg);
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (soup_message_headers_get_one (from, names[i]) != NULL)
      soup_message_headers_append (soup_message_get_request_headers (copy), names[i],
                                   soup_message_headers_get_one (from, names[i]));
  soup_message_set_request_body_from_bytes (copy, "application/json", body);
  soup_message_set_tls_client_certificate (copy, proxy->device_certificate);
  g_signal_connect (copy, "accept-certificate", G_CALLBACK (accept_any_message), NULL);
  g_signal_connect (copy, "network-event", G_CALLBACK (set_no_delay), NULL);
  return copy;
}

typedef struct
{
  FaultProxy *proxy;
  SoupServerMessage *waiting; /* the device's NOTIFY, answered with the hub's status; or NULL */
} Forward;

static void
forwarded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Forward *forward = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  guint status = body != NULL ? soup_message_get_status (msg) : 502;

  forward->proxy->n_in_flight--;
  forward->proxy->n_forwarded++;
  if (forward->waiting != NULL)
    {
      soup_server_message_set_status (forward->waiting, status, NULL);
      soup_server_message_unpause (forward->waiting);
      g_object_unref (forward->waiting);
    }
  g_free (forward);
}

static void
forward (FaultProxy *proxy, SoupMessage *copy, SoupServerMessage *waiting)
{
  Forward *data = g_new0 (Forward, 1);

  data->proxy = proxy;
  if (waiting != NULL)
    {
      data->waiting = g_object_ref (waiting);
      soup_server_message_pause (waiting);
    }
  proxy->n_in_flight++;
  soup_session_send_and_read_async (proxy->session, copy, G_PRIORITY_DEFAULT, NULL, forwarded_cb,
                                    data);
}

static void
fault_proxy_handler (SoupServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer user_data)
{
  FaultProxy *proxy = user_data;
  gboolean is_update = g_strcmp0 (soup_message_headers_get_one (
                                      soup_server_message_get_request_headers (msg), "NTS"),
                                  "iotscp:update")
                       == 0;
  Fault fault = FAULT_NONE;
  guint roll;

  if (is_update)
    proxy->n_notifies++;
  roll = (guint)g_rand_int_range (proxy->rand, 0, 100);
  if (proxy->faults_enabled)
    fault = roll < 8    ? FAULT_DROP
            : roll < 16 ? FAULT_HOLD
            : roll < 22 ? FAULT_CUT
            : roll < 28 ? FAULT_FAIL
                        : FAULT_NONE;
  if (fault == FAULT_HOLD && proxy->held != NULL)
    fault = FAULT_NONE;
  proxy->n_faults[fault]++;

  switch (fault)
    {
      case FAULT_DROP:
        soup_server_message_set_status (msg, 200, NULL);
        break;
      case FAULT_HOLD:
        proxy->held = copy_notify (proxy, msg);
        soup_server_message_set_status (msg, 200, NULL);
        break;
      case FAULT_CUT:
        {
          g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);

          g_io_stream_close (stream, NULL, NULL);
          break;
        }
      case FAULT_FAIL:
        soup_server_message_set_status (msg, 500, NULL);
        break;
      case FAULT_NONE:
      default:
        /* Store and forward: the device is answered at once, so the proxy adds no round trip;
         * one connection to the event server keeps the order. */
        soup_server_message_set_status (msg, 200, NULL);
        forward (proxy, copy_notify (proxy, msg), NULL);
        /* The held NOTIFY goes after this newer one: the hub sees it out of order. */
        if (proxy->held != NULL)
          {
            forward (proxy, g_steal_pointer (&proxy->held), NULL);
          }
        break;
    }
}

static void
fault_proxy_start (FaultProxy *proxy, Fixture *fixture, const char *device_state_dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  proxy->rand = g_rand_new_with_seed (4242);
  proxy->server_port = hearth_event_server_get_port (fixture->server);
  proxy->device_certificate = load_device_certificate (device_state_dir);
  proxy->server
      = soup_server_new ("tls-certificate", hearth_hub_identity_get_certificate (fixture->identity),
                         "tls-auth-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
  g_signal_connect (proxy->server, "request-started", G_CALLBACK (fault_proxy_request_started),
                    NULL);
  soup_server_add_handler (proxy->server, NULL, fault_proxy_handler, proxy, NULL);
  g_assert_true (soup_server_listen (proxy->server, address, SOUP_SERVER_LISTEN_HTTPS, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (proxy->server);
  if (g_getenv ("HEARTH_FAULT_DIRECT") == NULL)
    hearth_event_server_set_callback_port (fixture->server, (guint16)g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  /* One connection, so NOTIFYs reach the event server in the order they are forwarded. */
  proxy->session = soup_session_new_with_options ("tls-database", NULL, "max-conns", 1, NULL);
}

static void
fault_proxy_stop (FaultProxy *proxy)
{
  soup_server_disconnect (proxy->server);
  g_clear_object (&proxy->server);
  soup_session_abort (proxy->session);
  g_clear_object (&proxy->session);
  g_clear_object (&proxy->held);
  g_clear_object (&proxy->device_certificate);
  g_rand_free (proxy->rand);
}

/* The test's own controller, writing to the device directly as a person's phone might: its
 * changes reach the hub only by NOTIFY. */
typedef struct
{
  SoupSession *session;
  GTlsCertificate *certificate;
  char *base;
  guint n_written;
  guint n_failed;
  gboolean busy;
} Writer;

static void
writer_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Writer *writer = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  writer->busy = FALSE;
  if (body != NULL && soup_message_get_status (msg) == 200)
    writer->n_written++;
  else
    writer->n_failed++;
}

static SoupMessage *
writer_message (Writer *writer, const char *method, const char *path, const char *body)
{
  g_autofree char *uri = g_strconcat (writer->base, path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);

  soup_message_set_tls_client_certificate (msg, writer->certificate);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_message), NULL);
  g_signal_connect (msg, "network-event", G_CALLBACK (set_no_delay), NULL);
  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

static void
writer_put_random (Writer *writer, GRand *rand)
{
  g_autofree char *body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  const char *path;

  switch (g_rand_int_range (rand, 0, 3))
    {
      case 0:
        path = "/properties/on";
        body = g_strdup_printf ("{\"value\":%s}", g_rand_boolean (rand) ? "true" : "false");
        break;
      case 1:
        path = "/properties/brightness";
        body = g_strdup_printf ("{\"value\":%d}", g_rand_int_range (rand, 1, 101));
        break;
      default:
        path = "/properties/colour-temperature";
        body = g_strdup_printf ("{\"value\":%d}", 2700 + 100 * g_rand_int_range (rand, 0, 39));
        break;
    }
  msg = writer_message (writer, "PUT", path, body);
  writer->busy = TRUE;
  soup_session_send_and_read_async (writer->session, msg, G_PRIORITY_DEFAULT, NULL, writer_done_cb,
                                    writer);
}

static JsonObject *
writer_read_all (Writer *writer)
{
  g_autoptr (SoupMessage) msg = writer_message (writer, "GET", "/properties", NULL);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  GAsyncResult *result = NULL;

  soup_session_send_and_read_async (writer->session, msg, G_PRIORITY_DEFAULT, NULL, store_result,
                                    &result);
  body = soup_session_send_and_read_finish (writer->session, wait_result (&result), &error);
  g_object_unref (result);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  root = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (root));
}

static void
test_faults (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *writer_dir = g_build_filename (fixture->dir, "writer", NULL);
  g_autoptr (HearthHubIdentity) writer_identity = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) device_state = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  FaultProxy fault_proxy = { 0 };
  Writer writer = { 0 };
  HearthDeviceProxy *proxy;
  /* 10,000 takes about 4 minutes with the simulator's NOTIFY rate; the suite runs 2,000, and
   * HEARTH_FAULT_NOTIFIES=10000 runs the full count. */
  guint target = 2000;
  guint lost_on_the_way;
  gint64 start;

  if (g_getenv ("HEARTH_FAULT_NOTIFIES") != NULL)
    target = (guint)g_ascii_strtoull (g_getenv ("HEARTH_FAULT_NOTIFIES"), NULL, 10);

  writer_identity = hearth_hub_identity_new (writer_dir, NULL, &error);
  g_assert_no_error (error);
  fixture->extra_controller = g_strdup (hearth_hub_identity_get_fingerprint (writer_identity));

  /* The device makes its key when it starts; the fault proxy takes it from its state
   * directory, and is in place before the hub subscribes. */
  simulator_start (fixture, &fixture->sims[0], "light", 0);
  fault_proxy_start (&fault_proxy, fixture, fixture->sims[0].state_dir);
  g_assert_true (hearth_trust_store_pin (fixture->trust_store, fixture->sims[0].id,
                                         fixture->sims[0].fingerprint, "light", &error));
  g_assert_nonnull (hearth_device_registry_note_address (
      fixture->registry, fixture->sims[0].id, "127.0.0.1", fixture->sims[0].port, NULL, &error));
  proxy = hearth_device_registry_get_proxy (fixture->registry, fixture->sims[0].id);
  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);

  writer.certificate = hearth_hub_identity_get_certificate (writer_identity);
  writer.base = g_strdup_printf ("https://127.0.0.1:%u", fixture->sims[0].port);
  writer.session = soup_session_new_with_options ("tls-database", NULL, "max-conns", 1, NULL);

  /* Change the device as fast as it takes writes, with faults injected on every ~4th NOTIFY. */
  fault_proxy.faults_enabled = g_getenv ("HEARTH_FAULT_OFF") == NULL;
  start = g_get_monotonic_time ();
  while ((g_getenv ("HEARTH_FAULT_DIRECT") != NULL
              ? (guint)hearth_event_server_get_n_accepted (fixture->server)
              : fault_proxy.n_notifies)
         < target)
    {
      if (!writer.busy)
        writer_put_random (&writer, rand);
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () - start > (gint64)scaled (60 + target / 10) * G_USEC_PER_SEC)
        g_error ("only %u NOTIFYs in %u s", fault_proxy.n_notifies, 60 + target / 10);
    }
  while (writer.busy)
    g_main_context_iteration (NULL, TRUE);
  lost_on_the_way = fault_proxy.n_faults[FAULT_DROP] + fault_proxy.n_faults[FAULT_HOLD]
                    + fault_proxy.n_faults[FAULT_CUT] + fault_proxy.n_faults[FAULT_FAIL];
  fault_proxy.faults_enabled = FALSE;

  /* Quiet now. The next NOTIFY (a heartbeat within 1 s) shows any gap left; the re-read it
   * starts brings the hub to the device's state. */
  {
    gint64 until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

    while (g_get_monotonic_time () < until || fault_proxy.n_in_flight > 0)
      g_main_context_iteration (NULL, FALSE), g_usleep (500);
  }

  device_state = writer_read_all (&writer);
  g_test_message (
      "%u NOTIFYs (%u writes) in %.1f s; faults: %u dropped, %u reordered, %u cut, "
      "%u failed; hub: %" G_GUINT64_FORMAT " lost by SEQ gaps, %" G_GUINT64_FORMAT
      " re-reads, %" G_GUINT64_FORMAT " late NOTIFYs refused",
      fault_proxy.n_notifies, writer.n_written,
      (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC, fault_proxy.n_faults[FAULT_DROP],
      fault_proxy.n_faults[FAULT_HOLD], fault_proxy.n_faults[FAULT_CUT],
      fault_proxy.n_faults[FAULT_FAIL], hearth_device_proxy_get_n_lost_notifies (proxy),
      hearth_device_proxy_get_n_resyncs (proxy),
      hearth_event_server_get_n_rejected (fixture->server, HEARTH_NOTIFY_REJECTED_OLD_SEQ));

  /* Every NOTIFY lost on the way was seen as part of a SEQ gap (the device may lose more on
   * its own, e.g. a full batch, which are gaps too), each late one was refused, and re-reads
   * happened. */
  g_assert_cmpuint (writer.n_failed, ==, 0);
  g_assert_cmpuint (hearth_device_proxy_get_n_lost_notifies (proxy), >=, lost_on_the_way);
  g_assert_cmpuint (
      hearth_event_server_get_n_rejected (fixture->server, HEARTH_NOTIFY_REJECTED_OLD_SEQ), ==,
      fault_proxy.n_faults[FAULT_HOLD]);
  if (fault_proxy.faults_enabled || lost_on_the_way > 0)
    g_assert_cmpuint (hearth_device_proxy_get_n_resyncs (proxy), >, 0);

  /* No silent loss: the hub's view equals the device's, property by property. */
  {
    g_autoptr (GList) names = json_object_get_members (device_state);

    g_assert_cmpuint (g_list_length (names), ==, 3);
    for (GList *l = names; l != NULL; l = l->next)
      {
        JsonNode *hub_value = hearth_device_proxy_get_value (proxy, l->data);

        g_assert_nonnull (hub_value);
        if (!json_node_equal (hub_value, json_object_get_member (device_state, l->data)))
          g_error ("%s: hub has %s, device has %s", (char *)l->data,
                   json_to_string (hub_value, FALSE),
                   json_to_string (json_object_get_member (device_state, l->data), FALSE));
      }
  }
  g_assert_cmpint (hearth_device_get_state (hearth_device_proxy_get_device (proxy)), ==,
                   HEARTH_DEVICE_STATE_ONLINE);

  soup_session_abort (writer.session);
  g_clear_object (&writer.session);
  g_free (writer.base);
  fault_proxy_stop (&fault_proxy);
}

/* Live objects of the types a server connection is made of. Debian's GLib counts instances
 * only in debug builds, so the test counts them itself by wrapping each class's constructed
 * and finalize functions (after the classes exist, so the figures are differences). */
enum
{
  COUNTED_CERTIFICATES,
  COUNTED_SOCKETS,
  COUNTED_SERVER_CONNECTIONS,
  COUNTED_SERVER_MESSAGES,
  COUNTED_TLS_STREAMS,
  N_COUNTED
};

static const char *const counted_type_names[N_COUNTED]
    = { "GTlsCertificateGnutls", "GSocket", "SoupServerConnection", "SoupServerMessage",
        "HearthTlsStream" };
static GObjectClass *counted_classes[N_COUNTED];
static void (*counted_constructed[N_COUNTED]) (GObject *object);
static void (*counted_finalize[N_COUNTED]) (GObject *object);
static gint counted_live[N_COUNTED];

static guint
counted_index (GObject *object)
{
  for (guint i = 0; i < N_COUNTED; i++)
    if (G_OBJECT_GET_CLASS (object) == counted_classes[i])
      return i;
  g_assert_not_reached ();
}

static void
counting_constructed (GObject *object)
{
  guint i = counted_index (object);

  g_atomic_int_inc (&counted_live[i]);
  if (counted_constructed[i] != NULL)
    counted_constructed[i](object);
}

static void
counting_finalize (GObject *object)
{
  guint i = counted_index (object);

  g_atomic_int_add (&counted_live[i], -1);
  counted_finalize[i](object);
}

static void
start_counting (void)
{
  for (guint i = 0; i < N_COUNTED; i++)
    {
      GType type = g_type_from_name (counted_type_names[i]);
      GObjectClass *klass;

      g_assert_true (type != 0); /* every one of them has been used by now */
      klass = g_type_class_ref (type);
      if (counted_classes[i] == klass)
        continue;
      counted_classes[i] = klass;
      counted_constructed[i] = klass->constructed;
      counted_finalize[i] = klass->finalize;
      klass->constructed = counting_constructed;
      klass->finalize = counting_finalize;
    }
}

static guint
count_open_files (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static gboolean
counts_back_to (const gint *baseline, guint slack)
{
  for (guint i = 0; i < N_COUNTED; i++)
    if (g_atomic_int_get (&counted_live[i]) > baseline[i] + (gint)slack)
      return FALSE;
  return TRUE;
}

/* libsoup 3.2 (Debian 12) keeps what it made for a server connection after the connection
 * closed, in several ways (see hearth-soup-server-leak.c). A device that reconnects, its new
 * NOTIFY connections replacing the old ones, clients that connect and give up before the
 * handshake (what a port scanner does) and clients whose key is refused must leave nothing
 * behind. */
static void
test_connections_released (Fixture *fixture, gconstpointer user_data)
{
  HearthDeviceProxy *proxy = add_device (fixture, 0, "light");
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  gint baseline[N_COUNTED];
  guint files_before;
  gint64 deadline;

  g_autoptr (JsonNode) first = NULL;
  g_autoptr (GError) first_error = NULL;

  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  first = write_property (proxy, "on", "true", &first_error);
  g_assert_no_error (first_error);
  start_counting ();
  for (guint i = 0; i < N_COUNTED; i++)
    baseline[i] = g_atomic_int_get (&counted_live[i]);
  files_before = count_open_files ();

  for (guint round = 0; round < 20; round++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) applied = NULL;
      g_autoptr (GSocketConnection) scan = NULL;
      g_autofree char *refused_answer = NULL;

      g_autofree char *old_sid = g_strdup (hearth_device_proxy_get_sid (proxy));
      gint64 subscribed_by = g_get_monotonic_time () + (gint64)scaled (5000) * 1000;

      /* Each round ends subscribed anew: a reconnect while the last SUBSCRIBE is still under
       * way would leave the device a subscription the hub never learnt the SID of, which
       * holds one of the device's 4 slots until the hub answers one of its NOTIFYs 412. */
      hearth_device_proxy_reconnect (proxy);
      while ((hearth_device_proxy_get_sid (proxy) == NULL
              || g_strcmp0 (hearth_device_proxy_get_sid (proxy), old_sid) == 0)
             && g_get_monotonic_time () < subscribed_by)
        g_main_context_iteration (NULL, FALSE), g_usleep (500);
      g_assert_nonnull (hearth_device_proxy_get_sid (proxy));
      g_assert_cmpstr (hearth_device_proxy_get_sid (proxy), !=, old_sid);
      applied = write_property (proxy, "on", round % 2 ? "true" : "false", &error);
      g_assert_no_error (error);
      wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);

      scan = g_socket_client_connect_to_host (
          client, "127.0.0.1", hearth_event_server_get_port (fixture->server), NULL, &error);
      g_assert_no_error (error);
      g_io_stream_close (G_IO_STREAM (scan), NULL, NULL);
      refused_answer = send_raw (fixture, NULL, "NOTIFY / HTTP/1.1\r\n\r\n", NULL);
      g_assert_null (refused_answer); /* no client certificate: the handshake fails */
    }

  /* Closed connections are looked for every few seconds and freed when seen twice. */
  deadline = g_get_monotonic_time ()
             + (gint64)scaled ((3 * HEARTH_SOUP_SERVER_SWEEP_INTERVAL_S + 5) * 1000) * 1000;
  while (!counts_back_to (baseline, 2) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  for (guint i = 0; i < N_COUNTED; i++)
    g_test_message ("%s: %d live before, %d after 20 reconnects, scans and refused keys",
                    counted_type_names[i], baseline[i], g_atomic_int_get (&counted_live[i]));
  for (guint i = 0; i < N_COUNTED; i++)
    g_assert_cmpint (g_atomic_int_get (&counted_live[i]), <=, baseline[i] + 2);
  g_assert_cmpuint (count_open_files (), <=, files_before + 2);
  g_assert_cmpint (hearth_device_get_state (hearth_device_proxy_get_device (proxy)), ==,
                   HEARTH_DEVICE_STATE_ONLINE);
}

int
main (int argc, char **argv)
{
  gnutls_global_init ();
  g_test_init (&argc, &argv, NULL);
  if (*simulator_path () == '\0' || !g_file_test (simulator_path (), G_FILE_TEST_IS_EXECUTABLE))
    {
      g_print ("1..0 # SKIP no simulator: build with -Dfirmware=true or set "
               "HEARTH_TEST_IOTSCP_DEVICE\n");
      return 77;
    }
  g_test_add ("/device-proxy/read-write-call", Fixture, NULL, fixture_set_up, test_read_write_call,
              fixture_tear_down);
  g_test_add ("/device-proxy/events", Fixture, NULL, fixture_set_up, test_events,
              fixture_tear_down);
  g_test_add ("/device-proxy/stalled-handshake", Fixture, NULL, fixture_set_up,
              test_stalled_handshake, fixture_tear_down);
  g_test_add ("/device-proxy/liveness", Fixture, NULL, fixture_set_up, test_liveness,
              fixture_tear_down);
  g_test_add ("/device-proxy/certificate-change", Fixture, NULL, fixture_set_up,
              test_certificate_change, fixture_tear_down);
  g_test_add ("/device-proxy/notify-rejected", Fixture, NULL, fixture_set_up, test_notify_rejected,
              fixture_tear_down);
  g_test_add ("/device-proxy/faults", Fixture, NULL, fixture_set_up, test_faults,
              fixture_tear_down);
  g_test_add ("/device-proxy/connections-released", Fixture, NULL, fixture_set_up,
              test_connections_released, fixture_tear_down);
  return g_test_run ();
}
