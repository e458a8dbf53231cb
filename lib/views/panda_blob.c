/*  panda_blob.c - blob files: the sync entry point and the lookup that
    serves them. The purge is in panda_blob_purge.c, the files in
    panda_blob_files.c.                                                      */
#include "panda_blob_int.h"

#include "panda/panda_schema.h"

#include <stdlib.h>
#include <string.h>

panda_err_t
panda_blobs_db_error (sqlite3 *db, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "blobs: %s: %s", what, sqlite3_errmsg (db));
}

panda_err_t
panda_blobs_sync (panda_views_t *views, const char *base_path, size_t max, panda_blobs_purged_fn *purged,
                  void *ctx, panda_blobs_report_t *report, panda_error_t *err)
{
    panda_blobs_report_t local;
    if (!report)
        report = &local;
    memset (report, 0, sizeof *report);
    if (max == 0)
        max = 1;
    panda_err_t rc = panda_blobs_purge (views, max, purged, ctx, report, err);
    if (rc == PANDA_OK)
        rc = panda_blobs_collect (views, base_path, report, err);
    if (rc == PANDA_OK)
        rc = panda_blobs_write (views, base_path, max, report, err);
    return rc;
}

static const char s_find_latest[] =
    "SELECT d.schema, d.deleted, v.id, v.view_id FROM documents d JOIN views v ON v.id = d.view"
    " WHERE d.document_id = ?1";
static const char s_find_view[] =
    "SELECT d.schema, d.deleted OR d.view IS NULL, v.id, v.view_id FROM views v"
    " JOIN documents d ON d.id = v.document WHERE v.view_id = ?2 AND d.document_id = ?1";
static const char s_find_mime[] =
    "SELECT value FROM fields WHERE view = ?1 AND idx = 0 AND typeof (value) = 'text'"
    " AND field = (SELECT id FROM schema_fields"
    "              WHERE schema = 'blob_v1' AND name = 'mime_type')";

static char *
s_column_strdup (sqlite3_stmt *stmt, int column)
{
    const unsigned char *text = sqlite3_column_text (stmt, column);
    return text ? strdup ((const char *) text) : NULL;
}

//  The mime_type of view row id into info (stays NULL without one).
static panda_err_t
s_find_mime_type (sqlite3 *db, sqlite3_int64 view, panda_blob_info_t *info, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, s_find_mime, -1, &stmt, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare mime type", err);
    sqlite3_bind_int64 (stmt, 1, view);
    int step = sqlite3_step (stmt);
    panda_err_t rc = PANDA_OK;
    if (step == SQLITE_ROW && !(info->mime_type = s_column_strdup (stmt, 0)))
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "blobs: out of memory");
    else if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = panda_blobs_db_error (db, "read mime type", err);
    sqlite3_finalize (stmt);
    return rc;
}

panda_err_t
panda_blobs_find (panda_views_t *views, const panda_hash_t *document_id, const char *view_id,
                  panda_blob_info_t *info, panda_error_t *err)
{
    memset (info, 0, sizeof *info);
    sqlite3 *db = panda_views_db (views);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, view_id ? s_find_view : s_find_latest, -1, &stmt, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare find", err);
    sqlite3_bind_blob (stmt, 1, document_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    if (view_id)
        sqlite3_bind_text (stmt, 2, view_id, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    panda_err_t rc = PANDA_OK;
    sqlite3_int64 view = 0;
    if (step == SQLITE_ROW) {
        const char *schema = (const char *) sqlite3_column_text (stmt, 0);
        bool blob = schema && strcmp (schema, PANDA_SCHEMA_ID_BLOB) == 0;
        if (!blob || sqlite3_column_int (stmt, 1))
            step = SQLITE_DONE;
        else if (!(info->view_id = s_column_strdup (stmt, 3)))
            rc = panda_error_set (err, PANDA_ERR_NOMEM, "blobs: out of memory");
        view = sqlite3_column_int64 (stmt, 2);
    }
    if (rc == PANDA_OK && step == SQLITE_DONE)
        rc = panda_error_set (err, PANDA_ERR_NOT_FOUND, "Could not find document");
    else if (rc == PANDA_OK && step != SQLITE_ROW)
        rc = panda_blobs_db_error (db, "find", err);
    sqlite3_finalize (stmt);
    if (rc == PANDA_OK)
        rc = s_find_mime_type (db, view, info, err);
    if (rc != PANDA_OK)
        panda_blob_info_release (info);
    return rc;
}

void
panda_blob_info_release (panda_blob_info_t *info)
{
    free (info->view_id);
    free (info->mime_type);
    memset (info, 0, sizeof *info);
}
