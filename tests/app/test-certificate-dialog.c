/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "app-test-util.h"
#include "hearth-certificate-dialog-queue.h"
#include "hearth-fingerprint.h"

#define KITCHEN_ID "kitchen-light"
#define HALL_ID "hall-sensor"
#define KITCHEN_OLD "6e3b0c1a9f55d27c4e88a1b3f0d2c6e7a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
#define KITCHEN_NEW "d41d8cd98f00b204e9800998ecf8427e0cc175b9c0f1b6a831c399e269772661"
#define HALL_OLD "a3f1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"
#define HALL_NEW "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

typedef struct
{
  char *data_dir;
  HearthTrustStore *trust_store;
  GtkWindow *window;
  HearthCertificateDialogQueue *queue;
} DialogFixture;

static void
open_trust_store (DialogFixture *fixture)
{
  g_autoptr (GError) error = NULL;

  fixture->trust_store = hearth_trust_store_new (fixture->data_dir, NULL, &error);
  g_assert_no_error (error);
}

static void
dialog_fixture_set_up (DialogFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->data_dir = app_test_make_data_dir ();
  open_trust_store (fixture);
  g_assert_true (hearth_trust_store_pin (fixture->trust_store, KITCHEN_ID, KITCHEN_OLD,
                                         "Kitchen light", &error));
  g_assert_true (hearth_trust_store_pin (fixture->trust_store, HALL_ID, HALL_OLD,
                                         "Hall motion sensor", &error));
  g_assert_no_error (error);

  fixture->window = GTK_WINDOW (g_object_ref_sink (adw_window_new ()));
  gtk_window_set_default_size (fixture->window, PANEL_WIDTH, PANEL_HEIGHT);
  adw_window_set_content (ADW_WINDOW (fixture->window), adw_status_page_new ());
  gtk_window_present (fixture->window);
  app_test_wait_for (app_test_is_drawn, fixture->window);
}

static void
dialog_fixture_tear_down (DialogFixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->queue);
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->window);
  g_clear_object (&fixture->trust_store);
  app_test_remove_data_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

static void
report_change (DialogFixture *fixture, const char *device_id, const char *new_fingerprint)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (hearth_trust_store_report_certificate_change (
      fixture->trust_store, device_id, new_fingerprint, "192.168.1.23", &error));
  g_assert_no_error (error);
}

/* The dialog shows the key in groups; the digits must be exactly the fingerprint's. */
static void
assert_shows_fingerprint (const char *shown, const char *fingerprint)
{
  g_autoptr (GString) digits = g_string_new (NULL);

  for (const char *c = shown; *c != '\0'; c++)
    if (!g_ascii_isspace (*c))
      g_string_append_c (digits, *c);
  g_assert_cmpstr (digits->str, ==, fingerprint);
  g_assert_nonnull (strchr (shown, ' '));
  g_assert_nonnull (strchr (shown, '\n'));
}

static HearthCertificateDialog *
current_dialog (DialogFixture *fixture)
{
  return hearth_certificate_dialog_queue_get_current_dialog (fixture->queue);
}

static GtkWidget *
find_button (GtkWidget *widget, const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Answers the way a person does: by clicking the response button. */
static void
click_response (DialogFixture *fixture, const char *label)
{
  HearthCertificateDialog *dialog = current_dialog (fixture);
  GtkWidget *button;

  g_assert_nonnull (dialog);
  button = find_button (GTK_WIDGET (dialog), label);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  app_test_settle ();
}

static void
test_dialog_opens_with_both_fingerprints (DialogFixture *fixture, gconstpointer user_data)
{
  HearthCertificateDialog *dialog;
  const HearthTrustPendingChange *change;

  /* Nothing pending: no dialog. */
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  g_assert_null (current_dialog (fixture));

  /* A change reported while Hearth runs opens the dialog at once. */
  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  dialog = current_dialog (fixture);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == fixture->window);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  assert_shows_fingerprint (hearth_certificate_dialog_get_old_fingerprint_text (dialog),
                            KITCHEN_OLD);
  assert_shows_fingerprint (hearth_certificate_dialog_get_new_fingerprint_text (dialog),
                            KITCHEN_NEW);
  g_assert_cmpstr (hearth_certificate_dialog_get_device_name (dialog), ==, "Kitchen light");
  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (dialog)), ==,
                   HEARTH_CERTIFICATE_RESPONSE_REFUSE);
  g_assert_cmpint (
      adw_message_dialog_get_response_appearance (ADW_MESSAGE_DIALOG (dialog), "block"), ==,
      ADW_RESPONSE_DESTRUCTIVE);

  /* The device keeps trying: the same dialog shows the new count, no second dialog. */
  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  g_assert_true (current_dialog (fixture) == dialog);
  change = hearth_certificate_dialog_get_change (dialog);
  g_assert_cmpuint (change->count, ==, 3);
  g_assert_cmpuint (hearth_certificate_dialog_queue_get_n_waiting (fixture->queue), ==, 0);

  app_test_wait_for (app_test_is_drawn, dialog);
  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (dialog));

    g_test_message ("dialog %d×%d", gtk_widget_get_width (GTK_WIDGET (dialog)),
                    gtk_widget_get_height (GTK_WIDGET (dialog)));
    g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (dialog)), <=, PANEL_WIDTH);
    g_assert_cmpint (gtk_widget_get_height (GTK_WIDGET (dialog)), <=, PANEL_HEIGHT);
    app_test_save (texture, "certificate-dialog.png");
  }
}

static void
test_dialog_trust_pins_new_key (DialogFixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthTrustPin) pin = NULL;

  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  click_response (fixture, "_Trust New Key");

  pin = hearth_trust_store_get_pin (fixture->trust_store, KITCHEN_ID);
  g_assert_cmpstr (pin->fingerprint, ==, KITCHEN_NEW);
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
  g_assert_null (hearth_trust_store_get_pending (fixture->trust_store, KITCHEN_ID));
  g_assert_null (current_dialog (fixture));
}

static void
test_dialog_keep_refusing (DialogFixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthTrustPendingChange) change = NULL;

  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  click_response (fixture, "_Keep Refusing");

  change = hearth_trust_store_get_pending (fixture->trust_store, KITCHEN_ID);
  g_assert_nonnull (change);
  g_assert_true (change->rejected);
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW), ==,
                   HEARTH_TRUST_VERDICT_CHANGED);
  g_assert_null (current_dialog (fixture));

  /* The device reconnecting with the same key does not ask again, nor does a restart. */
  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  g_assert_null (current_dialog (fixture));
  g_clear_object (&fixture->queue);
  g_assert_true (hearth_trust_store_flush (fixture->trust_store, NULL));
  g_clear_object (&fixture->trust_store);
  open_trust_store (fixture);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  g_assert_null (current_dialog (fixture));
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW), ==,
                   HEARTH_TRUST_VERDICT_CHANGED);
}

static void
test_dialog_block (DialogFixture *fixture, gconstpointer user_data)
{
  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  click_response (fixture, "_Block Device");

  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_OLD), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);
  g_assert_null (current_dialog (fixture));
}

static void
test_dialog_two_in_sequence (DialogFixture *fixture, gconstpointer user_data)
{
  HearthCertificateDialog *first;
  HearthCertificateDialog *second;

  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  g_usleep (2000);
  report_change (fixture, HALL_ID, HALL_NEW);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);

  /* One dialog at a time, the oldest change first; the other waits. */
  first = current_dialog (fixture);
  g_assert_nonnull (first);
  g_assert_cmpstr (hearth_certificate_dialog_get_change (first)->device_id, ==, KITCHEN_ID);
  g_assert_cmpuint (hearth_certificate_dialog_queue_get_n_waiting (fixture->queue), ==, 1);

  click_response (fixture, "_Trust New Key");
  second = current_dialog (fixture);
  g_assert_nonnull (second);
  g_assert_cmpstr (hearth_certificate_dialog_get_change (second)->device_id, ==, HALL_ID);
  assert_shows_fingerprint (hearth_certificate_dialog_get_new_fingerprint_text (second), HALL_NEW);

  click_response (fixture, "_Block Device");
  g_assert_null (current_dialog (fixture));
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, HALL_ID, HALL_NEW), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);
}

static void
test_dialog_asks_again_after_restart (DialogFixture *fixture, gconstpointer user_data)
{
  HearthCertificateDialog *dialog;

  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  g_assert_nonnull (current_dialog (fixture));

  /* Hearth stops with the question open: no answer is recorded... */
  g_clear_object (&fixture->queue);
  g_assert_true (hearth_trust_store_flush (fixture->trust_store, NULL));
  g_clear_object (&fixture->trust_store);

  /* ...and a new store on the same directory asks the same question again. */
  open_trust_store (fixture);
  g_assert_cmpuint (hearth_trust_store_get_n_pending (fixture->trust_store), ==, 1);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  dialog = current_dialog (fixture);
  g_assert_nonnull (dialog);
  assert_shows_fingerprint (hearth_certificate_dialog_get_old_fingerprint_text (dialog),
                            KITCHEN_OLD);
  assert_shows_fingerprint (hearth_certificate_dialog_get_new_fingerprint_text (dialog),
                            KITCHEN_NEW);
}

static void
test_dialog_closes_when_decided_elsewhere (DialogFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  fixture->queue = hearth_certificate_dialog_queue_new (fixture->trust_store, fixture->window);
  g_assert_nonnull (current_dialog (fixture));

  /* hearthctl (or the trust page) approves: the dialog goes without recording a refusal. */
  g_assert_true (
      hearth_trust_store_approve (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW, &error));
  g_assert_no_error (error);
  g_assert_null (current_dialog (fixture));
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, KITCHEN_ID, KITCHEN_NEW), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);

  /* The device changes its key while the dialog is open: the dialog shows the newest key, so
   * the answer is about the key on screen. */
  report_change (fixture, HALL_ID, HALL_NEW);
  g_assert_nonnull (current_dialog (fixture));
  report_change (fixture, HALL_ID, KITCHEN_OLD);
  assert_shows_fingerprint (
      hearth_certificate_dialog_get_new_fingerprint_text (current_dialog (fixture)), KITCHEN_OLD);
  click_response (fixture, "_Trust New Key");
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, HALL_ID, KITCHEN_OLD), ==,
                   HEARTH_TRUST_VERDICT_TRUSTED);
}

static void
collect_mapped_responses (GtkWidget *widget, GPtrArray *buttons)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_widget_get_mapped (child)
          && gtk_button_get_use_underline (GTK_BUTTON (child)))
        g_ptr_array_add (buttons, child);
      collect_mapped_responses (child, buttons);
    }
}

/* The dialog over a parent of @width×@height: everything is visible without scrolling (the
 * scrolled window, a fallback for large fonts, has nothing to scroll), and the three answers
 * are on screen, inside the dialog, at least 48 px tall. Saves certificate-dialog-WxH.png. */
static void
check_dialog_fits (DialogFixture *fixture, int width, int height)
{
  GtkWindow *parent = GTK_WINDOW (g_object_ref_sink (adw_window_new ()));
  g_autoptr (HearthTrustPendingChange) change = NULL;
  g_autoptr (GPtrArray) buttons = g_ptr_array_new ();
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *name = g_strdup_printf ("certificate-dialog-%dx%d.png", width, height);
  HearthCertificateDialog *dialog;
  GtkAdjustment *adjustment;
  int dialog_width, dialog_height;

  gtk_window_set_default_size (parent, width, height);
  adw_window_set_content (ADW_WINDOW (parent), adw_status_page_new ());
  gtk_window_present (parent);
  app_test_wait_for (app_test_is_drawn, parent);

  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  report_change (fixture, KITCHEN_ID, KITCHEN_NEW);
  change = hearth_trust_store_get_pending (fixture->trust_store, KITCHEN_ID);
  dialog = hearth_certificate_dialog_new (parent, change, "Kitchen light");
  gtk_window_present (GTK_WINDOW (dialog));
  app_test_wait_for (app_test_is_drawn, dialog);
  app_test_settle ();

  dialog_width = gtk_widget_get_width (GTK_WIDGET (dialog));
  dialog_height = gtk_widget_get_height (GTK_WIDGET (dialog));
  g_test_message ("parent %d×%d: dialog %d×%d", width, height, dialog_width, dialog_height);
  /* AdwMessageDialog keeps 30 px from each edge of its parent. */
  g_assert_cmpint (dialog_width, <=, width - 60);
  g_assert_cmpint (dialog_height, <=, height - 60);

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (
      app_test_find_descendant (GTK_WIDGET (dialog), GTK_TYPE_SCROLLED_WINDOW)));
  g_test_message ("content %.0f px in %.0f px", gtk_adjustment_get_upper (adjustment),
                  gtk_adjustment_get_page_size (adjustment));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adjustment), <=,
                     gtk_adjustment_get_page_size (adjustment) + 0.5);

  collect_mapped_responses (GTK_WIDGET (dialog), buttons);
  g_assert_cmpuint (buttons->len, ==, 3);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (buttons, i);
      graphene_rect_t bounds;

      g_assert_true (gtk_widget_compute_bounds (button, GTK_WIDGET (dialog), &bounds));
      g_test_message ("%s: %.0f×%.0f at %.0f,%.0f", gtk_button_get_label (GTK_BUTTON (button)),
                      bounds.size.width, bounds.size.height, bounds.origin.x, bounds.origin.y);
      g_assert_cmpfloat (bounds.size.height, >=, 48);
      g_assert_cmpfloat (bounds.size.width, >=, 48);
      g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, dialog_height);
    }

  texture = app_test_render (GTK_WIDGET (dialog));
  app_test_save (texture, name);
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (parent);
  g_object_unref (parent);
}

static void
test_dialog_fits_panel (DialogFixture *fixture, gconstpointer user_data)
{
  check_dialog_fits (fixture, PANEL_WIDTH, PANEL_HEIGHT);
}

static void
test_dialog_fits_desktop (DialogFixture *fixture, gconstpointer user_data)
{
  check_dialog_fits (fixture, 1280, 800);
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

#define ADD(path, func)                                                                            \
  g_test_add ("/app/certificate-dialog/" path, DialogFixture, NULL, dialog_fixture_set_up, func,   \
              dialog_fixture_tear_down)
  ADD ("opens-with-both-fingerprints", test_dialog_opens_with_both_fingerprints);
  ADD ("trust-pins-new-key", test_dialog_trust_pins_new_key);
  ADD ("fits-800x480", test_dialog_fits_panel);
  ADD ("fits-1280x800", test_dialog_fits_desktop);
  ADD ("keep-refusing", test_dialog_keep_refusing);
  ADD ("block", test_dialog_block);
  ADD ("two-in-sequence", test_dialog_two_in_sequence);
  ADD ("asks-again-after-restart", test_dialog_asks_again_after_restart);
  ADD ("closes-when-decided-elsewhere", test_dialog_closes_when_decided_elsewhere);
#undef ADD

  return g_test_run ();
}
