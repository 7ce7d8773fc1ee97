/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-trust-store"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "core-test-utils.h"
#include "hearth-error.h"
#include "hearth-trust-store.h"

typedef struct
{
  char *dir;
  char *path;
  HearthTrustStore *store;
} Fixture;

/* Distinct valid fingerprints: the SHA-256 of a label. */
static char *
fp (const char *label)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, label, -1);
}

static HearthTrustStore *
load (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  HearthTrustStore *store = hearth_trust_store_new (fixture->dir, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
reload (Fixture *fixture)
{
  g_clear_object (&fixture->store);
  fixture->store = load (fixture);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  fixture->dir = core_test_make_temp_dir ();
  fixture->path = g_build_filename (fixture->dir, HEARTH_TRUST_STORE_FILE, NULL);
  fixture->store = load (fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->store);
  core_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static void
pin (Fixture *fixture, const char *device_id, const char *fingerprint)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (
      hearth_trust_store_pin (fixture->store, device_id, fingerprint, "A device", &error));
  g_assert_no_error (error);
}

static void
test_empty_first_run (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autoptr (GPtrArray) pins = hearth_trust_store_list_pins (fixture->store);

  g_assert_cmpuint (pins->len, ==, 0);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);
  /* Nothing is written until there is something to keep. */
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_pin_persists (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_b = fp ("b");
  g_autoptr (HearthTrustPin) pinned = NULL;
  g_autoptr (GError) error = NULL;
  struct stat st;

  g_assert_true (hearth_trust_store_pin (fixture->store, "dev-a", fp_a, "Küche ☀", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);

  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_nonnull (pinned);
  g_assert_cmpstr (pinned->fingerprint, ==, fp_a);
  g_assert_cmpstr (pinned->name, ==, "Küche ☀");
  g_assert_cmpint (pinned->pinned_at, >, 0);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_b), ==,
                   HEARTH_TRUST_VERDICT_CHANGED);

  /* Pinning to another key is the approve decision, never a silent overwrite. */
  g_assert_false (hearth_trust_store_pin (fixture->store, "dev-a", fp_b, "x", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED);
  g_clear_error (&error);

  g_assert_false (hearth_trust_store_pin (fixture->store, "Dev A", fp_b, "x", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hearth_trust_store_pin (fixture->store, "dev-b", "abc", "x", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
}

/* Connected with g_signal_connect_swapped(), so the counter comes first whatever the signal's
 * other arguments are. */
static void
count_signal (guint *count)
{
  (*count)++;
}

static void
test_change_approve (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_old = fp ("old");
  g_autofree char *fp_new = fp ("new");
  g_autofree char *fp_newer = fp ("newer");
  g_autoptr (HearthTrustPendingChange) change = NULL;
  g_autoptr (HearthTrustPin) pinned = NULL;
  g_autoptr (GError) error = NULL;
  guint changed = 0;

  pin (fixture, "dev-a", fp_old);

  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                               "192.0.2.7", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 1);

  reload (fixture);
  change = hearth_trust_store_get_pending (fixture->store, "dev-a");
  g_assert_nonnull (change);
  g_assert_cmpstr (change->old_fingerprint, ==, fp_old);
  g_assert_cmpstr (change->new_fingerprint, ==, fp_new);
  g_assert_cmpstr (change->address, ==, "192.0.2.7");
  g_assert_cmpuint (change->count, ==, 1);
  g_assert_false (change->rejected);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 1);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_new), ==,
                   HEARTH_TRUST_VERDICT_CHANGED);

  /* Approving a key the user was not shown is refused. */
  g_assert_false (hearth_trust_store_approve (fixture->store, "dev-a", fp_newer, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED);
  g_clear_error (&error);

  g_signal_connect_swapped (fixture->store, "changed", G_CALLBACK (count_signal), &changed);
  g_assert_true (hearth_trust_store_approve (fixture->store, "dev-a", fp_new, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 0);

  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->fingerprint, ==, fp_new);
  g_assert_null (hearth_trust_store_get_pending (fixture->store, "dev-a"));
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_new), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_old), ==,
                   HEARTH_TRUST_VERDICT_CHANGED);
}

static void
test_change_reject (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_old = fp ("old");
  g_autofree char *fp_new = fp ("new");
  g_autofree char *fp_newer = fp ("newer");
  g_autoptr (HearthTrustPendingChange) change = NULL;
  g_autoptr (HearthTrustPendingChange) replaced = NULL;
  g_autoptr (HearthTrustPin) pinned = NULL;
  g_autoptr (GError) error = NULL;

  pin (fixture, "dev-a", fp_old);
  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                               "192.0.2.7", NULL));
  g_assert_true (hearth_trust_store_reject (fixture->store, "dev-a", &error));
  g_assert_no_error (error);

  reload (fixture);
  change = hearth_trust_store_get_pending (fixture->store, "dev-a");
  g_assert_true (change->rejected);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 0);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->fingerprint, ==, fp_old);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_new), ==,
                   HEARTH_TRUST_VERDICT_CHANGED);

  /* The same rejected key again: still decided, not asked again. */
  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                               "192.0.2.8", NULL));
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 0);

  /* Yet another key is a new question. */
  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_newer,
                                                               "192.0.2.9", NULL));
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 1);
  reload (fixture);
  replaced = hearth_trust_store_get_pending (fixture->store, "dev-a");
  g_assert_cmpstr (replaced->new_fingerprint, ==, fp_newer);
  g_assert_false (replaced->rejected);
  g_assert_cmpuint (replaced->count, ==, 1);
}

static void
test_block_unblock (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_new = fp ("new");
  g_autofree char *fp_evil = fp ("evil");
  g_autoptr (GPtrArray) blocked = NULL;
  g_autoptr (GError) error = NULL;

  pin (fixture, "dev-a", fp_a);
  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                               "192.0.2.7", NULL));
  g_assert_true (hearth_trust_store_block (fixture->store, "dev-a", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (hearth_trust_store_block (fixture->store, NULL, fp_evil, &error));
  g_assert_no_error (error);
  /* Blocking twice is not an error and adds nothing. */
  g_assert_true (hearth_trust_store_block (fixture->store, NULL, fp_evil, &error));
  g_assert_false (hearth_trust_store_block (fixture->store, NULL, NULL, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  reload (fixture);
  blocked = hearth_trust_store_list_blocked (fixture->store);
  g_assert_cmpuint (blocked->len, ==, 2);
  /* Blocking the device decided its pending change. */
  g_assert_null (hearth_trust_store_get_pending (fixture->store, "dev-a"));
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-x", fp_evil), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);

  g_assert_true (hearth_trust_store_unblock (fixture->store, "dev-a", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (hearth_trust_store_unblock (fixture->store, "dev-a", NULL, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  reload (fixture);
  /* The pin was kept through the block. */
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-x", fp_evil), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);
}

static void
test_forget_and_ignore (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_b = fp ("b");
  g_autofree char *fp_other = fp ("other");
  g_autoptr (GPtrArray) ignored = NULL;
  g_autoptr (GError) error = NULL;

  pin (fixture, "dev-a", fp_a);
  g_assert_true (hearth_trust_store_ignore (fixture->store, "dev-b", fp_b, &error));
  g_assert_no_error (error);
  g_assert_false (hearth_trust_store_ignore (fixture->store, "dev-a", fp_a, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  reload (fixture);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-b", fp_b), ==,
                   HEARTH_TRUST_VERDICT_IGNORED);
  /* Keyed by identity: the same id with another key is someone new. */
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-b", fp_other), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);
  ignored = hearth_trust_store_list_ignored (fixture->store);
  g_assert_cmpuint (ignored->len, ==, 1);

  g_assert_true (hearth_trust_store_forget (fixture->store, "dev-a", &error));
  g_assert_no_error (error);
  g_assert_false (hearth_trust_store_forget (fixture->store, "dev-a", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Adopting an ignored device removes it from the ignored list. */
  pin (fixture, "dev-b", fp_b);

  reload (fixture);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-b", fp_b), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
  g_clear_pointer (&ignored, g_ptr_array_unref);
  ignored = hearth_trust_store_list_ignored (fixture->store);
  g_assert_cmpuint (ignored->len, ==, 0);

  g_assert_true (hearth_trust_store_forget (fixture->store, "dev-b", NULL));
  g_assert_true (hearth_trust_store_ignore (fixture->store, "dev-b", fp_b, NULL));
  g_assert_true (hearth_trust_store_unignore (fixture->store, "dev-b", fp_b, &error));
  g_assert_no_error (error);
  reload (fixture);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-b", fp_b), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);
}

static gboolean
file_has_count (gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *contents = NULL;

  g_file_get_contents (fixture->path, &contents, NULL, NULL);
  return contents != NULL && strstr (contents, "\"count\" : 1000") != NULL;
}

/* 1,000 reconnects with the same new key: one pending change, counted 1,000 times, and the
 * counters reach the disk within about a second without one write per report. */
static void
test_one_pending_under_repeats (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_new = fp ("new");
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (HearthTrustPendingChange) change = NULL;
  g_autoptr (GError) error = NULL;
  guint changed = 0;
  guint pending_changed = 0;
  struct stat before;
  struct stat after;

  pin (fixture, "dev-a", fp_a);
  g_signal_connect_swapped (fixture->store, "changed", G_CALLBACK (count_signal), &changed);
  g_signal_connect_swapped (fixture->store, "pending-changed", G_CALLBACK (count_signal),
                            &pending_changed);

  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                               "192.0.2.1", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->path, &before), ==, 0);

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *address = g_strdup_printf ("192.0.2.%u", i % 250 + 1);

      g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                                   address, &error));
      g_assert_no_error (error);
    }

  /* The repeats were counted in memory only: the file is the one written for the first. */
  g_assert_cmpint (g_stat (fixture->path, &after), ==, 0);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (pending_changed, ==, 1000);

  pending = hearth_trust_store_list_pending (fixture->store);
  g_assert_cmpuint (pending->len, ==, 1);
  change = hearth_trust_store_get_pending (fixture->store, "dev-a");
  g_assert_cmpuint (change->count, ==, 1000);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->store), ==, 1);

  core_test_run_until (file_has_count, fixture, 3000);

  reload (fixture);
  g_clear_pointer (&change, hearth_trust_pending_change_free);
  change = hearth_trust_store_get_pending (fixture->store, "dev-a");
  g_assert_cmpuint (change->count, ==, 1000);
  g_assert_cmpstr (change->address, ==, "192.0.2.250");
  g_assert_cmpint (change->last_seen, >=, change->first_seen);

  /* Reports about unpinned devices or the pinned key itself are not changes. */
  g_assert_false (hearth_trust_store_report_certificate_change (fixture->store, "dev-z", fp_new,
                                                                "192.0.2.1", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_a,
                                                                "192.0.2.1", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
}

/* Dispose writes counters that are still waiting for their deferred write. */
static void
test_counters_flushed_on_dispose (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_new = fp ("new");
  g_autoptr (HearthTrustPendingChange) change = NULL;

  pin (fixture, "dev-a", fp_a);
  for (guint i = 0; i < 5; i++)
    g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_new,
                                                                 "192.0.2.1", NULL));
  reload (fixture);
  change = hearth_trust_store_get_pending (fixture->store, "dev-a");
  g_assert_cmpuint (change->count, ==, 5);
}

static void
assert_refused (Fixture *fixture, const char *contents, GQuark domain, int code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthTrustStore) store = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *copy = NULL;
  const char *name;

  g_clear_object (&fixture->store);
  core_test_remove_tree (fixture->dir);
  g_assert_cmpint (g_mkdir (fixture->dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fixture->path, contents, -1, NULL));

  store = hearth_trust_store_new (fixture->dir, NULL, &error);
  g_assert_null (store);
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_assert_nonnull (strstr (error->message, "will not start"));

  /* The damaged file is left in place, and a copy is kept aside. */
  g_assert_true (g_file_get_contents (fixture->path, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, contents);
  dir = g_dir_open (fixture->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, HEARTH_TRUST_STORE_FILE ".damaged-"))
      {
        g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

        g_assert_true (g_file_get_contents (path, &copy, NULL, NULL));
      }
  g_assert_cmpstr (copy, ==, contents);
}

static void
test_damaged_file_refused (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *valid = NULL;
  g_autofree char *truncated = NULL;
  g_autofree char *newer = NULL;
  g_autofree char *bad_fp = NULL;
  g_autofree char *orphan = NULL;

  pin (fixture, "dev-a", fp_a);
  g_assert_true (g_file_get_contents (fixture->path, &valid, NULL, NULL));

  truncated = g_strndup (valid, strlen (valid) / 2);
  assert_refused (fixture, truncated, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  assert_refused (fixture, "", HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  assert_refused (fixture, "[]", HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  assert_refused (fixture, "{\"format\": \"something-else\", \"version\": 1}", HEARTH_ERROR,
                  HEARTH_ERROR_INVALID_DATA);

  newer = g_strdup (valid);
  memcpy (strstr (newer, "\"version\" : 1") + strlen ("\"version\" : "), "7", 1);
  assert_refused (fixture, newer, HEARTH_ERROR, HEARTH_ERROR_NOT_SUPPORTED);

  bad_fp = g_strdup (valid);
  *strstr (bad_fp, fp_a) = 'X';
  assert_refused (fixture, bad_fp, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);

  orphan
      = g_strdup_printf ("{\"format\": \"hearth-trust-store\", \"version\": 1, \"pinned\": [],"
                         " \"pending\": [{\"id\": \"dev-a\", \"old_fingerprint\": \"%s\","
                         " \"new_fingerprint\": \"%s\", \"first_seen\": \"2024-01-01T00:00:00Z\","
                         " \"last_seen\": \"2024-01-01T00:00:00Z\", \"address\": \"x\","
                         " \"count\": 1, \"rejected\": false}], \"blocked\": [], \"ignored\": []}",
                         fp_a, fp_a);
  assert_refused (fixture, orphan, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
}

/* When the write fails, the decision is reported as failed and the store keeps acting on what
 * is on disk. */
static void
test_failed_write_changes_nothing (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_b = fp ("b");
  g_autofree char *blocker = NULL;
  g_autoptr (GError) error = NULL;

  pin (fixture, "dev-a", fp_a);

  /* Replace the file by a non-empty directory, so that the atomic rename fails. */
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);
  g_assert_cmpint (g_mkdir (fixture->path, 0700), ==, 0);
  blocker = g_build_filename (fixture->path, "blocker", NULL);
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));

  g_assert_false (hearth_trust_store_pin (fixture->store, "dev-b", fp_b, "B", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-b", fp_b), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);

  g_assert_false (hearth_trust_store_block (fixture->store, "dev-a", NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);

  g_assert_false (hearth_trust_store_forget (fixture->store, "dev-a", &error));
  g_assert_nonnull (error);
  g_assert_cmpint (hearth_trust_store_check (fixture->store, "dev-a", fp_a), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);

  core_test_remove_tree (fixture->path);
}

/* The area is the user's, kept with the pin: set, trimmed, cleared, reloaded, kept through a
 * certificate change of the same device id, gone with the pin. */
static void
test_area (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *fp_b = fp ("b");
  g_autoptr (GError) error = NULL;
  HearthTrustPin *pinned;
  guint changed = 0;

  pin (fixture, "dev-a", fp_a);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_null (pinned->area);
  hearth_trust_pin_free (pinned);

  g_signal_connect_swapped (fixture->store, "changed", G_CALLBACK (count_signal), &changed);
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", "  Küche ☀\t", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);
  /* Setting the same area again is no change: nothing written, no signal. */
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", "Küche ☀", &error));
  g_assert_cmpuint (changed, ==, 1);

  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->area, ==, "Küche ☀");
  hearth_trust_pin_free (pinned);

  /* A certificate change of the same device id keeps the area: it belongs to the pin. */
  g_assert_true (hearth_trust_store_report_certificate_change (fixture->store, "dev-a", fp_b,
                                                               "127.0.0.1", &error));
  g_assert_no_error (error);
  g_assert_true (hearth_trust_store_approve (fixture->store, "dev-a", fp_b, &error));
  g_assert_no_error (error);
  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->fingerprint, ==, fp_b);
  g_assert_cmpstr (pinned->area, ==, "Küche ☀");
  hearth_trust_pin_free (pinned);

  /* Renaming by pinning again keeps it too. */
  g_assert_true (hearth_trust_store_pin (fixture->store, "dev-a", fp_b, "Lamp", &error));
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->area, ==, "Küche ☀");
  hearth_trust_pin_free (pinned);

  /* Only white space, an empty string and NULL all clear it. */
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", " \t ", &error));
  g_assert_no_error (error);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_null (pinned->area);
  hearth_trust_pin_free (pinned);
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", "Hallway", &error));
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", NULL, &error));
  g_assert_no_error (error);
  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_null (pinned->area);
  hearth_trust_pin_free (pinned);

  /* Forgetting the device forgets its area: pinned again, it starts without one. */
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", "Hallway", &error));
  g_assert_true (hearth_trust_store_forget (fixture->store, "dev-a", &error));
  g_assert_no_error (error);
  pin (fixture, "dev-a", fp_a);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_null (pinned->area);
  hearth_trust_pin_free (pinned);
}

static void
test_area_refused (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *longest = g_strnfill (HEARTH_TRUST_AREA_MAX_BYTES, 'x');
  g_autofree char *too_long = g_strnfill (HEARTH_TRUST_AREA_MAX_BYTES + 1, 'x');
  /* 22 three-byte characters: 66 bytes although only 22 characters. */
  g_autoptr (GString) too_long_utf8 = g_string_new (NULL);
  g_autofree char *padded = g_strdup_printf ("   %s   ", longest);
  g_autoptr (GError) error = NULL;
  HearthTrustPin *pinned;
  guint changed = 0;

  for (guint i = 0; i < 22; i++)
    g_string_append (too_long_utf8, "☀");

  /* Only a paired device has an area. */
  g_assert_false (hearth_trust_store_set_area (fixture->store, "dev-a", "Kitchen", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED);
  g_assert_nonnull (strstr (error->message, "not paired"));
  g_clear_error (&error);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  pin (fixture, "dev-a", fp_a);
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", "Kitchen", &error));
  g_signal_connect_swapped (fixture->store, "changed", G_CALLBACK (count_signal), &changed);

  g_assert_false (hearth_trust_store_set_area (fixture->store, "dev-a", too_long, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (
      hearth_trust_store_set_area (fixture->store, "dev-a", too_long_utf8->str, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hearth_trust_store_set_area (fixture->store, "dev-a", "Kit\xff", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hearth_trust_store_set_area (fixture->store, "dev-a", "Kit\nchen", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hearth_trust_store_set_area (fixture->store, "Dev A", "Kitchen", &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (changed, ==, 0);

  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->area, ==, "Kitchen");
  hearth_trust_pin_free (pinned);

  /* The limit counts the trimmed area. */
  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", padded, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changed, ==, 1);
  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->area, ==, longest);
  hearth_trust_pin_free (pinned);
}

/* A trust file written before areas existed loads, and its devices have no area; an area in the
 * file beyond the limit is damage. */
static void
test_area_older_file (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *fp_a = fp ("a");
  g_autofree char *older = g_strdup_printf (
      "{\"format\": \"hearth-trust-store\", \"version\": 1, \"pinned\": [{\"id\": \"dev-a\","
      " \"fingerprint\": \"%s\", \"name\": \"Lamp\", \"pinned\": \"2024-01-01T00:00:00Z\"}],"
      " \"pending\": [], \"blocked\": [], \"ignored\": []}",
      fp_a);
  g_autofree char *too_long = g_strnfill (HEARTH_TRUST_AREA_MAX_BYTES + 1, 'x');
  g_autofree char *long_area = g_strdup_printf (
      "{\"format\": \"hearth-trust-store\", \"version\": 1, \"pinned\": [{\"id\": \"dev-a\","
      " \"fingerprint\": \"%s\", \"name\": \"Lamp\", \"pinned\": \"2024-01-01T00:00:00Z\","
      " \"area\": \"%s\"}], \"pending\": [], \"blocked\": [], \"ignored\": []}",
      fp_a, too_long);
  g_autofree char *number_area = g_strdup_printf (
      "{\"format\": \"hearth-trust-store\", \"version\": 1, \"pinned\": [{\"id\": \"dev-a\","
      " \"fingerprint\": \"%s\", \"name\": \"Lamp\", \"pinned\": \"2024-01-01T00:00:00Z\","
      " \"area\": 7}], \"pending\": [], \"blocked\": [], \"ignored\": []}",
      fp_a);
  g_autoptr (GError) error = NULL;
  HearthTrustPin *pinned;

  g_clear_object (&fixture->store);
  g_assert_true (g_file_set_contents (fixture->path, older, -1, NULL));
  fixture->store = load (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_nonnull (pinned);
  g_assert_cmpstr (pinned->name, ==, "Lamp");
  g_assert_null (pinned->area);
  hearth_trust_pin_free (pinned);

  g_assert_true (hearth_trust_store_set_area (fixture->store, "dev-a", "Hallway", &error));
  g_assert_no_error (error);
  reload (fixture);
  pinned = hearth_trust_store_get_pin (fixture->store, "dev-a");
  g_assert_cmpstr (pinned->area, ==, "Hallway");
  hearth_trust_pin_free (pinned);

  assert_refused (fixture, long_area, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  assert_refused (fixture, number_area, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/trust-store/empty-first-run", Fixture, NULL, fixture_set_up, test_empty_first_run,
              fixture_tear_down);
  g_test_add ("/trust-store/pin-persists", Fixture, NULL, fixture_set_up, test_pin_persists,
              fixture_tear_down);
  g_test_add ("/trust-store/change-approve", Fixture, NULL, fixture_set_up, test_change_approve,
              fixture_tear_down);
  g_test_add ("/trust-store/change-reject", Fixture, NULL, fixture_set_up, test_change_reject,
              fixture_tear_down);
  g_test_add ("/trust-store/block-unblock", Fixture, NULL, fixture_set_up, test_block_unblock,
              fixture_tear_down);
  g_test_add ("/trust-store/forget-and-ignore", Fixture, NULL, fixture_set_up,
              test_forget_and_ignore, fixture_tear_down);
  g_test_add ("/trust-store/one-pending-under-repeats", Fixture, NULL, fixture_set_up,
              test_one_pending_under_repeats, fixture_tear_down);
  g_test_add ("/trust-store/counters-flushed-on-dispose", Fixture, NULL, fixture_set_up,
              test_counters_flushed_on_dispose, fixture_tear_down);
  g_test_add ("/trust-store/damaged-file-refused", Fixture, NULL, fixture_set_up,
              test_damaged_file_refused, fixture_tear_down);
  g_test_add ("/trust-store/failed-write-changes-nothing", Fixture, NULL, fixture_set_up,
              test_failed_write_changes_nothing, fixture_tear_down);
  g_test_add ("/trust-store/area", Fixture, NULL, fixture_set_up, test_area, fixture_tear_down);
  g_test_add ("/trust-store/area-refused", Fixture, NULL, fixture_set_up, test_area_refused,
              fixture_tear_down);
  g_test_add ("/trust-store/area-older-file", Fixture, NULL, fixture_set_up, test_area_older_file,
              fixture_tear_down);

  return g_test_run ();
}
