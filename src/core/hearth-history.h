/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_HISTORY (hearth_history_get_type ())

G_DECLARE_FINAL_TYPE (HearthHistory, hearth_history, HEARTH, HISTORY, GObject)

#define HEARTH_HISTORY_FILE "history.sqlite"

/**
 * HearthHistoryPoint:
 * @time_us: microseconds since the Unix epoch; for a downsampled point, the start of its minute
 * @value: the sample, or the average of the minute
 * @min: the smallest sample of the minute (@value for a raw sample)
 * @max: the largest sample of the minute (@value for a raw sample)
 * @count: how many samples the point stands for; 1 for a raw sample
 */
typedef struct
{
  gint64 time_us;
  double value;
  double min;
  double max;
  guint count;
} HearthHistoryPoint;

/**
 * HearthHistoryEvent:
 * @id: the row id, increasing with insertion order
 * @time_us: microseconds since the Unix epoch
 * @device_id: the device that sent it
 * @kind: the kind of event, e.g. "event", "property", "online", "trust"
 * @name: the event or property name
 * @data: (nullable): the event's data as JSON text
 */
typedef struct
{
  gint64 id;
  gint64 time_us;
  char *device_id;
  char *kind;
  char *name;
  char *data;
} HearthHistoryEvent;

#define HEARTH_TYPE_HISTORY_EVENT (hearth_history_event_get_type ())

GType hearth_history_event_get_type (void) G_GNUC_CONST;
HearthHistoryEvent *hearth_history_event_copy (const HearthHistoryEvent *event);
void hearth_history_event_free (HearthHistoryEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthHistoryEvent, hearth_history_event_free)

HearthHistory *hearth_history_new (const char *data_dir, GCancellable *cancellable, GError **error);
const char *hearth_history_get_data_dir (HearthHistory *self);
const char *hearth_history_get_moved_aside_path (HearthHistory *self);
guint hearth_history_get_retention_days (HearthHistory *self);
void hearth_history_set_retention_days (HearthHistory *self, guint retention_days);
guint hearth_history_get_raw_hours (HearthHistory *self);
void hearth_history_set_raw_hours (HearthHistory *self, guint raw_hours);
guint hearth_history_get_flush_interval (HearthHistory *self);
void hearth_history_set_flush_interval (HearthHistory *self, guint flush_interval_ms);
guint64 hearth_history_get_n_dropped (HearthHistory *self);
void hearth_history_add_event (HearthHistory *self, gint64 time_us, const char *device_id,
                               const char *kind, const char *name, const char *data_json);
void hearth_history_add_event_double (HearthHistory *self, gint64 time_us, const char *device_id,
                                      const char *kind, const char *name, double value);
void hearth_history_add_event_int (HearthHistory *self, gint64 time_us, const char *device_id,
                                   const char *kind, const char *name, gint64 value);
void hearth_history_add_sample (HearthHistory *self, gint64 time_us, const char *device_id,
                                const char *property, double value);
gboolean hearth_history_flush (HearthHistory *self, GError **error);
GArray *hearth_history_query_samples (HearthHistory *self, const char *device_id,
                                      const char *property, gint64 from_us, gint64 to_us,
                                      GError **error);
GPtrArray *hearth_history_query_events (HearthHistory *self, const char *device_id,
                                        const char *kind, gint64 since_us, guint limit,
                                        GError **error);
GPtrArray *hearth_history_query_events_before (HearthHistory *self, const char *device_id,
                                               const char *kind, gint64 before_time_us,
                                               gint64 before_row_id, guint limit, GError **error);
gboolean hearth_history_run_maintenance (HearthHistory *self, gint64 now_us, GError **error);

G_END_DECLS
