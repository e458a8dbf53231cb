/*  api.h - private to the api actor's files.                              */
#ifndef PANDA_API_H_INCLUDED
#define PANDA_API_H_INCLUDED

#include "panda_gql.h"
#include "panda_views.h"
#include "panda_actors.h"

#include <civetweb.h>
#include <pthread.h>

//  An immutable snapshot of the node's GraphQL schema and the p2panda
//  schemas it was built from (node-api §5). Reference-counted: a request
//  keeps the snapshot it started with while a newer one is installed.
typedef struct _panda_api_snapshot_t panda_api_snapshot_t;

//  The p2panda schema with this id in the snapshot (allowed and known), or
//  NULL. Borrowed for the snapshot's life; read-only, so any number of
//  worker threads may read it at once.
const panda_schema_t *panda_api_snapshot_schema (const panda_api_snapshot_t *self, const char *schema_id);

//  The GraphQL schema of the snapshot. Borrowed for the snapshot's life.
const panda_gql_schema_t *panda_api_snapshot_gql (const panda_api_snapshot_t *self);

//  Build a snapshot from p2panda schemas (system schemas first; *schemas_p
//  and every schema in it are consumed, also on failure; system schemas
//  are copied). Caller owns one reference; NULL with err set on failure.
panda_api_snapshot_t *panda_api_snapshot_new (panda_schema_t ***schemas_p, size_t count, panda_error_t *err);

//  Take another reference (thread-safe). Returns self.
panda_api_snapshot_t *panda_api_snapshot_ref (panda_api_snapshot_t *self);

//  Drop a reference (thread-safe); the last one frees. Accepts NULL, NULLs
//  *self_p.
void panda_api_snapshot_unref (panda_api_snapshot_t **self_p);

//  The snapshot of the node's allowed schemas as they are in the views
//  database now (api_schema.c): the system schemas config allows, then the
//  allowed materialised application schemas in materialisation order. A
//  views database that does not exist yet is created (it has no schemas).
//  Caller owns one reference; NULL with err set on failure.
panda_api_snapshot_t *panda_api_snapshot_load (const panda_config_t *config, panda_error_t *err);

typedef struct _panda_api_guard_t panda_api_guard_t;
typedef struct _panda_api_health_t panda_api_health_t;

//  Per civetweb worker thread: its own socket to the pipeline and its own
//  GraphQL document cache, so workers share nothing but the schema.
typedef struct {
    zsock_t *pipeline; //  DEALER to ingest, connected at the first call
    panda_gql_cache_t *cache;
    uint64_t next_req;
    const panda_api_snapshot_t *snapshot; //  of the request in flight
    panda_views_t *blob_views; //  read-only, opened by the first blob request
    const panda_config_t *config; //  the node's (views database path, page size)
    char *views_path; //  NULL: derived from config at the first query
    struct _panda_query_t *query; //  read-only views connection (api_query.c)
    bool query_begun; //  the request's read transaction is open
    panda_api_guard_t *guard;
    struct _panda_api_t *api;
    //  The connection it serves, under the guard's lock (api_guard.c)
    char peer[64]; //  remote address, as civetweb prints it
    int peer_port;
    char peer_key[64]; //  what is counted per address ("" when not counted)
    int64_t watch_deadline; //  0: no deadline on the socket
    int watch_how; //  SHUT_RD or SHUT_RDWR once it is due
    bool watch_fired;
    int shut_how; //  during one pass over the sockets: shut down so, -1 not
    //  The GraphQL request in flight (api_graphql.c), worker-only
    bool in_request;
    int64_t started, deadline, next_poll; //  zclock_mono ms
    int fd; //  its socket, -1 not looked up yet, -2 not found
    const char *stopped; //  why it stops, once it does
    bool acknowledged; //  a publish of it was answered
} panda_api_worker_t;

//  What one client can cost (api_guard.c): open connections per address,
//  deadlines on reading a body and on sending an answer, memory of bodies
//  being read at once, and a bounded stop. One per api actor, shared by
//  all workers (thread-safe).
panda_api_guard_t *panda_api_guard_new (const panda_config_t *config);

//  Stops the watchdog thread; the server must be stopped. NULLs *self_p.
void panda_api_guard_destroy (panda_api_guard_t **self_p);

//  The port connections come in on (known once civetweb listens).
void panda_api_guard_set_port (panda_api_guard_t *self, int port);

//  Worker threads come and go with civetweb (init_thread, exit_thread).
void panda_api_guard_add_worker (panda_api_guard_t *self, panda_api_worker_t *worker);
void panda_api_guard_remove_worker (panda_api_guard_t *self, panda_api_worker_t *worker);

//  A connection from addr:port reached worker (civetweb's
//  init_connection). Returns true when it is counted (call
//  panda_api_guard_close at its end), false when it is refused: over the
//  per-address limit or while stopping, it got a short answer and its
//  socket was shut down, so civetweb closes it at once.
bool panda_api_guard_open (panda_api_guard_t *self, panda_api_worker_t *worker, const char *addr, int port);
void panda_api_guard_close (panda_api_guard_t *self, panda_api_worker_t *worker);

//  From now on, the worker's socket is shut down (how: SHUT_RD, SHUT_RDWR)
//  at deadline (zclock_mono ms) or when the node stops, which ends any
//  civetweb read or write stuck on it. deadline 0: no more.
void panda_api_guard_watch (panda_api_guard_t *self, panda_api_worker_t *worker, int64_t deadline, int how);

//  Take bytes of the body memory budget (http_max_body_memory_bytes).
//  Returns false, taking nothing, when they do not fit.
bool panda_api_guard_reserve (panda_api_guard_t *self, size_t bytes);
void panda_api_guard_release (panda_api_guard_t *self, size_t bytes);

//  Count requests in handlers, so that a stop can wait for them.
void panda_api_guard_enter (panda_api_guard_t *self);
void panda_api_guard_leave (panda_api_guard_t *self);

//  True once the node is stopping.
bool panda_api_guard_stopping (const panda_api_guard_t *self);

//  Stop accepting work: new connections are refused, body reads are cut,
//  requests see panda_api_guard_stopping; wait up to drain_ms for requests
//  in handlers to end, then shut down every connection's socket and the
//  listener, so that mg_stop finds no worker waiting on a client. Call
//  mg_stop right after (civetweb's accept loop spins until then).
void panda_api_guard_stop (panda_api_guard_t *self, int drain_ms);

//  The socket of the connection from addr:port to our port, or -1.
int panda_api_guard_find_fd (const panda_api_guard_t *self, const char *addr, int port);

//  Shared by all workers. Only `current` changes while the server runs:
//  under `lock`, so that taking a reference never races with replacing it.
typedef struct _panda_api_t {
    const panda_config_t *config;
    pthread_mutex_t lock;
    panda_api_snapshot_t *current; //  newest snapshot, one reference held
    panda_api_guard_t *guard;
    panda_api_health_t *health; //  database figures (api_health.c)
    panda_metrics_t *metrics; //  the node's counters (may be NULL)
} panda_api_t;

//  Set up / tear down the snapshot holder (api_schema.c). init: lock only;
//  release: drops current (requests in flight keep theirs).
void panda_api_init (panda_api_t *self, const panda_config_t *config);
void panda_api_release (panda_api_t *self);

//  A reference to the newest snapshot, for one request (caller unrefs), or
//  NULL before the first one was installed.
panda_api_snapshot_t *panda_api_snapshot_take (panda_api_t *self);

//  Make snapshot (consumed) the newest; the previous one is freed when its
//  last request ends.
void panda_api_snapshot_install (panda_api_t *self, panda_api_snapshot_t **snapshot_p);

//  Reload from the views database and install. On failure the previous
//  snapshot stays and err says why.
PANDA_NODISCARD panda_err_t panda_api_snapshot_reload (panda_api_t *self, panda_error_t *err);

//  POST /graphql (api_graphql.c).
int panda_api_graphql (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker);

//  Resolvers of the per-schema part (api_query.c), by panda_node_resolver_t:
//  DOCUMENT, COLLECTION, LIST_FIELD, PAGE, VIEW_FIELDS, VIEW_META,
//  ITEM_CURSOR, FIELD. call->user is the worker.
int panda_api_resolve_document (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_collection (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_list_field (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_page (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_view_fields (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_view_meta (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_item_cursor (panda_gql_call_t *call, panda_gql_out_t *out);
int panda_api_resolve_field (panda_gql_call_t *call, panda_gql_out_t *out);

//  End the request's read transaction (after panda_gql_execute), and close
//  the worker's views connection (thread exit).
void panda_api_query_end (panda_api_worker_t *worker);
void panda_api_query_close (panda_api_worker_t *worker);

//  Resolvers of the node schema, indexed by panda_node_resolver_t.
extern const panda_gql_resolve_fn panda_api_resolvers[];

//  Why the worker's GraphQL request must stop (timeout, client gone,
//  node stopping), or NULL. Once stopped, it stays stopped.
const char *panda_api_stopped (panda_api_worker_t *worker);

//  Send a request to the pipeline and wait for its answer (ARGS or FAILED).
//  Caller owns the result; NULL with err set on a FAILED answer or timeout,
//  or when the request stops (see panda_api_stopped) before the answer.
panda_msg_t *panda_api_call (panda_api_worker_t *worker, panda_msg_t **request_p, panda_error_t *err);

//  The GraphQL IDE page for GET /graphql (api_playground.c): borrowed,
//  the same for the life of the process.
const char *panda_api_playground (size_t *len);

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

//  GET /replication (api_replication.c): the replicate actor's peers and
//  counters as JSON, asked over replication_endpoint.
int panda_api_replication (struct mg_connection *conn, const panda_api_t *api);

//  What the databases say (api_health.c); database_error is "" when both
//  answered.
typedef struct {
    int64_t entries, documents; //  stored
    int64_t position; //  the views are materialised up to this entry position
    int64_t behind; //  entries stored after it
    char database_error[PANDA_ERROR_MESSAGE_MAX];
} panda_api_figures_t;

//  Caller owns; NULL when out of memory. Thread-safe.
panda_api_health_t *panda_api_health_new (const panda_config_t *config);
void panda_api_health_destroy (panda_api_health_t **self_p);

//  Read the figures now; false (database_error set) when a database did
//  not answer.
bool panda_api_health_figures (panda_api_health_t *self, panda_api_figures_t *out);

//  Entries the views are behind, at most S_BEHIND_MS old; -1 unknown.
//  Cheap: what GraphQL requests call.
int64_t panda_api_views_behind (panda_api_health_t *self);

//  GET /health (api_health.c) and GET /metrics (api_metrics.c).
int panda_api_health (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker);
int panda_api_metrics (struct mg_connection *conn, panda_api_t *api);

//  Start the stop checks of a request that may wait timeout_ms
//  (api_graphql.c); clear worker->in_request at its end.
void panda_api_request_begin (panda_api_worker_t *worker, uint32_t timeout_ms);

#endif
