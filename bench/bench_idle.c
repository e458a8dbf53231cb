/*  bench_idle.c - how many idle TCP connections it takes before a normal
    client waits more than a second for pandad to answer.

    For each count N, N connections are opened and left silent (they send
    nothing), then a normal client connects from 127.0.0.1 and asks
    GET /graphql; its wait is printed, the idle connections are closed and
    the node is given time to free its workers before the next N. Idle
    clients come either from one address (127.0.0.2) or each from its own
    (127.1.x.y), to show the per-address limit and the header timeout
    apart. Each mode runs on a fresh pandad with the default settings.

    usage: bench_idle [--max N] [--step N] [--timeout-ms MS] [--full N]
    --timeout-ms bounds one normal request (default 3000); --full N waits
    for the normal client without that bound at N idle connections from
    many addresses and prints how long it took (up to 70 s).
    pandad is $PANDA_BIN_DIR/pandad, else <dir of this binary>/../bin/pandad.  */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "panda_http.h"
#include "panda_pandad.h"

#define S_MAX_IDLE 2048
#define S_START_MS 30000
#define S_FULL_MS 70000
#define S_RECOVER_MS 90000

//  A silent connection from source to 127.0.0.1:port, or -1.
static int
s_connect_from (const char *source, int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons (port)};
    inet_pton (AF_INET, source, &from.sin_addr);
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    if (fd >= 0 && (bind (fd, (struct sockaddr *) &from, sizeof from) != 0 ||
                    connect (fd, (struct sockaddr *) &to, sizeof to) != 0)) {
        close (fd);
        fd = -1;
    }
    return fd;
}

//  Milliseconds a normal client waits for GET /graphql, or -1 when it got
//  no answer within timeout_ms.
static int
s_normal_wait_ms (int port, int timeout_ms)
{
    uint64_t start = bench_now_ns ();
    panda_http_t *http = panda_http_connect ("127.0.0.1", port, timeout_ms);
    panda_http_response_t resp = {0};
    int rc = http ? panda_http_request (http, "GET", "/graphql", NULL, NULL, 0, &resp) : -1;
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
    return rc == 0 ? (int) ((bench_now_ns () - start) / 1000000) : -1;
}

//  Open n idle connections (one address or many). Returns how many opened.
static int
s_open_idle (int *fds, int n, bool many, int port)
{
    int opened = 0;
    for (int i = 0; i < n; i++) {
        char source[32];
        if (many)
            snprintf (source, sizeof source, "127.1.%d.%d", i / 250, i % 250 + 1);
        else
            snprintf (source, sizeof source, "127.0.0.2");
        if ((fds[opened] = s_connect_from (source, port)) >= 0)
            opened++;
    }
    return opened;
}

//  Close them and wait until a normal client is served quickly again.
static void
s_close_idle (int *fds, int n, int port)
{
    for (int i = 0; i < n; i++)
        close (fds[i]);
    uint64_t until = bench_now_ns () + (uint64_t) S_RECOVER_MS * 1000000;
    while (bench_now_ns () < until) {
        int wait = s_normal_wait_ms (port, 1000);
        if (wait >= 0 && wait < 100)
            return;
    }
    fprintf (stderr, "bench_idle: the node did not recover within %d ms\n", S_RECOVER_MS);
    exit (1);
}

static void
s_run_mode (bool many, int max, int step, int timeout_ms, int full)
{
    panda_pandad_t *node = panda_pandad_start (NULL, S_START_MS);
    if (!node) {
        fprintf (stderr, "bench_idle: pandad did not start\n");
        exit (1);
    }
    int port = panda_pandad_port (node), first_slow = -1;
    static int fds[S_MAX_IDLE];
    const char *mode = many ? "many addresses" : "one address";
    for (int n = 0; n <= max; n += step) {
        int opened = s_open_idle (fds, n, many, port);
        int wait = s_normal_wait_ms (port, timeout_ms);
        printf ("%-15s idle %4d (opened %4d): normal client %s", mode, n, opened,
                wait < 0 ? "no answer" : "");
        if (wait >= 0)
            printf ("%d ms", wait);
        printf ("%s\n", wait < 0 ? " within the timeout" : "");
        fflush (stdout);
        s_close_idle (fds, opened, port);
        if ((wait < 0 || wait > 1000) && first_slow < 0)
            first_slow = n;
    }
    if (first_slow >= 0)
        printf ("%-15s first count with a wait over 1 s: %d\n", mode, first_slow);
    else
        printf ("%-15s no wait over 1 s up to %d idle connections\n", mode, max);
    if (many && full > 0) {
        int opened = s_open_idle (fds, full, true, port);
        int wait = s_normal_wait_ms (port, S_FULL_MS);
        printf ("%-15s idle %4d (opened %4d): normal client waited %d ms (no bound but %d ms)\n", mode, full,
                opened, wait, S_FULL_MS);
        s_close_idle (fds, opened, port);
    }
    panda_pandad_stop (&node);
}

int
main (int argc, char **argv)
{
    int max = 512, step = 32, timeout_ms = 3000, full = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--max") == 0)
            max = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--step") == 0)
            step = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--timeout-ms") == 0)
            timeout_ms = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--full") == 0)
            full = atoi (argv[i + 1]);
    }
    if (max < 0 || max > S_MAX_IDLE || step < 1 || timeout_ms < 1 || full < 0 || full > S_MAX_IDLE) {
        fprintf (stderr, "usage: bench_idle [--max N<=%d] [--step N] [--timeout-ms MS] [--full N]\n",
                 S_MAX_IDLE);
        return 1;
    }
    s_run_mode (false, max, step, timeout_ms, 0);
    s_run_mode (true, max, step, timeout_ms, full);
    return 0;
}
