/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * esp32-light: a light on a GPIO and a button, as an IOTSCP/2 device.
 *
 * The light is the property "on" (a hub switches it); the button toggles it locally and emits
 * the event "press", so subscribers see both the new state and the press. The device connects
 * to Wi-Fi with ESP-IDF's example helper (menuconfig: "Example Connection Configuration"), makes
 * its key on first boot (Wi-Fi must be running so that the hardware RNG is a true RNG), and then
 * runs the core's loop in this task.
 */
#include <stdbool.h>
#include <stdint.h>

#include "sdkconfig.h"

#include "driver/gpio.h"
#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "protocol_examples_common.h"

#include "iotscp.h"
#include "iotscp_esp.h"

static const char *const TAG = "light";

/* Longest wait in the loop, so the button is sampled often enough (it is polled, not an
 * interrupt: the loop would have to be woken from an ISR otherwise). */
#define LOOP_WAIT_MS 20
#define DEBOUNCE_MS 50

enum
{
  PROP_ON,
};

static const iotscp_property_decl on_property = {
  .name = "on",
  .title = "Power",
  .schema = { .type = IOTSCP_TYPE_BOOLEAN },
  .ui_widget = "switch",
};

static const iotscp_field press_fields[] = {
  { .name = "on",
    .title = "Light on after the press",
    .schema = { .type = IOTSCP_TYPE_BOOLEAN },
    .required = true },
};
static const iotscp_event_decl press_event = {
  .name = "press",
  .title = "Button pressed",
  .data = press_fields,
  .data_count = 1,
};

static iotscp_port port;
static iotscp_device device;

static void
apply_light (bool on)
{
  gpio_set_level ((gpio_num_t)CONFIG_LIGHT_GPIO, on ? 1 : 0);
}

/* A hub wrote "on": switch the GPIO before the core confirms the write. */
static int
write_property (iotscp_device *dev, size_t index, iotscp_value *value, char *reason,
                size_t reason_cap, void *user)
{
  (void)dev;
  (void)reason;
  (void)reason_cap;
  (void)user;
  if (index == PROP_ON)
    apply_light (value->boolean);
  return IOTSCP_OK;
}

static void
setup_gpio (void)
{
  gpio_config_t light = {
    .pin_bit_mask = 1ULL << CONFIG_LIGHT_GPIO,
    .mode = GPIO_MODE_OUTPUT,
  };
  gpio_config_t button = {
    .pin_bit_mask = 1ULL << CONFIG_BUTTON_GPIO,
    .mode = GPIO_MODE_INPUT,
    .pull_up_en = GPIO_PULLUP_ENABLE,
  };
  ESP_ERROR_CHECK (gpio_config (&light));
  ESP_ERROR_CHECK (gpio_config (&button));
  apply_light (false);
}

/* ESP-IDF calls it from its main task; no ESP-IDF header declares it. */
void app_main (void);

void
app_main (void)
{
  static const iotscp_device_info info = {
    .id_prefix = "esp32-",
    .name = CONFIG_LIGHT_NAME,
    .model = "ESP32 light",
    .manufacturer = "Hearth example",
    .firmware = "0.1.0",
    .ui_icon = "light",
    .ui_primary = "on",
    .storage_ns = "",
    .tcp_port = IOTSCP_DEFAULT_TCP_PORT,
  };
  static const iotscp_callbacks callbacks = { .write_property = write_property };

  setup_gpio ();
  ESP_ERROR_CHECK (esp_netif_init ());
  ESP_ERROR_CHECK (esp_event_loop_create_default ());
  if (iotscp_esp_port_init (&port, "esp32-light") != 0)
    return;
  ESP_ERROR_CHECK (example_connect ());

  iotscp_value off = iotscp_bool (false);
  if (iotscp_device_init (&device, &port, &info, &callbacks) != IOTSCP_OK
      || iotscp_device_add_property (&device, &on_property, &off) < 0
      || iotscp_device_add_event (&device, &press_event) < 0)
    {
      ESP_LOGE (TAG, "bad device declaration");
      return;
    }
  int err = iotscp_device_start (&device);
  if (err != IOTSCP_OK)
    {
      ESP_LOGE (TAG, "iotscp_device_start: %d", err);
      return;
    }
  ESP_LOGI (TAG, "device %s, key fingerprint %s, port %u", iotscp_device_id (&device),
            iotscp_device_fingerprint (&device), (unsigned)iotscp_device_tcp_port (&device));

  bool button_was_down = false;
  uint64_t button_changed_ms = 0;
  for (;;)
    {
      iotscp_pollfd fds[IOTSCP_DEVICE_MAX_POLLFDS];
      size_t n = iotscp_device_pollfds (&device, fds, IOTSCP_DEVICE_MAX_POLLFDS);
      iotscp_esp_poll (&port, fds, n, iotscp_device_next_deadline (&device), LOOP_WAIT_MS);
      uint64_t now = iotscp_port_now_ms (&port);
      iotscp_device_process (&device, fds, n, now);

      bool down = gpio_get_level ((gpio_num_t)CONFIG_BUTTON_GPIO) == 0;
      if (down != button_was_down && now - button_changed_ms >= DEBOUNCE_MS)
        {
          button_was_down = down;
          button_changed_ms = now;
          if (down)
            {
              iotscp_value on
                  = iotscp_bool (!iotscp_device_get_property (&device, PROP_ON)->boolean);
              apply_light (on.boolean);
              iotscp_device_set_property (&device, PROP_ON, &on);
              iotscp_device_emit_event (&device, 0, &on);
            }
        }
    }
}
