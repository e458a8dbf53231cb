/*  bench_materialize.c - operations/s of the materialiser.

    A store file is filled once (not timed) with schema_field_definition_v1
    documents of one author: case 1 linear (each UPDATE's previous is the
    last operation: the incremental path), case 2 concurrent (each UPDATE's
    previous is a random earlier operation of its document: a rebuild from
    the store per operation). Each run materialises everything into a fresh
    views file in runs of S_BATCH entries; the median of the runs is
    reported.

    usage: bench_materialize [--runs N] [--ops N] [--dir DIR]              */
#include "bench_util.h"
#include "panda/panda_keypair.h"
#include "panda/panda_log_writer.h"
#include "panda_materialize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_DOCS 100
#define S_RUNS_MAX 15
#define S_BATCH 1000
#define S_BRANCH_OPS 40 //  operations per document in the concurrent case

static void
s_die (const char *what, const panda_error_t *err)
{
    fprintf (stderr, "bench_materialize: %s: %s\n", what, err ? err->message : "failed");
    exit (1);
}

static const panda_schema_t *
s_schemas (void *ctx, const char *schema_id)
{
    return panda_schema_system (schema_id);
}

//  Fill path with docs documents of per_doc operations each, round-robin.
static void
s_fill (const char *path, size_t per_doc, bool concurrent)
{
    panda_error_t err;
    panda_store_t *store = panda_store_open (path, &err);
    if (!store || panda_store_set_durable (store, false, &err) != PANDA_OK)
        s_die ("store", &err);
    panda_keypair_t *key = panda_keypair_new ();
    panda_log_writer_t *logs[S_DOCS];
    panda_hash_t (*ids)[S_DOCS] = calloc (per_doc, sizeof *ids);
    uint64_t rng = 88172645463325252ULL;
    for (size_t d = 0; d < S_DOCS; d++)
        logs[d] = panda_log_writer_new (key, d);
    for (uint64_t seq = 1; seq <= per_doc; seq++)
        for (size_t d = 0; d < S_DOCS; d++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            const panda_hash_t *previous = seq == 1     ? NULL
                                           : concurrent ? &ids[rng % (seq - 1)][d]
                                                        : &ids[seq - 2][d];
            panda_operation_t *op = bench_field_operation (d, seq, previous, &err);
            size_t len;
            const uint8_t *bytes = op ? panda_operation_bytes (op, &len) : NULL;
            panda_entry_t *entry = bytes ? panda_log_writer_sign (logs[d], bytes, len, &err) : NULL;
            panda_entry_args_t next;
            if (!entry || panda_store_publish (store, entry, op, s_schemas, NULL, &next, &err) != PANDA_OK)
                s_die ("publish", &err);
            ids[seq - 1][d] = *panda_entry_hash (entry);
            panda_entry_destroy (&entry);
            panda_operation_destroy (&op);
        }
    for (size_t d = 0; d < S_DOCS; d++)
        panda_log_writer_destroy (&logs[d]);
    panda_keypair_destroy (&key);
    free (ids);
    panda_store_destroy (&store);
}

static void
s_unlink_db (const char *path)
{
    char side[512];
    unlink (path);
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
}

//  Materialise the whole store into a fresh views file; operations/s.
static double
s_run (const char *path, size_t expected)
{
    panda_error_t err;
    char *views_path = panda_views_path (path);
    s_unlink_db (views_path);
    panda_store_t *store = panda_store_open (path, &err);
    panda_views_t *views = store ? panda_views_open (views_path, false, &err) : NULL;
    panda_materializer_t *mat = views ? panda_materializer_new (store, views, &err) : NULL;
    if (!mat)
        s_die ("open", &err);
    uint64_t start = bench_now_ns ();
    size_t total = 0, done = 0;
    do {
        if (panda_materializer_run (mat, S_BATCH, &done, NULL, NULL, &err) != PANDA_OK)
            s_die ("run", &err);
        total += done;
    } while (done > 0);
    double seconds = (double) (bench_now_ns () - start) / 1e9;
    if (total != expected || panda_materializer_failures (mat) != 0)
        s_die ("unexpected result", NULL);
    panda_materializer_destroy (&mat);
    panda_views_destroy (&views);
    panda_store_destroy (&store);
    s_unlink_db (views_path);
    free (views_path);
    return (double) total / seconds;
}

static void
s_case (const char *id, const char *name, const char *dir, size_t per_doc, bool concurrent, int runs)
{
    char path[512];
    snprintf (path, sizeof path, "%s/bench_materialize_%d.sqlite3", dir, (int) getpid ());
    s_unlink_db (path);
    s_fill (path, per_doc, concurrent);
    double rates[S_RUNS_MAX];
    for (int r = 0; r < runs; r++)
        rates[r] = s_run (path, per_doc * S_DOCS);
    bench_report (id, name, bench_median (rates, (size_t) runs), 0);
    s_unlink_db (path);
}

int
main (int argc, char **argv)
{
    int runs = 5;
    size_t ops = 100000;
    const char *dir = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--runs") == 0)
            runs = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--ops") == 0)
            ops = (size_t) strtoull (argv[i + 1], NULL, 10);
        else if (strcmp (argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    if (runs < 1 || runs > S_RUNS_MAX || ops < S_DOCS)
        return fprintf (stderr, "usage: bench_materialize [--runs 1..15] [--ops N] [--dir DIR]\n"), 1;
    s_case ("1", "linear updates (incremental)", dir, ops / S_DOCS, false, runs);
    s_case ("2", "concurrent branches (rebuilds, 40 ops/document)", dir, S_BRANCH_OPS, true, runs);
    return 0;
}
