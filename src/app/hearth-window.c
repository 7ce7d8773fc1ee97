/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-window"

#include "config.h"

#include "hearth-window.h"

#include "hearth-devices-page.h"
#include "hearth-events-page.h"
#include "hearth-general-settings.h"
#include "hearth-kiosk-controller.h"
#include "hearth-preferences-window.h"
#include "hearth-trust-page.h"

enum
{
  PROP_0,
  PROP_KIOSK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwToastOverlay *toast_overlay;
  AdwHeaderBar *header_bar;
  AdwViewStack *view_stack;
  HearthDevicesPage *devices_page;
  HearthEventsPage *events_page;
  AdwViewSwitcherTitle *switcher_title;
  GtkWidget *dim_layer;

  /* Owned */
  HearthKioskController *kiosk_controller;
  /* Settings: made with the window and hidden until asked for; GTK owns it as a toplevel, the
   * window destroys it. */
  HearthPreferencesWindow *preferences_window;
  gboolean kiosk;
  /* The window's default size before kiosk mode sized it to the monitor, restored when kiosk
   * mode is left; 0 while not in kiosk mode. */
  int desktop_width;
  int desktop_height;
};

G_DEFINE_FINAL_TYPE (HearthWindow, hearth_window, ADW_TYPE_APPLICATION_WINDOW)

/* The monitor the window is on, or before it is shown, the display's first one: a kiosk panel
 * has one. Returns a new reference or NULL. */
static GdkMonitor *
hearth_window_dup_monitor (HearthWindow *self)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (self));
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (self));
  GListModel *monitors = gdk_display_get_monitors (display);

  if (surface != NULL)
    {
      GdkMonitor *monitor = gdk_display_get_monitor_at_surface (display, surface);

      if (monitor != NULL)
        return g_object_ref (monitor);
    }
  if (g_list_model_get_n_items (monitors) == 0)
    return NULL;
  return g_list_model_get_item (monitors, 0);
}

/* A compositor may answer the full-screen request with a configure of size 0×0, which leaves
 * the size to the window: GTK then uses the default size, and the window covers only part of
 * the panel. cage 0.1.4 (Debian 12) does exactly that, and only maximizes the window to the
 * output once it has been shown at its default size (docs/kiosk.md). Sizing the window to the
 * monitor makes its first frame already cover the panel, whatever the compositor does. */
static void
hearth_window_size_for_kiosk (HearthWindow *self)
{
  g_autoptr (GdkMonitor) monitor = NULL;
  GdkRectangle geometry;

  if (self->kiosk)
    {
      monitor = hearth_window_dup_monitor (self);
      if (monitor == NULL)
        return;
      gdk_monitor_get_geometry (monitor, &geometry);
      if (geometry.width <= 0 || geometry.height <= 0)
        return;
      if (self->desktop_width == 0)
        gtk_window_get_default_size (GTK_WINDOW (self), &self->desktop_width,
                                     &self->desktop_height);
      gtk_window_set_default_size (GTK_WINDOW (self), geometry.width, geometry.height);
    }
  else if (self->desktop_width != 0)
    {
      gtk_window_set_default_size (GTK_WINDOW (self), self->desktop_width, self->desktop_height);
      self->desktop_width = self->desktop_height = 0;
    }
}

static void
hearth_window_apply_kiosk (HearthWindow *self)
{
  hearth_window_size_for_kiosk (self);

  /* Kiosk mode is full screen, no decorations and larger touch targets (style.css) here; the
   * admin gesture to leave it and idle dimming are HearthKioskController's. */
  if (self->kiosk)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "kiosk");
      gtk_window_fullscreen (GTK_WINDOW (self));
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self), "kiosk");
      gtk_window_unfullscreen (GTK_WINDOW (self));
    }
  /* Without decorations no window manager or compositor draws a frame or a shadow around it. */
  gtk_window_set_decorated (GTK_WINDOW (self), !self->kiosk);
  hearth_kiosk_controller_set_active (self->kiosk_controller, self->kiosk);
  hearth_preferences_window_set_kiosk (self->preferences_window, self->kiosk);
  adw_header_bar_set_show_end_title_buttons (self->header_bar, !self->kiosk);
  adw_header_bar_set_show_start_title_buttons (self->header_bar, !self->kiosk);
}

static void
hearth_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  switch (prop_id)
    {
      case PROP_KIOSK:
        g_value_set_boolean (value, self->kiosk);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  switch (prop_id)
    {
      case PROP_KIOSK:
        hearth_window_set_kiosk (self, g_value_get_boolean (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_window_on_leave_kiosk_confirmed (HearthKioskController *controller, gpointer user_data)
{
  hearth_window_set_kiosk (HEARTH_WINDOW (user_data), FALSE);
}

/* A wall panel that dims after idle also goes back to the home view: Settings would otherwise
 * stay open above the dimmed window, bright, for the next passer-by. */
static void
hearth_window_on_dimmed_changed (HearthKioskController *controller, GParamSpec *pspec,
                                 gpointer user_data)
{
  HearthWindow *self = HEARTH_WINDOW (user_data);

  if (hearth_kiosk_controller_get_dimmed (controller) && self->preferences_window != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->preferences_window), FALSE);
}

static void
hearth_window_show_settings_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  hearth_window_show_settings (HEARTH_WINDOW (widget), NULL);
}

static void
hearth_window_dispose (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  if (self->preferences_window != NULL)
    {
      /* GTK 4.8 keeps a plain pointer to the transient parent: whoever still holds Settings
       * must not find this window in it once it is gone. */
      gtk_window_set_transient_for (GTK_WINDOW (self->preferences_window), NULL);
      gtk_window_destroy (GTK_WINDOW (self->preferences_window));
      g_clear_object (&self->preferences_window);
    }
  if (self->kiosk_controller != NULL)
    g_object_run_dispose (G_OBJECT (self->kiosk_controller));
  g_clear_object (&self->kiosk_controller);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_WINDOW);

  G_OBJECT_CLASS (hearth_window_parent_class)->dispose (object);
}

static void
hearth_window_class_init (HearthWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_window_get_property;
  object_class->set_property = hearth_window_set_property;
  object_class->dispose = hearth_window_dispose;

  /**
   * HearthWindow:kiosk:
   *
   * Whether the window runs full screen without window controls, as on a wall panel.
   */
  properties[PROP_KIOSK]
      = g_param_spec_boolean ("kiosk", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (HEARTH_TYPE_DEVICES_PAGE);
  g_type_ensure (HEARTH_TYPE_EVENTS_PAGE);

  /* The main menu's Settings item. */
  gtk_widget_class_install_action (widget_class, "win.show-settings", NULL,
                                   hearth_window_show_settings_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/hearth/Hearth/hearth-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, devices_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, events_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, dim_layer);
}

static void
hearth_window_init (HearthWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->kiosk_controller = hearth_kiosk_controller_new (
      GTK_WINDOW (self), GTK_WIDGET (self->switcher_title), self->dim_layer);
  g_signal_connect_object (self->kiosk_controller, "leave-confirmed",
                           G_CALLBACK (hearth_window_on_leave_kiosk_confirmed), self, 0);
  g_signal_connect_object (self->kiosk_controller, "notify::dimmed",
                           G_CALLBACK (hearth_window_on_dimmed_changed), self, 0);

  self->preferences_window = g_object_ref_sink (hearth_preferences_window_new (GTK_WINDOW (self)));
  /* Touches in Settings are the panel's user at work: they keep it from dimming. */
  hearth_kiosk_controller_watch_window (self->kiosk_controller,
                                        GTK_WINDOW (self->preferences_window));

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

/**
 * hearth_window_new:
 * @application: (nullable): the application the window belongs to
 *
 * Returns: (transfer none): a new main window, owned by GTK until gtk_window_destroy()
 */
HearthWindow *
hearth_window_new (AdwApplication *application)
{
  g_return_val_if_fail (application == NULL || ADW_IS_APPLICATION (application), NULL);

  return g_object_new (HEARTH_TYPE_WINDOW, "application", application, NULL);
}

/**
 * hearth_window_get_view_stack:
 *
 * Returns: (transfer none): the stack holding the Devices and Events pages
 */
AdwViewStack *
hearth_window_get_view_stack (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return self->view_stack;
}

/**
 * hearth_window_get_devices_page:
 *
 * Returns: (transfer none): the Devices page; the application gives it the registry, the
 *   trust store, the history, the event bus and discovery
 */
HearthDevicesPage *
hearth_window_get_devices_page (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return self->devices_page;
}

/**
 * hearth_window_get_trust_page:
 *
 * Returns: (transfer none): Settings → Trust; the application gives it the trust store and the
 *   hub identity
 */
HearthTrustPage *
hearth_window_get_trust_page (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return hearth_preferences_window_get_trust_page (self->preferences_window);
}

gboolean
hearth_window_get_kiosk (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), FALSE);

  return self->kiosk;
}

void
hearth_window_set_kiosk (HearthWindow *self, gboolean kiosk)
{
  g_return_if_fail (HEARTH_IS_WINDOW (self));

  kiosk = !!kiosk;
  if (self->kiosk == kiosk)
    return;

  self->kiosk = kiosk;
  hearth_window_apply_kiosk (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIOSK]);
}

/**
 * hearth_window_add_toast:
 * @toast: (transfer full): the toast to show
 */
void
hearth_window_add_toast (HearthWindow *self, AdwToast *toast)
{
  g_return_if_fail (HEARTH_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * hearth_window_get_events_page:
 *
 * Returns: (transfer none): the Events page; the application gives it the event bus and the
 *   history
 */
HearthEventsPage *
hearth_window_get_events_page (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return self->events_page;
}

/**
 * hearth_window_get_kiosk_controller:
 *
 * Returns: (transfer none): kiosk mode's admin gesture and idle dimming
 */
HearthKioskController *
hearth_window_get_kiosk_controller (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return self->kiosk_controller;
}

/**
 * hearth_window_get_general_settings:
 *
 * Returns: (transfer none): Settings → General; the application gives it the settings and the
 *   hub
 */
HearthGeneralSettings *
hearth_window_get_general_settings (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return hearth_preferences_window_get_general_settings (self->preferences_window);
}

/**
 * hearth_window_get_preferences_window:
 *
 * Returns: (transfer none): Settings, a window of its own with the pages "general" and "trust";
 *   hidden until hearth_window_show_settings()
 */
HearthPreferencesWindow *
hearth_window_get_preferences_window (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);

  return self->preferences_window;
}

/**
 * hearth_window_show_settings:
 * @page_name: (nullable): "general" or "trust"; %NULL shows the page last shown
 *
 * Opens Settings over the window (the main menu's Settings, Ctrl+comma).
 */
void
hearth_window_show_settings (HearthWindow *self, const char *page_name)
{
  g_return_if_fail (HEARTH_IS_WINDOW (self));

  hearth_preferences_window_show_page (self->preferences_window, page_name);
}
