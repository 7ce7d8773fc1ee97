/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "hearth-hub.h"

G_BEGIN_DECLS

/* The control socket's name inside the data directory. */
#define HEARTH_CONTROL_SOCKET_FILE "control.sock"
/* The largest request body the control server reads. */
#define HEARTH_CONTROL_MAX_BODY_BYTES 65536
/* A request must be read completely within this many seconds. */
#define HEARTH_CONTROL_REQUEST_TIMEOUT_S 10

#define HEARTH_TYPE_CONTROL_SERVER (hearth_control_server_get_type ())

G_DECLARE_FINAL_TYPE (HearthControlServer, hearth_control_server, HEARTH, CONTROL_SERVER, GObject)

char *hearth_control_socket_path (const char *data_dir);

HearthControlServer *hearth_control_server_new (HearthHub *hub);
gboolean hearth_control_server_listen (HearthControlServer *self, const char *path, GError **error);
const char *hearth_control_server_get_path (HearthControlServer *self);
void hearth_control_server_stop (HearthControlServer *self);

G_END_DECLS
