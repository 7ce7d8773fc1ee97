/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Helpers shared by the widget tests: a display check, a private session bus, waiting for the
 * main loop, and rendering a widget to pixels the test can inspect or keep as a PNG. */

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "hearth-description.h"

/* The smallest panel Hearth must fit: the official 7-inch Raspberry Pi touch display. */
#define PANEL_WIDTH 800
#define PANEL_HEIGHT 480

typedef gboolean (*AppTestCondition) (gpointer data);

static inline void
app_test_wait_for (AppTestCondition condition, gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!condition (data))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static inline gboolean
app_test_is_drawn (gpointer data)
{
  GtkWidget *widget = data;

  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

/* Lets GTK lay out and paint whatever is pending, for a few frames. */
static inline void
app_test_settle (void)
{
  gint64 until = g_get_monotonic_time () + 150 * 1000;

  while (g_get_monotonic_time () < until)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (2000);
    }
}

/* Renders @widget as it is now, with the renderer of its window; the caller owns the texture. */
static inline GdkTexture *
app_test_render (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GskRenderNode) node = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  int width = 0, height = 0;

  /* Right after a resize or a page change the widget may have no frame yet, and then its
   * snapshot is empty (no node): let GTK finish the frame and try again, within a deadline. */
  while (node == NULL && g_get_monotonic_time () < deadline)
    {
      g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();

      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      g_assert_cmpint (width, >, 0);
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
      if (node == NULL)
        app_test_settle ();
    }
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                      node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* Whether two renderings have the same size and the same pixels. */
static inline gboolean
app_test_textures_equal (GdkTexture *a, GdkTexture *b)
{
  int width = gdk_texture_get_width (a), height = gdk_texture_get_height (a);
  g_autofree guchar *pixels_a = NULL;
  g_autofree guchar *pixels_b = NULL;

  if (width != gdk_texture_get_width (b) || height != gdk_texture_get_height (b))
    return FALSE;
  pixels_a = g_malloc ((gsize)width * height * 4);
  pixels_b = g_malloc ((gsize)width * height * 4);
  gdk_texture_download (a, pixels_a, (gsize)width * 4);
  gdk_texture_download (b, pixels_b, (gsize)width * 4);
  return memcmp (pixels_a, pixels_b, (gsize)width * height * 4) == 0;
}

/* Renders @widget once nothing changes any more (style transitions and a switch's slider move
 * for a while). */
static inline GdkTexture *
app_test_render_when_still (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GdkTexture *last;

  app_test_settle ();
  last = app_test_render (widget);
  while (g_get_monotonic_time () < deadline)
    {
      GdkTexture *now;

      app_test_settle ();
      now = app_test_render (widget);
      if (app_test_textures_equal (now, last))
        {
          g_object_unref (last);
          return now;
        }
      g_object_unref (last);
      last = now;
    }
  g_assert_not_reached ();
  return last;
}

/* Parses the self-description in the file at @path; the test fails if it cannot. */
static inline HearthDescription *
app_test_load_description (const char *path)
{
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr (GError) error = NULL;
  HearthDescription *description;

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  description = hearth_description_parse (data, length, &error);
  g_assert_no_error (error);
  return description;
}

/* Widget tree searches: the first widget of @type at or below @widget (mapped or not), the
 * first mapped one, or every mapped one. */
static inline GtkWidget *
app_test_find_descendant (GtkWidget *widget, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = app_test_find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static inline void
app_test_collect_mapped (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    app_test_collect_mapped (child, type, found);
}

static inline GtkWidget *
app_test_find_mapped (GtkWidget *widget, GType type)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new ();

  app_test_collect_mapped (widget, type, found);
  return found->len > 0 ? g_ptr_array_index (found, 0) : NULL;
}

/* Writes the texture to the build directory (tests/app/NAME) for people to look at. */
static inline void
app_test_save (GdkTexture *texture, const char *name)
{
  g_autofree char *path = NULL;

  if (g_getenv ("HEARTH_BUILD_DIR") == NULL)
    return;
  path = g_build_filename (g_getenv ("HEARTH_BUILD_DIR"), "tests", "app", name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("wrote %s", path);
}

static inline char *
app_test_make_data_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("hearth-app-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* Removes a test's data directory with everything in it (a hub keeps its files in a "hub"
 * directory inside, simulators their state in others). */
static inline void
app_test_remove_data_dir (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        app_test_remove_data_dir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* Starts the tests' environment; returns FALSE (after printing the TAP skip line) without a
 * display, in which case main() returns 77. */
static inline gboolean
app_test_init (int *argc, char ***argv)
{
  GTestDBus *bus;
  g_autofree char *display = NULL;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("1..0 # SKIP no display: set DISPLAY (build-aux/dev test starts Xvfb)\n");
      return FALSE;
    }

  /* A private session bus keeps the test from talking to (or autolaunching) the user's.
   * GTestDBus unsets DISPLAY to prevent exactly that autolaunch, so put it back for GTK. GTK
   * keeps the bus connection until exit, so the bus is deliberately never torn down. */
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);

  gtk_test_init (argc, argv, NULL);
  adw_init ();
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/org/hearth/Hearth/icons");
  /* AdwApplication would load style.css; the tests have no application. */
  {
    GtkCssProvider *provider = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (provider, "/org/hearth/Hearth/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (provider),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  return TRUE;
}
