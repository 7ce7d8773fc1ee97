/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-fingerprint"

#include "hearth-fingerprint.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "hearth-error.h"

/* Devices and hubs are identified by their public key, not by their certificate: a device may
 * re-issue its self-signed certificate (new validity, new serial) without changing its key, and
 * that must not look like a certificate change. Hashing the DER SubjectPublicKeyInfo is also what
 * `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum` computes, so people can
 * check a fingerprint with standard tools. */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pubkey_t, gnutls_pubkey_deinit, NULL)

/**
 * hearth_fingerprint_from_der:
 * @der: (array length=length): a DER-encoded X.509 certificate
 * @length: the number of bytes in @der
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the 64 lowercase hex digit fingerprint of the certificate's key, or
 *   %NULL with %HEARTH_ERROR_INVALID_DATA when @der is not a certificate
 */
char *
hearth_fingerprint_from_der (const guint8 *der, gsize length, GError **error)
{
  g_auto (gnutls_x509_crt_t) crt = NULL;
  g_auto (gnutls_pubkey_t) pubkey = NULL;
  gnutls_datum_t der_datum = { (unsigned char *)der, (unsigned int)length };
  gnutls_datum_t spki = { NULL, 0 };
  guint8 digest[32];
  int ret;

  g_return_val_if_fail (der != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == 0 || length > G_MAXINT)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "A certificate of %" G_GSIZE_FORMAT " bytes cannot be valid", length);
      return NULL;
    }

  if ((ret = gnutls_x509_crt_init (&crt)) < 0
      || (ret = gnutls_x509_crt_import (crt, &der_datum, GNUTLS_X509_FMT_DER)) < 0
      || (ret = gnutls_pubkey_init (&pubkey)) < 0
      || (ret = gnutls_pubkey_import_x509 (pubkey, crt, 0)) < 0
      || (ret = gnutls_pubkey_export2 (pubkey, GNUTLS_X509_FMT_DER, &spki)) < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "Could not read the public key of a certificate: %s", gnutls_strerror (ret));
      return NULL;
    }

  ret = gnutls_hash_fast (GNUTLS_DIG_SHA256, spki.data, spki.size, digest);
  gnutls_free (spki.data);
  if (ret < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED, "Could not hash a public key: %s",
                   gnutls_strerror (ret));
      return NULL;
    }

  {
    GString *hex = g_string_sized_new (HEARTH_FINGERPRINT_LENGTH);

    for (guint i = 0; i < G_N_ELEMENTS (digest); i++)
      g_string_append_printf (hex, "%02x", digest[i]);
    return g_string_free (hex, FALSE);
  }
}

/**
 * hearth_fingerprint_from_tls_certificate:
 * @certificate: a certificate, e.g. a peer's from GTlsConnection or libsoup
 * @error: return location for a #GError
 *
 * Computes the fingerprint of any #GTlsCertificate, whichever TLS backend made it.
 *
 * Returns: (transfer full): the fingerprint, or %NULL with @error set
 */
char *
hearth_fingerprint_from_tls_certificate (GTlsCertificate *certificate, GError **error)
{
  g_autoptr (GByteArray) der = NULL;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The TLS certificate has no DER data");
      return NULL;
    }

  return hearth_fingerprint_from_der (der->data, der->len, error);
}

/**
 * hearth_fingerprint_is_valid:
 * @fingerprint: (nullable): a string
 *
 * Returns: %TRUE if @fingerprint is exactly 64 lowercase hex digits
 */
gboolean
hearth_fingerprint_is_valid (const char *fingerprint)
{
  if (fingerprint == NULL)
    return FALSE;

  for (guint i = 0; i < HEARTH_FINGERPRINT_LENGTH; i++)
    {
      char c = fingerprint[i];

      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return FALSE;
    }

  return fingerprint[HEARTH_FINGERPRINT_LENGTH] == '\0';
}

/**
 * hearth_fingerprint_format_for_display:
 * @fingerprint: a valid fingerprint
 *
 * People compare fingerprints by eye, so the protocol shows them in groups of four digits
 * separated by spaces.
 *
 * Returns: (transfer full): the grouped form, e.g. "1a2b 3c4d …"
 */
char *
hearth_fingerprint_format_for_display (const char *fingerprint)
{
  GString *grouped;

  g_return_val_if_fail (hearth_fingerprint_is_valid (fingerprint), NULL);

  grouped = g_string_sized_new (HEARTH_FINGERPRINT_LENGTH + HEARTH_FINGERPRINT_LENGTH / 4);
  for (guint i = 0; i < HEARTH_FINGERPRINT_LENGTH; i += 4)
    {
      if (i > 0)
        g_string_append_c (grouped, ' ');
      g_string_append_len (grouped, fingerprint + i, 4);
    }

  return g_string_free (grouped, FALSE);
}
