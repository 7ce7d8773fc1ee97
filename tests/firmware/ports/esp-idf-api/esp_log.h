/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_ESP_LOG_H
#define FAKE_ESP_LOG_H

#include <stdint.h>
typedef enum
{
  ESP_LOG_NONE,
  ESP_LOG_ERROR,
  ESP_LOG_WARN,
  ESP_LOG_INFO,
  ESP_LOG_DEBUG,
  ESP_LOG_VERBOSE
} esp_log_level_t;
void esp_log_write (esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
/* The real macros add a prefix and a timestamp to the format; the arguments are checked the
 * same way. */
#define ESP_LOGE(tag, format, ...) esp_log_write (ESP_LOG_ERROR, tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) esp_log_write (ESP_LOG_WARN, tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) esp_log_write (ESP_LOG_INFO, tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) esp_log_write (ESP_LOG_DEBUG, tag, format, ##__VA_ARGS__)
#endif
