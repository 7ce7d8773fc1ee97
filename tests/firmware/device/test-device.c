/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the device core's model and subscription machinery, on the real POSIX port
 * (a temporary state directory, real sockets on loopback): value validation, the description
 * document, the entry ring (batching and loss), SUBSCRIBE checks, lease expiry, and the SEQ gap
 * a failed NOTIFY leaves. The whole NOTIFY path over TLS is covered by the black-box tests
 * (tests/firmware/test_events.py).
 */
#define _GNU_SOURCE 1

#include "iotscp_internal.h"
#include "iotscp_posix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          failures++;                                                                              \
          fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                    \
          fprintf (stderr, __VA_ARGS__);                                                           \
          fprintf (stderr, "\n");                                                                  \
        }                                                                                          \
    }                                                                                              \
  while (0)

static const char *const modes[] = { "warm", "cold" };
static const iotscp_property_decl properties[] = {
  { .name = "on", .title = "Power", .schema = { .type = IOTSCP_TYPE_BOOLEAN } },
  { .name = "helligkeit",
    .title = "Helligkeit",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM | IOTSCP_HAS_STEP,
                .minimum = 0,
                .maximum = 100,
                .step = 1,
                .unit = "%" } },
  { .name = "mode",
    .title = "Mode",
    .schema = { .type = IOTSCP_TYPE_STRING, .enum_values = modes, .enum_count = 2 } },
  { .name = "temperature",
    .title = "Temperature",
    .schema = { .type = IOTSCP_TYPE_NUMBER, .unit = "°C" },
    .read_only = true },
};
static const iotscp_field blink_input[] = {
  { .name = "times",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
                .minimum = 1,
                .maximum = 10 },
    .required = true },
};
static const iotscp_action_decl blink
    = { .name = "blink", .title = "Blink", .input = blink_input, .input_count = 1 };
static const iotscp_field key_data[] = {
  { .name = "key",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
                .minimum = 1,
                .maximum = 88 },
    .required = true },
};
static const iotscp_event_decl key_event
    = { .name = "key", .title = "Key", .data = key_data, .data_count = 1 };

static iotscp_port port;
static iotscp_device dev;

static void
test_validation (void)
{
  const char *why = NULL;
  iotscp_value v;
  iotscp_json_token tokens[16];
  iotscp_json_doc doc;
  char buf[IOTSCP_MAX_STRING_VALUE + 1];

  v = iotscp_int (100);
  CHECK (iotscp_model_value_ok (&properties[1].schema, &v, &why), "100 is in range");
  v = iotscp_int (101);
  CHECK (!iotscp_model_value_ok (&properties[1].schema, &v, &why), "101 is above the maximum");
  v = iotscp_int (-1);
  CHECK (!iotscp_model_value_ok (&properties[1].schema, &v, &why), "-1 is below the minimum");
  v = iotscp_bool (true);
  CHECK (!iotscp_model_value_ok (&properties[1].schema, &v, &why), "a boolean is no integer");
  v = iotscp_string ("cold");
  CHECK (iotscp_model_value_ok (&properties[2].schema, &v, &why), "cold is in the enum");
  v = iotscp_string ("Cold");
  CHECK (!iotscp_model_value_ok (&properties[2].schema, &v, &why), "enum is case-sensitive");
  v = iotscp_int (21);
  CHECK (iotscp_model_value_ok (&properties[3].schema, &v, &why), "an integer is a number");

  iotscp_json_doc_init (&doc, tokens, 16);
  CHECK (iotscp_json_parse (&doc, "1.5", 3) == 0, "parse 1.5");
  CHECK (!iotscp_model_value_from_json (&properties[1].schema, &doc, 0, &v, buf, sizeof buf, &why),
         "1.5 is not an integer");
  CHECK (iotscp_json_parse (&doc, "\"warm\"", 6) == 0, "parse \"warm\"");
  CHECK (iotscp_model_value_from_json (&properties[2].schema, &doc, 0, &v, buf, sizeof buf, &why)
             && v.length == 4 && memcmp (v.string, "warm", 4) == 0,
         "\"warm\" reads as a string");

  CHECK (iotscp_model_name_ok ("wärme"), "UTF-8 names are fine");
  CHECK (!iotscp_model_name_ok ("a/b"), "no slash in names");
  CHECK (!iotscp_model_name_ok (" lead"), "no leading space");
  CHECK (!iotscp_model_name_ok ("123456789012345678901234567890123"), "at most 32 bytes");
  CHECK (!iotscp_model_name_ok ("\xc3"), "valid UTF-8 only");
}

static void
test_declarations (void)
{
  iotscp_device_info info = { .id = "unit-test-device",
                              .name = "Küche ☀",
                              .model = "Unit",
                              .manufacturer = "Hearth",
                              .firmware = "0.1.0",
                              .ui_icon = "light",
                              .ui_primary = "on",
                              .storage_ns = "dev" };
  iotscp_value bad = iotscp_int (500);
  CHECK (iotscp_device_init (&dev, &port, &info, NULL) == IOTSCP_OK, "init");
  for (size_t i = 0; i < 4; i++)
    CHECK (iotscp_device_add_property (&dev, &properties[i], NULL) == (int)i, "add property %zu",
           i);
  CHECK (iotscp_device_add_property (&dev, &properties[0], NULL) == IOTSCP_ERR_INVALID,
         "a duplicate name is refused");
  CHECK (iotscp_device_set_property (&dev, 1, &bad) == IOTSCP_ERR_INVALID,
         "set_property validates");
  CHECK (iotscp_device_add_action (&dev, &blink) == 0, "add action");
  CHECK (iotscp_device_add_event (&dev, &key_event) == 0, "add event");
  CHECK (iotscp_device_get_property (&dev, 2)->length == 4,
         "a string defaults to its first enum value");
  CHECK (iotscp_device_find_property (&dev, "mode") == 2, "find by name");
}

static void
test_description (void)
{
  static char buf[4096];
  iotscp_json_token tokens[256];
  iotscp_json_doc doc;
  size_t len;
  int props, hell, ui;

  len = iotscp_model_write_description (&dev, buf, sizeof buf);
  CHECK (len > 0, "the description fits");
  iotscp_json_doc_init (&doc, tokens, 256);
  CHECK (iotscp_json_parse (&doc, buf, len) == 0, "the description is valid JSON: %s", buf);
  CHECK (iotscp_json_string_equals (&doc, iotscp_json_object_get (&doc, 0, "name"), "Küche ☀"),
         "the name is UTF-8 as given");
  CHECK (
      iotscp_json_string_equals (&doc, iotscp_json_object_get (&doc, 0, "id"), "unit-test-device"),
      "the id is the configured one");
  props = iotscp_json_object_get (&doc, 0, "properties");
  hell = iotscp_json_object_get (&doc, props, "helligkeit");
  CHECK (hell >= 0, "helligkeit is described");
  CHECK (iotscp_json_string_equals (&doc, iotscp_json_object_get (&doc, hell, "unit"), "%"),
         "unit");
  {
    int64_t max = 0;
    CHECK (iotscp_json_get_int64 (&doc, iotscp_json_object_get (&doc, hell, "maximum"), &max) == 0
               && max == 100,
           "maximum 100");
  }
  CHECK (
      iotscp_json_object_get (&doc, iotscp_json_object_get (&doc, props, "temperature"), "readOnly")
          >= 0,
      "readOnly is written");
  ui = iotscp_json_object_get (&doc, 0, "ui");
  CHECK (iotscp_json_string_equals (&doc, iotscp_json_object_get (&doc, ui, "primary"), "on"),
         "ui.primary");
  CHECK (strstr (buf, "\"required\":[\"times\"]") != NULL, "required input fields are listed");
  CHECK (iotscp_model_write_description (&dev, buf, 100) == 0,
         "a too small buffer fails instead of cutting the document");

  len = iotscp_model_write_html (&dev, buf, sizeof buf);
  CHECK (len > 0 && strstr (buf, "Küche ☀") != NULL, "the HTML page names the device");
  iotscp_device_set_name (&dev, "<script>");
  len = iotscp_model_write_html (&dev, buf, sizeof buf);
  CHECK (strstr (buf, "<script>") == NULL && strstr (buf, "&lt;script&gt;") != NULL,
         "the HTML page escapes the name");
  iotscp_device_set_name (&dev, "Küche ☀");
}

static void
test_ring (void)
{
  static iotscp_event_ring ring;
  char entry[64];
  size_t len;
  const char *got;

  iotscp_ring_reset (&ring);
  for (int i = 0; i < 5; i++)
    {
      int n = snprintf (entry, sizeof entry, "{\"n\":%d}", i);
      iotscp_ring_push (&ring, entry, (size_t)n);
    }
  got = iotscp_ring_get (&ring, 3, &len);
  CHECK (got != NULL && len == 7 && memcmp (got, "{\"n\":3}", 7) == 0, "entry 3 reads back");
  CHECK (iotscp_ring_get (&ring, 5, &len) == NULL, "entry 5 does not exist yet");

  /* Overflow: many more entries than fit. The oldest are dropped, the newest stay intact. */
  for (int i = 5; i < 1000; i++)
    {
      int n = snprintf (entry, sizeof entry, "{\"n\":%d,\"pad\":\"%0*d\"}", i, 20 + i % 17, 0);
      iotscp_ring_push (&ring, entry, (size_t)n);
    }
  CHECK (ring.next == 1000, "1000 entries were numbered");
  CHECK (ring.first > 0 && ring.next - ring.first <= IOTSCP_EVENT_RING_ENTRIES,
         "old entries dropped");
  CHECK (iotscp_ring_get (&ring, 0, &len) == NULL, "entry 0 is gone");
  for (uint32_t n = ring.first; n < ring.next; n++)
    {
      char expect[16];
      int k = snprintf (expect, sizeof expect, "{\"n\":%u,", n);
      got = iotscp_ring_get (&ring, n, &len);
      CHECK (got != NULL && len > (size_t)k && memcmp (got, expect, (size_t)k) == 0
                 && got[len - 1] == '}',
             "kept entry %u is intact", n);
    }
}

static void
test_subscriptions (void)
{
  static const uint8_t fp[32] = { 1, 2, 3 };
  iotscp_addr me = { .family = IOTSCP_AF_INET, .bytes = { 127, 0, 0, 1 } };
  iotscp_subscription *sub = NULL;
  const char *why = NULL;
  uint64_t now = 1000000;
  char sid[46];
  int closed_port_fd;
  uint16_t closed_port = 0;
  char callback[64];

  CHECK (iotscp_device_start (&dev) == IOTSCP_OK, "start");
  now = iotscp_port_now_ms (&port);

  CHECK (iotscp_subscription_subscribe (&dev, &me, fp, "<http://127.0.0.1:1/x>", 60, 15, now, &sub,
                                        &why)
             == 412,
         "http callbacks are refused");
  CHECK (iotscp_subscription_subscribe (&dev, &me, fp, "<https://127.0.0.2:1/x>", 60, 15, now, &sub,
                                        &why)
             == 412,
         "a callback host other than the subscriber is refused (CallStranger)");
  CHECK (iotscp_subscription_subscribe (&dev, &me, fp, "<https://localhost:1/x>", 60, 15, now, &sub,
                                        &why)
             == 412,
         "a callback host name is refused");

  /* A port nobody listens on: take a free port and close it again. */
  closed_port_fd = iotscp_port_tcp_listen (&port, &closed_port, 1);
  iotscp_port_close (&port, closed_port_fd);
  snprintf (callback, sizeof callback, "<https://127.0.0.1:%u/cb>", (unsigned)closed_port);
  CHECK (iotscp_subscription_subscribe (&dev, &me, fp, callback, 5, 500, now, &sub, &why) == 200,
         "subscribe: %s", why ? why : "");
  if (sub == NULL)
    return;
  CHECK (sub->expires_ms == now + 10000, "a 5 s lease is clamped to 10 s");
  CHECK (sub->heartbeat_ms == 60000, "a 500 s heartbeat is clamped to 60 s");
  CHECK (sub->seq == 0, "SEQ starts at 0");
  iotscp_subscription_sid_text (sub, sid);
  CHECK (strncmp (sid, "uuid:", 5) == 0 && strlen (sid) == 41, "SID is a uuid: %s", sid);
  CHECK (iotscp_subscription_find (&dev, sid, now) == sub, "the SID finds the subscription");

  /* Two changes while nothing could be sent: the NOTIFY that carries them fails to connect,
   * takes SEQ 0 and drops them, so the subscriber will see SEQ 1 next: a gap. */
  iotscp_device_set_property (&dev, 0,
                              &(iotscp_value){ .type = IOTSCP_TYPE_BOOLEAN, .boolean = true });
  iotscp_device_set_property (&dev, 1,
                              &(iotscp_value){ .type = IOTSCP_TYPE_INTEGER, .integer = 42 });
  CHECK (dev.ring.next == 2 && sub->cursor == 0, "two entries wait, batched for one NOTIFY");
  CHECK (iotscp_device_next_deadline (&dev) <= now, "pending entries make the device due now");
  for (int i = 0; i < 50 && sub->seq == 0; i++)
    {
      iotscp_pollfd fds[IOTSCP_DEVICE_MAX_POLLFDS];
      size_t n = iotscp_device_pollfds (&dev, fds, IOTSCP_DEVICE_MAX_POLLFDS);
      for (size_t k = 0; k < n; k++)
        fds[k].revents = fds[k].events;
      usleep (10000);
      iotscp_device_process (&dev, fds, n, iotscp_port_now_ms (&port));
    }
  CHECK (sub->seq == 1, "the failed NOTIFY used SEQ 0 (seq now %u)", (unsigned)sub->seq);
  CHECK (sub->cursor == 2, "its entries were dropped");
  CHECK (sub->active, "a failed NOTIFY does not end the subscription");

  /* Ring overflow while the subscriber lags: the next NOTIFY skips one more SEQ. */
  sub->last_sent_ms = iotscp_port_now_ms (&port);
  for (int i = 0; i < 3 * IOTSCP_EVENT_RING_ENTRIES; i++)
    iotscp_device_set_property (&dev, 1,
                                &(iotscp_value){ .type = IOTSCP_TYPE_INTEGER, .integer = i % 100 });
  CHECK (sub->cursor < dev.ring.first, "the lagging subscription lost entries");

  /* Lease expiry: no NOTIFY after it; the SID is gone. */
  iotscp_device_process (&dev, NULL, 0, sub->expires_ms);
  CHECK (!sub->active, "an expired lease ends the subscription");
  CHECK (iotscp_subscription_find (&dev, sid, sub->expires_ms) == NULL,
         "an expired SID is unknown");

  for (int i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    CHECK (iotscp_subscription_subscribe (&dev, &me, fp, callback, 60, 15, now, &sub, &why) == 200,
           "subscription %d", i);
  CHECK (iotscp_subscription_subscribe (&dev, &me, fp, callback, 60, 15, now, &sub, &why) == 503,
         "one more than IOTSCP_MAX_SUBSCRIPTIONS is 503");
  iotscp_device_stop (&dev);
}

/* Parses raw into conn's request (with the device's body buffer, as the server lends it) and
 * runs the routes on it. Returns the answer's length; *out is NULL for a generated answer. */
static size_t
route (iotscp_connection *conn, const char *raw, bool *close_after, const char **out)
{
  size_t used = 0;
  memset (conn, 0, sizeof *conn);
  conn->dev = &dev;
  iotscp_http_request_reset (&conn->request);
  iotscp_http_request_attach_body (&conn->request, &dev.body);
  CHECK (iotscp_http_request_feed (&conn->request, (const uint8_t *)raw, strlen (raw), &used)
             == IOTSCP_HTTP_COMPLETE,
         "request parses: %s", raw);
  return iotscp_routes_handle (&dev, conn, 0, close_after, out);
}

/* Methods the device does not serve, and the windows of long answers. */
static void
test_routes (void)
{
  static const char *const unserved[] = { "NOTIFY", "HEAD", "BREW", "get" };
  static iotscp_connection conn;
  static char whole[8192], pieces[8192], expected[8192];
  bool close_after;
  const char *out;
  size_t len;

  for (size_t i = 0; i < sizeof unserved / sizeof unserved[0]; i++)
    {
      char raw[128];
      snprintf (raw, sizeof raw, "%s /.well-known/iotscp HTTP/1.1\r\nHost: d\r\n\r\n", unserved[i]);
      len = route (&conn, raw, &close_after, &out);
      CHECK (len > 0 && out != NULL && strncmp (out, "HTTP/1.1 501 ", 13) == 0
                 && strstr (out, "\"not-implemented\"") != NULL && !close_after,
             "%s is 501 not-implemented and keeps the connection: %.*s", unserved[i], (int)len,
             out ? out : "");
    }

  /* The description is generated: written again for every window, whatever its size, it
   * comes out as one answer with the Content-Length of the whole document. */
  len = route (&conn, "GET /.well-known/iotscp HTTP/1.1\r\nHost: d\r\n\r\n", &close_after, &out);
  CHECK (out == NULL && len < sizeof whole, "the description is a generated answer (%zu)", len);
  CHECK (iotscp_routes_window (&dev, &conn, 0, whole, sizeof whole) == len, "whole window");
  {
    size_t body = iotscp_model_write_description (&dev, expected, sizeof expected);
    char head[64];
    snprintf (head, sizeof head, "Content-Length: %zu\r\n", body);
    CHECK (strstr (whole, head) != NULL && len >= body
               && memcmp (whole + len - body, expected, body) == 0,
           "the generated answer is the head and the whole description");
  }
  static const size_t windows[] = { 1, 7, 100, 333, IOTSCP_SCRATCH_SIZE };
  for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++)
    {
      size_t pos = 0;
      while (pos < len)
        {
          size_t n = iotscp_routes_window (&dev, &conn, pos, pieces + pos, windows[w]);
          CHECK (n > 0 && n <= windows[w], "window of %zu at %zu gave %zu", windows[w], pos, n);
          if (n == 0)
            break;
          pos += n;
        }
      CHECK (pos == len && memcmp (pieces, whole, len) == 0,
             "windows of %zu bytes make the same answer", windows[w]);
    }
  CHECK (iotscp_routes_window (&dev, &conn, len, pieces, 10) == 0, "nothing after the end");

  /* A change of what a generated answer shows makes its rest unwritable (the server closes):
   * a longer name changes the body's length. */
  iotscp_device_set_name (&dev, "Küche ☀ mit einem längeren Namen");
  CHECK (iotscp_routes_window (&dev, &conn, 10, pieces, 100) == 0,
         "a description whose length changed is not continued");
  iotscp_device_set_name (&dev, "Küche ☀");

  /* GET / (HTML) too, and errors stay composed answers. */
  len = route (&conn, "GET / HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", &close_after, &out);
  CHECK (out == NULL && close_after, "the HTML page is generated; Connection: close is honoured");
  CHECK (iotscp_routes_window (&dev, &conn, 0, whole, sizeof whole) == len
             && strstr (whole, "Connection: close\r\n") != NULL
             && strstr (whole, "text/html; charset=utf-8") != NULL,
         "the HTML answer's head");
  len = route (&conn, "GET /properties HTTP/1.1\r\nHost: d\r\n\r\n", &close_after, &out);
  CHECK (out != NULL && strncmp (out, "HTTP/1.1 403 ", 13) == 0,
         "without a client certificate GET /properties is a composed 403");
}

int
main (void)
{
  char dir[] = "/tmp/iotscp-device-test-XXXXXX";
  if (mkdtemp (dir) == NULL || iotscp_posix_port_init (&port, dir) < 0)
    return 99;
  port.log_level = IOTSCP_LOG_WARNING;
  test_validation ();
  test_declarations ();
  test_description ();
  test_routes ();
  test_ring ();
  test_subscriptions ();
  iotscp_posix_port_fini (&port);
  {
    char command[128];
    snprintf (command, sizeof command, "rm -rf '%s'", dir);
    if (system (command) != 0)
      fprintf (stderr, "could not remove %s\n", dir);
  }
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  else
    printf ("all checks passed\n");
  return failures ? 1 : 0;
}
