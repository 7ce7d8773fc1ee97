/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The hub's command-line options, shared by `hearth` and `hearth-headless` so that both take
 * them with the same texts, checks and defaults. */
typedef struct
{
  char *data_dir;        /* --data-dir; NULL when not given */
  int port;              /* --port; -1 when not given */
  int heartbeat;         /* --heartbeat; 0 when not given */
  gboolean no_discovery; /* --no-discovery */
} HearthHubOptions;

#define HEARTH_HUB_OPTIONS_INIT                                                                    \
  {                                                                                                \
    NULL, -1, 0, FALSE                                                                             \
  }
#define HEARTH_HUB_DEFAULT_PORT 8443
#define HEARTH_HUB_DEFAULT_HEARTBEAT 15

void hearth_hub_options_add_entries (HearthHubOptions *options, GOptionContext *context);
gboolean hearth_hub_options_check (const HearthHubOptions *options);
guint16 hearth_hub_options_get_headless_port (const HearthHubOptions *options);
guint hearth_hub_options_get_headless_heartbeat (const HearthHubOptions *options);
void hearth_hub_options_clear (HearthHubOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HearthHubOptions, hearth_hub_options_clear)

int hearth_headless_run (const char *data_dir, guint16 port, gboolean discovery_enabled,
                         guint heartbeat);

G_END_DECLS
