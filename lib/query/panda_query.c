/*  panda_query.c - the query object, pages, field loading, item cursors,
    single documents and batched relations (node-api §6.2, §6.3.6, §6.4).
    Collections and relation lists are in panda_query_list.c.             */
#include "panda_grow.h"
#include "panda_query_int.h"

#include "panda/panda_hex.h"
#include "panda_scalar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CACHE_KIB "32768" //  page cache per query connection
#define S_MMAP_BYTES "1073741824" //  address space mapped for reads

// ---------------------------------------------------------------------------
//  Query object and schema cache

panda_err_t
panda_query_db_error (panda_query_t *self, const char *what, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "query: %s: %s", what, sqlite3_errmsg (self->db));
}

static int
s_trace (unsigned type, void *ctx, void *stmt, void *sql)
{
    (void) type, (void) stmt;
    //  Count statements, not the triggers/subprograms they start.
    if (((const char *) sql)[0] != '-')
        ((panda_query_t *) ctx)->statements++;
    return 0;
}

uint64_t
panda_query_statements (const panda_query_t *self)
{
    return self->statements;
}

panda_query_t *
panda_query_new (const char *path, uint32_t max_page, uint32_t budget, panda_error_t *err)
{
    panda_query_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
        return NULL;
    }
    self->views = panda_views_open (path, true, err);
    if (!self->views) {
        free (self);
        return NULL;
    }
    self->db = panda_views_db (self->views);
    //  Reads only: a bigger page cache and memory-mapped reads save the
    //  read() system call per page of a big database.
    sqlite3_exec (self->db, "PRAGMA cache_size = -" S_CACHE_KIB "; PRAGMA mmap_size = " S_MMAP_BYTES, NULL,
                  NULL, NULL);
    sqlite3_trace_v2 (self->db, SQLITE_TRACE_STMT, s_trace, self);
    self->schemas = calloc (PANDA_QUERY_SCHEMAS_MAX, sizeof (panda_query_schema_t *));
    if (!self->schemas) {
        panda_query_destroy (&self);
        panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
        return NULL;
    }
    self->max_page = max_page ? max_page : PANDA_QUERY_DEFAULT_MAX_PAGE;
    self->budget = budget ? budget : PANDA_QUERY_DEFAULT_BUDGET;
    return self;
}

static void
s_schema_destroy (panda_query_schema_t **self_p)
{
    panda_query_schema_t *self = *self_p;
    if (!self)
        return;
    panda_schema_destroy (&self->owned);
    free (self->field_ids);
    free (self->id);
    free (self);
    *self_p = NULL;
}

void
panda_query_destroy (panda_query_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_query_t *self = *self_p;
    panda_query_end (self);
    for (size_t i = 0; i < self->schema_count; i++)
        s_schema_destroy (&self->schemas[i]);
    free (self->schemas);
    panda_views_destroy (&self->views);
    free (self);
    *self_p = NULL;
}

void
panda_query_set_progress (panda_query_t *self, int steps, int (*fn) (void *ctx), void *ctx)
{
    sqlite3_progress_handler (self->db, fn ? steps : 0, fn, ctx);
}

void
panda_query_set_plan (panda_query_t *self, panda_query_plan_t plan)
{
    self->plan = plan;
}

panda_err_t
panda_query_begin (panda_query_t *self, panda_error_t *err)
{
    panda_query_end (self);
    self->used = 0;
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return panda_query_db_error (self, "begin", err);
    self->in_request = true;
    return PANDA_OK;
}

void
panda_query_end (panda_query_t *self)
{
    if (self->in_request)
        sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
    self->in_request = false;
}

static panda_err_t
s_schema_load (panda_query_t *self, panda_query_schema_t *s, const char *schema_id, panda_error_t *err)
{
    s->schema = panda_schema_system (schema_id);
    if (!s->schema) {
        panda_err_t rc = panda_views_schema_find (self->views, schema_id, &s->owned, err);
        if (rc != PANDA_OK)
            return rc;
        if (!s->owned)
            return panda_error_set (err, PANDA_ERR_NOT_FOUND, "Schema not found: %s", schema_id);
        s->schema = s->owned;
    }
    size_t n = panda_schema_field_count (s->schema);
    s->field_ids = calloc (n ? n : 1, sizeof (int64_t));
    s->id = strdup (schema_id);
    if (!s->field_ids || !s->id)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    for (size_t f = 0; f < n; f++) {
        panda_err_t rc = panda_views_field_id (self->views, schema_id, panda_schema_field_name (s->schema, f),
                                               &s->field_ids[f], err);
        if (rc != PANDA_OK)
            return rc;
    }
    return PANDA_OK;
}

const panda_query_schema_t *
panda_query_schema (panda_query_t *self, const char *schema_id, panda_error_t *err)
{
    for (size_t i = 0; i < self->schema_count; i++)
        if (strcmp (self->schemas[i]->id, schema_id) == 0)
            return self->schemas[i];
    //  Pages borrow cached schemas, so the cache never drops one.
    if (self->schema_count == PANDA_QUERY_SCHEMAS_MAX) {
        panda_error_set (err, PANDA_ERR_LIMIT, "query: more than %d schemas in use", PANDA_QUERY_SCHEMAS_MAX);
        return NULL;
    }
    panda_query_schema_t *s = calloc (1, sizeof *s);
    if (!s) {
        panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
        return NULL;
    }
    if (s_schema_load (self, s, schema_id, err) != PANDA_OK) {
        s_schema_destroy (&s);
        return NULL;
    }
    self->schemas[self->schema_count++] = s;
    return s;
}

// ---------------------------------------------------------------------------
//  Pages

panda_query_page_t *
panda_query_page_new (const panda_query_schema_t *schema)
{
    panda_query_page_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->refs = 1;
    self->schema = schema;
    panda_query_sql_init (&self->count_sql);
    size_t n = panda_schema_field_count (schema->schema);
    self->rels = calloc (n ? n : 1, sizeof (panda_query_rel_t));
    if (!self->rels) {
        free (self);
        return NULL;
    }
    return self;
}

panda_query_page_t *
panda_query_page_ref (panda_query_page_t *self)
{
    self->refs++;
    return self;
}

void
panda_query_page_unref (panda_query_page_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_query_page_t *self = *self_p;
    *self_p = NULL;
    if (--self->refs > 0)
        return;
    size_t n = panda_schema_field_count (self->schema->schema);
    if (self->base) { //  a list page: everything is its base's
        panda_query_page_unref (&self->base);
        panda_query_page_unref (&self->owner);
        free (self->rels);
        free (self);
        return;
    }
    panda_query_batches_destroy (&self->batches);
    for (size_t i = 0; i < self->count; i++) {
        panda_query_item_t *it = &self->items[i];
        for (size_t f = 0; it->values && f < n; f++)
            json_decref (it->values[f]);
        free (it->values);
        free (it->cursors);
        free (it->view_id);
        free (it->parent_view);
        free (it->cursor);
    }
    for (size_t f = 0; f < n; f++) {
        panda_query_page_unref (&self->rels[f].page);
        free (self->rels[f].map);
    }
    free (self->rels);
    free (self->items);
    panda_query_sql_release (&self->count_sql);
    json_decref (self->count_args);
    free (self);
}

static panda_err_t
s_item_add (panda_query_page_t *page, sqlite3_stmt *stmt, bool with_list, panda_error_t *err)
{
    if (!panda_grow ((void **) &page->items, &page->cap, page->count + 1, sizeof *page->items))
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    panda_query_item_t *it = &page->items[page->count];
    memset (it, 0, sizeof *it);
    it->doc = sqlite3_column_int64 (stmt, 0);
    if (sqlite3_column_bytes (stmt, 1) != PANDA_HASH_SIZE ||
        sqlite3_column_bytes (stmt, 2) != PANDA_PUBLIC_KEY_SIZE)
        return panda_error_set (err, PANDA_ERR_INTERNAL, "query: malformed documents row %lld",
                                (long long) it->doc);
    panda_hex_write (sqlite3_column_blob (stmt, 1), PANDA_HASH_SIZE, it->document_id);
    panda_hex_write (sqlite3_column_blob (stmt, 2), PANDA_PUBLIC_KEY_SIZE, it->owner);
    it->view = sqlite3_column_int64 (stmt, 3);
    const char *view_id = (const char *) sqlite3_column_text (stmt, 4);
    it->view_id = strdup (view_id ? view_id : "");
    if (with_list) {
        it->idx = sqlite3_column_int64 (stmt, 5);
        it->has_root = sqlite3_column_bytes (stmt, 6) == 32;
        if (it->has_root)
            memcpy (it->root, sqlite3_column_blob (stmt, 6), 32);
        it->parent = sqlite3_column_int64 (stmt, 7);
    }
    page->count++;
    if (!it->view_id)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    return PANDA_OK;
}

panda_err_t
panda_query_page_fill (panda_query_t *self, panda_query_page_t *page, sqlite3_stmt *stmt, bool with_list,
                       panda_error_t *err)
{
    int step;
    panda_err_t rc = PANDA_OK;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW)
        rc = s_item_add (page, stmt, with_list, err);
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_query_db_error (self, "read documents", err);
    return rc;
}

//  Items ordered by view rowid, to match field rows to items.
typedef struct {
    int64_t view;
    size_t item;
} s_by_view_t;

static int
s_by_view_cmp (const void *a, const void *b)
{
    const s_by_view_t *x = a, *y = b;
    return x->view < y->view ? -1 : x->view > y->view ? 1 : (x->item > y->item) - (x->item < y->item);
}

static json_t *
s_value_json (sqlite3_stmt *stmt, int col, panda_field_kind_t kind)
{
    int type = sqlite3_column_type (stmt, col);
    if (type == SQLITE_NULL)
        return NULL;
    switch (kind) {
        case PANDA_FIELD_BOOL: return json_boolean (sqlite3_column_int64 (stmt, col) != 0);
        case PANDA_FIELD_INT: return json_integer (sqlite3_column_int64 (stmt, col));
        case PANDA_FIELD_FLOAT: return json_real (sqlite3_column_double (stmt, col));
        case PANDA_FIELD_STR:
        case PANDA_FIELD_PINNED_RELATION:
        case PANDA_FIELD_PINNED_RELATION_LIST:
            return json_stringn ((const char *) sqlite3_column_text (stmt, col),
                                 (size_t) sqlite3_column_bytes (stmt, col));
        default: {
            const uint8_t *bytes = sqlite3_column_blob (stmt, col);
            size_t len = (size_t) sqlite3_column_bytes (stmt, col);
            char *hex = panda_hex_encode (bytes, len);
            if (!hex)
                return NULL;
            json_t *v = json_string (hex);
            free (hex);
            return v;
        }
    }
}

static long
s_field_index (const panda_query_schema_t *s, int64_t field_id)
{
    size_t n = panda_schema_field_count (s->schema);
    for (size_t f = 0; f < n; f++)
        if (s->field_ids[f] == field_id)
            return (long) f;
    return -1;
}

//  Store one fields row into every item showing that view.
static void
s_row_store (panda_query_page_t *page, s_by_view_t *order, size_t at, sqlite3_stmt *stmt, long f)
{
    panda_field_kind_t kind = panda_schema_field_kind (page->schema->schema, (size_t) f);
    bool list = kind == PANDA_FIELD_RELATION_LIST || kind == PANDA_FIELD_PINNED_RELATION_LIST;
    const uint8_t *cursor = sqlite3_column_bytes (stmt, 4) == 32 ? sqlite3_column_blob (stmt, 4) : NULL;
    int64_t view = order[at].view;
    for (size_t k = at; k < page->count && order[k].view == view; k++) {
        panda_query_item_t *it = &page->items[order[k].item];
        json_t *v = s_value_json (stmt, 3, kind);
        if (list) {
            if (!it->values[f])
                it->values[f] = json_array ();
            if (v)
                json_array_append_new (it->values[f], v);
        } else {
            json_decref (it->values[f]);
            it->values[f] = v;
        }
        if (cursor && memcmp (cursor, it->cursors[f], 32) > 0)
            memcpy (it->cursors[f], cursor, 32);
    }
}

static panda_err_t
s_load_fields (panda_query_t *self, panda_query_page_t *page, s_by_view_t *order, panda_error_t *err)
{
    size_t n = panda_schema_field_count (page->schema->schema);
    panda_query_sql_t sql;
    panda_query_sql_init (&sql);
    panda_query_sql_add (&sql, "SELECT view, field, idx, value, cursor FROM fields WHERE view IN (");
    for (size_t i = 0; i < page->count; i++) {
        panda_query_item_t *it = &page->items[i];
        it->values = calloc (n ? n : 1, sizeof (json_t *));
        it->cursors = calloc (n ? n : 1, 32);
        if (!it->values || !it->cursors)
            sql.oom = true;
        if (i == 0 || order[i].view != order[i - 1].view) {
            panda_query_sql_add (&sql, i ? "," : "");
            panda_query_sql_int (&sql, order[i].view);
        }
    }
    panda_query_sql_add (&sql, ") ORDER BY view, field, idx");
    sqlite3_stmt *stmt = panda_query_sql_prepare (self->db, &sql, err);
    panda_query_sql_release (&sql);
    if (!stmt)
        return err->code;
    int step;
    size_t at = 0;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t view = sqlite3_column_int64 (stmt, 0);
        while (at < page->count && order[at].view < view)
            at++;
        long f = s_field_index (page->schema, sqlite3_column_int64 (stmt, 1));
        if (at < page->count && order[at].view == view && f >= 0)
            s_row_store (page, order, at, stmt, f);
    }
    sqlite3_finalize (stmt);
    return step == SQLITE_DONE ? PANDA_OK : panda_query_db_error (self, "read fields", err);
}

//  The item cursor of §6.3.6 from the greatest row cursor of the selection.
static char *
s_item_cursor (const panda_query_page_t *page, const panda_query_item_t *it, const char *const *selected,
               size_t selected_count, const char *parent_view)
{
    const panda_schema_t *schema = page->schema->schema;
    uint8_t best[32] = {0};
    bool any = false;
    for (size_t s = 0; s < selected_count; s++) {
        long f = panda_schema_field_index (schema, selected[s]);
        if (f >= 0 && (!any || memcmp (it->cursors[f], best, 32) > 0))
            memcpy (best, it->cursors[f], 32), any = true;
    }
    if (!any && panda_schema_field_count (schema) > 0)
        memcpy (best, it->cursors[0], 32);
    if (it->parent_view) //  batched lists carry their parent per item
        parent_view = it->parent_view;
    size_t vlen = parent_view ? strlen (parent_view) : 0;
    char *text = malloc (64 + 1 + 64 + 1 + vlen + 1);
    if (!text)
        return NULL;
    panda_hex_write (best, 32, text);
    if (parent_view) {
        text[64] = '-';
        panda_hex_write (it->root, 32, text + 65);
        text[129] = '-';
        memcpy (text + 130, parent_view, vlen + 1);
    }
    char *out = panda_base58_encode ((const uint8_t *) text, strlen (text));
    free (text);
    return out;
}

panda_err_t
panda_query_page_finish (panda_query_t *self, panda_query_page_t *page, const char *const *selected,
                         size_t selected_count, const char *parent_view, panda_error_t *err)
{
    if (self->used + page->count > self->budget)
        return panda_error_set (
            err, PANDA_ERR_LIMIT,
            "Query is too expensive: more than %u documents in one request; use smaller pages", self->budget);
    self->used += (uint32_t) page->count;
    if (page->count == 0)
        return PANDA_OK;
    s_by_view_t *order = malloc (page->count * sizeof *order);
    if (!order)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    for (size_t i = 0; i < page->count; i++)
        order[i] = (s_by_view_t){page->items[i].view, i};
    qsort (order, page->count, sizeof *order, s_by_view_cmp);
    panda_err_t rc = s_load_fields (self, page, order, err);
    free (order);
    for (size_t i = 0; rc == PANDA_OK && i < page->count; i++) {
        panda_query_item_t *it = &page->items[i];
        it->cursor = s_item_cursor (page, it, selected, selected_count, parent_view);
        if (!it->cursor)
            rc = panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    }
    return rc;
}

// ---------------------------------------------------------------------------
//  Single documents and relations

//  Append to page the current views of documents of schema whose ids (hex
//  strings) are in ids, or the views whose view ids are, if pinned.
static panda_err_t
s_lookup (panda_query_t *self, panda_query_page_t *page, const char *const *ids, size_t count, bool pinned,
          panda_error_t *err)
{
    panda_query_sql_t sql;
    panda_query_sql_init (&sql);
    panda_query_sql_add (
        &sql, "SELECT " PANDA_QUERY_ITEM_COLUMNS " FROM %s WHERE d.view IS NOT NULL AND d.schema = ",
        pinned ? "views v JOIN documents d ON d.id = v.document"
               : "documents d JOIN views v ON v.id = d.view");
    panda_query_sql_text (&sql, page->schema->id, strlen (page->schema->id));
    panda_query_sql_add (&sql, pinned ? " AND v.view_id IN (" : " AND d.document_id IN (");
    for (size_t i = 0; i < count; i++) {
        panda_query_sql_add (&sql, i ? "," : "");
        panda_hash_t id;
        panda_error_t ignored;
        if (pinned)
            panda_query_sql_text (&sql, ids[i], strlen (ids[i]));
        else if (panda_hash_from_hex (&id, ids[i], strlen (ids[i]), &ignored) == PANDA_OK)
            panda_query_sql_blob (&sql, id.bytes, PANDA_HASH_SIZE);
        else
            panda_query_sql_add (&sql, "NULL");
    }
    panda_query_sql_add (&sql, ")");
    sqlite3_stmt *stmt = panda_query_sql_prepare (self->db, &sql, err);
    panda_query_sql_release (&sql);
    if (!stmt)
        return err->code;
    panda_err_t rc = panda_query_page_fill (self, page, stmt, false, err);
    sqlite3_finalize (stmt);
    return rc;
}

panda_err_t
panda_query_document (panda_query_t *self, const char *schema_id, const char *document_id,
                      const char *view_id, panda_query_page_t **page_p, panda_error_t *err)
{
    *page_p = NULL;
    const panda_query_schema_t *schema = panda_query_schema (self, schema_id, err);
    if (!schema)
        return err->code;
    panda_query_page_t *page = panda_query_page_new (schema);
    if (!page)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    const char *id = view_id ? view_id : document_id;
    panda_err_t rc = id ? s_lookup (self, page, &id, 1, view_id != NULL, err) : PANDA_OK;
    if (rc == PANDA_OK)
        rc = panda_query_page_finish (self, page, NULL, 0, NULL, err);
    if (rc != PANDA_OK)
        panda_query_page_unref (&page);
    *page_p = page;
    return rc;
}

//  Resolve relation field f for every item of page: one lookup of the
//  distinct targets, then one load of their fields.
static panda_err_t
s_relation_batch (panda_query_t *self, panda_query_page_t *page, size_t f, panda_error_t *err)
{
    panda_query_rel_t *rel = &page->rels[f];
    const panda_schema_t *schema = page->schema->schema;
    bool pinned = panda_schema_field_kind (schema, f) == PANDA_FIELD_PINNED_RELATION;
    const panda_query_schema_t *target =
        panda_query_schema (self, panda_schema_field_target (schema, f), err);
    if (!target)
        return err->code;
    rel->page = panda_query_page_new (target);
    rel->map = malloc ((page->count ? page->count : 1) * sizeof (long));
    const char **ids = malloc ((page->count ? page->count : 1) * sizeof (char *));
    panda_err_t rc = rel->page && rel->map && ids
                         ? PANDA_OK
                         : panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    size_t n = 0;
    for (size_t i = 0; rc == PANDA_OK && i < page->count; i++) {
        json_t *v = page->items[i].values[f];
        if (json_is_string (v))
            ids[n++] = json_string_value (v);
    }
    if (rc == PANDA_OK && n)
        rc = s_lookup (self, rel->page, ids, n, pinned, err);
    free (ids);
    if (rc == PANDA_OK)
        rc = panda_query_page_finish (self, rel->page, NULL, 0, NULL, err);
    for (size_t i = 0; rc == PANDA_OK && i < page->count; i++) {
        const char *want = json_string_value (page->items[i].values[f]);
        rel->map[i] = -1;
        for (size_t t = 0; want && t < rel->page->count && rel->map[i] < 0; t++) {
            const panda_query_item_t *it = &rel->page->items[t];
            if (strcmp (pinned ? it->view_id : it->document_id, want) == 0)
                rel->map[i] = (long) t;
        }
    }
    rel->done = rc == PANDA_OK;
    return rc;
}

panda_err_t
panda_query_relation (panda_query_t *self, panda_query_page_t *page, size_t item, const char *field,
                      panda_query_page_t **target_p, size_t *index, panda_error_t *err)
{
    *target_p = NULL;
    *index = 0;
    for (; page->base; page = page->base) //  list pages share their base's cache
        item += page->offset;
    long f = panda_schema_field_index (page->schema->schema, field);
    panda_field_kind_t kind =
        f >= 0 ? panda_schema_field_kind (page->schema->schema, (size_t) f) : PANDA_FIELD_BOOL;
    if (f < 0 || (kind != PANDA_FIELD_RELATION && kind != PANDA_FIELD_PINNED_RELATION) || item >= page->count)
        return panda_error_set (err, PANDA_ERR_INVALID, "query: %s is not a relation field of %s", field,
                                page->schema->id);
    if (!page->rels[f].done) {
        panda_query_page_unref (&page->rels[f].page);
        free (page->rels[f].map);
        page->rels[f].map = NULL;
        panda_err_t rc = s_relation_batch (self, page, (size_t) f, err);
        if (rc != PANDA_OK)
            return rc;
    }
    long at = page->rels[f].map[item];
    if (at >= 0) {
        *target_p = page->rels[f].page;
        *index = (size_t) at;
    }
    return PANDA_OK;
}

// ---------------------------------------------------------------------------
//  Accessors

size_t
panda_query_page_count (const panda_query_page_t *self)
{
    return self->count;
}

bool
panda_query_page_has_next (const panda_query_page_t *self)
{
    return self->has_next;
}

bool
panda_query_page_has_previous (const panda_query_page_t *self)
{
    return self->has_previous;
}

const char *
panda_query_page_start_cursor (const panda_query_page_t *self)
{
    return self->count ? self->items[0].cursor : NULL;
}

const char *
panda_query_page_end_cursor (const panda_query_page_t *self)
{
    return self->count ? self->items[self->count - 1].cursor : NULL;
}

const char *
panda_query_page_schema (const panda_query_page_t *self)
{
    return self->schema->id;
}

const char *
panda_query_item_cursor (const panda_query_page_t *self, size_t item)
{
    return self->items[item].cursor;
}

const char *
panda_query_item_document_id (const panda_query_page_t *self, size_t item)
{
    return self->items[item].document_id;
}

const char *
panda_query_item_view_id (const panda_query_page_t *self, size_t item)
{
    return self->items[item].view_id;
}

const char *
panda_query_item_owner (const panda_query_page_t *self, size_t item)
{
    return self->items[item].owner;
}

json_t *
panda_query_item_value (const panda_query_page_t *self, size_t item, const char *field)
{
    long f = panda_schema_field_index (self->schema->schema, field);
    return f >= 0 && self->items[item].values ? self->items[item].values[f] : NULL;
}
