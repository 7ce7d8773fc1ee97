/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_ESP_ERR_H
#define FAKE_ESP_ERR_H

#include <stdint.h>
typedef int esp_err_t;
#define ESP_OK 0
#define ESP_FAIL -1
#define ESP_ERR_NO_MEM 0x101
#define ESP_ERR_INVALID_ARG 0x102
#define ESP_ERR_INVALID_STATE 0x103
#define ESP_ERR_NOT_FOUND 0x105
#define ESP_ERR_NVS_BASE 0x1100
#define ESP_ERR_NVS_NOT_FOUND (ESP_ERR_NVS_BASE + 0x02)
#define ESP_ERR_NVS_INVALID_LENGTH (ESP_ERR_NVS_BASE + 0x0c)
#define ESP_ERR_NVS_NO_FREE_PAGES (ESP_ERR_NVS_BASE + 0x0d)
#define ESP_ERR_NVS_NEW_VERSION_FOUND (ESP_ERR_NVS_BASE + 0x10)
const char *esp_err_to_name (esp_err_t code);
void _esp_error_check_failed (esp_err_t rc, const char *file, int line, const char *function,
                              const char *expression) __attribute__ ((noreturn));
#define ESP_ERROR_CHECK(x)                                                                         \
  do                                                                                               \
    {                                                                                              \
      esp_err_t err_rc_ = (x);                                                                     \
      if (err_rc_ != ESP_OK)                                                                       \
        _esp_error_check_failed (err_rc_, __FILE__, __LINE__, __func__, #x);                       \
    }                                                                                              \
  while (0)
#endif
