/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Functions shared between the files of the device core; not part of the public API.
 */
#ifndef IOTSCP_INTERNAL_H
#define IOTSCP_INTERNAL_H

#include "iotscp.h"
#include "iotscp_json.h"

#define IOTSCP_LOG(dev, level, ...) iotscp_port_log ((dev)->port, (level), (dev)->id, __VA_ARGS__)

/* ---- iotscp_model.c ---- */

/* True when name is a valid property/action/event/field name (protocol.md section 4). */
bool iotscp_model_name_ok (const char *name);
/* Checks a schema (types, enum, bounds). Returns true when it is usable. */
bool iotscp_model_enum_number (const iotscp_schema *schema, size_t i, double *out);
bool iotscp_model_schema_ok (const iotscp_schema *schema);
/* Checks a value against a schema; on failure returns false and sets *why. */
bool iotscp_model_value_ok (const iotscp_schema *schema, const iotscp_value *value,
                            const char **why);
/* Reads token tok of doc as a value of the schema's type into *out; strings are unescaped into
 * buf[0..cap). Returns true, or false with *why. */
bool iotscp_model_value_from_json (const iotscp_schema *schema, const iotscp_json_doc *doc, int tok,
                                   iotscp_value *out, char *buf, size_t cap, const char **why);
/* Reads an object of fields (action input, event data) into values[i]. buf holds strings. */
bool iotscp_model_fields_from_json (const iotscp_field *fields, size_t count,
                                    const iotscp_json_doc *doc, int obj, iotscp_value *values,
                                    char *buf, size_t cap, const char **why);
void iotscp_model_write_value (iotscp_jw *w, const iotscp_value *value);
/* Writes {"f1": v1, …} for the present fields. */
void iotscp_model_write_fields (iotscp_jw *w, const iotscp_field *fields, size_t count,
                                const iotscp_value *values);
/* The description document; returns its length or 0 when it does not fit. */
size_t iotscp_model_write_description (const iotscp_device *dev, char *buf, size_t cap);
/* The HTML page; returns its length or 0. */
size_t iotscp_model_write_html (const iotscp_device *dev, char *buf, size_t cap);
/* Windows of the same two documents (see iotscp_jw_init_window): bytes skip .. skip+cap-1 go
 * to buf; returns the length of the whole document, or 0 when it cannot be written. */
size_t iotscp_model_description_window (const iotscp_device *dev, char *buf, size_t cap,
                                        size_t skip);
size_t iotscp_model_html_window (const iotscp_device *dev, char *buf, size_t cap, size_t skip);

/* ---- iotscp_identity.c ---- */

/* Loads or makes id, key and certificate and sets up TLS (see iotscp_device_load_identity). */
int iotscp_identity_load (iotscp_device *dev, bool new_key);
/* mbedTLS f_rng on the port's random source (p_rng is the iotscp_port). */
int iotscp_identity_rng (void *p_rng, unsigned char *out, size_t len);

/* SHA-256 of a DER SubjectPublicKeyInfo. */
int iotscp_identity_spki_fingerprint (const uint8_t *spki, size_t len, uint8_t out[32]);

/* ---- iotscp_tls.c ---- */

int iotscp_tls_setup (iotscp_device *dev, const uint8_t *key_der, size_t key_len,
                      const uint8_t *cert_der, size_t cert_len);
void iotscp_tls_free (iotscp_device *dev);
/* A TLS context for a new connection whose socket is io->handle (server or client side), or
 * NULL when mbedTLS cannot allocate one. */
struct mbedtls_ssl_context *iotscp_tls_new_context (iotscp_device *dev, bool server, iotscp_io *io);
void iotscp_tls_free_context (struct mbedtls_ssl_context *ssl);
/* The fingerprint of the peer's key after the handshake; false without a peer certificate. */
bool iotscp_tls_peer_fingerprint (struct mbedtls_ssl_context *ssl, uint8_t out[32]);

/* ---- iotscp_server.c ---- */

void iotscp_server_accept (iotscp_device *dev, uint64_t now_ms);
void iotscp_server_process (iotscp_device *dev, iotscp_connection *conn, uint8_t revents,
                            uint64_t now_ms);
void iotscp_server_close (iotscp_device *dev, iotscp_connection *conn);
uint64_t iotscp_server_next_deadline (const iotscp_device *dev);
bool iotscp_server_wants_turn (const iotscp_connection *conn);
uint8_t iotscp_server_poll_events (const iotscp_connection *conn);

/* ---- iotscp_routes.c ---- */

/* Handles one complete request on conn and returns the length of its answer. A short answer is
 * composed in dev->scratch and *out points at it; a long one is generated (*out is NULL): it is
 * written window by window with iotscp_routes_window(). Sets *close_after when the connection
 * must close after the answer. */
size_t iotscp_routes_handle (iotscp_device *dev, iotscp_connection *conn, uint64_t now_ms,
                             bool *close_after, const char **out);
/* Bytes offset .. offset+cap-1 of conn's generated answer into buf; returns how many (0 when
 * the answer cannot be generated as it was measured: the connection must close). */
size_t iotscp_routes_window (iotscp_device *dev, const iotscp_connection *conn, size_t offset,
                             char *buf, size_t cap);
/* Writes an error answer into scratch. */
size_t iotscp_routes_error (iotscp_device *dev, int status, const char *code, const char *message,
                            bool keep_alive);

/* ---- iotscp_device.c ---- */

bool iotscp_device_is_controller (const iotscp_device *dev, const uint8_t fp[32]);
int iotscp_device_controller_add (iotscp_device *dev, const uint8_t fp[32], const char *name,
                                  bool *added);
int iotscp_device_controller_remove (iotscp_device *dev, const uint8_t fp[32]);
/* Applies a validated value to a property slot (copies strings) and queues a change entry
 * when it changed. */
void iotscp_device_store_property (iotscp_device *dev, size_t index, const iotscp_value *value,
                                   bool always_notify, uint64_t now_ms);

/* ---- iotscp_subscription.c ---- */

/* Appends an encoded entry to the ring (dropping the oldest entries when it is full). */
void iotscp_ring_push (iotscp_event_ring *ring, const char *entry, size_t len);
/* Entry n, or NULL when it is no longer (or not yet) in the ring. */
const char *iotscp_ring_get (const iotscp_event_ring *ring, uint32_t n, size_t *len);
void iotscp_ring_reset (iotscp_event_ring *ring);

/* Result of iotscp_subscription_subscribe and _renew: an HTTP status (200, 412, 503). */
int iotscp_subscription_subscribe (iotscp_device *dev, const iotscp_addr *subscriber,
                                   const uint8_t subscriber_fp[32], const char *callback,
                                   uint32_t timeout_s, uint32_t heartbeat_s, uint64_t now_ms,
                                   iotscp_subscription **out, const char **why);
iotscp_subscription *iotscp_subscription_find (iotscp_device *dev, const char *sid_header,
                                               uint64_t now_ms);
void iotscp_subscription_end (iotscp_device *dev, iotscp_subscription *sub);
/* "uuid:xxxxxxxx-xxxx-…" into out[46]. */
void iotscp_subscription_sid_text (const iotscp_subscription *sub, char out[46]);
void iotscp_subscription_process (iotscp_device *dev, iotscp_subscription *sub, uint8_t revents,
                                  uint64_t now_ms);
uint64_t iotscp_subscription_next_deadline (const iotscp_device *dev,
                                            const iotscp_subscription *sub);
uint8_t iotscp_subscription_poll_events (const iotscp_subscription *sub);

/* ---- Addresses (iotscp_device.c) ---- */

/* Strict dotted-quad / RFC 4291 text forms; true on success. */
/* Parses a CALLBACK header value into sub's callback address, host and path; the host must be
 * an IP literal equal to the subscriber's (iotscp_callback.c). */
bool iotscp_subscription_parse_callback (const char *text, const iotscp_addr *subscriber,
                                         iotscp_subscription *sub, const char **why);
bool iotscp_addr_parse_ipv4 (const char *text, uint8_t out[4]);
bool iotscp_addr_parse_ipv6 (const char *text, uint8_t out[16]);

#endif /* IOTSCP_INTERNAL_H */
