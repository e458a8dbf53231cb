/*  panda_schema.h - p2panda schemas: system schemas, application schemas,
    field types, and validating operations against a schema.

    A schema is an id, a name, a description and 1..1024 fields, each with a
    name and a field type (spec data-types.md §5). Fields are always kept
    sorted by name, byte-wise. The four system schemas are built in and
    immutable (panda_schema_system); application schemas are built from the
    views of their schema_definition_v1 / schema_field_definition_v1
    documents (panda_schema_build) or rebuilt from stored rows
    (panda_schema_new + panda_schema_add_field).

    This module is strict: it accepts only canonical input (canonical schema
    ids inside field types, no trailing text, no unknown relation kinds) and
    rejects the non-canonical forms the reference tolerates (§11), with a
    message that says why. Schemas are not shared between threads: copy them
    with panda_schema_dup.                                                   */
#ifndef PANDA_SCHEMA_H_INCLUDED
#define PANDA_SCHEMA_H_INCLUDED

#include "panda/panda_operation.h"
#include "panda/panda_schema_id.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_SCHEMA_NAME_MIN 2 //  ^[A-Za-z][A-Za-z0-9_]{0,62}[A-Za-z0-9]$
#define PANDA_SCHEMA_NAME_MAX 64
#define PANDA_SCHEMA_DESCRIPTION_MAX 256 //  Unicode scalar values, not bytes
#define PANDA_SCHEMA_FIELD_NAME_MAX 64 //  ^[A-Za-z][A-Za-z0-9_]{0,63}$
#define PANDA_SCHEMA_FIELDS_MAX 1024
#define PANDA_SCHEMA_BLOB_PIECE_MAX 256000 //  bytes of data in one blob_piece_v1

//  The ids of the four system schemas.
#define PANDA_SCHEMA_ID_SCHEMA_DEFINITION "schema_definition_v1"
#define PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION "schema_field_definition_v1"
#define PANDA_SCHEMA_ID_BLOB "blob_v1"
#define PANDA_SCHEMA_ID_BLOB_PIECE "blob_piece_v1"

typedef enum {
    PANDA_FIELD_BOOL,
    PANDA_FIELD_INT,
    PANDA_FIELD_FLOAT,
    PANDA_FIELD_STR,
    PANDA_FIELD_BYTES,
    PANDA_FIELD_RELATION, //  a document id
    PANDA_FIELD_RELATION_LIST, //  document ids, order and duplicates kept
    PANDA_FIELD_PINNED_RELATION, //  a document view id
    PANDA_FIELD_PINNED_RELATION_LIST //  document view ids, order and duplicates kept
} panda_field_kind_t;

typedef struct _panda_schema_t panda_schema_t;

//  --------------------------------------------------------------------------
//  Field types and names

//  "bool", "int", "float", "str", "bytes", "relation", "relation_list",
//  "pinned_relation", "pinned_relation_list".
const char *panda_field_kind_name (panda_field_kind_t kind);

//  True for the four relation kinds (they carry a target schema id).
bool panda_field_kind_is_relation (panda_field_kind_t kind);

//  Parse a field type string of len bytes (§5.3): a plain kind name, or
//  "<relation kind>(<canonical schema id>)" with nothing after the ")". On
//  success sets *kind and, for relations, *target_offset/*target_len to the
//  schema id inside the text (0/0 otherwise). Allocates nothing.
PANDA_NODISCARD panda_err_t panda_field_type_parse (const char *text, size_t len, panda_field_kind_t *kind,
                                                    size_t *target_offset, size_t *target_len,
                                                    panda_error_t *err);

//  Write the canonical type string of kind (and target, for relations; NULL
//  otherwise) into out (size bytes, NUL-terminated, truncated if short).
//  Returns the full length, like snprintf.
size_t panda_field_type_format (panda_field_kind_t kind, const char *target, char *out, size_t size);

//  Schema names: panda_schema_name_valid (panda_schema_id.h).

//  True if text matches ^[A-Za-z][A-Za-z0-9_]{0,63}$.
bool panda_schema_field_name_is_valid (const char *text, size_t len);

//  True if text is valid UTF-8 of at most 256 Unicode scalar values.
bool panda_schema_description_is_valid (const char *text, size_t len);

//  True if text matches the blob mime pattern of p2panda-rs, quirks
//  included: ^[a-z-]{1,12}/(([a-z0-9]{1,18})[.|+-]){0,6}[a-z0-9]{1,16}$
bool panda_schema_mime_type_is_valid (const char *text, size_t len);

//  --------------------------------------------------------------------------
//  Schemas

//  The built-in system schema with this id, or NULL. Borrowed, immutable,
//  valid for the life of the program.
const panda_schema_t *panda_schema_system (const char *schema_id);

//  Start an application schema with no fields (add them with
//  panda_schema_add_field). id must be a canonical schema id, name a valid
//  schema name, description valid. Caller owns the result; NULL with err set
//  on invalid arguments (PANDA_ERR_SCHEMA) or PANDA_ERR_NOMEM.
panda_schema_t *panda_schema_new (const char *id, const char *name, const char *description,
                                  panda_error_t *err);

//  Add a field, keeping fields sorted by name. The name must be a valid
//  field name not already present, the type a canonical type string; at
//  most 1024 fields. Errors: PANDA_ERR_SCHEMA, PANDA_ERR_LIMIT, NOMEM.
PANDA_NODISCARD panda_err_t panda_schema_add_field (panda_schema_t *self, const char *name, const char *type,
                                                    panda_error_t *err);

//  Deep copy (also of a system schema). Caller owns the result; NULL on OOM.
panda_schema_t *panda_schema_dup (const panda_schema_t *self);

//  Free a schema made by panda_schema_new/dup/build, NULL the pointer.
//  Accepts NULL. Never pass a system schema.
void panda_schema_destroy (panda_schema_t **self_p);

//  Canonical schema id, name and description. Borrowed.
const char *panda_schema_id (const panda_schema_t *self);
const char *panda_schema_name (const panda_schema_t *self);
const char *panda_schema_description (const panda_schema_t *self);

//  True for the four built-in system schemas.
bool panda_schema_is_system (const panda_schema_t *self);

//  Fields, sorted by name. Strings are borrowed. The target is the relation
//  schema id, NULL for non-relation kinds.
size_t panda_schema_field_count (const panda_schema_t *self);
const char *panda_schema_field_name (const panda_schema_t *self, size_t index);
const char *panda_schema_field_type (const panda_schema_t *self, size_t index);
panda_field_kind_t panda_schema_field_kind (const panda_schema_t *self, size_t index);
const char *panda_schema_field_target (const panda_schema_t *self, size_t index);

//  Index of the field with this name, or -1.
long panda_schema_field_index (const panda_schema_t *self, const char *name);

//  --------------------------------------------------------------------------
//  Building an application schema (§5.5) from materialised views, given as
//  plain data. All strings are NUL-terminated UTF-8; nothing is kept.

//  One schema_field_definition_v1 view.
typedef struct {
    const panda_hash_t *view_id; //  its document view id
    size_t view_id_count;
    const char *name; //  its "name" field
    const char *type; //  its "type" field
} panda_schema_field_def_t;

//  One schema_definition_v1 view.
typedef struct {
    const panda_hash_t *view_id; //  its document view id: becomes part of the schema id
    size_t view_id_count;
    const char *name; //  its "name" field
    const char *description; //  its "description" field
    const panda_hash_list_t *fields; //  its "fields" field: field definition view ids
    size_t field_count;
} panda_schema_def_t;

//  Build the schema "<name>_<definition view id>" from a definition view and
//  a pool of field definition views. Every view id in def->fields must be in
//  the pool (which may hold more). Fails (PANDA_ERR_SCHEMA, or
//  PANDA_ERR_NOT_FOUND for an unresolved field definition) when any rule of
//  §5.5 is broken: non-canonical view id, bad name/description, 0 or more
//  than 1024 fields, a bad field name, a type that does not parse, duplicate
//  field names. Caller owns the result.
PANDA_NODISCARD panda_schema_t *panda_schema_build (const panda_schema_def_t *def,
                                                    const panda_schema_field_def_t *pool, size_t pool_count,
                                                    panda_error_t *err);

//  --------------------------------------------------------------------------
//  Validation (§5.6)

//  Check that operation fits self: its schema id is self's id; a CREATE has
//  exactly the schema's fields, an UPDATE a subset, a DELETE none; every
//  value has the kind its field type needs (relations valid hashes, pinned
//  relations canonical view ids); then the content rules of the system
//  schemas. Returns PANDA_OK or PANDA_ERR_SCHEMA with the reference message.
PANDA_NODISCARD panda_err_t panda_schema_validate_operation (const panda_schema_t *self,
                                                             const panda_operation_t *operation,
                                                             panda_error_t *err);

//  Check one value against the type of field index (the value part of the
//  rule above, without the "field 'X' does not match schema: " prefix).
PANDA_NODISCARD panda_err_t panda_schema_validate_value (const panda_schema_t *self, size_t index,
                                                         const panda_value_t *value, panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
