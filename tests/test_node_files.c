/*  test_node_files.c - what pandad does with its data directory.

    One node per database: a second pandad on the same data exits at start
    and names the process that holds it, while the first keeps serving; a
    SIGKILLed node leaves no stale lock behind. Every file holding data is
    private to the user (0600). SIGTERM ends the node within
    shutdown_timeout_ms even while a request keeps a worker busy, and what
    was acknowledged before is there after a restart.                      */
#define _GNU_SOURCE
#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define START_MS 30000
#define REQUEST_MS 20000
#define SHUTDOWN_MS 1000 //  --shutdown-timeout-ms of the stop test

//  Publish publish_sequence.json entry i (a system-schema CREATE for
//  i < 16) and check it was acknowledged.
static void
s_publish (panda_http_t *http, size_t i)
{
    json_t *answer = panda_fixture_publish_sequence_entry (http, i, NULL);
    if (!json_is_object (json_object_get (json_object_get (answer, "data"), "publish")))
        fail_msg ("publish not acknowledged: %s", json_dumps (answer, 0));
    json_decref (answer);
}

//  nextArgs of publish_sequence's first author: log 1 once entry 0 is in.
static json_t *
s_log_id_after_first (panda_http_t *http)
{
    json_t *v = panda_fixture_sequence_entry (0);
    int status;
    json_t *answer =
        panda_fixture_next_args (http, json_string_value (json_object_get (v, "public_key")), NULL, &status);
    json_t *log_id =
        answer ? json_object_get (json_object_get (json_object_get (answer, "data"), "nextArgs"), "logId")
               : NULL;
    json_incref (log_id);
    json_decref (answer);
    return log_id;
}

static void
s_assert_first_is_stored (panda_fixture_t *node)
{
    json_t *log_id = s_log_id_after_first (panda_fixture_http (node));
    assert_non_null (log_id);
    assert_string_equal (json_string_value (log_id), "1");
    json_decref (log_id);
}

static void
test_second_node_is_refused (void **state)
{
    (void) state;
    panda_fixture_require ();
    panda_fixture_t *first = panda_fixture_start (NULL, START_MS, REQUEST_MS);
    assert_non_null (first);
    panda_http_t *http = panda_fixture_http (first);
    s_publish (http, 0);

    const char *args[] = {"--data-dir", panda_fixture_dir (first), "--http-address", "127.0.0.1", "-p", "0",
                          NULL};
    char *output = NULL;
    int status = panda_pandad_run (args, START_MS, &output);
    char expected[64];
    snprintf (expected, sizeof expected, "in use by another pandad (pid %d)",
              panda_pandad_pid (panda_fixture_pandad (first)));
    if (status == 0 || !output || !strstr (output, expected))
        fail_msg ("second pandad: status %d, output: %s", status, output ? output : "(none)");
    free (output);

    //  The first node was not disturbed.
    json_t *log_id = s_log_id_after_first (http);
    assert_string_equal (json_string_value (log_id), "1");
    json_decref (log_id);

    //  A SIGKILLed node leaves no lock behind.
    panda_fixture_kill (first);
    panda_fixture_restart (first, NULL);
    s_assert_first_is_stored (first);
    assert_int_equal (panda_fixture_stop (&first), 0);
}

static void
s_assert_private (const char *dir, const char *name)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat (path, &st) != 0)
        fail_msg ("%s does not exist", path);
    if (st.st_mode & 077)
        fail_msg ("%s has mode %03o, want 0600", path, st.st_mode & 0777);
}

static void
test_files_are_private (void **state)
{
    (void) state;
    panda_fixture_require ();
    //  Under a permissive umask too: the node does not rely on the caller's.
    mode_t old = umask (0);
    panda_fixture_t *node = panda_fixture_start (NULL, START_MS, REQUEST_MS);
    umask (old);
    assert_non_null (node);
    s_publish (panda_fixture_http (node), 0);
    const char *dir = panda_fixture_dir (node);
    //  While running: WAL and shared-memory files exist beside each database.
    const char *files[] = {"pandad.sqlite3",          "pandad.sqlite3-wal",   "pandad.sqlite3-shm",
                           "pandad.sqlite3-lock",     "pandad.sqlite3-views", "pandad.sqlite3-views-wal",
                           "pandad.sqlite3-views-shm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        s_assert_private (dir, files[i]);
    struct stat st;
    char blobs[4096];
    snprintf (blobs, sizeof blobs, "%s/blobs", dir);
    assert_int_equal (stat (blobs, &st), 0);
    assert_int_equal (st.st_mode & 077, 0);
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  A request that keeps a civetweb worker busy: a GraphQL body whose client
//  never sends the rest, and an expensive query. Runs until the node
//  closes the connection or REQUEST_MS passes.
typedef struct {
    int port;
    const char *body;
} s_busy_t;

static void *
s_busy_client (void *args_)
{
    s_busy_t *args = args_;
    panda_http_t *http = panda_http_connect ("127.0.0.1", args->port, REQUEST_MS);
    if (http) {
        panda_http_response_t resp;
        if (panda_http_request (http, "POST", "/graphql", "Content-Type: application/json\r\n", args->body,
                                strlen (args->body), &resp) == 0)
            panda_http_response_release (&resp);
        panda_http_destroy (&http);
    }
    return NULL;
}

//  Doubling fragments: F0 spreads F1 twice, F1 spreads F2 twice, ...
static char *
s_fragment_bomb (int levels)
{
    size_t cap = 200 + (size_t) levels * 80;
    char *query = malloc (cap), *body = malloc (cap + 64);
    size_t used = (size_t) snprintf (query, cap, "query Q { ...F0 } ");
    for (int i = 0; i < levels; i++)
        used += (size_t) snprintf (query + used, cap - used, "fragment F%d on Query { ...F%d ...F%d } ", i,
                                   i + 1, i + 1);
    snprintf (query + used, cap - used, "fragment F%d on Query { __typename }", levels);
    snprintf (body, cap + 64, "{\"query\":\"%s\"}", query);
    free (query);
    return body;
}

static void
test_sigterm_is_bounded (void **state)
{
    (void) state;
    panda_fixture_require ();
    const char *args[] = {"--shutdown-timeout-ms", "1000", NULL};
    panda_fixture_t *fixture = panda_fixture_start (args, START_MS, REQUEST_MS);
    assert_non_null (fixture);
    panda_pandad_t *node = panda_fixture_pandad (fixture);
    int port = panda_fixture_port (fixture);
    s_publish (panda_fixture_http (fixture), 0);
    panda_fixture_disconnect (fixture);

    char *bomb = s_fragment_bomb (40);
    s_busy_t busy = {port, bomb};
    int64_t before = panda_pandad_cpu_ms (node);
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_busy_client, &busy), 0);
    //  Wait until the node is busy with it (a tenth of a second of CPU),
    //  or for a node that refuses it at once, until the client is answered.
    int64_t until = zclock_mono () + REQUEST_MS;
    bool joined = false;
    while (panda_pandad_cpu_ms (node) < before + 100 && !(joined = pthread_tryjoin_np (thread, NULL) == 0) &&
           zclock_mono () < until) {
        struct timespec tick = {0, 2000000};
        nanosleep (&tick, NULL); //  polling the node's CPU clock
    }
    //  Whatever the node made of the request by now, SIGTERM must end it.
    int64_t start = zclock_mono ();
    int status = panda_pandad_signal (node, SIGTERM, SHUTDOWN_MS + 4000);
    int64_t took = zclock_mono () - start;
    if (status == -1)
        fail_msg ("pandad still running %lld ms after SIGTERM", (long long) took);
    print_message ("pandad exited with status %d %lld ms after SIGTERM\n", status, (long long) took);
    if (!joined)
        pthread_join (thread, NULL);
    free (bomb);
    //  What was acknowledged is there.
    const char *defaults[] = {"--shutdown-timeout-ms", "5000", NULL};
    panda_fixture_restart (fixture, defaults);
    s_assert_first_is_stored (fixture);
    assert_int_equal (panda_fixture_stop (&fixture), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_second_node_is_refused),
        cmocka_unit_test (test_files_are_private),
        cmocka_unit_test (test_sigterm_is_bounded),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
