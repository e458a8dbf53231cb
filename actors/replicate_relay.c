/*  replicate_relay.c - relays (docs/replication.md, "Relay").

    As a relay (relay_mode), a node keeps the registrations of the nodes
    that dialled it, tells each the others of its network, and forwards
    payloads between them within the limits of panda_relay.h. Nodes of
    other networks may use it too, for relaying only.

    As a node with relay_addresses, it dials each relay like a direct peer,
    registers there every S_LOOKUP_EVERY_MS and asks who else is there. It
    dials those with an address, and opens a connection through the relay
    to each of them: a peer (replicate_peer.c) whose frames travel sealed
    in an end-to-end tunnel (panda_tunnel.h) inside Forward messages. The
    relay sees only sizes. Where a direct connection is up, it carries the
    sessions and the relayed one stays idle.                             */
#include "replicate.h"

#include <stdlib.h>
#include <string.h>

#define S_LOOKUP_EVERY_MS 20000 //  register and look up again (aquadoggo redials every 20 s)
#define S_TTL_S 60 //  registration asked for; renewed long before it ends
#define S_OPEN_RETRY_MS 5000 //  an Open without answer is sent again
#define S_GIVE_UP_MS 20000 //  after a refusal or a failed Hello
#define S_PUMP_BUDGET 256 //  payloads released per turn
#define S_LOOKUP_MIN_MS 2000 //  a relay answers a connection's Lookup at most this often

//  --------------------------------------------------------------------------
//  Shared

static void
s_send (panda_replicate_peer_t *peer, const panda_repl_msg_t *msg)
{
    size_t size = msg->payload_len + 128;
    if (peer->out.len && peer->out.len + size > PANDA_REPLICATE_FRAME_TARGET)
        panda_replicate_peer_flush (peer);
    panda_replicate_peer_write (peer, msg);
}

static void
s_forward (panda_replicate_peer_t *peer, const uint8_t *key, const uint8_t *payload, size_t len)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_FORWARD;
    msg.node_key = key;
    msg.payload = payload;
    msg.payload_len = len;
    s_send (peer, &msg);
}

static void
s_refuse (panda_replicate_peer_t *peer, const uint8_t *key, const char *why)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_REFUSED;
    msg.node_key = key;
    msg.text = why;
    msg.text_len = strlen (why) > PANDA_REPL_MAX_TEXT ? PANDA_REPL_MAX_TEXT : strlen (why);
    s_send (peer, &msg);
}

//  --------------------------------------------------------------------------
//  Serving as a relay

const char *
panda_replicate_relay_start (panda_replicate_t *node)
{
    const panda_config_t *c = node->config;
    panda_relay_limits_t limits = {c->relay_max_registrations,
                                   c->relay_registration_ttl_ms,
                                   c->relay_max_circuits,
                                   c->relay_node_rate,
                                   c->relay_rate,
                                   c->relay_node_queue_bytes,
                                   c->relay_queue_bytes};
    if (!(node->relay = panda_relay_new (&limits)))
        return "out of memory (relay tables)";
    panda_log_info ("replicate",
                    "relay mode: nodes may register here and replicate through this node (at most %u nodes, "
                    "%u circuits)",
                    c->relay_max_registrations, c->relay_max_circuits);
    if (c->max_peers < c->relay_max_registrations)
        panda_log_warn (
            "replicate",
            "relay mode with max_peers = %u: at most %u nodes of this node's own network can be "
            "connected at once (nodes of other networks do not count); raise max_peers for a busy "
            "relay",
            c->max_peers, c->max_peers);
    return NULL;
}

//  "ip:port" as others would dial it: the address the connection came
//  from, the port the node says it accepts connections on.
static void
s_observed (const char *ip, uint64_t port, char *out, size_t size)
{
    if (strchr (ip, ':'))
        snprintf (out, size, "[%.200s]:%u", ip, (unsigned) port);
    else
        snprintf (out, size, "%.200s:%u", ip, (unsigned) port);
}

static void
s_serve_lookup (panda_replicate_peer_t *peer)
{
    panda_repl_relay_peer_t *list = calloc (PANDA_REPL_MAX_RELAY_PEERS, sizeof *list);
    if (!list)
        return;
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_PEERS;
    msg.relay_peers = list;
    msg.n_relay_peers =
        panda_relay_lookup (peer->node->relay, peer->number, list, PANDA_REPL_MAX_RELAY_PEERS);
    s_send (peer, &msg);
    free (list);
}

//  A node registered anew: the others of its network hear of it now, not
//  at their next lookup (up to 20 s away), so two nodes meet as soon as
//  both are registered, as after a relay restart. One entry each: O(n) a
//  registration, and only nodes that proved the network's psk register.
static void
s_announce (panda_replicate_peer_t *newcomer, const char *address)
{
    panda_replicate_t *node = newcomer->node;
    uint32_t *conns = calloc (node->config->relay_max_registrations, sizeof *conns);
    if (!conns)
        return;
    size_t n =
        panda_relay_newcomer (node->relay, newcomer->number, conns, node->config->relay_max_registrations);
    panda_repl_relay_peer_t entry = {.address = address, .address_len = strlen (address)};
    memcpy (entry.node_key, newcomer->node_key, 32);
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_PEERS;
    msg.relay_peers = &entry;
    msg.n_relay_peers = 1;
    for (size_t i = 0; i < n; i++) {
        panda_replicate_peer_t *to = panda_replicate_peer_by_number (node, conns[i]);
        if (to && to->state == PANDA_PEER_READY)
            s_send (to, &msg);
    }
    free (conns);
}

static void
s_serve (panda_replicate_peer_t *peer, const panda_repl_msg_t *msg)
{
    panda_replicate_t *node = peer->node;
    int64_t now = zclock_mono ();
    panda_error_t err;
    switch (msg->type) {
        case PANDA_REPL_REGISTER: {
            char address[PANDA_REPL_MAX_TEXT + 1] = "";
            if (msg->port)
                s_observed (peer->address, msg->port, address, sizeof address);
            uint64_t ttl_ms = msg->ttl < UINT32_MAX ? msg->ttl * 1000 : (uint64_t) UINT32_MAX * 1000, granted;
            const uint8_t *known = panda_relay_node_key (node->relay, peer->number);
            bool anew = !known || memcmp (known, peer->node_key, 32) != 0;
            if (panda_relay_register (node->relay, peer->number, peer->node_key, peer->network_tag, address,
                                      ttl_ms, now, &granted, &err)) {
                panda_log_warn ("replicate", "refused the registration of %s: %s", peer->peer_id,
                                err.message);
                s_refuse (peer, peer->node_key, err.message);
                return;
            }
            panda_log_debug ("replicate", "%s registered for %llu s (%s)", peer->peer_id,
                             (unsigned long long) granted / 1000, address[0] ? address : "not dialable");
            panda_repl_msg_t reply;
            panda_repl_msg_init (&reply);
            reply.type = PANDA_REPL_REGISTERED;
            reply.ttl = granted / 1000;
            reply.text = address[0] ? address : peer->address;
            reply.text_len = strlen (reply.text);
            s_send (peer, &reply);
            if (anew)
                s_announce (peer, address);
            return;
        }
        case PANDA_REPL_LOOKUP:
            //  An answer may be 1024 entries: at most one per S_LOOKUP_MIN_MS a
            //  connection, so a small request cannot make the relay send much.
            if (now < peer->next_register) {
                panda_log_debug ("replicate", "%s looks up too often; ignored", peer->peer_id);
                return;
            }
            peer->next_register = now + S_LOOKUP_MIN_MS;
            s_serve_lookup (peer);
            return;
        case PANDA_REPL_FORWARD:
            if (panda_relay_forward (node->relay, peer->number, msg->node_key, msg->payload, msg->payload_len,
                                     now, &err)) {
                panda_log_debug ("replicate", "refused a forward from %s: %s", peer->peer_id, err.message);
                s_refuse (peer, msg->node_key, err.message);
            }
            return;
        case PANDA_REPL_ACK: panda_relay_ack (node->relay, peer->number, msg->acked_bytes); return;
        default: return;
    }
}

//  Hand the payloads the rates allow to their nodes.
static void
s_pump (panda_replicate_t *node, int64_t now)
{
    panda_relay_item_t item;
    for (size_t budget = S_PUMP_BUDGET; budget && panda_relay_next (node->relay, now, &item); budget--) {
        panda_replicate_peer_t *to = panda_replicate_peer_by_number (node, item.to_conn);
        if (!to || to->state != PANDA_PEER_READY) {
            panda_relay_forget (node->relay, item.to_conn);
            continue;
        }
        s_forward (to, item.from, item.payload, item.len);
        if (to->out.len >= PANDA_REPLICATE_FRAME_TARGET)
            panda_replicate_peer_flush (to);
    }
}

//  --------------------------------------------------------------------------
//  Connections through a relay

static panda_replicate_peer_t *
s_relayed_find (panda_replicate_peer_t *relay, const uint8_t *key)
{
    panda_replicate_t *node = relay->node;
    for (size_t i = 0; i < node->n_peers; i++)
        if (node->peers[i]->via == relay && memcmp (node->peers[i]->node_key, key, 32) == 0)
            return node->peers[i];
    return NULL;
}

static void
s_open (panda_replicate_peer_t *peer, int64_t now)
{
    panda_cbor_writer_t out;
    panda_cbor_writer_init (&out);
    panda_error_t err;
    if (panda_tunnel_start (peer->tunnel, &out, &err) == PANDA_OK)
        s_forward (peer->via, peer->node_key, out.data, out.len);
    panda_cbor_writer_free (&out);
    peer->next_open = now + S_OPEN_RETRY_MS;
}

//  A connection to key through relay; the opener opens at once if start,
//  the other side asks it to (a Reset) so that neither waits for its next
//  lookup. NULL when not allowed or no room.
static panda_replicate_peer_t *
s_relayed_new (panda_replicate_peer_t *relay, const uint8_t *key, bool start)
{
    panda_replicate_t *node = relay->node;
    const uint8_t *ours = panda_peer_identity_public_key (node->identity);
    uint8_t curve[32];
    panda_error_t err;
    if (memcmp (key, ours, 32) == 0 || panda_peer_curve_public_key (key, curve, &err) != PANDA_OK ||
        !panda_replicate_policy_admits (&node->policy, curve))
        return NULL;
    char address[300];
    snprintf (address, sizeof address, "via %s", relay->address);
    bool opener = memcmp (ours, key, 32) < 0;
    panda_replicate_peer_t *peer = panda_replicate_peer_new (node, opener, address, curve, NULL);
    if (!peer)
        return NULL;
    peer->via = relay;
    peer->state = PANDA_PEER_CONNECTING;
    peer->from_relay = true;
    peer->last_beacon = zclock_mono ();
    memcpy (peer->node_key, key, 32);
    if (!panda_peer_id_from_public_key (key, peer->peer_id) ||
        !(peer->tunnel =
              panda_tunnel_new (ours, panda_peer_identity_curve_secret_key (node->identity), key, &err)) ||
        !panda_replicate_add_peer (node, peer)) {
        panda_replicate_peer_destroy (&peer);
        return NULL;
    }
    panda_log_debug ("replicate", "connecting to %s through the relay %s", peer->peer_id, relay->address);
    if (start)
        s_open (peer, zclock_mono ());
    return peer;
}

//  One node the relay lists: dial it where it says it can be reached, and
//  connect through the relay as well.
static void
s_listed (panda_replicate_peer_t *relay, const panda_repl_relay_peer_t *listed)
{
    panda_replicate_t *node = relay->node;
    const uint8_t *key = listed->node_key;
    uint8_t curve[32];
    panda_error_t err;
    if (memcmp (key, panda_peer_identity_public_key (node->identity), 32) == 0 ||
        panda_peer_curve_public_key (key, curve, &err) != PANDA_OK ||
        !panda_replicate_policy_admits (&node->policy, curve))
        return;
    int64_t now = zclock_mono ();
    panda_replicate_peer_t *direct = NULL;
    for (size_t i = 0; i < node->n_peers && !direct; i++) {
        panda_replicate_peer_t *peer = node->peers[i];
        if (!peer->via && peer->key_known && memcmp (peer->curve_key, curve, 32) == 0 &&
            (peer->outgoing || peer->state == PANDA_PEER_READY))
            direct = peer;
    }
    if (direct && direct->from_relay)
        direct->last_beacon = now;
    if (!direct && listed->address_len > 0 && listed->address_len < 200) {
        char address[256];
        snprintf (address, sizeof address, "%.*s", (int) listed->address_len, listed->address);
        panda_log_info ("replicate", "the relay %s lists a node at %s; dialling it", relay->address, address);
        if ((direct = panda_replicate_add_outgoing (node, address, curve, true)))
            direct->last_beacon = now;
    }
    panda_replicate_peer_t *relayed = s_relayed_find (relay, key);
    if (!relayed)
        s_relayed_new (relay, key, true);
    else {
        relayed->last_beacon = now;
        //  Listed, so registered now: a tunnel that is down starts again at
        //  once (the answerer asks the opener), whatever an earlier refusal
        //  said. Lookups come every 20 s, so this is no storm.
        if (!panda_tunnel_ready (relayed->tunnel) && !panda_tunnel_opening (relayed->tunnel))
            s_open (relayed, now);
    }
}

//  A payload from key through our relay: tunnel traffic.
static void
s_forwarded (panda_replicate_peer_t *relay, const uint8_t *key, const uint8_t *payload, size_t len)
{
    panda_replicate_peer_t *peer = s_relayed_find (relay, key);
    if (!peer && !(peer = s_relayed_new (relay, key, false)))
        return;
    panda_cbor_writer_t reply;
    panda_cbor_writer_init (&reply);
    panda_tunnel_event_t event;
    const uint8_t *plain;
    size_t plain_len;
    panda_error_t err;
    int64_t now = zclock_mono ();
    panda_err_t rc =
        panda_tunnel_input (peer->tunnel, payload, len, &reply, &event, &plain, &plain_len, &err);
    if (reply.len)
        s_forward (relay, key, reply.data, reply.len);
    panda_cbor_writer_free (&reply);
    if (rc) {
        panda_log_debug ("replicate", "bad tunnel payload from %s: %s", peer->peer_id, err.message);
        return;
    }
    if (event == PANDA_TUNNEL_UP) {
        panda_log_debug ("replicate", "tunnel to %s through %s is open", peer->peer_id, relay->address);
        panda_replicate_peer_connected (peer);
    } else if (event == PANDA_TUNNEL_DATA && peer->state != PANDA_PEER_CONNECTING) {
        zframe_t *frame = zframe_new (plain, plain_len);
        if (frame)
            panda_replicate_peer_frame (peer, frame);
        zframe_destroy (&frame);
    } else if (event == PANDA_TUNNEL_DOWN) {
        panda_replicate_peer_disconnected (peer, "its tunnel through the relay broke");
        if (panda_tunnel_opener (peer->tunnel) && now >= peer->next_open - S_OPEN_RETRY_MS + 1000)
            s_open (peer, now); //  at most one new Open a second
    } else if (panda_tunnel_opener (peer->tunnel) && !panda_tunnel_ready (peer->tunnel) &&
               !panda_tunnel_opening (peer->tunnel) && now >= peer->next_open)
        s_open (peer, now); //  the other side asked (Reset) before we knew it
}

static void
s_client (panda_replicate_peer_t *relay, const panda_repl_msg_t *msg)
{
    switch (msg->type) {
        case PANDA_REPL_REGISTERED:
            if (!relay->relay_address[0])
                panda_log_info ("replicate", "registered at the relay %s (%s); it sees us at %.*s",
                                relay->address, relay->peer_id, (int) msg->text_len, msg->text);
            snprintf (relay->relay_address, sizeof relay->relay_address, "%.*s", (int) msg->text_len,
                      msg->text);
            return;
        case PANDA_REPL_PEERS:
            for (size_t i = 0; i < msg->n_relay_peers; i++)
                s_listed (relay, &msg->relay_peers[i]);
            return;
        case PANDA_REPL_FORWARD:
            relay->relay_unacked += msg->payload_len;
            s_forwarded (relay, msg->node_key, msg->payload, msg->payload_len);
            return;
        case PANDA_REPL_REFUSED: {
            if (memcmp (msg->node_key, panda_peer_identity_public_key (relay->node->identity), 32) == 0) {
                panda_log_warn ("replicate", "the relay %s refused our registration: %.*s", relay->address,
                                (int) msg->text_len, msg->text);
                relay->next_register = zclock_mono () + S_GIVE_UP_MS;
                return;
            }
            panda_replicate_peer_t *peer = s_relayed_find (relay, msg->node_key);
            if (!peer)
                return;
            panda_log_info ("replicate", "the relay %s did not forward to %s: %.*s", relay->address,
                            peer->peer_id, (int) msg->text_len, msg->text);
            panda_tunnel_close (peer->tunnel);
            panda_replicate_peer_disconnected (peer, "the relay refused to forward");
            //  The other node may register in a moment (after a relay restart):
            //  try again soon; one Open of 66 bytes every 5 s is no load.
            peer->next_open = zclock_mono () + S_OPEN_RETRY_MS;
            return;
        }
        default: return; //  an empty Ack probes whether we are still there
    }
}

void
panda_replicate_relay_message (panda_replicate_peer_t *peer, const panda_repl_msg_t *msg)
{
    bool to_relay = msg->type == PANDA_REPL_REGISTER || msg->type == PANDA_REPL_LOOKUP ||
                    (msg->type == PANDA_REPL_ACK && peer->node->relay) ||
                    (msg->type == PANDA_REPL_FORWARD && !peer->relay_server);
    if (to_relay && peer->node->relay && !peer->via)
        s_serve (peer, msg);
    else if (!to_relay && peer->relay_server)
        s_client (peer, msg);
    else
        panda_replicate_peer_disconnected (peer, peer->node->relay || peer->relay_server
                                                     ? "it sent a relay message the other way round"
                                                     : "it sent a relay message, and this node is no relay");
}

void
panda_replicate_relay_ready (panda_replicate_peer_t *peer)
{
    peer->next_register = 0;
    peer->relay_address[0] = 0;
    peer->relay_unacked = 0;
}

void
panda_replicate_relay_gone (panda_replicate_peer_t *peer)
{
    panda_replicate_t *node = peer->node;
    if (node->relay && !peer->via)
        panda_relay_forget (node->relay, peer->number);
    if (!peer->relay_server)
        return;
    for (size_t i = 0; i < node->n_peers; i++) {
        panda_replicate_peer_t *relayed = node->peers[i];
        if (relayed->via != peer || !relayed->tunnel)
            continue;
        panda_tunnel_close (relayed->tunnel);
        if (relayed->state != PANDA_PEER_CONNECTING)
            panda_replicate_peer_disconnected (relayed, "the relay connection closed");
        relayed->next_open = 0;
    }
}

int
panda_replicate_relayed_flush (panda_replicate_peer_t *peer)
{
    panda_replicate_peer_t *relay = peer->via;
    if (!panda_tunnel_ready (peer->tunnel) || relay->state != PANDA_PEER_READY) {
        peer->out.len = 0;
        return -1;
    }
    panda_cbor_writer_t sealed;
    panda_cbor_writer_init (&sealed);
    panda_error_t err;
    panda_err_t rc = panda_tunnel_seal (peer->tunnel, peer->out.data, peer->out.len, &sealed, &err);
    peer->out.len = 0;
    if (rc == PANDA_OK) {
        s_forward (relay, peer->node_key, sealed.data, sealed.len);
        rc = panda_replicate_peer_flush (relay) == 0 ? PANDA_OK : PANDA_ERR_INTERNAL;
    } else
        panda_log_warn ("replicate", "cannot seal a frame for %s: %s", peer->peer_id, err.message);
    panda_cbor_writer_free (&sealed);
    return rc == PANDA_OK ? 0 : -1;
}

void
panda_replicate_relayed_give_up (panda_replicate_peer_t *peer)
{
    panda_tunnel_close (peer->tunnel);
    peer->next_open = zclock_mono () + S_GIVE_UP_MS;
}

//  --------------------------------------------------------------------------
//  Timers

static void
s_register (panda_replicate_peer_t *relay, int64_t now)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_REGISTER;
    msg.ttl = S_TTL_S;
    msg.port = (uint64_t) relay->node->port;
    s_send (relay, &msg);
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_LOOKUP;
    s_send (relay, &msg);
    relay->next_register = now + S_LOOKUP_EVERY_MS;
}

int64_t
panda_replicate_relay_tick (panda_replicate_t *node, int64_t now)
{
    if (node->relay) {
        panda_relay_expire (node->relay, now);
        s_pump (node, now);
    }
    for (size_t i = 0; i < node->n_peers; i++) {
        panda_replicate_peer_t *peer = node->peers[i];
        if (peer->relay_server && peer->state == PANDA_PEER_READY) {
            if (now >= peer->next_register)
                s_register (peer, now);
            if (peer->relay_unacked) { //  once a turn: the relay's queue toward us drains
                panda_repl_msg_t ack;
                panda_repl_msg_init (&ack);
                ack.type = PANDA_REPL_ACK;
                ack.acked_bytes = peer->relay_unacked;
                s_send (peer, &ack);
                peer->relay_unacked = 0;
            }
        } else if (peer->via && peer->via->state == PANDA_PEER_READY && panda_tunnel_opener (peer->tunnel) &&
                   !panda_tunnel_ready (peer->tunnel) && now >= peer->next_open)
            s_open (peer, now);
    }
    return node->relay ? panda_relay_wait (node->relay, now) : -1;
}
