/* SPDX-License-Identifier: GPL-3.0-or-later */

/* hearth-renderer.c: on a display whose OpenGL is a software rasteriser (Xvfb's is Mesa's
 * llvmpipe), Hearth draws with cairo unless the user chose a renderer. */

#include <gtk/gtk.h>
#include <hearth-renderer.h>
#include <stdio.h>
#include <string.h>

static GType
renderer_type_of_new_window (void)
{
  GtkWidget *window = gtk_window_new ();
  GType type;

  gtk_widget_realize (window);
  type = G_OBJECT_TYPE (gtk_native_get_renderer (GTK_NATIVE (window)));
  gtk_window_destroy (GTK_WINDOW (window));
  return type;
}

static void
test_software_gl_gets_cairo (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autofree char *gl_renderer = NULL;
  gboolean software;

  g_unsetenv ("GSK_RENDERER");
  software = hearth_renderer_gl_is_software (display, &gl_renderer);
  if (gl_renderer == NULL)
    {
      g_test_skip ("this display has no OpenGL, so GTK draws with cairo by itself");
      return;
    }
  g_test_message ("OpenGL renderer: %s", gl_renderer);
  if (!software)
    {
      g_test_skip ("this display's OpenGL is not a software rasteriser");
      return;
    }
  g_assert_cmpstr (hearth_renderer_choose (display), ==, "cairo");
  g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "cairo");
  g_assert_cmpstr (g_type_name (renderer_type_of_new_window ()), ==, "GskCairoRenderer");
}

static void
test_user_choice_kept (void)
{
  g_setenv ("GSK_RENDERER", "gl", TRUE);
  g_assert_cmpstr (hearth_renderer_choose (gdk_display_get_default ()), ==, "gl");
  g_assert_cmpstr (g_getenv ("GSK_RENDERER"), ==, "gl");
  g_unsetenv ("GSK_RENDERER");
}

int
main (int argc, char **argv)
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      printf ("1..0 # SKIP no display: set DISPLAY (build-aux/dev test starts Xvfb)\n");
      return 77;
    }
  gtk_test_init (&argc, &argv, NULL);
  g_test_add_func ("/renderer/software-gl-gets-cairo", test_software_gl_gets_cairo);
  g_test_add_func ("/renderer/user-choice-kept", test_user_choice_kept);
  return g_test_run ();
}
