/*  replicate.h - the replicate actor's parts (replicate*.c), private to it.

    replicate.c         the actor: sockets, timers, ingest requests, events
    replicate_peer.c    one connection to another node: Hello, Announce,
                        credit, frames, timers
    replicate_sessions.c  its sessions: starting, answering, streaming
                        entries out within credit, taking entries in,
                        live push
    replicate_udp.c     who-are-you over UDP beside node_port
    replicate_local.c   our logs of a target set, the schemas we announce
    replicate_auth.c    the ZAP handler admitting CurveZMQ clients
    replicate_id.c      the node identity (key file) and the peer policy
    replicate_discovery.c  LAN discovery: zbeacon broadcasts (mdns)
    replicate_info.c    GET /replication: connections and totals as JSON
    replicate_relay.c   relays: serving as one (relay_mode), registering at
                        one (relay_addresses), connections through one    */
#ifndef REPLICATE_H_INCLUDED
#define REPLICATE_H_INCLUDED

#include "panda_actors.h"
#include "panda_peer_id.h"
#include "panda_repl_inbox.h"
#include "panda_relay.h"
#include "panda_repl_session.h"
#include "panda_tunnel.h"
#include "panda_store.h"
#include "panda_views.h"

//  Who may connect, by CURVE (X25519) key: peer ids are turned into the
//  CURVE keys they derive, so the ZAP handler compares raw keys.
typedef struct {
    bool allow_any;
    uint8_t (*allowed)[32];
    size_t n_allowed;
    uint8_t (*blocked)[32];
    size_t n_blocked;
} panda_replicate_policy_t;

//  --------------------------------------------------------------------------
//  replicate_id.c

//  The node identity: the private_key file (created 0600 with a new key if
//  missing), else <data_dir>/node.key the same way. NULL with err.
panda_peer_identity_t *panda_replicate_identity (const panda_config_t *config, panda_error_t *err);

//  The policy of allow_peer_ids / block_peer_ids. PANDA_ERR_DECODE naming
//  a peer id that does not parse.
PANDA_NODISCARD panda_err_t panda_replicate_policy_load (panda_replicate_policy_t *policy,
                                                         const panda_config_t *config, panda_error_t *err);
void panda_replicate_policy_clear (panda_replicate_policy_t *policy);

//  Whether policy lets the node with this CURVE key in.
bool panda_replicate_policy_admits (const panda_replicate_policy_t *policy, const uint8_t *curve_key);

//  64 hex characters (either case) into 32 bytes: keys in ZAP's User-Id,
//  who-are-you answers, the psk. false for anything else (out undefined).
bool panda_replicate_unhex32 (const char *text, uint8_t out[32]);

//  The network tag of this node's network (psk or none): 8 bytes.
void panda_replicate_network_tag (const panda_config_t *config, uint8_t tag[PANDA_REPL_NETWORK_TAG_SIZE]);

//  The psk proof of one side of a connection (client: the dialer), over
//  both CURVE keys. false without a psk.
bool panda_replicate_psk_proof (const panda_config_t *config, bool client, const uint8_t *client_curve,
                                const uint8_t *server_curve, uint8_t proof[PANDA_REPL_PSK_PROOF_SIZE]);

//  --------------------------------------------------------------------------
//  replicate_udp.c

//  Answer who-are-you on UDP address:port with node_key, and ask it of
//  others: send "ASK host:port" to the actor, it answers "KEY host:port
//  <hex node key>" or "NONE host:port <why>". NULL with err when the port
//  cannot be bound.
zactor_t *panda_replicate_udp_new (const char *address, int port, const uint8_t *node_key,
                                   const uint8_t *network_tag, panda_error_t *err);

//  --------------------------------------------------------------------------
//  replicate_discovery.c

//  Broadcast node_key, port and network_tag every second on UDP
//  discovery_port and listen for beacons of the same network (zbeacon).
//  interface gets the address zbeacon chose. NULL with err when LAN
//  discovery cannot run (no broadcast interface).
zactor_t *panda_replicate_discovery_new (uint16_t discovery_port, const uint8_t *node_key, int port,
                                         const uint8_t *network_tag, char *interface, size_t size,
                                         panda_error_t *err);

//  (Re)start broadcasting: the first beacon goes out at once.
void panda_replicate_discovery_publish (zactor_t *beacon, const uint8_t *node_key, int port,
                                        const uint8_t *network_tag);

//  Read one beacon: true with the sender's node key and the host:port of
//  its replication port (the sender's IP, the beaconed port); false for
//  anything else.
bool panda_replicate_discovery_recv (zactor_t *beacon, const uint8_t *network_tag, uint8_t node_key[32],
                                     char *address, size_t size);

//  --------------------------------------------------------------------------
//  replicate_auth.c

//  Answer ZAP requests of domain with policy (borrowed until unregister).
//  Returns 0, or -1 when no handler could be started (the ZAP endpoint is
//  taken by someone else in this process).
int panda_replicate_auth_register (const char *domain, const panda_replicate_policy_t *policy);
void panda_replicate_auth_unregister (const char *domain);

#endif

//  --------------------------------------------------------------------------
//  The actor's state, shared by replicate.c and replicate_peer.c

#define PANDA_REPLICATE_MAX_SESSIONS 3 //  open sessions per connection, as aquadoggo
#define PANDA_REPLICATE_FRAME_TARGET (64u << 10) //  batch entries up to this
#define PANDA_REPLICATE_BACKOFF_MIN_MS 5000 //  a failed session is retried after this,
#define PANDA_REPLICATE_BACKOFF_MAX_MS 60000 //  doubling up to this

typedef struct _panda_replicate_t panda_replicate_t;
typedef struct _panda_replicate_peer_t panda_replicate_peer_t;

//  A session and the entries it still has to send, by store position.
typedef struct {
    panda_repl_session_t *session;
    int64_t *positions; //  ascending: the store's order is causal
    size_t n_positions, next;
    int64_t last_activity; //  zclock_mono
    int64_t started; //  zclock_mono
    uint64_t sent, sent_bytes, received, received_bytes; //  entries of this session
    bool reported; //  its catch-up was logged
} panda_replicate_session_t;

typedef struct {
    uint64_t entries_sent, bytes_sent, entries_received, bytes_received;
    uint64_t sessions_done, sessions_failed;
    int64_t last_seen; //  zclock_time of the last message, 0 never
} panda_replicate_stats_t;

typedef enum {
    PANDA_PEER_CONNECTING, //  outgoing, no connection yet
    PANDA_PEER_HELLO, //  connected, Hello exchange under way
    PANDA_PEER_READY //  Hello done both ways
} panda_peer_state_t;

struct _panda_replicate_peer_t {
    panda_replicate_t *node;
    uint32_t number; //  names the peer in the inbox
    bool outgoing;
    zsock_t *dealer; //  outgoing: our DEALER
    zsock_t *monitor; //  outgoing: its connection events
    zframe_t *routing_id; //  incoming: the ROUTER's identity of the peer
    char address[256]; //  host:port dialled, or the peer's address
    bool pinned; //  outgoing: the key was given with the address
    bool key_known; //  outgoing: pinned, or learned by asking (replicate_udp.c)
    bool discovered; //  outgoing: added by LAN discovery, dropped when it goes quiet
    int64_t last_beacon; //  discovered: zclock_mono of its last beacon
    uint8_t curve_key[32]; //  the connection's peer CURVE key
    uint8_t node_key[32]; //  from its Hello
    char peer_id[PANDA_PEER_ID_MAX + 1]; //  "" until known
    panda_peer_state_t state;
    bool hello_sent;
    uint64_t max_frame; //  the peer's, from its Hello
    bool announced; //  its Announce arrived
    panda_schema_set_t their_schemas;
    uint64_t their_timestamp;
    bool announce_sent; //  our current Announce went out
    uint64_t send_entries, send_bytes; //  credit the peer granted us
    uint64_t owed_entries, owed_bytes; //  taken from the inbox, not yet granted back
    uint64_t recv_entries, recv_bytes; //  credit we granted and the peer has not used
    panda_replicate_session_t sessions[PANDA_REPLICATE_MAX_SESSIONS];
    size_t n_sessions;
    uint64_t next_session_id;
    int64_t next_sync; //  zclock_mono: next session to start (dialer), 0 none
    int64_t backoff_ms; //  after a failed session
    int64_t next_dial; //  outgoing and down: when to dial again
    int64_t hello_deadline; //  Hello must be done by then
    panda_replicate_stats_t stats;
    panda_cbor_writer_t out; //  messages for the next frame
    //  relays (replicate_relay.c)
    bool relay_server; //  outgoing: a relay_addresses entry, we register there
    bool relay_only; //  of another network, at a relay: relay messages only
    bool from_relay; //  outgoing: its address came from a relay's list (last_beacon: last listed)
    uint8_t network_tag[PANDA_REPL_NETWORK_TAG_SIZE]; //  from its Hello
    panda_replicate_peer_t *via; //  relayed: the connection to the relay carrying it
    panda_tunnel_t *tunnel; //  relayed: the end-to-end channel inside
    int64_t next_open; //  relayed: earliest (re)opening of the tunnel
    int64_t next_register; //  relay_server: when to register and look up again; at a relay: earliest Lookup
                           //  answered
    uint64_t relay_unacked; //  relay_server: forwarded bytes taken in, not yet acknowledged
    char relay_address[128]; //  relay_server: where the relay sees us
};

#define PANDA_REPLICATE_MAX_PEERS 256 //  connections, whatever max_peers says

struct _panda_replicate_t {
    panda_actor_args_t *args; //  replicate fills in its peer id, port, discovery
    const panda_config_t *config;
    zpoller_t *poller;
    panda_peer_identity_t *identity;
    panda_replicate_stats_t totals; //  of every peer since the start (GET /replication, /metrics)
    panda_replicate_policy_t policy;
    char zap_domain[32];
    bool zap_registered;
    uint8_t network_tag[PANDA_REPL_NETWORK_TAG_SIZE];
    zsock_t *router; //  CurveZMQ server on node_port
    zactor_t *udp; //  who-are-you on the same port number (replicate_udp.c)
    zactor_t *beacon; //  LAN discovery (replicate_discovery.c), NULL when off
    char discovery[PANDA_ERROR_MESSAGE_MAX + 64]; //  "on ..." or "off: why", for GET /replication
    char interface[64]; //  the address zbeacon broadcasts from
    int64_t next_prompt; //  zclock_mono: earliest extra beacon for a smaller node that has not dialled
    int port; //  the bound node port
    zsock_t *ingest; //  DEALER to ingest: REPLICATE
    zsock_t *events; //  SUB: STORED
    zsock_t *schemas; //  SUB: SCHEMA
    zsock_t *info; //  ROUTER: GET /replication
    zsock_t *notify; //  PUB: PEER, for an embedding application
    uint64_t notified; //  PEER events sent
    panda_store_t *store; //  read connection to the entries
    panda_views_t *views; //  read connection to the views (schemas, blob relations)
    panda_actor_schemas_t *known; //  schemas, for the supported set
    panda_schema_set_t supported; //  what we announce
    uint64_t announce_timestamp;
    panda_repl_inbox_t *inbox;
    size_t in_flight; //  REPLICATE requests at ingest
    panda_replicate_peer_t *peers[PANDA_REPLICATE_MAX_PEERS];
    size_t n_peers;
    uint32_t next_peer_number;
    int64_t next_tick;
    panda_relay_t *relay; //  relay_mode: registrations, circuits, queues
    char reason[PANDA_ERROR_MESSAGE_MAX + 256];
};

//  replicate_peer.c: one connection's protocol.

//  A new connection: outgoing to address (curve_key NULL: not known yet)
//  or incoming from routing_id (taken). NULL on OOM.
panda_replicate_peer_t *panda_replicate_peer_new (panda_replicate_t *node, bool outgoing, const char *address,
                                                  const uint8_t *curve_key, zframe_t **routing_id);
void panda_replicate_peer_destroy (panda_replicate_peer_t **self_p);

//  One frame from the peer (its CURVE key in curve_key, from ZAP).
void panda_replicate_peer_frame (panda_replicate_peer_t *self, zframe_t *frame);

//  The connection (re)opened or closed: sessions end, Hello starts over.
void panda_replicate_peer_connected (panda_replicate_peer_t *self);
void panda_replicate_peer_disconnected (panda_replicate_peer_t *self, const char *why);

//  Timers: start sessions, expire silent ones, send what credit allows,
//  flush the frame. Returns the ms until it wants to run again (-1 none).
int64_t panda_replicate_peer_tick (panda_replicate_peer_t *self, int64_t now);

//  A new entry was stored (live push), from origin (node key, or NULL).
void panda_replicate_peer_stored (panda_replicate_peer_t *self, int64_t position, const char *schema_id,
                                  const uint8_t *origin);

//  Our supported set changed: announce it again.
void panda_replicate_peer_announce (panda_replicate_peer_t *self);

//  An entry of this peer was stored, or refused (ends its sessions).
void panda_replicate_peer_entry_done (panda_replicate_peer_t *self, size_t bytes);
void panda_replicate_peer_entry_failed (panda_replicate_peer_t *self, const char *reason);

//  Grant the peer the credit its entries freed: when a quarter of the
//  window is owed, or everything (all).
void panda_replicate_peer_refill (panda_replicate_peer_t *self, bool all);

//  Send the pending frame now (returns -1 when the peer is gone).
int panda_replicate_peer_flush (panda_replicate_peer_t *self);

//  Shared by replicate_peer.c and replicate_sessions.c.
const char *panda_replicate_peer_name (const panda_replicate_peer_t *self); //  peer id, else address
void panda_replicate_peer_write (panda_replicate_peer_t *self, const panda_repl_msg_t *msg); //  to the frame

//  replicate_sessions.c: the sessions of a connection.
void panda_replicate_sessions_end (panda_replicate_peer_t *self);
panda_replicate_session_t *panda_replicate_session_find (panda_replicate_peer_t *self, uint64_t id);
void panda_replicate_session_remove (panda_replicate_peer_t *self, panda_replicate_session_t *s);
void panda_replicate_session_failed (panda_replicate_peer_t *self, panda_replicate_session_t *s,
                                     const char *why);
void panda_replicate_session_stream (panda_replicate_peer_t *self, panda_replicate_session_t *s);
void panda_replicate_session_check (panda_replicate_peer_t *self, panda_replicate_session_t *s);
bool panda_replicate_target (panda_replicate_peer_t *self, panda_schema_set_t *target);
bool panda_replicate_initiates (panda_replicate_peer_t *self);
void panda_replicate_start_session (panda_replicate_peer_t *self, bool live);
void panda_replicate_sync_request (panda_replicate_peer_t *self, const panda_repl_msg_t *msg);
void panda_replicate_session_message (panda_replicate_peer_t *self, const panda_repl_msg_t *msg);
void panda_replicate_entry_received (panda_replicate_peer_t *self, const panda_repl_msg_t *msg);

//  replicate.c: what the peers need from the actor.

//  This node's logs of a target set (blob closure applied). NULL with err.
panda_recon_set_t *panda_replicate_local_logs (panda_replicate_t *node, const panda_schema_set_t *target,
                                               panda_error_t *err);

//  Hand a received entry to the inbox (and on to ingest when ready).
PANDA_NODISCARD panda_err_t panda_replicate_receive (panda_replicate_t *node, panda_replicate_peer_t *peer,
                                                     const uint8_t *entry, size_t entry_len,
                                                     const uint8_t *op, size_t op_len, panda_error_t *err);

//  replicate_local.c: what we have. Our announced set (§9.7: the allow
//  list, else every known schema) is read again, and announced to every
//  peer when it changed.
void panda_replicate_refresh_supported (panda_replicate_t *node);

//  Logs of the blobs (and pieces) related to by the target set's documents.
PANDA_NODISCARD panda_err_t panda_replicate_blob_logs (panda_replicate_t *node,
                                                       const panda_schema_set_t *target,
                                                       panda_recon_set_t *set, panda_error_t *err);

//  The connection numbered number (peer->number), NULL when gone.
panda_replicate_peer_t *panda_replicate_peer_by_number (panda_replicate_t *node, uint32_t number);

//  Connections past Hello, both directions.
size_t panda_replicate_ready_peers (const panda_replicate_t *node);

//  A connection that failed Hello: an outgoing one is closed and dialled
//  again in 20 s (no retry storm); an incoming one waits to be forgotten.
void panda_replicate_give_up (panda_replicate_peer_t *peer);

//  The incoming READY connection from the node with this key, if any.
panda_replicate_peer_t *panda_replicate_find_incoming (panda_replicate_t *node, const uint8_t *node_key);

//  A READY connection to the node with this key that does not go through
//  a relay, if any.
panda_replicate_peer_t *panda_replicate_find_direct (panda_replicate_t *node, const uint8_t *node_key);

//  Add a connection to the table (false: full); an outgoing one dialled
//  at address with curve_key (NULL when the table is full). from_relay:
//  the address came from a relay's list, where it is often behind NAT and
//  never answers: redialled with backoff (1 s doubling to 60 s) instead of
//  every 0.5-1 s, as the relayed connection carries the sessions meanwhile.
bool panda_replicate_add_peer (panda_replicate_t *node, panda_replicate_peer_t *peer);
panda_replicate_peer_t *panda_replicate_add_outgoing (panda_replicate_t *node, const char *address,
                                                      const uint8_t *curve_key, bool from_relay);

//  Take a connection out of the table and free it (and the connections
//  relayed through it).
void panda_replicate_remove_peer (panda_replicate_t *node, panda_replicate_peer_t *peer);

//  replicate_info.c: answer one PEERS request on node->info (GET /replication).
void panda_replicate_info (panda_replicate_t *node);

//  replicate_relay.c

//  relay_mode: the relay's tables (NULL with a reason when out of memory).
const char *panda_replicate_relay_start (panda_replicate_t *node);

//  A relay message from a connection (Register, Lookup, Forward, Ack to
//  us as a relay; Registered, Peers, Forward, Refused from our relay).
void panda_replicate_relay_message (panda_replicate_peer_t *peer, const panda_repl_msg_t *msg);

//  Our relay connection is READY: register and look up at once.
void panda_replicate_relay_ready (panda_replicate_peer_t *peer);

//  A connection closed: its registration (relay_mode) and, for our relay,
//  the connections through it go down.
void panda_replicate_relay_gone (panda_replicate_peer_t *peer);

//  Timers: registrations and lookups, acknowledgements, tunnels to open,
//  the relay's queues and expiry. Returns ms until it wants to run (-1).
int64_t panda_replicate_relay_tick (panda_replicate_t *node, int64_t now);

//  Send a relayed connection's pending frame through its tunnel.
int panda_replicate_relayed_flush (panda_replicate_peer_t *peer);

//  A relayed connection failed Hello: its tunnel opens again later.
void panda_replicate_relayed_give_up (panda_replicate_peer_t *peer);
