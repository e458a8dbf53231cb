/*  panda_store_sync.c - what replication reads from the entries database:
    the heights of the logs of a target set (node-api §9.5), the entries a
    peer is missing, and single entries for live push. See panda_store.h.

    Replication reads through its own connection (the replicate actor's),
    beside the single writer; WAL gives it a consistent snapshot per
    statement.                                                              */
#include "panda_store_int.h"
#include "panda_sqlite.h"

#include <string.h>

//  Hand every (public key, log id, latest seq) row of stmt to fn.
static panda_err_t
s_logs (panda_store_t *self, sqlite3_stmt *stmt, panda_store_log_fn *fn, void *ctx, panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (sqlite3_column_type (stmt, 2) == SQLITE_NULL)
            continue; //  a purged log: nothing to offer
        if (sqlite3_column_bytes (stmt, 0) != PANDA_PUBLIC_KEY_SIZE) {
            rc = panda_error_set (err, PANDA_ERR_IO, "store: bad author row");
            break;
        }
        panda_public_key_t key;
        memcpy (key.bytes, sqlite3_column_blob (stmt, 0), PANDA_PUBLIC_KEY_SIZE);
        rc = fn (ctx, &key, (uint64_t) sqlite3_column_int64 (stmt, 1),
                 (uint64_t) sqlite3_column_int64 (stmt, 2));
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read log heights", err);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc;
}

panda_err_t
panda_store_schema_logs (panda_store_t *self, const char *schema_id, panda_store_log_fn *fn, void *ctx,
                         panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_SCHEMA_LOGS];
    sqlite3_bind_text (stmt, 1, schema_id, -1, SQLITE_STATIC);
    return s_logs (self, stmt, fn, ctx, err);
}

panda_err_t
panda_store_document_logs (panda_store_t *self, const panda_hash_t *document_id, panda_store_log_fn *fn,
                           void *ctx, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_DOC_HEIGHTS];
    sqlite3_bind_blob (stmt, 1, document_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    return s_logs (self, stmt, fn, ctx, err);
}

panda_err_t
panda_store_log_positions (panda_store_t *self, const panda_public_key_t *public_key, uint64_t log_id,
                           uint64_t after_seq, panda_store_position_fn *fn, void *ctx, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_LOG_ENTRIES];
    sqlite3_bind_blob (stmt, 1, public_key->bytes, PANDA_PUBLIC_KEY_SIZE, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, (int64_t) log_id);
    panda_err_t rc = PANDA_OK;
    int step;
    //  u64 seq nums are stored as their int64 bit pattern: compared in C.
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW)
        if ((uint64_t) sqlite3_column_int64 (stmt, 1) > after_seq)
            rc = fn (ctx, sqlite3_column_int64 (stmt, 0));
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read log entries", err);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc;
}

panda_err_t
panda_store_entry_at (panda_store_t *self, int64_t position, panda_store_raw_fn *fn, void *ctx, bool *found,
                      panda_error_t *err)
{
    *found = false;
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_ENTRY_AT];
    sqlite3_bind_int64 (stmt, 1, position);
    panda_err_t rc = PANDA_OK;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        panda_hash_t hash, document;
        if (sqlite3_column_bytes (stmt, 0) != PANDA_HASH_SIZE ||
            sqlite3_column_bytes (stmt, 4) != PANDA_HASH_SIZE)
            rc = panda_error_set (err, PANDA_ERR_IO, "store: bad entry row %lld", (long long) position);
        else {
            memcpy (hash.bytes, sqlite3_column_blob (stmt, 0), PANDA_HASH_SIZE);
            memcpy (document.bytes, sqlite3_column_blob (stmt, 4), PANDA_HASH_SIZE);
            panda_store_raw_t raw = {.position = position,
                                     .hash = &hash,
                                     .document_id = &document,
                                     .schema_id = (const char *) sqlite3_column_text (stmt, 3),
                                     .entry = sqlite3_column_blob (stmt, 1),
                                     .entry_len = (size_t) sqlite3_column_bytes (stmt, 1),
                                     .operation = sqlite3_column_blob (stmt, 2),
                                     .operation_len = (size_t) sqlite3_column_bytes (stmt, 2)};
            *found = true;
            rc = fn (ctx, &raw);
        }
    } else if (step != SQLITE_DONE)
        rc = panda_store_db_error (self->db, "read an entry", err);
    sqlite3_reset (stmt);
    return rc;
}
