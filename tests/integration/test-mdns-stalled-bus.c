/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The mDNS browser must not freeze the GLib main loop when the system bus stalls
 * (src/core/hearth-mdns-browser.c). The "bus" here is a real UNIX socket that accepts
 * connections (the kernel completes them from the listen backlog) and never answers a byte,
 * named by DBUS_SYSTEM_BUS_ADDRESS. A main loop timer that ticks every 50 ms must keep ticking
 * on time while the browser tries to reach that bus, and the browser must say why mDNS is not
 * running. Before the asynchronous bus check, avahi_client_new() blocked here for 25 s. */

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-mdns-browser.h"

#define TICK_MS 50
#define RUN_MS 4500
/* A generous bound for a loaded CI machine; the blocking call took 25 000 ms. */
#define MAX_GAP_MS 1000

typedef struct
{
  GMainLoop *loop;
  gint64 last_tick_us;
  gint64 longest_gap_us;
  guint ticks;
} Ticker;

static gboolean
tick_cb (gpointer user_data)
{
  Ticker *ticker = user_data;
  gint64 now = g_get_monotonic_time ();

  ticker->longest_gap_us = MAX (ticker->longest_gap_us, now - ticker->last_tick_us);
  ticker->last_tick_us = now;
  ticker->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_stalled_bus (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-stalled-bus-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bus", NULL);
  g_autofree char *address = g_strdup_printf ("unix:path=%s", path);
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthMdnsBrowser) browser = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Ticker ticker = { 0 };
  gint64 started;
  guint tick_source;

  /* Listening but never accepting: connect() succeeds, every read waits for ever. */
  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                           &error);
  g_assert_no_error (error);
  socket_address = g_unix_socket_address_new (path);
  g_socket_bind (listener, socket_address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (listener, 16);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);

  ticker.loop = loop;
  ticker.last_tick_us = g_get_monotonic_time ();
  tick_source = g_timeout_add (TICK_MS, tick_cb, &ticker);

  browser = hearth_mdns_browser_new ();
  started = g_get_monotonic_time ();
  hearth_mdns_browser_start (browser);
  g_test_message ("hearth_mdns_browser_start() took %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_cmpint ((g_get_monotonic_time () - started) / 1000, <, MAX_GAP_MS);

  g_timeout_add (RUN_MS, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (tick_source);

  g_test_message ("%u ticks, longest gap %" G_GINT64_FORMAT " ms; state %d, last error: %s",
                  ticker.ticks, ticker.longest_gap_us / 1000,
                  hearth_mdns_browser_get_state (browser),
                  hearth_mdns_browser_get_last_error (browser));
  g_assert_cmpint (ticker.longest_gap_us / 1000, <, MAX_GAP_MS);
  g_assert_cmpuint (ticker.ticks, >, (RUN_MS / TICK_MS) / 2);
  g_assert_cmpint (hearth_mdns_browser_get_state (browser), ==, HEARTH_MDNS_STATE_CONNECTING);
  g_assert_nonnull (hearth_mdns_browser_get_last_error (browser));
  g_assert_nonnull (strstr (hearth_mdns_browser_get_last_error (browser), "system bus"));

  g_clear_object (&browser);
  g_socket_close (listener, NULL);
  g_unlink (path);
  g_rmdir (dir);
}

/* Browsers dropped at once, and after a moment, while their Avahi thread is busy with the
 * stalled bus: dispose must return within its deadline (2 s) every time, and nothing may crash
 * when the thread finishes after the browser is gone. */
static void
test_dispose_while_stalled (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-stalled-bus-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bus", NULL);
  g_autofree char *address = g_strdup_printf ("unix:path=%s", path);
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GError) error = NULL;
  gint64 longest_us = 0;

  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                           &error);
  g_assert_no_error (error);
  socket_address = g_unix_socket_address_new (path);
  g_socket_bind (listener, socket_address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (listener, 64);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);

  for (guint round = 0; round < 20; round++)
    {
      HearthMdnsBrowser *browser = hearth_mdns_browser_new ();
      gint64 started;

      hearth_mdns_browser_start (browser);
      /* Half the rounds let the thread get into the bus check first. */
      if (round % 2 == 1)
        g_usleep (20 * 1000);
      started = g_get_monotonic_time ();
      g_object_unref (browser);
      longest_us = MAX (longest_us, g_get_monotonic_time () - started);
      /* Events the thread posted before it stopped are dropped here, not delivered. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_test_message ("longest dispose: %" G_GINT64_FORMAT " ms", longest_us / 1000);
  g_assert_cmpint (longest_us / 1000, <, 2500);

  g_socket_close (listener, NULL);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mdns-browser/stalled-bus", test_stalled_bus);
  g_test_add_func ("/mdns-browser/dispose-while-stalled", test_dispose_while_stalled);
  return g_test_run ();
}
