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
/* Property changes and events waiting for subscribers: half the simulator's ring. A subscriber
 * that falls more than about 1 KiB of entries behind (20 or so changes while its NOTIFY is out)
 * sees a SEQ gap and re-reads the state, as protocol.md section 7.5 lets a device do; every
 * other limit stays what protocol.md section 8 asks for. */
#ifndef IOTSCP_EVENT_RING_SIZE /* build-aux/footprint -D may measure others */
#define IOTSCP_EVENT_RING_SIZE 1024
#endif
/* 32 entries of about 30 bytes or more fill 1 KiB; more index slots would only cost RAM. */
#ifndef IOTSCP_EVENT_RING_ENTRIES
#define IOTSCP_EVENT_RING_ENTRIES 32
#endif

#ifdef FOOTPRINT_CONNECTIONS
#define IOTSCP_MAX_CONNECTIONS FOOTPRINT_CONNECTIONS
#else
#define IOTSCP_MAX_CONNECTIONS 2
#endif

#endif /* FOOTPRINT_CONFIG_H */
