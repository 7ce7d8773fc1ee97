/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Device identity (protocol.md section 1): the device id, the ECDSA P-256 key and the
 * self-signed certificate, made on first boot and kept through the port's storage.
 *
 * Storage keys (in the device's namespace): "id" (text), "key.der" (PKCS#8/SEC1 DER of the
 * private key), "cert.der" (DER certificate). Key and certificate are two writes; a crash
 * between them leaves a certificate that does not match the key, which the next load notices
 * and repairs by making a new certificate for the stored key.
 */
#include "iotscp_internal.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "iotscp_text.h"

#define KEY_DER_MAX 256
#define CERT_DER_MAX 1024

int
iotscp_identity_rng (void *p_rng, unsigned char *out, size_t len)
{
  /* The port promises a CSPRNG; mbedTLS only needs a non-zero error code on failure. */
  return iotscp_port_random (p_rng, out, len) == 0 ? 0 : MBEDTLS_ERR_PK_ALLOC_FAILED;
}

int
iotscp_identity_spki_fingerprint (const uint8_t *spki, size_t len, uint8_t out[32])
{
  return mbedtls_sha256_ret (spki, len, out, 0) == 0 ? 0 : -1;
}

static int
load_or_make_id (iotscp_device *dev)
{
  char buf[IOTSCP_DEVICE_ID_MAX + 1];
  size_t len = 0;
  int ret;

  if (dev->requested_id != NULL && strcmp (dev->requested_id, "generate") != 0)
    {
      len = strlen (dev->requested_id);
      if (!iotscp_text_is_device_id (dev->requested_id, len))
        {
          iotscp_port_log (dev->port, IOTSCP_LOG_ERROR, NULL, "invalid device id \"%s\"",
                           dev->requested_id);
          return IOTSCP_ERR_INVALID;
        }
      memcpy (dev->id, dev->requested_id, len + 1);
      return IOTSCP_OK;
    }

  ret = iotscp_port_storage_get (dev->port, dev->storage_ns, "id", buf, sizeof buf - 1, &len);
  if (ret == IOTSCP_PORT_OK && iotscp_text_is_device_id (buf, len))
    {
      buf[len] = '\0';
      memcpy (dev->id, buf, len + 1);
      return IOTSCP_OK;
    }
  if (ret != IOTSCP_PORT_NOT_FOUND && ret != IOTSCP_PORT_OK && ret != IOTSCP_PORT_TOO_BIG)
    return IOTSCP_ERR_STORAGE;

  {
    const char *prefix = dev->id_prefix ? dev->id_prefix : "dev-";
    uint8_t random[8];
    char hex[17];
    size_t plen = strlen (prefix);
    if (plen + 16 > IOTSCP_DEVICE_ID_MAX || iotscp_port_random (dev->port, random, 8) != 0)
      return IOTSCP_ERR_INVALID;
    iotscp_text_hex_encode (random, 8, hex, sizeof hex);
    snprintf (dev->id, sizeof dev->id, "%s%s", prefix, hex);
    if (!iotscp_text_is_device_id (dev->id, strlen (dev->id)))
      return IOTSCP_ERR_INVALID;
    if (iotscp_port_storage_set (dev->port, dev->storage_ns, "id", dev->id, strlen (dev->id)) != 0)
      return IOTSCP_ERR_STORAGE;
  }
  return IOTSCP_OK;
}

static int
make_key (iotscp_device *dev, uint8_t *der, size_t *der_len)
{
  mbedtls_pk_context pk;
  uint8_t buf[KEY_DER_MAX];
  int n, ret = IOTSCP_ERR_CRYPTO;

  mbedtls_pk_init (&pk);
  if (mbedtls_pk_setup (&pk, mbedtls_pk_info_from_type (MBEDTLS_PK_ECKEY)) != 0)
    goto out;
  if (mbedtls_ecp_gen_key (MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec (pk), iotscp_identity_rng,
                           dev->port)
      != 0)
    goto out;
  /* mbedtls_pk_write_key_der writes at the end of the buffer. */
  n = mbedtls_pk_write_key_der (&pk, buf, sizeof buf);
  if (n <= 0)
    goto out;
  memcpy (der, buf + sizeof buf - (size_t)n, (size_t)n);
  *der_len = (size_t)n;
  ret = IOTSCP_OK;
out:
  mbedtls_pk_free (&pk);
  mbedtls_platform_zeroize (buf, sizeof buf);
  return ret;
}

static int
make_certificate (iotscp_device *dev, mbedtls_pk_context *key, uint8_t *der, size_t *der_len)
{
  mbedtls_x509write_cert crt;
  mbedtls_mpi serial;
  uint8_t serial_bytes[16];
  uint8_t buf[CERT_DER_MAX];
  char subject[IOTSCP_DEVICE_ID_MAX + 8];
  int n, ret = IOTSCP_ERR_CRYPTO;

  mbedtls_x509write_crt_init (&crt);
  mbedtls_mpi_init (&serial);
  if (iotscp_port_random (dev->port, serial_bytes, sizeof serial_bytes) != 0)
    goto out;
  /* A positive serial: clear the top bit so the DER integer needs no sign byte confusion. */
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x01;
  snprintf (subject, sizeof subject, "CN=%s", dev->id);
  if (mbedtls_mpi_read_binary (&serial, serial_bytes, sizeof serial_bytes) != 0)
    goto out;
  mbedtls_x509write_crt_set_version (&crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg (&crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key (&crt, key);
  mbedtls_x509write_crt_set_issuer_key (&crt, key);
  if (mbedtls_x509write_crt_set_subject_name (&crt, subject) != 0
      || mbedtls_x509write_crt_set_issuer_name (&crt, subject) != 0
      || mbedtls_x509write_crt_set_serial (&crt, &serial) != 0
      || mbedtls_x509write_crt_set_validity (&crt, "20200101000000", "20991231235959") != 0
      || mbedtls_x509write_crt_set_basic_constraints (&crt, 0, -1) != 0
      || mbedtls_x509write_crt_set_subject_key_identifier (&crt) != 0)
    goto out;
  n = mbedtls_x509write_crt_der (&crt, buf, sizeof buf, iotscp_identity_rng, dev->port);
  if (n <= 0)
    goto out;
  memcpy (der, buf + sizeof buf - (size_t)n, (size_t)n);
  *der_len = (size_t)n;
  ret = IOTSCP_OK;
out:
  mbedtls_mpi_free (&serial);
  mbedtls_x509write_crt_free (&crt);
  return ret;
}

/* True when the certificate is for this id and key. */
static bool
certificate_matches (iotscp_device *dev, mbedtls_pk_context *key, const uint8_t *der, size_t len)
{
  mbedtls_x509_crt crt;
  char expected[IOTSCP_DEVICE_ID_MAX + 8];
  char subject[IOTSCP_DEVICE_ID_MAX + 32];
  bool ok = false;

  uint8_t pub[160];
  int pub_len;

  mbedtls_x509_crt_init (&crt);
  snprintf (expected, sizeof expected, "CN=%s", dev->id);
  /* Comparing the public key bytes is as good as mbedtls_pk_check_pair here (the stored key
   * carries its public half) and avoids an ECC multiplication per device at start-up. */
  pub_len = mbedtls_pk_write_pubkey_der (key, pub, sizeof pub);
  if (pub_len > 0 && mbedtls_x509_crt_parse_der (&crt, der, len) == 0
      && crt.pk_raw.len == (size_t)pub_len
      && memcmp (crt.pk_raw.p, pub + sizeof pub - (size_t)pub_len, (size_t)pub_len) == 0
      && mbedtls_x509_dn_gets (subject, sizeof subject, &crt.subject) > 0
      && strcmp (subject, expected) == 0)
    ok = true;
  mbedtls_x509_crt_free (&crt);
  return ok;
}

int
iotscp_identity_load (iotscp_device *dev, bool new_key)
{
  uint8_t key_der[KEY_DER_MAX];
  uint8_t cert_der[CERT_DER_MAX];
  size_t key_len = 0, cert_len = 0;
  mbedtls_pk_context key;
  int ret;

  ret = load_or_make_id (dev);
  if (ret != IOTSCP_OK)
    return ret;

  mbedtls_pk_init (&key);
  ret = new_key ? IOTSCP_PORT_NOT_FOUND
                : iotscp_port_storage_get (dev->port, dev->storage_ns, "key.der", key_der,
                                           sizeof key_der, &key_len);
  if (ret == IOTSCP_PORT_OK && mbedtls_pk_parse_key (&key, key_der, key_len, NULL, 0) == 0
      && mbedtls_pk_can_do (&key, MBEDTLS_PK_ECDSA))
    {
      ret = IOTSCP_OK;
    }
  else
    {
      if (ret == IOTSCP_PORT_OK)
        IOTSCP_LOG (dev, IOTSCP_LOG_WARNING, "stored key is unreadable; making a new one");
      else if (ret != IOTSCP_PORT_NOT_FOUND)
        {
          ret = IOTSCP_ERR_STORAGE;
          goto out;
        }
      mbedtls_pk_free (&key);
      mbedtls_pk_init (&key);
      ret = make_key (dev, key_der, &key_len);
      if (ret != IOTSCP_OK || mbedtls_pk_parse_key (&key, key_der, key_len, NULL, 0) != 0)
        {
          ret = IOTSCP_ERR_CRYPTO;
          goto out;
        }
      if (iotscp_port_storage_set (dev->port, dev->storage_ns, "key.der", key_der, key_len) != 0)
        {
          ret = IOTSCP_ERR_STORAGE;
          goto out;
        }
      IOTSCP_LOG (dev, IOTSCP_LOG_INFO, "made a new ECDSA P-256 key");
      new_key = true;
    }

  ret = new_key ? IOTSCP_PORT_NOT_FOUND
                : iotscp_port_storage_get (dev->port, dev->storage_ns, "cert.der", cert_der,
                                           sizeof cert_der, &cert_len);
  if (ret != IOTSCP_PORT_OK || !certificate_matches (dev, &key, cert_der, cert_len))
    {
      if (make_certificate (dev, &key, cert_der, &cert_len) != IOTSCP_OK)
        {
          ret = IOTSCP_ERR_CRYPTO;
          goto out;
        }
      if (iotscp_port_storage_set (dev->port, dev->storage_ns, "cert.der", cert_der, cert_len) != 0)
        {
          ret = IOTSCP_ERR_STORAGE;
          goto out;
        }
    }

  iotscp_tls_free (dev);
  ret = iotscp_tls_setup (dev, key_der, key_len, cert_der, cert_len);
out:
  mbedtls_pk_free (&key);
  mbedtls_platform_zeroize (key_der, sizeof key_der);
  return ret;
}
