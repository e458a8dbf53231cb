/*  node_events.h - the node's event subscriptions (node_events.c), private
    to actors/: node.c owns one panda_node_events_t per node.            */
#ifndef NODE_EVENTS_H_INCLUDED
#define NODE_EVENTS_H_INCLUDED

#include "panda/panda_node.h"
#include "panda_actors.h"

typedef struct _panda_node_events_t panda_node_events_t;

//  No thread yet: it starts with the first subscription. NULL when out of
//  memory. config is borrowed.
panda_node_events_t *panda_node_events_new (const panda_config_t *config);

//  Stop the event thread and free the subscriptions left.
void panda_node_events_destroy (panda_node_events_t **self_p);

//  panda_node_subscribe on the node's events.
panda_node_subscription_t *panda_node_events_subscribe (panda_node_events_t *self, unsigned kinds,
                                                        panda_node_event_fn *fn, void *arg,
                                                        panda_error_t *err);

#endif
