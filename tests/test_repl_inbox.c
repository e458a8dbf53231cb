/*  test_repl_inbox.c - replicated entries reach ingest only after what they
    depend on, whatever order ingest answers in (publish_sequence.json:
    89 entries of several authors, logs, documents and schemas).           */
#include "panda_test.h"
#include "panda_repl_inbox.h"

#include "panda/panda_entry.h"
#include "panda/panda_operation.h"

#define S_COUNT 89

typedef struct {
    uint8_t *entry, *op;
    size_t entry_len, op_len;
    panda_entry_t *decoded;
    panda_operation_t *operation;
} s_item_t;

typedef struct {
    json_t *root;
    s_item_t items[S_COUNT];
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fx = calloc (1, sizeof *fx);
    fx->root = panda_test_vectors ("publish_sequence.json");
    json_t *entries = json_object_get (fx->root, "entries");
    assert_int_equal (json_array_size (entries), S_COUNT);
    for (size_t i = 0; i < S_COUNT; i++) {
        json_t *v = json_array_get (entries, i);
        s_item_t *item = &fx->items[i];
        item->entry =
            panda_test_unhex (json_string_value (json_object_get (v, "entry_hex")), &item->entry_len);
        item->op = panda_test_unhex (json_string_value (json_object_get (v, "operation_hex")), &item->op_len);
        assert_int_equal (panda_entry_decode (&item->decoded, item->entry, item->entry_len, NULL), PANDA_OK);
        assert_non_null (item->operation = panda_operation_decode (item->op, item->op_len, NULL));
    }
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = *state;
    for (size_t i = 0; i < S_COUNT; i++) {
        free (fx->items[i].entry);
        free (fx->items[i].op);
        panda_entry_destroy (&fx->items[i].decoded);
        panda_operation_destroy (&fx->items[i].operation);
    }
    json_decref (fx->root);
    free (fx);
    return 0;
}

static size_t
s_index_of (s_fixture_t *fx, const panda_hash_t *hash)
{
    for (size_t i = 0; i < S_COUNT; i++)
        if (panda_hash_eq (panda_entry_hash (fx->items[i].decoded), hash))
            return i;
    return SIZE_MAX;
}

static void
s_add_all (s_fixture_t *fx, panda_repl_inbox_t *inbox, uint32_t peer)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        s_item_t *item = &fx->items[i];
        bool added;
        panda_error_t err;
        if (panda_repl_inbox_add (inbox, peer, item->entry, item->entry_len, item->op, item->op_len, &added,
                                  &err))
            fail_msg ("entry %zu: %s", i, err.message);
        assert_true (added);
    }
}

//  Everything an entry names (backlink, previous) was stored before it was
//  released: all were added in causal order, so all were held.
static void
s_assert_deps_stored (s_fixture_t *fx, size_t i, const bool *stored)
{
    const panda_hash_t *backlink = panda_entry_backlink (fx->items[i].decoded);
    if (backlink)
        assert_true (stored[s_index_of (fx, backlink)]);
    size_t n;
    const panda_hash_t *previous = panda_operation_previous (fx->items[i].operation, &n);
    for (size_t k = 0; k < n; k++)
        assert_true (stored[s_index_of (fx, &previous[k])]);
}

//  Drive an inbox like the replicate actor: release all that is ready, let
//  "ingest" answer a random in-flight one. unknown: a schema whose entries
//  are deferred until `known_after` answers have been given.
static void
s_drive (s_fixture_t *fx, panda_repl_inbox_t *inbox, uint64_t seed, const char *unknown, size_t known_after)
{
    bool stored[S_COUNT] = {false};
    bool released[S_COUNT] = {false};
    panda_repl_ready_t flight[S_COUNT];
    size_t n_flight = 0, answers = 0, deferrals = 0;
    uint64_t rng = seed;
    while (panda_repl_inbox_count (inbox) > 0) {
        panda_repl_ready_t ready;
        while (panda_repl_inbox_next (inbox, &ready)) {
            size_t i = s_index_of (fx, ready.hash);
            assert_true (i < S_COUNT);
            assert_false (stored[i]);
            s_assert_deps_stored (fx, i, stored);
            assert_memory_equal (ready.entry, fx->items[i].entry, fx->items[i].entry_len);
            assert_memory_equal (ready.operation, fx->items[i].op, fx->items[i].op_len);
            released[i] = true;
            flight[n_flight++] = ready;
        }
        //  The schema arrives after known_after answers, or when nothing
        //  else can move.
        if (unknown && (answers >= known_after || n_flight == 0)) {
            panda_repl_inbox_schema (inbox, unknown);
            unknown = NULL;
            continue;
        }
        assert_true (n_flight > 0); //  never stuck
        uint8_t r[4];
        panda_test_random_bytes (&rng, r, sizeof r);
        size_t pick = (((size_t) r[0] << 16) | ((size_t) r[1] << 8) | r[2]) % n_flight;
        panda_repl_ready_t answer = flight[pick];
        flight[pick] = flight[--n_flight];
        answers++;
        if (unknown && strcmp (answer.schema_id, unknown) == 0) {
            panda_repl_inbox_defer (inbox, answer.ticket);
            deferrals++;
            continue;
        }
        stored[s_index_of (fx, answer.hash)] = true;
        assert_int_equal (panda_repl_inbox_done (inbox, answer.ticket), 7);
    }
    for (size_t i = 0; i < S_COUNT; i++)
        assert_true (stored[i] && released[i]);
    assert_int_equal (panda_repl_inbox_bytes (inbox), 0);
    if (known_after)
        assert_true (deferrals > 0);
}

static void
test_inbox_orders_by_dependencies (void **state)
{
    s_fixture_t *fx = *state;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        panda_repl_inbox_t *inbox = panda_repl_inbox_new (S_COUNT, 1 << 20);
        s_add_all (fx, inbox, 7);
        assert_int_equal (panda_repl_inbox_count (inbox), S_COUNT);
        //  Not everything is ready at once: later entries wait.
        s_drive (fx, inbox, seed, NULL, 0);
        panda_repl_inbox_destroy (&inbox);
    }
}

//  Entries of a schema not known yet wait, with what depends on them, and
//  go once it is known.
static void
test_inbox_defers_unknown_schema (void **state)
{
    s_fixture_t *fx = *state;
    //  The last entry's schema: an application schema of the sequence.
    const char *schema = panda_operation_schema_id (fx->items[S_COUNT - 1].operation);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        panda_repl_inbox_t *inbox = panda_repl_inbox_new (S_COUNT, 1 << 20);
        s_add_all (fx, inbox, 7);
        s_drive (fx, inbox, seed, schema, 40);
        assert_int_equal (panda_repl_inbox_deferred (inbox), 0);
        panda_repl_inbox_destroy (&inbox);
    }
}

static void
test_inbox_duplicates_and_limits (void **state)
{
    s_fixture_t *fx = *state;
    s_item_t *a = &fx->items[0], *b = &fx->items[1];
    panda_repl_inbox_t *inbox = panda_repl_inbox_new (1, 1 << 20);
    bool added;
    panda_error_t err;
    assert_int_equal (panda_repl_inbox_add (inbox, 1, a->entry, a->entry_len, a->op, a->op_len, &added, &err),
                      PANDA_OK);
    assert_true (added);
    //  The same entry from another peer travels once.
    assert_int_equal (panda_repl_inbox_add (inbox, 2, a->entry, a->entry_len, a->op, a->op_len, &added, &err),
                      PANDA_OK);
    assert_false (added);
    assert_true (panda_repl_inbox_holds (inbox, panda_entry_hash (a->decoded)));
    //  Full: a peer overrunning its credit gets an error, nothing changes.
    assert_int_equal (panda_repl_inbox_add (inbox, 1, b->entry, b->entry_len, b->op, b->op_len, &added, &err),
                      PANDA_ERR_LIMIT);
    char expected[80];
    snprintf (expected, sizeof expected, "replication inbox full (1 entries, %zu bytes)",
              a->entry_len + a->op_len);
    assert_string_equal (err.message, expected);
    assert_int_equal (panda_repl_inbox_count (inbox), 1);
    panda_repl_inbox_destroy (&inbox);
    //  Bytes are bounded too.
    inbox = panda_repl_inbox_new (10, a->entry_len + a->op_len);
    assert_int_equal (panda_repl_inbox_add (inbox, 1, a->entry, a->entry_len, a->op, a->op_len, &added, &err),
                      PANDA_OK);
    assert_int_equal (panda_repl_inbox_add (inbox, 1, b->entry, b->entry_len, b->op, b->op_len, &added, &err),
                      PANDA_ERR_LIMIT);
    //  Malformed bytes are the sender's error.
    static const uint8_t junk[] = {0x01, 0x02, 0x03};
    assert_int_not_equal (panda_repl_inbox_add (inbox, 1, junk, sizeof junk, a->op, a->op_len, &added, &err),
                          PANDA_OK);
    assert_int_not_equal (
        panda_repl_inbox_add (inbox, 1, a->entry, a->entry_len, junk, sizeof junk, &added, &err), PANDA_OK);
    assert_int_equal (panda_repl_inbox_count (inbox), 1);
    panda_repl_inbox_destroy (&inbox);
}

//  A refused entry takes everything waiting on it along; a peer's session
//  ending drops what it sent that is not in flight.
//  How many of the sequence's entries name hash as backlink or previous.
static size_t
s_dependents (s_fixture_t *fx, const panda_hash_t *hash, panda_repl_inbox_t *gone_from)
{
    size_t dependents = 0;
    for (size_t j = 0; j < S_COUNT; j++) {
        const panda_hash_t *backlink = panda_entry_backlink (fx->items[j].decoded);
        size_t n;
        const panda_hash_t *previous = panda_operation_previous (fx->items[j].operation, &n);
        bool names = backlink && panda_hash_eq (backlink, hash);
        for (size_t k = 0; k < n; k++)
            names |= panda_hash_eq (&previous[k], hash);
        if (names && gone_from)
            assert_false (panda_repl_inbox_holds (gone_from, panda_entry_hash (fx->items[j].decoded)));
        dependents += names;
    }
    return dependents;
}

//  A refused entry takes everything waiting on it along; a peer's session
//  ending drops what it sent that is not in flight.
static void
test_inbox_failure_and_drop (void **state)
{
    s_fixture_t *fx = *state;
    panda_repl_inbox_t *inbox = panda_repl_inbox_new (S_COUNT, 1 << 20);
    s_add_all (fx, inbox, 3);
    panda_repl_ready_t flight[S_COUNT];
    size_t n_flight = 0, victim = SIZE_MAX;
    while (panda_repl_inbox_next (inbox, &flight[n_flight])) {
        if (victim == SIZE_MAX && s_dependents (fx, flight[n_flight].hash, NULL) > 0)
            victim = n_flight;
        n_flight++;
    }
    assert_true (victim < n_flight);
    size_t before = panda_repl_inbox_count (inbox);
    size_t dependents = s_dependents (fx, flight[victim].hash, NULL);
    assert_int_equal (panda_repl_inbox_failed (inbox, flight[victim].ticket), 3);
    s_dependents (fx, flight[victim].hash, inbox); //  all gone
    assert_true (panda_repl_inbox_count (inbox) <= before - 1 - dependents);
    //  A stale ticket changes nothing.
    assert_int_equal (panda_repl_inbox_done (inbox, flight[victim].ticket), UINT32_MAX);
    size_t left = panda_repl_inbox_count (inbox);
    assert_int_equal (panda_repl_inbox_drop_peer (inbox, 3), left - (n_flight - 1));
    assert_int_equal (panda_repl_inbox_count (inbox), n_flight - 1);
    for (size_t i = 0; i < n_flight; i++)
        if (i != victim)
            assert_int_equal (panda_repl_inbox_done (inbox, flight[i].ticket), 3);
    assert_int_equal (panda_repl_inbox_count (inbox), 0);
    panda_repl_inbox_destroy (&inbox);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_inbox_orders_by_dependencies),
        cmocka_unit_test (test_inbox_defers_unknown_schema),
        cmocka_unit_test (test_inbox_duplicates_and_limits),
        cmocka_unit_test (test_inbox_failure_and_drop),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
