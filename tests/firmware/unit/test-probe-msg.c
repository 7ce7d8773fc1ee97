/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the multicast probe codec (iotscp_probe_msg.h): probes of
 * every size, answers and announcements round-tripping a UTF-8 name, the
 * amplification rule, and malformed messages that must be dropped.
 */
#include "iotscp_probe_msg.h"
#include "unit.h"

#define NONCE "5a0c3e9d71b24f86"
#define FP "d8888f22474916b163b7fbfd9e0e7e9c2640bdcce461f891e7764dfb22408fcd"

static const iotscp_probe_info info = {
  .id = "sim-0123456789abcdef",
  .name = "K\xc3\xbc"
          "che \xe2\x98\x80",
  .port = 4443,
  .fp = FP,
  .path = "/.well-known/iotscp",
  .pair = false,
};

static void
test_probes (void)
{
  char buf[IOTSCP_PROBE_MAX_SIZE + 64];
  iotscp_probe probe;

  for (size_t size = IOTSCP_PROBE_MIN_SIZE; size <= IOTSCP_PROBE_MAX_SIZE; size += 100)
    {
      CHECK_INT (iotscp_probe_format (buf, sizeof buf, size, NONCE, NULL), size, "probe size");
      CHECK_MSG (iotscp_probe_parse (buf, size, &probe) == 0, "probe of %zu bytes", size);
      CHECK_STR (probe.nonce, NONCE, "nonce");
      CHECK (!probe.has_id);
    }
  CHECK_INT (iotscp_probe_format (buf, sizeof buf, 400, NONCE, "sim-0123456789abcdef"), 400,
             "probe with id");
  CHECK (iotscp_probe_parse (buf, 400, &probe) == 0 && probe.has_id);
  CHECK_STR (probe.id, "sim-0123456789abcdef", "probe id");

  CHECK_INT (iotscp_probe_format (buf, sizeof buf, 399, NONCE, NULL), 0, "size under 400");
  CHECK_INT (iotscp_probe_format (buf, sizeof buf, 1201, NONCE, NULL), 0, "size over 1200");
  CHECK_INT (iotscp_probe_format (buf, 399, 400, NONCE, NULL), 0, "buffer too small");
  CHECK_INT (iotscp_probe_format (buf, sizeof buf, 400, "5A0C3E9D71B24F86", NULL), 0,
             "uppercase nonce");
  CHECK_INT (iotscp_probe_format (buf, sizeof buf, 400, NONCE, "Bad_Id"), 0, "bad id");

  /* Sizes around the limits are checked before anything else. */
  iotscp_probe_format (buf, sizeof buf, 400, NONCE, NULL);
  CHECK (iotscp_probe_parse (buf, 399, &probe) < 0);
  memcpy (buf + 398, "\n", 1);
  CHECK (iotscp_probe_parse (buf, 399, &probe) < 0);
  iotscp_probe_format (buf, sizeof buf, 1200, NONCE, NULL);
  buf[1200] = '\n';
  buf[1199] = '.';
  CHECK (iotscp_probe_parse (buf, 1201, &probe) < 0);

  /* Malformed probes, each padded to 400 bytes. */
  static const char *const bad[] = {
    "IOTSCP/2 PROBE\nnonce=" NONCE "\n",                      /* no pad */
    "IOTSCP/2 PROBE\npad=",                                   /* no nonce */
    "IOTSCP/2 PROBE\nnonce=5a0c3e9d71b24f8\npad=",            /* short nonce */
    "IOTSCP/2 PROBE\nnonce=5A0C3E9D71B24F86\npad=",           /* uppercase nonce */
    "IOTSCP/2 PROBE\nnonce=5a0c3e9d71b24f8g\npad=",           /* not hex */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\nnonce=" NONCE "\npad=", /* duplicate */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\nid=Bad\npad=",          /* bad id */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\nid=\npad=",             /* empty id */
    "IOTSCP/2 PROBE \nnonce=" NONCE "\npad=",                 /* verb with space */
    "IOTSCP/2 probe\nnonce=" NONCE "\npad=",                  /* verb case */
    "IOTSCP/3 PROBE\nnonce=" NONCE "\npad=",                  /* version */
    "IOTSCP/2 PROBE\r\nnonce=" NONCE "\npad=",                /* CR */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\r\npad=",                /* CR in a value */
    "IOTSCP/2 PROBE\nNonce=" NONCE "\npad=",                  /* key case */
    "IOTSCP/2 PROBE\nnonce " NONCE "\npad=",                  /* no '=' */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\n\npad=",                /* empty line */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\nx-y=1\npad=",           /* key syntax */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\n=1\npad=",              /* empty key */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\nx=\x01\npad=",          /* control character */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\nx=\xc3\x28\npad=",      /* invalid UTF-8 */
    "IOTSCP/2 HERE\nnonce=" NONCE "\npad=",                   /* wrong verb */
    "IOTSCP/2 PROBE\nnonce=" NONCE "\npad=.x",                /* pad not dots */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      size_t n = strlen (bad[i]);
      memcpy (buf, bad[i], n);
      bool pad_line = n >= 4 && memcmp (bad[i] + n - 4, "pad=", 4) == 0;
      memset (buf + n, pad_line ? '.' : 'x', 399 - n);
      if (!pad_line)
        memcpy (buf + n, "zz=", 3);
      buf[399] = '\n';
      CHECK_MSG (iotscp_probe_parse (buf, 400, &probe) < 0, "bad probe %zu must be dropped", i);
    }

  /* Unknown keys are ignored; pad may be anywhere; no final newline is malformed. */
  const char *ok = "IOTSCP/2 PROBE\npad=..\nfuture=yes \xe2\x98\x80\nnonce=" NONCE "\nzz=";
  size_t n = strlen (ok);
  memcpy (buf, ok, n);
  memset (buf + n, 'z', 399 - n);
  buf[399] = '\n';
  CHECK (iotscp_probe_parse (buf, 400, &probe) == 0);
  buf[399] = 'z';
  CHECK (iotscp_probe_parse (buf, 400, &probe) < 0);
}

static void
test_answers (void)
{
  char buf[IOTSCP_PROBE_MAX_SIZE];
  iotscp_probe_answer answer;

  size_t n = iotscp_probe_answer_format (buf, sizeof buf, 400, NONCE, &info);
  CHECK (n > 0 && n <= 400);
  static const char expected[] = "IOTSCP/2 HERE\nnonce=" NONCE "\nid=sim-0123456789abcdef\n"
                                 "name=K\xc3\xbc"
                                 "che \xe2\x98\x80\nport=4443\nfp=" FP "\n"
                                 "path=/.well-known/iotscp\npair=0\nv=2\n";
  CHECK_INT (n, sizeof expected - 1, "answer length");
  CHECK (memcmp (buf, expected, sizeof expected - 1) == 0);
  CHECK (iotscp_probe_answer_parse (buf, n, &answer) == 0);
  CHECK (!answer.hello);
  CHECK_STR (answer.nonce, NONCE, "nonce");
  CHECK_STR (answer.id, info.id, "id");
  CHECK_STR (answer.name, info.name, "UTF-8 name");
  CHECK_INT (answer.port, 4443, "port");
  CHECK_STR (answer.fp, FP, "fp");
  CHECK_STR (answer.path, "/.well-known/iotscp", "path");
  CHECK (!answer.pair);

  /* The answer never exceeds the probe: one byte less than needed fails. */
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, n, NONCE, &info), n, "exact size");
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, n - 1, NONCE, &info), 0, "one byte less");
  CHECK_INT (iotscp_probe_answer_format (buf, n - 1, 1200, NONCE, &info), 0, "small buffer");

  /* The largest answer the limits allow still fits the smallest probe (section 3.4). */
  char long_name[IOTSCP_DEVICE_NAME_MAX + 1], long_id[IOTSCP_DEVICE_ID_MAX + 1];
  memset (long_name, 'n', IOTSCP_DEVICE_NAME_MAX);
  long_name[IOTSCP_DEVICE_NAME_MAX] = '\0';
  memset (long_id, 'i', IOTSCP_DEVICE_ID_MAX);
  long_id[IOTSCP_DEVICE_ID_MAX] = '\0';
  iotscp_probe_info big = info;
  big.name = long_name;
  big.id = long_id;
  big.port = 65535;
  big.pair = true;
  n = iotscp_probe_answer_format (buf, sizeof buf, IOTSCP_PROBE_MIN_SIZE, NONCE, &big);
  CHECK_MSG (n > 0 && n <= 368, "largest answer is %zu bytes", n);
  CHECK (iotscp_probe_answer_parse (buf, n, &answer) == 0 && answer.pair && answer.port == 65535);
  CHECK_STR (answer.name, long_name, "long name");

  /* Announcement. */
  n = iotscp_probe_answer_format (buf, sizeof buf, sizeof buf, NULL, &info);
  CHECK (n > 0 && memcmp (buf, "IOTSCP/2 HELLO\nid=", 18) == 0);
  CHECK (iotscp_probe_answer_parse (buf, n, &answer) == 0 && answer.hello);
  CHECK_STR (answer.name, info.name, "hello name");

  /* Invalid fields are refused when formatting. */
  iotscp_probe_info bad = info;
  bad.name = "a\nb";
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, NONCE, &bad), 0, "newline in name");
  bad = info;
  bad.name = "\xc3\x28";
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, NONCE, &bad), 0, "bad UTF-8 name");
  bad = info;
  bad.name = "";
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, NONCE, &bad), 0, "empty name");
  bad = info;
  bad.fp = "D8888F22";
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, NONCE, &bad), 0, "short fp");
  bad = info;
  bad.port = 0;
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, NONCE, &bad), 0, "port 0");
  bad = info;
  bad.path = "x";
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, NONCE, &bad), 0, "relative path");
  CHECK_INT (iotscp_probe_answer_format (buf, sizeof buf, 1200, "xyz", &info), 0, "bad nonce");

  /* Malformed answers. */
  static const char *const bad_answers[] = {
    "IOTSCP/2 HERE\nid=a\nname=n\nport=1\nfp=" FP "\npath=/\npair=0\nv=2\n", /* no nonce */
    "IOTSCP/2 HELLO\nnonce=" NONCE "\nid=a\nname=n\nport=1\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=0\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=65536\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=080\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=1\nfp=" FP "\npath=/\npair=2\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=1\nfp=" FP "\npath=/\npair=0\nv=3\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=1\nfp=" FP "\npath=x\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=\nport=1\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=A\nname=n\nport=1\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=1\nfp=abc\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=1\nfp=" FP "\npath=/\npair=0\n",    /* no v */
    "IOTSCP/2 HELLO\nid=a\nname=n\nport=1\nfp=" FP "\npath=/\npair=0\nv=2", /* no final LF */
    "IOTSCP/2 HELLO\nid=a\nname=n\nname=m\nport=1\nfp=" FP "\npath=/\npair=0\nv=2\n",
    "IOTSCP/2 HELLO\nid=a\nname=n\x7f\nport=1\nfp=" FP "\npath=/\npair=0\nv=2\n",
  };
  for (size_t i = 0; i < sizeof bad_answers / sizeof bad_answers[0]; i++)
    CHECK_MSG (iotscp_probe_answer_parse (bad_answers[i], strlen (bad_answers[i]), &answer) < 0,
               "bad answer %zu must be dropped", i);
  const char *ok = "IOTSCP/2 HELLO\nv=2\npair=1\npath=/\nfp=" FP "\nport=1\nname=n\nid=a\nnew=x\n";
  CHECK (iotscp_probe_answer_parse (ok, strlen (ok), &answer) == 0 && answer.pair);
}

int
main (void)
{
  test_probes ();
  test_answers ();
  return unit_finish ("test-probe-msg");
}
