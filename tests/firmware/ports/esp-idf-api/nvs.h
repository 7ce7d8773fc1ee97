/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_NVS_H
#define FAKE_NVS_H

#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
typedef uint32_t nvs_handle_t;
typedef enum
{
  NVS_READONLY,
  NVS_READWRITE
} nvs_open_mode_t;
esp_err_t nvs_open (const char *namespace_name, nvs_open_mode_t open_mode,
                    nvs_handle_t *out_handle);
esp_err_t nvs_get_blob (nvs_handle_t handle, const char *key, void *out_value, size_t *length);
esp_err_t nvs_set_blob (nvs_handle_t handle, const char *key, const void *value, size_t length);
esp_err_t nvs_erase_key (nvs_handle_t handle, const char *key);
esp_err_t nvs_commit (nvs_handle_t handle);
void nvs_close (nvs_handle_t handle);
#endif
