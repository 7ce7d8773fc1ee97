/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How HearthSighting merges reports from several sources (src/core/hearth-sighting.c): the
 * fingerprint hint, addresses with their interface and scope, and what a source going away
 * takes with it. */

#include "hearth-sighting-private.h"

#define FULL_FINGERPRINT "d8888f22474916b163b7fbfd9e0e7e9c2640bdcce461f891e7764dfb22408fcd"

static HearthSightingReport *
make_report (HearthSightingSource source, const char *address, guint interface_index,
             const char *fingerprint)
{
  HearthSightingReport *report = hearth_sighting_report_new (source);

  report->device_id = g_strdup ("sim-0123456789abcdef");
  report->name = g_strdup ("K\xc3\xbc"
                           "che");
  report->fingerprint_hint = g_strdup (fingerprint);
  report->path = g_strdup ("/.well-known/iotscp");
  report->port = 4443;
  report->address = g_inet_address_new_from_string (address);
  report->interface_index = interface_index;
  report->interface_name = g_strdup_printf ("if%u", interface_index);
  return report;
}

static void
test_merge (void)
{
  g_autoptr (HearthSighting) sighting = hearth_sighting_new ("sim-0123456789abcdef");
  g_autoptr (HearthSightingReport) mdns
      = make_report (HEARTH_SIGHTING_SOURCE_MDNS, "192.168.1.20", 2, "d8888f22474916b1");
  g_autoptr (HearthSightingReport) probe
      = make_report (HEARTH_SIGHTING_SOURCE_PROBE, "fe80::1", 2, FULL_FINGERPRINT);
  g_autoptr (GPtrArray) addresses = NULL;
  g_autoptr (GPtrArray) socket_addresses = NULL;
  HearthSightingAddress *address;
  GInetSocketAddress *socket_address;

  g_assert_true (hearth_sighting_get_is_stale (sighting));
  g_assert_true (hearth_sighting_apply_report (sighting, mdns));
  g_assert_false (hearth_sighting_get_is_stale (sighting));
  g_assert_cmpstr (hearth_sighting_get_fingerprint_hint (sighting), ==, "d8888f22474916b1");
  g_assert_cmpint (hearth_sighting_get_first_seen (sighting), >, 0);

  /* The full fingerprint replaces its own prefix, and the prefix does not shorten it again. */
  g_assert_true (hearth_sighting_apply_report (sighting, probe));
  g_assert_cmpstr (hearth_sighting_get_fingerprint_hint (sighting), ==, FULL_FINGERPRINT);
  g_assert_false (hearth_sighting_apply_report (sighting, mdns));
  g_assert_cmpstr (hearth_sighting_get_fingerprint_hint (sighting), ==, FULL_FINGERPRINT);
  g_assert_cmpint (hearth_sighting_get_sources (sighting), ==,
                   HEARTH_SIGHTING_SOURCE_MDNS | HEARTH_SIGHTING_SOURCE_PROBE);

  /* Most recently seen first; the IPv6 link-local address keeps its scope. */
  addresses = hearth_sighting_dup_addresses (sighting);
  g_assert_cmpuint (addresses->len, ==, 2);
  address = g_ptr_array_index (addresses, 0);
  g_assert_cmpstr (address->address, ==, "192.168.1.20");
  g_assert_cmpuint (address->scope_id, ==, 0);
  address = g_ptr_array_index (addresses, 1);
  g_assert_cmpstr (address->address, ==, "fe80::1");
  g_assert_cmpuint (address->scope_id, ==, 2);
  g_assert_cmpstr (address->interface_name, ==, "if2");
  socket_addresses = hearth_sighting_dup_socket_addresses (sighting);
  socket_address = g_ptr_array_index (socket_addresses, 1);
  g_assert_cmpuint (g_inet_socket_address_get_scope_id (socket_address), ==, 2);
  g_assert_cmpuint (g_inet_socket_address_get_port (socket_address), ==, 4443);

  /* A key that disagrees with the hint replaces it: the newest claim is shown. */
  g_free (mdns->fingerprint_hint);
  mdns->fingerprint_hint = g_strdup ("0123456789abcdef");
  g_assert_true (hearth_sighting_apply_report (sighting, mdns));
  g_assert_cmpstr (hearth_sighting_get_fingerprint_hint (sighting), ==, "0123456789abcdef");
}

static void
test_withdraw_and_expire (void)
{
  g_autoptr (HearthSighting) sighting = hearth_sighting_new ("sim-0123456789abcdef");
  g_autoptr (HearthSightingReport) mdns_eth
      = make_report (HEARTH_SIGHTING_SOURCE_MDNS, "192.168.1.20", 2, "d8888f22474916b1");
  g_autoptr (HearthSightingReport) mdns_wlan
      = make_report (HEARTH_SIGHTING_SOURCE_MDNS, "192.168.2.20", 3, "d8888f22474916b1");
  g_autoptr (HearthSightingReport) probe
      = make_report (HEARTH_SIGHTING_SOURCE_PROBE, "192.168.1.20", 2, FULL_FINGERPRINT);
  g_autoptr (GPtrArray) addresses = NULL;

  hearth_sighting_apply_report (sighting, mdns_eth);
  hearth_sighting_apply_report (sighting, mdns_wlan);
  hearth_sighting_apply_report (sighting, probe);

  /* mDNS leaves interface 3: that address goes, the one the probe also vouches for stays. */
  hearth_sighting_withdraw (sighting, HEARTH_SIGHTING_SOURCE_MDNS, 3);
  addresses = hearth_sighting_dup_addresses (sighting);
  g_assert_cmpuint (addresses->len, ==, 1);
  g_clear_pointer (&addresses, g_ptr_array_unref);
  hearth_sighting_withdraw (sighting, HEARTH_SIGHTING_SOURCE_MDNS, 0);
  g_assert_cmpint (hearth_sighting_get_sources (sighting), ==, HEARTH_SIGHTING_SOURCE_PROBE);
  g_assert_cmpint (hearth_sighting_get_stale_since (sighting), ==, 0);

  /* A probe answer newer than the cut-off keeps the source; an older one loses it. */
  hearth_sighting_expire (sighting, HEARTH_SIGHTING_SOURCE_PROBE,
                          g_get_monotonic_time () - G_USEC_PER_SEC);
  g_assert_false (hearth_sighting_get_is_stale (sighting));
  hearth_sighting_expire (sighting, HEARTH_SIGHTING_SOURCE_PROBE, g_get_monotonic_time () + 1);
  g_assert_true (hearth_sighting_get_is_stale (sighting));
  g_assert_cmpint (hearth_sighting_get_stale_since (sighting), >, 0);
  addresses = hearth_sighting_dup_addresses (sighting);
  g_assert_cmpuint (addresses->len, ==, 0);
  g_clear_pointer (&addresses, g_ptr_array_unref);

  /* A new report revives it. */
  hearth_sighting_apply_report (sighting, mdns_eth);
  g_assert_false (hearth_sighting_get_is_stale (sighting));
  g_assert_cmpint (hearth_sighting_get_stale_since (sighting), ==, 0);
}

static void
test_source_names (void)
{
  g_autofree char *none = hearth_sighting_source_to_string (HEARTH_SIGHTING_SOURCE_NONE);
  g_autofree char *all = hearth_sighting_source_to_string (
      HEARTH_SIGHTING_SOURCE_MDNS | HEARTH_SIGHTING_SOURCE_PROBE | HEARTH_SIGHTING_SOURCE_MANUAL);

  g_assert_cmpstr (none, ==, "none");
  g_assert_cmpstr (all, ==, "mdns,probe,manual");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sighting/merge", test_merge);
  g_test_add_func ("/sighting/withdraw-and-expire", test_withdraw_and_expire);
  g_test_add_func ("/sighting/source-names", test_source_names);

  return g_test_run ();
}
