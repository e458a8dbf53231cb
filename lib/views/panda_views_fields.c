/*  panda_views_fields.c - the fields of a view write: each resolved to its
    schema field (from a cache of schema_fields) and checked against its
    value kind, then written as rows of fields, pins and blob_refs. Used by
    panda_views_write.c.                                                     */
#include "panda_views_int.h"

#include "panda/panda_view_id.h"

#include <stdlib.h>
#include <string.h>

#define S_SCHEMA_SLOTS_MIN 64

//  One schema's fields, sorted by name.
struct _panda_views_schema_t {
    char *id;
    size_t count;
    struct {
        char *name;
        int64_t id;
        panda_field_kind_t kind;
        bool blob; //  a relation kind to blob_v1
    } * fields;
};

//  --------------------------------------------------------------------------
//  Schema field cache

static size_t
s_hash_text (const char *text)
{
    size_t h = 1469598103934665603ULL;
    for (; *text; text++)
        h = (h ^ (unsigned char) *text) * 1099511628211ULL;
    return h;
}

static void
s_schema_free (panda_views_schema_t *schema)
{
    if (!schema)
        return;
    for (size_t i = 0; i < schema->count; i++)
        free (schema->fields[i].name);
    free (schema->fields);
    free (schema->id);
    free (schema);
}

static int
s_field_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  Read a schema's fields from schema_fields. *schema_p NULL if it has none.
static panda_err_t
s_schema_load (panda_views_writer_t *self, const char *id, panda_views_schema_t **schema_p,
               panda_error_t *err)
{
    *schema_p = NULL;
    panda_views_schema_t *schema = calloc (1, sizeof *schema);
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_SCHEMA_FIELDS];
    panda_err_t rc = schema && (schema->id = strdup (id)) ? PANDA_OK : panda_views_write_nomem (err);
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    size_t capacity = 0;
    int step = SQLITE_DONE;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (schema->count == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            void *fields = realloc (schema->fields, capacity * sizeof (*schema->fields));
            if (!fields) {
                rc = panda_views_write_nomem (err);
                break;
            }
            schema->fields = fields;
        }
        const char *type = (const char *) sqlite3_column_text (stmt, 2);
        size_t off, len;
        panda_field_kind_t kind;
        if ((rc = panda_field_type_parse (type, strlen (type), &kind, &off, &len, err)) != PANDA_OK)
            break;
        schema->fields[schema->count].id = sqlite3_column_int64 (stmt, 0);
        schema->fields[schema->count].kind = kind;
        schema->fields[schema->count].blob = len == 7 && memcmp (type + off, "blob_v1", 7) == 0;
        schema->fields[schema->count].name = strdup ((const char *) sqlite3_column_text (stmt, 1));
        if (!schema->fields[schema->count++].name)
            rc = panda_views_write_nomem (err);
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_views_write_db_error (self, "read schema fields", err);
    sqlite3_reset (stmt);
    if (rc == PANDA_OK && schema->count > 0) {
        //  name is the first member: sort by it.
        qsort (schema->fields, schema->count, sizeof (*schema->fields), s_field_cmp);
        *schema_p = schema;
        return PANDA_OK;
    }
    s_schema_free (schema);
    return rc;
}

static panda_err_t
s_schema_insert (panda_views_writer_t *self, panda_views_schema_t *schema, panda_error_t *err)
{
    if (2 * (self->schema_count + 1) > self->slots) {
        size_t slots = self->slots ? 2 * self->slots : S_SCHEMA_SLOTS_MIN;
        panda_views_schema_t **table = calloc (slots, sizeof (panda_views_schema_t *));
        if (!table)
            return panda_views_write_nomem (err);
        for (size_t i = 0; i < self->slots; i++) {
            if (!self->schemas[i])
                continue;
            size_t at = s_hash_text (self->schemas[i]->id) & (slots - 1);
            while (table[at])
                at = (at + 1) & (slots - 1);
            table[at] = self->schemas[i];
        }
        free (self->schemas);
        self->schemas = table;
        self->slots = slots;
    }
    size_t at = s_hash_text (schema->id) & (self->slots - 1);
    while (self->schemas[at])
        at = (at + 1) & (self->slots - 1);
    self->schemas[at] = schema;
    self->schema_count++;
    return PANDA_OK;
}

//  The cached fields of schema id, loading them on first use. NULL (and
//  PANDA_OK) for a schema without fields: not cached, it may come later.
static panda_err_t
s_schema (panda_views_writer_t *self, const char *id, panda_views_schema_t **schema_p, panda_error_t *err)
{
    if (self->slots) {
        size_t at = s_hash_text (id) & (self->slots - 1);
        for (; self->schemas[at]; at = (at + 1) & (self->slots - 1))
            if (strcmp (self->schemas[at]->id, id) == 0) {
                *schema_p = self->schemas[at];
                return PANDA_OK;
            }
    }
    panda_err_t rc = s_schema_load (self, id, schema_p, err);
    if (rc == PANDA_OK && *schema_p && (rc = s_schema_insert (self, *schema_p, err)) != PANDA_OK) {
        s_schema_free (*schema_p);
        *schema_p = NULL;
    }
    return rc;
}
//  --------------------------------------------------------------------------
//  Values

static bool
s_value_fits (panda_field_kind_t kind, const panda_value_t *value)
{
    switch (kind) {
        case PANDA_FIELD_BOOL: return value->kind == PANDA_VALUE_BOOL;
        case PANDA_FIELD_INT: return value->kind == PANDA_VALUE_INT;
        case PANDA_FIELD_FLOAT: return value->kind == PANDA_VALUE_FLOAT;
        case PANDA_FIELD_STR: return value->kind == PANDA_VALUE_STR;
        case PANDA_FIELD_BYTES: return value->kind == PANDA_VALUE_BYTES;
        case PANDA_FIELD_RELATION:
            return value->kind == PANDA_VALUE_BYTES && value->as.bytes.len == PANDA_HASH_SIZE;
        case PANDA_FIELD_RELATION_LIST: return value->kind == PANDA_VALUE_HASH_LIST;
        case PANDA_FIELD_PINNED_RELATION:
            return value->kind == PANDA_VALUE_HASH_LIST && value->as.list.count > 0;
        case PANDA_FIELD_PINNED_RELATION_LIST: //  [] decodes as an empty hash list
            return value->kind == PANDA_VALUE_HASH_LIST_LIST ||
                   (value->kind == PANDA_VALUE_HASH_LIST && value->as.list.count == 0);
    }
    return false;
}

//  Resolve every field to its schema field id and check its value kind.
//  Caller frees *out.
panda_err_t
panda_views_fields_resolve (panda_views_writer_t *self, const char *schema_id,
                            const panda_views_field_t *fields, size_t count, panda_views_resolved_t **out,
                            panda_error_t *err)
{
    *out = NULL;
    panda_views_schema_t *schema = NULL;
    panda_err_t rc = s_schema (self, schema_id, &schema, err);
    if (rc != PANDA_OK)
        return rc;
    if (!schema)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND, "views: schema %.200s is not materialised",
                                schema_id);
    panda_views_resolved_t *resolved = malloc ((count ? count : 1) * sizeof (panda_views_resolved_t));
    if (!resolved)
        return panda_views_write_nomem (err);
    for (size_t i = 0; i < count; i++) {
        const char *name = fields[i].name;
        void *found = bsearch (&name, schema->fields, schema->count, sizeof (*schema->fields), s_field_cmp);
        if (!found) {
            free (resolved);
            return panda_error_set (err, PANDA_ERR_NOT_FOUND, "views: no field %.64s in schema %.200s", name,
                                    schema_id);
        }
        size_t at = (size_t) ((char *) found - (char *) schema->fields) / sizeof (*schema->fields);
        resolved[i].id = schema->fields[at].id;
        resolved[i].kind = schema->fields[at].kind;
        resolved[i].blob = schema->fields[at].blob;
        if (!s_value_fits (resolved[i].kind, fields[i].value)) {
            const char *kind = panda_field_kind_name (resolved[i].kind);
            free (resolved);
            return panda_error_set (err, PANDA_ERR_SCHEMA, "views: value of field %.64s is not a %s", name,
                                    kind);
        }
    }
    *out = resolved;
    return PANDA_OK;
}

static size_t
s_item_count (panda_field_kind_t kind, const panda_value_t *value)
{
    if (kind == PANDA_FIELD_RELATION_LIST)
        return value->as.list.count;
    if (kind == PANDA_FIELD_PINNED_RELATION_LIST)
        return value->kind == PANDA_VALUE_HASH_LIST_LIST ? value->as.lists.count : 0;
    return 1;
}

//  Bind item idx of value as column 4 of the field insert. *pin gets the
//  view id string of a pinned item (caller frees), else NULL.
static panda_err_t
s_bind_item (sqlite3_stmt *stmt, panda_field_kind_t kind, const panda_value_t *value, size_t idx, char **pin,
             panda_error_t *err)
{
    *pin = NULL;
    const panda_hash_list_t *ids = NULL;
    switch (kind) {
        case PANDA_FIELD_BOOL: return sqlite3_bind_int (stmt, 4, value->as.boolean ? 1 : 0), PANDA_OK;
        case PANDA_FIELD_INT: return sqlite3_bind_int64 (stmt, 4, value->as.integer), PANDA_OK;
        case PANDA_FIELD_FLOAT: return sqlite3_bind_double (stmt, 4, value->as.real), PANDA_OK;
        case PANDA_FIELD_STR:
            sqlite3_bind_text (stmt, 4, (const char *) value->as.bytes.data, (int) value->as.bytes.len,
                               SQLITE_STATIC);
            return PANDA_OK;
        case PANDA_FIELD_BYTES:
        case PANDA_FIELD_RELATION:
            sqlite3_bind_blob (stmt, 4, value->as.bytes.len ? value->as.bytes.data : (const void *) "",
                               (int) value->as.bytes.len, SQLITE_STATIC);
            return PANDA_OK;
        case PANDA_FIELD_RELATION_LIST:
            if (value->as.list.count == 0)
                return sqlite3_bind_null (stmt, 4), PANDA_OK;
            sqlite3_bind_blob (stmt, 4, value->as.list.items[idx].bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
            return PANDA_OK;
        case PANDA_FIELD_PINNED_RELATION: ids = &value->as.list; break;
        case PANDA_FIELD_PINNED_RELATION_LIST:
            if (value->kind != PANDA_VALUE_HASH_LIST_LIST || value->as.lists.count == 0)
                return sqlite3_bind_null (stmt, 4), PANDA_OK;
            ids = &value->as.lists.lists[idx];
            break;
    }
    *pin = panda_view_id_to_string_new (ids->items, ids->count);
    if (!*pin)
        return panda_views_write_nomem (err);
    sqlite3_bind_text (stmt, 4, *pin, -1, SQLITE_STATIC);
    return PANDA_OK;
}

//  Item idx of a relation to blob_v1 (pin: its view id string, if pinned):
//  remember the blob as related once (blob_refs), so the unused-blob purge
//  takes it however soon the relation goes again.
static panda_err_t
s_blob_related (panda_views_writer_t *self, panda_field_kind_t kind, const panda_value_t *value, size_t idx,
                const char *pin, panda_error_t *err)
{
    const uint8_t *id = NULL;
    if (kind == PANDA_FIELD_RELATION && value->as.bytes.len == PANDA_HASH_SIZE)
        id = value->as.bytes.data;
    else if (kind == PANDA_FIELD_RELATION_LIST && idx < value->as.list.count)
        id = value->as.list.items[idx].bytes;
    if (id) {
        sqlite3_bind_blob (self->stmt[PANDA_VIEWS_SQL_BLOB_RELATED], 1, id, PANDA_HASH_SIZE, SQLITE_STATIC);
        return panda_views_write_done (self, PANDA_VIEWS_SQL_BLOB_RELATED, err);
    }
    if (!pin)
        return PANDA_OK;
    sqlite3_bind_text (self->stmt[PANDA_VIEWS_SQL_BLOB_PINNED], 1, pin, -1, SQLITE_STATIC);
    return panda_views_write_done (self, PANDA_VIEWS_SQL_BLOB_PINNED, err);
}

//  Write the rows of one field into view (and its pins; reported as new
//  pins when report is set).
panda_err_t
panda_views_fields_write (panda_views_writer_t *self, int64_t view, const panda_views_resolved_t *field,
                          const panda_views_field_t *in, bool report, panda_error_t *err)
{
    size_t items = s_item_count (field->kind, in->value);
    sqlite3_stmt *stmt = self->stmt[PANDA_VIEWS_SQL_FIELD_INSERT];
    panda_err_t rc = PANDA_OK;
    for (size_t idx = 0; rc == PANDA_OK && idx < (items ? items : 1); idx++) {
        uint8_t cursor[32];
        panda_views_row_cursor (idx, in->name, in->writer, cursor);
        char *pin = NULL;
        sqlite3_bind_int64 (stmt, 1, view);
        sqlite3_bind_int64 (stmt, 2, field->id);
        sqlite3_bind_int64 (stmt, 3, (int64_t) idx);
        rc = s_bind_item (stmt, field->kind, in->value, idx, &pin, err);
        sqlite3_bind_blob (stmt, 5, in->writer->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
        sqlite3_bind_blob (stmt, 6, cursor, sizeof cursor, SQLITE_STATIC);
        if (rc == PANDA_OK)
            rc = panda_views_write_done (self, PANDA_VIEWS_SQL_FIELD_INSERT, err);
        if (rc == PANDA_OK && field->blob)
            rc = s_blob_related (self, field->kind, in->value, idx, pin, err);
        if (rc == PANDA_OK && pin) {
            sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_PIN_INSERT], 1, view);
            sqlite3_bind_int64 (self->stmt[PANDA_VIEWS_SQL_PIN_INSERT], 2, field->id);
            sqlite3_bind_text (self->stmt[PANDA_VIEWS_SQL_PIN_INSERT], 3, pin, -1, SQLITE_STATIC);
            rc = panda_views_write_done (self, PANDA_VIEWS_SQL_PIN_INSERT, err);
            if (rc == PANDA_OK && report)
                rc = panda_views_write_push (&self->pins, pin, strlen (pin), err);
        }
        free (pin);
    }
    return rc;
}

void
panda_views_fields_cache_free (panda_views_writer_t *self)
{
    for (size_t i = 0; i < self->slots; i++)
        s_schema_free (self->schemas[i]);
    free (self->schemas);
}
