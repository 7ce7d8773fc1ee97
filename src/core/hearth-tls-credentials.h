/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

/**
 * HearthTlsCredentials:
 *
 * One set of GnuTLS server credentials (the hub's key and certificate), shared by every
 * connection of a #HearthTlsServer. Reference counted: each TLS session keeps the credentials it
 * was made with, so a rotated key can replace them while older sessions still run.
 */
typedef struct _HearthTlsCredentials HearthTlsCredentials;

/**
 * HearthTlsVerifyFunc:
 * @session: the session whose peer sent its certificate
 *
 * Called by GnuTLS during a handshake once the peer's certificate is in; see
 * gnutls_certificate_set_verify_function().
 *
 * Returns: 0 to go on with the handshake, anything else to fail it
 */
typedef int (*HearthTlsVerifyFunc) (gnutls_session_t session);

GType hearth_tls_credentials_get_type (void) G_GNUC_CONST;
#define HEARTH_TYPE_TLS_CREDENTIALS (hearth_tls_credentials_get_type ())

HearthTlsCredentials *hearth_tls_credentials_new (GTlsCertificate *certificate,
                                                  HearthTlsVerifyFunc verify, GError **error);
HearthTlsCredentials *hearth_tls_credentials_ref (HearthTlsCredentials *self);
void hearth_tls_credentials_unref (HearthTlsCredentials *self);
gnutls_certificate_credentials_t hearth_tls_credentials_get_gnutls (HearthTlsCredentials *self);
gnutls_priority_t hearth_tls_credentials_get_priorities (HearthTlsCredentials *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTlsCredentials, hearth_tls_credentials_unref)

G_END_DECLS
