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
          'position': the entries position materialised up to (resume point);
          'blob_purge_cursor': where the unused-blob purge continues (a
          document id BLOB, see blob_refs below).

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

      blob_refs (document_id BLOB PRIMARY KEY)
          Blob documents some view related to at least once (written with
          the view's fields of a relation type to blob_v1, and by the purge
          walk); panda_blob_purge: only those may later be purged as unused.
      blob_purged (document_id BLOB PRIMARY KEY)
          Purged documents whose entries are still to be deleted.

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

//  --------------------------------------------------------------------------
//  Replication (panda_views_sync.c)

//  Called once per document id.
typedef panda_err_t (panda_views_id_fn) (void *ctx, const panda_hash_t *document_id);

//  The blob documents (blob_v1) that views of documents of schema_id relate
//  to, by relation or pinned relation fields; an id may come more than once.
PANDA_NODISCARD panda_err_t panda_views_related_blobs (panda_views_t *self, const char *schema_id,
                                                       panda_views_id_fn *fn, void *ctx, panda_error_t *err);

//  The piece documents (blob_piece_v1) any view of the blob lists, once each.
PANDA_NODISCARD panda_err_t panda_views_blob_pieces (panda_views_t *self, const panda_hash_t *blob,
                                                     panda_views_id_fn *fn, void *ctx, panda_error_t *err);

//  schema_fields.id of a field of a known schema (system or materialised);
//  PANDA_ERR_NOT_FOUND when there is none.
PANDA_NODISCARD panda_err_t panda_views_field_id (panda_views_t *self, const char *schema_id,
                                                  const char *name, int64_t *id, panda_error_t *err);

//  The row cursor of node-api §6.3.6: BLAKE3("<idx><name><writer hex>").
void panda_views_row_cursor (uint64_t idx, const char *name, const panda_hash_t *writer, uint8_t cursor[32]);

//  --------------------------------------------------------------------------
//  Writing views (the materialiser)
//
//  The writer keeps prepared statements and a cache of schema fields over
//  the views connection; call it inside a transaction (panda_views_begin).
//  Version 2 of the layout adds the writer's own state: documents columns
//  incremental (the next UPDATE on the current view may be applied alone)
//  and failed (the last reduction failed), table pins (view, field, target)
//  with every pinned view id held by a stored view, and table wanted
//  (operation, target) of pinned views waiting for operations. Readers
//  need none of them.
//
//  Views no longer needed are not deleted at once: the writer collects
//  candidates (views replaced, views a replaced view pinned) and
//  panda_views_prune deletes those that are neither current nor pinned by
//  a current view, like aquadoggo's garbage collection.

typedef struct _panda_views_writer_t panda_views_writer_t;

//  One field of a view to write. All borrowed for the call.
typedef struct {
    const char *name;
    const panda_value_t *value; //  of the plain kind its field type needs
    const panda_hash_t *writer; //  id of the operation that supplied it
} panda_views_field_t;

//  A document's row as the writer sees it.
typedef struct {
    int64_t rowid; //  documents.id; 0: no such document
    int64_t view; //  views.id of the current view; 0 when deleted
    char *view_id; //  current view id string, NULL when deleted (owned)
    char *schema_id; //  (owned)
    bool edited, deleted, incremental, failed;
} panda_views_document_t;

//  A writer over views (borrowed; must outlive it). Caller owns the
//  result; NULL with err set on failure.
panda_views_writer_t *panda_views_writer_new (panda_views_t *views, panda_error_t *err);

//  Free; NULLs *self_p. Accepts NULL.
void panda_views_writer_destroy (panda_views_writer_t **self_p);

//  Forget collected prune candidates and new pins (after a ROLLBACK).
void panda_views_writer_reset (panda_views_writer_t *self);

//  The row of document_id (doc->rowid 0 if none). Free doc's strings with
//  panda_views_document_clear.
PANDA_NODISCARD panda_err_t panda_views_document_get (panda_views_writer_t *self,
                                                      const panda_hash_t *document_id,
                                                      panda_views_document_t *doc, panda_error_t *err);
void panda_views_document_clear (panda_views_document_t *doc);

//  Make view_id with these count fields the current view of document_id,
//  creating the documents row (owner, schema_id) if there is none. Every
//  field row is written. The previous current view is reused for the new
//  one unless a current view pins it (then it stays, as a pinned view).
//  Sets edited, incremental and failed = 0, deleted = 0. Fields must all
//  be fields of schema_id with values of their kind: PANDA_ERR_NOT_FOUND
//  (unknown schema or field) or PANDA_ERR_SCHEMA otherwise, and then
//  nothing was written. *rowid_p (if not NULL) gets documents.id.
PANDA_NODISCARD panda_err_t panda_views_put_current (panda_views_writer_t *self,
                                                     const panda_hash_t *document_id, const char *schema_id,
                                                     const panda_public_key_t *owner, const char *view_id,
                                                     const panda_views_field_t *fields, size_t count,
                                                     bool edited, bool incremental, int64_t *rowid_p,
                                                     panda_error_t *err);

//  Advance the current view of doc (from panda_views_document_get, not
//  deleted) to view_id, rewriting only the rows of the count changed
//  fields; edited becomes 1. Errors as panda_views_put_current.
PANDA_NODISCARD panda_err_t panda_views_advance (panda_views_writer_t *self,
                                                 const panda_views_document_t *doc, const char *view_id,
                                                 const panda_views_field_t *changed, size_t count,
                                                 panda_error_t *err);

//  Store view_id (not the current view) of document rowid with all its
//  fields; nothing if that view is stored already. Errors as above.
PANDA_NODISCARD panda_err_t panda_views_put_pinned (panda_views_writer_t *self, int64_t document,
                                                    const char *schema_id, const char *view_id,
                                                    const panda_views_field_t *fields, size_t count,
                                                    panda_error_t *err);

//  Mark document rowid deleted: its views, field rows and pins go, view
//  NULL, deleted 1.
PANDA_NODISCARD panda_err_t panda_views_delete_document (panda_views_writer_t *self, int64_t document,
                                                         panda_error_t *err);

//  Record whether the last reduction of document rowid failed.
PANDA_NODISCARD panda_err_t panda_views_set_failed (panda_views_writer_t *self, int64_t document, bool failed,
                                                    panda_error_t *err);

//  Whether a view with this id is stored; *document_p (if not NULL) gets
//  its documents.id, *row_p (if not NULL) its views.id (0 when absent).
PANDA_NODISCARD panda_err_t panda_views_view_find (panda_views_writer_t *self, const char *view_id,
                                                   int64_t *document_p, int64_t *row_p, panda_error_t *err);

//  Pinned view ids written into current views since the last
//  panda_views_forget_pins, in order (duplicates possible). *count_p ids;
//  borrowed until the next write or forget.
const char *const *panda_views_new_pins (panda_views_writer_t *self, size_t *count_p);
void panda_views_forget_pins (panda_views_writer_t *self);

//  Delete the collected candidates that are neither a current view nor
//  pinned by one. *pruned (if not NULL) gets how many views went.
PANDA_NODISCARD panda_err_t panda_views_prune (panda_views_writer_t *self, size_t *pruned,
                                               panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
