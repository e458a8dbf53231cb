/*  panda_node.h - a whole p2panda node in this process.

    Starts the actors in dependency order (storage, the verify pool,
    ingest, api) and stops them in reverse, api first, so that requests in
    flight are answered by a pipeline that is still running. pandad is a
    thin main() around this; an application embeds a node the same way:

        panda_config_t *config = panda_config_new ();
        panda_config_set (config, "data_dir", "/var/lib/myapp/panda", &err);
        panda_config_set (config, "http_port", "0", &err);
        panda_config_check (config, &err);
        panda_node_t *node = panda_node_new (config, &err);
        ...
        panda_node_destroy (&node);
        panda_config_destroy (&config);

    The node's threads inherit the signal mask of the thread that calls
    panda_node_new; the node installs no signal handlers (it turns CZMQ's
    default SIGINT handler off) and leaves the process umask alone. Its
    own directories and files are made for the process's user only.
    docs/embedding.md has the whole story.                               */
#ifndef PANDA_NODE_H_INCLUDED
#define PANDA_NODE_H_INCLUDED

#include "panda/panda_config.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _panda_node_t panda_node_t;

//  Start a node with config (borrowed; must outlive the node; filled by
//  panda_config_load or panda_config_check): the actors its actors setting
//  names (the others run in other processes, see docs/design.md). Creates
//  data_dir, blobs_base_path and the database's directory (0700) when
//  missing. Returns when it serves HTTP. Caller owns the result; NULL with
//  err set when a directory or an actor could not be made (the reason
//  names the setting at fault).
panda_node_t *panda_node_new (const panda_config_t *config, panda_error_t *err);

//  Stop every actor (requests in flight finish first), end the
//  subscriptions still open (their handles are freed: do not unsubscribe
//  them afterwards) and free the node. Not from an event callback.
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

//  --------------------------------------------------------------------------
//  Events

//  What happened; subscribe to a set of them by or-ing the bits.
typedef enum {
    //  A document's current view changed, and the views database holds it
    //  (a query made now sees it): published here or replicated.
    PANDA_NODE_DOCUMENT_CREATED = 1 << 0,
    PANDA_NODE_DOCUMENT_UPDATED = 1 << 1,
    PANDA_NODE_DOCUMENT_DELETED = 1 << 2,
    //  Another node finished its handshake with us, or went away.
    PANDA_NODE_PEER_CONNECTED = 1 << 3,
    PANDA_NODE_PEER_DISCONNECTED = 1 << 4,
    //  Callbacks fell too far behind and events were dropped: lost says
    //  how many. Re-read what matters (e.g. query the documents again).
    PANDA_NODE_EVENTS_LOST = 1 << 5
} panda_node_event_kind_t;

#define PANDA_NODE_DOCUMENT_CHANGED                                                                          \
    (PANDA_NODE_DOCUMENT_CREATED | PANDA_NODE_DOCUMENT_UPDATED | PANDA_NODE_DOCUMENT_DELETED)
#define PANDA_NODE_PEER_CHANGED (PANDA_NODE_PEER_CONNECTED | PANDA_NODE_PEER_DISCONNECTED)
#define PANDA_NODE_EVENTS_ALL (PANDA_NODE_DOCUMENT_CHANGED | PANDA_NODE_PEER_CHANGED | PANDA_NODE_EVENTS_LOST)

//  One event. The strings are valid during the callback only; fields that
//  do not apply to the kind are NULL (or 0).
typedef struct {
    panda_node_event_kind_t kind;
    const char *schema_id; //  document events
    const char *document_id; //  68 hex characters
    const char *view_id; //  the new current view; for a deletion, the view the DELETE made
    const char *peer_id; //  peer events: 12D3KooW...
    const char *address; //  peer events: host:port
    uint64_t lost; //  PANDA_NODE_EVENTS_LOST: how many
} panda_node_event_t;

typedef void (panda_node_event_fn) (const panda_node_event_t *event, void *arg);

typedef struct _panda_node_subscription_t panda_node_subscription_t;

//  Call fn (event, arg) for every event whose kind is in kinds (an or of
//  panda_node_event_kind_t bits), from now until unsubscribed.
//
//  Threading: every callback of a node runs on one thread the node starts
//  at its first subscription ("panda events"), one event at a time, in
//  the order the events happened (per source: documents, peers), and for
//  one event in the order the subscriptions were made. A callback may
//  call anything of this library, including panda_node_subscribe and
//  panda_node_unsubscribe (also on its own subscription: it then gets no
//  further call), but not panda_node_destroy. A slow callback delays the
//  others; past 10000 queued events, events are dropped and the next
//  callback gets PANDA_NODE_EVENTS_LOST (if subscribed to it).
//
//  Returns a handle the caller owns, or NULL with err set (bad kinds, out
//  of memory, notify_endpoint cannot be bound).
panda_node_subscription_t *panda_node_subscribe (panda_node_t *node, unsigned kinds, panda_node_event_fn *fn,
                                                 void *arg, panda_error_t *err);

//  End a subscription and free it. From any thread other than the event
//  thread it waits for a running callback to return: once it returns, fn
//  is not running and will not be called again. Accepts NULL.
void panda_node_unsubscribe (panda_node_subscription_t **self_p);

//  Name of an event kind ("document created").
const char *panda_node_event_name (panda_node_event_kind_t kind);

#ifdef __cplusplus
}
#endif
#endif
