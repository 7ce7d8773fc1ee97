/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What HearthTlsInputStream and HearthTlsOutputStream use of the stream they belong to. */

#include "hearth-tls-stream.h"

G_BEGIN_DECLS

gssize hearth_tls_stream_receive (HearthTlsStream *self, void *buffer, gsize count,
                                  gboolean blocking, GCancellable *cancellable, GError **error);
gssize hearth_tls_stream_send (HearthTlsStream *self, const void *buffer, gsize count,
                               gboolean blocking, GCancellable *cancellable, GError **error);
gboolean hearth_tls_stream_is_ready (HearthTlsStream *self, GIOCondition condition);
GSource *hearth_tls_stream_create_ready_source (HearthTlsStream *self, GIOCondition condition);

G_END_DECLS
