/*  test_store_purge.c - deleting the entries of purged documents (unused
    blobs): their operations are gone for every later publish and nextArgs,
    their log ids and arrival positions are never given out again, other
    documents are untouched; the same after a reopen (cold cache).        */
#include "panda_test.h"
#include "panda/panda_log_writer.h"
#include "panda_store.h"

#include <stdio.h>
#include <unistd.h>

#define S_LOGS 4 //  log 0: a kept document; 1, 2: purged; 3: purged, the newest

typedef struct {
    char dir[32], path[64];
    panda_keypair_t *keypair;
    panda_log_writer_t *writers[S_LOGS + 1];
    panda_hash_t docs[S_LOGS + 1];
    int64_t positions[S_LOGS + 1];
    panda_store_t *store;
} s_fixture_t;

static const panda_schema_t *
s_schemas (void *ctx, const char *schema_id)
{
    (void) ctx;
    return panda_schema_system (schema_id);
}

//  Sign the next entry of log with op and publish it; the store's answer
//  (code, message, position) in *result.
static void
s_publish (s_fixture_t *fx, uint64_t log, panda_operation_t *op, panda_store_result_t *result)
{
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_error_t err;
    panda_entry_t *entry = panda_log_writer_sign (fx->writers[log], bytes, len, &err);
    assert_non_null (entry);
    panda_store_item_t item = {.entry = entry, .operation = op};
    assert_int_equal (panda_store_publish_batch (fx->store, &item, 1, s_schemas, NULL, result, &err),
                      PANDA_OK);
    panda_entry_destroy (&entry);
}

static int
s_setup (void **state)
{
    s_fixture_t *fx = calloc (1, sizeof *fx);
    snprintf (fx->dir, sizeof fx->dir, "/tmp/panda_purge_XXXXXX");
    assert_non_null (mkdtemp (fx->dir));
    snprintf (fx->path, sizeof fx->path, "%s/store.db", fx->dir);
    fx->keypair = panda_keypair_new ();
    assert_non_null (fx->keypair);
    panda_error_t err;
    fx->store = panda_store_open (fx->path, &err);
    assert_non_null (fx->store);
    //  One document per log, the purged ones with a second entry.
    for (uint64_t log = 0; log <= S_LOGS; log++) {
        fx->writers[log] = panda_log_writer_new (fx->keypair, log);
        assert_non_null (fx->writers[log]);
    }
    for (uint64_t log = 0; log < S_LOGS; log++) {
        panda_store_result_t result;
        panda_operation_t *op = panda_test_field_definition (NULL, "title");
        s_publish (fx, log, op, &result);
        panda_operation_destroy (&op);
        assert_int_equal (result.code, PANDA_OK);
        fx->docs[log] = result.document_id;
        if (log == 0)
            continue;
        op = panda_test_field_definition (&fx->docs[log], "title");
        s_publish (fx, log, op, &result);
        panda_operation_destroy (&op);
        assert_int_equal (result.code, PANDA_OK);
        fx->positions[log] = result.position;
    }
    *state = fx;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = *state;
    panda_store_destroy (&fx->store);
    for (uint64_t log = 0; log <= S_LOGS; log++)
        panda_log_writer_destroy (&fx->writers[log]);
    panda_keypair_destroy (&fx->keypair);
    char cmd[64];
    snprintf (cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal (system (cmd), 0);
    free (fx);
    return 0;
}

static void
s_purge (s_fixture_t *fx, size_t expect_entries)
{
    //  The purged documents, an unknown id and an UPDATE's id (not a
    //  document id: skipped).
    panda_hash_t ids[S_LOGS + 1] = {fx->docs[1], fx->docs[2], fx->docs[3]};
    memset (ids[3].bytes, 0, sizeof ids[3].bytes);
    ids[3].bytes[1] = 32;
    ids[4] = *panda_log_writer_hash (fx->writers[0], 1);
    size_t entries = 99;
    panda_error_t err;
    assert_int_equal (panda_store_purge (fx->store, ids, 3, &entries, &err), PANDA_OK);
    assert_int_equal (entries, expect_entries);
    assert_int_equal (panda_store_purge (fx->store, ids + 3, 1, &entries, &err), PANDA_OK);
    assert_int_equal (entries, 0);
}

static panda_err_t
s_count (void *ctx, const panda_store_stored_t *stored)
{
    (void) stored;
    (*(size_t *) ctx)++;
    return PANDA_OK;
}

//  What a client sees of the purged documents, with a warm or cold cache.
static void
s_assert_purged (s_fixture_t *fx)
{
    panda_public_key_t key = panda_keypair_public_key (fx->keypair);
    panda_entry_args_t args;
    panda_error_t err;
    char message[PANDA_ERROR_MESSAGE_MAX], hex[PANDA_HASH_HEX_SIZE + 1];
    for (int log = 1; log < S_LOGS; log++) {
        assert_int_equal (panda_store_next_args (fx->store, &key, &fx->docs[log], 1, &args, &err),
                          PANDA_ERR_NOT_FOUND);
        snprintf (message, sizeof message, "Previous operation %s not found in store",
                  panda_hash_to_hex (&fx->docs[log], hex));
        assert_string_equal (err.message, message);
    }
    //  The kept document is untouched.
    assert_int_equal (panda_store_next_args (fx->store, &key, &fx->docs[0], 1, &args, &err), PANDA_OK);
    assert_int_equal (args.log_id, 0);
    assert_int_equal (args.seq_num, 2);
    //  A new document gets a log id above the purged ones.
    assert_int_equal (panda_store_next_args (fx->store, &key, NULL, 0, &args, &err), PANDA_OK);
    assert_int_equal (args.log_id, S_LOGS);
    assert_int_equal (args.seq_num, 1);
    size_t left = 0;
    assert_int_equal (panda_store_entries_since (fx->store, 0, 100, s_count, &left, NULL, &err), PANDA_OK);
    assert_int_equal (left, 1);
    bool deleted;
    assert_int_equal (panda_store_document_deleted (fx->store, &fx->docs[2], &deleted, &err),
                      PANDA_ERR_NOT_FOUND);
}

//  Entries that name a purged log or operation are rejected, nothing stored.
static void
s_assert_rejected (s_fixture_t *fx)
{
    panda_store_result_t result;
    //  A third entry in purged log 3, updating its document.
    panda_operation_t *op = panda_test_field_definition (panda_log_writer_hash (fx->writers[3], 2), "title");
    s_publish (fx, 3, op, &result);
    panda_operation_destroy (&op);
    assert_int_equal (result.code, PANDA_ERR_INVALID);
    assert_string_equal (result.error.message,
                         "Entry's claimed seq num of 3 does not match expected seq num of "
                         "1 for given public key and log");
    //  A CREATE that claims purged log 3 again.
    panda_log_writer_t *again = panda_log_writer_new (fx->keypair, 3);
    panda_log_writer_t *kept = fx->writers[3];
    fx->writers[3] = again;
    op = panda_test_field_definition (NULL, "title");
    s_publish (fx, 3, op, &result);
    panda_operation_destroy (&op);
    fx->writers[3] = kept;
    panda_log_writer_destroy (&again);
    assert_int_equal (result.code, PANDA_ERR_INVALID);
    assert_string_equal (result.error.message,
                         "Entry's claimed log id of 3 is already in use for given public key");
    panda_store_counts_t counts;
    panda_error_t err;
    assert_int_equal (panda_store_counts (fx->store, &counts, &err), PANDA_OK);
    assert_int_equal (counts.entries, 1);
    assert_int_equal (counts.logs, S_LOGS);
}

static void
test_store_purge_warm (void **state)
{
    s_fixture_t *fx = *state;
    panda_entry_args_t args;
    panda_public_key_t key = panda_keypair_public_key (fx->keypair);
    //  Fill the cache with the documents' logs and operations first.
    for (int log = 0; log < S_LOGS; log++)
        assert_int_equal (panda_store_next_args (fx->store, &key, &fx->docs[log], 1, &args, NULL), PANDA_OK);
    s_purge (fx, 2 * (S_LOGS - 1));
    s_assert_purged (fx);
    s_assert_rejected (fx);
    //  Idempotent.
    s_purge (fx, 0);
    s_assert_purged (fx);
}

static void
test_store_purge_cold (void **state)
{
    s_fixture_t *fx = *state;
    s_purge (fx, 2 * (S_LOGS - 1));
    panda_store_destroy (&fx->store);
    panda_error_t err;
    fx->store = panda_store_open (fx->path, &err);
    assert_non_null (fx->store);
    s_assert_purged (fx);
    s_assert_rejected (fx);
    //  The next entry arrives after every purged one, though the newest
    //  entries were deleted.
    panda_store_result_t result;
    panda_operation_t *op = panda_test_field_definition (NULL, "title");
    s_publish (fx, S_LOGS, op, &result);
    panda_operation_destroy (&op);
    assert_int_equal (result.code, PANDA_OK);
    assert_true (result.position > fx->positions[3]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_store_purge_warm, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_purge_cold, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
