/*  panda_test.h - shared helpers for the cmocka unit tests.

    Tests load the p2panda-js vectors from tests/vectors (copied from the
    shared vectors, regenerated with p2panda-js 0.8.1) and compare byte for
    byte. Include this after the system headers cmocka needs.               */
#ifndef PANDA_TEST_H_INCLUDED
#define PANDA_TEST_H_INCLUDED

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "panda/panda_operation.h"
#include "panda/panda_schema.h"

//  Load tests/vectors/<name> (e.g. "entries.json"). Fails the test if the
//  file is missing or not JSON. Caller owns the result (json_decref).
json_t *panda_test_vectors (const char *name);

//  Decode a hex string; fails the test on bad hex. Caller owns the result
//  (free); *len gets its length. A zero-length result is a valid pointer.
uint8_t *panda_test_unhex (const char *hex, size_t *len);

//  Lower-case hex of len bytes. Caller owns the result (free).
char *panda_test_hex (const uint8_t *bytes, size_t len);

//  Fill buf with len deterministic pseudo-random bytes from *state (xorshift).
void panda_test_random_bytes (uint64_t *state, uint8_t *buf, size_t len);

//  Run a shell command, capture stdout (at most 1 MiB) into a fresh string.
//  Returns the exit status, or -1 if it could not run. Caller owns *out.
int panda_test_run (const char *command, char **out);

//  A schema file as `panda schema build` takes it (fishy's format): event
//  (title, date, a relation to venue) and venue (name).
#define PANDA_TEST_SCHEMA_FILE                                                                               \
    "[event]\n"                                                                                              \
    "description = \"An event\"\n\n"                                                                         \
    "[event.fields]\n"                                                                                       \
    "title = { type = \"str\" }\n"                                                                           \
    "date = { type = \"int\" }\n"                                                                            \
    "venue = { type = \"relation\", schema = { name = \"venue\" } }\n\n"                                     \
    "[venue]\n"                                                                                              \
    "description = \"A place\"\n\n"                                                                          \
    "[venue.fields]\n"                                                                                       \
    "name = { type = \"str\" }\n"

//  Path of a program built into <build>/bin (e.g. "panda"), in a static buffer.
const char *panda_test_bin (const char *program);

//  Parse a JSON array of 68-char hash strings; fails the test on a bad one.
//  Caller owns the result (free); *count gets the number of hashes.
panda_hash_t *panda_test_hashes (json_t *array, size_t *count);

//  Build the application schema schema_definitions[which] of schema.json
//  (root) from its field and schema definitions (0: vector_tag,
//  1: vector_item). Fails the test if it does not build. Caller owns the
//  result (panda_schema_destroy).
panda_schema_t *panda_test_vector_schema (json_t *root, size_t which);

//  A schema_field_definition_v1 operation: CREATE {name, type "str"}, or
//  with previous an UPDATE of name. Fails the test on error; caller owns.
panda_operation_t *panda_test_field_definition (const panda_hash_t *previous, const char *name);

//  The same with any action and previous: CREATE {name, type "str"},
//  UPDATE {name}, DELETE (name unused).
panda_operation_t *panda_test_field_definition_op (panda_action_t action, const panda_hash_t *previous,
                                                   size_t n_previous, const char *name);

#endif
