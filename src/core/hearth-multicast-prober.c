/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-multicast-prober"
/* For struct in6_pktinfo. */
#define _GNU_SOURCE 1

#include "hearth-multicast-prober.h"

#include <errno.h>
#include <glib-unix.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hearth-error.h"
#include "hearth-probe-message.h"
#include "hearth-sighting-private.h"

/* HearthMulticastProber is the hub's half of the IOTSCP/2 multicast probe (docs/protocol.md
 * §3), the discovery path that works without any mDNS responder.
 *
 * Sockets, per address family (IPv4 239.255.42.99, IPv6 ff02::42:99, port 4299):
 * - a *listener* bound to port 4299 with SO_REUSEADDR (GLib also sets SO_REUSEPORT for
 *   datagram sockets), joined to the group on every usable interface. It hears the HELLO
 *   announcements of devices. The reuse options let several hubs, tests and simulators on one
 *   host share the port: each gets every multicast datagram.
 * - a *sender* bound to an ephemeral port. Probes go out from it, one per interface (the
 *   interface is chosen with IP_MULTICAST_IF / IPV6_MULTICAST_IF before each send), and
 *   devices answer to its address and port by unicast. It has its own port because a unicast
 *   datagram to a port shared with SO_REUSEADDR reaches only one of the sharing sockets.
 * Datagrams are read with recvmsg() on the GSocket's descriptor, because GSocket does not
 * hand out IP_PKTINFO: the receiving interface is what makes a sighting's address usable
 * (an IPv6 link-local address needs it as scope) and what the per-interface report shows.
 *
 * Interfaces: the set of usable interfaces is read with getifaddrs(). It is read again when
 * the kernel reports a link or address change on a NETLINK_ROUTE socket (RTMGRP_LINK and the
 * IPv4/IPv6 address groups), debounced by RESCAN_DELAY_MS, and at every periodic probe round as
 * a safety net. Netlink was chosen over GNetworkMonitor because GNetworkMonitor reports
 * "network changed" from routes only, says nothing about which interface changed, and inside
 * Flatpak goes through a portal that reports connectivity rather than interfaces; a netlink
 * route socket works in the sandbox too. Where it cannot be opened, the interfaces are re-read
 * every FALLBACK_RESCAN_SECONDS instead.
 *
 * An interface is usable for IPv4 when it is up, can multicast (or is the loopback, where
 * simulators on the same host live) and has an IPv4 address; for IPv6 when it is up, can
 * multicast, is not the loopback (IPv6 multicast does not work there) and has a link-local
 * address.
 *
 * Rate: a probe round goes out at start, soon after the usable interfaces change, every
 * probe-interval seconds, and on demand, but never more than once per MIN_ROUND_SPACING_MS
 * (devices rate-limit probes too, per source address). Each round has a fresh nonce; answers
 * are accepted only for the nonces of the last MAX_NONCES rounds within NONCE_LIFETIME_US.
 * Probes are padded to HEARTH_PROBE_MIN_BYTES; datagrams over HEARTH_PROBE_MAX_BYTES are
 * dropped unread (MSG_TRUNC), everything else goes through hearth_probe_message_parse(). */

#define RESCAN_DELAY_MS 200
#define FALLBACK_RESCAN_SECONDS 5
#define MIN_ROUND_SPACING_MS 1000
#define MAX_NONCES 8
#define NONCE_LIFETIME_US (10 * G_USEC_PER_SEC)
#define MAX_DATAGRAMS_PER_WAKEUP 64

enum
{
  SIGHTED,
  INTERFACES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  char *name;
  guint index;
  guint flags;
  gboolean has_ipv4;
  gboolean has_ipv6_link_local;
  guint joined_ipv4_index; /* the index the IPv4 group was joined on, or 0 */
  guint joined_ipv6_index;
  gboolean sent_ipv4;
  gboolean sent_ipv6;
  gboolean is_allowed;
  struct in_addr ipv4_address; /* the first IPv4 address: the source of IPv4 probes */
  char *last_error;
} Interface;

typedef struct
{
  char nonce[HEARTH_PROBE_NONCE_LENGTH + 1];
  gint64 sent_us;
} SentNonce;

typedef struct
{
  GSocket *listener;
  GSocket *sender;
  GSource *listener_source;
  GSource *sender_source;
  GInetAddress *group;
  char *error; /* why this family does not work at all, or NULL */
} Family;

struct _HearthMulticastProber
{
  GObject parent_instance;

  /* Owned */
  Family ipv4;
  Family ipv6;
  GHashTable *interfaces; /* name → Interface */
  SentNonce nonces[MAX_NONCES];
  guint next_nonce;
  int netlink_fd;
  guint netlink_source;
  guint rescan_source;
  guint round_source;
  guint periodic_source;
  guint fallback_source;
  gint64 last_round_us;
  guint n_rounds;
  guint probe_interval_seconds;
  char **allowed_interfaces; /* NULL: every interface */
  gboolean is_started;
};

G_DEFINE_FINAL_TYPE (HearthMulticastProber, hearth_multicast_prober, G_TYPE_OBJECT)

void
hearth_probe_interface_free (HearthProbeInterface *interface)
{
  if (interface == NULL)
    return;
  g_free (interface->name);
  g_free (interface->last_error);
  g_free (interface);
}

static void
interface_free (Interface *interface)
{
  g_free (interface->name);
  g_free (interface->last_error);
  g_free (interface);
}

static void interface_set_error (Interface *interface, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
interface_set_error (Interface *interface, const char *format, ...)
{
  va_list args;

  g_free (interface->last_error);
  va_start (args, format);
  interface->last_error = g_strdup_vprintf (format, args);
  va_end (args);
  g_debug ("%s: %s", interface->name, interface->last_error);
}

static gboolean
interface_wants_ipv4 (Interface *interface)
{
  return interface->is_allowed && (interface->flags & IFF_UP)
         && (interface->flags & (IFF_MULTICAST | IFF_LOOPBACK)) && interface->has_ipv4;
}

static gboolean
interface_wants_ipv6 (Interface *interface)
{
  return interface->is_allowed && (interface->flags & IFF_UP) && (interface->flags & IFF_MULTICAST)
         && !(interface->flags & IFF_LOOPBACK) && interface->has_ipv6_link_local;
}

static void
family_clear (Family *family)
{
  if (family->listener_source != NULL)
    g_source_destroy (family->listener_source);
  if (family->sender_source != NULL)
    g_source_destroy (family->sender_source);
  g_clear_pointer (&family->listener_source, g_source_unref);
  g_clear_pointer (&family->sender_source, g_source_unref);
  g_clear_object (&family->listener);
  g_clear_object (&family->sender);
  g_clear_object (&family->group);
  g_clear_pointer (&family->error, g_free);
}

/* Receiving. */

static gboolean
nonce_is_ours (HearthMulticastProber *self, const char *nonce)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < MAX_NONCES; i++)
    if (self->nonces[i].sent_us != 0 && now - self->nonces[i].sent_us < NONCE_LIFETIME_US
        && strcmp (self->nonces[i].nonce, nonce) == 0)
      return TRUE;
  return FALSE;
}

/* Datagrams from interfaces the prober does not use (not allowed, or not usable) are dropped:
 * the kernel may deliver a group's datagrams from every interface where any socket joined. */
static gboolean
interface_index_is_allowed (HearthMulticastProber *self, guint interface_index)
{
  GHashTableIter iter;
  gpointer value;

  if (self->allowed_interfaces == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, self->interfaces);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Interface *interface = value;

      if (interface->index == interface_index)
        return interface->is_allowed;
    }
  return FALSE;
}

static void
handle_datagram (HearthMulticastProber *self, const guint8 *data, gsize length,
                 GInetAddress *source, guint interface_index, gboolean on_listener)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthProbeMessage) message = hearth_probe_message_parse (data, length, &error);
  g_autoptr (HearthSightingReport) report = NULL;
  char interface_name[IF_NAMESIZE] = { 0 };

  if (message == NULL)
    {
      g_debug ("Dropped a datagram of %" G_GSIZE_FORMAT " bytes: %s", length, error->message);
      return;
    }
  /* Probes from other hubs are none of our business; an answer must carry the nonce of one of
   * our recent probes and arrive at the sender; a HELLO arrives on the group. */
  if (message->verb == HEARTH_PROBE_VERB_PROBE)
    return;
  if (message->verb == HEARTH_PROBE_VERB_HERE
      && (on_listener || !nonce_is_ours (self, message->nonce)))
    return;
  if (message->verb == HEARTH_PROBE_VERB_HELLO && !on_listener)
    return;
  if (!interface_index_is_allowed (self, interface_index))
    return;

  report = hearth_sighting_report_new (HEARTH_SIGHTING_SOURCE_PROBE);
  report->device_id = g_steal_pointer (&message->device_id);
  report->name = g_steal_pointer (&message->name);
  report->fingerprint_hint = g_steal_pointer (&message->fingerprint);
  report->path = g_steal_pointer (&message->path);
  report->port = message->port;
  report->is_pairing = message->is_pairing;
  report->address = g_object_ref (source);
  report->interface_index = interface_index;
  if (interface_index != 0 && if_indextoname (interface_index, interface_name) != NULL)
    report->interface_name = g_strdup (interface_name);
  g_signal_emit (self, signals[SIGHTED], 0, report);
}

static void
read_datagrams (HearthMulticastProber *self, GSocket *socket, gboolean on_listener)
{
  int fd = g_socket_get_fd (socket);

  for (guint n = 0; n < MAX_DATAGRAMS_PER_WAKEUP; n++)
    {
      /* One byte more than the limit, so that MSG_TRUNC tells an oversized datagram apart. */
      guint8 buffer[HEARTH_PROBE_MAX_BYTES + 1];
      union
      {
        struct cmsghdr align;
        char bytes[CMSG_SPACE (sizeof (struct in6_pktinfo))
                   + CMSG_SPACE (sizeof (struct in_pktinfo))];
      } control;
      struct sockaddr_storage from;
      struct iovec iov = { .iov_base = buffer, .iov_len = sizeof buffer };
      struct msghdr header = {
        .msg_name = &from,
        .msg_namelen = sizeof from,
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.bytes,
        .msg_controllen = sizeof control.bytes,
      };
      g_autoptr (GSocketAddress) source_address = NULL;
      GInetAddress *source;
      guint interface_index = 0;
      ssize_t length;

      length = recvmsg (fd, &header, MSG_DONTWAIT);
      if (length < 0)
        {
          if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            g_debug ("recvmsg failed: %s", g_strerror (errno));
          return;
        }
      if (header.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
        continue;

      for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&header); cmsg != NULL;
           cmsg = CMSG_NXTHDR (&header, cmsg))
        {
          if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO)
            {
              struct in_pktinfo info;

              memcpy (&info, CMSG_DATA (cmsg), sizeof info);
              interface_index = (guint)info.ipi_ifindex;
            }
          else if (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_PKTINFO)
            {
              struct in6_pktinfo info;

              memcpy (&info, CMSG_DATA (cmsg), sizeof info);
              interface_index = info.ipi6_ifindex;
            }
        }

      source_address = g_socket_address_new_from_native (&from, header.msg_namelen);
      if (source_address == NULL || !G_IS_INET_SOCKET_ADDRESS (source_address))
        continue;
      source = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (source_address));
      if (interface_index == 0
          && g_socket_address_get_family (source_address) == G_SOCKET_FAMILY_IPV6)
        interface_index
            = g_inet_socket_address_get_scope_id (G_INET_SOCKET_ADDRESS (source_address));
      handle_datagram (self, buffer, (gsize)length, source, interface_index, on_listener);
    }
}

static gboolean
listener_ready_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  read_datagrams (user_data, socket, TRUE);
  return G_SOURCE_CONTINUE;
}

static gboolean
sender_ready_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  read_datagrams (user_data, socket, FALSE);
  return G_SOURCE_CONTINUE;
}

/* Opening. */

static GSocket *
open_socket (GSocketFamily family, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket
      = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  g_autoptr (GInetAddress) any = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  gboolean is_ipv6 = family == G_SOCKET_FAMILY_IPV6;

  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  /* Each family has its own sockets, so an IPv6 socket must not also receive IPv4. */
  if (is_ipv6 && !g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, error))
    return NULL;
  if (!g_socket_set_option (socket, is_ipv6 ? IPPROTO_IPV6 : IPPROTO_IP,
                            is_ipv6 ? IPV6_RECVPKTINFO : IP_PKTINFO, 1, error))
    return NULL;
  g_socket_set_multicast_ttl (socket, 1);
  g_socket_set_multicast_loopback (socket, TRUE);

  any = g_inet_address_new_any (family);
  address = g_inet_socket_address_new (any, port);
  if (!g_socket_bind (socket, address, TRUE, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static void
open_family (HearthMulticastProber *self, Family *family, GSocketFamily socket_family,
             const char *group)
{
  g_autoptr (GError) error = NULL;
  const char *name = socket_family == G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4";

  family->group = g_inet_address_new_from_string (group);
  family->sender = open_socket (socket_family, 0, &error);
  if (family->sender == NULL)
    {
      family->error = g_strdup_printf ("Cannot open an %s socket: %s", name, error->message);
      return;
    }
  family->sender_source = g_socket_create_source (family->sender, G_IO_IN, NULL);
  g_source_set_callback (family->sender_source, G_SOURCE_FUNC (sender_ready_cb), self, NULL);
  g_source_attach (family->sender_source, NULL);

  family->listener = open_socket (socket_family, HEARTH_PROBE_PORT, &error);
  if (family->listener != NULL)
    {
      /* Receive only the groups this socket joined, on the interfaces it joined them on, not
       * every group any program on the host joined (Linux's default). Older kernels lack the
       * IPv6 option; the interface check in handle_datagram() covers them. */
      int fd = g_socket_get_fd (family->listener);
      int off = 0;

      if (socket_family == G_SOCKET_FAMILY_IPV6)
        setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof off);
      else
        setsockopt (fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
    }
  if (family->listener == NULL)
    {
      /* Probing still works from the sender; only HELLOs are missed. */
      family->error = g_strdup_printf ("Cannot listen on %s port %d for announcements: %s", name,
                                       HEARTH_PROBE_PORT, error->message);
      return;
    }
  family->listener_source = g_socket_create_source (family->listener, G_IO_IN, NULL);
  g_source_set_callback (family->listener_source, G_SOURCE_FUNC (listener_ready_cb), self, NULL);
  g_source_attach (family->listener_source, NULL);
}

/* Sending. */

static gboolean
select_interface (Family *family, gboolean is_ipv6, Interface *interface, GError **error)
{
  int fd = g_socket_get_fd (family->sender);
  int result;

  if (is_ipv6)
    {
      int value = (int)interface->index;

      result = setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &value, sizeof value);
    }
  else
    {
      /* The interface's own address as the source: answers then come back over that
       * interface, and a device on the same host answers from loopback, not from whatever
       * address the route to the group would pick. */
      struct ip_mreqn request = {
        .imr_address = interface->ipv4_address,
        .imr_ifindex = (int)interface->index,
      };

      result = setsockopt (fd, IPPROTO_IP, IP_MULTICAST_IF, &request, sizeof request);
    }
  if (result < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot select the interface: %s", g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
send_probe (Family *family, gboolean is_ipv6, Interface *interface, GBytes *probe)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) destination = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (probe, &size);

  if (family->sender == NULL)
    return FALSE;
  destination
      = g_object_new (G_TYPE_INET_SOCKET_ADDRESS, "address", family->group, "port",
                      (guint)HEARTH_PROBE_PORT, "scope-id", is_ipv6 ? interface->index : 0u, NULL);
  if (!select_interface (family, is_ipv6, interface, &error)
      || g_socket_send_to (family->sender, destination, (const char *)data, size, NULL, &error) < 0)
    {
      interface_set_error (interface, "Sending the %s probe failed: %s", is_ipv6 ? "IPv6" : "IPv4",
                           error->message);
      return FALSE;
    }
  return TRUE;
}

static void
send_round (HearthMulticastProber *self)
{
  g_autofree char *nonce = hearth_probe_message_new_nonce ();
  g_autoptr (GBytes) probe = NULL;
  SentNonce *slot = &self->nonces[self->next_nonce];
  GHashTableIter iter;
  gpointer value;

  probe = hearth_probe_message_build_probe (nonce, NULL, HEARTH_PROBE_MIN_BYTES, NULL);
  g_assert (probe != NULL);
  g_strlcpy (slot->nonce, nonce, sizeof slot->nonce);
  slot->sent_us = g_get_monotonic_time ();
  self->next_nonce = (self->next_nonce + 1) % MAX_NONCES;
  self->last_round_us = slot->sent_us;
  self->n_rounds++;

  g_hash_table_iter_init (&iter, self->interfaces);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Interface *interface = value;

      interface->sent_ipv4
          = interface_wants_ipv4 (interface) && send_probe (&self->ipv4, FALSE, interface, probe);
      interface->sent_ipv6
          = interface_wants_ipv6 (interface) && send_probe (&self->ipv6, TRUE, interface, probe);
      if ((interface->sent_ipv4 || !interface_wants_ipv4 (interface))
          && (interface->sent_ipv6 || !interface_wants_ipv6 (interface)))
        g_clear_pointer (&interface->last_error, g_free);
    }
  g_signal_emit (self, signals[INTERFACES_CHANGED], 0);
}

static gboolean
round_cb (gpointer user_data)
{
  HearthMulticastProber *self = user_data;

  self->round_source = 0;
  send_round (self);
  return G_SOURCE_REMOVE;
}

/* Schedules a round as soon as the spacing allows (and at least @delay_ms from now). */
static void
schedule_round (HearthMulticastProber *self, guint delay_ms)
{
  gint64 earliest_us = self->last_round_us + MIN_ROUND_SPACING_MS * 1000;
  gint64 wait_us = MAX ((gint64)delay_ms * 1000, earliest_us - g_get_monotonic_time ());

  if (self->round_source != 0 || !self->is_started)
    return;
  self->round_source = g_timeout_add ((guint)MAX (wait_us / 1000, 0), round_cb, self);
}

/* Interfaces. */

static void
join_groups (HearthMulticastProber *self, Interface *interface)
{
  struct
  {
    Family *family;
    gboolean wanted;
    guint *joined_index;
  } families[] = {
    { &self->ipv4, interface_wants_ipv4 (interface), &interface->joined_ipv4_index },
    { &self->ipv6, interface_wants_ipv6 (interface), &interface->joined_ipv6_index },
  };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      Family *family = families[i].family;
      g_autoptr (GError) error = NULL;

      if (family->listener == NULL)
        continue;
      if (!families[i].wanted)
        {
          /* Leaving fails harmlessly when the interface is already gone. */
          if (*families[i].joined_index != 0)
            g_socket_leave_multicast_group (family->listener, family->group, FALSE, interface->name,
                                            NULL);
          *families[i].joined_index = 0;
          continue;
        }
      if (*families[i].joined_index == interface->index)
        continue;
      if (g_socket_join_multicast_group (family->listener, family->group, FALSE, interface->name,
                                         &error)
          || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        *families[i].joined_index = interface->index;
      else
        interface_set_error (interface, "Cannot join %s: %s",
                             i == 0 ? HEARTH_PROBE_GROUP_IPV4 : HEARTH_PROBE_GROUP_IPV6,
                             error->message);
    }
}

typedef struct
{
  guint index;
  guint flags;
  gboolean has_ipv4;
  gboolean has_ipv6_link_local;
  struct in_addr ipv4_address;
} ScannedInterface;

static void
rescan (HearthMulticastProber *self)
{
  g_autoptr (GHashTable) scanned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  struct ifaddrs *list = NULL;
  gboolean has_news = FALSE;
  GHashTableIter iter;
  gpointer key, value;

  if (getifaddrs (&list) < 0)
    {
      g_debug ("getifaddrs failed: %s", g_strerror (errno));
      return;
    }
  /* getifaddrs() lists an interface once per address (and once for its link): gather each
   * interface's flags and whether it has an address of each family. */
  for (struct ifaddrs *entry = list; entry != NULL; entry = entry->ifa_next)
    {
      ScannedInterface *found = g_hash_table_lookup (scanned, entry->ifa_name);

      if (found == NULL)
        {
          guint index = if_nametoindex (entry->ifa_name);

          if (index == 0)
            continue;
          found = g_new0 (ScannedInterface, 1);
          found->index = index;
          g_hash_table_insert (scanned, g_strdup (entry->ifa_name), found);
        }
      found->flags = entry->ifa_flags;
      if (entry->ifa_addr == NULL)
        continue;
      if (entry->ifa_addr->sa_family == AF_INET && !found->has_ipv4)
        {
          found->has_ipv4 = TRUE;
          found->ipv4_address = ((struct sockaddr_in *)entry->ifa_addr)->sin_addr;
        }
      else if (entry->ifa_addr->sa_family == AF_INET6
               && IN6_IS_ADDR_LINKLOCAL (&((struct sockaddr_in6 *)entry->ifa_addr)->sin6_addr))
        found->has_ipv6_link_local = TRUE;
    }
  freeifaddrs (list);

  /* Interfaces that are gone: the kernel dropped their memberships with them. */
  g_hash_table_iter_init (&iter, self->interfaces);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (scanned, key))
      {
        g_hash_table_iter_remove (&iter);
        has_news = TRUE;
      }

  g_hash_table_iter_init (&iter, scanned);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      ScannedInterface *found = value;
      Interface *interface = g_hash_table_lookup (self->interfaces, key);
      gboolean was_joined_ipv4, was_joined_ipv6;

      if (interface == NULL)
        {
          interface = g_new0 (Interface, 1);
          interface->name = g_strdup (key);
          g_hash_table_insert (self->interfaces, interface->name, interface);
        }
      if (interface->index != found->index)
        {
          /* A new interface, or one deleted and made again under the same name: any
           * membership on the old index is gone. */
          interface->index = found->index;
          interface->joined_ipv4_index = 0;
          interface->joined_ipv6_index = 0;
          has_news = TRUE;
        }
      interface->flags = found->flags;
      interface->is_allowed
          = self->allowed_interfaces == NULL
            || g_strv_contains ((const char *const *)self->allowed_interfaces, interface->name);
      interface->has_ipv4 = found->has_ipv4;
      interface->ipv4_address = found->ipv4_address;
      interface->has_ipv6_link_local = found->has_ipv6_link_local;

      was_joined_ipv4 = interface->joined_ipv4_index != 0;
      was_joined_ipv6 = interface->joined_ipv6_index != 0;
      join_groups (self, interface);
      /* Probe again when an interface became usable, or when the last probe on it failed
       * (an IPv6 address still in duplicate address detection, for instance). */
      if ((interface->joined_ipv4_index != 0) != was_joined_ipv4
          || (interface->joined_ipv6_index != 0) != was_joined_ipv6
          || (interface_wants_ipv4 (interface) && !interface->sent_ipv4)
          || (interface_wants_ipv6 (interface) && !interface->sent_ipv6))
        has_news = TRUE;
    }

  if (has_news)
    {
      schedule_round (self, 0);
      g_signal_emit (self, signals[INTERFACES_CHANGED], 0);
    }
}

static gboolean
rescan_cb (gpointer user_data)
{
  HearthMulticastProber *self = user_data;

  self->rescan_source = 0;
  rescan (self);
  return G_SOURCE_REMOVE;
}

static gboolean
netlink_cb (int fd, GIOCondition condition, gpointer user_data)
{
  HearthMulticastProber *self = user_data;
  char buffer[8192];

  /* The messages only say that something changed; getifaddrs() says what. */
  while (recv (fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0)
    ;
  if (self->rescan_source == 0)
    self->rescan_source = g_timeout_add (RESCAN_DELAY_MS, rescan_cb, self);
  return G_SOURCE_CONTINUE;
}

static gboolean
open_netlink (HearthMulticastProber *self)
{
  struct sockaddr_nl address = {
    .nl_family = AF_NETLINK,
    .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
  };
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

  if (fd < 0)
    return FALSE;
  if (bind (fd, (struct sockaddr *)&address, sizeof address) < 0)
    {
      close (fd);
      return FALSE;
    }
  self->netlink_fd = fd;
  self->netlink_source = g_unix_fd_add (fd, G_IO_IN, netlink_cb, self);
  return TRUE;
}

static gboolean
periodic_cb (gpointer user_data)
{
  HearthMulticastProber *self = user_data;

  rescan (self);
  schedule_round (self, 0);
  return G_SOURCE_CONTINUE;
}

static gboolean
fallback_rescan_cb (gpointer user_data)
{
  rescan (user_data);
  return G_SOURCE_CONTINUE;
}

static void
hearth_multicast_prober_dispose (GObject *object)
{
  HearthMulticastProber *self = HEARTH_MULTICAST_PROBER (object);

  g_clear_handle_id (&self->netlink_source, g_source_remove);
  g_clear_handle_id (&self->rescan_source, g_source_remove);
  g_clear_handle_id (&self->round_source, g_source_remove);
  g_clear_handle_id (&self->periodic_source, g_source_remove);
  g_clear_handle_id (&self->fallback_source, g_source_remove);
  if (self->netlink_fd >= 0)
    {
      close (self->netlink_fd);
      self->netlink_fd = -1;
    }
  family_clear (&self->ipv4);
  family_clear (&self->ipv6);
  if (self->interfaces != NULL)
    g_hash_table_remove_all (self->interfaces);

  G_OBJECT_CLASS (hearth_multicast_prober_parent_class)->dispose (object);
}

static void
hearth_multicast_prober_finalize (GObject *object)
{
  HearthMulticastProber *self = HEARTH_MULTICAST_PROBER (object);

  g_clear_pointer (&self->interfaces, g_hash_table_unref);
  g_strfreev (self->allowed_interfaces);

  G_OBJECT_CLASS (hearth_multicast_prober_parent_class)->finalize (object);
}

static void
hearth_multicast_prober_class_init (HearthMulticastProberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_multicast_prober_dispose;
  object_class->finalize = hearth_multicast_prober_finalize;

  /* sighted (const HearthSightingReport *): an answer to one of our probes, or a HELLO. */
  signals[SIGHTED] = g_signal_new ("sighted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* interfaces-changed: the usable interfaces, or the outcome of probing on them, changed. */
  signals[INTERFACES_CHANGED]
      = g_signal_new ("interfaces-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_multicast_prober_init (HearthMulticastProber *self)
{
  self->interfaces
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)interface_free);
  self->netlink_fd = -1;
  self->probe_interval_seconds = 30;
}

/**
 * hearth_multicast_prober_new:
 * @probe_interval_seconds: seconds between periodic probe rounds (at least 1)
 * @allowed_interfaces: (nullable) (array zero-terminated=1): probe only on these interfaces;
 *   %NULL for every usable one
 *
 * Returns: (transfer full): a new prober; call hearth_multicast_prober_start()
 */
HearthMulticastProber *
hearth_multicast_prober_new (guint probe_interval_seconds, const char *const *allowed_interfaces)
{
  HearthMulticastProber *self = g_object_new (HEARTH_TYPE_MULTICAST_PROBER, NULL);

  self->probe_interval_seconds = MAX (probe_interval_seconds, 1);
  self->allowed_interfaces = g_strdupv ((char **)allowed_interfaces);
  return self;
}

/**
 * hearth_multicast_prober_start:
 * @self: a #HearthMulticastProber
 * @error: return location for a #GError
 *
 * Opens the sockets, joins the groups on every usable interface and sends the first round.
 * Fails (%HEARTH_ERROR_LISTEN_FAILED) only when neither IPv4 nor IPv6 can be used at all;
 * partial failures (no IPv6, port 4299 taken by a program without SO_REUSEADDR) are reported
 * per interface by hearth_multicast_prober_dup_interfaces().
 *
 * Returns: %TRUE on success
 */
gboolean
hearth_multicast_prober_start (HearthMulticastProber *self, GError **error)
{
  g_return_val_if_fail (HEARTH_IS_MULTICAST_PROBER (self), FALSE);

  if (self->is_started)
    return TRUE;

  open_family (self, &self->ipv4, G_SOCKET_FAMILY_IPV4, HEARTH_PROBE_GROUP_IPV4);
  open_family (self, &self->ipv6, G_SOCKET_FAMILY_IPV6, HEARTH_PROBE_GROUP_IPV6);
  if (self->ipv4.sender == NULL && self->ipv6.sender == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_LISTEN_FAILED,
                   "The multicast probe cannot run: %s; %s", self->ipv4.error, self->ipv6.error);
      family_clear (&self->ipv4);
      family_clear (&self->ipv6);
      return FALSE;
    }

  self->is_started = TRUE;
  if (!open_netlink (self))
    self->fallback_source
        = g_timeout_add_seconds (FALLBACK_RESCAN_SECONDS, fallback_rescan_cb, self);
  self->periodic_source = g_timeout_add_seconds (self->probe_interval_seconds, periodic_cb, self);
  rescan (self);
  schedule_round (self, 0);
  return TRUE;
}

/**
 * hearth_multicast_prober_probe_now:
 * @self: a #HearthMulticastProber
 *
 * Sends a probe round as soon as the minimum spacing between rounds allows.
 */
void
hearth_multicast_prober_probe_now (HearthMulticastProber *self)
{
  g_return_if_fail (HEARTH_IS_MULTICAST_PROBER (self));
  schedule_round (self, 0);
}

void
hearth_multicast_prober_rescan_interfaces (HearthMulticastProber *self)
{
  g_return_if_fail (HEARTH_IS_MULTICAST_PROBER (self));
  if (self->is_started)
    rescan (self);
}

/**
 * hearth_multicast_prober_dup_interfaces:
 * @self: a #HearthMulticastProber
 *
 * Returns: (transfer container) (element-type HearthProbeInterface): every interface the
 *   prober knows, with whether the probe works there and the last error
 */
GPtrArray *
hearth_multicast_prober_dup_interfaces (HearthMulticastProber *self)
{
  GPtrArray *result;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (HEARTH_IS_MULTICAST_PROBER (self), NULL);

  result = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_probe_interface_free);
  g_hash_table_iter_init (&iter, self->interfaces);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Interface *interface = value;
      HearthProbeInterface *copy = g_new0 (HearthProbeInterface, 1);
      const char *family_error = NULL;

      copy->name = g_strdup (interface->name);
      copy->index = interface->index;
      copy->is_up = (interface->flags & IFF_UP) != 0;
      copy->probe_ipv4_active = interface->joined_ipv4_index != 0 && interface->sent_ipv4;
      copy->probe_ipv6_active = interface->joined_ipv6_index != 0 && interface->sent_ipv6;
      if (interface_wants_ipv4 (interface) && self->ipv4.error != NULL)
        family_error = self->ipv4.error;
      else if (interface_wants_ipv6 (interface) && self->ipv6.error != NULL)
        family_error = self->ipv6.error;
      copy->last_error
          = g_strdup (interface->last_error != NULL ? interface->last_error : family_error);
      g_ptr_array_add (result, copy);
    }
  return result;
}

/* The number of probe rounds sent so far, for tests and diagnostics. */
guint
hearth_multicast_prober_get_n_rounds (HearthMulticastProber *self)
{
  g_return_val_if_fail (HEARTH_IS_MULTICAST_PROBER (self), 0);
  return self->n_rounds;
}
