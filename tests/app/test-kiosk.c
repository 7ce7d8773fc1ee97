/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "app-test-util.h"
#include "hearth-events-page.h"
#include "hearth-window.h"

#include <X11/extensions/XTest.h>
#include <gdk/x11/gdkx.h>

/*
 * Kiosk mode on a real window under Xvfb. Input is real: the test moves the X pointer and
 * presses its button with the XTEST extension, so the events go through the X server, GDK and
 * GTK's event delivery exactly like a touch panel's emulated pointer, and reach the long-press
 * gesture and the capture-phase input watch the way a finger would.
 */

/* The smallest touch target the GNOME HIG allows. */
#define TOUCH_TARGET_PX 48

typedef struct
{
  char *data_dir;
  HearthHistory *history;
  HearthEventBus *event_bus;
  GtkWindow *window;
  HearthKioskController *kiosk;
} KioskFixture;

static void
kiosk_fixture_set_up (KioskFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->data_dir = app_test_make_data_dir ();
  fixture->history = hearth_history_new (fixture->data_dir, NULL, &error);
  g_assert_no_error (error);
  fixture->event_bus = hearth_event_bus_new ();
  hearth_event_bus_attach_history (fixture->event_bus, fixture->history);

  fixture->window = GTK_WINDOW (g_object_ref_sink (hearth_window_new (NULL)));
  hearth_events_page_set_event_bus (hearth_window_get_events_page (HEARTH_WINDOW (fixture->window)),
                                    fixture->event_bus);
  hearth_events_page_set_history (hearth_window_get_events_page (HEARTH_WINDOW (fixture->window)),
                                  fixture->history);
  fixture->kiosk = hearth_window_get_kiosk_controller (HEARTH_WINDOW (fixture->window));
  hearth_window_set_kiosk (HEARTH_WINDOW (fixture->window), TRUE);
  /* Kiosk mode sizes the window to the monitor (Xvfb's screen here), and Xvfb has no window
   * manager to make it full screen: size it as the 800×480 panel would, after that. */
  gtk_window_set_default_size (fixture->window, PANEL_WIDTH, PANEL_HEIGHT);
  gtk_window_present (fixture->window);
  app_test_wait_for (app_test_is_drawn, fixture->window);
  app_test_settle ();
}

static void
kiosk_fixture_tear_down (KioskFixture *fixture, gconstpointer user_data)
{
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->window);
  g_clear_object (&fixture->event_bus);
  g_clear_object (&fixture->history);
  app_test_remove_data_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

/* Waits for GTK to handle what the X server has sent, for at least @ms milliseconds. */
static void
pump (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

/* Moves the X pointer to the centre of @widget. */
static void
pointer_to (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));
  Window xid = gdk_x11_surface_get_xid (gtk_native_get_surface (native));
  graphene_point_t point;
  double surface_x, surface_y;
  int root_x, root_y;
  Window child;

  g_assert_true (
      gtk_widget_compute_point (widget, GTK_WIDGET (native),
                                &GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.0,
                                                      gtk_widget_get_height (widget) / 2.0),
                                &point));
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);
  XTranslateCoordinates (xdisplay, xid, DefaultRootWindow (xdisplay), (int)(point.x + surface_x),
                         (int)(point.y + surface_y), &root_x, &root_y, &child);
  XTestFakeMotionEvent (xdisplay, -1, root_x, root_y, CurrentTime);
  XFlush (xdisplay);
  pump (50);
}

static void
button (GtkWidget *widget, gboolean is_press)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget));

  XTestFakeButtonEvent (xdisplay, 1, is_press, CurrentTime);
  XFlush (xdisplay);
}

/* Holds the primary button on @widget for @ms milliseconds. */
static void
hold (GtkWidget *widget, guint ms)
{
  pointer_to (widget);
  button (widget, TRUE);
  pump (ms);
  button (widget, FALSE);
  pump (100);
}

static GtkWidget *
find_mapped (GtkWidget *root, GType type)
{
  GtkWidget *found = app_test_find_mapped (root, type);

  g_assert_nonnull (found);
  return found;
}

static void
test_full_screen_without_decorations (KioskFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) controls = g_ptr_array_new ();

  g_assert_true (hearth_window_get_kiosk (HEARTH_WINDOW (fixture->window)));
  g_assert_true (gtk_window_is_fullscreen (fixture->window));
  g_assert_false (gtk_window_get_decorated (fixture->window));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (fixture->window), "kiosk"));
  g_assert_true (hearth_kiosk_controller_get_active (fixture->kiosk));
  /* No minimize, maximize or close button anywhere. */
  app_test_collect_mapped (GTK_WIDGET (fixture->window), GTK_TYPE_WINDOW_CONTROLS, controls);
  for (guint i = 0; i < controls->len; i++)
    g_assert_true (gtk_window_controls_get_empty (g_ptr_array_index (controls, i)));

  /* Leaving kiosk mode brings them back. */
  hearth_window_set_kiosk (HEARTH_WINDOW (fixture->window), FALSE);
  app_test_settle ();
  g_assert_true (gtk_window_get_decorated (fixture->window));
  g_assert_false (hearth_kiosk_controller_get_active (fixture->kiosk));
  g_ptr_array_set_size (controls, 0);
  app_test_collect_mapped (GTK_WIDGET (fixture->window), GTK_TYPE_WINDOW_CONTROLS, controls);
  g_assert_cmpuint (controls->len, >, 0);
}

/* Every control a finger can reach on every page is at least 48 px in both directions. */
static void
test_touch_targets (KioskFixture *fixture, gconstpointer user_data)
{
  AdwViewStack *stack = hearth_window_get_view_stack (HEARTH_WINDOW (fixture->window));
  GtkWidget *settings
      = GTK_WIDGET (hearth_window_get_preferences_window (HEARTH_WINDOW (fixture->window)));
  /* The window's pages, then Settings' two pages, General (shown first) and Trust. */
  const char *pages[] = { "devices", "events", "settings/general", "settings/trust" };
  guint n_measured = 0;

  for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
    {
      g_autoptr (GPtrArray) controls = g_ptr_array_new ();
      GtkWidget *root = GTK_WIDGET (fixture->window);

      if (g_str_has_prefix (pages[p], "settings/"))
        {
          hearth_window_show_settings (HEARTH_WINDOW (fixture->window),
                                       pages[p] + strlen ("settings/"));
          app_test_wait_for (app_test_is_drawn, settings);
          root = settings;
        }
      else
        adw_view_stack_set_visible_child_name (stack, pages[p]);
      app_test_settle ();
      app_test_collect_mapped (root, GTK_TYPE_BUTTON, controls);
      app_test_collect_mapped (root, GTK_TYPE_SWITCH, controls);
      app_test_collect_mapped (root, GTK_TYPE_SCALE, controls);
      app_test_collect_mapped (root, GTK_TYPE_DROP_DOWN, controls);
      app_test_collect_mapped (root, GTK_TYPE_ENTRY, controls);
      app_test_collect_mapped (root, GTK_TYPE_SEARCH_ENTRY, controls);
      for (guint i = 0; i < controls->len; i++)
        {
          GtkWidget *control = g_ptr_array_index (controls, i);

          if (!gtk_widget_get_can_target (control) || gtk_widget_get_opacity (control) == 0)
            continue;
          g_test_message ("%s: %s %d×%d", pages[p], G_OBJECT_TYPE_NAME (control),
                          gtk_widget_get_width (control), gtk_widget_get_height (control));
          g_assert_cmpint (gtk_widget_get_width (control), >=, TOUCH_TARGET_PX);
          g_assert_cmpint (gtk_widget_get_height (control), >=, TOUCH_TARGET_PX);
          n_measured++;
        }
    }
  g_assert_cmpuint (n_measured, >=, 5);
}

static void
test_long_press_leaves_after_confirmation (KioskFixture *fixture, gconstpointer user_data)
{
  GtkWidget *title = hearth_kiosk_controller_get_admin_area (fixture->kiosk);
  AdwMessageDialog *dialog;

  /* A tap and a 1.5 s press do nothing. */
  hold (title, 100);
  hold (title, 1500);
  pump (2000);
  g_assert_null (hearth_kiosk_controller_get_leave_dialog (fixture->kiosk));
  g_assert_true (hearth_window_get_kiosk (HEARTH_WINDOW (fixture->window)));

  /* Three seconds ask; "Stay" keeps kiosk mode. */
  hold (title, 3400);
  dialog = hearth_kiosk_controller_get_leave_dialog (fixture->kiosk);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  /* Its two answers are touch targets too, although the dialog is a window of its own. */
  app_test_wait_for (app_test_is_drawn, dialog);
  app_test_settle ();
  {
    g_autoptr (GPtrArray) buttons = g_ptr_array_new ();

    app_test_collect_mapped (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, buttons);
    g_assert_cmpuint (buttons->len, ==, 2);
    for (guint i = 0; i < buttons->len; i++)
      {
        GtkWidget *button = g_ptr_array_index (buttons, i);

        graphene_rect_t bounds;

        /* The bounds, not gtk_widget_get_height (): a response button's area to touch includes
         * its padding (the dialog's buttons are padded, the main window's are not). */
        g_assert_true (gtk_widget_compute_bounds (button, GTK_WIDGET (dialog), &bounds));
        g_test_message ("leave dialog: %s %.0f×%.0f", gtk_button_get_label (GTK_BUTTON (button)),
                        bounds.size.width, bounds.size.height);
        g_assert_cmpfloat (bounds.size.height, >=, TOUCH_TARGET_PX);
        g_assert_cmpfloat (bounds.size.width, >=, TOUCH_TARGET_PX);
      }
  }
  g_assert_true (hearth_window_get_kiosk (HEARTH_WINDOW (fixture->window)));
  /* What the dialog's button does: answer, then close. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_close (GTK_WINDOW (dialog));
  pump (200);
  g_assert_null (hearth_kiosk_controller_get_leave_dialog (fixture->kiosk));
  g_assert_true (hearth_window_get_kiosk (HEARTH_WINDOW (fixture->window)));
  g_assert_true (gtk_window_is_fullscreen (fixture->window));

  /* Three seconds again, and "Leave" leaves. */
  hold (title, 3400);
  dialog = hearth_kiosk_controller_get_leave_dialog (fixture->kiosk);
  g_assert_nonnull (dialog);
  /* What the dialog's button does: answer, then close. */
  adw_message_dialog_response (dialog, "leave");
  gtk_window_close (GTK_WINDOW (dialog));
  pump (300);
  g_assert_false (hearth_window_get_kiosk (HEARTH_WINDOW (fixture->window)));
  g_assert_true (gtk_window_get_decorated (fixture->window));

  /* Outside kiosk mode the gesture does nothing. */
  hold (title, 3400);
  g_assert_null (hearth_kiosk_controller_get_leave_dialog (fixture->kiosk));
}

static gboolean
is_dimmed (gpointer data)
{
  return hearth_kiosk_controller_get_dimmed (data);
}

static void
test_idle_dim_and_wake (KioskFixture *fixture, gconstpointer user_data)
{
  GtkWidget *menu_button = find_mapped (GTK_WIDGET (fixture->window), GTK_TYPE_MENU_BUTTON);
  GtkPopover *popover;
  gint64 start;
  g_autoptr (GdkTexture) texture = NULL;

  hearth_kiosk_controller_set_idle_dim_seconds (fixture->kiosk, 2);
  start = g_get_monotonic_time ();
  /* Input keeps it awake: pointer motion every 300 ms for longer than the idle time. */
  for (guint i = 0; i < 10; i++)
    {
      pointer_to (i % 2 == 0 ? menu_button : GTK_WIDGET (fixture->window));
      pump (300);
      g_assert_false (hearth_kiosk_controller_get_dimmed (fixture->kiosk));
    }
  g_assert_cmpint (g_get_monotonic_time () - start, >, 2 * G_USEC_PER_SEC);
  start = g_get_monotonic_time ();
  app_test_wait_for (is_dimmed, fixture->kiosk);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  app_test_settle ();
  texture = app_test_render (GTK_WIDGET (fixture->window));
  app_test_save (texture, "kiosk-dimmed.png");

  /* The waking press does not open the menu under the finger. */
  pointer_to (menu_button);
  hold (menu_button, 100);
  pump (300);
  g_assert_false (hearth_kiosk_controller_get_dimmed (fixture->kiosk));
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button));
  g_assert_true (popover == NULL || !gtk_widget_get_visible (GTK_WIDGET (popover)));

  /* The next one does: the first was swallowed, not lost by accident. */
  hold (menu_button, 100);
  pump (300);
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button));
  g_assert_nonnull (popover);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));
  gtk_popover_popdown (popover);

  /* 0 never dims. */
  hearth_kiosk_controller_set_idle_dim_seconds (fixture->kiosk, 0);
  pump (1500);
  g_assert_false (hearth_kiosk_controller_get_dimmed (fixture->kiosk));
}

/* Settings on the panel: a finger busy there keeps the panel awake; left alone, the panel dims
 * and goes back to its home view, so Settings does not stay lit above the dimmed window. */
static void
test_settings_and_idle_dim (KioskFixture *fixture, gconstpointer user_data)
{
  GtkWidget *settings
      = GTK_WIDGET (hearth_window_get_preferences_window (HEARTH_WINDOW (fixture->window)));
  GtkWidget *general
      = GTK_WIDGET (hearth_window_get_general_settings (HEARTH_WINDOW (fixture->window)));
  gint64 start;

  hearth_kiosk_controller_set_idle_dim_seconds (fixture->kiosk, 2);
  hearth_window_show_settings (HEARTH_WINDOW (fixture->window), "general");
  app_test_wait_for (app_test_is_drawn, settings);
  app_test_settle ();
  /* Pointer motion inside Settings only, for longer than the idle time. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 10; i++)
    {
      pointer_to (i % 2 == 0 ? settings : general);
      pump (300);
      g_assert_false (hearth_kiosk_controller_get_dimmed (fixture->kiosk));
      g_assert_true (gtk_widget_get_visible (settings));
    }
  g_assert_cmpint (g_get_monotonic_time () - start, >, 2 * G_USEC_PER_SEC);

  app_test_wait_for (is_dimmed, fixture->kiosk);
  g_assert_false (gtk_widget_get_visible (settings));
}

static void
publish (HearthEventBus *bus, HearthEventKind kind, const char *device_id, const char *name,
         const char *value_json)
{
  g_autoptr (JsonNode) value = value_json != NULL ? json_from_string (value_json, NULL) : NULL;
  g_autoptr (HearthEvent) event
      = hearth_event_new (kind, HEARTH_EVENT_SOURCE_NOTIFY, device_id, name, value, 0);

  hearth_event_bus_publish (bus, event);
}

static void
test_screenshot (KioskFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GdkTexture) texture = NULL;

  adw_view_stack_set_visible_child_name (
      hearth_window_get_view_stack (HEARTH_WINDOW (fixture->window)), "events");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_ONLINE, "thermometer-1", NULL, NULL);
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "thermometer-1", "temperature",
           "21.5");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_EVENT, "keypad", "key-down", "{\"key\":60}");
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "bedroom-light", "on", "true");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_EVENT, "motion-sensor", "motion", NULL);
  app_test_settle ();
  texture = app_test_render (GTK_WIDGET (fixture->window));
  g_test_message ("kiosk window %d×%d", gdk_texture_get_width (texture),
                  gdk_texture_get_height (texture));
  app_test_save (texture, "kiosk-800x480.png");
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      printf ("1..0 # SKIP the kiosk tests drive input with XTEST and need an X display\n");
      return 77;
    }

  g_test_add ("/app/kiosk/full-screen-without-decorations", KioskFixture, NULL,
              kiosk_fixture_set_up, test_full_screen_without_decorations, kiosk_fixture_tear_down);
  g_test_add ("/app/kiosk/touch-targets", KioskFixture, NULL, kiosk_fixture_set_up,
              test_touch_targets, kiosk_fixture_tear_down);
  g_test_add ("/app/kiosk/long-press-leaves-after-confirmation", KioskFixture, NULL,
              kiosk_fixture_set_up, test_long_press_leaves_after_confirmation,
              kiosk_fixture_tear_down);
  g_test_add ("/app/kiosk/idle-dim-and-wake", KioskFixture, NULL, kiosk_fixture_set_up,
              test_idle_dim_and_wake, kiosk_fixture_tear_down);
  g_test_add ("/app/kiosk/settings-and-idle-dim", KioskFixture, NULL, kiosk_fixture_set_up,
              test_settings_and_idle_dim, kiosk_fixture_tear_down);
  g_test_add ("/app/kiosk/screenshot", KioskFixture, NULL, kiosk_fixture_set_up, test_screenshot,
              kiosk_fixture_tear_down);
  return g_test_run ();
}
