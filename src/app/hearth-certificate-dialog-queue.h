/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hearth-certificate-dialog.h"
#include "hearth-trust-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CERTIFICATE_DIALOG_QUEUE (hearth_certificate_dialog_queue_get_type ())

G_DECLARE_FINAL_TYPE (HearthCertificateDialogQueue, hearth_certificate_dialog_queue, HEARTH,
                      CERTIFICATE_DIALOG_QUEUE, GObject)

HearthCertificateDialogQueue *hearth_certificate_dialog_queue_new (HearthTrustStore *trust_store,
                                                                   GtkWindow *parent);
HearthTrustStore *
hearth_certificate_dialog_queue_get_trust_store (HearthCertificateDialogQueue *self);
GtkWindow *hearth_certificate_dialog_queue_get_parent (HearthCertificateDialogQueue *self);
void hearth_certificate_dialog_queue_set_parent (HearthCertificateDialogQueue *self,
                                                 GtkWindow *parent);
HearthCertificateDialog *
hearth_certificate_dialog_queue_get_current_dialog (HearthCertificateDialogQueue *self);
guint hearth_certificate_dialog_queue_get_n_waiting (HearthCertificateDialogQueue *self);

G_END_DECLS
