/*  panda_store_db.c - the store's SQLite schema, migrations and statements.
    See panda_store_int.h and panda_store.h.

    Few rows per publish, keyed by integers: one entries row (plus a logs
    row at seq 1, a documents row for a CREATE and an authors row for a new
    key). The only index over random 34-byte hashes is entries.hash (the
    operation id). A document's rowid is the rowid of its CREATE entry, so
    document ids need no index of their own.

    u64 log ids and seq nums are stored as their int64 bit pattern; nothing
    in SQL orders or compares them (maxima are computed in C).              */
#include "panda_store_int.h"
#include "panda_sqlite.h"

#include <stdio.h>
#include <string.h>

#define S_VERSION 3 //  schema version this code writes
#define S_BUSY_TIMEOUT_MS 5000

//  Migrations: s_migrations[v] brings a database from version v to v + 1.
static const char *const s_migrations[S_VERSION] = {
    "CREATE TABLE authors ("
    "  id INTEGER PRIMARY KEY,"
    "  public_key BLOB NOT NULL UNIQUE);"
    "CREATE TABLE documents ("
    "  id INTEGER PRIMARY KEY," //  = entries.id of the CREATE
    "  schema_id TEXT NOT NULL,"
    "  deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE logs ("
    "  id INTEGER PRIMARY KEY,"
    "  author INTEGER NOT NULL REFERENCES authors (id),"
    "  log_id INTEGER NOT NULL,"
    "  document INTEGER NOT NULL REFERENCES documents (id),"
    "  UNIQUE (author, log_id),"
    "  UNIQUE (document, author));"
    "CREATE TABLE entries ("
    "  id INTEGER PRIMARY KEY," //  arrival order
    "  log INTEGER NOT NULL REFERENCES logs (id),"
    "  seq_num INTEGER NOT NULL,"
    "  hash BLOB NOT NULL UNIQUE," //  entry hash = operation id
    "  entry BLOB NOT NULL,"
    "  operation BLOB NOT NULL,"
    "  UNIQUE (log, seq_num));",
    //  2: purges (panda_store_purge.c) delete entries but keep their logs;
    //  meta remembers the highest entry id given out.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    //  3: replication reads the logs of a schema's documents
    //  (panda_store_sync.c).
    "CREATE INDEX documents_schema ON documents (schema_id);",
};

static const char *const s_sql[PANDA_STORE_SQL_COUNT_] = {
    [PANDA_STORE_SQL_BEGIN] = "BEGIN IMMEDIATE",
    [PANDA_STORE_SQL_COMMIT] = "COMMIT",
    [PANDA_STORE_SQL_ROLLBACK] = "ROLLBACK",
    [PANDA_STORE_SQL_AUTHOR_FIND] = "SELECT id FROM authors WHERE public_key = ?1",
    //  A purged log has no entries: seq_num and hash are NULL.
    [PANDA_STORE_SQL_AUTHOR_LOGS] =
        "SELECT l.id, l.log_id, l.document, e.seq_num, e.hash FROM logs l LEFT JOIN entries e ON e.log = l.id"
        " AND e.seq_num = (SELECT max (seq_num) FROM entries WHERE log = l.id) WHERE l.author = ?1",
    [PANDA_STORE_SQL_OP_FIND] =
        "SELECT l.document, d.schema_id, d.deleted, c.hash FROM entries e JOIN logs l ON l.id = e.log"
        " JOIN documents d ON d.id = l.document JOIN entries c ON c.id = d.id WHERE e.hash = ?1",
    [PANDA_STORE_SQL_DOC_FIND] = "SELECT d.schema_id, d.deleted, c.hash FROM documents d JOIN entries c ON "
                                 "c.id = d.id WHERE d.id = ?1",
    [PANDA_STORE_SQL_ENTRY_HASH] = "SELECT hash FROM entries WHERE log = ?1 AND seq_num = ?2",
    [PANDA_STORE_SQL_AUTHOR_INSERT] = "INSERT INTO authors (id, public_key) VALUES (?1, ?2)",
    [PANDA_STORE_SQL_LOG_INSERT] = "INSERT INTO logs (id, author, log_id, document) VALUES (?1, ?2, ?3, ?4)",
    [PANDA_STORE_SQL_DOC_INSERT] = "INSERT INTO documents (id, schema_id) VALUES (?1, ?2)",
    [PANDA_STORE_SQL_DOC_DELETE] = "UPDATE documents SET deleted = 1 WHERE id = ?1",
    [PANDA_STORE_SQL_ENTRY_INSERT] =
        "INSERT INTO entries (id, log, seq_num, hash, entry, operation) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [PANDA_STORE_SQL_DOC_OPS] = "SELECT e.id, e.hash, e.operation FROM logs l JOIN entries e ON e.log = l.id"
                                " WHERE l.document = ?1 ORDER BY e.id",
    [PANDA_STORE_SQL_CHANGED] = "SELECT l.document, max (e.id) AS last, c.hash FROM entries e"
                                " JOIN logs l ON l.id = e.log JOIN entries c ON c.id = l.document"
                                " WHERE e.id > ?1 GROUP BY l.document ORDER BY last",
    [PANDA_STORE_SQL_MAX_IDS] =
        "SELECT (SELECT ifnull (max (id), 0) FROM authors),"
        " (SELECT ifnull (max (id), 0) FROM logs),"
        " max ((SELECT ifnull (max (id), 0) FROM entries),"
        "  (SELECT ifnull (max (value), 0) FROM meta WHERE key = '" PANDA_STORE_META_LAST_ENTRY "'))",
    [PANDA_STORE_SQL_SINCE] = "SELECT e.id, e.hash, c.hash, a.public_key, e.operation FROM entries e"
                              " JOIN logs l ON l.id = e.log JOIN entries c ON c.id = l.document"
                              " JOIN authors a ON a.id = l.author WHERE e.id > ?1 ORDER BY e.id LIMIT ?2",
    [PANDA_STORE_SQL_DOC_LOGS] = "SELECT id, author FROM logs WHERE document = ?1",
    [PANDA_STORE_SQL_LOG_PURGE] = "DELETE FROM entries WHERE log = ?1",
    [PANDA_STORE_SQL_LAST_ENTRY] =
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('" PANDA_STORE_META_LAST_ENTRY "', ?1)",
    //  Replication (panda_store_sync.c). A log's latest entry is its last
    //  to arrive: storage accepts a log's entries in seq order.
    [PANDA_STORE_SQL_SCHEMA_LOGS] =
        "SELECT a.public_key, l.log_id, (SELECT seq_num FROM entries WHERE log = l.id ORDER BY id DESC LIMIT "
        "1)"
        " FROM documents d JOIN logs l ON l.document = d.id JOIN authors a ON a.id = l.author"
        " WHERE d.schema_id = ?1",
    [PANDA_STORE_SQL_DOC_HEIGHTS] = "SELECT a.public_key, l.log_id, (SELECT seq_num FROM entries WHERE log = "
                                    "l.id ORDER BY id DESC LIMIT 1)"
                                    " FROM entries c JOIN logs l ON l.document = c.id JOIN authors a ON a.id "
                                    "= l.author WHERE c.hash = ?1",
    [PANDA_STORE_SQL_LOG_ENTRIES] =
        "SELECT e.id, e.seq_num FROM authors a JOIN logs l ON l.author = a.id"
        " JOIN entries e ON e.log = l.id WHERE a.public_key = ?1 AND l.log_id = ?2"
        " ORDER BY e.id",
    [PANDA_STORE_SQL_ENTRY_AT] = "SELECT e.hash, e.entry, e.operation, d.schema_id, c.hash FROM entries e"
                                 " JOIN logs l ON l.id = e.log JOIN documents d ON d.id = l.document"
                                 " JOIN entries c ON c.id = d.id WHERE e.id = ?1",
};

panda_err_t
panda_store_db_error (sqlite3 *db, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "store: %s: %s", what,
                            db ? sqlite3_errmsg (db) : "no database");
}

panda_err_t
panda_store_db_open (sqlite3 **db_p, sqlite3_stmt **stmts, const char *path, panda_error_t *err)
{
    sqlite3 *db = NULL;
    memset (stmts, 0, sizeof (sqlite3_stmt *) * PANDA_STORE_SQL_COUNT_);
    if (panda_sqlite_private (path, err) != PANDA_OK)
        return PANDA_ERR_IO;
    if (sqlite3_open_v2 (path, &db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
                         NULL) != SQLITE_OK) {
        panda_err_t rc = panda_store_db_error (db, path, err);
        sqlite3_close (db);
        return rc;
    }
    sqlite3_busy_timeout (db, S_BUSY_TIMEOUT_MS);
    //  WAL lets readers run beside the writer; FULL syncs the WAL at every
    //  COMMIT, so an acknowledged publish survives power loss. A 16 MiB page
    //  cache (default 2 MiB) keeps the hot part of the entries.hash index in
    //  memory (64 MiB measured no faster at 300 k entries) without holding
    //  a large share of every big blob written through it.
    panda_err_t rc = panda_sqlite_exec (db, "store",
                                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                                        " PRAGMA foreign_keys = OFF; PRAGMA cache_size = -16384",
                                        err);
    if (rc == PANDA_OK)
        rc = panda_sqlite_migrate (db, "store", "store_version", s_migrations, S_VERSION, NULL, err);
    for (int i = 0; rc == PANDA_OK && i < PANDA_STORE_SQL_COUNT_; i++)
        if (sqlite3_prepare_v3 (db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts[i], NULL) != SQLITE_OK)
            rc = panda_store_db_error (db, s_sql[i], err);
    if (rc != PANDA_OK) {
        panda_store_db_close (db, stmts);
        return rc;
    }
    *db_p = db;
    return PANDA_OK;
}

void
panda_store_db_close (sqlite3 *db, sqlite3_stmt **stmts)
{
    for (int i = 0; i < PANDA_STORE_SQL_COUNT_; i++) {
        sqlite3_finalize (stmts[i]);
        stmts[i] = NULL;
    }
    sqlite3_close (db);
}
