/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-probe-message"

#include "hearth-probe-message.h"

#include <string.h>

#include "hearth-error.h"
#include "hearth-fingerprint.h"
#include "hearth-trust-store.h"

/* The hub's parser and builder of IOTSCP/2 multicast probe messages (docs/protocol.md §3). It
 * shares no code with the firmware's codec on purpose: the two ends are written separately and
 * kept honest by the golden vectors in tests/data/protocol/messages/.
 *
 * Every datagram that reaches it is untrusted: anyone on the link can send one. The parser is
 * strict and bounded, and a message that breaks any rule is refused whole:
 * - a datagram is at most HEARTH_PROBE_MAX_BYTES (1,200) bytes, and a PROBE at least
 *   HEARTH_PROBE_MIN_BYTES (400), as the protocol requires;
 * - at most MAX_LINES lines, keys of 1–MAX_KEY_BYTES bytes of [a-z], each key at most once;
 * - the whole message is valid UTF-8, every line ends in LF, and no value holds a control
 *   character (C0, DEL or C1);
 * - the known fields are validated exactly (nonce, device id, name, port, fingerprint, path,
 *   pair, v); unknown keys are ignored, as the protocol asks, but still count against the
 *   limits above. */

#define MAX_LINES 32
#define MAX_KEY_BYTES 16
#define NAME_MAX_BYTES 128
#define PATH_MAX_BYTES 128

G_DEFINE_BOXED_TYPE (HearthProbeMessage, hearth_probe_message, hearth_probe_message_copy,
                     hearth_probe_message_free)

HearthProbeMessage *
hearth_probe_message_copy (const HearthProbeMessage *message)
{
  HearthProbeMessage *copy = g_memdup2 (message, sizeof *message);

  copy->nonce = g_strdup (message->nonce);
  copy->device_id = g_strdup (message->device_id);
  copy->name = g_strdup (message->name);
  copy->fingerprint = g_strdup (message->fingerprint);
  copy->path = g_strdup (message->path);
  return copy;
}

void
hearth_probe_message_free (HearthProbeMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->nonce);
  g_free (message->device_id);
  g_free (message->name);
  g_free (message->fingerprint);
  g_free (message->path);
  g_free (message);
}

static gboolean
is_lower_hex (const char *text, gsize length)
{
  if (strlen (text) != length)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
      return FALSE;
  return TRUE;
}

/* A value holds no control character: C0 and DEL are bytes below 0x20 and 0x7f; C1
 * (U+0080–U+009F) is encoded in UTF-8 as 0xc2 0x80–0x9f. The message is already known to be
 * valid UTF-8 when this runs. */
static gboolean
has_control_character (const char *text)
{
  for (const guchar *p = (const guchar *)text; *p != '\0'; p++)
    {
      if (*p < 0x20 || *p == 0x7f)
        return TRUE;
      if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_port (const char *text, guint16 *port)
{
  guint value = 0;
  gsize length = strlen (text);

  /* Decimal without sign or leading zero, 1–65535. */
  if (length == 0 || length > 5 || text[0] == '0')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
      value = value * 10 + (guint)(text[i] - '0');
    }
  if (value > G_MAXUINT16)
    return FALSE;
  *port = (guint16)value;
  return TRUE;
}

static gboolean
is_valid_path (const char *text)
{
  gsize length = strlen (text);

  if (length == 0 || length > PATH_MAX_BYTES || text[0] != '/')
    return FALSE;
  /* A path is joined to "https://host:port", so it must not smuggle a query, a fragment, a
   * space or anything outside printable ASCII. */
  for (gsize i = 0; i < length; i++)
    if (text[i] <= ' ' || text[i] >= 0x7f || text[i] == '?' || text[i] == '#')
      return FALSE;
  return TRUE;
}

static gboolean
is_valid_name (const char *text)
{
  gsize length = strlen (text);

  return length > 0 && length <= NAME_MAX_BYTES && !has_control_character (text);
}

static gboolean
fail (GError **error, const char *what)
{
  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA, "Invalid probe message: %s", what);
  return FALSE;
}

static HearthProbeMessage *
refuse (GError **error, const char *what)
{
  fail (error, what);
  return NULL;
}

/* Splits the lines after the verb line into @fields (key → value, both pointing into @text,
 * which is modified in place). */
static gboolean
split_fields (char *text, GHashTable *fields, GError **error)
{
  guint n_lines = 1;
  char *line = text;

  while (*line != '\0')
    {
      char *end = strchr (line, '\n');
      char *equals;
      gsize key_length;

      /* The caller checked that the message ends in LF, so every line has one. */
      g_assert (end != NULL);
      *end = '\0';
      if (++n_lines > MAX_LINES)
        return fail (error, "too many lines");
      equals = strchr (line, '=');
      if (equals == NULL)
        return fail (error, "a line without '='");
      key_length = (gsize)(equals - line);
      if (key_length == 0 || key_length > MAX_KEY_BYTES)
        return fail (error, "a key of the wrong length");
      for (gsize i = 0; i < key_length; i++)
        if (line[i] < 'a' || line[i] > 'z')
          return fail (error, "a key that is not [a-z]+");
      *equals = '\0';
      if (has_control_character (equals + 1))
        return fail (error, "a control character in a value");
      if (!g_hash_table_insert (fields, line, equals + 1))
        return fail (error, "a key that appears twice");
      line = end + 1;
    }

  return TRUE;
}

static gboolean
parse_device_fields (GHashTable *fields, HearthProbeMessage *message, GError **error)
{
  const char *device_id = g_hash_table_lookup (fields, "id");
  const char *name = g_hash_table_lookup (fields, "name");
  const char *port = g_hash_table_lookup (fields, "port");
  const char *fingerprint = g_hash_table_lookup (fields, "fp");
  const char *path = g_hash_table_lookup (fields, "path");
  const char *pair = g_hash_table_lookup (fields, "pair");
  const char *version = g_hash_table_lookup (fields, "v");

  if (!hearth_trust_device_id_is_valid (device_id))
    return fail (error, "missing or invalid id");
  if (name == NULL || !is_valid_name (name))
    return fail (error, "missing or invalid name");
  if (port == NULL || !parse_port (port, &message->port))
    return fail (error, "missing or invalid port");
  if (fingerprint == NULL || !is_lower_hex (fingerprint, HEARTH_FINGERPRINT_LENGTH))
    return fail (error, "missing or invalid fp");
  if (path == NULL || !is_valid_path (path))
    return fail (error, "missing or invalid path");
  if (g_strcmp0 (pair, "0") != 0 && g_strcmp0 (pair, "1") != 0)
    return fail (error, "missing or invalid pair");
  if (g_strcmp0 (version, "2") != 0)
    return fail (error, "missing or unsupported v");

  message->device_id = g_strdup (device_id);
  message->name = g_strdup (name);
  message->fingerprint = g_strdup (fingerprint);
  message->path = g_strdup (path);
  message->is_pairing = pair[0] == '1';
  return TRUE;
}

/**
 * hearth_probe_message_parse:
 * @data: (array length=length): one datagram as received
 * @length: its size in bytes
 * @error: return location for a #GError in the %HEARTH_ERROR domain
 *
 * Parses one probe, answer or announcement under the limits described at the top of this
 * file. A message that breaks any rule is refused whole (callers drop it silently, as
 * docs/protocol.md §3.2 asks).
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 */
HearthProbeMessage *
hearth_probe_message_parse (const guint8 *data, gsize length, GError **error)
{
  g_autoptr (HearthProbeMessage) message = g_new0 (HearthProbeMessage, 1);
  g_autoptr (GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *text = NULL;
  const char *nonce;
  char *first_end;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > HEARTH_PROBE_MAX_BYTES)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE,
                   "Probe message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %d bytes",
                   length, HEARTH_PROBE_MAX_BYTES);
      return NULL;
    }
  if (length == 0 || data[length - 1] != '\n')
    return refuse (error, "does not end in LF");
  if (memchr (data, '\0', length) != NULL)
    return refuse (error, "a NUL byte");
  if (!g_utf8_validate ((const char *)data, (gssize)length, NULL))
    return refuse (error, "not valid UTF-8");

  text = g_strndup ((const char *)data, length);
  first_end = strchr (text, '\n');
  *first_end = '\0';
  if (strcmp (text, "IOTSCP/2 PROBE") == 0)
    message->verb = HEARTH_PROBE_VERB_PROBE;
  else if (strcmp (text, "IOTSCP/2 HERE") == 0)
    message->verb = HEARTH_PROBE_VERB_HERE;
  else if (strcmp (text, "IOTSCP/2 HELLO") == 0)
    message->verb = HEARTH_PROBE_VERB_HELLO;
  else
    return refuse (error, "unknown verb line");

  if (!split_fields (first_end + 1, fields, error))
    return NULL;

  nonce = g_hash_table_lookup (fields, "nonce");
  switch (message->verb)
    {
      case HEARTH_PROBE_VERB_PROBE:
        {
          const char *device_id = g_hash_table_lookup (fields, "id");
          const char *pad = g_hash_table_lookup (fields, "pad");

          if (length < HEARTH_PROBE_MIN_BYTES)
            return refuse (error, "a probe shorter than 400 bytes");
          if (nonce == NULL || !is_lower_hex (nonce, HEARTH_PROBE_NONCE_LENGTH))
            return refuse (error, "missing or invalid nonce");
          if (device_id != NULL && !hearth_trust_device_id_is_valid (device_id))
            return refuse (error, "invalid id");
          if (pad != NULL && strspn (pad, ".") != strlen (pad))
            return refuse (error, "a pad that is not only '.'");
          message->nonce = g_strdup (nonce);
          message->device_id = g_strdup (device_id);
          break;
        }
      case HEARTH_PROBE_VERB_HERE:
        if (nonce == NULL || !is_lower_hex (nonce, HEARTH_PROBE_NONCE_LENGTH))
          return refuse (error, "missing or invalid nonce");
        if (!parse_device_fields (fields, message, error))
          return NULL;
        message->nonce = g_strdup (nonce);
        break;
      case HEARTH_PROBE_VERB_HELLO:
        /* A HELLO answers no probe; a nonce in it means nothing and is ignored like any
       * unknown key. */
        if (!parse_device_fields (fields, message, error))
          return NULL;
        break;
      default:
        g_assert_not_reached ();
    }

  return g_steal_pointer (&message);
}

/**
 * hearth_probe_message_new_nonce:
 *
 * Returns: (transfer full): 16 random lowercase hex digits for a new probe
 */
char *
hearth_probe_message_new_nonce (void)
{
  return g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
}

/**
 * hearth_probe_message_build_probe:
 * @nonce: 16 lowercase hex digits
 * @device_id: (nullable): ask only this device to answer
 * @size: the datagram size, HEARTH_PROBE_MIN_BYTES to HEARTH_PROBE_MAX_BYTES
 * @error: return location for a #GError
 *
 * Builds a probe padded with '.' to exactly @size bytes. The padding keeps the answer from
 * ever being larger than the probe, so a forged source address cannot turn devices into
 * amplifiers (docs/protocol.md §3.3).
 *
 * Returns: (transfer full) (nullable): the datagram
 */
GBytes *
hearth_probe_message_build_probe (const char *nonce, const char *device_id, gsize size,
                                  GError **error)
{
  g_autoptr (GString) text = g_string_new ("IOTSCP/2 PROBE\n");
  gsize pad_length;

  if (nonce == NULL || !is_lower_hex (nonce, HEARTH_PROBE_NONCE_LENGTH))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A probe nonce must be 16 lowercase hex digits");
      return NULL;
    }
  if (device_id != NULL && !hearth_trust_device_id_is_valid (device_id))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a valid device id", device_id);
      return NULL;
    }
  if (size < HEARTH_PROBE_MIN_BYTES || size > HEARTH_PROBE_MAX_BYTES)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A probe is %d to %d bytes, not %" G_GSIZE_FORMAT, HEARTH_PROBE_MIN_BYTES,
                   HEARTH_PROBE_MAX_BYTES, size);
      return NULL;
    }

  g_string_append_printf (text, "nonce=%s\n", nonce);
  if (device_id != NULL)
    g_string_append_printf (text, "id=%s\n", device_id);
  g_string_append (text, "pad=");
  /* The 64-byte id at most leaves well over 300 bytes of room at the minimum size. */
  pad_length = size - text->len - 1;
  for (gsize i = 0; i < pad_length; i++)
    g_string_append_c (text, '.');
  g_string_append_c (text, '\n');
  g_assert (text->len == size);

  return g_string_free_to_bytes (g_steal_pointer (&text));
}
