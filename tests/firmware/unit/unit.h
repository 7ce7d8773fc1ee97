/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A few assert-style checks for the firmware unit tests, which use no GLib
 * (the code under test must not need it). A failed check prints where and
 * what, counts, and lets the test go on so one run shows every failure;
 * unit_finish() turns the count into the exit status.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define CHECK_MSG(cond, ...)                                                                       \
  do                                                                                               \
    {                                                                                              \
      unit_checks++;                                                                               \
      if (!(cond))                                                                                 \
        {                                                                                          \
          unit_failures++;                                                                         \
          fprintf (stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                \
          fprintf (stderr, __VA_ARGS__);                                                           \
          fputc ('\n', stderr);                                                                    \
        }                                                                                          \
    }                                                                                              \
  while (0)

#define CHECK(cond) CHECK_MSG (cond, "%s", "")

#define CHECK_INT(actual, expected, what)                                                          \
  do                                                                                               \
    {                                                                                              \
      long long unit_a_ = (long long)(actual), unit_e_ = (long long)(expected);                    \
      CHECK_MSG (unit_a_ == unit_e_, "%s: got %lld, expected %lld", what, unit_a_, unit_e_);       \
    }                                                                                              \
  while (0)

#define CHECK_STR(actual, expected, what)                                                          \
  do                                                                                               \
    {                                                                                              \
      const char *unit_a_ = (actual), *unit_e_ = (expected);                                       \
      CHECK_MSG (unit_a_ &&strcmp (unit_a_, unit_e_) == 0, "%s: got \"%s\", expected \"%s\"",      \
                 what, unit_a_ ? unit_a_ : "(null)", unit_e_);                                     \
    }                                                                                              \
  while (0)

static inline int
unit_finish (const char *name)
{
  if (unit_failures)
    fprintf (stderr, "%s: %d of %d checks FAILED\n", name, unit_failures, unit_checks);
  else
    printf ("%s: all %d checks passed\n", name, unit_checks);
  return unit_failures ? 1 : 0;
}

/* Reads a whole file into a malloc'ed buffer (tests may allocate; the core may not). */
static inline char *
unit_read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc (cap);
  size_t got;
  while (buf && (got = fread (buf + n, 1, cap - n, f)) > 0)
    {
      n += got;
      if (n == cap)
        {
          char *bigger = realloc (buf, cap * 2);
          if (!bigger)
            {
              free (buf);
              buf = NULL;
              break;
            }
          buf = bigger;
          cap *= 2;
        }
    }
  fclose (f);
  if (buf)
    {
      buf[n < cap ? n : cap - 1] = '\0';
      *len = n;
    }
  return buf;
}

#endif /* UNIT_H */
