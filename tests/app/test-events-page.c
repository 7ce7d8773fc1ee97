/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "app-test-util.h"
#include "hearth-event-item.h"
#include "hearth-events-page.h"
#include "hearth-hub.h"
#include "hearth-window.h"

/* The Events page against a real event bus and a real SQLite history in a temporary data
 * directory, hosted by the main window at the panel size. */

#define HISTORY_ROWS 1000

typedef struct
{
  char *data_dir;
  HearthHistory *history;
  HearthEventBus *event_bus;
  GtkWindow *window;
  HearthEventsPage *page;
} EventsFixture;

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
events_fixture_set_up (EventsFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gboolean with_history = GPOINTER_TO_INT (user_data);

  fixture->data_dir = app_test_make_data_dir ();
  fixture->history = hearth_history_new (fixture->data_dir, NULL, &error);
  g_assert_no_error (error);
  fixture->event_bus = hearth_event_bus_new ();
  hearth_event_bus_attach_history (fixture->event_bus, fixture->history);

  /* Older rows, written straight into the history as a previous run of the hub would have:
   * one a minute, alternating between two devices and four kinds. */
  if (with_history)
    {
      gint64 start = g_get_real_time () - (gint64)(HISTORY_ROWS + 10) * 60 * G_USEC_PER_SEC;
      const char *kinds[] = { "property", "event", "online", "offline" };

      for (guint i = 0; i < HISTORY_ROWS; i++)
        {
          g_autofree char *data = g_strdup_printf ("%u", i);

          hearth_history_add_event (fixture->history, start + (gint64)i * 60 * G_USEC_PER_SEC,
                                    i % 2 == 0 ? "kitchen-light" : "hall-sensor", kinds[i % 4],
                                    i % 4 == 0 ? "brightness" : "key-down", data);
        }
      g_assert_true (hearth_history_flush (fixture->history, &error));
    }

  fixture->window = GTK_WINDOW (g_object_ref_sink (hearth_window_new (NULL)));
  gtk_window_set_default_size (fixture->window, PANEL_WIDTH, PANEL_HEIGHT);
  fixture->page = hearth_window_get_events_page (HEARTH_WINDOW (fixture->window));
  adw_view_stack_set_visible_child_name (
      hearth_window_get_view_stack (HEARTH_WINDOW (fixture->window)), "events");
  hearth_events_page_set_event_bus (fixture->page, fixture->event_bus);
  hearth_events_page_set_history (fixture->page, fixture->history);
  gtk_window_present (fixture->window);
  app_test_wait_for (app_test_is_drawn, fixture->page);
  app_test_settle ();
}

static void
events_fixture_tear_down (EventsFixture *fixture, gconstpointer user_data)
{
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->window);
  g_clear_object (&fixture->event_bus);
  g_clear_object (&fixture->history);
  app_test_remove_data_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

static HearthEventItem *
item_at (EventsFixture *fixture, guint position)
{
  GListModel *model = hearth_events_page_get_model (fixture->page);
  HearthEventItem *item = g_list_model_get_item (model, position);

  g_assert_nonnull (item);
  g_object_unref (item); /* the model keeps it */
  return item;
}

static guint
n_items (EventsFixture *fixture)
{
  return g_list_model_get_n_items (hearth_events_page_get_model (fixture->page));
}

/* Whether a label showing exactly @text is mapped somewhere under @widget: proves that a row
 * is really on screen, not only in the model. */
static gboolean
shows_label (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
      && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_label (child, text))
      return TRUE;
  return FALSE;
}

static void
test_live_events (EventsFixture *fixture, gconstpointer user_data)
{
  g_assert_cmpuint (n_items (fixture), ==, 0);
  g_assert_true (shows_label (GTK_WIDGET (fixture->page), "No Events"));

  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_ONLINE, "kitchen-light", NULL, NULL);
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "brightness", "80");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_EVENT, "piano", "key-down", "{\"key\":60}");
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "on", "true");
  publish (fixture->event_bus, HEARTH_EVENT_TRUST_CHANGED, "garage-door", "certificate-changed",
           NULL);
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_OFFLINE, "piano", NULL, NULL);
  app_test_settle ();

  /* Newest first, each with its summary, device and icon. */
  g_assert_cmpuint (n_items (fixture), ==, 6);
  g_assert_cmpstr (hearth_event_item_get_kind (item_at (fixture, 0)), ==, "offline");
  g_assert_cmpstr (hearth_event_item_get_summary (item_at (fixture, 0)), ==, "Went offline");
  g_assert_cmpstr (hearth_event_item_get_icon_name (item_at (fixture, 0)), ==,
                   "network-offline-symbolic");
  g_assert_cmpstr (hearth_event_item_get_summary (item_at (fixture, 2)), ==, "on changed to on");
  g_assert_cmpstr (hearth_event_item_get_summary (item_at (fixture, 3)), ==,
                   "key-down: {\"key\":60}");
  g_assert_cmpstr (hearth_event_item_get_device_id (item_at (fixture, 3)), ==, "piano");
  g_assert_cmpstr (hearth_event_item_get_summary (item_at (fixture, 4)), ==,
                   "brightness changed to 80");
  g_assert_cmpstr (hearth_event_item_get_kind (item_at (fixture, 5)), ==, "online");

  /* The rows are on screen, not only in the model. */
  g_assert_true (shows_label (GTK_WIDGET (fixture->page), "brightness changed to 80"));
  g_assert_true (shows_label (GTK_WIDGET (fixture->page), "key-down: {\"key\":60}"));
  g_assert_false (shows_label (GTK_WIDGET (fixture->page), "No Events"));

  /* Filter by device: only the kitchen light's three events stay, from the history the bus
   * recorded them in; the piano's next event is not added, the light's is. */
  hearth_events_page_set_device_filter (fixture->page, "kitchen-light");
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (hearth_event_item_get_device_id (item_at (fixture, i)), ==, "kitchen-light");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_EVENT, "piano", "key-up", "{\"key\":60}");
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "brightness", "20");
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 4);
  g_assert_cmpstr (hearth_event_item_get_summary (item_at (fixture, 0)), ==,
                   "brightness changed to 20");
  g_assert_false (shows_label (GTK_WIDGET (fixture->page), "key-down: {\"key\":60}"));

  /* And by type: property changes of the kitchen light. */
  hearth_events_page_set_type_filter (fixture->page, HEARTH_EVENTS_TYPE_PROPERTY);
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (hearth_event_item_get_kind (item_at (fixture, i)), ==, "property");

  /* Online and offline of every device. */
  hearth_events_page_set_device_filter (fixture->page, NULL);
  hearth_events_page_set_type_filter (fixture->page, HEARTH_EVENTS_TYPE_CONNECTIVITY);
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 2);
  g_assert_cmpstr (hearth_event_item_get_kind (item_at (fixture, 0)), ==, "offline");
  g_assert_cmpstr (hearth_event_item_get_kind (item_at (fixture, 1)), ==, "online");
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "brightness", "30");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_ONLINE, "piano", NULL, NULL);
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 3);
  g_assert_cmpstr (hearth_event_item_get_device_id (item_at (fixture, 0)), ==, "piano");

  /* Trust changes only; a filter that matches nothing says so. */
  hearth_events_page_set_type_filter (fixture->page, HEARTH_EVENTS_TYPE_TRUST);
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 1);
  g_assert_cmpstr (hearth_event_item_get_summary (item_at (fixture, 0)), ==,
                   "Presented a new key; nothing flows until you decide");
  hearth_events_page_set_device_filter (fixture->page, "piano");
  app_test_settle ();
  g_assert_cmpuint (n_items (fixture), ==, 0);
  g_assert_true (shows_label (GTK_WIDGET (fixture->page), "No events match these filters."));
}

/* Scrolls to the end until the page has loaded every history row it will load. */
static void
scroll_to_end_until_exhausted (EventsFixture *fixture)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (
      hearth_events_page_get_scrolled_window (fixture->page));
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!hearth_events_page_get_history_exhausted (fixture->page))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment)
                                                - gtk_adjustment_get_page_size (adjustment));
      app_test_settle ();
    }
}

static void
assert_newest_first_without_duplicates (EventsFixture *fixture)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < n_items (fixture); i++)
    {
      HearthEventItem *item = item_at (fixture, i);
      gint64 *id = g_new (gint64, 1);

      if (i > 0)
        g_assert_cmpint (hearth_event_item_get_time_us (item), <=,
                         hearth_event_item_get_time_us (item_at (fixture, i - 1)));
      *id = hearth_event_item_get_history_id (item);
      if (*id != 0)
        {
          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, id);
        }
      else
        g_free (id);
    }
}

static void
test_history_paging (EventsFixture *fixture, gconstpointer user_data)
{
  guint first_page = n_items (fixture);
  HearthEventItem *newest;

  /* The first page only, newest first: the row of minute 999. */
  g_assert_cmpuint (first_page, >=, 100);
  g_assert_cmpuint (first_page, <, HISTORY_ROWS);
  newest = item_at (fixture, 0);
  g_assert_cmpstr (hearth_event_item_get_data (newest), ==, "999");
  g_assert_cmpstr (hearth_event_item_get_device_id (newest), ==, "hall-sensor");
  g_assert_false (hearth_events_page_get_history_exhausted (fixture->page));

  /* Live events arrive between pages: they go on top and are not loaded again below. */
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "brightness", "42");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_OFFLINE, "hall-sensor", NULL, NULL);

  scroll_to_end_until_exhausted (fixture);
  g_assert_cmpuint (n_items (fixture), ==, HISTORY_ROWS + 2);
  g_assert_cmpstr (hearth_event_item_get_data (item_at (fixture, HISTORY_ROWS + 1)), ==, "0");
  assert_newest_first_without_duplicates (fixture);

  /* The same with filters: the hall sensor's offline rows, history (minutes 3, 7, 11, …) and
   * the live one. */
  hearth_events_page_set_device_filter (fixture->page, "hall-sensor");
  hearth_events_page_set_type_filter (fixture->page, HEARTH_EVENTS_TYPE_CONNECTIVITY);
  app_test_settle ();
  scroll_to_end_until_exhausted (fixture);
  /* Odd rows are the hall sensor's; of those, i % 4 == 3 are offline (online rows, i % 4 == 2,
   * are the kitchen light's). */
  g_assert_cmpuint (n_items (fixture), ==, HISTORY_ROWS / 4 + 1);
  for (guint i = 0; i < n_items (fixture); i++)
    {
      g_assert_cmpstr (hearth_event_item_get_device_id (item_at (fixture, i)), ==, "hall-sensor");
      g_assert_cmpstr (hearth_event_item_get_kind (item_at (fixture, i)), ==, "offline");
    }
  assert_newest_first_without_duplicates (fixture);
}

/* Rows name the device by the name the registry knows, with the id as secondary text; a device
 * the registry does not know shows by id alone. The device filter lists names too. Uses a real
 * hub (registry, bus and history) in a temporary data directory, without the network. */
static void
test_device_names (void)
{
  g_autofree char *data_dir = app_test_make_data_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHub) hub = hearth_hub_new (data_dir, 0, FALSE, NULL, &error);
  GtkWindow *window;
  HearthEventsPage *page;
  HearthDevice *device;
  GListModel *model;
  g_autoptr (HearthEventItem) named = NULL;
  g_autoptr (HearthEventItem) unnamed = NULL;

  g_assert_no_error (error);
  /* A device the hub has heard of (as discovery or add-by-address would tell it), with the
   * name from its description. */
  device = hearth_device_registry_note_address (hearth_hub_get_registry (hub), "kitchen-light",
                                                "127.0.0.1", 9, NULL, &error);
  g_assert_no_error (error);
  hearth_device_set_name (device, "Kitchen light");

  window = GTK_WINDOW (g_object_ref_sink (hearth_window_new (NULL)));
  gtk_window_set_default_size (window, PANEL_WIDTH, PANEL_HEIGHT);
  page = hearth_window_get_events_page (HEARTH_WINDOW (window));
  adw_view_stack_set_visible_child_name (hearth_window_get_view_stack (HEARTH_WINDOW (window)),
                                         "events");
  hearth_events_page_set_history (page, hearth_hub_get_history (hub));
  hearth_events_page_set_event_bus (page, hearth_hub_get_bus (hub));
  hearth_events_page_set_registry (page, hearth_hub_get_registry (hub));
  gtk_window_present (window);
  app_test_wait_for (app_test_is_drawn, page);

  publish (hearth_hub_get_bus (hub), HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "brightness",
           "80");
  publish (hearth_hub_get_bus (hub), HEARTH_EVENT_DEVICE_OFFLINE, "cellar-pump", NULL, NULL);
  app_test_settle ();

  model = hearth_events_page_get_model (page);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  unnamed = g_list_model_get_item (model, 0);
  named = g_list_model_get_item (model, 1);
  g_assert_cmpstr (hearth_event_item_get_device_name (named), ==, "Kitchen light");
  g_assert_cmpstr (hearth_event_item_get_device_title (named), ==, "Kitchen light");
  g_assert_cmpstr (hearth_event_item_get_device_id (named), ==, "kitchen-light");
  g_assert_null (hearth_event_item_get_device_name (unnamed));
  g_assert_cmpstr (hearth_event_item_get_device_title (unnamed), ==, "cellar-pump");
  /* On screen: the name, and the id beside it; the unknown device by id. */
  g_assert_true (shows_label (GTK_WIDGET (page), "Kitchen light"));
  g_assert_true (shows_label (GTK_WIDGET (page), "kitchen-light"));
  g_assert_true (shows_label (GTK_WIDGET (page), "cellar-pump"));

  /* A device that gets its name later (its description was read): the row already shown
   * follows. */
  device = hearth_device_registry_note_address (hearth_hub_get_registry (hub), "cellar-pump",
                                                "127.0.0.1", 9, NULL, &error);
  g_assert_no_error (error);
  hearth_device_set_name (device, "Cellar pump");
  app_test_settle ();
  g_assert_cmpstr (hearth_event_item_get_device_title (unnamed), ==, "Cellar pump");
  g_assert_true (shows_label (GTK_WIDGET (page), "Cellar pump"));

  /* A screenshot of a home with named devices (docs/screenshots/events.png). */
  {
    const struct
    {
      const char *id, *name;
    } home[] = { { "thermometer-1", "Living room thermometer" },
                 { "front-door-lock", "Front door" },
                 { "hall-motion", "Hall motion sensor" },
                 { "keypad", "Keypad" } };
    g_autoptr (GdkTexture) texture = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (home); i++)
      {
        device = hearth_device_registry_note_address (hearth_hub_get_registry (hub), home[i].id,
                                                      "127.0.0.1", 9, NULL, &error);
        g_assert_no_error (error);
        hearth_device_set_name (device, home[i].name);
      }
    publish (hearth_hub_get_bus (hub), HEARTH_EVENT_DEVICE_ONLINE, "thermometer-1", NULL, NULL);
    publish (hearth_hub_get_bus (hub), HEARTH_EVENT_PROPERTY_CHANGED, "thermometer-1",
             "temperature", "21.5");
    publish (hearth_hub_get_bus (hub), HEARTH_EVENT_DEVICE_EVENT, "keypad", "key-down",
             "{\"key\":60}");
    publish (hearth_hub_get_bus (hub), HEARTH_EVENT_DEVICE_EVENT, "hall-motion", "motion", NULL);
    publish (hearth_hub_get_bus (hub), HEARTH_EVENT_PROPERTY_CHANGED, "front-door-lock", "locked",
             "false");
    publish (hearth_hub_get_bus (hub), HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "on",
             "true");
    app_test_settle ();
    g_assert_true (shows_label (GTK_WIDGET (page), "Front door"));
    texture = app_test_render (GTK_WIDGET (window));
    app_test_save (texture, "events-names.png");
  }

  /* History rows get names as well: the page loaded again from the history (property changes
   * only) names every device, newest first. */
  hearth_events_page_set_type_filter (page, HEARTH_EVENTS_TYPE_PROPERTY);
  app_test_settle ();
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 4);
  {
    g_autoptr (HearthEventItem) newest = g_list_model_get_item (model, 0);
    g_autoptr (HearthEventItem) oldest = g_list_model_get_item (model, 3);

    g_assert_cmpint (hearth_event_item_get_history_id (newest), >, 0);
    g_assert_cmpstr (hearth_event_item_get_device_title (newest), ==, "Kitchen light");
    g_assert_cmpstr (hearth_event_item_get_summary (newest), ==, "on changed to on");
    g_assert_cmpstr (hearth_event_item_get_summary (oldest), ==, "brightness changed to 80");
    g_assert_cmpstr (hearth_event_item_get_device_name (oldest), ==, "Kitchen light");
  }

  /* The device filter selects by id and shows the name: the kitchen light's two property
   * changes. */
  hearth_events_page_set_device_filter (page, "kitchen-light");
  app_test_settle ();
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  hearth_events_page_set_device_filter (page, "cellar-pump");
  hearth_events_page_set_type_filter (page, HEARTH_EVENTS_TYPE_ALL);
  app_test_settle ();
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  gtk_window_destroy (window);
  g_object_unref (window);
  hearth_hub_stop (hub);
  g_clear_object (&hub);
  app_test_remove_data_dir (data_dir);
}

/* Keyset paging across runs of rows with the same time: 350 rows in one microsecond, over
 * three pages, each loaded exactly once and newest (highest row id) first, with and without a
 * device filter. */
static void
test_history_same_time (void)
{
  g_autofree char *data_dir = app_test_make_data_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHistory) history = hearth_history_new (data_dir, NULL, &error);
  gint64 moment = g_get_real_time () - (gint64)3600 * G_USEC_PER_SEC;
  GtkWindow *window;
  HearthEventsPage *page;
  GListModel *model;
  guint n_kitchen = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < 350; i++)
    {
      g_autofree char *data = g_strdup_printf ("%u", i);

      hearth_history_add_event (history, moment, i % 3 == 0 ? "kitchen-light" : "hall-sensor",
                                "property", "brightness", data);
      n_kitchen += i % 3 == 0;
    }
  g_assert_true (hearth_history_flush (history, &error));

  window = GTK_WINDOW (g_object_ref_sink (hearth_window_new (NULL)));
  gtk_window_set_default_size (window, PANEL_WIDTH, PANEL_HEIGHT);
  page = hearth_window_get_events_page (HEARTH_WINDOW (window));
  adw_view_stack_set_visible_child_name (hearth_window_get_view_stack (HEARTH_WINDOW (window)),
                                         "events");
  hearth_events_page_set_history (page, history);
  gtk_window_present (window);
  app_test_wait_for (app_test_is_drawn, page);
  model = hearth_events_page_get_model (page);

  for (guint pass = 0; pass < 2; pass++)
    {
      GtkAdjustment *adjustment
          = gtk_scrolled_window_get_vadjustment (hearth_events_page_get_scrolled_window (page));
      gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
      guint expected = pass == 0 ? 350 : n_kitchen;
      gint64 previous_id = G_MAXINT64;

      app_test_settle ();
      while (!hearth_events_page_get_history_exhausted (page))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment)
                                                    - gtk_adjustment_get_page_size (adjustment));
          app_test_settle ();
        }
      g_assert_cmpuint (g_list_model_get_n_items (model), ==, expected);
      for (guint i = 0; i < expected; i++)
        {
          g_autoptr (HearthEventItem) item = g_list_model_get_item (model, i);

          /* Strictly decreasing row ids: no row twice, none out of order. */
          g_assert_cmpint (hearth_event_item_get_history_id (item), <, previous_id);
          previous_id = hearth_event_item_get_history_id (item);
          if (pass == 1)
            g_assert_cmpstr (hearth_event_item_get_device_id (item), ==, "kitchen-light");
        }
      hearth_events_page_set_device_filter (page, "kitchen-light");
    }

  gtk_window_destroy (window);
  g_object_unref (window);
  g_clear_object (&history);
  app_test_remove_data_dir (data_dir);
}

static void
test_screenshot (EventsFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GdkTexture) texture = NULL;

  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_ONLINE, "thermometer-1", NULL, NULL);
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "thermometer-1", "temperature",
           "21.5");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_EVENT, "keypad", "key-down", "{\"key\":60}");
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "bedroom-light", "on", "true");
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_EVENT, "motion-sensor", "motion", NULL);
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "front-door-lock", "locked", "false");
  publish (fixture->event_bus, HEARTH_EVENT_TRUST_CHANGED, "garage-door", "certificate-changed",
           NULL);
  publish (fixture->event_bus, HEARTH_EVENT_DEVICE_OFFLINE, "hall-sensor", NULL, NULL);
  publish (fixture->event_bus, HEARTH_EVENT_PROPERTY_CHANGED, "kitchen-light", "brightness", "80");
  app_test_settle ();

  /* Watching the top of the list, the newest event is in view. */
  g_assert_true (shows_label (GTK_WIDGET (fixture->page), "brightness changed to 80"));
  texture = app_test_render (GTK_WIDGET (fixture->window));
  app_test_save (texture, "events.png");
}

static HearthDescription *
load_golden_description (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("HEARTH_SOURCE_DIR"), "tests", "data",
                                            "protocol", "descriptions", name, NULL);
  g_autofree char *data = NULL;
  gsize length = 0;
  HearthDescription *description;

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  description = hearth_description_parse (data, length, &error);
  g_assert_no_error (error);
  return description;
}

static HearthEventItem *
make_history_item (const char *kind, const char *name, const char *data_json)
{
  HearthHistoryEvent row = { .id = 1,
                             .time_us = g_get_real_time (),
                             .device_id = (char *)"device-1",
                             .kind = (char *)kind,
                             .name = (char *)name,
                             .data = (char *)data_json };

  return hearth_event_item_new_from_history (&row);
}

/* With the device's description, rows say what a person reads on the device page: titles,
 * units, yes/no for read-outs; without it, the names the device sent. */
static void
test_titles_and_units (void)
{
  g_autoptr (HearthDescription) light = load_golden_description ("light.json");
  g_autoptr (HearthDescription) motion = load_golden_description ("motion.json");
  g_autoptr (HearthEventItem) brightness = make_history_item ("property", "brightness", "80");
  g_autoptr (HearthEventItem) power = make_history_item ("property", "on", "true");
  g_autoptr (HearthEventItem) seen = make_history_item ("property", "motion", "true");
  g_autoptr (HearthEventItem) detected = make_history_item ("event", "motion", "{\"strength\":40}");
  g_autoptr (HearthEventItem) unknown = make_history_item ("property", "mystery", "1");

  g_assert_cmpstr (hearth_event_item_get_summary (brightness), ==, "brightness changed to 80");
  hearth_event_item_set_description (brightness, light);
  g_assert_cmpstr (hearth_event_item_get_summary (brightness), ==, "Brightness changed to 80 %");
  hearth_event_item_set_description (power, light);
  g_assert_cmpstr (hearth_event_item_get_summary (power), ==, "Power changed to on");
  hearth_event_item_set_description (seen, motion);
  g_assert_cmpstr (hearth_event_item_get_summary (seen), ==, "Motion changed to yes");
  hearth_event_item_set_description (detected, motion);
  g_assert_cmpstr (hearth_event_item_get_summary (detected), ==,
                   "Motion detected: {\"strength\":40}");
  {
    g_autoptr (HearthDescription) thermometer = load_golden_description ("thermometer.json");
    g_autoptr (HearthEventItem) warmer = make_history_item ("property", "temperature", "21.3");

    /* A history row written by an older Hearth holds json-glib's 17 digits. */
    g_autoptr (HearthEventItem) older
        = make_history_item ("property", "temperature", "21.300000000000001");

    hearth_event_item_set_description (warmer, thermometer);
    g_assert_cmpstr (hearth_event_item_get_summary (warmer), ==, "Temperature changed to 21.3 °C");
    hearth_event_item_set_description (older, thermometer);
    g_assert_cmpstr (hearth_event_item_get_summary (older), ==, "Temperature changed to 21.3 °C");
  }
  hearth_event_item_set_description (unknown, light);
  g_assert_cmpstr (hearth_event_item_get_summary (unknown), ==, "mystery changed to 1");
  /* Losing the description goes back to the device's names. */
  hearth_event_item_set_description (brightness, NULL);
  g_assert_cmpstr (hearth_event_item_get_summary (brightness), ==, "brightness changed to 80");
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/app/events-page/live", EventsFixture, GINT_TO_POINTER (FALSE),
              events_fixture_set_up, test_live_events, events_fixture_tear_down);
  g_test_add ("/app/events-page/history-paging", EventsFixture, GINT_TO_POINTER (TRUE),
              events_fixture_set_up, test_history_paging, events_fixture_tear_down);
  g_test_add_func ("/app/events-page/device-names", test_device_names);
  g_test_add_func ("/app/events-page/titles-and-units", test_titles_and_units);
  g_test_add_func ("/app/events-page/history-same-time", test_history_same_time);
  g_test_add ("/app/events-page/screenshot", EventsFixture, GINT_TO_POINTER (FALSE),
              events_fixture_set_up, test_screenshot, events_fixture_tear_down);
  return g_test_run ();
}
