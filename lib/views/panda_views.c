/*  panda_views.c - the views database: open, migrate, transactions, the
    resume position and the schema tables. See panda_views.h for the layout. */
#include "panda_views.h"

#include "panda_sqlite.h"

#include "panda/panda_blake3.h"
#include "panda/panda_hex.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_VERSION 5
#define S_BUSY_TIMEOUT_MS 5000

static const char *const s_migrations[S_VERSION] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO meta VALUES ('position', 0);"
    "CREATE TABLE schemas ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  description TEXT NOT NULL,"
    "  document BLOB NOT NULL,"
    "  ordinal INTEGER NOT NULL);"
    "CREATE TABLE schema_fields ("
    "  id INTEGER PRIMARY KEY,"
    "  schema TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  UNIQUE (schema, name));"
    "CREATE TABLE documents ("
    "  id INTEGER PRIMARY KEY,"
    "  document_id BLOB NOT NULL UNIQUE,"
    "  schema TEXT NOT NULL,"
    "  owner BLOB NOT NULL,"
    "  view INTEGER,"
    "  edited INTEGER NOT NULL DEFAULT 0,"
    "  deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX documents_schema ON documents (schema, document_id) WHERE view IS NOT NULL;"
    "CREATE TABLE views ("
    "  id INTEGER PRIMARY KEY,"
    "  document INTEGER NOT NULL,"
    "  view_id TEXT NOT NULL UNIQUE);"
    "CREATE INDEX views_document ON views (document);"
    "CREATE TABLE fields ("
    "  view INTEGER NOT NULL,"
    "  field INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  value,"
    "  writer BLOB NOT NULL,"
    "  cursor BLOB NOT NULL,"
    "  PRIMARY KEY (view, field, idx)) WITHOUT ROWID;"
    "CREATE INDEX fields_value ON fields (field, value);"
    "CREATE INDEX fields_cursor ON fields (cursor);",
    //  2: the materialiser's own state. documents.incremental: the next
    //  UPDATE on the current view may be applied alone (panda_materialize.c);
    //  documents.failed: the last reduction failed. pins: every pinned view
    //  id in a stored view (to find what a current view keeps alive).
    //  wanted: operations whose arrival may make a pinned view buildable.
    "ALTER TABLE documents ADD COLUMN incremental INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE documents ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE pins (view INTEGER NOT NULL, field INTEGER NOT NULL, target TEXT NOT NULL);"
    "CREATE INDEX pins_view ON pins (view, field);"
    "CREATE INDEX pins_target ON pins (target);"
    "CREATE TABLE wanted (operation BLOB NOT NULL, target TEXT NOT NULL,"
    "  PRIMARY KEY (operation, target)) WITHOUT ROWID;"
    "CREATE INDEX wanted_target ON wanted (target);",
    //  3: the query engine (panda_query): items ordered by a field walk
    //  fields_value / fields_nocase and join back to their documents
    //  (documents_view covers what a candidate needs, no table lookup).
    "CREATE INDEX documents_view ON documents (view, schema, document_id, owner);"
    "CREATE INDEX documents_owner ON documents (schema, owner, document_id) WHERE view IS NOT NULL;"
    "CREATE INDEX fields_nocase ON fields (field, value COLLATE NOCASE);",
    //  4: unused-blob purge (panda_blob_purge.c): blobs seen related to by
    //  some view, and where its bounded walk over the blobs continues.
    "CREATE TABLE blob_refs (document_id BLOB PRIMARY KEY);"
    "INSERT INTO meta VALUES ('blob_purge_cursor', x'');",
    //  5: purged documents whose entries the entries database still holds
    //  (written with the purge, forgotten when storage has deleted them).
    "CREATE TABLE blob_purged (document_id BLOB PRIMARY KEY);",
};

struct _panda_views_t {
    sqlite3 *db;
};

static panda_err_t
s_db_error (sqlite3 *db, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "views: %s: %s", what,
                            db ? sqlite3_errmsg (db) : "no database");
}

static panda_err_t
s_exec (sqlite3 *db, const char *sql, panda_error_t *err)
{
    return panda_sqlite_exec (db, "views", sql, err);
}

//  After migration 0: insert the system schemas' fields so every field has
//  a schema_fields id.
static panda_err_t
s_system_fields (sqlite3 *db, int version, panda_error_t *err)
{
    if (version != 0)
        return PANDA_OK;
    static const char *const ids[] = {PANDA_SCHEMA_ID_SCHEMA_DEFINITION,
                                      PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, PANDA_SCHEMA_ID_BLOB,
                                      PANDA_SCHEMA_ID_BLOB_PIECE};
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db,
                            "INSERT OR IGNORE INTO schema_fields (schema, name, type) VALUES (?1, ?2, ?3)",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_db_error (db, "prepare", err);
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; rc == PANDA_OK && i < sizeof ids / sizeof ids[0]; i++) {
        const panda_schema_t *schema = panda_schema_system (ids[i]);
        for (size_t f = 0; rc == PANDA_OK && f < panda_schema_field_count (schema); f++) {
            sqlite3_bind_text (stmt, 1, ids[i], -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 2, panda_schema_field_name (schema, f), -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 3, panda_schema_field_type (schema, f), -1, SQLITE_STATIC);
            if (sqlite3_step (stmt) != SQLITE_DONE)
                rc = s_db_error (db, "insert system field", err);
            sqlite3_reset (stmt);
        }
    }
    sqlite3_finalize (stmt);
    return rc;
}

char *
panda_views_path (const char *store_path)
{
    //  A URI keeps its query: "file:/x?vfs=memdb" -> "file:/x-views?vfs=memdb".
    size_t len = strlen (store_path);
    const char *query = strncmp (store_path, "file:", 5) == 0 ? strchr (store_path, '?') : NULL;
    size_t name_len = query ? (size_t) (query - store_path) : len;
    const char *name = strcmp (store_path, ":memory:") == 0 ? "file:/pandad-memory" : NULL;
    char *out = malloc (len + 64);
    if (!out)
        return NULL;
    if (name)
        snprintf (out, len + 64, "%s-views?vfs=memdb", name);
    else
        snprintf (out, len + 64, "%.*s-views%s", (int) name_len, store_path, query ? query : "");
    return out;
}

panda_views_t *
panda_views_open (const char *path, bool readonly, panda_error_t *err)
{
    panda_views_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "views: out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    panda_err_t rc = readonly ? PANDA_OK : panda_sqlite_private (path, err);
    if (rc == PANDA_OK && sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK)
        rc = s_db_error (self->db, path, err);
    if (rc == PANDA_OK) {
        sqlite3_busy_timeout (self->db, S_BUSY_TIMEOUT_MS);
        //  Derived data: NORMAL is enough (a lost commit is redone from the
        //  entries at the next start, as the position is in the same commit).
        if (!readonly)
            rc = s_exec (self->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", err);
        if (rc == PANDA_OK && !readonly)
            rc = panda_sqlite_migrate (self->db, "views", "views_version", s_migrations, S_VERSION,
                                       s_system_fields, err);
    }
    if (rc != PANDA_OK)
        panda_views_destroy (&self);
    return self;
}

void
panda_views_destroy (panda_views_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sqlite3_close_v2 ((*self_p)->db);
    free (*self_p);
    *self_p = NULL;
}

sqlite3 *
panda_views_db (panda_views_t *self)
{
    return self->db;
}

panda_err_t
panda_views_begin (panda_views_t *self, panda_error_t *err)
{
    return s_exec (self->db, "BEGIN IMMEDIATE", err);
}

panda_err_t
panda_views_commit (panda_views_t *self, panda_error_t *err)
{
    return s_exec (self->db, "COMMIT", err);
}

void
panda_views_rollback (panda_views_t *self)
{
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

panda_err_t
panda_views_position (panda_views_t *self, int64_t *position, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = 'position'", -1, &stmt, NULL) !=
        SQLITE_OK)
        return s_db_error (self->db, "read position", err);
    int rc = sqlite3_step (stmt);
    *position = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? PANDA_OK : s_db_error (self->db, "read position", err);
}

panda_err_t
panda_views_set_position (panda_views_t *self, int64_t position, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "UPDATE meta SET value = ?1 WHERE key = 'position'", -1, &stmt, NULL) !=
        SQLITE_OK)
        return s_db_error (self->db, "write position", err);
    sqlite3_bind_int64 (stmt, 1, position);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? PANDA_OK : s_db_error (self->db, "write position", err);
}

panda_err_t
panda_views_schema_put (panda_views_t *self, const panda_schema_t *schema, const panda_hash_t *definition,
                        panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT OR IGNORE INTO schemas (id, name, description, document, ordinal)"
                            " VALUES (?1, ?2, ?3, ?4, (SELECT ifnull (max (ordinal), 0) + 1 FROM schemas))",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_db_error (self->db, "prepare schema insert", err);
    sqlite3_bind_text (stmt, 1, panda_schema_id (schema), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, panda_schema_name (schema), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, panda_schema_description (schema), -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 4, definition->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
        return s_db_error (self->db, "insert schema", err);
    if (sqlite3_prepare_v2 (self->db,
                            "INSERT OR IGNORE INTO schema_fields (schema, name, type) VALUES (?1, ?2, ?3)",
                            -1, &stmt, NULL) != SQLITE_OK)
        return s_db_error (self->db, "prepare field insert", err);
    panda_err_t result = PANDA_OK;
    for (size_t f = 0; result == PANDA_OK && f < panda_schema_field_count (schema); f++) {
        sqlite3_bind_text (stmt, 1, panda_schema_id (schema), -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, panda_schema_field_name (schema, f), -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, panda_schema_field_type (schema, f), -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) != SQLITE_DONE)
            result = s_db_error (self->db, "insert schema field", err);
        sqlite3_reset (stmt);
    }
    sqlite3_finalize (stmt);
    return result;
}

//  Build the schema of the current row of stmt (id, name, description).
static panda_err_t
s_schema_row (panda_views_t *self, sqlite3_stmt *stmt, panda_schema_t **schema_p, panda_error_t *err)
{
    const char *id = (const char *) sqlite3_column_text (stmt, 0);
    panda_schema_t *schema = panda_schema_new (id, (const char *) sqlite3_column_text (stmt, 1),
                                               (const char *) sqlite3_column_text (stmt, 2), err);
    if (!schema)
        return err->code;
    sqlite3_stmt *fields = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT name, type FROM schema_fields WHERE schema = ?1", -1, &fields,
                            NULL) != SQLITE_OK) {
        panda_schema_destroy (&schema);
        return s_db_error (self->db, "prepare schema fields", err);
    }
    sqlite3_bind_text (fields, 1, id, -1, SQLITE_TRANSIENT);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (fields)) == SQLITE_ROW)
        rc = panda_schema_add_field (schema, (const char *) sqlite3_column_text (fields, 0),
                                     (const char *) sqlite3_column_text (fields, 1), err);
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_db_error (self->db, "read schema fields", err);
    sqlite3_finalize (fields);
    if (rc != PANDA_OK)
        panda_schema_destroy (&schema);
    *schema_p = schema;
    return rc;
}

panda_err_t
panda_views_schema_find (panda_views_t *self, const char *schema_id, panda_schema_t **schema_p,
                         panda_error_t *err)
{
    *schema_p = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, name, description FROM schemas WHERE id = ?1", -1, &stmt,
                            NULL) != SQLITE_OK)
        return s_db_error (self->db, "prepare schema find", err);
    sqlite3_bind_text (stmt, 1, schema_id, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    panda_err_t rc = PANDA_OK;
    if (step == SQLITE_ROW)
        rc = s_schema_row (self, stmt, schema_p, err);
    else if (step != SQLITE_DONE)
        rc = s_db_error (self->db, "find schema", err);
    sqlite3_finalize (stmt);
    return rc;
}

panda_err_t
panda_views_schemas (panda_views_t *self, panda_views_schema_fn *fn, void *ctx, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id, name, description FROM schemas ORDER BY ordinal", -1, &stmt,
                            NULL) != SQLITE_OK)
        return s_db_error (self->db, "prepare schemas", err);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        panda_schema_t *schema = NULL;
        rc = s_schema_row (self, stmt, &schema, err);
        if (rc == PANDA_OK)
            rc = fn (ctx, schema);
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_db_error (self->db, "read schemas", err);
    sqlite3_finalize (stmt);
    return rc;
}

panda_err_t
panda_views_field_id (panda_views_t *self, const char *schema_id, const char *name, int64_t *id,
                      panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT id FROM schema_fields WHERE schema = ?1 AND name = ?2", -1,
                            &stmt, NULL) != SQLITE_OK)
        return s_db_error (self->db, "prepare field id", err);
    sqlite3_bind_text (stmt, 1, schema_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    *id = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_finalize (stmt);
    if (step == SQLITE_ROW)
        return PANDA_OK;
    if (step == SQLITE_DONE)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND, "views: no field %s in schema %s", name, schema_id);
    return s_db_error (self->db, "field id", err);
}

void
panda_views_row_cursor (uint64_t idx, const char *name, const panda_hash_t *writer, uint8_t cursor[32])
{
    char head[32];
    int n = snprintf (head, sizeof head, "%" PRIu64, idx);
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_to_hex (writer, hex);
    panda_blake3_t h;
    panda_blake3_init (&h);
    panda_blake3_update (&h, head, (size_t) n);
    panda_blake3_update (&h, name, strlen (name));
    panda_blake3_update (&h, hex, PANDA_HASH_HEX_SIZE);
    panda_blake3_final (&h, cursor, 32);
}
