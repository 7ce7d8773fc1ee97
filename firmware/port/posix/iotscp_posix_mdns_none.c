/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The POSIX port built without Avahi (libavahi-client-dev missing, or iotscp_posix_mdns.c not
 * part of the build): devices are found through the multicast probe only. Every call reports
 * IOTSCP_PORT_UNSUPPORTED, which the core treats as "no mDNS here".
 */
#include "iotscp_posix.h"

int
iotscp_posix_mdns_init (iotscp_port *port)
{
  (void)port;
  return IOTSCP_PORT_UNSUPPORTED;
}

void
iotscp_posix_mdns_fini (iotscp_port *port)
{
  (void)port;
}

int
iotscp_port_mdns_publish (iotscp_port *port, const char *instance, uint16_t tcp_port,
                          const iotscp_txt_item *txt, size_t txt_count)
{
  (void)port;
  (void)instance;
  (void)tcp_port;
  (void)txt;
  (void)txt_count;
  return IOTSCP_PORT_UNSUPPORTED;
}

int
iotscp_port_mdns_update (iotscp_port *port, int handle, const char *instance,
                         const iotscp_txt_item *txt, size_t txt_count)
{
  (void)port;
  (void)handle;
  (void)instance;
  (void)txt;
  (void)txt_count;
  return IOTSCP_PORT_UNSUPPORTED;
}

void
iotscp_port_mdns_withdraw (iotscp_port *port, int handle)
{
  (void)port;
  (void)handle;
}

void
iotscp_posix_mdns_quit (iotscp_port *port)
{
  (void)port;
}
