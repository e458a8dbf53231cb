/*  test_node_publish.c - publish and nextArgs through the real pandad's
    HTTP API (node-api.md §6.1, §7), using tests/vectors and entries we sign
    with the lib for system-schema documents.

    Vectors: publish_sequence.json entries 0-15 are system-schema CREATEs
    (schema_field_definition_v1, schema_definition_v1, blob_piece_v1,
    blob_v1, all by bear); 16-88 are on the application schemas vector_tag /
    vector_item. invalid.json: entry_decode and operation_decode fail before
    or regardless of the schema; schema_definitions and blobs are system
    schemas (we sign their operations); operation_schema and publish are on
    the application schemas, published once the node serves them.          */
#include <stdio.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda/panda_lipmaa.h"

#define SYSTEM_ENTRIES 16 //  publish_sequence entries 0-15 use system schemas only
#define MATERIALISE_MS 20000 //  longest wait for a published schema to be served

typedef struct {
    panda_fixture_t *node;
    json_t *deleted; //  document ids with a published DELETE
} fixture_t;

//  --- requests and expected answers -----------------------------------------

//  {"logId":..,"seqNum":..,"backlink":..,"skiplink":..} (NULL links = null).
static json_t *
s_args (uint64_t log_id, uint64_t seq_num, const char *backlink, const char *skiplink)
{
    char log[24], seq[24];
    snprintf (log, sizeof log, "%llu", (unsigned long long) log_id);
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) seq_num);
    return json_pack ("{s:s, s:s, s:s?, s:s?}", "logId", log, "seqNum", seq, "backlink", backlink, "skiplink",
                      skiplink);
}

//  The vector's next_args_after object in the API's shape.
static json_t *
s_args_from_vector (json_t *v)
{
    return json_pack ("{s:O, s:O, s:O, s:O}", "logId", json_object_get (v, "log_id"), "seqNum",
                      json_object_get (v, "seq_num"), "backlink", json_object_get (v, "backlink"), "skiplink",
                      json_object_get (v, "skiplink"));
}

//  answer must be exactly {"data":{field: expected}}. Takes expected.
static void
s_assert_data (json_t *answer, const char *field, json_t *expected, const char *what)
{
    json_t *want = json_pack ("{s:{s:o}}", "data", field, expected);
    if (!json_equal (answer, want)) {
        char *got = json_dumps (answer, JSON_COMPACT), *exp = json_dumps (want, JSON_COMPACT);
        fail_msg ("%s:\n  got      %s\n  expected %s", what, got, exp);
    }
    json_decref (want);
}

//  answer must be {"data":null,"errors":[{"message":message,...}]}.
static void
s_assert_error (json_t *answer, const char *message, const char *what)
{
    json_t *errors = json_object_get (answer, "errors");
    const char *got = json_string_value (json_object_get (json_array_get (errors, 0), "message"));
    json_t *data = json_object_get (answer, "data");
    if (!data || !json_is_null (data) || !got || strcmp (got, message) != 0) {
        char *text = json_dumps (answer, JSON_COMPACT);
        fail_msg ("%s:\n  got      %s\n  expected error \"%s\"", what, text, message);
    }
}

static void
s_expect_next_args (fixture_t *f, const char *public_key, const char *view_id, json_t *expected,
                    const char *what)
{
    json_t *answer = panda_fixture_next_args (panda_fixture_http (f->node), public_key, view_id, NULL);
    s_assert_data (answer, "nextArgs", expected, what);
    json_decref (answer);
}

static void
s_expect_publish_error (fixture_t *f, const char *entry_hex, const char *operation_hex, const char *message,
                        const char *what)
{
    json_t *answer = panda_fixture_publish (panda_fixture_http (f->node), entry_hex, operation_hex, NULL);
    s_assert_error (answer, message, what);
    json_decref (answer);
}

static const char *
s_key (fixture_t *f, const char *author, const char *which)
{
    return json_string_value (json_object_get (
        json_object_get (json_object_get (panda_fixture_vectors ("keys.json"), "keys"), author), which));
}

//  The log id nextArgs offers author for a new document.
static uint64_t
s_new_log (fixture_t *f, const char *author)
{
    json_t *answer =
        panda_fixture_next_args (panda_fixture_http (f->node), s_key (f, author, "public_key"), NULL, NULL);
    const char *log = json_string_value (
        json_object_get (json_object_get (json_object_get (answer, "data"), "nextArgs"), "logId"));
    assert_non_null (log);
    uint64_t id = strtoull (log, NULL, 10);
    json_decref (answer);
    return id;
}

//  --- signing our own entries ---------------------------------------------

//  The keypair of author in keys.json. Caller owns.
static panda_keypair_t *
s_keypair (fixture_t *f, const char *author)
{
    panda_error_t err;
    const char *private_hex = s_key (f, author, "private_key");
    panda_keypair_t *keypair = panda_keypair_new_from_hex (private_hex, strlen (private_hex), &err);
    assert_non_null (keypair);
    return keypair;
}

//  Sign an operation for author. Takes op.
static panda_fixture_signed_t
s_sign (fixture_t *f, const char *author, uint64_t log_id, uint64_t seq_num, const panda_hash_t *backlink,
        const panda_hash_t *skiplink, panda_operation_t **op_p)
{
    panda_keypair_t *keypair = s_keypair (f, author);
    panda_fixture_signed_t s = panda_fixture_sign (keypair, log_id, seq_num, backlink, skiplink, op_p);
    panda_keypair_destroy (&keypair);
    return s;
}

//  --- fixture ---------------------------------------------------------------

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    *state = f;
    f->deleted = json_object ();
    return panda_fixture_setup (&f->node, NULL);
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    int status = panda_fixture_stop (&f->node);
    json_decref (f->deleted);
    free (f);
    return status == 0 ? 0 : -1;
}

//  Skip (loudly) while build/bin/pandad is the pre-node stub.
static fixture_t *
s_fixture (void **state)
{
    panda_fixture_require ();
    return *state;
}

//  --- publish_sequence.json -------------------------------------------------

//  Publish vector v and check the answer against next_args_after; then
//  nextArgs for its document gives the same, or "Document is deleted" once
//  the document has a DELETE.
static void
s_publish_vector (fixture_t *f, json_t *v)
{
    const char *label = json_string_value (json_object_get (v, "label"));
    json_t *answer = panda_fixture_publish (panda_fixture_http (f->node),
                                            json_string_value (json_object_get (v, "entry_hex")),
                                            json_string_value (json_object_get (v, "operation_hex")), NULL);
    json_t *expected = s_args_from_vector (json_object_get (v, "next_args_after"));
    s_assert_data (answer, "publish", json_incref (expected), label);
    json_decref (answer);
    const char *doc = json_string_value (json_object_get (v, "document_id"));
    if (strcmp (json_string_value (json_object_get (v, "action")), "delete") == 0)
        json_object_set_new (f->deleted, doc, json_true ());
    if (json_object_get (f->deleted, doc)) {
        //  §6.1 2.3: a deleted document has no next entry.
        answer = panda_fixture_next_args (panda_fixture_http (f->node),
                                          json_string_value (json_object_get (v, "public_key")), doc, NULL);
        s_assert_error (answer, "Document is deleted", label);
        json_decref (answer);
        json_decref (expected);
        return;
    }
    s_expect_next_args (f, json_string_value (json_object_get (v, "public_key")), doc, expected, label);
}

//  Wait until the application schema of vector v is served: the node
//  materialises schemas after their publish (node-api §6.7), and a client
//  polls for them, as here.
static void
s_wait_schema (fixture_t *f, json_t *v)
{
    panda_fixture_wait_schema (panda_fixture_http (f->node),
                               json_string_value (json_object_get (v, "schema_id")), MATERIALISE_MS);
}

//  Publish the system-schema prefix, and with all the rest, each entry
//  once its schema is served.
static void
s_publish_sequence (fixture_t *f, bool all)
{
    json_t *entries = json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries");
    for (size_t i = 0; i < SYSTEM_ENTRIES; i++) {
        json_t *v = json_array_get (entries, i);
        assert_string_equal (json_string_value (json_object_get (v, "author")), "bear");
        s_publish_vector (f, v);
        //  bear's documents are all CREATEs in logs 0, 1, 2, ...
        s_expect_next_args (f, s_key (f, "bear", "public_key"), NULL, s_args (i + 1, 1, NULL, NULL),
                            "bear new document");
    }
    if (!all)
        return;
    for (size_t i = SYSTEM_ENTRIES; i < json_array_size (entries); i++) {
        s_wait_schema (f, json_array_get (entries, i));
        s_publish_vector (f, json_array_get (entries, i));
    }
    const char *author;
    json_t *args;
    json_object_foreach (
        json_object_get (panda_fixture_vectors ("publish_sequence.json"), "next_args_for_new_document"),
        author, args)
        s_expect_next_args (f, s_key (f, author, "public_key"), NULL, s_args_from_vector (args), author);
}

static void
test_publish_sequence (void **state)
{
    fixture_t *f = s_fixture (state);
    s_expect_next_args (f, s_key (f, "bear", "public_key"), NULL, s_args (0, 1, NULL, NULL), "fresh node");
    s_publish_sequence (f, true);
}

//  --- invalid.json ----------------------------------------------------------

//  nextArgs for a new document of every author, to compare after a failure.
static json_t *
s_snapshot (fixture_t *f)
{
    json_t *snap = json_object ();
    const char *author;
    json_t *key;
    json_object_foreach (json_object_get (panda_fixture_vectors ("keys.json"), "keys"), author, key)
        json_object_set_new (snap, author,
                             panda_fixture_next_args (panda_fixture_http (f->node),
                                                      json_string_value (json_object_get (key, "public_key")),
                                                      NULL, NULL));
    return snap;
}

static void
s_assert_unchanged (fixture_t *f, json_t *snap, const char *what)
{
    json_t *now = s_snapshot (f);
    if (!json_equal (now, snap))
        fail_msg ("%s changed the node's nextArgs", what);
    json_decref (now);
}

//  Case c of a section: sign its operation (hex or construction) for
//  penguin in a new log and check the expected error, or success.
static void
s_signed_case (fixture_t *f, json_t *c, const char *message, json_t **snap)
{
    const char *name = json_string_value (json_object_get (c, "name"));
    size_t len;
    uint8_t *bytes;
    json_t *construction = json_object_get (c, "construction");
    if (construction) {
        size_t prefix_len;
        uint8_t *prefix =
            panda_test_unhex (json_string_value (json_object_get (construction, "prefix_hex")), &prefix_len);
        len = (size_t) json_integer_value (json_object_get (c, "operation_size"));
        bytes = calloc (1, len);
        memcpy (bytes, prefix, prefix_len);
        free (prefix);
    } else
        bytes = panda_test_unhex (json_string_value (json_object_get (c, "operation_hex")), &len);
    uint64_t log = s_new_log (f, "penguin");
    panda_keypair_t *keypair = s_keypair (f, "penguin");
    panda_fixture_signed_t s = panda_fixture_sign_bytes (keypair, log, 1, NULL, NULL, bytes, len);
    panda_keypair_destroy (&keypair);
    free (bytes);
    json_t *answer = panda_fixture_publish (panda_fixture_http (f->node), s.entry_hex, s.operation_hex, NULL);
    //  data-types.md quirks: an empty field name may be refused at decode ("either").
    const char *got = json_string_value (
        json_object_get (json_array_get (json_object_get (answer, "errors"), 0), "message"));
    if (message && strcmp (name, "empty_field_name") == 0 && got &&
        strncmp (got, "empty field name", 16) == 0)
        message = got;
    if (message) {
        s_assert_error (answer, message, name);
        s_assert_unchanged (f, *snap, name);
    } else {
        s_assert_data (answer, "publish", s_args (log, 2, s.hash, NULL), name);
        json_decref (*snap);
        *snap = s_snapshot (f);
    }
    json_decref (answer);
    panda_fixture_signed_release (&s);
}

static void
test_invalid_vectors (void **state)
{
    fixture_t *f = s_fixture (state);
    s_publish_sequence (f, true);
    json_t *snap = s_snapshot (f);
    json_t *first =
        json_array_get (json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries"), 0);
    const char *good_entry = json_string_value (json_object_get (first, "entry_hex"));
    const char *good_operation = json_string_value (json_object_get (first, "operation_hex"));
    size_t i;
    json_t *c;
    //  Step 1 (operation CBOR) fails before anything else.
    json_array_foreach (json_object_get (panda_fixture_vectors ("invalid.json"), "operation_decode"), i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        s_expect_publish_error (f, good_entry, json_string_value (json_object_get (c, "operation_hex")),
                                json_string_value (json_object_get (c, "reference_error")), name);
        s_assert_unchanged (f, snap, name);
    }
    //  Step 3 (entry): paired with a system-schema operation that passes 1-2.
    json_array_foreach (json_object_get (panda_fixture_vectors ("invalid.json"), "entry_decode"), i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        s_expect_publish_error (f, json_string_value (json_object_get (c, "entry_hex")), good_operation,
                                json_string_value (json_object_get (c, "reference_error")), name);
        s_assert_unchanged (f, snap, name);
    }
    //  Step 8 on system schemas, correctly signed by us.
    const char *sections[] = {"schema_definitions", "blobs", NULL};
    for (const char **section = sections; *section; section++)
        json_array_foreach (json_object_get (panda_fixture_vectors ("invalid.json"), *section), i, c)
            s_signed_case (f, c, json_string_value (json_object_get (c, "expected_error")), &snap);
    //  Application schemas: their reference errors.
    json_array_foreach (json_object_get (panda_fixture_vectors ("invalid.json"), "operation_schema"), i, c)
        s_signed_case (f, c, json_string_value (json_object_get (c, "expected_error")), &snap);
    json_array_foreach (json_object_get (panda_fixture_vectors ("invalid.json"), "publish"), i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        s_expect_publish_error (f, json_string_value (json_object_get (c, "entry_hex")),
                                json_string_value (json_object_get (c, "operation_hex")),
                                json_string_value (json_object_get (c, "expected_error")), name);
        s_assert_unchanged (f, snap, name);
    }
    json_decref (snap);
}

//  --- our own system-schema log (§7.2, §7.3) --------------------------------

#define OWN_LOG_LENGTH 40

//  Next args after seq in a log whose entries are log[1..seq]: computed
//  here from panda_lipmaa, independently of the node.
static json_t *
s_expected_after (uint64_t log_id, const panda_fixture_signed_t *log, uint64_t seq)
{
    uint64_t next = seq + 1;
    return s_args (log_id, next, log[seq].hash,
                   panda_lipmaa_skiplink_required (next) ? log[panda_lipmaa (next)].hash : NULL);
}

static const panda_hash_t *
s_skiplink (const panda_fixture_signed_t *log, uint64_t seq)
{
    return panda_lipmaa_skiplink_required (seq) ? &log[panda_lipmaa (seq)].id : NULL;
}

//  Publish must fail with message and leave panda's log and new-log offer
//  as they were. Takes s.
static void
s_reject (fixture_t *f, panda_fixture_signed_t *s, const char *message, const char *doc, json_t *expected,
          uint64_t new_log, const char *what)
{
    s_expect_publish_error (f, s->entry_hex, s->operation_hex, message, what);
    s_expect_next_args (f, s_key (f, "panda", "public_key"), doc, json_incref (expected), what);
    assert_int_equal (s_new_log (f, "panda"), new_log);
    panda_fixture_signed_release (s);
}

static void
s_build_own_log (fixture_t *f, uint64_t log_id, panda_fixture_signed_t *log)
{
    const char *pk = s_key (f, "panda", "public_key");
    for (uint64_t seq = 1; seq <= OWN_LOG_LENGTH; seq++) {
        char name[32];
        snprintf (name, sizeof name, "title_%llu", (unsigned long long) seq);
        if (seq == 4) {
            //  lipmaa(4) = 1: a skiplink to entry 2 is wrong.
            panda_operation_t *op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[3].id, 1, name);
            panda_fixture_signed_t bad = s_sign (f, "panda", log_id, 4, &log[3].id, &log[2].id, &op);
            json_t *after_3 = s_expected_after (log_id, log, 3);
            s_reject (f, &bad, "claimed hash does not match skiplink entry", log[1].hash, after_3, log_id + 1,
                      "wrong skiplink");
            json_decref (after_3);
        }
        panda_operation_t *op =
            seq == 1 ? panda_test_field_definition_op (PANDA_ACTION_CREATE, NULL, 0, name)
                     : panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[seq - 1].id, 1, name);
        log[seq] =
            s_sign (f, "panda", log_id, seq, seq > 1 ? &log[seq - 1].id : NULL, s_skiplink (log, seq), &op);
        json_t *answer = panda_fixture_publish (panda_fixture_http (f->node), log[seq].entry_hex,
                                                log[seq].operation_hex, NULL);
        json_t *expected = s_expected_after (log_id, log, seq);
        s_assert_data (answer, "publish", json_incref (expected), name);
        json_decref (answer);
        //  viewId may be the document id or any later operation of it.
        s_expect_next_args (f, pk, log[1].hash, json_incref (expected), name);
        s_expect_next_args (f, pk, log[seq].hash, expected, name);
    }
}

//  Cases that need a second document or author: previous from two
//  documents, a first contribution in a log of another document, deletes.
static void
s_multi_document_cases (fixture_t *f, const panda_fixture_signed_t *log, uint64_t L, json_t *next)
{
    const char *doc = log[1].hash;
    const char *penguin = s_key (f, "penguin", "public_key");
    char message[512];
    panda_operation_t *op = panda_test_field_definition_op (PANDA_ACTION_CREATE, NULL, 0, "second");
    panda_fixture_signed_t doc2 = s_sign (f, "panda", L + 1, 1, NULL, NULL, &op);
    json_t *answer =
        panda_fixture_publish (panda_fixture_http (f->node), doc2.entry_hex, doc2.operation_hex, NULL);
    s_assert_data (answer, "publish", s_args (L + 1, 2, doc2.hash, NULL), "second document");
    json_decref (answer);
    panda_hash_t both[2] = {log[40].id, doc2.id};
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, both, 2, "both");
    panda_fixture_signed_t s = s_sign (f, "panda", L + 2, 1, NULL, NULL, &op);
    s_reject (f, &s, "Operations in passed document view id originate from different documents", doc, next,
              L + 2, "previous from two documents");
    //  penguin has a log for its own document E, none for panda's.
    uint64_t P = s_new_log (f, "penguin");
    op = panda_test_field_definition_op (PANDA_ACTION_CREATE, NULL, 0, "penguin");
    panda_fixture_signed_t e = s_sign (f, "penguin", P, 1, NULL, NULL, &op);
    answer = panda_fixture_publish (panda_fixture_http (f->node), e.entry_hex, e.operation_hex, NULL);
    s_assert_data (answer, "publish", s_args (P, 2, e.hash, NULL), "penguin document");
    json_decref (answer);
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[40].id, 1, "contribution");
    s = s_sign (f, "penguin", P, 2, &e.id, NULL, &op);
    snprintf (message, sizeof message, "Expected log not found in store for: public key %s, document id %s",
              penguin, doc);
    s_expect_publish_error (f, s.entry_hex, s.operation_hex, message, "first contribution in a used log");
    panda_fixture_signed_release (&s);
    s_expect_next_args (f, penguin, e.hash, s_args (P, 2, e.hash, NULL), "penguin log unchanged");
    //  Delete the second document; it takes no more operations.
    op = panda_test_field_definition_op (PANDA_ACTION_DELETE, &doc2.id, 1, NULL);
    panda_fixture_signed_t del = s_sign (f, "panda", L + 1, 2, &doc2.id, NULL, &op);
    answer = panda_fixture_publish (panda_fixture_http (f->node), del.entry_hex, del.operation_hex, NULL);
    s_assert_data (answer, "publish", s_args (L + 1, 3, del.hash, NULL), "delete");
    json_decref (answer);
    answer = panda_fixture_next_args (panda_fixture_http (f->node), s_key (f, "panda", "public_key"),
                                      doc2.hash, NULL);
    s_assert_error (answer, "Document is deleted", "nextArgs of a deleted document");
    json_decref (answer);
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &del.id, 1, "after_delete");
    s = s_sign (f, "penguin", P + 1, 1, NULL, NULL, &op);
    s_expect_publish_error (f, s.entry_hex, s.operation_hex,
                            "You are trying to update or delete a document which has been deleted",
                            "update deleted");
    assert_int_equal (s_new_log (f, "penguin"), P + 1);
    panda_fixture_signed_release (&s);
    panda_fixture_signed_release (&del);
    panda_fixture_signed_release (&e);
    panda_fixture_signed_release (&doc2);
}

static void
test_own_log_and_rejections (void **state)
{
    fixture_t *f = s_fixture (state);
    const char *pk = s_key (f, "panda", "public_key");
    uint64_t L = s_new_log (f, "panda");
    panda_fixture_signed_t log[OWN_LOG_LENGTH + 1] = {0}, s;
    s_build_own_log (f, L, log);
    const char *doc = log[1].hash;
    json_t *next = s_expected_after (L, log, OWN_LOG_LENGTH);
    panda_operation_t *op;
    char message[512];
    //  Sequence numbers (step 4), duplicates (§7.3).
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[40].id, 1, "gap");
    s = s_sign (f, "panda", L, 42, &log[40].id, s_skiplink (log, 42), &op);
    s_reject (
        f, &s,
        "Entry's claimed seq num of 42 does not match expected seq num of 41 for given public key and log",
        doc, next, L + 1, "seq num gap");
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[39].id, 1, "fork");
    s = s_sign (f, "panda", L, 40, &log[39].id, s_skiplink (log, 40), &op);
    s_reject (
        f, &s,
        "Entry's claimed seq num of 40 does not match expected seq num of 41 for given public key and log",
        doc, next, L + 1, "fork at seq 40");
    const uint64_t again[] = {1, 40};
    for (size_t i = 0; i < 2; i++) {
        snprintf (message, sizeof message,
                  "Entry's claimed seq num of %llu does not match expected seq num of 41 for given public "
                  "key and log",
                  (unsigned long long) again[i]);
        s_expect_publish_error (f, log[again[i]].entry_hex, log[again[i]].operation_hex, message,
                                "duplicate");
        s_expect_next_args (f, pk, doc, json_incref (next), "after duplicate");
    }
    op = panda_test_field_definition_op (PANDA_ACTION_CREATE, NULL, 0, "reuse");
    s = s_sign (f, "panda", L, 1, NULL, NULL, &op);
    s_reject (
        f, &s,
        "Entry's claimed seq num of 1 does not match expected seq num of 41 for given public key and log",
        doc, next, L + 1, "create in used log");
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[1].id, 1, "late");
    s = s_sign (f, "panda", L + 1, 2, &log[1].id, NULL, &op);
    s_reject (
        f, &s,
        "Entry's claimed seq num of 2 does not match expected seq num of 1 for given public key and log", doc,
        next, L + 1, "new log at seq 2");
    //  Links and payload (steps 6, 7).
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[40].id, 1, "back");
    s = s_sign (f, "panda", L, 41, &log[39].id, s_skiplink (log, 41), &op);
    s_reject (f, &s, "claimed hash does not match backlink entry", doc, next, L + 1, "wrong backlink");
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[40].id, 1, "signed");
    s = s_sign (f, "panda", L, 41, &log[40].id, s_skiplink (log, 41), &op);
    free (s.operation_hex);
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[40].id, 1, "sent");
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    s.operation_hex = panda_test_hex (bytes, len);
    panda_operation_destroy (&op);
    s_reject (f, &s, "operation needs to match payload hash of encoded entry", doc, next, L + 1,
              "payload hash");
    //  Previous and log id per document (steps 9, 10), in a fresh log.
    snprintf (message, sizeof message,
              "Entry's claimed log id of %llu does not match existing log id of %llu for given public key "
              "and document id",
              (unsigned long long) (L + 1), (unsigned long long) L);
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &log[40].id, 1, "second_log");
    s = s_sign (f, "panda", L + 1, 1, NULL, NULL, &op);
    s_reject (f, &s, message, doc, next, L + 1, "second log for a document");
    panda_hash_t missing;
    char missing_hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_compute (&missing, "not stored", 10);
    snprintf (message, sizeof message, "Previous operation %s not found in store",
              panda_hash_to_hex (&missing, missing_hex));
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &missing, 1, "nowhere");
    s = s_sign (f, "panda", L + 1, 1, NULL, NULL, &op);
    s_reject (f, &s, message, doc, next, L + 1, "previous not found");
    panda_error_t err;
    op = panda_operation_new (PANDA_ACTION_UPDATE, "schema_definition_v1", &log[40].id, 1, &err);
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, "other", 5), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "description", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    s = s_sign (f, "panda", L + 1, 1, NULL, NULL, &op);
    snprintf (message, sizeof message,
              "Operation %s claims incorrect schema schema_definition_v1 for document with schema "
              "schema_field_definition_v1",
              log[40].hash);
    s_reject (f, &s, message, doc, next, L + 1, "schema differs from document");
    s_multi_document_cases (f, log, L, next);
    json_decref (next);
    for (size_t i = 1; i <= OWN_LOG_LENGTH; i++)
        panda_fixture_signed_release (&log[i]);
}

//  --- persistence -------------------------------------------------------------

static json_t *
s_state (fixture_t *f, const panda_fixture_signed_t *own)
{
    json_t *state = s_snapshot (f);
    json_t *first =
        json_array_get (json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries"), 0);
    json_object_set_new (
        state, "bear doc",
        panda_fixture_next_args (panda_fixture_http (f->node), s_key (f, "bear", "public_key"),
                                 json_string_value (json_object_get (first, "document_id")), NULL));
    json_object_set_new (state, "panda doc",
                         panda_fixture_next_args (panda_fixture_http (f->node),
                                                  s_key (f, "panda", "public_key"), own->hash, NULL));
    return state;
}

static void
test_persistence (void **state)
{
    fixture_t *f = s_fixture (state);
    s_publish_sequence (f, false);
    panda_operation_t *op = panda_test_field_definition_op (PANDA_ACTION_CREATE, NULL, 0, "kept");
    panda_fixture_signed_t own = s_sign (f, "panda", 0, 1, NULL, NULL, &op);
    json_t *answer =
        panda_fixture_publish (panda_fixture_http (f->node), own.entry_hex, own.operation_hex, NULL);
    s_assert_data (answer, "publish", s_args (0, 2, own.hash, NULL), "own entry");
    json_decref (answer);
    json_t *before = s_state (f, &own);
    panda_fixture_restart (f->node, NULL);
    json_t *after = s_state (f, &own);
    assert_true (json_equal (before, after));
    json_decref (after);
    //  A publish that was answered survives SIGKILL too.
    op = panda_test_field_definition_op (PANDA_ACTION_UPDATE, &own.id, 1, "kept_2");
    panda_fixture_signed_t second = s_sign (f, "panda", 0, 2, &own.id, NULL, &op);
    answer =
        panda_fixture_publish (panda_fixture_http (f->node), second.entry_hex, second.operation_hex, NULL);
    s_assert_data (answer, "publish", s_args (0, 3, second.hash, NULL), "second entry");
    json_decref (answer);
    json_decref (before);
    before = s_state (f, &own);
    panda_fixture_kill (f->node);
    panda_fixture_restart (f->node, NULL);
    after = s_state (f, &own);
    assert_true (json_equal (before, after));
    s_expect_next_args (f, s_key (f, "panda", "public_key"), own.hash, s_args (0, 3, second.hash, NULL),
                        "after SIGKILL");
    json_decref (after);
    json_decref (before);
    panda_fixture_signed_release (&second);
    panda_fixture_signed_release (&own);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_publish_sequence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_invalid_vectors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_log_and_rejections, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_persistence, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
