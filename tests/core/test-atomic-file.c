/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-atomic-file"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core-test-utils.h"
#include "hearth-atomic-file.h"
#include "hearth-error.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  fixture->dir = core_test_make_temp_dir ();
  fixture->path = g_build_filename (fixture->dir, "state.json", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  core_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static void
assert_contents (const char *path, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (hearth_atomic_file_read (path, 1024, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
  g_assert_cmpuint (length, ==, strlen (expected));
}

static void
test_write_and_replace (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *listing = NULL;
  struct stat st;

  g_assert_true (hearth_atomic_file_write (fixture->path, "first", 5, 0600, &error));
  g_assert_no_error (error);
  assert_contents (fixture->path, "first");

  g_assert_true (hearth_atomic_file_write (fixture->path, "second, longer", 14, 0600, &error));
  g_assert_no_error (error);
  assert_contents (fixture->path, "second, longer");

  g_assert_true (hearth_atomic_file_write (fixture->path, "", 0, 0600, &error));
  g_assert_no_error (error);
  assert_contents (fixture->path, "");

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  /* Only the target exists: the temporary files were renamed, not copied. */
  listing = core_test_list_dir (fixture->dir);
  g_assert_cmpstr (listing, ==, "state.json");
}

static void
test_mode_ignores_umask (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  mode_t old_umask = umask (0077);
  struct stat st;

  g_assert_true (hearth_atomic_file_write (fixture->path, "x", 1, 0644, &error));
  umask (old_umask);
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0644);
}

static void
check_read_only_directory (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (hearth_atomic_file_write (fixture->path, "new", 3, 0600, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, fixture->path));
}

static void
test_read_only_directory (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *listing = NULL;

  g_assert_true (hearth_atomic_file_write (fixture->path, "old", 3, 0644, &error));
  g_assert_no_error (error);

  if (geteuid () != 0)
    {
      g_assert_cmpint (g_chmod (fixture->dir, 0500), ==, 0);
      check_read_only_directory (fixture);
    }
  else
    {
      /* Root ignores directory permissions (and CI runs as root): check as "nobody" in a child
       * process, with the directory handed to nobody but read-only. */
      pid_t pid;
      int status = 0;

      g_assert_cmpint (chown (fixture->dir, 65534, 65534), ==, 0);
      g_assert_cmpint (g_chmod (fixture->dir, 0500), ==, 0);
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          if (setgid (65534) != 0 || setuid (65534) != 0)
            _exit (3);
          check_read_only_directory (fixture);
          _exit (0);
        }
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }

  g_chmod (fixture->dir, 0700);
  assert_contents (fixture->path, "old");
  listing = core_test_list_dir (fixture->dir);
  g_assert_cmpstr (listing, ==, "state.json");
}

static void
test_missing_directory (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "missing", "state.json", NULL);

  g_assert_false (hearth_atomic_file_write (path, "x", 1, 0600, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

/* The write itself fails after the temporary file exists: a file size limit makes write()
 * fail with EFBIG even for root. The old contents must survive and the temporary file go. */
static void
test_write_failure_leaves_nothing (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *big = g_strnfill (64 * 1024, 'x');
  struct rlimit old_limit;
  struct rlimit limit;
  void (*old_handler) (int);

  g_assert_true (hearth_atomic_file_write (fixture->path, "old", 3, 0600, &error));

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  limit = old_limit;
  limit.rlim_cur = 4096;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  g_assert_false (hearth_atomic_file_write (fixture->path, big, strlen (big), 0600, &error));

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  signal (SIGXFSZ, old_handler);

  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, fixture->dir));
  assert_contents (fixture->path, "old");
  listing = core_test_list_dir (fixture->dir);
  g_assert_cmpstr (listing, ==, "state.json");
}

/* The rename fails (the target is a non-empty directory) after the temporary file was written
 * and synced: it must still be removed. */
static void
test_rename_failure_leaves_nothing (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *inside = g_build_filename (fixture->path, "occupied", NULL);

  g_assert_cmpint (g_mkdir (fixture->path, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", 1, NULL));

  g_assert_false (hearth_atomic_file_write (fixture->path, "new", 3, 0600, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, fixture->path));

  listing = core_test_list_dir (fixture->dir);
  g_assert_cmpstr (listing, ==, "state.json");
}

static void
test_read_limits (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_assert_false (hearth_atomic_file_read (fixture->path, 10, &contents, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (hearth_atomic_file_write (fixture->path, "0123456789A", 11, 0600, &error));
  g_assert_false (hearth_atomic_file_read (fixture->path, 10, &contents, NULL, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
  g_assert_null (contents);
  g_clear_error (&error);

  g_assert_false (hearth_atomic_file_read (fixture->dir, 10, &contents, NULL, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/atomic-file/write-and-replace", Fixture, NULL, fixture_set_up,
              test_write_and_replace, fixture_tear_down);
  g_test_add ("/atomic-file/mode-ignores-umask", Fixture, NULL, fixture_set_up,
              test_mode_ignores_umask, fixture_tear_down);
  g_test_add ("/atomic-file/read-only-directory", Fixture, NULL, fixture_set_up,
              test_read_only_directory, fixture_tear_down);
  g_test_add ("/atomic-file/missing-directory", Fixture, NULL, fixture_set_up,
              test_missing_directory, fixture_tear_down);
  g_test_add ("/atomic-file/write-failure-leaves-nothing", Fixture, NULL, fixture_set_up,
              test_write_failure_leaves_nothing, fixture_tear_down);
  g_test_add ("/atomic-file/rename-failure-leaves-nothing", Fixture, NULL, fixture_set_up,
              test_rename_failure_leaves_nothing, fixture_tear_down);
  g_test_add ("/atomic-file/read-limits", Fixture, NULL, fixture_set_up, test_read_limits,
              fixture_tear_down);

  return g_test_run ();
}
