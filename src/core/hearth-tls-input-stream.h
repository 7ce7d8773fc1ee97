/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-tls-stream.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TLS_INPUT_STREAM (hearth_tls_input_stream_get_type ())
G_DECLARE_FINAL_TYPE (HearthTlsInputStream, hearth_tls_input_stream, HEARTH, TLS_INPUT_STREAM,
                      GInputStream)

HearthTlsInputStream *hearth_tls_input_stream_new (HearthTlsStream *owner);
void hearth_tls_input_stream_detach (HearthTlsInputStream *self);

G_END_DECLS
