/*  replicate_info.c - GET /replication: the replicate actor's view as
    JSON, answered on its info ROUTER for the api (replicate.c polls it). */
#include "replicate.h"

#include <jansson.h>
#include <stdlib.h>

//  GET /replication (through the api): who we are and every connection.
void
panda_replicate_info (panda_replicate_t *self)
{
    zframe_t *identity = NULL;
    panda_msg_t *msg = panda_actor_recv (self->info, &identity);
    if (!msg || panda_msg_id (msg) != PANDA_MSG_PEERS) {
        panda_msg_destroy (&msg);
        zframe_destroy (&identity);
        return;
    }
    json_t *peers = json_array ();
    for (size_t i = 0; peers && i < self->n_peers; i++) {
        const panda_replicate_peer_t *p = self->peers[i];
        static const char *states[] = {"connecting", "hello", "ready"};
        const panda_replicate_stats_t *st = &p->stats;
        const char *direction = p->via ? "relayed" : p->outgoing ? "outgoing" : "incoming";
        json_t *peer = json_pack (
            "{s:s?, s:s, s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "peer_id",
            p->peer_id[0] ? p->peer_id : NULL, "address", p->address, "direction", direction, "discovered",
            p->discovered, "state", states[p->state], "sessions", (json_int_t) p->n_sessions, "entries_sent",
            (json_int_t) st->entries_sent, "bytes_sent", (json_int_t) st->bytes_sent, "entries_received",
            (json_int_t) st->entries_received, "bytes_received", (json_int_t) st->bytes_received,
            "sessions_done", (json_int_t) st->sessions_done, "sessions_failed",
            (json_int_t) st->sessions_failed, "last_seen_ms", (json_int_t) st->last_seen);
        if (peer && p->relay_server) //  our relay, and how it sees us
            json_object_set_new (peer, "relay", json_pack ("{s:s}", "observed_address", p->relay_address));
        if (peer && p->relay_only)
            json_object_set_new (peer, "relay_only", json_true ());
        json_array_append_new (peers, peer);
    }
    const panda_replicate_stats_t *t = &self->totals;
    json_t *totals = json_pack (
        "{s:I, s:I, s:I, s:I, s:I, s:I}", "entries_sent", (json_int_t) t->entries_sent, "bytes_sent",
        (json_int_t) t->bytes_sent, "entries_received", (json_int_t) t->entries_received, "bytes_received",
        (json_int_t) t->bytes_received, "sessions_done", (json_int_t) t->sessions_done, "sessions_failed",
        (json_int_t) t->sessions_failed);
    json_t *root = json_pack (
        "{s:s, s:s, s:i, s:s, s:I, s:I, s:o, s:o}", "peer_id", panda_peer_identity_peer_id (self->identity),
        "address", self->config->node_address, "port", self->port, "lan_discovery", self->discovery,
        "inbox_entries", (json_int_t) panda_repl_inbox_count (self->inbox), "inbox_deferred",
        (json_int_t) panda_repl_inbox_deferred (self->inbox), "peers", peers ? peers : json_array (),
        "totals", totals ? totals : json_object ());
    if (root && self->relay) {
        panda_relay_stats_t rs = panda_relay_stats (self->relay);
        json_object_set_new (
            root, "relay",
            json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "registrations", (json_int_t) rs.registrations,
                       "circuits", (json_int_t) rs.circuits, "forwarded", (json_int_t) rs.forwarded,
                       "forwarded_bytes", (json_int_t) rs.forwarded_bytes, "refused", (json_int_t) rs.refused,
                       "queued_bytes", (json_int_t) rs.queued_bytes, "announced", (json_int_t) rs.announced));
    }
    char *text = root ? json_dumps (root, JSON_COMPACT) : NULL;
    panda_msg_t *reply = panda_msg_peers_info_new (panda_msg_peers_req (msg), text ? text : "{}");
    panda_actor_send (self->info, &identity, &reply);
    free (text);
    json_decref (root);
    panda_msg_destroy (&msg);
}
