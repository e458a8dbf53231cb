/*  ingest.c - the ingest actor: front door of the publish pipeline.

    Receives requests from the api workers on a ROUTER socket and answers
    them through the same socket, so every reply from verify or storage
    comes back here (replies PULL) to be routed to its worker.

    For PUBLISH (and REPLICATE, an entry from another node) it runs the first two steps of node-api §7.2
   itself, in the reference order: decode the operation, then look up its schema. Only then may the entry be
   decoded and verified (step 3), by the verify worker chosen from (public key, log id), so a log's entries
   stay in order. NEXT_ARGS goes straight to storage, which owns the log state.

    Accepts:  PUBLISH, NEXT_ARGS    on ROUTER @ingest_endpoint (api workers)
              REPLICATE             on the same ROUTER (replicate)
              ARGS, FAILED          on PULL @replies_endpoint (verify, storage)
    Emits:    PUBLISH, REPLICATE    on PUSH >verify_endpoint k (one per worker)
              NEXT_ARGS             on PUSH >storage_endpoint
              ARGS, FAILED          on the ROUTER, to the asking worker
    Opens the views database <db>-views read-only (schema lookups).

    Deadline: verify and storage may run in other processes (endpoints
    other than inproc://), which may be gone. Ingest remembers when each request it forwarded left; one that
    has no answer after pipeline_timeout_ms is answered FAILED, and its
    answer, should it still come, is dropped. Its PUSH sockets to other
    processes queue only on live connections (actor_topology.c), so while
    a stage is down a request fails at once.                   */
#include "panda_actors.h"

#include "panda/panda_operation.h"

#include <stdio.h>
#include <string.h>

#define S_MAX_WORKERS 256
//  How often, at most, overdue requests are looked for.
#define S_EXPIRE_EVERY_MS 100

//  A request forwarded to verify or storage, waiting for its answer.
typedef struct {
    zframe_t *identity; //  of the api worker that asked
    uint64_t req;
    int64_t due; //  zclock_mono
    bool publish; //  else NEXT_ARGS
} s_pending_t;

typedef struct {
    const panda_actor_args_t *args;
    zsock_t *requests; //  ROUTER, api DEALERs connect
    zsock_t *replies; //  PULL, verify and storage push answers
    zsock_t *storage; //  PUSH
    zsock_t *verify[S_MAX_WORKERS]; //  PUSH, one per verify worker
    unsigned workers;
    panda_actor_schemas_t *schemas;
    zhashx_t *pending; //  "identity hex:req" -> s_pending_t
    bool deadline; //  verify or storage may be in another process
    int64_t next_expiry; //  zclock_mono of the next look for overdue ones
} s_ingest_t;

static void
s_pending_destroy (void **item)
{
    s_pending_t *pending = *item;
    if (pending) {
        zframe_destroy (&pending->identity);
        free (pending);
        *item = NULL;
    }
}

//  The key of a request: its worker's identity and its number.
static void
s_key (zframe_t *identity, uint64_t req, char *key, size_t size)
{
    char *hex = zframe_strhex (identity);
    snprintf (key, size, "%s:%llu", hex ? hex : "", (unsigned long long) req);
    free (hex);
}

static const char *
s_start (void *self_, zpoller_t *poller)
{
    panda_actor_set_name ("ingest");
    s_ingest_t *self = self_;
    const panda_config_t *c = self->args->config;
    self->workers = self->args->workers;
    if (self->workers == 0 || self->workers > S_MAX_WORKERS)
        return "verify_threads must be between 1 and 256";
    if (!(self->schemas = panda_actor_schemas_new (c)) || !(self->pending = zhashx_new ()))
        return "out of memory";
    zhashx_set_destructor (self->pending, s_pending_destroy);
    //  inproc stages live and die with this process: no deadline, so a
    //  busy node never fails a publish that it stores later.
    self->deadline = strncmp (c->verify_endpoint, "inproc://", 9) != 0 ||
                     strncmp (c->storage_endpoint, "inproc://", 9) != 0;
    if (!(self->requests = panda_actor_plug (PANDA_PLUG_INGEST_REQUESTS, c, 0)))
        return "cannot bind ingest_endpoint";
    if (!(self->replies = panda_actor_plug (PANDA_PLUG_INGEST_REPLIES, c, 0)))
        return "cannot bind replies_endpoint";
    if (!(self->storage = panda_actor_plug (PANDA_PLUG_INGEST_STORAGE, c, 0)))
        return "cannot connect to storage_endpoint";
    for (unsigned i = 0; i < self->workers; i++)
        if (!(self->verify[i] = panda_actor_plug (PANDA_PLUG_INGEST_VERIFY, c, i)))
            return "cannot connect to verify_endpoint";
    zpoller_add (poller, self->requests);
    zpoller_add (poller, self->replies);
    return NULL;
}

//  Send a request on to verify or storage, unless its queue is full:
//  every answer comes back through ingest, so ingest must never block
//  (the back-pressure policy: actor_topology.c). Checked before sending,
//  since a failed zmsg_send loses the identity frame the answer needs.
static int
s_forward (s_ingest_t *self, zmsg_t **request, zsock_t *to, uint64_t req, bool publish)
{
    if (!(zsock_events (to) & ZMQ_POLLOUT))
        return -1;
    panda_queue_t queue = to == self->storage ? PANDA_QUEUE_STORAGE : PANDA_QUEUE_VERIFY;
    if (!self->deadline) { //  all in this process: an answer always comes
        if (zmsg_send (request, to))
            return -1;
        panda_metrics_queued (self->args->metrics, queue);
        return 0;
    }
    s_pending_t *pending = calloc (1, sizeof *pending);
    if (!pending || !(pending->identity = zframe_dup (zmsg_first (*request)))) {
        free (pending);
        return -1;
    }
    pending->req = req;
    pending->publish = publish;
    pending->due = zclock_mono () + self->args->config->pipeline_timeout_ms;
    char key[256];
    s_key (pending->identity, req, key, sizeof key);
    if (zmsg_send (request, to)) {
        s_pending_destroy ((void **) &pending);
        return -1;
    }
    panda_metrics_queued (self->args->metrics, queue);
    //  A worker asks one thing at a time: a key still there is a request
    //  it gave up on, replaced.
    zhashx_update (self->pending, key, pending);
    return 0;
}

//  Answer FAILED every forwarded request that is overdue.
static void
s_expire (s_ingest_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_expiry)
        return;
    self->next_expiry = now + S_EXPIRE_EVERY_MS;
    zlistx_t *overdue = NULL;
    for (s_pending_t *p = zhashx_first (self->pending); p; p = zhashx_next (self->pending))
        if (p->due <= now) {
            if (!overdue && !(overdue = zlistx_new ()))
                return;
            zlistx_add_end (overdue, (void *) zhashx_cursor (self->pending));
        }
    for (const char *key = overdue ? zlistx_first (overdue) : NULL; key; key = zlistx_next (overdue)) {
        s_pending_t *p = zhashx_lookup (self->pending, key);
        const char *why = p->publish ? "the verify pool did not answer in time (is its process running?)"
                                     : "storage did not answer in time (is its process running?)";
        panda_log_warn ("ingest", "%s", why);
        zframe_t *identity = zframe_dup (p->identity);
        panda_msg_t *reply = panda_msg_failed_new (p->req, PANDA_ERR_IO, why);
        panda_actor_send (self->requests, &identity, &reply);
        zhashx_delete (self->pending, key);
    }
    zlistx_destroy (&overdue);
}

static int
s_wait (void *self_)
{
    s_ingest_t *self = self_;
    if (zhashx_size (self->pending) == 0)
        return -1;
    int64_t left = self->next_expiry - zclock_mono ();
    return left < 1 ? 1 : (int) left;
}

//  An answer from verify or storage: back to its worker, unless its
//  request is no longer waiting (answered FAILED when overdue).
static void
s_reply (s_ingest_t *self)
{
    panda_msg_t *msg;
    zmsg_t *reply = panda_actor_recv_raw (self->replies, &msg);
    if (!reply)
        return;
    bool waiting = true;
    if (self->deadline) {
        uint64_t req = panda_msg_id (msg) == PANDA_MSG_ARGS     ? panda_msg_args_req (msg)
                       : panda_msg_id (msg) == PANDA_MSG_FAILED ? panda_msg_failed_req (msg)
                                                                : 0;
        char key[256];
        s_key (zmsg_first (reply), req, key, sizeof key);
        if ((waiting = zhashx_lookup (self->pending, key) != NULL))
            zhashx_delete (self->pending, key);
    }
    if (!waiting)
        panda_log_debug ("ingest", "dropped a late or unexpected %s", panda_msg_name (panda_msg_id (msg)));
    else if (zmsg_send (&reply, self->requests))
        zmsg_destroy (&reply);
    zmsg_destroy (&reply);
    panda_msg_destroy (&msg);
}

//  Steps 1 and 2 of §7.2 for a PUBLISH or a REPLICATE; forwards the
//  request to its verify worker.
static void
s_publish (s_ingest_t *self, zmsg_t **request, panda_msg_t *msg)
{
    bool replicate = panda_msg_id (msg) == PANDA_MSG_REPLICATE;
    size_t entry_len, op_len;
    const uint8_t *entry =
        replicate ? panda_msg_replicate_entry (msg, &entry_len) : panda_msg_publish_entry (msg, &entry_len);
    const uint8_t *op =
        replicate ? panda_msg_replicate_op (msg, &op_len) : panda_msg_publish_op (msg, &op_len);
    uint64_t req = replicate ? panda_msg_replicate_req (msg) : panda_msg_publish_req (msg);
    panda_error_t err;
    panda_error_clear (&err);
    panda_operation_t *operation = panda_operation_decode (op, op_len, &err);
    if (operation && !panda_actor_schemas_find (self->schemas, panda_operation_schema_id (operation)))
        panda_error_set (&err, PANDA_ERR_NOT_FOUND, "Schema not found");
    panda_operation_destroy (&operation);
    if (err.code != PANDA_OK) {
        panda_log_debug ("ingest", "rejected %s: %s", replicate ? "replicated entry" : "publish",
                         err.message);
        panda_actor_fail (self->requests, *request, req, err.code, err.message);
        return;
    }
    unsigned k = panda_actor_shard (entry, entry_len, self->workers);
    if (s_forward (self, request, self->verify[k], req, true))
        panda_actor_fail (self->requests, *request, req, PANDA_ERR_IO,
                          "verify worker unavailable (is its process running?)");
}

static void
s_handle (void *self_, zsock_t *which)
{
    s_ingest_t *self = self_;
    s_expire (self);
    if (!which)
        return;
    panda_metrics_taken (self->args->metrics, PANDA_QUEUE_INGEST);
    if (which == self->replies) {
        s_reply (self);
        return;
    }
    panda_msg_t *msg;
    zmsg_t *request = panda_actor_recv_raw (which, &msg);
    if (!request)
        return;
    if (panda_msg_id (msg) == PANDA_MSG_PUBLISH || panda_msg_id (msg) == PANDA_MSG_REPLICATE)
        s_publish (self, &request, msg);
    else if (panda_msg_id (msg) == PANDA_MSG_NEXT_ARGS) {
        if (s_forward (self, &request, self->storage, panda_msg_next_args_req (msg), false))
            panda_actor_fail (self->requests, request, panda_msg_next_args_req (msg), PANDA_ERR_IO,
                              "storage unavailable (is its process running?)");
    } else
        panda_log_warn ("ingest", "dropped unexpected %s", panda_msg_name (panda_msg_id (msg)));
    zmsg_destroy (&request);
    panda_msg_destroy (&msg);
}

void
panda_ingest_actor (zsock_t *pipe, void *args)
{
    s_ingest_t self = {.args = args};
    panda_actor_loop_timed (pipe, &self, s_start, s_handle, s_wait);
    zsock_destroy (&self.requests);
    zsock_destroy (&self.replies);
    zsock_destroy (&self.storage);
    for (unsigned i = 0; i < S_MAX_WORKERS; i++)
        zsock_destroy (&self.verify[i]);
    panda_actor_schemas_destroy (&self.schemas);
    zhashx_destroy (&self.pending);
}
