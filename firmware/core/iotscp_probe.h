/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp_probe.h — the multicast probe responder's hooks into the device loop
 * (docs/protocol.md section 3).
 *
 * The device core (iotscp_device.c) owns the state struct below, embedded in every
 * iotscp_device, and calls these functions from its loop; iotscp_probe.c implements them using
 * the probe codec (iotscp_probe_msg.h) and the port's UDP functions. When iotscp_probe.c is not
 * part of the build, meson does not define IOTSCP_HAVE_PROBE and the core does not call them.
 *
 * Facts the responder needs come from the public accessors in iotscp.h: iotscp_device_id(),
 * _name(), _fingerprint(), _tcp_port(), _pairing_open(), _port(); the path is
 * IOTSCP_DESCRIPTION_PATH.
 */
#ifndef IOTSCP_PROBE_H
#define IOTSCP_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "iotscp_config.h"
#include "iotscp_port.h"

#ifdef __cplusplus
extern "C"
{
#endif

/* Sources remembered for the per-source limit (one answer per address per 100 ms). */
#ifndef IOTSCP_PROBE_RECENT_SOURCES
#define IOTSCP_PROBE_RECENT_SOURCES 8
#endif

  /*
 * Responder state, one per device, owned by the device struct and zeroed by
 * iotscp_device_init() (handles are set to -1 there). Only iotscp_probe.c touches the fields.
 */
  typedef struct iotscp_probe_state
  {
    int socket_ipv4; /* -1 when closed. */
    /*
     * -1 when closed (opening is retried every 30 s, e.g. until an interface has an IPv6
     * address); -2 when the port has no IPv6 at all (iotscp_port_udp_open answered
     * IOTSCP_PORT_UNSUPPORTED): then it is never retried and the responder serves IPv4 only.
     */
    int socket_ipv6;
    /* HELLO announcements: at 0 s, 1 s and 3 s after start, and one more after a name
     * change (protocol.md section 3.5). */
    uint8_t announcements_sent;
    uint64_t next_announcement_ms; /* UINT64_MAX when none is due. */
    uint64_t announce_base_ms;     /* Time of the start or name change. */
    /* Token bucket: 10 answers per second, burst 20, in thousandths of a token. */
    uint32_t tokens_milli;
    uint64_t tokens_updated_ms;
    /* Recently answered source addresses with the time of the answer (ring). */
    struct
    {
      iotscp_addr addr;
      uint64_t answered_ms;
    } recent[IOTSCP_PROBE_RECENT_SOURCES];
    uint8_t recent_next;
  } iotscp_probe_state;

  struct iotscp_device;
  struct iotscp_pollfd;

  /* Opens the IPv4 (and, when the port supports it, IPv6) socket on IOTSCP_PROBE_PORT, joins the
 * groups and schedules the HELLO announcements. Called by iotscp_device_start() after the TCP
 * listener exists (so the port number is known). Returns 0 or a negative IOTSCP_PORT_* code;
 * the device keeps running without the responder if it fails. */
  int iotscp_probe_start (struct iotscp_device *dev, uint64_t now_ms);

  /* Closes the sockets. Safe to call when start failed or was never called. */
  void iotscp_probe_stop (struct iotscp_device *dev);

  /* Writes the responder's sockets (with IOTSCP_POLL_IN) into fds, at most cap; returns the count
 * (at most 2). */
  size_t iotscp_probe_pollfds (struct iotscp_device *dev, struct iotscp_pollfd *fds, size_t cap);

  /* Reads and answers pending probes on the ready sockets among fds (only the entries written by
 * iotscp_probe_pollfds are passed), and sends announcements that are due at now_ms. */
  void iotscp_probe_process (struct iotscp_device *dev, const struct iotscp_pollfd *fds, size_t n,
                             uint64_t now_ms);

  /* The next time an announcement is due, or UINT64_MAX. */
  uint64_t iotscp_probe_next_deadline (const struct iotscp_device *dev);

  /* The name changed: sends one more HELLO, at once (protocol.md section 3.5). While the three
   * start-up HELLOs are still due, nothing is added: they carry the new name anyway. */
  void iotscp_probe_announce (struct iotscp_device *dev, uint64_t now_ms);

  /* The responder state of a device (the same as &dev->probe). */
  iotscp_probe_state *iotscp_device_probe_state (struct iotscp_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* IOTSCP_PROBE_H */
