/*  panda_query_filter.c - the WHERE conditions of a collection: field
    filters with aquadoggo's merge rules and meta filters (node-api §6.3.2,
    §6.3.3). Every value is bound with the type the column stores.          */
#include "panda_query_filter.h"

#include "panda/panda_hex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

//  Bind one filter value as the column stores it. false when the value
//  does not fit the field (e.g. a bad id): the caller then matches nothing.
static bool
s_bind (panda_query_sql_t *sql, panda_field_kind_t kind, json_t *v)
{
    switch (kind) {
        case PANDA_FIELD_BOOL:
            if (!json_is_boolean (v))
                return false;
            panda_query_sql_int (sql, json_is_true (v));
            return true;
        case PANDA_FIELD_INT:
            if (!json_is_integer (v))
                return false;
            panda_query_sql_int (sql, json_integer_value (v));
            return true;
        case PANDA_FIELD_FLOAT:
            if (!json_is_number (v))
                return false;
            panda_query_sql_real (sql, json_number_value (v));
            return true;
        case PANDA_FIELD_STR:
        case PANDA_FIELD_PINNED_RELATION:
        case PANDA_FIELD_PINNED_RELATION_LIST:
            if (!json_is_string (v))
                return false;
            panda_query_sql_text (sql, json_string_value (v), json_string_length (v));
            return true;
        default: { //  bytes and document ids: hex text -> the stored blob
            uint8_t *bytes = NULL;
            size_t len = 0;
            panda_error_t ignored;
            if (!json_is_string (v) || panda_hex_decode (json_string_value (v), json_string_length (v),
                                                         &bytes, &len, &ignored) != PANDA_OK)
                return false;
            panda_query_sql_blob (sql, bytes, len);
            free (bytes);
            return true;
        }
    }
}

//  The operators of one field, merged (see §6.3.2).
typedef struct {
    json_t *pos, *neg; //  eq/in and notEq/notIn values
    bool has_pos, has_neg; //  an explicit `in: []` matches nothing
    json_t *lower, *upper;
    bool lower_strict, upper_strict;
    json_t *flag; //  boolean eq/notEq: the last one wins
    bool flag_neg;
    json_t *contains, *not_contains;
} s_ops_t;

static bool
s_is (const char *key, const char *a, const char *b)
{
    return strcmp (key, a) == 0 || strcmp (key, b) == 0;
}

static void
s_ops_merge (s_ops_t *ops, json_t *filter, bool flag_kind)
{
    const char *key;
    json_t *v;
    json_object_foreach (filter, key, v)
    {
        if (json_is_null (v))
            continue;
        bool list = json_is_array (v);
        if (flag_kind && s_is (key, "eq", "notEq"))
            ops->flag = v, ops->flag_neg = key[0] == 'n';
        else if (s_is (key, "eq", "in")) {
            ops->has_pos = true;
            list ? json_array_extend (ops->pos, v) : json_array_append (ops->pos, v);
        } else if (s_is (key, "notEq", "notIn")) {
            ops->has_neg = true;
            list ? json_array_extend (ops->neg, v) : json_array_append (ops->neg, v);
        } else if (s_is (key, "gt", "gte"))
            ops->lower = v, ops->lower_strict = key[2] == 0;
        else if (s_is (key, "lt", "lte"))
            ops->upper = v, ops->upper_strict = key[2] == 0;
        else if (strcmp (key, "contains") == 0)
            ops->contains = v;
        else if (strcmp (key, "notContains") == 0)
            ops->not_contains = v;
    }
}

//  " AND col IN (...)" / NOT IN; an unbindable item is left out.
static void
s_set (panda_query_sql_t *sql, const char *col, panda_field_kind_t kind, json_t *set, bool negate)
{
    panda_query_sql_add (sql, " AND %s %sIN (", col, negate ? "NOT " : "");
    size_t i, n = 0;
    json_t *v;
    json_array_foreach (set, i, v)
    {
        size_t at = sql->len;
        panda_query_sql_add (sql, n ? "," : "");
        if (s_bind (sql, kind, v))
            n++;
        else if (!sql->oom)
            sql->len = at, sql->text[at] = 0;
    }
    panda_query_sql_add (sql, ")");
}

static void
s_compare (panda_query_sql_t *sql, const char *col, panda_field_kind_t kind, json_t *v, const char *op)
{
    panda_query_sql_add (sql, " AND %s %s ", col, op);
    if (!s_bind (sql, kind, v))
        panda_query_sql_add (sql, "NULL");
}

//  ASCII case-insensitive substring (SQLite's LIKE, wildcards literal).
static void
s_contains (panda_query_sql_t *sql, const char *col, json_t *needle, bool negate)
{
    size_t len = json_string_length (needle);
    char *lower = malloc (len + 1);
    if (!lower) {
        sql->oom = true;
        return;
    }
    const char *s = json_string_value (needle);
    for (size_t i = 0; i < len; i++)
        lower[i] = (char) tolower ((unsigned char) s[i]);
    panda_query_sql_add (sql, " AND %sinstr (lower (%s), ", negate ? "NOT " : "", col);
    panda_query_sql_text (sql, lower, len);
    panda_query_sql_add (sql, ") > 0");
    free (lower);
}

static void
s_ops_emit (panda_query_sql_t *sql, const char *col, panda_field_kind_t kind, const s_ops_t *ops)
{
    if (ops->flag) {
        panda_query_sql_add (sql, " AND %s %s ", col, ops->flag_neg ? "!=" : "=");
        if (!s_bind (sql, kind, ops->flag))
            panda_query_sql_add (sql, "NULL");
    }
    if (ops->has_pos)
        s_set (sql, col, kind, ops->pos, false);
    if (ops->has_neg)
        s_set (sql, col, kind, ops->neg, true);
    if (ops->lower)
        s_compare (sql, col, kind, ops->lower, ops->lower_strict ? ">" : ">=");
    if (ops->upper)
        s_compare (sql, col, kind, ops->upper, ops->upper_strict ? "<" : "<=");
    if (json_is_string (ops->contains))
        s_contains (sql, col, ops->contains, false);
    if (json_is_string (ops->not_contains))
        s_contains (sql, col, ops->not_contains, true);
}

static void
s_ops_release (s_ops_t *ops)
{
    json_decref (ops->pos);
    json_decref (ops->neg);
}

static panda_err_t
s_ops_new (s_ops_t *ops, json_t *filter, bool flag_kind, const char *name, panda_error_t *err)
{
    memset (ops, 0, sizeof *ops);
    if (!json_is_object (filter))
        return panda_error_set (err, PANDA_ERR_INVALID, "internal: %s is not an object", name);
    ops->pos = json_array ();
    ops->neg = json_array ();
    if (!ops->pos || !ops->neg) {
        s_ops_release (ops);
        return panda_error_set (err, PANDA_ERR_NOMEM, "query: out of memory");
    }
    s_ops_merge (ops, filter, flag_kind);
    return PANDA_OK;
}

//  One field's condition on the item's view. IN: "view IN (the views
//  whose rows match)", which SQLite can drive the query from (good for a
//  selective filter); EXISTS: a point lookup per candidate item (good when
//  the query is driven by its order and stops after one page). For lists
//  `in` and `notIn` each need just one matching item (§6.3.2 quirk), so
//  they are separate conditions.
static void
s_field_cond (panda_query_sql_t *sql, const char *view, bool in, int64_t field_id, panda_field_kind_t kind,
              const s_ops_t *ops, bool list)
{
    if (in)
        panda_query_sql_add (sql, " AND %s IN (SELECT g.view FROM fields g WHERE g.field = ", view);
    else
        panda_query_sql_add (sql,
                             " AND EXISTS (SELECT 1 FROM fields g WHERE g.view = %s AND g.field = ", view);
    panda_query_sql_int (sql, field_id);
    panda_query_sql_add (sql, list ? " AND g.value IS NOT NULL" : in ? "" : " AND g.idx = 0");
    s_ops_emit (sql, "g.value", kind, ops);
    panda_query_sql_add (sql, ")");
}

static void
s_field_filter (panda_query_sql_t *sql, const char *view, bool in, int64_t field_id, panda_field_kind_t kind,
                const s_ops_t *ops)
{
    if (kind != PANDA_FIELD_RELATION_LIST && kind != PANDA_FIELD_PINNED_RELATION_LIST) {
        s_field_cond (sql, view, in, field_id, kind, ops, false);
        return;
    }
    s_ops_t only = *ops;
    only.has_neg = false;
    if (only.has_pos)
        s_field_cond (sql, view, in, field_id, kind, &only, true);
    only = *ops;
    only.has_pos = false;
    if (only.has_neg)
        s_field_cond (sql, view, in, field_id, kind, &only, true);
}

panda_err_t
panda_query_filter_fields (panda_query_sql_t *sql, const panda_query_schema_t *schema, json_t *filter,
                           const char *view, const char *skip, panda_error_t *err)
{
    const char *name;
    json_t *value;
    json_object_foreach (filter, name, value)
    {
        if (json_is_null (value))
            continue;
        long f = panda_schema_field_index (schema->schema, name);
        if (f < 0)
            return panda_error_set (err, PANDA_ERR_INVALID, "unknown field \"%s\" of type \"%sFilter\"", name,
                                    schema->id);
        panda_field_kind_t kind = panda_schema_field_kind (schema->schema, (size_t) f);
        s_ops_t ops;
        panda_err_t rc = s_ops_new (&ops, value, kind == PANDA_FIELD_BOOL, name, err);
        if (rc != PANDA_OK)
            return rc;
        if (!skip || strcmp (skip, name) != 0)
            s_field_filter (sql, view, false, schema->field_ids[f], kind, &ops);
        s_ops_release (&ops);
    }
    return PANDA_OK;
}

panda_err_t
panda_query_filter_probe (sqlite3 *db, const panda_query_schema_t *schema, const char *name, json_t *ops_json,
                          int64_t cap, int64_t *count, panda_error_t *err)
{
    *count = cap;
    long f = panda_schema_field_index (schema->schema, name);
    panda_field_kind_t kind =
        f >= 0 ? panda_schema_field_kind (schema->schema, (size_t) f) : PANDA_FIELD_BOOL;
    if (f < 0 || json_is_null (ops_json) || kind == PANDA_FIELD_RELATION_LIST ||
        kind == PANDA_FIELD_PINNED_RELATION_LIST)
        return PANDA_OK; //  lists never drive: a view may match several items
    s_ops_t ops;
    panda_err_t rc = s_ops_new (&ops, ops_json, kind == PANDA_FIELD_BOOL, name, err);
    if (rc != PANDA_OK)
        return rc;
    panda_query_sql_t sql;
    panda_query_sql_init (&sql);
    panda_query_sql_add (&sql, "SELECT count(*) FROM (SELECT 1 FROM fields g WHERE g.field = ");
    panda_query_sql_int (&sql, schema->field_ids[f]);
    s_ops_emit (&sql, "g.value", kind, &ops);
    panda_query_sql_add (&sql, " LIMIT %lld)", (long long) cap);
    s_ops_release (&ops);
    sqlite3_stmt *stmt = panda_query_sql_prepare (db, &sql, err);
    panda_query_sql_release (&sql);
    if (!stmt)
        return err->code;
    if (sqlite3_step (stmt) == SQLITE_ROW)
        *count = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return PANDA_OK;
}

panda_err_t
panda_query_filter_meta (panda_query_sql_t *sql, json_t *meta, panda_error_t *err)
{
    static const struct {
        const char *key, *col;
        panda_field_kind_t kind;
    } cols[] = {{"documentId", "d.document_id", PANDA_FIELD_RELATION},
                {"viewId", "v.view_id", PANDA_FIELD_PINNED_RELATION},
                {"owner", "d.owner", PANDA_FIELD_BYTES},
                {"edited", "d.edited", PANDA_FIELD_BOOL},
                {"deleted", NULL, PANDA_FIELD_BOOL}};
    const char *key;
    json_t *value;
    json_object_foreach (meta, key, value)
    {
        if (json_is_null (value))
            continue;
        size_t c = 0;
        while (c < sizeof cols / sizeof cols[0] && strcmp (cols[c].key, key) != 0)
            c++;
        if (c == sizeof cols / sizeof cols[0])
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "unknown field \"%s\" of type \"MetaFilterInputObject\"", key);
        s_ops_t ops;
        panda_err_t rc = s_ops_new (&ops, value, cols[c].kind == PANDA_FIELD_BOOL, key, err);
        if (rc != PANDA_OK)
            return rc;
        if (cols[c].col)
            s_ops_emit (sql, cols[c].col, cols[c].kind, &ops);
        else if (ops.flag && json_is_true (ops.flag) != ops.flag_neg)
            panda_query_sql_add (sql, " AND 0"); //  deleted documents are never listed
        s_ops_release (&ops);
    }
    return PANDA_OK;
}

void
panda_query_filter_drive (panda_query_sql_t *sql, const panda_query_schema_t *schema, const char *name,
                          json_t *ops_json)
{
    long f = panda_schema_field_index (schema->schema, name);
    s_ops_t ops;
    panda_error_t ignored;
    if (f < 0 ||
        s_ops_new (&ops, ops_json, panda_schema_field_kind (schema->schema, (size_t) f) == PANDA_FIELD_BOOL,
                   name, &ignored) != PANDA_OK) {
        panda_query_sql_add (sql, "(SELECT NULL AS view)");
        return;
    }
    panda_query_sql_add (sql, "(SELECT g.view AS view FROM fields g WHERE g.field = ");
    panda_query_sql_int (sql, schema->field_ids[f]);
    s_ops_emit (sql, "g.value", panda_schema_field_kind (schema->schema, (size_t) f), &ops);
    panda_query_sql_add (sql, ")");
    s_ops_release (&ops);
}
