/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-devices-page.h"
#include "hearth-events-page.h"
#include "hearth-general-settings.h"
#include "hearth-kiosk-controller.h"
#include "hearth-preferences-window.h"
#include "hearth-trust-page.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_WINDOW (hearth_window_get_type ())

G_DECLARE_FINAL_TYPE (HearthWindow, hearth_window, HEARTH, WINDOW, AdwApplicationWindow)

HearthWindow *hearth_window_new (AdwApplication *application);
AdwViewStack *hearth_window_get_view_stack (HearthWindow *self);
HearthDevicesPage *hearth_window_get_devices_page (HearthWindow *self);
HearthTrustPage *hearth_window_get_trust_page (HearthWindow *self);
HearthEventsPage *hearth_window_get_events_page (HearthWindow *self);
HearthGeneralSettings *hearth_window_get_general_settings (HearthWindow *self);
HearthPreferencesWindow *hearth_window_get_preferences_window (HearthWindow *self);
void hearth_window_show_settings (HearthWindow *self, const char *page_name);
HearthKioskController *hearth_window_get_kiosk_controller (HearthWindow *self);
gboolean hearth_window_get_kiosk (HearthWindow *self);
void hearth_window_set_kiosk (HearthWindow *self, gboolean kiosk);
void hearth_window_add_toast (HearthWindow *self, AdwToast *toast);

G_END_DECLS
