/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-general-settings.h"
#include "hearth-trust-page.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_PREFERENCES_WINDOW (hearth_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, HEARTH,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

HearthPreferencesWindow *hearth_preferences_window_new (GtkWindow *parent);
HearthGeneralSettings *
hearth_preferences_window_get_general_settings (HearthPreferencesWindow *self);
HearthTrustPage *hearth_preferences_window_get_trust_page (HearthPreferencesWindow *self);
gboolean hearth_preferences_window_get_kiosk (HearthPreferencesWindow *self);
void hearth_preferences_window_set_kiosk (HearthPreferencesWindow *self, gboolean kiosk);
void hearth_preferences_window_show_page (HearthPreferencesWindow *self, const char *page_name);

G_END_DECLS
