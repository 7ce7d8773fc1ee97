/* SPDX-License-Identifier: GPL-3.0-or-later */
/* History write cost: CPU per property change (an event row and a numeric sample, as the event
 * bus records them) through HearthHistory (queue on this thread, batches on its writer thread),
 * for 100 devices with 4 properties each. The peer, in the same run: the same rows written with
 * plain SQLite into the schema of version 1 (text device ids and names in every row, 8 B-tree
 * inserts per change), the same pragmas, prepared statements and one transaction per 20,000
 * rows. Prints figures and the ratio; never fails on timing.
 *
 * Usage: bench-history-write [CHANGES] */

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "hearth-history.h"

#define N_DEVICES 100
#define BATCH 20000

static const char *const properties[] = { "temperature", "humidity", "power", "energy" };

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
         + (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* The i-th change: its device, property, value and the value's JSON text. */
static void
change (guint i, char devices[][32], const char **device, const char **property, double *value,
        char *json, gsize json_size)
{
  *device = devices[(i / 3) % N_DEVICES];
  *property = properties[i % G_N_ELEMENTS (properties)];
  *value = 20.0 + (i % 100) / 10.0;
  g_snprintf (json, json_size, "%.17g", *value);
}

static double
run_hearth_history (const char *dir, guint n, char devices[][32], gint64 start_us)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHistory) history = hearth_history_new (dir, NULL, &error);
  double before;

  g_assert_no_error (error);
  before = cpu_seconds ();
  for (guint i = 0; i < n; i++)
    {
      const char *device, *property;
      char json[32];
      double value;

      change (i, devices, &device, &property, &value, json, sizeof json);
      hearth_history_add_event (history, start_us + i * 20, device, "property", property, json);
      hearth_history_add_sample (history, start_us + i * 20, device, property, value);
      /* The flush timer hands batches to the writer thread, as in the hub. */
      if (i % 2000 == 0)
        while (g_main_context_iteration (NULL, FALSE))
          ;
    }
  g_assert_true (hearth_history_flush (history, &error));
  g_assert_no_error (error);
  return (cpu_seconds () - before) * 1e6 / n;
}

static void
check (int ret, sqlite3 *db)
{
  if (ret != SQLITE_OK && ret != SQLITE_DONE)
    g_error ("SQLite: %s", sqlite3_errmsg (db));
}

static double
run_schema_v1 (const char *path, guint n, char devices[][32], gint64 start_us)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *event = NULL;
  sqlite3_stmt *sample = NULL;
  double before;

  check (sqlite3_open (path, &db), db);
  check (
      sqlite3_exec (db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    "PRAGMA cache_size=-8192; PRAGMA wal_autocheckpoint=4000;"
                    "CREATE TABLE events (id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
                    "  device_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, data TEXT);"
                    "CREATE INDEX events_by_device ON events (device_id, time_us);"
                    "CREATE INDEX events_by_time ON events (time_us);"
                    "CREATE INDEX events_by_kind ON events (kind, time_us);"
                    "CREATE INDEX events_by_device_kind ON events (device_id, kind, time_us);"
                    "CREATE TABLE samples (device_id TEXT NOT NULL, property TEXT NOT NULL,"
                    "  time_us INTEGER NOT NULL, value REAL NOT NULL);"
                    "CREATE INDEX samples_by_property ON samples (device_id, property, time_us);"
                    "CREATE INDEX samples_by_time ON samples (time_us);",
                    NULL, NULL, NULL),
      db);
  check (sqlite3_prepare_v2 (db,
                             "INSERT INTO events (time_us, device_id, kind, name, data) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
                             -1, &event, NULL),
         db);
  check (sqlite3_prepare_v2 (db,
                             "INSERT INTO samples (device_id, property, time_us, value) "
                             "VALUES (?1, ?2, ?3, ?4)",
                             -1, &sample, NULL),
         db);

  before = cpu_seconds ();
  for (guint i = 0; i < n; i++)
    {
      const char *device, *property;
      char json[32];
      double value;

      if (i % BATCH == 0)
        check (sqlite3_exec (db, i == 0 ? "BEGIN IMMEDIATE" : "COMMIT; BEGIN IMMEDIATE", NULL, NULL,
                             NULL),
               db);
      change (i, devices, &device, &property, &value, json, sizeof json);
      sqlite3_bind_int64 (event, 1, start_us + i * 20);
      sqlite3_bind_text (event, 2, device, -1, SQLITE_STATIC);
      sqlite3_bind_text (event, 3, "property", -1, SQLITE_STATIC);
      sqlite3_bind_text (event, 4, property, -1, SQLITE_STATIC);
      sqlite3_bind_text (event, 5, json, -1, SQLITE_TRANSIENT);
      check (sqlite3_step (event), db);
      sqlite3_reset (event);
      sqlite3_bind_text (sample, 1, device, -1, SQLITE_STATIC);
      sqlite3_bind_text (sample, 2, property, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (sample, 3, start_us + i * 20);
      sqlite3_bind_double (sample, 4, value);
      check (sqlite3_step (sample), db);
      sqlite3_reset (sample);
    }
  check (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), db);
  before = (cpu_seconds () - before) * 1e6 / n;

  sqlite3_finalize (event);
  sqlite3_finalize (sample);
  sqlite3_close (db);
  return before;
}

static void
remove_dir (const char *dir)
{
  const char *names[] = { "history.sqlite", "history.sqlite-wal", "history.sqlite-shm",
                          "v1.sqlite",      "v1.sqlite-wal",      "v1.sqlite-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  guint n = argc > 1 ? (guint)strtoul (argv[1], NULL, 10) : 200000;
  g_autofree char *dir = g_dir_make_tmp ("hearth-bench-history-XXXXXX", NULL);
  g_autofree char *v1_path = g_build_filename (dir, "v1.sqlite", NULL);
  char devices[N_DEVICES][32];
  gint64 start_us = g_get_real_time ();
  double hearth_us, v1_us;

  g_assert_nonnull (dir);
  g_assert_cmpuint (n, >, 0);
  for (guint i = 0; i < N_DEVICES; i++)
    g_snprintf (devices[i], sizeof devices[i], "sim-%016" G_GINT64_MODIFIER "x",
                (guint64)g_str_hash (properties[i % 4]) * 2654435761u + i);

  hearth_us = run_hearth_history (dir, n, devices, start_us);
  v1_us = run_schema_v1 (v1_path, n, devices, start_us);
  remove_dir (dir);

  printf ("history write: %u property changes (event + sample), 100 devices x 4 properties\n", n);
  printf ("HearthHistory: %.2f us CPU per change (queue + writer thread)\n", hearth_us);
  printf ("schema 1 with plain SQLite (text ids and names, 8 B-tree inserts per change): %.2f us "
          "CPU per change\n",
          v1_us);
  printf ("ratio: schema 1 / HearthHistory = %.2fx\n", v1_us / hearth_us);
  return 0;
}
