/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-devices-pair"

/* Pair on the Devices page (issue 4, item 2) with a real HearthHub and the real simulator over
 * mutual TLS on loopback: "New devices" shows the name the device announced with its id as the
 * subtitle; Pair shows the device's key fingerprint in groups and adopts only on the user's
 * word, through hearth_hub_adopt() as `hearthctl adopt` does — the key is pinned, the address
 * is saved in the hub's addresses.json and the device comes online as a tile. Cancel adopts
 * nothing, and a page without a hub refuses to pair. Renders pair-confirm-fingerprint.png and
 * devices-paired.png into this directory. */

#include <signal.h>

#include "app-test-util.h"
#include "hearth-devices-page.h"
#include "hearth-fingerprint.h"
#include "hearth-hub.h"

typedef struct
{
  char *dir;
  char *hub_dir;
  HearthHub *hub;
  GSubprocess *simulator;
  char *device_id;
  char *fingerprint;
  guint16 port;
  GtkWidget *window;
  HearthDevicesPage *page;
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
  g_autoptr (GError) error = NULL;
  g_autofree char *state_dir = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_auto (GStrv) fields = NULL;
  GtkWidget *overlay;

  if (simulator_path ()[0] == '\0')
    {
      g_test_skip ("no simulator: build with -Dfirmware=true or set HEARTH_TEST_IOTSCP_DEVICE");
      return;
    }
  fixture->dir = app_test_make_data_dir ();
  fixture->hub_dir = g_build_filename (fixture->dir, "hub", NULL);
  /* No discovery: nothing is sent beyond loopback; the device is added by address. */
  fixture->hub = hearth_hub_new (fixture->hub_dir, 0, FALSE, NULL, &error);
  g_assert_no_error (error);

  state_dir = g_build_filename (fixture->dir, "lamp", NULL);
  g_assert_cmpint (g_mkdir_with_parents (state_dir, 0700), ==, 0);
  fixture->simulator = g_subprocess_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, simulator_path (),
      "--profile", "light", "--name", "Desk Lamp", "--port", "0", "--state-dir", state_dir,
      "--allow-controller",
      hearth_hub_identity_get_fingerprint (hearth_hub_get_identity (fixture->hub)), NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->simulator));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "ready "));
  fields = g_strsplit (line, " ", -1);
  fixture->device_id = g_strdup (fields[1] + 3);
  fixture->port = (guint16)g_ascii_strtoull (fields[2] + 5, NULL, 10);
  fixture->fingerprint = g_strdup (fields[3] + 12);
  g_assert_true (hearth_fingerprint_is_valid (fixture->fingerprint));

  fixture->window = g_object_ref_sink (gtk_window_new ());
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), PANEL_WIDTH, PANEL_HEIGHT);
  overlay = adw_toast_overlay_new ();
  fixture->page = HEARTH_DEVICES_PAGE (hearth_devices_page_new (
      NULL, hearth_hub_get_registry (fixture->hub), hearth_hub_get_trust_store (fixture->hub),
      hearth_hub_get_history (fixture->hub), hearth_hub_get_bus (fixture->hub), NULL));
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (fixture->page));
  gtk_window_set_child (GTK_WINDOW (fixture->window), overlay);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  if (fixture->dir == NULL)
    return;
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->window);
  g_subprocess_send_signal (fixture->simulator, SIGKILL);
  g_subprocess_wait (fixture->simulator, NULL, NULL);
  g_clear_object (&fixture->simulator);
  hearth_hub_stop (fixture->hub);
  g_clear_object (&fixture->hub);
  app_test_settle ();
  app_test_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->hub_dir);
  g_free (fixture->device_id);
  g_free (fixture->fingerprint);
}

static void
on_address_added (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthSighting **sighting = user_data;
  g_autoptr (GError) error = NULL;

  *sighting = hearth_hub_add_address_finish (HEARTH_HUB (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *)data != NULL;
}

/* Adds the simulator by address, as "Add by address" does, and offers it under New devices. */
static HearthSighting *
offer_device (Fixture *fixture)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", fixture->port);
  HearthSighting *sighting = NULL;

  hearth_hub_add_address_async (fixture->hub, address, NULL, on_address_added, &sighting);
  app_test_wait_for (pointer_set, &sighting);
  hearth_devices_page_set_sightings (fixture->page,
                                     G_LIST_MODEL (hearth_hub_get_discovery (fixture->hub)));
  g_assert_cmpuint (hearth_devices_page_get_n_new_devices (fixture->page), ==, 1);
  return sighting;
}

static AdwActionRow *
find_action_row (GtkWidget *widget)
{
  if (ADW_IS_ACTION_ROW (widget))
    return ADW_ACTION_ROW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwActionRow *row = find_action_row (child);

      if (row != NULL)
        return row;
    }
  return NULL;
}

static GtkLabel *
find_label_with_digits (GtkWidget *widget, const char *digits)
{
  if (GTK_IS_LABEL (widget))
    {
      g_autoptr (GString) normalized = g_string_new (NULL);

      for (const char *p = gtk_label_get_text (GTK_LABEL (widget)); *p != '\0'; p++)
        if (g_ascii_isxdigit (*p))
          g_string_append_c (normalized, g_ascii_tolower (*p));
      if (g_str_equal (normalized->str, digits))
        return GTK_LABEL (widget);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *label = find_label_with_digits (child, digits);

      if (label != NULL)
        return label;
    }
  return NULL;
}

static gboolean
device_online (gpointer data)
{
  Fixture *fixture = data;
  HearthDevice *device
      = hearth_device_registry_lookup (hearth_hub_get_registry (fixture->hub), fixture->device_id);

  return device != NULL && hearth_device_get_state (device) == HEARTH_DEVICE_STATE_ONLINE;
}

static gboolean
address_saved (gpointer data)
{
  Fixture *fixture = data;
  g_autofree char *path = g_build_filename (fixture->hub_dir, HEARTH_HUB_ADDRESSES_FILE, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *port = g_strdup_printf ("%u", fixture->port);

  return g_file_get_contents (path, &contents, NULL, NULL)
         && strstr (contents, fixture->device_id) != NULL && strstr (contents, port) != NULL;
}

static gboolean
no_new_devices (gpointer data)
{
  return hearth_devices_page_get_n_new_devices (HEARTH_DEVICES_PAGE (data)) == 0;
}

static void
test_pair_adopts_through_hub (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthSighting) sighting = NULL;
  g_autoptr (HearthTrustPin) pin = NULL;
  AdwMessageDialog *dialog;
  AdwActionRow *row;
  GtkLabel *fingerprint_label;
  g_autofree char *grouped = NULL;

  if (fixture->dir == NULL)
    return;
  hearth_devices_page_set_hub (fixture->page, fixture->hub);
  sighting = offer_device (fixture);
  app_test_settle ();

  /* The row names the device as it announced itself, with its id (and address) below. */
  row = find_action_row (GTK_WIDGET (fixture->page));
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Desk Lamp");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (row), fixture->device_id));

  /* Cancel adopts nothing. */
  dialog = hearth_devices_page_pair (fixture->page, sighting);
  gtk_window_present (GTK_WINDOW (dialog));
  adw_message_dialog_response (dialog, "cancel");
  app_test_settle ();
  g_assert_null (
      hearth_trust_store_get_pin (hearth_hub_get_trust_store (fixture->hub), fixture->device_id));

  /* The dialog shows the whole fingerprint in groups, to be compared with the device's. */
  dialog = hearth_devices_page_pair (fixture->page, sighting);
  gtk_window_present (GTK_WINDOW (dialog));
  app_test_settle ();
  fingerprint_label = find_label_with_digits (GTK_WIDGET (dialog), fixture->fingerprint);
  g_assert_nonnull (fingerprint_label);
  grouped = hearth_fingerprint_format_for_display (fixture->fingerprint);
  /* Grouped: the label has the groups' separators, not 64 digits in one run. */
  g_assert_cmpuint (strlen (gtk_label_get_text (fingerprint_label)), ==, strlen (grouped));
  {
    g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (dialog));

    app_test_save (texture, "pair-confirm-fingerprint.png");
  }
  g_assert_null (
      hearth_trust_store_get_pin (hearth_hub_get_trust_store (fixture->hub), fixture->device_id));

  /* The user's word: adopted through the hub. */
  adw_message_dialog_response (dialog, "pair");
  pin = hearth_trust_store_get_pin (hearth_hub_get_trust_store (fixture->hub), fixture->device_id);
  g_assert_nonnull (pin);
  g_assert_cmpstr (pin->fingerprint, ==, fixture->fingerprint);
  app_test_wait_for (no_new_devices, fixture->page);
  /* As `hearthctl adopt`: the address is saved for the next start, and the device connects. */
  app_test_wait_for (address_saved, fixture);
  app_test_wait_for (device_online, fixture);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 1);
  g_assert_cmpstr (hearth_device_get_id (hearth_devices_page_get_shown_device (fixture->page, 0)),
                   ==, fixture->device_id);
  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render (fixture->window);

    app_test_save (texture, "devices-paired.png");
  }
}

static void
test_pair_without_hub_refuses (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthSighting) sighting = NULL;
  AdwMessageDialog *dialog;

  if (fixture->dir == NULL)
    return;
  sighting = offer_device (fixture);
  dialog = hearth_devices_page_pair (fixture->page, sighting);
  gtk_window_present (GTK_WINDOW (dialog));
  adw_message_dialog_response (dialog, "pair");
  app_test_settle ();
  g_assert_null (
      hearth_trust_store_get_pin (hearth_hub_get_trust_store (fixture->hub), fixture->device_id));
  g_assert_cmpuint (hearth_devices_page_get_n_new_devices (fixture->page), ==, 1);
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/app/devices-pair/adopts-through-hub", Fixture, NULL, fixture_set_up,
              test_pair_adopts_through_hub, fixture_tear_down);
  g_test_add ("/app/devices-pair/without-hub-refuses", Fixture, NULL, fixture_set_up,
              test_pair_without_hub_refuses, fixture_tear_down);
  return g_test_run ();
}
