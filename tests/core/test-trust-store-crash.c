/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-trust-store-crash"

#include <signal.h>
#include <sys/wait.h>

#include "core-test-utils.h"
#include "hearth-trust-store.h"

/* kill -9 at random moments during trust-store writes (issue 3): a helper process writes and
 * acknowledges each write on stdout; this test kills it with SIGKILL after a random delay, then
 * checks that the store still loads and holds the last acknowledged write. Repeated KILLS times
 * over one growing store. */

#define KILLS 50
#define WRITES_PER_RUN 1000
#define MAX_DELAY_US (150 * 1000)

static guint64
run_and_kill (const char *dir, guint64 first, gint64 delay_us, gboolean *acknowledged_any)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first_text = g_strdup_printf ("%" G_GUINT64_FORMAT, first);
  g_autofree char *count_text = g_strdup_printf ("%d", WRITES_PER_RUN);
  g_autoptr (GString) output = g_string_new (NULL);
  const char *argv[] = { TRUST_STORE_WRITER, dir, first_text, count_text, NULL };
  g_auto (GStrv) lines = NULL;
  guint64 last = 0;
  GPid pid;
  int out_fd;
  int status;
  char buffer[4096];
  ssize_t got;

  g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                            NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);

  g_usleep ((gulong)delay_us);
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);

  /* Everything the helper acknowledged before it died is still in the pipe. */
  while ((got = read (out_fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (output, buffer, got);
  close (out_fd);
  g_spawn_close_pid (pid);

  *acknowledged_any = FALSE;
  lines = g_strsplit (output->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* A line without its newline was cut by the kill mid-write and was not acknowledged. */
      if (lines[i + 1] == NULL)
        break;
      last = g_ascii_strtoull (lines[i], NULL, 10);
      *acknowledged_any = TRUE;
    }

  return last;
}

static void
test_kill_during_writes (void)
{
  g_autofree char *dir = core_test_make_temp_dir ();
  guint64 next = 0;
  gboolean have_last = FALSE;
  guint64 last = 0;
  guint kills_with_progress = 0;

  for (guint kill_number = 0; kill_number < KILLS; kill_number++)
    {
      g_autoptr (HearthTrustStore) store = NULL;
      g_autoptr (GError) error = NULL;
      gint64 delay_us = g_test_rand_int_range (0, MAX_DELAY_US);
      gboolean acknowledged_any;
      guint64 run_last;

      run_last = run_and_kill (dir, next, delay_us, &acknowledged_any);
      if (acknowledged_any)
        {
          last = run_last;
          have_last = TRUE;
          next = last + 1;
          kills_with_progress++;
        }

      store = hearth_trust_store_new (dir, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (store);

      if (have_last)
        {
          g_autofree char *device_id = g_strdup_printf ("crash-%u", (guint)(last % 8));
          g_autofree char *label = g_strdup_printf ("write %" G_GUINT64_FORMAT, last);
          g_autofree char *expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, label, -1);
          g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (store, device_id);

          /* The kill came at the earliest during write last + 1, which touches another
           * device, so this device holds exactly the acknowledged write. Later runs start at a
           * number that is last + 1 modulo 8 for the same reason. */
          g_assert_nonnull (pin);
          g_assert_cmpstr (pin->fingerprint, ==, expected);
          g_assert_cmpstr (pin->name, ==, label);
          next = MAX (next, last + 1);
        }

      /* Continue past writes that may have landed unacknowledged, so every write number is
       * used once; adding a multiple of 8 keeps the next run away from the checked device. */
      next += 16;
    }

  g_test_message (
      "%u of %u kills came after at least one acknowledged write; last write %" G_GUINT64_FORMAT,
      kills_with_progress, KILLS, last);
  g_assert_cmpuint (kills_with_progress, >, KILLS / 4);

  core_test_remove_tree (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/trust-store/kill-during-writes", test_kill_during_writes);

  return g_test_run ();
}
