/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-headless"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "hearth-headless.h"

#include "hearth-version.h"

/* Headless mode must never touch GTK: it runs on machines without a display and under service
 * managers that stop it with SIGTERM. It owns the main loop that the hub's core objects will
 * live on once they exist. */

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

/**
 * hearth_headless_run:
 *
 * Runs Hearth without a window until SIGTERM or SIGINT arrives.
 *
 * Returns: the process exit status
 */
int
hearth_headless_run (void)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  HeadlessState state = { loop, NULL };
  guint sigterm_source = g_unix_signal_add (SIGTERM, hearth_headless_on_sigterm, &state);
  guint sigint_source = g_unix_signal_add (SIGINT, hearth_headless_on_sigint, &state);

  /* Translators: the first %s is a version number, %d a process id. */
  g_print (_ ("hearth %s: running headless (pid %d). The hub itself (discovery, pairing, "
              "events, history) is not built yet; this process only waits. Stop it with "
              "Ctrl-C or SIGTERM.\n"),
           hearth_get_version (), (int)getpid ());
  /* stdout is block-buffered when it is a pipe or a log file; whoever waits for this line
   * (a service manager, a test, build-aux/dev) must see it now, not at exit. */
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigterm_source);
  g_source_remove (sigint_source);
  /* Translators: %s is a signal name such as SIGTERM. */
  g_print (_ ("hearth: %s received, stopped cleanly.\n"), state.signal_name);
  return 0;
}
