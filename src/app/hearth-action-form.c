/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-action-form"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "hearth-action-form.h"

/*
 * HearthActionForm is one action of a device: a group titled with the action, a row per field
 * of its input schema (switch for booleans, drop-down for enums, entry for numbers and text),
 * and a Run button. The input is checked against the schema before anything is sent — a
 * missing required field, text where a number belongs, a value out of range — and the problem
 * is shown under the fields instead of becoming a request the device would refuse.
 */

enum
{
  PROP_0,
  PROP_PROXY,
  PROP_DESCRIPTION,
  PROP_ACTION_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One input field and its control. */
typedef struct
{
  const HearthSchema *schema; /* borrowed from the description */
  GtkWidget *control;         /* borrowed: the row owns it */
  gboolean is_required;
} ActionField;

struct _HearthActionForm
{
  AdwPreferencesGroup parent_instance;

  /* Template widgets */
  GtkButton *run_button;
  GtkLabel *problem_label;

  /* Owned */
  HearthDeviceProxy *proxy;
  HearthDescription *description;
  char *action_name;
  GArray *fields; /* ActionField */
  GCancellable *cancellable;
  char *problem;
  guint n_requests;

  /* Borrowed from description */
  const HearthActionInfo *action;
};

G_DEFINE_FINAL_TYPE (HearthActionForm, hearth_action_form, ADW_TYPE_PREFERENCES_GROUP)

static void
hearth_action_form_set_problem (HearthActionForm *self, const char *problem)
{
  g_free (self->problem);
  self->problem = g_strdup (problem);
  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->problem_label), problem != NULL);
}

static void
hearth_action_form_add_field (HearthActionForm *self, const HearthSchema *schema,
                              gboolean is_required)
{
  ActionField field = { schema, NULL, is_required };
  GtkWidget *row = adw_action_row_new ();
  const char *title = schema->title != NULL ? schema->title : schema->name;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 title != NULL ? title : self->action->title);
  if (schema->description != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), schema->description);

  if (schema->enum_values != NULL && json_array_get_length (schema->enum_values) > 0)
    {
      g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);

      for (guint i = 0; i < json_array_get_length (schema->enum_values); i++)
        {
          JsonNode *value = json_array_get_element (schema->enum_values, i);
          g_autofree char *label
              = JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING
                    ? g_strdup (json_node_get_string (value))
                    : json_to_string (value, FALSE);

          gtk_string_list_append (labels, label);
        }
      field.control = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&labels)), NULL);
    }
  else if (schema->type == HEARTH_VALUE_TYPE_BOOLEAN)
    {
      field.control = gtk_switch_new ();
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), field.control);
    }
  else
    {
      g_autofree char *hint = NULL;

      field.control = gtk_entry_new ();
      if (schema->type == HEARTH_VALUE_TYPE_INTEGER || schema->type == HEARTH_VALUE_TYPE_NUMBER)
        {
          gtk_entry_set_input_purpose (GTK_ENTRY (field.control), GTK_INPUT_PURPOSE_NUMBER);
          if (schema->has_minimum && schema->has_maximum)
            /* TRANSLATORS: the allowed range of a number typed into a form, e.g. "1 – 10" */
            hint = g_strdup_printf (_ ("%g – %g"), schema->minimum, schema->maximum);
        }
      if (hint != NULL)
        gtk_entry_set_placeholder_text (GTK_ENTRY (field.control), hint);
      if (!is_required)
        gtk_widget_set_tooltip_text (field.control, _ ("Optional"));
    }
  gtk_widget_set_valign (field.control, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), field.control);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
  g_array_append_val (self->fields, field);
}

/* Reads one field; returns NULL and sets no error when an optional field was left empty. */
static JsonNode *
action_field_read (ActionField *field, GError **error)
{
  const HearthSchema *schema = field->schema;
  const char *title = schema->title != NULL ? schema->title : schema->name;
  g_autoptr (JsonNode) node = json_node_alloc ();

  if (GTK_IS_SWITCH (field->control))
    {
      json_node_init_boolean (node, gtk_switch_get_active (GTK_SWITCH (field->control)));
      return g_steal_pointer (&node);
    }
  if (GTK_IS_DROP_DOWN (field->control))
    {
      guint selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (field->control));

      g_clear_pointer (&node, json_node_unref);
      if (selected == GTK_INVALID_LIST_POSITION
          || selected >= json_array_get_length (schema->enum_values))
        return NULL;
      return json_node_copy (json_array_get_element (schema->enum_values, selected));
    }

  {
    g_autofree char *text
        = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (field->control))));

    if (text[0] == '\0' && schema->type != HEARTH_VALUE_TYPE_STRING)
      return NULL;
    if (text[0] == '\0' && !field->is_required)
      return NULL;
    if (schema->type == HEARTH_VALUE_TYPE_INTEGER)
      {
        gint64 number;

        if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &number, NULL))
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         _ ("%s: “%s” is not a whole number"), title, text);
            return NULL;
          }
        json_node_init_int (node, number);
      }
    else if (schema->type == HEARTH_VALUE_TYPE_NUMBER)
      {
        char *end = NULL;
        double number = g_ascii_strtod (text, &end);

        if (end == NULL || *end != '\0' || !isfinite (number))
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("%s: “%s” is not a number"),
                         title, text);
            return NULL;
          }
        json_node_init_double (node, number);
      }
    else if (schema->type == HEARTH_VALUE_TYPE_STRING)
      json_node_init_string (node, gtk_editable_get_text (GTK_EDITABLE (field->control)));
    else
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     _ ("%s: Hearth cannot enter values of type “%s”"), title,
                     schema->type_name != NULL ? schema->type_name : "?");
        return NULL;
      }
  }
  return g_steal_pointer (&node);
}

static void
hearth_action_form_on_call_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HearthActionForm) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) output = NULL;

  output = hearth_device_proxy_call_action_finish (HEARTH_DEVICE_PROXY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), TRUE);
  g_signal_emit (self, signals[FINISHED], 0, error);
}

static void
hearth_action_form_on_run_clicked (HearthActionForm *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) input = hearth_action_form_build_input (self, &error);

  if (error != NULL)
    {
      hearth_action_form_set_problem (self, error->message);
      return;
    }
  hearth_action_form_set_problem (self, NULL);
  if (self->proxy == NULL)
    return;

  self->n_requests++;
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), FALSE);
  hearth_device_proxy_call_action_async (self->proxy, self->action_name, input, self->cancellable,
                                         hearth_action_form_on_call_finished, g_object_ref (self));
}

static void
hearth_action_form_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthActionForm *self = HEARTH_ACTION_FORM (object);

  switch (prop_id)
    {
      case PROP_PROXY:
        g_value_set_object (value, self->proxy);
        break;

      case PROP_DESCRIPTION:
        g_value_set_boxed (value, self->description);
        break;

      case PROP_ACTION_NAME:
        g_value_set_string (value, self->action_name);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_action_form_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthActionForm *self = HEARTH_ACTION_FORM (object);

  switch (prop_id)
    {
      case PROP_PROXY:
        self->proxy = g_value_dup_object (value);
        break;

      case PROP_DESCRIPTION:
        self->description = g_value_dup_boxed (value);
        break;

      case PROP_ACTION_NAME:
        self->action_name = g_value_dup_string (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_action_form_constructed (GObject *object)
{
  HearthActionForm *self = HEARTH_ACTION_FORM (object);
  const HearthSchema *input;

  G_OBJECT_CLASS (hearth_action_form_parent_class)->constructed (object);

  g_return_if_fail (self->description != NULL && self->action_name != NULL);
  self->action = hearth_description_lookup_action (self->description, self->action_name);
  g_return_if_fail (self->action != NULL);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), self->action->title != NULL
                                                                     ? self->action->title
                                                                     : self->action->name);
  if (self->action->description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self), self->action->description);
  gtk_widget_set_sensitive (GTK_WIDGET (self->run_button), self->proxy != NULL);

  input = self->action->input;
  if (input == NULL)
    return;
  if (input->type == HEARTH_VALUE_TYPE_OBJECT && input->fields != NULL)
    for (guint i = 0; i < input->fields->len; i++)
      {
        const HearthSchema *field = g_ptr_array_index (input->fields, i);

        hearth_action_form_add_field (
            self, field,
            input->required != NULL
                && g_strv_contains ((const char *const *)input->required, field->name));
      }
  else if (input->type != HEARTH_VALUE_TYPE_OBJECT)
    hearth_action_form_add_field (self, input, TRUE);
}

static void
hearth_action_form_dispose (GObject *object)
{
  HearthActionForm *self = HEARTH_ACTION_FORM (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_ACTION_FORM);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->proxy);
  g_clear_pointer (&self->description, hearth_description_unref);

  G_OBJECT_CLASS (hearth_action_form_parent_class)->dispose (object);
}

static void
hearth_action_form_finalize (GObject *object)
{
  HearthActionForm *self = HEARTH_ACTION_FORM (object);

  g_free (self->action_name);
  g_free (self->problem);
  g_array_unref (self->fields);

  G_OBJECT_CLASS (hearth_action_form_parent_class)->finalize (object);
}

static void
hearth_action_form_class_init (HearthActionFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_action_form_get_property;
  object_class->set_property = hearth_action_form_set_property;
  object_class->constructed = hearth_action_form_constructed;
  object_class->dispose = hearth_action_form_dispose;
  object_class->finalize = hearth_action_form_finalize;

  properties[PROP_PROXY]
      = g_param_spec_object ("proxy", NULL, NULL, HEARTH_TYPE_DEVICE_PROXY, construct_only);
  properties[PROP_DESCRIPTION]
      = g_param_spec_boxed ("description", NULL, NULL, HEARTH_TYPE_DESCRIPTION, construct_only);
  properties[PROP_ACTION_NAME]
      = g_param_spec_string ("action-name", NULL, NULL, NULL, construct_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthActionForm::finished:
   * @error: (nullable): why the device did not run the action, or %NULL when it did
   */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-action-form.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthActionForm, run_button);
  gtk_widget_class_bind_template_child (widget_class, HearthActionForm, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, hearth_action_form_on_run_clicked);
}

static void
hearth_action_form_init (HearthActionForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->fields = g_array_new (FALSE, TRUE, sizeof (ActionField));
  self->cancellable = g_cancellable_new ();
}

/**
 * hearth_action_form_new:
 * @proxy: (nullable): the device's proxy
 * @description: the device's description
 * @action_name: an action the description has
 */
GtkWidget *
hearth_action_form_new (HearthDeviceProxy *proxy, HearthDescription *description,
                        const char *action_name)
{
  g_return_val_if_fail (description != NULL, NULL);
  g_return_val_if_fail (action_name != NULL, NULL);

  return g_object_new (HEARTH_TYPE_ACTION_FORM, "proxy", proxy, "description", description,
                       "action-name", action_name, NULL);
}

const char *
hearth_action_form_get_action_name (HearthActionForm *self)
{
  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), NULL);

  return self->action_name;
}

GtkButton *
hearth_action_form_get_run_button (HearthActionForm *self)
{
  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), NULL);

  return self->run_button;
}

/**
 * hearth_action_form_get_field_control:
 * @field_name: (nullable): a field of the input object; %NULL for an input that is not an
 *   object
 *
 * Returns: (transfer none) (nullable): the field's switch, drop-down or entry
 */
GtkWidget *
hearth_action_form_get_field_control (HearthActionForm *self, const char *field_name)
{
  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), NULL);

  for (guint i = 0; i < self->fields->len; i++)
    {
      ActionField *field = &g_array_index (self->fields, ActionField, i);

      if (g_strcmp0 (field->schema->name, field_name) == 0)
        return field->control;
    }
  return NULL;
}

guint
hearth_action_form_get_n_fields (HearthActionForm *self)
{
  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), 0);

  return self->fields->len;
}

/**
 * hearth_action_form_build_input:
 *
 * Reads the fields and checks them against the action's input schema.
 *
 * Returns: (transfer full) (nullable): the input to send (%NULL for an action without input,
 *   with no error set), or %NULL with @error set when the input is not valid
 */
JsonNode *
hearth_action_form_build_input (HearthActionForm *self, GError **error)
{
  const HearthSchema *input;
  g_autoptr (JsonObject) object = NULL;
  JsonNode *node;

  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), NULL);

  input = self->action != NULL ? self->action->input : NULL;
  if (input == NULL)
    return NULL;

  if (input->type != HEARTH_VALUE_TYPE_OBJECT)
    {
      GError *field_error = NULL;

      node = action_field_read (&g_array_index (self->fields, ActionField, 0), &field_error);
      if (field_error != NULL)
        {
          g_propagate_error (error, field_error);
          return NULL;
        }
      if (node == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("Enter a value"));
          return NULL;
        }
    }
  else
    {
      object = json_object_new ();
      for (guint i = 0; i < self->fields->len; i++)
        {
          ActionField *field = &g_array_index (self->fields, ActionField, i);
          GError *field_error = NULL;
          JsonNode *value = action_field_read (field, &field_error);

          if (field_error != NULL)
            {
              g_propagate_error (error, field_error);
              return NULL;
            }
          if (value == NULL && field->is_required)
            {
              const char *title
                  = field->schema->title != NULL ? field->schema->title : field->schema->name;

              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("%s is required"), title);
              return NULL;
            }
          if (value != NULL)
            json_object_set_member (object, field->schema->name, value);
        }
      node = json_node_init_object (json_node_alloc (), object);
    }

  /* The schema check is the same one the proxy and the device apply, so what passes here is
   * what the device accepts; its messages name the field and the limit. */
  if (!hearth_schema_check_value (input, node, error))
    {
      json_node_unref (node);
      return NULL;
    }
  return node;
}

/**
 * hearth_action_form_get_n_requests:
 *
 * Returns: how many calls the form has sent to the proxy
 */
guint
hearth_action_form_get_n_requests (HearthActionForm *self)
{
  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), 0);

  return self->n_requests;
}

/**
 * hearth_action_form_get_problem:
 *
 * Returns: (nullable): what is wrong with the input the last Run found, as shown under the form
 */
const char *
hearth_action_form_get_problem (HearthActionForm *self)
{
  g_return_val_if_fail (HEARTH_IS_ACTION_FORM (self), NULL);

  return self->problem;
}
