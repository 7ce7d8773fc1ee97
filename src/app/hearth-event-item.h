/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-description.h"
#include "hearth-event.h"
#include "hearth-history.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_EVENT_ITEM (hearth_event_item_get_type ())

G_DECLARE_FINAL_TYPE (HearthEventItem, hearth_event_item, HEARTH, EVENT_ITEM, GObject)

HearthEventItem *hearth_event_item_new_from_event (const HearthEvent *event);
HearthEventItem *hearth_event_item_new_from_history (const HearthHistoryEvent *event);
gint64 hearth_event_item_get_time_us (HearthEventItem *self);
gint64 hearth_event_item_get_history_id (HearthEventItem *self);
const char *hearth_event_item_get_device_id (HearthEventItem *self);
const char *hearth_event_item_get_kind (HearthEventItem *self);
const char *hearth_event_item_get_name (HearthEventItem *self);
const char *hearth_event_item_get_data (HearthEventItem *self);
const char *hearth_event_item_get_time_text (HearthEventItem *self);
const char *hearth_event_item_get_summary (HearthEventItem *self);
const char *hearth_event_item_get_icon_name (HearthEventItem *self);
const char *hearth_event_item_get_type_text (HearthEventItem *self);
const char *hearth_event_item_get_device_name (HearthEventItem *self);
void hearth_event_item_set_device_name (HearthEventItem *self, const char *device_name);
void hearth_event_item_set_description (HearthEventItem *self, HearthDescription *description);
const char *hearth_event_item_get_device_title (HearthEventItem *self);

G_END_DECLS
