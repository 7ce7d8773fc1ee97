/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-headless"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hearth-headless.h"

#include "hearth-control-server.h"
#include "hearth-fingerprint.h"
#include "hearth-hub.h"
#include "hearth-version.h"

/* Headless mode must never touch GTK: it runs on machines without a display and under service
 * managers that stop it with SIGTERM. It owns the main loop and the hub (HearthHub) with its
 * control socket (HearthControlServer), which hearthctl talks to. */

typedef struct
{
  GMainLoop *loop;
  const char *signal_name;
} HeadlessState;

static gboolean
hearth_headless_on_sigterm (gpointer user_data)
{
  HeadlessState *state = user_data;

  state->signal_name = "SIGTERM";
  g_main_loop_quit (state->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
hearth_headless_on_sigint (gpointer user_data)
{
  HeadlessState *state = user_data;

  state->signal_name = "SIGINT";
  g_main_loop_quit (state->loop);
  return G_SOURCE_CONTINUE;
}

/* A hub talking to 1,000 devices holds more than the default 1,024 descriptors (one
 * connection per device plus their NOTIFY connections), so the soft limit goes up to the hard
 * one (docs/architecture.md). */
static void
raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Could not raise the file descriptor limit");
    }
}

#ifdef __GLIBC__
/* How often freed heap memory is handed back to the system. */
#define HEAP_TRIM_INTERVAL_S 30

/* glibc gives freed memory back to the system only from the top of the heap, but a hub frees
 * in the middle: the TLS state of each connection to a device (closed after 50 s idle, about
 * 15 KiB per device) lies between the long-lived state of the devices' NOTIFY connections.
 * malloc_trim() also releases the whole free pages inside the heap and the threads' arenas;
 * with 300 devices that is 4 MiB of 33 MiB (docs/architecture.md, "Memory"). It walks the free
 * lists only, so it costs about a millisecond with 1,000 devices. */
static gboolean
trim_heap_cb (gpointer user_data)
{
  gint64 started = g_get_monotonic_time ();
  int released = malloc_trim (0);

  g_debug ("malloc_trim: %s in %" G_GINT64_FORMAT " µs",
           released ? "memory released" : "nothing to release", g_get_monotonic_time () - started);
  return G_SOURCE_CONTINUE;
}
#endif

/**
 * hearth_headless_run:
 * @data_dir: (nullable): the data directory; %NULL for the default
 * @port: the event server's port (0 picks a free one)
 * @discovery_enabled: whether to browse mDNS and send multicast probes
 * @heartbeat: the heartbeat interval asked of devices, in seconds
 *
 * Runs the hub without a window until SIGTERM or SIGINT arrives.
 *
 * Returns: the process exit status
 */
int
hearth_headless_run (const char *data_dir, guint16 port, gboolean discovery_enabled,
                     guint heartbeat)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  HeadlessState state = { loop, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHub) hub = NULL;
  g_autoptr (HearthControlServer) control = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *fingerprint = NULL;
  guint sigterm_source, sigint_source;
  guint trim_source = 0;

  raise_file_limit ();

  hub = g_initable_new (HEARTH_TYPE_HUB, NULL, &error, "data-dir", data_dir, "port", (guint)port,
                        "discovery-enabled", discovery_enabled, "heartbeat", heartbeat, NULL);
  if (hub == NULL)
    {
      g_printerr (_ ("hearth: cannot start the hub: %s\n"), error->message);
      return 1;
    }
  control = hearth_control_server_new (hub);
  socket_path = hearth_control_socket_path (hearth_hub_get_data_dir (hub));
  if (!hearth_control_server_listen (control, socket_path, &error))
    {
      g_printerr (_ ("hearth: cannot start the control socket: %s\n"), error->message);
      return 1;
    }

  sigterm_source = g_unix_signal_add (SIGTERM, hearth_headless_on_sigterm, &state);
  sigint_source = g_unix_signal_add (SIGINT, hearth_headless_on_sigint, &state);

  fingerprint = hearth_fingerprint_format_for_display (
      hearth_hub_identity_get_fingerprint (hearth_hub_get_identity (hub)));
  /* Translators: the first %s is a version number, %d a process id. */
  g_print (_ ("hearth %s: running headless (pid %d)\n"), hearth_get_version (), (int)getpid ());
  g_print (_ ("  hub key fingerprint: %s\n"), fingerprint);
  g_print (_ ("  event server port:   %u\n"), hearth_hub_get_port (hub));
  g_print (_ ("  control socket:      %s\n"), socket_path);
  g_print (_ ("  data directory:      %s\n"), hearth_hub_get_data_dir (hub));
  if (hearth_hub_get_discovery_problem (hub) != NULL)
    g_print (_ ("  discovery:           not running: %s\n"),
             hearth_hub_get_discovery_problem (hub));
  else
    g_print (_ ("  discovery:           running (mDNS and multicast probe)\n"));
  g_print (_ ("Use hearthctl to control it; stop it with Ctrl-C or SIGTERM.\n"));
  /* stdout is block-buffered when it is a pipe or a log file; whoever waits for these lines
   * (a service manager, a test, build-aux/dev) must see them now, not at exit. */
  fflush (stdout);

#ifdef __GLIBC__
  trim_source = g_timeout_add_seconds (HEAP_TRIM_INTERVAL_S, trim_heap_cb, NULL);
#endif

  g_main_loop_run (loop);

  g_clear_handle_id (&trim_source, g_source_remove);
  g_source_remove (sigterm_source);
  g_source_remove (sigint_source);
  hearth_control_server_stop (control);
  hearth_hub_stop (hub);
  /* Translators: %s is a signal name such as SIGTERM. */
  g_print (_ ("hearth: %s received, stopped cleanly.\n"), state.signal_name);
  return 0;
}

/* The entries point into @options, which must outlive @context's parsing. */
void
hearth_hub_options_add_entries (HearthHubOptions *options, GOptionContext *context)
{
  const GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &options->data_dir,
      N_ ("Keep keys, trust decisions and history in DIR (default ~/.local/share/hearth); "
          "one hub per directory"),
      N_ ("DIR") },
    { "port", 0, 0, G_OPTION_ARG_INT, &options->port,
      N_ ("The event server's TCP port (default: 8443 with --headless, else the event-port "
          "setting; 0 picks a free one)"),
      N_ ("N") },
    { "heartbeat", 0, 0, G_OPTION_ARG_INT, &options->heartbeat,
      N_ ("The heartbeat interval asked of devices, 1 to 60 s (default 15); a device is offline "
          "after 2.5 missed intervals"),
      N_ ("SECONDS") },
    { "no-discovery", 0, 0, G_OPTION_ARG_NONE, &options->no_discovery,
      N_ ("Do not browse mDNS or send multicast probes (devices are then added by address)"),
      NULL },
    { NULL }
  };

  /* g_option_context_add_main_entries() copies the entries, so a local array is enough. */
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/* Prints what is wrong and returns FALSE for a value out of range (exit status 2). */
gboolean
hearth_hub_options_check (const HearthHubOptions *options)
{
  if (options->port != -1 && (options->port < 0 || options->port > 65535))
    {
      g_printerr (_ ("hearth: --port must be from 0 to 65535, not %d\n"), options->port);
      return FALSE;
    }
  if (options->heartbeat != 0 && (options->heartbeat < 1 || options->heartbeat > 60))
    {
      g_printerr (_ ("hearth: --heartbeat must be from 1 to 60 seconds, not %d\n"),
                  options->heartbeat);
      return FALSE;
    }
  return TRUE;
}

guint16
hearth_hub_options_get_headless_port (const HearthHubOptions *options)
{
  return options->port == -1 ? HEARTH_HUB_DEFAULT_PORT : (guint16)options->port;
}

guint
hearth_hub_options_get_headless_heartbeat (const HearthHubOptions *options)
{
  return options->heartbeat == 0 ? HEARTH_HUB_DEFAULT_HEARTBEAT : (guint)options->heartbeat;
}

void
hearth_hub_options_clear (HearthHubOptions *options)
{
  g_clear_pointer (&options->data_dir, g_free);
}
