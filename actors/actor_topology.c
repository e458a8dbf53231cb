/*  actor_topology.c - every ZeroMQ socket of the node, as one table.

    Each row is one socket an actor opens on a configured endpoint: its
    type, whether it binds or connects, its queue limit and the verbs that
    travel on it. Actors open their sockets only through panda_actor_plug,
    so this table is the topology (docs/design.md shows it). Not in it: the
    actors' pipes (CZMQ's own) and the materialiser's PAIR to itself.

    Back-pressure: every queue is bounded. An actor drains a readable
    socket up to a budget (S_DRAIN_MAX in actor_msg.c) and then polls again,
    so $TERM is seen: only that loop drains, a handler takes one message
    per call. What batches or coalesces does it when a drain ends
    (panda_actor_loop_batched): storage commits once nothing more waits or
    its batch is full, keeping the batch open across drains cut by the
    budget; api rebuilds its schema and materialize runs once per drain,
    not once per event. A PUSH or DEALER whose queue is full blocks its
    sender: verify waits for storage, materialize for storage; that stops
    them reading, so the queues before them fill. Ingest is the one stage
    that must never block, since every answer returns through it: it
    checks that a verify or storage queue has room and answers FAILED when
    not. Answers then always drain, and no cycle of full queues can form.
    Across processes (an endpoint that is not inproc://) ingest's PUSH
    sockets are "immediate": they queue only on a live connection, so
    while verify or storage is down ingest sees no room and fails the
    request at once, rather than queueing it to be stored after its client
    was told it failed. Connect and bind may come in either order: ZeroMQ
    connects (and reconnects) whenever the binding side is there.
    PUB drops what a slow subscriber cannot take; STORED and SCHEMA are
    wake-ups whose work is re-read from the databases, so none is lost.  */
#include "panda_actors.h"

#include <stddef.h>
#include <string.h>

#define S_PIPELINE_HWM PANDA_ACTOR_PIPELINE_HWM
//  ZeroMQ's default. Events are wake-ups, dropped beyond it for a stalled
//  subscriber, which must not grow the sender's memory.
#define S_EVENTS_HWM 1000
//  What an application's callbacks may fall behind by before events are
//  dropped (counted, and reported as PANDA_NODE_EVENTS_LOST).
#define S_NOTIFY_HWM 10000

#define S_AT(key) offsetof (panda_config_t, key)
#define S_VERBS(a, b) (PANDA_MSG_BIT (a) | PANDA_MSG_BIT (b))

static const panda_plug_info_t s_plugs[PANDA_PLUG_COUNT] = {
    //  actor, type, bind, endpoint, hwm, verbs
    [PANDA_PLUG_API_PIPELINE] = {"api worker", ZMQ_DEALER, false, S_AT (ingest_endpoint), S_PIPELINE_HWM,
                                 S_VERBS (PANDA_MSG_PUBLISH, PANDA_MSG_NEXT_ARGS) |
                                     S_VERBS (PANDA_MSG_ARGS, PANDA_MSG_FAILED)},
    [PANDA_PLUG_INGEST_REQUESTS] = {"ingest", ZMQ_ROUTER, true, S_AT (ingest_endpoint), S_PIPELINE_HWM,
                                    S_VERBS (PANDA_MSG_PUBLISH, PANDA_MSG_NEXT_ARGS) |
                                        S_VERBS (PANDA_MSG_ARGS, PANDA_MSG_FAILED) |
                                        PANDA_MSG_BIT (PANDA_MSG_REPLICATE)},
    [PANDA_PLUG_INGEST_REPLIES] = {"ingest", ZMQ_PULL, true, S_AT (replies_endpoint), S_PIPELINE_HWM,
                                   S_VERBS (PANDA_MSG_ARGS, PANDA_MSG_FAILED)},
    [PANDA_PLUG_INGEST_VERIFY] = {"ingest", ZMQ_PUSH, false, S_AT (verify_endpoint), S_PIPELINE_HWM,
                                  S_VERBS (PANDA_MSG_PUBLISH, PANDA_MSG_REPLICATE), true},
    [PANDA_PLUG_INGEST_STORAGE] = {"ingest", ZMQ_PUSH, false, S_AT (storage_endpoint), S_PIPELINE_HWM,
                                   PANDA_MSG_BIT (PANDA_MSG_NEXT_ARGS), true},
    [PANDA_PLUG_VERIFY_IN] = {"verify", ZMQ_PULL, true, S_AT (verify_endpoint), S_PIPELINE_HWM,
                              S_VERBS (PANDA_MSG_PUBLISH, PANDA_MSG_REPLICATE)},
    [PANDA_PLUG_VERIFY_STORAGE] = {"verify", ZMQ_PUSH, false, S_AT (storage_endpoint), S_PIPELINE_HWM,
                                   S_VERBS (PANDA_MSG_PUBLISH, PANDA_MSG_REPLICATE)},
    [PANDA_PLUG_VERIFY_REPLIES] = {"verify", ZMQ_PUSH, false, S_AT (replies_endpoint), S_PIPELINE_HWM,
                                   PANDA_MSG_BIT (PANDA_MSG_FAILED)},
    [PANDA_PLUG_STORAGE_IN] = {"storage", ZMQ_PULL, true, S_AT (storage_endpoint), S_PIPELINE_HWM,
                               S_VERBS (PANDA_MSG_PUBLISH, PANDA_MSG_NEXT_ARGS) |
                                   S_VERBS (PANDA_MSG_PURGE, PANDA_MSG_REPLICATE)},
    [PANDA_PLUG_STORAGE_REPLIES] = {"storage", ZMQ_PUSH, false, S_AT (replies_endpoint), S_PIPELINE_HWM,
                                    S_VERBS (PANDA_MSG_ARGS, PANDA_MSG_FAILED)},
    [PANDA_PLUG_STORAGE_EVENTS] = {"storage", ZMQ_PUB, true, S_AT (events_endpoint), S_EVENTS_HWM,
                                   S_VERBS (PANDA_MSG_STORED, PANDA_MSG_PURGED)},
    [PANDA_PLUG_MATERIALIZE_EVENTS] = {"materialize", ZMQ_SUB, false, S_AT (events_endpoint), S_EVENTS_HWM,
                                       S_VERBS (PANDA_MSG_STORED, PANDA_MSG_PURGED)},
    [PANDA_PLUG_MATERIALIZE_STORAGE] = {"materialize", ZMQ_PUSH, false, S_AT (storage_endpoint),
                                        S_PIPELINE_HWM, PANDA_MSG_BIT (PANDA_MSG_PURGE)},
    [PANDA_PLUG_MATERIALIZE_SCHEMAS] = {"materialize", ZMQ_PUB, true, S_AT (schemas_endpoint), S_EVENTS_HWM,
                                        PANDA_MSG_BIT (PANDA_MSG_SCHEMA)},
    [PANDA_PLUG_API_SCHEMAS] = {"api", ZMQ_SUB, false, S_AT (schemas_endpoint), S_EVENTS_HWM,
                                PANDA_MSG_BIT (PANDA_MSG_SCHEMA)},
    //  replicate bounds its own requests in flight (its inbox and credit).
    [PANDA_PLUG_REPLICATE_PIPELINE] = {"replicate", ZMQ_DEALER, false, S_AT (ingest_endpoint), S_PIPELINE_HWM,
                                       S_VERBS (PANDA_MSG_REPLICATE, PANDA_MSG_ARGS) |
                                           PANDA_MSG_BIT (PANDA_MSG_FAILED)},
    [PANDA_PLUG_REPLICATE_EVENTS] = {"replicate", ZMQ_SUB, false, S_AT (events_endpoint), S_EVENTS_HWM,
                                     S_VERBS (PANDA_MSG_STORED, PANDA_MSG_PURGED)},
    [PANDA_PLUG_REPLICATE_SCHEMAS] = {"replicate", ZMQ_SUB, false, S_AT (schemas_endpoint), S_EVENTS_HWM,
                                      PANDA_MSG_BIT (PANDA_MSG_SCHEMA)},
    //  A question per GET /replication; the api waits one second at most.
    [PANDA_PLUG_REPLICATE_INFO] = {"replicate", ZMQ_ROUTER, true, S_AT (replication_endpoint), S_EVENTS_HWM,
                                   S_VERBS (PANDA_MSG_PEERS, PANDA_MSG_PEERS_INFO)},
    [PANDA_PLUG_API_REPLICATION] = {"api worker", ZMQ_DEALER, false, S_AT (replication_endpoint),
                                    S_EVENTS_HWM, S_VERBS (PANDA_MSG_PEERS, PANDA_MSG_PEERS_INFO)},
    //  Events for an embedding application: the publishers connect to the
    //  one subscriber (node_events.c), which binds only once it has a
    //  subscription; until then the PUBs drop what they send.
    [PANDA_PLUG_MATERIALIZE_NOTIFY] = {"materialize", ZMQ_PUB, false, S_AT (notify_endpoint), S_EVENTS_HWM,
                                       PANDA_MSG_BIT (PANDA_MSG_DOCUMENT)},
    [PANDA_PLUG_REPLICATE_NOTIFY] = {"replicate", ZMQ_PUB, false, S_AT (notify_endpoint), S_EVENTS_HWM,
                                     PANDA_MSG_BIT (PANDA_MSG_PEER)},
    [PANDA_PLUG_NODE_NOTIFY] = {"node", ZMQ_SUB, true, S_AT (notify_endpoint), S_NOTIFY_HWM,
                                S_VERBS (PANDA_MSG_DOCUMENT, PANDA_MSG_PEER)},
};

const panda_plug_info_t *
panda_actor_plug_info (panda_plug_t plug)
{
    return plug < PANDA_PLUG_COUNT ? &s_plugs[plug] : NULL;
}

const char *
panda_actor_plug_endpoint (const panda_config_t *config, panda_plug_t plug)
{
    return *(char *const *) ((const char *) config + s_plugs[plug].endpoint);
}

static zsock_t *
s_socket (int type, bool bind, const char *endpoint, int hwm, bool immediate)
{
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return NULL;
    zsock_set_sndhwm (sock, hwm);
    zsock_set_rcvhwm (sock, hwm);
    //  Before connecting: a connection's queue is made with it.
    if (immediate && strncmp (endpoint, "inproc://", 9) != 0)
        zsock_set_immediate (sock, 1);
    if ((bind ? zsock_bind (sock, "%s", endpoint) : zsock_connect (sock, "%s", endpoint)) < 0) {
        panda_log_error ("actor", "cannot %s %s: %s", bind ? "bind" : "connect to", endpoint,
                         zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

zsock_t *
panda_actor_socket (int type, bool bind, const char *endpoint)
{
    return s_socket (type, bind, endpoint, S_PIPELINE_HWM, false);
}

zsock_t *
panda_actor_plug (panda_plug_t plug, const panda_config_t *config, unsigned index)
{
    const panda_plug_info_t *info = &s_plugs[plug];
    const char *endpoint = panda_actor_plug_endpoint (config, plug);
    char numbered[512];
    if (info->endpoint == S_AT (verify_endpoint)) {
        if (panda_actor_verify_endpoint (config, index, numbered, sizeof numbered)) {
            panda_log_error (info->actor, "verify_endpoint is too long");
            return NULL;
        }
        endpoint = numbered;
    }
    zsock_t *sock = s_socket (info->type, info->bind, endpoint, info->hwm, info->immediate);
    if (sock && info->type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    return sock;
}
