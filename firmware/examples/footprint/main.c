/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The footprint example: a complete device with 8 properties, one action and one event, served
 * with 4 subscriptions (footprint_config.h), written the way a board's firmware would drive the
 * core. build-aux/footprint cross-compiles it with the core for RISC-V rv32imc and measures
 * what the core costs in flash and static RAM. It is never run: the board supplies the port
 * (board_port) and its poll function (board_poll), which the measurement leaves out, as it
 * leaves out mbedTLS.
 */
#include <stddef.h>
#include <stdint.h>

#include "iotscp.h"

/* Supplied by the board's port (for example firmware/port/esp-idf). */
extern iotscp_port *board_port (void);
extern int board_poll (iotscp_pollfd *fds, size_t n, uint64_t deadline_ms);
extern int board_button_pressed (void);

static const char *const modes[] = { "warm", "cold", "party" };

static const iotscp_property_decl properties[8] = {
  { .name = "on",
    .title = "Power",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .ui_widget = "switch" },
  { .name = "brightness",
    .title = "Brightness",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM | IOTSCP_HAS_STEP,
                .minimum = 0,
                .maximum = 100,
                .step = 1,
                .unit = "%" },
    .ui_widget = "slider" },
  { .name = "mode",
    .title = "Mode",
    .schema = { .type = IOTSCP_TYPE_STRING, .enum_count = 3, .enum_values = modes },
    .ui_widget = "dropdown" },
  { .name = "temperature",
    .title = "Temperature",
    .schema = { .type = IOTSCP_TYPE_NUMBER, .unit = "°C" },
    .read_only = true,
    .ui_widget = "readout" },
  { .name = "label",
    .title = "Label",
    .schema = { .type = IOTSCP_TYPE_STRING },
    .ui_widget = "entry" },
  { .name = "hue",
    .title = "Hue",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
                .minimum = 0,
                .maximum = 359,
                .unit = "°" } },
  { .name = "fade",
    .title = "Fade time",
    .schema = { .type = IOTSCP_TYPE_NUMBER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
                .minimum = 0,
                .maximum = 10,
                .unit = "s" } },
  { .name = "uptime",
    .title = "Uptime",
    .schema = { .type = IOTSCP_TYPE_INTEGER, .unit = "s" },
    .read_only = true },
};

static const iotscp_field blink_input[] = {
  { .name = "times",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
                .minimum = 1,
                .maximum = 10 },
    .required = true },
};
static const iotscp_action_decl blink
    = { .name = "blink", .title = "Blink", .input = blink_input, .input_count = 1 };

static const iotscp_field press_data[] = {
  { .name = "long", .schema = { .type = IOTSCP_TYPE_BOOLEAN }, .required = true },
};
static const iotscp_event_decl press
    = { .name = "press", .title = "Button", .data = press_data, .data_count = 1 };

static iotscp_device device;

static int
write_property (iotscp_device *dev, size_t index, iotscp_value *value, char *reason,
                size_t reason_cap, void *user)
{
  (void)dev;
  (void)index;
  (void)value;
  (void)reason;
  (void)reason_cap;
  (void)user;
  return IOTSCP_OK;
}

int
main (void)
{
  static const iotscp_device_info info = {
    .name = "Footprint light",
    .model = "Footprint",
    .manufacturer = "Hearth",
    .firmware = "0.1.0",
    .ui_icon = "light",
    .ui_primary = "on",
    .storage_ns = "",
  };
  static const iotscp_callbacks callbacks = { .write_property = write_property };
  iotscp_port *port = board_port ();

  if (iotscp_device_init (&device, port, &info, &callbacks) != IOTSCP_OK)
    return 1;
  for (size_t i = 0; i < sizeof properties / sizeof properties[0]; i++)
    if (iotscp_device_add_property (&device, &properties[i], NULL) < 0)
      return 1;
  if (iotscp_device_add_action (&device, &blink) < 0
      || iotscp_device_add_event (&device, &press) < 0)
    return 1;
  if (iotscp_device_start (&device) != IOTSCP_OK)
    return 1;

  for (;;)
    {
      iotscp_pollfd fds[IOTSCP_DEVICE_MAX_POLLFDS];
      size_t n = iotscp_device_pollfds (&device, fds, IOTSCP_DEVICE_MAX_POLLFDS);
      board_poll (fds, n, iotscp_device_next_deadline (&device));
      uint64_t now = iotscp_port_now_ms (port);
      iotscp_device_process (&device, fds, n, now);
      if (board_button_pressed ())
        {
          iotscp_value data = iotscp_bool (false);
          iotscp_value on = iotscp_bool (!iotscp_device_get_property (&device, 0)->boolean);
          iotscp_device_set_property (&device, 0, &on);
          iotscp_device_emit_event (&device, 0, &data);
        }
    }
}
