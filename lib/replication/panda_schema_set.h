/*  panda_schema_set.h - SchemaIdSet: the canonical sorted set of schema ids
    that Announce and SyncRequest carry (node-api §9.3).

    Canonical order: the four system schemas first, in enum order
    (schema_definition_v1 < schema_field_definition_v1 < blob_v1 <
    blob_piece_v1), then application schemas by the tuple (name bytes, view
    id as the list of its operation ids). The binary form of an operation id
    orders like its hex string, so ids are compared without formatting. This
    is not whole-string order: `a_<id>` sorts before `a0_<id>`.

    A set is a value type that owns its ids (init/clear). A set received
    from a peer must be strictly sorted (panda_schema_set_validate); a set
    built locally is brought into that form with panda_schema_set_normalize.
    contains and intersect need canonical sets.                              */
#ifndef PANDA_SCHEMA_SET_H_INCLUDED
#define PANDA_SCHEMA_SET_H_INCLUDED

#include "panda/panda_schema_id.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    panda_schema_id_t *ids; //  owned, each id owns its view ids
    size_t count;
    size_t cap;
} panda_schema_set_t;

//  Canonical order of two ids: < 0, 0 or > 0.
int panda_schema_id_cmp (const panda_schema_id_t *a, const panda_schema_id_t *b);

//  Start an empty set.
void panda_schema_set_init (panda_schema_set_t *self);

//  Free what self owns and leave it empty; accepts a zeroed set.
void panda_schema_set_clear (panda_schema_set_t *self);

//  Append a deep copy of id (no ordering is kept). PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_schema_set_add (panda_schema_set_t *self, const panda_schema_id_t *id,
                                                  panda_error_t *err);

//  Parse len bytes of text as a schema id and append it (no ordering is
//  kept). Errors are those of panda_schema_id_parse.
PANDA_NODISCARD panda_err_t panda_schema_set_add_text (panda_schema_set_t *self, const char *text, size_t len,
                                                       panda_error_t *err);

//  True if the ids are strictly ascending (sorted, no duplicates).
bool panda_schema_set_is_canonical (const panda_schema_set_t *self);

//  PANDA_OK if canonical, else PANDA_ERR_DECODE "schema id `X` at position
//  N is not after `Y`" (or "... duplicates ...").
PANDA_NODISCARD panda_err_t panda_schema_set_validate (const panda_schema_set_t *self, panda_error_t *err);

//  Sort into canonical order and drop duplicates.
void panda_schema_set_normalize (panda_schema_set_t *self);

//  True if id is in self, which must be canonical (binary search).
bool panda_schema_set_contains (const panda_schema_set_t *self, const panda_schema_id_t *id);

//  Replace out (initialised, emptied first) with the ids of a that are also
//  in b, in canonical order. Both must be canonical; out must be neither.
PANDA_NODISCARD panda_err_t panda_schema_set_intersect (const panda_schema_set_t *a,
                                                        const panda_schema_set_t *b, panda_schema_set_t *out,
                                                        panda_error_t *err);

//  True if both hold the same ids in the same order.
bool panda_schema_set_eq (const panda_schema_set_t *a, const panda_schema_set_t *b);

#ifdef __cplusplus
}
#endif
#endif
