/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Codec of the IOTSCP/2 multicast probe messages (docs/protocol.md section 3).
 *
 * A message is UTF-8 text: a verb line ("IOTSCP/2 PROBE", "IOTSCP/2 HERE" or
 * "IOTSCP/2 HELLO"), then "key=value" lines; every line, the last one
 * included, ends in "\n". Keys are [a-z]+; values run to the end of the line
 * and contain no control characters. The parsers reject duplicate keys and
 * malformed lines, and ignore unknown keys (so later versions can add some).
 */
#ifndef IOTSCP_PROBE_MSG_H
#define IOTSCP_PROBE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotscp_config.h"

/* Length of a nonce in hex digits. */
#define IOTSCP_PROBE_NONCE_LEN 16

/* A parsed probe. */
typedef struct iotscp_probe
{
  char nonce[IOTSCP_PROBE_NONCE_LEN + 1];
  bool has_id; /* only the device with this id may answer */
  char id[IOTSCP_DEVICE_ID_MAX + 1];
} iotscp_probe;

/*
 * Parses a received probe datagram. Returns 0, or -1 when it must be
 * ignored: size outside IOTSCP_PROBE_MIN_SIZE..IOTSCP_PROBE_MAX_SIZE, not
 * valid UTF-8, wrong verb, missing or bad nonce (16 hex digits, either
 * case), bad id, a pad value other than dots, missing pad, or a malformed
 * line.
 */
int iotscp_probe_parse (const void *msg, size_t len, iotscp_probe *out);

/*
 * Writes a probe with `nonce` (16 hex digits) and optional `id` (NULL for
 * all devices), padded with dots to exactly `size` bytes, which must be in
 * IOTSCP_PROBE_MIN_SIZE..IOTSCP_PROBE_MAX_SIZE. Returns the length (== size),
 * or 0 on bad arguments or when cap < size. Not NUL-terminated.
 */
size_t iotscp_probe_format (char *buf, size_t cap, size_t size, const char *nonce, const char *id);

/* What a device says about itself in an answer (HERE) or announcement (HELLO). */
typedef struct iotscp_probe_info
{
  const char *id;   /* device id */
  const char *name; /* full device name, UTF-8 */
  uint16_t port;    /* TLS port */
  const char *fp;   /* 64 lowercase hex digits */
  const char *path; /* description path, "/.well-known/iotscp" */
  bool pair;        /* a pairing window is open */
} iotscp_probe_info;

/*
 * Writes an answer to the probe whose nonce is `nonce`, or an announcement
 * when nonce is NULL, into buf. The message must not exceed max_size bytes
 * (for an answer: the size of the probe, so the answer never amplifies) nor
 * cap. Returns its length (not NUL-terminated), or 0 when it would be
 * larger, or a field is invalid (id, fp, name with control characters or
 * invalid UTF-8, path not starting with '/', port 0).
 */
size_t iotscp_probe_answer_format (char *buf, size_t cap, size_t max_size, const char *nonce,
                                   const iotscp_probe_info *info);

/* A parsed answer or announcement. */
typedef struct iotscp_probe_answer
{
  bool hello; /* announcement (HELLO, no nonce) rather than answer (HERE) */
  char nonce[IOTSCP_PROBE_NONCE_LEN + 1];
  char id[IOTSCP_DEVICE_ID_MAX + 1];
  char name[IOTSCP_DEVICE_NAME_MAX + 1];
  uint16_t port;
  char fp[64 + 1];
  char path[IOTSCP_PROBE_PATH_MAX + 1];
  bool pair;
} iotscp_probe_answer;

/*
 * Parses an answer or announcement (at most IOTSCP_PROBE_MAX_SIZE bytes).
 * All of id, name, port, fp, path, pair and v=2 are required, and nonce for
 * an answer (it must be absent from an announcement). Returns 0 or -1.
 */
int iotscp_probe_answer_parse (const void *msg, size_t len, iotscp_probe_answer *out);

#endif /* IOTSCP_PROBE_MSG_H */
