/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-event-bus"

#include "hearth-event-bus.h"

#include <math.h>

/* HearthEventBus is the one stream of typed events of the hub: property changes and device
 * events accepted from NOTIFYs (after the SID, key and SEQ checks) or found by reading state,
 * devices going online and offline, and trust changes. History, the UI models and the rule
 * engine all connect to its `event` signal, so they see the same events in the same order and
 * none of them talks to devices or the event server directly.
 *
 * Delivery is synchronous on the main thread: an event is handed to every consumer before
 * publish() returns (an attached history first, by a direct call; see HistoryAttachment).
 * That keeps the order exact and costs nothing to queue; consumers that do slow work (history
 * writes to SQLite) batch it themselves. */

enum
{
  PROP_0,
  PROP_N_PUBLISHED,
  N_PROPS
};

enum
{
  EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* A history attached with hearth_event_bus_attach_history(). It is recorded into by a direct
 * call from publish() rather than through the signal: a GObject signal emission per event
 * (locks, references on the bus and the handler's closure, the marshaller) cost as much as
 * recording the event, and in the headless hub the history is the only consumer, so the
 * emission is then skipped entirely. The history still has a handler of `event`, blocked, so
 * that disconnecting it (or finalizing the history) ends the attachment as documented: the
 * handler's closure is then invalidated, which removes the attachment. */
typedef struct
{
  HearthEventBus *bus;    /* borrowed: the bus removes every attachment before it goes away */
  HearthHistory *history; /* borrowed: finalizing it invalidates the closure first */
  GClosure *closure;
} HistoryAttachment;

struct _HearthEventBus
{
  GObject parent_instance;

  guint64 n_published;
  GPtrArray *histories; /* HistoryAttachment * (owned) */
};

G_DEFINE_FINAL_TYPE (HearthEventBus, hearth_event_bus, G_TYPE_OBJECT)

static void
hearth_event_bus_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthEventBus *self = HEARTH_EVENT_BUS (object);

  switch (prop_id)
    {
      case PROP_N_PUBLISHED:
        g_value_set_uint64 (value, self->n_published);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
history_attachment_invalidated (gpointer data, GClosure *closure)
{
  HistoryAttachment *attachment = data;

  /* Removing it frees it (the array's free function). */
  g_ptr_array_remove_fast (attachment->bus->histories, attachment);
}

static void
hearth_event_bus_finalize (GObject *object)
{
  HearthEventBus *self = HEARTH_EVENT_BUS (object);

  /* The handlers (and with them the closures) are gone by now, after dispose; an attachment
   * left would be one whose closure is still referenced elsewhere. */
  for (guint i = 0; i < self->histories->len; i++)
    {
      HistoryAttachment *attachment = g_ptr_array_index (self->histories, i);

      g_closure_remove_invalidate_notifier (attachment->closure, attachment,
                                            history_attachment_invalidated);
    }
  g_ptr_array_unref (self->histories);
  G_OBJECT_CLASS (hearth_event_bus_parent_class)->finalize (object);
}

static void
hearth_event_bus_class_init (HearthEventBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_event_bus_get_property;
  object_class->finalize = hearth_event_bus_finalize;

  /* How many events have been published; read it, do not bind to it (it is not notified for
   * every event, which would double the cost of publishing). */
  properties[PROP_N_PUBLISHED]
      = g_param_spec_uint64 ("n-published", NULL, NULL, 0, G_MAXUINT64, 0,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthEventBus::event:
   * @bus: the bus
   * @event: (transfer none): the event; keep a reference to hold on to it
   *
   * Emitted once per published event, in publication order.
   */
  signals[EVENT]
      = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, HEARTH_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hearth_event_bus_init (HearthEventBus *self)
{
  self->histories = g_ptr_array_new_with_free_func (g_free);
}

HearthEventBus *
hearth_event_bus_new (void)
{
  return g_object_new (HEARTH_TYPE_EVENT_BUS, NULL);
}

/**
 * hearth_event_bus_publish:
 * @self: a #HearthEventBus
 * @event: (transfer none): the event
 *
 * Hands @event to every consumer, synchronously.
 */
static void record_in_history (HearthEventBus *bus, HearthEvent *event, HearthHistory *history);

void
hearth_event_bus_publish (HearthEventBus *self, HearthEvent *event)
{
  g_return_if_fail (HEARTH_IS_EVENT_BUS (self));
  g_return_if_fail (event != NULL);

  self->n_published++;
  for (guint i = 0; i < self->histories->len; i++)
    {
      HistoryAttachment *attachment = g_ptr_array_index (self->histories, i);

      record_in_history (self, event, attachment->history);
    }
  /* Only handlers that are not blocked are called: the histories' are (see HistoryAttachment). */
  if (g_signal_has_handler_pending (self, signals[EVENT], 0, FALSE))
    g_signal_emit (self, signals[EVENT], 0, event);
}

guint64
hearth_event_bus_get_n_published (HearthEventBus *self)
{
  g_return_val_if_fail (HEARTH_IS_EVENT_BUS (self), 0);
  return self->n_published;
}

static void
record_in_history (HearthEventBus *bus, HearthEvent *event, HearthHistory *history)
{
  JsonNode *value = hearth_event_get_value (event);
  gint64 time_us = hearth_event_get_time_us (event);
  const char *device_id = hearth_event_get_device_id (event);
  const char *kind = hearth_event_kind_to_string (hearth_event_get_kind (event));
  const char *name = hearth_event_get_name (event) != NULL ? hearth_event_get_name (event) : "";
  GType type = value != NULL && JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value)
                                                              : G_TYPE_INVALID;

  /* A number goes in as a number: the history makes its JSON text when it is read. Making the
   * shortest text of a double (up to three rounds of printing and parsing) was 5% of the hub's
   * CPU in the event-intake benchmark. */
  if (type == G_TYPE_INT64)
    hearth_history_add_event_int (history, time_us, device_id, kind, name,
                                  json_node_get_int (value));
  else if (type == G_TYPE_DOUBLE && isfinite (json_node_get_double (value)))
    hearth_history_add_event_double (history, time_us, device_id, kind, name,
                                     json_node_get_double (value));
  else
    {
      char short_data[64];
      g_autofree char *long_data = NULL;
      const char *data
          = hearth_event_format_value_json (event, short_data, sizeof short_data, &long_data);

      hearth_history_add_event (history, time_us, device_id, kind, name, data);
    }

  /* Numeric property values are also kept as samples, for plots and downsampling. Booleans
   * count as 0 and 1 so that a switch can be plotted too. */
  if (hearth_event_get_kind (event) == HEARTH_EVENT_PROPERTY_CHANGED)
    {
      double number;

      if (type == G_TYPE_INT64)
        number = (double)json_node_get_int (value);
      else if (type == G_TYPE_DOUBLE)
        number = json_node_get_double (value);
      else if (type == G_TYPE_BOOLEAN)
        number = json_node_get_boolean (value) ? 1.0 : 0.0;
      else
        return;
      hearth_history_add_sample (history, time_us, device_id, hearth_event_get_name (event),
                                 number);
    }
}

/**
 * hearth_event_bus_attach_history:
 * @self: a #HearthEventBus
 * @history: the history to record into
 *
 * Records every event of the bus in @history (kind `event`, `property`, `online`, `offline` or
 * `trust`; the value as JSON) and every numeric or boolean property value as a sample. The
 * connection lasts as long as both objects; disconnect the returned handler to stop earlier.
 * (The handler is blocked: publish() records into @history itself, see HistoryAttachment.)
 *
 * Returns: the signal handler id
 */
gulong
hearth_event_bus_attach_history (HearthEventBus *self, HearthHistory *history)
{
  HistoryAttachment *attachment;
  gulong handler;

  g_return_val_if_fail (HEARTH_IS_EVENT_BUS (self), 0);
  g_return_val_if_fail (HEARTH_IS_HISTORY (history), 0);

  attachment = g_new0 (HistoryAttachment, 1);
  attachment->bus = self;
  attachment->history = history;
  /* As g_signal_connect_object() makes it: invalidated when the history is finalized. */
  attachment->closure = g_cclosure_new_object (G_CALLBACK (record_in_history), G_OBJECT (history));
  g_closure_add_invalidate_notifier (attachment->closure, attachment,
                                     history_attachment_invalidated);
  g_ptr_array_add (self->histories, attachment);
  handler = g_signal_connect_closure_by_id (self, signals[EVENT], 0, attachment->closure, FALSE);
  g_signal_handler_block (self, handler);
  return handler;
}
