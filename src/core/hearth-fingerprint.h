/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A fingerprint is the SHA-256 of a certificate's DER SubjectPublicKeyInfo, written as 64
 * lowercase hex digits (docs/protocol.md §1). */
#define HEARTH_FINGERPRINT_LENGTH 64

char *hearth_fingerprint_from_der (const guint8 *der, gsize length, GError **error);
char *hearth_fingerprint_from_tls_certificate (GTlsCertificate *certificate, GError **error);
gboolean hearth_fingerprint_is_valid (const char *fingerprint);
char *hearth_fingerprint_format_for_display (const char *fingerprint);

G_END_DECLS
