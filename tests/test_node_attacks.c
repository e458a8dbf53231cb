/*  test_node_attacks.c - hostile GraphQL requests against the real pandad.

    Each attack a client on the open internet can send in one request:
    JSON nested a thousand deep (in the variables, in a key nobody reads),
    fragments that double per level, hundreds of aliases of a list, deep
    selections and deep input objects, bodies far over the limit (with a
    Content-Length and chunked), bodies of millions of tiny JSON values.
    Every one must get a clear error (or, for an oversized body, 413 and a
    closed connection) within seconds, the node's memory must stay bounded,
    and a normal client polling the node on its own connection throughout
    must get every answer. Connection-level attacks (idle and slow clients)
    are in test_node_hostile.c.                                            */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define REQUEST_MS 20000
#define ATTACK_MS 8000 //  longest an attack may keep its answer waiting (ASan, 2 loaded cores)
#define NORMAL_MS 3000 //  longest a normal request may wait meanwhile

typedef struct {
    panda_fixture_t *node;
    int port;
    pthread_t normal;
    atomic_bool stop;
    //  the normal client's record
    atomic_int answered, failed;
    atomic_llong worst_ms;
} fixture_t;

//  A normal client: asks a small query again and again on its own
//  keep-alive connection and records how long each answer took.
static void *
s_normal_client (void *args)
{
    fixture_t *f = args;
    panda_http_t *http = panda_http_connect ("127.0.0.1", f->port, REQUEST_MS);
    while (http && !atomic_load (&f->stop)) {
        int64_t start = zclock_mono ();
        int status;
        json_t *answer = panda_http_graphql (http, "{ __typename }", NULL, NULL, &status);
        int64_t took = zclock_mono () - start;
        const char *type =
            json_string_value (json_object_get (json_object_get (answer, "data"), "__typename"));
        if (status == 200 && type && strcmp (type, "Query") == 0)
            atomic_fetch_add (&f->answered, 1);
        else
            atomic_fetch_add (&f->failed, 1);
        json_decref (answer);
        if (took > atomic_load (&f->worst_ms))
            atomic_store (&f->worst_ms, took);
    }
    if (!http)
        atomic_fetch_add (&f->failed, 1);
    panda_http_destroy (&http);
    return NULL;
}

//  The node's resident memory in kB ("VmRSS" or the peak, "VmHWM").
static long
s_memory_kb (int pid, const char *which)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen (path, "r");
    long kb = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, which, strlen (which)) == 0)
            kb = strtol (line + strlen (which) + 1, NULL, 10);
    if (f)
        fclose (f);
    return kb;
}

//  POST body to /graphql on a fresh connection. Returns the status (-1:
//  connection closed without an answer); *text gets the body (free it).
static int
s_post (fixture_t *f, const char *body, size_t len, char **text)
{
    panda_http_t *http = panda_http_connect ("127.0.0.1", f->port, ATTACK_MS);
    assert_non_null (http);
    panda_http_response_t resp;
    int64_t start = zclock_mono ();
    int rc =
        panda_http_request (http, "POST", "/graphql", "Content-Type: application/json\r\n", body, len, &resp);
    int64_t took = zclock_mono () - start;
    if (took > ATTACK_MS)
        fail_msg ("the node took %lld ms to answer an attack", (long long) took);
    int status = rc == 0 ? resp.status : -1;
    if (text)
        *text = rc == 0 ? strdup (resp.body) : strdup ("");
    if (rc == 0)
        panda_http_response_release (&resp);
    panda_http_destroy (&http);
    return status;
}

//  The attack is answered with a request error whose text has `expect`.
static void
s_expect_error (fixture_t *f, const char *what, const char *body, size_t len, const char *expect)
{
    char *text;
    int status = s_post (f, body, len, &text);
    if ((status != 200 && status != 400) || !strstr (text, expect))
        fail_msg ("%s: status %d, answer %.300s (want \"%s\")", what, status, text, expect);
    free (text);
}

static char *
s_repeat (const char *head, const char *unit, size_t times, const char *middle, const char *close_unit,
          const char *tail)
{
    size_t len =
        strlen (head) + times * (strlen (unit) + strlen (close_unit)) + strlen (middle) + strlen (tail);
    char *out = malloc (len + 1), *p = out;
    p = stpcpy (p, head);
    for (size_t i = 0; i < times; i++)
        p = stpcpy (p, unit);
    p = stpcpy (p, middle);
    for (size_t i = 0; i < times; i++)
        p = stpcpy (p, close_unit);
    stpcpy (p, tail);
    return out;
}

static void
test_deep_json (void **state)
{
    fixture_t *f = *state;
    char *body = s_repeat ("{\"query\":\"{ __typename }\",\"variables\":{\"x\":", "[", 1000, "0", "]", "}}");
    s_expect_error (f, "1000-deep variables", body, strlen (body), "nested deeper");
    free (body);
    body = s_repeat ("{\"query\":\"{ __typename }\",\"unused\":", "{\"a\":", 5000, "0", "}", "}");
    s_expect_error (f, "5000-deep unused key", body, strlen (body), "nested deeper");
    free (body);
}

static void
test_many_values (void **state)
{
    fixture_t *f = *state;
    //  Under the body limit, but 400 000 values.
    char *body =
        s_repeat ("{\"query\":\"{ __typename }\",\"variables\":{\"x\":[0", ",0", 400000, "", "", "]}}");
    long before = s_memory_kb (panda_pandad_pid (panda_fixture_pandad (f->node)), "VmRSS");
    s_expect_error (f, "400 000 values", body, strlen (body), "values");
    long after = s_memory_kb (panda_pandad_pid (panda_fixture_pandad (f->node)), "VmHWM");
    print_message ("400 000 values: RSS %ld kB before, peak %ld kB after\n", before, after);
    free (body);
}

//  F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 spreads unfolded.
static void
test_fragment_doubling (void **state)
{
    fixture_t *f = *state;
    char query[8192];
    size_t used = (size_t) snprintf (query, sizeof query, "query Q { ...F0 } ");
    for (int i = 0; i < 40; i++)
        used += (size_t) snprintf (query + used, sizeof query - used,
                                   "fragment F%d on Query { ...F%d ...F%d } ", i, i + 1, i + 1);
    snprintf (query + used, sizeof query - used, "fragment F40 on Query { __typename }");
    json_t *req = json_pack ("{s:s}", "query", query);
    char *body = json_dumps (req, JSON_COMPACT);
    char *text;
    int status = s_post (f, body, strlen (body), &text);
    //  Each fragment is collected once: the answer is one __typename.
    if (status != 200 || !strstr (text, "\"__typename\":\"Query\""))
        fail_msg ("doubling fragments: status %d, answer %.300s", status, text);
    free (text);
    free (body);
    json_decref (req);
}

static void
test_deep_selections (void **state)
{
    fixture_t *f = *state;
    char *body = s_repeat ("{\"query\":\"", "{ __schema { types ", 1000, "", "} }", "\"}");
    char *text;
    int status = s_post (f, body, strlen (body), &text);
    if (status != 200 || !strstr (text, "\"errors\""))
        fail_msg ("1000-deep selections: status %d, answer %.300s", status, text);
    free (text);
    free (body);
}

static void
test_costly_aliases (void **state)
{
    fixture_t *f = *state;
    //  1000 aliases, each asking for every type with every field, its type
    //  and its arguments: a few hundred fields each, cheap alone.
    size_t cap = 1000 * 128 + 64;
    char *query = malloc (cap);
    size_t used = (size_t) snprintf (query, cap, "{ ");
    for (int i = 0; i < 1000; i++)
        used += (size_t) snprintf (query + used, cap - used, "a%d: __schema { ...T } ", i);
    used += (size_t) snprintf (query + used, cap - used,
                               "} fragment T on __Schema { types { name fields { name type { name } args { "
                               "name type { name } } } } ");
    snprintf (query + used, cap - used, "}");
    json_t *req = json_pack ("{s:s}", "query", query);
    char *body = json_dumps (req, JSON_COMPACT);
    s_expect_error (f, "1000 aliases of the schema", body, strlen (body), "too expensive");
    free (body);
    json_decref (req);
    free (query);
}

//  Send a body far over the limit on a raw socket: the node must answer
//  413 (or close) long before the body is through, without buffering it.
static void
s_oversized (fixture_t *f, bool chunked)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) f->port)};
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    struct timeval tv = {ATTACK_MS / 1000, 0};
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    const size_t total = 63u << 20;
    char head[256];
    int n = chunked ? snprintf (head, sizeof head,
                                "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n")
                    : snprintf (head, sizeof head,
                                "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: %zu\r\n\r\n",
                                total);
    assert_true (send (fd, head, (size_t) n, MSG_NOSIGNAL) == n);
    static char block[65536 + 16];
    size_t sent = 0;
    int64_t start = zclock_mono ();
    while (sent < total && zclock_mono () - start < ATTACK_MS) {
        size_t len = 0;
        if (chunked)
            len = (size_t) snprintf (block, sizeof block, "10000\r\n");
        memset (block + len, chunked ? '0' : '[', 65536);
        len += 65536;
        if (chunked)
            memcpy (block + len, "\r\n", 2), len += 2;
        ssize_t w = send (fd, block, len, MSG_NOSIGNAL);
        if (w <= 0)
            break; //  the node closed: what we want
        sent += (size_t) w;
    }
    char answer[512] = {0};
    ssize_t got = recv (fd, answer, sizeof answer - 1, 0);
    close (fd);
    bool refused = got <= 0 || strncmp (answer, "HTTP/1.1 413", 12) == 0;
    if (!refused || sent >= total)
        fail_msg ("%s body of 63 MiB: sent %zu bytes, answer %.80s", chunked ? "chunked" : "sized", sent,
                  answer);
}

static void
test_oversized_bodies (void **state)
{
    fixture_t *f = *state;
    long before = s_memory_kb (panda_pandad_pid (panda_fixture_pandad (f->node)), "VmRSS");
    s_oversized (f, false);
    s_oversized (f, true);
    long peak = s_memory_kb (panda_pandad_pid (panda_fixture_pandad (f->node)), "VmHWM");
    print_message ("oversized bodies: RSS %ld kB before, peak %ld kB\n", before, peak);
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    *state = f;
    int rc = panda_fixture_setup (&f->node, NULL);
    if (rc || !f->node)
        return rc;
    f->port = panda_fixture_port (f->node);
    return pthread_create (&f->normal, NULL, s_normal_client, f) == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    int rc = 0;
    if (f->node) {
        atomic_store (&f->stop, true);
        pthread_join (f->normal, NULL);
        print_message ("normal client: %d answered, %d failed, slowest %lld ms\n", atomic_load (&f->answered),
                       atomic_load (&f->failed), (long long) atomic_load (&f->worst_ms));
        if (atomic_load (&f->failed) || !atomic_load (&f->answered) || atomic_load (&f->worst_ms) > NORMAL_MS)
            rc = -1;
        if (panda_fixture_stop (&f->node) != 0)
            rc = -1;
    }
    free (f);
    return rc;
}

#define S_TEST(fn) cmocka_unit_test_setup_teardown (fn, s_setup, s_teardown)

int
main (void)
{
    if (!panda_fixture_available ())
        return 0;
    const struct CMUnitTest tests[] = {
        S_TEST (test_deep_json),       S_TEST (test_many_values),    S_TEST (test_fragment_doubling),
        S_TEST (test_deep_selections), S_TEST (test_costly_aliases), S_TEST (test_oversized_bodies),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
