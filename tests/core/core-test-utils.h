/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

char *core_test_make_temp_dir (void);
void core_test_remove_tree (const char *path);
char *core_test_list_dir (const char *path);
char *core_test_data_path (const char *relative_path);
void core_test_run_until (gboolean (*condition) (gpointer user_data), gpointer user_data,
                          guint timeout_ms);

G_END_DECLS
