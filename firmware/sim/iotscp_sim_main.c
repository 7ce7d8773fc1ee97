/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * iotscp-device: hosts one or many simulated IOTSCP/2 devices on the POSIX port, all driven by
 * one poll() loop. Fully non-interactive; logs go to stderr, and one line per device on stdout
 * says it is ready:  ready id=<id> port=<port> fingerprint=<64 hex>
 *
 *   iotscp-device [--profile light|switch|keypad|thermometer|motion|lock | --description FILE]
 *                 [--name NAME] [--port N] [--state-dir DIR] [--count N]
 *                 [--allow-controller SHA256]... [--emit-rate HZ|max] [--no-mdns]
 *   iotscp-device get-cert --state-dir DIR [--force]
 *
 * With --count 1 the device keeps its state in DIR itself; with --count N device i uses DIR/i.
 */
#define _GNU_SOURCE 1

#include "iotscp_posix.h"
#include "iotscp_sim.h"
#include "iotscp_internal.h"
#include "iotscp_text.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <poll.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ALLOWED 8

typedef struct sim_device
{
  iotscp_device dev;
  const sim_model *model;
  char ns[16];
  char name[IOTSCP_DEVICE_NAME_MAX + 1];
  uint64_t next_emit_ms;
  uint32_t tick;
  uint32_t random_state;
  /* Keypad: the key that is down (0: none). */
  int key_down;
} sim_device;

static volatile sig_atomic_t quit_requested;

static void
on_signal (int signum)
{
  (void)signum;
  quit_requested = 1;
}

static const char usage_text[]
    = "usage: iotscp-device [--profile light|switch|keypad|thermometer|motion|lock | "
      "--description FILE] [--name NAME] [--port N] [--state-dir DIR] [--count N] "
      "[--allow-controller SHA256]... [--emit-rate HZ|max] [--no-mdns]\n"
      "       iotscp-device get-cert --state-dir DIR [--force]\n"
      "       iotscp-device --help\n"
      "\n"
      "  --profile P               a built-in device model (default light)\n"
      "  --description FILE        simulate the self-description document in FILE\n"
      "  --name NAME               the device name, any UTF-8 (numbered with --count)\n"
      "  --port N                  TLS port of the first device (default 4443; 0: any free)\n"
      "  --state-dir DIR           where ids, keys and controller lists are kept\n"
      "  --count N                 host N devices in this process\n"
      "  --allow-controller SHA256 add a controller key fingerprint (repeatable)\n"
      "  --emit-rate HZ            how often each device changes a value or emits an event\n"
      "  --emit-rate max           as often as the subscriptions carry the changes away: the\n"
      "                            event ring is kept three quarters full\n"
      "  --no-mdns                 do not announce the devices over mDNS (reached by address\n"
      "                            only; for benchmarks with many devices)\n"
      "  -h, --help                print this help and exit\n"
      "  get-cert [--force]        print the device id and key fingerprint (--force: new key)\n";

static void usage_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

/* Bad arguments: the reason and the usage on stderr, exit status 2. */
static void
usage_error (const char *fmt, ...)
{
  va_list args;
  fprintf (stderr, "iotscp-device: ");
  va_start (args, fmt);
  vfprintf (stderr, fmt, args);
  va_end (args);
  fprintf (stderr, "\n%s", usage_text);
  exit (2);
}

static long
parse_long (const char *text, long min, long max, const char *option)
{
  char *end;
  long v;
  errno = 0;
  v = strtol (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
    usage_error ("%s needs a whole number from %ld to %ld, not \"%s\"", option, min, max, text);
  return v;
}

/* Accepts 64 hex digits, in either case, optionally in groups separated by spaces or colons. */
static bool
normalise_fingerprint (const char *in, char out[65])
{
  size_t n = 0;
  for (; *in; in++)
    {
      char c = *in;
      if (c == ' ' || c == ':')
        continue;
      if (c >= 'A' && c <= 'F')
        c = (char)(c - 'A' + 'a');
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || n >= 64)
        return false;
      out[n++] = c;
    }
  out[n] = '\0';
  return n == 64;
}

/* ---- Simulated behaviour ---- */

static uint32_t
next_random (sim_device *sd)
{
  /* xorshift32: plausible, cheap, and different per device. */
  uint32_t x = sd->random_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  sd->random_state = x;
  return x;
}

static int
property_index (sim_device *sd, const char *name)
{
  return iotscp_device_find_property (&sd->dev, name);
}

static const iotscp_value *
property (sim_device *sd, const char *name)
{
  int i = property_index (sd, name);
  return i < 0 ? NULL : iotscp_device_get_property (&sd->dev, (size_t)i);
}

static void
set (sim_device *sd, const char *name, iotscp_value value)
{
  int i = property_index (sd, name);
  if (i >= 0)
    iotscp_device_set_property (&sd->dev, (size_t)i, &value);
}

static void
emit (sim_device *sd, const char *name, const iotscp_value *data)
{
  int i = iotscp_device_find_event (&sd->dev, name);
  if (i >= 0)
    iotscp_device_emit_event (&sd->dev, (size_t)i, data);
}

static double
round1 (double v)
{
  return round (v * 10.0) / 10.0;
}

static int
on_write (iotscp_device *dev, size_t index, iotscp_value *value, char *reason, size_t cap,
          void *user)
{
  sim_device *sd = (sim_device *)dev;
  const char *name = sd->model->properties[index].name;
  (void)user;
  switch (sd->model->kind)
    {
      case SIM_KIND_LOCK:
        if (strcmp (name, "locked") == 0)
          {
            const iotscp_value *jammed = property (sd, "jammed");
            if (jammed != NULL && jammed->boolean)
              {
                snprintf (reason, cap, "the bolt is jammed");
                return IOTSCP_REFUSED;
              }
            if (property (sd, "locked")->boolean != value->boolean)
              {
                iotscp_value data[2] = { iotscp_bool (value->boolean), iotscp_string ("remote") };
                emit (sd, "changed", data);
              }
          }
        break;
      case SIM_KIND_SWITCH:
        if (strcmp (name, "on") == 0)
          set (sd, "power", iotscp_number (value->boolean ? 42.0 : 0.0));
        break;
      default:
        break;
    }
  return IOTSCP_OK;
}

static int
on_action (iotscp_device *dev, size_t index, const iotscp_value *input, iotscp_value *output,
           char *reason, size_t cap, void *user)
{
  sim_device *sd = (sim_device *)dev;
  const char *name = sd->model->actions[index].name;
  (void)user;
  (void)output;
  if (sd->model->kind == SIM_KIND_LIGHT && strcmp (name, "blink") == 0)
    {
      if (!property (sd, "on")->boolean)
        {
          snprintf (reason, cap, "the light is off");
          return IOTSCP_REFUSED;
        }
      return IOTSCP_OK;
    }
  if (sd->model->kind == SIM_KIND_SWITCH && strcmp (name, "reset-energy") == 0)
    {
      set (sd, "energy", iotscp_number (0));
      return IOTSCP_OK;
    }
  if (sd->model->kind == SIM_KIND_KEYPAD && strcmp (name, "press") == 0)
    {
      /* A short press: one more key is held while it is down ("pressed" counts held keys;
       * a key the --emit-rate ticks hold stays counted). */
      iotscp_value data[3] = { input[0], iotscp_string ("down"), input[1] };
      int64_t held = sd->key_down != 0 ? 1 : 0;
      if (data[2].type == IOTSCP_TYPE_NULL)
        data[2] = iotscp_int (64);
      set (sd, "pressed", iotscp_int (held + 1));
      emit (sd, "key", data);
      data[1] = iotscp_string ("up");
      data[2] = iotscp_int (0);
      emit (sd, "key", data);
      set (sd, "pressed", iotscp_int (held));
      return IOTSCP_OK;
    }
  return IOTSCP_OK;
}

/* With --emit-rate max, whether the device may change values now: while fewer entries than
 * three quarters of the event ring wait (with room for the up to 4 entries of one tick), so a
 * full batch can be in flight and the next one fills up behind it, and none is dropped. */
static bool
ring_has_room (const sim_device *sd)
{
  return iotscp_device_pending_entries (&sd->dev) + 4 <= IOTSCP_EVENT_RING_ENTRIES * 3 / 4;
}

/*
 * Waiting for the devices' sockets. poll() over every socket of every device on each turn of
 * the loop cost the kernel a visit to each (about 5 per device) every time one NOTIFY answer
 * arrived: with 100 devices under the event-intake benchmark, a third of the simulator's time.
 * On Linux an epoll set keeps the interest list in the kernel; each turn only changes what
 * changed (the core's handles and the events it wants are gathered as before, and compared with
 * what is registered). A handle the core closes is dropped from the set by the port's closing
 * hook before it is closed, since the kernel forgets it at close and its number may come back
 * for the next socket at once. Elsewhere, poll().
 */
typedef struct
{
  int epoll_fd;        /* -1: poll() */
  size_t cap;          /* entries of the arrays below, indexed by handle */
  uint8_t *registered; /* 0: not in the set, else 0x80 | the IOTSCP_POLL_* events in it */
  uint32_t *seen;      /* the turn that last listed the handle */
  uint32_t *slot;      /* its index in this turn's arrays */
  uint32_t turn;
  int max_handle;
} socket_watch;

static void
socket_watch_closing (void *user, int handle)
{
  socket_watch *watch = user;
#ifdef __linux__
  if (watch->epoll_fd >= 0 && handle >= 0 && (size_t)handle < watch->cap
      && watch->registered[handle] != 0)
    {
      epoll_ctl (watch->epoll_fd, EPOLL_CTL_DEL, handle, NULL);
      watch->registered[handle] = 0;
    }
#else
  (void)watch;
  (void)handle;
#endif
}

#ifdef __linux__
static uint32_t
epoll_events_of (uint8_t events)
{
  return ((events & IOTSCP_POLL_IN) ? EPOLLIN : 0u) | ((events & IOTSCP_POLL_OUT) ? EPOLLOUT : 0u);
}

static bool
socket_watch_grow (socket_watch *watch, int handle)
{
  size_t cap = watch->cap ? watch->cap : 256;
  while ((size_t)handle >= cap)
    cap *= 2;
  if (cap == watch->cap)
    return true;
  uint8_t *registered = realloc (watch->registered, cap * sizeof *registered);
  if (registered != NULL)
    watch->registered = registered;
  uint32_t *seen = realloc (watch->seen, cap * sizeof *seen);
  if (seen != NULL)
    watch->seen = seen;
  uint32_t *slot = realloc (watch->slot, cap * sizeof *slot);
  if (slot != NULL)
    watch->slot = slot;
  if (registered == NULL || seen == NULL || slot == NULL)
    return false;
  memset (watch->registered + watch->cap, 0, (cap - watch->cap) * sizeof *registered);
  memset (watch->seen + watch->cap, 0, (cap - watch->cap) * sizeof *seen);
  watch->cap = cap;
  return true;
}

/* Brings the epoll set in line with this turn's handles; false if that failed (then poll()). */
static bool
socket_watch_update (socket_watch *watch, const iotscp_pollfd *fds, size_t n)
{
  watch->turn++;
  for (size_t k = 0; k < n; k++)
    {
      int handle = fds[k].handle;
      uint8_t wanted = (uint8_t)(0x80 | (fds[k].events & (IOTSCP_POLL_IN | IOTSCP_POLL_OUT)));
      struct epoll_event ev = { .events = epoll_events_of (fds[k].events), .data.fd = handle };
      if (handle < 0 || !socket_watch_grow (watch, handle) || watch->seen[handle] == watch->turn)
        return false; /* a handle listed twice would need two slots */
      watch->seen[handle] = watch->turn;
      watch->slot[handle] = (uint32_t)k;
      if (handle > watch->max_handle)
        watch->max_handle = handle;
      if (watch->registered[handle] == wanted)
        continue;
      if (epoll_ctl (watch->epoll_fd,
                     watch->registered[handle] != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, handle, &ev)
              < 0
          && (errno != EEXIST || epoll_ctl (watch->epoll_fd, EPOLL_CTL_MOD, handle, &ev) < 0)
          && (errno != ENOENT || epoll_ctl (watch->epoll_fd, EPOLL_CTL_ADD, handle, &ev) < 0))
        return false;
      watch->registered[handle] = wanted;
    }
  /* Handles the core no longer lists (still open: closed ones left through the hook). */
  for (int handle = 0; handle <= watch->max_handle && (size_t)handle < watch->cap; handle++)
    if (watch->registered[handle] != 0 && watch->seen[handle] != watch->turn)
      {
        epoll_ctl (watch->epoll_fd, EPOLL_CTL_DEL, handle, NULL);
        watch->registered[handle] = 0;
      }
  return true;
}
#endif

/* Waits like poll() on fds (the core's handles, n of them) and fills in their revents; returns
 * the number of handles ready, 0 on timeout, -1 on error (errno set). */
static int
socket_watch_wait (socket_watch *watch, iotscp_pollfd *fds, struct pollfd *pfds, size_t n,
                   int timeout)
{
  int ready;
#ifdef __linux__
  if (watch->epoll_fd >= 0 && socket_watch_update (watch, fds, n))
    {
      struct epoll_event events[256];
      for (size_t k = 0; k < n; k++)
        fds[k].revents = 0;
      ready = epoll_wait (watch->epoll_fd, events, 256, timeout);
      for (int e = 0; e < ready; e++)
        {
          int handle = events[e].data.fd;
          uint8_t revents = 0;
          if (handle < 0 || (size_t)handle >= watch->cap || watch->seen[handle] != watch->turn)
            continue;
          if (events[e].events & EPOLLIN)
            revents |= IOTSCP_POLL_IN;
          if (events[e].events & EPOLLOUT)
            revents |= IOTSCP_POLL_OUT;
          if (events[e].events & (EPOLLERR | EPOLLHUP))
            revents |= IOTSCP_POLL_ERR;
          fds[watch->slot[handle]].revents = revents;
        }
      return ready;
    }
#endif
  for (size_t k = 0; k < n; k++)
    {
      pfds[k].fd = fds[k].handle;
      pfds[k].events = iotscp_posix_poll_events (fds[k].events);
      pfds[k].revents = 0;
    }
  ready = poll (pfds, n, timeout);
  for (size_t k = 0; k < n; k++)
    fds[k].revents = ready > 0 ? iotscp_posix_poll_revents (pfds[k].revents) : 0;
  return ready;
}

/* One --emit-rate tick: a plausible change for the device's kind. */
static void
simulate_tick (sim_device *sd)
{
  uint32_t r = next_random (sd);
  sd->tick++;
  switch (sd->model->kind)
    {
      case SIM_KIND_LIGHT:
        if (r % 3 == 0)
          set (sd, "on", iotscp_bool (!property (sd, "on")->boolean));
        else
          set (sd, "brightness", iotscp_int (1 + (int64_t)(r % 100)));
        break;
      case SIM_KIND_SWITCH:
        {
          double energy = property (sd, "energy")->number;
          bool on = property (sd, "on")->boolean;
          if (r % 5 == 0)
            {
              on = !on;
              set (sd, "on", iotscp_bool (on));
            }
          set (sd, "power", iotscp_number (on ? round1 (35.0 + (double)(r % 200) / 10.0) : 0.0));
          if (on)
            set (sd, "energy", iotscp_number (round (energy * 1000.0 + 1.0) / 1000.0));
          break;
        }
      case SIM_KIND_KEYPAD:
        {
          /* Alternate down and up so every key that goes down comes up again. */
          iotscp_value data[3];
          if (sd->key_down == 0)
            {
              sd->key_down = 1 + (int)(r % 88);
              data[0] = iotscp_int (sd->key_down);
              data[1] = iotscp_string ("down");
              data[2] = iotscp_int (1 + (int64_t)(r % 127));
              set (sd, "pressed", iotscp_int (1));
            }
          else
            {
              data[0] = iotscp_int (sd->key_down);
              data[1] = iotscp_string ("up");
              data[2] = iotscp_int (0);
              sd->key_down = 0;
              set (sd, "pressed", iotscp_int (0));
            }
          emit (sd, "key", data);
          break;
        }
      case SIM_KIND_THERMOMETER:
        {
          double t = property (sd, "temperature")->number + ((double)(r % 11) - 5.0) / 10.0;
          double h = property (sd, "humidity")->number + ((double)((r >> 8) % 11) - 5.0) / 10.0;
          set (sd, "temperature", iotscp_number (round1 (fmin (30.0, fmax (15.0, t)))));
          set (sd, "humidity", iotscp_number (round1 (fmin (70.0, fmax (30.0, h)))));
          break;
        }
      case SIM_KIND_MOTION:
        {
          bool motion = r % 2 == 0;
          set (sd, "motion", iotscp_bool (motion));
          if (motion)
            {
              iotscp_value strength = iotscp_int (20 + (int64_t)(r % 81));
              emit (sd, "motion", &strength);
            }
          break;
        }
      case SIM_KIND_LOCK:
        {
          /* Every 16th tick the bolt jams, and the next tick it is cleared by hand. */
          bool jammed = property (sd, "jammed")->boolean;
          if (jammed || sd->tick % 16 == 0)
            set (sd, "jammed", iotscp_bool (!jammed));
          else if (r % 4 == 0)
            {
              bool locked = !property (sd, "locked")->boolean;
              iotscp_value data[2] = { iotscp_bool (locked), iotscp_string ("manual") };
              set (sd, "locked", iotscp_bool (locked));
              emit (sd, "changed", data);
            }
          break;
        }
      default:
        {
          /* Generic: nudge a random property within its schema, or emit a random event. */
          size_t np = sd->model->property_count, ne = sd->model->event_count;
          if (np + ne == 0)
            break;
          if (r % (np + ne) < np)
            {
              size_t i = r % np;
              const iotscp_schema *s = &sd->model->properties[i].schema;
              double lo = (s->flags & IOTSCP_HAS_MINIMUM) ? s->minimum : 0;
              double hi = (s->flags & IOTSCP_HAS_MAXIMUM) ? s->maximum : lo + 100;
              iotscp_value v;
              double chosen;
              if ((s->type == IOTSCP_TYPE_INTEGER || s->type == IOTSCP_TYPE_NUMBER)
                  && s->enum_count > 0
                  && iotscp_model_enum_number (s, (r >> 8) % s->enum_count, &chosen))
                {
                  v = s->type == IOTSCP_TYPE_INTEGER ? iotscp_int ((int64_t)chosen)
                                                     : iotscp_number (chosen);
                  iotscp_device_set_property (&sd->dev, i, &v);
                  break;
                }
              switch (s->type)
                {
                  case IOTSCP_TYPE_BOOLEAN:
                    v = iotscp_bool ((r >> 8) & 1);
                    break;
                  case IOTSCP_TYPE_INTEGER:
                    {
                      /* In doubles: the range may span more than 2^32 (up to 2^54), where a
                       * 32-bit modulus would be zero or wrap. The loader keeps the bounds
                       * integral and within +-(2^53-1), so every value here is exact. */
                      double first = ceil (lo), last = floor (hi);
                      double pick
                          = first + floor ((last - first + 1.0) * (double)(r >> 8) / 16777216.0);
                      v = iotscp_int ((int64_t)fmin (pick, last));
                      break;
                    }
                  case IOTSCP_TYPE_NUMBER:
                    v = iotscp_number (lo + (hi - lo) * (double)((r >> 8) % 1000) / 1000.0);
                    break;
                  default:
                    v = iotscp_string (s->enum_count ? s->enum_values[(r >> 8) % s->enum_count]
                                                     : "x");
                    break;
                }
              iotscp_device_set_property (&sd->dev, i, &v);
            }
          else
            {
              const iotscp_event_decl *e = &sd->model->events[r % ne];
              iotscp_value data[IOTSCP_MAX_FIELDS];
              for (size_t f = 0; f < e->data_count; f++)
                {
                  const iotscp_schema *s = &e->data[f].schema;
                  double lo = (s->flags & IOTSCP_HAS_MINIMUM) ? s->minimum : 0;
                  switch (s->type)
                    {
                      case IOTSCP_TYPE_BOOLEAN:
                        data[f] = iotscp_bool (r & 1);
                        break;
                      case IOTSCP_TYPE_INTEGER:
                        data[f] = iotscp_int ((int64_t)ceil (lo));
                        break;
                      case IOTSCP_TYPE_NUMBER:
                        data[f] = iotscp_number (lo);
                        break;
                      default:
                        data[f] = iotscp_string (s->enum_count ? s->enum_values[0] : "x");
                        break;
                    }
                }
              iotscp_device_emit_event (&sd->dev, (size_t)(e - sd->model->events), data);
            }
          break;
        }
    }
}

/* ---- Start-up ---- */

static int
declare_model (sim_device *sd)
{
  const sim_model *m = sd->model;
  for (size_t i = 0; i < m->property_count; i++)
    if (iotscp_device_add_property (&sd->dev, &m->properties[i], m->initial ? &m->initial[i] : NULL)
        < 0)
      return -1;
  for (size_t i = 0; i < m->action_count; i++)
    if (iotscp_device_add_action (&sd->dev, &m->actions[i]) < 0)
      return -1;
  for (size_t i = 0; i < m->event_count; i++)
    if (iotscp_device_add_event (&sd->dev, &m->events[i]) < 0)
      return -1;
  return 0;
}

static int
get_cert (int argc, char **argv)
{
  const char *state_dir = NULL;
  bool force = false;
  static iotscp_port port;
  static iotscp_device dev;
  iotscp_device_info info
      = { .id = "generate", .id_prefix = "sim-", .name = "get-cert", .storage_ns = "" };
  for (int i = 2; i < argc; i++)
    {
      if (strcmp (argv[i], "--state-dir") == 0 && i + 1 < argc)
        state_dir = argv[++i];
      else if (strcmp (argv[i], "--force") == 0)
        force = true;
      else
        usage_error ("get-cert: unknown or incomplete argument \"%s\"", argv[i]);
    }
  if (state_dir == NULL)
    usage_error ("get-cert needs --state-dir DIR");
  if (iotscp_posix_port_init (&port, state_dir) < 0)
    return 1;
  iotscp_device_init (&dev, &port, &info, NULL);
  if (iotscp_device_load_identity (&dev, force) != IOTSCP_OK)
    {
      fprintf (stderr, "iotscp-device: cannot load or make the identity in %s\n", state_dir);
      return 1;
    }
  printf ("id %s\nfingerprint %s\n", iotscp_device_id (&dev), iotscp_device_fingerprint (&dev));
  iotscp_device_stop (&dev);
  iotscp_posix_port_fini (&port);
  return 0;
}

int
main (int argc, char **argv)
{
  /* Line-buffered, so each ready line reaches a file shared with stderr in one write() and is
   * never torn by a log line (a fully buffered stdout would flush mid-line). */
  setvbuf (stdout, NULL, _IOLBF, 0);
  const char *profile = NULL, *description = NULL, *name = NULL, *state_dir = NULL;
  const char *allowed[MAX_ALLOWED];
  size_t allowed_count = 0;
  long port_base = IOTSCP_DEFAULT_TCP_PORT, count = 1;
  double emit_rate = 0;
  bool emit_paced = false, announce = true;
  const sim_model *model;
  static sim_model loaded;
  static iotscp_port port;
  static socket_watch watch = { .epoll_fd = -1 };
  sim_device *devices;
  struct pollfd *pfds;
  iotscp_pollfd *ifds;
  size_t *slice_start, *slice_len;
  iotscp_callbacks callbacks = { .write_property = on_write, .invoke_action = on_action };
  struct sigaction sa;
  char state_default[] = "iotscp-device-state";

  /* Asked-for help is not an error: the usage goes to stdout with status 0. */
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        fputs (usage_text, stdout);
        return 0;
      }
  if (argc >= 2 && strcmp (argv[1], "get-cert") == 0)
    return get_cert (argc, argv);

  for (int i = 1; i < argc; i++)
    {
      const char *opt = argv[i];
      const char *val = i + 1 < argc ? argv[i + 1] : NULL;
      if (strcmp (opt, "--no-mdns") == 0)
        {
          announce = false;
          continue;
        }
      bool takes_value = strcmp (opt, "--profile") == 0 || strcmp (opt, "--description") == 0
                         || strcmp (opt, "--name") == 0 || strcmp (opt, "--port") == 0
                         || strcmp (opt, "--state-dir") == 0 || strcmp (opt, "--count") == 0
                         || strcmp (opt, "--allow-controller") == 0
                         || strcmp (opt, "--emit-rate") == 0;
      if (!takes_value)
        usage_error ("unknown argument \"%s\"", opt);
      if (val == NULL)
        usage_error ("%s needs a value", opt);
      i++;
      if (strcmp (opt, "--profile") == 0)
        profile = val;
      else if (strcmp (opt, "--description") == 0)
        description = val;
      else if (strcmp (opt, "--name") == 0)
        name = val;
      else if (strcmp (opt, "--port") == 0)
        port_base = parse_long (val, 0, 65535, "--port");
      else if (strcmp (opt, "--state-dir") == 0)
        state_dir = val;
      else if (strcmp (opt, "--count") == 0)
        count = parse_long (val, 1, 100000, "--count");
      else if (strcmp (opt, "--allow-controller") == 0)
        {
          char fp[65];
          if (!normalise_fingerprint (val, fp))
            usage_error ("--allow-controller needs a SHA-256 key fingerprint (64 hex digits), "
                         "not \"%s\"",
                         val);
          if (allowed_count >= MAX_ALLOWED)
            usage_error ("at most 8 --allow-controller options");
          allowed[allowed_count++] = strdup (fp);
        }
      else if (strcmp (opt, "--emit-rate") == 0)
        {
          char *end;
          emit_paced = strcmp (val, "max") == 0;
          emit_rate = emit_paced ? 1000 : strtod (val, &end);
          if (!emit_paced && (end == val || *end != '\0' || !(emit_rate >= 0 && emit_rate <= 1000)))
            usage_error ("--emit-rate needs a rate in Hz from 0 to 1000 or max, not \"%s\"", val);
        }
    }
  if (profile != NULL && description != NULL)
    usage_error ("--profile and --description exclude each other");
  if (port_base != 0 && port_base + count - 1 > 65535)
    usage_error ("--port plus --count goes beyond port 65535");
  if (name != NULL && (strlen (name) == 0 || strlen (name) > IOTSCP_DEVICE_NAME_MAX - 8))
    usage_error ("--name must be 1 to 120 bytes: \"%s\"", name);
  if (description != NULL)
    {
      char error[256];
      if (!sim_model_load_description (description, &loaded, error, sizeof error))
        usage_error ("--description: %s", error);
      model = &loaded;
    }
  else
    {
      model = sim_profile_find (profile ? profile : "light");
      if (model == NULL)
        usage_error ("unknown profile \"%s\" (light, switch, keypad, thermometer, motion, lock)",
                     profile);
    }
  if (state_dir == NULL)
    state_dir = state_default;

  iotscp_posix_raise_fd_limit ();
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  if ((announce ? iotscp_posix_port_init (&port, state_dir)
                : iotscp_posix_port_init_without_mdns (&port, state_dir))
      < 0)
    return 1;
#ifdef __linux__
  watch.epoll_fd = epoll_create1 (EPOLL_CLOEXEC); /* -1: poll() */
#endif
  port.closing = socket_watch_closing;
  port.closing_user = &watch;

  /* Everything the loop needs is allocated here, once. */
  devices = calloc ((size_t)count, sizeof *devices);
  pfds = calloc ((size_t)count * IOTSCP_DEVICE_MAX_POLLFDS, sizeof *pfds);
  ifds = calloc ((size_t)count * IOTSCP_DEVICE_MAX_POLLFDS, sizeof *ifds);
  slice_start = calloc ((size_t)count, sizeof *slice_start);
  slice_len = calloc ((size_t)count, sizeof *slice_len);
  if (!devices || !pfds || !ifds || !slice_start || !slice_len)
    {
      fprintf (stderr, "iotscp-device: out of memory for %ld devices\n", count);
      return 1;
    }

  for (long i = 0; i < count; i++)
    {
      sim_device *sd = &devices[i];
      iotscp_device_info info = { 0 };
      int ret;
      sd->model = model;
      if (count > 1)
        snprintf (sd->ns, sizeof sd->ns, "%d", (int)i); /* --count is at most 100,000 */
      {
        /* The number goes after the name, which is cut at a character boundary to make room. */
        const char *base = name ? name : model->name;
        char number[24] = "";
        size_t keep;
        if (count > 1)
          snprintf (number, sizeof number, " %ld", i + 1);
        keep = iotscp_text_cut_utf8 (base, sizeof sd->name - 1 - strlen (number));
        memcpy (sd->name, base, keep);
        memcpy (sd->name + keep, number, strlen (number) + 1);
      }
      info.id = "generate";
      info.id_prefix = "sim-";
      info.name = sd->name;
      info.model = model->model;
      info.manufacturer = model->manufacturer;
      info.firmware = model->firmware;
      info.ui_icon = model->ui_icon;
      info.ui_primary = model->ui_primary;
      info.storage_ns = sd->ns;
      info.tcp_port = port_base == 0 ? 0 : (uint16_t)(port_base + i);
      callbacks.user = sd;
      if (iotscp_device_init (&sd->dev, &port, &info, &callbacks) != IOTSCP_OK)
        usage_error ("invalid device name \"%s\"", sd->name);
      if (declare_model (sd) < 0)
        usage_error ("the model does not fit the device limits or is invalid");
      for (size_t a = 0; a < allowed_count; a++)
        if (iotscp_device_add_controller (&sd->dev, allowed[a], "administrator") != IOTSCP_OK)
          {
            fprintf (stderr, "iotscp-device: cannot store the controller list in %s\n", state_dir);
            return 1;
          }
      ret = iotscp_device_start (&sd->dev);
      if (ret != IOTSCP_OK)
        {
          fprintf (stderr, "iotscp-device: device %ld cannot start: %s\n", i,
                   ret == IOTSCP_ERR_ADDR_IN_USE ? "port in use"
                   : ret == IOTSCP_ERR_STORAGE   ? "storage failed"
                   : ret == IOTSCP_ERR_CRYPTO    ? "key or certificate failed"
                                                 : "cannot listen");
          for (long j = 0; j < i; j++)
            iotscp_device_stop (&devices[j].dev);
          return 1;
        }
      sd->random_state = (uint32_t)(2654435761u * (uint32_t)(i + 1)) ^ (uint32_t)time (NULL);
      if (sd->random_state == 0)
        sd->random_state = 1;
      if (emit_rate > 0)
        sd->next_emit_ms = iotscp_port_now_ms (&port)
                           + (uint64_t)(next_random (sd) % (uint32_t)(1000.0 / emit_rate + 1));
      printf ("ready id=%s port=%u fingerprint=%s\n", iotscp_device_id (&sd->dev),
              (unsigned)iotscp_device_tcp_port (&sd->dev), iotscp_device_fingerprint (&sd->dev));
    }
  fflush (stdout);

  while (!quit_requested)
    {
      size_t total = 0;
      uint64_t now = iotscp_port_now_ms (&port);
      uint64_t next = now + 60000;
      int timeout, ready;

      for (long i = 0; i < count; i++)
        {
          sim_device *sd = &devices[i];
          uint64_t d = iotscp_device_next_deadline (&sd->dev);
          size_t n = iotscp_device_pollfds (&sd->dev, ifds + total, IOTSCP_DEVICE_MAX_POLLFDS);
          slice_start[i] = total;
          slice_len[i] = n;
          total += n;
          if (d < next)
            next = d;
          /* With max, a device whose ring is full waits for a NOTIFY to be answered, which
           * its sockets wake the loop for; polling every millisecond for nothing was most of
           * the simulator's time under the event-intake benchmark. */
          if (emit_rate > 0 && sd->next_emit_ms < next && (!emit_paced || ring_has_room (sd)))
            next = sd->next_emit_ms;
        }
      timeout = next <= now ? 0 : (int)(next - now);
      ready = socket_watch_wait (&watch, ifds, pfds, total, timeout);
      if (ready < 0 && errno != EINTR)
        {
          perror ("iotscp-device: poll");
          break;
        }
      now = iotscp_port_now_ms (&port);
      /* A SIGTERM stops the turn at once: with 1,000 devices, draining every probe socket of
       * the multicast datagrams that 1,000 devices send each other takes a turn over a
       * second, which would only delay the exit. */
      for (long i = 0; i < count && !quit_requested; i++)
        {
          sim_device *sd = &devices[i];
          bool any = false;
          for (size_t k = slice_start[i]; k < slice_start[i] + slice_len[i]; k++)
            any |= ready > 0 && ifds[k].revents != 0;
          if (any || iotscp_device_next_deadline (&sd->dev) <= now)
            iotscp_device_process (&sd->dev, ifds + slice_start[i], slice_len[i], now);
          if (emit_paced)
            {
              /* max: whenever the ring has room, the device fills it with changes, so it
               * changes values as fast as one NOTIFY in flight per subscription carries them
               * (protocol.md 7.5) and drops none (a drop costs every subscriber a re-read).
               * The next NOTIFY then carries a full batch. A tick that adds nothing (no
               * subscriber, or no value changed) ends the burst; the next one comes at the
               * next turn or millisecond. */
              for (int k = 0; k < IOTSCP_EVENT_RING_ENTRIES && ring_has_room (sd); k++)
                {
                  size_t before = iotscp_device_pending_entries (&sd->dev);
                  simulate_tick (sd);
                  if (iotscp_device_pending_entries (&sd->dev) == before)
                    break;
                }
              sd->next_emit_ms = now + 1;
            }
          else if (emit_rate > 0 && now >= sd->next_emit_ms)
            {
              simulate_tick (sd);
              sd->next_emit_ms += (uint64_t)(1000.0 / emit_rate);
              if (sd->next_emit_ms < now)
                sd->next_emit_ms = now + (uint64_t)(1000.0 / emit_rate);
            }
        }
    }

  iotscp_posix_port_begin_shutdown (&port);
  for (long i = 0; i < count; i++)
    iotscp_device_stop (&devices[i].dev);
  iotscp_posix_port_fini (&port);
  /* Freed so that a leak checker run over the simulator reports only real leaks. */
  if (watch.epoll_fd >= 0)
    close (watch.epoll_fd);
  free (watch.registered);
  free (watch.seen);
  free (watch.slot);
  free (devices);
  free (pfds);
  free (ifds);
  free (slice_start);
  free (slice_len);
  for (size_t i = 0; i < allowed_count; i++)
    free ((void *)allowed[i]);
  sim_model_free (&loaded);
  fprintf (stderr, "iotscp-device: stopped\n");
  return 0;
}
