/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "app-test-util.h"
#include "hearth-history-plot.h"

#define DEVICE_ID "thermometer-1"
#define MINUTE_US ((gint64)60 * G_USEC_PER_SEC)

typedef struct
{
  char *data_dir;
  HearthHistory *history;
  GtkWindow *window;
  HearthHistoryPlot *plot;
  gint64 now;
  gint64 start;
} PlotFixture;

/* Three hours of a temperature: the first two hours with ten samples a minute, merged into
 * per-minute buckets by maintenance (so they have a spread), the last hour raw, one a minute. */
static void
fill_history (PlotFixture *fixture)
{
  g_autoptr (GError) error = NULL;

  for (int minute = 0; minute < 180; minute++)
    {
      double base = 20 + 3 * sin (minute / 12.0);

      if (minute < 120)
        for (int i = 0; i < 10; i++)
          hearth_history_add_sample (fixture->history,
                                     fixture->start + minute * MINUTE_US + i * 6 * G_USEC_PER_SEC,
                                     DEVICE_ID, "temperature", base + ((i * 7) % 10 - 4.5) * 0.25);
      else
        hearth_history_add_sample (fixture->history, fixture->start + minute * MINUTE_US, DEVICE_ID,
                                   "temperature", base);
    }
  hearth_history_add_sample (fixture->history, fixture->start + 30 * MINUTE_US, DEVICE_ID, "single",
                             5);
  for (int minute = 0; minute < 60; minute++)
    hearth_history_add_sample (fixture->history, fixture->start + minute * MINUTE_US, DEVICE_ID,
                               "constant", 42);
  hearth_history_add_sample (fixture->history, fixture->start + MINUTE_US, DEVICE_ID, "huge",
                             -1e300);
  hearth_history_add_sample (fixture->history, fixture->start + 2 * MINUTE_US, DEVICE_ID, "huge",
                             1e300);

  g_assert_true (hearth_history_flush (fixture->history, &error));
  g_assert_no_error (error);
  hearth_history_set_raw_hours (fixture->history, 1);
  g_assert_true (hearth_history_run_maintenance (fixture->history, fixture->now, &error));
  g_assert_no_error (error);
}

static void
plot_fixture_set_up (PlotFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->data_dir = app_test_make_data_dir ();
  fixture->history = hearth_history_new (fixture->data_dir, NULL, &error);
  g_assert_no_error (error);
  /* Whole minutes keep the buckets and the raw samples on the same grid. */
  fixture->now = g_get_real_time () / MINUTE_US * MINUTE_US;
  fixture->start = fixture->now - 180 * MINUTE_US;
  fill_history (fixture);

  fixture->window = GTK_WINDOW (g_object_ref_sink (gtk_window_new ()));
  gtk_window_set_default_size (fixture->window, PANEL_WIDTH, 360);
  fixture->plot = HEARTH_HISTORY_PLOT (hearth_history_plot_new ());
  gtk_widget_set_margin_start (GTK_WIDGET (fixture->plot), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (fixture->plot), 12);
  gtk_widget_set_margin_top (GTK_WIDGET (fixture->plot), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (fixture->plot), 12);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->plot));
  hearth_history_plot_set_unit (fixture->plot, "°C");
  hearth_history_plot_set_source (fixture->plot, fixture->history, DEVICE_ID, "temperature");
  hearth_history_plot_set_home_range (fixture->plot, fixture->start, fixture->now);
  gtk_window_present (fixture->window);
  app_test_wait_for (app_test_is_drawn, fixture->plot);
  app_test_settle ();
}

static void
plot_fixture_tear_down (PlotFixture *fixture, gconstpointer user_data)
{
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->window);
  g_clear_object (&fixture->history);
  app_test_remove_data_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

static gboolean
color_matches (const guint8 *pixel, const GdkRGBA *color)
{
  /* Downloaded textures are CAIRO_FORMAT_ARGB32: B, G, R, A in memory on little endian. */
  const double tolerance = 0.07;

  return fabs (pixel[2] / 255.0 - color->red) < tolerance
         && fabs (pixel[1] / 255.0 - color->green) < tolerance
         && fabs (pixel[0] / 255.0 - color->blue) < tolerance;
}

typedef struct
{
  guint line_left;
  guint line_right;
  guint band_left;
  guint band_right;
} PixelCounts;

/* Counts the line's and the band's colour left and right of three quarters of the widget's
 * width: the downsampled hours end at two thirds of the time axis, which starts after the value
 * labels, so the right quarter holds only raw samples. */
static PixelCounts
count_plot_pixels (PlotFixture *fixture, const char *png_name)
{
  g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (fixture->window));
  GtkStyleContext *context;
  graphene_rect_t bounds;
  GdkRGBA accent;
  GdkRGBA background;
  GdkRGBA band;
  PixelCounts counts = { 0 };
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint8 *pixels = g_malloc ((gsize)width * height * 4);
  double split;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  context = gtk_widget_get_style_context (GTK_WIDGET (fixture->plot));
  g_assert_true (gtk_style_context_lookup_color (context, "accent_color", &accent));
  g_assert_true (gtk_style_context_lookup_color (context, "window_bg_color", &background));
  G_GNUC_END_IGNORE_DEPRECATIONS
  band.red = background.red * 0.7 + accent.red * 0.3;
  band.green = background.green * 0.7 + accent.green * 0.3;
  band.blue = background.blue * 0.7 + accent.blue * 0.3;

  if (png_name != NULL)
    app_test_save (texture, png_name);
  gdk_texture_download (texture, pixels, (gsize)width * 4);
  g_assert_true (gtk_widget_compute_bounds (GTK_WIDGET (fixture->plot),
                                            GTK_WIDGET (fixture->window), &bounds));
  split = bounds.origin.x + bounds.size.width * 0.75;

  for (int y = (int)bounds.origin.y; y < bounds.origin.y + bounds.size.height; y++)
    for (int x = (int)bounds.origin.x; x < bounds.origin.x + bounds.size.width; x++)
      {
        const guint8 *pixel = pixels + ((gsize)y * width + x) * 4;

        if (color_matches (pixel, &accent))
          {
            if (x < split)
              counts.line_left++;
            else
              counts.line_right++;
          }
        else if (color_matches (pixel, &band))
          {
            if (x < split)
              counts.band_left++;
            else
              counts.band_right++;
          }
      }
  g_test_message ("line %u|%u band %u|%u", counts.line_left, counts.line_right, counts.band_left,
                  counts.band_right);
  return counts;
}

static void
test_plot_renders_line_and_band (PlotFixture *fixture, gconstpointer user_data)
{
  PixelCounts counts;

  g_assert_cmpuint (hearth_history_plot_get_n_loaded_points (fixture->plot), ==, 120 + 60);
  counts = count_plot_pixels (fixture, "history-plot.png");

  /* The line runs through both parts; the band only where minutes were merged. */
  g_assert_cmpuint (counts.line_left, >, 500);
  g_assert_cmpuint (counts.line_right, >, 200);
  g_assert_cmpuint (counts.band_left, >, 2000);
  g_assert_cmpuint (counts.band_right, <, counts.band_left / 20);
}

static gboolean
range_is (HearthHistoryPlot *plot, gint64 start, gint64 end)
{
  return hearth_history_plot_get_visible_start (plot) == start
         && hearth_history_plot_get_visible_end (plot) == end;
}

static GtkEventController *
find_controller (GtkWidget *widget, GType type)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;
    }
  g_assert_not_reached ();
}

static void
test_plot_pan_and_zoom (PlotFixture *fixture, gconstpointer user_data)
{
  HearthHistoryPlot *plot = fixture->plot;
  GtkWidget *widget = GTK_WIDGET (plot);
  gint64 span = fixture->now - fixture->start;
  GtkEventController *drag = find_controller (widget, GTK_TYPE_GESTURE_DRAG);
  GtkEventController *zoom = find_controller (widget, GTK_TYPE_GESTURE_ZOOM);
  GtkEventController *scroll = find_controller (widget, GTK_TYPE_EVENT_CONTROLLER_SCROLL);
  GtkEventController *click = find_controller (widget, GTK_TYPE_GESTURE_CLICK);
  gint64 loaded_end;
  gint64 start;
  gint64 end;
  gboolean handled = FALSE;

  g_assert_true (range_is (plot, fixture->start, fixture->now));

  /* Public API: pan one span into the past, then zoom in twice around the middle. */
  hearth_history_plot_pan (plot, -1.0);
  g_assert_true (range_is (plot, fixture->start - span, fixture->now - span));
  hearth_history_plot_zoom (plot, 2.0, 0.5);
  g_assert_cmpint (hearth_history_plot_get_visible_end (plot)
                       - hearth_history_plot_get_visible_start (plot),
                   ==, span / 2);
  hearth_history_plot_reset_range (plot);
  g_assert_true (range_is (plot, fixture->start, fixture->now));

  /* A drag to the right by a third of the plot shows earlier times (the data follows the
   * finger); a mostly vertical drag leaves the range alone for the page to scroll. */
  g_signal_emit_by_name (drag, "drag-begin", 300.0, 100.0);
  g_signal_emit_by_name (drag, "drag-update", 200.0, 5.0);
  start = hearth_history_plot_get_visible_start (plot);
  end = hearth_history_plot_get_visible_end (plot);
  g_assert_cmpint (start, <, fixture->start);
  g_assert_cmpint (end - start, ==, span);
  g_signal_emit_by_name (drag, "drag-end", 200.0, 5.0);
  g_signal_emit_by_name (drag, "drag-begin", 300.0, 100.0);
  g_signal_emit_by_name (drag, "drag-update", 2.0, 80.0);
  g_assert_true (range_is (plot, start, end));
  g_signal_emit_by_name (drag, "drag-end", 2.0, 80.0);

  /* Panning far pages in new data: the loaded range follows the view. */
  app_test_settle ();
  loaded_end = hearth_history_plot_get_loaded_end (plot);
  hearth_history_plot_pan (plot, -5.0);
  app_test_settle ();
  g_assert_cmpint (hearth_history_plot_get_loaded_end (plot), <, loaded_end);
  g_assert_cmpint (hearth_history_plot_get_loaded_start (plot), <=,
                   hearth_history_plot_get_visible_start (plot));
  g_assert_cmpint (hearth_history_plot_get_loaded_end (plot), >=,
                   hearth_history_plot_get_visible_end (plot));
  /* Nothing was recorded that long ago. */
  g_assert_cmpuint (hearth_history_plot_get_n_loaded_points (plot), ==, 0);

  /* Double tap returns home. */
  g_signal_emit_by_name (click, "pressed", 2, 100.0, 100.0);
  g_assert_true (range_is (plot, fixture->start, fixture->now));

  /* A pinch spreading the fingers to twice their distance shows half the span. */
  g_signal_emit_by_name (zoom, "begin", NULL);
  g_signal_emit_by_name (zoom, "scale-changed", 2.0);
  g_signal_emit_by_name (zoom, "end", NULL);
  g_assert_cmpint (hearth_history_plot_get_visible_end (plot)
                       - hearth_history_plot_get_visible_start (plot),
                   ==, span / 2);

  /* Scrolling up zooms in, scrolling down zooms out again. */
  hearth_history_plot_reset_range (plot);
  g_signal_emit_by_name (scroll, "scroll", 0.0, -1.0, &handled);
  g_assert_true (handled);
  g_assert_cmpint (hearth_history_plot_get_visible_end (plot)
                       - hearth_history_plot_get_visible_start (plot),
                   <, span);
  g_signal_emit_by_name (scroll, "scroll", 0.0, 1.0, &handled);
  g_assert_cmpint (labs (hearth_history_plot_get_visible_end (plot)
                         - hearth_history_plot_get_visible_start (plot) - span),
                   <, G_USEC_PER_SEC);

  /* Zoom stops at its limits instead of making an empty or absurd axis. */
  hearth_history_plot_zoom (plot, 1e12, 0.5);
  g_assert_cmpint (hearth_history_plot_get_visible_end (plot)
                       - hearth_history_plot_get_visible_start (plot),
                   ==, HEARTH_HISTORY_PLOT_MIN_SPAN_US);
  hearth_history_plot_zoom (plot, 1e-12, 0.5);
  g_assert_cmpint (hearth_history_plot_get_visible_end (plot)
                       - hearth_history_plot_get_visible_start (plot),
                   ==, HEARTH_HISTORY_PLOT_MAX_SPAN_US);
  app_test_settle ();
}

/* Series that break naive plotting: none, one point, a constant, extreme values, a huge span.
 * Each must draw without a warning (fatal in these tests); the single point and the constant
 * must still show the line colour. */
static void
test_plot_edge_cases (PlotFixture *fixture, gconstpointer user_data)
{
  struct
  {
    const char *property;
    gboolean expect_line;
  } cases[] = {
    { "nothing", FALSE },
    { "single", TRUE },
    { "constant", TRUE },
    { "huge", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PixelCounts counts;

      hearth_history_plot_set_source (fixture->plot, fixture->history, DEVICE_ID,
                                      cases[i].property);
      app_test_settle ();
      counts = count_plot_pixels (fixture, NULL);
      g_test_message ("%s: %u line pixels", cases[i].property,
                      counts.line_left + counts.line_right);
      if (cases[i].expect_line)
        g_assert_cmpuint (counts.line_left + counts.line_right, >, 20);
      else
        g_assert_cmpuint (counts.line_left + counts.line_right, ==, 0);
    }

  hearth_history_plot_set_source (fixture->plot, fixture->history, DEVICE_ID, "temperature");
  hearth_history_plot_set_visible_range (fixture->plot, 0, G_MAXINT64);
  app_test_settle ();
  g_assert_cmpint (hearth_history_plot_get_visible_end (fixture->plot)
                       - hearth_history_plot_get_visible_start (fixture->plot),
                   ==, HEARTH_HISTORY_PLOT_MAX_SPAN_US);
  count_plot_pixels (fixture, NULL);
  hearth_history_plot_set_visible_range (fixture->plot, fixture->now, fixture->now);
  app_test_settle ();
  g_assert_cmpint (hearth_history_plot_get_visible_end (fixture->plot)
                       - hearth_history_plot_get_visible_start (fixture->plot),
                   ==, HEARTH_HISTORY_PLOT_MIN_SPAN_US);
  count_plot_pixels (fixture, NULL);
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add ("/app/history-plot/renders-line-and-band", PlotFixture, NULL, plot_fixture_set_up,
              test_plot_renders_line_and_band, plot_fixture_tear_down);
  g_test_add ("/app/history-plot/pan-and-zoom", PlotFixture, NULL, plot_fixture_set_up,
              test_plot_pan_and_zoom, plot_fixture_tear_down);
  g_test_add ("/app/history-plot/edge-cases", PlotFixture, NULL, plot_fixture_set_up,
              test_plot_edge_cases, plot_fixture_tear_down);

  return g_test_run ();
}
