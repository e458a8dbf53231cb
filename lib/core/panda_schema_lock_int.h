/*  panda_schema_lock_int.h - what the lock file parser and the schema
    builder share: the commits of a lock file and the index over them.   */
#ifndef PANDA_SCHEMA_LOCK_INT_H_INCLUDED
#define PANDA_SCHEMA_LOCK_INT_H_INCLUDED

#include "panda/panda_schema.h"
#include "panda/panda_schema_lock.h"

#include <jansson.h>

typedef struct {
    panda_entry_t *entry;
    panda_operation_t *operation;
    panda_hash_t document_id;
} panda_schema_commit_t;

struct _panda_schema_lock_t {
    panda_schema_commit_t *commits;
    size_t count, cap;
    //  "op:<id>" -> index; "seq:<key>:<log>:<seq>" -> index; "head:<key>:<log>"
    //  -> latest index; "log:<key>:<document>" -> log id; "logs:<key>" -> next
    //  free log id (one more than the highest in use)
    json_t *index;
};

//  One field of a schema file.
typedef struct {
    char *name;
    panda_field_kind_t kind;
    long target; //  relation to the schema at this index of the file, or -1
    char *target_id; //  relation to a schema id, or NULL
} panda_schema_file_field_t;

//  One schema of a schema file, and what building made of it.
typedef struct {
    char *name, *description;
    panda_schema_file_field_t *fields; //  sorted by name, byte-wise
    size_t field_count;
    char *schema_id; //  after a build
    panda_schema_change_t change;
} panda_schema_file_schema_t;

struct _panda_schema_file_t {
    panda_schema_file_schema_t *schemas; //  in build order: dependencies first, then by name
    size_t count;
};

//  Check a commit against the commits before it, as a node checks a
//  publish (payload, system schema, seq num, links, document, log id),
//  then append it. Takes entry and operation, also on failure (*_p NULLed).
PANDA_NODISCARD panda_err_t panda_schema_lock_append (panda_schema_lock_t *self, panda_entry_t **entry_p,
                                                      panda_operation_t **operation_p, panda_error_t *err);

//  Index of the commit with this operation id, or -1.
long panda_schema_lock_find (const panda_schema_lock_t *self, const panda_hash_t *id);

//  The author's log of document_id (true, *log_id set) or none (false).
bool panda_schema_lock_document_log (const panda_schema_lock_t *self, const panda_public_key_t *key,
                                     const panda_hash_t *document_id, uint64_t *log_id);

//  Arguments of the author's next entry in log_id (a new log: seq 1).
PANDA_NODISCARD panda_err_t panda_schema_lock_next_args (const panda_schema_lock_t *self,
                                                         const panda_public_key_t *key, uint64_t log_id,
                                                         panda_entry_args_t *args, panda_error_t *err);

//  The author's next free log id.
uint64_t panda_schema_lock_free_log (const panda_schema_lock_t *self, const panda_public_key_t *key);

#endif
