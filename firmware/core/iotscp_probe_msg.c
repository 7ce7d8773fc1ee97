/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "iotscp_probe_msg.h"

#include <string.h>

#include "iotscp_text.h"

typedef struct field
{
  const char *value; /* NULL when the key is absent */
  size_t len;
} field;

static bool
has_control (const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return true;
  return false;
}

/*
 * Splits a message into its verb and key=value lines, checking the rules of
 * protocol.md section 3.2. On success, *verb is the index of the verb in
 * verbs and fields[k] holds the value of keys[k] (unknown keys are skipped).
 */
static int
split_message (const char *msg, size_t len, const char *const *verbs, int verb_count, int *verb,
               const char *const *keys, field *fields, int key_count)
{
  if (len == 0 || msg[len - 1] != '\n' || !iotscp_text_utf8_valid (msg, len))
    return -1;
  for (int k = 0; k < key_count; k++)
    fields[k].value = NULL;

  const char *end = msg + len;
  const char *line_end = memchr (msg, '\n', len);
  *verb = -1;
  for (int i = 0; i < verb_count; i++)
    if ((size_t)(line_end - msg) == strlen (verbs[i])
        && memcmp (msg, verbs[i], strlen (verbs[i])) == 0)
      *verb = i;
  if (*verb < 0)
    return -1;

  for (const char *line = line_end + 1; line < end; line = line_end + 1)
    {
      line_end = memchr (line, '\n', (size_t)(end - line));
      const char *p = line;
      while (p < line_end && *p >= 'a' && *p <= 'z')
        p++;
      size_t key_len = (size_t)(p - line);
      if (key_len == 0 || p == line_end || *p != '=')
        return -1;
      const char *value = p + 1;
      size_t value_len = (size_t)(line_end - value);
      if (has_control (value, value_len))
        return -1;
      /* A key appears at most once: compare with the keys of the lines before. */
      for (const char *q = memchr (msg, '\n', len) + 1; q < line;
           q = (const char *)memchr (q, '\n', (size_t)(end - q)) + 1)
        if (strncmp (q, line, key_len + 1) == 0)
          return -1;
      for (int k = 0; k < key_count; k++)
        if (strlen (keys[k]) == key_len && memcmp (keys[k], line, key_len) == 0)
          {
            fields[k].value = value;
            fields[k].len = value_len;
          }
    }
  return 0;
}

/* Copies a field into a NUL-terminated buffer of cap bytes; fails when it does not fit. */
static bool
copy_field (const field *f, char *out, size_t cap)
{
  if (!f->value || f->len >= cap)
    return false;
  memcpy (out, f->value, f->len);
  out[f->len] = '\0';
  return true;
}

static bool
is_nonce (const char *s, size_t len)
{
  return len == IOTSCP_PROBE_NONCE_LEN && iotscp_text_is_lower_hex (s, len);
}

enum
{
  PROBE_NONCE,
  PROBE_ID,
  PROBE_PAD,
  PROBE_KEYS
};

int
iotscp_probe_parse (const void *msg, size_t len, iotscp_probe *out)
{
  static const char *const verbs[] = { "IOTSCP/2 PROBE" };
  static const char *const keys[PROBE_KEYS] = { "nonce", "id", "pad" };
  field fields[PROBE_KEYS];
  int verb;
  if (len < IOTSCP_PROBE_MIN_SIZE || len > IOTSCP_PROBE_MAX_SIZE
      || split_message (msg, len, verbs, 1, &verb, keys, fields, PROBE_KEYS) < 0)
    return -1;
  if (!fields[PROBE_NONCE].value || !is_nonce (fields[PROBE_NONCE].value, fields[PROBE_NONCE].len)
      || !fields[PROBE_PAD].value)
    return -1;
  for (size_t i = 0; i < fields[PROBE_PAD].len; i++)
    if (fields[PROBE_PAD].value[i] != '.')
      return -1;
  copy_field (&fields[PROBE_NONCE], out->nonce, sizeof out->nonce);
  out->has_id = fields[PROBE_ID].value != NULL;
  out->id[0] = '\0';
  if (out->has_id
      && (!iotscp_text_is_device_id (fields[PROBE_ID].value, fields[PROBE_ID].len)
          || !copy_field (&fields[PROBE_ID], out->id, sizeof out->id)))
    return -1;
  return 0;
}

/* Appends to a bounded buffer; *ok turns false on overflow. */
static void
append (char *buf, size_t cap, size_t *len, bool *ok, const char *s, size_t n)
{
  if (!*ok || n > cap - *len)
    {
      *ok = false;
      return;
    }
  memcpy (buf + *len, s, n);
  *len += n;
}

static void
append_line (char *buf, size_t cap, size_t *len, bool *ok, const char *key, const char *value)
{
  append (buf, cap, len, ok, key, strlen (key));
  append (buf, cap, len, ok, "=", 1);
  append (buf, cap, len, ok, value, strlen (value));
  append (buf, cap, len, ok, "\n", 1);
}

size_t
iotscp_probe_format (char *buf, size_t cap, size_t size, const char *nonce, const char *id)
{
  if (size < IOTSCP_PROBE_MIN_SIZE || size > IOTSCP_PROBE_MAX_SIZE || cap < size || !nonce
      || !is_nonce (nonce, strlen (nonce)) || (id && !iotscp_text_is_device_id (id, strlen (id))))
    return 0;
  size_t len = 0;
  bool ok = true;
  append (buf, size, &len, &ok, "IOTSCP/2 PROBE\n", 15);
  append_line (buf, size, &len, &ok, "nonce", nonce);
  if (id)
    append_line (buf, size, &len, &ok, "id", id);
  append (buf, size, &len, &ok, "pad=", 4);
  if (!ok || len + 1 > size)
    return 0;
  memset (buf + len, '.', size - len - 1);
  buf[size - 1] = '\n';
  return size;
}

size_t
iotscp_probe_answer_format (char *buf, size_t cap, size_t max_size, const char *nonce,
                            const iotscp_probe_info *info)
{
  if (!info->id || !info->name || !info->fp || !info->path || info->port == 0)
    return 0;
  size_t name_len = strlen (info->name), path_len = strlen (info->path);
  if (!iotscp_text_is_device_id (info->id, strlen (info->id)) || strlen (info->fp) != 64
      || !iotscp_text_is_lower_hex (info->fp, 64) || name_len == 0
      || name_len > IOTSCP_DEVICE_NAME_MAX || has_control (info->name, name_len)
      || !iotscp_text_utf8_valid (info->name, name_len) || info->path[0] != '/'
      || path_len > IOTSCP_PROBE_PATH_MAX || has_control (info->path, path_len)
      || !iotscp_text_utf8_valid (info->path, path_len)
      || (nonce && !is_nonce (nonce, strlen (nonce))))
    return 0;
  size_t limit = cap < max_size ? cap : max_size, len = 0;
  bool ok = true;
  char port[6];
  size_t p = sizeof port - 1;
  port[p] = '\0';
  for (unsigned v = info->port; v; v /= 10)
    port[--p] = (char)('0' + v % 10);

  const char *verb = nonce ? "IOTSCP/2 HERE\n" : "IOTSCP/2 HELLO\n";
  append (buf, limit, &len, &ok, verb, strlen (verb));
  if (nonce)
    append_line (buf, limit, &len, &ok, "nonce", nonce);
  append_line (buf, limit, &len, &ok, "id", info->id);
  append_line (buf, limit, &len, &ok, "name", info->name);
  append_line (buf, limit, &len, &ok, "port", port + p);
  append_line (buf, limit, &len, &ok, "fp", info->fp);
  append_line (buf, limit, &len, &ok, "path", info->path);
  append_line (buf, limit, &len, &ok, "pair", info->pair ? "1" : "0");
  append_line (buf, limit, &len, &ok, "v", "2");
  return ok ? len : 0;
}

enum
{
  ANSWER_NONCE,
  ANSWER_ID,
  ANSWER_NAME,
  ANSWER_PORT,
  ANSWER_FP,
  ANSWER_PATH,
  ANSWER_PAIR,
  ANSWER_V,
  ANSWER_KEYS
};

int
iotscp_probe_answer_parse (const void *msg, size_t len, iotscp_probe_answer *out)
{
  static const char *const verbs[] = { "IOTSCP/2 HERE", "IOTSCP/2 HELLO" };
  static const char *const keys[ANSWER_KEYS]
      = { "nonce", "id", "name", "port", "fp", "path", "pair", "v" };
  field f[ANSWER_KEYS];
  int verb;
  if (len > IOTSCP_PROBE_MAX_SIZE
      || split_message (msg, len, verbs, 2, &verb, keys, f, ANSWER_KEYS) < 0)
    return -1;
  memset (out, 0, sizeof *out);
  out->hello = verb == 1;
  for (int k = ANSWER_ID; k < ANSWER_KEYS; k++)
    if (!f[k].value)
      return -1;
  if (out->hello
          ? f[ANSWER_NONCE].value != NULL
          : (!f[ANSWER_NONCE].value || !is_nonce (f[ANSWER_NONCE].value, f[ANSWER_NONCE].len)))
    return -1;
  if (!out->hello)
    copy_field (&f[ANSWER_NONCE], out->nonce, sizeof out->nonce);
  uint64_t port;
  if (!iotscp_text_is_device_id (f[ANSWER_ID].value, f[ANSWER_ID].len)
      || !copy_field (&f[ANSWER_ID], out->id, sizeof out->id) || f[ANSWER_NAME].len == 0
      || !copy_field (&f[ANSWER_NAME], out->name, sizeof out->name)
      || iotscp_text_parse_uint (f[ANSWER_PORT].value, f[ANSWER_PORT].len, 65535, &port) < 0
      || port == 0 || f[ANSWER_FP].len != 64 || !iotscp_text_is_lower_hex (f[ANSWER_FP].value, 64)
      || !copy_field (&f[ANSWER_FP], out->fp, sizeof out->fp) || f[ANSWER_PATH].len == 0
      || f[ANSWER_PATH].value[0] != '/'
      || !copy_field (&f[ANSWER_PATH], out->path, sizeof out->path) || f[ANSWER_PAIR].len != 1
      || (f[ANSWER_PAIR].value[0] != '0' && f[ANSWER_PAIR].value[0] != '1') || f[ANSWER_V].len != 1
      || f[ANSWER_V].value[0] != '2')
    return -1;
  out->port = (uint16_t)port;
  out->pair = f[ANSWER_PAIR].value[0] == '1';
  return 0;
}
