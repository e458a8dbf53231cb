/*  panda_value.h - operation field values.

    A value as it travels inside an operation. Without a schema the CBOR
    only tells its plain kind (spec data-types.md §4.3): a byte string may be
    `bytes` or a `relation`, a flat list of hashes may be a `relation_list`
    or a `pinned_relation`. The schema resolves that (panda_schema.h).

    panda_value_t is a small read-only tagged union, exposed so callers can
    switch on it; values are built and freed only through these functions,
    which own all memory behind the pointers.                                */
#ifndef PANDA_VALUE_H_INCLUDED
#define PANDA_VALUE_H_INCLUDED

#include "panda/panda_hash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PANDA_VALUE_BOOL,
    PANDA_VALUE_INT, //  i64
    PANDA_VALUE_FLOAT, //  IEEE-754 double, NaN/inf allowed
    PANDA_VALUE_STR, //  UTF-8 text, NUL-terminated copy, len excludes the NUL
    PANDA_VALUE_BYTES, //  byte string (bytes, or a relation if 34 valid hash bytes)
    PANDA_VALUE_HASH_LIST, //  list of hashes (relation_list or pinned_relation)
    PANDA_VALUE_HASH_LIST_LIST //  list of hash lists (pinned_relation_list)
} panda_value_kind_t;

typedef struct {
    size_t count;
    panda_hash_t *items;
} panda_hash_list_t;

typedef struct {
    panda_value_kind_t kind;
    union {
        bool boolean;
        int64_t integer;
        double real;
        struct {
            uint8_t *data; //  for STR: NUL-terminated
            size_t len;
        } bytes; //  STR and BYTES
        panda_hash_list_t list; //  HASH_LIST
        struct {
            size_t count;
            panda_hash_list_t *lists;
        } lists; //  HASH_LIST_LIST
    } as;
} panda_value_t;

//  Reference name of a plain kind as used in schema errors: "bool", "int",
//  "float", "str", "bytes", "hash[]", "hash[][]".
const char *panda_value_kind_name (panda_value_kind_t kind);

//  Constructors fill *self; they allocate for STR/BYTES/lists and return
//  PANDA_ERR_NOMEM on failure. Release with panda_value_clear.
void panda_value_set_bool (panda_value_t *self, bool value);
void panda_value_set_int (panda_value_t *self, int64_t value);
void panda_value_set_float (panda_value_t *self, double value);
PANDA_NODISCARD panda_err_t panda_value_set_str (panda_value_t *self, const char *text, size_t len);
PANDA_NODISCARD panda_err_t panda_value_set_bytes (panda_value_t *self, const uint8_t *data, size_t len);
PANDA_NODISCARD panda_err_t panda_value_set_hash_list (panda_value_t *self, const panda_hash_t *items,
                                                       size_t count);
//  An empty list of lists; add inner lists with panda_value_append_list.
void panda_value_set_hash_list_list (panda_value_t *self);
PANDA_NODISCARD panda_err_t panda_value_append_list (panda_value_t *self, const panda_hash_t *items,
                                                     size_t count);

//  Deep copy src into *dest. Caller owns dest's contents.
PANDA_NODISCARD panda_err_t panda_value_copy (panda_value_t *dest, const panda_value_t *src);

//  True if both values are of the same kind and equal (floats compare by
//  their bit pattern, so NaN equals the same NaN).
bool panda_value_eq (const panda_value_t *a, const panda_value_t *b);

//  Free what self owns and reset it to a false BOOL. Accepts a cleared value.
void panda_value_clear (panda_value_t *self);

#ifdef __cplusplus
}
#endif
#endif
