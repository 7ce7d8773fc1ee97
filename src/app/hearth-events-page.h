/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-device-registry.h"
#include "hearth-event-bus.h"
#include "hearth-history.h"

G_BEGIN_DECLS

/**
 * HearthEventsTypeFilter:
 * @HEARTH_EVENTS_TYPE_ALL: every event
 * @HEARTH_EVENTS_TYPE_PROPERTY: property changes
 * @HEARTH_EVENTS_TYPE_EVENT: events the devices reported
 * @HEARTH_EVENTS_TYPE_CONNECTIVITY: devices going online and offline
 * @HEARTH_EVENTS_TYPE_TRUST: trust changes
 *
 * The entries of the page's type drop-down, in its order.
 */
typedef enum
{
  HEARTH_EVENTS_TYPE_ALL,
  HEARTH_EVENTS_TYPE_PROPERTY,
  HEARTH_EVENTS_TYPE_EVENT,
  HEARTH_EVENTS_TYPE_CONNECTIVITY,
  HEARTH_EVENTS_TYPE_TRUST,
} HearthEventsTypeFilter;

#define HEARTH_TYPE_EVENTS_PAGE (hearth_events_page_get_type ())

G_DECLARE_FINAL_TYPE (HearthEventsPage, hearth_events_page, HEARTH, EVENTS_PAGE, GtkBox)

GtkWidget *hearth_events_page_new (HearthEventBus *event_bus, HearthHistory *history);
HearthEventBus *hearth_events_page_get_event_bus (HearthEventsPage *self);
void hearth_events_page_set_event_bus (HearthEventsPage *self, HearthEventBus *event_bus);
HearthHistory *hearth_events_page_get_history (HearthEventsPage *self);
void hearth_events_page_set_history (HearthEventsPage *self, HearthHistory *history);
HearthDeviceRegistry *hearth_events_page_get_registry (HearthEventsPage *self);
void hearth_events_page_set_registry (HearthEventsPage *self, HearthDeviceRegistry *registry);
GListModel *hearth_events_page_get_model (HearthEventsPage *self);
void hearth_events_page_set_device_filter (HearthEventsPage *self, const char *device_id);
void hearth_events_page_set_type_filter (HearthEventsPage *self, HearthEventsTypeFilter filter);
gboolean hearth_events_page_get_history_exhausted (HearthEventsPage *self);
GtkScrolledWindow *hearth_events_page_get_scrolled_window (HearthEventsPage *self);

G_END_DECLS
