/*  panda_materialize_deps.c - what a new current view entails: the older
    views it pins (built when their operations are stored, or as soon as
    they arrive: table wanted), and application schemas, recorded once a
    schema_definition_v1 view and every field definition view it pins are
    materialised, in whatever order their operations came.               */
#include "panda_materialize_int.h"

#include "panda/panda_view_id.h"

#include <stdlib.h>
#include <string.h>

#define S_TRIM_NOT_FOUND "Requested trim nodes not found in graph"

static panda_err_t
s_db_error (panda_materializer_t *self, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "materialiser: %s: %s", what, sqlite3_errmsg (self->db));
}

static panda_err_t
s_nomem (panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_NOMEM, "materialiser: out of memory");
}

//  --------------------------------------------------------------------------
//  Schemas

//  The text fields of one stored view that schemas need.
typedef struct {
    char *name, *description, *type;
    char **fields; //  "fields": pinned view ids in list order
    size_t field_count;
} s_view_text_t;

static void
s_view_text_fini (s_view_text_t *self)
{
    free (self->name);
    free (self->description);
    free (self->type);
    for (size_t i = 0; i < self->field_count; i++)
        free (self->fields[i]);
    free (self->fields);
    memset (self, 0, sizeof *self);
}

static panda_err_t
s_view_text_row (s_view_text_t *self, sqlite3_stmt *stmt, panda_error_t *err)
{
    const char *field = (const char *) sqlite3_column_text (stmt, 0);
    if (sqlite3_column_type (stmt, 1) != SQLITE_TEXT)
        return PANDA_OK; //  an empty list, or not text
    char *value = strdup ((const char *) sqlite3_column_text (stmt, 1));
    if (!value)
        return s_nomem (err);
    char **slot = strcmp (field, "name") == 0          ? &self->name
                  : strcmp (field, "description") == 0 ? &self->description
                  : strcmp (field, "type") == 0        ? &self->type
                                                       : NULL;
    if (slot) {
        free (*slot);
        *slot = value;
        return PANDA_OK;
    }
    if (strcmp (field, "fields") != 0) {
        free (value);
        return PANDA_OK;
    }
    char **grown = realloc (self->fields, (self->field_count + 1) * sizeof (char *));
    if (!grown) {
        free (value);
        return s_nomem (err);
    }
    self->fields = grown;
    self->fields[self->field_count++] = value;
    return PANDA_OK;
}

static panda_err_t
s_view_text (panda_materializer_t *self, int64_t row, s_view_text_t *out, panda_error_t *err)
{
    memset (out, 0, sizeof *out);
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_VIEW_FIELDS];
    sqlite3_bind_int64 (stmt, 1, row);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW)
        rc = s_view_text_row (out, stmt, err);
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_db_error (self, "read view fields", err);
    sqlite3_reset (stmt);
    return rc;
}

//  Field definitions of a schema definition, parsed, with their views.
typedef struct {
    panda_hash_list_t *ids; //  def.fields
    panda_schema_field_def_t *pool;
    s_view_text_t *texts;
    size_t count;
} s_parts_t;

static void
s_parts_fini (s_parts_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        free (self->ids[i].items);
        s_view_text_fini (&self->texts[i]);
    }
    free (self->ids);
    free (self->pool);
    free (self->texts);
}

//  Resolve the field definition views of def; *ready false if one is not
//  materialised yet.
static panda_err_t
s_parts (panda_materializer_t *self, const s_view_text_t *def, s_parts_t *parts, bool *ready,
         panda_error_t *err)
{
    *ready = false;
    size_t n = def->field_count;
    parts->ids = calloc (n ? n : 1, sizeof (panda_hash_list_t));
    parts->pool = calloc (n ? n : 1, sizeof (panda_schema_field_def_t));
    parts->texts = calloc (n ? n : 1, sizeof (s_view_text_t));
    if (!parts->ids || !parts->pool || !parts->texts)
        return s_nomem (err);
    for (size_t i = 0; i < n; i++, parts->count++) {
        int64_t row = 0;
        panda_err_t rc = panda_views_view_find (self->writer, def->fields[i], NULL, &row, err);
        if (rc != PANDA_OK || !row)
            return rc;
        if (panda_view_id_from_string (def->fields[i], strlen (def->fields[i]), &parts->ids[i].items,
                                       &parts->ids[i].count, NULL) != PANDA_OK)
            return PANDA_OK; //  stored pinned values are canonical; never here
        if ((rc = s_view_text (self, row, &parts->texts[i], err)) != PANDA_OK)
            return rc;
        parts->pool[i] = (panda_schema_field_def_t){parts->ids[i].items, parts->ids[i].count,
                                                    parts->texts[i].name, parts->texts[i].type};
    }
    *ready = true;
    return PANDA_OK;
}

static panda_err_t
s_schema_record (panda_materializer_t *self, const panda_schema_t *schema, const panda_hash_t *definition,
                 panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_SCHEMA_KNOWN];
    sqlite3_bind_text (stmt, 1, panda_schema_id (schema), -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (step == SQLITE_ROW)
        return PANDA_OK;
    if (step != SQLITE_DONE)
        return s_db_error (self, "find schema", err);
    panda_err_t rc = panda_views_schema_put (self->views, schema, definition, err);
    if (rc != PANDA_OK)
        return rc;
    if (self->schema_count == self->schema_capacity) {
        size_t capacity = self->schema_capacity ? 2 * self->schema_capacity : 8;
        char **grown = realloc (self->schemas, capacity * sizeof (char *));
        if (!grown)
            return s_nomem (err);
        self->schemas = grown;
        self->schema_capacity = capacity;
    }
    if (!(self->schemas[self->schema_count] = strdup (panda_schema_id (schema))))
        return s_nomem (err);
    self->schema_count++;
    return PANDA_OK;
}

//  Try to make a schema of the schema_definition_v1 view in views row.
static panda_err_t
s_schema_try (panda_materializer_t *self, int64_t row, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_VIEW_DOCUMENT];
    sqlite3_bind_int64 (stmt, 1, row);
    int step = sqlite3_step (stmt);
    char *view_id = step == SQLITE_ROW ? strdup ((const char *) sqlite3_column_text (stmt, 0)) : NULL;
    panda_hash_t document_id = {0};
    if (step == SQLITE_ROW && sqlite3_column_bytes (stmt, 1) == PANDA_HASH_SIZE)
        memcpy (document_id.bytes, sqlite3_column_blob (stmt, 1), PANDA_HASH_SIZE);
    sqlite3_reset (stmt);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? PANDA_OK : s_db_error (self, "read view", err);
    if (!view_id)
        return s_nomem (err);
    s_view_text_t def;
    s_parts_t parts = {0};
    panda_hash_t *ids = NULL;
    size_t id_count = 0;
    bool ready = false;
    panda_err_t rc = s_view_text (self, row, &def, err);
    if (rc == PANDA_OK)
        rc = s_parts (self, &def, &parts, &ready, err);
    if (rc == PANDA_OK && ready &&
        panda_view_id_from_string (view_id, strlen (view_id), &ids, &id_count, NULL) == PANDA_OK) {
        panda_schema_def_t in = {ids, id_count, def.name, def.description, parts.ids, parts.count};
        panda_error_t build_err;
        panda_schema_t *schema = panda_schema_build (&in, parts.pool, parts.count, &build_err);
        if (schema)
            rc = s_schema_record (self, schema, &document_id, err);
        else if (PANDA_MATERIALIZE_FATAL (build_err.code))
            rc = panda_error_set (err, build_err.code, "%s", build_err.message);
        else
            panda_materialize_fail (self, &document_id, "schema definition %.200s: %s", view_id,
                                    build_err.message);
        panda_schema_destroy (&schema);
    }
    free (ids);
    s_parts_fini (&parts);
    s_view_text_fini (&def);
    free (view_id);
    return rc;
}

//  A field definition view was stored: retry every current definition
//  view that pins it.
static panda_err_t
s_schema_from_field (panda_materializer_t *self, const char *view_id, panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_DEFINITIONS_PINNING];
    sqlite3_bind_text (stmt, 1, view_id, -1, SQLITE_TRANSIENT);
    int64_t *rows = NULL;
    size_t n = 0;
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t *grown = realloc (rows, (n + 1) * sizeof (int64_t));
        if (!grown)
            rc = s_nomem (err);
        else
            (rows = grown)[n++] = sqlite3_column_int64 (stmt, 0);
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_db_error (self, "definitions pinning", err);
    sqlite3_reset (stmt);
    for (size_t i = 0; rc == PANDA_OK && i < n; i++)
        rc = s_schema_try (self, rows[i], err);
    free (rows);
    return rc;
}

//  --------------------------------------------------------------------------
//  Pinned views

static panda_err_t
s_want (panda_materializer_t *self, const char *target, const panda_hash_t *ids, size_t count,
        panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_WANT];
    for (size_t i = 0; i < count; i++) {
        sqlite3_bind_blob (stmt, 1, ids[i].bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, target, -1, SQLITE_STATIC);
        int step = sqlite3_step (stmt);
        sqlite3_reset (stmt);
        if (step != SQLITE_DONE)
            return s_db_error (self, "want view", err);
    }
    self->wanted_any = true;
    return PANDA_OK;
}

static panda_err_t
s_unwant (panda_materializer_t *self, const char *target, panda_error_t *err)
{
    if (!self->wanted_any)
        return PANDA_OK;
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_UNWANT];
    sqlite3_bind_text (stmt, 1, target, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return step == SQLITE_DONE ? PANDA_OK : s_db_error (self, "unwant view", err);
}

//  Build and store view ids (of the document doc) from the operations
//  stored up to p, or wait for them.
static panda_err_t
s_pin_build (panda_materializer_t *self, const char *target, const panda_hash_t *ids, size_t count,
             const panda_hash_t *document_id, const panda_views_document_t *doc, int64_t p,
             panda_error_t *err)
{
    panda_materialize_ops_t ops = {0};
    panda_document_view_t *view = NULL;
    panda_error_t build_err;
    panda_err_t rc = panda_materialize_ops_load (self, document_id, p, &ops, err);
    if (rc == PANDA_OK &&
        panda_document_build_to_view (ops.builder, ids, count, &view, &build_err) != PANDA_OK) {
        if (PANDA_MATERIALIZE_FATAL (build_err.code))
            rc = panda_error_set (err, build_err.code, "%s", build_err.message);
        else if (strcmp (build_err.message, S_TRIM_NOT_FOUND) == 0)
            rc = s_want (self, target, ids, count, err);
        else
            panda_materialize_fail (self, document_id, "pinned view %.200s: %s", target, build_err.message);
    } else if (rc == PANDA_OK && !panda_document_view_deleted (view)) {
        size_t n = 0;
        panda_views_field_t *fields = panda_materialize_view_fields (view, &n);
        rc = fields
                 ? panda_views_put_pinned (self->writer, doc->rowid, doc->schema_id, target, fields, n, err)
                 : s_nomem (err);
        free (fields);
        if (rc != PANDA_OK && !PANDA_MATERIALIZE_FATAL (rc)) {
            panda_materialize_fail (self, document_id, "pinned view %.200s: %s", target,
                                    err ? err->message : "");
            rc = PANDA_OK;
        } else if (rc == PANDA_OK)
            rc = s_unwant (self, target, err);
        if (rc == PANDA_OK && strcmp (doc->schema_id, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION) == 0)
            rc = s_schema_from_field (self, target, err);
    }
    panda_document_view_destroy (&view);
    panda_materialize_ops_fini (&ops);
    return rc;
}

//  A current view pins target, or an operation target waits for arrived:
//  make sure target is stored, or waits for its operations.
static panda_err_t
s_pin (panda_materializer_t *self, const char *target, int64_t p, panda_error_t *err)
{
    int64_t row = 0;
    panda_err_t rc = panda_views_view_find (self->writer, target, NULL, &row, err);
    if (rc != PANDA_OK || row)
        return rc == PANDA_OK ? s_unwant (self, target, err) : rc;
    panda_hash_t *ids = NULL, document_id;
    size_t count = 0;
    if (panda_view_id_from_string (target, strlen (target), &ids, &count, NULL) != PANDA_OK)
        return PANDA_OK; //  stored pinned values are canonical; never here
    panda_views_document_t doc = {0};
    panda_error_t find_err;
    rc = panda_store_operation_document (self->store, &ids[0], &document_id, &find_err);
    if (rc == PANDA_ERR_NOT_FOUND)
        rc = s_want (self, target, ids, count, err);
    else if (rc != PANDA_OK)
        rc = panda_error_set (err, rc, "%s", find_err.message);
    else if ((rc = panda_views_document_get (self->writer, &document_id, &doc, err)) == PANDA_OK) {
        if (!doc.rowid)
            rc = s_want (self, target, ids, count, err);
        else if (!doc.deleted)
            rc = s_pin_build (self, target, ids, count, &document_id, &doc, p, err);
    }
    panda_views_document_clear (&doc);
    free (ids);
    return rc;
}

//  Targets waiting for operation_id, copied out before building.
static panda_err_t
s_waiting (panda_materializer_t *self, const panda_hash_t *operation_id, char ***targets_p, size_t *count_p,
           panda_error_t *err)
{
    sqlite3_stmt *stmt = self->stmt[PANDA_MATERIALIZE_SQL_WANTED_BY];
    sqlite3_bind_blob (stmt, 1, operation_id->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        char **grown = realloc (*targets_p, (*count_p + 1) * sizeof (char *));
        if (!grown)
            rc = s_nomem (err);
        else if (!((*targets_p = grown)[*count_p] = strdup ((const char *) sqlite3_column_text (stmt, 0))))
            rc = s_nomem (err);
        else
            (*count_p)++;
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = s_db_error (self, "wanted views", err);
    sqlite3_reset (stmt);
    return rc;
}

panda_err_t
panda_materialize_deps_after (panda_materializer_t *self, const char *schema_id, const char *view_id,
                              const panda_hash_t *operation_id, int64_t p, panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    size_t n = 0;
    const char *const *pins = panda_views_new_pins (self->writer, &n);
    //  s_pin writes pinned views only, which add no new pins.
    for (size_t i = 0; rc == PANDA_OK && i < n; i++)
        rc = s_pin (self, pins[i], p, err);
    panda_views_forget_pins (self->writer);
    if (rc == PANDA_OK && view_id && strcmp (schema_id, PANDA_SCHEMA_ID_SCHEMA_DEFINITION) == 0) {
        int64_t row = 0;
        rc = panda_views_view_find (self->writer, view_id, NULL, &row, err);
        if (rc == PANDA_OK && row)
            rc = s_schema_try (self, row, err);
    }
    if (rc == PANDA_OK && view_id && strcmp (schema_id, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION) == 0)
        rc = s_schema_from_field (self, view_id, err);
    if (rc != PANDA_OK || !self->wanted_any)
        return rc;
    char **targets = NULL;
    size_t count = 0;
    rc = s_waiting (self, operation_id, &targets, &count, err);
    for (size_t i = 0; i < count; i++) {
        if (rc == PANDA_OK)
            rc = s_pin (self, targets[i], p, err);
        free (targets[i]);
    }
    free (targets);
    return rc;
}
