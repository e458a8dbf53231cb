/*  bench_entry.c - entry ingest cost against bare libsodium verification.

    Case 1 is the baseline: crypto_sign_verify_detached over the signed bytes
    of the 40 entries of tests/vectors/entries.json. Case 2 is what a node
    does per published entry: decode (which computes the entry hash), payload
    hash check against the operation, signature verification. Runs alternate
    between the cases on one core; the median of the runs is reported with
    the ratio to the baseline (goal: >= 0.95) and a checksum of the results. Times are thread CPU time, not
   wall time.

    usage: bench_entry [--size PASSES] [--runs N] [ENTRIES_JSON]             */
#include "bench_util.h"
#include "panda/panda_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#define S_ENTRIES_MAX 64
#define S_RUNS_MAX 64

typedef struct {
    uint8_t entry[PANDA_ENTRY_MAX_SIZE];
    size_t entry_len;
    uint8_t *operation;
    size_t operation_len;
} s_vector_t;

static size_t
s_load (const char *path, s_vector_t *vectors)
{
    json_error_t error;
    json_t *root = json_load_file (path, 0, &error);
    if (!root) {
        fprintf (stderr, "bench_entry: cannot load %s: %s\n", path, error.text);
        exit (1);
    }
    size_t i, count = 0;
    json_t *v;
    json_array_foreach (json_object_get (root, "entries"), i, v)
    {
        if (count == S_ENTRIES_MAX)
            break;
        const char *entry_hex = json_string_value (json_object_get (v, "entry_hex"));
        const char *op_hex = json_string_value (json_object_get (v, "operation_hex"));
        s_vector_t *vec = &vectors[count++];
        vec->operation = (uint8_t *) malloc (strlen (op_hex) / 2 + 1);
        if (!vec->operation ||
            sodium_hex2bin (vec->entry, sizeof vec->entry, entry_hex, strlen (entry_hex), NULL,
                            &vec->entry_len, NULL) ||
            sodium_hex2bin (vec->operation, strlen (op_hex) / 2 + 1, op_hex, strlen (op_hex), NULL,
                            &vec->operation_len, NULL)) {
            fprintf (stderr, "bench_entry: bad vector %zu\n", i);
            exit (1);
        }
    }
    json_decref (root);
    return count;
}

//  Case 1: bare verify. Returns ops/s; adds successes to *checksum.
static double
s_run_baseline (const s_vector_t *vectors, size_t count, int passes, uint64_t *checksum)
{
    uint64_t start = bench_thread_cpu_ns ();
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < count; i++) {
            const s_vector_t *v = &vectors[i];
            size_t signed_len = v->entry_len - PANDA_SIGNATURE_SIZE;
            *checksum +=
                crypto_sign_verify_detached (v->entry + signed_len, v->entry, signed_len, v->entry + 1) == 0;
        }
    return (double) passes * (double) count * 1e9 / (double) (bench_thread_cpu_ns () - start);
}

//  Case 2: decode + entry hash + payload hash + verify.
static double
s_run_ingest (const s_vector_t *vectors, size_t count, int passes, uint64_t *checksum)
{
    uint64_t start = bench_thread_cpu_ns ();
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < count; i++) {
            const s_vector_t *v = &vectors[i];
            panda_entry_t *entry = NULL;
            if (panda_entry_decode (&entry, v->entry, v->entry_len, NULL) == PANDA_OK &&
                panda_entry_check_payload (entry, v->operation, v->operation_len, NULL) == PANDA_OK &&
                panda_entry_verify (entry, NULL) == PANDA_OK)
                *checksum += 1 + panda_entry_hash (entry)->bytes[2];
            panda_entry_destroy (&entry);
        }
    return (double) passes * (double) count * 1e9 / (double) (bench_thread_cpu_ns () - start);
}

int
main (int argc, char *argv[])
{
    int passes = 20, runs = 15;
    char path[4096];
    snprintf (path, sizeof path, "%s", __FILE__);
    char *slash = strrchr (path, '/');
    snprintf (slash ? slash + 1 : path, sizeof path - (size_t) (slash ? slash + 1 - path : 0),
              "../tests/vectors/entries.json");
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--size") == 0 && i + 1 < argc)
            passes = atoi (argv[++i]);
        else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi (argv[++i]);
        else
            snprintf (path, sizeof path, "%s", argv[i]);
    }
    if (passes < 1 || runs < 5 || runs > S_RUNS_MAX || sodium_init () < 0) {
        fprintf (stderr, "usage: bench_entry [--size PASSES>=1] [--runs 5..%d] [ENTRIES_JSON]\n", S_RUNS_MAX);
        return 1;
    }
    static s_vector_t vectors[S_ENTRIES_MAX];
    size_t count = s_load (path, vectors);
    double base[S_RUNS_MAX], ours[S_RUNS_MAX];
    uint64_t base_sum = 0, our_sum = 0;
    s_run_ingest (vectors, count, 1, &our_sum); //  warm up
    our_sum = 0;
    for (int r = 0; r < runs; r++) {
        base[r] = s_run_baseline (vectors, count, passes, &base_sum);
        ours[r] = s_run_ingest (vectors, count, passes, &our_sum);
    }
    double base_median = bench_median (base, (size_t) runs), our_median = bench_median (ours, (size_t) runs);
    printf (
        "bench_entry: %zu entries x %d passes, median of %d alternating runs, thread CPU time, one core\n",
        count, passes, runs);
    bench_report ("1", "libsodium crypto_sign_verify_detached", base_median, 0);
    bench_report ("2", "decode + entry hash + payload hash + verify", our_median, base_median);
    printf ("checksum: baseline %llu ok, ingest %llu\n", (unsigned long long) base_sum,
            (unsigned long long) our_sum);
    for (size_t i = 0; i < count; i++)
        free (vectors[i].operation);
    //  Every entry must verify in both cases, or the numbers mean nothing.
    return base_sum == (uint64_t) runs * (uint64_t) passes * count ? 0 : 1;
}
