/*  panda_query_list.c - collections and relation lists: a page of a
    collection, and the relation lists of every item of a page, batched
    (node-api §6.3). How a page is read is panda_query_source.c.            */
#include "panda_query_filter.h"

#include "panda_scalar.h"

#include <stdlib.h>
#include <string.h>

panda_err_t
panda_query_collection (panda_query_t *self, const char *schema_id, json_t *args, const char *const *selected,
                        size_t selected_count, panda_query_page_t **page_p, panda_error_t *err)
{
    *page_p = NULL;
    panda_query_args_t a;
    panda_query_source_t src = {0};
    panda_err_t rc = panda_query_source_args (args, self->max_page, &a, err);
    if (rc == PANDA_OK && !(src.schema = panda_query_schema (self, schema_id, err)))
        rc = err->code;
    if (rc == PANDA_OK)
        rc = panda_query_source_order (&src, &a, err);
    if (rc == PANDA_OK)
        rc = panda_query_source_plan (self, &src, &a, err);
    panda_query_page_t *page = rc == PANDA_OK ? panda_query_page_new (src.schema) : NULL;
    if (rc == PANDA_OK && !page)
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    if (rc == PANDA_OK)
        rc = panda_query_source_page (self, &src, &a, page, err);
    if (rc == PANDA_OK)
        rc = panda_query_page_finish (self, page, selected, selected_count, NULL, err);
    if (rc == PANDA_OK)
        page->count_args = args ? json_deep_copy (args) : json_object ();
    if (rc != PANDA_OK)
        panda_query_page_unref (&page);
    *page_p = page;
    return rc;
}

// ---------------------------------------------------------------------------
//  Relation lists, batched: the lists of every item of a page under one
//  set of arguments come from one query (a window per parent view).

void
panda_query_batches_destroy (panda_query_batch_t **self_p)
{
    while (*self_p) {
        panda_query_batch_t *b = *self_p;
        *self_p = b->next;
        free (b->key);
        panda_query_page_unref (&b->all);
        free (b->views), free (b->start), free (b->count), free (b->more), free (b->applied),
            free (b->totals);
        panda_query_sql_release (&b->count_sql);
        free (b);
    }
}

static int
s_int64_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  The distinct parent views of page, sorted.
static panda_err_t
s_batch_views (panda_query_batch_t *b, const panda_query_page_t *page, panda_error_t *err)
{
    size_t n = page->count ? page->count : 1;
    b->views = malloc (n * sizeof (int64_t));
    b->start = calloc (n, sizeof (size_t));
    b->count = calloc (n, sizeof (size_t));
    b->more = calloc (n, sizeof (bool));
    b->applied = calloc (n, sizeof (bool));
    b->totals = calloc (n, sizeof (int64_t));
    if (!b->views || !b->start || !b->count || !b->more || !b->applied || !b->totals)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    for (size_t i = 0; i < page->count; i++)
        b->views[i] = page->items[i].view;
    qsort (b->views, page->count, sizeof (int64_t), s_int64_cmp);
    for (size_t i = 0; i < page->count; i++)
        if (b->nviews == 0 || b->views[b->nviews - 1] != b->views[i])
            b->views[b->nviews++] = b->views[i];
    return PANDA_OK;
}

static long
s_batch_index (const panda_query_batch_t *b, int64_t view)
{
    const int64_t *at = bsearch (&view, b->views, b->nviews, sizeof (int64_t), s_int64_cmp);
    return at ? (long) (at - b->views) : -1;
}

//  The parent item a list cursor names (by its view id), or NULL.
static const panda_query_item_t *
s_cursor_parent (const panda_query_page_t *page, const char *cursor)
{
    char buf[PANDA_QUERY_CURSOR_MAX];
    const char *parts[3];
    size_t n = strlen (cursor) <= PANDA_BASE58_MAX_CHARS
                   ? panda_query_source_cursor_parts (cursor, buf, sizeof buf, parts)
                   : 0;
    for (size_t i = 0; n == 3 && i < page->count; i++)
        if (strcmp (page->items[i].view_id, parts[2]) == 0)
            return &page->items[i];
    return NULL;
}

//  Split b->all into per-parent ranges; drop each range's look-ahead row.
static panda_err_t
s_batch_split (panda_query_batch_t *b, const panda_query_page_t *page, int64_t limit, panda_error_t *err)
{
    panda_query_page_t *all = b->all;
    for (size_t i = 0; i < all->count; i++) {
        panda_query_item_t *it = &all->items[i];
        long v = s_batch_index (b, it->parent);
        if (v < 0)
            return panda_error_set (err, PANDA_ERR_INTERNAL, "query: list item of an unknown parent");
        if (b->count[v]++ == 0)
            b->start[v] = i;
        for (size_t k = 0; k < page->count && !it->parent_view; k++)
            if (page->items[k].view == it->parent)
                it->parent_view = strdup (page->items[k].view_id);
        if (!it->parent_view)
            return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    }
    for (size_t v = 0; v < b->nviews; v++) {
        b->more[v] = b->count[v] > (size_t) limit;
        if (b->more[v])
            b->count[v] = (size_t) limit;
        panda_query_item_t *items = all->items + b->start[v];
        for (size_t i = 0, j = b->count[v]; b->backward && i + 1 < j; i++, j--) {
            panda_query_item_t t = items[i];
            items[i] = items[j - 1];
            items[j - 1] = t;
        }
    }
    return PANDA_OK;
}

//  The item query of all lists: rows numbered per parent in list page order.
static panda_err_t
s_batch_sql (panda_query_t *self, panda_query_source_t *src, const panda_query_args_t *args,
             panda_query_batch_t *b, const panda_query_item_t *cursor_parent, panda_query_sql_t *sql,
             panda_error_t *err)
{
    bool up = args->desc == args->backward;
    const char *nc = src->nocase ? " COLLATE NOCASE" : "";
    panda_query_sql_add (sql,
                         "SELECT * FROM (SELECT d.id, d.document_id, d.owner, %s, v.view_id, p.idx, p.cursor,"
                         " p.view, ROW_NUMBER () OVER (PARTITION BY p.view ORDER BY %s%s %s",
                         src->view, src->key, nc, up ? "ASC" : "DESC");
    if (strcmp (src->key, src->tie) != 0)
        panda_query_sql_add (sql, ", %s %s", src->tie, args->backward ? "DESC" : "ASC");
    panda_query_sql_add (sql, ") AS rn");
    panda_query_source_from (sql, src, true);
    panda_err_t rc = args->filter
                         ? panda_query_filter_fields (sql, src->schema, args->filter, src->view, NULL, err)
                         : PANDA_OK;
    if (rc == PANDA_OK && args->meta)
        rc = panda_query_filter_meta (sql, args->meta, err);
    if (rc == PANDA_OK && cursor_parent) { //  the cursor applies to its own list only
        panda_query_source_t one = *src;
        one.parent = cursor_parent;
        one.nparents = 0;
        bool applied = false;
        panda_query_sql_add (sql, " AND (p.view != ");
        panda_query_sql_int (sql, cursor_parent->view);
        panda_query_sql_add (sql, " OR (1");
        rc = panda_query_source_keyset (self, &one, args, sql, &applied, err);
        panda_query_sql_add (sql, "))");
        long v = applied ? s_batch_index (b, cursor_parent->view) : -1;
        if (v >= 0)
            b->applied[v] = true;
    }
    panda_query_sql_add (sql, ") WHERE rn <= %lld ORDER BY 8, rn", (long long) args->limit + 1);
    //  totalCount per parent: the same conditions, grouped
    panda_query_source_t plain = *src;
    plain.order_field = -1;
    panda_query_sql_add (&b->count_sql, "SELECT p.view, count(*)");
    panda_query_source_from (&b->count_sql, &plain, json_object_get (args->meta, "viewId") != NULL);
    if (rc == PANDA_OK && args->filter)
        rc = panda_query_filter_fields (&b->count_sql, src->schema, args->filter, src->view, NULL, err);
    if (rc == PANDA_OK && args->meta)
        rc = panda_query_filter_meta (&b->count_sql, args->meta, err);
    panda_query_sql_add (&b->count_sql, " GROUP BY p.view");
    return rc;
}

static panda_err_t
s_batch_run (panda_query_t *self, panda_query_page_t *page, long f, json_t *args, const char *const *selected,
             size_t selected_count, panda_query_batch_t *b, panda_error_t *err)
{
    const panda_schema_t *ps = page->schema->schema;
    panda_query_args_t a;
    panda_query_source_t src = {0};
    src.parent = &page->items[0];
    src.list_field = page->schema->field_ids[f];
    src.pinned = panda_schema_field_kind (ps, (size_t) f) == PANDA_FIELD_PINNED_RELATION_LIST;
    panda_err_t rc = panda_query_source_args (args, self->max_page, &a, err);
    if (rc == PANDA_OK &&
        !(src.schema = panda_query_schema (self, panda_schema_field_target (ps, (size_t) f), err)))
        rc = err->code;
    if (rc == PANDA_OK)
        rc = panda_query_source_order (&src, &a, err);
    if (rc == PANDA_OK)
        rc = panda_query_source_plan (self, &src, &a, err);
    if (rc == PANDA_OK)
        rc = s_batch_views (b, page, err);
    if (rc == PANDA_OK && !(b->all = panda_query_page_new (src.schema)))
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    if (rc != PANDA_OK)
        return rc;
    src.parents = b->views;
    src.nparents = b->nviews;
    b->backward = a.backward;
    const panda_query_item_t *cursor_parent = a.cursor ? s_cursor_parent (page, a.cursor) : NULL;
    if (a.cursor && !cursor_parent) { //  not a list cursor of this page: still checked for form
        char buf[PANDA_QUERY_CURSOR_MAX];
        const char *parts[3];
        size_t n = strlen (a.cursor) <= PANDA_BASE58_MAX_CHARS
                       ? panda_query_source_cursor_parts (a.cursor, buf, sizeof buf, parts)
                       : 0;
        uint8_t row[32];
        if ((n != 1 && n != 3) || !panda_query_source_row_cursor (parts[n == 1 ? 0 : 1], row))
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "Invalid value for argument \"after\", expected type \"Cursor\"");
    }
    panda_query_sql_t sql;
    panda_query_sql_init (&sql);
    rc = s_batch_sql (self, &src, &a, b, cursor_parent, &sql, err);
    sqlite3_stmt *stmt = rc == PANDA_OK ? panda_query_sql_prepare (self->db, &sql, err) : NULL;
    panda_query_sql_release (&sql);
    if (rc == PANDA_OK && !stmt)
        rc = err->code;
    if (rc == PANDA_OK)
        rc = panda_query_page_fill (self, b->all, stmt, true, err);
    sqlite3_finalize (stmt);
    if (rc == PANDA_OK)
        rc = s_batch_split (b, page, a.limit, err);
    if (rc == PANDA_OK)
        rc = panda_query_page_finish (self, b->all, selected, selected_count, NULL, err);
    return rc;
}

//  "<field>\x1f<args>\x1f<selected>...": what makes two list queries the same.
static char *
s_batch_key (const char *field, json_t *args, const char *const *selected, size_t selected_count)
{
    char *dump = args ? json_dumps (args, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    size_t len = strlen (field) + (dump ? strlen (dump) : 0) + 3;
    for (size_t i = 0; i < selected_count; i++)
        len += strlen (selected[i]) + 1;
    char *key = malloc (len);
    if (key) {
        size_t n = (size_t) snprintf (key, len, "%s\x1f%s\x1f", field, dump ? dump : "");
        for (size_t i = 0; i < selected_count; i++)
            n += (size_t) snprintf (key + n, len - n, "%s,", selected[i]);
    }
    free (dump);
    return key;
}

panda_err_t
panda_query_list (panda_query_t *self, panda_query_page_t *parent, size_t item, const char *field,
                  json_t *args, const char *const *selected, size_t selected_count,
                  panda_query_page_t **page_p, panda_error_t *err)
{
    *page_p = NULL;
    for (; parent->base; parent = parent->base) //  list pages share their base's batches
        item += parent->offset;
    const panda_schema_t *ps = parent->schema->schema;
    long f = panda_schema_field_index (ps, field);
    panda_field_kind_t kind = f >= 0 ? panda_schema_field_kind (ps, (size_t) f) : PANDA_FIELD_BOOL;
    if (f < 0 || (kind != PANDA_FIELD_RELATION_LIST && kind != PANDA_FIELD_PINNED_RELATION_LIST) ||
        item >= parent->count)
        return panda_error_set (err, PANDA_ERR_INVALID, "query: %s is not a relation list field of %s", field,
                                parent->schema->id);
    char *key = s_batch_key (field, args, selected, selected_count);
    if (!key)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    panda_query_batch_t *b = parent->batches;
    while (b && strcmp (b->key, key) != 0)
        b = b->next;
    if (b)
        free (key);
    else {
        b = calloc (1, sizeof *b);
        if (!b) {
            free (key);
            return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
        }
        b->key = key;
        panda_query_sql_init (&b->count_sql);
        panda_err_t rc = s_batch_run (self, parent, f, args, selected, selected_count, b, err);
        if (rc != PANDA_OK) {
            panda_query_batches_destroy (&b);
            return rc;
        }
        b->next = parent->batches;
        parent->batches = b;
    }
    long v = s_batch_index (b, parent->items[item].view);
    panda_query_page_t *page = v >= 0 ? panda_query_page_new (b->all->schema) : NULL;
    if (!page)
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    page->base = panda_query_page_ref (b->all);
    page->owner = panda_query_page_ref (parent);
    page->offset = b->start[v];
    page->items = b->all->items + b->start[v];
    page->count = page->cap = b->count[v];
    page->batch = b;
    page->batch_index = (size_t) v;
    page->has_next = b->backward ? b->applied[v] : b->more[v];
    page->has_previous = b->backward ? b->more[v] : b->applied[v];
    *page_p = page;
    return PANDA_OK;
}

//  Every parent's totalCount of a batch, in one grouped query.
static panda_err_t
s_batch_totals (panda_query_t *self, panda_query_batch_t *b, panda_error_t *err)
{
    sqlite3_stmt *stmt = panda_query_sql_prepare (self->db, &b->count_sql, err);
    if (!stmt)
        return err->code;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        long v = s_batch_index (b, sqlite3_column_int64 (stmt, 0));
        if (v >= 0)
            b->totals[v] = sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_finalize (stmt);
    if (step != SQLITE_DONE)
        return panda_query_db_error (self, "count", err);
    b->totals_known = true;
    return PANDA_OK;
}

panda_err_t
panda_query_page_total (panda_query_t *self, panda_query_page_t *page, int64_t *total, panda_error_t *err)
{
    if (!page->total_known && page->batch) {
        panda_err_t rc = page->batch->totals_known ? PANDA_OK : s_batch_totals (self, page->batch, err);
        if (rc != PANDA_OK)
            return rc;
        page->total = page->batch->totals[page->batch_index];
        page->total_known = true;
    }
    if (!page->total_known) {
        if (page->count_args && !page->count_sql.text) {
            panda_err_t rc = panda_query_source_count (self, page, err);
            if (rc != PANDA_OK)
                return rc;
        }
        if (!page->count_sql.text) { //  single documents and relation targets
            page->total = (int64_t) page->count;
        } else {
            sqlite3_stmt *stmt = panda_query_sql_prepare (self->db, &page->count_sql, err);
            if (!stmt)
                return err->code;
            int step = sqlite3_step (stmt);
            page->total = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
            sqlite3_finalize (stmt);
            if (step != SQLITE_ROW)
                return panda_query_db_error (self, "count", err);
        }
        page->total_known = true;
    }
    *total = page->total;
    return PANDA_OK;
}
