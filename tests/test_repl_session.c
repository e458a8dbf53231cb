/*  test_repl_session.c - the replication session state machine, two
    sessions (initiator A, responder B) wired back to back in memory: each
    side's output frame is decoded with the codec and handed to the other
    side, as the replicate actor does. Covers the sends lists against a
    brute-force model (mode 0 and mode 2), the §9.4 exchange order and the
    §9.2 bytes of a mode-0 exchange, the state transitions with live mode,
    and every error the session reports.                                   */
#include "test_repl_logs.h"
#include "panda_repl_session.h"

#include <stdio.h>

#define S_CHAT "chat_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696a"
#define S_PK "3d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c11852"
//  node-api §9.2: the three-id target set, SyncRequest(0, 0, T), Have with
//  one author and three logs, an empty Have, SyncDone(false).
#define S_THREE_IDS                                                                                          \
    "8374736368656d615f646566696e6974696f6e5f7631781a736368656d615f6669656c645f646566696e6974696f6e5f763178" \
    "49636861"                                                                                               \
    "745f30303230636639636434386637396661336432323236376130373737613366653031353334373332653632353933613333" \
    "61663466"                                                                                               \
    "653337356136366138353036393661"
#define S_SYNC_REQUEST "84010000" S_THREE_IDS
#define S_HAVE_BODY                                                                                          \
    "818258203d116b2f0e5392fff107df1d3b3d21977af1f27301654cea981427e6c9c1185283820001820101820202"
#define S_HAVE "830a00" S_HAVE_BODY
#define S_HAVE_EMPTY "830a0080"
#define S_DONE "830300f4"

static const char *s_three[] = {"schema_definition_v1", "schema_field_definition_v1", S_CHAT};

static void
s_target (panda_schema_set_t *set)
{
    panda_schema_set_init (set);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (panda_schema_set_add_text (set, s_three[i], strlen (s_three[i]), NULL), PANDA_OK);
}

//  Hex of what w holds; the writer is emptied.
static char *
s_take_hex (panda_cbor_writer_t *w)
{
    assert_false (w->failed);
    char *hex = panda_test_hex (w->data, w->len);
    panda_cbor_writer_free (w);
    panda_cbor_writer_init (w);
    return hex;
}

static void
s_expect_hex (panda_cbor_writer_t *w, const char *expected)
{
    char *got = s_take_hex (w);
    assert_string_equal (got, expected);
    free (got);
}

//  One side of the exchange: its session, its output frame and the sends
//  list as it was when the session first declared it ready.
typedef struct {
    panda_repl_session_t *s;
    panda_cbor_writer_t out;
    bool live;
    bool planned;
    panda_repl_send_t *sends;
    size_t n_sends;
    size_t received;
} s_side_t;

static void
s_side_init (s_side_t *side, bool live)
{
    memset (side, 0, sizeof *side);
    panda_cbor_writer_init (&side->out);
    side->live = live;
}

static void
s_side_free (s_side_t *side)
{
    panda_repl_session_destroy (&side->s);
    panda_cbor_writer_free (&side->out);
    free (side->sends);
}

//  What the actor does after each message: once the list is final, plan
//  it (here: keep a copy), "stream" it and end the catch-up with sent().
static void
s_after (s_side_t *side)
{
    if (!panda_repl_session_sends_ready (side->s))
        return;
    assert_false (side->planned);
    side->planned = true;
    const panda_repl_send_t *sends = panda_repl_session_sends (side->s, &side->n_sends);
    side->sends = calloc (side->n_sends ? side->n_sends : 1, sizeof *sends);
    if (side->n_sends)
        memcpy (side->sends, sends, side->n_sends * sizeof *sends);
    else
        assert_null (sends);
    panda_error_t err;
    if (panda_repl_session_sent (side->s, &side->out, &err))
        fail_msg ("sent: %s", err.message);
    assert_true (panda_repl_session_local_done (side->s));
    assert_false (panda_repl_session_sends_ready (side->s));
}

//  Hand everything from wrote so far to to; every message must be taken.
static void
s_deliver (s_side_t *from, s_side_t *to)
{
    size_t len = from->out.len;
    uint8_t *frame = from->out.data;
    panda_cbor_writer_init (&from->out);
    panda_repl_reader_t reader;
    panda_error_t err;
    assert_int_equal (panda_repl_reader_init (&reader, frame, len, NULL, &err), PANDA_OK);
    while (panda_repl_reader_more (&reader)) {
        panda_repl_msg_t msg;
        if (panda_repl_reader_next (&reader, &msg, &err))
            fail_msg ("decode: %s", err.message);
        assert_int_equal (msg.session_id, panda_repl_session_id (to->s));
        if (panda_repl_session_handle (to->s, &msg, &to->out, &err))
            fail_msg ("handle %s: %s", panda_repl_type_name (msg.type), err.message);
        panda_repl_msg_clear (&msg);
        to->received++;
        s_after (to);
    }
    free (frame);
}

//  A starts with its SyncRequest; B is created from it (as the actor does)
//  and takes whatever followed it in A's frame.
static void
s_open (s_side_t *a, s_side_t *b, uint64_t id, uint64_t mode, panda_recon_set_t *logs_a,
        panda_recon_set_t *logs_b)
{
    panda_schema_set_t target;
    s_target (&target);
    panda_error_t err;
    a->s = panda_repl_session_new (id, true, mode, &target, logs_a, a->live, &err);
    panda_schema_set_clear (&target);
    if (!a->s)
        fail_msg ("new: %s", err.message);
    assert_int_equal (panda_repl_session_state (a->s), PANDA_REPL_PENDING);
    assert_true (panda_repl_session_initiator (a->s));
    assert_int_equal (panda_repl_session_start (a->s, &a->out, &err), PANDA_OK);

    size_t len = a->out.len;
    uint8_t *frame = a->out.data;
    panda_cbor_writer_init (&a->out);
    panda_repl_reader_t reader;
    assert_int_equal (panda_repl_reader_init (&reader, frame, len, NULL, &err), PANDA_OK);
    panda_repl_msg_t msg;
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_SYNC_REQUEST);
    assert_int_equal (msg.session_id, id);
    assert_int_equal (msg.mode, mode);
    b->s = panda_repl_session_new (msg.session_id, false, msg.mode, &msg.schema_ids, logs_b, b->live, &err);
    if (!b->s)
        fail_msg ("new: %s", err.message);
    assert_true (panda_schema_set_eq (panda_repl_session_target (b->s), &msg.schema_ids));
    panda_repl_msg_clear (&msg);
    assert_false (panda_repl_session_initiator (b->s));
    assert_int_equal (panda_repl_session_start (b->s, &b->out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (b->s), PANDA_REPL_PENDING);
    //  Mode 2: the first Ranges rides in the SyncRequest's frame.
    while (panda_repl_reader_more (&reader)) {
        assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
        assert_int_equal (msg.type, PANDA_REPL_RANGES);
        assert_int_equal (mode, PANDA_REPL_MODE_LOG_HEIGHT_RANGES);
        if (panda_repl_session_handle (b->s, &msg, &b->out, &err))
            fail_msg ("handle: %s", err.message);
        panda_repl_msg_clear (&msg);
        b->received++;
        s_after (b);
    }
    free (frame);
}

//  Pump frames both ways until both are quiet; returns the rounds taken.
static size_t
s_pump (s_side_t *a, s_side_t *b)
{
    size_t rounds = 0;
    while (a->out.len || b->out.len) {
        assert_true (++rounds < 200); //  a loop, not an exchange
        if (b->out.len)
            s_deliver (b, a);
        if (a->out.len)
            s_deliver (a, b);
    }
    return rounds;
}

// --------------------------------------------------------------------------
//  The model: logs with a height on each side (0 = absent).

//  Up to n distinct logs over a few authors (some with long common key
//  prefixes), sorted by key.
static t_log_t *
s_make_logs (uint64_t *x, size_t n, size_t *kept_p)
{
    t_log_t *logs = calloc (n ? n : 1, sizeof *logs);
    size_t authors = n / 4 + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t author = t_next (x) % authors, seed = author * 0x9e3779b97f4a7c15u + 7;
        panda_test_random_bytes (&seed, logs[i].pk, 32);
        if (author % 5 == 0)
            memset (logs[i].pk, 0x5a, 24);
        uint64_t r = t_next (x);
        logs[i].log_id = r % 8 == 0 ? t_next (x) : r % 8 == 1 ? UINT64_MAX - r % 3 : r % 6;
    }
    *kept_p = t_logs_unique (logs, n);
    return logs;
}

static uint64_t
s_height (uint64_t *x)
{
    uint64_t r = t_next (x) % 16;
    return r < 3 ? 0 : r < 13 ? r - 2 : t_next (x) >> (t_next (x) % 64); //  sometimes huge
}

//  Heights on both sides following a scenario: 0 random, 1 identical,
//  2 A empty, 3 B empty, 4 both empty, 5 A ahead everywhere, 6 almost
//  identical (one log differs).
static void
s_scenario (uint64_t *x, t_log_t *logs, size_t n, int scenario)
{
    for (size_t i = 0; i < n; i++) {
        logs[i].seq_a = s_height (x);
        logs[i].seq_b = s_height (x);
        if (scenario == 1 || scenario == 6)
            logs[i].seq_b = logs[i].seq_a;
        if (scenario == 2 || scenario == 4)
            logs[i].seq_a = 0;
        if (scenario == 3 || scenario == 4)
            logs[i].seq_b = 0;
        if (scenario == 5) {
            logs[i].seq_a = logs[i].seq_a ? logs[i].seq_a : 1;
            logs[i].seq_b = logs[i].seq_a - 1 - t_next (x) % logs[i].seq_a;
        }
    }
    if (scenario == 6 && n) {
        size_t i = t_next (x) % n;
        logs[i].seq_b = logs[i].seq_a + 1 + t_next (x) % 3;
    }
}

//  side's sends list must be exactly the logs where it is ahead, in key
//  order, from the other's height + 1 to its own.
static void
s_check_sends (const s_side_t *side, const t_log_t *logs, size_t n, bool side_b, const char *what)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t own = side_b ? logs[i].seq_b : logs[i].seq_a;
        uint64_t other = side_b ? logs[i].seq_a : logs[i].seq_b;
        if (own <= other)
            continue;
        if (k >= side->n_sends)
            fail_msg ("%s: %zu sends, more expected", what, side->n_sends);
        const panda_repl_send_t *send = &side->sends[k++];
        if (memcmp (send->public_key, logs[i].pk, 32) != 0 || send->log_id != logs[i].log_id ||
            send->from_seq != other + 1 || send->to_seq != own)
            fail_msg ("%s: send %zu is log %llu %llu..%llu, expected log %llu %llu..%llu", what, k - 1,
                      (unsigned long long) send->log_id, (unsigned long long) send->from_seq,
                      (unsigned long long) send->to_seq, (unsigned long long) logs[i].log_id,
                      (unsigned long long) other + 1, (unsigned long long) own);
    }
    if (k != side->n_sends)
        fail_msg ("%s: %zu sends, expected %zu", what, side->n_sends, k);
}

//  Both sides reach the end the model predicts; returns the rounds taken.
static size_t
s_run_model (uint64_t *x, uint64_t mode, size_t n_max, int scenario, bool live_a, bool live_b)
{
    size_t n;
    t_log_t *logs = s_make_logs (x, n_max, &n);
    s_scenario (x, logs, n, scenario);
    s_side_t a, b;
    s_side_init (&a, live_a);
    s_side_init (&b, live_b);
    uint64_t id = t_next (x) % 4 == 0 ? t_next (x) : t_next (x) % 3;
    s_open (&a, &b, id, mode, t_logs_set (logs, n, false, x), t_logs_set (logs, n, true, x));
    size_t rounds = s_pump (&a, &b);
    char what[96];
    snprintf (what, sizeof what, "mode %llu, %zu logs, scenario %d, A", (unsigned long long) mode, n,
              scenario);
    assert_true (a.planned);
    s_check_sends (&a, logs, n, false, what);
    what[strlen (what) - 1] = 'B';
    //  A mode-0 responder with nothing to offer is done before it plans.
    size_t b_logs = 0;
    for (size_t i = 0; i < n; i++)
        b_logs += logs[i].seq_b != 0;
    assert_true (b.planned || (mode == PANDA_REPL_MODE_LOG_HEIGHT && b_logs == 0));
    s_check_sends (&b, logs, n, true, what);
    panda_repl_state_t end = live_a && live_b ? PANDA_REPL_LIVE : PANDA_REPL_DONE;
    assert_int_equal (panda_repl_session_state (a.s), end);
    assert_int_equal (panda_repl_session_state (b.s), end);
    assert_true (panda_repl_session_local_done (a.s) && panda_repl_session_remote_done (a.s));
    assert_true (panda_repl_session_local_done (b.s) && panda_repl_session_remote_done (b.s));
    //  The list stays readable after the session ended.
    size_t count;
    panda_repl_session_sends (a.s, &count);
    assert_int_equal (count, a.n_sends);
    s_side_free (&a);
    s_side_free (&b);
    free (logs);
    return rounds;
}

static void
test_session_model (void **state)
{
    uint64_t x = 0x2545f4914f6cdd1du;
    size_t max_rounds[3] = {0};
    for (uint64_t mode = 0; mode <= 2; mode += 2)
        for (int i = 0; i < 280; i++) {
            //  Small sets, and sets past the reconciliation's item
            //  threshold so that ranges split.
            size_t n_max = i % 4 == 3 ? 40 + t_next (&x) % 200 : t_next (&x) % 24;
            size_t rounds = s_run_model (&x, mode, n_max, i % 7, t_next (&x) % 3 == 0, t_next (&x) % 3 == 0);
            if (rounds > max_rounds[mode])
                max_rounds[mode] = rounds;
        }
    //  Mode 0: B's Have, A's Have + SyncDone, B's SyncDone.
    assert_true (max_rounds[0] <= 2);
    assert_true (max_rounds[2] >= 2);
}

//  A large pair, so that reconciliation needs several rounds.
static void
test_session_model_large (void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int scenario = 0; scenario <= 6; scenario++) {
        size_t rounds = s_run_model (&x, PANDA_REPL_MODE_LOG_HEIGHT_RANGES, 3000, scenario, false, false);
        if (scenario == 6)
            assert_true (rounds >= 3); //  one differing log among thousands: a few splits
        s_run_model (&x, PANDA_REPL_MODE_LOG_HEIGHT, 3000, scenario, true, true);
    }
}

// --------------------------------------------------------------------------
//  The §9.4 exchange, byte by byte where §9.2 has vectors.

//  B holds §9.2's Have (one author, logs 0:1, 1:1, 2:2); A holds nothing.
static panda_recon_set_t *
s_vector_logs (void)
{
    size_t len;
    uint8_t *pk = panda_test_unhex (S_PK, &len);
    panda_recon_set_t *set = panda_recon_set_new ();
    assert_int_equal (panda_recon_set_add (set, pk, 2, 2, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_add (set, pk, 0, 1, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_add (set, pk, 1, 1, NULL), PANDA_OK);
    free (pk);
    return set;
}

static void
test_session_vectors_mode0 (void **state)
{
    panda_error_t err;
    s_side_t a, b;
    s_side_init (&a, false);
    s_side_init (&b, false);
    panda_schema_set_t target;
    s_target (&target);
    a.s = panda_repl_session_new (0, true, PANDA_REPL_MODE_LOG_HEIGHT, &target, panda_recon_set_new (), false,
                                  &err);
    assert_non_null (a.s);
    assert_int_equal (panda_repl_session_start (a.s, &a.out, &err), PANDA_OK);
    s_expect_hex (&a.out, S_SYNC_REQUEST); //  A -> B  SyncRequest(0, 0, T)
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_PENDING);
    assert_false (panda_repl_session_sends_ready (a.s));

    b.s =
        panda_repl_session_new (0, false, PANDA_REPL_MODE_LOG_HEIGHT, &target, s_vector_logs (), false, &err);
    assert_non_null (b.s);
    assert_int_equal (panda_repl_session_start (b.s, &b.out, &err), PANDA_OK);
    char *have_b = panda_test_hex (b.out.data, b.out.len);
    assert_string_equal (have_b, S_HAVE); //  B -> A  Have(0, hB)
    free (have_b);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_PENDING);
    assert_false (panda_repl_session_local_done (b.s));

    s_deliver (&b, &a); //  A answers: Have(0, hA = empty), nothing to send, SyncDone
    assert_true (a.planned);
    assert_int_equal (a.n_sends, 0);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_ESTABLISHED);
    assert_true (panda_repl_session_local_done (a.s));
    assert_false (panda_repl_session_remote_done (a.s));
    char *reply = panda_test_hex (a.out.data, a.out.len);
    assert_string_equal (reply, S_HAVE_EMPTY S_DONE);
    free (reply);

    //  B receives A's Have: its list is every log from 1; its SyncDone
    //  comes only with sent(), after the entries.
    panda_repl_msg_t have;
    size_t used;
    uint8_t *bytes = panda_test_unhex (S_HAVE_EMPTY, &used);
    assert_int_equal (panda_repl_msg_decode (&have, bytes, used, NULL, &used, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_handle (b.s, &have, &b.out, &err), PANDA_OK);
    free (bytes);
    assert_int_equal (b.out.len, 0);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_ESTABLISHED);
    assert_true (panda_repl_session_sends_ready (b.s));
    size_t n;
    const panda_repl_send_t *sends = panda_repl_session_sends (b.s, &n);
    assert_int_equal (n, 3);
    const uint64_t expect[3][2] = {{0, 1}, {1, 1}, {2, 2}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (sends[i].log_id, expect[i][0]);
        assert_int_equal (sends[i].from_seq, 1);
        assert_int_equal (sends[i].to_seq, expect[i][1]);
        char *pk = panda_test_hex (sends[i].public_key, 32);
        assert_string_equal (pk, S_PK);
        free (pk);
    }
    //  ... then A's SyncDone (the rest of A's frame): B is not done yet.
    bytes = panda_test_unhex (S_DONE, &used);
    panda_repl_msg_t done;
    assert_int_equal (panda_repl_msg_decode (&done, bytes, used, NULL, &used, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_handle (b.s, &done, &b.out, &err), PANDA_OK);
    free (bytes);
    assert_true (panda_repl_session_remote_done (b.s));
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_ESTABLISHED);
    assert_int_equal (b.out.len, 0);
    assert_int_equal (panda_repl_session_sent (b.s, &b.out, &err), PANDA_OK); //  B -> A  Entry*, SyncDone
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
    s_expect_hex (&b.out, S_DONE);
    assert_int_equal (panda_repl_session_sent (b.s, &b.out, &err), PANDA_OK); //  once only
    assert_int_equal (b.out.len, 0);
    assert_false (panda_repl_session_sends_ready (b.s));

    panda_cbor_writer_free (&a.out);
    panda_cbor_writer_init (&a.out);
    assert_int_equal (panda_repl_session_handle (a.s, &done, &a.out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
    assert_int_equal (a.out.len, 0);
    panda_schema_set_clear (&target);
    s_side_free (&a);
    s_side_free (&b);
}

//  aquadoggo's responder with nothing to offer: Have(empty) and at once
//  SyncDone(false) (§9.4 step 5); the exchange still ends on both sides.
static void
test_session_empty_responder (void **state)
{
    panda_error_t err;
    s_side_t a, b;
    s_side_init (&a, false);
    s_side_init (&b, false);
    s_open (&a, &b, 0, PANDA_REPL_MODE_LOG_HEIGHT, s_vector_logs (), panda_recon_set_new ());
    char *opening = panda_test_hex (b.out.data, b.out.len);
    assert_string_equal (opening, S_HAVE_EMPTY S_DONE);
    free (opening);
    assert_true (panda_repl_session_local_done (b.s));
    assert_false (panda_repl_session_sends_ready (b.s));
    s_deliver (&b, &a); //  A: Have(hA), its sends, SyncDone; and B's SyncDone taken
    assert_true (a.planned);
    assert_int_equal (a.n_sends, 3);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
    char *reply = panda_test_hex (a.out.data, a.out.len);
    assert_string_equal (reply, S_HAVE S_DONE);
    free (reply);
    s_deliver (&a, &b);
    assert_false (b.planned); //  locally done before it knew A's heights
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
    assert_int_equal (b.out.len, 0);
    size_t n;
    assert_null (panda_repl_session_sends (b.s, &n));
    assert_int_equal (n, 0);
    (void) err;
    s_side_free (&a);
    s_side_free (&b);
}

//  Both empty: the whole exchange is §9.2's vectors.
static void
test_session_both_empty (void **state)
{
    s_side_t a, b;
    s_side_init (&a, false);
    s_side_init (&b, false);
    s_open (&a, &b, 0, PANDA_REPL_MODE_LOG_HEIGHT, panda_recon_set_new (), panda_recon_set_new ());
    char *opening = panda_test_hex (b.out.data, b.out.len);
    assert_string_equal (opening, S_HAVE_EMPTY S_DONE);
    free (opening);
    s_deliver (&b, &a);
    char *reply = panda_test_hex (a.out.data, a.out.len);
    assert_string_equal (reply, S_HAVE_EMPTY S_DONE);
    free (reply);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
    s_deliver (&a, &b);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
    assert_int_equal (a.out.len + b.out.len, 0);
    s_side_free (&a);
    s_side_free (&b);
}

//  Mode 0 with both sides holding logs: message by message, and the
//  order of §9.4.
static void
test_session_order_mode0 (void **state)
{
    uint64_t x = 77;
    size_t n;
    t_log_t *logs = s_make_logs (&x, 12, &n);
    s_scenario (&x, logs, n, 0);
    logs[0].seq_a = 3, logs[0].seq_b = 1; //  both sides ahead somewhere
    logs[1].seq_a = 1, logs[1].seq_b = 4;
    s_side_t a, b;
    s_side_init (&a, false);
    s_side_init (&b, false);
    s_open (&a, &b, 5, PANDA_REPL_MODE_LOG_HEIGHT, t_logs_set (logs, n, false, &x),
            t_logs_set (logs, n, true, &x));
    panda_error_t err;

    //  B -> A: its Have alone.
    panda_repl_reader_t reader;
    panda_repl_msg_t msg;
    assert_int_equal (panda_repl_reader_init (&reader, b.out.data, b.out.len, NULL, &err), PANDA_OK);
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_HAVE);
    assert_int_equal (msg.session_id, 5);
    panda_repl_msg_clear (&msg);
    assert_false (panda_repl_reader_more (&reader));

    //  A: Have, then (its entries,) SyncDone from sent().
    s_deliver (&b, &a);
    assert_true (a.planned);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_ESTABLISHED);
    assert_int_equal (panda_repl_reader_init (&reader, a.out.data, a.out.len, NULL, &err), PANDA_OK);
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_HAVE);
    panda_repl_msg_clear (&msg);
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (msg.type, PANDA_REPL_SYNC_DONE);
    assert_int_equal (msg.session_id, 5);
    assert_false (msg.live_mode);
    assert_false (panda_repl_reader_more (&reader));

    //  B: A's Have makes its list; nothing is written until sent().
    assert_int_equal (panda_repl_reader_init (&reader, a.out.data, a.out.len, NULL, &err), PANDA_OK);
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_handle (b.s, &msg, &b.out, &err), PANDA_OK);
    panda_repl_msg_clear (&msg);
    assert_int_equal (b.out.len, 0);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_ESTABLISHED);
    assert_true (panda_repl_session_sends_ready (b.s));
    s_after (&b);
    s_check_sends (&b, logs, n, true, "B");
    assert_true (b.n_sends >= 1);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_ESTABLISHED);
    char *done = s_take_hex (&b.out);
    assert_string_equal (done, "830305f4");
    free (done);
    assert_int_equal (panda_repl_reader_next (&reader, &msg, &err), PANDA_OK); //  A's SyncDone
    assert_int_equal (panda_repl_session_handle (b.s, &msg, &b.out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
    assert_int_equal (panda_repl_session_handle (a.s, &msg, &a.out, &err), PANDA_OK); //  B's, the same bytes
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
    panda_repl_msg_clear (&msg);
    s_check_sends (&a, logs, n, false, "A");
    s_side_free (&a);
    s_side_free (&b);
    free (logs);
}

//  Mode 2: the SyncRequest and the first Ranges share A's first frame; B
//  writes nothing at start; an unchanged pair costs one round trip.
static void
test_session_order_mode2 (void **state)
{
    uint64_t x = 99;
    size_t n;
    t_log_t *logs = s_make_logs (&x, 20, &n);
    s_scenario (&x, logs, n, 1);
    s_side_t a, b;
    s_side_init (&a, true);
    s_side_init (&b, true);
    s_open (&a, &b, 1, PANDA_REPL_MODE_LOG_HEIGHT_RANGES, t_logs_set (logs, n, false, &x),
            t_logs_set (logs, n, true, &x));
    assert_int_equal (b.received, 1); //  the Ranges after the SyncRequest
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_ESTABLISHED);
    //  Equal fingerprints: B's reply [] is final, so B is done reconciling
    //  and sent its SyncDone(true) behind it.
    assert_true (b.planned);
    assert_int_equal (b.n_sends, 0);
    char *hex = panda_test_hex (b.out.data, b.out.len);
    assert_string_equal (hex, "830c0180"
                              "830301f5");
    free (hex);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_PENDING);
    s_deliver (&b, &a);
    assert_true (a.planned);
    assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_LIVE);
    s_expect_hex (&a.out, "830301f5"); //  no reply to a final payload
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_ESTABLISHED);
    panda_repl_msg_t done = {.type = PANDA_REPL_SYNC_DONE, .session_id = 1, .live_mode = true};
    panda_error_t err;
    assert_int_equal (panda_repl_session_handle (b.s, &done, &b.out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_LIVE);
    s_side_free (&a);
    s_side_free (&b);
    free (logs);
}

// --------------------------------------------------------------------------
//  State transitions and live mode.

static void
s_pair (s_side_t *a, s_side_t *b, uint64_t mode, bool live_a, bool live_b)
{
    uint64_t x = 1234 + mode;
    size_t n;
    t_log_t *logs = s_make_logs (&x, 30, &n);
    s_scenario (&x, logs, n, 0);
    s_side_init (a, live_a);
    s_side_init (b, live_b);
    s_open (a, b, 3, mode, t_logs_set (logs, n, false, &x), t_logs_set (logs, n, true, &x));
    s_pump (a, b);
    s_check_sends (a, logs, n, false, "A");
    s_check_sends (b, logs, n, true, "B");
    free (logs);
}

static void
test_session_live (void **state)
{
    panda_error_t err;
    for (uint64_t mode = 0; mode <= 2; mode += 2) {
        s_side_t a, b;
        //  One side only asked: done.
        s_pair (&a, &b, mode, true, false);
        assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
        assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
        assert_true (panda_repl_session_wants_live (a.s));
        assert_false (panda_repl_session_wants_live (b.s));
        s_side_free (&a);
        s_side_free (&b);
        s_pair (&a, &b, mode, false, true);
        assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
        assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
        s_side_free (&a);
        s_side_free (&b);

        //  Both: live; the peer's SyncDone(false) ends it.
        s_pair (&a, &b, mode, true, true);
        assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_LIVE);
        assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_LIVE);
        assert_false (panda_repl_session_sends_ready (a.s));
        assert_int_equal (panda_repl_session_sent (a.s, &a.out, &err), PANDA_OK); //  no second SyncDone
        assert_int_equal (a.out.len, 0);
        assert_int_equal (panda_repl_session_stop_live (b.s, &b.out, &err), PANDA_OK);
        assert_int_equal (panda_repl_session_state (b.s), PANDA_REPL_DONE);
        s_expect_hex (&b.out, "830303f4");
        panda_repl_msg_t stop = {.type = PANDA_REPL_SYNC_DONE, .session_id = 3, .live_mode = false};
        assert_int_equal (panda_repl_session_handle (a.s, &stop, &a.out, &err), PANDA_OK);
        assert_int_equal (panda_repl_session_state (a.s), PANDA_REPL_DONE);
        assert_int_equal (a.out.len, 0);
        //  Anything after that is an error.
        assert_int_equal (panda_repl_session_handle (a.s, &stop, &a.out, &err), PANDA_ERR_INVALID);
        assert_non_null (strstr (err.message, "finished session"));
        s_side_free (&a);
        s_side_free (&b);

        //  Live, then the peer says SyncDone(true) again: an error.
        s_pair (&a, &b, mode, true, true);
        panda_repl_msg_t again = {.type = PANDA_REPL_SYNC_DONE, .session_id = 3, .live_mode = true};
        assert_int_equal (panda_repl_session_handle (a.s, &again, &a.out, &err), PANDA_ERR_INVALID);
        assert_string_equal (err.message, "SyncDone received twice");
        s_side_free (&a);
        s_side_free (&b);
    }
}

//  Pending until the first message, whatever it is; SyncDone before Have
//  is fine in mode 0; SyncDone(true) then (false) before our catch-up
//  ends the session.
static void
test_session_transitions (void **state)
{
    panda_error_t err;
    panda_schema_set_t target;
    s_target (&target);
    panda_cbor_writer_t out;
    panda_cbor_writer_init (&out);

    panda_repl_session_t *s =
        panda_repl_session_new (9, false, PANDA_REPL_MODE_LOG_HEIGHT, &target, s_vector_logs (), true, &err);
    assert_int_equal (panda_repl_session_id (s), 9);
    assert_int_equal (panda_repl_session_state (s), PANDA_REPL_PENDING);
    assert_true (panda_repl_session_accepts (s, "schema_definition_v1"));
    assert_int_equal (panda_repl_session_state (s), PANDA_REPL_ESTABLISHED);
    panda_repl_session_destroy (&s);
    assert_null (s);
    panda_repl_session_destroy (&s); //  NULL is fine

    s = panda_repl_session_new (9, false, PANDA_REPL_MODE_LOG_HEIGHT, &target, s_vector_logs (), true, &err);
    panda_repl_msg_t live = {.type = PANDA_REPL_SYNC_DONE, .session_id = 9, .live_mode = true};
    assert_int_equal (panda_repl_session_handle (s, &live, &out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (s), PANDA_REPL_ESTABLISHED);
    assert_true (panda_repl_session_remote_done (s));
    assert_false (panda_repl_session_local_done (s));
    assert_int_equal (out.len, 0);
    //  Have after the peer's SyncDone: our Have (never sent: no start)
    //  goes first, and the list is made.
    panda_repl_msg_t have = {.type = PANDA_REPL_HAVE, .session_id = 9};
    assert_int_equal (panda_repl_session_handle (s, &have, &out, &err), PANDA_OK);
    s_expect_hex (&out, "830a09" S_HAVE_BODY);
    assert_true (panda_repl_session_sends_ready (s));
    assert_int_equal (panda_repl_session_sent (s, &out, &err), PANDA_OK);
    s_expect_hex (&out, "830309f5");
    assert_int_equal (panda_repl_session_state (s), PANDA_REPL_LIVE);
    panda_repl_session_destroy (&s);

    s = panda_repl_session_new (9, true, PANDA_REPL_MODE_LOG_HEIGHT_RANGES, &target, s_vector_logs (), true,
                                &err);
    assert_int_equal (panda_repl_session_handle (s, &live, &out, &err), PANDA_OK);
    live.live_mode = false;
    assert_int_equal (panda_repl_session_handle (s, &live, &out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (s), PANDA_REPL_DONE);
    assert_int_equal (out.len, 0);
    panda_repl_session_destroy (&s);

    //  stop_live from a session that is not live yet also ends it.
    s = panda_repl_session_new (9, true, PANDA_REPL_MODE_LOG_HEIGHT, &target, panda_recon_set_new (), true,
                                &err);
    assert_int_equal (panda_repl_session_stop_live (s, &out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_state (s), PANDA_REPL_DONE);
    s_expect_hex (&out, "830309f4");
    panda_repl_session_destroy (&s);

    panda_cbor_writer_free (&out);
    panda_schema_set_clear (&target);
}

// --------------------------------------------------------------------------
//  Errors.

//  A fresh session with the vector logs.
static panda_repl_session_t *
s_session (bool initiator, uint64_t mode)
{
    panda_schema_set_t target;
    s_target (&target);
    panda_error_t err;
    panda_repl_session_t *s =
        panda_repl_session_new (4, initiator, mode, &target, s_vector_logs (), false, &err);
    panda_schema_set_clear (&target);
    assert_non_null (s);
    return s;
}

static void
s_fails (panda_repl_session_t *s, const panda_repl_msg_t *msg, panda_err_t code, const char *text)
{
    panda_cbor_writer_t out;
    panda_cbor_writer_init (&out);
    panda_error_t err;
    panda_err_t rc = panda_repl_session_handle (s, msg, &out, &err);
    if (rc != code || !strstr (err.message, text))
        fail_msg ("%s: got %d `%s`, expected %d `%s`", panda_repl_type_name (msg->type), rc,
                  rc ? err.message : "", code, text);
    panda_cbor_writer_free (&out);
}

static void
test_session_errors (void **state)
{
    panda_error_t err;
    panda_cbor_writer_t out;
    panda_cbor_writer_init (&out);
    panda_schema_set_t target;
    s_target (&target);

    //  Unsupported modes: refused at new, the logs are released.
    const uint64_t modes[] = {PANDA_REPL_MODE_SET_RECONCILIATION, 3, 255, UINT64_MAX};
    for (size_t i = 0; i < 4; i++) {
        err.code = PANDA_OK;
        assert_null (panda_repl_session_new (1, i % 2, modes[i], &target, s_vector_logs (), false, &err));
        assert_int_equal (err.code, PANDA_ERR_INVALID);
        assert_non_null (strstr (err.message, "UnsupportedMode"));
    }
    //  An unsealable log set (a log twice) also fails new.
    panda_recon_set_t *twice = s_vector_logs ();
    size_t len;
    uint8_t *pk = panda_test_unhex (S_PK, &len);
    assert_int_equal (panda_recon_set_add (twice, pk, 1, 5, NULL), PANDA_OK);
    free (pk);
    assert_null (panda_repl_session_new (1, true, PANDA_REPL_MODE_LOG_HEIGHT, &target, twice, false, &err));
    assert_int_equal (err.code, PANDA_ERR_INVALID);

    //  Have twice.
    panda_repl_session_t *s = s_session (true, PANDA_REPL_MODE_LOG_HEIGHT);
    assert_int_equal (panda_repl_session_start (s, &out, &err), PANDA_OK);
    panda_repl_msg_t have = {.type = PANDA_REPL_HAVE, .session_id = 4};
    assert_int_equal (panda_repl_session_handle (s, &have, &out, &err), PANDA_OK);
    s_fails (s, &have, PANDA_ERR_INVALID, "Received Have from remote message twice");
    panda_repl_session_destroy (&s);

    //  Ranges in mode 0, Have in mode 2, for either role.
    static const uint8_t empty_ranges[] = {0x80};
    panda_repl_msg_t ranges = {
        .type = PANDA_REPL_RANGES, .session_id = 4, .ranges = empty_ranges, .ranges_len = 1};
    for (int initiator = 0; initiator < 2; initiator++) {
        s = s_session (initiator, PANDA_REPL_MODE_LOG_HEIGHT);
        s_fails (s, &ranges, PANDA_ERR_INVALID, "Ranges in a log-height session");
        panda_repl_session_destroy (&s);
        s = s_session (initiator, PANDA_REPL_MODE_LOG_HEIGHT_RANGES);
        s_fails (s, &have, PANDA_ERR_INVALID, "Have in a set reconciliation session");
        panda_repl_session_destroy (&s);
    }

    //  Malformed Ranges payloads (the codec only checks they are one item).
#define S_Z16 "00000000000000000000000000000000"
    const struct {
        const char *hex, *text;
    } bad_ranges[] = {
        {"a0", "unexpected map"},
        {"01", "unexpected integer"},
        {"8180", "range 0 has 0 fields"},
        {"81820900", "bound is not null or 1 to 40 bytes"},
        {"8182f609", "bad mode 9"},
        {"8183f60141aa", "fingerprint of 1 bytes"},
        {"828241000083f60150" S_Z16, "bound ends in a zero byte"},
        {"8283f60150" S_Z16 "83f60150" S_Z16, "range 1 bound not above range 0"},
        {"8183f60380", "empty answer"},
        {"8183f60281835820" S_Z16 S_Z16 "0000", "item 0 has seq 0"},
        {"8183f60281835821" S_Z16 S_Z16 "00"
         "0001",
         "public key of 33 bytes"},
        {"81", "recon payload"}, //  truncated
    };
    for (size_t i = 0; i < sizeof bad_ranges / sizeof *bad_ranges; i++) {
        s = s_session (false, PANDA_REPL_MODE_LOG_HEIGHT_RANGES);
        uint8_t *payload = panda_test_unhex (bad_ranges[i].hex, &len);
        panda_repl_msg_t bad = {
            .type = PANDA_REPL_RANGES, .session_id = 4, .ranges = payload, .ranges_len = len};
        panda_cbor_writer_free (&out);
        panda_cbor_writer_init (&out);
        panda_err_t rc = panda_repl_session_handle (s, &bad, &out, &err);
        if (rc == PANDA_OK || !strstr (err.message, bad_ranges[i].text))
            fail_msg ("Ranges %s: got %d `%s`, expected `%s`", bad_ranges[i].hex, rc, rc ? err.message : "",
                      bad_ranges[i].text);
        assert_int_equal (out.len, 0); //  nothing is said on failure
        free (payload);
        //  The exchange is over: even a good payload is refused now.
        assert_int_not_equal (panda_repl_session_handle (s, &ranges, &out, &err), PANDA_OK);
        panda_repl_session_destroy (&s);
    }

    //  Ranges after the reconciliation ended: the initiator got the final [].
    s = s_session (true, PANDA_REPL_MODE_LOG_HEIGHT_RANGES);
    assert_int_equal (panda_repl_session_start (s, &out, &err), PANDA_OK);
    assert_int_equal (panda_repl_session_handle (s, &ranges, &out, &err), PANDA_OK);
    assert_true (panda_repl_session_sends_ready (s));
    s_fails (s, &ranges, PANDA_ERR_INVALID, "Ranges after reconciliation was over");
    panda_repl_session_destroy (&s);

    //  A Have with the same log twice.
    panda_repl_log_height_t dup_logs[] = {{1, 2}, {1, 3}};
    panda_repl_author_t dup_author = {.logs = dup_logs, .n_logs = 2};
    panda_repl_msg_t dup = {.type = PANDA_REPL_HAVE, .session_id = 4, .authors = &dup_author, .n_authors = 1};
    s = s_session (false, PANDA_REPL_MODE_LOG_HEIGHT);
    s_fails (s, &dup, PANDA_ERR_INVALID, "");
    assert_false (panda_repl_session_sends_ready (s));
    panda_repl_session_destroy (&s);

    //  SyncDone twice; a message after the session is done.
    panda_repl_msg_t done = {.type = PANDA_REPL_SYNC_DONE, .session_id = 4};
    s = s_session (false, PANDA_REPL_MODE_LOG_HEIGHT);
    assert_int_equal (panda_repl_session_handle (s, &done, &out, &err), PANDA_OK);
    s_fails (s, &done, PANDA_ERR_INVALID, "SyncDone received twice");
    panda_repl_session_destroy (&s);
    for (uint64_t mode = 0; mode <= 2; mode += 2) {
        s = s_session (false, mode);
        assert_int_equal (panda_repl_session_handle (s, &done, &out, &err), PANDA_OK);
        assert_int_equal (panda_repl_session_sent (s, &out, &err), PANDA_OK);
        assert_int_equal (panda_repl_session_state (s), PANDA_REPL_DONE);
        s_fails (s, &done, PANDA_ERR_INVALID, "SyncDone for a finished session");
        s_fails (s, &have, PANDA_ERR_INVALID, "Have for a finished session");
        s_fails (s, &ranges, PANDA_ERR_INVALID, "Ranges for a finished session");
        panda_repl_session_destroy (&s);
    }

    //  Messages that do not belong to a session.
    s = s_session (false, PANDA_REPL_MODE_LOG_HEIGHT);
    const panda_repl_type_t others[] = {PANDA_REPL_ANNOUNCE, PANDA_REPL_SYNC_REQUEST, PANDA_REPL_ENTRY,
                                        PANDA_REPL_CREDIT, PANDA_REPL_HELLO};
    for (size_t i = 0; i < 5; i++) {
        panda_repl_msg_t other = {.type = others[i], .session_id = 4};
        char text[64];
        snprintf (text, sizeof text, "unexpected %s", panda_repl_type_name (others[i]));
        s_fails (s, &other, PANDA_ERR_INVALID, text);
    }
    panda_repl_session_destroy (&s);

    //  accepts: only the target set's schemas.
    s = s_session (false, PANDA_REPL_MODE_LOG_HEIGHT);
    for (size_t i = 0; i < 3; i++)
        assert_true (panda_repl_session_accepts (s, s_three[i]));
    assert_false (panda_repl_session_accepts (s, "blob_v1"));
    assert_false (panda_repl_session_accepts (s, "blob_piece_v1"));
    assert_false (panda_repl_session_accepts (
        s, "chat_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696b")); //  other view
    assert_false (panda_repl_session_accepts (
        s, "talk_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696a")); //  other name
    assert_false (panda_repl_session_accepts (s, "not a schema id"));
    assert_false (panda_repl_session_accepts (s, ""));
    panda_repl_session_destroy (&s);

    panda_schema_set_clear (&target);
    panda_cbor_writer_free (&out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_session_vectors_mode0), cmocka_unit_test (test_session_empty_responder),
        cmocka_unit_test (test_session_both_empty),    cmocka_unit_test (test_session_order_mode0),
        cmocka_unit_test (test_session_order_mode2),   cmocka_unit_test (test_session_live),
        cmocka_unit_test (test_session_transitions),   cmocka_unit_test (test_session_errors),
        cmocka_unit_test (test_session_model),         cmocka_unit_test (test_session_model_large),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
