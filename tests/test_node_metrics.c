/*  test_node_metrics.c - what an operator watches: GET /metrics (checked
    with Prometheus' own promtool), GET /health, GraphQL's
    extensions.viewsBehind and the progress of a views rebuild, and the
    start-up lines about the config file, on the real pandad.

    Values are compared with what the test did (N publishes accepted, one
    refused for each reason it provoked), never with what the node said
    before about itself alone.                                             */
#define _GNU_SOURCE //  open_memstream, setenv
#include "panda_test.h"
#include "panda_fixture.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAIT_MS 30000

static panda_fixture_t *s_node;

//  --- reading the exposition -------------------------------------------------

static char *
s_get (panda_http_t *http, const char *path, int *status)
{
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", path, NULL, NULL, 0, &resp), 0);
    *status = resp.status;
    char *body = strdup (resp.body);
    panda_http_response_release (&resp);
    return body;
}

static char *
s_metrics (panda_fixture_t *node)
{
    int status;
    char *text = s_get (panda_fixture_http (node), "/metrics", &status);
    assert_int_equal (status, 200);
    return text;
}

//  The value of the sample named exactly series ("name" or
//  "name{label=\"v\"}"), -1 when absent.
static double
s_value (const char *text, const char *series)
{
    size_t len = strlen (series);
    for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
        if (strncmp (line, series, len) == 0 && line[len] == ' ')
            return strtod (line + len + 1, NULL);
    return -1;
}

static double
s_metric (panda_fixture_t *node, const char *series)
{
    char *text = s_metrics (node);
    double v = s_value (text, series);
    free (text);
    return v;
}

//  promtool, from Debian's prometheus package (scripts/install-deps.sh),
//  accepts the page: names, types, help, histogram buckets in order.
static void
s_promtool_check (const char *text)
{
    if (system ("command -v promtool > /dev/null 2>&1") != 0)
        fail_msg ("promtool is missing: run scripts/install-deps.sh (Debian package prometheus)");
    char path[] = "/tmp/panda_metrics_XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    char command[256];
    snprintf (command, sizeof command, "promtool check metrics < %s", path);
    int rc = system (command);
    unlink (path);
    if (rc != 0)
        fail_msg ("promtool check metrics refused the page:\n%s", text);
}

static json_t *
s_health (panda_fixture_t *node, int *status)
{
    char *text = s_get (panda_fixture_http (node), "/health", status);
    json_t *health = json_loads (text, 0, NULL);
    if (!health)
        fail_msg ("GET /health is not JSON: %s", text);
    free (text);
    return health;
}

static int
s_setup (void **state)
{
    (void) state;
    //  Replication on a free port of the loopback (test_replication_totals).
    static const char *const args[] = {"--node-port", "0", "--node-address", "127.0.0.1", NULL};
    return panda_fixture_setup (&s_node, args);
}

static int
s_teardown (void **state)
{
    (void) state;
    panda_fixture_stop (&s_node);
    return 0;
}

//  --- tests ---------------------------------------------------------------------

//  Publishes count as the client saw them: accepted ones, and refused ones
//  under the reason of their error; the page stays valid throughout.
static void
test_metrics_publishes (void **state)
{
    (void) state;
    panda_fixture_require ();
    panda_fixture_t *node = s_node;
    char *before = s_metrics (node);
    s_promtool_check (before);
    assert_true (s_value (before, "pandad_publishes_accepted_total") == 0);
    assert_true (s_value (before, "pandad_entries") == 0);
    assert_true (s_value (before, "pandad_replication_up") == 1);
    assert_true (s_value (before, "pandad_replication_peers") == 0);
    double graphql_before = s_value (before, "pandad_http_request_duration_seconds_count{route=\"graphql\"}");
    free (before);
    panda_http_t *http = panda_fixture_http (node);
    enum { N = 6 };
    for (size_t i = 0; i < N; i++) {
        int status;
        json_t *answer = panda_fixture_publish_sequence_entry (http, i, &status);
        assert_int_equal (status, 200);
        assert_null (json_object_get (answer, "errors"));
        json_decref (answer);
    }
    //  The same entry again: its seq num is taken.
    int status;
    json_t *again = panda_fixture_publish_sequence_entry (http, 0, &status);
    assert_non_null (json_object_get (again, "errors"));
    json_decref (again);
    //  Entry N with its signature changed.
    json_t *next = panda_fixture_sequence_entry (N);
    char *forged = strdup (json_string_value (json_object_get (next, "entry_hex")));
    size_t len = strlen (forged);
    forged[len - 100] = forged[len - 100] == 'a' ? 'b' : 'a';
    json_t *bad_sig = panda_fixture_publish (
        http, forged, json_string_value (json_object_get (next, "operation_hex")), &status);
    free (forged);
    assert_non_null (json_object_get (bad_sig, "errors"));
    json_decref (bad_sig);
    //  An operation that is not CBOR.
    json_t *garbage =
        panda_fixture_publish (http, json_string_value (json_object_get (next, "entry_hex")), "ff", &status);
    assert_non_null (json_object_get (garbage, "errors"));
    json_decref (garbage);

    char *after = s_metrics (node);
    s_promtool_check (after);
    assert_true (s_value (after, "pandad_publishes_accepted_total") == N);
    assert_true (s_value (after, "pandad_publishes_rejected_total{reason=\"invalid\"}") == 1);
    assert_true (s_value (after, "pandad_publishes_rejected_total{reason=\"signature\"}") == 1);
    assert_true (s_value (after, "pandad_publishes_rejected_total{reason=\"malformed\"}") == 1);
    assert_true (s_value (after, "pandad_publishes_rejected_total{reason=\"schema\"}") == 0);
    //  Stored before they were acknowledged: counted at once.
    assert_true (s_value (after, "pandad_entries") == N);
    assert_true (s_value (after, "pandad_documents") == N); //  each a CREATE
    //  Every GraphQL request was timed (9 publishes).
    assert_true (s_value (after, "pandad_http_request_duration_seconds_count{route=\"graphql\"}") >=
                 graphql_before + N + 3);
    assert_true (
        s_value (after, "pandad_http_request_duration_seconds_bucket{route=\"graphql\",le=\"+Inf\"}") ==
        s_value (after, "pandad_http_request_duration_seconds_count{route=\"graphql\"}"));
    //  Each accepted publish passed storage; nothing waits once answered.
    assert_true (s_value (after, "pandad_actor_messages_total{actor=\"storage\"}") >= N);
    assert_true (s_value (after, "pandad_actor_queue_messages{actor=\"storage\"}") == 0);
    assert_true (s_value (after, "pandad_actor_queue_messages{actor=\"verify\"}") == 0);
    free (after);
    //  The materialiser catches up: nothing behind, position at the last entry.
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (s_metric (node, "pandad_views_behind_entries") != 0 && zclock_mono () < deadline)
        zclock_sleep (20);
    assert_true (s_metric (node, "pandad_views_behind_entries") == 0);
    assert_true (s_metric (node, "pandad_views_position") >= N);
    //  A blob request is timed in its own class.
    char *page = s_get (http, "/blobs/0020aaaa", &status);
    free (page);
    assert_true (s_metric (node, "pandad_http_request_duration_seconds_count{route=\"blobs\"}") >= 1);
}

//  A healthy node says so, with the figures it judged by.
static void
test_health_ready (void **state)
{
    (void) state;
    panda_fixture_require ();
    int status;
    json_t *health = s_health (s_node, &status);
    assert_int_equal (status, 200);
    assert_true (json_is_true (json_object_get (health, "ready")));
    assert_string_equal (json_string_value (json_object_get (health, "database")), "ok");
    assert_string_equal (json_string_value (json_object_get (health, "pipeline")), "ok");
    assert_int_equal (json_integer_value (json_object_get (health, "views_behind")), 0);
    assert_int_equal (json_integer_value (json_object_get (health, "entries")),
                      (json_int_t) s_metric (s_node, "pandad_entries"));
    json_decref (health);
}

//  A GraphQL answer's extensions.viewsBehind, -1 when it has none.
static json_int_t
s_views_behind_extension (panda_fixture_t *node)
{
    json_t *answer =
        panda_fixture_graphql (panda_fixture_http (node), "{ __schema { queryType { name } } }", NULL, NULL);
    assert_non_null (json_object_get (answer, "data"));
    json_t *behind = json_object_get (json_object_get (answer, "extensions"), "viewsBehind");
    json_int_t n = behind ? json_integer_value (behind) : -1;
    json_decref (answer);
    return n;
}

//  Views that lag: with no materialiser running, /health is 503 and says
//  by how much, and GraphQL answers carry extensions.viewsBehind. With the
//  views database deleted, the next full start rebuilds it, logging how
//  far it is; afterwards both are back to normal.
static void
test_views_behind (void **state)
{
    (void) state;
    panda_fixture_require ();
    panda_fixture_t *node = s_node;
    char events[600], schemas[600];
    snprintf (events, sizeof events, "ipc://%s/events", panda_fixture_dir (node));
    snprintf (schemas, sizeof schemas, "ipc://%s/schemas", panda_fixture_dir (node));
    char storage[600];
    snprintf (storage, sizeof storage, "ipc://%s/storage", panda_fixture_dir (node));
    const char *no_materializer[] = {"--actors",
                                     "api,ingest,verify,storage",
                                     "--storage-endpoint",
                                     storage,
                                     "--events-endpoint",
                                     events,
                                     "--schemas-endpoint",
                                     schemas,
                                     "--views-behind-limit",
                                     "0",
                                     NULL};
    panda_fixture_restart (node, no_materializer);
    int64_t stored = (int64_t) s_metric (node, "pandad_entries");
    assert_true (stored > 0);
    enum { K = 4, FIRST = 6 }; //  test_metrics_publishes stored entries 0-5
    for (size_t i = FIRST; i < FIRST + K; i++) {
        int status;
        json_t *answer = panda_fixture_publish_sequence_entry (panda_fixture_http (node), i, &status);
        assert_null (json_object_get (answer, "errors"));
        json_decref (answer);
    }
    int status;
    json_t *health = s_health (node, &status);
    assert_int_equal (status, 503);
    assert_false (json_is_true (json_object_get (health, "ready")));
    assert_string_equal (json_string_value (json_object_get (health, "status")), "catching up");
    assert_string_equal (json_string_value (json_object_get (health, "database")), "ok");
    assert_int_equal (json_integer_value (json_object_get (health, "views_behind")), K);
    json_decref (health);
    assert_true (s_metric (node, "pandad_views_behind_entries") == K);
    //  GraphQL's figure may be a moment old: poll.
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (s_views_behind_extension (node) != K && zclock_mono () < deadline)
        zclock_sleep (50);
    assert_int_equal (s_views_behind_extension (node), K);

    //  Views database gone: rebuilt from every stored entry at the next start.
    panda_fixture_kill (node);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char path[700];
        snprintf (path, sizeof path, "%s/pandad.sqlite3-views%s", panda_fixture_dir (node), suffixes[i]);
        unlink (path);
    }
    const char *defaults[] = {"--node-port", "0", "--node-address", "127.0.0.1", NULL};
    panda_fixture_restart (node, defaults);
    char line[128];
    snprintf (line, sizeof line, "rebuilding the views database from %lld stored entries",
              (long long) (stored + K));
    assert_true (panda_fixture_wait_log (node, line, 1, WAIT_MS));
    snprintf (line, sizeof line, "views caught up: %lld entries", (long long) (stored + K));
    assert_true (panda_fixture_wait_log (node, line, 1, WAIT_MS));
    deadline = zclock_mono () + WAIT_MS;
    do {
        health = s_health (node, &status);
        json_decref (health);
    } while (status != 200 && zclock_mono () < deadline && (zclock_sleep (50), true));
    assert_int_equal (status, 200);
    deadline = zclock_mono () + WAIT_MS;
    while (s_views_behind_extension (node) != -1 && zclock_mono () < deadline)
        zclock_sleep (50);
    assert_int_equal (s_views_behind_extension (node), -1);
}

//  A node's "P@127.0.0.1:N" (peer id, replication port) into out.
static bool
s_replication_address (panda_fixture_t *node, char *out, size_t size)
{
    //  GET /replication names the node's peer id and bound port.
    panda_http_response_t resp = {0};
    if (panda_http_request (panda_fixture_http (node), "GET", "/replication", NULL, NULL, 0, &resp) != 0)
        return false;
    json_t *info = json_loads (resp.body, 0, NULL);
    panda_http_response_release (&resp);
    const char *peer = json_string_value (json_object_get (info, "peer_id"));
    json_int_t port = json_integer_value (json_object_get (info, "port"));
    bool found =
        peer && port > 0 && snprintf (out, size, "%s@127.0.0.1:%lld", peer, (long long) port) < (int) size;
    json_decref (info);
    return found;
}

//  A second node dials the first and catches up: both count the
//  connection, and what one sent the other received.
static void
test_replication_totals (void **state)
{
    (void) state;
    panda_fixture_require ();
    char address[256];
    assert_true (s_replication_address (s_node, address, sizeof address));
    double stored = s_metric (s_node, "pandad_entries");
    assert_true (stored > 0);
    const char *args[] = {"--node-port", "0", "--node-address", "127.0.0.1", "-n", address, NULL};
    panda_fixture_t *b = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    assert_non_null (b);
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (s_metric (b, "pandad_entries") < stored && zclock_mono () < deadline)
        zclock_sleep (50);
    char *page_b = s_metrics (b);
    s_promtool_check (page_b);
    assert_true (s_value (page_b, "pandad_entries") == stored);
    assert_true (s_value (page_b, "pandad_replication_entries_received_total") >= stored);
    assert_true (s_value (page_b, "pandad_replication_bytes_received_total") > 0);
    assert_true (s_value (page_b, "pandad_replication_peers_connected") == 1);
    free (page_b);
    char *page_a = s_metrics (s_node);
    assert_true (s_value (page_a, "pandad_replication_entries_sent_total") >= stored);
    assert_true (s_value (page_a, "pandad_replication_peers_connected") == 1);
    //  Entries that came by replication are not client publishes.
    assert_true (s_metric (b, "pandad_publishes_accepted_total") == 0);
    free (page_a);
    panda_fixture_stop (&b);
}

//  The config file: aquadoggo 0.7's quic_port works with a warning,
//  settings without effect say so, and the node says which file it read.
static void
test_config_file_lines (void **state)
{
    (void) state;
    panda_fixture_require ();
    char dir[] = "/tmp/panda_metrics_cfg_XXXXXX";
    assert_non_null (mkdtemp (dir));
    char file[800];
    snprintf (file, sizeof file, "%s/config.toml", dir);
    FILE *f = fopen (file, "w");
    assert_non_null (f);
    fputs ("quic_port = 0\nworker_pool_size = 4\n", f);
    fclose (f);
    const char *args[] = {"-c", file, NULL};
    panda_fixture_t *node = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    assert_non_null (node);
    char line[900];
    snprintf (line, sizeof line, "configuration from %s", file);
    assert_true (panda_fixture_wait_log (node, line, 1, WAIT_MS));
    assert_true (panda_fixture_wait_log (node, "quic_port is aquadoggo's name before 0.8, read as node_port",
                                         1, WAIT_MS));
    assert_true (
        panda_fixture_wait_log (node, "worker_pool_size is set but has no effect in pandad", 1, WAIT_MS));
    panda_fixture_stop (&node);
    //  No file given: the user's XDG one is read.
    char xdg[600], env_dir[700];
    snprintf (xdg, sizeof xdg, "%s/pandad", dir);
    assert_int_equal (mkdir (xdg, 0700), 0);
    snprintf (file, sizeof file, "%s/config.toml", xdg);
    f = fopen (file, "w");
    assert_non_null (f);
    fputs ("graphql_max_page_size = 77\n", f);
    fclose (f);
    snprintf (env_dir, sizeof env_dir, "%s", dir);
    setenv ("XDG_CONFIG_HOME", env_dir, 1);
    const char *print[] = {"--print-config", NULL};
    char *output = NULL;
    int rc = panda_pandad_run (print, PANDA_FIXTURE_START_MS, &output);
    unsetenv ("XDG_CONFIG_HOME");
    assert_int_equal (rc, 0);
    assert_non_null (strstr (output, "graphql_max_page_size = 77"));
    free (output);
    unlink (file);
    rmdir (xdg);
    snprintf (file, sizeof file, "%s/config.toml", dir);
    unlink (file);
    rmdir (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_metrics_publishes), cmocka_unit_test (test_health_ready),
        cmocka_unit_test (test_views_behind),      cmocka_unit_test (test_replication_totals),
        cmocka_unit_test (test_config_file_lines),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
