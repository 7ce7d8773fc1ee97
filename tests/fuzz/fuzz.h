/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the fuzz targets: the libFuzzer entry point and a check that
 * aborts (so both libFuzzer and the standalone driver report it) when an
 * invariant of the code under test does not hold. Crashes alone find memory
 * errors; these checks also find wrong answers.
 */
#ifndef HEARTH_FUZZ_H
#define HEARTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);            \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

#endif /* HEARTH_FUZZ_H */
