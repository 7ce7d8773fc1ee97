/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Limits of docs/protocol.md §4 and §8 (hub side). */
#define HEARTH_DESCRIPTION_MAX_BYTES 65536
#define HEARTH_DESCRIPTION_MAX_PROPERTIES 64
#define HEARTH_DESCRIPTION_MAX_ACTIONS 32
#define HEARTH_DESCRIPTION_MAX_EVENTS 32
#define HEARTH_DESCRIPTION_MAX_FIELDS 16
#define HEARTH_DESCRIPTION_MAX_ENUM 32
#define HEARTH_DESCRIPTION_NAME_MAX_BYTES 32

/**
 * HearthValueType:
 * @HEARTH_VALUE_TYPE_UNSUPPORTED: a type this hub does not know (a later protocol version);
 *   shown as "unsupported", never written
 * @HEARTH_VALUE_TYPE_BOOLEAN: JSON true or false
 * @HEARTH_VALUE_TYPE_INTEGER: a JSON number without fraction, within ±(2^53−1)
 * @HEARTH_VALUE_TYPE_NUMBER: any finite JSON number
 * @HEARTH_VALUE_TYPE_STRING: UTF-8 text without NUL
 * @HEARTH_VALUE_TYPE_OBJECT: named fields (data schemas only)
 */
typedef enum
{
  HEARTH_VALUE_TYPE_UNSUPPORTED,
  HEARTH_VALUE_TYPE_BOOLEAN,
  HEARTH_VALUE_TYPE_INTEGER,
  HEARTH_VALUE_TYPE_NUMBER,
  HEARTH_VALUE_TYPE_STRING,
  HEARTH_VALUE_TYPE_OBJECT,
} HearthValueType;

/**
 * HearthWidgetHint:
 *
 * The widget a device suggests for a property (`ui.widget`); %HEARTH_WIDGET_HINT_NONE when the
 * hint is absent or unknown, and the UI picks one from the type.
 */
typedef enum
{
  HEARTH_WIDGET_HINT_NONE,
  HEARTH_WIDGET_HINT_SWITCH,
  HEARTH_WIDGET_HINT_SLIDER,
  HEARTH_WIDGET_HINT_DROPDOWN,
  HEARTH_WIDGET_HINT_ENTRY,
  HEARTH_WIDGET_HINT_READOUT,
} HearthWidgetHint;

typedef struct _HearthSchema HearthSchema;

/**
 * HearthSchema:
 * @name: the property or field name; %NULL for an action input/output or event data schema
 * @type: the value type
 * @type_name: the type as the device wrote it (useful when @type is unsupported)
 * @title: (nullable): text for people
 * @description: (nullable): a sentence for people
 * @unit: (nullable): unit symbol, numeric types only
 * @has_minimum, @minimum, @has_maximum, @maximum, @has_step, @step: numeric constraints
 * @enum_values: (nullable): a JSON array of allowed values, in display order
 * @max_length: for strings, the longest value in bytes (64 unless the device says otherwise)
 * @read_only: properties only: controllers cannot write it
 * @widget: the UI hint
 * @group: (nullable): a heading to group properties under
 * @fields: (nullable): for objects, the fields, in the order the device listed them
 * @required: (nullable): for objects, the names of required fields
 *
 * A property or a data schema, validated (docs/protocol.md §4.3, §4.4). Read-only for users.
 */
struct _HearthSchema
{
  char *name;
  HearthValueType type;
  char *type_name;
  char *title;
  char *description;
  char *unit;
  gboolean has_minimum;
  double minimum;
  gboolean has_maximum;
  double maximum;
  gboolean has_step;
  double step;
  JsonArray *enum_values;
  guint max_length;
  gboolean read_only;
  HearthWidgetHint widget;
  char *group;
  GPtrArray *fields;
  GStrv required;
};

/**
 * HearthActionInfo:
 * @name: the action name
 * @title: (nullable), @description: (nullable): text for people
 * @input: (nullable): the input schema; %NULL when the action takes no input
 * @output: (nullable): the output schema; %NULL when the action answers null
 */
typedef struct
{
  char *name;
  char *title;
  char *description;
  HearthSchema *input;
  HearthSchema *output;
} HearthActionInfo;

/**
 * HearthEventInfo:
 * @name: the event name
 * @title: (nullable), @description: (nullable): text for people
 * @data: (nullable): the schema of the event's data; %NULL when it carries none
 */
typedef struct
{
  char *name;
  char *title;
  char *description;
  HearthSchema *data;
} HearthEventInfo;

typedef struct _HearthDescription HearthDescription;

#define HEARTH_TYPE_DESCRIPTION (hearth_description_get_type ())

GType hearth_description_get_type (void) G_GNUC_CONST;

HearthDescription *hearth_description_parse (const char *data, gsize length, GError **error);
HearthDescription *hearth_description_ref (HearthDescription *self);
void hearth_description_unref (HearthDescription *self);

const char *hearth_description_get_id (HearthDescription *self);
const char *hearth_description_get_name (HearthDescription *self);
const char *hearth_description_get_model (HearthDescription *self);
const char *hearth_description_get_manufacturer (HearthDescription *self);
const char *hearth_description_get_firmware (HearthDescription *self);
const char *hearth_description_get_icon (HearthDescription *self);
const char *hearth_description_get_primary (HearthDescription *self);
guint hearth_description_get_n_properties (HearthDescription *self);
const HearthSchema *hearth_description_get_property (HearthDescription *self, guint index);
const HearthSchema *hearth_description_lookup_property (HearthDescription *self, const char *name);
guint hearth_description_get_n_actions (HearthDescription *self);
const HearthActionInfo *hearth_description_get_action (HearthDescription *self, guint index);
const HearthActionInfo *hearth_description_lookup_action (HearthDescription *self,
                                                          const char *name);
guint hearth_description_get_n_events (HearthDescription *self);
const HearthEventInfo *hearth_description_get_event (HearthDescription *self, guint index);
const HearthEventInfo *hearth_description_lookup_event (HearthDescription *self, const char *name);
const char *const *hearth_description_get_unsupported (HearthDescription *self);

gboolean hearth_schema_check_value (const HearthSchema *schema, JsonNode *value, GError **error);

gboolean hearth_description_name_is_valid (const char *name);
gboolean hearth_json_check_limits (const char *data, gsize length, guint max_depth,
                                   guint max_tokens, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDescription, hearth_description_unref)

G_END_DECLS
