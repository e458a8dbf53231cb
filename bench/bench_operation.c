/*  bench_operation.c - operation decode and encode throughput.

    Input: the all-field-types CREATE of tests/vectors/operations.json
    (create_all_field_types, 431 bytes, nine fields of every kind). Cases:
      1  baseline: YASMF/BLAKE3 hash of the same bytes (what every publish
         does anyway)
      2  panda_operation_decode
      3  encode: build from the decoded fields, then panda_operation_bytes
    Each case runs RUNS times; the median ops/s is reported with the ratio to
    the baseline, plus a checksum so a fast wrong answer shows.
    Usage: bench_operation [--size N]   (N iterations per run, default 20000) */
#include "bench_util.h"
#include "panda/panda_operation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS 7

static const char *s_all_field_types =
    "8401007850766563746f725f6974656d5f3030323037313039386238366566393364333363303232373562393232663433653038"
    "313564306539663231313930306162396261393837643335323737333461333366a965636f756e74182a65636f76657258220020"
    "7305aad34b46f68bcebf809de07de873a680c9ff403de518c17bcc17bd155edd64646f6e65f467686973746f7279828158220020"
    "d341c4b1e86745c8ada1620a588da26df5c24ce713db9e8abf78489d2cdafac281582200203d39088e7c0bbfa5aa7e39abbdfc77"
    "fc1abbc2210bc8ecdb6a9634441561f8bf677061796c6f616444deadbeef6a70696e6e65645f74616781582200203d39088e7c0b"
    "bfa5aa7e39abbdfc77fc1abbc2210bc8ecdb6a9634441561f8bf65726174696ff93800647461677383582200203d39088e7c0bbf"
    "a5aa7e39abbdfc77fc1abbc2210bc8ecdb6a9634441561f8bf58220020d341c4b1e86745c8ada1620a588da26df5c24ce713db9e"
    "8abf78489d2cdafac2582200203d39088e7c0bbfa5aa7e39abbdfc77fc1abbc2210bc8ecdb6a9634441561f8bf657469746c656f"
    "416c6c206669656c64207479706573";

static uint64_t s_checksum;

static void
s_hash (const uint8_t *bytes, size_t len, const panda_operation_t *op)
{
    panda_hash_t h;
    panda_hash_compute (&h, bytes, len);
    s_checksum += h.bytes[2];
}

static void
s_decode (const uint8_t *bytes, size_t len, const panda_operation_t *unused)
{
    panda_operation_t *op = panda_operation_decode (bytes, len, NULL);
    if (!op)
        abort ();
    s_checksum += panda_operation_field_count (op);
    panda_operation_destroy (&op);
}

static void
s_encode (const uint8_t *bytes, size_t len, const panda_operation_t *src)
{
    panda_operation_t *op =
        panda_operation_new (panda_operation_action (src), panda_operation_schema_id (src), NULL, 0, NULL);
    for (size_t i = 0; i < panda_operation_field_count (src); i++)
        if (panda_operation_set_field (op, panda_operation_field_name (src, i),
                                       panda_operation_field_value (src, i), NULL))
            abort ();
    size_t out_len;
    const uint8_t *out = panda_operation_bytes (op, &out_len);
    if (out_len != len || memcmp (out, bytes, len) != 0)
        abort ();
    s_checksum += out_len;
    panda_operation_destroy (&op);
}

static double
s_measure (void (*fn) (const uint8_t *, size_t, const panda_operation_t *), const uint8_t *bytes, size_t len,
           const panda_operation_t *op, long iterations)
{
    double rates[RUNS];
    for (int run = 0; run < RUNS; run++) {
        uint64_t start = bench_now_ns ();
        for (long i = 0; i < iterations; i++)
            fn (bytes, len, op);
        rates[run] = (double) iterations * 1e9 / (double) (bench_now_ns () - start);
    }
    return bench_median (rates, RUNS);
}

int
main (int argc, char *argv[])
{
    long iterations = 20000;
    if (argc == 3 && strcmp (argv[1], "--size") == 0)
        iterations = atol (argv[2]);
    size_t len = strlen (s_all_field_types) / 2;
    uint8_t *bytes = malloc (len);
    for (size_t i = 0; i < len; i++)
        sscanf (s_all_field_types + 2 * i, "%2hhx", &bytes[i]);
    panda_operation_t *op = panda_operation_decode (bytes, len, NULL);
    if (!op)
        return fprintf (stderr, "vector does not decode\n"), 1;
    printf ("operation: create_all_field_types, %zu bytes, %ld iterations x %d runs\n", len, iterations,
            RUNS);
    double baseline = s_measure (s_hash, bytes, len, op, iterations);
    bench_verify_baseline ();
    bench_report ("1", "baseline: BLAKE3 hash of the operation", baseline, 0);
    bench_report ("2", "panda_operation_decode", s_measure (s_decode, bytes, len, op, iterations), baseline);
    bench_report ("3", "build + encode (canonical CBOR)", s_measure (s_encode, bytes, len, op, iterations),
                  baseline);
    printf ("checksum %llu\n", (unsigned long long) s_checksum);
    panda_operation_destroy (&op);
    free (bytes);
    return 0;
}
