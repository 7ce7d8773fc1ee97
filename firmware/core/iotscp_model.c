/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The device model: names, schemas, value validation, JSON conversion of values, the
 * description document (protocol.md section 4) and the HTML page for browsers.
 */
#include "iotscp_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotscp_text.h"

iotscp_value
iotscp_string (const char *s)
{
  iotscp_value v = { .type = IOTSCP_TYPE_STRING };
  v.string = s;
  v.length = strlen (s);
  return v;
}

bool
iotscp_model_name_ok (const char *name)
{
  size_t len;
  if (name == NULL)
    return false;
  len = strlen (name);
  if (len == 0 || len > IOTSCP_NAME_MAX || !iotscp_text_utf8_valid (name, len))
    return false;
  if (name[0] == ' ' || name[len - 1] == ' ')
    return false;
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char)name[i];
      if (c < 0x20 || c == 0x7f || c == '/' || c == '%' || c == '?' || c == '#')
        return false;
    }
  return true;
}

/* A numeric enum value: the decimal text of a JSON number, wholly parsed, finite, and an
 * integer within +-(2^53-1) for an integer schema. */
bool
iotscp_model_enum_number (const iotscp_schema *schema, size_t i, double *out)
{
  const char *text = schema->enum_values[i];
  char *end = NULL;
  double v;
  if (text == NULL || *text == '\0')
    return false;
  v = strtod (text, &end);
  if (end == NULL || *end != '\0' || !isfinite (v))
    return false;
  if (schema->type == IOTSCP_TYPE_INTEGER && (v != floor (v) || fabs (v) > 9007199254740991.0))
    return false;
  *out = v;
  return true;
}

bool
iotscp_model_schema_ok (const iotscp_schema *schema)
{
  switch (schema->type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        return schema->enum_count == 0;
      case IOTSCP_TYPE_INTEGER:
      case IOTSCP_TYPE_NUMBER:
        /* A numeric enum is kept as the numbers' decimal texts and compared by value. */
        for (size_t i = 0; i < schema->enum_count; i++)
          {
            double v;
            if (!iotscp_model_enum_number (schema, i, &v)
                || ((schema->flags & IOTSCP_HAS_MINIMUM) && v < schema->minimum)
                || ((schema->flags & IOTSCP_HAS_MAXIMUM) && v > schema->maximum))
              return false;
          }
        if ((schema->flags & IOTSCP_HAS_MINIMUM) && (schema->flags & IOTSCP_HAS_MAXIMUM)
            && schema->minimum > schema->maximum)
          return false;
        if ((schema->flags & IOTSCP_HAS_STEP) && !(schema->step > 0))
          return false;
        return isfinite (schema->minimum) && isfinite (schema->maximum) && isfinite (schema->step);
      case IOTSCP_TYPE_STRING:
        for (size_t i = 0; i < schema->enum_count; i++)
          if (schema->enum_values[i] == NULL
              || strlen (schema->enum_values[i]) > IOTSCP_MAX_STRING_VALUE
              || !iotscp_text_utf8_valid (schema->enum_values[i], strlen (schema->enum_values[i])))
            return false;
        return true;
      default:
        return false;
    }
}

bool
iotscp_model_value_ok (const iotscp_schema *schema, const iotscp_value *value, const char **why)
{
  double n;
  if (value->type != schema->type)
    {
      /* An integer is a number too. */
      if (!(schema->type == IOTSCP_TYPE_NUMBER && value->type == IOTSCP_TYPE_INTEGER))
        {
          *why = "value has the wrong type";
          return false;
        }
    }
  switch (schema->type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        return true;
      case IOTSCP_TYPE_INTEGER:
      case IOTSCP_TYPE_NUMBER:
        n = value->type == IOTSCP_TYPE_INTEGER ? (double)value->integer : value->number;
        if (!isfinite (n))
          {
            *why = "value is not a finite number";
            return false;
          }
        if ((schema->flags & IOTSCP_HAS_MINIMUM) && n < schema->minimum)
          {
            *why = "value is below the minimum";
            return false;
          }
        if ((schema->flags & IOTSCP_HAS_MAXIMUM) && n > schema->maximum)
          {
            *why = "value is above the maximum";
            return false;
          }
        if (schema->enum_count > 0)
          {
            double allowed;
            for (size_t i = 0; i < schema->enum_count; i++)
              if (iotscp_model_enum_number (schema, i, &allowed) && allowed == n)
                return true;
            *why = "value is not one of the allowed values";
            return false;
          }
        return true;
      case IOTSCP_TYPE_STRING:
        if (value->length > IOTSCP_MAX_STRING_VALUE
            || !iotscp_text_utf8_valid (value->string, value->length)
            || memchr (value->string, '\0', value->length) != NULL)
          {
            *why = "string is too long or not valid UTF-8";
            return false;
          }
        if (schema->enum_count > 0)
          {
            for (size_t i = 0; i < schema->enum_count; i++)
              if (strlen (schema->enum_values[i]) == value->length
                  && memcmp (schema->enum_values[i], value->string, value->length) == 0)
                return true;
            *why = "value is not one of the allowed values";
            return false;
          }
        return true;
      default:
        *why = "unknown type";
        return false;
    }
}

bool
iotscp_model_value_from_json (const iotscp_schema *schema, const iotscp_json_doc *doc, int tok,
                              iotscp_value *out, char *buf, size_t cap, const char **why)
{
  iotscp_json_type type = iotscp_json_type_of (doc, tok);
  memset (out, 0, sizeof *out);
  switch (schema->type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        out->type = IOTSCP_TYPE_BOOLEAN;
        if (iotscp_json_get_bool (doc, tok, &out->boolean) < 0)
          {
            *why = "expected a boolean";
            return false;
          }
        break;
      case IOTSCP_TYPE_INTEGER:
        out->type = IOTSCP_TYPE_INTEGER;
        if (type != IOTSCP_JSON_NUMBER || iotscp_json_get_int64 (doc, tok, &out->integer) < 0)
          {
            *why = "expected an integer";
            return false;
          }
        break;
      case IOTSCP_TYPE_NUMBER:
        out->type = IOTSCP_TYPE_NUMBER;
        if (type != IOTSCP_JSON_NUMBER || iotscp_json_get_double (doc, tok, &out->number) < 0)
          {
            *why = "expected a number";
            return false;
          }
        break;
      case IOTSCP_TYPE_STRING:
        out->type = IOTSCP_TYPE_STRING;
        if (type != IOTSCP_JSON_STRING
            || iotscp_json_get_string (doc, tok, buf, cap, &out->length) < 0)
          {
            *why = "expected a string (at most "
                   "64"
                   " bytes)";
            return false;
          }
        out->string = buf;
        break;
      default:
        *why = "unknown type";
        return false;
    }
  return iotscp_model_value_ok (schema, out, why);
}

bool
iotscp_model_fields_from_json (const iotscp_field *fields, size_t count, const iotscp_json_doc *doc,
                               int obj, iotscp_value *values, char *buf, size_t cap,
                               const char **why)
{
  size_t used = 0;
  if (iotscp_json_type_of (doc, obj) != IOTSCP_JSON_OBJECT)
    {
      *why = "expected an object";
      return false;
    }
  /* Unknown members are refused: a caller that misspells a field should hear about it. */
  for (int k = iotscp_json_first (doc, obj); k >= 0; k = iotscp_json_next (doc, obj, k))
    {
      bool known = false;
      for (size_t i = 0; i < count && !known; i++)
        known = iotscp_json_string_equals (doc, k, fields[i].name);
      if (!known)
        {
          *why = "unknown field";
          return false;
        }
    }
  for (size_t i = 0; i < count; i++)
    {
      int tok = iotscp_json_object_get (doc, obj, fields[i].name);
      values[i].type = IOTSCP_TYPE_NULL;
      if (tok < 0)
        {
          if (fields[i].required)
            {
              *why = "a required field is missing";
              return false;
            }
          continue;
        }
      if (used >= cap)
        {
          *why = "input too large";
          return false;
        }
      if (!iotscp_model_value_from_json (&fields[i].schema, doc, tok, &values[i], buf + used,
                                         cap - used, why))
        return false;
      if (values[i].type == IOTSCP_TYPE_STRING)
        used += values[i].length + 1;
    }
  return true;
}

void
iotscp_model_write_value (iotscp_jw *w, const iotscp_value *value)
{
  switch (value->type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        iotscp_jw_bool (w, value->boolean);
        break;
      case IOTSCP_TYPE_INTEGER:
        iotscp_jw_int64 (w, value->integer);
        break;
      case IOTSCP_TYPE_NUMBER:
        iotscp_jw_double (w, value->number);
        break;
      case IOTSCP_TYPE_STRING:
        iotscp_jw_string_n (w, value->string, value->length);
        break;
      default:
        iotscp_jw_null (w);
        break;
    }
}

void
iotscp_model_write_fields (iotscp_jw *w, const iotscp_field *fields, size_t count,
                           const iotscp_value *values)
{
  iotscp_jw_object_begin (w);
  for (size_t i = 0; i < count; i++)
    {
      if (values[i].type == IOTSCP_TYPE_NULL)
        continue;
      iotscp_jw_key (w, fields[i].name);
      iotscp_model_write_value (w, &values[i]);
    }
  iotscp_jw_object_end (w);
}

static const char *
type_name (iotscp_type type)
{
  switch (type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        return "boolean";
      case IOTSCP_TYPE_INTEGER:
        return "integer";
      case IOTSCP_TYPE_NUMBER:
        return "number";
      case IOTSCP_TYPE_STRING:
        return "string";
      default:
        return "null";
    }
}

static void
write_bound (iotscp_jw *w, iotscp_type type, double v)
{
  /* Integer bounds are written as integers so that the document reads naturally. */
  if (type == IOTSCP_TYPE_INTEGER || (v == floor (v) && fabs (v) < 9.0e15))
    iotscp_jw_int64 (w, (int64_t)v);
  else
    iotscp_jw_double (w, v);
}

/* The members of a schema, without the surrounding braces. */
static void
write_schema_members (iotscp_jw *w, const iotscp_schema *schema)
{
  iotscp_jw_key (w, "type");
  iotscp_jw_string (w, type_name (schema->type));
  if (schema->flags & IOTSCP_HAS_MINIMUM)
    {
      iotscp_jw_key (w, "minimum");
      write_bound (w, schema->type, schema->minimum);
    }
  if (schema->flags & IOTSCP_HAS_MAXIMUM)
    {
      iotscp_jw_key (w, "maximum");
      write_bound (w, schema->type, schema->maximum);
    }
  if (schema->flags & IOTSCP_HAS_STEP)
    {
      iotscp_jw_key (w, "step");
      write_bound (w, schema->type, schema->step);
    }
  if (schema->unit != NULL)
    {
      iotscp_jw_key (w, "unit");
      iotscp_jw_string (w, schema->unit);
    }
  if (schema->enum_count > 0)
    {
      iotscp_jw_key (w, "enum");
      iotscp_jw_array_begin (w);
      for (size_t i = 0; i < schema->enum_count; i++)
        {
          double v;
          if (schema->type == IOTSCP_TYPE_STRING)
            iotscp_jw_string (w, schema->enum_values[i]);
          else if (iotscp_model_enum_number (schema, i, &v))
            write_bound (w, schema->type, v);
        }
      iotscp_jw_array_end (w);
    }
}

static void
write_object_schema (iotscp_jw *w, const iotscp_field *fields, size_t count)
{
  bool any_required = false;
  iotscp_jw_object_begin (w);
  iotscp_jw_key (w, "type");
  iotscp_jw_string (w, "object");
  iotscp_jw_key (w, "properties");
  iotscp_jw_object_begin (w);
  for (size_t i = 0; i < count; i++)
    {
      iotscp_jw_key (w, fields[i].name);
      iotscp_jw_object_begin (w);
      if (fields[i].title != NULL)
        {
          iotscp_jw_key (w, "title");
          iotscp_jw_string (w, fields[i].title);
        }
      write_schema_members (w, &fields[i].schema);
      iotscp_jw_object_end (w);
      any_required |= fields[i].required;
    }
  iotscp_jw_object_end (w);
  if (any_required)
    {
      iotscp_jw_key (w, "required");
      iotscp_jw_array_begin (w);
      for (size_t i = 0; i < count; i++)
        if (fields[i].required)
          iotscp_jw_string (w, fields[i].name);
      iotscp_jw_array_end (w);
    }
  iotscp_jw_object_end (w);
}

static void
write_title_description (iotscp_jw *w, const char *title, const char *description)
{
  if (title != NULL)
    {
      iotscp_jw_key (w, "title");
      iotscp_jw_string (w, title);
    }
  if (description != NULL)
    {
      iotscp_jw_key (w, "description");
      iotscp_jw_string (w, description);
    }
}

/* Writes the description with w, which may write the whole or a window of it. */
static size_t
write_description (const iotscp_device *dev, iotscp_jw *w)
{
  iotscp_jw_object_begin (w);
  iotscp_jw_key (w, "iotscp");
  iotscp_jw_int64 (w, 2);
  iotscp_jw_key (w, "id");
  iotscp_jw_string (w, dev->id);
  iotscp_jw_key (w, "name");
  iotscp_jw_string (w, dev->name);
  /* Optional (protocol.md section 4.1): absent when the device has none. */
  if (dev->model != NULL)
    {
      iotscp_jw_key (w, "model");
      iotscp_jw_string (w, dev->model);
    }
  if (dev->manufacturer != NULL)
    {
      iotscp_jw_key (w, "manufacturer");
      iotscp_jw_string (w, dev->manufacturer);
    }
  if (dev->firmware != NULL)
    {
      iotscp_jw_key (w, "firmware");
      iotscp_jw_string (w, dev->firmware);
    }
  if (dev->ui_icon != NULL || dev->ui_primary != NULL)
    {
      iotscp_jw_key (w, "ui");
      iotscp_jw_object_begin (w);
      if (dev->ui_icon != NULL)
        {
          iotscp_jw_key (w, "icon");
          iotscp_jw_string (w, dev->ui_icon);
        }
      if (dev->ui_primary != NULL)
        {
          iotscp_jw_key (w, "primary");
          iotscp_jw_string (w, dev->ui_primary);
        }
      iotscp_jw_object_end (w);
    }

  iotscp_jw_key (w, "properties");
  iotscp_jw_object_begin (w);
  for (size_t i = 0; i < dev->property_count; i++)
    {
      const iotscp_property_decl *p = dev->properties[i].decl;
      iotscp_jw_key (w, p->name);
      iotscp_jw_object_begin (w);
      write_title_description (w, p->title, p->description);
      write_schema_members (w, &p->schema);
      if (p->read_only)
        {
          iotscp_jw_key (w, "readOnly");
          iotscp_jw_bool (w, true);
        }
      if (p->ui_widget != NULL || p->ui_group != NULL)
        {
          iotscp_jw_key (w, "ui");
          iotscp_jw_object_begin (w);
          if (p->ui_widget != NULL)
            {
              iotscp_jw_key (w, "widget");
              iotscp_jw_string (w, p->ui_widget);
            }
          if (p->ui_group != NULL)
            {
              iotscp_jw_key (w, "group");
              iotscp_jw_string (w, p->ui_group);
            }
          iotscp_jw_object_end (w);
        }
      iotscp_jw_object_end (w);
    }
  iotscp_jw_object_end (w);

  iotscp_jw_key (w, "actions");
  iotscp_jw_object_begin (w);
  for (size_t i = 0; i < dev->action_count; i++)
    {
      const iotscp_action_decl *a = dev->actions[i];
      iotscp_jw_key (w, a->name);
      iotscp_jw_object_begin (w);
      write_title_description (w, a->title, a->description);
      if (a->input_count > 0)
        {
          iotscp_jw_key (w, "input");
          write_object_schema (w, a->input, a->input_count);
        }
      iotscp_jw_object_end (w);
    }
  iotscp_jw_object_end (w);

  iotscp_jw_key (w, "events");
  iotscp_jw_object_begin (w);
  for (size_t i = 0; i < dev->event_count; i++)
    {
      const iotscp_event_decl *e = dev->events[i];
      iotscp_jw_key (w, e->name);
      iotscp_jw_object_begin (w);
      write_title_description (w, e->title, e->description);
      if (e->data_count > 0)
        {
          iotscp_jw_key (w, "data");
          write_object_schema (w, e->data, e->data_count);
        }
      iotscp_jw_object_end (w);
    }
  iotscp_jw_object_end (w);
  iotscp_jw_object_end (w);
  return iotscp_jw_finish (w);
}

size_t
iotscp_model_write_description (const iotscp_device *dev, char *buf, size_t cap)
{
  iotscp_jw w;
  iotscp_jw_init (&w, buf, cap);
  return write_description (dev, &w);
}

size_t
iotscp_model_description_window (const iotscp_device *dev, char *buf, size_t cap, size_t skip)
{
  iotscp_jw w;
  iotscp_jw_init_window (&w, buf, cap, skip);
  return write_description (dev, &w);
}

/* ---- HTML ---- */

typedef struct html_out
{
  char *buf;
  size_t cap;
  size_t len;
  size_t skip; /* window mode (see iotscp_jw_init_window): offset of buf[0] */
  bool window;
  bool failed;
} html_out;

static void
html_raw (html_out *o, const char *s)
{
  size_t n = strlen (s);
  if (o->window)
    {
      o->len = iotscp_text_window_copy (o->buf, o->cap, o->skip, o->len, s, n);
      return;
    }
  if (o->failed || o->len + n >= o->cap)
    {
      o->failed = true;
      return;
    }
  memcpy (o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = '\0';
}

/* Escapes every character that could end text or an attribute. */
static void
html_text_n (html_out *o, const char *s, size_t n)
{
  char one[2] = { 0, 0 };
  for (size_t i = 0; i < n && !o->failed; i++)
    {
      switch (s[i])
        {
          case '&':
            html_raw (o, "&amp;");
            break;
          case '<':
            html_raw (o, "&lt;");
            break;
          case '>':
            html_raw (o, "&gt;");
            break;
          case '"':
            html_raw (o, "&quot;");
            break;
          case '\'':
            html_raw (o, "&#39;");
            break;
          default:
            one[0] = s[i];
            html_raw (o, one);
        }
    }
}

static void
html_text (html_out *o, const char *s)
{
  if (s != NULL)
    html_text_n (o, s, strlen (s));
}

static size_t
write_html (const iotscp_device *dev, html_out *o)
{
  char number[40];

  html_raw (o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
  html_text (o, dev->name);
  html_raw (o, "</title></head><body><h1>");
  html_text (o, dev->name);
  html_raw (o, "</h1><p>");
  html_text (o, dev->model);
  html_raw (o, " by ");
  html_text (o, dev->manufacturer);
  html_raw (o, ", firmware ");
  html_text (o, dev->firmware);
  html_raw (o, "</p><p>Id <code>");
  html_text (o, dev->id);
  html_raw (o, "</code>, key fingerprint <code>");
  html_text (o, dev->fingerprint_hex);
  html_raw (o, "</code></p><table><tr><th>Property</th><th>Value</th></tr>");
  for (size_t i = 0; i < dev->property_count; i++)
    {
      const iotscp_property_slot *slot = &dev->properties[i];
      html_raw (o, "<tr><td>");
      html_text (o, slot->decl->title ? slot->decl->title : slot->decl->name);
      html_raw (o, "</td><td>");
      switch (slot->value.type)
        {
          case IOTSCP_TYPE_BOOLEAN:
            html_raw (o, slot->value.boolean ? "on" : "off");
            break;
          case IOTSCP_TYPE_INTEGER:
            snprintf (number, sizeof number, "%lld", (long long)slot->value.integer);
            html_raw (o, number);
            break;
          case IOTSCP_TYPE_NUMBER:
            snprintf (number, sizeof number, "%g", slot->value.number);
            html_raw (o, number);
            break;
          case IOTSCP_TYPE_STRING:
            html_text_n (o, slot->value.string, slot->value.length);
            break;
          default:
            break;
        }
      if (slot->decl->schema.unit != NULL)
        {
          html_raw (o, " ");
          html_text (o, slot->decl->schema.unit);
        }
      html_raw (o, "</td></tr>");
    }
  html_raw (o, "</table><p>Machine-readable: <a href=\"" IOTSCP_DESCRIPTION_PATH
               "\">" IOTSCP_DESCRIPTION_PATH "</a></p></body></html>\n");
  return o->failed ? 0 : o->len;
}

size_t
iotscp_model_write_html (const iotscp_device *dev, char *buf, size_t cap)
{
  html_out o = { buf, cap, 0, 0, false, false };
  return write_html (dev, &o);
}

size_t
iotscp_model_html_window (const iotscp_device *dev, char *buf, size_t cap, size_t skip)
{
  html_out o = { buf, cap, 0, skip, true, false };
  return write_html (dev, &o);
}
