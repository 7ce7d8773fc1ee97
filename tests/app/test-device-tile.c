/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-tile"

/* A device tile keeps its shared drawings (card, icon, badge, the switch at rest) across style
 * changes that leave its colours alone, such as the window losing the focus, and draws them
 * again when the colours change (dark style). Either way it must look exactly like a tile that
 * was made in that style from the start. */

#include <string.h>

#include "app-test-util.h"
#include "hearth-device-tile.h"

static gboolean
textures_equal (GdkTexture *a, GdkTexture *b)
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

/* Renders @widget once nothing changes any more (style transitions run for a while). */
static GdkTexture *
render_when_still (GtkWidget *widget)
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
      if (textures_equal (now, last))
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

static HearthDevice *
light_device (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("HEARTH_SOURCE_DIR"), "tests", "data",
                                            "protocol", "descriptions", "light.json", NULL);
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description = NULL;
  HearthDevice *device = hearth_device_new ("sim-style");

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  description = hearth_description_parse (data, length, &error);
  g_assert_no_error (error);
  hearth_device_set_name (device, "Hall");
  hearth_device_set_description (device, description);
  hearth_device_set_state (device, HEARTH_DEVICE_STATE_ONLINE);
  return device;
}

/* A new tile for @device in @box, drawn in the style the window has now. */
static GdkTexture *
render_fresh_tile (GtkWidget *box, HearthDevice *device)
{
  GtkWidget *fresh = hearth_device_tile_new ();
  GdkTexture *look;

  hearth_device_tile_set_device (HEARTH_DEVICE_TILE (fresh), device);
  gtk_box_append (GTK_BOX (box), fresh);
  app_test_wait_for (app_test_is_drawn, fresh);
  look = render_when_still (fresh);
  gtk_box_remove (GTK_BOX (box), fresh);
  return look;
}

static void
test_style_changes (void)
{
  g_autoptr (HearthDevice) device = light_device ();
  AdwStyleManager *style = adw_style_manager_get_default ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *tile = hearth_device_tile_new ();
  g_autoptr (GdkTexture) light_look = NULL;
  g_autoptr (GdkTexture) dark_look = NULL;
  g_autoptr (GdkTexture) look = NULL;
  g_autoptr (GdkTexture) fresh_look = NULL;

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  hearth_device_tile_set_device (HEARTH_DEVICE_TILE (tile), device);
  gtk_box_append (GTK_BOX (box), tile);
  gtk_window_set_child (GTK_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));
  app_test_wait_for (app_test_is_drawn, tile);
  light_look = render_when_still (tile);

  /* The window loses the focus: every widget is restyled, the tile's colours stay. */
  gtk_widget_set_state_flags (window, GTK_STATE_FLAG_BACKDROP, FALSE);
  look = render_when_still (tile);
  fresh_look = render_fresh_tile (box, device);
  g_assert_true (textures_equal (look, fresh_look));
  g_clear_object (&look);
  g_clear_object (&fresh_look);
  gtk_widget_unset_state_flags (window, GTK_STATE_FLAG_BACKDROP);
  look = render_when_still (tile);
  g_assert_true (textures_equal (look, light_look));
  g_clear_object (&look);

  /* Dark style: other colours, so the card, icon, badge and switch are drawn again. */
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  dark_look = render_when_still (tile);
  g_assert_false (textures_equal (dark_look, light_look));
  fresh_look = render_fresh_tile (box, device);
  g_assert_true (textures_equal (dark_look, fresh_look));
  g_clear_object (&fresh_look);

  /* And back: the light drawings, not the dark ones. */
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  look = render_when_still (tile);
  g_assert_true (textures_equal (look, light_look));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;
  g_test_add_func ("/app/device-tile/style-changes", test_style_changes);
  return g_test_run ();
}
