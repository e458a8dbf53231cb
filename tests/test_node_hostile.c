/*  test_node_hostile.c - the real pandad against clients that try to use it
    up: idle connections from one address and from many, heads and bodies
    sent a byte at a time, bodies over the size limit, GraphQL requests that
    run too long, clients that leave, and a SIGTERM in the middle of it all.
    Between attacks, a normal client publishes and queries.

    The attackers connect from 127.0.0.2 and up (bound source addresses;
    the node listens on 127.0.0.1 only), the normal client from 127.0.0.1,
    so that the per-address limit does not hit it.                        */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <czmq.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define START_MS 30000
#define REQUEST_MS 10000
//  Node A's limits (s_setup): small, so that the tests are quick.
#define THREADS 16
#define PER_ADDRESS 4
#define HEADER_MS 1000
#define BODY_MS 1000
#define BODY_MAX 300000
//  What a limit may take beyond its value: the watchdog, a loaded machine.
#define SLACK_MS 1500
//  A refused or over-limit connection is answered well before any timeout.
#define PROMPT_MS 500
//  Slow clients send one byte this often.
#define TRICKLE_MS 300
//  Aliases of a collection in the long-running query (each one SQL query;
//  the document stays under the 20000-token limit).
#define HEAVY_ALIASES 3000

static const char *const s_node_args[] = {"--http-threads",
                                          "16",
                                          "--http-max-connections-per-address",
                                          "4",
                                          "--http-header-timeout-ms",
                                          "1000",
                                          "--http-body-timeout-ms",
                                          "1000",
                                          "--http-keep-alive-timeout-ms",
                                          "1000",
                                          "--graphql-timeout-ms",
                                          "1000",
                                          "--http-max-body-bytes",
                                          "300000",
                                          NULL};

typedef struct {
    panda_fixture_t *node;
    panda_fixture_t *other; //  a node of one test, stopped at teardown if it fails
    size_t published; //  publish_sequence.json entries published so far, in order
} fixture_t;

static fixture_t *s_fixture_p;

//  A node of its own for one test; one left by a failed test is stopped.
static panda_fixture_t *
s_other_start (fixture_t *f, const char *const *args)
{
    panda_fixture_stop (&f->other);
    f->other = panda_fixture_start (args, START_MS, REQUEST_MS);
    assert_non_null (f->other);
    return f->other;
}

static fixture_t *
s_fixture (void)
{
    panda_fixture_require ();
    assert_non_null (s_fixture_p);
    assert_non_null (s_fixture_p->node);
    return s_fixture_p;
}

// ---------------------------------------------------------------------------
//  Raw clients

//  A TCP connection from source (e.g. "127.0.0.5") to 127.0.0.1:port.
static int
s_connect_from (const char *source, int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons (port)};
    inet_pton (AF_INET, source, &from.sin_addr);
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    if (bind (fd, (struct sockaddr *) &from, sizeof from) != 0 ||
        connect (fd, (struct sockaddr *) &to, sizeof to) != 0)
        fail_msg ("connect from %s: %s", source, strerror (errno));
    return fd;
}

//  127.0.0.<10 + index>: one more attacker address.
static int
s_connect_index (int index, int port)
{
    char source[32];
    snprintf (source, sizeof source, "127.0.0.%d", 10 + index);
    return s_connect_from (source, port);
}

static void
s_send_all (int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            fail_msg ("send: %s", n < 0 ? strerror (errno) : "closed");
        p += n, len -= (size_t) n;
    }
}

//  Read what fd answers until the server closes it (EOF or reset) or
//  timeout_ms passes. Returns the milliseconds it took to close, or -1 if
//  it is still open. got (size bytes, may be NULL) gets the start of the
//  answer, NUL-terminated.
static int
s_read_to_close (int fd, int timeout_ms, char *got, size_t size)
{
    int64_t start = zclock_mono ();
    size_t used = 0;
    char scratch[4096];
    while (true) {
        int left = (int) (start + timeout_ms - zclock_mono ());
        struct pollfd item = {fd, POLLIN, 0};
        if (left <= 0 || poll (&item, 1, left) <= 0)
            break;
        ssize_t n = recv (fd, scratch, sizeof scratch, 0);
        if (n <= 0)
            return (int) (zclock_mono () - start);
        if (got && used + 1 < size) {
            size_t take = (size_t) n < size - used - 1 ? (size_t) n : size - used - 1;
            memcpy (got + used, scratch, take);
            used += take;
        }
    }
    if (got)
        got[used] = '\0';
    return -1;
}

//  The status of an HTTP answer ("HTTP/1.1 413 ..."), or 0.
static int
s_status (const char *answer)
{
    int status = 0;
    return sscanf (answer, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}

//  Send text one byte every TRICKLE_MS, reading meanwhile, until the server
//  closes the connection or for_ms passes. Returns the milliseconds until
//  it closed, or -1; got gets the start of the answer.
static int
s_trickle (int fd, const char *text, int for_ms, char *got, size_t size)
{
    int64_t start = zclock_mono ();
    size_t sent = 0, used = 0;
    got[0] = '\0';
    while (zclock_mono () - start < for_ms) {
        if (text[sent] && send (fd, text + sent, 1, MSG_NOSIGNAL) == 1)
            sent++;
        struct pollfd item = {fd, POLLIN, 0};
        if (poll (&item, 1, TRICKLE_MS) > 0) {
            char scratch[1024];
            ssize_t n = recv (fd, scratch, sizeof scratch, 0);
            if (n <= 0)
                return (int) (zclock_mono () - start);
            size_t take = (size_t) n < size - used - 1 ? (size_t) n : size - used - 1;
            memcpy (got + used, scratch, take);
            got[used += take] = '\0';
        }
    }
    return -1;
}

// ---------------------------------------------------------------------------
//  The normal client

//  The next entry of publish_sequence.json is acknowledged with its
//  next arguments, and a query answers.
static void
s_normal_client_works (fixture_t *f)
{
    panda_http_t *http = panda_fixture_connect (f->node);
    json_t *v = panda_fixture_sequence_entry (f->published);
    int status;
    json_t *answer = panda_fixture_publish_sequence_entry (http, f->published++, &status);
    assert_int_equal (status, 200);
    json_t *got = json_object_get (json_object_get (answer, "data"), "publish");
    json_t *after = json_object_get (v, "next_args_after");
    if (!got || !json_equal (json_object_get (got, "seqNum"), json_object_get (after, "seq_num")) ||
        !json_equal (json_object_get (got, "logId"), json_object_get (after, "log_id"))) {
        char *text = json_dumps (answer, JSON_COMPACT);
        fail_msg ("publish %zu: %s", f->published - 1, text);
    }
    json_decref (answer);
    answer = panda_http_graphql (http, "{ all_schema_definition_v1 { totalCount } }", NULL, NULL, &status);
    assert_int_equal (status, 200);
    assert_true (json_is_integer (json_object_get (
        json_object_get (json_object_get (answer, "data"), "all_schema_definition_v1"), "totalCount")));
    json_decref (answer);
    panda_http_destroy (&http);
}

//  A GET answered within timeout_ms by a normal client; returns the
//  milliseconds it took.
static int
s_normal_get_ms (fixture_t *f, int timeout_ms)
{
    int64_t start = zclock_mono ();
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_fixture_port (f->node), timeout_ms);
    assert_non_null (http);
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/graphql", NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 200);
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
    return (int) (zclock_mono () - start);
}

// ---------------------------------------------------------------------------
//  Connections

//  From one address, connections over the limit are answered 429 and
//  closed at once, while those within it stay open; another address is
//  served meanwhile.
static void
test_connections_per_address (void **state)
{
    fixture_t *f = s_fixture ();
    int port = panda_fixture_port (f->node), fds[2 * PER_ADDRESS], refused = 0;
    for (int i = 0; i < 2 * PER_ADDRESS; i++)
        fds[i] = s_connect_from ("127.0.0.2", port);
    //  Which ones a worker takes first is up to the server: count. This
    //  takes less than the header timeout, which would close the others.
    for (int i = 0; i < 2 * PER_ADDRESS; i++) {
        char answer[512];
        int closed_ms = s_read_to_close (fds[i], PROMPT_MS / 4, answer, sizeof answer);
        if (closed_ms >= 0) {
            if (s_status (answer) != 429 || !strstr (answer, "http_max_connections_per_address"))
                fail_msg ("connection %d closed without the 429: '%s'", i, answer);
            refused++;
        }
    }
    assert_int_equal (refused, PER_ADDRESS);
    assert_true (s_normal_get_ms (f, PROMPT_MS) < PROMPT_MS);
    for (int i = 0; i < 2 * PER_ADDRESS; i++)
        close (fds[i]);
    s_normal_client_works (f);
}

//  Idle connections from many addresses take every worker; the header
//  timeout frees them, and a normal client waiting meanwhile is served
//  once it does.
static void
test_idle_connections_time_out (void **state)
{
    fixture_t *f = s_fixture ();
    int port = panda_fixture_port (f->node), fds[THREADS];
    for (int i = 0; i < THREADS; i++)
        fds[i] = s_connect_index (i, port);
    int waited = s_normal_get_ms (f, HEADER_MS + SLACK_MS);
    assert_true (waited < HEADER_MS + SLACK_MS);
    for (int i = 0; i < THREADS; i++) {
        int closed = s_read_to_close (fds[i], HEADER_MS + SLACK_MS, NULL, 0);
        if (closed < 0)
            fail_msg ("idle connection %d still open after %d ms", i, HEADER_MS + SLACK_MS);
        close (fds[i]);
    }
    s_normal_client_works (f);
}

//  A head sent one byte at a time is cut at the header timeout.
static void
test_slow_head (void **state)
{
    fixture_t *f = s_fixture ();
    int fd = s_connect_from ("127.0.0.3", panda_fixture_port (f->node));
    char answer[512];
    //  Long enough to last 12 s at one byte per TRICKLE_MS.
    const char *head = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    int closed = s_trickle (fd, head, HEADER_MS + SLACK_MS, answer, sizeof answer);
    close (fd);
    if (closed < 0)
        fail_msg ("a head trickling in for %d ms was not cut", HEADER_MS + SLACK_MS);
    s_normal_client_works (f);
}

//  A body sent one byte at a time gets 408 at the body timeout and the
//  connection closes, with Content-Length and chunked alike.
static void
test_slow_body (void **state)
{
    fixture_t *f = s_fixture ();
    const char *heads[] = {"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n",
                           "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"};
    const char *bodies[] = {
        "{\"query\":\"{ __typename }\"                                            }",
        "1\r\n{\r\n1\r\n\"\r\n1\r\nq\r\n1\r\nu\r\n1\r\ne\r\n1\r\nr\r\n1\r\ny\r\n1\r\n\"\r\n"};
    for (int i = 0; i < 2; i++) {
        int fd = s_connect_from ("127.0.0.4", panda_fixture_port (f->node));
        s_send_all (fd, heads[i], strlen (heads[i]));
        char answer[1024];
        int closed = s_trickle (fd, bodies[i], BODY_MS + SLACK_MS, answer, sizeof answer);
        close (fd);
        if (closed < 0 || s_status (answer) != 408 || !strstr (answer, "http_body_timeout_ms") ||
            !strcasestr (answer, "Connection: close"))
            fail_msg ("%s body: closed after %d ms with '%s'", i ? "chunked" : "Content-Length", closed,
                      answer);
        assert_true (closed >= BODY_MS - TRICKLE_MS);
    }
    s_normal_client_works (f);
}

//  A Content-Length over the limit is answered 413 before any of the body
//  is read, and the connection closes; so do the other routes, which read
//  no body at all.
static void
test_content_length_over_limit (void **state)
{
    fixture_t *f = s_fixture ();
    struct {
        const char *head;
        int status;
        const char *says;
    } cases[] = {
        {"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n", 413,
         "http_max_body_bytes (300000 bytes)"},
        {"POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n", 404, NULL},
        {"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", 200, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = s_connect_from ("127.0.0.5", panda_fixture_port (f->node));
        s_send_all (fd, cases[i].head, strlen (cases[i].head));
        static char answer[65536];
        int closed = s_read_to_close (fd, PROMPT_MS, answer, sizeof answer);
        close (fd);
        if (closed < 0 || s_status (answer) != cases[i].status ||
            (cases[i].says && !strstr (answer, cases[i].says)))
            fail_msg ("%s: closed after %d ms with '%.200s'", cases[i].head, closed, answer);
    }
    s_normal_client_works (f);
}

//  A chunked body over the limit is answered 413 and the connection closes
//  while the client still sends: the server does not read the rest.
static void
test_chunked_over_limit (void **state)
{
    fixture_t *f = s_fixture ();
    int fd = s_connect_from ("127.0.0.6", panda_fixture_port (f->node));
    const char *head = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    s_send_all (fd, head, strlen (head));
    //  Up to 64 MiB in 16 KiB chunks, as fast as the server takes them.
    static char chunk[16384 + 16];
    int header = snprintf (chunk, sizeof chunk, "4000\r\n");
    memset (chunk + header, 'x', 16384);
    memcpy (chunk + header + 16384, "\r\n", 2);
    size_t chunk_len = (size_t) header + 16384 + 2, sent = 0, offset = 0, used = 0;
    char answer[1024] = "";
    bool closed = false, send_failed = false;
    int64_t deadline = zclock_mono () + PROMPT_MS + SLACK_MS;
    while (!closed && zclock_mono () < deadline && sent < (64u << 20)) {
        struct pollfd item = {fd, POLLIN | (send_failed ? 0 : POLLOUT), 0};
        if (poll (&item, 1, 50) <= 0)
            continue;
        if (item.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv (fd, answer + used, sizeof answer - used - 1, MSG_DONTWAIT);
            if (n <= 0 && !(n < 0 && errno == EAGAIN))
                closed = true;
            else if (n > 0)
                answer[used += (size_t) n] = '\0';
        }
        if (!send_failed && (item.revents & POLLOUT)) {
            ssize_t n = send (fd, chunk + offset, chunk_len - offset, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN)
                send_failed = true;
            else if (n > 0) {
                sent += (size_t) n;
                offset = (offset + (size_t) n) % chunk_len;
            }
        }
    }
    close (fd);
    if (!closed || s_status (answer) != 413 || !strstr (answer, "http_max_body_bytes"))
        fail_msg ("after %zu bytes sent: %s, answer '%s'", sent, closed ? "closed" : "still open", answer);
    s_normal_client_works (f);
}

//  Bodies being read share http_max_body_memory_bytes: one that does not
//  fit gets 503 with Retry-After at once, a small one still fits, and the
//  memory is back once the bodies are gone.
static void
test_body_memory_budget (void **state)
{
    fixture_t *f = s_fixture ();
    const char *args[] = {"--http-max-body-bytes", "100000", "--http-max-body-memory-bytes", "250000", NULL};
    s_other_start (f, args);
    int port = panda_fixture_port (f->other), held[2];
    const char *big = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{";
    //  Two bodies of 100000 bytes are being read: 200002 of 250000 taken.
    for (int i = 0; i < 2; i++) {
        held[i] = s_connect_index (70 + i, port);
        s_send_all (held[i], big, strlen (big));
    }
    char answer[1024];
    //  A generous deadline: the two are taken by workers at once, unless
    //  the machine is very busy; a refusal ends the wait at once.
    int64_t until = zclock_mono () + REQUEST_MS;
    bool refused = false;
    //  The third waits for nothing: 503 (once the two are being read).
    while (!refused && zclock_mono () < until) {
        int fd = s_connect_index (72, port);
        s_send_all (fd, big, strlen (big));
        int closed = s_read_to_close (fd, PROMPT_MS, answer, sizeof answer);
        close (fd);
        refused = closed >= 0 && s_status (answer) == 503;
    }
    if (!refused || !strstr (answer, "http_max_body_memory_bytes") || !strcasestr (answer, "Retry-After: 1"))
        fail_msg ("third body: '%s'", answer);
    panda_http_t *http = panda_fixture_connect (f->other);
    int status;
    json_t *small = panda_http_graphql (http, "{ __typename }", NULL, NULL, &status);
    assert_int_equal (status, 200);
    json_decref (small);
    for (int i = 0; i < 2; i++)
        close (held[i]);
    //  Freed when their reads end (the server sees the close at once): a
    //  whole body of 100000 bytes is read and answered again.
    static char full[100000 + 1];
    int n = snprintf (full, sizeof full, "{\"query\":\"{ __typename }\",\"pad\":\"");
    memset (full + n, 'x', sizeof full - 1 - (size_t) n - 2);
    memcpy (full + sizeof full - 3, "\"}", 3);
    until = zclock_mono () + REQUEST_MS;
    panda_http_response_t resp = {0};
    do {
        panda_http_response_release (&resp);
        assert_int_equal (panda_http_request (http, "POST", "/graphql", NULL, full, strlen (full), &resp), 0);
    } while (resp.status == 503 && zclock_mono () < until);
    if (resp.status != 200 || strcmp (resp.body, "{\"data\":{\"__typename\":\"Query\"}}") != 0)
        fail_msg ("a body of 100000 bytes after the others left: %d '%s'", resp.status, resp.body);
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
    assert_int_equal (panda_fixture_stop (&f->other), 0);
}

// ---------------------------------------------------------------------------
//  Requests that run long

//  A graphql_max_cost under which the heavy query runs (its estimate is
//  far above the default: it is the kind of request the budget refuses).
#define S_NO_COST_LIMIT "1000000000"

//  A query of HEAVY_ALIASES collections (one SQL query each).
static char *
s_heavy_query (void)
{
    size_t size = 64 + HEAVY_ALIASES * 64, used = 0;
    char *text = malloc (size);
    assert_non_null (text);
    used += (size_t) snprintf (text, size, "{\"query\":\"{");
    for (int i = 0; i < HEAVY_ALIASES; i++)
        used +=
            (size_t) snprintf (text + used, size - used, " a%d: all_schema_definition_v1 { totalCount }", i);
    snprintf (text + used, size - used, " }\"}");
    return text;
}

static int
s_post_raw (int fd, const char *body)
{
    char head[256];
    int n =
        snprintf (head, sizeof head,
                  "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n", strlen (body));
    s_send_all (fd, head, (size_t) n);
    s_send_all (fd, body, strlen (body));
    return 0;
}

//  A request past graphql_timeout_ms is stopped with that error.
static void
test_graphql_timeout (void **state)
{
    fixture_t *f = s_fixture ();
    //  The cost budget would refuse the heavy query before it runs.
    const char *args[] = {"--graphql-timeout-ms", "100", "--graphql-max-cost", S_NO_COST_LIMIT, NULL};
    s_other_start (f, args);
    panda_http_t *http = panda_fixture_connect (f->other);
    char *query = s_heavy_query ();
    panda_http_response_t resp;
    int64_t start = zclock_mono ();
    assert_int_equal (panda_http_request (http, "POST", "/graphql", NULL, query, strlen (query), &resp), 0);
    int took = (int) (zclock_mono () - start);
    assert_int_equal (resp.status, 200);
    if (!strstr (resp.body, "\"data\":null") || !strstr (resp.body, "Request timed out (graphql_timeout_ms)"))
        fail_msg ("after %d ms: %.300s", took, resp.body);
    assert_true (took < 100 + SLACK_MS);
    panda_http_response_release (&resp);
    //  Quick requests are not hit.
    assert_int_equal (
        panda_http_request (http, "POST", "/graphql", NULL, "{\"query\":\"{ __typename }\"}", 26, &resp), 0);
    assert_string_equal (resp.body, "{\"data\":{\"__typename\":\"Query\"}}");
    panda_http_response_release (&resp);
    free (query);
    panda_http_destroy (&http);
    assert_int_equal (panda_fixture_stop (&f->other), 0);
}

//  Clients that leave while their requests run stop costing: the node
//  goes idle within moments, long before the requests would end.
static void
test_client_disconnect (void **state)
{
    fixture_t *f = s_fixture ();
    enum { CLIENTS = 4 };
    //  graphql_timeout_ms stays at its default: nothing else ends them.
    const char *args[] = {"--http-threads", "16", "--graphql-max-cost", S_NO_COST_LIMIT, NULL};
    s_other_start (f, args);
    int port = panda_fixture_port (f->other), fds[CLIENTS];
    char *query = s_heavy_query ();
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = s_connect_index (20 + i, port);
        s_post_raw (fds[i], query);
    }
    free (query);
    //  They leave while running; CPU is measured from 500 ms later (past
    //  the GraphQL validation of all of them), for 300 ms. These pauses are
    //  the load's duration, not a synchronisation.
    struct timespec run = {0, 200 * 1000000}, settle = {0, 500 * 1000000}, window = {0, 300 * 1000000};
    nanosleep (&run, NULL);
    int64_t busy = panda_pandad_cpu_ms (panda_fixture_pandad (f->other));
    assert_true (busy >= 0);
    for (int i = 0; i < CLIENTS; i++)
        close (fds[i]);
    nanosleep (&settle, NULL);
    int64_t left_at = panda_pandad_cpu_ms (panda_fixture_pandad (f->other));
    assert_true (left_at >= 0);
    nanosleep (&window, NULL);
    int64_t idle = panda_pandad_cpu_ms (panda_fixture_pandad (f->other)) - left_at;
    //  Running on, the requests (seconds of work each with sanitizers)
    //  would keep at least one core busy: 300 ms of CPU.
    if (idle > 75)
        fail_msg ("%lld ms of CPU in a 300 ms window after the clients left (%lld ms before)",
                  (long long) idle, (long long) busy);
    assert_int_equal (panda_fixture_stop (&f->other), 0);
}

// ---------------------------------------------------------------------------
//  Shutdown

//  SIGTERM with requests running, a body trickling in and idle keep-alive
//  connections: the node exits in well under shutdown_timeout_ms, and the
//  running requests are told why.
static void
test_sigterm_with_requests_in_flight (void **state)
{
    fixture_t *f = s_fixture ();
    const char *args[] = {"--http-threads", "16", "--shutdown-timeout-ms", "5000", "--graphql-max-cost",
                          S_NO_COST_LIMIT,  NULL};
    s_other_start (f, args);
    int port = panda_fixture_port (f->other), heavy[4], slow, idle[4];
    char *query = s_heavy_query ();
    for (int i = 0; i < 4; i++) {
        heavy[i] = s_connect_index (40 + i, port);
        s_post_raw (heavy[i], query);
        idle[i] = s_connect_index (50 + i, port);
    }
    free (query);
    slow = s_connect_index (60, port);
    const char *head = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{";
    s_send_all (slow, head, strlen (head));
    struct timespec pause = {0, 200 * 1000000};
    nanosleep (&pause, NULL); //  the requests are running: not a synchronisation
    int64_t start = zclock_mono ();
    assert_int_equal (panda_fixture_stop (&f->other), 0);
    int took = (int) (zclock_mono () - start);
    fprintf (stderr, "pandad exited %d ms after SIGTERM\n", took);
    assert_true (took < 5000 / 2 + SLACK_MS);
    //  The body coming in was cut; the running requests were answered (the
    //  node is shutting down) or, if they had finished, with their data.
    char cut[1024];
    s_read_to_close (slow, PROMPT_MS, cut, sizeof cut);
    if (s_status (cut) != 503 || !strstr (cut, "Node is shutting down"))
        fail_msg ("the body being read: '%s'", cut);
    for (int i = 0; i < 4; i++) {
        static char answer[65536];
        s_read_to_close (heavy[i], PROMPT_MS, answer, sizeof answer);
        if (s_status (answer) != 200 ||
            (!strstr (answer, "Node is shutting down") && !strstr (answer, "\"data\":{")))
            fail_msg ("heavy request %d: '%.300s'", i, answer);
        close (heavy[i]);
        close (idle[i]);
    }
    close (slow);
}

// ---------------------------------------------------------------------------

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f)
        return -1;
    s_fixture_p = f;
    if (panda_fixture_available ())
        f->node = panda_fixture_start (s_node_args, START_MS, REQUEST_MS);
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = s_fixture_p;
    panda_fixture_stop (&f->other);
    int rc = panda_fixture_stop (&f->node) == 0 ? 0 : -1;
    free (f);
    s_fixture_p = NULL;
    return rc;
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_connections_per_address),
        cmocka_unit_test (test_idle_connections_time_out),
        cmocka_unit_test (test_slow_head),
        cmocka_unit_test (test_slow_body),
        cmocka_unit_test (test_content_length_over_limit),
        cmocka_unit_test (test_chunked_over_limit),
        cmocka_unit_test (test_body_memory_budget),
        cmocka_unit_test (test_graphql_timeout),
        cmocka_unit_test (test_client_disconnect),
        cmocka_unit_test (test_sigterm_with_requests_in_flight),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
