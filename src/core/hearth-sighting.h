/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * HearthSightingSource:
 * @HEARTH_SIGHTING_SOURCE_NONE: no source vouches for the sighting any more (it is stale)
 * @HEARTH_SIGHTING_SOURCE_MDNS: DNS-SD `_iotscp._tcp` through Avahi
 * @HEARTH_SIGHTING_SOURCE_PROBE: the IOTSCP multicast probe: an answer or a HELLO
 * @HEARTH_SIGHTING_SOURCE_MANUAL: added by address (hearth_discovery_add_address_async())
 *
 * Where a sighting, or one of its addresses, was learnt from.
 */
typedef enum
{
  HEARTH_SIGHTING_SOURCE_NONE = 0,
  HEARTH_SIGHTING_SOURCE_MDNS = 1 << 0,
  HEARTH_SIGHTING_SOURCE_PROBE = 1 << 1,
  HEARTH_SIGHTING_SOURCE_MANUAL = 1 << 2,
} HearthSightingSource;

/**
 * HearthSightingAddress:
 * @address: the IP address as text, without scope ("192.168.1.20", "fe80::2")
 * @interface_name: (nullable): the interface it was seen on ("eth0"), when known
 * @interface_index: that interface's index, or 0 when unknown
 * @scope_id: for IPv6 link-local addresses the scope (interface index) needed to connect;
 *   otherwise 0
 * @sources: which sources reported this address
 * @last_seen: when a source last reported it, microseconds since the Unix epoch
 *
 * One address a device was seen at.
 */
typedef struct
{
  char *address;
  char *interface_name;
  guint interface_index;
  guint scope_id;
  HearthSightingSource sources;
  gint64 last_seen;
} HearthSightingAddress;

#define HEARTH_TYPE_SIGHTING_SOURCE (hearth_sighting_source_get_type ())
#define HEARTH_TYPE_SIGHTING_ADDRESS (hearth_sighting_address_get_type ())
#define HEARTH_TYPE_SIGHTING (hearth_sighting_get_type ())

GType hearth_sighting_source_get_type (void) G_GNUC_CONST;
GType hearth_sighting_address_get_type (void) G_GNUC_CONST;
HearthSightingAddress *hearth_sighting_address_copy (const HearthSightingAddress *address);
void hearth_sighting_address_free (HearthSightingAddress *address);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSightingAddress, hearth_sighting_address_free)

char *hearth_sighting_source_to_string (HearthSightingSource sources);

G_DECLARE_FINAL_TYPE (HearthSighting, hearth_sighting, HEARTH, SIGHTING, GObject)

const char *hearth_sighting_get_device_id (HearthSighting *self);
const char *hearth_sighting_get_name (HearthSighting *self);
const char *hearth_sighting_get_fingerprint_hint (HearthSighting *self);
guint16 hearth_sighting_get_port (HearthSighting *self);
const char *hearth_sighting_get_path (HearthSighting *self);
gboolean hearth_sighting_get_is_pairing (HearthSighting *self);
HearthSightingSource hearth_sighting_get_sources (HearthSighting *self);
gboolean hearth_sighting_get_is_stale (HearthSighting *self);
gint64 hearth_sighting_get_first_seen (HearthSighting *self);
gint64 hearth_sighting_get_last_seen (HearthSighting *self);
GPtrArray *hearth_sighting_dup_addresses (HearthSighting *self);
GPtrArray *hearth_sighting_dup_socket_addresses (HearthSighting *self);

G_END_DECLS
