/*  test_blob_e2e.c - the blob.json vector end to end: its three pieces and
    the blob are published to the real pandad, its materialiser builds the
    views, panda_blobs_sync (called here as the materialise actor will)
    writes the file from those views, and GET /blobs/<doc> serves the
    vector's assembled bytes. Proves the views the materialiser writes are
    the ones lib/panda_blob*.c reads.                                      */
#include <stdio.h>
#include <time.h>

#include "test_blob_fixture.h"
#include "panda_http.h"
#include "panda_pandad.h"

#define START_MS 30000
#define REQUEST_MS 10000
#define MATERIALISE_MS 20000

static void
s_publish (panda_http_t *http, json_t *item)
{
    json_t *vars = json_pack ("{s:s, s:s}", "entry", json_string_value (json_object_get (item, "entry_hex")),
                              "operation", json_string_value (json_object_get (item, "operation_hex")));
    int status;
    json_t *answer = panda_http_graphql (http, panda_http_shirokuma_publish, vars, "Publish", &status);
    json_decref (vars);
    assert_non_null (answer);
    if (json_object_get (answer, "errors"))
        fail_msg ("publish: %s", json_dumps (answer, 0));
    json_decref (answer);
}

static void
test_blob_e2e_vector (void **state)
{
    (void) state;
    if (!panda_pandad_available ()) {
        fprintf (stderr, "SKIP: build/bin/pandad is not the node yet\n");
        skip ();
    }
    panda_pandad_t *node = panda_pandad_start (NULL, START_MS);
    assert_non_null (node);
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (node), REQUEST_MS);
    assert_non_null (http);
    json_t *root = panda_test_vectors ("blob.json");
    json_t *pieces = json_object_get (root, "pieces");
    for (size_t i = 0; i < json_array_size (pieces); i++)
        s_publish (http, json_array_get (pieces, i));
    s_publish (http, json_object_get (root, "blob"));
    json_t *expected = json_object_get (root, "expected");
    const char *doc = json_string_value (json_object_get (expected, "blob_document_id"));
    char views_path[512], blobs[512], path[128];
    snprintf (views_path, sizeof views_path, "%s/pandad.sqlite3-views", panda_pandad_dir (node));
    snprintf (blobs, sizeof blobs, "%s/blobs", panda_pandad_dir (node));
    panda_error_t err;
    panda_views_t *views = panda_views_open (views_path, false, &err);
    assert_non_null (views);
    //  Poll as a client polls for materialisation (node-api §6.7): the
    //  pieces were published first, so they are in by the time the blob is.
    panda_hash_t doc_id;
    assert_int_equal (panda_hash_from_hex (&doc_id, doc, strlen (doc), NULL), PANDA_OK);
    panda_blob_info_t info = {0};
    long pause_ns = 1000000;
    for (long waited = 0; panda_blobs_find (views, &doc_id, NULL, &info, &err) != PANDA_OK; waited += pause_ns) {
        if (waited > MATERIALISE_MS * 1000000L)
            fail_msg ("the blob view was not materialised in %d ms: %s", MATERIALISE_MS, err.message);
        nanosleep (&(struct timespec) {0, pause_ns}, NULL);
        pause_ns = pause_ns * 2 > 50000000 ? 50000000 : pause_ns * 2;
    }
    assert_string_equal (info.view_id, json_string_value (json_object_get (expected, "blob_view_id")));
    panda_blob_info_release (&info);
    panda_blobs_report_t report;
    if (panda_blobs_sync (views, blobs, PANDA_BLOBS_SYNC_MAX, NULL, NULL, &report, &err) != PANDA_OK)
        fail_msg ("sync: %s", err.message);
    assert_int_equal (report.written, 1);
    assert_int_equal (report.purged, 0); //  fresh, never edited: waits for a document to relate to it

    size_t len;
    uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (expected, "assembled_hex")), &len);
    snprintf (path, sizeof path, "/blobs/%s", doc);
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", path, NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 200);
    assert_int_equal (resp.body_len, len);
    assert_memory_equal (resp.body, bytes, len);
    char type[128];
    assert_string_equal (panda_http_header (&resp, "content-type", type, sizeof type),
                         json_string_value (json_object_get (expected, "mime_type")));
    panda_http_response_release (&resp);
    free (bytes);
    json_decref (root);
    panda_views_destroy (&views);
    panda_http_destroy (&http);
    assert_int_equal (panda_pandad_stop (&node), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test (test_blob_e2e_vector)};
    return cmocka_run_group_tests (tests, NULL, NULL);
}
