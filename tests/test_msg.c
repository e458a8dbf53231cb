/*  test_msg.c - actor message catalogue and codec.                         */
#include "panda_test.h"
#include "panda_msg.h"

//  Simplest use: build a message, take its frames, decode them back.
static void
test_msg_round_trip (void **state)
{
    uint8_t entry[3] = {1, 2, 3};
    panda_msg_t *msg = panda_msg_new (PANDA_MSG_PUBLISH, (uint64_t) 42, entry, sizeof entry, "", (size_t) 0);
    assert_non_null (msg);
    size_t len;
    const uint8_t *body = panda_msg_body (msg, &len);
    const char *verb = panda_msg_name (panda_msg_id (msg));
    panda_error_t err;
    panda_msg_t *copy = panda_msg_decode ((const uint8_t *) verb, strlen (verb), body, len, &err);
    assert_non_null (copy);
    assert_int_equal (panda_msg_id (copy), PANDA_MSG_PUBLISH);
    assert_int_equal (panda_msg_u64 (copy, 0), 42);
    size_t n;
    const uint8_t *bytes = panda_msg_bin (copy, 1, &n);
    assert_int_equal (n, 3);
    assert_memory_equal (bytes, entry, 3);
    panda_msg_bin (copy, 2, &n);
    assert_int_equal (n, 0);
    panda_msg_destroy (&msg);
    panda_msg_destroy (&copy);
    assert_null (copy);
}

static void
test_msg_every_type (void **state)
{
    panda_msg_t *msg = panda_msg_new (PANDA_MSG_FAILED, UINT64_MAX, (uint64_t) 3, "Schema not found");
    size_t len;
    const uint8_t *body = panda_msg_body (msg, &len);
    panda_msg_t *copy = panda_msg_decode ((const uint8_t *) "FAILED", 6, body, len, NULL);
    assert_non_null (copy);
    assert_true (panda_msg_u64 (copy, 0) == UINT64_MAX);
    assert_string_equal (panda_msg_str (copy, 2), "Schema not found");
    panda_msg_destroy (&msg);
    panda_msg_destroy (&copy);
    //  verbs without a body
    panda_msg_t *term = panda_msg_decode ((const uint8_t *) "$TERM", 5, NULL, 0, NULL);
    assert_non_null (term);
    assert_int_equal (panda_msg_id (term), PANDA_MSG_TERM);
    panda_msg_destroy (&term);
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
        {"STORED", "94c400c400c001", "STORED: element 2 is not text"},
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
        cmocka_unit_test (test_msg_rejects_wrong_shapes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
