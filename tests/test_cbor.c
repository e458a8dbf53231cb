/*  test_cbor.c - the strict canonical CBOR reader/writer (lib/core/panda_cbor.h). */
#include "panda_test.h"
#include "panda_cbor.h"

#include <math.h>

//  Simplest use: write an array with an int and a text, read it back.
static void
test_cbor_simple (void **state)
{
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    panda_cbor_write_head (&w, PANDA_CBOR_ARRAY, 2);
    panda_cbor_write_int (&w, -25);
    panda_cbor_write_text (&w, "hi", 2);
    assert_false (w.failed);
    assert_int_equal (w.len, 6);
    assert_memory_equal (w.data, "\x82\x38\x18\x62hi", 6);

    panda_cbor_reader_t r;
    panda_cbor_head_t head;
    const uint8_t *text;
    panda_cbor_reader_init (&r, w.data, w.len);
    assert_int_equal (panda_cbor_read_head (&r, &head, NULL), PANDA_OK);
    assert_int_equal (head.major, PANDA_CBOR_ARRAY);
    assert_int_equal (head.arg, 2);
    assert_int_equal (panda_cbor_read_head (&r, &head, NULL), PANDA_OK);
    assert_int_equal (head.major, PANDA_CBOR_NINT);
    assert_int_equal (head.arg, 24);
    assert_int_equal (panda_cbor_read_head (&r, &head, NULL), PANDA_OK);
    assert_int_equal (panda_cbor_read_payload (&r, head.arg, &text, NULL), PANDA_OK);
    assert_memory_equal (text, "hi", 2);
    assert_int_equal (panda_cbor_remaining (&r), 0);
    panda_cbor_writer_free (&w);
}

static void
s_expect_head_error (const char *hex, const char *message)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (hex, &len);
    panda_cbor_reader_t r;
    panda_cbor_head_t head;
    panda_error_t err;
    panda_cbor_reader_init (&r, bytes, len);
    assert_int_not_equal (panda_cbor_read_head (&r, &head, &err), PANDA_OK);
    if (strcmp (err.message, message) != 0)
        fail_msg ("%s: got \"%s\"", hex, err.message);
    free (bytes);
}

static void
test_cbor_rejects_non_canonical_heads (void **state)
{
    const char *shortest = "non-canonical CBOR at byte 0: integer or length not in shortest form";
    s_expect_head_error ("1817", shortest);
    s_expect_head_error ("1900ff", shortest);
    s_expect_head_error ("1a0000ffff", shortest);
    s_expect_head_error ("1b00000000ffffffff", shortest);
    s_expect_head_error ("3817", shortest);
    s_expect_head_error ("5801", shortest);
    s_expect_head_error ("780100", shortest);
    s_expect_head_error ("9800", shortest);
    s_expect_head_error ("b900ff", shortest);
    s_expect_head_error ("d800", shortest);
    const char *indefinite = "non-canonical CBOR at byte 0: indefinite-length item or break";
    s_expect_head_error ("5f", indefinite);
    s_expect_head_error ("7f", indefinite);
    s_expect_head_error ("9f", indefinite);
    s_expect_head_error ("bf", indefinite);
    s_expect_head_error ("ff", indefinite);
    s_expect_head_error ("1c", "invalid cbor encoding at byte 0");
    s_expect_head_error ("f81f", "invalid cbor encoding at byte 0"); //  simple value < 32 in two bytes
    const char *wide = "non-canonical CBOR at byte 0: float not in its shortest exact width";
    s_expect_head_error ("fa40600000", wide); //  3.5 fits a half
    s_expect_head_error ("fb400c000000000000", wide); //  3.5 as double
    s_expect_head_error ("fb40effc2000000000", wide); //  65505.0 fits a single
    s_expect_head_error ("fa7fc00000", wide); //  NaN fits a half
    s_expect_head_error ("fb7ff8000000000000", wide);
    s_expect_head_error ("f97c01", "non-canonical CBOR at byte 0: signalling NaN");
    s_expect_head_error ("fa7f800001", "non-canonical CBOR at byte 0: signalling NaN");
    const char *truncated = "cbor decoder failed failed to fill whole buffer";
    s_expect_head_error ("", truncated);
    s_expect_head_error ("19ff", truncated);
    s_expect_head_error ("fb3fb9", truncated);
}

static void
test_cbor_accepts_canonical_heads (void **state)
{
    static const char *ok[] = {"17",     "1818", "19ffff", "1a00010000", "1b0000000100000000",
                               "f5",     "f820", "f97e00", "fa477fe100", "fb3fb999999999999a",
                               "f90001", "c0"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len;
        uint8_t *bytes = panda_test_unhex (ok[i], &len);
        panda_cbor_reader_t r;
        panda_cbor_head_t head;
        panda_error_t err;
        panda_cbor_reader_init (&r, bytes, len);
        if (panda_cbor_read_head (&r, &head, &err))
            fail_msg ("%s: %s", ok[i], err.message);
        assert_int_equal (panda_cbor_remaining (&r), 0);
        free (bytes);
    }
}

//  Every half converts to a double and back to itself (signalling NaNs are
//  quieted by the reference and never stay half), with the right value.
static void
test_cbor_half_exhaustive (void **state)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        uint64_t bits = panda_cbor_half_to_double_bits ((uint16_t) h);
        double d;
        memcpy (&d, &bits, sizeof d);
        int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
        double expected = exp == 0    ? ldexp (mant, -24)
                          : exp == 31 ? (mant ? NAN : INFINITY)
                                      : ldexp (mant | 0x400, exp - 25);
        if (h & 0x8000)
            expected = -expected;
        if (exp == 31 && mant)
            assert_true (isnan (d));
        else
            assert_true (d == expected && signbit (d) == signbit (expected));
        uint16_t back;
        bool signalling = exp == 31 && mant && !(mant & 0x200);
        assert_int_equal (panda_cbor_double_to_half (bits, &back), !signalling);
        if (!signalling)
            assert_int_equal (back, h);
    }
}

//  Singles (sampled): exact round trips and agreement with the C cast.
static void
test_cbor_single_sampled (void **state)
{
    uint64_t seed = 42;
    for (int i = 0; i < 200000; i++) {
        uint32_t s;
        panda_test_random_bytes (&seed, (uint8_t *) &s, sizeof s);
        if (i < 512)
            s = (uint32_t) i << 23 | (uint32_t) i; //  every exponent, incl. subnormals
        float f;
        memcpy (&f, &s, sizeof f);
        uint64_t bits = panda_cbor_single_to_double_bits (s);
        double d;
        memcpy (&d, &bits, sizeof d);
        if (isnan (f))
            continue;
        assert_true (d == (double) f);
        uint32_t back;
        assert_true (panda_cbor_double_to_single (bits, &back));
        assert_int_equal (back, s);
    }
    //  Values a single cannot hold exactly.
    uint32_t out;
    double tenth = 0.1, tiny = 1e-40, huge = 1e300;
    uint64_t bits;
    memcpy (&bits, &tenth, sizeof bits);
    assert_false (panda_cbor_double_to_single (bits, &out));
    memcpy (&bits, &tiny, sizeof bits);
    assert_false (panda_cbor_double_to_single (bits, &out));
    memcpy (&bits, &huge, sizeof bits);
    assert_false (panda_cbor_double_to_single (bits, &out));
}

//  The writer reproduces every int and float encoding of the vectors.
static void
test_cbor_writer_vectors (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    size_t i, checked = 0;
    json_t *c;
    json_array_foreach (json_object_get (json_object_get (root, "value_encodings"), "cases"), i, c)
    {
        const char *type = json_string_value (json_object_get (c, "type"));
        json_t *input = json_object_get (c, "input");
        panda_cbor_writer_t w;
        panda_cbor_writer_init (&w);
        if (strcmp (type, "int") == 0)
            panda_cbor_write_int (&w,
                                  strtoll (json_string_value (json_object_get (input, "value")), NULL, 10));
        else if (strcmp (type, "float") == 0) {
            uint64_t bits = strtoull (json_string_value (json_object_get (input, "f64_bits")), NULL, 16);
            double d;
            memcpy (&d, &bits, sizeof d);
            panda_cbor_write_float (&w, d);
        } else
            continue;
        char *hex = panda_test_hex (w.data, w.len);
        assert_string_equal (hex, json_string_value (json_object_get (c, "cbor_hex")));
        //  And the reader takes it back as canonical.
        panda_cbor_reader_t r;
        panda_cbor_head_t head;
        panda_cbor_reader_init (&r, w.data, w.len);
        assert_int_equal (panda_cbor_read_head (&r, &head, NULL), PANDA_OK);
        free (hex);
        panda_cbor_writer_free (&w);
        checked++;
    }
    assert_true (checked > 30);
    json_decref (root);
}

static void
test_cbor_skip_depth (void **state)
{
    uint8_t nested[PANDA_CBOR_MAX_DEPTH + 2];
    memset (nested, 0x81, sizeof nested);
    nested[sizeof nested - 1] = 0x00;
    panda_cbor_reader_t r;
    panda_error_t err;
    //  PANDA_CBOR_MAX_DEPTH arrays around an int: fine; one more: refused.
    panda_cbor_reader_init (&r, nested + 1, sizeof nested - 1);
    assert_int_equal (panda_cbor_skip (&r, &err), PANDA_OK);
    assert_int_equal (panda_cbor_remaining (&r), 0);
    panda_cbor_reader_init (&r, nested, sizeof nested);
    assert_int_equal (panda_cbor_skip (&r, &err), PANDA_ERR_LIMIT);
    //  A huge count with no items behind it fails without looping.
    static const uint8_t huge[] = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    panda_cbor_reader_init (&r, huge, sizeof huge);
    assert_int_equal (panda_cbor_skip (&r, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "cbor decoder failed failed to fill whole buffer");
    static const uint8_t map[] = {0xa1, 0x61, 'k', 0x43, 1, 2, 3};
    panda_cbor_reader_init (&r, map, sizeof map);
    assert_int_equal (panda_cbor_skip (&r, &err), PANDA_OK);
    assert_int_equal (panda_cbor_remaining (&r), 0);
}

static void
test_cbor_utf8 (void **state)
{
    static const struct {
        const char *bytes;
        bool valid;
    } cases[] = {
        {"", true},
        {"abc", true},
        {"\xc3\xbc", true},
        {"\xf0\x9f\x90\xbc", true},
        {"\xef\xbf\xbf", true},
        {"\xc3\x28", false},
        {"\xc0\xaf", false},
        {"\xe0\x80\xaf", false},
        {"\xed\xa0\x80", false},
        {"\xf4\x90\x80\x80", false},
        {"\xf0\x9f\x90", false},
        {"\x80", false},
        {"\xff", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal (panda_cbor_utf8_valid ((const uint8_t *) cases[i].bytes, strlen (cases[i].bytes)),
                          cases[i].valid);
}

static void
test_cbor_describe (void **state)
{
    char out[64];
    panda_cbor_head_t head = {PANDA_CBOR_UINT, 12, 12, 0};
    assert_string_equal (panda_cbor_head_describe (&head, out, sizeof out), "integer `12`");
    head = (panda_cbor_head_t){PANDA_CBOR_NINT, 0, 0, 0};
    assert_string_equal (panda_cbor_head_describe (&head, out, sizeof out), "integer `-1`");
    head = (panda_cbor_head_t){PANDA_CBOR_MAP, 0, 0, 0};
    assert_string_equal (panda_cbor_head_describe (&head, out, sizeof out), "map");
    head = (panda_cbor_head_t){PANDA_CBOR_SIMPLE, PANDA_CBOR_TRUE, PANDA_CBOR_TRUE, 0};
    assert_string_equal (panda_cbor_head_describe (&head, out, sizeof out), "boolean `true`");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cbor_simple),
        cmocka_unit_test (test_cbor_rejects_non_canonical_heads),
        cmocka_unit_test (test_cbor_accepts_canonical_heads),
        cmocka_unit_test (test_cbor_half_exhaustive),
        cmocka_unit_test (test_cbor_single_sampled),
        cmocka_unit_test (test_cbor_writer_vectors),
        cmocka_unit_test (test_cbor_skip_depth),
        cmocka_unit_test (test_cbor_utf8),
        cmocka_unit_test (test_cbor_describe),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
