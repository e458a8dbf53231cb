/*  test_scalar.c - the node's custom scalar checks (node-api §3) and the
    base58 codec of cursors, against the base58 draft's vectors and the
    cursors of aquadoggo's tests (node-api §6.3.6, §6.8).                  */
#include "panda_test.h"
#include "panda/panda_blake3.h"
#include "panda_gql.h"
#include "panda_cbor.h"
#include "panda_scalar.h"

#define PK "8b52ae153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a240a"
#define ID_A "002015f3c7541991918e612be61ab58adf2316c9499a91dbfa012077de77c1620220"
#define ID_B "002057c0d6e12feae7b46498a15d6f3f8843a7fe299c652f12690c4191e9679941df"
#define ID_C "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543"

//  Run a check on a JSON text (a string literal needs its quotes).
static bool
s_check (panda_gql_scalar_check_fn check, const char *json)
{
    json_t *v = json_loads (json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null (v);
    bool ok = check (v, NULL);
    json_decref (v);
    return ok;
}

static bool
s_string_ok (panda_gql_scalar_check_fn check, const char *text)
{
    json_t *v = json_string (text);
    bool ok = check (v, NULL);
    json_decref (v);
    return ok;
}

static void
test_scalar_public_key (void **state)
{
    assert_true (s_string_ok (panda_scalar_public_key, PK));
    //  The reference hex decoder takes either case.
    assert_true (s_string_ok (panda_scalar_public_key,
                              "8B52AE153142288402382FD6D9619E018978E015E6BC372B1B0C7BD40C6A240A"));
    assert_true (s_string_ok (panda_scalar_public_key,
                              "8b52AE153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a240A"));
    //  Every key of the vectors.
    json_t *keys = panda_test_vectors ("keys.json");
    const char *name;
    json_t *key;
    json_object_foreach (json_object_get (keys, "keys"), name, key) assert_true (
        s_string_ok (panda_scalar_public_key, json_string_value (json_object_get (key, "public_key"))));
    json_decref (keys);
    //  64 hex that do not decompress (invalid.json public_key_not_a_curve_point).
    assert_false (s_string_ok (panda_scalar_public_key,
                               "0200000000000000000000000000000000000000000000000000000000000000"));
    //  ed25519-dalek 1.0 decompresses small-order points and non-canonical
    //  y: the identity, y = 0, y = p + 1, x = 0 with the sign bit set.
    assert_true (s_string_ok (panda_scalar_public_key,
                              "0100000000000000000000000000000000000000000000000000000000000000"));
    assert_true (s_string_ok (panda_scalar_public_key,
                              "0000000000000000000000000000000000000000000000000000000000000000"));
    assert_true (s_string_ok (panda_scalar_public_key,
                              "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
    assert_true (s_string_ok (panda_scalar_public_key,
                              "0100000000000000000000000000000000000000000000000000000000000080"));
    assert_false (s_string_ok (panda_scalar_public_key, "nope"));
    assert_false (s_string_ok (panda_scalar_public_key, ""));
    assert_false (s_string_ok (panda_scalar_public_key, PK "00"));
    assert_false (s_string_ok (panda_scalar_public_key,
                               "8b52ae153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a24"));
    assert_false (s_string_ok (panda_scalar_public_key,
                               "8b52ae153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a240g"));
    assert_false (s_check (panda_scalar_public_key,
                           "\"8b52ae153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a24\\u00000\""));
    assert_false (s_check (panda_scalar_public_key, "27"));
    assert_false (s_check (panda_scalar_public_key, "[\"" PK "\"]"));
    //  The decoded key is the key's bytes, either case.
    panda_public_key_t k;
    assert_true (panda_scalar_public_key_decode (PK, 64, &k));
    assert_int_equal (k.bytes[0], 0x8b);
    assert_int_equal (k.bytes[31], 0x0a);
}

static void
test_scalar_document_id (void **state)
{
    assert_true (s_string_ok (panda_scalar_document_id, ID_A));
    assert_true (s_string_ok (panda_scalar_document_id, ID_C));
    assert_false (s_string_ok (panda_scalar_document_id, "verboten"));
    assert_false (s_string_ok (panda_scalar_document_id, ""));
    assert_false (s_string_ok (panda_scalar_document_id, PK)); //  64 hex: too short
    assert_false (s_string_ok (panda_scalar_document_id, ID_A "00"));
    //  Not a YASMF BLAKE3 hash (wrong header).
    assert_false (s_string_ok (panda_scalar_document_id,
                               "012015f3c7541991918e612be61ab58adf2316c9499a91dbfa012077de77c1620220"));
    //  Upper case: refused (ids are compared as lower-case strings).
    assert_false (s_string_ok (panda_scalar_document_id,
                               "002015F3C7541991918E612BE61AB58ADF2316C9499A91DBFA012077DE77C1620220"));
    assert_false (s_string_ok (panda_scalar_document_id, ID_A "_" ID_B));
    assert_false (s_check (panda_scalar_document_id, "27"));
}

static void
test_scalar_document_view_id (void **state)
{
    assert_true (s_string_ok (panda_scalar_document_view_id, ID_A));
    assert_true (s_string_ok (panda_scalar_document_view_id, ID_A "_" ID_B "_" ID_C));
    assert_false (s_string_ok (panda_scalar_document_view_id, "")); //  empty
    assert_false (s_string_ok (panda_scalar_document_view_id, "verboten"));
    assert_false (s_string_ok (panda_scalar_document_view_id, ID_B "_" ID_A)); //  unsorted
    assert_false (s_string_ok (panda_scalar_document_view_id, ID_A "_" ID_A)); //  duplicate
    assert_false (s_string_ok (panda_scalar_document_view_id, ID_A "_")); //  empty part
    assert_false (s_string_ok (panda_scalar_document_view_id, "_" ID_A));
    assert_false (s_string_ok (panda_scalar_document_view_id, ID_A "-" ID_B));
    //  A JSON array of ids (shirokuma's `previous` passed as is) is not one.
    assert_false (s_check (panda_scalar_document_view_id, "[\"" ID_A "\",\"" ID_B "\"]"));
    assert_false (s_check (panda_scalar_document_view_id, "true"));
}

static void
test_scalar_hex (void **state)
{
    assert_true (s_string_ok (panda_scalar_hex, ""));
    assert_true (s_string_ok (panda_scalar_hex, "00010203"));
    assert_true (s_string_ok (panda_scalar_hex, "E8")); //  hex::decode takes upper case
    assert_true (s_string_ok (panda_scalar_hex, "aBcD"));
    assert_false (s_string_ok (panda_scalar_hex, "abc")); //  odd length
    assert_false (s_string_ok (panda_scalar_hex, "0")); //  odd length
    assert_false (s_string_ok (panda_scalar_hex, "zz"));
    assert_false (s_string_ok (panda_scalar_hex, "0x00"));
    assert_false (s_string_ok (panda_scalar_hex, "00 1"));
    assert_false (s_check (panda_scalar_hex, "\"00\\u0000a\""));
    assert_false (s_check (panda_scalar_hex, "1234"));
    assert_false (s_check (panda_scalar_hex, "null"));
}

//  base58 of text, as a JSON string, checked as a Cursor.
static bool
s_cursor_of (const char *text, size_t len)
{
    char *b58 = panda_base58_encode ((const uint8_t *) text, len);
    assert_non_null (b58);
    bool ok = s_string_ok (panda_scalar_cursor, b58);
    free (b58);
    return ok;
}

//  Any text works as a row cursor part; this one has the usual 64 hex chars.
#define ROW "6d8a3f0c2b1e4a5d9c7b8e6f0a1d2c3b4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b"

static void
test_scalar_cursor (void **state)
{
    //  aquadoggo's cursors (node-api §6.3.6, §6.8): one part each.
    assert_true (s_string_ok (panda_scalar_cursor,
                              "32Zn29gCkVQfdCBqnau1WWu4xVKYjmU5F1SPgoZ3sW6GALcbY22EGxEL2K8aN"
                              "RPQaxppPGfUjSR41Xg9NyayD613"));
    assert_true (s_string_ok (panda_scalar_cursor,
                              "25rsF8yKgHj3dDxuMFGsuYCKH9yGbuWtWE5e1nMCM6j9PmiUUx6wntNGiEX4L"
                              "bU7H8xpxZoBGD1XdbAhFA3ywpmv"));
    const char *three = ROW "-" ROW "-" ID_A "_" ID_B;
    assert_true (s_cursor_of (three, strlen (three)));
    assert_true (s_cursor_of ("x", 1));
    assert_true (s_string_ok (panda_scalar_cursor, "")); //  bs58 "" -> "" -> one part
    //  2 and 4 parts.
    assert_false (s_cursor_of (ROW "-" ROW, 129));
    const char *four = ROW "-" ROW "-" ID_A "-x";
    assert_false (s_cursor_of (four, strlen (four)));
    //  3 parts with a bad view id: unsorted, empty, not hex.
    const char *unsorted = ROW "-" ROW "-" ID_B "_" ID_A;
    assert_false (s_cursor_of (unsorted, strlen (unsorted)));
    assert_false (s_cursor_of (ROW "-" ROW "-", 130));
    assert_false (s_cursor_of ("a-b-c", 5));
    //  Not UTF-8 after decoding.
    assert_false (s_cursor_of ("\xff", 1));
    assert_false (s_cursor_of ("\xc0\xaf", 2)); //  overlong '/'
    //  Not base58: HELLO has an O; a hex id has 0s (collection_query cases 6, 7, 8).
    assert_false (s_string_ok (panda_scalar_cursor, "HELLO"));
    assert_false (s_string_ok (panda_scalar_cursor, ID_A));
    assert_false (s_check (panda_scalar_cursor, "27"));
}

static void
test_base58_vectors (void **state)
{
    //  draft-msporny-base58 vectors.
    char *s = panda_base58_encode ((const uint8_t *) "Hello World!", 12);
    assert_string_equal (s, "2NEpo7TZRRrLZSi2U");
    free (s);
    const uint8_t lead[] = {0, 0, 0x28, 0x7f, 0xb4, 0xcd};
    s = panda_base58_encode (lead, sizeof lead);
    assert_string_equal (s, "11233QC4");
    free (s);
    uint8_t out[128];
    size_t n = 0;
    assert_int_equal (panda_base58_decode ("11233QC4", 8, out, sizeof out, &n, NULL), PANDA_OK);
    assert_int_equal (n, sizeof lead);
    assert_memory_equal (out, lead, sizeof lead);
    assert_int_equal (panda_base58_decode ("", 0, out, sizeof out, &n, NULL), PANDA_OK);
    assert_int_equal (n, 0);
    assert_int_equal (panda_base58_decode ("111", 3, out, sizeof out, &n, NULL), PANDA_OK);
    assert_int_equal (n, 3);
    //  aquadoggo's cursors = base58 of the 64 hex chars of
    //  BLAKE3("<list index><field name><operation id>") (node-api §6.3.6, §6.8).
    const char *cases[][2] = {
        {"25rsF8yKgHj3dDxuMFGsuYCKH9yGbuWtWE5e1nMCM6j9PmiUUx6wntNGiEX4LbU7H8xpxZoBGD1XdbAhFA3ywpmv",
         "0message" ID_B},
        {"32Zn29gCkVQfdCBqnau1WWu4xVKYjmU5F1SPgoZ3sW6GALcbY22EGxEL2K8aNRPQaxppPGfUjSR41Xg9NyayD613",
         "0data00204ca0609fc55756c2aed7045f72b62bedeff7c96e4900b3aa29f7106f4a70baf1"}};
    for (size_t i = 0; i < 2; i++) {
        const char *cursor = cases[i][0];
        assert_int_equal (panda_base58_decode (cursor, strlen (cursor), out, sizeof out, &n, NULL), PANDA_OK);
        uint8_t digest[PANDA_BLAKE3_OUT_SIZE];
        panda_blake3 (digest, cases[i][1], strlen (cases[i][1]));
        char *hex = panda_test_hex (digest, sizeof digest);
        assert_int_equal (n, 64);
        assert_memory_equal (out, hex, 64);
        s = panda_base58_encode ((const uint8_t *) hex, 64);
        assert_string_equal (s, cursor);
        free (s);
        free (hex);
    }
}

static void
test_base58_errors (void **state)
{
    uint8_t out[16];
    size_t n = 99;
    panda_error_t err;
    assert_int_equal (panda_base58_decode ("2N0", 3, out, sizeof out, &n, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "invalid base58 character at position 2");
    assert_int_equal (n, 0);
    const char *bad[] = {"O", "I", "l", "+", "/", " ", "\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal (panda_base58_decode (bad[i], 1, out, sizeof out, &n, NULL), PANDA_ERR_DECODE);
    assert_int_equal (panda_base58_decode ("2\0", 2, out, sizeof out, &n, NULL), PANDA_ERR_DECODE);
    assert_int_equal (panda_base58_decode ("2NEpo7TZRRrLZSi2U", 17, out, 11, &n, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "base58 output buffer too small");
    char *big = malloc (PANDA_BASE58_MAX_CHARS + 1);
    memset (big, 'z', PANDA_BASE58_MAX_CHARS + 1);
    assert_int_equal (panda_base58_decode (big, PANDA_BASE58_MAX_CHARS + 1, out, sizeof out, &n, &err),
                      PANDA_ERR_DECODE);
    assert_string_equal (err.message, "base58 text longer than 8192 characters");
    json_t *v = json_stringn (big, PANDA_BASE58_MAX_CHARS + 1);
    assert_false (panda_scalar_cursor (v, NULL));
    json_decref (v);
    free (big);
}

static void
test_utf8 (void **state)
{
    assert_true (panda_cbor_utf8_valid ((const uint8_t *) "", 0));
    assert_true (panda_cbor_utf8_valid ((const uint8_t *) "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xbc", 12));
    assert_true (panda_cbor_utf8_valid ((const uint8_t *) "\0", 1));
    assert_false (panda_cbor_utf8_valid ((const uint8_t *) "\xc3", 1)); //  truncated
    assert_false (panda_cbor_utf8_valid ((const uint8_t *) "\xe0\x80\xaf", 3)); //  overlong
    assert_false (panda_cbor_utf8_valid ((const uint8_t *) "\xed\xa0\x80", 3)); //  surrogate
    assert_false (panda_cbor_utf8_valid ((const uint8_t *) "\xf4\x90\x80\x80", 4)); //  > U+10FFFF
    assert_false (panda_cbor_utf8_valid ((const uint8_t *) "\x80", 1));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_scalar_public_key),       cmocka_unit_test (test_scalar_document_id),
        cmocka_unit_test (test_scalar_document_view_id), cmocka_unit_test (test_scalar_hex),
        cmocka_unit_test (test_scalar_cursor),           cmocka_unit_test (test_base58_vectors),
        cmocka_unit_test (test_base58_errors),           cmocka_unit_test (test_utf8),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
