/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TLS HTTP/1.1 server: accepting connections into the fixed slots, the handshake, reading
 * requests into F1's streaming parser, writing answers, and every deadline (protocol.md
 * section 8). Everything is non-blocking; a connection that stalls only ever waits in its own
 * slot until its deadline.
 */
#include "iotscp_internal.h"

#include <stddef.h>
#include <string.h>

#include <mbedtls/ssl.h>

enum iotscp_connection_state
{
  CONN_FREE = 0,
  CONN_HANDSHAKE,
  CONN_IDLE,    /* Between requests (kept alive): 60 s deadline. */
  CONN_REQUEST, /* A request has started: 10 s deadline from its first byte. */
  CONN_WRITE,   /* An answer is being written. */
  CONN_CLOSING, /* Sending close_notify. */
};

/* Bytes read from TLS per process call before other connections get their turn. */
#define READ_BUDGET 8192

/* Lends the device's body buffer to conn; false while another connection holds it. */
static bool
lease_body (iotscp_device *dev, iotscp_connection *conn)
{
  if (dev->body_holder != NULL && dev->body_holder != conn)
    return false;
  dev->body_holder = conn;
  iotscp_http_request_attach_body (&conn->request, &dev->body);
  return true;
}

/* Gives the body buffer back (the request has been handled, or the connection ends). */
static void
release_body (iotscp_device *dev, iotscp_connection *conn)
{
  if (dev->body_holder == conn)
    dev->body_holder = NULL;
  iotscp_http_request_attach_body (&conn->request, NULL);
}

/* A request whose body has begun while another connection holds the body buffer: it is not
 * read (and not polled for input) until the buffer is free; its request deadline runs on. */
static bool
waits_for_body (const iotscp_connection *conn)
{
  const iotscp_device *dev = conn->dev;
  return conn->state == CONN_REQUEST && iotscp_http_request_wants_body (&conn->request)
         && dev->body_holder != NULL && dev->body_holder != conn;
}

void
iotscp_server_close (iotscp_device *dev, iotscp_connection *conn)
{
  release_body (dev, conn);
  iotscp_tls_free_context (conn->ssl);
  conn->ssl = NULL;
  iotscp_port_close (dev->port, conn->io.handle);
  conn->io.handle = -1;
  conn->state = CONN_FREE;
  conn->has_peer_key = false;
}

/* Same host: family and address, the port is ignored (each connection has its own). */
static bool
same_host (const iotscp_addr *a, const iotscp_addr *b)
{
  size_t len = a->family == IOTSCP_AF_INET ? 4 : 16;
  return a->family == b->family && memcmp (a->bytes, b->bytes, len) == 0;
}

/* An authenticated controller connection: its handshake is done and its key is in the
 * controller list now (a removed controller's connection loses this at once). */
static bool
is_controller_connection (const iotscp_device *dev, const iotscp_connection *conn)
{
  return conn->state != CONN_FREE && conn->state != CONN_HANDSHAKE && conn->has_peer_key
         && iotscp_device_is_controller (dev, conn->peer_fingerprint);
}

static bool
is_known_controller_address (const iotscp_device *dev, const iotscp_addr *addr)
{
  for (size_t i = 0; i < dev->known_controller_address_count; i++)
    if (same_host (&dev->known_controller_addresses[i], addr))
      return true;
  return false;
}

/* Moves addr to the front of the known controller addresses, dropping the oldest when full. */
static void
remember_controller_address (iotscp_device *dev, const iotscp_addr *addr)
{
  size_t count = dev->known_controller_address_count;
  size_t at = count < IOTSCP_KNOWN_CONTROLLER_ADDRESSES ? count : count - 1;
  for (size_t i = 0; i < count; i++)
    if (same_host (&dev->known_controller_addresses[i], addr))
      {
        at = i;
        break;
      }
  if (at == count)
    dev->known_controller_address_count++;
  memmove (&dev->known_controller_addresses[1], &dev->known_controller_addresses[0],
           at * sizeof (iotscp_addr));
  dev->known_controller_addresses[0] = *addr;
}

/*
 * Chooses the slot for a newcomer from peer, closing a connection to make room when that is
 * allowed, or returns NULL: the newcomer is closed at once. The policy (protocol.md section 5.1,
 * docs/firmware.md section 4.4), in order:
 * 1. A source address holds at most IOTSCP_MAX_UNAUTHENTICATED_PER_ADDRESS connections that
 *    are not authenticated controller connections; more from it are closed at once, so one host
 *    cannot take every slot.
 * 2. A free slot is taken.
 * 3. Otherwise the oldest connection that is not an authenticated controller's makes room,
 *    if it is older than IOTSCP_ADMISSION_GRACE_MS, or if the newcomer comes from an address a
 *    controller authenticated from recently and the connection does not. An authenticated
 *    controller connection never makes room for a newcomer, which is unauthenticated by
 *    definition, so a hub's kept-alive connection survives any number of strangers.
 * The grace period is what stops an attacker who re-opens every closed socket from evicting a
 * legitimate handshake within milliseconds: newcomers only ever take slots that had their
 * chance. Everything here is a scan of the fixed slot array; nothing is allocated.
 */
static iotscp_connection *
admit (iotscp_device *dev, const iotscp_addr *peer, uint64_t now_ms)
{
  bool known = is_known_controller_address (dev, peer);
  iotscp_connection *free_one = NULL;
  iotscp_connection *victim = NULL;
  size_t unauthenticated_from_peer = 0;

  for (size_t i = 0; i < IOTSCP_MAX_CONNECTIONS; i++)
    {
      iotscp_connection *c = &dev->connections[i];
      bool old_enough;
      if (c->state == CONN_FREE)
        {
          if (free_one == NULL)
            free_one = c;
          continue;
        }
      if (is_controller_connection (dev, c))
        continue;
      if (same_host (&c->peer, peer))
        unauthenticated_from_peer++;
      old_enough = now_ms - c->accepted_ms >= IOTSCP_ADMISSION_GRACE_MS;
      if ((old_enough || (known && !c->from_known_address))
          && (victim == NULL || c->accepted_ms < victim->accepted_ms))
        victim = c;
    }
  if (unauthenticated_from_peer >= IOTSCP_MAX_UNAUTHENTICATED_PER_ADDRESS)
    {
      IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG, "too many unauthenticated connections from one address");
      return NULL;
    }
  if (free_one != NULL)
    return free_one;
  if (victim != NULL)
    {
      IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG,
                  "all connection slots busy; closing an unauthenticated "
                  "one for a newcomer");
      iotscp_server_close (dev, victim);
      return victim;
    }
  IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG, "all connection slots busy; closing a new one");
  return NULL;
}

void
iotscp_server_accept (iotscp_device *dev, uint64_t now_ms)
{
  /* A few per call, so one device cannot starve the others of the loop. */
  for (int round = 0; round < 8; round++)
    {
      iotscp_addr peer;
      iotscp_connection *conn;
      int handle = iotscp_port_tcp_accept (dev->port, dev->listener, &peer);
      if (handle < 0)
        return;
      conn = admit (dev, &peer, now_ms);
      if (conn == NULL)
        {
          /* Closing at once is the quickest "busy" a client can get without a TLS handshake. */
          iotscp_port_close (dev->port, handle);
          continue;
        }
      memset (conn, 0, offsetof (iotscp_connection, request));
      conn->dev = dev;
      conn->io.port = dev->port;
      conn->io.handle = handle;
      conn->peer = peer;
      conn->from_known_address = is_known_controller_address (dev, &peer);
      conn->accepted_ms = now_ms;
      conn->ssl = iotscp_tls_new_context (dev, true, &conn->io);
      if (conn->ssl == NULL)
        {
          IOTSCP_LOG (dev, IOTSCP_LOG_WARNING, "out of memory for a TLS context");
          iotscp_port_close (dev->port, handle);
          conn->io.handle = -1;
          continue;
        }
      conn->state = CONN_HANDSHAKE;
      /* Silent connections are the cheapest way to hold a slot: the ClientHello comes first. */
      conn->deadline_ms = now_ms + IOTSCP_CLIENT_HELLO_TIMEOUT_MS;
      iotscp_http_request_reset (&conn->request);
    }
}

/*
 * Starts writing an answer: either one composed whole in the scratch buffer (data, len), or,
 * when data is NULL, one that iotscp_routes_window() generates window by window (len is its
 * whole length). A composed answer is handed to TLS in this same turn of the loop (step() goes
 * on to CONN_WRITE at once), before anything else can use the scratch buffer: mbedTLS copies
 * the bytes into its record buffer on the first mbedtls_ssl_write call, and a call retried
 * after WANT_WRITE only flushes that record, so the scratch buffer is free again afterwards.
 */
static void
start_write (iotscp_connection *conn, const char *data, size_t len, bool close_after,
             uint64_t now_ms)
{
  iotscp_device *dev = conn->dev;
  /* The request is handled: its body buffer can serve another connection now. */
  release_body (dev, conn);
  if (data != NULL && data != dev->scratch)
    memmove (dev->scratch, data, len);
  if (data != NULL)
    conn->answer_kind = 0;
  conn->answer_len = (uint32_t)len;
  conn->answer_sent = 0;
  conn->write_len = 0;
  conn->close_after_write = close_after;
  conn->state = CONN_WRITE;
  /* A client that does not read its answer is cut off like one that does not send. */
  conn->deadline_ms = now_ms + IOTSCP_REQUEST_TIMEOUT_MS;
}

static void
answer_error (iotscp_connection *conn, int status, const char *code, const char *message,
              uint64_t now_ms)
{
  size_t len = iotscp_routes_error (conn->dev, status, code, message, false);
  start_write (conn, conn->dev->scratch, len, true, now_ms);
}

/* Returns false when the connection was closed. */
static bool
step (iotscp_connection *conn, uint64_t now_ms, size_t *budget)
{
  iotscp_device *dev = conn->dev;
  int ret;

  switch (conn->state)
    {
      case CONN_HANDSHAKE:
        ret = mbedtls_ssl_handshake (conn->ssl);
        if (!conn->hello_seen && conn->ssl->state > MBEDTLS_SSL_CLIENT_HELLO)
          {
            /* The ClientHello is in: the rest of the handshake gets the full deadline. */
            conn->hello_seen = true;
            conn->deadline_ms = conn->accepted_ms + IOTSCP_HANDSHAKE_TIMEOUT_MS;
          }
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
          return false;
        if (ret != 0)
          {
            IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG, "TLS handshake failed (-0x%04x)", (unsigned)-ret);
            iotscp_server_close (dev, conn);
            return false;
          }
        conn->has_peer_key = iotscp_tls_peer_fingerprint (conn->ssl, conn->peer_fingerprint);
        conn->state = CONN_IDLE;
        if (is_controller_connection (dev, conn))
          remember_controller_address (dev, &conn->peer);
        conn->deadline_ms = now_ms + IOTSCP_IDLE_TIMEOUT_MS;
        return true;

      case CONN_IDLE:
      case CONN_REQUEST:
        {
          iotscp_http_status status;
          size_t want;
          if (*budget == 0)
            return false;
          if (iotscp_http_request_wants_body (&conn->request) && !lease_body (dev, conn))
            return false;
          /* Never more than the current request can still take: the parser then never sees
           * bytes of a pipelined next request that it would have to hand back, and mbedTLS
           * keeps the rest of the record. Heads come in small pieces, bodies in large ones. */
          want = iotscp_http_request_max_read (&conn->request);
          if (want > IOTSCP_SCRATCH_SIZE)
            want = IOTSCP_SCRATCH_SIZE;
          if (want > *budget)
            want = *budget;
          if (want == 0)
            return false;
          ret = mbedtls_ssl_read (conn->ssl, (unsigned char *)dev->scratch, want);
          if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            return false;
          if (ret <= 0)
            {
              iotscp_server_close (dev, conn);
              return false;
            }
          *budget -= (size_t)ret;
          status = iotscp_http_request_feed (&conn->request, (const uint8_t *)dev->scratch,
                                             (size_t)ret, NULL);
          if (conn->state == CONN_IDLE && iotscp_http_request_started (&conn->request))
            {
              conn->state = CONN_REQUEST;
              conn->deadline_ms = now_ms + IOTSCP_REQUEST_TIMEOUT_MS;
            }
          if (status == IOTSCP_HTTP_ERROR)
            {
              answer_error (conn, conn->request.error_status,
                            conn->request.error_code ? conn->request.error_code : "bad-request",
                            "malformed request", now_ms);
            }
          else if (status == IOTSCP_HTTP_COMPLETE)
            {
              bool close_after = false;
              const char *out = NULL;
              size_t len = iotscp_routes_handle (dev, conn, now_ms, &close_after, &out);
              start_write (conn, out, len, close_after, now_ms);
            }
          return true;
        }

      case CONN_WRITE:
        {
          const char *piece = dev->scratch;
          if (conn->answer_kind == 0)
            {
              /* Composed whole: the rest of it is still in the scratch buffer (see start_write). */
              piece = dev->scratch + conn->answer_sent;
              conn->write_len = conn->answer_len - conn->answer_sent;
            }
          else if (conn->write_len == 0)
            {
              /* Generated: the next window, unless what it shows changed since it was measured
               * (its Content-Length and first bytes are out already; closing is all that is
               * left, and the client asks again). */
              size_t n = 0;
              if (dev->content_version == conn->answer_version)
                n = iotscp_routes_window (dev, conn, conn->answer_sent, dev->scratch,
                                          IOTSCP_SCRATCH_SIZE);
              if (n == 0)
                {
                  IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG,
                              "answer changed while it was written; closing");
                  iotscp_server_close (dev, conn);
                  return false;
                }
              conn->write_len = (uint32_t)n;
            }
          ret = mbedtls_ssl_write (conn->ssl, (const unsigned char *)piece, conn->write_len);
          if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            return false;
          if (ret < 0)
            {
              iotscp_server_close (dev, conn);
              return false;
            }
          conn->answer_sent += (uint32_t)ret;
          conn->write_len = 0;
          if (conn->answer_sent < conn->answer_len)
            return true;
        }
        if (conn->close_after_write)
          {
            conn->state = CONN_CLOSING;
            return true;
          }
        iotscp_http_request_reset (&conn->request);
        conn->state = CONN_IDLE;
        conn->deadline_ms = now_ms + IOTSCP_IDLE_TIMEOUT_MS;
        return true;

      case CONN_CLOSING:
        ret = mbedtls_ssl_close_notify (conn->ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
          return false;
        iotscp_server_close (dev, conn);
        return false;

      default:
        return false;
    }
}

void
iotscp_server_process (iotscp_device *dev, iotscp_connection *conn, uint8_t revents,
                       uint64_t now_ms)
{
  size_t budget = READ_BUDGET;
  (void)revents;
  if (conn->state == CONN_FREE)
    return;
  if (now_ms >= conn->deadline_ms)
    {
      if (conn->state == CONN_REQUEST)
        {
          IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG, "request not complete in time: 408");
          answer_error (conn, 408, "timeout", "request not complete within 10 s", now_ms);
          /* Give the 408 one try; if it cannot be written now, the client is gone anyway. */
          conn->deadline_ms = now_ms + 1000;
        }
      else
        {
          iotscp_server_close (dev, conn);
          return;
        }
    }
  while (conn->state != CONN_FREE && step (conn, now_ms, &budget))
    ;
}

/* The earliest deadline of the server's connections, or now when a connection has buffered
 * bytes it has not read yet (poll would not wake for them). */
uint64_t
iotscp_server_next_deadline (const iotscp_device *dev)
{
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < IOTSCP_MAX_CONNECTIONS; i++)
    {
      const iotscp_connection *c = &dev->connections[i];
      if (c->state == CONN_FREE)
        continue;
      if (c->deadline_ms < next)
        next = c->deadline_ms;
      if (iotscp_server_wants_turn (c))
        next = 0;
    }
  return next;
}

/* True when conn has work that poll cannot announce: bytes mbedTLS has already decrypted, or
 * the body buffer it waits for has become free. */
bool
iotscp_server_wants_turn (const iotscp_connection *conn)
{
  if (conn->state != CONN_IDLE && conn->state != CONN_REQUEST)
    return false;
  if (conn->state == CONN_REQUEST && iotscp_http_request_wants_body (&conn->request))
    return conn->dev->body_holder == NULL || conn->dev->body_holder == conn;
  return mbedtls_ssl_check_pending (conn->ssl);
}

/* Which way a connection waits, for pollfds. */
uint8_t
iotscp_server_poll_events (const iotscp_connection *conn)
{
  switch (conn->state)
    {
      case CONN_WRITE:
      case CONN_CLOSING:
        return IOTSCP_POLL_OUT;
      case CONN_HANDSHAKE:
        /* mbedTLS does not say which way it waits; flushing is rare and short, so poll for input
       * and let a pending flush be retried by the next deadline. */
        if (conn->ssl != NULL && conn->ssl->out_left > 0)
          return IOTSCP_POLL_IN | IOTSCP_POLL_OUT;
        return IOTSCP_POLL_IN;
      default:
        /* Waiting for the body buffer: not reading, so not asking for input either (a peer
         * that hangs up meanwhile is noticed when the wait ends or at the deadline). */
        return waits_for_body (conn) ? 0 : IOTSCP_POLL_IN;
    }
}
