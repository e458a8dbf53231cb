/*  test_node_relay.c - two nodes, each behind its own NAT, replicate
    through a public relay (docs/replication.md, "Relay"), as root in
    network namespaces.

    The namespaces are panda_netns.h's NAT shape: the internet ("pub",
    10.0.1.1 and 10.0.2.1) runs the relay; two homes, hA and hB (both
    192.168.1.2, as home networks are), each behind a router that
    masquerades. A home node can dial the relay; nothing can dial a home
    node, and the address the relay sees for one (its router's) leads
    nowhere. Everything is removed at the end, also after a failure.
    Without root, namespaces or nft, the NAT test skips and says why.

    1. A and B, knowing only the relay, replicate both ways through it; the
       connection is "relayed" and the pure relay (allow_schema_ids = [])
       stores none of their entries, though it forwarded their bytes.
    2. The relay dies: both keep their data and A keeps publishing; the
       relay comes back on its key: B catches up through it.
    3. On 127.0.0.1 (no namespaces): a relay allowing one circuit refuses
       the others with the reason, and the nodes still replicate directly;
       a node of another network (psk) uses the same relay for relaying
       only and meets nobody of ours.                                    */
#define _DEFAULT_SOURCE //  usleep

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda_netns.h"

#define CONVERGE_MS 60000 //  longest wait (ASan, two loaded cores)
#define TAGS_QUERY "{ all_" PANDA_FIXTURE_TAG_SCHEMA "(first: 100, orderBy: DOCUMENT_ID) { totalCount } }"

enum { PUB, HOME_A, HOME_B, NODES };
static const char *s_names[] = {"pub", "hA", "hB"};

typedef struct {
    bool skip;
    panda_fixture_t *nodes[NODES];
    panda_fixture_t *loopback[5]; //  test_relay_limits: the relay, A, B, C, D (stopped by teardown)
    char relay_id[128];
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
    if (panda_netns_nat_new (why, sizeof why)) {
        fprintf (stderr, "test_node_relay: SKIPPED, %s\n", why);
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
    panda_netns_destroy ();
    free (f);
    return rc;
}

static void
s_dump_logs (fixture_t *f)
{
    for (int i = 0; i < NODES; i++)
        if (f->nodes[i])
            panda_fixture_print_log (f->nodes[i], s_names[i], 4000);
}

#define s_fail(f, ...)                                                                                       \
    do {                                                                                                     \
        panda_netns_leave ();                                                                                \
        s_dump_logs (f);                                                                                     \
        fail_msg (__VA_ARGS__);                                                                              \
    } while (0)

static void
s_start (fixture_t *f, int i, const char *const *args)
{
    panda_netns_enter_name (s_names[i]);
    f->nodes[i] = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    if (!f->nodes[i])
        s_fail (f, "node %s did not start", s_names[i]);
    panda_netns_leave ();
}

//  GET /replication of node i.
static json_t *
s_replication (fixture_t *f, int i)
{
    panda_netns_enter_name (s_names[i]);
    json_t *info = panda_fixture_replication (f->nodes[i]);
    panda_netns_leave ();
    if (!info)
        s_fail (f, "no GET /replication from %s", s_names[i]);
    return info;
}

static json_int_t
s_count (json_t *data)
{
    json_t *count = json_object_get (json_object_get (data, "all_" PANDA_FIXTURE_TAG_SCHEMA), "totalCount");
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
    double start = panda_fixture_now_ms ();
    panda_netns_enter_name (s_names[i]);
    json_t *answer =
        panda_http_graphql_until (panda_fixture_http (f->nodes[i]), TAGS_QUERY, s_has, &n, CONVERGE_MS);
    if (!answer)
        s_fail (f, "node %s did not serve %lld tags within %d ms", s_names[i], (long long) n, CONVERGE_MS);
    json_decref (answer);
    panda_netns_leave ();
    return panda_fixture_now_ms () - start;
}

//  The tag schema (if with_schema), and one tag document by a new author.
static void
s_publish (fixture_t *f, int i, bool with_schema, const char *label)
{
    panda_netns_enter_name (s_names[i]);
    if (!panda_fixture_publish_tag (panda_fixture_http (f->nodes[i]), label, with_schema, CONVERGE_MS))
        s_fail (f, "publishing tag \"%s\" on %s failed", label, s_names[i]);
    panda_netns_leave ();
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

//  True if info lists a ready peer with this direction.
static bool
s_has_peer (json_t *info, const char *direction)
{
    json_t *peers = json_object_get (info, "peers"), *peer;
    size_t k;
    json_array_foreach (peers, k, peer)
    {
        if (strcmp (json_string_value (json_object_get (peer, "direction")), direction) == 0 &&
            strcmp (json_string_value (json_object_get (peer, "state")), "ready") == 0)
            return true;
    }
    return false;
}

//  Count the TCP SYNs (retransmissions too) that the internet gets for
//  B's router on port 2022: A's direct dials at the address the relay
//  lists for B, which lead nowhere (pub forwards nothing between homes).
static bool
s_count_dials (void)
{
    char command[512];
    snprintf (command, sizeof command,
              "ip netns exec %s nft 'add table inet dials; add chain inet dials pre { type filter hook "
              "prerouting priority 0; }; add rule inet dials pre ip daddr 10.0.2.2 tcp dport 2022 tcp flags "
              "& (syn | ack) == syn counter'",
              panda_netns_name ("pub"));
    return system (command) == 0;
}

static long
s_dials (void)
{
    char command[256];
    snprintf (command, sizeof command, "ip netns exec %s nft list table inet dials",
              panda_netns_name ("pub"));
    FILE *out = popen (command, "r");
    long n = -1;
    char line[256];
    while (out && fgets (line, sizeof line, out)) {
        const char *packets = strstr (line, "counter packets ");
        if (packets)
            n = strtol (packets + 16, NULL, 10);
    }
    if (out)
        pclose (out);
    return n;
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
    if (!s_count_dials ())
        s_fail (f, "cannot count SYNs in B's router");
    s_start (f, HOME_A, a_args);
    double a_started = panda_fixture_now_ms ();
    s_publish (f, HOME_A, true, "from A");
    double started = panda_fixture_now_ms ();
    s_start (f, HOME_B, b_args);
    s_wait_tags (f, HOME_B, 1);
    printf ("relay: B served A's document %.0f ms after B's start, through the relay\n",
            panda_fixture_now_ms () - started);
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
    //  It told A of B when B registered, not at A's next lookup.
    if (json_integer_value (json_object_get (json_object_get (info, "relay"), "announced")) < 1)
        s_fail (f, "the relay announced no newcomer: %s", json_dumps (info, JSON_COMPACT));
    json_decref (info);
    assert_int_equal (s_stored_entries (f, PUB), 0);
    assert_int_equal (s_stored_entries (f, HOME_A), PANDA_FIXTURE_TAG_ENTRIES + 2);
    printf ("relay: %lld bytes forwarded, none stored on the relay\n", (long long) forwarded);

    //  Cut the relay: both keep their data; A publishes meanwhile.
    panda_fixture_kill (f->nodes[PUB]);
    s_publish (f, HOME_A, false, "while the relay was gone");
    assert_true (s_wait_tags (f, HOME_A, 3) >= 0);
    assert_true (s_wait_tags (f, HOME_B, 2) >= 0);
    //  Back on the same key and address: B catches up through it.
    panda_netns_enter_name (s_names[PUB]);
    double back = panda_fixture_now_ms ();
    panda_fixture_restart (f->nodes[PUB], NULL);
    panda_netns_leave ();
    s_wait_tags (f, HOME_B, 3);
    printf ("relay: B served the new document %.0f ms after the relay was restarted\n",
            panda_fixture_now_ms () - back);
    assert_int_equal (s_stored_entries (f, PUB), 0);
    //  A dials B's listed address with backoff, not every 0.5-1 s.
    double seconds = (panda_fixture_now_ms () - a_started) / 1000;
    long dials = s_dials ();
    printf ("relay: A sent %ld SYNs to B's unreachable address in %.1f s\n", dials, seconds);
    if (getenv ("PANDA_RELAY_WATCH_S")) { //  a longer look, for docs/benchmarks.md
        sleep ((unsigned) atoi (getenv ("PANDA_RELAY_WATCH_S")));
        printf ("relay: A sent %ld SYNs to B's unreachable address in %.1f s\n", s_dials (),
                (panda_fixture_now_ms () - a_started) / 1000);
    }
}

//  Ready peers in node's GET /replication (on 127.0.0.1, no namespace);
//  *relay_only (may be NULL) set if one of them is a relay-only connection.
static size_t
s_ready_peers (panda_fixture_t *node, bool *relay_only)
{
    json_t *info = panda_fixture_replication (node), *peer;
    size_t n = 0, k;
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
    json_t *info = panda_fixture_replication (*relay);
    assert_non_null (info);
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
    //  A, B and C all meet (directly: the relay lists where they listen);
    //  the relay forwards for one pair and refuses the others, saying why.
    double deadline = panda_fixture_now_ms () + CONVERGE_MS;
    bool refused = false;
    while (panda_fixture_now_ms () < deadline) {
        refused = panda_fixture_log_count (nodes[0], "relay busy") ||
                  panda_fixture_log_count (nodes[1], "relay busy");
        if (refused && s_ready_peers (nodes[0], NULL) >= 3)
            break;
        usleep (100 * 1000); //  polling a log; the deadline bounds it
    }
    if (!refused)
        fail_msg ("no node was told 'relay busy'");
    info = panda_fixture_replication (*relay);
    json_t *stats = json_object_get (info, "relay");
    assert_true (json_integer_value (json_object_get (stats, "circuits")) <= 1);
    assert_true (json_integer_value (json_object_get (stats, "refused")) >= 1);
    assert_true (json_integer_value (json_object_get (stats, "registrations")) == 4);
    //  A, B and C were each told of those of our network registered after
    //  them (0 + 1 + 2); D, alone in its network, of nobody.
    assert_true (json_integer_value (json_object_get (stats, "announced")) >= 3);
    json_decref (info);
    //  A data item still gets from A to C.
    panda_http_t *http = panda_fixture_http (nodes[0]);
    for (size_t k = 0; k < PANDA_FIXTURE_TAG_ENTRIES; k++)
        json_decref (panda_fixture_publish_sequence_entry (http, k, NULL));
    panda_fixture_wait_schema (panda_fixture_http (nodes[2]), PANDA_FIXTURE_TAG_SCHEMA, CONVERGE_MS);
    //  D, of another network, has the relay (relaying only) and nobody else.
    bool relay_only = false;
    size_t d_peers = s_ready_peers (nodes[3], &relay_only);
    assert_int_equal (d_peers, 1);
    assert_true (relay_only);
    //  and A's connections never include D.
    json_t *d_info = panda_fixture_replication (nodes[3]), *a_info = panda_fixture_replication (nodes[0]);
    char *a_text = json_dumps (a_info, JSON_COMPACT);
    assert_null (strstr (a_text, json_string_value (json_object_get (d_info, "peer_id"))));
    assert_true (s_ready_peers (nodes[0], NULL) >= 3); //  the relay, B, C
    free (a_text);
    json_decref (a_info);
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
