/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The simulator's built-in profiles. Each one serves the same document as its golden in
 * tests/data/protocol/descriptions/<profile>.json (apart from the id); the firmware tests
 * compare them.
 */
#include "iotscp_sim.h"

#include <string.h>

#define MIN(v) .flags = IOTSCP_HAS_MINIMUM, .minimum = (v)
#define RANGE(lo, hi)                                                                              \
  .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM, .minimum = (lo), .maximum = (hi)
#define RANGE_STEP(lo, hi, st)                                                                     \
  .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM | IOTSCP_HAS_STEP, .minimum = (lo),             \
  .maximum = (hi), .step = (st)
#define ENUM(list) .enum_values = (list), .enum_count = sizeof (list) / sizeof (list)[0]

/* ---- light ---- */

static const iotscp_property_decl light_properties[] = {
  { .name = "on",
    .title = "Power",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .ui_widget = "switch" },
  { .name = "brightness",
    .title = "Brightness",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE_STEP (1, 100, 1), .unit = "%" },
    .ui_widget = "slider" },
  { .name = "colour-temperature",
    .title = "Colour temperature",
    .description = "From warm (2700 K) to daylight (6500 K).",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE_STEP (2700, 6500, 100), .unit = "K" },
    .ui_widget = "slider",
    .ui_group = "Colour" },
};
static const iotscp_value light_initial[] = { { .type = IOTSCP_TYPE_BOOLEAN, .boolean = false },
                                              { .type = IOTSCP_TYPE_INTEGER, .integer = 80 },
                                              { .type = IOTSCP_TYPE_INTEGER, .integer = 3000 } };
static const iotscp_field blink_input[] = {
  { .name = "times",
    .title = "Times",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (1, 10) },
    .required = true },
};
static const iotscp_action_decl light_actions[] = {
  { .name = "blink",
    .title = "Blink",
    .description = "Flashes the light, then restores it. Refused while the light is off.",
    .input = blink_input,
    .input_count = 1 },
};

/* ---- switch ---- */

static const iotscp_property_decl switch_properties[] = {
  { .name = "on",
    .title = "Power",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .ui_widget = "switch" },
  { .name = "power",
    .title = "Power draw",
    .schema = { .type = IOTSCP_TYPE_NUMBER, RANGE_STEP (0, 3680, 0.1), .unit = "W" },
    .read_only = true,
    .ui_widget = "readout",
    .ui_group = "Metering" },
  { .name = "energy",
    .title = "Energy",
    .description = "Energy used since the counter was last reset.",
    .schema = { .type = IOTSCP_TYPE_NUMBER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_STEP,
                .minimum = 0,
                .step = 0.001,
                .unit = "kWh" },
    .read_only = true,
    .ui_widget = "readout",
    .ui_group = "Metering" },
};
static const iotscp_action_decl switch_actions[] = {
  { .name = "reset-energy",
    .title = "Reset energy counter",
    .description = "Sets the energy counter back to 0 kWh." },
};

/* ---- keypad ---- */

static const char *const velocity_curves[] = { "soft", "normal", "hard" };
static const char *const key_states[] = { "down", "up" };
static const iotscp_property_decl keypad_properties[] = {
  { .name = "pressed",
    .title = "Keys held",
    .description = "How many keys are down right now.",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (0, 88) },
    .read_only = true,
    .ui_widget = "readout" },
  { .name = "velocity-curve",
    .title = "Touch",
    .schema = { .type = IOTSCP_TYPE_STRING, ENUM (velocity_curves) },
    .ui_widget = "dropdown",
    .ui_group = "Settings" },
};
static const iotscp_value keypad_initial[]
    = { { .type = IOTSCP_TYPE_INTEGER, .integer = 0 },
        { .type = IOTSCP_TYPE_STRING, .string = "normal", .length = 6 } };
static const iotscp_field press_input[] = {
  { .name = "key",
    .title = "Key",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (1, 88) },
    .required = true },
  { .name = "velocity",
    .title = "Velocity",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (1, 127) } },
};
static const iotscp_action_decl keypad_actions[] = {
  { .name = "press",
    .title = "Play a key",
    .description = "Sends a key-down event, then a key-up event, as if the key had been played.",
    .input = press_input,
    .input_count = 2 },
};
static const iotscp_field key_data[] = {
  { .name = "key",
    .title = "Key",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (1, 88) },
    .required = true },
  { .name = "state",
    .title = "State",
    .schema = { .type = IOTSCP_TYPE_STRING, ENUM (key_states) },
    .required = true },
  { .name = "velocity",
    .title = "Velocity",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (0, 127) } },
};
static const iotscp_event_decl keypad_events[] = {
  { .name = "key",
    .title = "Key",
    .description = "A key went down or up. Key 1 is the lowest A, key 40 is middle C, key 88 is "
                   "the highest C.",
    .data = key_data,
    .data_count = 3 },
};

/* ---- thermometer ---- */

static const iotscp_property_decl thermometer_properties[] = {
  { .name = "temperature",
    .title = "Temperature",
    .schema = { .type = IOTSCP_TYPE_NUMBER, RANGE_STEP (-40, 125, 0.1), .unit = "°C" },
    .read_only = true,
    .ui_widget = "readout" },
  { .name = "humidity",
    .title = "Humidity",
    .schema = { .type = IOTSCP_TYPE_NUMBER, RANGE_STEP (0, 100, 0.1), .unit = "%" },
    .read_only = true,
    .ui_widget = "readout" },
  { .name = "battery",
    .title = "Battery",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (0, 100), .unit = "%" },
    .read_only = true,
    .ui_widget = "readout",
    .ui_group = "Device" },
  { .name = "interval",
    .title = "Report interval",
    .description = "How often a new reading is taken.",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE_STEP (1, 3600, 1), .unit = "s" },
    .ui_widget = "entry",
    .ui_group = "Settings" },
};
static const iotscp_value thermometer_initial[]
    = { { .type = IOTSCP_TYPE_NUMBER, .number = 21.5 },
        { .type = IOTSCP_TYPE_NUMBER, .number = 45 },
        { .type = IOTSCP_TYPE_INTEGER, .integer = 97 },
        { .type = IOTSCP_TYPE_INTEGER, .integer = 60 } };

/* ---- motion ---- */

static const char *const sensitivities[] = { "low", "medium", "high" };
static const iotscp_property_decl motion_properties[] = {
  { .name = "motion",
    .title = "Motion",
    .description = "True from a detection until no motion was seen for the hold time.",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .read_only = true,
    .ui_widget = "readout" },
  { .name = "sensitivity",
    .title = "Sensitivity",
    .schema = { .type = IOTSCP_TYPE_STRING, ENUM (sensitivities) },
    .ui_widget = "dropdown",
    .ui_group = "Settings" },
  { .name = "hold-time",
    .title = "Hold time",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE_STEP (5, 600, 5), .unit = "s" },
    .ui_widget = "slider",
    .ui_group = "Settings" },
  { .name = "battery",
    .title = "Battery",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (0, 100), .unit = "%" },
    .read_only = true,
    .ui_widget = "readout",
    .ui_group = "Device" },
};
static const iotscp_value motion_initial[]
    = { { .type = IOTSCP_TYPE_BOOLEAN, .boolean = false },
        { .type = IOTSCP_TYPE_STRING, .string = "medium", .length = 6 },
        { .type = IOTSCP_TYPE_INTEGER, .integer = 30 },
        { .type = IOTSCP_TYPE_INTEGER, .integer = 88 } };
static const iotscp_field motion_data[] = {
  { .name = "strength",
    .title = "Strength",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (0, 100), .unit = "%" },
    .required = true },
};
static const iotscp_event_decl motion_events[] = {
  { .name = "motion", .title = "Motion detected", .data = motion_data, .data_count = 1 },
};

/* ---- lock ---- */

static const char *const lock_sources[] = { "remote", "manual", "auto" };
static const iotscp_property_decl lock_properties[] = {
  { .name = "locked",
    .title = "Locked",
    .description = "Write true to lock and false to unlock. Refused while the bolt is jammed.",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .ui_widget = "switch" },
  { .name = "jammed",
    .title = "Jammed",
    .description = "The bolt cannot move; the lock refuses to lock or unlock until it is cleared "
                   "by hand.",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .read_only = true,
    .ui_widget = "readout" },
  { .name = "auto-lock",
    .title = "Lock again after",
    .description = "Locks again this long after being unlocked; 0 turns this off.",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE_STEP (0, 600, 10), .unit = "s" },
    .ui_widget = "slider",
    .ui_group = "Settings" },
  { .name = "battery",
    .title = "Battery",
    .schema = { .type = IOTSCP_TYPE_INTEGER, RANGE (0, 100), .unit = "%" },
    .read_only = true,
    .ui_widget = "readout",
    .ui_group = "Device" },
};
static const iotscp_value lock_initial[] = { { .type = IOTSCP_TYPE_BOOLEAN, .boolean = true },
                                             { .type = IOTSCP_TYPE_BOOLEAN, .boolean = false },
                                             { .type = IOTSCP_TYPE_INTEGER, .integer = 0 },
                                             { .type = IOTSCP_TYPE_INTEGER, .integer = 76 } };
static const iotscp_field lock_data[] = {
  { .name = "locked",
    .title = "Locked",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .required = true },
  { .name = "source",
    .title = "By",
    .schema = { .type = IOTSCP_TYPE_STRING, ENUM (lock_sources) },
    .required = true },
};
static const iotscp_event_decl lock_events[] = {
  { .name = "changed", .title = "Locked or unlocked", .data = lock_data, .data_count = 2 },
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static const struct
{
  const char *profile;
  sim_model model;
} profiles[] = {
  { "light",
    { SIM_KIND_LIGHT, "Light", "Simulated light", "Hearth", "0.1.0", "light", "on",
      light_properties, light_initial, COUNT (light_properties), light_actions,
      COUNT (light_actions), NULL, 0 } },
  { "switch",
    { SIM_KIND_SWITCH, "Switch", "Simulated metering switch", "Hearth", "0.1.0", "switch", "on",
      switch_properties, NULL, COUNT (switch_properties), switch_actions, COUNT (switch_actions),
      NULL, 0 } },
  { "keypad",
    { SIM_KIND_KEYPAD, "Keypad", "Simulated 88-key piano keyboard", "Hearth", "0.1.0", "keypad",
      "pressed", keypad_properties, keypad_initial, COUNT (keypad_properties), keypad_actions,
      COUNT (keypad_actions), keypad_events, COUNT (keypad_events) } },
  { "thermometer",
    { SIM_KIND_THERMOMETER, "Thermometer", "Simulated thermometer and hygrometer", "Hearth",
      "0.1.0", "thermometer", "temperature", thermometer_properties, thermometer_initial,
      COUNT (thermometer_properties), NULL, 0, NULL, 0 } },
  { "motion",
    { SIM_KIND_MOTION, "Motion sensor", "Simulated motion sensor", "Hearth", "0.1.0", "motion",
      "motion", motion_properties, motion_initial, COUNT (motion_properties), NULL, 0,
      motion_events, COUNT (motion_events) } },
  { "lock",
    { SIM_KIND_LOCK, "Lock", "Simulated door lock", "Hearth", "0.1.0", "lock", "locked",
      lock_properties, lock_initial, COUNT (lock_properties), NULL, 0, lock_events,
      COUNT (lock_events) } },
};

const sim_model *
sim_profile_find (const char *name)
{
  for (size_t i = 0; i < COUNT (profiles); i++)
    if (strcmp (profiles[i].profile, name) == 0)
      return &profiles[i].model;
  return NULL;
}
