/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * POSIX implementation of iotscp_port.h: time, randomness, logging, state directory storage and
 * non-blocking sockets. mDNS is in iotscp_posix_mdns.c.
 */
#define _GNU_SOURCE 1

#include "iotscp_posix.h"

#include <stdbool.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- Port lifecycle ----------------------------------------------------------------------- */

static int
make_directory (const char *path)
{
  if (mkdir (path, 0700) == 0 || errno == EEXIST)
    return 0;
  return -1;
}

static int
port_init (iotscp_port *port, const char *state_dir, bool with_mdns)
{
  memset (port, 0, sizeof *port);
  port->log_level = IOTSCP_LOG_INFO;
  if (strlen (state_dir) >= sizeof port->state_dir - 40)
    {
      fprintf (stderr, "iotscp: state directory path too long: %s\n", state_dir);
      return -1;
    }
  /* The length was checked above; memcpy rather than snprintf keeps GCC's format checker quiet
   * in sanitizer builds, where it cannot see that state_dir is not NULL. */
  memcpy (port->state_dir, state_dir, strlen (state_dir) + 1);
  if (make_directory (state_dir) < 0)
    {
      fprintf (stderr, "iotscp: cannot create state directory %s: %s\n", state_dir,
               strerror (errno));
      return -1;
    }
  if (with_mdns && iotscp_posix_mdns_init (port) < 0)
    iotscp_port_log (port, IOTSCP_LOG_INFO, NULL, "mDNS not available; devices run without it");
  return 0;
}

int
iotscp_posix_port_init (iotscp_port *port, const char *state_dir)
{
  return port_init (port, state_dir, true);
}

/* port->mdns stays NULL, which every mDNS hook treats as "not available". */
int
iotscp_posix_port_init_without_mdns (iotscp_port *port, const char *state_dir)
{
  return port_init (port, state_dir, false);
}

void
iotscp_posix_port_begin_shutdown (iotscp_port *port)
{
  iotscp_posix_mdns_quit (port);
}

void
iotscp_posix_port_fini (iotscp_port *port)
{
  iotscp_posix_mdns_fini (port);
}

long
iotscp_posix_raise_fd_limit (void)
{
  struct rlimit limit;
  if (getrlimit (RLIMIT_NOFILE, &limit) < 0)
    return -1;
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) < 0)
        return -1;
    }
  return (long)limit.rlim_cur;
}

short
iotscp_posix_poll_events (uint8_t events)
{
  short out = 0;
  if (events & IOTSCP_POLL_IN)
    out |= POLLIN;
  if (events & IOTSCP_POLL_OUT)
    out |= POLLOUT;
  return out;
}

uint8_t
iotscp_posix_poll_revents (short revents)
{
  uint8_t out = 0;
  if (revents & POLLIN)
    out |= IOTSCP_POLL_IN;
  if (revents & POLLOUT)
    out |= IOTSCP_POLL_OUT;
  if (revents & (POLLERR | POLLHUP | POLLNVAL))
    out |= IOTSCP_POLL_ERR;
  return out;
}

/* ---- Time, randomness, logging ------------------------------------------------------------ */

uint64_t
iotscp_port_now_ms (iotscp_port *port)
{
  struct timespec ts;
  (void)port;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
iotscp_port_random (iotscp_port *port, void *buf, size_t len)
{
  uint8_t *out = buf;
  (void)port;
  while (len > 0)
    {
      ssize_t n = getrandom (out, len, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return IOTSCP_PORT_ERROR;
        }
      out += n;
      len -= (size_t)n;
    }
  return IOTSCP_PORT_OK;
}

void
iotscp_port_log (iotscp_port *port, iotscp_log_level level, const char *who, const char *fmt, ...)
{
  static const char *const names[] = { "error", "warning", "info", "debug" };
  char line[512];
  va_list args;

  if (port != NULL && level > port->log_level)
    return;
  va_start (args, fmt);
  vsnprintf (line, sizeof line, fmt, args);
  va_end (args);
  /* One fprintf per line so that lines of different devices never interleave. */
  fprintf (stderr, "iotscp-device[%s]%s%s: %s\n", names[level], who ? " " : "", who ? who : "",
           line);
}

/* ---- Storage ------------------------------------------------------------------------------ */

static bool
storage_name_ok (const char *s, bool may_be_empty)
{
  size_t n = strlen (s);
  if (n == 0)
    return may_be_empty;
  if (n > 15 || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char c = s[i];
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        return false;
    }
  return true;
}

static int
storage_dir (iotscp_port *port, const char *ns, char *out, size_t cap)
{
  int n;
  if (!storage_name_ok (ns, true))
    return -1;
  if (ns[0] == '\0')
    n = snprintf (out, cap, "%s", port->state_dir);
  else
    n = snprintf (out, cap, "%s/%s", port->state_dir, ns);
  return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int
iotscp_port_storage_get (iotscp_port *port, const char *ns, const char *key, void *buf, size_t cap,
                         size_t *len)
{
  char dir[PATH_MAX], path[PATH_MAX + 32];
  struct stat st;
  int fd;
  size_t done = 0;

  if (storage_dir (port, ns, dir, sizeof dir) < 0 || !storage_name_ok (key, false))
    return IOTSCP_PORT_ERROR;
  snprintf (path, sizeof path, "%s/%s", dir, key);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? IOTSCP_PORT_NOT_FOUND : IOTSCP_PORT_ERROR;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  *len = (size_t)st.st_size;
  if ((size_t)st.st_size > cap)
    {
      close (fd);
      return IOTSCP_PORT_TOO_BIG;
    }
  while (done < (size_t)st.st_size)
    {
      ssize_t n = read (fd, (uint8_t *)buf + done, (size_t)st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          return IOTSCP_PORT_ERROR;
        }
      done += (size_t)n;
    }
  close (fd);
  return IOTSCP_PORT_OK;
}

static int
fsync_directory (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int ret;
  if (fd < 0)
    return -1;
  ret = fsync (fd);
  close (fd);
  return ret;
}

int
iotscp_port_storage_set (iotscp_port *port, const char *ns, const char *key, const void *buf,
                         size_t len)
{
  char dir[PATH_MAX], path[PATH_MAX + 32], temp[PATH_MAX + 48];
  size_t done = 0;
  int fd;

  if (storage_dir (port, ns, dir, sizeof dir) < 0 || !storage_name_ok (key, false))
    return IOTSCP_PORT_ERROR;
  if (make_directory (dir) < 0)
    return IOTSCP_PORT_ERROR;
  snprintf (path, sizeof path, "%s/%s", dir, key);
  snprintf (temp, sizeof temp, "%s/.%s.tmp", dir, key);
  /* Write a temporary file, flush it, then rename it over the old one and flush the directory:
   * after a crash either the old or the new file is there, complete. */
  fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return IOTSCP_PORT_ERROR;
  while (done < len)
    {
      ssize_t n = write (fd, (const uint8_t *)buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          unlink (temp);
          return IOTSCP_PORT_ERROR;
        }
      done += (size_t)n;
    }
  if (fsync (fd) < 0 || close (fd) < 0)
    {
      unlink (temp);
      return IOTSCP_PORT_ERROR;
    }
  if (rename (temp, path) < 0)
    {
      unlink (temp);
      return IOTSCP_PORT_ERROR;
    }
  fsync_directory (dir);
  return IOTSCP_PORT_OK;
}

int
iotscp_port_storage_delete (iotscp_port *port, const char *ns, const char *key)
{
  char dir[PATH_MAX], path[PATH_MAX + 32];
  if (storage_dir (port, ns, dir, sizeof dir) < 0 || !storage_name_ok (key, false))
    return IOTSCP_PORT_ERROR;
  snprintf (path, sizeof path, "%s/%s", dir, key);
  if (unlink (path) < 0 && errno != ENOENT)
    return IOTSCP_PORT_ERROR;
  fsync_directory (dir);
  return IOTSCP_PORT_OK;
}

/* ---- Addresses ---------------------------------------------------------------------------- */

static socklen_t
to_sockaddr (const iotscp_addr *addr, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof *ss);
  if (addr->family == IOTSCP_AF_INET)
    {
      struct sockaddr_in *sin = (struct sockaddr_in *)ss;
      sin->sin_family = AF_INET;
      sin->sin_port = htons (addr->port);
      memcpy (&sin->sin_addr, addr->bytes, 4);
      return sizeof *sin;
    }
  else
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons (addr->port);
      memcpy (&sin6->sin6_addr, addr->bytes, 16);
      sin6->sin6_scope_id = addr->scope_id;
      return sizeof *sin6;
    }
}

static void
from_sockaddr (const struct sockaddr_storage *ss, iotscp_addr *addr)
{
  static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  memset (addr, 0, sizeof *addr);
  if (ss->ss_family == AF_INET)
    {
      const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
      addr->family = IOTSCP_AF_INET;
      addr->port = ntohs (sin->sin_port);
      memcpy (addr->bytes, &sin->sin_addr, 4);
    }
  else if (ss->ss_family == AF_INET6)
    {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
      addr->port = ntohs (sin6->sin6_port);
      /* A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; the core wants them as IPv4
       * so that a CALLBACK of http://127.0.0.1 matches. */
      if (memcmp (&sin6->sin6_addr, v4_mapped, 12) == 0)
        {
          addr->family = IOTSCP_AF_INET;
          memcpy (addr->bytes, (const uint8_t *)&sin6->sin6_addr + 12, 4);
        }
      else
        {
          addr->family = IOTSCP_AF_INET6;
          memcpy (addr->bytes, &sin6->sin6_addr, 16);
          addr->scope_id = sin6->sin6_scope_id;
        }
    }
}

static int
io_error (void)
{
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == EINPROGRESS)
    return IOTSCP_PORT_WOULD_BLOCK;
  return IOTSCP_PORT_ERROR;
}

/* ---- TCP ---------------------------------------------------------------------------------- */

int
iotscp_port_tcp_listen (iotscp_port *port, uint16_t *tcp_port, int backlog)
{
  struct sockaddr_in6 sin6;
  struct sockaddr_in sin;
  socklen_t len;
  int one = 1, zero = 0;
  int fd;

  (void)port;
  /* Dual stack first; fall back to IPv4 only on hosts without IPv6. */
  fd = socket (AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0)
    {
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      memset (&sin6, 0, sizeof sin6);
      sin6.sin6_family = AF_INET6;
      sin6.sin6_addr = in6addr_any;
      sin6.sin6_port = htons (*tcp_port);
      if (bind (fd, (struct sockaddr *)&sin6, sizeof sin6) < 0)
        {
          int saved = errno;
          close (fd);
          if (saved == EADDRINUSE)
            return IOTSCP_PORT_ADDR_IN_USE;
          fd = -1;
        }
    }
  if (fd < 0)
    {
      fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0)
        return IOTSCP_PORT_ERROR;
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      memset (&sin, 0, sizeof sin);
      sin.sin_family = AF_INET;
      sin.sin_addr.s_addr = htonl (INADDR_ANY);
      sin.sin_port = htons (*tcp_port);
      if (bind (fd, (struct sockaddr *)&sin, sizeof sin) < 0)
        {
          int saved = errno;
          close (fd);
          return saved == EADDRINUSE ? IOTSCP_PORT_ADDR_IN_USE : IOTSCP_PORT_ERROR;
        }
    }
  if (listen (fd, backlog) < 0)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  {
    struct sockaddr_storage ss;
    iotscp_addr local;
    len = sizeof ss;
    if (getsockname (fd, (struct sockaddr *)&ss, &len) < 0)
      {
        close (fd);
        return IOTSCP_PORT_ERROR;
      }
    from_sockaddr (&ss, &local);
    *tcp_port = local.port;
  }
  return fd;
}

int
iotscp_port_tcp_accept (iotscp_port *port, int listener, iotscp_addr *peer)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int one = 1;
  int fd;

  (void)port;
  fd = accept4 (listener, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0)
    {
      /* Out of descriptors or an aborted connection: nothing to accept now. */
      if (errno == ECONNABORTED || errno == EMFILE || errno == ENFILE || errno == EPROTO)
        return IOTSCP_PORT_WOULD_BLOCK;
      return io_error ();
    }
  setsockopt (fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
  if (peer != NULL)
    from_sockaddr (&ss, peer);
  return fd;
}

int
iotscp_port_tcp_connect (iotscp_port *port, const iotscp_addr *to)
{
  struct sockaddr_storage ss;
  socklen_t len = to_sockaddr (to, &ss);
  int one = 1;
  int fd;

  (void)port;
  fd = socket (ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return IOTSCP_PORT_ERROR;
  setsockopt (fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
  if (connect (fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  return fd;
}

int
iotscp_port_tcp_connect_finish (iotscp_port *port, int handle)
{
  int error = 0;
  socklen_t len = sizeof error;
  struct pollfd pfd = { .fd = handle, .events = POLLOUT };
  (void)port;
  if (poll (&pfd, 1, 0) < 0)
    return IOTSCP_PORT_ERROR;
  if ((pfd.revents & (POLLOUT | POLLERR | POLLHUP)) == 0)
    return IOTSCP_PORT_WOULD_BLOCK;
  if (getsockopt (handle, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0)
    return IOTSCP_PORT_ERROR;
  return IOTSCP_PORT_OK;
}

long
iotscp_port_tcp_send (iotscp_port *port, int handle, const void *buf, size_t len)
{
  ssize_t n;
  (void)port;
  n = send (handle, buf, len, MSG_NOSIGNAL);
  if (n < 0)
    return io_error ();
  return (long)n;
}

long
iotscp_port_tcp_recv (iotscp_port *port, int handle, void *buf, size_t cap)
{
  ssize_t n;
  (void)port;
  n = recv (handle, buf, cap, 0);
  if (n < 0)
    return io_error ();
  return (long)n;
}

int
iotscp_port_local_addr (iotscp_port *port, int handle, iotscp_addr *local)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  (void)port;
  if (getsockname (handle, (struct sockaddr *)&ss, &len) < 0)
    return IOTSCP_PORT_ERROR;
  from_sockaddr (&ss, local);
  return IOTSCP_PORT_OK;
}

void
iotscp_port_close (iotscp_port *port, int handle)
{
  if (handle < 0)
    return;
  if (port->closing != NULL)
    port->closing (port->closing_user, handle);
  close (handle);
}

/* ---- UDP ---------------------------------------------------------------------------------- */

int
iotscp_port_udp_open (iotscp_port *port, int family, uint16_t udp_port)
{
  int one = 1, hops = 1;
  int fd;
  (void)port;

  fd = socket (family == IOTSCP_AF_INET6 ? AF_INET6 : AF_INET,
               SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return family == IOTSCP_AF_INET6 ? IOTSCP_PORT_UNSUPPORTED : IOTSCP_PORT_ERROR;
  /* Many devices (in one process or on one host) bind the probe port; each must get every
   * multicast datagram, which SO_REUSEADDR gives for multicast on Linux. */
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (family == IOTSCP_AF_INET6)
    {
      struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons (udp_port) };
      sin6.sin6_addr = in6addr_any;
      setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
      setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof one);
      if (bind (fd, (struct sockaddr *)&sin6, sizeof sin6) < 0)
        {
          close (fd);
          return IOTSCP_PORT_ERROR;
        }
    }
  else
    {
      struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (udp_port) };
      unsigned char ttl = 1, loop = 1;
      sin.sin_addr.s_addr = htonl (INADDR_ANY);
      setsockopt (fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
      setsockopt (fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
      if (bind (fd, (struct sockaddr *)&sin, sizeof sin) < 0)
        {
          close (fd);
          return IOTSCP_PORT_ERROR;
        }
    }
  return fd;
}

/*
 * Joins on one interface (index for IPv6, address for IPv4). Returns true on success or when
 * already joined there.
 */
static bool
join_one (int handle, const iotscp_addr *group, unsigned if_index, const struct in_addr *if_addr)
{
  if (group->family == IOTSCP_AF_INET6)
    {
      struct ipv6_mreq mreq;
      memcpy (&mreq.ipv6mr_multiaddr, group->bytes, 16);
      mreq.ipv6mr_interface = if_index;
      return setsockopt (handle, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) == 0
             || errno == EADDRINUSE;
    }
  else
    {
      struct ip_mreq mreq;
      memcpy (&mreq.imr_multiaddr, group->bytes, 4);
      mreq.imr_interface = *if_addr;
      return setsockopt (handle, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) == 0
             || errno == EADDRINUSE;
    }
}

int
iotscp_port_udp_join (iotscp_port *port, int handle, const iotscp_addr *group)
{
  struct ifaddrs *list = NULL;
  bool joined = false;
  (void)port;

  if (group->family == IOTSCP_AF_INET6 && group->scope_id != 0)
    return join_one (handle, group, group->scope_id, NULL) ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
  /* "The default interface" is the one of the default route, which misses hubs on other links
   * and on loopback (where the tests run): join on every interface that is up instead. */
  if (getifaddrs (&list) == 0)
    {
      for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
        {
          if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP))
            continue;
          if (group->family == IOTSCP_AF_INET && ifa->ifa_addr->sa_family == AF_INET)
            joined |= join_one (handle, group, 0,
                                &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr);
          else if (group->family == IOTSCP_AF_INET6 && ifa->ifa_addr->sa_family == AF_INET6)
            joined |= join_one (handle, group, if_nametoindex (ifa->ifa_name), NULL);
        }
      freeifaddrs (list);
    }
  if (!joined)
    {
      struct in_addr any = { .s_addr = htonl (INADDR_ANY) };
      joined = join_one (handle, group, 0, &any);
    }
  return joined ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
}

long
iotscp_port_udp_sendto (iotscp_port *port, int handle, const void *buf, size_t len,
                        const iotscp_addr *to)
{
  struct sockaddr_storage ss;
  socklen_t sslen = to_sockaddr (to, &ss);
  ssize_t n;
  (void)port;
  n = sendto (handle, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&ss, sslen);
  if (n < 0)
    return io_error ();
  return (long)n;
}

long
iotscp_port_udp_recvfrom (iotscp_port *port, int handle, void *buf, size_t cap, iotscp_addr *from)
{
  struct sockaddr_storage ss;
  struct iovec iov = { .iov_base = buf, .iov_len = cap };
  struct msghdr msg
      = { .msg_name = &ss, .msg_namelen = sizeof ss, .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;
  (void)port;
  n = recvmsg (handle, &msg, 0);
  if (n < 0)
    return io_error ();
  if (msg.msg_flags & MSG_TRUNC)
    return IOTSCP_PORT_TOO_BIG;
  if (from != NULL)
    from_sockaddr (&ss, from);
  return (long)n;
}
