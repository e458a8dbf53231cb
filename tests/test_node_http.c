/*  test_node_http.c - the real pandad over HTTP, against node-api.md §1
    (routes, CORS, playground, POST /graphql body handling), the fresh-node
    nextArgs answer of §6.1, config errors and SIGTERM.                     */
#define _GNU_SOURCE //  strcasestr
#include <stdio.h>
#include <strings.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define START_MS 30000
#define REQUEST_MS 10000

static panda_fixture_t *s_node;

//  A document id and a view id of the right shape (nothing stored there).
#define DOC_ID "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543"
#define VIEW_ID "0020dda3b3977477e4c621ce124903a736e54b139afcb033e99677a6c8470b26514c"

static const char *const s_routes[] = {"/graphql", "/blobs/" DOC_ID, "/blobs/" DOC_ID "/" VIEW_ID, NULL};

//  Skip (loudly) while build/bin/pandad is not the node yet; once it is,
//  a node that did not start fails every test.
static void
s_require_node (void)
{
    panda_fixture_require ();
    assert_non_null (s_node);
}

static panda_http_t *
s_connect (void)
{
    s_require_node ();
    return panda_fixture_connect (s_node);
}

static void
s_request (panda_http_t *http, const char *method, const char *path, const char *headers, const char *body,
           panda_http_response_t *resp)
{
    int rc = panda_http_request (http, method, path, headers, body, body ? strlen (body) : 0, resp);
    if (rc)
        fprintf (stderr, "%s %s: no answer\n", method, path);
    assert_int_equal (rc, 0);
}

//  Every response carries allow-origin * and the three Vary values (as
//  separate headers or comma-joined), never allow-credentials.
static void
s_assert_cors (const panda_http_response_t *resp)
{
    char value[256];
    assert_int_equal (panda_http_header_count (resp, "access-control-allow-origin"), 1);
    assert_string_equal (panda_http_header (resp, "access-control-allow-origin", value, sizeof value), "*");
    assert_null (panda_http_header (resp, "access-control-allow-credentials", value, sizeof value));
    const char *expected[] = {"origin", "access-control-request-method", "access-control-request-headers"};
    size_t seen = 0, found[3] = {0};
    for (size_t i = 0; panda_http_header_nth (resp, "vary", i, value, sizeof value); i++) {
        for (char *save, *item = strtok_r (value, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
            while (*item == ' ')
                item++;
            size_t len = strlen (item);
            while (len && item[len - 1] == ' ')
                item[--len] = 0;
            seen++;
            for (size_t k = 0; k < 3; k++)
                found[k] += strcasecmp (item, expected[k]) == 0;
        }
    }
    if (seen != 3 || found[0] != 1 || found[1] != 1 || found[2] != 1)
        fail_msg ("expected the three Vary values once each; headers:\n%s", resp->headers);
}

static void
s_assert_content_type (const panda_http_response_t *resp, const char *prefix)
{
    char value[256];
    assert_non_null (panda_http_header (resp, "content-type", value, sizeof value));
    if (strncasecmp (value, prefix, strlen (prefix)) != 0)
        fail_msg ("content-type '%s', expected '%s...'", value, prefix);
}

static void
test_unknown_paths_are_404 (void **state)
{
    panda_http_t *http = s_connect ();
    const char *paths[] = {"/", "/nope", "/graphqlx", "/graphql/x", "/blob/" DOC_ID, "/blobs", NULL};
    const char *methods[] = {"GET", "POST", "HEAD", NULL};
    for (size_t i = 0; paths[i]; i++)
        for (size_t m = 0; methods[m]; m++) {
            panda_http_response_t resp;
            s_request (http, methods[m], paths[i], NULL, NULL, &resp);
            if (resp.status != 404)
                fail_msg ("%s %s: status %d, expected 404", methods[m], paths[i], resp.status);
            assert_int_equal (resp.body_len, 0);
            s_assert_cors (&resp);
            panda_http_response_release (&resp);
        }
    panda_http_destroy (&http);
}

static void
test_wrong_method_is_405 (void **state)
{
    panda_http_t *http = s_connect ();
    const char *methods[] = {"PUT", "DELETE", "PATCH", NULL};
    for (size_t i = 0; s_routes[i]; i++)
        for (size_t m = 0; methods[m]; m++) {
            panda_http_response_t resp;
            s_request (http, methods[m], s_routes[i], NULL, NULL, &resp);
            if (resp.status != 405)
                fail_msg ("%s %s: status %d, expected 405", methods[m], s_routes[i], resp.status);
            assert_int_equal (resp.body_len, 0);
            s_assert_cors (&resp);
            panda_http_response_release (&resp);
        }
    //  The blob routes take no POST.
    panda_http_response_t resp;
    s_request (http, "POST", s_routes[1], NULL, "", &resp);
    assert_int_equal (resp.status, 405);
    assert_int_equal (resp.body_len, 0);
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
}

static void
test_preflight_on_every_route (void **state)
{
    panda_http_t *http = s_connect ();
    const char *variants[] = {NULL, "Origin: http://example.org\r\nAccess-Control-Request-Method: POST\r\n"
                                    "Access-Control-Request-Headers: content-type\r\n"};
    for (size_t i = 0; s_routes[i]; i++)
        for (size_t v = 0; v < 2; v++) {
            panda_http_response_t resp;
            char value[256];
            s_request (http, "OPTIONS", s_routes[i], variants[v], NULL, &resp);
            if (resp.status != 200)
                fail_msg ("OPTIONS %s: status %d, expected 200", s_routes[i], resp.status);
            assert_int_equal (resp.body_len, 0);
            s_assert_cors (&resp);
            assert_non_null (panda_http_header (&resp, "access-control-allow-methods", value, sizeof value));
            assert_string_equal (value, "GET,POST,OPTIONS");
            assert_non_null (panda_http_header (&resp, "access-control-allow-headers", value, sizeof value));
            assert_string_equal (value, "content-type");
            panda_http_response_release (&resp);
        }
    panda_http_destroy (&http);
}

static void
test_playground (void **state)
{
    panda_http_t *http = s_connect ();
    panda_http_response_t resp;
    s_request (http, "GET", "/graphql", "Origin: http://example.org\r\n", NULL, &resp);
    assert_int_equal (resp.status, 200);
    s_assert_content_type (&resp, "text/html");
    s_assert_cors (&resp);
    assert_true (resp.body_len > 0);
    assert_non_null (strcasestr (resp.body, "<html"));
    panda_http_response_release (&resp);
    s_request (http, "HEAD", "/graphql", NULL, NULL, &resp);
    assert_int_equal (resp.status, 200);
    s_assert_content_type (&resp, "text/html");
    s_assert_cors (&resp);
    assert_int_equal (resp.body_len, 0);
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
}

//  Blob routes (node-api §1.6): a malformed id is a 400 naming the reason;
//  a well-formed id of no materialised blob is a 404.
static void
test_blob_identifiers (void **state)
{
    panda_http_t *http = s_connect ();
    struct {
        const char *path;
        int status;
        const char *body;
    } cases[] = {
        {"/blobs/abc", 400, "Could not parse identifier: invalid hex encoding in hash string"},
        {"/blobs/0020", 400, "Could not parse identifier: invalid hash length 2 bytes, expected 34 bytes"},
        {"/blobs/" DOC_ID "00", 400,
         "Could not parse identifier: invalid hash length 35 bytes, expected 34 bytes"},
        {"/blobs/" DOC_ID "/zz", 400, "Could not parse identifier: invalid hex encoding in hash string"},
        {"/blobs/" DOC_ID, 404, "Could not find document"},
        {"/blobs/" DOC_ID "/" VIEW_ID, 404, "Could not find document"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_http_response_t resp;
        s_request (http, "GET", cases[i].path, NULL, NULL, &resp);
        assert_int_equal (resp.status, cases[i].status);
        s_assert_content_type (&resp, "text/plain");
        s_assert_cors (&resp);
        assert_int_equal (resp.body_len, strlen (cases[i].body));
        assert_memory_equal (resp.body, cases[i].body, resp.body_len);
        panda_http_response_release (&resp);
    }
    panda_http_destroy (&http);
}

//  POST /graphql with a given Content-Type line (or none): 200, JSON,
//  compact body byte for byte.
static void
s_assert_post (panda_http_t *http, const char *content_type, const char *body, const char *expected)
{
    panda_http_response_t resp;
    s_request (http, "POST", "/graphql", content_type, body, &resp);
    assert_int_equal (resp.status, 200);
    s_assert_content_type (&resp, "application/json");
    s_assert_cors (&resp);
    assert_null (panda_http_header (&resp, "cache-control", (char[8]){0}, 8));
    assert_string_equal (resp.body, expected);
    panda_http_response_release (&resp);
}

static void
test_post_graphql (void **state)
{
    panda_http_t *http = s_connect ();
    const char *schema = "{\"query\":\"{ __schema { __typename } }\"}";
    const char *schema_answer = "{\"data\":{\"__schema\":{\"__typename\":\"__Schema\"}}}";
    s_assert_post (http, "Content-Type: application/json\r\n", schema, schema_answer);
    s_assert_post (http, "Content-Type: application/json; charset=utf-8\r\n", schema, schema_answer);
    s_assert_post (http, NULL, schema, schema_answer);
    s_assert_post (http, "Content-Type: text/plain\r\n", schema, schema_answer);
    //  Unknown members and null variables/operationName are ignored.
    s_assert_post (http, NULL,
                   "{\"query\":\"{ __schema { __typename } }\",\"variables\":null,\"operationName\":null,"
                   "\"extensions\":{},\"other\":1}",
                   schema_answer);
    panda_http_destroy (&http);
}

static void
s_assert_400 (panda_http_t *http, const char *content_type, const char *body, const char *expected_body)
{
    panda_http_response_t resp;
    s_request (http, "POST", "/graphql", content_type, body, &resp);
    if (resp.status != 400)
        fail_msg ("POST %s: status %d, expected 400 (%s)", body, resp.status, resp.body);
    s_assert_cors (&resp);
    if (expected_body)
        assert_string_equal (resp.body, expected_body);
    panda_http_response_release (&resp);
}

static void
test_post_bad_requests (void **state)
{
    panda_http_t *http = s_connect ();
    const char *json = "Content-Type: application/json\r\n";
    s_assert_400 (http, json, "[]", "UnsupportedBatch");
    s_assert_400 (http, json, "[{\"query\":\"{ __typename }\"}]", "UnsupportedBatch");
    s_assert_400 (http, json, "", NULL);
    s_assert_400 (http, json, "{", NULL);
    s_assert_400 (http, json, "{\"query\":\"{ __typename }\"} x", NULL);
    s_assert_400 (http, "Content-Type: multipart/form-data; boundary=xyz\r\n",
                  "--xyz\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--xyz--\r\n",
                  NULL);
    //  A missing query is the empty document: a GraphQL error, still 200.
    panda_http_response_t resp;
    s_request (http, "POST", "/graphql", json, "{}", &resp);
    assert_int_equal (resp.status, 200);
    s_assert_content_type (&resp, "application/json");
    json_t *answer = json_loads (resp.body, 0, NULL);
    assert_non_null (answer);
    json_t *errors = json_object_get (answer, "errors");
    assert_true (json_is_array (errors) && json_array_size (errors) > 0);
    assert_true (json_is_string (json_object_get (json_array_get (errors, 0), "message")));
    json_t *data = json_object_get (answer, "data");
    assert_true (!data || json_is_null (data));
    json_decref (answer);
    panda_http_response_release (&resp);
    //  The connection is still usable after all that.
    s_assert_post (http, json, "{\"query\":\"{ __schema { __typename } }\"}",
                   "{\"data\":{\"__schema\":{\"__typename\":\"__Schema\"}}}");
    panda_http_destroy (&http);
}

//  The exact documents shirokuma sends (§8) and the literal form.
static void
test_next_args_fresh_node (void **state)
{
    panda_http_t *http = s_connect ();
    json_t *keys = panda_test_vectors ("keys.json");
    const char *expected = "{\"data\":{\"nextArgs\":{\"logId\":\"0\",\"seqNum\":\"1\",\"backlink\":null,"
                           "\"skiplink\":null}}}";
    const char *shirokuma =
        "\n  query NextArgs($publicKey: String!, $viewId: String) {\n    nextArgs(publicKey: "
        "$publicKey, viewId: $viewId) {\n      logId\n      seqNum\n      backlink\n      "
        "skiplink\n    }\n  }\n";
    const char *name;
    json_t *key;
    json_object_foreach (json_object_get (keys, "keys"), name, key)
    {
        const char *public_key = json_string_value (json_object_get (key, "public_key"));
        json_t *request = json_pack ("{s:s, s:{s:s}, s:s}", "query", shirokuma, "variables", "publicKey",
                                     public_key, "operationName", "NextArgs");
        char *body = json_dumps (request, JSON_COMPACT);
        s_assert_post (http, "Content-Type: application/json\r\n", body, expected);
        free (body);
        json_decref (request);
        char literal[512];
        snprintf (literal, sizeof literal,
                  "{\"query\":\"{ nextArgs(publicKey: \\\"%s\\\") { logId, seqNum, backlink, skiplink } }\"}",
                  public_key);
        s_assert_post (http, "Content-Type: application/json\r\n", literal, expected);
    }
    panda_http_destroy (&http);
    json_decref (keys);
}

//  Config errors: exit status 1 and a message naming the culprit.
static void
s_assert_config_error (const char *const *args, const char *named)
{
    s_require_node ();
    char *output = NULL;
    int status = panda_pandad_run (args, START_MS, &output);
    if (status != 1 || !strstr (output, named))
        fail_msg ("pandad %s %s: status %d, expected 1 and a message naming '%s'; output:\n%s", args[0],
                  args[1] ? args[1] : "", status, named, output);
    free (output);
}

static void
test_config_errors (void **state)
{
    s_assert_config_error ((const char *const[]){"--no-such-flag", NULL}, "--no-such-flag");
    s_assert_config_error ((const char *const[]){"-p", "not-a-port", NULL}, "http_port");
    s_assert_config_error ((const char *const[]){"--http-port", "70000", NULL}, "http_port");
    s_assert_config_error ((const char *const[]){"--verify-threads", "many", NULL}, "verify");
}

static void
test_sigterm_exits_zero (void **state)
{
    s_require_node ();
    panda_fixture_t *node = panda_fixture_start (NULL, START_MS, REQUEST_MS);
    assert_non_null (node);
    panda_http_t *http = panda_fixture_connect (node); //  outlives the node
    //  An idle kept-alive client must not hold up the shutdown.
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/graphql", NULL, NULL, 0, &resp), 0);
    panda_http_response_release (&resp);
    assert_int_equal (panda_fixture_stop (&node), 0);
    assert_null (node);
    panda_http_destroy (&http);
}

static int
s_setup (void **state)
{
    if (panda_fixture_available ())
        s_node = panda_fixture_start (NULL, START_MS, REQUEST_MS);
    return 0;
}

static int
s_teardown (void **state)
{
    return panda_fixture_stop (&s_node) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_unknown_paths_are_404),
        cmocka_unit_test (test_wrong_method_is_405),
        cmocka_unit_test (test_preflight_on_every_route),
        cmocka_unit_test (test_playground),
        cmocka_unit_test (test_blob_identifiers),
        cmocka_unit_test (test_post_graphql),
        cmocka_unit_test (test_post_bad_requests),
        cmocka_unit_test (test_next_args_fresh_node),
        cmocka_unit_test (test_config_errors),
        cmocka_unit_test (test_sigterm_exits_zero),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
