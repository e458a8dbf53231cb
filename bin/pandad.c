/*  pandad.c - the p2panda node.

    Loads the configuration (defaults, config.toml, environment, flags),
    starts the actors (panda_node_new creates the data directory) and serves until SIGINT
    or SIGTERM, then stops them in order: requests in flight are answered
    and every answered publish is committed before the process exits.

    Signals are blocked before any thread starts, so every thread inherits
    the mask and only sigwait() here ever sees them.                      */
#include "panda_actors.h"
#include "panda/panda_node.h"
#include "pandad_summary.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const sigset_t *signals;
    uint32_t timeout_ms;
    atomic_bool done; //  the node stopped in time
} s_watchdog_t;

//  Bounds the shutdown: after shutdown_timeout_ms, or at a second SIGINT or
//  SIGTERM, the process exits without waiting for the rest. Nothing
//  acknowledged is lost by that: a publish is answered after its commit,
//  SQLite rolls back a transaction cut short, and blob files are written
//  under a temporary name and renamed when complete.
static void *
s_watchdog (void *args_)
{
    s_watchdog_t *args = args_;
    int64_t deadline = zclock_mono () + args->timeout_ms;
    int sig = -1;
    while (sig < 0 && !atomic_load (&args->done)) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            break;
        struct timespec wait = {left / 1000, (long) (left % 1000) * 1000000L};
        sig = sigtimedwait (args->signals, NULL, &wait); //  EINTR: a sanitizer's signals
    }
    if (atomic_load (&args->done))
        return NULL;
    panda_log_error ("pandad", "%s: exiting with requests still running",
                     sig > 0 ? "second signal" : "shutdown_timeout_ms passed");
    _exit (1);
    return NULL;
}

//  A process without the api has no URL to show: it names its actors and
//  endpoints, then says "ready" (sockets bound, or connecting).
static void
s_report_actors (const panda_config_t *config, unsigned workers)
{
    static const char *names[] = {"ingest", "verify", "storage", "materialize", "replicate"};
    char line[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (panda_config_runs (config, names[i]) && len < sizeof line) {
            int n = strcmp (names[i], "verify") == 0
                        ? snprintf (line + len, sizeof line - len, "%s%s (%u workers)", len ? ", " : "",
                                    names[i], workers)
                        : snprintf (line + len, sizeof line - len, "%s%s", len ? ", " : "", names[i]);
            len += n > 0 ? (size_t) n : 0;
        }
    panda_log_info ("pandad", "running actors: %s (the others run in other processes)", line);
    panda_log_info ("pandad",
                    "endpoints: ingest %s, verify %s, storage %s, replies %s, events %s, schemas %s",
                    config->ingest_endpoint, config->verify_endpoint, config->storage_endpoint,
                    config->replies_endpoint, config->events_endpoint, config->schemas_endpoint);
    panda_log_info ("pandad", "ready");
}

static int
s_serve (const panda_config_t *config, const sigset_t *signals)
{
    if (config->config_path)
        panda_log_info ("pandad", "configuration from %s", config->config_path);
    else
        panda_log_info ("pandad", "no config file (none given, no ./config.toml, no "
                                  "$XDG_CONFIG_HOME/pandad/config.toml or ~/.config/pandad/config.toml)");
    for (size_t i = 0; i < config->warnings.count; i++)
        panda_log_warn ("pandad", "%s", config->warnings.items[i]);
    const char *unused[16];
    size_t count = panda_config_set_without_effect (config, unused, 16);
    for (size_t i = 0; i < count; i++)
        panda_log_warn ("pandad", "%s is set but has no effect in pandad: %s", unused[i],
                        panda_config_no_effect (unused[i]));
    panda_error_t err;
    panda_node_t *node = panda_node_new (config, &err);
    if (!node) {
        pandad_summary (config, NULL);
        panda_log_error ("pandad", "cannot start: %s", err.message);
        return 1;
    }
    pandad_summary (config, node);
    if (!panda_config_runs (config, "api"))
        s_report_actors (config, panda_node_verify_workers (node));
    int sig = 0;
    sigwait (signals, &sig);
    panda_log_info ("pandad", "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    static s_watchdog_t watchdog; //  outlives s_serve: the thread may still run
    watchdog.signals = signals, watchdog.timeout_ms = config->shutdown_timeout_ms;
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_watchdog, &watchdog) == 0)
        pthread_detach (thread);
    panda_node_destroy (&node);
    atomic_store (&watchdog.done, true);
    panda_log_info ("pandad", "stopped");
    return 0;
}

//  log_level was checked when the config loaded; module names of other
//  programs in it (sqlx=debug) are said to be ignored, even with logs off.
static int
s_set_log_filter (const panda_config_t *config)
{
    panda_log_filter_t filter;
    panda_error_t err;
    if (panda_log_filter_parse (config->log_level, &filter, &err) != PANDA_OK) {
        fprintf (stderr, "pandad: log_level: %s\n", err.message);
        return -1;
    }
    panda_log_set_filter (&filter);
    if (filter.ignored[0]) {
        char line[512];
        snprintf (line, sizeof line, "log_level: %s: no such part in pandad, ignored (docs/operating.md)",
                  filter.ignored);
        panda_log_key ("pandad", line);
    }
    return 0;
}

int
main (int argc, char *argv[], char *envp[])
{
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);
    umask (077); //  the node's files hold its data and keys: the user's alone
    zsys_handler_set (NULL); //  CZMQ must not install its own handlers

    panda_config_t *config = panda_config_new ();
    panda_error_t err;
    int status = 0;
    if (!config)
        status = 1, fprintf (stderr, "pandad: out of memory\n");
    else if (panda_config_load (config, argc, argv, envp, &err) != PANDA_OK)
        status = 1, fprintf (stderr, "pandad: %s\n", err.message);
    else if (config->show_help)
        panda_config_print_help (stdout);
    else if (config->show_version)
        printf ("pandad %s\n", PANDA_VERSION);
    else if (config->print_config)
        panda_config_print (config, stdout);
    else {
        status = s_set_log_filter (config) ? 1 : s_serve (config, &signals);
    }
    panda_config_destroy (&config);
    zsys_shutdown ();
    return status;
}
