/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The device: declarations, lifecycle, the controller list, the event loop integration,
 * property changes and events, and the public accessors.
 */
#include "iotscp_internal.h"

#include <stdio.h>
#include <string.h>

#include "iotscp_probe.h"
#include <mbedtls/ssl.h>

#include "iotscp_text.h"

/* ---- Declarations ---- */

int
iotscp_device_init (iotscp_device *dev, iotscp_port *port, const iotscp_device_info *info,
                    const iotscp_callbacks *callbacks)
{
  memset (dev, 0, sizeof *dev);
  dev->port = port;
  dev->listener = -1;
  dev->mdns_handle = -1;
  dev->probe.socket_ipv4 = -1;
  dev->probe.socket_ipv6 = -1;
  for (size_t i = 0; i < IOTSCP_MAX_CONNECTIONS; i++)
    {
      dev->connections[i].io.handle = -1;
      dev->connections[i].io.port = port;
    }
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    {
      dev->subscriptions[i].io.handle = -1;
      dev->subscriptions[i].io.port = port;
    }
  if (callbacks != NULL)
    dev->callbacks = *callbacks;
  if (info == NULL)
    return IOTSCP_ERR_INVALID;
  dev->model = info->model;
  dev->manufacturer = info->manufacturer;
  dev->firmware = info->firmware;
  dev->ui_icon = info->ui_icon;
  dev->ui_primary = info->ui_primary;
  dev->storage_ns = info->storage_ns ? info->storage_ns : "";
  dev->requested_id = info->id;
  dev->id_prefix = info->id_prefix;
  dev->tcp_port = info->tcp_port;
  /* A configured id is known at once; a generated one when the identity is loaded. */
  if (info->id != NULL && strcmp (info->id, "generate") != 0
      && iotscp_text_is_device_id (info->id, strlen (info->id)))
    memcpy (dev->id, info->id, strlen (info->id) + 1);
  return iotscp_device_set_name (dev, info->name ? info->name : "IOTSCP device");
}

static bool
fields_ok (const iotscp_field *fields, size_t count)
{
  if (count > IOTSCP_MAX_FIELDS || (count > 0 && fields == NULL))
    return false;
  for (size_t i = 0; i < count; i++)
    {
      if (!iotscp_model_name_ok (fields[i].name) || !iotscp_model_schema_ok (&fields[i].schema))
        return false;
      for (size_t j = 0; j < i; j++)
        if (strcmp (fields[i].name, fields[j].name) == 0)
          return false;
    }
  return true;
}

static iotscp_value
default_value (const iotscp_schema *schema)
{
  {
    double first;
    if (schema->enum_count > 0 && schema->type != IOTSCP_TYPE_STRING
        && iotscp_model_enum_number (schema, 0, &first))
      return schema->type == IOTSCP_TYPE_INTEGER ? iotscp_int ((int64_t)first)
                                                 : iotscp_number (first);
  }
  switch (schema->type)
    {
      case IOTSCP_TYPE_INTEGER:
        return iotscp_int ((schema->flags & IOTSCP_HAS_MINIMUM) && schema->minimum > 0
                               ? (int64_t)schema->minimum
                               : 0);
      case IOTSCP_TYPE_NUMBER:
        return iotscp_number (
            (schema->flags & IOTSCP_HAS_MINIMUM) && schema->minimum > 0 ? schema->minimum : 0);
      case IOTSCP_TYPE_STRING:
        return iotscp_string (schema->enum_count > 0 ? schema->enum_values[0] : "");
      default:
        return iotscp_bool (false);
    }
}

static void
copy_value (iotscp_property_slot *slot, const iotscp_value *value)
{
  if (slot->decl->schema.type == IOTSCP_TYPE_NUMBER && value->type == IOTSCP_TYPE_INTEGER)
    {
      slot->value = iotscp_number ((double)value->integer);
      return;
    }
  slot->value = *value;
  if (value->type == IOTSCP_TYPE_STRING)
    {
      memmove (slot->text, value->string, value->length);
      slot->text[value->length] = '\0';
      slot->value.string = slot->text;
    }
}

int
iotscp_device_add_property (iotscp_device *dev, const iotscp_property_decl *decl,
                            const iotscp_value *initial)
{
  iotscp_value value;
  const char *why = NULL;
  if (dev->started)
    return IOTSCP_ERR_STATE;
  if (dev->property_count >= IOTSCP_MAX_PROPERTIES)
    return IOTSCP_ERR_FULL;
  if (decl == NULL || !iotscp_model_name_ok (decl->name) || !iotscp_model_schema_ok (&decl->schema)
      || iotscp_device_find_property (dev, decl->name) >= 0)
    return IOTSCP_ERR_INVALID;
  value = initial ? *initial : default_value (&decl->schema);
  if (!iotscp_model_value_ok (&decl->schema, &value, &why))
    return IOTSCP_ERR_INVALID;
  dev->properties[dev->property_count].decl = decl;
  copy_value (&dev->properties[dev->property_count], &value);
  return dev->property_count++;
}

int
iotscp_device_add_action (iotscp_device *dev, const iotscp_action_decl *decl)
{
  if (dev->started)
    return IOTSCP_ERR_STATE;
  if (dev->action_count >= IOTSCP_MAX_ACTIONS)
    return IOTSCP_ERR_FULL;
  if (decl == NULL || !iotscp_model_name_ok (decl->name)
      || !fields_ok (decl->input, decl->input_count)
      || iotscp_device_find_action (dev, decl->name) >= 0)
    return IOTSCP_ERR_INVALID;
  dev->actions[dev->action_count] = decl;
  return dev->action_count++;
}

int
iotscp_device_add_event (iotscp_device *dev, const iotscp_event_decl *decl)
{
  if (dev->started)
    return IOTSCP_ERR_STATE;
  if (dev->event_count >= IOTSCP_MAX_EVENTS)
    return IOTSCP_ERR_FULL;
  if (decl == NULL || !iotscp_model_name_ok (decl->name)
      || !fields_ok (decl->data, decl->data_count)
      || iotscp_device_find_event (dev, decl->name) >= 0)
    return IOTSCP_ERR_INVALID;
  dev->events[dev->event_count] = decl;
  return dev->event_count++;
}

int
iotscp_device_find_property (const iotscp_device *dev, const char *name)
{
  for (size_t i = 0; name != NULL && i < dev->property_count; i++)
    if (strcmp (dev->properties[i].decl->name, name) == 0)
      return (int)i;
  return -1;
}

int
iotscp_device_find_action (const iotscp_device *dev, const char *name)
{
  for (size_t i = 0; name != NULL && i < dev->action_count; i++)
    if (strcmp (dev->actions[i]->name, name) == 0)
      return (int)i;
  return -1;
}

int
iotscp_device_find_event (const iotscp_device *dev, const char *name)
{
  for (size_t i = 0; name != NULL && i < dev->event_count; i++)
    if (strcmp (dev->events[i]->name, name) == 0)
      return (int)i;
  return -1;
}

/* ---- Controllers ---- */

/* Stored as lines "<64 hex> <name>\n". */
static int
save_controllers (iotscp_device *dev)
{
  char buf[IOTSCP_MAX_CONTROLLERS * (66 + IOTSCP_CONTROLLER_NAME_MAX)];
  size_t len = 0;
  for (size_t i = 0; i < dev->controller_count; i++)
    {
      iotscp_text_hex_encode (dev->controllers[i].fingerprint, 32, buf + len, sizeof buf - len);
      len += 64;
      buf[len++] = ' ';
      memcpy (buf + len, dev->controllers[i].name, strlen (dev->controllers[i].name));
      len += strlen (dev->controllers[i].name);
      buf[len++] = '\n';
    }
  if (iotscp_port_storage_set (dev->port, dev->storage_ns, "controllers", buf, len) != 0)
    return IOTSCP_ERR_STORAGE;
  return IOTSCP_OK;
}

static int
load_controllers (iotscp_device *dev)
{
  char buf[IOTSCP_MAX_CONTROLLERS * (66 + IOTSCP_CONTROLLER_NAME_MAX) + 1];
  size_t len = 0;
  int ret = iotscp_port_storage_get (dev->port, dev->storage_ns, "controllers", buf, sizeof buf - 1,
                                     &len);
  char *line = buf;
  dev->controller_count = 0;
  if (ret == IOTSCP_PORT_NOT_FOUND)
    return IOTSCP_OK;
  if (ret != IOTSCP_PORT_OK)
    return IOTSCP_ERR_STORAGE;
  buf[len] = '\0';
  while (*line != '\0' && dev->controller_count < IOTSCP_MAX_CONTROLLERS)
    {
      char *end = strchr (line, '\n');
      iotscp_controller *c = &dev->controllers[dev->controller_count];
      size_t name_len;
      if (end == NULL)
        break;
      *end = '\0';
      name_len = strlen (line) > 65 ? strlen (line) - 65 : 0;
      if (strlen (line) >= 65 && line[64] == ' ' && name_len <= IOTSCP_CONTROLLER_NAME_MAX
          && iotscp_text_hex_decode (line, 64, c->fingerprint, 32) == 32)
        {
          memcpy (c->name, line + 65, name_len);
          c->name[name_len] = '\0';
          dev->controller_count++;
        }
      line = end + 1;
    }
  return IOTSCP_OK;
}

bool
iotscp_device_is_controller (const iotscp_device *dev, const uint8_t fp[32])
{
  bool found = false;
  for (size_t i = 0; i < dev->controller_count; i++)
    found |= iotscp_text_equal_ct (dev->controllers[i].fingerprint, fp, 32);
  return found;
}

int
iotscp_device_controller_add (iotscp_device *dev, const uint8_t fp[32], const char *name,
                              bool *added)
{
  iotscp_controller *c;
  size_t len = strlen (name);
  *added = false;
  if (iotscp_device_is_controller (dev, fp))
    return IOTSCP_OK;
  if (dev->controller_count >= IOTSCP_MAX_CONTROLLERS)
    return IOTSCP_ERR_FULL;
  if (len > IOTSCP_CONTROLLER_NAME_MAX)
    len = iotscp_text_cut_utf8 (name, IOTSCP_CONTROLLER_NAME_MAX);
  dev->content_version++;
  c = &dev->controllers[dev->controller_count++];
  memcpy (c->fingerprint, fp, 32);
  memcpy (c->name, name, len);
  c->name[len] = '\0';
  *added = true;
  if (save_controllers (dev) != IOTSCP_OK)
    {
      dev->controller_count--;
      *added = false;
      return IOTSCP_ERR_STORAGE;
    }
  return IOTSCP_OK;
}

int
iotscp_device_controller_remove (iotscp_device *dev, const uint8_t fp[32])
{
  for (size_t i = 0; i < dev->controller_count; i++)
    if (iotscp_text_equal_ct (dev->controllers[i].fingerprint, fp, 32))
      {
        memmove (&dev->controllers[i], &dev->controllers[i + 1],
                 (dev->controller_count - i - 1) * sizeof dev->controllers[0]);
        dev->controller_count--;
        dev->content_version++;
        /* Its subscriptions end with it: nothing more is sent to a removed controller
         * (protocol.md section 6), not even entries already waiting. */
        for (size_t k = 0; k < IOTSCP_MAX_SUBSCRIPTIONS; k++)
          if (dev->subscriptions[k].active
              && iotscp_text_equal_ct (dev->subscriptions[k].subscriber_fingerprint, fp, 32))
            iotscp_subscription_end (dev, &dev->subscriptions[k]);
        return save_controllers (dev);
      }
  return IOTSCP_OK;
}

int
iotscp_device_add_controller (iotscp_device *dev, const char *fingerprint_hex, const char *name)
{
  uint8_t fp[32];
  bool added;
  int ret;
  if (fingerprint_hex == NULL || strlen (fingerprint_hex) != 64
      || iotscp_text_hex_decode (fingerprint_hex, 64, fp, 32) != 32)
    return IOTSCP_ERR_INVALID;
  if (!dev->identity_loaded && (ret = iotscp_device_load_identity (dev, false)) != IOTSCP_OK)
    return ret;
  if ((ret = load_controllers (dev)) != IOTSCP_OK)
    return ret;
  return iotscp_device_controller_add (dev, fp, name ? name : "", &added);
}

/* ---- Lifecycle ---- */

int
iotscp_device_load_identity (iotscp_device *dev, bool new_key)
{
  return iotscp_identity_load (dev, new_key);
}

static void
mdns_txt (iotscp_device *dev, iotscp_txt_item txt[6], char fp_prefix[17], char instance[64])
{
  size_t cut = iotscp_text_cut_utf8 (dev->name, IOTSCP_DNSSD_INSTANCE_MAX);
  memcpy (instance, dev->name, cut);
  instance[cut] = '\0';
  memcpy (fp_prefix, dev->fingerprint_hex, 16);
  fp_prefix[16] = '\0';
  txt[0] = (iotscp_txt_item){ "v", "2" };
  txt[1] = (iotscp_txt_item){ "id", dev->id };
  txt[2] = (iotscp_txt_item){ "name", dev->name };
  txt[3] = (iotscp_txt_item){ "fp", fp_prefix };
  txt[4] = (iotscp_txt_item){ "path", IOTSCP_DESCRIPTION_PATH };
  txt[5] = (iotscp_txt_item){ "pair", iotscp_device_pairing_open (dev) ? "1" : "0" };
}

int
iotscp_device_start (iotscp_device *dev)
{
  uint8_t boot[16];
  int ret;
  uint64_t now;

  if (dev->started)
    return IOTSCP_ERR_STATE;
  if (!dev->identity_loaded && (ret = iotscp_device_load_identity (dev, false)) != IOTSCP_OK)
    return ret;
  if ((ret = load_controllers (dev)) != IOTSCP_OK)
    return ret;
  if (iotscp_port_random (dev->port, boot, sizeof boot) != 0)
    return IOTSCP_ERR_CRYPTO;
  iotscp_text_hex_encode (boot, sizeof boot, dev->boot_id, sizeof dev->boot_id);

  ret = iotscp_port_tcp_listen (dev->port, &dev->tcp_port, 16);
  if (ret < 0)
    return ret == IOTSCP_PORT_ADDR_IN_USE ? IOTSCP_ERR_ADDR_IN_USE : IOTSCP_ERR_NET;
  dev->listener = ret;
  now = iotscp_port_now_ms (dev->port);
  dev->started_ms = now;
  iotscp_ring_reset (&dev->ring);
  dev->started = true;

  {
    iotscp_txt_item txt[6];
    char fp_prefix[17], instance[64];
    mdns_txt (dev, txt, fp_prefix, instance);
    dev->mdns_handle = iotscp_port_mdns_publish (dev->port, instance, dev->tcp_port, txt, 6);
    if (dev->mdns_handle < 0 && dev->mdns_handle != IOTSCP_PORT_UNSUPPORTED)
      IOTSCP_LOG (dev, IOTSCP_LOG_WARNING, "mDNS publication failed");
  }
#ifdef IOTSCP_HAVE_PROBE
  if (iotscp_probe_start (dev, now) < 0)
    IOTSCP_LOG (dev, IOTSCP_LOG_WARNING, "multicast probe responder not running");
#endif
  IOTSCP_LOG (dev, IOTSCP_LOG_DEBUG, "listening on port %u", (unsigned)dev->tcp_port);
  return IOTSCP_OK;
}

void
iotscp_device_stop (iotscp_device *dev)
{
  if (dev->started)
    {
      for (size_t i = 0; i < IOTSCP_MAX_CONNECTIONS; i++)
        if (dev->connections[i].io.handle >= 0)
          iotscp_server_close (dev, &dev->connections[i]);
      for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
        if (dev->subscriptions[i].active)
          iotscp_subscription_end (dev, &dev->subscriptions[i]);
#ifdef IOTSCP_HAVE_PROBE
      iotscp_probe_stop (dev);
#endif
      if (dev->mdns_handle >= 0)
        iotscp_port_mdns_withdraw (dev->port, dev->mdns_handle);
      dev->mdns_handle = -1;
      iotscp_port_close (dev->port, dev->listener);
      dev->listener = -1;
      dev->started = false;
    }
  iotscp_tls_free (dev);
}

/* ---- Event loop ---- */

size_t
iotscp_device_pollfds (iotscp_device *dev, iotscp_pollfd *fds, size_t cap)
{
  size_t n = 0;
  if (!dev->started)
    return 0;
  if (n < cap)
    fds[n++] = (iotscp_pollfd){ dev->listener, IOTSCP_POLL_IN, 0 };
  for (size_t i = 0; i < IOTSCP_MAX_CONNECTIONS && n < cap; i++)
    {
      /* A connection waiting for the body buffer asks for nothing (see iotscp_server.c). */
      uint8_t events = iotscp_server_poll_events (&dev->connections[i]);
      if (dev->connections[i].io.handle >= 0 && events != 0)
        fds[n++] = (iotscp_pollfd){ dev->connections[i].io.handle, events, 0 };
    }
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS && n < cap; i++)
    {
      uint8_t events = iotscp_subscription_poll_events (&dev->subscriptions[i]);
      if (dev->subscriptions[i].active && dev->subscriptions[i].io.handle >= 0 && events != 0)
        fds[n++] = (iotscp_pollfd){ dev->subscriptions[i].io.handle, events, 0 };
    }
#ifdef IOTSCP_HAVE_PROBE
  n += iotscp_probe_pollfds (dev, fds + n, cap - n);
#endif
  return n;
}

static uint8_t
revents_of (const iotscp_pollfd *fds, size_t n, int handle)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i].handle == handle)
      return fds[i].revents;
  return 0;
}

void
iotscp_device_process (iotscp_device *dev, const iotscp_pollfd *fds, size_t n, uint64_t now_ms)
{
  if (!dev->started)
    return;
  for (size_t i = 0; i < IOTSCP_MAX_CONNECTIONS; i++)
    {
      iotscp_connection *conn = &dev->connections[i];
      uint8_t revents;
      if (conn->io.handle < 0)
        continue;
      revents = revents_of (fds, n, conn->io.handle);
      if (revents != 0 || now_ms >= conn->deadline_ms || iotscp_server_wants_turn (conn))
        iotscp_server_process (dev, conn, revents, now_ms);
    }
  /* Accepted after the connections had their turn: one whose client has just closed it is
   * gone by now, so its slot is free for the newcomer instead of looking busy. */
  if (revents_of (fds, n, dev->listener) != 0)
    iotscp_server_accept (dev, now_ms);
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    {
      iotscp_subscription *sub = &dev->subscriptions[i];
      if (sub->active)
        iotscp_subscription_process (dev, sub, revents_of (fds, n, sub->io.handle), now_ms);
    }
#ifdef IOTSCP_HAVE_PROBE
  {
    iotscp_pollfd mine[2];
    size_t count = 0;
    for (size_t i = 0; i < n && count < 2; i++)
      if (fds[i].handle >= 0
          && (fds[i].handle == dev->probe.socket_ipv4 || fds[i].handle == dev->probe.socket_ipv6))
        mine[count++] = fds[i];
    iotscp_probe_process (dev, mine, count, now_ms);
  }
#endif
}

uint64_t
iotscp_device_next_deadline (const iotscp_device *dev)
{
  uint64_t next;
  if (!dev->started)
    return UINT64_MAX;
  next = iotscp_server_next_deadline (dev);
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    {
      uint64_t d = iotscp_subscription_next_deadline (dev, &dev->subscriptions[i]);
      if (d < next)
        next = d;
    }
#ifdef IOTSCP_HAVE_PROBE
  {
    uint64_t d = iotscp_probe_next_deadline (dev);
    if (d < next)
      next = d;
  }
#endif
  return next;
}

size_t
iotscp_device_pending_entries (const iotscp_device *dev)
{
  uint32_t most = 0;
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    {
      const iotscp_subscription *sub = &dev->subscriptions[i];
      /* Unsigned difference: right when the counters wrap around. */
      uint32_t behind = (uint32_t)(dev->ring.next - sub->cursor);
      if (sub->active && behind > most)
        most = behind;
    }
  return most;
}

/* ---- Changes ---- */

static bool
any_subscription (const iotscp_device *dev)
{
  for (size_t i = 0; i < IOTSCP_MAX_SUBSCRIPTIONS; i++)
    if (dev->subscriptions[i].active)
      return true;
  return false;
}

static void
push_entry (iotscp_device *dev, bool property, const char *name, const iotscp_value *value,
            const iotscp_event_decl *event, const iotscp_value *data, uint64_t now_ms)
{
  char entry[IOTSCP_EVENT_RING_SIZE / 2];
  iotscp_jw w;
  size_t len;
  iotscp_jw_init (&w, entry, sizeof entry);
  iotscp_jw_object_begin (&w);
  iotscp_jw_key (&w, "kind");
  iotscp_jw_string (&w, property ? "property" : "event");
  iotscp_jw_key (&w, "name");
  iotscp_jw_string (&w, name);
  if (property)
    {
      iotscp_jw_key (&w, "value");
      iotscp_model_write_value (&w, value);
    }
  else
    {
      iotscp_jw_key (&w, "data");
      iotscp_model_write_fields (&w, event->data, event->data_count, data);
    }
  iotscp_jw_key (&w, "t");
  iotscp_jw_int64 (&w, (int64_t)iotscp_device_uptime_ms (dev, now_ms));
  iotscp_jw_object_end (&w);
  len = iotscp_jw_finish (&w);
  /* len 0 (the entry does not fit in half the ring) records a lost entry: a SEQ gap. */
  iotscp_ring_push (&dev->ring, entry, len);
}

static bool
values_equal (const iotscp_value *a, const iotscp_value *b)
{
  if (a->type != b->type)
    return false;
  switch (a->type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        return a->boolean == b->boolean;
      case IOTSCP_TYPE_INTEGER:
        return a->integer == b->integer;
      case IOTSCP_TYPE_NUMBER:
        return a->number == b->number;
      case IOTSCP_TYPE_STRING:
        return a->length == b->length && memcmp (a->string, b->string, a->length) == 0;
      default:
        return true;
    }
}

void
iotscp_device_store_property (iotscp_device *dev, size_t index, const iotscp_value *value,
                              bool always_notify, uint64_t now_ms)
{
  iotscp_property_slot *slot = &dev->properties[index];
  iotscp_value before = slot->value;
  char before_text[IOTSCP_MAX_STRING_VALUE + 1];
  if (before.type == IOTSCP_TYPE_STRING)
    {
      memcpy (before_text, slot->text, before.length + 1);
      before.string = before_text;
    }
  copy_value (slot, value);
  if (!values_equal (&before, &slot->value))
    dev->content_version++;
  if (dev->started && (always_notify || !values_equal (&before, &slot->value))
      && any_subscription (dev))
    push_entry (dev, true, slot->decl->name, &slot->value, NULL, NULL, now_ms);
}

int
iotscp_device_set_property (iotscp_device *dev, size_t index, const iotscp_value *value)
{
  const char *why = NULL;
  if (index >= dev->property_count || value == NULL)
    return IOTSCP_ERR_INVALID;
  if (!iotscp_model_value_ok (&dev->properties[index].decl->schema, value, &why))
    return IOTSCP_ERR_INVALID;
  iotscp_device_store_property (dev, index, value, false, iotscp_port_now_ms (dev->port));
  return IOTSCP_OK;
}

const iotscp_value *
iotscp_device_get_property (const iotscp_device *dev, size_t index)
{
  return index < dev->property_count ? &dev->properties[index].value : NULL;
}

int
iotscp_device_emit_event (iotscp_device *dev, size_t index, const iotscp_value *data)
{
  const iotscp_event_decl *event;
  const char *why = NULL;
  if (index >= dev->event_count)
    return IOTSCP_ERR_INVALID;
  event = dev->events[index];
  for (size_t i = 0; i < event->data_count; i++)
    {
      if (data == NULL || data[i].type == IOTSCP_TYPE_NULL)
        {
          if (event->data[i].required)
            return IOTSCP_ERR_INVALID;
          continue;
        }
      if (!iotscp_model_value_ok (&event->data[i].schema, &data[i], &why))
        return IOTSCP_ERR_INVALID;
    }
  if (dev->started && any_subscription (dev))
    push_entry (dev, false, event->name, NULL, event, data, iotscp_port_now_ms (dev->port));
  return IOTSCP_OK;
}

int
iotscp_device_set_name (iotscp_device *dev, const char *name)
{
  size_t len = strlen (name);
  if (len == 0 || len > IOTSCP_DEVICE_NAME_MAX || !iotscp_text_utf8_valid (name, len))
    return IOTSCP_ERR_INVALID;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)name[i] < 0x20)
      return IOTSCP_ERR_INVALID;
  memcpy (dev->name, name, len + 1);
  dev->content_version++;
  if (dev->started)
    {
      if (dev->mdns_handle >= 0)
        {
          iotscp_txt_item txt[6];
          char fp_prefix[17], instance[64];
          mdns_txt (dev, txt, fp_prefix, instance);
          iotscp_port_mdns_update (dev->port, dev->mdns_handle, instance, txt, 6);
        }
#ifdef IOTSCP_HAVE_PROBE
      iotscp_probe_announce (dev, iotscp_port_now_ms (dev->port));
#endif
    }
  return IOTSCP_OK;
}

/* ---- Accessors ---- */

const char *
iotscp_device_id (const iotscp_device *dev)
{
  return dev->id;
}

const char *
iotscp_device_name (const iotscp_device *dev)
{
  return dev->name;
}

const char *
iotscp_device_fingerprint (const iotscp_device *dev)
{
  return dev->fingerprint_hex;
}

const char *
iotscp_device_boot_id (const iotscp_device *dev)
{
  return dev->boot_id;
}

uint16_t
iotscp_device_tcp_port (const iotscp_device *dev)
{
  return dev->tcp_port;
}

bool
iotscp_device_pairing_open (const iotscp_device *dev)
{
  (void)dev;
  return false;
}

iotscp_port *
iotscp_device_port (const iotscp_device *dev)
{
  return dev->port;
}

uint64_t
iotscp_device_uptime_ms (const iotscp_device *dev, uint64_t now_ms)
{
  return now_ms >= dev->started_ms ? now_ms - dev->started_ms : 0;
}

iotscp_probe_state *
iotscp_device_probe_state (struct iotscp_device *dev)
{
  return &dev->probe;
}
