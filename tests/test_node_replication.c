/*  test_node_replication.c - real pandad nodes on 127.0.0.1 replicate
    with each other (docs/replication.md): what a user of a second node
    sees is what the first one serves.

    Every node gets an identity made here (a key file, 0600, passed with
    --private-key) and a replication port picked here, so each test knows
    every peer id and address before it starts a node and can write
    --direct-node-addresses <peer id>@127.0.0.1:<port>. Nodes are compared
    by their GraphQL answers (all_<schema> with meta { documentId viewId }
    and the fields, ordered by document id), polled with a deadline, and,
    after a clean stop, by the entries in their SQLite files.

    1. catch-up: an empty B dialling A serves A's documents (the whole
       publish_sequence: schemas, a blob, updates, deletes) with the same
       view ids, and the same blob bytes.
    2. live: with anti-entropy 10 minutes away, an entry published on A is
       served by B within seconds, and one published on B reaches A over
       the same connection.
    3. a line A - B - C (B dials A, C dials B): what is published on A and
       on C converges on all three.
    4. allow_schema_ids on B: only the allowed application schema travels.
    5. B restarted (SIGTERM) and killed (SIGKILL) in the middle of a
       catch-up of 360 entries: after a restart on the same data dir it
       converges, and its entries are exactly A's (nothing twice).      */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda/panda_log_writer.h"
#include "panda/panda_operation.h"

#define NODES 3
#define CONVERGE_MS 60000 //  longest wait for nodes to agree (ASan, two loaded cores)
#define LIVE_MS 10000 //  a live push must arrive well within this; anti-entropy is 10 min away
#define NO_ANTI_ENTROPY "600000" //  replication_interval_ms: only live push can deliver in time

//  Schemas of publish_sequence.json: entries 0-1 make vector_tag (one
//  field, label: str), 16-17 are its two documents.
#define TAG_ENTRIES 2
static const char s_tag[] = "vector_tag_002097d3a1a0f3425d2909274d3b1bb3eba84047fac3f2392456ee4fede400e5ba2f";
static const char s_item[] =
    "vector_item_002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f";

#define TAGS_QUERY                                                                                           \
    "{ all_%s(first: 1000, orderBy: DOCUMENT_ID) { totalCount documents { meta { documentId viewId owner "   \
    "} fields { label } } } }"
//  Few items, with lists in them: small pages keep the cost below
//  graphql_max_cost.
#define ITEMS_QUERY                                                                                          \
    "{ all_%s(first: 20, orderBy: DOCUMENT_ID) { totalCount documents { meta { documentId viewId owner } "   \
    "fields { title count ratio done payload cover { meta { documentId viewId } } tags(first: 10) { "        \
    "totalCount documents { meta { documentId } } } pinned_tag { meta { viewId } } history(first: 10) { "    \
    "totalCount documents { meta { viewId } } } } } } }"

typedef struct {
    char peer_id[128];
    char key_path[600];
    char port[16]; //  replication port, picked before the start
    panda_fixture_t *node;
    bool stopped; //  stopped by the test (SIGTERM) with its data dir kept
} s_node_t;

typedef struct {
    char dir[512]; //  key files
    s_node_t nodes[NODES];
} fixture_t;

//  --- setup -----------------------------------------------------------------

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    *state = f;
    if (!f || !panda_fixture_available ())
        return f ? 0 : -1;
    if (panda_pandad_temp_dir (f->dir, sizeof f->dir, "pandad-repl-keys"))
        return -1;
    for (size_t i = 0; i < NODES; i++) {
        s_node_t *n = &f->nodes[i];
        char name[32];
        snprintf (name, sizeof name, "node%zu.key", i);
        if (!panda_fixture_key_file (f->dir, name, n->key_path, sizeof n->key_path, n->peer_id,
                                     sizeof n->peer_id))
            return -1;
        snprintf (n->port, sizeof n->port, "%d", panda_fixture_free_port ());
    }
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    int rc = 0;
    for (size_t i = 0; i < NODES; i++) {
        s_node_t *n = &f->nodes[i];
        bool stopped = n->stopped;
        int status = panda_fixture_stop (&n->node);
        //  A node stopped here must exit cleanly (and leak-free under ASan).
        if (!stopped && status != 0) {
            fprintf (stderr, "node %zu exited with status %d\n", i, status);
            rc = -1;
        }
        if (n->key_path[0])
            unlink (n->key_path);
    }
    if (f->dir[0])
        rmdir (f->dir);
    free (f);
    return rc;
}

//  --- nodes -------------------------------------------------------------------

static const char *
s_peer_id (s_node_t *n)
{
    return n->peer_id;
}

//  The end of every running node's log (for a failure).
static void
s_dump_logs (fixture_t *f)
{
    for (size_t i = 0; i < NODES; i++) {
        char label[160];
        snprintf (label, sizeof label, "node %c (%s)", (char) ('A' + i), s_peer_id (&f->nodes[i]));
        if (f->nodes[i].node)
            panda_fixture_print_log (f->nodes[i].node, label, 6000);
    }
}

#define s_fail(f, ...)                                                                                       \
    do {                                                                                                     \
        s_dump_logs (f);                                                                                     \
        fail_msg (__VA_ARGS__);                                                                              \
    } while (0)

//  Start node i (A = 0, B = 1, C = 2) replicating on its port, dialling
//  node dial (-1: none), with more args (NULL-terminated, may be NULL).
static void
s_start (fixture_t *f, size_t i, int dial, const char *interval, const char *const *more)
{
    s_node_t *n = &f->nodes[i];
    char peer[256];
    const char *args[40] = {"--node-address", "127.0.0.1",     "--node-port",
                            n->port,          "--private-key", n->key_path,
                            "--mdns",         "false",         "--replication-interval-ms",
                            interval};
    size_t k = 10;
    if (dial >= 0) {
        snprintf (peer, sizeof peer, "%s@127.0.0.1:%s", s_peer_id (&f->nodes[dial]), f->nodes[dial].port);
        args[k++] = "--direct-node-addresses";
        args[k++] = peer;
    }
    for (size_t j = 0; more && more[j] && k < 39; j++)
        args[k++] = more[j];
    args[k] = NULL;
    n->node = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    if (!n->node)
        s_fail (f, "node %c did not start", (char) ('A' + i));
}

static panda_http_t *
s_http (fixture_t *f, size_t i)
{
    return panda_fixture_http (f->nodes[i].node);
}

//  The GraphQL answer's data for query (printf format with one schema id).
static json_t *
s_data (fixture_t *f, size_t i, const char *format, const char *schema_id)
{
    char query[2048];
    snprintf (query, sizeof query, format, schema_id);
    json_t *answer = panda_fixture_graphql (s_http (f, i), query, NULL, NULL);
    json_t *data = json_incref (json_object_get (answer, "data"));
    if (!data || json_object_get (answer, "errors")) {
        char *text = json_dumps (answer, JSON_COMPACT);
        s_fail (f, "node %c: %s\n answer %s", (char) ('A' + i), query, text);
    }
    json_decref (answer);
    return data;
}

static bool
s_equal (json_t *data, void *want)
{
    return json_equal (data, want);
}

//  Ask node i until its data for the query equals want; returns the ms it
//  took. Fails with both answers at the deadline.
static double
s_wait_same (fixture_t *f, size_t i, const char *format, const char *schema_id, json_t *want, int timeout_ms)
{
    char query[2048];
    snprintf (query, sizeof query, format, schema_id);
    double started = panda_fixture_now_ms ();
    json_t *answer = panda_http_graphql_until (s_http (f, i), query, s_equal, want, timeout_ms);
    if (!answer) {
        json_t *last = panda_http_graphql (s_http (f, i), query, NULL, NULL, NULL);
        char *got = json_dumps (last, JSON_COMPACT), *expected = json_dumps (want, JSON_COMPACT);
        s_fail (f,
                "node %c did not serve the same %.12s documents within %d ms:\n got  %.3000s\n want %.3000s",
                (char) ('A' + i), schema_id, timeout_ms, got, expected);
    }
    json_decref (answer);
    return panda_fixture_now_ms () - started;
}

//  totalCount of all_<schema_id> on node i (-1: not served).
static json_int_t
s_count (fixture_t *f, size_t i, const char *schema_id)
{
    char query[512];
    snprintf (query, sizeof query, "{ all_%s { totalCount } }", schema_id);
    json_t *answer = panda_http_graphql (s_http (f, i), query, NULL, NULL, NULL);
    char key[256];
    snprintf (key, sizeof key, "all_%s", schema_id);
    json_t *count = json_object_get (json_object_get (json_object_get (answer, "data"), key), "totalCount");
    json_int_t n = json_is_integer (count) ? json_integer_value (count) : -1;
    json_decref (answer);
    return n;
}

//  SIGTERM node i, keeping its data dir; it must exit cleanly.
static void
s_stop_keep (fixture_t *f, size_t i)
{
    s_node_t *n = &f->nodes[i];
    panda_fixture_disconnect (n->node);
    int status = panda_pandad_signal (panda_fixture_pandad (n->node), SIGTERM, 15000);
    n->stopped = true;
    if (status != 0)
        s_fail (f, "node %c exited with status %d on SIGTERM", (char) ('A' + i), status);
}

//  --- publishing ----------------------------------------------------------------

static const char *
s_str (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

//  Publish entries [from, to) of publish_sequence.json on node i, each
//  once its schema is served.
static void
s_publish_sequence (fixture_t *f, size_t i, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++) {
        json_t *v = panda_fixture_sequence_entry (k);
        panda_fixture_wait_schema (s_http (f, i), s_str (v, "schema_id"), CONVERGE_MS);
        json_t *answer = panda_fixture_publish_sequence_entry (s_http (f, i), k, NULL);
        if (json_object_get (answer, "errors"))
            s_fail (f, "publish of %s failed", s_str (v, "label"));
        json_decref (answer);
    }
}

static void
s_publish (fixture_t *f, size_t i, const panda_fixture_signed_t *s)
{
    json_t *answer = panda_fixture_publish_signed (s_http (f, i), s, NULL);
    if (!json_object_get (json_object_get (answer, "data"), "publish")) {
        char *text = json_dumps (answer, JSON_COMPACT);
        s_fail (f, "publish on node %c failed: %s", (char) ('A' + i), text);
    }
    json_decref (answer);
}

//  A vector_tag operation: CREATE or UPDATE (previous) with label.
static panda_operation_t *
s_tag_op (const panda_hash_t *previous, const char *label)
{
    panda_error_t err;
    panda_operation_t *op = panda_operation_new (previous ? PANDA_ACTION_UPDATE : PANDA_ACTION_CREATE, s_tag,
                                                 previous, previous ? 1 : 0, &err);
    assert_non_null (op);
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, label, strlen (label)), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "label", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    return op;
}

//  Sign op (taken) as the next entry of writer's log.
static panda_fixture_signed_t
s_sign_next (panda_log_writer_t *writer, panda_operation_t *op)
{
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    assert_non_null (bytes);
    panda_error_t err;
    panda_entry_t *entry = panda_log_writer_sign (writer, bytes, len, &err);
    if (!entry)
        fail_msg ("sign: %s", err.message);
    panda_fixture_signed_t s = {.operation_hex = panda_test_hex (bytes, len)};
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &len);
    s.entry_hex = panda_test_hex (entry_bytes, len);
    s.id = *panda_entry_hash (entry);
    panda_hash_to_hex (&s.id, s.hash);
    panda_entry_destroy (&entry);
    panda_operation_destroy (&op);
    return s;
}

//  A new tag document (CREATE, label) signed by keypair in log log_id.
static panda_fixture_signed_t
s_new_tag (const panda_keypair_t *keypair, uint64_t log_id, const char *label)
{
    panda_operation_t *op = s_tag_op (NULL, label);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_fixture_signed_t s = panda_fixture_sign_bytes (keypair, log_id, 1, NULL, NULL, bytes, len);
    panda_operation_destroy (&op);
    return s;
}

//  --- the publish sequence on A ---------------------------------------------------

//  The view each application document of the sequence must reach on a
//  node that has all of it: document.json's expectation for its scenarios
//  (null: deleted; E1 has none, so it is left out), else the last
//  operation published for it (those documents are linear).
static json_t *
s_expected_views (void)
{
    json_t *views = json_object ();
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries"), i, v)
    {
        const char *schema = s_str (v, "schema_id");
        if (strcmp (schema, s_tag) == 0 || strcmp (schema, s_item) == 0)
            json_object_set_new (views, s_str (v, "document_id"),
                                 json_pack ("[s,s]", schema, s_str (v, "operation_id")));
    }
    json_t *scenario;
    json_array_foreach (json_object_get (panda_fixture_vectors ("document.json"), "scenarios"), i, scenario)
    {
        json_t *latest = json_object_get (scenario, "expected_latest");
        const char *doc = s_str (scenario, "document_id");
        if (!json_is_true (json_object_get (latest, "build_ok")))
            json_object_del (views, doc);
        else if (json_is_true (json_object_get (latest, "deleted")))
            json_array_set_new (json_object_get (views, doc), 1, json_null ());
        else
            json_array_set_new (json_object_get (views, doc), 1, json_string (s_str (latest, "view_id")));
    }
    return views;
}

//  Wait until node i serves every expected view (and none of the deleted
//  documents).
static void
s_wait_views (fixture_t *f, size_t i, json_t *views)
{
    const char *doc;
    json_t *spec;
    json_object_foreach (views, doc, spec)
    {
        const char *view = json_string_value (json_array_get (spec, 1));
        if (panda_fixture_wait_document (s_http (f, i), json_string_value (json_array_get (spec, 0)), doc,
                                         view, CONVERGE_MS) != 0)
            s_fail (f, "node %c never served document %.16s… at view %.16s…", (char) ('A' + i), doc,
                    view ? view : "(deleted)");
    }
}

//  --- 1. catch-up ----------------------------------------------------------------

static void
test_catch_up (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_start (f, 0, -1, NO_ANTI_ENTROPY, NULL);
    size_t total =
        json_array_size (json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries"));
    s_publish_sequence (f, 0, 0, total);
    json_t *views = s_expected_views ();
    s_wait_views (f, 0, views);
    json_t *tags = s_data (f, 0, TAGS_QUERY, s_tag), *items = s_data (f, 0, ITEMS_QUERY, s_item);
    char key[256];
    snprintf (key, sizeof key, "all_%s", s_item);
    //  Nine items were created, two deleted (D, E2); E1 is whatever the
    //  node could make of it.
    json_int_t n_items = json_integer_value (json_object_get (json_object_get (items, key), "totalCount"));
    assert_true (n_items == 6 || n_items == 7);

    double started = panda_fixture_now_ms ();
    s_start (f, 1, 0, NO_ANTI_ENTROPY, NULL);
    double listening = panda_fixture_now_ms ();
    double tags_ms = s_wait_same (f, 1, TAGS_QUERY, s_tag, tags, CONVERGE_MS);
    double items_ms = s_wait_same (f, 1, ITEMS_QUERY, s_item, items, CONVERGE_MS);
    s_wait_views (f, 1, views);
    printf ("catch-up: B (started empty) served A's %lld items and 2 tags %.0f ms after its start, %.0f "
            "ms after its HTTP port was up (the tags after %.0f ms)\n",
            (long long) n_items, panda_fixture_now_ms () - started, panda_fixture_now_ms () - listening,
            tags_ms);
    (void) items_ms;

    //  The blob the items' cover relates to came along, byte for byte.
    const char *blob = s_str (panda_fixture_sequence_entry (15), "document_id");
    char path[256];
    snprintf (path, sizeof path, "/blobs/%s", blob);
    panda_http_response_t on_a = {0}, on_b = {0};
    if (panda_http_get_until_found (s_http (f, 0), path, CONVERGE_MS, &on_a) != 0 ||
        panda_http_get_until_found (s_http (f, 1), path, CONVERGE_MS, &on_b) != 0)
        s_fail (f, "GET %s failed", path);
    assert_int_equal (on_a.status, 200);
    assert_int_equal (on_b.status, 200);
    assert_true (on_a.body_len > 0);
    assert_int_equal (on_b.body_len, on_a.body_len);
    assert_memory_equal (on_b.body, on_a.body, on_a.body_len);
    panda_http_response_release (&on_a);
    panda_http_response_release (&on_b);

    //  The node logged the peer id of its key file.
    char line[1024];
    snprintf (line, sizeof line, "peer id %s, replicating on tcp://127.0.0.1:%s", s_peer_id (&f->nodes[1]),
              f->nodes[1].port);
    if (panda_fixture_log_count (f->nodes[1].node, line) == 0)
        s_fail (f, "B's log has no line \"%s\"", line);

    json_decref (views);
    json_decref (tags);
    json_decref (items);
}

//  Wait until node i serves document doc of schema at view; returns the
//  ms it took.
static double
s_wait_doc (fixture_t *f, size_t i, const char *schema, const char *doc, const char *view, int timeout_ms)
{
    double started = panda_fixture_now_ms ();
    if (panda_fixture_wait_document (s_http (f, i), schema, doc, view, timeout_ms) != 0)
        s_fail (f, "node %c did not serve %.16s… at view %.16s… within %d ms", (char) ('A' + i), doc, view,
                timeout_ms);
    return panda_fixture_now_ms () - started;
}

//  --- 2. live -----------------------------------------------------------------

static void
test_live_both_ways (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_start (f, 0, -1, NO_ANTI_ENTROPY, NULL);
    s_publish_sequence (f, 0, 0, TAG_ENTRIES);
    s_publish_sequence (f, 0, 16, 18);
    s_wait_doc (f, 0, s_tag, s_str (panda_fixture_sequence_entry (17), "document_id"),
                s_str (panda_fixture_sequence_entry (17), "operation_id"), CONVERGE_MS);
    json_t *tags = s_data (f, 0, TAGS_QUERY, s_tag);
    s_start (f, 1, 0, NO_ANTI_ENTROPY, NULL);
    double catch_up = s_wait_same (f, 1, TAGS_QUERY, s_tag, tags, CONVERGE_MS);
    json_decref (tags);

    //  A new document on A: only a live push can bring it to B in time
    //  (the next anti-entropy round is 8-12 minutes away).
    panda_keypair_t *keypair = panda_keypair_new ();
    assert_non_null (keypair);
    panda_log_writer_t *writer = panda_log_writer_new (keypair, 0);
    assert_non_null (writer);
    panda_fixture_signed_t create = s_sign_next (writer, s_tag_op (NULL, "written on A"));
    double started = panda_fixture_now_ms ();
    s_publish (f, 0, &create);
    s_wait_doc (f, 1, s_tag, create.hash, create.hash, LIVE_MS);
    double a_to_b = panda_fixture_now_ms () - started;

    //  The same author goes on writing on B; A gets it over the connection
    //  B dialled.
    panda_fixture_signed_t update = s_sign_next (writer, s_tag_op (&create.id, "written on B"));
    started = panda_fixture_now_ms ();
    s_publish (f, 1, &update);
    s_wait_doc (f, 0, s_tag, create.hash, update.hash, LIVE_MS);
    double b_to_a = panda_fixture_now_ms () - started;
    printf ("live: B caught up in %.0f ms; A -> B %.0f ms, B -> A %.0f ms (publish to served, anti-entropy "
            "every 10 min)\n",
            catch_up, a_to_b, b_to_a);

    tags = s_data (f, 0, TAGS_QUERY, s_tag);
    s_wait_same (f, 1, TAGS_QUERY, s_tag, tags, CONVERGE_MS);
    json_decref (tags);
    panda_fixture_signed_release (&create);
    panda_fixture_signed_release (&update);
    panda_log_writer_destroy (&writer);
    panda_keypair_destroy (&keypair);
}

//  --- 3. a line A - B - C -------------------------------------------------------

static bool
s_tag_count_is (json_t *data, void *want)
{
    char key[256];
    snprintf (key, sizeof key, "all_%s", s_tag);
    json_t *count = json_object_get (json_object_get (data, key), "totalCount");
    return json_is_integer (count) && json_integer_value (count) == *(json_int_t *) want;
}

static void
test_line_of_three (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_start (f, 0, -1, NO_ANTI_ENTROPY, NULL);
    s_publish_sequence (f, 0, 0, TAG_ENTRIES);
    s_publish_sequence (f, 0, 16, 17);
    s_start (f, 1, 0, NO_ANTI_ENTROPY, NULL); //  B dials A
    s_start (f, 2, 1, NO_ANTI_ENTROPY, NULL); //  C dials B
    double started = panda_fixture_now_ms ();

    //  What A had reached C through B: the schema, then the document.
    const char *red = s_str (panda_fixture_sequence_entry (16), "document_id");
    s_wait_doc (f, 2, s_tag, red, red, CONVERGE_MS);
    printf ("line: C served A's document %.0f ms after B and C started\n", panda_fixture_now_ms () - started);

    panda_keypair_t *on_c = panda_keypair_new (), *on_a = panda_keypair_new ();
    assert_non_null (on_c);
    assert_non_null (on_a);
    panda_fixture_signed_t from_c = s_new_tag (on_c, 0, "written on C");
    panda_fixture_signed_t from_a = s_new_tag (on_a, 0, "written on A");
    started = panda_fixture_now_ms ();
    s_publish (f, 2, &from_c);
    s_publish (f, 0, &from_a);
    double c_to_a = s_wait_doc (f, 0, s_tag, from_c.hash, from_c.hash, LIVE_MS);
    double a_to_c = s_wait_doc (f, 2, s_tag, from_a.hash, from_a.hash, LIVE_MS);
    printf ("line: C -> A within %.0f ms, A -> C within %.0f ms (two hops, live)\n", c_to_a,
            panda_fixture_now_ms () - started);
    (void) a_to_c;

    json_int_t three = 3;
    char query[2048];
    snprintf (query, sizeof query, TAGS_QUERY, s_tag);
    json_t *answer = panda_http_graphql_until (s_http (f, 0), query, s_tag_count_is, &three, CONVERGE_MS);
    if (!answer)
        s_fail (f, "A never served 3 tags");
    json_t *tags = json_incref (json_object_get (answer, "data"));
    json_decref (answer);
    s_wait_same (f, 1, TAGS_QUERY, s_tag, tags, CONVERGE_MS);
    s_wait_same (f, 2, TAGS_QUERY, s_tag, tags, CONVERGE_MS);
    json_decref (tags);

    //  A and C never met: everything went through B.
    if (panda_fixture_log_count (f->nodes[0].node, s_peer_id (&f->nodes[2])) != 0)
        s_fail (f, "A's log names C (%s)", s_peer_id (&f->nodes[2]));

    panda_fixture_signed_release (&from_c);
    panda_fixture_signed_release (&from_a);
    panda_keypair_destroy (&on_c);
    panda_keypair_destroy (&on_a);
}

//  --- 4. allow_schema_ids --------------------------------------------------------

//  Entries of documents of schema_id in the entries database of a
//  stopped node (all entries for NULL).
static long long
s_db_entries (fixture_t *f, size_t i, const char *schema_id)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/pandad.sqlite3", panda_fixture_dir (f->nodes[i].node));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        s_fail (f, "cannot open %s", path);
    sqlite3_stmt *stmt = NULL;
    const char *sql = schema_id ? "SELECT count(*) FROM entries e JOIN logs l ON e.log = l.id "
                                  "JOIN documents d ON l.document = d.id WHERE d.schema_id = ?1"
                                : "SELECT count(*) FROM entries";
    assert_int_equal (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), SQLITE_OK);
    if (schema_id)
        sqlite3_bind_text (stmt, 1, schema_id, -1, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    long long n = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return n;
}

static void
test_allow_schema_ids (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_start (f, 0, -1, NO_ANTI_ENTROPY, NULL);
    size_t total =
        json_array_size (json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries"));
    s_publish_sequence (f, 0, 0, total);
    json_t *views = s_expected_views ();
    s_wait_views (f, 0, views);
    json_decref (views);
    json_t *tags = s_data (f, 0, TAGS_QUERY, s_tag);

    //  B stores tags only, with the system schemas that define them.
    const char *allow[] = {"--allow-schema-ids", "schema_definition_v1", "schema_field_definition_v1", s_tag,
                           NULL};
    s_start (f, 1, 0, NO_ANTI_ENTROPY, allow);
    s_wait_same (f, 1, TAGS_QUERY, s_tag, tags, CONVERGE_MS);
    json_decref (tags);

    //  Live too: an item update, then a tag, published on A. The tag
    //  reaches B, the item update (before it) does not.
    panda_keypair_t *keypair = panda_keypair_new ();
    assert_non_null (keypair);
    json_t *last_long = panda_fixture_sequence_entry (57);
    panda_hash_t previous;
    panda_error_t err;
    const char *previous_hex = s_str (last_long, "operation_id");
    assert_int_equal (panda_hash_from_hex (&previous, previous_hex, strlen (previous_hex), &err), PANDA_OK);
    panda_operation_t *op = panda_operation_new (PANDA_ACTION_UPDATE, s_item, &previous, 1, &err);
    assert_non_null (op);
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, "live item", 9), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "title", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_fixture_signed_t item = panda_fixture_sign_bytes (keypair, 0, 1, NULL, NULL, bytes, len);
    panda_operation_destroy (&op);
    panda_fixture_signed_t tag = s_new_tag (keypair, 1, "after the item");
    s_publish (f, 0, &item);
    s_publish (f, 0, &tag);
    s_wait_doc (f, 0, s_item, s_str (last_long, "document_id"), item.hash, CONVERGE_MS);
    s_wait_doc (f, 1, s_tag, tag.hash, tag.hash, LIVE_MS);

    //  B's GraphQL has no item type and no item query.
    json_t *answer = panda_fixture_graphql (s_http (f, 1), "{ __schema { types { name } } }", NULL, NULL);
    char *text = json_dumps (answer, JSON_COMPACT);
    assert_non_null (strstr (text, s_tag));
    if (strstr (text, s_item))
        s_fail (f, "B's GraphQL schema names %s", s_item);
    free (text);
    json_decref (answer);
    assert_int_equal (s_count (f, 1, s_item), -1);
    assert_int_equal (s_count (f, 1, s_tag), 3);

    //  B's database: the three tags, none of the items.
    s_stop_keep (f, 1);
    assert_int_equal (s_db_entries (f, 1, s_tag), 3);
    assert_int_equal (s_db_entries (f, 1, s_item), 0);
    assert_int_equal (s_db_entries (f, 1, "blob_v1"), 0);
    printf ("allow_schema_ids: B stored %lld entries (A has %lld items)\n", s_db_entries (f, 1, NULL),
            (long long) s_count (f, 0, s_item));
    panda_fixture_signed_release (&item);
    panda_fixture_signed_release (&tag);
    panda_keypair_destroy (&keypair);
}

//  --- 5. restart and kill mid-sync -----------------------------------------------

#define AUTHORS 6
#define DOCS 12 //  per author, one log each
#define VERSIONS 5 //  a CREATE and four UPDATEs per document

static int
s_doc_cmp (const void *a, const void *b)
{
    return strcmp (s_str (json_object_get (*(json_t *const *) a, "meta"), "documentId"),
                   s_str (json_object_get (*(json_t *const *) b, "meta"), "documentId"));
}

//  Publish AUTHORS * DOCS * VERSIONS generated tag entries on A; returns
//  the TAGS_QUERY data a node holding them all must answer, computed here.
static json_t *
s_publish_many (fixture_t *f)
{
    size_t n_docs = AUTHORS * DOCS;
    json_t **docs = calloc (n_docs, sizeof *docs);
    assert_non_null (docs);
    size_t d = 0;
    for (size_t a = 0; a < AUTHORS; a++) {
        panda_keypair_t *keypair = panda_keypair_new ();
        assert_non_null (keypair);
        panda_public_key_t pk = panda_keypair_public_key (keypair);
        char owner[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
        panda_public_key_to_hex (&pk, owner);
        for (uint64_t k = 0; k < DOCS; k++) {
            panda_log_writer_t *writer = panda_log_writer_new (keypair, k);
            assert_non_null (writer);
            panda_hash_t document, view;
            char label[64];
            for (size_t v = 0; v < VERSIONS; v++) {
                snprintf (label, sizeof label, "author %zu doc %llu version %zu", a, (unsigned long long) k,
                          v);
                panda_fixture_signed_t s = s_sign_next (writer, s_tag_op (v ? &view : NULL, label));
                if (v == 0)
                    document = s.id;
                view = s.id;
                s_publish (f, 0, &s);
                panda_fixture_signed_release (&s);
            }
            char doc_hex[PANDA_HASH_HEX_SIZE + 1], view_hex[PANDA_HASH_HEX_SIZE + 1];
            docs[d++] = json_pack (
                "{s:{s:s, s:s, s:s}, s:{s:s}}", "meta", "documentId", panda_hash_to_hex (&document, doc_hex),
                "viewId", panda_hash_to_hex (&view, view_hex), "owner", owner, "fields", "label", label);
            panda_log_writer_destroy (&writer);
        }
        panda_keypair_destroy (&keypair);
    }
    qsort (docs, n_docs, sizeof *docs, s_doc_cmp);
    json_t *list = json_array ();
    for (size_t i = 0; i < n_docs; i++)
        json_array_append_new (list, docs[i]);
    free (docs);
    char key[256];
    snprintf (key, sizeof key, "all_%s", s_tag);
    return json_pack ("{s:{s:I, s:o}}", key, "totalCount", (json_int_t) n_docs, "documents", list);
}

//  The catch-up of B and C is slowed down by flow control: they grant A
//  credit for 8 entries at a time (again after each 250 ms tick), so that
//  it lasts some 10 s, more than their start under ASan, and the test can
//  interrupt it.
static const char *const s_slow[] = {"--replication-credit-entries", "8", NULL};

//  Start node i dialling A and interrupt it (SIGTERM, or SIGKILL with
//  kill) once it serves some but not all documents; then start it again
//  on its data dir and wait until it serves what A serves.
static void
s_interrupted_catch_up (fixture_t *f, size_t i, bool kill, json_t *want)
{
    const char *name = kill ? "SIGKILL" : "SIGTERM";
    json_int_t all = AUTHORS * DOCS, seen = 0;
    double started = panda_fixture_now_ms ();
    s_start (f, i, 0, NO_ANTI_ENTROPY, s_slow);
    while (seen < 1 || seen >= all) {
        seen = s_count (f, i, s_tag);
        if (seen >= all)
            s_fail (f, "node %c had all %lld documents before the test could interrupt it", (char) ('A' + i),
                    (long long) all);
        if (panda_fixture_now_ms () - started > CONVERGE_MS)
            s_fail (f, "node %c got no document within %d ms", (char) ('A' + i), CONVERGE_MS);
    }
    double at = panda_fixture_now_ms () - started;
    if (kill) {
        panda_fixture_kill (f->nodes[i].node);
        panda_fixture_restart (f->nodes[i].node, NULL);
    } else
        panda_fixture_restart (f->nodes[i].node, NULL); //  SIGTERM, then start
    double restarted = panda_fixture_now_ms ();
    s_wait_same (f, i, TAGS_QUERY, s_tag, want, CONVERGE_MS);
    printf ("%s: node %c interrupted at %lld of %lld documents (%.0f ms after its start); after the "
            "restart it served all of them in %.0f ms\n",
            name, (char) ('A' + i), (long long) seen, (long long) all, at,
            panda_fixture_now_ms () - restarted);
}

//  hex of every entry hash in node i's database (stopped), sorted.
static json_t *
s_db_hashes (fixture_t *f, size_t i)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/pandad.sqlite3", panda_fixture_dir (f->nodes[i].node));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        s_fail (f, "cannot open %s", path);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT hex(hash) FROM entries ORDER BY hash", -1, &stmt, NULL),
                      SQLITE_OK);
    json_t *list = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (list, json_string ((const char *) sqlite3_column_text (stmt, 0)));
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return list;
}

static void
test_restart_and_kill_mid_sync (void **state)
{
    panda_fixture_require ();
    fixture_t *f = *state;
    s_start (f, 0, -1, NO_ANTI_ENTROPY, NULL);
    s_publish_sequence (f, 0, 0, TAG_ENTRIES);
    panda_fixture_wait_schema (s_http (f, 0), s_tag, CONVERGE_MS);
    double started = panda_fixture_now_ms ();
    json_t *want = s_publish_many (f);
    printf ("published %d entries on A in %.0f ms\n", AUTHORS * DOCS * VERSIONS,
            panda_fixture_now_ms () - started);
    s_wait_same (f, 0, TAGS_QUERY, s_tag, want, CONVERGE_MS);

    s_interrupted_catch_up (f, 1, false, want);
    s_interrupted_catch_up (f, 2, true, want);

    //  Nothing twice, nothing missing: the entries of B and C are A's.
    for (size_t i = 0; i < NODES; i++)
        s_stop_keep (f, i);
    json_t *on_a = s_db_hashes (f, 0);
    assert_int_equal (json_array_size (on_a), TAG_ENTRIES + AUTHORS * DOCS * VERSIONS);
    for (size_t i = 1; i < NODES; i++) {
        json_t *on = s_db_hashes (f, i);
        assert_int_equal (json_array_size (on), json_array_size (on_a));
        assert_true (json_equal (on, on_a));
        json_decref (on);
    }
    json_decref (on_a);
    json_decref (want);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_catch_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_live_both_ways, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_line_of_three, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_allow_schema_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_restart_and_kill_mid_sync, s_setup, s_teardown),
    };
    //  PANDA_TEST_FILTER=test_live* runs some of them.
    if (getenv ("PANDA_TEST_FILTER"))
        cmocka_set_test_filter (getenv ("PANDA_TEST_FILTER"));
    return cmocka_run_group_tests (tests, NULL, NULL);
}
