/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * HearthEventKind:
 * @HEARTH_EVENT_DEVICE_EVENT: a device reported an event (a key went down); @name is the event
 *   name and @value its data (a JSON null when it carries none)
 * @HEARTH_EVENT_PROPERTY_CHANGED: a property has a new value; @name is the property
 * @HEARTH_EVENT_DEVICE_ONLINE: the hub hears the device again (subscribed, state read)
 * @HEARTH_EVENT_DEVICE_OFFLINE: the device missed its heartbeats or cannot be reached
 * @HEARTH_EVENT_TRUST_CHANGED: the device's trust state changed; @name is the new state
 *   (`certificate-changed`, `trusted`, `blocked`, `rejected`)
 */
typedef enum
{
  HEARTH_EVENT_DEVICE_EVENT,
  HEARTH_EVENT_PROPERTY_CHANGED,
  HEARTH_EVENT_DEVICE_ONLINE,
  HEARTH_EVENT_DEVICE_OFFLINE,
  HEARTH_EVENT_TRUST_CHANGED,
} HearthEventKind;

/**
 * HearthEventSource:
 * @HEARTH_EVENT_SOURCE_NOTIFY: carried by a NOTIFY from the device
 * @HEARTH_EVENT_SOURCE_READ: found by reading the device's state (after subscribing, a SEQ gap
 *   or a reboot), so it may stand for several changes the hub did not see one by one
 * @HEARTH_EVENT_SOURCE_WRITE: the answer to a write the hub made
 * @HEARTH_EVENT_SOURCE_HUB: the hub's own conclusion (liveness, trust)
 */
typedef enum
{
  HEARTH_EVENT_SOURCE_NOTIFY,
  HEARTH_EVENT_SOURCE_READ,
  HEARTH_EVENT_SOURCE_WRITE,
  HEARTH_EVENT_SOURCE_HUB,
} HearthEventSource;

typedef struct _HearthEvent HearthEvent;

#define HEARTH_TYPE_EVENT (hearth_event_get_type ())

GType hearth_event_get_type (void) G_GNUC_CONST;

HearthEvent *hearth_event_new (HearthEventKind kind, HearthEventSource source,
                               const char *device_id, const char *name, JsonNode *value,
                               gint64 device_time_ms);
HearthEvent *hearth_event_ref (HearthEvent *self);
void hearth_event_unref (HearthEvent *self);
HearthEventKind hearth_event_get_kind (const HearthEvent *self);
HearthEventSource hearth_event_get_source (const HearthEvent *self);
const char *hearth_event_get_device_id (const HearthEvent *self);
const char *hearth_event_get_name (const HearthEvent *self);
JsonNode *hearth_event_get_value (const HearthEvent *self);
gint64 hearth_event_get_device_time_ms (const HearthEvent *self);
gint64 hearth_event_get_time_us (const HearthEvent *self);
const char *hearth_event_kind_to_string (HearthEventKind kind);
char *hearth_event_dup_value_json (const HearthEvent *self);
const char *hearth_event_format_value_json (const HearthEvent *self, char *buffer, gsize size,
                                            char **allocated);
char *hearth_format_double (char *buffer, gsize size, double value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthEvent, hearth_event_unref)

G_END_DECLS
