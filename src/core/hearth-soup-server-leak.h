/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How often closed server connections that libsoup 3.2 kept are looked for. */
#define HEARTH_SOUP_SERVER_SWEEP_INTERVAL_S 5

typedef gboolean (*HearthSoupStreamEndedFunc) (GIOStream *stream);

void hearth_soup_server_release_closed_connections (SoupServer *server);
gboolean hearth_soup_server_accept_stream (SoupServer *server, GIOStream *stream,
                                           GSocketAddress *local_address,
                                           GSocketAddress *remote_address,
                                           HearthSoupStreamEndedFunc stream_ended, GError **error);
guint hearth_soup_server_get_n_released_connections (void);

G_END_DECLS
