/*  api_graphql.c - POST /graphql: body, GraphQL execution, and the two
    resolvers that go through the pipeline (nextArgs and publish).       */
#include "api.h"

#include "panda/panda_hex.h"
#include "panda/panda_keypair.h"
#include "panda/panda_node_schema.h"
#include "panda/panda_view_id.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  aquadoggo sets no limit; this one only keeps a client from filling the
//  memory. A blob piece (256 000 bytes) is ~512 kB of hex.
#define S_BODY_MAX (PANDA_MSG_MAX_BODY)
//  The pipeline always answers; this only bounds a wait if it is wedged.
#define S_PIPELINE_TIMEOUT_MS 60000

//  Read the whole request body (Content-Length or chunked). Caller frees.
//  NULL with *status 413 (too large) or 400 (read error).
static char *
s_read_body (struct mg_connection *conn, size_t *len, int *status)
{
    const struct mg_request_info *ri = mg_get_request_info (conn);
    if (ri->content_length > (long long) S_BODY_MAX) {
        *status = 413;
        return NULL;
    }
    size_t cap = ri->content_length >= 0 ? (size_t) ri->content_length + 1 : 4096, used = 0;
    char *buf = malloc (cap);
    while (buf) {
        if (used + 1 >= cap) {
            char *bigger = cap > S_BODY_MAX ? NULL : realloc (buf, cap * 2);
            if (!bigger) {
                free (buf);
                *status = 413;
                return NULL;
            }
            buf = bigger, cap *= 2;
        }
        int n = mg_read (conn, buf + used, cap - used - 1);
        if (n < 0) {
            free (buf);
            *status = 400;
            return NULL;
        }
        if (n == 0)
            break;
        used += (size_t) n;
    }
    if (buf)
        buf[used] = '\0';
    *len = used;
    *status = buf ? 200 : 500;
    return buf;
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

int
panda_api_graphql (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker)
{
    if (!worker || !worker->pipeline || !worker->cache) {
        static const char busy[] = "worker thread has no pipeline socket";
        panda_api_respond (conn, 500, "text/plain; charset=utf-8", busy, sizeof busy - 1, NULL);
        return 500;
    }
    const char *bad_type = s_content_type_error (conn);
    if (bad_type) {
        panda_api_respond (conn, 400, "text/plain; charset=utf-8", bad_type, strlen (bad_type), NULL);
        return 400;
    }
    size_t len;
    int status;
    char *body = s_read_body (conn, &len, &status);
    if (!body) {
        panda_api_respond (conn, status, NULL, NULL, 0, NULL);
        return status;
    }
    //  The request keeps this snapshot to its end, whatever is installed
    //  meanwhile (api_schema.c).
    panda_api_snapshot_t *snapshot = panda_api_snapshot_take (api);
    if (!snapshot) {
        free (body);
        static const char none[] = "the GraphQL schema is not built";
        panda_api_respond (conn, 503, "text/plain; charset=utf-8", none, sizeof none - 1, NULL);
        return 503;
    }
    worker->snapshot = snapshot;
    panda_gql_resolvers_t resolvers = {panda_api_resolvers, PANDA_NODE_RESOLVE_COUNT};
    panda_error_t err;
    json_t *response = panda_gql_execute_body (panda_api_snapshot_gql (snapshot), worker->cache, body, len,
                                               &resolvers, worker, NULL, &err);
    panda_api_query_end (worker); //  the request's read transaction
    worker->snapshot = NULL;
    panda_api_snapshot_unref (&snapshot);
    free (body);
    if (!response) {
        panda_api_respond (conn, 400, "text/plain; charset=utf-8", err.message, strlen (err.message), NULL);
        return 400;
    }
    char *text = json_dumps (response, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (response);
    if (!text) {
        panda_api_respond (conn, 500, NULL, NULL, 0, NULL);
        return 500;
    }
    panda_api_respond (conn, 200, "application/json", text, strlen (text), NULL);
    free (text);
    return 200;
}

panda_msg_t *
panda_api_call (panda_api_worker_t *worker, panda_msg_t **request_p, panda_error_t *err)
{
    uint64_t req = panda_msg_u64 (*request_p, 0);
    if (panda_actor_send (worker->pipeline, NULL, request_p))
        return panda_error_set (err, PANDA_ERR_IO, "cannot reach the node's pipeline"), NULL;
    //  zmq_poll on the one socket: no poller to allocate per request.
    zmq_pollitem_t item = {zsock_resolve (worker->pipeline), 0, ZMQ_POLLIN, 0};
    int64_t deadline = zclock_mono () + S_PIPELINE_TIMEOUT_MS;
    panda_msg_t *reply = NULL;
    while (!reply) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || zmq_poll (&item, 1, (long) left) <= 0)
            break;
        reply = panda_actor_recv (worker->pipeline, NULL);
        //  An answer to an earlier request that timed out: drop it.
        if (reply && panda_msg_u64 (reply, 0) != req)
            panda_msg_destroy (&reply);
    }
    if (!reply)
        return panda_error_set (err, PANDA_ERR_IO, "the node did not answer in time"), NULL;
    if (panda_msg_id (reply) == PANDA_MSG_FAILED) {
        panda_error_set (err, (panda_err_t) panda_msg_u64 (reply, 1), "%s", panda_msg_str (reply, 2));
        panda_msg_destroy (&reply);
    }
    return reply;
}

//  ARGS [req, log, seq, backlink, skiplink] as NextArguments JSON.
static json_t *
s_args_json (panda_msg_t *reply)
{
    panda_entry_args_t args = {.log_id = panda_msg_u64 (reply, 1), .seq_num = panda_msg_u64 (reply, 2)};
    size_t len;
    const uint8_t *link = panda_msg_bin (reply, 3, &len);
    if ((args.has_backlink = len == PANDA_HASH_SIZE))
        memcpy (args.backlink.bytes, link, PANDA_HASH_SIZE);
    link = panda_msg_bin (reply, 4, &len);
    if ((args.has_skiplink = len == PANDA_HASH_SIZE))
        memcpy (args.skiplink.bytes, link, PANDA_HASH_SIZE);
    return panda_node_next_args_json (&args);
}

//  Run request through the pipeline and put its ARGS answer into out.
static int
s_call_args (panda_gql_call_t *call, panda_gql_out_t *out, panda_msg_t *request)
{
    if (!request)
        return panda_gql_call_error (call, "out of memory");
    panda_error_t err;
    panda_msg_t *reply = panda_api_call (call->user, &request, &err);
    if (!reply)
        return panda_gql_call_error (call, "%s", err.message);
    if (panda_msg_id (reply) != PANDA_MSG_ARGS || !(out->json = s_args_json (reply))) {
        panda_msg_destroy (&reply);
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
    panda_msg_t *request = panda_msg_new (PANDA_MSG_NEXT_ARGS, ++worker->next_req, key, key_len,
                                          ids ? (void *) ids : (void *) key, count * PANDA_HASH_SIZE);
    free (key);
    free (ids);
    return s_call_args (call, out, request);
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
        return panda_gql_call_error (call, "invalid publish arguments");
    }
    static const uint8_t empty[1];
    panda_msg_t *request = panda_msg_new (PANDA_MSG_PUBLISH, ++worker->next_req, entry ? entry : empty,
                                          entry_len, op ? op : empty, op_len);
    free (entry);
    free (op);
    return s_call_args (call, out, request);
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
