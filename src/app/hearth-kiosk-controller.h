/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_KIOSK_CONTROLLER (hearth_kiosk_controller_get_type ())

G_DECLARE_FINAL_TYPE (HearthKioskController, hearth_kiosk_controller, HEARTH, KIOSK_CONTROLLER,
                      GObject)

HearthKioskController *hearth_kiosk_controller_new (GtkWindow *window, GtkWidget *admin_area,
                                                    GtkWidget *dim_layer);
gboolean hearth_kiosk_controller_get_active (HearthKioskController *self);
void hearth_kiosk_controller_set_active (HearthKioskController *self, gboolean active);
guint hearth_kiosk_controller_get_idle_dim_seconds (HearthKioskController *self);
void hearth_kiosk_controller_set_idle_dim_seconds (HearthKioskController *self, guint seconds);
gboolean hearth_kiosk_controller_get_dimmed (HearthKioskController *self);
GtkWidget *hearth_kiosk_controller_get_admin_area (HearthKioskController *self);
AdwMessageDialog *hearth_kiosk_controller_get_leave_dialog (HearthKioskController *self);
void hearth_kiosk_controller_watch_window (HearthKioskController *self, GtkWindow *other);

/* The GNOME HIG's minimum touch target. */
#define HEARTH_KIOSK_TOUCH_TARGET_PX 48

void hearth_kiosk_size_dialog_responses (AdwMessageDialog *dialog);

G_END_DECLS
