/*  panda_repl_session.h - one replication session with one peer: the
    state machine of node-api §9.4 with pandad's extensions, as pure code.

    A session syncs one target set (a SchemaIdSet) between two nodes. It is
    created with this node's logs of that set (their heights) and consumes
    the peer's Have / Ranges / SyncDone messages; what it says back is
    appended to a frame writer. Once both sides' heights are known where
    they differ, the session lists the logs whose entries the peer lacks
    (panda_repl_session_sends); the caller streams those entries, then
    calls panda_repl_session_sent, which ends the local side with
    SyncDone(live).

      mode 0 (aquadoggo's log heights):
        A -> B  SyncRequest(id, 0, T)
        B -> A  Have(hB)                      (+ SyncDone when hB is empty)
        A -> B  Have(hA), Entry*, SyncDone
        B -> A  Entry*, SyncDone
      mode 2 (pandad: heights by set reconciliation, panda_recon.h):
        A -> B  SyncRequest(id, 2, T), Ranges(fingerprint of all)
        B -> A  Ranges(...)   ... until one side's payload is final
        each side, once its reconciliation is done: Entry*, SyncDone

    Live mode (pandad): each side's SyncDone carries its wish; when both
    said true the session stays open (state LIVE) and the caller pushes new
    entries of the target set as they are stored. SyncDone(false) from
    either side then ends it.

    Entries received are the caller's (ingest); a session only checks that
    their schema is in its target set (panda_repl_session_accepts).

    Any protocol violation fails the session with a reason in err; the
    caller drops it (aquadoggo sends nothing on failure; a pandad peer
    notices by timeout or the next session).                             */
#ifndef PANDA_REPL_SESSION_H_INCLUDED
#define PANDA_REPL_SESSION_H_INCLUDED

#include "panda_recon.h"
#include "panda_repl_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PANDA_REPL_PENDING, //  created, nothing received yet
    PANDA_REPL_ESTABLISHED, //  the peer answered
    PANDA_REPL_LIVE, //  catch-up over, both sides asked to stay open
    PANDA_REPL_DONE //  finished: remove it
} panda_repl_state_t;

//  A log and the seq num from which the peer needs its entries.
typedef struct {
    uint8_t public_key[32];
    uint64_t log_id;
    uint64_t from_seq; //  first seq num to send (>= 1)
    uint64_t to_seq; //  our height when the diff was made
} panda_repl_send_t;

typedef struct _panda_repl_session_t panda_repl_session_t;

//  A session over target (copied, canonical, non-empty) with this node's
//  logs of it in logs (taken: the session owns and seals it). initiator:
//  we sent the SyncRequest. live: we want live mode. NULL with err
//  (PANDA_ERR_NOMEM, or an unsupported mode: PANDA_ERR_INVALID
//  "UnsupportedMode").
panda_repl_session_t *panda_repl_session_new (uint64_t id, bool initiator, uint64_t mode,
                                              const panda_schema_set_t *target, panda_recon_set_t *logs,
                                              bool live, panda_error_t *err);

void panda_repl_session_destroy (panda_repl_session_t **self_p);

uint64_t panda_repl_session_id (const panda_repl_session_t *self);
bool panda_repl_session_initiator (const panda_repl_session_t *self);
const panda_schema_set_t *panda_repl_session_target (const panda_repl_session_t *self);
panda_repl_state_t panda_repl_session_state (const panda_repl_session_t *self);

//  Write the session's opening messages: the initiator's SyncRequest (and
//  first Ranges in mode 2), the responder's Have (mode 0), followed by its
//  SyncDone when that Have is empty (nothing to offer: locally done).
PANDA_NODISCARD panda_err_t panda_repl_session_start (panda_repl_session_t *self, panda_cbor_writer_t *out,
                                                      panda_error_t *err);

//  Handle a Have, Ranges or SyncDone of this session (any other type is
//  an error), writing replies to out. Errors end the session: "Received
//  Have from remote message twice", "Ranges in a log-height session", a
//  malformed Ranges payload, a message after SyncDone, ...
PANDA_NODISCARD panda_err_t panda_repl_session_handle (panda_repl_session_t *self,
                                                       const panda_repl_msg_t *msg, panda_cbor_writer_t *out,
                                                       panda_error_t *err);

//  An Entry arrived for this session: whether its schema is in the target
//  set (else the session fails: "UnmatchedTargetSet"). Marks the session
//  established.
bool panda_repl_session_accepts (panda_repl_session_t *self, const char *schema_id);

//  The logs the peer lacks, known once the heights have been compared
//  (*count 0 and NULL before that, or when the peer lacks nothing).
//  Borrowed until the session is destroyed. sends_ready says whether the
//  list is final and the caller should stream it.
bool panda_repl_session_sends_ready (const panda_repl_session_t *self);
const panda_repl_send_t *panda_repl_session_sends (const panda_repl_session_t *self, size_t *count);

//  The caller has sent every entry of the list: write our SyncDone.
//  Returns the state after it.
PANDA_NODISCARD panda_err_t panda_repl_session_sent (panda_repl_session_t *self, panda_cbor_writer_t *out,
                                                     panda_error_t *err);

//  Leave live mode from our side (SyncDone(false)); the session is done.
PANDA_NODISCARD panda_err_t panda_repl_session_stop_live (panda_repl_session_t *self,
                                                          panda_cbor_writer_t *out, panda_error_t *err);

//  Whether we asked for live mode.
bool panda_repl_session_wants_live (const panda_repl_session_t *self);

//  Whether our SyncDone was sent, and whether the peer's was received.
bool panda_repl_session_local_done (const panda_repl_session_t *self);
bool panda_repl_session_remote_done (const panda_repl_session_t *self);

#ifdef __cplusplus
}
#endif
#endif
