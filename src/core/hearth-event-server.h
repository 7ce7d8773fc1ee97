/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-hub-identity.h"

G_BEGIN_DECLS

#define HEARTH_EVENT_SERVER_DEFAULT_PORT 8443
#define HEARTH_EVENT_SERVER_PATH_PREFIX "/iotscp/events/"

/**
 * HearthNotify:
 * @device_id: the device owning the subscription
 * @sid: the subscription id
 * @seq: the NOTIFY's SEQ
 * @boot_id: the device's boot id from the NOTIFY
 * @is_heartbeat: `NTS: iotscp:heartbeat`
 * @n_lost: how many NOTIFYs were lost before this one (a SEQ gap); the subscriber must re-read
 * @entries: (element-type HearthNotifyEntry): the validated body
 *
 * A NOTIFY that passed every check of the event server: known SID of the current boot, sent with
 * the key pinned for the subscription's device, newer SEQ, valid body.
 */
typedef struct
{
  const char *device_id;
  const char *sid;
  guint32 seq;
  const char *boot_id;
  gboolean is_heartbeat;
  guint32 n_lost;
  GPtrArray *entries;
} HearthNotify;

typedef void (*HearthNotifyFunc) (const HearthNotify *notify, gpointer user_data);

/**
 * HearthNotifyRejection:
 * Why the event server refused a request; counted per reason for diagnostics and tests.
 */
typedef enum
{
  HEARTH_NOTIFY_REJECTED_UNKNOWN_SID,
  HEARTH_NOTIFY_REJECTED_WRONG_KEY,
  HEARTH_NOTIFY_REJECTED_OLD_SEQ,
  HEARTH_NOTIFY_REJECTED_MALFORMED,
  HEARTH_NOTIFY_REJECTED_TOO_LARGE,
  HEARTH_NOTIFY_REJECTED_TIMEOUT,
  HEARTH_NOTIFY_REJECTED_TLS,
  HEARTH_NOTIFY_REJECTED_N_REASONS,
} HearthNotifyRejection;

#define HEARTH_TYPE_EVENT_SERVER (hearth_event_server_get_type ())

G_DECLARE_FINAL_TYPE (HearthEventServer, hearth_event_server, HEARTH, EVENT_SERVER, GObject)

HearthEventServer *hearth_event_server_new (HearthHubIdentity *identity);
gboolean hearth_event_server_listen (HearthEventServer *self, GInetAddress *address, guint16 port,
                                     GError **error);
guint16 hearth_event_server_get_port (HearthEventServer *self);
guint16 hearth_event_server_get_callback_port (HearthEventServer *self);
void hearth_event_server_set_callback_port (HearthEventServer *self, guint16 port);
guint hearth_event_server_get_request_timeout (HearthEventServer *self);
void hearth_event_server_set_request_timeout (HearthEventServer *self, guint seconds);
char *hearth_event_server_build_callback_url (HearthEventServer *self, GInetAddress *local_address,
                                              const char *device_id);
void hearth_event_server_add_subscription (HearthEventServer *self, const char *sid,
                                           const char *device_id, const char *fingerprint,
                                           const char *boot_id, HearthNotifyFunc func,
                                           gpointer user_data);
void hearth_event_server_remove_subscription (HearthEventServer *self, const char *sid);
void hearth_event_server_hold_key (HearthEventServer *self, const char *fingerprint);
void hearth_event_server_release_key (HearthEventServer *self, const char *fingerprint);
guint64 hearth_event_server_get_n_accepted (HearthEventServer *self);
guint64 hearth_event_server_get_n_connections (HearthEventServer *self);
guint64 hearth_event_server_get_n_rejected (HearthEventServer *self, HearthNotifyRejection reason);

G_END_DECLS
