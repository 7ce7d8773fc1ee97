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
  g_auto (HearthHubOptions) options = HEARTH_HUB_OPTIONS_INIT;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  /* The help texts are hearth's own (same msgids), so they need no new translations. */
  const GOptionEntry entries[]
      = { { "headless", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &headless,
            N_ ("Run the hub without a window; control it with hearthctl"), NULL },
          { NULL } };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  hearth_hub_options_add_entries (&options, context);
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
  if (!hearth_hub_options_check (&options))
    return 2;

  return hearth_headless_run (options.data_dir, hearth_hub_options_get_headless_port (&options),
                              !options.no_discovery,
                              hearth_hub_options_get_headless_heartbeat (&options));
}
