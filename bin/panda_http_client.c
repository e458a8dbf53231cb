/*  panda_http_client.c - the panda CLI's HTTP/1.1 client. See
    panda_http_client.h. The node is trusted no more than any server: the
    head is capped, chunk sizes are parsed strictly, and every wait is
    bounded by the request's timeout.                                      */
#include "panda_http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BUF_SIZE (64 * 1024) //  receive buffer; also the longest head line
#define S_CHUNK_LINE_MAX 1024 //  a chunk-size line with extensions

panda_err_t
panda_http_url_parse (panda_http_url_t *self, const char *text, panda_error_t *err)
{
    memset (self, 0, sizeof *self);
    if (strlen (text) >= sizeof self->text)
        return panda_error_set (err, PANDA_ERR_INVALID, "node URL is too long");
    snprintf (self->text, sizeof self->text, "%s", text);
    if (strncasecmp (text, "https://", 8) == 0)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "node URL %s: https is not supported (nodes serve plain http; use a "
                                "local TLS proxy to reach a remote node)",
                                text);
    if (strncasecmp (text, "http://", 7) != 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s must start with http://", text);
    const char *host = text + 7;
    const char *end_host;
    const char *rest;
    if (*host == '[') {
        end_host = strchr (host, ']');
        if (!end_host)
            return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s: missing ']'", text);
        host++;
        rest = end_host + 1;
    } else {
        end_host = host + strcspn (host, ":/?#");
        rest = end_host;
    }
    size_t host_len = (size_t) (end_host - host);
    if (host_len == 0 || host_len > PANDA_HTTP_CLIENT_HOST_MAX)
        return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s: bad host", text);
    memcpy (self->host, host, host_len);
    snprintf (self->port, sizeof self->port, "80");
    if (*rest == ':') {
        rest++;
        size_t digits = strspn (rest, "0123456789");
        long port = digits && digits <= 5 ? strtol (rest, NULL, 10) : 0;
        if (port < 1 || port > 65535)
            return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s: bad port", text);
        snprintf (self->port, sizeof self->port, "%ld", port);
        rest += digits;
    }
    if (*rest && *rest != '/')
        return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s: unexpected '%c' after the host", text,
                                *rest);
    size_t path_len = strcspn (rest, "?#");
    if (rest[path_len])
        return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s: no query or fragment allowed", text);
    while (path_len > 0 && rest[path_len - 1] == '/')
        path_len--;
    //  People copy the GraphQL endpoint: http://host:2020/graphql is its node.
    if (path_len >= 8 && strncmp (rest + path_len - 8, "/graphql", 8) == 0)
        path_len -= 8;
    if (path_len >= sizeof self->prefix)
        return panda_error_set (err, PANDA_ERR_INVALID, "node URL %s: path too long", text);
    memcpy (self->prefix, rest, path_len);
    return PANDA_OK;
}

//  --- a connection with a bounded receive buffer --------------------------

typedef struct {
    int fd;
    int timeout_ms;
    const panda_http_url_t *url;
    char *buf;
    size_t start, end; //  unread bytes are buf[start..end)
} s_conn_t;

static panda_err_t
s_timeout (s_conn_t *c, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "the node at %s did not answer within %d s", c->url->text,
                            (c->timeout_ms + 999) / 1000);
}

//  Wait until fd is ready for events; PANDA_OK, or a timeout/poll error.
static panda_err_t
s_wait (s_conn_t *c, short events, panda_error_t *err)
{
    struct pollfd p = {.fd = c->fd, .events = events};
    int rc;
    do
        rc = poll (&p, 1, c->timeout_ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        return s_timeout (c, err);
    if (rc < 0)
        return panda_error_set (err, PANDA_ERR_IO, "poll: %s", strerror (errno));
    return PANDA_OK;
}

static panda_err_t
s_connect (s_conn_t *c, panda_error_t *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list;
    int rc = getaddrinfo (c->url->host, c->url->port, &hints, &list);
    if (rc != 0)
        return panda_error_set (err, PANDA_ERR_IO, "cannot reach the node at %s: %s", c->url->text,
                                gai_strerror (rc));
    int last_errno = ECONNREFUSED;
    bool timed_out = false;
    for (struct addrinfo *ai = list; ai && c->fd < 0; ai = ai->ai_next) {
        int fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        c->fd = fd;
        bool ready = connect (fd, ai->ai_addr, ai->ai_addrlen) == 0;
        if (!ready && errno == EINPROGRESS) {
            ready = s_wait (c, POLLOUT, NULL) == PANDA_OK;
            timed_out = !ready;
        } else if (!ready)
            last_errno = errno;
        if (ready) {
            int so_error = 0;
            socklen_t len = sizeof so_error;
            if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0)
                break;
            last_errno = so_error ? so_error : errno;
            timed_out = false;
        }
        close (fd);
        c->fd = -1;
    }
    freeaddrinfo (list);
    if (c->fd >= 0)
        return PANDA_OK;
    if (timed_out)
        return panda_error_set (err, PANDA_ERR_IO, "cannot reach the node at %s: no answer within %d s",
                                c->url->text, (c->timeout_ms + 999) / 1000);
    return panda_error_set (err, PANDA_ERR_IO, "cannot reach the node at %s: %s", c->url->text,
                            strerror (last_errno));
}

static panda_err_t
s_send_all (s_conn_t *c, const void *data, size_t len, panda_error_t *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send (c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t) n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (s_wait (c, POLLOUT, err))
                return PANDA_ERR_IO;
        } else if (n < 0 && errno == EINTR)
            continue;
        else
            return panda_error_set (err, PANDA_ERR_IO, "sending to the node at %s failed: %s", c->url->text,
                                    n < 0 ? strerror (errno) : "connection closed");
    }
    return PANDA_OK;
}

//  Read more bytes into the buffer (compacting it first). *eof set when the
//  node closed the connection.
static panda_err_t
s_fill (s_conn_t *c, bool *eof, panda_error_t *err)
{
    if (c->start > 0) {
        memmove (c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    *eof = false;
    if (c->end == S_BUF_SIZE)
        return panda_error_set (err, PANDA_ERR_IO, "the node at %s sent a line longer than %d bytes",
                                c->url->text, S_BUF_SIZE);
    while (true) {
        ssize_t n = recv (c->fd, c->buf + c->end, S_BUF_SIZE - c->end, 0);
        if (n > 0) {
            c->end += (size_t) n;
            return PANDA_OK;
        }
        if (n == 0) {
            *eof = true;
            return PANDA_OK;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return panda_error_set (err, PANDA_ERR_IO, "reading from the node at %s failed: %s", c->url->text,
                                    strerror (errno));
        if (s_wait (c, POLLIN, err))
            return PANDA_ERR_IO;
    }
}

static panda_err_t
s_truncated (s_conn_t *c, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "the node at %s closed the connection mid-answer",
                            c->url->text);
}

//  Next line without its CR LF, NUL-terminated in place (at most max bytes).
static panda_err_t
s_read_line (s_conn_t *c, size_t max, char **line, panda_error_t *err)
{
    while (true) {
        char *nl = memchr (c->buf + c->start, '\n', c->end - c->start);
        if (nl) {
            *line = c->buf + c->start;
            size_t len = (size_t) (nl - *line);
            if (len > max)
                break;
            c->start += len + 1;
            if (len > 0 && (*line)[len - 1] == '\r')
                len--;
            (*line)[len] = '\0';
            return PANDA_OK;
        }
        if (c->end - c->start > max)
            break;
        bool eof;
        if (s_fill (c, &eof, err))
            return PANDA_ERR_IO;
        if (eof)
            return s_truncated (c, err);
    }
    return panda_error_set (err, PANDA_ERR_IO, "the node at %s sent an over-long header line", c->url->text);
}

//  Pass body bytes to the sink: exactly n, or (until_eof) all until close.
static panda_err_t
s_read_body (s_conn_t *c, unsigned long long n, bool until_eof, const panda_http_request_t *request,
             panda_error_t *err)
{
    while (until_eof || n > 0) {
        size_t have = c->end - c->start;
        if (have == 0) {
            bool eof;
            if (s_fill (c, &eof, err))
                return PANDA_ERR_IO;
            if (eof)
                return until_eof ? PANDA_OK : s_truncated (c, err);
            continue;
        }
        size_t take = !until_eof && n < have ? (size_t) n : have;
        if (request->sink && request->sink (request->ctx, c->buf + c->start, take, err))
            return err ? err->code : PANDA_ERR_IO;
        c->start += take;
        if (!until_eof)
            n -= take;
    }
    return PANDA_OK;
}

static panda_err_t
s_read_chunked (s_conn_t *c, const panda_http_request_t *request, panda_error_t *err)
{
    while (true) {
        char *line;
        if (s_read_line (c, S_CHUNK_LINE_MAX, &line, err))
            return PANDA_ERR_IO;
        size_t digits = strspn (line, "0123456789abcdefABCDEF");
        if (digits == 0 || digits > 15 || (line[digits] && line[digits] != ';' && line[digits] != ' '))
            return panda_error_set (err, PANDA_ERR_IO, "the node at %s sent a bad chunk size", c->url->text);
        unsigned long long size = strtoull (line, NULL, 16);
        if (size == 0)
            break;
        if (s_read_body (c, size, false, request, err))
            return err ? err->code : PANDA_ERR_IO;
        if (s_read_line (c, 2, &line, err))
            return PANDA_ERR_IO;
        if (*line)
            return panda_error_set (err, PANDA_ERR_IO, "the node at %s sent a bad chunk end", c->url->text);
    }
    //  Trailers, up to the empty line.
    for (int i = 0; i < 100; i++) {
        char *line;
        if (s_read_line (c, S_CHUNK_LINE_MAX, &line, err))
            return PANDA_ERR_IO;
        if (!*line)
            return PANDA_OK;
    }
    return panda_error_set (err, PANDA_ERR_IO, "the node at %s sent too many trailers", c->url->text);
}

//  Transfer-Encoding lists codings; the body is chunked when the last is.
static bool
s_ends_with_chunked (const char *value)
{
    size_t len = strlen (value);
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    return len >= 7 && strncasecmp (value + len - 7, "chunked", 7) == 0;
}

//  Status line and headers into *answer; *chunked when the body is chunked.
static panda_err_t
s_read_head (s_conn_t *c, panda_http_answer_t *answer, bool *chunked, panda_error_t *err)
{
    size_t budget = PANDA_HTTP_CLIENT_MAX_HEADERS;
    char *line;
    if (s_read_line (c, budget, &line, err))
        return PANDA_ERR_IO;
    int status = 0;
    if (strlen (line) < 12 || strncmp (line, "HTTP/1.", 7) != 0 || sscanf (line + 8, " %3d", &status) != 1 ||
        status < 100 || status > 599)
        return panda_error_set (err, PANDA_ERR_IO, "the node at %s did not answer HTTP", c->url->text);
    answer->status = status;
    budget -= strlen (line);
    while (true) {
        if (s_read_line (c, budget, &line, err))
            return PANDA_ERR_IO;
        size_t len = strlen (line);
        if (len == 0)
            return PANDA_OK;
        budget -= len < budget ? len : budget;
        char *colon = strchr (line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = colon + 1 + strspn (colon + 1, " \t");
        if (strcasecmp (line, "content-type") == 0)
            snprintf (answer->content_type, sizeof answer->content_type, "%s", value);
        else if (strcasecmp (line, "content-length") == 0) {
            size_t digits = strspn (value, "0123456789");
            if (digits == 0 || digits > 19 || value[digits + strspn (value + digits, " \t")])
                return panda_error_set (err, PANDA_ERR_IO, "the node at %s sent a bad Content-Length",
                                        c->url->text);
            answer->content_length = strtoull (value, NULL, 10);
            answer->has_length = true;
        } else if (strcasecmp (line, "transfer-encoding") == 0)
            *chunked = s_ends_with_chunked (value);
    }
}

static panda_err_t
s_exchange (s_conn_t *c, const panda_http_request_t *request, panda_http_answer_t *answer, panda_error_t *err)
{
    if (s_connect (c, err))
        return PANDA_ERR_IO;
    char head[2048];
    int n = snprintf (head, sizeof head,
                      "%s %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: panda/%s\r\nAccept: */*\r\n"
                      "Connection: close\r\n",
                      request->method, c->url->prefix, request->path, strchr (c->url->host, ':') ? "[" : "",
                      c->url->host, strchr (c->url->host, ':') ? "]" : "", c->url->port, PANDA_VERSION);
    if (n > 0 && (size_t) n < sizeof head && request->content_type)
        n += snprintf (head + n, sizeof head - (size_t) n, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                       request->content_type, request->body_len);
    if (n > 0 && (size_t) n < sizeof head)
        n += snprintf (head + n, sizeof head - (size_t) n, "\r\n");
    if (n < 0 || (size_t) n >= sizeof head)
        return panda_error_set (err, PANDA_ERR_INVALID, "request path too long");
    if (s_send_all (c, head, (size_t) n, err) ||
        (request->body_len && s_send_all (c, request->body, request->body_len, err)))
        return PANDA_ERR_IO;
    bool chunked = false;
    do {
        memset (answer, 0, sizeof *answer);
        chunked = false;
        if (s_read_head (c, answer, &chunked, err))
            return PANDA_ERR_IO;
    } while (answer->status >= 100 && answer->status < 200);
    if (request->on_head && request->on_head (request->ctx, answer, err))
        return err ? err->code : PANDA_ERR_IO;
    bool no_body = strcmp (request->method, "HEAD") == 0 || answer->status == 204 || answer->status == 304;
    if (no_body)
        return PANDA_OK;
    if (chunked)
        return s_read_chunked (c, request, err);
    return s_read_body (c, answer->content_length, !answer->has_length, request, err);
}

panda_err_t
panda_http_client_request (const panda_http_url_t *url, const panda_http_request_t *request,
                           panda_http_answer_t *answer, panda_error_t *err)
{
    s_conn_t c = {.fd = -1, .timeout_ms = request->timeout_ms, .url = url, .buf = malloc (S_BUF_SIZE)};
    if (!c.buf)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_err_t rc = s_exchange (&c, request, answer, err);
    if (c.fd >= 0)
        close (c.fd);
    free (c.buf);
    return rc;
}
