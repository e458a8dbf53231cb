/*  panda_views_int.h - private to lib/views/panda_views_write.c and
    panda_views_fields.c: the writer's prepared statements and state, and
    the helpers the two share.                                             */
#ifndef PANDA_VIEWS_INT_H_INCLUDED
#define PANDA_VIEWS_INT_H_INCLUDED

#include "panda_views.h"

typedef enum {
    PANDA_VIEWS_SQL_DOC_GET,
    PANDA_VIEWS_SQL_DOC_INSERT,
    PANDA_VIEWS_SQL_DOC_SET,
    PANDA_VIEWS_SQL_DOC_ADVANCE,
    PANDA_VIEWS_SQL_DOC_FAILED,
    PANDA_VIEWS_SQL_DOC_DELETE,
    PANDA_VIEWS_SQL_VIEW_FIND,
    PANDA_VIEWS_SQL_VIEW_INSERT,
    PANDA_VIEWS_SQL_VIEW_RENAME,
    PANDA_VIEWS_SQL_VIEW_DELETE,
    PANDA_VIEWS_SQL_VIEWS_OF_DOC,
    PANDA_VIEWS_SQL_FIELDS_DELETE_VIEW,
    PANDA_VIEWS_SQL_FIELDS_DELETE_FIELD,
    PANDA_VIEWS_SQL_FIELD_INSERT,
    PANDA_VIEWS_SQL_FIELDS_COPY,
    PANDA_VIEWS_SQL_PINS_COPY,
    PANDA_VIEWS_SQL_PINS_OF_VIEW,
    PANDA_VIEWS_SQL_PINS_OF_FIELD,
    PANDA_VIEWS_SQL_PINS_DELETE_VIEW,
    PANDA_VIEWS_SQL_PINS_DELETE_FIELD,
    PANDA_VIEWS_SQL_PIN_INSERT,
    PANDA_VIEWS_SQL_PINNED,
    PANDA_VIEWS_SQL_CURRENT_OF,
    PANDA_VIEWS_SQL_SCHEMA_FIELDS,
    PANDA_VIEWS_SQL_BLOB_RELATED,
    PANDA_VIEWS_SQL_BLOB_PINNED,
    PANDA_VIEWS_SQL_COUNT_
} panda_views_sql_t;

//  One schema's fields, sorted by name (panda_views_fields.c).
typedef struct _panda_views_schema_t panda_views_schema_t;

typedef struct {
    char **items;
    size_t count, capacity;
} panda_views_strings_t;

//  A field resolved for writing.
typedef struct {
    int64_t id;
    panda_field_kind_t kind;
    bool blob;
} panda_views_resolved_t;

struct _panda_views_writer_t {
    sqlite3 *db;
    sqlite3_stmt *stmt[PANDA_VIEWS_SQL_COUNT_];
    panda_views_schema_t **schemas; //  open addressing by id
    size_t slots, schema_count;
    panda_views_strings_t candidates; //  view ids that may have become unneeded
    panda_views_strings_t pins; //  pinned view ids written into current views
};

//  --------------------------------------------------------------------------
//  panda_views_write.c

//  Fill err with PANDA_ERR_IO and SQLite's message for what.
panda_err_t panda_views_write_db_error (panda_views_writer_t *self, const char *what, panda_error_t *err);

//  Fill err with PANDA_ERR_NOMEM.
panda_err_t panda_views_write_nomem (panda_error_t *err);

//  Run statement which (bound already) to completion and reset it.
panda_err_t panda_views_write_done (panda_views_writer_t *self, panda_views_sql_t which, panda_error_t *err);

//  Append a copy of text (len bytes) to self.
panda_err_t panda_views_write_push (panda_views_strings_t *self, const char *text, size_t len,
                                    panda_error_t *err);

//  --------------------------------------------------------------------------
//  panda_views_fields.c

//  Resolve every field to its schema field id and check its value kind.
//  Caller frees *out.
panda_err_t panda_views_fields_resolve (panda_views_writer_t *self, const char *schema_id,
                                        const panda_views_field_t *fields, size_t count,
                                        panda_views_resolved_t **out, panda_error_t *err);

//  Write the rows of one field into view (and its pins; reported as new
//  pins when report is set).
panda_err_t panda_views_fields_write (panda_views_writer_t *self, int64_t view,
                                      const panda_views_resolved_t *field, const panda_views_field_t *in,
                                      bool report, panda_error_t *err);

//  Free the cache of schema fields.
void panda_views_fields_cache_free (panda_views_writer_t *self);

#endif
