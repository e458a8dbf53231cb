/*  bench_hash.c - BLAKE3 (lib/core/panda_blake3.c, portable C) throughput.

    Hashes inputs of 64 B, 1 KiB, 64 KiB and 1 MiB (fixed pseudo-random
    bytes) on one core, about --size MiB per run, and reports the median
    MB/s of the runs with a checksum of the digests.

    usage: bench_hash [--size MIB] [--runs N]                               */
#include "bench_util.h"
#include "panda/panda_blake3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RUNS_MAX 64

int
main (int argc, char *argv[])
{
    int mib = 64, runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--size") == 0)
            mib = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--runs") == 0)
            runs = atoi (argv[i + 1]);
    }
    if (mib < 1 || runs < 1 || runs > S_RUNS_MAX) {
        fprintf (stderr, "usage: bench_hash [--size MIB] [--runs 1..%d]\n", S_RUNS_MAX);
        return 1;
    }
    const size_t sizes[] = {64, 1024, 64 * 1024, 1024 * 1024};
    const size_t max_size = sizes[3];
    uint8_t *input = (uint8_t *) malloc (max_size);
    if (!input)
        return 1;
    uint64_t x = 0x9e3779b97f4a7c15u; //  fixed seed (xorshift)
    for (size_t i = 0; i < max_size; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        input[i] = (uint8_t) (x >> 24);
    }
    printf ("bench_hash: BLAKE3, ~%d MiB per run, median of %d runs, one core\n", mib, runs);
    bench_verify_baseline ();
    uint8_t checksum[PANDA_BLAKE3_OUT_SIZE] = {0};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t iterations = ((size_t) mib << 20) / sizes[s];
        double mbps[S_RUNS_MAX];
        for (int r = 0; r < runs; r++) {
            uint8_t out[PANDA_BLAKE3_OUT_SIZE];
            uint64_t start = bench_now_ns ();
            for (size_t i = 0; i < iterations; i++) {
                input[0] = (uint8_t) i; //  no two hashes alike
                panda_blake3 (out, input, sizes[s]);
                checksum[i % PANDA_BLAKE3_OUT_SIZE] ^= out[0];
            }
            double seconds = (double) (bench_now_ns () - start) / 1e9;
            mbps[r] = (double) iterations * (double) sizes[s] / 1e6 / seconds;
        }
        char name[64];
        snprintf (name, sizeof name, "BLAKE3 %zu-byte inputs (MB/s)", sizes[s]);
        char id[8];
        snprintf (id, sizeof id, "%zu", s + 1);
        printf ("%-4s %-44s %12.1f MB/s\n", id, name, bench_median (mbps, (size_t) runs));
        snprintf (name, sizeof name, "  same, as hashes per second");
        bench_report (id, name, bench_median (mbps, (size_t) runs) * 1e6 / (double) sizes[s], 0);
    }
    printf ("checksum:");
    for (size_t i = 0; i < 8; i++)
        printf ("%02x", checksum[i]);
    printf ("\n");
    free (input);
    return 0;
}
