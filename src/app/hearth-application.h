/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-hub.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_APPLICATION (hearth_application_get_type ())

G_DECLARE_FINAL_TYPE (HearthApplication, hearth_application, HEARTH, APPLICATION, AdwApplication)

HearthApplication *hearth_application_new (gboolean kiosk, const char *screenshot_path);
HearthApplication *hearth_application_new_full (gboolean kiosk, const char *screenshot_path,
                                                const char *data_dir, int port, guint heartbeat,
                                                gboolean discovery_enabled);
gboolean hearth_application_get_kiosk (HearthApplication *self);
int hearth_application_get_exit_status (HearthApplication *self);
HearthHub *hearth_application_get_hub (HearthApplication *self);
const GError *hearth_application_get_hub_error (HearthApplication *self);

G_END_DECLS
