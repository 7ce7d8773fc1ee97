/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearthctl"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "hearth-version.h"

/* hearthctl is the scripting front of the hub. It links only the GTK-free core, so it runs on
 * machines without a display. Its commands need a running hub to talk to, which does not exist
 * yet; until then it says so instead of pretending. */

int
main (int argc, char *argv[])
{
  gboolean show_version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = { { "version", 0, 0, G_OPTION_ARG_NONE, &show_version,
                                     N_ ("Print the version and exit"), NULL },
                                   { NULL } };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_ ("[COMMAND…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _ ("Control a running Hearth hub from scripts and terminals."));
  g_option_context_set_description (
      context, _ ("No commands exist yet. Listing devices, pairing, and reading and writing "
                  "properties will come with the hub core, which hearthctl will talk to."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hearthctl: %s\n", error->message);
      return 2;
    }

  if (show_version)
    {
      g_print ("hearthctl %s\n", hearth_get_version ());
      return 0;
    }

  if (argc > 1)
    g_printerr (_ ("hearthctl: unknown command “%s”: this version has no commands yet\n"), argv[1]);
  else
    g_printerr (_ ("hearthctl: no command given; see “hearthctl --help”\n"));
  return 2;
}
