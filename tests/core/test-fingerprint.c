/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-fingerprint"

#include "core-test-utils.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-hub-identity.h"

/* The golden vectors in tests/data/protocol/identity/ hold certificates with fingerprints
 * computed by `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`, the
 * recipe docs/protocol.md §1 gives to people; the hub must compute the same. */

static char *
read_data_file (const char *relative_path)
{
  g_autofree char *path = core_test_data_path (relative_path);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return g_strstrip (contents);
}

static void
check_golden (const char *name)
{
  g_autofree char *cert_file = g_strdup_printf ("protocol/identity/%s.crt.pem", name);
  g_autofree char *fp_file = g_strdup_printf ("protocol/identity/%s.fingerprint", name);
  g_autofree char *cert_path = core_test_data_path (cert_file);
  g_autofree char *expected = read_data_file (fp_file);
  g_autofree char *fingerprint = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (GError) error = NULL;

  certificate = g_tls_certificate_new_from_file (cert_path, &error);
  g_assert_no_error (error);

  fingerprint = hearth_fingerprint_from_tls_certificate (certificate, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fingerprint, ==, expected);
  g_assert_true (hearth_fingerprint_is_valid (fingerprint));
}

static void
test_golden_vectors (void)
{
  check_golden ("example-hub");
  check_golden ("example-device");
}

/* Runs openssl itself on a freshly made hub certificate, so the check does not depend on
 * vectors made once. */
static void
test_matches_openssl (void)
{
  g_autofree char *dir = core_test_make_temp_dir ();
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autoptr (HearthHubIdentity) identity = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pem_path = NULL;
  g_autofree char *command = NULL;
  g_autofree char *output = NULL;
  int status = 0;

  if (openssl == NULL)
    {
      g_test_skip ("openssl is not installed");
      core_test_remove_tree (dir);
      return;
    }

  identity = hearth_hub_identity_new (dir, NULL, &error);
  g_assert_no_error (error);

  pem_path = g_build_filename (dir, HEARTH_HUB_IDENTITY_FILE, NULL);
  command = g_strdup_printf ("sh -c '%s x509 -in %s -pubkey -noout | %s pkey -pubin -outform DER "
                             "| sha256sum'",
                             openssl, pem_path, openssl);
  g_spawn_command_line_sync (command, &output, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpuint (strlen (output), >, HEARTH_FINGERPRINT_LENGTH);
  output[HEARTH_FINGERPRINT_LENGTH] = '\0';

  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (identity), ==, output);

  core_test_remove_tree (dir);
}

static void
test_invalid_input (void)
{
  static const guint8 garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
  g_autoptr (GError) error = NULL;
  char *fingerprint;

  fingerprint = hearth_fingerprint_from_der (garbage, sizeof garbage, &error);
  g_assert_null (fingerprint);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  g_clear_error (&error);

  fingerprint = hearth_fingerprint_from_der (garbage, 0, &error);
  g_assert_null (fingerprint);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
}

static void
test_validity_and_display (void)
{
  const char *valid = "a4c35e2267d425ed84461ac3bdcbebaeb9979ddf2137af6049b132d1c8ed0da2";
  g_autofree char *display = NULL;

  g_assert_true (hearth_fingerprint_is_valid (valid));
  g_assert_false (hearth_fingerprint_is_valid (NULL));
  g_assert_false (hearth_fingerprint_is_valid (""));
  g_assert_false (hearth_fingerprint_is_valid (
      "A4C35E2267D425ED84461AC3BDCBEBAEB9979DDF2137AF6049B132D1C8ED0DA2"));
  g_assert_false (hearth_fingerprint_is_valid (
      "a4c35e2267d425ed84461ac3bdcbebaeb9979ddf2137af6049b132d1c8ed0da"));
  g_assert_false (hearth_fingerprint_is_valid (
      "a4c35e2267d425ed84461ac3bdcbebaeb9979ddf2137af6049b132d1c8ed0da20"));
  g_assert_false (hearth_fingerprint_is_valid (
      "g4c35e2267d425ed84461ac3bdcbebaeb9979ddf2137af6049b132d1c8ed0da2"));

  display = hearth_fingerprint_format_for_display (valid);
  g_assert_cmpstr (
      display, ==,
      "a4c3 5e22 67d4 25ed 8446 1ac3 bdcb ebae b997 9ddf 2137 af60 49b1 32d1 c8ed 0da2");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fingerprint/golden-vectors", test_golden_vectors);
  g_test_add_func ("/fingerprint/matches-openssl", test_matches_openssl);
  g_test_add_func ("/fingerprint/invalid-input", test_invalid_input);
  g_test_add_func ("/fingerprint/validity-and-display", test_validity_and_display);

  return g_test_run ();
}
