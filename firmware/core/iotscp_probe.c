/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp_probe.c — the multicast probe responder (docs/protocol.md section 3).
 *
 * Every device has its own UDP socket per address family bound to port 4299 with address reuse
 * (the port sets SO_REUSEADDR), so the kernel hands each device its own copy of every probe and
 * the devices of one simulator process answer independently, exactly like separate boards. With
 * --count 1000 that is 2,000 descriptors, well inside the raised RLIMIT_NOFILE; docs/firmware.md
 * explains why this was kept rather than one shared socket per process.
 *
 * The responder answers a valid probe with a unicast HERE to the probe's source, from the probe
 * socket, if and only if:
 *   - the probe parses (size 400..1,200 bytes, verb, nonce, pad: iotscp_probe_parse), and names
 *     no id or this device's id;
 *   - this source address got no answer in the last 100 ms (a small ring of recent sources);
 *   - the token bucket (10 per second, burst 20) has a token;
 *   - the answer fits in the probe's own size (amplification factor at most 1).
 * Anything else is dropped without a word. All state is in iotscp_probe_state inside the device,
 * so the responder allocates nothing; the datagram buffer lives on the stack while a batch of
 * datagrams is processed.
 *
 * The one timer of the responder (next_announcement_ms) drives two jobs: the HELLO announcements
 * at 0 s, 1 s and 3 s after start (one more after a name change), and, once those are sent, a
 * periodic re-join of the groups, so that a device whose interface went down and up (a Wi-Fi
 * reconnect) or that gained an IPv6 address hears probes again (section 3.1).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "iotscp.h"
#include "iotscp_internal.h"
#include "iotscp_probe.h"
#include "iotscp_probe_msg.h"

/* Token bucket: tokens are counted in thousandths so that refilling per millisecond is exact. */
#define PROBE_TOKENS_PER_SECOND 10
#define PROBE_BURST 20
#define PROBE_TOKEN 1000u
#define PROBE_BUCKET_FULL (PROBE_BURST * PROBE_TOKEN)

/* One answer per source address per this many milliseconds. */
#define PROBE_PER_SOURCE_MS 100

/* Datagrams handled per socket per call, so that one flooded device cannot starve the other
 * devices of the same loop; the rest wait in the socket buffer for the next round. */
#ifndef IOTSCP_PROBE_BATCH
#define IOTSCP_PROBE_BATCH 32
#endif

/* Interval of the periodic re-join of the groups (section 3.1). */
#ifndef IOTSCP_PROBE_REJOIN_MS
#define IOTSCP_PROBE_REJOIN_MS 30000
#endif

/* socket_ipv6 when the port has no IPv6 at all (the header only promises "negative"): then the
 * re-join does not try to open it again. */
#define PROBE_IPV6_UNSUPPORTED (-2)

/* Announcement offsets from the start, in milliseconds. */
static const uint32_t announce_offsets_ms[] = { 0, 1000, 3000 };
#define ANNOUNCEMENTS ((uint8_t)(sizeof announce_offsets_ms / sizeof announce_offsets_ms[0]))

/* Written once per process: a host without IPv6 multicast should say so once, not once for each
 * of 1,000 simulated devices. Only ever set to true, so sharing it between devices is harmless. */
static bool ipv6_unavailable_logged;

static void
probe_log (struct iotscp_device *dev, iotscp_log_level level, const char *message)
{
  iotscp_port_log (iotscp_device_port (dev), level, iotscp_device_id (dev), "probe: %s", message);
}

static bool
group_address (int family, iotscp_addr *group)
{
  memset (group, 0, sizeof *group);
  group->family = (uint8_t)family;
  group->port = IOTSCP_PROBE_PORT;
  if (family == IOTSCP_AF_INET)
    return iotscp_addr_parse_ipv4 (IOTSCP_PROBE_GROUP_IPV4, group->bytes);
  return iotscp_addr_parse_ipv6 (IOTSCP_PROBE_GROUP_IPV6, group->bytes);
}

/* Opens the socket of one family and joins its group. Returns the handle or a negative code. */
static int
open_family (struct iotscp_device *dev, int family)
{
  iotscp_port *port = iotscp_device_port (dev);
  iotscp_addr group;
  if (!group_address (family, &group))
    return IOTSCP_PORT_ERROR;
  int handle = iotscp_port_udp_open (port, family, IOTSCP_PROBE_PORT);
  if (handle < 0)
    return handle;
  int result = iotscp_port_udp_join (port, handle, &group);
  if (result < 0)
    {
      iotscp_port_close (port, handle);
      return result;
    }
  return handle;
}

/* Tries to (re)open the IPv6 socket; quiet after the first report of this process. */
static void
open_ipv6 (struct iotscp_device *dev)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  int handle = open_family (dev, IOTSCP_AF_INET6);
  if (handle >= 0)
    {
      st->socket_ipv6 = handle;
      return;
    }
  st->socket_ipv6 = handle == IOTSCP_PORT_UNSUPPORTED ? PROBE_IPV6_UNSUPPORTED : -1;
  if (!ipv6_unavailable_logged)
    {
      ipv6_unavailable_logged = true;
      probe_log (dev, IOTSCP_LOG_INFO,
                 "IPv6 multicast is not available, answering probes on IPv4 only "
                 "(logged once for all devices)");
    }
}

static void
schedule_after_announcements (iotscp_probe_state *st, uint64_t now_ms)
{
  st->next_announcement_ms = now_ms + IOTSCP_PROBE_REJOIN_MS;
}

int
iotscp_probe_start (struct iotscp_device *dev, uint64_t now_ms)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);

  iotscp_probe_stop (dev);
  st->tokens_milli = PROBE_BUCKET_FULL;
  st->tokens_updated_ms = now_ms;
  memset (st->recent, 0, sizeof st->recent);
  st->recent_next = 0;

  int handle = open_family (dev, IOTSCP_AF_INET);
  if (handle < 0)
    probe_log (dev, IOTSCP_LOG_WARNING,
               "cannot join the IPv4 probe group; retrying every 30 s (mDNS still works)");
  st->socket_ipv4 = handle >= 0 ? handle : -1;
  open_ipv6 (dev);

  st->announce_base_ms = now_ms;
  st->announcements_sent = 0;
  st->next_announcement_ms = now_ms + announce_offsets_ms[0];
  return st->socket_ipv4 >= 0 || st->socket_ipv6 >= 0 ? IOTSCP_PORT_OK : IOTSCP_PORT_ERROR;
}

void
iotscp_probe_stop (struct iotscp_device *dev)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  iotscp_port *port = iotscp_device_port (dev);
  if (st->socket_ipv4 >= 0)
    iotscp_port_close (port, st->socket_ipv4);
  if (st->socket_ipv6 >= 0)
    iotscp_port_close (port, st->socket_ipv6);
  st->socket_ipv4 = -1;
  st->socket_ipv6 = -1;
  st->next_announcement_ms = UINT64_MAX;
}

size_t
iotscp_probe_pollfds (struct iotscp_device *dev, struct iotscp_pollfd *fds, size_t cap)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  size_t n = 0;
  if (st->socket_ipv4 >= 0 && n < cap)
    fds[n++] = (iotscp_pollfd){ .handle = st->socket_ipv4, .events = IOTSCP_POLL_IN };
  if (st->socket_ipv6 >= 0 && n < cap)
    fds[n++] = (iotscp_pollfd){ .handle = st->socket_ipv6, .events = IOTSCP_POLL_IN };
  return n;
}

uint64_t
iotscp_probe_next_deadline (const struct iotscp_device *dev)
{
  /* The accessor is not const; the state is only read here. */
  return iotscp_device_probe_state ((struct iotscp_device *)dev)->next_announcement_ms;
}

void
iotscp_probe_announce (struct iotscp_device *dev, uint64_t now_ms)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  /* Section 3.5: one more HELLO when the name changes. If the boot announcements are still
   * running, they carry the new name anyway. */
  if (st->announcements_sent >= ANNOUNCEMENTS)
    {
      st->announcements_sent = ANNOUNCEMENTS - 1;
      st->announce_base_ms = now_ms - announce_offsets_ms[ANNOUNCEMENTS - 1];
      st->next_announcement_ms = now_ms;
    }
}

static void
fill_info (struct iotscp_device *dev, iotscp_probe_info *info)
{
  info->id = iotscp_device_id (dev);
  info->name = iotscp_device_name (dev);
  info->port = iotscp_device_tcp_port (dev);
  info->fp = iotscp_device_fingerprint (dev);
  info->path = IOTSCP_DESCRIPTION_PATH;
  info->pair = iotscp_device_pairing_open (dev);
}

static void
send_hello (struct iotscp_device *dev)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  iotscp_port *port = iotscp_device_port (dev);
  char message[IOTSCP_PROBE_MAX_SIZE];
  iotscp_probe_info info;
  fill_info (dev, &info);
  size_t len = iotscp_probe_answer_format (message, sizeof message, sizeof message, NULL, &info);
  if (len == 0)
    {
      probe_log (dev, IOTSCP_LOG_WARNING, "cannot format the HELLO announcement");
      return;
    }
  iotscp_addr group;
  if (st->socket_ipv4 >= 0 && group_address (IOTSCP_AF_INET, &group))
    (void)iotscp_port_udp_sendto (port, st->socket_ipv4, message, len, &group);
  if (st->socket_ipv6 >= 0 && group_address (IOTSCP_AF_INET6, &group))
    (void)iotscp_port_udp_sendto (port, st->socket_ipv6, message, len, &group);
}

static void
rejoin (struct iotscp_device *dev)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  iotscp_port *port = iotscp_device_port (dev);
  iotscp_addr group;
  /* Joining a group the socket is already in fails harmlessly (EADDRINUSE on Linux); joining
   * after an interface came back restores the membership the kernel dropped. */
  if (st->socket_ipv4 >= 0)
    {
      if (group_address (IOTSCP_AF_INET, &group))
        (void)iotscp_port_udp_join (port, st->socket_ipv4, &group);
    }
  else
    {
      int handle = open_family (dev, IOTSCP_AF_INET);
      st->socket_ipv4 = handle >= 0 ? handle : -1;
    }
  if (st->socket_ipv6 >= 0)
    {
      if (group_address (IOTSCP_AF_INET6, &group))
        (void)iotscp_port_udp_join (port, st->socket_ipv6, &group);
    }
  else if (st->socket_ipv6 != PROBE_IPV6_UNSUPPORTED)
    open_ipv6 (dev);
}

static void
run_timer (struct iotscp_device *dev, uint64_t now_ms)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  if (now_ms < st->next_announcement_ms)
    return;
  if (st->announcements_sent < ANNOUNCEMENTS)
    {
      send_hello (dev);
      st->announcements_sent++;
      if (st->announcements_sent < ANNOUNCEMENTS)
        st->next_announcement_ms
            = st->announce_base_ms + announce_offsets_ms[st->announcements_sent];
      else
        schedule_after_announcements (st, now_ms);
      /* A loop that slept past several offsets sends one HELLO now and the rest on time. */
      if (st->next_announcement_ms < now_ms)
        st->next_announcement_ms = now_ms;
      return;
    }
  rejoin (dev);
  schedule_after_announcements (st, now_ms);
}

static bool
same_source (const iotscp_addr *a, const iotscp_addr *b)
{
  size_t len = a->family == IOTSCP_AF_INET ? 4 : 16;
  return a->family == b->family && memcmp (a->bytes, b->bytes, len) == 0
         && (a->family == IOTSCP_AF_INET || a->scope_id == b->scope_id);
}

/* True when this source was answered less than PROBE_PER_SOURCE_MS ago. */
static bool
source_too_recent (const iotscp_probe_state *st, const iotscp_addr *from, uint64_t now_ms)
{
  for (size_t i = 0; i < IOTSCP_PROBE_RECENT_SOURCES; i++)
    if (st->recent[i].addr.family != 0 && same_source (&st->recent[i].addr, from)
        && now_ms - st->recent[i].answered_ms < PROBE_PER_SOURCE_MS)
      return true;
  return false;
}

static void
remember_source (iotscp_probe_state *st, const iotscp_addr *from, uint64_t now_ms)
{
  /* Overwrite this source's own entry if it has one, else the oldest (ring order). */
  for (size_t i = 0; i < IOTSCP_PROBE_RECENT_SOURCES; i++)
    if (st->recent[i].addr.family != 0 && same_source (&st->recent[i].addr, from))
      {
        st->recent[i].answered_ms = now_ms;
        return;
      }
  st->recent[st->recent_next].addr = *from;
  st->recent[st->recent_next].answered_ms = now_ms;
  st->recent_next = (uint8_t)((st->recent_next + 1) % IOTSCP_PROBE_RECENT_SOURCES);
}

static bool
take_token (iotscp_probe_state *st, uint64_t now_ms)
{
  if (now_ms > st->tokens_updated_ms)
    {
      uint64_t refill = (now_ms - st->tokens_updated_ms) * PROBE_TOKENS_PER_SECOND;
      uint64_t tokens = st->tokens_milli + refill;
      st->tokens_milli = tokens > PROBE_BUCKET_FULL ? PROBE_BUCKET_FULL : (uint32_t)tokens;
      st->tokens_updated_ms = now_ms;
    }
  if (st->tokens_milli < PROBE_TOKEN)
    return false;
  st->tokens_milli -= PROBE_TOKEN;
  return true;
}

static void
handle_datagram (struct iotscp_device *dev, int handle, char *buf, size_t len,
                 const iotscp_addr *from, uint64_t now_ms)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  iotscp_probe probe;

  if (iotscp_probe_parse (buf, len, &probe) != 0)
    return;
  if (probe.has_id && strcmp (probe.id, iotscp_device_id (dev)) != 0)
    return;
  if (source_too_recent (st, from, now_ms))
    return;
  if (!take_token (st, now_ms))
    return;

  /* The probe is parsed, so its buffer can hold the answer; the answer may not exceed len. */
  iotscp_probe_info info;
  fill_info (dev, &info);
  size_t answer_len = iotscp_probe_answer_format (buf, len, len, probe.nonce, &info);
  if (answer_len == 0 || answer_len > len)
    return; /* Would amplify (or a field is invalid): section 3.4 says do not answer. */
  remember_source (st, from, now_ms);
  (void)iotscp_port_udp_sendto (iotscp_device_port (dev), handle, buf, answer_len, from);
}

static void
drain_socket (struct iotscp_device *dev, int handle, uint64_t now_ms)
{
  iotscp_port *port = iotscp_device_port (dev);
  /* One byte more than the largest valid probe, so that an oversized probe is recognised. */
  char buf[IOTSCP_PROBE_MAX_SIZE + 1];
  for (int i = 0; i < IOTSCP_PROBE_BATCH; i++)
    {
      iotscp_addr from;
      long n = iotscp_port_udp_recvfrom (port, handle, buf, sizeof buf, &from);
      if (n == IOTSCP_PORT_WOULD_BLOCK)
        return;
      if (n == IOTSCP_PORT_TOO_BIG)
        continue; /* Truncated: longer than any valid probe. */
      if (n < 0)
        return;
      handle_datagram (dev, handle, buf, (size_t)n, &from, now_ms);
    }
}

void
iotscp_probe_process (struct iotscp_device *dev, const struct iotscp_pollfd *fds, size_t n,
                      uint64_t now_ms)
{
  iotscp_probe_state *st = iotscp_device_probe_state (dev);
  for (size_t i = 0; i < n; i++)
    {
      if (fds[i].revents == 0)
        continue;
      if (fds[i].handle == st->socket_ipv4 || fds[i].handle == st->socket_ipv6)
        drain_socket (dev, fds[i].handle, now_ms);
    }
  run_timer (dev, now_ms);
}
