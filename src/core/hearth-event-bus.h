/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-event.h"
#include "hearth-history.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_EVENT_BUS (hearth_event_bus_get_type ())

G_DECLARE_FINAL_TYPE (HearthEventBus, hearth_event_bus, HEARTH, EVENT_BUS, GObject)

HearthEventBus *hearth_event_bus_new (void);
void hearth_event_bus_publish (HearthEventBus *self, HearthEvent *event);
guint64 hearth_event_bus_get_n_published (HearthEventBus *self);
gulong hearth_event_bus_attach_history (HearthEventBus *self, HearthHistory *history);

G_END_DECLS
