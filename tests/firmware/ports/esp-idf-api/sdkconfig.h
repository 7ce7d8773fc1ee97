/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_SDKCONFIG_H
#define FAKE_SDKCONFIG_H

/* Values as idf.py would generate them from the Kconfig files and sdkconfig.defaults. */
#define CONFIG_IOTSCP_LOG_LEVEL 2
#define CONFIG_LWIP_IPV6 1
#define CONFIG_LIGHT_GPIO 8
#define CONFIG_BUTTON_GPIO 9
#define CONFIG_LIGHT_NAME "ESP32 light"
#endif
