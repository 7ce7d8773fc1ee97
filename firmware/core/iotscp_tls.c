/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mbedTLS objects of a device: its key and certificate, one server configuration (for the
 * control connections) and one client configuration (for NOTIFY), shared by all connections.
 * Per-connection TLS contexts are allocated only while the connection exists.
 *
 * Peers use self-signed certificates, so chain verification has nothing to check: the verify
 * callback accepts any certificate and the core compares the peer's key fingerprint itself
 * (against the controller list on the server side, against the subscriber on the client side).
 */
#include "iotscp_internal.h"

#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

struct iotscp_tls
{
  mbedtls_pk_context key;
  mbedtls_x509_crt cert;
  mbedtls_ssl_config server;
  mbedtls_ssl_config client;
};

/* What every device offers (protocol.md section 1), strongest first. */
static const int ciphersuites[] = {
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  0,
};

static int
accept_any_certificate (void *data, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
  (void)data;
  (void)crt;
  (void)depth;
  /* Identity is the key fingerprint, checked after the handshake; the chain means nothing. */
  *flags = 0;
  return 0;
}

static int
bio_send (void *ctx, const unsigned char *buf, size_t len)
{
  iotscp_io *io = ctx;
  long n = iotscp_port_tcp_send (io->port, io->handle, buf, len);
  if (n == IOTSCP_PORT_WOULD_BLOCK)
    return MBEDTLS_ERR_SSL_WANT_WRITE;
  if (n < 0)
    return MBEDTLS_ERR_NET_SEND_FAILED;
  return (int)n;
}

static int
bio_recv (void *ctx, unsigned char *buf, size_t len)
{
  iotscp_io *io = ctx;
  long n = iotscp_port_tcp_recv (io->port, io->handle, buf, len);
  if (n == IOTSCP_PORT_WOULD_BLOCK)
    return MBEDTLS_ERR_SSL_WANT_READ;
  if (n < 0)
    return MBEDTLS_ERR_NET_RECV_FAILED;
  return (int)n; /* 0 = end of stream */
}

static int
setup_config (iotscp_device *dev, mbedtls_ssl_config *conf, int endpoint)
{
  struct iotscp_tls *tls = dev->tls;
  if (mbedtls_ssl_config_defaults (conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                   MBEDTLS_SSL_PRESET_DEFAULT)
      != 0)
    return -1;
  mbedtls_ssl_conf_rng (conf, iotscp_identity_rng, dev->port);
  mbedtls_ssl_conf_min_version (conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_ciphersuites (conf, ciphersuites);
  /* Ask for (server) or check (client) the peer certificate, but decide about it ourselves. */
  mbedtls_ssl_conf_authmode (conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
  mbedtls_ssl_conf_verify (conf, accept_any_certificate, NULL);
  mbedtls_ssl_conf_ca_chain (conf, &tls->cert, NULL);
  if (endpoint == MBEDTLS_SSL_IS_SERVER)
    /* No CA names in the CertificateRequest: clients must send their certificate whatever
     * issued it. */
    mbedtls_ssl_conf_cert_req_ca_list (conf, MBEDTLS_SSL_CERT_REQ_CA_LIST_DISABLED);
  if (mbedtls_ssl_conf_own_cert (conf, &tls->cert, &tls->key) != 0)
    return -1;
  return 0;
}

int
iotscp_tls_setup (iotscp_device *dev, const uint8_t *key_der, size_t key_len,
                  const uint8_t *cert_der, size_t cert_len)
{
  struct iotscp_tls *tls = mbedtls_calloc (1, sizeof *tls);
  uint8_t fp[32];
  if (tls == NULL)
    return IOTSCP_ERR_CRYPTO;
  dev->tls = tls;
  mbedtls_pk_init (&tls->key);
  mbedtls_x509_crt_init (&tls->cert);
  mbedtls_ssl_config_init (&tls->server);
  mbedtls_ssl_config_init (&tls->client);
  if (mbedtls_pk_parse_key (&tls->key, key_der, key_len, NULL, 0) != 0
      || mbedtls_x509_crt_parse_der (&tls->cert, cert_der, cert_len) != 0
      || setup_config (dev, &tls->server, MBEDTLS_SSL_IS_SERVER) != 0
      || setup_config (dev, &tls->client, MBEDTLS_SSL_IS_CLIENT) != 0
      || iotscp_identity_spki_fingerprint (tls->cert.pk_raw.p, tls->cert.pk_raw.len, fp) != 0)
    {
      iotscp_tls_free (dev);
      return IOTSCP_ERR_CRYPTO;
    }
  for (size_t i = 0; i < 32; i++)
    {
      static const char hex[] = "0123456789abcdef";
      dev->fingerprint_hex[2 * i] = hex[fp[i] >> 4];
      dev->fingerprint_hex[2 * i + 1] = hex[fp[i] & 15];
    }
  dev->fingerprint_hex[64] = '\0';
  dev->identity_loaded = true;
  return IOTSCP_OK;
}

void
iotscp_tls_free (iotscp_device *dev)
{
  struct iotscp_tls *tls = dev->tls;
  if (tls == NULL)
    return;
  mbedtls_ssl_config_free (&tls->server);
  mbedtls_ssl_config_free (&tls->client);
  mbedtls_x509_crt_free (&tls->cert);
  mbedtls_pk_free (&tls->key);
  mbedtls_free (tls);
  dev->tls = NULL;
  dev->identity_loaded = false;
  dev->fingerprint_hex[0] = '\0';
}

struct mbedtls_ssl_context *
iotscp_tls_new_context (iotscp_device *dev, bool server, iotscp_io *io)
{
  mbedtls_ssl_context *ssl = mbedtls_calloc (1, sizeof *ssl);
  if (ssl == NULL)
    return NULL;
  mbedtls_ssl_init (ssl);
  if (mbedtls_ssl_setup (ssl, server ? &dev->tls->server : &dev->tls->client) != 0)
    {
      mbedtls_ssl_free (ssl);
      mbedtls_free (ssl);
      return NULL;
    }
  mbedtls_ssl_set_bio (ssl, io, bio_send, bio_recv, NULL);
  return ssl;
}

void
iotscp_tls_free_context (struct mbedtls_ssl_context *ssl)
{
  if (ssl == NULL)
    return;
  mbedtls_ssl_free (ssl);
  mbedtls_free (ssl);
}

bool
iotscp_tls_peer_fingerprint (struct mbedtls_ssl_context *ssl, uint8_t out[32])
{
  const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert (ssl);
  if (peer == NULL || peer->pk_raw.p == NULL)
    return false;
  return iotscp_identity_spki_fingerprint (peer->pk_raw.p, peer->pk_raw.len, out) == 0;
}
