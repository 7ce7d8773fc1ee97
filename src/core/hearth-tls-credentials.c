/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-tls"

#include "hearth-tls-credentials.h"

#include <string.h>

#include "hearth-error.h"

/* glib-networking 2.74 allocates credentials for every TLS connection: a copy of the server's
 * key and certificate and an empty trust list, about 10 KiB a connection, kept for the
 * connection's life. With one kept-alive NOTIFY connection per device that was 10 MiB for 1,000
 * devices. One set shared by every connection costs that once. */
struct _HearthTlsCredentials
{
  gnutls_certificate_credentials_t gnutls;
  /* The default priorities (the system's TLS policy), parsed once: gnutls_set_default_priority()
   * parses them again for every session and keeps an 8 KiB copy with it. */
  gnutls_priority_t priorities;
};

G_DEFINE_BOXED_TYPE (HearthTlsCredentials, hearth_tls_credentials, hearth_tls_credentials_ref,
                     hearth_tls_credentials_unref)

static void
clear_credentials (HearthTlsCredentials *self)
{
  if (self->gnutls != NULL)
    gnutls_certificate_free_credentials (self->gnutls);
  if (self->priorities != NULL)
    gnutls_priority_deinit (self->priorities);
}

/**
 * hearth_tls_credentials_new:
 * @certificate: a certificate with its private key (the hub's identity)
 * @verify: checks the peer's certificate during each handshake (the hub pins keys; no
 *   certificate authority is involved)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the credentials, or %NULL with %HEARTH_ERROR_INVALID_DATA when
 *   @certificate or its key cannot be used
 */
HearthTlsCredentials *
hearth_tls_credentials_new (GTlsCertificate *certificate, HearthTlsVerifyFunc verify,
                            GError **error)
{
  g_autofree char *certificate_pem = NULL;
  g_autofree char *key_pem = NULL;
  HearthTlsCredentials *self;
  gnutls_datum_t certificate_datum, key_datum;
  int ret;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (verify != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_object_get (certificate, "certificate-pem", &certificate_pem, "private-key-pem", &key_pem,
                NULL);
  if (certificate_pem == NULL || key_pem == NULL)
    {
      g_set_error_literal (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                           "The server certificate has no private key");
      return NULL;
    }

  self = g_atomic_rc_box_new0 (HearthTlsCredentials);
  certificate_datum.data = (unsigned char *)certificate_pem;
  certificate_datum.size = (unsigned int)strlen (certificate_pem);
  key_datum.data = (unsigned char *)key_pem;
  key_datum.size = (unsigned int)strlen (key_pem);
  if ((ret = gnutls_priority_init (&self->priorities, NULL, NULL)) < 0
      || (ret = gnutls_certificate_allocate_credentials (&self->gnutls)) < 0
      || (ret = gnutls_certificate_set_x509_key_mem (self->gnutls, &certificate_datum, &key_datum,
                                                     GNUTLS_X509_FMT_PEM))
             < 0)
    {
      gnutls_memset (key_pem, 0, strlen (key_pem));
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The server certificate cannot be used for TLS: %s", gnutls_strerror (ret));
      hearth_tls_credentials_unref (self);
      return NULL;
    }
  gnutls_memset (key_pem, 0, strlen (key_pem));
  gnutls_certificate_set_verify_function (self->gnutls, verify);
  return self;
}

HearthTlsCredentials *
hearth_tls_credentials_ref (HearthTlsCredentials *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
hearth_tls_credentials_unref (HearthTlsCredentials *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, (GDestroyNotify)clear_credentials);
}

gnutls_certificate_credentials_t
hearth_tls_credentials_get_gnutls (HearthTlsCredentials *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->gnutls;
}

/* The priorities every session made with these credentials uses (gnutls_priority_set()). */
gnutls_priority_t
hearth_tls_credentials_get_priorities (HearthTlsCredentials *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->priorities;
}
