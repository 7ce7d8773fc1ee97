/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-device-proxy.h"
#include "hearth-device.h"
#include "hearth-event-bus.h"
#include "hearth-history.h"
#include "hearth-property-row.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

/* How many device events the live log keeps. */
#define HEARTH_DEVICE_PAGE_MAX_LOG_ROWS 50

#define HEARTH_TYPE_DEVICE_PAGE (hearth_device_page_get_type ())

G_DECLARE_FINAL_TYPE (HearthDevicePage, hearth_device_page, HEARTH, DEVICE_PAGE, AdwBin)

GtkWidget *hearth_device_page_new (HearthDevice *device, HearthDeviceProxy *proxy,
                                   HearthEventBus *bus, HearthHistory *history,
                                   HearthTrustStore *trust_store);
HearthDevice *hearth_device_page_get_device (HearthDevicePage *self);
HearthDeviceProxy *hearth_device_page_get_proxy (HearthDevicePage *self);
HearthPropertyRow *hearth_device_page_get_property_row (HearthDevicePage *self,
                                                        const char *property_name);
GtkWidget *hearth_device_page_get_action_form (HearthDevicePage *self, const char *action_name);
guint hearth_device_page_get_n_log_rows (HearthDevicePage *self);
guint hearth_device_page_get_n_unsupported_rows (HearthDevicePage *self);
AdwEntryRow *hearth_device_page_get_area_row (HearthDevicePage *self);

G_END_DECLS
