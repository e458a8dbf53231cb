/*  panda_fixture_log.c - time and a node's log for tests (panda_fixture.h):
    the log file is written by the fixture's copying thread, so readers
    poll with a deadline.                                                  */
#define _GNU_SOURCE //  open_memstream

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "panda_test.h"
#include "panda_fixture.h"

double
panda_fixture_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

char *
panda_fixture_log (const panda_fixture_t *self)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/pandad.log", panda_fixture_dir (self));
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_non_null (out);
    FILE *file = fopen (path, "r"); //  may not be there yet
    char chunk[8192];
    size_t n;
    while (file && (n = fread (chunk, 1, sizeof chunk, file)) > 0)
        fwrite (chunk, 1, n, out);
    if (file)
        fclose (file);
    fclose (out);
    return text;
}

size_t
panda_fixture_log_count (const panda_fixture_t *self, const char *needle)
{
    char *text = panda_fixture_log (self);
    size_t n = 0;
    for (const char *p = strstr (text, needle); p; p = strstr (p + 1, needle))
        n++;
    free (text);
    return n;
}

bool
panda_fixture_wait_log (const panda_fixture_t *self, const char *needle, size_t count, int timeout_ms)
{
    double deadline = panda_fixture_now_ms () + timeout_ms;
    while (panda_fixture_log_count (self, needle) < count) {
        if (panda_fixture_now_ms () >= deadline)
            return false;
        struct timespec pause = {0, 20 * 1000 * 1000}; //  polling with a deadline
        nanosleep (&pause, NULL);
    }
    return true;
}

void
panda_fixture_print_log (const panda_fixture_t *self, const char *label, size_t tail)
{
    char *text = panda_fixture_log (self);
    size_t len = strlen (text);
    const char *from = len > tail ? text + len - tail : text;
    fprintf (stderr, "----- %s (%s/pandad.log%s) -----\n%s\n", label, panda_fixture_dir (self),
             from == text ? "" : ", its end", from);
    free (text);
}
