/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-device-grid"

/* The Devices grid with 1,000 devices: time from presenting the window to its first frame, and
 * the frame clock's view of scrolling through the whole grid (the work of each frame, from its
 * update phase to the end of its paint, and the interval between frames), against a peer in the
 * same run: the same GtkGridView over the same 1,000 items with a plain GtkLabel per cell. Prints
 * p50/p99 and the ratios; never fails on timing. Each frame's work is split into layout
 * (scrolling, binding tiles, measuring) and paint (snapshot and rendering), and its CPU time is
 * given too: on a busy machine the wall times include waiting for a CPU, the CPU time does not.
 *
 *   xvfb-run -a _build/tests/bench/bench-device-grid [N_DEVICES]
 *
 * Xvfb has no GPU: GTK picks its GL renderer on Mesa's llvmpipe (software GL); set
 * GSK_RENDERER=cairo for the cairo renderer. On a shared machine `nice -n -15` keeps other
 * processes from dominating the wall times.
 */

#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hearth-devices-page.h"

#define SCROLL_FRAMES 600

typedef struct
{
  GtkWidget *window;
  GtkScrolledWindow *scroller;
  GArray *work_us;     /* gint64: update → after-paint of each frame */
  GArray *interval_us; /* gint64: between successive frame times */
  GArray *layout_us;   /* gint64: update → end of layout (scrolling, binding, measuring) */
  GArray *paint_us;    /* gint64: end of layout → end of paint (snapshot and rendering) */
  gint64 layout_end_us;
  GArray *cpu_us; /* gint64: CPU time of the whole process (renderer threads too) per frame */
  gint64 phase_start_cpu_us;
  gint64 presented_us;
  gint64 first_frame_us;
  gint64 phase_start_us;
  gint64 last_frame_time;
  guint frames;
  gboolean done;
} Run;

/* CPU time is what the frame costs whatever else the machine runs; the frame clock's wall
 * times also include waiting for the CPU when other processes compete for it. */
static gint64
process_cpu_us (void)
{
  struct timespec now;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);
  return (gint64)now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

static void
on_update (GdkFrameClock *clock, Run *run)
{
  run->phase_start_us = g_get_monotonic_time ();
  run->phase_start_cpu_us = process_cpu_us ();
}

/* Connected after GTK's own handlers (the window is realized first), so these run when GTK's
 * layout and paint of the frame are done. */
static void
on_layout (GdkFrameClock *clock, Run *run)
{
  run->layout_end_us = g_get_monotonic_time ();
}

static void
on_paint (GdkFrameClock *clock, Run *run)
{
  gint64 now = g_get_monotonic_time ();

  if (run->phase_start_us != 0 && run->layout_end_us != 0 && run->frames > 0)
    {
      gint64 layout = run->layout_end_us - run->phase_start_us;
      gint64 paint = now - run->layout_end_us;

      g_array_append_val (run->layout_us, layout);
      g_array_append_val (run->paint_us, paint);
    }
  run->layout_end_us = 0;
}

static void
on_after_paint (GdkFrameClock *clock, Run *run)
{
  gint64 now = g_get_monotonic_time ();
  gint64 frame_time = gdk_frame_clock_get_frame_time (clock);

  if (run->first_frame_us == 0)
    run->first_frame_us = now;
  if (run->phase_start_us != 0 && run->frames > 0)
    {
      gint64 work = now - run->phase_start_us;

      gint64 cpu = process_cpu_us () - run->phase_start_cpu_us;

      g_array_append_val (run->work_us, work);
      g_array_append_val (run->cpu_us, cpu);
    }
  if (run->last_frame_time != 0 && run->frames > 0)
    {
      gint64 interval = frame_time - run->last_frame_time;

      g_array_append_val (run->interval_us, interval);
    }
  run->last_frame_time = frame_time;
  run->phase_start_us = 0;
}

/* Scrolls a fixed distance each frame: the whole grid top to bottom and back. */
static gboolean
scroll_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  Run *run = user_data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (run->scroller);
  double range = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  double position = (double)(run->frames % SCROLL_FRAMES) / SCROLL_FRAMES;

  if (run->frames >= SCROLL_FRAMES)
    {
      run->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  position = position < 0.5 ? position * 2 : (1 - position) * 2;
  gtk_adjustment_set_value (adjustment, range * position);
  run->frames++;
  return G_SOURCE_CONTINUE;
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return (x > y) - (x < y);
}

static double
percentile_ms (GArray *values, double fraction)
{
  guint index;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_gint64);
  index = (guint)(fraction * (values->len - 1) + 0.5);
  return g_array_index (values, gint64, index) / 1000.0;
}

static GtkScrolledWindow *
find_scroller (GtkWidget *widget)
{
  if (GTK_IS_SCROLLED_WINDOW (widget)
      && GTK_IS_GRID_VIEW (gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (widget))))
    return GTK_SCROLLED_WINDOW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkScrolledWindow *found = find_scroller (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
run_window (Run *run, GtkWidget *content)
{
  GdkFrameClock *clock;

  run->work_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->interval_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->layout_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->cpu_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->paint_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  run->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (run->window), 1024, 600);
  gtk_window_set_child (GTK_WINDOW (run->window), content);
  gtk_widget_realize (run->window);
  clock = gtk_widget_get_frame_clock (run->window);
  g_signal_connect (clock, "update", G_CALLBACK (on_update), run);
  g_signal_connect (clock, "layout", G_CALLBACK (on_layout), run);
  g_signal_connect (clock, "paint", G_CALLBACK (on_paint), run);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), run);
  run->presented_us = g_get_monotonic_time ();
  gtk_window_present (GTK_WINDOW (run->window));
  while (run->first_frame_us == 0)
    g_main_context_iteration (NULL, TRUE);
  run->scroller = find_scroller (content);
  g_assert_nonnull (run->scroller);
  gtk_widget_add_tick_callback (run->window, scroll_tick, run, NULL);
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (clock, run);
}

static void
print_run (const char *name, Run *run)
{
  printf ("%-22s first frame %7.1f ms   frame work p50 %6.2f ms p99 %6.2f ms   interval p50 "
          "%6.2f ms p99 %6.2f ms (%u frames)\n",
          name, (run->first_frame_us - run->presented_us) / 1000.0,
          percentile_ms (run->work_us, 0.5), percentile_ms (run->work_us, 0.99),
          percentile_ms (run->interval_us, 0.5), percentile_ms (run->interval_us, 0.99),
          run->work_us->len);
  printf ("%-22s   of which layout p50 %6.2f ms p99 %6.2f ms   paint p50 %6.2f ms p99 %6.2f ms\n",
          "", percentile_ms (run->layout_us, 0.5), percentile_ms (run->layout_us, 0.99),
          percentile_ms (run->paint_us, 0.5), percentile_ms (run->paint_us, 0.99));
  printf ("%-22s   frame CPU time p50 %6.2f ms p99 %6.2f ms\n", "",
          percentile_ms (run->cpu_us, 0.5), percentile_ms (run->cpu_us, 0.99));
}

static void
label_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (label, 164, 96);
  gtk_list_item_set_child (item, label);
}

static void
label_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  HearthDevice *device = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), hearth_device_get_name (device));
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

int
main (int argc, char *argv[])
{
  static const char *const profiles[]
      = { "light", "lock", "thermometer", "switch", "motion", "keypad", "kueche" };
  guint n_devices = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  g_autoptr (GListStore) devices = g_list_store_new (HEARTH_TYPE_DEVICE);
  HearthDescription *descriptions[G_N_ELEMENTS (profiles)];
  Run peer = { 0 }, tiles = { 0 };
  GtkListItemFactory *factory;
  GtkWidget *grid;
  GtkWidget *scroller;
  GtkWidget *page;
  long peer_rss_kib;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("no display: run under xvfb-run\n");
      return 77;
    }
  gtk_init ();
  adw_init ();
  /* AdwApplication loads the application's style.css; the benchmark has no application, and
   * without the stylesheet the tiles would be measured with styles the app never shows. */
  {
    g_autoptr (GtkCssProvider) provider = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (provider, "/org/hearth/Hearth/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autofree char *path
          = g_build_filename (HEARTH_SOURCE_DIR, "tests", "data", "protocol", "descriptions", NULL);
      g_autofree char *file = g_strdup_printf ("%s/%s.json", path, profiles[i]);
      g_autofree char *data = NULL;
      gsize length;
      g_autoptr (GError) error = NULL;

      if (!g_file_get_contents (file, &data, &length, &error)
          || (descriptions[i] = hearth_description_parse (data, length, &error)) == NULL)
        g_error ("%s", error->message);
    }
  for (guint i = 0; i < n_devices; i++)
    {
      g_autofree char *id = g_strdup_printf ("sim-%016x", i);
      g_autofree char *name = g_strdup_printf ("%s %u", profiles[i % G_N_ELEMENTS (profiles)], i);
      g_autoptr (HearthDevice) device = hearth_device_new (id);

      hearth_device_set_name (device, name);
      hearth_device_set_description (device, descriptions[i % G_N_ELEMENTS (profiles)]);
      hearth_device_set_state (device, i % 5 == 0 ? HEARTH_DEVICE_STATE_OFFLINE
                                                  : HEARTH_DEVICE_STATE_ONLINE);
      g_list_store_append (devices, device);
    }

  /* Peer: the bare grid with a label per cell. */
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (label_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (label_bind), NULL);
  grid = gtk_grid_view_new (
      GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (devices)))), factory);
  gtk_grid_view_set_max_columns (GTK_GRID_VIEW (grid), 8);
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), grid);
  run_window (&peer, scroller);
  peer_rss_kib = rss_kib ();

  /* Hearth: the Devices page (filter and sort models, tiles with badges and switches). */
  page = hearth_devices_page_new (G_LIST_MODEL (devices), NULL, NULL, NULL, NULL, NULL);
  run_window (&tiles, page);

  printf ("%u devices, 1024×600, %d scroll frames, renderer %s\n", n_devices, SCROLL_FRAMES,
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (tiles.window))));
  print_run ("GtkLabel grid (peer)", &peer);
  print_run ("HearthDevicesPage", &tiles);
  printf ("ratio Hearth/peer: first frame %.2f, frame work p50 %.2f p99 %.2f\n",
          (double)(tiles.first_frame_us - tiles.presented_us)
              / MAX (1, peer.first_frame_us - peer.presented_us),
          percentile_ms (tiles.work_us, 0.5) / MAX (0.001, percentile_ms (peer.work_us, 0.5)),
          percentile_ms (tiles.work_us, 0.99) / MAX (0.001, percentile_ms (peer.work_us, 0.99)));
  printf ("ratio Hearth/peer: frame CPU time p50 %.2f p99 %.2f\n",
          percentile_ms (tiles.cpu_us, 0.5) / MAX (0.001, percentile_ms (peer.cpu_us, 0.5)),
          percentile_ms (tiles.cpu_us, 0.99) / MAX (0.001, percentile_ms (peer.cpu_us, 0.99)));
  /* Both windows stay open: the second figure is the whole process with the Devices page. */
  printf ("RSS after the peer: %.1f MiB; after both runs: %.1f MiB\n", peer_rss_kib / 1024.0,
          rss_kib () / 1024.0);
  return 0;
}
