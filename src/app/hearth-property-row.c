/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-property-row"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "hearth-property-row.h"

/*
 * HearthPropertyRow is one property of a device's control page: a switch, a slider with its
 * value and unit, a drop-down, an entry, a read-out, or an "unsupported" note. Which one is
 * decided from the property's schema alone (hearth_property_kind_for_schema()), so no device
 * type needs code here.
 *
 * Writes go through the device proxy, never to a socket. The row shows the proxy's cached value,
 * which is the device's word: after a write the value the device reports comes back through
 * hearth_property_row_update(), and a refused write puts the control back to the cached value
 * and emits HearthPropertyRow::write-failed with the device's reason.
 *
 * One write is in flight at a time; a newer value waits and replaces any older waiting value.
 * While a slider is dragged the row sends at most one value per
 * HEARTH_PROPERTY_ROW_WRITE_INTERVAL_MS, and the last position always goes out, so a drag costs
 * the device a handful of requests instead of one per pixel.
 */

enum
{
  PROP_0,
  PROP_PROXY,
  PROP_DESCRIPTION,
  PROP_PROPERTY_NAME,
  PROP_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  WRITE_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _HearthPropertyRow
{
  AdwActionRow parent_instance;

  /* Template widgets */
  GtkBox *control_box;
  GtkLabel *value_label;

  /* Owned */
  HearthDeviceProxy *proxy;
  HearthDescription *description;
  char *property_name;
  GtkWidget *control;
  GtkStringList *enum_labels;
  GCancellable *cancellable;
  JsonNode *waiting_value; /* the next value to write once the one in flight is answered */
  JsonNode *slider_value;  /* the slider's latest position, not sent yet */
  guint slider_timeout_id;
  guint waiting_idle_id;
  gint64 last_slider_write_us;
  guint n_writes;
  gboolean write_in_flight;
  gboolean updating;

  /* Borrowed from description */
  const HearthSchema *schema;
  HearthPropertyKind kind;
};

G_DEFINE_FINAL_TYPE (HearthPropertyRow, hearth_property_row, ADW_TYPE_ACTION_ROW)

static guint
schema_decimals (const HearthSchema *schema)
{
  if (schema->type == HEARTH_VALUE_TYPE_INTEGER)
    return 0;
  if (schema->has_step && schema->step > 0 && schema->step < 1)
    return (guint)MIN (6, ceil (-log10 (schema->step) - 1e-9));
  return schema->has_step ? 0 : 2;
}

static JsonNode *
number_node (const HearthSchema *schema, double number)
{
  JsonNode *node = json_node_alloc ();

  if (schema->type == HEARTH_VALUE_TYPE_INTEGER)
    json_node_init_int (node, (gint64)llround (number));
  else
    json_node_init_double (node, number);
  return node;
}

static gboolean
node_get_number (JsonNode *node, double *number)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return FALSE;
  *number = json_node_get_double (node);
  return TRUE;
}

/* The text of an enum value for the drop-down: strings as they are, anything else as JSON. */
static char *
enum_value_label (JsonNode *value)
{
  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (value));
  return json_to_string (value, FALSE);
}

static void hearth_property_row_write (HearthPropertyRow *self, JsonNode *value);

static gboolean
hearth_property_row_send_waiting (gpointer user_data)
{
  HearthPropertyRow *self = user_data;

  self->waiting_idle_id = 0;
  if (self->waiting_value != NULL)
    hearth_property_row_write (self, g_steal_pointer (&self->waiting_value));
  return G_SOURCE_REMOVE;
}

static void
hearth_property_row_finish_write (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HearthPropertyRow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;

  answer = hearth_device_proxy_write_property_finish (HEARTH_DEVICE_PROXY (source), result, &error);
  self->write_in_flight = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (self->waiting_value != NULL)
    {
      /* A newer value is waiting; the failure of an older one no longer matters to the user
       * unless the device also refuses the newer one. It goes out from an idle callback, not
       * from inside the proxy's completion of the last request. */
      if (self->waiting_idle_id == 0)
        self->waiting_idle_id = g_idle_add (hearth_property_row_send_waiting, self);
      return;
    }

  if (error != NULL)
    g_signal_emit (self, signals[WRITE_FAILED], 0, error);
  hearth_property_row_update (self);
}

/* Takes @value. */
static void
hearth_property_row_write (HearthPropertyRow *self, JsonNode *value)
{
  if (self->proxy == NULL)
    {
      json_node_unref (value);
      return;
    }
  if (self->write_in_flight || self->waiting_idle_id != 0)
    {
      g_clear_pointer (&self->waiting_value, json_node_unref);
      self->waiting_value = value;
      return;
    }
  self->write_in_flight = TRUE;
  self->n_writes++;
  hearth_device_proxy_write_property_async (self->proxy, self->property_name, value,
                                            self->cancellable, hearth_property_row_finish_write,
                                            g_object_ref (self));
  json_node_unref (value);
}

static void
hearth_property_row_flush_slider (HearthPropertyRow *self)
{
  g_clear_handle_id (&self->slider_timeout_id, g_source_remove);
  if (self->slider_value == NULL)
    return;
  self->last_slider_write_us = g_get_monotonic_time ();
  hearth_property_row_write (self, g_steal_pointer (&self->slider_value));
}

static gboolean
hearth_property_row_on_slider_timeout (gpointer user_data)
{
  HearthPropertyRow *self = user_data;

  self->slider_timeout_id = 0;
  hearth_property_row_flush_slider (self);
  return G_SOURCE_REMOVE;
}

static void
hearth_property_row_show_slider_value (HearthPropertyRow *self, double number)
{
  g_autoptr (JsonNode) node = number_node (self->schema, number);
  g_autofree char *text = hearth_schema_format_value (self->schema, node);

  gtk_label_set_text (self->value_label, text);
}

static void
hearth_property_row_on_slider_changed (GtkRange *range, HearthPropertyRow *self)
{
  double number = gtk_range_get_value (range);
  gint64 now = g_get_monotonic_time ();
  gint64 wait_us;

  hearth_property_row_show_slider_value (self, number);
  if (self->updating)
    return;

  g_clear_pointer (&self->slider_value, json_node_unref);
  self->slider_value = number_node (self->schema, number);
  if (self->slider_timeout_id != 0)
    return;

  wait_us = self->last_slider_write_us + HEARTH_PROPERTY_ROW_WRITE_INTERVAL_MS * 1000 - now;
  if (wait_us <= 0)
    hearth_property_row_flush_slider (self);
  else
    self->slider_timeout_id
        = g_timeout_add ((guint)(wait_us / 1000) + 1, hearth_property_row_on_slider_timeout, self);
}

/* A finger or the mouse let go of the slider: the final position goes out now, without
 * waiting for the rest of the interval. */
static void
hearth_property_row_on_slider_released (GtkGestureClick *gesture, int n_press, double x, double y,
                                        HearthPropertyRow *self)
{
  hearth_property_row_flush_slider (self);
}

static void
hearth_property_row_on_switch_active (GtkSwitch *control, GParamSpec *pspec,
                                      HearthPropertyRow *self)
{
  JsonNode *node;

  if (self->updating)
    return;
  node = json_node_alloc ();
  json_node_init_boolean (node, gtk_switch_get_active (control));
  hearth_property_row_write (self, node);
}

static void
hearth_property_row_on_dropdown_selected (GtkDropDown *control, GParamSpec *pspec,
                                          HearthPropertyRow *self)
{
  guint selected = gtk_drop_down_get_selected (control);

  if (self->updating || selected == GTK_INVALID_LIST_POSITION
      || selected >= json_array_get_length (self->schema->enum_values))
    return;
  hearth_property_row_write (
      self, json_node_copy (json_array_get_element (self->schema->enum_values, selected)));
}

/* Reads the entry's text as a value of the property's type; NULL, with the entry marked, when
 * it is not one. Nothing invalid is sent: the device would refuse it anyway, and the user
 * should learn why here. */
static JsonNode *
hearth_property_row_parse_entry (HearthPropertyRow *self, const char *text, GError **error)
{
  g_autoptr (JsonNode) node = json_node_alloc ();
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (self->schema->type == HEARTH_VALUE_TYPE_STRING)
    json_node_init_string (node, text);
  else if (self->schema->type == HEARTH_VALUE_TYPE_INTEGER)
    {
      gint64 number;

      if (!g_ascii_string_to_signed (stripped, 10, G_MININT64, G_MAXINT64, &number, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("“%s” is not a whole number"),
                       text);
          return NULL;
        }
      json_node_init_int (node, number);
    }
  else
    {
      char *end = NULL;
      double number = g_ascii_strtod (stripped, &end);

      if (stripped[0] == '\0' || end == NULL || *end != '\0' || !isfinite (number))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("“%s” is not a number"),
                       text);
          return NULL;
        }
      json_node_init_double (node, number);
    }

  if (!hearth_schema_check_value (self->schema, node, error))
    return NULL;
  return g_steal_pointer (&node);
}

static void
hearth_property_row_on_entry_activate (GtkEntry *entry, HearthPropertyRow *self)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = hearth_property_row_parse_entry (
      self, gtk_editable_get_text (GTK_EDITABLE (entry)), &error);

  if (node == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (entry), error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (entry), NULL);
  hearth_property_row_write (self, node);
}

static void
hearth_property_row_build_control (HearthPropertyRow *self)
{
  const HearthSchema *schema = self->schema;
  const char *subtitle = schema->description;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self),
                                 schema->title != NULL ? schema->title : schema->name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);

  switch (self->kind)
    {
      case HEARTH_PROPERTY_KIND_SWITCH:
        self->control = gtk_switch_new ();
        gtk_widget_set_valign (self->control, GTK_ALIGN_CENTER);
        g_signal_connect (self->control, "notify::active",
                          G_CALLBACK (hearth_property_row_on_switch_active), self);
        adw_action_row_set_activatable_widget (ADW_ACTION_ROW (self), self->control);
        break;

      case HEARTH_PROPERTY_KIND_SLIDER:
        {
          double step = schema->has_step && schema->step > 0 ? schema->step : 1;
          GtkGesture *release = gtk_gesture_click_new ();

          self->control = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, schema->minimum,
                                                    schema->maximum, step);
          gtk_scale_set_digits (GTK_SCALE (self->control), (int)schema_decimals (schema));
          gtk_widget_set_size_request (self->control, 200, -1);
          gtk_widget_set_hexpand (self->control, TRUE);
          gtk_widget_set_valign (self->control, GTK_ALIGN_CENTER);
          g_signal_connect (self->control, "value-changed",
                            G_CALLBACK (hearth_property_row_on_slider_changed), self);
          /* The scale's own drag gesture claims the pointer; this one only watches, in the
           * capture phase, for the button or finger going up. */
          gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (release),
                                                      GTK_PHASE_CAPTURE);
          g_signal_connect (release, "released",
                            G_CALLBACK (hearth_property_row_on_slider_released), self);
          g_signal_connect_swapped (release, "stopped",
                                    G_CALLBACK (hearth_property_row_flush_slider), self);
          gtk_widget_add_controller (self->control, GTK_EVENT_CONTROLLER (release));
          gtk_widget_set_visible (GTK_WIDGET (self->value_label), TRUE);
          gtk_label_set_width_chars (self->value_label, 7);
          gtk_widget_add_css_class (GTK_WIDGET (self), "slider-row");
          break;
        }

      case HEARTH_PROPERTY_KIND_DROPDOWN:
        self->enum_labels = gtk_string_list_new (NULL);
        for (guint i = 0; i < json_array_get_length (schema->enum_values); i++)
          {
            g_autofree char *label
                = enum_value_label (json_array_get_element (schema->enum_values, i));

            gtk_string_list_append (self->enum_labels, label);
          }
        self->control = gtk_drop_down_new (g_object_ref (G_LIST_MODEL (self->enum_labels)), NULL);
        gtk_drop_down_set_selected (GTK_DROP_DOWN (self->control), GTK_INVALID_LIST_POSITION);
        gtk_widget_set_valign (self->control, GTK_ALIGN_CENTER);
        g_signal_connect (self->control, "notify::selected",
                          G_CALLBACK (hearth_property_row_on_dropdown_selected), self);
        break;

      case HEARTH_PROPERTY_KIND_ENTRY:
        self->control = gtk_entry_new ();
        gtk_widget_set_valign (self->control, GTK_ALIGN_CENTER);
        gtk_entry_set_max_length (GTK_ENTRY (self->control),
                                  schema->type == HEARTH_VALUE_TYPE_STRING ? (int)schema->max_length
                                                                           : 32);
        if (schema->unit != NULL)
          {
            gtk_widget_set_visible (GTK_WIDGET (self->value_label), TRUE);
            gtk_label_set_text (self->value_label, schema->unit);
          }
        if (schema->type != HEARTH_VALUE_TYPE_STRING)
          gtk_entry_set_input_purpose (GTK_ENTRY (self->control), GTK_INPUT_PURPOSE_NUMBER);
        g_signal_connect (self->control, "activate",
                          G_CALLBACK (hearth_property_row_on_entry_activate), self);
        break;

      case HEARTH_PROPERTY_KIND_READOUT:
        gtk_widget_set_visible (GTK_WIDGET (self->value_label), TRUE);
        gtk_widget_add_css_class (GTK_WIDGET (self), "readout-row");
        break;

      case HEARTH_PROPERTY_KIND_UNSUPPORTED:
        {
          g_autofree char *text
              = g_strdup_printf (_ ("Unsupported: Hearth does not know the type “%s”"),
                                 schema->type_name != NULL ? schema->type_name : "?");

          gtk_widget_set_visible (GTK_WIDGET (self->value_label), TRUE);
          gtk_label_set_text (self->value_label, _ ("Unsupported"));
          gtk_widget_add_css_class (GTK_WIDGET (self->value_label), "dim-label");
          gtk_widget_add_css_class (GTK_WIDGET (self), "unsupported-row");
          subtitle = text;
          adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
          return;
        }

      default:
        g_assert_not_reached ();
    }

  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  if (self->control != NULL)
    {
      gtk_box_append (self->control_box, self->control);
      gtk_widget_set_sensitive (self->control, self->proxy != NULL);
    }
}

static void
hearth_property_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthPropertyRow *self = HEARTH_PROPERTY_ROW (object);

  switch (prop_id)
    {
      case PROP_PROXY:
        g_value_set_object (value, self->proxy);
        break;

      case PROP_DESCRIPTION:
        g_value_set_boxed (value, self->description);
        break;

      case PROP_PROPERTY_NAME:
        g_value_set_string (value, self->property_name);
        break;

      case PROP_KIND:
        g_value_set_int (value, self->kind);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_property_row_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  HearthPropertyRow *self = HEARTH_PROPERTY_ROW (object);

  switch (prop_id)
    {
      case PROP_PROXY:
        self->proxy = g_value_dup_object (value);
        break;

      case PROP_DESCRIPTION:
        self->description = g_value_dup_boxed (value);
        break;

      case PROP_PROPERTY_NAME:
        self->property_name = g_value_dup_string (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_property_row_constructed (GObject *object)
{
  HearthPropertyRow *self = HEARTH_PROPERTY_ROW (object);

  G_OBJECT_CLASS (hearth_property_row_parent_class)->constructed (object);

  g_return_if_fail (self->description != NULL && self->property_name != NULL);
  self->schema = hearth_description_lookup_property (self->description, self->property_name);
  g_return_if_fail (self->schema != NULL);
  self->kind = hearth_property_kind_for_schema (self->schema);
  hearth_property_row_build_control (self);
  hearth_property_row_update (self);
}

static void
hearth_property_row_dispose (GObject *object)
{
  HearthPropertyRow *self = HEARTH_PROPERTY_ROW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->slider_timeout_id, g_source_remove);
  g_clear_handle_id (&self->waiting_idle_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_PROPERTY_ROW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->proxy);
  g_clear_object (&self->enum_labels);
  g_clear_pointer (&self->description, hearth_description_unref);
  g_clear_pointer (&self->waiting_value, json_node_unref);
  g_clear_pointer (&self->slider_value, json_node_unref);

  G_OBJECT_CLASS (hearth_property_row_parent_class)->dispose (object);
}

static void
hearth_property_row_finalize (GObject *object)
{
  HearthPropertyRow *self = HEARTH_PROPERTY_ROW (object);

  g_free (self->property_name);

  G_OBJECT_CLASS (hearth_property_row_parent_class)->finalize (object);
}

static void
hearth_property_row_class_init (HearthPropertyRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_property_row_get_property;
  object_class->set_property = hearth_property_row_set_property;
  object_class->constructed = hearth_property_row_constructed;
  object_class->dispose = hearth_property_row_dispose;
  object_class->finalize = hearth_property_row_finalize;

  /* The proxy the row reads its value from and writes through; NULL shows the property
   * without letting anyone change it (a device that is not paired). */
  properties[PROP_PROXY]
      = g_param_spec_object ("proxy", NULL, NULL, HEARTH_TYPE_DEVICE_PROXY, construct_only);
  properties[PROP_DESCRIPTION]
      = g_param_spec_boxed ("description", NULL, NULL, HEARTH_TYPE_DESCRIPTION, construct_only);
  properties[PROP_PROPERTY_NAME]
      = g_param_spec_string ("property-name", NULL, NULL, NULL, construct_only);
  properties[PROP_KIND] = g_param_spec_int (
      "kind", NULL, NULL, HEARTH_PROPERTY_KIND_SWITCH, HEARTH_PROPERTY_KIND_UNSUPPORTED,
      HEARTH_PROPERTY_KIND_UNSUPPORTED, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthPropertyRow::write-failed:
   * @error: why; for %HEARTH_DEVICE_ERROR_REFUSED the message is the device's own reason
   *
   * A write did not go through. The control already shows the device's value again.
   */
  signals[WRITE_FAILED]
      = g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-property-row.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthPropertyRow, control_box);
  gtk_widget_class_bind_template_child (widget_class, HearthPropertyRow, value_label);
}

static void
hearth_property_row_init (HearthPropertyRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->kind = HEARTH_PROPERTY_KIND_UNSUPPORTED;
}

/**
 * hearth_property_kind_for_schema:
 *
 * Picks the control for a property. The device's `ui.widget` hint is followed where it fits
 * the type (a number the device wants typed rather than dragged gets an entry); a read-only
 * property is always a read-out, whatever the hint says.
 */
HearthPropertyKind
hearth_property_kind_for_schema (const HearthSchema *schema)
{
  g_return_val_if_fail (schema != NULL, HEARTH_PROPERTY_KIND_UNSUPPORTED);

  if (schema->type == HEARTH_VALUE_TYPE_UNSUPPORTED || schema->type == HEARTH_VALUE_TYPE_OBJECT)
    return HEARTH_PROPERTY_KIND_UNSUPPORTED;
  if (schema->read_only)
    return HEARTH_PROPERTY_KIND_READOUT;
  if (schema->enum_values != NULL && json_array_get_length (schema->enum_values) > 0)
    return HEARTH_PROPERTY_KIND_DROPDOWN;
  if (schema->type == HEARTH_VALUE_TYPE_BOOLEAN)
    return HEARTH_PROPERTY_KIND_SWITCH;
  if (hearth_schema_is_numeric (schema) && schema->has_minimum && schema->has_maximum
      && schema->maximum > schema->minimum && schema->widget != HEARTH_WIDGET_HINT_ENTRY)
    return HEARTH_PROPERTY_KIND_SLIDER;
  return HEARTH_PROPERTY_KIND_ENTRY;
}

gboolean
hearth_schema_is_numeric (const HearthSchema *schema)
{
  return schema->type == HEARTH_VALUE_TYPE_INTEGER || schema->type == HEARTH_VALUE_TYPE_NUMBER;
}

/**
 * hearth_schema_format_value:
 * @value: (nullable): the value, or %NULL when it is not known yet
 *
 * Returns: (transfer full): the value for people, with the unit, and as many decimals as the
 *   property's step has
 */
char *
hearth_schema_format_value (const HearthSchema *schema, JsonNode *value)
{
  double number;

  g_return_val_if_fail (schema != NULL, NULL);

  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    /* TRANSLATORS: shown where a value is not known yet */
    return g_strdup (_ ("—"));
  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (value) ? _ ("Yes") : _ ("No"));
  if (node_get_number (value, &number))
    {
      g_autofree char *text = g_strdup_printf ("%.*f", (int)schema_decimals (schema), number);

      if (schema->unit != NULL && schema->unit[0] != '\0')
        return g_strdup_printf ("%s %s", text, schema->unit);
      return g_steal_pointer (&text);
    }
  return enum_value_label (value);
}

/**
 * hearth_property_row_new:
 * @proxy: (nullable): the device's proxy
 * @description: the device's description
 * @property_name: a property the description has
 */
GtkWidget *
hearth_property_row_new (HearthDeviceProxy *proxy, HearthDescription *description,
                         const char *property_name)
{
  g_return_val_if_fail (proxy == NULL || HEARTH_IS_DEVICE_PROXY (proxy), NULL);
  g_return_val_if_fail (description != NULL, NULL);
  g_return_val_if_fail (property_name != NULL, NULL);

  return g_object_new (HEARTH_TYPE_PROPERTY_ROW, "proxy", proxy, "description", description,
                       "property-name", property_name, NULL);
}

HearthDeviceProxy *
hearth_property_row_get_proxy (HearthPropertyRow *self)
{
  g_return_val_if_fail (HEARTH_IS_PROPERTY_ROW (self), NULL);

  return self->proxy;
}

const char *
hearth_property_row_get_property_name (HearthPropertyRow *self)
{
  g_return_val_if_fail (HEARTH_IS_PROPERTY_ROW (self), NULL);

  return self->property_name;
}

HearthPropertyKind
hearth_property_row_get_kind (HearthPropertyRow *self)
{
  g_return_val_if_fail (HEARTH_IS_PROPERTY_ROW (self), HEARTH_PROPERTY_KIND_UNSUPPORTED);

  return self->kind;
}

/**
 * hearth_property_row_get_control:
 *
 * Returns: (transfer none) (nullable): the switch, scale, drop-down or entry; %NULL for
 *   read-outs and unsupported properties
 */
GtkWidget *
hearth_property_row_get_control (HearthPropertyRow *self)
{
  g_return_val_if_fail (HEARTH_IS_PROPERTY_ROW (self), NULL);

  return self->control;
}

/**
 * hearth_property_row_update:
 *
 * Shows the proxy's cached value. The device page calls it whenever the core publishes a change
 * of this property. A slider the user is still moving is left alone, so that it does not jump
 * back under the finger; it is brought in line when its last write is answered.
 */
void
hearth_property_row_update (HearthPropertyRow *self)
{
  JsonNode *value;
  double number;

  g_return_if_fail (HEARTH_IS_PROPERTY_ROW (self));

  if (self->schema == NULL || self->kind == HEARTH_PROPERTY_KIND_UNSUPPORTED)
    return;
  value = self->proxy != NULL ? hearth_device_proxy_get_value (self->proxy, self->property_name)
                              : NULL;

  self->updating = TRUE;
  switch (self->kind)
    {
      case HEARTH_PROPERTY_KIND_SWITCH:
        if (value != NULL && JSON_NODE_HOLDS_VALUE (value)
            && json_node_get_value_type (value) == G_TYPE_BOOLEAN)
          gtk_switch_set_active (GTK_SWITCH (self->control), json_node_get_boolean (value));
        break;

      case HEARTH_PROPERTY_KIND_SLIDER:
        if (self->slider_timeout_id != 0 || self->slider_value != NULL || self->write_in_flight)
          break;
        if (node_get_number (value, &number))
          gtk_range_set_value (GTK_RANGE (self->control), number);
        else
          gtk_label_set_text (self->value_label, _ ("—"));
        break;

      case HEARTH_PROPERTY_KIND_DROPDOWN:
        {
          guint selected = GTK_INVALID_LIST_POSITION;

          for (guint i = 0; value != NULL && i < json_array_get_length (self->schema->enum_values);
               i++)
            if (json_node_equal (value, json_array_get_element (self->schema->enum_values, i)))
              selected = i;
          gtk_drop_down_set_selected (GTK_DROP_DOWN (self->control), selected);
          break;
        }

      case HEARTH_PROPERTY_KIND_ENTRY:
        /* Text being typed is not overwritten by a change from the device. */
        if (value != NULL && gtk_widget_get_focus_child (self->control) == NULL)
          {
            g_autofree char *text = NULL;

            if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
              text = g_strdup (json_node_get_string (value));
            else if (node_get_number (value, &number))
              text = g_strdup_printf ("%.*f", (int)schema_decimals (self->schema), number);
            if (text != NULL)
              gtk_editable_set_text (GTK_EDITABLE (self->control), text);
          }
        break;

      case HEARTH_PROPERTY_KIND_READOUT:
        {
          g_autofree char *text = hearth_schema_format_value (self->schema, value);

          gtk_label_set_text (self->value_label, text);
          break;
        }

      case HEARTH_PROPERTY_KIND_UNSUPPORTED:
      default:
        break;
    }
  self->updating = FALSE;
}

/**
 * hearth_property_row_get_n_writes:
 *
 * Returns: how many writes the row has sent to the proxy
 */
guint
hearth_property_row_get_n_writes (HearthPropertyRow *self)
{
  g_return_val_if_fail (HEARTH_IS_PROPERTY_ROW (self), 0);

  return self->n_writes;
}
