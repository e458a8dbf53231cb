/*  test_node_processes.c - the actors of one node in two processes.

    Node A runs api, ingest, storage and materialize; B runs the verify
    pool alone, without the database. They meet on ipc:// endpoints in a
    temp dir. Publishes through A are verified in B; when B is SIGKILLed a
    publish fails with a clear error within pipeline_timeout_ms instead of
    hanging (at once when B's sockets are closed, after pipeline_timeout_ms
    when B is stopped), and once B runs again publishes work again. Partial actor
    sets with inproc:// endpoints are refused at start, naming the key.
    The api alone in its own process works too.                           */
#define _GNU_SOURCE
#include <czmq.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define START_MS 30000
#define REQUEST_MS 20000
#define PIPELINE_MS "2000"
#define RECOVER_MS 15000

typedef struct {
    char dir[64];
    char verify[128], storage[128], replies[128];
} s_endpoints_t;

static void
s_endpoints (s_endpoints_t *e)
{
    snprintf (e->dir, sizeof e->dir, "/tmp/pandad-ipc-XXXXXX");
    assert_non_null (mkdtemp (e->dir));
    snprintf (e->verify, sizeof e->verify, "ipc://%s/verify-*", e->dir);
    snprintf (e->storage, sizeof e->storage, "ipc://%s/storage", e->dir);
    snprintf (e->replies, sizeof e->replies, "ipc://%s/replies", e->dir);
}

static void
s_endpoints_remove (s_endpoints_t *e)
{
    const char *names[] = {"verify-0", "verify-1", "storage", "replies"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf (path, sizeof path, "%s/%s", e->dir, names[i]);
        unlink (path);
    }
    rmdir (e->dir);
}

//  Publish publish_sequence.json entry i; returns the answer (caller owns).
static json_t *
s_publish (panda_http_t *http, size_t i)
{
    int status;
    json_t *answer = panda_fixture_publish_sequence_entry (http, i, &status);
    assert_non_null (answer);
    return answer;
}

//  The nextArgs answered (logId, seqNum, backlink, skiplink) equal entry
//  i's next_args_after.
static bool
s_args_match (json_t *args, size_t i)
{
    json_t *want = json_object_get (panda_fixture_sequence_entry (i), "next_args_after");
    const char *keys[] = {"log_id", "seq_num", "backlink", "skiplink"};
    const char *gql[] = {"logId", "seqNum", "backlink", "skiplink"};
    bool same = json_is_object (args);
    for (size_t k = 0; same && k < 4; k++)
        same =
            json_equal (json_object_get (want, keys[k]), json_object_get (args, gql[k])) ||
            (json_is_null (json_object_get (want, keys[k])) && json_is_null (json_object_get (args, gql[k])));
    return same;
}

//  The first error message of a GraphQL answer, or "".
static const char *
s_error (json_t *answer)
{
    const char *message = json_string_value (
        json_object_get (json_array_get (json_object_get (answer, "errors"), 0), "message"));
    return message ? message : "";
}

//  Publish entry i until ingest's connection to the verify process is up
//  (the only error allowed until then is the clear one), within a deadline.
static void
s_publish_when_connected (panda_http_t *http, size_t i)
{
    int64_t deadline = zclock_mono () + RECOVER_MS;
    bool stored = false;
    while (!stored && zclock_mono () < deadline) {
        json_t *answer = s_publish (http, i);
        stored = s_args_match (json_object_get (json_object_get (answer, "data"), "publish"), i);
        if (!stored && !strstr (s_error (answer), "is its process running?"))
            fail_msg ("entry %zu: %s", i, json_dumps (answer, 0));
        json_decref (answer);
        if (!stored)
            zclock_sleep (20); //  poll interval while the connection comes up
    }
    assert_true (stored);
}

//  Wait until the schema publish_sequence.json entry 1 defines is served.
static void
s_wait_vector_tag (panda_http_t *http)
{
    char type[256];
    snprintf (type, sizeof type, "vector_tag_%s",
              json_string_value (json_object_get (panda_fixture_sequence_entry (1), "operation_id")));
    panda_fixture_wait_schema (http, type, RECOVER_MS);
}

//  SIGSTOP stops a process's threads as each next enters the kernel, after
//  kill() returns: wait until every thread of pid says it is stopped (T),
//  so that nothing of it runs once the test goes on.
static void
s_wait_stopped (pid_t pid)
{
    int64_t deadline = zclock_mono () + START_MS;
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
    while (true) {
        DIR *tasks = opendir (path);
        assert_non_null (tasks);
        bool all = true;
        for (struct dirent *task; all && (task = readdir (tasks));) {
            if (task->d_name[0] == '.')
                continue;
            char stat_path[400], line[512] = "";
            snprintf (stat_path, sizeof stat_path, "%s/%s/stat", path, task->d_name);
            FILE *file = fopen (stat_path, "r");
            if (file && fgets (line, sizeof line, file)) {
                const char *state = strrchr (line, ')'); //  "pid (comm) S ..."
                all = state && (state[2] == 'T' || state[2] == 't');
            }
            if (file)
                fclose (file);
        }
        closedir (tasks);
        if (all)
            return;
        if (zclock_mono () > deadline)
            fail_msg ("process %d did not stop", (int) pid);
        zclock_sleep (5);
    }
}

static void
test_verify_in_its_own_process (void **state)
{
    (void) state;
    panda_fixture_require ();
    s_endpoints_t e;
    s_endpoints (&e);
    const char *a_args[] = {"--actors",
                            "api,ingest,storage,materialize",
                            "--verify-threads",
                            "2",
                            "--verify-endpoint",
                            e.verify,
                            "--storage-endpoint",
                            e.storage,
                            "--replies-endpoint",
                            e.replies,
                            "--pipeline-timeout-ms",
                            PIPELINE_MS,
                            NULL};
    const char *b_args[] = {"--actors",
                            "verify",
                            "--verify-threads",
                            "2",
                            "--verify-endpoint",
                            e.verify,
                            "--storage-endpoint",
                            e.storage,
                            "--replies-endpoint",
                            e.replies,
                            NULL};
    //  A first: its sockets connect to B's before B binds them.
    panda_pandad_t *a = panda_pandad_start (a_args, START_MS);
    assert_non_null (a);
    panda_pandad_t *b = panda_pandad_start_marker (b_args, "pandad: ready", START_MS);
    assert_non_null (b);
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (a), REQUEST_MS);
    assert_non_null (http);

    //  "ready" means B's sockets are bound; A connects to each verify
    //  worker's within ZeroMQ's reconnect interval.
    for (size_t i = 0; i < 3; i++)
        s_publish_when_connected (http, i);
    //  A query: the schema of entry 1 is materialised in A.
    s_wait_vector_tag (http);

    //  B gone: the next publish fails with the clear error, in time.
    panda_pandad_kill (b);
    int64_t start = zclock_mono ();
    json_t *answer = s_publish (http, 3);
    int64_t took = zclock_mono () - start;
    if (!strstr (s_error (answer), "is its process running?"))
        fail_msg ("publish without verify: %s", json_dumps (answer, 0));
    assert_true (took < atoi (PIPELINE_MS) + 3000);
    json_decref (answer);

    //  B back: ZeroMQ reconnects and the same publish goes through.
    assert_non_null (panda_pandad_restart (b, NULL, START_MS));
    s_publish_when_connected (http, 3);
    s_publish_when_connected (http, 4);

    //  B stopped, its connections open: the request waits in B's socket
    //  and ingest's deadline answers it.
    assert_int_equal (kill (panda_pandad_pid (b), SIGSTOP), 0);
    s_wait_stopped (panda_pandad_pid (b));
    start = zclock_mono ();
    answer = s_publish (http, 5);
    took = zclock_mono () - start;
    if (!strstr (s_error (answer), "did not answer in time (is its process running?)"))
        fail_msg ("publish to a stopped verify: %s", json_dumps (answer, 0));
    assert_true (took >= atoi (PIPELINE_MS) - 100 && took < atoi (PIPELINE_MS) + 3000);
    json_decref (answer);
    //  Killed while stopped, the request is lost with it; restarted, B
    //  takes the same publish.
    panda_pandad_kill (b);
    assert_non_null (panda_pandad_restart (b, NULL, START_MS));
    s_publish_when_connected (http, 5);

    panda_http_destroy (&http);
    assert_int_equal (panda_pandad_stop (&b), 0);
    assert_int_equal (panda_pandad_stop (&a), 0);
    s_endpoints_remove (&e);
}

//  The api alone in one process (C), every other actor in another (D) on
//  the same data dir: C reads the views D's materialiser writes, asks D's
//  ingest over ipc://, and hears of new schemas over ipc:// too.
static void
test_api_in_its_own_process (void **state)
{
    (void) state;
    panda_fixture_require ();
    s_endpoints_t e;
    s_endpoints (&e);
    char ingest[128], schemas[128];
    snprintf (ingest, sizeof ingest, "ipc://%s/ingest", e.dir);
    snprintf (schemas, sizeof schemas, "ipc://%s/schemas", e.dir);
    const char *d_args[] = {"--actors",
                            "ingest,verify,storage,materialize",
                            "--ingest-endpoint",
                            ingest,
                            "--schemas-endpoint",
                            schemas,
                            NULL};
    panda_pandad_t *d = panda_pandad_start_marker (d_args, "pandad: ready", START_MS);
    assert_non_null (d);
    const char *c_args[] = {
        "--actors",           "api",   "--data-dir", panda_pandad_dir (d), "--ingest-endpoint", ingest,
        "--schemas-endpoint", schemas, NULL};
    panda_pandad_t *c = panda_pandad_start (c_args, START_MS);
    assert_non_null (c);
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (c), REQUEST_MS);
    assert_non_null (http);
    for (size_t i = 0; i < 3; i++)
        s_publish_when_connected (http, i);
    s_wait_vector_tag (http);
    panda_http_destroy (&http);
    assert_int_equal (panda_pandad_stop (&c), 0);
    assert_int_equal (panda_pandad_stop (&d), 0);
    char path[192];
    snprintf (path, sizeof path, "%s/ingest", e.dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/schemas", e.dir);
    unlink (path);
    s_endpoints_remove (&e);
}

static void
s_refused (const char *const *args, const char *expected)
{
    char *output = NULL;
    int status = panda_pandad_run (args, START_MS, &output);
    if (status == 0 || !output || !strstr (output, expected))
        fail_msg ("status %d, want \"%s\" in: %s", status, expected, output ? output : "(none)");
    free (output);
}

static void
test_partial_actors_need_shared_endpoints (void **state)
{
    (void) state;
    panda_fixture_require ();
    const char *verify_only[] = {"--actors", "verify", NULL};
    s_refused (verify_only,
               "verify_endpoint is inproc:// but ingest runs in another process: use ipc:// or tcp://");
    const char *bogus[] = {"--actors", "api,bogus", NULL};
    s_refused (bogus, "actors: expected names among");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_partial_actors_need_shared_endpoints),
        cmocka_unit_test (test_verify_in_its_own_process),
        cmocka_unit_test (test_api_in_its_own_process),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
