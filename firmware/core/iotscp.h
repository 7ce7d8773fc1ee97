/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp.h — the public API of the IOTSCP/2 device core.
 *
 * A device is a struct the application allocates (statically on a chip, once at start-up on
 * Linux) and never moves. The core keeps all its state in that struct, sized at compile time by
 * the macros in iotscp_config.h, and allocates nothing itself after iotscp_device_start() (only
 * mbedTLS allocates, for its TLS contexts, while a connection exists).
 *
 * Life of a device:
 *
 *   iotscp_device_init (dev, port, &info, &callbacks);
 *   iotscp_device_add_property (dev, &decl, &initial_value);   // ≤ IOTSCP_MAX_PROPERTIES
 *   iotscp_device_add_action (dev, &decl);                     // ≤ IOTSCP_MAX_ACTIONS
 *   iotscp_device_add_event (dev, &decl);                      // ≤ IOTSCP_MAX_EVENTS
 *   iotscp_device_start (dev);                                 // identity, listen, mDNS, probe
 *   loop:
 *     n = iotscp_device_pollfds (dev, fds, IOTSCP_DEVICE_MAX_POLLFDS);
 *     poll/select fds[0..n) until ready or iotscp_device_next_deadline (dev);
 *     iotscp_device_process (dev, fds, n, iotscp_port_now_ms (port));
 *   iotscp_device_stop (dev);
 *
 * One thread drives any number of devices: collect the pollfds of all of them into one array,
 * poll once, and give each device back its own slice. All declarations (names, titles, enum
 * lists, field lists) are borrowed, not copied: they must stay valid while the device exists.
 */
#ifndef IOTSCP_H
#define IOTSCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotscp_config.h"
#include "iotscp_port.h"

#ifdef __cplusplus
extern "C"
{
#endif

  typedef struct iotscp_device iotscp_device;

  /* Results of the API functions. */
  enum
  {
    IOTSCP_OK = 0,
    IOTSCP_REFUSED = 1,         /* Returned by callbacks: the device logic says no (409). */
    IOTSCP_ERR_INVALID = -1,    /* Bad argument or declaration (message logged). */
    IOTSCP_ERR_FULL = -2,       /* A compile-time table is full. */
    IOTSCP_ERR_STATE = -3,      /* Wrong moment (e.g. declaring after start). */
    IOTSCP_ERR_STORAGE = -4,    /* Port storage failed. */
    IOTSCP_ERR_CRYPTO = -5,     /* Key, certificate or TLS setup failed. */
    IOTSCP_ERR_NET = -6,        /* Could not listen. */
    IOTSCP_ERR_ADDR_IN_USE = -7 /* The requested TCP port is taken. */
  };

  /* ---- Values and their schemas --------------------------------------------------------------- */

  typedef enum
  {
    IOTSCP_TYPE_NULL = 0, /* Absent value (an omitted optional field, a null action output). */
    IOTSCP_TYPE_BOOLEAN,
    IOTSCP_TYPE_INTEGER,
    IOTSCP_TYPE_NUMBER,
    IOTSCP_TYPE_STRING,
  } iotscp_type;

  /*
 * A value. Strings are UTF-8 with an explicit length (no NUL needed); the core copies property
 * strings into the device (at most IOTSCP_MAX_STRING_VALUE bytes), and strings handed to
 * callbacks are only valid during the call.
 */
  typedef struct iotscp_value
  {
    iotscp_type type;
    union
    {
      bool boolean;
      int64_t integer;
      double number;
      struct
      {
        const char *string;
        size_t length;
      };
    };
  } iotscp_value;

  /* Convenience constructors. */
  static inline iotscp_value iotscp_bool (bool b)
  {
    iotscp_value v = { .type = IOTSCP_TYPE_BOOLEAN, .boolean = b };
    return v;
  }
  static inline iotscp_value iotscp_int (int64_t i)
  {
    iotscp_value v = { .type = IOTSCP_TYPE_INTEGER, .integer = i };
    return v;
  }
  static inline iotscp_value iotscp_number (double n)
  {
    iotscp_value v = { .type = IOTSCP_TYPE_NUMBER, .number = n };
    return v;
  }
  iotscp_value iotscp_string (const char *nul_terminated);

  /* Bits of iotscp_schema.flags. */
  enum
  {
    IOTSCP_HAS_MINIMUM = 1 << 0,
    IOTSCP_HAS_MAXIMUM = 1 << 1,
    IOTSCP_HAS_STEP = 1 << 2,
  };

  /*
 * The type of one property, action input field or event data field. The core validates every
 * incoming value against it (422 otherwise) and writes it into the description as JSON Schema.
 * minimum/maximum/step apply to integer and number; enum_values to all but boolean (for
 * integer and number: the decimal text of each number, e.g. "2700", compared by value).
 */
  typedef struct iotscp_schema
  {
    iotscp_type type;
    uint8_t flags;
    uint8_t enum_count;
    double minimum;
    double maximum;
    double step;
    const char *unit;               /* NULL or e.g. "%", "°C". */
    const char *const *enum_values; /* enum_count UTF-8 strings. */
  } iotscp_schema;

  /* One field of an action's input object or an event's data object. */
  typedef struct iotscp_field
  {
    const char *name;  /* 1–32 bytes UTF-8. */
    const char *title; /* NULL or a human title. */
    iotscp_schema schema;
    bool required;
  } iotscp_field;

  typedef struct iotscp_property_decl
  {
    const char *name;        /* 1–32 bytes UTF-8, no '/', '%', '?', '#', controls, edge spaces. */
    const char *title;       /* Any UTF-8. */
    const char *description; /* NULL or a sentence for people. */
    iotscp_schema schema;
    bool read_only;
    const char *ui_widget; /* NULL or "switch", "slider", "dropdown", "entry", "readout". */
    const char *ui_group;  /* NULL or a group name. */
  } iotscp_property_decl;

  /* An action takes an object whose fields are `input` (none: the action takes no input). */
  typedef struct iotscp_action_decl
  {
    const char *name;
    const char *title;
    const char *description; /* NULL or a sentence for people. */
    const iotscp_field *input;
    uint8_t input_count;
  } iotscp_action_decl;

  /* An event carries an object whose fields are `data`. */
  typedef struct iotscp_event_decl
  {
    const char *name;
    const char *title;
    const char *description; /* NULL or a sentence for people. */
    const iotscp_field *data;
    uint8_t data_count;
  } iotscp_event_decl;

  /* ---- Device info and callbacks -------------------------------------------------------------- */

  typedef struct iotscp_device_info
  {
    /* The device id (1–64 bytes of [a-z0-9-]), or NULL / "generate": make `id_prefix` + 16 random
   * hex digits on first boot and keep it in storage. */
    const char *id;
    const char *id_prefix; /* For generated ids; NULL means "dev-". */
    const char *name;      /* Any UTF-8, at most IOTSCP_DEVICE_NAME_MAX bytes. */
    const char *model;
    const char *manufacturer;
    const char *firmware;
    const char *ui_icon;    /* "light", "switch", "keypad", "thermometer", "motion", "lock",
                             "generic", or NULL (omitted). */
    const char *ui_primary; /* NULL or the name of the main property. */
    const char *storage_ns; /* Storage namespace of this device ("" = port default). */
    uint16_t tcp_port;      /* 0 = any free port (see iotscp_device_tcp_port()). */
  } iotscp_device_info;

  typedef struct iotscp_callbacks
  {
    /*
   * A controller wants property `index` to be *value (already validated against the schema).
   * Return IOTSCP_OK to apply it (the callback may adjust *value, e.g. round it; the core
   * re-validates, stores it and notifies subscribers), or IOTSCP_REFUSED after writing a short
   * human reason into `reason` (NUL-terminated, at most reason_cap bytes): the controller gets
   * 409 `refused` with that message. NULL callback: every valid write is applied.
   * Strings in *value are valid only during the call.
   */
    int (*write_property) (iotscp_device *dev, size_t index, iotscp_value *value, char *reason,
                           size_t reason_cap, void *user);
    /*
   * A controller invokes action `index`; input[i] is the value of field i of the action's input
   * (type IOTSCP_TYPE_NULL when an optional field is absent), already validated. Set *output
   * (preset to null) and return IOTSCP_OK, or refuse like write_property. A string output must
   * stay valid until the callback returns to the core, which writes the answer immediately.
   * NULL callback: every action answers {"output": null}.
   */
    int (*invoke_action) (iotscp_device *dev, size_t index, const iotscp_value *input,
                          iotscp_value *output, char *reason, size_t reason_cap, void *user);
    void *user;
  } iotscp_callbacks;

  /* ---- Polling -------------------------------------------------------------------------------- */

  enum
  {
    IOTSCP_POLL_IN = 1 << 0,
    IOTSCP_POLL_OUT = 1 << 1,
    IOTSCP_POLL_ERR = 1 << 2, /* Only in revents: error or hang-up. */
  };

  typedef struct iotscp_pollfd
  {
    int handle;
    uint8_t events;  /* Set by the core. */
    uint8_t revents; /* Set by the application before iotscp_device_process(). */
  } iotscp_pollfd;

  /* ---- Lifecycle ------------------------------------------------------------------------------ */

  /* Resets *dev and records info and callbacks (the pointers inside info are borrowed). */
  int iotscp_device_init (iotscp_device *dev, iotscp_port *port, const iotscp_device_info *info,
                          const iotscp_callbacks *callbacks);

  /* Declarations, only before start. Return the new index (>= 0) or a negative IOTSCP_ERR_*.
 * `initial` must be valid for the schema (NULL: false, 0, minimum or the first enum value). */
  int iotscp_device_add_property (iotscp_device *dev, const iotscp_property_decl *decl,
                                  const iotscp_value *initial);
  int iotscp_device_add_action (iotscp_device *dev, const iotscp_action_decl *decl);
  int iotscp_device_add_event (iotscp_device *dev, const iotscp_event_decl *decl);

  /*
 * Loads the device id, key and certificate from storage, or makes them on first boot (ECDSA
 * P-256, self-signed, CN=<id>). With new_key, makes a new key and certificate (the id stays).
 * Called by iotscp_device_start() if the application has not called it; the simulator's
 * get-cert calls it alone. Returns IOTSCP_OK or an error.
 */
  int iotscp_device_load_identity (iotscp_device *dev, bool new_key);

  /* Adds a controller key fingerprint (64 hex digits) with a name, kept in storage. This is how an
 * administrator (the simulator's --allow-controller) adds the first controller. Adding a present
 * fingerprint succeeds. Needs the identity loaded. */
  int iotscp_device_add_controller (iotscp_device *dev, const char *fingerprint_hex,
                                    const char *name);

  /* Identity, controllers, a new boot id, the TLS listener, mDNS and the multicast probe. */
  int iotscp_device_start (iotscp_device *dev);

  /* Closes every connection and socket, withdraws mDNS and frees mbedTLS memory. Subscriptions
 * end silently (the subscribers' heartbeat timeout notices). */
  void iotscp_device_stop (iotscp_device *dev);

  /* ---- Event loop ----------------------------------------------------------------------------- */

  /* Writes the handles the device wants polled into fds (at most cap, which should be
 * IOTSCP_DEVICE_MAX_POLLFDS) and returns their count. */
  size_t iotscp_device_pollfds (iotscp_device *dev, iotscp_pollfd *fds, size_t cap);

  /* Does all pending work: serves ready sockets (fds as returned by pollfds with revents filled
 * in; fds may be NULL with n == 0 to only run timers), runs deadlines up to now_ms. */
  void iotscp_device_process (iotscp_device *dev, const iotscp_pollfd *fds, size_t n,
                              uint64_t now_ms);

  /* The earliest absolute time (iotscp_port_now_ms clock) at which process must run even if no
 * socket is ready; UINT64_MAX if none. May be in the past: then process at once. */
  uint64_t iotscp_device_next_deadline (const iotscp_device *dev);

  /* How many changes and events wait in the device's ring for the subscriber furthest behind,
 * those of a NOTIFY in flight included (0 without subscriptions). An application that can
 * choose when to sample keeps this well below IOTSCP_EVENT_RING_ENTRIES, so that no entry is
 * dropped and no subscriber has to re-read the state (the simulator's --emit-rate max). */
  size_t iotscp_device_pending_entries (const iotscp_device *dev);

  /* ---- State changes from the application ------------------------------------------------------ */

  /* Sets property `index` (validated against its schema; a read-only property can be set here),
 * and notifies subscribers if the value changed. */
  int iotscp_device_set_property (iotscp_device *dev, size_t index, const iotscp_value *value);
  /* Index of a property, action or event by name, or -1. */
  int iotscp_device_find_property (const iotscp_device *dev, const char *name);
  int iotscp_device_find_action (const iotscp_device *dev, const char *name);
  int iotscp_device_find_event (const iotscp_device *dev, const char *name);
  /* The current value (strings point into the device and change with the next set). */
  const iotscp_value *iotscp_device_get_property (const iotscp_device *dev, size_t index);

  /* Emits event `index` with data[i] for field i (NULL type for an absent optional field) to all
 * subscribers. */
  int iotscp_device_emit_event (iotscp_device *dev, size_t index, const iotscp_value *data);

  /* Changes the device name (kept in RAM; the application persists it if it wants). Republishes
 * mDNS and announces through the probe responder. */
  int iotscp_device_set_name (iotscp_device *dev, const char *name);

  /* ---- Read-only facts (for ports, the probe responder and the application) ------------------ */

  const char *iotscp_device_id (const iotscp_device *dev);
  const char *iotscp_device_name (const iotscp_device *dev);
  /* 64 lowercase hex digits, "" before the identity is loaded. */
  const char *iotscp_device_fingerprint (const iotscp_device *dev);
  /* 32 lowercase hex digits of this boot's id, "" before start. */
  const char *iotscp_device_boot_id (const iotscp_device *dev);
  /* The TCP port the device listens on (known after start). */
  uint16_t iotscp_device_tcp_port (const iotscp_device *dev);
  /* True while a pairing window is open (always false until pairing exists). */
  bool iotscp_device_pairing_open (const iotscp_device *dev);
  iotscp_port *iotscp_device_port (const iotscp_device *dev);
  /* Milliseconds since this device started (the "t" of NOTIFY entries). */
  uint64_t iotscp_device_uptime_ms (const iotscp_device *dev, uint64_t now_ms);

/* The DNS-SD / probe path of the description. */
#define IOTSCP_DESCRIPTION_PATH "/.well-known/iotscp"
#define IOTSCP_DEFAULT_TCP_PORT 4443

#ifdef __cplusplus
}
#endif

/* The struct itself (the application needs its size; its fields are private to the core). */
#include "iotscp_device_struct.h"

#endif /* IOTSCP_H */
