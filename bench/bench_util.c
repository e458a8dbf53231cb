/*  bench_util.c - timing helpers shared by the benchmarks.                 */
#include "bench_util.h"

#include <dirent.h>

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t
bench_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

uint64_t
bench_thread_cpu_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double
bench_median (double *values, size_t n)
{
    qsort (values, n, sizeof *values, s_cmp_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static double s_verify_rate;

typedef struct {
    size_t n, ok;
} s_verify_job_t;

static void *
s_verify_thread (void *arg)
{
    s_verify_job_t *job = arg;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES],
        seed[crypto_sign_SEEDBYTES] = {7};
    unsigned char msg[138] = {0}, sig[crypto_sign_BYTES]; //  the signed part of a typical entry
    crypto_sign_seed_keypair (pk, sk, seed);
    crypto_sign_detached (sig, NULL, msg, sizeof msg, sk);
    for (size_t i = 0; i < job->n; i++)
        job->ok += crypto_sign_verify_detached (sig, msg, sizeof msg, pk) == 0;
    return NULL;
}

double
bench_verify_threads (unsigned threads, size_t n)
{
    enum { MAX = 16 };
    pthread_t tids[MAX];
    s_verify_job_t jobs[MAX];
    threads = threads > MAX ? MAX : threads ? threads : 1;
    if (sodium_init () < 0)
        return 0;
    uint64_t start = bench_now_ns ();
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (s_verify_job_t){.n = n};
        pthread_create (&tids[t], NULL, s_verify_thread, &jobs[t]);
    }
    size_t ok = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join (tids[t], NULL);
        ok += jobs[t].ok;
    }
    double rate = (double) (threads * n) * 1e9 / (double) (bench_now_ns () - start);
    return ok == threads * n ? rate : 0;
}

double
bench_verify_baseline (void)
{
    if (sodium_init () < 0)
        return 0;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES],
        seed[crypto_sign_SEEDBYTES] = {7};
    unsigned char msg[138] = {0}, sig[crypto_sign_BYTES]; //  the signed part of a typical entry
    crypto_sign_seed_keypair (pk, sk, seed);
    crypto_sign_detached (sig, NULL, msg, sizeof msg, sk);
    enum { RUNS = 7, N = 3000 };
    double rates[RUNS];
    int ok = 0;
    for (int r = 0; r < RUNS; r++) {
        uint64_t start = bench_now_ns ();
        for (int i = 0; i < N; i++)
            ok += crypto_sign_verify_detached (sig, msg, sizeof msg, pk) == 0;
        rates[r] = N * 1e9 / (double) (bench_now_ns () - start);
    }
    if (ok != RUNS * N)
        return 0;
    s_verify_rate = bench_median (rates, RUNS);
    printf ("%-4s %-44s %12.0f ops/s  (machine limit, 1 core)\n", "0", "bare crypto_sign_verify_detached",
            s_verify_rate);
    return s_verify_rate;
}

void
bench_report (const char *case_id, const char *name, double ops_per_sec, double baseline)
{
    if (s_verify_rate > 0) {
        printf ("%-4s %-44s %12.0f ops/s  %6.2fx baseline  %7.2fx verify\n", case_id, name, ops_per_sec,
                baseline > 0 ? ops_per_sec / baseline : 1.0, ops_per_sec / s_verify_rate);
        return;
    }
    if (baseline > 0)
        printf ("%-4s %-44s %12.0f ops/s  %5.2fx baseline\n", case_id, name, ops_per_sec,
                ops_per_sec / baseline);
    else
        printf ("%-4s %-44s %12.0f ops/s\n", case_id, name, ops_per_sec);
}

panda_operation_t *
bench_field_operation (size_t log, uint64_t seq, const panda_hash_t *previous, panda_error_t *err)
{
    panda_operation_t *op =
        panda_operation_new (seq > 1 ? PANDA_ACTION_UPDATE : PANDA_ACTION_CREATE,
                             "schema_field_definition_v1", previous, previous ? 1 : 0, err);
    char name[64];
    snprintf (name, sizeof name, "field_%zu_%" PRIu64, log, seq);
    panda_value_t value;
    bool ok = op && panda_value_set_str (&value, name, strlen (name)) == PANDA_OK;
    if (ok) {
        ok = panda_operation_set_field (op, "name", &value, err) == PANDA_OK;
        panda_value_clear (&value);
    }
    if (ok && seq == 1 && (ok = panda_value_set_str (&value, "str", 3) == PANDA_OK)) {
        ok = panda_operation_set_field (op, "type", &value, err) == PANDA_OK;
        panda_value_clear (&value);
    }
    if (!ok && op) {
        panda_operation_destroy (&op);
        panda_error_set (err, PANDA_ERR_NOMEM, "cannot build the field operation");
    }
    return op;
}

static size_t
s_role (bench_roles_t *roles, const char *name)
{
    for (size_t i = 0; i < roles->count; i++)
        if (strcmp (roles->names[i], name) == 0)
            return i;
    if (roles->count == BENCH_ROLES_MAX)
        return BENCH_ROLES_MAX - 1; //  the last slot takes the rest
    snprintf (roles->names[roles->count], sizeof roles->names[0], "%s", name);
    roles->seconds[roles->count] = 0;
    roles->slices[roles->count] = 0;
    return roles->count++;
}

int
bench_roles_read (int pid, bench_roles_t *roles)
{
    memset (roles, 0, sizeof *roles);
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir (path);
    if (!dir)
        return -1;
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name[0] == '.')
            continue;
        char file[400], name[32] = "", line[128];
        unsigned long long ns = 0, waited = 0, slices = 0;
        snprintf (file, sizeof file, "%s/%s/comm", path, entry->d_name);
        FILE *f = fopen (file, "r");
        if (f && fgets (name, sizeof name, f))
            name[strcspn (name, "\n")] = 0;
        if (f)
            fclose (f);
        snprintf (file, sizeof file, "%s/%s/schedstat", path, entry->d_name);
        f = fopen (file, "r");
        //  on-CPU ns, waiting ns, times scheduled
        if (f && fgets (line, sizeof line, f) && sscanf (line, "%llu %llu %llu", &ns, &waited, &slices) != 3)
            ns = slices = 0;
        if (f)
            fclose (f);
        //  "verify-1" is a "verify".
        char *dash = strrchr (name, '-');
        if (dash && dash[1] >= '0' && dash[1] <= '9')
            *dash = 0;
        size_t i = s_role (roles, name);
        roles->seconds[i] += (double) ns / 1e9;
        roles->slices[i] += (double) slices;
    }
    closedir (dir);
    return 0;
}

void
bench_roles_diff (const bench_roles_t *before, const bench_roles_t *after, bench_roles_t *diff)
{
    *diff = *after;
    for (size_t i = 0; i < before->count; i++) {
        size_t j = s_role (diff, before->names[i]);
        diff->seconds[j] -= before->seconds[i];
        diff->slices[j] -= before->slices[i];
    }
}

int
bench_cpu_read (double *busy, double *all)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen ("/proc/stat", "r");
    int n = f ? fscanf (f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                        &v[5], &v[6], &v[7])
              : 0;
    if (f)
        fclose (f);
    if (n != 8)
        return -1;
    //  user nice system idle iowait irq softirq steal
    *busy = (double) (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
    *all = *busy + (double) (v[3] + v[4]);
    return 0;
}
