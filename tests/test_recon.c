/*  test_recon.c - range-based reconciliation of log heights, against a
    brute-force model, at 100,000 logs, and on malformed payloads.        */
#include "test_repl_logs.h"
#include "panda_recon.h"
#include "panda_cbor.h"

#include <stdio.h>

//  n distinct logs: authors drawn from a small pool (several logs each),
//  some authors sharing long key prefixes, log ids small or huge.
static t_log_t *
s_make_logs (uint64_t *x, size_t n, size_t *kept_p)
{
    t_log_t *logs = calloc (n ? n : 1, sizeof *logs);
    size_t authors = n / 3 + 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t author = t_next (x) % authors, seed = author * 0x9e3779b97f4a7c15u + 1;
        panda_test_random_bytes (&seed, logs[i].pk, 32);
        if (author % 7 == 0)
            memset (logs[i].pk, 0xab, 20); //  long shared prefix
        uint64_t r = t_next (x);
        logs[i].log_id = r % 4 == 0 ? t_next (x) : r % 4 == 1 ? i : r % 16;
    }
    *kept_p = t_logs_unique (logs, n);
    return logs;
}

//  One side's logs as a sealed set.
static panda_recon_set_t *
s_set (const t_log_t *logs, size_t n, bool side_b, uint64_t *x)
{
    panda_recon_set_t *set = t_logs_set (logs, n, side_b, x);
    assert_int_equal (panda_recon_set_seal (set, NULL), PANDA_OK);
    return set;
}

typedef struct {
    size_t messages; //  payloads sent, both directions
    size_t bytes_ab, bytes_ba; //  A -> B, B -> A
    size_t max_payload;
} s_stats_t;

//  Run an exchange between two in-memory peers, A initiating.
static void
s_exchange (panda_recon_t *a, panda_recon_t *b, s_stats_t *stats, size_t max_messages)
{
    memset (stats, 0, sizeof *stats);
    uint8_t *msg;
    size_t len;
    assert_int_equal (panda_recon_initiate (a, &msg, &len, NULL), PANDA_OK);
    panda_recon_t *to = b;
    while (msg) {
        stats->messages++;
        *(to == b ? &stats->bytes_ab : &stats->bytes_ba) += len;
        if (len > stats->max_payload)
            stats->max_payload = len;
        assert_true (stats->messages <= max_messages);
        uint8_t *reply;
        size_t reply_len;
        panda_error_t err;
        panda_err_t rc = panda_recon_respond (to, msg, len, &reply, &reply_len, &err);
        if (rc)
            fail_msg ("respond: %s", err.message);
        free (msg);
        msg = reply, len = reply_len;
        to = to == a ? b : a;
    }
    assert_true (panda_recon_done (a));
    assert_true (panda_recon_done (b));
}

//  Both sides' differences equal the model's, with both heights.
static void
s_check (panda_recon_t *self, const t_log_t *logs, size_t n, bool side_b)
{
    size_t count, k = 0;
    const panda_recon_diff_t *diffs = panda_recon_differences (self, &count);
    for (size_t i = 0; i < n; i++) {
        uint64_t local = side_b ? logs[i].seq_b : logs[i].seq_a,
                 remote = side_b ? logs[i].seq_a : logs[i].seq_b;
        if (local == remote)
            continue;
        assert_true (k < count);
        assert_memory_equal (diffs[k].public_key, logs[i].pk, 32);
        assert_int_equal (diffs[k].log_id, logs[i].log_id);
        assert_int_equal (diffs[k].local_seq, local);
        assert_int_equal (diffs[k].remote_seq, remote);
        k++;
    }
    assert_int_equal (k, count);
}

//  Random pair: each log on both sides (maybe at different heights) or on
//  one side only, with per-case probabilities.
static void
s_random_heights (uint64_t *x, t_log_t *logs, size_t n, unsigned p_only, unsigned p_diff,
                  unsigned p_empty_side)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = 1 + t_next (x) % (t_next (x) % 8 == 0 ? 1000000 : 30);
        logs[i].seq_a = logs[i].seq_b = seq;
        if (t_next (x) % 100 < p_only)
            *(t_next (x) % 2 ? &logs[i].seq_a : &logs[i].seq_b) = 0;
        else if (t_next (x) % 100 < p_diff)
            logs[i].seq_b = 1 + t_next (x) % 40;
        if (p_empty_side == 1)
            logs[i].seq_a = 0;
        else if (p_empty_side == 2)
            logs[i].seq_b = 0;
    }
}

static void
s_run_case (uint64_t *x, size_t n, unsigned p_only, unsigned p_diff, unsigned empty_side,
            const panda_recon_limits_t *limits, size_t max_messages, size_t *messages)
{
    t_log_t *logs = s_make_logs (x, n, &n);
    s_random_heights (x, logs, n, p_only, p_diff, empty_side);
    panda_recon_set_t *sa = s_set (logs, n, false, x), *sb = s_set (logs, n, true, x);
    panda_recon_t *a = panda_recon_new (sa, limits, NULL), *b = panda_recon_new (sb, limits, NULL);
    assert_non_null (a);
    assert_non_null (b);
    s_stats_t stats;
    s_exchange (a, b, &stats, max_messages);
    s_check (a, logs, n, false);
    s_check (b, logs, n, true);
    *messages = stats.messages;
    panda_recon_destroy (&a);
    panda_recon_destroy (&b);
    panda_recon_set_destroy (&sa);
    panda_recon_set_destroy (&sb);
    free (logs);
}

//  Many random pairs against the brute-force model.
static void
test_recon_matches_model (void **state)
{
    uint64_t x = 0x5eed5eed12345u;
    const unsigned p_only[] = {0, 1, 10, 50, 100}, p_diff[] = {0, 1, 10, 50, 100};
    size_t worst = 0;
    for (int c = 0; c < 400; c++) {
        size_t scale = (size_t[]){2, 40, 300, 2001}[c % 4];
        size_t n = t_next (&x) % scale, messages;
        unsigned empty = c % 10 == 3 ? 1 : c % 10 == 7 ? 2 : 0;
        s_run_case (&x, n, p_only[t_next (&x) % 5], p_diff[t_next (&x) % 5], empty, NULL, 16, &messages);
        if (messages > worst)
            worst = messages;
    }
    printf ("recon model: 400 random pairs up to 2000 logs, at most %zu payloads\n", worst);
    assert_true (worst <= 10);
}

//  With the smallest limits, replies stop at the budget and the rest is
//  resolved in later rounds: still exact, still finite.
static void
test_recon_small_limits (void **state)
{
    panda_recon_limits_t limits = {4096, 64, 64, 10000};
    uint64_t x = 77;
    size_t worst = 0;
    for (int c = 0; c < 40; c++) {
        size_t n = 200 + t_next (&x) % 1800, messages;
        s_run_case (&x, n, (unsigned[]){100, 50, 10, 0}[c % 4], 30, c % 5 == 0 ? 1 : 0, &limits, 4000,
                    &messages);
        if (messages > worst)
            worst = messages;
    }
    printf ("recon small limits: 40 pairs up to 2000 logs, at most %zu payloads\n", worst);
}

//  n = 100,000 logs, d of them changed on B (raised, new, or missing).
static void
s_big (size_t d, s_stats_t *stats)
{
    const size_t n = 100000;
    uint64_t x = 1234 + d;
    t_log_t *logs = calloc (n + d, sizeof *logs);
    for (size_t i = 0; i < n + d; i++) {
        panda_test_random_bytes (&x, logs[i].pk, 32);
        logs[i].log_id = t_next (&x) % 4;
        logs[i].seq_a = logs[i].seq_b = 1 + t_next (&x) % 500;
    }
    for (size_t k = 0; k < d; k++) {
        t_log_t *log = &logs[t_next (&x) % n];
        if (k % 3 == 0)
            log->seq_b += 1 + k;
        else if (k % 3 == 1)
            log->seq_a = 0;
        else
            logs[n + k].seq_a = 0; //  new on B
    }
    size_t total = n + d;
    for (size_t k = 0; k < d; k++)
        if (k % 3 != 2)
            logs[n + k].seq_a = logs[n + k].seq_b = 0;
    qsort (logs, total, sizeof *logs, t_log_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < total; i++)
        if (logs[i].seq_a || logs[i].seq_b)
            logs[kept++] = logs[i];
    panda_recon_set_t *sa = s_set (logs, kept, false, &x), *sb = s_set (logs, kept, true, &x);
    panda_recon_t *a = panda_recon_new (sa, NULL, NULL), *b = panda_recon_new (sb, NULL, NULL);
    s_exchange (a, b, stats, 64);
    s_check (a, logs, kept, false);
    s_check (b, logs, kept, true);
    panda_recon_destroy (&a);
    panda_recon_destroy (&b);
    panda_recon_set_destroy (&sa);
    panda_recon_set_destroy (&sb);
    free (logs);
}

static void
test_recon_100k (void **state)
{
    s_stats_t stats;
    s_big (0, &stats);
    printf ("recon 100k identical: %zu payloads, %zu B A->B, %zu B B->A\n", stats.messages, stats.bytes_ab,
            stats.bytes_ba);
    assert_int_equal (stats.messages, 2); //  one round trip
    assert_true (stats.bytes_ab < 200 && stats.bytes_ba < 200);
    const size_t ds[] = {1, 10, 100};
    for (size_t k = 0; k < 3; k++) {
        s_big (ds[k], &stats);
        size_t bytes = stats.bytes_ab + stats.bytes_ba;
        printf ("recon 100k, d = %zu: %zu payloads (%zu round trips), %zu B A->B, %zu B B->A, %.0f B per d\n",
                ds[k], stats.messages, (stats.messages + 1) / 2, stats.bytes_ab, stats.bytes_ba,
                (double) bytes / (double) ds[k]);
        assert_true ((stats.messages + 1) / 2 <= 4);
        assert_true (bytes <= ds[k] * 2048 + 1024);
    }
}

//  ------------------------------------------------------------ decoding

static void
s_bound (panda_cbor_writer_t *w, const char *hex)
{
    if (!hex)
        panda_cbor_write_head (w, PANDA_CBOR_SIMPLE, PANDA_CBOR_NULL);
    else {
        size_t len;
        uint8_t *bytes = panda_test_unhex (hex, &len);
        panda_cbor_write_bytes (w, bytes, len);
        free (bytes);
    }
}

static void
s_item (panda_cbor_writer_t *w, uint8_t pk0, uint64_t log_id, uint64_t seq)
{
    uint8_t pk[32] = {pk0};
    panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
    panda_cbor_write_bytes (w, pk, 32);
    panda_cbor_write_head (w, PANDA_CBOR_UINT, log_id);
    panda_cbor_write_head (w, PANDA_CBOR_UINT, seq);
}

//  Feed bytes to a fresh responder over a small set; return the code.
static panda_err_t
s_feed (const uint8_t *data, size_t len, const panda_recon_limits_t *limits, panda_error_t *err)
{
    panda_recon_set_t *set = panda_recon_set_new ();
    uint8_t pk[32] = {0x10};
    for (uint64_t i = 0; i < 40; i++)
        assert_int_equal (panda_recon_set_add (set, pk, i, i + 1, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_seal (set, NULL), PANDA_OK);
    panda_recon_t *r = panda_recon_new (set, limits, NULL);
    uint8_t *out;
    size_t out_len;
    panda_err_t rc = panda_recon_respond (r, data, len, &out, &out_len, err);
    if (rc)
        assert_null (out);
    free (out);
    panda_recon_destroy (&r);
    panda_recon_set_destroy (&set);
    return rc;
}

static panda_err_t
s_feed_writer (panda_cbor_writer_t *w, panda_error_t *err)
{
    assert_false (w->failed);
    panda_err_t rc = s_feed (w->data, w->len, NULL, err);
    panda_cbor_writer_free (w);
    return rc;
}

#define S_EXPECT(code, body)                                                                                 \
    do {                                                                                                     \
        panda_cbor_writer_t w;                                                                               \
        panda_cbor_writer_init (&w);                                                                         \
        body;                                                                                                \
        panda_error_t e;                                                                                     \
        assert_int_equal (s_feed_writer (&w, &e), code);                                                     \
        assert_true (e.message[0] != '\0');                                                                  \
    } while (0)

#define S_HEAD(major, arg) panda_cbor_write_head (&w, PANDA_CBOR_##major, arg)

static void
test_recon_decoder_errors (void **state)
{
    uint8_t fp[16] = {0};
    //  Not an array, truncated, trailing bytes.
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (UINT, 1));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 0); S_HEAD (UINT, 0));
    //  Range shapes: field count, mode, skip with data, fingerprint length.
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 1); s_bound (&w, NULL));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 4);
              S_HEAD (UINT, 0));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 0);
              S_HEAD (UINT, 0));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 2); s_bound (&w, NULL); S_HEAD (UINT, 1));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 15));
    //  Bounds: empty, trailing zero, 41 bytes, not a bound.
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); panda_cbor_write_bytes (&w, fp, 0);
              S_HEAD (UINT, 1); panda_cbor_write_bytes (&w, fp, 16));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, "1000"); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16));
    uint8_t long_bound[41];
    memset (long_bound, 1, sizeof long_bound);
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3);
              panda_cbor_write_bytes (&w, long_bound, 41); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); S_HEAD (UINT, 5); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16));
    //  Bounds out of order, equal, after infinity.
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 2); S_HEAD (ARRAY, 3); s_bound (&w, "20"); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16); S_HEAD (ARRAY, 3); s_bound (&w, "10"); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 2); S_HEAD (ARRAY, 3); s_bound (&w, "20"); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16); S_HEAD (ARRAY, 3); s_bound (&w, "20"); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 2); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16));
    //  Skips: consecutive, last.
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 3); S_HEAD (ARRAY, 2); s_bound (&w, "10"); S_HEAD (UINT, 0);
              S_HEAD (ARRAY, 2); s_bound (&w, "20"); S_HEAD (UINT, 0); S_HEAD (ARRAY, 3); s_bound (&w, NULL);
              S_HEAD (UINT, 1); panda_cbor_write_bytes (&w, fp, 16));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 2); s_bound (&w, "10"); S_HEAD (UINT, 0));
    //  Items: unsorted, duplicate, above the bound, below the lower bound,
    //  seq 0 in an items list, empty answer, bad item shape.
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 2); s_item (&w, 5, 2, 1); s_item (&w, 5, 1, 1));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 2); s_item (&w, 5, 1, 1); s_item (&w, 5, 1, 2));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 2); S_HEAD (ARRAY, 3); s_bound (&w, "05"); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 1); s_item (&w, 5, 0, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL);
              S_HEAD (UINT, 1); panda_cbor_write_bytes (&w, fp, 16));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 2); S_HEAD (ARRAY, 3); s_bound (&w, "05"); S_HEAD (UINT, 1);
              panda_cbor_write_bytes (&w, fp, 16); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 1); s_item (&w, 4, 9, 1));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 1); s_item (&w, 5, 1, 0));
    S_EXPECT (PANDA_ERR_INVALID, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 3);
              S_HEAD (ARRAY, 0));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 2); panda_cbor_write_bytes (&w, fp, 16); S_HEAD (UINT, 1));
    S_EXPECT (PANDA_ERR_DECODE, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); panda_cbor_write_bytes (&w, fp, 16); S_HEAD (UINT, 1);
              S_HEAD (UINT, 1));
    //  Limits: ranges, items (counted before reading them), bytes.
    S_EXPECT (PANDA_ERR_LIMIT, S_HEAD (ARRAY, 4097));
    S_EXPECT (PANDA_ERR_LIMIT, S_HEAD (ARRAY, 1); S_HEAD (ARRAY, 3); s_bound (&w, NULL); S_HEAD (UINT, 2);
              S_HEAD (ARRAY, 4097));
    uint8_t *big = calloc (256 * 1024 + 1, 1);
    panda_error_t err;
    assert_int_equal (s_feed (big, 256 * 1024 + 1, NULL, &err), PANDA_ERR_LIMIT);
    free (big);
    //  A well-formed one is accepted: an answer (final, no reply).
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    S_HEAD (ARRAY, 1);
    S_HEAD (ARRAY, 3);
    s_bound (&w, NULL);
    S_HEAD (UINT, 3);
    S_HEAD (ARRAY, 1);
    s_item (&w, 5, 1, 0);
    assert_int_equal (s_feed_writer (&w, &err), PANDA_OK);
}

//  Set rules, and the exchange refusing out-of-turn calls.
static void
test_recon_rules (void **state)
{
    panda_error_t err;
    panda_recon_set_t *set = panda_recon_set_new ();
    uint8_t pk[32] = {1};
    assert_int_equal (panda_recon_set_add (set, pk, 0, 0, &err), PANDA_ERR_INVALID);
    assert_null (panda_recon_new (set, NULL, &err)); //  not sealed
    assert_int_equal (panda_recon_set_add (set, pk, 7, 3, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_add (set, pk, 7, 4, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_seal (set, &err), PANDA_ERR_INVALID);
    panda_recon_set_destroy (&set);

    set = panda_recon_set_new ();
    assert_int_equal (panda_recon_set_add (set, pk, 7, 3, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_seal (set, NULL), PANDA_OK);
    assert_int_equal (panda_recon_set_add (set, pk, 8, 3, &err), PANDA_ERR_INVALID);
    assert_int_equal (panda_recon_set_count (set), 1);
    assert_int_equal (panda_recon_set_height (set, pk, 7), 3);
    assert_int_equal (panda_recon_set_height (set, pk, 8), 0);
    panda_recon_limits_t tiny = {100, 100, 100, 100};
    assert_null (panda_recon_new (set, &tiny, &err));

    //  Payload too large for the limits of a peer with max_rounds 1.
    panda_recon_limits_t one = panda_recon_limits_default ();
    one.max_rounds = 1;
    panda_recon_t *a = panda_recon_new (set, NULL, NULL), *b = panda_recon_new (set, &one, NULL);
    uint8_t *msg, *reply;
    size_t len, reply_len;
    assert_int_equal (panda_recon_initiate (a, &msg, &len, NULL), PANDA_OK);
    assert_int_equal (panda_recon_initiate (a, &reply, &reply_len, &err), PANDA_ERR_INVALID);
    assert_int_equal (panda_recon_respond (b, msg, len, &reply, &reply_len, NULL), PANDA_OK);
    assert_true (panda_recon_done (b)); //  identical: b replies [] and is done
    assert_int_equal (reply_len, 1);
    free (reply);
    assert_int_equal (panda_recon_respond (b, msg, len, &reply, &reply_len, &err), PANDA_ERR_INVALID);
    free (msg);
    assert_int_equal (panda_recon_respond (a, (const uint8_t *) "\x80", 1, &msg, &len, NULL), PANDA_OK);
    assert_null (msg);
    assert_true (panda_recon_done (a));
    panda_recon_destroy (&a);
    panda_recon_destroy (&b);

    //  Rounds limit.
    b = panda_recon_new (set, &one, NULL);
    const uint8_t other[] = {0x81, 0x83, 0xf6, 0x01, 0x50, 1,  2,  3,  4,  5, 6,
                             7,    8,    9,    10,   11,   12, 13, 14, 15, 16};
    assert_int_equal (panda_recon_respond (b, other, sizeof other, &reply, &reply_len, NULL), PANDA_OK);
    assert_false (panda_recon_done (b));
    free (reply);
    assert_int_equal (panda_recon_respond (b, other, sizeof other, &reply, &reply_len, &err),
                      PANDA_ERR_LIMIT);
    panda_recon_destroy (&b);
    panda_recon_set_destroy (&set);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_recon_rules),         cmocka_unit_test (test_recon_decoder_errors),
        cmocka_unit_test (test_recon_matches_model), cmocka_unit_test (test_recon_small_limits),
        cmocka_unit_test (test_recon_100k),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
