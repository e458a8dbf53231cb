/*  test_cli_http.c - the panda CLI's HTTP client against a scripted server
    on 127.0.0.1 that answers one connection with set bytes: chunked and
    streamed bodies are read right, and every bound holds with a clear
    message (a silent node, an answer past --max-answer, an over-long
    header, a cut answer, HTTP and GraphQL errors).                        */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include "test_cli_run.h"

typedef struct {
    int listener;
    int port;
    const char *answer; //  NULL: say nothing until the client leaves
    size_t answer_len;
    pthread_t thread;
} server_t;

//  Read the request head and its Content-Length body (so closing does not
//  reset the connection before the client read the answer).
static void
s_read_request (int fd)
{
    char buf[8192];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        ssize_t n = recv (fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0)
            return;
        len += (size_t) n;
        buf[len] = '\0';
        char *end = strstr (buf, "\r\n\r\n");
        if (!end)
            continue;
        char *cl = strstr (buf, "Content-Length: ");
        size_t body = cl ? strtoul (cl + 16, NULL, 10) : 0;
        size_t have = len - (size_t) (end + 4 - buf);
        while (have < body) {
            n = recv (fd, buf, sizeof buf, 0);
            if (n <= 0)
                return;
            have += (size_t) n;
        }
        return;
    }
}

static void *
s_serve (void *arg)
{
    server_t *s = arg;
    int fd = accept (s->listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    s_read_request (fd);
    if (s->answer) {
        size_t sent = 0;
        while (sent < s->answer_len) {
            ssize_t n = send (fd, s->answer + sent, s->answer_len - sent, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            sent += (size_t) n;
        }
    } else {
        char byte;
        while (recv (fd, &byte, 1, 0) > 0)
            ;
    }
    close (fd);
    return NULL;
}

//  A server that answers the next connection with answer (len bytes).
static void
s_server_start (server_t *s, const char *answer, size_t len)
{
    memset (s, 0, sizeof *s);
    s->answer = answer;
    s->answer_len = len;
    s->listener = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (s->listener >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    assert_int_equal (bind (s->listener, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (listen (s->listener, 4), 0);
    socklen_t addr_len = sizeof addr;
    assert_int_equal (getsockname (s->listener, (struct sockaddr *) &addr, &addr_len), 0);
    s->port = ntohs (addr.sin_port);
    assert_int_equal (pthread_create (&s->thread, NULL, s_serve, s), 0);
}

static void
s_server_stop (server_t *s)
{
    pthread_join (s->thread, NULL);
    close (s->listener);
}

//  Run `panda query '{ a }' extra...` against an answer; returns the run.
static run_t
s_query (const char *answer, size_t len, const char *extra1, const char *extra2)
{
    server_t s;
    s_server_start (&s, answer, len);
    char url[64];
    snprintf (url, sizeof url, "http://127.0.0.1:%d", s.port);
    run_t r = extra1 ? s_panda ("query", "{ a }", "--node", url, "--json", extra1, extra2)
                     : s_panda ("query", "{ a }", "--node", url, "--json");
    s_server_stop (&s);
    return r;
}

#define S_JSON_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

static void
test_cli_http_chunked (void **state)
{
    static const char answer[] = S_JSON_HEAD "Transfer-Encoding: chunked\r\n\r\n"
                                             "5\r\n{\"dat\r\n"
                                             "b;ext=1\r\na\":{\"a\":1}}\r\n"
                                             "0\r\nX-Trailer: t\r\n\r\n";
    json_t *data = s_ok_json (s_query (answer, sizeof answer - 1, NULL, NULL));
    assert_int_equal (json_integer_value (json_object_get (data, "a")), 1);
    json_decref (data);
    //  Until close, without a length; and an informational 100 first.
    static const char until_close[] = "HTTP/1.1 100 Continue\r\n\r\n" S_JSON_HEAD "\r\n{\"data\":{\"a\":2}}";
    data = s_ok_json (s_query (until_close, sizeof until_close - 1, NULL, NULL));
    assert_int_equal (json_integer_value (json_object_get (data, "a")), 2);
    json_decref (data);
}

static void
test_cli_http_bounds (void **state)
{
    //  A node that says nothing: the timeout, not a hang.
    s_fails_with (s_query (NULL, 0, "--timeout", "1"), "did not answer within 1 s");
    //  An answer past --max-answer.
    char big[2048];
    int n = snprintf (big, sizeof big,
                      S_JSON_HEAD "Content-Length: 1017\r\n\r\n{\"data\":{\"a\":\"%01000d\"}}", 0);
    s_fails_with (s_query (big, (size_t) n, "--max-answer", "100"), "answer larger than 100 bytes");
    json_t *data = s_ok_json (s_query (big, (size_t) n, "--max-answer", "1017"));
    assert_int_equal (strlen (json_string_value (json_object_get (data, "a"))), 1000);
    json_decref (data);
    //  A header line past the head limit.
    size_t huge_len = 100 * 1024;
    char *huge = malloc (huge_len);
    memset (huge, 'x', huge_len);
    memcpy (huge, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
    s_fails_with (s_query (huge, huge_len, NULL, NULL), "line");
    free (huge);
    //  An answer cut short of its Content-Length.
    static const char cut[] = S_JSON_HEAD "Content-Length: 100\r\n\r\n{\"data\":";
    s_fails_with (s_query (cut, sizeof cut - 1, NULL, NULL), "closed the connection mid-answer");
    static const char bad_chunk[] = S_JSON_HEAD "Transfer-Encoding: chunked\r\n\r\nzz\r\n";
    s_fails_with (s_query (bad_chunk, sizeof bad_chunk - 1, NULL, NULL), "bad chunk size");
    static const char not_http[] = "SSH-2.0-OpenSSH\r\n\r\n";
    s_fails_with (s_query (not_http, sizeof not_http - 1, NULL, NULL), "did not answer HTTP");
}

static void
test_cli_http_errors (void **state)
{
    static const char http_500[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom";
    s_fails_with (s_query (http_500, sizeof http_500 - 1, NULL, NULL), "answered HTTP 500: boom");
    static const char not_json[] = S_JSON_HEAD "Content-Length: 5\r\n\r\nhello";
    s_fails_with (s_query (not_json, sizeof not_json - 1, NULL, NULL), "did not answer GraphQL JSON");
    //  Every GraphQL error, verbatim.
    static const char errors[] =
        S_JSON_HEAD "\r\n{\"data\":null,\"errors\":[{\"message\":\"first \\\"one\\\"\"},"
                    "{\"message\":\"second\"}]}";
    s_fails_with (s_query (errors, sizeof errors - 1, NULL, NULL), "answered: first \"one\"; second");
}

static void
test_cli_http_blob_stream (void **state)
{
    static const char answer[] =
        "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n4\r\nd\0ef\r\n0\r\n\r\n";
    server_t s;
    s_server_start (&s, answer, sizeof answer - 1);
    char url[64], dir[] = "/tmp/panda_test_cli_http_XXXXXX", path[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d", s.port);
    assert_non_null (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/blob.png", dir);
    const char *id = "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543";
    run_t r = s_panda ("blob", "download", id, "--node", url, "--output", path);
    s_server_stop (&s);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "7 bytes (image/png)"));
    s_release (&r);
    size_t len;
    char *got = s_slurp (path, &len);
    assert_int_equal (len, 7);
    assert_memory_equal (got, "abcd\0ef", 7);
    free (got);
    unlink (path);
    //  A cut download leaves no file behind.
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10\r\n\r\nabc";
    s_server_start (&s, cut, sizeof cut - 1);
    snprintf (url, sizeof url, "http://127.0.0.1:%d", s.port);
    s_fails_with (s_panda ("blob", "download", id, "--node", url, "--output", path), "mid-answer");
    s_server_stop (&s);
    assert_int_equal (access (path, F_OK), -1);
    assert_int_equal (rmdir (dir), 0); //  empty: no partial file either
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cli_http_chunked),
        cmocka_unit_test (test_cli_http_bounds),
        cmocka_unit_test (test_cli_http_errors),
        cmocka_unit_test (test_cli_http_blob_stream),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
