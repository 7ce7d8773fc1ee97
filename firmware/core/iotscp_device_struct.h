/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The device struct. Applications need its size (they allocate it), but every field is private
 * to the core: use the functions in iotscp.h. Only iotscp_probe.c reaches into `probe`.
 *
 * Everything the core needs lives here and is sized by iotscp_config.h. The only memory outside
 * it is mbedTLS's: the device's key, certificate and TLS configurations (allocated once by
 * iotscp_device_start()), and one TLS context per open connection (allocated when the
 * connection is accepted or made, freed when it closes), because an mbedTLS context carries two
 * 16 KiB record buffers that idle devices should not hold.
 */
#ifndef IOTSCP_DEVICE_STRUCT_H
#define IOTSCP_DEVICE_STRUCT_H

#include "iotscp_http.h"
#include "iotscp_probe.h"

struct mbedtls_ssl_context;
struct iotscp_tls; /* mbedTLS objects shared by all connections of a device (iotscp_tls.c). */

/* Handles a device can ask to have polled: listener, connections, NOTIFY clients, probe. */
#define IOTSCP_DEVICE_MAX_POLLFDS (1 + IOTSCP_MAX_CONNECTIONS + IOTSCP_MAX_SUBSCRIPTIONS + 2)

/* What the mbedTLS I/O callbacks need: the first member of connections and subscriptions. */
typedef struct iotscp_io
{
  iotscp_port *port;
  int handle; /* -1 when closed. */
} iotscp_io;

/* A property's current value; strings are kept in `text`. */
typedef struct iotscp_property_slot
{
  const iotscp_property_decl *decl;
  iotscp_value value;
  char text[IOTSCP_MAX_STRING_VALUE + 1];
} iotscp_property_slot;

/* A controller: SHA-256 of its SubjectPublicKeyInfo and a name for people. */
typedef struct iotscp_controller
{
  uint8_t fingerprint[32];
  char name[IOTSCP_CONTROLLER_NAME_MAX + 1];
} iotscp_controller;

/* One served TLS connection. */
typedef struct iotscp_connection
{
  iotscp_io io;              /* io.handle -1: the slot is free. */
  struct iotscp_device *dev; /* Back pointer for the mbedTLS I/O callbacks. */
  struct mbedtls_ssl_context *ssl;
  uint8_t state; /* iotscp_connection_state in iotscp_device.c */
  bool close_after_write;
  bool has_peer_key;
  uint8_t peer_fingerprint[32];
  iotscp_addr peer;
  bool answer_keep_alive;
  uint8_t answer_kind;     /* iotscp_answer_kind in iotscp_routes.c: buffered or generated */
  bool hello_seen;         /* The whole ClientHello has arrived (section 4.4 of firmware.md). */
  bool from_known_address; /* Accepted from an address a controller authenticated from. */
  uint64_t accepted_ms;    /* Age, for choosing which connection makes room. */
  uint64_t deadline_ms;    /* Handshake, request or idle deadline, by state. */
  uint32_t write_len;      /* Length handed to mbedtls_ssl_write while it wants to be retried. */
  uint32_t answer_len;     /* The whole answer, head and body. */
  uint32_t answer_sent;    /* Bytes of it TLS has taken. */
  uint32_t answer_body;    /* Generated answers: body length, measured before the head. */
  uint32_t answer_version; /* Generated answers: dev->content_version when measured. */
  iotscp_http_request request; /* The body buffer is the device's, lent (see `body`). */
} iotscp_connection;

/* Property changes and events, encoded as JSON entries, waiting for subscribers. */
typedef struct iotscp_event_ring
{
  char bytes[IOTSCP_EVENT_RING_SIZE];
  struct
  {
    uint16_t offset;
    uint16_t length;
  } entries[IOTSCP_EVENT_RING_ENTRIES];
  uint32_t first;     /* Number of the oldest entry kept. */
  uint32_t next;      /* Number the next entry gets. */
  uint16_t write_pos; /* Byte offset after the newest entry. */
} iotscp_event_ring;

/* One subscription and its NOTIFY client connection. */
typedef struct iotscp_subscription
{
  iotscp_io io; /* The NOTIFY client connection; io.handle -1 without one. */
  bool active;
  uint8_t client_state; /* iotscp_notify_state in iotscp_subscription.c */
  bool sending_heartbeat;
  uint8_t sid[16];
  uint8_t subscriber_fingerprint[32];
  iotscp_addr callback_addr;
  uint32_t seq;       /* SEQ of the next NOTIFY. */
  uint32_t cursor;    /* Ring entry number of the next entry to send. */
  uint32_t in_flight; /* Entries in the NOTIFY being sent. */
  uint32_t heartbeat_ms;
  uint64_t expires_ms;
  uint64_t last_sent_ms;   /* When the last NOTIFY was started. */
  uint64_t op_deadline_ms; /* Connect + handshake + answer deadline of the NOTIFY in flight. */
  uint32_t write_len;      /* Length handed to mbedtls_ssl_write while it wants to be retried. */
  /* The NOTIFY in flight is generated again for every window of the scratch buffer from the
   * ring entries it covers (in_flight of them from cursor); these make it the same each time. */
  uint32_t notify_seq;
  uint32_t notify_body_len;
  uint32_t notify_len;
  uint32_t notify_sent;
  struct mbedtls_ssl_context *ssl;
  char callback_host[IOTSCP_HTTP_MAX_HOST + 1]; /* Host header value (host[:port]). */
  char callback_path[IOTSCP_HTTP_MAX_CALLBACK + 1];
  iotscp_http_response response; /* Keeps no body by default: only the status matters. */
} iotscp_subscription;

struct iotscp_device
{
  iotscp_port *port;
  iotscp_callbacks callbacks;
  const char *model;
  const char *manufacturer;
  const char *firmware;
  const char *ui_icon;
  const char *ui_primary;
  const char *storage_ns;
  const char *requested_id;
  const char *id_prefix;
  bool started;
  bool identity_loaded;
  uint16_t tcp_port;
  int listener;
  int mdns_handle;
  uint64_t started_ms;

  char id[IOTSCP_DEVICE_ID_MAX + 1];
  char name[IOTSCP_DEVICE_NAME_MAX + 1];
  char fingerprint_hex[65];
  char boot_id[33];

  uint8_t property_count;
  uint8_t action_count;
  uint8_t event_count;
  uint8_t controller_count;
  iotscp_property_slot properties[IOTSCP_MAX_PROPERTIES];
  const iotscp_action_decl *actions[IOTSCP_MAX_ACTIONS];
  const iotscp_event_decl *events[IOTSCP_MAX_EVENTS];
  iotscp_controller controllers[IOTSCP_MAX_CONTROLLERS];

  struct iotscp_tls *tls;
  iotscp_connection connections[IOTSCP_MAX_CONNECTIONS];
  /* Addresses (port ignored) that controllers recently authenticated from, newest first. */
  iotscp_addr known_controller_addresses[IOTSCP_KNOWN_CONTROLLER_ADDRESSES];
  uint8_t known_controller_address_count;
  iotscp_subscription subscriptions[IOTSCP_MAX_SUBSCRIPTIONS];
  iotscp_event_ring ring;
  iotscp_probe_state probe;

  /* Bumped whenever something a generated answer shows changes (a property value, the name,
   * the controller list), so that an answer written in several windows is never stitched
   * together from two states: its connection closes instead. */
  uint32_t content_version;

  /* One request body buffer per device, lent to the connection that is reading a body (NULL:
   * free). Another connection whose body begins meanwhile waits, not polled for input, until
   * the buffer is free; the holder gives it back as soon as its request is handled. */
  struct iotscp_connection *body_holder;
  iotscp_http_body_buffer body;

  /* Received bytes pass through here; small answers are composed here whole, long answers and
   * NOTIFY requests one window at a time. */
  char scratch[IOTSCP_SCRATCH_SIZE];
};

#endif /* IOTSCP_DEVICE_STRUCT_H */
