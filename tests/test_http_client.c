/*  test_http_client.c - the test HTTP client (panda_http) against an
    in-process civetweb server (keep-alive, Content-Length, chunked, HEAD,
    204) and a scripted raw socket server (closing, reading until close,
    retry on a dead kept-alive connection, timeout).                        */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <civetweb.h>

#include "panda_test.h"
#include "panda_http.h"

#define TIMEOUT_MS 5000

//  --- civetweb server ------------------------------------------------------

static void
s_send (struct mg_connection *conn, int status, const char *type, const char *body, size_t len)
{
    char port[16], length[24];
    snprintf (port, sizeof port, "%d", mg_get_request_info (conn)->remote_port);
    snprintf (length, sizeof length, "%zu", len);
    mg_response_header_start (conn, status);
    mg_response_header_add (conn, "X-Client-Port", port, -1);
    mg_response_header_add (conn, "Vary", "one", -1);
    mg_response_header_add (conn, "Vary", "two", -1);
    if (type)
        mg_response_header_add (conn, "Content-Type", type, -1);
    if (status != 204)
        mg_response_header_add (conn, "Content-Length", length, -1);
    mg_response_header_send (conn);
    if (strcmp (mg_get_request_info (conn)->request_method, "HEAD") != 0 && len)
        mg_write (conn, body, len);
}

static int
s_handle_plain (struct mg_connection *conn, void *cbdata)
{
    s_send (conn, 200, "text/plain", "hello world", 11);
    return 200;
}

static int
s_handle_empty (struct mg_connection *conn, void *cbdata)
{
    s_send (conn, 204, NULL, "", 0);
    return 204;
}

static int
s_handle_echo (struct mg_connection *conn, void *cbdata)
{
    char buf[4096];
    size_t len = 0;
    int n;
    while (len < sizeof buf && (n = mg_read (conn, buf + len, sizeof buf - len)) > 0)
        len += (size_t) n;
    s_send (conn, 200, "application/json", buf, len);
    return 200;
}

//  Chunked: "abc", "defgh", then 100000 bytes of 'x' in 1000-byte chunks.
static int
s_handle_chunked (struct mg_connection *conn, void *cbdata)
{
    mg_send_http_ok (conn, "text/plain", -1);
    mg_send_chunk (conn, "abc", 3);
    mg_send_chunk (conn, "defgh", 5);
    char block[1000];
    memset (block, 'x', sizeof block);
    for (int i = 0; i < 100; i++)
        mg_send_chunk (conn, block, sizeof block);
    mg_send_chunk (conn, "", 0);
    return 200;
}

//  One server for the whole group: civetweb takes ~2 s to stop.
static struct mg_context *s_ctx;
static int s_port;

static struct mg_context *
s_civetweb_start (int *port)
{
    const char *options[] = {
        "listening_ports", "127.0.0.1:0", "enable_keep_alive", "yes", "num_threads", "4", NULL};
    struct mg_callbacks callbacks;
    memset (&callbacks, 0, sizeof callbacks);
    struct mg_context *ctx = mg_start (&callbacks, NULL, options);
    assert_non_null (ctx);
    mg_set_request_handler (ctx, "/plain$", s_handle_plain, NULL);
    mg_set_request_handler (ctx, "/empty$", s_handle_empty, NULL);
    mg_set_request_handler (ctx, "/echo$", s_handle_echo, NULL);
    mg_set_request_handler (ctx, "/chunked$", s_handle_chunked, NULL);
    struct mg_server_port ports[2];
    assert_int_equal (mg_get_server_ports (ctx, 2, ports), 1);
    *port = ports[0].port;
    assert_true (*port > 0);
    return ctx;
}

static void
test_keep_alive_and_content_length (void **state)
{
    int port = s_port;
    panda_http_t *http = panda_http_connect ("127.0.0.1", port, TIMEOUT_MS);
    assert_non_null (http);
    char first[16], value[64];
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/plain", NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 200);
    assert_int_equal (resp.body_len, 11);
    assert_string_equal (resp.body, "hello world");
    assert_string_equal (panda_http_header (&resp, "Content-Type", value, sizeof value), "text/plain");
    assert_non_null (panda_http_header (&resp, "x-client-port", first, sizeof first));
    assert_int_equal (panda_http_header_count (&resp, "vary"), 2);
    assert_string_equal (panda_http_header_nth (&resp, "vary", 1, value, sizeof value), "two");
    assert_null (panda_http_header_nth (&resp, "vary", 2, value, sizeof value));
    assert_null (panda_http_header (&resp, "x-missing", value, sizeof value));
    panda_http_response_release (&resp);
    //  Same client port on later requests: the connection was reused.
    for (int i = 0; i < 5; i++) {
        const char *body = "{\"n\":1}";
        assert_int_equal (panda_http_request (http, "POST", "/echo", "Content-Type: application/json\r\n",
                                              body, strlen (body), &resp),
                          0);
        assert_int_equal (resp.status, 200);
        assert_string_equal (resp.body, body);
        assert_string_equal (panda_http_header (&resp, "x-client-port", value, sizeof value), first);
        panda_http_response_release (&resp);
    }
    panda_http_destroy (&http);
    assert_null (http);
}

static void
test_chunked_head_and_no_content (void **state)
{
    int port = s_port;
    panda_http_t *http = panda_http_connect ("127.0.0.1", port, TIMEOUT_MS);
    assert_non_null (http);
    char first[16], value[64];
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/chunked", NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 200);
    assert_string_equal (panda_http_header (&resp, "transfer-encoding", value, sizeof value), "chunked");
    assert_int_equal (resp.body_len, 8 + 100000);
    assert_memory_equal (resp.body, "abcdefghxxx", 11);
    assert_int_equal (resp.body[resp.body_len - 1], 'x');
    panda_http_response_release (&resp);
    //  HEAD: headers announce 11 bytes, none follow.
    assert_int_equal (panda_http_request (http, "HEAD", "/plain", NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 200);
    assert_string_equal (panda_http_header (&resp, "content-length", value, sizeof value), "11");
    assert_int_equal (resp.body_len, 0);
    assert_non_null (panda_http_header (&resp, "x-client-port", first, sizeof first));
    panda_http_response_release (&resp);
    assert_int_equal (panda_http_request (http, "GET", "/empty", NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 204);
    assert_int_equal (resp.body_len, 0);
    panda_http_response_release (&resp);
    //  The connection is still in step after all three.
    assert_int_equal (panda_http_request (http, "GET", "/plain", NULL, NULL, 0, &resp), 0);
    assert_string_equal (resp.body, "hello world");
    assert_string_equal (panda_http_header (&resp, "x-client-port", value, sizeof value), first);
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
}

//  --- scripted raw server ---------------------------------------------------
//  Steps: "R<reply>" read one request and send reply; "C" close the
//  connection; "X" read one request and close without answering. A closed
//  connection is reported on the notify pipe; the next step accepts anew.

typedef struct {
    int listen_fd, port, notify[2], accepted;
    const char *const *steps;
    pthread_t thread;
} s_raw_t;

static void
s_read_request (int fd)
{
    char buf[4096];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        ssize_t n = read (fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            return;
        len += (size_t) n;
        buf[len] = 0;
        if (strstr (buf, "\r\n\r\n"))
            return;
    }
}

static void *
s_raw_run (void *arg)
{
    s_raw_t *raw = arg;
    int fd = -1;
    for (const char *const *step = raw->steps; *step; step++) {
        if (fd < 0) {
            fd = accept (raw->listen_fd, NULL, NULL);
            raw->accepted++;
        }
        if (**step == 'R' || **step == 'X')
            s_read_request (fd);
        if (**step == 'R')
            (void) !write (fd, *step + 1, strlen (*step + 1));
        else {
            close (fd);
            fd = -1;
            (void) !write (raw->notify[1], "c", 1);
        }
    }
    if (fd >= 0)
        close (fd);
    return NULL;
}

static void
s_raw_start (s_raw_t *raw, const char *const *steps, bool serve)
{
    memset (raw, 0, sizeof *raw);
    raw->steps = steps;
    raw->listen_fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    assert_int_equal (bind (raw->listen_fd, (struct sockaddr *) &addr, len), 0);
    assert_int_equal (listen (raw->listen_fd, 4), 0);
    assert_int_equal (getsockname (raw->listen_fd, (struct sockaddr *) &addr, &len), 0);
    raw->port = ntohs (addr.sin_port);
    assert_int_equal (pipe (raw->notify), 0);
    if (serve)
        assert_int_equal (pthread_create (&raw->thread, NULL, s_raw_run, raw), 0);
}

//  Wait (bounded) until the raw server reports a closed connection.
static void
s_raw_wait_close (s_raw_t *raw)
{
    struct pollfd p = {.fd = raw->notify[0], .events = POLLIN};
    assert_int_equal (poll (&p, 1, TIMEOUT_MS), 1);
    char c;
    assert_int_equal (read (raw->notify[0], &c, 1), 1);
}

static void
s_raw_stop (s_raw_t *raw, bool serve)
{
    if (serve)
        pthread_join (raw->thread, NULL);
    close (raw->listen_fd);
    close (raw->notify[0]);
    close (raw->notify[1]);
}

static void
test_server_closes (void **state)
{
    const char *const steps[] = {"RHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                                 "C", //  idle close
                                 "RHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain",
                                 "X", //  close instead of answering
                                 "RHTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close",
                                 "C", //  body runs to EOF
                                 "RHTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nlast",
                                 "C",
                                 NULL};
    s_raw_t raw;
    s_raw_start (&raw, steps, true);
    panda_http_t *http = panda_http_connect ("127.0.0.1", raw.port, TIMEOUT_MS);
    assert_non_null (http);
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/a", NULL, NULL, 0, &resp), 0);
    assert_string_equal (resp.body, "ok");
    panda_http_response_release (&resp);
    s_raw_wait_close (&raw);
    //  The idle connection died: reconnect before sending.
    assert_int_equal (panda_http_request (http, "GET", "/b", NULL, NULL, 0, &resp), 0);
    assert_string_equal (resp.body, "again");
    panda_http_response_release (&resp);
    //  Dies after reading the request: one retry on a new connection.
    assert_int_equal (panda_http_request (http, "GET", "/c", NULL, NULL, 0, &resp), 0);
    assert_int_equal (resp.status, 200);
    assert_string_equal (resp.body, "until-close");
    assert_int_equal (resp.body_len, 11);
    panda_http_response_release (&resp);
    s_raw_wait_close (&raw);
    s_raw_wait_close (&raw);
    assert_int_equal (panda_http_request (http, "GET", "/d", NULL, NULL, 0, &resp), 0);
    assert_string_equal (resp.body, "last");
    panda_http_response_release (&resp);
    panda_http_destroy (&http);
    s_raw_stop (&raw, true);
    assert_int_equal (raw.accepted, 4);
}

//  A fresh connection closed without an answer is an error, not a retry.
static void
test_no_retry_on_fresh_connection (void **state)
{
    const char *const steps[] = {"X", NULL};
    s_raw_t raw;
    s_raw_start (&raw, steps, true);
    panda_http_t *http = panda_http_connect ("127.0.0.1", raw.port, TIMEOUT_MS);
    assert_non_null (http);
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/", NULL, NULL, 0, &resp), -1);
    assert_null (resp.body);
    panda_http_destroy (&http);
    s_raw_stop (&raw, true);
    assert_int_equal (raw.accepted, 1);
}

//  Nobody answers: the request fails at its deadline.
static void
test_timeout (void **state)
{
    s_raw_t raw;
    s_raw_start (&raw, NULL, false);
    panda_http_t *http = panda_http_connect ("127.0.0.1", raw.port, 200);
    assert_non_null (http);
    panda_http_response_t resp;
    assert_int_equal (panda_http_request (http, "GET", "/", NULL, NULL, 0, &resp), -1);
    panda_http_destroy (&http);
    s_raw_stop (&raw, false);
    //  Nothing listens on a closed port.
    assert_null (panda_http_connect ("127.0.0.1", raw.port, 200));
}

static void
test_graphql_helper (void **state)
{
    struct mg_context *ctx = s_ctx;
    int port = s_port;
    panda_http_t *http = panda_http_connect ("127.0.0.1", port, TIMEOUT_MS);
    json_t *vars = json_pack ("{s:s}", "k", "v");
    int status = 0;
    json_t *answer = panda_http_graphql (http, "{ a }", vars, "Op", &status);
    assert_int_equal (status, 404);
    json_decref (answer);
    mg_set_request_handler (ctx, "/graphql$", s_handle_echo, NULL);
    answer = panda_http_graphql (http, "{ a }", vars, "Op", &status);
    assert_int_equal (status, 200);
    char *text = json_dumps (answer, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal (text, "{\"operationName\":\"Op\",\"query\":\"{ a }\",\"variables\":{\"k\":\"v\"}}");
    free (text);
    json_decref (answer);
    json_decref (vars);
    panda_http_destroy (&http);
}

static int
s_group_setup (void **state)
{
    s_ctx = s_civetweb_start (&s_port);
    return 0;
}

static int
s_group_teardown (void **state)
{
    mg_stop (s_ctx);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_keep_alive_and_content_length),
        cmocka_unit_test (test_chunked_head_and_no_content),
        cmocka_unit_test (test_server_closes),
        cmocka_unit_test (test_no_retry_on_fresh_connection),
        cmocka_unit_test (test_timeout),
        cmocka_unit_test (test_graphql_helper),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
