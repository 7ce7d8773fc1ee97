/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-device-registry.h"
#include "hearth-discovery.h"
#include "hearth-event-bus.h"
#include "hearth-event-server.h"
#include "hearth-history.h"
#include "hearth-hub-identity.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

/* Where the hub remembers the last address of each pinned device, so that after a restart it
 * can talk to them before discovery has found them again (and to devices added by address,
 * which discovery never announces). */
#define HEARTH_HUB_ADDRESSES_FILE "addresses.json"

/**
 * HearthRotationStatus:
 * @HEARTH_ROTATION_DONE: the device lists the new key and no longer the old one
 * @HEARTH_ROTATION_UNREACHABLE: the device could not be reached; retried when it comes back
 * @HEARTH_ROTATION_REFUSED: the device refused both keys (it lists neither): it must be
 *   given the hub's key again by hand (`--allow-controller`) or paired again
 * @HEARTH_ROTATION_FAILED: the device answered something unexpected; retried later
 *
 * How far the key rotation got on one device.
 */
typedef enum
{
  HEARTH_ROTATION_DONE,
  HEARTH_ROTATION_UNREACHABLE,
  HEARTH_ROTATION_REFUSED,
  HEARTH_ROTATION_FAILED,
} HearthRotationStatus;

const char *hearth_rotation_status_to_string (HearthRotationStatus status);

/**
 * HearthRotationEntry:
 * @device_id: the device
 * @status: how far the rotation got
 * @message: (nullable): what went wrong, for people
 */
typedef struct
{
  char *device_id;
  HearthRotationStatus status;
  char *message;
} HearthRotationEntry;

void hearth_rotation_entry_free (HearthRotationEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRotationEntry, hearth_rotation_entry_free)

#define HEARTH_TYPE_HUB (hearth_hub_get_type ())

G_DECLARE_FINAL_TYPE (HearthHub, hearth_hub, HEARTH, HUB, GObject)

char *hearth_hub_dup_default_data_dir (void);

HearthHub *hearth_hub_new (const char *data_dir, guint16 port, gboolean discovery_enabled,
                           GCancellable *cancellable, GError **error);
const char *hearth_hub_get_data_dir (HearthHub *self);
guint16 hearth_hub_get_port (HearthHub *self);
HearthHubIdentity *hearth_hub_get_identity (HearthHub *self);
HearthTrustStore *hearth_hub_get_trust_store (HearthHub *self);
HearthHistory *hearth_hub_get_history (HearthHub *self);
HearthEventBus *hearth_hub_get_bus (HearthHub *self);
HearthEventServer *hearth_hub_get_event_server (HearthHub *self);
HearthDeviceRegistry *hearth_hub_get_registry (HearthHub *self);
HearthDiscovery *hearth_hub_get_discovery (HearthHub *self);
const char *hearth_hub_get_discovery_problem (HearthHub *self);

HearthDevice *hearth_hub_note_address (HearthHub *self, const char *device_id, const char *host,
                                       guint16 port, const char *fingerprint_hint, GError **error);
void hearth_hub_add_address_async (HearthHub *self, const char *host_and_port,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
HearthSighting *hearth_hub_add_address_finish (HearthHub *self, GAsyncResult *result,
                                               GError **error);
gboolean hearth_hub_adopt (HearthHub *self, const char *device_id, const char *fingerprint,
                           GError **error);
gboolean hearth_hub_approve (HearthHub *self, const char *device_id, GError **error);

void hearth_hub_rotate_key_async (HearthHub *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *hearth_hub_rotate_key_finish (HearthHub *self, GAsyncResult *result, GError **error);
gboolean hearth_hub_get_is_rotating (HearthHub *self);
GPtrArray *hearth_hub_dup_rotation_entries (HearthHub *self);

void hearth_hub_stop (HearthHub *self);

G_END_DECLS
