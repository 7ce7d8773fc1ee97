/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-certificate-dialog-queue"

#include "config.h"

#include "hearth-certificate-dialog-queue.h"

/*
 * HearthCertificateDialogQueue turns the trust store's pending certificate changes into
 * dialogs, one at a time, and carries each answer to the trust store.
 *
 * It keeps no state of its own worth saving: what to ask is the trust store's persisted list of
 * pending changes, minus those the user already answered with "Keep refusing" (marked rejected
 * there). So a change nobody answered is asked again after a restart, and a rejected one is not,
 * until the device presents yet another key. It is a plain object rather than part of the
 * application so that the flow can be tested with a trust store and no application.
 */

enum
{
  PROP_0,
  PROP_TRUST_STORE,
  PROP_PARENT,
  PROP_CURRENT_DIALOG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  DECISION_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _HearthCertificateDialogQueue
{
  GObject parent_instance;

  /* Owned */
  HearthTrustStore *trust_store;
  GQueue waiting_device_ids;
  HearthCertificateDialog *current_dialog;
  char *current_device_id;
  gulong pending_changed_handler;

  /* Borrowed (weak) */
  GtkWindow *parent;
};

G_DEFINE_FINAL_TYPE (HearthCertificateDialogQueue, hearth_certificate_dialog_queue, G_TYPE_OBJECT)

static void hearth_certificate_dialog_queue_show_next (HearthCertificateDialogQueue *self);

/* A change needs a dialog while it is pending and the user has not chosen to keep refusing it. */
static HearthTrustPendingChange *
get_undecided_change (HearthCertificateDialogQueue *self, const char *device_id)
{
  HearthTrustPendingChange *change = hearth_trust_store_get_pending (self->trust_store, device_id);

  if (change != NULL && change->rejected)
    g_clear_pointer (&change, hearth_trust_pending_change_free);
  return change;
}

static gboolean
is_waiting (HearthCertificateDialogQueue *self, const char *device_id)
{
  return g_queue_find_custom (&self->waiting_device_ids, device_id, (GCompareFunc)g_strcmp0)
         != NULL;
}

static void hearth_certificate_dialog_queue_on_dialog_destroy (GtkWidget *dialog,
                                                               gpointer user_data);
static void hearth_certificate_dialog_queue_on_response (AdwMessageDialog *dialog,
                                                         const char *response, gpointer user_data);

/* Takes the dialog away without answering it: the change was decided elsewhere. */
static void
hearth_certificate_dialog_queue_drop_current (HearthCertificateDialogQueue *self)
{
  HearthCertificateDialog *dialog = g_steal_pointer (&self->current_dialog);

  g_clear_pointer (&self->current_device_id, g_free);
  if (dialog == NULL)
    return;

  /* Closing an AdwMessageDialog answers its close response ("refuse"), which would record a
   * decision the user never made; disconnect first. */
  g_signal_handlers_disconnect_by_data (dialog, self);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_DIALOG]);
}

static void
hearth_certificate_dialog_queue_decide (HearthCertificateDialogQueue *self,
                                        const HearthTrustPendingChange *change,
                                        const char *response)
{
  g_autoptr (GError) error = NULL;
  gboolean stored;

  if (g_strcmp0 (response, HEARTH_CERTIFICATE_RESPONSE_TRUST) == 0)
    stored = hearth_trust_store_approve (self->trust_store, change->device_id,
                                         change->new_fingerprint, &error);
  else if (g_strcmp0 (response, HEARTH_CERTIFICATE_RESPONSE_BLOCK) == 0)
    stored = hearth_trust_store_block (self->trust_store, change->device_id, NULL, &error);
  else
    stored = hearth_trust_store_reject (self->trust_store, change->device_id, &error);

  if (stored)
    return;

  /* The answer did not reach the disk (or the device changed its key again meanwhile): the
   * change is still undecided, so it is asked again, and the application can say why. */
  g_signal_emit (self, signals[DECISION_FAILED], 0, change->device_id, error);
  if (!is_waiting (self, change->device_id))
    {
      g_autoptr (HearthTrustPendingChange) still = get_undecided_change (self, change->device_id);

      if (still != NULL)
        g_queue_push_head (&self->waiting_device_ids, g_strdup (change->device_id));
    }
}

static void
hearth_certificate_dialog_queue_on_response (AdwMessageDialog *dialog, const char *response,
                                             gpointer user_data)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (user_data);
  g_autoptr (HearthTrustPendingChange) change = hearth_trust_pending_change_copy (
      hearth_certificate_dialog_get_change (HEARTH_CERTIFICATE_DIALOG (dialog)));

  /* The dialog closes itself after the response; forget it before the trust store emits
   * pending-changed for this device, so the handler does not treat it as a change made
   * elsewhere. */
  g_signal_handlers_disconnect_by_data (dialog, self);
  self->current_dialog = NULL;
  g_clear_pointer (&self->current_device_id, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_DIALOG]);

  hearth_certificate_dialog_queue_decide (self, change, response);
  hearth_certificate_dialog_queue_show_next (self);
}

static void
hearth_certificate_dialog_queue_on_dialog_destroy (GtkWidget *dialog, gpointer user_data)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (user_data);

  /* Destroyed without an answer, e.g. together with its parent window: the question stays
   * open and is asked again when a parent is set. */
  if (self->current_dialog != HEARTH_CERTIFICATE_DIALOG (dialog))
    return;

  g_queue_push_head (&self->waiting_device_ids, g_steal_pointer (&self->current_device_id));
  self->current_dialog = NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_DIALOG]);
}

static void
hearth_certificate_dialog_queue_show_next (HearthCertificateDialogQueue *self)
{
  char *device_id;

  if (self->current_dialog != NULL)
    return;

  while ((device_id = g_queue_pop_head (&self->waiting_device_ids)) != NULL)
    {
      g_autofree char *owned_id = device_id;
      g_autoptr (HearthTrustPendingChange) change = get_undecided_change (self, device_id);
      g_autoptr (HearthTrustPin) pin = NULL;

      if (change == NULL)
        continue;

      pin = hearth_trust_store_get_pin (self->trust_store, device_id);
      self->current_dialog
          = hearth_certificate_dialog_new (self->parent, change, pin != NULL ? pin->name : NULL);
      self->current_device_id = g_steal_pointer (&owned_id);
      g_signal_connect (self->current_dialog, "response",
                        G_CALLBACK (hearth_certificate_dialog_queue_on_response), self);
      g_signal_connect (self->current_dialog, "destroy",
                        G_CALLBACK (hearth_certificate_dialog_queue_on_dialog_destroy), self);
      gtk_window_present (GTK_WINDOW (self->current_dialog));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_DIALOG]);
      return;
    }
}

static void
hearth_certificate_dialog_queue_on_pending_changed (HearthTrustStore *trust_store,
                                                    const char *device_id, gpointer user_data)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (user_data);
  g_autoptr (HearthTrustPendingChange) change = get_undecided_change (self, device_id);

  if (g_strcmp0 (device_id, self->current_device_id) == 0)
    {
      /* Decided elsewhere (the trust page, hearthctl): close. Otherwise the device tried again
       * or presented yet another key: show what is true now. */
      if (change == NULL)
        {
          hearth_certificate_dialog_queue_drop_current (self);
          hearth_certificate_dialog_queue_show_next (self);
        }
      else
        hearth_certificate_dialog_set_change (self->current_dialog, change);
      return;
    }

  if (change != NULL && !is_waiting (self, device_id))
    g_queue_push_tail (&self->waiting_device_ids, g_strdup (device_id));
  hearth_certificate_dialog_queue_show_next (self);
}

static int
compare_first_seen (gconstpointer a, gconstpointer b)
{
  const HearthTrustPendingChange *left = *(HearthTrustPendingChange *const *)a;
  const HearthTrustPendingChange *right = *(HearthTrustPendingChange *const *)b;

  if (left->first_seen != right->first_seen)
    return left->first_seen < right->first_seen ? -1 : 1;
  return g_strcmp0 (left->device_id, right->device_id);
}

/* Asks about every undecided change the store holds, oldest first. */
static void
hearth_certificate_dialog_queue_load (HearthCertificateDialogQueue *self)
{
  g_autoptr (GPtrArray) pending = hearth_trust_store_list_pending (self->trust_store);

  g_ptr_array_sort (pending, compare_first_seen);
  for (guint i = 0; i < pending->len; i++)
    {
      HearthTrustPendingChange *change = g_ptr_array_index (pending, i);

      if (!change->rejected && !is_waiting (self, change->device_id)
          && g_strcmp0 (change->device_id, self->current_device_id) != 0)
        g_queue_push_tail (&self->waiting_device_ids, g_strdup (change->device_id));
    }
  hearth_certificate_dialog_queue_show_next (self);
}

static void
hearth_certificate_dialog_queue_get_property (GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (object);

  switch (prop_id)
    {
      case PROP_TRUST_STORE:
        g_value_set_object (value, self->trust_store);
        break;

      case PROP_PARENT:
        g_value_set_object (value, self->parent);
        break;

      case PROP_CURRENT_DIALOG:
        g_value_set_object (value, self->current_dialog);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_certificate_dialog_queue_set_property (GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (object);

  switch (prop_id)
    {
      case PROP_TRUST_STORE:
        self->trust_store = g_value_dup_object (value);
        break;

      case PROP_PARENT:
        hearth_certificate_dialog_queue_set_parent (self, g_value_get_object (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_certificate_dialog_queue_constructed (GObject *object)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (object);

  G_OBJECT_CLASS (hearth_certificate_dialog_queue_parent_class)->constructed (object);

  g_return_if_fail (HEARTH_IS_TRUST_STORE (self->trust_store));
  self->pending_changed_handler
      = g_signal_connect (self->trust_store, "pending-changed",
                          G_CALLBACK (hearth_certificate_dialog_queue_on_pending_changed), self);
  hearth_certificate_dialog_queue_load (self);
}

static void
hearth_certificate_dialog_queue_dispose (GObject *object)
{
  HearthCertificateDialogQueue *self = HEARTH_CERTIFICATE_DIALOG_QUEUE (object);

  hearth_certificate_dialog_queue_drop_current (self);
  if (self->trust_store != NULL)
    g_clear_signal_handler (&self->pending_changed_handler, self->trust_store);
  g_clear_object (&self->trust_store);
  g_queue_clear_full (&self->waiting_device_ids, g_free);
  g_clear_weak_pointer (&self->parent);

  G_OBJECT_CLASS (hearth_certificate_dialog_queue_parent_class)->dispose (object);
}

static void
hearth_certificate_dialog_queue_class_init (HearthCertificateDialogQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_certificate_dialog_queue_get_property;
  object_class->set_property = hearth_certificate_dialog_queue_set_property;
  object_class->constructed = hearth_certificate_dialog_queue_constructed;
  object_class->dispose = hearth_certificate_dialog_queue_dispose;

  properties[PROP_TRUST_STORE]
      = g_param_spec_object ("trust-store", NULL, NULL, HEARTH_TYPE_TRUST_STORE,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthCertificateDialogQueue:parent:
   *
   * The window the dialogs are transient for (held weakly). It is a construct property so that
   * it is known when constructed() opens the first dialog.
   */
  properties[PROP_PARENT] = g_param_spec_object (
      "parent", NULL, NULL, GTK_TYPE_WINDOW,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthCertificateDialogQueue:current-dialog:
   *
   * The dialog on screen, or %NULL when no question is open.
   */
  properties[PROP_CURRENT_DIALOG]
      = g_param_spec_object ("current-dialog", NULL, NULL, HEARTH_TYPE_CERTIFICATE_DIALOG,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthCertificateDialogQueue::decision-failed:
   * @device_id: the device the answer was about
   * @error: why the trust store refused or could not store it
   *
   * The user's answer was not stored; the question will be asked again.
   */
  signals[DECISION_FAILED]
      = g_signal_new ("decision-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                      G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hearth_certificate_dialog_queue_init (HearthCertificateDialogQueue *self)
{
  g_queue_init (&self->waiting_device_ids);
}

/**
 * hearth_certificate_dialog_queue_new:
 * @trust_store: the store whose pending changes to ask about
 * @parent: (nullable): the window the dialogs belong to
 *
 * The first dialog opens at once if a change is waiting.
 *
 * Returns: (transfer full): a new queue
 */
HearthCertificateDialogQueue *
hearth_certificate_dialog_queue_new (HearthTrustStore *trust_store, GtkWindow *parent)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (trust_store), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (HEARTH_TYPE_CERTIFICATE_DIALOG_QUEUE, "parent", parent, "trust-store",
                       trust_store, NULL);
}

HearthTrustStore *
hearth_certificate_dialog_queue_get_trust_store (HearthCertificateDialogQueue *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG_QUEUE (self), NULL);

  return self->trust_store;
}

GtkWindow *
hearth_certificate_dialog_queue_get_parent (HearthCertificateDialogQueue *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG_QUEUE (self), NULL);

  return self->parent;
}

/**
 * hearth_certificate_dialog_queue_set_parent:
 * @parent: (nullable): the window the dialogs belong to
 *
 * A question whose dialog went away with the old parent is asked again over the new one.
 */
void
hearth_certificate_dialog_queue_set_parent (HearthCertificateDialogQueue *self, GtkWindow *parent)
{
  g_return_if_fail (HEARTH_IS_CERTIFICATE_DIALOG_QUEUE (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  if (!g_set_weak_pointer (&self->parent, parent))
    return;

  if (self->current_dialog != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (self->current_dialog), parent);
  else if (self->trust_store != NULL)
    hearth_certificate_dialog_queue_show_next (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARENT]);
}

/**
 * hearth_certificate_dialog_queue_get_current_dialog:
 *
 * Returns: (transfer none) (nullable): the dialog on screen
 */
HearthCertificateDialog *
hearth_certificate_dialog_queue_get_current_dialog (HearthCertificateDialogQueue *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG_QUEUE (self), NULL);

  return self->current_dialog;
}

/**
 * hearth_certificate_dialog_queue_get_n_waiting:
 *
 * Returns: how many questions wait behind the one on screen
 */
guint
hearth_certificate_dialog_queue_get_n_waiting (HearthCertificateDialogQueue *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG_QUEUE (self), 0);

  return self->waiting_device_ids.length;
}
