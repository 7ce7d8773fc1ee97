/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The POSIX port of the IOTSCP/2 core (Linux): BSD sockets, poll(), files in a state directory,
 * getrandom(), CLOCK_MONOTONIC, stderr, and mDNS through the Avahi client library
 * (iotscp_posix_mdns.c; iotscp_posix_mdns_none.c when Avahi is not built in).
 *
 * One port instance serves every device of a process.
 */
#ifndef IOTSCP_POSIX_H
#define IOTSCP_POSIX_H

#include <limits.h>
#include <stdbool.h>

#include "iotscp.h"

struct iotscp_port
{
  /* Storage lives in <state_dir>/<namespace>/<key>. */
  char state_dir[PATH_MAX];
  /* Messages above this level are not printed (IOTSCP_LOG_INFO by default). */
  iotscp_log_level log_level;
  /* Private state of the mDNS implementation (iotscp_posix_mdns.c), NULL before its init. */
  void *mdns;
  /* Called with every handle the core closes, just before it is closed (NULL: not called): an
   * application that watches handles itself (the simulator's epoll set) forgets it there, since
   * the number may come back at once for another socket. */
  void (*closing) (void *user, int handle);
  void *closing_user;
};

/* Prepares the port; state_dir is created if missing. Returns 0 or -1 (message on stderr). */
int iotscp_posix_port_init (iotscp_port *port, const char *state_dir);
/* The same without mDNS: the devices are reached by address only. For benchmarks and tests that
 * host hundreds of simulated devices, which must not be announced on the network. */
int iotscp_posix_port_init_without_mdns (iotscp_port *port, const char *state_dir);
/* Says that every device is about to stop and the port to be released: the port skips work
 * whose result the release makes moot (one D-Bus withdrawal per mDNS service). */
void iotscp_posix_port_begin_shutdown (iotscp_port *port);
/* Releases what the port holds (mDNS client). */
void iotscp_posix_port_fini (iotscp_port *port);

/*
 * mDNS hooks, implemented by iotscp_posix_mdns.c: connect to avahi-daemon (may run a helper
 * thread; must not block the caller for long, and must keep working, or retrying, when the
 * daemon is absent or restarts). init returns 0, or a negative IOTSCP_PORT_* code when mDNS is
 * not available (devices then run without it). Called by iotscp_posix_port_init / _fini.
 */
int iotscp_posix_mdns_init (iotscp_port *port);
void iotscp_posix_mdns_fini (iotscp_port *port);
/* The process is about to stop every device and exit: withdrawals need not be sent one by one
 * (the daemon drops a client's services when it disconnects). */
void iotscp_posix_mdns_quit (iotscp_port *port);

/* Raises the soft RLIMIT_NOFILE to the hard limit (1,000 devices need more than 1,024 fds).
 * Returns the new soft limit. */
long iotscp_posix_raise_fd_limit (void);

/* Converts between the core's poll flags and poll(2)'s. */
short iotscp_posix_poll_events (uint8_t iotscp_events);
uint8_t iotscp_posix_poll_revents (short poll_revents);

#endif /* IOTSCP_POSIX_H */
