/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "hearth-trust-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CERTIFICATE_DIALOG (hearth_certificate_dialog_get_type ())

G_DECLARE_FINAL_TYPE (HearthCertificateDialog, hearth_certificate_dialog, HEARTH,
                      CERTIFICATE_DIALOG, AdwMessageDialog)

/* The response ids; "refuse" is also what closing the dialog answers. */
#define HEARTH_CERTIFICATE_RESPONSE_TRUST "trust"
#define HEARTH_CERTIFICATE_RESPONSE_REFUSE "refuse"
#define HEARTH_CERTIFICATE_RESPONSE_BLOCK "block"

HearthCertificateDialog *hearth_certificate_dialog_new (GtkWindow *parent,
                                                        const HearthTrustPendingChange *change,
                                                        const char *device_name);
const HearthTrustPendingChange *
hearth_certificate_dialog_get_change (HearthCertificateDialog *self);
void hearth_certificate_dialog_set_change (HearthCertificateDialog *self,
                                           const HearthTrustPendingChange *change);
const char *hearth_certificate_dialog_get_device_name (HearthCertificateDialog *self);
void hearth_certificate_dialog_set_device_name (HearthCertificateDialog *self,
                                                const char *device_name);
const char *hearth_certificate_dialog_get_old_fingerprint_text (HearthCertificateDialog *self);
const char *hearth_certificate_dialog_get_new_fingerprint_text (HearthCertificateDialog *self);

G_END_DECLS
