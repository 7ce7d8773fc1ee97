/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-description"

#include "core-test-utils.h"
#include "hearth-description.h"
#include "hearth-error.h"
#include "hearth-notify-body.h"

/* Every description the simulator's profiles serve (the golden vectors) must parse. */
static void
test_golden_descriptions (void)
{
  g_autofree char *dir_path = core_test_data_path ("protocol/descriptions");
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *text = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (HearthDescription) description = NULL;
      gsize length;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      g_assert_true (g_file_get_contents (path, &text, &length, NULL));
      description = hearth_description_parse (text, length, &error);
      g_assert_no_error (error);
      g_assert_nonnull (description);
      g_assert_cmpuint (hearth_description_get_n_properties (description), >, 0);
      /* The golden descriptions use nothing this hub does not know. */
      g_assert_null (hearth_description_get_unsupported (description)[0]);
      n++;
    }
  g_assert_cmpuint (n, >=, 7);
}

static void
test_light_model (void)
{
  g_autofree char *path = core_test_data_path ("protocol/descriptions/light.json");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description = NULL;
  const HearthSchema *brightness;
  const HearthActionInfo *blink;
  gsize length;

  g_assert_true (g_file_get_contents (path, &text, &length, NULL));
  description = hearth_description_parse (text, length, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hearth_description_get_id (description), ==, "sim-0000000000000000");
  g_assert_cmpstr (hearth_description_get_name (description), ==, "Light");
  g_assert_cmpstr (hearth_description_get_icon (description), ==, "light");
  g_assert_cmpstr (hearth_description_get_primary (description), ==, "on");
  g_assert_cmpuint (hearth_description_get_n_properties (description), ==, 3);

  brightness = hearth_description_lookup_property (description, "brightness");
  g_assert_nonnull (brightness);
  g_assert_cmpint (brightness->type, ==, HEARTH_VALUE_TYPE_INTEGER);
  g_assert_true (brightness->has_minimum && brightness->minimum == 1);
  g_assert_true (brightness->has_maximum && brightness->maximum == 100);
  g_assert_true (brightness->has_step && brightness->step == 1);
  g_assert_cmpstr (brightness->unit, ==, "%");
  g_assert_cmpint (brightness->widget, ==, HEARTH_WIDGET_HINT_SLIDER);
  g_assert_false (brightness->read_only);
  g_assert_cmpstr (hearth_description_lookup_property (description, "colour-temperature")->group,
                   ==, "Colour");

  blink = hearth_description_lookup_action (description, "blink");
  g_assert_nonnull (blink);
  g_assert_nonnull (blink->input);
  g_assert_cmpint (blink->input->type, ==, HEARTH_VALUE_TYPE_OBJECT);
  g_assert_cmpuint (blink->input->fields->len, ==, 1);
  g_assert_cmpstr (blink->input->required[0], ==, "times");

  /* Values are checked against the schema. */
  {
    g_autoptr (JsonNode) ok = json_from_string ("50", NULL);
    g_autoptr (JsonNode) high = json_from_string ("140", NULL);
    g_autoptr (JsonNode) fraction = json_from_string ("5.5", NULL);
    g_autoptr (JsonNode) text_value = json_from_string ("\"5\"", NULL);
    g_autoptr (JsonNode) input_ok = json_from_string ("{\"times\": 3}", NULL);
    g_autoptr (JsonNode) input_extra = json_from_string ("{\"times\": 3, \"x\": 1}", NULL);
    g_autoptr (JsonNode) input_missing = json_from_string ("{}", NULL);

    g_assert_true (hearth_schema_check_value (brightness, ok, NULL));
    g_assert_false (hearth_schema_check_value (brightness, high, &error));
    g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "above the maximum 100"));
    g_clear_error (&error);
    g_assert_false (hearth_schema_check_value (brightness, fraction, NULL));
    g_assert_false (hearth_schema_check_value (brightness, text_value, NULL));
    g_assert_true (hearth_schema_check_value (blink->input, input_ok, NULL));
    g_assert_false (hearth_schema_check_value (blink->input, input_extra, NULL));
    g_assert_false (hearth_schema_check_value (blink->input, input_missing, NULL));
  }
}

#define BASE_START "{\"iotscp\":2,\"id\":\"dev-1\",\"name\":\"D\",\"properties\":{"

typedef struct
{
  const char *label;
  const char *json;
} Case;

/* Each breaks exactly one rule of docs/protocol.md §4. */
static const Case malformed[] = {
  { "not an object", "[]" },
  { "not JSON", "{\"iotscp\":2," },
  { "empty", "" },
  { "version 1", "{\"iotscp\":1,\"id\":\"a\",\"name\":\"D\",\"properties\":{}}" },
  { "version as string", "{\"iotscp\":\"2\",\"id\":\"a\",\"name\":\"D\",\"properties\":{}}" },
  { "no id", "{\"iotscp\":2,\"name\":\"D\",\"properties\":{}}" },
  { "upper-case id", "{\"iotscp\":2,\"id\":\"Dev\",\"name\":\"D\",\"properties\":{}}" },
  { "empty name", "{\"iotscp\":2,\"id\":\"a\",\"name\":\"\",\"properties\":{}}" },
  { "name with newline", "{\"iotscp\":2,\"id\":\"a\",\"name\":\"a\\nb\",\"properties\":{}}" },
  { "no properties", "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\"}" },
  { "properties an array", "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"properties\":[]}" },
  { "property without type", BASE_START "\"p\":{}}}" },
  { "min above max", BASE_START "\"p\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}}}" },
  { "fractional integer bound", BASE_START "\"p\":{\"type\":\"integer\",\"minimum\":0.5}}}" },
  { "zero step", BASE_START "\"p\":{\"type\":\"number\",\"step\":0}}}" },
  { "unit on string", BASE_START "\"p\":{\"type\":\"string\",\"unit\":\"K\"}}}" },
  { "minimum on boolean", BASE_START "\"p\":{\"type\":\"boolean\",\"minimum\":0}}}" },
  { "enum out of range", BASE_START "\"p\":{\"type\":\"integer\",\"maximum\":3,\"enum\":[1,9]}}}" },
  { "enum duplicate", BASE_START "\"p\":{\"type\":\"string\",\"enum\":[\"a\",\"a\"]}}}" },
  { "enum empty", BASE_START "\"p\":{\"type\":\"string\",\"enum\":[]}}}" },
  { "readOnly not boolean", BASE_START "\"p\":{\"type\":\"boolean\",\"readOnly\":1}}}" },
  { "name with slash", BASE_START "\"a/b\":{\"type\":\"boolean\"}}}" },
  { "name with space at end", BASE_START "\"ab \":{\"type\":\"boolean\"}}}" },
  { "name too long", BASE_START "\"abcdefghijabcdefghijabcdefghijabc\":{\"type\":\"boolean\"}}}" },
  { "primary unknown",
    "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"properties\":{},\"ui\":{\"primary\":\"x\"}}" },
  { "required names unknown field",
    "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"properties\":{},\"actions\":{\"go\":{\"input\":"
    "{\"type\":\"object\",\"properties\":{},\"required\":[\"x\"]}}}}" },
  { "input not an object schema",
    "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"properties\":{},\"actions\":{\"go\":{\"input\":"
    "{\"type\":\"integer\"}}}}" },
  { "title too long",
    BASE_START "\"p\":{\"type\":\"boolean\",\"title\":\"0123456789012345678901234567890123456789"
               "01234567890123456789012345\"}}}" },
};

static void
test_malformed (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (HearthDescription) description
          = hearth_description_parse (malformed[i].json, strlen (malformed[i].json), &error);

      if (description != NULL)
        g_error ("“%s” was accepted", malformed[i].label);
      g_assert_nonnull (error);
      g_assert_true (error->domain == HEARTH_ERROR);
    }
}

static void
test_limits (void)
{
  g_autoptr (GString) deep = g_string_new (BASE_START "\"p\":{\"type\":\"boolean\",\"x\":");
  g_autoptr (GString) many
      = g_string_new ("{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"properties\":{");
  g_autoptr (GString) huge = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description = NULL;

  /* Deep nesting is refused before json-glib recurses into it. */
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  description = hearth_description_parse (deep->str, deep->len, &error);
  g_assert_null (description);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* 65 properties: one more than allowed. */
  for (int i = 0; i < 65; i++)
    g_string_append_printf (many, "%s\"p%d\":{\"type\":\"boolean\"}", i > 0 ? "," : "", i);
  g_string_append (many, "}}");
  description = hearth_description_parse (many->str, many->len, &error);
  g_assert_null (description);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Over 64 KiB, whatever it contains. */
  g_string_append (huge, "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"properties\":{},\"x\":\"");
  while (huge->len <= HEARTH_DESCRIPTION_MAX_BYTES)
    g_string_append (huge, "0123456789");
  g_string_append (huge, "\"}");
  description = hearth_description_parse (huge->str, huge->len, &error);
  g_assert_null (description);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* A NUL byte inside. */
  description = hearth_description_parse ("{\"iotscp\":2\0}", 13, &error);
  g_assert_null (description);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
}

/* Unknown members and types are kept as "unsupported" entries, never a failure (§4.6). */
static void
test_unsupported (void)
{
  const char *json = "{\"iotscp\":2,\"id\":\"a\",\"name\":\"D\",\"future\":1,\"ui\":{\"icon\":"
                     "\"rocket\"},\"properties\":{\"list\":{\"type\":\"array\",\"items\":{}},"
                     "\"on\":{\"type\":\"boolean\",\"glow\":true,\"ui\":{\"widget\":\"knob\"}}}}";
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description
      = hearth_description_parse (json, strlen (json), &error);
  const char *const *unsupported;
  const HearthSchema *list;
  g_autoptr (JsonNode) value = json_from_string ("[1]", NULL);

  g_assert_no_error (error);
  unsupported = hearth_description_get_unsupported (description);
  g_assert_cmpuint (g_strv_length ((GStrv)unsupported), ==, 5);
  g_assert_cmpstr (hearth_description_get_icon (description), ==, "generic");
  list = hearth_description_lookup_property (description, "list");
  g_assert_cmpint (list->type, ==, HEARTH_VALUE_TYPE_UNSUPPORTED);
  g_assert_cmpstr (list->type_name, ==, "array");
  g_assert_true (list->read_only);
  g_assert_false (hearth_schema_check_value (list, value, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_SUPPORTED);
  g_assert_cmpint (hearth_description_lookup_property (description, "on")->widget, ==,
                   HEARTH_WIDGET_HINT_NONE);
}

static void
test_notify_body (void)
{
  g_autofree char *path = core_test_data_path ("protocol/messages/notify.request.http");
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  const char *body;
  HearthNotifyEntry *entry;
  static const char *const bad[] = {
    "",
    "[]",
    "{}",
    "{\"events\":{}}",
    "{\"events\":[1]}",
    "{\"events\":[{\"kind\":\"x\",\"name\":\"a\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"property\",\"name\":\"a\",\"value\":{},\"t\":1}]}",
    "{\"events\":[{\"kind\":\"event\",\"name\":\"a/b\",\"t\":1}]}",
    "{\"events\":[{\"kind\":\"event\",\"name\":\"a\",\"t\":-1}]}",
    "{\"events\":[{\"kind\":\"event\",\"name\":\"a\",\"t\":1.5}]}",
    "{\"events\":[{\"kind\":\"event\",\"name\":\"a\"}]}",
  };

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  body = strstr (text, "\r\n\r\n");
  g_assert_nonnull (body);
  body += 4;
  entries = hearth_notify_body_parse (body, strlen (body), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 4);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpint (entry->kind, ==, HEARTH_NOTIFY_ENTRY_EVENT);
  g_assert_cmpstr (entry->name, ==, "key");
  g_assert_cmpint (entry->device_time_ms, ==, 5123004);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (entry->value), "key"), ==, 40);
  entry = g_ptr_array_index (entries, 1);
  g_assert_cmpint (entry->kind, ==, HEARTH_NOTIFY_ENTRY_PROPERTY);
  g_assert_cmpint (json_node_get_int (entry->value), ==, 1);
  g_clear_pointer (&entries, g_ptr_array_unref);

  entries = hearth_notify_body_parse ("{\"events\":[]}", 13, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GPtrArray) rejected = hearth_notify_body_parse (bad[i], strlen (bad[i]), &error);

      if (rejected != NULL)
        g_error ("NOTIFY body %s was accepted", bad[i]);
      g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }

  {
    g_autoptr (GString) many = g_string_new ("{\"events\":[");
    g_autoptr (GPtrArray) rejected = NULL;

    for (int i = 0; i < 65; i++)
      g_string_append_printf (many, "%s{\"kind\":\"event\",\"name\":\"e\",\"t\":%d}", i ? "," : "",
                              i);
    g_string_append (many, "]}");
    rejected = hearth_notify_body_parse (many->str, many->len, &error);
    g_assert_null (rejected);
    g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/description/golden", test_golden_descriptions);
  g_test_add_func ("/description/light-model", test_light_model);
  g_test_add_func ("/description/malformed", test_malformed);
  g_test_add_func ("/description/limits", test_limits);
  g_test_add_func ("/description/unsupported", test_unsupported);
  g_test_add_func ("/notify-body/parse", test_notify_body);
  return g_test_run ();
}
