/*  panda_views_write.c - the write side of the views database: current,
    advanced and pinned views, deleted documents, pruning. See the section
    "Writing views" of panda_views.h.

    Every write first resolves all fields (schema field id and kind, value
    kind: panda_views_fields.c) and only then touches the tables, so a bad
    view writes nothing and the caller's transaction stays usable.          */
#include "panda_views_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const s_sql[PANDA_VIEWS_SQL_COUNT_] = {
    [PANDA_VIEWS_SQL_DOC_GET] =
        "SELECT d.id, d.view, d.schema, d.edited, d.deleted, d.incremental, d.failed, v.view_id"
        " FROM documents d LEFT JOIN views v ON v.id = d.view WHERE d.document_id = ?1",
    [PANDA_VIEWS_SQL_DOC_INSERT] = "INSERT INTO documents (document_id, schema, owner) VALUES (?1, ?2, ?3)",
    [PANDA_VIEWS_SQL_DOC_SET] =
        "UPDATE documents SET view = ?2, edited = ?3, incremental = ?4, failed = 0, deleted = 0"
        " WHERE id = ?1",
    [PANDA_VIEWS_SQL_DOC_ADVANCE] = "UPDATE documents SET view = ?2, edited = 1 WHERE id = ?1",
    [PANDA_VIEWS_SQL_DOC_FAILED] = "UPDATE documents SET failed = ?2 WHERE id = ?1",
    [PANDA_VIEWS_SQL_DOC_DELETE] =
        "UPDATE documents SET view = NULL, deleted = 1, incremental = 0 WHERE id = ?1",
    [PANDA_VIEWS_SQL_VIEW_FIND] = "SELECT id, document FROM views WHERE view_id = ?1",
    [PANDA_VIEWS_SQL_VIEW_INSERT] = "INSERT INTO views (document, view_id) VALUES (?1, ?2)",
    [PANDA_VIEWS_SQL_VIEW_RENAME] = "UPDATE views SET view_id = ?2 WHERE id = ?1",
    [PANDA_VIEWS_SQL_VIEW_DELETE] = "DELETE FROM views WHERE id = ?1",
    [PANDA_VIEWS_SQL_VIEWS_OF_DOC] = "SELECT id FROM views WHERE document = ?1",
    [PANDA_VIEWS_SQL_FIELDS_DELETE_VIEW] = "DELETE FROM fields WHERE view = ?1",
    [PANDA_VIEWS_SQL_FIELDS_DELETE_FIELD] = "DELETE FROM fields WHERE view = ?1 AND field = ?2",
    [PANDA_VIEWS_SQL_FIELD_INSERT] =
        "INSERT INTO fields (view, field, idx, value, writer, cursor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [PANDA_VIEWS_SQL_FIELDS_COPY] =
        "INSERT INTO fields SELECT ?2, field, idx, value, writer, cursor FROM fields WHERE view = ?1",
    [PANDA_VIEWS_SQL_PINS_COPY] = "INSERT INTO pins SELECT ?2, field, target FROM pins WHERE view = ?1",
    [PANDA_VIEWS_SQL_PINS_OF_VIEW] = "SELECT target FROM pins WHERE view = ?1",
    [PANDA_VIEWS_SQL_PINS_OF_FIELD] = "SELECT target FROM pins WHERE view = ?1 AND field = ?2",
    [PANDA_VIEWS_SQL_PINS_DELETE_VIEW] = "DELETE FROM pins WHERE view = ?1",
    [PANDA_VIEWS_SQL_PINS_DELETE_FIELD] = "DELETE FROM pins WHERE view = ?1 AND field = ?2",
    [PANDA_VIEWS_SQL_PIN_INSERT] = "INSERT INTO pins (view, field, target) VALUES (?1, ?2, ?3)",
    [PANDA_VIEWS_SQL_PINNED] =
        "SELECT 1 FROM pins p JOIN views v ON v.id = p.view JOIN documents d ON d.id = v.document"
        " WHERE p.target = ?1 AND d.view = v.id LIMIT 1",
    [PANDA_VIEWS_SQL_CURRENT_OF] =
        "SELECT v.id, d.view FROM views v JOIN documents d ON d.id = v.document WHERE v.view_id = ?1",
    [PANDA_VIEWS_SQL_SCHEMA_FIELDS] = "SELECT id, name, type FROM schema_fields WHERE schema = ?1",
    [PANDA_VIEWS_SQL_BLOB_RELATED] = "INSERT OR IGNORE INTO blob_refs VALUES (?1)",
    [PANDA_VIEWS_SQL_BLOB_PINNED] = "INSERT OR IGNORE INTO blob_refs SELECT d.document_id FROM views v"
                                    " JOIN documents d ON d.id = v.document WHERE v.view_id = ?1",
};

panda_err_t
panda_views_write_db_error (panda_views_writer_t *self, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "views: %s: %s", what, sqlite3_errmsg (self->db));
}

panda_err_t
panda_views_write_nomem (panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_NOMEM, "views: out of memory");
}

//  Bind-and-step helpers: run a statement to completion and reset it.
panda_err_t
panda_views_write_done (panda_views_writer_t *self, panda_views_sql_t which, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[which];
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? PANDA_OK : panda_views_write_db_error (self, s_sql[which], err);
}

static panda_err_t
s_exec_id (panda_views_writer_t *self, panda_views_sql_t which, int64_t a, panda_error_t *err)
{
    sqlite3_bind_int64 (self->stmt[which], 1, a);
    return panda_views_write_done (self, which, err);
}

static panda_err_t
s_exec_ids (panda_views_writer_t *self, panda_views_sql_t which, int64_t a, int64_t b, panda_error_t *err)
{
    sqlite3_bind_int64 (self->stmt[which], 1, a);
    sqlite3_bind_int64 (self->stmt[which], 2, b);
    return panda_views_write_done (self, which, err);
}

panda_err_t
panda_views_write_push (panda_views_strings_t *self, const char *text, size_t len, panda_error_t *err)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? 2 * self->capacity : 16;
        char **items = realloc (self->items, capacity * sizeof (char *));
        if (!items)
            return panda_views_write_nomem (err);
        self->items = items;
        self->capacity = capacity;
    }
    char *copy = malloc (len + 1);
    if (!copy)
        return panda_views_write_nomem (err);
    memcpy (copy, text, len);
    copy[len] = '\0';
    self->items[self->count++] = copy;
    return PANDA_OK;
}

static void
s_strings_clear (panda_views_strings_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free (self->items[i]);
    self->count = 0;
}

//  Collect the targets a statement (bound already) returns as candidates.
static panda_err_t
s_collect (panda_views_writer_t *self, panda_views_sql_t which, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[which];
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW)
        rc = panda_views_write_push (&self->candidates, (const char *) sqlite3_column_text (stmt, 0),
                                     (size_t) sqlite3_column_bytes (stmt, 0), err);
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_views_write_db_error (self, s_sql[which], err);
    sqlite3_reset (stmt);
    return rc;
}

//  Empty view row `view` of fields and pins (pin targets become candidates).
static panda_err_t
s_clear_view (panda_views_writer_t *self, int64_t view, panda_error_t *err)
{
    sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_PINS_OF_VIEW], 1, view);
    panda_err_t rc = s_collect (self, PANDA_VIEWS_SQL_PINS_OF_VIEW, err);
    if (rc == PANDA_OK)
        rc = s_exec_id (self, PANDA_VIEWS_SQL_PINS_DELETE_VIEW, view, err);
    if (rc == PANDA_OK)
        rc = s_exec_id (self, PANDA_VIEWS_SQL_FIELDS_DELETE_VIEW, view, err);
    return rc;
}

static panda_err_t
s_delete_view (panda_views_writer_t *self, int64_t view, panda_error_t *err)
{
    panda_err_t rc = s_clear_view (self, view, err);
    return rc == PANDA_OK ? s_exec_id (self, PANDA_VIEWS_SQL_VIEW_DELETE, view, err) : rc;
}

//  Whether some current view pins view_id.
static panda_err_t
s_pinned (panda_views_writer_t *self, const char *view_id, bool *pinned, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_PINNED];
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    *pinned = step == SQLITE_ROW;
    sqlite3_reset (stmt);
    return step == SQLITE_ROW || step == SQLITE_DONE ? PANDA_OK
                                                     : panda_views_write_db_error (self, "pinned", err);
}

static panda_err_t
s_view_insert (panda_views_writer_t *self, int64_t document, const char *view_id, int64_t *row,
               panda_error_t *err)
{
    sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_VIEW_INSERT], 1, document);
    sqlite3_bind_text (self->stmt[PANDA_VIEWS_SQL_VIEW_INSERT], 2, view_id, -1, SQLITE_STATIC);
    panda_err_t rc = panda_views_write_done (self, PANDA_VIEWS_SQL_VIEW_INSERT, err);
    *row = sqlite3_last_insert_rowid (self->db);
    return rc;
}

//  --------------------------------------------------------------------------
//  Public

panda_views_writer_t *
panda_views_writer_new (panda_views_t *views, panda_error_t *err)
{
    panda_views_writer_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_views_write_nomem (err);
        return NULL;
    }
    self->db = panda_views_db (views);
    for (int i = 0; i < PANDA_VIEWS_SQL_COUNT_; i++)
        if (sqlite3_prepare_v3 (self->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmt[i], NULL) !=
            SQLITE_OK) {
            panda_views_write_db_error (self, s_sql[i], err);
            panda_views_writer_destroy (&self);
            return NULL;
        }
    return self;
}

void
panda_views_writer_destroy (panda_views_writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_views_writer_t *self = *self_p;
    for (int i = 0; i < PANDA_VIEWS_SQL_COUNT_; i++)
        sqlite3_finalize (self->stmt[i]);
    panda_views_fields_cache_free (self);
    s_strings_clear (&self->candidates);
    s_strings_clear (&self->pins);
    free (self->candidates.items);
    free (self->pins.items);
    free (self);
    *self_p = NULL;
}

void
panda_views_writer_reset (panda_views_writer_t *self)
{
    s_strings_clear (&self->candidates);
    s_strings_clear (&self->pins);
}

panda_err_t
panda_views_document_get (panda_views_writer_t *self, const panda_hash_t *document_id,
                          panda_views_document_t *doc, panda_error_t *err)
{
    memset (doc, 0, sizeof *doc);
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_DOC_GET];
    sqlite3_bind_blob (stmt, 1, document_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    panda_err_t rc = PANDA_OK;
    if (step == SQLITE_ROW) {
        doc->rowid = sqlite3_column_int64 (stmt, 0);
        doc->view = sqlite3_column_int64 (stmt, 1);
        doc->schema_id = strdup ((const char *) sqlite3_column_text (stmt, 2));
        doc->edited = sqlite3_column_int (stmt, 3);
        doc->deleted = sqlite3_column_int (stmt, 4);
        doc->incremental = sqlite3_column_int (stmt, 5);
        doc->failed = sqlite3_column_int (stmt, 6);
        if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
            doc->view_id = strdup ((const char *) sqlite3_column_text (stmt, 7));
        if (!doc->schema_id || (doc->view && !doc->view_id))
            rc = panda_views_write_nomem (err);
    } else if (step != SQLITE_DONE)
        rc = panda_views_write_db_error (self, "read document", err);
    sqlite3_reset (stmt);
    if (rc != PANDA_OK)
        panda_views_document_clear (doc);
    return rc;
}

void
panda_views_document_clear (panda_views_document_t *doc)
{
    free (doc->view_id);
    free (doc->schema_id);
    memset (doc, 0, sizeof *doc);
}

panda_err_t
panda_views_view_find (panda_views_writer_t *self, const char *view_id, int64_t *document_p, int64_t *row_p,
                       panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_VIEW_FIND];
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    if (row_p)
        *row_p = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    if (document_p)
        *document_p = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 1) : 0;
    sqlite3_reset (stmt);
    return step == SQLITE_ROW || step == SQLITE_DONE ? PANDA_OK
                                                     : panda_views_write_db_error (self, "find view", err);
}

//  The documents row of document_id, inserted if absent.
static panda_err_t
s_document_row (panda_views_writer_t *self, const panda_hash_t *document_id, const char *schema_id,
                const panda_public_key_t *owner, panda_views_document_t *doc, panda_error_t *err)
{
    panda_err_t rc = panda_views_document_get (self, document_id, doc, err);
    if (rc != PANDA_OK || doc->rowid)
        return rc;
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_DOC_INSERT];
    sqlite3_bind_blob (stmt, 1, document_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, schema_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 3, owner->bytes, PANDA_PUBLIC_KEY_SIZE, SQLITE_STATIC);
    rc = panda_views_write_done (self, PANDA_VIEWS_SQL_DOC_INSERT, err);
    doc->rowid = sqlite3_last_insert_rowid (self->db);
    return rc;
}

//  Pick the views row that will hold view_id as the current view of doc:
//  an existing row of that view (*fill false: its rows are right already),
//  the old current view's row when nothing else needs it, or a new row.
static panda_err_t
s_current_row (panda_views_writer_t *self, const panda_views_document_t *doc, const char *view_id,
               int64_t *row, bool *fill, panda_error_t *err)
{
    *fill = false;
    panda_err_t rc = panda_views_view_find (self, view_id, NULL, row, err);
    if (rc != PANDA_OK || *row) {
        if (rc == PANDA_OK && doc->view && doc->view != *row)
            rc = panda_views_write_push (&self->candidates, doc->view_id, strlen (doc->view_id), err);
        return rc;
    }
    *fill = true;
    bool pinned = false;
    if (doc->view && (rc = s_pinned (self, doc->view_id, &pinned, err)) != PANDA_OK)
        return rc;
    if (doc->view && !pinned) {
        *row = doc->view;
        rc = s_clear_view (self, *row, err);
        sqlite3_bind_text (self->stmt[PANDA_VIEWS_SQL_VIEW_RENAME], 2, view_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_VIEW_RENAME], 1, *row);
        return rc == PANDA_OK ? panda_views_write_done (self, PANDA_VIEWS_SQL_VIEW_RENAME, err) : rc;
    }
    return s_view_insert (self, doc->rowid, view_id, row, err);
}

panda_err_t
panda_views_put_current (panda_views_writer_t *self, const panda_hash_t *document_id, const char *schema_id,
                         const panda_public_key_t *owner, const char *view_id,
                         const panda_views_field_t *fields, size_t count, bool edited, bool incremental,
                         int64_t *rowid_p, panda_error_t *err)
{
    panda_views_resolved_t *resolved = NULL;
    panda_err_t rc = panda_views_fields_resolve (self, schema_id, fields, count, &resolved, err);
    if (rc != PANDA_OK)
        return rc;
    panda_views_document_t doc;
    rc = s_document_row (self, document_id, schema_id, owner, &doc, err);
    int64_t row = 0;
    bool fill = false;
    if (rc == PANDA_OK)
        rc = s_current_row (self, &doc, view_id, &row, &fill, err);
    for (size_t i = 0; rc == PANDA_OK && fill && i < count; i++)
        rc = panda_views_fields_write (self, row, &resolved[i], &fields[i], true, err);
    if (rc == PANDA_OK) {
        sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_DOC_SET];
        sqlite3_bind_int64 (stmt, 1, doc.rowid);
        sqlite3_bind_int64 (stmt, 2, row);
        sqlite3_bind_int (stmt, 3, edited);
        sqlite3_bind_int (stmt, 4, incremental);
        rc = panda_views_write_done (self, PANDA_VIEWS_SQL_DOC_SET, err);
    }
    if (rc == PANDA_OK && rowid_p)
        *rowid_p = doc.rowid;
    panda_views_document_clear (&doc);
    free (resolved);
    return rc;
}

//  Copy view row from into a new row of document for view_id.
static panda_err_t
s_copy_view (panda_views_writer_t *self, int64_t document, int64_t from, const char *view_id, int64_t *row,
             panda_error_t *err)
{
    panda_err_t rc = s_view_insert (self, document, view_id, row, err);
    if (rc == PANDA_OK)
        rc = s_exec_ids (self, PANDA_VIEWS_SQL_FIELDS_COPY, from, *row, err);
    if (rc == PANDA_OK)
        rc = s_exec_ids (self, PANDA_VIEWS_SQL_PINS_COPY, from, *row, err);
    return rc;
}

panda_err_t
panda_views_advance (panda_views_writer_t *self, const panda_views_document_t *doc, const char *view_id,
                     const panda_views_field_t *changed, size_t count, panda_error_t *err)
{
    if (PANDA_NEVER (!doc->view))
        return panda_error_set (err, PANDA_ERR_INTERNAL, "views: advancing a deleted document");
    panda_views_resolved_t *resolved = NULL;
    panda_err_t rc = panda_views_fields_resolve (self, doc->schema_id, changed, count, &resolved, err);
    if (rc != PANDA_OK)
        return rc;
    bool pinned = false;
    int64_t row = doc->view;
    rc = s_pinned (self, doc->view_id, &pinned, err);
    if (rc == PANDA_OK && pinned)
        rc = s_copy_view (self, doc->rowid, doc->view, view_id, &row, err);
    else if (rc == PANDA_OK) {
        sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_VIEW_RENAME], 1, row);
        sqlite3_bind_text (self->stmt[PANDA_VIEWS_SQL_VIEW_RENAME], 2, view_id, -1, SQLITE_STATIC);
        rc = panda_views_write_done (self, PANDA_VIEWS_SQL_VIEW_RENAME, err);
    }
    for (size_t i = 0; rc == PANDA_OK && i < count; i++) {
        panda_field_kind_t kind = resolved[i].kind;
        if (kind == PANDA_FIELD_PINNED_RELATION || kind == PANDA_FIELD_PINNED_RELATION_LIST) {
            sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_PINS_OF_FIELD], 1, row);
            sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_PINS_OF_FIELD], 2, resolved[i].id);
            rc = s_collect (self, PANDA_VIEWS_SQL_PINS_OF_FIELD, err);
            if (rc == PANDA_OK)
                rc = s_exec_ids (self, PANDA_VIEWS_SQL_PINS_DELETE_FIELD, row, resolved[i].id, err);
        }
        if (rc == PANDA_OK)
            rc = s_exec_ids (self, PANDA_VIEWS_SQL_FIELDS_DELETE_FIELD, row, resolved[i].id, err);
        if (rc == PANDA_OK)
            rc = panda_views_fields_write (self, row, &resolved[i], &changed[i], true, err);
    }
    if (rc == PANDA_OK)
        rc = s_exec_ids (self, PANDA_VIEWS_SQL_DOC_ADVANCE, doc->rowid, row, err);
    free (resolved);
    return rc;
}

panda_err_t
panda_views_put_pinned (panda_views_writer_t *self, int64_t document, const char *schema_id,
                        const char *view_id, const panda_views_field_t *fields, size_t count,
                        panda_error_t *err)
{
    int64_t row = 0;
    panda_err_t rc = panda_views_view_find (self, view_id, NULL, &row, err);
    if (rc != PANDA_OK || row)
        return rc;
    panda_views_resolved_t *resolved = NULL;
    rc = panda_views_fields_resolve (self, schema_id, fields, count, &resolved, err);
    if (rc == PANDA_OK)
        rc = s_view_insert (self, document, view_id, &row, err);
    for (size_t i = 0; rc == PANDA_OK && i < count; i++)
        rc = panda_views_fields_write (self, row, &resolved[i], &fields[i], false, err);
    //  Unneeded once no current view pins it: let prune decide.
    if (rc == PANDA_OK)
        rc = panda_views_write_push (&self->candidates, view_id, strlen (view_id), err);
    free (resolved);
    return rc;
}

panda_err_t
panda_views_delete_document (panda_views_writer_t *self, int64_t document, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_VIEWS_OF_DOC];
    sqlite3_bind_int64 (stmt, 1, document);
    int64_t *rows = NULL;
    size_t n = 0, capacity = 0;
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (n == capacity) {
            capacity = capacity ? 2 * capacity : 4;
            int64_t *grown = realloc (rows, capacity * sizeof (int64_t));
            if (!grown) {
                rc = panda_views_write_nomem (err);
                break;
            }
            rows = grown;
        }
        rows[n++] = sqlite3_column_int64 (stmt, 0);
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_views_write_db_error (self, "views of document", err);
    sqlite3_reset (stmt);
    for (size_t i = 0; rc == PANDA_OK && i < n; i++)
        rc = s_delete_view (self, rows[i], err);
    free (rows);
    return rc == PANDA_OK ? s_exec_id (self, PANDA_VIEWS_SQL_DOC_DELETE, document, err) : rc;
}

panda_err_t
panda_views_set_failed (panda_views_writer_t *self, int64_t document, bool failed, panda_error_t *err)
{
    return s_exec_ids (self, PANDA_VIEWS_SQL_DOC_FAILED, document, failed, err);
}

const char *const *
panda_views_new_pins (panda_views_writer_t *self, size_t *count_p)
{
    static const char *const none[1] = {NULL};
    *count_p = self->pins.count;
    return self->pins.count ? (const char *const *) self->pins.items : none;
}

void
panda_views_forget_pins (panda_views_writer_t *self)
{
    s_strings_clear (&self->pins);
}

//  Prune one candidate: delete it if it is stored, not current and not
//  pinned by a current view.
static panda_err_t
s_prune_one (panda_views_writer_t *self, const char *view_id, size_t *pruned, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_CURRENT_OF];
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    int64_t row = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    bool current = step == SQLITE_ROW && sqlite3_column_int64 (stmt, 1) == row;
    sqlite3_reset (stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return panda_views_write_db_error (self, "find view", err);
    if (!row || current)
        return PANDA_OK;
    bool pinned = false;
    panda_err_t rc = s_pinned (self, view_id, &pinned, err);
    if (rc != PANDA_OK || pinned)
        return rc;
    (*pruned)++;
    return s_delete_view (self, row, err);
}

panda_err_t
panda_views_prune (panda_views_writer_t *self, size_t *pruned, panda_error_t *err)
{
    size_t count = 0;
    panda_err_t rc = PANDA_OK;
    //  Deleting a view adds its own pins as candidates; those are only
    //  pinned by a non-current view, which never counts, so one more look
    //  at each is all it takes. Take the list, then check what was added.
    while (rc == PANDA_OK && self->candidates.count > 0) {
        panda_views_strings_t batch = self->candidates;
        memset (&self->candidates, 0, sizeof self->candidates);
        for (size_t i = 0; rc == PANDA_OK && i < batch.count; i++)
            rc = s_prune_one (self, batch.items[i], &count, err);
        s_strings_clear (&batch);
        free (batch.items);
    }
    if (pruned)
        *pruned = count;
    return rc;
}
