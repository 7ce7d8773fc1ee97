/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The configuration measured by build-aux/footprint: the limits of a small microcontroller
 * device with 8 properties and 4 subscriptions. It is included before iotscp_config.h (with the
 * compiler's -include), so every macro here overrides the default; everything not set here keeps
 * the value docs/protocol.md section 8 asks for.
 */
#ifndef FOOTPRINT_CONFIG_H
#define FOOTPRINT_CONFIG_H

#define IOTSCP_MAX_PROPERTIES 8
#define IOTSCP_MAX_SUBSCRIPTIONS 4

/* The example declares one action and one event; room for two of each. */
#define IOTSCP_MAX_ACTIONS 2
#define IOTSCP_MAX_EVENTS 2

/* Section 8 makes 4 concurrent TLS connections the simulator's default, not a minimum. A
 * microcontroller serves two (a hub and one more controller); mbedTLS's own per-connection
 * memory is heap, not counted here. FOOTPRINT_CONNECTIONS lets the script measure others. */
#ifdef FOOTPRINT_CONNECTIONS
#define IOTSCP_MAX_CONNECTIONS FOOTPRINT_CONNECTIONS
#else
#define IOTSCP_MAX_CONNECTIONS 2
#endif

#endif /* FOOTPRINT_CONFIG_H */
