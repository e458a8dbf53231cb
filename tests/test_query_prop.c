/*  test_query_prop.c - property test in the spirit of aquadoggo's
    proptests: random schemas, documents (updates, deletions, relation
    lists with duplicates), random filters, meta filters and orderings,
    paged with small pages forward and backward until exhausted, compared
    with a brute-force evaluation in C over the same data. Fixed seeds.    */
#include "panda_test.h"
#include "test_query.h"

#include <ctype.h>
#include <strings.h>

#define P_SEEDS 24
#define P_QUERIES 40 //  per seed
#define P_FIELDS_MAX 4
#define P_PARENTS_MAX 24
#define P_CHILDREN_MAX 12
#define P_LIST_MAX 6

typedef struct {
    panda_field_kind_t kind;
    char name[8];
} pfield_t;

typedef struct {
    char id[PANDA_HASH_HEX_SIZE + 1], view[PANDA_HASH_HEX_SIZE + 1];
    const char *owner;
    bool deleted, edited;
    json_t *values; //  by field name ("kids": array of child ids)
} pdoc_t;

typedef struct {
    uint64_t rng;
    tq_db_t db;
    panda_query_t *q;
    char sid[100], cid[100];
    pfield_t fields[P_FIELDS_MAX]; //  scalar fields of both schemas, sorted
    size_t nfields;
    pdoc_t parents[P_PARENTS_MAX], children[P_CHILDREN_MAX];
    size_t nparents, nchildren;
} pworld_t;

static uint32_t
s_rand (pworld_t *w, uint32_t n)
{
    w->rng ^= w->rng << 13, w->rng ^= w->rng >> 7, w->rng ^= w->rng << 17;
    return (uint32_t) (w->rng % n);
}

static const char *const s_owners[] = {"2f8e50c2ede6d936ecc3144187ff1c273808185cfbc5ff3d3748d1ff7353fc96",
                                       "1111111111111111111111111111111111111111111111111111111111111111",
                                       "fe00000000000000000000000000000000000000000000000000000000000000"};
static const char *const s_strs[] = {"a", "B", "ab", "Ab", "b", "", "ba", "A%"};
static const char *const s_bytes[] = {"", "00", "0a", "ff", "0a00"};
static const double s_floats[] = {-1.5, 0.0, 0.5, 2.0, 1e10};
static const panda_field_kind_t s_kinds[] = {PANDA_FIELD_BOOL, PANDA_FIELD_INT, PANDA_FIELD_FLOAT,
                                             PANDA_FIELD_STR, PANDA_FIELD_BYTES};

static json_t *
s_random_value (pworld_t *w, panda_field_kind_t kind)
{
    switch (kind) {
        case PANDA_FIELD_BOOL: return json_boolean (s_rand (w, 2));
        case PANDA_FIELD_INT: return json_integer ((json_int_t) s_rand (w, 7) - 3);
        case PANDA_FIELD_FLOAT: return json_real (s_floats[s_rand (w, 5)]);
        case PANDA_FIELD_STR: return json_string (s_strs[s_rand (w, 8)]);
        default: return json_string (s_bytes[s_rand (w, 5)]);
    }
}

static void
s_doc_values (pworld_t *w, pdoc_t *d, bool parent)
{
    json_decref (d->values);
    d->values = json_object ();
    for (size_t f = 0; f < w->nfields; f++)
        json_object_set_new (d->values, w->fields[f].name, s_random_value (w, w->fields[f].kind));
    if (parent) {
        json_t *kids = json_array ();
        size_t n = s_rand (w, P_LIST_MAX + 1);
        for (size_t i = 0; i < n && w->nchildren; i++)
            json_array_append_new (kids, json_string (w->children[s_rand (w, (uint32_t) w->nchildren)].id));
        json_object_set_new (d->values, "kids", kids);
    }
}

static void
s_insert (pworld_t *w, pdoc_t *d, const panda_schema_t *schema, int serial)
{
    char *json = json_dumps (d->values, JSON_COMPACT);
    int64_t row = tq_doc (&w->db, schema, d->id, d->owner, json);
    free (json);
    memcpy (d->view, d->id, sizeof d->view);
    if (s_rand (w, 4) == 0) { //  an UPDATE: new values, new view id
        char seed[32];
        snprintf (seed, sizeof seed, "update %d %llu", serial, (unsigned long long) w->rng);
        tq_id (seed, d->view);
        s_doc_values (w, d, schema != NULL && json_object_get (d->values, "kids"));
        json = json_dumps (d->values, JSON_COMPACT);
        tq_update (&w->db, row, tq_view (&w->db, schema, row, d->view, d->view, json));
        free (json);
        d->edited = true;
    }
    if (s_rand (w, 8) == 0) {
        tq_delete (&w->db, row);
        d->deleted = true;
    }
}

static void
s_world (pworld_t *w, uint64_t seed)
{
    memset (w, 0, sizeof *w);
    w->rng = seed * 2654435761u + 1;
    tq_open (&w->db);
    char h[PANDA_HASH_HEX_SIZE + 1], seedtext[32];
    snprintf (seedtext, sizeof seedtext, "kids %llu", (unsigned long long) seed);
    snprintf (w->cid, sizeof w->cid, "kid_%s", tq_id (seedtext, h));
    snprintf (seedtext, sizeof seedtext, "parents %llu", (unsigned long long) seed);
    snprintf (w->sid, sizeof w->sid, "parent_%s", tq_id (seedtext, h));
    w->nfields = 1 + s_rand (w, P_FIELDS_MAX);
    for (size_t f = 0; f < w->nfields; f++) {
        w->fields[f].kind = s_kinds[s_rand (w, 5)];
        snprintf (w->fields[f].name, sizeof w->fields[f].name, "f%u",
                  (unsigned) (f % 10)); //  sorted, before "kids"
    }
    panda_error_t err;
    panda_schema_t *kid = panda_schema_new (w->cid, "kid", "kid", &err);
    panda_schema_t *parent = panda_schema_new (w->sid, "parent", "parent", &err);
    for (size_t f = 0; f < w->nfields; f++) {
        assert_int_equal (
            panda_schema_add_field (kid, w->fields[f].name, panda_field_kind_name (w->fields[f].kind), &err),
            PANDA_OK);
        assert_int_equal (panda_schema_add_field (parent, w->fields[f].name,
                                                  panda_field_kind_name (w->fields[f].kind), &err),
                          PANDA_OK);
    }
    char rl[160];
    snprintf (rl, sizeof rl, "relation_list(%s)", w->cid);
    assert_int_equal (panda_schema_add_field (parent, "kids", rl, &err), PANDA_OK);
    panda_hash_t def;
    panda_hash_compute (&def, w->cid, strlen (w->cid));
    assert_int_equal (panda_views_schema_put (w->db.views, kid, &def, &err), PANDA_OK);
    assert_int_equal (panda_views_schema_put (w->db.views, parent, &def, &err), PANDA_OK);
    tq_exec (&w->db, "BEGIN");
    w->nchildren = 1 + s_rand (w, P_CHILDREN_MAX);
    for (size_t i = 0; i < w->nchildren; i++) {
        pdoc_t *d = &w->children[i];
        snprintf (seedtext, sizeof seedtext, "kid %llu %zu", (unsigned long long) seed, i);
        tq_id (seedtext, d->id);
        d->owner = s_owners[s_rand (w, 3)];
        s_doc_values (w, d, false);
    }
    for (size_t i = 0; i < w->nchildren; i++)
        s_insert (w, &w->children[i], kid, (int) i);
    w->nparents = 1 + s_rand (w, P_PARENTS_MAX);
    for (size_t i = 0; i < w->nparents; i++) {
        pdoc_t *d = &w->parents[i];
        snprintf (seedtext, sizeof seedtext, "parent %llu %zu", (unsigned long long) seed, i);
        tq_id (seedtext, d->id);
        d->owner = s_owners[s_rand (w, 3)];
        s_doc_values (w, d, true);
        s_insert (w, d, parent, 100 + (int) i);
    }
    tq_exec (&w->db, "COMMIT");
    panda_schema_destroy (&kid);
    panda_schema_destroy (&parent);
    w->q = panda_query_new (w->db.path, 0, 0, &err);
    assert_non_null (w->q);
}

static void
s_world_end (pworld_t *w)
{
    for (size_t i = 0; i < w->nparents; i++)
        json_decref (w->parents[i].values);
    for (size_t i = 0; i < w->nchildren; i++)
        json_decref (w->children[i].values);
    panda_query_destroy (&w->q);
    tq_close (&w->db);
}

// ---------------------------------------------------------------------------
//  The model

//  Compare two stored values of kind: numeric, byte-wise, or (nocase) as
//  SQLite's NOCASE collation does for ordering.
static int
s_cmp_value (panda_field_kind_t kind, json_t *a, json_t *b, bool nocase)
{
    if (kind == PANDA_FIELD_BOOL)
        return json_is_true (a) - json_is_true (b);
    if (kind == PANDA_FIELD_INT || kind == PANDA_FIELD_FLOAT) {
        double x = json_number_value (a), y = json_number_value (b);
        return (x > y) - (x < y);
    }
    const char *x = json_string_value (a), *y = json_string_value (b);
    if (kind == PANDA_FIELD_BYTES) { //  blobs: bytes then length; hex order is byte order
        size_t lx = strlen (x), ly = strlen (y), n = lx < ly ? lx : ly;
        int c = memcmp (x, y, n);
        return c ? c : (lx > ly) - (lx < ly);
    }
    for (;; x++, y++) {
        int cx = (unsigned char) (nocase ? tolower ((unsigned char) *x) : *x);
        int cy = (unsigned char) (nocase ? tolower ((unsigned char) *y) : *y);
        if (cx != cy || !cx)
            return cx - cy;
    }
}

static bool
s_value_eq (panda_field_kind_t kind, json_t *a, json_t *b)
{
    if (kind == PANDA_FIELD_BYTES) { //  hex of either case
        const char *x = json_string_value (a), *y = json_string_value (b);
        return strlen (x) == strlen (y) && strncasecmp (x, y, strlen (x)) == 0;
    }
    return s_cmp_value (kind, a, b, false) == 0;
}

static bool
s_in (panda_field_kind_t kind, json_t *set, json_t *v)
{
    size_t i;
    json_t *x;
    json_array_foreach (set, i, x) if (s_value_eq (kind, x, v)) return true;
    return false;
}

static bool
s_contains_ci (const char *hay, const char *needle)
{
    size_t n = strlen (needle);
    for (; *hay || !n; hay++) {
        if (strncasecmp (hay, needle, n) == 0)
            return true;
        if (!*hay)
            break;
    }
    return false;
}

//  Does value v satisfy the operator object ops (merge rules of §6.3.2)?
static bool
s_match_ops (panda_field_kind_t kind, json_t *ops, json_t *v)
{
    json_t *pos = json_array (), *neg = json_array (), *lower = NULL, *upper = NULL, *flag = NULL;
    bool lower_strict = false, upper_strict = false, flag_neg = false, has_pos = false, has_neg = false,
         ok = true;
    const char *key;
    json_t *x;
    json_object_foreach (ops, key, x)
    {
        bool eqish = !strcmp (key, "eq") || !strcmp (key, "in"),
             neqish = !strcmp (key, "notEq") || !strcmp (key, "notIn");
        if (kind == PANDA_FIELD_BOOL && (!strcmp (key, "eq") || !strcmp (key, "notEq")))
            flag = x, flag_neg = key[0] == 'n';
        else if (eqish)
            has_pos = true, json_is_array (x) ? json_array_extend (pos, x) : json_array_append (pos, x);
        else if (neqish)
            has_neg = true, json_is_array (x) ? json_array_extend (neg, x) : json_array_append (neg, x);
        else if (!strncmp (key, "gt", 2))
            lower = x, lower_strict = key[2] == 0;
        else if (!strncmp (key, "lt", 2))
            upper = x, upper_strict = key[2] == 0;
        else if (!strcmp (key, "contains"))
            ok = ok && s_contains_ci (json_string_value (v), json_string_value (x));
        else if (!strcmp (key, "notContains"))
            ok = ok && !s_contains_ci (json_string_value (v), json_string_value (x));
    }
    if (flag)
        ok = ok && (s_value_eq (kind, flag, v) != flag_neg);
    if (has_pos)
        ok = ok && s_in (kind, pos, v);
    if (has_neg)
        ok = ok && !s_in (kind, neg, v);
    if (lower) {
        int c = s_cmp_value (kind, v, lower, false);
        ok = ok && (lower_strict ? c > 0 : c >= 0);
    }
    if (upper) {
        int c = s_cmp_value (kind, v, upper, false);
        ok = ok && (upper_strict ? c < 0 : c <= 0);
    }
    json_decref (pos), json_decref (neg);
    return ok;
}

static panda_field_kind_t
s_kind (const pworld_t *w, const char *name)
{
    for (size_t f = 0; f < w->nfields; f++)
        if (!strcmp (w->fields[f].name, name))
            return w->fields[f].kind;
    return PANDA_FIELD_RELATION_LIST;
}

static bool
s_match (const pworld_t *w, const pdoc_t *d, json_t *args)
{
    json_t *filter = json_object_get (args, "filter"), *meta = json_object_get (args, "meta");
    const char *name;
    json_t *ops;
    json_object_foreach (filter, name, ops)
    {
        json_t *v = json_object_get (d->values, name);
        panda_field_kind_t kind = s_kind (w, name);
        if (kind != PANDA_FIELD_RELATION_LIST) {
            if (!s_match_ops (kind, ops, v))
                return false;
            continue;
        }
        json_t *in = json_object_get (ops, "in"), *not_in = json_object_get (ops, "notIn");
        bool any_in = false, any_out = false;
        size_t i;
        json_t *item;
        json_array_foreach (v, i, item)
        {
            any_in = any_in || (in && s_in (PANDA_FIELD_STR, in, item));
            any_out = any_out || (not_in && !s_in (PANDA_FIELD_STR, not_in, item));
        }
        if ((in && !any_in) || (not_in && !any_out))
            return false;
    }
    json_object_foreach (meta, name, ops)
    {
        json_t *v = NULL;
        if (!strcmp (name, "documentId"))
            v = json_string (d->id);
        else if (!strcmp (name, "owner"))
            v = json_string (d->owner);
        else
            v = json_boolean (d->edited);
        bool ok = s_match_ops (!strcmp (name, "edited") ? PANDA_FIELD_BOOL : PANDA_FIELD_STR, ops, v);
        json_decref (v);
        if (!ok)
            return false;
    }
    return true;
}

//  One listed item of the model: a document and its list position.
typedef struct {
    const pdoc_t *doc;
    size_t idx;
} pitem_t;

typedef struct {
    const pworld_t *w;
    const char *order; //  NULL: default
    bool desc, list;
} porder_t;

static porder_t s_order_ctx;

static int
s_item_cmp (const void *a_, const void *b_)
{
    const pitem_t *a = a_, *b = b_;
    const porder_t *o = &s_order_ctx;
    int c = 0;
    if (!o->order)
        c = o->list ? 0 : strcmp (a->doc->id, b->doc->id);
    else if (!strcmp (o->order, "DOCUMENT_ID"))
        c = strcmp (a->doc->id, b->doc->id);
    else if (!strcmp (o->order, "DOCUMENT_VIEW_ID"))
        c = strcmp (a->doc->view, b->doc->view);
    else if (!strcmp (o->order, "OWNER"))
        c = strcmp (a->doc->owner, b->doc->owner);
    else {
        panda_field_kind_t kind = s_kind (o->w, o->order);
        c = s_cmp_value (kind, json_object_get (a->doc->values, o->order),
                         json_object_get (b->doc->values, o->order), kind == PANDA_FIELD_STR);
    }
    c = (c > 0) - (c < 0);
    if (o->desc && !(o->list && !o->order))
        c = -c;
    if (c)
        return c;
    return o->list ? (a->idx > b->idx) - (a->idx < b->idx) : strcmp (a->doc->id, b->doc->id);
}

static const pdoc_t *
s_child (const pworld_t *w, const char *id)
{
    for (size_t i = 0; i < w->nchildren; i++)
        if (!strcmp (w->children[i].id, id))
            return &w->children[i];
    return NULL;
}

//  Expected items of the parents collection, or of parent's kids list.
static size_t
s_expected (const pworld_t *w, const pdoc_t *parent, json_t *args, pitem_t *out)
{
    size_t n = 0;
    if (!parent) {
        for (size_t i = 0; i < w->nparents; i++)
            if (!w->parents[i].deleted && s_match (w, &w->parents[i], args))
                out[n++] = (pitem_t){&w->parents[i], 0};
    } else {
        json_t *kids = json_object_get (parent->values, "kids");
        for (size_t i = 0; i < json_array_size (kids); i++) {
            const pdoc_t *c = s_child (w, json_string_value (json_array_get (kids, i)));
            if (c && !c->deleted && s_match (w, c, args))
                out[n++] = (pitem_t){c, i};
        }
    }
    s_order_ctx =
        (porder_t){w, json_string_value (json_object_get (args, "orderBy")),
                   json_is_string (json_object_get (args, "orderDirection")) &&
                       !strcmp (json_string_value (json_object_get (args, "orderDirection")), "DESC"),
                   parent != NULL};
    qsort (out, n, sizeof *out, s_item_cmp);
    return n;
}

// ---------------------------------------------------------------------------
//  Random queries

static json_t *
s_random_ops (pworld_t *w, panda_field_kind_t kind)
{
    static const char *const all[] = {"eq",  "notEq", "in",  "notIn",    "gt",
                                      "gte", "lt",    "lte", "contains", "notContains"};
    json_t *ops = json_object ();
    size_t n = 1 + s_rand (w, 3);
    for (size_t i = 0; i < n; i++) {
        size_t limit = kind == PANDA_FIELD_STR                                 ? 10
                       : kind == PANDA_FIELD_BOOL || kind == PANDA_FIELD_BYTES ? 2
                                                                               : 8;
        const char *op = all[s_rand (w, (uint32_t) limit)];
        if (kind == PANDA_FIELD_BYTES && s_rand (w, 2) == 0)
            op = "notEq";
        if (kind == PANDA_FIELD_RELATION_LIST)
            op = s_rand (w, 2) ? "in" : "notIn";
        json_t *v;
        if (!strcmp (op, "in") || !strcmp (op, "notIn")) {
            v = json_array ();
            size_t m = s_rand (w, 3);
            for (size_t k = 0; k < m; k++)
                json_array_append_new (v,
                                       kind == PANDA_FIELD_RELATION_LIST
                                           ? json_string (w->children[s_rand (w, (uint32_t) w->nchildren)].id)
                                           : s_random_value (w, kind));
        } else if (!strcmp (op, "contains") || !strcmp (op, "notContains"))
            v = json_string (s_strs[s_rand (w, 8)]);
        else
            v = s_random_value (w, kind);
        json_object_set_new (ops, op, v);
    }
    return ops;
}

static json_t *
s_random_args (pworld_t *w, bool list)
{
    json_t *args = json_object ();
    if (s_rand (w, 3)) {
        json_t *filter = json_object ();
        size_t n = 1 + s_rand (w, 2);
        for (size_t i = 0; i < n; i++) {
            bool kids = !list && s_rand (w, 4) == 0;
            const pfield_t *f = &w->fields[s_rand (w, (uint32_t) w->nfields)];
            json_object_set_new (filter, kids ? "kids" : f->name,
                                 s_random_ops (w, kids ? PANDA_FIELD_RELATION_LIST : f->kind));
        }
        json_object_set_new (args, "filter", filter);
    }
    if (s_rand (w, 4) == 0) {
        json_t *meta = json_object ();
        uint32_t which = s_rand (w, 3);
        if (which == 0)
            json_object_set_new (
                meta, "owner", json_pack ("{s:s}", s_rand (w, 2) ? "eq" : "notEq", s_owners[s_rand (w, 3)]));
        else if (which == 1)
            json_object_set_new (meta, "edited",
                                 json_pack ("{s:b}", s_rand (w, 2) ? "eq" : "notEq", s_rand (w, 2)));
        else {
            const pdoc_t *d = list ? &w->children[s_rand (w, (uint32_t) w->nchildren)]
                                   : &w->parents[s_rand (w, (uint32_t) w->nparents)];
            json_object_set_new (meta, "documentId",
                                 json_pack ("{s:[s]}", s_rand (w, 2) ? "in" : "notIn", d->id));
        }
        json_object_set_new (args, "meta", meta);
    }
    uint32_t order = s_rand (w, 6);
    static const char *const meta_orders[] = {"DOCUMENT_ID", "DOCUMENT_VIEW_ID", "OWNER"};
    if (order < 3)
        json_object_set_new (args, "orderBy", json_string (meta_orders[order]));
    else if (order < 5)
        json_object_set_new (args, "orderBy",
                             json_string (w->fields[s_rand (w, (uint32_t) w->nfields)].name));
    if (s_rand (w, 2))
        json_object_set_new (args, "orderDirection", json_string (s_rand (w, 2) ? "ASC" : "DESC"));
    return args;
}

//  Walk every page (size n, forward or backward) and compare with the model.
static void
s_check (pworld_t *w, size_t parent_index, json_t *args, size_t n, bool backward, uint64_t seed)
{
    const pdoc_t *parent = parent_index < w->nparents ? &w->parents[parent_index] : NULL;
    pitem_t expected[P_PARENTS_MAX + P_LIST_MAX];
    size_t count = s_expected (w, parent, args, expected);
    const pdoc_t *got[P_PARENTS_MAX + P_LIST_MAX];
    size_t got_count = 0, pages = 0;
    char *cursor = NULL;
    panda_error_t err;
    for (bool more = true; more; pages++) {
        assert_true (pages <= count + 1);
        json_t *a = json_deep_copy (args);
        json_object_set_new (a, backward ? "last" : "first", json_integer ((json_int_t) n));
        if (cursor)
            json_object_set_new (a, backward ? "before" : "after", json_string (cursor));
        assert_int_equal (panda_query_begin (w->q, &err), PANDA_OK);
        panda_query_set_plan (w->q, (panda_query_plan_t) (seed + pages) % 3); //  all three plans agree
        panda_query_page_t *page = NULL, *pp = NULL;
        panda_err_t rc;
        if (parent) {
            assert_int_equal (panda_query_document (w->q, w->sid, parent->id, NULL, &pp, &err), PANDA_OK);
            rc = panda_query_list (w->q, pp, 0, "kids", a, NULL, 0, &page, &err);
        } else
            rc = panda_query_collection (w->q, w->sid, a, NULL, 0, &page, &err);
        if (rc != PANDA_OK) {
            char *dump = json_dumps (a, JSON_COMPACT);
            fail_msg ("seed %llu %s: %s", (unsigned long long) seed, dump, err.message);
        }
        int64_t total;
        assert_int_equal (panda_query_page_total (w->q, page, &total, &err), PANDA_OK);
        assert_int_equal (total, count);
        size_t m = panda_query_page_count (page);
        assert_true (m <= n);
        const pdoc_t *chunk[P_LIST_MAX + P_PARENTS_MAX];
        for (size_t i = 0; i < m; i++) {
            const char *id = panda_query_item_document_id (page, i);
            chunk[i] = NULL;
            for (size_t k = 0; k < count; k++)
                if (!strcmp (expected[k].doc->id, id))
                    chunk[i] = expected[k].doc;
            assert_non_null (chunk[i]);
        }
        assert_true (got_count + m <= count);
        if (backward) {
            memmove (got + m, got, got_count * sizeof *got);
            memcpy (got, chunk, m * sizeof *got);
        } else
            memcpy (got + got_count, chunk, m * sizeof *got);
        got_count += m;
        more = backward ? panda_query_page_has_previous (page) : panda_query_page_has_next (page);
        free (cursor);
        const char *c = backward ? panda_query_page_start_cursor (page) : panda_query_page_end_cursor (page);
        cursor = c ? strdup (c) : NULL;
        panda_query_page_unref (&page);
        panda_query_page_unref (&pp);
        json_decref (a);
        panda_query_end (w->q);
    }
    free (cursor);
    bool same = got_count == count;
    for (size_t i = 0; same && i < count; i++)
        same = got[i] == expected[i].doc;
    if (!same) {
        char *dump = json_dumps (args, JSON_COMPACT);
        fail_msg ("seed %llu %s%s n=%zu %s: %zu items, expected %zu", (unsigned long long) seed,
                  parent ? "list " : "", dump, n, backward ? "backward" : "forward", got_count, count);
    }
}

static void
test_query_property (void **state)
{
    for (uint64_t seed = 1; seed <= P_SEEDS; seed++) {
        pworld_t w;
        s_world (&w, seed);
        for (int i = 0; i < P_QUERIES; i++) {
            bool list = s_rand (&w, 3) == 0;
            size_t parent = list ? s_rand (&w, (uint32_t) w.nparents) : SIZE_MAX;
            if (list && w.parents[parent].deleted)
                continue;
            json_t *args = s_random_args (&w, list);
            s_check (&w, parent, args, 1 + s_rand (&w, 4), s_rand (&w, 2), seed);
            json_decref (args);
        }
        s_world_end (&w);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_query_property),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
