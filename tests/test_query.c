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
    if (rc != expect)
        fail_msg ("%s: rc %d: %s", args_json ? args_json : "-", rc, rc ? err.message : "");
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
                   "{\"first\":1,\"after\":\"" CURSOR_A
                   "\",\"orderBy\":\"DOCUMENT_ID\",\"orderDirection\":\"ASC\","
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
    s_coll (&fx, fx.sid, "{\"first\":0}", PANDA_ERR_INVALID,
            "out of range integral type conversion attempted");
    s_coll (&fx, fx.sid, "{\"first\":-3}", PANDA_ERR_INVALID,
            "out of range integral type conversion attempted");
    s_coll (&fx, fx.sid, "{\"filter\":\"hello\"}", PANDA_ERR_INVALID, "internal: is not an object");
    s_coll (&fx, fx.sid, "{\"meta\":\"hello\"}", PANDA_ERR_INVALID, "internal: is not an object");
    s_coll (&fx, fx.sid, "{\"first\":1001}", PANDA_ERR_LIMIT,
            "`first` must not be greater than 1000 (graphql_max_page_size)");
    s_coll (&fx, fx.sid, "{\"first\":1,\"last\":1}", PANDA_ERR_INVALID,
            "Use either `first` or `last`, not both");
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
    char *unknown = panda_base58_encode (
        (const uint8_t *) "0000000000000000000000000000000000000000000000000000000000000000", 64);
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

// ---------------------------------------------------------------------------
//  A richer fixture: things (every field kind) pointing at children.

static const char *
s_tid (char c, int n, char out[PANDA_HASH_HEX_SIZE + 1])
{
    snprintf (out, PANDA_HASH_HEX_SIZE + 1, "0020%c%063d", c, n);
    return out;
}

#define OTHER_OWNER "1111111111111111111111111111111111111111111111111111111111111111"

static void
s_fixture (fixture_t *fx)
{
    tq_open (&fx->db);
    char h[PANDA_HASH_HEX_SIZE + 1], id[PANDA_HASH_HEX_SIZE + 1];
    snprintf (fx->cid, sizeof fx->cid, "children_%s", tq_id ("children", h));
    snprintf (fx->sid, sizeof fx->sid, "things_%s", tq_id ("things", h));
    fx->children = tq_schema (&fx->db, fx->cid, "children", "name", "str", "n", "int", NULL);
    char rel[160], pin[160], rl[160], prl[160];
    snprintf (rel, sizeof rel, "relation(%s)", fx->cid);
    snprintf (pin, sizeof pin, "pinned_relation(%s)", fx->cid);
    snprintf (rl, sizeof rl, "relation_list(%s)", fx->cid);
    snprintf (prl, sizeof prl, "pinned_relation_list(%s)", fx->cid);
    fx->things = tq_schema (&fx->db, fx->sid, "things", "b", "bool", "f", "float", "i", "int", "s", "str",
                            "x", "bytes", "r", rel, "pr", pin, "rl", rl, "prl", prl, NULL);
    //  children: c0 was updated ("zero-old" -> "zero"), c4 is deleted
    static const char *const kids[] = {"{\"name\":\"zero-old\",\"n\":0}", "{\"name\":\"one\",\"n\":1}",
                                       "{\"name\":\"Two\",\"n\":2}", "{\"name\":\"three\",\"n\":3}",
                                       "{\"name\":\"four\",\"n\":4}"};
    for (int c = 0; c < 5; c++)
        fx->rows[8 + c] = tq_doc (&fx->db, fx->children, s_tid ('c', c, id), NULL, kids[c]);
    int64_t v =
        tq_view (&fx->db, fx->children, fx->rows[8], s_tid ('d', 0, id), id, "{\"name\":\"zero\",\"n\":0}");
    tq_update (&fx->db, fx->rows[8], v);
    tq_delete (&fx->db, fx->rows[12]);
    char c0[69], c1[69], c2[69], c3[69], c4[69], json[2048];
    s_tid ('c', 0, c0), s_tid ('c', 1, c1), s_tid ('c', 2, c2), s_tid ('c', 3, c3), s_tid ('c', 4, c4);
    snprintf (json, sizeof json,
              "{\"b\":true,\"f\":1.5,\"i\":10,\"s\":\"apple\",\"x\":\"00ff\",\"r\":\"%s\",\"pr\":\"%s\","
              "\"rl\":[\"%s\",\"%s\",\"%s\"],\"prl\":[\"%s\",\"%s\"]}",
              c0, c0, c0, c1, c0, c1, c2);
    fx->rows[0] = tq_doc (&fx->db, fx->things, s_tid ('a', 0, id), NULL, json);
    snprintf (json, sizeof json,
              "{\"b\":false,\"f\":-2.0,\"i\":20,\"s\":\"Banana\",\"x\":\"0100\",\"r\":\"%s\",\"pr\":\"%s\","
              "\"rl\":[],\"prl\":[]}",
              c1, c1);
    fx->rows[1] = tq_doc (&fx->db, fx->things, s_tid ('a', 1, id), NULL, json);
    snprintf (json, sizeof json,
              "{\"b\":true,\"f\":3.25,\"i\":10,\"s\":\"cherry pie\",\"x\":\"\",\"r\":\"%s\",\"pr\":\"%s\","
              "\"rl\":[\"%s\",\"%s\",\"%s\"],\"prl\":[\"%s\"]}",
              c4, c2, c2, c4, c3, c0);
    fx->rows[2] = tq_doc (&fx->db, fx->things, s_tid ('a', 2, id), NULL, json);
    snprintf (json, sizeof json,
              "{\"b\":false,\"f\":0.0,\"i\":30,\"s\":\"apple\",\"x\":\"ab\",\"r\":\"%s\",\"pr\":\"%s\","
              "\"rl\":[\"%s\"],\"prl\":[]}",
              c2, c3, c0);
    fx->rows[3] = tq_doc (&fx->db, fx->things, s_tid ('a', 3, id), OTHER_OWNER, json);
    v = tq_view (&fx->db, fx->things, fx->rows[3], s_tid ('f', 3, id), id, json); //  an UPDATE
    tq_update (&fx->db, fx->rows[3], v);
    fx->rows[4] = tq_doc (&fx->db, fx->things, s_tid ('a', 4, id), NULL, json);
    tq_delete (&fx->db, fx->rows[4]);
    fx->q = NULL;
    s_reopen (fx);
}

static void
s_fixture_end (fixture_t *fx)
{
    panda_query_destroy (&fx->q);
    panda_schema_destroy (&fx->things);
    panda_schema_destroy (&fx->children);
    tq_close (&fx->db);
}

//  "t0,t2": the items of page by the letter+number of their ids.
static void
s_names (const panda_query_page_t *page, char *out, size_t size)
{
    out[0] = 0;
    for (size_t i = 0; i < panda_query_page_count (page); i++) {
        const char *id = panda_query_item_document_id (page, i);
        char name[16];
        snprintf (name, sizeof name, "%s%c%d", i ? "," : "", id[4] == 'a' ? 't' : id[4], atoi (id + 5));
        strncat (out, name, size - strlen (out) - 1);
    }
}

static void
s_expect (fixture_t *fx, const char *sid, const char *args, const char *names)
{
    panda_query_page_t *page = s_coll (fx, sid, args, PANDA_OK, NULL);
    char got[256];
    s_names (page, got, sizeof got);
    if (strcmp (got, names) != 0)
        fail_msg ("%s: got [%s], expected [%s]", args, got, names);
    panda_query_page_unref (&page);
}

static void
test_query_filters (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    const char *sid = fx.sid;
    s_expect (&fx, sid, NULL, "t0,t1,t2,t3");
    //  bool: a later eq/notEq replaces an earlier one
    s_expect (&fx, sid, "{\"filter\":{\"b\":{\"eq\":true}}}", "t0,t2");
    s_expect (&fx, sid, "{\"filter\":{\"b\":{\"notEq\":true}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"b\":{\"eq\":true,\"notEq\":true}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"b\":{\"notEq\":true,\"eq\":true}}}", "t0,t2");
    //  int: eq/in merge as OR, notEq/notIn into one set, bounds replace
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"eq\":10}}}", "t0,t2");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"in\":[20,30]}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"eq\":10,\"in\":[30]}}}", "t0,t2,t3");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"in\":[]}}}", "");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"notIn\":[10]}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"notEq\":10,\"notIn\":[20]}}}", "t3");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"eq\":10,\"notEq\":10}}}", "");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"gt\":10}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"gte\":20,\"lt\":30}}}", "t1");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"gt\":25,\"gte\":20}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"gte\":30,\"lt\":30}}}", "");
    s_expect (&fx, sid, "{\"filter\":{\"i\":{\"lte\":10}}}", "t0,t2");
    //  float, integer literals accepted
    s_expect (&fx, sid, "{\"filter\":{\"f\":{\"gt\":0}}}", "t0,t2");
    s_expect (&fx, sid, "{\"filter\":{\"f\":{\"lte\":0.0}}}", "t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"f\":{\"eq\":1.5}}}", "t0");
    s_expect (&fx, sid, "{\"filter\":{\"f\":{\"notIn\":[1.5,-2]}}}", "t2,t3");
    //  str: byte-wise comparison, contains ASCII case-insensitive, % literal
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"eq\":\"apple\"}}}", "t0,t3");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"eq\":\"Apple\"}}}", "");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"contains\":\"AN\"}}}", "t1");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"contains\":\"pie\"}}}", "t2");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"contains\":\"%\"}}}", "");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"notContains\":\"a\"}}}", "t2");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"gt\":\"apple\"}}}", "t2");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"lt\":\"apple\"}}}", "t1");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"eq\":\"apple\",\"in\":[\"Banana\"]}}}", "t0,t1,t3");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"notEq\":\"apple\",\"in\":[\"Banana\",\"apple\"]}}}", "t1");
    s_expect (&fx, sid, "{\"filter\":{\"s\":{\"contains\":\"p\",\"notContains\":\"pie\"}}}", "t0,t3");
    //  bytes
    s_expect (&fx, sid, "{\"filter\":{\"x\":{\"eq\":\"00FF\"}}}", "t0");
    s_expect (&fx, sid, "{\"filter\":{\"x\":{\"eq\":\"\"}}}", "t2");
    s_expect (&fx, sid, "{\"filter\":{\"x\":{\"notEq\":\"ab\"}}}", "t0,t1,t2");
    //  relations and relation lists (in / notIn: any item)
    char c0[69], c1[69], c2[69], args[512];
    s_tid ('c', 0, c0), s_tid ('c', 1, c1), s_tid ('c', 2, c2);
    snprintf (args, sizeof args, "{\"filter\":{\"r\":{\"eq\":\"%s\"}}}", c1);
    s_expect (&fx, sid, args, "t1");
    snprintf (args, sizeof args, "{\"filter\":{\"r\":{\"notEq\":\"%s\"}}}", c0);
    s_expect (&fx, sid, args, "t1,t2,t3");
    snprintf (args, sizeof args, "{\"filter\":{\"r\":{\"in\":[\"%s\",\"%s\"]}}}", c0, c2);
    s_expect (&fx, sid, args, "t0,t3");
    snprintf (args, sizeof args, "{\"filter\":{\"pr\":{\"eq\":\"%s\"}}}", c2);
    s_expect (&fx, sid, args, "t2");
    snprintf (args, sizeof args, "{\"filter\":{\"rl\":{\"in\":[\"%s\"]}}}", c1);
    s_expect (&fx, sid, args, "t0");
    snprintf (args, sizeof args, "{\"filter\":{\"rl\":{\"notIn\":[\"%s\"]}}}", c0);
    s_expect (&fx, sid, args, "t0,t2");
    snprintf (args, sizeof args, "{\"filter\":{\"prl\":{\"in\":[\"%s\"]}}}", c0);
    s_expect (&fx, sid, args, "t2");
    //  several fields are ANDed
    s_expect (&fx, sid, "{\"filter\":{\"b\":{\"eq\":false},\"s\":{\"eq\":\"apple\"}}}", "t3");
    s_coll (&fx, sid, "{\"filter\":{\"nope\":{\"eq\":1}}}", PANDA_ERR_INVALID, NULL);
    s_fixture_end (&fx);
}

static void
test_query_meta (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    const char *sid = fx.sid;
    char t0[69], t1[69], t3[69], v3[69], args[512];
    s_tid ('a', 0, t0), s_tid ('a', 1, t1), s_tid ('a', 3, t3), s_tid ('f', 3, v3);
    snprintf (args, sizeof args, "{\"meta\":{\"documentId\":{\"eq\":\"%s\"}}}", t1);
    s_expect (&fx, sid, args, "t1");
    snprintf (args, sizeof args, "{\"meta\":{\"documentId\":{\"notEq\":\"%s\"}}}", t1);
    s_expect (&fx, sid, args, "t0,t2,t3");
    snprintf (args, sizeof args, "{\"meta\":{\"documentId\":{\"in\":[\"%s\",\"%s\"]}}}", t0, t3);
    s_expect (&fx, sid, args, "t0,t3");
    snprintf (args, sizeof args, "{\"meta\":{\"documentId\":{\"eq\":\"%s\",\"notIn\":[\"%s\"]}}}", t0, t0);
    s_expect (&fx, sid, args, "");
    //  viewId is the current view
    snprintf (args, sizeof args, "{\"meta\":{\"viewId\":{\"eq\":\"%s\"}}}", v3);
    s_expect (&fx, sid, args, "t3");
    snprintf (args, sizeof args, "{\"meta\":{\"viewId\":{\"eq\":\"%s\"}}}", t3);
    s_expect (&fx, sid, args, "");
    s_expect (&fx, sid, "{\"meta\":{\"owner\":{\"eq\":\"" OTHER_OWNER "\"}}}", "t3");
    s_expect (&fx, sid, "{\"meta\":{\"owner\":{\"notEq\":\"" OTHER_OWNER "\"}}}", "t0,t1,t2");
    //  edited / deleted with a correct notEq (node-api §14.6)
    s_expect (&fx, sid, "{\"meta\":{\"edited\":{\"eq\":true}}}", "t3");
    s_expect (&fx, sid, "{\"meta\":{\"edited\":{\"notEq\":true}}}", "t0,t1,t2");
    s_expect (&fx, sid, "{\"meta\":{\"edited\":{\"eq\":false}}}", "t0,t1,t2");
    s_expect (&fx, sid, "{\"meta\":{\"deleted\":{\"eq\":true}}}", "");
    s_expect (&fx, sid, "{\"meta\":{\"deleted\":{\"notEq\":true}}}", "t0,t1,t2,t3");
    s_expect (&fx, sid, "{\"meta\":{\"deleted\":{\"eq\":false}}}", "t0,t1,t2,t3");
    s_expect (&fx, sid, "{\"meta\":{\"deleted\":{\"notEq\":false}}}", "");
    s_expect (&fx, sid, "{\"meta\":{\"edited\":{\"eq\":false}},\"filter\":{\"i\":{\"eq\":10}}}", "t0,t2");
    s_coll (&fx, sid, "{\"meta\":{\"bool\":{\"in\":[]}}}", PANDA_ERR_INVALID,
            "unknown field \"bool\" of type \"MetaFilterInputObject\"");
    s_fixture_end (&fx);
}

//  Every page of args with page size n, forward (first/after) and backward
//  (last/before), joined, equals the one-page answer.
static void
s_walk (fixture_t *fx, const char *sid, const char *order, const char *expected)
{
    for (int n = 1; n <= 3; n++)
        for (int backward = 0; backward < 2; backward++) {
            char all[600] = "", args[1024], got[256];
            char *cursor = NULL;
            bool more = true;
            int pages = 0;
            while (more && pages++ < 20) {
                if (cursor)
                    snprintf (args, sizeof args, "{%s%s\"%s\":%d,\"%s\":\"%s\"}", order, *order ? "," : "",
                              backward ? "last" : "first", n, backward ? "before" : "after", cursor);
                else
                    snprintf (args, sizeof args, "{%s%s\"%s\":%d}", order, *order ? "," : "",
                              backward ? "last" : "first", n);
                panda_query_page_t *page = s_coll (fx, sid, args, PANDA_OK, NULL);
                s_names (page, got, sizeof got);
                assert_true (panda_query_page_count (page) <= (size_t) n);
                assert_int_equal (cursor != NULL, backward ? panda_query_page_has_next (page)
                                                           : panda_query_page_has_previous (page));
                char joined[1200];
                if (backward)
                    snprintf (joined, sizeof joined, "%s%s%s", got, *got && *all ? "," : "", all);
                else
                    snprintf (joined, sizeof joined, "%s%s%s", all, *got && *all ? "," : "", got);
                assert_true (strlen (joined) < sizeof all);
                memcpy (all, joined, strlen (joined) + 1);
                more = backward ? panda_query_page_has_previous (page) : panda_query_page_has_next (page);
                free (cursor);
                const char *c =
                    backward ? panda_query_page_start_cursor (page) : panda_query_page_end_cursor (page);
                cursor = c ? strdup (c) : NULL;
                panda_query_page_unref (&page);
            }
            free (cursor);
            if (strcmp (all, expected) != 0)
                fail_msg ("%s n=%d %s: got [%s], expected [%s]", order, n, backward ? "backward" : "forward",
                          all, expected);
        }
}

static void
test_query_order_and_pages (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    const char *sid = fx.sid;
    s_walk (&fx, sid, "", "t0,t1,t2,t3");
    s_walk (&fx, sid, "\"orderDirection\":\"DESC\"", "t3,t2,t1,t0");
    s_walk (&fx, sid, "\"orderBy\":\"DOCUMENT_ID\",\"orderDirection\":\"DESC\"", "t3,t2,t1,t0");
    //  ties (i = 10 twice) broken by document id ascending
    s_walk (&fx, sid, "\"orderBy\":\"i\"", "t0,t2,t1,t3");
    s_walk (&fx, sid, "\"orderBy\":\"i\",\"orderDirection\":\"DESC\"", "t3,t1,t0,t2");
    //  strings case-insensitively, with a tie
    s_walk (&fx, sid, "\"orderBy\":\"s\"", "t0,t3,t1,t2");
    s_walk (&fx, sid, "\"orderBy\":\"s\",\"orderDirection\":\"DESC\"", "t2,t1,t0,t3");
    s_walk (&fx, sid, "\"orderBy\":\"f\"", "t1,t3,t0,t2");
    s_walk (&fx, sid, "\"orderBy\":\"b\",\"orderDirection\":\"DESC\"", "t0,t2,t1,t3");
    s_walk (&fx, sid, "\"orderBy\":\"x\"", "t2,t0,t1,t3");
    s_walk (&fx, sid, "\"orderBy\":\"DOCUMENT_VIEW_ID\",\"orderDirection\":\"DESC\"", "t3,t2,t1,t0");
    s_walk (&fx, sid, "\"orderBy\":\"OWNER\"", "t3,t0,t1,t2");
    s_walk (&fx, sid, "\"orderBy\":\"i\",\"filter\":{\"s\":{\"contains\":\"p\"}}", "t0,t2,t3");
    s_coll (&fx, sid, "{\"orderBy\":\"HELLO\"}", PANDA_ERR_INVALID, NULL);
    s_fixture_end (&fx);
}

//  The page of list field `field` of thing n (a one-item page by id).
static panda_query_page_t *
s_list (fixture_t *fx, int n, const char *field, const char *args_json, panda_err_t expect)
{
    char id[69];
    panda_error_t err;
    panda_query_page_t *parent = NULL, *page = NULL;
    assert_int_equal (panda_query_document (fx->q, fx->sid, s_tid ('a', n, id), NULL, &parent, &err),
                      PANDA_OK);
    assert_int_equal (panda_query_page_count (parent), 1);
    json_t *args = args_json ? json_loads (args_json, 0, NULL) : NULL;
    static const char *const sel[] = {"name"};
    panda_err_t rc = panda_query_list (fx->q, parent, 0, field, args, sel, 1, &page, &err);
    json_decref (args);
    if (rc != expect)
        fail_msg ("%s: rc %d: %s", args_json ? args_json : "-", rc, rc ? err.message : "");
    panda_query_page_unref (&parent);
    return page;
}

static void
s_expect_list (fixture_t *fx, int n, const char *field, const char *args, const char *names, int64_t total)
{
    panda_query_page_t *page = s_list (fx, n, field, args, PANDA_OK);
    char got[256];
    s_names (page, got, sizeof got);
    if (strcmp (got, names) != 0)
        fail_msg ("t%d.%s %s: got [%s], expected [%s]", n, field, args ? args : "", got, names);
    int64_t count;
    panda_error_t err;
    assert_int_equal (panda_query_page_total (fx->q, page, &count, &err), PANDA_OK);
    assert_int_equal (count, total);
    panda_query_page_unref (&page);
}

static void
test_query_lists (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    //  list order, duplicates kept, deleted targets skipped, empty lists
    s_expect_list (&fx, 0, "rl", NULL, "c0,c1,c0", 3);
    s_expect_list (&fx, 0, "rl", "{\"orderDirection\":\"DESC\"}", "c0,c1,c0", 3);
    s_expect_list (&fx, 2, "rl", NULL, "c2,c3", 2);
    s_expect_list (&fx, 1, "rl", NULL, "", 0);
    s_expect_list (&fx, 1, "prl", NULL, "", 0);
    s_expect_list (&fx, 0, "prl", NULL, "c1,c2", 2);
    //  own arguments: filter, order (ties by list position), page size
    s_expect_list (&fx, 0, "rl", "{\"filter\":{\"name\":{\"eq\":\"zero\"}}}", "c0,c0", 2);
    s_expect_list (&fx, 0, "rl", "{\"orderBy\":\"name\"}", "c1,c0,c0", 3);
    s_expect_list (&fx, 0, "rl", "{\"orderBy\":\"name\",\"orderDirection\":\"DESC\"}", "c0,c0,c1", 3);
    s_expect_list (&fx, 0, "rl", "{\"first\":2}", "c0,c1", 3);
    s_expect_list (&fx, 0, "rl", "{\"last\":2}", "c1,c0", 3);
    //  the pinned list resolves the pinned (older) view (node-api §14.7)
    panda_query_page_t *page = s_list (&fx, 2, "prl", NULL, PANDA_OK);
    assert_int_equal (panda_query_page_count (page), 1);
    assert_string_equal (json_string_value (panda_query_item_value (page, 0, "name")), "zero-old");
    char id[69];
    assert_string_equal (panda_query_item_view_id (page, 0), s_tid ('c', 0, id));
    panda_query_page_unref (&page);
    //  paging over duplicates: cursors differ per list position
    page = s_list (&fx, 0, "rl", "{\"first\":2}", PANDA_OK);
    assert_true (panda_query_page_has_next (page));
    assert_string_not_equal (panda_query_item_cursor (page, 0), panda_query_item_cursor (page, 1));
    char args[512];
    snprintf (args, sizeof args, "{\"first\":2,\"after\":\"%s\"}", panda_query_page_end_cursor (page));
    s_expect_list (&fx, 0, "rl", args, "c0", 3);
    //  ... scoped to their parent: on another list or at the top, ignored
    s_expect_list (&fx, 2, "rl", args, "c2,c3", 2);
    s_expect (&fx, fx.sid, args, "t0,t1");
    panda_query_page_unref (&page);
    //  and a top-level cursor is ignored on a list
    page = s_coll (&fx, fx.sid, "{\"first\":1}", PANDA_OK, NULL);
    snprintf (args, sizeof args, "{\"after\":\"%s\"}", panda_query_page_end_cursor (page));
    s_expect_list (&fx, 0, "rl", args, "c0,c1,c0", 3);
    panda_query_page_unref (&page);
    page = s_list (&fx, 0, "r", NULL, PANDA_ERR_INVALID);
    s_fixture_end (&fx);
}

static void
test_query_documents_and_relations (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    panda_error_t err;
    panda_query_page_t *page = NULL, *target = NULL;
    char id[69];
    //  by id: the current view; by view id: that view, also an older pinned one
    assert_int_equal (panda_query_document (fx.q, fx.cid, s_tid ('c', 0, id), NULL, &page, &err), PANDA_OK);
    assert_int_equal (panda_query_page_count (page), 1);
    assert_string_equal (json_string_value (panda_query_item_value (page, 0, "name")), "zero");
    assert_string_equal (panda_query_item_view_id (page, 0), s_tid ('d', 0, id));
    assert_string_equal (panda_query_page_start_cursor (page), panda_query_item_cursor (page, 0));
    panda_query_page_unref (&page);
    assert_int_equal (panda_query_document (fx.q, fx.cid, NULL, s_tid ('c', 0, id), &page, &err), PANDA_OK);
    assert_int_equal (panda_query_page_count (page), 1);
    assert_string_equal (json_string_value (panda_query_item_value (page, 0, "name")), "zero-old");
    assert_string_equal (panda_query_item_document_id (page, 0), id);
    panda_query_page_unref (&page);
    //  deleted, unknown, or of another schema (node-api §14.8): nothing
    static const struct {
        char letter;
        int n;
        bool view, things;
    } none[] = {{'c', 4, false, false}, {'c', 4, true, false}, {'a', 4, false, true}, {'c', 9, false, false},
                {'a', 0, false, false}, {'c', 0, false, true}, {'d', 0, true, true}};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        s_tid (none[i].letter, none[i].n, id);
        assert_int_equal (panda_query_document (fx.q, none[i].things ? fx.sid : fx.cid,
                                                none[i].view ? NULL : id, none[i].view ? id : NULL, &page,
                                                &err),
                          PANDA_OK);
        assert_int_equal (panda_query_page_count (page), 0);
        assert_null (panda_query_page_end_cursor (page));
        panda_query_page_unref (&page);
    }
    //  relations of a whole page at once: current view, pinned view, deleted
    page = s_coll (&fx, fx.sid, NULL, PANDA_OK, NULL);
    static const char *const rel[] = {"zero", "one", NULL, "Two"};
    static const char *const pin[] = {"zero-old", "one", "Two", "three"};
    for (size_t i = 0; i < 4; i++) {
        size_t at;
        assert_int_equal (panda_query_relation (fx.q, page, i, "r", &target, &at, &err), PANDA_OK);
        if (!rel[i])
            assert_null (target);
        else
            assert_string_equal (json_string_value (panda_query_item_value (target, at, "name")), rel[i]);
        assert_int_equal (panda_query_relation (fx.q, page, i, "pr", &target, &at, &err), PANDA_OK);
        assert_string_equal (json_string_value (panda_query_item_value (target, at, "name")), pin[i]);
    }
    size_t at;
    assert_int_equal (panda_query_relation (fx.q, page, 0, "rl", &target, &at, &err), PANDA_ERR_INVALID);
    panda_query_page_unref (&page);
    s_fixture_end (&fx);
}

//  A small per-request budget stops big answers with a clear error.
static void
test_query_budget (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    panda_query_destroy (&fx.q);
    panda_error_t err;
    fx.q = panda_query_new (fx.db.path, 2, 5, &err);
    assert_non_null (fx.q);
    assert_int_equal (panda_query_begin (fx.q, &err), PANDA_OK);
    s_coll (&fx, fx.sid, "{\"first\":3}", PANDA_ERR_LIMIT,
            "`first` must not be greater than 2 (graphql_max_page_size)");
    panda_query_page_t *page = s_coll (&fx, fx.sid, "{\"first\":2}", PANDA_OK, NULL);
    panda_query_page_unref (&page);
    page = s_coll (&fx, fx.sid, "{\"first\":2}", PANDA_OK, NULL);
    panda_query_page_unref (&page);
    s_coll (&fx, fx.sid, "{\"first\":2}", PANDA_ERR_LIMIT,
            "Query is too expensive: more than 5 documents in one request; use smaller pages");
    //  a new request has a new budget
    assert_int_equal (panda_query_begin (fx.q, &err), PANDA_OK);
    page = s_coll (&fx, fx.sid, "{\"first\":2}", PANDA_OK, NULL);
    panda_query_page_unref (&page);
    s_fixture_end (&fx);
}

//  SQLite calls a progress handler while a statement runs: one that says
//  stop interrupts the query, and without it the same query runs.
static int
s_stop_after (void *ctx)
{
    int *calls = ctx;
    return ++*calls > 1;
}

static void
test_query_progress_stops (void **state)
{
    fixture_t fx;
    s_fixture (&fx);
    int calls = 0;
    panda_query_set_progress (fx.q, 1, s_stop_after, &calls);
    panda_error_t err;
    panda_query_page_t *page = NULL;
    assert_int_not_equal (panda_query_collection (fx.q, fx.sid, NULL, NULL, 0, &page, &err), PANDA_OK);
    assert_non_null (strstr (err.message, "interrupted"));
    assert_true (calls > 1);
    panda_query_set_progress (fx.q, 1, NULL, NULL);
    assert_int_equal (panda_query_begin (fx.q, &err), PANDA_OK);
    page = s_coll (&fx, fx.sid, NULL, PANDA_OK, NULL);
    assert_true (panda_query_page_count (page) > 0);
    panda_query_page_unref (&page);
    s_fixture_end (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_query_collection_vector),
        cmocka_unit_test (test_query_filters),
        cmocka_unit_test (test_query_meta),
        cmocka_unit_test (test_query_order_and_pages),
        cmocka_unit_test (test_query_lists),
        cmocka_unit_test (test_query_documents_and_relations),
        cmocka_unit_test (test_query_budget),
        cmocka_unit_test (test_query_progress_stops),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
