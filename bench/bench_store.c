/*  bench_store.c - entries/s of the storage stage alone (validation +
    commit), by batch size, on a file database.

    Entries are made and signed with our own lib before any timing: AUTHORS
    authors, each writing DOCS documents of an application schema with one
    int field (a CREATE, then UPDATEs whose previous is the last operation).
    Items are ordered round-robin over the logs, so one batch touches many
    logs, as a busy node's queue would. Each run replays the set into a
    fresh database; the median of the runs is reported, for
    synchronous=FULL (what the node uses) and NORMAL (for comparison).

    usage: bench_store [--runs N] [--entries N] [--dir DIR]                 */
#include "bench_util.h"
#include "panda/panda_keypair.h"
#include "panda/panda_lipmaa.h"
#include "panda_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_AUTHORS 50
#define S_DOCS 4 //  per author
#define S_RUNS_MAX 15
#define S_SMALL_BATCH_COMMITS 300 //  commits timed at batch sizes 1 and 10

typedef struct {
    panda_store_item_t *items;
    size_t count;
    panda_schema_t *schema;
} s_set_t;

static const panda_schema_t *
s_schema (void *ctx, const char *schema_id)
{
    s_set_t *set = ctx;
    return strcmp (schema_id, panda_schema_id (set->schema)) == 0 ? set->schema : NULL;
}

static void
s_die (const char *what, const panda_error_t *err)
{
    fprintf (stderr, "bench_store: %s: %s\n", what, err ? err->message : "failed");
    exit (1);
}

//  One signed entry + operation of log (author, log id) at seq.
static void
s_make (panda_store_item_t *item, const panda_keypair_t *keypair, uint64_t log_id, uint64_t seq,
        const panda_hash_t *hashes, const char *schema_id)
{
    panda_error_t err;
    const panda_hash_t *previous = seq > 1 ? &hashes[seq - 1] : NULL;
    panda_operation_t *op = panda_operation_new (seq > 1 ? PANDA_ACTION_UPDATE : PANDA_ACTION_CREATE,
                                                 schema_id, previous, previous ? 1 : 0, &err);
    panda_value_t value;
    panda_value_set_int (&value, (int64_t) seq);
    if (!op || panda_operation_set_field (op, "n", &value, &err) != PANDA_OK)
        s_die ("operation", &err);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    const panda_hash_t *skiplink = panda_lipmaa_skiplink_required (seq) ? &hashes[panda_lipmaa (seq)] : NULL;
    panda_entry_t *entry =
        panda_entry_new_signed (keypair, log_id, seq, previous, skiplink, bytes, len, &err);
    if (!entry)
        s_die ("entry", &err);
    item->entry = entry;
    item->operation = op;
    item->check_duplicate = false;
}

//  Sign count entries, round-robin over S_AUTHORS * S_DOCS logs.
static void
s_make_set (s_set_t *set, size_t count)
{
    panda_error_t err;
    panda_hash_t view;
    panda_hash_compute (&view, "bench", 5);
    char id[128], hex[PANDA_HASH_HEX_SIZE + 1];
    snprintf (id, sizeof id, "bench_%s", panda_hash_to_hex (&view, hex));
    set->schema = panda_schema_new (id, "bench", "storage benchmark", &err);
    if (!set->schema || panda_schema_add_field (set->schema, "n", "int", &err) != PANDA_OK)
        s_die ("schema", &err);
    size_t logs = S_AUTHORS * S_DOCS, per_log = count / logs + 2;
    panda_keypair_t *keys[S_AUTHORS];
    for (size_t a = 0; a < S_AUTHORS; a++)
        keys[a] = panda_keypair_new ();
    panda_hash_t *hashes = calloc (logs * per_log, sizeof (panda_hash_t)); //  [log][seq]
    set->items = calloc (count, sizeof *set->items);
    set->count = count;
    for (size_t i = 0; i < count; i++) {
        size_t log = i % logs;
        uint64_t seq = i / logs + 1;
        panda_hash_t *log_hashes = &hashes[log * per_log];
        s_make (&set->items[i], keys[log / S_DOCS], log % S_DOCS, seq, log_hashes, id);
        log_hashes[seq] = *panda_entry_hash (set->items[i].entry);
    }
    for (size_t a = 0; a < S_AUTHORS; a++)
        panda_keypair_destroy (&keys[a]);
    free (hashes);
}

static void
s_remove_db (const char *path)
{
    char name[600];
    unlink (path);
    snprintf (name, sizeof name, "%s-wal", path);
    unlink (name);
    snprintf (name, sizeof name, "%s-shm", path);
    unlink (name);
}

//  Replay count items of set in batches of size into a fresh database;
//  returns entries/s of the publish_batch calls.
static double
s_run (s_set_t *set, size_t count, size_t size, bool full, const char *path, uint64_t *checksum)
{
    s_remove_db (path);
    panda_error_t err;
    panda_store_t *store = panda_store_open (path, &err);
    if (!store || panda_store_set_durable (store, full, &err) != PANDA_OK)
        s_die ("open", &err);
    panda_store_result_t *results = calloc (size, sizeof *results);
    uint64_t start = bench_now_ns ();
    for (size_t i = 0; i < count; i += size) {
        size_t n = count - i < size ? count - i : size;
        if (panda_store_publish_batch (store, &set->items[i], n, s_schema, set, results, &err) != PANDA_OK)
            s_die ("batch", &err);
        for (size_t j = 0; j < n; j++) {
            if (results[j].code != PANDA_OK)
                s_die ("item", &results[j].error);
            *checksum += results[j].next_args.seq_num;
        }
    }
    double seconds = (double) (bench_now_ns () - start) / 1e9;
    free (results);
    panda_store_destroy (&store);
    s_remove_db (path);
    return (double) count / seconds;
}

int
main (int argc, char *argv[])
{
    int runs = 5;
    size_t entries = 20000;
    const char *dir = ".";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--runs") == 0)
            runs = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--entries") == 0)
            entries = (size_t) atol (argv[i + 1]);
        else if (strcmp (argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    if (runs < 1 || runs > S_RUNS_MAX || entries < 1000) {
        fprintf (stderr, "usage: bench_store [--runs 1..%d] [--entries >=1000] [--dir DIR]\n", S_RUNS_MAX);
        return 1;
    }
    char path[512];
    snprintf (path, sizeof path, "%s/bench_store.db", dir);
    double baseline = bench_verify_baseline ();
    s_set_t set;
    s_make_set (&set, entries);
    printf ("# %zu pre-signed entries, %d authors x %d logs, file %s\n", entries, S_AUTHORS, S_DOCS, path);
    static const size_t sizes[] = {1, 10, 100, 1000};
    uint64_t checksum = 0;
    int case_no = 1;
    for (int full = 1; full >= 0; full--)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t count = sizes[s] * S_SMALL_BATCH_COMMITS;
            count = count < entries ? count : entries;
            double rates[S_RUNS_MAX];
            for (int r = 0; r < runs; r++)
                rates[r] = s_run (&set, count, sizes[s], full, path, &checksum);
            char id[16], name[96];
            snprintf (id, sizeof id, "%d", case_no++);
            snprintf (name, sizeof name, "store batch %4zu, synchronous=%s (%zu entries)", sizes[s],
                      full ? "FULL" : "NORMAL", count);
            bench_report (id, name, bench_median (rates, (size_t) runs), baseline);
        }
    printf ("# checksum %llu\n", (unsigned long long) checksum);
    for (size_t i = 0; i < set.count; i++) {
        panda_entry_destroy ((panda_entry_t **) &set.items[i].entry);
        panda_operation_destroy (&set.items[i].operation);
    }
    free (set.items);
    panda_schema_destroy (&set.schema);
    return 0;
}
