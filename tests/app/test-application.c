/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-application"

/* The application owns one hub (docs/architecture.md §1) and gives its objects to the window:
 * with the hub in a temporary data directory ($HEARTH_DATA_DIR) and a real simulator adopted,
 * the device appears on the Devices page as a tile that goes Online. A hub that cannot start (a
 * damaged trust store) is explained in a dialog naming the file, and the application neither
 * crashes nor shows devices. */

#include <signal.h>

#include "app-test-util.h"
#include "hearth-application.h"
#include "hearth-device-tile.h"
#include "hearth-fingerprint.h"
#include "hearth-window.h"

typedef struct
{
  char *dir;
  char *hub_dir;
  GSubprocess *simulator;
  char *device_id;
  char *device_fingerprint;
  guint16 device_port;
  HearthApplication *application;
  gboolean ran;
} Fixture;

static const char *
simulator_path (void)
{
  return g_getenv ("HEARTH_TEST_IOTSCP_DEVICE") != NULL ? g_getenv ("HEARTH_TEST_IOTSCP_DEVICE")
                                                        : IOTSCP_DEVICE;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  fixture->dir = app_test_make_data_dir ();
  fixture->hub_dir = g_build_filename (fixture->dir, "hub", NULL);
  /* Both the data directory and no multicast: the test must not touch the user's hub nor
   * send anything beyond loopback. */
  g_setenv ("HEARTH_DATA_DIR", fixture->hub_dir, TRUE);
  g_setenv ("HEARTH_NO_DISCOVERY", "1", TRUE);
  fixture->application = hearth_application_new (FALSE, NULL);
  /* Each test makes its own application; none may hand its work to another one. */
  g_application_set_flags (G_APPLICATION (fixture->application), G_APPLICATION_NON_UNIQUE);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  if (fixture->simulator != NULL)
    {
      g_subprocess_send_signal (fixture->simulator, SIGTERM);
      g_subprocess_wait (fixture->simulator, NULL, NULL);
      g_clear_object (&fixture->simulator);
    }
  g_clear_object (&fixture->application);
  g_unsetenv ("HEARTH_DATA_DIR");
  g_unsetenv ("HEARTH_NO_DISCOVERY");
  app_test_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->hub_dir);
  g_free (fixture->device_id);
  g_free (fixture->device_fingerprint);
}

/* Starts the simulator with the hub's key as its controller; the key is made here, in the
 * hub's data directory, exactly as the hub will load it. */
static void
start_simulator (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHubIdentity) identity = hearth_hub_identity_new (fixture->hub_dir, NULL, &error);
  g_autofree char *state_dir = g_build_filename (fixture->dir, "light", NULL);
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_auto (GStrv) fields = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (state_dir, 0700), ==, 0);
  fixture->simulator = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, simulator_path (),
      "--profile", "light", "--name", "Desk Lamp", "--port", "0", "--state-dir", state_dir,
      "--allow-controller", hearth_hub_identity_get_fingerprint (identity), NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->simulator));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "ready "));
  fields = g_strsplit (line, " ", -1);
  fixture->device_id = g_strdup (fields[1] + 3);
  fixture->device_port = (guint16)g_ascii_strtoull (fields[2] + 5, NULL, 10);
  fixture->device_fingerprint = g_strdup (fields[3] + 12);
  g_assert_true (hearth_fingerprint_is_valid (fixture->device_fingerprint));
}

static HearthDeviceTile *
find_tile (GtkWidget *widget, const char *device_id)
{
  if (HEARTH_IS_DEVICE_TILE (widget))
    {
      HearthDevice *device = hearth_device_tile_get_device (HEARTH_DEVICE_TILE (widget));

      if (device != NULL && g_strcmp0 (hearth_device_get_id (device), device_id) == 0)
        return HEARTH_DEVICE_TILE (widget);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      HearthDeviceTile *tile = find_tile (child, device_id);

      if (tile != NULL)
        return tile;
    }
  return NULL;
}

typedef struct
{
  GtkWidget *window;
  const char *device_id;
} TileWait;

static gboolean
tile_is_online (gpointer data)
{
  TileWait *wait = data;
  HearthDeviceTile *tile = find_tile (wait->window, wait->device_id);

  return tile != NULL
         && g_strcmp0 (hearth_device_tile_get_badge_text (tile),
                       hearth_device_tile_state_label (HEARTH_DEVICE_STATE_ONLINE))
                == 0;
}

static void
adopted_device_goes_online (Fixture *fixture)
{
  HearthHub *hub = hearth_application_get_hub (fixture->application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (fixture->application));
  HearthDevicesPage *devices_page = hearth_window_get_devices_page (HEARTH_WINDOW (window));
  g_autoptr (GError) error = NULL;
  g_autofree char *data_dir = NULL;
  TileWait wait = { GTK_WIDGET (window), fixture->device_id };

  g_assert_nonnull (hub);
  g_assert_null (hearth_application_get_hub_error (fixture->application));
  /* The hub is the one in the temporary directory, and the pages have its objects. */
  data_dir = g_strdup (hearth_hub_get_data_dir (hub));
  g_assert_cmpstr (data_dir, ==, fixture->hub_dir);
  g_assert_true (hearth_devices_page_get_registry (devices_page) == hearth_hub_get_registry (hub));
  g_assert_true (hearth_devices_page_get_trust_store (devices_page)
                 == hearth_hub_get_trust_store (hub));
  g_assert_true (hearth_devices_page_get_hub (devices_page) == hub);
  g_assert_true (
      hearth_events_page_get_event_bus (hearth_window_get_events_page (HEARTH_WINDOW (window)))
      == hearth_hub_get_bus (hub));
  g_assert_true (
      hearth_trust_page_get_hub_identity (hearth_window_get_trust_page (HEARTH_WINDOW (window)))
      == hearth_hub_get_identity (hub));
  g_assert_cmpuint (hearth_devices_page_get_n_shown (devices_page), ==, 0);

  /* What `hearthctl add-address` and `hearthctl adopt` do. */
  g_assert_nonnull (hearth_hub_note_address (hub, fixture->device_id, "127.0.0.1",
                                             fixture->device_port, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (hearth_hub_adopt (hub, fixture->device_id, fixture->device_fingerprint, &error));
  g_assert_no_error (error);

  app_test_wait_for (tile_is_online, &wait);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (devices_page), ==, 1);
  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (window));

    app_test_save (texture, "application-demo-device.png");
  }
}

static void
on_activate_online (GApplication *application, Fixture *fixture)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  app_test_wait_for (app_test_is_drawn, window);
  adopted_device_goes_online (fixture);
  fixture->ran = TRUE;
  g_application_quit (application);
}

static void
test_adopted_device_online (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *socket_path = NULL;

  if (simulator_path ()[0] == '\0')
    {
      g_test_skip ("no simulator: build with -Dfirmware=true or set HEARTH_TEST_IOTSCP_DEVICE");
      return;
    }
  start_simulator (fixture);
  g_signal_connect_after (fixture->application, "activate", G_CALLBACK (on_activate_online),
                          fixture);
  g_assert_cmpint (g_application_run (G_APPLICATION (fixture->application), 0, NULL), ==, 0);
  g_assert_true (fixture->ran);
  g_assert_cmpint (hearth_application_get_exit_status (fixture->application), ==, 0);
  /* The control socket was there for hearthctl, and is gone after a clean stop. */
  socket_path = g_build_filename (fixture->hub_dir, "control.sock", NULL);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
}

static AdwMessageDialog *
find_hub_error_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) widget = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (widget) && gtk_widget_has_css_class (widget, "hub-error"))
        return ADW_MESSAGE_DIALOG (widget);
    }
  return NULL;
}

static gboolean
hub_error_dialog_shown (gpointer data)
{
  AdwMessageDialog *dialog = find_hub_error_dialog ();

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

static void
on_activate_damaged (GApplication *application, Fixture *fixture)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  const GError *hub_error = hearth_application_get_hub_error (HEARTH_APPLICATION (application));
  g_autofree char *trust_path = g_build_filename (fixture->hub_dir, "trust.json", NULL);
  AdwMessageDialog *dialog;

  g_assert_null (hearth_application_get_hub (HEARTH_APPLICATION (application)));
  g_assert_nonnull (hub_error);
  g_assert_nonnull (strstr (hub_error->message, trust_path));
  g_assert_null (
      hearth_devices_page_get_registry (hearth_window_get_devices_page (HEARTH_WINDOW (window))));

  app_test_wait_for (hub_error_dialog_shown, NULL);
  dialog = find_hub_error_dialog ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == window);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), trust_path));
  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (dialog));

    app_test_save (texture, "application-hub-error.png");
  }
  fixture->ran = TRUE;
  /* Closing the message quits the application. */
  adw_message_dialog_response (dialog, "quit");
}

static void
test_damaged_trust_store (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *trust_path = g_build_filename (fixture->hub_dir, "trust.json", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fixture->hub_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (trust_path, "{\"version\": 1, \"pinned\": [", -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (trust_path, 0600), ==, 0);

  g_signal_connect_after (fixture->application, "activate", G_CALLBACK (on_activate_damaged),
                          fixture);
  g_application_run (G_APPLICATION (fixture->application), 0, NULL);
  g_assert_true (fixture->ran);
  g_assert_cmpint (hearth_application_get_exit_status (fixture->application), ==, 1);
  /* The damaged file is left for a person to repair. */
  g_assert_true (g_file_test (trust_path, G_FILE_TEST_EXISTS));
}

/* Settings (Ctrl+comma) shows General and Trust; General has the application's settings and hub; the history
 * keys reach the hub's HearthHistory; the kiosk key turns kiosk mode on and off while running. */
static void
on_activate_settings (GApplication *application, Fixture *fixture)
{
  HearthHub *hub = hearth_application_get_hub (HEARTH_APPLICATION (application));
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));
  HearthGeneralSettings *general = hearth_window_get_general_settings (HEARTH_WINDOW (window));
  HearthPreferencesWindow *settings_window
      = hearth_window_get_preferences_window (HEARTH_WINDOW (window));
  g_autoptr (GSettings) settings = g_settings_new ("org.hearth.Hearth");
  HearthHistory *history;

  g_assert_nonnull (hub);
  history = hearth_hub_get_history (hub);
  app_test_wait_for (app_test_is_drawn, window);
  /* Ctrl+comma, as the main menu shows it, opens Settings. */
  {
    g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (application),
                                                                   "win.show-settings");

    g_assert_nonnull (accels);
    g_assert_cmpstr (accels[0], ==, "<Control>comma");
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-settings", NULL));
  app_test_wait_for (app_test_is_drawn, GTK_WIDGET (settings_window));
  app_test_settle ();

  /* General shows first, with the application's settings and hub. */
  g_assert_cmpstr (
      adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (settings_window)), ==,
      "general");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (general)));
  g_assert_true (hearth_general_settings_get_hub (general) == hub);
  g_assert_nonnull (hearth_general_settings_get_settings (general));
  {
    g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (settings_window));

    app_test_save (texture, "settings-general.png");
  }
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (settings_window), "trust");
  app_test_settle ();
  g_assert_true (
      gtk_widget_get_mapped (GTK_WIDGET (hearth_window_get_trust_page (HEARTH_WINDOW (window)))));
  gtk_window_close (GTK_WINDOW (settings_window));

  /* The history keys reach the hub's history at once. */
  g_settings_set_uint (settings, "history-retention-days", 7);
  g_settings_set_uint (settings, "history-raw-hours", 48);
  app_test_settle ();
  g_assert_cmpuint (hearth_history_get_retention_days (history), ==, 7);
  g_assert_cmpuint (hearth_history_get_raw_hours (history), ==, 48);

  /* The kiosk key turns kiosk mode on while running; turning it off does not leave kiosk
   * mode (only the admin gesture does, tests/app/test-kiosk.c), it applies at the next start. */
  g_assert_false (hearth_window_get_kiosk (HEARTH_WINDOW (window)));
  g_settings_set_boolean (settings, "kiosk", TRUE);
  app_test_settle ();
  g_assert_true (hearth_window_get_kiosk (HEARTH_WINDOW (window)));
  g_settings_set_boolean (settings, "kiosk", FALSE);
  app_test_settle ();
  g_assert_true (hearth_window_get_kiosk (HEARTH_WINDOW (window)));

  g_settings_reset (settings, "history-retention-days");
  g_settings_reset (settings, "history-raw-hours");
  g_settings_reset (settings, "kiosk");
  fixture->ran = TRUE;
  g_application_quit (application);
}

static void
test_settings_pages (Fixture *fixture, gconstpointer user_data)
{
  g_signal_connect_after (fixture->application, "activate", G_CALLBACK (on_activate_settings),
                          fixture);
  g_assert_cmpint (g_application_run (G_APPLICATION (fixture->application), 0, NULL), ==, 0);
  g_assert_true (fixture->ran);
}

/* hearth_application_new_full() (what `hearth --data-dir DIR --port N --heartbeat S
 * --no-discovery` makes): the options reach the hub, ahead of $HEARTH_DATA_DIR. */
static void
on_activate_options (GApplication *application, Fixture *fixture)
{
  HearthHub *hub = hearth_application_get_hub (HEARTH_APPLICATION (application));
  g_autofree char *own_dir = g_build_filename (fixture->dir, "own", NULL);

  g_assert_nonnull (hub);
  g_assert_cmpstr (hearth_hub_get_data_dir (hub), ==, own_dir);
  g_assert_cmpuint (hearth_hub_get_port (hub), ==,
                    GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (application), "test-port")));
  g_assert_cmpuint (hearth_device_registry_get_heartbeat (hearth_hub_get_registry (hub)), ==, 5);
  g_assert_null (hearth_hub_get_discovery (hub));
  fixture->ran = TRUE;
  g_application_quit (application);
}

static void
test_options_reach_hub (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *own_dir = g_build_filename (fixture->dir, "own", NULL);
  g_autoptr (GSocket) probe
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  guint16 port;

  /* A free port, found the usual way, for --port. */
  g_assert_true (g_socket_bind (probe, any_port, TRUE, NULL));
  bound = g_socket_get_local_address (probe, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (probe, NULL);

  g_clear_object (&fixture->application);
  fixture->application = hearth_application_new_full (FALSE, NULL, own_dir, port, 5, FALSE);
  g_application_set_flags (G_APPLICATION (fixture->application), G_APPLICATION_NON_UNIQUE);
  g_object_set_data (G_OBJECT (fixture->application), "test-port", GUINT_TO_POINTER (port));
  g_signal_connect_after (fixture->application, "activate", G_CALLBACK (on_activate_options),
                          fixture);
  g_assert_cmpint (g_application_run (G_APPLICATION (fixture->application), 0, NULL), ==, 0);
  g_assert_true (fixture->ran);
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/application/adopted-device-online", Fixture, NULL, fixture_set_up,
              test_adopted_device_online, fixture_tear_down);
  g_test_add ("/application/options-reach-hub", Fixture, NULL, fixture_set_up,
              test_options_reach_hub, fixture_tear_down);
  g_test_add ("/application/settings-pages", Fixture, NULL, fixture_set_up, test_settings_pages,
              fixture_tear_down);
  g_test_add ("/application/damaged-trust-store", Fixture, NULL, fixture_set_up,
              test_damaged_trust_store, fixture_tear_down);
  return g_test_run ();
}
