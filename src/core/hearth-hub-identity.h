/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_HUB_IDENTITY (hearth_hub_identity_get_type ())

G_DECLARE_FINAL_TYPE (HearthHubIdentity, hearth_hub_identity, HEARTH, HUB_IDENTITY, GObject)

/* The file names inside the data directory; both hold a certificate and its key, mode 0600. */
#define HEARTH_HUB_IDENTITY_FILE "hub-identity.pem"
#define HEARTH_HUB_IDENTITY_PREVIOUS_FILE "hub-identity-previous.pem"

HearthHubIdentity *hearth_hub_identity_new (const char *data_dir, GCancellable *cancellable,
                                            GError **error);
const char *hearth_hub_identity_get_data_dir (HearthHubIdentity *self);
GTlsCertificate *hearth_hub_identity_get_certificate (HearthHubIdentity *self);
const char *hearth_hub_identity_get_fingerprint (HearthHubIdentity *self);
GTlsCertificate *hearth_hub_identity_get_previous_certificate (HearthHubIdentity *self);
const char *hearth_hub_identity_get_previous_fingerprint (HearthHubIdentity *self);
gboolean hearth_hub_identity_regenerate (HearthHubIdentity *self, GError **error);
gboolean hearth_hub_identity_forget_previous (HearthHubIdentity *self, GError **error);

G_END_DECLS
