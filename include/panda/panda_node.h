/*  panda_node.h - a whole p2panda node in this process.

    Starts the actors in dependency order (storage, the verify pool,
    ingest, api) and stops them in reverse, api first, so that requests in
    flight are answered by a pipeline that is still running. pandad is a
    thin main() around this; an application can embed a node the same way. */
#ifndef PANDA_NODE_H_INCLUDED
#define PANDA_NODE_H_INCLUDED

#include "panda/panda_config.h"

typedef struct _panda_node_t panda_node_t;

//  Start a node with config (borrowed; must outlive the node): the actors
//  its actors setting names (the others run in other processes, see
//  docs/design.md). Returns when it serves HTTP. Caller owns the result; NULL with err set when an
//  actor could not start (the reason names the setting at fault).
panda_node_t *panda_node_new (const panda_config_t *config, panda_error_t *err);

//  Stop every actor (requests in flight finish first) and free the node.
void panda_node_destroy (panda_node_t **self_p);

//  The HTTP port actually bound (useful with http_port 0); 0 without api.
int panda_node_http_port (const panda_node_t *self);

//  The node's replication identity and port, and whether LAN discovery
//  runs ("on UDP port ..." or "off: why"): NULL and 0 without replicate.
const char *panda_node_peer_id (const panda_node_t *self);
int panda_node_node_port (const panda_node_t *self);
const char *panda_node_discovery (const panda_node_t *self);

//  Number of verify workers started.
unsigned panda_node_verify_workers (const panda_node_t *self);

#endif
