/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Event subscriptions (protocol.md section 7): the ring of pending entries shared by all
 * subscriptions of a device, leases, heartbeats, SEQ, and the NOTIFY client that sends them over
 * a kept-alive TLS connection to the subscriber's callback.
 *
 * SEQ rules: every NOTIFY attempt takes the next SEQ, whether it arrives or not, so a subscriber
 * that misses one sees a gap. When entries fall out of the ring before a subscription sent
 * them, the subscription also skips one SEQ. Both tell the subscriber to re-read the state.
 */
#include "iotscp_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl.h>

#include "iotscp_text.h"

enum iotscp_notify_state
{
  NOTIFY_IDLE = 0,   /* No connection. */
  NOTIFY_CONNECTING, /* TCP connect in progress. */
  NOTIFY_HANDSHAKE,
  NOTIFY_READY, /* Connected, nothing in flight. */
  NOTIFY_WRITING,
  NOTIFY_READING, /* Waiting for the answer. */
};

/* Longest NOTIFY head: the request line with the callback path, Host, and the fixed fields. */
#define NOTIFY_HEAD_MAX (IOTSCP_HTTP_MAX_CALLBACK + IOTSCP_HTTP_MAX_HOST + 320)

/* ---- Ring ---- */

void
iotscp_ring_reset (iotscp_event_ring *ring)
{
  memset (ring, 0, sizeof *ring);
}

static void
ring_drop_oldest (iotscp_event_ring *ring)
{
  ring->first++;
}

void
iotscp_ring_push (iotscp_event_ring *ring, const char *entry, size_t len)
{
  size_t start = ring->write_pos;
  bool wrapped = false;
  if (len == 0 || len > IOTSCP_EVENT_RING_SIZE / 2)
    {
      /* An entry that cannot be kept still gets its number, as a lost entry without bytes:
       * the subscriptions skip it with a SEQ gap, so its loss is never silent. */
      if (ring->next - ring->first >= IOTSCP_EVENT_RING_ENTRIES)
        ring_drop_oldest (ring);
      ring->entries[ring->next % IOTSCP_EVENT_RING_ENTRIES].offset = ring->write_pos;
      ring->entries[ring->next % IOTSCP_EVENT_RING_ENTRIES].length = 0;
      ring->next++;
      return;
    }
  if (start + len > IOTSCP_EVENT_RING_SIZE)
    {
      start = 0;
      wrapped = true;
    }
  /* Entries never straddle the end; make room by dropping the oldest entries until the new
   * one overlaps none of the kept ones (see the struct's comment in iotscp_device_struct.h). */
  while (ring->next != ring->first)
    {
      size_t slot = ring->first % IOTSCP_EVENT_RING_ENTRIES;
      size_t off = ring->entries[slot].offset;
      size_t elen = ring->entries[slot].length;
      if (ring->next - ring->first >= IOTSCP_EVENT_RING_ENTRIES)
        ring_drop_oldest (ring);
      else if (wrapped && off >= ring->write_pos)
        ring_drop_oldest (ring);
      else if (off < start + len && off + elen > start)
        ring_drop_oldest (ring);
      else
        break;
    }
  memcpy (ring->bytes + start, entry, len);
  ring->entries[ring->next % IOTSCP_EVENT_RING_ENTRIES].offset = (uint16_t)start;
  ring->entries[ring->next % IOTSCP_EVENT_RING_ENTRIES].length = (uint16_t)len;
  ring->next++;
  ring->write_pos = (uint16_t)(start + len);
}

const char *
iotscp_ring_get (const iotscp_event_ring *ring, uint32_t n, size_t *len)
{
  size_t slot;
  /* Unsigned differences keep this right when the counters wrap around. */
  if ((uint32_t)(n - ring->first) >= (uint32_t)(ring->next - ring->first))
    return NULL;
  slot = n % IOTSCP_EVENT_RING_ENTRIES;
  *len = ring->entries[slot].length;
  return ring->bytes + ring->entries[slot].offset;
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

void
iotscp_subscription_sid_text (const iotscp_subscription *sub, char out[46])
{
  static const char hex[] = "0123456789abcdef";
  char *p = out;
  memcpy (p, "uuid:", 5);
  p += 5;
  for (int i = 0; i < 16; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        *p++ = '-';
      *p++ = hex[sub->sid[i] >> 4];
      *p++ = hex[sub->sid[i] & 15];
    }
  *p = '\0';
}

static void
close_client (iotscp_device *dev, iotscp_subscription *sub)
{
  iotscp_tls_free_context (sub->ssl);
  sub->ssl = NULL;
  iotscp_port_close (dev->port, sub->io.handle);
  sub->io.handle = -1;
  sub->client_state = NOTIFY_IDLE;
}

void
iotscp_subscription_end (iotscp_device *dev, iotscp_subscription *sub)
{
  close_client (dev, sub);
  sub->active = false;
}

iotscp_subscription *
iotscp_subscription_find (iotscp_device *dev, const char *sid_header, uint64_t now_ms)
{
  char sid[46];
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    {
      iotscp_subscription *sub = &dev->subscriptions[i];
      if (!sub->active)
        continue;
      if (now_ms >= sub->expires_ms)
        {
          iotscp_subscription_end (dev, sub);
          continue;
        }
      iotscp_subscription_sid_text (sub, sid);
      if (strlen (sid_header) == strlen (sid)
          && iotscp_text_ascii_case_equal (sid_header, strlen (sid_header), sid))
        return sub;
    }
  return NULL;
}

int
iotscp_subscription_subscribe (iotscp_device *dev, const iotscp_addr *subscriber,
                               const uint8_t subscriber_fp[32], const char *callback,
                               uint32_t timeout_s, uint32_t heartbeat_s, uint64_t now_ms,
                               iotscp_subscription **out, const char **why)
{
  iotscp_subscription candidate;
  iotscp_subscription *slot = NULL;

  memset (&candidate, 0, offsetof (iotscp_subscription, response));
  if (!iotscp_subscription_parse_callback (callback, subscriber, &candidate, why))
    return 412;
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    {
      iotscp_subscription *sub = &dev->subscriptions[i];
      if (sub->active && now_ms >= sub->expires_ms)
        iotscp_subscription_end (dev, sub);
      if (!sub->active && slot == NULL)
        slot = sub;
    }
  if (slot == NULL)
    return 503;
  memcpy (slot, &candidate, offsetof (iotscp_subscription, response));
  slot->io.port = dev->port;
  slot->io.handle = -1;
  slot->ssl = NULL;
  slot->active = true;
  slot->client_state = NOTIFY_IDLE;
  iotscp_port_random (dev->port, slot->sid, sizeof slot->sid);
  slot->sid[6] = (uint8_t)((slot->sid[6] & 0x0f) | 0x40); /* UUID version 4 */
  slot->sid[8] = (uint8_t)((slot->sid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  memcpy (slot->subscriber_fingerprint, subscriber_fp, 32);
  if (timeout_s < 10)
    timeout_s = 10;
  if (timeout_s > 3600)
    timeout_s = 3600;
  if (heartbeat_s < 1)
    heartbeat_s = 1;
  if (heartbeat_s > 60)
    heartbeat_s = 60;
  slot->expires_ms = now_ms + (uint64_t)timeout_s * 1000;
  slot->heartbeat_ms = heartbeat_s * 1000;
  slot->seq = 0;
  slot->cursor = dev->ring.next;
  /* The first heartbeat is due one interval after subscribing. */
  slot->last_sent_ms = now_ms;
  *out = slot;
  IOTSCP_LOG (dev, IOTSCP_LOG_INFO, "subscription to %s%s (lease %lu s, heartbeat %lu s)",
              slot->callback_host, slot->callback_path, (unsigned long)timeout_s,
              (unsigned long)heartbeat_s);
  return 200;
}

/* ---- NOTIFY client ---- */

static bool
has_entries (const iotscp_device *dev, const iotscp_subscription *sub)
{
  return sub->cursor != dev->ring.next;
}

static bool
needs_send (const iotscp_device *dev, const iotscp_subscription *sub, uint64_t now_ms)
{
  return has_entries (dev, sub) || now_ms >= sub->last_sent_ms + sub->heartbeat_ms;
}

/* The NOTIFY failed or timed out: the SEQ it took stays taken (a gap for the subscriber) and
 * its entries are dropped. */
static void
fail (iotscp_device *dev, iotscp_subscription *sub, const char *what)
{
  IOTSCP_LOG (dev, IOTSCP_LOG_INFO, "NOTIFY to %s failed (%s); SEQ %lu lost", sub->callback_host,
              what, (unsigned long)(sub->seq - 1));
  sub->cursor += sub->in_flight;
  sub->in_flight = 0;
  close_client (dev, sub);
}

/* A NOTIFY that failed before it was composed: it still takes a SEQ, and the entries waiting
 * for it are dropped (otherwise every loop turn would try again at once). */
static void
fail_unsent (iotscp_device *dev, iotscp_subscription *sub, const char *what)
{
  sub->seq++;
  sub->cursor = dev->ring.next;
  fail (dev, sub, what);
}

/* The NOTIFY head into head[NOTIFY_HEAD_MAX]; returns its length (0: it does not fit). */
static size_t
notify_head (const iotscp_device *dev, const iotscp_subscription *sub, char *head)
{
  char extra[200];
  char sid[46];
  iotscp_subscription_sid_text (sub, sid);
  snprintf (extra, sizeof extra,
            "NT: iotscp:event\r\nNTS: %s\r\nSID: %s\r\nSEQ: %lu\r\nBOOTID: %s\r\n",
            sub->sending_heartbeat ? "iotscp:heartbeat" : "iotscp:update", sid,
            (unsigned long)sub->notify_seq, dev->boot_id);
  return iotscp_http_write_request_head (head, NOTIFY_HEAD_MAX, "NOTIFY", sub->callback_path,
                                         sub->callback_host, "application/json",
                                         sub->notify_body_len, extra);
}

/* Bytes skip .. skip+cap-1 of the NOTIFY body — {"events":[…]} with the in_flight entries from
 * cursor — into buf. Returns the whole body's length, or 0 when one of its entries has left the
 * ring since the NOTIFY was measured. */
static size_t
notify_body (const iotscp_device *dev, const iotscp_subscription *sub, char *buf, size_t cap,
             size_t skip)
{
  size_t pos = iotscp_text_window_copy (buf, cap, skip, 0, "{\"events\":[", 11);
  for (uint32_t k = 0; k < sub->in_flight; k++)
    {
      size_t len;
      const char *entry = iotscp_ring_get (&dev->ring, sub->cursor + k, &len);
      if (entry == NULL || len == 0)
        return 0;
      if (k > 0)
        pos = iotscp_text_window_copy (buf, cap, skip, pos, ",", 1);
      pos = iotscp_text_window_copy (buf, cap, skip, pos, entry, len);
    }
  return iotscp_text_window_copy (buf, cap, skip, pos, "]}", 2);
}

/* Bytes offset .. offset+cap-1 of the NOTIFY in flight into buf; returns how many, or 0 when it
 * can no longer be written as measured. */
static size_t
notify_window (const iotscp_device *dev, const iotscp_subscription *sub, size_t offset, char *buf,
               size_t cap)
{
  char head[NOTIFY_HEAD_MAX];
  size_t head_len = notify_head (dev, sub, head), n = 0;
  if (head_len == 0 || offset >= sub->notify_len)
    return 0;
  if (offset < head_len)
    {
      n = head_len - offset < cap ? head_len - offset : cap;
      memcpy (buf, head + offset, n);
    }
  if (n < cap)
    {
      size_t skip = offset + n - head_len;
      size_t left = sub->notify_body_len - skip;
      if (notify_body (dev, sub, buf + n, cap - n, skip) != sub->notify_body_len)
        return 0;
      n += left < cap - n ? left : cap - n;
    }
  return n;
}

/*
 * Measures the next NOTIFY: which entries it carries (at most IOTSCP_NOTIFY_MAX_ENTRIES and
 * IOTSCP_NOTIFY_MAX_BODY bytes of body), its SEQ and length. It is then written window by
 * window through the scratch buffer (notify_window), so a NOTIFY need not fit in it. Returns
 * its length, or 0 when its head does not fit.
 */
static size_t
compose (iotscp_device *dev, iotscp_subscription *sub)
{
  size_t body_len = 13; /* {"events":[ and ]} */
  uint32_t count = 0;
  bool lost = false;
  size_t head_len;
  char head[NOTIFY_HEAD_MAX];

  /* Entries that fell out of the ring are lost: skip a SEQ so the subscriber notices. */
  if ((uint32_t)(sub->cursor - dev->ring.first) > (uint32_t)(dev->ring.next - dev->ring.first))
    {
      sub->cursor = dev->ring.first;
      lost = true;
    }
  /* So are entries recorded as lost, and one too large for any NOTIFY (only possible with a
   * ring configured larger than twice the NOTIFY body limit). */
  for (;;)
    {
      size_t len;
      const char *entry = iotscp_ring_get (&dev->ring, sub->cursor, &len);
      if (entry == NULL || (len > 0 && body_len + len <= IOTSCP_NOTIFY_MAX_BODY))
        break;
      sub->cursor++;
      lost = true;
    }
  if (lost)
    sub->seq++;
  while (count < IOTSCP_NOTIFY_MAX_ENTRIES)
    {
      size_t len;
      const char *entry = iotscp_ring_get (&dev->ring, sub->cursor + count, &len);
      size_t more = len + (count > 0 ? 1 : 0);
      /* A lost entry ends the batch; the next NOTIFY skips it with a gap. */
      if (entry == NULL || len == 0 || body_len + more > IOTSCP_NOTIFY_MAX_BODY)
        break;
      body_len += more;
      count++;
    }
  sub->in_flight = count;
  sub->sending_heartbeat = count == 0;
  sub->notify_seq = sub->seq++;
  sub->notify_body_len = (uint32_t)body_len;
  sub->notify_sent = 0;
  sub->write_len = 0;
  head_len = notify_head (dev, sub, head);
  if (head_len == 0)
    return 0;
  sub->notify_len = (uint32_t)(head_len + body_len);
  return sub->notify_len;
}

static bool
start_notify (iotscp_device *dev, iotscp_subscription *sub, uint64_t now_ms)
{
  size_t len = compose (dev, sub);
  sub->last_sent_ms = now_ms;
  sub->op_deadline_ms = now_ms + IOTSCP_NOTIFY_TIMEOUT_MS;
  if (len == 0)
    {
      fail (dev, sub, "message too large");
      return false;
    }
  sub->client_state = NOTIFY_WRITING;
  return true;
}

/* Returns true to run another step at once. */
static bool
notify_step (iotscp_device *dev, iotscp_subscription *sub, uint64_t now_ms)
{
  int ret;
  switch (sub->client_state)
    {
      case NOTIFY_IDLE:
        if (!needs_send (dev, sub, now_ms))
          return false;
        sub->in_flight = 0;
        sub->io.handle = iotscp_port_tcp_connect (dev->port, &sub->callback_addr);
        sub->last_sent_ms = now_ms;
        sub->op_deadline_ms = now_ms + IOTSCP_NOTIFY_TIMEOUT_MS;
        if (sub->io.handle < 0)
          {
            fail_unsent (dev, sub, "cannot connect");
            return false;
          }
        sub->client_state = NOTIFY_CONNECTING;
        return true;

      case NOTIFY_CONNECTING:
        ret = iotscp_port_tcp_connect_finish (dev->port, sub->io.handle);
        if (ret == IOTSCP_PORT_WOULD_BLOCK)
          return false;
        if (ret != 0 || (sub->ssl = iotscp_tls_new_context (dev, false, &sub->io)) == NULL)
          {
            fail_unsent (dev, sub, "cannot connect");
            return false;
          }
        sub->client_state = NOTIFY_HANDSHAKE;
        return true;

      case NOTIFY_HANDSHAKE:
        {
          uint8_t fp[32];
          ret = mbedtls_ssl_handshake (sub->ssl);
          if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            return false;
          if (ret != 0)
            {
              fail_unsent (dev, sub, "TLS handshake failed");
              return false;
            }
          /* Events go only to the controller that subscribed: the callback server must hold
         * its key. */
          if (!iotscp_tls_peer_fingerprint (sub->ssl, fp)
              || !iotscp_text_equal_ct (fp, sub->subscriber_fingerprint, 32))
            {
              fail_unsent (dev, sub, "callback server key is not the subscriber's");
              return false;
            }
          return start_notify (dev, sub, now_ms);
        }

      case NOTIFY_READY:
        {
          unsigned char byte;
          /* A kept-alive connection the server closed: notice it now, not on the next send. */
          ret = mbedtls_ssl_read (sub->ssl, &byte, 1);
          if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
            {
              close_client (dev, sub);
              return true;
            }
          if (!needs_send (dev, sub, now_ms))
            return false;
          return start_notify (dev, sub, now_ms);
        }

      case NOTIFY_WRITING:
        /* A window is generated into the scratch buffer and handed to TLS at once; a call
         * retried after WANT_WRITE only flushes what mbedTLS has already copied. */
        if (sub->write_len == 0)
          {
            size_t n
                = notify_window (dev, sub, sub->notify_sent, dev->scratch, IOTSCP_SCRATCH_SIZE);
            if (n == 0)
              {
                fail (dev, sub, "its entries left the ring while it was written");
                return false;
              }
            sub->write_len = (uint32_t)n;
          }
        ret = mbedtls_ssl_write (sub->ssl, (const unsigned char *)dev->scratch, sub->write_len);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
          return false;
        if (ret < 0)
          {
            fail (dev, sub, "write failed");
            return false;
          }
        sub->notify_sent += (uint32_t)ret;
        sub->write_len = 0;
        if (sub->notify_sent < sub->notify_len)
          return true;
        iotscp_http_response_reset (&sub->response, IOTSCP_HTTP_NOTIFY);
        sub->client_state = NOTIFY_READING;
        return true;

      case NOTIFY_READING:
        {
          unsigned char buf[128];
          iotscp_http_status status;
          size_t used = 0;
          ret = mbedtls_ssl_read (sub->ssl, buf, sizeof buf);
          if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            return false;
          if (ret <= 0)
            status = iotscp_http_response_eof (&sub->response);
          else
            status = iotscp_http_response_feed (&sub->response, buf, (size_t)ret, &used);
          if (status == IOTSCP_HTTP_NEED_MORE)
            return true;
          if (status == IOTSCP_HTTP_ERROR)
            {
              fail (dev, sub, "bad answer");
              return false;
            }
          if (sub->response.status == 412)
            {
              IOTSCP_LOG (dev, IOTSCP_LOG_INFO, "subscriber answered 412: subscription ended");
              iotscp_subscription_end (dev, sub);
              return false;
            }
          if (sub->response.status < 200 || sub->response.status > 299)
            {
              fail (dev, sub, "answer not 2xx");
              return false;
            }
          sub->cursor += sub->in_flight;
          sub->in_flight = 0;
          if (!sub->response.keep_alive || ret <= 0 || used < (size_t)ret)
            close_client (dev, sub);
          else
            sub->client_state = NOTIFY_READY;
          return true;
        }
      default:
        return false;
    }
}

void
iotscp_subscription_process (iotscp_device *dev, iotscp_subscription *sub, uint8_t revents,
                             uint64_t now_ms)
{
  (void)revents;
  if (!sub->active)
    return;
  if (now_ms >= sub->expires_ms)
    {
      IOTSCP_LOG (dev, IOTSCP_LOG_INFO, "subscription lease expired");
      iotscp_subscription_end (dev, sub);
      return;
    }
  if (sub->client_state != NOTIFY_IDLE && sub->client_state != NOTIFY_READY
      && now_ms >= sub->op_deadline_ms)
    {
      if (sub->client_state < NOTIFY_WRITING)
        fail_unsent (dev, sub, "no connection within 5 s");
      else
        fail (dev, sub, "no answer within 5 s");
    }
  for (int i = 0; i < 16 && sub->active && notify_step (dev, sub, now_ms); i++)
    ;
}

uint64_t
iotscp_subscription_next_deadline (const iotscp_device *dev, const iotscp_subscription *sub)
{
  uint64_t next;
  if (!sub->active)
    return UINT64_MAX;
  next = sub->expires_ms;
  switch (sub->client_state)
    {
      case NOTIFY_IDLE:
      case NOTIFY_READY:
        if (has_entries (dev, sub))
          return 0;
        if (sub->last_sent_ms + sub->heartbeat_ms < next)
          next = sub->last_sent_ms + sub->heartbeat_ms;
        if (sub->client_state == NOTIFY_READY && mbedtls_ssl_check_pending (sub->ssl))
          return 0;
        break;
      default:
        if (sub->op_deadline_ms < next)
          next = sub->op_deadline_ms;
        if (sub->ssl != NULL && mbedtls_ssl_check_pending (sub->ssl))
          return 0;
        break;
    }
  return next;
}

/* Which way the NOTIFY client waits. */
uint8_t
iotscp_subscription_poll_events (const iotscp_subscription *sub)
{
  switch (sub->client_state)
    {
      case NOTIFY_CONNECTING:
      case NOTIFY_WRITING:
        return IOTSCP_POLL_OUT;
      case NOTIFY_HANDSHAKE:
        if (sub->ssl != NULL && sub->ssl->out_left > 0)
          return IOTSCP_POLL_IN | IOTSCP_POLL_OUT;
        return IOTSCP_POLL_IN;
      case NOTIFY_READY:
      case NOTIFY_READING:
        return IOTSCP_POLL_IN;
      default:
        return 0;
    }
}
