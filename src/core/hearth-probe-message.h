/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The IOTSCP/2 multicast probe (docs/protocol.md §3): UDP port, groups and size limits. */
#define HEARTH_PROBE_PORT 4299
#define HEARTH_PROBE_GROUP_IPV4 "239.255.42.99"
#define HEARTH_PROBE_GROUP_IPV6 "ff02::42:99"
#define HEARTH_PROBE_MIN_BYTES 400
#define HEARTH_PROBE_MAX_BYTES 1200
#define HEARTH_PROBE_NONCE_LENGTH 16

/**
 * HearthProbeVerb:
 * @HEARTH_PROBE_VERB_PROBE: `IOTSCP/2 PROBE`, a controller asking who is there
 * @HEARTH_PROBE_VERB_HERE: `IOTSCP/2 HERE`, a device answering a probe
 * @HEARTH_PROBE_VERB_HELLO: `IOTSCP/2 HELLO`, a device announcing itself to the group
 */
typedef enum
{
  HEARTH_PROBE_VERB_PROBE,
  HEARTH_PROBE_VERB_HERE,
  HEARTH_PROBE_VERB_HELLO,
} HearthProbeVerb;

/**
 * HearthProbeMessage:
 * @verb: which message this is
 * @nonce: (nullable): 16 lowercase hex digits; set for PROBE and HERE, %NULL for HELLO
 * @device_id: (nullable): the device id (HERE, HELLO; optional in a PROBE)
 * @name: (nullable): the device name, valid UTF-8 without control characters (HERE, HELLO)
 * @port: the device's TLS port (HERE, HELLO), else 0
 * @fingerprint: (nullable): 64 lowercase hex digits (HERE, HELLO) — a hint, never a proof
 * @path: (nullable): where the self-description is (HERE, HELLO)
 * @is_pairing: whether the device says its pairing window is open (HERE, HELLO)
 *
 * One parsed probe message. Everything in it came from the network unauthenticated: it tells
 * the hub where to connect, and identity comes from the key pinned at connect time.
 */
typedef struct
{
  HearthProbeVerb verb;
  char *nonce;
  char *device_id;
  char *name;
  guint16 port;
  char *fingerprint;
  char *path;
  gboolean is_pairing;
} HearthProbeMessage;

#define HEARTH_TYPE_PROBE_MESSAGE (hearth_probe_message_get_type ())

GType hearth_probe_message_get_type (void) G_GNUC_CONST;
HearthProbeMessage *hearth_probe_message_copy (const HearthProbeMessage *message);
void hearth_probe_message_free (HearthProbeMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthProbeMessage, hearth_probe_message_free)

HearthProbeMessage *hearth_probe_message_parse (const guint8 *data, gsize length, GError **error);
char *hearth_probe_message_new_nonce (void);
GBytes *hearth_probe_message_build_probe (const char *nonce, const char *device_id, gsize size,
                                          GError **error);

G_END_DECLS
