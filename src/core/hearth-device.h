/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-description.h"

G_BEGIN_DECLS

/**
 * HearthDeviceState:
 * @HEARTH_DEVICE_STATE_NEW: seen (discovery or an address given by hand), not paired
 * @HEARTH_DEVICE_STATE_PAIRING: a pairing exchange is under way
 * @HEARTH_DEVICE_STATE_ONLINE: pinned, subscribed, state read, heartbeats arriving
 * @HEARTH_DEVICE_STATE_OFFLINE: pinned but not reachable, or heartbeats missed; the hub keeps
 *   trying to subscribe again
 * @HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED: the device presented another key than the pinned
 *   one; nothing is sent to it or accepted from it until the user decides
 * @HEARTH_DEVICE_STATE_BLOCKED: on the blocklist, or its new key was rejected
 * @HEARTH_DEVICE_STATE_UNUSABLE: reachable and trusted, but its description is invalid (see
 *   #HearthDevice:problem)
 */
typedef enum
{
  HEARTH_DEVICE_STATE_NEW,
  HEARTH_DEVICE_STATE_PAIRING,
  HEARTH_DEVICE_STATE_ONLINE,
  HEARTH_DEVICE_STATE_OFFLINE,
  HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED,
  HEARTH_DEVICE_STATE_BLOCKED,
  HEARTH_DEVICE_STATE_UNUSABLE,
} HearthDeviceState;

#define HEARTH_TYPE_DEVICE_STATE (hearth_device_state_get_type ())
GType hearth_device_state_get_type (void) G_GNUC_CONST;
const char *hearth_device_state_to_string (HearthDeviceState state);

#define HEARTH_TYPE_DEVICE (hearth_device_get_type ())

G_DECLARE_FINAL_TYPE (HearthDevice, hearth_device, HEARTH, DEVICE, GObject)

HearthDevice *hearth_device_new (const char *id);
const char *hearth_device_get_id (HearthDevice *self);
const char *hearth_device_get_name (HearthDevice *self);
void hearth_device_set_name (HearthDevice *self, const char *name);
HearthDeviceState hearth_device_get_state (HearthDevice *self);
void hearth_device_set_state (HearthDevice *self, HearthDeviceState state);
const char *hearth_device_get_host (HearthDevice *self);
guint16 hearth_device_get_port (HearthDevice *self);
char *hearth_device_dup_address (HearthDevice *self);
void hearth_device_set_address (HearthDevice *self, const char *host, guint16 port);
const char *hearth_device_get_fingerprint_hint (HearthDevice *self);
void hearth_device_set_fingerprint_hint (HearthDevice *self, const char *fingerprint);
gint64 hearth_device_get_last_heard (HearthDevice *self);
void hearth_device_set_last_heard (HearthDevice *self, gint64 time_us);
guint hearth_device_get_heartbeat_interval (HearthDevice *self);
void hearth_device_set_heartbeat_interval (HearthDevice *self, guint seconds);
guint hearth_device_get_resubscribe_count (HearthDevice *self);
void hearth_device_set_resubscribe_count (HearthDevice *self, guint count);
HearthDescription *hearth_device_get_description (HearthDevice *self);
void hearth_device_set_description (HearthDevice *self, HearthDescription *description);
const char *hearth_device_get_problem (HearthDevice *self);
void hearth_device_set_problem (HearthDevice *self, const char *problem);
const char *hearth_device_get_area (HearthDevice *self);
void hearth_device_set_area (HearthDevice *self, const char *area);

G_END_DECLS
