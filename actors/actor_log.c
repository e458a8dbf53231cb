/*  actor_log.c - operator log lines on stderr.

    One fprintf per line (stdio locks the stream, so lines of different
    threads never interleave). Format: UTC time, level, actor, message.    */
#include "panda_actors.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

static atomic_int s_level = PANDA_LOG_INFO;

void
panda_log_set_level (panda_log_level_t level)
{
    atomic_store (&s_level, (int) level);
}

bool
panda_log_enabled (panda_log_level_t level)
{
    return level != PANDA_LOG_OFF && (int) level <= atomic_load (&s_level);
}

void
panda_log (panda_log_level_t level, const char *actor, const char *format, ...)
{
    static const char *names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    if (!panda_log_enabled (level))
        return;
    char text[2048];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    char stamp[32];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf (stderr, "%s.%03ldZ %-5s %s: %s\n", stamp, now.tv_nsec / 1000000, names[level], actor, text);
}
