/*  test_blob_e2e.c - the blob.json vector end to end: its three pieces and
    the blob are published to the real pandad, whose materialiser builds the
    views and writes the blob file, and GET /blobs/<doc> serves the
    vector's assembled bytes with its mime type.                          */
#include <stdio.h>

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
    //  Ask as a client does until the node has materialised the blob and
    //  written its file (node-api §6.7): 404 until then.
    char path[128];
    snprintf (path, sizeof path, "/blobs/%s", doc);
    panda_http_response_t resp;
    if (panda_http_get_until_found (http, path, MATERIALISE_MS, &resp) != 0)
        fail_msg ("the blob was not served within %d ms", MATERIALISE_MS);
    size_t len;
    uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (expected, "assembled_hex")), &len);
    assert_int_equal (resp.status, 200);
    assert_int_equal (resp.body_len, len);
    assert_memory_equal (resp.body, bytes, len);
    char type[128];
    assert_string_equal (panda_http_header (&resp, "content-type", type, sizeof type),
                         json_string_value (json_object_get (expected, "mime_type")));
    panda_http_response_release (&resp);
    free (bytes);
    json_decref (root);
    panda_http_destroy (&http);
    assert_int_equal (panda_pandad_stop (&node), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test (test_blob_e2e_vector)};
    return cmocka_run_group_tests (tests, NULL, NULL);
}
