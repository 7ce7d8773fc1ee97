/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearthctl"

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <inttypes.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hearth-control-server.h"
#include "hearth-fingerprint.h"
#include "hearth-hub.h"
#include "hearth-version.h"

/* hearthctl is the scripting front of the hub: every command is one request to the hub's
 * control socket (JSON over HTTP on a UNIX socket, see docs/cli.md), whose answer it prints
 * for people, or as JSON with --json. It links only the GTK-free core, so it runs on machines
 * without a display. The exit status says what happened (see EXIT_* and `hearthctl --help`),
 * so scripts can tell "the hub is not running" from "the device refused". */

enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_NO_HUB = 3,
  EXIT_NOT_FOUND = 4,
  EXIT_REFUSED = 5,
  EXIT_NOT_TRUSTED = 6,
  EXIT_PERMISSION = 7,
};

#define REQUEST_TIMEOUT_S 60
#define ADOPT_WAIT_S 20

typedef struct
{
  char *data_dir;
  char *socket_path;
  gboolean json;
  gboolean follow;
  gboolean wait;
  int limit;
  SoupSession *session;
} Context;

static int usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("hearthctl: %s\n", message);
  g_printerr (_ ("Run “hearthctl --help” to see the commands.\n"));
  return EXIT_USAGE;
}

static int
exit_status_for_code (const char *code)
{
  static const struct
  {
    const char *code;
    int status;
  } table[] = {
    { "bad-request", EXIT_USAGE },        { "too-large", EXIT_USAGE },
    { "not-found", EXIT_NOT_FOUND },      { "device-refused", EXIT_REFUSED },
    { "invalid-value", EXIT_REFUSED },    { "read-only", EXIT_REFUSED },
    { "device-forbidden", EXIT_REFUSED }, { "not-trusted", EXIT_NOT_TRUSTED },
    { "forbidden", EXIT_PERMISSION },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_strcmp0 (code, table[i].code) == 0)
      return table[i].status;
  return EXIT_FAILED;
}

static const char *
advice_for_code (const char *code)
{
  if (g_strcmp0 (code, "device-unreachable") == 0 || g_strcmp0 (code, "device-timeout") == 0)
    return _ ("Check that the device is powered and on the network; `hearthctl show ID` shows "
              "its address and last problem.");
  if (g_strcmp0 (code, "not-trusted") == 0)
    return _ ("See `hearthctl trust list` to decide about the device's key.");
  if (g_strcmp0 (code, "device-forbidden") == 0)
    return _ ("The device does not list the hub's key as a controller: add it on the device "
              "(iotscp-device --allow-controller FINGERPRINT; `hearthctl status` shows it).");
  return NULL;
}

/* The socket path of the hub using @data_dir, or NULL after explaining that no hub runs. */
static int
connect_error_status (Context *ctx, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      g_printerr (_ ("hearthctl: not allowed to use the hub's control socket “%s”: it belongs to "
                     "another user. Run hearthctl as the user that runs the hub.\n"),
                  ctx->socket_path);
      return EXIT_PERMISSION;
    }
  g_printerr (_ ("hearthctl: no hub is running with the data directory “%s” (%s).\n"
                 "Start one with “hearth --headless --data-dir %s”, or name its directory "
                 "with --data-dir.\n"),
              ctx->data_dir, error->message, ctx->data_dir);
  return EXIT_NO_HUB;
}

/* Sends one request; on success stores the answer's JSON in @answer_out and returns EXIT_OK,
 * else prints what went wrong and returns the exit status. */
static int
request (Context *ctx, const char *method, const char *path, JsonNode *body, JsonNode **answer_out)
{
  g_autofree char *uri = g_strconcat ("http://hearth", path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *data;
  gsize length = 0;
  JsonNode *root;
  guint status;

  if (msg == NULL)
    return usage_error (_ ("cannot make a request for “%s”"), path);
  if (body != NULL)
    {
      g_autofree char *text = json_to_string (body, FALSE);
      gsize text_length = strlen (text);

      soup_message_set_request_body_from_bytes (
          msg, "application/json", g_bytes_new_take (g_steal_pointer (&text), text_length));
    }
  else if (strcmp (method, "POST") == 0 || strcmp (method, "PUT") == 0)
    soup_message_headers_set_content_length (soup_message_get_request_headers (msg), 0);

  bytes = soup_session_send_and_read (ctx->session, msg, NULL, &error);
  if (bytes == NULL)
    {
      if (soup_message_get_status (msg) == SOUP_STATUS_NONE
          && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
              || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
              || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)))
        return connect_error_status (ctx, error);
      g_printerr (_ ("hearthctl: the hub did not answer: %s\n"), error->message);
      return EXIT_FAILED;
    }

  status = soup_message_get_status (msg);
  data = g_bytes_get_data (bytes, &length);
  if (length == 0 || !json_parser_load_from_data (parser, data, (gssize)length, &error)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_printerr (_ ("hearthctl: the hub answered %u without a valid JSON body\n"), status);
      return EXIT_FAILED;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      JsonObject *object = json_node_get_object (root);
      JsonObject *error_object
          = json_object_has_member (object, "error")
                    && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error"))
                ? json_object_get_object_member (object, "error")
                : NULL;
      const char *code
          = error_object != NULL
                ? json_object_get_string_member_with_default (error_object, "code", NULL)
                : NULL;
      const char *message
          = error_object != NULL
                ? json_object_get_string_member_with_default (error_object, "message", NULL)
                : NULL;
      const char *advice = advice_for_code (code);

      if (ctx->json)
        {
          g_autofree char *text = json_to_string (root, TRUE);

          g_print ("%s\n", text);
        }
      g_printerr ("hearthctl: %s\n", message != NULL ? message : _ ("the request failed"));
      if (advice != NULL)
        g_printerr ("%s\n", advice);
      return exit_status_for_code (code);
    }

  if (answer_out != NULL)
    *answer_out = json_node_ref (root);
  return EXIT_OK;
}

static void
print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* A JSON value as people read it: strings without quotes, everything else as JSON. */
static char *
value_to_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("null");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static char *
display_fingerprint (const char *fingerprint)
{
  if (fingerprint == NULL)
    return g_strdup ("-");
  return hearth_fingerprint_format_for_display (fingerprint);
}

static char *
escape_segment (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

static char *
format_time (gint64 time_us)
{
  g_autoptr (GDateTime) time = NULL;

  if (time_us <= 0)
    return g_strdup ("never");
  time = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  if (time == NULL)
    return g_strdup ("?");
  {
    g_autoptr (GDateTime) precise = g_date_time_add (time, time_us % G_USEC_PER_SEC);

    return g_date_time_format (precise, "%Y-%m-%d %H:%M:%S.%f");
  }
  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S.%f");
}

/* ---------------------------------------------------------------------------------------- */
/* Commands */

static int
command_status (Context *ctx)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *status, *devices, *discovery;
  g_autofree char *fingerprint = NULL;
  JsonArray *rotation;
  int result;

  if ((result = request (ctx, "GET", "/v1/status", NULL, &answer)) != EXIT_OK)
    return result;
  if (ctx->json)
    {
      print_json (answer);
      return EXIT_OK;
    }
  status = json_node_get_object (answer);
  devices = json_object_get_object_member (status, "devices");
  discovery = json_object_get_object_member (status, "discovery");
  fingerprint = display_fingerprint (member_string (status, "fingerprint"));
  g_print (_ ("Hub:                 running (pid %" PRId64 ", version %s)\n"),
           json_object_get_int_member (status, "pid"), member_string (status, "version"));
  g_print (_ ("Hub key fingerprint: %s\n"), fingerprint);
  if (member_string (status, "previous_fingerprint") != NULL)
    {
      g_autofree char *previous
          = display_fingerprint (member_string (status, "previous_fingerprint"));

      g_print (_ ("Previous key:        %s (rotation under way)\n"), previous);
    }
  g_print (_ ("Event server port:   %" PRId64 "\n"),
           json_object_get_int_member (status, "event_port"));
  g_print (_ ("Control socket:      %s\n"), member_string (status, "control_socket"));
  g_print (_ ("Data directory:      %s\n"), member_string (status, "data_dir"));
  g_print (
      _ ("Devices:             %" PRId64 " (%" PRId64 " online, %" PRId64 " offline, %" PRId64
         " new, %" PRId64 " certificate changed, %" PRId64 " blocked, %" PRId64 " unusable)\n"),
      json_object_get_int_member (devices, "total"), json_object_get_int_member (devices, "online"),
      json_object_get_int_member (devices, "offline"), json_object_get_int_member (devices, "new"),
      json_object_get_int_member_with_default (devices, "certificate-changed", 0),
      json_object_get_int_member (devices, "blocked"),
      json_object_get_int_member (devices, "unusable"));
  g_print (_ ("Pending key changes: %" PRId64 "\n"),
           json_object_get_int_member (status, "pending_trust"));
  g_print (_ ("Events accepted:     %" PRId64 "\n"),
           json_object_get_int_member (status, "events_accepted"));
  if (json_object_get_boolean_member (discovery, "running"))
    g_print (_ ("Discovery:           running\n"));
  else
    g_print (_ ("Discovery:           not running: %s\n"), member_string (discovery, "problem"));
  rotation = json_object_get_array_member (status, "rotation");
  for (guint i = 0; i < json_array_get_length (rotation); i++)
    {
      JsonObject *entry = json_array_get_object_element (rotation, i);

      if (g_strcmp0 (member_string (entry, "status"), "done") != 0)
        g_print (_ ("Needs attention:     %s: key rotation %s%s%s\n"), member_string (entry, "id"),
                 member_string (entry, "status"), member_string (entry, "message") ? ": " : "",
                 member_string (entry, "message") ? member_string (entry, "message") : "");
    }
  return EXIT_OK;
}

static int
command_devices (Context *ctx)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *devices;
  int result;

  if ((result = request (ctx, "GET", "/v1/devices", NULL, &answer)) != EXIT_OK)
    return result;
  devices = json_object_get_array_member (json_node_get_object (answer), "devices");
  if (ctx->json)
    {
      print_json (json_object_get_member (json_node_get_object (answer), "devices"));
      return EXIT_OK;
    }
  if (json_array_get_length (devices) == 0)
    {
      g_print (_ ("No devices yet. Devices on this network appear by themselves; add one by "
                  "address with “hearthctl add-address HOST:PORT”.\n"));
      return EXIT_OK;
    }
  g_print ("%-24s %-20s %-24s %-16s %s\n", _ ("ID"), _ ("STATE"), _ ("ADDRESS"), _ ("AREA"),
           _ ("NAME"));
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);

      const char *area = member_string (device, "area") ? member_string (device, "area") : "-";
      /* printf pads bytes; an area is people's text ("Küche"), so pad it by characters. */
      glong area_padding = MAX (0, 16 - g_utf8_strlen (area, -1));

      g_print ("%-24s %-20s %-24s %s%*s %s\n", member_string (device, "id"),
               member_string (device, "state"),
               member_string (device, "address") ? member_string (device, "address") : "-", area,
               (int)area_padding, "",
               member_string (device, "name") ? member_string (device, "name") : "");
    }
  return EXIT_OK;
}

static void
print_schema_facts (JsonObject *object, GString *line)
{
  gboolean has_minimum = json_object_has_member (object, "minimum");
  gboolean has_maximum = json_object_has_member (object, "maximum");

  if (has_minimum && has_maximum)
    g_string_append_printf (line, ", %g…%g", json_object_get_double_member (object, "minimum"),
                            json_object_get_double_member (object, "maximum"));
  else if (has_minimum)
    g_string_append_printf (line, ", ≥ %g", json_object_get_double_member (object, "minimum"));
  else if (has_maximum)
    g_string_append_printf (line, ", ≤ %g", json_object_get_double_member (object, "maximum"));
  if (member_string (object, "unit") != NULL)
    g_string_append_printf (line, " %s", member_string (object, "unit"));
  if (json_object_has_member (object, "enum"))
    {
      g_autofree char *values = json_to_string (json_object_get_member (object, "enum"), FALSE);

      g_string_append_printf (line, ", one of %s", values);
    }
}

static int
command_show (Context *ctx, const char *device_id)
{
  g_autofree char *escaped = escape_segment (device_id);
  g_autofree char *path = g_strconcat ("/v1/devices/", escaped, NULL);
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *device;
  JsonArray *list;
  g_autofree char *fingerprint = NULL;
  g_autofree char *last_heard = NULL;
  int result;

  if ((result = request (ctx, "GET", path, NULL, &answer)) != EXIT_OK)
    return result;
  if (ctx->json)
    {
      print_json (answer);
      return EXIT_OK;
    }
  device = json_node_get_object (answer);
  fingerprint = display_fingerprint (member_string (device, "fingerprint"));
  last_heard = format_time (json_object_get_int_member (device, "last_heard_us"));
  g_print (_ ("Device:       %s\n"), member_string (device, "id"));
  g_print (_ ("Name:         %s\n"),
           member_string (device, "name") ? member_string (device, "name") : "-");
  g_print (_ ("Area:         %s\n"),
           member_string (device, "area") ? member_string (device, "area") : "-");
  g_print (_ ("State:        %s\n"), member_string (device, "state"));
  if (member_string (device, "problem") != NULL)
    g_print (_ ("Problem:      %s\n"), member_string (device, "problem"));
  g_print (_ ("Address:      %s\n"),
           member_string (device, "address") ? member_string (device, "address") : "-");
  g_print (_ ("Pinned key:   %s\n"), fingerprint);
  if (member_string (device, "pending_fingerprint") != NULL)
    {
      g_autofree char *pending
          = display_fingerprint (member_string (device, "pending_fingerprint"));

      g_print (_ ("New key:      %s (waiting for a decision: hearthctl trust approve|reject)\n"),
               pending);
    }
  if (member_string (device, "model") != NULL)
    g_print (_ ("Model:        %s\n"), member_string (device, "model"));
  if (member_string (device, "firmware") != NULL)
    g_print (_ ("Firmware:     %s\n"), member_string (device, "firmware"));
  g_print (_ ("Last heard:   %s\n"), last_heard);
  g_print (_ ("Heartbeat:    %" PRId64 " s; resubscribed %" PRId64 " times\n"),
           json_object_get_int_member (device, "heartbeat_s"),
           json_object_get_int_member (device, "resubscribes"));

  list = json_object_get_array_member (device, "properties");
  if (json_array_get_length (list) > 0)
    g_print (_ ("Properties:\n"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *property = json_array_get_object_element (list, i);
      g_autofree char *value = value_to_text (json_object_get_member (property, "value"));
      g_autoptr (GString) facts = g_string_new (member_string (property, "type"));

      print_schema_facts (property, facts);
      if (json_object_get_boolean_member (property, "read_only"))
        g_string_append (facts, _ (", read-only"));
      g_print ("  %-20s %-12s (%s)\n", member_string (property, "name"), value, facts->str);
    }
  list = json_object_get_array_member (device, "actions");
  if (json_array_get_length (list) > 0)
    g_print (_ ("Actions:\n"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *action = json_array_get_object_element (list, i);
      JsonArray *fields = json_object_get_array_member (action, "input");
      g_autoptr (GString) line = g_string_new (NULL);

      for (guint f = 0; f < json_array_get_length (fields); f++)
        {
          JsonObject *field = json_array_get_object_element (fields, f);

          g_string_append_printf (line, "%s%s: %s", f > 0 ? ", " : "",
                                  member_string (field, "name"), member_string (field, "type"));
          print_schema_facts (field, line);
          if (!json_object_get_boolean_member (field, "required"))
            g_string_append (line, _ (" (optional)"));
        }
      g_print ("  %-20s %s\n", member_string (action, "name"),
               line->len > 0 ? line->str : _ ("(no input)"));
    }
  list = json_object_get_array_member (device, "events");
  if (json_array_get_length (list) > 0)
    g_print (_ ("Events:\n"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *event = json_array_get_object_element (list, i);

      g_print ("  %s\n", member_string (event, "name"));
    }
  return EXIT_OK;
}

static char *
property_path (const char *device_id, const char *property)
{
  g_autofree char *escaped_id = escape_segment (device_id);
  g_autofree char *escaped_property = escape_segment (property);

  return g_strconcat ("/v1/devices/", escaped_id, "/properties/", escaped_property, NULL);
}

static int
print_value_answer (Context *ctx, JsonNode *answer, const char *member)
{
  JsonNode *value = json_object_get_member (json_node_get_object (answer), member);
  g_autofree char *text = NULL;

  if (ctx->json)
    {
      print_json (answer);
      return EXIT_OK;
    }
  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    return EXIT_OK;
  text = value_to_text (value);
  g_print ("%s\n", text);
  return EXIT_OK;
}

static int
command_get (Context *ctx, const char *device_id, const char *property)
{
  g_autofree char *path = property_path (device_id, property);
  g_autoptr (JsonNode) answer = NULL;
  int result;

  if ((result = request (ctx, "GET", path, NULL, &answer)) != EXIT_OK)
    return result;
  return print_value_answer (ctx, answer, "value");
}

/* VALUE is JSON when it parses as JSON (true, 42, "text", {…}); anything else is a string, so
 * that `set ID mode eco` works without quoting. */
static JsonNode *
parse_value (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (json_parser_load_from_data (parser, text, -1, NULL) && json_parser_get_root (parser) != NULL)
    return json_node_copy (json_parser_get_root (parser));
  return json_node_init_string (json_node_alloc (), text);
}

static int
command_set (Context *ctx, const char *device_id, const char *property, const char *value_text)
{
  g_autofree char *path = property_path (device_id, property);
  g_autoptr (JsonNode) body = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autoptr (JsonNode) answer = NULL;
  int result;

  json_object_set_member (json_node_get_object (body), "value", parse_value (value_text));
  if ((result = request (ctx, "PUT", path, body, &answer)) != EXIT_OK)
    return result;
  return print_value_answer (ctx, answer, "value");
}

static int
command_call (Context *ctx, const char *device_id, const char *action, const char *input_text)
{
  g_autofree char *escaped_id = escape_segment (device_id);
  g_autofree char *escaped_action = escape_segment (action);
  g_autofree char *path
      = g_strconcat ("/v1/devices/", escaped_id, "/actions/", escaped_action, NULL);
  g_autoptr (JsonNode) body = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autoptr (JsonNode) answer = NULL;
  int result;

  if (input_text != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autoptr (GError) error = NULL;

      if (!json_parser_load_from_data (parser, input_text, -1, &error)
          || json_parser_get_root (parser) == NULL)
        return usage_error (_ ("the action input “%s” is not JSON (%s); write e.g. "
                               "'{\"times\": 3}'"),
                            input_text, error != NULL ? error->message : _ ("empty"));
      json_object_set_member (json_node_get_object (body), "input",
                              json_node_copy (json_parser_get_root (parser)));
    }
  if ((result = request (ctx, "POST", path, body, &answer)) != EXIT_OK)
    return result;
  return print_value_answer (ctx, answer, "output");
}

static void
print_event (Context *ctx, JsonObject *event)
{
  g_autofree char *time = format_time (json_object_get_int_member (event, "time_us"));
  g_autofree char *data = NULL;
  JsonNode *data_node = json_object_get_member (event, "data");

  if (data_node != NULL && !JSON_NODE_HOLDS_NULL (data_node))
    data = json_to_string (data_node, FALSE);
  g_print ("%s %s %s %s%s%s\n", time, member_string (event, "device"),
           member_string (event, "kind"),
           member_string (event, "name") ? member_string (event, "name") : "-", data ? " " : "",
           data ? data : "");
}

static int
command_events_follow (Context *ctx)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", "http://hearth/v1/events/follow");
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GDataInputStream) lines = NULL;

  /* A stream lasts as long as the user wants it: no timeout. */
  g_object_set (ctx->session, "timeout", 0, NULL);
  stream = soup_session_send (ctx->session, msg, NULL, &error);
  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
          || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
          || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        return connect_error_status (ctx, error);
      g_printerr (_ ("hearthctl: the hub did not answer: %s\n"), error->message);
      return EXIT_FAILED;
    }
  if (soup_message_get_status (msg) != 200)
    {
      g_printerr (_ ("hearthctl: the hub answered %u to the event stream\n"),
                  soup_message_get_status (msg));
      return soup_message_get_status (msg) == 403 ? EXIT_PERMISSION : EXIT_FAILED;
    }
  lines = g_data_input_stream_new (stream);
  for (;;)
    {
      gsize length = 0;
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, &length, NULL, &error);
      g_autoptr (JsonParser) parser = json_parser_new ();

      if (line == NULL)
        break;
      if (length == 0)
        continue;
      if (ctx->json)
        g_print ("%s\n", line);
      else if (json_parser_load_from_data (parser, line, (gssize)length, NULL)
               && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        print_event (ctx, json_node_get_object (json_parser_get_root (parser)));
      fflush (stdout);
    }
  if (error != NULL)
    {
      g_printerr (_ ("hearthctl: the event stream broke: %s\n"), error->message);
      return EXIT_FAILED;
    }
  g_printerr (_ ("hearthctl: the hub ended the event stream (it stopped?)\n"));
  return EXIT_NO_HUB;
}

static int
command_events (Context *ctx)
{
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) answer = NULL;
  JsonArray *events;
  int result;

  if (ctx->follow)
    return command_events_follow (ctx);
  path = g_strdup_printf ("/v1/events?limit=%d", ctx->limit);
  if ((result = request (ctx, "GET", path, NULL, &answer)) != EXIT_OK)
    return result;
  events = json_object_get_array_member (json_node_get_object (answer), "events");
  if (ctx->json)
    {
      print_json (json_object_get_member (json_node_get_object (answer), "events"));
      return EXIT_OK;
    }
  for (guint i = 0; i < json_array_get_length (events); i++)
    print_event (ctx, json_array_get_object_element (events, i));
  return EXIT_OK;
}

static int
command_trust_list (Context *ctx)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *trust;
  JsonArray *list;
  int result;

  if ((result = request (ctx, "GET", "/v1/trust", NULL, &answer)) != EXIT_OK)
    return result;
  if (ctx->json)
    {
      print_json (answer);
      return EXIT_OK;
    }
  trust = json_node_get_object (answer);

  list = json_object_get_array_member (trust, "pending");
  g_print (_ ("Key changes waiting for a decision: %u\n"), json_array_get_length (list));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *change = json_array_get_object_element (list, i);
      g_autofree char *old_fp = display_fingerprint (member_string (change, "old_fingerprint"));
      g_autofree char *new_fp = display_fingerprint (member_string (change, "new_fingerprint"));

      g_print (_ ("  %s%s (from %s, seen %" PRId64 " times)\n"
                  "    pinned key: %s\n"
                  "    new key:    %s\n"),
               member_string (change, "id"),
               json_object_get_boolean_member (change, "rejected") ? _ (" [rejected]") : "",
               member_string (change, "address") ? member_string (change, "address") : "?",
               json_object_get_int_member (change, "count"), old_fp, new_fp);
    }
  if (json_array_get_length (list) > 0)
    g_print (_ ("  Compare the new key with the one the device shows, then: hearthctl trust "
                "approve|reject|block ID\n"));

  list = json_object_get_array_member (trust, "pinned");
  g_print (_ ("Paired devices: %u\n"), json_array_get_length (list));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *pin = json_array_get_object_element (list, i);
      g_autofree char *fingerprint = display_fingerprint (member_string (pin, "fingerprint"));
      const char *area = member_string (pin, "area");

      if (area != NULL)
        g_print ("  %-24s %s  (%s)\n", member_string (pin, "id"), fingerprint, area);
      else
        g_print ("  %-24s %s\n", member_string (pin, "id"), fingerprint);
    }
  list = json_object_get_array_member (trust, "blocked");
  g_print (_ ("Blocked: %u\n"), json_array_get_length (list));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);
      g_autofree char *fingerprint = display_fingerprint (member_string (entry, "fingerprint"));

      g_print ("  %-24s %s\n", member_string (entry, "id") ? member_string (entry, "id") : "*",
               fingerprint);
    }
  list = json_object_get_array_member (trust, "ignored");
  if (json_array_get_length (list) > 0)
    g_print (_ ("Ignored new devices: %u\n"), json_array_get_length (list));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);

      g_print ("  %s\n", member_string (entry, "id"));
    }
  return EXIT_OK;
}

static int
command_trust_decision (Context *ctx, const char *decision, const char *device_id)
{
  g_autofree char *escaped = escape_segment (device_id);
  g_autofree char *path = g_strconcat ("/v1/trust/", escaped, "/", decision, NULL);
  g_autoptr (JsonNode) answer = NULL;
  int result;

  if ((result = request (ctx, "POST", path, NULL, &answer)) != EXIT_OK)
    return result;
  if (ctx->json)
    print_json (answer);
  else if (strcmp (decision, "approve") == 0)
    g_print (_ ("Approved the new key of %s; the hub connects to it again.\n"), device_id);
  else if (strcmp (decision, "reject") == 0)
    g_print (_ ("Rejected the new key of %s; the hub keeps refusing it.\n"), device_id);
  else if (strcmp (decision, "block") == 0)
    g_print (_ ("Blocked %s.\n"), device_id);
  else if (strcmp (decision, "unblock") == 0)
    g_print (_ ("Unblocked %s.\n"), device_id);
  else
    g_print (_ ("Forgot %s.\n"), device_id);
  return EXIT_OK;
}

static int
command_add_address (Context *ctx, const char *address)
{
  g_autoptr (JsonNode) body = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *device;
  g_autofree char *fingerprint = NULL;
  int result;

  json_object_set_string_member (json_node_get_object (body), "address", address);
  if ((result = request (ctx, "POST", "/v1/addresses", body, &answer)) != EXIT_OK)
    return result;
  if (ctx->json)
    {
      print_json (answer);
      return EXIT_OK;
    }
  device = json_node_get_object (answer);
  fingerprint = display_fingerprint (member_string (device, "fingerprint"));
  g_print (_ ("Found %s (“%s”) at %s\n  key fingerprint: %s\n"
              "If the device shows the same fingerprint, pin it with:\n  hearthctl adopt %s %s\n"),
           member_string (device, "id"), member_string (device, "name"), address, fingerprint,
           member_string (device, "id"),
           member_string (device, "fingerprint") ? member_string (device, "fingerprint")
                                                 : "FINGERPRINT");
  return EXIT_OK;
}

static int
command_adopt (Context *ctx, const char *device_id, const char *fingerprint)
{
  g_autofree char *escaped = escape_segment (device_id);
  g_autofree char *path = g_strconcat ("/v1/devices/", escaped, "/adopt", NULL);
  g_autofree char *show_path = g_strconcat ("/v1/devices/", escaped, NULL);
  g_autoptr (JsonNode) body = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autoptr (JsonNode) answer = NULL;
  gint64 deadline;
  int result;

  json_object_set_string_member (json_node_get_object (body), "fingerprint", fingerprint);
  if ((result = request (ctx, "POST", path, body, &answer)) != EXIT_OK)
    return result;
  if (!ctx->wait)
    {
      if (ctx->json)
        print_json (answer);
      else
        g_print (_ ("Pinned %s; the hub connects as soon as it knows the device's address.\n"),
                 device_id);
      return EXIT_OK;
    }

  /* --wait: until the device is online, or says why it is not. */
  deadline = g_get_monotonic_time () + ADOPT_WAIT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (JsonNode) device = NULL;
      const char *state;

      if ((result = request (ctx, "GET", show_path, NULL, &device)) != EXIT_OK)
        return result;
      state = member_string (json_node_get_object (device), "state");
      if (g_strcmp0 (state, "online") == 0)
        {
          if (ctx->json)
            print_json (device);
          else
            g_print (_ ("Pinned %s; it is online.\n"), device_id);
          return EXIT_OK;
        }
      if (g_get_monotonic_time () > deadline)
        {
          const char *problem = member_string (json_node_get_object (device), "problem");

          g_printerr (_ ("hearthctl: pinned %s, but it is not online after %d s (state %s%s%s).\n"
                         "Check that the device lists the hub's key (hearthctl status shows it) "
                         "and that its address is known (hearthctl add-address HOST:PORT).\n"),
                      device_id, ADOPT_WAIT_S, state, problem != NULL ? ": " : "",
                      problem != NULL ? problem : "");
          return EXIT_FAILED;
        }
      g_usleep (100 * 1000);
    }
}

static int
command_rotate_key (Context *ctx)
{
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *rotation;
  JsonArray *devices;
  g_autofree char *fingerprint = NULL;
  guint n_attention = 0;
  int result;

  if ((result = request (ctx, "POST", "/v1/rotate-key", NULL, &answer)) != EXIT_OK)
    return result;
  rotation = json_node_get_object (answer);
  devices = json_object_get_array_member (rotation, "devices");
  for (guint i = 0; i < json_array_get_length (devices); i++)
    if (g_strcmp0 (member_string (json_array_get_object_element (devices, i), "status"), "done")
        != 0)
      n_attention++;
  if (ctx->json)
    {
      print_json (answer);
      return n_attention > 0 ? EXIT_FAILED : EXIT_OK;
    }
  fingerprint = display_fingerprint (member_string (rotation, "fingerprint"));
  g_print (_ ("New hub key fingerprint: %s\n"), fingerprint);
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *entry = json_array_get_object_element (devices, i);

      g_print ("  %-24s %s%s%s\n", member_string (entry, "id"), member_string (entry, "status"),
               member_string (entry, "message") ? ": " : "",
               member_string (entry, "message") ? member_string (entry, "message") : "");
    }
  if (n_attention > 0)
    {
      g_print (_ ("%u device(s) need attention; the hub keeps its previous key for them and "
                  "retries when they come back (see “hearthctl status”).\n"),
               n_attention);
      return EXIT_FAILED;
    }
  g_print (_ ("Every paired device now knows only the new key.\n"));
  return EXIT_OK;
}

/* Puts a paired device in an area, or takes it out of its area when @area is NULL. The area is
 * the user's, kept with the pin on the hub. */
static int
command_area (Context *ctx, const char *device_id, const char *area)
{
  g_autofree char *escaped = escape_segment (device_id);
  g_autofree char *path = g_strconcat ("/v1/devices/", escaped, "/area", NULL);
  g_autoptr (JsonNode) body = json_node_init_object (json_node_alloc (), json_object_new ());
  g_autoptr (JsonNode) answer = NULL;
  const char *stored;
  int result;

  if (area != NULL)
    json_object_set_string_member (json_node_get_object (body), "area", area);
  else
    json_object_set_null_member (json_node_get_object (body), "area");
  if ((result = request (ctx, "PUT", path, body, &answer)) != EXIT_OK)
    return result;
  if (ctx->json)
    {
      print_json (answer);
      return EXIT_OK;
    }
  stored = member_string (json_node_get_object (answer), "area");
  if (stored != NULL)
    g_print (_ ("%s is in the area “%s”\n"), device_id, stored);
  else
    g_print (_ ("%s is in no area\n"), device_id);
  return EXIT_OK;
}

/* ---------------------------------------------------------------------------------------- */

static int
check_arguments (int argc, int wanted_min, int wanted_max, const char *synopsis)
{
  /* argv[0] is the program, argv[1] the command. */
  if (argc - 2 < wanted_min || argc - 2 > wanted_max)
    return usage_error (_ ("usage: hearthctl %s"), synopsis);
  return EXIT_OK;
}

static int
run_command (Context *ctx, int argc, char **argv)
{
  const char *command = argv[1];
  int result;

#define NEED(min, max, synopsis)                                                                   \
  if ((result = check_arguments (argc, min, max, synopsis)) != EXIT_OK)                            \
  return result

  if (strcmp (command, "status") == 0)
    {
      NEED (0, 0, "status");
      return command_status (ctx);
    }
  if (strcmp (command, "devices") == 0)
    {
      NEED (0, 0, "devices [--json]");
      return command_devices (ctx);
    }
  if (strcmp (command, "show") == 0)
    {
      NEED (1, 1, "show ID");
      return command_show (ctx, argv[2]);
    }
  if (strcmp (command, "get") == 0)
    {
      NEED (2, 2, "get ID PROPERTY");
      return command_get (ctx, argv[2], argv[3]);
    }
  if (strcmp (command, "set") == 0)
    {
      NEED (3, 3, "set ID PROPERTY VALUE");
      return command_set (ctx, argv[2], argv[3], argv[4]);
    }
  if (strcmp (command, "call") == 0)
    {
      NEED (2, 3, "call ID ACTION [JSON]");
      return command_call (ctx, argv[2], argv[3], argc > 4 ? argv[4] : NULL);
    }
  if (strcmp (command, "events") == 0)
    {
      NEED (0, 0, "events [--follow] [--limit N]");
      return command_events (ctx);
    }
  if (strcmp (command, "trust") == 0)
    {
      static const char *const decisions[]
          = { "approve", "reject", "block", "unblock", "forget", NULL };

      if (argc == 3 && strcmp (argv[2], "list") == 0)
        return command_trust_list (ctx);
      if (argc == 4 && g_strv_contains (decisions, argv[2]))
        return command_trust_decision (ctx, argv[2], argv[3]);
      return usage_error (_ ("usage: hearthctl trust list|approve ID|reject ID|block ID|"
                             "unblock ID|forget ID"));
    }
  if (strcmp (command, "area") == 0)
    {
      NEED (1, 2, "area ID [AREA]");
      return command_area (ctx, argv[2], argc > 3 ? argv[3] : NULL);
    }
  if (strcmp (command, "add-address") == 0)
    {
      NEED (1, 1, "add-address HOST:PORT");
      return command_add_address (ctx, argv[2]);
    }
  if (strcmp (command, "adopt") == 0)
    {
      NEED (2, 2, "adopt ID FINGERPRINT [--wait]");
      return command_adopt (ctx, argv[2], argv[3]);
    }
  if (strcmp (command, "rotate-key") == 0)
    {
      NEED (0, 0, "rotate-key");
      return command_rotate_key (ctx);
    }
#undef NEED
  return usage_error (_ ("unknown command “%s”"), command);
}

int
main (int argc, char *argv[])
{
  gboolean show_version = FALSE;
  g_autofree char *data_dir = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  Context ctx = { 0 };
  int status;
  const GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_ ("The data directory of the hub to talk to (default ~/.local/share/hearth)"), N_ ("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctx.json, N_ ("Print the hub's answer as JSON"), NULL },
    { "follow", 'f', 0, G_OPTION_ARG_NONE, &ctx.follow,
      N_ ("events: keep printing events as they happen"), NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &ctx.limit, N_ ("events: how many (default 50)"), N_ ("N") },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &ctx.wait,
      N_ ("adopt: wait until the device is online (up to 20 s)"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version, N_ ("Print the version and exit"), NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  ctx.limit = 50;
  context = g_option_context_new (_ ("COMMAND [ARGUMENTS…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (
      context, _ ("Control a running Hearth hub (hearth --headless, or the app) from scripts and "
                  "terminals.\n"
                  "\n"
                  "Commands:\n"
                  "  status                     the hub: key fingerprint, port, devices, problems\n"
                  "  devices [--json]           every device the hub knows, with its state\n"
                  "  show ID                    one device: state, address, key, properties, "
                  "actions\n"
                  "  get ID PROPERTY            read a property from the device\n"
                  "  set ID PROPERTY VALUE      write a property (VALUE is JSON, else a string)\n"
                  "  call ID ACTION [JSON]      run an action with the given input\n"
                  "  events [--follow]          recent events; --follow streams new ones\n"
                  "  trust list                 pinned keys, key changes waiting, blocks\n"
                  "  trust approve|reject|block|unblock|forget ID\n"
                  "  area ID [AREA]             put a paired device in an area (no AREA: none)\n"
                  "  add-address HOST:PORT      add a device that discovery does not find\n"
                  "  adopt ID FINGERPRINT       pin a device by the fingerprint it shows "
                  "(--wait)\n"
                  "  rotate-key                 make a new hub key and move every device to it"));
  g_option_context_set_description (
      context, _ ("Exit status:\n"
                  "  0  done\n"
                  "  1  the operation failed (device unreachable, timeout, rotation incomplete)\n"
                  "  2  usage error: bad command, arguments or value syntax\n"
                  "  3  no hub is running with this data directory\n"
                  "  4  not found: no such device, property, action or pending change\n"
                  "  5  refused by the device (its logic, an invalid value, read-only, or it "
                  "does not list the hub's key)\n"
                  "  6  the device is not trusted (not paired, key changed, or blocked)\n"
                  "  7  permission denied: the hub belongs to another user\n"
                  "\n"
                  "See docs/cli.md for the control socket's JSON API."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hearthctl: %s\n", error->message);
      g_printerr (_ ("Run “hearthctl --help” to see the commands.\n"));
      return EXIT_USAGE;
    }

  if (show_version)
    {
      g_print ("hearthctl %s\n", hearth_get_version ());
      return EXIT_OK;
    }
  if (argc < 2)
    return usage_error (_ ("no command given"));
  if (ctx.limit < 1 || ctx.limit > 10000)
    return usage_error (_ ("--limit must be from 1 to 10000"));

  ctx.data_dir = data_dir != NULL ? g_strdup (data_dir) : hearth_hub_dup_default_data_dir ();
  ctx.socket_path = hearth_control_socket_path (ctx.data_dir);
  address = g_unix_socket_address_new (ctx.socket_path);
  ctx.session = soup_session_new_with_options ("remote-connectable", address, "timeout",
                                               REQUEST_TIMEOUT_S, NULL);
  status = run_command (&ctx, argc, argv);
  g_clear_object (&ctx.session);
  g_free (ctx.data_dir);
  g_free (ctx.socket_path);
  return status;
}
