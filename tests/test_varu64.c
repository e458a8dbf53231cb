/*  test_varu64.c - shortest-form varu64 against entries.json.             */
#include "panda_test.h"
#include "panda/panda_varu64.h"

#include <errno.h>

//  Simplest use: encode a value, decode it back, the cursor moves past it.
static void
test_varu64_round_trip (void **state)
{
    uint8_t buf[PANDA_VARU64_MAX_SIZE];
    size_t n = panda_varu64_encode (300, buf);
    assert_int_equal (n, 3);
    const uint8_t *p = buf;
    uint64_t value = 0;
    assert_int_equal (panda_varu64_decode (&value, &p, buf + n, NULL), PANDA_OK);
    assert_int_equal (value, 300);
    assert_ptr_equal (p, buf + n);
}

static void
test_varu64_vectors (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    size_t i;
    json_t *ex;
    json_array_foreach (json_object_get (root, "varu64_examples"), i, ex)
    {
        errno = 0;
        uint64_t value = strtoull (json_string_value (json_object_get (ex, "value")), NULL, 10);
        assert_int_equal (errno, 0);
        size_t len;
        uint8_t *expected = panda_test_unhex (json_string_value (json_object_get (ex, "hex")), &len);
        uint8_t buf[PANDA_VARU64_MAX_SIZE];
        assert_int_equal (panda_varu64_encode (value, buf), len);
        assert_int_equal (panda_varu64_size (value), len);
        assert_memory_equal (buf, expected, len);
        const uint8_t *p = expected;
        uint64_t decoded;
        assert_int_equal (panda_varu64_decode (&decoded, &p, expected + len, NULL), PANDA_OK);
        assert_true (decoded == value);
        assert_ptr_equal (p, expected + len);
        //  Every shorter prefix is truncated.
        for (size_t cut = 0; cut < len; cut++) {
            p = expected;
            assert_int_equal (panda_varu64_decode (&decoded, &p, expected + cut, NULL), PANDA_ERR_DECODE);
            assert_ptr_equal (p, expected);
        }
        free (expected);
    }
    json_decref (root);
}

static void
test_varu64_rejects_long_forms (void **state)
{
    struct {
        uint8_t bytes[9];
        size_t len;
    } cases[] = {
        {{0xf8, 0x05}, 2}, //  5 must be 05
        {{0xf8, 0x01}, 2},
        {{0xf8, 0xf7}, 2}, //  largest one-byte value in long form
        {{0xf9, 0x00, 0xd5}, 3},
        {{0xf9, 0x00, 0xff}, 3}, //  255 must be f8 ff
        {{0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *p = cases[i].bytes;
        uint64_t value;
        panda_error_t err;
        assert_int_equal (panda_varu64_decode (&value, &p, cases[i].bytes + cases[i].len, &err),
                          PANDA_ERR_DECODE);
        assert_string_equal (err.message, "varu64 is not in its shortest form");
        assert_ptr_equal (p, cases[i].bytes);
    }
}

//  Every length boundary round-trips and encodes to the expected size.
static void
test_varu64_boundaries (void **state)
{
    for (int k = 0; k <= 8; k++) {
        uint64_t top = k == 8 ? UINT64_MAX : (k == 0 ? 247 : ((uint64_t) 1 << (8 * k)) - 1);
        uint64_t values[] = {top, top == UINT64_MAX ? top : top + 1};
        for (int v = 0; v < 2; v++) {
            uint8_t buf[PANDA_VARU64_MAX_SIZE];
            size_t n = panda_varu64_encode (values[v], buf);
            const uint8_t *p = buf;
            uint64_t back;
            assert_int_equal (panda_varu64_decode (&back, &p, buf + n, NULL), PANDA_OK);
            assert_true (back == values[v]);
            assert_int_equal (n, k == 0 && v == 0 ? 1 : panda_varu64_size (values[v]));
        }
    }
    assert_int_equal (panda_varu64_size (UINT64_MAX), 9);
    assert_int_equal (panda_varu64_size (248), 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_varu64_round_trip),
        cmocka_unit_test (test_varu64_vectors),
        cmocka_unit_test (test_varu64_rejects_long_forms),
        cmocka_unit_test (test_varu64_boundaries),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
