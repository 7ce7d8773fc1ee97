/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-certificate-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-certificate-dialog.h"

#include "hearth-fingerprint.h"
#include "hearth-kiosk-controller.h"

/*
 * HearthCertificateDialog asks about one certificate change: a pinned device that presented
 * another key. It only shows the question; HearthCertificateDialogQueue decides when it opens
 * and carries the answer to the trust store, so that the dialog can be shown (and tested, and
 * photographed) without a hub behind it.
 */

/* Eight groups of four hex digits per line: a 64-digit fingerprint takes two lines, and the
 * pinned key above the new one puts the groups in the same columns, to compare column by column
 * (in a narrow dialog the label wraps further, at group boundaries). */
#define GROUPS_PER_LINE 8

enum
{
  PROP_0,
  PROP_CHANGE,
  PROP_DEVICE_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _HearthCertificateDialog
{
  AdwMessageDialog parent_instance;

  /* Template widgets */
  GtkLabel *seen_label;
  GtkLabel *old_fingerprint_label;
  GtkLabel *new_fingerprint_label;

  /* Owned */
  HearthTrustPendingChange *change;
  char *device_name;
};

G_DEFINE_FINAL_TYPE (HearthCertificateDialog, hearth_certificate_dialog, ADW_TYPE_MESSAGE_DIALOG)

static char *
format_fingerprint_block (const char *fingerprint)
{
  g_autofree char *grouped = NULL;
  guint group = 0;

  if (fingerprint == NULL || !hearth_fingerprint_is_valid (fingerprint))
    return g_strdup (fingerprint != NULL ? fingerprint : "");

  grouped = hearth_fingerprint_format_for_display (fingerprint);
  for (char *c = grouped; *c != '\0'; c++)
    if (*c == ' ' && ++group % GROUPS_PER_LINE == 0)
      *c = '\n';
  return g_steal_pointer (&grouped);
}

static char *
format_time (gint64 time_us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_local (utc);
  if (g_date_time_get_year (local) == g_date_time_get_year (now)
      && g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
    /* Translators: a time of today, see the strftime manual page */
    return g_date_time_format (local, _ ("today at %H:%M:%S"));
  /* Translators: a date and time, see the strftime manual page */
  return g_date_time_format (local, _ ("%b %e %Y at %H:%M:%S"));
}

static void
hearth_certificate_dialog_update (HearthCertificateDialog *self)
{
  const HearthTrustPendingChange *change = self->change;
  g_autofree char *old_block = NULL;
  g_autofree char *new_block = NULL;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *when = NULL;
  g_autofree char *count_text = NULL;

  if (change == NULL)
    return;

  if (self->device_name != NULL && self->device_name[0] != '\0')
    /* Translators: the device's name, then its id */
    adw_message_dialog_format_body (
        ADW_MESSAGE_DIALOG (self),
        _ ("“%s” (%s) presents a key that is not the one it was paired with. Hearth sends it "
           "nothing and accepts nothing from it until you decide."),
        self->device_name, change->device_id);
  else
    adw_message_dialog_format_body (
        ADW_MESSAGE_DIALOG (self),
        _ ("Device %s presents a key that is not the one it was paired with. Hearth sends it "
           "nothing and accepts nothing from it until you decide."),
        change->device_id);

  count_text = g_strdup_printf ("%" G_GUINT64_FORMAT, change->count);
  /* Translators: a number of connection attempts, then a network address */
  seen = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Seen %s time, from %s",
                                       "Seen %s times, last from %s",
                                       (gulong)MIN (change->count, G_MAXULONG)),
                          count_text, change->address);
  first = format_time (change->first_seen);
  last = format_time (change->last_seen);
  if (change->count <= 1)
    when = g_strdup (first);
  else
    /* Translators: two moments, e.g. "today at 14:02:11" */
    when = g_strdup_printf (_ ("First %s, last %s"), first, last);
  {
    /* Translators: how often and from where, then when, e.g. "Seen 3 times, last from
     * 192.168.1.23 · First today at 14:02:11, last today at 14:05:40" */
    g_autofree char *line = g_strdup_printf (_ ("%s · %s"), seen, when);

    gtk_label_set_text (self->seen_label, line);
  }

  old_block = format_fingerprint_block (change->old_fingerprint);
  new_block = format_fingerprint_block (change->new_fingerprint);
  gtk_label_set_text (self->old_fingerprint_label, old_block);
  gtk_label_set_text (self->new_fingerprint_label, new_block);
}

static void
hearth_certificate_dialog_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  HearthCertificateDialog *self = HEARTH_CERTIFICATE_DIALOG (object);

  switch (prop_id)
    {
      case PROP_CHANGE:
        g_value_set_boxed (value, self->change);
        break;

      case PROP_DEVICE_NAME:
        g_value_set_string (value, self->device_name);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_certificate_dialog_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  HearthCertificateDialog *self = HEARTH_CERTIFICATE_DIALOG (object);

  switch (prop_id)
    {
      case PROP_CHANGE:
        hearth_certificate_dialog_set_change (self, g_value_get_boxed (value));
        break;

      case PROP_DEVICE_NAME:
        hearth_certificate_dialog_set_device_name (self, g_value_get_string (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_certificate_dialog_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_CERTIFICATE_DIALOG);

  G_OBJECT_CLASS (hearth_certificate_dialog_parent_class)->dispose (object);
}

static void
hearth_certificate_dialog_finalize (GObject *object)
{
  HearthCertificateDialog *self = HEARTH_CERTIFICATE_DIALOG (object);

  g_clear_pointer (&self->change, hearth_trust_pending_change_free);
  g_clear_pointer (&self->device_name, g_free);

  G_OBJECT_CLASS (hearth_certificate_dialog_parent_class)->finalize (object);
}

static void
hearth_certificate_dialog_class_init (HearthCertificateDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_certificate_dialog_get_property;
  object_class->set_property = hearth_certificate_dialog_set_property;
  object_class->dispose = hearth_certificate_dialog_dispose;
  object_class->finalize = hearth_certificate_dialog_finalize;

  /**
   * HearthCertificateDialog:change:
   *
   * The pending change the dialog asks about (a copy).
   */
  properties[PROP_CHANGE]
      = g_param_spec_boxed ("change", NULL, NULL, HEARTH_TYPE_TRUST_PENDING_CHANGE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthCertificateDialog:device-name:
   *
   * The name the device was pinned with; the id is shown when there is none.
   */
  properties[PROP_DEVICE_NAME]
      = g_param_spec_string ("device-name", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-certificate-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthCertificateDialog, seen_label);
  gtk_widget_class_bind_template_child (widget_class, HearthCertificateDialog,
                                        old_fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, HearthCertificateDialog,
                                        new_fingerprint_label);
}

static void
hearth_certificate_dialog_init (HearthCertificateDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Touch targets on a panel (the dialog must be usable at 800×480). */
  hearth_kiosk_size_dialog_responses (ADW_MESSAGE_DIALOG (self));
}

/**
 * hearth_certificate_dialog_new:
 * @parent: (nullable): the window the dialog belongs to
 * @change: the certificate change to ask about
 * @device_name: (nullable): the device's name
 *
 * Returns: (transfer none): a new modal dialog, not yet presented, owned by GTK until it is
 *   destroyed
 */
HearthCertificateDialog *
hearth_certificate_dialog_new (GtkWindow *parent, const HearthTrustPendingChange *change,
                               const char *device_name)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (change != NULL, NULL);

  return g_object_new (HEARTH_TYPE_CERTIFICATE_DIALOG, "transient-for", parent, "device-name",
                       device_name, "change", change, NULL);
}

const HearthTrustPendingChange *
hearth_certificate_dialog_get_change (HearthCertificateDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG (self), NULL);

  return self->change;
}

/**
 * hearth_certificate_dialog_set_change:
 * @change: the change, e.g. with new counters after the device tried again
 *
 * Updates what the dialog shows. The answer always applies to the key on screen: the queue
 * passes hearth_certificate_dialog_get_change()'s new fingerprint to the trust store, which
 * refuses it if the device has presented yet another key since.
 */
void
hearth_certificate_dialog_set_change (HearthCertificateDialog *self,
                                      const HearthTrustPendingChange *change)
{
  g_return_if_fail (HEARTH_IS_CERTIFICATE_DIALOG (self));

  if (change == self->change)
    return;

  g_clear_pointer (&self->change, hearth_trust_pending_change_free);
  if (change != NULL)
    self->change = hearth_trust_pending_change_copy (change);
  hearth_certificate_dialog_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHANGE]);
}

const char *
hearth_certificate_dialog_get_device_name (HearthCertificateDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG (self), NULL);

  return self->device_name;
}

void
hearth_certificate_dialog_set_device_name (HearthCertificateDialog *self, const char *device_name)
{
  g_return_if_fail (HEARTH_IS_CERTIFICATE_DIALOG (self));

  if (g_strcmp0 (self->device_name, device_name) == 0)
    return;

  g_free (self->device_name);
  self->device_name = g_strdup (device_name);
  hearth_certificate_dialog_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_NAME]);
}

/**
 * hearth_certificate_dialog_get_old_fingerprint_text:
 *
 * Returns: the pinned key as the dialog shows it (grouped, four groups per line)
 */
const char *
hearth_certificate_dialog_get_old_fingerprint_text (HearthCertificateDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG (self), NULL);

  return gtk_label_get_text (self->old_fingerprint_label);
}

/**
 * hearth_certificate_dialog_get_new_fingerprint_text:
 *
 * Returns: the new key as the dialog shows it (grouped, four groups per line)
 */
const char *
hearth_certificate_dialog_get_new_fingerprint_text (HearthCertificateDialog *self)
{
  g_return_val_if_fail (HEARTH_IS_CERTIFICATE_DIALOG (self), NULL);

  return gtk_label_get_text (self->new_fingerprint_label);
}
