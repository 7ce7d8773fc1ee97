/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_NVS_FLASH_H
#define FAKE_NVS_FLASH_H

#include "esp_err.h"
esp_err_t nvs_flash_init (void);
esp_err_t nvs_flash_erase (void);
#endif
