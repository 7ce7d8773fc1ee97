/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "app-test-util.h"
#include "hearth-events-page.h"
#include "hearth-window.h"

/* The German translation reaches the widgets: the window's templates, the Events page's
 * drop-downs and strings made in C. Run with LC_ALL=C.UTF-8 LANGUAGE=de and the .mo files of
 * the build tree (HEARTH_LOCALE_DIR); meson's test() sets all three. */

static gboolean
shows_label (GtkWidget *widget, const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_label (child, text))
      return TRUE;
  return FALSE;
}

static void
test_window_in_german (void)
{
  g_autoptr (GtkWindow) window = GTK_WINDOW (g_object_ref_sink (hearth_window_new (NULL)));
  AdwViewStack *stack = hearth_window_get_view_stack (HEARTH_WINDOW (window));
  HearthEventsPage *events_page = hearth_window_get_events_page (HEARTH_WINDOW (window));
  g_autoptr (GtkSelectionModel) pages = adw_view_stack_get_pages (stack);
  const char *expected_titles[] = { "Geräte", "Ereignisse" };

  /* A string from C, then the page titles from the window's template. */
  g_assert_cmpstr (_ ("All devices"), ==, "Alle Geräte");
  for (guint i = 0; i < G_N_ELEMENTS (expected_titles); i++)
    {
      g_autoptr (AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);

      g_assert_cmpstr (adw_view_stack_page_get_title (page), ==, expected_titles[i]);
    }
  /* Settings, a window of its own, and its pages. */
  g_assert_cmpstr (gtk_window_get_title (
                       GTK_WINDOW (hearth_window_get_preferences_window (HEARTH_WINDOW (window)))),
                   ==, "Einstellungen");
  g_assert_cmpstr (adw_preferences_page_get_title (ADW_PREFERENCES_PAGE (
                       hearth_window_get_trust_page (HEARTH_WINDOW (window)))),
                   ==, "Vertrauen");

  gtk_window_set_default_size (window, PANEL_WIDTH, PANEL_HEIGHT);
  adw_view_stack_set_visible_child_name (stack, "events");
  gtk_window_present (window);
  app_test_wait_for (app_test_is_drawn, events_page);
  app_test_settle ();

  /* The Events page's own template and the drop-downs built in C. */
  g_assert_true (shows_label (GTK_WIDGET (events_page), "Keine Ereignisse"));
  g_assert_true (shows_label (GTK_WIDGET (events_page), "Alle Geräte"));
  g_assert_true (shows_label (GTK_WIDGET (events_page), "Alle Typen"));
  gtk_window_destroy (window);
}

int
main (int argc, char *argv[])
{
  const char *locale_dir = g_getenv ("HEARTH_LOCALE_DIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir != NULL ? locale_dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (!app_test_init (&argc, &argv))
    return 77;

  g_test_add_func ("/app/i18n/window-in-german", test_window_in_german);
  return g_test_run ();
}
