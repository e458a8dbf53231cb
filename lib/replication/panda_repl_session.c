/*  panda_repl_session.c - one replication session's state machine. See
    panda_repl_session.h; node-api §9.4-9.5 for aquadoggo's part.         */
#include "panda_repl_session.h"

#include <stdlib.h>
#include <string.h>

struct _panda_repl_session_t {
    uint64_t id;
    bool initiator;
    uint64_t mode;
    panda_schema_set_t target;
    panda_recon_set_t *logs; //  ours, sealed
    panda_recon_t *recon; //  mode 2
    bool live_wanted;
    panda_repl_state_t state;
    bool have_sent, have_received;
    bool local_done, remote_done, remote_live;
    bool sends_ready;
    panda_repl_send_t *sends;
    size_t n_sends;
};

panda_repl_session_t *
panda_repl_session_new (uint64_t id, bool initiator, uint64_t mode, const panda_schema_set_t *target,
                        panda_recon_set_t *logs, bool live, panda_error_t *err)
{
    if (mode != PANDA_REPL_MODE_LOG_HEIGHT && mode != PANDA_REPL_MODE_LOG_HEIGHT_RANGES) {
        panda_recon_set_destroy (&logs);
        panda_error_set (err, PANDA_ERR_INVALID, "UnsupportedMode: %llu", (unsigned long long) mode);
        return NULL;
    }
    panda_repl_session_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_recon_set_destroy (&logs);
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory starting a session");
        return NULL;
    }
    self->id = id;
    self->initiator = initiator;
    self->mode = mode;
    self->logs = logs;
    self->live_wanted = live;
    panda_schema_set_init (&self->target);
    //  A copy through intersect with itself keeps the canonical order.
    if (panda_schema_set_intersect (target, target, &self->target, err) != PANDA_OK ||
        panda_recon_set_seal (self->logs, err) != PANDA_OK ||
        (mode == PANDA_REPL_MODE_LOG_HEIGHT_RANGES &&
         !(self->recon = panda_recon_new (self->logs, NULL, err)))) {
        panda_repl_session_destroy (&self);
        return NULL;
    }
    return self;
}

void
panda_repl_session_destroy (panda_repl_session_t **self_p)
{
    panda_repl_session_t *self = *self_p;
    if (!self)
        return;
    panda_schema_set_clear (&self->target);
    panda_recon_destroy (&self->recon);
    panda_recon_set_destroy (&self->logs);
    free (self->sends);
    free (self);
    *self_p = NULL;
}

uint64_t
panda_repl_session_id (const panda_repl_session_t *self)
{
    return self->id;
}

bool
panda_repl_session_initiator (const panda_repl_session_t *self)
{
    return self->initiator;
}

const panda_schema_set_t *
panda_repl_session_target (const panda_repl_session_t *self)
{
    return &self->target;
}

panda_repl_state_t
panda_repl_session_state (const panda_repl_session_t *self)
{
    return self->state;
}

bool
panda_repl_session_wants_live (const panda_repl_session_t *self)
{
    return self->live_wanted;
}

bool
panda_repl_session_local_done (const panda_repl_session_t *self)
{
    return self->local_done;
}

bool
panda_repl_session_remote_done (const panda_repl_session_t *self)
{
    return self->remote_done;
}

static panda_err_t
s_write (const panda_repl_msg_t *msg, panda_cbor_writer_t *out, panda_error_t *err)
{
    return panda_repl_msg_encode (msg, out, err);
}

//  Our Have: every log of the target set, grouped by author (the set is
//  sorted by public key, then log id).
static panda_err_t
s_write_have (panda_repl_session_t *self, panda_cbor_writer_t *out, panda_error_t *err)
{
    size_t n = panda_recon_set_count (self->logs);
    panda_repl_author_t *authors = calloc (n ? n : 1, sizeof *authors);
    panda_repl_log_height_t *heights = calloc (n ? n : 1, sizeof *heights);
    if (!authors || !heights) {
        free (authors);
        free (heights);
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory writing Have");
    }
    size_t n_authors = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t key[32];
        panda_recon_set_get (self->logs, i, key, &heights[i].log_id, &heights[i].seq_num);
        if (n_authors == 0 || memcmp (authors[n_authors - 1].public_key, key, 32) != 0) {
            memcpy (authors[n_authors].public_key, key, 32);
            authors[n_authors].logs = &heights[i];
            n_authors++;
        }
        authors[n_authors - 1].n_logs++;
    }
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_HAVE;
    msg.session_id = self->id;
    msg.authors = authors;
    msg.n_authors = n_authors;
    panda_err_t rc = s_write (&msg, out, err);
    free (authors);
    free (heights);
    self->have_sent = rc == PANDA_OK;
    return rc;
}

static panda_err_t
s_add_send (panda_repl_session_t *self, const uint8_t *key, uint64_t log_id, uint64_t from, uint64_t to,
            size_t *cap, panda_error_t *err)
{
    if (self->n_sends == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 16;
        panda_repl_send_t *grown = realloc (self->sends, grown_cap * sizeof *grown);
        if (!grown)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory planning a sync");
        self->sends = grown;
        *cap = grown_cap;
    }
    panda_repl_send_t *send = &self->sends[self->n_sends++];
    memcpy (send->public_key, key, 32);
    send->log_id = log_id;
    send->from_seq = from;
    send->to_seq = to;
    return PANDA_OK;
}

//  §9.5's diff against the peer's Have: every log where we are ahead.
static panda_err_t
s_diff_have (panda_repl_session_t *self, const panda_repl_msg_t *have, panda_error_t *err)
{
    panda_recon_set_t *theirs = panda_recon_set_new ();
    if (!theirs)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory reading Have");
    panda_err_t rc = PANDA_OK;
    for (size_t a = 0; rc == PANDA_OK && a < have->n_authors; a++)
        for (size_t l = 0; rc == PANDA_OK && l < have->authors[a].n_logs; l++)
            rc = panda_recon_set_add (theirs, have->authors[a].public_key, have->authors[a].logs[l].log_id,
                                      have->authors[a].logs[l].seq_num, err);
    if (rc == PANDA_OK)
        rc = panda_recon_set_seal (theirs, err); //  a log twice: the peer's error
    size_t cap = 0;
    for (size_t i = 0; rc == PANDA_OK && i < panda_recon_set_count (self->logs); i++) {
        uint8_t key[32];
        uint64_t log_id, seq;
        panda_recon_set_get (self->logs, i, key, &log_id, &seq);
        uint64_t remote = panda_recon_set_height (theirs, key, log_id);
        if (seq > remote)
            rc = s_add_send (self, key, log_id, remote + 1, seq, &cap, err);
    }
    panda_recon_set_destroy (&theirs);
    self->sends_ready = rc == PANDA_OK;
    return rc;
}

//  Reconciliation finished: where we are ahead, the peer needs entries.
static panda_err_t
s_diff_recon (panda_repl_session_t *self, panda_error_t *err)
{
    size_t n, cap = 0;
    const panda_recon_diff_t *diffs = panda_recon_differences (self->recon, &n);
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; rc == PANDA_OK && i < n; i++)
        if (diffs[i].local_seq > diffs[i].remote_seq)
            rc = s_add_send (self, diffs[i].public_key, diffs[i].log_id, diffs[i].remote_seq + 1,
                             diffs[i].local_seq, &cap, err);
    self->sends_ready = rc == PANDA_OK;
    return rc;
}

static panda_err_t
s_write_ranges (panda_repl_session_t *self, uint8_t *payload, size_t len, panda_cbor_writer_t *out,
                panda_error_t *err)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_RANGES;
    msg.session_id = self->id;
    msg.ranges = payload;
    msg.ranges_len = len;
    panda_err_t rc = s_write (&msg, out, err);
    free (payload);
    return rc;
}

panda_err_t
panda_repl_session_start (panda_repl_session_t *self, panda_cbor_writer_t *out, panda_error_t *err)
{
    if (!self->initiator) {
        if (self->mode != PANDA_REPL_MODE_LOG_HEIGHT)
            return PANDA_OK;
        panda_err_t rc = s_write_have (self, out, err);
        //  §9.4: an empty Have offers nothing, so we are done locally at
        //  once: SyncDone follows it, as aquadoggo's responder does.
        if (rc == PANDA_OK && panda_recon_set_count (self->logs) == 0)
            rc = panda_repl_session_sent (self, out, err);
        return rc;
    }
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_SYNC_REQUEST;
    msg.session_id = self->id;
    msg.mode = self->mode;
    msg.schema_ids = self->target; //  borrowed: never cleared here
    panda_err_t rc = s_write (&msg, out, err);
    if (rc != PANDA_OK || self->mode != PANDA_REPL_MODE_LOG_HEIGHT_RANGES)
        return rc;
    uint8_t *payload;
    size_t len;
    if ((rc = panda_recon_initiate (self->recon, &payload, &len, err)) != PANDA_OK)
        return rc;
    return s_write_ranges (self, payload, len, out, err);
}

static void
s_update (panda_repl_session_t *self)
{
    if (!self->local_done || !self->remote_done)
        return;
    self->state = self->live_wanted && self->remote_live ? PANDA_REPL_LIVE : PANDA_REPL_DONE;
}

panda_err_t
panda_repl_session_handle (panda_repl_session_t *self, const panda_repl_msg_t *msg, panda_cbor_writer_t *out,
                           panda_error_t *err)
{
    if (self->state == PANDA_REPL_DONE)
        return panda_error_set (err, PANDA_ERR_INVALID, "%s for a finished session",
                                panda_repl_type_name (msg->type));
    if (self->state == PANDA_REPL_PENDING)
        self->state = PANDA_REPL_ESTABLISHED;
    panda_err_t rc = PANDA_OK;
    switch (msg->type) {
        case PANDA_REPL_HAVE:
            if (self->mode != PANDA_REPL_MODE_LOG_HEIGHT)
                return panda_error_set (err, PANDA_ERR_INVALID, "Have in a set reconciliation session");
            if (self->have_received)
                return panda_error_set (err, PANDA_ERR_INVALID, "Received Have from remote message twice");
            self->have_received = true;
            if (!self->have_sent && (rc = s_write_have (self, out, err)) != PANDA_OK)
                return rc;
            return s_diff_have (self, msg, err);
        case PANDA_REPL_RANGES: {
            if (self->mode != PANDA_REPL_MODE_LOG_HEIGHT_RANGES)
                return panda_error_set (err, PANDA_ERR_INVALID, "Ranges in a log-height session");
            if (!self->recon || panda_recon_done (self->recon))
                return panda_error_set (err, PANDA_ERR_INVALID, "Ranges after reconciliation was over");
            uint8_t *reply = NULL;
            size_t len = 0;
            if ((rc = panda_recon_respond (self->recon, msg->ranges, msg->ranges_len, &reply, &len, err)) !=
                PANDA_OK)
                return rc;
            if (reply && (rc = s_write_ranges (self, reply, len, out, err)) != PANDA_OK)
                return rc;
            return panda_recon_done (self->recon) ? s_diff_recon (self, err) : PANDA_OK;
        }
        case PANDA_REPL_SYNC_DONE:
            if (self->remote_done) {
                //  SyncDone(false) after SyncDone(true): the peer leaves live mode.
                if (!self->remote_live || msg->live_mode)
                    return panda_error_set (err, PANDA_ERR_INVALID, "SyncDone received twice");
                self->remote_live = false;
                self->state = PANDA_REPL_DONE;
                return PANDA_OK;
            }
            self->remote_done = true;
            self->remote_live = msg->live_mode;
            s_update (self);
            return PANDA_OK;
        default:
            return panda_error_set (err, PANDA_ERR_INVALID, "unexpected %s in a session",
                                    panda_repl_type_name (msg->type));
    }
}

bool
panda_repl_session_accepts (panda_repl_session_t *self, const char *schema_id)
{
    if (self->state == PANDA_REPL_PENDING)
        self->state = PANDA_REPL_ESTABLISHED;
    panda_schema_id_t id;
    panda_error_t err;
    if (panda_schema_id_parse (&id, schema_id, strlen (schema_id), &err) != PANDA_OK)
        return false;
    bool in = panda_schema_set_contains (&self->target, &id);
    panda_schema_id_clear (&id);
    return in;
}

bool
panda_repl_session_sends_ready (const panda_repl_session_t *self)
{
    return self->sends_ready && !self->local_done;
}

const panda_repl_send_t *
panda_repl_session_sends (const panda_repl_session_t *self, size_t *count)
{
    *count = self->sends_ready ? self->n_sends : 0;
    return *count ? self->sends : NULL;
}

panda_err_t
panda_repl_session_sent (panda_repl_session_t *self, panda_cbor_writer_t *out, panda_error_t *err)
{
    if (self->local_done)
        return PANDA_OK;
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_SYNC_DONE;
    msg.session_id = self->id;
    msg.live_mode = self->live_wanted;
    panda_err_t rc = s_write (&msg, out, err);
    if (rc == PANDA_OK) {
        self->local_done = true;
        s_update (self);
    }
    return rc;
}

panda_err_t
panda_repl_session_stop_live (panda_repl_session_t *self, panda_cbor_writer_t *out, panda_error_t *err)
{
    panda_repl_msg_t msg;
    panda_repl_msg_init (&msg);
    msg.type = PANDA_REPL_SYNC_DONE;
    msg.session_id = self->id;
    msg.live_mode = false;
    panda_err_t rc = s_write (&msg, out, err);
    self->state = PANDA_REPL_DONE;
    return rc;
}
