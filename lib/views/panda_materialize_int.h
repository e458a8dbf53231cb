/*  panda_materialize_int.h - private parts of the materialiser, shared by
    panda_materialize.c (entries, reduction) and panda_materialize_deps.c
    (pinned views, schemas).                                               */
#ifndef PANDA_MATERIALIZE_INT_H_INCLUDED
#define PANDA_MATERIALIZE_INT_H_INCLUDED

#include "panda/panda_document.h"
#include "panda_materialize.h"

typedef enum {
    PANDA_MATERIALIZE_SQL_WANTED_ANY,
    PANDA_MATERIALIZE_SQL_WANTED_BY,
    PANDA_MATERIALIZE_SQL_WANT,
    PANDA_MATERIALIZE_SQL_UNWANT,
    PANDA_MATERIALIZE_SQL_DEFINITIONS_PINNING,
    PANDA_MATERIALIZE_SQL_VIEW_FIELDS,
    PANDA_MATERIALIZE_SQL_VIEW_DOCUMENT,
    PANDA_MATERIALIZE_SQL_SCHEMA_KNOWN,
    PANDA_MATERIALIZE_SQL_COUNT_
} panda_materialize_sql_t;

//  The operations of one document up to a position, decoded, with a
//  builder over them.
typedef struct {
    panda_operation_t **ops;
    panda_hash_t *ids;
    size_t count, capacity;
    int64_t until; //  keep operations at positions <= until
    panda_document_builder_t *builder;
} panda_materialize_ops_t;

struct _panda_materializer_t {
    panda_store_t *store;
    panda_views_t *views;
    sqlite3 *db;
    panda_views_writer_t *writer;
    sqlite3_stmt *stmt[PANDA_MATERIALIZE_SQL_COUNT_];
    panda_materializer_log_fn *log;
    void *log_ctx;
    uint64_t failures;
    bool wanted_any; //  the wanted table may have rows
    char **schemas; //  recorded by the current run
    size_t schema_count, schema_capacity;
    panda_materializer_change_fn *on_change;
    void *change_ctx;
    struct panda_materialize_change *changes; //  made by the current run
    size_t change_count, change_capacity;
};

//  A document change of the current run, reported after its COMMIT.
struct panda_materialize_change {
    panda_materializer_change_t change;
    panda_hash_t document_id;
    char *schema_id, *view_id;
};

//  Count and report a failure of document_id (may be NULL).
void panda_materialize_fail (panda_materializer_t *self, const panda_hash_t *document_id, const char *format,
                             ...) PANDA_PRINTF (3, 4);

//  True for errors that abort a run (the database or memory failed).
#define PANDA_MATERIALIZE_FATAL(rc)                                                                          \
    ((rc) == PANDA_ERR_IO || (rc) == PANDA_ERR_NOMEM || (rc) == PANDA_ERR_INTERNAL)

//  Load the operations of document_id stored at positions <= until into
//  ops (empty first) and add them to a fresh builder.
panda_err_t panda_materialize_ops_load (panda_materializer_t *self, const panda_hash_t *document_id,
                                        int64_t until, panda_materialize_ops_t *ops, panda_error_t *err);
void panda_materialize_ops_fini (panda_materialize_ops_t *ops);

//  Fields of a built view as the writer takes them. Caller frees.
panda_views_field_t *panda_materialize_view_fields (const panda_document_view_t *view, size_t *count);

//  After document rowid (schema_id) got a new current view at position p:
//  build the views it pins that are missing, retry views waiting for
//  operation_id, and record the schemas that became buildable.
panda_err_t panda_materialize_deps_after (panda_materializer_t *self, const char *schema_id,
                                          const char *view_id, const panda_hash_t *operation_id, int64_t p,
                                          panda_error_t *err);

#endif
