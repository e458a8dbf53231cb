/*  panda_views_sync.c - what replication asks the views database: which
    blobs and pieces travel with a schema's documents (node-api §9.5,
    aquadoggo's rule: blobs are never replicated on their own). See
    panda_views.h.                                                          */
#include "panda_views.h"

#include <string.h>

#include "panda/panda_hash.h"

//  Relation values of the schema's fields that point at blob_v1: a
//  document id (relation: its 34 bytes) or a document view id (pinned
//  relation: its text).
static const char s_related[] =
    "SELECT DISTINCT f.value FROM documents d JOIN views v ON v.document = d.id"
    " JOIN fields f ON f.view = v.id WHERE d.schema = ?1 AND typeof (f.value) IN ('text', 'blob')"
    "  AND f.field IN (SELECT id FROM schema_fields WHERE schema = ?1 AND type LIKE '%(blob_v1)')";

static const char s_view_document[] =
    "SELECT d.document_id FROM views v JOIN documents d ON d.id = v.document WHERE v.view_id = ?1";

//  Piece documents that any view of blob document ?1 lists.
static const char s_pieces[] =
    "SELECT DISTINCT pd.document_id FROM documents bd JOIN views bv ON bv.document = bd.id"
    " JOIN fields f ON f.view = bv.id AND f.field = (SELECT id FROM schema_fields"
    "  WHERE schema = 'blob_v1' AND name = 'pieces')"
    " JOIN views pv ON pv.view_id = f.value JOIN documents pd ON pd.id = pv.document"
    " WHERE bd.document_id = ?1 AND pd.schema = 'blob_piece_v1'";

static panda_err_t
s_error (sqlite3 *db, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "views: %s: %s", what, sqlite3_errmsg (db));
}

//  Hand each 34-byte id column 0 of stmt to fn.
static panda_err_t
s_ids (sqlite3 *db, sqlite3_stmt *stmt, panda_views_id_fn *fn, void *ctx, panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW)
        if (sqlite3_column_bytes (stmt, 0) == PANDA_HASH_SIZE) {
            panda_hash_t id;
            memcpy (id.bytes, sqlite3_column_blob (stmt, 0), PANDA_HASH_SIZE);
            rc = fn (ctx, &id);
        }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_error (db, "read document ids", err);
    return rc;
}

panda_err_t
panda_views_related_blobs (panda_views_t *self, const char *schema_id, panda_views_id_fn *fn, void *ctx,
                           panda_error_t *err)
{
    sqlite3 *db = panda_views_db (self);
    sqlite3_stmt *related = NULL, *view = NULL;
    if (sqlite3_prepare_v2 (db, s_related, -1, &related, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db, s_view_document, -1, &view, NULL) != SQLITE_OK) {
        sqlite3_finalize (related);
        return s_error (db, "prepare", err);
    }
    sqlite3_bind_text (related, 1, schema_id, -1, SQLITE_STATIC);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (related)) == SQLITE_ROW) {
        panda_hash_t id;
        if (sqlite3_column_type (related, 0) == SQLITE_BLOB) {
            if (sqlite3_column_bytes (related, 0) == PANDA_HASH_SIZE) {
                memcpy (id.bytes, sqlite3_column_blob (related, 0), PANDA_HASH_SIZE);
                rc = fn (ctx, &id);
            }
            continue;
        }
        const char *value = (const char *) sqlite3_column_text (related, 0);
        size_t len = (size_t) sqlite3_column_bytes (related, 0);
        if (panda_hash_from_hex (&id, value, len, NULL) == PANDA_OK)
            rc = fn (ctx, &id);
        else { //  a pinned relation: the document of that view
            sqlite3_bind_text (view, 1, value, (int) len, SQLITE_STATIC);
            rc = s_ids (db, view, fn, ctx, err);
            sqlite3_reset (view);
        }
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_error (db, "read related blobs", err);
    sqlite3_finalize (related);
    sqlite3_finalize (view);
    return rc;
}

panda_err_t
panda_views_blob_pieces (panda_views_t *self, const panda_hash_t *blob, panda_views_id_fn *fn, void *ctx,
                         panda_error_t *err)
{
    sqlite3 *db = panda_views_db (self);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, s_pieces, -1, &stmt, NULL) != SQLITE_OK)
        return s_error (db, "prepare", err);
    sqlite3_bind_blob (stmt, 1, blob->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    panda_err_t rc = s_ids (db, stmt, fn, ctx, err);
    sqlite3_finalize (stmt);
    return rc;
}
