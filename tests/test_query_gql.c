/*  test_query_gql.c - the per-schema GraphQL queries end to end: the node
    schema built for a views database filled with direct SQL, executed with
    the api's resolvers (node-api §6, §13 collection_query, relation_fields,
    empty_pinned_relation_list, a_funny_bug..., take_me_to_the_karaoke).   */
#include "panda_test.h"
#include "test_query.h"
#include "panda_node_schema.h"
#include "api.h"

#define DOC_A "002015d927155173a6cc09531864d4f95c88a5ac910c5a17bf223f075b1cc438a511"
#define DOC_B "00204ca0609fc55756c2aed7045f72b62bedeff7c96e4900b3aa29f7106f4a70baf1"
#define CURSOR_A "27ECgmQpeuQwMKtCZxkbJUtCvkZDLuayQKv9zkV5uKx1xMHBeeSBasdhvoZwcgXLC5mnv7QR9HW11gjhH57D1mjs"
#define CURSOR_B "32Zn29gCkVQfdCBqnau1WWu4xVKYjmU5F1SPgoZ3sW6GALcbY22EGxEL2K8aNRPQaxppPGfUjSR41Xg9NyayD613"
#define MAX_SCHEMAS 8

typedef struct {
    tq_db_t db;
    panda_schema_t *apps[MAX_SCHEMAS];
    size_t app_count;
    panda_gql_schema_t *schema;
    panda_api_worker_t worker;
} gfx_t;

static void
s_build (gfx_t *fx)
{
    const panda_schema_t *all[4 + MAX_SCHEMAS];
    static const char *const system[] = {"schema_definition_v1", "schema_field_definition_v1", "blob_v1",
                                         "blob_piece_v1"};
    for (size_t i = 0; i < 4; i++)
        all[i] = panda_schema_system (system[i]);
    for (size_t i = 0; i < fx->app_count; i++)
        all[4 + i] = fx->apps[i];
    panda_error_t err;
    fx->schema = panda_node_schema_build (all, 4 + fx->app_count, &err);
    if (!fx->schema)
        fail_msg ("%s", err.message);
    memset (&fx->worker, 0, sizeof fx->worker);
    fx->worker.views_path = strdup (fx->db.path);
}

static void
s_end (gfx_t *fx)
{
    panda_api_query_close (&fx->worker);
    panda_gql_schema_unref (&fx->schema);
    for (size_t i = 0; i < fx->app_count; i++)
        panda_schema_destroy (&fx->apps[i]);
    tq_close (&fx->db);
}

//  Run query (printf format); the response, caller owns.
static json_t *s_run (gfx_t *fx, const char *format, ...) PANDA_PRINTF (2, 3);

static json_t *
s_run (gfx_t *fx, const char *format, ...)
{
    char query[8192];
    va_list ap;
    va_start (ap, format);
    vsnprintf (query, sizeof query, format, ap);
    va_end (ap);
    panda_gql_resolvers_t resolvers = {panda_api_resolvers, PANDA_NODE_RESOLVE_COUNT};
    json_t *r = panda_gql_execute (fx->schema, NULL, query, strlen (query), NULL, NULL, &resolvers,
                                   &fx->worker, NULL);
    panda_api_query_end (&fx->worker);
    assert_non_null (r);
    return r;
}

//  The value at a dotted path ("data.c.documents.0.cursor"), borrowed.
static json_t *
s_at (json_t *root, const char *path)
{
    char buf[256];
    snprintf (buf, sizeof buf, "%s", path);
    json_t *v = root;
    for (char *part = strtok (buf, "."); part && v; part = strtok (NULL, "."))
        v = json_is_array (v) ? json_array_get (v, (size_t) atoi (part)) : json_object_get (v, part);
    return v;
}

static void
s_no_errors (json_t *r)
{
    if (json_object_get (r, "errors")) {
        char *dump = json_dumps (r, JSON_COMPACT);
        fail_msg ("unexpected errors: %s", dump);
    }
}

static void
s_error_is (json_t *r, const char *message)
{
    assert_true (json_is_null (json_object_get (r, "data")));
    assert_string_equal (json_string_value (s_at (r, "errors.0.message")), message);
}

static void
s_collection_fixture (gfx_t *fx, char *sid, size_t size)
{
    tq_open (&fx->db);
    char h[PANDA_HASH_HEX_SIZE + 1];
    snprintf (sid, size, "collection_%s", tq_id ("collection", h));
    fx->apps[0] = tq_schema (&fx->db, sid, "collection", "bool", "bool", "data", "bytes", NULL);
    fx->app_count = 1;
    tq_doc (&fx->db, fx->apps[0], DOC_B, NULL, "{\"bool\":true,\"data\":\"00010203\"}");
    tq_doc (&fx->db, fx->apps[0], DOC_A, NULL, "{\"bool\":false,\"data\":\"04050607\"}");
    s_build (fx);
}

#define DOCS_SELECTION "documents { cursor fields { bool data } meta { owner documentId viewId } }"

//  collection_query case 1 in full, then cases 2-4, 13, 17.
static void
test_gql_collection_query (void **state)
{
    gfx_t fx = {0};
    char sid[100];
    s_collection_fixture (&fx, sid, sizeof sid);
    json_t *r =
        s_run (&fx, "{ collection: all_%s { hasNextPage totalCount endCursor " DOCS_SELECTION " } }", sid);
    char expected[4096];
    snprintf (
        expected, sizeof expected,
        "{\"data\":{\"collection\":{\"hasNextPage\":false,\"totalCount\":2,\"endCursor\":\"%s\","
        "\"documents\":["
        "{\"cursor\":\"%s\",\"fields\":{\"bool\":false,\"data\":\"04050607\"},\"meta\":{\"owner\":\"%s\","
        "\"documentId\":\"%s\",\"viewId\":\"%s\"}},"
        "{\"cursor\":\"%s\",\"fields\":{\"bool\":true,\"data\":\"00010203\"},\"meta\":{\"owner\":\"%s\","
        "\"documentId\":\"%s\",\"viewId\":\"%s\"}}]}}}",
        CURSOR_B, CURSOR_A, tq_owner_hex, DOC_A, DOC_A, CURSOR_B, tq_owner_hex, DOC_B, DOC_B);
    json_t *want = json_loads (expected, 0, NULL);
    assert_non_null (want);
    if (!json_equal (r, want))
        fail_msg ("got %s", json_dumps (r, JSON_COMPACT));
    json_decref (want), json_decref (r);
    //  2
    r = s_run (&fx,
               "{ collection: all_%s (first: 1, after: \"" CURSOR_A
               "\", orderBy: DOCUMENT_ID, orderDirection: ASC,"
               " filter: { bool: { eq: false } }) { hasNextPage totalCount endCursor " DOCS_SELECTION " } }",
               sid);
    s_no_errors (r);
    want =
        json_loads ("{\"hasNextPage\":false,\"totalCount\":1,\"endCursor\":null,\"documents\":[]}", 0, NULL);
    assert_true (json_equal (s_at (r, "data.collection"), want));
    json_decref (want), json_decref (r);
    //  3
    r = s_run (&fx,
               "{ c: all_%s (first: 2, filter: { data: { eq: \"00010203\" } }) { totalCount "
               "endCursor " DOCS_SELECTION " } }",
               sid);
    assert_int_equal (json_integer_value (s_at (r, "data.c.totalCount")), 1);
    assert_string_equal (json_string_value (s_at (r, "data.c.endCursor")), CURSOR_B);
    json_decref (r);
    //  4, 13, 17
    r = s_run (&fx, "{ c: all_%s (first: 0) { totalCount } }", sid);
    s_error_is (r, "out of range integral type conversion attempted");
    json_decref (r);
    //  13, 17: the engine's validation refuses a non-object before the
    //  resolver would say "internal: is not an object" (as it does when
    //  called directly, test_query.c); data is null either way.
    r = s_run (&fx, "{ c: all_%s (filter: \"hello\") { totalCount } }", sid);
    assert_true (json_is_null (json_object_get (r, "data")));
    json_decref (r);
    r = s_run (&fx, "{ c: all_%s (meta: \"hello\") { totalCount } }", sid);
    assert_true (json_is_null (json_object_get (r, "data")));
    json_decref (r);
    //  null arguments are absent (node-api §14.18)
    r = s_run (&fx, "{ c: all_%s (first: null, after: null, orderBy: null, filter: null) { totalCount } }",
               sid);
    s_no_errors (r);
    assert_int_equal (json_integer_value (s_at (r, "data.c.totalCount")), 2);
    json_decref (r);
    //  the cursor follows the selection: only bool, or none (first field)
    r = s_run (&fx, "{ c: all_%s { endCursor documents { fields { bool } } } }", sid);
    json_t *only_bool = json_incref (s_at (r, "data.c.endCursor"));
    json_decref (r);
    r = s_run (&fx, "{ c: all_%s { endCursor documents { cursor } } }", sid);
    assert_true (json_equal (only_bool, s_at (r, "data.c.endCursor")));
    assert_string_not_equal (json_string_value (only_bool), CURSOR_B);
    json_decref (r), json_decref (only_bool);
    //  fragments count as selected
    r = s_run (&fx,
               "query { c: all_%s { endCursor documents { ...F } } } fragment F on %sItem { fields { ... on "
               "%sFields "
               "{ data } bool } }",
               sid, sid, sid);
    s_no_errors (r);
    assert_string_equal (json_string_value (s_at (r, "data.c.endCursor")), CURSOR_B);
    json_decref (r);
    //  backward paging and the extra page fields
    r = s_run (&fx, "{ c: all_%s (last: 1) { startCursor hasPreviousPage hasNextPage " DOCS_SELECTION " } }",
               sid);
    s_no_errors (r);
    assert_string_equal (json_string_value (s_at (r, "data.c.startCursor")), CURSOR_B);
    assert_true (json_is_true (s_at (r, "data.c.hasPreviousPage")));
    assert_false (json_is_true (s_at (r, "data.c.hasNextPage")));
    json_decref (r);
    r = s_run (&fx,
               "{ c: all_%s (last: 1, before: \"" CURSOR_B "\") { hasPreviousPage hasNextPage " DOCS_SELECTION
               " } }",
               sid);
    assert_string_equal (json_string_value (s_at (r, "data.c.documents.0.cursor")), CURSOR_A);
    assert_false (json_is_true (s_at (r, "data.c.hasPreviousPage")));
    assert_true (json_is_true (s_at (r, "data.c.hasNextPage")));
    json_decref (r);
    s_end (&fx);
}

//  single_query, single_query_error_handling, §14.8.
static void
test_gql_single (void **state)
{
    gfx_t fx = {0};
    char sid[100];
    s_collection_fixture (&fx, sid, sizeof sid);
    json_t *r =
        s_run (&fx,
               "{ byViewId: %s (viewId: \"" DOC_B "\") { fields { bool } } byDocumentId: %s (id: \"" DOC_B
               "\") { fields { bool } meta { documentId } } }",
               sid, sid);
    s_no_errors (r);
    assert_true (json_is_true (s_at (r, "data.byViewId.fields.bool")));
    assert_true (json_is_true (s_at (r, "data.byDocumentId.fields.bool")));
    assert_string_equal (json_string_value (s_at (r, "data.byDocumentId.meta.documentId")), DOC_B);
    json_decref (r);
    char unknown[69];
    tq_id ("unknown", unknown);
    r = s_run (&fx, "{ view: %s (id: \"%s\") { fields { bool } } }", sid, unknown);
    char *dump = json_dumps (r, JSON_COMPACT);
    assert_string_equal (dump, "{\"data\":{\"view\":null}}");
    free (dump);
    json_decref (r);
    r = s_run (&fx, "{ view: %s (viewId: \"%s\") { fields { bool } } }", sid, unknown);
    assert_true (json_is_null (s_at (r, "data.view")));
    json_decref (r);
    r = s_run (&fx, "{ view: %s { fields { bool } } }", sid);
    s_error_is (r, "Must provide either `id` or `viewId` argument");
    json_decref (r);
    r = s_run (&fx, "{ view: %s (id: \"" DOC_A "\", viewId: \"" DOC_A "\") { fields { bool } } }", sid);
    s_error_is (r, "Must only provide `id` or `viewId` argument");
    json_decref (r);
    r = s_run (&fx, "{ view: %s (id: null, viewId: \"" DOC_A "\") { fields { bool } } }", sid);
    s_no_errors (r);
    assert_false (json_is_true (s_at (r, "data.view.fields.bool")));
    json_decref (r);
    //  a document of another schema is null, not a crash
    r = s_run (&fx, "{ view: blob_v1 (id: \"" DOC_A "\") { fields { length } } }");
    s_no_errors (r);
    assert_true (json_is_null (s_at (r, "data.view")));
    json_decref (r);
    s_end (&fx);
}

static void
s_relation_fixture (gfx_t *fx, char *child, char *parent, size_t size)
{
    tq_open (&fx->db);
    char h[PANDA_HASH_HEX_SIZE + 1];
    snprintf (child, size, "child_%s", tq_id ("child", h));
    snprintf (parent, size, "parent_%s", tq_id ("parent", h));
    fx->apps[0] = tq_schema (&fx->db, child, "child", "it_works", "bool", NULL);
    char r[160], p[160], rl[160], prl[160];
    snprintf (r, sizeof r, "relation(%s)", child);
    snprintf (p, sizeof p, "pinned_relation(%s)", child);
    snprintf (rl, sizeof rl, "relation_list(%s)", child);
    snprintf (prl, sizeof prl, "pinned_relation_list(%s)", child);
    fx->apps[1] = tq_schema (&fx->db, parent, "parent", "by_pinned_relation", p, "by_pinned_relation_list",
                             prl, "by_relation", r, "by_relation_list", rl, NULL);
    fx->app_count = 2;
    char c[69], json[1024];
    tq_id ("c", c);
    tq_doc (&fx->db, fx->apps[0], c, NULL, "{\"it_works\":true}");
    snprintf (json, sizeof json,
              "{\"by_relation\":\"%s\",\"by_pinned_relation\":\"%s\",\"by_relation_list\":[\"%s\"],"
              "\"by_pinned_relation_list\":[\"%s\"]}",
              c, c, c, c);
    tq_doc (&fx->db, fx->apps[1], tq_id ("p", h), NULL, json);
    //  empty lists (empty_pinned_relation_list), and a dangling relation
    char gone[69];
    tq_id ("gone", gone);
    snprintf (json, sizeof json,
              "{\"by_relation\":\"%s\",\"by_pinned_relation\":\"%s\",\"by_relation_list\":[],"
              "\"by_pinned_relation_list\":[]}",
              gone, gone);
    tq_doc (&fx->db, fx->apps[1], tq_id ("q", h), NULL, json);
    s_build (fx);
}

//  relation_fields and empty_pinned_relation_list.
static void
test_gql_relations (void **state)
{
    gfx_t fx = {0};
    char child[100], parent[100], p[69], q[69];
    s_relation_fixture (&fx, child, parent, sizeof child);
    tq_id ("p", p), tq_id ("q", q);
    const char *sel =
        "fields { by_relation { fields { it_works } } by_pinned_relation { fields { it_works } }"
        " by_relation_list { totalCount endCursor hasNextPage documents { fields { it_works } } }"
        " by_pinned_relation_list { totalCount documents { fields { it_works } } } }";
    json_t *r = s_run (&fx, "{ p: %s (id: \"%s\") { %s } q: %s (id: \"%s\") { %s } }", parent, p, sel, parent,
                       q, sel);
    s_no_errors (r);
    assert_true (json_is_true (s_at (r, "data.p.fields.by_relation.fields.it_works")));
    assert_true (json_is_true (s_at (r, "data.p.fields.by_pinned_relation.fields.it_works")));
    assert_true (json_is_true (s_at (r, "data.p.fields.by_relation_list.documents.0.fields.it_works")));
    assert_true (
        json_is_true (s_at (r, "data.p.fields.by_pinned_relation_list.documents.0.fields.it_works")));
    assert_int_equal (json_integer_value (s_at (r, "data.p.fields.by_relation_list.totalCount")), 1);
    //  dangling relations are null, empty lists are empty pages
    assert_true (json_is_null (s_at (r, "data.q.fields.by_relation")));
    assert_true (json_is_null (s_at (r, "data.q.fields.by_pinned_relation")));
    json_t *empty =
        json_loads ("{\"totalCount\":0,\"endCursor\":null,\"hasNextPage\":false,\"documents\":[]}", 0, NULL);
    assert_true (json_equal (s_at (r, "data.q.fields.by_relation_list"), empty));
    json_decref (empty), json_decref (r);
    r = s_run (&fx,
               "{ all_%s { documents { fields { by_pinned_relation_list { documents { meta { documentId } } "
               "} } } } }",
               parent);
    s_no_errors (r);
    json_decref (r);
    s_end (&fx);
}

//  a_funny_bug_which_needs_squishing: identical documents, both fields.
static void
test_gql_identical_documents (void **state)
{
    gfx_t fx = {0};
    tq_open (&fx.db);
    char sid[100], h[69], id[69];
    snprintf (sid, sizeof sid, "funny_%s", tq_id ("funny", h));
    fx.apps[0] = tq_schema (&fx.db, sid, "funny", "one", "bool", "two", "bool", NULL);
    fx.app_count = 1;
    for (int i = 0; i < 4; i++) {
        char seed[8];
        snprintf (seed, sizeof seed, "f%d", i);
        tq_doc (&fx.db, fx.apps[0], tq_id (seed, id), NULL, "{\"one\":true,\"two\":false}");
    }
    s_build (&fx);
    json_t *r = s_run (&fx, "{ all_%s { totalCount documents { cursor fields { one two } } } }", sid);
    s_no_errors (r);
    char path[160];
    snprintf (path, sizeof path, "data.all_%s.documents", sid);
    assert_int_equal (json_array_size (s_at (r, path)), 4);
    json_decref (r);
    s_end (&fx);
}

// ---------------------------------------------------------------------------
//  take_me_to_the_karaoke, with our own 3 songs and 37 lines:
//  A "Natural's Not In" (45 items: m-lines, the migraine line 3 times,
//  m-lines again, bondage lines 0-13), B "Oh Bondage Up Yours!" (bondage
//  lines 0-21, m-lines 22-31: 32 items), C "Speed Of Life" (empty).

typedef struct {
    gfx_t fx;
    char songs[100], lyrics[100];
    char lines[37][69], song_ids[3][69];
} karaoke_t;

static void
s_karaoke (karaoke_t *k)
{
    memset (k, 0, sizeof *k);
    tq_open (&k->fx.db);
    char h[69], rl[160], seed[16], json[8192];
    snprintf (k->lyrics, sizeof k->lyrics, "lyrics_%s", tq_id ("lyrics", h));
    snprintf (k->songs, sizeof k->songs, "songs_%s", tq_id ("songs", h));
    snprintf (rl, sizeof rl, "relation_list(%s)", k->lyrics);
    k->fx.apps[0] = tq_schema (&k->fx.db, k->lyrics, "lyrics", "line", "str", NULL);
    k->fx.apps[1] = tq_schema (&k->fx.db, k->songs, "songs", "artist", "str", "lyrics", rl, "release_year",
                               "int", "title", "str", NULL);
    k->fx.app_count = 2;
    for (int l = 0; l < 37; l++) {
        snprintf (seed, sizeof seed, "line %d", l);
        tq_id (seed, k->lines[l]);
        if (l < 22)
            snprintf (json, sizeof json, "{\"line\":\"bondage line %d\"}", l);
        else if (l < 36)
            snprintf (json, sizeof json, "{\"line\":\"some more %d\"}", l);
        else
            snprintf (json, sizeof json, "{\"line\":\"This heaven gives me migraine\"}");
        tq_doc (&k->fx.db, k->fx.apps[0], k->lines[l], NULL, json);
    }
    static const int a_items[][2] = {{22, 36}, {36, 37}, {36, 37}, {36, 37}, {22, 36}, {0, 14}};
    static const int b_items[][2] = {{0, 22}, {22, 32}};
    static const char *const meta[3][3] = {{"Natural's Not In", "Gang Of Four", "1979"},
                                           {"Oh Bondage Up Yours!", "X-Ray Spex", "1977"},
                                           {"Speed Of Life", "David Bowie", "1977"}};
    for (int s = 0; s < 3; s++) {
        size_t n = snprintf (json, sizeof json,
                             "{\"title\":\"%s\",\"artist\":\"%s\",\"release_year\":%s,\"lyrics\":[",
                             meta[s][0], meta[s][1], meta[s][2]);
        const int (*ranges)[2] = s == 0 ? a_items : b_items;
        size_t nranges = s == 0 ? 6 : s == 1 ? 2 : 0;
        bool first = true;
        for (size_t r = 0; r < nranges; r++)
            for (int l = ranges[r][0]; l < ranges[r][1]; l++, first = false)
                n += snprintf (json + n, sizeof json - n, "%s\"%s\"", first ? "" : ",", k->lines[l]);
        snprintf (json + n, sizeof json - n, "]}");
        snprintf (seed, sizeof seed, "song %d", s);
        tq_doc (&k->fx.db, k->fx.apps[1], tq_id (seed, k->song_ids[s]), NULL, json);
    }
    s_build (&k->fx);
}

static int64_t
s_count (json_t *r, const char *path)
{
    return (int64_t) json_array_size (s_at (r, path));
}

static void
test_gql_karaoke (void **state)
{
    karaoke_t k;
    s_karaoke (&k);
    gfx_t *fx = &k.fx;
    const char *S = k.songs;
    json_t *r = s_run (fx, "{ s: all_%s { hasNextPage totalCount documents { fields { title } } } }", S);
    s_no_errors (r);
    assert_int_equal (s_count (r, "data.s.documents"), 3);
    assert_int_equal (json_integer_value (s_at (r, "data.s.totalCount")), 3);
    assert_false (json_is_true (s_at (r, "data.s.hasNextPage")));
    json_decref (r);
    r = s_run (
        fx,
        "{ s: all_%s (first: 2, orderBy: title, orderDirection: ASC) { hasNextPage totalCount documents { "
        "fields { title lyrics { totalCount } } } } }",
        S);
    s_no_errors (r);
    assert_string_equal (json_string_value (s_at (r, "data.s.documents.0.fields.title")), "Natural's Not In");
    assert_int_equal (json_integer_value (s_at (r, "data.s.documents.0.fields.lyrics.totalCount")), 45);
    assert_string_equal (json_string_value (s_at (r, "data.s.documents.1.fields.title")),
                         "Oh Bondage Up Yours!");
    assert_int_equal (json_integer_value (s_at (r, "data.s.documents.1.fields.lyrics.totalCount")), 32);
    assert_true (json_is_true (s_at (r, "data.s.hasNextPage")));
    json_decref (r);
    //  one song's lyrics in list order, then the next page of them
    r = s_run (
        fx,
        "{ s: all_%s (meta: { documentId: { eq: \"%s\" } }) { documents { fields { lyrics (first: 2) { "
        "totalCount hasNextPage endCursor documents { fields { line } } } } } } }",
        S, k.song_ids[1]);
    s_no_errors (r);
    json_t *lyrics = s_at (r, "data.s.documents.0.fields.lyrics");
    assert_int_equal (json_integer_value (s_at (lyrics, "totalCount")), 32);
    assert_true (json_is_true (s_at (lyrics, "hasNextPage")));
    assert_string_equal (json_string_value (s_at (lyrics, "documents.0.fields.line")), "bondage line 0");
    assert_string_equal (json_string_value (s_at (lyrics, "documents.1.fields.line")), "bondage line 1");
    char cursor[512];
    snprintf (cursor, sizeof cursor, "%s", json_string_value (s_at (lyrics, "endCursor")));
    json_decref (r);
    r = s_run (
        fx,
        "{ s: all_%s (meta: { documentId: { eq: \"%s\" } }) { documents { fields { lyrics (first: 2, after: "
        "\"%s\") { documents { fields { line } } } } } } }",
        S, k.song_ids[1], cursor);
    s_no_errors (r);
    assert_string_equal (
        json_string_value (s_at (r, "data.s.documents.0.fields.lyrics.documents.0.fields.line")),
        "bondage line 2");
    assert_string_equal (
        json_string_value (s_at (r, "data.s.documents.0.fields.lyrics.documents.1.fields.line")),
        "bondage line 3");
    json_decref (r);
    r = s_run (
        fx,
        "{ s: %s (id: \"%s\") { fields { lyrics (first: 100, filter: { line: { contains: \"BONDAGE\" } }) { "
        "totalCount documents { meta { documentId } } } } } }",
        S, k.song_ids[1]);
    assert_int_equal (json_integer_value (s_at (r, "data.s.fields.lyrics.totalCount")), 22);
    assert_int_equal (s_count (r, "data.s.fields.lyrics.documents"), 22);
    json_decref (r);
    //  filters on the songs
    static const struct {
        const char *args;
        int64_t total;
    } cases[] = {
        {"filter: { release_year: { eq: 1977 } }", 2},
        {"filter: { release_year: { eq: 1977 }, artist: { notEq: \"David Bowie\" } }", 1},
        {"filter: { release_year: { gte: 1977 }, title: { notContains: \"!\" } }", 2},
        {"filter: { release_year: { in: [1977, 1979] }, artist: { notIn: [\"David Bowie\", \"Gang Of Four\"] "
         "} }",
         1},
        {"filter: { release_year: { gte: 1976, lt: 1978 }, artist: { eq: \"David Bowie\" }, title: { "
         "notContains: "
         "\"Speed Of Life\" } }",
         0},
        {"meta: { owner: { eq: \"2f8e50c2ede6d936ecc3144187ff1c273808185cfbc5ff3d3748d1ff7353fc96\" } }", 3},
        {"filter: { release_year: { gt: 1978, lte: 1978, lt: 1978, gte: 1971 } }", 2}, //  [1971, 1978)
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        r = s_run (fx, "{ s: all_%s (%s) { totalCount documents { fields { title } } } }", S, cases[i].args);
        s_no_errors (r);
        if (json_integer_value (s_at (r, "data.s.totalCount")) != cases[i].total)
            fail_msg ("%s: totalCount %lld", cases[i].args,
                      (long long) json_integer_value (s_at (r, "data.s.totalCount")));
        assert_int_equal (s_count (r, "data.s.documents"), cases[i].total);
        json_decref (r);
    }
    //  duplicates of one line, and songs by a list item
    r = s_run (fx,
               "{ s: %s (id: \"%s\") { fields { lyrics (filter: { line: { eq: \"This heaven gives me "
               "migraine\" } }) "
               "{ totalCount documents { cursor } } } } }",
               S, k.song_ids[0]);
    assert_int_equal (json_integer_value (s_at (r, "data.s.fields.lyrics.totalCount")), 3);
    assert_string_not_equal (json_string_value (s_at (r, "data.s.fields.lyrics.documents.0.cursor")),
                             json_string_value (s_at (r, "data.s.fields.lyrics.documents.1.cursor")));
    json_decref (r);
    r = s_run (fx, "{ s: all_%s (filter: { lyrics: { in: [\"%s\"] } }) { documents { fields { title } } } }",
               S, k.lines[36]);
    assert_int_equal (s_count (r, "data.s.documents"), 1);
    assert_string_equal (json_string_value (s_at (r, "data.s.documents.0.fields.title")), "Natural's Not In");
    json_decref (r);
    s_end (fx);
}

//  paginated_query_with_ordering_and_filtering, over a relation list with
//  duplicates, forward and backward: the pages add up to totalCount and
//  list every item once.
static void
test_gql_list_pages (void **state)
{
    karaoke_t k;
    s_karaoke (&k);
    gfx_t *fx = &k.fx;
    for (int backward = 0; backward < 2; backward++) {
        char cursor[512] = "";
        int64_t seen = 0, total = -1;
        for (int pages = 0; pages < 40; pages++) {
            char extra[600] = "";
            if (*cursor)
                snprintf (extra, sizeof extra, ", %s: \"%s\"", backward ? "before" : "after", cursor);
            json_t *r =
                s_run (fx,
                       "{ s: %s (id: \"%s\") { fields { lyrics (%s: 3, orderBy: line, orderDirection: DESC, "
                       "filter: { line: { contains: \"m\" } }%s) { totalCount hasNextPage hasPreviousPage "
                       "startCursor endCursor documents { fields { line } } } } } }",
                       k.songs, k.song_ids[0], backward ? "last" : "first", extra);
            s_no_errors (r);
            json_t *page = s_at (r, "data.s.fields.lyrics");
            total = json_integer_value (s_at (page, "totalCount"));
            seen += s_count (page, "documents");
            bool more = json_is_true (s_at (page, backward ? "hasPreviousPage" : "hasNextPage"));
            json_t *c = s_at (page, backward ? "startCursor" : "endCursor");
            snprintf (cursor, sizeof cursor, "%s", json_is_string (c) ? json_string_value (c) : "");
            json_decref (r);
            if (!more)
                break;
        }
        assert_int_equal (total, 14 + 3 + 14); //  m-lines twice, the migraine line 3 times
        assert_int_equal (seen, total);
    }
    s_end (fx);
}

//  Nested relations and lists cost the same number of SQL statements for
//  a page of one song as for a page of three (batched per level).
static void
test_gql_batched (void **state)
{
    karaoke_t k;
    s_karaoke (&k);
    gfx_t *fx = &k.fx;
    uint64_t used[2];
    for (int first = 1; first <= 3; first += 2) {
        //  warm up: opens the connection, caches both schemas
        json_t *r = s_run (fx, "{ s: all_%s { documents { fields { lyrics { totalCount } } } } }", k.songs);
        json_decref (r);
        uint64_t before = panda_query_statements (fx->worker.query);
        r = s_run (
            fx,
            "{ s: all_%s (first: %d) { documents { fields { title lyrics (first: 3) { totalCount documents "
            "{ fields { line } } } } } } }",
            k.songs, first);
        s_no_errors (r);
        assert_int_equal (s_count (r, "data.s.documents"), first);
        used[first / 2] = panda_query_statements (fx->worker.query) - before;
        json_decref (r);
    }
    assert_int_equal (used[0], used[1]);
    assert_true (used[0] <= 10);
    s_end (fx);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_gql_collection_query), cmocka_unit_test (test_gql_single),
        cmocka_unit_test (test_gql_relations),        cmocka_unit_test (test_gql_identical_documents),
        cmocka_unit_test (test_gql_karaoke),          cmocka_unit_test (test_gql_list_pages),
        cmocka_unit_test (test_gql_batched),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
