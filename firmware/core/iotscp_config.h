/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compile-time limits of the IOTSCP/2 firmware core.
 *
 * Every buffer the core owns is sized by one of these macros, so a port can
 * shrink or grow them with -D on the compiler command line (or a header
 * included before this one). Each is guarded by #ifndef; append new limits
 * in the same form at the end of the section they belong to. The values of
 * the protocol limits come from docs/protocol.md section 8: changing them
 * changes what the device accepts, so keep them at least as large as the
 * protocol says.
 */
#ifndef IOTSCP_CONFIG_H
#define IOTSCP_CONFIG_H

/* ---- Identity and names (docs/protocol.md sections 1-4) ---- */

/* Device id: 1-64 bytes of [a-z0-9-]. */
#ifndef IOTSCP_DEVICE_ID_MAX
#define IOTSCP_DEVICE_ID_MAX 64
#endif

/* Device name in bytes of UTF-8 (the TXT record value limit is 255 bytes). */
#ifndef IOTSCP_DEVICE_NAME_MAX
#define IOTSCP_DEVICE_NAME_MAX 128
#endif

/* Property, action and event names: 1-32 bytes of UTF-8. */
#ifndef IOTSCP_NAME_MAX
#define IOTSCP_NAME_MAX 32
#endif

/* DNS-SD instance names are cut at a character boundary to this many bytes. */
#ifndef IOTSCP_DNSSD_INSTANCE_MAX
#define IOTSCP_DNSSD_INSTANCE_MAX 63
#endif

/* ---- HTTP request parser (docs/protocol.md section 8) ---- */

/* Request line plus headers, in bytes (431 above it). */
#ifndef IOTSCP_HTTP_MAX_HEAD
#define IOTSCP_HTTP_MAX_HEAD 2048
#endif

/* Request target, in bytes, query included (414 above it). */
#ifndef IOTSCP_HTTP_MAX_TARGET
#define IOTSCP_HTTP_MAX_TARGET 256
#endif

/* Header fields per request (431 above it). */
#ifndef IOTSCP_HTTP_MAX_HEADERS
#define IOTSCP_HTTP_MAX_HEADERS 32
#endif

/* Request body, in bytes, after chunked decoding (413 above it). */
#ifndef IOTSCP_HTTP_MAX_BODY
#define IOTSCP_HTTP_MAX_BODY 2048
#endif

/* Path segments kept per request; more is answered 414. */
#ifndef IOTSCP_HTTP_MAX_SEGMENTS
#define IOTSCP_HTTP_MAX_SEGMENTS 8
#endif

/*
 * Bytes shared by the values of the headers the protocol needs (Host,
 * Content-Type, SID, CALLBACK, ...). Each header also has its own maximum
 * below; a value over its maximum, or values that together overflow the
 * store, are answered 431.
 */
#ifndef IOTSCP_HTTP_HEADER_STORE
#define IOTSCP_HTTP_HEADER_STORE 512
#endif

/* Per-header value maxima, in bytes. */
#ifndef IOTSCP_HTTP_MAX_HOST
#define IOTSCP_HTTP_MAX_HOST 128
#endif
#ifndef IOTSCP_HTTP_MAX_CALLBACK
#define IOTSCP_HTTP_MAX_CALLBACK 256
#endif
#ifndef IOTSCP_HTTP_MAX_SHORT_VALUE
#define IOTSCP_HTTP_MAX_SHORT_VALUE 64
#endif

/* Longest chunk-size line, in hex digits (leading zeros included). */
#ifndef IOTSCP_HTTP_MAX_CHUNK_DIGITS
#define IOTSCP_HTTP_MAX_CHUNK_DIGITS 8
#endif

/* ---- HTTP response parser (the device's NOTIFY client side) ---- */

/* Body bytes kept from a response; the rest is framed and skipped. The device needs only the
 * status of an answer to NOTIFY (2xx or 412), so it keeps none; 0 is a valid value. */
#ifndef IOTSCP_HTTP_MAX_RESPONSE_BODY
#define IOTSCP_HTTP_MAX_RESPONSE_BODY 0
#endif

/* Status line plus headers of a response, in bytes. */
#ifndef IOTSCP_HTTP_MAX_RESPONSE_HEAD
#define IOTSCP_HTTP_MAX_RESPONSE_HEAD 2048
#endif

/* ---- JSON ---- */

/* Tokens of one parsed document (a value, a key or a container each). */
#ifndef IOTSCP_JSON_MAX_TOKENS
#define IOTSCP_JSON_MAX_TOKENS 64
#endif

/* Nesting depth of arrays and objects. */
#ifndef IOTSCP_JSON_MAX_DEPTH
#define IOTSCP_JSON_MAX_DEPTH 8
#endif

/* Characters of one number literal that iotscp_json_get_double() converts. */
#ifndef IOTSCP_JSON_MAX_NUMBER
#define IOTSCP_JSON_MAX_NUMBER 40
#endif

/* ---- Multicast probe (docs/protocol.md section 3) ---- */

#ifndef IOTSCP_PROBE_PORT
#define IOTSCP_PROBE_PORT 4299
#endif
#ifndef IOTSCP_PROBE_GROUP_IPV4
#define IOTSCP_PROBE_GROUP_IPV4 "239.255.42.99"
#endif
#ifndef IOTSCP_PROBE_GROUP_IPV6
#define IOTSCP_PROBE_GROUP_IPV6 "ff02::42:99"
#endif
#ifndef IOTSCP_PROBE_MIN_SIZE
#define IOTSCP_PROBE_MIN_SIZE 400
#endif
#ifndef IOTSCP_PROBE_MAX_SIZE
#define IOTSCP_PROBE_MAX_SIZE 1200
#endif

/* The `path` value of an answer, in bytes. */
#ifndef IOTSCP_PROBE_PATH_MAX
#define IOTSCP_PROBE_PATH_MAX 64
#endif

/* ---- Device model, server and subscriptions (owned by the device core, iotscp_device.c) ---- */

/* Declared properties, actions and events per device. */
#ifndef IOTSCP_MAX_PROPERTIES
#define IOTSCP_MAX_PROPERTIES 8
#endif
#ifndef IOTSCP_MAX_ACTIONS
#define IOTSCP_MAX_ACTIONS 4
#endif
#ifndef IOTSCP_MAX_EVENTS
#define IOTSCP_MAX_EVENTS 4
#endif

/* Fields of one action input or event data object. */
#ifndef IOTSCP_MAX_FIELDS
#define IOTSCP_MAX_FIELDS 8
#endif

/* Bytes of a string property value kept in the device (longer writes are answered 422). */
#ifndef IOTSCP_MAX_STRING_VALUE
#define IOTSCP_MAX_STRING_VALUE 64
#endif

/* Concurrent TLS connections served per device (section 8: 4 in the simulator). */
#ifndef IOTSCP_MAX_CONNECTIONS
#define IOTSCP_MAX_CONNECTIONS 4
#endif

/* Connection admission (protocol.md sections 5.1 and 8, docs/firmware.md section 4.4).
 * Connections from one source address that are not an authenticated controller's (still in the
 * handshake, or without a controller key) at most this many at a time: one host cannot take
 * every slot. Half the slots, at least one. */
#ifndef IOTSCP_MAX_UNAUTHENTICATED_PER_ADDRESS
#define IOTSCP_MAX_UNAUTHENTICATED_PER_ADDRESS                                                     \
  (IOTSCP_MAX_CONNECTIONS / 2 > 0 ? IOTSCP_MAX_CONNECTIONS / 2 : 1)
#endif
/* The whole ClientHello must have arrived this long after the TCP connection was accepted. */
#ifndef IOTSCP_CLIENT_HELLO_TIMEOUT_MS
#define IOTSCP_CLIENT_HELLO_TIMEOUT_MS 2000
#endif
/* A connection younger than this is never closed to make room for an unknown newcomer, so that
 * a client always gets the time to finish its handshake; older unauthenticated ones may be.
 * On a chip whose ECDHE-ECDSA handshake takes about a second, raise it above that time. */
#ifndef IOTSCP_ADMISSION_GRACE_MS
#define IOTSCP_ADMISSION_GRACE_MS 1000
#endif
/* Source addresses of the latest connections that authenticated as a controller; a newcomer
 * from one of them may take the slot of any unauthenticated connection at once. */
#ifndef IOTSCP_KNOWN_CONTROLLER_ADDRESSES
#define IOTSCP_KNOWN_CONTROLLER_ADDRESSES 4
#endif

/* Subscriptions and controllers per device (section 8). */
#ifndef IOTSCP_MAX_SUBSCRIPTIONS
#define IOTSCP_MAX_SUBSCRIPTIONS 4
#endif
#ifndef IOTSCP_MAX_CONTROLLERS
#define IOTSCP_MAX_CONTROLLERS 8
#endif

/* Bytes of a controller's name. */
#ifndef IOTSCP_CONTROLLER_NAME_MAX
#define IOTSCP_CONTROLLER_NAME_MAX 64
#endif

/*
 * Answers and NOTIFY requests are handed to TLS through this buffer (TLS copies them into its
 * own record buffer, so one buffer per device serves all its connections). Small answers
 * (errors, one value, SUBSCRIBE) are composed in it whole; long ones (the description, the HTML
 * page, GET /properties, GET /controllers, NOTIFY) are generated again for every window of this
 * size and written piece by piece (docs/firmware.md section 6), so no document has to fit.
 * Received request bytes pass through it too. It must hold the largest small answer: an error
 * (at most about 550 bytes) or a subscription answer; 1,024 leaves room.
 */
#ifndef IOTSCP_SCRATCH_SIZE
#define IOTSCP_SCRATCH_SIZE 1024
#endif

/* Property changes and events waiting to be sent, shared by all subscriptions of a device:
 * a ring of encoded entries. A subscriber that falls behind by more than this loses entries
 * and sees a SEQ gap. The entries of a NOTIFY stay in the ring until it is answered, so the
 * default (the simulator's) holds a full batch in flight (16 entries, at most 2,048 bytes)
 * plus a full batch waiting: a device that changes values faster than its subscriber answers
 * then sends full batches instead of about half-full ones (docs/firmware.md section 6). A
 * small device can keep less (the footprint example keeps 1 KiB) at the price of SEQ gaps
 * when a subscriber falls behind. */
#ifndef IOTSCP_EVENT_RING_SIZE
#define IOTSCP_EVENT_RING_SIZE 4096
#endif
#ifndef IOTSCP_EVENT_RING_ENTRIES
#define IOTSCP_EVENT_RING_ENTRIES 48
#endif

/* One NOTIFY carries at most this many entries and body bytes (section 7). */
#ifndef IOTSCP_NOTIFY_MAX_ENTRIES
#define IOTSCP_NOTIFY_MAX_ENTRIES 16
#endif
#ifndef IOTSCP_NOTIFY_MAX_BODY
#define IOTSCP_NOTIFY_MAX_BODY 2048
#endif

/* Timing (section 8), in milliseconds. */
#ifndef IOTSCP_REQUEST_TIMEOUT_MS
#define IOTSCP_REQUEST_TIMEOUT_MS 10000
#endif
#ifndef IOTSCP_HANDSHAKE_TIMEOUT_MS
#define IOTSCP_HANDSHAKE_TIMEOUT_MS 10000
#endif
#ifndef IOTSCP_IDLE_TIMEOUT_MS
#define IOTSCP_IDLE_TIMEOUT_MS 60000
#endif
#ifndef IOTSCP_NOTIFY_TIMEOUT_MS
#define IOTSCP_NOTIFY_TIMEOUT_MS 5000
#endif

#endif /* IOTSCP_CONFIG_H */
