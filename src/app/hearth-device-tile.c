/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-device-tile"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "hearth-device-tile.h"

#include "hearth-property-row.h"

/*
 * HearthDeviceTile is one device in the Devices grid: icon, name, a state badge, and the
 * device's primary property (`ui.primary`) — a switch when it is a writable boolean (a light's
 * power), a read-out otherwise. The grid recycles tiles, so everything is bound through
 * setters: the factory hands a tile another device, proxy and bus as the user scrolls.
 *
 * The grid binds a few tiles and draws a few dozen in every frame while it scrolls, so a tile is
 * one widget that draws its icon, name, badge and read-out itself (GtkSnapshot: text layouts, a
 * rounded badge, the theme's symbolic icon) instead of a tree of boxes and labels. Only the
 * switch is a child widget, because it takes input. Binding another device changes text and
 * colours but never the tile's size, so it only queues a redraw, not a new size request; the
 * card itself is the tile's own CSS box (style.css). tests/bench/device-grid.c measures it.
 *
 * Everything on a tile but the name, the read-out and the switch depends only on the tile's
 * size, the device's type and its state: the card, the icon and the badge. Tiles that agree on
 * those share one texture of all three (the "background"), so a tile is one texture, two lines
 * of text and maybe a switch in each frame. On software renderers each node costs: GL on
 * llvmpipe pays per draw call and texture switch (the card alone was 11 nodes and about a third
 * of the frame), cairo pays per texture it draws.
 */

/* The layout of the tile, in pixels: a card with a 1 px outline and 12 px rounded corners (as
 * Adwaita's .card, without its blurred shadow) around 12 px of padding and the content. */
#define TILE_CONTENT_WIDTH 164
G_STATIC_ASSERT (HEARTH_DEVICE_TILE_WIDTH == 2 * 12 + TILE_CONTENT_WIDTH);
#define TILE_MIN_CONTENT_HEIGHT 96
#define TILE_PADDING 12
#define TILE_RADIUS 12
#define TILE_OUTLINE_ALPHA 0.12f
/* Textures the tiles share: a card is the same for every tile of one size, an icon the same for
 * every tile of one type. Few sizes and types exist at a time; the caches are emptied when they
 * hold more than this, which only happens after many resizes or style changes. */
#define TEXTURE_CACHE_LIMIT 32
/* Backgrounds: a few types times a few states (times two widths, as the grid's columns may
 * differ by a pixel). Each is about 90 KB at scale 1. */
#define BACKGROUND_CACHE_LIMIT 64
#define BACKGROUND_MEMO_SIZE 8
#define TILE_ICON_SIZE 32
#define TILE_SPACING 6
#define BADGE_PADDING_X 8
#define BADGE_PADDING_Y 2
/* What the dim-label style class does to text, done with the colour instead of an opacity layer. */
#define DIM_ALPHA 0.55f

enum
{
  PROP_0,
  PROP_DEVICE,
  PROP_PROXY,
  PROP_BUS,
  PROP_REGISTRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Badge colours: text and background for one state (style.css's .state-badge rules). */
typedef struct
{
  GdkRGBA text;
  GdkRGBA background;
} BadgeColors;

/* The colours the tile draws with, from its style; the font and the icon theme are kept beside
 * them. A style change that leaves all three alone leaves the tile's drawings alone. */
typedef struct
{
  GdkRGBA foreground;
  GdkRGBA card_background;
  GdkRGBA card_outline;
  GdkRGBA symbolic_colors[4]; /* foreground, error, warning, success: for symbolic icons */
  BadgeColors badge_colors[HEARTH_DEVICE_STATE_UNUSABLE + 1];
} TileLook;

struct _HearthDeviceTile
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkSwitch *primary_switch;

  /* Drawn content. The name and read-out layouts are shared (shared_layout()): NULL until the
   * tile draws or measures its text, and dropped when the text, its width or the font change. */
  PangoLayout *name_layout;
  PangoLayout *badge_layout;
  PangoLayout *value_layout;
  int name_width, value_width; /* the layouts' widths in pixels, -1 before the first allocation */
  gboolean layouts_rtl;        /* the direction they were made for */
  guint font_serial;           /* font_serial() of self->font, 0 before the tile is styled */
  GdkPaintable *icon;
  GdkTexture *icon_texture;       /* from the shared cache, for this icon and these colours */
  GdkTexture *corner_textures[4]; /* from the shared cache, for these colours */
  GdkTexture *badge_texture;      /* from the shared cache, for this state */
  GdkTexture *background_texture; /* card, icon and badge in one, from the shared cache */
  int background_width, background_height;
  gboolean background_rtl;
  /* The backgrounds this tile drew last, by state and icon, for this size and style: scrolling
   * rebinds a tile to devices of a few types and states over and over. */
  struct
  {
    HearthDeviceState state;
    const char *icon_name;
    GdkTexture *texture;
  } background_memo[BACKGROUND_MEMO_SIZE];
  guint background_memo_next;
  int badge_width, badge_height;
  int switch_width; /* as allocated; 0 when the switch is hidden */
  int row_height;   /* of the bottom row, as allocated */
  /* Heights of the name and the read-out in pixels, -1 until measured: the grid measures every
   * tile in every frame, and Pango would walk the layout's lines each time. */
  int name_height, value_height;
  const char *icon_name; /* static string from hearth_device_tile_icon_name() */
  HearthDeviceState state;
  char *name;
  char *value_text;
  PangoFontDescription *font; /* the font the layouts were measured with */
  char *icon_theme;           /* the icon theme the icon was looked up in */
  TileLook look;

  /* Owned */
  HearthDevice *device;
  HearthDeviceProxy *proxy;
  HearthEventBus *bus;
  HearthDeviceRegistry *registry;
  GCancellable *cancellable;
  gulong device_notify_handler;
  gulong bus_event_handler;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE (HearthDeviceTile, hearth_device_tile, GTK_TYPE_WIDGET)

static const HearthSchema *
primary_schema (HearthDeviceTile *self)
{
  HearthDescription *description
      = self->device != NULL ? hearth_device_get_description (self->device) : NULL;

  if (description == NULL || hearth_description_get_primary (description) == NULL)
    return NULL;
  return hearth_description_lookup_property (description,
                                             hearth_description_get_primary (description));
}

/* Keeps what assistive technologies read in step with what the tile draws: the name as the
 * label, state and read-out as the description. */
static void
hearth_device_tile_update_accessible (HearthDeviceTile *self)
{
  g_autofree char *description
      = g_strdup_printf ("%s, %s", hearth_device_tile_state_label (self->state),
                         self->value_text != NULL ? self->value_text : "");

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->name != NULL ? self->name : "",
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
}

static void
hearth_device_tile_set_value_text (HearthDeviceTile *self, const char *text)
{
  if (g_strcmp0 (self->value_text, text) == 0)
    return;
  g_free (self->value_text);
  self->value_text = g_strdup (text);
  g_clear_object (&self->value_layout);
  self->value_height = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
hearth_device_tile_update_value (HearthDeviceTile *self)
{
  const HearthSchema *schema = primary_schema (self);
  JsonNode *value = NULL;
  gboolean is_switch;

  if (schema != NULL && self->proxy != NULL)
    value = hearth_device_proxy_get_value (self->proxy, schema->name);
  is_switch
      = schema != NULL && hearth_property_kind_for_schema (schema) == HEARTH_PROPERTY_KIND_SWITCH;

  self->updating = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->primary_switch), is_switch);
  gtk_widget_set_sensitive (GTK_WIDGET (self->primary_switch),
                            self->proxy != NULL && self->device != NULL
                                && hearth_device_get_state (self->device)
                                       == HEARTH_DEVICE_STATE_ONLINE);
  if (is_switch)
    {
      gboolean active = value != NULL && JSON_NODE_HOLDS_VALUE (value)
                        && json_node_get_value_type (value) == G_TYPE_BOOLEAN
                        && json_node_get_boolean (value);
      const char *title = schema->title != NULL ? schema->title : schema->name;

      gtk_switch_set_active (self->primary_switch, active);
      /* The switch shows on or off; the text says what it switches ("Power", "Locked"). */
      hearth_device_tile_set_value_text (self, title);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->primary_switch),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
    }
  else if (schema != NULL)
    {
      g_autofree char *text = hearth_schema_format_value (schema, value);

      hearth_device_tile_set_value_text (self, text);
    }
  else if (self->device != NULL && hearth_device_get_description (self->device) != NULL)
    hearth_device_tile_set_value_text (
        self, hearth_description_get_model (hearth_device_get_description (self->device)));
  else
    hearth_device_tile_set_value_text (
        self, self->device != NULL ? hearth_device_get_id (self->device) : "");
  self->updating = FALSE;
  hearth_device_tile_update_accessible (self);
}

/* The theme's icon for @icon_name at the tile's size and scale; GtkIconTheme caches lookups,
 * and a tile only looks again when its device's icon hint differs from the last one. */
static void
hearth_device_tile_set_icon_name (HearthDeviceTile *self, const char *icon_name)
{
  if (g_strcmp0 (self->icon_name, icon_name) == 0)
    return;
  g_clear_object (&self->icon);
  g_clear_object (&self->icon_texture);
  g_clear_object (&self->background_texture);
  self->icon_name = icon_name;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Looked up when the icon is drawn, not at every bind: a tile that finds its background in its
 * memo (hearth_device_tile_memo_background()) never needs it. */
static void
hearth_device_tile_ensure_icon (HearthDeviceTile *self)
{
  if (self->icon != NULL || self->icon_name == NULL)
    return;
  self->icon = GDK_PAINTABLE (gtk_icon_theme_lookup_icon (
      gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self))), self->icon_name,
      NULL, TILE_ICON_SIZE, gtk_widget_get_scale_factor (GTK_WIDGET (self)),
      gtk_widget_get_direction (GTK_WIDGET (self)), 0));
}

static void
hearth_device_tile_update (HearthDeviceTile *self)
{
  HearthDescription *description;
  const char *name;
  HearthDeviceState state;

  if (self->device == NULL)
    return;
  description = hearth_device_get_description (self->device);
  name = hearth_device_get_name (self->device);
  if (name == NULL && description != NULL)
    name = hearth_description_get_name (description);
  if (name == NULL)
    name = hearth_device_get_id (self->device);

  if (g_strcmp0 (self->name, name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (name);
      g_clear_object (&self->name_layout);
      self->name_height = -1;
    }
  hearth_device_tile_set_icon_name (self, hearth_device_tile_icon_name (description));
  state = hearth_device_get_state (self->device);
  if (state != self->state)
    {
      self->state = state;
      pango_layout_set_text (self->badge_layout, hearth_device_tile_state_label (state), -1);
      g_clear_object (&self->badge_texture);
      g_clear_object (&self->background_texture);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  hearth_device_tile_update_value (self);
}

/* Text layouts, shared between tiles.
 *
 * GTK 4.8's grid keeps a few hundred tiles bound and hands devices from one tile to another as
 * it scrolls: about 20 rebinds per frame of which three quarters are devices that another tile
 * showed within the last second (tests/bench/device-grid.c). A new text costs Pango a full
 * layout (itemizing, shaping, line breaking), which was most of measuring the rebound tiles.
 * Layouts of the same text, kind, width, direction and font are alike, so the tiles share them:
 * a tile that gets "light 12" back takes the layout another tile made, already laid out. The
 * cache keeps the layouts of the last SHARED_LAYOUT_LIMIT to 2 × SHARED_LAYOUT_LIMIT texts. A
 * shared layout is never changed: a new width or font means another layout. */
#define SHARED_LAYOUT_LIMIT 512

typedef enum
{
  TEXT_NAME,
  TEXT_VALUE,
} TextKind;

/* A number for each font the tiles were styled with, for the layouts' cache keys. */
static guint
font_serial (const PangoFontDescription *font)
{
  static GHashTable *serials;
  gpointer serial;

  if (font == NULL)
    return 0;
  if (serials == NULL)
    serials = g_hash_table_new_full ((GHashFunc)pango_font_description_hash,
                                     (GEqualFunc)pango_font_description_equal,
                                     (GDestroyNotify)pango_font_description_free, NULL);
  serial = g_hash_table_lookup (serials, font);
  if (serial == NULL)
    {
      serial = GUINT_TO_POINTER (g_hash_table_size (serials) + 1);
      g_hash_table_insert (serials, pango_font_description_copy (font), serial);
    }
  return GPOINTER_TO_UINT (serial);
}

static PangoLayout *
hearth_device_tile_new_layout (HearthDeviceTile *self, PangoAttrList *attributes)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);

  pango_layout_set_attributes (layout, attributes);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  /* Aligned to the widget's start (size_allocate), like a label with xalign 0, whatever the
   * text's script. */
  pango_layout_set_auto_dir (layout, FALSE);
  return layout;
}

/* The looks of the labels the tile's text replaced: a heading and a dim read-out with tabular
 * figures (Adwaita's .heading, .dim-label and .numeric). */
static PangoAttrList *
text_attributes (TextKind kind)
{
  static PangoAttrList *attributes[2];

  if (attributes[kind] == NULL)
    {
      attributes[kind] = pango_attr_list_new ();
      if (kind == TEXT_NAME)
        {
          pango_attr_list_insert (attributes[kind], pango_attr_weight_new (PANGO_WEIGHT_BOLD));
          /* Adwaita's heading is 11 pt over a 10 pt body text. */
          pango_attr_list_insert (attributes[kind], pango_attr_scale_new (1.1));
        }
      else
        pango_attr_list_insert (attributes[kind], pango_attr_font_features_new ("tnum=1"));
    }
  return attributes[kind];
}

/* A laid-out layout of @text (the caller owns a reference), from the cache or made with this
 * tile's Pango context. */
static PangoLayout *
shared_layout (HearthDeviceTile *self, TextKind kind, const char *text, int width)
{
  /* The newest texts first; when it is full, the older table is dropped and this one becomes
   * it, so a text shown in the last SHARED_LAYOUT_LIMIT or so stays. */
  static GHashTable *tables[2];
  g_autofree char *key
      = g_strdup_printf ("%d %d %d %u %s", kind, width, self->layouts_rtl, self->font_serial, text);
  PangoLayout *layout;

  if (tables[0] == NULL)
    tables[0] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  layout = g_hash_table_lookup (tables[0], key);
  if (layout != NULL)
    return g_object_ref (layout);
  if (tables[1] != NULL && (layout = g_hash_table_lookup (tables[1], key)) != NULL)
    g_object_ref (layout);
  else
    {
      layout = hearth_device_tile_new_layout (self, text_attributes (kind));
      pango_layout_set_text (layout, text, -1);
      pango_layout_set_width (layout, width >= 0 ? width * PANGO_SCALE : -1);
      pango_layout_set_alignment (layout, self->layouts_rtl ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
    }
  if (g_hash_table_size (tables[0]) >= SHARED_LAYOUT_LIMIT)
    {
      g_clear_pointer (&tables[1], g_hash_table_unref);
      tables[1] = tables[0];
      tables[0] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
    }
  g_hash_table_insert (tables[0], g_steal_pointer (&key), g_object_ref (layout));
  return layout;
}

static PangoLayout *
hearth_device_tile_name_layout (HearthDeviceTile *self)
{
  if (self->name_layout == NULL)
    {
      self->name_layout
          = shared_layout (self, TEXT_NAME, self->name != NULL ? self->name : "", self->name_width);
      self->name_height = -1;
    }
  return self->name_layout;
}

static PangoLayout *
hearth_device_tile_value_layout (HearthDeviceTile *self)
{
  if (self->value_layout == NULL)
    {
      self->value_layout = shared_layout (
          self, TEXT_VALUE, self->value_text != NULL ? self->value_text : "", self->value_width);
      self->value_height = -1;
    }
  return self->value_layout;
}

/* Drawing */

static void
hearth_device_tile_update_colors (HearthDeviceTile *self)
{
  static const char *const symbolic_names[]
      = { NULL, "error_color", "warning_color", "success_color" };
  GtkStyleContext *context;
  GdkRGBA success, warning, error, accent;

  /* GTK 4.8 has no other way to read the theme's named colours; later versions deprecate it. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  context = gtk_widget_get_style_context (GTK_WIDGET (self));
  gtk_style_context_get_color (context, &self->look.foreground);
  self->look.symbolic_colors[0] = self->look.foreground;
  for (guint i = 1; i < G_N_ELEMENTS (symbolic_names); i++)
    if (!gtk_style_context_lookup_color (context, symbolic_names[i],
                                         &self->look.symbolic_colors[i]))
      self->look.symbolic_colors[i] = self->look.foreground;
  success = self->look.symbolic_colors[3];
  warning = self->look.symbolic_colors[2];
  error = self->look.symbolic_colors[1];
  if (!gtk_style_context_lookup_color (context, "accent_color", &accent))
    accent = self->look.foreground;
  if (!gtk_style_context_lookup_color (context, "card_bg_color", &self->look.card_background))
    self->look.card_background = (GdkRGBA){ 1, 1, 1, 1 };
  G_GNUC_END_IGNORE_DEPRECATIONS
  self->look.card_outline = self->look.foreground;
  self->look.card_outline.alpha *= TILE_OUTLINE_ALPHA;

  /* The same pairs as style.css's .state-badge rules, which the device page's badge uses. */
  for (guint state = 0; state < G_N_ELEMENTS (self->look.badge_colors); state++)
    {
      BadgeColors *colors = &self->look.badge_colors[state];
      GdkRGBA base = self->look.foreground;
      float text_alpha = 1, background_alpha = 0.12f;

      switch (state)
        {
          case HEARTH_DEVICE_STATE_ONLINE:
            base = success;
            break;
          case HEARTH_DEVICE_STATE_NEW:
            base = accent;
            break;
          case HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED:
            base = warning;
            background_alpha = 0.15f;
            break;
          case HEARTH_DEVICE_STATE_BLOCKED:
          case HEARTH_DEVICE_STATE_UNUSABLE:
            base = error;
            break;
          default: /* offline, pairing */
            text_alpha = 0.7f;
            background_alpha = 0.08f;
            break;
        }
      colors->text = base;
      colors->text.alpha *= text_alpha;
      colors->background = base;
      colors->background.alpha *= background_alpha;
    }
}

/* Cached textures */

static GHashTable *
texture_cache (GHashTable **cache)
{
  if (*cache == NULL || g_hash_table_size (*cache) > TEXTURE_CACHE_LIMIT)
    {
      g_clear_pointer (cache, g_hash_table_unref);
      *cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
    }
  return *cache;
}

/* The corners of the card: a 2R × 2R card (background and outline) cut into four R × R
 * textures, one per corner. Software renderers (cairo, and GL on llvmpipe) spend most of a
 * scrolling frame clipping to rounded rectangles when every tile clips its own card; with the
 * corners shared and the rest drawn as plain rectangles, a card is a few fills and copies. */
static void
hearth_device_tile_corner_textures (HearthDeviceTile *self, GdkTexture *corners[4])
{
  static GHashTable *cache_table;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int size = 2 * TILE_RADIUS;
  g_autofree char *background = gdk_rgba_to_string (&self->look.card_background);
  g_autofree char *outline = gdk_rgba_to_string (&self->look.card_outline);
  GHashTable *cache = texture_cache (&cache_table);
  cairo_surface_t *surface = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gsize stride = 0;

  for (guint corner = 0; corner < 4; corner++)
    {
      g_autofree char *key = g_strdup_printf ("%u@%d %s %s", corner, scale, background, outline);
      g_autoptr (GBytes) part = NULL;
      gsize x = corner % 2 == 0 ? 0 : TILE_RADIUS * scale;
      gsize y = corner < 2 ? 0 : TILE_RADIUS * scale;

      corners[corner] = g_hash_table_lookup (cache, key);
      if (corners[corner] != NULL)
        continue;
      if (surface == NULL)
        {
          cairo_t *cr;

          surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, size * scale, size * scale);
          cr = cairo_create (surface);
          cairo_scale (cr, scale, scale);
          cairo_arc (cr, TILE_RADIUS, TILE_RADIUS, TILE_RADIUS, 0, 2 * G_PI);
          gdk_cairo_set_source_rgba (cr, &self->look.card_background);
          cairo_fill (cr);
          /* The outline is inside the card, as a CSS border is: a 1 px line centred 0.5 px in. */
          cairo_arc (cr, TILE_RADIUS, TILE_RADIUS, TILE_RADIUS - 0.5, 0, 2 * G_PI);
          cairo_set_line_width (cr, 1);
          gdk_cairo_set_source_rgba (cr, &self->look.card_outline);
          cairo_stroke (cr);
          cairo_destroy (cr);
          cairo_surface_flush (surface);
          stride = (gsize)cairo_image_surface_get_stride (surface);
          /* Cairo's ARGB32 is premultiplied and native-endian, which is GDK_MEMORY_DEFAULT. */
          bytes = g_bytes_new_with_free_func (
              cairo_image_surface_get_data (surface), stride * size * scale,
              (GDestroyNotify)cairo_surface_destroy, cairo_surface_reference (surface));
        }
      /* A quarter of the image: the same rows (stride), starting at the corner's first pixel. */
      part = g_bytes_new_from_bytes (bytes, y * stride + x * 4,
                                     (TILE_RADIUS * scale - 1) * stride + TILE_RADIUS * scale * 4);
      corners[corner] = gdk_memory_texture_new (TILE_RADIUS * scale, TILE_RADIUS * scale,
                                                GDK_MEMORY_DEFAULT, part, stride);
      g_hash_table_insert (cache, g_steal_pointer (&key), corners[corner]);
    }
  g_clear_pointer (&surface, cairo_surface_destroy);
}

/* The card: shared corners, and rectangles for the rest of the background and the outline. */
static void
hearth_device_tile_snapshot_card (HearthDeviceTile *self, GtkSnapshot *snapshot, float width,
                                  float height)
{
  const float radius = TILE_RADIUS;

  if (width < 2 * radius || height < 2 * radius)
    return;
  if (self->corner_textures[0] == NULL)
    {
      GdkTexture *corners[4];

      hearth_device_tile_corner_textures (self, corners);
      for (guint corner = 0; corner < 4; corner++)
        g_set_object (&self->corner_textures[corner], corners[corner]);
    }

  for (guint corner = 0; corner < 4; corner++)
    gtk_snapshot_append_texture (snapshot, self->corner_textures[corner],
                                 &GRAPHENE_RECT_INIT (corner % 2 == 0 ? 0 : width - radius,
                                                      corner < 2 ? 0 : height - radius, radius,
                                                      radius));
  gtk_snapshot_append_color (snapshot, &self->look.card_background,
                             &GRAPHENE_RECT_INIT (radius, 0, width - 2 * radius, height));
  gtk_snapshot_append_color (snapshot, &self->look.card_background,
                             &GRAPHENE_RECT_INIT (0, radius, radius, height - 2 * radius));
  gtk_snapshot_append_color (
      snapshot, &self->look.card_background,
      &GRAPHENE_RECT_INIT (width - radius, radius, radius, height - 2 * radius));
  gtk_snapshot_append_color (snapshot, &self->look.card_outline,
                             &GRAPHENE_RECT_INIT (radius, 0, width - 2 * radius, 1));
  gtk_snapshot_append_color (snapshot, &self->look.card_outline,
                             &GRAPHENE_RECT_INIT (radius, height - 1, width - 2 * radius, 1));
  gtk_snapshot_append_color (snapshot, &self->look.card_outline,
                             &GRAPHENE_RECT_INIT (0, radius, 1, height - 2 * radius));
  gtk_snapshot_append_color (snapshot, &self->look.card_outline,
                             &GRAPHENE_RECT_INIT (width - 1, radius, 1, height - 2 * radius));
}

/* Rasterizes @node (in the tile's coordinates, @width × @height) at @scale into a texture the
 * tiles share, with an offscreen cairo renderer of its own: the result does not depend on the
 * window's renderer or GL context. */
static GdkTexture *
rasterize (GskRenderNode *node, int width, int height, int scale)
{
  static GskRenderer *rasterizer;
  g_autoptr (GError) error = NULL;
  g_autoptr (GskRenderNode) scaled = NULL;
  g_autoptr (GskTransform) transform = NULL;

  if (rasterizer == NULL)
    {
      rasterizer = gsk_cairo_renderer_new ();
      if (!gsk_renderer_realize (rasterizer, NULL, &error))
        {
          g_warning ("Cannot rasterize tile content: %s", error->message);
          g_clear_object (&rasterizer);
          return NULL;
        }
    }
  /* A scale transform, not a general matrix: cairo draws only 2D affine transforms. At scale 1
   * there is no transform (GSK represents the identity as NULL). */
  transform = gsk_transform_scale (NULL, scale, scale);
  scaled
      = transform != NULL ? gsk_transform_node_new (node, transform) : gsk_render_node_ref (node);
  return gsk_renderer_render_texture (rasterizer, scaled,
                                      &GRAPHENE_RECT_INIT (0, 0, width * scale, height * scale));
}

/* The device type's icon in the tile's colours. A symbolic icon is recoloured on every draw
 * (a colour-matrix node, an offscreen pass for software renderers); tiles of one type share
 * one recoloured texture instead, rasterized once by an offscreen cairo renderer. */
static GdkTexture *
hearth_device_tile_icon_texture (HearthDeviceTile *self)
{
  static GHashTable *icons;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  g_autofree char *theme_name = NULL;
  g_autofree char *colors = NULL;
  g_autofree char *key = NULL;
  GHashTable *cache = texture_cache (&icons);
  GdkTexture *texture;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;

  hearth_device_tile_ensure_icon (self);
  if (self->icon == NULL)
    return NULL;
  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-icon-theme-name", &theme_name,
                NULL);
  {
    GString *text = g_string_new (NULL);

    for (guint i = 0; i < G_N_ELEMENTS (self->look.symbolic_colors); i++)
      {
        g_autofree char *color = gdk_rgba_to_string (&self->look.symbolic_colors[i]);

        g_string_append_printf (text, " %s", color);
      }
    colors = g_string_free (text, FALSE);
  }
  key = g_strdup_printf ("%s %s@%d%s", theme_name, self->icon_name, scale, colors);
  texture = g_hash_table_lookup (cache, key);
  if (texture != NULL)
    return texture;

  snapshot = gtk_snapshot_new ();
  if (GTK_IS_SYMBOLIC_PAINTABLE (self->icon))
    gtk_symbolic_paintable_snapshot_symbolic (GTK_SYMBOLIC_PAINTABLE (self->icon), snapshot,
                                              TILE_ICON_SIZE, TILE_ICON_SIZE,
                                              self->look.symbolic_colors, 4);
  else
    gdk_paintable_snapshot (self->icon, snapshot, TILE_ICON_SIZE, TILE_ICON_SIZE);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL || (texture = rasterize (node, TILE_ICON_SIZE, TILE_ICON_SIZE, scale)) == NULL)
    return NULL;
  g_hash_table_insert (cache, g_steal_pointer (&key), texture);
  return texture;
}

/* The state badge: a pill with the state's word. Tiles in one state share one texture, so a
 * badge costs a copy instead of a rounded clip and a line of text in every frame. */
static GdkTexture *
hearth_device_tile_badge_texture (HearthDeviceTile *self, int *width, int *height)
{
  static GHashTable *badges;
  const BadgeColors *colors
      = &self->look
             .badge_colors[MIN ((guint)self->state, G_N_ELEMENTS (self->look.badge_colors) - 1)];
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int text_width, text_height;
  g_autofree char *text_color = gdk_rgba_to_string (&colors->text);
  g_autofree char *background = gdk_rgba_to_string (&colors->background);
  g_autofree char *font
      = self->font != NULL ? pango_font_description_to_string (self->font) : g_strdup ("");
  g_autofree char *key = NULL;
  GHashTable *cache = texture_cache (&badges);
  GdkTexture *texture;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  GskRoundedRect pill;

  pango_layout_get_pixel_size (self->badge_layout, &text_width, &text_height);
  *width = text_width + 2 * BADGE_PADDING_X;
  *height = text_height + 2 * BADGE_PADDING_Y;
  key = g_strdup_printf ("%s@%d %s %s %s", pango_layout_get_text (self->badge_layout), scale, font,
                         text_color, background);
  texture = g_hash_table_lookup (cache, key);
  if (texture != NULL)
    return texture;

  snapshot = gtk_snapshot_new ();
  gsk_rounded_rect_init_from_rect (&pill, &GRAPHENE_RECT_INIT (0, 0, *width, *height),
                                   *height / 2.f);
  gtk_snapshot_push_rounded_clip (snapshot, &pill);
  gtk_snapshot_append_color (snapshot, &colors->background, &pill.bounds);
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (BADGE_PADDING_X, BADGE_PADDING_Y));
  gtk_snapshot_append_layout (snapshot, self->badge_layout, &colors->text);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL || (texture = rasterize (node, *width, *height, scale)) == NULL)
    return NULL;
  g_hash_table_insert (cache, g_steal_pointer (&key), texture);
  return texture;
}

/* Bumped whenever any tile's style changes (another theme, dark style, larger text): the cached
 * looks of switches are keyed by it, so none outlives the style it was drawn in. */
static guint switch_style_generation;

/* A number that tells a cached texture from any other, even one created later at the same
 * address after a cache was emptied: the background's cache key is made of these. */
static guint64
texture_serial (GdkTexture *texture)
{
  static GQuark quark;
  static guint64 last_serial;
  guint64 *serial;

  if (quark == 0)
    quark = g_quark_from_static_string ("hearth-device-tile-serial");
  serial = g_object_get_qdata (G_OBJECT (texture), quark);
  if (serial == NULL)
    {
      serial = g_new (guint64, 1);
      *serial = ++last_serial;
      g_object_set_qdata_full (G_OBJECT (texture), quark, serial, g_free);
    }
  return *serial;
}

/* Card, icon and badge as nodes, in the tile's coordinates; the parts come from the caches
 * above. */
static void
hearth_device_tile_snapshot_background (HearthDeviceTile *self, GtkSnapshot *snapshot, int width,
                                        int height, gboolean rtl)
{
  int content_width = width - 2 * TILE_PADDING;

  hearth_device_tile_snapshot_card (self, snapshot, width, height);
  if (self->icon_texture == NULL)
    g_set_object (&self->icon_texture, hearth_device_tile_icon_texture (self));
  if (self->badge_texture == NULL)
    g_set_object (&self->badge_texture,
                  hearth_device_tile_badge_texture (self, &self->badge_width, &self->badge_height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (TILE_PADDING, TILE_PADDING));
  if (self->icon_texture != NULL)
    gtk_snapshot_append_texture (snapshot, self->icon_texture,
                                 &GRAPHENE_RECT_INIT (rtl ? content_width - TILE_ICON_SIZE : 0, 0,
                                                      TILE_ICON_SIZE, TILE_ICON_SIZE));
  /* The badge: a pill in the top right corner. */
  if (self->badge_texture != NULL)
    gtk_snapshot_append_texture (snapshot, self->badge_texture,
                                 &GRAPHENE_RECT_INIT (rtl ? 0 : content_width - self->badge_width,
                                                      0, self->badge_width, self->badge_height));
  gtk_snapshot_restore (snapshot);
}

/* The shared background texture for this tile's size, direction, card, icon and badge. */
static GdkTexture *
hearth_device_tile_background_texture (HearthDeviceTile *self, int width, int height, gboolean rtl)
{
  static GHashTable *backgrounds;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  g_autofree char *key = NULL;
  GdkTexture *texture;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;

  /* The parts first: they are looked up (or drawn) once per tile and kept until the device's
   * type, its state or the style changes. */
  if (self->corner_textures[0] == NULL)
    {
      GdkTexture *corners[4];

      hearth_device_tile_corner_textures (self, corners);
      for (guint corner = 0; corner < 4; corner++)
        g_set_object (&self->corner_textures[corner], corners[corner]);
    }
  if (self->icon_texture == NULL)
    g_set_object (&self->icon_texture, hearth_device_tile_icon_texture (self));
  if (self->badge_texture == NULL)
    g_set_object (&self->badge_texture,
                  hearth_device_tile_badge_texture (self, &self->badge_width, &self->badge_height));
  if (self->corner_textures[0] == NULL || self->badge_texture == NULL)
    return NULL;

  if (backgrounds == NULL || g_hash_table_size (backgrounds) > BACKGROUND_CACHE_LIMIT)
    {
      g_clear_pointer (&backgrounds, g_hash_table_unref);
      backgrounds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
    }
  key = g_strdup_printf (
      "%dx%d@%d%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
      " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
      width, height, scale, rtl ? " rtl" : "", texture_serial (self->corner_textures[0]),
      texture_serial (self->corner_textures[1]), texture_serial (self->corner_textures[2]),
      texture_serial (self->corner_textures[3]),
      self->icon_texture != NULL ? texture_serial (self->icon_texture) : 0,
      texture_serial (self->badge_texture));
  texture = g_hash_table_lookup (backgrounds, key);
  if (texture != NULL)
    return g_object_ref (texture);

  snapshot = gtk_snapshot_new ();
  hearth_device_tile_snapshot_background (self, snapshot, width, height, rtl);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL || (texture = rasterize (node, width, height, scale)) == NULL)
    return NULL;
  g_hash_table_insert (backgrounds, g_steal_pointer (&key), g_object_ref (texture));
  return texture;
}

/* The background as a cairo image surface, made once per shared texture and kept with it. The
 * cairo renderer draws a texture node by copying the texture into a new surface and compositing
 * it through a padded pattern, pixel by pixel, in every frame (about 0.17 ms for a 190 × 120
 * tile, more than drawing the card's parts); a cairo node that paints this surface takes the
 * image compositor's fast path and copies nothing. */
static cairo_surface_t *
texture_surface (GdkTexture *texture, int scale)
{
  static GQuark quark;
  cairo_surface_t *surface;

  if (quark == 0)
    quark = g_quark_from_static_string ("hearth-device-tile-surface");
  surface = g_object_get_qdata (G_OBJECT (texture), quark);
  if (surface != NULL)
    return surface;
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, gdk_texture_get_width (texture),
                                        gdk_texture_get_height (texture));
  gdk_texture_download (texture, cairo_image_surface_get_data (surface),
                        (gsize)cairo_image_surface_get_stride (surface));
  cairo_surface_mark_dirty (surface);
  cairo_surface_set_device_scale (surface, scale, scale);
  g_object_set_qdata_full (G_OBJECT (texture), quark, surface,
                           (GDestroyNotify)cairo_surface_destroy);
  return surface;
}

/* Appends @texture at @bounds: on the cairo renderer as a cairo node that paints the texture's
 * surface (texture_surface()), on the others as a texture node. */
static void
append_shared_texture (GtkWidget *widget, GtkSnapshot *snapshot, GdkTexture *texture,
                       const graphene_rect_t *bounds)
{
  if (GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (gtk_widget_get_native (widget))))
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, bounds);

      cairo_set_source_surface (cr, texture_surface (texture, gtk_widget_get_scale_factor (widget)),
                                bounds->origin.x, bounds->origin.y);
      cairo_paint (cr);
      cairo_destroy (cr);
    }
  else
    gtk_snapshot_append_texture (snapshot, texture, bounds);
}

/* The switch as it looks at rest, drawn from a texture the tiles share.
 *
 * A switch is a trough and a slider with rounded corners (and, insensitive, half opacity), which
 * a software renderer clips and blends again for every visible tile in every frame: on cairo
 * that was about a fifth of a scrolling frame. All tiles' switches look alike in one of a few
 * states, so the switch's own render node is rasterized once per state and the tiles share the
 * result. Whenever the switch is not at rest (hovered, pressed, focused, or its slider between
 * the two ends while it animates) the switch draws itself as usual. */
static void
hearth_device_tile_snapshot_switch (HearthDeviceTile *self, GtkSnapshot *snapshot)
{
  static GHashTable *switches;
  GtkWidget *widget = GTK_WIDGET (self);
  GtkWidget *control = GTK_WIDGET (self->primary_switch);
  GtkWidget *slider = gtk_widget_get_last_child (control);
  GtkStateFlags flags = gtk_widget_get_state_flags (control);
  int width = gtk_widget_get_width (control), height = gtk_widget_get_height (control);
  int scale = gtk_widget_get_scale_factor (widget);
  graphene_rect_t slider_bounds, switch_bounds, bounds;
  const graphene_point_t *offset;
  g_autofree char *key = NULL;
  GdkTexture *texture;
  g_autoptr (GtkSnapshot) switch_snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GskRenderNode) moved = NULL;

  /* The switch is snapshotted in every case, even when its texture is used instead: GTK only
   * tells the tile to draw again when the switch changes if the switch's last drawing was taken.
   * This reuses the switch's own cached node unless the switch changed. */
  gtk_widget_snapshot_child (widget, control, switch_snapshot);
  node = gtk_snapshot_to_node (switch_snapshot);
  if (node == NULL)
    return;
  if ((flags
       & (GTK_STATE_FLAG_PRELIGHT | GTK_STATE_FLAG_ACTIVE | GTK_STATE_FLAG_FOCUSED
          | GTK_STATE_FLAG_FOCUS_VISIBLE | GTK_STATE_FLAG_DROP_ACTIVE | GTK_STATE_FLAG_SELECTED))
          != 0
      || slider == NULL || width <= 0 || height <= 0
      || !gtk_widget_compute_bounds (slider, control, &slider_bounds)
      || !gtk_widget_compute_bounds (control, widget, &switch_bounds)
      /* At rest the slider touches one end of the trough. */
      || (slider_bounds.origin.x != 0
          && slider_bounds.origin.x + slider_bounds.size.width != width))
    {
      gtk_snapshot_append_node (snapshot, node);
      return;
    }

  if (switches == NULL || g_hash_table_size (switches) > TEXTURE_CACHE_LIMIT)
    {
      g_clear_pointer (&switches, g_hash_table_unref);
      switches = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
    }
  key = g_strdup_printf ("%u %x %d %dx%d@%d %g", switch_style_generation, (guint)flags,
                         gtk_switch_get_active (self->primary_switch), width, height, scale,
                         slider_bounds.origin.x);
  texture = g_hash_table_lookup (switches, key);
  if (texture == NULL)
    {
      /* The node is in the tile's coordinates; the texture covers everything it draws (a shadow
       * may reach outside the switch's box), and its offset from the switch's origin is kept
       * with it. */
      gsk_render_node_get_bounds (node, &bounds);
      bounds.origin.x = floorf (bounds.origin.x - switch_bounds.origin.x);
      bounds.origin.y = floorf (bounds.origin.y - switch_bounds.origin.y);
      bounds.size.width = ceilf (bounds.size.width) + 1;
      bounds.size.height = ceilf (bounds.size.height) + 1;
      moved = gsk_transform_node_new (
          node, gsk_transform_translate (
                    NULL, &GRAPHENE_POINT_INIT (-switch_bounds.origin.x - bounds.origin.x,
                                                -switch_bounds.origin.y - bounds.origin.y)));
      texture = rasterize (moved, bounds.size.width, bounds.size.height, scale);
      if (texture == NULL)
        {
          gtk_snapshot_append_node (snapshot, node);
          return;
        }
      g_object_set_data_full (G_OBJECT (texture), "hearth-switch-offset",
                              g_memdup2 (&bounds.origin, sizeof bounds.origin), g_free);
      g_hash_table_insert (switches, g_steal_pointer (&key), texture);
    }
  offset = g_object_get_data (G_OBJECT (texture), "hearth-switch-offset");
  append_shared_texture (widget, snapshot, texture,
                         &GRAPHENE_RECT_INIT (switch_bounds.origin.x + offset->x,
                                              switch_bounds.origin.y + offset->y,
                                              gdk_texture_get_width (texture) / (float)scale,
                                              gdk_texture_get_height (texture) / (float)scale));
}

static int
cached_layout_height (PangoLayout *layout, int *height)
{
  if (*height < 0)
    pango_layout_get_pixel_size (layout, NULL, height);
  return *height;
}

/* Height of the bottom row: the read-out, or the switch when that is taller. */
static int
hearth_device_tile_bottom_row_height (HearthDeviceTile *self, int *switch_width, int *switch_height)
{
  int width = 0, height = 0;

  if (gtk_widget_get_visible (GTK_WIDGET (self->primary_switch)))
    {
      gtk_widget_measure (GTK_WIDGET (self->primary_switch), GTK_ORIENTATION_HORIZONTAL, -1, NULL,
                          &width, NULL, NULL);
      gtk_widget_measure (GTK_WIDGET (self->primary_switch), GTK_ORIENTATION_VERTICAL, width, NULL,
                          &height, NULL, NULL);
    }
  if (switch_width != NULL)
    *switch_width = width;
  if (switch_height != NULL)
    *switch_height = height;
  return MAX (height,
              cached_layout_height (hearth_device_tile_value_layout (self), &self->value_height));
}

static void
hearth_device_tile_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                            int *minimum, int *natural, int *minimum_baseline,
                            int *natural_baseline)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = HEARTH_DEVICE_TILE_WIDTH;
  else
    *minimum = *natural
        = 2 * TILE_PADDING
          + MAX (
              TILE_MIN_CONTENT_HEIGHT,
              TILE_ICON_SIZE + TILE_SPACING
                  + cached_layout_height (hearth_device_tile_name_layout (self), &self->name_height)
                  + TILE_SPACING + hearth_device_tile_bottom_row_height (self, NULL, NULL));
}

static void
hearth_device_tile_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (widget);
  int switch_width, switch_height, value_width;
  int row_height = hearth_device_tile_bottom_row_height (self, &switch_width, &switch_height);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;

  self->switch_width = switch_width;
  /* Kept for the snapshot, which then neither measures the switch nor the read-out again. */
  self->row_height = row_height;
  if (rtl != self->layouts_rtl)
    {
      self->layouts_rtl = rtl;
      g_clear_object (&self->name_layout);
      g_clear_object (&self->value_layout);
    }
  /* From here on, the content box. */
  width -= 2 * TILE_PADDING;
  height -= 2 * TILE_PADDING;
  if (self->name_width != width)
    {
      self->name_width = width;
      g_clear_object (&self->name_layout);
    }
  value_width = MAX (0, width - (switch_width > 0 ? switch_width + TILE_SPACING : 0));
  if (self->value_width != value_width)
    {
      self->value_width = value_width;
      g_clear_object (&self->value_layout);
    }
  if (switch_width > 0)
    gtk_widget_size_allocate (
        GTK_WIDGET (self->primary_switch),
        &(GtkAllocation){ TILE_PADDING + (rtl ? 0 : width - switch_width),
                          TILE_PADDING + height - row_height + (row_height - switch_height) / 2,
                          switch_width, switch_height },
        -1);
}

static void
hearth_device_tile_clear_background_memo (HearthDeviceTile *self)
{
  for (guint i = 0; i < BACKGROUND_MEMO_SIZE; i++)
    g_clear_object (&self->background_memo[i].texture);
}

/* The background for the tile's state and icon: from the tile's memo, else from the shared
 * cache (which may draw it), then remembered. */
static GdkTexture *
hearth_device_tile_memo_background (HearthDeviceTile *self, int width, int height, gboolean rtl)
{
  GdkTexture *texture;
  guint slot;

  for (guint i = 0; i < BACKGROUND_MEMO_SIZE; i++)
    if (self->background_memo[i].texture != NULL && self->background_memo[i].state == self->state
        && self->background_memo[i].icon_name == self->icon_name)
      return g_object_ref (self->background_memo[i].texture);
  texture = hearth_device_tile_background_texture (self, width, height, rtl);
  if (texture == NULL)
    return NULL;
  slot = self->background_memo_next++ % BACKGROUND_MEMO_SIZE;
  self->background_memo[slot].state = self->state;
  self->background_memo[slot].icon_name = self->icon_name;
  g_set_object (&self->background_memo[slot].texture, texture);
  return texture;
}

static void
hearth_device_tile_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (widget);
  int tile_width = gtk_widget_get_width (widget);
  int tile_height = gtk_widget_get_height (widget);
  int height = tile_height - 2 * TILE_PADDING;
  int value_height;
  GdkRGBA dim = self->look.foreground;
  int row_height = self->row_height;
  /* Right to left, the icon and the read-out start on the right, the badge and switch end on
   * the left, as boxes of labels would mirror them. */
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;

  if (self->device == NULL || tile_width <= 0 || tile_height <= 0)
    return;

  if (self->background_width != tile_width || self->background_height != tile_height
      || self->background_rtl != rtl)
    {
      g_clear_object (&self->background_texture);
      hearth_device_tile_clear_background_memo (self);
      self->background_width = tile_width;
      self->background_height = tile_height;
      self->background_rtl = rtl;
    }
  if (self->background_texture == NULL)
    self->background_texture
        = hearth_device_tile_memo_background (self, tile_width, tile_height, rtl);
  if (self->background_texture != NULL)
    append_shared_texture (widget, snapshot, self->background_texture,
                           &GRAPHENE_RECT_INIT (0, 0, tile_width, tile_height));
  else
    hearth_device_tile_snapshot_background (self, snapshot, tile_width, tile_height, rtl);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (TILE_PADDING, TILE_PADDING));

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, TILE_ICON_SIZE + TILE_SPACING));
  gtk_snapshot_append_layout (snapshot, hearth_device_tile_name_layout (self),
                              &self->look.foreground);
  gtk_snapshot_restore (snapshot);

  value_height = cached_layout_height (hearth_device_tile_value_layout (self), &self->value_height);
  dim.alpha *= DIM_ALPHA;
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (
      snapshot,
      &GRAPHENE_POINT_INIT (rtl && self->switch_width > 0 ? self->switch_width + TILE_SPACING : 0,
                            height - row_height + (row_height - value_height) / 2));
  gtk_snapshot_append_layout (snapshot, hearth_device_tile_value_layout (self), &dim);
  gtk_snapshot_restore (snapshot);

  gtk_snapshot_restore (snapshot);

  if (gtk_widget_get_visible (GTK_WIDGET (self->primary_switch)))
    hearth_device_tile_snapshot_switch (self, snapshot);
}

static void
hearth_device_tile_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (widget);
  const PangoFontDescription *font
      = pango_context_get_font_description (gtk_widget_get_pango_context (widget));
  TileLook previous = self->look;
  g_autofree char *icon_theme = NULL;
  gboolean font_changed
      = self->font == NULL || font == NULL || !pango_font_description_equal (self->font, font);

  GTK_WIDGET_CLASS (hearth_device_tile_parent_class)->css_changed (widget, change);
  hearth_device_tile_update_colors (self);
  g_object_get (gtk_widget_get_settings (widget), "gtk-icon-theme-name", &icon_theme, NULL);
  /* Most style changes leave what the tile draws as it was: the window gaining or losing the
   * focus (:backdrop) restyles every tile the grid holds (about 250 with GTK 4.8) at once, and
   * hovering restyles one. Dropping the shared drawings then would only look them up again,
   * or draw the switch again, in the next frames. */
  if (!font_changed && memcmp (&previous, &self->look, sizeof previous) == 0
      && g_strcmp0 (icon_theme, self->icon_theme) == 0)
    return;
  g_free (self->icon_theme);
  self->icon_theme = g_steal_pointer (&icon_theme);
  switch_style_generation++;
  /* Colours or the icon theme changed (dark style, high contrast, another theme). */
  for (guint corner = 0; corner < 4; corner++)
    g_clear_object (&self->corner_textures[corner]);
  g_clear_object (&self->badge_texture);
  g_clear_object (&self->background_texture);
  hearth_device_tile_clear_background_memo (self);
  g_clear_object (&self->icon);
  g_clear_object (&self->icon_texture);
  /* Only another font (large text) changes the tile's size; hovering must not re-measure. */
  if (font_changed)
    {
      g_clear_pointer (&self->font, pango_font_description_free);
      self->font = font != NULL ? pango_font_description_copy (font) : NULL;
      self->font_serial = font_serial (self->font);
      pango_layout_context_changed (self->badge_layout);
      g_clear_object (&self->name_layout);
      g_clear_object (&self->value_layout);
      self->name_height = self->value_height = -1;
      gtk_widget_queue_resize (widget);
    }
  gtk_widget_queue_draw (widget);
}

/* The name is ellipsized on narrow tiles: the tooltip shows it whole. It is answered when asked
 * instead of set at every bind, which would make GTK query the pointer from the display server
 * for each tile scrolled into view. */
static gboolean
hearth_device_tile_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard_mode,
                                  GtkTooltip *tooltip)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (widget);

  if (self->name == NULL || !pango_layout_is_ellipsized (hearth_device_tile_name_layout (self)))
    return FALSE;
  gtk_tooltip_set_text (tooltip, self->name);
  return TRUE;
}

static void
hearth_device_tile_on_device_notify (HearthDevice *device, GParamSpec *pspec,
                                     HearthDeviceTile *self)
{
  /* The registry lists a device as soon as it is pinned, and makes its proxy only once the
   * device's address is known: a tile bound in between picks the proxy up here. */
  if (self->proxy == NULL && self->registry != NULL)
    hearth_device_tile_set_proxy (
        self, hearth_device_registry_get_proxy (self->registry, hearth_device_get_id (device)));
  hearth_device_tile_update (self);
}

static void
hearth_device_tile_on_event (HearthEventBus *bus, HearthEvent *event, HearthDeviceTile *self)
{
  const HearthSchema *schema;

  if (self->device == NULL || hearth_event_get_kind (event) != HEARTH_EVENT_PROPERTY_CHANGED
      || g_strcmp0 (hearth_event_get_device_id (event), hearth_device_get_id (self->device)) != 0)
    return;
  schema = primary_schema (self);
  if (schema != NULL && g_strcmp0 (schema->name, hearth_event_get_name (event)) == 0)
    hearth_device_tile_update_value (self);
}

static void
hearth_device_tile_on_write_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HearthDeviceTile) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;

  answer = hearth_device_proxy_write_property_finish (HEARTH_DEVICE_PROXY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
      g_autofree char *title
          = g_strdup_printf (_ ("%s: %s"), self->name != NULL ? self->name : "", error->message);

      if (overlay != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
    }
  /* The switch shows what the device has, not what was asked for. */
  hearth_device_tile_update_value (self);
}

static void
hearth_device_tile_on_switch_active (GtkSwitch *control, GParamSpec *pspec, HearthDeviceTile *self)
{
  const HearthSchema *schema = primary_schema (self);
  g_autoptr (JsonNode) node = NULL;

  if (self->updating || schema == NULL || self->proxy == NULL)
    return;
  node = json_node_init_boolean (json_node_alloc (), gtk_switch_get_active (control));
  hearth_device_proxy_write_property_async (self->proxy, schema->name, node, self->cancellable,
                                            hearth_device_tile_on_write_finished,
                                            g_object_ref (self));
}

static void
hearth_device_tile_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        g_value_set_object (value, self->device);
        break;

      case PROP_PROXY:
        g_value_set_object (value, self->proxy);
        break;

      case PROP_BUS:
        g_value_set_object (value, self->bus);
        break;

      case PROP_REGISTRY:
        g_value_set_object (value, self->registry);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_tile_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  switch (prop_id)
    {
      case PROP_DEVICE:
        hearth_device_tile_set_device (self, g_value_get_object (value));
        break;

      case PROP_PROXY:
        hearth_device_tile_set_proxy (self, g_value_get_object (value));
        break;

      case PROP_BUS:
        hearth_device_tile_set_bus (self, g_value_get_object (value));
        break;

      case PROP_REGISTRY:
        hearth_device_tile_set_registry (self, g_value_get_object (value));
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_device_tile_dispose (GObject *object)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  g_cancellable_cancel (self->cancellable);
  hearth_device_tile_set_device (self, NULL);
  hearth_device_tile_set_bus (self, NULL);
  g_clear_object (&self->proxy);
  g_clear_object (&self->registry);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->icon);
  g_clear_object (&self->icon_texture);
  for (guint corner = 0; corner < 4; corner++)
    g_clear_object (&self->corner_textures[corner]);
  g_clear_object (&self->badge_texture);
  g_clear_object (&self->background_texture);
  hearth_device_tile_clear_background_memo (self);
  g_clear_object (&self->name_layout);
  g_clear_object (&self->badge_layout);
  g_clear_object (&self->value_layout);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_DEVICE_TILE);

  G_OBJECT_CLASS (hearth_device_tile_parent_class)->dispose (object);
}

static void
hearth_device_tile_finalize (GObject *object)
{
  HearthDeviceTile *self = HEARTH_DEVICE_TILE (object);

  g_free (self->name);
  g_free (self->value_text);
  g_free (self->icon_theme);
  g_clear_pointer (&self->font, pango_font_description_free);

  G_OBJECT_CLASS (hearth_device_tile_parent_class)->finalize (object);
}

static void
hearth_device_tile_class_init (HearthDeviceTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_device_tile_get_property;
  object_class->set_property = hearth_device_tile_set_property;
  object_class->dispose = hearth_device_tile_dispose;
  object_class->finalize = hearth_device_tile_finalize;
  widget_class->measure = hearth_device_tile_measure;
  widget_class->size_allocate = hearth_device_tile_size_allocate;
  widget_class->snapshot = hearth_device_tile_snapshot;
  widget_class->css_changed = hearth_device_tile_css_changed;
  widget_class->query_tooltip = hearth_device_tile_query_tooltip;

  properties[PROP_DEVICE] = g_param_spec_object ("device", NULL, NULL, HEARTH_TYPE_DEVICE, flags);
  properties[PROP_PROXY]
      = g_param_spec_object ("proxy", NULL, NULL, HEARTH_TYPE_DEVICE_PROXY, flags);
  properties[PROP_BUS] = g_param_spec_object ("bus", NULL, NULL, HEARTH_TYPE_EVENT_BUS, flags);
  /* Where the tile finds its device's proxy when the device gets one after binding. */
  properties[PROP_REGISTRY]
      = g_param_spec_object ("registry", NULL, NULL, HEARTH_TYPE_DEVICE_REGISTRY, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/hearth/Hearth/hearth-device-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthDeviceTile, primary_switch);
  gtk_widget_class_bind_template_callback (widget_class, hearth_device_tile_on_switch_active);
  gtk_widget_class_set_css_name (widget_class, "devicetile");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

/* Moved to a monitor of another scale: the shared textures are rasterized again at the new one. */
static void
hearth_device_tile_on_scale_factor (HearthDeviceTile *self, GParamSpec *pspec, gpointer user_data)
{
  for (guint corner = 0; corner < 4; corner++)
    g_clear_object (&self->corner_textures[corner]);
  g_clear_object (&self->badge_texture);
  g_clear_object (&self->background_texture);
  hearth_device_tile_clear_background_memo (self);
  g_clear_object (&self->icon);
  g_clear_object (&self->icon_texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
hearth_device_tile_init (HearthDeviceTile *self)
{
  g_autoptr (PangoAttrList) badge_attributes = pango_attr_list_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  /* The look of Adwaita's .state-badge: small and bold (the name and read-out:
   * text_attributes()). */
  pango_attr_list_insert (badge_attributes, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_attr_list_insert (badge_attributes, pango_attr_scale_new (PANGO_SCALE_SMALL));
  self->badge_layout = hearth_device_tile_new_layout (self, badge_attributes);
  self->state = HEARTH_DEVICE_STATE_NEW;
  self->name_height = self->value_height = -1;
  self->name_width = self->value_width = -1;
  pango_layout_set_text (self->badge_layout, hearth_device_tile_state_label (self->state), -1);
  gtk_widget_add_css_class (GTK_WIDGET (self), "device-tile");
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "notify::scale-factor", G_CALLBACK (hearth_device_tile_on_scale_factor),
                    NULL);
  hearth_device_tile_update_colors (self);
}

/**
 * hearth_device_tile_icon_name:
 * @description: (nullable): a device's description
 *
 * Returns: the symbolic icon for the description's `ui.icon` hint (docs/protocol.md §4.1);
 *   a generic one without a hint
 */
const char *
hearth_device_tile_icon_name (HearthDescription *description)
{
  static const struct
  {
    const char *hint;
    const char *icon_name;
  } icons[] = {
    { "light", "display-brightness-symbolic" }, { "switch", "system-shutdown-symbolic" },
    { "keypad", "input-keyboard-symbolic" },    { "thermometer", "weather-few-clouds-symbolic" },
    { "motion", "find-location-symbolic" },     { "lock", "system-lock-screen-symbolic" },
  };
  const char *hint = description != NULL ? hearth_description_get_icon (description) : NULL;

  for (guint i = 0; hint != NULL && i < G_N_ELEMENTS (icons); i++)
    if (g_str_equal (hint, icons[i].hint))
      return icons[i].icon_name;
  return "org.hearth.Hearth-symbolic";
}

/**
 * hearth_device_tile_state_label:
 *
 * Returns: the state in a word or two, for a badge
 */
const char *
hearth_device_tile_state_label (HearthDeviceState state)
{
  switch (state)
    {
      case HEARTH_DEVICE_STATE_NEW:
        return _ ("New");
      case HEARTH_DEVICE_STATE_PAIRING:
        return _ ("Pairing");
      case HEARTH_DEVICE_STATE_ONLINE:
        return _ ("Online");
      case HEARTH_DEVICE_STATE_OFFLINE:
        return _ ("Offline");
      case HEARTH_DEVICE_STATE_CERTIFICATE_CHANGED:
        return _ ("Key changed");
      case HEARTH_DEVICE_STATE_BLOCKED:
        return _ ("Blocked");
      case HEARTH_DEVICE_STATE_UNUSABLE:
        return _ ("Problem");
      default:
        return _ ("Unknown");
    }
}

/**
 * hearth_device_tile_style_state_badge:
 *
 * Gives @badge the state's text and colour class (`state-online`, `state-offline`, …, see
 * style.css), so the tile and the device page show a state the same way.
 */
void
hearth_device_tile_style_state_badge (GtkLabel *badge, HearthDeviceState state)
{
  static const char *const classes[]
      = { "state-new",     "state-pairing", "state-online", "state-offline",
          "state-changed", "state-blocked", "state-problem" };

  g_return_if_fail (GTK_IS_LABEL (badge));

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (i != (guint)state)
      gtk_widget_remove_css_class (GTK_WIDGET (badge), classes[i]);
  if ((guint)state < G_N_ELEMENTS (classes))
    gtk_widget_add_css_class (GTK_WIDGET (badge), classes[state]);
  gtk_label_set_text (badge, hearth_device_tile_state_label (state));
}

GtkWidget *
hearth_device_tile_new (void)
{
  return g_object_new (HEARTH_TYPE_DEVICE_TILE, NULL);
}

HearthDevice *
hearth_device_tile_get_device (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->device;
}

void
hearth_device_tile_set_device (HearthDeviceTile *self, HearthDevice *device)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));
  g_return_if_fail (device == NULL || HEARTH_IS_DEVICE (device));

  if (self->device == device)
    return;
  if (self->device != NULL)
    g_clear_signal_handler (&self->device_notify_handler, self->device);
  g_set_object (&self->device, device);
  if (device != NULL)
    {
      self->device_notify_handler = g_signal_connect (
          device, "notify", G_CALLBACK (hearth_device_tile_on_device_notify), self);
      hearth_device_tile_update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE]);
}

HearthDeviceProxy *
hearth_device_tile_get_proxy (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->proxy;
}

/**
 * hearth_device_tile_set_proxy:
 * @proxy: (nullable): the proxy the primary control reads and writes through
 */
void
hearth_device_tile_set_proxy (HearthDeviceTile *self, HearthDeviceProxy *proxy)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));

  if (!g_set_object (&self->proxy, proxy))
    return;
  if (self->device != NULL)
    hearth_device_tile_update_value (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROXY]);
}

HearthEventBus *
hearth_device_tile_get_bus (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->bus;
}

void
hearth_device_tile_set_bus (HearthDeviceTile *self, HearthEventBus *bus)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));

  if (self->bus == bus)
    return;
  if (self->bus != NULL)
    g_clear_signal_handler (&self->bus_event_handler, self->bus);
  g_set_object (&self->bus, bus);
  if (bus != NULL)
    self->bus_event_handler
        = g_signal_connect (bus, "event", G_CALLBACK (hearth_device_tile_on_event), self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUS]);
}

HearthDeviceRegistry *
hearth_device_tile_get_registry (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->registry;
}

void
hearth_device_tile_set_registry (HearthDeviceTile *self, HearthDeviceRegistry *registry)
{
  g_return_if_fail (HEARTH_IS_DEVICE_TILE (self));

  if (g_set_object (&self->registry, registry))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTRY]);
}

/**
 * hearth_device_tile_get_primary_switch:
 *
 * Returns: (transfer none): the switch; visible only when the primary property is a writable
 *   boolean
 */
GtkSwitch *
hearth_device_tile_get_primary_switch (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->primary_switch;
}

const char *
hearth_device_tile_get_badge_text (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return pango_layout_get_text (self->badge_layout);
}

const char *
hearth_device_tile_get_value_text (HearthDeviceTile *self)
{
  g_return_val_if_fail (HEARTH_IS_DEVICE_TILE (self), NULL);

  return self->value_text != NULL ? self->value_text : "";
}
