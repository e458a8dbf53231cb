/*  test_node_relay.c - two nodes, each behind its own NAT, replicate
    through a public relay (docs/replication.md, "Relay"), as root in
    network namespaces.

    The internet: a "pub" namespace (10.0.1.1 and 10.0.2.1) running the
    relay. Two homes: hA and hB (both 192.168.1.2, as home networks are),
    each behind a router namespace (rA at 10.0.1.2, rB at 10.0.2.2) that
    masquerades (nftables), made by tests/netns_nat.sh. A home node can
    dial the relay; nothing can dial a home node, and the address the
    relay sees for one (its router's) leads nowhere. Every name starts with pdr<pid>; leftovers of
    gone processes are removed first, everything at exit, also after a
    failure. Without root, namespaces or nft, the test skips and says why.

    1. A and B, knowing only the relay, replicate both ways through it; the
       connection is "relayed" and the pure relay (allow_schema_ids = [])
       stores none of their entries, though it forwarded their bytes.
    2. The relay dies: both keep their data and A keeps publishing; the
       relay comes back on its key: B catches up through it.
    3. On 127.0.0.1 (no namespaces): a relay allowing one circuit refuses
       the others with the reason, and the nodes still replicate directly;
       a node of another network (psk) uses the same relay for relaying
       only and meets nobody of ours.                                    */
#define _GNU_SOURCE //  setns

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda/panda_keypair.h"
#include "panda/panda_operation.h"

#define CONVERGE_MS 60000 //  longest wait (ASan, two loaded cores)
#define S_NAT_SCRIPT PANDA_TEST_VECTORS "/../netns_nat.sh"

static const char s_tag[] = "vector_tag_002097d3a1a0f3425d2909274d3b1bb3eba84047fac3f2392456ee4fede400e5ba2f";
#define TAG_ENTRIES 2 //  publish_sequence.json entries 0-1 make vector_tag
#define TAGS_QUERY "{ all_%s(first: 100, orderBy: DOCUMENT_ID) { totalCount } }"

enum { PUB, HOME_A, HOME_B, NODES };
static const char *s_names[] = {"pub", "hA", "hB"};
static char s_prefix[32]; //  pdr<pid>
static int s_home = -1; //  the test's own network namespace
static bool s_made;

typedef struct {
    bool skip;
    panda_fixture_t *nodes[NODES];
    panda_fixture_t *loopback[5]; //  test_relay_limits: the relay, A, B, C, D (stopped by teardown)
    char relay_id[128];
} fixture_t;

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

//  Run a shell command (printf format); 0 on success. Quiet unless loud.
static int
s_sh (bool loud, const char *format, ...)
{
    char command[600];
    va_list args;
    va_start (args, format);
    int n = vsnprintf (command, sizeof command, format, args);
    va_end (args);
    if (n < 0 || (size_t) n >= sizeof command)
        return -1;
    char line[700];
    snprintf (line, sizeof line, "%s%s", command, loud ? "" : " >/dev/null 2>&1");
    int rc = system (line);
    if (rc != 0 && loud)
        fprintf (stderr, "test_node_relay: '%s' failed (%d)\n", line, rc);
    return rc;
}

//  Namespaces pdr<pid>... of processes that are gone.
static void
s_remove_leftovers (void)
{
    FILE *list = popen ("ip netns list 2>/dev/null", "r");
    if (!list)
        return;
    char line[256];
    while (fgets (line, sizeof line, list)) {
        line[strcspn (line, " \n")] = 0;
        char *end = NULL;
        long pid = strncmp (line, "pdr", 3) == 0 ? strtol (line + 3, &end, 10) : 0;
        if (pid <= 0 || end == line + 3 || pid == getpid () || kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
            continue;
        fprintf (stderr, "test_node_relay: removing leftover namespace %s\n", line);
        s_sh (false, "ip netns del %s", line);
    }
    pclose (list);
}

static void
s_remove_all (void)
{
    if (!s_made)
        return;
    if (s_home >= 0)
        setns (s_home, CLONE_NEWNET);
    s_sh (false, "%s down %s", S_NAT_SCRIPT, s_prefix);
    s_made = false;
}

static void
s_on_signal (int sig)
{
    s_remove_all ();
    signal (sig, SIG_DFL);
    raise (sig);
}

//  The internet, two routers with NAT, two homes (tests/netns_nat.sh). 0,
//  or -1 with why.
static int
s_make_nets (char *why, size_t size)
{
    if (geteuid () != 0) {
        snprintf (why, size, "not root: network namespaces need it");
        return -1;
    }
    if (s_sh (false, "command -v nft")) {
        snprintf (why, size, "nft (Debian package nftables) is not installed");
        return -1;
    }
    s_remove_leftovers ();
    if (s_sh (false, "ip netns add %stry && ip netns del %stry", s_prefix, s_prefix)) {
        snprintf (why, size, "'ip netns add' fails here (a container?)");
        return -1;
    }
    s_made = true;
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    if (s_sh (true, "%s up %s", S_NAT_SCRIPT, s_prefix)) {
        snprintf (why, size, "cannot build the namespaces, veths and NAT (%s)", S_NAT_SCRIPT);
        s_remove_all ();
        return -1;
    }
    return 0;
}

//  Enter node i's namespace (the test's thread only), and back.
static void
s_enter (int i)
{
    char path[128];
    snprintf (path, sizeof path, "/run/netns/%s%s", s_prefix, s_names[i]);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns (fd, CLONE_NEWNET) != 0)
        fail_msg ("cannot enter %s: %s", path, strerror (errno));
    close (fd);
}

static void
s_leave (void)
{
    if (setns (s_home, CLONE_NEWNET) != 0)
        fail_msg ("cannot return to the test's namespace: %s", strerror (errno));
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    *state = f;
    if (!f)
        return -1;
    if (!panda_fixture_available ()) {
        f->skip = true;
        return 0;
    }
    snprintf (s_prefix, sizeof s_prefix, "pdr%d", (int) getpid ());
    s_home = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    char why[128];
    atexit (s_remove_all);
    if (s_home < 0 || s_make_nets (why, sizeof why)) {
        fprintf (stderr, "test_node_relay: SKIPPED, %s\n", s_home < 0 ? "no /proc/thread-self/ns/net" : why);
        f->skip = true;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    int rc = 0;
    for (int i = 0; i < NODES; i++)
        if (f->nodes[i] && panda_fixture_stop (&f->nodes[i]) != 0) {
            fprintf (stderr, "node %s did not exit cleanly\n", s_names[i]);
            rc = -1;
        }
    for (int i = 0; i < 5; i++) //  after a failure in test_relay_limits
        panda_fixture_stop (&f->loopback[i]);
    s_remove_all ();
    if (s_home >= 0)
        close (s_home);
    free (f);
    return rc;
}

static void
s_dump_logs (fixture_t *f)
{
    for (int i = 0; i < NODES; i++) {
        if (!f->nodes[i])
            continue;
        char command[1200];
        snprintf (command, sizeof command, "echo '--- %s:'; tail -c 4000 %s/pandad.log >&2", s_names[i],
                  panda_fixture_dir (f->nodes[i]));
        s_sh (true, "%s", command);
    }
}

#define s_fail(f, ...)                                                                                       \
    do {                                                                                                     \
        s_leave ();                                                                                          \
        s_dump_logs (f);                                                                                     \
        fail_msg (__VA_ARGS__);                                                                              \
    } while (0)

static void
s_start (fixture_t *f, int i, const char *const *args)
{
    s_enter (i);
    f->nodes[i] = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    if (!f->nodes[i])
        s_fail (f, "node %s did not start", s_names[i]);
    s_leave ();
}

//  GET /replication of node i.
static json_t *
s_replication (fixture_t *f, int i)
{
    s_enter (i);
    panda_http_response_t resp = {0};
    int rc =
        panda_http_request (panda_fixture_http (f->nodes[i]), "GET", "/replication", NULL, NULL, 0, &resp);
    s_leave ();
    json_t *info = rc == 0 ? json_loads (resp.body, 0, NULL) : NULL;
    panda_http_response_release (&resp);
    if (!info)
        s_fail (f, "no GET /replication from %s", s_names[i]);
    return info;
}

static json_int_t
s_count (json_t *data)
{
    char key[256];
    snprintf (key, sizeof key, "all_%s", s_tag);
    json_t *count = json_object_get (json_object_get (data, key), "totalCount");
    return json_is_integer (count) ? json_integer_value (count) : -1;
}

static bool
s_has (json_t *data, void *want)
{
    return s_count (data) == *(json_int_t *) want;
}

//  Wait until node i serves n tags; ms it took.
static double
s_wait_tags (fixture_t *f, int i, json_int_t n)
{
    char query[512];
    snprintf (query, sizeof query, TAGS_QUERY, s_tag);
    double start = s_now_ms ();
    s_enter (i);
    json_t *answer =
        panda_http_graphql_until (panda_fixture_http (f->nodes[i]), query, s_has, &n, CONVERGE_MS);
    if (!answer)
        s_fail (f, "node %s did not serve %lld tags within %d ms", s_names[i], (long long) n, CONVERGE_MS);
    json_decref (answer);
    s_leave ();
    return s_now_ms () - start;
}

//  The tag schema (if with_schema), and one tag document by a new author.
static void
s_publish (fixture_t *f, int i, bool with_schema, const char *label)
{
    s_enter (i);
    panda_http_t *http = panda_fixture_http (f->nodes[i]);
    for (size_t k = 0; with_schema && k < TAG_ENTRIES; k++) {
        json_t *answer = panda_fixture_publish_sequence_entry (http, k, NULL);
        if (json_object_get (answer, "errors"))
            s_fail (f, "publish of sequence entry %zu on %s failed", k, s_names[i]);
        json_decref (answer);
    }
    panda_fixture_wait_schema (http, s_tag, CONVERGE_MS);
    panda_keypair_t *keypair = panda_keypair_new ();
    assert_non_null (keypair);
    panda_error_t err;
    panda_operation_t *op = panda_operation_new (PANDA_ACTION_CREATE, s_tag, NULL, 0, &err);
    assert_non_null (op);
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, label, strlen (label)), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "label", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    panda_fixture_signed_t s = panda_fixture_sign (keypair, 0, 1, NULL, NULL, &op);
    json_t *answer = panda_fixture_publish_signed (http, &s, NULL);
    if (!json_object_get (json_object_get (answer, "data"), "publish"))
        s_fail (f, "publish of a tag on %s failed", s_names[i]);
    json_decref (answer);
    panda_fixture_signed_release (&s);
    panda_keypair_destroy (&keypair);
    s_leave ();
}

//  Entries in node i's database (read from its file).
static long
s_stored_entries (fixture_t *f, int i)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/pandad.sqlite3", panda_fixture_dir (f->nodes[i]));
    sqlite3 *db = NULL;
    long n = -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2 (db, "SELECT count(*) FROM entries", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
        n = (long) sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return n;
}

//  The peer of node i with this direction and state ready, if any.
static bool
s_has_peer (json_t *info, const char *direction)
{
    json_t *peers = json_object_get (info, "peers"), *peer;
    size_t k;
    json_array_foreach (
        peers, k,
        peer) if (strcmp (json_string_value (json_object_get (peer, "direction")), direction) == 0 &&
                  strcmp (json_string_value (json_object_get (peer, "state")), "ready") == 0) return true;
    return false;
}

static void
test_relay_nat (void **state)
{
    fixture_t *f = *state;
    if (f->skip)
        skip ();
    //  The pure relay: relay mode, no schemas.
    const char *relay_args[] = {"--relay-mode", "true", "--allow-schema-ids", "", "--node-port",
                                "2022",         NULL};
    s_start (f, PUB, relay_args);
    json_t *info = s_replication (f, PUB);
    snprintf (f->relay_id, sizeof f->relay_id, "%s", json_string_value (json_object_get (info, "peer_id")));
    json_decref (info);
    char via_a[256], via_b[256];
    snprintf (via_a, sizeof via_a, "%s@10.0.1.1:2022", f->relay_id);
    snprintf (via_b, sizeof via_b, "%s@10.0.2.1:2022", f->relay_id);
    const char *a_args[] = {"--relay-addresses", via_a, "--node-port", "2022", NULL};
    const char *b_args[] = {"--relay-addresses", via_b, "--node-port", "2022", NULL};
    s_start (f, HOME_A, a_args);
    s_publish (f, HOME_A, true, "from A");
    double started = s_now_ms ();
    s_start (f, HOME_B, b_args);
    s_wait_tags (f, HOME_B, 1);
    printf ("relay: B served A's document %.0f ms after B's start, through the relay\n",
            s_now_ms () - started);
    //  and back: B publishes, A serves both.
    s_publish (f, HOME_B, false, "from B");
    printf ("relay: A served B's document %.0f ms after B published it\n", s_wait_tags (f, HOME_A, 2));

    //  Through the relay, not directly (NAT both ways).
    info = s_replication (f, HOME_A);
    if (!s_has_peer (info, "relayed") || s_has_peer (info, "incoming"))
        s_fail (f, "A's connections are not as expected: %s", json_dumps (info, JSON_COMPACT));
    json_decref (info);
    //  The relay forwarded their bytes and stored none of their entries.
    info = s_replication (f, PUB);
    json_int_t forwarded =
        json_integer_value (json_object_get (json_object_get (info, "relay"), "forwarded_bytes"));
    if (forwarded <= 0)
        s_fail (f, "the relay forwarded nothing: %s", json_dumps (info, JSON_COMPACT));
    json_decref (info);
    assert_int_equal (s_stored_entries (f, PUB), 0);
    assert_int_equal (s_stored_entries (f, HOME_A), TAG_ENTRIES + 2);
    printf ("relay: %lld bytes forwarded, none stored on the relay\n", (long long) forwarded);

    //  Cut the relay: both keep their data; A publishes meanwhile.
    panda_fixture_kill (f->nodes[PUB]);
    s_publish (f, HOME_A, false, "while the relay was gone");
    assert_true (s_wait_tags (f, HOME_A, 3) >= 0);
    assert_true (s_wait_tags (f, HOME_B, 2) >= 0);
    //  Back on the same key and address: B catches up through it.
    s_enter (PUB);
    double back = s_now_ms ();
    panda_fixture_restart (f->nodes[PUB], NULL);
    s_leave ();
    s_wait_tags (f, HOME_B, 3);
    printf ("relay: B served the new document %.0f ms after the relay was restarted\n", s_now_ms () - back);
    assert_int_equal (s_stored_entries (f, PUB), 0);
}

static bool
s_log_has (fixture_t *f, int i, const char *text)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/pandad.log", panda_fixture_dir (f->nodes[i]));
    FILE *file = fopen (path, "r");
    bool found = false;
    char line[2048];
    while (file && !found && fgets (line, sizeof line, file))
        found = strstr (line, text) != NULL;
    if (file)
        fclose (file);
    return found;
}

//  Ready peers of node i's GET /replication (on 127.0.0.1, no namespace).
static size_t
s_ready_peers (fixture_t *f, int i, bool *relay_only)
{
    panda_http_response_t resp = {0};
    int rc =
        panda_http_request (panda_fixture_http (f->nodes[i]), "GET", "/replication", NULL, NULL, 0, &resp);
    json_t *info = rc == 0 ? json_loads (resp.body, 0, NULL) : NULL;
    panda_http_response_release (&resp);
    size_t n = 0, k;
    json_t *peer;
    json_array_foreach (json_object_get (info, "peers"), k, peer)
    {
        if (strcmp (json_string_value (json_object_get (peer, "state")), "ready") != 0)
            continue;
        n++;
        if (relay_only && json_is_true (json_object_get (peer, "relay_only")))
            *relay_only = true;
    }
    json_decref (info);
    return n;
}

static void
test_relay_limits (void **state)
{
    fixture_t *f = *state;
    panda_fixture_require ();
    panda_fixture_t **relay = &f->loopback[0], **nodes = &f->loopback[1];
    const char *relay_args[] = {"--relay-mode",
                                "true",
                                "--allow-schema-ids",
                                "",
                                "--relay-max-circuits",
                                "1",
                                "--node-port",
                                "0",
                                "--node-address",
                                "127.0.0.1",
                                NULL};
    assert_int_equal (panda_fixture_setup (relay, relay_args), 0);
    panda_http_response_t resp = {0};
    assert_int_equal (
        panda_http_request (panda_fixture_http (*relay), "GET", "/replication", NULL, NULL, 0, &resp), 0);
    json_t *info = json_loads (resp.body, 0, NULL);
    panda_http_response_release (&resp);
    char via[256];
    snprintf (via, sizeof via, "%s@127.0.0.1:%lld", json_string_value (json_object_get (info, "peer_id")),
              (long long) json_integer_value (json_object_get (info, "port")));
    json_decref (info);
    const char *args[] = {"--relay-addresses", via,  "--node-port", "0", "--node-address",
                          "127.0.0.1",         NULL, NULL,          NULL};
    for (int i = 0; i < 4; i++) {
        if (i == 3) { //  D: another network
            args[6] = "--psk";
            args[7] = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0";
        }
        assert_int_equal (panda_fixture_setup (&nodes[i], args), 0);
    }
    fixture_t view = {.nodes = {*relay, nodes[0], nodes[1]}};
    //  A, B and C all meet (directly: the relay lists where they listen);
    //  the relay forwards for one pair and refuses the others, saying why.
    double deadline = s_now_ms () + CONVERGE_MS;
    bool refused = false;
    while (s_now_ms () < deadline) {
        refused = s_log_has (&view, 1, "relay busy") || s_log_has (&view, 2, "relay busy");
        if (refused && s_ready_peers (&view, 1, NULL) >= 3)
            break;
        usleep (100 * 1000); //  polling a log; the deadline bounds it
    }
    if (!refused)
        fail_msg ("no node was told 'relay busy'");
    info = NULL;
    assert_int_equal (
        panda_http_request (panda_fixture_http (*relay), "GET", "/replication", NULL, NULL, 0, &resp), 0);
    info = json_loads (resp.body, 0, NULL);
    panda_http_response_release (&resp);
    json_t *stats = json_object_get (info, "relay");
    assert_true (json_integer_value (json_object_get (stats, "circuits")) <= 1);
    assert_true (json_integer_value (json_object_get (stats, "refused")) >= 1);
    assert_true (json_integer_value (json_object_get (stats, "registrations")) == 4);
    json_decref (info);
    //  A data item still gets from A to C.
    fixture_t fa = {.nodes = {nodes[0], nodes[2]}};
    panda_http_t *http = panda_fixture_http (nodes[0]);
    for (size_t k = 0; k < TAG_ENTRIES; k++)
        json_decref (panda_fixture_publish_sequence_entry (http, k, NULL));
    panda_fixture_wait_schema (panda_fixture_http (nodes[2]), s_tag, CONVERGE_MS);
    //  D, of another network, has the relay (relaying only) and nobody else.
    bool relay_only = false;
    size_t d_peers = s_ready_peers (&(fixture_t){.nodes = {nodes[3]}}, 0, &relay_only);
    assert_int_equal (d_peers, 1);
    assert_true (relay_only);
    //  and A's connections never include D.
    json_t *d_info = NULL;
    assert_int_equal (
        panda_http_request (panda_fixture_http (nodes[3]), "GET", "/replication", NULL, NULL, 0, &resp), 0);
    d_info = json_loads (resp.body, 0, NULL);
    panda_http_response_release (&resp);
    assert_int_equal (
        panda_http_request (panda_fixture_http (nodes[0]), "GET", "/replication", NULL, NULL, 0, &resp), 0);
    assert_null (strstr (resp.body, json_string_value (json_object_get (d_info, "peer_id"))));
    assert_true (s_ready_peers (&fa, 0, NULL) >= 3); //  the relay, B, C
    panda_http_response_release (&resp);
    json_decref (d_info);
    for (int i = 0; i < 4; i++)
        assert_int_equal (panda_fixture_stop (&nodes[i]), 0);
    assert_int_equal (panda_fixture_stop (relay), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_relay_nat),
        cmocka_unit_test (test_relay_limits),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
