/*  test_node_replication_hostile.c - real pandad nodes replicating over
    CurveZMQ, against peers they must not talk to and a hostile client.

    * allow_peer_ids / block_peer_ids: a refused node gets none of A's
      data and A none of its own, while an allowed node C (the control)
      replicates both ways; the refused dialer does not hammer A (one
      refusal, then its 20 s back-off).
    * psk: nodes of another network (another psk, or none) exchange
      nothing; nodes with the same psk replicate. A client that knows the
      network tag but not the psk cannot prove it.
    * a hostile client written here with CZMQ (a DEALER with a CURVE key
      of its own) sends garbage instead of Hello, messages before Hello,
      entries with bad signatures, an entry outside the session's target
      set, entries beyond its credit, a frame over the size limit (ZeroMQ
      drops that connection before pandad sees the frame, so only the
      client sees why), and says Hello and leaves, more often than
      max_peers. Each time: nothing of it is stored, A keeps serving HTTP
      and its well-behaved peer B (which gets a newly published entry
      live), and A's log names the reason.

    "Nothing arrives" is shown against a control: the refused node lacks
    what an allowed node, started with it, has received. All nodes listen
    on 127.0.0.1 with node_port 0; the port is read from the node's log.   */
#define _GNU_SOURCE
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda_peer_id.h"
#include "panda_repl_msg.h"
#include "replicate.h" //  panda_replicate_network_tag, panda_replicate_psk_proof

#define START_MS 30000
#define REQUEST_MS 20000
//  Replication to a control peer, a log line, a ZeroMQ event (ASan, two
//  loaded cores).
#define REPL_MS 30000
#define LOG_MS 20000
#define EVENT_MS 10000
//  How long the refused dialer is watched for retries (its back-off is 20 s).
#define RETRY_WINDOW_MS 5000
//  Credit A grants each peer in the hostile client test (small: flood fast).
#define CREDIT 4
//  A's max_peers in the hostile client test: B and the clients at hand.
#define MAX_PEERS 4
#define MAX_NODES 5

static const char *const FIELD_DEF = "schema_field_definition_v1";

typedef struct {
    const char *name;
    panda_peer_identity_t *id;
    char key_path[PATH_MAX];
    panda_fixture_t *fx;
    int node_port;
    char address[PANDA_PEER_ID_MAX + 64]; //  <peer id>@127.0.0.1:<port>
} node_t;

typedef struct {
    panda_peer_identity_t *id;
    zsock_t *dealer;
    zsock_t *monitor;
} client_t;

typedef struct {
    char dir[PATH_MAX - 64]; //  key files
    node_t nodes[MAX_NODES];
    client_t client; //  the hostile client, closed by teardown on failure
    size_t n_nodes;
    bool passed;
} world_t;

//  --- files and logs ---------------------------------------------------------

static int
s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    remove (path);
    return 0;
}

//  Poll the node's log until needle occurs at least count times; fails the
//  test at the deadline.
static void
s_wait_log (const node_t *node, const char *needle, size_t count, int timeout_ms)
{
    if (!panda_fixture_wait_log (node->fx, needle, count, timeout_ms))
        fail_msg ("%s's log has \"%s\" %zu times, expected %zu within %d ms", node->name, needle,
                  panda_fixture_log_count (node->fx, needle), count, timeout_ms);
}

static void
s_print_log (const node_t *node)
{
    panda_fixture_print_log (node->fx, node->name, 6000);
}

//  --- nodes ------------------------------------------------------------------

static int
s_setup (void **state)
{
    world_t *w = calloc (1, sizeof *w);
    if (!w)
        return -1;
    if (panda_pandad_temp_dir (w->dir, sizeof w->dir, "pandad-keys")) {
        free (w);
        return -1;
    }
    *state = w;
    return 0;
}

static void s_client_close (client_t *c);

static int
s_teardown (void **state)
{
    world_t *w = *state;
    s_client_close (&w->client);
    for (size_t i = 0; i < w->n_nodes; i++) {
        node_t *node = &w->nodes[i];
        if (node->fx && !w->passed)
            s_print_log (node);
        panda_fixture_stop (&node->fx);
        panda_peer_identity_destroy (&node->id);
    }
    nftw (w->dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
    free (w);
    return 0;
}

//  A node identity with its key file (0600) in the world's dir.
static node_t *
s_node_new (world_t *w, const char *name)
{
    assert_true (w->n_nodes < MAX_NODES);
    node_t *node = &w->nodes[w->n_nodes++];
    node->name = name;
    panda_error_t err;
    node->id = panda_peer_identity_new_random (&err);
    assert_non_null (node->id);
    snprintf (node->key_path, sizeof node->key_path, "%s/%s.key", w->dir, name);
    char text[PANDA_PEER_KEY_FILE_SIZE + 1];
    panda_peer_identity_key_file (node->id, text);
    int fd = open (node->key_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, PANDA_PEER_KEY_FILE_SIZE), PANDA_PEER_KEY_FILE_SIZE);
    close (fd);
    return node;
}

static const char *
s_peer_id (const node_t *node)
{
    return panda_peer_identity_peer_id (node->id);
}

//  Start the node on 127.0.0.1 (node_port 0) with extra (NULL-terminated)
//  and read its replication port from its log.
static void
s_node_start (node_t *node, const char *const *extra)
{
    const char *args[48] = {"--node-address", "127.0.0.1",   "--node-port", "0",
                            "--private-key",  node->key_path};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i]; i++) {
        assert_true (n < 47);
        args[n++] = extra[i];
    }
    args[n] = NULL;
    node->fx = panda_fixture_start (args, START_MS, REQUEST_MS);
    if (!node->fx)
        fail_msg ("node %s did not start", node->name);
    char line[256];
    snprintf (line, sizeof line, "peer id %s, replicating on tcp://127.0.0.1:", s_peer_id (node));
    s_wait_log (node, line, 1, START_MS);
    char *text = panda_fixture_log (node->fx);
    node->node_port = atoi (strstr (text, line) + strlen (line));
    free (text);
    assert_true (node->node_port > 0);
    snprintf (node->address, sizeof node->address, "%s@127.0.0.1:%d", s_peer_id (node), node->node_port);
}

//  Stop every node (SIGTERM) and check it exited cleanly (0: no crash, no
//  sanitizer report).
static void
s_stop_all (world_t *w)
{
    for (size_t i = 0; i < w->n_nodes; i++) {
        node_t *node = &w->nodes[i];
        if (!node->fx)
            continue;
        panda_fixture_disconnect (node->fx);
        int status = panda_pandad_signal (panda_fixture_pandad (node->fx), SIGTERM, 20000);
        if (status != 0)
            fail_msg ("node %s exited with status %d", node->name, status);
    }
}

//  --- documents ----------------------------------------------------------------

typedef struct {
    char id[PANDA_HASH_HEX_SIZE + 1]; //  document id = operation id = entry hash
} doc_t;

//  Publish a new schema field definition (log 0 of a fresh author) on node.
static doc_t
s_publish (node_t *node, const char *name)
{
    panda_keypair_t *kp = panda_keypair_new ();
    assert_non_null (kp);
    panda_operation_t *op = panda_test_field_definition (NULL, name);
    panda_fixture_signed_t s = panda_fixture_sign (kp, 0, 1, NULL, NULL, &op);
    json_t *answer = panda_fixture_publish_signed (panda_fixture_http (node->fx), &s, NULL);
    if (json_object_get (answer, "errors"))
        fail_msg ("publish on %s: %s", node->name, json_dumps (answer, 0));
    json_decref (answer);
    doc_t doc;
    snprintf (doc.id, sizeof doc.id, "%s", s.hash);
    panda_fixture_signed_release (&s);
    panda_keypair_destroy (&kp);
    return doc;
}

static bool
s_has (node_t *node, const doc_t *doc)
{
    char query[512];
    snprintf (query, sizeof query, "{ doc: %s(id: \"%s\") { meta { viewId } } }", FIELD_DEF, doc->id);
    json_t *answer = panda_fixture_graphql (panda_fixture_http (node->fx), query, NULL, NULL);
    json_t *found = json_object_get (json_object_get (answer, "data"), "doc");
    if (json_object_get (answer, "errors"))
        fail_msg ("query on %s: %s", node->name, json_dumps (answer, 0));
    bool has = found && !json_is_null (found);
    json_decref (answer);
    return has;
}

static void
s_wait_has (node_t *node, const doc_t *doc, const char *what)
{
    if (panda_fixture_wait_document (panda_fixture_http (node->fx), FIELD_DEF, doc->id, doc->id, REPL_MS))
        fail_msg ("%s: %s does not serve document %s after %d ms", what, node->name, doc->id, REPL_MS);
}

static void
s_assert_lacks (node_t *node, const doc_t *doc, const char *what)
{
    if (s_has (node, doc))
        fail_msg ("%s: %s serves document %s, which it must not have", what, node->name, doc->id);
}

//  --- the hostile client -----------------------------------------------------

//  The next event on the client's monitor, or -1 after timeout_ms.
static int
s_client_event (client_t *c, int timeout_ms)
{
    zsock_set_rcvtimeo (c->monitor, timeout_ms);
    zmsg_t *event = zmsg_recv (c->monitor);
    zframe_t *first = event ? zmsg_first (event) : NULL;
    int id = -1;
    if (first && zframe_size (first) >= 2) {
        uint16_t raw;
        memcpy (&raw, zframe_data (first), sizeof raw);
        id = raw;
    }
    zmsg_destroy (&event);
    return id;
}

//  A DEALER with a CURVE identity of its own, connected (CURVE handshake
//  done) to node's replication port. Never reconnects by itself.
static void
s_client_open (client_t *c, const node_t *node)
{
    memset (c, 0, sizeof *c);
    panda_error_t err;
    c->id = panda_peer_identity_new_random (&err);
    assert_non_null (c->id);
    c->dealer = zsock_new (ZMQ_DEALER);
    assert_non_null (c->dealer);
    zsock_set_linger (c->dealer, 0);
    zsock_set_reconnect_ivl (c->dealer, -1);
    zsock_set_curve_serverkey_bin (c->dealer, panda_peer_identity_curve_public_key (node->id));
    zsock_set_curve_publickey_bin (c->dealer, panda_peer_identity_curve_public_key (c->id));
    zsock_set_curve_secretkey_bin (c->dealer, panda_peer_identity_curve_secret_key (c->id));
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://hostile-monitor-%p", (void *) c->dealer);
    assert_int_equal (zmq_socket_monitor (zsock_resolve (c->dealer), endpoint,
                                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL),
                      0);
    c->monitor = zsock_new_pair (endpoint);
    assert_non_null (c->monitor);
    assert_int_equal (zsock_connect (c->dealer, "tcp://127.0.0.1:%d", node->node_port), 0);
    int event = s_client_event (c, EVENT_MS);
    if (event != ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        fail_msg ("hostile client: CURVE handshake with %s did not succeed (event %d)", node->name, event);
}

static void
s_client_close (client_t *c)
{
    zsock_destroy (&c->monitor);
    zsock_destroy (&c->dealer);
    panda_peer_identity_destroy (&c->id);
}

static void
s_client_send_raw (client_t *c, const void *data, size_t len)
{
    zframe_t *frame = zframe_new (data, len);
    assert_non_null (frame);
    assert_int_equal (zframe_send (&frame, c->dealer, 0), 0);
}

//  Encode msgs into one frame and send it.
static void
s_client_send (client_t *c, const panda_repl_msg_t *msgs, size_t n)
{
    panda_cbor_writer_t out;
    panda_cbor_writer_init (&out);
    panda_error_t err;
    for (size_t i = 0; i < n; i++)
        if (panda_repl_msg_encode (&msgs[i], &out, &err) != PANDA_OK)
            fail_msg ("encode %s: %s", panda_repl_type_name (msgs[i].type), err.message);
    assert_false (out.failed);
    s_client_send_raw (c, out.data, out.len);
    panda_cbor_writer_free (&out);
}

//  The network tag and (NULL: none) psk proof of a node with psk (NULL:
//  without), for client c dialling node.
static void
s_network (const char *psk, const client_t *c, const node_t *node, uint8_t tag[PANDA_REPL_NETWORK_TAG_SIZE],
           uint8_t proof[PANDA_REPL_PSK_PROOF_SIZE], bool *with_proof)
{
    panda_config_t *config = panda_config_new ();
    assert_non_null (config);
    free (config->psk);
    config->psk = psk ? strdup (psk) : NULL;
    panda_replicate_network_tag (config, tag);
    *with_proof = panda_replicate_psk_proof (config, true, panda_peer_identity_curve_public_key (c->id),
                                             panda_peer_identity_curve_public_key (node->id), proof);
    panda_config_destroy (&config);
}

static void
s_client_hello (client_t *c, const uint8_t *tag, const uint8_t *proof)
{
    panda_repl_msg_t hello;
    panda_repl_msg_init (&hello);
    hello.type = PANDA_REPL_HELLO;
    hello.protocol_version = PANDA_REPL_HELLO_VERSION;
    memcpy (hello.network_tag, tag, PANDA_REPL_NETWORK_TAG_SIZE);
    hello.psk_proof = proof;
    hello.max_frame_bytes = PANDA_REPL_MAX_FRAME_BYTES;
    hello.node_key = panda_peer_identity_public_key (c->id);
    s_client_send (c, &hello, 1);
}

//  A valid Hello to psk-less node; returns the credit it grants, after
//  checking that its answer starts with its own Hello.
static uint64_t
s_client_handshake (client_t *c, const node_t *node)
{
    uint8_t tag[PANDA_REPL_NETWORK_TAG_SIZE], proof[PANDA_REPL_PSK_PROOF_SIZE];
    bool with_proof;
    s_network (NULL, c, node, tag, proof, &with_proof);
    assert_false (with_proof);
    s_client_hello (c, tag, NULL);
    uint64_t credit = 0;
    bool hello = false;
    int64_t deadline = zclock_mono () + EVENT_MS;
    //  A answers Hello, Credit, Announce (one frame or more).
    while (!credit) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            fail_msg ("hostile client: %s did not answer a valid Hello with its Hello and credit",
                      node->name);
        zsock_set_rcvtimeo (c->dealer, (int) left);
        zframe_t *frame = zframe_recv (c->dealer);
        if (!frame)
            continue;
        panda_repl_reader_t reader;
        panda_repl_msg_t msg;
        panda_error_t err;
        assert_int_equal (
            panda_repl_reader_init (&reader, zframe_data (frame), zframe_size (frame), NULL, &err), PANDA_OK);
        while (panda_repl_reader_more (&reader)) {
            panda_repl_msg_init (&msg);
            if (panda_repl_reader_next (&reader, &msg, &err) != PANDA_OK)
                fail_msg ("hostile client: %s sent a bad message: %s", node->name, err.message);
            if (!hello) {
                assert_int_equal (msg.type, PANDA_REPL_HELLO);
                assert_memory_equal (msg.node_key, panda_peer_identity_public_key (node->id), 32);
                assert_memory_equal (msg.network_tag, tag, sizeof tag);
                hello = true;
            } else if (msg.type == PANDA_REPL_CREDIT)
                credit = msg.credit_entries;
            panda_repl_msg_clear (&msg);
        }
        zframe_destroy (&frame);
    }
    return credit;
}

//  SyncRequest(session_id, mode 0, {schema_field_definition_v1}).
static void
s_client_sync (client_t *c, uint64_t session_id)
{
    panda_repl_msg_t sync;
    panda_repl_msg_init (&sync);
    sync.type = PANDA_REPL_SYNC_REQUEST;
    sync.session_id = session_id;
    sync.mode = PANDA_REPL_MODE_LOG_HEIGHT;
    panda_error_t err;
    assert_int_equal (panda_schema_set_add_text (&sync.schema_ids, FIELD_DEF, strlen (FIELD_DEF), &err),
                      PANDA_OK);
    s_client_send (c, &sync, 1);
    panda_schema_set_clear (&sync.schema_ids);
}

//  An entry with its operation, as raw bytes for an Entry message.
typedef struct {
    uint8_t *entry, *op;
    size_t entry_len, op_len;
    doc_t doc;
} raw_t;

//  A signed CREATE of a field definition by a fresh author; with
//  bad_signature one bit of the signature flipped.
static raw_t
s_raw_field_def (const char *name, bool bad_signature)
{
    panda_keypair_t *kp = panda_keypair_new ();
    assert_non_null (kp);
    panda_operation_t *op = panda_test_field_definition (NULL, name);
    panda_fixture_signed_t s = panda_fixture_sign (kp, 0, 1, NULL, NULL, &op);
    raw_t raw;
    raw.entry = panda_test_unhex (s.entry_hex, &raw.entry_len);
    raw.op = panda_test_unhex (s.operation_hex, &raw.op_len);
    snprintf (raw.doc.id, sizeof raw.doc.id, "%s", s.hash);
    if (bad_signature)
        raw.entry[raw.entry_len - 1] ^= 1; //  the signature ends the entry
    panda_fixture_signed_release (&s);
    panda_keypair_destroy (&kp);
    return raw;
}

//  A valid schema_definition_v1 CREATE (pointing at a made-up field).
static raw_t
s_raw_schema_def (void)
{
    panda_keypair_t *kp = panda_keypair_new ();
    assert_non_null (kp);
    panda_error_t err;
    panda_operation_t *op = panda_operation_new (PANDA_ACTION_CREATE, "schema_definition_v1", NULL, 0, &err);
    assert_non_null (op);
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, "hostile", 7), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "name", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    assert_int_equal (panda_value_set_str (&value, "outside the target set", 22), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "description", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    panda_hash_t field;
    panda_hash_compute (&field, "field", 5);
    panda_value_set_hash_list_list (&value);
    assert_int_equal (panda_value_append_list (&value, &field, 1), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "fields", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    panda_fixture_signed_t s = panda_fixture_sign (kp, 0, 1, NULL, NULL, &op);
    raw_t raw;
    raw.entry = panda_test_unhex (s.entry_hex, &raw.entry_len);
    raw.op = panda_test_unhex (s.operation_hex, &raw.op_len);
    snprintf (raw.doc.id, sizeof raw.doc.id, "%s", s.hash);
    panda_fixture_signed_release (&s);
    panda_keypair_destroy (&kp);
    return raw;
}

static void
s_raw_release (raw_t *raw)
{
    free (raw->entry);
    free (raw->op);
    raw->entry = raw->op = NULL;
}

static panda_repl_msg_t
s_entry_msg (uint64_t session_id, const raw_t *raw)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_ENTRY;
    msg.session_id = session_id;
    msg.entry = raw->entry;
    msg.entry_len = raw->entry_len;
    msg.operation = raw->op;
    msg.operation_len = raw->op_len;
    return msg;
}

//  --- tests ------------------------------------------------------------------

//  Whether the node's log shows the refused dialer watched within the
//  window: A logged at most one refusal, the dialer one, with its 20 s
//  back-off.
static void
s_assert_no_retry_storm (node_t *a, node_t *dialer, const char *a_refusal, int64_t since)
{
    char dialer_line[256];
    snprintf (dialer_line, sizeof dialer_line,
              "127.0.0.1:%d refused our connection (not allowed); next try in 20 s", a->node_port);
    //  Polls both logs to the end of the window and fails as soon as a
    //  second attempt shows up.
    do {
        size_t at_a = panda_fixture_log_count (a->fx, a_refusal),
               at_dialer = panda_fixture_log_count (dialer->fx, dialer_line);
        if (at_a > 1 || at_dialer > 1)
            fail_msg (
                "%s dialled %s again within %d ms of a refusal: %zu refusals in %s's log, %zu in its own",
                dialer->name, a->name, RETRY_WINDOW_MS, at_a, a->name, at_dialer);
        zclock_sleep (50);
    } while (zclock_mono () < since + RETRY_WINDOW_MS);
}

//  allow_peer_ids = [C] on A1 and block_peer_ids = [X] on A2: C and X both
//  dial both. C replicates both ways with both; X gets nothing and gives
//  nothing, and is refused once, not over and over.
static void
test_allow_and_block_lists (void **state)
{
    panda_fixture_require ();
    world_t *w = *state;
    node_t *a1 = s_node_new (w, "A1 (allow C)"), *a2 = s_node_new (w, "A2 (block X)");
    node_t *c = s_node_new (w, "C (allowed)"), *x = s_node_new (w, "X (refused)");
    s_node_start (a1, (const char *const[]){"--log-level", "debug", "--allow-peer-ids", s_peer_id (c), NULL});
    s_node_start (a2, (const char *const[]){"--log-level", "debug", "--block-peer-ids", s_peer_id (x), NULL});
    doc_t on_a1 = s_publish (a1, "on_a1"), on_a2 = s_publish (a2, "on_a2");
    s_node_start (c, (const char *const[]){"--direct-node-addresses", a1->address, a2->address, NULL});
    s_node_start (x, (const char *const[]){"--direct-node-addresses", a1->address, a2->address, NULL});
    doc_t on_c = s_publish (c, "on_c"), on_x = s_publish (x, "on_x");

    //  X tried and was told no by both.
    char line[256];
    snprintf (line, sizeof line, "127.0.0.1:%d refused our connection (not allowed); next try in 20 s",
              a1->node_port);
    s_wait_log (x, line, 1, LOG_MS);
    int64_t refused_at = zclock_mono ();
    snprintf (line, sizeof line, "127.0.0.1:%d refused our connection (not allowed); next try in 20 s",
              a2->node_port);
    s_wait_log (x, line, 1, LOG_MS);
    //  ... and each A names the reason.
    s_wait_log (a1, ": peer not allowed", 1, LOG_MS);
    s_wait_log (a2, ": peer not allowed", 1, LOG_MS);

    //  Control: C, started with X, replicates both ways with both.
    s_wait_has (c, &on_a1, "allowed peer");
    s_wait_has (c, &on_a2, "peer not blocked");
    s_wait_has (a1, &on_c, "from an allowed peer");
    s_wait_has (a2, &on_c, "from a peer not blocked");
    s_assert_lacks (x, &on_a1, "peer not on the allow list");
    s_assert_lacks (x, &on_a2, "blocked peer");
    s_assert_lacks (a1, &on_x, "from a peer not on the allow list");
    s_assert_lacks (a2, &on_x, "from a blocked peer");
    //  A refusal does not make X hammer A.
    s_assert_no_retry_storm (a1, x, ": peer not allowed", refused_at);
    s_assert_no_retry_storm (a2, x, ": peer not allowed", refused_at);
    s_stop_all (w);
    w->passed = true;
}

//  A and C share a psk, X has another, Y none: only C and A replicate. A
//  client with the right network tag but no or a wrong proof is refused.
static void
test_psk (void **state)
{
    panda_fixture_require ();
    world_t *w = *state;
    char psk[65], other[65];
    uint8_t bytes[32];
    randombytes_buf (bytes, sizeof bytes);
    for (size_t i = 0; i < 32; i++)
        snprintf (psk + 2 * i, 3, "%02x", bytes[i]);
    randombytes_buf (bytes, sizeof bytes);
    for (size_t i = 0; i < 32; i++)
        snprintf (other + 2 * i, 3, "%02x", bytes[i]);
    node_t *a = s_node_new (w, "A (psk)"), *c = s_node_new (w, "C (same psk)");
    node_t *x = s_node_new (w, "X (other psk)"), *y = s_node_new (w, "Y (no psk)");
    s_node_start (a, (const char *const[]){"--psk", psk, NULL});
    doc_t on_a = s_publish (a, "on_a");
    s_node_start (c, (const char *const[]){"--psk", psk, "--direct-node-addresses", a->address, NULL});
    s_node_start (x, (const char *const[]){"--psk", other, "--direct-node-addresses", a->address, NULL});
    s_node_start (y, (const char *const[]){"--direct-node-addresses", a->address, NULL});
    doc_t on_c = s_publish (c, "on_c"), on_x = s_publish (x, "on_x"), on_y = s_publish (y, "on_y");

    //  A refused X and Y at Hello, naming why.
    s_wait_log (a, "it belongs to another network (psk)", 2, LOG_MS);
    s_wait_has (c, &on_a, "same psk");
    s_wait_has (a, &on_c, "same psk");
    s_assert_lacks (x, &on_a, "another psk");
    s_assert_lacks (y, &on_a, "no psk");
    s_assert_lacks (a, &on_x, "from another psk");
    s_assert_lacks (a, &on_y, "from no psk");

    //  The tag is public knowledge; the proof is not: no proof, a proof
    //  made with another psk.
    uint8_t tag[PANDA_REPL_NETWORK_TAG_SIZE], proof[PANDA_REPL_PSK_PROOF_SIZE];
    uint8_t other_tag[PANDA_REPL_NETWORK_TAG_SIZE];
    bool with_proof;
    s_client_open (&w->client, a);
    s_network (psk, &w->client, a, tag, proof, &with_proof);
    assert_true (with_proof);
    s_client_hello (&w->client, tag, NULL);
    s_wait_log (a, "could not prove the psk", 1, LOG_MS);
    s_client_close (&w->client);
    s_client_open (&w->client, a);
    s_network (other, &w->client, a, other_tag, proof, &with_proof);
    s_client_hello (&w->client, tag, proof);
    s_wait_log (a, "could not prove the psk", 2, LOG_MS);
    s_client_close (&w->client);
    s_stop_all (w);
    w->passed = true;
}

//  A publishes a new document; its HTTP API answers and B, its
//  well-behaved peer, gets the document (live).
static void
s_assert_serving (node_t *a, node_t *b, const char *after)
{
    doc_t doc = s_publish (a, "still_serving");
    char what[128];
    snprintf (what, sizeof what, "after %s", after);
    s_wait_has (b, &doc, what);
}

static void
test_hostile_client (void **state)
{
    panda_fixture_require ();
    world_t *w = *state;
    node_t *a = s_node_new (w, "A"), *b = s_node_new (w, "B (well-behaved)");
    char credit[16], max_peers[16];
    snprintf (credit, sizeof credit, "%d", CREDIT);
    snprintf (max_peers, sizeof max_peers, "%d", MAX_PEERS);
    s_node_start (
        a, (const char *const[]){"--replication-credit-entries", credit, "--max-peers", max_peers, NULL});
    size_t published = 0;
    doc_t first = s_publish (a, "first");
    published++;
    s_node_start (b, (const char *const[]){"--direct-node-addresses", a->address, NULL});
    s_wait_has (b, &first, "B catching up");
    doc_t refused[16];
    size_t n_refused = 0;

    //  (a) garbage instead of Hello.
    s_client_open (&w->client, a);
    static const uint8_t garbage[] = {0xff, 0xfe, 'n', 'o', 't', ' ', 'c', 'b', 'o', 'r'};
    s_client_send_raw (&w->client, garbage, sizeof garbage);
    s_wait_log (a, "bad message from 127.0.0.1", 1, LOG_MS);
    s_client_close (&w->client);
    s_assert_serving (a, b, "garbage instead of Hello");
    published++;

    //  (a') a well-formed message, but not Hello, first.
    s_client_open (&w->client, a);
    s_client_sync (&w->client, 1);
    s_wait_log (a, "not Hello", 1, LOG_MS);
    s_client_close (&w->client);
    s_assert_serving (a, b, "SyncRequest before Hello");
    published++;

    //  (b1) an entry whose signature is wrong, in a session.
    s_client_open (&w->client, a);
    assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
    s_client_sync (&w->client, 1);
    raw_t bad = s_raw_field_def ("bad_signature", true);
    refused[n_refused++] = bad.doc;
    panda_repl_msg_t msg = s_entry_msg (1, &bad);
    s_client_send (&w->client, &msg, 1);
    s_wait_log (a, "sent an entry that was refused", 1, LOG_MS);
    s_raw_release (&bad);
    s_client_close (&w->client);
    s_assert_serving (a, b, "an entry with a bad signature");
    published++;

    //  (b2) a valid entry of a schema outside the session's target set.
    s_client_open (&w->client, a);
    assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
    s_client_sync (&w->client, 1);
    raw_t outside = s_raw_schema_def ();
    refused[n_refused++] = outside.doc;
    msg = s_entry_msg (1, &outside);
    s_client_send (&w->client, &msg, 1);
    s_wait_log (a, "failed: UnmatchedTargetSet", 1, LOG_MS);
    s_raw_release (&outside);
    s_client_close (&w->client);
    s_assert_serving (a, b, "an entry outside the target set");
    published++;

    //  (b3) a flood: CREDIT entries with bad signatures, then valid ones
    //  beyond the credit, all in one frame.
    s_client_open (&w->client, a);
    assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
    s_client_sync (&w->client, 1);
    enum { FLOOD = CREDIT + 3 };
    raw_t flood[FLOOD];
    panda_repl_msg_t msgs[FLOOD];
    for (size_t i = 0; i < FLOOD; i++) {
        flood[i] = s_raw_field_def ("flood", i < CREDIT);
        msgs[i] = s_entry_msg (1, &flood[i]);
        refused[n_refused++] = flood[i].doc;
    }
    s_client_send (&w->client, msgs, FLOOD);
    s_wait_log (a, "it sent entries beyond its credit", 1, LOG_MS);
    for (size_t i = 0; i < FLOOD; i++)
        s_raw_release (&flood[i]);
    s_client_close (&w->client);
    s_assert_serving (a, b, "a flood beyond the credit");
    published++;

    //  (c) a frame over the size limit, after a valid Hello: the connection
    //  is dropped (by ZeroMQ, before pandad sees the frame).
    s_client_open (&w->client, a);
    assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
    size_t big_len = PANDA_REPL_MAX_FRAME_BYTES + 1;
    uint8_t *big = calloc (1, big_len);
    assert_non_null (big);
    s_client_send_raw (&w->client, big, big_len);
    free (big);
    int event = s_client_event (&w->client, EVENT_MS);
    if (event != ZMQ_EVENT_DISCONNECTED)
        fail_msg ("a frame over %u bytes: A did not drop the connection (event %d)",
                  PANDA_REPL_MAX_FRAME_BYTES, event);
    s_client_close (&w->client);
    s_assert_serving (a, b, "a frame over the size limit");
    published++;

    //  (d) clients that say Hello and leave, more of them than max_peers:
    //  gone connections must not keep a place, or nobody new gets in.
    for (int i = 0; i < MAX_PEERS; i++) {
        s_client_open (&w->client, a);
        assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
        s_client_close (&w->client);
    }
    s_client_open (&w->client, a);
    assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
    s_client_close (&w->client);
    assert_int_equal (panda_fixture_log_count (a->fx, "would be one peer too many"), 0);
    s_assert_serving (a, b, "clients that said Hello and left");
    published++;

    //  (e) relay messages to a node that is no relay: a Forward, as if A
    //  were one. The connection is closed, A goes on.
    s_client_open (&w->client, a);
    assert_int_equal (s_client_handshake (&w->client, a), CREDIT);
    uint8_t someone[32] = {1};
    static const uint8_t payload[] = {2, 0, 0};
    panda_repl_msg_t forward;
    panda_repl_msg_init (&forward);
    forward.type = PANDA_REPL_FORWARD;
    forward.node_key = someone;
    forward.payload = payload;
    forward.payload_len = sizeof payload;
    s_client_send (&w->client, &forward, 1);
    s_wait_log (a, "this node is no relay", 1, LOG_MS);
    s_client_close (&w->client);
    s_assert_serving (a, b, "relay messages to a node that is no relay");
    published++;

    //  Nothing of it on A: not over GraphQL, not in its database.
    for (size_t i = 0; i < n_refused; i++) {
        char what[64];
        snprintf (what, sizeof what, "hostile entry %zu", i);
        s_assert_lacks (a, &refused[i], what);
    }
    char db[PATH_MAX + 32];
    snprintf (db, sizeof db, "%s/pandad.sqlite3", panda_fixture_dir (a->fx));
    s_stop_all (w);
    sqlite3 *sql = NULL;
    assert_int_equal (sqlite3_open_v2 (db, &sql, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (sql, "SELECT count(*) FROM entries", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    int64_t stored = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (sql);
    if (stored != (int64_t) published)
        fail_msg ("A stored %lld entries; it published %zu and should hold nothing else", (long long) stored,
                  published);
    w->passed = true;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_allow_and_block_lists, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_psk, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_client, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
