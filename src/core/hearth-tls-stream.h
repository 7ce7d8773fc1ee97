/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

#include "hearth-tls-credentials.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TLS_STREAM (hearth_tls_stream_get_type ())
G_DECLARE_FINAL_TYPE (HearthTlsStream, hearth_tls_stream, HEARTH, TLS_STREAM, GIOStream)

HearthTlsStream *hearth_tls_stream_new (GSocket *socket, gnutls_session_t session,
                                        HearthTlsCredentials *credentials,
                                        const char *peer_fingerprint);
GSocket *hearth_tls_stream_get_socket (HearthTlsStream *self);
GSocketAddress *hearth_tls_stream_get_local_address (HearthTlsStream *self);
GSocketAddress *hearth_tls_stream_get_remote_address (HearthTlsStream *self);
const char *hearth_tls_stream_get_peer_fingerprint (HearthTlsStream *self);
gboolean hearth_tls_stream_has_ended (HearthTlsStream *self);
void hearth_tls_stream_shutdown (HearthTlsStream *self);

G_END_DECLS
