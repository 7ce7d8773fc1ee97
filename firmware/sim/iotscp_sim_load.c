/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --description FILE: builds a simulator model from a self-description document (the format a
 * device serves at /.well-known/iotscp). The document is validated strictly enough that the
 * device can serve it: every error is reported with the member it is about. Unknown members
 * are ignored, as hubs ignore them. Every allocation of a model goes into one list (the arena),
 * so that a refused document frees everything at once and sim_model_free() releases a loaded
 * model; the file is read into a bounded buffer (MAX_FILE) and parsed into MAX_TOKENS tokens.
 */
#define _GNU_SOURCE 1

#include "iotscp_sim.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotscp_internal.h"
#include "iotscp_json.h"

#define MAX_FILE (64 * 1024)
#define MAX_TOKENS 8192

typedef struct loader
{
  iotscp_json_doc doc;
  void *arena; /* The model's allocations, linked through a header before each. */
  char *error;
  size_t error_cap;
  bool failed;
} loader;

static bool
fail (loader *l, const char *fmt, ...)
{
  va_list args;
  if (l->failed)
    return false;
  l->failed = true;
  va_start (args, fmt);
  vsnprintf (l->error, l->error_cap, fmt, args);
  va_end (args);
  return false;
}

/* Zeroed memory that lives as long as the model (freed with it, or at once on failure). */
static void *
arena_calloc (loader *l, size_t count, size_t size)
{
  typedef union
  {
    void *next;
    max_align_t align;
  } header;
  header *block;
  if (size != 0 && count > (SIZE_MAX - sizeof (header)) / size)
    return NULL;
  block = calloc (1, sizeof (header) + count * size);
  if (block == NULL)
    return NULL;
  block->next = l->arena;
  l->arena = block;
  return block + 1;
}

static void
arena_free (void *arena)
{
  while (arena != NULL)
    {
      void *next = *(void **)arena;
      free (arena);
      arena = next;
    }
}

/* A string member copied to the heap, NULL when absent; fails on a non-string. */
static char *
get_string (loader *l, int obj, const char *key, bool required, const char *where)
{
  int tok = iotscp_json_object_get (&l->doc, obj, key);
  size_t cap;
  char *out;
  if (tok < 0)
    {
      if (required)
        fail (l, "%s: \"%s\" is missing", where, key);
      return NULL;
    }
  if (iotscp_json_type_of (&l->doc, tok) != IOTSCP_JSON_STRING)
    {
      fail (l, "%s: \"%s\" must be a string", where, key);
      return NULL;
    }
  cap = (size_t)(l->doc.tokens[tok].end - l->doc.tokens[tok].start) + 1;
  out = arena_calloc (l, 1, cap);
  if (out == NULL || iotscp_json_get_string (&l->doc, tok, out, cap, NULL) < 0)
    {
      fail (l, "%s: \"%s\" is not a usable string", where, key);
      return NULL;
    }
  return out;
}

static char *
key_string (loader *l, int tok)
{
  size_t cap = (size_t)(l->doc.tokens[tok].end - l->doc.tokens[tok].start) + 1;
  char *out = arena_calloc (l, 1, cap);
  if (out == NULL || iotscp_json_get_string (&l->doc, tok, out, cap, NULL) < 0)
    {
      fail (l, "a member name is not a usable string");
      return NULL;
    }
  return out;
}

static bool
get_number (loader *l, int obj, const char *key, double *out, bool *present, const char *where)
{
  int tok = iotscp_json_object_get (&l->doc, obj, key);
  *present = false;
  if (tok < 0)
    return true;
  if (iotscp_json_type_of (&l->doc, tok) != IOTSCP_JSON_NUMBER
      || iotscp_json_get_double (&l->doc, tok, out) < 0)
    return fail (l, "%s: \"%s\" must be a number", where, key);
  *present = true;
  return true;
}

/* The largest integer a JSON number carries exactly, and the limit of protocol.md section 4.3. */
#define MAX_SAFE_INTEGER 9007199254740991.0

static bool
integer_bound_ok (double value)
{
  return value == floor (value) && value >= -MAX_SAFE_INTEGER && value <= MAX_SAFE_INTEGER;
}

/* The rules of protocol.md section 4.3 that JSON Schema cannot state: integer bounds are
 * integers within +-(2^53-1), minimum <= maximum, step > 0. */
static bool
check_bounds (loader *l, const iotscp_schema *schema, const char *where)
{
  bool has_min = schema->flags & IOTSCP_HAS_MINIMUM, has_max = schema->flags & IOTSCP_HAS_MAXIMUM;
  if (schema->type == IOTSCP_TYPE_INTEGER)
    {
      if (has_min && !integer_bound_ok (schema->minimum))
        return fail (l, "%s: \"minimum\" of an integer must be an integer within +-(2^53-1)",
                     where);
      if (has_max && !integer_bound_ok (schema->maximum))
        return fail (l, "%s: \"maximum\" of an integer must be an integer within +-(2^53-1)",
                     where);
    }
  if (has_min && has_max && schema->minimum > schema->maximum)
    return fail (l, "%s: \"minimum\" is greater than \"maximum\"", where);
  if ((schema->flags & IOTSCP_HAS_STEP) && !(schema->step > 0))
    return fail (l, "%s: \"step\" must be greater than 0", where);
  return true;
}

static bool
parse_schema (loader *l, int obj, iotscp_schema *schema, const char *where)
{
  char *type = get_string (l, obj, "type", true, where);
  bool present;
  int tok;
  if (type == NULL)
    return false;
  if (strcmp (type, "boolean") == 0)
    schema->type = IOTSCP_TYPE_BOOLEAN;
  else if (strcmp (type, "integer") == 0)
    schema->type = IOTSCP_TYPE_INTEGER;
  else if (strcmp (type, "number") == 0)
    schema->type = IOTSCP_TYPE_NUMBER;
  else if (strcmp (type, "string") == 0)
    schema->type = IOTSCP_TYPE_STRING;
  else
    {
      /* protocol.md section 4.4 allows object fields in data schemas, but the firmware core's
       * model is one flat level of fields (a microcontroller has no room for a schema tree). */
      if (strcmp (type, "object") == 0)
        fail (l,
              "%s: nested objects are not supported by this device (the firmware core "
              "models one flat level of fields; protocol.md section 4.4)",
              where);
      else
        fail (l, "%s: type \"%s\" is not boolean, integer, number or string", where, type);
      return false;
    }
  if (!get_number (l, obj, "minimum", &schema->minimum, &present, where))
    return false;
  if (present)
    schema->flags |= IOTSCP_HAS_MINIMUM;
  if (!get_number (l, obj, "maximum", &schema->maximum, &present, where))
    return false;
  if (present)
    schema->flags |= IOTSCP_HAS_MAXIMUM;
  if (!get_number (l, obj, "step", &schema->step, &present, where))
    return false;
  if (present)
    schema->flags |= IOTSCP_HAS_STEP;
  if (!check_bounds (l, schema, where))
    return false;
  schema->unit = get_string (l, obj, "unit", false, where);
  if (l->failed)
    return false;
  tok = iotscp_json_object_get (&l->doc, obj, "enum");
  if (tok >= 0)
    {
      const char **values;
      size_t n = 0;
      bool numeric = schema->type == IOTSCP_TYPE_INTEGER || schema->type == IOTSCP_TYPE_NUMBER;
      if (schema->type == IOTSCP_TYPE_BOOLEAN
          || iotscp_json_type_of (&l->doc, tok) != IOTSCP_JSON_ARRAY)
        return fail (l, "%s: \"enum\" must be an array (of strings or numbers, as the type)",
                     where);
      if (l->doc.tokens[tok].count == 0 || l->doc.tokens[tok].count > 32)
        return fail (l, "%s: \"enum\" must have 1 to 32 values", where);
      values = arena_calloc (l, l->doc.tokens[tok].count + 1, sizeof *values);
      if (values == NULL)
        return fail (l, "out of memory");
      schema->enum_values = values;
      for (int e = iotscp_json_first (&l->doc, tok); e >= 0; e = iotscp_json_next (&l->doc, tok, e))
        {
          size_t cap = (size_t)(l->doc.tokens[e].end - l->doc.tokens[e].start) + 1;
          char *s = arena_calloc (l, 1, cap);
          if (s == NULL)
            return fail (l, "out of memory");
          values[n++] = s;
          schema->enum_count = (uint8_t)n;
          if (numeric)
            {
              /* A numeric enum keeps each number's JSON text; the core compares by value. */
              if (iotscp_json_type_of (&l->doc, e) != IOTSCP_JSON_NUMBER)
                return fail (l, "%s: \"enum\" values must be numbers on a number", where);
              memcpy (s, l->doc.text + l->doc.tokens[e].start, cap - 1);
            }
          else if (iotscp_json_type_of (&l->doc, e) != IOTSCP_JSON_STRING
                   || iotscp_json_get_string (&l->doc, e, s, cap, NULL) < 0)
            return fail (l, "%s: \"enum\" values must be strings on a string", where);
        }
      if (!iotscp_model_schema_ok (schema))
        return fail (l,
                     "%s: \"enum\" values must be integral for an integer and within "
                     "minimum and maximum",
                     where);
    }
  return true;
}

static bool
name_ok (const char *name)
{
  size_t len = strlen (name);
  if (len == 0 || len > IOTSCP_NAME_MAX || name[0] == ' ' || name[len - 1] == ' ')
    return false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)name[i] < 0x20 || strchr ("/%?#\x7f", name[i]) != NULL)
      return false;
  return true;
}

static bool
parse_fields (loader *l, int obj, iotscp_field **out, uint8_t *count, const char *where)
{
  int props, req;
  size_t n = 0;
  iotscp_field *fields;
  char *type = get_string (l, obj, "type", true, where);
  if (type == NULL)
    return false;
  if (strcmp (type, "object") != 0)
    return fail (l, "%s: only \"type\": \"object\" is supported", where);
  props = iotscp_json_object_get (&l->doc, obj, "properties");
  if (props < 0 || iotscp_json_type_of (&l->doc, props) != IOTSCP_JSON_OBJECT)
    return fail (l, "%s: \"properties\" must be an object", where);
  if (l->doc.tokens[props].count > IOTSCP_MAX_FIELDS)
    return fail (l, "%s: at most %d fields", where, IOTSCP_MAX_FIELDS);
  fields = arena_calloc (l, l->doc.tokens[props].count + 1, sizeof *fields);
  if (fields == NULL)
    return fail (l, "out of memory");
  for (int k = iotscp_json_first (&l->doc, props); k >= 0; k = iotscp_json_next (&l->doc, props, k))
    {
      iotscp_field *f = &fields[n++];
      char field_where[160];
      f->name = key_string (l, k);
      if (f->name == NULL)
        return false;
      snprintf (field_where, sizeof field_where, "%s field \"%s\"", where, f->name);
      if (!name_ok (f->name))
        return fail (l, "%s: invalid name", field_where);
      if (iotscp_json_type_of (&l->doc, k + 1) != IOTSCP_JSON_OBJECT)
        return fail (l, "%s: must be an object", field_where);
      f->title = get_string (l, k + 1, "title", false, field_where);
      if (l->failed || !parse_schema (l, k + 1, &f->schema, field_where))
        return false;
    }
  req = iotscp_json_object_get (&l->doc, obj, "required");
  if (req >= 0)
    {
      if (iotscp_json_type_of (&l->doc, req) != IOTSCP_JSON_ARRAY)
        return fail (l, "%s: \"required\" must be an array", where);
      for (int e = iotscp_json_first (&l->doc, req); e >= 0; e = iotscp_json_next (&l->doc, req, e))
        {
          bool found = false;
          for (size_t i = 0; i < n; i++)
            if (iotscp_json_string_equals (&l->doc, e, fields[i].name))
              found = fields[i].required = true;
          if (!found)
            return fail (l, "%s: \"required\" names an unknown field", where);
        }
    }
  *out = fields;
  *count = (uint8_t)n;
  return true;
}

static bool
check_ui_widget (loader *l, const char *widget, const char *where)
{
  static const char *const widgets[] = { "switch", "slider", "dropdown", "entry", "readout" };
  for (size_t i = 0; i < sizeof widgets / sizeof widgets[0]; i++)
    if (strcmp (widget, widgets[i]) == 0)
      return true;
  return fail (l, "%s: ui widget \"%s\" is not switch, slider, dropdown, entry or readout", where,
               widget);
}

static bool
parse_document (loader *l, sim_model *model)
{
  int root = 0, tok, ui, members;
  int64_t version;
  if (iotscp_json_type_of (&l->doc, root) != IOTSCP_JSON_OBJECT)
    return fail (l, "the document must be a JSON object");
  tok = iotscp_json_object_get (&l->doc, root, "iotscp");
  if (tok < 0 || iotscp_json_get_int64 (&l->doc, tok, &version) < 0 || version != 2)
    return fail (l, "\"iotscp\" must be 2");
  model->kind = SIM_KIND_GENERIC;
  model->name = get_string (l, root, "name", true, "document");
  model->model = get_string (l, root, "model", false, "document");
  model->manufacturer = get_string (l, root, "manufacturer", false, "document");
  model->firmware = get_string (l, root, "firmware", false, "document");
  if (l->failed)
    return false;
  ui = iotscp_json_object_get (&l->doc, root, "ui");
  if (ui >= 0)
    {
      if (iotscp_json_type_of (&l->doc, ui) != IOTSCP_JSON_OBJECT)
        return fail (l, "\"ui\" must be an object");
      model->ui_icon = get_string (l, ui, "icon", false, "ui");
      model->ui_primary = get_string (l, ui, "primary", false, "ui");
      if (l->failed)
        return false;
    }

  members = iotscp_json_object_get (&l->doc, root, "properties");
  if (members < 0 || iotscp_json_type_of (&l->doc, members) != IOTSCP_JSON_OBJECT)
    return fail (l, "\"properties\" must be an object");
  if (l->doc.tokens[members].count > IOTSCP_MAX_PROPERTIES)
    return fail (l, "at most %d properties", IOTSCP_MAX_PROPERTIES);
  {
    iotscp_property_decl *props = arena_calloc (l, l->doc.tokens[members].count + 1, sizeof *props);
    size_t n = 0;
    for (int k = iotscp_json_first (&l->doc, members); k >= 0;
         k = iotscp_json_next (&l->doc, members, k))
      {
        iotscp_property_decl *p = &props[n++];
        char where[96];
        int ro, pui;
        p->name = key_string (l, k);
        if (p->name == NULL)
          return false;
        snprintf (where, sizeof where, "property \"%s\"", p->name);
        if (!name_ok (p->name))
          return fail (l, "%s: invalid name", where);
        if (iotscp_json_type_of (&l->doc, k + 1) != IOTSCP_JSON_OBJECT)
          return fail (l, "%s: must be an object", where);
        p->title = get_string (l, k + 1, "title", false, where);
        p->description = get_string (l, k + 1, "description", false, where);
        if (l->failed || !parse_schema (l, k + 1, &p->schema, where))
          return false;
        ro = iotscp_json_object_get (&l->doc, k + 1, "readOnly");
        if (ro >= 0 && iotscp_json_get_bool (&l->doc, ro, &p->read_only) < 0)
          return fail (l, "%s: \"readOnly\" must be a boolean", where);
        pui = iotscp_json_object_get (&l->doc, k + 1, "ui");
        if (pui >= 0)
          {
            if (iotscp_json_type_of (&l->doc, pui) != IOTSCP_JSON_OBJECT)
              return fail (l, "%s: \"ui\" must be an object", where);
            p->ui_widget = get_string (l, pui, "widget", false, where);
            p->ui_group = get_string (l, pui, "group", false, where);
            if (l->failed || (p->ui_widget != NULL && !check_ui_widget (l, p->ui_widget, where)))
              return false;
          }
      }
    model->properties = props;
    model->property_count = n;
  }

  members = iotscp_json_object_get (&l->doc, root, "actions");
  if (members >= 0)
    {
      iotscp_action_decl *actions;
      size_t n = 0;
      if (iotscp_json_type_of (&l->doc, members) != IOTSCP_JSON_OBJECT)
        return fail (l, "\"actions\" must be an object");
      if (l->doc.tokens[members].count > IOTSCP_MAX_ACTIONS)
        return fail (l, "at most %d actions", IOTSCP_MAX_ACTIONS);
      actions = arena_calloc (l, l->doc.tokens[members].count + 1, sizeof *actions);
      for (int k = iotscp_json_first (&l->doc, members); k >= 0;
           k = iotscp_json_next (&l->doc, members, k))
        {
          iotscp_action_decl *a = &actions[n++];
          char where[96];
          int input;
          a->name = key_string (l, k);
          if (a->name == NULL)
            return false;
          snprintf (where, sizeof where, "action \"%s\"", a->name);
          if (!name_ok (a->name) || iotscp_json_type_of (&l->doc, k + 1) != IOTSCP_JSON_OBJECT)
            return fail (l, "%s: invalid name or not an object", where);
          a->title = get_string (l, k + 1, "title", false, where);
          a->description = get_string (l, k + 1, "description", false, where);
          if (l->failed)
            return false;
          input = iotscp_json_object_get (&l->doc, k + 1, "input");
          if (input >= 0)
            {
              iotscp_field *fields = NULL;
              if (iotscp_json_type_of (&l->doc, input) != IOTSCP_JSON_OBJECT
                  || !parse_fields (l, input, &fields, &a->input_count, where))
                return fail (l, "%s: \"input\" must be an object schema", where);
              a->input = fields;
            }
        }
      model->actions = actions;
      model->action_count = n;
    }

  members = iotscp_json_object_get (&l->doc, root, "events");
  if (members >= 0)
    {
      iotscp_event_decl *events;
      size_t n = 0;
      if (iotscp_json_type_of (&l->doc, members) != IOTSCP_JSON_OBJECT)
        return fail (l, "\"events\" must be an object");
      if (l->doc.tokens[members].count > IOTSCP_MAX_EVENTS)
        return fail (l, "at most %d events", IOTSCP_MAX_EVENTS);
      events = arena_calloc (l, l->doc.tokens[members].count + 1, sizeof *events);
      for (int k = iotscp_json_first (&l->doc, members); k >= 0;
           k = iotscp_json_next (&l->doc, members, k))
        {
          iotscp_event_decl *e = &events[n++];
          char where[96];
          int data;
          e->name = key_string (l, k);
          if (e->name == NULL)
            return false;
          snprintf (where, sizeof where, "event \"%s\"", e->name);
          if (!name_ok (e->name) || iotscp_json_type_of (&l->doc, k + 1) != IOTSCP_JSON_OBJECT)
            return fail (l, "%s: invalid name or not an object", where);
          e->title = get_string (l, k + 1, "title", false, where);
          e->description = get_string (l, k + 1, "description", false, where);
          if (l->failed)
            return false;
          data = iotscp_json_object_get (&l->doc, k + 1, "data");
          if (data >= 0)
            {
              iotscp_field *fields = NULL;
              if (iotscp_json_type_of (&l->doc, data) != IOTSCP_JSON_OBJECT
                  || !parse_fields (l, data, &fields, &e->data_count, where))
                return fail (l, "%s: \"data\" must be an object schema", where);
              e->data = fields;
            }
        }
      model->events = events;
      model->event_count = n;
    }
  return !l->failed;
}

bool
sim_model_load_text (const char *text, size_t len, sim_model *model, char *error, size_t error_cap)
{
  loader l = { .error = error, .error_cap = error_cap };
  iotscp_json_token *tokens;
  bool ok;
  int ret;

  memset (model, 0, sizeof *model);
  if (len > MAX_FILE)
    {
      snprintf (error, error_cap, "the document is larger than %d bytes", MAX_FILE);
      return false;
    }
  tokens = calloc (MAX_TOKENS, sizeof *tokens);
  if (tokens == NULL)
    {
      snprintf (error, error_cap, "out of memory");
      return false;
    }
  iotscp_json_doc_init (&l.doc, tokens, MAX_TOKENS);
  ret = iotscp_json_parse (&l.doc, text, len);
  if (ret < 0)
    {
      snprintf (error, error_cap, "not valid JSON (error %d at byte %u)", ret,
                (unsigned)l.doc.error_offset);
      free (tokens);
      return false;
    }
  /* The tokens are dropped after loading: every string was copied into the arena. */
  ok = parse_document (&l, model);
  free (tokens);
  if (!ok)
    {
      arena_free (l.arena);
      memset (model, 0, sizeof *model);
      return false;
    }
  model->arena = l.arena;
  return true;
}

void
sim_model_free (sim_model *model)
{
  arena_free (model->arena);
  memset (model, 0, sizeof *model);
}

bool
sim_model_load_description (const char *path, sim_model *model, char *error, size_t error_cap)
{
  FILE *file = fopen (path, "rb");
  char *text;
  size_t len;
  bool ok;

  memset (model, 0, sizeof *model);
  if (file == NULL)
    {
      snprintf (error, error_cap, "cannot open %s", path);
      return false;
    }
  text = malloc (MAX_FILE + 1);
  if (text == NULL)
    {
      fclose (file);
      snprintf (error, error_cap, "out of memory");
      return false;
    }
  len = fread (text, 1, MAX_FILE + 1, file);
  fclose (file);
  if (len > MAX_FILE)
    {
      free (text);
      snprintf (error, error_cap, "%s is larger than %d bytes", path, MAX_FILE);
      return false;
    }
  ok = sim_model_load_text (text, len, model, error, error_cap);
  free (text);
  return ok;
}
