/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-error"

#include "hearth-error.h"

#include <gio/gio.h>

/* Registering the codes with GDBusError lets an error cross D-Bus (hearthctl talks to the hub
 * later) and arrive as the same domain and code instead of a generic G_DBUS_ERROR. */
static const GDBusErrorEntry hearth_error_entries[] = {
  { HEARTH_ERROR_FAILED, "org.hearth.Hearth.Error.Failed" },
  { HEARTH_ERROR_INVALID_ARGUMENT, "org.hearth.Hearth.Error.InvalidArgument" },
  { HEARTH_ERROR_INVALID_DATA, "org.hearth.Hearth.Error.InvalidData" },
  { HEARTH_ERROR_TOO_LARGE, "org.hearth.Hearth.Error.TooLarge" },
  { HEARTH_ERROR_TIMED_OUT, "org.hearth.Hearth.Error.TimedOut" },
  { HEARTH_ERROR_NOT_TRUSTED, "org.hearth.Hearth.Error.NotTrusted" },
  { HEARTH_ERROR_LISTEN_FAILED, "org.hearth.Hearth.Error.ListenFailed" },
  { HEARTH_ERROR_NOT_SUPPORTED, "org.hearth.Hearth.Error.NotSupported" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (hearth_error_entries) == HEARTH_ERROR_NOT_SUPPORTED + 1);

GQuark
hearth_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("hearth-error-quark", &quark, hearth_error_entries,
                                      G_N_ELEMENTS (hearth_error_entries));
  return (GQuark)quark;
}
