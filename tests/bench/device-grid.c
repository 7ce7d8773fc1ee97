/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-device-grid"

/* The Devices grid with 1,000 devices (issue #4: "time from start to the first frame of the
 * device grid, RSS, and frame times while scrolling the grid, measured with the frame clock"),
 * against a peer: the same GtkGridView over the same 1,000 items with a plain GtkLabel per cell.
 * Prints p50/p99 and the ratios; never fails on timing.
 *
 *   xvfb-run -a -s "-screen 0 1280x800x24" _build/tests/bench/bench-device-grid [N_DEVICES]
 *   meson test -C _build --benchmark device-grid -v     (under a display)
 *   HEARTH_BENCH_TRACE=1      also print one line per late frame (what the frame spent its time on)
 *   HEARTH_BENCH_TRACE=PREFIX also write every frame to PREFIX-peer.tsv and PREFIX-tiles.tsv
 *   HEARTH_BENCH_SCREENSHOT=PREFIX  write the window before and after scrolling to
 *                             PREFIX-SIDE-first.png and PREFIX-SIDE-scrolled.png
 *   HEARTH_BENCH_SIZE=WxH     the window's size (default 1024x600, a 7-inch panel, where the
 *                             Devices page's filter panel is folded; 1280x800 shows it beside
 *                             the grid, with two columns fewer than the peer's)
 *
 * What each figure is:
 * - first frame: from presenting the window to the end of its first frame's paint, and from the
 *   start of the process (GTK's start, the stylesheet, loading the devices, building the page).
 * - frame time: for each frame the frame clock runs while the grid scrolls, the wall-clock time
 *   from the start of the frame (the clock's before-paint phase, right after it takes the
 *   frame's time) to the end of its after-paint phase: the scroll, layout (binding tiles,
 *   measuring), snapshot, rendering and handing the image to the display server. This is the
 *   figure the target (p99 ≤ 16 ms) is read against: a frame that takes longer than one
 *   refresh period makes the clock skip a refresh. Until session 4 it started at the update
 *   phase and ended with the paint phase, which left out GTK's before-paint and after-paint
 *   handlers (short: tens of µs). Input events are handled before the frame, in the clock's
 *   flush-events phase; the bench has none, and the time between frames is printed as "gap".
 * - where the frame's wall time went, from the kernel's per-thread accounting
 *   (/proc/thread-self/schedstat and the CPU clocks): CPU time of our main thread; its run delay
 *   (runnable, but another process had the CPU); and the rest, where the main thread was
 *   blocked: waiting for the X server's reply to a round trip or, on GL, for llvmpipe's
 *   threads. The X server's (Xvfb's) own CPU time and run delay in the frame are read from
 *   /proc/PID/schedstat of the server. "Waiting for a CPU" is the main thread's run delay plus,
 *   at most up to its blocked time, the X server's run delay: time no work was done because the
 *   CPUs were busy elsewhere. On cairo that is other processes (the renderer is the main
 *   thread); on GL the main thread may also wait for a CPU behind llvmpipe's threads, so there
 *   the split is indicative only, and those threads' own run delay is never counted as
 *   waiting. "Frame time without waiting for a CPU" is the frame time minus that; a late
 *   frame is "late by waiting for a CPU" when that is no longer than a refresh period; else
 *   "blocked" when our main thread's and the X server's CPU time together stay within a
 *   refresh (the rest is time nobody we can see ran: the hypervisor's steal, page faults,
 *   waits we do not count), else "late by our work". Both p99s are printed; the headline stays
 *   the whole frame time.
 *   Time the hypervisor steals from the VM while a thread runs is in none of these counters
 *   (the kernel takes it out of the thread's CPU time): it shows as blocked time; the machine's
 *   steal during the run (/proc/stat) is printed for that reason.
 * - frame interval: the frame clock's own frame times, one to the next. The clock paces frames
 *   at the refresh period (16.67 ms on Xvfb), so this never goes below 16.67 ms and its p99 is
 *   a multiple of it; "late" counts the frames that came more than half a period after their
 *   refresh, i.e. the refreshes the user sees skipped.
 * - frame CPU time: CPU time of the whole process during the frame, as a diagnostic only. It is
 *   not a frame time. With GL on llvmpipe it adds up the renderer's worker threads, so it can
 *   exceed the wall time; it leaves out the display server's share and every wait.
 * - RSS: VmRSS of a process that shows only that grid. Each side runs in its own process (this
 *   program starts itself with --side), so neither side profits from the other having warmed
 *   up fonts, glyph caches and shaders.
 *
 * The grid sits in a probe widget that only passes measure, allocate and snapshot on to it and
 * times them, and the list item factory's setup, bind and unbind are timed through an emission
 * hook: those are the per-frame phases printed for late frames.
 *
 * Xvfb has no GPU: its OpenGL is Mesa's llvmpipe (software GL). Like the app, the bench then
 * draws with cairo unless GSK_RENDERER is set (hearth_renderer_choose()); set GSK_RENDERER=gl to
 * measure GTK's GL renderer on llvmpipe anyway. Wall times include waiting for a CPU, so on a
 * shared machine run it with `nice -n -15` and note the load average with every figure.
 * The bench's devices have no proxies, so their switches are insensitive (drawn at half opacity);
 * in the app an online device's switch is sensitive and drawn with a slider shadow instead.
 */

#include <adwaita.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hearth-devices-page.h"
#include "hearth-renderer.h"

#define SCROLL_FRAMES 600
#define MAX_TRACED_THREADS 64

/* One frame of the frame clock. Times are µs; "delay" is time runnable but not running. */
typedef struct
{
  gint64 start;      /* before-paint: the clock begins the frame */
  gint64 update;     /* the update phase begins (before the scroll tick) */
  gint64 layout_end; /* GTK's layout phase is done */
  gint64 paint_end;  /* GTK's paint phase (snapshot, render, hand-over to X) is done */
  gint64 end;        /* GTK's after-paint phase is done */
  gint64 interval;   /* frame clock time since the previous frame's; 0 for the first */
  gint64 gap;        /* from the end of the previous frame to the start of this one */
  gint64 gap_cpu;    /* main-thread CPU in that gap: events and other main-loop work */
  gint64 tick;       /* the scroll tick (setting the adjustment) */
  gint64 measure;    /* measuring the page or grid */
  gint64 allocate;   /* allocating it: the grid places and binds its cells */
  gint64 snapshot;   /* snapshotting it */
  gint64 bind;       /* in the list item factory's bind and unbind handlers */
  gint64 setup;      /* in its setup handler: new cells when the grid's pool grows */
  guint binds, setups;
  gint64 layout_cpu;   /* main thread, update and layout phases */
  gint64 paint_cpu;    /* main thread, paint phase */
  gint64 cpu;          /* main thread, whole frame */
  gint64 process_cpu;  /* all threads */
  gint64 delay;        /* main thread */
  gint64 thread_delay; /* the process's other threads (llvmpipe's on GL) */
  gint64 server_cpu;   /* the X server; -1 unknown */
  gint64 server_delay;
} Frame;

typedef struct
{
  GtkWidget *window;
  GtkScrolledWindow *scroller;
  GtkListItemFactory *factory;
  GdkFrameClock *clock;
  GArray *frames; /* Frame, in order */
  Frame current;
  gboolean in_frame;
  gint64 previous_end;
  gint64 previous_end_cpu;
  gint64 previous_frame_time;
  gint64 hook_start;
  gint64 update_cpu, layout_end_cpu; /* main-thread CPU clock at those points of the frame */
  /* Counters at the start of the current frame. */
  gint64 start_cpu, start_process_cpu, start_delay, start_thread_delay;
  gint64 start_server_cpu, start_server_delay;
  int thread_fds[MAX_TRACED_THREADS]; /* schedstat of the process's other threads */
  guint n_thread_fds;
  int self_fd;   /* /proc/thread-self/schedstat of the main thread */
  int server_fd; /* /proc/PID/schedstat of the X server, -1 if not found */
  gint64 presented_us;
  gint64 first_frame_us;
  gint64 refresh_interval_us;
  guint frames_scrolled;
  gboolean done;
} Run;

static Run *current_run;

/* The window's size (HEARTH_BENCH_SIZE). */
static int window_width = 1024;
static int window_height = 600;

static void
read_window_size (void)
{
  const char *text = g_getenv ("HEARTH_BENCH_SIZE");
  int width, height;
  char end;

  if (text == NULL)
    return;
  if (sscanf (text, "%dx%d%c", &width, &height, &end) != 2 || width < 320 || width > 4096
      || height < 240 || height > 4096)
    {
      g_printerr ("HEARTH_BENCH_SIZE must be WIDTHxHEIGHT, e.g. 1280x800; using %dx%d\n",
                  window_width, window_height);
      return;
    }
  window_width = width;
  window_height = height;
}

static gint64
clock_us (clockid_t id)
{
  struct timespec now;

  clock_gettime (id, &now);
  return (gint64)now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

/* Reads "cpu_ns delay_ns slices" from a schedstat file kept open. */
static gboolean
read_schedstat (int fd, gint64 *cpu_us, gint64 *delay_us)
{
  char text[128];
  ssize_t length;
  unsigned long long cpu_ns, delay_ns;

  if (fd < 0 || (length = pread (fd, text, sizeof text - 1, 0)) <= 0)
    return FALSE;
  text[length] = '\0';
  if (sscanf (text, "%llu %llu", &cpu_ns, &delay_ns) != 2)
    return FALSE;
  *cpu_us = (gint64)(cpu_ns / 1000);
  *delay_us = (gint64)(delay_ns / 1000);
  return TRUE;
}

/* The X server of $DISPLAY, through its lock file (/tmp/.X<n>-lock holds its PID). */
static int
open_server_schedstat (void)
{
  const char *display = g_getenv ("DISPLAY");
  g_autofree char *lock = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *path = NULL;
  int number;

  if (display == NULL || sscanf (display, ":%d", &number) != 1)
    return -1;
  lock = g_strdup_printf ("/tmp/.X%d-lock", number);
  if (!g_file_get_contents (lock, &contents, NULL, NULL))
    return -1;
  path = g_strdup_printf ("/proc/%ld/schedstat", strtol (g_strstrip (contents), NULL, 10));
  return open (path, O_RDONLY | O_CLOEXEC);
}

/* The process's threads but the main one, after the window is up (GL's renderer threads
 * exist by then). */
static void
open_thread_schedstats (Run *run)
{
  DIR *tasks = opendir ("/proc/self/task");
  struct dirent *entry;
  long self = (long)getpid ();

  if (tasks == NULL)
    return;
  while ((entry = readdir (tasks)) != NULL && run->n_thread_fds < MAX_TRACED_THREADS)
    {
      g_autofree char *path = NULL;
      long task = strtol (entry->d_name, NULL, 10);
      int fd;

      if (task <= 0 || task == self)
        continue;
      path = g_strdup_printf ("/proc/self/task/%ld/schedstat", task);
      if ((fd = open (path, O_RDONLY | O_CLOEXEC)) >= 0)
        run->thread_fds[run->n_thread_fds++] = fd;
    }
  closedir (tasks);
}

static gint64
other_threads_delay (Run *run)
{
  gint64 total = 0;

  for (guint i = 0; i < run->n_thread_fds; i++)
    {
      gint64 cpu, delay;

      if (read_schedstat (run->thread_fds[i], &cpu, &delay))
        total += delay;
    }
  return total;
}

static void
read_counters (Run *run, gint64 *cpu, gint64 *process_cpu, gint64 *delay, gint64 *thread_delay,
               gint64 *server_cpu, gint64 *server_delay)
{
  gint64 ignored;

  *cpu = clock_us (CLOCK_THREAD_CPUTIME_ID);
  *process_cpu = clock_us (CLOCK_PROCESS_CPUTIME_ID);
  if (!read_schedstat (run->self_fd, &ignored, delay))
    *delay = 0;
  *thread_delay = other_threads_delay (run);
  if (!read_schedstat (run->server_fd, server_cpu, server_delay))
    *server_cpu = *server_delay = -1;
}

/* The probe: a widget between the window and the page (or the peer's scroller) that only
 * passes measure, allocate and snapshot on and adds up the time they take in each frame. */
#define BENCH_TYPE_PROBE (bench_probe_get_type ())
G_DECLARE_FINAL_TYPE (BenchProbe, bench_probe, BENCH, PROBE, GtkWidget)

struct _BenchProbe
{
  GtkWidget parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchProbe, bench_probe, GTK_TYPE_WIDGET)

static void
add_time (gint64 *field, gint64 since)
{
  if (current_run != NULL && current_run->in_frame)
    *field += g_get_monotonic_time () - since;
}

static void
bench_probe_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                     int *natural, int *minimum_baseline, int *natural_baseline)
{
  gint64 since = g_get_monotonic_time ();

  gtk_widget_measure (gtk_widget_get_first_child (widget), orientation, for_size, minimum, natural,
                      minimum_baseline, natural_baseline);
  if (current_run != NULL)
    add_time (&current_run->current.measure, since);
}

static void
bench_probe_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  gint64 since = g_get_monotonic_time ();

  gtk_widget_allocate (gtk_widget_get_first_child (widget), width, height, baseline, NULL);
  if (current_run != NULL)
    add_time (&current_run->current.allocate, since);
}

static void
bench_probe_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  gint64 since = g_get_monotonic_time ();

  gtk_widget_snapshot_child (widget, gtk_widget_get_first_child (widget), snapshot);
  if (current_run != NULL)
    add_time (&current_run->current.snapshot, since);
}

static void
bench_probe_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (bench_probe_parent_class)->dispose (object);
}

static void
bench_probe_class_init (BenchProbeClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = bench_probe_dispose;
  widget_class->measure = bench_probe_measure;
  widget_class->size_allocate = bench_probe_size_allocate;
  widget_class->snapshot = bench_probe_snapshot;
}

static void
bench_probe_init (BenchProbe *self)
{
}

static GtkWidget *
bench_probe_new (GtkWidget *child)
{
  GtkWidget *probe = g_object_new (BENCH_TYPE_PROBE, NULL);

  gtk_widget_set_parent (child, probe);
  return probe;
}

/* The factory's setup, bind and unbind: an emission hook runs before the handlers (it marks the
 * start), a handler connected after the page's marks the end. */
static gboolean
factory_hook (GSignalInvocationHint *hint, guint n_params, const GValue *params, gpointer data)
{
  Run *run = current_run;

  if (run != NULL && g_value_get_object (&params[0]) == (gpointer)run->factory)
    run->hook_start = g_get_monotonic_time ();
  return TRUE;
}

static void
factory_after_bind (GtkListItemFactory *factory, GtkListItem *item, Run *run)
{
  if (run->in_frame && run->hook_start != 0)
    {
      run->current.bind += g_get_monotonic_time () - run->hook_start;
      run->current.binds++;
    }
  run->hook_start = 0;
}

static void
factory_after_unbind (GtkListItemFactory *factory, GtkListItem *item, Run *run)
{
  if (run->in_frame && run->hook_start != 0)
    run->current.bind += g_get_monotonic_time () - run->hook_start;
  run->hook_start = 0;
}

static void
factory_after_setup (GtkListItemFactory *factory, GtkListItem *item, Run *run)
{
  if (run->in_frame && run->hook_start != 0)
    {
      run->current.setup += g_get_monotonic_time () - run->hook_start;
      run->current.setups++;
    }
  run->hook_start = 0;
}

static void
trace_factory (Run *run, GtkListItemFactory *factory)
{
  static const char *const signals[] = { "setup", "bind", "unbind" };

  run->factory = factory;
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_signal_add_emission_hook (g_signal_lookup (signals[i], GTK_TYPE_SIGNAL_LIST_ITEM_FACTORY), 0,
                                factory_hook, NULL, NULL);
  g_signal_connect_after (factory, "setup", G_CALLBACK (factory_after_setup), run);
  g_signal_connect_after (factory, "bind", G_CALLBACK (factory_after_bind), run);
  g_signal_connect_after (factory, "unbind", G_CALLBACK (factory_after_unbind), run);
}

/* The frame begins with the clock's before-paint phase (the clock has just taken the frame's
 * time). An emission hook runs before GTK's own before-paint handlers, so they count too. */
static gboolean
before_paint_hook (GSignalInvocationHint *hint, guint n_params, const GValue *params, gpointer data)
{
  Run *run = current_run;
  gint64 now, cpu;

  if (run == NULL || g_value_get_object (&params[0]) != (gpointer)run->clock)
    return TRUE;
  now = g_get_monotonic_time ();
  cpu = clock_us (CLOCK_THREAD_CPUTIME_ID);
  memset (&run->current, 0, sizeof run->current);
  run->update_cpu = run->layout_end_cpu = 0;
  run->current.start = now;
  if (run->previous_end != 0)
    {
      run->current.gap = now - run->previous_end;
      run->current.gap_cpu = cpu - run->previous_end_cpu;
    }
  read_counters (run, &run->start_cpu, &run->start_process_cpu, &run->start_delay,
                 &run->start_thread_delay, &run->start_server_cpu, &run->start_server_delay);
  run->in_frame = TRUE;
  return TRUE;
}

static void
on_update (GdkFrameClock *clock, Run *run)
{
  run->current.update = g_get_monotonic_time ();
  run->update_cpu = clock_us (CLOCK_THREAD_CPUTIME_ID);
}

/* Connected after GTK's own handlers (the window is realized first), so these run when GTK's
 * layout and paint of the frame are done. */
static void
on_layout (GdkFrameClock *clock, Run *run)
{
  run->current.layout_end = g_get_monotonic_time ();
  run->layout_end_cpu = clock_us (CLOCK_THREAD_CPUTIME_ID);
  if (run->update_cpu != 0)
    run->current.layout_cpu = run->layout_end_cpu - run->update_cpu;
}

static void
on_paint (GdkFrameClock *clock, Run *run)
{
  run->current.paint_end = g_get_monotonic_time ();
  if (run->layout_end_cpu != 0)
    run->current.paint_cpu = clock_us (CLOCK_THREAD_CPUTIME_ID) - run->layout_end_cpu;
}

static void
on_after_paint (GdkFrameClock *clock, Run *run)
{
  Frame *frame = &run->current;
  gint64 frame_time = gdk_frame_clock_get_frame_time (clock);
  GdkFrameTimings *timings = gdk_frame_clock_get_current_timings (clock);
  gint64 cpu, process_cpu, delay, thread_delay, server_cpu, server_delay;

  if (!run->in_frame)
    return;
  /* A phase the clock skipped (nothing requested it) ends where the one before it ended. */
  if (frame->update == 0)
    frame->update = frame->start;
  if (frame->layout_end == 0)
    frame->layout_end = frame->update;
  if (frame->paint_end == 0)
    frame->paint_end = frame->layout_end;
  read_counters (run, &cpu, &process_cpu, &delay, &thread_delay, &server_cpu, &server_delay);
  frame->end = g_get_monotonic_time ();
  frame->cpu = cpu - run->start_cpu;
  frame->process_cpu = process_cpu - run->start_process_cpu;
  frame->delay = delay - run->start_delay;
  frame->thread_delay = thread_delay - run->start_thread_delay;
  frame->server_cpu = server_cpu >= 0 ? server_cpu - run->start_server_cpu : -1;
  frame->server_delay = server_delay >= 0 ? server_delay - run->start_server_delay : -1;
  if (timings != NULL && gdk_frame_timings_get_refresh_interval (timings) > 0)
    run->refresh_interval_us = gdk_frame_timings_get_refresh_interval (timings);
  if (run->first_frame_us == 0)
    run->first_frame_us = frame->end;
  frame->interval = run->previous_frame_time != 0 ? frame_time - run->previous_frame_time : 0;
  /* Only frames the scroll ran in count: the first frames show the window. */
  if (run->frames_scrolled > 0 && !run->done)
    g_array_append_val (run->frames, *frame);
  run->previous_frame_time = frame_time;
  run->previous_end = frame->end;
  run->previous_end_cpu = cpu;
  run->in_frame = FALSE;
}

/* Scrolls a fixed distance each frame: the whole grid top to bottom and back, about two thirds
 * of a row of tiles per frame, as a fast fling does. */
static gboolean
scroll_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  Run *run = user_data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (run->scroller);
  double range = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  double position = (double)(run->frames_scrolled % SCROLL_FRAMES) / SCROLL_FRAMES;
  gint64 since = g_get_monotonic_time ();

  if (run->frames_scrolled >= SCROLL_FRAMES)
    {
      run->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  position = position < 0.5 ? position * 2 : (1 - position) * 2;
  gtk_adjustment_set_value (adjustment, range * position);
  run->frames_scrolled++;
  add_time (&run->current.tick, since);
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

/* How long the frame waited for a CPU: the main thread's run delay, and the X server's run delay
 * while the main thread was blocked (waiting for its reply), at most that blocked time. The run
 * delay of the process's own other threads (llvmpipe's, on GL) is left out: they mostly wait for
 * each other and for the main thread, which is our work, not other processes'. */
static gint64
frame_cpu_wait (const Frame *frame)
{
  gint64 wall = frame->end - frame->start;
  gint64 blocked = MAX (0, wall - frame->cpu - frame->delay);

  return frame->delay + MIN (blocked, MAX (0, frame->server_delay));
}

/* Renders the window as it is now with its own renderer into a PNG file: the grid's look before
 * and after a change can be compared pixel by pixel (HEARTH_BENCH_SCREENSHOT). */
static void
save_screenshot (Run *run, const char *path)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (run->window);
  int width = gtk_widget_get_width (run->window), height = gtk_widget_get_height (run->window);
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (run->window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_warning ("Cannot write %s", path);
}

static void
run_window (Run *run, GtkWidget *content, const char *side)
{
  const char *screenshot = g_getenv ("HEARTH_BENCH_SCREENSHOT");
  GdkFrameClock *clock;

  run->frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  run->refresh_interval_us = 16667;
  run->self_fd = open ("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  run->server_fd = open_server_schedstat ();
  current_run = run;
  run->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (run->window), window_width, window_height);
  gtk_window_set_child (GTK_WINDOW (run->window), bench_probe_new (content));
  gtk_widget_realize (run->window);
  clock = gtk_widget_get_frame_clock (run->window);
  run->clock = clock;
  g_signal_add_emission_hook (g_signal_lookup ("before-paint", GDK_TYPE_FRAME_CLOCK), 0,
                              before_paint_hook, NULL, NULL);
  g_signal_connect (clock, "update", G_CALLBACK (on_update), run);
  g_signal_connect (clock, "layout", G_CALLBACK (on_layout), run);
  g_signal_connect (clock, "paint", G_CALLBACK (on_paint), run);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), run);
  run->presented_us = g_get_monotonic_time ();
  gtk_window_present (GTK_WINDOW (run->window));
  while (run->first_frame_us == 0)
    g_main_context_iteration (NULL, TRUE);
  if (screenshot != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s-%s-first.png", screenshot, side);

      save_screenshot (run, path);
    }
  run->scroller = find_scroller (content);
  g_assert_nonnull (run->scroller);
  trace_factory (run, gtk_grid_view_get_factory (
                          GTK_GRID_VIEW (gtk_scrolled_window_get_child (run->scroller))));
  open_thread_schedstats (run);
  gtk_widget_add_tick_callback (run->window, scroll_tick, run, NULL);
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (clock, run);
  if (screenshot != NULL)
    {
      /* The middle of the list, where lights and locks show their switches; after the scroll,
       * so every tile on it has been bound to other devices many times. */
      g_autofree char *path = g_strdup_printf ("%s-%s-scrolled.png", screenshot, side);
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (run->scroller);
      gint64 frame = gdk_frame_clock_get_frame_counter (clock);

      gtk_adjustment_set_value (
          adjustment,
          (gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment)) / 2);
      while (gdk_frame_clock_get_frame_counter (clock) < frame + 2)
        g_main_context_iteration (NULL, TRUE);
      save_screenshot (run, path);
    }
}

/* The machine's stolen CPU time (hypervisor steal, all CPUs) so far, from /proc/stat. */
static double
machine_steal_ms (void)
{
  g_autofree char *stat = NULL;
  unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;

  if (!g_file_get_contents ("/proc/stat", &stat, NULL, NULL)
      || sscanf (stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
                 &iowait, &irq, &softirq, &steal)
             != 8)
    return -1;
  return steal * 1000.0 / sysconf (_SC_CLK_TCK);
}

/* The columns of the trace file, in µs (binds and setups are counts); "start" is the
 * monotonic clock's time, to line frames up with a profiler's samples
 * (`perf record -k CLOCK_MONOTONIC`). */
static const char *const trace_columns[]
    = { "start",       "wall",     "interval",     "gap",        "gap_cpu",      "before_paint",
        "layout",      "tick",     "measure",      "allocate",   "paint",        "snapshot",
        "after_paint", "binds",    "bind",         "setups",     "setup",        "cpu",
        "process_cpu", "delay",    "thread_delay", "server_cpu", "server_delay", "cpu_wait",
        "layout_cpu",  "paint_cpu" };

static void
trace_values (const Frame *f, gint64 values[G_N_ELEMENTS (trace_columns)])
{
  const gint64 row[] = { f->start,
                         f->end - f->start,
                         f->interval,
                         f->gap,
                         f->gap_cpu,
                         f->update - f->start,
                         f->layout_end - f->update,
                         f->tick,
                         f->measure,
                         f->allocate,
                         f->paint_end - f->layout_end,
                         f->snapshot,
                         f->end - f->paint_end,
                         f->binds,
                         f->bind,
                         f->setups,
                         f->setup,
                         f->cpu,
                         f->process_cpu,
                         f->delay,
                         f->thread_delay,
                         f->server_cpu,
                         f->server_delay,
                         frame_cpu_wait (f),
                         f->layout_cpu,
                         f->paint_cpu };

  G_STATIC_ASSERT (G_N_ELEMENTS (row) == G_N_ELEMENTS (trace_columns));
  memcpy (values, row, sizeof row);
}

/* Writes every frame to @path, one tab-separated line each. */
static void
write_trace (Run *run, const char *path)
{
  FILE *file = fopen (path, "w");

  if (file == NULL)
    {
      g_warning ("Cannot write %s", path);
      return;
    }
  fputs ("frame", file);
  for (guint column = 0; column < G_N_ELEMENTS (trace_columns); column++)
    fprintf (file, "\t%s", trace_columns[column]);
  fputc ('\n', file);
  for (guint i = 0; i < run->frames->len; i++)
    {
      gint64 values[G_N_ELEMENTS (trace_columns)];

      trace_values (&g_array_index (run->frames, Frame, i), values);
      fprintf (file, "%u", i);
      for (guint column = 0; column < G_N_ELEMENTS (trace_columns); column++)
        fprintf (file, "\t%" G_GINT64_FORMAT, values[column]);
      fputc ('\n', file);
    }
  fclose (file);
}

/* One line per late frame: where its time went. */
static void
print_late_frames (Run *run)
{
  printf ("  late frames (frame time > %.2f ms), times in ms (layout: update and layout phases,"
          " with the scroll tick; blocked: neither running nor runnable):\n"
          "  %5s %6s %6s %6s %5s %7s %5s %9s %9s %6s %8s %5s | %5s %6s %7s %6s %7s %7s %6s %5s\n",
          run->refresh_interval_us / 1000.0, "frame", "wall", "before", "layout", "tick", "measure",
          "alloc", "bind(n)", "setup(n)", "paint", "snapshot", "after", "cpu", "delay", "blocked",
          "X cpu", "X delay", "threads", "gap", "(cpu)");
  for (guint i = 0; i < run->frames->len; i++)
    {
      const Frame *f = &g_array_index (run->frames, Frame, i);
      gint64 wall = f->end - f->start;

      if (wall <= run->refresh_interval_us)
        continue;
      printf ("  %5u %6.2f %6.2f %6.2f %5.2f %7.2f %5.2f %5.2f(%2u) %5.2f(%2u) %6.2f %8.2f %5.2f |"
              " %5.2f %6.2f %7.2f %6.2f %7.2f %7.2f %6.2f %5.2f\n",
              i, wall / 1000.0, (f->update - f->start) / 1000.0,
              (f->layout_end - f->update) / 1000.0, f->tick / 1000.0, f->measure / 1000.0,
              f->allocate / 1000.0, f->bind / 1000.0, MIN (f->binds, 99u), f->setup / 1000.0,
              MIN (f->setups, 99u), (f->paint_end - f->layout_end) / 1000.0, f->snapshot / 1000.0,
              (f->end - f->paint_end) / 1000.0, f->cpu / 1000.0, f->delay / 1000.0,
              MAX (0, wall - f->cpu - f->delay) / 1000.0, f->server_cpu / 1000.0,
              f->server_delay / 1000.0, f->thread_delay / 1000.0, f->gap / 1000.0,
              f->gap_cpu / 1000.0);
    }
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

static double
status_mib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      || (line = strstr (status, field)) == NULL)
    return -1;
  return strtol (line + strlen (field), NULL, 10) / 1024.0;
}

/* The figures of one side. */
typedef struct
{
  double first_frame_ms, frame_p50_ms, frame_p99_ms, work_p99_ms, cpu_p50_ms, cpu_p99_ms;
  double rss_mib;
  guint late_frames, late_by_work, late_by_waiting, late_blocked;
} Result;

/* One side, in a process of its own: builds the devices, shows the grid, scrolls, prints the
 * figures and one "result" line for the parent. */
static int
run_side (const char *side, guint n_devices)
{
  static const char *const profiles[]
      = { "light", "lock", "thermometer", "switch", "motion", "keypad", "kueche" };
  g_autoptr (GListStore) devices = g_list_store_new (HEARTH_TYPE_DEVICE);
  HearthDescription *descriptions[G_N_ELEMENTS (profiles)];
  Run run = { 0 };
  GtkWidget *content;
  gboolean peer = g_str_equal (side, "peer");
  gint64 started_us = g_get_monotonic_time ();
  const char *trace = g_getenv ("HEARTH_BENCH_TRACE");
  g_autoptr (GArray) wall = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) work = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) interval = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) layout = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) paint = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) cpu = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) main_cpu = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) wait = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) server_cpu = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 binds = 0, bind_us = 0, setups = 0;
  double steal_ms, load[3] = { 0 };
  Result result = { 0 };

  gtk_init ();
  adw_init ();
  hearth_renderer_choose (gdk_display_get_default ()); /* what the app does at start-up */
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

  if (peer)
    {
      /* The bare grid with a label per cell. */
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      GtkWidget *grid;

      g_signal_connect (factory, "setup", G_CALLBACK (label_setup), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (label_bind), NULL);
      grid = gtk_grid_view_new (
          GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (devices)))),
          factory);
      /* As many columns as fit the window (1024 / 164 px by default): GtkGridView keeps
       * max-columns × 30
       * cells bound, and the Devices page sets its max-columns from the width in the same way
       * (hearth_devices_page_allocate()). Until session 4 it was 8 on both sides. */
      gtk_grid_view_set_max_columns (GTK_GRID_VIEW (grid), MAX (1, window_width / 164));
      content = gtk_scrolled_window_new ();
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (content), grid);
    }
  else
    /* Hearth: the Devices page (filter and sort models, tiles with badges and switches). */
    content = hearth_devices_page_new (G_LIST_MODEL (devices), NULL, NULL, NULL, NULL, NULL);
  steal_ms = machine_steal_ms ();
  run_window (&run, content, side);
  steal_ms = machine_steal_ms () - steal_ms;
  {
    g_autofree char *loadavg = NULL;

    if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
      sscanf (loadavg, "%lf %lf %lf", &load[0], &load[1], &load[2]);
  }

  for (guint i = 0; i < run.frames->len; i++)
    {
      const Frame *f = &g_array_index (run.frames, Frame, i);
      gint64 frame_wall = f->end - f->start;
      gint64 frame_wait = frame_cpu_wait (f);
      gint64 frame_work = frame_wall - frame_wait;
      gint64 frame_layout = f->layout_end - f->update;
      gint64 frame_paint = f->end - f->layout_end;

      g_array_append_val (wall, frame_wall);
      g_array_append_val (work, frame_work);
      g_array_append_val (wait, frame_wait);
      g_array_append_val (layout, frame_layout);
      g_array_append_val (paint, frame_paint);
      g_array_append_val (cpu, f->process_cpu);
      g_array_append_val (main_cpu, f->cpu);
      if (f->server_cpu >= 0)
        g_array_append_val (server_cpu, f->server_cpu);
      if (i > 0)
        {
          g_array_append_val (interval, f->interval);
          if (f->interval > run.refresh_interval_us * 3 / 2)
            result.late_frames++;
        }
      if (frame_wall > run.refresh_interval_us)
        {
          if (frame_work <= run.refresh_interval_us)
            result.late_by_waiting++;
          /* Neither our main thread's CPU time nor the X server's fills a refresh: the rest of
           * the frame nobody we can see ran (the hypervisor's steal, or waits we do not count). */
          else if (f->cpu + MAX (0, f->server_cpu) <= run.refresh_interval_us)
            result.late_blocked++;
          else
            result.late_by_work++;
        }
      binds += f->binds;
      bind_us += f->bind;
      setups += f->setups;
    }

  printf ("%-22s renderer %s, %u devices, %d×%d, %u scroll frames, load %.2f %.2f %.2f\n",
          peer ? "GtkLabel grid (peer)" : "HearthDevicesPage",
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (run.window))), n_devices,
          window_width, window_height, run.frames->len, load[0], load[1], load[2]);
  result.first_frame_ms = (run.first_frame_us - started_us) / 1000.0;
  /* From presenting the window, and from the start of this process (GTK's start, the stylesheet,
   * loading the 1,000 devices and building the page included). */
  printf ("  first frame %.1f ms after presenting the window, %.1f ms after start\n",
          (run.first_frame_us - run.presented_us) / 1000.0, result.first_frame_ms);
  result.frame_p50_ms = percentile_ms (wall, 0.5);
  result.frame_p99_ms = percentile_ms (wall, 0.99);
  printf ("  frame time     p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms   (whole frame, wall clock)\n",
          result.frame_p50_ms, result.frame_p99_ms, percentile_ms (wall, 1));
  printf ("    of which update+layout p50 %6.2f ms p99 %6.2f ms, paint p50 %6.2f ms p99 %6.2f ms\n",
          percentile_ms (layout, 0.5), percentile_ms (layout, 0.99), percentile_ms (paint, 0.5),
          percentile_ms (paint, 0.99));
  result.work_p99_ms = percentile_ms (work, 0.99);
  printf (
      "  without waiting for a CPU p50 %6.2f ms  p99 %6.2f ms   (waiting p50 %.2f, p99 %.2f ms)\n",
      percentile_ms (work, 0.5), result.work_p99_ms, percentile_ms (wait, 0.5),
      percentile_ms (wait, 0.99));
  printf ("  frames longer than %.2f ms: %u by our work (CPU), %u only by waiting for a CPU, %u "
          "blocked without either\n",
          run.refresh_interval_us / 1000.0, result.late_by_work, result.late_by_waiting,
          result.late_blocked);
  printf ("  frame interval p50 %6.2f ms  p99 %6.2f ms   late %u of %u (refresh %.2f ms)\n",
          percentile_ms (interval, 0.5), percentile_ms (interval, 0.99), result.late_frames,
          interval->len, run.refresh_interval_us / 1000.0);
  result.cpu_p50_ms = percentile_ms (cpu, 0.5);
  result.cpu_p99_ms = percentile_ms (cpu, 0.99);
  printf ("  frame CPU time p50 %6.2f ms  p99 %6.2f ms   (diagnostic, all threads; main thread "
          "p50 %.2f p99 %.2f ms; X server p50 %.2f p99 %.2f ms)\n",
          result.cpu_p50_ms, result.cpu_p99_ms, percentile_ms (main_cpu, 0.5),
          percentile_ms (main_cpu, 0.99), percentile_ms (server_cpu, 0.5),
          percentile_ms (server_cpu, 0.99));
  printf ("  cells bound %" G_GINT64_FORMAT
          " (%.1f µs each), created while scrolling %" G_GINT64_FORMAT
          "; machine steal during the run %.0f ms\n",
          binds, binds > 0 ? (double)bind_us / binds : 0, setups, steal_ms);
  result.rss_mib = status_mib ("VmRSS:");
  printf ("  RSS %.1f MiB (peak %.1f MiB)\n", result.rss_mib, status_mib ("VmHWM:"));
  if (trace != NULL && *trace != '\0')
    {
      print_late_frames (&run);
      if (!g_str_equal (trace, "1"))
        {
          g_autofree char *path = g_strdup_printf ("%s-%s.tsv", trace, side);

          write_trace (&run, path);
        }
    }
  printf ("result %s %.3f %.3f %.3f %.3f %.3f %.3f %.1f %u %u %u %u\n", side, result.first_frame_ms,
          result.frame_p50_ms, result.frame_p99_ms, result.work_p99_ms, result.cpu_p50_ms,
          result.cpu_p99_ms, result.rss_mib, result.late_frames, result.late_by_work,
          result.late_by_waiting, result.late_blocked);
  fflush (stdout);
  return 0;
}

/* Runs one side in a new process of this program and reads its result line. */
static gboolean
spawn_side (const char *self_path, const char *side, guint n_devices, Result *result)
{
  g_autofree char *count = g_strdup_printf ("%u", n_devices);
  const char *argv[] = { self_path, count, "--side", side, NULL };
  g_autofree char *output = NULL;
  g_autoptr (GError) error = NULL;
  const char *line;
  int status;
  char name[16];

  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, &output,
                     NULL, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      fprintf (stderr, "%s side: %s\n", side, error->message);
      return FALSE;
    }
  fputs (output, stdout);
  line = strstr (output, "\nresult ");
  return line != NULL
         && sscanf (line + 1, "result %15s %lf %lf %lf %lf %lf %lf %lf %u %u %u %u", name,
                    &result->first_frame_ms, &result->frame_p50_ms, &result->frame_p99_ms,
                    &result->work_p99_ms, &result->cpu_p50_ms, &result->cpu_p99_ms,
                    &result->rss_mib, &result->late_frames, &result->late_by_work,
                    &result->late_by_waiting, &result->late_blocked)
                == 12;
}

int
main (int argc, char *argv[])
{
  guint n_devices = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 1000;
  g_autofree char *self_path = NULL;
  Result peer, tiles;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("no display: run under xvfb-run\n");
      return 77;
    }
  if (n_devices == 0)
    n_devices = 1000;
  /* Both sides read it: they are this program again, with the same environment. */
  read_window_size ();
  if (argc > 3 && g_str_equal (argv[2], "--side"))
    return run_side (argv[3], n_devices);

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self_path == NULL)
    self_path = g_strdup (argv[0]);
  if (!spawn_side (self_path, "peer", n_devices, &peer)
      || !spawn_side (self_path, "tiles", n_devices, &tiles))
    return 1;
  printf ("ratio Hearth/peer: first frame %.2f, frame time p50 %.2f p99 %.2f, "
          "frame CPU p50 %.2f p99 %.2f, RSS %.2f\n",
          tiles.first_frame_ms / MAX (0.001, peer.first_frame_ms),
          tiles.frame_p50_ms / MAX (0.001, peer.frame_p50_ms),
          tiles.frame_p99_ms / MAX (0.001, peer.frame_p99_ms),
          tiles.cpu_p50_ms / MAX (0.001, peer.cpu_p50_ms),
          tiles.cpu_p99_ms / MAX (0.001, peer.cpu_p99_ms),
          tiles.rss_mib / MAX (0.001, peer.rss_mib));
  printf ("target (issue #4): frame time p99 ≤ 16 ms: %s (%.2f ms, %u late frames; without "
          "waiting for a CPU %.2f ms, %u frames late by our work, %u only by waiting, %u blocked); "
          "first frame ≤ 1 s after start: %s; RSS ≤ 200 MiB: %s\n",
          tiles.frame_p99_ms <= 16 ? "met" : "NOT met", tiles.frame_p99_ms, tiles.late_frames,
          tiles.work_p99_ms, tiles.late_by_work, tiles.late_by_waiting, tiles.late_blocked,
          tiles.first_frame_ms <= 1000 ? "met" : "NOT met",
          tiles.rss_mib <= 200 ? "met" : "NOT met");
  return 0;
}
