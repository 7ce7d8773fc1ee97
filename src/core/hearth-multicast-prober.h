/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the prober knows about one network interface, for diagnostics. */
typedef struct
{
  char *name;
  guint index;
  gboolean is_up;
  gboolean probe_ipv4_active; /* joined the IPv4 group and the last probe went out */
  gboolean probe_ipv6_active; /* the same for IPv6 */
  char *last_error;           /* nullable */
} HearthProbeInterface;

void hearth_probe_interface_free (HearthProbeInterface *interface);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthProbeInterface, hearth_probe_interface_free)

#define HEARTH_TYPE_MULTICAST_PROBER (hearth_multicast_prober_get_type ())

G_DECLARE_FINAL_TYPE (HearthMulticastProber, hearth_multicast_prober, HEARTH, MULTICAST_PROBER,
                      GObject)

HearthMulticastProber *hearth_multicast_prober_new (guint probe_interval_seconds,
                                                    const char *const *allowed_interfaces);
gboolean hearth_multicast_prober_start (HearthMulticastProber *self, GError **error);
void hearth_multicast_prober_probe_now (HearthMulticastProber *self);
void hearth_multicast_prober_rescan_interfaces (HearthMulticastProber *self);
GPtrArray *hearth_multicast_prober_dup_interfaces (HearthMulticastProber *self);
guint hearth_multicast_prober_get_n_rounds (HearthMulticastProber *self);

G_END_DECLS
