/*  test_node_logs.c - what the real pandad tells its operator (its
    stdout+stderr, captured into <data dir>/pandad.log by the fixture):
    the start-up summary block, one line per created, updated and deleted
    document (aquadoggo's words, with schema and author), a rejected
    publish with the reason its client got, one debug line per HTTP
    request when the filter asks for the api's debug lines (and only
    those), and the summary also with --log-level off, where nothing else
    is printed. Expected text comes from the vectors, the data directory
    and the answers the client saw.                                       */
#define _GNU_SOURCE //  memmem
#include <czmq.h>
#include <stdio.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define START_MS 30000
#define REQUEST_MS 20000
#define LOG_MS 30000

//  True if some line of text has every one of the needles (NULL-ended).
static bool
s_line_with (const char *text, const char *const *needles)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        bool all = true;
        for (size_t i = 0; all && needles[i]; i++) {
            const char *hit = memmem (line, len, needles[i], strlen (needles[i]));
            all = hit != NULL;
        }
        if (all)
            return true;
        line = end ? end + 1 : NULL;
    }
    return false;
}

//  Wait until a line of node's log has every needle; fails at the deadline
//  with the log.
static void
s_wait_line (panda_fixture_t *node, const char *const *needles)
{
    int64_t deadline = zclock_mono () + LOG_MS;
    while (true) {
        char *text = panda_fixture_log (node);
        bool found = s_line_with (text, needles);
        if (found || zclock_mono () >= deadline) {
            if (!found) {
                fprintf (stderr, "----- log -----\n%s\n", text);
                fail_msg ("no line with \"%s\"%s%s", needles[0], needles[1] ? " and \"" : "",
                          needles[1] ? needles[1] : "");
            }
            free (text);
            return;
        }
        free (text);
        zclock_sleep (20);
    }
}

static const char *
s_str (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

//  The summary names the files under the node's data dir, the URL it
//  listens on and the peer id.
static void
s_check_summary (panda_fixture_t *node, const char *level)
{
    const char *dir = panda_fixture_dir (node);
    char files[4][1200], url[128], level_line[128];
    snprintf (files[0], sizeof files[0], "data directory     %s", dir);
    snprintf (files[1], sizeof files[1], "entries database   %s/pandad.sqlite3 (", dir);
    snprintf (files[2], sizeof files[2], "views database     %s/pandad.sqlite3-views (", dir);
    snprintf (files[3], sizeof files[3], "blobs              %s/blobs", dir);
    snprintf (url, sizeof url, "GraphQL            listening on http://127.0.0.1:%d/graphql",
              panda_fixture_port (node));
    snprintf (level_line, sizeof level_line, "log level          %s", level);
    s_wait_line (node, (const char *[]){level_line, NULL}); //  the block's last line
    char *text = panda_fixture_log (node);
    char version[64];
    snprintf (version, sizeof version, "pandad %s\n    data directory", PANDA_VERSION);
    assert_non_null (strstr (text, version));
    for (size_t i = 0; i < 4; i++)
        assert_true (s_line_with (text, (const char *[]){files[i], NULL}));
    assert_true (s_line_with (text, (const char *[]){url, NULL}));
    assert_true (s_line_with (text, (const char *[]){"allowed schemas    * (any schema id)", NULL}));
    assert_true (s_line_with (text, (const char *[]){"replication        peer id 12D3KooW",
                                                     ", replicating on tcp://0.0.0.0:", NULL}));
    assert_true (s_line_with (text, (const char *[]){"LAN discovery      off: mdns = false", NULL}));
    assert_true (s_line_with (text, (const char *[]){level_line, NULL}));
    //  one block: the lines follow each other
    const char *start = strstr (text, version), *end = strstr (start, level_line);
    assert_non_null (end);
    assert_null (memmem (start, (size_t) (end - start), "Z INFO", 6));
    free (text);
}

static void
test_summary_at_start (void **state)
{
    panda_fixture_t *node;
    assert_int_equal (panda_fixture_setup (&node, NULL), 0);
    panda_fixture_require ();
    s_check_summary (node, "info");
    char *text = panda_fixture_log (node);
    assert_true (s_line_with (text, (const char *[]){"Z INFO  pandad: pandad " PANDA_VERSION, NULL}));
    free (text);
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  Every CREATE, UPDATE and DELETE of the vectors is a line: publish them
//  all as shirokuma would, then look for each.
static void
test_document_lines (void **state)
{
    panda_fixture_t *node;
    assert_int_equal (panda_fixture_setup (&node, NULL), 0);
    panda_fixture_require ();
    panda_http_t *http = panda_fixture_http (node);
    json_t *entries = json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries");
    size_t i;
    json_t *v;
    json_array_foreach (entries, i, v)
    {
        panda_fixture_wait_schema (http, s_str (v, "schema_id"), LOG_MS);
        json_t *answer = panda_fixture_publish_sequence_entry (http, i, NULL);
        if (json_object_get (answer, "errors"))
            fail_msg ("publish of %s failed", s_str (v, "label"));
        json_decref (answer);
    }
    json_array_foreach (entries, i, v)
    {
        const char *label = s_str (v, "label"), *action = s_str (v, "action");
        char what[256], tail[512];
        snprintf (tail, sizeof tail, "(schema %s, author %s)", s_str (v, "schema_id"),
                  s_str (v, "public_key"));
        if (strcmp (action, "create") == 0)
            snprintf (what, sizeof what, "INFO  materialize: Created document %s ", s_str (v, "document_id"));
        else if (strcmp (label, "D_update") == 0) //  a linear update: its view is its own id
            snprintf (what, sizeof what, "INFO  materialize: Updated document %s latest view %s ",
                      s_str (v, "document_id"), s_str (v, "operation_id"));
        else if (strcmp (label, "D_delete") == 0)
            snprintf (what, sizeof what, "INFO  materialize: Deleted document %s final view %s ",
                      s_str (v, "document_id"), s_str (v, "operation_id"));
        else
            continue; //  concurrent branches: their view ids are the materialiser's to compute
        s_wait_line (node, (const char *[]){what, tail, NULL});
    }
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  Entry 16 (tag_red) with the operation of entry 17: the hash does not
//  match, the client gets an error, and the log says why, with the author.
static void
s_publish_mismatch (panda_http_t *http, char *message, size_t size)
{
    json_t *entry = panda_fixture_sequence_entry (16), *other = panda_fixture_sequence_entry (17);
    for (size_t i = 0; i < 16; i++) {
        json_t *answer = panda_fixture_publish_sequence_entry (http, i, NULL);
        json_decref (answer);
    }
    panda_fixture_wait_schema (http, s_str (entry, "schema_id"), LOG_MS);
    json_t *answer =
        panda_fixture_publish (http, s_str (entry, "entry_hex"), s_str (other, "operation_hex"), NULL);
    const char *error = s_str (json_array_get (json_object_get (answer, "errors"), 0), "message");
    if (!error)
        fail_msg ("a publish with another entry's operation was accepted");
    snprintf (message, size, "%s", error);
    json_decref (answer);
}

static void
test_rejected_publish_and_debug_requests (void **state)
{
    static const char *const args[] = {"--log-level", "info,api=debug", NULL};
    panda_fixture_t *node;
    assert_int_equal (panda_fixture_setup (&node, args), 0);
    panda_fixture_require ();
    panda_http_t *http = panda_fixture_http (node);
    char message[512], line[1024];
    s_publish_mismatch (http, message, sizeof message);
    snprintf (line, sizeof line, "INFO  api: rejected publish by %s: %s",
              s_str (panda_fixture_sequence_entry (16), "public_key"), message);
    s_wait_line (node, (const char *[]){line, NULL});
    //  GET of the IDE and the publishes, at debug, with status and duration
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/graphql", NULL, NULL, 0, &resp), 0);
    panda_http_response_release (&resp);
    assert_int_equal (panda_http_request (http, "GET", "/nowhere", NULL, NULL, 0, &resp), 0);
    panda_http_response_release (&resp);
    s_wait_line (node, (const char *[]){"DEBUG api: GET /graphql 200 ", " ms", NULL});
    s_wait_line (node, (const char *[]){"DEBUG api: GET /nowhere 404 ", " ms", NULL});
    s_wait_line (node, (const char *[]){"DEBUG api: POST /graphql 200 ", " ms", NULL});
    //  the other actors stay at info: verify and storage saw the publish
    //  but their debug lines are filtered out
    char *text = panda_fixture_log (node);
    assert_null (strstr (text, "DEBUG verify"));
    assert_null (strstr (text, "DEBUG storage"));
    assert_null (strstr (text, "DEBUG materialize"));
    assert_non_null (strstr (text, "INFO  materialize: Created document"));
    free (text);
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  --log-level off: the summary still shows (bare, on stdout, as
//  aquadoggo prints its key lines), nothing else does.
static void
test_log_level_off_keeps_the_summary (void **state)
{
    static const char *const args[] = {"--log-level", "off", NULL};
    panda_fixture_t *node;
    assert_int_equal (panda_fixture_setup (&node, args), 0);
    panda_fixture_require ();
    s_check_summary (node, "off");
    char message[512];
    s_publish_mismatch (panda_fixture_http (node), message, sizeof message);
    char *text = panda_fixture_log (node);
    assert_null (strstr (text, "Z INFO"));
    assert_null (strstr (text, "rejected publish"));
    assert_null (strstr (text, "Created document"));
    assert_true (strncmp (text, "pandad " PANDA_VERSION "\n", strlen ("pandad " PANDA_VERSION "\n")) == 0);
    free (text);
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  Another program's module in the filter is ignored, and said to be,
//  even when it leaves the node's own lines off.
static void
test_unknown_module_is_named (void **state)
{
    static const char *const args[] = {"--log-level", "sqlx=debug", NULL};
    panda_fixture_t *node;
    assert_int_equal (panda_fixture_setup (&node, args), 0);
    panda_fixture_require ();
    s_wait_line (node, (const char *[]){"log_level: sqlx: no such part in pandad, ignored", NULL});
    assert_int_equal (panda_fixture_stop (&node), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_summary_at_start),
        cmocka_unit_test (test_document_lines),
        cmocka_unit_test (test_rejected_publish_and_debug_requests),
        cmocka_unit_test (test_log_level_off_keeps_the_summary),
        cmocka_unit_test (test_unknown_module_is_named),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
