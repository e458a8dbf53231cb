/*  panda_materialize.c - the materialiser's run: entries in arrival order,
    each applied incrementally or by rebuilding its document. See
    panda_materialize.h; pinned views and schemas are in
    panda_materialize_deps.c.                                              */
#include "panda_materialize_int.h"

#include "panda/panda_view_id.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_sql[PANDA_MATERIALIZE_SQL_COUNT_] = {
    [PANDA_MATERIALIZE_SQL_WANTED_ANY] = "SELECT EXISTS (SELECT 1 FROM wanted)",
    [PANDA_MATERIALIZE_SQL_WANTED_BY] = "SELECT target FROM wanted WHERE operation = ?1",
    [PANDA_MATERIALIZE_SQL_WANT] = "INSERT OR IGNORE INTO wanted (operation, target) VALUES (?1, ?2)",
    [PANDA_MATERIALIZE_SQL_UNWANT] = "DELETE FROM wanted WHERE target = ?1",
    [PANDA_MATERIALIZE_SQL_DEFINITIONS_PINNING] =
        "SELECT v.id FROM pins p JOIN views v ON v.id = p.view JOIN documents d ON d.id = v.document"
        " WHERE p.target = ?1 AND d.view = v.id AND d.schema = '" PANDA_SCHEMA_ID_SCHEMA_DEFINITION "'",
    [PANDA_MATERIALIZE_SQL_VIEW_FIELDS] =
        "SELECT s.name, f.value FROM fields f JOIN schema_fields s ON s.id = f.field"
        " WHERE f.view = ?1 ORDER BY s.name, f.idx",
    [PANDA_MATERIALIZE_SQL_VIEW_DOCUMENT] =
        "SELECT v.view_id, d.document_id FROM views v JOIN documents d ON d.id = v.document WHERE v.id = ?1",
    [PANDA_MATERIALIZE_SQL_SCHEMA_KNOWN] = "SELECT 1 FROM schemas WHERE id = ?1",
};

void
panda_materialize_fail (panda_materializer_t *self, const panda_hash_t *document_id, const char *format, ...)
{
    self->failures++;
    if (!self->log)
        return;
    char message[PANDA_ERROR_MESSAGE_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    self->log (self->log_ctx, document_id, message);
}

panda_materializer_t *
panda_materializer_new (panda_store_t *store, panda_views_t *views, panda_error_t *err)
{
    panda_materializer_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
        return NULL;
    }
    self->store = store;
    self->views = views;
    self->db = panda_views_db (views);
    self->writer = panda_views_writer_new (views, err);
    if (!self->writer)
        goto fail;
    for (int i = 0; i < PANDA_MATERIALIZE_SQL_COUNT_; i++)
        if (sqlite3_prepare_v3 (self->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &self->stmt[i], NULL) !=
            SQLITE_OK) {
            panda_error_set (err, PANDA_ERR_IO, "materialiser: %s: %s", s_sql[i], sqlite3_errmsg (self->db));
            goto fail;
        }
    return self;
fail:
    panda_materializer_destroy (&self);
    return NULL;
}

static void
s_schemas_clear (panda_materializer_t *self)
{
    for (size_t i = 0; i < self->schema_count; i++)
        free (self->schemas[i]);
    self->schema_count = 0;
}

static void
s_changes_clear (panda_materializer_t *self)
{
    for (size_t i = 0; i < self->change_count; i++) {
        free (self->changes[i].schema_id);
        free (self->changes[i].view_id);
    }
    self->change_count = 0;
}

//  Record a change of the current run, if anybody listens.
static panda_err_t
s_changed (panda_materializer_t *self, panda_materializer_change_t change, const char *schema_id,
           const panda_hash_t *document_id, const char *view_id, panda_error_t *err)
{
    if (!self->on_change)
        return PANDA_OK;
    if (self->change_count == self->change_capacity) {
        size_t capacity = self->change_capacity ? 2 * self->change_capacity : 64;
        struct panda_materialize_change *grown = realloc (self->changes, capacity * sizeof (*grown));
        if (!grown)
            return panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
        self->changes = grown;
        self->change_capacity = capacity;
    }
    struct panda_materialize_change *c = &self->changes[self->change_count];
    *c = (struct panda_materialize_change){change, *document_id, strdup (schema_id), strdup (view_id)};
    if (!c->schema_id || !c->view_id) {
        free (c->schema_id);
        free (c->view_id);
        return panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
    }
    self->change_count++;
    return PANDA_OK;
}

void
panda_materializer_destroy (panda_materializer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_materializer_t *self = *self_p;
    for (int i = 0; i < PANDA_MATERIALIZE_SQL_COUNT_; i++)
        sqlite3_finalize (self->stmt[i]);
    panda_views_writer_destroy (&self->writer);
    s_schemas_clear (self);
    free (self->schemas);
    s_changes_clear (self);
    free (self->changes);
    free (self);
    *self_p = NULL;
}

void
panda_materializer_set_log (panda_materializer_t *self, panda_materializer_log_fn *fn, void *ctx)
{
    self->log = fn;
    self->log_ctx = ctx;
}

void
panda_materializer_set_changes (panda_materializer_t *self, panda_materializer_change_fn *fn, void *ctx)
{
    self->on_change = fn;
    self->change_ctx = ctx;
}

uint64_t
panda_materializer_failures (const panda_materializer_t *self)
{
    return self->failures;
}

//  --------------------------------------------------------------------------
//  A document's operations

void
panda_materialize_ops_fini (panda_materialize_ops_t *ops)
{
    panda_document_builder_destroy (&ops->builder);
    for (size_t i = 0; i < ops->count; i++)
        panda_operation_destroy (&ops->ops[i]);
    free (ops->ops);
    free (ops->ids);
    memset (ops, 0, sizeof *ops);
}

static panda_err_t
s_ops_add (void *ctx, const panda_hash_t *operation_id, int64_t position, const uint8_t *bytes, size_t len)
{
    panda_materialize_ops_t *ops = ctx;
    if (position > ops->until)
        return PANDA_OK;
    if (ops->count == ops->capacity) {
        size_t capacity = ops->capacity ? 2 * ops->capacity : 16;
        panda_operation_t **grown = realloc (ops->ops, capacity * sizeof (*grown));
        if (grown)
            ops->ops = grown;
        panda_hash_t *ids = realloc (ops->ids, capacity * sizeof (*ids));
        if (ids)
            ops->ids = ids;
        if (!grown || !ids)
            return PANDA_ERR_NOMEM;
        ops->capacity = capacity;
    }
    panda_error_t err;
    panda_operation_t *op = panda_operation_decode (bytes, len, &err);
    if (!op) //  stored operations were decoded before: only memory fails
        return err.code == PANDA_ERR_NOMEM ? PANDA_ERR_NOMEM : PANDA_ERR_INTERNAL;
    ops->ops[ops->count] = op;
    ops->ids[ops->count++] = *operation_id;
    return PANDA_OK;
}

panda_err_t
panda_materialize_ops_load (panda_materializer_t *self, const panda_hash_t *document_id, int64_t until,
                            panda_materialize_ops_t *ops, panda_error_t *err)
{
    panda_materialize_ops_fini (ops);
    ops->until = until;
    panda_err_t rc = panda_store_document_operations (self->store, document_id, s_ops_add, ops, err);
    if (rc == PANDA_ERR_NOMEM || rc == PANDA_ERR_INTERNAL)
        return panda_error_set (err, rc, "materialiser: cannot load the operations of a document");
    if (rc != PANDA_OK)
        return rc;
    ops->builder = panda_document_builder_new ();
    if (!ops->builder)
        return panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
    for (size_t i = 0; rc == PANDA_OK && i < ops->count; i++)
        rc = panda_document_builder_add (ops->builder, &ops->ids[i], ops->ops[i], err);
    return rc;
}

panda_views_field_t *
panda_materialize_view_fields (const panda_document_view_t *view, size_t *count)
{
    *count = panda_document_view_field_count (view);
    panda_views_field_t *fields = malloc ((*count ? *count : 1) * sizeof (*fields));
    for (size_t i = 0; fields && i < *count; i++) {
        fields[i].name = panda_document_view_field_name (view, i);
        fields[i].value = panda_document_view_field_value (view, i);
        fields[i].writer = panda_document_view_field_writer (view, i);
    }
    return fields;
}

//  The walk of view ends in one of its tips, emitted only there: an UPDATE
//  on exactly this view id then extends the walk by itself alone.
static bool
s_tail_clean (const panda_document_view_t *view)
{
    size_t n = 0, tips = 0;
    const panda_hash_t *sorted = panda_document_view_sorted (view, &n);
    const panda_hash_t *ids = panda_document_view_id (view, &tips);
    if (n == 0)
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (panda_hash_eq (&sorted[i], &sorted[n - 1]))
            return false;
    for (size_t i = 0; i < tips; i++)
        if (panda_hash_eq (&ids[i], &sorted[n - 1]))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  One entry

//  Writer errors that concern the document only (unknown schema, bad value)
//  are reported, not fatal.
static panda_err_t
s_write_result (panda_materializer_t *self, const panda_hash_t *document_id, panda_err_t rc,
                panda_error_t *err)
{
    if (rc == PANDA_OK || PANDA_MATERIALIZE_FATAL (rc))
        return rc;
    panda_materialize_fail (self, document_id, "%s", err ? err->message : "cannot write view");
    return PANDA_ERR_DOCUMENT;
}

//  Rebuild the document from its operations up to position p.
static panda_err_t
s_rebuild (panda_materializer_t *self, const panda_store_stored_t *stored, const panda_views_document_t *doc,
           char **view_id_p, panda_error_t *err)
{
    panda_materialize_ops_t ops = {0};
    panda_document_view_t *view = NULL;
    panda_error_t build_err;
    panda_err_t rc = panda_materialize_ops_load (self, stored->document_id, stored->position, &ops, err);
    if (rc == PANDA_OK && panda_document_build (ops.builder, &view, &build_err) != PANDA_OK) {
        if (PANDA_MATERIALIZE_FATAL (build_err.code))
            rc = panda_error_set (err, build_err.code, "%s", build_err.message);
        else {
            panda_materialize_fail (self, stored->document_id, "%s", build_err.message);
            rc = panda_views_set_failed (self->writer, doc->rowid, true, err);
        }
    } else if (rc == PANDA_OK && panda_document_view_deleted (view)) {
        if (!doc->deleted)
            rc = panda_views_delete_document (self->writer, doc->rowid, err);
        if (rc == PANDA_OK && !doc->deleted)
            rc = s_changed (self, PANDA_MATERIALIZER_DELETED, doc->schema_id, stored->document_id,
                            panda_document_view_id_str (view), err);
    } else if (rc == PANDA_OK) {
        size_t count = 0;
        panda_views_field_t *fields = panda_materialize_view_fields (view, &count);
        size_t walked = 0;
        panda_document_view_sorted (view, &walked);
        rc = fields ? panda_views_put_current (self->writer, stored->document_id, doc->schema_id,
                                               stored->public_key, panda_document_view_id_str (view), fields,
                                               count, walked > 1, s_tail_clean (view), NULL, err)
                    : panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
        free (fields);
        rc = s_write_result (self, stored->document_id, rc, err);
        if (rc == PANDA_OK && !(*view_id_p = strdup (panda_document_view_id_str (view))))
            rc = panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
        if (rc == PANDA_OK)
            rc = s_changed (self, PANDA_MATERIALIZER_UPDATED, doc->schema_id, stored->document_id, *view_id_p,
                            err);
    }
    panda_document_view_destroy (&view);
    panda_materialize_ops_fini (&ops);
    return rc == PANDA_ERR_DOCUMENT ? PANDA_OK : rc;
}

//  Fields of an operation, all written by it.
static panda_views_field_t *
s_op_fields (const panda_operation_t *op, const panda_hash_t *writer, size_t *count)
{
    *count = panda_operation_field_count (op);
    panda_views_field_t *fields = malloc ((*count ? *count : 1) * sizeof (*fields));
    for (size_t i = 0; fields && i < *count; i++)
        fields[i] = (panda_views_field_t){panda_operation_field_name (op, i),
                                          panda_operation_field_value (op, i), writer};
    return fields;
}

//  Whether op continues doc's current view alone (see panda_materialize.h).
static bool
s_is_incremental (const panda_views_document_t *doc, const panda_operation_t *op)
{
    if (!doc->incremental || doc->failed || doc->deleted || !doc->view_id ||
        strcmp (panda_operation_schema_id (op), doc->schema_id) != 0)
        return false;
    size_t n = 0;
    const panda_hash_t *previous = panda_operation_previous (op, &n);
    size_t len = panda_view_id_string_len (n);
    if (n == 0 || strlen (doc->view_id) != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char hex[PANDA_HASH_HEX_SIZE + 1];
        panda_hash_to_hex (&previous[i], hex);
        if (memcmp (doc->view_id + i * (PANDA_HASH_HEX_SIZE + 1), hex, PANDA_HASH_HEX_SIZE) != 0)
            return false;
    }
    return true;
}

//  Apply an operation: CREATE, incremental UPDATE/DELETE, or rebuild.
//  *view_id_p gets the new current view id (caller frees), if any.
static panda_err_t
s_apply (panda_materializer_t *self, const panda_store_stored_t *stored, const panda_operation_t *op,
         const panda_views_document_t *doc, char **view_id_p, panda_error_t *err)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_to_hex (stored->operation_id, hex);
    panda_action_t action = panda_operation_action (op);
    if (action != PANDA_ACTION_CREATE && !doc->rowid) {
        panda_materialize_fail (self, stored->document_id, "document %s is not materialised", hex);
        return PANDA_OK;
    }
    if (action == PANDA_ACTION_DELETE && s_is_incremental (doc, op)) {
        panda_err_t rc = panda_views_delete_document (self->writer, doc->rowid, err);
        return rc == PANDA_OK ? s_changed (self, PANDA_MATERIALIZER_DELETED, doc->schema_id,
                                           stored->document_id, hex, err)
                              : rc;
    }
    if (action != PANDA_ACTION_CREATE && !s_is_incremental (doc, op))
        return s_rebuild (self, stored, doc, view_id_p, err);
    if (action == PANDA_ACTION_CREATE && doc->rowid)
        return PANDA_OK; //  materialised already
    size_t count = 0;
    panda_views_field_t *fields = s_op_fields (op, stored->operation_id, &count);
    if (!fields)
        return panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
    panda_err_t rc =
        action == PANDA_ACTION_CREATE
            ? panda_views_put_current (self->writer, stored->document_id, panda_operation_schema_id (op),
                                       stored->public_key, hex, fields, count, false, true, NULL, err)
            : panda_views_advance (self->writer, doc, hex, fields, count, err);
    free (fields);
    rc = s_write_result (self, stored->document_id, rc, err);
    if (rc == PANDA_OK && !(*view_id_p = strdup (hex)))
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
    if (rc == PANDA_OK)
        rc =
            action == PANDA_ACTION_CREATE
                ? s_changed (self, PANDA_MATERIALIZER_CREATED, panda_operation_schema_id (op),
                             stored->document_id, hex, err)
                : s_changed (self, PANDA_MATERIALIZER_UPDATED, doc->schema_id, stored->document_id, hex, err);
    return rc == PANDA_ERR_DOCUMENT ? PANDA_OK : rc;
}

typedef struct {
    panda_materializer_t *self;
    panda_error_t *err;
    int64_t last;
} s_run_t;

static panda_err_t
s_entry (void *ctx, const panda_store_stored_t *stored)
{
    s_run_t *run = ctx;
    panda_materializer_t *self = run->self;
    run->last = stored->position;
    panda_error_t op_err;
    panda_operation_t *op = panda_operation_decode (stored->operation, stored->len, &op_err);
    if (!op) {
        if (op_err.code == PANDA_ERR_NOMEM)
            return panda_error_set (run->err, PANDA_ERR_NOMEM, "materialiser: out of memory");
        panda_materialize_fail (self, stored->document_id, "%s", op_err.message);
        return PANDA_OK;
    }
    panda_views_document_t doc;
    char *view_id = NULL;
    panda_err_t rc = panda_views_document_get (self->writer, stored->document_id, &doc, run->err);
    if (rc == PANDA_OK)
        rc = s_apply (self, stored, op, &doc, &view_id, run->err);
    if (rc == PANDA_OK)
        rc = panda_materialize_deps_after (self, doc.rowid ? doc.schema_id : panda_operation_schema_id (op),
                                           view_id, stored->operation_id, stored->position, run->err);
    free (view_id);
    panda_views_document_clear (&doc);
    panda_operation_destroy (&op);
    return rc;
}

static panda_err_t
s_wanted_any (panda_materializer_t *self, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_WANTED_ANY];
    int step = sqlite3_step (stmt);
    self->wanted_any = step == SQLITE_ROW && sqlite3_column_int (stmt, 0);
    sqlite3_reset (stmt);
    return step == SQLITE_ROW
               ? PANDA_OK
               : panda_error_set (err, PANDA_ERR_IO, "materialiser: %s", sqlite3_errmsg (self->db));
}

panda_err_t
panda_materializer_run (panda_materializer_t *self, size_t max, size_t *done,
                        panda_materializer_schema_fn *on_schema, void *ctx, panda_error_t *err)
{
    if (done)
        *done = 0;
    int64_t position = 0;
    size_t count = 0;
    panda_err_t rc = panda_views_position (self->views, &position, err);
    if (rc == PANDA_OK)
        rc = panda_views_begin (self->views, err);
    if (rc != PANDA_OK)
        return rc;
    panda_views_writer_reset (self->writer);
    s_schemas_clear (self);
    s_changes_clear (self);
    s_run_t run = {self, err, position};
    rc = s_wanted_any (self, err);
    if (rc == PANDA_OK)
        rc = panda_store_entries_since (self->store, position, max, s_entry, &run, &count, err);
    if (rc == PANDA_OK)
        rc = panda_views_prune (self->writer, NULL, err);
    if (rc == PANDA_OK && count > 0)
        rc = panda_views_set_position (self->views, run.last, err);
    if (rc == PANDA_OK)
        rc = panda_views_commit (self->views, err);
    if (rc != PANDA_OK) {
        panda_views_rollback (self->views);
        panda_views_writer_reset (self->writer);
        s_schemas_clear (self);
        s_changes_clear (self);
        return rc;
    }
    for (size_t i = 0; on_schema && i < self->schema_count; i++)
        on_schema (ctx, self->schemas[i]);
    s_schemas_clear (self);
    for (size_t i = 0; self->on_change && i < self->change_count; i++) {
        const struct panda_materialize_change *c = &self->changes[i];
        self->on_change (self->change_ctx, c->change, c->schema_id, &c->document_id, c->view_id);
    }
    s_changes_clear (self);
    if (done)
        *done = count;
    return PANDA_OK;
}
