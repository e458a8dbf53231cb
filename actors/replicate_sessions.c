/*  replicate_sessions.c - the sessions of one connection: starting and
    answering them, streaming the entries a peer lacks within its credit,
    taking the entries it sends, live push. The state machine itself is
    lib/replication/panda_repl_session.c; this is its I/O.               */
#include "replicate.h"

#include "panda/panda_operation.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void
s_session_free (panda_replicate_session_t *s)
{
    panda_repl_session_destroy (&s->session);
    free (s->positions);
    memset (s, 0, sizeof *s);
}

//  End every session; what the peer sent that is still waiting in the
//  inbox goes (its credit comes back on the next connection).
void
panda_replicate_sessions_end (panda_replicate_peer_t *self)
{
    for (size_t i = 0; i < self->n_sessions; i++)
        s_session_free (&self->sessions[i]);
    self->n_sessions = 0;
    panda_repl_inbox_drop_peer (self->node->inbox, self->number);
}

//  --------------------------------------------------------------------------
//  Sessions

panda_replicate_session_t *
panda_replicate_session_find (panda_replicate_peer_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->n_sessions; i++)
        if (panda_repl_session_id (self->sessions[i].session) == id)
            return &self->sessions[i];
    return NULL;
}

void
panda_replicate_session_remove (panda_replicate_peer_t *self, panda_replicate_session_t *s)
{
    s_session_free (s);
    *s = self->sessions[--self->n_sessions];
    memset (&self->sessions[self->n_sessions], 0, sizeof *s);
}

void
panda_replicate_session_failed (panda_replicate_peer_t *self, panda_replicate_session_t *s, const char *why)
{
    panda_log_warn ("replicate", "session %llu with %s failed: %s",
                    (unsigned long long) panda_repl_session_id (s->session), panda_replicate_peer_name (self),
                    why);
    self->stats.sessions_failed++;
    self->node->totals.sessions_failed++;
    //  aquadoggo tells the peer nothing; a pandad peer is told, so it does
    //  not keep a session (live ones never time out) that blocks new ones.
    panda_error_t err;
    if (self->state == PANDA_PEER_READY &&
        panda_repl_session_stop_live (s->session, &self->out, &err) != PANDA_OK)
        panda_log_debug ("replicate", "%s", err.message);
    panda_replicate_session_remove (self, s);
    size_t before = panda_repl_inbox_peer_count (self->node->inbox, self->number);
    panda_repl_inbox_drop_peer (self->node->inbox, self->number);
    self->owed_entries += before - panda_repl_inbox_peer_count (self->node->inbox, self->number);
    //  Try again later, later each time, whoever was at fault.
    if (self->outgoing)
        self->next_sync = zclock_mono () + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > PANDA_REPLICATE_BACKOFF_MAX_MS ? PANDA_REPLICATE_BACKOFF_MAX_MS
                                                                             : self->backoff_ms * 2;
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
        panda_replicate_session_remove (self, s);
        return NULL;
    }
    return s;
}

//  The target set with this peer: what both sides replicate.
bool
panda_replicate_target (panda_replicate_peer_t *self, panda_schema_set_t *target)
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
bool
panda_replicate_initiates (panda_replicate_peer_t *self)
{
    if (!self->outgoing || self->relay_only)
        return false;
    //  Through a relay only while no direct connection is up, and through
    //  one relay only (the first ready one) when several connect the pair.
    if (self->via) {
        panda_replicate_t *node = self->node;
        for (size_t i = 0; i < node->n_peers && node->peers[i] != self; i++)
            if (node->peers[i]->via && node->peers[i]->state == PANDA_PEER_READY &&
                memcmp (node->peers[i]->node_key, self->node_key, 32) == 0)
                return false;
        return !panda_replicate_find_direct (node, self->node_key);
    }
    const uint8_t *ours = panda_peer_identity_public_key (self->node->identity);
    return memcmp (ours, self->node_key, 32) < 0 ||
           !panda_replicate_find_incoming (self->node, self->node_key);
}

void
panda_replicate_start_session (panda_replicate_peer_t *self, bool live)
{
    panda_schema_set_t target;
    if (!panda_replicate_target (self, &target))
        return;
    panda_error_t err;
    uint64_t id = self->next_session_id++;
    //  Additive fingerprints can be made to collide by whoever picks the
    //  heights; every tenth session compares whole Haves (mode 0), so a
    //  range hidden that way is found within ten rounds.
    uint64_t mode = id % 10 == 9 ? PANDA_REPL_MODE_LOG_HEIGHT : PANDA_REPL_MODE_LOG_HEIGHT_RANGES;
    if (!s_add_session (self, id, true, mode, &target, live, &err))
        panda_log_warn ("replicate", "cannot start a session with %s: %s", panda_replicate_peer_name (self),
                        err.message);
    else
        panda_log_debug ("replicate", "session %llu with %s started (%zu schemas%s)", (unsigned long long) id,
                         panda_replicate_peer_name (self), target.count, live ? ", live" : "");
    panda_schema_set_clear (&target);
}

//  SyncRequest (§9.4): the responder's side.
void
panda_replicate_sync_request (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    const panda_config_t *c = self->node->config;
    const char *why = NULL;
    panda_error_t err;
    if (panda_replicate_session_find (self, msg->session_id))
        why = "duplicate session id";
    for (size_t i = 0; !why && !c->allow_all_schema_ids && i < msg->schema_ids.count; i++)
        if (!panda_schema_set_contains (&self->node->supported, &msg->schema_ids.ids[i]))
            why = "UnsupportedTargetSet";
    if (!why &&
        !s_add_session (self, msg->session_id, false, msg->mode, &msg->schema_ids, c->replication_live, &err))
        why = err.message;
    if (why)
        panda_log_warn ("replicate", "refused session %llu of %s: %s", (unsigned long long) msg->session_id,
                        panda_replicate_peer_name (self), why);
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
                     (unsigned long long) panda_repl_session_id (s->session),
                     panda_replicate_peer_name (self), n, s->n_positions - s->next);
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
    panda_replicate_peer_write (self, &msg);
    self->send_entries--;
    self->send_bytes -= bytes;
    self->stats.entries_sent++;
    self->stats.bytes_sent += bytes;
    self->node->totals.entries_sent++;
    self->node->totals.bytes_sent += bytes;
    ctx->s->sent++;
    ctx->s->sent_bytes += bytes;
    ctx->sent = true;
    return PANDA_OK;
}

//  Send what credit allows of a session's queue; end its catch-up with
//  SyncDone once all of it went out.
void
panda_replicate_session_stream (panda_replicate_peer_t *self, panda_replicate_session_t *s)
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
            panda_replicate_session_failed (self, s, err.message);
            return;
        }
        if (found && !ctx.sent)
            return; //  out of credit
        s->next++; //  sent, or purged since: nothing to send
        s->last_activity = zclock_mono ();
    }
    if (catchup) {
        if (panda_repl_session_sent (s->session, &self->out, &err) != PANDA_OK)
            panda_replicate_session_failed (self, s, err.message);
        else
            s->last_activity = zclock_mono ();
    }
}

//  Log a session's catch-up once (info), and remove it when done.
void
panda_replicate_session_check (panda_replicate_peer_t *self, panda_replicate_session_t *s)
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
            (unsigned long long) panda_repl_session_id (s->session), panda_replicate_peer_name (self),
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
    self->node->totals.sessions_done++;
    self->backoff_ms = PANDA_REPLICATE_BACKOFF_MIN_MS;
    panda_replicate_session_remove (self, s);
}

//  A Have, Ranges or SyncDone for a session.
void
panda_replicate_session_message (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
{
    panda_replicate_session_t *s = panda_replicate_session_find (self, msg->session_id);
    if (!s) {
        panda_log_debug ("replicate", "%s for unknown session %llu from %s", panda_repl_type_name (msg->type),
                         (unsigned long long) msg->session_id, panda_replicate_peer_name (self));
        return;
    }
    panda_error_t err;
    bool planned = panda_repl_session_sends_ready (s->session);
    s->last_activity = zclock_mono ();
    if (panda_repl_session_handle (s->session, msg, &self->out, &err) != PANDA_OK) {
        panda_replicate_session_failed (self, s, err.message);
        return;
    }
    if (!planned && panda_repl_session_sends_ready (s->session) && s_plan (self, s, &err) != PANDA_OK) {
        panda_replicate_session_failed (self, s, err.message);
        return;
    }
    panda_replicate_session_stream (self, s);
    panda_replicate_session_check (self, s);
}

void
panda_replicate_entry_received (panda_replicate_peer_t *self, const panda_repl_msg_t *msg)
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
    self->node->totals.entries_received++;
    self->node->totals.bytes_received += bytes;
    panda_replicate_session_t *s = panda_replicate_session_find (self, msg->session_id);
    panda_error_t err;
    panda_operation_t *op =
        msg->operation ? panda_operation_decode (msg->operation, msg->operation_len, &err) : NULL;
    const char *why = NULL;
    if (!s)
        panda_log_debug ("replicate", "entry for unknown session %llu from %s",
                         (unsigned long long) msg->session_id, panda_replicate_peer_name (self));
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
        panda_replicate_session_failed (self, s, why);
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
    panda_log_warn ("replicate", "%s sent an entry that was refused: %s", panda_replicate_peer_name (self),
                    reason);
    for (size_t i = self->n_sessions; i-- > 0;)
        panda_replicate_session_failed (self, &self->sessions[i], reason);
}

//  --------------------------------------------------------------------------
//  Live push

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
            panda_replicate_session_stream (self, s);
    }
}
