/*  panda_schema_id.h - parse, validate and format schema ids (spec §5.1).

    Two kinds: system ids `<name>_v<version>` (schema_definition_v1,
    schema_field_definition_v1, blob_v1, blob_piece_v1) and application ids
    `<name>_<op id>[_<op id>...]`, where the op ids are the sorted document
    view id of the schema_definition_v1 document. The parser follows the
    reference order and messages, but is strict where the reference is lenient
    (spec §11): it rejects `v01` / `v+1`, system versions other than 1 and
    upper-case hex. So every accepted id equals its canonical string.        */
#ifndef PANDA_SCHEMA_ID_H_INCLUDED
#define PANDA_SCHEMA_ID_H_INCLUDED

#include "panda/panda_hash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_SCHEMA_NAME_MIN 2
#define PANDA_SCHEMA_NAME_MAX 64
#define PANDA_SCHEMA_SYSTEM_VERSION 1 //  the only system schema version there is

typedef enum { PANDA_SCHEMA_ID_SYSTEM, PANDA_SCHEMA_ID_APPLICATION } panda_schema_id_kind_t;

typedef enum {
    PANDA_SYSTEM_SCHEMA_NONE = 0, //  application id
    PANDA_SYSTEM_SCHEMA_DEFINITION,
    PANDA_SYSTEM_SCHEMA_FIELD_DEFINITION,
    PANDA_SYSTEM_SCHEMA_BLOB,
    PANDA_SYSTEM_SCHEMA_BLOB_PIECE
} panda_system_schema_t;

typedef struct {
    panda_schema_id_kind_t kind;
    panda_system_schema_t system; //  NONE for application ids
    char name[PANDA_SCHEMA_NAME_MAX + 1]; //  "blob", "venue", ...
    uint8_t version; //  system ids only
    size_t n_view_ids; //  application ids: >= 1
    panda_hash_t *view_ids; //  owned, sorted ascending, unique
} panda_schema_id_t;

//  Parse len bytes of text (need not be NUL-terminated) into *self. On
//  success self owns view_ids: release with panda_schema_id_clear. On failure
//  *self is cleared. Errors are PANDA_ERR_DECODE with the reference message
//  (e.g. "malformed schema id `venue`: doesn't contain an underscore"), or
//  PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_schema_id_parse (panda_schema_id_t *self, const char *text, size_t len,
                                                   panda_error_t *err);

//  Parse and discard: PANDA_OK if text is a valid (canonical) schema id.
PANDA_NODISCARD panda_err_t panda_schema_id_validate (const char *text, size_t len, panda_error_t *err);

//  Free what self owns; accepts a cleared or zeroed id.
void panda_schema_id_clear (panda_schema_id_t *self);

//  Canonical string: `<name>_v<version>` or `<name>_<id>_<id>...`. Caller
//  owns the result (free); NULL on OOM.
char *panda_schema_id_format (const panda_schema_id_t *self);

//  Fixed-length "hash id" of p2panda-rs Schema::hash_id: `<name>__<version>`
//  or `<name>__<YASMF hash of the concatenated view id hashes>`. Caller owns
//  the result (free); NULL on OOM.
char *panda_schema_id_hash_id (const panda_schema_id_t *self);

//  True if name matches ^[A-Za-z][A-Za-z0-9_]{0,62}[A-Za-z0-9]$ (2-64 chars).
bool panda_schema_name_valid (const char *name, size_t len);

//  The canonical id of a system schema ("blob_v1"), or NULL for NONE.
const char *panda_system_schema_id (panda_system_schema_t which);

#ifdef __cplusplus
}
#endif
#endif
