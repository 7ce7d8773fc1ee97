/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-screenshot"

#include "config.h"

#include "hearth-screenshot.h"

#include "hearth-error.h"

/**
 * hearth_widget_save_png:
 * @widget: a realized widget, typically a window
 * @path: where to write the PNG file
 * @error: return location for a #GError
 *
 * Renders @widget with the renderer of its native surface and writes the result to @path.
 * Rendering from inside the process gives the same pixels on any display server, including
 * Xvfb without a compositor, which is what the README screenshot and the screenshot tests need.
 *
 * Returns: %TRUE on success
 */
gboolean
hearth_widget_save_png (GtkWidget *widget, const char *path, GError **error)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkNative *native;
  GskRenderer *renderer;
  int width;
  int height;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  native = gtk_widget_get_native (widget);
  if (native == NULL || !gtk_widget_get_realized (widget))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "The widget is not realized, so there is nothing to render");
      return FALSE;
    }

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  if (width <= 0 || height <= 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "The widget has no size yet (%d×%d)", width, height);
      return FALSE;
    }

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED, "The widget drew nothing");
      return FALSE;
    }

  renderer = gtk_native_get_renderer (native);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_FAILED, "Could not write %s", path);
      return FALSE;
    }
  return TRUE;
}
