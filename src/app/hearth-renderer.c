/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-renderer"

#include "hearth-renderer.h"

#include <epoxy/gl.h>
#include <string.h>

/* GTK 4.8 draws with OpenGL whenever it can make a context, also when that OpenGL is Mesa's
 * software rasteriser (a virtual machine, a thin client, a board without its GPU driver). There
 * the cairo renderer is much faster for Hearth's pages: on a 2-CPU VM with llvmpipe, scrolling
 * the 1,000-device grid gave a frame-time p99 of 18-25 ms with GL and 8-10 ms with cairo
 * (device-grid bench, quiet machine), and llvmpipe's threads took the CPU the hub needs. So
 * unless the user chose a renderer (GSK_RENDERER), Hearth asks for cairo when GL is software.
 * A real GPU (a Raspberry Pi's V3D, a desktop's) keeps GL. */

static const char *const software_renderers[]
    = { "llvmpipe", "softpipe", "swrast", "Software Rasterizer" };

/**
 * hearth_renderer_gl_is_software:
 * @display: the display to draw on
 * @gl_renderer: (out) (optional) (transfer full): the GL renderer's name, or %NULL without GL
 *
 * Returns: whether OpenGL on @display is a software rasteriser; %FALSE also when there is no
 *   OpenGL at all (GTK then draws with cairo by itself)
 */
gboolean
hearth_renderer_gl_is_software (GdkDisplay *display, char **gl_renderer)
{
  g_autoptr (GdkGLContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  gboolean software = FALSE;

  g_return_val_if_fail (GDK_IS_DISPLAY (display), FALSE);

  if (gl_renderer != NULL)
    *gl_renderer = NULL;
  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    {
      g_debug ("no OpenGL: %s", error != NULL ? error->message : "unknown reason");
      return FALSE;
    }
  gdk_gl_context_make_current (context);
  name = (const char *)glGetString (GL_RENDERER);
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (software_renderers); i++)
    if (strstr (name, software_renderers[i]) != NULL)
      software = TRUE;
  if (gl_renderer != NULL)
    *gl_renderer = g_strdup (name);
  gdk_gl_context_clear_current ();
  return software;
}

/**
 * hearth_renderer_choose:
 * @display: the display the windows will be on
 *
 * Sets `GSK_RENDERER=cairo` before any window is shown when the user has not set it and OpenGL
 * is a software rasteriser (see the top of this file).
 *
 * Returns: the renderer asked for ("cairo"), the user's choice, or %NULL for GTK's own choice
 */
const char *
hearth_renderer_choose (GdkDisplay *display)
{
  g_autofree char *gl_renderer = NULL;

  g_return_val_if_fail (GDK_IS_DISPLAY (display), NULL);

  if (g_getenv ("GSK_RENDERER") != NULL)
    return g_getenv ("GSK_RENDERER");
  if (!hearth_renderer_gl_is_software (display, &gl_renderer))
    return NULL;
  g_debug ("OpenGL is %s, a software rasteriser: drawing with cairo", gl_renderer);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  return "cairo";
}
