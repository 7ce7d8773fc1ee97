/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int hearth_headless_run (const char *data_dir, guint16 port, gboolean discovery_enabled,
                         guint heartbeat);

G_END_DECLS
