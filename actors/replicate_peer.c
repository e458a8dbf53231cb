/*  replicate_peer.c - one connection to another node: the Hello exchange,
    Announce, credit, reading frames, timers (its sessions:
    replicate_sessions.c).

    Each connection speaks both ways: the node that dialled starts the
    sessions (the other may sit behind NAT), both sides send and receive
    entries within each session. A connection is READY once both Hellos
    checked out; nothing else is read or sent before. Messages for the peer
    collect in one frame (out) that is flushed at the end of each turn, so
    many entries travel in one ZeroMQ message.                            */
#include "replicate.h"

#include "panda/panda_operation.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_HELLO_TIMEOUT_MS 10000
#define S_RELAY_OVERHEAD 1024 //  room for the tunnel and the Forward around a relayed frame

const char *
panda_replicate_peer_name (const panda_replicate_peer_t *self)
{
    return self->peer_id[0] ? self->peer_id : self->address;
}

panda_replicate_peer_t *
panda_replicate_peer_new (panda_replicate_t *node, bool outgoing, const char *address,
                          const uint8_t *curve_key, zframe_t **routing_id)
{
    panda_replicate_peer_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->node = node;
    self->number = node->next_peer_number++;
    self->outgoing = outgoing;
    snprintf (self->address, sizeof self->address, "%s", address ? address : "?");
    if (curve_key) {
        memcpy (self->curve_key, curve_key, 32);
        self->pinned = outgoing;
        self->key_known = true;
    }
    if (routing_id) {
        self->routing_id = *routing_id;
        *routing_id = NULL;
    }
    self->state = outgoing ? PANDA_PEER_CONNECTING : PANDA_PEER_HELLO;
    self->hello_deadline = zclock_mono () + S_HELLO_TIMEOUT_MS;
    self->backoff_ms = PANDA_REPLICATE_BACKOFF_MIN_MS;
    panda_schema_set_init (&self->their_schemas);
    panda_cbor_writer_init (&self->out);
    return self;
}

void
panda_replicate_peer_destroy (panda_replicate_peer_t **self_p)
{
    panda_replicate_peer_t *self = *self_p;
    if (!self)
        return;
    panda_replicate_sessions_end (self);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->monitor);
    zframe_destroy (&self->routing_id);
    panda_tunnel_destroy (&self->tunnel);
    panda_schema_set_clear (&self->their_schemas);
    panda_cbor_writer_free (&self->out);
    free (self);
    *self_p = NULL;
}

int
panda_replicate_peer_flush (panda_replicate_peer_t *self)
{
    if (self->out.len == 0)
        return 0;
    if (self->out.failed) {
        panda_log_error ("replicate", "out of memory writing to %s", panda_replicate_peer_name (self));
        self->out.len = 0;
        self->out.failed = false;
        return -1;
    }
    if (self->via)
        return panda_replicate_relayed_flush (self);
    zsock_t *sock = self->outgoing ? self->dealer : self->node->router;
    zframe_t *data = zframe_new (self->out.data, self->out.len);
    self->out.len = 0;
    //  Never block the actor: credit keeps an honest peer's queue short, a
    //  peer that stopped reading (or is gone: ROUTER_MANDATORY) is dropped.
    int rc = sock && data ? 0 : -1;
    if (rc == 0 && self->routing_id) {
        zframe_t *routing = zframe_dup (self->routing_id);
        rc = zframe_send (&routing, sock, ZFRAME_MORE | ZFRAME_DONTWAIT);
        zframe_destroy (&routing);
    }
    if (rc == 0)
        rc = zframe_send (&data, sock, ZFRAME_DONTWAIT);
    zframe_destroy (&data);
    if (rc != 0)
        panda_replicate_peer_disconnected (self, "its queue is full or it is gone");
    return rc;
}

//  --------------------------------------------------------------------------
//  Hello, Announce, credit

void
panda_replicate_peer_write (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    panda_error_t err;
    if (panda_repl_msg_encode (msg, &self->out, &err) != PANDA_OK)
        panda_log_error ("replicate", "cannot encode %s: %s", panda_repl_type_name (msg->type), err.message);
}

static void
s_send_hello (panda_replicate_peer_t *self)
{
    panda_replicate_t *node = self->node;
    const uint8_t *ours = panda_peer_identity_curve_public_key (node->identity);
    uint8_t proof[PANDA_REPL_PSK_PROOF_SIZE];
    bool with_proof =
        panda_replicate_psk_proof (node->config, self->outgoing, self->outgoing ? ours : self->curve_key,
                                   self->outgoing ? self->curve_key : ours, proof);
    panda_repl_msg_t hello;
    panda_repl_msg_init (&hello);
    hello.type = PANDA_REPL_HELLO;
    hello.protocol_version = PANDA_REPL_HELLO_VERSION;
    memcpy (hello.network_tag, node->network_tag, sizeof hello.network_tag);
    hello.psk_proof = with_proof ? proof : NULL;
    //  Through a relay a frame travels sealed inside a Forward.
    hello.max_frame_bytes = PANDA_REPL_MAX_FRAME_BYTES - (self->via ? S_RELAY_OVERHEAD : 0);
    hello.node_key = panda_peer_identity_public_key (node->identity);
    panda_replicate_peer_write (self, &hello);
    self->hello_sent = true;
}

void
panda_replicate_peer_announce (panda_replicate_peer_t *self)
{
    if (self->state != PANDA_PEER_READY || self->relay_only)
        return;
    panda_repl_msg_t announce;
    panda_repl_msg_init (&announce);
    announce.type = PANDA_REPL_ANNOUNCE;
    announce.protocol_version = PANDA_REPL_ANNOUNCE_VERSION;
    announce.timestamp = self->node->announce_timestamp;
    announce.schema_ids = self->node->supported; //  borrowed
    panda_replicate_peer_write (self, &announce);
    self->announce_sent = true;
}

static void
s_grant (panda_replicate_peer_t *self, uint64_t entries, uint64_t bytes)
{
    panda_repl_msg_t credit;
    panda_repl_msg_init (&credit);
    credit.type = PANDA_REPL_CREDIT;
    credit.credit_entries = entries;
    credit.credit_bytes = bytes;
    panda_replicate_peer_write (self, &credit);
    self->recv_entries += entries;
    self->recv_bytes += bytes;
}

void
panda_replicate_peer_connected (panda_replicate_peer_t *self)
{
    panda_replicate_sessions_end (self);
    self->state = PANDA_PEER_HELLO;
    self->hello_sent = false;
    self->announced = false;
    self->announce_sent = false;
    self->send_entries = self->send_bytes = 0;
    self->recv_entries = self->recv_bytes = 0;
    self->owed_entries = self->owed_bytes = 0;
    self->hello_deadline = zclock_mono () + S_HELLO_TIMEOUT_MS;
    self->out.len = 0;
    if (self->outgoing) { //  the dialer speaks first
        s_send_hello (self);
        panda_replicate_peer_flush (self);
    }
}

void
panda_replicate_peer_disconnected (panda_replicate_peer_t *self, const char *why)
{
    if (self->state == PANDA_PEER_READY)
        panda_log_info ("replicate", "peer %s disconnected: %s", panda_replicate_peer_name (self), why);
    else
        panda_log_debug ("replicate", "connection to %s closed: %s", panda_replicate_peer_name (self), why);
    panda_replicate_sessions_end (self);
    self->state = self->outgoing || self->via ? PANDA_PEER_CONNECTING : PANDA_PEER_HELLO;
    self->out.len = 0;
    panda_replicate_relay_gone (self);
}

//  Room for one more READY peer. An incoming peer that went away stays
//  READY until something is sent to it (the ROUTER does not tell when a
//  node leaves), so at the limit each gets an empty Credit first: the send
//  fails for those gone (ROUTER_MANDATORY) and frees their place.
static bool
s_room (panda_replicate_t *node, const panda_replicate_peer_t *self)
{
    if (panda_replicate_ready_peers (node) < node->config->max_peers)
        return true;
    for (size_t i = 0; i < node->n_peers; i++) {
        panda_replicate_peer_t *peer = node->peers[i];
        if (peer != self && !peer->outgoing && !peer->via && peer->state == PANDA_PEER_READY) {
            if (peer->relay_only) { //  an empty Ack: all a relay-only connection may carry
                panda_repl_msg_t ack;
                panda_repl_msg_init (&ack);
                ack.type = PANDA_REPL_ACK;
                panda_replicate_peer_write (peer, &ack);
            } else
                s_grant (peer, 0, 0);
            panda_replicate_peer_flush (peer);
        }
    }
    return panda_replicate_ready_peers (node) < node->config->max_peers;
}

//  Check the peer's Hello; on success the connection is READY.
static bool
s_hello (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    panda_replicate_t *node = self->node;
    const char *why = NULL;
    uint8_t derived[32], expected[PANDA_REPL_PSK_PROOF_SIZE];
    const uint8_t *ours = panda_peer_identity_curve_public_key (node->identity);
    panda_error_t err;
    //  A relay serves nodes of every network, for relaying only; a node
    //  uses its relay whatever network that is in.
    bool other_network = memcmp (msg->network_tag, node->network_tag, sizeof node->network_tag) != 0;
    self->relay_only = other_network && !self->via && (node->config->relay_mode || self->relay_server);
    if (msg->protocol_version != PANDA_REPL_HELLO_VERSION)
        why = "speaks another protocol version";
    else if (other_network && !self->relay_only)
        why = "belongs to another network (psk)";
    else if (panda_peer_curve_public_key (msg->node_key, derived, &err) != PANDA_OK ||
             memcmp (derived, self->curve_key, 32) != 0)
        why = "node key does not match its connection key";
    else if (!self->relay_only &&
             panda_replicate_psk_proof (node->config, !self->outgoing,
                                        self->outgoing ? ours : self->curve_key,
                                        self->outgoing ? self->curve_key : ours, expected) &&
             (!msg->psk_proof || sodium_memcmp (msg->psk_proof, expected, sizeof expected) != 0))
        why = "could not prove the psk";
    else if (!panda_replicate_policy_admits (&node->policy, self->curve_key))
        why = "is not allowed (allow_peer_ids / block_peer_ids)";
    else if (!self->relay_only && !s_room (node, self))
        why = "would be one peer too many (max_peers)";
    memcpy (self->node_key, msg->node_key ? msg->node_key : (const uint8_t[32]){0}, 32);
    if (!why && !panda_peer_id_from_public_key (self->node_key, self->peer_id))
        why = "out of memory";
    if (why) {
        panda_log_warn ("replicate", "refused %s at %s: it %s", self->peer_id[0] ? self->peer_id : "a node",
                        self->address, why);
        return false;
    }
    self->max_frame = msg->max_frame_bytes;
    memcpy (self->network_tag, msg->network_tag, sizeof self->network_tag);
    if (!self->outgoing)
        s_send_hello (self);
    self->state = PANDA_PEER_READY;
    self->stats.last_seen = zclock_time ();
    const char *how = self->via ? "through a relay" : self->outgoing ? "dialled" : "dialled us";
    if (self->relay_only) {
        panda_log_info ("replicate", "node %s of another network connected (%s, %s): relaying only",
                        self->peer_id, self->address, how);
        if (self->relay_server)
            panda_replicate_relay_ready (self);
        return true;
    }
    const panda_config_t *c = node->config;
    s_grant (self, c->replication_credit_entries, c->replication_credit_bytes);
    panda_replicate_peer_announce (self);
    self->next_sync = zclock_mono ();
    panda_log_info ("replicate", "peer %s connected (%s, %s)", self->peer_id, self->address, how);
    if (self->relay_server)
        panda_replicate_relay_ready (self);
    return true;
}

void
panda_replicate_peer_refill (panda_replicate_peer_t *self, bool all)
{
    //  Credit goes back for what left the inbox: in batches of a quarter
    //  of the window, so the sender never waits for it; the rest at ticks.
    const panda_config_t *c = self->node->config;
    if (self->state != PANDA_PEER_READY || self->owed_entries == 0)
        return;
    if (all || self->owed_entries >= c->replication_credit_entries / 4 ||
        self->owed_bytes >= c->replication_credit_bytes / 4) {
        s_grant (self, self->owed_entries, self->owed_bytes);
        self->owed_entries = self->owed_bytes = 0;
    }
}

//  --------------------------------------------------------------------------
//  Frames

static void
s_message (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    if (self->relay_only && msg->type < PANDA_REPL_REGISTER) {
        panda_replicate_peer_disconnected (self, "it sent replication messages on a relay-only connection");
        return;
    }
    switch (msg->type) {
        case PANDA_REPL_ANNOUNCE:
            //  §9.7: a newer announcement of protocol 1 replaces the old.
            if (msg->protocol_version == PANDA_REPL_ANNOUNCE_VERSION &&
                (!self->announced || msg->timestamp > self->their_timestamp)) {
                panda_schema_set_t copy;
                panda_schema_set_init (&copy);
                panda_error_t err;
                if (panda_schema_set_intersect (&msg->schema_ids, &msg->schema_ids, &copy, &err) ==
                    PANDA_OK) {
                    panda_schema_set_clear (&self->their_schemas);
                    self->their_schemas = copy;
                    self->their_timestamp = msg->timestamp;
                    self->announced = true;
                    self->next_sync = zclock_mono (); //  a new schema may be in common now
                }
            }
            break;
        case PANDA_REPL_CREDIT:
            self->send_entries += msg->credit_entries;
            self->send_bytes += msg->credit_bytes;
            for (size_t i = 0; i < self->n_sessions; i++)
                panda_replicate_session_stream (self, &self->sessions[i]);
            break;
        case PANDA_REPL_SYNC_REQUEST: panda_replicate_sync_request (self, msg); break;
        case PANDA_REPL_ENTRY: panda_replicate_entry_received (self, msg); break;
        case PANDA_REPL_HAVE:
        case PANDA_REPL_RANGES:
        case PANDA_REPL_SYNC_DONE: panda_replicate_session_message (self, msg); break;
        case PANDA_REPL_HELLO: panda_replicate_peer_disconnected (self, "it sent Hello twice"); break;
        case PANDA_REPL_REGISTER:
        case PANDA_REPL_REGISTERED:
        case PANDA_REPL_LOOKUP:
        case PANDA_REPL_PEERS:
        case PANDA_REPL_FORWARD:
        case PANDA_REPL_REFUSED:
        case PANDA_REPL_ACK: panda_replicate_relay_message (self, msg); break;
    }
}

void
panda_replicate_peer_frame (panda_replicate_peer_t *self, zframe_t *frame)
{
    panda_repl_reader_t reader;
    panda_repl_msg_t msg;
    panda_error_t err;
    if (panda_repl_reader_init (&reader, zframe_data (frame), zframe_size (frame), NULL, &err) != PANDA_OK) {
        panda_replicate_peer_disconnected (self, err.message);
        return;
    }
    while (panda_repl_reader_more (&reader)) {
        panda_repl_msg_init (&msg);
        if (panda_repl_reader_next (&reader, &msg, &err) != PANDA_OK) {
            //  aquadoggo stops reading a peer whose message fails to decode.
            panda_log_warn ("replicate", "bad message from %s: %s", panda_replicate_peer_name (self),
                            err.message);
            panda_replicate_peer_disconnected (self, "it sent a malformed message");
            return;
        }
        if (self->state != PANDA_PEER_READY) {
            bool ok = msg.type == PANDA_REPL_HELLO && s_hello (self, &msg);
            if (msg.type != PANDA_REPL_HELLO)
                panda_log_warn ("replicate", "refused %s: its first message was %s, not Hello",
                                panda_replicate_peer_name (self), panda_repl_type_name (msg.type));
            panda_repl_msg_clear (&msg);
            if (!ok) {
                panda_replicate_peer_disconnected (self, "no valid Hello");
                panda_replicate_give_up (self); //  no retry storm
                return;
            }
            continue;
        }
        self->stats.last_seen = zclock_time ();
        s_message (self, &msg);
        panda_repl_msg_clear (&msg);
        if (self->state != PANDA_PEER_READY)
            return; //  disconnected while handling it
    }
}

//  --------------------------------------------------------------------------
//  Timers

int64_t
panda_replicate_peer_tick (panda_replicate_peer_t *self, int64_t now)
{
    const panda_config_t *c = self->node->config;
    if (self->state == PANDA_PEER_HELLO && now > self->hello_deadline) {
        panda_replicate_peer_disconnected (self, "no Hello in time");
        panda_replicate_give_up (self);
        return -1;
    }
    if (self->state != PANDA_PEER_READY)
        return -1;
    int64_t wait = -1;
    //  Sessions that stopped moving end; live ones stay while the
    //  connection lives (ZeroMQ heartbeats watch it).
    for (size_t i = self->n_sessions; i-- > 0;) {
        panda_replicate_session_t *s = &self->sessions[i];
        if (panda_repl_session_state (s->session) != PANDA_REPL_LIVE &&
            now - s->last_activity > (int64_t) c->replication_timeout_ms)
            panda_replicate_session_failed (self, s, "timed out");
    }
    if (panda_replicate_initiates (self) && self->announced && self->next_sync && now >= self->next_sync) {
        //  A live session covers the target set it began with: when the
        //  set grew (a new schema on either side) it ends and a new one
        //  catches up on the whole set.
        panda_schema_set_t target;
        bool have_target = panda_replicate_target (self, &target);
        bool live_open = false;
        for (size_t i = self->n_sessions; i-- > 0;) {
            panda_replicate_session_t *s = &self->sessions[i];
            if (!panda_repl_session_wants_live (s->session))
                continue;
            if (have_target && panda_schema_set_eq (&target, panda_repl_session_target (s->session)))
                live_open = true;
            else {
                panda_error_t err;
                if (panda_repl_session_stop_live (s->session, &self->out, &err) != PANDA_OK)
                    panda_log_warn ("replicate", "%s", err.message);
                panda_replicate_session_remove (self, s);
            }
        }
        if (have_target)
            panda_schema_set_clear (&target);
        //  The first session asks for live mode; later ones are periodic
        //  anti-entropy beside it (cheap with set reconciliation).
        if (self->n_sessions < PANDA_REPLICATE_MAX_SESSIONS)
            panda_replicate_start_session (self, c->replication_live && !live_open);
        int64_t interval = c->replication_interval_ms;
        self->next_sync =
            now + interval - interval / 5 + (int64_t) randombytes_uniform ((uint32_t) (interval * 2 / 5 + 1));
    }
    if (self->next_sync)
        wait = self->next_sync - now;
    panda_replicate_peer_refill (self, true);
    for (size_t i = self->n_sessions; i-- > 0;) {
        panda_replicate_session_stream (self, &self->sessions[i]);
        panda_replicate_session_check (self, &self->sessions[i]);
    }
    return wait;
}
