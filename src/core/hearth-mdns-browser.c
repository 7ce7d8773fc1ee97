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
 * on the system bus, with avahi-glib driving Avahi from the GLib main loop.
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
 * avahi_client_new() talks to the system bus with blocking D-Bus calls (25 s timeout each),
 * so a bus that accepts connections but answers slowly or never would freeze the GLib main
 * loop, and with it the hub. Before every avahi_client_new() the browser therefore opens a
 * private connection to the system bus asynchronously and waits (without blocking) for the
 * bus's answer to Hello, at most BUS_PROBE_SECONDS. Only a bus that just answered is handed to
 * Avahi, which makes the blocking calls short; a bus that does not answer is retried every
 * RETRY_SECONDS while the multicast probe keeps discovery going. (This narrows the window to
 * a bus that stalls between its answer and Avahi's calls; it does not close it. Running the
 * Avahi client on a thread of its own would close it, at the price of marshalling every
 * callback.)
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

struct _HearthMdnsBrowser
{
  GObject parent_instance;

  /* Owned */
  AvahiGLibPoll *glib_poll;
  AvahiClient *client;
  AvahiServiceBrowser *browser;
  GHashTable *services; /* "interface/protocol/domain/name" → Service */
  char *last_error;
  guint restart_source;
  guint n_restarts;
  GCancellable *bus_probe; /* the asynchronous check of the system bus under way */
  guint bus_probe_timeout;
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

static char *
service_key (AvahiIfIndex interface, AvahiProtocol protocol, const char *name, const char *domain)
{
  return g_strdup_printf ("%d/%d/%s/%s", interface, protocol, domain, name);
}

/* Forgets every service and tells the discovery that nothing learnt from this daemon holds any
 * more. The resolvers and the browser belong to the client and must be freed before it. */
static void
drop_services (HearthMdnsBrowser *self)
{
  gboolean had_services = g_hash_table_size (self->services) > 0;

  g_hash_table_remove_all (self->services);
  g_clear_pointer (&self->browser, avahi_service_browser_free);
  if (had_services)
    g_signal_emit (self, signals[RESET], 0);
}

static gboolean restart_cb (gpointer user_data);

static void
make_client (HearthMdnsBrowser *self)
{
  int error = 0;

  set_state (self, HEARTH_MDNS_STATE_CONNECTING);
  /* avahi_client_new() may call client_callback() before it returns; the callback therefore
   * uses the client it is given, never self->client. */
  self->client = avahi_client_new (avahi_glib_poll_get (self->glib_poll), AVAHI_CLIENT_NO_FAIL,
                                   client_callback, self, &error);
  if (self->client == NULL)
    {
      g_autofree char *message = g_strdup_printf (
          "Cannot reach avahi-daemon: %s; retrying every %d s, multicast probe only meanwhile",
          avahi_strerror (error), RETRY_SECONDS);

      set_last_error (self, message);
    }
}

static void
end_bus_probe (HearthMdnsBrowser *self)
{
  g_clear_handle_id (&self->bus_probe_timeout, g_source_remove);
  if (self->bus_probe != NULL)
    g_cancellable_cancel (self->bus_probe);
  g_clear_object (&self->bus_probe);
}

static void
bus_probe_failed (HearthMdnsBrowser *self, const char *reason)
{
  g_autofree char *message
      = g_strdup_printf ("The system bus does not answer (%s); retrying every %d s, multicast "
                         "probe only meanwhile",
                         reason, RETRY_SECONDS);

  end_bus_probe (self);
  set_last_error (self, message);
  set_state (self, HEARTH_MDNS_STATE_CONNECTING);
  g_clear_handle_id (&self->restart_source, g_source_remove);
  self->restart_source = g_timeout_add_seconds (RETRY_SECONDS, restart_cb, self);
}

static void
bus_probe_connected_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HearthMdnsBrowser *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection
      = g_dbus_connection_new_for_address_finish (result, &error);

  /* Cancelled: the browser is gone or the probe timed out (reported there). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (connection == NULL)
    {
      bus_probe_failed (self, error->message);
      return;
    }
  /* The bus answered Hello just now: Avahi's own blocking calls will be answered too. */
  g_dbus_connection_close (connection, NULL, NULL, NULL);
  end_bus_probe (self);
  make_client (self);
  if (self->client == NULL)
    {
      g_clear_handle_id (&self->restart_source, g_source_remove);
      self->restart_source = g_timeout_add_seconds (RETRY_SECONDS, restart_cb, self);
    }
}

static gboolean
bus_probe_timeout_cb (gpointer user_data)
{
  HearthMdnsBrowser *self = user_data;
  g_autofree char *reason = g_strdup_printf ("no answer within %d s", BUS_PROBE_SECONDS);

  self->bus_probe_timeout = 0;
  bus_probe_failed (self, reason);
  return G_SOURCE_REMOVE;
}

/* Checks without blocking that the system bus answers, then makes the Avahi client. */
static void
probe_bus_then_make_client (HearthMdnsBrowser *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SYSTEM, NULL, &error);

  end_bus_probe (self);
  set_state (self, HEARTH_MDNS_STATE_CONNECTING);
  /* Until the bus answers, this is all there is to say (the interface report shows it). */
  set_last_error (self, "Connecting to avahi-daemon over the system bus; multicast probe only "
                        "meanwhile");
  if (address == NULL)
    {
      bus_probe_failed (self, error->message);
      return;
    }
  self->bus_probe = g_cancellable_new ();
  self->bus_probe_timeout = g_timeout_add_seconds (BUS_PROBE_SECONDS, bus_probe_timeout_cb, self);
  g_dbus_connection_new_for_address (address,
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                         | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                     NULL, self->bus_probe, bus_probe_connected_cb, self);
}

static gboolean
restart_cb (gpointer user_data)
{
  HearthMdnsBrowser *self = user_data;

  self->restart_source = 0;
  drop_services (self);
  g_clear_pointer (&self->client, avahi_client_free);
  self->n_restarts++;
  probe_bus_then_make_client (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_restart (HearthMdnsBrowser *self, guint delay_ms)
{
  if (self->restart_source != 0)
    return;
  set_state (self, HEARTH_MDNS_STATE_CONNECTING);
  if (delay_ms == 0)
    self->restart_source = g_idle_add (restart_cb, self);
  else
    self->restart_source = g_timeout_add (delay_ms, restart_cb, self);
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
  HearthMdnsBrowser *self = user_data;
  g_autofree char *key = service_key (interface, protocol, name, domain);
  Service *service = g_hash_table_lookup (self->services, key);
  g_autoptr (HearthSightingReport) report = NULL;
  const char *why = NULL;

  if (service == NULL || service->resolver != resolver)
    return;

  if (event == AVAHI_RESOLVER_FAILURE)
    {
      g_autofree char *message = g_strdup_printf (
          "Resolving “%s” failed: %s", name,
          avahi_strerror (avahi_client_errno (avahi_service_resolver_get_client (resolver))));

      set_last_error (self, message);
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
      g_autofree char *old_id = g_steal_pointer (&service->device_id);

      g_signal_emit (self, signals[REMOVED], 0, old_id, (guint)service->interface_index);
    }
  g_free (service->device_id);
  service->device_id = g_strdup (report->device_id);
  g_signal_emit (self, signals[RESOLVED], 0, report);
}

static gboolean
device_still_on_interface (HearthMdnsBrowser *self, const char *device_id, AvahiIfIndex interface)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->services);
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
  HearthMdnsBrowser *self = user_data;
  g_autofree char *key = NULL;

  switch (event)
    {
      case AVAHI_BROWSER_NEW:
        {
          Service *service;

          key = service_key (interface, protocol, name, domain);
          service = g_hash_table_lookup (self->services, key);
          if (service != NULL && service->resolver != NULL)
            return;
          if (service == NULL && g_hash_table_size (self->services) >= MAX_SERVICES)
            {
              set_last_error (self, "Too many _iotscp._tcp services; ignoring the rest");
              return;
            }
          if (service == NULL)
            {
              service = g_new0 (Service, 1);
              service->interface_index = interface;
              g_hash_table_insert (self->services, g_steal_pointer (&key), service);
            }
          /* The address family follows the protocol the service was found on, so a device seen
         * over IPv4 and IPv6 mDNS gets an address of each family. */
          service->resolver = avahi_service_resolver_new (
              avahi_service_browser_get_client (browser), interface, protocol, name, type, domain,
              protocol, 0, resolve_callback, self);
          if (service->resolver == NULL)
            set_last_error (self, "Cannot make an Avahi resolver");
          break;
        }
      case AVAHI_BROWSER_REMOVE:
        {
          Service *service;
          g_autofree char *device_id = NULL;

          key = service_key (interface, protocol, name, domain);
          service = g_hash_table_lookup (self->services, key);
          if (service == NULL)
            return;
          device_id = g_steal_pointer (&service->device_id);
          g_hash_table_remove (self->services, key);
          if (device_id != NULL && !device_still_on_interface (self, device_id, interface))
            g_signal_emit (self, signals[REMOVED], 0, device_id, (guint)interface);
          break;
        }
      case AVAHI_BROWSER_FAILURE:
        {
          g_autofree char *message = g_strdup_printf (
              "Avahi browser failed: %s",
              avahi_strerror (avahi_client_errno (avahi_service_browser_get_client (browser))));

          set_last_error (self, message);
          schedule_restart (self, RETRY_SECONDS * 1000);
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
  HearthMdnsBrowser *self = user_data;

  switch (state)
    {
      case AVAHI_CLIENT_S_RUNNING:
      case AVAHI_CLIENT_S_REGISTERING:
      case AVAHI_CLIENT_S_COLLISION:
        /* Browsing works in all three server states; only the host name is in flux in the
       * last two. */
        if (self->browser == NULL)
          {
            self->browser = avahi_service_browser_new (client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                       HEARTH_MDNS_SERVICE_TYPE, NULL, 0,
                                                       browse_callback, self);
            if (self->browser == NULL)
              {
                g_autofree char *message
                    = g_strdup_printf ("Cannot browse %s: %s", HEARTH_MDNS_SERVICE_TYPE,
                                       avahi_strerror (avahi_client_errno (client)));

                set_last_error (self, message);
                schedule_restart (self, RETRY_SECONDS * 1000);
                return;
              }
          }
        set_last_error (self, NULL);
        set_state (self, HEARTH_MDNS_STATE_RUNNING);
        break;
      case AVAHI_CLIENT_CONNECTING:
        set_last_error (self, "avahi-daemon is not running; using the multicast probe only");
        set_state (self, HEARTH_MDNS_STATE_CONNECTING);
        break;
      case AVAHI_CLIENT_FAILURE:
        {
          int error = avahi_client_errno (client);
          g_autofree char *message
              = g_strdup_printf ("avahi-daemon went away: %s", avahi_strerror (error));

          set_last_error (self, message);
          /* A disconnected client is dead; make a new one at once, which waits for the next
         * daemon. Other failures are retried after a pause so a broken setup does not spin. */
          schedule_restart (self, error == AVAHI_ERR_DISCONNECTED ? 0 : RETRY_SECONDS * 1000);
          break;
        }
      default:
        break;
    }
}

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

static void
hearth_mdns_browser_dispose (GObject *object)
{
  HearthMdnsBrowser *self = HEARTH_MDNS_BROWSER (object);

  g_clear_handle_id (&self->restart_source, g_source_remove);
  end_bus_probe (self);
  /* Resolvers and the browser belong to the client: free them first, without signals. */
  if (self->services != NULL)
    g_hash_table_remove_all (self->services);
  g_clear_pointer (&self->browser, avahi_service_browser_free);
  g_clear_pointer (&self->client, avahi_client_free);
  g_clear_pointer (&self->glib_poll, avahi_glib_poll_free);

  G_OBJECT_CLASS (hearth_mdns_browser_parent_class)->dispose (object);
}

static void
hearth_mdns_browser_finalize (GObject *object)
{
  HearthMdnsBrowser *self = HEARTH_MDNS_BROWSER (object);

  g_clear_pointer (&self->services, g_hash_table_unref);
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
  self->services
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)service_free);
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
 * Starts browsing. It cannot fail: without avahi-daemon the browser waits for it (state
 * %HEARTH_MDNS_STATE_CONNECTING, reason in #HearthMdnsBrowser:last-error).
 */
void
hearth_mdns_browser_start (HearthMdnsBrowser *self)
{
  g_return_if_fail (HEARTH_IS_MDNS_BROWSER (self));

  if (self->glib_poll != NULL)
    return;
  self->glib_poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  probe_bus_then_make_client (self);
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
  return self->n_restarts;
}
