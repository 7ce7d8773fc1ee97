/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-devices-filter"

/* The Devices page's area filter (issue 4, item 2: "filter by state, area or type") with a real
 * HearthHub: devices pinned in its trust store, put in areas through
 * hearth_trust_store_set_area(), listed by the hub's registry as HearthDevices whose "area"
 * follows the pins. The filter panel's Area list shows the areas in use, sorted, between "All
 * areas" and "No area", and follows changes; the filter combines with the search (which also matches the area)
 * and with the state filter; the user's choice survives a change of the list. The device
 * page's Area row sets the area through the trust store. Renders devices-area-filter.png and
 * device-page-area.png into this directory. */

#include "app-test-util.h"
#include "hearth-devices-page.h"
#include "hearth-hub.h"

typedef struct
{
  char *dir;
  HearthHub *hub;
  HearthTrustStore *trust_store;
  GtkWidget *window;
  HearthDevicesPage *page;
} Fixture;

static const struct
{
  const char *id;
  const char *name;
  const char *area;
} pinned_devices[] = {
  { "lamp-1", "Desk Lamp", "Kitchen" },  { "lamp-2", "Ceiling Light", "Hallway" },
  { "lamp-3", "Porch Lamp", NULL },      { "thermo-1", "Thermometer", "Kitchen" },
  { "lock-1", "Front Door", "Hallway" },
};

static void
set_area (Fixture *fixture, const char *device_id, const char *area)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (hearth_trust_store_set_area (fixture->trust_store, device_id, area, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *hub_dir = NULL;
  GtkWidget *overlay;

  fixture->dir = app_test_make_data_dir ();
  hub_dir = g_build_filename (fixture->dir, "hub", NULL);
  /* No discovery, and the pinned devices have no address: nothing leaves this process. */
  fixture->hub = hearth_hub_new (hub_dir, 0, FALSE, NULL, &error);
  g_assert_no_error (error);
  fixture->trust_store = hearth_hub_get_trust_store (fixture->hub);

  for (guint i = 0; i < G_N_ELEMENTS (pinned_devices); i++)
    {
      g_autofree char *fingerprint
          = g_compute_checksum_for_string (G_CHECKSUM_SHA256, pinned_devices[i].id, -1);

      g_assert_true (hearth_trust_store_pin (fixture->trust_store, pinned_devices[i].id,
                                             fingerprint, pinned_devices[i].name, &error));
      g_assert_no_error (error);
      if (pinned_devices[i].area != NULL)
        set_area (fixture, pinned_devices[i].id, pinned_devices[i].area);
    }

  fixture->window = g_object_ref_sink (gtk_window_new ());
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), PANEL_WIDTH, PANEL_HEIGHT);
  overlay = adw_toast_overlay_new ();
  fixture->page = HEARTH_DEVICES_PAGE (hearth_devices_page_new (
      NULL, hearth_hub_get_registry (fixture->hub), fixture->trust_store,
      hearth_hub_get_history (fixture->hub), hearth_hub_get_bus (fixture->hub), NULL));
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (fixture->page));
  gtk_window_set_child (GTK_WINDOW (fixture->window), overlay);
  gtk_window_present (GTK_WINDOW (fixture->window));
  app_test_settle ();
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->window);
  hearth_hub_stop (fixture->hub);
  g_clear_object (&fixture->hub);
  app_test_settle ();
  app_test_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
}

/* The Area list's entries joined with "|", e.g. "All areas|Hallway|Kitchen|No area". */
static char *
area_entries (Fixture *fixture)
{
  GListModel *model
      = hearth_devices_page_get_filter_entries (fixture->page, HEARTH_DEVICES_FILTER_AREA);
  GtkListBox *list
      = hearth_devices_page_get_filter_list (fixture->page, HEARTH_DEVICES_FILTER_AREA);
  g_autoptr (GString) joined = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_string_append_printf (joined, "%s%s", i > 0 ? "|" : "",
                            gtk_string_list_get_string (GTK_STRING_LIST (model), i));
  /* The panel shows one row per entry. */
  g_assert_nonnull (
      gtk_list_box_get_row_at_index (list, (int)g_list_model_get_n_items (model) - 1));
  g_assert_null (gtk_list_box_get_row_at_index (list, (int)g_list_model_get_n_items (model)));
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

/* The ids of the tiles shown, sorted by name as the grid is, joined with " ". */
static char *
shown_ids (Fixture *fixture)
{
  g_autoptr (GString) joined = g_string_new (NULL);

  for (guint i = 0; i < hearth_devices_page_get_n_shown (fixture->page); i++)
    g_string_append_printf (
        joined, "%s%s", i > 0 ? " " : "",
        hearth_device_get_id (hearth_devices_page_get_shown_device (fixture->page, i)));
  return g_string_free (g_steal_pointer (&joined), FALSE);
}

static void
select_area (Fixture *fixture, guint position)
{
  hearth_devices_page_set_filter_selected (fixture->page, HEARTH_DEVICES_FILTER_AREA, position);
  app_test_settle ();
}

static void
search (Fixture *fixture, const char *text)
{
  GtkEditable *entry = hearth_devices_page_get_search_entry (fixture->page);

  gtk_editable_set_text (entry, text);
  /* GtkSearchEntry reports typing after a pause; the test does not wait for it. */
  g_signal_emit_by_name (entry, "search-changed");
  app_test_settle ();
}

static gboolean
flap_is_revealed (gpointer data)
{
  return adw_flap_get_reveal_progress (data) >= 1.0;
}

#define assert_strings(actual_expression, expected)                                                \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *actual = (actual_expression);                                                 \
    g_assert_cmpstr (actual, ==, (expected));                                                      \
  }                                                                                                \
  G_STMT_END

static HearthDevice *
registry_device (Fixture *fixture, const char *device_id)
{
  GListModel *registry = G_LIST_MODEL (hearth_hub_get_registry (fixture->hub));

  for (guint i = 0; i < g_list_model_get_n_items (registry); i++)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (registry, i);

      if (g_str_equal (hearth_device_get_id (device), device_id))
        return device;
    }
  return NULL;
}

/* The registry mirrors each pin's area on its HearthDevice, and follows changes. */
static void
test_registry_mirrors_area (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (hearth_device_get_area (registry_device (fixture, "lamp-1")), ==, "Kitchen");
  g_assert_null (hearth_device_get_area (registry_device (fixture, "lamp-3")));
  set_area (fixture, "lamp-3", "Porch");
  g_assert_cmpstr (hearth_device_get_area (registry_device (fixture, "lamp-3")), ==, "Porch");
  set_area (fixture, "lamp-3", NULL);
  g_assert_null (hearth_device_get_area (registry_device (fixture, "lamp-3")));

  /* Forgotten, the device is new again and has no area. */
  g_assert_true (hearth_trust_store_forget (fixture->trust_store, "lamp-1", &error));
  g_assert_no_error (error);
  g_assert_null (hearth_device_get_area (registry_device (fixture, "lamp-1")));
}

static void
test_area_filter (Fixture *fixture, gconstpointer user_data)
{
  HearthDevicesPage *page = fixture->page;

  /* Sorted areas in use, between "All areas" and "No area"; all devices shown at first. */
  assert_strings (area_entries (fixture), "All areas|Hallway|Kitchen|No area");
  g_assert_cmpuint (hearth_devices_page_get_filter_selected (page, HEARTH_DEVICES_FILTER_AREA), ==,
                    0);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 5);

  select_area (fixture, 2);
  assert_strings (shown_ids (fixture), "lamp-1 thermo-1");
  {
    g_autoptr (GdkTexture) texture = app_test_render (fixture->window);

    app_test_save (texture, "devices-area-filter.png");
  }
  select_area (fixture, 1);
  assert_strings (shown_ids (fixture), "lamp-2 lock-1");
  select_area (fixture, 3);
  assert_strings (shown_ids (fixture), "lamp-3");

  /* Combined with the search ... */
  select_area (fixture, 2);
  search (fixture, "lamp");
  assert_strings (shown_ids (fixture), "lamp-1");
  /* ... which matches the area too. */
  select_area (fixture, 0);
  search (fixture, "hall");
  assert_strings (shown_ids (fixture), "lamp-2 lock-1");
  search (fixture, "");

  /* Combined with the state filter: the pinned devices have no address, so they are offline. */
  select_area (fixture, 2);
  hearth_devices_page_set_filter_selected (page, HEARTH_DEVICES_FILTER_STATE, 2);
  app_test_settle ();
  assert_strings (shown_ids (fixture), "lamp-1 thermo-1");
  hearth_devices_page_set_filter_selected (page, HEARTH_DEVICES_FILTER_STATE, 1);
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 0);
  hearth_devices_page_set_filter_selected (page, HEARTH_DEVICES_FILTER_STATE, 0);
  app_test_settle ();

  /* A device moving between areas still in use: the list stays, the tiles follow. */
  set_area (fixture, "lamp-1", "Hallway");
  app_test_settle ();
  assert_strings (area_entries (fixture), "All areas|Hallway|Kitchen|No area");
  g_assert_cmpuint (hearth_devices_page_get_filter_selected (page, HEARTH_DEVICES_FILTER_AREA), ==,
                    2);
  assert_strings (shown_ids (fixture), "thermo-1");

  /* A new area joins the list in order and the chosen area stays chosen. */
  set_area (fixture, "lamp-3", "Attic");
  app_test_settle ();
  assert_strings (area_entries (fixture), "All areas|Attic|Hallway|Kitchen|No area");
  g_assert_cmpuint (hearth_devices_page_get_filter_selected (page, HEARTH_DEVICES_FILTER_AREA), ==,
                    3);
  assert_strings (shown_ids (fixture), "thermo-1");

  /* The last device leaves the chosen area: the area goes, and all devices show. */
  set_area (fixture, "thermo-1", NULL);
  app_test_settle ();
  assert_strings (area_entries (fixture), "All areas|Attic|Hallway|No area");
  g_assert_cmpuint (hearth_devices_page_get_filter_selected (page, HEARTH_DEVICES_FILTER_AREA), ==,
                    0);
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 5);

  /* "No area" stays chosen while the list around it changes. */
  select_area (fixture, 3);
  assert_strings (shown_ids (fixture), "thermo-1");
  set_area (fixture, "lamp-2", "Bedroom");
  app_test_settle ();
  assert_strings (area_entries (fixture), "All areas|Attic|Bedroom|Hallway|No area");
  g_assert_cmpuint (hearth_devices_page_get_filter_selected (page, HEARTH_DEVICES_FILTER_AREA), ==,
                    4);
  assert_strings (shown_ids (fixture), "thermo-1");
  set_area (fixture, "thermo-1", "Kitchen");
  app_test_settle ();
  g_assert_cmpuint (hearth_devices_page_get_n_shown (fixture->page), ==, 0);

  /* The longest area, chosen, still lets the page fit the smallest panel. */
  {
    g_autofree char *longest = g_strnfill (HEARTH_TRUST_AREA_MAX_BYTES, 'W');
    /* thermo-1 was the only device in the Kitchen. */
    g_autofree char *expected
        = g_strdup_printf ("All areas|Attic|Bedroom|Hallway|%s|No area", longest);
    int minimum = 0;

    set_area (fixture, "thermo-1", longest);
    app_test_settle ();
    assert_strings (area_entries (fixture), expected);
    g_assert_cmpstr (
        gtk_string_list_get_string (GTK_STRING_LIST (hearth_devices_page_get_filter_entries (
                                        page, HEARTH_DEVICES_FILTER_AREA)),
                                    4),
        ==, longest);
    select_area (fixture, 4);
    assert_strings (shown_ids (fixture), "thermo-1");
    gtk_widget_measure (GTK_WIDGET (fixture->page), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL,
                        NULL, NULL);
    g_assert_cmpint (minimum, <=, PANEL_WIDTH);
    /* The panel (folded on this panel-sized window) shows the long name ellipsized in its row,
     * the count beside it. */
    adw_flap_set_reveal_flap (hearth_devices_page_get_filter_flap (page), TRUE);
    app_test_wait_for (flap_is_revealed, hearth_devices_page_get_filter_flap (page));
    {
      GtkListBox *list = hearth_devices_page_get_filter_list (page, HEARTH_DEVICES_FILTER_AREA);
      GtkWidget *row = GTK_WIDGET (gtk_list_box_get_row_at_index (list, 4));
      GtkScrolledWindow *scroller
          = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW));
      GtkAdjustment *vadjustment = gtk_scrolled_window_get_vadjustment (scroller);
      g_autoptr (GdkTexture) texture = NULL;

      /* Scrolled down to the Area section for the screenshot. */
      gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_upper (vadjustment)
                                                 - gtk_adjustment_get_page_size (vadjustment));
      texture = app_test_render_when_still (fixture->window);

      g_assert_true (gtk_widget_get_mapped (row));
      g_assert_cmpint (gtk_widget_get_width (row), <=, gtk_widget_get_width (GTK_WIDGET (list)));
      g_assert_cmpuint (hearth_devices_page_get_filter_count (page, HEARTH_DEVICES_FILTER_AREA, 4),
                        ==, 1);
      app_test_save (texture, "devices-area-filter-long.png");
    }
  }
}

static void
count_toast (HearthDevicePage *page, AdwToast *toast, GPtrArray *titles)
{
  g_ptr_array_add (titles, g_strdup (adw_toast_get_title (toast)));
}

/* Moves the keyboard focus into @data; true once the window's focus is there. */
static gboolean
grabs_focus (gpointer data)
{
  GtkWidget *widget = data;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus;

  gtk_widget_grab_focus (widget);
  focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static char *
pinned_area (Fixture *fixture, const char *device_id)
{
  g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (fixture->trust_store, device_id);

  g_assert_nonnull (pin);
  return g_strdup (pin->area);
}

/* The device page's Area row: shows the pin's area, applies on Enter and on leaving the entry
 * through the trust store, says why in a toast when the store refuses, and is hidden for a
 * device that is not paired. */
static void
test_device_page_area (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) toasts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *too_long = g_strnfill (HEARTH_TRUST_AREA_MAX_BYTES + 1, 'x');
  g_autoptr (GError) error = NULL;
  HearthDevicesPage *page = fixture->page;
  HearthDevicePage *device_page;
  AdwEntryRow *row;
  GtkWidget *other;

  hearth_devices_page_open_device (page, registry_device (fixture, "lamp-1"));
  app_test_settle ();
  device_page = hearth_devices_page_get_device_page (page);
  g_assert_nonnull (device_page);
  g_signal_connect (device_page, "add-toast", G_CALLBACK (count_toast), toasts);
  row = hearth_device_page_get_area_row (device_page);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (row)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "Kitchen");

  /* Enter applies, trimmed; the tile's device follows through the registry. */
  gtk_editable_set_text (GTK_EDITABLE (row), "  Garage ");
  g_signal_emit_by_name (row, "entry-activated");
  assert_strings (pinned_area (fixture, "lamp-1"), "Garage");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "Garage");
  g_assert_cmpstr (hearth_device_get_area (registry_device (fixture, "lamp-1")), ==, "Garage");
  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render (fixture->window);

    app_test_save (texture, "device-page-area.png");
  }

  /* Leaving the entry applies too. The focus is moved for real and waited for: on a loaded
   * machine the grid page may not take the focus until the leaflet has finished going back, and
   * a focus that never left the row would test nothing. */
  app_test_wait_for (grabs_focus, row);
  gtk_editable_set_text (GTK_EDITABLE (row), "Office");
  other = GTK_WIDGET (hearth_devices_page_get_search_entry (page));
  hearth_devices_page_go_back (page);
  app_test_settle ();
  app_test_wait_for (grabs_focus, other);
  app_test_settle ();
  assert_strings (pinned_area (fixture, "lamp-1"), "Office");
  g_assert_cmpuint (toasts->len, ==, 0);

  /* A refusal shows the store's reason and puts the stored area back. */
  hearth_devices_page_open_device (page, registry_device (fixture, "lamp-1"));
  app_test_settle ();
  device_page = hearth_devices_page_get_device_page (page);
  g_signal_connect (device_page, "add-toast", G_CALLBACK (count_toast), toasts);
  row = hearth_device_page_get_area_row (device_page);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "Office");
  gtk_editable_set_text (GTK_EDITABLE (row), too_long);
  g_signal_emit_by_name (row, "entry-activated");
  g_assert_cmpuint (toasts->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (toasts, 0), "64 bytes"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "Office");
  assert_strings (pinned_area (fixture, "lamp-1"), "Office");

  /* An empty entry clears the area. */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
  g_signal_emit_by_name (row, "entry-activated");
  assert_strings (pinned_area (fixture, "lamp-1"), NULL);
  g_assert_null (hearth_device_get_area (registry_device (fixture, "lamp-1")));

  /* A change made elsewhere (hearthctl) shows in the entry. */
  set_area (fixture, "lamp-1", "Cellar");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "Cellar");

  /* Forgotten, the device has no pin and so no area row. */
  g_assert_true (hearth_trust_store_forget (fixture->trust_store, "lamp-1", &error));
  g_assert_no_error (error);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (row)));
  g_assert_cmpuint (toasts->len, ==, 1);
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/app/devices-filter/registry-mirrors-area", Fixture, NULL, fixture_set_up,
              test_registry_mirrors_area, fixture_tear_down);
  g_test_add ("/app/devices-filter/area", Fixture, NULL, fixture_set_up, test_area_filter,
              fixture_tear_down);
  g_test_add ("/app/devices-filter/device-page-area", Fixture, NULL, fixture_set_up,
              test_device_page_area, fixture_tear_down);
  return g_test_run ();
}
