/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Strict JSON (RFC 8259) for the firmware core: a tokenizer into a caller's
 * fixed token array with typed accessors, and a writer into a caller buffer.
 *
 * The parser accepts exactly RFC 8259 documents: any value at the top, only
 * whitespace after it, numbers by the grammar, strings of valid UTF-8 with
 * valid escapes (surrogate pairs must pair up), at most IOTSCP_JSON_MAX_DEPTH
 * nested containers. It also rejects an object with two equal keys (after
 * unescaping), so that no two readers can disagree about a document.
 *
 * Tokens point into the text, which must stay alive while they are used.
 *
 * Example:
 *
 *   iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS];
 *   iotscp_json_doc doc;
 *   iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
 *   if (iotscp_json_parse (&doc, body, body_len) < 0) -> 400 invalid-json
 *   int value = iotscp_json_object_get (&doc, 0, "value");
 *   int64_t v;
 *   if (value < 0 || iotscp_json_get_int64 (&doc, value, &v) < 0) -> 422
 */
#ifndef IOTSCP_JSON_H
#define IOTSCP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotscp_config.h"

/* Longest text the parser takes: token offsets are 16 bits wide. */
#define IOTSCP_JSON_MAX_TEXT 65535u

typedef enum iotscp_json_type
{
  IOTSCP_JSON_NONE = 0,
  IOTSCP_JSON_OBJECT,
  IOTSCP_JSON_ARRAY,
  IOTSCP_JSON_STRING,
  IOTSCP_JSON_NUMBER,
  IOTSCP_JSON_TRUE,
  IOTSCP_JSON_FALSE,
  IOTSCP_JSON_NULL,
} iotscp_json_type;

/* Errors returned (negated) by iotscp_json_parse. */
typedef enum iotscp_json_error
{
  IOTSCP_JSON_OK = 0,
  IOTSCP_JSON_ERR_SYNTAX = -1,  /* not JSON, or trailing garbage */
  IOTSCP_JSON_ERR_TOKENS = -2,  /* more tokens than the array holds */
  IOTSCP_JSON_ERR_DEPTH = -3,   /* nested deeper than IOTSCP_JSON_MAX_DEPTH */
  IOTSCP_JSON_ERR_UTF8 = -4,    /* invalid UTF-8 or a lone surrogate escape */
  IOTSCP_JSON_ERR_DUPKEY = -5,  /* an object has the same key twice */
  IOTSCP_JSON_ERR_TOO_LONG = -6 /* text longer than IOTSCP_JSON_MAX_TEXT */
} iotscp_json_error;

/*
 * One token. For strings, [start, end) is the raw text between the quotes
 * (escapes not yet decoded); for numbers and literals the literal itself; for
 * containers the whole text from the bracket to the closing bracket. `count`
 * is the number of elements of an array or members of an object. `next` is
 * the index of the first token after this token's subtree, used to skip it.
 * An object's tokens are its members in order: key (a string token), then
 * the value's subtree.
 */
typedef struct iotscp_json_token
{
  uint16_t start;
  uint16_t end;
  uint16_t next;
  uint16_t count;
  uint8_t type; /* iotscp_json_type */
} iotscp_json_token;

typedef struct iotscp_json_doc
{
  const char *text;
  iotscp_json_token *tokens;
  uint16_t capacity;
  uint16_t count;        /* tokens used by the last successful parse */
  uint16_t error_offset; /* byte offset of the first error */
} iotscp_json_doc;

/* Attaches a token array of `capacity` entries (at most 65535) to doc. */
void iotscp_json_doc_init (iotscp_json_doc *doc, iotscp_json_token *tokens, size_t capacity);

/*
 * Parses text[0..len) into doc's tokens. Returns 0 (the root is token 0) or
 * a negative iotscp_json_error; doc->error_offset says where it failed.
 */
int iotscp_json_parse (iotscp_json_doc *doc, const char *text, size_t len);

/* Type of token tok, or IOTSCP_JSON_NONE for an index out of range. */
iotscp_json_type iotscp_json_type_of (const iotscp_json_doc *doc, int tok);

/*
 * The value token of member `key` (NUL-terminated UTF-8, compared with the
 * unescaped key) of the object token obj, or -1 when obj is not an object or
 * has no such member.
 */
int iotscp_json_object_get (const iotscp_json_doc *doc, int obj, const char *key);

/*
 * Iteration over a container: iotscp_json_first() returns the first element
 * of an array or the first key of an object (-1 when empty or not a
 * container); iotscp_json_next() the element or key after `child` (-1 at the
 * end). For objects, the value of key k is token k + 1.
 *
 *   for (int k = iotscp_json_first (doc, obj); k >= 0; k = iotscp_json_next (doc, obj, k))
 *     use key k and value k + 1;
 */
int iotscp_json_first (const iotscp_json_doc *doc, int container);
int iotscp_json_next (const iotscp_json_doc *doc, int container, int child);

/* Typed accessors: 0 on success, -1 when the token has another type. */
int iotscp_json_get_bool (const iotscp_json_doc *doc, int tok, bool *out);

/*
 * Integer value of a number token. Accepts any spelling whose value is an
 * integer (1, 1.0, 1e2, -0) in the int64_t range; fails on a fraction
 * (1.5) or an out-of-range value.
 */
int iotscp_json_get_int64 (const iotscp_json_doc *doc, int tok, int64_t *out);

/* Value of a number token as a double; fails when it overflows to infinity. */
int iotscp_json_get_double (const iotscp_json_doc *doc, int tok, double *out);

/*
 * Unescapes a string token into buf (capacity cap, NUL-terminated; the result
 * is valid UTF-8). Fails when it does not fit or contains U+0000. Stores the
 * length without the NUL in *out_len when out_len is not NULL.
 */
int iotscp_json_get_string (const iotscp_json_doc *doc, int tok, char *buf, size_t cap,
                            size_t *out_len);

/* True when tok is a string whose unescaped value equals the NUL-terminated s. */
bool iotscp_json_string_equals (const iotscp_json_doc *doc, int tok, const char *s);

/* ---- Writer ---- */

/*
 * A JSON writer over a caller buffer. Calls never write past cap; when
 * something does not fit, or a call is out of place (a value where a key is
 * needed, NaN, unbalanced end), the writer records it and ignores further
 * calls. Check iotscp_jw_finish() once at the end.
 *
 *   iotscp_jw w;
 *   iotscp_jw_init (&w, buf, sizeof buf);
 *   iotscp_jw_object_begin (&w);
 *   iotscp_jw_key (&w, "value");
 *   iotscp_jw_int64 (&w, 42);
 *   iotscp_jw_object_end (&w);
 *   size_t n = iotscp_jw_finish (&w); // 0 on failure
 */
typedef struct iotscp_jw
{
  char *buf;
  size_t cap;
  size_t len;  /* bytes written so far (in a window: of the whole document) */
  size_t skip; /* window mode: the document's offset of buf[0] */
  bool window;
  uint32_t has_items; /* bit d: the container at depth d has an item already */
  uint32_t is_object; /* bit d: the container at depth d is an object */
  uint8_t depth;
  bool after_key;
  bool failed;
} iotscp_jw;

/* Starts writing into buf[0..cap). */
void iotscp_jw_init (iotscp_jw *w, char *buf, size_t cap);

/*
 * Starts writing a window of a document: of the bytes the calls produce, those at offsets
 * skip .. skip+cap-1 of the whole document go to buf[0..cap), the others are only counted.
 * Nothing fails for lack of room, and iotscp_jw_finish() returns the length of the whole
 * document (buf is not NUL-terminated). Writing the same document again with another skip
 * gives its next piece, which is how long answers are sent through a small buffer; with cap 0
 * it only measures the document.
 */
void iotscp_jw_init_window (iotscp_jw *w, char *buf, size_t cap, size_t skip);

void iotscp_jw_object_begin (iotscp_jw *w);
void iotscp_jw_object_end (iotscp_jw *w);
void iotscp_jw_array_begin (iotscp_jw *w);
void iotscp_jw_array_end (iotscp_jw *w);

/* Writes an object key (NUL-terminated UTF-8); the next call writes its value. */
void iotscp_jw_key (iotscp_jw *w, const char *key);

/*
 * Writes a string value. Control characters, '"' and '\' are escaped;
 * invalid UTF-8 bytes are written as U+FFFD, so the output is always valid
 * UTF-8. The _n form takes a length and may contain U+0000 (written \u0000).
 */
void iotscp_jw_string (iotscp_jw *w, const char *s);
void iotscp_jw_string_n (iotscp_jw *w, const char *s, size_t len);

void iotscp_jw_int64 (iotscp_jw *w, int64_t v);

/*
 * Writes the shortest decimal that reads back as exactly v. NaN and
 * infinities have no JSON form: they fail the writer.
 */
void iotscp_jw_double (iotscp_jw *w, double v);
void iotscp_jw_bool (iotscp_jw *w, bool v);
void iotscp_jw_null (iotscp_jw *w);

/*
 * Writes a pre-validated JSON value verbatim (for example a token range of a
 * parsed document). The caller vouches that it is one valid JSON value.
 */
void iotscp_jw_raw (iotscp_jw *w, const char *fragment, size_t len);

/*
 * Returns the length written (and NUL-terminates when there is room), or 0
 * when the writer failed or containers are still open.
 */
size_t iotscp_jw_finish (iotscp_jw *w);

#endif /* IOTSCP_JSON_H */
