/*  test_hex.c - hex text, checked against libsodium's independent codec.   */
#include "panda_test.h"
#include "panda/panda_hex.h"

#include <sodium.h>

//  Simplest use: bytes to hex and back.
static void
test_hex_round_trip (void **state)
{
    const uint8_t bytes[] = {0x00, 0x20, 0xab, 0xff};
    char *hex = panda_hex_encode (bytes, sizeof bytes);
    assert_string_equal (hex, "0020abff");
    uint8_t *back;
    size_t len;
    assert_int_equal (panda_hex_decode ("0020ABff", 8, &back, &len, NULL), PANDA_OK);
    assert_int_equal (len, 4);
    assert_memory_equal (back, bytes, 4);
    free (hex);
    free (back);
    assert_int_equal (panda_hex_decode ("", 0, &back, &len, NULL), PANDA_OK);
    assert_non_null (back);
    assert_int_equal (len, 0);
    free (back);
}

static void
test_hex_agrees_with_libsodium (void **state)
{
    uint64_t seed = 42;
    for (size_t len = 0; len < 300; len++) {
        uint8_t bytes[300], again[300];
        panda_test_random_bytes (&seed, bytes, len);
        char *ours = panda_hex_encode (bytes, len);
        char theirs[601];
        sodium_bin2hex (theirs, sizeof theirs, bytes, len);
        assert_string_equal (ours, theirs);
        uint8_t *decoded;
        size_t n;
        assert_int_equal (panda_hex_decode (ours, strlen (ours), &decoded, &n, NULL), PANDA_OK);
        assert_int_equal (sodium_hex2bin (again, sizeof again, theirs, strlen (theirs), NULL, NULL, NULL), 0);
        assert_memory_equal (decoded, again, len);
        free (decoded);
        free (ours);
    }
}

static void
test_hex_rejects_bad_text (void **state)
{
    uint8_t *out = NULL;
    size_t len;
    panda_error_t err;
    assert_int_equal (panda_hex_decode ("abc", 3, &out, &len, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "odd number of hex digits");
    assert_int_equal (panda_hex_decode ("00g0", 4, &out, &len, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "invalid hex digit at position 2");
    assert_int_equal (panda_hex_decode ("000g", 4, &out, &len, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "invalid hex digit at position 3");
    assert_int_equal (panda_hex_decode ("00 0", 4, &out, &len, &err), PANDA_ERR_DECODE);
    assert_null (out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hex_round_trip),
        cmocka_unit_test (test_hex_agrees_with_libsodium),
        cmocka_unit_test (test_hex_rejects_bad_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
