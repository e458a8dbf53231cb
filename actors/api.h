/*  api.h - private to the api actor's files.                              */
#ifndef PANDA_API_H_INCLUDED
#define PANDA_API_H_INCLUDED

#include "panda/panda_gql.h"
#include "panda/panda_views.h"
#include "panda_actors.h"

#include <civetweb.h>

//  An immutable snapshot of the node's GraphQL schema and the p2panda
//  schemas it was built from (node-api §5). Reference-counted: a request
//  keeps the snapshot it started with while a newer one is installed.
typedef struct _panda_api_snapshot_t panda_api_snapshot_t;

//  The p2panda schema with this id in the snapshot (allowed and known), or
//  NULL. Borrowed for the snapshot's life.
const panda_schema_t *panda_api_snapshot_schema (const panda_api_snapshot_t *self, const char *schema_id);

//  Per civetweb worker thread: its own socket to the pipeline and its own
//  GraphQL document cache, so workers share nothing but the schema.
typedef struct {
    zsock_t *pipeline; //  DEALER to ingest
    panda_gql_cache_t *cache;
    uint64_t next_req;
    const panda_api_snapshot_t *snapshot; //  of the request in flight
    panda_views_t *blob_views; //  read-only, opened by the first blob request
} panda_api_worker_t;

//  Shared by all workers; read-only while the server runs.
typedef struct {
    const panda_config_t *config;
    panda_gql_schema_t *schema;
} panda_api_t;

//  POST /graphql (api_graphql.c).
int panda_api_graphql (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker);

//  Resolvers of the node schema, indexed by panda_node_resolver_t.
extern const panda_gql_resolve_fn panda_api_resolvers[];

//  Send a request to the pipeline and wait for its answer (ARGS or FAILED).
//  Caller owns the result; NULL with err set on a FAILED answer or timeout.
panda_msg_t *panda_api_call (panda_api_worker_t *worker, panda_msg_t **request_p, panda_error_t *err);

//  The GraphQL IDE page for GET /graphql (api_playground.c).
extern const char panda_api_playground_html[];

//  GET|HEAD /blobs/<rest> (api_blobs.c).
int panda_api_blobs (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker,
                     const char *rest);

//  Every response carries these (tower-http CORS layer, spec §1.5).
#define PANDA_API_CORS                                                                                       \
    "Access-Control-Allow-Origin: *\r\n"                                                                     \
    "Vary: origin\r\n"                                                                                       \
    "Vary: access-control-request-method\r\n"                                                                \
    "Vary: access-control-request-headers\r\n"

//  Response helpers (api.c): status line, CORS headers, optional
//  content type, body.
void panda_api_respond (struct mg_connection *conn, int status, const char *content_type, const char *body,
                        size_t len, const char *extra_headers);

#endif
