/*  panda_http_client.h - the panda CLI's HTTP client: one POST, one answer.

    Enough HTTP/1.1 to talk to a node's /graphql: http:// URLs (IPv4, IPv6
    in brackets, names), a request with Connection: close, an answer with
    Content-Length, chunked, or read to the end. Bounded in time (every
    connect, send and receive) and in size.                              */
#ifndef PANDA_HTTP_CLIENT_H_INCLUDED
#define PANDA_HTTP_CLIENT_H_INCLUDED

#include <stddef.h>

#define PANDA_HTTP_CLIENT_MAX_ANSWER (64u << 20) //  bytes of an answer's body

//  POST len bytes of body (Content-Type type) to url. On success returns 0
//  with *status the HTTP status and *answer the body (NUL-terminated,
//  *answer_len bytes; caller frees). On failure returns -1 with why (size
//  bytes) saying what went wrong ("cannot connect to ...").
int panda_http_client_post (const char *url, const char *type, const char *body, size_t len, int timeout_ms,
                            int *status, char **answer, size_t *answer_len, char *why, size_t size);

#endif
