/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * HearthMdnsState:
 * @HEARTH_MDNS_STATE_STOPPED: not started
 * @HEARTH_MDNS_STATE_CONNECTING: waiting for avahi-daemon (or the system bus) to appear
 * @HEARTH_MDNS_STATE_RUNNING: browsing `_iotscp._tcp`
 *
 * The state of the DNS-SD half of discovery.
 */
typedef enum
{
  HEARTH_MDNS_STATE_STOPPED,
  HEARTH_MDNS_STATE_CONNECTING,
  HEARTH_MDNS_STATE_RUNNING,
} HearthMdnsState;

#define HEARTH_TYPE_MDNS_STATE (hearth_mdns_state_get_type ())
GType hearth_mdns_state_get_type (void) G_GNUC_CONST;

#define HEARTH_MDNS_SERVICE_TYPE "_iotscp._tcp"

#define HEARTH_TYPE_MDNS_BROWSER (hearth_mdns_browser_get_type ())

G_DECLARE_FINAL_TYPE (HearthMdnsBrowser, hearth_mdns_browser, HEARTH, MDNS_BROWSER, GObject)

HearthMdnsBrowser *hearth_mdns_browser_new (void);
void hearth_mdns_browser_start (HearthMdnsBrowser *self);
HearthMdnsState hearth_mdns_browser_get_state (HearthMdnsBrowser *self);
const char *hearth_mdns_browser_get_last_error (HearthMdnsBrowser *self);
guint hearth_mdns_browser_get_n_restarts (HearthMdnsBrowser *self);

G_END_DECLS
