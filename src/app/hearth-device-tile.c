/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-device-tile"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-device-tile.h"

#include "hearth-property-row.h"

/*
 * HearthDeviceTile is one device in the Devices grid: icon, name, a state badge, and the
 * device's primary property (`ui.primary`) — a switch when it is a writable boolean (a light's
 * power), a read-out otherwise. The grid recycles tiles, so everything is bound through
 * setters: the factory hands a tile another device, proxy and bus as the user scrolls.
 */

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_PROXY,
  PROP_BUS,
  PROP_REGISTRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthDeviceTile
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *tile_box;
  GtkImage *icon_image;
  GtkLabel *badge_label;
  GtkLabel *name_label;
  GtkLabel *value_label;
  GtkSwitch *primary_switch;

  /* Owned */
  HearthDevice *device;
  HearthDeviceProxy *proxy;
  HearthEventBus *bus;
  HearthDeviceRegistry *registry;
  GCancellable *cancellable;
  gulong device_notify_handler;
  gulong bus_event_handler;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE (HearthDeviceTile, hearth_device_tile, GTK_TYPE_WIDGET)

static const HearthSchema *
primary_schema (HearthDeviceTile *self)
{
  HearthDescription *description
      = self->device != NULL ? hearth_device_get_description (self->device) : NULL;

  if (description == NULL || hearth_description_get_primary (description) == NULL)
    return NULL;
  return hearth_description_lookup_property (description,
                                             hearth_description_get_primary (description));
}

static void
hearth_device_tile_update_value (HearthDeviceTile *self)
{
  const HearthSchema *schema = primary_schema (self);
  JsonNode *value = NULL;
  gboolean is_switch;

  if (schema != NULL && self->proxy != NULL)
    value = hearth_device_proxy_get_value (self->proxy, schema->name);
  is_switch
      = schema != NULL && hearth_property_kind_for_schema (schema) == HEARTH_PROPERTY_KIND_SWITCH;

  self->updating = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->primary_switch), is_switch);
  gtk_widget_set_sensitive (
      GTK_WIDGET (self->primary_switch),
      self->proxy != NULL && hearth_device_get_state (self->device) == HEARTH_DEVICE_STATE_ONLINE);
  if (is_switch)
    {
      gboolean active = value != NULL && JSON_NODE_HOLDS_VALUE (value)
                        && json_node_get_value_type (value) == G_TYPE_BOOLEAN
                        && json_node_get_boolean (value);

      gtk_switch_set_active (self->primary_switch, active);
      /* The switch shows on or off; the label says what it switches ("Power", "Locked"). */
      gtk_label_set_text (self->value_label, schema->title != NULL ? schema->title : schema->name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->primary_switch),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      schema->title != NULL ? schema->title : schema->name, -1);
    }
  else if (schema != NULL)
    {
      g_autofree char *text = hearth_schema_format_value (schema, value);

      gtk_label_set_text (self->value_label, text);
    }
  else if (self->device != NULL && hearth_device_get_description (self->device) != NULL)
    gtk_label_set_text (self->value_label, hearth_description_get_model (
                                               hearth_device_get_description (self->device)));
  else
    gtk_label_set_text (self->value_label,
                        self->device != NULL ? hearth_device_get_id (self->device) : "");
  self->updating = FALSE;
}

static void
hearth_device_tile_update (HearthDeviceTile *self)
{
  HearthDescription *description;
  const char *name;

  if (self->device == NULL)
    return;
  description = hearth_device_get_description (self->device);
  name = hearth_device_get_name (self->device);
  if (name == NULL && description != NULL)
    name = hearth_description_get_name (description);
  if (name == NULL)
    name = hearth_device_get_id (self->device);

  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), name);
  gtk_image_set_from_icon_name (self->icon_image, hearth_device_tile_icon_name (description));
  hearth_device_tile_style_state_badge (self->badge_label, hearth_device_get_state (self->device));
  hearth_device_tile_update_value (self);
}

static void
hearth_device_tile_on_device_notify (HearthDevice *device, GParamSpec *pspec,
                                     HearthDeviceTile *self)
{
  /* The registry lists a device as soon as it is pinned, and makes its proxy only once the
   * device's address is known: a tile bound in between picks the proxy up here. */
  if (self->proxy == NULL && self->registry != NULL)
    hearth_device_tile_set_proxy (
        self, hearth_device_registry_get_proxy (self->registry, hearth_device_get_id (device)));
  hearth_device_tile_update (self);
}

static void
hearth_device_tile_on_event (HearthEventBus *bus, HearthEvent *event, HearthDeviceTile *self)
{
  const HearthSchema *schema;

  if (self->device == NULL || hearth_event_get_kind (event) != HEARTH_EVENT_PROPERTY_CHANGED
      || g_strcmp0 (hearth_event_get_device_id (event), hearth_device_get_id (self->device)) != 0)
    return;
  schema = primary_schema (self);
  if (schema != NULL && g_strcmp0 (schema->name, hearth_event_get_name (event)) == 0)
    hearth_device_tile_update_value (self);
}

static void
hearth_device_tile_on_write_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HearthDeviceTile) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;

  answer = hearth_device_proxy_write_property_finish (HEARTH_DEVICE_PROXY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
      g_autofree char *title
          = g_strdup_printf (_ ("%s: %s"), gtk_label_get_text (self->name_label), error->message);

      if (overlay != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
    }
  /* The switch shows what the device has, not what was asked for. */
  hearth_device_tile_update_value (self);
}

static void
hearth_device_tile_on_switch_active (GtkSwitch *control, GParamSpec *pspec, HearthDeviceTile *self)
{
  const HearthSchema *schema = primary_schema (self);
  g_autoptr (JsonNode) node = NULL;

  if (self->updating || schema == NULL || self->proxy == NULL)
    return;
  node = json_node_init_boolean (json_node_alloc (), gtk_switch_get_active (control));
  hearth_device_proxy_write_property_async (self->proxy, schema->name, node, self->cancellable,
                                            hearth_device_tile_on_write_finished,
                                            g_object_ref (self));
}

static void
hearth_device_tile_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        g_value_set_object (value, self->device);
        break;

      case PROP_PROXY:
        g_value_set_object (value, self->proxy);
        break;

      case PROP_BUS:
        g_value_set_object (value, self->bus);
        break;

      case PROP_REGISTRY:
        g_value_set_object (value, self->registry);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_tile_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        hearth_device_tile_set_device (self, g_value_get_object (value));
        break;

      case PROP_PROXY:
        hearth_device_tile_set_proxy (self, g_value_get_object (value));
        break;

      case PROP_BUS:
        hearth_device_tile_set_bus (self, g_value_get_object (value));
        break;

      case PROP_REGISTRY:
        hearth_device_tile_set_registry (self, g_value_get_object (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_tile_dispose (GObject *object)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  g_cancellable_cancel (self->cancellable);
  hearth_device_tile_set_device (self, NULL);
  hearth_device_tile_set_bus (self, NULL);
  g_clear_object (&self->proxy);
  g_clear_object (&self->registry);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_DEVICE_TILE);

  G_OBJECT_CLASS (hearth_device_tile_parent_class)->dispose (object);
}

static void
hearth_device_tile_class_init (HearthDeviceTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_device_tile_get_property;
  object_class->set_property = hearth_device_tile_set_property;
  object_class->dispose = hearth_device_tile_dispose;

  properties[PROP_DEVICE] = g_param_spec_object ("device", NULL, NULL, HEARTH_TYPE_DEVICE, flags);
  properties[PROP_PROXY]
      = g_param_spec_object ("proxy", NULL, NULL, HEARTH_TYPE_DEVICE_PROXY, flags);
  properties[PROP_BUS] = g_param_spec_object ("bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS, flags);
  /* Where the tile finds its device's proxy when the device gets one after binding. */
  properties[PROP_REGISTRY]
      = g_param_spec_object ("registry", NULL, NULL, HEARTH_TYPE_DEVICE_REGISTRY, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-device-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, tile_box);
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, icon_image);
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, badge_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, name_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, value_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, primary_switch);
  gtk_widget_class_bind_template_callback (widget_class, hearth_device_tile_on_switch_active);
  gtk_widget_class_set_css_name (widget_class, "devicetile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
hearth_device_tile_init (HearthDeviceTile *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/**
 * hearth_device_tile_icon_name:
 * @description: (nullable): a device's description
 *
 * Returns: the symbolic icon for the description's `ui.icon` hint (docs/protocol.md §4.1);
 *   a generic one without a hint
 */
const char *
hearth_device_tile_icon_name (HearthDescription *description)
{
  static const struct
  {
    const char *hint;
    const char *icon_name;
  } icons[] = {
    { "light", "display-brightness-symbolic" }, { "switch", "system-shutdown-symbolic" },
    { "keypad", "input-keyboard-symbolic" },    { "thermometer", "weather-few-clouds-symbolic" },
    { "motion", "find-location-symbolic" },     { "lock", "system-lock-screen-symbolic" },
  };
  const char *hint = description != NULL ? hearth_description_get_icon (description) : NULL;

  for (guint i = 0; hint != NULL && i < G_N_ELEMENTS (icons); i++)
    if (g_str_equal (hint, icons[i].hint))
      return icons[i].icon_name;
  return "org.hearth.Hearth-symbolic";
}

/**
 * hearth_device_tile_state_label:
 *
 * Returns: the state in a word or two, for a badge
 */
const char *
hearth_device_tile_state_label (HearthDeviceState state)
{
  switch (state)
    {
      case HEARTH_DEVICE_STATE_NEW:
        return _ ("New");
      case HEARTH_DEVICE_STATE_PAIRING:
        return _ ("Pairing");
      case HEARTH_DEVICE_STATE_ONLINE:
        return _ ("Online");
      case HEARTH_DEVICE_STATE_OFFLINE:
        return _ ("Offline");
      case HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED:
        return _ ("Key changed");
      case HEARTH_DEVICE_STATE_BLOCKED:
        return _ ("Blocked");
      case HEARTH_DEVICE_STATE_UNUSABLE:
        return _ ("Problem");
      default:
        return _ ("Unknown");
    }
}

/**
 * hearth_device_tile_style_state_badge:
 *
 * Gives @badge the state's text and colour class (`state-online`, `state-offline`, …, see
 * style.css), so the tile and the device page show a state the same way.
 */
void
hearth_device_tile_style_state_badge (GtkLabel *badge, HearthDeviceState state)
{
  static const char *const classes[]
      = { "state-new",     "state-pairing", "state-online", "state-offline",
          "state-changed", "state-blocked", "state-problem" };

  g_return_if_fail (GTK_IS_LABEL (badge));

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (i != (guint)state)
      gtk_widget_remove_css_class (GTK_WIDGET (badge), classes[i]);
  if ((guint)state < G_N_ELEMENTS (classes))
    gtk_widget_add_css_class (GTK_WIDGET (badge), classes[state]);
  gtk_label_set_text (badge, hearth_device_tile_state_label (state));
}

GtkWidget *
hearth_device_tile_new (void)
{
  return g_object_new (HEARTH_TYPE_DEVICE_TILE, NULL);
}

HearthDevice *
hearth_device_tile_get_device (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->device;
}

void
hearth_device_tile_set_device (HearthDeviceTile *self, HearthDevice *device)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));
  g_return_if_fail (device == NULL || HEARTH_IS_DEVICE (device));

  if (self->device == device)
    return;
  if (self->device != NULL)
    g_clear_signal_handler (&self->device_notify_handler, self->device);
  g_set_object (&self->device, device);
  if (device != NULL)
    {
      self->device_notify_handler = g_signal_connect (
          device, "notify", G_CALLBACK (hearth_device_tile_on_device_notify), self);
      hearth_device_tile_update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE]);
}

HearthDeviceProxy *
hearth_device_tile_get_proxy (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->proxy;
}

/**
 * hearth_device_tile_set_proxy:
 * @proxy: (nullable): the proxy the primary control reads and writes through
 */
void
hearth_device_tile_set_proxy (HearthDeviceTile *self, HearthDeviceProxy *proxy)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));

  if (!g_set_object (&self->proxy, proxy))
    return;
  if (self->device != NULL)
    hearth_device_tile_update_value (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY]);
}

HearthEventBus *
hearth_device_tile_get_bus (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->bus;
}

void
hearth_device_tile_set_bus (HearthDeviceTile *self, HearthEventBus *bus)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));

  if (self->bus == bus)
    return;
  if (self->bus != NULL)
    g_clear_signal_handler (&self->bus_event_handler, self->bus);
  g_set_object (&self->bus, bus);
  if (bus != NULL)
    self->bus_event_handler
        = g_signal_connect (bus, "event", G_CALLBACK (hearth_device_tile_on_event), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUS]);
}

HearthDeviceRegistry *
hearth_device_tile_get_registry (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->registry;
}

void
hearth_device_tile_set_registry (HearthDeviceTile *self, HearthDeviceRegistry *registry)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));

  if (g_set_object (&self->registry, registry))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTRY]);
}

/**
 * hearth_device_tile_get_primary_switch:
 *
 * Returns: (transfer none): the switch; visible only when the primary property is a writable
 *   boolean
 */
GtkSwitch *
hearth_device_tile_get_primary_switch (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->primary_switch;
}

const char *
hearth_device_tile_get_badge_text (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return gtk_label_get_text (self->badge_label);
}

const char *
hearth_device_tile_get_value_text (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return gtk_label_get_text (self->value_label);
}
