/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-device-proxy.h"
#include "hearth-device.h"
#include "hearth-event-bus.h"
#include "hearth-event-server.h"
#include "hearth-hub-identity.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DEVICE_REGISTRY (hearth_device_registry_get_type ())

G_DECLARE_FINAL_TYPE (HearthDeviceRegistry, hearth_device_registry, HEARTH, DEVICE_REGISTRY,
                      GObject)

HearthDeviceRegistry *hearth_device_registry_new (HearthHubIdentity *identity,
                                                  HearthTrustStore *trust_store,
                                                  HearthEventServer *event_server,
                                                  HearthEventBus *bus);
HearthDevice *hearth_device_registry_lookup (HearthDeviceRegistry *self, const char *device_id);
HearthDeviceProxy *hearth_device_registry_get_proxy (HearthDeviceRegistry *self,
                                                     const char *device_id);
HearthDevice *hearth_device_registry_note_address (HearthDeviceRegistry *self,
                                                   const char *device_id, const char *host,
                                                   guint16 port, const char *fingerprint_hint,
                                                   GError **error);
guint hearth_device_registry_get_heartbeat (HearthDeviceRegistry *self);
void hearth_device_registry_set_heartbeat (HearthDeviceRegistry *self, guint seconds);
guint hearth_device_registry_get_max_backoff (HearthDeviceRegistry *self);
void hearth_device_registry_set_max_backoff (HearthDeviceRegistry *self, guint milliseconds);

G_END_DECLS
