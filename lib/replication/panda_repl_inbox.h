/*  panda_repl_inbox.h - entries received from other nodes, on their way to
    ingest in an order storage can accept.

    Storage accepts an entry only after its backlink and the operations its
    `previous` names. Peers send entries causally ordered, but ingest spreads
    them over the verify pool, which may reorder entries of different logs.
    The inbox therefore releases an entry only when none of its
    dependencies is still in the inbox (waiting, in flight, or deferred).
    A DELETE also depends on the held entries of its schema that arrived
    before it, so that a concurrent UPDATE the sender stored first is not
    refused here as an update of a deleted document.
    One inbox serves every peer, so an entry that depends on another peer's
    entry in flight waits for it too, and an entry offered by two peers at
    once travels once.

    An entry whose schema the node does not know yet is deferred: it and
    everything depending on it wait until the schema is known (or the
    inbox drops them). Bounded by entries and bytes; the replicate actor
    grants each peer credit from what the inbox can still take.           */
#ifndef PANDA_REPL_INBOX_H_INCLUDED
#define PANDA_REPL_INBOX_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "panda/panda_err.h"
#include "panda/panda_hash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _panda_repl_inbox_t panda_repl_inbox_t;

//  An inbox for at most max_entries entries and max_bytes bytes (entry +
//  operation). Caller owns the result; NULL on OOM.
panda_repl_inbox_t *panda_repl_inbox_new (size_t max_entries, size_t max_bytes);

void panda_repl_inbox_destroy (panda_repl_inbox_t **self_p);

//  Take an entry received from peer (the caller's number for it). Only the
//  format is read here (hash, backlink, previous, schema id); signatures are
//  the verify pool's. Errors: PANDA_ERR_DECODE and friends for malformed
//  bytes, PANDA_ERR_LIMIT when the inbox is full (the peer overran its
//  credit), PANDA_ERR_NOMEM. An entry already in the inbox is accepted and
//  ignored (*added false).
PANDA_NODISCARD panda_err_t panda_repl_inbox_add (panda_repl_inbox_t *self, uint32_t peer,
                                                  const uint8_t *entry, size_t entry_len,
                                                  const uint8_t *operation, size_t op_len, bool *added,
                                                  panda_error_t *err);

//  An entry on its way to ingest. Pointers are borrowed until its outcome
//  is reported.
typedef struct {
    uint64_t ticket; //  names it in done / defer / failed
    uint32_t peer; //  who sent it first
    const panda_hash_t *hash;
    const char *schema_id;
    const uint8_t *entry, *operation;
    size_t entry_len, op_len;
} panda_repl_ready_t;

//  The next entry that may go to ingest now (arrival order among those
//  whose dependencies have all left the inbox); it is in flight until its
//  outcome. False when none is ready.
bool panda_repl_inbox_next (panda_repl_inbox_t *self, panda_repl_ready_t *ready);

//  The entry + operation bytes of a held ticket (0 if unknown).
size_t panda_repl_inbox_ticket_bytes (panda_repl_inbox_t *self, uint64_t ticket);

//  Stored (or already stored): it leaves, entries waiting on it may go.
//  Unknown tickets are ignored. Returns the peer it came from, or
//  UINT32_MAX.
uint32_t panda_repl_inbox_done (panda_repl_inbox_t *self, uint64_t ticket);

//  Its schema is not known yet: it waits for panda_repl_inbox_schema.
void panda_repl_inbox_defer (panda_repl_inbox_t *self, uint64_t ticket);

//  It was refused: it leaves, and so does everything still waiting on it
//  (transitively), which could never be stored. Returns its peer.
uint32_t panda_repl_inbox_failed (panda_repl_inbox_t *self, uint64_t ticket);

//  schema_id is known now: its deferred entries may go again. Returns how
//  many were woken.
size_t panda_repl_inbox_schema (panda_repl_inbox_t *self, const char *schema_id);

//  Forget every entry of peer that is not in flight (its session ended),
//  with everything waiting on them. Returns how many left.
size_t panda_repl_inbox_drop_peer (panda_repl_inbox_t *self, uint32_t peer);

//  Entries held (any state) and their bytes; entries held from peer.
size_t panda_repl_inbox_count (const panda_repl_inbox_t *self);
size_t panda_repl_inbox_bytes (const panda_repl_inbox_t *self);
size_t panda_repl_inbox_peer_count (const panda_repl_inbox_t *self, uint32_t peer);

//  Deferred entries, and whether an entry with this hash is held.
size_t panda_repl_inbox_deferred (const panda_repl_inbox_t *self);
bool panda_repl_inbox_holds (const panda_repl_inbox_t *self, const panda_hash_t *hash);

#ifdef __cplusplus
}
#endif
#endif
