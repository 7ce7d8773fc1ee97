/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>

#include "hearth-version.h"

static void
test_version_matches_project (void)
{
  g_assert_cmpstr (hearth_get_version (), ==, EXPECTED_VERSION);
  g_assert_cmpstr (hearth_get_application_id (), ==, EXPECTED_APP_ID);
  g_assert_true (g_application_id_is_valid (hearth_get_application_id ()));
}

static void
test_version_check (void)
{
  g_auto (GStrv) parts = g_strsplit (EXPECTED_VERSION, ".", 3);
  guint major = (guint)g_ascii_strtoull (parts[0], NULL, 10);
  guint minor = (guint)g_ascii_strtoull (parts[1], NULL, 10);
  guint micro = (guint)g_ascii_strtoull (parts[2], NULL, 10);

  g_assert_true (hearth_check_version (major, minor, micro));
  g_assert_true (hearth_check_version (0, 0, 0));
  g_assert_false (hearth_check_version (major, minor, micro + 1));
  g_assert_false (hearth_check_version (major, minor + 1, 0));
  g_assert_false (hearth_check_version (major + 1, 0, 0));
  if (micro > 0)
    g_assert_true (hearth_check_version (major, minor, micro - 1));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/version/matches-project", test_version_matches_project);
  g_test_add_func ("/core/version/check", test_version_check);

  return g_test_run ();
}
