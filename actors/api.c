/*  api.c - the api actor: civetweb HTTP server (node-api §1).

    The actor thread owns the civetweb context; civetweb's worker threads
    run the requests. Each worker gets its own DEALER socket to ingest and
    its own GraphQL cache when civetweb starts it (init_thread), so no
    socket is ever shared between threads.

    Routes: POST /graphql, GET|HEAD /graphql (IDE page), GET|HEAD
    /blobs/<document_id>[/<view_id>], OPTIONS on each (CORS preflight).
    Anything else: 404, or 405 for a known path with another method.     */
#include "api.h"

#include <stdlib.h>
#include <string.h>

//  Answers up to this size are copied to go out in one write.
#define S_ONE_WRITE_MAX (64u << 10)

typedef struct {
    panda_actor_args_t *args;
    panda_api_t api;
    struct mg_context *http;
    zsock_t *schemas; //  SUB: SCHEMA events of the materialiser
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

static int
s_route (struct mg_connection *conn, void *cbdata)
{
    s_api_actor_t *self = cbdata;
    const struct mg_request_info *ri = mg_get_request_info (conn);
    const char *method = ri->request_method, *path = ri->local_uri;
    bool graphql = strcmp (path, "/graphql") == 0;
    bool blobs = strncmp (path, "/blobs/", 7) == 0 && path[7];
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
    bool get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
    if (graphql && strcmp (method, "POST") == 0)
        return panda_api_graphql (conn, &self->api, mg_get_thread_pointer (conn));
    if (graphql && get) {
        panda_api_respond (conn, 200, "text/html; charset=utf-8", panda_api_playground_html,
                           strlen (panda_api_playground_html), NULL);
        return 200;
    }
    if (blobs && get)
        return panda_api_blobs (conn, &self->api, mg_get_thread_pointer (conn), path + 7);
    panda_api_respond (conn, 405, NULL, NULL, 0, NULL);
    return 405;
}

//  civetweb calls these in each of its threads (type 1: request workers).
static void *
s_init_thread (const struct mg_context *ctx, int thread_type)
{
    if (thread_type != 1)
        return NULL;
    s_api_actor_t *self = mg_get_user_data (ctx);
    panda_api_worker_t *worker = calloc (1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->config = self->api.config;
    worker->pipeline = zsock_new (ZMQ_DEALER);
    worker->cache = panda_gql_cache_new (64);
    if (worker->pipeline) {
        zsock_set_linger (worker->pipeline, 0);
        if (zsock_connect (worker->pipeline, "%s", self->api.config->ingest_endpoint) < 0)
            panda_log_error ("api", "cannot connect to %s", self->api.config->ingest_endpoint);
    }
    return worker;
}

static void
s_exit_thread (const struct mg_context *ctx, int thread_type, void *thread_pointer)
{
    (void) ctx, (void) thread_type;
    panda_api_worker_t *worker = thread_pointer;
    if (worker) {
        panda_api_query_close (worker);
        zsock_destroy (&worker->pipeline);
        panda_gql_cache_destroy (&worker->cache);
        panda_views_destroy (&worker->blob_views);
        free (worker);
    }
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
    //  Subscribe before the first load, so that a schema recorded in
    //  between is not missed (it is loaded twice at worst).
    self->schemas = zsock_new (ZMQ_SUB);
    if (!self->schemas || zsock_connect (self->schemas, "%s", c->schemas_endpoint) < 0)
        return "cannot connect to schemas_endpoint";
    zsock_set_subscribe (self->schemas, "");
    zpoller_add (poller, self->schemas);
    panda_error_t err;
    if (panda_api_snapshot_reload (&self->api, &err) != PANDA_OK) {
        snprintf (self->reason, sizeof self->reason, "GraphQL schema: %s", err.message);
        return self->reason;
    }
    char ports[300], threads[16];
    snprintf (ports, sizeof ports, strchr (c->http_address, ':') ? "[%s]:%u" : "%s:%u", c->http_address,
              c->http_port);
    snprintf (threads, sizeof threads, "%u", c->http_threads ? c->http_threads : 1);
    //  civetweb answers CORS preflights itself (without the Vary headers
    //  and with other methods) unless its own CORS options are empty. It
    //  ties a worker thread to each open connection, so idle keep-alive
    //  connections are closed after a few seconds to free their thread.
    const char *options[] = {"listening_ports",
                             ports,
                             "num_threads",
                             threads,
                             "tcp_nodelay",
                             "1",
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "5000",
                             "request_timeout_ms",
                             "60000",
                             "access_control_allow_origin",
                             "",
                             "access_control_allow_methods",
                             "",
                             "access_control_allow_headers",
                             "",
                             NULL};
    struct mg_callbacks callbacks = {
        .init_thread = s_init_thread, .exit_thread = s_exit_thread, .log_message = s_log_message};
    if (!(self->http = mg_start (&callbacks, self, options))) {
        snprintf (self->reason, sizeof self->reason, "cannot listen on %s (http_address, http_port)", ports);
        return self->reason;
    }
    mg_set_request_handler (self->http, "/", s_route, self);
    struct mg_server_port port;
    self->args->port = mg_get_server_ports (self->http, 1, &port) == 1 ? port.port : c->http_port;
    return NULL;
}

//  SCHEMA [id]: a schema was recorded; rebuild from the views database
//  (events queued meanwhile are covered by the same rebuild). A failed
//  rebuild keeps the schema that is served now.
static void
s_handle (void *self_, zsock_t *which)
{
    s_api_actor_t *self = self_;
    panda_msg_t *msg = panda_actor_recv (which, NULL);
    if (!msg)
        return;
    if (panda_msg_id (msg) != PANDA_MSG_SCHEMA) {
        panda_log_warn ("api", "unexpected %s on schemas_endpoint", panda_msg_name (panda_msg_id (msg)));
        panda_msg_destroy (&msg);
        return;
    }
    panda_log_debug ("api", "schema %s added, rebuilding the GraphQL schema", panda_msg_str (msg, 0));
    panda_msg_destroy (&msg);
    while (zsock_events (which) & ZMQ_POLLIN) {
        msg = panda_actor_recv (which, NULL);
        panda_msg_destroy (&msg);
    }
    panda_error_t err;
    if (panda_api_snapshot_reload (&self->api, &err) != PANDA_OK)
        panda_log_error ("api", "cannot rebuild the GraphQL schema, keeping the previous one: %s",
                         err.message);
}

void
panda_api_actor (zsock_t *pipe, void *args)
{
    s_api_actor_t self = {.args = args};
    panda_api_init (&self.api, ((panda_actor_args_t *) args)->config);
    panda_actor_loop (pipe, &self, s_start, s_handle);
    if (self.http)
        mg_stop (self.http); //  waits for requests in flight
    zsock_destroy (&self.schemas);
    panda_api_release (&self.api);
}
