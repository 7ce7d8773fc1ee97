/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "core-test-utils"

#include "core-test-utils.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

/* Helpers shared by the core tests: every test works in its own real temporary directory,
 * which is removed afterwards, so tests touch real files and can run in parallel. */

char *
core_test_make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *path = g_dir_make_tmp ("hearth-core-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
core_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;
  struct stat st;

  if (lstat (path, &st) != 0)
    return;

  if (!S_ISDIR (st.st_mode))
    {
      g_unlink (path);
      return;
    }

  /* A test may have made the directory read-only; make it writable again to empty it. */
  g_chmod (path, 0700);
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      core_test_remove_tree (child);
    }
  g_rmdir (path);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

/* Returns the names in a directory, sorted and joined by spaces, so a test can assert exactly
 * which files exist (for instance that no temporary file was left behind). */
char *
core_test_list_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **)names->pdata);
}

char *
core_test_data_path (const char *relative_path)
{
  const char *source_dir = g_getenv ("HEARTH_SOURCE_DIR");

  g_assert_nonnull (source_dir);
  return g_build_filename (source_dir, "tests", "data", relative_path, NULL);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context until @condition holds, failing the test after
 * @timeout_ms. */
void
core_test_run_until (gboolean (*condition) (gpointer user_data), gpointer user_data,
                     guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint source = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  while (!condition (user_data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (source);
  g_assert_false (timed_out);
}
