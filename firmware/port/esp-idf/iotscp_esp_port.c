/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp_esp_port.c — the IOTSCP/2 port API (iotscp_port.h) on ESP-IDF.
 *
 * Sockets are lwIP's BSD sockets (they are VFS file descriptors, so select() works on them);
 * storage is NVS (one NVS namespace per port namespace, one blob per key: NVS writes a blob
 * atomically, so a power cut leaves the old or the new value); time is esp_timer; randomness is
 * the hardware RNG, which is a true RNG only while Wi-Fi or Bluetooth runs (the example starts
 * Wi-Fi before the device makes its key); mDNS is ESP-IDF's mdns component; logs go to ESP_LOG.
 *
 * This file cannot be built in the Hearth tree (no ESP-IDF toolchain there): the suite compiles
 * it with the host compiler against headers that declare the ESP-IDF functions used here with
 * their documented signatures (tests/firmware/ports/esp-idf-api/), which catches drift against
 * the core's port API, but not differences of ESP-IDF's behaviour. See docs/firmware.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "sdkconfig.h"

#include "esp_err.h"
#include "esp_log.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "lwip/sockets.h"
#include "mdns.h"
#include "nvs.h"
#include "nvs_flash.h"

#include "iotscp_esp.h"

static const char *const TAG = "iotscp";

/* NVS namespace of the port's default namespace "" (NVS has no empty namespace). */
#define DEFAULT_NVS_NAMESPACE "iotscp"

#define SERVICE_TYPE "_iotscp"
#define SERVICE_PROTO "_tcp"

/* TXT items of one service: protocol.md section 2 has six. */
#define MAX_TXT_ITEMS 8

int
iotscp_esp_port_init (iotscp_port *port, const char *hostname)
{
  memset (port, 0, sizeof *port);
  port->log_level = (iotscp_log_level)CONFIG_IOTSCP_LOG_LEVEL;

  esp_err_t err = nvs_flash_init ();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND)
    {
      /* The partition was written by a newer NVS or is full of garbage: start afresh, which
       * also makes a new device key (the hub sees a certificate change and asks its user). */
      ESP_LOGW (TAG, "NVS partition unusable (%s), erasing it", esp_err_to_name (err));
      if (nvs_flash_erase () != ESP_OK)
        return -1;
      err = nvs_flash_init ();
    }
  if (err != ESP_OK)
    {
      ESP_LOGE (TAG, "nvs_flash_init: %s", esp_err_to_name (err));
      return -1;
    }

  err = mdns_init ();
  if (err == ESP_OK && hostname != NULL)
    err = mdns_hostname_set (hostname);
  if (err == ESP_OK)
    port->mdns_ready = true;
  else
    ESP_LOGW (TAG, "mdns: %s; the device is found by the multicast probe only",
              esp_err_to_name (err));
  return 0;
}

/* ---- Time, randomness, logging -------------------------------------------------------------- */

uint64_t
iotscp_port_now_ms (iotscp_port *port)
{
  (void)port;
  return (uint64_t)(esp_timer_get_time () / 1000);
}

int
iotscp_port_random (iotscp_port *port, void *buf, size_t len)
{
  (void)port;
  esp_fill_random (buf, len);
  return IOTSCP_PORT_OK;
}

void
iotscp_port_log (iotscp_port *port, iotscp_log_level level, const char *who, const char *fmt, ...)
{
  char line[256];
  va_list args;

  if (port != NULL && level > port->log_level)
    return;
  va_start (args, fmt);
  vsnprintf (line, sizeof line, fmt, args);
  va_end (args);
  const char *sep = who != NULL ? ": " : "";
  who = who != NULL ? who : "";
  switch (level)
    {
      case IOTSCP_LOG_ERROR:
        ESP_LOGE (TAG, "%s%s%s", who, sep, line);
        break;
      case IOTSCP_LOG_WARNING:
        ESP_LOGW (TAG, "%s%s%s", who, sep, line);
        break;
      case IOTSCP_LOG_INFO:
        ESP_LOGI (TAG, "%s%s%s", who, sep, line);
        break;
      case IOTSCP_LOG_DEBUG:
        ESP_LOGD (TAG, "%s%s%s", who, sep, line);
        break;
    }
}

/* ---- Storage (NVS) -------------------------------------------------------------------------- */

static esp_err_t
storage_open (const char *ns, nvs_open_mode_t mode, nvs_handle_t *handle)
{
  return nvs_open (ns[0] != '\0' ? ns : DEFAULT_NVS_NAMESPACE, mode, handle);
}

int
iotscp_port_storage_get (iotscp_port *port, const char *ns, const char *key, void *buf, size_t cap,
                         size_t *len)
{
  (void)port;
  nvs_handle_t handle;
  esp_err_t err = storage_open (ns, NVS_READONLY, &handle);
  if (err == ESP_ERR_NVS_NOT_FOUND)
    return IOTSCP_PORT_NOT_FOUND; /* The namespace does not exist before its first write. */
  if (err != ESP_OK)
    return IOTSCP_PORT_ERROR;

  size_t needed = 0;
  err = nvs_get_blob (handle, key, NULL, &needed);
  int result = IOTSCP_PORT_OK;
  if (err == ESP_ERR_NVS_NOT_FOUND)
    result = IOTSCP_PORT_NOT_FOUND;
  else if (err != ESP_OK)
    result = IOTSCP_PORT_ERROR;
  else if (needed > cap)
    {
      *len = needed;
      result = IOTSCP_PORT_TOO_BIG;
    }
  else
    {
      size_t got = cap;
      err = nvs_get_blob (handle, key, buf, &got);
      if (err == ESP_OK)
        *len = got;
      else
        result = IOTSCP_PORT_ERROR;
    }
  nvs_close (handle);
  return result;
}

int
iotscp_port_storage_set (iotscp_port *port, const char *ns, const char *key, const void *buf,
                         size_t len)
{
  (void)port;
  nvs_handle_t handle;
  if (storage_open (ns, NVS_READWRITE, &handle) != ESP_OK)
    return IOTSCP_PORT_ERROR;
  esp_err_t err = nvs_set_blob (handle, key, buf, len);
  if (err == ESP_OK)
    err = nvs_commit (handle);
  nvs_close (handle);
  return err == ESP_OK ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
}

int
iotscp_port_storage_delete (iotscp_port *port, const char *ns, const char *key)
{
  (void)port;
  nvs_handle_t handle;
  esp_err_t err = storage_open (ns, NVS_READWRITE, &handle);
  if (err == ESP_ERR_NVS_NOT_FOUND)
    return IOTSCP_PORT_OK;
  if (err != ESP_OK)
    return IOTSCP_PORT_ERROR;
  err = nvs_erase_key (handle, key);
  if (err == ESP_OK)
    err = nvs_commit (handle);
  nvs_close (handle);
  return err == ESP_OK || err == ESP_ERR_NVS_NOT_FOUND ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
}

/* ---- Addresses ------------------------------------------------------------------------------ */

static socklen_t
to_sockaddr (const iotscp_addr *addr, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof *ss);
  if (addr->family == IOTSCP_AF_INET6)
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons (addr->port);
      memcpy (&sin6->sin6_addr, addr->bytes, 16);
      sin6->sin6_scope_id = addr->scope_id;
      return sizeof *sin6;
    }
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  sin->sin_family = AF_INET;
  sin->sin_port = htons (addr->port);
  memcpy (&sin->sin_addr, addr->bytes, 4);
  return sizeof *sin;
}

static void
from_sockaddr (const struct sockaddr_storage *ss, iotscp_addr *addr)
{
  memset (addr, 0, sizeof *addr);
  if (ss->ss_family == AF_INET6)
    {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
      addr->family = IOTSCP_AF_INET6;
      memcpy (addr->bytes, &sin6->sin6_addr, 16);
      addr->port = ntohs (sin6->sin6_port);
      addr->scope_id = sin6->sin6_scope_id;
      return;
    }
  const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
  addr->family = IOTSCP_AF_INET;
  memcpy (addr->bytes, &sin->sin_addr, 4);
  addr->port = ntohs (sin->sin_port);
}

static int
set_nonblocking (int fd)
{
  int flags = fcntl (fd, F_GETFL, 0);
  return flags < 0 ? -1 : fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

static long
io_error (void)
{
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS ? IOTSCP_PORT_WOULD_BLOCK
                                                                         : IOTSCP_PORT_ERROR;
}

/* ---- TCP ------------------------------------------------------------------------------------ */

int
iotscp_port_tcp_listen (iotscp_port *port, uint16_t *tcp_port, int backlog)
{
  (void)port;
  /* IPv4 only: lwIP's dual-stack listening depends on its build options, and the hub reaches
   * the device over IPv4 (it advertises an IPv4 address through mDNS). */
  int fd = socket (AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (fd < 0)
    return IOTSCP_PORT_ERROR;
  int one = 1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (*tcp_port) };
  sin.sin_addr.s_addr = htonl (INADDR_ANY);
  if (bind (fd, (struct sockaddr *)&sin, sizeof sin) < 0)
    {
      int bind_errno = errno;
      close (fd);
      return bind_errno == EADDRINUSE ? IOTSCP_PORT_ADDR_IN_USE : IOTSCP_PORT_ERROR;
    }
  socklen_t len = sizeof sin;
  if (listen (fd, backlog) < 0 || set_nonblocking (fd) < 0
      || getsockname (fd, (struct sockaddr *)&sin, &len) < 0)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  *tcp_port = ntohs (sin.sin_port);
  return fd;
}

int
iotscp_port_tcp_accept (iotscp_port *port, int listener, iotscp_addr *peer)
{
  (void)port;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd = accept (listener, (struct sockaddr *)&ss, &len);
  if (fd < 0)
    return (int)io_error ();
  if (set_nonblocking (fd) < 0)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (peer != NULL)
    from_sockaddr (&ss, peer);
  return fd;
}

int
iotscp_port_tcp_connect (iotscp_port *port, const iotscp_addr *to)
{
  (void)port;
  struct sockaddr_storage ss;
  socklen_t len = to_sockaddr (to, &ss);
  int fd = socket (ss.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (fd < 0)
    return IOTSCP_PORT_ERROR;
  if (set_nonblocking (fd) < 0)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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
  (void)port;
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt (handle, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
    return IOTSCP_PORT_ERROR;
  if (error == EINPROGRESS || error == EALREADY)
    return IOTSCP_PORT_WOULD_BLOCK;
  return error == 0 ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
}

long
iotscp_port_tcp_send (iotscp_port *port, int handle, const void *buf, size_t len)
{
  (void)port;
  /* lwIP raises no SIGPIPE, so MSG_NOSIGNAL is not needed. */
  ssize_t n = send (handle, buf, len, MSG_DONTWAIT);
  return n < 0 ? io_error () : (long)n;
}

long
iotscp_port_tcp_recv (iotscp_port *port, int handle, void *buf, size_t cap)
{
  (void)port;
  ssize_t n = recv (handle, buf, cap, MSG_DONTWAIT);
  return n < 0 ? io_error () : (long)n;
}

int
iotscp_port_local_addr (iotscp_port *port, int handle, iotscp_addr *local)
{
  (void)port;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname (handle, (struct sockaddr *)&ss, &len) < 0)
    return IOTSCP_PORT_ERROR;
  from_sockaddr (&ss, local);
  return IOTSCP_PORT_OK;
}

void
iotscp_port_close (iotscp_port *port, int handle)
{
  (void)port;
  if (handle >= 0)
    close (handle);
}

/* ---- UDP multicast -------------------------------------------------------------------------- */

int
iotscp_port_udp_open (iotscp_port *port, int family, uint16_t udp_port)
{
  (void)port;
#if !CONFIG_LWIP_IPV6
  if (family == IOTSCP_AF_INET6)
    return IOTSCP_PORT_UNSUPPORTED;
#endif
  int fd = socket (family == IOTSCP_AF_INET6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  if (fd < 0)
    return family == IOTSCP_AF_INET6 ? IOTSCP_PORT_UNSUPPORTED : IOTSCP_PORT_ERROR;
  int one = 1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int bound;
  if (family == IOTSCP_AF_INET6)
    {
      struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons (udp_port) };
      setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
#ifdef IPV6_MULTICAST_HOPS
      int hops = 1;
      setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
#endif
      bound = bind (fd, (struct sockaddr *)&sin6, sizeof sin6);
    }
  else
    {
      struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (udp_port) };
      sin.sin_addr.s_addr = htonl (INADDR_ANY);
      uint8_t ttl = 1;
      setsockopt (fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
      bound = bind (fd, (struct sockaddr *)&sin, sizeof sin);
    }
  if (bound < 0 || set_nonblocking (fd) < 0)
    {
      close (fd);
      return IOTSCP_PORT_ERROR;
    }
  return fd;
}

int
iotscp_port_udp_join (iotscp_port *port, int handle, const iotscp_addr *group)
{
  (void)port;
  /* lwIP joins an "any" interface on every netif. It also counts joins per socket, so the
   * responder's periodic re-join first leaves (ignoring "not a member") to stay idempotent. */
  if (group->family == IOTSCP_AF_INET6)
    {
      struct ipv6_mreq mreq;
      memset (&mreq, 0, sizeof mreq);
      memcpy (&mreq.ipv6mr_multiaddr, group->bytes, 16);
      mreq.ipv6mr_interface = group->scope_id;
      setsockopt (handle, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mreq, sizeof mreq);
      if (setsockopt (handle, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) < 0)
        return IOTSCP_PORT_ERROR;
      return IOTSCP_PORT_OK;
    }
  struct ip_mreq mreq;
  memset (&mreq, 0, sizeof mreq);
  memcpy (&mreq.imr_multiaddr, group->bytes, 4);
  mreq.imr_interface.s_addr = htonl (INADDR_ANY);
  setsockopt (handle, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mreq, sizeof mreq);
  if (setsockopt (handle, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0)
    return IOTSCP_PORT_ERROR;
  return IOTSCP_PORT_OK;
}

long
iotscp_port_udp_sendto (iotscp_port *port, int handle, const void *buf, size_t len,
                        const iotscp_addr *to)
{
  (void)port;
  struct sockaddr_storage ss;
  socklen_t sslen = to_sockaddr (to, &ss);
  ssize_t n = sendto (handle, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sslen);
  return n < 0 ? io_error () : (long)n;
}

long
iotscp_port_udp_recvfrom (iotscp_port *port, int handle, void *buf, size_t cap, iotscp_addr *from)
{
  (void)port;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ssize_t n = recvfrom (handle, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
  if (n < 0)
    return io_error ();
  /* lwIP does not report truncation through recvfrom: a datagram that fills the whole buffer
   * may have been longer, and callers size cap one byte above the largest valid message. */
  if ((size_t)n >= cap)
    return IOTSCP_PORT_TOO_BIG;
  if (from != NULL)
    from_sockaddr (&ss, from);
  return (long)n;
}

/* ---- mDNS ----------------------------------------------------------------------------------- */

/* Copies the items into the mdns component's (non-const) item type. */
static size_t
txt_items (const iotscp_txt_item *txt, size_t txt_count, mdns_txt_item_t out[MAX_TXT_ITEMS])
{
  size_t n = txt_count < MAX_TXT_ITEMS ? txt_count : MAX_TXT_ITEMS;
  for (size_t i = 0; i < n; i++)
    {
      out[i].key = txt[i].key;
      out[i].value = txt[i].value;
    }
  return n;
}

int
iotscp_port_mdns_publish (iotscp_port *port, const char *instance, uint16_t tcp_port,
                          const iotscp_txt_item *txt, size_t txt_count)
{
  if (!port->mdns_ready)
    return IOTSCP_PORT_UNSUPPORTED;
  if (port->mdns_published)
    return IOTSCP_PORT_ERROR; /* One service per chip (see iotscp_esp.h). */
  mdns_txt_item_t items[MAX_TXT_ITEMS];
  size_t n = txt_items (txt, txt_count, items);
  /* The mdns component renames the instance itself if another host claims it. */
  esp_err_t err = mdns_service_add (instance, SERVICE_TYPE, SERVICE_PROTO, tcp_port, items, n);
  if (err != ESP_OK)
    {
      ESP_LOGW (TAG, "mdns_service_add: %s", esp_err_to_name (err));
      return IOTSCP_PORT_ERROR;
    }
  port->mdns_published = true;
  return 0;
}

int
iotscp_port_mdns_update (iotscp_port *port, int handle, const char *instance,
                         const iotscp_txt_item *txt, size_t txt_count)
{
  if (!port->mdns_published || handle != 0)
    return IOTSCP_PORT_ERROR;
  mdns_txt_item_t items[MAX_TXT_ITEMS];
  size_t n = txt_items (txt, txt_count, items);
  esp_err_t err = mdns_service_instance_name_set (SERVICE_TYPE, SERVICE_PROTO, instance);
  if (err == ESP_OK)
    err = mdns_service_txt_set (SERVICE_TYPE, SERVICE_PROTO, items, (uint8_t)n);
  return err == ESP_OK ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
}

void
iotscp_port_mdns_withdraw (iotscp_port *port, int handle)
{
  if (!port->mdns_published || handle != 0)
    return;
  mdns_service_remove (SERVICE_TYPE, SERVICE_PROTO);
  port->mdns_published = false;
}

/* ---- The device loop's wait ----------------------------------------------------------------- */

int
iotscp_esp_poll (iotscp_port *port, iotscp_pollfd *fds, size_t n, uint64_t deadline_ms,
                 uint32_t max_wait_ms)
{
  fd_set readable, writable, failed;
  FD_ZERO (&readable);
  FD_ZERO (&writable);
  FD_ZERO (&failed);
  int max_fd = -1;
  for (size_t i = 0; i < n; i++)
    {
      fds[i].revents = 0;
      if (fds[i].handle < 0 || fds[i].handle >= FD_SETSIZE)
        continue;
      if (fds[i].events & IOTSCP_POLL_IN)
        FD_SET (fds[i].handle, &readable);
      if (fds[i].events & IOTSCP_POLL_OUT)
        FD_SET (fds[i].handle, &writable);
      FD_SET (fds[i].handle, &failed);
      if (fds[i].handle > max_fd)
        max_fd = fds[i].handle;
    }

  uint64_t now = iotscp_port_now_ms (port);
  uint64_t wait_ms = max_wait_ms;
  if (deadline_ms <= now)
    wait_ms = 0;
  else if (deadline_ms - now < wait_ms)
    wait_ms = deadline_ms - now;
  struct timeval timeout
      = { .tv_sec = (time_t)(wait_ms / 1000), .tv_usec = (suseconds_t)((wait_ms % 1000) * 1000) };

  int ready = select (max_fd + 1, &readable, &writable, &failed, &timeout);
  if (ready <= 0)
    return ready < 0 && errno != EINTR ? -1 : 0;
  int count = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (fds[i].handle < 0 || fds[i].handle >= FD_SETSIZE)
        continue;
      if (FD_ISSET (fds[i].handle, &readable))
        fds[i].revents |= IOTSCP_POLL_IN;
      if (FD_ISSET (fds[i].handle, &writable))
        fds[i].revents |= IOTSCP_POLL_OUT;
      if (FD_ISSET (fds[i].handle, &failed))
        fds[i].revents |= IOTSCP_POLL_ERR;
      if (fds[i].revents != 0)
        count++;
    }
  return count;
}
