/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *hearth_get_version (void);
const char *hearth_get_application_id (void);
gboolean hearth_check_version (guint major, guint minor, guint micro);

G_END_DECLS
