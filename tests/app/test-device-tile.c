/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-tile"

/* A device tile keeps its shared drawings (card, icon, badge, the switch at rest) across style
 * changes that leave its colours alone, such as the window losing the focus, and draws them
 * again when the colours change (dark style). Either way it must look exactly like a tile that
 * was made in that style from the start. Tiles share their text layouts: a layout made for a
 * wide tile must never be drawn in a narrow one. */

#include <string.h>

#include "app-test-util.h"
#include "hearth-device-tile.h"

static HearthDevice *
light_device_named (const char *id, const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("HEARTH_SOURCE_DIR"), "tests", "data",
                                            "protocol", "descriptions", "light.json", NULL);
  g_autofree char *data = NULL;
  gsize length;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthDescription) description = NULL;
  HearthDevice *device = hearth_device_new (id);

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  description = hearth_description_parse (data, length, &error);
  g_assert_no_error (error);
  hearth_device_set_name (device, name);
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
  gtk_widget_set_halign (fresh, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), fresh);
  app_test_wait_for (app_test_is_drawn, fresh);
  look = app_test_render_when_still (fresh);
  gtk_box_remove (GTK_BOX (box), fresh);
  return look;
}

static void
test_style_changes (void)
{
  g_autoptr (HearthDevice) device = light_device_named ("sim-style", "Hall");
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
  light_look = app_test_render_when_still (tile);

  /* The window loses the focus: every widget is restyled, the tile's colours stay. */
  gtk_widget_set_state_flags (window, GTK_STATE_FLAG_BACKDROP, FALSE);
  look = app_test_render_when_still (tile);
  fresh_look = render_fresh_tile (box, device);
  g_assert_true (app_test_textures_equal (look, fresh_look));
  g_clear_object (&look);
  g_clear_object (&fresh_look);
  gtk_widget_unset_state_flags (window, GTK_STATE_FLAG_BACKDROP);
  look = app_test_render_when_still (tile);
  g_assert_true (app_test_textures_equal (look, light_look));
  g_clear_object (&look);

  /* Dark style: other colours, so the card, icon, badge and switch are drawn again. */
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  dark_look = app_test_render_when_still (tile);
  g_assert_false (app_test_textures_equal (dark_look, light_look));
  fresh_look = render_fresh_tile (box, device);
  g_assert_true (app_test_textures_equal (dark_look, fresh_look));
  g_clear_object (&fresh_look);

  /* And back: the light drawings, not the dark ones. */
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  look = app_test_render_when_still (tile);
  g_assert_true (app_test_textures_equal (look, light_look));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Whether the pixels of @texture in the rectangle are all alike: no text reaches into it. */
static gboolean
area_is_plain (GdkTexture *texture, int x, int y, int width, int height)
{
  int stride = gdk_texture_get_width (texture) * 4;
  g_autofree guint32 *pixels = g_malloc ((gsize)stride * gdk_texture_get_height (texture));
  guint32 first;

  gdk_texture_download (texture, (guchar *)pixels, stride);
  first = pixels[y * (stride / 4) + x];
  for (int row = y; row < y + height; row++)
    for (int column = x; column < x + width; column++)
      if (pixels[row * (stride / 4) + column] != first)
        return FALSE;
  return TRUE;
}

static void
test_shared_text (void)
{
  const char *long_name = "The light above the long corridor to the garden";
  g_autoptr (HearthDevice) wide_device = light_device_named ("sim-wide", long_name);
  g_autoptr (HearthDevice) narrow_device = light_device_named ("sim-narrow", long_name);
  g_autoptr (HearthDevice) short_device = light_device_named ("sim-short", "Hall");
  GtkWidget *window = gtk_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *wide = hearth_device_tile_new ();
  GtkWidget *narrow = hearth_device_tile_new ();
  g_autoptr (GdkTexture) look = NULL;
  g_autoptr (GdkTexture) fresh_look = NULL;
  int width;

  gtk_widget_set_halign (narrow, GTK_ALIGN_START);
  gtk_widget_set_size_request (wide, 600, -1);
  gtk_box_append (GTK_BOX (box), wide);
  gtk_box_append (GTK_BOX (box), narrow);
  gtk_window_set_child (GTK_WINDOW (window), box);
  /* The wide tile lays the long name out first, on one line of 576 px. */
  hearth_device_tile_set_device (HEARTH_DEVICE_TILE (wide), wide_device);
  gtk_window_present (GTK_WINDOW (window));
  app_test_wait_for (app_test_is_drawn, wide);
  g_clear_object (&look);
  look = app_test_render_when_still (wide);

  /* The narrow tile with the same name ellipsizes it inside its padding: the 12 px on its right
   * stay plain card where the name is (below the 32 px icon and 6 px of spacing). */
  hearth_device_tile_set_device (HEARTH_DEVICE_TILE (narrow), narrow_device);
  app_test_wait_for (app_test_is_drawn, narrow);
  g_clear_object (&look);
  look = app_test_render_when_still (narrow);
  width = gdk_texture_get_width (look);
  g_assert_cmpint (width, <, 300);
  g_assert_true (area_is_plain (look, width - 10, 12 + 32 + 6, 8, 16));

  /* Rebound to another name and back, the narrow tile looks as a fresh one does. */
  hearth_device_tile_set_device (HEARTH_DEVICE_TILE (narrow), short_device);
  g_clear_object (&look);
  look = app_test_render_when_still (narrow);
  fresh_look = render_fresh_tile (box, short_device);
  g_assert_true (app_test_textures_equal (look, fresh_look));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char *argv[])
{
  if (!app_test_init (&argc, &argv))
    return 77;
  g_test_add_func ("/app/device-tile/style-changes", test_style_changes);
  g_test_add_func ("/app/device-tile/shared-text", test_shared_text);
  return g_test_run ();
}
