/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_MDNS_H
#define FAKE_MDNS_H

#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
typedef struct
{
  const char *key;
  const char *value;
} mdns_txt_item_t;
esp_err_t mdns_init (void);
void mdns_free (void);
esp_err_t mdns_hostname_set (const char *hostname);
esp_err_t mdns_instance_name_set (const char *instance_name);
esp_err_t mdns_service_add (const char *instance_name, const char *service_type, const char *proto,
                            uint16_t port, mdns_txt_item_t txt[], size_t num_items);
esp_err_t mdns_service_remove (const char *service_type, const char *proto);
esp_err_t mdns_service_instance_name_set (const char *service_type, const char *proto,
                                          const char *instance_name);
esp_err_t mdns_service_txt_set (const char *service_type, const char *proto, mdns_txt_item_t txt[],
                                uint8_t num_items);
#endif
