/*  bench_util.h - timing helpers shared by the benchmarks.

    Benchmarks follow speedtest1: numbered cases, fixed seeds, repeated runs
    and the median reported, plus a checksum so a fast wrong answer shows.
    This machine is shared: always compare against a baseline measured in
    the same run (e.g. bare libsodium verify) and report the ratio.          */
#ifndef BENCH_UTIL_H_INCLUDED
#define BENCH_UTIL_H_INCLUDED

#include "panda/panda_operation.h"

#include <stddef.h>
#include <stdint.h>

//  Monotonic time in nanoseconds.
uint64_t bench_now_ns (void);

//  CPU time of the calling thread in nanoseconds: on a shared machine,
//  time spent descheduled is not charged to what the thread measures.
uint64_t bench_thread_cpu_ns (void);

//  Median of n doubles (sorts the array in place).
double bench_median (double *values, size_t n);

//  Measure bare libsodium crypto_sign_verify_detached on one core (median of
//  several runs), print it as case 0 and remember it: from then on every
//  bench_report line also shows its rate as a multiple of it, the
//  machine's per-core limit a publish is held against.
double bench_verify_baseline (void);

//  Bare crypto_sign_verify_detached per second on threads threads (at most
//  16) together, each verifying n times the same entry-sized signature.
//  Returns 0 if a verification failed.
double bench_verify_threads (unsigned threads, size_t n);

//  Print one result line: "<case> <name>: <ops/s median> ops/s (n runs) [ratio]".
void bench_report (const char *case_id, const char *name, double ops_per_sec, double baseline);

//  The load generators' operation at seq of log: a schema_field_definition_v1
//  CREATE {name, type: "str"} at seq 1, then UPDATEs renaming the field with
//  previous = the operation of seq - 1. Caller owns; NULL with err set.
panda_operation_t *bench_field_operation (size_t log, uint64_t seq, const panda_hash_t *previous,
                                          panda_error_t *err);

//  CPU time of a process's threads, summed by thread name (the actor
//  names pandad gives its threads; "verify-1" counts as "verify").
#define BENCH_ROLES_MAX 16
typedef struct {
    size_t count;
    char names[BENCH_ROLES_MAX][16];
    double seconds[BENCH_ROLES_MAX];
    double slices[BENCH_ROLES_MAX]; //  times put on a CPU (each one a wake-up or a preemption)
} bench_roles_t;

//  Read /proc/<pid>/task/*: on-CPU seconds and times scheduled
//  (schedstat) per name into *roles. Returns 0, or -1 if the process is
//  gone.
int bench_roles_read (int pid, bench_roles_t *roles);

//  after - before, per name (names only in after count from 0).
void bench_roles_diff (const bench_roles_t *before, const bench_roles_t *after, bench_roles_t *diff);

//  Machine-wide jiffies from /proc/stat: busy (user, nice, system, irq,
//  softirq, steal) and all. Returns 0, or -1 when unreadable.
int bench_cpu_read (double *busy, double *all);

#endif
