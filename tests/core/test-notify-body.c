/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-notify-body"

#include <string.h>

#include "core-test-utils.h"
#include "hearth-description.h"
#include "hearth-error.h"
#include "hearth-notify-body.h"

/* The NOTIFY body parser is a hand-written single-pass parser (for speed). These tests hold it
 * to json-glib's reading of the same text: the reference below is the earlier json-glib based
 * parser, and every body, valid or mutated, must be accepted or refused by both alike, with the
 * same entries when accepted. The differences that are on purpose are tested separately. */

static gboolean
reference_entry (JsonNode *node, HearthNotifyEntry *entry)
{
  JsonObject *object;
  JsonNode *member;
  const char *kind;
  const char *value_member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  member = json_object_get_member (object, "kind");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING)
    return FALSE;
  kind = json_node_get_string (member);
  if (g_str_equal (kind, "property"))
    {
      entry->kind = HEARTH_NOTIFY_ENTRY_PROPERTY;
      value_member = "value";
    }
  else if (g_str_equal (kind, "event"))
    {
      entry->kind = HEARTH_NOTIFY_ENTRY_EVENT;
      value_member = "data";
    }
  else
    return FALSE;

  member = json_object_get_member (object, "name");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING
      || !hearth_description_name_is_valid (json_node_get_string (member)))
    return FALSE;
  entry->name = g_strdup (json_node_get_string (member));

  member = json_object_get_member (object, value_member);
  if (member == NULL)
    {
      if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY)
        return FALSE;
      entry->value = json_node_new (JSON_NODE_NULL);
    }
  else if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY && !JSON_NODE_HOLDS_VALUE (member))
    return FALSE;
  else
    entry->value = json_node_copy (member);

  member = json_object_get_member (object, "t");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_INT64 || json_node_get_int (member) < 0)
    return FALSE;
  entry->device_time_ms = json_node_get_int (member);
  return TRUE;
}

static GPtrArray *
reference_parse (const char *data, gsize length)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  JsonNode *root;
  JsonNode *events;
  JsonArray *array;

  if (length > HEARTH_NOTIFY_BODY_MAX_BYTES
      || !hearth_json_check_limits (data, length, HEARTH_NOTIFY_BODY_MAX_DEPTH,
                                    HEARTH_NOTIFY_BODY_MAX_TOKENS, NULL))
    return NULL;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize)length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || (events = json_object_get_member (json_node_get_object (root), "events")) == NULL
      || !JSON_NODE_HOLDS_ARRAY (events))
    return NULL;
  array = json_node_get_array (events);
  if (json_array_get_length (array) > HEARTH_NOTIFY_BODY_MAX_ENTRIES)
    return NULL;
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_notify_entry_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      HearthNotifyEntry *entry = g_new0 (HearthNotifyEntry, 1);

      g_ptr_array_add (entries, entry);
      if (!reference_entry (json_array_get_element (array, i), entry))
        return NULL;
    }
  return g_steal_pointer (&entries);
}

/* Parses @body with both and checks they agree; returns whether it was accepted. */
static gboolean
check_same (const char *body, gsize length)
{
  g_autoptr (GPtrArray) expected = reference_parse (body, length);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = hearth_notify_body_parse (body, length, &error);
  g_autofree char *shown = g_strndup (body, length);

  /* An entry that repeats a member, and text after the body (json-glib ignores it), are refused
   * on purpose (test_refused). */
  if (expected != NULL && entries == NULL
      && (strstr (error->message, "more than once") != NULL
          || strstr (error->message, "text after the body") != NULL))
    return FALSE;
  if ((expected == NULL) != (entries == NULL))
    g_error ("json-glib %s but the parser %s: %s", expected ? "accepts" : "refuses",
             entries ? "accepts" : "refuses", shown);
  if (entries == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == HEARTH_ERROR);
      g_assert_true (error->code == HEARTH_ERROR_INVALID_DATA
                     || error->code == HEARTH_ERROR_TOO_LARGE);
      return FALSE;
    }

  g_assert_cmpuint (entries->len, ==, expected->len);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthNotifyEntry *a = g_ptr_array_index (entries, i);
      HearthNotifyEntry *b = g_ptr_array_index (expected, i);

      g_assert_cmpint (a->kind, ==, b->kind);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->device_time_ms, ==, b->device_time_ms);
      if (!json_node_equal (a->value, b->value))
        g_error ("entry %u differs: %s", i, shown);
      g_assert_true (json_node_is_immutable (a->value));
    }
  return TRUE;
}

static const char *const valid_bodies[] = {
  "{\"events\":[]}",
  " { \"events\" : [ ] } \n",
  "{\"events\":[{\"kind\":\"property\",\"name\":\"temperature\",\"value\":21.5,\"t\":1234}]}",
  "{\"events\":[{\"kind\":\"event\",\"name\":\"key\",\"data\":{\"key\":40,\"state\":\"down\","
  "\"velocity\":90},\"t\":5123004},{\"kind\":\"property\",\"name\":\"pressed\",\"value\":1,\"t\":"
  "5123004}]}",
  "{\"other\":[1,{\"a\":null}],\"events\":[{\"t\":0,\"value\":true,\"name\":\"on\",\"kind\":"
  "\"property\",\"extra\":[]}]}",
  "{\"events\":[{\"kind\":\"event\",\"name\":\"motion\",\"t\":7}]}",
  "{\"events\":[{\"kind\":\"event\",\"name\":\"x\",\"data\":[1,2.5e3,-0.25,\"s\",false,null],"
  "\"t\":9}]}",
  "{\"events\":[{\"kind\":\"property\",\"name\":\"label\",\"value\":\"K\\u00fcche \\u2600 "
  "\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\"t\":1}]}",
  "{\"events\":[{\"kind\":\"property\",\"name\":\"Küche ☀\",\"value\":-9223372036854775808,"
  "\"t\":9223372036854775807}]}",
  "{\"events\":[{\"kind\":\"property\",\"name\":\"e\",\"value\":1E-3,\"t\":1},{\"kind\":"
  "\"property\",\"name\":\"e\",\"value\":-0,\"t\":2}]}",
};

static void
test_same_as_json_glib (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (valid_bodies); i++)
    if (!check_same (valid_bodies[i], strlen (valid_bodies[i])))
      g_error ("not accepted: %s", valid_bodies[i]);
}

/* json-glib 1.6 is lenient where RFC 8259 is not: it reads numbers with a leading zero or plus,
 * a point without digits on one side, white space after the minus, or an exponent that overflows
 * to infinity; comments; and unknown escapes such as \\s (as the letter). The parser refuses
 * all of these; mutated bodies that contain them are left out of the comparison. */
static gboolean
has_lenient_number (const char *body)
{
  static GRegex *lenient;

  if (g_once_init_enter (&lenient))
    g_once_init_leave (&lenient,
                       g_regex_new ("(^|[^0-9.eE+-])-?0[0-9]|[0-9]\\.([^0-9]|$)|[0-9]{19,}"
                                    "|(^|[^0-9])\\.|(^|[^eE])\\+|[eE][+-]?[0-9]{3,}"
                                    "|\\\\[^\"\\\\/bfnrtu]|(^|[^\\\\])/|-[^0-9]",
                                    G_REGEX_OPTIMIZE, 0, NULL));
  return g_regex_match (lenient, body, 0, NULL);
}

/* Random edits of valid bodies (a byte replaced, inserted or removed, from the characters that
 * matter to JSON) are read alike by both parsers. */
static void
test_mutations (void)
{
  static const char alphabet[] = "{}[]\",:0123456789-+.eEtrufalsn \\kindvalue";
  guint accepted = 0, refused = 0;

  for (guint round = 0; round < 40000; round++)
    {
      const char *base = valid_bodies[g_test_rand_int_range (0, G_N_ELEMENTS (valid_bodies))];
      g_autoptr (GString) body = g_string_new (base);
      guint edits = (guint)g_test_rand_int_range (1, 4);

      for (guint e = 0; e < edits && body->len > 0; e++)
        {
          gsize at = (gsize)g_test_rand_int_range (0, (gint32)body->len);
          char c = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];

          switch (g_test_rand_int_range (0, 3))
            {
              case 0:
                body->str[at] = c;
                break;
              case 1:
                g_string_insert_c (body, (gssize)at, c);
                break;
              default:
                g_string_erase (body, (gssize)at, 1);
                break;
            }
        }
      /* Edits that could split a multi-byte character or make an escape that the parser
       * refuses on purpose (tested below) are left out. */
      if (!g_utf8_validate_len (body->str, body->len, NULL) || strstr (body->str, "\\u") != NULL
          || has_lenient_number (body->str))
        continue;
      if (check_same (body->str, body->len))
        accepted++;
      else
        refused++;
    }
  g_test_message ("%u mutated bodies accepted, %u refused", accepted, refused);
  g_assert_cmpuint (accepted, >, 100);
  g_assert_cmpuint (refused, >, 100);
}

/* What the parser refuses on purpose, although json-glib would read something: an entry that
 * repeats a member (json-glib keeps the last, so two readers could disagree on what the device
 * said), a NUL or a lone surrogate in a string (not representable as C text), a number that
 * overflows a double, and text after the body. Limits keep their error code. */
static void
test_refused (void)
{
  static const char *const bad[] = {
    "{\"events\":[{\"kind\":\"event\",\"kind\":\"property\",\"name\":\"a\",\"value\":1,\"t\":1}]}",
    "{\"events\":[{\"kind\":\"event\",\"name\":\"a\",\"t\":1,\"t\":2}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":1,\"value\":2,\"t\":1}]}",
    "{\"events\":[],\"events\":[]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":\"x\\u0000y\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":\"\\ud800\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":\"\\udc00x\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":1e999,\"t\":1}]}",
    "{\"events\":[]} x",
    "{\"events\":[]}{}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":01,\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":1.,\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":tru,\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":1,\"t\":1},]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":\"\x01\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":\"\\x\",\"t\":1}]}",
  };
  g_autoptr (GString) deep
      = g_string_new ("{\"events\":[{\"kind\":\"event\",\"name\":\"a\",\"t\":1,"
                      "\"data\":");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rejected = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GPtrArray) entries = hearth_notify_body_parse (bad[i], strlen (bad[i]), &error);

      if (entries != NULL)
        g_error ("accepted: %s", bad[i]);
      g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }

  for (int i = 0; i < 20; i++)
    g_string_append_c (deep, '[');
  for (int i = 0; i < 20; i++)
    g_string_append_c (deep, ']');
  g_string_append (deep, "}]}");
  rejected = hearth_notify_body_parse (deep->str, deep->len, &error);
  g_assert_null (rejected);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
}

/* Integers beyond 64 bits are doubles, not wrapped around as json-glib 1.6 does
 * (18446744073709551616 would read as -1). */
static void
test_numbers (void)
{
  static const char body[] = "{\"events\":[{\"kind\":\"property\",\"name\":\"big\",\"value\":"
                             "18446744073709551616,\"t\":1},{\"kind\":\"property\",\"name\":"
                             "\"small\",\"value\":-9223372036854775808,\"t\":2}]}";
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries = hearth_notify_body_parse (body, strlen (body), &error);
  HearthNotifyEntry *entry;

  g_assert_no_error (error);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpint (json_node_get_value_type (entry->value), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (entry->value), ==, 18446744073709551616.0);
  entry = g_ptr_array_index (entries, 1);
  g_assert_cmpint (json_node_get_value_type (entry->value), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_int (entry->value), ==, G_MININT64);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/notify-body/same-as-json-glib", test_same_as_json_glib);
  g_test_add_func ("/notify-body/mutations", test_mutations);
  g_test_add_func ("/notify-body/refused", test_refused);
  g_test_add_func ("/notify-body/numbers", test_numbers);
  return g_test_run ();
}
