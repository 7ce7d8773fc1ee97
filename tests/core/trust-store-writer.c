/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "trust-store-writer"

#include <stdio.h>
#include <stdlib.h>

#include "hearth-trust-store.h"

/* Helper of test-trust-store-crash: performs trust-store writes and acknowledges each one on
 * stdout only after the store reported it durable, so the test can kill it at any moment and
 * then check that the last acknowledged write is in the store.
 *
 * Usage: trust-store-writer DATA_DIR FIRST COUNT
 * Write number i pins device "crash-<i % 8>" to the SHA-256 of "write <i>" (forgetting its
 * previous pin first), so each write replaces the whole file with new contents. */

int
main (int argc, char *argv[])
{
  g_autoptr (HearthTrustStore) store = NULL;
  g_autoptr (GError) error = NULL;
  guint64 first;
  guint64 count;

  if (argc != 4)
    {
      fprintf (stderr, "usage: %s DATA_DIR FIRST COUNT\n", argv[0]);
      return 2;
    }

  first = g_ascii_strtoull (argv[2], NULL, 10);
  count = g_ascii_strtoull (argv[3], NULL, 10);

  store = hearth_trust_store_new (argv[1], NULL, &error);
  if (store == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  for (guint64 i = first; i < first + count; i++)
    {
      g_autofree char *device_id = g_strdup_printf ("crash-%u", (guint)(i % 8));
      g_autofree char *label = g_strdup_printf ("write %" G_GUINT64_FORMAT, i);
      g_autofree char *fingerprint = g_compute_checksum_for_string (G_CHECKSUM_SHA256, label, -1);
      g_autoptr (HearthTrustPin) pin = hearth_trust_store_get_pin (store, device_id);

      if (pin != NULL && !hearth_trust_store_forget (store, device_id, &error))
        break;
      if (!hearth_trust_store_pin (store, device_id, fingerprint, label, &error))
        break;

      printf ("%" G_GUINT64_FORMAT "\n", i);
      fflush (stdout);
    }

  if (error != NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  return 0;
}
