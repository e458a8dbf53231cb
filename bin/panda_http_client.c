/*  panda_http_client.c - one HTTP POST. See panda_http_client.h.        */
#include "panda_http_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int
s_why (char *why, size_t size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (why, size, format, args);
    va_end (args);
    return -1;
}

static long long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  http://host[:port][/path] into its parts (host without brackets).
static int
s_split_url (const char *url, char *host, size_t host_size, char *port, size_t port_size, const char **path)
{
    if (strncmp (url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *end;
    if (*h == '[') {
        end = strchr (h, ']');
        if (!end)
            return -1;
        h++;
    } else
        end = h + strcspn (h, ":/");
    size_t n = (size_t) (end - h);
    if (n == 0 || n >= host_size)
        return -1;
    memcpy (host, h, n);
    host[n] = '\0';
    const char *rest = *end == ']' ? end + 1 : end;
    snprintf (port, port_size, "80");
    if (*rest == ':') {
        size_t digits = strspn (rest + 1, "0123456789");
        if (digits == 0 || digits >= port_size)
            return -1;
        memcpy (port, rest + 1, digits);
        port[digits] = '\0';
        rest += 1 + digits;
    }
    if (*rest && *rest != '/')
        return -1;
    *path = *rest ? rest : "/";
    return 0;
}

//  Wait until fd is ready for events before deadline. 0, or -1 on timeout.
static int
s_wait (int fd, short events, long long deadline)
{
    while (true) {
        long long left = deadline - s_now_ms ();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, events, 0};
        int rc = poll (&p, 1, (int) left);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

static int
s_connect (const char *host, const char *port, long long deadline, char *why, size_t size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list;
    int rc = getaddrinfo (host, port, &hints, &list);
    if (rc)
        return s_why (why, size, "cannot resolve %s: %s", host, gai_strerror (rc));
    int fd = -1;
    for (struct addrinfo *a = list; a && fd < 0; a = a->ai_next) {
        fd = socket (a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int error = 0;
        socklen_t len = sizeof error;
        if (connect (fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS || s_wait (fd, POLLOUT, deadline) ||
            getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &len) || error) {
            close (fd);
            fd = -1;
        }
    }
    freeaddrinfo (list);
    if (fd < 0)
        return s_why (why, size, "cannot connect to %s port %s", host, port);
    return fd;
}

static int
s_send_all (int fd, const char *data, size_t len, long long deadline)
{
    while (len > 0) {
        if (s_wait (fd, POLLOUT, deadline))
            return -1;
        ssize_t n = send (fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (n > 0)
            data += n, len -= (size_t) n;
    }
    return 0;
}

//  Everything until the peer closes, bounded by max bytes.
static char *
s_recv_all (int fd, long long deadline, size_t max, size_t *len)
{
    size_t cap = 16384, n = 0;
    char *buf = malloc (cap + 1);
    while (buf) {
        if (s_wait (fd, POLLIN, deadline))
            break;
        ssize_t got = recv (fd, buf + n, cap - n, 0);
        if (got == 0) {
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        if (got < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (got > 0 && (n += (size_t) got) == cap) {
            char *grown = cap < max ? realloc (buf, cap * 2 + 1) : NULL;
            if (!grown)
                break;
            buf = grown, cap *= 2;
        }
    }
    free (buf);
    return NULL;
}

//  Decode a chunked body in place. Returns its length, or -1.
static long
s_unchunk (char *body, size_t len)
{
    size_t in = 0, out = 0;
    while (in < len) {
        char *end;
        unsigned long size = strtoul (body + in, &end, 16);
        char *line_end = strstr (body + in, "\r\n");
        if (end == body + in || !line_end || size > len)
            return -1;
        in = (size_t) (line_end - body) + 2;
        if (size == 0)
            return (long) out;
        if (in + size + 2 > len)
            return -1;
        memmove (body + out, body + in, size);
        out += size, in += size + 2;
    }
    return -1;
}

int
panda_http_client_post (const char *url, const char *type, const char *body, size_t len, int timeout_ms,
                        int *status, char **answer, size_t *answer_len, char *why, size_t size)
{
    char host[256], port[8];
    const char *path;
    if (s_split_url (url, host, sizeof host, port, sizeof port, &path))
        return s_why (why, size, "%s is not an http://host[:port]/path URL", url);
    long long deadline = s_now_ms () + timeout_ms;
    int fd = s_connect (host, port, deadline, why, size);
    if (fd < 0)
        return -1;
    char head[1024];
    bool v6 = strchr (host, ':') != NULL;
    int n =
        snprintf (head, sizeof head,
                  "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nContent-Type: %s\r\nAccept: application/json\r\n"
                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                  path, v6 ? "[" : "", host, v6 ? "]" : "", port, type, len);
    size_t got_len = 0;
    char *got = NULL;
    if (n > 0 && (size_t) n < sizeof head && !s_send_all (fd, head, (size_t) n, deadline) &&
        !s_send_all (fd, body, len, deadline))
        got = s_recv_all (fd, deadline, PANDA_HTTP_CLIENT_MAX_ANSWER, &got_len);
    close (fd);
    if (!got)
        return s_why (why, size, "no answer from %s within %d ms", url, timeout_ms);
    char *end = strstr (got, "\r\n\r\n");
    int code;
    if (!end || sscanf (got, "HTTP/1.%*d %d", &code) != 1) {
        free (got);
        return s_why (why, size, "%s did not answer with HTTP", url);
    }
    *end = '\0';
    char *content = end + 4;
    size_t content_len = got_len - (size_t) (content - got);
    bool chunked = false;
    for (char *line = strstr (got, "\r\n"); line; line = strstr (line + 2, "\r\n"))
        if (strncasecmp (line + 2, "Transfer-Encoding:", 18) == 0 && strstr (line + 2, "chunked"))
            chunked = true;
        else if (strncasecmp (line + 2, "Content-Length:", 15) == 0) {
            unsigned long declared = strtoul (line + 17, NULL, 10);
            if (declared < content_len)
                content_len = declared;
        }
    if (chunked) {
        long decoded = s_unchunk (content, content_len);
        if (decoded < 0) {
            free (got);
            return s_why (why, size, "%s sent a malformed chunked answer", url);
        }
        content_len = (size_t) decoded;
    }
    memmove (got, content, content_len);
    got[content_len] = '\0';
    *status = code;
    *answer = got;
    *answer_len = content_len;
    return 0;
}
