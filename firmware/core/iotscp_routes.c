/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The routes of protocol.md sections 4-7: description, HTML page, properties, actions,
 * controllers and event subscriptions. Short answers are composed whole in dev->scratch: the
 * body at a fixed offset, then the head right in front of it. Answers whose length depends on
 * what the device declares or holds (the description, the HTML page, all properties, the
 * controller list) are generated: measured first (for Content-Length), then written again for
 * every window of the scratch buffer by iotscp_routes_window(), skipping what was sent.
 */
#include "iotscp_internal.h"

#include <stdio.h>
#include <string.h>

#include "iotscp_text.h"

/* Room reserved in front of a body for its head (status line and headers). */
#define HEAD_RESERVE 448

typedef struct answer
{
  iotscp_device *dev;
  bool keep_alive;
  bool close_after;
  const char *out;
} answer;

/* How an answer is produced (iotscp_connection.answer_kind). */
enum iotscp_answer_kind
{
  ANSWER_COMPOSED = 0, /* whole, in the scratch buffer */
  ANSWER_DESCRIPTION,
  ANSWER_HTML,
  ANSWER_PROPERTIES,
  ANSWER_CONTROLLERS,
};

/* Longest head of a generated answer: status line, Content-Type, Content-Length, Connection. */
#define GENERATED_HEAD_MAX 160

static char *
body_buffer (iotscp_device *dev)
{
  return dev->scratch + HEAD_RESERVE;
}

static size_t
body_capacity (void)
{
  return IOTSCP_SCRATCH_SIZE - HEAD_RESERVE;
}

size_t
iotscp_routes_error (iotscp_device *dev, int status, const char *code, const char *message,
                     bool keep_alive)
{
  size_t n = iotscp_http_write_error (dev->scratch, IOTSCP_SCRATCH_SIZE, status, code, message,
                                      keep_alive);
  return n;
}

static size_t
error (answer *a, int status, const char *code, const char *message)
{
  a->out = a->dev->scratch;
  /* The request reached a route, so it was well framed: the connection stays usable after any
   * error answered here, 400 invalid-json and a malformed subscription header included
   * (protocol.md section 5.1). Only the parser's framing errors close it (iotscp_server.c). */
  return iotscp_routes_error (a->dev, status, code, message, a->keep_alive && !a->close_after);
}

/* Puts the head in front of a body of body_len bytes at body_buffer(). */
static size_t
finish (answer *a, int status, const char *content_type, size_t body_len, const char *extra)
{
  char head[HEAD_RESERVE];
  size_t head_len = iotscp_http_write_head (head, sizeof head, status, content_type, body_len,
                                            extra, a->keep_alive && !a->close_after);
  if (head_len == 0)
    return error (a, 500, "internal", "answer too large");
  a->out = body_buffer (a->dev) - head_len;
  memcpy ((char *)a->out, head, head_len);
  return head_len + body_len;
}

static size_t
json_answer (answer *a, int status, iotscp_jw *w, const char *extra)
{
  size_t len = iotscp_jw_finish (w);
  if (len == 0)
    return error (a, 500, "internal", "answer too large");
  return finish (a, status, "application/json", len, extra);
}

/* Parses the request body as JSON; answers (and returns false) when it is not. */
static bool
parse_body (answer *a, const iotscp_http_request *req, iotscp_json_doc *doc, size_t *err_len)
{
  if (req->body_len == 0)
    {
      *err_len = error (a, 400, "invalid-json", "a JSON body is needed");
      return false;
    }
  if (!iotscp_http_content_type_is_json (req))
    {
      *err_len = error (a, 415, "unsupported-media-type", "the body must be application/json");
      return false;
    }
  if (iotscp_json_parse (doc, (const char *)req->body, req->body_len) < 0)
    {
      *err_len = error (a, 400, "invalid-json", "the body is not valid JSON");
      return false;
    }
  return true;
}

/* ---- Properties ---- */

static void
write_properties (const iotscp_device *dev, iotscp_jw *w)
{
  iotscp_jw_object_begin (w);
  for (size_t i = 0; i < dev->property_count; i++)
    {
      iotscp_jw_key (w, dev->properties[i].decl->name);
      iotscp_model_write_value (w, &dev->properties[i].value);
    }
  iotscp_jw_object_end (w);
}

static size_t
value_answer (answer *a, const iotscp_value *value)
{
  iotscp_jw w;
  iotscp_jw_init (&w, body_buffer (a->dev), body_capacity ());
  iotscp_jw_object_begin (&w);
  iotscp_jw_key (&w, "value");
  iotscp_model_write_value (&w, value);
  iotscp_jw_object_end (&w);
  return json_answer (a, 200, &w, NULL);
}

static size_t
put_property (answer *a, const iotscp_http_request *req, int index, uint64_t now_ms)
{
  iotscp_device *dev = a->dev;
  iotscp_property_slot *slot = &dev->properties[index];
  iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS];
  iotscp_json_doc doc;
  char text[IOTSCP_MAX_STRING_VALUE + 1];
  char reason[96];
  iotscp_value value;
  const char *why = NULL;
  size_t len;
  int tok;

  if (slot->decl->read_only)
    return error (a, 405, "method-not-allowed", "the property is read-only");
  iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
  if (!parse_body (a, req, &doc, &len))
    return len;
  tok = iotscp_json_object_get (&doc, 0, "value");
  if (tok < 0)
    return error (a, 422, "invalid-value", "the body needs a \"value\" member");
  if (!iotscp_model_value_from_json (&slot->decl->schema, &doc, tok, &value, text, sizeof text,
                                     &why))
    return error (a, 422, "invalid-value", why);
  if (dev->callbacks.write_property != NULL)
    {
      reason[0] = '\0';
      if (dev->callbacks.write_property (dev, (size_t)index, &value, reason, sizeof reason,
                                         dev->callbacks.user)
          != IOTSCP_OK)
        {
          reason[sizeof reason - 1] = '\0';
          return error (a, 409, "refused", reason[0] ? reason : "the device refused the value");
        }
      /* The callback may have adjusted the value; it must still fit the schema. */
      if (!iotscp_model_value_ok (&slot->decl->schema, &value, &why))
        return error (a, 409, "refused", why);
    }
  /* A controller's write is reported even when it does not change the value, so that every
   * subscriber learns that it happened. */
  iotscp_device_store_property (dev, (size_t)index, &value, true, now_ms);
  return value_answer (a, &slot->value);
}

/* ---- Actions ---- */

static size_t
post_action (answer *a, const iotscp_http_request *req, int index)
{
  iotscp_device *dev = a->dev;
  const iotscp_action_decl *action = dev->actions[index];
  iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS];
  iotscp_json_doc doc;
  iotscp_value input[IOTSCP_MAX_FIELDS];
  iotscp_value output = { .type = IOTSCP_TYPE_NULL };
  char strings[2 * (IOTSCP_MAX_STRING_VALUE + 1)];
  char reason[96];
  const char *why = NULL;
  size_t len;
  iotscp_jw w;

  memset (input, 0, sizeof input);
  iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
  if (req->body_len > 0 || action->input_count > 0)
    {
      int tok;
      if (!parse_body (a, req, &doc, &len))
        return len;
      if (iotscp_json_type_of (&doc, 0) != IOTSCP_JSON_OBJECT)
        return error (a, 422, "invalid-value", "the body must be an object");
      tok = iotscp_json_object_get (&doc, 0, "input");
      if (action->input_count == 0)
        {
          if (tok >= 0 && iotscp_json_type_of (&doc, tok) != IOTSCP_JSON_NULL
              && !(iotscp_json_type_of (&doc, tok) == IOTSCP_JSON_OBJECT
                   && iotscp_json_first (&doc, tok) < 0))
            return error (a, 422, "invalid-value", "this action takes no input");
        }
      else
        {
          if (tok < 0)
            return error (a, 422, "invalid-value", "the body needs an \"input\" member");
          if (!iotscp_model_fields_from_json (action->input, action->input_count, &doc, tok, input,
                                              strings, sizeof strings, &why))
            return error (a, 422, "invalid-value", why);
        }
    }
  if (dev->callbacks.invoke_action != NULL)
    {
      reason[0] = '\0';
      if (dev->callbacks.invoke_action (dev, (size_t)index, input, &output, reason, sizeof reason,
                                        dev->callbacks.user)
          != IOTSCP_OK)
        {
          reason[sizeof reason - 1] = '\0';
          return error (a, 409, "refused", reason[0] ? reason : "the device refused the action");
        }
    }
  iotscp_jw_init (&w, body_buffer (dev), body_capacity ());
  iotscp_jw_object_begin (&w);
  iotscp_jw_key (&w, "output");
  iotscp_model_write_value (&w, &output);
  iotscp_jw_object_end (&w);
  return json_answer (a, 200, &w, NULL);
}

/* ---- Controllers ---- */

static void
write_controllers (const iotscp_device *dev, iotscp_jw *w)
{
  char hex[65];
  iotscp_jw_object_begin (w);
  iotscp_jw_key (w, "controllers");
  iotscp_jw_array_begin (w);
  for (size_t i = 0; i < dev->controller_count; i++)
    {
      iotscp_text_hex_encode (dev->controllers[i].fingerprint, 32, hex, sizeof hex);
      iotscp_jw_object_begin (w);
      iotscp_jw_key (w, "fp");
      iotscp_jw_string (w, hex);
      iotscp_jw_key (w, "name");
      iotscp_jw_string (w, dev->controllers[i].name);
      iotscp_jw_object_end (w);
    }
  iotscp_jw_array_end (w);
  iotscp_jw_object_end (w);
}

/* ---- Generated answers ---- */

/* Bytes skip .. skip+cap-1 of a generated body into buf; returns the whole body's length. */
static size_t
generated_body (const iotscp_device *dev, uint8_t kind, char *buf, size_t cap, size_t skip)
{
  iotscp_jw w;
  switch (kind)
    {
      case ANSWER_DESCRIPTION:
        return iotscp_model_description_window (dev, buf, cap, skip);
      case ANSWER_HTML:
        return iotscp_model_html_window (dev, buf, cap, skip);
      case ANSWER_PROPERTIES:
        iotscp_jw_init_window (&w, buf, cap, skip);
        write_properties (dev, &w);
        return iotscp_jw_finish (&w);
      case ANSWER_CONTROLLERS:
        iotscp_jw_init_window (&w, buf, cap, skip);
        write_controllers (dev, &w);
        return iotscp_jw_finish (&w);
      default:
        return 0;
    }
}

static size_t
generated_head (const iotscp_connection *conn, char *head, size_t cap)
{
  const char *type
      = conn->answer_kind == ANSWER_HTML ? "text/html; charset=utf-8" : "application/json";
  return iotscp_http_write_head (head, cap, 200, type, conn->answer_body, NULL,
                                 conn->answer_keep_alive);
}

size_t
iotscp_routes_window (iotscp_device *dev, const iotscp_connection *conn, size_t offset, char *buf,
                      size_t cap)
{
  char head[GENERATED_HEAD_MAX];
  size_t head_len = generated_head (conn, head, sizeof head), n = 0;
  if (head_len == 0 || offset >= head_len + conn->answer_body)
    return 0;
  if (offset < head_len)
    {
      n = head_len - offset < cap ? head_len - offset : cap;
      memcpy (buf, head + offset, n);
    }
  if (n < cap)
    {
      size_t skip = offset + n - head_len;
      size_t left = conn->answer_body - skip;
      /* A body of another length than measured has changed: the caller closes. */
      if (generated_body (dev, conn->answer_kind, buf + n, cap - n, skip) != conn->answer_body)
        return 0;
      n += left < cap - n ? left : cap - n;
    }
  return n;
}

/* Measures a generated answer and sets conn up to write it; returns its whole length. */
static size_t
generated (answer *a, iotscp_connection *conn, uint8_t kind)
{
  char head[GENERATED_HEAD_MAX];
  size_t head_len, body_len = generated_body (a->dev, kind, NULL, 0, 0);
  if (body_len == 0)
    return error (a, 500, "internal", "the document cannot be written");
  conn->answer_kind = kind;
  conn->answer_body = (uint32_t)body_len;
  conn->answer_keep_alive = a->keep_alive && !a->close_after;
  conn->answer_version = a->dev->content_version;
  head_len = generated_head (conn, head, sizeof head);
  if (head_len == 0)
    {
      conn->answer_kind = ANSWER_COMPOSED;
      return error (a, 500, "internal", "answer too large");
    }
  a->out = NULL;
  return head_len + body_len;
}

static bool
parse_fingerprint (const char *text, size_t len, uint8_t out[32])
{
  return len == 64 && iotscp_text_is_lower_hex (text, len)
         && iotscp_text_hex_decode (text, len, out, 32) == 32;
}

static size_t
post_controller (answer *a, const iotscp_http_request *req)
{
  iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS];
  iotscp_json_doc doc;
  char hex[66];
  char name[IOTSCP_CONTROLLER_NAME_MAX + 1];
  uint8_t fp[32];
  size_t hex_len = 0, len;
  bool added = false;
  int fp_tok, name_tok, ret;

  iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
  if (!parse_body (a, req, &doc, &len))
    return len;
  fp_tok = iotscp_json_object_get (&doc, 0, "fp");
  name_tok = iotscp_json_object_get (&doc, 0, "name");
  if (fp_tok < 0 || iotscp_json_get_string (&doc, fp_tok, hex, sizeof hex, &hex_len) < 0
      || !parse_fingerprint (hex, hex_len, fp))
    return error (a, 422, "invalid-value", "\"fp\" must be 64 lowercase hex digits");
  name[0] = '\0';
  if (name_tok >= 0 && iotscp_json_get_string (&doc, name_tok, name, sizeof name, NULL) < 0)
    return error (a, 422, "invalid-value", "\"name\" must be a string of at most 64 bytes");
  for (const char *p = name; *p; p++)
    if ((unsigned char)*p < 0x20)
      return error (a, 422, "invalid-value", "\"name\" must not contain control characters");
  ret = iotscp_device_controller_add (a->dev, fp, name, &added);
  if (ret == IOTSCP_ERR_FULL)
    return error (a, 503, "busy", "no free controller slot");
  if (ret != IOTSCP_OK)
    return error (a, 500, "internal", "could not store the controller list");
  return finish (a, added ? 201 : 200, NULL, 0, NULL);
}

static size_t
delete_controller (answer *a, const iotscp_connection *conn, const char *segment, size_t len)
{
  uint8_t fp[32];
  if (!parse_fingerprint (segment, len, fp) || !iotscp_device_is_controller (a->dev, fp))
    return error (a, 404, "not-found", "no such controller");
  if (iotscp_text_equal_ct (fp, conn->peer_fingerprint, 32))
    return error (a, 409, "refused", "a controller cannot remove its own key");
  if (iotscp_device_controller_remove (a->dev, fp) != IOTSCP_OK)
    return error (a, 500, "internal", "could not store the controller list");
  return finish (a, 204, NULL, 0, NULL);
}

/* ---- Subscriptions ---- */

static size_t
subscription_answer (answer *a, const iotscp_subscription *sub, uint64_t now_ms)
{
  char extra[256];
  char sid[46];
  uint64_t left = sub->expires_ms > now_ms ? (sub->expires_ms - now_ms + 500) / 1000 : 0;
  iotscp_subscription_sid_text (sub, sid);
  snprintf (extra, sizeof extra,
            "SID: %s\r\nTIMEOUT: Second-%lu\r\nHEARTBEAT: Second-%lu\r\nBOOTID: %s\r\n", sid,
            (unsigned long)left, (unsigned long)(sub->heartbeat_ms / 1000), a->dev->boot_id);
  return finish (a, 200, NULL, 0, extra);
}

static size_t
subscribe (answer *a, const iotscp_connection *conn, const iotscp_http_request *req,
           uint64_t now_ms)
{
  const char *sid = iotscp_http_header (req, IOTSCP_HDR_SID);
  const char *callback = iotscp_http_header (req, IOTSCP_HDR_CALLBACK);
  const char *nt = iotscp_http_header (req, IOTSCP_HDR_NT);
  const char *timeout = iotscp_http_header (req, IOTSCP_HDR_TIMEOUT);
  const char *heartbeat = iotscp_http_header (req, IOTSCP_HDR_HEARTBEAT);
  uint32_t timeout_s = 1800, heartbeat_s = 15;
  iotscp_subscription *sub = NULL;
  const char *why = NULL;
  int status;

  if (timeout != NULL && iotscp_http_parse_seconds (timeout, &timeout_s) < 0)
    return error (a, 400, "bad-request", "TIMEOUT must be Second-<n>");
  if (heartbeat != NULL && iotscp_http_parse_seconds (heartbeat, &heartbeat_s) < 0)
    return error (a, 400, "bad-request", "HEARTBEAT must be Second-<n>");

  if (sid != NULL)
    {
      if (callback != NULL || nt != NULL)
        return error (a, 400, "bad-request", "a renewal has SID and no CALLBACK or NT");
      sub = iotscp_subscription_find (a->dev, sid, now_ms);
      if (sub == NULL
          || !iotscp_text_equal_ct (sub->subscriber_fingerprint, conn->peer_fingerprint, 32))
        return error (a, 412, "precondition-failed", "unknown or expired SID");
      if (timeout_s < 10)
        timeout_s = 10;
      if (timeout_s > 3600)
        timeout_s = 3600;
      sub->expires_ms = now_ms + (uint64_t)timeout_s * 1000;
      if (heartbeat != NULL)
        sub->heartbeat_ms = (heartbeat_s < 1 ? 1 : heartbeat_s > 60 ? 60 : heartbeat_s) * 1000;
      return subscription_answer (a, sub, now_ms);
    }

  if (callback == NULL)
    return error (a, 412, "precondition-failed", "CALLBACK is missing");
  if (nt == NULL || strcmp (nt, "iotscp:event") != 0)
    return error (a, 412, "precondition-failed", "NT must be iotscp:event");
  status = iotscp_subscription_subscribe (a->dev, &conn->peer, conn->peer_fingerprint, callback,
                                          timeout_s, heartbeat_s, now_ms, &sub, &why);
  if (status == 503)
    return error (a, 503, "busy", "no free subscription slot");
  if (status != 200)
    return error (a, 412, "precondition-failed", why ? why : "bad CALLBACK");
  return subscription_answer (a, sub, now_ms);
}

static size_t
unsubscribe (answer *a, const iotscp_connection *conn, const iotscp_http_request *req,
             uint64_t now_ms)
{
  const char *sid = iotscp_http_header (req, IOTSCP_HDR_SID);
  iotscp_subscription *sub = sid ? iotscp_subscription_find (a->dev, sid, now_ms) : NULL;
  if (sub == NULL
      || !iotscp_text_equal_ct (sub->subscriber_fingerprint, conn->peer_fingerprint, 32))
    return error (a, 412, "precondition-failed", "unknown or expired SID");
  iotscp_subscription_end (a->dev, sub);
  return finish (a, 200, NULL, 0, NULL);
}

/* ---- Dispatch ---- */

size_t
iotscp_routes_handle (iotscp_device *dev, iotscp_connection *conn, uint64_t now_ms,
                      bool *close_after, const char **out)
{
  const iotscp_http_request *req = &conn->request;
  answer a = { .dev = dev, .keep_alive = req->keep_alive, .close_after = false };
  iotscp_http_method m = req->method;
  size_t n_segments = req->segment_count;
  size_t len0 = 0, len1 = 0;
  const char *s0 = iotscp_http_path_segment (req, 0, &len0);
  const char *s1 = iotscp_http_path_segment (req, 1, &len1);
  size_t len;

  *close_after = false;
  conn->answer_kind = ANSWER_COMPOSED;
  /* NOTIFY and HEAD are known to the parser (the device sends NOTIFY, and HEAD has its own
   * response framing) but served by no route of the device: to a client they are as unknown as
   * any other method (protocol.md section 5.1). */
  if (m == IOTSCP_HTTP_OTHER || m == IOTSCP_HTTP_NOTIFY || m == IOTSCP_HTTP_HEAD)
    {
      len = error (&a, 501, "not-implemented", "unknown method");
      goto done;
    }

  /* Open to everyone: the description and the page for browsers. */
  if (iotscp_http_path_is (req, IOTSCP_DESCRIPTION_PATH) || (n_segments == 1 && len0 == 0))
    {
      bool description = len0 != 0;
      if (m != IOTSCP_HTTP_GET)
        len = error (&a, 405, "method-not-allowed", "only GET");
      else
        len = generated (&a, conn, description ? ANSWER_DESCRIPTION : ANSWER_HTML);
      goto done;
    }

  /* Everything else only for controllers, checked on every request, so that a controller that
   * was removed is refused at once, even on a connection it already has open. */
  if (!conn->has_peer_key)
    {
      len = error (&a, 403, "forbidden", "a client certificate is needed");
      goto done;
    }
  if (!iotscp_device_is_controller (dev, conn->peer_fingerprint))
    {
      len = error (&a, 403, "forbidden", "this key is not a controller");
      goto done;
    }

  if (s0 != NULL && strcmp (s0, "properties") == 0 && n_segments <= 2)
    {
      int index;
      if (n_segments == 1)
        {
          len = m == IOTSCP_HTTP_GET ? generated (&a, conn, ANSWER_PROPERTIES)
                                     : error (&a, 405, "method-not-allowed", "only GET");
          goto done;
        }
      index = iotscp_device_find_property (dev, s1);
      if (index < 0)
        len = error (&a, 404, "not-found", "no such property");
      else if (m == IOTSCP_HTTP_GET)
        len = value_answer (&a, &dev->properties[index].value);
      else if (m == IOTSCP_HTTP_PUT)
        len = put_property (&a, req, index, now_ms);
      else
        len = error (&a, 405, "method-not-allowed", "only GET and PUT");
      goto done;
    }
  if (s0 != NULL && strcmp (s0, "actions") == 0 && n_segments == 2)
    {
      int index = iotscp_device_find_action (dev, s1);
      if (index < 0)
        len = error (&a, 404, "not-found", "no such action");
      else if (m != IOTSCP_HTTP_POST)
        len = error (&a, 405, "method-not-allowed", "only POST");
      else
        len = post_action (&a, req, index);
      goto done;
    }
  if (s0 != NULL && strcmp (s0, "controllers") == 0 && n_segments <= 2)
    {
      if (n_segments == 1 && m == IOTSCP_HTTP_GET)
        len = generated (&a, conn, ANSWER_CONTROLLERS);
      else if (n_segments == 1 && m == IOTSCP_HTTP_POST)
        len = post_controller (&a, req);
      else if (n_segments == 2 && m == IOTSCP_HTTP_DELETE)
        len = delete_controller (&a, conn, s1, len1);
      else
        len = error (&a, 405, "method-not-allowed", "wrong method for /controllers");
      goto done;
    }
  if (s0 != NULL && strcmp (s0, "events") == 0 && n_segments == 1)
    {
      if (m == IOTSCP_HTTP_SUBSCRIBE)
        len = subscribe (&a, conn, req, now_ms);
      else if (m == IOTSCP_HTTP_UNSUBSCRIBE)
        len = unsubscribe (&a, conn, req, now_ms);
      else
        len = error (&a, 405, "method-not-allowed", "only SUBSCRIBE and UNSUBSCRIBE");
      goto done;
    }
  len = error (&a, 404, "not-found", "no such resource");

done:
  *close_after = a.close_after || !a.keep_alive;
  *out = a.out;
  if (len == 0)
    {
      conn->answer_kind = ANSWER_COMPOSED;
      /* Nothing fitted: the connection cannot be answered properly, so close it. */
      *close_after = true;
      *out = dev->scratch;
    }
  return len;
}
