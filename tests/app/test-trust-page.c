/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "app-test-util.h"
#include "hearth-fingerprint.h"
#include "hearth-hub.h"
#include "hearth-trust-page.h"
#include "hearth-window.h"

#define KITCHEN_ID "kitchen-light"
#define KITCHEN_FP "6e3b0c1a9f55d27c4e88a1b3f0d2c6e7a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
#define HALL_ID "hall-sensor"
#define HALL_FP "a3f1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"
#define SPOOF_ID "garage-door"
#define SPOOF_FP "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define STRAY_FP "d41d8cd98f00b204e9800998ecf8427e0cc175b9c0f1b6a831c399e269772661"
#define NEIGHBOUR_ID "neighbours-plug"
#define NEIGHBOUR_FP "11223344556677889900aabbccddeeff11223344556677889900aabbccddeeff"

typedef struct
{
  char *data_dir;
  HearthTrustStore *trust_store;
  HearthHubIdentity *hub_identity;
  HearthHub *hub;
  GtkWindow *window;
  HearthTrustPage *page;
  AdwToast *last_toast;
} PageFixture;

static void
on_add_toast (HearthTrustPage *page, AdwToast *toast, gpointer user_data)
{
  PageFixture *fixture = user_data;

  g_set_object (&fixture->last_toast, toast);
}

static void
page_fixture_set_up (PageFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->data_dir = app_test_make_data_dir ();
  /* A real hub (no network: discovery off, no device has an address), as the application
   * gives the page: its trust store, its key, and itself for regenerating the key. */
  fixture->hub = hearth_hub_new (fixture->data_dir, 0, FALSE, NULL, &error);
  g_assert_no_error (error);
  fixture->trust_store = g_object_ref (hearth_hub_get_trust_store (fixture->hub));
  fixture->hub_identity = g_object_ref (hearth_hub_get_identity (fixture->hub));

  g_assert_true (hearth_trust_store_pin (fixture->trust_store, KITCHEN_ID, KITCHEN_FP,
                                         "Kitchen light", &error));
  g_assert_true (hearth_trust_store_pin (fixture->trust_store, HALL_ID, HALL_FP,
                                         "Hall motion sensor", &error));
  g_assert_true (hearth_trust_store_block (fixture->trust_store, SPOOF_ID, NULL, &error));
  g_assert_true (hearth_trust_store_block (fixture->trust_store, NULL, STRAY_FP, &error));
  g_assert_true (
      hearth_trust_store_ignore (fixture->trust_store, NEIGHBOUR_ID, NEIGHBOUR_FP, &error));
  g_assert_no_error (error);

  /* The page as the window hosts it: Settings → Trust, inside Settings' toast overlay. */
  fixture->window = GTK_WINDOW (g_object_ref_sink (hearth_window_new (NULL)));
  gtk_window_set_default_size (fixture->window, PANEL_WIDTH, PANEL_HEIGHT);
  fixture->page = hearth_window_get_trust_page (HEARTH_WINDOW (fixture->window));
  g_signal_connect (fixture->page, "add-toast", G_CALLBACK (on_add_toast), fixture);
  hearth_trust_page_set_trust_store (fixture->page, fixture->trust_store);
  hearth_trust_page_set_hub_identity (fixture->page, fixture->hub_identity);
  hearth_trust_page_set_hub (fixture->page, fixture->hub);
  gtk_window_present (fixture->window);
  /* Settings at the panel's size, as a 7-inch panel would show it. */
  gtk_window_set_default_size (
      GTK_WINDOW (hearth_window_get_preferences_window (HEARTH_WINDOW (fixture->window))),
      PANEL_WIDTH, PANEL_HEIGHT);
  hearth_window_show_settings (HEARTH_WINDOW (fixture->window), "trust");
  app_test_wait_for (app_test_is_drawn, fixture->page);
}

static void
page_fixture_tear_down (PageFixture *fixture, gconstpointer user_data)
{
  g_clear_object (&fixture->last_toast);
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->window);
  g_clear_object (&fixture->hub_identity);
  g_clear_object (&fixture->trust_store);
  hearth_hub_stop (fixture->hub);
  g_clear_object (&fixture->hub);
  app_test_remove_data_dir (fixture->data_dir);
  g_free (fixture->data_dir);
}

static GtkButton *
row_button (AdwActionRow *row)
{
  GtkWidget *stack[64];
  guint depth = 0;

  g_assert_nonnull (row);
  stack[depth++] = GTK_WIDGET (row);
  while (depth > 0)
    {
      GtkWidget *widget = stack[--depth];

      if (GTK_IS_BUTTON (widget))
        return GTK_BUTTON (widget);
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && depth < 64;
           child = gtk_widget_get_next_sibling (child))
        stack[depth++] = child;
    }
  g_assert_not_reached ();
}

static void
click_undo (PageFixture *fixture)
{
  g_assert_nonnull (fixture->last_toast);
  g_assert_cmpstr (adw_toast_get_button_label (fixture->last_toast), ==, "_Undo");
  g_signal_emit_by_name (fixture->last_toast, "button-clicked");
}

static void
test_page_lists_entries (PageFixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *hub_fp = NULL;
  AdwActionRow *row;

  g_assert_cmpuint (hearth_trust_page_get_n_pinned_rows (fixture->page), ==, 2);
  g_assert_cmpuint (hearth_trust_page_get_n_blocked_rows (fixture->page), ==, 2);
  g_assert_cmpuint (hearth_trust_page_get_n_ignored_rows (fixture->page), ==, 1);

  row = hearth_trust_page_find_row (fixture->page, KITCHEN_ID);
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Kitchen light");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==,
                   "kitchen-light\n6e3b 0c1a 9f55 d27c 4e88 a1b3 f0d2 c6e7\n"
                   "a9b8 c7d6 e5f4 a3b2 c1d0 e9f8 a7b6 c5d4");
  g_assert_cmpstr (gtk_button_get_label (row_button (row)), ==, "_Forget");
  g_assert_cmpstr (
      gtk_button_get_label (row_button (hearth_trust_page_find_row (fixture->page, SPOOF_ID))), ==,
      "_Unblock");
  g_assert_cmpstr (
      gtk_button_get_label (row_button (hearth_trust_page_find_row (fixture->page, NEIGHBOUR_ID))),
      ==, "_Stop Ignoring");

  /* A decision made elsewhere shows up at once. */
  g_assert_true (hearth_trust_store_pin (fixture->trust_store, "porch-light", SPOOF_FP,
                                         "Porch <light> & co", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hearth_trust_page_get_n_pinned_rows (fixture->page), ==, 3);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (
                       hearth_trust_page_find_row (fixture->page, "porch-light"))),
                   ==, "Porch <light> & co");

  /* The hub's own key, grouped as the devices show it. */
  hub_fp = hearth_fingerprint_format_for_display (
      hearth_hub_identity_get_fingerprint (fixture->hub_identity));
  g_assert_nonnull (hub_fp);

  app_test_settle ();
  {
    g_autoptr (GdkTexture) texture = app_test_render (
        GTK_WIDGET (hearth_window_get_preferences_window (HEARTH_WINDOW (fixture->window))));

    app_test_save (texture, "trust-settings.png");
  }
}

static void
test_page_forget_and_undo (PageFixture *fixture, gconstpointer user_data)
{
  g_autoptr (HearthTrustPin) pin = NULL;
  g_autoptr (GError) error = NULL;

  /* The row shows the area, and undoing "Forget" puts the area back with the pin. */
  g_assert_true (hearth_trust_store_set_area (fixture->trust_store, KITCHEN_ID, "Kitchen", &error));
  g_assert_no_error (error);
  app_test_settle ();
  g_assert_nonnull (
      strstr (adw_action_row_get_subtitle (hearth_trust_page_find_row (fixture->page, KITCHEN_ID)),
              KITCHEN_ID " · Kitchen"));
  g_signal_emit_by_name (row_button (hearth_trust_page_find_row (fixture->page, KITCHEN_ID)),
                         "clicked");
  g_assert_null (hearth_trust_store_get_pin (fixture->trust_store, KITCHEN_ID));
  g_assert_cmpuint (hearth_trust_page_get_n_pinned_rows (fixture->page), ==, 1);
  g_assert_nonnull (fixture->last_toast);
  g_assert_nonnull (strstr (adw_toast_get_title (fixture->last_toast), "Kitchen light"));
  /* The toast is on screen: Settings' own overlay holds it besides this test. */
  g_assert_cmpuint (G_OBJECT (fixture->last_toast)->ref_count, >, 1);

  click_undo (fixture);
  pin = hearth_trust_store_get_pin (fixture->trust_store, KITCHEN_ID);
  g_assert_nonnull (pin);
  g_assert_cmpstr (pin->fingerprint, ==, KITCHEN_FP);
  g_assert_cmpstr (pin->name, ==, "Kitchen light");
  g_assert_cmpstr (pin->area, ==, "Kitchen");
  g_assert_cmpuint (hearth_trust_page_get_n_pinned_rows (fixture->page), ==, 2);
}

static void
test_page_unblock_and_undo (PageFixture *fixture, gconstpointer user_data)
{
  g_signal_emit_by_name (row_button (hearth_trust_page_find_row (fixture->page, SPOOF_ID)),
                         "clicked");
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, SPOOF_ID, SPOOF_FP), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);
  g_assert_cmpuint (hearth_trust_page_get_n_blocked_rows (fixture->page), ==, 1);

  click_undo (fixture);
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, SPOOF_ID, SPOOF_FP), ==,
                   HEARTH_TRUST_VERDICT_BLOCKED);
  g_assert_cmpuint (hearth_trust_page_get_n_blocked_rows (fixture->page), ==, 2);
}

static void
test_page_stop_ignoring_and_undo (PageFixture *fixture, gconstpointer user_data)
{
  g_signal_emit_by_name (row_button (hearth_trust_page_find_row (fixture->page, NEIGHBOUR_ID)),
                         "clicked");
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, NEIGHBOUR_ID, NEIGHBOUR_FP), ==,
                   HEARTH_TRUST_VERDICT_UNKNOWN);
  g_assert_cmpuint (hearth_trust_page_get_n_ignored_rows (fixture->page), ==, 0);

  click_undo (fixture);
  g_assert_cmpint (hearth_trust_store_check (fixture->trust_store, NEIGHBOUR_ID, NEIGHBOUR_FP), ==,
                   HEARTH_TRUST_VERDICT_IGNORED);
  g_assert_cmpuint (hearth_trust_page_get_n_ignored_rows (fixture->page), ==, 1);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
has_toast (gpointer data)
{
  PageFixture *fixture = data;

  return fixture->last_toast != NULL;
}

/* Answers the regenerate dialog and waits for the rotation's toast. */
static const char *
regenerate (PageFixture *fixture, const char *response)
{
  AdwMessageDialog *dialog;

  g_clear_object (&fixture->last_toast);
  g_assert_true (gtk_widget_is_sensitive (
      GTK_WIDGET (hearth_trust_page_get_regenerate_button (fixture->page))));
  g_signal_emit_by_name (hearth_trust_page_get_regenerate_button (fixture->page), "clicked");
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  app_test_wait_for (app_test_is_drawn, dialog);
  app_test_settle ();
  if (g_str_equal (response, "regenerate"))
    {
      g_autoptr (GdkTexture) texture = app_test_render (GTK_WIDGET (dialog));

      app_test_save (texture, "regenerate-hub-key.png");
    }
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (!g_str_equal (response, "regenerate"))
    return NULL;
  app_test_wait_for (has_toast, fixture);
  g_test_message ("toast: %s", adw_toast_get_title (fixture->last_toast));
  return adw_toast_get_title (fixture->last_toast);
}

/* "Regenerate hub key" is a key rotation by a real hub (no network: discovery off, and the one
 * paired device has no address): the new key is made, devices are moved to it, and the old key
 * is forgotten only when every device is done. Without a hub the row is not offered. */
static void
test_page_regenerate_hub_key (PageFixture *fixture, gconstpointer user_data)
{
  g_autofree char *hub_dir = g_build_filename (fixture->data_dir, "hub", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthHub) hub = NULL;
  HearthHubIdentity *identity;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  /* No hub: not offered. */
  hearth_trust_page_set_hub (fixture->page, NULL);
  g_assert_false (gtk_widget_is_sensitive (
      GTK_WIDGET (hearth_trust_page_get_regenerate_button (fixture->page))));

  hub = hearth_hub_new (hub_dir, 0, FALSE, NULL, &error);
  g_assert_no_error (error);
  identity = hearth_hub_get_identity (hub);
  hearth_trust_page_set_trust_store (fixture->page, hearth_hub_get_trust_store (hub));
  hearth_trust_page_set_hub_identity (fixture->page, identity);
  hearth_trust_page_set_hub (fixture->page, hub);
  first = g_strdup (hearth_hub_identity_get_fingerprint (identity));

  /* Cancelling changes nothing. */
  regenerate (fixture, "cancel");
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (identity), ==, first);

  /* No paired device: the rotation is done at once, and the old key is forgotten. */
  g_assert_nonnull (strstr (regenerate (fixture, "regenerate"), "every paired device"));
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (identity), !=, first);
  g_assert_null (hearth_hub_identity_get_previous_fingerprint (identity));
  g_assert_false (hearth_hub_get_is_rotating (hub));
  second = g_strdup (hearth_hub_identity_get_fingerprint (identity));

  /* A paired device that cannot be reached: the new key is made, the old one kept for it, and
   * a second regeneration is not offered until it has been moved. */
  g_assert_true (hearth_trust_store_pin (hearth_hub_get_trust_store (hub), "cellar-pump",
                                         KITCHEN_FP, "Cellar pump", &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (regenerate (fixture, "regenerate"), "could not be reached"));
  g_assert_cmpstr (hearth_hub_identity_get_fingerprint (identity), !=, second);
  g_assert_cmpstr (hearth_hub_identity_get_previous_fingerprint (identity), ==, second);
  g_assert_true (hearth_hub_get_is_rotating (hub));
  app_test_settle ();
  g_assert_false (gtk_widget_is_sensitive (
      GTK_WIDGET (hearth_trust_page_get_regenerate_button (fixture->page))));

  hearth_trust_page_set_hub (fixture->page, NULL);
  hearth_hub_stop (hub);
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;

#define ADD(path, func)                                                                            \
  g_test_add ("/app/trust-page/" path, PageFixture, NULL, page_fixture_set_up, func,               \
              page_fixture_tear_down)
  ADD ("lists-entries", test_page_lists_entries);
  ADD ("forget-and-undo", test_page_forget_and_undo);
  ADD ("unblock-and-undo", test_page_unblock_and_undo);
  ADD ("stop-ignoring-and-undo", test_page_stop_ignoring_and_undo);
  ADD ("regenerate-hub-key", test_page_regenerate_hub_key);
#undef ADD

  return g_test_run ();
}
