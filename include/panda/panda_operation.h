/*  panda_operation.h - p2panda operations: canonical CBOR codec.

    An operation is the payload of a Bamboo entry: a CBOR array
    [version, action, schema_id, (previous), (fields)] (spec data-types.md
    §4). The decoder is strict: it accepts exactly the canonical encoding
    that p2panda-js produces (shortest integer and float heads, definite
    lengths, byte-wise sorted unique keys, no tags, no trailing bytes,
    version 1) and rejects everything else with a message naming the byte
    or field at fault; where the reference has a message for the same case,
    we use its text. The raw bytes are kept: ids are hashes of them.

    Fields are kept sorted by name (byte-wise), as in the encoding.          */
#ifndef PANDA_OPERATION_H_INCLUDED
#define PANDA_OPERATION_H_INCLUDED

#include "panda/panda_value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PANDA_ACTION_CREATE = 0, PANDA_ACTION_UPDATE = 1, PANDA_ACTION_DELETE = 2 } panda_action_t;

typedef struct _panda_operation_t panda_operation_t;

#define PANDA_OPERATION_VERSION 1
#define PANDA_OPERATION_MAX_DEPTH 8 //  CBOR nesting limit while decoding
#define PANDA_OPERATION_MAX_FIELDS 1024

//  "create", "update", "delete".
const char *panda_action_name (panda_action_t action);

//  Decode len bytes. Returns a new operation (caller owns; it keeps its own
//  copy of the bytes), or NULL with err set (PANDA_ERR_DECODE; PANDA_ERR_LIMIT
//  above PANDA_OPERATION_MAX_FIELDS fields; PANDA_ERR_NOMEM). Field names are
//  non-empty UTF-8 without NUL; values are of a plain kind (panda_value.h).
PANDA_NODISCARD panda_operation_t *panda_operation_decode (const uint8_t *bytes, size_t len,
                                                           panda_error_t *err);

//  Start an operation to encode. previous (count n_previous) must be given
//  for UPDATE/DELETE (valid hashes) and is copied, sorted and de-duplicated
//  like a document view id; CREATE takes none. schema_id must be a valid
//  canonical schema id (panda_schema_id.h). Add fields with
//  panda_operation_set_field. Caller owns the result; NULL on bad arguments
//  (err says why, PANDA_ERR_INVALID / DECODE) or OOM.
panda_operation_t *panda_operation_new (panda_action_t action, const char *schema_id,
                                        const panda_hash_t *previous, size_t n_previous, panda_error_t *err);

//  Set (add or replace) a field; the value is deep-copied. Fails with
//  PANDA_ERR_INVALID for DELETE, an empty or non-UTF-8 name, STR values that
//  are not UTF-8 or invalid hashes in lists; PANDA_ERR_LIMIT above
//  PANDA_OPERATION_MAX_FIELDS fields.
PANDA_NODISCARD panda_err_t panda_operation_set_field (panda_operation_t *self, const char *name,
                                                       const panda_value_t *value, panda_error_t *err);

//  Canonical CBOR bytes: the decoded input, or the encoding of a built
//  operation (computed once and cached until the next set_field). Borrowed,
//  valid while self lives and is not changed. NULL (*len 0) on OOM.
const uint8_t *panda_operation_bytes (panda_operation_t *self, size_t *len);

void panda_operation_destroy (panda_operation_t **self_p);

panda_action_t panda_operation_action (const panda_operation_t *self);

//  Canonical schema id string. Borrowed.
const char *panda_operation_schema_id (const panda_operation_t *self);

//  previous (the document view id the author saw): sorted ids, count in *count
//  (0 for CREATE). Borrowed.
const panda_hash_t *panda_operation_previous (const panda_operation_t *self, size_t *count);

//  Fields (0 for DELETE), sorted by name byte-wise.
size_t panda_operation_field_count (const panda_operation_t *self);
const char *panda_operation_field_name (const panda_operation_t *self, size_t index);
const panda_value_t *panda_operation_field_value (const panda_operation_t *self, size_t index);
//  Field by name, or NULL.
const panda_value_t *panda_operation_field (const panda_operation_t *self, const char *name);

#ifdef __cplusplus
}
#endif
#endif
