/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-events-page"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-events-page.h"

#include "hearth-event-item.h"

/*
 * HearthEventsPage is the Events page: one list, newest first, that starts with the most recent
 * rows of the history and grows at the top with every event published on the bus. Scrolling to
 * the end loads the next older page of history, so months of events can be browsed without
 * loading them all. The list is a virtualized GtkListView: only the rows on screen have
 * widgets.
 *
 * The history is paged with a cursor, the (time, row id) of the oldest history row already
 * looked at: each page is hearth_history_query_events_before() from the cursor, an indexed range
 * scan of one page whatever its depth (keyset paging, no OFFSET). Rows the bus published after
 * the first page was loaded are newer than the cursor, so they are never shown twice.
 *
 * Rows name their device by the name the registry knows, with the id as secondary text; the
 * device filter lists devices the same way.
 *
 * The list holds at most MAX_ROWS items: on a busy hub a page left open for days must not grow
 * without end. When live events push old rows out at the bottom, the cursor moves up to the
 * oldest row kept, and scrolling down loads them again from the history.
 */

#define PAGE_SIZE 100
#define MAX_ROWS 5000
/* Load the next page when the end of the list is closer than this to the bottom of the view,
 * so that a flick does not hit the end and wait. */
#define LOAD_MARGIN_PX 400.0
/* The connectivity filter matches two kinds, so the history is asked for every kind and the
 * page picks them out; a load looks at no more than this many pages, so that a history with
 * few matches never stalls the main loop (scrolling on loads the next ones). */
#define MAX_PAGES_PER_LOAD 20

enum
{
  PROP_0,
  PROP_EVENT_BUS,
  PROP_HISTORY,
  PROP_REGISTRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthEventsPage
{
  GtkBox parent_instance;

  /* Template widgets */
  GtkDropDown *device_dropdown;
  GtkDropDown *type_dropdown;
  GtkStack *content_stack;
  GtkScrolledWindow *scrolled_window;
  GtkListView *list_view;
  AdwStatusPage *empty_status_page;

  /* Owned */
  HearthEventBus *event_bus;
  HearthHistory *history;
  HearthDeviceRegistry *registry;
  gulong registry_handler;
  gulong event_handler;
  GListStore *items;
  GtkStringList *device_names;
  GHashTable *known_devices;
  char *device_filter;
  HearthEventsTypeFilter type_filter;
  gint64 cursor_time_us;
  gint64 cursor_id;
  gboolean history_exhausted;
  guint load_source;
};

G_DEFINE_FINAL_TYPE (HearthEventsPage, hearth_events_page, GTK_TYPE_BOX)

/* The kind to ask the history for; NULL means every kind, and online and offline are two kinds
 * that the page picks out itself. */
static const char *
type_filter_history_kind (HearthEventsTypeFilter filter)
{
  switch (filter)
    {
      case HEARTH_EVENTS_TYPE_PROPERTY:
        return "property";
      case HEARTH_EVENTS_TYPE_EVENT:
        return "event";
      case HEARTH_EVENTS_TYPE_TRUST:
        return "trust";
      case HEARTH_EVENTS_TYPE_ALL:
      case HEARTH_EVENTS_TYPE_CONNECTIVITY:
      default:
        return NULL;
    }
}

static gboolean
hearth_events_page_matches (HearthEventsPage *self, const char *device_id, const char *kind)
{
  const char *wanted_kind = type_filter_history_kind (self->type_filter);

  if (self->device_filter != NULL && g_strcmp0 (self->device_filter, device_id) != 0)
    return FALSE;
  if (self->type_filter == HEARTH_EVENTS_TYPE_CONNECTIVITY)
    return g_strcmp0 (kind, "online") == 0 || g_strcmp0 (kind, "offline") == 0;
  return wanted_kind == NULL || g_strcmp0 (kind, wanted_kind) == 0;
}

static void
hearth_events_page_remember_device (HearthEventsPage *self, const char *device_id)
{
  if (device_id == NULL || device_id[0] == '\0'
      || g_hash_table_contains (self->known_devices, device_id))
    return;
  g_hash_table_add (self->known_devices, g_strdup (device_id));
  /* Appending keeps the drop-down's selected position valid. */
  gtk_string_list_append (self->device_names, device_id);
}

static void
hearth_events_page_update_empty_state (HearthEventsPage *self)
{
  gboolean is_empty = g_list_model_get_n_items (G_LIST_MODEL (self->items)) == 0;
  gboolean is_filtered = self->device_filter != NULL || self->type_filter != HEARTH_EVENTS_TYPE_ALL;

  gtk_stack_set_visible_child_name (self->content_stack, is_empty ? "empty" : "list");
  if (is_empty)
    adw_status_page_set_description (
        self->empty_status_page,
        is_filtered ? _ ("No events match these filters.")
                    : _ ("Events from paired devices appear here as they happen, newest first, "
                         "followed by their history."));
}

/* The device's name as the registry knows it, or NULL. */
static const char *
hearth_events_page_lookup_device_name (HearthEventsPage *self, const char *device_id)
{
  HearthDevice *device;
  const char *name;

  if (self->registry == NULL || device_id == NULL || device_id[0] == '\0')
    return NULL;
  device = hearth_device_registry_lookup (self->registry, device_id);
  if (device == NULL)
    return NULL;
  name = hearth_device_get_name (device);
  return name != NULL && name[0] != '\0' ? name : NULL;
}

/* The device's description as the registry knows it, or NULL: rows use it for the titles and
 * units of properties and events. */
static HearthDescription *
hearth_events_page_lookup_description (HearthEventsPage *self, const char *device_id)
{
  HearthDevice *device;

  if (self->registry == NULL || device_id == NULL || device_id[0] == '\0')
    return NULL;
  device = hearth_device_registry_lookup (self->registry, device_id);
  return device != NULL ? hearth_device_get_description (device) : NULL;
}

static HearthEventItem *
hearth_events_page_make_history_item (HearthEventsPage *self, const HearthHistoryEvent *row)
{
  HearthEventItem *item = hearth_event_item_new_from_history (row);

  hearth_event_item_set_device_name (item,
                                     hearth_events_page_lookup_device_name (self, row->device_id));
  hearth_event_item_set_description (item,
                                     hearth_events_page_lookup_description (self, row->device_id));
  return item;
}

/* Appends the next page of history rows older than the cursor. */
static void
hearth_events_page_load_older (HearthEventsPage *self)
{
  const char *kind = type_filter_history_kind (self->type_filter);
  g_autoptr (GPtrArray) page = NULL;

  if (self->history == NULL || self->history_exhausted)
    return;

  page = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint n_queries = 0; page->len < PAGE_SIZE && n_queries < MAX_PAGES_PER_LOAD; n_queries++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) rows = hearth_history_query_events_before (
          self->history, self->device_filter, kind, self->cursor_time_us, self->cursor_id,
          PAGE_SIZE, &error);

      if (rows == NULL)
        {
          /* A failed query is reported once in the log; the list keeps what it has and stops
           * paging instead of retrying on every scroll. */
          g_warning ("Could not read the event history: %s", error->message);
          self->history_exhausted = TRUE;
          break;
        }

      for (guint i = 0; i < rows->len; i++)
        {
          const HearthHistoryEvent *row = g_ptr_array_index (rows, i);

          hearth_events_page_remember_device (self, row->device_id);
          if (hearth_events_page_matches (self, row->device_id, row->kind))
            g_ptr_array_add (page, hearth_events_page_make_history_item (self, row));
        }
      if (rows->len > 0)
        {
          const HearthHistoryEvent *last = g_ptr_array_index (rows, rows->len - 1);

          self->cursor_time_us = last->time_us;
          self->cursor_id = last->id;
        }
      if (rows->len < PAGE_SIZE)
        {
          self->history_exhausted = TRUE;
          break;
        }
    }

  if (page->len > 0)
    g_list_store_splice (self->items, g_list_model_get_n_items (G_LIST_MODEL (self->items)), 0,
                         page->pdata, page->len);
  hearth_events_page_update_empty_state (self);
}

static void
hearth_events_page_reload (HearthEventsPage *self)
{
  g_autoptr (GError) error = NULL;

  g_list_store_remove_all (self->items);
  /* Start above the newest row. */
  self->cursor_time_us = G_MAXINT64;
  self->cursor_id = G_MAXINT64;
  self->history_exhausted = FALSE;
  /* Events the bus published before this moment but the history has not written yet would
   * otherwise be in neither the live part nor the first page. */
  if (self->history != NULL && !hearth_history_flush (self->history, &error))
    g_debug ("Could not flush the history before reading it: %s", error->message);
  hearth_events_page_load_older (self);
  hearth_events_page_update_empty_state (self);
}

static void
hearth_events_page_trim (HearthEventsPage *self)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  g_autoptr (HearthEventItem) last = NULL;

  if (n_items <= MAX_ROWS)
    return;

  g_list_store_splice (self->items, MAX_ROWS, n_items - MAX_ROWS, NULL, 0);
  last = g_list_model_get_item (G_LIST_MODEL (self->items), MAX_ROWS - 1);
  /* A live item has no row id: the cursor then skips every row of its microsecond, which can
   * hide a row that shares it but never shows one twice. */
  self->cursor_time_us = hearth_event_item_get_time_us (last);
  self->cursor_id = hearth_event_item_get_history_id (last);
  self->history_exhausted = FALSE;
}

static void
hearth_events_page_on_event (HearthEventBus *event_bus, HearthEvent *event, gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);
  const char *device_id = hearth_event_get_device_id (event);
  g_autoptr (HearthEventItem) item = NULL;
  GtkAdjustment *adjustment;
  gboolean was_at_top;

  hearth_events_page_remember_device (self, device_id);
  if (!hearth_events_page_matches (self, device_id,
                                   hearth_event_kind_to_string (hearth_event_get_kind (event))))
    return;

  item = hearth_event_item_new_from_event (event);
  hearth_event_item_set_device_name (item, hearth_events_page_lookup_device_name (self, device_id));
  hearth_event_item_set_description (item, hearth_events_page_lookup_description (self, device_id));
  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  was_at_top = gtk_adjustment_get_value (adjustment) <= gtk_adjustment_get_lower (adjustment);
  g_list_store_insert (self->items, 0, item);
  /* A list view keeps the rows on screen where they are when rows are added above them. That
   * is right for someone reading further down; someone watching the top wants the new event
   * in view. */
  if (was_at_top)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", 0);
  hearth_events_page_trim (self);
  hearth_events_page_update_empty_state (self);
}

static gboolean
hearth_events_page_load_if_near_end (gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double bottom = gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment);

  self->load_source = 0;
  if (!self->history_exhausted && gtk_widget_get_mapped (GTK_WIDGET (self))
      && bottom >= gtk_adjustment_get_upper (adjustment) - LOAD_MARGIN_PX)
    hearth_events_page_load_older (self);
  return G_SOURCE_REMOVE;
}

/* Scrolling and layout both change the adjustment; the check runs from an idle so that it never
 * changes the model in the middle of a size allocation. */
static void
hearth_events_page_on_adjustment_changed (GtkAdjustment *adjustment, gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);

  if (self->load_source == 0 && !self->history_exhausted)
    self->load_source = g_idle_add (hearth_events_page_load_if_near_end, self);
}

static void
hearth_events_page_on_device_selected (GtkDropDown *dropdown, GParamSpec *pspec, gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);
  guint position = gtk_drop_down_get_selected (dropdown);
  const char *device_id = NULL;

  /* Position 0 is "All devices". */
  if (position != 0 && position != GTK_INVALID_LIST_POSITION)
    device_id = gtk_string_list_get_string (self->device_names, position);
  if (g_strcmp0 (device_id, self->device_filter) == 0)
    return;
  g_free (self->device_filter);
  self->device_filter = g_strdup (device_id);
  hearth_events_page_reload (self);
}

static void
hearth_events_page_on_type_selected (GtkDropDown *dropdown, GParamSpec *pspec, gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);
  guint position = gtk_drop_down_get_selected (dropdown);
  HearthEventsTypeFilter filter = position <= HEARTH_EVENTS_TYPE_TRUST
                                      ? (HearthEventsTypeFilter)position
                                      : HEARTH_EVENTS_TYPE_ALL;

  if (filter == self->type_filter)
    return;
  self->type_filter = filter;
  hearth_events_page_reload (self);
}

static void
hearth_events_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (object);

  switch (prop_id)
    {
      case PROP_EVENT_BUS:
        g_value_set_object (value, self->event_bus);
        break;

      case PROP_HISTORY:
        g_value_set_object (value, self->history);
        break;

      case PROP_REGISTRY:
        g_value_set_object (value, self->registry);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_events_page_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (object);

  switch (prop_id)
    {
      case PROP_EVENT_BUS:
        hearth_events_page_set_event_bus (self, g_value_get_object (value));
        break;

      case PROP_HISTORY:
        hearth_events_page_set_history (self, g_value_get_object (value));
        break;

      case PROP_REGISTRY:
        hearth_events_page_set_registry (self, g_value_get_object (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_events_page_dispose (GObject *object)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (object);

  if (self->event_bus != NULL)
    g_clear_signal_handler (&self->event_handler, self->event_bus);
  g_clear_object (&self->event_bus);
  g_clear_object (&self->history);
  if (self->registry != NULL)
    g_clear_signal_handler (&self->registry_handler, self->registry);
  g_clear_object (&self->registry);
  g_clear_handle_id (&self->load_source, g_source_remove);

  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_EVENTS_PAGE);

  g_clear_object (&self->items);
  g_clear_object (&self->device_names);
  g_clear_pointer (&self->known_devices, g_hash_table_unref);

  G_OBJECT_CLASS (hearth_events_page_parent_class)->dispose (object);
}

static void
hearth_events_page_finalize (GObject *object)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (object);

  g_free (self->device_filter);

  G_OBJECT_CLASS (hearth_events_page_parent_class)->finalize (object);
}

static void
hearth_events_page_class_init (HearthEventsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_events_page_get_property;
  object_class->set_property = hearth_events_page_set_property;
  object_class->dispose = hearth_events_page_dispose;
  object_class->finalize = hearth_events_page_finalize;

  /**
   * HearthEventsPage:event-bus:
   *
   * The bus whose events the page shows live. The page can be made without one (the window's
   * template does) and be given it later.
   */
  properties[PROP_EVENT_BUS] = g_param_spec_object (
      "event-bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthEventsPage:history:
   *
   * The history the page loads older events from.
   */
  properties[PROP_HISTORY] = g_param_spec_object (
      "history", NULL, NULL, HEARTH_TYPE_HISTORY,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthEventsPage:registry:
   *
   * The registry the page takes device names from; without one, rows show device ids.
   */
  properties[PROP_REGISTRY]
      = g_param_spec_object ("registry", NULL, NULL, HEARTH_TYPE_DEVICE_REGISTRY,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The row template names the item type in its expressions. */
  g_type_ensure (HEARTH_TYPE_EVENT_ITEM);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-events-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthEventsPage, device_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HearthEventsPage, type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, HearthEventsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthEventsPage, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, HearthEventsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, HearthEventsPage, empty_status_page);
}

static void
hearth_events_page_setup_device_entry (GtkSignalListItemFactory *factory, GtkListItem *list_item,
                                       gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_list_item_set_child (list_item, box);
}

/* The device filter's entries: "All devices", then each device by name with its id beside it
 * (names need not be unique), or by id while it has no name. */
static void
hearth_events_page_bind_device_entry (GtkSignalListItemFactory *factory, GtkListItem *list_item,
                                      gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);
  GtkWidget *title = gtk_widget_get_first_child (gtk_list_item_get_child (list_item));
  GtkWidget *subtitle = gtk_widget_get_next_sibling (title);
  const char *text = gtk_string_object_get_string (gtk_list_item_get_item (list_item));
  const char *name = NULL;

  if (gtk_list_item_get_position (list_item) != 0)
    name = hearth_events_page_lookup_device_name (self, text);
  gtk_label_set_text (GTK_LABEL (title), name != NULL ? name : text);
  gtk_label_set_text (GTK_LABEL (subtitle), name != NULL ? text : "");
  gtk_widget_set_visible (subtitle, name != NULL);
}

static void
hearth_events_page_init (HearthEventsPage *self)
{
  g_autoptr (GtkListItemFactory) device_factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkNoSelection) selection = NULL;
  GtkAdjustment *adjustment;
  const char *all_devices[] = { _ ("All devices"), NULL };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->items = g_list_store_new (HEARTH_TYPE_EVENT_ITEM);
  self->known_devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->device_names = gtk_string_list_new (all_devices);
  g_signal_connect (device_factory, "setup", G_CALLBACK (hearth_events_page_setup_device_entry),
                    self);
  g_signal_connect (device_factory, "bind", G_CALLBACK (hearth_events_page_bind_device_entry),
                    self);
  gtk_drop_down_set_factory (self->device_dropdown, device_factory);
  gtk_drop_down_set_model (self->device_dropdown, G_LIST_MODEL (self->device_names));
  gtk_drop_down_set_selected (self->device_dropdown, 0);

  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->items)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  g_signal_connect (self->device_dropdown, "notify::selected",
                    G_CALLBACK (hearth_events_page_on_device_selected), self);
  g_signal_connect (self->type_dropdown, "notify::selected",
                    G_CALLBACK (hearth_events_page_on_type_selected), self);
  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  g_signal_connect (adjustment, "value-changed",
                    G_CALLBACK (hearth_events_page_on_adjustment_changed), self);
  g_signal_connect (adjustment, "changed", G_CALLBACK (hearth_events_page_on_adjustment_changed),
                    self);

  hearth_events_page_update_empty_state (self);
}

/**
 * hearth_events_page_new:
 * @event_bus: (nullable): the bus to show live
 * @history: (nullable): the history to page through
 */
GtkWidget *
hearth_events_page_new (HearthEventBus *event_bus, HearthHistory *history)
{
  return g_object_new (HEARTH_TYPE_EVENTS_PAGE, "event-bus", event_bus, "history", history, NULL);
}

HearthEventBus *
hearth_events_page_get_event_bus (HearthEventsPage *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENTS_PAGE (self), NULL);
  return self->event_bus;
}

void
hearth_events_page_set_event_bus (HearthEventsPage *self, HearthEventBus *event_bus)
{
  g_return_if_fail (HEARTH_IS_EVENTS_PAGE (self));
  g_return_if_fail (event_bus == NULL || HEARTH_IS_EVENT_BUS (event_bus));

  if (self->event_bus == event_bus)
    return;

  if (self->event_bus != NULL)
    g_clear_signal_handler (&self->event_handler, self->event_bus);
  g_set_object (&self->event_bus, event_bus);
  if (event_bus != NULL)
    self->event_handler
        = g_signal_connect (event_bus, "event", G_CALLBACK (hearth_events_page_on_event), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENT_BUS]);
}

HearthHistory *
hearth_events_page_get_history (HearthEventsPage *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENTS_PAGE (self), NULL);
  return self->history;
}

void
hearth_events_page_set_history (HearthEventsPage *self, HearthHistory *history)
{
  g_return_if_fail (HEARTH_IS_EVENTS_PAGE (self));
  g_return_if_fail (history == NULL || HEARTH_IS_HISTORY (history));

  if (!g_set_object (&self->history, history))
    return;
  hearth_events_page_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
}

/* A device got a name, or another one (its description was read, or it was renamed): rows
 * already in the list and its entry in the device filter show the new name. */
static void
hearth_events_page_on_device_name (HearthDevice *device, GParamSpec *pspec, gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);
  const char *device_id = hearth_device_get_id (device);
  const char *name = hearth_events_page_lookup_device_name (self, device_id);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->items));
  guint n_names = g_list_model_get_n_items (G_LIST_MODEL (self->device_names));

  if (self->registry == NULL || hearth_device_registry_lookup (self->registry, device_id) != device)
    return;
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr (HearthEventItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), i);

      if (g_strcmp0 (hearth_event_item_get_device_id (item), device_id) == 0)
        {
          hearth_event_item_set_device_name (item, name);
          hearth_event_item_set_description (item, hearth_device_get_description (device));
        }
    }
  /* The drop-down binds its entries once; telling it the entry changed binds it again. */
  for (guint i = 1; i < n_names; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->device_names, i), device_id) == 0)
      g_list_model_items_changed (G_LIST_MODEL (self->device_names), i, 1, 1);
}

static void
hearth_events_page_on_devices_changed (GListModel *devices, guint position, guint removed,
                                       guint added, gpointer user_data)
{
  HearthEventsPage *self = HEARTH_EVENTS_PAGE (user_data);

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (devices, i);

      g_signal_connect_object (device, "notify::name",
                               G_CALLBACK (hearth_events_page_on_device_name), self, 0);
      /* Titles and units arrive with the description, often after the first events. */
      g_signal_connect_object (device, "notify::description",
                               G_CALLBACK (hearth_events_page_on_device_name), self, 0);
    }
}

HearthDeviceRegistry *
hearth_events_page_get_registry (HearthEventsPage *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENTS_PAGE (self), NULL);
  return self->registry;
}

/**
 * hearth_events_page_set_registry:
 * @registry: (nullable): where device names come from
 *
 * Rows made from now on name their device; the list is loaded again so that the history rows
 * do too.
 */
void
hearth_events_page_set_registry (HearthEventsPage *self, HearthDeviceRegistry *registry)
{
  g_return_if_fail (HEARTH_IS_EVENTS_PAGE (self));
  g_return_if_fail (registry == NULL || HEARTH_IS_DEVICE_REGISTRY (registry));

  if (self->registry == registry)
    return;
  if (self->registry != NULL)
    g_clear_signal_handler (&self->registry_handler, self->registry);
  g_set_object (&self->registry, registry);
  if (registry != NULL)
    {
      guint n_devices = g_list_model_get_n_items (G_LIST_MODEL (registry));

      self->registry_handler = g_signal_connect (
          registry, "items-changed", G_CALLBACK (hearth_events_page_on_devices_changed), self);
      hearth_events_page_on_devices_changed (G_LIST_MODEL (registry), 0, 0, n_devices, self);
    }
  if (self->history != NULL)
    hearth_events_page_reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTRY]);
}

/**
 * hearth_events_page_get_model:
 *
 * Returns: (transfer none): the rows the list shows, newest first, as #HearthEventItem
 */
GListModel *
hearth_events_page_get_model (HearthEventsPage *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENTS_PAGE (self), NULL);
  return G_LIST_MODEL (self->items);
}

/**
 * hearth_events_page_set_device_filter:
 * @device_id: (nullable): show only this device's events; %NULL shows all devices
 *
 * Selects the device in the page's drop-down, as a person would.
 */
void
hearth_events_page_set_device_filter (HearthEventsPage *self, const char *device_id)
{
  guint n_names;

  g_return_if_fail (HEARTH_IS_EVENTS_PAGE (self));

  if (device_id == NULL)
    {
      gtk_drop_down_set_selected (self->device_dropdown, 0);
      return;
    }
  hearth_events_page_remember_device (self, device_id);
  n_names = g_list_model_get_n_items (G_LIST_MODEL (self->device_names));
  for (guint i = 1; i < n_names; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->device_names, i), device_id) == 0)
      gtk_drop_down_set_selected (self->device_dropdown, i);
}

/**
 * hearth_events_page_set_type_filter:
 *
 * Selects the type in the page's drop-down, as a person would.
 */
void
hearth_events_page_set_type_filter (HearthEventsPage *self, HearthEventsTypeFilter filter)
{
  g_return_if_fail (HEARTH_IS_EVENTS_PAGE (self));
  g_return_if_fail (filter <= HEARTH_EVENTS_TYPE_TRUST);

  gtk_drop_down_set_selected (self->type_dropdown, filter);
}

/**
 * hearth_events_page_get_history_exhausted:
 *
 * Returns: %TRUE when every history row matching the filters is in the list
 */
gboolean
hearth_events_page_get_history_exhausted (HearthEventsPage *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENTS_PAGE (self), FALSE);
  return self->history_exhausted;
}

/**
 * hearth_events_page_get_scrolled_window:
 *
 * Returns: (transfer none): the scrolled window around the list, for tests that scroll it
 */
GtkScrolledWindow *
hearth_events_page_get_scrolled_window (HearthEventsPage *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENTS_PAGE (self), NULL);
  return self->scrolled_window;
}
