/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-headless"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "hearth-headless.h"

/* `hearth-headless` is the hub without GTK: `hearth --headless` checks its options and then
 * replaces itself with this program (same process id, same standard streams), so a headless hub
 * never maps GTK 4, libadwaita and their libraries (about 7 MiB of resident memory; see "Memory"
 * in docs/architecture.md). It takes the headless subset of hearth's options with the same
 * meaning, checks and exit statuses, so it can also be run directly, e.g. by a service manager. */

int
main (int argc, char *argv[])
{
  gboolean headless = TRUE;
  gboolean no_discovery = FALSE;
  int port = 8443;
  int heartbeat = 15;
  g_autofree char *data_dir = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  /* The help texts are hearth's own (same msgids), so they need no new translations. */
  const GOptionEntry entries[] = {
    { "headless", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &headless,
      N_ ("Run the hub without a window; control it with hearthctl"), NULL },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_ ("Keep keys, trust decisions and history in DIR (default ~/.local/share/hearth); "
          "one hub per directory"),
      N_ ("DIR") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      N_ ("The event server's TCP port (default: 8443 with --headless, else the event-port "
          "setting; 0 picks a free one)"),
      N_ ("N") },
    { "heartbeat", 0, 0, G_OPTION_ARG_INT, &heartbeat,
      N_ ("The heartbeat interval asked of devices, 1 to 60 s (default 15); a device is offline "
          "after 2.5 missed intervals"),
      N_ ("SECONDS") },
    { "no-discovery", 0, 0, G_OPTION_ARG_NONE, &no_discovery,
      N_ ("Do not browse mDNS or send multicast probes (devices are then added by address)"),
      NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hearth: %s\n", error->message);
      g_printerr (_ ("Run “%s --help” to see the options.\n"), g_get_prgname ());
      return 2;
    }
  if (argc > 1)
    {
      g_printerr (_ ("hearth: unexpected argument “%s”\n"), argv[1]);
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr (_ ("hearth: --port must be from 0 to 65535, not %d\n"), port);
      return 2;
    }
  if (heartbeat < 1 || heartbeat > 60)
    {
      g_printerr (_ ("hearth: --heartbeat must be from 1 to 60 seconds, not %d\n"), heartbeat);
      return 2;
    }

  return hearth_headless_run (data_dir, (guint16)port, !no_discovery, (guint)heartbeat);
}
