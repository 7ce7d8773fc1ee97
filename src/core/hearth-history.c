/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-history"

#include "hearth-history.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "hearth-error.h"
#include "hearth-event.h"

/* HearthHistory keeps device events and numeric property samples in SQLite.
 *
 * Threading: rows are queued in memory on the main thread and written in one transaction per
 * batch (every flush-interval milliseconds, or as soon as the queue is long), with prepared
 * statements, WAL and synchronous=NORMAL, so a commit does not wait for the disk. The batches
 * are written by a writer thread of the history's own: under a stream of tens of thousands of
 * events a second, the index updates are the largest single cost of the hub (a profile of the
 * event-intake benchmark put 38% of the hub's time in them), and on the main thread they would
 * stall NOTIFY answers for tens of milliseconds at every flush. The hand-over is one swap of the
 * queue under a mutex; the main thread never waits for the writer except when the writer has
 * fallen more than BACKPRESSURE_QUEUE_LENGTH rows behind (then the intake slows down to what the
 * disk takes, instead of memory growing or rows being dropped) and in hearth_history_flush().
 *
 * There is one connection. The writer uses it only while a batch is handed to it; everything
 * else (queries, maintenance, replacing a damaged database, synchronous flushes) runs on the
 * main thread after waiting until the writer holds no batch, and no batch is handed over while
 * the main thread works, because only the main thread hands them over. A failed batch is kept
 * and reported on the main thread at the next flush tick: corruption replaces the database
 * (::database-replaced) and the batch is written again, other failures emit ::write-failed and
 * the batch is retried, ahead of the rows queued since. Queries flush first, synchronously, so
 * they see every row added before them.
 *
 * Durability: a crash of the hub loses at most the rows queued since the last flush; a power
 * cut may also lose the last transactions, since synchronous=NORMAL in WAL mode syncs at
 * checkpoints only. Trust decisions are not kept here: they use the trust store's atomic file.
 *
 * Corruption: at start the database is checked with `PRAGMA quick_check`. A damaged database is
 * renamed aside with a time stamp and a fresh one is started, so that history problems never
 * stop the hub; #HearthHistory:moved-aside-path says where the old one went. Corruption found
 * later, while writing, is handled the same way and reported with ::database-replaced. */

#define SCHEMA_VERSION 5
#define CHUNK_SAMPLE_SIZE 12
#define MAX_CHUNK_SAMPLES 64
#define RECORDS_KEPT 4096
#define DEFAULT_RETENTION_DAYS 30
#define DEFAULT_RAW_HOURS 24
#define DEFAULT_FLUSH_INTERVAL 250
#define FLUSH_AT_QUEUE_LENGTH 40000
#define BACKPRESSURE_QUEUE_LENGTH (3 * FLUSH_AT_QUEUE_LENGTH)
#define MAX_QUEUE_LENGTH 200000
#define MAINTENANCE_INTERVAL_S (10 * 60)
#define BUSY_TIMEOUT_MS 5000
#define MINUTE_US (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define HOUR_US (60 * MINUTE_US)
#define DAY_US (24 * HOUR_US)

enum
{
  PROP_0,
  PROP_DATA_DIR,
  PROP_MOVED_ASIDE_PATH,
  PROP_RETENTION_DAYS,
  PROP_RAW_HOURS,
  PROP_FLUSH_INTERVAL,
  N_PROPS
};

enum
{
  DATABASE_REPLACED,
  WRITE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef enum
{
  ROW_EVENT,         /* data is JSON text (or NULL) */
  ROW_EVENT_DOUBLE,  /* data is the JSON number `value` */
  ROW_EVENT_INTEGER, /* data is the JSON number `integer` */
  ROW_SAMPLE,
} RowType;

/* The strings of queued rows live in the history's string chunk (see queue_strings), so queueing
 * a row costs no allocation of its own. */
typedef struct
{
  RowType type;
  gint64 time_us;
  const char *device_id;
  const char *name; /* event or property name */
  const char *kind;
  const char *data;
  double value;
  gint64 integer;
} QueuedRow;

/* A queued event with its texts resolved to ids and its row id assigned, as the batch table
 * hands it to SQLite (see "Bulk insert"). */
typedef struct
{
  gint64 time_us;
  gint64 id;
  gint64 device;
  gint64 kind;
  gint64 name;
  const char *data;
  RowType type; /* whether the data is `data`, `number` or `integer` */
  double number;
  gint64 integer;
} EventRecord;

/* A queued sample, resolved likewise. */
typedef struct
{
  gint64 device;
  gint64 property;
  gint64 time_us;
  double value;
} SampleRecord;

/* A chunk of samples of the batch (see SAMPLE_CHUNKS_SQL), its bytes in `chunk_bytes`. */
typedef struct
{
  gint64 device;
  gint64 property;
  gint64 minute_us;
  gint64 id;
  guint offset;
  guint length;
} ChunkRecord;

/* The rows of `devices` or `names` in memory, both ways, so that writing a row and reading one
 * back costs a hash lookup instead of a query. Used only by the thread that holds the
 * connection (see "Threading"), like the connection itself. */
typedef struct
{
  GHashTable *ids;   /* text → id */
  GHashTable *texts; /* id → text (the string owned by ids) */
  sqlite3_stmt *insert;
  sqlite3_stmt *select_id;
  sqlite3_stmt *select_text;
} Interned;

struct _HearthHistory
{
  GObject parent_instance;

  /* Owned */
  char *data_dir;
  char *path;
  char *moved_aside_path;
  sqlite3 *db;
  sqlite3_stmt *insert_events;  /* the whole batch's events, from hearth_batch_events */
  sqlite3_stmt *insert_samples; /* the whole batch's sample chunks, from hearth_batch_samples */
  sqlite3_stmt *update_counter;
  /* The batch being written, resolved; read by the batch tables during insert_events and
   * insert_samples. Used only by the thread that holds the connection. */
  GArray *event_records;  /* EventRecord */
  GArray *sample_records; /* SampleRecord */
  GArray *chunk_records;  /* ChunkRecord */
  GByteArray *chunk_bytes;
  Interned devices;
  Interned names;           /* event kinds, event names and property names */
  gboolean interned_loaded; /* FALSE after a rollback, which may have undone new rows */
  /* The ids of the previous row's texts, by the texts' addresses. Within one batch, equal texts
   * are one string of the batch's string chunk (g_string_chunk_insert_const()), and the rows of
   * one NOTIFY follow each other (an event row and a sample per change, same device), so most
   * rows are resolved by comparing pointers instead of hashing their texts. Valid for one batch
   * only: a chunk reuses its memory once cleared (see insert_rows()). */
  struct
  {
    const char *device_text;
    gint64 device;
    const char *name_text;
    gint64 name;
    const char *kind_text;
    gint64 kind;
  } previous;
  GHashTable *kinds;  /* name ids in `kinds`, as GSIZE_TO_POINTER */
  GHashTable *series; /* gint64 * (device << 32 | property) of the rows in `series` */
  sqlite3_stmt *insert_kind;
  sqlite3_stmt *insert_series;
  gint64 next_event_id;
  gint64 next_sample_id;
  GArray *queue; /* QueuedRow */
  /* The strings of the queued rows. At tens of thousands of rows a second, a malloc and free
   * per string cost more than SQLite's insert; here they are appended to a few large blocks,
   * names and device ids once per batch, and released together when the batch is written. */
  GStringChunk *queue_strings;

  /* The writer thread and the batch it is given; see "Threading" above. */
  GThread *writer;
  GMutex lock;
  GCond cond;
  GArray *batch; /* QueuedRow; rows of a failed batch stay here until written */
  GStringChunk *batch_strings;
  gboolean batch_pending; /* the writer owns the batch and the connection */
  gboolean stopping;
  int batch_result; /* SQLite result of the last batch the writer wrote */
  char *batch_error;
  guint flush_source;
  guint maintenance_source;
  guint64 n_dropped;

  /* Settings */
  guint retention_days;
  guint raw_hours;
  guint flush_interval;
};

static void hearth_history_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthHistory, hearth_history, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      hearth_history_initable_iface_init))

G_DEFINE_BOXED_TYPE (HearthHistoryEvent, hearth_history_event, hearth_history_event_copy,
                     hearth_history_event_free)

HearthHistoryEvent *
hearth_history_event_copy (const HearthHistoryEvent *event)
{
  HearthHistoryEvent *copy = g_new0 (HearthHistoryEvent, 1);

  copy->id = event->id;
  copy->time_us = event->time_us;
  copy->device_id = g_strdup (event->device_id);
  copy->kind = g_strdup (event->kind);
  copy->name = g_strdup (event->name);
  copy->data = g_strdup (event->data);
  return copy;
}

void
hearth_history_event_free (HearthHistoryEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->device_id);
  g_free (event->kind);
  g_free (event->name);
  g_free (event->data);
  g_free (event);
}

/* The tables of every schema since version 2. Device ids and names (event kinds, event and
 * property names) are stored once, in `devices` and `names`, and the rows refer to them by
 * integer: at tens of thousands of rows a second, repeating the text in every row and every
 * index entry was most of the writer's work. The events table is a WITHOUT ROWID table whose
 * primary key is also its main query order, which saves the separate time index (and its B-tree
 * insert per row) that a rowid table needs; its row ids are counted by the history itself
 * (`counters`), since a WITHOUT ROWID table has no rowid to hand out. Every secondary index of
 * such a table ends with the primary key columns it does not list, so (device, time_us) is
 * really (device, time_us, id). */
#define COMMON_SCHEMA_SQL                                                                                                                                                                 \
  "CREATE TABLE IF NOT EXISTS devices ("                                                                                                                                                  \
  "  id INTEGER PRIMARY KEY,"                                                                                                                                                             \
  "  device_id TEXT NOT NULL UNIQUE);"                                                                                                                                                    \
  "CREATE TABLE IF NOT EXISTS names ("                                                                                                                                                    \
  "  id INTEGER PRIMARY KEY,"                                                                                                                                                             \
  "  name TEXT NOT NULL UNIQUE);"                                                                                                                                                         \
  "CREATE TABLE IF NOT EXISTS counters ("                                                                                                                                                 \
  "  name TEXT PRIMARY KEY,"                                                                                                                                                              \
  "  next INTEGER NOT NULL) WITHOUT ROWID;"                                                                                                                                               \
  "INSERT OR IGNORE INTO counters (name, next) VALUES ('events', 1), ('samples', 1);"                                                                                                     \
  "CREATE TABLE IF NOT EXISTS events ("                                                                                                                                                   \
  "  time_us INTEGER NOT NULL,"                                                                                                                                                           \
  "  id INTEGER NOT NULL,"                                                                                                                                                                \
  "  device INTEGER NOT NULL,"                                                                                                                                                            \
  "  kind INTEGER NOT NULL,"                                                                                                                                                              \
  "  name INTEGER NOT NULL,"                                                                                                                                                              \
  "  data TEXT,"                                                                                                                                                                          \
  "  PRIMARY KEY (time_us, id)) WITHOUT ROWID;" /* With the table's own order (time_us, id), every filter combination of the event queries     \
   * is a range scan in (time_us, id) order, so a page costs O(limit). */                                          \
  "CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, time_us);"                                                                                                                  \
  "CREATE INDEX IF NOT EXISTS events_by_device_kind ON events (device, kind, time_us);" /* There is no (device, time_us) index: there are only a few kinds, so a device's events        \
   * are the merge of its (device, kind, time_us) ranges, one per kind listed here, and the       \
   * index insert per row that it saves is worth more. */ \
  "CREATE TABLE IF NOT EXISTS kinds (id INTEGER PRIMARY KEY);" /* The series that have samples. Instead of a time index on the samples, which would cost an    \
   * index insert per sample, the maintenance pass goes through the series listed here, each a    \
   * range of the samples' table. */                          \
  "CREATE TABLE IF NOT EXISTS series ("                                                                                                                                                   \
  "  device INTEGER NOT NULL,"                                                                                                                                                            \
  "  property INTEGER NOT NULL,"                                                                                                                                                          \
  "  PRIMARY KEY (device, property)) WITHOUT ROWID;" /* One row per device, property and minute once raw samples are older than raw-hours. The sum   \
   * and count (rather than an average) let a later pass merge more samples into a minute. */                                    \
  "CREATE TABLE IF NOT EXISTS sample_minutes ("                                                                                                                                           \
  "  device INTEGER NOT NULL,"                                                                                                                                                            \
  "  property INTEGER NOT NULL,"                                                                                                                                                          \
  "  minute_us INTEGER NOT NULL,"                                                                                                                                                         \
  "  value_min REAL NOT NULL,"                                                                                                                                                            \
  "  value_max REAL NOT NULL,"                                                                                                                                                            \
  "  value_sum REAL NOT NULL,"                                                                                                                                                            \
  "  n INTEGER NOT NULL,"                                                                                                                                                                 \
  "  PRIMARY KEY (device, property, minute_us)) WITHOUT ROWID;"                                                                                                                           \
  "CREATE INDEX IF NOT EXISTS sample_minutes_by_time ON sample_minutes (minute_us);"

/* Raw samples in schema version 4: chunks of up to MAX_CHUNK_SAMPLES samples of one series,
 * all within one minute (the minute of the downsampling buckets), as a blob of CHUNK_SAMPLE_SIZE
 * bytes per sample (see chunk_append()). A batch writes one chunk per series and minute instead
 * of one row per sample: under a stream of events the samples' table, in series order, took an
 * insert at a different place of the B-tree for every sample, the most expensive insert of the
 * writer (measured: 40% of its time). A chunk's id comes from the `samples` counter. A chunk
 * stays below SQLite's limit for a row of such a table on one page (about 1,000 bytes), so no
 * overflow pages. */
#define SAMPLE_CHUNKS_SQL                                                                          \
  "CREATE TABLE IF NOT EXISTS sample_chunks ("                                                     \
  "  device INTEGER NOT NULL,"                                                                     \
  "  property INTEGER NOT NULL,"                                                                   \
  "  minute_us INTEGER NOT NULL,"                                                                  \
  "  id INTEGER NOT NULL,"                                                                         \
  "  samples BLOB NOT NULL,"                                                                       \
  "  PRIMARY KEY (device, property, minute_us, id)) WITHOUT ROWID;"

/* Schema version 5 adds `events.value`: an event whose data is one JSON number keeps the number
 * there (data NULL), and its text is made when the event is read. Making the shortest text of a
 * double that reads back the same takes up to three format-and-parse rounds (about a
 * microsecond), which the hub's main thread paid for every property change it recorded; an
 * event is written once and most are never read. The column has no declared type, so a REAL
 * stays a REAL and an INTEGER an INTEGER, and the text tells 21 from 21.0 as the JSON did. */
#define EVENTS_VALUE_SQL "ALTER TABLE events ADD COLUMN value;"

/* Schema version 5, the current one. */
static const char schema_sql[] = COMMON_SCHEMA_SQL SAMPLE_CHUNKS_SQL EVENTS_VALUE_SQL;

/* Schema version 3: one row per raw sample. Migrations from versions 1 and 2 go through it. */
static const char schema_v3_sql[]
    = COMMON_SCHEMA_SQL "CREATE TABLE IF NOT EXISTS samples ("
                        "  device INTEGER NOT NULL,"
                        "  property INTEGER NOT NULL,"
                        "  time_us INTEGER NOT NULL,"
                        "  id INTEGER NOT NULL,"
                        "  value REAL NOT NULL,"
                        "  PRIMARY KEY (device, property, time_us, id)) WITHOUT ROWID;";

/* Migrates a database of schema version 1, where every row held the device id and the names as
 * text, in one transaction (run by the caller): the old tables are renamed aside, their indexes
 * dropped (the new indexes have the same names), the new schema created, the texts collected
 * into `devices` and `names`, the rows copied with their ids (a sample's id is its old rowid),
 * and the old tables dropped. */
static const char migrate_from_v1_sql[]
    = "DROP INDEX IF EXISTS events_by_device;"
      "DROP INDEX IF EXISTS events_by_time;"
      "DROP INDEX IF EXISTS events_by_kind;"
      "DROP INDEX IF EXISTS events_by_device_kind;"
      "DROP INDEX IF EXISTS samples_by_property;"
      "DROP INDEX IF EXISTS samples_by_time;"
      "DROP INDEX IF EXISTS sample_minutes_by_time;"
      "ALTER TABLE events RENAME TO events_v1;"
      "ALTER TABLE samples RENAME TO samples_v1;"
      "ALTER TABLE sample_minutes RENAME TO sample_minutes_v1;"
      "%s"
      "INSERT INTO devices (device_id)"
      "  SELECT device_id FROM events_v1 UNION SELECT device_id FROM samples_v1"
      "  UNION SELECT device_id FROM sample_minutes_v1;"
      "INSERT INTO names (name)"
      "  SELECT kind FROM events_v1 UNION SELECT name FROM events_v1"
      "  UNION SELECT property FROM samples_v1 UNION SELECT property FROM sample_minutes_v1;"
      "INSERT INTO events (time_us, id, device, kind, name, data)"
      "  SELECT e.time_us, e.id, d.id, k.id, n.id, e.data FROM events_v1 e"
      "  JOIN devices d ON d.device_id = e.device_id"
      "  JOIN names k ON k.name = e.kind JOIN names n ON n.name = e.name;"
      "INSERT INTO samples (device, property, time_us, id, value)"
      "  SELECT d.id, p.id, s.time_us, s.rowid, s.value FROM samples_v1 s"
      "  JOIN devices d ON d.device_id = s.device_id JOIN names p ON p.name = s.property;"
      "INSERT INTO sample_minutes (device, property, minute_us, value_min, value_max, value_sum, n)"
      "  SELECT d.id, p.id, m.minute_us, m.value_min, m.value_max, m.value_sum, m.n"
      "  FROM sample_minutes_v1 m"
      "  JOIN devices d ON d.device_id = m.device_id JOIN names p ON p.name = m.property;"
      "UPDATE counters SET next = (SELECT coalesce (max (id), 0) + 1 FROM events_v1)"
      "  WHERE name = 'events';"
      "UPDATE counters SET next = (SELECT coalesce (max (rowid), 0) + 1 FROM samples_v1)"
      "  WHERE name = 'samples';"
      "DROP TABLE events_v1;"
      "DROP TABLE samples_v1;"
      "DROP TABLE sample_minutes_v1;"
      "%s";

/* Schema version 2 (the same, with a (device, time_us) index on events and a time index on
 * samples instead of the `kinds` and `series` lists) existed for a few hours of development. */
static const char migrate_from_v2_sql[] = "DROP INDEX IF EXISTS events_by_device;"
                                          "DROP INDEX IF EXISTS samples_by_time;"
                                          "%s"
                                          "%s";

static const char fill_lists_sql[]
    = "INSERT OR IGNORE INTO kinds (id) SELECT DISTINCT kind FROM events;"
      "INSERT OR IGNORE INTO series (device, property) SELECT DISTINCT device, property FROM "
      "samples;";

static gboolean
is_corruption (int code)
{
  code &= 0xff;
  return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

static gboolean
set_sqlite_error (GError **error, sqlite3 *db, int code, const char *path, const char *what)
{
  g_set_error (error, HEARTH_ERROR,
               is_corruption (code) ? HEARTH_ERROR_INVALID_DATA : HEARTH_ERROR_FAILED,
               "Could not %s the history database “%s”: %s", what, path,
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (code));
  return FALSE;
}

static void
interned_clear (Interned *interned)
{
  g_clear_pointer (&interned->texts, g_hash_table_unref);
  g_clear_pointer (&interned->ids, g_hash_table_unref);
  g_clear_pointer (&interned->insert, sqlite3_finalize);
  g_clear_pointer (&interned->select_id, sqlite3_finalize);
  g_clear_pointer (&interned->select_text, sqlite3_finalize);
}

static void
close_database (HearthHistory *self)
{
  interned_clear (&self->devices);
  interned_clear (&self->names);
  self->interned_loaded = FALSE;
  g_clear_pointer (&self->kinds, g_hash_table_unref);
  g_clear_pointer (&self->series, g_hash_table_unref);
  g_clear_pointer (&self->insert_kind, sqlite3_finalize);
  g_clear_pointer (&self->insert_series, sqlite3_finalize);
  g_clear_pointer (&self->insert_events, sqlite3_finalize);
  g_clear_pointer (&self->insert_samples, sqlite3_finalize);
  g_clear_pointer (&self->update_counter, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
}

/* The database is only closed for good when replacing a damaged one failed (for instance the
 * directory became read-only); every entry point then reports that instead of crashing. */
static gboolean
check_open (HearthHistory *self, GError **error)
{
  if (self->db != NULL)
    return TRUE;

  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED, "The history database “%s” is not open",
               self->path);
  return FALSE;
}

/* SQLite would create the file with the umask's mode; history reveals when people are at home,
 * so it is made 0600 first. The WAL and shared-memory files inherit this mode from it. */
static gboolean
create_private_file (const char *path, GError **error)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create “%s”: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  close (fd);
  return TRUE;
}

/* Returns the result of `PRAGMA quick_check`, which reads every page and checks its structure
 * (without the slow index-to-table cross check of integrity_check): "ok" or a description. */
static int
quick_check (sqlite3 *db, char **problem)
{
  sqlite3_stmt *stmt = NULL;
  int ret;

  *problem = NULL;
  ret = sqlite3_prepare_v2 (db, "PRAGMA quick_check(1)", -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;

  ret = sqlite3_step (stmt);
  if (ret == SQLITE_ROW)
    {
      const char *result = (const char *)sqlite3_column_text (stmt, 0);

      if (g_strcmp0 (result, "ok") != 0)
        *problem = g_strdup (result != NULL ? result : "no result");
      ret = SQLITE_OK;
    }
  else if (ret == SQLITE_DONE)
    {
      *problem = g_strdup ("no result");
      ret = SQLITE_OK;
    }

  sqlite3_finalize (stmt);
  return ret;
}

/* (Re)reads the rows of one lookup table into memory. */
static int
interned_load (Interned *interned, sqlite3 *db, const char *select_sql)
{
  sqlite3_stmt *stmt = NULL;
  int ret;

  g_hash_table_remove_all (interned->texts);
  g_hash_table_remove_all (interned->ids);

  ret = sqlite3_prepare_v2 (db, select_sql, -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;
  while ((ret = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      char *text = g_strdup ((const char *)sqlite3_column_text (stmt, 1));

      g_hash_table_insert (interned->ids, text, GSIZE_TO_POINTER ((gsize)id));
      g_hash_table_insert (interned->texts, GSIZE_TO_POINTER ((gsize)id), text);
    }
  sqlite3_finalize (stmt);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

static int
read_counter (sqlite3 *db, const char *name, gint64 *next)
{
  sqlite3_stmt *stmt = NULL;
  int ret;

  ret = sqlite3_prepare_v2 (db, "SELECT next FROM counters WHERE name = ?1", -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  ret = sqlite3_step (stmt);
  if (ret == SQLITE_ROW)
    {
      *next = sqlite3_column_int64 (stmt, 0);
      ret = SQLITE_OK;
    }
  else if (ret == SQLITE_DONE)
    ret = SQLITE_CORRUPT; /* the schema inserts both counters */
  sqlite3_finalize (stmt);
  return ret;
}

/* A series key: both ids in one integer. Ids beyond 32 bits (four billion names) are never
 * remembered, only inserted again (OR IGNORE), so they cannot collide. */
static gboolean
series_key (gint64 device, gint64 property, gint64 *key)
{
  if (device < 0 || device > G_MAXUINT32 || property < 0 || property > G_MAXUINT32)
    return FALSE;
  *key = (device << 32) | property;
  return TRUE;
}

static void
remember_series (HearthHistory *self, gint64 device, gint64 property)
{
  gint64 key;

  if (series_key (device, property, &key))
    g_hash_table_add (self->series, g_memdup2 (&key, sizeof key));
}

/* Reads `kinds` and `series` into memory. */
static int
lists_load (HearthHistory *self)
{
  sqlite3_stmt *stmt = NULL;
  int ret;

  g_hash_table_remove_all (self->kinds);
  g_hash_table_remove_all (self->series);

  ret = sqlite3_prepare_v2 (self->db, "SELECT id FROM kinds", -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;
  while ((ret = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (self->kinds, GSIZE_TO_POINTER ((gsize)sqlite3_column_int64 (stmt, 0)));
  sqlite3_finalize (stmt);
  if (ret != SQLITE_DONE)
    return ret;

  ret = sqlite3_prepare_v2 (self->db, "SELECT device, property FROM series", -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;
  while ((ret = sqlite3_step (stmt)) == SQLITE_ROW)
    remember_series (self, sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1));
  sqlite3_finalize (stmt);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

/* Reads the lookup tables into memory: at the start, and again after a rolled back batch may
 * have undone rows that were added to them. */
static int
load_interned (HearthHistory *self)
{
  int ret;

  if (self->interned_loaded)
    return SQLITE_OK;

  if ((ret = interned_load (&self->devices, self->db, "SELECT id, device_id FROM devices"))
          != SQLITE_OK
      || (ret = interned_load (&self->names, self->db, "SELECT id, name FROM names")) != SQLITE_OK
      || (ret = lists_load (self)) != SQLITE_OK)
    return ret;

  self->interned_loaded = TRUE;
  return SQLITE_OK;
}

static void
interned_remember (Interned *interned, gint64 id, const char *text)
{
  char *copy = g_strdup (text);

  g_hash_table_insert (interned->ids, copy, GSIZE_TO_POINTER ((gsize)id));
  g_hash_table_insert (interned->texts, GSIZE_TO_POINTER ((gsize)id), copy);
}

/* Steps a one-row, one-column statement and resets it. SQLITE_ROW means found. */
static int
step_once (sqlite3_stmt *stmt, gint64 *id, char **text)
{
  int ret = sqlite3_step (stmt);

  if (ret == SQLITE_ROW && id != NULL)
    *id = sqlite3_column_int64 (stmt, 0);
  if (ret == SQLITE_ROW && text != NULL)
    *text = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return ret;
}

/* Looks @text up in @interned; a text that is not in memory is looked for in the table (another
 * connection, such as a second HearthHistory on the same file, may have added it) and, if
 * @add, added to the table within the caller's transaction. Returns SQLITE_OK with *id, or
 * SQLITE_DONE if @text is in no row and !@add. */
static int
intern (Interned *interned, sqlite3 *db, const char *text, gboolean add, gint64 *id)
{
  gpointer value;
  int ret;

  if (g_hash_table_lookup_extended (interned->ids, text, NULL, &value))
    {
      *id = (gint64)GPOINTER_TO_SIZE (value);
      return SQLITE_OK;
    }

  sqlite3_bind_text (interned->select_id, 1, text, -1, SQLITE_STATIC);
  ret = step_once (interned->select_id, id, NULL);
  if (ret == SQLITE_DONE && add)
    {
      sqlite3_bind_text (interned->insert, 1, text, -1, SQLITE_STATIC);
      ret = step_once (interned->insert, NULL, NULL);
      if (ret != SQLITE_DONE)
        return ret;
      *id = sqlite3_last_insert_rowid (db);
      ret = SQLITE_ROW;
    }
  if (ret != SQLITE_ROW)
    return ret;

  interned_remember (interned, *id, text);
  return SQLITE_OK;
}

/* Returns the text of @id (looked for in the table if it is not in memory), or "" if no row has
 * it, which only a damaged database can cause. */
static char *
interned_text (Interned *interned, gint64 id)
{
  const char *known = g_hash_table_lookup (interned->texts, GSIZE_TO_POINTER ((gsize)id));
  char *text = NULL;

  if (known != NULL)
    return g_strdup (known);

  sqlite3_bind_int64 (interned->select_text, 1, id);
  if (step_once (interned->select_text, NULL, &text) == SQLITE_ROW && text != NULL)
    interned_remember (interned, id, text);
  return text != NULL ? text : g_strdup ("");
}

static int
prepare_interned (Interned *interned, sqlite3 *db, const char *table, const char *column)
{
  g_autofree char *insert = g_strdup_printf ("INSERT INTO %s (%s) VALUES (?1)", table, column);
  g_autofree char *select_id = g_strdup_printf ("SELECT id FROM %s WHERE %s = ?1", table, column);
  g_autofree char *select_text = g_strdup_printf ("SELECT %s FROM %s WHERE id = ?1", column, table);
  int ret;

  interned->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  interned->texts = g_hash_table_new (g_direct_hash, g_direct_equal);
  if ((ret
       = sqlite3_prepare_v3 (db, insert, -1, SQLITE_PREPARE_PERSISTENT, &interned->insert, NULL))
          != SQLITE_OK
      || (ret = sqlite3_prepare_v3 (db, select_id, -1, SQLITE_PREPARE_PERSISTENT,
                                    &interned->select_id, NULL))
             != SQLITE_OK)
    return ret;
  return sqlite3_prepare_v3 (db, select_text, -1, SQLITE_PREPARE_PERSISTENT, &interned->select_text,
                             NULL);
}

/* The minute a time belongs to, as the downsampling buckets count it (SQL's and C's `%` both
 * truncate toward zero). */
static gint64
minute_of (gint64 time_us)
{
  return time_us - time_us % MINUTE_US;
}

/* Appends one sample to a chunk of @minute_us: its offset from the minute in microseconds
 * (|offset| < one minute, so 32 bits), then the value, both little-endian, so that a database
 * file can move between machines. */
static void
chunk_append (GByteArray *chunk, gint64 minute_us, gint64 time_us, double value)
{
  guint8 bytes[CHUNK_SAMPLE_SIZE];
  guint32 offset = GUINT32_TO_LE ((guint32)(gint32)(time_us - minute_us));
  guint64 bits;

  memcpy (&bits, &value, sizeof bits);
  bits = GUINT64_TO_LE (bits);
  memcpy (bytes, &offset, sizeof offset);
  memcpy (bytes + sizeof offset, &bits, sizeof bits);
  g_byte_array_append (chunk, bytes, sizeof bytes);
}

/* Reads the @index-th sample of a chunk. A chunk of a damaged file may hold any bytes: every
 * caller reads only the whole samples its length holds, and any offset gives some time. */
static void
chunk_get (const guint8 *chunk, guint index, gint64 minute_us, gint64 *time_us, double *value)
{
  guint32 offset;
  guint64 bits;

  memcpy (&offset, chunk + (gsize)index * CHUNK_SAMPLE_SIZE, sizeof offset);
  memcpy (&bits, chunk + (gsize)index * CHUNK_SAMPLE_SIZE + sizeof offset, sizeof bits);
  bits = GUINT64_FROM_LE (bits);
  *time_us = minute_us + (gint32)GUINT32_FROM_LE (offset);
  memcpy (value, &bits, sizeof bits);
}

/* Schema version 3 to 4, within the caller's transaction: the raw samples, one row each, are
 * packed into chunks, in series and time order, and the old table dropped. A chunk takes the
 * id of its first sample, which keeps ids unique and below the `samples` counter. */
static int
migrate_samples_to_chunks (sqlite3 *db)
{
  g_autoptr (GByteArray) chunk = g_byte_array_new ();
  sqlite3_stmt *select = NULL;
  sqlite3_stmt *insert = NULL;
  gint64 chunk_device = 0, chunk_property = 0, chunk_minute = 0, chunk_id = 0;
  guint n = 0;
  int ret;

  if ((ret = sqlite3_exec (db, SAMPLE_CHUNKS_SQL, NULL, NULL, NULL)) != SQLITE_OK
      || (ret = sqlite3_prepare_v2 (db,
                                    "SELECT device, property, time_us, id, value FROM samples "
                                    "ORDER BY device, property, time_us, id",
                                    -1, &select, NULL))
             != SQLITE_OK
      || (ret = sqlite3_prepare_v2 (db,
                                    "INSERT INTO sample_chunks (device, property, minute_us, id, "
                                    "samples) VALUES (?1, ?2, ?3, ?4, ?5)",
                                    -1, &insert, NULL))
             != SQLITE_OK)
    goto out;

  for (;;)
    {
      gboolean more = (ret = sqlite3_step (select)) == SQLITE_ROW;
      gint64 device = more ? sqlite3_column_int64 (select, 0) : 0;
      gint64 property = more ? sqlite3_column_int64 (select, 1) : 0;
      gint64 time_us = more ? sqlite3_column_int64 (select, 2) : 0;

      if (!more && ret != SQLITE_DONE)
        goto out;
      if (n > 0
          && (!more || device != chunk_device || property != chunk_property
              || minute_of (time_us) != chunk_minute || n == MAX_CHUNK_SAMPLES))
        {
          sqlite3_bind_int64 (insert, 1, chunk_device);
          sqlite3_bind_int64 (insert, 2, chunk_property);
          sqlite3_bind_int64 (insert, 3, chunk_minute);
          sqlite3_bind_int64 (insert, 4, chunk_id);
          sqlite3_bind_blob (insert, 5, chunk->data, (int)chunk->len, SQLITE_STATIC);
          ret = sqlite3_step (insert);
          sqlite3_reset (insert);
          if (ret != SQLITE_DONE)
            goto out;
          g_byte_array_set_size (chunk, 0);
          n = 0;
        }
      if (!more)
        break;
      if (n == 0)
        {
          chunk_device = device;
          chunk_property = property;
          chunk_minute = minute_of (time_us);
          chunk_id = sqlite3_column_int64 (select, 3);
        }
      chunk_append (chunk, chunk_minute, time_us, sqlite3_column_double (select, 4));
      n++;
    }

  g_clear_pointer (&select, sqlite3_finalize);
  ret = sqlite3_exec (db, "DROP TABLE samples", NULL, NULL, NULL);

out:
  sqlite3_finalize (select);
  sqlite3_finalize (insert);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

/* Bulk insert. Inserting a batch row by row, with one INSERT statement per row, costs a
 * statement execution per row: opening a cursor on the table and on each index (a seek from
 * the root page), checking, closing them again. Profiles of the writer put that overhead at
 * about half of its time. Instead, the resolved batch is offered to SQLite as two read-only,
 * eponymous virtual tables, hearth_batch_events and hearth_batch_samples, and each is copied
 * with one INSERT … SELECT: the cursors stay open for the whole batch, and B-trees whose new
 * entries all go at the end (the events' time order) take SQLite's shortcut for an insert next
 * to the previous one instead of a seek from the root.
 *
 * The tables only ever show the arrays of the connection's own HearthHistory, and only during
 * insert_rows(); they are registered "direct only", so that no view or trigger in a database
 * file can read them. */
typedef struct
{
  sqlite3_vtab base;
  HearthHistory *history;
} BatchTable;

typedef struct
{
  sqlite3_vtab_cursor base;
  GArray *records;
  guint index;
} BatchCursor;

static int
batch_connect (sqlite3 *db, void *aux, const char *declaration, sqlite3_vtab **vtab)
{
  BatchTable *table;
  int ret = sqlite3_declare_vtab (db, declaration);

  if (ret != SQLITE_OK)
    return ret;
  sqlite3_vtab_config (db, SQLITE_VTAB_DIRECTONLY);
  table = sqlite3_malloc (sizeof *table);
  if (table == NULL)
    return SQLITE_NOMEM;
  memset (table, 0, sizeof *table);
  table->history = aux;
  *vtab = &table->base;
  return SQLITE_OK;
}

static int
batch_events_connect (sqlite3 *db, void *aux, int argc, const char *const *argv,
                      sqlite3_vtab **vtab, char **error_message)
{
  return batch_connect (db, aux, "CREATE TABLE x(time_us, id, device, kind, name, data, value)",
                        vtab);
}

static int
batch_samples_connect (sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **vtab, char **error_message)
{
  return batch_connect (db, aux, "CREATE TABLE x(device, property, minute_us, id, samples)", vtab);
}

static int
batch_disconnect (sqlite3_vtab *vtab)
{
  sqlite3_free (vtab);
  return SQLITE_OK;
}

/* Only full scans, in the batch's order. */
static int
batch_best_index (sqlite3_vtab *vtab, sqlite3_index_info *info)
{
  info->estimatedCost = 1000.0;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static int
batch_open (sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
  BatchCursor *batch_cursor = sqlite3_malloc (sizeof *batch_cursor);

  if (batch_cursor == NULL)
    return SQLITE_NOMEM;
  memset (batch_cursor, 0, sizeof *batch_cursor);
  *cursor = &batch_cursor->base;
  return SQLITE_OK;
}

static int
batch_close (sqlite3_vtab_cursor *cursor)
{
  sqlite3_free (cursor);
  return SQLITE_OK;
}

static int
batch_events_filter (sqlite3_vtab_cursor *cursor, int index_number, const char *index_string,
                     int argc, sqlite3_value **argv)
{
  BatchCursor *batch_cursor = (BatchCursor *)cursor;

  batch_cursor->records = ((BatchTable *)cursor->pVtab)->history->event_records;
  batch_cursor->index = 0;
  return SQLITE_OK;
}

static int
batch_samples_filter (sqlite3_vtab_cursor *cursor, int index_number, const char *index_string,
                      int argc, sqlite3_value **argv)
{
  BatchCursor *batch_cursor = (BatchCursor *)cursor;

  batch_cursor->records = ((BatchTable *)cursor->pVtab)->history->chunk_records;
  batch_cursor->index = 0;
  return SQLITE_OK;
}

static int
batch_next (sqlite3_vtab_cursor *cursor)
{
  ((BatchCursor *)cursor)->index++;
  return SQLITE_OK;
}

static int
batch_eof (sqlite3_vtab_cursor *cursor)
{
  BatchCursor *batch_cursor = (BatchCursor *)cursor;

  return batch_cursor->records == NULL || batch_cursor->index >= batch_cursor->records->len;
}

static int
batch_rowid (sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
  *rowid = ((BatchCursor *)cursor)->index;
  return SQLITE_OK;
}

static int
batch_events_column (sqlite3_vtab_cursor *cursor, sqlite3_context *context, int column)
{
  BatchCursor *batch_cursor = (BatchCursor *)cursor;
  const EventRecord *record
      = &g_array_index (batch_cursor->records, EventRecord, batch_cursor->index);

  switch (column)
    {
      case 0:
        sqlite3_result_int64 (context, record->time_us);
        break;
      case 1:
        sqlite3_result_int64 (context, record->id);
        break;
      case 2:
        sqlite3_result_int64 (context, record->device);
        break;
      case 3:
        sqlite3_result_int64 (context, record->kind);
        break;
      case 4:
        sqlite3_result_int64 (context, record->name);
        break;
      case 5:
        /* The text lives in the batch's string chunk until the batch is written. */
        if (record->data != NULL)
          sqlite3_result_text (context, record->data, -1, SQLITE_STATIC);
        else
          sqlite3_result_null (context);
        break;
      default:
        if (record->type == ROW_EVENT_DOUBLE)
          sqlite3_result_double (context, record->number);
        else if (record->type == ROW_EVENT_INTEGER)
          sqlite3_result_int64 (context, record->integer);
        else
          sqlite3_result_null (context);
        break;
    }
  return SQLITE_OK;
}

static int
batch_samples_column (sqlite3_vtab_cursor *cursor, sqlite3_context *context, int column)
{
  BatchCursor *batch_cursor = (BatchCursor *)cursor;
  const ChunkRecord *record
      = &g_array_index (batch_cursor->records, ChunkRecord, batch_cursor->index);

  switch (column)
    {
      case 0:
        sqlite3_result_int64 (context, record->device);
        break;
      case 1:
        sqlite3_result_int64 (context, record->property);
        break;
      case 2:
        sqlite3_result_int64 (context, record->minute_us);
        break;
      case 3:
        sqlite3_result_int64 (context, record->id);
        break;
      default:
        sqlite3_result_blob (
            context, ((BatchTable *)cursor->pVtab)->history->chunk_bytes->data + record->offset,
            (int)record->length, SQLITE_STATIC);
        break;
    }
  return SQLITE_OK;
}

/* Eponymous-only (no xCreate): the tables exist in every schema of the connection without a
 * CREATE VIRTUAL TABLE, and nothing about them is stored in the database file. */
static const sqlite3_module batch_events_module = {
  .xConnect = batch_events_connect,
  .xBestIndex = batch_best_index,
  .xDisconnect = batch_disconnect,
  .xOpen = batch_open,
  .xClose = batch_close,
  .xFilter = batch_events_filter,
  .xNext = batch_next,
  .xEof = batch_eof,
  .xColumn = batch_events_column,
  .xRowid = batch_rowid,
};

static const sqlite3_module batch_samples_module = {
  .xConnect = batch_samples_connect,
  .xBestIndex = batch_best_index,
  .xDisconnect = batch_disconnect,
  .xOpen = batch_open,
  .xClose = batch_close,
  .xFilter = batch_samples_filter,
  .xNext = batch_next,
  .xEof = batch_eof,
  .xColumn = batch_samples_column,
  .xRowid = batch_rowid,
};

/* Creates the schema in a new database, or migrates an older one, in one transaction. */
static int
create_or_migrate_schema (sqlite3 *db, int user_version)
{
  g_autofree char *migrate_sql = NULL;
  int ret;

  if (user_version == SCHEMA_VERSION)
    return SQLITE_OK;

  ret = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (ret != SQLITE_OK)
    return ret;

  /* Versions 1 and 2 are brought to version 3, every version before 4 to 4, and every version
   * before 5 to 5. */
  if (user_version == 1)
    {
      migrate_sql = g_strdup_printf (migrate_from_v1_sql, schema_v3_sql, fill_lists_sql);
      ret = sqlite3_exec (db, migrate_sql, NULL, NULL, NULL);
    }
  else if (user_version == 2)
    {
      migrate_sql = g_strdup_printf (migrate_from_v2_sql, schema_v3_sql, fill_lists_sql);
      ret = sqlite3_exec (db, migrate_sql, NULL, NULL, NULL);
    }
  else if (user_version == 0)
    ret = sqlite3_exec (db, schema_sql, NULL, NULL, NULL);
  else
    ret = SQLITE_OK;

  if (ret == SQLITE_OK && user_version >= 1 && user_version <= 3)
    ret = migrate_samples_to_chunks (db);
  if (ret == SQLITE_OK && user_version >= 1)
    ret = sqlite3_exec (db, EVENTS_VALUE_SQL, NULL, NULL, NULL);

  if (ret == SQLITE_OK)
    ret = sqlite3_exec (db, "PRAGMA user_version=" G_STRINGIFY (SCHEMA_VERSION), NULL, NULL, NULL);
  if (ret == SQLITE_OK)
    ret = sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  if (ret != SQLITE_OK)
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return ret;
}

/* Opens, checks and prepares the database. On failure *corrupt says whether the failure means
 * the file is damaged (then the caller moves it aside) or something else (permissions, disk). */
static gboolean
open_database (HearthHistory *self, gboolean *corrupt, GError **error)
{
  g_autofree char *problem = NULL;
  sqlite3_stmt *stmt = NULL;
  int user_version = 0;
  int ret;

  *corrupt = FALSE;

  if (!create_private_file (self->path, error))
    return FALSE;

  /* No mutex of SQLite's own around every call: the connection is used by one thread at a time,
   * the main thread or the writer, as the hand-over guarantees (see "Threading" above). */
  ret = sqlite3_open_v2 (self->path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* The first statement reads the header: a file that is not a database fails here. */
  /* Under a stream of events, every flush modifies the same few hundred pages: the last leaf of
   * each table and index, and one leaf per device in the by-device indexes. The cache (8 MiB,
   * allocated only as pages are used; SQLite's default is 2 MiB) holds them all, so they are not
   * read back from the file at each flush, and a WAL of up to 4,000 pages (16 MiB) lets a page
   * rewritten by many flushes be copied into the database once per checkpoint. */
  ret = sqlite3_exec (self->db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "PRAGMA cache_size=-8192; PRAGMA wal_autocheckpoint=4000;"
                      "PRAGMA journal_size_limit=16777216;",
                      NULL, NULL, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  ret = quick_check (self->db, &problem);
  if (ret != SQLITE_OK)
    goto sqlite_failed;
  if (problem != NULL)
    {
      *corrupt = TRUE;
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "The history database “%s” is damaged: %s", self->path, problem);
      close_database (self);
      return FALSE;
    }

  ret = sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    user_version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (user_version > SCHEMA_VERSION)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_SUPPORTED,
                   "The history database “%s” has schema version %d, newer than this Hearth's %d",
                   self->path, user_version, SCHEMA_VERSION);
      close_database (self);
      return FALSE;
    }

  ret = create_or_migrate_schema (self->db, user_version);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  /* OR FAIL rather than the default ABORT: on a failure the whole transaction is rolled back
   * anyway, and a statement that may ABORT halfway keeps a statement journal, a copy of every
   * page it changes (with ABORT, a batch of the history-write benchmark spilled one to a
   * temporary file; its CPU cost was within that benchmark's noise). */
  if ((ret = sqlite3_create_module_v2 (self->db, "hearth_batch_events", &batch_events_module, self,
                                       NULL))
          != SQLITE_OK
      || (ret = sqlite3_create_module_v2 (self->db, "hearth_batch_samples", &batch_samples_module,
                                          self, NULL))
             != SQLITE_OK)
    goto sqlite_failed;

  ret = sqlite3_prepare_v3 (self->db,
                            "INSERT OR FAIL INTO events (time_us, id, device, kind, name, data, "
                            "value) "
                            "SELECT time_us, id, device, kind, name, data, value "
                            "FROM hearth_batch_events",
                            -1, SQLITE_PREPARE_PERSISTENT, &self->insert_events, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  ret = sqlite3_prepare_v3 (
      self->db,
      "INSERT OR FAIL INTO sample_chunks (device, property, minute_us, id, "
      "samples) "
      "SELECT device, property, minute_us, id, samples FROM hearth_batch_samples",
      -1, SQLITE_PREPARE_PERSISTENT, &self->insert_samples, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  ret = sqlite3_prepare_v3 (self->db, "UPDATE counters SET next = ?2 WHERE name = ?1", -1,
                            SQLITE_PREPARE_PERSISTENT, &self->update_counter, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  self->kinds = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->series = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  ret = sqlite3_prepare_v3 (self->db, "INSERT OR IGNORE INTO kinds (id) VALUES (?1)", -1,
                            SQLITE_PREPARE_PERSISTENT, &self->insert_kind, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;
  ret = sqlite3_prepare_v3 (self->db,
                            "INSERT OR IGNORE INTO series (device, property) VALUES (?1, ?2)", -1,
                            SQLITE_PREPARE_PERSISTENT, &self->insert_series, NULL);
  if (ret != SQLITE_OK)
    goto sqlite_failed;

  if ((ret = prepare_interned (&self->devices, self->db, "devices", "device_id")) != SQLITE_OK
      || (ret = prepare_interned (&self->names, self->db, "names", "name")) != SQLITE_OK
      || (ret = load_interned (self)) != SQLITE_OK)
    goto sqlite_failed;

  return TRUE;

sqlite_failed:
  *corrupt = is_corruption (ret);
  set_sqlite_error (error, self->db, ret, self->path, "open");
  close_database (self);
  return FALSE;
}

/* Renames the damaged database (and its WAL, which belongs to it) aside with a time stamp, so
 * that it can still be examined or recovered by hand, and deletes the shared-memory index, which
 * SQLite rebuilds. */
static gboolean
move_database_aside (HearthHistory *self, GError **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *aside = NULL;
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (self->path, "-shm", NULL);
  g_autofree char *wal_aside = NULL;

  aside = g_strdup_printf ("%s.corrupt-%s", self->path, stamp);
  for (guint i = 2; g_file_test (aside, G_FILE_TEST_EXISTS); i++)
    {
      g_free (aside);
      aside = g_strdup_printf ("%s.corrupt-%s-%u", self->path, stamp, i);
    }

  if (g_rename (self->path, aside) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not move the damaged history database “%s” aside: %s", self->path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  wal_aside = g_strconcat (aside, "-wal", NULL);
  if (g_rename (wal, wal_aside) != 0 && errno != ENOENT)
    g_debug ("Could not move “%s” aside: %s", wal, g_strerror (errno));
  if (g_unlink (shm) != 0 && errno != ENOENT)
    g_debug ("Could not remove “%s”: %s", shm, g_strerror (errno));

  g_free (self->moved_aside_path);
  self->moved_aside_path = g_steal_pointer (&aside);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MOVED_ASIDE_PATH]);
  return TRUE;
}

/* Opens the database, replacing it with a fresh one if it is damaged. @reason receives why it
 * was replaced (NULL if it was not). */
static gboolean
open_or_replace_database (HearthHistory *self, GError **reason, GError **error)
{
  g_autoptr (GError) open_error = NULL;
  gboolean corrupt;

  if (open_database (self, &corrupt, &open_error))
    return TRUE;

  if (!corrupt)
    {
      g_propagate_error (error, g_steal_pointer (&open_error));
      return FALSE;
    }

  if (!move_database_aside (self, error))
    return FALSE;

  g_set_error (reason, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
               "%s. It was moved to “%s” and a new, empty history was started", open_error->message,
               self->moved_aside_path);

  return open_database (self, &corrupt, error);
}

static int
run_insert (sqlite3_stmt *stmt)
{
  int ret = sqlite3_step (stmt);

  /* No sqlite3_clear_bindings(): every caller binds every parameter of every row. */
  sqlite3_reset (stmt);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

/* Resolves @row's texts to ids (adding new ones to the lookup tables, within the caller's
 * transaction), gives it the next row id and appends it to the batch's records. */
static int
resolve_row (HearthHistory *self, const QueuedRow *row)
{
  gint64 device;
  gint64 name;
  gint64 kind;
  int ret;

  if (row->device_id == self->previous.device_text)
    device = self->previous.device;
  else if ((ret = intern (&self->devices, self->db, row->device_id, TRUE, &device)) != SQLITE_OK)
    return ret;
  self->previous.device_text = row->device_id;
  self->previous.device = device;

  if (row->name == self->previous.name_text)
    name = self->previous.name;
  else if ((ret = intern (&self->names, self->db, row->name, TRUE, &name)) != SQLITE_OK)
    return ret;
  self->previous.name_text = row->name;
  self->previous.name = name;

  if (row->type != ROW_SAMPLE)
    {
      EventRecord *record;

      if (row->kind == self->previous.kind_text)
        kind = self->previous.kind; /* known to be in `kinds` too */
      else if ((ret = intern (&self->names, self->db, row->kind, TRUE, &kind)) != SQLITE_OK)
        return ret;
      else if (!g_hash_table_contains (self->kinds, GSIZE_TO_POINTER ((gsize)kind)))
        {
          sqlite3_bind_int64 (self->insert_kind, 1, kind);
          if ((ret = run_insert (self->insert_kind)) != SQLITE_OK)
            return ret;
          g_hash_table_add (self->kinds, GSIZE_TO_POINTER ((gsize)kind));
        }
      self->previous.kind_text = row->kind;
      self->previous.kind = kind;

      g_array_set_size (self->event_records, self->event_records->len + 1);
      record = &g_array_index (self->event_records, EventRecord, self->event_records->len - 1);
      record->time_us = row->time_us;
      record->id = self->next_event_id++;
      record->device = device;
      record->kind = kind;
      record->name = name;
      record->data = row->data;
      record->type = row->type;
      record->number = row->value;
      record->integer = row->integer;
    }
  else
    {
      SampleRecord *record;

      g_array_set_size (self->sample_records, self->sample_records->len + 1);
      record = &g_array_index (self->sample_records, SampleRecord, self->sample_records->len - 1);
      record->device = device;
      record->property = name;
      record->time_us = row->time_us;
      record->value = row->value;
    }
  return SQLITE_OK;
}

static int
save_counter (HearthHistory *self, const char *name, gint64 next)
{
  sqlite3_bind_text (self->update_counter, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (self->update_counter, 2, next);
  return run_insert (self->update_counter);
}

/* The samples table's order: series, then time and id. */
static int
compare_samples (gconstpointer a, gconstpointer b)
{
  const SampleRecord *x = a;
  const SampleRecord *y = b;

  if (x->device != y->device)
    return x->device < y->device ? -1 : 1;
  if (x->property != y->property)
    return x->property < y->property ? -1 : 1;
  return x->time_us < y->time_us ? -1 : x->time_us > y->time_us;
}

/* Adds a series to `series` unless it is known to be there. */
static int
note_series (HearthHistory *self, gint64 device, gint64 property)
{
  gint64 key;
  int ret;

  if (series_key (device, property, &key) && g_hash_table_contains (self->series, &key))
    return SQLITE_OK;
  sqlite3_bind_int64 (self->insert_series, 1, device);
  sqlite3_bind_int64 (self->insert_series, 2, property);
  if ((ret = run_insert (self->insert_series)) != SQLITE_OK)
    return ret;
  remember_series (self, device, property);
  return SQLITE_OK;
}

/* Packs the batch's samples, sorted, into chunks: one per series and minute, of at most
 * MAX_CHUNK_SAMPLES samples. Each series of the batch is looked up in `series` once (not once
 * per sample, as the samples come grouped by series). */
static int
make_chunks (HearthHistory *self)
{
  ChunkRecord *chunk = NULL;
  int ret;

  g_array_set_size (self->chunk_records, 0);
  g_byte_array_set_size (self->chunk_bytes, 0);
  for (guint i = 0; i < self->sample_records->len; i++)
    {
      const SampleRecord *sample = &g_array_index (self->sample_records, SampleRecord, i);
      gint64 minute_us = minute_of (sample->time_us);

      if (chunk == NULL || chunk->device != sample->device || chunk->property != sample->property
          || chunk->minute_us != minute_us
          || chunk->length == MAX_CHUNK_SAMPLES * CHUNK_SAMPLE_SIZE)
        {
          if ((chunk == NULL || chunk->device != sample->device
               || chunk->property != sample->property)
              && (ret = note_series (self, sample->device, sample->property)) != SQLITE_OK)
            return ret;
          g_array_set_size (self->chunk_records, self->chunk_records->len + 1);
          chunk = &g_array_index (self->chunk_records, ChunkRecord, self->chunk_records->len - 1);
          chunk->device = sample->device;
          chunk->property = sample->property;
          chunk->minute_us = minute_us;
          chunk->id = self->next_sample_id++;
          chunk->offset = self->chunk_bytes->len;
          chunk->length = 0;
        }
      chunk_append (self->chunk_bytes, minute_us, sample->time_us, sample->value);
      chunk->length += CHUNK_SAMPLE_SIZE;
    }
  return SQLITE_OK;
}

/* Empties the batch's arrays of resolved rows. After a burst (a batch is up to 120,000 rows,
 * some 70 bytes each here) their memory is given back rather than kept for good. */
static void
release_records (HearthHistory *self)
{
  if (self->event_records->len > RECORDS_KEPT || self->sample_records->len > RECORDS_KEPT
      || self->chunk_records->len > RECORDS_KEPT)
    {
      g_array_unref (self->event_records);
      g_array_unref (self->sample_records);
      g_array_unref (self->chunk_records);
      g_byte_array_unref (self->chunk_bytes);
      self->event_records = g_array_new (FALSE, FALSE, sizeof (EventRecord));
      self->sample_records = g_array_new (FALSE, FALSE, sizeof (SampleRecord));
      self->chunk_records = g_array_new (FALSE, FALSE, sizeof (ChunkRecord));
      self->chunk_bytes = g_byte_array_new ();
      return;
    }
  g_array_set_size (self->event_records, 0);
  g_array_set_size (self->sample_records, 0);
  g_array_set_size (self->chunk_records, 0);
  g_byte_array_set_size (self->chunk_bytes, 0);
}

/* Inserts @rows, with row ids in the order of adding, and saves the row counters with them.
 * The counters are read in the transaction, so that a second connection to the file (tests
 * have one) never hands out an id twice. The texts are resolved first, then each table gets
 * the whole batch in one statement (see "Bulk insert"). */
static int
insert_rows (HearthHistory *self, GArray *rows)
{
  int ret;

  /* The previous batch's strings are gone; their addresses may be reused for others. */
  self->previous.device_text = self->previous.name_text = self->previous.kind_text = NULL;
  g_array_set_size (self->event_records, 0);
  g_array_set_size (self->sample_records, 0);
  if ((ret = read_counter (self->db, "events", &self->next_event_id)) != SQLITE_OK
      || (ret = read_counter (self->db, "samples", &self->next_sample_id)) != SQLITE_OK)
    return ret;
  for (guint i = 0; i < rows->len; i++)
    {
      if ((ret = resolve_row (self, &g_array_index (rows, QueuedRow, i))) != SQLITE_OK)
        return ret;
    }
  if (self->event_records->len > 0 && (ret = run_insert (self->insert_events)) != SQLITE_OK)
    return ret;
  /* Sorted (stably, so samples of the same time keep their order), the samples fall into
   * chunks, and the chunks come in their table's order: consecutive inserts go to the same
   * leaf page, which is then in the CPU's caches. The events are left in time order, which is
   * their table's order. */
  g_array_sort (self->sample_records, compare_samples);
  if ((ret = make_chunks (self)) != SQLITE_OK)
    return ret;
  if (self->chunk_records->len > 0 && (ret = run_insert (self->insert_samples)) != SQLITE_OK)
    return ret;
  release_records (self);
  if ((ret = save_counter (self, "events", self->next_event_id)) != SQLITE_OK)
    return ret;
  return save_counter (self, "samples", self->next_sample_id);
}

/* Writes @rows in one transaction and empties them (and @strings). Returns the SQLite result so
 * the caller can tell corruption from other failures; on failure the transaction is rolled back
 * and the rows kept. Runs on the writer thread, or on the main thread while the writer holds no
 * batch. */
static int
write_rows (HearthHistory *self, GArray *rows, GStringChunk *strings)
{
  int ret;

  if ((ret = load_interned (self)) != SQLITE_OK)
    return ret;

  ret = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (ret != SQLITE_OK)
    return ret;

  if ((ret = insert_rows (self, rows)) != SQLITE_OK
      || (ret = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
    {
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      /* The rollback may have undone new devices or names and used row ids; they are read
       * again before the next write or query. */
      self->interned_loaded = FALSE;
      return ret;
    }

  g_array_set_size (rows, 0);
  g_string_chunk_clear (strings);
  return SQLITE_OK;
}

/* Runs when SQLite reports corruption during normal work: the same recovery as at start,
 * announced with ::database-replaced. */
static gboolean
replace_damaged_database (HearthHistory *self, int code, GError **error)
{
  g_autoptr (GError) reason = NULL;
  g_autofree char *what
      = g_strdup (self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (code));
  gboolean corrupt;

  close_database (self);
  if (!move_database_aside (self, error))
    return FALSE;

  reason = g_error_new (HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                        "The history database “%s” is damaged (%s). It was moved to “%s” and a "
                        "new, empty history was started",
                        self->path, what, self->moved_aside_path);

  if (!open_database (self, &corrupt, error))
    return FALSE;

  g_signal_emit (self, signals[DATABASE_REPLACED], 0, reason);
  return TRUE;
}

static gpointer
writer_main (gpointer data)
{
  HearthHistory *self = data;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      char *message = NULL;
      int ret;

      while (!self->batch_pending && !self->stopping)
        g_cond_wait (&self->cond, &self->lock);
      if (!self->batch_pending)
        break;
      g_mutex_unlock (&self->lock);

      ret = write_rows (self, self->batch, self->batch_strings);
      if (ret != SQLITE_OK)
        message = g_strdup (sqlite3_errmsg (self->db));

      g_mutex_lock (&self->lock);
      self->batch_result = ret;
      g_free (self->batch_error);
      self->batch_error = message;
      self->batch_pending = FALSE;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Waits until the writer holds no batch; from then on the main thread may use the connection
 * and the batch until it hands over the next one. */
static void
wait_for_writer (HearthHistory *self)
{
  g_mutex_lock (&self->lock);
  while (self->batch_pending)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

/* Gives the writer the failed batch again, or else the queue, if it is idle. */
static void
hand_over (HearthHistory *self)
{
  if (self->writer == NULL || self->db == NULL)
    return;

  g_mutex_lock (&self->lock);
  if (!self->batch_pending && self->batch_result == SQLITE_OK
      && (self->batch->len > 0 || self->queue->len > 0))
    {
      if (self->batch->len == 0)
        {
          GArray *rows = self->batch;
          GStringChunk *strings = self->batch_strings;

          self->batch = self->queue;
          self->batch_strings = self->queue_strings;
          self->queue = rows;
          self->queue_strings = strings;
        }
      self->batch_pending = TRUE;
      g_cond_signal (&self->cond);
    }
  g_mutex_unlock (&self->lock);
}

/* On the main thread: reports a batch the writer could not write. Corruption replaces the
 * database, after which the batch is written again; other failures are announced with
 * ::write-failed and the batch is retried at the next hand-over. */
static void
report_writer_result (HearthHistory *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  int ret;

  g_mutex_lock (&self->lock);
  ret = self->batch_pending ? SQLITE_OK : self->batch_result;
  if (ret != SQLITE_OK)
    {
      message = g_steal_pointer (&self->batch_error);
      self->batch_result = SQLITE_OK;
    }
  g_mutex_unlock (&self->lock);

  if (ret == SQLITE_OK)
    return;

  if (is_corruption (ret))
    {
      if (replace_damaged_database (self, ret, &error))
        return; /* the kept batch goes to the fresh database with the next hand-over */
    }
  else
    g_set_error (&error, HEARTH_ERROR, HEARTH_ERROR_FAILED,
                 "Could not write to the history database “%s”: %s", self->path,
                 message != NULL ? message : sqlite3_errstr (ret));
  g_signal_emit (self, signals[WRITE_FAILED], 0, error);
}

static gboolean
writer_has_work (HearthHistory *self)
{
  gboolean busy;

  g_mutex_lock (&self->lock);
  busy = self->batch_pending || self->batch->len > 0;
  g_mutex_unlock (&self->lock);
  return busy || self->queue->len > 0;
}

static gboolean
flush_cb (gpointer user_data)
{
  HearthHistory *self = HEARTH_HISTORY (user_data);
  g_autoptr (GError) error = NULL;

  self->flush_source = 0;
  if (self->writer == NULL)
    {
      if (!hearth_history_flush (self, &error))
        g_signal_emit (self, signals[WRITE_FAILED], 0, error);
      return G_SOURCE_REMOVE;
    }

  report_writer_result (self);
  hand_over (self);
  /* Ticks go on while the writer has work, so that its result is looked at and the rows queued
   * meanwhile follow. */
  if (writer_has_work (self))
    self->flush_source = g_timeout_add (self->flush_interval, flush_cb, self);
  return G_SOURCE_REMOVE;
}

static gboolean
maintenance_cb (gpointer user_data)
{
  HearthHistory *self = HEARTH_HISTORY (user_data);
  g_autoptr (GError) error = NULL;

  if (!hearth_history_run_maintenance (self, g_get_real_time (), &error))
    g_signal_emit (self, signals[WRITE_FAILED], 0, error);

  return G_SOURCE_CONTINUE;
}

static QueuedRow *
enqueue (HearthHistory *self)
{
  if (self->queue->len >= MAX_QUEUE_LENGTH)
    {
      /* The disk has been failing for a while (full, or read-only): keep memory bounded and
       * count what is lost so that it can be reported, instead of growing without limit. */
      self->n_dropped++;
      return NULL;
    }

  g_array_set_size (self->queue, self->queue->len + 1);
  return &g_array_index (self->queue, QueuedRow, self->queue->len - 1);
}

static void
after_enqueue (HearthHistory *self)
{
  if (self->queue->len >= FLUSH_AT_QUEUE_LENGTH && self->writer != NULL)
    {
      report_writer_result (self);
      hand_over (self);
      if (self->queue->len >= BACKPRESSURE_QUEUE_LENGTH)
        {
          wait_for_writer (self);
          report_writer_result (self);
          hand_over (self);
        }
    }
  else if (self->queue->len >= FLUSH_AT_QUEUE_LENGTH)
    {
      g_autoptr (GError) error = NULL;

      g_clear_handle_id (&self->flush_source, g_source_remove);
      if (!hearth_history_flush (self, &error))
        g_signal_emit (self, signals[WRITE_FAILED], 0, error);
      return;
    }

  if (self->flush_source == 0)
    self->flush_source = g_timeout_add (self->flush_interval, flush_cb, self);
}

static void
hearth_history_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthHistory *self = HEARTH_HISTORY (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_value_set_string (value, self->data_dir);
        break;

      case PROP_MOVED_ASIDE_PATH:
        g_value_set_string (value, self->moved_aside_path);
        break;

      case PROP_RETENTION_DAYS:
        g_value_set_uint (value, self->retention_days);
        break;

      case PROP_RAW_HOURS:
        g_value_set_uint (value, self->raw_hours);
        break;

      case PROP_FLUSH_INTERVAL:
        g_value_set_uint (value, self->flush_interval);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_history_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  HearthHistory *self = HEARTH_HISTORY (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_assert (self->data_dir == NULL);
        self->data_dir = g_value_dup_string (value);
        break;

      case PROP_RETENTION_DAYS:
        hearth_history_set_retention_days (self, g_value_get_uint (value));
        break;

      case PROP_RAW_HOURS:
        hearth_history_set_raw_hours (self, g_value_get_uint (value));
        break;

      case PROP_FLUSH_INTERVAL:
        hearth_history_set_flush_interval (self, g_value_get_uint (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_history_dispose (GObject *object)
{
  HearthHistory *self = HEARTH_HISTORY (object);

  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_handle_id (&self->maintenance_source, g_source_remove);

  /* The writer finishes the batch it holds, then ends. */
  if (self->writer != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      g_clear_pointer (&self->writer, g_thread_join);
    }

  /* Rows still queued are written now; nobody is left to hear about a failure. */
  if (self->db != NULL && self->queue != NULL && (self->queue->len > 0 || self->batch->len > 0))
    {
      g_autoptr (GError) error = NULL;

      if (!hearth_history_flush (self, &error))
        g_debug ("Could not write the last history rows: %s", error->message);
    }

  close_database (self);

  G_OBJECT_CLASS (hearth_history_parent_class)->dispose (object);
}

static void
hearth_history_finalize (GObject *object)
{
  HearthHistory *self = HEARTH_HISTORY (object);

  g_clear_pointer (&self->queue, g_array_unref);
  g_clear_pointer (&self->queue_strings, g_string_chunk_free);
  g_clear_pointer (&self->batch, g_array_unref);
  g_clear_pointer (&self->batch_strings, g_string_chunk_free);
  g_clear_pointer (&self->batch_error, g_free);
  g_clear_pointer (&self->event_records, g_array_unref);
  g_clear_pointer (&self->sample_records, g_array_unref);
  g_clear_pointer (&self->chunk_records, g_array_unref);
  g_clear_pointer (&self->chunk_bytes, g_byte_array_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->moved_aside_path, g_free);

  G_OBJECT_CLASS (hearth_history_parent_class)->finalize (object);
}

static void
hearth_history_class_init (HearthHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  /* SQLite's allocation statistics take a process-wide mutex around every malloc and free,
   * several per inserted row; nothing reads them. This only works before SQLite is first
   * initialised, which the first HearthHistory does, and is harmless (SQLITE_MISUSE) after. */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);

  object_class->get_property = hearth_history_get_property;
  object_class->set_property = hearth_history_set_property;
  object_class->dispose = hearth_history_dispose;
  object_class->finalize = hearth_history_finalize;

  /**
   * HearthHistory:data-dir:
   *
   * The directory that holds `history.sqlite`; created (mode 0700) when missing.
   */
  properties[PROP_DATA_DIR]
      = g_param_spec_string ("data-dir", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistory:moved-aside-path:
   *
   * Where a damaged database was moved when it was replaced by a fresh one, or %NULL. The hub
   * shows this to the user.
   */
  properties[PROP_MOVED_ASIDE_PATH]
      = g_param_spec_string ("moved-aside-path", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistory:retention-days:
   *
   * Events and samples older than this are deleted by the maintenance pass.
   */
  properties[PROP_RETENTION_DAYS]
      = g_param_spec_uint ("retention-days", NULL, NULL, 1, 36500, DEFAULT_RETENTION_DAYS,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistory:raw-hours:
   *
   * Samples are kept as they came for this many hours, then merged into per-minute minimum,
   * maximum and average by the maintenance pass.
   */
  properties[PROP_RAW_HOURS]
      = g_param_spec_uint ("raw-hours", NULL, NULL, 0, 24 * 36500, DEFAULT_RAW_HOURS,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthHistory:flush-interval:
   *
   * How long, in milliseconds, rows may wait in memory before they are written in one
   * transaction.
   */
  properties[PROP_FLUSH_INTERVAL]
      = g_param_spec_uint ("flush-interval", NULL, NULL, 1, 10000, DEFAULT_FLUSH_INTERVAL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthHistory::database-replaced:
   * @reason: what was wrong and where the damaged database went
   *
   * Corruption was found while the hub was running; the damaged database was moved aside and a
   * fresh one started. The hub keeps running and can tell the user.
   */
  signals[DATABASE_REPLACED]
      = g_signal_new ("database-replaced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * HearthHistory::write-failed:
   * @error: what went wrong
   *
   * A deferred write or maintenance pass failed (disk full, read-only file system). Queued rows
   * are kept and retried at the next flush, up to a limit.
   */
  signals[WRITE_FAILED]
      = g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hearth_history_init (HearthHistory *self)
{
  self->retention_days = DEFAULT_RETENTION_DAYS;
  self->raw_hours = DEFAULT_RAW_HOURS;
  self->flush_interval = DEFAULT_FLUSH_INTERVAL;
  self->queue = g_array_new (FALSE, TRUE, sizeof (QueuedRow));
  self->queue_strings = g_string_chunk_new (64 * 1024);
  self->batch = g_array_new (FALSE, TRUE, sizeof (QueuedRow));
  self->batch_strings = g_string_chunk_new (64 * 1024);
  self->event_records = g_array_new (FALSE, FALSE, sizeof (EventRecord));
  self->sample_records = g_array_new (FALSE, FALSE, sizeof (SampleRecord));
  self->chunk_records = g_array_new (FALSE, FALSE, sizeof (ChunkRecord));
  self->chunk_bytes = g_byte_array_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

static gboolean
hearth_history_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  HearthHistory *self = HEARTH_HISTORY (initable);
  g_autoptr (GError) reason = NULL;

  if (self->data_dir == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A history needs a data directory");
      return FALSE;
    }

  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the data directory “%s”: %s", self->data_dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  self->path = g_build_filename (self->data_dir, HEARTH_HISTORY_FILE, NULL);

  if (!open_or_replace_database (self, &reason, error))
    return FALSE;

  if (reason != NULL)
    g_debug ("%s", reason->message);

  self->maintenance_source = g_timeout_add_seconds (MAINTENANCE_INTERVAL_S, maintenance_cb, self);
  self->writer = g_thread_new ("hearth-history", writer_main, self);
  return TRUE;
}

static void
hearth_history_initable_iface_init (GInitableIface *iface)
{
  iface->init = hearth_history_initable_init;
}

/**
 * hearth_history_new:
 * @data_dir: the hub's data directory
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Opens the history in @data_dir. A damaged database does not make this fail: it is moved aside
 * (see #HearthHistory:moved-aside-path) and a fresh one is used. It fails only when no database
 * can be opened at all, e.g. on a read-only or full disk.
 *
 * Returns: (transfer full): the history, or %NULL with @error set
 */
HearthHistory *
hearth_history_new (const char *data_dir, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (data_dir != NULL, NULL);

  return g_initable_new (HEARTH_TYPE_HISTORY, cancellable, error, "data-dir", data_dir, NULL);
}

const char *
hearth_history_get_data_dir (HearthHistory *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), NULL);

  return self->data_dir;
}

/**
 * hearth_history_get_moved_aside_path:
 * @self: a #HearthHistory
 *
 * Returns: (nullable): where a damaged database was moved, or %NULL if none was
 */
const char *
hearth_history_get_moved_aside_path (HearthHistory *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), NULL);

  return self->moved_aside_path;
}

guint
hearth_history_get_retention_days (HearthHistory *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), 0);

  return self->retention_days;
}

void
hearth_history_set_retention_days (HearthHistory *self, guint retention_days)
{
  g_return_if_fail (HEARTH_IS_HISTORY (self));
  g_return_if_fail (retention_days >= 1);

  if (self->retention_days == retention_days)
    return;

  self->retention_days = retention_days;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETENTION_DAYS]);
}

guint
hearth_history_get_raw_hours (HearthHistory *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), 0);

  return self->raw_hours;
}

void
hearth_history_set_raw_hours (HearthHistory *self, guint raw_hours)
{
  g_return_if_fail (HEARTH_IS_HISTORY (self));

  if (self->raw_hours == raw_hours)
    return;

  self->raw_hours = raw_hours;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RAW_HOURS]);
}

guint
hearth_history_get_flush_interval (HearthHistory *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), 0);

  return self->flush_interval;
}

void
hearth_history_set_flush_interval (HearthHistory *self, guint flush_interval_ms)
{
  g_return_if_fail (HEARTH_IS_HISTORY (self));
  g_return_if_fail (flush_interval_ms >= 1);

  if (self->flush_interval == flush_interval_ms)
    return;

  self->flush_interval = flush_interval_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLUSH_INTERVAL]);
}

/**
 * hearth_history_get_n_dropped:
 * @self: a #HearthHistory
 *
 * Returns: how many rows were dropped because writes kept failing and the queue was full
 */
guint64
hearth_history_get_n_dropped (HearthHistory *self)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), 0);

  return self->n_dropped;
}

/* The row queued before the one just added, or NULL. Its strings are in the queue's string
 * chunk: every queued row's are, and the chunk is only cleared or handed over with its rows. */
static const QueuedRow *
previous_row (HearthHistory *self)
{
  if (self->queue->len < 2)
    return NULL;
  return &g_array_index (self->queue, QueuedRow, self->queue->len - 2);
}

/* @text in the queue's string chunk. The bus records a property change as an event and then a
 * sample of the same device and property, and a NOTIFY's changes come from one device, so
 * comparing with the previous row's text usually finds it without hashing. */
static const char *
queue_text (HearthHistory *self, const char *previous, const char *text)
{
  if (previous != NULL && strcmp (previous, text) == 0)
    return previous;
  return g_string_chunk_insert_const (self->queue_strings, text);
}

/**
 * hearth_history_add_event:
 * @self: a #HearthHistory
 * @time_us: when it happened, microseconds since the Unix epoch
 * @device_id: the device
 * @kind: the kind of event, e.g. "event" or "online"
 * @name: the event's name
 * @data_json: (nullable): its data as JSON text, already validated by the caller
 *
 * Queues an event; it is written with the next flush.
 */
void
hearth_history_add_event (HearthHistory *self, gint64 time_us, const char *device_id,
                          const char *kind, const char *name, const char *data_json)
{
  const QueuedRow *previous;
  QueuedRow *row;

  g_return_if_fail (HEARTH_IS_HISTORY (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (kind != NULL);
  g_return_if_fail (name != NULL);

  if ((row = enqueue (self)) == NULL)
    return;

  previous = previous_row (self);
  row->type = ROW_EVENT;
  row->time_us = time_us;
  row->device_id = queue_text (self, previous != NULL ? previous->device_id : NULL, device_id);
  row->kind = queue_text (self, previous != NULL ? previous->kind : NULL, kind);
  row->name = queue_text (self, previous != NULL ? previous->name : NULL, name);
  row->data = data_json != NULL ? g_string_chunk_insert (self->queue_strings, data_json) : NULL;
  after_enqueue (self);
}

/* Queues an event whose data is a number, kept as such (see EVENTS_VALUE_SQL). */
static void
add_number_event (HearthHistory *self, RowType type, gint64 time_us, const char *device_id,
                  const char *kind, const char *name, double number, gint64 integer)
{
  const QueuedRow *previous;
  QueuedRow *row;

  if ((row = enqueue (self)) == NULL)
    return;

  previous = previous_row (self);
  row->type = type;
  row->time_us = time_us;
  row->device_id = queue_text (self, previous != NULL ? previous->device_id : NULL, device_id);
  row->kind = queue_text (self, previous != NULL ? previous->kind : NULL, kind);
  row->name = queue_text (self, previous != NULL ? previous->name : NULL, name);
  row->data = NULL;
  row->value = number;
  row->integer = integer;
  after_enqueue (self);
}

/**
 * hearth_history_add_event_double:
 * @self: a #HearthHistory
 * @time_us: when it happened, microseconds since the Unix epoch
 * @device_id: the device
 * @kind: the kind of event, e.g. "property"
 * @name: the event's name
 * @value: its data, a finite JSON number that is a double
 *
 * Queues an event like hearth_history_add_event() with the JSON text of @value as its data
 * (the text hearth_event_format_value_json() gives a double, e.g. `21.3` or `21.0`), without
 * making that text now: it is made when the event is read.
 */
void
hearth_history_add_event_double (HearthHistory *self, gint64 time_us, const char *device_id,
                                 const char *kind, const char *name, double value)
{
  g_return_if_fail (HEARTH_IS_HISTORY (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (kind != NULL);
  g_return_if_fail (name != NULL);
  /* JSON has no text for them; hearth_history_add_event() takes whatever the caller makes. */
  g_return_if_fail (isfinite (value));

  add_number_event (self, ROW_EVENT_DOUBLE, time_us, device_id, kind, name, value, 0);
}

/**
 * hearth_history_add_event_int:
 * @self: a #HearthHistory
 * @time_us: when it happened, microseconds since the Unix epoch
 * @device_id: the device
 * @kind: the kind of event, e.g. "property"
 * @name: the event's name
 * @value: its data, a JSON integer
 *
 * Queues an event like hearth_history_add_event() with the JSON text of @value (e.g. `21`) as
 * its data, made when the event is read.
 */
void
hearth_history_add_event_int (HearthHistory *self, gint64 time_us, const char *device_id,
                              const char *kind, const char *name, gint64 value)
{
  g_return_if_fail (HEARTH_IS_HISTORY (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (kind != NULL);
  g_return_if_fail (name != NULL);

  add_number_event (self, ROW_EVENT_INTEGER, time_us, device_id, kind, name, 0, value);
}

/**
 * hearth_history_add_sample:
 * @self: a #HearthHistory
 * @time_us: when it was measured, microseconds since the Unix epoch
 * @device_id: the device
 * @property: the numeric property
 * @value: its value
 *
 * Queues a sample; it is written with the next flush.
 */
void
hearth_history_add_sample (HearthHistory *self, gint64 time_us, const char *device_id,
                           const char *property, double value)
{
  const QueuedRow *previous;
  QueuedRow *row;

  g_return_if_fail (HEARTH_IS_HISTORY (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (property != NULL);

  if ((row = enqueue (self)) == NULL)
    return;

  previous = previous_row (self);
  row->type = ROW_SAMPLE;
  row->time_us = time_us;
  row->kind = NULL;
  row->device_id = queue_text (self, previous != NULL ? previous->device_id : NULL, device_id);
  row->name = queue_text (self, previous != NULL ? previous->name : NULL, property);
  row->value = value;
  after_enqueue (self);
}

/* Writes @rows on the calling (main) thread, replacing a damaged database once. */
static gboolean
write_now (HearthHistory *self, GArray *rows, GStringChunk *strings, GError **error)
{
  int ret;

  if (rows->len == 0)
    return TRUE;
  if (!check_open (self, error))
    return FALSE;

  ret = write_rows (self, rows, strings);
  if (ret == SQLITE_OK)
    return TRUE;

  if (is_corruption (ret))
    {
      if (!replace_damaged_database (self, ret, error))
        return FALSE;
      ret = write_rows (self, rows, strings);
      if (ret == SQLITE_OK)
        return TRUE;
    }

  return set_sqlite_error (error, self->db, ret, self->path, "write to");
}

/**
 * hearth_history_flush:
 * @self: a #HearthHistory
 * @error: return location for a #GError
 *
 * Writes the queued rows now, in one transaction. Queries flush first, so they always see
 * every row added before them.
 *
 * Returns: %TRUE when the queue is written; on failure the rows stay queued
 */
gboolean
hearth_history_flush (HearthHistory *self, GError **error)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_clear_handle_id (&self->flush_source, g_source_remove);

  /* From here the writer holds nothing, and gets nothing until the next hand-over, which only
   * this thread makes: the connection and the batch are this thread's. A failure of the last
   * batch is reported through @error below, when the kept batch is written again. */
  wait_for_writer (self);
  g_mutex_lock (&self->lock);
  self->batch_result = SQLITE_OK;
  g_clear_pointer (&self->batch_error, g_free);
  g_mutex_unlock (&self->lock);

  /* The rows of a failed batch are older than those queued since, so they go first. */
  return write_now (self, self->batch, self->batch_strings, error)
         && write_now (self, self->queue, self->queue_strings, error);
}

/* Reads the lookup tables again if a failed batch left them stale; on the main thread, which
 * holds the connection after a flush. */
static gboolean
ensure_interned (HearthHistory *self, GError **error)
{
  int ret = load_interned (self);

  if (ret != SQLITE_OK)
    return set_sqlite_error (error, self->db, ret, self->path, "read");
  return TRUE;
}

static int
compare_points (gconstpointer a, gconstpointer b)
{
  const HearthHistoryPoint *x = a;
  const HearthHistoryPoint *y = b;

  return x->time_us < y->time_us ? -1 : x->time_us > y->time_us;
}

/**
 * hearth_history_query_samples:
 * @self: a #HearthHistory
 * @device_id: the device
 * @property: the numeric property
 * @from_us: the start of the range (inclusive), microseconds since the Unix epoch
 * @to_us: the end of the range (inclusive)
 * @error: return location for a #GError
 *
 * Returns the samples of one property over a time range, oldest first: raw samples as they
 * came, and older ones as per-minute points with their minimum and maximum.
 *
 * Returns: (transfer full) (element-type HearthHistoryPoint): the points, or %NULL with @error
 */
GArray *
hearth_history_query_samples (HearthHistory *self, const char *device_id, const char *property,
                              gint64 from_us, gint64 to_us, GError **error)
{
  g_autoptr (GArray) points = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 device;
  gint64 name;
  int ret;

  g_return_val_if_fail (HEARTH_IS_HISTORY (self), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);
  g_return_val_if_fail (property != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!hearth_history_flush (self, error) || !check_open (self, error)
      || !ensure_interned (self, error))
    return NULL;

  points = g_array_new (FALSE, FALSE, sizeof (HearthHistoryPoint));
  /* A device or property that no row names has no samples. */
  if ((ret = intern (&self->devices, self->db, device_id, FALSE, &device)) != SQLITE_OK
      || (ret = intern (&self->names, self->db, property, FALSE, &name)) != SQLITE_OK)
    {
      if (ret == SQLITE_DONE)
        return g_steal_pointer (&points);
      set_sqlite_error (error, self->db, ret, self->path, "query");
      return NULL;
    }

  /* The minutes in the range, and the chunks of the minutes the range touches: both are ranges
   * of their tables' primary keys. A chunk's samples outside the range are left out below. */
  ret = sqlite3_prepare_v2 (self->db,
                            "SELECT 0, minute_us, value_sum / n, value_min, value_max, n, NULL "
                            "FROM sample_minutes "
                            "WHERE device = ?1 AND property = ?2 AND minute_us BETWEEN ?3 AND ?4 "
                            "UNION ALL "
                            "SELECT 1, minute_us, 0, 0, 0, 0, samples FROM sample_chunks "
                            "WHERE device = ?1 AND property = ?2 AND minute_us BETWEEN ?5 AND ?6",
                            -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, ret, self->path, "query");
      return NULL;
    }

  sqlite3_bind_int64 (stmt, 1, device);
  sqlite3_bind_int64 (stmt, 2, name);
  sqlite3_bind_int64 (stmt, 3, from_us);
  sqlite3_bind_int64 (stmt, 4, to_us);
  /* minute_of() never decreases with time, so a sample in [from, to] is in a chunk whose
   * minute is in [minute_of (from), minute_of (to)]. */
  sqlite3_bind_int64 (stmt, 5, minute_of (from_us));
  sqlite3_bind_int64 (stmt, 6, minute_of (to_us));
  while ((ret = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthHistoryPoint point;

      if (sqlite3_column_int (stmt, 0) == 0)
        {
          point.time_us = sqlite3_column_int64 (stmt, 1);
          point.value = sqlite3_column_double (stmt, 2);
          point.min = sqlite3_column_double (stmt, 3);
          point.max = sqlite3_column_double (stmt, 4);
          point.count = (guint)CLAMP (sqlite3_column_int64 (stmt, 5), 0, G_MAXUINT);
          g_array_append_val (points, point);
        }
      else
        {
          const guint8 *chunk = sqlite3_column_blob (stmt, 6);
          guint n = (guint)sqlite3_column_bytes (stmt, 6) / CHUNK_SAMPLE_SIZE;
          gint64 minute_us = sqlite3_column_int64 (stmt, 1);

          for (guint i = 0; chunk != NULL && i < n; i++)
            {
              chunk_get (chunk, i, minute_us, &point.time_us, &point.value);
              if (point.time_us < from_us || point.time_us > to_us)
                continue;
              point.min = point.max = point.value;
              point.count = 1;
              g_array_append_val (points, point);
            }
        }
    }
  sqlite3_finalize (stmt);

  if (ret != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, ret, self->path, "query");
      return NULL;
    }

  /* Oldest first. Chunks of one minute written by different batches may interleave in time. */
  g_array_sort (points, compare_points);
  return g_steal_pointer (&points);
}

#define MAX_MERGED_KINDS 64

/* An event's data as JSON text: `data` as it is, or else the number in `value`, written as
 * hearth_event_format_value_json() writes a JSON number (a double always with a fraction or
 * an exponent, so that 21.0 stays a double). */
static char *
column_data_json (sqlite3_stmt *stmt, int data_column, int value_column)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  switch (sqlite3_column_type (stmt, data_column) != SQLITE_NULL
              ? SQLITE_TEXT
              : sqlite3_column_type (stmt, value_column))
    {
      case SQLITE_TEXT:
        return g_strdup ((const char *)sqlite3_column_text (stmt, data_column));
      case SQLITE_INTEGER:
        return g_strdup_printf ("%" G_GINT64_FORMAT,
                                (gint64)sqlite3_column_int64 (stmt, value_column));
      case SQLITE_FLOAT:
        hearth_format_double (number, sizeof number, sqlite3_column_double (stmt, value_column));
        if (strpbrk (number, ".eEn") == NULL)
          return g_strconcat (number, ".0", NULL);
        return g_strdup (number);
      default:
        return NULL;
    }
}

/* Appends one ordered, limited range of events: the filters given, newest first. */
static void
append_events_range (GString *sql, gboolean by_device, const char *kind_term, gboolean before)
{
  g_string_append (sql, "SELECT id, time_us, device, kind, name, data, value FROM events "
                        "WHERE time_us >= ?1");
  if (by_device)
    g_string_append (sql, " AND device = ?2");
  if (kind_term != NULL)
    g_string_append (sql, kind_term);
  /* "time_us <= ?5" is the range the index walk starts from; the second term only skips the
   * rows of the same microsecond that the previous page already returned. */
  if (before)
    g_string_append (sql, " AND time_us <= ?5 AND (time_us < ?5 OR id < ?6)");
  g_string_append (sql, " ORDER BY time_us DESC, id DESC LIMIT ?4");
}

/* The ids of the kinds that events have, read from the table (not memory) so that rows another
 * connection wrote count too. */
static int
read_kinds (HearthHistory *self, GArray **kinds)
{
  sqlite3_stmt *stmt = NULL;
  int ret;

  *kinds = g_array_new (FALSE, FALSE, sizeof (gint64));
  ret = sqlite3_prepare_v2 (self->db, "SELECT id FROM kinds", -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;
  while ((ret = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (*kinds, id);
    }
  sqlite3_finalize (stmt);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

/* The event queries share one statement shape. Only constant text goes into the statement;
 * values are bound. Leaving out the filters that were not asked for lets SQLite pick the index
 * whose leading columns are the filters and whose next columns are (time_us, id), and walk it
 * backwards from the bound: no sort, and the scan stops after @limit rows. */
static GPtrArray *
query_events (HearthHistory *self, const char *device_id, const char *kind, gint64 since_us,
              gboolean before, gint64 before_time_us, gint64 before_row_id, guint limit,
              GError **error)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GString) sql = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 device = 0;
  gint64 kind_id = 0;
  int ret;

  if (!hearth_history_flush (self, error) || !check_open (self, error)
      || !ensure_interned (self, error))
    return NULL;

  events = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_history_event_free);
  /* A device or kind that no row names has no events. */
  if ((device_id != NULL
       && (ret = intern (&self->devices, self->db, device_id, FALSE, &device)) != SQLITE_OK)
      || (kind != NULL
          && (ret = intern (&self->names, self->db, kind, FALSE, &kind_id)) != SQLITE_OK))
    {
      if (ret == SQLITE_DONE)
        return g_steal_pointer (&events);
      set_sqlite_error (error, self->db, ret, self->path, "query");
      return NULL;
    }

  sql = g_string_new (NULL);
  if (device_id != NULL && kind == NULL)
    {
      g_autoptr (GArray) kinds = NULL;

      if ((ret = read_kinds (self, &kinds)) != SQLITE_OK)
        {
          set_sqlite_error (error, self->db, ret, self->path, "query");
          return NULL;
        }
      if (kinds->len == 0)
        return g_steal_pointer (&events);
      /* One range of events_by_device_kind per kind, each at most @limit rows, merged: the cost
       * is O(kinds × limit). Only integers from the database go into the text. Beyond a
       * compound statement's limit of terms (never with the hub's five kinds), one filtered
       * scan does it instead. */
      if (kinds->len <= MAX_MERGED_KINDS)
        {
          g_string_append (sql, "SELECT * FROM (");
          for (guint i = 0; i < kinds->len; i++)
            {
              g_autofree char *kind_term = g_strdup_printf (" AND kind = %" G_GINT64_FORMAT,
                                                            g_array_index (kinds, gint64, i));

              if (i > 0)
                g_string_append (sql, " UNION ALL ");
              g_string_append (sql, "SELECT * FROM (");
              append_events_range (sql, TRUE, kind_term, before);
              g_string_append (sql, ")");
            }
          g_string_append (sql, ") ORDER BY time_us DESC, id DESC LIMIT ?4");
        }
      else
        append_events_range (sql, TRUE, NULL, before);
    }
  else
    append_events_range (sql, device_id != NULL, kind != NULL ? " AND kind = ?3" : NULL, before);

  ret = sqlite3_prepare_v2 (self->db, sql->str, -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, ret, self->path, "query");
      return NULL;
    }

  sqlite3_bind_int64 (stmt, 1, since_us);
  if (device_id != NULL)
    sqlite3_bind_int64 (stmt, 2, device);
  if (kind != NULL)
    sqlite3_bind_int64 (stmt, 3, kind_id);
  sqlite3_bind_int64 (stmt, 4, limit);
  if (before)
    {
      sqlite3_bind_int64 (stmt, 5, before_time_us);
      sqlite3_bind_int64 (stmt, 6, before_row_id);
    }

  while ((ret = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthHistoryEvent *event = g_new0 (HearthHistoryEvent, 1);

      event->id = sqlite3_column_int64 (stmt, 0);
      event->time_us = sqlite3_column_int64 (stmt, 1);
      event->device_id = interned_text (&self->devices, sqlite3_column_int64 (stmt, 2));
      event->kind = interned_text (&self->names, sqlite3_column_int64 (stmt, 3));
      event->name = interned_text (&self->names, sqlite3_column_int64 (stmt, 4));
      event->data = column_data_json (stmt, 5, 6);
      g_ptr_array_add (events, event);
    }
  sqlite3_finalize (stmt);

  if (ret != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, ret, self->path, "query");
      return NULL;
    }

  return g_steal_pointer (&events);
}

/**
 * hearth_history_query_events:
 * @self: a #HearthHistory
 * @device_id: (nullable): only this device's events
 * @kind: (nullable): only events of this kind
 * @since_us: only events at or after this time
 * @limit: at most this many events
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type HearthHistoryEvent): the most recent matching events,
 *   newest first, or %NULL with @error set
 */
GPtrArray *
hearth_history_query_events (HearthHistory *self, const char *device_id, const char *kind,
                             gint64 since_us, guint limit, GError **error)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return query_events (self, device_id, kind, since_us, FALSE, 0, 0, limit, error);
}

/**
 * hearth_history_query_events_before:
 * @self: a #HearthHistory
 * @device_id: (nullable): only this device's events
 * @kind: (nullable): only events of this kind
 * @before_time_us: the time of the last event of the previous page
 * @before_row_id: the #HearthHistoryEvent.id of the last event of the previous page
 * @limit: at most this many events
 * @error: return location for a #GError
 *
 * Keyset paging for long event lists: returns the matching events strictly older than the
 * event (@before_time_us, @before_row_id) in the order of hearth_history_query_events(), newest
 * first. Pass the last event of one page to get the next. Unlike an OFFSET, the cost does not
 * grow with the depth of the page (an indexed range scan of @limit rows), and rows added
 * meanwhile neither repeat nor skip events. To start at the newest event, pass %G_MAXINT64 for
 * both.
 *
 * Returns: (transfer full) (element-type HearthHistoryEvent): the events, or %NULL with @error
 */
GPtrArray *
hearth_history_query_events_before (HearthHistory *self, const char *device_id, const char *kind,
                                    gint64 before_time_us, gint64 before_row_id, guint limit,
                                    GError **error)
{
  g_return_val_if_fail (HEARTH_IS_HISTORY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return query_events (self, device_id, kind, G_MININT64, TRUE, before_time_us, before_row_id,
                       limit, error);
}

static int
exec_with_time (sqlite3 *db, const char *sql, gint64 time_us)
{
  sqlite3_stmt *stmt = NULL;
  int ret;

  ret = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (ret != SQLITE_OK)
    return ret;

  sqlite3_bind_int64 (stmt, 1, time_us);
  ret = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

enum
{
  SELECT_OLD_CHUNKS,
  UPSERT_MINUTE,
  DELETE_OLD_CHUNKS,
  SELECT_MINUTE_CHUNKS,
  UPDATE_CHUNK,
  DELETE_CHUNK,
  N_MAINTENANCE_STATEMENTS
};

static const char *const maintenance_sql[] = {
  [SELECT_OLD_CHUNKS] = "SELECT minute_us, samples FROM sample_chunks "
                        "WHERE device = ?1 AND property = ?2 AND minute_us < ?3",
  [UPSERT_MINUTE] = "INSERT INTO sample_minutes "
                    "  (device, property, minute_us, value_min, value_max, value_sum, n) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                    "ON CONFLICT (device, property, minute_us) DO UPDATE SET "
                    "  value_min = min(value_min, excluded.value_min), "
                    "  value_max = max(value_max, excluded.value_max), "
                    "  value_sum = value_sum + excluded.value_sum, "
                    "  n = n + excluded.n",
  [DELETE_OLD_CHUNKS] = "DELETE FROM sample_chunks "
                        "WHERE device = ?1 AND property = ?2 AND minute_us < ?3",
  [SELECT_MINUTE_CHUNKS] = "SELECT minute_us, samples, id FROM sample_chunks "
                           "WHERE device = ?1 AND property = ?2 AND minute_us = ?3",
  [UPDATE_CHUNK] = "UPDATE sample_chunks SET samples = ?5 "
                   "WHERE device = ?1 AND property = ?2 AND minute_us = ?3 AND id = ?4",
  [DELETE_CHUNK] = "DELETE FROM sample_chunks "
                   "WHERE device = ?1 AND property = ?2 AND minute_us = ?3 AND id = ?4",
};

/* One per-minute bucket being summed up. */
typedef struct
{
  gint64 minute_us;
  double min;
  double max;
  double sum;
  gint64 n;
} MinuteSum;

static void
bind_series (sqlite3_stmt *stmt, gint64 device, gint64 property, gint64 minute_us)
{
  sqlite3_bind_int64 (stmt, 1, device);
  sqlite3_bind_int64 (stmt, 2, property);
  sqlite3_bind_int64 (stmt, 3, minute_us);
}

static int
save_minute (sqlite3_stmt *upsert, gint64 device, gint64 property, const MinuteSum *sum)
{
  if (sum->n == 0)
    return SQLITE_OK;
  bind_series (upsert, device, property, sum->minute_us);
  sqlite3_bind_double (upsert, 4, sum->min);
  sqlite3_bind_double (upsert, 5, sum->max);
  sqlite3_bind_double (upsert, 6, sum->sum);
  sqlite3_bind_int64 (upsert, 7, sum->n);
  return run_insert (upsert);
}

/* Merges one series' chunks of minutes before @raw_cutoff (a minute boundary) into per-minute
 * buckets, then deletes them. The chunks come in minute order, each within one minute. */
static int
merge_old_chunks (sqlite3_stmt **stmts, gint64 device, gint64 property, gint64 raw_cutoff)
{
  sqlite3_stmt *select = stmts[SELECT_OLD_CHUNKS];
  MinuteSum sum = { 0 };
  int ret;

  bind_series (select, device, property, raw_cutoff);
  while ((ret = sqlite3_step (select)) == SQLITE_ROW)
    {
      gint64 minute_us = sqlite3_column_int64 (select, 0);
      const guint8 *chunk = sqlite3_column_blob (select, 1);
      guint n = (guint)sqlite3_column_bytes (select, 1) / CHUNK_SAMPLE_SIZE;

      if (minute_us != sum.minute_us || sum.n == 0)
        {
          if ((ret = save_minute (stmts[UPSERT_MINUTE], device, property, &sum)) != SQLITE_OK)
            break;
          sum = (MinuteSum){ minute_us, G_MAXDOUBLE, -G_MAXDOUBLE, 0, 0 };
        }
      for (guint i = 0; chunk != NULL && i < n; i++)
        {
          gint64 time_us;
          double value;

          chunk_get (chunk, i, minute_us, &time_us, &value);
          sum.min = MIN (sum.min, value);
          sum.max = MAX (sum.max, value);
          sum.sum += value;
          sum.n++;
        }
    }
  sqlite3_reset (select);
  if (ret != SQLITE_DONE)
    return ret;
  if ((ret = save_minute (stmts[UPSERT_MINUTE], device, property, &sum)) != SQLITE_OK)
    return ret;

  bind_series (stmts[DELETE_OLD_CHUNKS], device, property, raw_cutoff);
  return run_insert (stmts[DELETE_OLD_CHUNKS]);
}

/* Deletes one series' raw samples before @retention_cutoff: the chunks of earlier minutes
 * whole, and from the chunks of the cutoff's own minute the samples before it. */
static int
drop_expired_samples (sqlite3_stmt **stmts, gint64 device, gint64 property, gint64 retention_cutoff)
{
  sqlite3_stmt *select = stmts[SELECT_MINUTE_CHUNKS];
  gint64 cutoff_minute = minute_of (retention_cutoff);
  g_autoptr (GByteArray) kept = g_byte_array_new ();
  int ret;

  bind_series (stmts[DELETE_OLD_CHUNKS], device, property, cutoff_minute);
  if ((ret = run_insert (stmts[DELETE_OLD_CHUNKS])) != SQLITE_OK)
    return ret;

  bind_series (select, device, property, cutoff_minute);
  while ((ret = sqlite3_step (select)) == SQLITE_ROW)
    {
      const guint8 *chunk = sqlite3_column_blob (select, 1);
      guint n = (guint)sqlite3_column_bytes (select, 1) / CHUNK_SAMPLE_SIZE;
      gint64 id = sqlite3_column_int64 (select, 2);
      sqlite3_stmt *change;

      g_byte_array_set_size (kept, 0);
      for (guint i = 0; chunk != NULL && i < n; i++)
        {
          gint64 time_us;
          double value;

          chunk_get (chunk, i, cutoff_minute, &time_us, &value);
          if (time_us >= retention_cutoff)
            chunk_append (kept, cutoff_minute, time_us, value);
        }
      if (kept->len == n * CHUNK_SAMPLE_SIZE)
        continue;
      /* Changing the row the statement stands on is allowed in SQLite; the scan goes on with
       * the next one. */
      change = kept->len > 0 ? stmts[UPDATE_CHUNK] : stmts[DELETE_CHUNK];
      bind_series (change, device, property, cutoff_minute);
      sqlite3_bind_int64 (change, 4, id);
      if (kept->len > 0)
        sqlite3_bind_blob (change, 5, kept->data, (int)kept->len, SQLITE_STATIC);
      if ((ret = run_insert (change)) != SQLITE_OK)
        break;
    }
  sqlite3_reset (select);
  return ret == SQLITE_DONE ? SQLITE_OK : ret;
}

/* Merges the raw samples older than @raw_cutoff into per-minute buckets and deletes them, and
 * deletes raw samples older than @retention_cutoff, series by series: each is a range of the
 * sample_chunks table (see the schema), so the pass costs what it merges, not a scan of the
 * table. */
static int
downsample_series (HearthHistory *self, gint64 raw_cutoff, gint64 retention_cutoff)
{
  sqlite3_stmt *series = NULL;
  sqlite3_stmt *stmts[N_MAINTENANCE_STATEMENTS] = { NULL };
  int ret;

  ret = sqlite3_prepare_v2 (self->db, "SELECT device, property FROM series", -1, &series, NULL);
  for (guint i = 0; ret == SQLITE_OK && i < N_MAINTENANCE_STATEMENTS; i++)
    ret = sqlite3_prepare_v2 (self->db, maintenance_sql[i], -1, &stmts[i], NULL);

  while (ret == SQLITE_OK && (ret = sqlite3_step (series)) == SQLITE_ROW)
    {
      gint64 device = sqlite3_column_int64 (series, 0);
      gint64 property = sqlite3_column_int64 (series, 1);

      ret = merge_old_chunks (stmts, device, property, raw_cutoff);
      /* Retention reaches further back than the merge when raw-hours is longer than
       * retention-days; otherwise nothing raw is left before it. */
      if (ret == SQLITE_OK && retention_cutoff > raw_cutoff)
        ret = drop_expired_samples (stmts, device, property, retention_cutoff);
    }
  if (ret == SQLITE_DONE)
    ret = SQLITE_OK;

  sqlite3_finalize (series);
  for (guint i = 0; i < N_MAINTENANCE_STATEMENTS; i++)
    sqlite3_finalize (stmts[i]);
  return ret;
}

/**
 * hearth_history_run_maintenance:
 * @self: a #HearthHistory
 * @now_us: the current time, microseconds since the Unix epoch (a parameter so tests can move
 *   time)
 * @error: return location for a #GError
 *
 * The downsampling and retention pass, run every ten minutes by the object itself: raw samples
 * older than #HearthHistory:raw-hours are merged into per-minute buckets (minimum, maximum,
 * sum and count), and everything older than #HearthHistory:retention-days is deleted. It is
 * one transaction, so a crash leaves either the raw samples or their buckets, never both or
 * neither.
 *
 * Returns: %TRUE on success
 */
gboolean
hearth_history_run_maintenance (HearthHistory *self, gint64 now_us, GError **error)
{
  gint64 raw_cutoff;
  gint64 retention_cutoff;
  int ret;

  g_return_val_if_fail (HEARTH_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!hearth_history_flush (self, error) || !check_open (self, error))
    return FALSE;

  /* Cut at a minute boundary so that a minute is never split between raw rows and a bucket. */
  raw_cutoff = now_us - (gint64)self->raw_hours * HOUR_US;
  raw_cutoff -= raw_cutoff % MINUTE_US;
  retention_cutoff = now_us - (gint64)self->retention_days * DAY_US;

  ret = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (ret != SQLITE_OK)
    return set_sqlite_error (error, self->db, ret, self->path, "maintain");

  if ((ret = downsample_series (self, raw_cutoff, retention_cutoff)) != SQLITE_OK
      || (ret = exec_with_time (self->db, "DELETE FROM sample_minutes WHERE minute_us < ?1",
                                retention_cutoff))
             != SQLITE_OK
      || (ret
          = exec_with_time (self->db, "DELETE FROM events WHERE time_us < ?1", retention_cutoff))
             != SQLITE_OK
      || (ret = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, ret, self->path, "maintain");
      sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  return TRUE;
}
