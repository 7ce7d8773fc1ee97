/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-proxy"

/* The hub's device side against the real simulator (iotscp-device), over real mutual TLS on
 * loopback: device proxy, event server, event bus and registry together. */

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <signal.h>
#include <string.h>

#include "core-test-utils.h"
#include "hearth-device-registry.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"

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
} Fixture;

static void
on_event (HearthEventBus *bus, HearthEvent *event, Fixture *fixture)
{
  g_ptr_array_add (fixture->events, hearth_event_ref (event));
}

static void
simulator_start (Fixture *fixture, Simulator *sim, const char *profile, guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_auto (GStrv) fields = NULL;

  sim->process = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, IOTSCP_DEVICE,
      "--profile", profile, "--port", port_text, "--state-dir", sim->state_dir,
      "--allow-controller", hearth_hub_identity_get_fingerprint (fixture->identity), NULL);
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
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, IOTSCP_DEVICE,
      "get-cert", "--state-dir", sim->state_dir, "--force", NULL);

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

  core_test_run_until (state_reached, &wait, timeout_ms);
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
  hearth_device_registry_set_heartbeat (fixture->registry, 1);
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
  g_assert_cmpuint (hearth_device_get_heartbeat_interval (device), ==, 1);
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
  guint64 heartbeats_before;

  wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 5000);
  output = call_action (proxy, "press", "{\"key\": 60, \"velocity\": 90}", &error);
  g_assert_no_error (error);

  /* The action makes the device emit key down and key up; both come back by NOTIFY. */
  core_test_run_until (enough_events, &wait, 3000);
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
  {
    gint64 until = g_get_monotonic_time () + 2500 * 1000;

    while (g_get_monotonic_time () < until)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  g_assert_cmpuint (hearth_event_server_get_n_accepted (fixture->server), >=,
                    heartbeats_before + 2);
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
  g_assert_cmpint (offline_ms, <=, 3000);
  g_assert_cmpuint (
      count_events (fixture, HEARTH_EVENT_DEVICE_OFFLINE, NULL, HEARTH_EVENT_SOURCE_HUB), ==, 1);

  /* Restarted on the same port (its state is not kept: brightness starts again): resubscribed
   * and re-read within 2 s, with no help from discovery. */
  {
    gint64 dead_until = g_get_monotonic_time () + 1500 * 1000;

    while (g_get_monotonic_time () < dead_until)
      g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  }
  simulator_start (fixture, sim, "light", sim->port);
  online_ms = wait_for_state (proxy, HEARTH_DEVICE_STATE_ONLINE, 2000);
  g_test_message ("online again %" G_GINT64_FORMAT " ms after the restart", online_ms);
  g_assert_cmpuint (hearth_device_get_resubscribe_count (device), ==, 1);
  g_assert_cmpint (json_node_get_int (hearth_device_proxy_get_value (proxy, "brightness")), !=, 77);
}

int
main (int argc, char **argv)
{
  gnutls_global_init ();
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/device-proxy/read-write-call", Fixture, NULL, fixture_set_up, test_read_write_call,
              fixture_tear_down);
  g_test_add ("/device-proxy/events", Fixture, NULL, fixture_set_up, test_events,
              fixture_tear_down);
  g_test_add ("/device-proxy/liveness", Fixture, NULL, fixture_set_up, test_liveness,
              fixture_tear_down);
  return g_test_run ();
}
