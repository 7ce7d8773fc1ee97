/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-device-proxy.h"
#include "hearth-device-registry.h"
#include "hearth-device.h"
#include "hearth-event-bus.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DEVICE_TILE (hearth_device_tile_get_type ())

/* A tile's width in pixels, its minimum and natural width: 12 px of padding on each side of 164 px
 * of content. */
#define HEARTH_DEVICE_TILE_WIDTH 188

G_DECLARE_FINAL_TYPE (HearthDeviceTile, hearth_device_tile, HEARTH, DEVICE_TILE, GtkWidget)

const char *hearth_device_tile_icon_name (HearthDescription *description);
const char *hearth_device_tile_state_label (HearthDeviceState state);
void hearth_device_tile_style_state_badge (GtkLabel *badge, HearthDeviceState state);

GtkWidget *hearth_device_tile_new (void);
HearthDevice *hearth_device_tile_get_device (HearthDeviceTile *self);
void hearth_device_tile_set_device (HearthDeviceTile *self, HearthDevice *device);
HearthDeviceProxy *hearth_device_tile_get_proxy (HearthDeviceTile *self);
void hearth_device_tile_set_proxy (HearthDeviceTile *self, HearthDeviceProxy *proxy);
HearthEventBus *hearth_device_tile_get_bus (HearthDeviceTile *self);
void hearth_device_tile_set_bus (HearthDeviceTile *self, HearthEventBus *bus);
HearthDeviceRegistry *hearth_device_tile_get_registry (HearthDeviceTile *self);
void hearth_device_tile_set_registry (HearthDeviceTile *self, HearthDeviceRegistry *registry);
GtkSwitch *hearth_device_tile_get_primary_switch (HearthDeviceTile *self);
const char *hearth_device_tile_get_badge_text (HearthDeviceTile *self);
const char *hearth_device_tile_get_value_text (HearthDeviceTile *self);

G_END_DECLS
