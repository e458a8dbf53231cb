/*  test_document.c - document reduction against document.json.

    Every scenario: decode the operations from operation_hex, build the
    latest view and every historical view, compare walk order, view id,
    view hash, deleted flag, every field value and its last writer; check
    failures by their reference message; then shuffle the arrival order and
    expect the same view. Synthetic graphs (ids chosen by the test) cover the
    graph errors that hash-linked data cannot produce.                      */
#include "panda_test.h"
#include "panda/panda_document.h"
#include "panda/panda_view_id.h"

#include <math.h>

#define S_MAX_OPS 16

typedef struct {
    json_t *scenario;
    size_t count;
    panda_hash_t ids[S_MAX_OPS];
    panda_operation_t *ops[S_MAX_OPS];
    const char *labels[S_MAX_OPS];
} s_doc_t;

static void
s_hash (panda_hash_t *h, const char *hex)
{
    panda_error_t err;
    if (panda_hash_from_hex (h, hex, strlen (hex), &err) != PANDA_OK)
        fail_msg ("bad hash %s: %s", hex, err.message);
}

static void
s_doc_load (s_doc_t *doc, json_t *scenario)
{
    memset (doc, 0, sizeof *doc);
    doc->scenario = scenario;
    size_t i;
    json_t *op;
    json_array_foreach (json_object_get (scenario, "operations"), i, op)
    {
        assert_true (i < S_MAX_OPS);
        size_t len;
        uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (op, "operation_hex")), &len);
        panda_error_t err;
        doc->ops[i] = panda_operation_decode (bytes, len, &err);
        if (!doc->ops[i])
            fail_msg ("%s: %s", json_string_value (json_object_get (op, "label")), err.message);
        free (bytes);
        s_hash (&doc->ids[i], json_string_value (json_object_get (op, "operation_id")));
        doc->labels[i] = json_string_value (json_object_get (op, "label"));
        doc->count = i + 1;
    }
}

static void
s_doc_free (s_doc_t *doc)
{
    for (size_t i = 0; i < doc->count; i++)
        panda_operation_destroy (&doc->ops[i]);
}

//  A builder with the scenario's operations added in the given order
//  (indices into the scenario, NULL = as listed).
static panda_document_builder_t *
s_builder (const s_doc_t *doc, const size_t *order)
{
    panda_document_builder_t *builder = panda_document_builder_new ();
    assert_non_null (builder);
    for (size_t i = 0; i < doc->count; i++) {
        size_t k = order ? order[i] : i;
        assert_int_equal (panda_document_builder_add (builder, &doc->ids[k], doc->ops[k], NULL), PANDA_OK);
    }
    assert_int_equal (panda_document_builder_size (builder), doc->count);
    return builder;
}

static void
s_assert_hash (const panda_hash_t *h, const char *hex)
{
    char text[PANDA_HASH_HEX_SIZE + 1];
    assert_string_equal (panda_hash_to_hex (h, text), hex);
}

static void
s_assert_hash_list (const panda_hash_list_t *list, json_t *expected)
{
    assert_int_equal (list->count, json_array_size (expected));
    for (size_t i = 0; i < list->count; i++)
        s_assert_hash (&list->items[i], json_string_value (json_array_get (expected, i)));
}

//  Compare a plain value with a typed vector value {"type", "value"}.
static void
s_assert_value (const panda_value_t *v, json_t *expected)
{
    const char *type = json_string_value (json_object_get (expected, "type"));
    json_t *value = json_object_get (expected, "value");
    if (!strcmp (type, "str")) {
        assert_int_equal (v->kind, PANDA_VALUE_STR);
        assert_int_equal (v->as.bytes.len, strlen (json_string_value (value)));
        assert_memory_equal (v->as.bytes.data, json_string_value (value), v->as.bytes.len);
    } else if (!strcmp (type, "int")) {
        assert_int_equal (v->kind, PANDA_VALUE_INT);
        assert_true (v->as.integer == strtoll (json_string_value (value), NULL, 10));
    } else if (!strcmp (type, "float")) {
        assert_int_equal (v->kind, PANDA_VALUE_FLOAT);
        uint64_t bits;
        memcpy (&bits, &v->as.real, sizeof bits);
        assert_true (bits == strtoull (json_string_value (json_object_get (expected, "f64_bits")), NULL, 16));
    } else if (!strcmp (type, "bool")) {
        assert_int_equal (v->kind, PANDA_VALUE_BOOL);
        assert_int_equal (v->as.boolean, json_is_true (value));
    } else if (!strcmp (type, "bytes") || !strcmp (type, "relation")) {
        assert_int_equal (v->kind, PANDA_VALUE_BYTES);
        char *hex = panda_test_hex (v->as.bytes.data, v->as.bytes.len);
        assert_string_equal (hex, json_string_value (value));
        free (hex);
    } else if (!strcmp (type, "relation_list") || !strcmp (type, "pinned_relation")) {
        assert_int_equal (v->kind, PANDA_VALUE_HASH_LIST);
        s_assert_hash_list (&v->as.list, value);
    } else if (!strcmp (type, "pinned_relation_list")) {
        if (json_array_size (value) == 0 && v->kind == PANDA_VALUE_HASH_LIST) {
            assert_int_equal (v->as.list.count, 0); //  [] is ambiguous without a schema
            return;
        }
        assert_int_equal (v->kind, PANDA_VALUE_HASH_LIST_LIST);
        assert_int_equal (v->as.lists.count, json_array_size (value));
        for (size_t i = 0; i < v->as.lists.count; i++)
            s_assert_hash_list (&v->as.lists.lists[i], json_array_get (value, i));
    } else
        fail_msg ("unknown value type %s", type);
}

//  Compare a built view with an expected view of document.json.
static void
s_assert_view (const panda_document_view_t *view, json_t *expected, const char *document_id,
               const char *schema_id)
{
    assert_true (json_is_true (json_object_get (expected, "build_ok")));
    s_assert_hash (panda_document_view_document_id (view), document_id);
    assert_string_equal (panda_document_view_schema_id (view), schema_id);

    size_t count;
    const panda_hash_t *sorted = panda_document_view_sorted (view, &count);
    json_t *ids = json_object_get (expected, "sorted_operation_ids");
    assert_int_equal (count, json_array_size (ids));
    for (size_t i = 0; i < count; i++)
        s_assert_hash (&sorted[i], json_string_value (json_array_get (ids, i)));

    //  The view id is the canonical form of the tips the walk met.
    json_t *tips = json_object_get (expected, "graph_tips");
    panda_hash_t expected_tips[S_MAX_OPS];
    size_t n_tips = json_array_size (tips);
    for (size_t i = 0; i < n_tips; i++)
        s_hash (&expected_tips[i], json_string_value (json_array_get (tips, i)));
    n_tips = panda_view_id_canonicalize (expected_tips, n_tips);
    const panda_hash_t *view_id = panda_document_view_id (view, &count);
    assert_int_equal (count, n_tips);
    assert_memory_equal (view_id, expected_tips, n_tips * sizeof (panda_hash_t));
    assert_string_equal (panda_document_view_id_str (view),
                         json_string_value (json_object_get (expected, "view_id")));
    s_assert_hash (panda_document_view_hash (view),
                   json_string_value (json_object_get (expected, "view_hash")));

    bool deleted = json_is_true (json_object_get (expected, "deleted"));
    assert_int_equal (panda_document_view_deleted (view), deleted);
    json_t *fields = json_object_get (expected, "fields");
    if (deleted) {
        assert_true (json_is_null (fields));
        assert_int_equal (panda_document_view_field_count (view), 0);
        return;
    }
    assert_int_equal (panda_document_view_field_count (view), json_object_size (fields));
    const char *name;
    json_t *field;
    json_object_foreach (fields, name, field)
    {
        const panda_hash_t *writer = NULL;
        const panda_value_t *value = panda_document_view_field (view, name, &writer);
        if (!value)
            fail_msg ("field %s missing", name);
        s_assert_value (value, field);
        s_assert_hash (writer, json_string_value (json_object_get (field, "operation_id")));
    }
    //  Index access agrees with lookup and is sorted by name.
    for (size_t i = 0; i < panda_document_view_field_count (view); i++) {
        const char *field_name = panda_document_view_field_name (view, i);
        assert_ptr_equal (panda_document_view_field_value (view, i),
                          panda_document_view_field (view, field_name, NULL));
        if (i > 0)
            assert_true (strcmp (panda_document_view_field_name (view, i - 1), field_name) < 0);
        s_assert_hash (
            panda_document_view_field_writer (view, i),
            json_string_value (json_object_get (json_object_get (fields, field_name), "operation_id")));
    }
}

static const char *
s_str (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

static json_t *
s_scenario (json_t *root, const char *name)
{
    size_t i;
    json_t *scenario;
    json_array_foreach (json_object_get (root, "scenarios"), i,
                        scenario) if (!strcmp (s_str (scenario, "name"), name)) return scenario;
    fail_msg ("no scenario %s", name);
    return NULL;
}

static const panda_hash_t *
s_id_of (const s_doc_t *doc, const char *label)
{
    for (size_t i = 0; i < doc->count; i++)
        if (!strcmp (doc->labels[i], label))
            return &doc->ids[i];
    fail_msg ("no operation %s", label);
    return NULL;
}

//  Simplest use: add operations, build, read a field and who wrote it.
static void
test_document_simple_use (void **state)
{
    json_t *root = panda_test_vectors ("document.json");
    s_doc_t doc;
    s_doc_load (&doc, s_scenario (root, "A_two_authors_branch_and_merge"));
    panda_document_builder_t *builder = s_builder (&doc, NULL);
    panda_document_view_t *view = NULL;
    panda_error_t err;
    assert_int_equal (panda_document_build (builder, &view, &err), PANDA_OK);
    const panda_hash_t *writer;
    const panda_value_t *title = panda_document_view_field (view, "title", &writer);
    assert_non_null (title);
    assert_string_equal ((const char *) title->as.bytes.data, "Polar Bear Cafe");
    assert_true (panda_hash_eq (writer, s_id_of (&doc, "A_penguin_merge")));
    assert_null (panda_document_view_field (view, "no such field", &writer));
    assert_null (writer);
    assert_false (panda_document_view_deleted (view));
    panda_document_view_destroy (&view);
    assert_null (view);
    panda_document_view_destroy (&view);
    panda_document_builder_destroy (&builder);
    assert_null (builder);
    s_doc_free (&doc);
    json_decref (root);
}

//  A failed build: reference message, no view, and the walk got as far as
//  the vector says (sorted_operation_labels_until_error).
static void
s_assert_failure (panda_document_builder_t *builder, const s_doc_t *doc, json_t *expected)
{
    panda_document_view_t *view = (panda_document_view_t *) builder; //  must be reset
    panda_error_t err;
    assert_int_equal (panda_document_build (builder, &view, &err), PANDA_ERR_DOCUMENT);
    assert_null (view);
    assert_int_equal (err.code, PANDA_ERR_DOCUMENT);
    assert_string_equal (err.message, s_str (expected, "error"));
    size_t count;
    const panda_hash_t *walk = panda_document_builder_walk (builder, &count);
    json_t *labels = json_object_get (expected, "sorted_operation_labels_until_error");
    assert_int_equal (count, json_array_size (labels));
    for (size_t i = 0; i < count; i++)
        assert_true (panda_hash_eq (&walk[i], s_id_of (doc, json_string_value (json_array_get (labels, i)))));
}

static void
s_check_latest (const s_doc_t *doc, const size_t *order)
{
    json_t *expected = json_object_get (doc->scenario, "expected_latest");
    panda_document_builder_t *builder = s_builder (doc, order);
    if (!json_is_true (json_object_get (expected, "build_ok")))
        s_assert_failure (builder, doc, expected);
    else {
        panda_document_view_t *view = NULL;
        panda_error_t err;
        if (panda_document_build (builder, &view, &err) != PANDA_OK)
            fail_msg ("%s: %s", s_str (doc->scenario, "name"), err.message);
        s_assert_view (view, expected, s_str (doc->scenario, "document_id"),
                       s_str (doc->scenario, "schema_id"));
        //  The builder's walk is the view's order.
        size_t n_walk, n_sorted;
        const panda_hash_t *walk = panda_document_builder_walk (builder, &n_walk);
        const panda_hash_t *sorted = panda_document_view_sorted (view, &n_sorted);
        assert_int_equal (n_walk, n_sorted);
        assert_memory_equal (walk, sorted, n_walk * sizeof (panda_hash_t));
        panda_document_view_destroy (&view);
    }
    panda_document_builder_destroy (&builder);
}

static void
s_check_historical (const s_doc_t *doc, const size_t *order)
{
    size_t i;
    json_t *expected;
    json_array_foreach (json_object_get (doc->scenario, "expected_historical_views"), i, expected)
    {
        const char *requested = s_str (expected, "requested_view_id");
        panda_hash_t *tips;
        size_t n_tips;
        panda_error_t err;
        assert_int_equal (panda_view_id_from_string (requested, strlen (requested), &tips, &n_tips, &err),
                          PANDA_OK);
        panda_document_builder_t *builder = s_builder (doc, order);
        panda_document_view_t *view = NULL;
        panda_err_t rc = panda_document_build_to_view (builder, tips, n_tips, &view, &err);
        if (json_is_true (json_object_get (expected, "build_ok"))) {
            if (rc != PANDA_OK)
                fail_msg ("%s @ %s: %s", s_str (doc->scenario, "name"), requested, err.message);
            s_assert_view (view, expected, s_str (doc->scenario, "document_id"),
                           s_str (doc->scenario, "schema_id"));
            panda_document_view_destroy (&view);
        } else {
            assert_int_equal (rc, PANDA_ERR_DOCUMENT);
            assert_string_equal (err.message, s_str (expected, "error"));
        }
        panda_document_builder_destroy (&builder);
        free (tips);
    }
}

static void
test_document_vectors_latest (void **state)
{
    json_t *root = panda_test_vectors ("document.json");
    size_t i;
    json_t *scenario;
    json_array_foreach (json_object_get (root, "scenarios"), i, scenario)
    {
        s_doc_t doc;
        s_doc_load (&doc, scenario);
        s_check_latest (&doc, NULL);
        s_doc_free (&doc);
    }
    assert_int_equal (i, 8);
    json_decref (root);
}

static void
test_document_vectors_historical (void **state)
{
    json_t *root = panda_test_vectors ("document.json");
    size_t i, views = 0;
    json_t *scenario;
    json_array_foreach (json_object_get (root, "scenarios"), i, scenario)
    {
        s_doc_t doc;
        s_doc_load (&doc, scenario);
        s_check_historical (&doc, NULL);
        views += json_array_size (json_object_get (scenario, "expected_historical_views"));
        s_doc_free (&doc);
    }
    assert_true (views >= 10);
    json_decref (root);
}

//  The named quirks of spec §7.2, spelled out (the vector checks above cover
//  them too; these say why the results look odd).
static void
test_document_walk_quirks (void **state)
{
    json_t *root = panda_test_vectors ("document.json");
    s_doc_t doc;
    panda_document_view_t *view;
    const panda_hash_t *writer;

    //  Three concurrent siblings a < b < c are applied a, c, b: the middle wins.
    s_doc_load (&doc, s_scenario (root, "B_three_concurrent_siblings"));
    assert_true (panda_hash_cmp (s_id_of (&doc, "B_penguin"), s_id_of (&doc, "B_panda")) < 0);
    assert_true (panda_hash_cmp (s_id_of (&doc, "B_panda"), s_id_of (&doc, "B_bear")) < 0);
    panda_document_builder_t *builder = s_builder (&doc, NULL);
    assert_int_equal (panda_document_build (builder, &view, NULL), PANDA_OK);
    assert_non_null (panda_document_view_field (view, "title", &writer));
    assert_true (panda_hash_eq (writer, s_id_of (&doc, "B_panda")));
    size_t count;
    panda_document_view_id (view, &count);
    assert_int_equal (count, 3);
    panda_document_view_destroy (&view);
    panda_document_builder_destroy (&builder);
    s_doc_free (&doc);

    //  A merge pushed as a non-smallest sibling is applied before one of its
    //  own predecessors, which then wins.
    s_doc_load (&doc, s_scenario (root, "C_merge_visited_before_dependency"));
    builder = s_builder (&doc, NULL);
    assert_int_equal (panda_document_build (builder, &view, NULL), PANDA_OK);
    const panda_hash_t *sorted = panda_document_view_sorted (view, &count);
    assert_int_equal (count, 5);
    assert_true (panda_hash_eq (&sorted[3], s_id_of (&doc, "C_M")));
    assert_true (panda_hash_eq (&sorted[4], s_id_of (&doc, "C_B")));
    assert_non_null (panda_document_view_field (view, "title", &writer));
    assert_true (panda_hash_eq (writer, s_id_of (&doc, "C_B")));
    panda_document_view_destroy (&view);
    panda_document_builder_destroy (&builder);
    s_doc_free (&doc);

    //  A non-antichain previous makes the merge apply twice, the second time
    //  after its own successor, so it wins over the only tip.
    s_doc_load (&doc, s_scenario (root, "G_non_antichain_previous_visits_twice"));
    builder = s_builder (&doc, NULL);
    assert_int_equal (panda_document_build (builder, &view, NULL), PANDA_OK);
    sorted = panda_document_view_sorted (view, &count);
    assert_int_equal (count, doc.count + 1);
    assert_true (panda_hash_eq (&sorted[count - 1], s_id_of (&doc, "G_M")));
    assert_non_null (panda_document_view_field (view, "title", &writer));
    assert_true (panda_hash_eq (writer, s_id_of (&doc, "G_M")));
    assert_string_equal (panda_document_view_id_str (view),
                         s_str (json_object_get (doc.scenario, "expected_latest"), "view_id"));
    panda_document_view_destroy (&view);
    panda_document_builder_destroy (&builder);
    s_doc_free (&doc);

    //  E1: the DELETE sorts before a concurrent UPDATE: reduction fails, and
    //  the (older) historical view of the UPDATE alone still builds.
    s_doc_load (&doc, s_scenario (root, "E1_concurrent_delete_sorted_first"));
    builder = s_builder (&doc, NULL);
    panda_error_t err;
    view = NULL;
    assert_int_equal (panda_document_build (builder, &view, &err), PANDA_ERR_DOCUMENT);
    assert_null (view);
    assert_string_equal (err.message,
                         "Could not perform reducer function: Cannot perform a commit on a deleted document");
    const panda_hash_t *update = s_id_of (&doc, "E1_concurrent_delete_sorted_first_update");
    assert_int_equal (panda_document_build_to_view (builder, update, 1, &view, &err), PANDA_OK);
    assert_false (panda_document_view_deleted (view));
    panda_document_view_destroy (&view);
    panda_document_builder_destroy (&builder);
    s_doc_free (&doc);
    json_decref (root);
}

//  Arrival order must not matter: every permutation gives the same result.
static void
test_document_arrival_order (void **state)
{
    json_t *root = panda_test_vectors ("document.json");
    uint64_t seed = 0x5eed;
    size_t i;
    json_t *scenario;
    json_array_foreach (json_object_get (root, "scenarios"), i, scenario)
    {
        s_doc_t doc;
        s_doc_load (&doc, scenario);
        size_t order[S_MAX_OPS];
        for (int round = 0; round < 24; round++) {
            for (size_t k = 0; k < doc.count; k++)
                order[k] = k;
            for (size_t k = doc.count - 1; k > 0; k--) { //  Fisher-Yates
                uint8_t r[4];
                panda_test_random_bytes (&seed, r, sizeof r);
                size_t j = ((size_t) r[0] << 8 | r[1]) % (k + 1), t = order[k];
                order[k] = order[j];
                order[j] = t;
            }
            s_check_latest (&doc, order);
            s_check_historical (&doc, order);
        }
        s_doc_free (&doc);
    }
    json_decref (root);
}

//  --------------------------------------------------------------------------
//  Synthetic graphs: ids chosen by the test (0x00 0x20 <k> 0...), so their
//  order is known. Real ids are entry hashes and cannot form cycles; the
//  builder trusts the ids it is given, so it must still fail cleanly.

#define S_SCHEMA "vector_item_002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f"

typedef struct {
    size_t count;
    panda_hash_t ids[S_MAX_OPS];
    panda_operation_t *ops[S_MAX_OPS];
} s_graph_t;

static panda_hash_t
s_id (uint8_t k)
{
    panda_hash_t h = {{0x00, 0x20, k}};
    return h;
}

//  Add operation k with previous ids prev[] (0-terminated) and one field
//  "title" = its number. A CREATE when prev is empty, unless action says so.
static void
s_graph_add (s_graph_t *g, panda_action_t action, const char *schema, uint8_t k, const uint8_t *prev)
{
    panda_hash_t previous[S_MAX_OPS];
    size_t n = 0;
    while (prev && prev[n])
        previous[n] = s_id (prev[n]), n++;
    panda_error_t err;
    panda_operation_t *op = panda_operation_new (action, schema, n ? previous : NULL, n, &err);
    if (!op)
        fail_msg ("operation_new: %s", err.message);
    if (action != PANDA_ACTION_DELETE) {
        panda_value_t value;
        panda_value_set_int (&value, k);
        assert_int_equal (panda_operation_set_field (op, "title", &value, &err), PANDA_OK);
    }
    g->ids[g->count] = s_id (k);
    g->ops[g->count++] = op;
}

static panda_err_t
s_graph_build (s_graph_t *g, const panda_hash_t *tips, size_t n_tips, panda_document_view_t **view,
               panda_error_t *err)
{
    panda_document_builder_t *builder = panda_document_builder_new ();
    assert_non_null (builder);
    for (size_t i = 0; i < g->count; i++)
        assert_int_equal (panda_document_builder_add (builder, &g->ids[i], g->ops[i], NULL), PANDA_OK);
    panda_err_t rc = tips ? panda_document_build_to_view (builder, tips, n_tips, view, err)
                          : panda_document_build (builder, view, err);
    panda_document_builder_destroy (&builder);
    return rc;
}

static void
s_graph_free (s_graph_t *g)
{
    for (size_t i = 0; i < g->count; i++)
        panda_operation_destroy (&g->ops[i]);
    g->count = 0;
}

static void
s_expect_error (s_graph_t *g, const char *message)
{
    panda_document_view_t *view = NULL;
    panda_error_t err;
    assert_int_equal (s_graph_build (g, NULL, 0, &view, &err), PANDA_ERR_DOCUMENT);
    assert_null (view);
    assert_string_equal (err.message, message);
    s_graph_free (g);
}

static void
test_document_graph_errors (void **state)
{
    s_graph_t g = {0};
    const uint8_t none[] = {0};
    char message[256], hex[PANDA_HASH_HEX_SIZE + 1];

    //  Nothing at all: no root.
    s_expect_error (&g, "No root node found");

    //  Two operations naming each other: every node has a predecessor.
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 1, (const uint8_t[]){2, 0});
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 2, (const uint8_t[]){1, 0});
    s_expect_error (&g, "No root node found");

    //  An operation naming itself cannot be linked.
    s_graph_add (&g, PANDA_ACTION_CREATE, S_SCHEMA, 1, none);
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 2, (const uint8_t[]){1, 2, 0});
    panda_hash_t two = s_id (2);
    snprintf (message, sizeof message, "operation %s cannot be connected to the document graph",
              panda_hash_to_hex (&two, hex));
    s_expect_error (&g, message);

    //  Duplicate ids are refused (the reference would silently merge them).
    s_graph_add (&g, PANDA_ACTION_CREATE, S_SCHEMA, 1, none);
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 2, (const uint8_t[]){1, 0});
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 2, (const uint8_t[]){1, 0});
    snprintf (message, sizeof message, "duplicate operation %s in document", hex);
    s_expect_error (&g, message);

    //  R -> A, but A also needs B which needs A: the walk stalls on A.
    s_graph_add (&g, PANDA_ACTION_CREATE, S_SCHEMA, 9, none);
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 1, (const uint8_t[]){2, 9, 0});
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 2, (const uint8_t[]){1, 0});
    s_expect_error (&g, "Badly formed graph");

    //  No cycle at all, but non-antichain previous lists make merges pop
    //  twice: 82 -> 18 -> {25, 42} with 25, 42, 73 also naming 82 and 73
    //  naming 42. Walk: 82 18 25 42 73 73, then a pop with 6 > 5 emitted.
    s_graph_add (&g, PANDA_ACTION_CREATE, S_SCHEMA, 82, none);
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 18, (const uint8_t[]){82, 0});
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 42, (const uint8_t[]){18, 82, 0});
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 25, (const uint8_t[]){18, 82, 0});
    s_graph_add (&g, PANDA_ACTION_UPDATE, S_SCHEMA, 73, (const uint8_t[]){42, 82, 0});
    s_expect_error (&g, "Cycle detected");

    //  An UPDATE of another schema.
    s_graph_add (&g, PANDA_ACTION_CREATE, S_SCHEMA, 1, none);
    s_graph_add (&g, PANDA_ACTION_UPDATE, "schema_field_definition_v1", 2, (const uint8_t[]){1, 0});
    snprintf (message, sizeof message,
              "Could not perform reducer function: Operation %s does not match the documents schema", hex);
    s_expect_error (&g, message);

    //  Two concurrent DELETEs: the second one fails.
    s_graph_add (&g, PANDA_ACTION_CREATE, S_SCHEMA, 1, none);
    s_graph_add (&g, PANDA_ACTION_DELETE, S_SCHEMA, 2, (const uint8_t[]){1, 0});
    s_graph_add (&g, PANDA_ACTION_DELETE, S_SCHEMA, 3, (const uint8_t[]){1, 0});
    s_expect_error (&g, "Could not perform reducer function: Cannot perform a commit on a deleted document");
}

static void
test_document_vector_errors (void **state)
{
    json_t *root = panda_test_vectors ("document.json");
    s_doc_t a, b;
    s_doc_load (&a, s_scenario (root, "A_two_authors_branch_and_merge"));
    s_doc_load (&b, s_scenario (root, "B_three_concurrent_siblings"));
    panda_document_view_t *view = NULL;
    panda_error_t err;

    //  Two CREATEs (two documents mixed up).
    panda_document_builder_t *builder = s_builder (&a, NULL);
    assert_int_equal (panda_document_builder_add (builder, &b.ids[0], b.ops[0], NULL), PANDA_OK);
    assert_int_equal (panda_document_build (builder, &view, &err), PANDA_ERR_DOCUMENT);
    assert_string_equal (err.message, "multiple CREATE operations found when building operation graph");
    panda_document_builder_destroy (&builder);

    //  The CREATE is missing: the first operation in arrival order whose
    //  previous is unknown is named.
    const size_t order[] = {2, 1, 3, 4};
    builder = panda_document_builder_new ();
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (panda_document_builder_add (builder, &a.ids[order[i]], a.ops[order[i]], NULL),
                          PANDA_OK);
    assert_int_equal (panda_document_build (builder, &view, &err), PANDA_ERR_DOCUMENT);
    char hex[PANDA_HASH_HEX_SIZE + 1], message[256];
    snprintf (message, sizeof message, "operation %s cannot be connected to the document graph",
              panda_hash_to_hex (s_id_of (&a, "A_penguin_update_1"), hex));
    assert_string_equal (err.message, message);
    assert_null (view);
    panda_document_builder_destroy (&builder);

    //  Historical views: unknown tip, empty request.
    builder = s_builder (&a, NULL);
    assert_int_equal (panda_document_build_to_view (builder, b.ids, 1, &view, &err), PANDA_ERR_DOCUMENT);
    assert_string_equal (err.message, "Requested trim nodes not found in graph");
    assert_int_equal (panda_document_build_to_view (builder, a.ids, 0, &view, &err), PANDA_ERR_DOCUMENT);
    assert_string_equal (err.message, "expected one or more operation ids");
    assert_null (view);

    //  A request need not be canonical: order and duplicates do not matter.
    panda_hash_t tips[3] = {*s_id_of (&a, "A_penguin_update_1"), *s_id_of (&a, "A_panda_update_1"),
                            *s_id_of (&a, "A_penguin_update_1")};
    assert_int_equal (panda_document_build_to_view (builder, tips, 3, &view, &err), PANDA_OK);
    json_t *hist = json_array_get (json_object_get (a.scenario, "expected_historical_views"), 3);
    assert_int_equal (json_array_size (json_object_get (hist, "requested_view_labels")), 2);
    s_assert_view (view, hist, s_str (a.scenario, "document_id"), s_str (a.scenario, "schema_id"));
    panda_document_view_destroy (&view);

    //  A request naming an ancestor of another tip keeps just the closure.
    tips[0] = *s_id_of (&a, "A_create");
    tips[1] = *s_id_of (&a, "A_penguin_merge");
    assert_int_equal (panda_document_build_to_view (builder, tips, 2, &view, &err), PANDA_OK);
    hist = json_array_get (json_object_get (a.scenario, "expected_historical_views"), 4);
    assert_string_equal (
        json_string_value (json_array_get (json_object_get (hist, "requested_view_labels"), 0)),
        "A_penguin_merge");
    s_assert_view (view, hist, s_str (a.scenario, "document_id"), s_str (a.scenario, "schema_id"));
    panda_document_view_destroy (&view);
    panda_document_builder_destroy (&builder);

    s_doc_free (&a);
    s_doc_free (&b);
    json_decref (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_document_simple_use),         cmocka_unit_test (test_document_vectors_latest),
        cmocka_unit_test (test_document_vectors_historical), cmocka_unit_test (test_document_walk_quirks),
        cmocka_unit_test (test_document_arrival_order),      cmocka_unit_test (test_document_graph_errors),
        cmocka_unit_test (test_document_vector_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
