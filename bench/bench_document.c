/*  bench_document.c - reducing documents to views (operations/s).

    Numbered cases, fixed ids (BLAKE3 of a counter, so their order is
    random-looking but the same every run), the median of several runs, and
    a checksum over the resulting view hashes so a fast wrong answer shows.
    Baseline: qsort of the same number of 34-byte ids, the least any
    id-ordered reduction has to do.

      bench_document [--size N] [--runs R]                                   */
#include "bench_util.h"
#include "panda/panda_document.h"
#include "panda/panda_view_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SCHEMA "vector_item_002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f"
#define S_BRANCHES 8 //  concurrent writers per round (wide case)
#define S_BRANCH_LEN 4 //  updates per writer before the merge

typedef struct {
    size_t count, capacity;
    panda_hash_t *ids;
    panda_operation_t **ops;
    uint64_t counter;
} s_doc_t;

static void
s_die (const char *what, const panda_error_t *err)
{
    fprintf (stderr, "bench_document: %s: %s\n", what, err ? err->message : "");
    exit (1);
}

//  Append an operation with previous (n ids, canonicalized here) writing
//  field "f<k>" = counter. Returns its id.
static panda_hash_t
s_add (s_doc_t *doc, panda_action_t action, panda_hash_t *previous, size_t n, size_t field)
{
    panda_error_t err;
    n = panda_view_id_canonicalize (previous, n);
    panda_operation_t *op = panda_operation_new (action, S_SCHEMA, n ? previous : NULL, n, &err);
    if (!op)
        s_die ("operation_new", &err);
    char name[16];
    panda_value_t value;
    for (size_t f = action == PANDA_ACTION_CREATE ? 0 : field; f <= field; f++) {
        snprintf (name, sizeof name, "f%zu", f);
        panda_value_set_int (&value, (int64_t) doc->counter);
        if (panda_operation_set_field (op, name, &value, &err) != PANDA_OK)
            s_die ("set_field", &err);
    }
    if (doc->count == doc->capacity) {
        doc->capacity = doc->capacity ? 2 * doc->capacity : 256;
        doc->ids = realloc (doc->ids, doc->capacity * sizeof (panda_hash_t));
        doc->ops = realloc (doc->ops, doc->capacity * sizeof (panda_operation_t *));
        if (!doc->ids || !doc->ops)
            s_die ("out of memory", NULL);
    }
    panda_hash_compute (&doc->ids[doc->count], &doc->counter, sizeof doc->counter);
    doc->counter++;
    doc->ops[doc->count] = op;
    return doc->ids[doc->count++];
}

//  CREATE with 8 fields, then a chain of UPDATEs each writing one field.
static void
s_make_linear (s_doc_t *doc, size_t size)
{
    panda_hash_t last = s_add (doc, PANDA_ACTION_CREATE, NULL, 0, 7);
    while (doc->count < size)
        last = s_add (doc, PANDA_ACTION_UPDATE, &last, 1, doc->count % 8);
}

//  Rounds of S_BRANCHES concurrent chains of S_BRANCH_LEN updates, all
//  starting from the previous merge, joined by one merge naming every tip.
static void
s_make_wide (s_doc_t *doc, size_t size)
{
    panda_hash_t base = s_add (doc, PANDA_ACTION_CREATE, NULL, 0, 7);
    panda_hash_t tips[S_BRANCHES];
    while (doc->count < size) {
        for (size_t b = 0; b < S_BRANCHES; b++) {
            tips[b] = base;
            for (size_t i = 0; i < S_BRANCH_LEN; i++)
                tips[b] = s_add (doc, PANDA_ACTION_UPDATE, &tips[b], 1, b);
        }
        base = s_add (doc, PANDA_ACTION_UPDATE, tips, S_BRANCHES, 0);
    }
}

static void
s_free (s_doc_t *doc)
{
    for (size_t i = 0; i < doc->count; i++)
        panda_operation_destroy (&doc->ops[i]);
    free (doc->ids);
    free (doc->ops);
    memset (doc, 0, sizeof *doc);
}

//  Median operations/s of building the view from scratch (new builder,
//  add all, build), adding the view hash's first bytes to *checksum.
static double
s_time_build (const s_doc_t *doc, int runs, uint64_t *checksum)
{
    double rates[64];
    for (int r = 0; r < runs; r++) {
        uint64_t start = bench_now_ns ();
        panda_document_builder_t *builder = panda_document_builder_new ();
        panda_error_t err;
        for (size_t i = 0; i < doc->count; i++)
            if (panda_document_builder_add (builder, &doc->ids[i], doc->ops[i], &err) != PANDA_OK)
                s_die ("add", &err);
        panda_document_view_t *view;
        if (panda_document_build (builder, &view, &err) != PANDA_OK)
            s_die ("build", &err);
        double seconds = (double) (bench_now_ns () - start) / 1e9;
        rates[r] = (double) doc->count / seconds;
        uint64_t h;
        memcpy (&h, panda_document_view_hash (view)->bytes + 2, sizeof h);
        if (r == 0)
            *checksum = *checksum * 31 + h;
        panda_document_view_destroy (&view);
        panda_document_builder_destroy (&builder);
    }
    return bench_median (rates, (size_t) runs);
}

static int
s_cmp_id (const void *a, const void *b)
{
    return memcmp (a, b, PANDA_HASH_SIZE);
}

//  Baseline: ids sorted per second (copy + qsort), median of runs.
static double
s_time_baseline (const s_doc_t *doc, int runs)
{
    double rates[64];
    panda_hash_t *copy = malloc (doc->count * sizeof (panda_hash_t));
    for (int r = 0; r < runs; r++) {
        uint64_t start = bench_now_ns ();
        memcpy (copy, doc->ids, doc->count * sizeof (panda_hash_t));
        qsort (copy, doc->count, sizeof (panda_hash_t), s_cmp_id);
        rates[r] = (double) doc->count / ((double) (bench_now_ns () - start) / 1e9);
    }
    free (copy);
    return bench_median (rates, (size_t) runs);
}

int
main (int argc, char **argv)
{
    size_t size = 1000;
    int runs = 11;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp (argv[i], "--size"))
            size = (size_t) strtoul (argv[i + 1], NULL, 10);
        else if (!strcmp (argv[i], "--runs"))
            runs = atoi (argv[i + 1]);
    }
    if (size < 2 || runs < 1 || runs > 64) {
        fprintf (stderr, "usage: bench_document [--size N>=2] [--runs 1..64]\n");
        return 1;
    }
    uint64_t checksum = 0;
    char name[64];
    struct {
        const char *id, *label;
        void (*make) (s_doc_t *, size_t);
        size_t size;
    } cases[] = {
        {"1", "linear update chain", s_make_linear, size},
        {"2", "wide: 8 writers x 4 updates + merge", s_make_wide, size},
        {"3", "linear update chain", s_make_linear, size * 10},
        {"4", "wide: 8 writers x 4 updates + merge", s_make_wide, size * 10},
    };
    bench_verify_baseline ();
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        s_doc_t doc = {0};
        cases[c].make (&doc, cases[c].size);
        double baseline = s_time_baseline (&doc, runs);
        double rate = s_time_build (&doc, runs, &checksum);
        snprintf (name, sizeof name, "%s, %zu ops", cases[c].label, doc.count);
        bench_report (cases[c].id, name, rate, baseline);
        s_free (&doc);
    }
    printf ("checksum %016llx (runs %d)\n", (unsigned long long) checksum, runs);
    return 0;
}
