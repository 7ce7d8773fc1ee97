/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * API-drift check only: declares the ESP-IDF v4.4 functions and types that
 * firmware/port/esp-idf and firmware/examples/esp32-light use, with the signatures of ESP-IDF's
 * documentation and headers, so that the host compiler can type-check those files. Nothing here
 * is ever linked or run; see docs/firmware.md for what this does and does not verify.
 */
#ifndef FAKE_LWIP_SOCKETS_H
#define FAKE_LWIP_SOCKETS_H

/* lwIP offers the BSD socket API under the same names and types (LWIP_COMPAT_SOCKETS), which
 * ESP-IDF enables; the host's declarations of that API stand in for it here. Options that lwIP
 * lacks would compile here and fail there: the port uses only ones lwIP defines
 * (SO_REUSEADDR with LWIP_SO_REUSE, IP_ADD/DROP_MEMBERSHIP, IP_MULTICAST_TTL, IPV6_V6ONLY,
 * IPV6_JOIN/LEAVE_GROUP, TCP_NODELAY, MSG_DONTWAIT; IPV6_MULTICAST_HOPS under #ifdef). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif
