/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "app-test-util.h"
#include "hearth-general-settings.h"

/* Settings → General edits the org.hearth.Hearth keys (memory backend: GSETTINGS_BACKEND is
 * "memory" in the app suite) and shows where a real hub listens and keeps its files. */

typedef struct
{
  char *data_dir;
  GSettings *settings;
  HearthHub *hub;
  GtkWindow *window;
  HearthGeneralSettings *page;
} SettingsFixture;

static void
settings_fixture_set_up (SettingsFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->data_dir = app_test_make_data_dir ();
  fixture->settings = g_settings_new ("org.hearth.Hearth");
  fixture->hub = hearth_hub_new (fixture->data_dir, 0, FALSE, NULL, &error);
  g_assert_no_error (error);

  fixture->window = GTK_WINDOW (g_object_ref_sink (gtk_window_new ()));
  gtk_window_set_default_size (fixture->window, PANEL_WIDTH, PANEL_HEIGHT);
  fixture->page = HEARTH_GENERAL_SETTINGS (hearth_general_settings_new ());
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  gtk_window_present (fixture->window);
  app_test_wait_for (app_test_is_drawn, fixture->page);
}

static void
settings_fixture_tear_down (SettingsFixture *fixture, gconstpointer user_data)
{
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->window);
  hearth_hub_stop (fixture->hub);
  g_clear_object (&fixture->hub);
  g_settings_reset (fixture->settings, "kiosk");
  g_settings_reset (fixture->settings, "idle-dim-seconds");
  g_settings_reset (fixture->settings, "history-retention-days");
  g_settings_reset (fixture->settings, "history-raw-hours");
  g_settings_reset (fixture->settings, "event-port");
  g_clear_object (&fixture->settings);
  app_test_remove_data_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

/* Finds the one descendant of @root of @type whose nearest AdwActionRow has @title. */
static GtkWidget *
find_control (GtkWidget *root, GType type, const char *row_title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          GtkWidget *row = gtk_widget_get_ancestor (child, ADW_TYPE_ACTION_ROW);

          if (row != NULL
              && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), row_title)
                     == 0)
            return child;
        }
      found = find_control (child, type, row_title);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static AdwActionRow *
find_row (GtkWidget *root, const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwActionRow *found;

      if (ADW_IS_ACTION_ROW (child)
          && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
        return ADW_ACTION_ROW (child);
      found = find_row (child, title);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static guint16
get_port_setting (GSettings *settings)
{
  g_autoptr (GVariant) value = g_settings_get_value (settings, "event-port");

  return g_variant_get_uint16 (value);
}

/* Without settings the controls cannot keep a value, so they are greyed out, not lying. */
static void
test_without_settings_is_insensitive (SettingsFixture *fixture, gconstpointer user_data)
{
  GtkWidget *kiosk = find_control (GTK_WIDGET (fixture->page), GTK_TYPE_SWITCH, "_Kiosk mode");

  g_assert_nonnull (kiosk);
  g_assert_false (gtk_widget_get_sensitive (kiosk));
  g_assert_cmpstr (
      adw_action_row_get_subtitle (find_row (GTK_WIDGET (fixture->page), "Data folder")), ==,
      "The hub is not running");
}

/* Each control writes its key, and a key changed elsewhere (gsettings, another window) moves
 * the control. */
static void
test_controls_follow_keys (SettingsFixture *fixture, gconstpointer user_data)
{
  GtkWidget *page = GTK_WIDGET (fixture->page);
  GtkSwitch *kiosk;
  GtkSpinButton *dim, *retention, *raw, *port;

  hearth_general_settings_set_settings (fixture->page, fixture->settings);
  kiosk = GTK_SWITCH (find_control (page, GTK_TYPE_SWITCH, "_Kiosk mode"));
  dim = GTK_SPIN_BUTTON (find_control (page, GTK_TYPE_SPIN_BUTTON, "_Dim the screen after"));
  retention
      = GTK_SPIN_BUTTON (find_control (page, GTK_TYPE_SPIN_BUTTON, "_Keep history for (days)"));
  raw = GTK_SPIN_BUTTON (
      find_control (page, GTK_TYPE_SPIN_BUTTON, "Keep every _reading for (hours)"));
  port = GTK_SPIN_BUTTON (find_control (page, GTK_TYPE_SPIN_BUTTON, "_Event port"));
  g_assert_nonnull (kiosk);
  g_assert_nonnull (dim);
  g_assert_nonnull (retention);
  g_assert_nonnull (raw);
  g_assert_nonnull (port);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (kiosk)));

  /* The schema's defaults show first. */
  g_assert_false (gtk_switch_get_active (kiosk));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (dim), ==, 300);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (retention), ==, 30);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (raw), ==, 24);

  gtk_switch_set_active (kiosk, TRUE);
  gtk_spin_button_set_value (dim, 90);
  gtk_spin_button_set_value (retention, 365);
  gtk_spin_button_set_value (raw, 48);
  gtk_spin_button_set_value (port, 8443);
  g_assert_true (g_settings_get_boolean (fixture->settings, "kiosk"));
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "idle-dim-seconds"), ==, 90);
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "history-retention-days"), ==, 365);
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "history-raw-hours"), ==, 48);
  g_assert_cmpuint (get_port_setting (fixture->settings), ==, 8443);

  /* The schema's ranges hold even for a typed value out of range. */
  gtk_spin_button_set_value (retention, 0);
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "history-retention-days"), ==, 1);

  g_settings_set_uint (fixture->settings, "idle-dim-seconds", 0);
  g_settings_set_boolean (fixture->settings, "kiosk", FALSE);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (dim), ==, 0);
  g_assert_false (gtk_switch_get_active (kiosk));

  /* In kiosk mode nobody at the panel may switch it off for the next start: only the
   * administrator's long press leaves kiosk mode. */
  hearth_general_settings_set_kiosk_active (fixture->page, TRUE);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (kiosk)));
  hearth_general_settings_set_kiosk_active (fixture->page, FALSE);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (kiosk)));

  /* Taking the settings away unbinds them: the controls no longer write. */
  hearth_general_settings_set_settings (fixture->page, NULL);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (kiosk)));
  gtk_switch_set_active (kiosk, TRUE);
  g_assert_false (g_settings_get_boolean (fixture->settings, "kiosk"));
}

/* The hub rows show the port the hub really listens on and its data folder. */
static void
test_hub_rows (SettingsFixture *fixture, gconstpointer user_data)
{
  g_autofree char *in_use = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  AdwActionRow *port_row = find_row (GTK_WIDGET (fixture->page), "_Event port");
  AdwActionRow *data_dir_row = find_row (GTK_WIDGET (fixture->page), "Data folder");

  hearth_general_settings_set_settings (fixture->page, fixture->settings);
  hearth_general_settings_set_hub (fixture->page, fixture->hub);
  g_assert_cmpuint (hearth_hub_get_port (fixture->hub), >, 0);
  in_use = g_strdup_printf ("In use now: %u", (guint)hearth_hub_get_port (fixture->hub));
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (port_row), in_use));
  g_assert_cmpstr (adw_action_row_get_subtitle (data_dir_row), ==, fixture->data_dir);

  app_test_settle ();
  texture = app_test_render (GTK_WIDGET (fixture->page));
  app_test_save (texture, "general-settings-800x480.png");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/general-settings/without-settings", SettingsFixture, NULL, settings_fixture_set_up,
              test_without_settings_is_insensitive, settings_fixture_tear_down);
  g_test_add ("/general-settings/controls-follow-keys", SettingsFixture, NULL,
              settings_fixture_set_up, test_controls_follow_keys, settings_fixture_tear_down);
  g_test_add ("/general-settings/hub-rows", SettingsFixture, NULL, settings_fixture_set_up,
              test_hub_rows, settings_fixture_tear_down);
  return g_test_run ();
}
