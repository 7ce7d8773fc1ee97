/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_TRUST_STORE (hearth_trust_store_get_type ())

G_DECLARE_FINAL_TYPE (HearthTrustStore, hearth_trust_store, HEARTH, TRUST_STORE, GObject)

#define HEARTH_TRUST_STORE_FILE "trust.json"

/* The longest area name the store keeps, in bytes of UTF-8. */
#define HEARTH_TRUST_AREA_MAX_BYTES 64

/**
 * HearthTrustVerdict:
 * @HEARTH_TRUST_VERDICT_UNKNOWN: the device id is not pinned: a new device
 * @HEARTH_TRUST_VERDICT_IGNORED: a new device whose identity the user chose to ignore
 * @HEARTH_TRUST_VERDICT_TRUSTED: the device id is pinned to exactly this key
 * @HEARTH_TRUST_VERDICT_CHANGED: the device id is pinned to another key: a certificate change;
 *   nothing may be sent to or accepted from it until the user decides
 * @HEARTH_TRUST_VERDICT_BLOCKED: the device id or the key is on the blocklist
 *
 * What the hub may do with a peer that presents a device id and a key.
 */
typedef enum
{
  HEARTH_TRUST_VERDICT_UNKNOWN,
  HEARTH_TRUST_VERDICT_IGNORED,
  HEARTH_TRUST_VERDICT_TRUSTED,
  HEARTH_TRUST_VERDICT_CHANGED,
  HEARTH_TRUST_VERDICT_BLOCKED,
} HearthTrustVerdict;

/* Records handed out by the store are copies; times are microseconds since the Unix epoch. */

typedef struct
{
  char *device_id;
  char *fingerprint;
  char *name;
  gint64 pinned_at;
  /* The area the user put the device in ("Kitchen"), or NULL; see hearth_trust_store_set_area() */
  char *area;
} HearthTrustPin;

typedef struct
{
  char *device_id;
  char *old_fingerprint;
  char *new_fingerprint;
  gint64 first_seen;
  gint64 last_seen;
  char *address;
  guint64 count;
  gboolean rejected;
} HearthTrustPendingChange;

/* A blocklist entry or an ignored "new device" entry. A block names a device id, a fingerprint
 * or both (both: only that id with that key); an ignored entry always names both, because a
 * new device is known by its identity, never by its address. */
typedef struct
{
  char *device_id;
  char *fingerprint;
  gint64 since;
} HearthTrustEntry;

#define HEARTH_TYPE_TRUST_PIN (hearth_trust_pin_get_type ())
#define HEARTH_TYPE_TRUST_PENDING_CHANGE (hearth_trust_pending_change_get_type ())
#define HEARTH_TYPE_TRUST_ENTRY (hearth_trust_entry_get_type ())

GType hearth_trust_pin_get_type (void) G_GNUC_CONST;
HearthTrustPin *hearth_trust_pin_copy (const HearthTrustPin *pin);
void hearth_trust_pin_free (HearthTrustPin *pin);
GType hearth_trust_pending_change_get_type (void) G_GNUC_CONST;
HearthTrustPendingChange *hearth_trust_pending_change_copy (const HearthTrustPendingChange *change);
void hearth_trust_pending_change_free (HearthTrustPendingChange *change);
GType hearth_trust_entry_get_type (void) G_GNUC_CONST;
HearthTrustEntry *hearth_trust_entry_copy (const HearthTrustEntry *entry);
void hearth_trust_entry_free (HearthTrustEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTrustPin, hearth_trust_pin_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTrustPendingChange, hearth_trust_pending_change_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTrustEntry, hearth_trust_entry_free)

gboolean hearth_trust_device_id_is_valid (const char *device_id);

HearthTrustStore *hearth_trust_store_new (const char *data_dir, GCancellable *cancellable,
                                          GError **error);
const char *hearth_trust_store_get_data_dir (HearthTrustStore *self);
guint hearth_trust_store_get_n_pending (HearthTrustStore *self);
HearthTrustVerdict hearth_trust_store_check (HearthTrustStore *self, const char *device_id,
                                             const char *fingerprint);
HearthTrustPin *hearth_trust_store_get_pin (HearthTrustStore *self, const char *device_id);
HearthTrustPendingChange *hearth_trust_store_get_pending (HearthTrustStore *self,
                                                          const char *device_id);
GPtrArray *hearth_trust_store_list_pins (HearthTrustStore *self);
GPtrArray *hearth_trust_store_list_pending (HearthTrustStore *self);
GPtrArray *hearth_trust_store_list_blocked (HearthTrustStore *self);
GPtrArray *hearth_trust_store_list_ignored (HearthTrustStore *self);
gboolean hearth_trust_store_report_certificate_change (HearthTrustStore *self,
                                                       const char *device_id,
                                                       const char *new_fingerprint,
                                                       const char *address, GError **error);
gboolean hearth_trust_store_pin (HearthTrustStore *self, const char *device_id,
                                 const char *fingerprint, const char *name, GError **error);
gboolean hearth_trust_store_approve (HearthTrustStore *self, const char *device_id,
                                     const char *new_fingerprint, GError **error);
gboolean hearth_trust_store_reject (HearthTrustStore *self, const char *device_id, GError **error);
gboolean hearth_trust_store_block (HearthTrustStore *self, const char *device_id,
                                   const char *fingerprint, GError **error);
gboolean hearth_trust_store_unblock (HearthTrustStore *self, const char *device_id,
                                     const char *fingerprint, GError **error);
gboolean hearth_trust_store_set_area (HearthTrustStore *self, const char *device_id,
                                      const char *area, GError **error);
gboolean hearth_trust_store_forget (HearthTrustStore *self, const char *device_id, GError **error);
gboolean hearth_trust_store_ignore (HearthTrustStore *self, const char *device_id,
                                    const char *fingerprint, GError **error);
gboolean hearth_trust_store_unignore (HearthTrustStore *self, const char *device_id,
                                      const char *fingerprint, GError **error);
gboolean hearth_trust_store_flush (HearthTrustStore *self, GError **error);

G_END_DECLS
