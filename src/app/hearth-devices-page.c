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
 * through a GtkSortListModel. Activating a tile slides in its HearthDevicePage (an AdwLeaflet
 * that never unfolds, so it works as a navigation stack on every width, with swipe back).
 *
 * Areas ("Kitchen") are the user's, kept with the pins in the trust store and mirrored on each
 * HearthDevice by the registry. The area drop-down lists the areas in use, collected from the
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

/* The state filter's entries, in the drop-down's order; -1 is "all". */
static const int state_filter_states[] = {
  -1,
  HEARTH_DEVICE_STATE_ONLINE,
  HEARTH_DEVICE_STATE_OFFLINE,
  HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED,
  HEARTH_DEVICE_STATE_BLOCKED,
  HEARTH_DEVICE_STATE_NEW,
};

/* The type filter's entries: `ui.icon` hints, in the drop-down's order; NULL is "all", and
 * "other" matches everything else. */
static const char *const type_filter_icons[] = {
  NULL, "light", "switch", "keypad", "thermometer", "motion", "lock", "other",
};

struct _HearthDevicesPage
{
  AdwBin parent_instance;

  /* Template widgets */
  AdwLeaflet *leaflet;
  GtkWidget *grid_box;
  GtkSearchEntry *search_entry;
  GtkDropDown *state_filter;
  GtkDropDown *type_filter;
  GtkDropDown *area_filter;
  GtkStringList *area_names;
  GtkWidget *new_devices_box;
  GtkListBox *new_devices_list;
  GtkStack *grid_stack;
  GtkGridView *grid_view;
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

static gboolean
hearth_devices_page_device_matches (gpointer item, gpointer user_data)
{
  HearthDevicesPage *self = user_data;
  HearthDevice *device = item;
  guint state_index = gtk_drop_down_get_selected (self->state_filter);
  guint type_index = gtk_drop_down_get_selected (self->type_filter);

  if (state_index < G_N_ELEMENTS (state_filter_states) && state_filter_states[state_index] >= 0
      && (int)hearth_device_get_state (device) != state_filter_states[state_index])
    return FALSE;

  if (type_index > 0 && type_index < G_N_ELEMENTS (type_filter_icons))
    {
      HearthDescription *description = hearth_device_get_description (device);
      const char *icon = description != NULL ? hearth_description_get_icon (description) : NULL;
      const char *wanted = type_filter_icons[type_index];

      if (g_str_equal (wanted, "other"))
        {
          for (guint i = 1; icon != NULL && i < G_N_ELEMENTS (type_filter_icons) - 1; i++)
            if (g_str_equal (icon, type_filter_icons[i]))
              return FALSE;
        }
      else if (g_strcmp0 (icon, wanted) != 0)
        return FALSE;
    }

  if (!self->area_filter_any && g_strcmp0 (hearth_device_get_area (device), self->area_wanted) != 0)
    return FALSE;

  if (self->search_casefold != NULL)
    {
      HearthDescription *description = hearth_device_get_description (device);
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
      return FALSE;
    }
  return TRUE;
}

static int
hearth_devices_page_compare_devices (gconstpointer a, gconstpointer b, gpointer user_data)
{
  HearthDevice *first = (HearthDevice *)a;
  HearthDevice *second = (HearthDevice *)b;
  int order = g_utf8_collate (device_name (first), device_name (second));

  if (order != 0)
    return order;
  return g_strcmp0 (hearth_device_get_id (first), hearth_device_get_id (second));
}

static void
hearth_devices_page_update_empty (HearthDevicesPage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->filtered_devices)) == 0;

  gtk_stack_set_visible_child_name (self->grid_stack, empty ? "empty" : "grid");
}

static void
hearth_devices_page_on_filters_changed (HearthDevicesPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  guint area_index = gtk_drop_down_get_selected (self->area_filter);
  guint n_area_entries = g_list_model_get_n_items (G_LIST_MODEL (self->area_names));

  /* While the areas are being replaced the drop-down's selection moves about; the refresh
   * selects the right entry and calls this once at the end. */
  if (self->updating_areas)
    return;

  g_clear_pointer (&self->search_casefold, g_free);
  if (text != NULL && text[0] != '\0')
    self->search_casefold = g_utf8_casefold (text, -1);

  /* The first entry is "All areas", the last "No area" (wanted area NULL). */
  g_clear_pointer (&self->area_wanted, g_free);
  self->area_filter_any = area_index == 0 || area_index >= n_area_entries;
  if (!self->area_filter_any && area_index < n_area_entries - 1)
    self->area_wanted = g_strdup (gtk_string_list_get_string (self->area_names, area_index));

  if (self->device_filter == NULL)
    return;
  gtk_filter_changed (GTK_FILTER (self->device_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static gboolean
hearth_devices_page_refilter (gpointer user_data)
{
  HearthDevicesPage *self = user_data;

  self->refilter_id = 0;
  gtk_filter_changed (GTK_FILTER (self->device_filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (GTK_SORTER (self->device_sorter), GTK_SORTER_CHANGE_DIFFERENT);
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
      gtk_drop_down_set_selected (self->area_filter, selected);
      self->updating_areas = FALSE;
    }

  /* A device may have moved between areas that stay in use: look again whenever what is
   * shown depends on areas. */
  if (!same || !self->area_filter_any || self->search_casefold != NULL)
    hearth_devices_page_on_filters_changed (self);
  return G_SOURCE_REMOVE;
}

/* The area drop-down's button shows the chosen area ellipsized: an area may be 64 bytes long,
 * and the filter bar must still fit an 800 px panel. */
static void
hearth_devices_page_setup_area_label (GtkSignalListItemFactory *factory, GtkListItem *item,
                                      gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 14);
  gtk_list_item_set_child (item, label);
}

static void
hearth_devices_page_bind_area_label (GtkSignalListItemFactory *factory, GtkListItem *item,
                                     gpointer user_data)
{
  GtkStringObject *entry = gtk_list_item_get_item (item);
  const char *text = gtk_string_object_get_string (entry);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
  gtk_widget_set_tooltip_text (gtk_list_item_get_child (item), text);
}

static void
hearth_devices_page_queue_refresh_areas (HearthDevicesPage *self)
{
  if (self->refresh_areas_id == 0)
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

  g_clear_handle_id (&self->refilter_id, g_source_remove);
  g_clear_handle_id (&self->refresh_areas_id, g_source_remove);
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

/* The page lays out its one child as AdwBin does (GtkBinLayout), and on the way sets the grid's
 * max-columns from the width.
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
  guint columns = CLAMP (width / HEARTH_DEVICE_TILE_WIDTH, 1, GRID_MAX_COLUMNS);

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
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, grid_box);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, state_filter);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, type_filter);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, area_filter);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, area_names);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, new_devices_box);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, new_devices_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, grid_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, grid_view);
  gtk_widget_class_bind_template_child (widget_class, HearthDevicesPage, device_page_bin);
  gtk_widget_class_bind_template_callback (widget_class, hearth_devices_page_on_filters_changed);
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
    GtkListItemFactory *popup_factory = gtk_drop_down_get_factory (self->area_filter);
    g_autoptr (GtkListItemFactory) button_factory = gtk_signal_list_item_factory_new ();

    /* The popup keeps GTK's rows (whole names, a check mark on the chosen one). */
    if (popup_factory != NULL)
      gtk_drop_down_set_list_factory (self->area_filter, popup_factory);
    g_signal_connect (button_factory, "setup", G_CALLBACK (hearth_devices_page_setup_area_label),
                      NULL);
    g_signal_connect (button_factory, "bind", G_CALLBACK (hearth_devices_page_bind_area_label),
                      NULL);
    gtk_drop_down_set_factory (self->area_filter, button_factory);
  }
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

GtkDropDown *
hearth_devices_page_get_state_filter (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->state_filter;
}

GtkDropDown *
hearth_devices_page_get_type_filter (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->type_filter;
}

/**
 * hearth_devices_page_get_area_filter:
 *
 * Returns: (transfer none): the area drop-down: "All areas", the areas in use sorted, then
 *   "No area"
 */
GtkDropDown *
hearth_devices_page_get_area_filter (HearthDevicesPage *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICES_PAGE (self), NULL);

  return self->area_filter;
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

  adw_leaflet_set_visible_child (self->leaflet, self->grid_box);
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
