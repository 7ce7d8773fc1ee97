/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-trust-page"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-trust-page.h"

#include "hearth-fingerprint.h"
#include "hearth-kiosk-controller.h"

/*
 * HearthTrustPage is Settings → Trust: the hub's own key and "Regenerate hub key…" (a key
 * rotation by the hub: the new key is added on every paired device before the old one is
 * removed, hearth_hub_rotate_key_async(); it has no undo, because the old key is the one that
 * may have been copied), the pinned
 * devices, the blocklist and the ignored new devices. It rebuilds its lists from the trust store
 * whenever the store reports a written decision, so it shows what is on disk, whoever made the
 * decision (a dialog, hearthctl, this page).
 *
 * Removing an entry acts at once, and the toast offers to undo it by making the opposite
 * decision: a decision that only happened when the toast timed out would be lost if Hearth were
 * stopped in between, and the trust store's rule is that a decision is on disk when the call
 * returns.
 */

enum
{
  PROP_0,
  PROP_TRUST_STORE,
  PROP_HUB_IDENTITY,
  PROP_HUB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  ADD_TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum
{
  TRUST_ACTION_FORGET,
  TRUST_ACTION_UNBLOCK,
  TRUST_ACTION_UNIGNORE,
} TrustAction;

/* What a row's button removes, and what its undo puts back. */
typedef struct
{
  TrustAction action;
  char *device_id;
  char *fingerprint;
  char *name;
  char *area; /* a forgotten pin's area, put back with the pin by its undo */
  HearthTrustStore *trust_store;
  GWeakRef page;
} TrustEntryAction;

struct _HearthTrustPage
{
  AdwPreferencesPage parent_instance;

  /* Template widgets */
  AdwPreferencesGroup *hub_group;
  AdwActionRow *hub_key_row;
  AdwActionRow *previous_key_row;
  AdwActionRow *regenerate_row;
  GtkButton *regenerate_button;
  AdwPreferencesGroup *pinned_group;
  AdwActionRow *pinned_empty_row;
  AdwPreferencesGroup *blocked_group;
  AdwActionRow *blocked_empty_row;
  AdwPreferencesGroup *ignored_group;
  AdwActionRow *ignored_empty_row;

  /* Owned */
  HearthTrustStore *trust_store;
  HearthHubIdentity *hub_identity;
  HearthHub *hub;
  gulong rotating_handler;
  GCancellable *rotation_cancellable;
  gulong trust_changed_handler;
  gulong fingerprint_handler;
  gulong previous_fingerprint_handler;
  GPtrArray *pinned_rows;
  GPtrArray *blocked_rows;
  GPtrArray *ignored_rows;
};

G_DEFINE_FINAL_TYPE (HearthTrustPage, hearth_trust_page, ADW_TYPE_PREFERENCES_PAGE)

static void
trust_entry_action_free (TrustEntryAction *action)
{
  g_free (action->device_id);
  g_free (action->fingerprint);
  g_free (action->name);
  g_free (action->area);
  g_clear_object (&action->trust_store);
  g_weak_ref_clear (&action->page);
  g_free (action);
}

static void
trust_entry_action_closure_free (gpointer data, GClosure *closure)
{
  trust_entry_action_free (data);
}

static TrustEntryAction *
trust_entry_action_new (HearthTrustPage *self, TrustAction kind, const char *device_id,
                        const char *fingerprint, const char *name)
{
  TrustEntryAction *action = g_new0 (TrustEntryAction, 1);

  action->action = kind;
  action->device_id = g_strdup (device_id);
  action->fingerprint = g_strdup (fingerprint);
  action->name = g_strdup (name);
  action->trust_store = g_object_ref (self->trust_store);
  g_weak_ref_init (&action->page, self);
  return action;
}

static TrustEntryAction *
trust_entry_action_copy (const TrustEntryAction *action)
{
  TrustEntryAction *copy = g_new0 (TrustEntryAction, 1);
  g_autoptr (GObject) page = g_weak_ref_get ((GWeakRef *)&action->page);

  copy->action = action->action;
  copy->device_id = g_strdup (action->device_id);
  copy->fingerprint = g_strdup (action->fingerprint);
  copy->name = g_strdup (action->name);
  copy->area = g_strdup (action->area);
  copy->trust_store = g_object_ref (action->trust_store);
  g_weak_ref_init (&copy->page, page);
  return copy;
}

/* Sixteen groups of four digits, in two lines of eight: a row then always breaks the key in the
 * same place, however wide the window, so two keys can be compared line by line. */
static char *
display_fingerprint (const char *fingerprint)
{
  char *grouped;
  guint spaces = 0;

  if (fingerprint == NULL || !hearth_fingerprint_is_valid (fingerprint))
    return g_strdup (fingerprint != NULL ? fingerprint : "");

  grouped = hearth_fingerprint_format_for_display (fingerprint);
  for (char *c = grouped; *c != '\0'; c++)
    if (*c == ' ' && ++spaces == 8)
      *c = '\n';
  return grouped;
}

static void hearth_trust_page_add_toast (HearthTrustPage *self, const char *title,
                                         TrustEntryAction *undo_action);

static void
hearth_trust_page_on_undo (AdwToast *toast, gpointer user_data)
{
  TrustEntryAction *action = user_data;
  g_autoptr (HearthTrustPage) self = g_weak_ref_get (&action->page);
  g_autoptr (GError) error = NULL;
  gboolean restored = FALSE;

  switch (action->action)
    {
      case TRUST_ACTION_FORGET:
        restored = hearth_trust_store_pin (action->trust_store, action->device_id,
                                           action->fingerprint, action->name, &error)
                   && (action->area == NULL
                       || hearth_trust_store_set_area (action->trust_store, action->device_id,
                                                       action->area, &error));
        break;

      case TRUST_ACTION_UNBLOCK:
        restored = hearth_trust_store_block (action->trust_store, action->device_id,
                                             action->fingerprint, &error);
        break;

      case TRUST_ACTION_UNIGNORE:
        restored = hearth_trust_store_ignore (action->trust_store, action->device_id,
                                              action->fingerprint, &error);
        break;

      default:
        g_assert_not_reached ();
    }

  if (!restored && self != NULL)
    {
      g_autofree char *message = g_strdup_printf (_ ("Could not undo: %s"), error->message);

      hearth_trust_page_add_toast (self, message, NULL);
    }
}

static void
hearth_trust_page_on_entry_button_clicked (GtkButton *button, gpointer user_data)
{
  TrustEntryAction *action = user_data;
  g_autoptr (HearthTrustPage) self = g_weak_ref_get (&action->page);
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;
  const char *label = action->name != NULL && action->name[0] != '\0' ? action->name
                      : action->device_id != NULL                     ? action->device_id
                                                                      : _ ("Key");
  gboolean done = FALSE;

  if (self == NULL)
    return;

  switch (action->action)
    {
      case TRUST_ACTION_FORGET:
        done = hearth_trust_store_forget (action->trust_store, action->device_id, &error);
        /* Translators: %s is a device name */
        title = g_strdup_printf (_ ("“%s” forgotten"), label);
        break;

      case TRUST_ACTION_UNBLOCK:
        done = hearth_trust_store_unblock (action->trust_store, action->device_id,
                                           action->fingerprint, &error);
        title = g_strdup_printf (_ ("“%s” unblocked"), label);
        break;

      case TRUST_ACTION_UNIGNORE:
        done = hearth_trust_store_unignore (action->trust_store, action->device_id,
                                            action->fingerprint, &error);
        title = g_strdup_printf (_ ("“%s” will be offered again"), label);
        break;

      default:
        g_assert_not_reached ();
    }

  if (done)
    hearth_trust_page_add_toast (self, title, trust_entry_action_copy (action));
  else
    hearth_trust_page_add_toast (self, error->message, NULL);
}

/* Lists */

static void
clear_rows (AdwPreferencesGroup *group, GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static void
add_entry_row (HearthTrustPage *self, AdwPreferencesGroup *group, GPtrArray *rows,
               const char *title, const char *subtitle, const char *button_label,
               TrustEntryAction *action)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  GtkWidget *button = gtk_button_new_with_mnemonic (button_label);

  /* Names come from devices: never let them be read as markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, subtitle);
  gtk_widget_add_css_class (GTK_WIDGET (row), "fingerprint-row");
  g_object_set_data_full (G_OBJECT (row), "hearth-device-id", g_strdup (action->device_id), g_free);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect_data (button, "clicked", G_CALLBACK (hearth_trust_page_on_entry_button_clicked),
                         action, trust_entry_action_closure_free, 0);
  adw_action_row_add_suffix (row, button);

  adw_preferences_group_add (group, GTK_WIDGET (row));
  g_ptr_array_add (rows, row);
}

static void
hearth_trust_page_rebuild (HearthTrustPage *self)
{
  g_autoptr (GPtrArray) pins = NULL;
  g_autoptr (GPtrArray) blocked = NULL;
  g_autoptr (GPtrArray) ignored = NULL;

  clear_rows (self->pinned_group, self->pinned_rows);
  clear_rows (self->blocked_group, self->blocked_rows);
  clear_rows (self->ignored_group, self->ignored_rows);

  if (self->trust_store != NULL)
    {
      pins = hearth_trust_store_list_pins (self->trust_store);
      blocked = hearth_trust_store_list_blocked (self->trust_store);
      ignored = hearth_trust_store_list_ignored (self->trust_store);
    }

  for (guint i = 0; pins != NULL && i < pins->len; i++)
    {
      HearthTrustPin *pin = g_ptr_array_index (pins, i);
      g_autofree char *fingerprint = display_fingerprint (pin->fingerprint);
      /* The area, where the user gave one, tells two devices of the same name apart. */
      g_autofree char *subtitle
          = pin->area != NULL
                ? g_strdup_printf ("%s · %s\n%s", pin->device_id, pin->area, fingerprint)
                : g_strdup_printf ("%s\n%s", pin->device_id, fingerprint);
      TrustEntryAction *forget;

      forget = trust_entry_action_new (self, TRUST_ACTION_FORGET, pin->device_id, pin->fingerprint,
                                       pin->name);
      forget->area = g_strdup (pin->area);
      add_entry_row (self, self->pinned_group, self->pinned_rows,
                     pin->name[0] != '\0' ? pin->name : pin->device_id, subtitle, _ ("_Forget"),
                     forget);
    }

  for (guint i = 0; blocked != NULL && i < blocked->len; i++)
    {
      HearthTrustEntry *entry = g_ptr_array_index (blocked, i);
      g_autofree char *fingerprint = display_fingerprint (entry->fingerprint);
      const char *title
          = entry->device_id != NULL ? entry->device_id : _ ("Any device with this key");
      const char *subtitle
          = entry->fingerprint != NULL ? fingerprint : _ ("Whatever key it presents");

      add_entry_row (self, self->blocked_group, self->blocked_rows, title, subtitle, _ ("_Unblock"),
                     trust_entry_action_new (self, TRUST_ACTION_UNBLOCK, entry->device_id,
                                             entry->fingerprint, NULL));
    }

  for (guint i = 0; ignored != NULL && i < ignored->len; i++)
    {
      HearthTrustEntry *entry = g_ptr_array_index (ignored, i);
      g_autofree char *fingerprint = display_fingerprint (entry->fingerprint);

      add_entry_row (self, self->ignored_group, self->ignored_rows, entry->device_id, fingerprint,
                     _ ("_Stop Ignoring"),
                     trust_entry_action_new (self, TRUST_ACTION_UNIGNORE, entry->device_id,
                                             entry->fingerprint, NULL));
    }

  gtk_widget_set_visible (GTK_WIDGET (self->pinned_empty_row), self->pinned_rows->len == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->blocked_empty_row), self->blocked_rows->len == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->ignored_empty_row), self->ignored_rows->len == 0);
}

static void
hearth_trust_page_update_hub_key (HearthTrustPage *self)
{
  const char *fingerprint = NULL;
  const char *previous = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *previous_shown = NULL;

  if (self->hub_identity != NULL)
    {
      fingerprint = hearth_hub_identity_get_fingerprint (self->hub_identity);
      previous = hearth_hub_identity_get_previous_fingerprint (self->hub_identity);
    }

  shown = fingerprint != NULL ? display_fingerprint (fingerprint) : g_strdup (_ ("Not loaded"));
  adw_action_row_set_subtitle (self->hub_key_row, shown);

  gtk_widget_set_visible (GTK_WIDGET (self->previous_key_row), previous != NULL);
  if (previous != NULL)
    {
      previous_shown = display_fingerprint (previous);
      adw_action_row_set_subtitle (self->previous_key_row, previous_shown);
    }

  /* The identity refuses a second regeneration while devices may still know only the previous
   * key; the button says so instead of failing after the confirmation. Regenerating needs the
   * hub, which moves the devices to the new key. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->regenerate_row),
                            self->hub != NULL && self->hub_identity != NULL && previous == NULL
                                && !hearth_hub_get_is_rotating (self->hub));
  if (self->hub == NULL)
    adw_action_row_set_subtitle (self->regenerate_row,
                                 _ ("Only possible while the hub is running"));
  else if (previous != NULL || hearth_hub_get_is_rotating (self->hub))
    adw_action_row_set_subtitle (
        self->regenerate_row,
        _ ("Not possible while devices are still being moved to the current key"));
  else
    adw_action_row_set_subtitle (
        self->regenerate_row,
        _ ("Make a new key pair, for example if the old one may have been copied"));
}

/* Regenerating the hub key */

static void
hearth_trust_page_on_rotated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HearthTrustPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) entries
      = hearth_hub_rotate_key_finish (HEARTH_HUB (source), result, &error);
  guint n_done = 0, n_refused = 0, n_waiting = 0;
  g_autofree char *message = NULL;

  if (entries == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        hearth_trust_page_add_toast (self, error->message, NULL);
      return;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const HearthRotationEntry *entry = g_ptr_array_index (entries, i);

      if (entry->status == HEARTH_ROTATION_DONE)
        n_done++;
      else if (entry->status == HEARTH_ROTATION_REFUSED)
        n_refused++;
      else
        n_waiting++;
    }
  if (n_refused > 0)
    /* Translators: %u is a number of devices */
    message = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     "The hub has a new key, but %u device refused both keys: pair it again",
                     "The hub has a new key, but %u devices refused both keys: pair them again",
                     n_refused),
        n_refused);
  else if (n_waiting > 0)
    /* Translators: %u is a number of devices */
    message = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     "The hub has a new key; %u device could not be reached and is moved to it "
                     "when it comes back",
                     "The hub has a new key; %u devices could not be reached and are moved to it "
                     "when they come back",
                     n_waiting),
        n_waiting);
  else
    message = g_strdup (_ ("The hub has a new key, and every paired device uses it"));
  hearth_trust_page_add_toast (self, message, NULL);
  hearth_trust_page_update_hub_key (self);
}

static void
hearth_trust_page_on_regenerate_response (AdwMessageDialog *dialog, const char *response,
                                          gpointer user_data)
{
  HearthTrustPage *self = HEARTH_TRUST_PAGE (user_data);

  if (g_strcmp0 (response, "regenerate") != 0 || self->hub == NULL)
    return;

  g_cancellable_cancel (self->rotation_cancellable);
  g_clear_object (&self->rotation_cancellable);
  self->rotation_cancellable = g_cancellable_new ();
  hearth_hub_rotate_key_async (self->hub, self->rotation_cancellable, hearth_trust_page_on_rotated,
                               g_object_ref (self));
  hearth_trust_page_update_hub_key (self);
}

static void
hearth_trust_page_on_regenerate_clicked (HearthTrustPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Regenerate Hub Key?"),
      _ ("Hearth will make a new key for this hub, add it on every paired device, and then remove "
         "the old key from them. Devices that cannot be reached now are moved when they come "
         "back; the old key is forgotten only when every device is done. This cannot be "
         "undone.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "regenerate",
                                    _ ("_Regenerate"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "regenerate", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  hearth_kiosk_size_dialog_responses (dialog);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (hearth_trust_page_on_regenerate_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Toasts */

static void
hearth_trust_page_real_add_toast (HearthTrustPage *self, AdwToast *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), g_object_ref (toast));
}

static void
hearth_trust_page_add_toast (HearthTrustPage *self, const char *title,
                             TrustEntryAction *undo_action)
{
  g_autoptr (AdwToast) toast = adw_toast_new (title);

  if (undo_action != NULL)
    {
      adw_toast_set_button_label (toast, _ ("_Undo"));
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      g_signal_connect_data (toast, "button-clicked", G_CALLBACK (hearth_trust_page_on_undo),
                             undo_action, trust_entry_action_closure_free, 0);
    }
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
}

/* GObject */

static void
hearth_trust_page_on_trust_changed (HearthTrustStore *trust_store, gpointer user_data)
{
  hearth_trust_page_rebuild (HEARTH_TRUST_PAGE (user_data));
}

static void
hearth_trust_page_on_identity_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  hearth_trust_page_update_hub_key (HEARTH_TRUST_PAGE (user_data));
}

static void
hearth_trust_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthTrustPage *self = HEARTH_TRUST_PAGE (object);

  switch (prop_id)
    {
      case PROP_TRUST_STORE:
        g_value_set_object (value, self->trust_store);
        break;

      case PROP_HUB_IDENTITY:
        g_value_set_object (value, self->hub_identity);
        break;

      case PROP_HUB:
        g_value_set_object (value, self->hub);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_trust_page_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  HearthTrustPage *self = HEARTH_TRUST_PAGE (object);

  switch (prop_id)
    {
      case PROP_TRUST_STORE:
        hearth_trust_page_set_trust_store (self, g_value_get_object (value));
        break;

      case PROP_HUB_IDENTITY:
        hearth_trust_page_set_hub_identity (self, g_value_get_object (value));
        break;

      case PROP_HUB:
        hearth_trust_page_set_hub (self, g_value_get_object (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_trust_page_dispose (GObject *object)
{
  HearthTrustPage *self = HEARTH_TRUST_PAGE (object);

  if (self->trust_store != NULL)
    g_clear_signal_handler (&self->trust_changed_handler, self->trust_store);
  if (self->hub_identity != NULL)
    {
      g_clear_signal_handler (&self->fingerprint_handler, self->hub_identity);
      g_clear_signal_handler (&self->previous_fingerprint_handler, self->hub_identity);
    }
  g_clear_object (&self->trust_store);
  g_clear_object (&self->hub_identity);
  /* A rotation under way goes on in the hub; only its answer to this page is dropped. */
  g_cancellable_cancel (self->rotation_cancellable);
  g_clear_object (&self->rotation_cancellable);
  if (self->hub != NULL)
    g_clear_signal_handler (&self->rotating_handler, self->hub);
  g_clear_object (&self->hub);

  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_TRUST_PAGE);
  g_clear_pointer (&self->pinned_rows, g_ptr_array_unref);
  g_clear_pointer (&self->blocked_rows, g_ptr_array_unref);
  g_clear_pointer (&self->ignored_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (hearth_trust_page_parent_class)->dispose (object);
}

static void
hearth_trust_page_class_init (HearthTrustPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = hearth_trust_page_get_property;
  object_class->set_property = hearth_trust_page_set_property;
  object_class->dispose = hearth_trust_page_dispose;

  properties[PROP_TRUST_STORE]
      = g_param_spec_object ("trust-store", NULL, NULL, HEARTH_TYPE_TRUST_STORE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_HUB_IDENTITY]
      = g_param_spec_object ("hub-identity", NULL, NULL, HEARTH_TYPE_HUB_IDENTITY,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthTrustPage:hub:
   *
   * The running hub, which regenerates its key by moving every paired device to the new one;
   * without it, "Regenerate hub key" is not offered.
   */
  properties[PROP_HUB]
      = g_param_spec_object ("hub", NULL, NULL, HEARTH_TYPE_HUB,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthTrustPage::add-toast:
   * @toast: the toast to show
   *
   * The page has something to say, often with an Undo button. The default handler shows the
   * toast in the nearest AdwToastOverlay around the page.
   */
  signals[ADD_TOAST]
      = g_signal_new_class_handler ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    G_CALLBACK (hearth_trust_page_real_add_toast), NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, ADW_TYPE_TOAST);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-trust-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, hub_group);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, hub_key_row);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, previous_key_row);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, regenerate_row);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, regenerate_button);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, pinned_group);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, pinned_empty_row);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, blocked_group);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, blocked_empty_row);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, ignored_group);
  gtk_widget_class_bind_template_child (widget_class, HearthTrustPage, ignored_empty_row);
  gtk_widget_class_bind_template_callback (widget_class, hearth_trust_page_on_regenerate_clicked);
}

static void
hearth_trust_page_init (HearthTrustPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->pinned_rows = g_ptr_array_new ();
  self->blocked_rows = g_ptr_array_new ();
  self->ignored_rows = g_ptr_array_new ();
  hearth_trust_page_update_hub_key (self);
}

/* Public API */

GtkWidget *
hearth_trust_page_new (void)
{
  return g_object_new (HEARTH_TYPE_TRUST_PAGE, NULL);
}

HearthTrustStore *
hearth_trust_page_get_trust_store (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), NULL);

  return self->trust_store;
}

/**
 * hearth_trust_page_set_trust_store:
 * @trust_store: (nullable): the store to show and change
 */
void
hearth_trust_page_set_trust_store (HearthTrustPage *self, HearthTrustStore *trust_store)
{
  g_return_if_fail (HEARTH_IS_TRUST_PAGE (self));
  g_return_if_fail (trust_store == NULL || HEARTH_IS_TRUST_STORE (trust_store));

  if (self->trust_store == trust_store)
    return;

  if (self->trust_store != NULL)
    g_clear_signal_handler (&self->trust_changed_handler, self->trust_store);
  g_set_object (&self->trust_store, trust_store);
  if (trust_store != NULL)
    self->trust_changed_handler = g_signal_connect (
        trust_store, "changed", G_CALLBACK (hearth_trust_page_on_trust_changed), self);

  hearth_trust_page_rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRUST_STORE]);
}

HearthHubIdentity *
hearth_trust_page_get_hub_identity (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), NULL);

  return self->hub_identity;
}

/**
 * hearth_trust_page_set_hub_identity:
 * @hub_identity: (nullable): the hub's key pair
 */
void
hearth_trust_page_set_hub_identity (HearthTrustPage *self, HearthHubIdentity *hub_identity)
{
  g_return_if_fail (HEARTH_IS_TRUST_PAGE (self));
  g_return_if_fail (hub_identity == NULL || HEARTH_IS_HUB_IDENTITY (hub_identity));

  if (self->hub_identity == hub_identity)
    return;

  if (self->hub_identity != NULL)
    {
      g_clear_signal_handler (&self->fingerprint_handler, self->hub_identity);
      g_clear_signal_handler (&self->previous_fingerprint_handler, self->hub_identity);
    }
  g_set_object (&self->hub_identity, hub_identity);
  if (hub_identity != NULL)
    {
      self->fingerprint_handler
          = g_signal_connect (hub_identity, "notify::fingerprint",
                              G_CALLBACK (hearth_trust_page_on_identity_notify), self);
      self->previous_fingerprint_handler
          = g_signal_connect (hub_identity, "notify::previous-fingerprint",
                              G_CALLBACK (hearth_trust_page_on_identity_notify), self);
    }

  hearth_trust_page_update_hub_key (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HUB_IDENTITY]);
}

HearthHub *
hearth_trust_page_get_hub (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), NULL);

  return self->hub;
}

static void
hearth_trust_page_on_rotating_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  hearth_trust_page_update_hub_key (HEARTH_TRUST_PAGE (user_data));
}

/**
 * hearth_trust_page_set_hub:
 * @hub: (nullable): the running hub
 */
void
hearth_trust_page_set_hub (HearthTrustPage *self, HearthHub *hub)
{
  g_return_if_fail (HEARTH_IS_TRUST_PAGE (self));
  g_return_if_fail (hub == NULL || HEARTH_IS_HUB (hub));

  if (self->hub == hub)
    return;
  if (self->hub != NULL)
    g_clear_signal_handler (&self->rotating_handler, self->hub);
  g_set_object (&self->hub, hub);
  if (hub != NULL)
    self->rotating_handler = g_signal_connect (
        hub, "notify::is-rotating", G_CALLBACK (hearth_trust_page_on_rotating_notify), self);
  hearth_trust_page_update_hub_key (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HUB]);
}

guint
hearth_trust_page_get_n_pinned_rows (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), 0);

  return self->pinned_rows->len;
}

guint
hearth_trust_page_get_n_blocked_rows (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), 0);

  return self->blocked_rows->len;
}

guint
hearth_trust_page_get_n_ignored_rows (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), 0);

  return self->ignored_rows->len;
}

/**
 * hearth_trust_page_find_row:
 * @device_id: a device id
 *
 * Returns: (transfer none) (nullable): the first row (pinned, blocked, then ignored) about
 *   @device_id; its suffix button forgets, unblocks or stops ignoring it
 */
AdwActionRow *
hearth_trust_page_find_row (HearthTrustPage *self, const char *device_id)
{
  GPtrArray *lists[3];

  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), NULL);

  lists[0] = self->pinned_rows;
  lists[1] = self->blocked_rows;
  lists[2] = self->ignored_rows;
  for (guint list = 0; list < G_N_ELEMENTS (lists); list++)
    for (guint i = 0; i < lists[list]->len; i++)
      {
        AdwActionRow *row = g_ptr_array_index (lists[list], i);

        if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "hearth-device-id"), device_id) == 0)
          return row;
      }
  return NULL;
}

/**
 * hearth_trust_page_get_regenerate_button:
 *
 * Returns: (transfer none): the button that asks to regenerate the hub key
 */
GtkButton *
hearth_trust_page_get_regenerate_button (HearthTrustPage *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_PAGE (self), NULL);

  return self->regenerate_button;
}
