/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hearth-history.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_HISTORY_PLOT (hearth_history_plot_get_type ())

G_DECLARE_FINAL_TYPE (HearthHistoryPlot, hearth_history_plot, HEARTH, HISTORY_PLOT, GtkWidget)

/* The narrowest and the widest time span the plot shows, in microseconds: ten seconds, and
 * about ten years. Zooming stops there, so a pinch can never produce an empty or absurd axis. */
#define HEARTH_HISTORY_PLOT_MIN_SPAN_US (10 * G_USEC_PER_SEC)
#define HEARTH_HISTORY_PLOT_MAX_SPAN_US ((gint64)3650 * 24 * 3600 * G_USEC_PER_SEC)

GtkWidget *hearth_history_plot_new (void);
void hearth_history_plot_set_source (HearthHistoryPlot *self, HearthHistory *history,
                                     const char *device_id, const char *property_name);
HearthHistory *hearth_history_plot_get_history (HearthHistoryPlot *self);
const char *hearth_history_plot_get_device_id (HearthHistoryPlot *self);
const char *hearth_history_plot_get_property_name (HearthHistoryPlot *self);
const char *hearth_history_plot_get_unit (HearthHistoryPlot *self);
void hearth_history_plot_set_unit (HearthHistoryPlot *self, const char *unit);
gint64 hearth_history_plot_get_visible_start (HearthHistoryPlot *self);
gint64 hearth_history_plot_get_visible_end (HearthHistoryPlot *self);
void hearth_history_plot_set_visible_range (HearthHistoryPlot *self, gint64 start_us,
                                            gint64 end_us);
void hearth_history_plot_set_home_range (HearthHistoryPlot *self, gint64 start_us, gint64 end_us);
void hearth_history_plot_reset_range (HearthHistoryPlot *self);
void hearth_history_plot_pan (HearthHistoryPlot *self, double fraction);
void hearth_history_plot_zoom (HearthHistoryPlot *self, double factor, double anchor_fraction);
void hearth_history_plot_refresh (HearthHistoryPlot *self);
gint64 hearth_history_plot_get_loaded_start (HearthHistoryPlot *self);
gint64 hearth_history_plot_get_loaded_end (HearthHistoryPlot *self);
guint hearth_history_plot_get_n_loaded_points (HearthHistoryPlot *self);

G_END_DECLS
