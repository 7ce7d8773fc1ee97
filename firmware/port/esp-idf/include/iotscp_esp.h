/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ESP-IDF port of the IOTSCP/2 core: lwIP BSD sockets, NVS storage, esp_timer, the hardware
 * RNG, ESP-IDF's mdns component and ESP_LOG.
 *
 * A board runs one device per chip: make one port, one device, and drive the device from one
 * task with iotscp_esp_poll() (see firmware/examples/esp32-light/main/main.c).
 */
#ifndef IOTSCP_ESP_H
#define IOTSCP_ESP_H

#include <stdbool.h>
#include <stdint.h>

#include "iotscp.h"

struct iotscp_port
{
  /* Messages above this level are not logged (from CONFIG_IOTSCP_LOG_LEVEL). */
  iotscp_log_level log_level;
  /* True once mdns_init() succeeded. */
  bool mdns_ready;
  /* True while the one service of this chip is published (the mdns component identifies a
   * service by its type and protocol, so one chip publishes one device). */
  bool mdns_published;
};

/*
 * Prepares the port: initialises NVS (erasing it only when its layout is from a newer or full
 * partition, as ESP-IDF's examples do) and the mdns component with `hostname` (NULL: keep the
 * interface's). Call after esp_netif_init() and the default event loop exist. Returns 0 or -1.
 */
int iotscp_esp_port_init (iotscp_port *port, const char *hostname);

/*
 * Waits with select() until one of fds[0..n) is ready or deadline_ms (iotscp_port_now_ms
 * clock; UINT64_MAX = no deadline) has passed, at most max_wait_ms, and fills in revents.
 * Returns the number of ready entries, 0 on timeout, -1 on error.
 */
int iotscp_esp_poll (iotscp_port *port, iotscp_pollfd *fds, size_t n, uint64_t deadline_ms,
                     uint32_t max_wait_ms);

#endif /* IOTSCP_ESP_H */
