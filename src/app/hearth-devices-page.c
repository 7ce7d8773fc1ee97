/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-devices-page"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-devices-page.h"

#include "hearth-device-tile.h"
#include "hearth-fingerprint.h"
#include "hearth-hub.h"

/*
 * HearthDevicesPage is the Devices page: a "New devices" list over discovery's sightings that
 * the trust store does not know yet (Pair, Ignore), and a virtualized grid of HearthDeviceTiles
 * over the registry, searched and filtered through a GtkFilterListModel and sorted by name
 * (numbers by value) through a GtkSortListModel. Activating a tile slides in its
 * HearthDevicePage (an AdwLeaflet that never unfolds, so it works as a navigation stack on every
 * width, with swipe back).
 *
 * The filters live in a side panel (an AdwFlap): three lists, State, Type and Area, each with
 * one row always chosen ("All …" first) and the number of devices each row would show. On a wide
 * window the panel sits beside the grid; where it would leave the grid fewer than
 * FILTER_PANEL_MIN_GRID_COLUMNS columns (the 800×480 and 1024×600 touch panels) it folds away
 * and slides over the grid when the filter button or a swipe reveals it; choosing a row there
 * closes it again.
 *
 * Areas ("Kitchen") are the user's, kept with the pins in the trust store and mirrored on each
 * HearthDevice by the registry. The Area list shows the areas in use, collected from the
 * devices (never from the trust store per item, so filtering 1,000 tiles stays a string compare
 * each), once per main-loop turn after the device list or the trust store changed.
 *
 * The list models do not watch their items' properties, so the filter and sorter are told to
 * look again when the bus reports a change of liveness or trust — coalesced into one refilter
 * per main-loop turn, which keeps a burst of 1,000 devices coming online cheap.
 *
 * Pairing until setup-code pairing exists: Pair shows the key fingerprint discovery learnt
 * (grouped hex) and asks the user to compare it with the one the device shows; only then is
 * the device adopted through the hub (hearth_hub_adopt(), as `hearthctl adopt` does), which
 * pins the key, saves the address discovery found and lets the registry connect. When discovery
 * only knows the first digits (an mDNS hint), the user types the whole fingerprint from the
 * device and it must start with those digits.
 */

enum
{
  PROP_0,
  PROP_DEVICES,
  PROP_REGISTRY,
  PROP_TRUST_STORE,
  PROP_HISTORY,
  PROP_BUS,
  PROP_SIGHTINGS,
  PROP_HUB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The State list's entries, in the order of state_names (hearth-devices-page.ui); -1 is "all". */
static const int state_filter_states[] = {
  -1,
  HEARTH_DEVICE_STATE_ONLINE,
  HEARTH_DEVICE_STATE_OFFLINE,
  HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED,
  HEARTH_DEVICE_STATE_BLOCKED,
  HEARTH_DEVICE_STATE_NEW,
};

/* The Type list's entries: `ui.icon` hints, in the order of type_names
 * (hearth-devices-page.ui); NULL is "all", and "other" matches everything else. */
static const char *const type_filter_icons[] = {
  NULL, "light", "switch", "keypad", "thermometer", "motion", "lock", "other",
};

struct _HearthDevicesPage
{
  AdwBin parent_instance;

  /* Template widgets */
  AdwLeaflet *leaflet;
  AdwFlap *flap;
  GtkWidget *filter_panel;
  GtkToggleButton *filter_button;
  GtkLabel *filter_count_label;
  GtkSearchEntry *search_entry;
  GtkListBox *state_list;
  GtkListBox *type_list;
  GtkListBox *area_list;
  GtkStringList *state_names;
  GtkStringList *type_names;
  GtkStringList *area_names;
  GtkWidget *new_devices_box;
  GtkListBox *new_devices_list;
  GtkStack *grid_stack;
  GtkGridView *grid_view;
  AdwStatusPage *empty_page;
  AdwBin *device_page_bin;

  /* Owned */
  GListModel *devices;
  HearthDeviceRegistry *registry;
  HearthTrustStore *trust_store;
  HearthHistory *history;
  HearthEventBus *bus;
  GListModel *sightings;
  HearthHub *hub;
  GtkCustomFilter *device_filter;
  GtkFilterListModel *filtered_devices;
  GtkCustomSorter *device_sorter;
  GtkSortListModel *sorted_devices;
  GtkCustomFilter *sighting_filter;
  GtkFilterListModel *new_sightings;
  GHashTable *known_ids; /* ids the trust store has an opinion on: pinned, ignored, blocked */
  char *search_casefold;
  /* The chosen rows of the State and Type lists (0 is "all"). */
  guint state_wanted;
  guint type_wanted;
  /* The area filter's choice: none, "No area" (a device without one), or this area. */
  gboolean area_filter_any;
  char *area_wanted;
  gboolean updating_areas;
  gulong bus_handler;
  gulong trust_handler;
  gulong trust_area_handler;
  gulong devices_handler;
  guint refilter_id;
  guint refresh_areas_id;
  guint update_counts_id;
  /* Whether the page was laid out once: the panel takes its first place without animation. */
  gboolean allocated;
  gboolean disposed;
  /* The folded panel was asked to show: the focus goes into it once it is drawn. */
  gboolean focus_panel;
};

G_DEFINE_FINAL_TYPE (HearthDevicesPage, hearth_devices_page, ADW_TYPE_BIN)

static void
hearth_devices_page_toast (HearthDevicesPage *self, AdwToast *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), g_object_ref (toast));
}

static void
hearth_devices_page_toast_text (HearthDevicesPage *self, const char *text)
{
  g_autoptr (AdwToast) toast = adw_toast_new (text);

  hearth_devices_page_toast (self, toast);
}

static const char *
device_name (HearthDevice *device)
{
  HearthDescription *description = hearth_device_get_description (device);

  if (hearth_device_get_name (device) != NULL)
    return hearth_device_get_name (device);
  if (description != NULL && hearth_description_get_name (description) != NULL)
    return hearth_description_get_name (description);
  return hearth_device_get_id (device);
}

/* The position of @device's state in the State list; 0 ("All states" only) for the states the
 * list has no entry for (pairing, unusable). */
static guint
device_state_entry (HearthDevice *device)
{
  for (guint i = 1; i < G_N_ELEMENTS (state_filter_states); i++)
    if ((int)hearth_device_get_state (device) == state_filter_states[i])
      return i;
  return 0;
}

/* The position of @device's type in the Type list: its `ui.icon` hint, or "Other". */
static guint
device_type_entry (HearthDevice *device)
{
  HearthDescription *description = hearth_device_get_description (device);
  const char *icon = description != NULL ? hearth_description_get_icon (description) : NULL;

  for (guint i = 1; icon != NULL && i < G_N_ELEMENTS (type_filter_icons) - 1; i++)
    if (g_str_equal (icon, type_filter_icons[i]))
      return i;
  return G_N_ELEMENTS (type_filter_icons) - 1;
}

static gboolean
device_matches_state (HearthDevicesPage *self, HearthDevice *device)
{
  return self->state_wanted == 0 || device_state_entry (device) == self->state_wanted;
}

static gboolean
device_matches_type (HearthDevicesPage *self, HearthDevice *device)
{
  return self->type_wanted == 0 || device_type_entry (device) == self->type_wanted;
}

static gboolean
device_matches_area (HearthDevicesPage *self, HearthDevice *device)
{
  return self->area_filter_any
         || g_strcmp0 (hearth_device_get_area (device), self->area_wanted) == 0;
}

static gboolean
device_matches_search (HearthDevicesPage *self, HearthDevice *device)
{
  HearthDescription *description;

  if (self->search_casefold == NULL)
    return TRUE;
  description = hearth_device_get_description (device);
  {
    const char *haystacks[] = {
      device_name (device),
      hearth_device_get_id (device),
      description != NULL ? hearth_description_get_model (description) : NULL,
      hearth_device_get_area (device),
    };

    for (guint i = 0; i < G_N_ELEMENTS (haystacks); i++)
      {
        g_autofree char *folded = NULL;

        if (haystacks[i] == NULL)
          continue;
        folded = g_utf8_casefold (haystacks[i], -1);
        if (strstr (folded, self->search_casefold) != NULL)
          return TRUE;
      }
  }
  return FALSE;
}

static gboolean
hearth_devices_page_device_matches (gpointer item, gpointer user_data)
{
  HearthDevicesPage *self = user_data;
  HearthDevice *device = item;

  return device_matches_state (self, device) && device_matches_type (self, device)
         && device_matches_area (self, device) && device_matches_search (self, device);
}

/* A device's name as a sort key, kept on the device with the name it was made from. The key
 * orders numbers by value ("Lamp 2" before "Lamp 10", as a person counts, where a plain collation
 * puts "lock 50" after "lock 498") and is made once per name, so sorting 1,000 devices compares
 * bytes instead of collating two names per comparison. */
typedef struct
{
  char *name;
  char *key;
} NameSortKey;

static void
name_sort_key_free (gpointer data)
{
  NameSortKey *sort_key = data;

  g_free (sort_key->name);
  g_free (sort_key->key);
  g_free (sort_key);
}

static const char *
device_sort_key (HearthDevice *device)
{
  static GQuark quark;
  const char *name = device_name (device);
  NameSortKey *sort_key;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("hearth-devices-page-sort-key");
  sort_key = g_object_get_qdata (G_OBJECT (device), quark);
  if (sort_key == NULL || g_strcmp0 (sort_key->name, name) != 0)
    {
      /* Case aside in every locale, also C, where collation alone would put "lamp 2" after
       * "Lamp 3". */
      g_autofree char *folded = g_utf8_casefold (name, -1);

      sort_key = g_new0 (NameSortKey, 1);
      sort_key->name = g_strdup (name);
      sort_key->key = g_utf8_collate_key_for_filename (folded, -1);
      g_object_set_qdata_full (G_OBJECT (device), quark, sort_key, name_sort_key_free);
    }
  return sort_key->key;
}

static int
hearth_devices_page_compare_devices (gconstpointer a, gconstpointer b, gpointer user_data)
{
  HearthDevice *first = (HearthDevice *)a;
  HearthDevice *second = (HearthDevice *)b;
  int order = strcmp (device_sort_key (first), device_sort_key (second));

  if (order != 0)
    return order;
  return g_strcmp0 (hearth_device_get_id (first), hearth_device_get_id (second));
}

static void
hearth_devices_page_update_empty (HearthDevicesPage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->filtered_devices)) == 0;
  gboolean filtered = self->devices != NULL && g_list_model_get_n_items (self->devices) > 0;

  gtk_stack_set_visible_child_name (self->grid_stack, empty ? "empty" : "grid");
  if (!empty)
    return;
  /* The filters may be folded away out of sight: say that they hide the devices, rather than
   * that there are none. */
  if (filtered)
    {
      adw_status_page_set_icon_name (self->empty_page, "edit-find-symbolic");
      adw_status_page_set_title (self->empty_page, _ ("No Matching Devices"));
      adw_status_page_set_description (self->empty_page,
                                       _ ("No device matches the search and the chosen filters."));
    }
  else
    {
      adw_status_page_set_icon_name (self->empty_page, "org.hearth.Hearth-symbolic");
      adw_status_page_set_title (self->empty_page, _ ("No Devices"));
      adw_status_page_set_description (
          self->empty_page, _ ("Paired devices appear here as tiles. Start a device on this "
                               "network and it shows up under New Devices."));
    }
}

static guint
list_selected_position (GtkListBox *list)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (list);

  return row != NULL ? (guint)gtk_list_box_row_get_index (row) : 0;
}

static void
list_select_position (GtkListBox *list, guint position)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, (int)position);

  if (row != NULL)
    gtk_list_box_select_row (list, row);
}

static void hearth_devices_page_queue_update_counts (HearthDevicesPage *self);

/* The filter button says how many of the three lists narrow the grid, so a folded panel's
 * choice is not forgotten: a number beside its icon, and the same in its tooltip and accessible
 * name. */
static void
hearth_devices_page_update_filter_button (HearthDevicesPage *self)
{
  guint n_active = hearth_devices_page_get_n_active_filters (self);
  g_autofree char *label = NULL;
  g_autofree char *number = g_strdup_printf ("%u", n_active);

  if (n_active == 0)
    label = g_strdup (_ ("Filters"));
  else
    label = g_strdup_printf (ngettext ("Filters (%u active)", "Filters (%u active)", n_active),
                             n_active);
  gtk_label_set_text (self->filter_count_label, number);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_count_label), n_active > 0);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->filter_button), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->filter_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  if (n_active > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->filter_button), "filters-active");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->filter_button), "filters-active");
}

static void
hearth_devices_page_on_filters_changed (HearthDevicesPage *self)
{
  const char *text;
  guint area_index;
  guint n_area_entries;

  /* While the areas are being replaced the list's selection moves about; the refresh selects
   * the right row and calls this once at the end. While the page is disposed its lists drop
   * their rows. */
  if (self->updating_areas || self->disposed)
    return;

  text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  area_index = list_selected_position (self->area_list);
  n_area_entries = g_list_model_get_n_items (G_LIST_MODEL (self->area_names));

  g_clear_pointer (&self->search_casefold, g_free);
  if (text != NULL && text[0] != '\0')
    self->search_casefold = g_utf8_casefold (text, -1);

  self->state_wanted = list_selected_position (self->state_list);
  if (self->state_wanted >= G_N_ELEMENTS (state_filter_states))
    self->state_wanted = 0;
  self->type_wanted = list_selected_position (self->type_list);
  if (self->type_wanted >= G_N_ELEMENTS (type_filter_icons))
    self->type_wanted = 0;

  /* The first entry is "All areas", the last "No area" (wanted area NULL). */
  g_clear_pointer (&self->area_wanted, g_free);
  self->area_filter_any = area_index == 0 || area_index >= n_area_entries;
  if (!self->area_filter_any && area_index < n_area_entries - 1)
    self->area_wanted = g_strdup (gtk_string_list_get_string (self->area_names, area_index));

  hearth_devices_page_update_filter_button (self);
  if (self->device_filter == NULL)
    return;
  gtk_filter_changed (GTK_FILTER (self->device_filter), GTK_FILTER_CHANGE_DIFFERENT);
  hearth_devices_page_queue_update_counts (self);
}

/* A row chosen by the user (a tap, Enter): on a folded panel the choice is made, so the panel
 * gets out of the way of the grid it filtered. */
static void
hearth_devices_page_on_filter_chosen (HearthDevicesPage *self)
{
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

/* A folded panel slides over a grid the user cannot reach meanwhile: the keyboard focus goes
 * into the panel (its chosen State row) as soon as it shows, and back to the filter button when
 * it hides, so it is never left on a hidden widget. */
static void
hearth_devices_page_on_reveal_progress (HearthDevicesPage *self)
{
  GtkListBoxRow *row;

  if (self->disposed || !self->focus_panel || adw_flap_get_reveal_progress (self->flap) <= 0.0)
    return;
  self->focus_panel = FALSE;
  row = gtk_list_box_get_selected_row (self->state_list);
  if (row != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (row));
}

static void
hearth_devices_page_on_reveal_flap (HearthDevicesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (self->disposed)
    return;
  /* With the panel beside the grid the grid has fewer columns. */
  gtk_widget_queue_allocate (GTK_WIDGET (self));

  self->focus_panel = adw_flap_get_reveal_flap (self->flap) && adw_flap_get_folded (self->flap);
  if (self->focus_panel)
    hearth_devices_page_on_reveal_progress (self);
  else if (!adw_flap_get_reveal_flap (self->flap) && focus != NULL
           && gtk_widget_is_ancestor (focus, self->filter_panel))
    gtk_widget_grab_focus (GTK_WIDGET (self->filter_button));
}

/* Counts */

/* Each row shows how many devices the grid would show if the user chose it: the count honours
 * the search and the choices in the two other sections, but not the section's own choice
 * (faceted counts, as shops and file managers show them). With "Offline" chosen, the Type rows
 * say how many offline lights, switches … there are, and the State rows still say how many are
 * online; a plain total per row would promise tiles the other filters then hide. The "All …"
 * row counts every device that passes the other sections.
 *
 * One pass over the devices per main-loop turn at most (the search is the dearest part, a
 * casefold of four strings per device, as the filter does), queued after whatever changed what
 * the rows count: the filters, the device list, areas, liveness or trust. */
static void
set_row_counts (GtkListBox *list, const guint *counts, guint n_counts)
{
  for (guint i = 0; i < n_counts; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, (int)i);
      GtkLabel *count_label;
      char text[16];

      if (row == NULL)
        break;
      count_label = g_object_get_data (G_OBJECT (row), "count-label");
      g_object_set_data (G_OBJECT (row), "count", GUINT_TO_POINTER (counts[i]));
      g_snprintf (text, sizeof text, "%u", counts[i]);
      if (g_strcmp0 (gtk_label_get_text (count_label), text) != 0)
        gtk_label_set_text (count_label, text);
    }
}

static gboolean
hearth_devices_page_update_counts (gpointer user_data)
{
  HearthDevicesPage *self = user_data;
  guint state_counts[G_N_ELEMENTS (state_filter_states)] = { 0 };
  guint type_counts[G_N_ELEMENTS (type_filter_icons)] = { 0 };
  guint n_areas = g_list_model_get_n_items (G_LIST_MODEL (self->area_names));
  g_autofree guint *area_counts = g_new0 (guint, MAX (n_areas, 2));
  g_autoptr (GHashTable) area_entries = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_devices = self->devices != NULL ? g_list_model_get_n_items (self->devices) : 0;

  self->update_counts_id = 0;

  /* The areas between "All areas" and "No area". */
  for (guint i = 1; i + 1 < n_areas; i++)
    g_hash_table_insert (area_entries, (gpointer)gtk_string_list_get_string (self->area_names, i),
                         GUINT_TO_POINTER (i));

  for (guint i = 0; i < n_devices; i++)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (self->devices, i);
      gboolean state_ok, type_ok, area_ok;
      const char *area;
      guint area_entry;

      if (!device_matches_search (self, device))
        continue;
      state_ok = device_matches_state (self, device);
      type_ok = device_matches_type (self, device);
      area_ok = device_matches_area (self, device);
      area = hearth_device_get_area (device);
      /* An area the list does not show yet (its refresh is queued) counts under "All areas". */
      area_entry = area == NULL ? n_areas - 1
                                : GPOINTER_TO_UINT (g_hash_table_lookup (area_entries, area));

      if (type_ok && area_ok)
        {
          guint entry = device_state_entry (device);

          state_counts[0]++;
          if (entry > 0)
            state_counts[entry]++;
        }
      if (state_ok && area_ok)
        {
          type_counts[0]++;
          type_counts[device_type_entry (device)]++;
        }
      if (state_ok && type_ok)
        {
          area_counts[0]++;
          if (area_entry > 0)
            area_counts[area_entry]++;
        }
    }

  set_row_counts (self->state_list, state_counts, G_N_ELEMENTS (state_counts));
  set_row_counts (self->type_list, type_counts, G_N_ELEMENTS (type_counts));
  set_row_counts (self->area_list, area_counts, n_areas);
  return G_SOURCE_REMOVE;
}

static void
hearth_devices_page_queue_update_counts (HearthDevicesPage *self)
{
  /* Before the next frame is drawn (GTK draws at G_PRIORITY_HIGH_IDLE + 20), after the events
   * already waiting. */
  if (self->update_counts_id == 0 && !self->disposed)
    self->update_counts_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10,
                                              hearth_devices_page_update_counts, self, NULL);
}

/* A filter row: the entry's name, ellipsized (an area may be 64 bytes long and the panel is
 * 240 px wide; the tooltip has it whole), and the number of devices it would show. */
static GtkWidget *
hearth_devices_page_create_filter_row (gpointer item, gpointer user_data)
{
  const char *text = gtk_string_object_get_string (GTK_STRING_OBJECT (item));
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name = gtk_label_new (text);
  GtkWidget *count = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_set_tooltip_text (name, text);
  gtk_widget_add_css_class (count, "dim-label");
  gtk_widget_add_css_class (count, "numeric");
  gtk_widget_add_css_class (count, "filter-row-count");
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), count);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_add_css_class (row, "filter-row");
  g_object_set_data (G_OBJECT (row), "count-label", count);
  return row;
}

static gboolean
hearth_devices_page_refilter (gpointer user_data)
{
  HearthDevicesPage *self = user_data;

  self->refilter_id = 0;
  gtk_filter_changed (GTK_FILTER (self->device_filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (GTK_SORTER (self->device_sorter), GTK_SORTER_CHANGE_DIFFERENT);
  /* The counts follow in the same turn, so no frame shows the grid and its counts disagree. */
  g_clear_handle_id (&self->update_counts_id, g_source_remove);
  hearth_devices_page_update_counts (self);
  return G_SOURCE_REMOVE;
}

static void
hearth_devices_page_on_event (HearthEventBus *bus, HearthEvent *event, HearthDevicesPage *self)
{
  HearthEventKind kind = hearth_event_get_kind (event);

  if (kind == HEARTH_EVENT_PROPERTY_CHANGED || kind == HEARTH_EVENT_DEVICE_EVENT)
    return;
  if (self->refilter_id == 0)
    self->refilter_id = g_idle_add (hearth_devices_page_refilter, self);
}

/* Areas */

static int
compare_areas (gconstpointer a, gconstpointer b)
{
  return g_utf8_collate (*(const char *const *)a, *(const char *const *)b);
}

static gboolean
hearth_devices_page_refresh_areas (gpointer user_data)
{
  HearthDevicesPage *self = user_data;
  g_autoptr (GHashTable) in_use = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) areas = g_ptr_array_new ();
  guint n_entries = g_list_model_get_n_items (G_LIST_MODEL (self->area_names));
  guint n_devices = self->devices != NULL ? g_list_model_get_n_items (self->devices) : 0;
  g_autofree char *wanted = g_strdup (self->area_wanted);
  gboolean wanted_any = self->area_filter_any;
  gboolean same = FALSE;
  guint selected = 0;

  self->refresh_areas_id = 0;

  /* The devices hold their area strings for the length of this function: the list keeps a
   * reference to each. */
  for (guint i = 0; i < n_devices; i++)
    {
      g_autoptr (HearthDevice) device = g_list_model_get_item (self->devices, i);
      const char *area = hearth_device_get_area (device);

      if (area != NULL && g_hash_table_add (in_use, (gpointer)area))
        g_ptr_array_add (areas, (gpointer)area);
    }
  g_ptr_array_sort (areas, compare_areas);

  if (areas->len == n_entries - 2)
    {
      same = TRUE;
      for (guint i = 0; same && i < areas->len; i++)
        same = g_str_equal (g_ptr_array_index (areas, i),
                            gtk_string_list_get_string (self->area_names, i + 1));
    }

  if (!same)
    {
      g_ptr_array_add (areas, NULL);
      self->updating_areas = TRUE;
      gtk_string_list_splice (self->area_names, 1, n_entries - 2,
                              (const char *const *)areas->pdata);
      g_ptr_array_set_size (areas, areas->len - 1);
      /* Keep the user's choice; an area no device is in any more falls back to all areas. */
      if (!wanted_any && wanted == NULL)
        selected = areas->len + 1;
      for (guint i = 0; !wanted_any && wanted != NULL && i < areas->len; i++)
        if (g_str_equal (g_ptr_array_index (areas, i), wanted))
          selected = i + 1;
      list_select_position (self->area_list, selected);
      self->updating_areas = FALSE;
    }

  /* A device may have moved between areas that stay in use: look again whenever what is
   * shown depends on areas. */
  if (!same || !self->area_filter_any || self->search_casefold != NULL)
    hearth_devices_page_on_filters_changed (self);
  /* Whether the empty grid means no devices or none that match may change with the list alone. */
  hearth_devices_page_update_empty (self);
  /* The area counts follow the devices even when the list and the grid stay; new rows get their
   * counts before they are drawn. */
  g_clear_handle_id (&self->update_counts_id, g_source_remove);
  hearth_devices_page_update_counts (self);
  return G_SOURCE_REMOVE;
}

static void
hearth_devices_page_queue_refresh_areas (HearthDevicesPage *self)
{
  if (self->refresh_areas_id == 0 && !self->disposed)
    self->refresh_areas_id = g_idle_add (hearth_devices_page_refresh_areas, self);
}

/* New devices */

static void
hearth_devices_page_update_known_ids (HearthDevicesPage *self)
{
  g_hash_table_remove_all (self->known_ids);
  if (self->trust_store != NULL)
    {
      g_autoptr (GPtrArray) pins = hearth_trust_store_list_pins (self->trust_store);
      g_autoptr (GPtrArray) ignored = hearth_trust_store_list_ignored (self->trust_store);
      g_autoptr (GPtrArray) blocked = hearth_trust_store_list_blocked (self->trust_store);

      for (guint i = 0; i < pins->len; i++)
        g_hash_table_add (self->known_ids,
                          g_strdup (((HearthTrustPin *)g_ptr_array_index (pins, i))->device_id));
      for (guint i = 0; i < ignored->len; i++)
        {
          HearthTrustEntry *entry = g_ptr_array_index (ignored, i);

          if (entry->device_id != NULL)
            g_hash_table_add (self->known_ids, g_strdup (entry->device_id));
        }
      for (guint i = 0; i < blocked->len; i++)
        {
          HearthTrustEntry *entry = g_ptr_array_index (blocked, i);

          if (entry->device_id != NULL)
            g_hash_table_add (self->known_ids, g_strdup (entry->device_id));
        }
    }
  gtk_filter_changed (GTK_FILTER (self->sighting_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static gboolean
hearth_devices_page_sighting_is_new (gpointer item, gpointer user_data)
{
  HearthDevicesPage *self = user_data;

  return !g_hash_table_contains (self->known_ids, hearth_sighting_get_device_id (item));
}

static void
hearth_devices_page_on_new_sightings_changed (GListModel *model, guint position, guint removed,
                                              guint added, HearthDevicesPage *self)
{
  gtk_widget_set_visible (self->new_devices_box, g_list_model_get_n_items (model) > 0);
}

static const char *
sighting_display_name (HearthSighting *sighting)
{
  return hearth_sighting_get_name (sighting) != NULL ? hearth_sighting_get_name (sighting)
                                                     : hearth_sighting_get_device_id (sighting);
}

static void
hearth_devices_page_on_pair_response (AdwMessageDialog *dialog, const char *response,
                                      gpointer user_data)
{
  g_autoptr (HearthDevicesPage) self = g_object_ref (HEARTH_DEVICES_PAGE (user_data));
  HearthSighting *sighting = g_object_get_data (G_OBJECT (dialog), "sighting");
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "fingerprint-entry");
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "fingerprint");
  const char *name = sighting_display_name (sighting);
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "pair") != 0)
    return;
  if (entry != NULL)
    fingerprint = g_object_get_data (G_OBJECT (entry), "normalized");
  if (fingerprint == NULL)
    return;

  if (self->hub == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                         _ ("Hearth's hub is not running"));
  else
    hearth_hub_adopt (self->hub, hearth_sighting_get_device_id (sighting), fingerprint, &error);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_ ("Could not pair “%s”: %s"), name, error->message);

      hearth_devices_page_toast_text (self, text);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (_ ("Paired “%s”"), name);

    hearth_devices_page_toast_text (self, text);
  }
}

/* Keeps the typed fingerprint in a normal form (lowercase, no spaces or colons) and lets the
 * Pair response through only when it is a whole fingerprint that starts with what discovery
 * announced. */
static void
hearth_devices_page_on_fingerprint_typed (GtkEditable *entry, AdwMessageDialog *dialog)
{
  HearthSighting *sighting = g_object_get_data (G_OBJECT (dialog), "sighting");
  const char *hint = hearth_sighting_get_fingerprint_hint (sighting);
  g_autoptr (GString) normalized = g_string_new (NULL);
  gboolean valid;

  for (const char *p = gtk_editable_get_text (entry); *p != '\0'; p++)
    if (*p != ' ' && *p != ':')
      g_string_append_c (normalized, g_ascii_tolower (*p));
  valid = hearth_fingerprint_is_valid (normalized->str)
          && (hint == NULL || g_str_has_prefix (normalized->str, hint));
  g_object_set_data_full (G_OBJECT (entry), "normalized", valid ? g_strdup (normalized->str) : NULL,
                          g_free);
  adw_message_dialog_set_response_enabled (dialog, "pair", valid);
  if (valid || normalized->len == 0)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
}

static void
hearth_devices_page_on_pair_clicked (GtkButton *button, HearthDevicesPage *self)
{
  HearthSighting *sighting = g_object_get_data (G_OBJECT (button), "sighting");
  AdwMessageDialog *dialog = hearth_devices_page_pair (self, sighting);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
hearth_devices_page_on_ignore_clicked (GtkButton *button, HearthDevicesPage *self)
{
  hearth_devices_page_ignore (self, g_object_get_data (G_OBJECT (button), "sighting"));
}

static void
hearth_devices_page_on_unignore (AdwToast *toast, HearthDevicesPage *self)
{
  const char *device_id = g_object_get_data (G_OBJECT (toast), "device-id");
  const char *fingerprint = g_object_get_data (G_OBJECT (toast), "fingerprint");
  g_autoptr (GError) error = NULL;

  if (self->trust_store != NULL
      && !hearth_trust_store_unignore (self->trust_store, device_id, fingerprint, &error))
    {
      g_autofree char *text = g_strdup_printf (_ ("Could not undo: %s"), error->message);

      hearth_devices_page_toast_text (self, text);
    }
}

/* The row says who the device claims to be: the name it announced (mDNS TXT, probe answer or
 * description) as the title, its id and first address as the subtitle. Discovery often learns
 * the name after the id (a HELLO first, the TXT record later), so the row follows the sighting. */
static void
update_sighting_row (HearthSighting *sighting, AdwActionRow *row)
{
  g_autoptr (GPtrArray) addresses = hearth_sighting_dup_addresses (sighting);
  g_autofree char *subtitle = NULL;
  const char *device_id = hearth_sighting_get_device_id (sighting);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sighting_display_name (sighting));
  if (addresses != NULL && addresses->len > 0)
    subtitle = g_strdup_printf (
        "%s · %s", device_id, ((HearthSightingAddress *)g_ptr_array_index (addresses, 0))->address);
  else
    subtitle = g_strdup (device_id);
  adw_action_row_set_subtitle (row, subtitle);
}

static void
on_sighting_notify_name (HearthSighting *sighting, GParamSpec *pspec, AdwActionRow *row)
{
  update_sighting_row (sighting, row);
}

static GtkWidget *
hearth_devices_page_create_sighting_row (gpointer item, gpointer user_data)
{
  HearthDevicesPage *self = user_data;
  HearthSighting *sighting = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *pair = gtk_button_new_with_mnemonic (_ ("_Pair…"));
  GtkWidget *ignore = gtk_button_new_with_mnemonic (_ ("_Ignore"));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  update_sighting_row (sighting, ADW_ACTION_ROW (row));
  g_signal_connect_object (sighting, "notify::name", G_CALLBACK (on_sighting_notify_name), row, 0);
  g_signal_connect_object (sighting, "addresses-changed", G_CALLBACK (update_sighting_row), row, 0);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("network-wireless-symbolic"));

  for (guint i = 0; i < 2; i++)
    {
      GtkWidget *button = i == 0 ? ignore : pair;

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (button), "sighting", g_object_ref (sighting),
                              g_object_unref);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  gtk_widget_add_css_class (pair, "suggested-action");
  g_signal_connect (pair, "clicked", G_CALLBACK (hearth_devices_page_on_pair_clicked), self);
  g_signal_connect (ignore, "clicked", G_CALLBACK (hearth_devices_page_on_ignore_clicked), self);
  return row;
}

/* Tiles */

static void
hearth_devices_page_setup_tile (GtkSignalListItemFactory *factory, GtkListItem *item,
                                HearthDevicesPage *self)
{
  gtk_list_item_set_child (item, hearth_device_tile_new ());
}

static void
hearth_devices_page_bind_tile (GtkSignalListItemFactory *factory, GtkListItem *item,
                               HearthDevicesPage *self)
{
  HearthDeviceTile *tile = HEARTH_DEVICE_TILE (gtk_list_item_get_child (item));
  HearthDevice *device = gtk_list_item_get_item (item);

  hearth_device_tile_set_proxy (tile, self->registry != NULL ? hearth_device_registry_get_proxy (
                                          self->registry, hearth_device_get_id (device))
                                                             : NULL);
  hearth_device_tile_set_bus (tile, self->bus);
  hearth_device_tile_set_registry (tile, self->registry);
  hearth_device_tile_set_device (tile, device);
}

static void
hearth_devices_page_unbind_tile (GtkSignalListItemFactory *factory, GtkListItem *item,
                                 HearthDevicesPage *self)
{
  HearthDeviceTile *tile = HEARTH_DEVICE_TILE (gtk_list_item_get_child (item));

  /* The bus and the registry are the page's, the same for every tile: they stay, so scrolling
   * does not disconnect and connect a bus handler for every tile that leaves and enters the
   * view. A tile without a device ignores the bus's events. */
  hearth_device_tile_set_device (tile, NULL);
  hearth_device_tile_set_proxy (tile, NULL);
}

static void
hearth_devices_page_on_grid_activate (HearthDevicesPage *self, guint position)
{
  g_autoptr (HearthDevice) device
      = g_list_model_get_item (G_LIST_MODEL (self->sorted_devices), position);

  if (device != NULL)
    hearth_devices_page_open_device (self, device);
}

static void
hearth_devices_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDevicesPage *self = HEARTH_DEVICES_PAGE (object);

  switch (prop_id)
    {
      case PROP_DEVICES:
        g_value_set_object (value, self->devices);
        break;

      case PROP_REGISTRY:
        g_value_set_object (value, self->registry);
        break;

      case PROP_TRUST_STORE:
        g_value_set_object (value, self->trust_store);
        break;

      case PROP_HISTORY:
        g_value_set_object (value, self->history);
        break;

      case PROP_BUS:
        g_value_set_object (value, self->bus);
        break;

      case PROP_SIGHTINGS:
        g_value_set_object (value, self->sightings);
        break;

      case PROP_HUB:
        g_value_set_object (value, self->hub);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_devices_page_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  HearthDevicesPage *self = HEARTH_DEVICES_PAGE (object);

  switch (prop_id)
    {
      case PROP_DEVICES:
        hearth_devices_page_set_devices (self, g_value_get_object (value));
        break;

      case PROP_REGISTRY:
        hearth_devices_page_set_registry (self, g_value_get_object (value));
        break;

      case PROP_TRUST_STORE:
        hearth_devices_page_set_trust_store (self, g_value_get_object (value));
        break;

      case PROP_HISTORY:
        hearth_devices_page_set_history (self, g_value_get_object (value));
        break;

      case PROP_BUS:
        hearth_devices_page_set_bus (self, g_value_get_object (value));
        break;

      case PROP_SIGHTINGS:
        hearth_devices_page_set_sightings (self, g_value_get_object (value));
        break;

      case PROP_HUB:
        hearth_devices_page_set_hub (self, g_value_get_object (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_devices_page_dispose (GObject *object)
{
  HearthDevicesPage *self = HEARTH_DEVICES_PAGE (object);

  self->disposed = TRUE;
  g_clear_handle_id (&self->refilter_id, g_source_remove);
  g_clear_handle_id (&self->refresh_areas_id, g_source_remove);
  g_clear_handle_id (&self->update_counts_id, g_source_remove);
  if (self->devices != NULL)
    g_clear_signal_handler (&self->devices_handler, self->devices);
  if (self->trust_store != NULL)
    g_clear_signal_handler (&self->trust_area_handler, self->trust_store);
  if (self->bus != NULL)
    g_clear_signal_handler (&self->bus_handler, self->bus);
  if (self->trust_store != NULL)
    g_clear_signal_handler (&self->trust_handler, self->trust_store);
  /* The leaflet is both AdwBin's child and a template child: let the bin drop it first, or
   * the bin would unparent it again after the template released it. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_DEVICES_PAGE);
  g_clear_object (&self->sorted_devices);
  g_clear_object (&self->filtered_devices);
  g_clear_object (&self->device_filter);
  g_clear_object (&self->device_sorter);
  g_clear_object (&self->new_sightings);
  g_clear_object (&self->sighting_filter);
  g_clear_object (&self->devices);
  g_clear_object (&self->registry);
  g_clear_object (&self->trust_store);
  g_clear_object (&self->history);
  g_clear_object (&self->bus);
  g_clear_object (&self->sightings);
  g_clear_object (&self->hub);
  g_clear_pointer (&self->known_ids, g_hash_table_unref);

  G_OBJECT_CLASS (hearth_devices_page_parent_class)->dispose (object);
}

static void
hearth_devices_page_finalize (GObject *object)
{
  HearthDevicesPage *self = HEARTH_DEVICES_PAGE (object);

  g_free (self->search_casefold);
  g_free (self->area_wanted);

  G_OBJECT_CLASS (hearth_devices_page_parent_class)->finalize (object);
}

/* The most columns the grid shows (hearth-devices-page.ui). */
#define GRID_MAX_COLUMNS 8

/* The filter panel stays beside the grid only while the grid keeps this many columns next to
 * it: on a 1280 px desktop it does (5 columns instead of 6); on a 1024×600 panel it would leave
 * 4 tiles a row and a crowded grid, so there, as on 800×480, it folds away behind its button. */
#define FILTER_PANEL_MIN_GRID_COLUMNS 5

/* The page lays out its one child as AdwBin does (GtkBinLayout), and on the way folds or
 * unfolds the filter panel and sets the grid's max-columns from the width left for it.
 *
 * GTK 4.8's GtkGridView keeps max-columns × 30 cells bound, styled and measured, however many
 * columns fit: with 8, about 257 tiles for the 35 a 1024 px wide window shows. Every one of them
 * is restyled when the window gains or loses the focus, and the grid rebinds more of them per
 * frame while it scrolls. So max-columns follows the width, never below the number of columns
 * that fit (every cell is at least a tile wide): the grid looks the same, with fewer tiles
 * behind it (tests/bench/device-grid.c). */
static GtkSizeRequestMode
hearth_devices_page_get_request_mode (GtkWidget *widget)
{
  GtkWidget *child = adw_bin_get_child (ADW_BIN (widget));

  return child != NULL ? gtk_widget_get_request_mode (child) : GTK_SIZE_REQUEST_CONSTANT_SIZE;
}

static void
hearth_devices_page_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                             int *minimum, int *natural, int *minimum_baseline,
                             int *natural_baseline)
{
  GtkWidget *child = adw_bin_get_child (ADW_BIN (widget));

  if (child != NULL && gtk_widget_should_layout (child))
    gtk_widget_measure (child, orientation, for_size, minimum, natural, minimum_baseline,
                        natural_baseline);
}

static void
hearth_devices_page_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  HearthDevicesPage *self = HEARTH_DEVICES_PAGE (widget);
  GtkWidget *child = adw_bin_get_child (ADW_BIN (widget));
  int panel_width = 0;
  int grid_width;
  gboolean fold;
  AdwFlapFoldPolicy policy;
  guint columns;

  /* The panel and the one-pixel separator beside it. */
  gtk_widget_measure (self->filter_panel, GTK_ORIENTATION_HORIZONTAL, -1, &panel_width, NULL, NULL,
                      NULL);
  panel_width += 1;
  fold = (width - panel_width) / HEARTH_DEVICE_TILE_WIDTH < FILTER_PANEL_MIN_GRID_COLUMNS;
  policy = fold ? ADW_FLAP_FOLD_POLICY_ALWAYS : ADW_FLAP_FOLD_POLICY_NEVER;
  if (adw_flap_get_fold_policy (self->flap) != policy)
    {
      guint duration = adw_flap_get_fold_duration (self->flap);

      /* The first layout puts the panel in place at once: a window opening on a desktop does
       * not slide its panel in. */
      if (!self->allocated)
        adw_flap_set_fold_duration (self->flap, 0);
      adw_flap_set_fold_policy (self->flap, policy);
      adw_flap_set_fold_duration (self->flap, duration);
    }
  self->allocated = TRUE;

  grid_width = !fold && adw_flap_get_reveal_flap (self->flap) ? width - panel_width : width;
  columns = CLAMP (grid_width / HEARTH_DEVICE_TILE_WIDTH, 1, GRID_MAX_COLUMNS);
  if (gtk_grid_view_get_max_columns (self->grid_view) != columns)
    gtk_grid_view_set_max_columns (self->grid_view, columns);
  if (child != NULL && gtk_widget_should_layout (child))
    gtk_widget_allocate (child, width, height, baseline, NULL);
}

static void
hearth_devices_page_class_init (HearthDevicesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_devices_page_get_property;
  object_class->set_property = hearth_devices_page_set_property;
  object_class->dispose = hearth_devices_page_dispose;
  object_class->finalize = hearth_devices_page_finalize;

  /* The HearthDevices shown as tiles; setting the registry uses the registry itself unless
   * another model (a benchmark's store) was given. */
  properties[PROP_DEVICES] = g_param_spec_object ("devices", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  properties[PROP_REGISTRY]
      = g_param_spec_object ("registry", NULL, NULL, HEARTH_TYPE_DEVICE_REGISTRY, flags);
  properties[PROP_TRUST_STORE]
      = g_param_spec_object ("trust-store", NULL, NULL, HEARTH_TYPE_TRUST_STORE, flags);
  properties[PROP_HISTORY]
      = g_param_spec_object ("history", NULL, NULL, HEARTH_TYPE_HISTORY, flags);
  properties[PROP_BUS] = g_param_spec_object ("bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS, flags);
  /* Discovery (a GListModel of HearthSighting); the new ones are offered for pairing. */
  properties[PROP_SIGHTINGS]
      = g_param_spec_object ("sightings", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  /* Pair adopts through the hub, so the device is pinned, its address saved and connected. */
  properties[PROP_HUB] = g_param_spec_object ("hub", NULL, NULL, HEARTH_TYPE_HUB, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (HEARTH_TYPE_DEVICE_TILE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-devices-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, flap);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, filter_panel);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, filter_button);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, filter_count_label);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, state_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, type_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, area_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, state_names);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, type_names);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, area_names);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, new_devices_box);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, new_devices_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, grid_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, grid_view);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, device_page_bin);
  gtk_widget_class_bind_template_callback (widget_class, hearth_devices_page_on_filters_changed);
  gtk_widget_class_bind_template_callback (widget_class, hearth_devices_page_on_filter_chosen);
  gtk_widget_class_bind_template_callback (widget_class, hearth_devices_page_on_grid_activate);
  gtk_widget_class_bind_template_callback (widget_class, hearth_devices_page_go_back);
}

static void
hearth_devices_page_init (HearthDevicesPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_layout_manager (GTK_WIDGET (self),
                                 gtk_custom_layout_new (hearth_devices_page_get_request_mode,
                                                        hearth_devices_page_measure,
                                                        hearth_devices_page_allocate));

  self->area_filter_any = TRUE;
  {
    GtkListBox *lists[] = { self->state_list, self->type_list, self->area_list };
    GtkStringList *names[] = { self->state_names, self->type_names, self->area_names };

    /* Each list starts on "All …"; the page's filter does not exist yet, so choosing it filters
     * nothing. */
    for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
      {
        gtk_list_box_bind_model (lists[i], G_LIST_MODEL (names[i]),
                                 hearth_devices_page_create_filter_row, NULL, NULL);
        list_select_position (lists[i], 0);
      }
  }
  g_signal_connect_swapped (self->flap, "notify::reveal-flap",
                            G_CALLBACK (hearth_devices_page_on_reveal_flap), self);
  g_signal_connect_swapped (self->flap, "notify::reveal-progress",
                            G_CALLBACK (hearth_devices_page_on_reveal_progress), self);
  self->known_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->device_filter = gtk_custom_filter_new (hearth_devices_page_device_matches, self, NULL);
  self->filtered_devices
      = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->device_filter)));
  self->device_sorter = gtk_custom_sorter_new (hearth_devices_page_compare_devices, self, NULL);
  self->sorted_devices
      = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filtered_devices)),
                                 g_object_ref (GTK_SORTER (self->device_sorter)));
  g_signal_connect_swapped (self->filtered_devices, "items-changed",
                            G_CALLBACK (hearth_devices_page_update_empty), self);

  g_signal_connect (factory, "setup", G_CALLBACK (hearth_devices_page_setup_tile), self);
  g_signal_connect (factory, "bind", G_CALLBACK (hearth_devices_page_bind_tile), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (hearth_devices_page_unbind_tile), self);
  /* One column until the first allocation sets max-columns from the width: the grid binds its
   * cells as soon as it has a model, 30 rows of max-columns each. */
  gtk_grid_view_set_max_columns (self->grid_view, 1);
  gtk_grid_view_set_factory (self->grid_view, factory);
  g_object_unref (factory);
  gtk_grid_view_set_model (self->grid_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (
                               g_object_ref (G_LIST_MODEL (self->sorted_devices)))));

  self->sighting_filter = gtk_custom_filter_new (hearth_devices_page_sighting_is_new, self, NULL);
  self->new_sightings
      = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->sighting_filter)));
  g_signal_connect (self->new_sightings, "items-changed",
                    G_CALLBACK (hearth_devices_page_on_new_sightings_changed), self);
  gtk_list_box_bind_model (self->new_devices_list, G_LIST_MODEL (self->new_sightings),
                           hearth_devices_page_create_sighting_row, self, NULL);
  hearth_devices_page_update_empty (self);
  hearth_devices_page_queue_update_counts (self);
}

/**
 * hearth_devices_page_new:
 * @devices: (nullable): the HearthDevices to show; %NULL to show @registry
 * @registry: (nullable): the device registry (proxies for the tiles' primary controls)
 * @trust_store: (nullable): where Pair pins and Ignore ignores
 * @history: (nullable): for the device pages' plots and event logs
 * @bus: (nullable): live property changes and liveness
 * @sightings: (nullable): discovery's sightings (a HearthDiscovery)
 */
GtkWidget *
hearth_devices_page_new (GListModel *devices, HearthDeviceRegistry *registry,
                         HearthTrustStore *trust_store, HearthHistory *history, HearthEventBus *bus,
                         GListModel *sightings)
{
  return g_object_new (HEARTH_TYPE_DEVICES_PAGE, "devices", devices, "registry", registry,
                       "trust-store", trust_store, "history", history, "bus", bus, "sightings",
                       sightings, NULL);
}

GListModel *
hearth_devices_page_get_devices (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->devices;
}

void
hearth_devices_page_set_devices (HearthDevicesPage *self, GListModel *devices)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));
  g_return_if_fail (devices == NULL || G_IS_LIST_MODEL (devices));

  if (self->devices == devices)
    return;
  if (self->devices != NULL)
    g_clear_signal_handler (&self->devices_handler, self->devices);
  g_set_object (&self->devices, devices);
  if (devices != NULL)
    self->devices_handler = g_signal_connect_swapped (
        devices, "items-changed", G_CALLBACK (hearth_devices_page_queue_refresh_areas), self);
  hearth_devices_page_queue_refresh_areas (self);
  gtk_filter_list_model_set_model (self->filtered_devices, devices);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICES]);
}

HearthDeviceRegistry *
hearth_devices_page_get_registry (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->registry;
}

void
hearth_devices_page_set_registry (HearthDevicesPage *self, HearthDeviceRegistry *registry)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));

  if (!g_set_object (&self->registry, registry))
    return;
  if (registry != NULL && self->devices == NULL)
    hearth_devices_page_set_devices (self, G_LIST_MODEL (registry));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTRY]);
}

HearthTrustStore *
hearth_devices_page_get_trust_store (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->trust_store;
}

void
hearth_devices_page_set_trust_store (HearthDevicesPage *self, HearthTrustStore *trust_store)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));

  if (self->trust_store == trust_store)
    return;
  if (self->trust_store != NULL)
    {
      g_clear_signal_handler (&self->trust_handler, self->trust_store);
      g_clear_signal_handler (&self->trust_area_handler, self->trust_store);
    }
  g_set_object (&self->trust_store, trust_store);
  if (trust_store != NULL)
    {
      self->trust_handler = g_signal_connect_swapped (
          trust_store, "changed", G_CALLBACK (hearth_devices_page_update_known_ids), self);
      /* The registry copies areas to the devices on the same signal, maybe after this handler:
       * the refresh waits for the next main-loop turn. */
      self->trust_area_handler = g_signal_connect_swapped (
          trust_store, "changed", G_CALLBACK (hearth_devices_page_queue_refresh_areas), self);
    }
  hearth_devices_page_queue_refresh_areas (self);
  hearth_devices_page_update_known_ids (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRUST_STORE]);
}

HearthHistory *
hearth_devices_page_get_history (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->history;
}

void
hearth_devices_page_set_history (HearthDevicesPage *self, HearthHistory *history)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));

  if (g_set_object (&self->history, history))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
}

HearthEventBus *
hearth_devices_page_get_bus (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->bus;
}

void
hearth_devices_page_set_bus (HearthDevicesPage *self, HearthEventBus *bus)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));

  if (self->bus == bus)
    return;
  if (self->bus != NULL)
    g_clear_signal_handler (&self->bus_handler, self->bus);
  g_set_object (&self->bus, bus);
  if (bus != NULL)
    self->bus_handler
        = g_signal_connect (bus, "event", G_CALLBACK (hearth_devices_page_on_event), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUS]);
}

GListModel *
hearth_devices_page_get_sightings (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->sightings;
}

void
hearth_devices_page_set_sightings (HearthDevicesPage *self, GListModel *sightings)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));
  g_return_if_fail (sightings == NULL || G_IS_LIST_MODEL (sightings));

  if (!g_set_object (&self->sightings, sightings))
    return;
  gtk_filter_list_model_set_model (self->new_sightings, sightings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGHTINGS]);
}

HearthHub *
hearth_devices_page_get_hub (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->hub;
}

/**
 * hearth_devices_page_set_hub:
 * @hub: (nullable): the hub Pair adopts devices through (hearth_hub_adopt()); without one, Pair
 *   explains that the hub is not running
 */
void
hearth_devices_page_set_hub (HearthDevicesPage *self, HearthHub *hub)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));
  g_return_if_fail (hub == NULL || HEARTH_IS_HUB (hub));

  if (g_set_object (&self->hub, hub))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HUB]);
}

GtkGridView *
hearth_devices_page_get_grid_view (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->grid_view;
}

GtkEditable *
hearth_devices_page_get_search_entry (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

/**
 * hearth_devices_page_get_filter_flap:
 *
 * Returns: (transfer none): the flap whose side panel holds the filters
 */
AdwFlap *
hearth_devices_page_get_filter_flap (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->flap;
}

/**
 * hearth_devices_page_get_filter_button:
 *
 * Returns: (transfer none): the button beside the search that shows and hides the filter panel
 */
GtkToggleButton *
hearth_devices_page_get_filter_button (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->filter_button;
}

/**
 * hearth_devices_page_get_filter_list:
 *
 * Returns: (transfer none): the list of @filter's section in the panel, one row per entry of
 *   hearth_devices_page_get_filter_entries()
 */
GtkListBox *
hearth_devices_page_get_filter_list (HearthDevicesPage *self, HearthDevicesFilter filter)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  switch (filter)
    {
      case HEARTH_DEVICES_FILTER_STATE:
        return self->state_list;
      case HEARTH_DEVICES_FILTER_TYPE:
        return self->type_list;
      case HEARTH_DEVICES_FILTER_AREA:
        return self->area_list;
      default:
        g_return_val_if_reached (NULL);
    }
}

/**
 * hearth_devices_page_get_filter_entries:
 *
 * Returns: (transfer none): the names of @filter's rows (a GtkStringList); for the areas: "All
 *   areas", the areas in use sorted, then "No area"
 */
GListModel *
hearth_devices_page_get_filter_entries (HearthDevicesPage *self, HearthDevicesFilter filter)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  switch (filter)
    {
      case HEARTH_DEVICES_FILTER_STATE:
        return G_LIST_MODEL (self->state_names);
      case HEARTH_DEVICES_FILTER_TYPE:
        return G_LIST_MODEL (self->type_names);
      case HEARTH_DEVICES_FILTER_AREA:
        return G_LIST_MODEL (self->area_names);
      default:
        g_return_val_if_reached (NULL);
    }
}

/**
 * hearth_devices_page_get_filter_selected:
 *
 * Returns: the position of @filter's chosen row; 0 is "All …"
 */
guint
hearth_devices_page_get_filter_selected (HearthDevicesPage *self, HearthDevicesFilter filter)
{
  GtkListBox *list = hearth_devices_page_get_filter_list (self, filter);

  g_return_val_if_fail (list != NULL, 0);

  return list_selected_position (list);
}

/**
 * hearth_devices_page_set_filter_selected:
 *
 * Chooses @filter's row at @position, as keyboard navigation in the panel does: the grid is
 * filtered at once, and the panel stays as it is.
 */
void
hearth_devices_page_set_filter_selected (HearthDevicesPage *self, HearthDevicesFilter filter,
                                         guint position)
{
  GtkListBox *list = hearth_devices_page_get_filter_list (self, filter);

  g_return_if_fail (list != NULL);
  g_return_if_fail (gtk_list_box_get_row_at_index (list, (int)position) != NULL);

  list_select_position (list, position);
}

/**
 * hearth_devices_page_get_filter_count:
 *
 * Returns: the number of devices @filter's row at @position shows: those the grid would show
 *   with that row chosen (the search and the other sections' choices apply). Counts follow
 *   changes once per main-loop turn.
 */
guint
hearth_devices_page_get_filter_count (HearthDevicesPage *self, HearthDevicesFilter filter,
                                      guint position)
{
  GtkListBox *list = hearth_devices_page_get_filter_list (self, filter);
  GtkListBoxRow *row;

  g_return_val_if_fail (list != NULL, 0);
  row = gtk_list_box_get_row_at_index (list, (int)position);
  g_return_val_if_fail (row != NULL, 0);

  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "count"));
}

/**
 * hearth_devices_page_get_n_active_filters:
 *
 * Returns: how many of the State, Type and Area sections have another row than "All …" chosen
 */
guint
hearth_devices_page_get_n_active_filters (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), 0);

  return (self->state_wanted > 0) + (self->type_wanted > 0) + !self->area_filter_any;
}

/**
 * hearth_devices_page_get_n_shown:
 *
 * Returns: how many devices pass the search and the filters
 */
guint
hearth_devices_page_get_n_shown (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->sorted_devices));
}

guint
hearth_devices_page_get_n_new_devices (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->new_sightings));
}

/**
 * hearth_devices_page_get_shown_device:
 *
 * Returns: (transfer none) (nullable): the device shown at @position, in grid order
 */
HearthDevice *
hearth_devices_page_get_shown_device (HearthDevicesPage *self, guint position)
{
  g_autoptr (HearthDevice) device = NULL;

  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  device = g_list_model_get_item (G_LIST_MODEL (self->sorted_devices), position);
  /* The model holds its own reference, so the borrowed pointer stays valid. */
  return device;
}

/**
 * hearth_devices_page_open_device:
 *
 * Shows @device's control page, as activating its tile does.
 */
void
hearth_devices_page_open_device (HearthDevicesPage *self, HearthDevice *device)
{
  HearthDeviceProxy *proxy = NULL;

  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));
  g_return_if_fail (HEARTH_IS_DEVICE (device));

  if (self->registry != NULL)
    proxy = hearth_device_registry_get_proxy (self->registry, hearth_device_get_id (device));
  adw_bin_set_child (
      self->device_page_bin,
      hearth_device_page_new (device, proxy, self->bus, self->history, self->trust_store));
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

void
hearth_devices_page_go_back (HearthDevicesPage *self)
{
  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->flap));
}

/**
 * hearth_devices_page_get_device_page:
 *
 * Returns: (transfer none) (nullable): the device page last opened
 */
HearthDevicePage *
hearth_devices_page_get_device_page (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return (HearthDevicePage *)adw_bin_get_child (self->device_page_bin);
}

/**
 * hearth_devices_page_pair:
 *
 * Makes the dialog that asks the user to compare @sighting's key fingerprint with the one the
 * device shows; its "pair" response adopts the device through the page's hub
 * (hearth_devices_page_set_hub()). The caller presents it.
 *
 * Returns: (transfer none): the dialog, owned by GTK until it closes
 */
AdwMessageDialog *
hearth_devices_page_pair (HearthDevicesPage *self, HearthSighting *sighting)
{
  const char *hint = hearth_sighting_get_fingerprint_hint (sighting);
  const char *name = sighting_display_name (sighting);
  g_autofree char *heading = g_strdup_printf (_ ("Pair “%s”?"), name);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  GtkWidget *extra;

  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);
  g_return_val_if_fail (HEARTH_IS_SIGHTING (sighting), NULL);

  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, NULL));
  g_object_set_data_full (G_OBJECT (dialog), "sighting", g_object_ref (sighting), g_object_unref);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "pair",
                                    _ ("_Pair"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "pair", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");

  if (hint != NULL && hearth_fingerprint_is_valid (hint))
    {
      g_autofree char *grouped = hearth_fingerprint_format_for_display (hint);
      guint spaces = 0;

      /* Two lines of eight groups, so the device's display and this one break alike. */
      for (char *c = grouped; *c != '\0'; c++)
        if (*c == ' ' && ++spaces == 8)
          *c = '\n';
      adw_message_dialog_set_body (
          dialog, _ ("Hearth will control this device from now on. First compare this key "
                     "fingerprint with the one the device shows (on its display or label, or "
                     "from “iotscp-device get-cert”). Pair only if every group matches: "
                     "otherwise another device may be answering in its place."));
      extra = gtk_label_new (grouped);
      gtk_label_set_selectable (GTK_LABEL (extra), TRUE);
      gtk_label_set_justify (GTK_LABEL (extra), GTK_JUSTIFY_CENTER);
      gtk_widget_add_css_class (extra, "monospace");
      gtk_widget_add_css_class (extra, "fingerprint-card");
      gtk_widget_add_css_class (extra, "card");
      g_object_set_data_full (G_OBJECT (dialog), "fingerprint", g_strdup (hint), g_free);
    }
  else
    {
      adw_message_dialog_set_body (
          dialog, _ ("The network only announced the first digits of this device's key "
                     "fingerprint. Type the whole fingerprint the device shows (on its display "
                     "or label, or from “iotscp-device get-cert”); Hearth checks that it starts "
                     "with the announced digits."));
      extra = gtk_entry_new ();
      gtk_entry_set_placeholder_text (GTK_ENTRY (extra), hint);
      gtk_widget_add_css_class (extra, "monospace");
      g_object_set_data (G_OBJECT (dialog), "fingerprint-entry", extra);
      g_signal_connect (extra, "changed", G_CALLBACK (hearth_devices_page_on_fingerprint_typed),
                        dialog);
      adw_message_dialog_set_response_enabled (dialog, "pair", FALSE);
    }
  adw_message_dialog_set_extra_child (dialog, extra);
  g_signal_connect_object (dialog, "response", G_CALLBACK (hearth_devices_page_on_pair_response),
                           self, 0);
  return dialog;
}

/**
 * hearth_devices_page_ignore:
 *
 * Puts @sighting's identity on the trust store's ignored list (it stays ignored after a
 * restart), with Undo in a toast.
 */
void
hearth_devices_page_ignore (HearthDevicesPage *self, HearthSighting *sighting)
{
  const char *device_id = hearth_sighting_get_device_id (sighting);
  const char *fingerprint = hearth_sighting_get_fingerprint_hint (sighting);
  const char *name = hearth_sighting_get_name (sighting) != NULL
                         ? hearth_sighting_get_name (sighting)
                         : device_id;
  g_autoptr (GError) error = NULL;
  g_autoptr (AdwToast) toast = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (HEARTH_IS_DEVICES_PAGE (self));
  g_return_if_fail (HEARTH_IS_SIGHTING (sighting));

  if (self->trust_store == NULL)
    return;
  if (!hearth_trust_store_ignore (self->trust_store, device_id, fingerprint, &error))
    {
      text = g_strdup_printf (_ ("Could not ignore “%s”: %s"), name, error->message);
      hearth_devices_page_toast_text (self, text);
      return;
    }
  text = g_strdup_printf (_ ("Ignoring “%s”"), name);
  toast = adw_toast_new (text);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  g_object_set_data_full (G_OBJECT (toast), "device-id", g_strdup (device_id), g_free);
  g_object_set_data_full (G_OBJECT (toast), "fingerprint", g_strdup (fingerprint), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (hearth_devices_page_on_unignore),
                           self, 0);
  hearth_devices_page_toast (self, toast);
}
