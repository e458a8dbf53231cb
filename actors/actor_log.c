/*  actor_log.c - operator log lines on stderr.

    One fprintf per line or block (stdio locks the stream, so lines of
    different threads never interleave). Format: UTC time, level, actor,
    message. Which lines show is the log_level filter's (per actor, see
    lib/config/panda_log_filter.h); it is set before any actor starts, so
    the levels are atomics only for tests that change them later.        */
#include "panda_actors.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int s_node = PANDA_LOG_INFO; //  lines of actors without a level of their own
static atomic_int s_module[PANDA_LOG_MODULE_COUNT] = {-1, -1, -1, -1, -1, -1};
static atomic_int s_max = PANDA_LOG_INFO; //  cheap test before finding the actor
static char s_contains[sizeof ((panda_log_filter_t *) 0)->contains];

void
panda_log_set_level (panda_log_level_t level)
{
    for (int m = 0; m < PANDA_LOG_MODULE_COUNT; m++)
        atomic_store (&s_module[m], -1);
    atomic_store (&s_node, (int) level);
    atomic_store (&s_max, (int) level);
}

void
panda_log_set_filter (const panda_log_filter_t *filter)
{
    for (int m = 0; m < PANDA_LOG_MODULE_COUNT; m++)
        atomic_store (&s_module[m], filter->module[m]);
    atomic_store (&s_node, (int) filter->node);
    atomic_store (&s_max, (int) panda_log_filter_max (filter));
    snprintf (s_contains, sizeof s_contains, "%s", filter->contains);
}

bool
panda_log_enabled (const char *actor, panda_log_level_t level)
{
    if (level == PANDA_LOG_OFF || (int) level > atomic_load (&s_max))
        return false;
    int m = panda_log_filter_module (actor);
    int at = m >= 0 ? atomic_load (&s_module[m]) : -1;
    return (int) level <= (at >= 0 ? at : atomic_load (&s_node));
}

static void
s_write (panda_log_level_t level, const char *actor, const char *text)
{
    static const char *names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    if (s_contains[0] && !strstr (text, s_contains))
        return;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char stamp[32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf (stderr, "%s.%03ldZ %-5s %s: %s\n", stamp, now.tv_nsec / 1000000, names[level], actor, text);
}

void
panda_log (panda_log_level_t level, const char *actor, const char *format, ...)
{
    if (!panda_log_enabled (actor, level))
        return;
    char text[2048];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    s_write (level, actor, text);
}

void
panda_log_key (const char *actor, const char *text)
{
    if (panda_log_enabled (actor, PANDA_LOG_INFO))
        s_write (PANDA_LOG_INFO, actor, text);
    else {
        //  As aquadoggo's info_or_print: with info off, on stdout, bare.
        fprintf (stdout, "%s\n", text);
        fflush (stdout);
    }
}
