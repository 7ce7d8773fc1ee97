/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A stand-in for libFuzzer, so that the default (gcc) build can run every
 * fuzz target as a short smoke test. It runs each file of the given corpus
 * directories through LLVMFuzzerTestOneInput, then mutations of them
 * (byte flips, insertions, deletions, duplicated and spliced ranges,
 * interesting bytes) from a fixed seed, until the iteration count or the
 * time budget runs out. A failing invariant aborts, as under libFuzzer.
 *
 *   standalone-driver [--seed N] [--iterations N] [--seconds S] DIR|FILE...
 *
 * The environment variable HEARTH_FUZZ_SECONDS overrides --seconds.
 *
 * It finds far less than libFuzzer does (no coverage feedback); build with
 * -Dfuzzing=true for real fuzzing (see README.md).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"

#define MAX_INPUT 4096
#define MAX_SEEDS 512

typedef struct seed
{
  uint8_t *data;
  size_t size;
} seed;

static seed seeds[MAX_SEEDS];
static size_t seed_count;
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
rng (void)
{
  /* xorshift64*: fast, and the same on every machine for a given seed. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

static size_t
below (size_t n)
{
  return n ? (size_t)(rng () % n) : 0;
}

static void
add_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (!f || seed_count >= MAX_SEEDS)
    {
      if (f)
        fclose (f);
      return;
    }
  uint8_t *buf = malloc (MAX_INPUT);
  size_t n = buf ? fread (buf, 1, MAX_INPUT, f) : 0;
  fclose (f);
  if (!buf)
    return;
  seeds[seed_count].data = buf;
  seeds[seed_count].size = n;
  seed_count++;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Adds a file, or every regular file of a directory in name order (runs are reproducible). */
static void
add_path (const char *path)
{
  struct stat st;
  if (stat (path, &st) != 0)
    {
      fprintf (stderr, "standalone-driver: cannot read %s\n", path);
      exit (2);
    }
  if (!S_ISDIR (st.st_mode))
    {
      add_file (path);
      return;
    }
  DIR *d = opendir (path);
  if (!d)
    return;
  char *names[MAX_SEEDS];
  size_t count = 0;
  struct dirent *e;
  while ((e = readdir (d)) && count < MAX_SEEDS)
    if (e->d_name[0] != '.')
      {
        size_t len = strlen (path) + strlen (e->d_name) + 2;
        names[count] = malloc (len);
        if (names[count])
          snprintf (names[count++], len, "%s/%s", path, e->d_name);
      }
  closedir (d);
  qsort (names, count, sizeof names[0], compare_names);
  for (size_t i = 0; i < count; i++)
    {
      if (stat (names[i], &st) == 0 && S_ISREG (st.st_mode))
        add_file (names[i]);
      free (names[i]);
    }
}

/* Applies 1-4 random mutations to buf[0..*size) (capacity MAX_INPUT). */
static void
mutate (uint8_t *buf, size_t *size)
{
  static const uint8_t interesting[]
      = { 0,   '\r', '\n', ' ', '\t', ':', ';', '%',  '"',  '\\', '{',  '}',
          '[', ']',  ',',  '0', 'f',  '=', '.', 0x7f, 0x80, 0xc3, 0xed, 0xff };
  int rounds = 1 + (int)below (4);
  for (int r = 0; r < rounds; r++)
    {
      size_t n = *size;
      switch (below (7))
        {
          case 0: /* flip a bit */
            if (n)
              buf[below (n)] ^= (uint8_t)(1u << below (8));
            break;
          case 1: /* set an interesting byte */
            if (n)
              buf[below (n)] = interesting[below (sizeof interesting)];
            break;
          case 2: /* insert a byte */
            if (n < MAX_INPUT)
              {
                size_t at = below (n + 1);
                memmove (buf + at + 1, buf + at, n - at);
                buf[at] = below (2) ? interesting[below (sizeof interesting)] : (uint8_t)rng ();
                *size = n + 1;
              }
            break;
          case 3: /* delete a range */
            if (n)
              {
                size_t at = below (n), len = 1 + below (n - at < 16 ? n - at : 16);
                memmove (buf + at, buf + at + len, n - at - len);
                *size = n - len;
              }
            break;
          case 4: /* duplicate a range in place */
            if (n)
              {
                size_t at = below (n), len = 1 + below (n - at);
                if (len > MAX_INPUT - n)
                  len = MAX_INPUT - n;
                memmove (buf + at + len, buf + at, n - at);
                *size = n + len;
              }
            break;
          case 5: /* splice in a range of another seed */
            {
              const seed *other = &seeds[below (seed_count)];
              if (other->size && n < MAX_INPUT)
                {
                  size_t from = below (other->size), len = 1 + below (other->size - from);
                  size_t at = below (n + 1);
                  if (len > MAX_INPUT - n)
                    len = MAX_INPUT - n;
                  memmove (buf + at + len, buf + at, n - at);
                  memcpy (buf + at, other->data + from, len);
                  *size = n + len;
                }
              break;
            }
          default: /* truncate */
            *size = below (n + 1);
            break;
        }
    }
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  unsigned long long iterations = ~0ull; /* the time budget ends the run */
  double seconds = 3;
  /* Lets CI or a developer stretch or shorten every smoke pass at once. */
  const char *env_seconds = getenv ("HEARTH_FUZZ_SECONDS");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--seed") == 0 && i + 1 < argc)
        rng_state = strtoull (argv[++i], NULL, 0) | 1u;
      else if (strcmp (argv[i], "--iterations") == 0 && i + 1 < argc)
        iterations = strtoull (argv[++i], NULL, 0);
      else if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
        seconds = strtod (argv[++i], NULL);
      else if (argv[i][0] == '-')
        {
          fprintf (stderr, "usage: %s [--seed N] [--iterations N] [--seconds S] DIR|FILE...\n",
                   argv[0]);
          return 2;
        }
      else
        add_path (argv[i]);
    }
  if (env_seconds && *env_seconds)
    seconds = strtod (env_seconds, NULL);
  if (seed_count == 0)
    {
      fprintf (stderr, "standalone-driver: no seed inputs\n");
      return 2;
    }

  /* The seeds themselves, each in a buffer of its exact size so overreads are caught. */
  for (size_t i = 0; i < seed_count; i++)
    {
      uint8_t *copy = malloc (seeds[i].size ? seeds[i].size : 1);
      memcpy (copy, seeds[i].data, seeds[i].size);
      LLVMFuzzerTestOneInput (copy, seeds[i].size);
      free (copy);
    }

  static uint8_t work[MAX_INPUT];
  double start = now ();
  unsigned long long done = 0;
  for (; done < iterations; done++)
    {
      if ((done & 255) == 0 && now () - start > seconds)
        break;
      const seed *s = &seeds[below (seed_count)];
      size_t size = s->size;
      memcpy (work, s->data, size);
      mutate (work, &size);
      uint8_t *exact = malloc (size ? size : 1);
      memcpy (exact, work, size);
      LLVMFuzzerTestOneInput (exact, size);
      free (exact);
    }
  printf ("%zu seeds and %llu mutations in %.1f s: no failures\n", seed_count, done,
          now () - start);
  for (size_t i = 0; i < seed_count; i++)
    free (seeds[i].data);
  return 0;
}
