/*  storage.c - the storage actor: the single writer.

    Owns the only write connection to SQLite (lib/panda_store). Takes every
    request waiting on its socket (over as many budgeted drains as it takes,
    up to S_BATCH_MAX) and commits all the publishes among them in one
    transaction, then answers each one and publishes a STORED event per
    stored entry. A REPLICATE already stored is answered ARGS too, with no
    event: concurrent sessions repeat entries. An answer is sent only after
    its COMMIT returned: an acknowledged entry is never lost.

    NEXT_ARGS is answered here too, from the store's cache of log heads,
    after the publishes received before it have committed, so a client
    never sees arguments older than its own acknowledged publish. So is
    PURGE, from the materialiser: the entries of unused blobs go.

    Accepts:  PUBLISH, REPLICATE,         on PULL @storage_endpoint
              NEXT_ARGS, PURGE            (from verify, ingest and materialize)
    Emits:    ARGS, FAILED                on PUSH >replies_endpoint (to ingest)
              STORED, PURGED              on PUB @events_endpoint
    Opens the entries database read-write (database_url), the views
    database <db>-views read-only (schema lookups).                       */
#include "panda_actors.h"

#include "panda/panda_operation.h"
#include "panda_store.h"

#include <stdlib.h>
#include <string.h>

#define S_BATCH_MAX 1024

typedef struct {
    zmsg_t *request; //  [identity][PUBLISH or REPLICATE][body]
    panda_msg_t *msg;
    uint64_t req;
    const uint8_t *origin; //  REPLICATE: the sending node's key (in msg)
    size_t origin_len;
    panda_entry_t *entry;
    panda_operation_t *operation;
} s_pending_t;

typedef struct {
    const panda_actor_args_t *args;
    panda_store_t *store;
    panda_actor_schemas_t *schemas;
    zsock_t *in; //  PULL from verify workers and ingest
    zsock_t *replies; //  PUSH to ingest
    zsock_t *events; //  PUB
    s_pending_t pending[S_BATCH_MAX];
    panda_store_item_t items[S_BATCH_MAX];
    panda_store_result_t results[S_BATCH_MAX];
    size_t count;
    char reason[PANDA_ERROR_MESSAGE_MAX + 4200];
} s_storage_t;

static const char *
s_start (void *self_, zpoller_t *poller)
{
    panda_actor_set_name ("storage");
    s_storage_t *self = self_;
    const panda_config_t *c = self->args->config;
    char *path = panda_actor_store_path (c);
    if (!path)
        return "out of memory";
    if (strncmp (path, "file:", 5) != 0)
        panda_log_debug ("storage", "database %s", path); //  pandad's start-up summary names it
    panda_error_t err;
    self->store = panda_store_open (path, &err);
    if (!self->store)
        snprintf (self->reason, sizeof self->reason, "cannot open database %s: %s", path, err.message);
    free (path);
    if (!self->store)
        return self->reason;
    if (!(self->schemas = panda_actor_schemas_new (c)))
        return "out of memory";
    if (!(self->in = panda_actor_plug (PANDA_PLUG_STORAGE_IN, c, 0)))
        return "cannot bind storage_endpoint";
    //  Events keep ZeroMQ's default queue limit: a stalled subscriber must
    //  not grow the writer's memory (it catches up from the store).
    if (!(self->events = panda_actor_plug (PANDA_PLUG_STORAGE_EVENTS, c, 0)))
        return "cannot bind events_endpoint";
    if (!(self->replies = panda_actor_plug (PANDA_PLUG_STORAGE_REPLIES, c, 0)))
        return "cannot connect to replies_endpoint";
    zpoller_add (poller, self->in);
    return NULL;
}

static void
s_reply_args (s_storage_t *self, zmsg_t *request, uint64_t req, const panda_entry_args_t *args)
{
    static const uint8_t none[1];
    zframe_t *identity = zframe_dup (zmsg_first (request));
    panda_msg_t *reply = panda_msg_args_new (
        req, args->log_id, args->seq_num, args->has_backlink ? args->backlink.bytes : none,
        args->has_backlink ? PANDA_HASH_SIZE : 0, args->has_skiplink ? args->skiplink.bytes : none,
        args->has_skiplink ? PANDA_HASH_SIZE : 0);
    if (panda_actor_send (self->replies, &identity, &reply) == 0)
        panda_metrics_queued (self->args->metrics, PANDA_QUEUE_INGEST);
}

//  Answer FAILED through ingest.
static void
s_reply_failed (s_storage_t *self, zmsg_t *request, uint64_t req, panda_err_t code, const char *message)
{
    panda_actor_fail (self->replies, request, req, code, message);
    panda_metrics_queued (self->args->metrics, PANDA_QUEUE_INGEST);
}

static void
s_stored_event (s_storage_t *self, const s_pending_t *p, const panda_store_result_t *result)
{
    panda_msg_t *event = panda_msg_stored_new (
        panda_entry_hash (p->entry)->bytes, PANDA_HASH_SIZE, result->document_id.bytes, PANDA_HASH_SIZE,
        panda_operation_schema_id (p->operation), (uint64_t) result->position, p->origin, p->origin_len);
    panda_actor_send (self->events, NULL, &event);
}

//  Commit the pending publishes, answer each, clear the batch.
static void
s_flush (s_storage_t *self)
{
    if (self->count == 0)
        return;
    for (size_t i = 0; i < self->count; i++)
        self->items[i] = (panda_store_item_t){.entry = self->pending[i].entry,
                                              .operation = self->pending[i].operation,
                                              .check_duplicate = self->pending[i].origin != NULL};
    panda_error_t err;
    panda_err_t rc = panda_store_publish_batch (self->store, self->items, self->count,
                                                panda_actor_schemas_find, self->schemas, self->results, &err);
    if (rc != PANDA_OK)
        panda_log_error ("storage", "batch of %zu not stored: %s", self->count, err.message);
    for (size_t i = 0; i < self->count; i++) {
        s_pending_t *p = &self->pending[i];
        panda_store_result_t *r = &self->results[i];
        uint64_t req = p->req;
        if (r->code == PANDA_OK) {
            s_reply_args (self, p->request, req, &r->next_args);
            if (!r->duplicate)
                s_stored_event (self, p, r);
        } else {
            panda_log_debug ("storage", "rejected publish: %s", r->error.message);
            s_reply_failed (self, p->request, req, r->code, r->error.message);
        }
        zmsg_destroy (&p->request);
        panda_msg_destroy (&p->msg);
        panda_entry_destroy (&p->entry);
        panda_operation_destroy (&p->operation);
    }
    panda_log_debug ("storage", "committed a batch of %zu", self->count);
    self->count = 0;
}

//  Queue a verified PUBLISH or REPLICATE for the next commit (takes
//  request and msg).
static void
s_queue (s_storage_t *self, zmsg_t *request, panda_msg_t *msg)
{
    bool replicate = panda_msg_id (msg) == PANDA_MSG_REPLICATE;
    size_t entry_len, op_len;
    const uint8_t *entry_bytes =
        replicate ? panda_msg_replicate_entry (msg, &entry_len) : panda_msg_publish_entry (msg, &entry_len);
    const uint8_t *op_bytes =
        replicate ? panda_msg_replicate_op (msg, &op_len) : panda_msg_publish_op (msg, &op_len);
    s_pending_t p = {.request = request,
                     .msg = msg,
                     .req = replicate ? panda_msg_replicate_req (msg) : panda_msg_publish_req (msg)};
    if (replicate)
        p.origin = panda_msg_replicate_origin (msg, &p.origin_len);
    panda_error_t err;
    //  Verified upstream; decoding again is cheaper than shipping structs.
    if (panda_entry_decode (&p.entry, entry_bytes, entry_len, &err) == PANDA_OK &&
        (p.operation = panda_operation_decode (op_bytes, op_len, &err))) {
        self->pending[self->count++] = p;
        return;
    }
    s_reply_failed (self, request, p.req, err.code, err.message);
    panda_entry_destroy (&p.entry);
    zmsg_destroy (&request);
    panda_msg_destroy (&msg);
}

static void
s_next_args (s_storage_t *self, zmsg_t *request, panda_msg_t *msg)
{
    size_t key_len, view_len;
    const uint8_t *key = panda_msg_next_args_public_key (msg, &key_len);
    const uint8_t *view = panda_msg_next_args_view (msg, &view_len);
    uint64_t req = panda_msg_next_args_req (msg);
    //  The ids travel as n x 34 bytes: panda_hash_t is exactly those bytes
    //  (alignment 1), so the message body is read in place.
    _Static_assert(sizeof (panda_hash_t) == PANDA_HASH_SIZE && _Alignof(panda_hash_t) == 1,
                   "panda_hash_t is its bytes");
    panda_public_key_t public_key;
    panda_entry_args_t args;
    panda_error_t err;
    if (key_len != PANDA_PUBLIC_KEY_SIZE || view_len % PANDA_HASH_SIZE)
        panda_error_set (&err, PANDA_ERR_INVALID, "malformed NEXT_ARGS request");
    else {
        memcpy (public_key.bytes, key, PANDA_PUBLIC_KEY_SIZE);
        if (panda_store_next_args (self->store, &public_key, (const panda_hash_t *) view,
                                   view_len / PANDA_HASH_SIZE, &args, &err) == PANDA_OK) {
            s_reply_args (self, request, req, &args);
            return;
        }
    }
    s_reply_failed (self, request, req, err.code, err.message);
}

//  PURGE from the materialiser: delete the entries of documents it purged
//  from the views (unused blobs), then say so with a PURGED event.
static void
s_purge (s_storage_t *self, panda_msg_t *msg)
{
    size_t len, entries;
    const uint8_t *ids = panda_msg_purge_ids (msg, &len);
    panda_error_t err;
    if (len % PANDA_HASH_SIZE)
        panda_log_warn ("storage", "dropped a malformed PURGE");
    else if (panda_store_purge (self->store, (const panda_hash_t *) ids, len / PANDA_HASH_SIZE, &entries,
                                &err) != PANDA_OK)
        panda_log_error ("storage", "purge not done: %s", err.message);
    else {
        panda_log_info ("storage", "purged %zu entries of %zu documents", entries, len / PANDA_HASH_SIZE);
        panda_msg_t *event = panda_msg_purged_new (ids, len);
        panda_actor_send (self->events, NULL, &event);
    }
}

//  One request. A publish joins the batch, which commits when full or when
//  its drain ends with nothing more waiting (s_drained); anything else
//  commits the batch first, so it sees every publish received before it.
static void
s_handle (void *self_, zsock_t *which)
{
    s_storage_t *self = self_;
    panda_msg_t *msg;
    zmsg_t *request = panda_actor_recv_raw (which, &msg);
    panda_metrics_taken (self->args->metrics, PANDA_QUEUE_STORAGE);
    if (!request)
        return;
    if (panda_msg_id (msg) == PANDA_MSG_PUBLISH || panda_msg_id (msg) == PANDA_MSG_REPLICATE) {
        s_queue (self, request, msg);
        if (self->count == S_BATCH_MAX)
            s_flush (self);
        return;
    }
    s_flush (self);
    if (panda_msg_id (msg) == PANDA_MSG_NEXT_ARGS)
        s_next_args (self, request, msg);
    else if (panda_msg_id (msg) == PANDA_MSG_PURGE)
        s_purge (self, msg);
    else
        panda_log_warn ("storage", "dropped unexpected %s", panda_msg_name (panda_msg_id (msg)));
    zmsg_destroy (&request);
    panda_msg_destroy (&msg);
}

//  A drain ended. When it ended on the budget with more waiting, the batch
//  stays open for the next drain (the loop looks at the pipe between the
//  two): everything waiting still joins one commit, up to S_BATCH_MAX.
static void
s_drained (void *self_, zsock_t *which)
{
    s_storage_t *self = self_;
    if (!(zsock_events (which) & ZMQ_POLLIN))
        s_flush (self);
}

//  $TERM came between two drains of one batch: the other actors are gone
//  or going, so nothing could be answered. The requests were never
//  acknowledged (their clients see a failure), so they are not stored
//  either: nothing a client was told failed is stored later.
static void
s_abandon (s_storage_t *self)
{
    if (self->count)
        panda_log_warn ("storage", "stopping: %zu publishes not stored (never acknowledged)", self->count);
    for (size_t i = 0; i < self->count; i++) {
        s_pending_t *p = &self->pending[i];
        zmsg_destroy (&p->request);
        panda_msg_destroy (&p->msg);
        panda_entry_destroy (&p->entry);
        panda_operation_destroy (&p->operation);
    }
    self->count = 0;
}

static const char *
s_no_memory (void *self, zpoller_t *poller)
{
    (void) self, (void) poller;
    return "out of memory";
}

void
panda_storage_actor (zsock_t *pipe, void *args)
{
    s_storage_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_actor_loop (pipe, NULL, s_no_memory, NULL);
        return;
    }
    self->args = args;
    panda_actor_loop_batched (pipe, self, s_start, s_handle, s_drained, NULL);
    s_abandon (self);
    zsock_destroy (&self->in);
    zsock_destroy (&self->replies);
    zsock_destroy (&self->events);
    panda_store_destroy (&self->store);
    panda_actor_schemas_destroy (&self->schemas);
    free (self);
}
