/*  panda_store_read.c - the reading side of the store: documents, their
    operations and views as the materialiser needs them, from the cache or
    SQLite. See panda_store.h.                                              */
#include "panda_store_int.h"
#include "panda_sqlite.h"

#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Reading

//  Cache index of the document with this id; NOT_FOUND if none.
static panda_err_t
s_find_doc (panda_store_t *self, const panda_hash_t *document_id, uint32_t *doc, panda_error_t *err)
{
    panda_err_t rc = panda_store_op_doc (self, document_id, doc, err);
    if (rc != PANDA_OK)
        return rc;
    if (*doc == PANDA_STORE_NONE || !panda_hash_eq (&self->cache.docs[*doc].id, document_id))
        return panda_store_not_found ("Document", document_id, err);
    return PANDA_OK;
}

panda_err_t
panda_store_document_operations (panda_store_t *self, const panda_hash_t *document_id,
                                 panda_store_operation_fn *fn, void *ctx, panda_error_t *err)
{
    uint32_t doc;
    panda_err_t rc = s_find_doc (self, document_id, &doc, err);
    if (rc != PANDA_OK)
        return rc;
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_DOC_OPS];
    sqlite3_bind_int64 (stmt, 1, self->cache.docs[doc].rowid);
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        panda_hash_t id;
        if (sqlite3_column_bytes (stmt, 1) != PANDA_HASH_SIZE) {
            rc = panda_error_set (err, PANDA_ERR_IO, "store: bad operation id");
            break;
        }
        memcpy (id.bytes, sqlite3_column_blob (stmt, 1), PANDA_HASH_SIZE);
        const uint8_t *bytes = sqlite3_column_blob (stmt, 2);
        rc = fn (ctx, &id, sqlite3_column_int64 (stmt, 0), bytes, (size_t) sqlite3_column_bytes (stmt, 2));
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read operations", err);
    sqlite3_reset (stmt);
    return rc;
}

panda_err_t
panda_store_operation_document (panda_store_t *self, const panda_hash_t *operation_id,
                                panda_hash_t *document_id, panda_error_t *err)
{
    uint32_t doc;
    panda_err_t rc = panda_store_op_doc (self, operation_id, &doc, err);
    if (rc != PANDA_OK)
        return rc;
    if (doc == PANDA_STORE_NONE)
        return panda_store_not_found ("Previous operation", operation_id, err);
    *document_id = self->cache.docs[doc].id;
    return PANDA_OK;
}

panda_err_t
panda_store_document_deleted (panda_store_t *self, const panda_hash_t *document_id, bool *deleted,
                              panda_error_t *err)
{
    uint32_t doc;
    panda_err_t rc = s_find_doc (self, document_id, &doc, err);
    if (rc == PANDA_OK)
        *deleted = self->cache.docs[doc].deleted;
    return rc;
}

panda_err_t
panda_store_documents_changed (panda_store_t *self, int64_t since, panda_store_document_fn *fn, void *ctx,
                               panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_CHANGED];
    sqlite3_bind_int64 (stmt, 1, since);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        panda_hash_t id;
        if (sqlite3_column_bytes (stmt, 2) != PANDA_HASH_SIZE) {
            rc = panda_error_set (err, PANDA_ERR_IO, "store: bad document id");
            break;
        }
        memcpy (id.bytes, sqlite3_column_blob (stmt, 2), PANDA_HASH_SIZE);
        rc = fn (ctx, &id, sqlite3_column_int64 (stmt, 1));
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read changed documents", err);
    sqlite3_reset (stmt);
    return rc;
}

//  Copy a 34-byte hash column; false if the column has another size.
static bool
s_column_hash (sqlite3_stmt *stmt, int col, panda_hash_t *hash)
{
    if (sqlite3_column_bytes (stmt, col) != PANDA_HASH_SIZE)
        return false;
    memcpy (hash->bytes, sqlite3_column_blob (stmt, col), PANDA_HASH_SIZE);
    return true;
}

panda_err_t
panda_store_entries_since (panda_store_t *self, int64_t since, size_t max, panda_store_entry_fn *fn,
                           void *ctx, size_t *count, panda_error_t *err)
{
    if (count)
        *count = 0;
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_SINCE];
    sqlite3_bind_int64 (stmt, 1, since);
    sqlite3_bind_int64 (stmt, 2, max > INT64_MAX ? INT64_MAX : (int64_t) max);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        panda_hash_t op_id, doc_id;
        panda_public_key_t key;
        if (!s_column_hash (stmt, 1, &op_id) || !s_column_hash (stmt, 2, &doc_id) ||
            sqlite3_column_bytes (stmt, 3) != PANDA_PUBLIC_KEY_SIZE) {
            rc = panda_error_set (err, PANDA_ERR_IO, "store: bad entry row %lld",
                                  (long long) sqlite3_column_int64 (stmt, 0));
            break;
        }
        memcpy (key.bytes, sqlite3_column_blob (stmt, 3), PANDA_PUBLIC_KEY_SIZE);
        panda_store_stored_t stored = {.position = sqlite3_column_int64 (stmt, 0),
                                       .operation_id = &op_id,
                                       .document_id = &doc_id,
                                       .public_key = &key,
                                       .operation = sqlite3_column_blob (stmt, 4),
                                       .len = (size_t) sqlite3_column_bytes (stmt, 4)};
        rc = fn (ctx, &stored);
        if (rc == PANDA_OK && count)
            (*count)++;
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read entries", err);
    sqlite3_reset (stmt);
    return rc;
}

panda_err_t
panda_store_counts (panda_store_t *self, panda_store_counts_t *counts, panda_error_t *err)
{
    static const char *const sql = "SELECT (SELECT count (*) FROM authors), (SELECT count (*) FROM logs),"
                                   " (SELECT count (*) FROM documents), (SELECT count (*) FROM entries)";
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_finalize (stmt);
        return panda_store_db_error (self->db, "count rows", err);
    }
    counts->authors = sqlite3_column_int64 (stmt, 0);
    counts->logs = sqlite3_column_int64 (stmt, 1);
    counts->documents = sqlite3_column_int64 (stmt, 2);
    counts->entries = sqlite3_column_int64 (stmt, 3);
    sqlite3_finalize (stmt);
    return PANDA_OK;
}

panda_err_t
panda_store_count_since (panda_store_t *self, int64_t since, int64_t *count, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT count (*) FROM entries WHERE id > ?1", -1, &stmt, NULL) !=
        SQLITE_OK) {
        sqlite3_finalize (stmt);
        return panda_store_db_error (self->db, "count entries", err);
    }
    sqlite3_bind_int64 (stmt, 1, since);
    int step = sqlite3_step (stmt);
    *count = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_finalize (stmt);
    return step == SQLITE_ROW ? PANDA_OK : panda_store_db_error (self->db, "count entries", err);
}
