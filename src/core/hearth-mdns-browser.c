/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-mdns-browser"

#include "hearth-mdns-browser.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>
#include <net/if.h>
#include <string.h>

#include "hearth-sighting-private.h"
#include "hearth-trust-store.h"

/* HearthMdnsBrowser finds `_iotscp._tcp` services (docs/protocol.md §2) through avahi-daemon
 * on the system bus.
 *
 * Threading. avahi-client talks to the daemon with blocking D-Bus calls (25 s timeout each):
 * avahi_client_new(), every browser and resolver made or freed. A daemon that is stopped
 * (SIGSTOP), swapped out or simply slow would therefore freeze whichever main loop drives Avahi,
 * and the hub with it. So the whole Avahi side (client, browser, resolvers, the table of
 * services, the retry timers) lives on a thread of its own, the "Avahi thread", which runs a
 * private GMainContext driven by avahi-glib. Nothing Avahi owns is touched from any other
 * thread. What the Avahi thread learns (a resolved report, a removal, a reset, a new state or
 * error text) is posted as an Event to the main context the browser was started in
 * (g_main_context_invoke_full(), which dispatches same-priority sources in the order they were
 * added, so events keep their order); there the signals and property notifications are emitted,
 * so every HearthMdnsBrowser signal still comes from the caller's main context, as before. A
 * stalled daemon now only stalls the Avahi thread: sightings from the multicast probe, the
 * timers and everything else of the hub go on.
 *
 * Avahi's own AvahiThreadedPoll (avahi-common/thread-watch.h) was considered and not used:
 * avahi_threaded_poll_stop() takes the poll's mutex, which the thread holds while it runs any
 * Avahi callback (and so during the blocking D-Bus calls made from one), and then joins the
 * thread without a deadline; with a stalled daemon, stopping would wait the full 25 s or more.
 * A GMainContext of our own gives a thread-safe wake-up, timers on the right thread, and the
 * asynchronous GDBus bus check below, with no lock shared between the threads.
 *
 * Shutdown. dispose asks the Avahi thread to stop (an atomic flag and a wake-up of its
 * context) and waits for it at most SHUTDOWN_DEADLINE_MS. The thread then frees the browser,
 * the resolvers and the client, which are D-Bus calls too. If it finishes in time it is
 * joined. If it does not (the daemon is stalled and a call is waiting for its 25 s timeout),
 * dispose gives up waiting, logs a message, detaches the thread and returns; the thread keeps
 * its own reference to the shared state, finishes its cleanup when the call times out and
 * exits, and its events are dropped because the browser is gone. If the process exits first, the thread dies with it.
 * Either way dispose never blocks for longer than the deadline and never deadlocks: the main
 * thread holds no lock the Avahi thread needs while it waits.
 *
 * It must outlive avahi-daemon (story 5: the daemon restarts, the hub does not notice beyond a
 * few seconds). The client is made with AVAHI_CLIENT_NO_FAIL, so that a missing daemon is the
 * state CONNECTING rather than an error, and the client moves to RUNNING by itself when the
 * daemon appears. When a running daemon goes away the client reports FAILURE
 * (AVAHI_ERR_DISCONNECTED) and is dead: it is then freed and made again from an idle callback
 * (never inside Avahi's own callback), and the new client waits in CONNECTING for the next
 * daemon. The browser lives only while the client is RUNNING and is made again each time. A
 * failure that is not a disconnection (for example no system bus at all) is retried every
 * RETRY_SECONDS; the multicast probe keeps discovery going meanwhile.
 *
 * Before every avahi_client_new() the Avahi thread opens a private connection to the system
 * bus asynchronously and waits for the bus's answer to Hello, at most BUS_PROBE_SECONDS. This
 * no longer protects the main loop (the thread does), but it turns a bus that does not answer
 * into a clear error within seconds ("The system bus does not answer") instead of a client
 * that hangs for 25 s, and it keeps the Avahi thread responsive to shutdown in that case.
 *
 * Every service gets a resolver that stays alive while the service exists, because Avahi then
 * reports TXT changes (the pair flag, a new name) as they happen. Everything a service says is
 * validated before it leaves this file, and the number of services followed is bounded
 * (MAX_SERVICES), so a flood of announcements costs bounded memory.
 *
 * Signals: "resolved" (a HearthSightingReport), "removed" (the last service of a device on an
 * interface is gone) and "reset" (the daemon went away: everything learnt through it is gone). */

#define RETRY_SECONDS 5
#define BUS_PROBE_SECONDS 3
#define SHUTDOWN_DEADLINE_MS 2000
#define MAX_SERVICES 1024
#define NAME_MAX_BYTES 128
#define PATH_MAX_BYTES 128

enum
{
  PROP_0,
  PROP_STATE,
  PROP_LAST_ERROR,
  N_PROPS
};

enum
{
  RESOLVED,
  REMOVED,
  RESET,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  AvahiServiceResolver *resolver; /* NULL after the resolver failed */
  char *device_id;                /* NULL until resolved */
  AvahiIfIndex interface_index;
} Service;

/* The state shared by the browser (main thread) and the Avahi thread. Reference counted
 * (g_atomic_rc_box), because the Avahi thread may outlive the browser (see Shutdown above). */
typedef struct
{
  /* Set before the thread starts, then read-only. */
  GMainContext *main_context;  /* where events are delivered */
  GMainContext *avahi_context; /* the Avahi thread's own */

  /* Main thread only: NULL once the browser is disposed, so late events are dropped. */
  HearthMdnsBrowser *owner;

  /* Shared, atomic. */
  gint quit_requested;
  gint n_restarts;

  /* Shared, under lock. */
  GMutex lock;
  GCond finished_cond;
  gboolean finished;

  /* Avahi thread only. */
  AvahiGLibPoll *glib_poll;
  AvahiClient *client;
  AvahiServiceBrowser *browser;
  GHashTable *services; /* "interface/protocol/domain/name" → Service */
  GSource *restart_source;
  GCancellable *bus_probe; /* the asynchronous check of the system bus under way */
  GSource *bus_probe_timeout;
  guint bus_probes_pending; /* probes whose callback has not run yet */
  HearthMdnsState posted_state;
  char *posted_error;
} Worker;

typedef enum
{
  EVENT_RESOLVED,
  EVENT_REMOVED,
  EVENT_RESET,
  EVENT_STATE,
  EVENT_ERROR,
} EventKind;

/* One thing the Avahi thread tells the main thread. */
typedef struct
{
  Worker *worker; /* a reference */
  EventKind kind;
  HearthSightingReport *report; /* EVENT_RESOLVED */
  char *text;                   /* device id (EVENT_REMOVED) or error text (EVENT_ERROR) */
  guint number;                 /* interface index (EVENT_REMOVED) or state (EVENT_STATE) */
} Event;

struct _HearthMdnsBrowser
{
  GObject parent_instance;

  Worker *worker; /* NULL until started */
  GThread *thread;
  char *last_error;
  HearthMdnsState state;
};

G_DEFINE_FINAL_TYPE (HearthMdnsBrowser, hearth_mdns_browser, G_TYPE_OBJECT)

GType
hearth_mdns_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { HEARTH_MDNS_STATE_STOPPED, "HEARTH_MDNS_STATE_STOPPED", "stopped" },
        { HEARTH_MDNS_STATE_CONNECTING, "HEARTH_MDNS_STATE_CONNECTING", "connecting" },
        { HEARTH_MDNS_STATE_RUNNING, "HEARTH_MDNS_STATE_RUNNING", "running" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("HearthMdnsState"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}

/* Main thread: the browser's own state, as seen by its users. */

static void
set_state (HearthMdnsBrowser *self, HearthMdnsState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_last_error (HearthMdnsBrowser *self, const char *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_debug ("%s", message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/* The shared state. */

static void
worker_clear (gpointer data)
{
  Worker *worker = data;

  /* Everything Avahi owns was freed by the Avahi thread before it let go of its reference. */
  g_assert (worker->client == NULL && worker->glib_poll == NULL);
  g_clear_pointer (&worker->services, g_hash_table_unref);
  g_free (worker->posted_error);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->finished_cond);
  g_main_context_unref (worker->avahi_context);
  g_main_context_unref (worker->main_context);
}

static Worker *
worker_ref (Worker *worker)
{
  return g_atomic_rc_box_acquire (worker);
}

static void
worker_unref (Worker *worker)
{
  g_atomic_rc_box_release_full (worker, worker_clear);
}

static void
event_free (gpointer data)
{
  Event *event = data;

  g_clear_pointer (&event->report, hearth_sighting_report_free);
  g_free (event->text);
  worker_unref (event->worker);
  g_free (event);
}

/* Main thread: turns one event into the signal or property change it stands for. */
static gboolean
deliver_event_cb (gpointer data)
{
  Event *event = data;
  HearthMdnsBrowser *self = event->worker->owner;

  if (self == NULL)
    return G_SOURCE_REMOVE;
  switch (event->kind)
    {
      case EVENT_RESOLVED:
        g_signal_emit (self, signals[RESOLVED], 0, event->report);
        break;
      case EVENT_REMOVED:
        g_signal_emit (self, signals[REMOVED], 0, event->text, event->number);
        break;
      case EVENT_RESET:
        g_signal_emit (self, signals[RESET], 0);
        break;
      case EVENT_STATE:
        set_state (self, (HearthMdnsState)event->number);
        break;
      case EVENT_ERROR:
        set_last_error (self, event->text);
        break;
      default:
        g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

/* Avahi thread: hands an event to the main context, which owns @report and @text from now. */
static void
post_event (Worker *worker, EventKind kind, HearthSightingReport *report, char *text, guint number)
{
  Event *event = g_new0 (Event, 1);

  event->worker = worker_ref (worker);
  event->kind = kind;
  event->report = report;
  event->text = text;
  event->number = number;
  g_main_context_invoke_full (worker->main_context, G_PRIORITY_DEFAULT, deliver_event_cb, event,
                              event_free);
}

/* Avahi thread from here on, up to the GObject part. */

static void client_callback (AvahiClient *client, AvahiClientState state, void *user_data);

static void
service_free (Service *service)
{
  if (service->resolver != NULL)
    avahi_service_resolver_free (service->resolver);
  g_free (service->device_id);
  g_free (service);
}

static void
worker_set_state (Worker *worker, HearthMdnsState state)
{
  if (worker->posted_state == state)
    return;
  worker->posted_state = state;
  post_event (worker, EVENT_STATE, NULL, NULL, state);
}

static void
worker_set_error (Worker *worker, const char *message)
{
  if (g_strcmp0 (worker->posted_error, message) == 0)
    return;
  g_free (worker->posted_error);
  worker->posted_error = g_strdup (message);
  post_event (worker, EVENT_ERROR, NULL, g_strdup (message), 0);
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Timers of the Avahi thread live on its own context (g_timeout_add() would put them on the
 * global default context, which is the main thread's). */
static GSource *
add_timeout (Worker *worker, guint milliseconds, GSourceFunc callback)
{
  GSource *source = milliseconds == 0 ? g_idle_source_new () : g_timeout_source_new (milliseconds);

  g_source_set_callback (source, callback, worker, NULL);
  g_source_attach (source, worker->avahi_context);
  return source;
}

static char *
service_key (AvahiIfIndex interface, AvahiProtocol protocol, const char *name, const char *domain)
{
  return g_strdup_printf ("%d/%d/%s/%s", interface, protocol, domain, name);
}

/* Forgets every service and tells the discovery that nothing learnt from this daemon holds any
 * more. The resolvers and the browser belong to the client and must be freed before it. */
static void
drop_services (Worker *worker)
{
  gboolean had_services = g_hash_table_size (worker->services) > 0;

  g_hash_table_remove_all (worker->services);
  g_clear_pointer (&worker->browser, avahi_service_browser_free);
  if (had_services)
    post_event (worker, EVENT_RESET, NULL, NULL, 0);
}

static gboolean restart_cb (gpointer user_data);

static void
make_client (Worker *worker)
{
  int error = 0;

  worker_set_state (worker, HEARTH_MDNS_STATE_CONNECTING);
  /* avahi_client_new() may call client_callback() before it returns; the callback therefore
   * uses the client it is given, never worker->client. */
  worker->client = avahi_client_new (avahi_glib_poll_get (worker->glib_poll), AVAHI_CLIENT_NO_FAIL,
                                     client_callback, worker, &error);
  if (worker->client == NULL)
    {
      g_autofree char *message = g_strdup_printf (
          "Cannot reach avahi-daemon: %s; retrying every %d s, multicast probe only meanwhile",
          avahi_strerror (error), RETRY_SECONDS);

      worker_set_error (worker, message);
    }
}

static void
end_bus_probe (Worker *worker)
{
  clear_source (&worker->bus_probe_timeout);
  if (worker->bus_probe != NULL)
    g_cancellable_cancel (worker->bus_probe);
  g_clear_object (&worker->bus_probe);
}

static void
bus_probe_failed (Worker *worker, const char *reason)
{
  g_autofree char *message
      = g_strdup_printf ("The system bus does not answer (%s); retrying every %d s, multicast "
                         "probe only meanwhile",
                         reason, RETRY_SECONDS);

  end_bus_probe (worker);
  worker_set_error (worker, message);
  worker_set_state (worker, HEARTH_MDNS_STATE_CONNECTING);
  clear_source (&worker->restart_source);
  worker->restart_source = add_timeout (worker, RETRY_SECONDS * 1000, restart_cb);
}

static void
bus_probe_connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Worker *worker = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection
      = g_dbus_connection_new_for_address_finish (result, &error);

  worker->bus_probes_pending--;
  /* Cancelled: shutting down, or the probe timed out (reported there). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_atomic_int_get (&worker->quit_requested))
    return;
  if (connection == NULL)
    {
      bus_probe_failed (worker, error->message);
      return;
    }
  /* The bus answered Hello just now: Avahi's own calls will most likely be answered too. */
  g_dbus_connection_close (connection, NULL, NULL, NULL);
  end_bus_probe (worker);
  make_client (worker);
  if (worker->client == NULL)
    {
      clear_source (&worker->restart_source);
      worker->restart_source = add_timeout (worker, RETRY_SECONDS * 1000, restart_cb);
    }
}

static gboolean
bus_probe_timeout_cb (gpointer user_data)
{
  Worker *worker = user_data;
  g_autofree char *reason = g_strdup_printf ("no answer within %d s", BUS_PROBE_SECONDS);

  bus_probe_failed (worker, reason);
  return G_SOURCE_REMOVE;
}

/* Checks without blocking that the system bus answers, then makes the Avahi client. */
static void
probe_bus_then_make_client (Worker *worker)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);

  end_bus_probe (worker);
  worker_set_state (worker, HEARTH_MDNS_STATE_CONNECTING);
  /* Until the bus answers, this is all there is to say (the interface report shows it). */
  worker_set_error (worker, "Connecting to avahi-daemon over the system bus; multicast probe only "
                            "meanwhile");
  if (address == NULL)
    {
      bus_probe_failed (worker, error->message);
      return;
    }
  worker->bus_probe = g_cancellable_new ();
  worker->bus_probe_timeout = add_timeout (worker, BUS_PROBE_SECONDS * 1000, bus_probe_timeout_cb);
  worker->bus_probes_pending++;
  /* The callback comes on the thread-default context, which is the Avahi thread's own. */
  g_dbus_connection_new_for_address (address,
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                         | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                     NULL, worker->bus_probe, bus_probe_connected_cb, worker);
}

static gboolean
restart_cb (gpointer user_data)
{
  Worker *worker = user_data;

  clear_source (&worker->restart_source);
  drop_services (worker);
  g_clear_pointer (&worker->client, avahi_client_free);
  g_atomic_int_inc (&worker->n_restarts);
  probe_bus_then_make_client (worker);
  return G_SOURCE_REMOVE;
}

static void
schedule_restart (Worker *worker, guint delay_ms)
{
  if (worker->restart_source != NULL)
    return;
  worker_set_state (worker, HEARTH_MDNS_STATE_CONNECTING);
  worker->restart_source = add_timeout (worker, delay_ms, restart_cb);
}

/* TXT validation. Values are bounded by DNS (255 bytes per string) and checked again here. */

static char *
txt_lookup (AvahiStringList *txt, const char *key)
{
  AvahiStringList *entry = avahi_string_list_find (txt, key);
  char *found_key = NULL;
  char *value = NULL;
  char *copy;

  if (entry == NULL || avahi_string_list_get_pair (entry, &found_key, &value, NULL) < 0)
    return NULL;
  copy = value != NULL ? g_strdup (value) : g_strdup ("");
  avahi_free (found_key);
  avahi_free (value);
  return copy;
}

static gboolean
is_lower_hex (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_name (const char *name)
{
  gsize length = name != NULL ? strlen (name) : 0;

  if (length == 0 || length > NAME_MAX_BYTES || !g_utf8_validate (name, (gssize)length, NULL))
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return FALSE;
    }
  return TRUE;
}

static gboolean
is_valid_path (const char *path)
{
  gsize length = path != NULL ? strlen (path) : 0;

  if (length == 0 || length > PATH_MAX_BYTES || path[0] != '/')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (path[i] <= ' ' || path[i] >= 0x7f || path[i] == '?' || path[i] == '#')
      return FALSE;
  return TRUE;
}

/* Turns a resolved service into a report, or NULL (with a reason in @why) when the TXT record
 * does not describe an IOTSCP/2 device. */
static HearthSightingReport *
report_from_txt (AvahiIfIndex interface, const char *instance_name, const AvahiAddress *address,
                 guint16 port, AvahiStringList *txt, const char **why)
{
  g_autoptr (HearthSightingReport) report
      = hearth_sighting_report_new (HEARTH_SIGHTING_SOURCE_MDNS);
  g_autofree char *version = txt_lookup (txt, "v");
  g_autofree char *device_id = txt_lookup (txt, "id");
  g_autofree char *name = txt_lookup (txt, "name");
  g_autofree char *fingerprint = txt_lookup (txt, "fp");
  g_autofree char *path = txt_lookup (txt, "path");
  g_autofree char *pair = txt_lookup (txt, "pair");
  char address_text[AVAHI_ADDRESS_STR_MAX];
  char interface_name[IF_NAMESIZE] = { 0 };

  if (g_strcmp0 (version, "2") != 0)
    return *why = "TXT v is not 2", NULL;
  if (!hearth_trust_device_id_is_valid (device_id))
    return *why = "TXT id is missing or invalid", NULL;
  /* The instance name may have been cut or renamed (" #2") by the responder; the TXT name is
   * the full one. */
  if (name == NULL && is_valid_name (instance_name))
    name = g_strdup (instance_name);
  if (!is_valid_name (name))
    return *why = "TXT name is missing or invalid", NULL;
  if (fingerprint == NULL || strlen (fingerprint) < 16 || strlen (fingerprint) > 64
      || !is_lower_hex (fingerprint))
    return *why = "TXT fp is missing or invalid", NULL;
  if (path == NULL)
    path = g_strdup ("/.well-known/iotscp");
  if (!is_valid_path (path))
    return *why = "TXT path is invalid", NULL;
  if (pair != NULL && strcmp (pair, "0") != 0 && strcmp (pair, "1") != 0)
    return *why = "TXT pair is invalid", NULL;
  if (port == 0)
    return *why = "port 0", NULL;

  avahi_address_snprint (address_text, sizeof address_text, address);
  report->address = g_inet_address_new_from_string (address_text);
  if (report->address == NULL)
    return *why = "unusable address", NULL;
  report->device_id = g_steal_pointer (&device_id);
  report->name = g_steal_pointer (&name);
  report->fingerprint_hint = g_steal_pointer (&fingerprint);
  report->path = g_steal_pointer (&path);
  report->port = port;
  report->is_pairing = g_strcmp0 (pair, "1") == 0;
  report->interface_index = interface > 0 ? (guint)interface : 0;
  if (interface > 0 && if_indextoname ((unsigned)interface, interface_name) != NULL)
    report->interface_name = g_strdup (interface_name);
  return g_steal_pointer (&report);
}

static void
resolve_callback (AvahiServiceResolver *resolver, AvahiIfIndex interface, AvahiProtocol protocol,
                  AvahiResolverEvent event, const char *name, const char *type, const char *domain,
                  const char *host_name, const AvahiAddress *address, uint16_t port,
                  AvahiStringList *txt, AvahiLookupResultFlags flags, void *user_data)
{
  Worker *worker = user_data;
  g_autofree char *key = service_key (interface, protocol, name, domain);
  Service *service = g_hash_table_lookup (worker->services, key);
  g_autoptr (HearthSightingReport) report = NULL;
  const char *why = NULL;

  if (service == NULL || service->resolver != resolver)
    return;

  if (event == AVAHI_RESOLVER_FAILURE)
    {
      g_autofree char *message = g_strdup_printf (
          "Resolving “%s” failed: %s", name,
          avahi_strerror (avahi_client_errno (avahi_service_resolver_get_client (resolver))));

      worker_set_error (worker, message);
      /* A failed resolver reports nothing more; the service is resolved again when the browser
       * announces it again. */
      avahi_service_resolver_free (service->resolver);
      service->resolver = NULL;
      return;
    }

  report = report_from_txt (interface, name, address, port, txt, &why);
  if (report == NULL)
    {
      g_debug ("Ignoring service “%s”: %s", name, why);
      return;
    }
  if (service->device_id != NULL && strcmp (service->device_id, report->device_id) != 0)
    {
      /* The same instance now claims another id: the old one is gone from here. */
      post_event (worker, EVENT_REMOVED, NULL, g_steal_pointer (&service->device_id),
                  (guint)service->interface_index);
    }
  g_free (service->device_id);
  service->device_id = g_strdup (report->device_id);
  post_event (worker, EVENT_RESOLVED, g_steal_pointer (&report), NULL, 0);
}

static gboolean
device_still_on_interface (Worker *worker, const char *device_id, AvahiIfIndex interface)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, worker->services);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Service *service = value;

      if (service->interface_index == interface && g_strcmp0 (service->device_id, device_id) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
browse_callback (AvahiServiceBrowser *browser, AvahiIfIndex interface, AvahiProtocol protocol,
                 AvahiBrowserEvent event, const char *name, const char *type, const char *domain,
                 AvahiLookupResultFlags flags, void *user_data)
{
  Worker *worker = user_data;
  g_autofree char *key = NULL;

  switch (event)
    {
      case AVAHI_BROWSER_NEW:
        {
          Service *service;

          key = service_key (interface, protocol, name, domain);
          service = g_hash_table_lookup (worker->services, key);
          if (service != NULL && service->resolver != NULL)
            return;
          if (service == NULL && g_hash_table_size (worker->services) >= MAX_SERVICES)
            {
              worker_set_error (worker, "Too many _iotscp._tcp services; ignoring the rest");
              return;
            }
          if (service == NULL)
            {
              service = g_new0 (Service, 1);
              service->interface_index = interface;
              g_hash_table_insert (worker->services, g_steal_pointer (&key), service);
            }
          /* The address family follows the protocol the service was found on, so a device seen
           * over IPv4 and IPv6 mDNS gets an address of each family. */
          service->resolver = avahi_service_resolver_new (
              avahi_service_browser_get_client (browser), interface, protocol, name, type, domain,
              protocol, 0, resolve_callback, worker);
          if (service->resolver == NULL)
            worker_set_error (worker, "Cannot make an Avahi resolver");
          break;
        }
      case AVAHI_BROWSER_REMOVE:
        {
          Service *service;
          char *device_id = NULL;

          key = service_key (interface, protocol, name, domain);
          service = g_hash_table_lookup (worker->services, key);
          if (service == NULL)
            return;
          device_id = g_steal_pointer (&service->device_id);
          g_hash_table_remove (worker->services, key);
          if (device_id != NULL && !device_still_on_interface (worker, device_id, interface))
            post_event (worker, EVENT_REMOVED, NULL, device_id, (guint)interface);
          else
            g_free (device_id);
          break;
        }
      case AVAHI_BROWSER_FAILURE:
        {
          g_autofree char *message = g_strdup_printf (
              "Avahi browser failed: %s",
              avahi_strerror (avahi_client_errno (avahi_service_browser_get_client (browser))));

          worker_set_error (worker, message);
          schedule_restart (worker, RETRY_SECONDS * 1000);
          break;
        }
      case AVAHI_BROWSER_ALL_FOR_NOW:
      case AVAHI_BROWSER_CACHE_EXHAUSTED:
      default:
        break;
    }
}

static void
client_callback (AvahiClient *client, AvahiClientState state, void *user_data)
{
  Worker *worker = user_data;

  switch (state)
    {
      case AVAHI_CLIENT_S_RUNNING:
      case AVAHI_CLIENT_S_REGISTERING:
      case AVAHI_CLIENT_S_COLLISION:
        /* Browsing works in all three server states; only the host name is in flux in the
         * last two. */
        if (worker->browser == NULL)
          {
            worker->browser = avahi_service_browser_new (
                client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, HEARTH_MDNS_SERVICE_TYPE, NULL, 0,
                browse_callback, worker);
            if (worker->browser == NULL)
              {
                g_autofree char *message
                    = g_strdup_printf ("Cannot browse %s: %s", HEARTH_MDNS_SERVICE_TYPE,
                                       avahi_strerror (avahi_client_errno (client)));

                worker_set_error (worker, message);
                schedule_restart (worker, RETRY_SECONDS * 1000);
                return;
              }
          }
        worker_set_error (worker, NULL);
        worker_set_state (worker, HEARTH_MDNS_STATE_RUNNING);
        break;
      case AVAHI_CLIENT_CONNECTING:
        worker_set_error (worker, "avahi-daemon is not running; using the multicast probe only");
        worker_set_state (worker, HEARTH_MDNS_STATE_CONNECTING);
        break;
      case AVAHI_CLIENT_FAILURE:
        {
          int error = avahi_client_errno (client);
          g_autofree char *message
              = g_strdup_printf ("avahi-daemon went away: %s", avahi_strerror (error));

          worker_set_error (worker, message);
          /* A disconnected client is dead; make a new one at once, which waits for the next
           * daemon. Other failures are retried after a pause so a broken setup does not spin. */
          schedule_restart (worker, error == AVAHI_ERR_DISCONNECTED ? 0 : RETRY_SECONDS * 1000);
          break;
        }
      default:
        break;
    }
}

/* The Avahi thread: everything Avahi owns is made, used and freed here. */
static gpointer
avahi_thread_main (gpointer data)
{
  Worker *worker = data;
  gint64 drain_deadline;

  g_main_context_push_thread_default (worker->avahi_context);
  worker->glib_poll = avahi_glib_poll_new (worker->avahi_context, G_PRIORITY_DEFAULT);
  if (!g_atomic_int_get (&worker->quit_requested))
    probe_bus_then_make_client (worker);
  /* dispose sets the flag, then wakes the context up, so a request made before the first
   * iteration is not lost. */
  while (!g_atomic_int_get (&worker->quit_requested))
    g_main_context_iteration (worker->avahi_context, TRUE);

  clear_source (&worker->restart_source);
  end_bus_probe (worker);
  /* A cancelled bus probe still calls back, on this context; wait for it briefly so it does
   * not call back into freed state (GDBus returns promptly once cancelled). */
  drain_deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (worker->bus_probes_pending > 0 && g_get_monotonic_time () < drain_deadline)
    if (!g_main_context_iteration (worker->avahi_context, FALSE))
      g_usleep (10 * 1000);
  /* Whatever the drain dispatched may have asked for a restart; nothing runs any more. */
  clear_source (&worker->restart_source);
  /* Resolvers and the browser belong to the client: free them first, without events. These
   * are D-Bus calls and may wait for a stalled daemon (see Shutdown above). */
  g_hash_table_remove_all (worker->services);
  g_clear_pointer (&worker->browser, avahi_service_browser_free);
  g_clear_pointer (&worker->client, avahi_client_free);
  g_clear_pointer (&worker->glib_poll, avahi_glib_poll_free);
  g_main_context_pop_thread_default (worker->avahi_context);

  g_mutex_lock (&worker->lock);
  worker->finished = TRUE;
  g_cond_broadcast (&worker->finished_cond);
  g_mutex_unlock (&worker->lock);
  worker_unref (worker);
  return NULL;
}

/* The GObject part, main thread. */

static void
hearth_mdns_browser_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthMdnsBrowser *self = HEARTH_MDNS_BROWSER (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_enum (value, self->state);
        break;
      case PROP_LAST_ERROR:
        g_value_set_string (value, self->last_error);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Stops the Avahi thread, waiting for it at most SHUTDOWN_DEADLINE_MS (see Shutdown above). */
static void
stop_avahi_thread (HearthMdnsBrowser *self)
{
  Worker *worker = self->worker;
  gint64 deadline = g_get_monotonic_time () + SHUTDOWN_DEADLINE_MS * G_TIME_SPAN_MILLISECOND;
  gboolean finished;

  if (worker == NULL)
    return;
  worker->owner = NULL;
  g_atomic_int_set (&worker->quit_requested, TRUE);
  g_main_context_wakeup (worker->avahi_context);

  g_mutex_lock (&worker->lock);
  while (!worker->finished)
    if (!g_cond_wait_until (&worker->finished_cond, &worker->lock, deadline))
      break;
  finished = worker->finished;
  g_mutex_unlock (&worker->lock);

  if (finished)
    g_thread_join (self->thread);
  else
    {
      /* A message, not a warning: a slow system daemon is not a bug of the caller, and tests
       * run with G_DEBUG=fatal-warnings. */
      g_message ("avahi-daemon did not answer within %d ms while mDNS browsing stopped; the "
                 "Avahi thread finishes in the background",
                 SHUTDOWN_DEADLINE_MS);
      g_thread_unref (self->thread);
    }
  self->thread = NULL;
  g_clear_pointer (&self->worker, worker_unref);
}

static void
hearth_mdns_browser_dispose (GObject *object)
{
  HearthMdnsBrowser *self = HEARTH_MDNS_BROWSER (object);

  stop_avahi_thread (self);

  G_OBJECT_CLASS (hearth_mdns_browser_parent_class)->dispose (object);
}

static void
hearth_mdns_browser_finalize (GObject *object)
{
  HearthMdnsBrowser *self = HEARTH_MDNS_BROWSER (object);

  g_free (self->last_error);

  G_OBJECT_CLASS (hearth_mdns_browser_parent_class)->finalize (object);
}

static void
hearth_mdns_browser_class_init (HearthMdnsBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_mdns_browser_get_property;
  object_class->dispose = hearth_mdns_browser_dispose;
  object_class->finalize = hearth_mdns_browser_finalize;

  properties[PROP_STATE]
      = g_param_spec_enum ("state", NULL, NULL, HEARTH_TYPE_MDNS_STATE, HEARTH_MDNS_STATE_STOPPED,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR]
      = g_param_spec_string ("last-error", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* resolved (const HearthSightingReport *): a service was resolved or its TXT changed. */
  signals[RESOLVED] = g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* removed (device id, interface index): the device's last service on that interface went. */
  signals[REMOVED] = g_signal_new ("removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  /* reset: the daemon went away, so nothing learnt from it holds. */
  signals[RESET] = g_signal_new ("reset", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_mdns_browser_init (HearthMdnsBrowser *self)
{
}

HearthMdnsBrowser *
hearth_mdns_browser_new (void)
{
  return g_object_new (HEARTH_TYPE_MDNS_BROWSER, NULL);
}

/**
 * hearth_mdns_browser_start:
 * @self: a #HearthMdnsBrowser
 *
 * Starts browsing on a thread of its own; signals and notifications come on the thread-default
 * main context of the caller, which must also be the thread that drops the browser. It cannot
 * fail: without avahi-daemon the browser waits for it (state %HEARTH_MDNS_STATE_CONNECTING,
 * reason in #HearthMdnsBrowser:last-error).
 */
void
hearth_mdns_browser_start (HearthMdnsBrowser *self)
{
  Worker *worker;

  g_return_if_fail (HEARTH_IS_MDNS_BROWSER (self));

  if (self->worker != NULL)
    return;
  worker = g_atomic_rc_box_new0 (Worker);
  worker->main_context = g_main_context_ref_thread_default ();
  worker->avahi_context = g_main_context_new ();
  worker->owner = self;
  g_mutex_init (&worker->lock);
  g_cond_init (&worker->finished_cond);
  worker->services
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)service_free);
  worker->posted_state = HEARTH_MDNS_STATE_STOPPED;
  self->worker = worker;

  /* What the Avahi thread will say first, said at once so callers see CONNECTING on return. */
  set_state (self, HEARTH_MDNS_STATE_CONNECTING);
  set_last_error (self, "Connecting to avahi-daemon over the system bus; multicast probe only "
                        "meanwhile");
  self->thread = g_thread_new ("hearth-avahi", avahi_thread_main, worker_ref (worker));
}

HearthMdnsState
hearth_mdns_browser_get_state (HearthMdnsBrowser *self)
{
  g_return_val_if_fail (HEARTH_IS_MDNS_BROWSER (self), HEARTH_MDNS_STATE_STOPPED);
  return self->state;
}

const char *
hearth_mdns_browser_get_last_error (HearthMdnsBrowser *self)
{
  g_return_val_if_fail (HEARTH_IS_MDNS_BROWSER (self), NULL);
  return self->last_error;
}

/* How many times the Avahi client was made again (daemon restarts seen), for diagnostics. */
guint
hearth_mdns_browser_get_n_restarts (HearthMdnsBrowser *self)
{
  g_return_val_if_fail (HEARTH_IS_MDNS_BROWSER (self), 0);
  return self->worker != NULL ? (guint)g_atomic_int_get (&self->worker->n_restarts) : 0;
}
