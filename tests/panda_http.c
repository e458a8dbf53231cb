/*  panda_http.c - blocking HTTP/1.1 keep-alive client (see panda_http.h).

    The socket is non-blocking; every wait is a poll() bounded by the
    request's deadline, so a stuck server fails the test instead of
    hanging it.                                                             */
#define _GNU_SOURCE //  memmem, strcasestr
#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "panda_http.h"

//  Read buffer: big enough for the whole header block plus one read.
#define PANDA_HTTP_BUFFER_SIZE (PANDA_HTTP_MAX_HEADERS + 16 * 1024)
#define PANDA_HTTP_LINE_MAX 1024

struct _panda_http_t {
    char *host;
    int port;
    int timeout_ms;
    int fd; //  -1 when not connected
    size_t served; //  responses read on this connection
    char *buf; //  received bytes not consumed yet: buf[pos..len)
    size_t pos, len;
};

//  Outcome of reading a response: ok, failed, or the connection was found
//  closed before any byte of the answer arrived (worth one retry).
typedef enum { S_OK = 0, S_FAIL = -1, S_CLOSED_EARLY = -2 } s_result_t;

//  Wait for events on the socket until the deadline. 1 ready, 0 timeout,
//  -1 error.
static int
s_wait (int fd, short events, int64_t deadline)
{
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int rc = poll (&p, 1, (int) (left > INT32_MAX ? INT32_MAX : left));
        if (rc < 0 && errno == EINTR)
            continue;
        return rc < 0 ? -1 : rc;
    }
}

static void
s_disconnect (panda_http_t *self)
{
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
    self->served = 0;
    self->pos = self->len = 0;
}

static int
s_connect (panda_http_t *self, int64_t deadline)
{
    char port[16];
    snprintf (port, sizeof port, "%d", self->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list = NULL;
    if (getaddrinfo (self->host, port, &hints, &list) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
        fd = socket (ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
        int err = 0;
        socklen_t err_len = sizeof err;
        if (connect (fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
            (errno != EINPROGRESS || s_wait (fd, POLLOUT, deadline) != 1 ||
             getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0)) {
            close (fd);
            fd = -1;
        }
    }
    freeaddrinfo (list);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    self->fd = fd;
    self->served = 0;
    self->pos = self->len = 0;
    return 0;
}

//  True if the server has closed (or reset) the idle connection.
static bool
s_peer_closed (panda_http_t *self)
{
    struct pollfd p = {.fd = self->fd, .events = POLLIN};
    if (poll (&p, 1, 0) <= 0)
        return false;
    char byte;
    ssize_t n = recv (self->fd, &byte, 1, MSG_PEEK);
    //  Unsolicited bytes on an idle connection are garbage too.
    return n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

static int
s_send_all (panda_http_t *self, const char *data, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = send (self->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t) n;
        } else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (s_wait (self->fd, POLLOUT, deadline) != 1)
                return -1;
        } else
            return -1;
    }
    return 0;
}

//  Receive more bytes into the buffer. >0 bytes added, 0 EOF, -1 error or
//  timeout or buffer full.
static ssize_t
s_fill (panda_http_t *self, int64_t deadline)
{
    if (self->pos > 0) {
        memmove (self->buf, self->buf + self->pos, self->len - self->pos);
        self->len -= self->pos;
        self->pos = 0;
    }
    if (self->len == PANDA_HTTP_BUFFER_SIZE)
        return -1;
    while (true) {
        ssize_t n = recv (self->fd, self->buf + self->len, PANDA_HTTP_BUFFER_SIZE - self->len, 0);
        if (n >= 0) {
            self->len += (size_t) n;
            return n;
        }
        if (errno == EINTR)
            continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || s_wait (self->fd, POLLIN, deadline) != 1)
            return -1;
    }
}

//  Copy the next CRLF-terminated line (without CRLF) into line.
static int
s_read_line (panda_http_t *self, char *line, size_t size, int64_t deadline)
{
    while (true) {
        char *start = self->buf + self->pos;
        char *crlf = memmem (start, self->len - self->pos, "\r\n", 2);
        if (crlf) {
            size_t n = (size_t) (crlf - start);
            if (n >= size)
                return -1;
            memcpy (line, start, n);
            line[n] = 0;
            self->pos += n + 2;
            return 0;
        }
        if (s_fill (self, deadline) <= 0)
            return -1;
    }
}

//  Append exactly n body bytes to resp. eof_ok: read until the server
//  closes instead (n is then ignored).
static int
s_read_body (panda_http_t *self, panda_http_response_t *resp, size_t n, bool eof_ok, int64_t deadline)
{
    //  A known length is allocated once: growing per recv is quadratic.
    if (!eof_ok && n > 0) {
        if (resp->body_len + n > PANDA_HTTP_MAX_BODY)
            return -1;
        char *grown = realloc (resp->body, resp->body_len + n + 1);
        if (!grown)
            return -1;
        resp->body = grown;
    }
    while (eof_ok || n > 0) {
        if (self->pos == self->len) {
            ssize_t got = s_fill (self, deadline);
            if (got == 0 && eof_ok)
                return 0;
            if (got <= 0)
                return -1;
        }
        size_t take = self->len - self->pos;
        if (!eof_ok && take > n)
            take = n;
        if (resp->body_len + take > PANDA_HTTP_MAX_BODY)
            return -1;
        char *grown = eof_ok ? realloc (resp->body, resp->body_len + take + 1) : resp->body;
        if (!grown)
            return -1;
        resp->body = grown;
        memcpy (resp->body + resp->body_len, self->buf + self->pos, take);
        resp->body_len += take;
        resp->body[resp->body_len] = 0;
        self->pos += take;
        if (!eof_ok)
            n -= take;
    }
    return 0;
}

static int
s_read_chunked (panda_http_t *self, panda_http_response_t *resp, int64_t deadline)
{
    char line[PANDA_HTTP_LINE_MAX];
    while (true) {
        if (s_read_line (self, line, sizeof line, deadline))
            return -1;
        char *end;
        errno = 0;
        unsigned long long size = strtoull (line, &end, 16);
        if (end == line || errno || (*end && *end != ';' && *end != ' ') || size > PANDA_HTTP_MAX_BODY)
            return -1;
        if (size == 0)
            break;
        if (s_read_body (self, resp, (size_t) size, false, deadline) ||
            s_read_line (self, line, sizeof line, deadline) || *line)
            return -1;
    }
    //  Trailer lines, up to the empty line.
    do {
        if (s_read_line (self, line, sizeof line, deadline))
            return -1;
    } while (*line);
    return 0;
}

//  Store one header line as "name: value\r\n" with the name lower-cased.
static int
s_add_header (panda_http_response_t *resp, size_t *used, const char *line)
{
    const char *colon = strchr (line, ':');
    if (!colon || colon == line)
        return -1;
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t value_len = strlen (value);
    while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
        value_len--;
    size_t name_len = (size_t) (colon - line);
    size_t need = *used + name_len + 2 + value_len + 3;
    char *grown = realloc (resp->headers, need);
    if (!grown)
        return -1;
    resp->headers = grown;
    for (size_t i = 0; i < name_len; i++)
        grown[*used + i] = (char) tolower ((unsigned char) line[i]);
    *used += name_len;
    memcpy (grown + *used, ": ", 2);
    memcpy (grown + *used + 2, value, value_len);
    *used += 2 + value_len;
    memcpy (grown + *used, "\r\n", 3);
    *used += 2;
    return 0;
}

//  Status line and headers. S_CLOSED_EARLY if EOF came before any byte.
static s_result_t
s_read_head (panda_http_t *self, panda_http_response_t *resp, int64_t deadline, int *minor)
{
    if (self->pos == self->len) {
        ssize_t got = s_fill (self, deadline);
        if (got == 0 || (got < 0 && errno == ECONNRESET))
            return S_CLOSED_EARLY;
        if (got < 0)
            return S_FAIL;
    }
    char line[PANDA_HTTP_LINE_MAX * 8];
    if (s_read_line (self, line, sizeof line, deadline) ||
        sscanf (line, "HTTP/1.%d %3d", minor, &resp->status) != 2 || resp->status < 100)
        return S_FAIL;
    size_t used = 0;
    resp->headers = calloc (1, 1);
    if (!resp->headers)
        return S_FAIL;
    while (true) {
        if (s_read_line (self, line, sizeof line, deadline))
            return S_FAIL;
        if (!*line)
            return S_OK;
        if (used > PANDA_HTTP_MAX_HEADERS || s_add_header (resp, &used, line))
            return S_FAIL;
    }
}

static bool
s_header_has (const panda_http_response_t *resp, const char *name, const char *token)
{
    char value[256];
    for (size_t i = 0; panda_http_header_nth (resp, name, i, value, sizeof value); i++)
        if (strcasestr (value, token))
            return true;
    return false;
}

static s_result_t
s_read_response (panda_http_t *self, const char *method, panda_http_response_t *resp, int64_t deadline)
{
    int minor = 1;
    s_result_t rc = s_read_head (self, resp, deadline, &minor);
    if (rc != S_OK)
        return rc;
    resp->body = calloc (1, 1);
    if (!resp->body)
        return S_FAIL;
    bool close_after = s_header_has (resp, "connection", "close") ||
                       (minor == 0 && !s_header_has (resp, "connection", "keep-alive"));
    char value[64];
    int status = resp->status;
    if (strcmp (method, "HEAD") == 0 || status < 200 || status == 204 || status == 304)
        rc = S_OK;
    else if (s_header_has (resp, "transfer-encoding", "chunked"))
        rc = s_read_chunked (self, resp, deadline) ? S_FAIL : S_OK;
    else if (panda_http_header (resp, "content-length", value, sizeof value)) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull (value, &end, 10);
        if (errno || end == value || *end || n > PANDA_HTTP_MAX_BODY)
            return S_FAIL;
        rc = s_read_body (self, resp, (size_t) n, false, deadline) ? S_FAIL : S_OK;
    } else {
        close_after = true;
        rc = s_read_body (self, resp, 0, true, deadline) ? S_FAIL : S_OK;
    }
    if (rc == S_OK && close_after)
        s_disconnect (self);
    else if (rc == S_OK)
        self->served++;
    return rc;
}

panda_http_t *
panda_http_connect (const char *host, int port, int timeout_ms)
{
    panda_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->fd = -1;
    self->host = strdup (host);
    self->port = port;
    self->timeout_ms = timeout_ms;
    self->buf = malloc (PANDA_HTTP_BUFFER_SIZE);
    if (!self->host || !self->buf || s_connect (self, zclock_mono () + timeout_ms)) {
        panda_http_destroy (&self);
        return NULL;
    }
    return self;
}

void
panda_http_destroy (panda_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_http_t *self = *self_p;
    s_disconnect (self);
    free (self->host);
    free (self->buf);
    free (self);
    *self_p = NULL;
}

//  Request line and headers, in a fresh string. Caller owns the result.
static char *
s_format_head (panda_http_t *self, const char *method, const char *path, const char *headers,
               const char *body, size_t body_len)
{
    bool has_length = body || strcmp (method, "POST") == 0 || strcmp (method, "PUT") == 0;
    char length[48] = "";
    if (has_length)
        snprintf (length, sizeof length, "Content-Length: %zu\r\n", body ? body_len : 0);
    const char *fmt = "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s\r\n";
    int n = snprintf (NULL, 0, fmt, method, path, self->host, self->port, length, headers ? headers : "");
    char *head = n < 0 ? NULL : malloc ((size_t) n + 1);
    if (head)
        snprintf (head, (size_t) n + 1, fmt, method, path, self->host, self->port, length,
                  headers ? headers : "");
    return head;
}

int
panda_http_request (panda_http_t *self, const char *method, const char *path, const char *headers,
                    const char *body, size_t body_len, panda_http_response_t *resp)
{
    memset (resp, 0, sizeof *resp);
    char *head = s_format_head (self, method, path, headers, body, body_len);
    if (!head)
        return -1;
    int64_t deadline = zclock_mono () + self->timeout_ms;
    s_result_t rc = S_FAIL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (self->fd >= 0 && s_peer_closed (self))
            s_disconnect (self);
        if (self->fd < 0 && s_connect (self, deadline))
            break;
        bool reused = self->served > 0;
        rc = S_CLOSED_EARLY;
        if (s_send_all (self, head, strlen (head), deadline) == 0 &&
            (!body || s_send_all (self, body, body_len, deadline) == 0))
            rc = s_read_response (self, method, resp, deadline);
        if (rc == S_OK)
            break;
        panda_http_response_release (resp);
        s_disconnect (self);
        //  Only a kept-alive connection that died under us earns a retry.
        if (rc != S_CLOSED_EARLY || !reused)
            break;
    }
    free (head);
    return rc == S_OK ? 0 : -1;
}

void
panda_http_response_release (panda_http_response_t *resp)
{
    if (!resp)
        return;
    free (resp->headers);
    free (resp->body);
    memset (resp, 0, sizeof *resp);
}

const char *
panda_http_header_nth (const panda_http_response_t *resp, const char *name, size_t index, char *buf,
                       size_t size)
{
    size_t name_len = strlen (name);
    for (const char *line = resp->headers; line && *line;) {
        const char *eol = strstr (line, "\r\n");
        if (!eol)
            break;
        if (strncasecmp (line, name, name_len) == 0 && line[name_len] == ':' && index-- == 0) {
            const char *value = line + name_len + 2;
            size_t n = (size_t) (eol - value);
            if (n >= size)
                return NULL;
            memcpy (buf, value, n);
            buf[n] = 0;
            return buf;
        }
        line = eol + 2;
    }
    return NULL;
}

const char *
panda_http_header (const panda_http_response_t *resp, const char *name, char *buf, size_t size)
{
    return panda_http_header_nth (resp, name, 0, buf, size);
}

size_t
panda_http_header_count (const panda_http_response_t *resp, const char *name)
{
    char value[PANDA_HTTP_LINE_MAX * 8];
    size_t count = 0;
    while (panda_http_header_nth (resp, name, count, value, sizeof value))
        count++;
    return count;
}

json_t *
panda_http_graphql (panda_http_t *self, const char *query, json_t *variables, const char *operation_name,
                    int *status)
{
    if (status)
        *status = -1;
    json_t *request = json_object ();
    json_object_set_new (request, "query", json_string (query));
    if (variables)
        json_object_set (request, "variables", variables);
    if (operation_name)
        json_object_set_new (request, "operationName", json_string (operation_name));
    char *text = json_dumps (request, JSON_COMPACT);
    json_decref (request);
    if (!text)
        return NULL;
    panda_http_response_t resp;
    int rc = panda_http_request (self, "POST", "/graphql", "Content-Type: application/json\r\n", text,
                                 strlen (text), &resp);
    free (text);
    if (rc)
        return NULL;
    if (status)
        *status = resp.status;
    json_t *answer = json_loadb (resp.body, resp.body_len, 0, NULL);
    panda_http_response_release (&resp);
    return answer;
}

//  Wait before the next try of a poll: 1 ms, doubling up to 50 ms. Returns
//  false (without waiting) once deadline has passed.
static bool
s_poll_wait (int64_t deadline, int *pause_ms)
{
    if (zclock_mono () >= deadline)
        return false;
    zclock_sleep (*pause_ms);
    *pause_ms = *pause_ms * 2 > 50 ? 50 : *pause_ms * 2;
    return true;
}

json_t *
panda_http_graphql_until (panda_http_t *self, const char *query, panda_http_pred_fn *pred, void *ctx,
                          int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int pause_ms = 1;
    do {
        json_t *answer = panda_http_graphql (self, query, NULL, NULL, NULL);
        if (answer && pred (json_object_get (answer, "data"), ctx))
            return answer;
        json_decref (answer);
    } while (s_poll_wait (deadline, &pause_ms));
    return NULL;
}

int
panda_http_get_until_found (panda_http_t *self, const char *path, int timeout_ms, panda_http_response_t *resp)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int pause_ms = 1;
    do {
        if (panda_http_request (self, "GET", path, NULL, NULL, 0, resp) != 0)
            return -1;
        if (resp->status != 404)
            return 0;
        panda_http_response_release (resp);
    } while (s_poll_wait (deadline, &pause_ms));
    return -1;
}

static bool
s_type_exists (json_t *data, void *ctx)
{
    (void) ctx;
    return json_is_object (json_object_get (data, "__type"));
}

int
panda_http_wait_type (panda_http_t *self, const char *name, int timeout_ms)
{
    char query[512];
    snprintf (query, sizeof query, "{ __type(name: \"%s\") { name } }", name);
    json_t *answer = panda_http_graphql_until (self, query, s_type_exists, NULL, timeout_ms);
    int rc = answer ? 0 : -1;
    json_decref (answer);
    return rc;
}

const char panda_http_shirokuma_next_args[] =
    "\n  query NextArgs($publicKey: String!, $viewId: String) {\n    nextArgs(publicKey: $publicKey, viewId: "
    "$viewId) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";
const char panda_http_shirokuma_publish[] =
    "\n  mutation Publish($entry: String!, $operation: String!) {\n    publish(entry: $entry, operation: "
    "$operation) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";
