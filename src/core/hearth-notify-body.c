/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-notify-body"

#include "hearth-notify-body.h"

#include <errno.h>
#include <string.h>

#include "hearth-description.h"
#include "hearth-error.h"

/* The validating parser of a NOTIFY body, `{"events": [ … ]}` (docs/protocol.md §7.4). The
 * body arrives from the network; only a device holding a pinned key gets this far, but a
 * pinned device can still be buggy, so the size (16 KiB, before parsing), nesting depth, token
 * count and number of entries (while parsing) are bounded, and each entry must be exactly one
 * of the two shapes of §7.4. Entries are checked against the device's description later, by
 * the proxy that knows it.
 *
 * It is a single-pass parser of its own rather than json-glib's JsonParser: the hub parses
 * thousands of these bodies a second, and in a profile of the event-intake benchmark the
 * generic parser (a GObject, a node per token, the whole tree kept until the entries are
 * copied out) was a third of the main thread's time. This one builds JSON nodes only for the
 * entries' values, and reads everything else (the envelope, member names, kinds, names and
 * times) straight from the text. It accepts exactly RFC 8259 JSON, refuses what the C API
 * cannot carry (a NUL inside a string, lone UTF-16 surrogates, numbers that overflow a double)
 * and refuses an entry that repeats one of its members, which json-glib would have resolved
 * silently to the last one. */

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  guint depth;
  guint tokens;  /* strings, containers and other values read so far */
  GString *text; /* the last string read, unescaped */
  GError **error;
} Reader;

/* The members of one entry as read, validated once the whole body is read (so that a body over
 * the entry limit is reported as too large whatever its entries hold). */
typedef struct
{
  const char *kind; /* "property", "event", "" (anything else) or NULL (absent); static */
  char *name;
  JsonNode *value;
  JsonNode *data;
  /* "t" is read straight into t_ms when it is a plain non-negative integer of up to 18 digits
   * (every device's), into a node otherwise, to be checked like any value: a node per entry
   * only to read an integer from was an allocation per entry. */
  JsonNode *t;
  gint64 t_ms;
  gboolean has_t_ms;
} RawEntry;

static void
raw_entry_clear (gpointer data)
{
  RawEntry *raw = data;

  g_free (raw->name);
  g_clear_pointer (&raw->value, json_node_unref);
  g_clear_pointer (&raw->data, json_node_unref);
  g_clear_pointer (&raw->t, json_node_unref);
}

void
hearth_notify_entry_free (HearthNotifyEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->name);
  g_clear_pointer (&entry->value, json_node_unref);
  g_free (entry);
}

static gboolean
syntax_error (Reader *reader, const char *what)
{
  g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
               "The NOTIFY body is not valid JSON: %s at byte %td", what,
               reader->p - reader->start);
  return FALSE;
}

/* Counts one token, as hearth_json_check_limits() does for every other JSON input of the hub:
 * a string (member names too), an array or object, or another value. The reader counts them
 * itself rather than in a pass of its own over the text before it, which was a sixth of the
 * parse. */
static gboolean
count_token (Reader *reader)
{
  if (++reader->tokens > HEARTH_NOTIFY_BODY_MAX_TOKENS)
    {
      g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "The NOTIFY body has more than %d tokens", HEARTH_NOTIFY_BODY_MAX_TOKENS);
      return FALSE;
    }
  return TRUE;
}

static void
skip_space (Reader *reader)
{
  while (reader->p < reader->end
         && (*reader->p == ' ' || *reader->p == '\t' || *reader->p == '\n' || *reader->p == '\r'))
    reader->p++;
}

/* Consumes @c after optional white space. */
static gboolean
accept (Reader *reader, char c)
{
  skip_space (reader);
  if (reader->p < reader->end && *reader->p == c)
    {
      reader->p++;
      return TRUE;
    }
  return FALSE;
}

static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Reader *reader, gunichar *out)
{
  gunichar value = 0;

  if (reader->end - reader->p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_digit (reader->p[i]);

      if (digit < 0)
        return FALSE;
      value = value * 16 + (gunichar)digit;
    }
  reader->p += 4;
  *out = value;
  return TRUE;
}

/* g_string_append_len() without the call (GLib 2.74 has no inline version of it) when the text
 * fits, which it does after the first few strings: it was a fifth of reading a string. */
static inline void
append_run (GString *text, const char *run, gsize length)
{
  if (text->len + length < text->allocated_len)
    {
      memcpy (text->str + text->len, run, length);
      text->len += length;
      text->str[text->len] = '\0';
    }
  else
    g_string_append_len (text, run, (gssize)length);
}

/* Reads a string (the opening quote is next) into reader->text. Strings are the only place
 * where the text may hold bytes outside ASCII (anywhere else they are a syntax error), so the
 * UTF-8 check is made here, on the runs that have such bytes; a run ends only at an ASCII
 * character, so it never splits a character. */
static gboolean
read_string (Reader *reader)
{
  reader->text->len = 0;
  reader->text->str[0] = '\0';
  if (reader->p >= reader->end || *reader->p != '"')
    return syntax_error (reader, "a string was expected");
  if (!count_token (reader))
    return FALSE;
  reader->p++;

  for (;;)
    {
      const char *run = reader->p;
      guchar bytes_seen = 0;
      gunichar c;

      while (reader->p < reader->end && *reader->p != '"' && *reader->p != '\\'
             && (guchar)*reader->p >= 0x20)
        bytes_seen |= (guchar)*reader->p++;
      if ((bytes_seen & 0x80) != 0 && !g_utf8_validate_len (run, reader->p - run, NULL))
        {
          g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                       "The NOTIFY body is not valid UTF-8 at byte %td", run - reader->start);
          return FALSE;
        }
      append_run (reader->text, run, (gsize)(reader->p - run));
      if (reader->p >= reader->end)
        return syntax_error (reader, "an unterminated string");
      if (*reader->p == '"')
        {
          reader->p++;
          return TRUE;
        }
      if (*reader->p != '\\')
        return syntax_error (reader, "a control character in a string");

      reader->p++;
      if (reader->p >= reader->end)
        return syntax_error (reader, "an unterminated escape");
      switch (*reader->p++)
        {
          case '"':
            g_string_append_c (reader->text, '"');
            continue;
          case '\\':
            g_string_append_c (reader->text, '\\');
            continue;
          case '/':
            g_string_append_c (reader->text, '/');
            continue;
          case 'b':
            g_string_append_c (reader->text, '\b');
            continue;
          case 'f':
            g_string_append_c (reader->text, '\f');
            continue;
          case 'n':
            g_string_append_c (reader->text, '\n');
            continue;
          case 'r':
            g_string_append_c (reader->text, '\r');
            continue;
          case 't':
            g_string_append_c (reader->text, '\t');
            continue;
          case 'u':
            break;
          default:
            return syntax_error (reader, "an invalid escape");
        }

      if (!read_hex4 (reader, &c))
        return syntax_error (reader, "an invalid \\u escape");
      if (c >= 0xdc00 && c <= 0xdfff)
        return syntax_error (reader, "a lone low surrogate");
      if (c >= 0xd800 && c <= 0xdbff)
        {
          gunichar low;

          if (reader->end - reader->p < 2 || reader->p[0] != '\\' || reader->p[1] != 'u')
            return syntax_error (reader, "a lone high surrogate");
          reader->p += 2;
          if (!read_hex4 (reader, &low) || low < 0xdc00 || low > 0xdfff)
            return syntax_error (reader, "a lone high surrogate");
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        }
      if (c == 0)
        return syntax_error (reader, "a NUL character in a string");
      g_string_append_unichar (reader->text, c);
    }
}

static gboolean
read_number (Reader *reader, JsonNode **out)
{
  const char *start = reader->p;
  gboolean integer = TRUE;
  char copy[64];
  gsize length;

  if (!count_token (reader))
    return FALSE;
  if (reader->p < reader->end && *reader->p == '-')
    reader->p++;
  if (reader->p < reader->end && *reader->p == '0')
    reader->p++;
  else if (reader->p < reader->end && *reader->p >= '1' && *reader->p <= '9')
    while (reader->p < reader->end && g_ascii_isdigit (*reader->p))
      reader->p++;
  else
    return syntax_error (reader, "an invalid number");

  if (reader->p < reader->end && *reader->p == '.')
    {
      integer = FALSE;
      reader->p++;
      if (reader->p >= reader->end || !g_ascii_isdigit (*reader->p))
        return syntax_error (reader, "an invalid number");
      while (reader->p < reader->end && g_ascii_isdigit (*reader->p))
        reader->p++;
    }
  if (reader->p < reader->end && (*reader->p == 'e' || *reader->p == 'E'))
    {
      integer = FALSE;
      reader->p++;
      if (reader->p < reader->end && (*reader->p == '+' || *reader->p == '-'))
        reader->p++;
      if (reader->p >= reader->end || !g_ascii_isdigit (*reader->p))
        return syntax_error (reader, "an invalid number");
      while (reader->p < reader->end && g_ascii_isdigit (*reader->p))
        reader->p++;
    }

  length = (gsize)(reader->p - start);
  /* Most numbers are short integers (every entry's "t"): up to 18 digits fit a gint64 exactly,
   * so they are summed here instead of copied and converted. */
  if (integer && length - (*start == '-') <= 18)
    {
      gint64 value = 0;

      for (const char *digit = start + (*start == '-'); digit < reader->p; digit++)
        value = value * 10 + (*digit - '0');
      *out = json_node_init_int (json_node_alloc (), *start == '-' ? -value : value);
      return TRUE;
    }

  /* A decimal fraction of up to 15 significant digits without an exponent (what devices send,
   * e.g. 21.3) is its digits as an integer divided by a power of ten: both are exact doubles
   * (below 2^53 and 10^22), and IEEE division rounds correctly, so the result is the one
   * strtod() gives (Clinger's fast path), without its cost. */
  if (!integer && length - (*start == '-') <= 16)
    {
      static const double powers_of_ten[] = { 1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                              1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
      gint64 mantissa = 0;
      guint fraction_digits = 0;
      gboolean in_fraction = FALSE;
      gboolean has_exponent = FALSE;

      for (const char *digit = start + (*start == '-'); digit < reader->p; digit++)
        {
          if (*digit == '.')
            in_fraction = TRUE;
          else if (*digit == 'e' || *digit == 'E')
            {
              has_exponent = TRUE;
              break;
            }
          else
            {
              mantissa = mantissa * 10 + (*digit - '0');
              fraction_digits += in_fraction;
            }
        }
      if (!has_exponent && fraction_digits < G_N_ELEMENTS (powers_of_ten))
        {
          double value = (double)mantissa / powers_of_ten[fraction_digits];

          *out = json_node_init_double (json_node_alloc (), *start == '-' ? -value : value);
          return TRUE;
        }
    }

  /* Longer numbers carry no more precision than a double holds; refusing them keeps the copy
   * on the stack. */
  if (length >= sizeof copy)
    return syntax_error (reader, "a number of more than 63 characters");
  memcpy (copy, start, length);
  copy[length] = '\0';

  if (integer)
    {
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (copy, NULL, 10);
      if (errno == 0)
        {
          *out = json_node_init_int (json_node_alloc (), value);
          return TRUE;
        }
      /* Out of the range of a 64-bit integer: a double, as json-glib reads it. */
    }

  {
    double value;

    errno = 0;
    value = g_ascii_strtod (copy, NULL);
    if (errno == ERANGE && (value > 1.0 || value < -1.0))
      return syntax_error (reader, "a number out of range");
    *out = json_node_init_double (json_node_alloc (), value);
    return TRUE;
  }
}

static gboolean read_value (Reader *reader, JsonNode **out);

static gboolean
enter (Reader *reader)
{
  if (!count_token (reader))
    return FALSE;
  if (++reader->depth > HEARTH_NOTIFY_BODY_MAX_DEPTH)
    {
      g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "The NOTIFY body is nested deeper than %d levels", HEARTH_NOTIFY_BODY_MAX_DEPTH);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_object (Reader *reader, JsonNode **out)
{
  g_autoptr (JsonObject) object = json_object_new ();

  if (!enter (reader))
    return FALSE;
  reader->p++; /* { */
  if (!accept (reader, '}'))
    {
      do
        {
          g_autofree char *name = NULL;
          JsonNode *member = NULL;

          skip_space (reader);
          if (!read_string (reader))
            return FALSE;
          name = g_strndup (reader->text->str, reader->text->len);
          if (!accept (reader, ':'))
            return syntax_error (reader, "a “:” was expected");
          if (!read_value (reader, &member))
            return FALSE;
          json_object_set_member (object, name, member);
        }
      while (accept (reader, ','));
      if (!accept (reader, '}'))
        return syntax_error (reader, "a “,” or “}” was expected");
    }
  reader->depth--;
  *out = json_node_init_object (json_node_alloc (), object);
  return TRUE;
}

static gboolean
read_array (Reader *reader, JsonNode **out)
{
  g_autoptr (JsonArray) array = json_array_new ();

  if (!enter (reader))
    return FALSE;
  reader->p++; /* [ */
  if (!accept (reader, ']'))
    {
      do
        {
          JsonNode *element = NULL;

          if (!read_value (reader, &element))
            return FALSE;
          json_array_add_element (array, element);
        }
      while (accept (reader, ','));
      if (!accept (reader, ']'))
        return syntax_error (reader, "a “,” or “]” was expected");
    }
  reader->depth--;
  *out = json_node_init_array (json_node_alloc (), array);
  return TRUE;
}

static gboolean
accept_word (Reader *reader, const char *word)
{
  gsize length = strlen (word);

  if ((gsize)(reader->end - reader->p) < length || memcmp (reader->p, word, length) != 0)
    return FALSE;
  reader->p += length;
  return TRUE;
}

/* Reads any JSON value into a new node. */
static gboolean
read_value (Reader *reader, JsonNode **out)
{
  skip_space (reader);
  if (reader->p >= reader->end)
    return syntax_error (reader, "a value was expected");

  switch (*reader->p)
    {
      case '{':
        return read_object (reader, out);
      case '[':
        return read_array (reader, out);
      case '"':
        if (!read_string (reader))
          return FALSE;
        *out = json_node_init_string (json_node_alloc (), reader->text->str);
        return TRUE;
      case 't':
        if (!accept_word (reader, "true"))
          break;
        if (!count_token (reader))
          return FALSE;
        *out = json_node_init_boolean (json_node_alloc (), TRUE);
        return TRUE;
      case 'f':
        if (!accept_word (reader, "false"))
          break;
        if (!count_token (reader))
          return FALSE;
        *out = json_node_init_boolean (json_node_alloc (), FALSE);
        return TRUE;
      case 'n':
        if (!accept_word (reader, "null"))
          break;
        if (!count_token (reader))
          return FALSE;
        *out = json_node_init_null (json_node_alloc ());
        return TRUE;
      default:
        return read_number (reader, out);
    }
  return syntax_error (reader, "an invalid literal");
}

static gboolean
duplicate (Reader *reader, guint index, const char *member)
{
  g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
               "NOTIFY entry %u: “%s” appears more than once", index, member);
  return FALSE;
}

typedef enum
{
  MEMBER_OTHER,
  MEMBER_KIND,
  MEMBER_NAME,
  MEMBER_VALUE,
  MEMBER_DATA,
  MEMBER_T,
} Member;

/* Which member of an entry a name (as read into reader->text) is: by its length first, since
 * every entry has four or five members and five comparisons each were measurable. A name
 * never holds a NUL (read_string() refuses one), so comparing the bytes is comparing the
 * names. */
static Member
identify_member (const GString *text)
{
  switch (text->len)
    {
      case 1:
        return text->str[0] == 't' ? MEMBER_T : MEMBER_OTHER;
      case 4:
        if (memcmp (text->str, "kind", 4) == 0)
          return MEMBER_KIND;
        if (memcmp (text->str, "name", 4) == 0)
          return MEMBER_NAME;
        if (memcmp (text->str, "data", 4) == 0)
          return MEMBER_DATA;
        return MEMBER_OTHER;
      case 5:
        return memcmp (text->str, "value", 5) == 0 ? MEMBER_VALUE : MEMBER_OTHER;
      default:
        return MEMBER_OTHER;
    }
}

/* Reads one entry's members; unknown ones are read (to check them) and dropped. */
static gboolean
read_entry (Reader *reader, guint index, RawEntry *raw)
{
  skip_space (reader);
  if (reader->p >= reader->end || *reader->p != '{')
    {
      JsonNode *other = NULL;

      /* Not an object: still JSON? The error says which. */
      if (!read_value (reader, &other))
        return FALSE;
      json_node_unref (other);
      g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                   "NOTIFY entry %u: not an object", index);
      return FALSE;
    }
  if (!enter (reader))
    return FALSE;
  reader->p++;
  if (accept (reader, '}'))
    {
      reader->depth--;
      return TRUE;
    }

  do
    {
      JsonNode *node = NULL;
      JsonNode **slot = NULL;
      Member member;

      skip_space (reader);
      if (!read_string (reader))
        return FALSE;
      if (!accept (reader, ':'))
        return syntax_error (reader, "a “:” was expected");
      member = identify_member (reader->text);

      /* The member names are compared and named in errors as literals: the text buffer is
       * overwritten by the value, and a copy per member was an allocation per member of every
       * entry. */
      if (member == MEMBER_KIND || member == MEMBER_NAME)
        {
          gboolean is_kind = member == MEMBER_KIND;
          const char *known = is_kind ? "kind" : "name";
          gboolean present = is_kind ? raw->kind != NULL : raw->name != NULL;

          skip_space (reader);
          /* kind and name are kept when they are strings; anything else is invalid for them,
           * and is reported after the whole body is read (as "" here). */
          if (reader->p < reader->end && *reader->p == '"')
            {
              if (!read_string (reader))
                return FALSE;
              if (present)
                return duplicate (reader, index, known);
              if (!is_kind)
                raw->name = g_strndup (reader->text->str, reader->text->len);
              else if (strcmp (reader->text->str, "property") == 0
                       && reader->text->len == strlen ("property"))
                raw->kind = "property";
              else if (strcmp (reader->text->str, "event") == 0
                       && reader->text->len == strlen ("event"))
                raw->kind = "event";
              else
                raw->kind = "";
              continue;
            }
          if (!read_value (reader, &node))
            return FALSE;
          json_node_unref (node);
          if (present)
            return duplicate (reader, index, known);
          if (is_kind)
            raw->kind = "";
          else
            raw->name = g_strdup ("");
          continue;
        }

      if (member == MEMBER_T && !raw->has_t_ms && raw->t == NULL)
        {
          const char *digits;
          gint64 t_ms = 0;

          skip_space (reader);
          for (digits = reader->p; reader->p < reader->end && g_ascii_isdigit (*reader->p);
               reader->p++)
            t_ms = t_ms * 10 + (*reader->p - '0');
          /* A JSON integer: no leading zero, nothing of a fraction or exponent after it. */
          if (reader->p > digits && reader->p - digits <= 18
              && (*digits != '0' || reader->p - digits == 1)
              && (reader->p >= reader->end
                  || (*reader->p != '.' && *reader->p != 'e' && *reader->p != 'E')))
            {
              if (!count_token (reader))
                return FALSE;
              raw->t_ms = t_ms;
              raw->has_t_ms = TRUE;
              continue;
            }
          reader->p = digits; /* anything else is read and checked as a value */
        }

      if (member == MEMBER_VALUE)
        slot = &raw->value;
      else if (member == MEMBER_DATA)
        slot = &raw->data;
      else if (member == MEMBER_T)
        slot = &raw->t;

      if (slot != NULL)
        {
          const char *known = slot == &raw->value ? "value" : slot == &raw->data ? "data" : "t";

          if (!read_value (reader, &node))
            return FALSE;
          if (*slot != NULL || (slot == &raw->t && raw->has_t_ms))
            {
              json_node_unref (node);
              return duplicate (reader, index, known);
            }
          *slot = node;
          continue;
        }

      if (!read_value (reader, &node))
        return FALSE;
      json_node_unref (node);
    }
  while (accept (reader, ','));

  if (!accept (reader, '}'))
    return syntax_error (reader, "a “,” or “}” was expected");
  reader->depth--;
  return TRUE;
}

static gboolean
invalid (GError **error, guint index, const char *reason)
{
  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "NOTIFY entry %u: %s", index,
               reason);
  return FALSE;
}

/* The checks of §7.4 on one entry; takes its value. */
static gboolean
check_entry (RawEntry *raw, guint index, HearthNotifyEntry *entry, GError **error)
{
  JsonNode *value;

  if (raw->kind == NULL || raw->kind[0] == '\0')
    return invalid (error, index, "“kind” is missing or not a string");
  if (strcmp (raw->kind, "property") == 0)
    {
      entry->kind = HEARTH_NOTIFY_ENTRY_PROPERTY;
      value = g_steal_pointer (&raw->value);
    }
  else if (strcmp (raw->kind, "event") == 0)
    {
      entry->kind = HEARTH_NOTIFY_ENTRY_EVENT;
      value = g_steal_pointer (&raw->data);
    }
  else
    return invalid (error, index, "“kind” is neither “property” nor “event”");

  if (!hearth_description_name_is_valid (raw->name))
    {
      g_clear_pointer (&value, json_node_unref);
      return invalid (error, index, "“name” is missing or not a valid name");
    }
  entry->name = g_steal_pointer (&raw->name);

  if (value == NULL)
    {
      /* A property change without a value says nothing; an event may omit null data. */
      if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY)
        return invalid (error, index, "a property change without “value”");
      value = json_node_init_null (json_node_alloc ());
    }
  else if (entry->kind == HEARTH_NOTIFY_ENTRY_PROPERTY && !JSON_NODE_HOLDS_VALUE (value))
    {
      json_node_unref (value);
      return invalid (error, index, "a property value must be a boolean, number or string");
    }
  /* Sealed: events keep the node itself instead of copying it (hearth_event_new()). */
  json_node_seal (value);
  entry->value = value;

  if (raw->has_t_ms)
    {
      entry->device_time_ms = raw->t_ms;
      return TRUE;
    }
  if (raw->t == NULL || !JSON_NODE_HOLDS_VALUE (raw->t)
      || json_node_get_value_type (raw->t) != G_TYPE_INT64 || json_node_get_int (raw->t) < 0)
    return invalid (error, index, "“t” is missing or not a non-negative integer");
  entry->device_time_ms = json_node_get_int (raw->t);

  return TRUE;
}

/* The envelope: an object whose "events" member is an array of entries; other members are read
 * and ignored. */
static gboolean
read_body (Reader *reader, GArray *raws)
{
  gboolean have_events = FALSE;

  skip_space (reader);
  if (reader->p >= reader->end || *reader->p != '{')
    goto not_an_envelope;
  reader->depth = 1;
  reader->tokens = 1;
  reader->p++;
  if (accept (reader, '}'))
    goto not_an_envelope;

  do
    {
      skip_space (reader);
      if (!read_string (reader))
        return FALSE;
      if (!accept (reader, ':'))
        return syntax_error (reader, "a “:” was expected");

      if (strcmp (reader->text->str, "events") != 0)
        {
          JsonNode *other = NULL;

          if (!read_value (reader, &other))
            return FALSE;
          json_node_unref (other);
          continue;
        }

      if (have_events)
        {
          g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
                       "The NOTIFY body has more than one “events” member");
          return FALSE;
        }
      have_events = TRUE;
      skip_space (reader);
      if (reader->p >= reader->end || *reader->p != '[')
        goto not_an_envelope;
      if (!enter (reader))
        return FALSE;
      reader->p++;
      if (accept (reader, ']'))
        {
          reader->depth--;
          continue;
        }
      do
        {
          if (raws->len >= HEARTH_NOTIFY_BODY_MAX_ENTRIES)
            {
              g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                           "The NOTIFY body has more than %d entries",
                           HEARTH_NOTIFY_BODY_MAX_ENTRIES);
              return FALSE;
            }
          g_array_set_size (raws, raws->len + 1);
          if (!read_entry (reader, raws->len - 1, &g_array_index (raws, RawEntry, raws->len - 1)))
            return FALSE;
        }
      while (accept (reader, ','));
      if (!accept (reader, ']'))
        return syntax_error (reader, "a “,” or “]” was expected");
      reader->depth--;
    }
  while (accept (reader, ','));

  if (!accept (reader, '}'))
    return syntax_error (reader, "a “,” or “}” was expected");
  skip_space (reader);
  if (reader->p != reader->end)
    return syntax_error (reader, "text after the body");
  if (!have_events)
    goto not_an_envelope;
  return TRUE;

not_an_envelope:
  g_set_error (reader->error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
               "The NOTIFY body must be an object with an “events” array");
  return FALSE;
}

/**
 * hearth_notify_body_parse:
 * @data: the body of a NOTIFY request
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type HearthNotifyEntry): the entries in the order they
 *   happened (possibly none: a heartbeat), or %NULL with %HEARTH_ERROR_TOO_LARGE or
 *   %HEARTH_ERROR_INVALID_DATA
 */
GPtrArray *
hearth_notify_body_parse (const char *data, gsize length, GError **error)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GArray) raws = NULL;
  g_autoptr (GString) text = NULL;
  Reader reader;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > HEARTH_NOTIFY_BODY_MAX_BYTES)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "The NOTIFY body is %zu bytes long; at most %d are allowed", length,
                   HEARTH_NOTIFY_BODY_MAX_BYTES);
      return NULL;
    }
  /* The depth and token limits and the UTF-8 check are the reader's (enter(), count_token(),
   * read_string()); a NUL byte is a syntax error outside strings and a control character in
   * them. */

  text = g_string_sized_new (64);
  raws = g_array_sized_new (FALSE, TRUE, sizeof (RawEntry), 16);
  g_array_set_clear_func (raws, raw_entry_clear);
  reader = (Reader){ .start = data, .p = data, .end = data + length, .text = text, .error = error };
  if (!read_body (&reader, raws))
    return NULL;

  entries = g_ptr_array_new_full (raws->len, (GDestroyNotify)hearth_notify_entry_free);
  for (guint i = 0; i < raws->len; i++)
    {
      HearthNotifyEntry *entry = g_new0 (HearthNotifyEntry, 1);

      g_ptr_array_add (entries, entry);
      if (!check_entry (&g_array_index (raws, RawEntry, i), i, entry, error))
        return NULL;
    }

  return g_steal_pointer (&entries);
}
