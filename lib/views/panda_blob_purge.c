/*  panda_blob_purge.c - unused blobs purged from the views database (step
    1 of panda_blobs_sync), as aquadoggo's garbage collection does.

    Live blob documents are visited round-robin in document id order (the
    documents_schema index), max per call, from a cursor kept in meta. A
    visited blob that some view relates to is remembered in blob_refs; one
    that none relates to is purged if it was edited or remembered, else it
    is left for the document that will relate to it.                      */
#include "panda_grow.h"
#include "panda_blob_int.h"

#include <stdlib.h>
#include <string.h>

#define S_CURSOR_KEY "blob_purge_cursor" //  created with blob_refs by views migration 4

static const char s_next[] =
    "SELECT id, document_id, edited, document_id IN (SELECT document_id FROM blob_refs) FROM documents"
    " WHERE schema = 'blob_v1' AND view IS NOT NULL"
    "  AND document_id > (SELECT value FROM meta WHERE key = '" S_CURSOR_KEY "')"
    " ORDER BY document_id LIMIT ?1";

//  Is blob document ?1 (document id ?2) related to from any view?
static const char s_related[] =
    "SELECT 1 FROM fields WHERE field IN (SELECT id FROM schema_fields WHERE type LIKE '%relation%')"
    " AND value IN (SELECT ?2 UNION ALL SELECT view_id FROM views WHERE document = ?1) LIMIT 1";

//  Piece documents the views of blob document ?1 list.
static const char s_pieces[] =
    "SELECT DISTINCT pd.document_id FROM views bv"
    " JOIN fields f ON f.view = bv.id AND f.field = (SELECT id FROM schema_fields"
    "  WHERE schema = 'blob_v1' AND name = 'pieces')"
    " JOIN views pv ON pv.view_id = f.value JOIN documents pd ON pd.id = pv.document"
    " WHERE bv.document = ?1 AND pd.schema = 'blob_piece_v1'";

//  Does any blob_v1 view still list a view of piece document ?1?
static const char s_piece_listed[] =
    "SELECT 1 FROM fields WHERE field = (SELECT id FROM schema_fields WHERE schema = 'blob_v1'"
    " AND name = 'pieces') AND value IN (SELECT view_id FROM views WHERE document = ?1) LIMIT 1";

//  The last one queues the document for storage, which deletes its
//  entries (panda_blobs_purged).
static const char *const s_delete[] = {
    "DELETE FROM fields WHERE view IN (SELECT id FROM views WHERE document = ?1)",
    "DELETE FROM views WHERE document = ?1", "DELETE FROM documents WHERE id = ?1",
    "DELETE FROM blob_refs WHERE document_id = ?2", "INSERT OR IGNORE INTO blob_purged VALUES (?2)"};

//  The ids purged in this call, told to the caller after the commit.
typedef struct {
    panda_hash_t *ids;
    bool *pieces;
    size_t count, size;
} s_purged_t;

static panda_err_t
s_purged_add (s_purged_t *self, const void *id, bool piece, panda_error_t *err)
{
    //  Both arrays share size: it grows once both have room.
    size_t size = self->size;
    if (!panda_grow ((void **) &self->ids, &size, self->count + 1, sizeof *self->ids) ||
        !panda_grow ((void **) &self->pieces, &self->size, self->count + 1, sizeof *self->pieces))
        return panda_error_set (err, PANDA_ERR_NOMEM, "blobs: out of memory");
    memcpy (self->ids[self->count].bytes, id, PANDA_HASH_SIZE);
    self->pieces[self->count++] = piece;
    return PANDA_OK;
}

//  Run sql with ?1 = id (and ?2 = blob when given); row gets whether it
//  returned a row.
static panda_err_t
s_run (sqlite3 *db, const char *sql, sqlite3_int64 id, const void *blob, bool *row, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare purge", err);
    if (blob && sqlite3_bind_parameter_count (stmt) == 2)
        sqlite3_bind_blob (stmt, 2, blob, PANDA_HASH_SIZE, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count (stmt) >= 1)
        sqlite3_bind_int64 (stmt, 1, id);
    int step = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (row)
        *row = step == SQLITE_ROW;
    return step == SQLITE_ROW || step == SQLITE_DONE ? PANDA_OK : panda_blobs_db_error (db, "purge", err);
}

//  Remove document id (rows of its views, views, itself) from the views.
static panda_err_t
s_delete_document (sqlite3 *db, sqlite3_int64 id, const void *document_id, s_purged_t *purged, bool piece,
                   panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; rc == PANDA_OK && i < sizeof s_delete / sizeof s_delete[0]; i++)
        rc = s_run (db, s_delete[i], id, document_id, NULL, err);
    return rc == PANDA_OK ? s_purged_add (purged, document_id, piece, err) : rc;
}

//  Purge blob document id and each of its pieces no other blob lists.
static panda_err_t
s_purge_blob (sqlite3 *db, sqlite3_int64 id, const void *document_id, s_purged_t *purged, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, s_pieces, -1, &stmt, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare pieces", err);
    sqlite3_bind_int64 (stmt, 1, id);
    s_purged_t pieces = {0};
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        rc = s_purged_add (&pieces, sqlite3_column_blob (stmt, 0), true, err);
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_blobs_db_error (db, "read pieces", err);
    sqlite3_finalize (stmt);
    if (rc == PANDA_OK)
        rc = s_delete_document (db, id, document_id, purged, false, err);
    for (size_t i = 0; rc == PANDA_OK && i < pieces.count; i++) {
        //  Its row id, by document id (the blob's rows are gone now).
        sqlite3_stmt *find = NULL;
        sqlite3_int64 piece_row = 0;
        if (sqlite3_prepare_v2 (db, "SELECT id FROM documents WHERE document_id = ?1", -1, &find, NULL) !=
            SQLITE_OK)
            rc = panda_blobs_db_error (db, "prepare piece", err);
        else {
            sqlite3_bind_blob (find, 1, pieces.ids[i].bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
            if (sqlite3_step (find) == SQLITE_ROW)
                piece_row = sqlite3_column_int64 (find, 0);
            sqlite3_finalize (find);
        }
        bool listed = true;
        if (rc == PANDA_OK && piece_row)
            rc = s_run (db, s_piece_listed, piece_row, NULL, &listed, err);
        if (rc == PANDA_OK && piece_row && !listed)
            rc = s_delete_document (db, piece_row, pieces.ids[i].bytes, purged, true, err);
    }
    free (pieces.ids);
    free (pieces.pieces);
    return rc;
}

//  Visit up to max blobs from the cursor; the cursor wraps at the end.
static panda_err_t
s_visit (sqlite3 *db, size_t max, s_purged_t *purged, panda_error_t *err)
{
    sqlite3_stmt *next = NULL;
    if (sqlite3_prepare_v2 (db, s_next, -1, &next, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare purge walk", err);
    sqlite3_bind_int64 (next, 1, (sqlite3_int64) max);
    //  Collect the batch first: the walk's statement must not see deletes.
    typedef struct {
        sqlite3_int64 id;
        panda_hash_t document_id;
        bool candidate;
    } s_blob_t;
    s_blob_t *batch = calloc (max, sizeof *batch);
    size_t count = 0;
    panda_err_t rc = batch ? PANDA_OK : panda_error_set (err, PANDA_ERR_NOMEM, "blobs: out of memory");
    int step = SQLITE_DONE;
    while (rc == PANDA_OK && count < max && (step = sqlite3_step (next)) == SQLITE_ROW) {
        batch[count].id = sqlite3_column_int64 (next, 0);
        memcpy (batch[count].document_id.bytes, sqlite3_column_blob (next, 1), PANDA_HASH_SIZE);
        batch[count++].candidate = sqlite3_column_int (next, 2) || sqlite3_column_int (next, 3);
    }
    if (rc == PANDA_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = panda_blobs_db_error (db, "purge walk", err);
    sqlite3_finalize (next);
    for (size_t i = 0; rc == PANDA_OK && i < count; i++) {
        bool related = false;
        const uint8_t *doc = batch[i].document_id.bytes;
        rc = s_run (db, s_related, batch[i].id, doc, &related, err);
        if (rc == PANDA_OK && related)
            rc = s_run (db, "INSERT OR IGNORE INTO blob_refs VALUES (?2)", 0, doc, NULL, err);
        else if (rc == PANDA_OK && batch[i].candidate)
            rc = s_purge_blob (db, batch[i].id, doc, purged, err);
    }
    //  A short batch reached the end: start again from the first blob.
    const char *move = count < max ? "UPDATE meta SET value = x'' WHERE key = '" S_CURSOR_KEY "'"
                                   : "UPDATE meta SET value = ?2 WHERE key = '" S_CURSOR_KEY "'";
    if (rc == PANDA_OK)
        rc = s_run (db, move, 0, count ? batch[count - 1].document_id.bytes : NULL, NULL, err);
    free (batch);
    return rc;
}

panda_err_t
panda_blobs_purge (panda_views_t *views, size_t max, panda_blobs_purged_fn *purged, void *ctx,
                   panda_blobs_report_t *report, panda_error_t *err)
{
    sqlite3 *db = panda_views_db (views);
    panda_err_t rc = panda_views_begin (views, err);
    if (rc != PANDA_OK)
        return rc;
    s_purged_t list = {0};
    rc = s_visit (db, max, &list, err);
    if (rc == PANDA_OK)
        rc = panda_views_commit (views, err);
    if (rc != PANDA_OK)
        panda_views_rollback (views);
    for (size_t i = 0; rc == PANDA_OK && i < list.count; i++) {
        report->purged++;
        if (purged)
            purged (ctx, &list.ids[i], list.pieces[i]);
    }
    free (list.ids);
    free (list.pieces);
    return rc;
}

panda_err_t
panda_blobs_purged (panda_views_t *views, panda_hash_t *ids, size_t max, size_t *count, panda_error_t *err)
{
    sqlite3 *db = panda_views_db (views);
    sqlite3_stmt *stmt = NULL;
    *count = 0;
    if (sqlite3_prepare_v2 (db, "SELECT document_id FROM blob_purged LIMIT ?1", -1, &stmt, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare purged", err);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) max);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW)
        if (sqlite3_column_bytes (stmt, 0) == PANDA_HASH_SIZE)
            memcpy (ids[(*count)++].bytes, sqlite3_column_blob (stmt, 0), PANDA_HASH_SIZE);
    sqlite3_finalize (stmt);
    return step == SQLITE_ROW || step == SQLITE_DONE ? PANDA_OK
                                                     : panda_blobs_db_error (db, "read purged", err);
}

panda_err_t
panda_blobs_purged_done (panda_views_t *views, const panda_hash_t *ids, size_t n, panda_error_t *err)
{
    sqlite3 *db = panda_views_db (views);
    panda_err_t rc = panda_views_begin (views, err);
    if (rc != PANDA_OK)
        return rc;
    for (size_t i = 0; rc == PANDA_OK && i < n; i++)
        rc = s_run (db, "DELETE FROM blob_purged WHERE document_id = ?2", 0, ids[i].bytes, NULL, err);
    if (rc == PANDA_OK)
        rc = panda_views_commit (views, err);
    if (rc != PANDA_OK)
        panda_views_rollback (views);
    return rc;
}
