/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-hub-identity.h"
#include "hearth-hub.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TRUST_PAGE (hearth_trust_page_get_type ())

G_DECLARE_FINAL_TYPE (HearthTrustPage, hearth_trust_page, HEARTH, TRUST_PAGE, AdwPreferencesPage)

GtkWidget *hearth_trust_page_new (void);
HearthTrustStore *hearth_trust_page_get_trust_store (HearthTrustPage *self);
void hearth_trust_page_set_trust_store (HearthTrustPage *self, HearthTrustStore *trust_store);
HearthHubIdentity *hearth_trust_page_get_hub_identity (HearthTrustPage *self);
void hearth_trust_page_set_hub_identity (HearthTrustPage *self, HearthHubIdentity *hub_identity);
HearthHub *hearth_trust_page_get_hub (HearthTrustPage *self);
void hearth_trust_page_set_hub (HearthTrustPage *self, HearthHub *hub);
guint hearth_trust_page_get_n_pinned_rows (HearthTrustPage *self);
guint hearth_trust_page_get_n_blocked_rows (HearthTrustPage *self);
guint hearth_trust_page_get_n_ignored_rows (HearthTrustPage *self);
AdwActionRow *hearth_trust_page_find_row (HearthTrustPage *self, const char *device_id);
GtkButton *hearth_trust_page_get_regenerate_button (HearthTrustPage *self);

G_END_DECLS
