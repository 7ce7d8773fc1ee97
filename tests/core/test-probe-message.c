/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hub's probe message parser and builder (src/core/hearth-probe-message.c) against the
 * golden vectors in tests/data/protocol/messages/ and a table of malformed messages, each of
 * which must be refused. */

#include <string.h>

#include "core-test-utils.h"
#include "hearth-error.h"
#include "hearth-probe-message.h"

#define GOLDEN_FINGERPRINT "d8888f22474916b163b7fbfd9e0e7e9c2640bdcce461f891e7764dfb22408fcd"

static GBytes *
load_golden (const char *name)
{
  g_autofree char *relative = g_build_filename ("protocol", "messages", name, NULL);
  g_autofree char *path = core_test_data_path (relative);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static HearthProbeMessage *
parse_bytes (GBytes *bytes, GError **error)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  return hearth_probe_message_parse (data, length, error);
}

static HearthProbeMessage *
parse_text (const char *text, GError **error)
{
  return hearth_probe_message_parse ((const guint8 *)text, strlen (text), error);
}

static void
test_golden_probe (void)
{
  g_autoptr (GBytes) probe = load_golden ("probe.msg");
  g_autoptr (GBytes) probe_id = load_golden ("probe-id.msg");
  g_autoptr (GBytes) too_short = load_golden ("probe-too-short.msg");
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthProbeMessage) message = NULL;

  g_assert_cmpuint (g_bytes_get_size (probe), ==, 400);
  message = parse_bytes (probe, &error);
  g_assert_no_error (error);
  g_assert_cmpint (message->verb, ==, HEARTH_PROBE_VERB_PROBE);
  g_assert_cmpuint (strlen (message->nonce), ==, 16);
  g_assert_null (message->device_id);
  g_clear_pointer (&message, hearth_probe_message_free);

  message = parse_bytes (probe_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (message->nonce, ==, "00ff00ff00ff00ff");
  g_assert_cmpstr (message->device_id, ==, "sim-0123456789abcdef");
  g_clear_pointer (&message, hearth_probe_message_free);

  message = parse_bytes (too_short, &error);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  g_assert_null (message);
}

static void
check_device_facts (HearthProbeMessage *message)
{
  g_assert_cmpstr (message->device_id, ==, "sim-0123456789abcdef");
  g_assert_cmpstr (message->name, ==,
                   "K\xc3\xbc"
                   "che \xe2\x98\x80");
  g_assert_cmpuint (message->port, ==, 4443);
  g_assert_cmpstr (message->fingerprint, ==, GOLDEN_FINGERPRINT);
  g_assert_cmpstr (message->path, ==, "/.well-known/iotscp");
  g_assert_false (message->is_pairing);
}

static void
test_golden_here_and_hello (void)
{
  g_autoptr (GBytes) here = load_golden ("here.msg");
  g_autoptr (GBytes) hello = load_golden ("hello.msg");
  g_autoptr (GBytes) probe = load_golden ("probe.msg");
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthProbeMessage) message = NULL;
  g_autoptr (HearthProbeMessage) probe_message = parse_bytes (probe, NULL);
  g_autoptr (HearthProbeMessage) copy = NULL;

  message = parse_bytes (here, &error);
  g_assert_no_error (error);
  g_assert_cmpint (message->verb, ==, HEARTH_PROBE_VERB_HERE);
  /* The answer echoes the golden probe's nonce and is never larger than it. */
  g_assert_cmpstr (message->nonce, ==, probe_message->nonce);
  g_assert_cmpuint (g_bytes_get_size (here), <=, g_bytes_get_size (probe));
  check_device_facts (message);
  copy = hearth_probe_message_copy (message);
  check_device_facts (copy);
  g_clear_pointer (&message, hearth_probe_message_free);

  message = parse_bytes (hello, &error);
  g_assert_no_error (error);
  g_assert_cmpint (message->verb, ==, HEARTH_PROBE_VERB_HELLO);
  g_assert_null (message->nonce);
  check_device_facts (message);
}

/* Replaces the first occurrence of @from in the golden answer with @to. */
static char *
mutate_here (const char *from, const char *to)
{
  g_autoptr (GBytes) here = load_golden ("here.msg");
  g_autofree char *text = g_strndup (g_bytes_get_data (here, NULL), g_bytes_get_size (here));
  const char *at = strstr (text, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int)(at - text), text, to, at + strlen (from));
}

static void
test_malformed (void)
{
  static const struct
  {
    const char *from;
    const char *to;
  } mutations[] = {
    { "IOTSCP/2 HERE\n", "IOTSCP/2 HERE \n" },
    { "IOTSCP/2 HERE\n", "IOTSCP/1 HERE\n" },
    { "IOTSCP/2 HERE\n", "iotscp/2 here\n" },
    { "IOTSCP/2 HERE\n", "IOTSCP/2 HERE\r\n" },
    { "v=2\n", "v=2" },
    { "v=2\n", "v=2\r\n" },
    { "v=2\n", "v=2\n\n" },
    { "v=2\n", "v=3\n" },
    { "v=2\n", "" },
    { "v=2\n", "v=2\nv=2\n" },
    { "nonce=5a0c3e9d71b24f86\n", "" },
    { "nonce=5a0c3e9d71b24f86\n", "nonce=5a0c3e9d71b24f8\n" },
    { "nonce=5a0c3e9d71b24f86\n", "nonce=5A0C3E9D71B24F86\n" },
    { "nonce=5a0c3e9d71b24f86\n", "nonce=5a0c3e9d71b24f86a\n" },
    { "id=sim-0123456789abcdef\n", "" },
    { "id=sim-0123456789abcdef\n", "id=\n" },
    { "id=sim-0123456789abcdef\n", "id=Sim-0123456789abcdef\n" },
    { "id=sim-0123456789abcdef\n", "id=sim_0123456789abcdef\n" },
    { "id=sim-0123456789abcdef\n",
      "id=sim-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" },
    { "name=K", "name=\x01K" },
    { "name=K", "name=\x7fK" },
    { "name=K", "name=\xc2\x85K" },
    { "name=K", "name=\tK" },
    { "name=K\xc3\xbc"
      "che \xe2\x98\x80\n",
      "name=\n" },
    { "name=K", "name=\xc3\x28K" },
    { "name=K", "name=\xedK" },
    { "port=4443\n", "" },
    { "port=4443\n", "port=0\n" },
    { "port=4443\n", "port=04443\n" },
    { "port=4443\n", "port=65536\n" },
    { "port=4443\n", "port=4443a\n" },
    { "port=4443\n", "port=-1\n" },
    { "port=4443\n", "port=+4443\n" },
    { "port=4443\n", "port=\n" },
    { "fp=d8888f22", "fp=D8888F22" },
    { "fp=d8888f22", "fp=d8888f2" },
    { "fp=d8888f22", "fp=xd8888f22" },
    { "fp=d8888f22474916b163b7fbfd9e0e7e9c2640bdcce461f891e7764dfb22408fcd\n", "fp=d8888f22\n" },
    { "path=/.well-known/iotscp\n", "" },
    { "path=/.well-known/iotscp\n", "path=.well-known/iotscp\n" },
    { "path=/.well-known/iotscp\n", "path=/.well-known/iotscp?x=1\n" },
    { "path=/.well-known/iotscp\n", "path=/.well known/iotscp\n" },
    { "pair=0\n", "" },
    { "pair=0\n", "pair=2\n" },
    { "pair=0\n", "pair=00\n" },
    { "pair=0\n", "pair=0\nPair=1\n" },
    { "pair=0\n", "pair=0\nx-y=1\n" },
    { "pair=0\n", "pair=0\n=1\n" },
    { "pair=0\n", "pair=0\nno-equals-sign\n" },
    { "pair=0\n", "pair=0\nabcdefghijklmnopq=1\n" },
    { "pair=0\n", "pair=0\nextra=a\x00b\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (mutations); i++)
    {
      g_autofree char *text = mutate_here (mutations[i].from, mutations[i].to);
      g_autoptr (GError) error = NULL;
      g_autoptr (HearthProbeMessage) message = parse_text (text, &error);

      if (message != NULL)
        g_error ("mutation %u (“%s” → “%s”) was accepted", i, mutations[i].from, mutations[i].to);
      g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
    }
}

static void
test_limits (void)
{
  g_autoptr (GString) text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthProbeMessage) message = NULL;
  g_autofree char *base = mutate_here ("v=2\n", "v=2\nunknown=value\n");

  /* Unknown keys are ignored (docs/protocol.md §3.2). */
  message = parse_text (base, &error);
  g_assert_no_error (error);
  check_device_facts (message);
  g_clear_pointer (&message, hearth_probe_message_free);

  /* Exactly 1,200 bytes is accepted, 1,201 is refused before anything else is looked at. */
  text = g_string_new (base);
  g_string_truncate (text, text->len - 1);
  while (text->len < HEARTH_PROBE_MAX_BYTES - 1)
    g_string_append_c (text, 'x');
  g_string_append_c (text, '\n');
  g_assert_cmpuint (text->len, ==, 1200);
  message = parse_text (text->str, &error);
  g_assert_no_error (error);
  g_clear_pointer (&message, hearth_probe_message_free);
  g_string_insert_c (text, text->len - 1, 'x');
  message = parse_text (text->str, &error);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_TOO_LARGE);
  g_assert_null (message);
  g_clear_error (&error);

  /* At most 32 lines. */
  g_string_assign (text, "IOTSCP/2 HELLO\nid=sim-1\nname=n\nport=1\nfp=" GOLDEN_FINGERPRINT
                         "\npath=/p\npair=1\nv=2\n");
  for (char key = 'a'; key < 'a' + 24; key++)
    g_string_append_printf (text, "u%c=1\n", key);
  message = parse_text (text->str, &error);
  g_assert_no_error (error);
  g_assert_true (message->is_pairing);
  g_clear_pointer (&message, hearth_probe_message_free);
  g_string_append (text, "uz=1\n");
  message = parse_text (text->str, &error);
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Empty input and a lone LF are refused. */
  g_assert_null (hearth_probe_message_parse ((const guint8 *)"", 0, NULL));
  g_assert_null (parse_text ("\n", NULL));
  g_assert_null (parse_text ("IOTSCP/2 HELLO\n", NULL));
}

static void
test_build_probe (void)
{
  g_autofree char *nonce = hearth_probe_message_new_nonce ();
  g_autofree char *other_nonce = hearth_probe_message_new_nonce ();
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (strlen (nonce), ==, 16);
  g_assert_cmpstr (nonce, !=, other_nonce);

  for (gsize size = HEARTH_PROBE_MIN_BYTES; size <= HEARTH_PROBE_MAX_BYTES; size += 100)
    for (guint with_id = 0; with_id < 2; with_id++)
      {
        const char *device_id = with_id ? "sim-0123456789abcdef" : NULL;
        g_autoptr (GBytes) probe
            = hearth_probe_message_build_probe (nonce, device_id, size, &error);
        g_autoptr (HearthProbeMessage) message = NULL;

        g_assert_no_error (error);
        g_assert_cmpuint (g_bytes_get_size (probe), ==, size);
        message = parse_bytes (probe, &error);
        g_assert_no_error (error);
        g_assert_cmpint (message->verb, ==, HEARTH_PROBE_VERB_PROBE);
        g_assert_cmpstr (message->nonce, ==, nonce);
        g_assert_cmpstr (message->device_id, ==, device_id);
      }

  /* The builder's 400-byte probe is byte for byte the golden one with the golden nonce. */
  {
    g_autoptr (GBytes) golden = load_golden ("probe-id.msg");
    g_autoptr (GBytes) built
        = hearth_probe_message_build_probe ("00ff00ff00ff00ff", "sim-0123456789abcdef", 400, NULL);

    g_assert_true (g_bytes_equal (golden, built));
  }

  g_assert_null (hearth_probe_message_build_probe ("xyz", NULL, 400, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (hearth_probe_message_build_probe (nonce, "Bad Id", 400, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (hearth_probe_message_build_probe (nonce, NULL, 399, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (hearth_probe_message_build_probe (nonce, NULL, 1201, &error));
  g_assert_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/probe-message/golden-probe", test_golden_probe);
  g_test_add_func ("/probe-message/golden-here-and-hello", test_golden_here_and_hello);
  g_test_add_func ("/probe-message/malformed", test_malformed);
  g_test_add_func ("/probe-message/limits", test_limits);
  g_test_add_func ("/probe-message/build-probe", test_build_probe);

  return g_test_run ();
}
