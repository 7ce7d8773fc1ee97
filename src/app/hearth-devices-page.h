/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-device-page.h"
#include "hearth-device-registry.h"
#include "hearth-discovery.h"
#include "hearth-event-bus.h"
#include "hearth-history.h"
#include "hearth-hub.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DEVICES_PAGE (hearth_devices_page_get_type ())

G_DECLARE_FINAL_TYPE (HearthDevicesPage, hearth_devices_page, HEARTH, DEVICES_PAGE, AdwBin)

/**
 * HearthDevicesFilter:
 * @HEARTH_DEVICES_FILTER_STATE: the State section ("All states", "Online", …)
 * @HEARTH_DEVICES_FILTER_TYPE: the Type section ("All types", "Lights", …, "Other")
 * @HEARTH_DEVICES_FILTER_AREA: the Area section ("All areas", the areas in use, "No area")
 *
 * The sections of the Devices page's filter panel.
 */
typedef enum
{
  HEARTH_DEVICES_FILTER_STATE,
  HEARTH_DEVICES_FILTER_TYPE,
  HEARTH_DEVICES_FILTER_AREA,
} HearthDevicesFilter;

GtkWidget *hearth_devices_page_new (GListModel *devices, HearthDeviceRegistry *registry,
                                    HearthTrustStore *trust_store, HearthHistory *history,
                                    HearthEventBus *bus, GListModel *sightings);
GListModel *hearth_devices_page_get_devices (HearthDevicesPage *self);
void hearth_devices_page_set_devices (HearthDevicesPage *self, GListModel *devices);
HearthDeviceRegistry *hearth_devices_page_get_registry (HearthDevicesPage *self);
void hearth_devices_page_set_registry (HearthDevicesPage *self, HearthDeviceRegistry *registry);
HearthTrustStore *hearth_devices_page_get_trust_store (HearthDevicesPage *self);
void hearth_devices_page_set_trust_store (HearthDevicesPage *self, HearthTrustStore *trust_store);
HearthHistory *hearth_devices_page_get_history (HearthDevicesPage *self);
void hearth_devices_page_set_history (HearthDevicesPage *self, HearthHistory *history);
HearthEventBus *hearth_devices_page_get_bus (HearthDevicesPage *self);
void hearth_devices_page_set_bus (HearthDevicesPage *self, HearthEventBus *bus);
GListModel *hearth_devices_page_get_sightings (HearthDevicesPage *self);
void hearth_devices_page_set_sightings (HearthDevicesPage *self, GListModel *sightings);
HearthHub *hearth_devices_page_get_hub (HearthDevicesPage *self);
void hearth_devices_page_set_hub (HearthDevicesPage *self, HearthHub *hub);

GtkGridView *hearth_devices_page_get_grid_view (HearthDevicesPage *self);
GtkEditable *hearth_devices_page_get_search_entry (HearthDevicesPage *self);
AdwFlap *hearth_devices_page_get_filter_flap (HearthDevicesPage *self);
GtkToggleButton *hearth_devices_page_get_filter_button (HearthDevicesPage *self);
GtkListBox *hearth_devices_page_get_filter_list (HearthDevicesPage *self,
                                                 HearthDevicesFilter filter);
GListModel *hearth_devices_page_get_filter_entries (HearthDevicesPage *self,
                                                    HearthDevicesFilter filter);
guint hearth_devices_page_get_filter_selected (HearthDevicesPage *self, HearthDevicesFilter filter);
void hearth_devices_page_set_filter_selected (HearthDevicesPage *self, HearthDevicesFilter filter,
                                              guint position);
guint hearth_devices_page_get_filter_count (HearthDevicesPage *self, HearthDevicesFilter filter,
                                            guint position);
guint hearth_devices_page_get_n_active_filters (HearthDevicesPage *self);
guint hearth_devices_page_get_n_shown (HearthDevicesPage *self);
guint hearth_devices_page_get_n_new_devices (HearthDevicesPage *self);
HearthDevice *hearth_devices_page_get_shown_device (HearthDevicesPage *self, guint position);
void hearth_devices_page_open_device (HearthDevicesPage *self, HearthDevice *device);
void hearth_devices_page_go_back (HearthDevicesPage *self);
HearthDevicePage *hearth_devices_page_get_device_page (HearthDevicesPage *self);
AdwMessageDialog *hearth_devices_page_pair (HearthDevicesPage *self, HearthSighting *sighting);
void hearth_devices_page_ignore (HearthDevicesPage *self, HearthSighting *sighting);

G_END_DECLS
