/*  api.c - the api actor: civetweb HTTP server (node-api §1).

    The actor thread owns the civetweb context; civetweb's worker threads
    run the requests. Each worker gets its own GraphQL cache when civetweb
    starts it (init_thread) and its own DEALER socket to ingest at its
    first pipeline call, so no socket is ever shared between threads and
    idle workers hold no socket. What one client can cost is bounded by
    api_guard.c (connections per address, deadlines on sockets, body
    memory) and the stop checks of api_graphql.c.

    Routes: POST /graphql, GET|HEAD /graphql (IDE page) and
    /graphql/assets/<hash>/<name> (its files, api_assets.c), GET|HEAD
    /blobs/<document_id>[/<view_id>], OPTIONS on each (CORS preflight);
    GET|HEAD /replication, /health (api_health.c), /metrics (api_metrics.c).
    Anything else: 404, or 405 for a known path with another method.

    Accepts:  SCHEMA              on SUB >schemas_endpoint (the actor thread)
              ARGS, FAILED        on each worker's DEALER >ingest_endpoint
    Emits:    PUBLISH, NEXT_ARGS  on that DEALER (api_graphql.c)
    Opens the views database <db>-views read-only: per worker for queries
    and blobs, and on each schema reload; reads blobs_base_path files. For
    /health, /metrics and GraphQL's viewsBehind: one read connection to
    each database (api_health.c).                                         */
#define _GNU_SOURCE //  pthread_getattr_np
#include "api.h"
#include "api_assets.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

//  Answers up to this size are copied to go out in one write.
#define S_ONE_WRITE_MAX (64u << 10)

#ifndef PANDA_GQL_WORKER_STACK
//  The stack the GraphQL engine's recursion limits are sized for (civetweb
//  1.15 as Debian builds it gives its workers 102400 bytes); panda_gql.h
//  is to define it.
#define PANDA_GQL_WORKER_STACK 102400
#endif

//  conn_data of a connection the guard refused.
static char s_refused;

//  Where client addresses are read in init_connection (s_early_info).
#define S_OFFSET_UNKNOWN -1
#define S_OFFSET_NONE -2
static atomic_long s_info_offset = S_OFFSET_UNKNOWN;

typedef struct {
    panda_actor_args_t *args;
    panda_api_t api;
    struct mg_context *http;
    zsock_t *schemas; //  SUB: SCHEMA events of the materialiser
    bool reload; //  a SCHEMA came in the drain that is ending
    char reason[PANDA_ERROR_MESSAGE_MAX + 64];
} s_api_actor_t;

void
panda_api_respond (struct mg_connection *conn, int status, const char *content_type, const char *body,
                   size_t len, const char *extra_headers)
{
    //  Head and body leave in one write, so a small answer is one TCP
    //  segment (tcp_nodelay sends every write at once).
    char head[1024];
    int n = snprintf (head, sizeof head,
                      "HTTP/1.1 %d %s\r\n" PANDA_API_CORS "%s%s%s%sContent-Length: %zu\r\n\r\n", status,
                      mg_get_response_code_text (conn, status), content_type ? "Content-Type: " : "",
                      content_type ? content_type : "", content_type ? "\r\n" : "",
                      extra_headers ? extra_headers : "", len);
    if (n < 0 || (size_t) n >= sizeof head)
        return; //  our own constant headers: cannot happen
    const struct mg_request_info *ri = mg_get_request_info (conn);
    if (strcmp (ri->request_method, "HEAD") == 0)
        len = 0;
    char *all = len && len <= S_ONE_WRITE_MAX ? malloc ((size_t) n + len) : NULL;
    if (all) {
        memcpy (all, head, (size_t) n);
        memcpy (all + n, body, len);
        mg_write (conn, all, (size_t) n + len);
        free (all);
        return;
    }
    mg_write (conn, head, (size_t) n);
    if (len)
        mg_write (conn, body, len);
}

static int s_serve (s_api_actor_t *self, struct mg_connection *conn);

static int
s_route (struct mg_connection *conn, void *cbdata)
{
    s_api_actor_t *self = cbdata;
    if (mg_get_user_connection_data (conn) == &s_refused) {
        //  Its answer went out already; a request that was queued on the
        //  socket before it was shut down is not served.
        mg_disable_connection_keep_alive (conn);
        return 503;
    }
    long offset = atomic_load (&s_info_offset);
    if (offset >= 0 && (const char *) mg_get_request_info (conn) != (const char *) conn + offset) {
        //  Not where it was found: stop reading there (see s_early_info).
        atomic_store (&s_info_offset, S_OFFSET_NONE);
        panda_log_error ("api", "client addresses were misread: http_max_connections_per_address is off");
    }
    const struct mg_request_info *ri = mg_get_request_info (conn);
    bool graphql_post = strcmp (ri->local_uri, "/graphql") == 0 && strcmp (ri->request_method, "POST") == 0;
    if (!graphql_post && (ri->content_length > 0 || mg_get_header (conn, "Transfer-Encoding")))
        //  A body nobody reads: civetweb would read it all to keep the
        //  connection, for as long as the client sends.
        mg_disable_connection_keep_alive (conn);
    panda_route_t route = strcmp (ri->local_uri, "/graphql") == 0      ? PANDA_ROUTE_GRAPHQL
                          : strncmp (ri->local_uri, "/blobs/", 7) == 0 ? PANDA_ROUTE_BLOBS
                                                                       : PANDA_ROUTE_OTHER;
    int64_t started = zclock_usecs ();
    panda_api_guard_enter (self->api.guard);
    int status = s_serve (self, conn);
    panda_api_guard_leave (self->api.guard);
    int64_t took = zclock_usecs () - started;
    //  request_uri as sent (not decoded: no control characters in the log)
    panda_log_debug ("api", "%s %s %d %.1f ms", ri->request_method, ri->request_uri, status,
                     (double) took / 1000.0);
    panda_metrics_request (self->api.metrics, route, took > 0 ? (uint64_t) took : 0);
    return status;
}

static int
s_serve (s_api_actor_t *self, struct mg_connection *conn)
{
    const struct mg_request_info *ri = mg_get_request_info (conn);
    const char *method = ri->request_method, *path = ri->local_uri;
    bool graphql = strcmp (path, "/graphql") == 0;
    if (panda_api_is_asset_path (path) && (strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0))
        return panda_api_assets_serve (conn, path);
    bool blobs = strncmp (path, "/blobs/", 7) == 0 && path[7];
    bool get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
    if (strcmp (path, "/replication") == 0 && get)
        return panda_api_replication (conn, &self->api);
    if (strcmp (path, "/health") == 0 && get)
        return panda_api_health (conn, &self->api, mg_get_thread_pointer (conn));
    if (strcmp (path, "/metrics") == 0 && get)
        return panda_api_metrics (conn, &self->api);
    if (!graphql && !blobs) {
        panda_api_respond (conn, 404, NULL, NULL, 0, NULL);
        return 404;
    }
    if (strcmp (method, "OPTIONS") == 0) {
        panda_api_respond (conn, 200, NULL, NULL, 0,
                           "Access-Control-Allow-Methods: GET,POST,OPTIONS\r\n"
                           "Access-Control-Allow-Headers: content-type\r\n");
        return 200;
    }
    if (graphql && strcmp (method, "POST") == 0)
        return panda_api_graphql (conn, &self->api, mg_get_thread_pointer (conn));
    if (graphql && get) {
        size_t len;
        const char *page = panda_api_playground (&len);
        panda_api_respond (conn, 200, "text/html; charset=utf-8", page, len, "Cache-Control: no-cache\r\n");
        return 200;
    }
    if (blobs && get)
        return panda_api_blobs (conn, &self->api, mg_get_thread_pointer (conn), path + 7);
    panda_api_respond (conn, 405, NULL, NULL, 0, NULL);
    return 405;
}

//  The GraphQL engine's recursion limits assume PANDA_GQL_WORKER_STACK;
//  a civetweb built with smaller worker stacks would crash on deep
//  requests instead of refusing them. Said once, at start.
static void
s_check_stack (void)
{
    static atomic_bool checked;
    pthread_attr_t attr;
    size_t size = 0;
    if (atomic_exchange (&checked, true) || pthread_getattr_np (pthread_self (), &attr) != 0)
        return;
    pthread_attr_getstacksize (&attr, &size);
    pthread_attr_destroy (&attr);
    if (size < PANDA_GQL_WORKER_STACK)
        panda_log_warn ("api",
                        "civetweb worker threads have %zu bytes of stack, the GraphQL engine is built for %d",
                        size, PANDA_GQL_WORKER_STACK);
}

//  civetweb calls these in each of its threads (type 1: request workers).
static void *
s_init_thread (const struct mg_context *ctx, int thread_type)
{
    if (thread_type != 1)
        return NULL;
    s_check_stack ();
    s_api_actor_t *self = mg_get_user_data (ctx);
    panda_api_worker_t *worker = calloc (1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->config = self->api.config;
    worker->guard = self->api.guard;
    worker->api = &self->api;
    worker->cache = panda_gql_cache_new (64);
    panda_api_guard_add_worker (worker->guard, worker);
    return worker;
}

static void
s_exit_thread (const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
    (void) ctx, (void) thread_type;
    panda_api_worker_t *worker = thread_pointer;
    if (worker) {
        panda_api_guard_remove_worker (worker->guard, worker);
        panda_api_query_close (worker);
        zsock_destroy (&worker->pipeline);
        panda_gql_cache_destroy (&worker->cache);
        panda_views_destroy (&worker->blob_views);
        free (worker);
    }
}

//  civetweb 1.15 calls init_connection before it marks the connection as
//  a request, so mg_get_request_info answers NULL there, although the
//  client's address and port are already in the connection's request
//  info, a member of the connection object. Its offset is found once, as
//  the one word of the object mg_set_user_connection_data changes (its
//  conn_data), and checked against mg_get_request_info at the first request
//  (s_route). The scan stays within the first sizeof (struct
//  mg_request_info) bytes, inside the object whatever the offset is.

static long
s_find_info_offset (const struct mg_connection *conn)
{
    static char mark_a, mark_b;
    const unsigned char *bytes = (const unsigned char *) conn;
    void *saved = mg_get_user_connection_data (conn), *a = &mark_a, *b = &mark_b;
    long found = S_OFFSET_NONE;
    int matches = 0;
    mg_set_user_connection_data (conn, a);
    for (size_t at = 0; at + sizeof a <= sizeof (struct mg_request_info); at += sizeof a)
        if (memcmp (bytes + at, &a, sizeof a) == 0) {
            mg_set_user_connection_data (conn, b);
            if (memcmp (bytes + at, &b, sizeof b) == 0)
                found = (long) at - (long) offsetof (struct mg_request_info, conn_data), matches++;
            mg_set_user_connection_data (conn, a);
        }
    mg_set_user_connection_data (conn, saved);
    return matches == 1 && found >= 0 ? found : S_OFFSET_NONE;
}

static const struct mg_request_info *
s_early_info (const struct mg_connection *conn)
{
    long offset = atomic_load (&s_info_offset);
    if (offset == S_OFFSET_UNKNOWN) {
        offset = s_find_info_offset (conn);
        atomic_store (&s_info_offset, offset);
        if (offset == S_OFFSET_NONE)
            panda_log_warn ("api", "cannot read client addresses before requests: "
                                   "http_max_connections_per_address is not applied");
    }
    return offset >= 0 ? (const struct mg_request_info *) ((const char *) conn + offset) : NULL;
}

//  A worker took a new connection, before its first request head is read.
//  conn_data: the worker while the connection is counted, &s_refused when
//  the guard refused it (civetweb closes it at its first read).
static int
s_init_connection (const struct mg_connection *conn, void **conn_data)
{
    s_api_actor_t *self = mg_get_user_data (mg_get_context (conn));
    panda_api_worker_t *worker = mg_get_thread_pointer (conn);
    const struct mg_request_info *info = s_early_info (conn);
    if (worker && info && memchr (info->remote_addr, '\0', sizeof info->remote_addr))
        *conn_data = panda_api_guard_open (self->api.guard, worker, info->remote_addr, info->remote_port)
                         ? (void *) worker
                         : &s_refused;
    return 0;
}

static void
s_connection_close (const struct mg_connection *conn)
{
    void *data = mg_get_user_connection_data (conn);
    if (data && data != &s_refused)
        panda_api_guard_close (((panda_api_worker_t *) data)->guard, data);
}

static int
s_log_message (const struct mg_connection *conn, const char *message)
{
    (void) conn;
    panda_log_warn ("api", "civetweb: %s", message);
    return 1;
}

static const char *
s_start (void *self_, zpoller_t *poller)
{
    panda_actor_set_name ("api");
    s_api_actor_t *self = self_;
    const panda_config_t *c = self->args->config;
    if (!(self->api.guard = panda_api_guard_new (c)) || !(self->api.health = panda_api_health_new (c)))
        return "out of memory";
    self->api.metrics = self->args->metrics;
    //  Subscribe before the first load, so that a schema recorded in
    //  between is not missed (it is loaded twice at worst).
    if (!(self->schemas = panda_actor_plug (PANDA_PLUG_API_SCHEMAS, c, 0)))
        return "cannot connect to schemas_endpoint";
    zpoller_add (poller, self->schemas);
    panda_error_t err;
    if (panda_api_snapshot_reload (&self->api, &err) != PANDA_OK) {
        snprintf (self->reason, sizeof self->reason, "GraphQL schema: %s", err.message);
        return self->reason;
    }
    char ports[300], threads[16], queue[16], backlog[16], header_ms[16], keep_alive_ms[16];
    snprintf (ports, sizeof ports, strchr (c->http_address, ':') ? "[%s]:%u" : "%s:%u", c->http_address,
              c->http_port);
    unsigned workers = c->http_threads ? c->http_threads : 1;
    snprintf (threads, sizeof threads, "%u", workers);
    //  Accepted connections wait in civetweb's queue while every worker is
    //  busy, then in the kernel's backlog: room for one more round of
    //  workers in each, so a burst is not dropped while workers free up.
    snprintf (queue, sizeof queue, "%u", workers);
    snprintf (backlog, sizeof backlog, "%u", workers < 128 ? 128 : workers);
    //  civetweb's request_timeout_ms bounds the whole head of a request
    //  (from the first poll for it); for a body it is only the longest wait
    //  for one byte, so api_graphql.c bounds the whole body itself.
    snprintf (header_ms, sizeof header_ms, "%u", c->http_header_timeout_ms);
    snprintf (keep_alive_ms, sizeof keep_alive_ms, "%u", c->http_keep_alive_timeout_ms);
    //  civetweb answers CORS preflights itself (without the Vary headers
    //  and with other methods) unless its own CORS options are empty. It
    //  ties a worker thread to each open connection, so idle keep-alive
    //  connections are closed after a few seconds to free their thread.
    const char *options[] = {"listening_ports",
                             ports,
                             "num_threads",
                             threads,
                             "connection_queue",
                             queue,
                             "listen_backlog",
                             backlog,
                             "tcp_nodelay",
                             "1",
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             keep_alive_ms,
                             "request_timeout_ms",
                             header_ms,
                             "access_control_allow_origin",
                             "",
                             "access_control_allow_methods",
                             "",
                             "access_control_allow_headers",
                             "",
                             NULL};
    struct mg_callbacks callbacks = {.init_thread = s_init_thread,
                                     .exit_thread = s_exit_thread,
                                     .init_connection = s_init_connection,
                                     .connection_close = s_connection_close,
                                     .log_message = s_log_message};
    if (!(self->http = mg_start (&callbacks, self, options))) {
        snprintf (self->reason, sizeof self->reason, "cannot listen on %s (http_address, http_port)", ports);
        return self->reason;
    }
    mg_set_request_handler (self->http, "/", s_route, self);
    struct mg_server_port port;
    self->args->port = mg_get_server_ports (self->http, 1, &port) == 1 ? port.port : c->http_port;
    panda_api_guard_set_port (self->api.guard, self->args->port);
    return NULL;
}

//  SCHEMA [id]: a schema was recorded; rebuild from the views database once
//  the drain ends (s_drained: the events of one drain share one rebuild).
//  A failed rebuild keeps the schema that is served now.
static void
s_handle (void *self_, zsock_t *which)
{
    s_api_actor_t *self = self_;
    panda_msg_t *msg = panda_actor_recv (which, NULL);
    if (!msg)
        return;
    if (panda_msg_id (msg) == PANDA_MSG_SCHEMA) {
        panda_log_debug ("api", "schema %s added, rebuilding the GraphQL schema",
                         panda_msg_schema_schema_id (msg));
        self->reload = true;
    } else
        panda_log_warn ("api", "unexpected %s on schemas_endpoint", panda_msg_name (panda_msg_id (msg)));
    panda_msg_destroy (&msg);
}

static void
s_drained (void *self_, zsock_t *which)
{
    s_api_actor_t *self = self_;
    (void) which;
    if (!self->reload)
        return;
    self->reload = false;
    panda_error_t err;
    if (panda_api_snapshot_reload (&self->api, &err) != PANDA_OK)
        panda_log_error ("api", "cannot rebuild the GraphQL schema, keeping the previous one: %s",
                         err.message);
}

void
panda_api_actor (zsock_t *pipe, void *args)
{
    s_api_actor_t self = {.args = args};
    const panda_config_t *config = ((panda_actor_args_t *) args)->config;
    panda_api_init (&self.api, config);
    panda_actor_loop_batched (pipe, &self, s_start, s_handle, s_drained, NULL);
    if (self.http) {
        //  Requests see the stop and end (a publish already sent still
        //  gets its answer); what is left is cut, so that mg_stop, which
        //  waits for every worker, returns within about half of
        //  shutdown_timeout_ms whatever the clients do.
        panda_api_guard_stop (self.api.guard, (int) (config->shutdown_timeout_ms / 2));
        mg_stop (self.http);
    }
    panda_api_guard_destroy (&self.api.guard);
    panda_api_health_destroy (&self.api.health);
    zsock_destroy (&self.schemas);
    panda_api_release (&self.api);
}
