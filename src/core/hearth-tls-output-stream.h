/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-tls-stream.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TLS_OUTPUT_STREAM (hearth_tls_output_stream_get_type ())
G_DECLARE_FINAL_TYPE (HearthTlsOutputStream, hearth_tls_output_stream, HEARTH, TLS_OUTPUT_STREAM,
                      GOutputStream)

HearthTlsOutputStream *hearth_tls_output_stream_new (HearthTlsStream *owner);
void hearth_tls_output_stream_detach (HearthTlsOutputStream *self);

G_END_DECLS
