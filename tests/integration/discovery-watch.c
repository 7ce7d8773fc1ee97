/* SPDX-License-Identifier: GPL-3.0-or-later */
/* discovery-watch: runs HearthDiscovery and prints what it sees, one line per change, for the
 * integration tests and the discovery benchmark (which read the lines and time them).
 *
 * Output lines (flushed at once):
 *   mdns-state STATE
 *   sighting id=ID sources=mdns,probe stale=0|1 port=N pair=0|1 fp=HINT name=NAME
 *            addresses=ADDR%IFINDEX/SOURCE+SOURCE,...
 *   removed id=ID
 *   added-address id=ID fp=FINGERPRINT     (answer to --add-address)
 *   add-address-failed MESSAGE
 *   interface name=NAME index=N up=0|1 mdns=0|1 probe4=0|1 probe6=0|1 devices=ID,... error=TEXT
 *   report-end
 *   ticks count=N longest-gap-ms=MS       (answer to "ticks", with --tick-ms)
 * Commands on standard input, one per line: "refresh", "report", "ticks", "quit".
 *
 * Options: --no-mdns, --no-probe, --probe-interval SECONDS, --stale-timeout SECONDS,
 * --add-address HOST:PORT, --interface NAME (repeatable: probe only there), --tick-ms MS (a main
 * loop timer with this period; "ticks" prints how often it ran and its longest gap since the last
 * "ticks", which shows whether anything blocked the main loop). */

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>

#include "hearth-discovery.h"

static GMainLoop *main_loop;

/* The main loop timer of --tick-ms. */
static guint tick_count;
static gint64 last_tick_us;
static gint64 longest_tick_gap_us;

static gboolean
tick_cb (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();

  longest_tick_gap_us = MAX (longest_tick_gap_us, now - last_tick_us);
  last_tick_us = now;
  tick_count++;
  return G_SOURCE_CONTINUE;
}

static void
print_ticks (void)
{
  /* The time since the last tick counts too: a loop blocked right now shows in it. */
  gint64 now = g_get_monotonic_time ();

  longest_tick_gap_us = MAX (longest_tick_gap_us, now - last_tick_us);
  printf ("ticks count=%u longest-gap-ms=%" G_GINT64_FORMAT "\n", tick_count,
          longest_tick_gap_us / 1000);
  fflush (stdout);
  tick_count = 0;
  longest_tick_gap_us = 0;
}

static void
print_sighting (HearthSighting *sighting)
{
  g_autoptr (GPtrArray) addresses = hearth_sighting_dup_addresses (sighting);
  g_autofree char *sources
      = hearth_sighting_source_to_string (hearth_sighting_get_sources (sighting));
  g_autoptr (GString) line = g_string_new (NULL);

  g_string_append_printf (
      line, "sighting id=%s sources=%s stale=%d port=%u pair=%d fp=%s",
      hearth_sighting_get_device_id (sighting), sources, hearth_sighting_get_is_stale (sighting),
      hearth_sighting_get_port (sighting), hearth_sighting_get_is_pairing (sighting),
      hearth_sighting_get_fingerprint_hint (sighting));
  g_string_append (line, " addresses=");
  for (guint i = 0; i < addresses->len; i++)
    {
      HearthSightingAddress *address = g_ptr_array_index (addresses, i);
      g_autofree char *address_sources = hearth_sighting_source_to_string (address->sources);

      /* Sources of one address are joined by '+', since ',' separates addresses. */
      g_strdelimit (address_sources, ",", '+');

      g_string_append_printf (line, "%s%s%%%u/%s", i > 0 ? "," : "", address->address,
                              address->interface_index, address_sources);
    }
  /* The name last: it may contain spaces. */
  g_string_append_printf (line, " name=%s", hearth_sighting_get_name (sighting));
  printf ("%s\n", line->str);
  fflush (stdout);
}

static void
sighting_notify_cb (HearthSighting *sighting, GParamSpec *pspec, gpointer user_data)
{
  if (g_strcmp0 (pspec->name, "last-seen") == 0)
    return;
  print_sighting (sighting);
}

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added,
                  GHashTable *watched)
{
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HearthSighting) sighting = g_list_model_get_item (model, i);
      const char *device_id = hearth_sighting_get_device_id (sighting);

      g_hash_table_add (present, (gpointer)device_id);
      if (!g_hash_table_contains (watched, device_id))
        {
          g_hash_table_insert (watched, g_strdup (device_id), g_object_ref (sighting));
          g_signal_connect (sighting, "notify", G_CALLBACK (sighting_notify_cb), NULL);
          g_signal_connect (sighting, "addresses-changed", G_CALLBACK (print_sighting), NULL);
          print_sighting (sighting);
        }
    }
  g_hash_table_iter_init (&iter, watched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (present, key))
      {
        printf ("removed id=%s\n", (const char *)key);
        fflush (stdout);
        g_hash_table_iter_remove (&iter);
      }
}

static void
mdns_state_cb (HearthDiscovery *discovery, GParamSpec *pspec, gpointer user_data)
{
  g_autoptr (GEnumClass) enum_class = g_type_class_ref (HEARTH_TYPE_MDNS_STATE);
  GEnumValue *value = g_enum_get_value (enum_class, hearth_discovery_get_mdns_state (discovery));

  printf ("mdns-state %s\n", value->value_nick);
  fflush (stdout);
}

static void
print_report (HearthDiscovery *discovery)
{
  g_autoptr (GPtrArray) reports = hearth_discovery_dup_interface_report (discovery);

  for (guint i = 0; i < reports->len; i++)
    {
      HearthInterfaceReport *report = g_ptr_array_index (reports, i);
      g_autofree char *devices = g_strjoinv (",", report->device_ids);

      printf ("interface name=%s index=%u up=%d mdns=%d probe4=%d probe6=%d devices=%s error=%s\n",
              report->name, report->index, report->is_up, report->mdns_active,
              report->probe_ipv4_active, report->probe_ipv6_active, devices,
              report->last_error != NULL ? report->last_error : "");
    }
  printf ("report-end\n");
  fflush (stdout);
}

static void
add_address_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthSighting) sighting
      = hearth_discovery_add_address_finish (HEARTH_DISCOVERY (source), result, &error);

  if (sighting == NULL)
    printf ("add-address-failed %s\n", error->message);
  else
    printf ("added-address id=%s fp=%s\n", hearth_sighting_get_device_id (sighting),
            hearth_sighting_get_fingerprint_hint (sighting));
  fflush (stdout);
}

static void
command_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthDiscovery *discovery = user_data;
  GDataInputStream *input = G_DATA_INPUT_STREAM (source);
  g_autofree char *line = g_data_input_stream_read_line_finish (input, result, NULL, NULL);

  if (line == NULL || g_strcmp0 (line, "quit") == 0)
    {
      g_main_loop_quit (main_loop);
      return;
    }
  if (g_strcmp0 (line, "refresh") == 0)
    hearth_discovery_refresh (discovery);
  else if (g_strcmp0 (line, "report") == 0)
    print_report (discovery);
  else if (g_strcmp0 (line, "ticks") == 0)
    print_ticks ();
  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, NULL, command_read_cb, discovery);
}

int
main (int argc, char **argv)
{
  gboolean no_mdns = FALSE, no_probe = FALSE;
  int probe_interval = 30, stale_timeout = 60, tick_ms = 0;
  g_autofree char *add_address = NULL;
  g_auto (GStrv) interfaces = NULL;
  GOptionEntry entries[] = {
    { "no-mdns", 0, 0, G_OPTION_ARG_NONE, &no_mdns, "Do not browse mDNS", NULL },
    { "no-probe", 0, 0, G_OPTION_ARG_NONE, &no_probe, "Do not run the multicast probe", NULL },
    { "probe-interval", 0, 0, G_OPTION_ARG_INT, &probe_interval, "Seconds between probes", "S" },
    { "stale-timeout", 0, 0, G_OPTION_ARG_INT, &stale_timeout, "Seconds stale sightings stay",
      "S" },
    { "add-address", 0, 0, G_OPTION_ARG_STRING, &add_address, "Add a device by address",
      "HOST:PORT" },
    { "interface", 0, 0, G_OPTION_ARG_STRING_ARRAY, &interfaces, "Probe only on this interface",
      "NAME" },
    { "tick-ms", 0, 0, G_OPTION_ARG_INT, &tick_ms, "Run a main loop timer with this period", "MS" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDiscovery) discovery = NULL;
  g_autoptr (GHashTable) watched = NULL;
  g_autoptr (GInputStream) stdin_stream = NULL;
  g_autoptr (GDataInputStream) input = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "discovery-watch: %s\n", error->message);
      return 2;
    }

  main_loop = g_main_loop_new (NULL, FALSE);
  watched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  discovery = g_object_new (HEARTH_TYPE_DISCOVERY, "use-mdns", !no_mdns, "use-probe", !no_probe,
                            "probe-interval", (guint)probe_interval, "stale-timeout",
                            (guint)stale_timeout, "allowed-interfaces", interfaces, NULL);
  g_signal_connect (discovery, "items-changed", G_CALLBACK (items_changed_cb), watched);
  g_signal_connect (discovery, "notify::mdns-state", G_CALLBACK (mdns_state_cb), NULL);
  if (!hearth_discovery_start (discovery, &error))
    {
      fprintf (stderr, "discovery-watch: %s\n", error->message);
      return 1;
    }
  if (tick_ms > 0)
    {
      last_tick_us = g_get_monotonic_time ();
      g_timeout_add ((guint)tick_ms, tick_cb, NULL);
    }
  printf ("started\n");
  fflush (stdout);
  if (add_address != NULL)
    hearth_discovery_add_address_async (discovery, add_address, NULL, add_address_cb, NULL);

  stdin_stream = g_unix_input_stream_new (0, FALSE);
  input = g_data_input_stream_new (stdin_stream);
  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, NULL, command_read_cb, discovery);

  g_main_loop_run (main_loop);

  /* Disconnect before the sightings outlive the loop, so valgrind sees a clean exit. */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, watched);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        g_signal_handlers_disconnect_by_func (value, sighting_notify_cb, NULL);
        g_signal_handlers_disconnect_by_func (value, print_sighting, NULL);
      }
  }
  g_signal_handlers_disconnect_by_data (discovery, watched);
  g_clear_pointer (&main_loop, g_main_loop_unref);
  return 0;
}
