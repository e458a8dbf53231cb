/*  ingest.c - the ingest actor: front door of the publish pipeline.

    Receives requests from the api workers on a ROUTER socket and answers
    them through the same socket, so every reply from verify or storage
    comes back here (replies PULL) to be routed to its worker.

    For PUBLISH it runs the first two steps of node-api §7.2 itself, in the
    reference order: decode the operation, then look up its schema. Only
    then may the entry be decoded and verified (step 3), by the verify
    worker chosen from (public key, log id), so a log's entries stay in
    order. NEXT_ARGS goes straight to storage, which owns the log state.

    Accepts:  PUBLISH, NEXT_ARGS    on ROUTER @ingest_endpoint (api workers)
              ARGS, FAILED          on PULL @replies_endpoint (verify, storage)
    Emits:    PUBLISH               on PUSH >verify_endpoint k (one per worker)
              NEXT_ARGS             on PUSH >storage_endpoint
              ARGS, FAILED          on the ROUTER, to the asking worker
    Opens the views database <db>-views read-only (schema lookups).      */
#include "panda_actors.h"

#include "panda/panda_operation.h"

#define S_MAX_WORKERS 256

typedef struct {
    const panda_actor_args_t *args;
    zsock_t *requests; //  ROUTER, api DEALERs connect
    zsock_t *replies; //  PULL, verify and storage push answers
    zsock_t *storage; //  PUSH
    zsock_t *verify[S_MAX_WORKERS]; //  PUSH, one per verify worker
    unsigned workers;
    panda_actor_schemas_t *schemas;
} s_ingest_t;

static const char *
s_start (void *self_, zpoller_t *poller)
{
    panda_actor_set_name ("ingest");
    s_ingest_t *self = self_;
    const panda_config_t *c = self->args->config;
    self->workers = self->args->workers;
    if (self->workers == 0 || self->workers > S_MAX_WORKERS)
        return "verify_threads must be between 1 and 256";
    if (!(self->schemas = panda_actor_schemas_new (c)))
        return "out of memory";
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
s_forward (zmsg_t **request, zsock_t *to)
{
    return (zsock_events (to) & ZMQ_POLLOUT) ? zmsg_send (request, to) : -1;
}

//  Steps 1 and 2 of §7.2; forwards the request to its verify worker.
static void
s_publish (s_ingest_t *self, zmsg_t **request, panda_msg_t *msg)
{
    size_t entry_len, op_len;
    const uint8_t *entry = panda_msg_publish_entry (msg, &entry_len);
    const uint8_t *op = panda_msg_publish_op (msg, &op_len);
    panda_error_t err;
    panda_error_clear (&err);
    panda_operation_t *operation = panda_operation_decode (op, op_len, &err);
    if (operation && !panda_actor_schemas_find (self->schemas, panda_operation_schema_id (operation)))
        panda_error_set (&err, PANDA_ERR_NOT_FOUND, "Schema not found");
    panda_operation_destroy (&operation);
    if (err.code != PANDA_OK) {
        panda_log_debug ("ingest", "rejected publish: %s", err.message);
        panda_actor_fail (self->requests, *request, panda_msg_publish_req (msg), err.code, err.message);
        return;
    }
    unsigned k = panda_actor_shard (entry, entry_len, self->workers);
    if (s_forward (request, self->verify[k]))
        panda_actor_fail (self->requests, *request, panda_msg_publish_req (msg), PANDA_ERR_IO,
                          "verify worker unavailable");
}

static void
s_handle (void *self_, zsock_t *which)
{
    s_ingest_t *self = self_;
    if (which == self->replies) {
        //  [identity][verb][body] from verify or storage: route it back.
        zmsg_t *reply = zmsg_recv (which);
        if (reply && zmsg_send (&reply, self->requests))
            zmsg_destroy (&reply);
        return;
    }
    panda_msg_t *msg;
    zmsg_t *request = panda_actor_recv_raw (which, &msg);
    if (!request)
        return;
    if (panda_msg_id (msg) == PANDA_MSG_PUBLISH)
        s_publish (self, &request, msg);
    else if (panda_msg_id (msg) == PANDA_MSG_NEXT_ARGS) {
        if (s_forward (&request, self->storage))
            panda_actor_fail (self->requests, request, panda_msg_next_args_req (msg), PANDA_ERR_IO,
                              "storage unavailable");
    } else
        panda_log_warn ("ingest", "dropped unexpected %s", panda_msg_name (panda_msg_id (msg)));
    zmsg_destroy (&request);
    panda_msg_destroy (&msg);
}

void
panda_ingest_actor (zsock_t *pipe, void *args)
{
    s_ingest_t self = {.args = args};
    panda_actor_loop (pipe, &self, s_start, s_handle);
    zsock_destroy (&self.requests);
    zsock_destroy (&self.replies);
    zsock_destroy (&self.storage);
    for (unsigned i = 0; i < S_MAX_WORKERS; i++)
        zsock_destroy (&self.verify[i]);
    panda_actor_schemas_destroy (&self.schemas);
}
