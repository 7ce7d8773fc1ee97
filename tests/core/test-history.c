/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-history"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core-test-utils.h"
#include "hearth-error.h"
#include "hearth-event.h"
#include "hearth-history.h"

#define MINUTE_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define HOUR_US (60 * MINUTE_US)
#define DAY_US (24 * HOUR_US)

/* A fixed "now" (2024-03-01T12:00:00Z) so that minute boundaries are known. */
#define NOW_US (G_GINT64_CONSTANT (1709294400) * G_USEC_PER_SEC)

typedef struct
{
  char *dir;
  char *path;
  HearthHistory *history;
} Fixture;

static HearthHistory *
open_history (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  HearthHistory *history = hearth_history_new (fixture->dir, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (history);
  return history;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  fixture->dir = core_test_make_temp_dir ();
  fixture->path = g_build_filename (fixture->dir, HEARTH_HISTORY_FILE, NULL);
  fixture->history = open_history (fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->history);
  core_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static void
test_events (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GPtrArray) recent = NULL;
  g_autoptr (GError) error = NULL;
  HearthHistoryEvent *event;
  struct stat st;

  hearth_history_add_event (fixture->history, NOW_US - 3000, "keys", "event", "key",
                            "{\"key\":60,\"state\":\"down\"}");
  hearth_history_add_event (fixture->history, NOW_US - 2000, "keys", "online", "online", NULL);
  hearth_history_add_event (fixture->history, NOW_US - 1000, "lamp", "event", "blink", "{}");
  hearth_history_add_event (fixture->history, NOW_US, "keys", "event", "key",
                            "{\"key\":60,\"state\":\"up\"}");

  /* Queries see rows that are still queued. */
  all = hearth_history_query_events (fixture->history, NULL, NULL, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  event = g_ptr_array_index (all, 0);
  g_assert_cmpint (event->time_us, ==, NOW_US);
  g_assert_cmpstr (event->data, ==, "{\"key\":60,\"state\":\"up\"}");

  keys = hearth_history_query_events (fixture->history, "keys", "event", 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (keys->len, ==, 2);
  event = g_ptr_array_index (keys, 1);
  g_assert_cmpstr (event->device_id, ==, "keys");
  g_assert_cmpstr (event->name, ==, "key");
  g_assert_cmpstr (event->data, ==, "{\"key\":60,\"state\":\"down\"}");

  recent = hearth_history_query_events (fixture->history, NULL, NULL, NOW_US - 2000, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recent->len, ==, 2);
  event = g_ptr_array_index (recent, 1);
  g_assert_cmpstr (event->device_id, ==, "lamp");

  /* Persisted, private, and still there after reopening. */
  g_clear_object (&fixture->history);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  fixture->history = open_history (fixture);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = hearth_history_query_events (fixture->history, NULL, NULL, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  g_assert_null (hearth_history_get_moved_aside_path (fixture->history));
}

/* Pages through @device_id/@kind with hearth_history_query_events_before() and checks that the
 * pages together are exactly the single newest-first query, with no event twice or missing. */
static void
check_paging (HearthHistory *history, const char *device_id, const char *kind, guint page_size)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GError) error = NULL;
  gint64 before_time_us = G_MAXINT64;
  gint64 before_row_id = G_MAXINT64;
  guint seen = 0;

  all = hearth_history_query_events (history, device_id, kind, G_MININT64, G_MAXUINT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, >, page_size);

  for (;;)
    {
      g_autoptr (GPtrArray) page = NULL;

      page = hearth_history_query_events_before (history, device_id, kind, before_time_us,
                                                 before_row_id, page_size, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (page->len, <=, page_size);
      for (guint i = 0; i < page->len; i++)
        {
          HearthHistoryEvent *expected = g_ptr_array_index (all, seen + i);
          HearthHistoryEvent *event = g_ptr_array_index (page, i);

          g_assert_cmpint (event->id, ==, expected->id);
          g_assert_cmpint (event->time_us, ==, expected->time_us);
          g_assert_cmpstr (event->device_id, ==, expected->device_id);
          g_assert_cmpstr (event->kind, ==, expected->kind);
          if (device_id != NULL)
            g_assert_cmpstr (event->device_id, ==, device_id);
          if (kind != NULL)
            g_assert_cmpstr (event->kind, ==, kind);
        }
      seen += page->len;
      if (page->len < page_size)
        break;

      before_time_us = ((HearthHistoryEvent *)g_ptr_array_index (page, page->len - 1))->time_us;
      before_row_id = ((HearthHistoryEvent *)g_ptr_array_index (page, page->len - 1))->id;
    }

  g_assert_cmpuint (seen, ==, all->len);
}

/* Keyset paging: events strictly older than (time, id), newest first, across pages that split
 * runs of events with the same time stamp, for every filter combination. */
static void
test_events_paging (Fixture *fixture, gconstpointer user_data)
{
  static const char *const devices[] = { "keys", "lamp", "thermo" };
  static const char *const kinds[] = { "event", "property", "online" };
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GPtrArray) newer = NULL;
  g_autoptr (GError) error = NULL;
  HearthHistoryEvent *oldest_of_page;
  HearthHistoryEvent *event;

  /* 300 events, five to a microsecond, so pages of 7 often end inside a run of ties; the row id
   * is what orders events of the same time. */
  for (guint i = 0; i < 300; i++)
    hearth_history_add_event (fixture->history, NOW_US + i / 5, devices[i % 3], kinds[(i / 3) % 3],
                              "name", NULL);

  check_paging (fixture->history, NULL, NULL, 7);
  check_paging (fixture->history, "lamp", NULL, 7);
  check_paging (fixture->history, NULL, "property", 7);
  check_paging (fixture->history, "keys", "online", 7);
  check_paging (fixture->history, NULL, NULL, 1);

  /* Strictly older: the bound event itself is not repeated, and an event of the same time with
   * a smaller row id is next. */
  page = hearth_history_query_events_before (fixture->history, NULL, NULL, G_MAXINT64, G_MAXINT64,
                                             3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  oldest_of_page = g_ptr_array_index (page, 2);
  g_assert_cmpint (oldest_of_page->time_us, ==, NOW_US + 59);

  /* Events added after the first page was read do not shift the next page, as an OFFSET would. */
  for (guint i = 0; i < 10; i++)
    hearth_history_add_event (fixture->history, NOW_US + 1000, "lamp", "event", "new", NULL);
  newer = hearth_history_query_events_before (fixture->history, NULL, NULL, oldest_of_page->time_us,
                                              oldest_of_page->id, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (newer->len, ==, 1);
  event = g_ptr_array_index (newer, 0);
  g_assert_cmpint (event->time_us, ==, NOW_US + 59);
  g_assert_cmpint (event->id, ==, oldest_of_page->id - 1);

  /* Nothing is older than the oldest event. */
  g_clear_pointer (&page, g_ptr_array_unref);
  page = hearth_history_query_events_before (fixture->history, NULL, NULL, NOW_US, G_MAXINT64, 10,
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 5);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = hearth_history_query_events_before (fixture->history, NULL, NULL, NOW_US, 1, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);
}

/* A stream far longer than one batch: rows are handed to the writer thread at the queue-length
 * threshold, the main thread waits for it when it falls behind, and every row arrives once, in
 * the order it was added, with nothing dropped. */
static void
test_writer_stream (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHistory) reader = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  const guint n = 60000;

  for (guint i = 0; i < n; i++)
    {
      char data[32];

      g_snprintf (data, sizeof data, "%u", i);
      hearth_history_add_event (fixture->history, NOW_US + i, i % 2 ? "keys" : "lamp", "event",
                                "tick", data);
    }

  /* Another connection sees what the writer thread committed without this one flushing. */
  reader = open_history (fixture);
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;;)
    {
      g_clear_pointer (&events, g_ptr_array_unref);
      events = hearth_history_query_events (reader, NULL, NULL, G_MININT64, G_MAXUINT, &error);
      g_assert_no_error (error);
      if (events->len >= n - 10000 || g_get_monotonic_time () > deadline)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_assert_cmpuint (events->len, >=, n - 10000);

  g_clear_pointer (&events, g_ptr_array_unref);
  events
      = hearth_history_query_events (fixture->history, NULL, NULL, G_MININT64, G_MAXUINT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      HearthHistoryEvent *event = g_ptr_array_index (events, i);
      g_autofree char *expected = g_strdup_printf ("%u", n - 1 - i);

      g_assert_cmpint (event->time_us, ==, NOW_US + n - 1 - i);
      g_assert_cmpstr (event->data, ==, expected);
      g_assert_cmpstr (event->device_id, ==, (n - 1 - i) % 2 ? "keys" : "lamp");
    }
  g_assert_cmpuint (hearth_history_get_n_dropped (fixture->history), ==, 0);
}

typedef struct
{
  HearthHistory *reader;
  guint expected;
} CountCheck;

static gboolean
reader_sees_all (gpointer user_data)
{
  CountCheck *check = user_data;
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;

  points = hearth_history_query_samples (check->reader, "thermo", "temperature", NOW_US,
                                         NOW_US + check->expected, &error);
  g_assert_no_error (error);
  return points->len == check->expected;
}

/* Rows are written by the flush timer, without anyone calling flush, in one transaction: a
 * second connection sees none or all of them, never a part. */
static void
test_batched_writes (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHistory) reader = open_history (fixture);
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;
  CountCheck check = { reader, 5000 };

  hearth_history_set_flush_interval (fixture->history, 20);
  for (guint i = 0; i < 5000; i++)
    hearth_history_add_sample (fixture->history, NOW_US + i, "thermo", "temperature", i);

  points = hearth_history_query_samples (reader, "thermo", "temperature", NOW_US, NOW_US + 5000,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 0);

  core_test_run_until (reader_sees_all, &check, 5000);
}

static void
test_samples_and_downsampling (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GArray) before = NULL;
  g_autoptr (GArray) after = NULL;
  g_autoptr (GArray) other = NULL;
  g_autoptr (GError) error = NULL;
  gint64 old_minute = NOW_US - 30 * HOUR_US;
  HearthHistoryPoint *point;

  hearth_history_set_raw_hours (fixture->history, 24);

  /* Old samples: 60 in one minute (values 0..59) and 3 in the next (values 100, 200, 300). */
  for (guint i = 0; i < 60; i++)
    hearth_history_add_sample (fixture->history, old_minute + i * G_USEC_PER_SEC, "thermo",
                               "temperature", i);
  for (guint i = 0; i < 3; i++)
    hearth_history_add_sample (fixture->history, old_minute + MINUTE_US + i * G_USEC_PER_SEC,
                               "thermo", "temperature", 100.0 * (i + 1));
  /* Recent samples stay raw. */
  hearth_history_add_sample (fixture->history, NOW_US - HOUR_US, "thermo", "temperature", 21.5);
  hearth_history_add_sample (fixture->history, NOW_US - MINUTE_US, "thermo", "temperature", 22.5);
  /* Another property of the same device must not mix in. */
  hearth_history_add_sample (fixture->history, old_minute, "thermo", "humidity", 40);

  before
      = hearth_history_query_samples (fixture->history, "thermo", "temperature", 0, NOW_US, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, ==, 65);

  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_assert_no_error (error);

  after
      = hearth_history_query_samples (fixture->history, "thermo", "temperature", 0, NOW_US, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 4);

  point = &g_array_index (after, HearthHistoryPoint, 0);
  g_assert_cmpint (point->time_us, ==, old_minute);
  g_assert_cmpuint (point->count, ==, 60);
  g_assert_cmpfloat (point->min, ==, 0);
  g_assert_cmpfloat (point->max, ==, 59);
  g_assert_cmpfloat_with_epsilon (point->value, 29.5, 1e-9);

  point = &g_array_index (after, HearthHistoryPoint, 1);
  g_assert_cmpint (point->time_us, ==, old_minute + MINUTE_US);
  g_assert_cmpuint (point->count, ==, 3);
  g_assert_cmpfloat (point->min, ==, 100);
  g_assert_cmpfloat (point->max, ==, 300);
  g_assert_cmpfloat_with_epsilon (point->value, 200, 1e-9);

  point = &g_array_index (after, HearthHistoryPoint, 2);
  g_assert_cmpint (point->time_us, ==, NOW_US - HOUR_US);
  g_assert_cmpuint (point->count, ==, 1);
  g_assert_cmpfloat (point->value, ==, 21.5);
  g_assert_cmpfloat (point->min, ==, 21.5);
  g_assert_cmpfloat (point->max, ==, 21.5);

  /* A later pass merges late samples into an existing bucket instead of duplicating it. */
  hearth_history_add_sample (fixture->history, old_minute + 30 * G_USEC_PER_SEC, "thermo",
                             "temperature", -10);
  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_clear_pointer (&after, g_array_unref);
  after
      = hearth_history_query_samples (fixture->history, "thermo", "temperature", 0, NOW_US, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 4);
  point = &g_array_index (after, HearthHistoryPoint, 0);
  g_assert_cmpuint (point->count, ==, 61);
  g_assert_cmpfloat (point->min, ==, -10);
  g_assert_cmpfloat_with_epsilon (point->value, (1770.0 - 10) / 61, 1e-9);

  other = hearth_history_query_samples (fixture->history, "thermo", "humidity", 0, NOW_US, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (other->len, ==, 1);
  g_assert_cmpuint (g_array_index (other, HearthHistoryPoint, 0).count, ==, 1);
  g_assert_cmpfloat (g_array_index (other, HearthHistoryPoint, 0).value, ==, 40);
}

static void
test_retention (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;

  hearth_history_set_retention_days (fixture->history, 7);
  hearth_history_add_event (fixture->history, NOW_US - 8 * DAY_US, "keys", "event", "old", NULL);
  hearth_history_add_event (fixture->history, NOW_US - 6 * DAY_US, "keys", "event", "kept", NULL);
  hearth_history_add_sample (fixture->history, NOW_US - 8 * DAY_US, "thermo", "t", 1);
  hearth_history_add_sample (fixture->history, NOW_US - 6 * DAY_US, "thermo", "t", 2);
  hearth_history_add_sample (fixture->history, NOW_US, "thermo", "t", 3);

  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_assert_no_error (error);

  events = hearth_history_query_events (fixture->history, NULL, NULL, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 0))->name, ==, "kept");

  /* The 6-day-old sample survives as a downsampled minute, the 8-day-old one is gone. */
  points = hearth_history_query_samples (fixture->history, "thermo", "t", 0, NOW_US, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 2);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 0).value, ==, 2);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 1).value, ==, 3);

  /* Raw samples kept longer than retention (raw-hours beyond retention-days) are still deleted
   * at the retention cutoff, in every series. */
  hearth_history_set_raw_hours (fixture->history, 10 * 24);
  for (guint i = 0; i < 2; i++)
    {
      const char *property = i == 0 ? "t" : "humidity";

      hearth_history_add_sample (fixture->history, NOW_US - 8 * DAY_US, "thermo", property, 10);
      hearth_history_add_sample (fixture->history, NOW_US - 6 * DAY_US + G_USEC_PER_SEC, "thermo",
                                 property, 20);
    }
  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&points, g_array_unref);
      points = hearth_history_query_samples (fixture->history, "thermo", i == 0 ? "t" : "humidity",
                                             0, NOW_US - 5 * DAY_US, &error);
      g_assert_no_error (error);
      /* For "t" the bucket of the first 6-day-old sample comes first. */
      g_assert_cmpuint (points->len, ==, i == 0 ? 2 : 1);
      g_assert_cmpuint (g_array_index (points, HearthHistoryPoint, points->len - 1).count, ==, 1);
      g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, points->len - 1).value, ==, 20);
    }
}

/* Writes garbage over every page but the first, or over the header, and checks that the
 * database is moved aside and a fresh one works. */
static void
corrupt_file (const char *path, gboolean header_too)
{
  g_autofree char *garbage = g_malloc (4096);
  struct stat st;
  int fd;

  for (guint i = 0; i < 4096; i++)
    garbage[i] = (char)g_test_rand_int_range (0, 256);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 4096 * 4);
  fd = open (path, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  for (off_t offset = header_too ? 0 : 4096; offset < st.st_size; offset += 4096)
    g_assert_cmpint (pwrite (fd, garbage, 4096, offset), ==, 4096);
  close (fd);
}

static void
fill_and_close (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 2000; i++)
    {
      hearth_history_add_event (fixture->history, NOW_US + i, "keys", "event", "key",
                                "{\"key\":60,\"state\":\"down\",\"padding\":\"................\"}");
      hearth_history_add_sample (fixture->history, NOW_US + i, "thermo", "t", i);
    }
  g_assert_true (hearth_history_flush (fixture->history, &error));
  g_assert_no_error (error);
  g_clear_object (&fixture->history);
}

static void
check_recovery (Fixture *fixture, gboolean header_too)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  const char *aside;

  fill_and_close (fixture);
  corrupt_file (fixture->path, header_too);

  fixture->history = open_history (fixture);
  aside = hearth_history_get_moved_aside_path (fixture->history);
  g_assert_nonnull (aside);
  g_assert_true (g_str_has_prefix (aside, fixture->path));
  g_assert_nonnull (strstr (aside, ".corrupt-"));
  g_assert_true (g_file_test (aside, G_FILE_TEST_IS_REGULAR));

  /* The fresh database is empty and works. */
  events = hearth_history_query_events (fixture->history, NULL, NULL, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  hearth_history_add_event (fixture->history, NOW_US, "keys", "event", "after", NULL);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = hearth_history_query_events (fixture->history, NULL, NULL, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);

  /* And it is healthy at the next start. */
  g_clear_object (&fixture->history);
  fixture->history = open_history (fixture);
  g_assert_null (hearth_history_get_moved_aside_path (fixture->history));
}

static void
test_corrupt_pages (Fixture *fixture, gconstpointer user_data)
{
  check_recovery (fixture, FALSE);
}

static void
test_corrupt_header (Fixture *fixture, gconstpointer user_data)
{
  check_recovery (fixture, TRUE);
}

/* The schema of version 1 (Hearth before the interned ids), verbatim, to test the migration. */
static const char schema_v1_sql[]
    = "CREATE TABLE events (id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
      "  device_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT);"
      "CREATE INDEX events_by_device ON events (device_id, time_us);"
      "CREATE INDEX events_by_time ON events (time_us);"
      "CREATE INDEX events_by_kind ON events (kind, time_us);"
      "CREATE INDEX events_by_device_kind ON events (device_id, kind, time_us);"
      "CREATE TABLE samples (device_id TEXT NOT NULL, property TEXT NOT NULL,"
      "  time_us INTEGER NOT NULL, value REAL NOT NULL);"
      "CREATE INDEX samples_by_property ON samples (device_id, property, time_us);"
      "CREATE INDEX samples_by_time ON samples (time_us);"
      "CREATE TABLE sample_minutes (device_id TEXT NOT NULL, property TEXT NOT NULL,"
      "  minute_us INTEGER NOT NULL, value_min REAL NOT NULL, value_max REAL NOT NULL,"
      "  value_sum REAL NOT NULL, n INTEGER NOT NULL,"
      "  PRIMARY KEY (device_id, property, minute_us)) WITHOUT ROWID;"
      "CREATE INDEX sample_minutes_by_time ON sample_minutes (minute_us);"
      "PRAGMA user_version=1;";

static void
exec_sql (sqlite3 *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static int
read_user_version (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

/* A database written by the previous schema (text in every row) is migrated in place when it
 * is opened: every event keeps its id, time, texts and data, samples and per-minute buckets
 * keep their values, paging and filters work on the migrated rows, and new rows get ids after
 * the old ones. */
static void
test_migrate_v1 (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) lamp = NULL;
  g_autoptr (GPtrArray) kind = NULL;
  g_autoptr (GPtrArray) page = NULL;
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;
  HearthHistoryEvent *event;
  HearthHistoryPoint *point;
  sqlite3 *db = NULL;
  gint64 old_minute = NOW_US - 30 * HOUR_US;
  gint64 newest_id;

  g_clear_object (&fixture->history);
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);

  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  exec_sql (db, schema_v1_sql);
  /* Ids with gaps (as retention leaves them) must survive as they are. */
  exec_sql (db, "INSERT INTO events (id, time_us, device_id, kind, name, data) VALUES"
                " (3, 1709294400000000, 'keys', 'event', 'key', '{\"key\":60}'),"
                " (7, 1709294400000000, 'lamp', 'property', 'on', 'true'),"
                " (8, 1709294401000000, 'keys', 'online', 'online', NULL),"
                " (12, 1709294402000000, 'lamp', 'property', 'brightness', '40')");
  exec_sql (db, "INSERT INTO samples (device_id, property, time_us, value) VALUES"
                " ('lamp', 'brightness', 1709294402000000, 40),"
                " ('lamp', 'brightness', 1709294403000000, 45),"
                " ('thermo', 'temperature', 1709294403000000, 21.5)");
  exec_sql (db, "INSERT INTO sample_minutes VALUES"
                " ('lamp', 'brightness', 1709186400000000, 10, 30, 60, 3)");
  sqlite3_close (db);

  fixture->history = open_history (fixture);
  g_assert_null (hearth_history_get_moved_aside_path (fixture->history));
  g_assert_cmpint (read_user_version (fixture->path), ==, 5);

  all = hearth_history_query_events (fixture->history, NULL, NULL, G_MININT64, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  event = g_ptr_array_index (all, 0);
  g_assert_cmpint (event->id, ==, 12);
  g_assert_cmpint (event->time_us, ==, NOW_US + 2 * G_USEC_PER_SEC);
  g_assert_cmpstr (event->device_id, ==, "lamp");
  g_assert_cmpstr (event->kind, ==, "property");
  g_assert_cmpstr (event->name, ==, "brightness");
  g_assert_cmpstr (event->data, ==, "40");
  event = g_ptr_array_index (all, 1);
  g_assert_cmpint (event->id, ==, 8);
  g_assert_null (event->data);
  /* Same time: the higher id first. */
  g_assert_cmpint (((HearthHistoryEvent *)g_ptr_array_index (all, 2))->id, ==, 7);
  event = g_ptr_array_index (all, 3);
  g_assert_cmpint (event->id, ==, 3);
  g_assert_cmpstr (event->device_id, ==, "keys");
  g_assert_cmpstr (event->data, ==, "{\"key\":60}");

  lamp = hearth_history_query_events (fixture->history, "lamp", NULL, G_MININT64, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lamp->len, ==, 2);
  kind = hearth_history_query_events (fixture->history, "keys", "online", G_MININT64, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kind->len, ==, 1);
  page = hearth_history_query_events_before (fixture->history, NULL, NULL, NOW_US, 7, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpint (((HearthHistoryEvent *)g_ptr_array_index (page, 0))->id, ==, 3);

  points = hearth_history_query_samples (fixture->history, "lamp", "brightness", 0, G_MAXINT64,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 3);
  point = &g_array_index (points, HearthHistoryPoint, 0);
  g_assert_cmpint (point->time_us, ==, G_GINT64_CONSTANT (1709186400000000));
  g_assert_cmpfloat (point->value, ==, 20);
  g_assert_cmpfloat (point->min, ==, 10);
  g_assert_cmpfloat (point->max, ==, 30);
  g_assert_cmpuint (point->count, ==, 3);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 2).value, ==, 45);
  g_clear_pointer (&points, g_array_unref);
  points = hearth_history_query_samples (fixture->history, "thermo", "temperature", 0, G_MAXINT64,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 1);

  /* New rows continue after the migrated ones, also after reopening, and downsampling merges
   * into a migrated bucket. */
  hearth_history_add_event (fixture->history, NOW_US + 5 * G_USEC_PER_SEC, "keys", "event", "key",
                            NULL);
  hearth_history_add_sample (fixture->history, old_minute + G_USEC_PER_SEC, "lamp", "brightness",
                             50);
  g_clear_object (&fixture->history);
  fixture->history = open_history (fixture);
  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_assert_no_error (error);

  g_clear_pointer (&all, g_ptr_array_unref);
  all = hearth_history_query_events (fixture->history, NULL, NULL, G_MININT64, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 5);
  newest_id = ((HearthHistoryEvent *)g_ptr_array_index (all, 0))->id;
  g_assert_cmpint (newest_id, >, 12);

  g_clear_pointer (&points, g_array_unref);
  points = hearth_history_query_samples (fixture->history, "lamp", "brightness", 0, G_MAXINT64,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 3);
  point = &g_array_index (points, HearthHistoryPoint, 0);
  g_assert_cmpuint (point->count, ==, 4);
  g_assert_cmpfloat (point->max, ==, 50);
}

/* The schema of version 3 (one row per raw sample), verbatim, to test the migrations. */
static const char schema_v3_sql[]
    = "CREATE TABLE IF NOT EXISTS devices ("
      "  id INTEGER PRIMARY KEY,"
      "  device_id TEXT NOT NULL UNIQUE);"
      "CREATE TABLE IF NOT EXISTS names ("
      "  id INTEGER PRIMARY KEY,"
      "  name TEXT NOT NULL UNIQUE);"
      "CREATE TABLE IF NOT EXISTS counters ("
      "  name TEXT PRIMARY KEY,"
      "  next INTEGER NOT NULL) WITHOUT ROWID;"
      "INSERT OR IGNORE INTO counters (name, next) VALUES ('events', 1), ('samples', 1);"
      "CREATE TABLE IF NOT EXISTS events ("
      "  time_us INTEGER NOT NULL,"
      "  id INTEGER NOT NULL,"
      "  device INTEGER NOT NULL,"
      "  kind INTEGER NOT NULL,"
      "  name INTEGER NOT NULL,"
      "  data TEXT,"
      "  PRIMARY KEY (time_us, id)) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, time_us);"
      "CREATE INDEX IF NOT EXISTS events_by_device_kind ON events (device, kind, time_us);"
      "CREATE TABLE IF NOT EXISTS kinds (id INTEGER PRIMARY KEY);"
      "CREATE TABLE IF NOT EXISTS samples ("
      "  device INTEGER NOT NULL,"
      "  property INTEGER NOT NULL,"
      "  time_us INTEGER NOT NULL,"
      "  id INTEGER NOT NULL,"
      "  value REAL NOT NULL,"
      "  PRIMARY KEY (device, property, time_us, id)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS series ("
      "  device INTEGER NOT NULL,"
      "  property INTEGER NOT NULL,"
      "  PRIMARY KEY (device, property)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS sample_minutes ("
      "  device INTEGER NOT NULL,"
      "  property INTEGER NOT NULL,"
      "  minute_us INTEGER NOT NULL,"
      "  value_min REAL NOT NULL,"
      "  value_max REAL NOT NULL,"
      "  value_sum REAL NOT NULL,"
      "  n INTEGER NOT NULL,"
      "  PRIMARY KEY (device, property, minute_us)) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS sample_minutes_by_time ON sample_minutes (minute_us);"
      "PRAGMA user_version=3;";

/* Replaces the fixture's database with one of schema version 3 holding, as Hearth would have
 * written them: events of lamp (property on, online) and keys (event key); samples of lamp
 * brightness, @n_samples of them one microsecond apart from @first_sample_us, with values
 * 0, 10, 20, …; and a counter that has handed out ids 1 to 2 * @n_samples (ids with gaps). */
static void
make_v3_database (Fixture *fixture, gint64 first_sample_us, guint n_samples)
{
  g_autofree char *sql = NULL;
  sqlite3 *db = NULL;

  g_clear_object (&fixture->history);
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  exec_sql (db, schema_v3_sql);
  exec_sql (db, "INSERT INTO devices (id, device_id) VALUES (1, 'lamp'), (2, 'keys');"
                "INSERT INTO names (id, name) VALUES (1, 'on'), (2, 'property'), (3, 'online'),"
                "  (4, 'key'), (5, 'event'), (6, 'brightness');"
                "INSERT INTO kinds (id) VALUES (2), (3), (5);"
                "INSERT INTO series (device, property) VALUES (1, 6);"
                "INSERT INTO events (time_us, id, device, kind, name, data) VALUES"
                "  (1709294400000000, 1, 1, 2, 1, 'true'),"
                "  (1709294400000001, 2, 1, 3, 3, NULL),"
                "  (1709294400000002, 3, 2, 5, 4, NULL);");
  exec_sql (db, "BEGIN");
  for (guint i = 0; i < n_samples; i++)
    {
      g_free (sql);
      sql = g_strdup_printf ("INSERT INTO samples (device, property, time_us, id, value) VALUES "
                             "(1, 6, %" G_GINT64_FORMAT ", %u, %u)",
                             first_sample_us + i, 4 + 2 * i, 10 * i);
      exec_sql (db, sql);
    }
  g_free (sql);
  sql = g_strdup_printf ("UPDATE counters SET next = %u WHERE name = 'samples';"
                         "UPDATE counters SET next = 4 WHERE name = 'events'; COMMIT",
                         4 + 2 * n_samples);
  exec_sql (db, sql);
  sqlite3_close (db);
}

/* A database of the interim schema 2 (a (device, time) index on events and a time index on
 * samples, no kinds or series lists) is migrated too: the lists are filled from the rows, so a
 * device's events and the downsampling of its samples still work. The interim layout is made
 * from a database of version 3 by hand. */
static void
test_migrate_v2 (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;
  gint64 old_minute = NOW_US - 30 * HOUR_US;
  sqlite3 *db = NULL;

  make_v3_database (fixture, old_minute, 3);
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  exec_sql (db, "DROP TABLE kinds; DROP TABLE series;"
                "CREATE INDEX events_by_device ON events (device, time_us);"
                "CREATE INDEX samples_by_time ON samples (time_us);"
                "PRAGMA user_version=2;");
  sqlite3_close (db);

  fixture->history = open_history (fixture);
  g_assert_null (hearth_history_get_moved_aside_path (fixture->history));
  g_assert_cmpint (read_user_version (fixture->path), ==, 5);

  events = hearth_history_query_events (fixture->history, "lamp", NULL, G_MININT64, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 0))->kind, ==, "online");
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->kind, ==, "property");

  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_assert_no_error (error);
  points = hearth_history_query_samples (fixture->history, "lamp", "brightness", 0, G_MAXINT64,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 1);
  g_assert_cmpuint (g_array_index (points, HearthHistoryPoint, 0).count, ==, 3);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 0).max, ==, 20);
}

/* A database of schema 3 (one row per raw sample) is migrated to chunks: every sample keeps its
 * time and value (also more samples in one minute than one chunk holds, and a run that crosses
 * a minute), events are untouched, the series is still downsampled, new samples go on after
 * the old ones, and the history still opens and reads the same afterwards. */
static void
test_migrate_v3 (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;
  /* 150 samples from 100 µs before a minute boundary, 30 hours ago. */
  gint64 first_us = NOW_US - 30 * HOUR_US - 100;
  const guint n_samples = 150;

  make_v3_database (fixture, first_us, n_samples);
  fixture->history = open_history (fixture);
  g_assert_null (hearth_history_get_moved_aside_path (fixture->history));
  g_assert_cmpint (read_user_version (fixture->path), ==, 5);

  events = hearth_history_query_events (fixture->history, "lamp", NULL, G_MININT64, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->data, ==, "true");
  g_assert_cmpint (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->id, ==, 1);

  for (guint round = 0; round < 2; round++)
    {
      g_clear_pointer (&points, g_array_unref);
      points = hearth_history_query_samples (fixture->history, "lamp", "brightness", 0, G_MAXINT64,
                                             &error);
      g_assert_no_error (error);
      g_assert_cmpuint (points->len, ==, n_samples);
      for (guint i = 0; i < n_samples; i++)
        {
          HearthHistoryPoint *point = &g_array_index (points, HearthHistoryPoint, i);

          g_assert_cmpint (point->time_us, ==, first_us + i);
          g_assert_cmpfloat (point->value, ==, 10.0 * i);
          g_assert_cmpuint (point->count, ==, 1);
        }
      /* A range inside the run: exactly the samples in it. */
      g_clear_pointer (&points, g_array_unref);
      points = hearth_history_query_samples (fixture->history, "lamp", "brightness", first_us + 90,
                                             first_us + 109, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (points->len, ==, 20);
      g_assert_cmpint (g_array_index (points, HearthHistoryPoint, 0).time_us, ==, first_us + 90);

      g_clear_object (&fixture->history);
      fixture->history = open_history (fixture);
    }

  /* New samples get ids after the migrated ones (the chunk table's key would refuse a
   * duplicate and the batch would fail), and downsampling merges both. */
  hearth_history_add_sample (fixture->history, first_us + 200, "lamp", "brightness", -5);
  hearth_history_add_event (fixture->history, NOW_US + 3, "lamp", "online", "online", NULL);
  g_assert_true (hearth_history_run_maintenance (fixture->history, NOW_US, &error));
  g_assert_no_error (error);
  g_clear_pointer (&points, g_array_unref);
  points = hearth_history_query_samples (fixture->history, "lamp", "brightness", 0, G_MAXINT64,
                                         &error);
  g_assert_no_error (error);
  /* The 100 samples before the boundary are one minute, the 50 after it and the new one the
   * next. */
  g_assert_cmpuint (points->len, ==, 2);
  g_assert_cmpuint (g_array_index (points, HearthHistoryPoint, 0).count, ==, 100);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 0).max, ==, 990);
  g_assert_cmpuint (g_array_index (points, HearthHistoryPoint, 1).count, ==, 51);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 1).min, ==, -5);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 1).max, ==, 1490);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = hearth_history_query_events (fixture->history, "lamp", NULL, G_MININT64, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpint (((HearthHistoryEvent *)g_ptr_array_index (events, 0))->id, ==, 4);
}

/* Raw samples are written in chunks of one series and minute: a batch with more samples of a
 * minute than a chunk holds, samples of one minute in several batches and out of time order,
 * and ranges that start and end inside a minute all read back exactly, oldest first. */
static void
test_sample_chunks (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;
  gint64 minute = NOW_US - HOUR_US;
  guint n = 0;

  /* 200 samples in one batch, within one minute, every 0.25 s, and the other series' rows
   * interleaved. */
  for (guint i = 0; i < 200; i++)
    {
      hearth_history_add_sample (fixture->history, minute + i * 250000, "thermo", "t", i);
      hearth_history_add_sample (fixture->history, minute + i * 250000, "thermo", "h", -1.0 * i);
    }
  g_assert_true (hearth_history_flush (fixture->history, &error));
  /* Later batches of the same minute, in reverse time order, between the earlier samples. */
  for (guint batch = 0; batch < 3; batch++)
    {
      for (guint i = 0; i < 10; i++)
        hearth_history_add_sample (
            fixture->history, minute + 125000 + (29 - batch * 10 - i) * 250000, "thermo", "t", 0.5);
      g_assert_true (hearth_history_flush (fixture->history, &error));
    }

  points = hearth_history_query_samples (fixture->history, "thermo", "t", minute,
                                         minute + MINUTE_US, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 230);
  for (guint i = 0; i < points->len; i++)
    {
      HearthHistoryPoint *point = &g_array_index (points, HearthHistoryPoint, i);

      if (i > 0)
        g_assert_cmpint (point->time_us, >,
                         g_array_index (points, HearthHistoryPoint, i - 1).time_us);
      if (point->value == 0.5)
        continue;
      g_assert_cmpint (point->time_us, ==, minute + (gint64)point->value * 250000);
      n++;
    }
  g_assert_cmpuint (n, ==, 200);

  /* From 5.0 s to 10.0 s: samples 20 to 40 and the late ones at 5.125 to 7.375 s. */
  g_clear_pointer (&points, g_array_unref);
  points = hearth_history_query_samples (fixture->history, "thermo", "t", minute + 5000000,
                                         minute + 10000000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 21 + 10);
  g_clear_pointer (&points, g_array_unref);
  points = hearth_history_query_samples (fixture->history, "thermo", "h", minute + 49750000,
                                         G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 1);
  g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, 0).value, ==, -199);
}

/* With raw-hours beyond retention-days, the retention cutoff falls inside a minute of raw
 * samples: the samples before it go, those after it stay, to the microsecond. */
static void
test_retention_inside_minute (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;
  gint64 cutoff = NOW_US + 30 * G_USEC_PER_SEC - 7 * DAY_US;

  hearth_history_set_retention_days (fixture->history, 7);
  hearth_history_set_raw_hours (fixture->history, 10 * 24);
  for (gint i = -3; i < 3; i++)
    hearth_history_add_sample (fixture->history, cutoff + i, "thermo", "t", i);
  hearth_history_add_sample (fixture->history, cutoff - MINUTE_US, "thermo", "t", -100);
  g_assert_true (
      hearth_history_run_maintenance (fixture->history, NOW_US + 30 * G_USEC_PER_SEC, &error));
  g_assert_no_error (error);

  points = hearth_history_query_samples (fixture->history, "thermo", "t", 0, G_MAXINT64, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (g_array_index (points, HearthHistoryPoint, i).time_us, ==, cutoff + i);
      g_assert_cmpfloat (g_array_index (points, HearthHistoryPoint, i).value, ==, i);
    }
}

/* The JSON text hearth_event_format_value_json() gives @value, the text the bus records. */
static char *
bus_json (JsonNode *value)
{
  HearthEvent *event = hearth_event_new (HEARTH_EVENT_PROPERTY_CHANGED, HEARTH_EVENT_SOURCE_NOTIFY,
                                         "lamp", "level", value, 0);
  char buffer[64];
  char *allocated = NULL;
  char *text = g_strdup (hearth_event_format_value_json (event, buffer, sizeof buffer, &allocated));

  g_free (allocated);
  hearth_event_unref (event);
  return text;
}

/* Events whose data is a number keep it as a number and make its text when they are read: the
 * text is the one the bus would have recorded (doubles keep a fraction or exponent, integers
 * have none), for awkward doubles too, next to events with text data, and after reopening. */
static void
test_number_events (Fixture *fixture, gconstpointer user_data)
{
  static const double doubles[]
      = { 21.3, 21.0, 0.1 + 0.2, -0.0, 1e300, -2.5e-300, 1e15, 123456789012.5 };
  static const gint64 integers[] = { 21, -5, 0, G_MAXINT64, G_MININT64 };
  const guint n = G_N_ELEMENTS (doubles) + G_N_ELEMENTS (integers);
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (doubles); i++)
    {
      JsonNode *node = json_node_init_double (json_node_alloc (), doubles[i]);

      hearth_history_add_event_double (fixture->history, NOW_US + i, "lamp", "property", "level",
                                       doubles[i]);
      g_ptr_array_add (expected, bus_json (node));
      json_node_unref (node);
    }
  for (guint i = 0; i < G_N_ELEMENTS (integers); i++)
    {
      JsonNode *node = json_node_init_int (json_node_alloc (), integers[i]);

      hearth_history_add_event_int (fixture->history, NOW_US + G_N_ELEMENTS (doubles) + i, "lamp",
                                    "property", "level", integers[i]);
      g_ptr_array_add (expected, bus_json (node));
      json_node_unref (node);
    }
  hearth_history_add_event (fixture->history, NOW_US + n, "lamp", "event", "click", "\"x\"");
  hearth_history_add_event (fixture->history, NOW_US + n + 1, "lamp", "online", "online", NULL);
  /* The texts this test expects, spelled out, so that it fails if both writers drift. */
  g_assert_cmpstr (g_ptr_array_index (expected, 0), ==, "21.3");
  g_assert_cmpstr (g_ptr_array_index (expected, 1), ==, "21.0");
  g_assert_cmpstr (g_ptr_array_index (expected, 2), ==, "0.30000000000000004");
  g_assert_cmpstr (g_ptr_array_index (expected, G_N_ELEMENTS (doubles)), ==, "21");

  for (guint round = 0; round < 2; round++)
    {
      g_clear_pointer (&events, g_ptr_array_unref);
      events
          = hearth_history_query_events (fixture->history, "lamp", NULL, G_MININT64, 100, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (events->len, ==, n + 2);
      g_assert_null (((HearthHistoryEvent *)g_ptr_array_index (events, 0))->data);
      g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->data, ==, "\"x\"");
      for (guint i = 0; i < n; i++)
        {
          HearthHistoryEvent *event = g_ptr_array_index (events, n + 1 - i);

          g_assert_cmpint (event->time_us, ==, NOW_US + i);
          g_assert_cmpstr (event->kind, ==, "property");
          g_assert_cmpstr (event->data, ==, g_ptr_array_index (expected, i));
        }
      g_clear_object (&fixture->history);
      fixture->history = open_history (fixture);
    }
}

/* A database of schema 4 (no `value` column for numeric event data) gets the column; its
 * events keep their text data, and number events work after the migration. */
static void
test_migrate_v4 (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;

  hearth_history_add_event (fixture->history, NOW_US, "lamp", "property", "level", "40");
  hearth_history_add_sample (fixture->history, NOW_US, "lamp", "level", 40);
  g_clear_object (&fixture->history);
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  exec_sql (db, "ALTER TABLE events DROP COLUMN value; PRAGMA user_version=4;");
  sqlite3_close (db);

  fixture->history = open_history (fixture);
  g_assert_null (hearth_history_get_moved_aside_path (fixture->history));
  g_assert_cmpint (read_user_version (fixture->path), ==, 5);
  hearth_history_add_event_double (fixture->history, NOW_US + 1, "lamp", "property", "level", 41.5);
  events = hearth_history_query_events (fixture->history, "lamp", NULL, G_MININT64, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 0))->data, ==, "41.5");
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->data, ==, "40");
}

/* Unknown device ids, kinds and property names match nothing (they have no interned id). */
static void
test_unknown_names (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GArray) points = NULL;
  g_autoptr (GError) error = NULL;

  hearth_history_add_event (fixture->history, NOW_US, "keys", "event", "key", NULL);
  hearth_history_add_sample (fixture->history, NOW_US, "thermo", "temperature", 1);

  events = hearth_history_query_events (fixture->history, "nobody", NULL, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = hearth_history_query_events (fixture->history, "keys", "nothing", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  /* A name used as something else (an event name as a kind) matches nothing either. */
  g_clear_pointer (&events, g_ptr_array_unref);
  events = hearth_history_query_events (fixture->history, NULL, "key", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 0);
  points = hearth_history_query_samples (fixture->history, "thermo", "humidity", 0, G_MAXINT64,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/history/events", Fixture, NULL, fixture_set_up, test_events, fixture_tear_down);
  g_test_add ("/history/events-paging", Fixture, NULL, fixture_set_up, test_events_paging,
              fixture_tear_down);
  g_test_add ("/history/writer-stream", Fixture, NULL, fixture_set_up, test_writer_stream,
              fixture_tear_down);
  g_test_add ("/history/batched-writes", Fixture, NULL, fixture_set_up, test_batched_writes,
              fixture_tear_down);
  g_test_add ("/history/samples-and-downsampling", Fixture, NULL, fixture_set_up,
              test_samples_and_downsampling, fixture_tear_down);
  g_test_add ("/history/retention", Fixture, NULL, fixture_set_up, test_retention,
              fixture_tear_down);
  g_test_add ("/history/corrupt-pages", Fixture, NULL, fixture_set_up, test_corrupt_pages,
              fixture_tear_down);
  g_test_add ("/history/corrupt-header", Fixture, NULL, fixture_set_up, test_corrupt_header,
              fixture_tear_down);

  g_test_add ("/history/migrate-v1", Fixture, NULL, fixture_set_up, test_migrate_v1,
              fixture_tear_down);
  g_test_add ("/history/migrate-v2", Fixture, NULL, fixture_set_up, test_migrate_v2,
              fixture_tear_down);
  g_test_add ("/history/migrate-v3", Fixture, NULL, fixture_set_up, test_migrate_v3,
              fixture_tear_down);
  g_test_add ("/history/sample-chunks", Fixture, NULL, fixture_set_up, test_sample_chunks,
              fixture_tear_down);
  g_test_add ("/history/retention-inside-minute", Fixture, NULL, fixture_set_up,
              test_retention_inside_minute, fixture_tear_down);
  g_test_add ("/history/number-events", Fixture, NULL, fixture_set_up, test_number_events,
              fixture_tear_down);
  g_test_add ("/history/migrate-v4", Fixture, NULL, fixture_set_up, test_migrate_v4,
              fixture_tear_down);
  g_test_add ("/history/unknown-names", Fixture, NULL, fixture_set_up, test_unknown_names,
              fixture_tear_down);

  return g_test_run ();
}
