/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the simulator's --description loader (firmware/sim/iotscp_sim_load.c), compiled
 * in. Any input either loads or is refused with a message; a refused one leaves nothing
 * allocated (LeakSanitizer checks that in the sanitizer builds), a loaded one keeps the rules of
 * protocol.md section 4.3 and the core's limits and goes through the core's own schema check,
 * then is freed.
 */
#include <string.h>

#include "fuzz.h"
#include "iotscp_internal.h"
#include "iotscp_sim.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char error[256];
  sim_model model;

  error[0] = '\0';
  if (!sim_model_load_text ((const char *)data, size, &model, error, sizeof error))
    {
      FUZZ_CHECK (error[0] != '\0' && strlen (error) < sizeof error);
      FUZZ_CHECK (model.arena == NULL && model.properties == NULL);
      return 0;
    }
  FUZZ_CHECK (model.name != NULL);
  FUZZ_CHECK (model.property_count <= 64 && model.action_count <= 32 && model.event_count <= 32);
  for (size_t i = 0; i < model.property_count; i++)
    {
      const iotscp_schema *schema = &model.properties[i].schema;
      FUZZ_CHECK (model.properties[i].name != NULL);
      if ((schema->flags & IOTSCP_HAS_MINIMUM) && (schema->flags & IOTSCP_HAS_MAXIMUM))
        FUZZ_CHECK (schema->minimum <= schema->maximum);
      if (schema->flags & IOTSCP_HAS_STEP)
        FUZZ_CHECK (schema->step > 0);
      FUZZ_CHECK (schema->enum_count <= 32);
      /* Whatever the loader accepted, the core's own check must not crash on it. */
      (void)iotscp_model_schema_ok (schema);
    }
  sim_model_free (&model);
  FUZZ_CHECK (model.arena == NULL);
  return 0;
}
