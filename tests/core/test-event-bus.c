/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-event-bus"

#include "core-test-utils.h"
#include "hearth-event-bus.h"

typedef struct
{
  char *dir;
  HearthHistory *history;
  HearthEventBus *bus;
  GPtrArray *seen;
} Fixture;

static void
on_event (HearthEventBus *bus, HearthEvent *event, Fixture *fixture)
{
  g_ptr_array_add (fixture->seen, hearth_event_ref (event));
}

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = core_test_make_temp_dir ();
  fixture->history = hearth_history_new (fixture->dir, NULL, &error);
  g_assert_no_error (error);
  fixture->bus = hearth_event_bus_new ();
  fixture->seen = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_event_unref);
  g_signal_connect (fixture->bus, "event", G_CALLBACK (on_event), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->bus);
  g_clear_object (&fixture->history);
  g_clear_pointer (&fixture->seen, g_ptr_array_unref);
  core_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static void
publish (Fixture *fixture, HearthEventKind kind, const char *name, const char *json)
{
  g_autoptr (JsonNode) value = json != NULL ? json_from_string (json, NULL) : NULL;
  g_autoptr (HearthEvent) event
      = hearth_event_new (kind, HEARTH_EVENT_SOURCE_NOTIFY, "dev-1", name, value, 5);

  hearth_event_bus_publish (fixture->bus, event);
}

/* Consumers see every event once, in order, and cannot change them. */
static void
test_order (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (JsonNode) value = json_from_string ("{\"key\": 1}", NULL);
  g_autoptr (HearthEvent) event = hearth_event_new (
      HEARTH_EVENT_DEVICE_EVENT, HEARTH_EVENT_SOURCE_NOTIFY, "dev-1", "key", value, 77);

  for (int i = 0; i < 100; i++)
    {
      g_autofree char *json = g_strdup_printf ("%d", i);

      publish (fixture, HEARTH_EVENT_PROPERTY_CHANGED, "level", json);
    }
  g_assert_cmpuint (fixture->seen->len, ==, 100);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (
        json_node_get_int (hearth_event_get_value (g_ptr_array_index (fixture->seen, i))), ==, i);
  g_assert_cmpuint (hearth_event_bus_get_n_published (fixture->bus), ==, 100);

  /* The event holds a sealed copy: changing the caller's node changes nothing. */
  json_object_set_int_member (json_node_get_object (value), "key", 2);
  g_assert_true (json_node_is_immutable (hearth_event_get_value (event)));
  g_assert_cmpint (
      json_object_get_int_member (json_node_get_object (hearth_event_get_value (event)), "key"), ==,
      1);
  g_assert_cmpint (hearth_event_get_device_time_ms (event), ==, 77);
  g_assert_cmpstr (hearth_event_kind_to_string (HEARTH_EVENT_DEVICE_OFFLINE), ==, "offline");
}

/* The history helper records events and numeric property samples from the bus. */
static void
test_history (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GArray) samples = NULL;
  gulong handler = hearth_event_bus_attach_history (fixture->bus, fixture->history);

  g_assert_cmpuint (handler, >, 0);
  publish (fixture, HEARTH_EVENT_PROPERTY_CHANGED, "brightness", "40");
  publish (fixture, HEARTH_EVENT_PROPERTY_CHANGED, "on", "true");
  publish (fixture, HEARTH_EVENT_PROPERTY_CHANGED, "mode", "\"eco\"");
  publish (fixture, HEARTH_EVENT_DEVICE_EVENT, "key", "{\"key\":60,\"state\":\"down\"}");
  publish (fixture, HEARTH_EVENT_DEVICE_OFFLINE, NULL, NULL);

  events = hearth_history_query_events (fixture->history, "dev-1", NULL, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 5);
  /* Numbers are stored as numbers and read back as the text the bus would have written. */
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 4))->data, ==, "40");
  /* Newest first. */
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 0))->kind, ==, "offline");
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->kind, ==, "event");
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 1))->data, ==,
                   "{\"key\":60,\"state\":\"down\"}");
  g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (events, 4))->name, ==, "brightness");

  samples = hearth_history_query_samples (fixture->history, "dev-1", "brightness", 0, G_MAXINT64,
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpuint (samples->len, ==, 1);
  g_assert_cmpfloat (g_array_index (samples, HearthHistoryPoint, 0).value, ==, 40.0);
  g_clear_pointer (&samples, g_array_unref);
  samples = hearth_history_query_samples (fixture->history, "dev-1", "on", 0, G_MAXINT64, &error);
  g_assert_cmpuint (samples->len, ==, 1);
  g_assert_cmpfloat (g_array_index (samples, HearthHistoryPoint, 0).value, ==, 1.0);
  g_clear_pointer (&samples, g_array_unref);
  samples = hearth_history_query_samples (fixture->history, "dev-1", "mode", 0, G_MAXINT64, &error);
  g_assert_cmpuint (samples->len, ==, 0);

  /* Doubles, including whole ones, keep their shortest text: the text read back is the one
   * hearth_event_format_value_json() gives the same event. */
  {
    static const char *const numbers[]
        = { "21.3", "21.0", "-0.5", "1e300", "0.1", "9007199254740993", "-42" };

    for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
      {
        g_autoptr (GPtrArray) latest = NULL;
        g_autoptr (JsonNode) value = json_from_string (numbers[i], NULL);
        g_autoptr (HearthEvent) event = hearth_event_new (
            HEARTH_EVENT_PROPERTY_CHANGED, HEARTH_EVENT_SOURCE_NOTIFY, "dev-1", "level", value, 5);
        char short_text[64];
        g_autofree char *long_text = NULL;
        const char *expected
            = hearth_event_format_value_json (event, short_text, sizeof short_text, &long_text);

        hearth_event_bus_publish (fixture->bus, event);
        latest = hearth_history_query_events (fixture->history, "dev-1", "property", 0, 1, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (latest->len, ==, 1);
        g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (latest, 0))->name, ==, "level");
        g_assert_cmpstr (((HearthHistoryEvent *)g_ptr_array_index (latest, 0))->data, ==, expected);
        if (i == 0)
          g_assert_cmpstr (expected, ==, "21.3");
      }
  }

  /* Disconnected: nothing more is recorded. */
  g_signal_handler_disconnect (fixture->bus, handler);
  publish (fixture, HEARTH_EVENT_DEVICE_ONLINE, NULL, NULL);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = hearth_history_query_events (fixture->history, "dev-1", NULL, 0, 100, &error);
  g_assert_cmpuint (events->len, ==, 5 + 7);
}

/* The allocation-free JSON text that history stores is the same text json-glib writes, for
 * every kind of value, including those that need the generator (escapes, containers, long
 * strings) and doubles that look like integers. */
static void
test_value_json (void)
{
  static const char *const values[] = {
    "null",
    "true",
    "false",
    "0",
    "-42",
    "9223372036854775807",
    "21.5",
    "0.1",
    "3.0",
    "-0.0",
    "1e300",
    "1.5e-7",
    "123456789.125",
    "\"\"",
    "\"plain\"",
    "\"K\u00fcche \u2600\"",
    "\"quote \\\" inside\"",
    "\"back\\\\slash\"",
    "\"tab\\tnewline\\n\"",
    "\"\\u007f\"",
    "\"a string far too long for the short buffer of sixty-four bytes that is used here\"",
    "{\"key\":40,\"state\":\"down\"}",
    "[1,2.5,\"x\"]",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) value = json_from_string (values[i], &error);
      g_autoptr (HearthEvent) event = NULL;
      g_autofree char *expected = NULL;
      g_autofree char *allocated = NULL;
      char buffer[64];
      const char *text;

      g_assert_no_error (error);
      event = hearth_event_new (HEARTH_EVENT_PROPERTY_CHANGED, HEARTH_EVENT_SOURCE_NOTIFY, "dev-1",
                                "p", value, 1);
      /* json-glib's text is the reference for everything but doubles. */
      expected = json_to_string (value, FALSE);
      text = hearth_event_format_value_json (event, buffer, sizeof buffer, &allocated);
      {
        g_autofree char *duplicate = hearth_event_dup_value_json (event);

        g_assert_cmpstr (duplicate, ==, text);
      }
      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_DOUBLE)
        /* Doubles differ from json-glib's 17 digits on purpose; both read back the same. */
        g_assert_cmpfloat (g_ascii_strtod (text, NULL), ==, json_node_get_double (value));
      else
        g_assert_cmpstr (text, ==, expected);
      g_assert_true (text == buffer || text == allocated);
    }

  /* The shortest text that reads back as the same double: what the device sent, for the
   * numbers devices send, not json-glib's "21.300000000000001". */
  {
    static const char *const doubles[][2] = {
      { "21.3", "21.3" },
      { "0.1", "0.1" },
      { "3.0", "3.0" },
      { "-0.0", "-0.0" },
      { "1e300", "1e+300" },
      { "1.5e-7", "1.5e-07" },
      { "0.3", "0.3" },
      { "123456789.125", "123456789.125" },
      { "0.30000000000000004", "0.30000000000000004" },
      { "100.0", "100.0" },
      { "-42.0", "-42.0" },
      { "1e14", "100000000000000.0" },
      { "1e15", "1e+15" },
      { "1e300", "1e+300" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (doubles); i++)
      {
        g_autoptr (JsonNode) value = json_from_string (doubles[i][0], NULL);
        g_autoptr (HearthEvent) event = hearth_event_new (
            HEARTH_EVENT_PROPERTY_CHANGED, HEARTH_EVENT_SOURCE_NOTIFY, "dev-1", "p", value, 1);
        g_autofree char *allocated = NULL;
        char buffer[64];

        g_assert_cmpstr (hearth_event_format_value_json (event, buffer, sizeof buffer, &allocated),
                         ==, doubles[i][1]);
      }
  }

  /* Doubles inside objects and arrays get their shortest text too, and the text reads back as
   * the same value (member order is not kept by every copy of a value, and means nothing in
   * JSON, so the check is by parts). */
  {
    static const char *const containers[][3] = {
      { "{\"t\":21.3,\"list\":[0.1,2.5,-0.0,3.0],\"n\":null}", "\"t\":21.3",
        "\"list\":[0.1,2.5,-0.0,3.0]" },
      { "[{\"a\":0.30000000000000004},{\"b\":1e300}]", "[{\"a\":0.30000000000000004},",
        "{\"b\":1e+300}]" },
      { "{\"s\":\"tab\\tquote\\\" \\u007f K\u00fcche\"}",
        "{\"s\":\"tab\\tquote\\\" \\u007f K\u00fcche\"}", "" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (containers); i++)
      {
        g_autoptr (JsonNode) value = json_from_string (containers[i][0], NULL);
        g_autoptr (HearthEvent) event = hearth_event_new (
            HEARTH_EVENT_PROPERTY_CHANGED, HEARTH_EVENT_SOURCE_NOTIFY, "dev-1", "p", value, 1);
        g_autofree char *text = hearth_event_dup_value_json (event);
        g_autoptr (JsonNode) reread = json_from_string (text, NULL);

        g_assert_nonnull (strstr (text, containers[i][1]));
        g_assert_nonnull (strstr (text, containers[i][2]));
        g_assert_null (strstr (text, "00000000001")); /* json-glib: 21.300000000000001 */
        g_assert_nonnull (reread);
        g_assert_true (json_node_equal (reread, value));
      }
  }

  {
    g_autoptr (HearthEvent) event = hearth_event_new (
        HEARTH_EVENT_DEVICE_ONLINE, HEARTH_EVENT_SOURCE_HUB, "dev-1", NULL, NULL, -1);
    g_autofree char *allocated = NULL;
    char buffer[8];

    g_assert_null (hearth_event_format_value_json (event, buffer, sizeof buffer, &allocated));
    g_assert_null (allocated);
  }
}

/* A history finalized while attached ends the attachment: the bus goes on publishing without
 * touching it, and the other consumers still get every event. */
static void
test_history_finalized (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (fixture->dir, "second", NULL);
  HearthHistory *second;
  GWeakRef weak;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  second = hearth_history_new (dir, NULL, &error);
  g_assert_no_error (error);
  g_weak_ref_init (&weak, second);
  hearth_event_bus_attach_history (fixture->bus, second);
  hearth_event_bus_attach_history (fixture->bus, fixture->history);
  publish (fixture, HEARTH_EVENT_PROPERTY_CHANGED, "brightness", "1");

  g_object_unref (second); /* the bus does not keep it alive */
  g_assert_null (g_weak_ref_get (&weak));
  g_weak_ref_clear (&weak);
  publish (fixture, HEARTH_EVENT_PROPERTY_CHANGED, "brightness", "2");
  g_assert_cmpuint (fixture->seen->len, ==, 2);
  {
    g_autoptr (GPtrArray) events
        = hearth_history_query_events (fixture->history, "dev-1", NULL, 0, 100, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (events->len, ==, 2); /* the history still attached got both */
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/event-bus/order", Fixture, NULL, fixture_set_up, test_order, fixture_tear_down);
  g_test_add_func ("/event-bus/value-json", test_value_json);
  g_test_add ("/event-bus/history", Fixture, NULL, fixture_set_up, test_history, fixture_tear_down);
  g_test_add ("/event-bus/history-finalized", Fixture, NULL, fixture_set_up, test_history_finalized,
              fixture_tear_down);
  return g_test_run ();
}
