/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

gboolean hearth_renderer_gl_is_software (GdkDisplay *display, char **gl_renderer);
const char *hearth_renderer_choose (GdkDisplay *display);

G_END_DECLS
