/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-description.h"
#include "hearth-device-proxy.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_ACTION_FORM (hearth_action_form_get_type ())

G_DECLARE_FINAL_TYPE (HearthActionForm, hearth_action_form, HEARTH, ACTION_FORM,
                      AdwPreferencesGroup)

GtkWidget *hearth_action_form_new (HearthDeviceProxy *proxy, HearthDescription *description,
                                   const char *action_name);
const char *hearth_action_form_get_action_name (HearthActionForm *self);
GtkButton *hearth_action_form_get_run_button (HearthActionForm *self);
GtkWidget *hearth_action_form_get_field_control (HearthActionForm *self, const char *field_name);
guint hearth_action_form_get_n_fields (HearthActionForm *self);
JsonNode *hearth_action_form_build_input (HearthActionForm *self, GError **error);
guint hearth_action_form_get_n_requests (HearthActionForm *self);
const char *hearth_action_form_get_problem (HearthActionForm *self);

G_END_DECLS
