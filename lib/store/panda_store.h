/*  panda_store.h - the node's storage of entries and operations (SQLite).

    The store is the last stage of the publish path (spec node-api.md §7.2,
    data-types.md §9). It receives entries that were already decoded and
    signature-checked and their decoded operations, checks them against the
    stored state in the reference order and with the reference messages,
    and writes the accepted ones. A store object is one SQLite connection:
    use it from one thread (the storage actor is the single writer).

    Durability: WAL with synchronous=FULL. A publish is reported successful
    only after its transaction has committed, so it survives power loss.

    Speed: publish_batch validates many items against an in-memory cache of
    authors, log heads, documents and recent operation ids, and commits them
    in one transaction. The common case (next entry of a known log, an
    update of a recently written document) reads nothing from SQLite.      */
#ifndef PANDA_STORE_H_INCLUDED
#define PANDA_STORE_H_INCLUDED

#include "panda/panda_entry.h"
#include "panda/panda_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _panda_store_t panda_store_t;

//  Schema lookup for publishing: the known (materialised, allowed) schema
//  with this id, or NULL ("Schema not found"). Borrowed for the call.
typedef const panda_schema_t *(panda_store_schema_fn) (void *ctx, const char *schema_id);

//  Open or create the database at path (":memory:" for a private in-memory
//  one), migrating its tables to this version. Caller owns the result; NULL
//  with err set (PANDA_ERR_IO) on failure.
panda_store_t *panda_store_open (const char *path, panda_error_t *err);

//  Close the database and free the store; *self_p becomes NULL. Accepts NULL.
void panda_store_destroy (panda_store_t **self_p);

//  synchronous=FULL (the default, durable) or NORMAL (a power loss may drop
//  the last commits; for benchmarks and tests only).
PANDA_NODISCARD panda_err_t panda_store_set_durable (panda_store_t *self, bool full, panda_error_t *err);

//  SQLite page cache of this connection, in KiB (the default, 16 MiB,
//  suits the writer; a reader that streams through the entries once, as
//  the materialiser does, needs little and should not hold a copy of every
//  large blob it reads).
PANDA_NODISCARD panda_err_t panda_store_set_cache_size (panda_store_t *self, int kib, panda_error_t *err);

//  --------------------------------------------------------------------------
//  Publishing

//  The reference message for an UPDATE or DELETE of a deleted document.
//  Replication treats it as a conflict to skip, not a peer's fault: a
//  concurrent UPDATE and DELETE are both valid where they were written.
#define PANDA_STORE_DELETED_MESSAGE "You are trying to update or delete a document which has been deleted"

typedef struct {
    const panda_entry_t *entry; //  decoded and verified
    panda_operation_t *operation; //  decoded (not yet checked against a schema)
    bool check_duplicate; //  replication: an entry already stored is a duplicate, not an error
} panda_store_item_t;

typedef struct {
    panda_err_t code; //  PANDA_OK: stored, or a duplicate
    bool duplicate; //  check_duplicate and already stored: nothing written, nothing else set
    panda_error_t error; //  when code != PANDA_OK: the reference message
    panda_entry_args_t next_args; //  when stored: arguments for the next entry of this log
    panda_hash_t document_id; //  when stored: its document
    int64_t position; //  when stored: arrival number (increases with every stored entry)
} panda_store_result_t;

//  Validate items[0..n) in order (each against the store plus the items
//  before it that were accepted), write every accepted one in one
//  transaction, commit, then fill results[i] for each item. A rejected item
//  changes nothing. Returns PANDA_OK when the transaction committed (items
//  may still have been rejected: see their results); otherwise the error of
//  the whole batch (PANDA_ERR_IO, NOMEM), every result carries it and
//  neither the database nor the cache changed.
PANDA_NODISCARD panda_err_t panda_store_publish_batch (panda_store_t *self, const panda_store_item_t *items,
                                                       size_t n, panda_store_schema_fn *schemas, void *ctx,
                                                       panda_store_result_t *results, panda_error_t *err);

//  One item: PANDA_OK and *next_args, or the item's error in err.
PANDA_NODISCARD panda_err_t panda_store_publish (panda_store_t *self, const panda_entry_t *entry,
                                                 panda_operation_t *operation, panda_store_schema_fn *schemas,
                                                 void *ctx, panda_entry_args_t *next_args,
                                                 panda_error_t *err);

//  nextArgs (node-api.md §6.1) for public_key and a document view id of
//  count ids (NULL/0: a new document). Errors: "Previous operation <id> not
//  found in store" (PANDA_ERR_NOT_FOUND), "Operations in passed document
//  view id originate from different documents", "Document is deleted",
//  "Max sequence number reached for public key <pk> log <n>"
//  (PANDA_ERR_INVALID), PANDA_ERR_IO.
PANDA_NODISCARD panda_err_t panda_store_next_args (panda_store_t *self, const panda_public_key_t *public_key,
                                                   const panda_hash_t *view_id, size_t count,
                                                   panda_entry_args_t *args, panda_error_t *err);

//  --------------------------------------------------------------------------
//  Reading (for the materialiser)

//  Called once per operation; a non-OK return stops the walk and is returned.
typedef panda_err_t (panda_store_operation_fn) (void *ctx, const panda_hash_t *operation_id, int64_t position,
                                                const uint8_t *operation, size_t len);

//  Every operation of document_id in arrival order. PANDA_ERR_NOT_FOUND
//  "Document <id> not found in store" if there is no such document.
PANDA_NODISCARD panda_err_t panda_store_document_operations (panda_store_t *self,
                                                             const panda_hash_t *document_id,
                                                             panda_store_operation_fn *fn, void *ctx,
                                                             panda_error_t *err);

//  The document of a stored operation. PANDA_ERR_NOT_FOUND "Previous
//  operation <id> not found in store" otherwise.
PANDA_NODISCARD panda_err_t panda_store_operation_document (panda_store_t *self,
                                                            const panda_hash_t *operation_id,
                                                            panda_hash_t *document_id, panda_error_t *err);

//  Whether document_id has a DELETE; PANDA_ERR_NOT_FOUND if unknown.
PANDA_NODISCARD panda_err_t panda_store_document_deleted (panda_store_t *self,
                                                          const panda_hash_t *document_id, bool *deleted,
                                                          panda_error_t *err);

//  Called once per changed document with the position of its latest entry.
typedef panda_err_t (panda_store_document_fn) (void *ctx, const panda_hash_t *document_id, int64_t position);

//  Documents with an entry stored after position `since` (0: all), ordered
//  by the position of their latest entry.
PANDA_NODISCARD panda_err_t panda_store_documents_changed (panda_store_t *self, int64_t since,
                                                           panda_store_document_fn *fn, void *ctx,
                                                           panda_error_t *err);

//  One stored entry, as the materialiser reads them. Pointers are borrowed
//  for the call only.
typedef struct {
    int64_t position; //  arrival number (entries.id)
    const panda_hash_t *operation_id; //  = entry hash
    const panda_hash_t *document_id;
    const panda_public_key_t *public_key; //  author of the entry
    const uint8_t *operation; //  operation bytes
    size_t len;
} panda_store_stored_t;

//  Called once per entry; a non-OK return stops the walk and is returned.
typedef panda_err_t (panda_store_entry_fn) (void *ctx, const panda_store_stored_t *stored);

//  Every stored entry with position > since, in position order, at most max
//  of them. *count (if not NULL) gets the number handed to fn.
PANDA_NODISCARD panda_err_t panda_store_entries_since (panda_store_t *self, int64_t since, size_t max,
                                                       panda_store_entry_fn *fn, void *ctx, size_t *count,
                                                       panda_error_t *err);

//  --------------------------------------------------------------------------
//  Replication (node-api §9.5; panda_store_sync.c)

//  Called once per log with its latest seq num (its height).
typedef panda_err_t (panda_store_log_fn) (void *ctx, const panda_public_key_t *public_key, uint64_t log_id,
                                          uint64_t seq_num);

//  Every log (with entries) of every document of schema_id, deleted
//  documents included (their tombstones replicate too). In no order.
PANDA_NODISCARD panda_err_t panda_store_schema_logs (panda_store_t *self, const char *schema_id,
                                                     panda_store_log_fn *fn, void *ctx, panda_error_t *err);

//  Every log (with entries) of one document; none if it is not stored.
PANDA_NODISCARD panda_err_t panda_store_document_logs (panda_store_t *self, const panda_hash_t *document_id,
                                                       panda_store_log_fn *fn, void *ctx, panda_error_t *err);

//  Called once per entry position.
typedef panda_err_t (panda_store_position_fn) (void *ctx, int64_t position);

//  The positions of the entries of (public_key, log_id) whose seq num is
//  above after_seq, in seq order. None if the log is unknown.
PANDA_NODISCARD panda_err_t panda_store_log_positions (panda_store_t *self,
                                                       const panda_public_key_t *public_key, uint64_t log_id,
                                                       uint64_t after_seq, panda_store_position_fn *fn,
                                                       void *ctx, panda_error_t *err);

//  A stored entry as replication sends it. Pointers are borrowed for the
//  call only.
typedef struct {
    int64_t position;
    const panda_hash_t *hash; //  entry hash = operation id
    const panda_hash_t *document_id;
    const char *schema_id;
    const uint8_t *entry, *operation;
    size_t entry_len, operation_len;
} panda_store_raw_t;
typedef panda_err_t (panda_store_raw_fn) (void *ctx, const panda_store_raw_t *raw);

//  The entry at position, handed to fn; *found false (and fn not called)
//  if there is none (never stored, or purged since).
PANDA_NODISCARD panda_err_t panda_store_entry_at (panda_store_t *self, int64_t position,
                                                  panda_store_raw_fn *fn, void *ctx, bool *found,
                                                  panda_error_t *err);

//  --------------------------------------------------------------------------
//  Purging

//  Delete the entries of the documents document_ids[0..n) in one
//  transaction (unused blobs and pieces, node-api §1.6; aquadoggo's
//  purge): afterwards nothing names their operations ("Previous operation
//  <id> not found in store"), their logs stay so those log ids are never
//  given out again ("Entry's claimed log id of X is already in use"), and
//  arrival positions of later entries stay above every purged one. Ids
//  that are not stored documents (or already purged) are skipped.
//  *entries (may be NULL) gets the number of entries deleted. On failure
//  (PANDA_ERR_IO, NOMEM) nothing changed.
PANDA_NODISCARD panda_err_t panda_store_purge (panda_store_t *self, const panda_hash_t *document_ids,
                                               size_t n, size_t *entries, panda_error_t *err);

//  Row counts, for tests and monitoring.
typedef struct {
    int64_t authors, logs, documents, entries;
} panda_store_counts_t;
PANDA_NODISCARD panda_err_t panda_store_counts (panda_store_t *self, panda_store_counts_t *counts,
                                                panda_error_t *err);

//  Number of entries stored after position since (those the views have
//  yet to materialise when since is their position). Walks only those.
PANDA_NODISCARD panda_err_t panda_store_count_since (panda_store_t *self, int64_t since, int64_t *count,
                                                     panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
