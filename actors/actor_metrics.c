/*  actor_metrics.c - the node's counters. See panda_metrics.h.            */
#include "panda_metrics.h"

#include <stdlib.h>
#include <string.h>

//  From half a millisecond (a cached query) to ten seconds (the default
//  graphql_timeout_ms).
const uint32_t panda_metrics_bucket_us[PANDA_METRICS_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

panda_metrics_t *
panda_metrics_new (void)
{
    size_t size = (sizeof (panda_metrics_t) + 63) & ~(size_t) 63;
    panda_metrics_t *self = aligned_alloc (64, size);
    if (self)
        memset (self, 0, size); //  all-zero bits are zero atomics on every target we build for
    return self;
}

void
panda_metrics_destroy (panda_metrics_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

void
panda_metrics_publish (panda_metrics_t *self, panda_err_t code)
{
    if (!self)
        return;
    if (code == PANDA_OK)
        panda_metrics_add (&self->accepted, 1);
    else if (code == PANDA_ERR_NOMEM || (unsigned) code >= PANDA_METRICS_REASONS)
        panda_metrics_add (&self->rejected[PANDA_ERR_INTERNAL], 1); //  one label for both
    else
        panda_metrics_add (&self->rejected[code], 1);
}

void
panda_metrics_request (panda_metrics_t *self, panda_route_t route, uint64_t us)
{
    if (!self)
        return;
    size_t b = 0;
    while (b < PANDA_METRICS_BUCKETS && us > panda_metrics_bucket_us[b])
        b++;
    panda_metrics_add (&self->requests[route][b], 1);
    panda_metrics_add (&self->request_us[route], us);
}

const char *
panda_metrics_route_name (panda_route_t route)
{
    static const char *const names[PANDA_ROUTE_COUNT] = {"graphql", "blobs", "other"};
    return (unsigned) route < PANDA_ROUTE_COUNT ? names[route] : "other";
}

const char *
panda_metrics_reason (panda_err_t code)
{
    switch (code) {
        case PANDA_OK: return "none";
        case PANDA_ERR_DECODE: return "malformed"; //  bytes that do not decode (entry, operation, hex)
        case PANDA_ERR_INVALID: return "invalid"; //  log, seq num, backlink, skiplink, ...
        case PANDA_ERR_SIGNATURE: return "signature";
        case PANDA_ERR_SCHEMA: return "schema"; //  fields do not match the schema
        case PANDA_ERR_DOCUMENT: return "document"; //  e.g. an update of a deleted document
        case PANDA_ERR_NOT_FOUND: return "not_found"; //  unknown schema, document or previous
        case PANDA_ERR_LIMIT: return "limit";
        case PANDA_ERR_IO: return "unavailable"; //  the pipeline or database did not answer
        case PANDA_ERR_NOMEM:
        case PANDA_ERR_INTERNAL: return "internal";
    }
    return "internal";
}
