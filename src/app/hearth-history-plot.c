/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-history-plot"

#include "config.h"

#include <float.h>
#include <glib/gi18n.h>
#include <math.h>

#include "hearth-history-plot.h"

/*
 * HearthHistoryPlot draws the history of one numeric property of one device.
 *
 * It is a pure drawing widget, so it has no composite template: there are no child widgets to
 * lay out and no strings except the two status messages below, which are translated in C.
 *
 * The data is drawn with cairo through gtk_snapshot_append_cairo(). GTK 4.8 has no
 * GskPathBuilder (it arrived in 4.14), and building an antialiased polyline and a filled band
 * from rectangles and colour nodes would need thousands of nodes for a long series; one cairo
 * node per frame is cheap at plot sizes and renders the same under the GL and cairo renderers.
 * Labels go through gtk_snapshot_append_layout(), so text is rendered by GTK's glyph cache and
 * stays crisp at any scale.
 *
 * The plot binds to a HearthHistory and queries the samples of the visible time range itself,
 * with one extra span on either side, so that panning pages in data as the user moves and only
 * queries again when the view leaves what is loaded.
 */

/* Layout, in pixels. A time label needs about 80 px ("Mar 15", "12:30:45"); value labels are
 * one line of text and need a little air between them. */
#define MIN_TIME_TICK_SPACING 96
#define MIN_VALUE_TICK_SPACING 40
#define LABEL_GAP 6
#define RIGHT_MARGIN 12
#define LINE_WIDTH 2.0
#define POINT_RADIUS 3.5
#define BAND_ALPHA 0.3
#define GRID_ALPHA 0.12
#define LABEL_ALPHA 0.7
/* Where more points fall into the plot than there are pairs of pixel columns, the points of each
 * two-pixel column are merged into one with their minimum, maximum and mean: the line stays
 * readable and the band shows the spread the merged points had. */
#define DENSE_BIN_WIDTH 2.0

/* A drag only becomes a pan after this many pixels, and only if it is mostly horizontal, so that
 * a vertical swipe still scrolls a page that holds the plot. */
#define DRAG_CLAIM_DISTANCE 8.0
#define SCROLL_ZOOM_BASE 1.2
#define SCROLL_PAN_FRACTION 0.1

/* History keeps per-minute buckets, so neighbouring points can be a minute apart without the
 * series being interrupted; a longer silence than this (or three times the usual spacing, if
 * that is longer) is drawn as a gap in the line. */
#define MIN_GAP_US (150 * G_USEC_PER_SEC)

#define DEFAULT_HOME_SPAN_US ((gint64)3600 * G_USEC_PER_SEC)
/* Keeps the range far away from integer overflow when the plot adds a span on either side. */
#define LATEST_TIME_US (G_MAXINT64 / 8)

enum
{
  PROP_0,
  PROP_HISTORY,
  PROP_DEVICE_ID,
  PROP_PROPERTY_NAME,
  PROP_UNIT,
  PROP_VISIBLE_START,
  PROP_VISIBLE_END,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One drawn position: a point, or the points of one pixel column merged. */
typedef struct
{
  double x;
  double value;
  double min;
  double max;
  gboolean starts_segment;
} PlotBin;

typedef struct
{
  double x;
  double y;
  double width;
  double height;
} PlotArea;

struct _HearthHistoryPlot
{
  GtkWidget parent_instance;

  /* Owned */
  HearthHistory *history;
  char *device_id;
  char *property_name;
  char *unit;
  gint64 visible_start;
  gint64 visible_end;
  gint64 home_start;
  gint64 home_end;
  gboolean has_home_range;
  GArray *points;
  gint64 loaded_start;
  gint64 loaded_end;
  gboolean is_loaded;
  gint64 gap_threshold_us;
  char *load_error;

  /* Gesture state: the range when a drag or pinch began, where the pinch is anchored, and the
   * plot area of the last frame, which converts pixels to time. */
  gint64 gesture_start;
  gint64 gesture_end;
  double zoom_anchor_fraction;
  gboolean is_zooming;
  gboolean is_dragging;
  double pointer_x;
  PlotArea last_area;
};

G_DEFINE_FINAL_TYPE (HearthHistoryPlot, hearth_history_plot, GTK_TYPE_WIDGET)

/* Data */

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 left = *(const gint64 *)a;
  gint64 right = *(const gint64 *)b;

  return left < right ? -1 : left > right;
}

static gint64
compute_gap_threshold (GArray *points)
{
  g_autoptr (GArray) spacings = NULL;
  gint64 median;

  if (points->len < 3)
    return MIN_GAP_US;

  spacings = g_array_sized_new (FALSE, FALSE, sizeof (gint64), points->len - 1);
  for (guint i = 1; i < points->len; i++)
    {
      gint64 spacing = g_array_index (points, HearthHistoryPoint, i).time_us
                       - g_array_index (points, HearthHistoryPoint, i - 1).time_us;
      g_array_append_val (spacings, spacing);
    }
  g_array_sort (spacings, compare_gint64);
  median = g_array_index (spacings, gint64, spacings->len / 2);

  return MAX (MIN_GAP_US, median > G_MAXINT64 / 4 ? G_MAXINT64 / 4 : median * 3);
}

static void
hearth_history_plot_clear_data (HearthHistoryPlot *self)
{
  g_clear_pointer (&self->points, g_array_unref);
  g_clear_pointer (&self->load_error, g_free);
  self->is_loaded = FALSE;
  self->loaded_start = 0;
  self->loaded_end = 0;
  self->gap_threshold_us = MIN_GAP_US;
}

/* Loads the visible range plus one span on either side, unless that is already loaded. */
static void
hearth_history_plot_ensure_loaded (HearthHistoryPlot *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) points = NULL;
  gint64 span = self->visible_end - self->visible_start;
  gint64 from;
  gint64 to;

  if (self->history == NULL || self->device_id == NULL || self->property_name == NULL)
    return;
  if (self->is_loaded && self->visible_start >= self->loaded_start
      && self->visible_end <= self->loaded_end)
    return;

  from = MAX (0, self->visible_start - span);
  to = MIN (LATEST_TIME_US, self->visible_end + span);
  points = hearth_history_query_samples (self->history, self->device_id, self->property_name, from,
                                         to, &error);

  hearth_history_plot_clear_data (self);
  self->is_loaded = TRUE;
  self->loaded_start = from;
  self->loaded_end = to;
  if (points == NULL)
    {
      /* The history database reports its own problems to the application; the plot only says
       * that it has nothing to show and why. */
      g_debug ("Could not read the history of %s.%s: %s", self->device_id, self->property_name,
               error->message);
      self->load_error = g_strdup (error->message);
      return;
    }

  self->gap_threshold_us = compute_gap_threshold (points);
  self->points = g_steal_pointer (&points);
}

/* Mapping */

static double
time_to_x (HearthHistoryPlot *self, const PlotArea *area, gint64 time_us)
{
  double span = (double)(self->visible_end - self->visible_start);

  return area->x + (double)(time_us - self->visible_start) / span * area->width;
}

/* Halves keep the arithmetic finite for any pair of finite doubles, even ±DBL_MAX. */
static double
value_to_y (const PlotArea *area, double min, double max, double value)
{
  double fraction = (value / 2 - min / 2) / (max / 2 - min / 2);

  return area->y + area->height - fraction * area->height;
}

/* Ticks */

static double
nice_step (double raw_step)
{
  double exponent = floor (log10 (raw_step));
  double magnitude = pow (10, exponent);
  double fraction = raw_step / magnitude;

  if (fraction <= 1)
    return magnitude;
  if (fraction <= 2)
    return 2 * magnitude;
  if (fraction <= 5)
    return 5 * magnitude;
  return 10 * magnitude;
}

static void
compute_value_range (GArray *points, guint first, guint last, double *min_out, double *max_out,
                     gboolean *has_values)
{
  double min = INFINITY;
  double max = -INFINITY;

  for (guint i = first; i < last; i++)
    {
      const HearthHistoryPoint *point = &g_array_index (points, HearthHistoryPoint, i);

      if (isfinite (point->min))
        min = MIN (min, point->min);
      if (isfinite (point->max))
        max = MAX (max, point->max);
      if (isfinite (point->value))
        {
          min = MIN (min, point->value);
          max = MAX (max, point->value);
        }
    }

  *has_values = min <= max;
  if (!*has_values)
    {
      *min_out = 0;
      *max_out = 1;
      return;
    }

  if (min == max)
    {
      /* A constant series sits in the middle of a small range around it. */
      double half = min == 0 ? 1 : fabs (min) * 0.1;

      *min_out = min - half;
      *max_out = max + half;
      if (*min_out == *max_out)
        {
          *min_out = nextafter (min, -INFINITY);
          *max_out = nextafter (max, INFINITY);
        }
      return;
    }

  /* Five per cent of air above and below, computed on halves so that it cannot overflow. */
  {
    double pad = (max / 2 - min / 2) * 0.1;

    *min_out = isfinite (min - pad) ? min - pad : min;
    *max_out = isfinite (max + pad) ? max + pad : max;
  }
}

static char *
format_value (double value, double step)
{
  int decimals;

  if (value == 0)
    return g_strdup ("0");
  if (fabs (value) >= 1e6 || step < 1e-4)
    return g_strdup_printf ("%.3g", value);
  decimals = (int)CLAMP (-floor (log10 (step)), 0, 6);
  return g_strdup_printf ("%.*f", decimals, value);
}

typedef struct
{
  gint64 step_us;
  const char *format;
} TimeStep;

static const TimeStep time_steps[] = {
  { 1 * G_USEC_PER_SEC, "%H:%M:%S" },
  { 2 * G_USEC_PER_SEC, "%H:%M:%S" },
  { 5 * G_USEC_PER_SEC, "%H:%M:%S" },
  { 10 * G_USEC_PER_SEC, "%H:%M:%S" },
  { 15 * G_USEC_PER_SEC, "%H:%M:%S" },
  { 30 * G_USEC_PER_SEC, "%H:%M:%S" },
  { 60 * G_USEC_PER_SEC, "%H:%M" },
  { 120 * G_USEC_PER_SEC, "%H:%M" },
  { 300 * G_USEC_PER_SEC, "%H:%M" },
  { 600 * G_USEC_PER_SEC, "%H:%M" },
  { 900 * G_USEC_PER_SEC, "%H:%M" },
  { 1800 * G_USEC_PER_SEC, "%H:%M" },
  { (gint64)3600 * G_USEC_PER_SEC, "%H:%M" },
  { (gint64)7200 * G_USEC_PER_SEC, "%H:%M" },
  { (gint64)3 * 3600 * G_USEC_PER_SEC, "%H:%M" },
  { (gint64)6 * 3600 * G_USEC_PER_SEC, "%H:%M" },
  { (gint64)12 * 3600 * G_USEC_PER_SEC, "%H:%M" },
  { (gint64)1 * 86400 * G_USEC_PER_SEC, "%b %e" },
  { (gint64)2 * 86400 * G_USEC_PER_SEC, "%b %e" },
  { (gint64)7 * 86400 * G_USEC_PER_SEC, "%b %e" },
  { (gint64)14 * 86400 * G_USEC_PER_SEC, "%b %e" },
  { (gint64)30 * 86400 * G_USEC_PER_SEC, "%b %Y" },
  { (gint64)91 * 86400 * G_USEC_PER_SEC, "%b %Y" },
  { (gint64)182 * 86400 * G_USEC_PER_SEC, "%b %Y" },
  { (gint64)365 * 86400 * G_USEC_PER_SEC, "%Y" },
  { (gint64)730 * 86400 * G_USEC_PER_SEC, "%Y" },
  { (gint64)1826 * 86400 * G_USEC_PER_SEC, "%Y" },
  { (gint64)3652 * 86400 * G_USEC_PER_SEC, "%Y" },
};

static const TimeStep *
choose_time_step (gint64 span_us, double width)
{
  double max_ticks = MAX (1.0, width / MIN_TIME_TICK_SPACING);

  for (guint i = 0; i < G_N_ELEMENTS (time_steps); i++)
    if ((double)span_us / (double)time_steps[i].step_us <= max_ticks)
      return &time_steps[i];
  return &time_steps[G_N_ELEMENTS (time_steps) - 1];
}

static char *
format_time_label (gint64 time_us, const TimeStep *step)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (utc);
  /* Within a day, the tick at midnight names the day instead of "00:00", so a range that
   * crosses midnight says so. */
  if (step->step_us < (gint64)86400 * G_USEC_PER_SEC && g_date_time_get_hour (local) == 0
      && g_date_time_get_minute (local) == 0 && g_date_time_get_second (local) == 0)
    return g_date_time_format (local, "%b %e");
  return g_date_time_format (local, step->format);
}

static gint64
local_offset_us (gint64 time_us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = NULL;

  if (utc == NULL)
    return 0;
  local = g_date_time_to_local (utc);
  return g_date_time_get_utc_offset (local);
}

/* Drawing */

static void
get_colors (GtkWidget *widget, GdkRGBA *foreground, GdkRGBA *accent)
{
  /* GTK 4.10 replaced these with gtk_widget_get_color() and CSS variables; 4.8, the version
   * Hearth must build on, has only these. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  gtk_style_context_get_color (context, foreground);
  if (!gtk_style_context_lookup_color (context, "accent_color", accent))
    *accent = (GdkRGBA){ 0.21, 0.52, 0.89, 1.0 };
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static PangoLayout *
make_layout (HearthHistoryPlot *self, const char *text, int *width, int *height)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);

  pango_layout_get_pixel_size (layout, width, height);
  return layout;
}

static void
append_label (GtkSnapshot *snapshot, PangoLayout *layout, double x, double y, const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float)x, (float)y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
append_centered_message (HearthHistoryPlot *self, GtkSnapshot *snapshot, const PlotArea *area,
                         const char *message, const GdkRGBA *color)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), message);
  int width;
  int height;

  pango_layout_set_width (layout, (int)(MAX (area->width - 24, 1) * PANGO_SCALE));
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_get_pixel_size (layout, &width, &height);
  append_label (snapshot, layout, area->x + (area->width - width) / 2,
                area->y + (area->height - height) / 2, color);
}

/* Merges the visible points into drawn positions: one per point while they are sparse, one per
 * two-pixel column where they are dense. A silence longer than the gap threshold starts a new
 * segment, so the line is not drawn across an outage. */
static GArray *
build_bins (HearthHistoryPlot *self, const PlotArea *area, guint first, guint last)
{
  GArray *bins = g_array_new (FALSE, FALSE, sizeof (PlotBin));
  gboolean dense = (double)(last - first) > area->width / DENSE_BIN_WIDTH;
  gint64 bin_key = G_MININT64;
  gint64 previous_time = G_MININT64;
  double value_sum = 0;
  double weight_sum = 0;
  double x_sum = 0;
  guint n_in_bin = 0;
  PlotBin bin = { 0 };

  for (guint i = first; i <= last; i++)
    {
      const HearthHistoryPoint *point = NULL;
      gint64 key = 0;
      gboolean gap = FALSE;
      double x = 0;

      if (i < last)
        {
          point = &g_array_index (self->points, HearthHistoryPoint, i);
          if (!isfinite (point->value))
            continue;
          x = time_to_x (self, area, point->time_us);
          key = dense ? (gint64)floor ((x - area->x) / DENSE_BIN_WIDTH) : (gint64)i;
          gap = previous_time != G_MININT64
                && point->time_us - previous_time > self->gap_threshold_us;
        }

      if (n_in_bin > 0 && (point == NULL || key != bin_key || gap))
        {
          bin.x = x_sum / n_in_bin;
          bin.value = value_sum / weight_sum;
          g_array_append_val (bins, bin);
          n_in_bin = 0;
        }
      if (point == NULL)
        break;

      if (n_in_bin == 0)
        {
          bin_key = key;
          bin.min = point->value;
          bin.max = point->value;
          bin.starts_segment = bins->len == 0 || gap;
          value_sum = 0;
          weight_sum = 0;
          x_sum = 0;
        }
      {
        double weight = MAX (point->count, 1);

        value_sum += point->value * weight;
        weight_sum += weight;
        x_sum += x;
        n_in_bin++;
        if (isfinite (point->min))
          bin.min = MIN (bin.min, point->min);
        if (isfinite (point->max))
          bin.max = MAX (bin.max, point->max);
      }
      previous_time = point->time_us;
    }

  return bins;
}

static void
draw_segments (cairo_t *cr, GArray *bins, const PlotArea *area, double min, double max,
               const GdkRGBA *accent)
{
  guint start = 0;

  while (start < bins->len)
    {
      guint end = start + 1;

      while (end < bins->len && !g_array_index (bins, PlotBin, end).starts_segment)
        end++;

      /* The band: along the maxima, then back along the minima. Where a point stands for one
       * raw sample its minimum and maximum are its value, so the band has no height there. */
      cairo_set_source_rgba (cr, accent->red, accent->green, accent->blue, BAND_ALPHA);
      if (end - start == 1)
        {
          const PlotBin *bin = &g_array_index (bins, PlotBin, start);
          double top = value_to_y (area, min, max, bin->max);
          double bottom = value_to_y (area, min, max, bin->min);

          if (bottom - top > 0.5)
            {
              cairo_rectangle (cr, bin->x - POINT_RADIUS, top, 2 * POINT_RADIUS, bottom - top);
              cairo_fill (cr);
            }
        }
      else
        {
          for (guint i = start; i < end; i++)
            {
              const PlotBin *bin = &g_array_index (bins, PlotBin, i);

              cairo_line_to (cr, bin->x, value_to_y (area, min, max, bin->max));
            }
          for (guint i = end; i > start; i--)
            {
              const PlotBin *bin = &g_array_index (bins, PlotBin, i - 1);

              cairo_line_to (cr, bin->x, value_to_y (area, min, max, bin->min));
            }
          cairo_close_path (cr);
          cairo_fill (cr);
        }

      /* The line through the values (averages where points were merged); a lone point is a
       * dot, since a line needs two. */
      gdk_cairo_set_source_rgba (cr, accent);
      if (end - start == 1)
        {
          const PlotBin *bin = &g_array_index (bins, PlotBin, start);

          cairo_arc (cr, bin->x, value_to_y (area, min, max, bin->value), POINT_RADIUS, 0,
                     2 * G_PI);
          cairo_fill (cr);
        }
      else
        {
          for (guint i = start; i < end; i++)
            {
              const PlotBin *bin = &g_array_index (bins, PlotBin, i);

              cairo_line_to (cr, bin->x, value_to_y (area, min, max, bin->value));
            }
          cairo_stroke (cr);
        }

      start = end;
    }
}

static void
hearth_history_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr (GPtrArray) value_layouts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GArray) value_ticks = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (PangoLayout) unit_layout = NULL;
  g_autoptr (GArray) bins = NULL;
  GdkRGBA foreground;
  GdkRGBA accent;
  GdkRGBA label_color;
  PlotArea area;
  const TimeStep *time_step;
  gboolean has_values = FALSE;
  double min;
  double max;
  double value_step;
  int label_width = 0;
  int label_height = 0;
  int unit_height = 0;
  int widest_value = 0;
  guint first = 0;
  guint last = 0;
  cairo_t *cr;

  if (width <= 0 || height <= 0 || self->visible_end <= self->visible_start)
    return;

  get_colors (widget, &foreground, &accent);
  label_color = foreground;
  label_color.alpha *= LABEL_ALPHA;

  hearth_history_plot_ensure_loaded (self);

  /* The points that fall into the view, plus one on either side so the line reaches the edges. */
  if (self->points != NULL && self->points->len > 0)
    {
      while (first < self->points->len
             && g_array_index (self->points, HearthHistoryPoint, first).time_us
                    < self->visible_start)
        first++;
      last = first;
      while (last < self->points->len
             && g_array_index (self->points, HearthHistoryPoint, last).time_us <= self->visible_end)
        last++;
      compute_value_range (self->points, first, last, &min, &max, &has_values);
      if (!has_values)
        compute_value_range (self->points, first > 0 ? first - 1 : 0,
                             MIN (last + 1, self->points->len), &min, &max, &has_values);
      if (first > 0)
        first--;
      if (last < self->points->len)
        last++;
    }
  else
    {
      min = 0;
      max = 1;
    }

  /* Measure the labels first: the axes take the room the labels need. */
  {
    g_autoptr (PangoLayout) sample_label
        = make_layout (self, "00:00:00", &label_width, &label_height);
  }
  if (self->unit != NULL && self->unit[0] != '\0')
    {
      int unit_width;

      unit_layout = make_layout (self, self->unit, &unit_width, &unit_height);
      widest_value = unit_width;
    }

  area.y = MAX (unit_height + LABEL_GAP, label_height / 2 + 2);
  area.height = height - area.y - label_height - LABEL_GAP - 2;
  if (area.height < 1)
    area.height = 1;

  value_step = nice_step (
      MAX ((max / 2 - min / 2) * 2 / MAX (1.0, area.height / MIN_VALUE_TICK_SPACING), DBL_MIN));
  if (has_values && isfinite (value_step) && value_step > 0)
    {
      double first_tick = ceil (min / value_step) * value_step;

      for (guint n = 0; n < 64; n++)
        {
          double tick = first_tick + n * value_step;
          double shown = fabs (tick) < value_step / 1e6 ? 0 : tick;
          g_autofree char *text = NULL;
          PangoLayout *layout;
          int text_width;
          int text_height;

          if (tick > max)
            break;
          text = format_value (shown, value_step);
          layout = make_layout (self, text, &text_width, &text_height);
          g_array_append_val (value_ticks, tick);
          g_ptr_array_add (value_layouts, layout);
          widest_value = MAX (widest_value, text_width);
        }
    }

  area.x = widest_value + 2 * LABEL_GAP;
  area.width = MAX (1.0, width - area.x - RIGHT_MARGIN);
  self->last_area = area;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Grid lines for the value ticks and the frame of the plot area. */
  cairo_set_line_width (cr, 1);
  cairo_set_source_rgba (cr, foreground.red, foreground.green, foreground.blue,
                         foreground.alpha * GRID_ALPHA);
  for (guint i = 0; i < value_ticks->len; i++)
    {
      double y = round (value_to_y (&area, min, max, g_array_index (value_ticks, double, i))) + 0.5;

      cairo_move_to (cr, area.x, y);
      cairo_line_to (cr, area.x + area.width, y);
    }
  cairo_rectangle (cr, round (area.x) + 0.5, round (area.y) + 0.5, round (area.width) - 1,
                   round (area.height) - 1);
  cairo_stroke (cr);

  time_step = choose_time_step (self->visible_end - self->visible_start, area.width);
  {
    gint64 offset = local_offset_us (self->visible_start);
    gint64 step = time_step->step_us;
    gint64 local_start = self->visible_start + offset;
    gint64 tick = (local_start / step + (local_start % step > 0)) * step - offset;

    for (guint n = 0; tick <= self->visible_end && n < 100; n++, tick += step)
      {
        double x = round (time_to_x (self, &area, tick)) + 0.5;

        cairo_move_to (cr, x, area.y);
        cairo_line_to (cr, x, area.y + area.height + 4);
      }
    cairo_stroke (cr);
  }

  if (self->points != NULL && last > first)
    {
      cairo_save (cr);
      cairo_rectangle (cr, area.x, area.y - POINT_RADIUS, area.width,
                       area.height + 2 * POINT_RADIUS);
      cairo_clip (cr);
      cairo_set_line_width (cr, LINE_WIDTH);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      bins = build_bins (self, &area, first, last);
      draw_segments (cr, bins, &area, min, max, &accent);
      cairo_restore (cr);
    }
  cairo_destroy (cr);

  /* Labels: the unit above the value axis, values right-aligned beside their grid line, times
   * centred under their tick and kept inside the widget. */
  if (unit_layout != NULL)
    append_label (snapshot, unit_layout, LABEL_GAP, 0, &label_color);
  for (guint i = 0; i < value_layouts->len; i++)
    {
      PangoLayout *layout = g_ptr_array_index (value_layouts, i);
      double y = value_to_y (&area, min, max, g_array_index (value_ticks, double, i));
      int text_width;
      int text_height;

      pango_layout_get_pixel_size (layout, &text_width, &text_height);
      append_label (snapshot, layout, area.x - LABEL_GAP - text_width, y - text_height / 2.0,
                    &label_color);
    }
  {
    gint64 offset = local_offset_us (self->visible_start);
    gint64 step = time_step->step_us;
    gint64 local_start = self->visible_start + offset;
    gint64 tick = (local_start / step + (local_start % step > 0)) * step - offset;

    for (guint n = 0; tick <= self->visible_end && n < 100; n++, tick += step)
      {
        g_autofree char *text = format_time_label (tick, time_step);
        int text_width;
        int text_height;
        g_autoptr (PangoLayout) layout = make_layout (self, text, &text_width, &text_height);
        double x = time_to_x (self, &area, tick) - text_width / 2.0;

        x = CLAMP (x, 0, MAX (0, width - text_width));
        append_label (snapshot, layout, x, area.y + area.height + LABEL_GAP, &label_color);
      }
  }

  if (self->load_error != NULL)
    {
      g_autofree char *message
          = g_strdup_printf (_ ("The history could not be read: %s"), self->load_error);

      append_centered_message (self, snapshot, &area, message, &label_color);
    }
  else if (bins == NULL || bins->len == 0)
    append_centered_message (self, snapshot, &area, _ ("No data in this period"), &label_color);
}

static void
hearth_history_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                             int *minimum, int *natural, int *minimum_baseline,
                             int *natural_baseline)
{
  /* Small enough for an 800×480 panel beside other controls, big enough to read and to hit
   * with a finger. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 480;
    }
  else
    {
      *minimum = 160;
      *natural = 240;
    }
}

/* Gestures */

static double
plot_width (HearthHistoryPlot *self)
{
  if (self->last_area.width > 1)
    return self->last_area.width;
  return MAX (1, gtk_widget_get_width (GTK_WIDGET (self)));
}

static double
x_to_fraction (HearthHistoryPlot *self, double x)
{
  return CLAMP ((x - self->last_area.x) / plot_width (self), 0.0, 1.0);
}

static void
hearth_history_plot_drag_begin (GtkGestureDrag *gesture, double x, double y, gpointer user_data)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (user_data);

  self->is_dragging = FALSE;
  self->gesture_start = self->visible_start;
  self->gesture_end = self->visible_end;
}

static void
hearth_history_plot_drag_update (GtkGestureDrag *gesture, double offset_x, double offset_y,
                                 gpointer user_data)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (user_data);
  double shift;

  if (self->is_zooming)
    return;

  if (!self->is_dragging)
    {
      if (fabs (offset_x) < DRAG_CLAIM_DISTANCE && fabs (offset_y) < DRAG_CLAIM_DISTANCE)
        return;
      if (fabs (offset_y) > fabs (offset_x))
        {
          gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
          return;
        }
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
      self->is_dragging = TRUE;
    }

  /* The data follows the finger: dragging right shows earlier times. */
  shift = -offset_x / plot_width (self) * (double)(self->gesture_end - self->gesture_start);
  hearth_history_plot_set_visible_range (self, self->gesture_start + (gint64)shift,
                                         self->gesture_end + (gint64)shift);
}

static void
hearth_history_plot_drag_end (GtkGestureDrag *gesture, double offset_x, double offset_y,
                              gpointer user_data)
{
  HEARTH_HISTORY_PLOT (user_data)->is_dragging = FALSE;
}

static void
hearth_history_plot_zoom_begin (GtkGesture *gesture, GdkEventSequence *sequence, gpointer user_data)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (user_data);
  double x = 0;
  double y = 0;

  self->is_zooming = TRUE;
  self->gesture_start = self->visible_start;
  self->gesture_end = self->visible_end;
  /* The pinch is anchored between the fingers; without touches to ask (an emulated begin),
   * it zooms around the middle. */
  if (gtk_gesture_is_active (gesture) && gtk_gesture_get_bounding_box_center (gesture, &x, &y))
    self->zoom_anchor_fraction = x_to_fraction (self, x);
  else
    self->zoom_anchor_fraction = 0.5;
}

static void
hearth_history_plot_zoom_scale_changed (GtkGestureZoom *gesture, double scale, gpointer user_data)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (user_data);
  double old_span = (double)(self->gesture_end - self->gesture_start);
  double anchor = self->gesture_start + self->zoom_anchor_fraction * old_span;
  double new_span;

  if (scale <= 0)
    return;
  new_span
      = CLAMP (old_span / scale, HEARTH_HISTORY_PLOT_MIN_SPAN_US, HEARTH_HISTORY_PLOT_MAX_SPAN_US);
  hearth_history_plot_set_visible_range (
      self, (gint64)(anchor - self->zoom_anchor_fraction * new_span),
      (gint64)(anchor + (1 - self->zoom_anchor_fraction) * new_span));
}

static void
hearth_history_plot_zoom_end (GtkGesture *gesture, GdkEventSequence *sequence, gpointer user_data)
{
  HEARTH_HISTORY_PLOT (user_data)->is_zooming = FALSE;
}

static gboolean
hearth_history_plot_scroll (GtkEventControllerScroll *controller, double dx, double dy,
                            gpointer user_data)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (user_data);

  if (dy != 0)
    hearth_history_plot_zoom (self, pow (SCROLL_ZOOM_BASE, -dy),
                              x_to_fraction (self, self->pointer_x));
  if (dx != 0)
    hearth_history_plot_pan (self, dx * SCROLL_PAN_FRACTION);
  return GDK_EVENT_STOP;
}

static void
hearth_history_plot_motion (GtkEventControllerMotion *controller, double x, double y,
                            gpointer user_data)
{
  HEARTH_HISTORY_PLOT (user_data)->pointer_x = x;
}

static void
hearth_history_plot_pressed (GtkGestureClick *gesture, int n_press, double x, double y,
                             gpointer user_data)
{
  if (n_press == 2)
    hearth_history_plot_reset_range (HEARTH_HISTORY_PLOT (user_data));
}

/* GObject */

static void
hearth_history_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (object);

  switch (prop_id)
    {
      case PROP_HISTORY:
        g_value_set_object (value, self->history);
        break;

      case PROP_DEVICE_ID:
        g_value_set_string (value, self->device_id);
        break;

      case PROP_PROPERTY_NAME:
        g_value_set_string (value, self->property_name);
        break;

      case PROP_UNIT:
        g_value_set_string (value, self->unit);
        break;

      case PROP_VISIBLE_START:
        g_value_set_int64 (value, self->visible_start);
        break;

      case PROP_VISIBLE_END:
        g_value_set_int64 (value, self->visible_end);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_history_plot_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (object);

  switch (prop_id)
    {
      case PROP_UNIT:
        hearth_history_plot_set_unit (self, g_value_get_string (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_history_plot_dispose (GObject *object)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (object);

  g_clear_object (&self->history);
  hearth_history_plot_clear_data (self);

  G_OBJECT_CLASS (hearth_history_plot_parent_class)->dispose (object);
}

static void
hearth_history_plot_finalize (GObject *object)
{
  HearthHistoryPlot *self = HEARTH_HISTORY_PLOT (object);

  g_clear_pointer (&self->device_id, g_free);
  g_clear_pointer (&self->property_name, g_free);
  g_clear_pointer (&self->unit, g_free);

  G_OBJECT_CLASS (hearth_history_plot_parent_class)->finalize (object);
}

static void
hearth_history_plot_class_init (HearthHistoryPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_history_plot_get_property;
  object_class->set_property = hearth_history_plot_set_property;
  object_class->dispose = hearth_history_plot_dispose;
  object_class->finalize = hearth_history_plot_finalize;

  widget_class->snapshot = hearth_history_plot_snapshot;
  widget_class->measure = hearth_history_plot_measure;

  /**
   * HearthHistoryPlot:history:
   *
   * The history the samples come from; set with hearth_history_plot_set_source().
   */
  properties[PROP_HISTORY]
      = g_param_spec_object ("history", NULL, NULL, HEARTH_TYPE_HISTORY,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_DEVICE_ID]
      = g_param_spec_string ("device-id", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_PROPERTY_NAME]
      = g_param_spec_string ("property-name", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistoryPlot:unit:
   *
   * The unit of the values as the device describes it (e.g. "°C"), shown above the value axis.
   */
  properties[PROP_UNIT]
      = g_param_spec_string ("unit", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistoryPlot:visible-start:
   *
   * The earliest time shown, in microseconds since the Unix epoch.
   */
  properties[PROP_VISIBLE_START]
      = g_param_spec_int64 ("visible-start", NULL, NULL, 0, G_MAXINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistoryPlot:visible-end:
   *
   * The latest time shown, in microseconds since the Unix epoch.
   */
  properties[PROP_VISIBLE_END]
      = g_param_spec_int64 ("visible-end", NULL, NULL, 0, G_MAXINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "historyplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
hearth_history_plot_init (HearthHistoryPlot *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *zoom = gtk_gesture_zoom_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *scroll
      = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkEventController *motion = gtk_event_controller_motion_new ();
  gint64 now = g_get_real_time ();

  self->gap_threshold_us = MIN_GAP_US;
  self->visible_end = now;
  self->visible_start = now - DEFAULT_HOME_SPAN_US;

  g_signal_connect (drag, "drag-begin", G_CALLBACK (hearth_history_plot_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (hearth_history_plot_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (hearth_history_plot_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  g_signal_connect (zoom, "begin", G_CALLBACK (hearth_history_plot_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (hearth_history_plot_zoom_scale_changed),
                    self);
  g_signal_connect (zoom, "end", G_CALLBACK (hearth_history_plot_zoom_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));
  /* A pinch and a one-finger drag see the same touches; grouping them lets the pinch take over
   * from the drag when a second finger lands instead of both moving the range. */
  gtk_gesture_group (zoom, drag);

  g_signal_connect (click, "pressed", G_CALLBACK (hearth_history_plot_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  g_signal_connect (scroll, "scroll", G_CALLBACK (hearth_history_plot_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  g_signal_connect (motion, "motion", G_CALLBACK (hearth_history_plot_motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("History plot"), -1);
}

/* Public API */

/**
 * hearth_history_plot_new:
 *
 * Returns: (transfer floating): a new plot without a source; it shows "No data" until
 *   hearth_history_plot_set_source() is called
 */
GtkWidget *
hearth_history_plot_new (void)
{
  return g_object_new (HEARTH_TYPE_HISTORY_PLOT, NULL);
}

/**
 * hearth_history_plot_set_source:
 * @history: (nullable): where the samples are kept
 * @device_id: (nullable): the device
 * @property_name: (nullable): the numeric property of that device
 *
 * Binds the plot to one series. The data of the visible range is queried when the plot is
 * drawn; it is queried again when the view moves beyond what was loaded or on
 * hearth_history_plot_refresh().
 */
void
hearth_history_plot_set_source (HearthHistoryPlot *self, HearthHistory *history,
                                const char *device_id, const char *property_name)
{
  gboolean history_changed;
  gboolean device_changed;
  gboolean property_changed;

  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));
  g_return_if_fail (history == NULL || HEARTH_IS_HISTORY (history));

  history_changed = g_set_object (&self->history, history);
  device_changed = g_strcmp0 (self->device_id, device_id) != 0;
  property_changed = g_strcmp0 (self->property_name, property_name) != 0;
  if (device_changed)
    {
      g_free (self->device_id);
      self->device_id = g_strdup (device_id);
    }
  if (property_changed)
    {
      g_free (self->property_name);
      self->property_name = g_strdup (property_name);
    }

  hearth_history_plot_refresh (self);

  if (history_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY]);
  if (device_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);
  if (property_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROPERTY_NAME]);
}

HearthHistory *
hearth_history_plot_get_history (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), NULL);

  return self->history;
}

const char *
hearth_history_plot_get_device_id (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), NULL);

  return self->device_id;
}

const char *
hearth_history_plot_get_property_name (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), NULL);

  return self->property_name;
}

const char *
hearth_history_plot_get_unit (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), NULL);

  return self->unit;
}

void
hearth_history_plot_set_unit (HearthHistoryPlot *self, const char *unit)
{
  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  if (g_strcmp0 (self->unit, unit) == 0)
    return;

  g_free (self->unit);
  self->unit = g_strdup (unit);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNIT]);
}

gint64
hearth_history_plot_get_visible_start (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), 0);

  return self->visible_start;
}

gint64
hearth_history_plot_get_visible_end (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), 0);

  return self->visible_end;
}

/**
 * hearth_history_plot_set_visible_range:
 * @start_us: the earliest time to show
 * @end_us: the latest time to show
 *
 * Shows a time range. A span shorter than %HEARTH_HISTORY_PLOT_MIN_SPAN_US or longer than
 * %HEARTH_HISTORY_PLOT_MAX_SPAN_US is widened or narrowed around its middle; a range before the
 * epoch is moved to start there.
 */
void
hearth_history_plot_set_visible_range (HearthHistoryPlot *self, gint64 start_us, gint64 end_us)
{
  gint64 middle;
  gint64 span;
  gboolean start_changed;
  gboolean end_changed;

  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  start_us = CLAMP (start_us, 0, LATEST_TIME_US);
  end_us = CLAMP (end_us, 0, LATEST_TIME_US);
  if (end_us < start_us)
    {
      gint64 swap = start_us;

      start_us = end_us;
      end_us = swap;
    }

  middle = start_us + (end_us - start_us) / 2;
  span
      = CLAMP (end_us - start_us, HEARTH_HISTORY_PLOT_MIN_SPAN_US, HEARTH_HISTORY_PLOT_MAX_SPAN_US);
  start_us = middle - span / 2;
  end_us = start_us + span;
  if (start_us < 0)
    {
      start_us = 0;
      end_us = span;
    }

  start_changed = start_us != self->visible_start;
  end_changed = end_us != self->visible_end;
  if (!start_changed && !end_changed)
    return;

  self->visible_start = start_us;
  self->visible_end = end_us;
  gtk_widget_queue_draw (GTK_WIDGET (self));

  if (start_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VISIBLE_START]);
  if (end_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VISIBLE_END]);
}

/**
 * hearth_history_plot_set_home_range:
 * @start_us: the earliest time of the home range
 * @end_us: the latest time of the home range
 *
 * Sets the range that a double tap (or hearth_history_plot_reset_range()) returns to, and shows
 * it. Without a home range the plot returns to the hour before the moment of the reset.
 */
void
hearth_history_plot_set_home_range (HearthHistoryPlot *self, gint64 start_us, gint64 end_us)
{
  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  self->home_start = start_us;
  self->home_end = end_us;
  self->has_home_range = TRUE;
  hearth_history_plot_reset_range (self);
}

void
hearth_history_plot_reset_range (HearthHistoryPlot *self)
{
  gint64 now;

  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  if (self->has_home_range)
    {
      hearth_history_plot_set_visible_range (self, self->home_start, self->home_end);
      return;
    }
  now = g_get_real_time ();
  hearth_history_plot_set_visible_range (self, now - DEFAULT_HOME_SPAN_US, now);
}

/**
 * hearth_history_plot_pan:
 * @fraction: how far to move, as a fraction of the visible span; positive shows later times
 */
void
hearth_history_plot_pan (HearthHistoryPlot *self, double fraction)
{
  double shift;

  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  if (!isfinite (fraction))
    return;
  shift = fraction * (double)(self->visible_end - self->visible_start);
  shift = CLAMP (shift, -(double)LATEST_TIME_US, (double)LATEST_TIME_US);
  hearth_history_plot_set_visible_range (self, self->visible_start + (gint64)shift,
                                         self->visible_end + (gint64)shift);
}

/**
 * hearth_history_plot_zoom:
 * @factor: how much to magnify; above 1 zooms in, below 1 zooms out
 * @anchor_fraction: the point that stays in place, as a fraction of the width (0 left, 1 right)
 */
void
hearth_history_plot_zoom (HearthHistoryPlot *self, double factor, double anchor_fraction)
{
  double span;
  double anchor;
  double new_span;

  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  if (!isfinite (factor) || factor <= 0 || !isfinite (anchor_fraction))
    return;
  anchor_fraction = CLAMP (anchor_fraction, 0.0, 1.0);
  span = (double)(self->visible_end - self->visible_start);
  anchor = (double)self->visible_start + anchor_fraction * span;
  new_span
      = CLAMP (span / factor, HEARTH_HISTORY_PLOT_MIN_SPAN_US, HEARTH_HISTORY_PLOT_MAX_SPAN_US);
  hearth_history_plot_set_visible_range (self, (gint64)(anchor - anchor_fraction * new_span),
                                         (gint64)(anchor + (1 - anchor_fraction) * new_span));
}

/**
 * hearth_history_plot_refresh:
 *
 * Drops the loaded samples, so that the next frame queries the history again; call it when new
 * samples of the series were recorded.
 */
void
hearth_history_plot_refresh (HearthHistoryPlot *self)
{
  g_return_if_fail (HEARTH_IS_HISTORY_PLOT (self));

  hearth_history_plot_clear_data (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * hearth_history_plot_get_loaded_start:
 *
 * Returns: the start of the time range whose samples are loaded (0 when nothing is loaded)
 */
gint64
hearth_history_plot_get_loaded_start (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), 0);

  return self->loaded_start;
}

gint64
hearth_history_plot_get_loaded_end (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), 0);

  return self->loaded_end;
}

guint
hearth_history_plot_get_n_loaded_points (HearthHistoryPlot *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY_PLOT (self), 0);

  return self->points != NULL ? self->points->len : 0;
}
