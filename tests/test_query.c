/*  test_query.c - the query engine over a views database filled with
    direct SQL (node-api §6.2-6.6, §13 collection_query, §14 fixes).       */
#include "panda_test.h"
#include "test_query.h"

#define DOC_A "002015d927155173a6cc09531864d4f95c88a5ac910c5a17bf223f075b1cc438a511"
#define DOC_B "00204ca0609fc55756c2aed7045f72b62bedeff7c96e4900b3aa29f7106f4a70baf1"
#define CURSOR_A "27ECgmQpeuQwMKtCZxkbJUtCvkZDLuayQKv9zkV5uKx1xMHBeeSBasdhvoZwcgXLC5mnv7QR9HW11gjhH57D1mjs"
#define CURSOR_B "32Zn29gCkVQfdCBqnau1WWu4xVKYjmU5F1SPgoZ3sW6GALcbY22EGxEL2K8aNRPQaxppPGfUjSR41Xg9NyayD613"

typedef struct {
    tq_db_t db;
    panda_query_t *q;
    char sid[100], cid[100]; //  schema ids: things, children
    panda_schema_t *things, *children;
    char names[16][PANDA_HASH_HEX_SIZE + 1]; //  document ids of t0..t15 / c0..
    int64_t rows[16];
} fixture_t;

static panda_query_page_t *
s_coll (fixture_t *fx, const char *sid, const char *args_json, panda_err_t expect, const char *message)
{
    json_t *args = args_json ? json_loads (args_json, 0, NULL) : NULL;
    assert_true (!args_json || args);
    panda_error_t err;
    panda_query_page_t *page = NULL;
    static const char *const sel[] = {"bool", "data"};
    panda_err_t rc = panda_query_collection (fx->q, sid, args, sel, 2, &page, &err);
    json_decref (args);
    assert_int_equal (rc, expect);
    if (message)
        assert_string_equal (err.message, message);
    return page;
}

static void
s_reopen (fixture_t *fx)
{
    panda_query_destroy (&fx->q);
    panda_error_t err;
    fx->q = panda_query_new (fx->db.path, 0, 0, &err);
    assert_non_null (fx->q);
    assert_int_equal (panda_query_begin (fx->q, &err), PANDA_OK);
}

//  aquadoggo's collection_query: two documents of {bool, data}, cursors
//  and meta exactly as its test expects (cases 1-4, 13, 17).
static void
test_query_collection_vector (void **state)
{
    fixture_t fx;
    tq_open (&fx.db);
    char h[PANDA_HASH_HEX_SIZE + 1];
    snprintf (fx.sid, sizeof fx.sid, "collection_%s", tq_id ("collection", h));
    panda_schema_t *s = tq_schema (&fx.db, fx.sid, "collection", "bool", "bool", "data", "bytes", NULL);
    tq_doc (&fx.db, s, DOC_B, NULL, "{\"bool\":true,\"data\":\"00010203\"}");
    tq_doc (&fx.db, s, DOC_A, NULL, "{\"bool\":false,\"data\":\"04050607\"}");
    fx.q = NULL;
    s_reopen (&fx);
    //  1: no arguments.
    panda_query_page_t *page = s_coll (&fx, fx.sid, NULL, PANDA_OK, NULL);
    assert_int_equal (panda_query_page_count (page), 2);
    assert_string_equal (panda_query_item_document_id (page, 0), DOC_A);
    assert_string_equal (panda_query_item_view_id (page, 0), DOC_A);
    assert_string_equal (panda_query_item_owner (page, 0), tq_owner_hex);
    assert_string_equal (panda_query_item_cursor (page, 0), CURSOR_A);
    assert_string_equal (panda_query_item_cursor (page, 1), CURSOR_B);
    assert_string_equal (panda_query_page_end_cursor (page), CURSOR_B);
    assert_false (json_is_true (panda_query_item_value (page, 0, "bool")));
    assert_string_equal (json_string_value (panda_query_item_value (page, 0, "data")), "04050607");
    assert_true (json_is_true (panda_query_item_value (page, 1, "bool")));
    assert_false (panda_query_page_has_next (page));
    int64_t total = 0;
    panda_error_t err;
    assert_int_equal (panda_query_page_total (fx.q, page, &total, &err), PANDA_OK);
    assert_int_equal (total, 2);
    panda_query_page_unref (&page);
    //  2: after the first document, filtered to it: an empty page.
    page = s_coll (&fx, fx.sid,
                   "{\"first\":1,\"after\":\"" CURSOR_A "\",\"orderBy\":\"DOCUMENT_ID\",\"orderDirection\":\"ASC\","
                   "\"filter\":{\"bool\":{\"eq\":false}}}",
                   PANDA_OK, NULL);
    assert_int_equal (panda_query_page_count (page), 0);
    assert_null (panda_query_page_end_cursor (page));
    assert_false (panda_query_page_has_next (page));
    assert_int_equal (panda_query_page_total (fx.q, page, &total, &err), PANDA_OK);
    assert_int_equal (total, 1);
    panda_query_page_unref (&page);
    //  3: bytes filter.
    page = s_coll (&fx, fx.sid, "{\"first\":2,\"filter\":{\"data\":{\"eq\":\"00010203\"}}}", PANDA_OK, NULL);
    assert_int_equal (panda_query_page_count (page), 1);
    assert_string_equal (panda_query_page_end_cursor (page), CURSOR_B);
    panda_query_page_unref (&page);
    //  bytes filter values are case-insensitive hex
    page = s_coll (&fx, fx.sid, "{\"filter\":{\"data\":{\"notEq\":\"0405060A\"}}}", PANDA_OK, NULL);
    assert_int_equal (panda_query_page_count (page), 2);
    panda_query_page_unref (&page);
    //  4, 13, 17 and the limits.
    s_coll (&fx, fx.sid, "{\"first\":0}", PANDA_ERR_INVALID, "out of range integral type conversion attempted");
    s_coll (&fx, fx.sid, "{\"first\":-3}", PANDA_ERR_INVALID, "out of range integral type conversion attempted");
    s_coll (&fx, fx.sid, "{\"filter\":\"hello\"}", PANDA_ERR_INVALID, "internal: is not an object");
    s_coll (&fx, fx.sid, "{\"meta\":\"hello\"}", PANDA_ERR_INVALID, "internal: is not an object");
    s_coll (&fx, fx.sid, "{\"first\":1001}", PANDA_ERR_LIMIT,
            "`first` must not be greater than 1000 (graphql_max_page_size)");
    s_coll (&fx, fx.sid, "{\"first\":1,\"last\":1}", PANDA_ERR_INVALID, "Use either `first` or `last`, not both");
    //  null arguments are absent (node-api §14.18)
    page = s_coll (&fx, fx.sid,
                   "{\"first\":null,\"after\":null,\"orderBy\":null,\"orderDirection\":null,\"filter\":null,"
                   "\"meta\":null}",
                   PANDA_OK, NULL);
    assert_int_equal (panda_query_page_count (page), 2);
    panda_query_page_unref (&page);
    //  cursors are untrusted: garbage is refused, an unknown one is an error
    s_coll (&fx, fx.sid, "{\"after\":\"0OIl\"}", PANDA_ERR_INVALID,
            "Invalid value for argument \"after\", expected type \"Cursor\"");
    char *unknown = panda_base58_encode ((const uint8_t *) "0000000000000000000000000000000000000000000000000000000000000000", 64);
    char args[256];
    snprintf (args, sizeof args, "{\"after\":\"%s\"}", unknown);
    free (unknown);
    s_coll (&fx, fx.sid, args, PANDA_ERR_NOT_FOUND, NULL);
    //  unknown schema
    s_coll (&fx, "nope_0020aaaa", NULL, PANDA_ERR_NOT_FOUND, NULL);
    panda_query_destroy (&fx.q);
    panda_schema_destroy (&s);
    tq_close (&fx.db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_query_collection_vector),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
