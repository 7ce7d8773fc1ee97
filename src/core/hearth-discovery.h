/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-mdns-browser.h"
#include "hearth-sighting.h"

G_BEGIN_DECLS

/* A sighting nobody vouches for any more (Avahi removed the service, probe answers stopped) is
 * kept, marked stale, for this long before it leaves the model, so that a device that reboots
 * or a daemon that restarts does not make tiles flicker. */
#define HEARTH_DISCOVERY_STALE_SECONDS 60
/* Seconds between periodic probe rounds. A probe sighting that is not confirmed for three
 * rounds loses the probe source. */
#define HEARTH_DISCOVERY_PROBE_INTERVAL_SECONDS 30
/* At most this many sightings are kept: anyone on the link can announce any number of ids. */
#define HEARTH_DISCOVERY_MAX_SIGHTINGS 4096
/* The largest self-description add-by-address reads (docs/protocol.md §4.6). */
#define HEARTH_DISCOVERY_MAX_DESCRIPTION_BYTES 65536

/**
 * HearthInterfaceReport:
 * @name: the interface name ("eth0")
 * @index: its index
 * @is_up: whether it is up
 * @mdns_active: Avahi is running and browsing (Avahi decides which interfaces it uses, see
 *   `allow-interfaces` in avahi-daemon.conf)
 * @probe_ipv4_active: the IPv4 group is joined there and the last probe went out
 * @probe_ipv6_active: the same for IPv6 (ff02::42:99, needs a link-local address)
 * @last_error: (nullable): the last problem on this interface, in words
 * @device_ids: (array zero-terminated=1): the ids of devices currently seen there, sorted
 *
 * One line of the answer to "why isn't my device found?".
 */
typedef struct
{
  char *name;
  guint index;
  gboolean is_up;
  gboolean mdns_active;
  gboolean probe_ipv4_active;
  gboolean probe_ipv6_active;
  char *last_error;
  char **device_ids;
} HearthInterfaceReport;

#define HEARTH_TYPE_INTERFACE_REPORT (hearth_interface_report_get_type ())
GType hearth_interface_report_get_type (void) G_GNUC_CONST;
HearthInterfaceReport *hearth_interface_report_copy (const HearthInterfaceReport *report);
void hearth_interface_report_free (HearthInterfaceReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthInterfaceReport, hearth_interface_report_free)

#define HEARTH_TYPE_DISCOVERY (hearth_discovery_get_type ())

G_DECLARE_FINAL_TYPE (HearthDiscovery, hearth_discovery, HEARTH, DISCOVERY, GObject)

HearthDiscovery *hearth_discovery_new (void);
gboolean hearth_discovery_start (HearthDiscovery *self, GError **error);
void hearth_discovery_refresh (HearthDiscovery *self);
HearthSighting *hearth_discovery_lookup (HearthDiscovery *self, const char *device_id);
HearthMdnsState hearth_discovery_get_mdns_state (HearthDiscovery *self);
const char *hearth_discovery_get_mdns_error (HearthDiscovery *self);
guint hearth_discovery_get_n_mdns_restarts (HearthDiscovery *self);
guint hearth_discovery_get_n_probe_rounds (HearthDiscovery *self);
void hearth_discovery_add_address_async (HearthDiscovery *self, const char *host_and_port,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
HearthSighting *hearth_discovery_add_address_finish (HearthDiscovery *self, GAsyncResult *result,
                                                     GError **error);
GPtrArray *hearth_discovery_dup_interface_report (HearthDiscovery *self);

G_END_DECLS
