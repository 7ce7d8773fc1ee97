/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HTTP/1.1 for the firmware core: a streaming request parser (the device's
 * server side), a small response parser (the device's NOTIFY client side) and
 * writers for response and request heads and the protocol's error body.
 *
 * The parsers are fed bytes as they arrive from TLS, keep only what IOTSCP/2
 * needs in fixed buffers, and stop at the first thing they do not accept.
 * Decisions (docs/protocol.md section 5.1 and where RFC 9112 leaves a
 * choice); unless said otherwise the answer is 400 bad-request:
 *   - Only HTTP/1.1: any other version (HTTP/1.0, HTTP/2.0, HTTP/1.2) is 400.
 *   - Lines must end in CRLF: a bare LF or a bare CR anywhere in the head,
 *     in a chunk-size line or a trailer is rejected (no lenient LF-only
 *     parsing, so no two parsers can frame one byte stream differently).
 *   - obs-fold (a header line starting with SP or HT), whitespace between a
 *     field name and the colon, a field line without a colon or with an
 *     empty name, control characters other than HT (NUL included) in a
 *     line: rejected.
 *   - Content-Length and Transfer-Encoding together, a Content-Length that
 *     is not plain decimal digits, two Content-Length fields with different
 *     values, a Transfer-Encoding other than exactly "chunked" (any case),
 *     two Host fields, two of any other stored field: rejected. A
 *     Content-Length over IOTSCP_HTTP_MAX_BODY is 413 before any body byte.
 *   - Chunk sizes: 1-IOTSCP_HTTP_MAX_CHUNK_DIGITS hex digits, no sign, no
 *     spaces; chunk extensions (";...") are skipped (at most 64 bytes);
 *     every chunk's data must end in CRLF; a chunk that would take the body
 *     over IOTSCP_HTTP_MAX_BODY is 413. Trailer fields are checked like
 *     header lines (they count toward the head and header limits) and
 *     skipped.
 *   - The request target must be origin-form ("/..."), of visible ASCII
 *     only (non-ASCII must be percent-encoded), without '#'. The query is
 *     ignored. Each path segment is percent-decoded separately (so %2F stays
 *     inside its segment) and must be valid UTF-8 without U+0000. More than
 *     IOTSCP_HTTP_MAX_SEGMENTS segments is 414 like a long target.
 *   - Exactly one Host field is required.
 *   - An unknown method (a valid token) is parsed to the end like any
 *     request and returned COMPLETE with IOTSCP_HTTP_OTHER, so the server
 *     can answer 501 and keep the connection, as section 5.1 wants.
 *   - PUT and POST need Content-Length or chunked Transfer-Encoding: 411
 *     (send "Content-Length: 0" for an empty body). Other methods without
 *     either have no body.
 *   - Empty lines before a request line are skipped (RFC 9112 section 2.2);
 *     they count toward the head limit.
 */
#ifndef IOTSCP_HTTP_H
#define IOTSCP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotscp_config.h"

typedef enum iotscp_http_status
{
  IOTSCP_HTTP_NEED_MORE = 0, /* all bytes consumed, message not complete yet */
  IOTSCP_HTTP_COMPLETE,      /* a whole message parsed; *consumed says where it ended */
  IOTSCP_HTTP_ERROR          /* see error_status / error_code; close after answering */
} iotscp_http_status;

typedef enum iotscp_http_method
{
  IOTSCP_HTTP_OTHER = 0, /* a method IOTSCP/2 does not know: answer 501 */
  IOTSCP_HTTP_GET,
  IOTSCP_HTTP_PUT,
  IOTSCP_HTTP_POST,
  IOTSCP_HTTP_DELETE,
  IOTSCP_HTTP_SUBSCRIBE,
  IOTSCP_HTTP_UNSUBSCRIBE,
  IOTSCP_HTTP_NOTIFY,
  IOTSCP_HTTP_HEAD
} iotscp_http_method;

/* The header fields the request parser keeps; all others are skipped. */
typedef enum iotscp_http_header_id
{
  IOTSCP_HDR_HOST = 0,
  IOTSCP_HDR_CONTENT_TYPE,
  IOTSCP_HDR_SID,
  IOTSCP_HDR_CALLBACK,
  IOTSCP_HDR_NT,
  IOTSCP_HDR_NTS,
  IOTSCP_HDR_TIMEOUT,
  IOTSCP_HDR_HEARTBEAT,
  IOTSCP_HDR_SEQ,
  IOTSCP_HDR_BOOTID,
  IOTSCP_HDR_STORED_COUNT, /* headers above this line are stored as text */
  IOTSCP_HDR_CONTENT_LENGTH = IOTSCP_HDR_STORED_COUNT, /* parsed into content_length */
  IOTSCP_HDR_TRANSFER_ENCODING,                        /* parsed into the chunked flag */
  IOTSCP_HDR_CONNECTION,                               /* parsed into the close flags */
  IOTSCP_HDR_COUNT
} iotscp_http_header_id;

/*
 * Framing state shared by the request and the response parser. The fields
 * are private: use the functions below.
 */
typedef struct iotscp_http_framing
{
  uint32_t remaining;   /* body bytes left in the current Content-Length or chunk */
  uint16_t head_len;    /* bytes of the start line and headers so far */
  uint16_t token_len;   /* length of the token being read (method, name, digits) */
  uint16_t value_start; /* start of the current header value in the store */
  uint16_t value_len;   /* its length up to the last non-blank byte */
  uint16_t store_len;   /* bytes used in the header store */
  uint16_t flags;
  uint8_t state;
  uint8_t header_count;
  uint8_t current_header; /* iotscp_http_header_id, or 0xff for a skipped one */
  uint8_t pct;            /* percent-decoding progress in the target */
  char token[20];         /* method, version or header name being read */
} iotscp_http_framing;

typedef struct iotscp_http_request
{
  iotscp_http_framing framing; /* private */

  iotscp_http_method method;
  bool keep_alive;         /* false: close the connection after the answer */
  bool has_content_length; /* a Content-Length field was present */
  bool chunked;            /* Transfer-Encoding: chunked */
  uint32_t content_length; /* its value, when present */
  int error_status;        /* on IOTSCP_HTTP_ERROR: the status to answer */
  const char *error_code;  /* on IOTSCP_HTTP_ERROR: the protocol.md error code */
  uint16_t target_len;     /* raw request target length */
  uint16_t path_len;       /* bytes used in path */
  uint8_t segment_count;   /* path segments ("/" has one, empty) */
  uint16_t segment_start[IOTSCP_HTTP_MAX_SEGMENTS];
  uint16_t header_offset[IOTSCP_HDR_STORED_COUNT]; /* 0: absent, else store offset + 1 */
  uint16_t body_len;                               /* decoded body length */
  /*
   * The body buffer (IOTSCP_HTTP_MAX_BODY + 1 bytes, NUL-terminated for convenience), attached
   * with iotscp_http_request_attach_body(). It is not part of the request so that a device can
   * own one body buffer and lend it to whichever connection is reading a body (docs/firmware.md
   * section 6): a request head is small and every connection needs one, a 2 KiB body buffer is
   * large and needed only for the moments a body is being read.
   */
  uint8_t *body;
  char path[IOTSCP_HTTP_MAX_TARGET + 1]; /* decoded segments, each NUL-terminated */
  char store[IOTSCP_HTTP_HEADER_STORE];  /* stored header values, NUL-terminated */
} iotscp_http_request;

/* A body buffer for iotscp_http_request_attach_body(). */
typedef uint8_t iotscp_http_body_buffer[IOTSCP_HTTP_MAX_BODY + 1];

/* Prepares req for a new request (also after a previous one completed). The attached body
 * buffer, if any, stays attached. */
void iotscp_http_request_reset (iotscp_http_request *req);

/*
 * Attaches a body buffer (or detaches it with NULL). The parser stores body bytes only into an
 * attached buffer: a request whose body begins while none is attached is not fed further by a
 * caller that follows iotscp_http_request_max_read(); feeding body bytes anyway fails the
 * request with 500. Attaching clears the body read so far, so attach before the first body
 * byte (iotscp_http_request_wants_body() says when).
 */
void iotscp_http_request_attach_body (iotscp_http_request *req, iotscp_http_body_buffer *body);

/* True when the head is parsed, body bytes are to come and no body buffer is attached. */
bool iotscp_http_request_wants_body (const iotscp_http_request *req);

/*
 * How many bytes the parser can be fed next without taking any byte of a pipelined next
 * request, if the current request is valid: a lower bound on what is left of it. In the body
 * that is exact (the Content-Length or chunk bytes still due, plus the shortest possible chunk
 * framing after them); in the head only the shortest possible rest is known (e.g. 4 bytes, the
 * final CRLF CRLF, while a header value is being read), so heads are read in small pieces and
 * bodies in large ones. A request that turns out invalid may have taken more, which does not
 * matter: every framing error closes the connection. Returns 0 when the request is complete or
 * failed, or when it waits for a body buffer (iotscp_http_request_wants_body()).
 */
size_t iotscp_http_request_max_read (const iotscp_http_request *req);

/*
 * Feeds len bytes. Returns IOTSCP_HTTP_COMPLETE when a whole request is
 * parsed (*consumed bytes of data belong to it; the rest is the start of a
 * pipelined next request: reset and feed it again), IOTSCP_HTTP_NEED_MORE
 * when all bytes were used and more are needed, or IOTSCP_HTTP_ERROR with
 * req->error_status (400, 411, 413, 414 or 431) and req->error_code set;
 * answer it with "Connection: close" and close the connection. Feeding a
 * request that is COMPLETE or in ERROR consumes nothing and returns the same
 * status again. consumed may be NULL.
 */
iotscp_http_status iotscp_http_request_feed (iotscp_http_request *req, const uint8_t *data,
                                             size_t len, size_t *consumed);

/* True once the start line and headers are parsed (the body may follow). */
bool iotscp_http_request_head_done (const iotscp_http_request *req);

/* True when at least one byte of a request has been fed (for the 408 deadline). */
bool iotscp_http_request_started (const iotscp_http_request *req);

/*
 * Decoded path segment i (0-based) of the request target, NUL-terminated,
 * its length in *len (may be NULL); NULL when i >= segment_count or the
 * head is not parsed yet. "/a/b%2Fc"
 * has the segments "a" and "b/c"; "/" has one empty segment.
 */
const char *iotscp_http_path_segment (const iotscp_http_request *req, unsigned i, size_t *len);

/*
 * True when the decoded segments are exactly those of `path` (which is split
 * at '/' and not decoded), e.g. iotscp_http_path_is (req, "/.well-known/iotscp").
 */
bool iotscp_http_path_is (const iotscp_http_request *req, const char *path);

/* Value of a stored header (NUL-terminated, blanks trimmed), NULL when absent. */
const char *iotscp_http_header (const iotscp_http_request *req, iotscp_http_header_id id);

/* True when Content-Type is application/json (any case, parameters allowed). */
bool iotscp_http_content_type_is_json (const iotscp_http_request *req);

/* The method's name ("GET", ...), "OTHER" for IOTSCP_HTTP_OTHER. */
const char *iotscp_http_method_name (iotscp_http_method method);

/*
 * Parses a GENA time value "Second-<n>" (case-insensitive "Second-", n a
 * strict decimal up to 2^32-1) into *seconds. Returns 0 or -1.
 */
int iotscp_http_parse_seconds (const char *value, uint32_t *seconds);

/* ---- Response parser (answers to the device's NOTIFY requests) ---- */

typedef struct iotscp_http_response
{
  iotscp_http_framing framing; /* private */

  int status;              /* status code, 100-999 */
  bool keep_alive;         /* false: the server closes, or asked to */
  bool chunked;            /* Transfer-Encoding: chunked */
  bool has_content_length; /* a Content-Length field was present */
  bool until_close;        /* the body runs until the connection closes */
  uint32_t content_length;
  uint32_t body_total; /* body bytes framed so far (kept or not), saturating at UINT32_MAX */
  uint16_t body_len;   /* body bytes kept in body[], at most IOTSCP_HTTP_MAX_RESPONSE_BODY */
  char store[IOTSCP_HTTP_MAX_SHORT_VALUE * 2];     /* scratch for the framing fields */
  uint8_t body[IOTSCP_HTTP_MAX_RESPONSE_BODY + 1]; /* the kept start of the body, NUL-terminated */
} iotscp_http_response;

/*
 * Prepares resp for the answer to a request sent with `request_method`
 * (an answer to HEAD has no body).
 */
void iotscp_http_response_reset (iotscp_http_response *resp, iotscp_http_method request_method);

/*
 * Feeds bytes of a response, like iotscp_http_request_feed. 1xx interim
 * answers are skipped. Bad framing or a head over
 * IOTSCP_HTTP_MAX_RESPONSE_HEAD is IOTSCP_HTTP_ERROR. The body is framed
 * (Content-Length, chunks) and counted in body_total, but only its first
 * IOTSCP_HTTP_MAX_RESPONSE_BODY bytes are kept; the rest is skipped. The
 * device needs only the status of an answer to NOTIFY (2xx or 412), so its
 * default keeps none (0), and the length of what it skips is bounded by the
 * NOTIFY answer deadline, not by a buffer. A response without
 * Content-Length or chunking runs until the connection closes: call
 * iotscp_http_response_eof() then.
 */
iotscp_http_status iotscp_http_response_feed (iotscp_http_response *resp, const uint8_t *data,
                                              size_t len, size_t *consumed);

/*
 * Tells the parser the connection closed. Returns IOTSCP_HTTP_COMPLETE when
 * the response is complete (its body ran until close), else ERROR.
 */
iotscp_http_status iotscp_http_response_eof (iotscp_http_response *resp);

/* ---- Writers ---- */

/* Reason phrase of a status code ("OK", "Not Found", ...; "Unknown" otherwise). */
const char *iotscp_http_reason (int status);

/*
 * Writes a response head: status line, Content-Type (unless NULL),
 * Content-Length (not for 1xx and 204), extra_headers verbatim (each
 * "Name: value\r\n", may be NULL), "Connection: close" unless keep_alive,
 * and the empty line. Returns its length (buf is NUL-terminated), or 0 when
 * it does not fit in cap bytes.
 */
size_t iotscp_http_write_head (char *buf, size_t cap, int status, const char *content_type,
                               size_t content_length, const char *extra_headers, bool keep_alive);

/*
 * Writes a whole error answer: the head (application/json) and the body
 * {"error":{"code":"<code>","message":"<message>"}} with the strings escaped.
 * Returns the total length, or 0 when it does not fit.
 */
size_t iotscp_http_write_error (char *buf, size_t cap, int status, const char *code,
                                const char *message, bool keep_alive);

/*
 * Writes a request head, e.g. for NOTIFY: "<method> <target> HTTP/1.1",
 * Host, Content-Type (unless NULL), Content-Length, extra_headers verbatim
 * (may be NULL) and the empty line. target must be origin-form and already
 * percent-encoded. Returns the length, or 0 when it does not fit.
 */
size_t iotscp_http_write_request_head (char *buf, size_t cap, const char *method,
                                       const char *target, const char *host,
                                       const char *content_type, size_t content_length,
                                       const char *extra_headers);

#endif /* IOTSCP_HTTP_H */
