/*  bench_util.c - timing helpers shared by the benchmarks.                 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t
bench_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
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

void
bench_report (const char *case_id, const char *name, double ops_per_sec, double baseline)
{
    if (baseline > 0)
        printf ("%-4s %-44s %12.0f ops/s  %5.2fx baseline\n", case_id, name, ops_per_sec,
                ops_per_sec / baseline);
    else
        printf ("%-4s %-44s %12.0f ops/s\n", case_id, name, ops_per_sec);
}
