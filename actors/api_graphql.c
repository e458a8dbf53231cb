/*  api_graphql.c - POST /graphql: body, GraphQL execution, and the two
    resolvers that go through the pipeline (nextArgs and publish).       */
#define _GNU_SOURCE //  POLLRDHUP
#include "api.h"

#include "panda/panda_hex.h"
#include "panda/panda_keypair.h"
#include "panda_node_schema.h"
#include "panda/panda_view_id.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

//  The pipeline always answers; this only bounds a wait if it is wedged.
#define S_PIPELINE_TIMEOUT_MS 60000
//  A wait for the pipeline looks at the stop check this often.
#define S_PIPELINE_SLICE_MS 50
//  A publish sent when its request stops still gets this long to be
//  answered: its answer is the client's acknowledgement.
#define S_PUBLISH_GRACE_MS 1000
//  Whether the client is still there is asked once a request has run
//  this long (finding its socket costs a scan of the descriptors), then
//  at most every S_DISCONNECT_POLL_MS.
#define S_DISCONNECT_AFTER_MS 50
#define S_DISCONNECT_POLL_MS 10
//  A body of unknown length (chunked) starts in a buffer of this size.
#define S_BODY_FIRST 4096

static const char s_text[] = "text/plain; charset=utf-8";
static const char s_timed_out[] = "Request timed out (graphql_timeout_ms)";
static const char s_gone[] = "Client disconnected";
static const char s_stopping[] = "Node is shutting down";

//  Answer with text and close the connection: the rest of the body, if
//  any, is never read (civetweb would otherwise read it all to keep the
//  connection).
static int
s_fail_close (struct mg_connection *conn, int status, const char *text, const char *extra_headers)
{
    char headers[256];
    snprintf (headers, sizeof headers, "Connection: close\r\n%s", extra_headers ? extra_headers : "");
    mg_disable_connection_keep_alive (conn);
    panda_api_respond (conn, status, s_text, text, strlen (text), headers);
    return status;
}

typedef struct {
    char *data;
    size_t used, cap; //  cap bytes allocated and reserved
    int64_t progress; //  when bytes last came (zclock_mono ms)
} s_body_t;

static void
s_body_free (panda_api_worker_t *worker, s_body_t *body)
{
    free (body->data);
    panda_api_guard_release (worker->guard, body->cap);
    *body = (s_body_t){0};
}

//  Grow the buffer to cap bytes, within the body memory budget.
static bool
s_body_grow (panda_api_worker_t *worker, s_body_t *body, size_t cap)
{
    if (!panda_api_guard_reserve (worker->guard, cap - body->cap))
        return false;
    char *bigger = realloc (body->data, cap);
    if (!bigger) {
        panda_api_guard_release (worker->guard, cap - body->cap);
        return false;
    }
    body->data = bigger, body->cap = cap;
    return true;
}

//  Read into body until it holds the whole request body (Content-Length:
//  its size at once; chunked: doubling, never beyond limit + 1 bytes).
//  Returns 0, 413 (over limit), 503 (over the memory budget) or -1 (read
//  failed: cut by the watchdog, or the client went).
static int
s_body_fill (struct mg_connection *conn, panda_api_worker_t *worker, s_body_t *body, size_t limit)
{
    long long length = mg_get_request_info (conn)->content_length;
    size_t first = length >= 0 ? (size_t) length + 1 : S_BODY_FIRST < limit + 1 ? S_BODY_FIRST : limit + 1;
    if (!s_body_grow (worker, body, first))
        return 503;
    while (true) {
        if (body->used + 1 == body->cap) {
            if (length >= 0)
                return 0; //  all Content-Length bytes are in
            if (body->cap == limit + 1) {
                //  Full at the limit: one byte more is too much.
                char more;
                int n = mg_read (conn, &more, 1);
                return n == 0 ? 0 : n > 0 ? 413 : -1;
            }
            size_t cap = body->cap * 2 < limit + 1 ? body->cap * 2 : limit + 1;
            if (!s_body_grow (worker, body, cap))
                return 503;
        }
        int n = mg_read (conn, body->data + body->used, body->cap - body->used - 1);
        if (n <= 0)
            return n == 0 && (length < 0 || body->used == (size_t) length) ? 0 : -1;
        body->used += (size_t) n;
        body->progress = zclock_mono ();
    }
}

//  Read the whole request body within http_max_body_bytes,
//  http_body_timeout_ms and http_max_body_memory_bytes. Returns 0 with
//  body filled (NUL-terminated; s_body_free it), or the status it answered
//  with (the connection then closes).
static int
s_read_body (struct mg_connection *conn, panda_api_worker_t *worker, s_body_t *body)
{
    const panda_config_t *config = worker->config;
    size_t limit = config->http_max_body_bytes;
    char text[256];
    if (mg_get_request_info (conn)->content_length > (long long) limit) {
        snprintf (text, sizeof text, "Request body is larger than http_max_body_bytes (%zu bytes)", limit);
        return s_fail_close (conn, 413, text, NULL);
    }
    //  mg_read only returns once all it was asked for came: the watchdog
    //  cuts the socket's read side when the body is late.
    body->progress = zclock_mono ();
    int64_t deadline = body->progress + config->http_body_timeout_ms;
    panda_api_guard_watch (worker->guard, worker, deadline, SHUT_RD);
    int rc = s_body_fill (conn, worker, body, limit);
    panda_api_guard_watch (worker->guard, worker, 0, 0);
    if (rc == 0) {
        body->data[body->used] = '\0';
        return 0;
    }
    s_body_free (worker, body);
    if (rc == 413) {
        snprintf (text, sizeof text, "Request body is larger than http_max_body_bytes (%zu bytes)", limit);
        return s_fail_close (conn, 413, text, NULL);
    }
    if (rc == 503)
        return s_fail_close (conn, 503,
                             "Too many request bodies are being read at once (http_max_body_memory_bytes), "
                             "retry later",
                             "Retry-After: 1\r\n");
    if (panda_api_guard_stopping (worker->guard))
        return s_fail_close (conn, 503, s_stopping, NULL);
    //  civetweb's read also gives up when no byte came for its
    //  request_timeout_ms (http_header_timeout_ms).
    int64_t now = zclock_mono ();
    if (now >= deadline || now - body->progress >= config->http_header_timeout_ms) {
        snprintf (text, sizeof text,
                  "Request body did not arrive in time (http_body_timeout_ms: %u ms for all of it, "
                  "http_header_timeout_ms: %u ms for the next byte)",
                  config->http_body_timeout_ms, config->http_header_timeout_ms);
        return s_fail_close (conn, 408, text, NULL);
    }
    return s_fail_close (conn, 400, "Request body could not be read", NULL);
}

//  async-graphql-axum: multipart is an upload (none exist here: 400); any
//  other media type, or none, is JSON; only the syntax is checked.
static const char *
s_content_type_error (struct mg_connection *conn)
{
    const char *type = mg_get_header (conn, "Content-Type");
    if (!type)
        return NULL;
    size_t main_len = strcspn (type, "/");
    const char *sub = type + main_len;
    size_t sub_len = *sub == '/' ? strcspn (sub + 1, "; \t") : 0;
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+";
    if (main_len == 0 || sub_len == 0 || strspn (type, token) != main_len ||
        strspn (sub + 1, token) != sub_len)
        return "invalid Content-Type header";
    if (main_len == 9 && strncasecmp (type, "multipart", 9) == 0)
        return "multipart requests are not supported: no upload fields exist";
    return NULL;
}

// ---------------------------------------------------------------------------
//  Stopping a request

//  True when the client's socket shows it has gone (it closed, or reset).
static bool
s_client_gone (panda_api_worker_t *worker)
{
    if (worker->fd == -1) {
        int fd = panda_api_guard_find_fd (worker->guard, worker->peer, worker->peer_port);
        worker->fd = fd >= 0 ? fd : -2;
    }
    //  The socket stays civetweb's and open until the handler returns.
    struct pollfd item = {worker->fd, POLLRDHUP, 0};
    return worker->fd >= 0 && poll (&item, 1, 0) > 0 && (item.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

const char *
panda_api_stopped (panda_api_worker_t *worker)
{
    if (!worker->in_request || worker->stopped)
        return worker->stopped;
    int64_t now = zclock_mono ();
    //  Once a publish is acknowledged, the answer carries the
    //  acknowledgement: only a client that went stops the request.
    if (!worker->acknowledged) {
        if (panda_api_guard_stopping (worker->guard))
            return worker->stopped = s_stopping;
        if (now >= worker->deadline)
            return worker->stopped = s_timed_out;
    }
    if (now - worker->started >= S_DISCONNECT_AFTER_MS && now >= worker->next_poll) {
        worker->next_poll = now + S_DISCONNECT_POLL_MS;
        if (s_client_gone (worker))
            return worker->stopped = s_gone;
    }
    return NULL;
}

static const char *
s_stop_fn (void *worker)
{
    return panda_api_stopped (worker);
}

void
panda_api_request_begin (panda_api_worker_t *worker, uint32_t timeout_ms)
{
    worker->started = zclock_mono ();
    worker->deadline = worker->started + timeout_ms;
    worker->next_poll = 0;
    worker->fd = -1;
    worker->stopped = NULL;
    worker->acknowledged = false;
    worker->in_request = true;
}

// ---------------------------------------------------------------------------

int
panda_api_graphql (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker)
{
    if (!worker || !worker->cache) {
        static const char busy[] = "worker thread has no GraphQL cache";
        panda_api_respond (conn, 500, s_text, busy, sizeof busy - 1, NULL);
        return 500;
    }
    const char *bad_type = s_content_type_error (conn);
    if (bad_type) {
        panda_api_respond (conn, 400, s_text, bad_type, strlen (bad_type), NULL);
        return 400;
    }
    s_body_t body = {0};
    int status = s_read_body (conn, worker, &body);
    if (status)
        return status;
    //  The request keeps this snapshot to its end, whatever is installed
    //  meanwhile (api_schema.c).
    panda_api_snapshot_t *snapshot = panda_api_snapshot_take (api);
    if (!snapshot) {
        s_body_free (worker, &body);
        static const char none[] = "the GraphQL schema is not built";
        panda_api_respond (conn, 503, s_text, none, sizeof none - 1, NULL);
        return 503;
    }
    worker->snapshot = snapshot;
    const panda_config_t *config = worker->config;
    panda_gql_resolvers_t resolvers = {panda_api_resolvers, PANDA_NODE_RESOLVE_COUNT};
    panda_gql_options_t options = {.max_json_depth = config->graphql_max_json_depth,
                                   .max_json_nodes = config->graphql_max_json_nodes,
                                   .max_cost = config->graphql_max_cost,
                                   .stop_fn = s_stop_fn,
                                   .stop_ctx = worker};
    panda_error_t err;
    panda_api_request_begin (worker, config->graphql_timeout_ms);
    json_t *response = panda_gql_execute_body (panda_api_snapshot_gql (snapshot), worker->cache, body.data,
                                               body.used, &resolvers, worker, &options, &err);
    //  No stop from here: ending the read transaction must not be
    //  interrupted (api_query.c stops SQL through the same check).
    worker->in_request = false;
    panda_api_query_end (worker);
    worker->snapshot = NULL;
    panda_api_snapshot_unref (&snapshot);
    s_body_free (worker, &body);
    if (worker->stopped == s_gone) {
        json_decref (response);
        mg_disable_connection_keep_alive (conn);
        return 499; //  for civetweb's log only: nobody to answer
    }
    if (!response) {
        panda_api_respond (conn, 400, s_text, err.message, strlen (err.message), NULL);
        return 400;
    }
    //  While the views lag, answers may miss recent entries: say so, as
    //  GraphQL's extensions allow (clients ignore what they do not know).
    int64_t behind = panda_api_views_behind (api->health);
    if (behind > (int64_t) config->views_behind_limit && json_is_object (response))
        json_object_set_new (response, "extensions", json_pack ("{s:I}", "viewsBehind", (json_int_t) behind));
    char *text = json_dumps (response, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (response);
    if (!text) {
        panda_api_respond (conn, 500, NULL, NULL, 0, NULL);
        return 500;
    }
    bool closing = worker->stopped == s_stopping;
    if (closing)
        mg_disable_connection_keep_alive (conn);
    //  A client that does not take its answer loses the connection.
    panda_api_guard_watch (worker->guard, worker, zclock_mono () + config->http_body_timeout_ms, SHUT_RDWR);
    panda_api_respond (conn, 200, "application/json", text, strlen (text),
                       closing ? "Connection: close\r\n" : NULL);
    panda_api_guard_watch (worker->guard, worker, 0, 0);
    free (text);
    return 200;
}

// ---------------------------------------------------------------------------
//  The pipeline

//  The worker's DEALER to ingest, connected at its first use: idle
//  workers hold no socket.
static zsock_t *
s_pipeline (panda_api_worker_t *worker)
{
    if (worker->pipeline)
        return worker->pipeline;
    worker->pipeline = panda_actor_plug (PANDA_PLUG_API_PIPELINE, worker->config, 0);
    //  A request that gave up leaves nothing to deliver at shutdown.
    if (worker->pipeline)
        zsock_set_linger (worker->pipeline, 0);
    return worker->pipeline;
}

//  The request id of a request or of its answer (0: a verb without one).
static uint64_t
s_req (const panda_msg_t *msg)
{
    switch (panda_msg_id (msg)) {
        case PANDA_MSG_PUBLISH: return panda_msg_publish_req (msg);
        case PANDA_MSG_NEXT_ARGS: return panda_msg_next_args_req (msg);
        case PANDA_MSG_ARGS: return panda_msg_args_req (msg);
        case PANDA_MSG_FAILED: return panda_msg_failed_req (msg);
        default: return 0;
    }
}

panda_msg_t *
panda_api_call (panda_api_worker_t *worker, panda_msg_t **request_p, panda_error_t *err)
{
    const char *stopped = panda_api_stopped (worker);
    zsock_t *pipeline = stopped ? NULL : s_pipeline (worker);
    if (!pipeline) {
        panda_msg_destroy (request_p);
        return panda_error_set (err, PANDA_ERR_IO, "%s",
                                stopped ? stopped : "cannot reach the node's pipeline"),
               NULL;
    }
    bool publish = panda_msg_id (*request_p) == PANDA_MSG_PUBLISH;
    uint64_t req = s_req (*request_p);
    if (panda_actor_send (pipeline, NULL, request_p))
        return panda_error_set (err, PANDA_ERR_IO, "cannot reach the node's pipeline"), NULL;
    panda_metrics_queued (worker->api->metrics, PANDA_QUEUE_INGEST);
    //  zmq_poll on the one socket: no poller to allocate per request. It
    //  waits in slices, to see the request's stop check.
    zmq_pollitem_t item = {zsock_resolve (pipeline), 0, ZMQ_POLLIN, 0};
    int64_t deadline = zclock_mono () + S_PIPELINE_TIMEOUT_MS;
    panda_msg_t *reply = NULL;
    while (!reply) {
        int64_t now = zclock_mono (), left = deadline - now;
        int rc = left > 0
                     ? zmq_poll (&item, 1, left < S_PIPELINE_SLICE_MS ? (long) left : S_PIPELINE_SLICE_MS)
                     : -1;
        if (rc < 0)
            break;
        if (rc == 0 && !stopped && (stopped = panda_api_stopped (worker))) {
            //  A read, or nobody left to tell: give up now. A publish may
            //  still be stored: its answer gets a little more time.
            if (!publish || stopped == s_gone)
                break;
            int64_t grace = worker->config->shutdown_timeout_ms / 4;
            grace = grace < S_PUBLISH_GRACE_MS ? grace : S_PUBLISH_GRACE_MS;
            deadline = now + grace < deadline ? now + grace : deadline;
        }
        if (rc > 0 && (reply = panda_actor_recv (pipeline, NULL)) && s_req (reply) != req)
            panda_msg_destroy (&reply); //  the answer to an earlier request that gave up
    }
    if (!reply) {
        if (stopped && publish)
            panda_log_warn (
                "api", "a publish got no answer before its request stopped (%s); it may be stored", stopped);
        return panda_error_set (err, PANDA_ERR_IO, "%s",
                                stopped ? stopped : "the node did not answer in time"),
               NULL;
    }
    if (publish && panda_msg_id (reply) == PANDA_MSG_ARGS) {
        worker->acknowledged = true;
        worker->stopped = stopped == s_gone ? stopped : NULL;
    }
    if (panda_msg_id (reply) == PANDA_MSG_FAILED) {
        panda_error_set (err, panda_msg_failed_code (reply), "%s", panda_msg_failed_message (reply));
        panda_msg_destroy (&reply);
    }
    return reply;
}

//  ARGS [req, log, seq, backlink, skiplink] as NextArguments JSON.
static json_t *
s_args_json (panda_msg_t *reply)
{
    panda_entry_args_t args = {.log_id = panda_msg_args_log_id (reply),
                               .seq_num = panda_msg_args_seq_num (reply)};
    size_t len;
    const uint8_t *link = panda_msg_args_backlink (reply, &len);
    if ((args.has_backlink = len == PANDA_HASH_SIZE))
        memcpy (args.backlink.bytes, link, PANDA_HASH_SIZE);
    link = panda_msg_args_skiplink (reply, &len);
    if ((args.has_skiplink = len == PANDA_HASH_SIZE))
        memcpy (args.skiplink.bytes, link, PANDA_HASH_SIZE);
    return panda_node_schema_next_args_json (&args);
}

//  Run request through the pipeline and put its ARGS answer into out. A
//  publish (author: its author's hex) that is not stored is logged: the
//  operator sees why clients fail.
static int
s_call_args (panda_gql_call_t *call, panda_gql_out_t *out, panda_msg_t *request, const char *author,
             panda_error_t *err)
{
    if (!request)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory"),
               panda_gql_call_error (call, "out of memory");
    panda_msg_t *reply = panda_api_call (call->user, &request, err);
    if (!reply && author && err->code == PANDA_ERR_IO) //  the node's trouble, not the client's
        panda_log_warn ("api", "publish by %s not stored: %s", author, err->message);
    else if (!reply && author)
        panda_log_info ("api", "rejected publish by %s: %s", author, err->message);
    if (!reply)
        return panda_gql_call_error (call, "%s", err->message);
    if (panda_msg_id (reply) != PANDA_MSG_ARGS || !(out->json = s_args_json (reply))) {
        panda_msg_destroy (&reply);
        panda_error_set (err, PANDA_ERR_INTERNAL, "unexpected answer from the pipeline");
        return panda_gql_call_error (call, "unexpected answer from the pipeline");
    }
    panda_msg_destroy (&reply);
    return 0;
}

//  Arguments were checked by their scalars during validation.
static int
s_next_args (panda_gql_call_t *call, panda_gql_out_t *out)
{
    panda_api_worker_t *worker = call->user;
    const char *key_hex = json_string_value (json_object_get (call->args, "publicKey"));
    const char *view = json_string_value (json_object_get (call->args, "viewId"));
    uint8_t *key = NULL;
    size_t key_len = 0, count = 0;
    panda_hash_t *ids = NULL;
    panda_error_t err;
    if (!key_hex || panda_hex_decode (key_hex, strlen (key_hex), &key, &key_len, &err) != PANDA_OK ||
        key_len != PANDA_PUBLIC_KEY_SIZE ||
        (view && panda_view_id_from_string (view, strlen (view), &ids, &count, &err) != PANDA_OK)) {
        free (key);
        free (ids);
        return panda_gql_call_error (call, "invalid nextArgs arguments");
    }
    panda_msg_t *request =
        panda_msg_next_args_new (++worker->next_req, key, key_len, ids, count * PANDA_HASH_SIZE);
    free (key);
    free (ids);
    return s_call_args (call, out, request, NULL, &err);
}

static int
s_publish (panda_gql_call_t *call, panda_gql_out_t *out)
{
    panda_api_worker_t *worker = call->user;
    const char *entry_hex = json_string_value (json_object_get (call->args, "entry"));
    const char *op_hex = json_string_value (json_object_get (call->args, "operation"));
    uint8_t *entry = NULL, *op = NULL;
    size_t entry_len = 0, op_len = 0;
    panda_error_t err;
    if (!entry_hex || !op_hex || panda_hex_decode (entry_hex, strlen (entry_hex), &entry, &entry_len, &err) ||
        panda_hex_decode (op_hex, strlen (op_hex), &op, &op_len, &err)) {
        free (op);
        free (entry);
        panda_log_info ("api", "rejected publish: invalid publish arguments (not hex)");
        panda_metrics_publish (worker->api->metrics, PANDA_ERR_DECODE);
        return panda_gql_call_error (call, "invalid publish arguments");
    }
    //  A Bamboo entry starts with its tag and its author's key.
    panda_public_key_t key;
    char author[PANDA_PUBLIC_KEY_HEX_SIZE + 1] = "an unknown author (entry too short)";
    if (entry_len >= 1 + PANDA_PUBLIC_KEY_SIZE) {
        memcpy (key.bytes, entry + 1, PANDA_PUBLIC_KEY_SIZE);
        panda_public_key_to_hex (&key, author);
    }
    panda_msg_t *request = panda_msg_publish_new (++worker->next_req, entry, entry_len, op, op_len);
    free (entry);
    free (op);
    int rc = s_call_args (call, out, request, author, &err);
    panda_metrics_publish (worker->api->metrics, rc == 0 ? PANDA_OK : err.code);
    return rc;
}

const panda_gql_resolve_fn panda_api_resolvers[PANDA_NODE_RESOLVE_COUNT] = {
    [PANDA_NODE_RESOLVE_NEXT_ARGS] = s_next_args,
    [PANDA_NODE_RESOLVE_PUBLISH] = s_publish,
    [PANDA_NODE_RESOLVE_DOCUMENT] = panda_api_resolve_document,
    [PANDA_NODE_RESOLVE_COLLECTION] = panda_api_resolve_collection,
    [PANDA_NODE_RESOLVE_VIEW_FIELDS] = panda_api_resolve_view_fields,
    [PANDA_NODE_RESOLVE_VIEW_META] = panda_api_resolve_view_meta,
    [PANDA_NODE_RESOLVE_ITEM_CURSOR] = panda_api_resolve_item_cursor,
    [PANDA_NODE_RESOLVE_FIELD] = panda_api_resolve_field,
    [PANDA_NODE_RESOLVE_LIST_FIELD] = panda_api_resolve_list_field,
    [PANDA_NODE_RESOLVE_PAGE] = panda_api_resolve_page,
};
