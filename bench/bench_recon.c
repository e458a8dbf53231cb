/*  bench_recon.c - reconciliation of log heights between two in-memory
    peers holding --logs logs (default 100,000).

    Case 1 builds a set from unsorted logs (add + seal: sort, hash, prefix
    sums). Case 2 is an idle anti-entropy round (identical sets): payload
    bytes each way, round trips and the CPU time of both sides. Cases 3..
    change d logs on one side (raised, missing, new) and report the same.
    Medians of --runs runs; the differences found are checked every run.

    usage: bench_recon [--logs N] [--runs N]                                */
#include "bench_util.h"
#include "panda_recon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RUNS_MAX 64

typedef struct {
    uint8_t pk[32];
    uint64_t log_id, seq;
} s_log_t;

static uint64_t
s_next (uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return *x;
}

static panda_recon_set_t *
s_build (const s_log_t *logs, size_t n)
{
    panda_recon_set_t *set = panda_recon_set_new ();
    if (!set)
        abort ();
    for (size_t i = 0; i < n; i++)
        if (logs[i].seq && panda_recon_set_add (set, logs[i].pk, logs[i].log_id, logs[i].seq, NULL))
            abort ();
    if (panda_recon_set_seal (set, NULL))
        abort ();
    return set;
}

typedef struct {
    size_t messages, bytes_ab, bytes_ba, diffs;
    double ms; //  CPU time of both sides
} s_result_t;

static void
s_exchange (const panda_recon_set_t *sa, const panda_recon_set_t *sb, s_result_t *res)
{
    memset (res, 0, sizeof *res);
    uint64_t start = bench_thread_cpu_ns ();
    panda_recon_t *a = panda_recon_new (sa, NULL, NULL), *b = panda_recon_new (sb, NULL, NULL);
    uint8_t *msg;
    size_t len;
    if (!a || !b || panda_recon_initiate (a, &msg, &len, NULL))
        abort ();
    panda_recon_t *to = b;
    while (msg) {
        res->messages++;
        *(to == b ? &res->bytes_ab : &res->bytes_ba) += len;
        uint8_t *reply;
        size_t reply_len;
        if (panda_recon_respond (to, msg, len, &reply, &reply_len, NULL))
            abort ();
        free (msg);
        msg = reply, len = reply_len;
        to = to == a ? b : a;
    }
    if (!panda_recon_done (a) || !panda_recon_done (b))
        abort ();
    panda_recon_differences (a, &res->diffs);
    res->ms = (double) (bench_thread_cpu_ns () - start) / 1e6;
    panda_recon_destroy (&a);
    panda_recon_destroy (&b);
}

int
main (int argc, char *argv[])
{
    long logs_n = 100000;
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--logs") == 0)
            logs_n = atol (argv[i + 1]);
        else if (strcmp (argv[i], "--runs") == 0)
            runs = atoi (argv[i + 1]);
    }
    if (logs_n < 1000 || runs < 1 || runs > S_RUNS_MAX) {
        fprintf (stderr, "usage: bench_recon [--logs N>=1000] [--runs 1..%d]\n", S_RUNS_MAX);
        return 1;
    }
    size_t n = (size_t) logs_n;
    const size_t ds[] = {1, 10, 100, 1000};
    size_t extra = ds[3];
    s_log_t *logs = calloc (n + extra, sizeof *logs), *other = calloc (n + extra, sizeof *logs);
    if (!logs || !other)
        return 1;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n + extra; i++) {
        for (int b = 0; b < 32; b += 8) {
            uint64_t r = s_next (&x);
            memcpy (logs[i].pk + b, &r, 8);
        }
        logs[i].log_id = s_next (&x) % 8; //  distinct pks: no duplicate keys
        logs[i].seq = i < n ? 1 + s_next (&x) % 1000 : 0;
    }
    printf ("bench_recon: %zu logs, median of %d runs, one core\n", n, runs);

    double build_ms[S_RUNS_MAX];
    panda_recon_set_t *sa = NULL;
    for (int r = 0; r < runs; r++) {
        panda_recon_set_destroy (&sa);
        uint64_t start = bench_thread_cpu_ns ();
        sa = s_build (logs, n + extra);
        build_ms[r] = (double) (bench_thread_cpu_ns () - start) / 1e6;
    }
    printf ("1    build the set from unsorted logs          %10.1f ms\n",
            bench_median (build_ms, (size_t) runs));

    for (size_t c = 0; c < 1 + sizeof ds / sizeof ds[0]; c++) {
        size_t d = c ? ds[c - 1] : 0;
        memcpy (other, logs, (n + extra) * sizeof *logs);
        for (size_t k = 0; k < d; k++) {
            if (k % 3 == 0)
                other[s_next (&x) % n].seq += 1 + k; //  raised
            else if (k % 3 == 1)
                other[s_next (&x) % n].seq = 0; //  missing
            else
                other[n + k].seq = 1 + k; //  new
        }
        panda_recon_set_t *sb = s_build (other, n + extra);
        double ms[S_RUNS_MAX];
        s_result_t res;
        for (int r = 0; r < runs; r++) {
            s_exchange (sa, sb, &res);
            ms[r] = res.ms;
            if (res.diffs > d || (d && res.diffs == 0))
                abort (); //  "raised" may hit a log twice: at most d differences
        }
        char name[64];
        snprintf (name, sizeof name, d ? "%zu changed" : "idle (identical sets)", d);
        printf ("%-4zu %-26s %3zu round trips, %7zu B A->B, %7zu B B->A, %8.2f ms, %zu differences\n", c + 2,
                name, (res.messages + 1) / 2, res.bytes_ab, res.bytes_ba, bench_median (ms, (size_t) runs),
                res.diffs);
        panda_recon_set_destroy (&sb);
    }
    panda_recon_set_destroy (&sa);
    free (logs);
    free (other);
    return 0;
}
