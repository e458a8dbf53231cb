/*  panda_store.c - publish validation against stored state, group commit,
    and nextArgs; the readers are panda_store_read.c. See panda_store.h.

    Validation follows data-types.md §9 steps 3 and 5-13 and uses the pure
    checks of panda_entry.h for every rule they cover. State comes from the
    cache (panda_store_cache.c), filled from SQLite on a miss; every write
    of a batch goes to both, and a failed COMMIT undoes the cache.          */
#include "panda_store_int.h"
#include "panda_sqlite.h"

#include "panda/panda_lipmaa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  What validation found out about one item, for s_apply.
typedef struct {
    uint32_t author; //  cache index
    uint32_t log; //  cache index of (author, log id), NONE for a new log
    uint32_t doc; //  cache index, NONE for a CREATE
} s_plan_t;

#define S_IS_FATAL(rc) ((rc) == PANDA_ERR_IO || (rc) == PANDA_ERR_NOMEM || (rc) == PANDA_ERR_INTERNAL)

static panda_err_t
s_nomem (panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_NOMEM, "store: out of memory");
}

panda_err_t
panda_store_write (panda_store_t *self, sqlite3_stmt *stmt, const char *what, panda_error_t *err)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE ? PANDA_OK : panda_store_db_error (self->db, what, err);
}

panda_err_t
panda_store_not_found (const char *what, const panda_hash_t *id, panda_error_t *err)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    return panda_error_set (err, PANDA_ERR_NOT_FOUND, "%s %s not found in store", what,
                            panda_hash_to_hex (id, hex));
}

//  --------------------------------------------------------------------------
//  Open and close

panda_store_t *
panda_store_open (const char *path, panda_error_t *err)
{
    panda_store_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_nomem (err);
        return NULL;
    }
    if (panda_store_db_open (&self->db, self->stmt, path, err) != PANDA_OK) {
        free (self);
        return NULL;
    }
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_MAX_IDS];
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        panda_store_db_error (self->db, "read row ids", err);
        panda_store_destroy (&self);
        return NULL;
    }
    self->next_author = sqlite3_column_int64 (stmt, 0) + 1;
    self->next_log = sqlite3_column_int64 (stmt, 1) + 1;
    self->next_entry = sqlite3_column_int64 (stmt, 2) + 1;
    sqlite3_reset (stmt);
    return self;
}

void
panda_store_destroy (panda_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_store_t *self = *self_p;
    panda_store_db_close (self->db, self->stmt);
    panda_store_cache_clear (&self->cache);
    free (self);
    *self_p = NULL;
}

panda_err_t
panda_store_set_durable (panda_store_t *self, bool full, panda_error_t *err)
{
    const char *sql = full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return panda_store_db_error (self->db, sql, err);
    return PANDA_OK;
}

panda_err_t
panda_store_set_cache_size (panda_store_t *self, int kib, panda_error_t *err)
{
    char sql[64];
    snprintf (sql, sizeof sql, "PRAGMA cache_size = -%d", kib);
    return panda_sqlite_exec (self->db, "store", sql, err);
}

//  --------------------------------------------------------------------------
//  Cache fills from SQLite

//  Load the logs of a stored author into the cache.
static panda_err_t
s_load_logs (panda_store_t *self, uint32_t a, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_AUTHOR_LOGS];
    sqlite3_bind_int64 (stmt, 1, self->cache.authors[a].rowid);
    int rc;
    panda_err_t result = PANDA_OK;
    while (result == PANDA_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        panda_store_log_t log = {.rowid = sqlite3_column_int64 (stmt, 0),
                                 .author = self->cache.authors[a].rowid,
                                 .log_id = (uint64_t) sqlite3_column_int64 (stmt, 1),
                                 .document = sqlite3_column_int64 (stmt, 2),
                                 .seq_num = (uint64_t) sqlite3_column_int64 (stmt, 3)};
        //  A purged log (no entries) keeps its log id in use: seq num 0.
        bool purged = sqlite3_column_type (stmt, 3) == SQLITE_NULL;
        if (!purged && sqlite3_column_bytes (stmt, 4) != PANDA_HASH_SIZE)
            result = panda_error_set (err, PANDA_ERR_IO, "store: bad entry hash in log %lld",
                                      (long long) log.rowid);
        else {
            if (!purged)
                memcpy (log.hash.bytes, sqlite3_column_blob (stmt, 4), PANDA_HASH_SIZE);
            uint32_t index;
            if (panda_store_cache_add_log (&self->cache, &log, &index) != PANDA_OK)
                result = s_nomem (err);
            panda_store_author_t *author = &self->cache.authors[a];
            if (!author->has_logs || log.log_id > author->max_log_id)
                author->max_log_id = log.log_id;
            author->has_logs = true;
        }
    }
    if (result == PANDA_OK && rc != SQLITE_DONE)
        result = panda_store_db_error (self->db, "read logs", err);
    sqlite3_reset (stmt);
    return result;
}

//  Cache index of the author with this key (rowid 0 if not stored).
static panda_err_t
s_author (panda_store_t *self, const panda_public_key_t *key, uint32_t *index, panda_error_t *err)
{
    *index = panda_store_cache_author (&self->cache, key);
    if (*index != PANDA_STORE_NONE)
        return PANDA_OK;
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_AUTHOR_FIND];
    sqlite3_bind_blob (stmt, 1, key->bytes, PANDA_PUBLIC_KEY_SIZE, SQLITE_STATIC);
    panda_store_author_t author = {.key = *key};
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        author.rowid = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return panda_store_db_error (self->db, "read author", err);
    if (panda_store_cache_add_author (&self->cache, &author, index) != PANDA_OK)
        return s_nomem (err);
    return author.rowid ? s_load_logs (self, *index, err) : PANDA_OK;
}

//  Cache a document read from a row: schema id column col, deleted col + 1,
//  document id col + 2.
static panda_err_t
s_fill_doc (panda_store_t *self, sqlite3_stmt *stmt, int col, int64_t rowid, uint32_t *index,
            panda_error_t *err)
{
    panda_store_doc_t doc = {.rowid = rowid, .deleted = sqlite3_column_int (stmt, col + 1) != 0};
    const char *schema_id = (const char *) sqlite3_column_text (stmt, col);
    if (!schema_id || sqlite3_column_bytes (stmt, col + 2) != PANDA_HASH_SIZE)
        return panda_error_set (err, PANDA_ERR_IO, "store: bad document row %lld", (long long) rowid);
    memcpy (doc.id.bytes, sqlite3_column_blob (stmt, col + 2), PANDA_HASH_SIZE);
    if (panda_store_cache_schema (&self->cache, schema_id, &doc.schema) != PANDA_OK ||
        panda_store_cache_add_doc (&self->cache, &doc, index) != PANDA_OK)
        return s_nomem (err);
    return PANDA_OK;
}

//  Cache index of the document with this rowid (which must exist).
static panda_err_t
s_doc (panda_store_t *self, int64_t rowid, uint32_t *index, panda_error_t *err)
{
    *index = panda_store_cache_doc (&self->cache, rowid);
    if (*index != PANDA_STORE_NONE)
        return PANDA_OK;
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_DOC_FIND];
    sqlite3_bind_int64 (stmt, 1, rowid);
    panda_err_t result;
    if (sqlite3_step (stmt) == SQLITE_ROW)
        result = s_fill_doc (self, stmt, 0, rowid, index, err);
    else
        result = panda_store_db_error (self->db, "read document", err);
    sqlite3_reset (stmt);
    return result;
}

//  Cache index of the document of operation id, or NONE if not stored.
panda_err_t
panda_store_op_doc (panda_store_t *self, const panda_hash_t *id, uint32_t *doc, panda_error_t *err)
{
    uint32_t op = panda_store_cache_op (&self->cache, id);
    if (op != PANDA_STORE_NONE)
        return s_doc (self, self->cache.ops[op].document, doc, err);
    *doc = PANDA_STORE_NONE;
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_OP_FIND];
    sqlite3_bind_blob (stmt, 1, id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    panda_err_t result = PANDA_OK;
    if (rc == SQLITE_ROW) {
        int64_t rowid = sqlite3_column_int64 (stmt, 0);
        *doc = panda_store_cache_doc (&self->cache, rowid);
        if (*doc == PANDA_STORE_NONE)
            result = s_fill_doc (self, stmt, 1, rowid, doc, err);
        panda_store_op_t fill = {*id, rowid};
        if (result == PANDA_OK && panda_store_cache_add_op (&self->cache, &fill) != PANDA_OK)
            result = s_nomem (err);
    } else if (rc != SQLITE_DONE)
        result = panda_store_db_error (self->db, "read operation", err);
    sqlite3_reset (stmt);
    return result;
}

//  Hash of entry seq_num of log (cache index); *found false if missing.
static panda_err_t
s_entry_hash (panda_store_t *self, uint32_t log, uint64_t seq_num, panda_hash_t *hash, bool *found,
              panda_error_t *err)
{
    const panda_store_log_t *l = &self->cache.logs[log];
    *found = true;
    if (l->seq_num == seq_num)
        *hash = l->hash;
    else if (l->skip_seq == seq_num && seq_num)
        *hash = l->skip_hash;
    else {
        sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_ENTRY_HASH];
        sqlite3_bind_int64 (stmt, 1, l->rowid);
        sqlite3_bind_int64 (stmt, 2, (int64_t) seq_num);
        int rc = sqlite3_step (stmt);
        *found = rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == PANDA_HASH_SIZE;
        if (*found)
            memcpy (hash->bytes, sqlite3_column_blob (stmt, 0), PANDA_HASH_SIZE);
        sqlite3_reset (stmt);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return panda_store_db_error (self->db, "read entry", err);
    }
    return PANDA_OK;
}

//  panda_entry_lookup_fn over one log; remembers the answer in the log.
typedef struct {
    panda_store_t *store;
    uint32_t log;
} s_lookup_t;

static panda_err_t
s_lookup (void *ctx, uint64_t seq_num, panda_hash_t *hash, panda_error_t *err)
{
    s_lookup_t *lookup = ctx;
    bool found;
    panda_err_t rc = s_entry_hash (lookup->store, lookup->log, seq_num, hash, &found, err);
    if (rc != PANDA_OK)
        return rc;
    panda_store_log_t *log = &lookup->store->cache.logs[lookup->log];
    if (!found)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND,
                                "Expected skiplink entry not found in store: log %lld, seq num %llu",
                                (long long) log->rowid, (unsigned long long) seq_num);
    log->skip_seq = seq_num;
    log->skip_hash = *hash;
    return PANDA_OK;
}

//  Next entry arguments of log (cache index) of key.
static panda_err_t
s_log_next_args (panda_store_t *self, const panda_public_key_t *key, uint32_t log, panda_entry_args_t *args,
                 panda_error_t *err)
{
    s_lookup_t lookup = {self, log};
    const panda_store_log_t *l = &self->cache.logs[log];
    return panda_entry_next_args (args, key, l->log_id, l->seq_num, &l->hash, s_lookup, &lookup, err);
}

//  --------------------------------------------------------------------------
//  Publishing

//  §9 step 10 for UPDATE/DELETE: every previous operation is stored and has
//  the operation's schema, all of one document; *doc gets its cache index.
static panda_err_t
s_check_previous (panda_store_t *self, const panda_operation_t *operation, uint32_t *doc, panda_error_t *err)
{
    size_t count;
    const panda_hash_t *previous = panda_operation_previous (operation, &count);
    const char *schema_id = panda_operation_schema_id (operation);
    bool same = true;
    *doc = PANDA_STORE_NONE;
    for (size_t i = 0; i < count; i++) {
        uint32_t d;
        panda_err_t rc = panda_store_op_doc (self, &previous[i], &d, err);
        if (rc != PANDA_OK)
            return rc;
        if (d == PANDA_STORE_NONE)
            return panda_store_not_found ("Previous operation", &previous[i], err);
        const char *actual = self->cache.schemas[self->cache.docs[d].schema];
        if (strcmp (actual, schema_id) != 0) {
            char hex[PANDA_HASH_HEX_SIZE + 1];
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "Operation %s claims incorrect schema %s for document with schema %s",
                                    panda_hash_to_hex (&previous[i], hex), schema_id, actual);
        }
        if (*doc != PANDA_STORE_NONE && self->cache.docs[d].rowid != self->cache.docs[*doc].rowid)
            same = false;
        *doc = d;
    }
    if (!same)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "Operations in passed document view id originate from different documents");
    return PANDA_OK;
}

//  Skiplink target hash for the entry (§9 step 6); NULL via *found false.
static panda_err_t
s_skiplink_target (panda_store_t *self, const panda_entry_t *entry, uint32_t log, panda_hash_t *hash,
                   bool *found, panda_error_t *err)
{
    *found = false;
    if (!panda_entry_skiplink (entry) || log == PANDA_STORE_NONE)
        return PANDA_OK;
    return s_entry_hash (self, log, panda_lipmaa (panda_entry_seq_num (entry)), hash, found, err);
}

//  Validate one item against cache + database (§9 steps 3, 5-13).
static panda_err_t
s_validate (panda_store_t *self, const panda_store_item_t *item, panda_store_schema_fn *schemas, void *ctx,
            s_plan_t *plan, panda_error_t *err)
{
    const panda_entry_t *entry = item->entry;
    panda_operation_t *operation = item->operation;
    panda_err_t rc;
    const panda_schema_t *schema = schemas ? schemas (ctx, panda_operation_schema_id (operation)) : NULL;
    if (!schema)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND, "Schema not found");
    panda_public_key_t key = panda_entry_public_key (entry);
    if ((rc = s_author (self, &key, &plan->author, err)) != PANDA_OK)
        return rc;
    int64_t author = self->cache.authors[plan->author].rowid;
    plan->log =
        author ? panda_store_cache_log (&self->cache, author, panda_entry_log_id (entry)) : PANDA_STORE_NONE;
    uint64_t latest = plan->log == PANDA_STORE_NONE ? 0 : self->cache.logs[plan->log].seq_num;
    if ((rc = panda_entry_check_seq_num (entry, latest, err)) != PANDA_OK)
        return rc;
    panda_hash_t skip_hash;
    bool skip_found;
    if ((rc = s_skiplink_target (self, entry, plan->log, &skip_hash, &skip_found, err)) != PANDA_OK)
        return rc;
    if (panda_entry_skiplink (entry) && !skip_found)
        return panda_entry_check_links (entry, NULL, NULL, err);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (operation, &len);
    if (!bytes)
        return s_nomem (err);
    if ((rc = panda_entry_check_payload (entry, bytes, len, err)) != PANDA_OK)
        return rc;
    const panda_hash_t *backlink = latest == 0 ? NULL : &self->cache.logs[plan->log].hash;
    if ((rc = panda_entry_check_links (entry, backlink, skip_found ? &skip_hash : NULL, err)) != PANDA_OK)
        return rc;
    if ((rc = panda_schema_validate_operation (schema, operation, err)) != PANDA_OK)
        return rc;
    plan->doc = PANDA_STORE_NONE;
    const panda_hash_t *document_id = panda_entry_hash (entry);
    if (panda_operation_action (operation) != PANDA_ACTION_CREATE) {
        if ((rc = s_check_previous (self, operation, &plan->doc, err)) != PANDA_OK)
            return rc;
        if (self->cache.docs[plan->doc].deleted)
            return panda_error_set (err, PANDA_ERR_INVALID, PANDA_STORE_DELETED_MESSAGE);
        document_id = &self->cache.docs[plan->doc].id;
    }
    uint32_t existing =
        author && plan->doc != PANDA_STORE_NONE
            ? panda_store_cache_log_for_doc (&self->cache, author, self->cache.docs[plan->doc].rowid)
            : PANDA_STORE_NONE;
    if ((rc = panda_entry_check_log_id (
             entry, document_id, existing == PANDA_STORE_NONE ? NULL : &self->cache.logs[existing].log_id,
             plan->log != PANDA_STORE_NONE, err)) != PANDA_OK)
        return rc;
    return panda_entry_check_next_seq_num (entry, err);
}

//  Register a new author row.
static panda_err_t
s_insert_author (panda_store_t *self, uint32_t a, panda_error_t *err)
{
    if (panda_store_cache_save_author (&self->cache, a) != PANDA_OK)
        return s_nomem (err);
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_AUTHOR_INSERT];
    sqlite3_bind_int64 (stmt, 1, self->next_author);
    sqlite3_bind_blob (stmt, 2, self->cache.authors[a].key.bytes, PANDA_PUBLIC_KEY_SIZE, SQLITE_STATIC);
    panda_err_t rc = panda_store_write (self, stmt, "insert author", err);
    if (rc == PANDA_OK)
        self->cache.authors[a].rowid = self->next_author++;
    return rc;
}

//  Register the document of a CREATE stored at position.
static panda_err_t
s_insert_doc (panda_store_t *self, const panda_store_item_t *item, int64_t position, uint32_t *doc,
              panda_error_t *err)
{
    panda_store_doc_t row = {.rowid = position, .id = *panda_entry_hash (item->entry)};
    if (panda_store_cache_schema (&self->cache, panda_operation_schema_id (item->operation), &row.schema) !=
        PANDA_OK)
        return s_nomem (err);
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_DOC_INSERT];
    sqlite3_bind_int64 (stmt, 1, position);
    sqlite3_bind_text (stmt, 2, self->cache.schemas[row.schema], -1, SQLITE_STATIC);
    panda_err_t rc = panda_store_write (self, stmt, "insert document", err);
    if (rc == PANDA_OK && panda_store_cache_add_doc (&self->cache, &row, doc) != PANDA_OK)
        rc = s_nomem (err);
    return rc;
}

//  Register a new log of the item's author for document (cache index).
static panda_err_t
s_insert_log (panda_store_t *self, const panda_entry_t *entry, uint32_t a, uint32_t doc, uint32_t *log,
              panda_error_t *err)
{
    panda_store_log_t row = {.rowid = self->next_log,
                             .author = self->cache.authors[a].rowid,
                             .log_id = panda_entry_log_id (entry),
                             .document = self->cache.docs[doc].rowid};
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_LOG_INSERT];
    sqlite3_bind_int64 (stmt, 1, row.rowid);
    sqlite3_bind_int64 (stmt, 2, row.author);
    sqlite3_bind_int64 (stmt, 3, (int64_t) row.log_id);
    sqlite3_bind_int64 (stmt, 4, row.document);
    panda_err_t rc = panda_store_write (self, stmt, "insert log", err);
    if (rc != PANDA_OK)
        return rc;
    self->next_log++;
    if (panda_store_cache_add_log (&self->cache, &row, log) != PANDA_OK ||
        panda_store_cache_save_author (&self->cache, a) != PANDA_OK)
        return s_nomem (err);
    panda_store_author_t *author = &self->cache.authors[a];
    if (!author->has_logs || row.log_id > author->max_log_id)
        author->max_log_id = row.log_id;
    author->has_logs = true;
    return PANDA_OK;
}

//  Insert the entry row at position.
static panda_err_t
s_insert_entry (panda_store_t *self, const panda_store_item_t *item, uint32_t log, int64_t position,
                panda_error_t *err)
{
    size_t entry_len, op_len;
    const uint8_t *entry_bytes = panda_entry_bytes (item->entry, &entry_len);
    const uint8_t *op_bytes = panda_operation_bytes (item->operation, &op_len);
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_ENTRY_INSERT];
    sqlite3_bind_int64 (stmt, 1, position);
    sqlite3_bind_int64 (stmt, 2, self->cache.logs[log].rowid);
    sqlite3_bind_int64 (stmt, 3, (int64_t) panda_entry_seq_num (item->entry));
    sqlite3_bind_blob (stmt, 4, panda_entry_hash (item->entry)->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 5, entry_bytes, (int) entry_len, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 6, op_bytes, (int) op_len, SQLITE_STATIC);
    return panda_store_write (self, stmt, "insert entry", err);
}

//  Mark a document deleted.
static panda_err_t
s_delete_doc (panda_store_t *self, uint32_t doc, panda_error_t *err)
{
    if (panda_store_cache_save_doc (&self->cache, doc) != PANDA_OK)
        return s_nomem (err);
    sqlite3_stmt *stmt = self->stmt[PANDA_STORE_SQL_DOC_DELETE];
    sqlite3_bind_int64 (stmt, 1, self->cache.docs[doc].rowid);
    panda_err_t rc = panda_store_write (self, stmt, "delete document", err);
    if (rc == PANDA_OK)
        self->cache.docs[doc].deleted = true;
    return rc;
}

//  Write a validated item (rows + cache) and compute its result.
static panda_err_t
s_apply (panda_store_t *self, const panda_store_item_t *item, s_plan_t *plan, panda_store_result_t *result,
         panda_error_t *err)
{
    const panda_entry_t *entry = item->entry;
    int64_t position = self->next_entry;
    panda_err_t rc = PANDA_OK;
    if (!self->cache.authors[plan->author].rowid)
        rc = s_insert_author (self, plan->author, err);
    if (rc == PANDA_OK && plan->doc == PANDA_STORE_NONE)
        rc = s_insert_doc (self, item, position, &plan->doc, err);
    if (rc == PANDA_OK && plan->log == PANDA_STORE_NONE)
        rc = s_insert_log (self, entry, plan->author, plan->doc, &plan->log, err);
    if (rc == PANDA_OK)
        rc = s_insert_entry (self, item, plan->log, position, err);
    if (rc == PANDA_OK && panda_operation_action (item->operation) == PANDA_ACTION_DELETE)
        rc = s_delete_doc (self, plan->doc, err);
    if (rc != PANDA_OK)
        return rc;
    self->next_entry++;
    panda_store_op_t op = {*panda_entry_hash (entry), self->cache.docs[plan->doc].rowid};
    if (panda_store_cache_save_log (&self->cache, plan->log) != PANDA_OK ||
        panda_store_cache_add_op (&self->cache, &op) != PANDA_OK)
        return s_nomem (err);
    panda_store_log_t *log = &self->cache.logs[plan->log];
    log->seq_num = panda_entry_seq_num (entry);
    log->hash = *panda_entry_hash (entry);
    panda_public_key_t key = panda_entry_public_key (entry);
    rc = s_log_next_args (self, &key, plan->log, &result->next_args, err);
    //  The next seq num exists (checked), so only a missing skiplink
    //  target (a broken store) can fail here.
    if (rc != PANDA_OK && !S_IS_FATAL (rc)) {
        panda_error_prefix (err, "store: next args: ");
        if (err)
            err->code = PANDA_ERR_INTERNAL;
        return PANDA_ERR_INTERNAL;
    }
    if (rc != PANDA_OK)
        return rc;
    result->code = PANDA_OK;
    result->document_id = self->cache.docs[plan->doc].id;
    result->position = position;
    return PANDA_OK;
}

//  Fail every item of a batch with the batch's error.
static void
s_fail_all (panda_store_result_t *results, size_t n, const panda_error_t *error)
{
    for (size_t i = 0; i < n; i++) {
        memset (&results[i], 0, sizeof results[i]);
        results[i].code = error->code;
        results[i].error = *error;
    }
}

//  Whether an entry with this entry's hash is stored (or earlier in the
//  batch). Only SQL or memory errors fail.
static panda_err_t
s_is_stored (panda_store_t *self, const panda_entry_t *entry, bool *stored, panda_error_t *err)
{
    uint32_t doc;
    panda_err_t rc = panda_store_op_doc (self, panda_entry_hash (entry), &doc, err);
    *stored = rc == PANDA_OK && doc != PANDA_STORE_NONE;
    return rc;
}

//  Validate and write every item inside the open transaction; a fatal
//  error (SQL, memory) stops and is returned in err.
static panda_err_t
s_run_batch (panda_store_t *self, const panda_store_item_t *items, size_t n, panda_store_schema_fn *schemas,
             void *ctx, panda_store_result_t *results, panda_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        panda_store_result_t *result = &results[i];
        memset (result, 0, sizeof *result);
        panda_error_clear (&result->error);
        s_plan_t plan;
        panda_err_t rc;
        //  Replication: an entry we already hold is a success that writes
        //  nothing (concurrent sessions offer the same entries).
        if (items[i].check_duplicate &&
            (rc = s_is_stored (self, items[i].entry, &result->duplicate, &result->error)) != PANDA_OK) {
            result->code = rc;
            if (err)
                *err = result->error;
            return rc;
        }
        if (result->duplicate)
            continue;
        rc = s_validate (self, &items[i], schemas, ctx, &plan, &result->error);
        if (rc == PANDA_OK)
            rc = s_apply (self, &items[i], &plan, result, &result->error);
        result->code = rc;
        if (S_IS_FATAL (rc)) {
            if (err)
                *err = result->error;
            return rc;
        }
    }
    return PANDA_OK;
}

panda_err_t
panda_store_publish_batch (panda_store_t *self, const panda_store_item_t *items, size_t n,
                           panda_store_schema_fn *schemas, void *ctx, panda_store_result_t *results,
                           panda_error_t *err)
{
    if (n == 0)
        return PANDA_OK;
    if (self->cache.n_ops > PANDA_STORE_OPS_CACHE_MAX)
        panda_store_cache_drop_ops (&self->cache);
    int64_t next_author = self->next_author, next_log = self->next_log, next_entry = self->next_entry;
    panda_error_t batch_err;
    panda_error_clear (&batch_err);
    panda_err_t rc = panda_store_cache_begin (&self->cache) == PANDA_OK ? PANDA_OK : s_nomem (&batch_err);
    if (rc == PANDA_OK)
        rc = panda_store_write (self, self->stmt[PANDA_STORE_SQL_BEGIN], "begin", &batch_err);
    if (rc == PANDA_OK) {
        rc = s_run_batch (self, items, n, schemas, ctx, results, &batch_err);
        if (rc == PANDA_OK)
            rc = panda_store_write (self, self->stmt[PANDA_STORE_SQL_COMMIT], "commit", &batch_err);
        if (rc != PANDA_OK && !sqlite3_get_autocommit (self->db))
            (void) panda_store_write (self, self->stmt[PANDA_STORE_SQL_ROLLBACK], "rollback", NULL);
    }
    if (rc != PANDA_OK) {
        panda_store_cache_rollback (&self->cache);
        self->next_author = next_author;
        self->next_log = next_log;
        self->next_entry = next_entry;
        s_fail_all (results, n, &batch_err);
        if (err)
            *err = batch_err;
        return rc;
    }
    panda_store_cache_commit (&self->cache);
    return PANDA_OK;
}

panda_err_t
panda_store_publish (panda_store_t *self, const panda_entry_t *entry, panda_operation_t *operation,
                     panda_store_schema_fn *schemas, void *ctx, panda_entry_args_t *next_args,
                     panda_error_t *err)
{
    panda_store_item_t item = {entry, operation, false};
    panda_store_result_t *result = malloc (sizeof *result);
    if (!result)
        return s_nomem (err);
    panda_err_t rc = panda_store_publish_batch (self, &item, 1, schemas, ctx, result, err);
    if (rc == PANDA_OK) {
        rc = result->code;
        if (rc == PANDA_OK)
            *next_args = result->next_args;
        else if (err)
            *err = result->error;
    }
    free (result);
    return rc;
}

//  --------------------------------------------------------------------------
//  nextArgs

//  A new log for the author at cache index a (or none: a new author).
static panda_err_t
s_new_log_args (panda_store_t *self, const panda_public_key_t *key, uint32_t a, panda_entry_args_t *args,
                panda_error_t *err)
{
    memset (args, 0, sizeof *args);
    args->seq_num = 1;
    const panda_store_author_t *author = &self->cache.authors[a];
    if (author->has_logs && author->max_log_id == UINT64_MAX) {
        char hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
        return panda_error_set (err, PANDA_ERR_LIMIT, "Max log id reached for public key %s",
                                panda_public_key_to_hex (key, hex));
    }
    args->log_id = author->has_logs ? author->max_log_id + 1 : 0;
    return PANDA_OK;
}

panda_err_t
panda_store_next_args (panda_store_t *self, const panda_public_key_t *public_key, const panda_hash_t *view_id,
                       size_t count, panda_entry_args_t *args, panda_error_t *err)
{
    uint32_t a, doc = PANDA_STORE_NONE;
    panda_err_t rc = s_author (self, public_key, &a, err);
    if (rc != PANDA_OK)
        return rc;
    bool same = true;
    for (size_t i = 0; i < count; i++) {
        uint32_t d;
        if ((rc = panda_store_op_doc (self, &view_id[i], &d, err)) != PANDA_OK)
            return rc;
        if (d == PANDA_STORE_NONE)
            return panda_store_not_found ("Previous operation", &view_id[i], err);
        if (doc != PANDA_STORE_NONE && self->cache.docs[d].rowid != self->cache.docs[doc].rowid)
            same = false;
        doc = d;
    }
    if (!same)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "Operations in passed document view id originate from different documents");
    if (doc == PANDA_STORE_NONE)
        return s_new_log_args (self, public_key, a, args, err);
    if (self->cache.docs[doc].deleted)
        return panda_error_set (err, PANDA_ERR_INVALID, "Document is deleted");
    int64_t author = self->cache.authors[a].rowid;
    uint32_t log = author ? panda_store_cache_log_for_doc (&self->cache, author, self->cache.docs[doc].rowid)
                          : PANDA_STORE_NONE;
    if (log == PANDA_STORE_NONE)
        return s_new_log_args (self, public_key, a, args, err);
    return s_log_next_args (self, public_key, log, args, err);
}
