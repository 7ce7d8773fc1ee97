/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-kiosk-controller"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-kiosk-controller.h"

/*
 * HearthKioskController is the part of kiosk mode that is behaviour rather than looks (the
 * window does full screen, decorations and the larger touch targets of style.css):
 *
 * - The way out is an admin gesture: holding the header's title for ADMIN_HOLD_MS and letting go opens a
 *   confirmation dialog, and only its "Leave Kiosk Mode" answer emits `leave-confirmed`. A
 *   child leaning on the panel, or a tap, does nothing; a person who knows the gesture still has
 *   to confirm it.
 * - After `idle-dim-seconds` without input the window is covered by a dark layer. The first
 *   touch, click or key press only wakes it: that press and everything up to its release are
 *   swallowed before any widget sees them, so the control under the finger is not triggered by
 *   someone who could not see it. Pointer motion alone does not wake the panel (a touch panel
 *   sends none), but keeps it awake while it is bright.
 *
 * Input is watched by a capture-phase controller on the window, which sees every event before
 * the widget it is meant for; the dark layer itself never takes input.
 *
 * The hold is timed from raw events (a capture-phase GtkEventControllerLegacy on the title), not
 * with a GtkGestureLongPress: the title holds the view switcher's buttons, and a button claims
 * every press it gets, which cancels a long-press gesture on its parent at once. Raw events
 * still arrive, and the switcher keeps working normally.
 */

#define ADMIN_HOLD_MS 3000
/* A finger that slides further than this is scrolling or dragging, not holding. */
#define ADMIN_HOLD_SLOP_PX 24.0

enum
{
  PROP_0,
  PROP_ACTIVE,
  PROP_IDLE_DIM_SECONDS,
  PROP_DIMMED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  LEAVE_CONFIRMED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _HearthKioskController
{
  GObject parent_instance;

  /* Owned */
  GtkEventController *admin_watch;
  double hold_x;
  double hold_y;
  gboolean hold_is_long_enough;
  GtkEventController *input_watch;
  guint hold_source;
  guint idle_source;
  gint64 last_input_us;
  guint idle_dim_seconds;
  gboolean active;
  gboolean dimmed;
  gboolean swallowing_wake_input;

  /* Borrowed: the window owns this controller, and its widgets outlive it. */
  GtkWindow *window;
  GtkWidget *admin_area;
  GtkWidget *dim_layer;
  AdwMessageDialog *leave_dialog;
};

G_DEFINE_FINAL_TYPE (HearthKioskController, hearth_kiosk_controller, G_TYPE_OBJECT)

static void hearth_kiosk_controller_schedule_dim (HearthKioskController *self);

static void
hearth_kiosk_controller_set_dimmed (HearthKioskController *self, gboolean dimmed)
{
  if (self->dimmed == dimmed)
    return;
  self->dimmed = dimmed;
  if (self->dim_layer != NULL)
    gtk_widget_set_visible (self->dim_layer, dimmed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIMMED]);
}

static gboolean
hearth_kiosk_controller_on_idle_timeout (gpointer user_data)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (user_data);
  gint64 idle_us = g_get_monotonic_time () - self->last_input_us;

  self->idle_source = 0;
  /* Input restarts no timer (motion events come by the hundred); the timer looks at the time
   * of the last input instead, and waits again for the rest if there was some. */
  if (idle_us < (gint64)self->idle_dim_seconds * G_USEC_PER_SEC)
    hearth_kiosk_controller_schedule_dim (self);
  else
    hearth_kiosk_controller_set_dimmed (self, TRUE);
  return G_SOURCE_REMOVE;
}

static void
hearth_kiosk_controller_schedule_dim (HearthKioskController *self)
{
  gint64 due_us, wait_ms;

  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (!self->active || self->idle_dim_seconds == 0 || self->dimmed)
    return;
  due_us = self->last_input_us + (gint64)self->idle_dim_seconds * G_USEC_PER_SEC;
  wait_ms = MAX (0, (due_us - g_get_monotonic_time () + 999) / 1000);
  self->idle_source = g_timeout_add ((guint)MIN (wait_ms, G_MAXUINT),
                                     hearth_kiosk_controller_on_idle_timeout, self);
}

static gboolean
is_wake_event (GdkEventType type)
{
  return type == GDK_BUTTON_PRESS || type == GDK_TOUCH_BEGIN || type == GDK_KEY_PRESS
         || type == GDK_SCROLL;
}

static gboolean
is_input_event (GdkEventType type)
{
  switch (type)
    {
      case GDK_MOTION_NOTIFY:
      case GDK_BUTTON_PRESS:
      case GDK_BUTTON_RELEASE:
      case GDK_KEY_PRESS:
      case GDK_KEY_RELEASE:
      case GDK_SCROLL:
      case GDK_TOUCH_BEGIN:
      case GDK_TOUCH_UPDATE:
      case GDK_TOUCH_END:
      case GDK_TOUCH_CANCEL:
      case GDK_TOUCHPAD_SWIPE:
      case GDK_TOUCHPAD_PINCH:
      case GDK_TOUCHPAD_HOLD:
        return TRUE;
      default:
        return FALSE;
    }
}

static gboolean
ends_wake_input (GdkEventType type)
{
  return type == GDK_BUTTON_RELEASE || type == GDK_TOUCH_END || type == GDK_TOUCH_CANCEL
         || type == GDK_KEY_RELEASE;
}

static gboolean
hearth_kiosk_controller_on_input (GtkEventControllerLegacy *controller, GdkEvent *event,
                                  gpointer user_data)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (user_data);
  GdkEventType type = gdk_event_get_event_type (event);

  if (!is_input_event (type))
    return GDK_EVENT_PROPAGATE;

  if (self->swallowing_wake_input)
    {
      if (ends_wake_input (type))
        self->swallowing_wake_input = FALSE;
      return GDK_EVENT_STOP;
    }

  if (self->dimmed)
    {
      if (!is_wake_event (type))
        return GDK_EVENT_STOP;
      /* A scroll has no release; every other waking event is swallowed up to its release. */
      self->swallowing_wake_input = type != GDK_SCROLL;
      self->last_input_us = g_get_monotonic_time ();
      hearth_kiosk_controller_set_dimmed (self, FALSE);
      hearth_kiosk_controller_schedule_dim (self);
      return GDK_EVENT_STOP;
    }

  self->last_input_us = g_get_monotonic_time ();
  return GDK_EVENT_PROPAGATE;
}

static void
hearth_kiosk_controller_on_leave_response (AdwMessageDialog *dialog, const char *response,
                                           gpointer user_data)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (user_data);

  self->leave_dialog = NULL;
  if (g_strcmp0 (response, "leave") == 0 && self->active)
    g_signal_emit (self, signals[LEAVE_CONFIRMED], 0);
}

static void
size_buttons_for_touch (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_use_underline (GTK_BUTTON (child)))
        gtk_widget_set_size_request (child, -1, HEARTH_KIOSK_TOUCH_TARGET_PX);
      size_buttons_for_touch (child);
    }
}

/**
 * hearth_kiosk_size_dialog_responses:
 * @dialog: a message dialog whose responses have been added
 *
 * Makes the dialog's response buttons at least %HEARTH_KIOSK_TOUCH_TARGET_PX tall. A dialog is
 * a window of its own, so the kiosk style of the main window (ui/style.css) does not reach its
 * buttons; they are AdwMessageDialog's own, found as the buttons with a mnemonic label.
 */
void
hearth_kiosk_size_dialog_responses (AdwMessageDialog *dialog)
{
  g_return_if_fail (ADW_IS_MESSAGE_DIALOG (dialog));

  size_buttons_for_touch (GTK_WIDGET (dialog));
}

static void
hearth_kiosk_controller_ask_to_leave (HearthKioskController *self)
{
  AdwMessageDialog *dialog;

  if (self->leave_dialog != NULL || !self->active)
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      self->window, _ ("Leave Kiosk Mode?"),
      _ ("The window leaves full screen and shows its window controls until Hearth is started "
         "again.")));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Stay in Kiosk"),
                                    "leave", _ ("_Leave Kiosk Mode"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "leave", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  hearth_kiosk_size_dialog_responses (dialog);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (hearth_kiosk_controller_on_leave_response), self, 0);
  self->leave_dialog = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The dialog opens when the finger is lifted after a long enough hold, not while it is still
 * down: a modal dialog that appears under a pressed finger takes the release away from the
 * window, which then never learns that the press ended. The title shows that the hold is long
 * enough (style class "admin-hold-ready"). */
static gboolean
hearth_kiosk_controller_on_hold_done (gpointer user_data)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (user_data);

  self->hold_source = 0;
  self->hold_is_long_enough = TRUE;
  gtk_widget_add_css_class (self->admin_area, "admin-hold-ready");
  return G_SOURCE_REMOVE;
}

static void
hearth_kiosk_controller_stop_hold (HearthKioskController *self)
{
  g_clear_handle_id (&self->hold_source, g_source_remove);
  self->hold_is_long_enough = FALSE;
  if (self->admin_area != NULL)
    gtk_widget_remove_css_class (self->admin_area, "admin-hold-ready");
}

static gboolean
hearth_kiosk_controller_on_admin_input (GtkEventControllerLegacy *controller, GdkEvent *event,
                                        gpointer user_data)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (user_data);
  GdkEventType type = gdk_event_get_event_type (event);
  double x = 0, y = 0;

  if (!self->active)
    return GDK_EVENT_PROPAGATE;

  gdk_event_get_position (event, &x, &y);
  switch (type)
    {
      case GDK_BUTTON_PRESS:
      case GDK_TOUCH_BEGIN:
        self->hold_x = x;
        self->hold_y = y;
        hearth_kiosk_controller_stop_hold (self);
        self->hold_source
            = g_timeout_add (ADMIN_HOLD_MS, hearth_kiosk_controller_on_hold_done, self);
        break;

      case GDK_MOTION_NOTIFY:
      case GDK_TOUCH_UPDATE:
        if (ABS (x - self->hold_x) > ADMIN_HOLD_SLOP_PX
            || ABS (y - self->hold_y) > ADMIN_HOLD_SLOP_PX)
          hearth_kiosk_controller_stop_hold (self);
        break;

      case GDK_BUTTON_RELEASE:
      case GDK_TOUCH_END:
        /* Lifting the finger before ADMIN_HOLD_MS only ends the hold. */
        if (self->hold_is_long_enough)
          hearth_kiosk_controller_ask_to_leave (self);
        hearth_kiosk_controller_stop_hold (self);
        break;

      case GDK_TOUCH_CANCEL:
      case GDK_GRAB_BROKEN:
        hearth_kiosk_controller_stop_hold (self);
        break;

      default:
        break;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
hearth_kiosk_controller_get_property (GObject *object, guint prop_id, GValue *value,
                                      GParamSpec *pspec)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (object);

  switch (prop_id)
    {
      case PROP_ACTIVE:
        g_value_set_boolean (value, self->active);
        break;

      case PROP_IDLE_DIM_SECONDS:
        g_value_set_uint (value, self->idle_dim_seconds);
        break;

      case PROP_DIMMED:
        g_value_set_boolean (value, self->dimmed);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_kiosk_controller_set_property (GObject *object, guint prop_id, const GValue *value,
                                      GParamSpec *pspec)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (object);

  switch (prop_id)
    {
      case PROP_ACTIVE:
        hearth_kiosk_controller_set_active (self, g_value_get_boolean (value));
        break;

      case PROP_IDLE_DIM_SECONDS:
        hearth_kiosk_controller_set_idle_dim_seconds (self, g_value_get_uint (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_kiosk_controller_dispose (GObject *object)
{
  HearthKioskController *self = HEARTH_KIOSK_CONTROLLER (object);

  g_clear_handle_id (&self->hold_source, g_source_remove);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->leave_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->leave_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->leave_dialog));
      self->leave_dialog = NULL;
    }
  if (self->admin_watch != NULL && self->admin_area != NULL)
    gtk_widget_remove_controller (self->admin_area, self->admin_watch);
  if (self->input_watch != NULL && self->window != NULL)
    gtk_widget_remove_controller (GTK_WIDGET (self->window), self->input_watch);
  g_clear_object (&self->admin_watch);
  g_clear_object (&self->input_watch);
  self->window = NULL;
  self->admin_area = NULL;
  self->dim_layer = NULL;

  G_OBJECT_CLASS (hearth_kiosk_controller_parent_class)->dispose (object);
}

static void
hearth_kiosk_controller_class_init (HearthKioskControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_kiosk_controller_get_property;
  object_class->set_property = hearth_kiosk_controller_set_property;
  object_class->dispose = hearth_kiosk_controller_dispose;

  properties[PROP_ACTIVE]
      = g_param_spec_boolean ("active", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthKioskController:idle-dim-seconds:
   *
   * Seconds without input before the window dims, while kiosk mode is active; 0 never dims.
   * The application binds it to the GSettings key of the same name.
   */
  properties[PROP_IDLE_DIM_SECONDS]
      = g_param_spec_uint ("idle-dim-seconds", NULL, NULL, 0, 86400, 300,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_DIMMED]
      = g_param_spec_boolean ("dimmed", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthKioskController::leave-confirmed:
   *
   * The admin held the title and confirmed leaving kiosk mode.
   */
  signals[LEAVE_CONFIRMED] = g_signal_new ("leave-confirmed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_kiosk_controller_init (HearthKioskController *self)
{
  self->idle_dim_seconds = 300;
}

/**
 * hearth_kiosk_controller_new:
 * @window: the window; it owns the controller
 * @admin_area: the widget to hold for the admin gesture (the header's title)
 * @dim_layer: a widget over the window's content, shown while dimmed; it must not take input
 */
HearthKioskController *
hearth_kiosk_controller_new (GtkWindow *window, GtkWidget *admin_area, GtkWidget *dim_layer)
{
  HearthKioskController *self;

  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (GTK_IS_WIDGET (admin_area), NULL);
  g_return_val_if_fail (GTK_IS_WIDGET (dim_layer), NULL);

  self = g_object_new (HEARTH_TYPE_KIOSK_CONTROLLER, NULL);
  self->window = window;
  self->admin_area = admin_area;
  self->dim_layer = dim_layer;
  gtk_widget_set_visible (dim_layer, FALSE);
  gtk_widget_set_can_target (dim_layer, FALSE);

  self->admin_watch = g_object_ref (gtk_event_controller_legacy_new ());
  gtk_event_controller_set_propagation_phase (self->admin_watch, GTK_PHASE_CAPTURE);
  g_signal_connect (self->admin_watch, "event", G_CALLBACK (hearth_kiosk_controller_on_admin_input),
                    self);
  gtk_widget_add_controller (admin_area, g_object_ref (self->admin_watch));

  self->input_watch = g_object_ref (gtk_event_controller_legacy_new ());
  gtk_event_controller_set_propagation_phase (self->input_watch, GTK_PHASE_CAPTURE);
  g_signal_connect (self->input_watch, "event", G_CALLBACK (hearth_kiosk_controller_on_input),
                    self);
  gtk_widget_add_controller (GTK_WIDGET (window), g_object_ref (self->input_watch));

  return self;
}

/**
 * hearth_kiosk_controller_watch_window:
 * @other: another window on the panel, e.g. Settings; it owns the watch
 *
 * Counts input in @other as use of the panel, so the screen does not dim under a user who is
 * busy there.
 */
void
hearth_kiosk_controller_watch_window (HearthKioskController *self, GtkWindow *other)
{
  GtkEventController *watch;

  g_return_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self));
  g_return_if_fail (GTK_IS_WINDOW (other));

  watch = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (watch, GTK_PHASE_CAPTURE);
  /* The window may outlive the controller: the handler goes with whichever goes first. */
  g_signal_connect_object (watch, "event", G_CALLBACK (hearth_kiosk_controller_on_input), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (other), watch);
}

gboolean
hearth_kiosk_controller_get_active (HearthKioskController *self)
{
  g_return_val_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self), FALSE);
  return self->active;
}

/**
 * hearth_kiosk_controller_set_active:
 *
 * Turns the admin gesture and idle dimming on or off; the window calls it when it enters or
 * leaves kiosk mode.
 */
void
hearth_kiosk_controller_set_active (HearthKioskController *self, gboolean active)
{
  g_return_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self));

  active = !!active;
  if (self->active == active)
    return;
  self->active = active;
  self->swallowing_wake_input = FALSE;
  self->last_input_us = g_get_monotonic_time ();
  if (!active)
    {
      hearth_kiosk_controller_stop_hold (self);
      hearth_kiosk_controller_set_dimmed (self, FALSE);
    }
  hearth_kiosk_controller_schedule_dim (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

guint
hearth_kiosk_controller_get_idle_dim_seconds (HearthKioskController *self)
{
  g_return_val_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self), 0);
  return self->idle_dim_seconds;
}

void
hearth_kiosk_controller_set_idle_dim_seconds (HearthKioskController *self, guint seconds)
{
  g_return_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self));

  if (self->idle_dim_seconds == seconds)
    return;
  self->idle_dim_seconds = seconds;
  if (seconds == 0)
    hearth_kiosk_controller_set_dimmed (self, FALSE);
  hearth_kiosk_controller_schedule_dim (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_DIM_SECONDS]);
}

gboolean
hearth_kiosk_controller_get_dimmed (HearthKioskController *self)
{
  g_return_val_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self), FALSE);
  return self->dimmed;
}

/**
 * hearth_kiosk_controller_get_admin_area:
 *
 * Returns: (transfer none) (nullable): the widget to hold for the admin gesture
 */
GtkWidget *
hearth_kiosk_controller_get_admin_area (HearthKioskController *self)
{
  g_return_val_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self), NULL);
  return self->admin_area;
}

/**
 * hearth_kiosk_controller_get_leave_dialog:
 *
 * Returns: (transfer none) (nullable): the confirmation dialog while it is open
 */
AdwMessageDialog *
hearth_kiosk_controller_get_leave_dialog (HearthKioskController *self)
{
  g_return_val_if_fail (HEARTH_IS_KIOSK_CONTROLLER (self), NULL);
  return self->leave_dialog;
}
