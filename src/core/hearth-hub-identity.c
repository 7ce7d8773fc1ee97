/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-hub-identity"

#include "hearth-hub-identity.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-atomic-file.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"

/* HearthHubIdentity is the hub's own TLS key and self-signed certificate. Devices list the hub's
 * key fingerprint as a controller, so losing or silently replacing this key would cut the hub off
 * from every paired device: the key is made once, kept in one file together with its certificate
 * (so that the two can never be replaced separately and mismatch), and only replaced on request.
 *
 * Replacing it is a rotation: the new key must be added as a controller on every device before
 * the old one is removed, so the object keeps the previous identity (certificate and key) until
 * the rotation tells it to forget it. */

/* Far larger than any PEM key and certificate pair, small enough that a damaged file cannot make
 * the hub allocate much. */
#define IDENTITY_FILE_MAX_BYTES (64 * 1024)

/* The same validity the protocol prescribes for devices (docs/protocol.md §1): devices compare
 * keys, not dates, and a hub must never stop working because a certificate expired. */
#define VALIDITY_NOT_BEFORE ((time_t)1577836800) /* 2020-01-01T00:00:00Z */
#define VALIDITY_NOT_AFTER ((time_t)4102444799)  /* 2099-12-31T23:59:59Z */

enum
{
  PROP_0,
  PROP_DATA_DIR,
  PROP_CERTIFICATE,
  PROP_FINGERPRINT,
  PROP_PREVIOUS_CERTIFICATE,
  PROP_PREVIOUS_FINGERPRINT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthHubIdentity
{
  GObject parent_instance;

  /* Owned */
  char *data_dir;
  GTlsCertificate *certificate;
  char *fingerprint;
  GBytes *pem;
  GTlsCertificate *previous_certificate;
  char *previous_fingerprint;
};

static void hearth_hub_identity_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthHubIdentity, hearth_hub_identity, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      hearth_hub_identity_initable_iface_init))

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

static GBytes *
fail_with_gnutls_error (GError **error, int ret, const char *what)
{
  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED, "%s: %s", what, gnutls_strerror (ret));
  return NULL;
}

static char *
datum_to_string (gnutls_datum_t *datum)
{
  char *copy = g_strndup ((const char *)datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;
  return copy;
}

/* Makes a fresh ECDSA P-256 key and a self-signed certificate for it, returned as one PEM text:
 * the certificate first, then the key in PKCS#8, which is what g_tls_certificate_new_from_pem()
 * reads. Key generation takes about a millisecond, so this runs synchronously. */
static GBytes *
generate_identity_pem (GError **error)
{
  g_auto (gnutls_x509_privkey_t) key = NULL;
  g_auto (gnutls_x509_crt_t) crt = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  gnutls_datum_t out = { NULL, 0 };
  unsigned char serial[16];
  const char *error_position = NULL;
  int ret;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0
      || (ret = gnutls_x509_privkey_generate2 (
              key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0))
             < 0)
    return fail_with_gnutls_error (error, ret, "Could not generate the hub key");

  /* A positive random serial of exactly 16 bytes, as RFC 5280 asks: clear the sign bit, and set
   * the next one so that DER does not shorten it. */
  if ((ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
    return fail_with_gnutls_error (error, ret, "Could not make a serial number");
  serial[0] &= 0x7f;
  serial[0] |= 0x01 << 6;

  if ((ret = gnutls_x509_crt_init (&crt)) < 0 || (ret = gnutls_x509_crt_set_version (crt, 3)) < 0
      || (ret = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0
      || (ret = gnutls_x509_crt_set_activation_time (crt, VALIDITY_NOT_BEFORE)) < 0
      || (ret = gnutls_x509_crt_set_expiration_time (crt, VALIDITY_NOT_AFTER)) < 0
      || (ret = gnutls_x509_crt_set_dn (crt, "CN=Hearth hub", &error_position)) < 0
      || (ret = gnutls_x509_crt_set_key (crt, key)) < 0
      || (ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0
      || (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0
      || (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0
      || (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0
      || (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
    return fail_with_gnutls_error (error, ret, "Could not make the hub certificate");

  if ((ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out)) < 0)
    return fail_with_gnutls_error (error, ret, "Could not encode the hub certificate");
  cert_pem = datum_to_string (&out);

  if ((ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                                &out))
      < 0)
    return fail_with_gnutls_error (error, ret, "Could not encode the hub key");
  key_pem = datum_to_string (&out);

  {
    char *both = g_strconcat (cert_pem, key_pem, NULL);
    gsize length = strlen (both);

    /* The key must not linger in freed memory longer than needed. */
    gnutls_memset (key_pem, 0, strlen (key_pem));
    return g_bytes_new_take (both, length);
  }
}

/* Refuses a key file that other users can read, or that belongs to someone else, rather than
 * repairing its mode: if others could read it, the key may already have been copied, and quietly
 * fixing the mode would hide that. The person running the hub decides (fix the mode, or
 * regenerate the key), as OpenSSH does with an unprotected private key. */
static gboolean
check_file_is_private (const char *path, GError **error)
{
  struct stat st;

  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not inspect “%s”: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  if (st.st_uid != geteuid ())
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED,
                   "The hub key file “%s” belongs to another user (uid %u); Hearth only uses a key "
                   "that it owns. Change its owner or remove the data directory's identity files "
                   "to make a new key (paired devices must then be paired again)",
                   path, (guint)st.st_uid);
      return FALSE;
    }

  if ((st.st_mode & 0077) != 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED,
                   "The hub key file “%s” can be read by other users (mode %04o); Hearth refuses "
                   "to use a key that may have been copied. If nobody else could have read it, run "
                   "`chmod 600 %s`; otherwise regenerate the hub key",
                   path, (guint)(st.st_mode & 07777), path);
      return FALSE;
    }

  return TRUE;
}

/* Parses and cross-checks one identity file's contents: exactly the checks a damaged or
 * hand-edited file would fail, each with a message that names the file. */
static gboolean
parse_identity_pem (GBytes *pem, const char *path, GTlsCertificate **certificate_out,
                    char **fingerprint_out, GError **error)
{
  g_auto (gnutls_x509_crt_t) crt = NULL;
  g_auto (gnutls_x509_privkey_t) key = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GError) local_error = NULL;
  gnutls_datum_t datum;
  gnutls_datum_t der = { NULL, 0 };
  guchar crt_key_id[64];
  guchar key_key_id[64];
  size_t crt_key_id_size = sizeof crt_key_id;
  size_t key_key_id_size = sizeof key_key_id;
  char *fingerprint;
  gsize size;
  int ret;

  datum.data = (unsigned char *)g_bytes_get_data (pem, &size);
  datum.size = (unsigned int)size;

  if ((ret = gnutls_x509_crt_init (&crt)) < 0
      || (ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM)) < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The hub identity file “%s” has no readable certificate (%s)", path,
                   gnutls_strerror (ret));
      return FALSE;
    }

  if ((ret = gnutls_x509_privkey_init (&key)) < 0
      || (ret = gnutls_x509_privkey_import2 (key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The hub identity file “%s” has no readable private key (%s)", path,
                   gnutls_strerror (ret));
      return FALSE;
    }

  /* A certificate whose key is not the stored private key would let TLS fail much later with an
   * obscure error; catch it here. */
  if ((ret
       = gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA256, crt_key_id, &crt_key_id_size))
          < 0
      || (ret = gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA256, key_key_id,
                                                &key_key_id_size))
             < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "Could not compare the key and certificate in “%s” (%s)", path,
                   gnutls_strerror (ret));
      return FALSE;
    }
  if (crt_key_id_size != key_key_id_size || memcmp (crt_key_id, key_key_id, crt_key_id_size) != 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The certificate and the private key in “%s” do not belong together", path);
      return FALSE;
    }

  if ((ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der)) < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "Could not re-encode the certificate in “%s” (%s)", path, gnutls_strerror (ret));
      return FALSE;
    }
  fingerprint = hearth_fingerprint_from_der (der.data, der.size, error);
  gnutls_free (der.data);
  if (fingerprint == NULL)
    return FALSE;

  certificate
      = g_tls_certificate_new_from_pem ((const char *)datum.data, (gssize)datum.size, &local_error);
  if (certificate == NULL)
    {
      g_free (fingerprint);
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The TLS library could not use the identity in “%s”: %s", path,
                   local_error->message);
      return FALSE;
    }

  *certificate_out = g_steal_pointer (&certificate);
  *fingerprint_out = fingerprint;
  return TRUE;
}

static gboolean
load_identity_file (const char *path, GBytes **pem_out, GTlsCertificate **certificate_out,
                    char **fingerprint_out, GError **error)
{
  g_autoptr (GBytes) pem = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (!check_file_is_private (path, error))
    return FALSE;

  if (!hearth_atomic_file_read (path, IDENTITY_FILE_MAX_BYTES, &contents, &length, error))
    return FALSE;
  pem = g_bytes_new_take (contents, length);

  if (!parse_identity_pem (pem, path, certificate_out, fingerprint_out, error))
    return FALSE;

  if (pem_out != NULL)
    *pem_out = g_steal_pointer (&pem);
  return TRUE;
}

static char *
build_path (HearthHubIdentity *self, const char *file_name)
{
  return g_build_filename (self->data_dir, file_name, NULL);
}

static void
set_previous (HearthHubIdentity *self, GTlsCertificate *certificate, const char *fingerprint)
{
  if (g_set_object (&self->previous_certificate, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREVIOUS_CERTIFICATE]);

  if (g_strcmp0 (self->previous_fingerprint, fingerprint) != 0)
    {
      g_free (self->previous_fingerprint);
      self->previous_fingerprint = g_strdup (fingerprint);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREVIOUS_FINGERPRINT]);
    }
}

static void
hearth_hub_identity_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthHubIdentity *self = HEARTH_HUB_IDENTITY (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_value_set_string (value, self->data_dir);
        break;

      case PROP_CERTIFICATE:
        g_value_set_object (value, self->certificate);
        break;

      case PROP_FINGERPRINT:
        g_value_set_string (value, self->fingerprint);
        break;

      case PROP_PREVIOUS_CERTIFICATE:
        g_value_set_object (value, self->previous_certificate);
        break;

      case PROP_PREVIOUS_FINGERPRINT:
        g_value_set_string (value, self->previous_fingerprint);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_hub_identity_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  HearthHubIdentity *self = HEARTH_HUB_IDENTITY (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_assert (self->data_dir == NULL);
        self->data_dir = g_value_dup_string (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_hub_identity_dispose (GObject *object)
{
  HearthHubIdentity *self = HEARTH_HUB_IDENTITY (object);

  g_clear_object (&self->certificate);
  g_clear_object (&self->previous_certificate);

  G_OBJECT_CLASS (hearth_hub_identity_parent_class)->dispose (object);
}

static void
hearth_hub_identity_finalize (GObject *object)
{
  HearthHubIdentity *self = HEARTH_HUB_IDENTITY (object);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->fingerprint, g_free);
  g_clear_pointer (&self->previous_fingerprint, g_free);
  g_clear_pointer (&self->pem, g_bytes_unref);

  G_OBJECT_CLASS (hearth_hub_identity_parent_class)->finalize (object);
}

static void
hearth_hub_identity_class_init (HearthHubIdentityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_hub_identity_get_property;
  object_class->set_property = hearth_hub_identity_set_property;
  object_class->dispose = hearth_hub_identity_dispose;
  object_class->finalize = hearth_hub_identity_finalize;

  /**
   * HearthHubIdentity:data-dir:
   *
   * The directory that holds the identity files; created (mode 0700) when missing.
   */
  properties[PROP_DATA_DIR]
      = g_param_spec_string ("data-dir", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHubIdentity:certificate:
   *
   * The hub's certificate with its private key, ready for libsoup as server and client
   * certificate.
   */
  properties[PROP_CERTIFICATE]
      = g_param_spec_object ("certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHubIdentity:fingerprint:
   *
   * The SHA-256 of the hub key's SubjectPublicKeyInfo, 64 lowercase hex digits.
   */
  properties[PROP_FINGERPRINT]
      = g_param_spec_string ("fingerprint", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHubIdentity:previous-certificate:
   *
   * The identity replaced by the last regeneration, kept until the rotation has moved every
   * device to the new key; %NULL when no rotation is under way.
   */
  properties[PROP_PREVIOUS_CERTIFICATE]
      = g_param_spec_object ("previous-certificate", NULL, NULL, G_TYPE_TLS_CERTIFICATE,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHubIdentity:previous-fingerprint:
   *
   * The fingerprint of #HearthHubIdentity:previous-certificate, or %NULL.
   */
  properties[PROP_PREVIOUS_FINGERPRINT]
      = g_param_spec_string ("previous-fingerprint", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_hub_identity_init (HearthHubIdentity *self)
{
}

static gboolean
hearth_hub_identity_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  HearthHubIdentity *self = HEARTH_HUB_IDENTITY (initable);
  g_autofree char *path = NULL;
  g_autofree char *previous_path = NULL;

  if (self->data_dir == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A hub identity needs a data directory");
      return FALSE;
    }

  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the data directory “%s”: %s", self->data_dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  path = build_path (self, HEARTH_HUB_IDENTITY_FILE);
  previous_path = build_path (self, HEARTH_HUB_IDENTITY_PREVIOUS_FILE);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (!load_identity_file (path, &self->pem, &self->certificate, &self->fingerprint, error))
        return FALSE;
    }
  else
    {
      g_autoptr (GBytes) pem = generate_identity_pem (error);

      if (pem == NULL)
        return FALSE;
      if (!hearth_atomic_file_write (path, g_bytes_get_data (pem, NULL), g_bytes_get_size (pem),
                                     0600, error))
        return FALSE;
      if (!parse_identity_pem (pem, path, &self->certificate, &self->fingerprint, error))
        return FALSE;
      self->pem = g_steal_pointer (&pem);
    }

  if (g_file_test (previous_path, G_FILE_TEST_EXISTS))
    {
      if (!load_identity_file (previous_path, NULL, &self->previous_certificate,
                               &self->previous_fingerprint, error))
        return FALSE;

      /* regenerate() saves the previous identity before the new one; a crash between the two
       * writes leaves both files with the same key, which simply means no rotation happened. */
      if (g_strcmp0 (self->previous_fingerprint, self->fingerprint) == 0)
        {
          g_clear_object (&self->previous_certificate);
          g_clear_pointer (&self->previous_fingerprint, g_free);
          if (g_unlink (previous_path) != 0)
            g_debug ("Could not remove the stale “%s”: %s", previous_path, g_strerror (errno));
        }
    }

  return TRUE;
}

static void
hearth_hub_identity_initable_iface_init (GInitableIface *iface)
{
  iface->init = hearth_hub_identity_initable_init;
}

/**
 * hearth_hub_identity_new:
 * @data_dir: the hub's data directory
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the hub identity from @data_dir, making a new key and certificate on first run.
 * Identity files that are damaged, do not match, or can be read by other users make this fail
 * with a message that says which file and what to do; they are never replaced silently, because
 * a new key means every paired device stops accepting the hub.
 *
 * Returns: (transfer full): the identity, or %NULL with @error set
 */
HearthHubIdentity *
hearth_hub_identity_new (const char *data_dir, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (data_dir != NULL, NULL);

  return g_initable_new (HEARTH_TYPE_HUB_IDENTITY, cancellable, error, "data-dir", data_dir, NULL);
}

const char *
hearth_hub_identity_get_data_dir (HearthHubIdentity *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), NULL);

  return self->data_dir;
}

/**
 * hearth_hub_identity_get_certificate:
 * @self: a #HearthHubIdentity
 *
 * Returns: (transfer none): the hub's certificate, with its private key
 */
GTlsCertificate *
hearth_hub_identity_get_certificate (HearthHubIdentity *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), NULL);

  return self->certificate;
}

const char *
hearth_hub_identity_get_fingerprint (HearthHubIdentity *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), NULL);

  return self->fingerprint;
}

/**
 * hearth_hub_identity_get_previous_certificate:
 * @self: a #HearthHubIdentity
 *
 * Returns: (transfer none) (nullable): the identity a rotation is moving away from
 */
GTlsCertificate *
hearth_hub_identity_get_previous_certificate (HearthHubIdentity *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), NULL);

  return self->previous_certificate;
}

const char *
hearth_hub_identity_get_previous_fingerprint (HearthHubIdentity *self)
{
  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), NULL);

  return self->previous_fingerprint;
}

/**
 * hearth_hub_identity_regenerate:
 * @self: a #HearthHubIdentity
 * @error: return location for a #GError
 *
 * Makes a new key and certificate and keeps the current ones as the previous identity, so
 * that a rotation can add the new key to every device before removing the old one.
 *
 * A second regeneration while a previous identity is still kept is refused: devices that the
 * unfinished rotation has not reached yet only know the previous key, and dropping it would
 * lose them. Call hearth_hub_identity_forget_previous() when the rotation is complete.
 *
 * Returns: %TRUE when the new identity is stored
 */
gboolean
hearth_hub_identity_regenerate (HearthHubIdentity *self, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *previous_path = NULL;
  g_autoptr (GBytes) pem = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autofree char *fingerprint = NULL;
  g_autoptr (GTlsCertificate) old_certificate = NULL;
  g_autofree char *old_fingerprint = NULL;

  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->previous_fingerprint != NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED,
                   "A key rotation is still under way (previous key %.16s…); finish it before "
                   "making another key",
                   self->previous_fingerprint);
      return FALSE;
    }

  path = build_path (self, HEARTH_HUB_IDENTITY_FILE);
  previous_path = build_path (self, HEARTH_HUB_IDENTITY_PREVIOUS_FILE);

  pem = generate_identity_pem (error);
  if (pem == NULL)
    return FALSE;
  if (!parse_identity_pem (pem, path, &certificate, &fingerprint, error))
    return FALSE;

  /* Save the current identity as the previous one first: a crash after this step leaves two
   * copies of the current key (recognised at load), never a lost key. */
  if (!hearth_atomic_file_write (previous_path, g_bytes_get_data (self->pem, NULL),
                                 g_bytes_get_size (self->pem), 0600, error))
    return FALSE;

  if (!hearth_atomic_file_write (path, g_bytes_get_data (pem, NULL), g_bytes_get_size (pem), 0600,
                                 error))
    {
      g_unlink (previous_path);
      return FALSE;
    }

  old_certificate = g_steal_pointer (&self->certificate);
  old_fingerprint = g_steal_pointer (&self->fingerprint);
  g_clear_pointer (&self->pem, g_bytes_unref);

  self->certificate = g_steal_pointer (&certificate);
  self->fingerprint = g_steal_pointer (&fingerprint);
  self->pem = g_steal_pointer (&pem);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CERTIFICATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINGERPRINT]);
  set_previous (self, old_certificate, old_fingerprint);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

/**
 * hearth_hub_identity_forget_previous:
 * @self: a #HearthHubIdentity
 * @error: return location for a #GError
 *
 * Ends a rotation: deletes the previous identity's file. Doing nothing when there is no
 * previous identity is not an error.
 *
 * Returns: %TRUE when no previous identity remains on disk
 */
gboolean
hearth_hub_identity_forget_previous (HearthHubIdentity *self, GError **error)
{
  g_autofree char *previous_path = NULL;

  g_return_val_if_fail (HEARTH_IS_HUB_IDENTITY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  previous_path = build_path (self, HEARTH_HUB_IDENTITY_PREVIOUS_FILE);
  if (g_unlink (previous_path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not remove “%s”: %s", previous_path, g_strerror (saved_errno));
      return FALSE;
    }

  set_previous (self, NULL, NULL);
  return TRUE;
}
