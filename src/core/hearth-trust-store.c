/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "hearth-trust-store"

#include "hearth-trust-store.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-atomic-file.h"
#include "hearth-error.h"
#include "hearth-fingerprint.h"

/* HearthTrustStore holds every trust decision the hub has made: which key each device id is
 * pinned to, certificate changes waiting for the user, the blocklist, and the new devices the
 * user chose to ignore. It is one JSON file, replaced atomically on every decision, because a
 * decision the user was told about must survive a crash or power cut (story 5), and a half
 * written file must never be what the hub reads at its next start.
 *
 * A decision method changes the in-memory state, writes the whole file, and only then reports
 * success; if the write fails, the in-memory state goes back to what is on disk, so the store
 * never acts on a decision the disk does not have.
 *
 * A device with a changed key may reconnect many times a second. It gets exactly one pending
 * change; a repeat only bumps its counters, which are written at most once a second, while a
 * new pending change, or one whose new key differs, is written at once. */

#define TRUST_STORE_FORMAT "hearth-trust-store"
#define TRUST_STORE_VERSION 1
#define TRUST_STORE_MAX_BYTES (16 * 1024 * 1024)
#define NAME_MAX_BYTES 256
#define ADDRESS_MAX_BYTES 128
#define DEVICE_ID_MAX_BYTES 64
#define COUNTER_WRITE_DELAY_US G_USEC_PER_SEC

enum
{
  PROP_0,
  PROP_DATA_DIR,
  PROP_N_PENDING,
  N_PROPS
};

enum
{
  CHANGED,
  PENDING_CHANGED,
  WRITE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  GHashTable *pins;    /* device id → HearthTrustPin */
  GHashTable *pending; /* device id → HearthTrustPendingChange */
  GPtrArray *blocked;  /* HearthTrustEntry */
  GPtrArray *ignored;  /* HearthTrustEntry */
} TrustState;

struct _HearthTrustStore
{
  GObject parent_instance;

  /* Owned */
  char *data_dir;
  char *path;
  TrustState *state;
  gint64 last_write_us;
  guint counter_write_source;
  guint n_pending;
  gboolean counters_dirty;
};

static void hearth_trust_store_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthTrustStore, hearth_trust_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      hearth_trust_store_initable_iface_init))

G_DEFINE_BOXED_TYPE (HearthTrustPin, hearth_trust_pin, hearth_trust_pin_copy, hearth_trust_pin_free)
G_DEFINE_BOXED_TYPE (HearthTrustPendingChange, hearth_trust_pending_change,
                     hearth_trust_pending_change_copy, hearth_trust_pending_change_free)
G_DEFINE_BOXED_TYPE (HearthTrustEntry, hearth_trust_entry, hearth_trust_entry_copy,
                     hearth_trust_entry_free)

HearthTrustPin *
hearth_trust_pin_copy (const HearthTrustPin *pin)
{
  HearthTrustPin *copy = g_new0 (HearthTrustPin, 1);

  copy->device_id = g_strdup (pin->device_id);
  copy->fingerprint = g_strdup (pin->fingerprint);
  copy->name = g_strdup (pin->name);
  copy->pinned_at = pin->pinned_at;
  copy->area = g_strdup (pin->area);
  return copy;
}

void
hearth_trust_pin_free (HearthTrustPin *pin)
{
  if (pin == NULL)
    return;
  g_free (pin->device_id);
  g_free (pin->fingerprint);
  g_free (pin->name);
  g_free (pin->area);
  g_free (pin);
}

HearthTrustPendingChange *
hearth_trust_pending_change_copy (const HearthTrustPendingChange *change)
{
  HearthTrustPendingChange *copy = g_memdup2 (change, sizeof *change);

  copy->device_id = g_strdup (change->device_id);
  copy->old_fingerprint = g_strdup (change->old_fingerprint);
  copy->new_fingerprint = g_strdup (change->new_fingerprint);
  copy->address = g_strdup (change->address);
  return copy;
}

void
hearth_trust_pending_change_free (HearthTrustPendingChange *change)
{
  if (change == NULL)
    return;
  g_free (change->device_id);
  g_free (change->old_fingerprint);
  g_free (change->new_fingerprint);
  g_free (change->address);
  g_free (change);
}

HearthTrustEntry *
hearth_trust_entry_copy (const HearthTrustEntry *entry)
{
  HearthTrustEntry *copy = g_new0 (HearthTrustEntry, 1);

  copy->device_id = g_strdup (entry->device_id);
  copy->fingerprint = g_strdup (entry->fingerprint);
  copy->since = entry->since;
  return copy;
}

void
hearth_trust_entry_free (HearthTrustEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->device_id);
  g_free (entry->fingerprint);
  g_free (entry);
}

/**
 * hearth_trust_device_id_is_valid:
 * @device_id: (nullable): a string
 *
 * Returns: %TRUE if @device_id is 1–64 bytes of `[a-z0-9-]` (docs/protocol.md §1)
 */
gboolean
hearth_trust_device_id_is_valid (const char *device_id)
{
  gsize length;

  if (device_id == NULL)
    return FALSE;

  for (length = 0; device_id[length] != '\0'; length++)
    {
      char c = device_id[length];

      if (length >= DEVICE_ID_MAX_BYTES)
        return FALSE;
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
        return FALSE;
    }

  return length > 0;
}

static TrustState *
trust_state_new (void)
{
  TrustState *state = g_new0 (TrustState, 1);

  state->pins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)hearth_trust_pin_free);
  state->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify)hearth_trust_pending_change_free);
  state->blocked = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_trust_entry_free);
  state->ignored = g_ptr_array_new_with_free_func ((GDestroyNotify)hearth_trust_entry_free);
  return state;
}

static void
trust_state_free (TrustState *state)
{
  if (state == NULL)
    return;
  g_hash_table_unref (state->pins);
  g_hash_table_unref (state->pending);
  g_ptr_array_unref (state->blocked);
  g_ptr_array_unref (state->ignored);
  g_free (state);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TrustState, trust_state_free)

static int
find_entry (GPtrArray *entries, const char *device_id, const char *fingerprint)
{
  for (guint i = 0; i < entries->len; i++)
    {
      HearthTrustEntry *entry = g_ptr_array_index (entries, i);

      if (g_strcmp0 (entry->device_id, device_id) == 0
          && g_strcmp0 (entry->fingerprint, fingerprint) == 0)
        return (int)i;
    }

  return -1;
}

static guint
count_undecided (TrustState *state)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, state->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HearthTrustPendingChange *change = value;

      if (!change->rejected)
        n++;
    }

  return n;
}

/* Serialisation. Times are written as ISO 8601 in UTC so that a person reading the file (for
 * instance after the hub refused to load it) can make sense of it. Entries are sorted so that
 * the same state always gives the same file. */

static char *
format_time (gint64 time_us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) precise = NULL;

  if (utc == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  precise = g_date_time_add (utc, time_us % G_USEC_PER_SEC);
  return g_date_time_format_iso8601 (precise);
}

static int
compare_pins (gconstpointer a, gconstpointer b)
{
  const HearthTrustPin *pa = *(HearthTrustPin *const *)a;
  const HearthTrustPin *pb = *(HearthTrustPin *const *)b;

  return strcmp (pa->device_id, pb->device_id);
}

static int
compare_pending (gconstpointer a, gconstpointer b)
{
  const HearthTrustPendingChange *pa = *(HearthTrustPendingChange *const *)a;
  const HearthTrustPendingChange *pb = *(HearthTrustPendingChange *const *)b;

  return strcmp (pa->device_id, pb->device_id);
}

static GPtrArray *
sorted_values (GHashTable *table, GCompareFunc compare, GBoxedCopyFunc copy,
               GDestroyNotify free_func)
{
  GPtrArray *values = g_ptr_array_new_full (g_hash_table_size (table), free_func);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (values, copy (value));
  g_ptr_array_sort (values, compare);
  return values;
}

static void
add_time_member (JsonBuilder *builder, const char *name, gint64 time_us)
{
  g_autofree char *text = format_time (time_us);

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static void
add_entries (JsonBuilder *builder, const char *name, GPtrArray *entries)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthTrustEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (builder);
      if (entry->device_id != NULL)
        {
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, entry->device_id);
        }
      if (entry->fingerprint != NULL)
        {
          json_builder_set_member_name (builder, "fingerprint");
          json_builder_add_string_value (builder, entry->fingerprint);
        }
      add_time_member (builder, "since", entry->since);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static GBytes *
trust_state_serialize (TrustState *state)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) pins = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  char *text;
  gsize length;

  pins = sorted_values (state->pins, compare_pins, (GBoxedCopyFunc)hearth_trust_pin_copy,
                        (GDestroyNotify)hearth_trust_pin_free);
  pending = sorted_values (state->pending, compare_pending,
                           (GBoxedCopyFunc)hearth_trust_pending_change_copy,
                           (GDestroyNotify)hearth_trust_pending_change_free);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, TRUST_STORE_FORMAT);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, TRUST_STORE_VERSION);

  json_builder_set_member_name (builder, "pinned");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pins->len; i++)
    {
      HearthTrustPin *pin = g_ptr_array_index (pins, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, pin->device_id);
      json_builder_set_member_name (builder, "fingerprint");
      json_builder_add_string_value (builder, pin->fingerprint);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, pin->name);
      add_time_member (builder, "pinned", pin->pinned_at);
      /* Optional, so that a store without areas reads as before and older files still load. */
      if (pin->area != NULL)
        {
          json_builder_set_member_name (builder, "area");
          json_builder_add_string_value (builder, pin->area);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "pending");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pending->len; i++)
    {
      HearthTrustPendingChange *change = g_ptr_array_index (pending, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, change->device_id);
      json_builder_set_member_name (builder, "old_fingerprint");
      json_builder_add_string_value (builder, change->old_fingerprint);
      json_builder_set_member_name (builder, "new_fingerprint");
      json_builder_add_string_value (builder, change->new_fingerprint);
      add_time_member (builder, "first_seen", change->first_seen);
      add_time_member (builder, "last_seen", change->last_seen);
      json_builder_set_member_name (builder, "address");
      json_builder_add_string_value (builder, change->address);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, (gint64)MIN (change->count, (guint64)G_MAXINT64));
      json_builder_set_member_name (builder, "rejected");
      json_builder_add_boolean_value (builder, change->rejected);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_entries (builder, "blocked", state->blocked);
  add_entries (builder, "ignored", state->ignored);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);
  return g_bytes_new_take (text, length);
}

/* Parsing and validation. The file is ours, but it lives on a disk that can be damaged and in
 * a directory a person can edit: every field is checked, and any problem fails the whole load
 * with a message that says where, rather than dropping the entry (which would drop trust). */

static gboolean fail_invalid (GError **error, const char *path, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
fail_invalid (GError **error, const char *path, const char *format, ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_DATA,
               "The trust store “%s” is damaged: %s", path, detail);
  return FALSE;
}

static gboolean
read_string (JsonObject *object, const char *member, gboolean required, gsize max_bytes,
             const char *path, const char *context, guint index, const char **value, GError **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *value = NULL;
  if (node == NULL)
    {
      if (!required)
        return TRUE;
      return fail_invalid (error, path, "entry %u of “%s” has no “%s”", index, context, member);
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return fail_invalid (error, path, "“%s” of entry %u of “%s” is not a string", member, index,
                         context);

  *value = json_node_get_string (node);
  if (strlen (*value) > max_bytes || !g_utf8_validate (*value, -1, NULL))
    return fail_invalid (error, path, "“%s” of entry %u of “%s” is too long or not UTF-8", member,
                         index, context);
  return TRUE;
}

static gboolean
read_device_id (JsonObject *object, gboolean required, const char *path, const char *context,
                guint index, const char **value, GError **error)
{
  if (!read_string (object, "id", required, DEVICE_ID_MAX_BYTES, path, context, index, value,
                    error))
    return FALSE;
  if (*value != NULL && !hearth_trust_device_id_is_valid (*value))
    return fail_invalid (error, path, "entry %u of “%s” has an invalid device id", index, context);
  return TRUE;
}

static gboolean
read_fingerprint (JsonObject *object, const char *member, gboolean required, const char *path,
                  const char *context, guint index, const char **value, GError **error)
{
  if (!read_string (object, member, required, HEARTH_FINGERPRINT_LENGTH, path, context, index,
                    value, error))
    return FALSE;
  if (*value != NULL && !hearth_fingerprint_is_valid (*value))
    return fail_invalid (error, path, "“%s” of entry %u of “%s” is not a fingerprint", member,
                         index, context);
  return TRUE;
}

static gboolean
read_time (JsonObject *object, const char *member, const char *path, const char *context,
           guint index, gint64 *value, GError **error)
{
  g_autoptr (GDateTime) time = NULL;
  const char *text;

  if (!read_string (object, member, TRUE, 64, path, context, index, &text, error))
    return FALSE;

  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    return fail_invalid (error, path, "“%s” of entry %u of “%s” is not an ISO 8601 time", member,
                         index, context);

  *value = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  return TRUE;
}

static JsonArray *
read_array (JsonObject *root, const char *member, const char *path, GError **error)
{
  JsonNode *node = json_object_get_member (root, member);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      fail_invalid (error, path, "“%s” is missing or not an array", member);
      return NULL;
    }

  return json_node_get_array (node);
}

static JsonObject *
read_object_element (JsonArray *array, guint index, const char *path, const char *context,
                     GError **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fail_invalid (error, path, "entry %u of “%s” is not an object", index, context);
      return NULL;
    }

  return json_node_get_object (node);
}

static gboolean
parse_entries (JsonObject *root, const char *member, gboolean needs_both, const char *path,
               GPtrArray *entries, GError **error)
{
  JsonArray *array = read_array (root, member, path, error);

  if (array == NULL)
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = read_object_element (array, i, path, member, error);
      g_autoptr (HearthTrustEntry) entry = g_new0 (HearthTrustEntry, 1);
      const char *device_id;
      const char *fingerprint;

      if (object == NULL || !read_device_id (object, needs_both, path, member, i, &device_id, error)
          || !read_fingerprint (object, "fingerprint", needs_both, path, member, i, &fingerprint,
                                error)
          || !read_time (object, "since", path, member, i, &entry->since, error))
        return FALSE;

      if (device_id == NULL && fingerprint == NULL)
        return fail_invalid (error, path, "entry %u of “%s” names neither a device nor a key", i,
                             member);
      if (find_entry (entries, device_id, fingerprint) >= 0)
        return fail_invalid (error, path, "entry %u of “%s” is a duplicate", i, member);

      entry->device_id = g_strdup (device_id);
      entry->fingerprint = g_strdup (fingerprint);
      g_ptr_array_add (entries, g_steal_pointer (&entry));
    }

  return TRUE;
}

static TrustState *
trust_state_parse (GBytes *bytes, const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (TrustState) state = trust_state_new ();
  g_autoptr (GError) local_error = NULL;
  JsonObject *root;
  JsonNode *node;
  JsonArray *array;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (!json_parser_load_from_data (parser, data, (gssize)size, &local_error))
    {
      fail_invalid (error, path, "it is not JSON (%s)", local_error->message);
      return NULL;
    }

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      fail_invalid (error, path, "it is not a JSON object");
      return NULL;
    }
  root = json_node_get_object (node);

  node = json_object_get_member (root, "format");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING
      || g_strcmp0 (json_node_get_string (node), TRUST_STORE_FORMAT) != 0)
    {
      fail_invalid (error, path, "it is not a Hearth trust store");
      return NULL;
    }

  node = json_object_get_member (root, "version");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      fail_invalid (error, path, "it has no version number");
      return NULL;
    }
  if (json_node_get_int (node) != TRUST_STORE_VERSION)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_SUPPORTED,
                   "The trust store “%s” has version %" G_GINT64_FORMAT
                   ", which this Hearth (version %d) cannot read; it may have been written by a "
                   "newer Hearth",
                   path, json_node_get_int (node), TRUST_STORE_VERSION);
      return NULL;
    }

  if ((array = read_array (root, "pinned", path, error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = read_object_element (array, i, path, "pinned", error);
      g_autoptr (HearthTrustPin) pin = g_new0 (HearthTrustPin, 1);
      const char *device_id;
      const char *fingerprint;
      const char *name;
      const char *area;

      if (object == NULL || !read_device_id (object, TRUE, path, "pinned", i, &device_id, error)
          || !read_fingerprint (object, "fingerprint", TRUE, path, "pinned", i, &fingerprint, error)
          || !read_string (object, "name", TRUE, NAME_MAX_BYTES, path, "pinned", i, &name, error)
          || !read_time (object, "pinned", path, "pinned", i, &pin->pinned_at, error)
          || !read_string (object, "area", FALSE, HEARTH_TRUST_AREA_MAX_BYTES, path, "pinned", i,
                           &area, error))
        return NULL;

      if (g_hash_table_contains (state->pins, device_id))
        {
          fail_invalid (error, path, "device “%s” is pinned twice", device_id);
          return NULL;
        }

      pin->device_id = g_strdup (device_id);
      pin->fingerprint = g_strdup (fingerprint);
      pin->name = g_strdup (name);
      /* The setter never stores an empty area; a hand-edited file's "" means none as well. */
      pin->area = area != NULL && *area != '\0' ? g_strdup (area) : NULL;
      g_hash_table_insert (state->pins, pin->device_id, pin);
      pin = NULL;
    }

  if ((array = read_array (root, "pending", path, error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = read_object_element (array, i, path, "pending", error);
      g_autoptr (HearthTrustPendingChange) change = g_new0 (HearthTrustPendingChange, 1);
      HearthTrustPin *pin;
      const char *device_id;
      const char *old_fingerprint;
      const char *new_fingerprint;
      const char *address;
      JsonNode *member;

      if (object == NULL || !read_device_id (object, TRUE, path, "pending", i, &device_id, error)
          || !read_fingerprint (object, "old_fingerprint", TRUE, path, "pending", i,
                                &old_fingerprint, error)
          || !read_fingerprint (object, "new_fingerprint", TRUE, path, "pending", i,
                                &new_fingerprint, error)
          || !read_time (object, "first_seen", path, "pending", i, &change->first_seen, error)
          || !read_time (object, "last_seen", path, "pending", i, &change->last_seen, error)
          || !read_string (object, "address", TRUE, ADDRESS_MAX_BYTES, path, "pending", i, &address,
                           error))
        return NULL;

      member = json_object_get_member (object, "count");
      if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
          || json_node_get_value_type (member) != G_TYPE_INT64 || json_node_get_int (member) < 1)
        {
          fail_invalid (error, path, "entry %u of “pending” has no valid count", i);
          return NULL;
        }
      change->count = (guint64)json_node_get_int (member);

      member = json_object_get_member (object, "rejected");
      if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
          || json_node_get_value_type (member) != G_TYPE_BOOLEAN)
        {
          fail_invalid (error, path, "entry %u of “pending” has no valid “rejected”", i);
          return NULL;
        }
      change->rejected = json_node_get_boolean (member);

      /* A pending change only means something against the pin it would replace. */
      pin = g_hash_table_lookup (state->pins, device_id);
      if (pin == NULL || strcmp (pin->fingerprint, old_fingerprint) != 0
          || strcmp (old_fingerprint, new_fingerprint) == 0)
        {
          fail_invalid (error, path, "the pending change of “%s” does not match its pin",
                        device_id);
          return NULL;
        }
      if (g_hash_table_contains (state->pending, device_id))
        {
          fail_invalid (error, path, "device “%s” has two pending changes", device_id);
          return NULL;
        }

      change->device_id = g_strdup (device_id);
      change->old_fingerprint = g_strdup (old_fingerprint);
      change->new_fingerprint = g_strdup (new_fingerprint);
      change->address = g_strdup (address);
      g_hash_table_insert (state->pending, change->device_id, change);
      change = NULL;
    }

  if (!parse_entries (root, "blocked", FALSE, path, state->blocked, error)
      || !parse_entries (root, "ignored", TRUE, path, state->ignored, error))
    return NULL;

  return g_steal_pointer (&state);
}

/* Persistence */

static void
update_n_pending (HearthTrustStore *self)
{
  guint n_pending = count_undecided (self->state);

  if (n_pending != self->n_pending)
    {
      self->n_pending = n_pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
    }
}

static gboolean
write_state (HearthTrustStore *self, GError **error)
{
  g_autoptr (GBytes) bytes = trust_state_serialize (self->state);

  if (!hearth_atomic_file_write (self->path, g_bytes_get_data (bytes, NULL),
                                 g_bytes_get_size (bytes), 0600, error))
    return FALSE;

  self->last_write_us = g_get_monotonic_time ();
  self->counters_dirty = FALSE;
  g_clear_handle_id (&self->counter_write_source, g_source_remove);
  return TRUE;
}

/* Every decision method calls this after changing self->state, passing the state as it was
 * before the change. On failure the old state is put back, so memory never runs ahead of the
 * disk. */
static gboolean
commit (HearthTrustStore *self, TrustState *before, const char *pending_device_id, GError **error)
{
  if (!write_state (self, error))
    {
      trust_state_free (self->state);
      self->state = before;
      return FALSE;
    }

  trust_state_free (before);
  update_n_pending (self);
  if (pending_device_id != NULL)
    g_signal_emit (self, signals[PENDING_CHANGED], 0, pending_device_id);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

static TrustState *
trust_state_copy (TrustState *state)
{
  TrustState *copy = trust_state_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, state->pins);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HearthTrustPin *pin = hearth_trust_pin_copy (value);

      g_hash_table_insert (copy->pins, pin->device_id, pin);
    }

  g_hash_table_iter_init (&iter, state->pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      HearthTrustPendingChange *change = hearth_trust_pending_change_copy (value);

      g_hash_table_insert (copy->pending, change->device_id, change);
    }

  for (guint i = 0; i < state->blocked->len; i++)
    g_ptr_array_add (copy->blocked,
                     hearth_trust_entry_copy (g_ptr_array_index (state->blocked, i)));
  for (guint i = 0; i < state->ignored->len; i++)
    g_ptr_array_add (copy->ignored,
                     hearth_trust_entry_copy (g_ptr_array_index (state->ignored, i)));

  return copy;
}

static gboolean
write_counters_cb (gpointer user_data)
{
  HearthTrustStore *self = HEARTH_TRUST_STORE (user_data);
  g_autoptr (GError) error = NULL;

  self->counter_write_source = 0;
  if (self->counters_dirty && !write_state (self, &error))
    g_signal_emit (self, signals[WRITE_FAILED], 0, error);

  return G_SOURCE_REMOVE;
}

static void
schedule_counter_write (HearthTrustStore *self)
{
  gint64 due;
  gint64 now;

  self->counters_dirty = TRUE;
  if (self->counter_write_source != 0)
    return;

  now = g_get_monotonic_time ();
  due = self->last_write_us + COUNTER_WRITE_DELAY_US;
  self->counter_write_source
      = g_timeout_add ((guint)(MAX (due - now, 0) / 1000), write_counters_cb, self);
}

static gboolean
check_device_id (const char *device_id, GError **error)
{
  if (hearth_trust_device_id_is_valid (device_id))
    return TRUE;

  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
               "“%s” is not a device id (1–64 characters a–z, 0–9 and “-”)",
               device_id != NULL ? device_id : "(null)");
  return FALSE;
}

static gboolean
check_fingerprint (const char *fingerprint, GError **error)
{
  if (hearth_fingerprint_is_valid (fingerprint))
    return TRUE;

  g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
               "“%s” is not a key fingerprint (64 lowercase hex digits)",
               fingerprint != NULL ? fingerprint : "(null)");
  return FALSE;
}

static HearthTrustPendingChange *
lookup_pending_or_fail (HearthTrustStore *self, const char *device_id, GError **error)
{
  HearthTrustPendingChange *change;

  if (!check_device_id (device_id, error))
    return NULL;

  change = g_hash_table_lookup (self->state->pending, device_id);
  if (change == NULL)
    g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                 "Device “%s” has no pending certificate change", device_id);
  return change;
}

static void
hearth_trust_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  HearthTrustStore *self = HEARTH_TRUST_STORE (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_value_set_string (value, self->data_dir);
        break;

      case PROP_N_PENDING:
        g_value_set_uint (value, self->n_pending);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_trust_store_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  HearthTrustStore *self = HEARTH_TRUST_STORE (object);

  switch (prop_id)
    {
      case PROP_DATA_DIR:
        g_assert (self->data_dir == NULL);
        self->data_dir = g_value_dup_string (value);
        break;

      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_trust_store_dispose (GObject *object)
{
  HearthTrustStore *self = HEARTH_TRUST_STORE (object);

  /* Counters that are waiting for their once-a-second write are written now rather than lost;
   * there is nobody left to tell about a failure, and the decisions themselves are already on
   * disk. */
  if (self->counters_dirty && self->state != NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!write_state (self, &error))
        g_debug ("Could not write the trust store counters: %s", error->message);
    }
  g_clear_handle_id (&self->counter_write_source, g_source_remove);

  G_OBJECT_CLASS (hearth_trust_store_parent_class)->dispose (object);
}

static void
hearth_trust_store_finalize (GObject *object)
{
  HearthTrustStore *self = HEARTH_TRUST_STORE (object);

  g_clear_pointer (&self->state, trust_state_free);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (hearth_trust_store_parent_class)->finalize (object);
}

static void
hearth_trust_store_class_init (HearthTrustStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_trust_store_get_property;
  object_class->set_property = hearth_trust_store_set_property;
  object_class->dispose = hearth_trust_store_dispose;
  object_class->finalize = hearth_trust_store_finalize;

  /**
   * HearthTrustStore:data-dir:
   *
   * The directory that holds `trust.json`; created (mode 0700) when missing.
   */
  properties[PROP_DATA_DIR]
      = g_param_spec_string ("data-dir", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HearthTrustStore:n-pending:
   *
   * The number of certificate changes waiting for the user's decision (rejected ones are
   * decided and not counted).
   */
  properties[PROP_N_PENDING]
      = g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HearthTrustStore::changed:
   *
   * Emitted after a decision (pin, approve, reject, block, unblock, forget, ignore, a new or
   * replaced pending change) has been written to disk.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  /**
   * HearthTrustStore::pending-changed:
   * @device_id: the device whose pending change appeared, was updated or was resolved
   *
   * Lets a dialog show, refresh or close the question about one device; emitted for counter
   * updates too, which are written to disk at most once a second.
   */
  signals[PENDING_CHANGED]
      = g_signal_new ("pending-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * HearthTrustStore::write-failed:
   * @error: what went wrong
   *
   * A deferred write (of pending-change counters) failed. Decisions never use a deferred write:
   * their methods report failure to the caller.
   */
  signals[WRITE_FAILED]
      = g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
hearth_trust_store_init (HearthTrustStore *self)
{
}

static gboolean
hearth_trust_store_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  HearthTrustStore *self = HEARTH_TRUST_STORE (initable);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char *contents = NULL;
  gsize length = 0;

  if (self->data_dir == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A trust store needs a data directory");
      return FALSE;
    }

  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create the data directory “%s”: %s", self->data_dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  self->path = g_build_filename (self->data_dir, HEARTH_TRUST_STORE_FILE, NULL);

  if (!hearth_atomic_file_read (self->path, TRUST_STORE_MAX_BYTES, &contents, &length,
                                &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          /* First run: an empty store, written at the first decision. */
          self->state = trust_state_new ();
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  bytes = g_bytes_new_take (contents, length);

  self->state = trust_state_parse (bytes, self->path, &local_error);
  if (self->state == NULL)
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
      g_autofree char *copy_path = g_strdup_printf ("%s.damaged-%s", self->path, stamp);
      g_autoptr (GError) copy_error = NULL;

      /* Refuse to start rather than start empty or from an older backup: either would silently
       * undo pairings, blocks or rejected keys, and an unpinned device that reappears would be
       * offered as new. The file stays where it is (a person can repair it in place); a copy is
       * kept aside in case someone removes it to start over. */
      if (hearth_atomic_file_write (copy_path, g_bytes_get_data (bytes, NULL),
                                    g_bytes_get_size (bytes), 0600, &copy_error))
        g_set_error (
            error, local_error->domain, local_error->code,
            "%s. Hearth will not start with a damaged trust store, so that no pairing or "
            "block is lost silently; a copy is kept in “%s”. Repair the file, or remove it "
            "to start again with no paired devices",
            local_error->message, copy_path);
      else
        g_set_error (error, local_error->domain, local_error->code,
                     "%s. Hearth will not start with a damaged trust store, so that no pairing or "
                     "block is lost silently (a copy could not be kept: %s). Repair the file, or "
                     "remove it to start again with no paired devices",
                     local_error->message, copy_error->message);
      return FALSE;
    }

  self->n_pending = count_undecided (self->state);
  return TRUE;
}

static void
hearth_trust_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = hearth_trust_store_initable_init;
}

/**
 * hearth_trust_store_new:
 * @data_dir: the hub's data directory
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the trust store from @data_dir. A missing file is an empty store; a damaged file or
 * one of an unknown version fails with a message that says what to do.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
HearthTrustStore *
hearth_trust_store_new (const char *data_dir, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (data_dir != NULL, NULL);

  return g_initable_new (HEARTH_TYPE_TRUST_STORE, cancellable, error, "data-dir", data_dir, NULL);
}

const char *
hearth_trust_store_get_data_dir (HearthTrustStore *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);

  return self->data_dir;
}

guint
hearth_trust_store_get_n_pending (HearthTrustStore *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), 0);

  return self->n_pending;
}

/**
 * hearth_trust_store_check:
 * @self: a #HearthTrustStore
 * @device_id: the device id the peer claims
 * @fingerprint: the fingerprint of the key the peer presented
 *
 * The question the TLS layer asks for every connection. A block wins over everything, so that
 * a blocked key stays blocked whichever device id it claims.
 *
 * Returns: what the hub may do with this peer
 */
HearthTrustVerdict
hearth_trust_store_check (HearthTrustStore *self, const char *device_id, const char *fingerprint)
{
  HearthTrustPin *pin;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), HEARTH_TRUST_VERDICT_BLOCKED);
  g_return_val_if_fail (device_id != NULL, HEARTH_TRUST_VERDICT_BLOCKED);
  g_return_val_if_fail (fingerprint != NULL, HEARTH_TRUST_VERDICT_BLOCKED);

  for (guint i = 0; i < self->state->blocked->len; i++)
    {
      HearthTrustEntry *entry = g_ptr_array_index (self->state->blocked, i);

      if ((entry->device_id == NULL || strcmp (entry->device_id, device_id) == 0)
          && (entry->fingerprint == NULL || strcmp (entry->fingerprint, fingerprint) == 0))
        return HEARTH_TRUST_VERDICT_BLOCKED;
    }

  pin = g_hash_table_lookup (self->state->pins, device_id);
  if (pin != NULL)
    return strcmp (pin->fingerprint, fingerprint) == 0 ? HEARTH_TRUST_VERDICT_TRUSTED
                                                       : HEARTH_TRUST_VERDICT_CHANGED;

  if (find_entry (self->state->ignored, device_id, fingerprint) >= 0)
    return HEARTH_TRUST_VERDICT_IGNORED;

  return HEARTH_TRUST_VERDICT_UNKNOWN;
}

/**
 * hearth_trust_store_get_pin:
 * @self: a #HearthTrustStore
 * @device_id: a device id
 *
 * Returns: (transfer full) (nullable): a copy of the device's pin
 */
HearthTrustPin *
hearth_trust_store_get_pin (HearthTrustStore *self, const char *device_id)
{
  HearthTrustPin *pin;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  pin = g_hash_table_lookup (self->state->pins, device_id);
  return pin != NULL ? hearth_trust_pin_copy (pin) : NULL;
}

/**
 * hearth_trust_store_get_pending:
 * @self: a #HearthTrustStore
 * @device_id: a device id
 *
 * Returns: (transfer full) (nullable): a copy of the device's pending certificate change
 */
HearthTrustPendingChange *
hearth_trust_store_get_pending (HearthTrustStore *self, const char *device_id)
{
  HearthTrustPendingChange *change;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  change = g_hash_table_lookup (self->state->pending, device_id);
  return change != NULL ? hearth_trust_pending_change_copy (change) : NULL;
}

/**
 * hearth_trust_store_list_pins:
 * @self: a #HearthTrustStore
 *
 * Returns: (transfer full) (element-type HearthTrustPin): copies of all pins, by device id
 */
GPtrArray *
hearth_trust_store_list_pins (HearthTrustStore *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);

  return sorted_values (self->state->pins, compare_pins, (GBoxedCopyFunc)hearth_trust_pin_copy,
                        (GDestroyNotify)hearth_trust_pin_free);
}

/**
 * hearth_trust_store_list_pending:
 * @self: a #HearthTrustStore
 *
 * Returns: (transfer full) (element-type HearthTrustPendingChange): copies of all pending
 *   changes, rejected ones included, by device id
 */
GPtrArray *
hearth_trust_store_list_pending (HearthTrustStore *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);

  return sorted_values (self->state->pending, compare_pending,
                        (GBoxedCopyFunc)hearth_trust_pending_change_copy,
                        (GDestroyNotify)hearth_trust_pending_change_free);
}

static GPtrArray *
copy_entries (GPtrArray *entries)
{
  GPtrArray *copy = g_ptr_array_new_full (entries->len, (GDestroyNotify)hearth_trust_entry_free);

  for (guint i = 0; i < entries->len; i++)
    g_ptr_array_add (copy, hearth_trust_entry_copy (g_ptr_array_index (entries, i)));
  return copy;
}

/**
 * hearth_trust_store_list_blocked:
 * @self: a #HearthTrustStore
 *
 * Returns: (transfer full) (element-type HearthTrustEntry): copies of the blocklist entries
 */
GPtrArray *
hearth_trust_store_list_blocked (HearthTrustStore *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);

  return copy_entries (self->state->blocked);
}

/**
 * hearth_trust_store_list_ignored:
 * @self: a #HearthTrustStore
 *
 * Returns: (transfer full) (element-type HearthTrustEntry): copies of the ignored new devices
 */
GPtrArray *
hearth_trust_store_list_ignored (HearthTrustStore *self)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), NULL);

  return copy_entries (self->state->ignored);
}

/**
 * hearth_trust_store_report_certificate_change:
 * @self: a #HearthTrustStore
 * @device_id: a pinned device id
 * @new_fingerprint: the key it presented, which is not its pinned key
 * @address: where it connected from, for the user's information only
 * @error: return location for a #GError
 *
 * Records that a pinned device presented another key. Each device has at most one pending
 * change: a repeat with the same key only updates its last-seen time, address and count (written
 * within a second); another new key replaces the pending change and is written at once.
 *
 * Returns: %TRUE when the change is recorded; %FALSE if the device is not pinned, the key is its
 *   pinned one, or a write failed
 */
gboolean
hearth_trust_store_report_certificate_change (HearthTrustStore *self, const char *device_id,
                                              const char *new_fingerprint, const char *address,
                                              GError **error)
{
  HearthTrustPendingChange *change;
  HearthTrustPin *pin;
  TrustState *before;
  gint64 now = g_get_real_time ();

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_device_id (device_id, error) || !check_fingerprint (new_fingerprint, error))
    return FALSE;

  if (address == NULL || strlen (address) > ADDRESS_MAX_BYTES
      || !g_utf8_validate (address, -1, NULL))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "The address of a certificate change must be UTF-8 of at most %d bytes",
                   ADDRESS_MAX_BYTES);
      return FALSE;
    }

  pin = g_hash_table_lookup (self->state->pins, device_id);
  if (pin == NULL || strcmp (pin->fingerprint, new_fingerprint) == 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "Device “%s” is not pinned to another key, so this is no certificate change",
                   device_id);
      return FALSE;
    }

  change = g_hash_table_lookup (self->state->pending, device_id);
  if (change != NULL && strcmp (change->new_fingerprint, new_fingerprint) == 0)
    {
      change->last_seen = now;
      change->count++;
      if (strcmp (change->address, address) != 0)
        {
          g_free (change->address);
          change->address = g_strdup (address);
        }
      schedule_counter_write (self);
      g_signal_emit (self, signals[PENDING_CHANGED], 0, device_id);
      return TRUE;
    }

  /* A new pending change, or the device presents yet another key: either way the user must be
   * asked about this key, so it is written at once and any earlier rejection no longer applies. */
  before = trust_state_copy (self->state);
  change = g_new0 (HearthTrustPendingChange, 1);
  change->device_id = g_strdup (device_id);
  change->old_fingerprint = g_strdup (pin->fingerprint);
  change->new_fingerprint = g_strdup (new_fingerprint);
  change->first_seen = now;
  change->last_seen = now;
  change->address = g_strdup (address);
  change->count = 1;
  change->rejected = FALSE;
  g_hash_table_replace (self->state->pending, change->device_id, change);

  return commit (self, before, device_id, error);
}

/**
 * hearth_trust_store_pin:
 * @self: a #HearthTrustStore
 * @device_id: the device id
 * @fingerprint: the key fingerprint to pin it to
 * @name: a name for people, e.g. the device's name at pairing time
 * @error: return location for a #GError
 *
 * Pins a device (pairing, or adopting a fingerprint the user read off the device). Pinning an
 * already pinned device to the same key only renames it; pinning it to another key is refused,
 * because replacing a key is exactly the decision hearth_trust_store_approve() asks the user
 * for, with both fingerprints shown.
 *
 * Returns: %TRUE when the pin is stored
 */
gboolean
hearth_trust_store_pin (HearthTrustStore *self, const char *device_id, const char *fingerprint,
                        const char *name, GError **error)
{
  HearthTrustPin *pin;
  TrustState *before;
  int index;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_device_id (device_id, error) || !check_fingerprint (fingerprint, error))
    return FALSE;

  if (name == NULL || strlen (name) > NAME_MAX_BYTES || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A device name must be UTF-8 of at most %d bytes", NAME_MAX_BYTES);
      return FALSE;
    }

  pin = g_hash_table_lookup (self->state->pins, device_id);
  if (pin != NULL && strcmp (pin->fingerprint, fingerprint) != 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED,
                   "Device “%s” is already pinned to another key; approve its certificate change "
                   "or forget the device first",
                   device_id);
      return FALSE;
    }

  before = trust_state_copy (self->state);
  if (pin != NULL)
    {
      g_free (pin->name);
      pin->name = g_strdup (name);
    }
  else
    {
      pin = g_new0 (HearthTrustPin, 1);
      pin->device_id = g_strdup (device_id);
      pin->fingerprint = g_strdup (fingerprint);
      pin->name = g_strdup (name);
      pin->pinned_at = g_get_real_time ();
      g_hash_table_insert (self->state->pins, pin->device_id, pin);
    }

  /* A device the user has now adopted is no longer an ignored stranger. */
  if ((index = find_entry (self->state->ignored, device_id, fingerprint)) >= 0)
    g_ptr_array_remove_index (self->state->ignored, (guint)index);

  return commit (self, before, NULL, error);
}

/**
 * hearth_trust_store_approve:
 * @self: a #HearthTrustStore
 * @device_id: a device with a pending certificate change
 * @new_fingerprint: the new key the user was shown and approved
 * @error: return location for a #GError
 *
 * Pins the device to its new key and resolves the pending change. The caller passes the key
 * the user saw: if the device presented yet another key in the meantime, the approval is
 * refused rather than applied to a key nobody looked at.
 *
 * Returns: %TRUE when the new key is pinned
 */
gboolean
hearth_trust_store_approve (HearthTrustStore *self, const char *device_id,
                            const char *new_fingerprint, GError **error)
{
  HearthTrustPendingChange *change;
  HearthTrustPin *pin;
  TrustState *before;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((change = lookup_pending_or_fail (self, device_id, error)) == NULL
      || !check_fingerprint (new_fingerprint, error))
    return FALSE;

  if (strcmp (change->new_fingerprint, new_fingerprint) != 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED,
                   "Device “%s” now presents another key than the one approved; look at the new "
                   "key and decide again",
                   device_id);
      return FALSE;
    }

  before = trust_state_copy (self->state);
  pin = g_hash_table_lookup (self->state->pins, device_id);
  g_free (pin->fingerprint);
  pin->fingerprint = g_strdup (new_fingerprint);
  pin->pinned_at = g_get_real_time ();
  g_hash_table_remove (self->state->pending, device_id);

  return commit (self, before, device_id, error);
}

/**
 * hearth_trust_store_reject:
 * @self: a #HearthTrustStore
 * @device_id: a device with a pending certificate change
 * @error: return location for a #GError
 *
 * Keeps refusing the new key. The pending change stays (marked rejected) so that the device
 * reconnecting with the same key does not ask the user again; the device stays quarantined.
 *
 * Returns: %TRUE when the rejection is stored
 */
gboolean
hearth_trust_store_reject (HearthTrustStore *self, const char *device_id, GError **error)
{
  HearthTrustPendingChange *change;
  TrustState *before;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((change = lookup_pending_or_fail (self, device_id, error)) == NULL)
    return FALSE;

  before = trust_state_copy (self->state);
  change = g_hash_table_lookup (self->state->pending, device_id);
  change->rejected = TRUE;

  return commit (self, before, device_id, error);
}

/**
 * hearth_trust_store_block:
 * @self: a #HearthTrustStore
 * @device_id: (nullable): a device id to block
 * @fingerprint: (nullable): a key to block
 * @error: return location for a #GError
 *
 * Blocks a device id (whatever key it presents), a key (whatever id it claims), or, with both,
 * that id with that key. At least one must be given. Blocking a device id resolves its pending
 * change. Pins are kept, so that unblocking restores the device as it was.
 *
 * Returns: %TRUE when the block is stored (also when it already existed)
 */
gboolean
hearth_trust_store_block (HearthTrustStore *self, const char *device_id, const char *fingerprint,
                          GError **error)
{
  g_autoptr (HearthTrustEntry) entry = NULL;
  TrustState *before;
  gboolean had_pending;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (device_id == NULL && fingerprint == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "A block needs a device id, a key fingerprint or both");
      return FALSE;
    }
  if ((device_id != NULL && !check_device_id (device_id, error))
      || (fingerprint != NULL && !check_fingerprint (fingerprint, error)))
    return FALSE;

  if (find_entry (self->state->blocked, device_id, fingerprint) >= 0)
    return TRUE;

  before = trust_state_copy (self->state);
  entry = g_new0 (HearthTrustEntry, 1);
  entry->device_id = g_strdup (device_id);
  entry->fingerprint = g_strdup (fingerprint);
  entry->since = g_get_real_time ();
  g_ptr_array_add (self->state->blocked, g_steal_pointer (&entry));

  had_pending = device_id != NULL && g_hash_table_remove (self->state->pending, device_id);

  return commit (self, before, had_pending ? device_id : NULL, error);
}

/**
 * hearth_trust_store_unblock:
 * @self: a #HearthTrustStore
 * @device_id: (nullable): the device id of the block
 * @fingerprint: (nullable): the key of the block
 * @error: return location for a #GError
 *
 * Removes the blocklist entry that names exactly @device_id and @fingerprint.
 *
 * Returns: %TRUE when the entry was removed; %FALSE if there was no such entry
 */
gboolean
hearth_trust_store_unblock (HearthTrustStore *self, const char *device_id, const char *fingerprint,
                            GError **error)
{
  TrustState *before;
  int index;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  index = find_entry (self->state->blocked, device_id, fingerprint);
  if (index < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "There is no block for %s%s%s", device_id != NULL ? device_id : "",
                   device_id != NULL && fingerprint != NULL ? " with key " : "",
                   fingerprint != NULL ? fingerprint : "");
      return FALSE;
    }

  before = trust_state_copy (self->state);
  g_ptr_array_remove_index (self->state->blocked, (guint)index);

  return commit (self, before, NULL, error);
}

/**
 * hearth_trust_store_set_area:
 * @self: a #HearthTrustStore
 * @device_id: a pinned device
 * @area: (nullable): the area, e.g. "Kitchen"; %NULL or only white space clears it
 * @error: return location for a #GError
 *
 * Puts a pinned device in an area. The area is the user's, kept on the hub with the pin: the
 * device never announces it, so it survives restarts and a certificate change of the same
 * device id, and is gone only when the device is forgotten. White space around @area is
 * dropped; what is left must be UTF-8 of at most %HEARTH_TRUST_AREA_MAX_BYTES bytes without
 * control characters.
 *
 * Returns: %TRUE when the area is stored (also when it was already the device's area);
 *   %HEARTH_ERROR_NOT_TRUSTED for a device that is not pinned
 */
gboolean
hearth_trust_store_set_area (HearthTrustStore *self, const char *device_id, const char *area,
                             GError **error)
{
  g_autofree char *trimmed = NULL;
  HearthTrustPin *pin;
  TrustState *before;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_device_id (device_id, error))
    return FALSE;

  if (area != NULL)
    {
      if (!g_utf8_validate (area, -1, NULL))
        {
          g_set_error_literal (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                               "An area must be UTF-8 text");
          return FALSE;
        }
      trimmed = g_strstrip (g_strdup (area));
      if (strlen (trimmed) > HEARTH_TRUST_AREA_MAX_BYTES)
        {
          g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                       "An area may be at most %d bytes long", HEARTH_TRUST_AREA_MAX_BYTES);
          return FALSE;
        }
      /* Control characters (a newline, say) would break the one-line listings of hearthctl and
       * the drop-down of the Devices page. */
      for (const char *c = trimmed; *c != '\0'; c = g_utf8_next_char (c))
        if (g_unichar_iscntrl (g_utf8_get_char (c)))
          {
            g_set_error_literal (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                                 "An area may not contain control characters");
            return FALSE;
          }
      if (*trimmed == '\0')
        g_clear_pointer (&trimmed, g_free);
    }

  pin = g_hash_table_lookup (self->state->pins, device_id);
  if (pin == NULL)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_NOT_TRUSTED,
                   "Device “%s” is not paired; only a paired device can be put in an area",
                   device_id);
      return FALSE;
    }

  if (g_strcmp0 (pin->area, trimmed) == 0)
    return TRUE;

  before = trust_state_copy (self->state);
  g_free (pin->area);
  pin->area = g_steal_pointer (&trimmed);
  return commit (self, before, NULL, error);
}

/**
 * hearth_trust_store_forget:
 * @self: a #HearthTrustStore
 * @device_id: a device id
 * @error: return location for a #GError
 *
 * Removes the device's pin, pending change and ignored entries, so that it shows up as a new
 * device again. Blocks are kept: forgetting a device must not unblock it.
 *
 * Returns: %TRUE when something was removed and the result stored
 */
gboolean
hearth_trust_store_forget (HearthTrustStore *self, const char *device_id, GError **error)
{
  TrustState *before;
  gboolean had_pending;
  gboolean removed;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_device_id (device_id, error))
    return FALSE;

  before = trust_state_copy (self->state);
  removed = g_hash_table_remove (self->state->pins, device_id);
  had_pending = g_hash_table_remove (self->state->pending, device_id);
  for (guint i = self->state->ignored->len; i > 0; i--)
    {
      HearthTrustEntry *entry = g_ptr_array_index (self->state->ignored, i - 1);

      if (strcmp (entry->device_id, device_id) == 0)
        {
          g_ptr_array_remove_index (self->state->ignored, i - 1);
          removed = TRUE;
        }
    }

  if (!removed)
    {
      trust_state_free (before);
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "Device “%s” is neither pinned nor ignored", device_id);
      return FALSE;
    }

  return commit (self, before, had_pending ? device_id : NULL, error);
}

/**
 * hearth_trust_store_ignore:
 * @self: a #HearthTrustStore
 * @device_id: the id of a new device
 * @fingerprint: its key
 * @error: return location for a #GError
 *
 * Stops offering a new device. The entry is keyed by identity (id and key), not by address:
 * the same device on another address stays ignored, and another device on its old address does
 * not.
 *
 * Returns: %TRUE when stored (also when it was already ignored)
 */
gboolean
hearth_trust_store_ignore (HearthTrustStore *self, const char *device_id, const char *fingerprint,
                           GError **error)
{
  g_autoptr (HearthTrustEntry) entry = NULL;
  TrustState *before;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_device_id (device_id, error) || !check_fingerprint (fingerprint, error))
    return FALSE;

  if (g_hash_table_contains (self->state->pins, device_id))
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "Device “%s” is paired; forget it instead of ignoring it", device_id);
      return FALSE;
    }

  if (find_entry (self->state->ignored, device_id, fingerprint) >= 0)
    return TRUE;

  before = trust_state_copy (self->state);
  entry = g_new0 (HearthTrustEntry, 1);
  entry->device_id = g_strdup (device_id);
  entry->fingerprint = g_strdup (fingerprint);
  entry->since = g_get_real_time ();
  g_ptr_array_add (self->state->ignored, g_steal_pointer (&entry));

  return commit (self, before, NULL, error);
}

/**
 * hearth_trust_store_unignore:
 * @self: a #HearthTrustStore
 * @device_id: the id of an ignored device
 * @fingerprint: its key
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the entry was removed; %FALSE if there was no such entry
 */
gboolean
hearth_trust_store_unignore (HearthTrustStore *self, const char *device_id, const char *fingerprint,
                             GError **error)
{
  TrustState *before;
  int index;

  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  index = find_entry (self->state->ignored, device_id, fingerprint);
  if (index < 0)
    {
      g_set_error (error, HEARTH_ERROR, HEARTH_ERROR_INVALID_ARGUMENT,
                   "Device “%s” with that key is not ignored", device_id != NULL ? device_id : "");
      return FALSE;
    }

  before = trust_state_copy (self->state);
  g_ptr_array_remove_index (self->state->ignored, (guint)index);

  return commit (self, before, NULL, error);
}

/**
 * hearth_trust_store_flush:
 * @self: a #HearthTrustStore
 * @error: return location for a #GError
 *
 * Writes pending-change counters that are waiting for their once-a-second write now, e.g.
 * before the hub exits.
 *
 * Returns: %TRUE when everything is on disk
 */
gboolean
hearth_trust_store_flush (HearthTrustStore *self, GError **error)
{
  g_return_val_if_fail (HEARTH_IS_TRUST_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->counters_dirty)
    return TRUE;

  return write_state (self, error);
}
