/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hearth-device.h"
#include "hearth-event-bus.h"
#include "hearth-event-server.h"
#include "hearth-hub-identity.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

/**
 * HEARTH_DEVICE_ERROR:
 *
 * Errors of requests to a device. The codes follow the device's error codes
 * (docs/protocol.md §5.3) so that callers can tell "the device refused" from "the value was
 * wrong" from "the device is unreachable"; the message is the device's own where it sent one.
 */
#define HEARTH_DEVICE_ERROR (hearth_device_error_quark ())

/**
 * HearthDeviceError:
 * @HEARTH_DEVICE_ERROR_REFUSED: the device's logic refused (409); the message is the device's
 * @HEARTH_DEVICE_ERROR_INVALID_VALUE: the value or input is invalid (422, or found invalid by
 *   the hub against the description before anything was sent)
 * @HEARTH_DEVICE_ERROR_FORBIDDEN: the hub's key is not a controller of the device (403)
 * @HEARTH_DEVICE_ERROR_NOT_FOUND: no such property, action or path (404)
 * @HEARTH_DEVICE_ERROR_READ_ONLY: the property is read-only (405)
 * @HEARTH_DEVICE_ERROR_BUSY: the device has no free slot (503)
 * @HEARTH_DEVICE_ERROR_TIMEOUT: no complete answer within the deadline
 * @HEARTH_DEVICE_ERROR_TRANSPORT: the connection failed or broke
 * @HEARTH_DEVICE_ERROR_NOT_TRUSTED: the device's key is not the pinned one, or it is blocked;
 *   nothing was sent
 * @HEARTH_DEVICE_ERROR_PROTOCOL: the device answered something IOTSCP/2 does not allow
 * @HEARTH_DEVICE_ERROR_UNUSABLE: the device's description is invalid or not fetched yet
 */
typedef enum
{
  HEARTH_DEVICE_ERROR_REFUSED,
  HEARTH_DEVICE_ERROR_INVALID_VALUE,
  HEARTH_DEVICE_ERROR_FORBIDDEN,
  HEARTH_DEVICE_ERROR_NOT_FOUND,
  HEARTH_DEVICE_ERROR_READ_ONLY,
  HEARTH_DEVICE_ERROR_BUSY,
  HEARTH_DEVICE_ERROR_TIMEOUT,
  HEARTH_DEVICE_ERROR_TRANSPORT,
  HEARTH_DEVICE_ERROR_NOT_TRUSTED,
  HEARTH_DEVICE_ERROR_PROTOCOL,
  HEARTH_DEVICE_ERROR_UNUSABLE,
} HearthDeviceError;

GQuark hearth_device_error_quark (void);

#define HEARTH_TYPE_DEVICE_PROXY (hearth_device_proxy_get_type ())

G_DECLARE_FINAL_TYPE (HearthDeviceProxy, hearth_device_proxy, HEARTH, DEVICE_PROXY, GObject)

HearthDeviceProxy *hearth_device_proxy_new (HearthDevice *device, HearthHubIdentity *identity,
                                            HearthTrustStore *trust_store,
                                            HearthEventServer *event_server, HearthEventBus *bus);
void hearth_device_proxy_use_pinned_keys_only (void);
HearthDevice *hearth_device_proxy_get_device (HearthDeviceProxy *self);
void hearth_device_proxy_start (HearthDeviceProxy *self);
void hearth_device_proxy_reconnect (HearthDeviceProxy *self);
void hearth_device_proxy_stop (HearthDeviceProxy *self);
guint hearth_device_proxy_get_requested_heartbeat (HearthDeviceProxy *self);
void hearth_device_proxy_set_requested_heartbeat (HearthDeviceProxy *self, guint seconds);
guint hearth_device_proxy_get_max_backoff (HearthDeviceProxy *self);
void hearth_device_proxy_set_max_backoff (HearthDeviceProxy *self, guint milliseconds);
JsonNode *hearth_device_proxy_get_value (HearthDeviceProxy *self, const char *property);
GStrv hearth_device_proxy_list_values (HearthDeviceProxy *self);
const char *hearth_device_proxy_get_sid (HearthDeviceProxy *self);
const char *hearth_device_proxy_get_boot_id (HearthDeviceProxy *self);
guint64 hearth_device_proxy_get_n_resyncs (HearthDeviceProxy *self);
guint64 hearth_device_proxy_get_n_lost_notifies (HearthDeviceProxy *self);
guint64 hearth_device_proxy_get_n_handshakes_refused (HearthDeviceProxy *self);

void hearth_device_proxy_read_properties_async (HearthDeviceProxy *self, GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean hearth_device_proxy_read_properties_finish (HearthDeviceProxy *self, GAsyncResult *result,
                                                     GError **error);
void hearth_device_proxy_write_property_async (HearthDeviceProxy *self, const char *property,
                                               JsonNode *value, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
JsonNode *hearth_device_proxy_write_property_finish (HearthDeviceProxy *self, GAsyncResult *result,
                                                     GError **error);
void hearth_device_proxy_call_action_async (HearthDeviceProxy *self, const char *action,
                                            JsonNode *input, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
JsonNode *hearth_device_proxy_call_action_finish (HearthDeviceProxy *self, GAsyncResult *result,
                                                  GError **error);

G_END_DECLS
