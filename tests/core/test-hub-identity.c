/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-hub-identity"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "core-test-utils.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-hub-identity.h"

typedef struct
{
  char *dir;
  char *path;
  char *previous_path;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *base = core_test_make_temp_dir ();

  /* A data directory that does not exist yet, as on first run. */
  fixture->dir = g_build_filename (base, "data", NULL);
  fixture->path = g_build_filename (fixture->dir, HEARTH_HUB_IDENTITY_FILE, NULL);
  fixture->previous_path = g_build_filename (fixture->dir, HEARTH_HUB_IDENTITY_PREVIOUS_FILE, NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *base = g_path_get_dirname (fixture->dir);

  core_test_remove_tree (base);
  g_free (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->previous_path);
}

static HearthHubIdentity *
load (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  HearthHubIdentity *identity = hearth_hub_identity_new (fixture->dir, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (identity);
  return identity;
}

static void
assert_mode (const char *path, guint mode)
{
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

static void
assert_certificate_matches (GTlsCertificate *certificate, const char *fingerprint)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *computed = hearth_fingerprint_from_tls_certificate (certificate, &error);
  g_autoptr (GTlsCertificate) without_key = NULL;
  g_autoptr (GByteArray) key_der = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (computed, ==, fingerprint);

  /* libsoup needs the private key in the same GTlsCertificate. */
  g_object_get (certificate, "private-key", &key_der, NULL);
  g_assert_nonnull (key_der);
  g_assert_cmpuint (key_der->len, >, 0);
}

static void
test_create_and_reload (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHubIdentity) first = load (fixture);
  g_autoptr (HearthHubIdentity) second = NULL;
  g_autofree char *listing = NULL;

  g_assert_true (hearth_fingerprint_is_valid (hearth_hub_identity_get_fingerprint (first)));
  assert_certificate_matches (hearth_hub_identity_get_certificate (first),
                              hearth_hub_identity_get_fingerprint (first));
  g_assert_null (hearth_hub_identity_get_previous_certificate (first));
  g_assert_null (hearth_hub_identity_get_previous_fingerprint (first));

  assert_mode (fixture->dir, 0700);
  assert_mode (fixture->path, 0600);
  listing = core_test_list_dir (fixture->dir);
  g_assert_cmpstr (listing, ==, HEARTH_HUB_IDENTITY_FILE);

  second = load (fixture);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (second), ==,
                   hearth_hub_identity_get_fingerprint (first));
  g_assert_true (g_tls_certificate_is_same (hearth_hub_identity_get_certificate (first),
                                            hearth_hub_identity_get_certificate (second)));
}

static void
test_two_hubs_differ (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *other_dir = g_build_filename (fixture->dir, "other", NULL);
  g_autoptr (HearthHubIdentity) first = load (fixture);
  g_autoptr (HearthHubIdentity) other = hearth_hub_identity_new (other_dir, NULL, NULL);

  g_assert_nonnull (other);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (first), !=,
                   hearth_hub_identity_get_fingerprint (other));
}

static void
count_notify (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_regenerate_keeps_previous (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHubIdentity) identity = load (fixture);
  g_autoptr (HearthHubIdentity) reloaded = NULL;
  g_autoptr (HearthHubIdentity) after_forget = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *old_fingerprint = g_strdup (hearth_hub_identity_get_fingerprint (identity));
  g_autofree char *new_fingerprint = NULL;
  guint notified = 0;

  g_signal_connect (identity, "notify::fingerprint", G_CALLBACK (count_notify), &notified);

  g_assert_true (hearth_hub_identity_regenerate (identity, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (notified, ==, 1);

  new_fingerprint = g_strdup (hearth_hub_identity_get_fingerprint (identity));
  g_assert_true (hearth_fingerprint_is_valid (new_fingerprint));
  g_assert_cmpstr (new_fingerprint, !=, old_fingerprint);
  g_assert_cmpstr (hearth_hub_identity_get_previous_fingerprint (identity), ==, old_fingerprint);
  assert_certificate_matches (hearth_hub_identity_get_certificate (identity), new_fingerprint);
  assert_certificate_matches (hearth_hub_identity_get_previous_certificate (identity),
                              old_fingerprint);
  assert_mode (fixture->previous_path, 0600);
  assert_mode (fixture->path, 0600);

  /* A rotation in progress survives a restart. */
  reloaded = load (fixture);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (reloaded), ==, new_fingerprint);
  g_assert_cmpstr (hearth_hub_identity_get_previous_fingerprint (reloaded), ==, old_fingerprint);

  /* A second rotation before the first one is finished would lose devices that only know the
   * previous key. */
  g_assert_false (hearth_hub_identity_regenerate (reloaded, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (reloaded), ==, new_fingerprint);

  g_assert_true (hearth_hub_identity_forget_previous (reloaded, &error));
  g_assert_no_error (error);
  g_assert_null (hearth_hub_identity_get_previous_fingerprint (reloaded));
  g_assert_false (g_file_test (fixture->previous_path, G_FILE_TEST_EXISTS));

  after_forget = load (fixture);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (after_forget), ==, new_fingerprint);
  g_assert_null (hearth_hub_identity_get_previous_fingerprint (after_forget));
  g_assert_true (hearth_hub_identity_regenerate (after_forget, &error));
  g_assert_no_error (error);
}

/* A crash between the two writes of regenerate() leaves the previous file holding the current
 * key; that must load as "no rotation", not as a rotation from a key to itself. */
static void
test_interrupted_regenerate (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHubIdentity) identity = load (fixture);
  g_autoptr (HearthHubIdentity) reloaded = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents_full (fixture->previous_path, contents, (gssize)length,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));

  reloaded = load (fixture);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (reloaded), ==,
                   hearth_hub_identity_get_fingerprint (identity));
  g_assert_null (hearth_hub_identity_get_previous_fingerprint (reloaded));
  g_assert_false (g_file_test (fixture->previous_path, G_FILE_TEST_EXISTS));
}

static void
test_loose_permissions_refused (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHubIdentity) identity = load (fixture);
  g_autoptr (HearthHubIdentity) reloaded = NULL;
  g_autoptr (GError) error = NULL;
  struct stat st;

  g_assert_cmpint (g_chmod (fixture->path, 0644), ==, 0);
  reloaded = hearth_hub_identity_new (fixture->dir, NULL, &error);
  g_assert_null (reloaded);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_assert_nonnull (strstr (error->message, "chmod 600"));

  /* Refused, not repaired: the mode is left for the person to decide about. */
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0644);

  g_assert_cmpint (g_chmod (fixture->path, 0600), ==, 0);
  g_clear_error (&error);
  reloaded = hearth_hub_identity_new (fixture->dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (reloaded), ==,
                   hearth_hub_identity_get_fingerprint (identity));
}

static void
write_private (const char *path, const char *contents)
{
  g_autoptr (GError) error = NULL;

  /* Consistent mode replaces the file; without it GLib may write in place over a longer file. */
  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
}

static void
assert_load_fails (Fixture *fixture, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHubIdentity) identity = hearth_hub_identity_new (fixture->dir, NULL, &error);

  g_assert_null (identity);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_corrupt_files_refused (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthHubIdentity) identity = load (fixture);
  g_autofree char *contents = NULL;
  g_autofree char *cert_only = NULL;
  g_autofree char *key_path = core_test_data_path ("protocol/identity/example-hub.key.pem");
  g_autofree char *other_key = NULL;
  g_autofree char *mismatched = NULL;
  char *key_start;

  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  key_start = strstr (contents, "-----BEGIN PRIVATE KEY-----");
  g_assert_nonnull (key_start);
  cert_only = g_strndup (contents, (gsize)(key_start - contents));

  write_private (fixture->path, "this is not PEM at all\n");
  assert_load_fails (fixture, fixture->path);

  write_private (fixture->path, cert_only);
  assert_load_fails (fixture, fixture->path);

  /* A certificate with somebody else's key. */
  g_assert_true (g_file_get_contents (key_path, &other_key, NULL, NULL));
  mismatched = g_strconcat (cert_only, other_key, NULL);
  write_private (fixture->path, mismatched);
  assert_load_fails (fixture, fixture->path);

  /* A damaged previous identity is refused too rather than ignored. */
  write_private (fixture->path, contents);
  write_private (fixture->previous_path, "garbage");
  assert_load_fails (fixture, fixture->previous_path);

  g_unlink (fixture->previous_path);
  g_object_unref (load (fixture));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/hub-identity/create-and-reload", Fixture, NULL, fixture_set_up,
              test_create_and_reload, fixture_tear_down);
  g_test_add ("/hub-identity/two-hubs-differ", Fixture, NULL, fixture_set_up, test_two_hubs_differ,
              fixture_tear_down);
  g_test_add ("/hub-identity/regenerate-keeps-previous", Fixture, NULL, fixture_set_up,
              test_regenerate_keeps_previous, fixture_tear_down);
  g_test_add ("/hub-identity/interrupted-regenerate", Fixture, NULL, fixture_set_up,
              test_interrupted_regenerate, fixture_tear_down);
  g_test_add ("/hub-identity/loose-permissions-refused", Fixture, NULL, fixture_set_up,
              test_loose_permissions_refused, fixture_tear_down);
  g_test_add ("/hub-identity/corrupt-files-refused", Fixture, NULL, fixture_set_up,
              test_corrupt_files_refused, fixture_tear_down);

  return g_test_run ();
}
