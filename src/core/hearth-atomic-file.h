/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean hearth_atomic_file_write (const char *path, const void *contents, gsize length, int mode,
                                   GError **error);

gboolean hearth_atomic_file_read (const char *path, gsize max_length, char **contents,
                                  gsize *length, GError **error);

G_END_DECLS
