/*  panda_query_source.c - what a collection or relation list reads and how
    one page of it is read: arguments, ordering, the source plan, cursors,
    keyset pagination (node-api §6.3.4-6.3.7) and the totalCount query. The
    item query is

        SELECT d.id, d.document_id, d.owner, v.id, v.view_id [, p.idx, p.cursor]
        FROM <documents | list rows p> ... [JOIN fields o (the ordering field)]
        WHERE <schema, list> <filters> <after/before>
        ORDER BY <key> <dir>, <tie> LIMIT n + 1

    where the tie is the document id (collections) or the list position
    (lists), so the order is total and a cursor names one position.        */
#include "panda_query_filter.h"

#include "panda/panda_hex.h"
#include "panda_scalar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

//  Driving a page of n from a filter of m matches costs ~m (they are all
//  read and sorted); walking the ordering index costs ~n * N / m lookups
//  (N documents). The filter drives when m < sqrt (n * N), within these
//  bounds; N is estimated by the largest documents rowid.
#define S_DRIVE_MIN 64
#define S_DRIVE_MAX 50000

static panda_err_t
s_limit (json_t *v, const char *name, uint32_t max, int64_t *limit, panda_error_t *err)
{
    if (!json_is_integer (v))
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "Invalid value for argument \"%s\", expected type \"Int\"", name);
    if (json_integer_value (v) <= 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "out of range integral type conversion attempted");
    if (json_integer_value (v) > (json_int_t) max)
        return panda_error_set (err, PANDA_ERR_LIMIT,
                                "`%s` must not be greater than %u (graphql_max_page_size)", name, max);
    *limit = json_integer_value (v);
    return PANDA_OK;
}

static json_t *
s_arg (json_t *args, const char *name)
{
    json_t *v = json_is_object (args) ? json_object_get (args, name) : NULL;
    return json_is_null (v) ? NULL : v; //  null means absent (node-api §14.18)
}

panda_err_t
panda_query_source_args (json_t *args, uint32_t max, panda_query_args_t *out, panda_error_t *err)
{
    memset (out, 0, sizeof *out);
    out->limit = PANDA_QUERY_DEFAULT_FIRST;
    out->filter = s_arg (args, "filter");
    out->meta = s_arg (args, "meta");
    if ((out->filter && !json_is_object (out->filter)) || (out->meta && !json_is_object (out->meta)))
        return panda_error_set (err, PANDA_ERR_INVALID, "internal: is not an object");
    json_t *order = s_arg (args, "orderBy"), *dir = s_arg (args, "orderDirection");
    out->order_by = json_string_value (order);
    out->desc = json_is_string (dir) && strcmp (json_string_value (dir), "DESC") == 0;
    json_t *first = s_arg (args, "first"), *last = s_arg (args, "last");
    json_t *after = s_arg (args, "after"), *before = s_arg (args, "before");
    if (first && last)
        return panda_error_set (err, PANDA_ERR_INVALID, "Use either `first` or `last`, not both");
    if ((after && last) || (before && first) || (after && before))
        return panda_error_set (err, PANDA_ERR_INVALID, "`after` goes with `first`, `before` with `last`");
    out->backward = last || before;
    panda_err_t rc = PANDA_OK;
    if (first || last)
        rc = s_limit (first ? first : last, first ? "first" : "last", max, &out->limit, err);
    if (rc == PANDA_OK && (after || before) && !json_is_string (after ? after : before))
        rc = panda_error_set (err, PANDA_ERR_INVALID,
                              "Invalid value for argument \"%s\", expected type \"Cursor\"",
                              after ? "after" : "before");
    out->cursor = json_string_value (after ? after : before);
    return rc;
}

panda_err_t
panda_query_source_order (panda_query_source_t *src, panda_query_args_t *args, panda_error_t *err)
{
    if (src->parent && !args->order_by)
        args->desc = false; //  list order is always ascending (§6.3.4)
    src->order_field = -1;
    src->tie = src->parent ? "p.idx" : "d.document_id";
    src->key = src->tie;
    if (!args->order_by || strcmp (args->order_by, "DOCUMENT_ID") == 0) {
        if (args->order_by || !src->parent)
            src->key = "d.document_id";
    } else if (strcmp (args->order_by, "DOCUMENT_VIEW_ID") == 0)
        src->key = "v.view_id";
    else if (strcmp (args->order_by, "OWNER") == 0)
        src->key = "d.owner";
    else {
        src->order_field = panda_schema_field_index (src->schema->schema, args->order_by);
        if (src->order_field < 0)
            return panda_error_set (
                err, PANDA_ERR_INVALID,
                "Invalid value for argument \"orderBy\", enumeration type \"%sOrderBy\" does "
                "not contain the value \"%s\"",
                src->schema->id, args->order_by);
        src->key = "o.value";
        panda_field_kind_t kind = panda_schema_field_kind (src->schema->schema, (size_t) src->order_field);
        src->nocase = kind == PANDA_FIELD_STR;
        src->nullable = kind == PANDA_FIELD_RELATION_LIST || kind == PANDA_FIELD_PINNED_RELATION_LIST;
    }
    return PANDA_OK;
}

//  The largest documents rowid: an upper bound of any schema's documents.
static double
s_documents (panda_query_t *self)
{
    sqlite3_stmt *stmt = NULL;
    double documents = 0;
    if (sqlite3_prepare_v2 (self->db, "SELECT max (id) FROM documents", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        documents = (double) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return documents;
}

//  Choose how a top-level query runs: from its most selective filter when
//  one is selective enough, else along its ordering index.
panda_err_t
panda_query_source_plan (panda_query_t *self, panda_query_source_t *src, const panda_query_args_t *args,
                         panda_error_t *err)
{
    src->view = src->parent && src->pinned ? "v.id" : "d.view";
    if (src->parent)
        return PANDA_OK;
    int64_t best = (int64_t) sqrt ((double) (args->limit + 1) * s_documents (self));
    best = best < S_DRIVE_MIN ? S_DRIVE_MIN : best > S_DRIVE_MAX ? S_DRIVE_MAX : best;
    if (self->plan != PANDA_QUERY_PLAN_AUTO)
        best = self->plan == PANDA_QUERY_PLAN_FILTER ? INT64_MAX : 0;
    const char *name;
    json_t *ops;
    json_t *filter = self->plan == PANDA_QUERY_PLAN_ORDER ? NULL : args->filter;
    json_object_foreach (filter, name, ops)
    {
        int64_t count = 0;
        panda_err_t rc = panda_query_filter_probe (self->db, src->schema, name, ops, best, &count, err);
        if (rc != PANDA_OK)
            return rc;
        if (count < best)
            best = count, src->drive = name, src->drive_ops = ops;
    }
    src->order_driven = !src->drive && src->order_field >= 0 && !src->nullable;
    return PANDA_OK;
}

//  FROM ... WHERE <what is listed>, without filters. views: join the
//  views table (its view_id is needed).
void
panda_query_source_from (panda_query_sql_t *sql, const panda_query_source_t *src, bool views)
{
    if (src->order_driven) {
        panda_query_sql_add (sql,
                             " FROM fields o CROSS JOIN documents d ON d.view = o.view%s WHERE o.idx = 0"
                             " AND o.field = ",
                             views ? " CROSS JOIN views v ON v.id = d.view" : "");
        panda_query_sql_int (sql, src->schema->field_ids[src->order_field]);
        panda_query_sql_add (sql, " AND d.view IS NOT NULL AND d.schema = ");
        panda_query_sql_text (sql, src->schema->id, strlen (src->schema->id));
        return;
    }
    if (!src->parent && src->drive) { //  from the views a selective filter matches
        panda_query_sql_add (sql, " FROM ");
        panda_query_filter_drive (sql, src->schema, src->drive, src->drive_ops);
        panda_query_sql_add (sql, " f CROSS JOIN documents d ON d.view = f.view%s",
                             views ? " JOIN views v ON v.id = d.view" : "");
    } else if (!src->parent)
        panda_query_sql_add (sql, " FROM documents d%s", views ? " JOIN views v ON v.id = d.view" : "");
    else if (src->pinned)
        panda_query_sql_add (sql, " FROM fields p JOIN views v ON v.view_id = p.value"
                                  " JOIN documents d ON d.id = v.document");
    else
        panda_query_sql_add (sql, " FROM fields p JOIN documents d ON d.document_id = p.value%s",
                             views ? " JOIN views v ON v.id = d.view" : "");
    if (src->order_field >= 0) {
        panda_query_sql_add (sql, " JOIN fields o ON o.view = %s AND o.idx = 0 AND o.field = ", src->view);
        panda_query_sql_int (sql, src->schema->field_ids[src->order_field]);
    }
    panda_query_sql_add (sql, " WHERE d.view IS NOT NULL AND d.schema = ");
    panda_query_sql_text (sql, src->schema->id, strlen (src->schema->id));
    if (src->parent && src->nparents) {
        panda_query_sql_add (sql, " AND p.view IN (");
        for (size_t i = 0; i < src->nparents; i++) {
            panda_query_sql_add (sql, i ? "," : "");
            panda_query_sql_int (sql, src->parents[i]);
        }
        panda_query_sql_add (sql, ")");
    } else if (src->parent) {
        panda_query_sql_add (sql, " AND p.view = ");
        panda_query_sql_int (sql, src->parent->view);
    }
    if (src->parent) {
        panda_query_sql_add (sql, " AND p.field = ");
        panda_query_sql_int (sql, src->list_field);
    }
}

//  Decode a cursor (untrusted): parts[0..2] point into buf. Returns the
//  number of '-' separated parts, 0 when malformed.
size_t
panda_query_source_cursor_parts (const char *cursor, char *buf, size_t cap, const char *parts[3])
{
    size_t len = 0;
    panda_error_t ignored;
    if (panda_base58_decode (cursor, strlen (cursor), (uint8_t *) buf, cap - 1, &len, &ignored) != PANDA_OK)
        return 0;
    buf[len] = 0;
    if (strlen (buf) != len)
        return 0;
    size_t n = 0;
    char *at = buf;
    while (n < 3) {
        parts[n++] = at;
        char *dash = strchr (at, '-');
        if (!dash)
            break;
        *dash = 0;
        at = dash + 1;
        if (n == 3)
            return 0; //  a fourth part
    }
    return n;
}

bool
panda_query_source_row_cursor (const char *hex, uint8_t out[32])
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    panda_error_t ignored;
    if (strlen (hex) != 64 || panda_hex_decode (hex, 64, &bytes, &len, &ignored) != PANDA_OK)
        return false;
    memcpy (out, bytes, 32);
    free (bytes);
    return true;
}

//  The position a cursor names in this source, as a restriction of the
//  item query: "d.id = N" or "p.idx = N". *applies false when the cursor is
//  for another list (or level) and is ignored (§6.3.5).
static panda_err_t
s_cursor_locate (panda_query_t *self, const panda_query_source_t *src, const char *cursor,
                 panda_query_sql_t *where, bool *applies, panda_error_t *err)
{
    *applies = false;
    char buf[PANDA_QUERY_CURSOR_MAX];
    const char *parts[3];
    size_t n = strlen (cursor) <= PANDA_BASE58_MAX_CHARS
                   ? panda_query_source_cursor_parts (cursor, buf, sizeof buf, parts)
                   : 0;
    uint8_t row[32];
    if ((n != 1 && n != 3) || !panda_query_source_row_cursor (parts[n == 1 ? 0 : 1], row))
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "Invalid value for argument \"after\", expected type \"Cursor\"");
    if ((n == 1) != (src->parent == NULL) || (n == 3 && strcmp (parts[2], src->parent->view_id) != 0))
        return PANDA_OK;
    sqlite3_stmt *stmt = NULL;
    const char *sql =
        src->parent ? "SELECT idx FROM fields WHERE cursor = ?1 AND view = ?2 AND field = ?3"
                    : "SELECT v.document FROM fields f JOIN views v ON v.id = f.view WHERE f.cursor = ?1";
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return panda_query_db_error (self, "prepare cursor", err);
    sqlite3_bind_blob (stmt, 1, row, 32, SQLITE_STATIC);
    if (src->parent) {
        sqlite3_bind_int64 (stmt, 2, src->parent->view);
        sqlite3_bind_int64 (stmt, 3, src->list_field);
    }
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        panda_query_sql_add (where, src->parent ? " AND p.idx = " : " AND d.id = ");
        panda_query_sql_int (where, sqlite3_column_int64 (stmt, 0));
        *applies = true;
    }
    sqlite3_finalize (stmt);
    if (step == SQLITE_DONE)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND,
                                "Cursor not found: it names no document in this collection");
    return step == SQLITE_ROW ? PANDA_OK : panda_query_db_error (self, "cursor", err);
}

//  Append the keyset condition "strictly after (or before) the cursor's
//  position" in the page's walking order.
panda_err_t
panda_query_source_keyset (panda_query_t *self, const panda_query_source_t *src,
                           const panda_query_args_t *args, panda_query_sql_t *sql, bool *applied,
                           panda_error_t *err)
{
    panda_query_sql_t at;
    panda_query_sql_init (&at);
    panda_query_sql_add (&at, "SELECT %s, %s", src->key, src->tie);
    panda_query_source_t one = *src; //  one row by its id: no index walk
    one.order_driven = false;
    one.drive = NULL;
    panda_query_source_from (&at, &one, true);
    panda_err_t rc = s_cursor_locate (self, src, args->cursor, &at, applied, err);
    sqlite3_stmt *stmt = rc == PANDA_OK && *applied ? panda_query_sql_prepare (self->db, &at, err) : NULL;
    panda_query_sql_release (&at);
    if (rc != PANDA_OK || !*applied)
        return rc;
    if (!stmt)
        return err->code;
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW) {
        bool up = args->desc == args->backward; //  key grows along the walk
        const char *kop = up ? ">" : "<", *top = args->backward ? "<" : ">";
        const char *nc = src->nocase ? " COLLATE NOCASE" : "";
        bool key_null = sqlite3_column_type (stmt, 0) == SQLITE_NULL;
        sqlite3_value *key = sqlite3_column_value (stmt, 0), *tie = sqlite3_column_value (stmt, 1);
        if (strcmp (src->key, src->tie) == 0) {
            panda_query_sql_add (sql, " AND %s %s ", src->key, kop);
            panda_query_sql_value (sql, tie);
        } else if (!src->nullable) { //  a range on the key, so an index on it can seek
            panda_query_sql_add (sql, " AND %s%s %s= ", src->key, nc, kop);
            panda_query_sql_value (sql, key);
            panda_query_sql_add (sql, " AND (%s%s %s ", src->key, nc, kop);
            panda_query_sql_value (sql, key);
            panda_query_sql_add (sql, " OR %s %s ", src->tie, top);
            panda_query_sql_value (sql, tie);
            panda_query_sql_add (sql, ")");
        } else if (key_null) { //  NULLs sort first ascending
            panda_query_sql_add (sql, " AND ((%s IS NULL AND %s %s ", src->key, src->tie, top);
            panda_query_sql_value (sql, tie);
            panda_query_sql_add (sql, ")%s)", up ? " OR o.value IS NOT NULL" : "");
        } else { //  NULL keys (an empty list field) sort last descending
            panda_query_sql_add (sql, " AND (%s%s %s ", src->key, nc, kop);
            panda_query_sql_value (sql, key);
            panda_query_sql_add (sql, "%s OR (%s%s = ", up ? "" : " OR o.value IS NULL", src->key, nc);
            panda_query_sql_value (sql, key);
            panda_query_sql_add (sql, " AND %s %s ", src->tie, top);
            panda_query_sql_value (sql, tie);
            panda_query_sql_add (sql, "))");
        }
    }
    sqlite3_finalize (stmt);
    if (step == SQLITE_DONE)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND,
                                "Cursor not found: its document is no longer listed");
    return step == SQLITE_ROW ? PANDA_OK : panda_query_db_error (self, "cursor key", err);
}

static void
s_reverse (panda_query_page_t *page)
{
    for (size_t i = 0, j = page->count; i + 1 < j; i++, j--) {
        panda_query_item_t t = page->items[i];
        page->items[i] = page->items[j - 1];
        page->items[j - 1] = t;
    }
}

//  Run the page query of src under args and fill page.
panda_err_t
panda_query_source_page (panda_query_t *self, const panda_query_source_t *src, const panda_query_args_t *args,
                         panda_query_page_t *page, panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    panda_query_sql_t base;
    panda_query_sql_init (&base);
    panda_query_source_from (&base, src, true);
    if (rc == PANDA_OK && args->filter)
        rc = panda_query_filter_fields (&base, src->schema, args->filter, src->view, src->drive, err);
    if (rc == PANDA_OK && args->meta)
        rc = panda_query_filter_meta (&base, args->meta, err);
    bool applied = false;
    if (rc == PANDA_OK && args->cursor)
        rc = panda_query_source_keyset (self, src, args, &base, &applied, err);
    bool up = args->desc == args->backward;
    const char *nc = src->nocase ? " COLLATE NOCASE" : "";
    panda_query_sql_add (&base, " ORDER BY %s%s %s", src->key, nc, up ? "ASC" : "DESC");
    if (strcmp (src->key, src->tie) != 0)
        panda_query_sql_add (&base, ", %s %s", src->tie, args->backward ? "DESC" : "ASC");
    panda_query_sql_add (&base, " LIMIT %lld", (long long) args->limit + 1);
    panda_query_sql_t sql;
    panda_query_sql_init (&sql);
    panda_query_sql_add (&sql, "SELECT d.id, d.document_id, d.owner, %s, v.view_id%s%s", src->view,
                         src->parent ? ", p.idx, p.cursor" : "", base.text ? base.text : "");
    panda_query_sql_binds_from (&sql, &base);
    panda_query_sql_release (&base);
    sqlite3_stmt *stmt = rc == PANDA_OK ? panda_query_sql_prepare (self->db, &sql, err) : NULL;
    panda_query_sql_release (&sql);
    if (rc == PANDA_OK && !stmt)
        rc = err->code;
    if (rc == PANDA_OK)
        rc = panda_query_page_fill (self, page, stmt, src->parent != NULL, err);
    sqlite3_finalize (stmt);
    if (rc != PANDA_OK)
        return rc;
    bool more = page->count > (size_t) args->limit;
    if (more)
        free (page->items[--page->count].view_id);
    if (args->backward)
        s_reverse (page);
    page->has_next = args->backward ? applied : more;
    page->has_previous = args->backward ? more : applied;
    return PANDA_OK;
}

//  totalCount of a collection (built at its first use): the page's
//  conditions, no cursor, no order. A count reads every match anyway, so
//  any filter matching less than a quarter of the documents drives it.
panda_err_t
panda_query_source_count (panda_query_t *self, panda_query_page_t *page, panda_error_t *err)
{
    panda_query_args_t a;
    panda_query_source_t src = {0};
    src.schema = page->schema;
    src.view = "d.view";
    src.order_field = -1;
    panda_err_t rc = panda_query_source_args (page->count_args, self->max_page, &a, err);
    int64_t cap = (int64_t) (s_documents (self) / 4);
    const char *name;
    json_t *ops;
    json_object_foreach (rc == PANDA_OK ? a.filter : NULL, name, ops)
    {
        int64_t count = 0;
        rc = panda_query_filter_probe (self->db, src.schema, name, ops, cap, &count, err);
        if (rc != PANDA_OK)
            return rc;
        if (count < cap)
            cap = count, src.drive = name, src.drive_ops = ops;
    }
    panda_query_sql_add (&page->count_sql, "SELECT count(*)");
    panda_query_source_from (&page->count_sql, &src, json_object_get (a.meta, "viewId") != NULL);
    if (rc == PANDA_OK && a.filter)
        rc = panda_query_filter_fields (&page->count_sql, src.schema, a.filter, src.view, src.drive, err);
    if (rc == PANDA_OK && a.meta)
        rc = panda_query_filter_meta (&page->count_sql, a.meta, err);
    return rc;
}
