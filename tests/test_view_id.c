/*  test_view_id.c - document view ids: canonical form, string form, hash.  */
#include "panda_test.h"
#include "panda/panda_view_id.h"

static panda_hash_t
s_hash (const char *hex)
{
    panda_hash_t h;
    assert_int_equal (panda_hash_from_hex (&h, hex, strlen (hex), NULL), PANDA_OK);
    return h;
}

#define S_A "00202181c9f991d55ce623ff286b6a7ac2d477a5b73d8bff85ccab1409c3e1b7840a"
#define S_B "00205647cbe72a914f42f8863c8766820b1fd5835ec9dd0e5cd7b1db24a1266b1006"
#define S_C "0020b3cca5e663153b107357e032c9b47692cc4afca8fbbb5d4094393de35c2ed86e"

//  Simplest use: canonicalize tips, print them, parse them back.
static void
test_view_id_round_trip (void **state)
{
    panda_hash_t tips[4] = {s_hash (S_C), s_hash (S_A), s_hash (S_C), s_hash (S_B)};
    assert_false (panda_view_id_is_canonical (tips, 4));
    size_t count = panda_view_id_canonicalize (tips, 4);
    assert_int_equal (count, 3);
    assert_true (panda_view_id_is_canonical (tips, count));
    char *text = panda_view_id_to_string_new (tips, count);
    assert_non_null (text);
    assert_string_equal (text, S_A "_" S_B "_" S_C);
    assert_int_equal (strlen (text), panda_view_id_string_len (count));

    panda_hash_t *parsed;
    size_t n;
    assert_int_equal (panda_view_id_from_string (text, strlen (text), &parsed, &n, NULL), PANDA_OK);
    assert_int_equal (n, 3);
    assert_memory_equal (parsed, tips, 3 * sizeof (panda_hash_t));
    free (parsed);
    free (text);

    assert_int_equal (panda_view_id_string_len (0), 0);
    char buffer[PANDA_HASH_HEX_SIZE + 1];
    assert_string_equal (panda_view_id_to_string (tips, 1, buffer), S_A);
    assert_int_equal (panda_view_id_canonicalize (tips, 0), 0);
}

static void
test_view_id_rejects (void **state)
{
    struct {
        const char *text, *message;
    } cases[] = {
        {"", "invalid hash length 0 bytes, expected 34 bytes"},
        {S_B "_" S_A, "expected sorted operation ids in document view id"},
        {S_A "_" S_A, "expected sorted operation ids in document view id"},
        {S_A "_", "invalid hash length 0 bytes, expected 34 bytes"},
        {"_" S_A, "invalid hash length 0 bytes, expected 34 bytes"},
        {S_A "__" S_B, "invalid hash length 0 bytes, expected 34 bytes"},
        {S_A " ", "invalid hex encoding in hash string"},
        {S_A "_0020", "invalid hash length 2 bytes, expected 34 bytes"},
        {"0020B3CCA5E663153B107357E032C9B47692CC4AFCA8FBBB5D4094393DE35C2ED86E",
         "invalid hex encoding in hash string"},
        {"0120b3cca5e663153b107357e032c9b47692cc4afca8fbbb5d4094393de35c2ed86e",
         "can not decode YASMF BLAKE3 hash"},
        {S_A "," S_B, "invalid hex encoding in hash string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_hash_t *ids = (panda_hash_t *) cases; //  must be reset to NULL
        size_t n = 99;
        panda_error_t err;
        assert_int_equal (panda_view_id_from_string (cases[i].text, strlen (cases[i].text), &ids, &n, &err),
                          PANDA_ERR_DECODE);
        assert_string_equal (err.message, cases[i].message);
        assert_null (ids);
        assert_int_equal (n, 0);
    }
    //  The length bounds the text: a longer buffer is not read past len.
    panda_hash_t *ids;
    size_t n;
    const char *text = S_A "_garbage";
    assert_int_equal (panda_view_id_from_string (text, PANDA_HASH_HEX_SIZE, &ids, &n, NULL), PANDA_OK);
    assert_int_equal (n, 1);
    free (ids);

    panda_error_t err;
    panda_hash_t two[2] = {s_hash (S_B), s_hash (S_A)};
    assert_int_equal (panda_view_id_validate (two, 0, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "expected one or more operation ids");
    assert_int_equal (panda_view_id_validate (two, 2, &err), PANDA_ERR_DECODE);
    assert_string_equal (err.message, "expected sorted operation ids in document view id");
    assert_int_equal (panda_view_id_validate (two + 1, 1, &err), PANDA_OK);
}

//  View hashes of document.json and hashes.json.
static void
test_view_id_hash_vectors (void **state)
{
    json_t *root = panda_test_vectors ("hashes.json");
    json_t *example = json_object_get (root, "document_view_hash_example");
    size_t len;
    uint8_t *input =
        panda_test_unhex (json_string_value (json_object_get (example, "hashed_input_hex")), &len);
    assert_int_equal (len % PANDA_HASH_SIZE, 0);
    panda_hash_t h;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_view_id_hash ((const panda_hash_t *) input, len / PANDA_HASH_SIZE, &h);
    assert_string_equal (panda_hash_to_hex (&h, hex),
                         json_string_value (json_object_get (example, "view_hash")));
    free (input);
    json_decref (root);

    root = panda_test_vectors ("document.json");
    size_t i, checked = 0;
    json_t *scenario;
    json_array_foreach (json_object_get (root, "scenarios"), i, scenario)
    {
        json_t *views = json_copy (json_object_get (scenario, "expected_historical_views"));
        if (!views)
            views = json_array ();
        json_array_append (views, json_object_get (scenario, "expected_latest"));
        size_t k;
        json_t *view;
        json_array_foreach (views, k, view)
        {
            const char *text = json_string_value (json_object_get (view, "view_id"));
            if (!text)
                continue; //  a failed build has no view
            panda_hash_t *ids;
            size_t n;
            assert_int_equal (panda_view_id_from_string (text, strlen (text), &ids, &n, NULL), PANDA_OK);
            panda_view_id_hash (ids, n, &h);
            assert_string_equal (panda_hash_to_hex (&h, hex),
                                 json_string_value (json_object_get (view, "view_hash")));
            char *back = panda_view_id_to_string_new (ids, n);
            assert_string_equal (back, text);
            free (back);
            free (ids);
            checked++;
        }
        json_decref (views);
    }
    assert_true (checked >= 15);
    json_decref (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_view_id_round_trip),
        cmocka_unit_test (test_view_id_rejects),
        cmocka_unit_test (test_view_id_hash_vectors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
