/*  panda_http.h - a small blocking HTTP/1.1 keep-alive client for node
    tests and benchmarks.

    One TCP connection to host:port, reused across requests. Every request
    has one deadline (timeout_ms from connect). Responses are read whole:
    Content-Length, chunked, or until the server closes. No TLS, no
    redirects, no library: POSIX sockets only.                              */
#ifndef PANDA_HTTP_H_INCLUDED
#define PANDA_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

//  Largest response header block and body we accept (a test guard, not a
//  protocol limit).
#define PANDA_HTTP_MAX_HEADERS (64 * 1024)
#define PANDA_HTTP_MAX_BODY (256 * 1024 * 1024)

typedef struct _panda_http_t panda_http_t;

typedef struct {
    int status; //  e.g. 200
    char *headers; //  raw header lines "name: value\r\n", names lower-cased
    char *body; //  body_len bytes, always NUL-terminated (never NULL after success)
    size_t body_len;
} panda_http_response_t;

//  Connect to host:port (numeric IPv4 or a name). timeout_ms bounds the
//  connect and, later, each request. Returns NULL on failure. Caller owns
//  the result (panda_http_destroy).
panda_http_t *panda_http_connect (const char *host, int port, int timeout_ms);

//  Close the connection and free it. Accepts NULL and *self_p == NULL.
void panda_http_destroy (panda_http_t **self_p);

//  Send one request and read the whole response into *resp. headers are
//  extra header lines ("Name: value\r\n...") or NULL; body may be NULL.
//  Host and Content-Length (when there is a body or the method is POST or
//  PUT) are added. HEAD answers and 1xx/204/304 have no body. If the
//  kept-alive connection turns out to be closed by the server before any
//  response byte came back, reconnects and sends once more. Returns 0 or -1
//  (timeout, I/O or protocol error; *resp is then empty). The caller owns
//  *resp (panda_http_response_release).
int panda_http_request (panda_http_t *self, const char *method, const char *path, const char *headers,
                        const char *body, size_t body_len, panda_http_response_t *resp);

//  Free what a response holds and zero it. Accepts an empty response.
void panda_http_response_release (panda_http_response_t *resp);

//  First value of header name (case-insensitive) copied into buf, or NULL
//  when absent (or when it does not fit).
const char *panda_http_header (const panda_http_response_t *resp, const char *name, char *buf, size_t size);

//  Value number index (0-based) of a repeated header, or NULL.
const char *panda_http_header_nth (const panda_http_response_t *resp, const char *name, size_t index,
                                   char *buf, size_t size);

//  How many times header name appears (e.g. three Vary lines).
size_t panda_http_header_count (const panda_http_response_t *resp, const char *name);

//  POST /graphql with {"query":..,"variables":..,"operationName":..}
//  (variables borrowed, may be NULL; operation_name may be NULL) and parse
//  the JSON answer. *status (may be NULL) gets the HTTP status or -1.
//  Returns NULL if the request failed or the body is not JSON. Caller owns
//  the result (json_decref).
json_t *panda_http_graphql (panda_http_t *self, const char *query, json_t *variables,
                            const char *operation_name, int *status);

//  Ask query (no variables) until pred (given the answer's "data", may be
//  NULL) returns true, as a client polls for materialisation (node-api
//  §6.7); between tries it waits a little longer each time (1 ms .. 50 ms).
//  Returns the last answer (caller owns) when pred held, NULL at timeout.
typedef bool (panda_http_pred_fn) (json_t *data, void *ctx);
json_t *panda_http_graphql_until (panda_http_t *self, const char *query, panda_http_pred_fn *pred, void *ctx,
                                  int timeout_ms);

//  GET path until the answer is not 404 (a blob not materialised yet), with
//  the same waits as panda_http_graphql_until. Returns 0 with *resp filled
//  (release it), or -1 at timeout or when a request failed.
int panda_http_get_until_found (panda_http_t *self, const char *path, int timeout_ms,
                                panda_http_response_t *resp);

//  Wait until the node's GraphQL schema has a type called name (a p2panda
//  schema id once its schema is materialised). Returns 0, or -1 at timeout.
int panda_http_wait_type (panda_http_t *self, const char *name, int timeout_ms);

//  The two documents shirokuma 0.1.3 sends, byte for byte (node-api §8),
//  with operationName "NextArgs" and "Publish".
extern const char panda_http_shirokuma_next_args[];
extern const char panda_http_shirokuma_publish[];

#endif
