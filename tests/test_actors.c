/*  test_actors.c - the publish pipeline (ingest, verify pool, storage) as
    actors on inproc sockets, driven by a DEALER like an api worker. Every
    wait has a deadline; nothing sleeps.                                   */
#include "panda_test.h"
#include "panda_actors.h"
#include "panda_pandad.h"
#include "panda/panda_log_writer.h"
#include "panda/panda_operation_json.h"

#include <stdatomic.h>

#define S_WORKERS 2
#define S_DEADLINE_MS 20000

typedef struct {
    panda_config_t *config;
    panda_actor_args_t storage_args, ingest_args, verify_args[S_WORKERS];
    zactor_t *storage, *ingest, *verify[S_WORKERS];
    zsock_t *client; //  DEALER, as an api worker
    zsock_t *events; //  SUB to STORED
    zpoller_t *poller;
    uint64_t req;
} s_pipe_t;

//  A config with endpoints of its own, so tests never share sockets.
static panda_config_t *
s_config (const char *database_url)
{
    panda_error_t err;
    panda_config_t *config = panda_pandad_inproc_config ("test", database_url, &err);
    if (!config)
        fail_msg ("config: %s", err.message);
    return config;
}

static int
s_setup (void **state)
{
    s_pipe_t *p = calloc (1, sizeof *p);
    p->config = s_config ("sqlite::memory:");
    panda_error_t err;
    p->storage_args = (panda_actor_args_t){.config = p->config};
    p->storage = panda_actor_start (panda_storage_actor, &p->storage_args, "storage", &err);
    assert_non_null (p->storage);
    for (unsigned i = 0; i < S_WORKERS; i++) {
        p->verify_args[i] = (panda_actor_args_t){.config = p->config, .index = i};
        p->verify[i] = panda_actor_start (panda_verify_actor, &p->verify_args[i], "verify", &err);
        assert_non_null (p->verify[i]);
    }
    p->ingest_args = (panda_actor_args_t){.config = p->config, .workers = S_WORKERS};
    p->ingest = panda_actor_start (panda_ingest_actor, &p->ingest_args, "ingest", &err);
    assert_non_null (p->ingest);
    p->client = zsock_new_dealer (p->config->ingest_endpoint);
    p->events = zsock_new_sub (p->config->events_endpoint, "");
    p->poller = zpoller_new (p->client, NULL);
    *state = p;
    return 0;
}

static int
s_teardown (void **state)
{
    s_pipe_t *p = *state;
    zpoller_destroy (&p->poller);
    zsock_destroy (&p->client);
    zsock_destroy (&p->events);
    zactor_destroy (&p->ingest);
    for (unsigned i = 0; i < S_WORKERS; i++)
        zactor_destroy (&p->verify[i]);
    zactor_destroy (&p->storage);
    panda_config_destroy (&p->config);
    free (p);
    return 0;
}

//  Next message on sock within the deadline (fails the test otherwise).
static panda_msg_t *
s_recv (zsock_t *sock)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    assert_ptr_equal (zpoller_wait (poller, S_DEADLINE_MS), sock);
    zpoller_destroy (&poller);
    panda_msg_t *msg = panda_actor_recv (sock, NULL);
    assert_non_null (msg);
    return msg;
}

static uint64_t
s_publish (s_pipe_t *p, const panda_entry_t *entry, panda_operation_t *op)
{
    size_t entry_len, op_len;
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    const uint8_t *op_bytes = panda_operation_bytes (op, &op_len);
    panda_msg_t *msg = panda_msg_publish_new (++p->req, entry_bytes, entry_len, op_bytes, op_len);
    assert_int_equal (panda_actor_send (p->client, NULL, &msg), 0);
    return p->req;
}

static uint64_t
s_publish_raw (s_pipe_t *p, const uint8_t *entry, size_t entry_len, const uint8_t *op, size_t op_len)
{
    panda_msg_t *msg = panda_msg_publish_new (++p->req, entry, entry_len, op, op_len);
    assert_int_equal (panda_actor_send (p->client, NULL, &msg), 0);
    return p->req;
}

static void
s_ask_next_args (s_pipe_t *p, const panda_keypair_t *keypair, const panda_hash_t *view, size_t count)
{
    panda_public_key_t key = panda_keypair_public_key (keypair);
    panda_msg_t *msg =
        panda_msg_next_args_new (++p->req, key.bytes, PANDA_PUBLIC_KEY_SIZE, view, count * PANDA_HASH_SIZE);
    assert_int_equal (panda_actor_send (p->client, NULL, &msg), 0);
}

//  The answer must be ARGS equal to want.
static void
s_expect_args (panda_msg_t *reply, uint64_t req, const panda_entry_args_t *want)
{
    if (panda_msg_id (reply) == PANDA_MSG_FAILED)
        fail_msg ("request %lu failed: %s", (unsigned long) req, panda_msg_failed_message (reply));
    assert_int_equal (panda_msg_id (reply), PANDA_MSG_ARGS);
    assert_int_equal (panda_msg_args_req (reply), req);
    assert_int_equal (panda_msg_args_log_id (reply), want->log_id);
    assert_int_equal (panda_msg_args_seq_num (reply), want->seq_num);
    size_t len;
    const uint8_t *link = panda_msg_args_backlink (reply, &len);
    assert_int_equal (len, want->has_backlink ? PANDA_HASH_SIZE : 0);
    if (len)
        assert_memory_equal (link, want->backlink.bytes, PANDA_HASH_SIZE);
    link = panda_msg_args_skiplink (reply, &len);
    assert_int_equal (len, want->has_skiplink ? PANDA_HASH_SIZE : 0);
    if (len)
        assert_memory_equal (link, want->skiplink.bytes, PANDA_HASH_SIZE);
}

static void
s_expect_failed (s_pipe_t *p, uint64_t req, const char *message)
{
    panda_msg_t *reply = s_recv (p->client);
    assert_int_equal (panda_msg_id (reply), PANDA_MSG_FAILED);
    assert_int_equal (panda_msg_failed_req (reply), req);
    assert_string_equal (panda_msg_failed_message (reply), message);
    panda_msg_destroy (&reply);
}

//  A field definition document: CREATE when previous is NULL, else UPDATE.
static panda_operation_t *
s_field_op (const panda_hash_t *previous, int n)
{
    char json[512], prev[PANDA_HASH_HEX_SIZE + 1];
    if (previous)
        snprintf (json, sizeof json,
                  "{\"version\":1,\"action\":\"update\",\"schemaId\":\"schema_field_definition_v1\","
                  "\"previous\":[\"%s\"],\"fields\":{\"name\":{\"type\":\"str\",\"value\":\"field%d\"}}}",
                  panda_hash_to_hex (previous, prev), n);
    else
        snprintf (json, sizeof json,
                  "{\"version\":1,\"action\":\"create\",\"schemaId\":\"schema_field_definition_v1\","
                  "\"fields\":{\"name\":{\"type\":\"str\",\"value\":\"field%d\"},"
                  "\"type\":{\"type\":\"str\",\"value\":\"str\"}}}",
                  n);
    panda_error_t err;
    panda_operation_t *op = panda_operation_from_json_text (json, strlen (json), &err);
    assert_non_null (op);
    return op;
}

//  One author's document: CREATE then UPDATEs, each entry signed in order.
typedef struct {
    panda_keypair_t *keypair;
    panda_log_writer_t *writer;
    panda_hash_t document_id, latest;
    size_t count;
} s_author_t;

static void
s_author_init (s_author_t *a, uint64_t log_id)
{
    a->keypair = panda_keypair_new ();
    a->writer = panda_log_writer_new (a->keypair, log_id);
    a->count = 0;
}

static void
s_author_fini (s_author_t *a)
{
    panda_log_writer_destroy (&a->writer);
    panda_keypair_destroy (&a->keypair);
}

//  Sign the author's next operation; *op_p gets the operation.
static panda_entry_t *
s_author_next (s_author_t *a, panda_operation_t **op_p)
{
    panda_operation_t *op = s_field_op (a->count ? &a->latest : NULL, (int) a->count);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_error_t err;
    panda_entry_t *entry = panda_log_writer_sign (a->writer, bytes, len, &err);
    assert_non_null (entry);
    a->latest = *panda_entry_hash (entry);
    if (a->count++ == 0)
        a->document_id = a->latest;
    *op_p = op;
    return entry;
}

//  40 entries of one log sent back to back, without waiting: every one is
//  accepted (so none overtook another on the way through two verify
//  workers), in order, with the right next arguments, and each commit is
//  announced by a STORED event.
static void
test_pipeline_keeps_log_order (void **state)
{
    s_pipe_t *p = *state;
    s_author_t a;
    s_author_init (&a, 0);
    enum { N = 40 };
    panda_entry_args_t want[N];
    panda_hash_t ids[N];
    uint64_t reqs[N];
    for (int i = 0; i < N; i++) {
        panda_operation_t *op;
        panda_entry_t *entry = s_author_next (&a, &op);
        ids[i] = *panda_entry_hash (entry);
        reqs[i] = s_publish (p, entry, op);
        panda_log_writer_next_args (a.writer, &want[i]);
        panda_entry_destroy (&entry);
        panda_operation_destroy (&op);
    }
    for (int i = 0; i < N; i++) {
        panda_msg_t *reply = s_recv (p->client);
        s_expect_args (reply, reqs[i], &want[i]);
        panda_msg_destroy (&reply);
    }
    uint64_t last_position = 0;
    for (int i = 0; i < N; i++) {
        panda_msg_t *event = s_recv (p->events);
        assert_int_equal (panda_msg_id (event), PANDA_MSG_STORED);
        size_t len;
        assert_memory_equal (panda_msg_stored_operation_id (event, &len), ids[i].bytes, PANDA_HASH_SIZE);
        assert_memory_equal (panda_msg_stored_document_id (event, &len), a.document_id.bytes,
                             PANDA_HASH_SIZE);
        assert_string_equal (panda_msg_stored_schema_id (event), "schema_field_definition_v1");
        assert_true (panda_msg_stored_position (event) > last_position);
        last_position = panda_msg_stored_position (event);
        panda_msg_destroy (&event);
    }
    //  nextArgs from the committed state agrees with the client's own view.
    s_ask_next_args (p, a.keypair, &a.document_id, 1);
    panda_msg_t *reply = s_recv (p->client);
    s_expect_args (reply, p->req, &want[N - 1]);
    panda_msg_destroy (&reply);
    s_author_fini (&a);
}

//  Eight authors publishing interleaved: all accepted, each log continues
//  where its author expects, and new documents get the next free log id.
static void
test_pipeline_many_logs (void **state)
{
    s_pipe_t *p = *state;
    enum { AUTHORS = 8, EACH = 15 };
    s_author_t authors[AUTHORS];
    for (int k = 0; k < AUTHORS; k++)
        s_author_init (&authors[k], 0);
    for (int i = 0; i < EACH; i++)
        for (int k = 0; k < AUTHORS; k++) {
            panda_operation_t *op;
            panda_entry_t *entry = s_author_next (&authors[k], &op);
            s_publish (p, entry, op);
            panda_entry_destroy (&entry);
            panda_operation_destroy (&op);
        }
    for (int i = 0; i < AUTHORS * EACH; i++) {
        panda_msg_t *reply = s_recv (p->client);
        if (panda_msg_id (reply) == PANDA_MSG_FAILED)
            fail_msg ("publish failed: %s", panda_msg_failed_message (reply));
        assert_int_equal (panda_msg_id (reply), PANDA_MSG_ARGS);
        panda_msg_destroy (&reply);
    }
    for (int k = 0; k < AUTHORS; k++) {
        panda_entry_args_t want;
        panda_log_writer_next_args (authors[k].writer, &want);
        s_ask_next_args (p, authors[k].keypair, &authors[k].latest, 1);
        panda_msg_t *reply = s_recv (p->client);
        s_expect_args (reply, p->req, &want);
        panda_msg_destroy (&reply);
        panda_entry_args_t fresh = {.log_id = 1, .seq_num = 1};
        s_ask_next_args (p, authors[k].keypair, NULL, 0);
        reply = s_recv (p->client);
        s_expect_args (reply, p->req, &fresh);
        panda_msg_destroy (&reply);
        s_author_fini (&authors[k]);
    }
}

//  Each stage rejects what it is responsible for, with the reference
//  message and in the reference order (node-api §7.2), and nothing is stored.
static void
test_pipeline_rejects_in_reference_order (void **state)
{
    s_pipe_t *p = *state;
    s_author_t a;
    s_author_init (&a, 0);
    panda_operation_t *op;
    panda_entry_t *entry = s_author_next (&a, &op);
    size_t entry_len, op_len;
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    const uint8_t *op_bytes = panda_operation_bytes (op, &op_len);
    static const uint8_t junk[] = {0xab, 0x01};

    //  Step 1 (ingest): the operation is decoded first, even if the entry is junk.
    uint64_t req = s_publish_raw (p, junk, sizeof junk, op_bytes, 0);
    s_expect_failed (p, req, "cbor decoder failed failed to fill whole buffer");
    //  Step 2 (ingest): unknown schema before any entry check.
    static const char venue[] =
        "{\"version\":1,\"action\":\"create\",\"schemaId\":\"venue_0020c65567ae37efea293e34a9c7d13f8f2bf23"
        "dbdc3b5c7b9ab46293111c48fc78b\",\"fields\":{\"name\":{\"type\":\"str\",\"value\":\"x\"}}}";
    panda_operation_t *unknown = panda_operation_from_json_text (venue, strlen (venue), NULL);
    assert_non_null (unknown);
    size_t unknown_len;
    const uint8_t *unknown_bytes = panda_operation_bytes (unknown, &unknown_len);
    req = s_publish_raw (p, junk, sizeof junk, unknown_bytes, unknown_len);
    s_expect_failed (p, req, "Schema not found");
    //  Step 3 (verify): entry decoding, then the signature.
    req = s_publish_raw (p, junk, sizeof junk, op_bytes, op_len);
    s_expect_failed (p, req, "Could not decode author public key from bytes");
    uint8_t *forged = malloc (entry_len);
    memcpy (forged, entry_bytes, entry_len);
    forged[entry_len - 1] ^= 0x01; //  last byte of the signature
    req = s_publish_raw (p, forged, entry_len, op_bytes, op_len);
    s_expect_failed (p, req, "signature invalid");
    //  Steps 4+ (storage): a valid entry at seq 2 of an empty log.
    panda_operation_t *op2;
    panda_entry_t *second = s_author_next (&a, &op2);
    req = s_publish (p, second, op2);
    s_expect_failed (
        p, req,
        "Entry's claimed seq num of 2 does not match expected seq num of 1 for given public key and log");
    //  Nothing was stored: the author's first log is still free.
    panda_entry_args_t fresh = {.log_id = 0, .seq_num = 1};
    s_ask_next_args (p, a.keypair, NULL, 0);
    panda_msg_t *reply = s_recv (p->client);
    s_expect_args (reply, p->req, &fresh);
    panda_msg_destroy (&reply);
    free (forged);
    panda_operation_destroy (&unknown);
    panda_operation_destroy (&op2);
    panda_entry_destroy (&second);
    panda_operation_destroy (&op);
    panda_entry_destroy (&entry);
    s_author_fini (&a);
}

//  Malformed frames are dropped and the pipeline keeps answering.
static void
test_pipeline_survives_malformed_messages (void **state)
{
    s_pipe_t *p = *state;
    zstr_send (p->client, "NOPE");
    zstr_sendm (p->client, "PUBLISH");
    zstr_send (p->client, "not msgpack");
    zstr_sendm (p->client, "NEXT_ARGS");
    zframe_t *body = zframe_new ("\x93\x01\xc4\x01\x00\xc4\x00", 7); //  a 1-byte public key
    zframe_send (&body, p->client, 0);
    panda_msg_t *stray = panda_msg_stored_new ("a", 1, "b", 1, "c", 1, NULL, 0);
    assert_int_equal (panda_actor_send (p->client, NULL, &stray), 0);
    //  The short key reaches storage and is refused there.
    s_expect_failed (p, 1, "malformed NEXT_ARGS request");
    panda_keypair_t *keypair = panda_keypair_new ();
    s_ask_next_args (p, keypair, NULL, 0);
    panda_msg_t *reply = s_recv (p->client);
    panda_entry_args_t fresh = {.log_id = 0, .seq_num = 1};
    s_expect_args (reply, p->req, &fresh);
    panda_msg_destroy (&reply);
    panda_keypair_destroy (&keypair);
}

//  An actor that cannot start says why, and the caller gets no actor.
static void
test_storage_start_failure_names_the_database (void **state)
{
    (void) state;
    panda_config_t *config = s_config ("sqlite:/nonexistent-dir/pandad.sqlite3");
    panda_actor_args_t args = {.config = config};
    panda_error_t err;
    zactor_t *storage = panda_actor_start (panda_storage_actor, &args, "storage", &err);
    assert_null (storage);
    assert_non_null (strstr (err.message, "storage: cannot open database /nonexistent-dir/pandad.sqlite3"));
    panda_config_destroy (&config);
}

//  A drain is bounded: with more queued than one drain takes, the loop
//  polls again after S_DRAIN_MAX (256) messages, and drained ends each
//  drain; every message is taken once.
#define S_DRAIN_MESSAGES 2000
typedef struct {
    zsock_t *in, *done; //  PULL of the messages; PUSH: all were taken
    atomic_size_t taken;
    size_t drains, largest, at_last; //  read after the thread ended
} s_drain_t;

static const char *
s_drain_start (void *self_, zpoller_t *poller)
{
    s_drain_t *self = self_;
    if (!(self->in = zsock_new_pull ("@inproc://test-drain")))
        return "cannot bind";
    zsock_set_rcvhwm (self->in, 0);
    zpoller_add (poller, self->in);
    return (self->done = zsock_new_push (">inproc://test-drain-done")) ? NULL : "cannot connect";
}

static void
s_drain_take (void *self_, zsock_t *which)
{
    s_drain_t *self = self_;
    zmsg_t *msg = zmsg_recv (which);
    zmsg_destroy (&msg);
    atomic_fetch_add (&self->taken, 1);
}

static void
s_drain_end (void *self_, zsock_t *which)
{
    s_drain_t *self = self_;
    (void) which;
    size_t taken = atomic_load (&self->taken);
    if (taken - self->at_last > self->largest)
        self->largest = taken - self->at_last;
    self->at_last = taken;
    self->drains++;
    if (taken == S_DRAIN_MESSAGES)
        zstr_send (self->done, "done");
}

static void
s_drain_actor (zsock_t *pipe, void *args)
{
    s_drain_t *self = args;
    panda_actor_loop_batched (pipe, self, s_drain_start, s_drain_take, s_drain_end, NULL);
    zsock_destroy (&self->in);
    zsock_destroy (&self->done);
}

static void
test_drain_is_bounded (void **state)
{
    (void) state;
    s_drain_t drain = {.taken = 0};
    zsock_t *done = zsock_new_pull ("@inproc://test-drain-done");
    assert_non_null (done);
    zsock_set_rcvtimeo (done, S_DEADLINE_MS);
    zactor_t *actor = zactor_new (s_drain_actor, &drain);
    assert_non_null (actor);
    zstr_send (actor, "START");
    char *reason = zstr_recv (actor);
    assert_string_equal (reason, "");
    zstr_free (&reason);
    zsock_t *push = zsock_new_push (">inproc://test-drain");
    assert_non_null (push);
    zsock_set_sndhwm (push, 0);
    for (int i = 0; i < S_DRAIN_MESSAGES; i++)
        zstr_send (push, "x");
    char *all_taken = zstr_recv (done);
    assert_non_null (all_taken);
    zstr_free (&all_taken);
    zactor_destroy (&actor);
    zsock_destroy (&push);
    zsock_destroy (&done);
    assert_int_equal (atomic_load (&drain.taken), S_DRAIN_MESSAGES);
    assert_true (drain.largest <= 256);
    assert_true (drain.drains >= S_DRAIN_MESSAGES / 256);
    assert_int_equal (drain.at_last, S_DRAIN_MESSAGES);
}

int
main (void)
{
    zsys_handler_set (NULL);
    panda_log_set_level (PANDA_LOG_OFF);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_pipeline_keeps_log_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pipeline_many_logs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pipeline_rejects_in_reference_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pipeline_survives_malformed_messages, s_setup, s_teardown),
        cmocka_unit_test (test_storage_start_failure_names_the_database),
        cmocka_unit_test (test_drain_is_bounded),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
