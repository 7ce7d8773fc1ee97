/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target: the validation of a written property value and of an action's input, as the
 * routes do it for PUT /properties/{name} ({"value": …}) and POST /actions/{name}
 * ({"input": {…}}) before any device callback runs (iotscp_routes.c). The device model is
 * declared like firmware/examples/footprint, without a device or a network: the first input
 * byte chooses the property (or the action), the rest is the request body.
 *
 * Invariants: an accepted value has the declared type and lies within the declared range and
 * enum; an accepted input has every required field, a value for exactly the members present,
 * and no undeclared member; validation never writes outside the buffers it is given (guard
 * bytes around them, checked after every call, so the standalone driver finds small overruns
 * that AddressSanitizer cannot see inside one allocation).
 */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "iotscp_internal.h"
#include "iotscp_text.h"

#define GUARD_SIZE 32
#define GUARD_BYTE 0xa5
#define STRING_CAP (IOTSCP_MAX_STRING_VALUE + 1)
/* The routes' buffer for an action's strings (post_action in iotscp_routes.c). */
#define INPUT_STRINGS_CAP (2 * (IOTSCP_MAX_STRING_VALUE + 1))

static const char *const modes[] = { "warm", "cold", "party" };
static const char *const sizes[] = { "1", "2", "4", "8" };
static const char *const speeds[] = { "0.5", "1", "1.5" };

static const iotscp_schema property_schemas[] = {
  /* on */
  { .type = IOTSCP_TYPE_BOOLEAN },
  /* brightness: step is a hint for UIs (protocol.md 4.3), not a constraint on writes. */
  { .type = IOTSCP_TYPE_INTEGER,
    .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM | IOTSCP_HAS_STEP,
    .minimum = 0,
    .maximum = 100,
    .step = 1 },
  /* fade */
  { .type = IOTSCP_TYPE_NUMBER,
    .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
    .minimum = 0,
    .maximum = 10 },
  /* mode */
  { .type = IOTSCP_TYPE_STRING, .enum_count = 3, .enum_values = modes },
  /* size: an integer enum */
  { .type = IOTSCP_TYPE_INTEGER, .enum_count = 4, .enum_values = sizes },
  /* speed: a number enum */
  { .type = IOTSCP_TYPE_NUMBER, .enum_count = 3, .enum_values = speeds },
  /* label */
  { .type = IOTSCP_TYPE_STRING },
};
#define PROPERTY_COUNT (sizeof property_schemas / sizeof property_schemas[0])

static const iotscp_field blink_input[] = {
  { .name = "times",
    .schema = { .type = IOTSCP_TYPE_INTEGER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM,
                .minimum = 1,
                .maximum = 10 },
    .required = true },
  { .name = "mode",
    .schema = { .type = IOTSCP_TYPE_STRING, .enum_count = 3, .enum_values = modes },
    .required = true },
  { .name = "period",
    .schema = { .type = IOTSCP_TYPE_NUMBER,
                .flags = IOTSCP_HAS_MINIMUM | IOTSCP_HAS_MAXIMUM | IOTSCP_HAS_STEP,
                .minimum = 0.1,
                .maximum = 5,
                .step = 0.1 } },
  { .name = "fade", .schema = { .type = IOTSCP_TYPE_BOOLEAN } },
  { .name = "size",
    .schema = { .type = IOTSCP_TYPE_INTEGER, .enum_count = 4, .enum_values = sizes } },
  /* Three string fields: together they can exceed the routes' string buffer. */
  { .name = "note", .schema = { .type = IOTSCP_TYPE_STRING } },
  { .name = "tag", .schema = { .type = IOTSCP_TYPE_STRING } },
};
#define FIELD_COUNT (sizeof blink_input / sizeof blink_input[0])

/* A buffer of cap bytes with guard bytes on both sides. */
static unsigned char *
guarded_new (size_t cap)
{
  unsigned char *block = malloc (GUARD_SIZE + cap + GUARD_SIZE);
  FUZZ_CHECK (block != NULL);
  memset (block, GUARD_BYTE, GUARD_SIZE + cap + GUARD_SIZE);
  return block + GUARD_SIZE;
}

static void
guarded_free_checked (unsigned char *buf, size_t cap)
{
  unsigned char *block = buf - GUARD_SIZE;
  for (size_t i = 0; i < GUARD_SIZE; i++)
    {
      FUZZ_CHECK (block[i] == GUARD_BYTE);
      FUZZ_CHECK (buf[cap + i] == GUARD_BYTE);
    }
  free (block);
}

/* True when the decimal text of a numeric enum member equals n (compared independently of the
 * model's own enum parsing). */
static bool
numeric_enum_has (const iotscp_schema *schema, double n)
{
  for (size_t i = 0; i < schema->enum_count; i++)
    if (strtod (schema->enum_values[i], NULL) == n)
      return true;
  return false;
}

/* Checks that an accepted value fits its schema; buf[0..cap) is where its string must be. */
static void
check_accepted (const iotscp_schema *schema, const iotscp_value *value, const char *buf, size_t cap)
{
  double n;
  switch (schema->type)
    {
      case IOTSCP_TYPE_BOOLEAN:
        FUZZ_CHECK (value->type == IOTSCP_TYPE_BOOLEAN);
        FUZZ_CHECK (value->boolean == true || value->boolean == false);
        return;
      case IOTSCP_TYPE_INTEGER:
      case IOTSCP_TYPE_NUMBER:
        if (schema->type == IOTSCP_TYPE_INTEGER)
          FUZZ_CHECK (value->type == IOTSCP_TYPE_INTEGER);
        else
          FUZZ_CHECK (value->type == IOTSCP_TYPE_NUMBER || value->type == IOTSCP_TYPE_INTEGER);
        n = value->type == IOTSCP_TYPE_INTEGER ? (double)value->integer : value->number;
        FUZZ_CHECK (isfinite (n));
        if (schema->flags & IOTSCP_HAS_MINIMUM)
          FUZZ_CHECK (n >= schema->minimum);
        if (schema->flags & IOTSCP_HAS_MAXIMUM)
          FUZZ_CHECK (n <= schema->maximum);
        if (schema->enum_count > 0)
          FUZZ_CHECK (numeric_enum_has (schema, n));
        return;
      case IOTSCP_TYPE_STRING:
        FUZZ_CHECK (value->type == IOTSCP_TYPE_STRING);
        FUZZ_CHECK (value->string >= buf && value->string + value->length < buf + cap);
        FUZZ_CHECK (value->length <= IOTSCP_MAX_STRING_VALUE);
        FUZZ_CHECK (value->string[value->length] == '\0');
        FUZZ_CHECK (strlen (value->string) == value->length);
        FUZZ_CHECK (iotscp_text_utf8_valid (value->string, value->length));
        if (schema->enum_count > 0)
          {
            bool listed = false;
            for (size_t i = 0; i < schema->enum_count && !listed; i++)
              listed = strcmp (schema->enum_values[i], value->string) == 0;
            FUZZ_CHECK (listed);
          }
        return;
      default:
        FUZZ_CHECK (!"a schema of this target has an unknown type");
    }
}

/* PUT /properties/{name}: the steps of put_property before the write callback. */
static void
validate_property (const iotscp_schema *schema, const iotscp_json_doc *doc)
{
  unsigned char *text = guarded_new (STRING_CAP);
  iotscp_value value;
  const char *why = NULL;
  int tok = iotscp_json_object_get (doc, 0, "value");
  if (tok >= 0)
    {
      if (iotscp_model_value_from_json (schema, doc, tok, &value, (char *)text, STRING_CAP, &why))
        {
          check_accepted (schema, &value, (const char *)text, STRING_CAP);
          /* The routes check the value again after the callback: unchanged, it still passes. */
          FUZZ_CHECK (iotscp_model_value_ok (schema, &value, &why));
        }
      else
        FUZZ_CHECK (why != NULL);
    }
  guarded_free_checked (text, STRING_CAP);
}

/* True when the member key k of doc names a declared field. */
static bool
key_is_declared (const iotscp_json_doc *doc, int k)
{
  char key[IOTSCP_NAME_MAX + 2];
  size_t len;
  if (iotscp_json_get_string (doc, k, key, sizeof key, &len) < 0)
    return false;
  for (size_t i = 0; i < FIELD_COUNT; i++)
    if (strcmp (key, blink_input[i].name) == 0)
      return true;
  return false;
}

/* POST /actions/{name}: the steps of post_action before the invoke callback. */
static void
validate_action_input (const iotscp_json_doc *doc)
{
  unsigned char *strings = guarded_new (INPUT_STRINGS_CAP);
  unsigned char *values_block = guarded_new (FIELD_COUNT * sizeof (iotscp_value));
  iotscp_value *values = (iotscp_value *)(void *)values_block;
  const char *why = NULL;
  int tok;

  if (iotscp_json_type_of (doc, 0) != IOTSCP_JSON_OBJECT)
    goto out;
  tok = iotscp_json_object_get (doc, 0, "input");
  if (tok < 0)
    goto out;
  if (!iotscp_model_fields_from_json (blink_input, FIELD_COUNT, doc, tok, values, (char *)strings,
                                      INPUT_STRINGS_CAP, &why))
    {
      FUZZ_CHECK (why != NULL);
      goto out;
    }
  FUZZ_CHECK (iotscp_json_type_of (doc, tok) == IOTSCP_JSON_OBJECT);
  for (int k = iotscp_json_first (doc, tok); k >= 0; k = iotscp_json_next (doc, tok, k))
    FUZZ_CHECK (key_is_declared (doc, k));
  for (size_t i = 0; i < FIELD_COUNT; i++)
    {
      bool present = iotscp_json_object_get (doc, tok, blink_input[i].name) >= 0;
      if (blink_input[i].required)
        FUZZ_CHECK (present);
      if (!present)
        {
          FUZZ_CHECK (values[i].type == IOTSCP_TYPE_NULL);
          continue;
        }
      check_accepted (&blink_input[i].schema, &values[i], (const char *)strings, INPUT_STRINGS_CAP);
      /* Two strings never share bytes of the buffer. */
      for (size_t j = 0; j < i && values[i].type == IOTSCP_TYPE_STRING; j++)
        if (values[j].type == IOTSCP_TYPE_STRING)
          FUZZ_CHECK (values[j].string + values[j].length < values[i].string
                      || values[i].string + values[i].length < values[j].string);
    }
out:
  guarded_free_checked (values_block, FIELD_COUNT * sizeof (iotscp_value));
  guarded_free_checked (strings, INPUT_STRINGS_CAP);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  iotscp_json_token tokens[IOTSCP_JSON_MAX_TOKENS];
  iotscp_json_doc doc;
  size_t choice;

  /* The declarations themselves must be valid, or the invariants above mean nothing. */
  for (size_t i = 0; i < PROPERTY_COUNT; i++)
    FUZZ_CHECK (iotscp_model_schema_ok (&property_schemas[i]));
  for (size_t i = 0; i < FIELD_COUNT; i++)
    FUZZ_CHECK (iotscp_model_schema_ok (&blink_input[i].schema)
                && iotscp_model_name_ok (blink_input[i].name));

  if (size < 1 || size > IOTSCP_HTTP_MAX_BODY + 1)
    return 0;
  choice = data[0] % (PROPERTY_COUNT + 1);
  iotscp_json_doc_init (&doc, tokens, IOTSCP_JSON_MAX_TOKENS);
  /* Like parse_body: an empty or unparsable body is refused before validation. */
  if (size == 1 || iotscp_json_parse (&doc, (const char *)data + 1, size - 1) < 0)
    return 0;
  if (choice < PROPERTY_COUNT)
    validate_property (&property_schemas[choice], &doc);
  else
    validate_action_input (&doc);
  return 0;
}
