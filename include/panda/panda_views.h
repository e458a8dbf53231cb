/*  panda_views.h - the node's materialised documents (views) in SQLite.

    Views are derived data: the materialiser (the only writer) builds them
    from the stored operations, and every query reads them. They live in
    their own database file, next to the entries (database path + "-views"),
    so the materialiser never contends with the publish path for SQLite's
    single write lock, and an operator may delete the file: it is rebuilt
    from the entries at the next start.

    Tables (this is the contract between the materialiser, which writes
    them, and the query engine, which reads them):

      meta (key TEXT PRIMARY KEY, value INTEGER)
          'position': the entries position materialised up to (resume point).

      schemas (id TEXT PRIMARY KEY, name, description, document BLOB, ordinal INTEGER)
          Materialised application schemas. document: the 34-byte id of its
          schema_definition_v1 document. ordinal: materialisation order.

      schema_fields (id INTEGER PRIMARY KEY, schema TEXT, name TEXT, type TEXT,
                     UNIQUE (schema, name))
          Every field of every schema, the four system schemas included
          (inserted at creation). type is the canonical type string, e.g.
          "relation_list(venue_0020...)". fields.field refers to id.

      documents (id INTEGER PRIMARY KEY, document_id BLOB UNIQUE, schema TEXT,
                 owner BLOB, view INTEGER, edited INTEGER, deleted INTEGER)
          document_id: 34 bytes (byte order = order of its hex string).
          owner: the 32-byte public key that signed the CREATE. view: the
          current view (views.id), NULL when deleted. edited: 1 once any
          UPDATE was applied. Index documents_schema (schema, document_id)
          over the rows whose view is not NULL.

      views (id INTEGER PRIMARY KEY, document INTEGER, view_id TEXT UNIQUE)
          The current view of every live document, plus older views that a
          current view pins (pinned_relation / pinned_relation_list).
          view_id is the canonical string "<hash>_<hash>..." (sorted).

      fields (view INTEGER, field INTEGER, idx INTEGER, value, writer BLOB,
              cursor BLOB, PRIMARY KEY (view, field, idx)) WITHOUT ROWID
          One row per field of a view; list kinds one row per item with idx
          its position (0-based), an empty list one row with idx 0 and value
          NULL. value is stored typed, never as text of another type:
            bool 0/1 INTEGER, int INTEGER, float REAL, str TEXT,
            bytes BLOB, relation BLOB (34-byte document id),
            pinned_relation TEXT (view id string),
            relation_list item BLOB, pinned_relation_list item TEXT.
          writer: 34-byte id of the operation that supplied the value in
          this view. cursor: the 32-byte row cursor of node-api §6.3.6,
          BLAKE3 of the UTF-8 text "<idx><field name><writer hex>".
          Indexes fields_value (field, value), fields_cursor (cursor).

    A views object is one SQLite connection; use it from one thread. Open
    it read-only for queries (many readers run beside the writer: WAL).   */
#ifndef PANDA_VIEWS_H_INCLUDED
#define PANDA_VIEWS_H_INCLUDED

#include "panda/panda_keypair.h"
#include "panda/panda_schema.h"

#include <sqlite3.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _panda_views_t panda_views_t;

//  The views database path for an entries database path (caller frees):
//  path + "-views"; for an in-memory store (":memory:" or a "file:" URI
//  with vfs=memdb) the same URI with "-views" appended to its name.
char *panda_views_path (const char *store_path);

//  Open (creating and migrating unless readonly) the views database at path
//  (a file name or a "file:" URI). Caller owns the result; NULL with err set
//  (PANDA_ERR_IO) on failure.
panda_views_t *panda_views_open (const char *path, bool readonly, panda_error_t *err);

//  Close and free; NULLs *self_p. Accepts NULL.
void panda_views_destroy (panda_views_t **self_p);

//  The connection, for the modules that read or write the tables above.
//  Borrowed.
sqlite3 *panda_views_db (panda_views_t *self);

//  Transactions of the writer (BEGIN IMMEDIATE / COMMIT / ROLLBACK).
PANDA_NODISCARD panda_err_t panda_views_begin (panda_views_t *self, panda_error_t *err);
PANDA_NODISCARD panda_err_t panda_views_commit (panda_views_t *self, panda_error_t *err);
void panda_views_rollback (panda_views_t *self);

//  The entries position materialised so far (0 for a new database), and
//  setting it (inside the transaction that wrote the views up to there).
PANDA_NODISCARD panda_err_t panda_views_position (panda_views_t *self, int64_t *position, panda_error_t *err);
PANDA_NODISCARD panda_err_t panda_views_set_position (panda_views_t *self, int64_t position,
                                                      panda_error_t *err);

//  --------------------------------------------------------------------------
//  Schemas

//  Record an application schema (and its fields) built from the
//  schema_definition_v1 document definition. Recording a schema id again
//  changes nothing.
PANDA_NODISCARD panda_err_t panda_views_schema_put (panda_views_t *self, const panda_schema_t *schema,
                                                    const panda_hash_t *definition, panda_error_t *err);

//  The application schema with this id, or *schema_p NULL when it is not
//  materialised. Caller owns *schema_p.
PANDA_NODISCARD panda_err_t panda_views_schema_find (panda_views_t *self, const char *schema_id,
                                                     panda_schema_t **schema_p, panda_error_t *err);

//  Every application schema in materialisation order; fn takes ownership of
//  each schema. A non-OK return from fn stops the walk and is returned.
typedef panda_err_t (panda_views_schema_fn) (void *ctx, panda_schema_t *schema);
PANDA_NODISCARD panda_err_t panda_views_schemas (panda_views_t *self, panda_views_schema_fn *fn, void *ctx,
                                                 panda_error_t *err);

//  schema_fields.id of a field of a known schema (system or materialised);
//  PANDA_ERR_NOT_FOUND when there is none.
PANDA_NODISCARD panda_err_t panda_views_field_id (panda_views_t *self, const char *schema_id,
                                                  const char *name, int64_t *id, panda_error_t *err);

//  The row cursor of node-api §6.3.6: BLAKE3("<idx><name><writer hex>").
void panda_views_row_cursor (uint64_t idx, const char *name, const panda_hash_t *writer, uint8_t cursor[32]);

#ifdef __cplusplus
}
#endif
#endif
