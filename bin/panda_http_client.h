/*  panda_http_client.h - the panda CLI's HTTP/1.1 client (plain http only).

    One request per connection ("Connection: close"), so no state lives
    between requests. The response body is streamed into a sink callback
    (a GraphQL answer into bounded memory, a blob straight into a file).
    Bounded: every read and write waits at most timeout_ms for progress,
    the status line and headers are capped, a sink may refuse more data.
    Errors are one-line messages naming the node's URL.                     */
#ifndef PANDA_HTTP_CLIENT_H_INCLUDED
#define PANDA_HTTP_CLIENT_H_INCLUDED

#include "panda/panda_err.h"

#include <stdbool.h>
#include <stddef.h>

#define PANDA_HTTP_CLIENT_MAX_HEADERS (64 * 1024) //  status line + headers of an answer
#define PANDA_HTTP_CLIENT_HOST_MAX 255

//  A parsed node URL: http://host[:port][/prefix].
typedef struct {
    char host[PANDA_HTTP_CLIENT_HOST_MAX + 1]; //  without [] for IPv6
    char port[8];
    char prefix[512]; //  path before /graphql and /blobs, no trailing '/'
    char text[1024]; //  the URL as given, for messages
} panda_http_url_t;

//  Parse text ("http://localhost:2020", "http://[::1]:2020/", a URL that
//  ends in /graphql is taken as its node). Returns PANDA_OK or
//  PANDA_ERR_INVALID with err saying why.
PANDA_NODISCARD panda_err_t panda_http_url_parse (panda_http_url_t *self, const char *text,
                                                  panda_error_t *err);

//  Gets body bytes as they arrive; returns 0 to go on, -1 to stop (it then
//  has set the error message itself in *err).
typedef int (panda_http_sink_fn) (void *ctx, const void *data, size_t len, panda_error_t *err);

typedef struct {
    int status; //  HTTP status
    char content_type[128]; //  "" when absent (truncated if longer)
    unsigned long long content_length; //  when has_length
    bool has_length;
} panda_http_answer_t;

typedef struct {
    const char *method; //  "GET", "POST"
    const char *path; //  after the URL's prefix, starting with '/'
    const char *content_type; //  of body; NULL without a body
    const void *body;
    size_t body_len;
    int timeout_ms; //  longest wait for any progress (connect, send, receive)
    //  Called once the headers are in, before any body byte (may be NULL);
    //  returning -1 stops (err set by it).
    int (*on_head) (void *ctx, const panda_http_answer_t *answer, panda_error_t *err);
    panda_http_sink_fn *sink; //  body bytes; NULL discards them
    void *ctx;
} panda_http_request_t;

//  Send request to url and read the whole answer. Returns PANDA_OK with
//  *answer filled (any status), or PANDA_ERR_IO with err saying what went
//  wrong ("cannot reach the node at URL: Connection refused", "the node at
//  URL did not answer within N s", ...), or the sink's error.
PANDA_NODISCARD panda_err_t panda_http_client_request (const panda_http_url_t *url,
                                                       const panda_http_request_t *request,
                                                       panda_http_answer_t *answer, panda_error_t *err);

#endif
