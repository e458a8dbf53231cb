/*  replicate.c - the replicate actor: this node's connections to other
    nodes, over TCP with CurveZMQ (docs/replication.md).

    One ROUTER bound on node_port serves every node that dials us, in both
    directions on its one connection (it may be behind NAT); one DEALER per
    configured peer (direct_node_addresses) dials out. The protocol of one
    connection is replicate_peer.c; sessions, codecs and reconciliation are
    pure code in lib/replication.

    Received entries take the publish path: the inbox releases each once
    its dependencies have left it, as REPLICATE to ingest, then verify and
    storage; storage's STORED events come back here and are pushed to
    peers in live sessions (never to the peer an entry came from).

    Accepts:  frames           on ROUTER @tcp://node_address:node_port (peers)
                               and on each DEALER >peer (peers)
              ARGS, FAILED     on DEALER >ingest_endpoint (answers)
              STORED           on SUB >events_endpoint
              SCHEMA           on SUB >schemas_endpoint
              PEERS            on ROUTER @replication_endpoint (api workers)
    Emits:    REPLICATE        on DEALER >ingest_endpoint
              PEERS_INFO       on that ROUTER (JSON for GET /replication)
              PEER             on PUB >notify_endpoint (node_events.c)
              frames           to peers
    Opens the entries database (database_url) and the views database
    <db>-views, both only to read.                                         */
#include "replicate.h"

#include "panda/panda_operation.h"
#include "panda_views.h"

#include <stdlib.h>
#include <string.h>

#define S_TICK_MS 250 //  timers are checked at least this often while peers exist
#define S_DIAL_EVERY_MS 20000 //  aquadoggo's redial interval: after a refusal, or no who-are-you answer
//  An unreachable outgoing peer is redialled every 0.5-1 s (ZeroMQ adds
//  jitter; no backoff), each try bounded: unbounded, a SYN lost in a
//  partition waits for the kernel's retries (minutes), and ZeroMQ's
//  backoff to 20 s meant a healed link was used only up to 20 s later.
//  Now within about 2 s (tests/test_node_partition.c), for a SYN or two
//  per try.
#define S_REDIAL_MS 500
//  An address a relay listed is often behind NAT: ZeroMQ's backoff, 1 s
//  doubling to 60 s (the relayed connection works meanwhile).
#define S_RELAYED_REDIAL_MS 1000
#define S_RELAYED_REDIAL_MAX_MS 60000
#define S_CONNECT_TIMEOUT_MS 2000
#define S_HEARTBEAT_IVL_MS 5000
#define S_HEARTBEAT_TIMEOUT_MS 20000
#define S_INGEST_IN_FLIGHT 1024 //  REPLICATE requests at ingest at once
#define S_SNDHWM 1000 //  frames queued per connection; credit keeps it short
#define S_BEACON_QUIET_MS 10000 //  a discovered peer this long without a beacon, and down, is dropped
#define S_RELAY_QUIET_MS 45000 //  a peer learned from a relay this long unlisted, and down, is dropped

//  --------------------------------------------------------------------------
//  The inbox and ingest

//  Send ready entries to ingest while it has room.
static void
s_pump (panda_replicate_t *self)
{
    panda_repl_ready_t ready;
    while (self->in_flight < S_INGEST_IN_FLIGHT && (zsock_events (self->ingest) & ZMQ_POLLOUT) &&
           panda_repl_inbox_next (self->inbox, &ready)) {
        uint8_t origin[32] = {0};
        panda_replicate_peer_t *from = panda_replicate_peer_by_number (self, ready.peer);
        if (from)
            memcpy (origin, from->node_key, 32);
        panda_msg_t *msg = panda_msg_replicate_new (ready.ticket, ready.entry, ready.entry_len,
                                                    ready.operation, ready.op_len, origin, sizeof origin);
        if (panda_actor_send (self->ingest, NULL, &msg) == 0) {
            self->in_flight++;
            panda_metrics_queued (self->args->metrics, PANDA_QUEUE_INGEST);
        } else
            panda_repl_inbox_failed (self->inbox, ready.ticket);
    }
}

panda_err_t
panda_replicate_receive (panda_replicate_t *node, panda_replicate_peer_t *peer, const uint8_t *entry,
                         size_t entry_len, const uint8_t *op, size_t op_len, panda_error_t *err)
{
    bool added;
    panda_err_t rc =
        panda_repl_inbox_add (node->inbox, peer->number, entry, entry_len, op, op_len, &added, err);
    if (rc == PANDA_OK && !added) //  already on its way: the credit is free again
        panda_replicate_peer_entry_done (peer, entry_len + op_len);
    return rc;
}

panda_replicate_peer_t *
panda_replicate_peer_by_number (panda_replicate_t *self, uint32_t number)
{
    for (size_t i = 0; i < self->n_peers; i++)
        if (self->peers[i]->number == number)
            return self->peers[i];
    return NULL;
}

//  ARGS or FAILED for a REPLICATE (req = inbox ticket).
static void
s_ingest_answer (panda_replicate_t *self)
{
    panda_msg_t *msg = panda_actor_recv (self->ingest, NULL);
    if (!msg)
        return;
    if (self->in_flight)
        self->in_flight--;
    panda_msg_id_t id = panda_msg_id (msg);
    uint64_t ticket = id == PANDA_MSG_ARGS ? panda_msg_args_req (msg) : panda_msg_failed_req (msg);
    size_t bytes = panda_repl_inbox_ticket_bytes (self->inbox, ticket);
    if (id == PANDA_MSG_ARGS) {
        panda_replicate_peer_t *peer =
            panda_replicate_peer_by_number (self, panda_repl_inbox_done (self->inbox, ticket));
        if (peer)
            panda_replicate_peer_entry_done (peer, bytes);
    } else if (id == PANDA_MSG_FAILED) {
        const char *message = panda_msg_failed_message (msg);
        //  §9.6: a schema not known yet is not an error; the entry waits.
        if (panda_msg_failed_code (msg) == PANDA_ERR_NOT_FOUND && strcmp (message, "Schema not found") == 0) {
            panda_log_debug ("replicate", "an entry waits for its schema");
            panda_repl_inbox_defer (self->inbox, ticket);
        } else {
            panda_replicate_peer_t *peer =
                panda_replicate_peer_by_number (self, panda_repl_inbox_failed (self->inbox, ticket));
            if (peer) {
                panda_replicate_peer_entry_done (peer, bytes);
                panda_replicate_peer_entry_failed (peer, message);
            }
        }
    }
    panda_msg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Peers

panda_replicate_peer_t *
panda_replicate_find_incoming (panda_replicate_t *node, const uint8_t *node_key)
{
    for (size_t i = 0; i < node->n_peers; i++) {
        panda_replicate_peer_t *peer = node->peers[i];
        if (!peer->outgoing && !peer->via && peer->state == PANDA_PEER_READY &&
            memcmp (peer->node_key, node_key, 32) == 0)
            return peer;
    }
    return NULL;
}

panda_replicate_peer_t *
panda_replicate_find_direct (panda_replicate_t *node, const uint8_t *node_key)
{
    for (size_t i = 0; i < node->n_peers; i++) {
        panda_replicate_peer_t *peer = node->peers[i];
        if (!peer->via && peer->state == PANDA_PEER_READY && memcmp (peer->node_key, node_key, 32) == 0)
            return peer;
    }
    return NULL;
}

size_t
panda_replicate_ready_peers (const panda_replicate_t *node)
{
    size_t n = 0;
    for (size_t i = 0; i < node->n_peers; i++) //  relay-only ones hold no credit: the relay bounds them
        n += node->peers[i]->state == PANDA_PEER_READY && !node->peers[i]->relay_only;
    return n;
}

static void
s_remove_peer (panda_replicate_t *self, size_t i)
{
    panda_replicate_peer_t *peer = self->peers[i];
    panda_replicate_relay_gone (peer);
    //  The connections through it go with it.
    for (size_t j = self->n_peers; j-- > 0;)
        if (self->peers[j]->via == peer) {
            panda_replicate_peer_destroy (&self->peers[j]);
            self->peers[j] = self->peers[--self->n_peers];
        }
    for (i = 0; i < self->n_peers && self->peers[i] != peer; i++)
        ;
    if (peer->dealer && self->poller)
        zpoller_remove (self->poller, peer->dealer);
    if (peer->monitor && self->poller)
        zpoller_remove (self->poller, peer->monitor);
    panda_replicate_peer_destroy (&peer);
    self->peers[i] = self->peers[--self->n_peers];
}

void
panda_replicate_remove_peer (panda_replicate_t *node, panda_replicate_peer_t *peer)
{
    for (size_t i = 0; i < node->n_peers; i++)
        if (node->peers[i] == peer) {
            s_remove_peer (node, i);
            return;
        }
}

bool
panda_replicate_add_peer (panda_replicate_t *node, panda_replicate_peer_t *peer)
{
    if (node->n_peers >= PANDA_REPLICATE_MAX_PEERS)
        return false;
    node->peers[node->n_peers++] = peer;
    return true;
}

//  Dial a peer: a DEALER with our CURVE keys and the peer's, watched by a
//  monitor so that a new connection starts with Hello.
static int
s_dial (panda_replicate_t *self, panda_replicate_peer_t *peer)
{
    if (!peer->dealer) {
        zsock_t *dealer = zsock_new (ZMQ_DEALER);
        if (!dealer)
            return -1;
        zsock_set_linger (dealer, 0);
        zsock_set_sndhwm (dealer, S_SNDHWM);
        zsock_set_immediate (dealer, 1); //  nothing queues across connections
        zsock_set_maxmsgsize (dealer, PANDA_REPL_MAX_FRAME_BYTES);
        zsock_set_heartbeat_ivl (dealer, S_HEARTBEAT_IVL_MS);
        zsock_set_heartbeat_timeout (dealer, S_HEARTBEAT_TIMEOUT_MS);
        zsock_set_reconnect_ivl (dealer, peer->from_relay ? S_RELAYED_REDIAL_MS : S_REDIAL_MS);
        zsock_set_reconnect_ivl_max (dealer, peer->from_relay ? S_RELAYED_REDIAL_MAX_MS : S_REDIAL_MS);
        zsock_set_connect_timeout (dealer, S_CONNECT_TIMEOUT_MS);
        zsock_set_curve_serverkey_bin (dealer, peer->curve_key);
        zsock_set_curve_publickey_bin (dealer, panda_peer_identity_curve_public_key (self->identity));
        zsock_set_curve_secretkey_bin (dealer, panda_peer_identity_curve_secret_key (self->identity));
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "inproc://pandad-replicate-monitor-%p", (void *) peer);
        int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
        zsock_t *monitor = NULL;
        if (zmq_socket_monitor (zsock_resolve (dealer), endpoint, events) == 0)
            monitor = zsock_new_pair (endpoint);
        if (!monitor) {
            zsock_destroy (&dealer);
            return -1;
        }
        peer->dealer = dealer;
        peer->monitor = monitor;
        zpoller_add (self->poller, dealer);
        zpoller_add (self->poller, monitor);
    }
    char host[256];
    snprintf (host, sizeof host, "%s", peer->address);
    char *colon = strrchr (host, ':');
    if (!colon)
        return -1;
    *colon = 0;
    //  tcp://host:port; ZeroMQ resolves names and redials by itself.
    if (zsock_connect (peer->dealer, "tcp://%s:%s", host, colon + 1) != 0) {
        panda_log_warn ("replicate", "cannot dial %s: %s", peer->address, zmq_strerror (zmq_errno ()));
        return -1;
    }
    peer->next_dial = 0;
    panda_log_debug ("replicate", "dialling %s", peer->address);
    return 0;
}

static void
s_undial (panda_replicate_peer_t *peer)
{
    char host[256];
    snprintf (host, sizeof host, "%s", peer->address);
    char *colon = strrchr (host, ':');
    if (peer->dealer && colon) {
        *colon = 0;
        zsock_disconnect (peer->dealer, "tcp://%s:%s", host, colon + 1);
    }
}

void
panda_replicate_give_up (panda_replicate_peer_t *peer)
{
    if (peer->via) {
        panda_replicate_relayed_give_up (peer);
        return;
    }
    if (!peer->outgoing)
        return;
    s_undial (peer);
    peer->next_dial = zclock_mono () + S_DIAL_EVERY_MS;
}

//  A connection event of an outgoing peer's DEALER.
static void
s_monitor_event (panda_replicate_t *self, panda_replicate_peer_t *peer)
{
    zmsg_t *event = zmsg_recv (peer->monitor);
    zframe_t *first = event ? zmsg_first (event) : NULL;
    if (!first || zframe_size (first) < 6) {
        zmsg_destroy (&event);
        return;
    }
    uint16_t id;
    memcpy (&id, zframe_data (first), sizeof id);
    zmsg_destroy (&event);
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        panda_replicate_peer_connected (peer);
    else if (id == ZMQ_EVENT_DISCONNECTED)
        panda_replicate_peer_disconnected (peer, "connection lost");
    else {
        //  Refused (not allowed, or not who we think): no retry storm.
        panda_log_warn ("replicate", "%s refused our connection (%s); next try in %d s", peer->address,
                        id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "not allowed" : "handshake failed",
                        S_DIAL_EVERY_MS / 1000);
        panda_replicate_peer_disconnected (peer, "handshake refused");
        panda_replicate_give_up (peer);
    }
    (void) self;
}

//  A frame on the ROUTER: from a known incoming peer, or a new one.
static void
s_router_frame (panda_replicate_t *self)
{
    zmsg_t *msg = zmsg_recv (self->router);
    zframe_t *routing = msg ? zmsg_pop (msg) : NULL;
    zframe_t *frame = msg ? zmsg_pop (msg) : NULL;
    zmsg_destroy (&msg);
    if (!routing || !frame) {
        zframe_destroy (&routing);
        zframe_destroy (&frame);
        return;
    }
    panda_replicate_peer_t *peer = NULL;
    for (size_t i = 0; i < self->n_peers && !peer; i++)
        if (self->peers[i]->routing_id && zframe_eq (self->peers[i]->routing_id, routing))
            peer = self->peers[i];
    if (!peer) {
        //  The ZAP handler admitted it and named its CURVE key.
        const char *user = zframe_meta (frame, "User-Id");
        uint8_t key[32];
        bool ok = panda_replicate_unhex32 (user, key);
        const char *address = zframe_meta (frame, "Peer-Address");
        if (ok && self->n_peers < PANDA_REPLICATE_MAX_PEERS &&
            (peer = panda_replicate_peer_new (self, false, address, key, &routing)))
            self->peers[self->n_peers++] = peer;
        else
            panda_log_debug ("replicate", "dropped a frame from an unknown connection");
    }
    if (peer)
        panda_replicate_peer_frame (peer, frame);
    zframe_destroy (&routing);
    zframe_destroy (&frame);
}

//  A peer we dial at address (host:port). With its CURVE key (pinned) it
//  is dialled at once; without, the caller learns the key first. NULL when
//  the table is full or out of memory.
panda_replicate_peer_t *
panda_replicate_add_outgoing (panda_replicate_t *self, const char *address, const uint8_t *curve_key,
                              bool from_relay)
{
    panda_replicate_peer_t *peer = self->n_peers < PANDA_REPLICATE_MAX_PEERS
                                       ? panda_replicate_peer_new (self, true, address, curve_key, NULL)
                                       : NULL;
    if (!peer) {
        panda_log_warn ("replicate", "cannot add the peer at %s (%zu connections)", address, self->n_peers);
        return NULL;
    }
    self->peers[self->n_peers++] = peer;
    peer->from_relay = from_relay;
    if (curve_key && s_dial (self, peer))
        peer->next_dial = zclock_mono () + S_DIAL_EVERY_MS;
    return peer;
}

//  direct_node_addresses and relay_addresses: "<peer id>@host:port" pins
//  the node key; "host:port" (aquadoggo's form) learns it by asking
//  (replicate_udp.c).
static void
s_add_direct (panda_replicate_t *self, const char *text, bool relay)
{
    const char *at = strchr (text, '@');
    uint8_t ed[32], curve[32];
    panda_error_t err;
    if (at && (panda_peer_id_parse (text, (size_t) (at - text), ed, &err) != PANDA_OK ||
               panda_peer_curve_public_key (ed, curve, &err) != PANDA_OK)) {
        panda_log_warn ("replicate", "direct_node_addresses: %s: %s", text, err.message);
        return;
    }
    panda_replicate_peer_t *peer =
        panda_replicate_add_outgoing (self, at ? at + 1 : text, at ? curve : NULL, false);
    if (peer)
        peer->relay_server = relay;
    if (!peer || at)
        return;
    if (self->udp)
        zstr_sendx (self->udp, "ASK", peer->address, NULL);
    else
        panda_log_warn ("replicate",
                        "direct_node_addresses: %s: cannot learn its key (no UDP port); write "
                        "<peer id>@%s",
                        text, text);
}

//  A beacon of our network (replicate_discovery.c): dial a node we have no
//  connection to, if ours is the smaller node key (the other one waits to
//  be dialled, so a pair makes one connection, the one the sessions would
//  choose anyway).
static void
s_beacon (panda_replicate_t *self)
{
    uint8_t ed[32], curve[32];
    char address[128];
    if (!panda_replicate_discovery_recv (self->beacon, self->network_tag, ed, address, sizeof address))
        return;
    const uint8_t *ours = panda_peer_identity_public_key (self->identity);
    panda_error_t err;
    if (memcmp (ed, ours, 32) == 0 || panda_peer_curve_public_key (ed, curve, &err) != PANDA_OK)
        return;
    int64_t now = zclock_mono ();
    bool known = false;
    for (size_t i = 0; i < self->n_peers; i++) {
        panda_replicate_peer_t *peer = self->peers[i];
        if ((peer->outgoing && !peer->key_known) || memcmp (peer->curve_key, curve, 32) != 0)
            continue;
        if (peer->discovered)
            peer->last_beacon = now;
        known = true;
    }
    if (known)
        return;
    if (memcmp (ours, ed, 32) > 0) {
        //  It dials us once it hears us: beacon now rather than in up to a
        //  second (at most one extra beacon a second).
        if (now >= self->next_prompt) {
            self->next_prompt = now + 1000;
            panda_replicate_discovery_publish (self->beacon, ours, self->port, self->network_tag);
        }
        return;
    }
    char id[PANDA_PEER_ID_MAX + 1];
    if (!panda_peer_id_from_public_key (ed, id))
        snprintf (id, sizeof id, "?");
    if (!panda_replicate_policy_admits (&self->policy, curve)) {
        panda_log_debug ("replicate", "not dialling %s at %s (found on the LAN): not allowed", id, address);
        return;
    }
    panda_log_info ("replicate", "found %s at %s on the LAN; dialling it", id, address);
    panda_replicate_peer_t *peer = panda_replicate_add_outgoing (self, address, curve, false);
    if (peer) {
        peer->discovered = true;
        peer->last_beacon = now;
    }
}

//  The answer to a who-are-you: trust the key on first use and dial.
static void
s_udp_answer (panda_replicate_t *self)
{
    char *verdict = NULL, *address = NULL, *detail = NULL;
    if (zstr_recvx (self->udp, &verdict, &address, &detail, NULL) < 2) {
        zstr_free (&verdict);
        zstr_free (&address);
        return;
    }
    for (size_t i = 0; i < self->n_peers; i++) {
        panda_replicate_peer_t *peer = self->peers[i];
        if (!peer->outgoing || peer->key_known || strcmp (peer->address, address) != 0)
            continue;
        uint8_t ed[32];
        bool ok = strcmp (verdict, "KEY") == 0 && panda_replicate_unhex32 (detail, ed);
        panda_error_t err;
        if (ok && panda_peer_curve_public_key (ed, peer->curve_key, &err) == PANDA_OK) {
            char id[PANDA_PEER_ID_MAX + 1];
            panda_log_info ("replicate", "%s says it is %s (trusted on first use)", address,
                            panda_peer_id_from_public_key (ed, id) ? id : "?");
            peer->key_known = true;
            if (s_dial (self, peer))
                peer->next_dial = zclock_mono () + S_DIAL_EVERY_MS;
        } else {
            panda_log_warn ("replicate", "cannot learn the node key of %s: %s; asking again in %d s", address,
                            detail ? detail : "bad answer", S_DIAL_EVERY_MS / 1000);
            peer->next_dial = zclock_mono () + S_DIAL_EVERY_MS;
        }
    }
    zstr_free (&verdict);
    zstr_free (&address);
    zstr_free (&detail);
}

//  --------------------------------------------------------------------------
//  The actor

//  aquadoggo's warnings about settings that work against each other.
static void
s_config_warnings (const panda_config_t *c)
{
    bool quic = c->transport && strcmp (c->transport, "QUIC") == 0;
    if (quic && c->psk)
        panda_log_warn ("replicate",
                        "a psk with transport = \"QUIC\": private networks need TCP, which pandad "
                        "always uses (CurveZMQ)");
    else if (quic)
        panda_log_warn ("replicate", "transport = \"QUIC\": pandad replicates over TCP (CurveZMQ) only");
    if (c->allow_all_schema_ids)
        panda_log_warn ("replicate",
                        "allow_schema_ids = \"*\": this node takes in any schema it meets on the "
                        "network; fine for development, not recommended in production");
    else if (c->allow_schema_ids.count == 0 && !c->relay_mode)
        panda_log_warn ("replicate", "allow_schema_ids is empty: without relay_mode this node can serve no "
                                     "client and replicate with no node");
}

static const char *
s_start (void *self_, zpoller_t *poller)
{
    panda_actor_set_name ("replicate");
    panda_replicate_t *self = self_;
    const panda_config_t *c = self->config = self->args->config;
    self->poller = poller;
    panda_error_t err;
    const char *reason;
    s_config_warnings (c);
    if (!(self->identity = panda_replicate_identity (c, &err)) ||
        panda_replicate_policy_load (&self->policy, c, &err) != PANDA_OK) {
        snprintf (self->reason, sizeof self->reason, "%s", err.message);
        return self->reason;
    }
    panda_replicate_network_tag (c, self->network_tag);
    size_t inbox_entries = (size_t) c->max_peers * c->replication_credit_entries;
    size_t inbox_bytes = (size_t) c->max_peers * c->replication_credit_bytes;
    if (!(self->inbox = panda_repl_inbox_new (inbox_entries, inbox_bytes)))
        return "out of memory (replication inbox)";
    char *path = panda_actor_store_path (c), *views_path = panda_actor_views_path (c);
    if (path)
        self->store = panda_store_open (path, &err);
    if (views_path)
        self->views = panda_views_open (views_path, true, &err);
    free (path);
    free (views_path);
    if (!self->store || !self->views) {
        snprintf (self->reason, sizeof self->reason, "cannot open the databases: %s", err.message);
        return self->reason;
    }
    //  It streams through entries once, as the materialiser does.
    if (panda_store_set_cache_size (self->store, 2048, &err) != PANDA_OK)
        panda_log_warn ("replicate", "%s", err.message);
    snprintf (self->zap_domain, sizeof self->zap_domain, "pandad-%p", (void *) self);
    if (panda_replicate_auth_register (self->zap_domain, &self->policy))
        return "cannot start the ZAP handler (another ZAP handler runs in this process)";
    self->zap_registered = true;
    if (!(self->router = zsock_new (ZMQ_ROUTER)))
        return "out of memory";
    zsock_set_linger (self->router, 0);
    zsock_set_sndhwm (self->router, S_SNDHWM);
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_maxmsgsize (self->router, PANDA_REPL_MAX_FRAME_BYTES);
    zsock_set_heartbeat_ivl (self->router, S_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (self->router, S_HEARTBEAT_TIMEOUT_MS);
    zsock_set_zap_domain (self->router, self->zap_domain);
    zsock_set_curve_server (self->router, 1);
    zsock_set_curve_secretkey_bin (self->router, panda_peer_identity_curve_secret_key (self->identity));
    self->port = c->node_port ? zsock_bind (self->router, "tcp://%s:%u", c->node_address, c->node_port)
                              : zsock_bind (self->router, "tcp://%s:*", c->node_address);
    if (self->port < 0 && c->node_port) { //  as aquadoggo: a taken port gives a random one
        self->port = zsock_bind (self->router, "tcp://%s:*", c->node_address);
        if (self->port >= 0)
            panda_log_warn ("replicate", "node_port %u is taken; replicating on port %d", c->node_port,
                            self->port);
    }
    if (self->port < 0) {
        snprintf (self->reason, sizeof self->reason, "cannot bind the replication port %s:%u: %s",
                  c->node_address, c->node_port, zmq_strerror (zmq_errno ()));
        return self->reason;
    }
    if (!(self->ingest = panda_actor_plug (PANDA_PLUG_REPLICATE_PIPELINE, c, 0)) ||
        !(self->events = panda_actor_plug (PANDA_PLUG_REPLICATE_EVENTS, c, 0)) ||
        !(self->schemas = panda_actor_plug (PANDA_PLUG_REPLICATE_SCHEMAS, c, 0)) ||
        !(self->info = panda_actor_plug (PANDA_PLUG_REPLICATE_INFO, c, 0)) ||
        !(self->notify = panda_actor_plug (PANDA_PLUG_REPLICATE_NOTIFY, c, 0)))
        return "cannot connect to the pipeline's endpoints";
    self->udp =
        panda_replicate_udp_new (c->node_address, self->port, panda_peer_identity_public_key (self->identity),
                                 self->network_tag, &err);
    if (self->udp)
        zpoller_add (poller, self->udp);
    else
        panda_log_warn ("replicate", "%s: nodes that know only our address cannot learn our key",
                        err.message);
    if (!c->mdns)
        snprintf (self->discovery, sizeof self->discovery, "off: mdns = false");
    else if (!(self->beacon = panda_replicate_discovery_new (
                   c->discovery_port, panda_peer_identity_public_key (self->identity), self->port,
                   self->network_tag, self->interface, sizeof self->interface, &err)))
        snprintf (self->discovery, sizeof self->discovery, "off: %s", err.message);
    else {
        snprintf (self->discovery, sizeof self->discovery, "on UDP port %u, interface %s", c->discovery_port,
                  self->interface);
        zpoller_add (poller, self->beacon);
    }
    panda_log_debug ("replicate", "LAN discovery is %s", self->discovery);
    zpoller_add (poller, self->router);
    zpoller_add (poller, self->ingest);
    zpoller_add (poller, self->events);
    zpoller_add (poller, self->schemas);
    zpoller_add (poller, self->info);
    panda_schema_set_init (&self->supported);
    panda_replicate_refresh_supported (self);
    //  pandad's start-up summary shows these
    panda_log_debug ("replicate", "peer id %s, replicating on tcp://%s:%d",
                     panda_peer_identity_peer_id (self->identity), c->node_address, self->port);
    self->args->node_port = self->port;
    snprintf (self->args->peer_id, sizeof self->args->peer_id, "%s",
              panda_peer_identity_peer_id (self->identity));
    self->args->discovery = self->discovery;
    for (size_t i = 0; i < c->direct_node_addresses.count; i++)
        s_add_direct (self, c->direct_node_addresses.items[i], false);
    if (c->relay_mode && (reason = panda_replicate_relay_start (self)))
        return reason;
    if (c->relay_mode && c->relay_addresses.count)
        panda_log_warn ("replicate",
                        "will not register at relay_addresses: this node is a relay (relay_mode)");
    else
        for (size_t i = 0; i < c->relay_addresses.count; i++)
            s_add_direct (self, c->relay_addresses.items[i], true);
    return NULL;
}

static void
s_event (panda_replicate_t *self, zsock_t *which)
{
    panda_msg_t *msg = panda_actor_recv (which, NULL);
    if (!msg)
        return;
    if (panda_msg_id (msg) == PANDA_MSG_STORED) {
        size_t origin_len;
        const uint8_t *origin = panda_msg_stored_origin (msg, &origin_len);
        for (size_t i = 0; i < self->n_peers; i++)
            panda_replicate_peer_stored (self->peers[i], (int64_t) panda_msg_stored_position (msg),
                                         panda_msg_stored_schema_id (msg), origin_len == 32 ? origin : NULL);
    } else if (panda_msg_id (msg) == PANDA_MSG_SCHEMA) {
        //  Entries waiting for this schema may go; it is announced.
        panda_repl_inbox_schema (self->inbox, panda_msg_schema_schema_id (msg));
        panda_replicate_refresh_supported (self);
    }
    panda_msg_destroy (&msg);
}

static void
s_tick (panda_replicate_t *self)
{
    int64_t now = zclock_mono ();
    if (now < self->next_tick)
        return;
    self->next_tick = now + S_TICK_MS;
    for (size_t i = 0; i < self->n_peers; i++) {
        panda_replicate_peer_t *peer = self->peers[i];
        if (peer->outgoing && !peer->via && peer->next_dial && now >= peer->next_dial) {
            if (!peer->key_known) {
                peer->next_dial = 0;
                if (self->udp)
                    zstr_sendx (self->udp, "ASK", peer->address, NULL);
            } else if (s_dial (self, peer))
                peer->next_dial = now + S_DIAL_EVERY_MS;
        }
        panda_replicate_peer_tick (peer, now);
    }
    //  Incoming connections that never finished Hello, or went away and
    //  came back under a new routing id, are forgotten; so are peers found
    //  on the LAN that stopped beaconing and whose connection is down.
    for (size_t i = self->n_peers; i-- > 0;) {
        panda_replicate_peer_t *peer = self->peers[i];
        if (peer->state == PANDA_PEER_READY)
            continue;
        if (!peer->outgoing && !peer->via && now > peer->hello_deadline)
            s_remove_peer (self, i);
        else if (peer->from_relay && now - peer->last_beacon > S_RELAY_QUIET_MS)
            s_remove_peer (self, i); //  not listed by its relay lately, and not connected
        else if (peer->discovered && now - peer->last_beacon > S_BEACON_QUIET_MS) {
            panda_log_info ("replicate", "%s at %s stopped beaconing and is not connected; forgetting it",
                            peer->peer_id[0] ? peer->peer_id : "a node", peer->address);
            s_remove_peer (self, i);
        }
    }
}

static void
s_handle (void *self_, zsock_t *which)
{
    panda_replicate_t *self = self_;
    if (which == self->router)
        s_router_frame (self);
    else if (which == self->ingest)
        s_ingest_answer (self);
    else if (which == self->events || which == self->schemas)
        s_event (self, which);
    else if (self->udp && which == (zsock_t *) self->udp)
        s_udp_answer (self);
    else if (self->beacon && which == (zsock_t *) self->beacon)
        s_beacon (self);
    else if (which == self->info)
        panda_replicate_info (self);
    else if (which)
        for (size_t i = 0; i < self->n_peers; i++) {
            panda_replicate_peer_t *peer = self->peers[i];
            if (which == peer->monitor)
                s_monitor_event (self, peer);
            else if (which == peer->dealer) {
                zframe_t *frame = zframe_recv (peer->dealer);
                if (frame && peer->state != PANDA_PEER_CONNECTING)
                    panda_replicate_peer_frame (peer, frame);
                zframe_destroy (&frame);
            } else
                continue;
            break;
        }
    s_tick (self);
    panda_replicate_relay_tick (self, zclock_mono ());
    s_pump (self);
    for (size_t i = 0; i < self->n_peers; i++) {
        panda_replicate_peer_refill (self->peers[i], false);
        panda_replicate_peer_flush (self->peers[i]);
    }
}

static int
s_wait (void *self_)
{
    panda_replicate_t *self = self_;
    int64_t now = zclock_mono ();
    int64_t relay = self->relay ? panda_relay_wait (self->relay, now) : -1;
    if (self->n_peers == 0)
        return relay < 0 ? -1 : (int) (relay < 1 ? 1 : relay);
    int64_t left = self->next_tick - now;
    if (relay >= 0 && relay < left)
        left = relay;
    return left < 1 ? 1 : (int) left;
}

void
panda_replicate_actor (zsock_t *pipe, void *args)
{
    panda_replicate_t *self = calloc (1, sizeof *self);
    if (!self)
        return;
    self->args = args;
    panda_actor_loop_timed (pipe, self, s_start, s_handle, s_wait);
    self->poller = NULL; //  the loop destroyed it
    while (self->n_peers)
        s_remove_peer (self, self->n_peers - 1);
    zsock_destroy (&self->router);
    zactor_destroy (&self->udp);
    zactor_destroy (&self->beacon);
    if (self->zap_registered)
        panda_replicate_auth_unregister (self->zap_domain);
    zsock_destroy (&self->ingest);
    zsock_destroy (&self->events);
    zsock_destroy (&self->schemas);
    zsock_destroy (&self->info);
    zsock_destroy (&self->notify);
    panda_store_destroy (&self->store);
    panda_views_destroy (&self->views);
    panda_repl_inbox_destroy (&self->inbox);
    panda_relay_destroy (&self->relay);
    panda_schema_set_clear (&self->supported);
    panda_replicate_policy_clear (&self->policy);
    panda_peer_identity_destroy (&self->identity);
    free (self);
}
