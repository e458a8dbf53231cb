/*  panda_schema_lock.h - schema files and lock files, as fishy makes them.

    fishy (p2panda's schema tool) keeps an application's schemas in a
    schema.toml: one table per schema with a description and its fields,
    relation fields naming other schemas of the same file or a schema id.
    Building signs the schema_field_definition_v1 and schema_definition_v1
    operations that bring the schemas to that state and appends them, as
    commits, to a schema.lock:

        version = 1

        [[commits]]
        entry_hash = "0020…"   # hash of the entry: the operation id
        entry = "00…"          # the signed Bamboo entry, hex
        operation = "84…"      # the CBOR operation, hex

    A lock file is history: building again only appends what changed
    (UPDATEs of the changed field and schema documents), so a schema id,
    once deployed, stays valid. Deploying publishes the commits in order.

    Parsing a lock file checks everything a node would before anything is
    sent: each entry hash against its entry, signature, payload, the
    operation against its system schema, and that the commits form valid
    logs and documents on their own (backlinks, skiplinks, log ids,
    previous ids). A lock file fishy wrote passes; one changed by hand
    does not, with an error naming the commit.                             */
#ifndef PANDA_SCHEMA_LOCK_H_INCLUDED
#define PANDA_SCHEMA_LOCK_H_INCLUDED

#include "panda/panda_entry.h"
#include "panda/panda_operation.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_SCHEMA_LOCK_VERSION 1
//  Largest schema.lock or schema.toml read (a commit is about 600 bytes of
//  text; a schema with 1024 fields about 1100 commits).
#define PANDA_SCHEMA_LOCK_MAX_BYTES (16u << 20)

typedef struct _panda_schema_lock_t panda_schema_lock_t;
typedef struct _panda_schema_file_t panda_schema_file_t;

//  --------------------------------------------------------------------------
//  Lock files

//  An empty lock file (no commits). Caller owns; NULL on OOM.
panda_schema_lock_t *panda_schema_lock_new (void);

//  Parse and check len bytes of schema.lock text (see above). Errors name
//  the commit ("commit 3 (0020…): ..."): PANDA_ERR_DECODE for TOML or
//  layout, PANDA_ERR_INVALID for a commit a node would refuse, PANDA_ERR_LIMIT
//  above PANDA_SCHEMA_LOCK_MAX_BYTES. Caller owns the result.
panda_schema_lock_t *panda_schema_lock_parse (const char *text, size_t len, panda_error_t *err);

void panda_schema_lock_destroy (panda_schema_lock_t **self_p);

//  Number of commits.
size_t panda_schema_lock_count (const panda_schema_lock_t *self);

//  Commit index (0-based): its entry and operation (borrowed, checked).
const panda_entry_t *panda_schema_lock_entry (const panda_schema_lock_t *self, size_t index);
const panda_operation_t *panda_schema_lock_operation (const panda_schema_lock_t *self, size_t index);
const uint8_t *panda_schema_lock_operation_bytes (const panda_schema_lock_t *self, size_t index, size_t *len);

//  The document commit index belongs to (its CREATE's id). Borrowed.
const panda_hash_t *panda_schema_lock_document (const panda_schema_lock_t *self, size_t index);

//  The lock file as TOML text, in fishy's layout. Caller owns (free);
//  NULL on OOM.
char *panda_schema_lock_format (const panda_schema_lock_t *self);

//  --------------------------------------------------------------------------
//  Schema files

//  Parse len bytes of schema.toml as fishy reads it: every schema a table
//  with exactly `description` and `fields`; a field is { type = "str" |
//  "int" | "float" | "bool" | "bytes" } or { type = "relation" |
//  "relation_list" | "pinned_relation" | "pinned_relation_list", schema = {
//  name = "<schema in this file>" } or { id = "<schema id>" } }. Checks
//  names, descriptions, that the file is not empty, every schema has fields
//  and relations by name resolve without cycles. Caller owns the result.
panda_schema_file_t *panda_schema_file_parse (const char *text, size_t len, panda_error_t *err);

void panda_schema_file_destroy (panda_schema_file_t **self_p);

//  What building did to one schema.
typedef enum {
    PANDA_SCHEMA_UNCHANGED, //  the lock file already had it
    PANDA_SCHEMA_CREATED,
    PANDA_SCHEMA_UPDATED
} panda_schema_change_t;

//  Bring lock to the schemas of file: sign, with keypair, the operations
//  fishy would (new field and schema definitions as CREATEs, changed ones
//  as UPDATEs of the documents in the lock, each in the author's log of
//  that document) and append them as commits. Schemas go in dependency
//  order (a relation's schema first), schemas of one level by name; fields
//  by name. *added gets the number of new commits. Fails when the lock
//  holds a schema that cannot be assembled; the lock may then hold some
//  new commits already: discard it.
PANDA_NODISCARD panda_err_t panda_schema_lock_build (panda_schema_lock_t *lock, panda_schema_file_t *file,
                                                     const panda_keypair_t *keypair, size_t *added,
                                                     panda_error_t *err);

//  After a build, the schemas of file in build order: name, schema id
//  ("<name>_<view id>", borrowed) and what happened to it.
size_t panda_schema_file_count (const panda_schema_file_t *self);
const char *panda_schema_file_name (const panda_schema_file_t *self, size_t index);
const char *panda_schema_file_schema_id (const panda_schema_file_t *self, size_t index);
panda_schema_change_t panda_schema_file_change (const panda_schema_file_t *self, size_t index);

#ifdef __cplusplus
}
#endif
#endif
