/*  test_repl_logs.h - the log model shared by the reconciliation and
    session tests: logs with their heights on two sides, a deterministic
    generator step, sorting by key, and one side's logs as a recon set.
    Each test draws its own distribution of keys and heights.             */
#ifndef TEST_REPL_LOGS_H_INCLUDED
#define TEST_REPL_LOGS_H_INCLUDED

#include "panda_test.h"
#include "panda_recon.h"

//  One log of the model: its heights on A and B (0 = absent).
typedef struct {
    uint8_t pk[32];
    uint64_t log_id;
    uint64_t seq_a, seq_b;
} t_log_t;

//  xorshift64: the tests' random stream, replayable from its seed.
static inline uint64_t
t_next (uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

//  Key order: public key, then log id.
static inline int
t_log_cmp (const void *a, const void *b)
{
    const t_log_t *x = a, *y = b;
    int c = memcmp (x->pk, y->pk, 32);
    if (c)
        return c;
    return x->log_id < y->log_id ? -1 : x->log_id > y->log_id;
}

//  Sort n logs by key and drop repeated keys; the number kept.
static inline size_t
t_logs_unique (t_log_t *logs, size_t n)
{
    qsort (logs, n, sizeof *logs, t_log_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || t_log_cmp (&logs[kept - 1], &logs[i]) != 0)
            logs[kept++] = logs[i];
    return kept;
}

//  One side's logs (height > 0) as an unsealed set, added in a shuffled
//  order: sealing must sort.
static inline panda_recon_set_t *
t_logs_set (const t_log_t *logs, size_t n, bool side_b, uint64_t *x)
{
    size_t *order = malloc ((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = t_next (x) % i, t = order[i - 1];
        order[i - 1] = order[j], order[j] = t;
    }
    panda_recon_set_t *set = panda_recon_set_new ();
    assert_non_null (set);
    for (size_t k = 0; k < n; k++) {
        const t_log_t *log = &logs[order[k]];
        uint64_t seq = side_b ? log->seq_b : log->seq_a;
        if (seq)
            assert_int_equal (panda_recon_set_add (set, log->pk, log->log_id, seq, NULL), PANDA_OK);
    }
    free (order);
    return set;
}

#endif
