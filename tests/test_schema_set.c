/*  test_schema_set.c - SchemaIdSet canonical order (node-api §9.3): compare,
    validate, normalize, contains, intersect.                                */
#include "panda_test.h"
#include "panda_schema_set.h"

#define S_H1 "0020aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define S_H2 "0020bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define S_H3 "0020cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

//  Parse ids into a fresh set in the given order; fails the test on a bad id.
static void
s_set (panda_schema_set_t *set, const char **ids, size_t n)
{
    panda_schema_set_init (set);
    panda_error_t err;
    for (size_t i = 0; i < n; i++)
        if (panda_schema_set_add_text (set, ids[i], strlen (ids[i]), &err))
            fail_msg ("%s: %s", ids[i], err.message);
}

static int
s_cmp (const char *a, const char *b)
{
    panda_schema_id_t x, y;
    assert_int_equal (panda_schema_id_parse (&x, a, strlen (a), NULL), PANDA_OK);
    assert_int_equal (panda_schema_id_parse (&y, b, strlen (b), NULL), PANDA_OK);
    int rc = panda_schema_id_cmp (&x, &y);
    panda_schema_id_clear (&x);
    panda_schema_id_clear (&y);
    return rc;
}

//  The canonical order, smallest first; each pair below is one rule.
static const char *s_canonical[] = {
    "schema_definition_v1",
    "schema_field_definition_v1",
    "blob_v1",
    "blob_piece_v1",
    "aa_" S_H2, //  names first: "aa" < "chat"
    "chat_" S_H1,
    "chat_" S_H1 "_" S_H2, //  a view id that extends another sorts after it
    "chat_" S_H2, //  view ids compare id by id: H1... < H2
    "chat0_" S_H1, //  "chat" < "chat0", although "chat0_" < "chat_" as whole strings
    "chat_a_" S_H1, //  '0' < '_' in names
};
#define S_CANONICAL_COUNT (sizeof s_canonical / sizeof s_canonical[0])

static void
test_schema_set_order (void **state)
{
    for (size_t i = 0; i < S_CANONICAL_COUNT; i++)
        for (size_t j = 0; j < S_CANONICAL_COUNT; j++) {
            int rc = s_cmp (s_canonical[i], s_canonical[j]);
            if ((i < j && rc >= 0) || (i > j && rc <= 0) || (i == j && rc != 0))
                fail_msg ("%s vs %s gave %d", s_canonical[i], s_canonical[j], rc);
        }
    //  Node-api §9.3's own example: tuple order, not whole-string order.
    assert_true (strcmp ("chat0_" S_H1, "chat_" S_H1) < 0);
    assert_true (s_cmp ("chat_" S_H1, "chat0_" S_H1) < 0);
    //  System schemas in enum order, not alphabetical ("blob" < "schema").
    assert_true (s_cmp ("schema_field_definition_v1", "blob_v1") < 0);
    assert_true (s_cmp ("blob_piece_v1", "aa_" S_H1) < 0);
}

static void
test_schema_set_validate (void **state)
{
    panda_schema_set_t set;
    panda_error_t err;
    s_set (&set, s_canonical, S_CANONICAL_COUNT);
    assert_true (panda_schema_set_is_canonical (&set));
    assert_int_equal (panda_schema_set_validate (&set, &err), PANDA_OK);
    panda_schema_set_clear (&set);

    const char *swapped[] = {"schema_field_definition_v1", "schema_definition_v1"};
    s_set (&set, swapped, 2);
    assert_false (panda_schema_set_is_canonical (&set));
    assert_int_equal (panda_schema_set_validate (&set, &err), PANDA_ERR_DECODE);
    assert_non_null (strstr (err.message, "`schema_definition_v1` at position 1 sorts before"));
    panda_schema_set_clear (&set);

    const char *system_late[] = {"chat_" S_H1, "blob_v1"};
    s_set (&set, system_late, 2);
    assert_int_equal (panda_schema_set_validate (&set, &err), PANDA_ERR_DECODE);
    panda_schema_set_clear (&set);

    const char *whole_string[] = {"chat0_" S_H1, "chat_" S_H1};
    s_set (&set, whole_string, 2);
    assert_int_equal (panda_schema_set_validate (&set, &err), PANDA_ERR_DECODE);
    panda_schema_set_clear (&set);

    const char *twice[] = {"blob_v1", "blob_v1"};
    s_set (&set, twice, 2);
    assert_int_equal (panda_schema_set_validate (&set, &err), PANDA_ERR_DECODE);
    assert_non_null (strstr (err.message, "duplicates"));
    panda_schema_set_clear (&set);

    panda_schema_set_init (&set); //  the empty set is canonical
    assert_int_equal (panda_schema_set_validate (&set, &err), PANDA_OK);
}

static void
test_schema_set_normalize (void **state)
{
    const char *mixed[] = {"chat_" S_H2, "blob_piece_v1", "chat0_" S_H1, "chat_" S_H1 "_" S_H2,
                           "blob_v1",    "chat_" S_H2,    "chat_" S_H1,  "schema_definition_v1",
                           "aa_" S_H2,   "chat_a_" S_H1,  "blob_v1",     "schema_field_definition_v1"};
    panda_schema_set_t set, want;
    s_set (&set, mixed, sizeof mixed / sizeof mixed[0]);
    s_set (&want, s_canonical, S_CANONICAL_COUNT);
    panda_schema_set_normalize (&set);
    assert_int_equal (set.count, S_CANONICAL_COUNT);
    assert_true (panda_schema_set_eq (&set, &want));
    for (size_t i = 0; i < set.count; i++) {
        char *text = panda_schema_id_format (&set.ids[i]);
        assert_string_equal (text, s_canonical[i]);
        free (text);
        assert_true (panda_schema_set_contains (&set, &want.ids[i]));
    }
    panda_schema_id_t other;
    assert_int_equal (panda_schema_id_parse (&other, "chat_" S_H3, strlen ("chat_" S_H3), NULL), PANDA_OK);
    assert_false (panda_schema_set_contains (&set, &other));
    panda_schema_id_clear (&other);
    panda_schema_set_clear (&set);
    panda_schema_set_clear (&want);
}

static void
test_schema_set_intersect (void **state)
{
    const char *ours[] = {"schema_definition_v1", "blob_v1", "chat_" S_H1, "chat_" S_H2, "chat0_" S_H1};
    const char *theirs[] = {"schema_definition_v1", "schema_field_definition_v1", "chat_" S_H2, "chat0_" S_H1,
                            "chat_a_" S_H1};
    panda_schema_set_t a, b, out, none;
    s_set (&a, ours, 5);
    s_set (&b, theirs, 5);
    panda_schema_set_init (&out);
    panda_error_t err;
    assert_int_equal (panda_schema_set_intersect (&a, &b, &out, &err), PANDA_OK);
    assert_int_equal (out.count, 3);
    const char *want[] = {"schema_definition_v1", "chat_" S_H2, "chat0_" S_H1};
    for (size_t i = 0; i < 3; i++) {
        char *text = panda_schema_id_format (&out.ids[i]);
        assert_string_equal (text, want[i]);
        free (text);
    }
    assert_true (panda_schema_set_is_canonical (&out));
    //  Symmetric, and a second call replaces the old result.
    assert_int_equal (panda_schema_set_intersect (&b, &a, &out, &err), PANDA_OK);
    assert_int_equal (out.count, 3);
    panda_schema_set_init (&none);
    assert_int_equal (panda_schema_set_intersect (&a, &none, &out, &err), PANDA_OK);
    assert_int_equal (out.count, 0);
    panda_schema_set_clear (&a);
    panda_schema_set_clear (&b);
    panda_schema_set_clear (&out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_schema_set_order),
        cmocka_unit_test (test_schema_set_validate),
        cmocka_unit_test (test_schema_set_normalize),
        cmocka_unit_test (test_schema_set_intersect),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
