/*  test_lipmaa.c - lipmaa links against entries.json and spec §3.3.       */
#include "panda_test.h"
#include "panda/panda_lipmaa.h"

#include <errno.h>

static uint64_t
s_u64 (json_t *value)
{
    if (json_is_integer (value))
        return (uint64_t) json_integer_value (value);
    errno = 0;
    uint64_t n = strtoull (json_string_value (value), NULL, 10);
    assert_int_equal (errno, 0);
    return n;
}

//  Simplest use: seq 4 skips back to seq 1, seq 5 only links back to 4.
static void
test_lipmaa_simple (void **state)
{
    assert_int_equal (panda_lipmaa (4), 1);
    assert_true (panda_lipmaa_skiplink_required (4));
    assert_int_equal (panda_lipmaa (5), 4);
    assert_false (panda_lipmaa_skiplink_required (5));
    assert_int_equal (panda_lipmaa (1), 0);
    assert_false (panda_lipmaa_skiplink_required (1));
}

static void
s_check_table (json_t *table)
{
    size_t i;
    json_t *row;
    assert_true (json_array_size (table) > 0);
    json_array_foreach (table, i, row)
    {
        uint64_t n = s_u64 (json_object_get (row, "seq_num"));
        assert_true (panda_lipmaa (n) == s_u64 (json_object_get (row, "lipmaa")));
        assert_int_equal (panda_lipmaa_skiplink_required (n),
                          json_is_true (json_object_get (row, "skiplink_required")));
    }
}

static void
test_lipmaa_vectors (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    s_check_table (json_object_get (root, "lipmaa_table"));
    s_check_table (json_object_get (root, "lipmaa_more"));
    //  The 40-entry log states each entry's lipmaa seq num too.
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (root, "entries"), i, entry)
    {
        uint64_t n = s_u64 (json_object_get (entry, "seq_num"));
        json_t *l = json_object_get (entry, "lipmaa_seq_num");
        assert_true (panda_lipmaa (n) == (json_is_null (l) ? 0 : s_u64 (l)));
    }
    json_decref (root);
}

//  The walk from 100000 back to 1 listed in spec §3.3.
static void
test_lipmaa_walk (void **state)
{
    const uint64_t expected[] = {100000, 99996, 99992, 99871, 99507, 98414, 88573, 29524, 9841,
                                 3280,   1093,  364,   121,   40,    13,    4,     1};
    uint64_t n = 100000;
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_true (n == expected[i]);
        n = panda_lipmaa (n);
    }
    assert_int_equal (n, 0);
}

//  Near 2^64 the powers of 3 overflow: the result must still be a smaller,
//  positive seq num, and c(41) = (3^41 - 1) / 2 is a fixed point of the rule.
static void
test_lipmaa_u64_edges (void **state)
{
    const uint64_t c41 = 18236498188585393201u; //  (3^41 - 1) / 2
    const uint64_t c40 = 6078832729528464400u; //  (3^40 - 1) / 2
    assert_true (panda_lipmaa (c41) == c41 - (2 * c40 + 1));
    assert_true (panda_lipmaa (c41 + 1) == c41);
    uint64_t edges[] = {UINT64_MAX, UINT64_MAX - 1, c41 + 2, c41 - 1, 4294967296u, 4294967295u};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        uint64_t l = panda_lipmaa (edges[i]);
        assert_true (l >= 1 && l < edges[i]);
    }
    //  The quirks vector seq_num_u64_max carries a skiplink.
    assert_true (panda_lipmaa_skiplink_required (UINT64_MAX));
    //  Brute-force agreement with the definition for small n.
    for (uint64_t n = 2; n < 3000; n++) {
        uint64_t c[20] = {0, 1};
        int k = 1;
        while (c[k] < n) {
            c[k + 1] = 3 * c[k] + 1;
            k++;
        }
        uint64_t want;
        if (c[k] == n)
            want = n - (2 * c[k - 1] + 1);
        else {
            uint64_t r = n;
            int j = k - 1;
            while (j > 1 && (r %= c[j]) != 0)
                j--;
            want = n - c[j];
        }
        assert_true (panda_lipmaa (n) == want);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lipmaa_simple),
        cmocka_unit_test (test_lipmaa_vectors),
        cmocka_unit_test (test_lipmaa_walk),
        cmocka_unit_test (test_lipmaa_u64_edges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
