/*  test_hash.c - YASMF hashes against hashes.json.                         */
#include "panda_test.h"
#include "panda/panda_hash.h"

//  Simplest use: hash bytes, print the 68-char id, parse it back.
static void
test_hash_round_trip (void **state)
{
    panda_hash_t h, parsed;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_compute (&h, "\x01\x02\x03", 3);
    assert_string_equal (panda_hash_to_hex (&h, hex),
                         "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543");
    assert_int_equal (panda_hash_from_hex (&parsed, hex, strlen (hex), NULL), PANDA_OK);
    assert_true (panda_hash_eq (&h, &parsed));
}

static void
test_hash_vectors (void **state)
{
    json_t *root = panda_test_vectors ("hashes.json");
    size_t i;
    json_t *ex;
    json_array_foreach (json_object_get (root, "examples"), i, ex)
    {
        size_t len;
        uint8_t *input = panda_test_unhex (json_string_value (json_object_get (ex, "input_hex")), &len);
        panda_hash_t h;
        char hex[PANDA_HASH_HEX_SIZE + 1];
        panda_hash_compute (&h, input, len);
        assert_string_equal (panda_hash_to_hex (&h, hex),
                             json_string_value (json_object_get (ex, "yasmf_hash")));
        free (input);
    }
    //  A view hash is the hash of the concatenated binary ids.
    json_t *view = json_object_get (root, "document_view_hash_example");
    size_t len;
    uint8_t *input = panda_test_unhex (json_string_value (json_object_get (view, "hashed_input_hex")), &len);
    panda_hash_t h;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_compute (&h, input, len);
    assert_string_equal (panda_hash_to_hex (&h, hex),
                         json_string_value (json_object_get (view, "view_hash")));
    free (input);
    json_decref (root);
}

static void
test_hash_rejects_bad_text (void **state)
{
    panda_hash_t h;
    panda_error_t err;
    const char *good = "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543";
    struct {
        const char *text, *message;
    } cases[] = {
        {"0020b177", "invalid hash length 4 bytes, expected 34 bytes"},
        {"0020b17", "invalid hex encoding in hash string"},
        {"zz20b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543",
         "invalid hex encoding in hash string"},
        {"0020B177EC1BF26DFB3B7010D473E6D44713B29B765B99C6E60ECBFAE742DE496543",
         "invalid hex encoding in hash string"},
        {"0120b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543",
         "can not decode YASMF BLAKE3 hash"},
        {"0021b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543",
         "can not decode YASMF BLAKE3 hash"},
        {"", "invalid hash length 0 bytes, expected 34 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal (panda_hash_from_hex (&h, cases[i].text, strlen (cases[i].text), &err),
                          PANDA_ERR_DECODE);
        assert_int_equal (err.code, PANDA_ERR_DECODE);
        assert_string_equal (err.message, cases[i].message);
    }
    //  Binary form: length is checked before content.
    uint8_t bytes[40] = {0x00, 0x20};
    assert_int_equal (panda_hash_from_bytes (&h, bytes, 2, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "invalid hash length 2 bytes, expected 34 bytes");
    assert_int_equal (panda_hash_from_bytes (&h, bytes, 34, &err), PANDA_OK);
    assert_int_equal (panda_hash_from_hex (&h, good, strlen (good), NULL), PANDA_OK);
}

static void
test_hash_order_is_hex_order (void **state)
{
    panda_hash_t a, b;
    char ha[PANDA_HASH_HEX_SIZE + 1], hb[PANDA_HASH_HEX_SIZE + 1];
    for (int i = 0; i < 100; i++) {
        uint8_t x = (uint8_t) i, y = (uint8_t) (i * 7 + 3);
        panda_hash_compute (&a, &x, 1);
        panda_hash_compute (&b, &y, 1);
        int byte_order = panda_hash_cmp (&a, &b);
        int text_order = strcmp (panda_hash_to_hex (&a, ha), panda_hash_to_hex (&b, hb));
        assert_true ((byte_order < 0) == (text_order < 0) && (byte_order == 0) == (text_order == 0));
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hash_round_trip),
        cmocka_unit_test (test_hash_vectors),
        cmocka_unit_test (test_hash_rejects_bad_text),
        cmocka_unit_test (test_hash_order_is_hex_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
