/*  test_node_discovery.c - real pandad nodes on one LAN find each other
    with no address configured (mdns, docs/replication.md "Discovery on
    the LAN"), in network namespaces, as root.

    The LAN is panda_netns.h's: a hub namespace holding a bridge, one
    namespace per node with a veth into it, removed at the end also after
    a failure. The test enters a node's namespace to start its pandad,
    which inherits it with ZSYS_INTERFACE naming the node's veth, and to
    speak HTTP to it on 127.0.0.1 there. Where namespaces cannot be made
    (not root, a container), the tests skip and say why.

    1. three nodes, nothing configured: a document published on A is
       served by B and C, started after A; prints the time from a node's
       start to its first sync.
    2. a fourth node with another psk on the same bridge: after several
       beacon intervals it has nothing of the others, they have nothing
       of it, and it has no connection.                                     */
#define _DEFAULT_SOURCE //  usleep

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda_netns.h"

#define NODES 4 //  A, B, C on the default network; D with its own psk
#define CONVERGE_MS 60000 //  longest wait (ASan, two loaded cores)
#define QUIET_MS 5000 //  D beacons five times meanwhile

static const char s_tag[] = PANDA_FIXTURE_TAG_SCHEMA;
#define TAGS_QUERY                                                                                           \
    "{ all_%s(first: 100, orderBy: DOCUMENT_ID) { totalCount documents { meta { documentId viewId } fields " \
    "{ label } } } }"
#define PSK_D "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"

typedef struct {
    bool skip;
    panda_fixture_t *nodes[NODES];
    double started[NODES]; //  ms, when its start was asked for
    double listening[NODES]; //  ms, when it listened
} fixture_t;

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
    char why[128];
    if (panda_netns_lan_new (NODES, why, sizeof why)) {
        fprintf (stderr, "test_node_discovery: SKIPPED, %s\n", why);
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
        if (f->nodes[i]) {
            int status = panda_fixture_stop (&f->nodes[i]);
            if (status != 0) {
                fprintf (stderr, "node %c exited with status %d\n", 'A' + i, status);
                rc = -1;
            }
        }
    panda_netns_destroy ();
    free (f);
    return rc;
}

//  The end of every running node's log (for a failure).
static void
s_dump_logs (fixture_t *f)
{
    for (int i = 0; i < NODES; i++)
        if (f->nodes[i])
            panda_fixture_print_log (f->nodes[i], (const char *[]){"A", "B", "C", "D"}[i], 5000);
}

#define s_fail(f, ...)                                                                                       \
    do {                                                                                                     \
        panda_netns_leave ();                                                                                \
        s_dump_logs (f);                                                                                     \
        fail_msg (__VA_ARGS__);                                                                              \
    } while (0)

//  Start node i in its namespace with LAN discovery and nothing else
//  configured (psk may be NULL).
static void
s_start (fixture_t *f, int i, const char *psk)
{
    setenv ("ZSYS_INTERFACE", panda_netns_interface (i), 1);
    const char *args[] = {"--mdns", "true", "--node-port", "2022", psk ? "--psk" : NULL, psk, NULL};
    panda_netns_enter (i);
    f->started[i] = panda_fixture_now_ms ();
    f->nodes[i] = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    f->listening[i] = panda_fixture_now_ms ();
    unsetenv ("ZSYS_INTERFACE");
    if (!f->nodes[i])
        s_fail (f, "node %c did not start", 'A' + i);
    panda_netns_leave ();
}

static json_t *
s_tags (fixture_t *f, int i)
{
    char query[512];
    snprintf (query, sizeof query, TAGS_QUERY, s_tag);
    panda_netns_enter (i);
    json_t *answer = panda_fixture_graphql (panda_fixture_http (f->nodes[i]), query, NULL, NULL);
    panda_netns_leave ();
    json_t *data = json_incref (json_object_get (answer, "data"));
    json_decref (answer);
    return data;
}

static bool
s_equal (json_t *data, void *want)
{
    return json_equal (data, want);
}

//  Wait until node i serves want for the tags query; returns the time
//  since its start.
static double
s_wait_tags (fixture_t *f, int i, json_t *want)
{
    char query[512];
    snprintf (query, sizeof query, TAGS_QUERY, s_tag);
    panda_netns_enter (i);
    json_t *answer =
        panda_http_graphql_until (panda_fixture_http (f->nodes[i]), query, s_equal, want, CONVERGE_MS);
    double now = panda_fixture_now_ms ();
    if (!answer)
        s_fail (f, "node %c did not serve A's document within %d ms", 'A' + i, CONVERGE_MS);
    json_decref (answer);
    panda_netns_leave ();
    return now - f->started[i];
}

//  The schema of the tags, and one tag document by a new author.
static void
s_publish (fixture_t *f, int i, const char *label)
{
    panda_netns_enter (i);
    if (!panda_fixture_publish_tag (panda_fixture_http (f->nodes[i]), label, true, CONVERGE_MS))
        s_fail (f, "publishing tag \"%s\" on %c failed", label, 'A' + i);
    panda_netns_leave ();
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
s_one (json_t *data, void *ctx)
{
    (void) ctx;
    return s_count (data) == 1;
}

static void
test_discovery_lan (void **state)
{
    fixture_t *f = *state;
    if (f->skip)
        skip ();
    s_start (f, 0, NULL);
    s_publish (f, 0, "from A");
    char query[512];
    snprintf (query, sizeof query, TAGS_QUERY, s_tag);
    panda_netns_enter (0);
    json_t *answer =
        panda_http_graphql_until (panda_fixture_http (f->nodes[0]), query, s_one, NULL, CONVERGE_MS);
    panda_netns_leave ();
    if (!answer)
        s_fail (f, "node A does not serve its own document");
    json_t *want = json_incref (json_object_get (answer, "data"));
    json_decref (answer);
    for (int i = 1; i <= 2; i++) {
        s_start (f, i, NULL);
        double ms = s_wait_tags (f, i, want);
        printf ("discovery: node %c served A's document %.0f ms after its start (%.0f ms after it listened), "
                "nothing configured\n",
                'A' + i, ms, f->started[i] + ms - f->listening[i]);
    }
    json_decref (want);

    //  D, on the same bridge with another psk, publishes its own tag.
    s_start (f, 3, PSK_D);
    s_publish (f, 3, "from D");
    usleep (QUIET_MS * 1000);
    for (int i = 0; i < NODES; i++) {
        json_t *data = s_tags (f, i);
        if (s_count (data) != 1)
            s_fail (f, "node %c serves %lld tags, want only its network's one", 'A' + i,
                    (long long) s_count (data));
        json_decref (data);
    }
    //  and it has no connection at all.
    panda_netns_enter (3);
    panda_http_response_t resp = {0};
    int rc =
        panda_http_request (panda_fixture_http (f->nodes[3]), "GET", "/replication", NULL, NULL, 0, &resp);
    panda_netns_leave ();
    assert_int_equal (rc, 0);
    json_t *info = json_loads (resp.body, 0, NULL);
    panda_http_response_release (&resp);
    assert_non_null (info);
    assert_non_null (
        strstr (json_string_value (json_object_get (info, "lan_discovery")), "on UDP port 2023"));
    if (json_array_size (json_object_get (info, "peers")) != 0)
        s_fail (f, "node D has connections: %s", json_dumps (info, JSON_COMPACT));
    json_decref (info);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_discovery_lan),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
