/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-version"

#include "hearth-version.h"

#include "hearth-core-config.h"

/**
 * hearth_get_version:
 *
 * Returns: the version of Hearth this library was built as, for example "0.1.0".
 */
const char *
hearth_get_version (void)
{
  return HEARTH_VERSION_STRING;
}

/**
 * hearth_get_application_id:
 *
 * The application id differs between release and development builds so that both can be
 * installed side by side; everything that names files or settings after the id asks here.
 *
 * Returns: the application id, for example "org.hearth.Hearth".
 */
const char *
hearth_get_application_id (void)
{
  return HEARTH_APP_ID;
}

/**
 * hearth_check_version:
 * @major: required major version
 * @minor: required minor version
 * @micro: required micro version
 *
 * Returns: %TRUE if this build's version is at least @major.@minor.@micro.
 */
gboolean
hearth_check_version (guint major, guint minor, guint micro)
{
  g_auto (GStrv) parts = g_strsplit (HEARTH_VERSION_STRING, ".", 3);
  guint64 have[3] = { 0, 0, 0 };
  const guint want[3] = { major, minor, micro };

  for (guint i = 0; i < 3 && parts[i] != NULL; i++)
    have[i] = g_ascii_strtoull (parts[i], NULL, 10);

  for (guint i = 0; i < 3; i++)
    {
      if (have[i] != want[i])
        return have[i] > want[i];
    }
  return TRUE;
}
