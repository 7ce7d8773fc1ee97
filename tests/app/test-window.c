/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <adwaita.h>
#include <stdio.h>

#include "app-test-util.h"
#include "hearth-screenshot.h"
#include "hearth-general-settings.h"
#include "hearth-window.h"

/* The smallest panel Hearth must fit: the official 7-inch Raspberry Pi touch display. */
#define PANEL_WIDTH 800
#define PANEL_HEIGHT 480

/* The window's own pages; Settings is a window of its own (HearthPreferencesWindow). */
static const char *const page_names[] = { "devices", "events" };
static const char *const settings_page_names[] = { "general", "trust" };

static void
wait_for (gboolean (*condition) (GtkWidget *), GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!condition (widget))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
is_mapped_and_allocated (GtkWidget *widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

static void
test_window_has_pages (void)
{
  HearthWindow *window = g_object_ref_sink (hearth_window_new (NULL));
  AdwViewStack *stack = hearth_window_get_view_stack (window);

  g_assert_nonnull (stack);
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    {
      GtkWidget *child = adw_view_stack_get_child_by_name (stack, page_names[i]);
      AdwViewStackPage *page;

      g_assert_nonnull (child);
      page = adw_view_stack_get_page (stack, child);
      g_assert_cmpstr (adw_view_stack_page_get_name (page), ==, page_names[i]);
      g_assert_nonnull (adw_view_stack_page_get_title (page));
      g_assert_cmpstr (adw_view_stack_page_get_title (page), !=, "");
      g_assert_nonnull (adw_view_stack_page_get_icon_name (page));

      /* Devices holds the device grid (tests/app/test-devices-page.c covers it). */
      if (g_str_equal (page_names[i], "devices"))
        {
          g_assert_true (HEARTH_IS_DEVICES_PAGE (child));
          g_assert_true (hearth_window_get_devices_page (window) == HEARTH_DEVICES_PAGE (child));
          continue;
        }

      /* Events holds the event stream (tests/app/test-events-page.c covers it). */
      if (g_str_equal (page_names[i], "events"))
        {
          g_assert_true (HEARTH_IS_EVENTS_PAGE (child));
          g_assert_true (hearth_window_get_events_page (window) == HEARTH_EVENTS_PAGE (child));
          continue;
        }

      /* Until the pages have content, each says so instead of showing an empty grey area. */
      g_assert_true (ADW_IS_STATUS_PAGE (child));
      g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (child)), !=, "");
      g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (child)), !=, "");
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (adw_view_stack_get_pages (stack))), ==,
                    G_N_ELEMENTS (page_names));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "devices");

  /* The Devices page's empty state shows the application's own symbolic icon, bundled in the
   * resources. */
  g_assert_true (gtk_icon_theme_has_icon (
      gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (window))),
      "org.hearth.Hearth-symbolic"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
}

static void
test_window_fits_small_panel (void)
{
  HearthWindow *window = g_object_ref_sink (hearth_window_new (NULL));
  GdkSurface *surface;
  int minimum_width;
  int minimum_height;

  /* The minimum size must fit the panel, otherwise GTK would grow the window past the screen. */
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum_width, NULL,
                      NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_VERTICAL, PANEL_WIDTH, &minimum_height,
                      NULL, NULL, NULL);
  g_test_message ("minimum size %d×%d", minimum_width, minimum_height);
  g_assert_cmpint (minimum_width, <=, PANEL_WIDTH);
  g_assert_cmpint (minimum_height, <=, PANEL_HEIGHT);

  gtk_window_set_default_size (GTK_WINDOW (window), PANEL_WIDTH, PANEL_HEIGHT);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (is_mapped_and_allocated, GTK_WIDGET (window));

  /* The surface is what the panel shows; client-side decorations (a border, no shadow
   * without a compositor) take a few pixels of it, so the widget may be a little smaller. */
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_test_message ("surface %d×%d, window widget %d×%d", gdk_surface_get_width (surface),
                  gdk_surface_get_height (surface), gtk_widget_get_width (GTK_WIDGET (window)),
                  gtk_widget_get_height (GTK_WIDGET (window)));
  g_assert_cmpint (gdk_surface_get_width (surface), ==, PANEL_WIDTH);
  g_assert_cmpint (gdk_surface_get_height (surface), ==, PANEL_HEIGHT);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, PANEL_WIDTH);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), >=, PANEL_WIDTH - 32);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window)), <=, PANEL_HEIGHT);
  g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (window)), >=, PANEL_HEIGHT - 32);

  /* Every page must lay out at that size; switching pages allocates each one. */
  for (guint i = 0; i < G_N_ELEMENTS (page_names); i++)
    {
      AdwViewStack *stack = hearth_window_get_view_stack (window);
      GtkWidget *child = adw_view_stack_get_child_by_name (stack, page_names[i]);

      adw_view_stack_set_visible_child (stack, child);
      while (gtk_widget_get_width (child) == 0)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (gtk_widget_get_width (child), <=, PANEL_WIDTH);
      g_assert_cmpint (gtk_widget_get_height (child), <, PANEL_HEIGHT);
    }

  /* Keep a picture of the panel layout next to the test for people to look at. */
  if (g_getenv ("HEARTH_BUILD_DIR") != NULL)
    {
      g_autofree char *path = g_build_filename (g_getenv ("HEARTH_BUILD_DIR"), "tests", "app",
                                                "window-800x480.png", NULL);
      g_autoptr (GError) error = NULL;

      adw_view_stack_set_visible_child_name (hearth_window_get_view_stack (window), "devices");
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_assert_true (hearth_widget_save_png (GTK_WIDGET (window), path, &error));
      g_assert_no_error (error);
      g_test_message ("wrote %s", path);
    }

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_window_kiosk_property (void)
{
  HearthWindow *window = g_object_ref_sink (hearth_window_new (NULL));
  guint notifications = 0;

  g_signal_connect (window, "notify::kiosk", G_CALLBACK (on_notify), &notifications);
  g_assert_false (hearth_window_get_kiosk (window));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "kiosk"));

  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 640);
  hearth_window_set_kiosk (window, TRUE);
  g_assert_true (hearth_window_get_kiosk (window));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (window), "kiosk"));
  g_assert_cmpuint (notifications, ==, 1);
  /* Settings → General follows, so that its kiosk switch is out of reach at the panel. */
  g_assert_true (
      hearth_general_settings_get_kiosk_active (hearth_window_get_general_settings (window)));
  {
    /* Kiosk mode sizes the window to the monitor, so that its first frame covers the panel
     * even where the compositor leaves the full-screen size to the window (cage 0.1.4). */
    GListModel *monitors = gdk_display_get_monitors (gdk_display_get_default ());
    g_autoptr (GdkMonitor) monitor = g_list_model_get_item (monitors, 0);
    GdkRectangle geometry;
    int width, height;

    gdk_monitor_get_geometry (monitor, &geometry);
    gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
    g_assert_cmpint (width, ==, geometry.width);
    g_assert_cmpint (height, ==, geometry.height);
  }

  /* Setting the same value again must not notify: bindings would loop otherwise. */
  hearth_window_set_kiosk (window, TRUE);
  g_assert_cmpuint (notifications, ==, 1);

  g_object_set (window, "kiosk", FALSE, NULL);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (window), "kiosk"));
  g_assert_cmpuint (notifications, ==, 2);
  {
    /* Leaving kiosk mode gives the window its desktop size back. */
    int width, height;

    gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
    g_assert_cmpint (width, ==, 1024);
    g_assert_cmpint (height, ==, 640);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
}

/* The primary menu's entries' actions, in order. */
static GPtrArray *
menu_actions (GMenuModel *menu)
{
  GPtrArray *actions = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);
      GMenuModel *items = section != NULL ? section : menu;

      for (int j = 0; j < g_menu_model_get_n_items (items); j++)
        {
          char *action = NULL;

          if (g_menu_model_get_item_attribute (items, j, G_MENU_ATTRIBUTE_ACTION, "s", &action))
            g_ptr_array_add (actions, action);
        }
      if (section == NULL)
        break;
    }
  return actions;
}

static gboolean
has_action (GPtrArray *actions, const char *name)
{
  for (guint i = 0; i < actions->len; i++)
    if (g_str_equal (g_ptr_array_index (actions, i), name))
      return TRUE;
  return FALSE;
}

/* Settings is an AdwPreferencesWindow over the main window with General and Trust; the main
 * menu's Settings item opens it, closing hides it (it keeps its pages), and it names each page
 * so that code can open it where it is needed. */
static void
test_window_settings (void)
{
  HearthWindow *window = g_object_ref_sink (hearth_window_new (NULL));
  HearthPreferencesWindow *settings = hearth_window_get_preferences_window (window);
  GtkMenuButton *menu_button;
  g_autoptr (GPtrArray) actions = NULL;
  guint n_pages = 0;

  g_assert_true (ADW_IS_PREFERENCES_WINDOW (settings));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (settings)) == GTK_WINDOW (window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (settings)));
  g_assert_true (gtk_window_get_hide_on_close (GTK_WINDOW (settings)));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (settings)));
  g_assert_true (hearth_preferences_window_get_general_settings (settings)
                 == hearth_window_get_general_settings (window));
  g_assert_true (hearth_preferences_window_get_trust_page (settings)
                 == hearth_window_get_trust_page (window));
  /* Both pages are AdwPreferencesPages of that window, General first, with titles and icons
   * for its switcher. */
  {
    GtkWidget *pages_widgets[] = { GTK_WIDGET (hearth_window_get_general_settings (window)),
                                   GTK_WIDGET (hearth_window_get_trust_page (window)) };

    for (guint i = 0; i < G_N_ELEMENTS (pages_widgets); i++)
      {
        AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (pages_widgets[i]);

        g_assert_true (gtk_widget_is_ancestor (pages_widgets[i], GTK_WIDGET (settings)));
        g_assert_cmpstr (adw_preferences_page_get_name (page), ==, settings_page_names[i]);
        g_assert_cmpstr (adw_preferences_page_get_title (page), !=, "");
        g_assert_nonnull (adw_preferences_page_get_icon_name (page));
        n_pages++;
      }
  }
  g_assert_cmpuint (n_pages, ==, G_N_ELEMENTS (settings_page_names));

  /* The main menu offers it. */
  menu_button
      = GTK_MENU_BUTTON (app_test_find_descendant (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON));
  g_assert_nonnull (menu_button);
  actions = menu_actions (gtk_menu_button_get_menu_model (menu_button));
  g_assert_true (has_action (actions, "win.show-settings"));

  gtk_window_set_default_size (GTK_WINDOW (window), PANEL_WIDTH, PANEL_HEIGHT);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (is_mapped_and_allocated, GTK_WIDGET (window));

  /* The menu item's action opens it on the page last shown, General at first. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-settings", NULL));
  wait_for (is_mapped_and_allocated, GTK_WIDGET (settings));
  g_assert_cmpstr (adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (settings)),
                   ==, "general");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (hearth_window_get_general_settings (window))));

  /* Closing only hides it; opening it on Trust shows Trust. */
  gtk_window_close (GTK_WINDOW (settings));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (settings)));
  hearth_window_show_settings (window, "trust");
  wait_for (is_mapped_and_allocated, GTK_WIDGET (hearth_window_get_trust_page (window)));
  g_assert_cmpstr (adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (settings)),
                   ==, "trust");
  gtk_window_close (GTK_WINDOW (settings));
  hearth_window_show_settings (window, NULL);
  wait_for (is_mapped_and_allocated, GTK_WIDGET (settings));
  g_assert_cmpstr (adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (settings)),
                   ==, "trust");

  /* Destroying the main window takes Settings with it: no toplevel is left behind. */
  g_object_ref (settings);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (settings)));
  {
    g_autoptr (GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr (GObject) toplevel = g_list_model_get_item (toplevels, i);

        g_assert_true (toplevel != G_OBJECT (settings));
      }
  }
  g_object_unref (settings);
}

/* On a wall panel Settings covers the 800×480 panel with touch-sized controls instead of
 * floating over it at its desktop size, which does not fit; leaving kiosk mode gives it its
 * desktop size back. */
static void
test_window_settings_kiosk (void)
{
  HearthWindow *window = g_object_ref_sink (hearth_window_new (NULL));
  HearthPreferencesWindow *settings = hearth_window_get_preferences_window (window);
  int desktop_width, desktop_height, width, height;

  gtk_window_get_default_size (GTK_WINDOW (settings), &desktop_width, &desktop_height);
  g_assert_cmpint (desktop_height, >, PANEL_HEIGHT);
  hearth_window_set_kiosk (window, TRUE);
  /* The panel: kiosk mode sized the window to the monitor; this one is 800×480. */
  gtk_window_set_default_size (GTK_WINDOW (window), PANEL_WIDTH, PANEL_HEIGHT);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (is_mapped_and_allocated, GTK_WIDGET (window));
  g_assert_true (hearth_preferences_window_get_kiosk (settings));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (settings), "kiosk"));
  g_assert_true (
      hearth_general_settings_get_kiosk_active (hearth_window_get_general_settings (window)));

  hearth_window_show_settings (window, "general");
  app_test_wait_for (app_test_is_drawn, settings);
  {
    GdkSurface *panel = gtk_native_get_surface (GTK_NATIVE (window));
    GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (settings));
    g_autoptr (GPtrArray) controls = g_ptr_array_new ();

    for (guint i = 0; i < G_N_ELEMENTS (settings_page_names); i++)
      {
        adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (settings),
                                                      settings_page_names[i]);
        app_test_settle ();
        g_test_message ("%s: surface %d×%d over the panel's %d×%d", settings_page_names[i],
                        gdk_surface_get_width (surface), gdk_surface_get_height (surface),
                        gdk_surface_get_width (panel), gdk_surface_get_height (panel));
        g_assert_cmpint (gdk_surface_get_width (surface), ==, gdk_surface_get_width (panel));
        g_assert_cmpint (gdk_surface_get_height (surface), ==, gdk_surface_get_height (panel));
      }
    /* No frame or shadow around it, but its close button stays: it is the way back. */
    g_assert_false (gtk_window_get_decorated (GTK_WINDOW (settings)));
    app_test_collect_mapped (GTK_WIDGET (settings), GTK_TYPE_WINDOW_CONTROLS, controls);
    g_assert_cmpuint (controls->len, >, 0);
    {
      gboolean any_shown = FALSE;

      for (guint i = 0; i < controls->len; i++)
        any_shown |= !gtk_window_controls_get_empty (g_ptr_array_index (controls, i));
      g_assert_true (any_shown);
    }
  }
  {
    g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (settings));

    app_test_save (texture, "settings-kiosk-800x480.png");
  }
  gtk_window_close (GTK_WINDOW (settings));

  hearth_window_set_kiosk (window, FALSE);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (settings), "kiosk"));
  g_assert_true (gtk_window_get_decorated (GTK_WINDOW (settings)));
  gtk_window_get_default_size (GTK_WINDOW (settings), &width, &height);
  g_assert_cmpint (width, ==, desktop_width);
  g_assert_cmpint (height, ==, desktop_height);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
}

static void
test_window_shows_toasts (void)
{
  HearthWindow *window = g_object_ref_sink (hearth_window_new (NULL));
  AdwToast *toast = adw_toast_new ("Living room light refused 120 %");
  g_autoptr (AdwToast) toast_ref = g_object_ref (toast);

  gtk_window_present (GTK_WINDOW (window));
  hearth_window_add_toast (window, toast);
  /* The overlay keeps its own reference while the toast is shown. */
  g_assert_cmpuint (G_OBJECT (toast_ref)->ref_count, >, 1);
  adw_toast_dismiss (toast_ref);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
}

int
main (int argc, char *argv[])
{
  GTestDBus *bus;
  g_autofree char *display = NULL;
  int status;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("1..0 # SKIP no display: set DISPLAY (build-aux/dev test starts Xvfb)\n");
      return 77;
    }

  /* A private session bus keeps the test from talking to (or autolaunching) the user's.
   * GTestDBus unsets DISPLAY to prevent exactly that autolaunch, so put it back for GTK. */
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* GtkApplication adds this path for the real program; the tests have no application. */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/org/hearth/Hearth/icons");

  g_test_add_func ("/app/window/has-pages", test_window_has_pages);
  g_test_add_func ("/app/window/fits-small-panel", test_window_fits_small_panel);
  g_test_add_func ("/app/window/kiosk-property", test_window_kiosk_property);
  g_test_add_func ("/app/window/settings", test_window_settings);
  g_test_add_func ("/app/window/settings-kiosk", test_window_settings_kiosk);
  g_test_add_func ("/app/window/shows-toasts", test_window_shows_toasts);

  status = g_test_run ();
  /* GTK and libadwaita keep the session bus connection until exit, so g_test_dbus_down(),
   * which waits for it to be freed, would time out; disposing the GTestDBus calls it too, so
   * the object is deliberately not unreferenced. */
  g_test_dbus_stop (bus);
  return status;
}
