/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "hearth-sighting.h"

G_BEGIN_DECLS

/* What one source (the mDNS browser, the multicast prober, add-by-address) learnt about one
 * device at one address. Only HearthDiscovery and its sources use it; the UI sees the merged
 * HearthSighting. All strings are already validated by the source. */
typedef struct
{
  HearthSightingSource source;
  char *device_id;
  char *name;
  char *fingerprint_hint; /* 16 hex digits (TXT) or 64 (probe answer, TLS handshake) */
  char *path;
  guint16 port;
  gboolean is_pairing;
  GInetAddress *address;
  guint interface_index;
  char *interface_name;
} HearthSightingReport;

HearthSightingReport *hearth_sighting_report_new (HearthSightingSource source);
void hearth_sighting_report_free (HearthSightingReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSightingReport, hearth_sighting_report_free)

HearthSighting *hearth_sighting_new (const char *device_id);
gboolean hearth_sighting_apply_report (HearthSighting *self, const HearthSightingReport *report);
void hearth_sighting_withdraw (HearthSighting *self, HearthSightingSource source,
                               guint interface_index);
void hearth_sighting_expire (HearthSighting *self, HearthSightingSource source,
                             gint64 older_than_us);
gint64 hearth_sighting_get_stale_since (HearthSighting *self);

G_END_DECLS
