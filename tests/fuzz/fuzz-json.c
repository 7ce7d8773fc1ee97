/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the firmware JSON parser, its accessors and its writer. A
 * document that parses is written out again with the writer, and that text
 * must parse to the same token structure; integers and doubles read from the
 * same number must agree.
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "iotscp_json.h"

#define MAX_INPUT 8192

static iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS], tokens2[IOTSCP_JSON_MAX_TOKENS];
static char out[MAX_INPUT * 3 + 64];
static char string_buf[MAX_INPUT + 1];

/* Writes token tok and its subtree; returns the token after it. */
static int
write_value (const iotscp_json_doc *doc, int tok, iotscp_jw *w)
{
  const iotscp_json_token *t = &doc->tokens[tok];
  switch ((iotscp_json_type)t->type)
    {
      case IOTSCP_JSON_OBJECT:
        iotscp_jw_object_begin (w);
        for (int k = iotscp_json_first (doc, tok); k >= 0; k = iotscp_json_next (doc, tok, k))
          {
            size_t len;
            FUZZ_CHECK (iotscp_json_type_of (doc, k) == IOTSCP_JSON_STRING);
            if (iotscp_json_get_string (doc, k, string_buf, sizeof string_buf, &len) == 0)
              {
                FUZZ_CHECK (iotscp_json_object_get (doc, tok, string_buf) == k + 1);
                iotscp_jw_key (w, string_buf);
              }
            else
              iotscp_jw_key (w, "\xe2\x88\x85 NUL key"); /* keys with U+0000 cannot be C strings */
            write_value (doc, k + 1, w);
          }
        iotscp_jw_object_end (w);
        return t->next;
      case IOTSCP_JSON_ARRAY:
        iotscp_jw_array_begin (w);
        for (int e = iotscp_json_first (doc, tok); e >= 0; e = iotscp_json_next (doc, tok, e))
          write_value (doc, e, w);
        iotscp_jw_array_end (w);
        return t->next;
      case IOTSCP_JSON_STRING:
        {
          size_t len;
          if (iotscp_json_get_string (doc, tok, string_buf, sizeof string_buf, &len) == 0)
            {
              FUZZ_CHECK (len == strlen (string_buf));
              FUZZ_CHECK (iotscp_json_string_equals (doc, tok, string_buf));
              iotscp_jw_string (w, string_buf);
            }
          else
            iotscp_jw_raw (w, doc->text + t->start - 1, (size_t)(t->end - t->start) + 2u);
          return tok + 1;
        }
      case IOTSCP_JSON_NUMBER:
        {
          int64_t i;
          double d;
          bool have_i = iotscp_json_get_int64 (doc, tok, &i) == 0;
          bool have_d = iotscp_json_get_double (doc, tok, &d) == 0;
          if (have_i && have_d && i > -(INT64_C (1) << 53) && i < (INT64_C (1) << 53))
            FUZZ_CHECK ((double)i == d);
          if (have_d)
            iotscp_jw_double (w, d);
          else
            iotscp_jw_raw (w, doc->text + t->start, (size_t)(t->end - t->start));
          return tok + 1;
        }
      case IOTSCP_JSON_TRUE:
      case IOTSCP_JSON_FALSE:
        {
          bool b;
          FUZZ_CHECK (iotscp_json_get_bool (doc, tok, &b) == 0);
          iotscp_jw_bool (w, b);
          return tok + 1;
        }
      case IOTSCP_JSON_NULL:
        iotscp_jw_null (w);
        return tok + 1;
      default:
        FUZZ_CHECK (0);
        return tok + 1;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size > MAX_INPUT)
    return 0;
  iotscp_json_doc doc, again;
  iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
  int r = iotscp_json_parse (&doc, (const char *)data, size);
  FUZZ_CHECK (r <= 0 && r >= IOTSCP_JSON_ERR_TOO_LONG);
  if (r < 0)
    {
      FUZZ_CHECK (doc.error_offset <= size);
      return 0;
    }
  FUZZ_CHECK (doc.count >= 1 && doc.count <= IOTSCP_JSON_MAX_TOKENS);
  FUZZ_CHECK (doc.tokens[0].next == doc.count);
  for (int t = 0; t < doc.count; t++)
    FUZZ_CHECK (doc.tokens[t].start <= doc.tokens[t].end && doc.tokens[t].end <= size
                && doc.tokens[t].next > t && doc.tokens[t].next <= doc.count);

  iotscp_jw w;
  iotscp_jw_init (&w, out, sizeof out);
  FUZZ_CHECK (write_value (&doc, 0, &w) == doc.count);
  size_t len = iotscp_jw_finish (&w);
  FUZZ_CHECK (len > 0);

  iotscp_json_doc_init (&again, tokens2, IOTSCP_JSON_MAX_TOKENS);
  int r2 = iotscp_json_parse (&again, out, len);
  /* Keys with U+0000 were renamed, which can make two keys equal. */
  FUZZ_CHECK (r2 == 0 || r2 == IOTSCP_JSON_ERR_DUPKEY);
  if (r2 == 0)
    {
      FUZZ_CHECK (again.count == doc.count);
      for (int t = 0; t < doc.count; t++)
        FUZZ_CHECK (again.tokens[t].type == doc.tokens[t].type
                    && again.tokens[t].count == doc.tokens[t].count
                    && again.tokens[t].next == doc.tokens[t].next);
    }
  return 0;
}
