/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "iotscp_http.h"

#include <stddef.h>
#include <string.h>

#include "iotscp_json.h"
#include "iotscp_text.h"

/*
 * One state machine frames both requests and responses: they differ only in
 * the start line, in what is kept, and in how the body length is decided.
 * It consumes one byte at a time except in the body, where it copies runs.
 */
enum
{
  S_START,       /* before the start line (requests skip empty lines here) */
  S_START_LF,    /* CR of an empty line seen, LF expected */
  S_METHOD,      /* request line: method */
  S_TARGET,      /* request line: target */
  S_VERSION,     /* request line: version, up to CR */
  S_LINE_LF,     /* start line CR seen */
  S_R_VERSION,   /* status line: version, up to SP */
  S_R_STATUS,    /* status line: three digits */
  S_R_REASON,    /* status line: reason phrase, up to CR */
  S_HDR_START,   /* beginning of a header (or trailer) line */
  S_HDR_NAME,    /* field name, up to ':' */
  S_HDR_VALUE,   /* field value, up to CR */
  S_HDR_LF,      /* CR after a field value seen */
  S_HEAD_END_LF, /* CR of the empty line ending the head (or trailers) seen */
  S_BODY,        /* Content-Length body */
  S_BODY_EOF,    /* response body running until the connection closes */
  S_CHUNK_SIZE,  /* chunk-size hex digits */
  S_CHUNK_EXT,   /* chunk extension, skipped up to CR */
  S_CHUNK_SIZE_LF,
  S_CHUNK_DATA,
  S_CHUNK_DATA_CR,
  S_CHUNK_DATA_LF,
  S_COMPLETE,
  S_ERROR
};

enum
{
  F_RESPONSE = 1 << 0,
  F_HAS_CL = 1 << 1,
  F_CHUNKED = 1 << 2,
  F_CLOSE = 1 << 3,
  F_KEEP_ALIVE = 1 << 4,
  F_TRAILER = 1 << 5,
  F_QUERY = 1 << 6,
  F_HTTP10 = 1 << 7,
  F_HEAD_DONE = 1 << 8,
  F_NO_BODY = 1 << 9, /* response to HEAD */
  F_HAS_HOST = 1 << 10,
  F_STARTED = 1 << 11,
};

#define SKIPPED_HEADER 0xff
#define MAX_CHUNK_EXT 64

static const char *const header_names[IOTSCP_HDR_COUNT] = {
  [IOTSCP_HDR_HOST] = "Host",
  [IOTSCP_HDR_CONTENT_TYPE] = "Content-Type",
  [IOTSCP_HDR_SID] = "SID",
  [IOTSCP_HDR_CALLBACK] = "CALLBACK",
  [IOTSCP_HDR_NT] = "NT",
  [IOTSCP_HDR_NTS] = "NTS",
  [IOTSCP_HDR_TIMEOUT] = "TIMEOUT",
  [IOTSCP_HDR_HEARTBEAT] = "HEARTBEAT",
  [IOTSCP_HDR_SEQ] = "SEQ",
  [IOTSCP_HDR_BOOTID] = "BOOTID",
  [IOTSCP_HDR_CONTENT_LENGTH] = "Content-Length",
  [IOTSCP_HDR_TRANSFER_ENCODING] = "Transfer-Encoding",
  [IOTSCP_HDR_CONNECTION] = "Connection",
};

static const char *const method_names[] = {
  [IOTSCP_HTTP_OTHER] = "OTHER",
  [IOTSCP_HTTP_GET] = "GET",
  [IOTSCP_HTTP_PUT] = "PUT",
  [IOTSCP_HTTP_POST] = "POST",
  [IOTSCP_HTTP_DELETE] = "DELETE",
  [IOTSCP_HTTP_SUBSCRIBE] = "SUBSCRIBE",
  [IOTSCP_HTTP_UNSUBSCRIBE] = "UNSUBSCRIBE",
  [IOTSCP_HTTP_NOTIFY] = "NOTIFY",
  [IOTSCP_HTTP_HEAD] = "HEAD",
};

/* Where the state machine keeps things: a request or a response. */
typedef struct http_view
{
  iotscp_http_framing *f;
  iotscp_http_request *req;   /* NULL when parsing a response */
  iotscp_http_response *resp; /* NULL when parsing a request */
  char *store;
  size_t store_cap;
  uint8_t *body; /* NULL: a request without an attached body buffer */
  uint16_t *body_len;
  uint32_t *body_total; /* responses: every body byte framed, kept or not */
  size_t body_cap;
  size_t head_max;
} http_view;

static bool
is_tchar (uint8_t c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  return c != 0 && strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field value bytes: HT, SP, VCHAR and obs-text; no other control characters. */
static bool
is_field_byte (uint8_t c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int
hex_nibble (uint8_t c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static iotscp_http_status
fail (http_view *v, int status, const char *code)
{
  v->f->state = S_ERROR;
  if (v->req)
    {
      v->req->error_status = status;
      v->req->error_code = code;
    }
  return IOTSCP_HTTP_ERROR;
}

#define FAIL_400(v) fail (v, 400, "bad-request")
#define FAIL_431(v) fail (v, 431, "header-too-large")

static size_t
header_max (unsigned id)
{
  if (id == IOTSCP_HDR_HOST)
    return IOTSCP_HTTP_MAX_HOST;
  if (id == IOTSCP_HDR_CALLBACK)
    return IOTSCP_HTTP_MAX_CALLBACK;
  return IOTSCP_HTTP_MAX_SHORT_VALUE;
}

/* Finishes the path segment being decoded: NUL-terminates and checks it. */
static bool
end_segment (iotscp_http_request *req)
{
  uint16_t start = req->segment_start[req->segment_count - 1];
  if (!iotscp_text_utf8_valid (req->path + start, req->path_len - start))
    return false;
  req->path[req->path_len++] = '\0';
  return true;
}

/* One byte of the request target (SP excluded). */
static iotscp_http_status
target_byte (http_view *v, uint8_t c)
{
  iotscp_http_request *req = v->req;
  iotscp_http_framing *f = v->f;
  if (++req->target_len > IOTSCP_HTTP_MAX_TARGET)
    return fail (v, 414, "uri-too-long");
  if (c <= 0x20 || c >= 0x7f || c == '#')
    return FAIL_400 (v);
  if (req->target_len == 1)
    {
      if (c != '/')
        return FAIL_400 (v);
      req->segment_count = 1;
      req->segment_start[0] = 0;
      return IOTSCP_HTTP_NEED_MORE;
    }
  if (f->flags & F_QUERY)
    return IOTSCP_HTTP_NEED_MORE;
  if (f->pct)
    {
      int nibble = hex_nibble (c);
      if (nibble < 0)
        return FAIL_400 (v);
      if (f->pct == 1)
        {
          f->pct = (uint8_t)(0x10 | nibble);
          return IOTSCP_HTTP_NEED_MORE;
        }
      c = (uint8_t)(((f->pct & 0x0f) << 4) | nibble);
      f->pct = 0;
      if (c == 0)
        return FAIL_400 (v);
      req->path[req->path_len++] = (char)c;
      return IOTSCP_HTTP_NEED_MORE;
    }
  if (c == '%')
    {
      f->pct = 1;
      return IOTSCP_HTTP_NEED_MORE;
    }
  if (c == '?' || c == '/')
    {
      if (!end_segment (req))
        return FAIL_400 (v);
      if (c == '?')
        {
          f->flags |= F_QUERY;
          return IOTSCP_HTTP_NEED_MORE;
        }
      if (req->segment_count >= IOTSCP_HTTP_MAX_SEGMENTS)
        return fail (v, 414, "uri-too-long");
      req->segment_start[req->segment_count++] = req->path_len;
      return IOTSCP_HTTP_NEED_MORE;
    }
  req->path[req->path_len++] = (char)c;
  return IOTSCP_HTTP_NEED_MORE;
}

/* The header name in f->token is complete: decide whether its value is kept. */
static iotscp_http_status
header_name_done (http_view *v)
{
  iotscp_http_framing *f = v->f;
  f->current_header = SKIPPED_HEADER;
  if (f->token_len == 0)
    return FAIL_400 (v);
  if (++f->header_count > IOTSCP_HTTP_MAX_HEADERS)
    return FAIL_431 (v);
  if (f->flags & F_TRAILER || f->token_len >= sizeof f->token)
    return IOTSCP_HTTP_NEED_MORE;
  /* Responses keep only the framing fields. */
  unsigned first = v->req ? 0 : IOTSCP_HDR_STORED_COUNT;
  for (unsigned id = first; id < IOTSCP_HDR_COUNT; id++)
    if (iotscp_text_ascii_case_equal (f->token, f->token_len, header_names[id]))
      {
        if (id == IOTSCP_HDR_HOST && (f->flags & F_HAS_HOST))
          return FAIL_400 (v);
        if (id < IOTSCP_HDR_STORED_COUNT && v->req->header_offset[id] != 0)
          return FAIL_400 (v);
        if (id == IOTSCP_HDR_TRANSFER_ENCODING && (f->flags & F_CHUNKED))
          return FAIL_400 (v);
        if (id == IOTSCP_HDR_HOST)
          f->flags |= F_HAS_HOST;
        f->current_header = (uint8_t)id;
        f->value_start = f->store_len;
        f->value_len = 0;
        break;
      }
  return IOTSCP_HTTP_NEED_MORE;
}

/* One byte of a kept header value; leading blanks are dropped, trailing ones trimmed later. */
static iotscp_http_status
header_value_byte (http_view *v, uint8_t c)
{
  iotscp_http_framing *f = v->f;
  if (f->current_header == SKIPPED_HEADER)
    return IOTSCP_HTTP_NEED_MORE;
  bool blank = c == ' ' || c == '\t';
  if (blank && f->store_len == f->value_start)
    return IOTSCP_HTTP_NEED_MORE;
  size_t used = (size_t)f->store_len - f->value_start;
  if (used >= header_max (f->current_header) || (size_t)f->store_len + 1 >= v->store_cap)
    return FAIL_431 (v);
  v->store[f->store_len++] = (char)c;
  if (!blank)
    f->value_len = (uint16_t)(used + 1);
  return IOTSCP_HTTP_NEED_MORE;
}

/* Content-Length: 1*DIGIT (leading zeros allowed), saturating at UINT32_MAX. */
static bool
parse_content_length (const char *s, size_t len, uint32_t *out)
{
  if (len == 0)
    return false;
  uint64_t value = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      value = value * 10 + (uint64_t)(s[i] - '0');
      if (value > UINT32_MAX)
        value = UINT32_MAX;
    }
  *out = (uint32_t)value;
  return true;
}

/* Records the Connection options close and keep-alive from a comma-separated list. */
static void
parse_connection (iotscp_http_framing *f, const char *s, size_t len)
{
  size_t i = 0;
  while (i < len)
    {
      while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
        i++;
      size_t start = i;
      while (i < len && s[i] != ',' && s[i] != ' ' && s[i] != '\t')
        i++;
      if (iotscp_text_ascii_case_equal (s + start, i - start, "close"))
        f->flags |= F_CLOSE;
      else if (iotscp_text_ascii_case_equal (s + start, i - start, "keep-alive"))
        f->flags |= F_KEEP_ALIVE;
    }
}

/* A header line ended: store or interpret its value. */
static iotscp_http_status
header_line_done (http_view *v)
{
  iotscp_http_framing *f = v->f;
  unsigned id = f->current_header;
  if (id == SKIPPED_HEADER)
    return IOTSCP_HTTP_NEED_MORE;
  char *value = v->store + f->value_start;
  size_t len = f->value_len;
  value[len] = '\0';
  f->store_len = (uint16_t)(f->value_start + len);
  if (id < IOTSCP_HDR_STORED_COUNT)
    {
      v->req->header_offset[id] = (uint16_t)(f->value_start + 1);
      f->store_len++;
      return IOTSCP_HTTP_NEED_MORE;
    }
  /* Framing fields are interpreted at once and their bytes given back. */
  f->store_len = f->value_start;
  uint32_t length;
  switch (id)
    {
      case IOTSCP_HDR_CONTENT_LENGTH:
        if (!parse_content_length (value, len, &length))
          return FAIL_400 (v);
        if ((f->flags & F_HAS_CL) && length != f->remaining)
          return FAIL_400 (v);
        f->flags |= F_HAS_CL;
        f->remaining = length;
        break;
      case IOTSCP_HDR_TRANSFER_ENCODING:
        if (!iotscp_text_ascii_case_equal (value, len, "chunked"))
          return FAIL_400 (v);
        f->flags |= F_CHUNKED;
        break;
      default:
        parse_connection (f, value, len);
        break;
    }
  return IOTSCP_HTTP_NEED_MORE;
}

/* The empty line after the headers: decide how the body is framed. */
static iotscp_http_status
head_done (http_view *v)
{
  iotscp_http_framing *f = v->f;
  bool chunked = f->flags & F_CHUNKED, has_cl = f->flags & F_HAS_CL;
  f->flags |= F_HEAD_DONE;
  if (chunked && has_cl)
    return FAIL_400 (v);
  if (v->req)
    {
      iotscp_http_request *req = v->req;
      if (!(f->flags & F_HAS_HOST))
        return FAIL_400 (v);
      req->keep_alive = !(f->flags & F_CLOSE);
      req->chunked = chunked;
      req->has_content_length = has_cl;
      req->content_length = has_cl ? f->remaining : 0;
      if (!chunked && !has_cl)
        {
          if (req->method == IOTSCP_HTTP_PUT || req->method == IOTSCP_HTTP_POST)
            return fail (v, 411, "length-required");
          f->remaining = 0;
        }
    }
  else
    {
      iotscp_http_response *resp = v->resp;
      int status = resp->status;
      if (status == 101)
        return FAIL_400 (v); /* nothing here asks to switch protocols */
      if (status < 200)
        {
          /* An interim answer: the real one follows. */
          f->state = S_START;
          f->flags &= (uint16_t)(F_RESPONSE | F_NO_BODY | F_STARTED);
          f->head_len = 0;
          f->header_count = 0;
          f->store_len = 0;
          return IOTSCP_HTTP_NEED_MORE;
        }
      resp->keep_alive = !(f->flags & F_CLOSE) && !(f->flags & F_HTTP10);
      resp->chunked = chunked;
      resp->has_content_length = has_cl;
      resp->content_length = has_cl ? f->remaining : 0;
      if ((f->flags & F_NO_BODY) || status == 204 || status == 304)
        {
          f->state = S_COMPLETE;
          return IOTSCP_HTTP_COMPLETE;
        }
      if (!chunked && !has_cl)
        {
          resp->until_close = true;
          resp->keep_alive = false;
          f->state = S_BODY_EOF;
          return IOTSCP_HTTP_NEED_MORE;
        }
    }
  if (chunked)
    {
      f->state = S_CHUNK_SIZE;
      f->token_len = 0;
      f->remaining = 0;
      return IOTSCP_HTTP_NEED_MORE;
    }
  if (v->req && f->remaining > v->body_cap)
    return fail (v, 413, "payload-too-large");
  if (f->remaining == 0)
    {
      f->state = S_COMPLETE;
      return IOTSCP_HTTP_COMPLETE;
    }
  f->state = S_BODY;
  return IOTSCP_HTTP_NEED_MORE;
}

static iotscp_http_status
method_done (http_view *v)
{
  iotscp_http_framing *f = v->f;
  if (f->token_len == 0)
    return FAIL_400 (v);
  v->req->method = IOTSCP_HTTP_OTHER;
  if (f->token_len < sizeof f->token)
    for (unsigned m = 1; m < sizeof method_names / sizeof method_names[0]; m++)
      if (f->token_len == strlen (method_names[m])
          && memcmp (f->token, method_names[m], f->token_len) == 0)
        v->req->method = (iotscp_http_method)m;
  return IOTSCP_HTTP_NEED_MORE;
}

/* Checks "HTTP/1.1" (requests) or "HTTP/1.x" (responses) in f->token. */
static bool
version_ok (iotscp_http_framing *f, bool response)
{
  if (f->token_len != 8 || memcmp (f->token, "HTTP/1.", 7) != 0)
    return false;
  char minor = f->token[7];
  if (response)
    {
      if (minor == '0')
        f->flags |= F_HTTP10;
      return minor >= '0' && minor <= '9';
    }
  return minor == '1';
}

/* Appends a byte of a short token (method, version, header name); longer ones just count. */
static void
token_byte (iotscp_http_framing *f, uint8_t c)
{
  if (f->token_len < sizeof f->token)
    f->token[f->token_len] = (char)c;
  if (f->token_len < UINT16_MAX)
    f->token_len++;
}

static iotscp_http_status
head_byte (http_view *v, uint8_t c)
{
  iotscp_http_framing *f = v->f;
  bool response = f->flags & F_RESPONSE;
  /* The target has its own, smaller limit, which must win over the head limit. */
  if (++f->head_len > v->head_max && f->state != S_TARGET)
    return FAIL_431 (v);
  if (f->state == S_START)
    {
      if (c == '\r' && !response)
        {
          f->state = S_START_LF;
          return IOTSCP_HTTP_NEED_MORE;
        }
      f->token_len = 0;
      f->state = response ? S_R_VERSION : S_METHOD;
    }
  switch (f->state)
    {
      case S_START_LF:
        if (c != '\n')
          return FAIL_400 (v);
        f->state = S_START;
        return IOTSCP_HTTP_NEED_MORE;
      case S_METHOD:
        if (c == ' ')
          {
            f->state = S_TARGET;
            return method_done (v);
          }
        if (!is_tchar (c))
          return FAIL_400 (v);
        token_byte (f, c);
        return IOTSCP_HTTP_NEED_MORE;
      case S_TARGET:
        if (c == ' ')
          {
            if (v->req->target_len == 0 || f->pct)
              return FAIL_400 (v);
            if (!(f->flags & F_QUERY) && !end_segment (v->req))
              return FAIL_400 (v);
            f->state = S_VERSION;
            f->token_len = 0;
            return IOTSCP_HTTP_NEED_MORE;
          }
        return target_byte (v, c);
      case S_VERSION:
        if (c == '\r')
          {
            if (!version_ok (f, false))
              return FAIL_400 (v);
            f->state = S_LINE_LF;
            return IOTSCP_HTTP_NEED_MORE;
          }
        if (c <= 0x20 || c >= 0x7f)
          return FAIL_400 (v);
        token_byte (f, c);
        return IOTSCP_HTTP_NEED_MORE;
      case S_R_VERSION:
        if (c == ' ')
          {
            if (!version_ok (f, true))
              return FAIL_400 (v);
            f->state = S_R_STATUS;
            f->token_len = 0;
            v->resp->status = 0;
            return IOTSCP_HTTP_NEED_MORE;
          }
        if (c <= 0x20 || c >= 0x7f)
          return FAIL_400 (v);
        token_byte (f, c);
        return IOTSCP_HTTP_NEED_MORE;
      case S_R_STATUS:
        if (f->token_len == 3)
          {
            if (v->resp->status < 100)
              return FAIL_400 (v);
            if (c == '\r')
              f->state = S_LINE_LF;
            else if (c == ' ')
              f->state = S_R_REASON;
            else
              return FAIL_400 (v);
            return IOTSCP_HTTP_NEED_MORE;
          }
        if (c < '0' || c > '9')
          return FAIL_400 (v);
        v->resp->status = v->resp->status * 10 + (c - '0');
        f->token_len++;
        return IOTSCP_HTTP_NEED_MORE;
      case S_R_REASON:
        if (c == '\r')
          f->state = S_LINE_LF;
        else if (!is_field_byte (c))
          return FAIL_400 (v);
        return IOTSCP_HTTP_NEED_MORE;
      case S_LINE_LF:
        if (c != '\n')
          return FAIL_400 (v);
        f->state = S_HDR_START;
        return IOTSCP_HTTP_NEED_MORE;
      case S_HDR_START:
        if (c == '\r')
          {
            f->state = S_HEAD_END_LF;
            return IOTSCP_HTTP_NEED_MORE;
          }
        if (!is_tchar (c))
          return FAIL_400 (v); /* obs-fold, a bare LF or a bad name */
        f->token_len = 0;
        f->state = S_HDR_NAME;
        token_byte (f, c);
        return IOTSCP_HTTP_NEED_MORE;
      case S_HDR_NAME:
        if (c == ':')
          {
            f->state = S_HDR_VALUE;
            return header_name_done (v);
          }
        if (!is_tchar (c))
          return FAIL_400 (v); /* whitespace before the colon, or no colon at all */
        token_byte (f, c);
        return IOTSCP_HTTP_NEED_MORE;
      case S_HDR_VALUE:
        if (c == '\r')
          {
            f->state = S_HDR_LF;
            return IOTSCP_HTTP_NEED_MORE;
          }
        if (!is_field_byte (c))
          return FAIL_400 (v);
        return header_value_byte (v, c);
      case S_HDR_LF:
        if (c != '\n')
          return FAIL_400 (v);
        f->state = S_HDR_START;
        return header_line_done (v);
      case S_HEAD_END_LF:
        if (c != '\n')
          return FAIL_400 (v);
        if (f->flags & F_TRAILER)
          {
            f->state = S_COMPLETE;
            return IOTSCP_HTTP_COMPLETE;
          }
        return head_done (v);
      default:
        return FAIL_400 (v);
    }
}

/* Chunk-size lines and chunk terminators. */
static iotscp_http_status
chunk_byte (http_view *v, uint8_t c)
{
  iotscp_http_framing *f = v->f;
  switch (f->state)
    {
      case S_CHUNK_SIZE:
        {
          int nibble = hex_nibble (c);
          if (nibble >= 0)
            {
              if (++f->token_len > IOTSCP_HTTP_MAX_CHUNK_DIGITS)
                return FAIL_400 (v);
              f->remaining = (f->remaining << 4) | (uint32_t)nibble;
              return IOTSCP_HTTP_NEED_MORE;
            }
          if (f->token_len == 0 || (c != '\r' && c != ';'))
            return FAIL_400 (v);
          if (v->req && f->remaining > v->body_cap - *v->body_len)
            return fail (v, 413, "payload-too-large");
          f->value_len = 0;
          f->state = c == ';' ? S_CHUNK_EXT : S_CHUNK_SIZE_LF;
          return IOTSCP_HTTP_NEED_MORE;
        }
      case S_CHUNK_EXT:
        if (c == '\r')
          f->state = S_CHUNK_SIZE_LF;
        else if (!is_field_byte (c) || ++f->value_len > MAX_CHUNK_EXT)
          return FAIL_400 (v);
        return IOTSCP_HTTP_NEED_MORE;
      case S_CHUNK_SIZE_LF:
        if (c != '\n')
          return FAIL_400 (v);
        if (f->remaining == 0)
          {
            /* The last chunk: trailer fields follow, then an empty line. */
            f->flags |= F_TRAILER;
            f->state = S_HDR_START;
          }
        else
          f->state = S_CHUNK_DATA;
        return IOTSCP_HTTP_NEED_MORE;
      case S_CHUNK_DATA_CR:
        if (c != '\r')
          return FAIL_400 (v);
        f->state = S_CHUNK_DATA_LF;
        return IOTSCP_HTTP_NEED_MORE;
      case S_CHUNK_DATA_LF:
        if (c != '\n')
          return FAIL_400 (v);
        f->state = S_CHUNK_SIZE;
        f->token_len = 0;
        f->remaining = 0;
        return IOTSCP_HTTP_NEED_MORE;
      default:
        return FAIL_400 (v);
    }
}

static iotscp_http_status
feed (http_view *v, const uint8_t *data, size_t len, size_t *consumed)
{
  iotscp_http_framing *f = v->f;
  size_t i = 0;
  iotscp_http_status status = IOTSCP_HTTP_NEED_MORE;
  if (f->state == S_COMPLETE || f->state == S_ERROR)
    {
      if (consumed)
        *consumed = 0;
      return f->state == S_COMPLETE ? IOTSCP_HTTP_COMPLETE : IOTSCP_HTTP_ERROR;
    }
  if (len > 0)
    f->flags |= F_STARTED;
  while (i < len && status == IOTSCP_HTTP_NEED_MORE)
    {
      uint8_t state = f->state;
      if (state == S_BODY || state == S_CHUNK_DATA || state == S_BODY_EOF)
        {
          size_t n = len - i, keep = n;
          if (state != S_BODY_EOF && n > f->remaining)
            keep = n = f->remaining;
          if (v->body_total != NULL)
            {
              /* A response keeps what fits and skips the rest (only the status matters). */
              if (keep > v->body_cap - *v->body_len)
                keep = v->body_cap - *v->body_len;
              *v->body_total
                  = n > UINT32_MAX - *v->body_total ? UINT32_MAX : *v->body_total + (uint32_t)n;
            }
          else if (v->body == NULL)
            return fail (v, 500, "internal"); /* the caller did not attach a body buffer */
          else if (n > v->body_cap - *v->body_len)
            return FAIL_400 (v); /* unreachable: the length checks above come first */
          if (keep > 0)
            {
              memcpy (v->body + *v->body_len, data + i, keep);
              *v->body_len = (uint16_t)(*v->body_len + keep);
              v->body[*v->body_len] = '\0';
            }
          i += n;
          if (state == S_BODY_EOF)
            continue;
          f->remaining -= (uint32_t)n;
          if (f->remaining == 0)
            {
              if (state == S_BODY)
                {
                  f->state = S_COMPLETE;
                  status = IOTSCP_HTTP_COMPLETE;
                }
              else
                f->state = S_CHUNK_DATA_CR;
            }
          continue;
        }
      uint8_t c = data[i++];
      if (state >= S_CHUNK_SIZE && state <= S_CHUNK_DATA_LF)
        status = chunk_byte (v, c);
      else
        status = head_byte (v, c);
    }
  if (consumed)
    *consumed = i;
  return status;
}

/* ---- Requests ---- */

static void
request_view (iotscp_http_request *req, http_view *v)
{
  v->f = &req->framing;
  v->req = req;
  v->resp = NULL;
  v->store = req->store;
  v->store_cap = sizeof req->store;
  v->body = req->body;
  v->body_len = &req->body_len;
  v->body_total = NULL;
  v->body_cap = IOTSCP_HTTP_MAX_BODY;
  v->head_max = IOTSCP_HTTP_MAX_HEAD;
}

void
iotscp_http_request_reset (iotscp_http_request *req)
{
  /* Only the fixed part is cleared: the buffers are overwritten as they fill. */
  uint8_t *body = req->body;
  memset (req, 0, offsetof (iotscp_http_request, path));
  req->path[0] = '\0';
  req->store[0] = '\0';
  req->body = body;
  if (body != NULL)
    body[0] = 0;
  req->framing.state = S_START;
  req->framing.current_header = SKIPPED_HEADER;
}

void
iotscp_http_request_attach_body (iotscp_http_request *req, iotscp_http_body_buffer *body)
{
  req->body = body != NULL ? *body : NULL;
  req->body_len = 0;
  if (req->body != NULL)
    req->body[0] = 0;
}

/* True in the states that read the body or its chunk framing. */
static bool
in_body (const iotscp_http_framing *f)
{
  return f->state == S_BODY || (f->state >= S_CHUNK_SIZE && f->state <= S_CHUNK_DATA_LF)
         || ((f->flags & F_TRAILER) && f->state != S_COMPLETE && f->state != S_ERROR);
}

bool
iotscp_http_request_wants_body (const iotscp_http_request *req)
{
  return req->body == NULL && in_body (&req->framing);
}

/* The shortest end of a chunked body from here: the CRLF after the data, "0" CRLF CRLF. */
#define LAST_CHUNK_MIN 5

size_t
iotscp_http_request_max_read (const iotscp_http_request *req)
{
  const iotscp_http_framing *f = &req->framing;
  bool trailer = f->flags & F_TRAILER;
  /* "Host:" CRLF, if the request still needs its Host field (trailers do not). */
  size_t host = trailer || (f->flags & F_HAS_HOST) ? 0 : 7;
  if (iotscp_http_request_wants_body (req))
    return 0;
  switch (f->state)
    {
      case S_START:
        return 23; /* the shortest request: "A / HTTP/1.1" CRLF "Host:" CRLF CRLF */
      case S_START_LF:
        return 24;
      case S_METHOD:
        return 22; /* " / HTTP/1.1" CRLF "Host:" CRLF CRLF */
      case S_TARGET:
        return req->target_len == 0 ? 21 : 20;
      case S_VERSION:
        return (f->token_len < 8 ? 8u - f->token_len : 1u) + 2 + host + 2;
      case S_LINE_LF:
        return 1 + host + 2;
      case S_HDR_START:
        return host + 2;
      case S_HDR_NAME:
        return 5; /* ":" CRLF CRLF; the name may be Host itself */
      case S_HDR_VALUE:
        return 4 + host;
      case S_HDR_LF:
        return 3 + host;
      case S_HEAD_END_LF:
        return 1;
      case S_BODY:
        return f->remaining;
      case S_CHUNK_SIZE:
        return f->token_len == 0 ? 5 : 4; /* "0" CRLF CRLF, or CRLF CRLF after a "0" */
      case S_CHUNK_EXT:
        return 4;
      case S_CHUNK_SIZE_LF:
        return f->remaining == 0 ? 3 : 1 + (size_t)f->remaining + 2 + LAST_CHUNK_MIN;
      case S_CHUNK_DATA:
        return (size_t)f->remaining + 2 + LAST_CHUNK_MIN;
      case S_CHUNK_DATA_CR:
        return 2 + LAST_CHUNK_MIN;
      case S_CHUNK_DATA_LF:
        return 1 + LAST_CHUNK_MIN;
      default:
        return 0;
    }
}

iotscp_http_status
iotscp_http_request_feed (iotscp_http_request *req, const uint8_t *data, size_t len,
                          size_t *consumed)
{
  http_view v;
  request_view (req, &v);
  return feed (&v, data, len, consumed);
}

bool
iotscp_http_request_head_done (const iotscp_http_request *req)
{
  return req->framing.flags & F_HEAD_DONE;
}

bool
iotscp_http_request_started (const iotscp_http_request *req)
{
  return req->framing.flags & F_STARTED;
}

const char *
iotscp_http_path_segment (const iotscp_http_request *req, unsigned i, size_t *len)
{
  if (i >= req->segment_count || !(req->framing.flags & F_HEAD_DONE))
    return NULL;
  const char *segment = req->path + req->segment_start[i];
  if (len)
    *len = strlen (segment);
  return segment;
}

bool
iotscp_http_path_is (const iotscp_http_request *req, const char *path)
{
  if (path[0] != '/')
    return false;
  unsigned i = 0;
  const char *p = path + 1;
  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t)(slash - p) : strlen (p), len;
      const char *segment = iotscp_http_path_segment (req, i++, &len);
      if (!segment || len != n || memcmp (segment, p, n) != 0)
        return false;
      if (!slash)
        return i == req->segment_count;
      p = slash + 1;
    }
}

const char *
iotscp_http_header (const iotscp_http_request *req, iotscp_http_header_id id)
{
  if ((unsigned)id >= IOTSCP_HDR_STORED_COUNT || req->header_offset[id] == 0)
    return NULL;
  return req->store + req->header_offset[id] - 1;
}

bool
iotscp_http_content_type_is_json (const iotscp_http_request *req)
{
  const char *type = iotscp_http_header (req, IOTSCP_HDR_CONTENT_TYPE);
  if (!type)
    return false;
  size_t n = strcspn (type, "; \t");
  if (!iotscp_text_ascii_case_equal (type, n, "application/json"))
    return false;
  type += n;
  while (*type == ' ' || *type == '\t')
    type++;
  return *type == '\0' || *type == ';';
}

const char *
iotscp_http_method_name (iotscp_http_method method)
{
  if ((unsigned)method >= sizeof method_names / sizeof method_names[0])
    return method_names[IOTSCP_HTTP_OTHER];
  return method_names[method];
}

int
iotscp_http_parse_seconds (const char *value, uint32_t *seconds)
{
  size_t n = strlen (value);
  uint64_t parsed;
  if (n < 8 || !iotscp_text_ascii_case_equal (value, 7, "Second-")
      || iotscp_text_parse_uint (value + 7, n - 7, UINT32_MAX, &parsed) < 0)
    return -1;
  *seconds = (uint32_t)parsed;
  return 0;
}

/* ---- Responses ---- */

static void
response_view (iotscp_http_response *resp, http_view *v)
{
  v->f = &resp->framing;
  v->req = NULL;
  v->resp = resp;
  v->store = resp->store;
  v->store_cap = sizeof resp->store;
  v->body = resp->body;
  v->body_len = &resp->body_len;
  v->body_total = &resp->body_total;
  v->body_cap = IOTSCP_HTTP_MAX_RESPONSE_BODY;
  v->head_max = IOTSCP_HTTP_MAX_RESPONSE_HEAD;
}

void
iotscp_http_response_reset (iotscp_http_response *resp, iotscp_http_method request_method)
{
  memset (resp, 0, offsetof (iotscp_http_response, store));
  resp->body[0] = 0;
  resp->framing.state = S_START;
  resp->framing.current_header = SKIPPED_HEADER;
  resp->framing.flags = F_RESPONSE;
  if (request_method == IOTSCP_HTTP_HEAD)
    resp->framing.flags |= F_NO_BODY;
}

iotscp_http_status
iotscp_http_response_feed (iotscp_http_response *resp, const uint8_t *data, size_t len,
                           size_t *consumed)
{
  http_view v;
  response_view (resp, &v);
  return feed (&v, data, len, consumed);
}

iotscp_http_status
iotscp_http_response_eof (iotscp_http_response *resp)
{
  if (resp->framing.state == S_BODY_EOF)
    resp->framing.state = S_COMPLETE;
  if (resp->framing.state == S_COMPLETE)
    return IOTSCP_HTTP_COMPLETE;
  resp->framing.state = S_ERROR;
  return IOTSCP_HTTP_ERROR;
}

/* ---- Writers ---- */

const char *
iotscp_http_reason (int status)
{
  static const struct
  {
    uint16_t status;
    const char *reason;
  } reasons[] = {
    { 100, "Continue" },
    { 200, "OK" },
    { 201, "Created" },
    { 204, "No Content" },
    { 400, "Bad Request" },
    { 403, "Forbidden" },
    { 404, "Not Found" },
    { 405, "Method Not Allowed" },
    { 408, "Request Timeout" },
    { 409, "Conflict" },
    { 411, "Length Required" },
    { 412, "Precondition Failed" },
    { 413, "Content Too Large" },
    { 414, "URI Too Long" },
    { 415, "Unsupported Media Type" },
    { 422, "Unprocessable Content" },
    { 431, "Request Header Fields Too Large" },
    { 500, "Internal Server Error" },
    { 501, "Not Implemented" },
    { 503, "Service Unavailable" },
    { 505, "HTTP Version Not Supported" },
  };
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
    if (reasons[i].status == status)
      return reasons[i].reason;
  return "Unknown";
}

/* Appends to a bounded buffer, remembering overflow in *ok. */
typedef struct out_buf
{
  char *buf;
  size_t cap;
  size_t len;
  bool ok;
} out_buf;

static void
out_str (out_buf *o, const char *s)
{
  size_t n = strlen (s);
  if (!o->ok || n >= o->cap - o->len)
    {
      o->ok = false;
      return;
    }
  memcpy (o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

static void
out_uint (out_buf *o, size_t value)
{
  char tmp[24];
  size_t i = sizeof tmp - 1;
  tmp[i] = '\0';
  do
    {
      tmp[--i] = (char)('0' + value % 10);
      value /= 10;
    }
  while (value);
  out_str (o, tmp + i);
}

/* Header lines common to both writers: the content fields and the extras. */
static void
out_content (out_buf *o, const char *content_type, bool with_length, size_t content_length,
             const char *extra_headers)
{
  if (content_type)
    {
      out_str (o, "Content-Type: ");
      out_str (o, content_type);
      out_str (o, "\r\n");
    }
  if (with_length)
    {
      out_str (o, "Content-Length: ");
      out_uint (o, content_length);
      out_str (o, "\r\n");
    }
  if (extra_headers)
    out_str (o, extra_headers);
}

size_t
iotscp_http_write_head (char *buf, size_t cap, int status, const char *content_type,
                        size_t content_length, const char *extra_headers, bool keep_alive)
{
  out_buf o = { buf, cap, 0, cap > 0 && status >= 100 && status <= 999 };
  out_str (&o, "HTTP/1.1 ");
  out_uint (&o, (size_t)(status > 0 ? status : 0));
  out_str (&o, " ");
  out_str (&o, iotscp_http_reason (status));
  out_str (&o, "\r\n");
  out_content (&o, content_type, status >= 200 && status != 204, content_length, extra_headers);
  if (!keep_alive)
    out_str (&o, "Connection: close\r\n");
  out_str (&o, "\r\n");
  return o.ok ? o.len : 0;
}

size_t
iotscp_http_write_error (char *buf, size_t cap, int status, const char *code, const char *message,
                         bool keep_alive)
{
  /*
   * The body is composed first because the head carries its length. Codes
   * are short and messages at most 128 bytes (section 5.3), so this holds
   * any message that needs little escaping; longer ones fail.
   */
  char body[384];
  iotscp_jw w;
  iotscp_jw_init (&w, body, sizeof body);
  iotscp_jw_object_begin (&w);
  iotscp_jw_key (&w, "error");
  iotscp_jw_object_begin (&w);
  iotscp_jw_key (&w, "code");
  iotscp_jw_string (&w, code ? code : "");
  iotscp_jw_key (&w, "message");
  iotscp_jw_string (&w, message ? message : "");
  iotscp_jw_object_end (&w);
  iotscp_jw_object_end (&w);
  size_t body_len = iotscp_jw_finish (&w);
  if (body_len == 0)
    return 0;
  size_t head_len
      = iotscp_http_write_head (buf, cap, status, "application/json", body_len, NULL, keep_alive);
  if (head_len == 0 || body_len >= cap - head_len)
    return 0;
  memcpy (buf + head_len, body, body_len + 1);
  return head_len + body_len;
}

size_t
iotscp_http_write_request_head (char *buf, size_t cap, const char *method, const char *target,
                                const char *host, const char *content_type, size_t content_length,
                                const char *extra_headers)
{
  out_buf o = { buf, cap, 0, cap > 0 && target[0] == '/' };
  out_str (&o, method);
  out_str (&o, " ");
  out_str (&o, target);
  out_str (&o, " HTTP/1.1\r\nHost: ");
  out_str (&o, host);
  out_str (&o, "\r\n");
  out_content (&o, content_type, true, content_length, extra_headers);
  out_str (&o, "\r\n");
  return o.ok ? o.len : 0;
}
