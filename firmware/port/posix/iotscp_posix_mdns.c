/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp_posix_mdns.c — DNS-SD publication of `_iotscp._tcp` through the Avahi client library
 * (docs/protocol.md section 2), for the POSIX port and the iotscp-device simulator.
 *
 * Why a helper thread (AvahiThreadedPoll) and not an AvahiPoll adapter over the device loop:
 * the Avahi client API is synchronous D-Bus underneath. avahi_entry_group_new(), _add_service,
 * _commit, _reset and _update_service_txt each block in dbus_connection_send_with_reply_and_block
 * with the default D-Bus timeout of 25 s. The simulator drives up to 1,000 devices from one
 * poll() loop; an adapter over that loop would run those calls inside it, so publishing 1,000
 * services at start-up, republishing them all after an avahi-daemon restart, or one call to a
 * daemon that hangs would stall every device's TLS traffic for seconds. Here the device thread
 * only records what it wants under a short mutex and wakes the Avahi thread through an eventfd;
 * every D-Bus call, every Avahi callback and every reconnect happens on the Avahi thread. The
 * device loop never waits for Avahi, and it never takes Avahi's own lock: it touches Avahi
 * objects only in iotscp_posix_mdns_fini(), after avahi_threaded_poll_stop() has joined the thread.
 *
 * Scale: avahi-daemon allows 1,024 objects per client by default (objects-per-client-max), and
 * every entry group is one object. Services are therefore spread over several clients (D-Bus
 * connections), IOTSCP_MDNS_SERVICES_PER_CLIENT each, so --count 1000 and more stays well below
 * the limit and one client's failure affects at most that many devices.
 *
 * Failure handling: without a reachable system bus avahi_client_new() fails; this is logged once
 * and retried every IOTSCP_MDNS_RETRY_MS (the devices keep working; the multicast probe still
 * finds them). A client is made with AVAHI_CLIENT_NO_FAIL, so a missing avahi-daemon is a
 * CONNECTING client that publishes as soon as the daemon appears. When the daemon goes away
 * (restart), the client fails with AVAHI_ERR_DISCONNECTED: it is freed (outside its own callback)
 * and replaced, and every service of that client is published again when the new client runs.
 * An instance name taken by someone else is renamed with avahi_alternative_service_name() ("Name
 * #2"), as Avahi's documentation asks.
 *
 * Memory: the POSIX port may allocate (only the core must not); the service table grows on
 * demand and its entries are never freed, only reused, so the Avahi thread can keep pointers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>

#include "iotscp_config.h"
#include "iotscp_port.h"
#include "iotscp_posix.h"
#include "iotscp_text.h"

#define IOTSCP_MDNS_SERVICE_TYPE "_iotscp._tcp"

/* Entry groups per Avahi client (see the scale note above). */
#ifndef IOTSCP_MDNS_SERVICES_PER_CLIENT
#define IOTSCP_MDNS_SERVICES_PER_CLIENT 256
#endif

/* Delay before making a new client after a failure that is not a daemon restart. */
#ifndef IOTSCP_MDNS_RETRY_MS
#define IOTSCP_MDNS_RETRY_MS 10000
#endif

/* A TXT string is one length byte long at most: key, '=' and value together. */
#define TXT_STRING_MAX 255

/* Renames tried in a row before giving up until the next restart; Avahi counts up (" #2",
 * " #3", ...), so this only ends a loop that cannot find a free name. */
#define MAX_RENAMES 100

typedef struct mdns_service
{
  /* Written by the device thread, read by both, under table_lock. */
  bool in_use;     /* The slot belongs to a live handle. */
  bool withdrawn;  /* The handle was withdrawn; the Avahi thread frees the group. */
  bool name_dirty; /* Instance name or port changed (or a new client): add again. */
  bool txt_dirty;  /* Only the TXT record changed: update it in place. */
  char wanted_name[AVAHI_LABEL_MAX];
  uint16_t tcp_port;
  AvahiStringList *txt; /* Owned. */

  /* Only the Avahi thread touches these. */
  AvahiEntryGroup *group;
  char current_name[AVAHI_LABEL_MAX]; /* wanted_name, or its alternative after a collision. */
  size_t index;
} mdns_service;

typedef struct mdns_client
{
  AvahiClient *client;
  AvahiTimeout *reconnect; /* Makes the next client; disabled while not needed. */
  bool running;            /* AVAHI_CLIENT_S_RUNNING: groups may be registered. */
  size_t shard;
} mdns_client;

static struct
{
  pthread_mutex_t init_lock;
  unsigned users; /* Ports that called iotscp_posix_mdns_init (one per process in practice). */
  bool ready;     /* The thread runs; false if setting it up failed. */

  pthread_mutex_t table_lock;
  /* The process is ending (iotscp_posix_mdns_quit): the Avahi thread stops applying changes.
   * Withdrawing 1,000 services one by one costs 1,000 synchronous D-Bus calls (about 5 s);
   * avahi_client_free() in stop_thread() closes the D-Bus connection first, and the daemon
   * then drops every group of that client at once. Under table_lock. */
  bool quitting;
  mdns_service **services; /* Grows; entries never move or get freed. */
  size_t service_count;
  mdns_client **clients; /* One per IOTSCP_MDNS_SERVICES_PER_CLIENT services. */
  size_t client_count;

  AvahiThreadedPoll *thread;
  const AvahiPoll *poll_api;
  int wake_fd;
  AvahiWatch *wake_watch;

  iotscp_port *log_port; /* The port of the first publisher, for logging. */
  bool logged_no_bus;
  bool logged_no_daemon;
} mdns = { .init_lock = PTHREAD_MUTEX_INITIALIZER,
           .table_lock = PTHREAD_MUTEX_INITIALIZER,
           .wake_fd = -1 };

static void work (void);
static void client_make (mdns_client *c);

static void
wake (void)
{
  uint64_t one = 1;
  /* A full eventfd counter still wakes the thread, so a failed write loses nothing. */
  if (write (mdns.wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL, "mdns: cannot wake the Avahi thread");
}

static void
on_wake (AvahiWatch *watch, int fd, AvahiWatchEvent event, void *user)
{
  uint64_t count;
  while (read (fd, &count, sizeof count) > 0)
    ;
  work ();
}

static void
set_timeout_ms (AvahiTimeout *timeout, unsigned delay_ms)
{
  struct timeval tv;
  gettimeofday (&tv, NULL);
  tv.tv_sec += delay_ms / 1000;
  tv.tv_usec += (delay_ms % 1000) * 1000;
  if (tv.tv_usec >= 1000000)
    {
      tv.tv_sec += 1;
      tv.tv_usec -= 1000000;
    }
  mdns.poll_api->timeout_update (timeout, &tv);
}

/* ---- Entry groups (Avahi thread) ------------------------------------------------------------ */

static void group_callback (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user);

static mdns_client *
client_of (const mdns_service *s)
{
  return mdns.clients[s->index / IOTSCP_MDNS_SERVICES_PER_CLIENT];
}

/*
 * Adds the service under s->current_name and commits. On a failure the group is freed and made
 * once more, because a group left over from a vanished daemon connection fails every call.
 */
static void
register_service (mdns_service *s)
{
  mdns_client *c = client_of (s);
  if (c->client == NULL || !c->running)
    return; /* Published when the client runs (client_callback marks every service dirty). */

  pthread_mutex_lock (&mdns.table_lock);
  AvahiStringList *txt = avahi_string_list_copy (s->txt);
  uint16_t tcp_port = s->tcp_port;
  pthread_mutex_unlock (&mdns.table_lock);

  int error = 0;
  int renames = 0;
  for (int attempt = 0; attempt < 2; attempt++)
    {
      if (s->group == NULL)
        s->group = avahi_entry_group_new (c->client, group_callback, s);
      else
        avahi_entry_group_reset (s->group);
      if (s->group == NULL)
        {
          error = avahi_client_errno (c->client);
          break;
        }
      /* NO_COOKIE keeps the TXT record to exactly the keys of docs/protocol.md section 2. */
      error = avahi_entry_group_add_service_strlst (
          s->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AVAHI_PUBLISH_NO_COOKIE, s->current_name,
          IOTSCP_MDNS_SERVICE_TYPE, NULL, NULL, tcp_port, txt);
      if (error == AVAHI_ERR_COLLISION && renames++ < MAX_RENAMES)
        {
          /* A local service (another device in this process) has the name already. */
          char *alternative = avahi_alternative_service_name (s->current_name);
          iotscp_port_log (mdns.log_port, IOTSCP_LOG_INFO, NULL,
                           "mdns: instance name \"%s\" is taken, using \"%s\"", s->current_name,
                           alternative);
          snprintf (s->current_name, sizeof s->current_name, "%s", alternative);
          avahi_free (alternative);
          attempt--; /* Renaming is not a failed attempt; collisions end when a name is free. */
          continue;
        }
      if (error == AVAHI_OK)
        error = avahi_entry_group_commit (s->group);
      if (error == AVAHI_OK)
        break;
      avahi_entry_group_free (s->group);
      s->group = NULL;
    }
  if (error != AVAHI_OK)
    iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL,
                     "mdns: cannot publish \"%s\": %s (retried when Avahi restarts)",
                     s->current_name, avahi_strerror (error));
  avahi_string_list_free (txt);
}

static void
update_txt (mdns_service *s)
{
  mdns_client *c = client_of (s);
  if (c->client == NULL || !c->running || s->group == NULL)
    return;
  pthread_mutex_lock (&mdns.table_lock);
  AvahiStringList *txt = avahi_string_list_copy (s->txt);
  pthread_mutex_unlock (&mdns.table_lock);
  int error = avahi_entry_group_update_service_txt_strlst (
      s->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AVAHI_PUBLISH_NO_COOKIE, s->current_name,
      IOTSCP_MDNS_SERVICE_TYPE, NULL, txt);
  avahi_string_list_free (txt);
  if (error != AVAHI_OK)
    register_service (s); /* E.g. the group was still registering: add it afresh. */
}

static void
group_callback (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user)
{
  mdns_service *s = user;
  switch (state)
    {
      case AVAHI_ENTRY_GROUP_COLLISION:
        {
          /* Someone else on the network has the name: take "Name #2" and so on. */
          char *alternative = avahi_alternative_service_name (s->current_name);
          iotscp_port_log (mdns.log_port, IOTSCP_LOG_INFO, NULL,
                           "mdns: instance name \"%s\" collides on the network, renaming to \"%s\"",
                           s->current_name, alternative);
          snprintf (s->current_name, sizeof s->current_name, "%s", alternative);
          avahi_free (alternative);
          /* avahi_entry_group_new() calls back before it returns: s->group may still be NULL. */
          s->group = group;
          register_service (s);
          break;
        }
      case AVAHI_ENTRY_GROUP_FAILURE:
        iotscp_port_log (
            mdns.log_port, IOTSCP_LOG_WARNING, NULL, "mdns: publishing \"%s\" failed: %s",
            s->current_name,
            avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
        break;
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        iotscp_port_log (mdns.log_port, IOTSCP_LOG_DEBUG, NULL, "mdns: published \"%s\"",
                         s->current_name);
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
}

/* ---- Clients (Avahi thread) ----------------------------------------------------------------- */

/* The service at index i, or NULL; the table may grow (and move) at any time, the entries not. */
static mdns_service *
service_at (size_t i)
{
  pthread_mutex_lock (&mdns.table_lock);
  mdns_service *s = i < mdns.service_count ? mdns.services[i] : NULL;
  pthread_mutex_unlock (&mdns.table_lock);
  return s;
}

static void
mark_shard_dirty (size_t shard)
{
  pthread_mutex_lock (&mdns.table_lock);
  size_t first = shard * IOTSCP_MDNS_SERVICES_PER_CLIENT;
  for (size_t i = first; i < mdns.service_count && i < first + IOTSCP_MDNS_SERVICES_PER_CLIENT; i++)
    if (mdns.services[i]->in_use)
      mdns.services[i]->name_dirty = true;
  pthread_mutex_unlock (&mdns.table_lock);
}

/* Forgets every group of the shard: avahi_client_free() has freed them. */
static void
forget_groups (size_t shard)
{
  pthread_mutex_lock (&mdns.table_lock);
  size_t first = shard * IOTSCP_MDNS_SERVICES_PER_CLIENT;
  for (size_t i = first; i < mdns.service_count && i < first + IOTSCP_MDNS_SERVICES_PER_CLIENT; i++)
    mdns.services[i]->group = NULL;
  pthread_mutex_unlock (&mdns.table_lock);
}

static void
client_callback (AvahiClient *client, AvahiClientState state, void *user)
{
  mdns_client *c = user;
  /* avahi_client_new() calls back before it returns, so c->client may not be set yet. */
  c->client = client;
  c->running = state == AVAHI_CLIENT_S_RUNNING;
  switch (state)
    {
      case AVAHI_CLIENT_S_RUNNING:
        if (mdns.logged_no_daemon || mdns.logged_no_bus)
          iotscp_port_log (mdns.log_port, IOTSCP_LOG_INFO, NULL,
                           "mdns: avahi-daemon is available, publishing");
        mdns.logged_no_daemon = false;
        mdns.logged_no_bus = false;
        /* A new or reconnected client has no groups on the daemon: publish everything again. */
        mark_shard_dirty (c->shard);
        wake ();
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        /* The host name is being (re)registered; services follow when the state is RUNNING. The
       * D-Bus calls run without table_lock so that the device thread never waits for them. */
        for (size_t i = c->shard * IOTSCP_MDNS_SERVICES_PER_CLIENT;
             i < (c->shard + 1) * IOTSCP_MDNS_SERVICES_PER_CLIENT; i++)
          {
            mdns_service *s = service_at (i);
            if (s == NULL)
              break;
            if (s->group != NULL)
              avahi_entry_group_reset (s->group);
          }
        break;
      case AVAHI_CLIENT_CONNECTING:
        if (!mdns.logged_no_daemon)
          iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL,
                           "mdns: avahi-daemon is not running; services are published when it "
                           "starts (the multicast probe finds the devices meanwhile)");
        mdns.logged_no_daemon = true;
        break;
      case AVAHI_CLIENT_FAILURE:
        {
          int error = avahi_client_errno (client);
          if (error == AVAHI_ERR_DISCONNECTED)
            {
              if (!mdns.logged_no_daemon)
                iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL,
                                 "mdns: lost avahi-daemon, reconnecting");
              mdns.logged_no_daemon = true;
              set_timeout_ms (c->reconnect, 0);
            }
          else
            {
              iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL,
                               "mdns: Avahi client failed: %s", avahi_strerror (error));
              set_timeout_ms (c->reconnect, IOTSCP_MDNS_RETRY_MS);
            }
          break;
        }
    }
}

/* Frees a failed client (never from inside its own callback) and makes a new one. */
static void
on_reconnect (AvahiTimeout *timeout, void *user)
{
  mdns_client *c = user;
  if (c->client != NULL)
    {
      avahi_client_free (c->client);
      c->client = NULL;
      c->running = false;
      forget_groups (c->shard);
    }
  client_make (c);
}

static void
client_make (mdns_client *c)
{
  int error = 0;
  AvahiClient *client
      = avahi_client_new (mdns.poll_api, AVAHI_CLIENT_NO_FAIL, client_callback, c, &error);
  if (client == NULL)
    {
      /* No system bus at all: not even NO_FAIL helps. Try again later, quietly. */
      if (!mdns.logged_no_bus)
        iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL,
                         "mdns: cannot reach Avahi (%s); devices are found by the multicast probe "
                         "only, retrying every %u s",
                         avahi_strerror (error), (unsigned)(IOTSCP_MDNS_RETRY_MS / 1000));
      mdns.logged_no_bus = true;
      c->client = NULL;
      c->running = false;
      set_timeout_ms (c->reconnect, IOTSCP_MDNS_RETRY_MS);
      return;
    }
  c->client = client;
}

/* Makes the clients that the service table needs (Avahi thread). */
static void
ensure_clients (size_t service_count)
{
  size_t needed
      = (service_count + IOTSCP_MDNS_SERVICES_PER_CLIENT - 1) / IOTSCP_MDNS_SERVICES_PER_CLIENT;
  while (mdns.client_count < needed)
    {
      mdns_client *c = calloc (1, sizeof *c);
      mdns_client **grown = realloc (mdns.clients, (mdns.client_count + 1) * sizeof *grown);
      if (c == NULL || grown == NULL)
        {
          free (c);
          if (grown != NULL)
            mdns.clients = grown;
          return;
        }
      mdns.clients = grown;
      c->shard = mdns.client_count;
      c->reconnect = mdns.poll_api->timeout_new (mdns.poll_api, NULL, on_reconnect, c);
      mdns.clients[mdns.client_count++] = c;
      client_make (c);
    }
}

/* Applies what the device thread asked for (Avahi thread). */
static void
work (void)
{
  pthread_mutex_lock (&mdns.table_lock);
  size_t count = mdns.service_count;
  pthread_mutex_unlock (&mdns.table_lock);
  ensure_clients (count);

  for (size_t i = 0; i < count; i++)
    {
      pthread_mutex_lock (&mdns.table_lock);
      if (mdns.quitting)
        {
          pthread_mutex_unlock (&mdns.table_lock);
          return;
        }
      mdns_service *s = mdns.services[i];
      bool withdrawn = s->withdrawn;
      bool name_dirty = s->in_use && s->name_dirty;
      bool txt_dirty = s->in_use && s->txt_dirty;
      if (name_dirty)
        snprintf (s->current_name, sizeof s->current_name, "%s", s->wanted_name);
      pthread_mutex_unlock (&mdns.table_lock);

      if (i / IOTSCP_MDNS_SERVICES_PER_CLIENT >= mdns.client_count)
        continue; /* Out of memory for its client; tried again at the next wake-up. */
      mdns_client *c = client_of (s);
      if (!withdrawn && (c->client == NULL || !c->running))
        continue; /* Stays dirty; client_callback wakes us when the client runs. */

      if (withdrawn)
        {
          if (s->group != NULL)
            avahi_entry_group_free (s->group);
          s->group = NULL;
        }
      else if (name_dirty)
        register_service (s);
      else if (txt_dirty)
        update_txt (s);

      pthread_mutex_lock (&mdns.table_lock);
      if (withdrawn)
        {
          s->withdrawn = false;
          s->in_use = false;
          avahi_string_list_free (s->txt);
          s->txt = NULL;
        }
      s->name_dirty = false;
      s->txt_dirty = false;
      pthread_mutex_unlock (&mdns.table_lock);
    }
}

/* ---- Start-up and shutdown (device thread) -------------------------------------------------- */

static void
stop_thread (void)
{
  if (mdns.thread != NULL)
    {
      /* Joins the thread; afterwards its objects may be freed without its lock. */
      if (mdns.ready)
        avahi_threaded_poll_stop (mdns.thread);
      for (size_t i = 0; i < mdns.client_count; i++)
        {
          /* Freeing a client frees its groups: the daemon withdraws their services. */
          if (mdns.clients[i]->client != NULL)
            avahi_client_free (mdns.clients[i]->client);
          if (mdns.clients[i]->reconnect != NULL)
            mdns.poll_api->timeout_free (mdns.clients[i]->reconnect);
          free (mdns.clients[i]);
        }
      free (mdns.clients);
      mdns.clients = NULL;
      mdns.client_count = 0;
      if (mdns.wake_watch != NULL)
        mdns.poll_api->watch_free (mdns.wake_watch);
      mdns.wake_watch = NULL;
      avahi_threaded_poll_free (mdns.thread);
      mdns.thread = NULL;
    }
  if (mdns.wake_fd >= 0)
    close (mdns.wake_fd);
  mdns.wake_fd = -1;
  for (size_t i = 0; i < mdns.service_count; i++)
    {
      avahi_string_list_free (mdns.services[i]->txt);
      free (mdns.services[i]);
    }
  free (mdns.services);
  mdns.services = NULL;
  mdns.service_count = 0;
  mdns.ready = false;
}

static bool
start_thread (void)
{
  mdns.wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  mdns.thread = avahi_threaded_poll_new ();
  if (mdns.wake_fd < 0 || mdns.thread == NULL)
    goto fail;
  mdns.poll_api = avahi_threaded_poll_get (mdns.thread);
  /* The thread is not running yet, so its objects can be made without its lock. */
  mdns.wake_watch
      = mdns.poll_api->watch_new (mdns.poll_api, mdns.wake_fd, AVAHI_WATCH_IN, on_wake, NULL);
  if (mdns.wake_watch == NULL || avahi_threaded_poll_start (mdns.thread) < 0)
    goto fail;
  mdns.ready = true;
  return true;

fail:
  iotscp_port_log (mdns.log_port, IOTSCP_LOG_WARNING, NULL,
                   "mdns: cannot start the Avahi thread; mDNS is off (the multicast probe still "
                   "finds the devices)");
  stop_thread ();
  return false;
}

int
iotscp_posix_mdns_init (iotscp_port *port)
{
  pthread_mutex_lock (&mdns.init_lock);
  if (mdns.users++ == 0)
    {
      mdns.log_port = port;
      mdns.logged_no_bus = false;
      mdns.logged_no_daemon = false;
      start_thread ();
    }
  bool ready = mdns.ready;
  pthread_mutex_unlock (&mdns.init_lock);
  port->mdns = ready ? &mdns : NULL;
  /* The connection to avahi-daemon is made by the thread when the first service is published;
   * a missing daemon is not an error here (it may start later). */
  return ready ? IOTSCP_PORT_OK : IOTSCP_PORT_UNSUPPORTED;
}

void
iotscp_posix_mdns_fini (iotscp_port *port)
{
  pthread_mutex_lock (&mdns.init_lock);
  if (mdns.users > 0 && --mdns.users == 0)
    stop_thread ();
  pthread_mutex_unlock (&mdns.init_lock);
  port->mdns = NULL;
}

/* ---- The port API (device thread) ----------------------------------------------------------- */

/* Builds the TXT list, or returns false if an item is not a valid TXT string. */
static bool
build_txt (const iotscp_txt_item *txt, size_t txt_count, AvahiStringList **out)
{
  AvahiStringList *list = NULL;
  /* Avahi prepends: add in reverse so the record keeps the caller's order. */
  for (size_t i = txt_count; i-- > 0;)
    {
      size_t key_len = strlen (txt[i].key);
      size_t value_len = strlen (txt[i].value);
      if (key_len == 0 || key_len + 1 + value_len > TXT_STRING_MAX
          || strchr (txt[i].key, '=') != NULL)
        {
          avahi_string_list_free (list);
          return false;
        }
      list = avahi_string_list_add_pair (list, txt[i].key, txt[i].value);
    }
  *out = list;
  return true;
}

/* The instance name, cut to a character boundary at 63 bytes; an empty name would be refused
 * by Avahi, so the device id from the TXT items stands in. */
static void
instance_name (const char *instance, const iotscp_txt_item *txt, size_t txt_count,
               char out[AVAHI_LABEL_MAX])
{
  const char *name = instance;
  if (name == NULL || name[0] == '\0')
    {
      name = "iotscp device";
      for (size_t i = 0; i < txt_count; i++)
        if (strcmp (txt[i].key, "id") == 0 && txt[i].value[0] != '\0')
          name = txt[i].value;
    }
  size_t len = iotscp_text_cut_utf8 (name, IOTSCP_DNSSD_INSTANCE_MAX < AVAHI_LABEL_MAX - 1
                                               ? IOTSCP_DNSSD_INSTANCE_MAX
                                               : AVAHI_LABEL_MAX - 1);
  memcpy (out, name, len);
  out[len] = '\0';
}

int
iotscp_port_mdns_publish (iotscp_port *port, const char *instance, uint16_t tcp_port,
                          const iotscp_txt_item *txt, size_t txt_count)
{
  if (port->mdns == NULL)
    return IOTSCP_PORT_UNSUPPORTED;

  AvahiStringList *list;
  if (!build_txt (txt, txt_count, &list))
    return IOTSCP_PORT_ERROR;

  pthread_mutex_lock (&mdns.table_lock);
  /* Reuse a slot whose withdrawal the Avahi thread has finished, else grow the table. */
  size_t index = mdns.service_count;
  for (size_t i = 0; i < mdns.service_count; i++)
    if (!mdns.services[i]->in_use)
      {
        index = i;
        break;
      }
  if (index == mdns.service_count)
    {
      mdns_service *s = calloc (1, sizeof *s);
      mdns_service **grown = realloc (mdns.services, (index + 1) * sizeof *grown);
      if (grown != NULL)
        mdns.services = grown;
      if (s == NULL || grown == NULL || index > INT32_MAX)
        {
          pthread_mutex_unlock (&mdns.table_lock);
          free (s);
          avahi_string_list_free (list);
          return IOTSCP_PORT_ERROR;
        }
      s->index = index;
      mdns.services[mdns.service_count++] = s;
    }
  mdns_service *s = mdns.services[index];
  s->in_use = true;
  s->withdrawn = false;
  s->name_dirty = true;
  s->txt_dirty = false;
  instance_name (instance, txt, txt_count, s->wanted_name);
  s->tcp_port = tcp_port;
  avahi_string_list_free (s->txt);
  s->txt = list;
  pthread_mutex_unlock (&mdns.table_lock);

  wake ();
  return (int)index;
}

int
iotscp_port_mdns_update (iotscp_port *port, int handle, const char *instance,
                         const iotscp_txt_item *txt, size_t txt_count)
{
  if (port->mdns == NULL || handle < 0)
    return IOTSCP_PORT_ERROR;
  AvahiStringList *list;
  if (!build_txt (txt, txt_count, &list))
    return IOTSCP_PORT_ERROR;
  char name[AVAHI_LABEL_MAX];
  instance_name (instance, txt, txt_count, name);

  pthread_mutex_lock (&mdns.table_lock);
  if ((size_t)handle >= mdns.service_count || !mdns.services[handle]->in_use
      || mdns.services[handle]->withdrawn)
    {
      pthread_mutex_unlock (&mdns.table_lock);
      avahi_string_list_free (list);
      return IOTSCP_PORT_ERROR;
    }
  mdns_service *s = mdns.services[handle];
  if (strcmp (name, s->wanted_name) != 0)
    {
      memcpy (s->wanted_name, name, sizeof name);
      s->name_dirty = true; /* A new instance name needs a new registration (and probing). */
    }
  if (!avahi_string_list_equal (list, s->txt))
    s->txt_dirty = true;
  avahi_string_list_free (s->txt);
  s->txt = list;
  pthread_mutex_unlock (&mdns.table_lock);

  wake ();
  return IOTSCP_PORT_OK;
}

void
iotscp_posix_mdns_quit (iotscp_port *port)
{
  if (port->mdns == NULL)
    return;
  pthread_mutex_lock (&mdns.table_lock);
  mdns.quitting = true;
  pthread_mutex_unlock (&mdns.table_lock);
}

void
iotscp_port_mdns_withdraw (iotscp_port *port, int handle)
{
  if (port->mdns == NULL || handle < 0)
    return;
  pthread_mutex_lock (&mdns.table_lock);
  if ((size_t)handle < mdns.service_count && mdns.services[handle]->in_use)
    mdns.services[handle]->withdrawn = true;
  pthread_mutex_unlock (&mdns.table_lock);
  wake ();
}
