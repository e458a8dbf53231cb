/*  replicate_peer.c - one connection to another node: the Hello exchange,
    Announce, credit, sessions and the entries they send.

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
#define S_BACKOFF_MIN_MS 5000
#define S_BACKOFF_MAX_MS 60000

static const char *
s_name (const panda_replicate_peer_t *self)
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
    self->backoff_ms = S_BACKOFF_MIN_MS;
    panda_schema_set_init (&self->their_schemas);
    panda_cbor_writer_init (&self->out);
    return self;
}

static void
s_session_free (panda_replicate_session_t *s)
{
    panda_repl_session_destroy (&s->session);
    free (s->positions);
    memset (s, 0, sizeof *s);
}

//  End every session; what the peer sent that is still waiting in the
//  inbox goes (its credit comes back on the next connection).
static void
s_end_sessions (panda_replicate_peer_t *self)
{
    for (size_t i = 0; i < self->n_sessions; i++)
        s_session_free (&self->sessions[i]);
    self->n_sessions = 0;
    panda_repl_inbox_drop_peer (self->node->inbox, self->number);
}

void
panda_replicate_peer_destroy (panda_replicate_peer_t **self_p)
{
    panda_replicate_peer_t *self = *self_p;
    if (!self)
        return;
    s_end_sessions (self);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->monitor);
    zframe_destroy (&self->routing_id);
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
        panda_log_error ("replicate", "out of memory writing to %s", s_name (self));
        self->out.len = 0;
        self->out.failed = false;
        return -1;
    }
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

static void
s_write (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
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
    hello.max_frame_bytes = PANDA_REPL_MAX_FRAME_BYTES;
    hello.node_key = panda_peer_identity_public_key (node->identity);
    s_write (self, &hello);
    self->hello_sent = true;
}

void
panda_replicate_peer_announce (panda_replicate_peer_t *self)
{
    if (self->state != PANDA_PEER_READY)
        return;
    panda_repl_msg_t announce;
    panda_repl_msg_init (&announce);
    announce.type = PANDA_REPL_ANNOUNCE;
    announce.protocol_version = PANDA_REPL_ANNOUNCE_VERSION;
    announce.timestamp = self->node->announce_timestamp;
    announce.schema_ids = self->node->supported; //  borrowed
    s_write (self, &announce);
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
    s_write (self, &credit);
    self->recv_entries += entries;
    self->recv_bytes += bytes;
}

void
panda_replicate_peer_connected (panda_replicate_peer_t *self)
{
    s_end_sessions (self);
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
        panda_log_info ("replicate", "peer %s disconnected: %s", s_name (self), why);
    else
        panda_log_debug ("replicate", "connection to %s closed: %s", s_name (self), why);
    s_end_sessions (self);
    self->state = self->outgoing ? PANDA_PEER_CONNECTING : PANDA_PEER_HELLO;
    self->out.len = 0;
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
        if (peer != self && !peer->outgoing && peer->state == PANDA_PEER_READY) {
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
    if (msg->protocol_version != PANDA_REPL_HELLO_VERSION)
        why = "speaks another protocol version";
    else if (memcmp (msg->network_tag, node->network_tag, sizeof node->network_tag) != 0)
        why = "belongs to another network (psk)";
    else if (panda_peer_curve_public_key (msg->node_key, derived, &err) != PANDA_OK ||
             memcmp (derived, self->curve_key, 32) != 0)
        why = "node key does not match its connection key";
    else if (panda_replicate_psk_proof (node->config, !self->outgoing,
                                        self->outgoing ? ours : self->curve_key,
                                        self->outgoing ? self->curve_key : ours, expected) &&
             (!msg->psk_proof || sodium_memcmp (msg->psk_proof, expected, sizeof expected) != 0))
        why = "could not prove the psk";
    else if (!panda_replicate_policy_admits (&node->policy, self->curve_key))
        why = "is not allowed (allow_peer_ids / block_peer_ids)";
    else if (!s_room (node, self))
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
    if (!self->outgoing)
        s_send_hello (self);
    self->state = PANDA_PEER_READY;
    self->stats.last_seen = zclock_time ();
    const panda_config_t *c = node->config;
    s_grant (self, c->replication_credit_entries, c->replication_credit_bytes);
    panda_replicate_peer_announce (self);
    self->next_sync = zclock_mono ();
    panda_log_info ("replicate", "peer %s connected (%s, %s)", self->peer_id, self->address,
                    self->outgoing ? "dialled" : "dialled us");
    return true;
}

//  --------------------------------------------------------------------------
//  Sessions

static panda_replicate_session_t *
s_find_session (panda_replicate_peer_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->n_sessions; i++)
        if (panda_repl_session_id (self->sessions[i].session) == id)
            return &self->sessions[i];
    return NULL;
}

static void
s_remove_session (panda_replicate_peer_t *self, panda_replicate_session_t *s)
{
    s_session_free (s);
    *s = self->sessions[--self->n_sessions];
    memset (&self->sessions[self->n_sessions], 0, sizeof *s);
}

static void
s_session_failed (panda_replicate_peer_t *self, panda_replicate_session_t *s, const char *why)
{
    panda_log_warn ("replicate", "session %llu with %s failed: %s",
                    (unsigned long long) panda_repl_session_id (s->session), s_name (self), why);
    self->stats.sessions_failed++;
    //  aquadoggo tells the peer nothing; a pandad peer is told, so it does
    //  not keep a session (live ones never time out) that blocks new ones.
    panda_error_t err;
    if (self->state == PANDA_PEER_READY &&
        panda_repl_session_stop_live (s->session, &self->out, &err) != PANDA_OK)
        panda_log_debug ("replicate", "%s", err.message);
    s_remove_session (self, s);
    size_t before = panda_repl_inbox_peer_count (self->node->inbox, self->number);
    panda_repl_inbox_drop_peer (self->node->inbox, self->number);
    self->owed_entries += before - panda_repl_inbox_peer_count (self->node->inbox, self->number);
    //  Try again later, later each time, whoever was at fault.
    if (self->outgoing)
        self->next_sync = zclock_mono () + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : self->backoff_ms * 2;
}

static panda_replicate_session_t *
s_add_session (panda_replicate_peer_t *self, uint64_t id, bool initiator, uint64_t mode,
               const panda_schema_set_t *target, bool live, panda_error_t *err)
{
    if (self->n_sessions == PANDA_REPLICATE_MAX_SESSIONS) {
        panda_error_set (err, PANDA_ERR_LIMIT, "too many sessions at once (%d)",
                         PANDA_REPLICATE_MAX_SESSIONS);
        return NULL;
    }
    panda_recon_set_t *logs = panda_replicate_local_logs (self->node, target, err);
    panda_repl_session_t *session =
        logs ? panda_repl_session_new (id, initiator, mode, target, logs, live, err) : NULL;
    if (!session)
        return NULL;
    panda_replicate_session_t *s = &self->sessions[self->n_sessions++];
    memset (s, 0, sizeof *s);
    s->session = session;
    s->last_activity = s->started = zclock_mono ();
    if (panda_repl_session_start (session, &self->out, err) != PANDA_OK) {
        s_remove_session (self, s);
        return NULL;
    }
    return s;
}

//  The target set with this peer: what both sides replicate.
static bool
s_target (panda_replicate_peer_t *self, panda_schema_set_t *target)
{
    panda_schema_set_init (target);
    panda_error_t err;
    if (panda_schema_set_intersect (&self->node->supported, &self->their_schemas, target, &err) != PANDA_OK ||
        target->count == 0) {
        panda_schema_set_clear (target);
        return false;
    }
    return true;
}

//  The dialer starts sessions. If both nodes dialled each other, only the
//  connection dialled by the smaller node key carries sessions.
static bool
s_initiates (panda_replicate_peer_t *self)
{
    if (!self->outgoing)
        return false;
    const uint8_t *ours = panda_peer_identity_public_key (self->node->identity);
    return memcmp (ours, self->node_key, 32) < 0 ||
           !panda_replicate_find_incoming (self->node, self->node_key);
}

static void
s_start_session (panda_replicate_peer_t *self, bool live)
{
    panda_schema_set_t target;
    if (!s_target (self, &target))
        return;
    panda_error_t err;
    uint64_t id = self->next_session_id++;
    //  Additive fingerprints can be made to collide by whoever picks the
    //  heights; every tenth session compares whole Haves (mode 0), so a
    //  range hidden that way is found within ten rounds.
    uint64_t mode = id % 10 == 9 ? PANDA_REPL_MODE_LOG_HEIGHT : PANDA_REPL_MODE_LOG_HEIGHT_RANGES;
    if (!s_add_session (self, id, true, mode, &target, live, &err))
        panda_log_warn ("replicate", "cannot start a session with %s: %s", s_name (self), err.message);
    else
        panda_log_debug ("replicate", "session %llu with %s started (%zu schemas%s)", (unsigned long long) id,
                         s_name (self), target.count, live ? ", live" : "");
    panda_schema_set_clear (&target);
}

//  SyncRequest (§9.4): the responder's side.
static void
s_sync_request (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    const panda_config_t *c = self->node->config;
    const char *why = NULL;
    panda_error_t err;
    if (s_find_session (self, msg->session_id))
        why = "duplicate session id";
    for (size_t i = 0; !why && !c->allow_all_schema_ids && i < msg->schema_ids.count; i++)
        if (!panda_schema_set_contains (&self->node->supported, &msg->schema_ids.ids[i]))
            why = "UnsupportedTargetSet";
    if (!why &&
        !s_add_session (self, msg->session_id, false, msg->mode, &msg->schema_ids, c->replication_live, &err))
        why = err.message;
    if (why)
        panda_log_warn ("replicate", "refused session %llu of %s: %s", (unsigned long long) msg->session_id,
                        s_name (self), why);
}

static int
s_position_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static panda_err_t
s_push_position (void *ctx, int64_t position)
{
    panda_replicate_session_t *s = ctx;
    if (s->n_positions % 1024 == 0) {
        int64_t *grown = realloc (s->positions, (s->n_positions + 1024) * sizeof *grown);
        if (!grown)
            return PANDA_ERR_NOMEM;
        s->positions = grown;
    }
    s->positions[s->n_positions++] = position;
    return PANDA_OK;
}

//  The entries of the session's send list, in store order: storage took
//  each only after its backlink and previous, so the peer can too.
static panda_err_t
s_plan (panda_replicate_peer_t *self, panda_replicate_session_t *s, panda_error_t *err)
{
    size_t n;
    const panda_repl_send_t *sends = panda_repl_session_sends (s->session, &n);
    for (size_t i = 0; i < n; i++) {
        panda_public_key_t key;
        memcpy (key.bytes, sends[i].public_key, 32);
        panda_err_t rc = panda_store_log_positions (self->node->store, &key, sends[i].log_id,
                                                    sends[i].from_seq - 1, s_push_position, s, err);
        if (rc != PANDA_OK)
            return rc;
    }
    panda_log_debug ("replicate", "session %llu with %s: %zu logs, %zu entries to send",
                     (unsigned long long) panda_repl_session_id (s->session), s_name (self), n,
                     s->n_positions - s->next);
    if (s->n_positions == s->next)
        return PANDA_OK;
    //  Live pushes may already be queued: merge, keep each once.
    qsort (s->positions + s->next, s->n_positions - s->next, sizeof *s->positions, s_position_cmp);
    size_t w = s->next;
    for (size_t r = s->next; r < s->n_positions; r++)
        if (w == s->next || s->positions[w - 1] != s->positions[r])
            s->positions[w++] = s->positions[r];
    s->n_positions = w;
    return PANDA_OK;
}

typedef struct {
    panda_replicate_peer_t *peer;
    panda_replicate_session_t *s;
    bool sent;
} s_send_ctx_t;

static panda_err_t
s_send_entry (void *ctx_, const panda_store_raw_t *raw)
{
    s_send_ctx_t *ctx = ctx_;
    panda_replicate_peer_t *self = ctx->peer;
    size_t bytes = raw->entry_len + raw->operation_len;
    if (self->send_entries == 0 || self->send_bytes < bytes)
        return PANDA_OK; //  wait for credit
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_ENTRY;
    msg.session_id = panda_repl_session_id (ctx->s->session);
    msg.entry = raw->entry;
    msg.entry_len = raw->entry_len;
    msg.operation = raw->operation;
    msg.operation_len = raw->operation_len;
    s_write (self, &msg);
    self->send_entries--;
    self->send_bytes -= bytes;
    self->stats.entries_sent++;
    self->stats.bytes_sent += bytes;
    ctx->s->sent++;
    ctx->s->sent_bytes += bytes;
    ctx->sent = true;
    return PANDA_OK;
}

//  Send what credit allows of a session's queue; end its catch-up with
//  SyncDone once all of it went out.
static void
s_stream (panda_replicate_peer_t *self, panda_replicate_session_t *s)
{
    panda_error_t err;
    //  Catch-up: the list is known and our SyncDone not sent yet. Live:
    //  after it, in a session that stays open.
    bool catchup = panda_repl_session_sends_ready (s->session);
    bool live = panda_repl_session_local_done (s->session) && panda_repl_session_wants_live (s->session) &&
                panda_repl_session_state (s->session) != PANDA_REPL_DONE;
    if (!catchup && !live)
        return;
    size_t frame_max = self->max_frame && self->max_frame < PANDA_REPLICATE_FRAME_TARGET
                           ? self->max_frame / 2
                           : PANDA_REPLICATE_FRAME_TARGET;
    while (s->next < s->n_positions) {
        if (self->out.len >= frame_max && panda_replicate_peer_flush (self))
            return;
        s_send_ctx_t ctx = {self, s, false};
        bool found;
        if (panda_store_entry_at (self->node->store, s->positions[s->next], s_send_entry, &ctx, &found,
                                  &err) != PANDA_OK) {
            s_session_failed (self, s, err.message);
            return;
        }
        if (found && !ctx.sent)
            return; //  out of credit
        s->next++; //  sent, or purged since: nothing to send
        s->last_activity = zclock_mono ();
    }
    if (catchup) {
        if (panda_repl_session_sent (s->session, &self->out, &err) != PANDA_OK)
            s_session_failed (self, s, err.message);
        else
            s->last_activity = zclock_mono ();
    }
}

//  Log a session's catch-up once (info), and remove it when done.
static void
s_session_check (panda_replicate_peer_t *self, panda_replicate_session_t *s)
{
    panda_repl_state_t state = panda_repl_session_state (s->session);
    if (!s->reported && (state == PANDA_REPL_LIVE || state == PANDA_REPL_DONE)) {
        s->reported = true;
        const panda_replicate_stats_t *st = &self->stats;
        panda_log_info (
            "replicate",
            "session %llu with %s: caught up in %lld ms, sent %llu entries (%llu bytes), received %llu "
            "(%llu bytes)%s; with this peer so far: sent %llu, received %llu, sessions %llu done, %llu "
            "failed",
            (unsigned long long) panda_repl_session_id (s->session), s_name (self),
            (long long) (zclock_mono () - s->started), (unsigned long long) s->sent,
            (unsigned long long) s->sent_bytes, (unsigned long long) s->received,
            (unsigned long long) s->received_bytes, state == PANDA_REPL_LIVE ? ", now live" : "",
            (unsigned long long) st->entries_sent, (unsigned long long) st->entries_received,
            (unsigned long long) st->sessions_done + (state == PANDA_REPL_DONE),
            (unsigned long long) st->sessions_failed);
    }
    if (state != PANDA_REPL_DONE)
        return;
    self->stats.sessions_done++;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    s_remove_session (self, s);
}

//  A Have, Ranges or SyncDone for a session.
static void
s_session_message (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    panda_replicate_session_t *s = s_find_session (self, msg->session_id);
    if (!s) {
        panda_log_debug ("replicate", "%s for unknown session %llu from %s", panda_repl_type_name (msg->type),
                         (unsigned long long) msg->session_id, s_name (self));
        return;
    }
    panda_error_t err;
    bool planned = panda_repl_session_sends_ready (s->session);
    s->last_activity = zclock_mono ();
    if (panda_repl_session_handle (s->session, msg, &self->out, &err) != PANDA_OK) {
        s_session_failed (self, s, err.message);
        return;
    }
    if (!planned && panda_repl_session_sends_ready (s->session) && s_plan (self, s, &err) != PANDA_OK) {
        s_session_failed (self, s, err.message);
        return;
    }
    s_stream (self, s);
    s_session_check (self, s);
}

static void
s_entry (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    size_t bytes = msg->entry_len + msg->operation_len;
    if (self->recv_entries == 0 || self->recv_bytes < bytes) {
        panda_replicate_peer_disconnected (self, "it sent entries beyond its credit");
        return;
    }
    self->recv_entries--;
    self->recv_bytes -= bytes;
    self->stats.entries_received++;
    self->stats.bytes_received += bytes;
    panda_replicate_session_t *s = s_find_session (self, msg->session_id);
    panda_error_t err;
    panda_operation_t *op =
        msg->operation ? panda_operation_decode (msg->operation, msg->operation_len, &err) : NULL;
    const char *why = NULL;
    if (!s)
        panda_log_debug ("replicate", "entry for unknown session %llu from %s",
                         (unsigned long long) msg->session_id, s_name (self));
    else if (!op)
        why = msg->operation ? err.message : "entry without operation";
    else if (!panda_repl_session_accepts (s->session, panda_operation_schema_id (op)))
        why = "UnmatchedTargetSet";
    else if (panda_replicate_receive (self->node, self, msg->entry, msg->entry_len, msg->operation,
                                      msg->operation_len, &err) != PANDA_OK)
        why = err.message;
    else {
        s->last_activity = zclock_mono ();
        s->received++;
        s->received_bytes += bytes;
    }
    panda_operation_destroy (&op);
    if (!s || why) //  it never entered the inbox: its credit comes back
        panda_replicate_peer_entry_done (self, bytes);
    if (why)
        s_session_failed (self, s, why);
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

void
panda_replicate_peer_entry_done (panda_replicate_peer_t *self, size_t bytes)
{
    self->owed_entries++;
    self->owed_bytes += bytes;
}

void
panda_replicate_peer_entry_failed (panda_replicate_peer_t *self, const char *reason)
{
    panda_log_warn ("replicate", "%s sent an entry that was refused: %s", s_name (self), reason);
    for (size_t i = self->n_sessions; i-- > 0;)
        s_session_failed (self, &self->sessions[i], reason);
}

//  --------------------------------------------------------------------------
//  Frames

static void
s_message (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
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
                s_stream (self, &self->sessions[i]);
            break;
        case PANDA_REPL_SYNC_REQUEST: s_sync_request (self, msg); break;
        case PANDA_REPL_ENTRY: s_entry (self, msg); break;
        case PANDA_REPL_HAVE:
        case PANDA_REPL_RANGES:
        case PANDA_REPL_SYNC_DONE: s_session_message (self, msg); break;
        case PANDA_REPL_HELLO: panda_replicate_peer_disconnected (self, "it sent Hello twice"); break;
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
            panda_log_warn ("replicate", "bad message from %s: %s", s_name (self), err.message);
            panda_replicate_peer_disconnected (self, "it sent a malformed message");
            return;
        }
        if (self->state != PANDA_PEER_READY) {
            bool ok = msg.type == PANDA_REPL_HELLO && s_hello (self, &msg);
            if (msg.type != PANDA_REPL_HELLO)
                panda_log_warn ("replicate", "refused %s: its first message was %s, not Hello", s_name (self),
                                panda_repl_type_name (msg.type));
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
//  Live push and timers

void
panda_replicate_peer_stored (panda_replicate_peer_t *self, int64_t position, const char *schema_id,
                             const uint8_t *origin)
{
    if (self->state != PANDA_PEER_READY || (origin && memcmp (origin, self->node_key, 32) == 0))
        return; //  never echoed back to where it came from
    for (size_t i = 0; i < self->n_sessions; i++) {
        panda_replicate_session_t *s = &self->sessions[i];
        panda_repl_state_t state = panda_repl_session_state (s->session);
        bool live = state == PANDA_REPL_LIVE ||
                    (state != PANDA_REPL_DONE && panda_repl_session_wants_live (s->session));
        //  accepts() checks the target set (and marks nothing new).
        if (live && panda_repl_session_accepts (s->session, schema_id) &&
            s_push_position (s, position) == PANDA_OK)
            s_stream (self, s);
    }
}

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
            s_session_failed (self, s, "timed out");
    }
    if (s_initiates (self) && self->announced && self->next_sync && now >= self->next_sync) {
        //  A live session covers the target set it began with: when the
        //  set grew (a new schema on either side) it ends and a new one
        //  catches up on the whole set.
        panda_schema_set_t target;
        bool have_target = s_target (self, &target);
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
                s_remove_session (self, s);
            }
        }
        if (have_target)
            panda_schema_set_clear (&target);
        //  The first session asks for live mode; later ones are periodic
        //  anti-entropy beside it (cheap with set reconciliation).
        if (self->n_sessions < PANDA_REPLICATE_MAX_SESSIONS)
            s_start_session (self, c->replication_live && !live_open);
        int64_t interval = c->replication_interval_ms;
        self->next_sync =
            now + interval - interval / 5 + (int64_t) randombytes_uniform ((uint32_t) (interval * 2 / 5 + 1));
    }
    if (self->next_sync)
        wait = self->next_sync - now;
    panda_replicate_peer_refill (self, true);
    for (size_t i = self->n_sessions; i-- > 0;) {
        s_stream (self, &self->sessions[i]);
        s_session_check (self, &self->sessions[i]);
    }
    return wait;
}
