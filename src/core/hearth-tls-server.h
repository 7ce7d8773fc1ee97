/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-tls-stream.h"

G_BEGIN_DECLS

/* Handshakes under way at once, unless set otherwise; see hearth-tls-server.c. */
#define HEARTH_TLS_SERVER_HANDSHAKES_MAX 512

#define HEARTH_TYPE_TLS_SERVER (hearth_tls_server_get_type ())
G_DECLARE_FINAL_TYPE (HearthTlsServer, hearth_tls_server, HEARTH, TLS_SERVER, GObject)

/**
 * HearthTlsPeerFilter:
 * @fingerprint: the fingerprint of the key a client authenticates with
 * @user_data: the filter's data
 *
 * Returns: whether a client with this key may finish its handshake
 */
typedef gboolean (*HearthTlsPeerFilter) (const char *fingerprint, gpointer user_data);

HearthTlsServer *hearth_tls_server_new (GTlsCertificate *certificate, GError **error);
gboolean hearth_tls_server_set_certificate (HearthTlsServer *self, GTlsCertificate *certificate,
                                            GError **error);
void hearth_tls_server_set_peer_filter (HearthTlsServer *self, HearthTlsPeerFilter filter,
                                        gpointer user_data);
void hearth_tls_server_set_handshake_timeout (HearthTlsServer *self, guint seconds);
void hearth_tls_server_set_max_handshakes (HearthTlsServer *self, guint max_handshakes);
gboolean hearth_tls_server_listen (HearthTlsServer *self, GInetAddress *address, guint16 port,
                                   GError **error);
guint16 hearth_tls_server_get_port (HearthTlsServer *self);
void hearth_tls_server_stop (HearthTlsServer *self);
guint hearth_tls_server_get_n_handshaking (HearthTlsServer *self);
guint64 hearth_tls_server_get_n_refused (HearthTlsServer *self);
guint64 hearth_tls_server_get_n_timed_out (HearthTlsServer *self);
guint64 hearth_tls_server_get_n_failed (HearthTlsServer *self);

G_END_DECLS
