/*  test_blob_http.c - /blobs over HTTP from the real pandad (node-api §1.6
    and the http/api.rs tests of §13): exact bytes and Content-Type of the
    blob.json vector, the latest view after an update, ETag and
    If-None-Match, HEAD, Range (206/416), the 400/404 error responses, and
    a 100 MB blob served with the node's peak RSS bounded.

    This test process stands in for the materialiser: it fills the node's
    views database (<data_dir>/pandad.sqlite3-views) with direct SQL and
    runs panda_blobs_sync on <data_dir>/blobs.                             */
#define _GNU_SOURCE
#include <stdio.h>
#include <strings.h>

#include "test_blob_fixture.h"
#include "panda_http.h"
#include "panda_pandad.h"

#define START_MS 30000
#define REQUEST_MS 60000
#define BIG_PIECES 400 //  x 256000 bytes = 102.4 MB
#define RSS_GROWTH_MAX_KB (64 * 1024)

typedef struct {
    panda_pandad_t *node;
    panda_views_t *views;
    char blobs[512];
    uint8_t *expected;
    size_t expected_len;
    char *doc, *view, *mime;
} s_fix_t;

static s_fix_t s_fix;

static void
s_sync (void)
{
    panda_blobs_report_t report;
    panda_error_t err;
    if (panda_blobs_sync (s_fix.views, s_fix.blobs, 1000, NULL, NULL, &report, &err) != PANDA_OK)
        fail_msg ("sync: %s", err.message);
}

static int
s_setup (void **state)
{
    (void) state;
    if (!panda_pandad_available ())
        return 0;
    s_fix.node = panda_pandad_start (NULL, START_MS);
    assert_non_null (s_fix.node);
    char path[512];
    snprintf (path, sizeof path, "%s/pandad.sqlite3-views", panda_pandad_dir (s_fix.node));
    snprintf (s_fix.blobs, sizeof s_fix.blobs, "%s/blobs", panda_pandad_dir (s_fix.node));
    panda_error_t err;
    s_fix.views = panda_views_open (path, false, &err);
    assert_non_null (s_fix.views);
    fix_vector_blob (s_fix.views, &s_fix.expected, &s_fix.expected_len, &s_fix.doc, &s_fix.view, &s_fix.mime);
    s_sync ();
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    panda_views_destroy (&s_fix.views);
    if (s_fix.node)
        assert_int_equal (panda_pandad_stop (&s_fix.node), 0);
    free (s_fix.expected), free (s_fix.doc), free (s_fix.view), free (s_fix.mime);
    return 0;
}

static panda_http_t *
s_connect (void)
{
    if (!s_fix.node) {
        fprintf (stderr, "SKIP: build/bin/pandad is not the node yet\n");
        skip ();
    }
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (s_fix.node), REQUEST_MS);
    assert_non_null (http);
    return http;
}

static void
s_get (panda_http_t *http, const char *method, const char *path, const char *headers,
       panda_http_response_t *resp)
{
    assert_int_equal (panda_http_request (http, method, path, headers, NULL, 0, resp), 0);
}

static void
s_assert_header (const panda_http_response_t *resp, const char *name, const char *value)
{
    char buf[1024];
    const char *got = panda_http_header (resp, name, buf, sizeof buf);
    if (!got || strcmp (got, value) != 0)
        fail_msg ("%s: '%s', expected '%s'; headers:\n%s", name, got ? got : "(none)", value, resp->headers);
}

static char *
s_path (const char *doc, const char *view)
{
    char *path = malloc (1024);
    snprintf (path, 1024, view ? "/blobs/%s/%s" : "/blobs/%s", doc, view);
    return path;
}

//  responds_with_blob_in_http_body: both routes give 200, the exact bytes,
//  the mime type verbatim, the quoted view id as ETag, Content-Length and
//  the CORS header.
static void
test_blob_http_body (void **state)
{
    (void) state;
    panda_http_t *http = s_connect ();
    char etag[512], length[32];
    snprintf (etag, sizeof etag, "\"%s\"", s_fix.view);
    snprintf (length, sizeof length, "%zu", s_fix.expected_len);
    for (int i = 0; i < 2; i++) {
        char *path = s_path (s_fix.doc, i ? s_fix.view : NULL);
        panda_http_response_t resp;
        s_get (http, "GET", path, NULL, &resp);
        assert_int_equal (resp.status, 200);
        assert_int_equal (resp.body_len, s_fix.expected_len);
        assert_memory_equal (resp.body, s_fix.expected, s_fix.expected_len);
        s_assert_header (&resp, "content-type", "application/octet-stream");
        s_assert_header (&resp, "etag", etag);
        s_assert_header (&resp, "content-length", length);
        s_assert_header (&resp, "access-control-allow-origin", "*");
        panda_http_response_release (&resp);
        //  HEAD: the same head, no body.
        s_get (http, "HEAD", path, NULL, &resp);
        assert_int_equal (resp.status, 200);
        assert_int_equal (resp.body_len, 0);
        s_assert_header (&resp, "content-length", length);
        s_assert_header (&resp, "etag", etag);
        panda_http_response_release (&resp);
        free (path);
    }
    panda_http_destroy (&http);
}

//  handles_etag_and_if_none_match_precondition: a matching tag (also weak,
//  in a list, or *) gives 304 with no body; another tag gives 200.
static void
test_blob_http_etag (void **state)
{
    (void) state;
    panda_http_t *http = s_connect ();
    char *path = s_path (s_fix.doc, NULL);
    char headers[4][600];
    snprintf (headers[0], 600, "If-None-Match: \"%s\"\r\n", s_fix.view);
    snprintf (headers[1], 600, "If-None-Match: \"other\", W/\"%s\"\r\n", s_fix.view);
    snprintf (headers[2], 600, "If-None-Match: *\r\n");
    snprintf (headers[3], 600, "If-None-Match: \"%.20s\"\r\n", s_fix.view);
    for (int i = 0; i < 4; i++) {
        panda_http_response_t resp;
        s_get (http, "GET", path, headers[i], &resp);
        assert_int_equal (resp.status, i < 3 ? 304 : 200);
        assert_int_equal (resp.body_len, i < 3 ? 0 : s_fix.expected_len);
        panda_http_response_release (&resp);
    }
    free (path);
    panda_http_destroy (&http);
}

//  Range: one range gives 206 with its bytes and Content-Range; beyond the
//  end 416 with "bytes */size"; several ranges the whole file.
static void
test_blob_http_range (void **state)
{
    (void) state;
    panda_http_t *http = s_connect ();
    char *path = s_path (s_fix.doc, s_fix.view);
    size_t n = s_fix.expected_len;
    struct {
        const char *range;
        int status;
        size_t first, count;
    } cases[] = {{"bytes=0-4", 206, 0, 5},    {"bytes=40-", 206, 40, n - 40},
                 {"bytes=-3", 206, n - 3, 3}, {"bytes=10-1000", 206, 10, n - 10},
                 {"bytes=45-", 416, 0, 0},    {"bytes=0-1,5-6", 200, 0, n},
                 {"pages=1-2", 200, 0, n}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char headers[128], content_range[64];
        snprintf (headers, sizeof headers, "Range: %s\r\n", cases[i].range);
        panda_http_response_t resp;
        s_get (http, "GET", path, headers, &resp);
        assert_int_equal (resp.status, cases[i].status);
        assert_int_equal (resp.body_len, cases[i].count);
        assert_memory_equal (resp.body, s_fix.expected + cases[i].first, cases[i].count);
        if (cases[i].status == 206)
            snprintf (content_range, sizeof content_range, "bytes %zu-%zu/%zu", cases[i].first,
                      cases[i].first + cases[i].count - 1, n);
        else
            snprintf (content_range, sizeof content_range, "bytes */%zu", n);
        if (cases[i].status != 200)
            s_assert_header (&resp, "content-range", content_range);
        panda_http_response_release (&resp);
    }
    free (path);
    panda_http_destroy (&http);
}

//  error_responses (and the other 404s of §1.6): unknown document, unknown
//  document and view, invalid ids (400), a piece (not a blob), a view of
//  another document, a blob whose pieces are not all there yet.
static void
test_blob_http_errors (void **state)
{
    (void) state;
    panda_http_t *http = s_connect ();
    json_t *root = panda_test_vectors ("blob.json");
    const char *piece = json_string_value (
        json_object_get (json_array_get (json_object_get (root, "pieces"), 0), "document_id"));
    panda_hash_t pending = fix_hash ("pending blob");
    char *pending_hex = fix_hex (&pending);
    panda_hash_t missing_piece = fix_hash ("never published piece");
    char *missing_hex = fix_hex (&missing_piece);
    fix_blob_view (s_fix.views, fix_document (s_fix.views, &pending, "blob_v1", false), pending_hex, true, 4,
                   "text/plain", &missing_hex, 1);
    s_sync ();
    char unknown[72] = "0020";
    memset (unknown + 4, 'a', 64);
    unknown[68] = 0;
    char paths[8][400];
    int statuses[8] = {404, 404, 400, 400, 404, 404, 404, 404};
    snprintf (paths[0], 400, "/blobs/%s", unknown);
    snprintf (paths[1], 400, "/blobs/%s/%s", unknown, unknown);
    snprintf (paths[2], 400, "/blobs/not_valid");
    snprintf (paths[3], 400, "/blobs/%s/not_valid", s_fix.doc);
    snprintf (paths[4], 400, "/blobs/%s", piece);
    snprintf (paths[5], 400, "/blobs/%s/%s", s_fix.doc, piece);
    snprintf (paths[6], 400, "/blobs/%s", pending_hex);
    snprintf (paths[7], 400, "/blobs/%s/%s", s_fix.doc, unknown);
    for (int i = 0; i < 8; i++) {
        panda_http_response_t resp;
        s_get (http, "GET", paths[i], NULL, &resp);
        if (resp.status != statuses[i])
            fail_msg ("%s: %d, expected %d (%s)", paths[i], resp.status, statuses[i], resp.body);
        if (statuses[i] == 404)
            assert_string_equal (resp.body, "Could not find document");
        else
            assert_true (strncmp (resp.body, "Could not parse identifier: ", 28) == 0);
        s_assert_header (&resp, "content-type", "text/plain; charset=utf-8");
        s_assert_header (&resp, "access-control-allow-origin", "*");
        panda_http_response_release (&resp);
    }
    free (pending_hex), free (missing_hex);
    json_decref (root);
    panda_http_destroy (&http);
}

//  A blob document: pieces "<label> <i>" cut from content, one view (the
//  document id) made current.
static char *
s_add_blob (const char *label, const void *content, size_t len, size_t piece_len, const char *mime)
{
    size_t count = (len + piece_len - 1) / piece_len;
    char **ids = calloc (count, sizeof *ids);
    for (size_t i = 0; i < count; i++) {
        char name[128];
        snprintf (name, sizeof name, "%s %zu", label, i);
        panda_hash_t doc = fix_hash (name);
        size_t n = len - i * piece_len < piece_len ? len - i * piece_len : piece_len;
        fix_piece (s_fix.views, &doc, (const uint8_t *) content + i * piece_len, n);
        ids[i] = fix_hex (&doc);
    }
    panda_hash_t doc = fix_hash (label);
    char *hex = fix_hex (&doc);
    fix_blob_view (s_fix.views, fix_document (s_fix.views, &doc, "blob_v1", false), hex, true, (int64_t) len,
                   mime, ids, count);
    for (size_t i = 0; i < count; i++)
        free (ids[i]);
    free (ids);
    return hex;
}

//  document_route_responds_with_latest_view and the ETag after an update:
//  "Hello, World!" in 6-byte pieces, then an update to "Hello, Panda!"
//  (new current view, old view garbage-collected): the document route
//  serves the new bytes with the new ETag, the old tag no longer matches,
//  the old view's route is 404. responds_with_content_type_header: the
//  mime type is sent verbatim.
static void
test_blob_http_latest_view (void **state)
{
    (void) state;
    panda_http_t *http = s_connect ();
    char *doc = s_add_blob ("hello blob", "Hello, World!", 13, 6, "image/svg+xml");
    s_sync ();
    char *path = s_path (doc, NULL), *old_path = s_path (doc, doc);
    panda_http_response_t resp;
    s_get (http, "GET", path, NULL, &resp);
    assert_int_equal (resp.status, 200);
    assert_string_equal (resp.body, "Hello, World!");
    s_assert_header (&resp, "content-type", "image/svg+xml");
    panda_http_response_release (&resp);

    panda_hash_t update = fix_hash ("hello blob update");
    char *update_hex = fix_hex (&update), *pieces[3];
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf (name, sizeof name, "panda piece %d", i);
        panda_hash_t piece = fix_hash (name);
        fix_piece (s_fix.views, &piece, "Hello, Panda!" + 6 * i, i < 2 ? 6 : 1);
        pieces[i] = fix_hex (&piece);
    }
    char sql[512];
    snprintf (sql, sizeof sql, "SELECT id FROM documents WHERE hex (document_id) = upper ('%s')", doc);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (panda_views_db (s_fix.views), sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    sqlite3_int64 row = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    snprintf (sql, sizeof sql,
              "DELETE FROM fields WHERE view = (SELECT id FROM views WHERE view_id = '%s');"
              "DELETE FROM views WHERE view_id = '%s'",
              doc, doc);
    //  (edited stays 0: an edited blob nothing relates to is purged.)
    fix_exec_id (s_fix.views, sql);
    fix_blob_view (s_fix.views, row, update_hex, true, 13, "image/svg+xml", pieces, 3);
    s_sync ();
    assert_true (fix_exists (s_fix.blobs, update_hex));

    char headers[200], etag[100];
    snprintf (headers, sizeof headers, "If-None-Match: \"%s\"\r\n", doc);
    s_get (http, "GET", path, headers, &resp);
    assert_int_equal (resp.status, 200);
    assert_string_equal (resp.body, "Hello, Panda!");
    snprintf (etag, sizeof etag, "\"%s\"", update_hex);
    s_assert_header (&resp, "etag", etag);
    panda_http_response_release (&resp);
    s_get (http, "GET", old_path, NULL, &resp);
    assert_int_equal (resp.status, 404);
    panda_http_response_release (&resp);
    for (int i = 0; i < 3; i++)
        free (pieces[i]);
    free (update_hex), free (doc), free (path), free (old_path);
    panda_http_destroy (&http);
}

static long
s_hwm_kb (int pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen (path, "r");
    long kb = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmHWM:", 6) == 0)
            kb = strtol (line + 6, NULL, 10);
    if (f)
        fclose (f);
    return kb;
}

//  A 102.4 MB blob (400 full pieces) comes back byte for byte, and the
//  node's peak RSS grows by less than RSS_GROWTH_MAX_KB while serving it
//  (the file is streamed, never loaded).
static void
test_blob_http_large (void **state)
{
    (void) state;
    panda_http_t *http = s_connect ();
    size_t len = (size_t) BIG_PIECES * PANDA_BLOB_PIECE_MAX;
    uint8_t *content = malloc (len);
    uint64_t seed = 7;
    panda_test_random_bytes (&seed, content, len);
    assert_int_equal (sqlite3_exec (panda_views_db (s_fix.views), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    char *doc = s_add_blob ("large blob", content, len, PANDA_BLOB_PIECE_MAX, "video/webm");
    assert_int_equal (sqlite3_exec (panda_views_db (s_fix.views), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    s_sync ();
    long before = s_hwm_kb (panda_pandad_pid (s_fix.node));
    assert_true (before > 0);
    char *path = s_path (doc, NULL);
    panda_http_response_t resp;
    s_get (http, "GET", path, NULL, &resp);
    assert_int_equal (resp.status, 200);
    assert_int_equal (resp.body_len, len);
    assert_memory_equal (resp.body, content, len);
    panda_http_response_release (&resp);
    long after = s_hwm_kb (panda_pandad_pid (s_fix.node));
    fprintf (stderr, "pandad VmHWM %ld kB before, %ld kB after serving %zu bytes\n", before, after, len);
    assert_true (after - before < RSS_GROWTH_MAX_KB);
    free (path), free (doc), free (content);
    panda_http_destroy (&http);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_blob_http_body),        cmocka_unit_test (test_blob_http_etag),
        cmocka_unit_test (test_blob_http_range),       cmocka_unit_test (test_blob_http_errors),
        cmocka_unit_test (test_blob_http_latest_view), cmocka_unit_test (test_blob_http_large),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
