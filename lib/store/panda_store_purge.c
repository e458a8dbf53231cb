/*  panda_store_purge.c - deleting the entries of purged documents (unused
    blobs and their pieces). See panda_store_purge in panda_store.h.

    The documents row stays, marked deleted, and so do its logs rows: a
    log without entries is still an author's log id in use (the cache
    gives it seq num 0, s_load_logs reads it so after a restart), so no
    later CREATE can reuse it and fork a log other nodes still hold. The
    caches are changed only after the COMMIT: a failed purge changes
    nothing.                                                               */
#include "panda_store_int.h"

#include <stdlib.h>
#include <string.h>

//  A log whose entries this purge deletes, for the cache update.
typedef struct {
    int64_t log, author, document;
} s_log_t;

typedef struct {
    s_log_t *logs;
    size_t count, size;
    size_t entries; //  rows deleted
} s_purge_t;

static panda_err_t
s_remember (s_purge_t *self, int64_t log, int64_t author, int64_t document, panda_error_t *err)
{
    if (!panda_grow ((void **) &self->logs, &self->size, self->count + 1, sizeof *self->logs))
        return panda_error_set (err, PANDA_ERR_NOMEM, "store: out of memory");
    self->logs[self->count++] = (s_log_t){log, author, document};
    return PANDA_OK;
}

//  The documents.id of document_id, 0 when it is not stored (or its
//  CREATE is already purged).
static panda_err_t
s_document_row (panda_store_t *self, const panda_hash_t *document_id, int64_t *row, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_OP_FIND];
    sqlite3_bind_blob (stmt, 1, document_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    *row = 0;
    //  Column 3 is the hash of the document's CREATE: an UPDATE's id is no
    //  document id.
    if (rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 3) == PANDA_HASH_SIZE &&
        memcmp (sqlite3_column_blob (stmt, 3), document_id->bytes, PANDA_HASH_SIZE) == 0)
        *row = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? PANDA_OK
                                                 : panda_store_db_error (self->db, "find document", err);
}

//  Delete the entries of every log of document row, mark it deleted.
static panda_err_t
s_purge_document (panda_store_t *self, int64_t row, s_purge_t *purge, panda_error_t *err)
{
    sqlite3_stmt *logs = self->stmt[PANDA_STORE_SQL_DOC_LOGS];
    sqlite3_bind_int64 (logs, 1, row);
    size_t first = purge->count;
    panda_err_t rc = PANDA_OK;
    int step = SQLITE_DONE;
    while (rc == PANDA_OK && (step = sqlite3_step (logs)) == SQLITE_ROW)
        rc = s_remember (purge, sqlite3_column_int64 (logs, 0), sqlite3_column_int64 (logs, 1), row, err);
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read logs of document", err);
    sqlite3_reset (logs);
    for (size_t i = first; rc == PANDA_OK && i < purge->count; i++) {
        sqlite3_stmt *del = self->stmt[PANDA_STORE_SQL_LOG_PURGE];
        sqlite3_bind_int64 (del, 1, purge->logs[i].log);
        rc = panda_store_write (self, del, "purge entries", err);
        purge->entries += (size_t) sqlite3_changes (self->db);
    }
    if (rc == PANDA_OK) {
        sqlite3_stmt *mark = self->stmt[PANDA_STORE_SQL_DOC_DELETE];
        sqlite3_bind_int64 (mark, 1, row);
        rc = panda_store_write (self, mark, "mark purged document", err);
    }
    return rc;
}

static panda_err_t
s_purge_all (panda_store_t *self, const panda_hash_t *document_ids, size_t n, s_purge_t *purge,
             panda_error_t *err)
{
    //  The newest entries may go: remember the highest id given out.
    sqlite3_stmt *last = self->stmt[PANDA_STORE_SQL_LAST_ENTRY];
    sqlite3_bind_int64 (last, 1, self->next_entry - 1);
    panda_err_t rc = panda_store_write (self, last, "record last entry", err);
    for (size_t i = 0; rc == PANDA_OK && i < n; i++) {
        int64_t row;
        rc = s_document_row (self, &document_ids[i], &row, err);
        if (rc == PANDA_OK && row)
            rc = s_purge_document (self, row, purge, err);
    }
    return rc;
}

//  After the commit: the purged logs keep their ids with no head, the
//  documents read as deleted, and no cached operation id survives.
static void
s_update_cache (panda_store_t *self, const s_purge_t *purge)
{
    panda_store_cache_t *cache = &self->cache;
    for (size_t i = 0; i < purge->count; i++) {
        uint32_t log = panda_store_cache_log_for_doc (cache, purge->logs[i].author, purge->logs[i].document);
        if (log != PANDA_STORE_NONE) {
            cache->logs[log].seq_num = 0;
            cache->logs[log].skip_seq = 0;
            memset (&cache->logs[log].hash, 0, sizeof cache->logs[log].hash);
        }
        uint32_t doc = panda_store_cache_doc (cache, purge->logs[i].document);
        if (doc != PANDA_STORE_NONE)
            cache->docs[doc].deleted = true;
    }
    panda_store_cache_drop_ops (cache);
}

panda_err_t
panda_store_purge (panda_store_t *self, const panda_hash_t *document_ids, size_t n, size_t *entries,
                   panda_error_t *err)
{
    if (entries)
        *entries = 0;
    panda_err_t rc = panda_store_write (self, self->stmt[PANDA_STORE_SQL_BEGIN], "begin", err);
    if (rc != PANDA_OK)
        return rc;
    s_purge_t purge = {0};
    rc = s_purge_all (self, document_ids, n, &purge, err);
    if (rc == PANDA_OK)
        rc = panda_store_write (self, self->stmt[PANDA_STORE_SQL_COMMIT], "commit", err);
    if (rc != PANDA_OK && !sqlite3_get_autocommit (self->db))
        (void) panda_store_write (self, self->stmt[PANDA_STORE_SQL_ROLLBACK], "rollback", NULL);
    else if (rc == PANDA_OK) {
        s_update_cache (self, &purge);
        if (entries)
            *entries = purge.entries;
    }
    free (purge.logs);
    return rc;
}
