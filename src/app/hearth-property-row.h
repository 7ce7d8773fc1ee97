/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-description.h"
#include "hearth-device-proxy.h"

G_BEGIN_DECLS

/**
 * HearthPropertyKind:
 * @HEARTH_PROPERTY_KIND_SWITCH: a writable boolean
 * @HEARTH_PROPERTY_KIND_SLIDER: a writable number with a minimum and a maximum
 * @HEARTH_PROPERTY_KIND_DROPDOWN: a writable property with an enum
 * @HEARTH_PROPERTY_KIND_ENTRY: a writable string, or a number without a range (or with the
 *   device's `entry` hint)
 * @HEARTH_PROPERTY_KIND_READOUT: a read-only property
 * @HEARTH_PROPERTY_KIND_UNSUPPORTED: a type Hearth does not understand
 *
 * The control a property gets, chosen from its schema alone.
 */
typedef enum
{
  HEARTH_PROPERTY_KIND_SWITCH,
  HEARTH_PROPERTY_KIND_SLIDER,
  HEARTH_PROPERTY_KIND_DROPDOWN,
  HEARTH_PROPERTY_KIND_ENTRY,
  HEARTH_PROPERTY_KIND_READOUT,
  HEARTH_PROPERTY_KIND_UNSUPPORTED,
} HearthPropertyKind;

/* While a slider is dragged, at most one write per this many milliseconds reaches the device;
 * the last position is always sent. */
#define HEARTH_PROPERTY_ROW_WRITE_INTERVAL_MS 150

#define HEARTH_TYPE_PROPERTY_ROW (hearth_property_row_get_type ())

G_DECLARE_FINAL_TYPE (HearthPropertyRow, hearth_property_row, HEARTH, PROPERTY_ROW, AdwActionRow)

HearthPropertyKind hearth_property_kind_for_schema (const HearthSchema *schema);
gboolean hearth_schema_is_numeric (const HearthSchema *schema);
char *hearth_schema_format_value (const HearthSchema *schema, JsonNode *value);

GtkWidget *hearth_property_row_new (HearthDeviceProxy *proxy, HearthDescription *description,
                                    const char *property_name);
HearthDeviceProxy *hearth_property_row_get_proxy (HearthPropertyRow *self);
const char *hearth_property_row_get_property_name (HearthPropertyRow *self);
HearthPropertyKind hearth_property_row_get_kind (HearthPropertyRow *self);
GtkWidget *hearth_property_row_get_control (HearthPropertyRow *self);
void hearth_property_row_update (HearthPropertyRow *self);
guint hearth_property_row_get_n_writes (HearthPropertyRow *self);

G_END_DECLS
