/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <unistd.h>

#include "hearth-application.h"
#include "hearth-headless.h"
#include "hearth-version.h"

/* The GTK-free `hearth-headless` program: next to this executable when it runs from the build
 * tree (or from a relocated installation that keeps both together), else in libexecdir. */
static char *
find_headless_program (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  char *program;

  if (self != NULL)
    {
      g_autofree char *directory = g_path_get_dirname (self);

      program = g_build_filename (directory, "hearth-headless", NULL);
      if (g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
        return program;
      g_free (program);
    }
  program = g_build_filename (LIBEXECDIR, "hearth-headless", NULL);
  if (g_file_test (program, G_FILE_TEST_IS_EXECUTABLE))
    return program;
  g_free (program);
  return NULL;
}

/* Replaces this process (same pid, streams and environment) with `hearth-headless` and the
 * already checked options, so the headless hub never has GTK, libadwaita and their libraries
 * mapped: they cost about 7 MiB of resident memory that a hub on a small board wants for its
 * devices (docs/architecture.md, "Memory"). Returns only if that program is missing or cannot
 * be started; the caller then runs the hub in this process, which works the same. */
static void
exec_headless_program (const char *data_dir, guint16 port, gboolean discovery_enabled,
                       guint heartbeat)
{
  g_autofree char *program = find_headless_program ();
  g_autofree char *data_dir_option = NULL;
  g_autofree char *port_option = g_strdup_printf ("--port=%u", (guint)port);
  g_autofree char *heartbeat_option = g_strdup_printf ("--heartbeat=%u", heartbeat);
  g_autoptr (GPtrArray) arguments = g_ptr_array_new ();

  if (program == NULL)
    {
      g_debug ("No hearth-headless program found; running the hub in this process");
      return;
    }
  g_ptr_array_add (arguments, program);
  if (data_dir != NULL)
    {
      /* One argument with "=": a directory named like an option stays a directory. */
      data_dir_option = g_strconcat ("--data-dir=", data_dir, NULL);
      g_ptr_array_add (arguments, data_dir_option);
    }
  g_ptr_array_add (arguments, port_option);
  g_ptr_array_add (arguments, heartbeat_option);
  if (!discovery_enabled)
    g_ptr_array_add (arguments, (gpointer) "--no-discovery");
  g_ptr_array_add (arguments, NULL);

  execv (program, (char **)arguments->pdata);
  g_debug ("Could not start %s (%s); running the hub in this process", program, g_strerror (errno));
}

int
main (int argc, char *argv[])
{
  gboolean headless = FALSE;
  gboolean kiosk = FALSE;
  gboolean show_version = FALSE;
  /* A port of -1 and a heartbeat of 0 mean "not given": the window then uses its settings,
   * --headless the defaults. */
  g_auto (HearthHubOptions) hub_options = HEARTH_HUB_OPTIONS_INIT;
  g_autofree char *screenshot_path = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthApplication) application = NULL;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless,
      N_ ("Run the hub without a window; control it with hearthctl"), NULL },
    { "kiosk", 0, 0, G_OPTION_ARG_NONE, &kiosk,
      N_ ("Run full screen without window controls, as on a wall-mounted touch panel"), NULL },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot_path,
      N_ ("Developer option: render the main window to a PNG file and quit"), N_ ("FILE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version, N_ ("Print the version and exit"), NULL },
    { NULL }
  };
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Options are parsed here rather than by GApplication so that --headless never initialises
   * GTK, which would fail on a machine without a display. */
  context = g_option_context_new (NULL);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (
      context, _ ("Hearth is a local-first hub for the devices in your home, with its own "
                  "touch-friendly frontend. By default it opens a window."));
  g_option_context_set_description (
      context, _ ("With --headless the hub runs without a display and prints its key fingerprint, "
                  "event server port and control socket; hearthctl talks to it. Without "
                  "--data-dir one Hearth window runs per session, and starting hearth again shows "
                  "it; with --data-dir DIR a separate Hearth runs for that directory. Exit "
                  "status: 0 after a clean stop, 1 when the hub cannot start or Hearth already "
                  "runs with other options, 2 for bad options."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  hearth_hub_options_add_entries (&hub_options, context);
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

  if (show_version)
    {
      g_print ("hearth %s\n", hearth_get_version ());
      return 0;
    }

  if (!hearth_hub_options_check (&hub_options))
    return 2;

  if (headless)
    {
      if (kiosk || screenshot_path != NULL)
        {
          g_printerr (_ ("hearth: --headless cannot be combined with --kiosk or --screenshot\n"));
          return 2;
        }
      guint16 headless_port = hearth_hub_options_get_headless_port (&hub_options);
      guint headless_heartbeat = hearth_hub_options_get_headless_heartbeat (&hub_options);

      exec_headless_program (hub_options.data_dir, headless_port, !hub_options.no_discovery,
                             headless_heartbeat);
      return hearth_headless_run (hub_options.data_dir, headless_port, !hub_options.no_discovery,
                                  headless_heartbeat);
    }

  application
      = hearth_application_new_full (kiosk, screenshot_path, hub_options.data_dir, hub_options.port,
                                     (guint)hub_options.heartbeat, !hub_options.no_discovery);

  status = g_application_run (G_APPLICATION (application), argc, argv);
  if (status == 0)
    status = hearth_application_get_exit_status (application);
  return status;
}
