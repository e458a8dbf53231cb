/*  test_json_limits.c - depth and value count of JSON text before parsing
    (lib/graphql/panda_json_limits.c): what counts, strings and escapes, limits met
    exactly and crossed, and odd bytes read without going out of bounds.  */
#include "panda_test.h"
#include "panda_json_limits.h"

//  The message for text under the limits, or "" when within them.
static const char *
s_check (const char *text, uint32_t depth, uint32_t values)
{
    static panda_error_t err;
    panda_error_clear (&err);
    panda_err_t rc = panda_json_limits_check (text, strlen (text), depth, values, &err);
    assert_int_equal (rc, err.code);
    return err.message;
}

static void
test_json_limits_depth (void **state)
{
    assert_string_equal (s_check ("", 0, 0), "");
    assert_string_equal (s_check ("1", 0, 1), "");
    assert_string_equal (s_check ("[]", 0, 10), "JSON nested deeper than 0");
    assert_string_equal (s_check ("[[[]]]", 3, 10), "");
    assert_string_equal (s_check ("[[[[]]]]", 3, 10), "JSON nested deeper than 3");
    //  Depth is what is open at once, not how many were opened.
    assert_string_equal (s_check ("[[],[],{},[{}],{\"a\":[]}]", 3, 100), "");
    assert_string_equal (s_check ("{\"a\":{\"b\":{\"c\":1}}}", 2, 100), "JSON nested deeper than 2");
    //  Brackets in strings are text, escaped quotes do not end them, an
    //  escaped backslash does not escape the quote after it.
    assert_string_equal (s_check ("[\"[[[[{{{{\"]", 1, 10), "");
    assert_string_equal (s_check ("[\"\\\"[[[[\"]", 1, 10), "");
    assert_string_equal (s_check ("[\"\\\\\",[[]]]", 2, 10), "JSON nested deeper than 2");
    assert_string_equal (s_check ("[\"\\u005b\"]", 1, 10), "");
    //  Stray closers do not buy depth.
    assert_string_equal (s_check ("]]]]]][[", 1, 10), "JSON nested deeper than 1");
}

static void
test_json_limits_values (void **state)
{
    assert_string_equal (s_check ("[1,true,null,-2.5e3,\"x\"]", 10, 6), "");
    assert_string_equal (s_check ("[1,true,null,-2.5e3,\"x\"]", 10, 5), "JSON has more than 5 values");
    //  Keys are not values; a string is a key only when ':' follows it.
    assert_string_equal (s_check ("{\"a\":1,\"b\" : \"c\",\"d\"\n:{}}", 10, 4), "");
    assert_string_equal (s_check ("{\"a\":1,\"b\" : \"c\",\"d\"\n:{}}", 10, 3),
                         "JSON has more than 3 values");
    assert_string_equal (s_check ("[\"a\" , \"b\"]", 10, 3), "");
    assert_string_equal (s_check ("[\"a\" , \"b\"]", 10, 2), "JSON has more than 2 values");
    assert_string_equal (s_check ("\"only\"", 10, 1), "");
    assert_string_equal (s_check ("\"only\"", 10, 0), "JSON has more than 0 values");
    //  A number or a word is one value however long.
    assert_string_equal (s_check ("  123456789012345678901234567890  ", 10, 1), "");
    assert_string_equal (s_check ("[truefalse nullnull]", 10, 3), "");
    //  A long flat array is refused once the count passes the limit.
    size_t n = 1 << 20;
    char *big = malloc (2 * n + 2);
    big[0] = '[';
    for (size_t i = 0; i < n; i++)
        memcpy (big + 1 + 2 * i, "0,", 2);
    big[2 * n] = ']';
    big[2 * n + 1] = 0;
    panda_error_t err;
    assert_int_equal (panda_json_limits_check (big, 2 * n + 1, 32, 10000, &err), PANDA_ERR_LIMIT);
    assert_string_equal (err.message, "JSON has more than 10000 values");
    assert_int_equal (panda_json_limits_check (big, 2 * n + 1, 32, (uint32_t) n + 1, &err), PANDA_OK);
    free (big);
}

//  Every prefix of tricky text, each in a buffer of exactly its length, so
//  AddressSanitizer sees any read past the end.
static void
test_json_limits_bounds (void **state)
{
    const char *texts[] = {"[\"abc\\",   "[\"\\\\\\\"]", "{\"a\":\"\\u12", "\"", "\\",
                           "[[[\"]]]\"", "[1e",          "{\"k\"   "};
    for (size_t t = 0; t < sizeof (texts) / sizeof (texts[0]); t++) {
        size_t len = strlen (texts[t]);
        for (size_t cut = 0; cut <= len; cut++) {
            char *exact = malloc (cut ? cut : 1);
            memcpy (exact, texts[t], cut);
            panda_error_t err;
            panda_err_t rc = panda_json_limits_check (exact, cut, 64, 100, &err);
            assert_int_equal (rc, PANDA_OK);
            free (exact);
        }
    }
}

//  A random JSON value at most levels deep, with strings full of brackets,
//  quotes and backslashes.
static json_t *
s_random (uint64_t *seed, int levels)
{
    uint8_t r[4];
    panda_test_random_bytes (seed, r, sizeof r);
    static const char *strings[] = {"[", "]\\", "{\"}", "\\\"[", "a,b:c", ""};
    int kind = levels ? r[0] % 7 : r[0] % 5;
    switch (kind) {
        case 0: return json_integer (r[1]);
        case 1: return json_true ();
        case 2: return json_null ();
        case 3: return json_real (r[1] / 4.0);
        case 4: return json_string (strings[r[1] % 6]);
        case 5: {
            json_t *a = json_array ();
            for (int i = 0; i < r[2] % 4; i++)
                json_array_append_new (a, s_random (seed, levels - 1));
            return a;
        }
        default: {
            json_t *o = json_object ();
            for (int i = 0; i < r[2] % 4; i++) {
                char key[16];
                snprintf (key, sizeof key, "%s%d", strings[r[3] % 6], i);
                json_object_set_new (o, key, s_random (seed, levels - 1));
            }
            return o;
        }
    }
}

//  Depth and number of values, counted on the parsed value.
static void
s_measure (json_t *v, int level, int *depth, int *values)
{
    (*values)++;
    if (json_is_array (v) || json_is_object (v))
        *depth = level + 1 > *depth ? level + 1 : *depth;
    size_t i;
    json_t *item;
    const char *key;
    if (json_is_array (v))
        json_array_foreach (v, i, item) s_measure (item, level + 1, depth, values);
    if (json_is_object (v))
        json_object_foreach (v, key, item) s_measure (item, level + 1, depth, values);
}

//  The scanner agrees with what a parser builds, at the limits and one
//  below them.
static void
test_json_limits_agree (void **state)
{
    uint64_t seed = 7;
    for (int round = 0; round < 500; round++) {
        json_t *v = s_random (&seed, 6);
        char *text = json_dumps (v, JSON_ENCODE_ANY | (round % 2 ? JSON_INDENT (1) : JSON_COMPACT));
        int depth = 0, values = 0;
        s_measure (v, 0, &depth, &values);
        panda_error_t err;
        assert_int_equal (
            panda_json_limits_check (text, strlen (text), (uint32_t) depth, (uint32_t) values, &err),
            PANDA_OK);
        if (depth > 0)
            assert_int_equal (
                panda_json_limits_check (text, strlen (text), (uint32_t) depth - 1, (uint32_t) values, &err),
                PANDA_ERR_LIMIT);
        assert_int_equal (
            panda_json_limits_check (text, strlen (text), (uint32_t) depth, (uint32_t) values - 1, &err),
            PANDA_ERR_LIMIT);
        free (text);
        json_decref (v);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_json_limits_depth),
        cmocka_unit_test (test_json_limits_values),
        cmocka_unit_test (test_json_limits_bounds),
        cmocka_unit_test (test_json_limits_agree),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
