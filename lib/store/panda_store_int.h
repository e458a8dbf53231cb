/*  panda_store_int.h - private parts of the store: SQL layer and caches.

    panda_store.c validates and orchestrates; panda_store_db.c owns the
    SQLite connection and its prepared statements; panda_store_cache.c
    holds the in-memory tables (authors, log heads, documents, recent
    operations) with an undo log, so a failed COMMIT can put every cache
    back as it was before the batch.                                       */
#ifndef PANDA_STORE_INT_H_INCLUDED
#define PANDA_STORE_INT_H_INCLUDED

#include "panda_grow.h"
#include "panda_store.h"

#include <sqlite3.h>

#define PANDA_STORE_NONE UINT32_MAX //  no element (index chains, lookups)
#define PANDA_STORE_OPS_CACHE_MAX (1u << 20) //  recent operation ids kept in memory

//  --------------------------------------------------------------------------
//  SQL layer (panda_store_db.c)

//  Set in the store's meta table by a purge: the highest entries.id ever
//  given out, so arrival numbers stay increasing when the newest entries
//  were deleted.
#define PANDA_STORE_META_LAST_ENTRY "last_entry"

typedef enum {
    PANDA_STORE_SQL_BEGIN,
    PANDA_STORE_SQL_COMMIT,
    PANDA_STORE_SQL_ROLLBACK,
    PANDA_STORE_SQL_AUTHOR_FIND,
    PANDA_STORE_SQL_AUTHOR_LOGS,
    PANDA_STORE_SQL_OP_FIND,
    PANDA_STORE_SQL_DOC_FIND,
    PANDA_STORE_SQL_ENTRY_HASH,
    PANDA_STORE_SQL_AUTHOR_INSERT,
    PANDA_STORE_SQL_LOG_INSERT,
    PANDA_STORE_SQL_DOC_INSERT,
    PANDA_STORE_SQL_DOC_DELETE,
    PANDA_STORE_SQL_ENTRY_INSERT,
    PANDA_STORE_SQL_DOC_OPS,
    PANDA_STORE_SQL_CHANGED,
    PANDA_STORE_SQL_MAX_IDS,
    PANDA_STORE_SQL_SINCE,
    PANDA_STORE_SQL_DOC_LOGS,
    PANDA_STORE_SQL_LOG_PURGE,
    PANDA_STORE_SQL_LAST_ENTRY,
    PANDA_STORE_SQL_SCHEMA_LOGS,
    PANDA_STORE_SQL_DOC_HEIGHTS,
    PANDA_STORE_SQL_LOG_ENTRIES,
    PANDA_STORE_SQL_ENTRY_AT,
    PANDA_STORE_SQL_COUNT_
} panda_store_sql_t;

//  Open path, set WAL + synchronous=FULL, create or migrate the tables and
//  prepare every statement. *db_p and stmts are filled on success.
panda_err_t panda_store_db_open (sqlite3 **db_p, sqlite3_stmt **stmts, const char *path, panda_error_t *err);

//  Finalize statements and close.
void panda_store_db_close (sqlite3 *db, sqlite3_stmt **stmts);

//  Fill err with PANDA_ERR_IO and SQLite's message for what; returns the code.
panda_err_t panda_store_db_error (sqlite3 *db, const char *what, panda_error_t *err);

//  --------------------------------------------------------------------------
//  In-memory tables (panda_store_cache.c)

//  Chained hash index over the elements of one table. Elements are only
//  removed from the end (newest first), so the removed one always heads its
//  chain.
typedef struct {
    uint32_t *heads; //  mask + 1 chain heads
    size_t mask;
    uint32_t *next; //  per element
    uint64_t *keys; //  per element: the key's 64-bit hash
    size_t count, cap;
} panda_store_index_t;

typedef struct {
    panda_public_key_t key;
    int64_t rowid; //  authors.id, 0 while the author is not stored
    bool has_logs;
    uint64_t max_log_id;
} panda_store_author_t;

typedef struct {
    int64_t rowid; //  logs.id
    int64_t author; //  authors.id
    uint64_t log_id;
    int64_t document; //  documents.id
    uint64_t seq_num; //  latest entry
    panda_hash_t hash;
    uint64_t skip_seq; //  0, or the seq num whose entry hash is skip_hash
    panda_hash_t skip_hash;
} panda_store_log_t;

typedef struct {
    int64_t rowid; //  documents.id = entries.id of its CREATE
    panda_hash_t id; //  the document id
    uint32_t schema; //  index into the schema id strings
    bool deleted;
} panda_store_doc_t;

typedef struct {
    panda_hash_t id;
    int64_t document;
} panda_store_op_t;

typedef enum {
    PANDA_STORE_UNDO_TRUNCATE, //  tables back to the recorded counts
    PANDA_STORE_UNDO_AUTHOR,
    PANDA_STORE_UNDO_LOG,
    PANDA_STORE_UNDO_DOC
} panda_store_undo_kind_t;

typedef struct {
    panda_store_undo_kind_t kind;
    uint32_t index;
    union {
        panda_store_author_t author;
        panda_store_log_t log;
        panda_store_doc_t doc;
        size_t counts[4];
    } old;
} panda_store_undo_t;

typedef struct {
    panda_store_author_t *authors;
    size_t n_authors, cap_authors;
    panda_store_index_t author_ix;
    panda_store_log_t *logs;
    size_t n_logs, cap_logs;
    panda_store_index_t log_ix; //  (author, log id)
    panda_store_index_t log_doc_ix; //  (author, document)
    panda_store_doc_t *docs;
    size_t n_docs, cap_docs;
    panda_store_index_t doc_ix; //  rowid
    panda_store_op_t *ops;
    size_t n_ops, cap_ops;
    panda_store_index_t op_ix; //  id
    char **schemas; //  interned schema id strings
    size_t n_schemas, cap_schemas;
    panda_store_undo_t *undo;
    size_t n_undo, cap_undo;
    bool recording; //  inside a batch: record undo entries
} panda_store_cache_t;

void panda_store_cache_clear (panda_store_cache_t *self); //  free everything

//  Start recording (remembers table sizes); commit forgets, rollback undoes.
panda_err_t panda_store_cache_begin (panda_store_cache_t *self);
void panda_store_cache_commit (panda_store_cache_t *self);
void panda_store_cache_rollback (panda_store_cache_t *self);

//  Lookups: element index or PANDA_STORE_NONE.
uint32_t panda_store_cache_author (panda_store_cache_t *self, const panda_public_key_t *key);
uint32_t panda_store_cache_log (panda_store_cache_t *self, int64_t author, uint64_t log_id);
uint32_t panda_store_cache_log_for_doc (panda_store_cache_t *self, int64_t author, int64_t document);
uint32_t panda_store_cache_doc (panda_store_cache_t *self, int64_t rowid);
uint32_t panda_store_cache_op (panda_store_cache_t *self, const panda_hash_t *id);

//  Add an element (a copy); *index gets its index.
panda_err_t panda_store_cache_add_author (panda_store_cache_t *self, const panda_store_author_t *author,
                                          uint32_t *index);
panda_err_t panda_store_cache_add_log (panda_store_cache_t *self, const panda_store_log_t *log,
                                       uint32_t *index);
panda_err_t panda_store_cache_add_doc (panda_store_cache_t *self, const panda_store_doc_t *doc,
                                       uint32_t *index);
panda_err_t panda_store_cache_add_op (panda_store_cache_t *self, const panda_store_op_t *op);

//  Record the current value of an element before changing it.
panda_err_t panda_store_cache_save_author (panda_store_cache_t *self, uint32_t index);
panda_err_t panda_store_cache_save_log (panda_store_cache_t *self, uint32_t index);
panda_err_t panda_store_cache_save_doc (panda_store_cache_t *self, uint32_t index);

//  Index of schema_id among the interned strings, adding it if new.
panda_err_t panda_store_cache_schema (panda_store_cache_t *self, const char *schema_id, uint32_t *index);

//  Forget all cached operations (outside batches, to bound memory).
void panda_store_cache_drop_ops (panda_store_cache_t *self);

//  --------------------------------------------------------------------------
//  The store object (panda_store.c; panda_store_purge.c works on it too)

struct _panda_store_t {
    sqlite3 *db;
    sqlite3_stmt *stmt[PANDA_STORE_SQL_COUNT_];
    panda_store_cache_t cache;
    int64_t next_author, next_log, next_entry; //  rowids to assign next
};

//  Step a write statement to completion and reset it.
panda_err_t panda_store_write (panda_store_t *self, sqlite3_stmt *stmt, const char *what, panda_error_t *err);

//  Shared by panda_store.c and panda_store_read.c:
//  "<what> <id> not found in store", PANDA_ERR_NOT_FOUND.
panda_err_t panda_store_not_found (const char *what, const panda_hash_t *id, panda_error_t *err);

//  Cache index of the document of operation id, or PANDA_STORE_NONE if the
//  operation is not stored.
panda_err_t panda_store_op_doc (panda_store_t *self, const panda_hash_t *id, uint32_t *doc,
                                panda_error_t *err);

#endif
