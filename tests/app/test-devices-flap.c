/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-devices-flap"

/* The Devices page's filter panel (an AdwFlap, issue 4 items 1 and 2): beside the grid on a
 * 1280×800 desktop, folded away on the 800×480 and 1024×600 touch panels; the button beside the
 * search reveals it and says how many filters are active; choosing a row filters the grid and,
 * when folded, closes the panel; every row counts the devices it would show, for a known set of
 * real HearthDevices (golden descriptions from tests/data/protocol), and the counts follow a
 * device going offline as the hub reports it on the event bus. In kiosk mode the rows are touch
 * targets of 48 px. Renders devices-flap-1280x800.png and devices-flap-800x480-revealed.png into
 * this directory. */

#include "app-test-util.h"
#include "hearth-device-tile.h"
#include "hearth-devices-page.h"

#define TOUCH_TARGET_PX 48

typedef struct
{
  char *dir;
  HearthHistory *history;
  HearthEventBus *bus;
  GListStore *devices;
  GtkWidget *window;
  HearthDevicesPage *page;
} Fixture;

/* A small home: what each device is (a golden description, or none: "Other"), its state and
 * area. */
static const struct
{
  const char *id;
  const char *name;
  const char *description;
  HearthDeviceState state;
  const char *area;
} home[] = {
  { "lamp-1", "Lamp 1", "light.json", HEARTH_DEVICE_STATE_ONLINE, "Kitchen" },
  { "lamp-2", "Lamp 2", "light.json", HEARTH_DEVICE_STATE_ONLINE, "Kitchen" },
  { "lamp-3", "Lamp 3", "light.json", HEARTH_DEVICE_STATE_ONLINE, "Hallway" },
  { "lamp-4", "Lamp 4", "light.json", HEARTH_DEVICE_STATE_OFFLINE, NULL },
  { "switch-1", "Fan Switch", "switch.json", HEARTH_DEVICE_STATE_ONLINE, "Kitchen" },
  { "switch-2", "Hall Switch", "switch.json", HEARTH_DEVICE_STATE_ONLINE, "Hallway" },
  { "thermo-1", "Thermometer", "thermometer.json", HEARTH_DEVICE_STATE_OFFLINE, "Kitchen" },
  { "lock-1", "Front Door", "lock.json", HEARTH_DEVICE_STATE_BLOCKED, "Hallway" },
  { "motion-1", "Motion Sensor", "motion.json", HEARTH_DEVICE_STATE_NEW, NULL },
  { "keypad-1", "Keypad", "keypad.json", HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED, "Hallway" },
  { "gadget-1", "Gadget", NULL, HEARTH_DEVICE_STATE_ONLINE, "Attic" },
};

static HearthDescription *
load_description (const char *file)
{
  g_autofree char *path = g_build_filename (g_getenv ("HEARTH_SOURCE_DIR"), "tests", "data",
                                            "protocol", "descriptions", file, NULL);

  return app_test_load_description (path);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *overlay;

  fixture->dir = app_test_make_data_dir ();
  fixture->history = hearth_history_new (fixture->dir, NULL, &error);
  g_assert_no_error (error);
  fixture->bus = hearth_event_bus_new ();
  fixture->devices = g_list_store_new (HEARTH_TYPE_DEVICE);
  for (guint i = 0; i < G_N_ELEMENTS (home); i++)
    {
      g_autoptr (HearthDevice) device = hearth_device_new (home[i].id);

      hearth_device_set_name (device, home[i].name);
      if (home[i].description != NULL)
        {
          g_autoptr (HearthDescription) description = load_description (home[i].description);

          hearth_device_set_description (device, description);
        }
      hearth_device_set_state (device, home[i].state);
      hearth_device_set_area (device, home[i].area);
      g_list_store_append (fixture->devices, device);
    }

  fixture->window = g_object_ref_sink (gtk_window_new ());
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), PANEL_WIDTH, PANEL_HEIGHT);
  overlay = adw_toast_overlay_new ();
  fixture->page = HEARTH_DEVICES_PAGE (hearth_devices_page_new (
      G_LIST_MODEL (fixture->devices), NULL, NULL, fixture->history, fixture->bus, NULL));
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (fixture->page));
  gtk_window_set_child (GTK_WINDOW (fixture->window), overlay);
  gtk_window_present (GTK_WINDOW (fixture->window));
  app_test_wait_for (app_test_is_drawn, fixture->page);
  app_test_settle ();
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->window);
  g_clear_object (&fixture->devices);
  g_clear_object (&fixture->bus);
  g_clear_object (&fixture->history);
  app_test_settle ();
  app_test_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
}

typedef struct
{
  GtkWidget *widget;
  int width;
} WidthWanted;

static gboolean
has_width (gpointer data)
{
  WidthWanted *wanted = data;

  return gtk_widget_get_width (wanted->widget) == wanted->width;
}

/* Sizes the window as a panel or desktop of @width × @height and waits for the page to take
 * that size and for the panel to finish folding or unfolding. */
static void
resize (Fixture *fixture, int width, int height)
{
  WidthWanted wanted = { GTK_WIDGET (fixture->page), width };

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), width, height);
  app_test_wait_for (has_width, &wanted);
  app_test_settle ();
  app_test_settle ();
}

static gboolean
flap_is_settled (gpointer data)
{
  AdwFlap *flap = data;
  double progress = adw_flap_get_reveal_progress (flap);

  return adw_flap_get_reveal_flap (flap) ? progress >= 1.0 : progress <= 0.0;
}

static GtkListBox *
filter_list (Fixture *fixture, HearthDevicesFilter filter)
{
  return hearth_devices_page_get_filter_list (fixture->page, filter);
}

/* Each row's count, joined with " ", e.g. "11 6 2 1 1 1". */
static char *
counts (Fixture *fixture, HearthDevicesFilter filter)
{
  GListModel *entries = hearth_devices_page_get_filter_entries (fixture->page, filter);
  g_autoptr (GString) joined = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (entries); i++)
    g_string_append_printf (joined, "%s%u", i > 0 ? " " : "",
                            hearth_devices_page_get_filter_count (fixture->page, filter, i));
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

#define assert_counts(fixture, filter, expected)                                                   \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *actual = counts ((fixture), (filter));                                        \
    g_assert_cmpstr (actual, ==, (expected));                                                      \
  }                                                                                                \
  G_STMT_END

/* The text of the labels in @row, joined with " ": what a user reads ("Online 6"). */
static char *
row_text (GtkListBoxRow *row)
{
  GtkWidget *box = gtk_list_box_row_get_child (row);
  g_autoptr (GString) joined = g_string_new (NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LABEL (child))
      g_string_append_printf (joined, "%s%s", joined->len > 0 ? " " : "",
                              gtk_label_get_text (GTK_LABEL (child)));
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

/* Chooses a row as a user does (a tap or Enter on it): the list selects and activates it. */
static void
choose (Fixture *fixture, HearthDevicesFilter filter, guint position)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (filter_list (fixture, filter), (int)position);

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_activate (GTK_WIDGET (row)));
}

static gboolean
is_left_of (GtkWidget *first, GtkWidget *second)
{
  graphene_rect_t first_bounds, second_bounds;
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (first));

  g_assert_true (gtk_widget_compute_bounds (first, root, &first_bounds));
  g_assert_true (gtk_widget_compute_bounds (second, root, &second_bounds));
  return first_bounds.origin.x + first_bounds.size.width <= second_bounds.origin.x;
}

/* Folded on both touch panels, beside the grid on the desktop, and folded again when the
 * window shrinks. */
static void
test_folding (Fixture *fixture, gconstpointer user_data)
{
  AdwFlap *flap = hearth_devices_page_get_filter_flap (fixture->page);
  GtkWidget *state_list = GTK_WIDGET (filter_list (fixture, HEARTH_DEVICES_FILTER_STATE));
  GtkGridView *grid = hearth_devices_page_get_grid_view (fixture->page);

  g_assert_true (adw_flap_get_swipe_to_open (flap));
  g_assert_true (adw_flap_get_swipe_to_close (flap));

  /* 800×480: folded and hidden; the grid has the whole width. */
  g_assert_true (adw_flap_get_folded (flap));
  g_assert_false (adw_flap_get_reveal_flap (flap));
  g_assert_false (gtk_widget_get_mapped (state_list));
  g_assert_false (
      gtk_toggle_button_get_active (hearth_devices_page_get_filter_button (fixture->page)));
  g_assert_cmpuint (gtk_grid_view_get_max_columns (grid), ==,
                    PANEL_WIDTH / HEARTH_DEVICE_TILE_WIDTH);

  resize (fixture, 1024, 600);
  g_assert_true (adw_flap_get_folded (flap));
  g_assert_false (adw_flap_get_reveal_flap (flap));
  g_assert_false (gtk_widget_get_mapped (state_list));

  /* 1280×800: beside the grid, revealed, and the button shows it is. */
  resize (fixture, 1280, 800);
  app_test_wait_for (flap_is_settled, flap);
  g_assert_false (adw_flap_get_folded (flap));
  g_assert_true (adw_flap_get_reveal_flap (flap));
  g_assert_true (
      gtk_toggle_button_get_active (hearth_devices_page_get_filter_button (fixture->page)));
  g_assert_true (gtk_widget_get_mapped (state_list));
  g_assert_true (is_left_of (state_list, GTK_WIDGET (grid)));
  /* The grid keeps at least five columns beside the panel, and binds no more than fit. */
  g_assert_cmpuint (gtk_grid_view_get_max_columns (grid), ==, 5);
  {
    g_autoptr (GdkTexture) texture = app_test_render_when_still (fixture->window);

    app_test_save (texture, "devices-flap-1280x800.png");
  }

  /* On the desktop the button hides the panel and the grid gets the width back. */
  gtk_toggle_button_set_active (hearth_devices_page_get_filter_button (fixture->page), FALSE);
  app_test_wait_for (flap_is_settled, flap);
  app_test_settle ();
  g_assert_false (gtk_widget_get_mapped (state_list));
  g_assert_cmpuint (gtk_grid_view_get_max_columns (grid), ==, 1280 / HEARTH_DEVICE_TILE_WIDTH);
  gtk_toggle_button_set_active (hearth_devices_page_get_filter_button (fixture->page), TRUE);
  app_test_wait_for (flap_is_settled, flap);

  /* Choosing a row beside the grid leaves the panel where it is. */
  choose (fixture, HEARTH_DEVICES_FILTER_TYPE, 1);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 4);
  g_assert_true (adw_flap_get_reveal_flap (flap));
  choose (fixture, HEARTH_DEVICES_FILTER_TYPE, 0);

  /* Back to the small panel: folded and out of the way. */
  resize (fixture, PANEL_WIDTH, PANEL_HEIGHT);
  app_test_wait_for (flap_is_settled, flap);
  g_assert_true (adw_flap_get_folded (flap));
  g_assert_false (adw_flap_get_reveal_flap (flap));
  g_assert_false (gtk_widget_get_mapped (state_list));
}

/* The button reveals the folded panel over the grid; choosing a row filters and closes it; the
 * button then says that a filter is active. */
static void
test_toggle_and_choose (Fixture *fixture, gconstpointer user_data)
{
  AdwFlap *flap = hearth_devices_page_get_filter_flap (fixture->page);
  GtkToggleButton *button = hearth_devices_page_get_filter_button (fixture->page);
  GtkWidget *state_list = GTK_WIDGET (filter_list (fixture, HEARTH_DEVICES_FILTER_STATE));
  GtkWidget *grid = GTK_WIDGET (hearth_devices_page_get_grid_view (fixture->page));
  int grid_width;

  g_assert_true (adw_flap_get_folded (flap));
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, G_N_ELEMENTS (home));
  g_assert_cmpuint (hearth_devices_page_get_n_active_filters (fixture->page), ==, 0);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (button), "filters-active"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (button)), ==, "Filters");

  grid_width = gtk_widget_get_width (grid);
  g_assert_cmpint (grid_width, >, PANEL_WIDTH / 2);
  gtk_toggle_button_set_active (button, TRUE);
  app_test_wait_for (flap_is_settled, flap);
  g_assert_true (adw_flap_get_reveal_flap (flap));
  g_assert_true (gtk_widget_get_mapped (state_list));
  /* The keyboard focus is in the panel, on the chosen State row. */
  g_assert_true (gtk_root_get_focus (GTK_ROOT (fixture->window))
                 == GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (state_list), 0)));
  /* It overlays the grid: the grid keeps its width. */
  g_assert_cmpint (gtk_widget_get_width (grid), ==, grid_width);
  {
    g_autoptr (GdkTexture) texture = app_test_render_when_still (fixture->window);

    app_test_save (texture, "devices-flap-800x480-revealed.png");
  }

  /* "Offline": two devices, and the panel closes. */
  choose (fixture, HEARTH_DEVICES_FILTER_STATE, 2);
  g_assert_cmpuint (
      hearth_devices_page_get_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_STATE), ==, 2);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 2);
  g_assert_false (adw_flap_get_reveal_flap (flap));
  g_assert_false (gtk_toggle_button_get_active (button));
  app_test_wait_for (flap_is_settled, flap);
  app_test_settle ();
  g_assert_false (gtk_widget_get_mapped (state_list));
  /* The focus went back to the button, not lost in the hidden panel. */
  g_assert_true (gtk_root_get_focus (GTK_ROOT (fixture->window)) == GTK_WIDGET (button));

  /* The closed panel's choice shows on the button. */
  g_assert_cmpuint (hearth_devices_page_get_n_active_filters (fixture->page), ==, 1);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (button), "filters-active"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (button)), ==, "Filters (1 active)");

  /* A second section, through the swipe-free path (the button again). */
  gtk_toggle_button_set_active (button, TRUE);
  app_test_wait_for (flap_is_settled, flap);
  choose (fixture, HEARTH_DEVICES_FILTER_AREA, 3); /* All areas|Attic|Hallway|Kitchen|No area */
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 1);
  g_assert_cmpstr (hearth_device_get_id (hearth_devices_page_get_shown_device (fixture->page, 0)),
                   ==, "thermo-1");
  g_assert_false (adw_flap_get_reveal_flap (flap));
  g_assert_cmpuint (hearth_devices_page_get_n_active_filters (fixture->page), ==, 2);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (button)), ==, "Filters (2 active)");
  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render_when_still (fixture->window);

    app_test_save (texture, "devices-flap-800x480-filtered.png");
  }

  /* Back to all: no indication left. */
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_STATE, 0);
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_AREA, 0);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, G_N_ELEMENTS (home));
  g_assert_cmpuint (hearth_devices_page_get_n_active_filters (fixture->page), ==, 0);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (button), "filters-active"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (button)), ==, "Filters");
}

/* Every row counts what it would show: the search and the other sections apply, the section's
 * own choice does not. A device going offline moves between the counts once the main loop has
 * turned, not during the bus's signal. */
static void
test_counts (Fixture *fixture, gconstpointer user_data)
{
  GListModel *areas
      = hearth_devices_page_get_filter_entries (fixture->page, HEARTH_DEVICES_FILTER_AREA);
  GtkListBox *state_list = filter_list (fixture, HEARTH_DEVICES_FILTER_STATE);

  g_assert_cmpuint (g_list_model_get_n_items (areas), ==, 5);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (areas), 3), ==, "Kitchen");

  /* No filter: the plain numbers. States: all, online, offline, key changed, blocked, new.
   * Types: all, lights, switches, keypads, thermometers, motion sensors, locks, other. Areas:
   * all, Attic, Hallway, Kitchen, no area. */
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "11 6 2 1 1 1");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_TYPE, "11 4 2 1 1 1 1 1");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "11 1 4 4 2");
  {
    g_autofree char *text = row_text (gtk_list_box_get_row_at_index (state_list, 1));

    g_assert_cmpstr (text, ==, "Online 6");
  }

  /* Online: the State rows stay, Type and Area count the online devices. */
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_STATE, 1);
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 6);
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "11 6 2 1 1 1");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_TYPE, "6 3 2 0 0 0 0 1");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "6 1 2 3 0");

  /* And in the Kitchen: State counts the Kitchen, Type the online Kitchen. */
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_AREA, 3);
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 3);
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "4 3 1 0 0 0");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_TYPE, "3 2 1 0 0 0 0 0");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "6 1 2 3 0");

  /* The search narrows every count. */
  {
    GtkEditable *entry = hearth_devices_page_get_search_entry (fixture->page);

    gtk_editable_set_text (entry, "lamp");
    /* GtkSearchEntry reports typing after a pause; the test does not wait for it. */
    g_signal_emit_by_name (entry, "search-changed");
    app_test_settle ();
    g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 2);
    assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "2 2 0 0 0 0");
    assert_counts (fixture, HEARTH_DEVICES_FILTER_TYPE, "2 2 0 0 0 0 0 0");
    assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "3 0 1 2 0");
    gtk_editable_set_text (entry, "");
    g_signal_emit_by_name (entry, "search-changed");
    app_test_settle ();
  }

  /* Lamp 1 goes offline, as the hub reports it. */
  {
    g_autoptr (HearthDevice) lamp = g_list_model_get_item (G_LIST_MODEL (fixture->devices), 0);
    g_autoptr (HearthEvent) event = NULL;

    g_assert_cmpstr (hearth_device_get_id (lamp), ==, "lamp-1");
    hearth_device_set_state (lamp, HEARTH_DEVICE_STATE_OFFLINE);
    event = hearth_event_new (HEARTH_EVENT_DEVICE_OFFLINE, HEARTH_EVENT_SOURCE_HUB, "lamp-1", NULL,
                              NULL, -1);
    hearth_event_bus_publish (fixture->bus, event);
  }
  /* Not while the bus's signal runs ... */
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "4 3 1 0 0 0");
  /* ... but once the main loop turns: the grid and the counts agree. */
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 2);
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "4 2 2 0 0 0");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_TYPE, "2 1 1 0 0 0 0 0");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "5 1 2 2 0");
  {
    g_autofree char *text = row_text (gtk_list_box_get_row_at_index (state_list, 2));

    g_assert_cmpstr (text, ==, "Offline 2");
  }

  /* A device joins the home in a new area: the list and the counts follow. */
  {
    g_autoptr (HearthDevice) device = hearth_device_new ("lamp-5");

    hearth_device_set_name (device, "Lamp 5");
    hearth_device_set_state (device, HEARTH_DEVICE_STATE_ONLINE);
    hearth_device_set_area (device, "Garden");
    g_list_store_append (fixture->devices, device);
  }
  app_test_settle ();
  g_assert_cmpuint (g_list_model_get_n_items (areas), ==, 6);
  /* Kitchen stays chosen, now at 4: All areas|Attic|Garden|Hallway|Kitchen|No area. */
  g_assert_cmpuint (
      hearth_devices_page_get_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_AREA), ==, 4);
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "6 1 1 2 2 0");
}

/* Filters that hide every device say so, rather than that there are no devices. */
static void
test_no_match (Fixture *fixture, gconstpointer user_data)
{
  GtkWidget *status;

  g_assert_null (app_test_find_mapped (GTK_WIDGET (fixture->page), ADW_TYPE_STATUS_PAGE));
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_STATE, 3);
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_TYPE, 1);
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 0);
  status = app_test_find_mapped (GTK_WIDGET (fixture->page), ADW_TYPE_STATUS_PAGE);
  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "No Matching Devices");

  /* Without devices at all, the page explains where they come from. */
  g_list_store_remove_all (fixture->devices);
  app_test_settle ();
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "No Devices");
}

/* The grid orders names as a person counts: "Lamp 2" before "Lamp 10", letters by the
 * locale's collation, case aside (the tests run in the C locale, where collation alone is by
 * byte and puts "lamp 2" after "Lamp 3"). */
static void
test_name_order (Fixture *fixture, gconstpointer user_data)
{
  const char *names[] = { "Lamp 10", "lamp 2", "Lamp 1", "Lamp 20", "Lamp 3" };
  const char *expected[] = { "Lamp 1", "lamp 2", "Lamp 3", "Lamp 10", "Lamp 20" };

  g_list_store_remove_all (fixture->devices);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *id = g_strdup_printf ("lamp-%u", i);
      g_autoptr (HearthDevice) device = hearth_device_new (id);

      hearth_device_set_name (device, names[i]);
      g_list_store_append (fixture->devices, device);
    }
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (
        hearth_device_get_name (hearth_devices_page_get_shown_device (fixture->page, i)), ==,
        expected[i]);
}

/* A thousand devices: one burst of them all going offline is counted once the main loop turns,
 * and the counts are right. */
static void
test_counts_thousand (Fixture *fixture, gconstpointer user_data)
{
  const guint n_devices = 1000;
  gint64 start;

  g_list_store_remove_all (fixture->devices);
  for (guint i = 0; i < n_devices; i++)
    {
      g_autofree char *id = g_strdup_printf ("sim-%04u", i);
      g_autoptr (HearthDevice) device = hearth_device_new (id);

      hearth_device_set_state (device, HEARTH_DEVICE_STATE_ONLINE);
      hearth_device_set_area (device, i % 2 == 0 ? "Kitchen" : NULL);
      g_list_store_append (fixture->devices, device);
    }
  app_test_settle ();
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "1000 1000 0 0 0 0");
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "1000 500 500");

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_devices; i += 2)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (G_LIST_MODEL (fixture->devices), i);
      g_autoptr (HearthEvent) event = NULL;

      hearth_device_set_state (device, HEARTH_DEVICE_STATE_OFFLINE);
      event = hearth_event_new (HEARTH_EVENT_DEVICE_OFFLINE, HEARTH_EVENT_SOURCE_HUB,
                                hearth_device_get_id (device), NULL, NULL, -1);
      hearth_event_bus_publish (fixture->bus, event);
    }
  g_test_message ("500 offline events published in %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "1000 1000 0 0 0 0");
  app_test_settle ();
  assert_counts (fixture, HEARTH_DEVICES_FILTER_STATE, "1000 500 500 0 0 0");
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_STATE, 2);
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 500);
  assert_counts (fixture, HEARTH_DEVICES_FILTER_AREA, "500 500 0");
}

/* In kiosk mode every row of the panel is a 48 px touch target, as the button is. */
static void
test_kiosk_touch_targets (Fixture *fixture, gconstpointer user_data)
{
  AdwFlap *flap = hearth_devices_page_get_filter_flap (fixture->page);
  GtkWidget *button = GTK_WIDGET (hearth_devices_page_get_filter_button (fixture->page));
  const HearthDevicesFilter filters[]
      = { HEARTH_DEVICES_FILTER_STATE, HEARTH_DEVICES_FILTER_TYPE, HEARTH_DEVICES_FILTER_AREA };
  guint n_rows = 0;

  gtk_widget_add_css_class (fixture->window, "kiosk");
  adw_flap_set_reveal_flap (flap, TRUE);
  app_test_wait_for (flap_is_settled, flap);
  app_test_settle ();
  g_assert_cmpint (gtk_widget_get_width (button), >=, TOUCH_TARGET_PX);
  g_assert_cmpint (gtk_widget_get_height (button), >=, TOUCH_TARGET_PX);
  for (guint f = 0; f < G_N_ELEMENTS (filters); f++)
    {
      GtkListBox *list = filter_list (fixture, filters[f]);
      GtkListBoxRow *row;

      for (int i = 0; (row = gtk_list_box_get_row_at_index (list, i)) != NULL; i++)
        {
          g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (row)), >=, TOUCH_TARGET_PX);
          g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (row)), >=, TOUCH_TARGET_PX);
          n_rows++;
        }
    }
  g_assert_cmpuint (n_rows, ==, 6 + 8 + 5);
  {
    g_autoptr (GdkTexture) texture = app_test_render_when_still (fixture->window);

    app_test_save (texture, "devices-flap-kiosk-800x480.png");
  }
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/app/devices-flap/folding", Fixture, NULL, fixture_set_up, test_folding,
              fixture_tear_down);
  g_test_add ("/app/devices-flap/toggle-and-choose", Fixture, NULL, fixture_set_up,
              test_toggle_and_choose, fixture_tear_down);
  g_test_add ("/app/devices-flap/counts", Fixture, NULL, fixture_set_up, test_counts,
              fixture_tear_down);
  g_test_add ("/app/devices-flap/no-match", Fixture, NULL, fixture_set_up, test_no_match,
              fixture_tear_down);
  g_test_add ("/app/devices-page/name-order", Fixture, NULL, fixture_set_up, test_name_order,
              fixture_tear_down);
  g_test_add ("/app/devices-flap/counts-thousand", Fixture, NULL, fixture_set_up,
              test_counts_thousand, fixture_tear_down);
  g_test_add ("/app/devices-flap/kiosk-touch-targets", Fixture, NULL, fixture_set_up,
              test_kiosk_touch_targets, fixture_tear_down);
  return g_test_run ();
}
