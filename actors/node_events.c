/*  node_events.c - an embedding application's subscriptions to the node's
    events (panda_node.h).

    The materialiser (DOCUMENT) and the replicate actor (PEER) connect a
    PUB each to notify_endpoint; here one SUB binds it, on a thread started
    at the first subscription, so a node nobody listens to pays nothing
    (its PUBs drop what they send). That thread decodes each event and
    calls the callbacks while holding the list's lock: unsubscribing from
    another thread waits for it, which is what makes "after unsubscribe
    returns, fn is never called" true. On the event thread itself the lock
    is already held, so subscribe and unsubscribe there change the list
    directly; a subscription removed during a dispatch is only marked, and
    freed once the dispatch is over.

    Each sender numbers its events; a gap is what its PUB or our queue
    dropped, reported as PANDA_NODE_EVENTS_LOST with the count.          */
#include "node_events.h"

#include "panda/panda_hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct _panda_node_subscription_t {
    panda_node_events_t *events;
    unsigned kinds;
    panda_node_event_fn *fn;
    void *arg;
    uint64_t since; //  events dispatched before it was made
    bool gone; //  unsubscribed during a dispatch
    panda_node_subscription_t *next;
};

struct _panda_node_events_t {
    panda_actor_args_t args; //  first: the actor gets a pointer to it
    pthread_mutex_t lock; //  the list, and every dispatch
    zactor_t *actor; //  the event thread, from the first subscription on
    pthread_t thread;
    atomic_bool on_thread_known;
    panda_node_subscription_t *subs;
    uint64_t dispatched; //  events dispatched so far
    bool dispatching;
    //  The last seq seen of each sender (documents, peers), 0: none yet.
    uint64_t last_seq[2];
    zsock_t *sub; //  the event thread's
};

const char *
panda_node_event_name (panda_node_event_kind_t kind)
{
    switch (kind) {
        case PANDA_NODE_DOCUMENT_CREATED: return "document created";
        case PANDA_NODE_DOCUMENT_UPDATED: return "document updated";
        case PANDA_NODE_DOCUMENT_DELETED: return "document deleted";
        case PANDA_NODE_PEER_CONNECTED: return "peer connected";
        case PANDA_NODE_PEER_DISCONNECTED: return "peer disconnected";
        case PANDA_NODE_EVENTS_LOST: return "events lost";
    }
    return "?";
}

panda_node_events_t *
panda_node_events_new (const panda_config_t *config)
{
    panda_node_events_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->args.config = config;
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

static bool
s_on_event_thread (panda_node_events_t *self)
{
    return atomic_load (&self->on_thread_known) && pthread_equal (pthread_self (), self->thread);
}

void
panda_node_events_destroy (panda_node_events_t **self_p)
{
    panda_node_events_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor); //  no callback runs after this
    while (self->subs) {
        panda_node_subscription_t *next = self->subs->next;
        free (self->subs);
        self->subs = next;
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

//  Free the subscriptions marked gone during a dispatch (lock held).
static void
s_sweep (panda_node_events_t *self)
{
    for (panda_node_subscription_t **p = &self->subs; *p;) {
        panda_node_subscription_t *sub = *p;
        if (sub->gone) {
            *p = sub->next;
            free (sub);
        } else
            p = &sub->next;
    }
}

static void
s_dispatch (panda_node_events_t *self, const panda_node_event_t *event)
{
    pthread_mutex_lock (&self->lock);
    self->dispatching = true;
    uint64_t number = self->dispatched++;
    for (panda_node_subscription_t *sub = self->subs; sub; sub = sub->next)
        if (!sub->gone && sub->since <= number && (sub->kinds & event->kind))
            sub->fn (event, sub->arg);
    self->dispatching = false;
    s_sweep (self);
    pthread_mutex_unlock (&self->lock);
}

//  A gap in a sender's numbers: report what was dropped first.
static void
s_check_seq (panda_node_events_t *self, int sender, uint64_t seq)
{
    uint64_t last = self->last_seq[sender];
    self->last_seq[sender] = seq;
    //  The first event seen, or the sender restarted (another process).
    if (last == 0 || seq <= last || seq == last + 1)
        return;
    panda_node_event_t lost = {.kind = PANDA_NODE_EVENTS_LOST, .lost = seq - last - 1};
    panda_log_warn ("node", "%llu events dropped: an event callback is too slow",
                    (unsigned long long) lost.lost);
    s_dispatch (self, &lost);
}

static void
s_handle (void *self_, zsock_t *which)
{
    panda_node_events_t *self = self_;
    panda_msg_t *msg = panda_actor_recv (which, NULL);
    panda_msg_id_t id = msg ? panda_msg_id (msg) : PANDA_MSG_COUNT;
    panda_node_event_t event = {0};
    char document_id[PANDA_HASH_HEX_SIZE + 1];
    if (id == PANDA_MSG_DOCUMENT) {
        size_t len;
        const uint8_t *bytes = panda_msg_document_document_id (msg, &len);
        uint64_t kind = panda_msg_document_kind (msg);
        if (len == PANDA_HASH_SIZE && (kind & PANDA_NODE_DOCUMENT_CHANGED) && !(kind & (kind - 1))) {
            event.kind = (panda_node_event_kind_t) kind;
            event.schema_id = panda_msg_document_schema_id (msg);
            event.document_id = panda_hash_to_hex ((const panda_hash_t *) bytes, document_id);
            event.view_id = panda_msg_document_view_id (msg);
            s_check_seq (self, 0, panda_msg_document_seq (msg));
        }
    } else if (id == PANDA_MSG_PEER) {
        uint64_t kind = panda_msg_peer_kind (msg);
        if (kind == PANDA_NODE_PEER_CONNECTED || kind == PANDA_NODE_PEER_DISCONNECTED) {
            event.kind = (panda_node_event_kind_t) kind;
            event.peer_id = panda_msg_peer_peer_id (msg);
            event.address = panda_msg_peer_address (msg);
            s_check_seq (self, 1, panda_msg_peer_seq (msg));
        }
    }
    if (event.kind)
        s_dispatch (self, &event);
    else if (msg)
        panda_log_warn ("node", "dropped a malformed %s event", panda_msg_name (id));
    panda_msg_destroy (&msg);
}

static const char *
s_start (void *self_, zpoller_t *poller)
{
    panda_actor_set_name ("panda events");
    panda_node_events_t *self = self_;
    self->thread = pthread_self ();
    atomic_store (&self->on_thread_known, true);
    if (!(self->sub = panda_actor_plug (PANDA_PLUG_NODE_NOTIFY, self->args.config, 0)))
        return "cannot bind notify_endpoint";
    zpoller_add (poller, self->sub);
    return NULL;
}

static void
s_actor (zsock_t *pipe, void *args)
{
    panda_node_events_t *self = args;
    panda_actor_loop (pipe, self, s_start, s_handle);
    zsock_destroy (&self->sub);
    atomic_store (&self->on_thread_known, false); //  its id may be reused
}

panda_node_subscription_t *
panda_node_events_subscribe (panda_node_events_t *self, unsigned kinds, panda_node_event_fn *fn, void *arg,
                             panda_error_t *err)
{
    if (!fn || kinds == 0 || (kinds & ~(unsigned) PANDA_NODE_EVENTS_ALL)) {
        panda_error_set (err, PANDA_ERR_INVALID, "panda_node_subscribe: %s",
                         fn ? "kinds must be PANDA_NODE_* event bits" : "no callback");
        return NULL;
    }
    panda_node_subscription_t *sub = calloc (1, sizeof *sub);
    if (!sub) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *sub = (panda_node_subscription_t){.events = self, .kinds = kinds, .fn = fn, .arg = arg};
    bool here = s_on_event_thread (self);
    if (!here)
        pthread_mutex_lock (&self->lock);
    if (!self->actor && !(self->actor = panda_actor_start (s_actor, &self->args, "events", err))) {
        pthread_mutex_unlock (&self->lock);
        free (sub);
        return NULL;
    }
    sub->since = self->dispatched; //  made during a dispatch: from the next event on
    panda_node_subscription_t **tail = &self->subs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = sub;
    if (!here)
        pthread_mutex_unlock (&self->lock);
    return sub;
}

void
panda_node_unsubscribe (panda_node_subscription_t **self_p)
{
    panda_node_subscription_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    panda_node_events_t *events = self->events;
    *self_p = NULL;
    if (s_on_event_thread (events)) { //  inside a callback: the lock is held
        self->gone = true;
        if (!events->dispatching)
            s_sweep (events);
        return;
    }
    pthread_mutex_lock (&events->lock);
    self->gone = true;
    s_sweep (events);
    pthread_mutex_unlock (&events->lock);
}
