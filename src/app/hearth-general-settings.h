/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-hub.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_GENERAL_SETTINGS (hearth_general_settings_get_type ())

G_DECLARE_FINAL_TYPE (HearthGeneralSettings, hearth_general_settings, HEARTH, GENERAL_SETTINGS,
                      AdwPreferencesPage)

GtkWidget *hearth_general_settings_new (void);
GSettings *hearth_general_settings_get_settings (HearthGeneralSettings *self);
void hearth_general_settings_set_settings (HearthGeneralSettings *self, GSettings *settings);
HearthHub *hearth_general_settings_get_hub (HearthGeneralSettings *self);
void hearth_general_settings_set_hub (HearthGeneralSettings *self, HearthHub *hub);
gboolean hearth_general_settings_get_kiosk_active (HearthGeneralSettings *self);
void hearth_general_settings_set_kiosk_active (HearthGeneralSettings *self, gboolean kiosk_active);

G_END_DECLS
