/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-device-page"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-device-page.h"

#include "hearth-action-form.h"
#include "hearth-device-tile.h"
#include "hearth-fingerprint.h"
#include "hearth-history-plot.h"

/*
 * HearthDevicePage is a device's control page, generated from its self-description: one
 * HearthPropertyRow per property (grouped under the device's `ui.group` headings), one
 * HearthActionForm per action, a history plot per numeric property, a live log of the device's
 * events, a "not understood" row for every part of the description Hearth skipped, and the
 * liveness panel. Nothing here knows a device type.
 *
 * The page follows the core: property changes and events arrive on the event bus, liveness
 * through the HearthDevice's properties, and a new description (a firmware update) rebuilds the
 * generated part.
 */

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_PROXY,
  PROP_BUS,
  PROP_HISTORY,
  PROP_TRUST_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  ADD_TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _HearthDevicePage
{
  AdwBin parent_instance;

  /* Template widgets */
  GtkImage *icon_image;
  GtkLabel *name_label;
  GtkLabel *model_label;
  GtkLabel *state_label;
  GtkWidget *no_description_page;
  GtkBox *generated_box;
  AdwPreferencesGroup *events_group;
  GtkListBox *events_list;
  AdwEntryRow *area_row;
  AdwActionRow *last_heard_row;
  AdwActionRow *heartbeat_row;
  AdwActionRow *resubscribes_row;
  AdwActionRow *address_row;
  AdwActionRow *fingerprint_row;
  AdwActionRow *controllers_row;
  AdwActionRow *problem_row;

  /* Owned */
  HearthDevice *device;
  HearthDeviceProxy *proxy;
  HearthEventBus *bus;
  HearthHistory *history;
  HearthTrustStore *trust_store;
  HearthDescription *built_for; /* the description the generated part shows */
  GHashTable *rows;             /* property name → HearthPropertyRow (borrowed from the tree) */
  GHashTable *plots;            /* property name → HearthHistoryPlot (borrowed from the tree) */
  GHashTable *forms;            /* action name → HearthActionForm (borrowed from the tree) */
  GHashTable *plots_to_refresh; /* property names */
  guint plot_refresh_id;
  guint n_log_rows;
  guint n_unsupported_rows;
  char *shown_area; /* the pin's area as last put in area_row, so typing is not overwritten */
};

G_DEFINE_FINAL_TYPE (HearthDevicePage, hearth_device_page, ADW_TYPE_BIN)

static void
hearth_device_page_toast (HearthDevicePage *self, const char *title)
{
  g_autoptr (AdwToast) toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 5);
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
}

static const char *
device_display_name (HearthDevicePage *self)
{
  HearthDescription *description = hearth_device_get_description (self->device);

  if (hearth_device_get_name (self->device) != NULL)
    return hearth_device_get_name (self->device);
  if (description != NULL && hearth_description_get_name (description) != NULL)
    return hearth_description_get_name (description);
  return hearth_device_get_id (self->device);
}

static void
hearth_device_page_on_write_failed (HearthPropertyRow *row, GError *error, HearthDevicePage *self)
{
  g_autofree char *title = NULL;

  /* The device's reason is the message of a refusal; say whose it is. */
  if (g_error_matches (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_REFUSED))
    title = g_strdup_printf (_ ("%s refused: %s"), device_display_name (self), error->message);
  else
    title = g_strdup_printf (_ ("Could not change “%s”: %s"),
                             adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                             error->message);
  hearth_device_page_toast (self, title);
}

static void
hearth_device_page_on_action_finished (HearthActionForm *form, GError *error,
                                       HearthDevicePage *self)
{
  g_autofree char *title = NULL;
  const char *action = adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (form));

  if (error == NULL)
    title = g_strdup_printf (_ ("%s: done"), action);
  else if (g_error_matches (error, HEARTH_DEVICE_ERROR, HEARTH_DEVICE_ERROR_REFUSED))
    title = g_strdup_printf (_ ("%s refused: %s"), device_display_name (self), error->message);
  else
    title = g_strdup_printf (_ ("%s failed: %s"), action, error->message);
  hearth_device_page_toast (self, title);
}

static void
hearth_device_page_clear_generated (HearthDevicePage *self)
{
  GtkWidget *child;

  g_hash_table_remove_all (self->rows);
  g_hash_table_remove_all (self->plots);
  g_hash_table_remove_all (self->forms);
  self->n_unsupported_rows = 0;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->generated_box))) != NULL)
    gtk_box_remove (self->generated_box, child);
}

static AdwPreferencesGroup *
group_for (HearthDevicePage *self, GHashTable *groups, const char *heading)
{
  AdwPreferencesGroup *group = g_hash_table_lookup (groups, heading != NULL ? heading : "");

  if (group != NULL)
    return group;
  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  if (heading != NULL)
    adw_preferences_group_set_title (group, heading);
  g_hash_table_insert (groups, g_strdup (heading != NULL ? heading : ""), group);
  gtk_box_append (self->generated_box, GTK_WIDGET (group));
  return group;
}

static void
hearth_device_page_add_plot (HearthDevicePage *self, AdwPreferencesGroup *group,
                             const HearthSchema *schema)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new (schema->title != NULL ? schema->title : schema->name);
  GtkWidget *plot = hearth_history_plot_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "plot-card");
  gtk_widget_set_size_request (plot, -1, 160);
  hearth_history_plot_set_source (HEARTH_HISTORY_PLOT (plot), self->history,
                                  hearth_device_get_id (self->device), schema->name);
  hearth_history_plot_set_unit (HEARTH_HISTORY_PLOT (plot), schema->unit);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), plot);
  adw_preferences_group_add (group, box);
  g_hash_table_insert (self->plots, g_strdup (schema->name), plot);
}

static void
hearth_device_page_build (HearthDevicePage *self)
{
  HearthDescription *description = hearth_device_get_description (self->device);
  g_autoptr (GHashTable) groups = NULL;
  AdwPreferencesGroup *history_group = NULL;
  const char *const *unsupported;

  if (description == self->built_for && description != NULL)
    return;
  hearth_device_page_clear_generated (self);
  g_clear_pointer (&self->built_for, hearth_description_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->no_description_page), description == NULL);
  if (description == NULL)
    return;
  self->built_for = hearth_description_ref (description);

  /* Properties without a heading come first, then each heading in the order the device first
   * used it. */
  groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  group_for (self, groups, NULL);
  for (guint i = 0; i < hearth_description_get_n_properties (description); i++)
    {
      const HearthSchema *schema = hearth_description_get_property (description, i);
      GtkWidget *row = hearth_property_row_new (self->proxy, description, schema->name);

      g_signal_connect (row, "write-failed", G_CALLBACK (hearth_device_page_on_write_failed), self);
      adw_preferences_group_add (group_for (self, groups, schema->group), row);
      g_hash_table_insert (self->rows, g_strdup (schema->name), row);
    }

  for (guint i = 0; i < hearth_description_get_n_actions (description); i++)
    {
      const HearthActionInfo *action = hearth_description_get_action (description, i);
      GtkWidget *form = hearth_action_form_new (self->proxy, description, action->name);

      g_signal_connect (form, "finished", G_CALLBACK (hearth_device_page_on_action_finished), self);
      gtk_box_append (self->generated_box, form);
      g_hash_table_insert (self->forms, g_strdup (action->name), form);
    }

  if (self->history != NULL)
    for (guint i = 0; i < hearth_description_get_n_properties (description); i++)
      {
        const HearthSchema *schema = hearth_description_get_property (description, i);

        if (!hearth_schema_is_numeric (schema))
          continue;
        if (history_group == NULL)
          {
            history_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
            adw_preferences_group_set_title (history_group, _ ("History"));
            adw_preferences_group_set_description (
                history_group, _ ("Drag or pinch a plot to move and zoom; double-tap to reset."));
            gtk_box_append (self->generated_box, GTK_WIDGET (history_group));
          }
        hearth_device_page_add_plot (self, history_group, schema);
      }

  unsupported = hearth_description_get_unsupported (description);
  if (unsupported != NULL && unsupported[0] != NULL)
    {
      GtkWidget *group = adw_preferences_group_new ();

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _ ("Not Understood"));
      adw_preferences_group_set_description (
          ADW_PREFERENCES_GROUP (group),
          _ ("The device describes these, but this version of Hearth does not know them."));
      for (guint i = 0; unsupported[i] != NULL; i++)
        {
          GtkWidget *row = adw_action_row_new ();
          GtkWidget *label = gtk_label_new (_ ("Unsupported"));

          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), unsupported[i]);
          gtk_widget_add_css_class (label, "dim-label");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
          gtk_widget_add_css_class (row, "unsupported-row");
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
          self->n_unsupported_rows++;
        }
      gtk_box_append (self->generated_box, group);
    }
}

static char *
format_time (gint64 time_us)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  if (when == NULL)
    return g_strdup ("");
  /* TRANSLATORS: a time of day today (strftime format) */
  if (g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now)
      && g_date_time_get_year (when) == g_date_time_get_year (now))
    return g_date_time_format (when, _ ("%H:%M:%S"));
  /* TRANSLATORS: a date and time (strftime format) */
  return g_date_time_format (when, _ ("%Y-%m-%d %H:%M"));
}

static void
hearth_device_page_update_liveness (HearthDevicePage *self)
{
  HearthDescription *description = hearth_device_get_description (self->device);
  HearthDeviceState state = hearth_device_get_state (self->device);
  g_autofree char *last_heard = NULL;
  g_autofree char *heartbeat = NULL;
  g_autofree char *resubscribes = NULL;
  g_autofree char *address = hearth_device_dup_address (self->device);
  g_autofree char *fingerprint = NULL;
  g_autoptr (HearthTrustPin) pin = NULL;
  const char *problem = hearth_device_get_problem (self->device);

  gtk_label_set_text (self->name_label, device_display_name (self));
  if (description != NULL && hearth_description_get_model (description) != NULL)
    gtk_label_set_text (self->model_label, hearth_description_get_model (description));
  else
    gtk_label_set_text (self->model_label, hearth_device_get_id (self->device));
  gtk_image_set_from_icon_name (self->icon_image, hearth_device_tile_icon_name (description));
  hearth_device_tile_style_state_badge (self->state_label, state);

  if (hearth_device_get_last_heard (self->device) > 0)
    last_heard = format_time (hearth_device_get_last_heard (self->device));
  adw_action_row_set_subtitle (self->last_heard_row, last_heard != NULL ? last_heard : _ ("Never"));

  if (hearth_device_get_heartbeat_interval (self->device) > 0)
    heartbeat
        = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Every %u second", "Every %u seconds",
                                        hearth_device_get_heartbeat_interval (self->device)),
                           hearth_device_get_heartbeat_interval (self->device));
  adw_action_row_set_subtitle (self->heartbeat_row, heartbeat != NULL ? heartbeat : _ ("Unknown"));

  resubscribes = g_strdup_printf ("%u", hearth_device_get_resubscribe_count (self->device));
  adw_action_row_set_subtitle (self->resubscribes_row, resubscribes);
  adw_action_row_set_subtitle (self->address_row, address != NULL ? address : _ ("Unknown"));

  /* The pinned key is the one the hub checks in every handshake; the announced one is only a
   * hint, and says so. */
  if (self->trust_store != NULL)
    pin = hearth_trust_store_get_pin (self->trust_store, hearth_device_get_id (self->device));
  if (pin != NULL)
    fingerprint = hearth_fingerprint_format_for_display (pin->fingerprint);
  else if (hearth_device_get_fingerprint_hint (self->device) != NULL)
    fingerprint = g_strdup_printf (_ ("%s… (announced, not verified)"),
                                   hearth_device_get_fingerprint_hint (self->device));
  adw_action_row_set_subtitle (self->fingerprint_row,
                               fingerprint != NULL ? fingerprint : _ ("Unknown"));

  /* Only a paired device has an area: it is kept with the pin. The entry is refreshed only when
   * the stored area changes, so liveness updates do not undo the user's typing. */
  gtk_widget_set_visible (GTK_WIDGET (self->area_row), pin != NULL);
  if (pin != NULL && g_strcmp0 (pin->area != NULL ? pin->area : "", self->shown_area) != 0)
    {
      g_free (self->shown_area);
      self->shown_area = g_strdup (pin->area != NULL ? pin->area : "");
      gtk_editable_set_text (GTK_EDITABLE (self->area_row), self->shown_area);
    }

  if (state == HEARTH_DEVICE_STATE_ONLINE)
    adw_action_row_set_subtitle (self->controllers_row,
                                 _ ("This hub (the device accepts its key; other controllers are "
                                    "not listed here)"));
  else if (pin != NULL)
    adw_action_row_set_subtitle (self->controllers_row,
                                 _ ("This hub, when the device last answered"));
  else
    adw_action_row_set_subtitle (self->controllers_row, _ ("Not paired with this hub"));

  gtk_widget_set_visible (GTK_WIDGET (self->problem_row), problem != NULL);
  if (problem != NULL)
    adw_action_row_set_subtitle (self->problem_row, problem);
}

/* Enter, the apply button and leaving the entry all land here; applying what is already stored
 * does nothing, so the three may follow each other. */
static void
hearth_device_page_on_area_apply (HearthDevicePage *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *wanted = NULL;

  if (self->device == NULL || self->trust_store == NULL
      || !gtk_widget_get_visible (GTK_WIDGET (self->area_row)))
    return;
  wanted = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->area_row))));
  if (g_strcmp0 (wanted, self->shown_area) == 0)
    return;

  if (!hearth_trust_store_set_area (self->trust_store, hearth_device_get_id (self->device), wanted,
                                    &error))
    {
      g_autofree char *title = NULL;

      /* TRANSLATORS: %s is why, e.g. "An area may be at most 64 bytes long" */
      title = g_strdup_printf (_ ("Could not change the area: %s"), error->message);
      hearth_device_page_toast (self, title);
      /* Show what is stored again, so that leaving the entry does not repeat the toast. */
      gtk_editable_set_text (GTK_EDITABLE (self->area_row),
                             self->shown_area != NULL ? self->shown_area : "");
      return;
    }
  /* The store trims; show what it keeps (the "changed" signal has updated shown_area). */
  gtk_editable_set_text (GTK_EDITABLE (self->area_row),
                         self->shown_area != NULL ? self->shown_area : "");
}

static void
hearth_device_page_on_device_notify (HearthDevice *device, GParamSpec *pspec,
                                     HearthDevicePage *self)
{
  if (g_strcmp0 (pspec->name, "description") == 0)
    hearth_device_page_build (self);
  hearth_device_page_update_liveness (self);
}

static void
hearth_device_page_add_log_row (HearthDevicePage *self, gint64 time_us, const char *name,
                                const char *data_json)
{
  HearthDescription *description = hearth_device_get_description (self->device);
  const HearthEventInfo *info
      = description != NULL ? hearth_description_lookup_event (description, name) : NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *time_label;
  g_autofree char *when = format_time (time_us);
  GtkListBoxRow *last;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 info != NULL && info->title != NULL ? info->title : name);
  if (data_json != NULL && g_strcmp0 (data_json, "null") != 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), data_json);
  time_label = gtk_label_new (when);
  gtk_widget_add_css_class (time_label, "dim-label");
  gtk_widget_add_css_class (time_label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), time_label);
  gtk_list_box_prepend (self->events_list, row);
  self->n_log_rows++;

  while (self->n_log_rows > HEARTH_DEVICE_PAGE_MAX_LOG_ROWS
         && (last = gtk_list_box_get_row_at_index (self->events_list, (int)self->n_log_rows - 1))
                != NULL)
    {
      gtk_list_box_remove (self->events_list, GTK_WIDGET (last));
      self->n_log_rows--;
    }
}

static gboolean
hearth_device_page_refresh_plots (gpointer user_data)
{
  HearthDevicePage *self = user_data;
  GHashTableIter iter;
  const char *name;

  self->plot_refresh_id = 0;
  g_hash_table_iter_init (&iter, self->plots_to_refresh);
  while (g_hash_table_iter_next (&iter, (gpointer *)&name, NULL))
    {
      HearthHistoryPlot *plot = g_hash_table_lookup (self->plots, name);

      if (plot != NULL)
        hearth_history_plot_refresh (plot);
    }
  g_hash_table_remove_all (self->plots_to_refresh);
  return G_SOURCE_REMOVE;
}

static void
hearth_device_page_on_event (HearthEventBus *bus, HearthEvent *event, HearthDevicePage *self)
{
  const char *name = hearth_event_get_name (event);

  if (g_strcmp0 (hearth_event_get_device_id (event), hearth_device_get_id (self->device)) != 0)
    return;

  switch (hearth_event_get_kind (event))
    {
      case HEARTH_EVENT_PROPERTY_CHANGED:
        {
          HearthPropertyRow *row = g_hash_table_lookup (self->rows, name);

          if (row != NULL)
            hearth_property_row_update (row);
          /* A plot re-reads its series at most once a second, however often values come. */
          if (g_hash_table_contains (self->plots, name))
            {
              g_hash_table_add (self->plots_to_refresh, g_strdup (name));
              if (self->plot_refresh_id == 0)
                self->plot_refresh_id
                    = g_timeout_add_seconds (1, hearth_device_page_refresh_plots, self);
            }
          break;
        }

      case HEARTH_EVENT_DEVICE_EVENT:
        {
          g_autofree char *data = hearth_event_dup_value_json (event);

          hearth_device_page_add_log_row (self, hearth_event_get_time_us (event), name, data);
          break;
        }

      case HEARTH_EVENT_DEVICE_ONLINE:
      case HEARTH_EVENT_DEVICE_OFFLINE:
      case HEARTH_EVENT_TRUST_CHANGED:
      default:
        hearth_device_page_update_liveness (self);
        break;
    }
}

/* The log starts with what the history already has, so opening the page after a key press
 * still shows it. */
static void
hearth_device_page_load_log (HearthDevicePage *self)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;

  if (self->history == NULL)
    return;
  events = hearth_history_query_events (self->history, hearth_device_get_id (self->device), "event",
                                        0, HEARTH_DEVICE_PAGE_MAX_LOG_ROWS, &error);
  if (events == NULL)
    {
      g_debug ("Could not read the event log of %s: %s", hearth_device_get_id (self->device),
               error->message);
      return;
    }
  /* Newest first from the history; the log prepends, so add them oldest first. */
  for (guint i = events->len; i > 0; i--)
    {
      HearthHistoryEvent *event = g_ptr_array_index (events, i - 1);

      hearth_device_page_add_log_row (self, event->time_us, event->name, event->data);
    }
}

static void
hearth_device_page_real_add_toast (HearthDevicePage *self, AdwToast *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), g_object_ref (toast));
}

static void
hearth_device_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDevicePage *self = HEARTH_DEVICE_PAGE (object);

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

      case PROP_HISTORY:
        g_value_set_object (value, self->history);
        break;

      case PROP_TRUST_STORE:
        g_value_set_object (value, self->trust_store);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_page_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthDevicePage *self = HEARTH_DEVICE_PAGE (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        self->device = g_value_dup_object (value);
        break;

      case PROP_PROXY:
        self->proxy = g_value_dup_object (value);
        break;

      case PROP_BUS:
        self->bus = g_value_dup_object (value);
        break;

      case PROP_HISTORY:
        self->history = g_value_dup_object (value);
        break;

      case PROP_TRUST_STORE:
        self->trust_store = g_value_dup_object (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_page_constructed (GObject *object)
{
  HearthDevicePage *self = HEARTH_DEVICE_PAGE (object);

  G_OBJECT_CLASS (hearth_device_page_parent_class)->constructed (object);

  g_return_if_fail (HEARTH_IS_DEVICE (self->device));
  g_signal_connect_object (self->device, "notify", G_CALLBACK (hearth_device_page_on_device_notify),
                           self, 0);
  if (self->bus != NULL)
    g_signal_connect_object (self->bus, "event", G_CALLBACK (hearth_device_page_on_event), self, 0);
  if (self->trust_store != NULL)
    g_signal_connect_object (self->trust_store, "changed",
                             G_CALLBACK (hearth_device_page_update_liveness), self,
                             G_CONNECT_SWAPPED);
  hearth_device_page_build (self);
  hearth_device_page_update_liveness (self);
  hearth_device_page_load_log (self);
}

static void
hearth_device_page_dispose (GObject *object)
{
  HearthDevicePage *self = HEARTH_DEVICE_PAGE (object);

  g_clear_handle_id (&self->plot_refresh_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_DEVICE_PAGE);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->plots, g_hash_table_unref);
  g_clear_pointer (&self->forms, g_hash_table_unref);
  g_clear_pointer (&self->plots_to_refresh, g_hash_table_unref);
  g_clear_pointer (&self->built_for, hearth_description_unref);
  g_clear_object (&self->device);
  g_clear_object (&self->proxy);
  g_clear_object (&self->bus);
  g_clear_object (&self->history);
  g_clear_object (&self->trust_store);
  g_clear_pointer (&self->shown_area, g_free);

  G_OBJECT_CLASS (hearth_device_page_parent_class)->dispose (object);
}

static void
hearth_device_page_class_init (HearthDevicePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_device_page_get_property;
  object_class->set_property = hearth_device_page_set_property;
  object_class->constructed = hearth_device_page_constructed;
  object_class->dispose = hearth_device_page_dispose;

  properties[PROP_DEVICE]
      = g_param_spec_object ("device", NULL, NULL, HEARTH_TYPE_DEVICE, construct_only);
  /* NULL for a device the hub does not talk to (new, blocked): the page shows, nothing writes. */
  properties[PROP_PROXY]
      = g_param_spec_object ("proxy", NULL, NULL, HEARTH_TYPE_DEVICE_PROXY, construct_only);
  properties[PROP_BUS]
      = g_param_spec_object ("bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS, construct_only);
  properties[PROP_HISTORY]
      = g_param_spec_object ("history", NULL, NULL, HEARTH_TYPE_HISTORY, construct_only);
  properties[PROP_TRUST_STORE]
      = g_param_spec_object ("trust-store", NULL, NULL, HEARTH_TYPE_TRUST_STORE, construct_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthDevicePage::add-toast:
   * @toast: the toast to show
   *
   * The page has something to say (a refused write, with the device's reason). The default
   * handler shows the toast in the nearest AdwToastOverlay around the page.
   */
  signals[ADD_TOAST]
      = g_signal_new_class_handler ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    G_CALLBACK (hearth_device_page_real_add_toast), NULL, NULL,
                                    NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-device-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, icon_image);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, name_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, model_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, state_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, no_description_page);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, generated_box);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, events_group);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, events_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, area_row);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, last_heard_row);
  gtk_widget_class_bind_template_callback (widget_class, hearth_device_page_on_area_apply);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, heartbeat_row);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, resubscribes_row);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, address_row);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, fingerprint_row);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, controllers_row);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicePage, problem_row);
}

static void
hearth_device_page_init (HearthDevicePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->plots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->forms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->plots_to_refresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * hearth_device_page_new:
 * @device: the device
 * @proxy: (nullable): its proxy, when the hub talks to it
 * @bus: (nullable): where property changes and events arrive
 * @history: (nullable): for the plots and the start of the event log
 * @trust_store: (nullable): for the pinned key fingerprint and the Area row
 */
GtkWidget *
hearth_device_page_new (HearthDevice *device, HearthDeviceProxy *proxy, HearthEventBus *bus,
                        HearthHistory *history, HearthTrustStore *trust_store)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE (device), NULL);

  return g_object_new (HEARTH_TYPE_DEVICE_PAGE, "device", device, "proxy", proxy, "bus", bus,
                       "history", history, "trust-store", trust_store, NULL);
}

HearthDevice *
hearth_device_page_get_device (HearthDevicePage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), NULL);

  return self->device;
}

HearthDeviceProxy *
hearth_device_page_get_proxy (HearthDevicePage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), NULL);

  return self->proxy;
}

/**
 * hearth_device_page_get_property_row:
 *
 * Returns: (transfer none) (nullable): the row of @property_name
 */
HearthPropertyRow *
hearth_device_page_get_property_row (HearthDevicePage *self, const char *property_name)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), NULL);

  return g_hash_table_lookup (self->rows, property_name);
}

/**
 * hearth_device_page_get_action_form:
 *
 * Returns: (transfer none) (nullable): the HearthActionForm of @action_name
 */
GtkWidget *
hearth_device_page_get_action_form (HearthDevicePage *self, const char *action_name)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), NULL);

  return g_hash_table_lookup (self->forms, action_name);
}

guint
hearth_device_page_get_n_log_rows (HearthDevicePage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), 0);

  return self->n_log_rows;
}

guint
hearth_device_page_get_n_unsupported_rows (HearthDevicePage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), 0);

  return self->n_unsupported_rows;
}

/**
 * hearth_device_page_get_area_row:
 *
 * Returns: (transfer none): the entry for the device's area (visible for a paired device)
 */
AdwEntryRow *
hearth_device_page_get_area_row (HearthDevicePage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_PAGE (self), NULL);

  return self->area_row;
}
