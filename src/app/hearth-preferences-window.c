/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-preferences-window"

#include "config.h"

#include "hearth-preferences-window.h"

/*
 * HearthPreferencesWindow is Settings: General (HearthGeneralSettings) and Trust
 * (HearthTrustPage) as pages of an AdwPreferencesWindow, which switches between them, searches
 * their rows and shows their toasts. The main window makes one, hidden, when it is made, and
 * keeps it for its whole life (hide-on-close): the application hands the pages the hub once,
 * whether or not the user ever opens Settings, and a reopened Settings shows where the user was.
 * The trust page's toasts (Undo) find this window's own toast overlay as their nearest one.
 *
 * On a wall panel (kiosk mode) the window takes the whole panel instead of floating over it:
 * AdwPreferencesWindow's natural height does not fit 480 px, and a compositor such as cage
 * centres a window that fits and maximizes one that does not, so the size is chosen here rather
 * than left to chance. It also gets the `kiosk` style class, which makes its controls 48 px
 * touch targets (style.css).
 */

enum
{
  PROP_0,
  PROP_KIOSK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Template widgets */
  HearthGeneralSettings *general_settings;
  HearthTrustPage *trust_page;

  gboolean kiosk;
  /* The default size from the template, restored when kiosk mode ends. */
  int desktop_width;
  int desktop_height;
};

G_DEFINE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

/* In kiosk mode the window covers its parent, the full-screen main window: the panel. It has
 * no frame then, for the same reason as the main window (no border or shadow eating the
 * panel's pixels), but keeps its close button, the way back. */
static void
hearth_preferences_window_size_for_kiosk (HearthPreferencesWindow *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  int width = 0, height = 0;

  gtk_window_set_decorated (GTK_WINDOW (self), !self->kiosk);
  if (!self->kiosk)
    {
      gtk_window_unmaximize (GTK_WINDOW (self));
      gtk_window_set_default_size (GTK_WINDOW (self), self->desktop_width, self->desktop_height);
      return;
    }

  /* Kiosk mode gave the main window the panel's size as its default size (hearth-window.c). */
  if (parent != NULL)
    gtk_window_get_default_size (parent, &width, &height);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  gtk_window_maximize (GTK_WINDOW (self));
}

static void
hearth_preferences_window_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  HearthPreferencesWindow *self = HEARTH_PREFERENCES_WINDOW (object);

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
hearth_preferences_window_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  HearthPreferencesWindow *self = HEARTH_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
      case PROP_KIOSK:
        hearth_preferences_window_set_kiosk (self, g_value_get_boolean (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (hearth_preferences_window_parent_class)->dispose (object);
}

static void
hearth_preferences_window_class_init (HearthPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_preferences_window_get_property;
  object_class->set_property = hearth_preferences_window_set_property;
  object_class->dispose = hearth_preferences_window_dispose;

  /**
   * HearthPreferencesWindow:kiosk:
   *
   * Whether the window covers the wall panel with touch-sized controls; follows the main
   * window's kiosk mode.
   */
  properties[PROP_KIOSK]
      = g_param_spec_boolean ("kiosk", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (HEARTH_TYPE_GENERAL_SETTINGS);
  g_type_ensure (HEARTH_TYPE_TRUST_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, general_settings);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, trust_page);
}

static void
hearth_preferences_window_init (HearthPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_window_get_default_size (GTK_WINDOW (self), &self->desktop_width, &self->desktop_height);
  g_object_bind_property (self, "kiosk", self->general_settings, "kiosk-active",
                          G_BINDING_SYNC_CREATE);

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

/**
 * hearth_preferences_window_new:
 * @parent: (nullable): the main window Settings belongs to
 *
 * Returns: (transfer none): a new, hidden Settings window, owned by GTK until
 *   gtk_window_destroy()
 */
HearthPreferencesWindow *
hearth_preferences_window_new (GtkWindow *parent)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (HEARTH_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
}

/**
 * hearth_preferences_window_get_general_settings:
 *
 * Returns: (transfer none): Settings → General
 */
HearthGeneralSettings *
hearth_preferences_window_get_general_settings (HearthPreferencesWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_PREFERENCES_WINDOW (self), NULL);

  return self->general_settings;
}

/**
 * hearth_preferences_window_get_trust_page:
 *
 * Returns: (transfer none): Settings → Trust
 */
HearthTrustPage *
hearth_preferences_window_get_trust_page (HearthPreferencesWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_PREFERENCES_WINDOW (self), NULL);

  return self->trust_page;
}

gboolean
hearth_preferences_window_get_kiosk (HearthPreferencesWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_PREFERENCES_WINDOW (self), FALSE);

  return self->kiosk;
}

void
hearth_preferences_window_set_kiosk (HearthPreferencesWindow *self, gboolean kiosk)
{
  g_return_if_fail (HEARTH_IS_PREFERENCES_WINDOW (self));

  kiosk = !!kiosk;
  if (self->kiosk == kiosk)
    return;

  self->kiosk = kiosk;
  if (kiosk)
    gtk_widget_add_css_class (GTK_WIDGET (self), "kiosk");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "kiosk");
  hearth_preferences_window_size_for_kiosk (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIOSK]);
}

/**
 * hearth_preferences_window_show_page:
 * @page_name: (nullable): "general" or "trust"; %NULL keeps the page last shown
 *
 * Shows Settings, on @page_name.
 */
void
hearth_preferences_window_show_page (HearthPreferencesWindow *self, const char *page_name)
{
  g_return_if_fail (HEARTH_IS_PREFERENCES_WINDOW (self));

  if (page_name != NULL)
    adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (self), page_name);
  /* The panel's size may have changed since kiosk mode began (a rotated panel). */
  if (self->kiosk)
    hearth_preferences_window_size_for_kiosk (self);
  gtk_window_present (GTK_WINDOW (self));
}
