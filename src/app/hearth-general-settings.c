/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-general-settings"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-general-settings.h"

/*
 * HearthGeneralSettings is Settings → General: kiosk mode and screen dimming for a wall panel,
 * how long history is kept, and where the hub listens and keeps its files. Every control is
 * bound to a key of the org.hearth.Hearth schema, so the page shows what `gsettings` shows and
 * a change made there appears here at once. The page never applies a setting itself: the
 * application binds the same keys to the hub and the window, so they take effect whether or not
 * this page was ever opened.
 */

enum
{
  PROP_0,
  PROP_SETTINGS,
  PROP_HUB,
  PROP_KIOSK_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthGeneralSettings
{
  AdwPreferencesPage parent_instance;

  /* Template widgets */
  AdwActionRow *kiosk_row;
  GtkSwitch *kiosk_switch;
  GtkSpinButton *dim_spin;
  GtkSpinButton *retention_spin;
  GtkSpinButton *raw_spin;
  AdwActionRow *port_row;
  GtkSpinButton *port_spin;
  AdwActionRow *data_dir_row;

  /* Owned */
  GSettings *settings;
  HearthHub *hub;
  gboolean kiosk_active;
};

G_DEFINE_FINAL_TYPE (HearthGeneralSettings, hearth_general_settings, ADW_TYPE_PREFERENCES_PAGE)

/* The port row says both what is stored and what is in use: they differ after a change until
 * the next start, and with 0 (a free port chosen at each start) the number in use is the one a
 * firewall rule needs. */
static void
hearth_general_settings_update_hub_rows (HearthGeneralSettings *self)
{
  g_autofree char *port_text = NULL;

  if (self->hub != NULL)
    port_text = g_strdup_printf (
        _ ("Devices deliver their events here; 0 picks a free port at each start. A change takes "
           "effect at the next start. In use now: %u"),
        (guint)hearth_hub_get_port (self->hub));
  else
    port_text = g_strdup (_ ("Devices deliver their events here; 0 picks a free port at each "
                             "start. A change takes effect at the next start."));
  adw_action_row_set_subtitle (self->port_row, port_text);

  adw_action_row_set_subtitle (self->data_dir_row, self->hub != NULL
                                                       ? hearth_hub_get_data_dir (self->hub)
                                                       : _ ("The hub is not running"));
}

/* In kiosk mode the switch is out of reach: anyone at the panel can open Settings, and the
 * issue's rule is that only the administrator's long press leaves kiosk mode, also for the next
 * start. */
static void
hearth_general_settings_update_kiosk_row (HearthGeneralSettings *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->kiosk_switch),
                            self->settings != NULL && !self->kiosk_active);
  adw_action_row_set_subtitle (
      self->kiosk_row,
      self->kiosk_active
          ? _ ("Hearth is in kiosk mode now. To change this, first leave it: hold the view "
               "switcher at the top for 3 seconds.")
          : _ ("Full screen without window controls, for a touch panel on the wall. To leave it, "
               "hold the view switcher at the top for 3 seconds."));
}

static void
hearth_general_settings_bind (HearthGeneralSettings *self)
{
  GtkWidget *controls[] = { GTK_WIDGET (self->kiosk_switch), GTK_WIDGET (self->dim_spin),
                            GTK_WIDGET (self->retention_spin), GTK_WIDGET (self->raw_spin),
                            GTK_WIDGET (self->port_spin) };

  /* Without the schema (a build tree run without GSETTINGS_SCHEMA_DIR) there is nothing to
   * edit; greyed-out controls say so better than controls that forget their values. */
  for (gsize i = 0; i < G_N_ELEMENTS (controls); i++)
    gtk_widget_set_sensitive (controls[i], self->settings != NULL);
  hearth_general_settings_update_kiosk_row (self);
  if (self->settings == NULL)
    return;

  g_settings_bind (self->settings, "kiosk", self->kiosk_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "idle-dim-seconds",
                   gtk_spin_button_get_adjustment (self->dim_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "history-retention-days",
                   gtk_spin_button_get_adjustment (self->retention_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "history-raw-hours",
                   gtk_spin_button_get_adjustment (self->raw_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "event-port", gtk_spin_button_get_adjustment (self->port_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
}

static void
hearth_general_settings_unbind (HearthGeneralSettings *self)
{
  g_settings_unbind (self->kiosk_switch, "active");
  g_settings_unbind (gtk_spin_button_get_adjustment (self->dim_spin), "value");
  g_settings_unbind (gtk_spin_button_get_adjustment (self->retention_spin), "value");
  g_settings_unbind (gtk_spin_button_get_adjustment (self->raw_spin), "value");
  g_settings_unbind (gtk_spin_button_get_adjustment (self->port_spin), "value");
}

static void
hearth_general_settings_get_property (GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec)
{
  HearthGeneralSettings *self = HEARTH_GENERAL_SETTINGS (object);

  switch (prop_id)
    {
      case PROP_SETTINGS:
        g_value_set_object (value, self->settings);
        break;
      case PROP_HUB:
        g_value_set_object (value, self->hub);
        break;
      case PROP_KIOSK_ACTIVE:
        g_value_set_boolean (value, self->kiosk_active);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_general_settings_set_property (GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  HearthGeneralSettings *self = HEARTH_GENERAL_SETTINGS (object);

  switch (prop_id)
    {
      case PROP_SETTINGS:
        hearth_general_settings_set_settings (self, g_value_get_object (value));
        break;
      case PROP_HUB:
        hearth_general_settings_set_hub (self, g_value_get_object (value));
        break;
      case PROP_KIOSK_ACTIVE:
        hearth_general_settings_set_kiosk_active (self, g_value_get_boolean (value));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_general_settings_dispose (GObject *object)
{
  HearthGeneralSettings *self = HEARTH_GENERAL_SETTINGS (object);

  if (self->settings != NULL)
    hearth_general_settings_unbind (self);
  g_clear_object (&self->settings);
  g_clear_object (&self->hub);

  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_GENERAL_SETTINGS);

  G_OBJECT_CLASS (hearth_general_settings_parent_class)->dispose (object);
}

static void
hearth_general_settings_class_init (HearthGeneralSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_general_settings_get_property;
  object_class->set_property = hearth_general_settings_set_property;
  object_class->dispose = hearth_general_settings_dispose;

  /**
   * HearthGeneralSettings:settings:
   *
   * The org.hearth.Hearth settings the controls edit; %NULL greys them out.
   */
  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * HearthGeneralSettings:hub:
   *
   * The running hub, for the port it listens on and its data folder.
   */
  properties[PROP_HUB] = g_param_spec_object ("hub", NULL, NULL, HEARTH_TYPE_HUB,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * HearthGeneralSettings:kiosk-active:
   *
   * Whether the window shows Hearth in kiosk mode now; the kiosk switch is then insensitive.
   */
  properties[PROP_KIOSK_ACTIVE]
      = g_param_spec_boolean ("kiosk-active", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-general-settings.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, kiosk_row);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, kiosk_switch);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, dim_spin);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, retention_spin);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, raw_spin);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, port_row);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, port_spin);
  gtk_widget_class_bind_template_child (widget_class, HearthGeneralSettings, data_dir_row);
}

static void
hearth_general_settings_init (HearthGeneralSettings *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  hearth_general_settings_bind (self);
  hearth_general_settings_update_hub_rows (self);
}

GtkWidget *
hearth_general_settings_new (void)
{
  return g_object_new (HEARTH_TYPE_GENERAL_SETTINGS, NULL);
}

GSettings *
hearth_general_settings_get_settings (HearthGeneralSettings *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERAL_SETTINGS (self), NULL);

  return self->settings;
}

void
hearth_general_settings_set_settings (HearthGeneralSettings *self, GSettings *settings)
{
  g_return_if_fail (HEARTH_IS_GENERAL_SETTINGS (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings == settings)
    return;

  if (self->settings != NULL)
    hearth_general_settings_unbind (self);
  g_set_object (&self->settings, settings);
  hearth_general_settings_bind (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

HearthHub *
hearth_general_settings_get_hub (HearthGeneralSettings *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERAL_SETTINGS (self), NULL);

  return self->hub;
}

void
hearth_general_settings_set_hub (HearthGeneralSettings *self, HearthHub *hub)
{
  g_return_if_fail (HEARTH_IS_GENERAL_SETTINGS (self));
  g_return_if_fail (hub == NULL || HEARTH_IS_HUB (hub));

  if (g_set_object (&self->hub, hub))
    {
      hearth_general_settings_update_hub_rows (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HUB]);
    }
}

gboolean
hearth_general_settings_get_kiosk_active (HearthGeneralSettings *self)
{
  g_return_val_if_fail (HEARTH_IS_GENERAL_SETTINGS (self), FALSE);

  return self->kiosk_active;
}

void
hearth_general_settings_set_kiosk_active (HearthGeneralSettings *self, gboolean kiosk_active)
{
  g_return_if_fail (HEARTH_IS_GENERAL_SETTINGS (self));

  kiosk_active = !!kiosk_active;
  if (self->kiosk_active == kiosk_active)
    return;
  self->kiosk_active = kiosk_active;
  hearth_general_settings_update_kiosk_row (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIOSK_ACTIVE]);
}
