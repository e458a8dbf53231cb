/*  panda_metrics.h - counters the actors of one node keep for GET /metrics.

    One panda_metrics_t per node, shared by the actors of this process
    (panda_actor_args_t.metrics; NULL counts nothing). Every counter is a
    relaxed atomic on its own cache line, so the threads that bump them
    (api workers, ingest, the verify pool, storage) never share a line.
    What the databases know (entries, documents, the views' position) is
    read from them when asked (api_health.c), not counted here.

    Queue depths: ZeroMQ does not say how many messages wait on a socket,
    so each send to an actor's inbox is counted by its sender (queued) and
    each message the actor takes by the actor (taken); the difference is
    what waits. Only sends from this process are seen, so the depths are
    exported only when every actor that sends to these inboxes runs here.                     */
#ifndef PANDA_METRICS_H_INCLUDED
#define PANDA_METRICS_H_INCLUDED

#include "panda/panda_err.h"

#include <stdatomic.h>
#include <stdint.h>

//  The inboxes whose depth is kept: ingest (requests and answers),
//  the verify pool (all workers together), storage.
typedef enum { PANDA_QUEUE_INGEST, PANDA_QUEUE_VERIFY, PANDA_QUEUE_STORAGE, PANDA_QUEUE_COUNT } panda_queue_t;

//  HTTP routes, by class (a label with three values).
typedef enum { PANDA_ROUTE_GRAPHQL, PANDA_ROUTE_BLOBS, PANDA_ROUTE_OTHER, PANDA_ROUTE_COUNT } panda_route_t;

//  Upper bounds of the request latency buckets, in microseconds (+Inf
//  after the last).
#define PANDA_METRICS_BUCKETS 14
extern const uint32_t panda_metrics_bucket_us[PANDA_METRICS_BUCKETS];

//  Why a publish was rejected: the error code of its answer (panda_err_t),
//  a label with a fixed set of values (panda_metrics_reason).
#define PANDA_METRICS_REASONS (PANDA_ERR_INTERNAL + 1)

typedef struct {
    _Alignas(64) atomic_uint_fast64_t value;
} panda_counter_t;

typedef struct {
    panda_counter_t queued[PANDA_QUEUE_COUNT];
    panda_counter_t taken[PANDA_QUEUE_COUNT];
    panda_counter_t accepted; //  publishes answered with next arguments
    panda_counter_t rejected[PANDA_METRICS_REASONS]; //  by panda_err_t of the answer
    //  per route: requests in each bucket (not cumulative), the +Inf one last
    panda_counter_t requests[PANDA_ROUTE_COUNT][PANDA_METRICS_BUCKETS + 1];
    panda_counter_t request_us[PANDA_ROUTE_COUNT]; //  sum of latencies
} panda_metrics_t;

//  Zeroed counters, 64-byte aligned. Caller owns (panda_metrics_destroy);
//  NULL when out of memory.
panda_metrics_t *panda_metrics_new (void);
void panda_metrics_destroy (panda_metrics_t **self_p);

static inline void
panda_metrics_add (panda_counter_t *counter, uint64_t n)
{
    atomic_fetch_add_explicit (&counter->value, n, memory_order_relaxed);
}

static inline uint64_t
panda_metrics_get (const panda_counter_t *counter)
{
    return atomic_load_explicit (&counter->value, memory_order_relaxed);
}

//  A message was sent to (queued) or taken from (taken) an inbox.
static inline void
panda_metrics_queued (panda_metrics_t *self, panda_queue_t queue)
{
    if (self)
        panda_metrics_add (&self->queued[queue], 1);
}

static inline void
panda_metrics_taken (panda_metrics_t *self, panda_queue_t queue)
{
    if (self)
        panda_metrics_add (&self->taken[queue], 1);
}

//  A publish was answered: code PANDA_OK (accepted) or why it was not.
void panda_metrics_publish (panda_metrics_t *self, panda_err_t code);

//  An HTTP request of route took us microseconds.
void panda_metrics_request (panda_metrics_t *self, panda_route_t route, uint64_t us);

//  Label values: "graphql", "blobs", "other"; the reason of a code
//  ("signature", "schema", ..., "unavailable" for PANDA_ERR_IO).
const char *panda_metrics_route_name (panda_route_t route);
const char *panda_metrics_reason (panda_err_t code);

#endif
