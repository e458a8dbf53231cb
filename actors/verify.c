/*  verify.c - the verify actor: one worker of the signature-check pool.

    Pure CPU and no state: decodes the entry of each PUBLISH (stateless
    format and link-layout checks) and verifies its Ed25519 signature, then
    forwards the untouched request frames to storage, or answers FAILED.
    Ingest sends all entries of one log to the same worker and sockets keep
    order, so a log's entries reach storage in the order they arrived.

    Accepts:  PUBLISH, REPLICATE   on PULL @verify_endpoint k (from ingest)
    Emits:    PUBLISH, REPLICATE   on PUSH >storage_endpoint (verified, frames untouched)
              FAILED    on PUSH >replies_endpoint (to ingest)              */
#include "panda_actors.h"

#include <stdio.h>

#include "panda/panda_entry.h"

typedef struct {
    const panda_actor_args_t *args;
    zsock_t *in; //  PULL from ingest
    zsock_t *storage; //  PUSH
    zsock_t *replies; //  PUSH to ingest
    char name[32];
} s_verify_t;

static const char *
s_start (void *self_, zpoller_t *poller)
{
    s_verify_t *self = self_;
    const panda_config_t *c = self->args->config;
    char name[16];
    snprintf (name, sizeof name, "verify-%u", self->args->index);
    panda_actor_set_name (name);
    if (!(self->in = panda_actor_plug (PANDA_PLUG_VERIFY_IN, c, self->args->index)))
        return "cannot bind verify_endpoint";
    if (!(self->storage = panda_actor_plug (PANDA_PLUG_VERIFY_STORAGE, c, 0)))
        return "cannot connect to storage_endpoint";
    if (!(self->replies = panda_actor_plug (PANDA_PLUG_VERIFY_REPLIES, c, 0)))
        return "cannot connect to replies_endpoint";
    zpoller_add (poller, self->in);
    return NULL;
}

static void
s_handle (void *self_, zsock_t *which)
{
    s_verify_t *self = self_;
    panda_msg_t *msg;
    zmsg_t *request = panda_actor_recv_raw (which, &msg);
    panda_metrics_taken (self->args->metrics, PANDA_QUEUE_VERIFY);
    if (!request)
        return;
    bool replicate = panda_msg_id (msg) == PANDA_MSG_REPLICATE;
    if (panda_msg_id (msg) != PANDA_MSG_PUBLISH && !replicate) {
        panda_log_warn (self->name, "dropped unexpected %s", panda_msg_name (panda_msg_id (msg)));
        zmsg_destroy (&request);
        panda_msg_destroy (&msg);
        return;
    }
    size_t len;
    const uint8_t *bytes =
        replicate ? panda_msg_replicate_entry (msg, &len) : panda_msg_publish_entry (msg, &len);
    uint64_t req = replicate ? panda_msg_replicate_req (msg) : panda_msg_publish_req (msg);
    panda_entry_t *entry = NULL;
    panda_error_t err;
    if (panda_entry_decode_verified (&entry, bytes, len, &err) == PANDA_OK) {
        if (zmsg_send (&request, self->storage))
            panda_log_error (self->name, "cannot forward to storage: %s", zmq_strerror (zmq_errno ()));
        else
            panda_metrics_queued (self->args->metrics, PANDA_QUEUE_STORAGE);
    } else {
        panda_log_debug (self->name, "rejected entry: %s", err.message);
        panda_actor_fail (self->replies, request, req, err.code, err.message);
        panda_metrics_queued (self->args->metrics, PANDA_QUEUE_INGEST);
    }
    panda_entry_destroy (&entry);
    zmsg_destroy (&request);
    panda_msg_destroy (&msg);
}

void
panda_verify_actor (zsock_t *pipe, void *args)
{
    s_verify_t self = {.args = args};
    snprintf (self.name, sizeof self.name, "verify-%u", self.args->index);
    panda_actor_loop (pipe, &self, s_start, s_handle);
    zsock_destroy (&self.in);
    zsock_destroy (&self.storage);
    zsock_destroy (&self.replies);
}
