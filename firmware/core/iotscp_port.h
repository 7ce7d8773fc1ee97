/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp_port.h — what the portable IOTSCP/2 core needs from the platform.
 *
 * A port (firmware/port/posix, firmware/port/esp-idf) implements every function declared here.
 * The core never calls the C library for I/O, time or randomness directly; it only calls these.
 *
 * Conventions, so that one port instance can serve many devices in one process (the simulator
 * hosts up to 1,000 of them) without any global state in the core:
 *
 * - Every function takes the port instance first. `struct iotscp_port` is defined by the port
 *   (for POSIX in iotscp_posix.h); the core only passes the pointer around.
 * - Sockets are int handles (on POSIX and lwIP they are file descriptors, so the application
 *   can poll() or select() them directly). A negative handle is never valid.
 * - All sockets are non-blocking. Functions that would block return IOTSCP_PORT_WOULD_BLOCK.
 *   Other failures return IOTSCP_PORT_ERROR (or another negative IOTSCP_PORT_* code).
 * - Every function is called from the one thread that runs the device loop. A port may use a
 *   helper thread internally (for example for Avahi), but must hide it.
 * - Nothing here may block for long: storage writes of a few hundred bytes are the slowest calls.
 */
#ifndef IOTSCP_PORT_H
#define IOTSCP_PORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

  /* Defined by the port. */
  typedef struct iotscp_port iotscp_port;

  /* Result codes shared by all port functions. Success is 0 or a non-negative count/handle. */
  enum
  {
    IOTSCP_PORT_OK = 0,
    IOTSCP_PORT_ERROR = -1,       /* Any failure not listed below. */
    IOTSCP_PORT_WOULD_BLOCK = -2, /* Try again when the handle is ready. */
    IOTSCP_PORT_NOT_FOUND = -3,   /* Storage key absent. */
    IOTSCP_PORT_TOO_BIG = -4,     /* Storage value larger than the caller's buffer. */
    IOTSCP_PORT_UNSUPPORTED = -5, /* The port has no such facility (e.g. no mDNS, no IPv6). */
    IOTSCP_PORT_ADDR_IN_USE = -6, /* Listening port already taken. */
  };

  /* ---- Time and randomness ------------------------------------------------------------------ */

  /* Milliseconds from an arbitrary fixed point; never goes backwards (CLOCK_MONOTONIC). */
  uint64_t iotscp_port_now_ms (iotscp_port *port);

  /*
 * Fills `buf` with `len` bytes from a cryptographically secure generator (getrandom on Linux,
 * esp_fill_random with RF enabled on ESP32). Returns 0, or IOTSCP_PORT_ERROR if no secure
 * randomness is available (the core then refuses to make keys). The core also hands this
 * function to mbedTLS as its f_rng, so it must be cheap for small requests.
 */
  int iotscp_port_random (iotscp_port *port, void *buf, size_t len);

  /* ---- Logging ------------------------------------------------------------------------------ */

  typedef enum
  {
    IOTSCP_LOG_ERROR = 0,
    IOTSCP_LOG_WARNING = 1,
    IOTSCP_LOG_INFO = 2,
    IOTSCP_LOG_DEBUG = 3,
  } iotscp_log_level;

  /*
 * Logs one line (no trailing newline in `fmt`). `who` names the device (its id) or is NULL for
 * messages about the port itself. POSIX writes to stderr; ESP-IDF uses ESP_LOG*.
 */
  void iotscp_port_log (iotscp_port *port, iotscp_log_level level, const char *who, const char *fmt,
                        ...)
#if defined(__GNUC__)
      __attribute__ ((format (printf, 4, 5)))
#endif
      ;

  /* ---- Storage of small blobs --------------------------------------------------------------- */

  /*
 * Persistent key/value storage for small blobs (at most a few KiB: key, certificate, controller
 * list, device id). `ns` separates devices that share one port (the simulator passes "" for a
 * single device and "0", "1", … with --count; on POSIX a namespace is a subdirectory of the
 * state directory). Namespaces and keys are 1–15 bytes of [a-z0-9._-] (the NVS limit), except
 * that `ns` may be "" (the port's default namespace).
 *
 * set must be atomic: after a crash either the old or the new value is read back, never a mix.
 */

  /* Reads the value into buf. On success returns 0 and stores the length in *len. Returns
 * IOTSCP_PORT_NOT_FOUND if absent, IOTSCP_PORT_TOO_BIG (with the needed size in *len) if `cap`
 * is too small, IOTSCP_PORT_ERROR on I/O failure. */
  int iotscp_port_storage_get (iotscp_port *port, const char *ns, const char *key, void *buf,
                               size_t cap, size_t *len);
  /* Replaces the value atomically. Returns 0 or IOTSCP_PORT_ERROR. */
  int iotscp_port_storage_set (iotscp_port *port, const char *ns, const char *key, const void *buf,
                               size_t len);
  /* Removes the key. Removing an absent key succeeds. */
  int iotscp_port_storage_delete (iotscp_port *port, const char *ns, const char *key);

  /* ---- Addresses ---------------------------------------------------------------------------- */

  enum
  {
    IOTSCP_AF_INET = 4,
    IOTSCP_AF_INET6 = 6,
  };

  /* A socket address independent of the platform's sockaddr types. Addresses in network order. */
  typedef struct iotscp_addr
  {
    uint8_t family;    /* IOTSCP_AF_INET or IOTSCP_AF_INET6. */
    uint8_t bytes[16]; /* 4 bytes used for IPv4. */
    uint16_t port;     /* Host byte order. */
    uint32_t scope_id; /* IPv6 interface index for link-local addresses, else 0. */
  } iotscp_addr;

  /* ---- TCP ---------------------------------------------------------------------------------- */

  /*
 * Opens a non-blocking listening socket on all addresses (IPv6 dual stack when the port can,
 * else IPv4) at *tcp_port; 0 asks for any free port, and the chosen port is written back.
 * Returns the handle, IOTSCP_PORT_ADDR_IN_USE or IOTSCP_PORT_ERROR.
 */
  int iotscp_port_tcp_listen (iotscp_port *port, uint16_t *tcp_port, int backlog);

  /*
 * Accepts one pending connection and makes it non-blocking. Writes the peer address (IPv4
 * mapped addresses are reported as IOTSCP_AF_INET) to *peer if it is not NULL. Returns the new
 * handle or IOTSCP_PORT_WOULD_BLOCK when nothing is pending, or IOTSCP_PORT_ERROR.
 */
  int iotscp_port_tcp_accept (iotscp_port *port, int listener, iotscp_addr *peer);

  /*
 * Starts a non-blocking connect. Returns the handle; the connection is usable when the handle
 * polls writable and iotscp_port_tcp_connect_finish() returns 0.
 */
  int iotscp_port_tcp_connect (iotscp_port *port, const iotscp_addr *to);
  /* 0 = connected, IOTSCP_PORT_WOULD_BLOCK = still connecting, IOTSCP_PORT_ERROR = failed. */
  int iotscp_port_tcp_connect_finish (iotscp_port *port, int handle);

  /* Sends up to len bytes. Returns the count sent (> 0), IOTSCP_PORT_WOULD_BLOCK or
 * IOTSCP_PORT_ERROR (including a reset connection). Never raises SIGPIPE. */
  long iotscp_port_tcp_send (iotscp_port *port, int handle, const void *buf, size_t len);
  /* Receives up to cap bytes. Returns the count (> 0), 0 at end of stream,
 * IOTSCP_PORT_WOULD_BLOCK or IOTSCP_PORT_ERROR. */
  long iotscp_port_tcp_recv (iotscp_port *port, int handle, void *buf, size_t cap);

  /* Writes the local address of a connected or bound socket. Returns 0 or IOTSCP_PORT_ERROR. */
  int iotscp_port_local_addr (iotscp_port *port, int handle, iotscp_addr *local);

  /* Closes a TCP or UDP handle. Closing a negative handle does nothing. */
  void iotscp_port_close (iotscp_port *port, int handle);

  /* ---- UDP multicast (used by the probe responder, iotscp_probe.c) ---------------------------- */

  /*
 * Opens a non-blocking UDP socket of `family` bound to the wildcard address at udp_port, with
 * address reuse so that several devices in one process (or host) can bind the same port and
 * each receive every multicast datagram. Multicast TTL / hop limit is set to 1 and multicast
 * loopback is enabled. Returns the handle, IOTSCP_PORT_UNSUPPORTED (e.g. no IPv6) or
 * IOTSCP_PORT_ERROR.
 */
  int iotscp_port_udp_open (iotscp_port *port, int family, uint16_t udp_port);
  /* Joins the group (an address of the socket's family; port ignored) on the default interface
 * (`group->scope_id` selects the interface for IPv6, 0 = default). Returns 0 or an error. */
  int iotscp_port_udp_join (iotscp_port *port, int handle, const iotscp_addr *group);
  /* Sends one datagram. Returns the count sent, IOTSCP_PORT_WOULD_BLOCK or IOTSCP_PORT_ERROR. */
  long iotscp_port_udp_sendto (iotscp_port *port, int handle, const void *buf, size_t len,
                               const iotscp_addr *to);
  /* Receives one datagram (truncated datagrams are reported as IOTSCP_PORT_TOO_BIG and dropped).
 * Returns the length, IOTSCP_PORT_WOULD_BLOCK or an error. */
  long iotscp_port_udp_recvfrom (iotscp_port *port, int handle, void *buf, size_t cap,
                                 iotscp_addr *from);

  /* ---- mDNS / DNS-SD ------------------------------------------------------------------------ */

  /* One TXT record entry, key=value; value is UTF-8 and not NUL-terminated-dependent. */
  typedef struct iotscp_txt_item
  {
    const char *key;
    const char *value;
  } iotscp_txt_item;

  /*
 * Publishes the service `_iotscp._tcp` with the instance name `instance` (UTF-8, already cut to
 * at most 63 bytes at a character boundary by the core) on tcp_port with the given TXT items.
 * The port copies everything it needs; the pointers need not stay valid after the call.
 * Publication may complete asynchronously (and the port may rename on collision, e.g. " #2").
 * Returns a handle >= 0 for update/withdraw, IOTSCP_PORT_UNSUPPORTED when the port has no mDNS
 * (the device works without it: the multicast probe still finds it), or IOTSCP_PORT_ERROR.
 */
  int iotscp_port_mdns_publish (iotscp_port *port, const char *instance, uint16_t tcp_port,
                                const iotscp_txt_item *txt, size_t txt_count);
  /* Replaces the instance name and TXT items of a published service. */
  int iotscp_port_mdns_update (iotscp_port *port, int handle, const char *instance,
                               const iotscp_txt_item *txt, size_t txt_count);
  /* Withdraws the service and frees the handle. */
  void iotscp_port_mdns_withdraw (iotscp_port *port, int handle);

#ifdef __cplusplus
}
#endif

#endif /* IOTSCP_PORT_H */
