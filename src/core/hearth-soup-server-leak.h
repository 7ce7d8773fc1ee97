/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How often closed server connections that libsoup 3.2 kept are looked for. */
#define HEARTH_SOUP_SERVER_SWEEP_INTERVAL_S 5

void hearth_soup_server_release_closed_connections (SoupServer *server);
guint hearth_soup_server_get_n_released_connections (void);

G_END_DECLS
