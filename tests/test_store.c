/*  test_store.c - the publish store against publish_sequence.json and the
    `publish` cases of invalid.json.                                        */
#include "panda_test.h"
#include "panda_store.h"

#include <stdio.h>
#include <unistd.h>

//  --------------------------------------------------------------------------
//  Fixtures: the 89 entries, the schemas, small helpers

typedef struct {
    panda_entry_t *entry;
    panda_operation_t *operation;
    json_t *vector; //  borrowed from the root
} s_item_t;

typedef struct {
    json_t *root; //  publish_sequence.json
    json_t *schema_root; //  schema.json
    s_item_t items[128];
    size_t count;
    panda_schema_t *app[2]; //  vector_tag, vector_item
} s_fixture_t;

//  Schema lookup: system schemas plus the two application schemas.
static const panda_schema_t *
s_schemas (void *ctx, const char *schema_id)
{
    s_fixture_t *fx = ctx;
    const panda_schema_t *schema = panda_schema_system (schema_id);
    for (size_t i = 0; !schema && i < 2; i++)
        if (strcmp (panda_schema_id (fx->app[i]), schema_id) == 0)
            schema = fx->app[i];
    return schema;
}

static void
s_decode (const char *entry_hex, const char *operation_hex, panda_entry_t **entry,
          panda_operation_t **operation)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (entry_hex, &len);
    panda_error_t err;
    if (panda_entry_decode_verified (entry, bytes, len, &err) != PANDA_OK)
        fail_msg ("entry: %s", err.message);
    free (bytes);
    bytes = panda_test_unhex (operation_hex, &len);
    *operation = panda_operation_decode (bytes, len, &err);
    if (!*operation)
        fail_msg ("operation: %s", err.message);
    free (bytes);
}

static int
s_setup (void **state)
{
    s_fixture_t *fx = calloc (1, sizeof *fx);
    fx->root = panda_test_vectors ("publish_sequence.json");
    fx->schema_root = panda_test_vectors ("schema.json");
    fx->app[0] = panda_test_vector_schema (fx->schema_root, 0);
    fx->app[1] = panda_test_vector_schema (fx->schema_root, 1);
    json_t *entries = json_object_get (fx->root, "entries");
    fx->count = json_array_size (entries);
    assert_int_equal (fx->count, 89);
    for (size_t i = 0; i < fx->count; i++) {
        json_t *v = json_array_get (entries, i);
        fx->items[i].vector = v;
        s_decode (json_string_value (json_object_get (v, "entry_hex")),
                  json_string_value (json_object_get (v, "operation_hex")), &fx->items[i].entry,
                  &fx->items[i].operation);
    }
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = *state;
    for (size_t i = 0; i < fx->count; i++) {
        panda_entry_destroy (&fx->items[i].entry);
        panda_operation_destroy (&fx->items[i].operation);
    }
    panda_schema_destroy (&fx->app[0]);
    panda_schema_destroy (&fx->app[1]);
    json_decref (fx->root);
    json_decref (fx->schema_root);
    free (fx);
    return 0;
}

static panda_public_key_t
s_key (const char *hex)
{
    panda_public_key_t key;
    assert_int_equal (panda_public_key_from_hex (&key, hex, strlen (hex), NULL), PANDA_OK);
    return key;
}

static panda_hash_t
s_hash (const char *hex)
{
    panda_hash_t hash;
    assert_int_equal (panda_hash_from_hex (&hash, hex, strlen (hex), NULL), PANDA_OK);
    return hash;
}

//  Check args against a vector {log_id, seq_num, backlink, skiplink}.
static void
s_assert_args (const panda_entry_args_t *args, json_t *expected)
{
    char text[32], hex[PANDA_HASH_HEX_SIZE + 1];
    snprintf (text, sizeof text, "%llu", (unsigned long long) args->log_id);
    assert_string_equal (text, json_string_value (json_object_get (expected, "log_id")));
    snprintf (text, sizeof text, "%llu", (unsigned long long) args->seq_num);
    assert_string_equal (text, json_string_value (json_object_get (expected, "seq_num")));
    json_t *backlink = json_object_get (expected, "backlink");
    json_t *skiplink = json_object_get (expected, "skiplink");
    assert_int_equal (args->has_backlink, !json_is_null (backlink));
    if (args->has_backlink)
        assert_string_equal (panda_hash_to_hex (&args->backlink, hex), json_string_value (backlink));
    assert_int_equal (args->has_skiplink, !json_is_null (skiplink));
    if (args->has_skiplink)
        assert_string_equal (panda_hash_to_hex (&args->skiplink, hex), json_string_value (skiplink));
}

static bool
s_args_eq (const panda_entry_args_t *a, const panda_entry_args_t *b)
{
    return a->log_id == b->log_id && a->seq_num == b->seq_num && a->has_backlink == b->has_backlink &&
           a->has_skiplink == b->has_skiplink &&
           (!a->has_backlink || panda_hash_eq (&a->backlink, &b->backlink)) &&
           (!a->has_skiplink || panda_hash_eq (&a->skiplink, &b->skiplink));
}

static panda_store_t *
s_open (const char *path)
{
    panda_error_t err;
    panda_store_t *store = panda_store_open (path, &err);
    if (!store)
        fail_msg ("open: %s", err.message);
    return store;
}

//  Publish items [from, to) of the sequence in batches of size; check the
//  next args and document id of each.
static void
s_publish_range (s_fixture_t *fx, panda_store_t *store, size_t from, size_t to, size_t size)
{
    panda_store_item_t batch[32];
    panda_store_result_t *results = calloc (32, sizeof *results);
    assert_true (size <= 32);
    for (size_t i = from; i < to; i += size) {
        size_t n = to - i < size ? to - i : size;
        for (size_t j = 0; j < n; j++)
            batch[j] = (panda_store_item_t){fx->items[i + j].entry, fx->items[i + j].operation, j % 2 == 1};
        panda_error_t err;
        assert_int_equal (panda_store_publish_batch (store, batch, n, s_schemas, fx, results, &err),
                          PANDA_OK);
        for (size_t j = 0; j < n; j++) {
            json_t *v = fx->items[i + j].vector;
            if (results[j].code != PANDA_OK)
                fail_msg ("entry %zu (%s): %s", i + j, json_string_value (json_object_get (v, "label")),
                          results[j].error.message);
            s_assert_args (&results[j].next_args, json_object_get (v, "next_args_after"));
            char hex[PANDA_HASH_HEX_SIZE + 1];
            assert_string_equal (panda_hash_to_hex (&results[j].document_id, hex),
                                 json_string_value (json_object_get (v, "document_id")));
        }
    }
    free (results);
}

//  After the whole sequence: nextArgs for a new document of every author.
static void
s_assert_new_document_args (s_fixture_t *fx, panda_store_t *store)
{
    json_t *expected = json_object_get (fx->root, "next_args_for_new_document");
    json_t *entries = json_object_get (fx->root, "entries");
    const char *name;
    json_t *args_json;
    json_object_foreach (expected, name, args_json)
    {
        //  Find the author's public key in the sequence.
        const char *key_hex = NULL;
        for (size_t i = 0; i < json_array_size (entries) && !key_hex; i++)
            if (strcmp (json_string_value (json_object_get (json_array_get (entries, i), "author")), name) ==
                0)
                key_hex = json_string_value (json_object_get (json_array_get (entries, i), "public_key"));
        assert_non_null (key_hex);
        panda_public_key_t key = s_key (key_hex);
        panda_entry_args_t args;
        assert_int_equal (panda_store_next_args (store, &key, NULL, 0, &args, NULL), PANDA_OK);
        s_assert_args (&args, args_json);
    }
}

//  --------------------------------------------------------------------------
//  Tests

static void
test_store_sequence_one_by_one (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    s_publish_range (fx, store, 0, fx->count, 1);
    s_assert_new_document_args (fx, store);
    panda_store_counts_t counts;
    assert_int_equal (panda_store_counts (store, &counts, NULL), PANDA_OK);
    assert_int_equal (counts.entries, 89);
    assert_int_equal (counts.authors, 3);
    panda_store_destroy (&store);
    assert_null (store);
}

static void
test_store_sequence_batches (void **state)
{
    s_fixture_t *fx = *state;
    static const size_t sizes[] = {2, 3, 5, 8, 13, 21, 32, 7};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        panda_store_t *store = s_open (":memory:");
        s_publish_range (fx, store, 0, fx->count, sizes[s]);
        s_assert_new_document_args (fx, store);
        panda_store_destroy (&store);
    }
}

//  Snapshot of what a rejected publish must leave unchanged.
typedef struct {
    panda_store_counts_t counts;
    panda_entry_args_t args[3]; //  new-document args of each author
} s_snapshot_t;

static void
s_snapshot (s_fixture_t *fx, panda_store_t *store, s_snapshot_t *snap)
{
    memset (snap, 0, sizeof *snap);
    assert_int_equal (panda_store_counts (store, &snap->counts, NULL), PANDA_OK);
    static const size_t authors[3] = {0, 16, 18}; //  bear, penguin, panda
    for (size_t i = 0; i < 3; i++) {
        panda_public_key_t key = panda_entry_public_key (fx->items[authors[i]].entry);
        assert_int_equal (panda_store_next_args (store, &key, NULL, 0, &snap->args[i], NULL), PANDA_OK);
    }
}

static void
test_store_invalid_publish (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    s_publish_range (fx, store, 0, fx->count, 16);
    json_t *invalid = panda_test_vectors ("invalid.json");
    json_t *cases = json_object_get (invalid, "publish");
    assert_true (json_array_size (cases) >= 10);
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c)
    {
        panda_entry_t *entry;
        panda_operation_t *operation;
        s_decode (json_string_value (json_object_get (c, "entry_hex")),
                  json_string_value (json_object_get (c, "operation_hex")), &entry, &operation);
        s_snapshot_t before, after;
        s_snapshot (fx, store, &before);
        //  The entry's log: its next args must not move either.
        panda_entry_args_t log_before, log_after;
        panda_hash_t doc = *panda_entry_hash (fx->items[57].entry); //  panda's long log (seq 40)
        panda_public_key_t panda = panda_entry_public_key (fx->items[57].entry);
        assert_int_equal (panda_store_next_args (store, &panda, &doc, 1, &log_before, NULL), PANDA_OK);
        panda_entry_args_t args;
        panda_error_t err;
        panda_err_t rc = panda_store_publish (store, entry, operation, s_schemas, fx, &args, &err);
        const char *expected = json_string_value (json_object_get (c, "expected_error"));
        if (rc == PANDA_OK || strcmp (err.message, expected) != 0)
            fail_msg ("%s: got '%s', expected '%s'", json_string_value (json_object_get (c, "name")),
                      rc == PANDA_OK ? "success" : err.message, expected);
        s_snapshot (fx, store, &after);
        assert_memory_equal (&before.counts, &after.counts, sizeof before.counts);
        for (size_t a = 0; a < 3; a++)
            assert_true (s_args_eq (&before.args[a], &after.args[a]));
        assert_int_equal (panda_store_next_args (store, &panda, &doc, 1, &log_after, NULL), PANDA_OK);
        assert_true (s_args_eq (&log_before, &log_after));
        assert_int_equal (log_after.seq_num, 41);
        panda_entry_destroy (&entry);
        panda_operation_destroy (&operation);
    }
    json_decref (invalid);
    panda_store_destroy (&store);
}

//  Valid and invalid items in one batch: exactly the valid ones commit.
static void
test_store_mixed_batch (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    s_publish_range (fx, store, 0, 18, 18); //  schemas, blobs, tags
    //  panda's long log 1..5, with a duplicate of seq 2, a gap (seq 5
    //  before 4) and seq 3 twice mixed in.
    size_t order[] = {18, 19, 19, 20, 22, 20, 21, 22};
    //  Item 2 is a replicated duplicate (check_duplicate): a success that
    //  writes nothing.
    bool ok[] = {true, true, true, true, false, false, true, true};
    size_t n = sizeof order / sizeof order[0];
    panda_store_item_t batch[8];
    for (size_t i = 0; i < n; i++)
        batch[i] = (panda_store_item_t){fx->items[order[i]].entry, fx->items[order[i]].operation, i == 2};
    panda_store_result_t *results = calloc (n, sizeof *results);
    assert_int_equal (panda_store_publish_batch (store, batch, n, s_schemas, fx, results, NULL), PANDA_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (results[i].code == PANDA_OK, ok[i]);
        if (ok[i] && i != 2)
            s_assert_args (&results[i].next_args,
                           json_object_get (fx->items[order[i]].vector, "next_args_after"));
    }
    for (size_t i = 0; i < n; i++)
        assert_int_equal (results[i].duplicate, i == 2);
    assert_string_equal (results[4].error.message, "Entry's claimed seq num of 5 does not match expected seq "
                                                   "num of 4 for given public key and log");
    panda_store_counts_t counts;
    assert_int_equal (panda_store_counts (store, &counts, NULL), PANDA_OK);
    assert_int_equal (counts.entries, 18 + 5);
    //  The rest of the sequence still goes through.
    s_publish_range (fx, store, 23, fx->count, 9);
    free (results);
    panda_store_destroy (&store);
}

static void
s_assert_next_args_error (panda_store_t *store, const panda_public_key_t *key, const panda_hash_t *ids,
                          size_t count, const char *expected)
{
    panda_entry_args_t args;
    panda_error_t err;
    assert_int_not_equal (panda_store_next_args (store, key, ids, count, &args, &err), PANDA_OK);
    assert_string_equal (err.message, expected);
}

static void
test_store_next_args (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    //  A fresh node: log 0, seq 1 for anybody.
    panda_public_key_t bear = panda_entry_public_key (fx->items[0].entry);
    panda_entry_args_t args;
    assert_int_equal (panda_store_next_args (store, &bear, NULL, 0, &args, NULL), PANDA_OK);
    assert_true (args.log_id == 0 && args.seq_num == 1 && !args.has_backlink && !args.has_skiplink);
    s_publish_range (fx, store, 0, fx->count, 30);
    panda_public_key_t penguin = panda_entry_public_key (fx->items[16].entry);
    panda_public_key_t panda = panda_entry_public_key (fx->items[18].entry);
    //  panda's own long-log document, named by any of its operations.
    panda_hash_t view = *panda_entry_hash (fx->items[30].entry);
    assert_int_equal (panda_store_next_args (store, &panda, &view, 1, &args, NULL), PANDA_OK);
    s_assert_args (&args, json_object_get (fx->items[57].vector, "next_args_after"));
    //  penguin has no log for it: a new log, as for a new document.
    assert_int_equal (panda_store_next_args (store, &penguin, &view, 1, &args, NULL), PANDA_OK);
    s_assert_args (&args,
                   json_object_get (json_object_get (fx->root, "next_args_for_new_document"), "penguin"));
    //  Document A (entry 58): penguin contributed in its log 2 (seq 2).
    panda_hash_t a_tips[2] = {*panda_entry_hash (fx->items[61].entry),
                              *panda_entry_hash (fx->items[62].entry)};
    if (panda_hash_cmp (&a_tips[0], &a_tips[1]) > 0) {
        panda_hash_t t = a_tips[0];
        a_tips[0] = a_tips[1];
        a_tips[1] = t;
    }
    assert_int_equal (panda_store_next_args (store, &penguin, a_tips, 2, &args, NULL), PANDA_OK);
    s_assert_args (&args, json_object_get (fx->items[61].vector, "next_args_after"));
    //  Errors.
    panda_hash_t unknown = s_hash ("0020"
                                   "00000000000000000000000000000000000000000000000000000000000000ff");
    s_assert_next_args_error (store, &panda, &unknown, 1,
                              "Previous operation "
                              "002000000000000000000000000000000000000000000000000000000000000000ff"
                              " not found in store");
    panda_hash_t two_docs[2] = {*panda_entry_hash (fx->items[18].entry),
                                *panda_entry_hash (fx->items[58].entry)};
    if (panda_hash_cmp (&two_docs[0], &two_docs[1]) > 0) {
        panda_hash_t t = two_docs[0];
        two_docs[0] = two_docs[1];
        two_docs[1] = t;
    }
    s_assert_next_args_error (store, &panda, two_docs, 2,
                              "Operations in passed document view id originate from different documents");
    panda_hash_t d = *panda_entry_hash (fx->items[72].entry); //  D_create; D was deleted
    s_assert_next_args_error (store, &panda, &d, 1, "Document is deleted");
    s_assert_next_args_error (store, &penguin, &d, 1, "Document is deleted");
    //  Accessors the materialiser uses.
    bool deleted;
    assert_int_equal (panda_store_document_deleted (store, &d, &deleted, NULL), PANDA_OK);
    assert_true (deleted);
    panda_hash_t doc;
    assert_int_equal (
        panda_store_operation_document (store, panda_entry_hash (fx->items[74].entry), &doc, NULL), PANDA_OK);
    assert_true (panda_hash_eq (&doc, &d));
    assert_int_equal (
        panda_store_document_deleted (store, panda_entry_hash (fx->items[73].entry), &deleted, NULL),
        PANDA_ERR_NOT_FOUND);
    panda_store_destroy (&store);
}

typedef struct {
    s_fixture_t *fx;
    size_t count;
    const size_t *expected; //  sequence indexes in arrival order
} s_walk_t;

static panda_err_t
s_check_op (void *ctx, const panda_hash_t *id, int64_t position, const uint8_t *bytes, size_t len)
{
    s_walk_t *walk = ctx;
    s_item_t *item = &walk->fx->items[walk->expected[walk->count++]];
    assert_true (panda_hash_eq (id, panda_entry_hash (item->entry)));
    size_t op_len;
    const uint8_t *op = panda_operation_bytes (item->operation, &op_len);
    assert_int_equal (len, op_len);
    assert_memory_equal (bytes, op, len);
    assert_true (position > 0);
    return PANDA_OK;
}

static panda_err_t
s_count_doc (void *ctx, const panda_hash_t *document_id, int64_t position)
{
    (*(size_t *) ctx)++;
    return PANDA_OK;
}

static void
test_store_read_accessors (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    s_publish_range (fx, store, 0, fx->count, 32);
    //  Document C: C_root, C_A, C_B, C_X, C_M (entries 67-71) in arrival order.
    static const size_t c_ops[] = {67, 68, 69, 70, 71};
    s_walk_t walk = {fx, 0, c_ops};
    assert_int_equal (panda_store_document_operations (store, panda_entry_hash (fx->items[67].entry),
                                                       s_check_op, &walk, NULL),
                      PANDA_OK);
    assert_int_equal (walk.count, 5);
    //  Changed documents: all of them, then only those after a position.
    size_t all = 0, later = 0;
    assert_int_equal (panda_store_documents_changed (store, 0, s_count_doc, &all, NULL), PANDA_OK);
    panda_store_counts_t counts;
    assert_int_equal (panda_store_counts (store, &counts, NULL), PANDA_OK);
    assert_int_equal (all, counts.documents);
    assert_int_equal (panda_store_documents_changed (store, 88, s_count_doc, &later, NULL), PANDA_OK);
    assert_int_equal (later, 1); //  G, by its last entry G_Z
    panda_store_destroy (&store);
}

typedef struct {
    s_fixture_t *fx;
    size_t seen;
    int64_t first;
} s_since_t;

//  Entries come in publish order with their ids, author and operation.
static panda_err_t
s_check_entry (void *ctx, const panda_store_stored_t *stored)
{
    s_since_t *since = ctx;
    size_t i = (size_t) (stored->position - 1);
    assert_int_equal (stored->position, since->first + (int64_t) since->seen);
    since->seen++;
    const s_item_t *item = &since->fx->items[i];
    assert_true (panda_hash_eq (stored->operation_id, panda_entry_hash (item->entry)));
    panda_hash_t doc = s_hash (json_string_value (json_object_get (item->vector, "document_id")));
    assert_true (panda_hash_eq (stored->document_id, &doc));
    panda_public_key_t key = panda_entry_public_key (item->entry);
    assert_memory_equal (stored->public_key->bytes, key.bytes, PANDA_PUBLIC_KEY_SIZE);
    size_t len;
    uint8_t *bytes =
        panda_test_unhex (json_string_value (json_object_get (item->vector, "operation_hex")), &len);
    assert_int_equal (stored->len, len);
    assert_memory_equal (stored->operation, bytes, len);
    free (bytes);
    return PANDA_OK;
}

static panda_err_t
s_stop_entry (void *ctx, const panda_store_stored_t *stored)
{
    return panda_error_set (ctx, PANDA_ERR_INVALID, "stop at %lld", (long long) stored->position);
}

//  The materialiser's reading: every entry after a position, bounded.
static void
test_store_entries_since (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    s_publish_range (fx, store, 0, fx->count, 32);
    s_since_t since = {fx, 0, 1};
    size_t count = 0;
    assert_int_equal (panda_store_entries_since (store, 0, 1000, s_check_entry, &since, &count, NULL),
                      PANDA_OK);
    assert_int_equal (count, fx->count);
    assert_int_equal (since.seen, fx->count);
    since = (s_since_t){fx, 0, 11};
    assert_int_equal (panda_store_entries_since (store, 10, 5, s_check_entry, &since, &count, NULL),
                      PANDA_OK);
    assert_int_equal (count, 5);
    assert_int_equal (panda_store_entries_since (store, 89, 5, s_check_entry, &since, &count, NULL),
                      PANDA_OK);
    assert_int_equal (count, 0);
    panda_error_t err;
    assert_int_equal (panda_store_entries_since (store, 40, 5, s_stop_entry, &err, &count, NULL),
                      PANDA_ERR_INVALID);
    assert_string_equal (err.message, "stop at 41");
    assert_int_equal (count, 0);
    panda_store_destroy (&store);
}

//  Next args of every (author, document) of the sequence.
static void
s_all_args (s_fixture_t *fx, panda_store_t *store, panda_entry_args_t *args)
{
    for (size_t i = 0; i < fx->count; i++) {
        panda_public_key_t key = panda_entry_public_key (fx->items[i].entry);
        panda_hash_t doc = s_hash (json_string_value (json_object_get (fx->items[i].vector, "document_id")));
        panda_error_t err;
        panda_err_t rc = panda_store_next_args (store, &key, &doc, 1, &args[i], &err);
        if (rc != PANDA_OK) {
            assert_string_equal (err.message, "Document is deleted");
            memset (&args[i], 0, sizeof args[i]);
        }
    }
}

static void
test_store_persistence (void **state)
{
    s_fixture_t *fx = *state;
    char dir[] = "/tmp/panda_store_XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[64];
    snprintf (path, sizeof path, "%s/store.db", dir);
    panda_store_t *store = s_open (path);
    s_publish_range (fx, store, 0, 60, 10);
    panda_store_destroy (&store);
    //  Reopen half way, finish, compare a warm cache with a cold reopen.
    store = s_open (path);
    s_publish_range (fx, store, 60, fx->count, 4);
    panda_entry_args_t warm[128], cold[128];
    s_all_args (fx, store, warm);
    panda_store_destroy (&store);
    store = s_open (path);
    s_all_args (fx, store, cold);
    for (size_t i = 0; i < fx->count; i++)
        assert_true (s_args_eq (&warm[i], &cold[i]));
    s_assert_new_document_args (fx, store);
    //  The last entry of each log gives the vector's next args after a reopen.
    for (size_t i = 0; i < fx->count; i++) {
        json_t *v = fx->items[i].vector;
        bool last = true;
        for (size_t j = i + 1; j < fx->count && last; j++) {
            json_t *w = fx->items[j].vector;
            last = !json_equal (json_object_get (v, "author"), json_object_get (w, "author")) ||
                   !json_equal (json_object_get (v, "log_id"), json_object_get (w, "log_id"));
        }
        if (last && cold[i].seq_num)
            s_assert_args (&cold[i], json_object_get (v, "next_args_after"));
    }
    panda_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal (system (cmd), 0);
}

//  --------------------------------------------------------------------------
//  Replication reads

typedef struct {
    s_fixture_t *fx;
    const char *schema_id;
    size_t logs;
    panda_store_t *store;
} s_heights_t;

//  A log's height is the highest seq num of the vector's entries in it,
//  and the log belongs to a document of the schema asked for.
static panda_err_t
s_check_height (void *ctx, const panda_public_key_t *key, uint64_t log_id, uint64_t seq_num)
{
    s_heights_t *h = ctx;
    uint64_t highest = 0;
    bool of_schema = false;
    for (size_t i = 0; i < h->fx->count; i++) {
        const s_item_t *item = &h->fx->items[i];
        panda_public_key_t author = panda_entry_public_key (item->entry);
        if (memcmp (author.bytes, key->bytes, PANDA_PUBLIC_KEY_SIZE) ||
            panda_entry_log_id (item->entry) != log_id)
            continue;
        if (panda_entry_seq_num (item->entry) > highest)
            highest = panda_entry_seq_num (item->entry);
        of_schema |= strcmp (panda_operation_schema_id (item->operation), h->schema_id) == 0;
    }
    assert_true (of_schema);
    assert_int_equal (seq_num, highest);
    h->logs++;
    return PANDA_OK;
}

static panda_err_t
s_collect_position (void *ctx, int64_t position)
{
    int64_t *positions = ctx;
    assert_true (positions[0] < 129);
    positions[++positions[0]] = position;
    return PANDA_OK;
}

static panda_err_t
s_check_raw (void *ctx, const panda_store_raw_t *raw)
{
    const s_item_t *item = ctx;
    assert_true (panda_hash_eq (raw->hash, panda_entry_hash (item->entry)));
    assert_string_equal (raw->schema_id, panda_operation_schema_id (item->operation));
    size_t len;
    uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (item->vector, "entry_hex")), &len);
    assert_int_equal (raw->entry_len, len);
    assert_memory_equal (raw->entry, bytes, len);
    free (bytes);
    panda_hash_t doc = s_hash (json_string_value (json_object_get (item->vector, "document_id")));
    assert_true (panda_hash_eq (raw->document_id, &doc));
    return PANDA_OK;
}

//  What a replication session reads: log heights per schema (deleted
//  documents included), the entries of a log above a height, one entry.
static void
test_store_replication_reads (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_t *store = s_open (":memory:");
    s_publish_range (fx, store, 0, fx->count, 32);
    size_t total = 0;
    for (size_t s = 0; s < fx->count; s++) {
        const char *schema_id = panda_operation_schema_id (fx->items[s].operation);
        bool first = true;
        for (size_t t = 0; t < s && first; t++)
            first = strcmp (panda_operation_schema_id (fx->items[t].operation), schema_id) != 0;
        if (!first)
            continue;
        s_heights_t h = {fx, schema_id, 0, store};
        assert_int_equal (panda_store_schema_logs (store, schema_id, s_check_height, &h, NULL), PANDA_OK);
        assert_true (h.logs > 0);
        total += h.logs;
    }
    panda_store_counts_t counts;
    assert_int_equal (panda_store_counts (store, &counts, NULL), PANDA_OK);
    assert_int_equal (total, counts.logs); //  every log, once, under its schema
    s_heights_t none = {fx, "nothing_0020", 0, store};
    assert_int_equal (panda_store_schema_logs (store, "nothing_0020", s_check_height, &none, NULL), PANDA_OK);
    assert_int_equal (none.logs, 0);
    //  panda's long log (item 18 is its seq 1): the entries above seq 2.
    const s_item_t *last = &fx->items[18];
    panda_public_key_t key = panda_entry_public_key (last->entry);
    uint64_t height = 0;
    for (size_t i = 0; i < fx->count; i++) {
        panda_public_key_t author = panda_entry_public_key (fx->items[i].entry);
        if (!memcmp (author.bytes, key.bytes, PANDA_PUBLIC_KEY_SIZE) &&
            panda_entry_log_id (fx->items[i].entry) == panda_entry_log_id (last->entry))
            height = panda_entry_seq_num (fx->items[i].entry);
    }
    assert_true (height > 3);
    int64_t positions[130] = {0};
    assert_int_equal (panda_store_log_positions (store, &key, panda_entry_log_id (last->entry), 2,
                                                 s_collect_position, positions, NULL),
                      PANDA_OK);
    assert_int_equal (positions[0], (int64_t) height - 2);
    for (int64_t i = 1; i <= positions[0]; i++) {
        bool found;
        const s_item_t *item = &fx->items[positions[i] - 1];
        assert_int_equal (panda_entry_seq_num (item->entry), 2 + (uint64_t) i);
        assert_int_equal (
            panda_store_entry_at (store, positions[i], s_check_raw, (void *) item, &found, NULL), PANDA_OK);
        assert_true (found);
    }
    bool found = true;
    assert_int_equal (panda_store_entry_at (store, 1000, s_check_raw, NULL, &found, NULL), PANDA_OK);
    assert_false (found);
    panda_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_store_sequence_one_by_one), cmocka_unit_test (test_store_sequence_batches),
        cmocka_unit_test (test_store_invalid_publish),     cmocka_unit_test (test_store_mixed_batch),
        cmocka_unit_test (test_store_next_args),           cmocka_unit_test (test_store_read_accessors),
        cmocka_unit_test (test_store_persistence),         cmocka_unit_test (test_store_entries_since),
        cmocka_unit_test (test_store_replication_reads),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
