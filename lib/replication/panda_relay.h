/*  panda_relay.h - a relay's bookkeeping (relay_mode): who is registered,
    which circuits are open, what waits to be forwarded, within limits.

    Nodes register over their connection to the relay (a connection
    number of the caller's choosing) with their node key and network tag;
    registrations expire unless renewed. A registered node learns the
    others of its network and sends them payloads: the first payload
    between two nodes opens a circuit, one per pair, closed after
    PANDA_RELAY_CIRCUIT_IDLE_MS without traffic. The payloads are end-to-end
    sealed (panda_tunnel.h); the relay only counts them.

    Every queue is bounded: payloads wait per sender, released in turn at
    the sender's rate and the relay's total rate; bytes toward one node
    (waiting, or forwarded and not yet acknowledged by it) and toward all
    have a ceiling. Past a limit a payload is refused with the reason, and
    nothing else changes.

    Pure code: the caller passes the time (ms, monotonic).                 */
#ifndef PANDA_RELAY_H_INCLUDED
#define PANDA_RELAY_H_INCLUDED

#include "panda/panda_err.h"
#include "panda_repl_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_RELAY_CIRCUIT_IDLE_MS (10 * 60 * 1000)

typedef struct {
    size_t max_registrations; //  nodes registered at once
    uint64_t max_ttl_ms; //  longest registration granted
    size_t max_circuits; //  node pairs forwarding at once
    uint64_t node_rate; //  bytes/s one node may send through the relay
    uint64_t total_rate; //  bytes/s through the relay
    uint64_t node_queue_bytes; //  waiting or unacknowledged toward one node
    uint64_t total_queue_bytes; //  the same, all nodes
} panda_relay_limits_t;

typedef struct {
    size_t registrations, circuits;
    uint64_t forwarded, forwarded_bytes; //  payloads released to their node
    uint64_t refused; //  payloads refused
    uint64_t announced; //  nodes told of a newcomer (panda_relay_newcomer)
    uint64_t queued_bytes; //  waiting now
} panda_relay_stats_t;

//  A payload ready to go: to the connection to_conn, from the node from.
typedef struct {
    uint32_t to_conn;
    uint8_t from[32];
    const uint8_t *payload; //  owned by the relay until the next call
    size_t len;
} panda_relay_item_t;

typedef struct _panda_relay_t panda_relay_t;

panda_relay_t *panda_relay_new (const panda_relay_limits_t *limits);
void panda_relay_destroy (panda_relay_t **self_p);

//  Register (or renew) the node on connection conn for ttl_ms (capped at
//  max_ttl_ms, given in *granted_ms). address: where others may dial it
//  ("" if nowhere). The same node key on a new connection replaces the old
//  registration. PANDA_ERR_LIMIT when the table is full.
PANDA_NODISCARD panda_err_t panda_relay_register (panda_relay_t *self, uint32_t conn,
                                                  const uint8_t node_key[32],
                                                  const uint8_t network_tag[PANDA_REPL_NETWORK_TAG_SIZE],
                                                  const char *address, uint64_t ttl_ms, int64_t now,
                                                  uint64_t *granted_ms, panda_error_t *err);

//  The connection is gone: its registration, circuits and waiting
//  payloads (from and to it) are dropped.
void panda_relay_forget (panda_relay_t *self, uint32_t conn);

//  Drop registrations past their time and circuits idle too long.
void panda_relay_expire (panda_relay_t *self, int64_t now);

//  The other nodes registered in conn's network (none when conn is not
//  registered), at most max; addresses point into the relay's table.
size_t panda_relay_lookup (const panda_relay_t *self, uint32_t conn, panda_repl_relay_peer_t *out,
                           size_t max);

//  conn's node registered anew: the connections of the other nodes of its
//  network (as panda_relay_lookup), at most max, to tell now. Counted in
//  the stats (announced).
size_t panda_relay_newcomer (panda_relay_t *self, uint32_t conn, uint32_t *out, size_t max);

//  Take a payload from conn for the node to (copied). Refusals
//  (PANDA_ERR_NOT_FOUND for an unknown sender or receiver, PANDA_ERR_LIMIT
//  for circuits or queues) name the reason in err.
PANDA_NODISCARD panda_err_t panda_relay_forward (panda_relay_t *self, uint32_t from_conn,
                                                 const uint8_t to[32], const uint8_t *payload, size_t len,
                                                 int64_t now, panda_error_t *err);

//  The next payload the rates allow, taking turns between senders; false
//  when none may go now.
bool panda_relay_next (panda_relay_t *self, int64_t now, panda_relay_item_t *item);

//  Milliseconds until a waiting payload may go (-1: nothing waits).
int64_t panda_relay_wait (const panda_relay_t *self, int64_t now);

//  The node on conn consumed bytes of forwarded payloads.
void panda_relay_ack (panda_relay_t *self, uint32_t conn, uint64_t bytes);

//  The node key registered on conn, NULL if none.
const uint8_t *panda_relay_node_key (const panda_relay_t *self, uint32_t conn);

panda_relay_stats_t panda_relay_stats (const panda_relay_t *self);

#ifdef __cplusplus
}
#endif
#endif
