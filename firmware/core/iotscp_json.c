/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "iotscp_json.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotscp_text.h"

void
iotscp_json_doc_init (iotscp_json_doc *doc, iotscp_json_token *tokens, size_t capacity)
{
  doc->text = NULL;
  doc->tokens = tokens;
  doc->capacity = (uint16_t)(capacity > 65535 ? 65535 : capacity);
  doc->count = 0;
  doc->error_offset = 0;
}

static int
read_hex4 (const char *s, size_t avail, uint32_t *out)
{
  if (avail < 4)
    return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    {
      int d = iotscp_text_hex_value (s[i]);
      if (d < 0)
        return -1;
      v = v * 16 + (uint32_t)d;
    }
  *out = v;
  return 0;
}

/*
 * Checks the string starting after the opening quote at *pos and leaves *pos
 * on the closing quote. Returns 0 or a negative iotscp_json_error.
 */
static int
scan_string (const char *t, size_t len, size_t *pos)
{
  size_t i = *pos;
  for (;;)
    {
      if (i >= len)
        return IOTSCP_JSON_ERR_SYNTAX;
      unsigned char c = (unsigned char)t[i];
      if (c == '"')
        break;
      if (c < 0x20)
        return IOTSCP_JSON_ERR_SYNTAX;
      if (c == '\\')
        {
          if (i + 1 >= len)
            return IOTSCP_JSON_ERR_SYNTAX;
          char e = t[i + 1];
          if (e == 'u')
            {
              uint32_t u;
              if (read_hex4 (t + i + 2, len - i - 2, &u) < 0)
                return IOTSCP_JSON_ERR_SYNTAX;
              i += 6;
              if (u >= 0xdc00 && u <= 0xdfff)
                {
                  *pos = i;
                  return IOTSCP_JSON_ERR_UTF8;
                }
              if (u >= 0xd800 && u <= 0xdbff)
                {
                  uint32_t low;
                  if (len - i < 6 || t[i] != '\\' || t[i + 1] != 'u'
                      || read_hex4 (t + i + 2, len - i - 2, &low) < 0 || low < 0xdc00
                      || low > 0xdfff)
                    {
                      *pos = i;
                      return IOTSCP_JSON_ERR_UTF8;
                    }
                  i += 6;
                }
              continue;
            }
          if (!strchr ("\"\\/bfnrt", e) || e == '\0')
            return IOTSCP_JSON_ERR_SYNTAX;
          i += 2;
          continue;
        }
      if (c >= 0x80)
        {
          uint32_t cp;
          size_t n = iotscp_utf8_decode ((const uint8_t *)t + i, len - i, &cp);
          if (n == 0)
            {
              *pos = i;
              return IOTSCP_JSON_ERR_UTF8;
            }
          i += n;
          continue;
        }
      i++;
    }
  *pos = i;
  return 0;
}

static bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

/* Checks a number by the RFC 8259 grammar; *pos is left after it. */
static int
scan_number (const char *t, size_t len, size_t *pos)
{
  size_t i = *pos;
  if (i < len && t[i] == '-')
    i++;
  if (i >= len || !is_digit (t[i]))
    return IOTSCP_JSON_ERR_SYNTAX;
  if (t[i] == '0')
    i++;
  else
    while (i < len && is_digit (t[i]))
      i++;
  if (i < len && t[i] == '.')
    {
      i++;
      if (i >= len || !is_digit (t[i]))
        return IOTSCP_JSON_ERR_SYNTAX;
      while (i < len && is_digit (t[i]))
        i++;
    }
  if (i < len && (t[i] == 'e' || t[i] == 'E'))
    {
      i++;
      if (i < len && (t[i] == '+' || t[i] == '-'))
        i++;
      if (i >= len || !is_digit (t[i]))
        return IOTSCP_JSON_ERR_SYNTAX;
      while (i < len && is_digit (t[i]))
        i++;
    }
  *pos = i;
  return 0;
}

/*
 * Returns the next code point of a validated string token, advancing *i;
 * -1 at the end (*i == end).
 */
static int32_t
string_next (const char *t, size_t *i, size_t end)
{
  if (*i >= end)
    return -1;
  unsigned char c = (unsigned char)t[*i];
  if (c != '\\')
    {
      uint32_t cp;
      size_t n = iotscp_utf8_decode ((const uint8_t *)t + *i, end - *i, &cp);
      *i += n ? n : 1; /* n == 0 cannot happen on a validated token */
      return (int32_t)cp;
    }
  char e = t[*i + 1];
  *i += 2;
  switch (e)
    {
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u':
        {
          uint32_t u = 0, low = 0;
          read_hex4 (t + *i, end - *i, &u);
          *i += 4;
          if (u >= 0xd800 && u <= 0xdbff)
            {
              read_hex4 (t + *i + 2, end - *i - 2, &low);
              *i += 6;
              u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
            }
          return (int32_t)u;
        }
      default:
        return (unsigned char)e; /* '"', '\\' and '/' */
    }
}

static bool
token_equals_token (const iotscp_json_doc *doc, int a, int b)
{
  const iotscp_json_token *ta = &doc->tokens[a], *tb = &doc->tokens[b];
  size_t i = ta->start, j = tb->start;
  for (;;)
    {
      int32_t x = string_next (doc->text, &i, ta->end);
      int32_t y = string_next (doc->text, &j, tb->end);
      if (x != y)
        return false;
      if (x < 0)
        return true;
    }
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
new_token (iotscp_json_doc *doc, iotscp_json_type type, size_t start)
{
  if (doc->count >= doc->capacity)
    return IOTSCP_JSON_ERR_TOKENS;
  iotscp_json_token *tok = &doc->tokens[doc->count];
  tok->type = (uint8_t)type;
  tok->start = (uint16_t)start;
  tok->end = (uint16_t)start;
  tok->count = 0;
  tok->next = (uint16_t)(doc->count + 1);
  return doc->count++;
}

/* Parses a key string at t[*pos] as a new token and checks it is not a duplicate. */
static int
parse_key (iotscp_json_doc *doc, size_t len, size_t *pos, int object)
{
  const char *t = doc->text;
  if (*pos >= len || t[*pos] != '"')
    return IOTSCP_JSON_ERR_SYNTAX;
  int key = new_token (doc, IOTSCP_JSON_STRING, *pos + 1);
  if (key < 0)
    return key;
  size_t i = *pos + 1;
  int err = scan_string (t, len, &i);
  if (err < 0)
    {
      *pos = i;
      return err;
    }
  doc->tokens[key].end = (uint16_t)i;
  *pos = i + 1;
  /* Earlier keys of this object: each key is followed by its value's subtree. */
  for (int k = object + 1; k < key; k = doc->tokens[k + 1].next)
    if (token_equals_token (doc, k, key))
      return IOTSCP_JSON_ERR_DUPKEY;
  while (*pos < len && is_space (t[*pos]))
    (*pos)++;
  if (*pos >= len || t[*pos] != ':')
    return IOTSCP_JSON_ERR_SYNTAX;
  (*pos)++;
  return 0;
}

int
iotscp_json_parse (iotscp_json_doc *doc, const char *text, size_t len)
{
  uint16_t stack[IOTSCP_JSON_MAX_DEPTH];
  unsigned depth = 0;
  size_t pos = 0;
  int err = 0;

  doc->text = text;
  doc->count = 0;
  doc->error_offset = 0;
  if (len > IOTSCP_JSON_MAX_TEXT)
    return IOTSCP_JSON_ERR_TOO_LONG;

  for (;;)
    {
      /* A value is expected here. */
      while (pos < len && is_space (text[pos]))
        pos++;
      if (pos >= len)
        {
          err = IOTSCP_JSON_ERR_SYNTAX;
          goto fail;
        }
      if (depth > 0)
        doc->tokens[stack[depth - 1]].count++;
      char c = text[pos];
      int tok;
      if (c == '{' || c == '[')
        {
          tok = new_token (doc, c == '{' ? IOTSCP_JSON_OBJECT : IOTSCP_JSON_ARRAY, pos);
          if (tok < 0)
            {
              err = tok;
              goto fail;
            }
          if (depth >= IOTSCP_JSON_MAX_DEPTH)
            {
              err = IOTSCP_JSON_ERR_DEPTH;
              goto fail;
            }
          stack[depth++] = (uint16_t)tok;
          pos++;
          while (pos < len && is_space (text[pos]))
            pos++;
          if (pos < len && text[pos] == (c == '{' ? '}' : ']'))
            goto close_container;
          if (c == '{')
            {
              err = parse_key (doc, len, &pos, tok);
              if (err < 0)
                goto fail;
            }
          continue;
        }
      if (c == '"')
        {
          tok = new_token (doc, IOTSCP_JSON_STRING, pos + 1);
          if (tok < 0)
            {
              err = tok;
              goto fail;
            }
          pos++;
          err = scan_string (text, len, &pos);
          if (err < 0)
            goto fail;
          doc->tokens[tok].end = (uint16_t)pos;
          pos++;
        }
      else if (c == '-' || is_digit (c))
        {
          tok = new_token (doc, IOTSCP_JSON_NUMBER, pos);
          if (tok < 0)
            {
              err = tok;
              goto fail;
            }
          err = scan_number (text, len, &pos);
          if (err < 0)
            goto fail;
          doc->tokens[tok].end = (uint16_t)pos;
        }
      else
        {
          static const char *const literals[] = { "true", "false", "null" };
          static const uint8_t types[] = { IOTSCP_JSON_TRUE, IOTSCP_JSON_FALSE, IOTSCP_JSON_NULL };
          unsigned k;
          for (k = 0; k < 3; k++)
            {
              size_t n = strlen (literals[k]);
              if (len - pos >= n && memcmp (text + pos, literals[k], n) == 0)
                break;
            }
          if (k == 3)
            {
              err = IOTSCP_JSON_ERR_SYNTAX;
              goto fail;
            }
          tok = new_token (doc, (iotscp_json_type)types[k], pos);
          if (tok < 0)
            {
              err = tok;
              goto fail;
            }
          pos += strlen (literals[k]);
          doc->tokens[tok].end = (uint16_t)pos;
        }

      /* A value ended: close containers or move on to the next item. */
      for (;;)
        {
          if (depth == 0)
            {
              while (pos < len && is_space (text[pos]))
                pos++;
              if (pos != len)
                {
                  err = IOTSCP_JSON_ERR_SYNTAX;
                  goto fail;
                }
              return 0;
            }
          while (pos < len && is_space (text[pos]))
            pos++;
          if (pos >= len)
            {
              err = IOTSCP_JSON_ERR_SYNTAX;
              goto fail;
            }
          int top = stack[depth - 1];
          bool object = doc->tokens[top].type == IOTSCP_JSON_OBJECT;
          if (text[pos] == ',')
            {
              pos++;
              if (object)
                {
                  while (pos < len && is_space (text[pos]))
                    pos++;
                  err = parse_key (doc, len, &pos, top);
                  if (err < 0)
                    goto fail;
                }
              break;
            }
          if (text[pos] != (object ? '}' : ']'))
            {
              err = IOTSCP_JSON_ERR_SYNTAX;
              goto fail;
            }
        close_container:
          top = stack[--depth];
          doc->tokens[top].end = (uint16_t)(pos + 1);
          doc->tokens[top].next = doc->count;
          pos++;
        }
    }

fail:
  doc->error_offset = (uint16_t)pos;
  doc->count = 0;
  return err;
}

iotscp_json_type
iotscp_json_type_of (const iotscp_json_doc *doc, int tok)
{
  if (tok < 0 || tok >= doc->count)
    return IOTSCP_JSON_NONE;
  return (iotscp_json_type)doc->tokens[tok].type;
}

int
iotscp_json_first (const iotscp_json_doc *doc, int container)
{
  iotscp_json_type type = iotscp_json_type_of (doc, container);
  if ((type != IOTSCP_JSON_OBJECT && type != IOTSCP_JSON_ARRAY)
      || doc->tokens[container].count == 0)
    return -1;
  return container + 1;
}

int
iotscp_json_next (const iotscp_json_doc *doc, int container, int child)
{
  iotscp_json_type type = iotscp_json_type_of (doc, container);
  if ((type != IOTSCP_JSON_OBJECT && type != IOTSCP_JSON_ARRAY) || child <= container
      || child >= doc->tokens[container].next)
    return -1;
  int next = doc->tokens[type == IOTSCP_JSON_OBJECT ? child + 1 : child].next;
  return next < doc->tokens[container].next ? next : -1;
}

bool
iotscp_json_string_equals (const iotscp_json_doc *doc, int tok, const char *s)
{
  if (iotscp_json_type_of (doc, tok) != IOTSCP_JSON_STRING)
    return false;
  size_t i = doc->tokens[tok].start, end = doc->tokens[tok].end, j = 0, n = strlen (s);
  for (;;)
    {
      int32_t x = string_next (doc->text, &i, end);
      int32_t y = -1;
      if (j < n)
        {
          uint32_t cp;
          size_t k = iotscp_utf8_decode ((const uint8_t *)s + j, n - j, &cp);
          if (k == 0)
            return false;
          j += k;
          y = (int32_t)cp;
        }
      if (x != y)
        return false;
      if (x < 0)
        return true;
    }
}

int
iotscp_json_object_get (const iotscp_json_doc *doc, int obj, const char *key)
{
  if (iotscp_json_type_of (doc, obj) != IOTSCP_JSON_OBJECT)
    return -1;
  for (int k = iotscp_json_first (doc, obj); k >= 0; k = iotscp_json_next (doc, obj, k))
    if (iotscp_json_string_equals (doc, k, key))
      return k + 1;
  return -1;
}

int
iotscp_json_get_bool (const iotscp_json_doc *doc, int tok, bool *out)
{
  iotscp_json_type type = iotscp_json_type_of (doc, tok);
  if (type != IOTSCP_JSON_TRUE && type != IOTSCP_JSON_FALSE)
    return -1;
  *out = type == IOTSCP_JSON_TRUE;
  return 0;
}

int
iotscp_json_get_int64 (const iotscp_json_doc *doc, int tok, int64_t *out)
{
  if (iotscp_json_type_of (doc, tok) != IOTSCP_JSON_NUMBER)
    return -1;
  const char *t = doc->text;
  size_t i = doc->tokens[tok].start, end = doc->tokens[tok].end;
  bool negative = t[i] == '-';
  if (negative)
    i++;

  /*
   * The value is digits * 10^scale, where digits are the significant digits
   * of the integer and fraction parts. Find where they start and end, then
   * move trailing zeros into the scale so that a negative scale means a
   * real fraction.
   */
  size_t mantissa_start = i, mantissa_end = i;
  long frac_digits = 0;
  while (mantissa_end < end && (is_digit (t[mantissa_end]) || t[mantissa_end] == '.'))
    mantissa_end++;
  for (size_t k = mantissa_start; k < mantissa_end; k++)
    if (t[k] == '.')
      frac_digits = (long)(mantissa_end - k - 1);
  long exponent = 0;
  if (mantissa_end < end)
    {
      size_t k = mantissa_end + 1;
      bool exp_negative = t[k] == '-';
      if (t[k] == '-' || t[k] == '+')
        k++;
      for (; k < end; k++)
        if (exponent < 100000)
          exponent = exponent * 10 + (t[k] - '0');
      if (exp_negative)
        exponent = -exponent;
    }
  long scale = exponent - frac_digits;

  size_t first = mantissa_start, last = mantissa_end; /* significant digits in [first, last) */
  while (first < last && (t[first] == '0' || t[first] == '.'))
    first++;
  while (last > first && (t[last - 1] == '0' || t[last - 1] == '.'))
    {
      if (t[last - 1] == '0')
        scale++;
      last--;
    }
  if (first == last)
    {
      *out = 0;
      return 0;
    }
  if (scale < 0)
    return -1;
  uint64_t v = 0;
  const uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (size_t k = first; k < last; k++)
    {
      if (t[k] == '.')
        continue;
      unsigned d = (unsigned)(t[k] - '0');
      if (v > (limit - d) / 10)
        return -1;
      v = v * 10 + d;
    }
  for (long s = 0; s < scale; s++)
    {
      if (v > limit / 10)
        return -1;
      v *= 10;
    }
  if (negative)
    *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  else
    *out = (int64_t)v;
  return 0;
}

/* The decimal point of the current C locale, which strtod and snprintf use. */
static char
locale_decimal_point (void)
{
  const struct lconv *lc = localeconv ();
  return (lc && lc->decimal_point && lc->decimal_point[0]) ? lc->decimal_point[0] : '.';
}

int
iotscp_json_get_double (const iotscp_json_doc *doc, int tok, double *out)
{
  if (iotscp_json_type_of (doc, tok) != IOTSCP_JSON_NUMBER)
    return -1;
  size_t start = doc->tokens[tok].start, n = doc->tokens[tok].end - start;
  char tmp[IOTSCP_JSON_MAX_NUMBER + 1];
  if (n > IOTSCP_JSON_MAX_NUMBER)
    return -1;
  memcpy (tmp, doc->text + start, n);
  tmp[n] = '\0';
  char *dot = strchr (tmp, '.');
  if (dot)
    *dot = locale_decimal_point ();
  double v = strtod (tmp, NULL);
  if (!isfinite (v))
    return -1;
  *out = v;
  return 0;
}

int
iotscp_json_get_string (const iotscp_json_doc *doc, int tok, char *buf, size_t cap, size_t *out_len)
{
  if (iotscp_json_type_of (doc, tok) != IOTSCP_JSON_STRING || cap == 0)
    return -1;
  size_t i = doc->tokens[tok].start, end = doc->tokens[tok].end, n = 0;
  int32_t cp;
  while ((cp = string_next (doc->text, &i, end)) >= 0)
    {
      uint8_t utf8[4];
      size_t k = iotscp_utf8_encode ((uint32_t)cp, utf8);
      if (cp == 0 || k == 0 || n + k >= cap)
        return -1;
      memcpy (buf + n, utf8, k);
      n += k;
    }
  buf[n] = '\0';
  if (out_len)
    *out_len = n;
  return 0;
}

/* ---- Writer ---- */

void
iotscp_jw_init (iotscp_jw *w, char *buf, size_t cap)
{
  memset (w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  w->failed = cap == 0;
}

void
iotscp_jw_init_window (iotscp_jw *w, char *buf, size_t cap, size_t skip)
{
  memset (w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  w->skip = skip;
  w->window = true;
}

static void
put (iotscp_jw *w, const char *s, size_t n)
{
  if (w->window)
    {
      if (!w->failed)
        w->len = iotscp_text_window_copy (w->buf, w->cap, w->skip, w->len, s, n);
      return;
    }
  /* One byte stays free for the NUL that iotscp_jw_finish writes. */
  if (w->failed || n >= w->cap - w->len)
    {
      w->failed = true;
      return;
    }
  memcpy (w->buf + w->len, s, n);
  w->len += n;
}

/* Writes the separator a new item needs, or fails the writer when no value fits here. */
static bool
begin_value (iotscp_jw *w)
{
  if (w->failed)
    return false;
  if (w->depth == 0)
    {
      if (w->len != 0)
        w->failed = true; /* one root value only */
      return !w->failed;
    }
  uint32_t bit = 1u << (w->depth - 1);
  if (w->is_object & bit)
    {
      if (!w->after_key)
        w->failed = true;
      w->after_key = false;
      return !w->failed;
    }
  if (w->has_items & bit)
    put (w, ",", 1);
  w->has_items |= bit;
  return !w->failed;
}

static void
container_begin (iotscp_jw *w, bool object)
{
  if (!begin_value (w))
    return;
  if (w->depth >= 31)
    {
      w->failed = true;
      return;
    }
  put (w, object ? "{" : "[", 1);
  uint32_t bit = 1u << w->depth;
  w->has_items &= ~bit;
  if (object)
    w->is_object |= bit;
  else
    w->is_object &= ~bit;
  w->depth++;
}

static void
container_end (iotscp_jw *w, bool object)
{
  if (w->failed)
    return;
  if (w->depth == 0 || w->after_key || !!(w->is_object & (1u << (w->depth - 1))) != object)
    {
      w->failed = true;
      return;
    }
  w->depth--;
  put (w, object ? "}" : "]", 1);
}

void
iotscp_jw_object_begin (iotscp_jw *w)
{
  container_begin (w, true);
}

void
iotscp_jw_object_end (iotscp_jw *w)
{
  container_end (w, true);
}

void
iotscp_jw_array_begin (iotscp_jw *w)
{
  container_begin (w, false);
}

void
iotscp_jw_array_end (iotscp_jw *w)
{
  container_end (w, false);
}

static void
put_string (iotscp_jw *w, const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  put (w, "\"", 1);
  size_t i = 0;
  while (i < len && !w->failed)
    {
      uint32_t cp;
      size_t n = iotscp_utf8_decode ((const uint8_t *)s + i, len - i, &cp);
      if (n == 0)
        {
          put (w, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
          i++;
          continue;
        }
      if (cp == '"' || cp == '\\')
        {
          char esc[2] = { '\\', (char)cp };
          put (w, esc, 2);
        }
      else if (cp < 0x20)
        {
          const char *named = NULL;
          switch (cp)
            {
              case '\b':
                named = "\\b";
                break;
              case '\f':
                named = "\\f";
                break;
              case '\n':
                named = "\\n";
                break;
              case '\r':
                named = "\\r";
                break;
              case '\t':
                named = "\\t";
                break;
              default:
                break;
            }
          if (named)
            put (w, named, 2);
          else
            {
              char esc[6] = { '\\', 'u', '0', '0', hex[cp >> 4], hex[cp & 15] };
              put (w, esc, 6);
            }
        }
      else
        put (w, s + i, n);
      i += n;
    }
  put (w, "\"", 1);
}

void
iotscp_jw_key (iotscp_jw *w, const char *key)
{
  if (w->failed)
    return;
  uint32_t bit = w->depth ? 1u << (w->depth - 1) : 0;
  if (!(w->is_object & bit) || w->after_key)
    {
      w->failed = true;
      return;
    }
  if (w->has_items & bit)
    put (w, ",", 1);
  w->has_items |= bit;
  put_string (w, key, strlen (key));
  put (w, ":", 1);
  w->after_key = true;
}

void
iotscp_jw_string_n (iotscp_jw *w, const char *s, size_t len)
{
  if (begin_value (w))
    put_string (w, s, len);
}

void
iotscp_jw_string (iotscp_jw *w, const char *s)
{
  iotscp_jw_string_n (w, s, strlen (s));
}

void
iotscp_jw_int64 (iotscp_jw *w, int64_t v)
{
  if (!begin_value (w))
    return;
  char tmp[21];
  size_t i = sizeof tmp;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do
    {
      tmp[--i] = (char)('0' + u % 10);
      u /= 10;
    }
  while (u);
  if (v < 0)
    tmp[--i] = '-';
  put (w, tmp + i, sizeof tmp - i);
}

void
iotscp_jw_double (iotscp_jw *w, double v)
{
  if (!isfinite (v))
    {
      w->failed = true;
      return;
    }
  if (!begin_value (w))
    return;
  char tmp[32];
  char point = locale_decimal_point ();
  /*
   * 15 significant digits always read back to the same decimal, 17 always
   * to the same double; take the shortest precision that round-trips.
   */
  for (int precision = 15; precision <= 17; precision++)
    {
      snprintf (tmp, sizeof tmp, "%.*g", precision, v);
      if (strtod (tmp, NULL) == v)
        break;
    }
  for (char *p = tmp; *p; p++)
    if (*p == point)
      *p = '.';
  put (w, tmp, strlen (tmp));
}

void
iotscp_jw_bool (iotscp_jw *w, bool v)
{
  if (begin_value (w))
    put (w, v ? "true" : "false", v ? 4 : 5);
}

void
iotscp_jw_null (iotscp_jw *w)
{
  if (begin_value (w))
    put (w, "null", 4);
}

void
iotscp_jw_raw (iotscp_jw *w, const char *fragment, size_t len)
{
  if (len == 0)
    w->failed = true;
  if (begin_value (w))
    put (w, fragment, len);
}

size_t
iotscp_jw_finish (iotscp_jw *w)
{
  if (w->failed || w->depth != 0 || w->after_key || w->len == 0)
    return 0;
  if (w->window)
    return w->len;
  w->buf[w->len] = '\0';
  return w->len;
}
