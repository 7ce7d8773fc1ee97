/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>

#include "hearth-error.h"

static void
test_error_domain_is_stable (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (HEARTH_ERROR, !=, 0);
  g_assert_cmpuint (HEARTH_ERROR, ==, hearth_error_quark ());
  g_assert_cmpstr (g_quark_to_string (HEARTH_ERROR), ==, "hearth-error-quark");

  error = g_error_new (HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE, "body of %u bytes", 70000u);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
  g_assert_false (g_error_matches (error, G_IO_ERROR, HEARTH_ERROR_TOO_LARGE));
  g_assert_cmpstr (error->message, ==, "body of 70000 bytes");
}

/* Every code must survive a trip over D-Bus, because hearthctl will receive the hub's errors
 * that way; a code missing from the table would arrive as a generic G_DBUS_ERROR. */
static void
test_error_round_trips_over_dbus (void)
{
  for (int code = HEARTH_ERROR_FAILED; code <= HEARTH_ERROR_NOT_SUPPORTED; code++)
    {
      g_autoptr (GError) original = g_error_new (HEARTH_ERROR, code, "code %d", code);
      g_autofree char *name = g_dbus_error_encode_gerror (original);
      g_autoptr (GError) received = NULL;

      g_assert_true (g_str_has_prefix (name, "org.hearth.Hearth.Error."));
      received = g_dbus_error_new_for_dbus_error (name, original->message);
      g_assert_error (received, HEARTH_ERROR, code);
      g_dbus_error_strip_remote_error (received);
      g_assert_cmpstr (received->message, ==, original->message);
    }
}

static void
test_error_names_are_distinct (void)
{
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int code = HEARTH_ERROR_FAILED; code <= HEARTH_ERROR_NOT_SUPPORTED; code++)
    {
      g_autoptr (GError) error = g_error_new_literal (HEARTH_ERROR, code, "x");
      char *name = g_dbus_error_encode_gerror (error);

      g_assert_false (g_hash_table_contains (names, name));
      g_hash_table_add (names, name);
    }
  g_assert_cmpuint (g_hash_table_size (names), ==, HEARTH_ERROR_NOT_SUPPORTED + 1);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/error/domain-is-stable", test_error_domain_is_stable);
  g_test_add_func ("/core/error/round-trips-over-dbus", test_error_round_trips_over_dbus);
  g_test_add_func ("/core/error/names-are-distinct", test_error_names_are_distinct);

  return g_test_run ();
}
