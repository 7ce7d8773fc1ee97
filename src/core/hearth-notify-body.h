/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Hub-side limits for a NOTIFY body (docs/protocol.md §7.4, §8): devices send at most 16
 * entries and 2,048 bytes; the hub accepts up to these, and nothing larger. */
#define HEARTH_NOTIFY_BODY_MAX_BYTES (16 * 1024)
#define HEARTH_NOTIFY_BODY_MAX_ENTRIES 64
#define HEARTH_NOTIFY_BODY_MAX_DEPTH 12
#define HEARTH_NOTIFY_BODY_MAX_TOKENS 2048

typedef enum
{
  HEARTH_NOTIFY_ENTRY_PROPERTY,
  HEARTH_NOTIFY_ENTRY_EVENT,
} HearthNotifyEntryKind;

/**
 * HearthNotifyEntry:
 * @kind: a property change or an event
 * @name: the property or event name (valid per docs/protocol.md §4.2)
 * @value: the new property value, or the event's data (a JSON null node when it has none)
 * @device_time_ms: the device's uptime in milliseconds when it happened (`t`)
 */
typedef struct
{
  HearthNotifyEntryKind kind;
  char *name;
  JsonNode *value;
  gint64 device_time_ms;
} HearthNotifyEntry;

void hearth_notify_entry_free (HearthNotifyEntry *entry);

GPtrArray *hearth_notify_body_parse (const char *data, gsize length, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthNotifyEntry, hearth_notify_entry_free)

G_END_DECLS
