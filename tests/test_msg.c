/*  test_msg.c - actor message catalogue and codec.                         */
#include "panda_test.h"
#include "panda_msg.h"

//  Encode msg, check its body against want_hex (the wire format stays
//  byte-identical), decode it back. Takes msg; returns the copy.
static panda_msg_t *
s_round_trip (panda_msg_t *msg, const char *want_hex)
{
    assert_non_null (msg);
    size_t len, want_len;
    const uint8_t *body = panda_msg_body (msg, &len);
    uint8_t *want = panda_test_unhex (want_hex, &want_len);
    assert_int_equal (len, want_len);
    if (len)
        assert_memory_equal (body, want, len);
    free (want);
    const char *verb = panda_msg_name (panda_msg_id (msg));
    panda_error_t err;
    panda_msg_t *copy = panda_msg_decode ((const uint8_t *) verb, strlen (verb), body, len, &err);
    assert_non_null (copy);
    assert_int_equal (panda_msg_id (copy), panda_msg_id (msg));
    panda_msg_destroy (&msg);
    return copy;
}

//  Simplest use: build a message, take its frames, decode them back.
static void
test_msg_round_trip (void **state)
{
    uint8_t entry[3] = {1, 2, 3};
    panda_msg_t *msg = panda_msg_publish_new (42, entry, sizeof entry, NULL, 0);
    assert_non_null (msg);
    size_t len;
    const uint8_t *body = panda_msg_body (msg, &len);
    const char *verb = panda_msg_name (panda_msg_id (msg));
    panda_error_t err;
    panda_msg_t *copy = panda_msg_decode ((const uint8_t *) verb, strlen (verb), body, len, &err);
    assert_non_null (copy);
    assert_int_equal (panda_msg_id (copy), PANDA_MSG_PUBLISH);
    assert_int_equal (panda_msg_publish_req (copy), 42);
    size_t n;
    const uint8_t *bytes = panda_msg_publish_entry (copy, &n);
    assert_int_equal (n, 3);
    assert_memory_equal (bytes, entry, 3);
    panda_msg_publish_op (copy, &n);
    assert_int_equal (n, 0);
    panda_msg_destroy (&msg);
    panda_msg_destroy (&copy);
    assert_null (copy);
}

static void
test_msg_every_type (void **state)
{
    panda_msg_t *copy =
        s_round_trip (panda_msg_failed_new (UINT64_MAX, PANDA_ERR_INVALID, "Schema not found"),
                      "93cfffffffffffffffff"
                      "03"
                      "b0536368656d61206e6f7420666f756e64");
    assert_true (panda_msg_failed_req (copy) == UINT64_MAX);
    assert_int_equal (panda_msg_failed_code (copy), PANDA_ERR_INVALID);
    assert_string_equal (panda_msg_failed_message (copy), "Schema not found");
    panda_msg_destroy (&copy);
    //  verbs without a body
    panda_msg_t *term = panda_msg_decode ((const uint8_t *) "$TERM", 5, NULL, 0, NULL);
    assert_non_null (term);
    assert_int_equal (panda_msg_id (term), PANDA_MSG_TERM);
    panda_msg_destroy (&term);
}

//  Every data verb through its typed constructor and accessors, with the
//  bytes the positional layout produced before the catalogue was typed.
static void
test_msg_typed_round_trips (void **state)
{
    uint8_t a[2] = {0xaa, 0xbb}, b[1] = {0xcc};
    size_t n;
    panda_msg_t *m = s_round_trip (panda_msg_publish_new (1, a, 2, b, 1), "9301c402aabbc401cc");
    assert_int_equal (panda_msg_publish_req (m), 1);
    assert_memory_equal (panda_msg_publish_entry (m, &n), a, 2);
    assert_memory_equal (panda_msg_publish_op (m, &n), b, 1);
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_next_args_new (2, a, 2, NULL, 0), "9302c402aabbc400");
    assert_int_equal (panda_msg_next_args_req (m), 2);
    assert_memory_equal (panda_msg_next_args_public_key (m, &n), a, 2);
    panda_msg_next_args_view (m, &n);
    assert_int_equal (n, 0);
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_args_new (3, 4, 300, b, 1, NULL, 0), "950304cd012cc401ccc400");
    assert_int_equal (panda_msg_args_req (m), 3);
    assert_int_equal (panda_msg_args_log_id (m), 4);
    assert_int_equal (panda_msg_args_seq_num (m), 300);
    assert_memory_equal (panda_msg_args_backlink (m, &n), b, 1);
    panda_msg_args_skiplink (m, &n);
    assert_int_equal (n, 0);
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_stored_new (a, 2, b, 1, "s", 7, NULL, 0), "95c402aabbc401cca17307c400");
    assert_memory_equal (panda_msg_stored_operation_id (m, &n), a, 2);
    assert_memory_equal (panda_msg_stored_document_id (m, &n), b, 1);
    assert_string_equal (panda_msg_stored_schema_id (m), "s");
    assert_int_equal (panda_msg_stored_position (m), 7);
    panda_msg_stored_origin (m, &n);
    assert_int_equal (n, 0);
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_replicate_new (9, b, 1, a, 2, a, 1), "9409c401ccc402aabbc401aa");
    assert_int_equal (panda_msg_replicate_req (m), 9);
    assert_memory_equal (panda_msg_replicate_entry (m, &n), b, 1);
    assert_memory_equal (panda_msg_replicate_op (m, &n), a, 2);
    assert_memory_equal (panda_msg_replicate_origin (m, &n), a, 1);
    assert_int_equal (n, 1);
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_schema_new ("ab"), "91a26162");
    assert_string_equal (panda_msg_schema_schema_id (m), "ab");
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_purge_new (a, 2), "91c402aabb");
    assert_memory_equal (panda_msg_purge_ids (m, &n), a, 2);
    panda_msg_destroy (&m);
    m = s_round_trip (panda_msg_purged_new (b, 1), "91c401cc");
    assert_memory_equal (panda_msg_purged_ids (m, &n), b, 1);
    assert_int_equal (n, 1);
    panda_msg_destroy (&m);
    //  NULL text travels as ""
    m = s_round_trip (panda_msg_schema_new (NULL), "91a0");
    assert_string_equal (panda_msg_schema_schema_id (m), "");
    panda_msg_destroy (&m);
}

//  Wrong shapes are errors with a message, never a crash.
static void
test_msg_rejects_wrong_shapes (void **state)
{
    struct {
        const char *verb;
        const char *body_hex;
        const char *message;
    } cases[] = {
        {"NOPE", "", "unknown verb 'NOPE'"},
        {"$TERM", "90", "$TERM: takes no body"},
        {"PUBLISH", "", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "93", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "9201c400", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "dd000000030101c400", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "9301c4ffc400", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "9301ddffffffffc400", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "93ffc400c400", "PUBLISH: element 0 is not an unsigned integer"},
        {"PUBLISH", "9301a0c400", "PUBLISH: element 1 is not bytes"},
        {"PUBLISH", "9301c400c40000", "PUBLISH: body must be an array of 3 plain elements"},
        {"FAILED", "930101a3610062", "FAILED: element 2 is not text"},
        {"STORED", "95c400c400c001c400", "STORED: element 2 is not text"},
        {"PUBLISH", "81c400c400", "PUBLISH: body must be an array of 3 plain elements"},
        {"PUBLISH", "93c0c400c400", "PUBLISH: element 0 is not an unsigned integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *body = panda_test_unhex (cases[i].body_hex, &len);
        panda_error_t err;
        panda_msg_t *msg =
            panda_msg_decode ((const uint8_t *) cases[i].verb, strlen (cases[i].verb), body, len, &err);
        if (msg)
            fail_msg ("case %zu accepted", i);
        assert_int_equal (err.code, PANDA_ERR_DECODE);
        assert_string_equal (err.message, cases[i].message);
        free (body);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_msg_round_trip),
        cmocka_unit_test (test_msg_every_type),
        cmocka_unit_test (test_msg_typed_round_trips),
        cmocka_unit_test (test_msg_rejects_wrong_shapes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
