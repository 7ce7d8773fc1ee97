/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp-device, the simulator: shared declarations of its parts (profiles, description
 * loader, main loop).
 */
#ifndef IOTSCP_SIM_H
#define IOTSCP_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "iotscp.h"

typedef enum
{
  SIM_KIND_GENERIC = 0, /* From --description: plausible changes, no special logic. */
  SIM_KIND_LIGHT,
  SIM_KIND_SWITCH,
  SIM_KIND_KEYPAD,
  SIM_KIND_THERMOMETER,
  SIM_KIND_MOTION,
  SIM_KIND_LOCK,
} sim_kind;

/* A device model: what the simulator declares for each hosted device. */
typedef struct sim_model
{
  sim_kind kind;
  const char *name; /* Default device name. */
  const char *model;
  const char *manufacturer;
  const char *firmware;
  const char *ui_icon;
  const char *ui_primary;
  const iotscp_property_decl *properties;
  const iotscp_value *initial; /* One per property, or NULL for defaults. */
  size_t property_count;
  const iotscp_action_decl *actions;
  size_t action_count;
  const iotscp_event_decl *events;
  size_t event_count;
  void *arena; /* Loaded models: every allocation, freed by sim_model_free(). */
} sim_model;

/* The built-in profile of that name, or NULL. */
const sim_model *sim_profile_find (const char *name);

/* Loads a self-description document into *model (memory allocated once, kept for the life of
 * the process). On failure writes a message into error and returns false. */
bool sim_model_load_description (const char *path, sim_model *model, char *error, size_t error_cap);
/* The same from a document in memory (at most 64 KiB); on failure nothing stays allocated. */
bool sim_model_load_text (const char *text, size_t len, sim_model *model, char *error,
                          size_t error_cap);
/* Frees a model made by either loader. */
void sim_model_free (sim_model *model);

#endif /* IOTSCP_SIM_H */
