/*  panda_entry.h - Bamboo entries: encode + sign, strict decode, verify.

    An entry is the signed header of one operation (spec data-types.md §3):
    tag, public key, log id, seq num, skiplink, backlink, payload size,
    payload hash, signature. panda_entry_t keeps the raw bytes exactly as
    received next to the decoded fields: the entry hash (= operation id) is
    computed over those bytes and they are stored and forwarded unchanged.

    Decoding follows the reference order and messages of §3.6 and is stricter
    in three places (§11), each with its own message: the tag byte must be 0,
    YASMF hashes must have the length byte 0x20, and small-order or
    non-canonical public keys are refused at verification.

    Decode and verify are separate steps so a node can decode in one stage
    and check signatures in another. The curve-point check of the public key
    is done by verification (libsodium checks it as part of the signature,
    at no extra cost); decode only checks it on its failure paths, so that an
    entry that fails to decode reports the key error first, as the reference
    does. The decoded fields of an entry that was not verified are untrusted.

    The panda_entry_check_* functions are the log-integrity rules of §9 that
    need stored state, written as pure functions over what the caller looked
    up (latest seq num, hashes of the backlink and skiplink entries, ...).   */
#ifndef PANDA_ENTRY_H_INCLUDED
#define PANDA_ENTRY_H_INCLUDED

#include "panda/panda_hash.h"
#include "panda/panda_keypair.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_ENTRY_MIN_SIZE 134 //  seq 1, small log id and payload
#define PANDA_ENTRY_MAX_SIZE 226 //  both links, 9-byte varu64s
#define PANDA_ENTRY_TAG 0x00 //  the only tag value we accept

typedef struct _panda_entry_t panda_entry_t;

//  Encode and sign an entry for len bytes of operation, byte-identical to
//  p2panda-js signAndEncodeEntry. backlink must be given exactly when
//  seq_num > 1, skiplink exactly when panda_lipmaa_skiplink_required
//  (seq_num); either may be NULL otherwise. Caller owns the result; NULL and
//  err filled on bad arguments (PANDA_ERR_INVALID) or out of memory.
panda_entry_t *panda_entry_new_signed (const panda_keypair_t *keypair, uint64_t log_id, uint64_t seq_num,
                                       const panda_hash_t *backlink, const panda_hash_t *skiplink,
                                       const uint8_t *operation, size_t len, panda_error_t *err);

//  Decode len bytes (stateless checks 1-9 of §3.6, strict, trailing bytes
//  refused). The signature is not checked: call panda_entry_verify. On
//  success *self_p gets a new entry the caller owns (a copy of the bytes);
//  on failure *self_p is NULL and err holds the reference message.
PANDA_NODISCARD panda_err_t panda_entry_decode (panda_entry_t **self_p, const uint8_t *bytes, size_t len,
                                                panda_error_t *err);

//  Check the signature (§3.6 step 10) and that the public key is a usable
//  Ed25519 key. Errors (PANDA_ERR_SIGNATURE): "signature invalid", "Could
//  not decode author public key from bytes", "author public key is a
//  small-order or non-canonical point".
PANDA_NODISCARD panda_err_t panda_entry_verify (const panda_entry_t *self, panda_error_t *err);

//  panda_entry_decode followed by panda_entry_verify; *self_p as for decode.
PANDA_NODISCARD panda_err_t panda_entry_decode_verified (panda_entry_t **self_p, const uint8_t *bytes,
                                                         size_t len, panda_error_t *err);

//  Free the entry and set *self_p to NULL. Accepts NULL.
void panda_entry_destroy (panda_entry_t **self_p);

//  Accessors. Pointers are borrowed and live as long as the entry.
const uint8_t *panda_entry_bytes (const panda_entry_t *self, size_t *len);
const panda_hash_t *panda_entry_hash (const panda_entry_t *self); //  YASMF hash of the bytes = operation id
panda_public_key_t panda_entry_public_key (const panda_entry_t *self);
uint64_t panda_entry_log_id (const panda_entry_t *self);
uint64_t panda_entry_seq_num (const panda_entry_t *self);
const panda_hash_t *panda_entry_backlink (const panda_entry_t *self); //  NULL at seq 1
const panda_hash_t *panda_entry_skiplink (const panda_entry_t *self); //  NULL when not required (omitted)
uint64_t panda_entry_payload_size (const panda_entry_t *self);
const panda_hash_t *panda_entry_payload_hash (const panda_entry_t *self);
const uint8_t *panda_entry_signature (const panda_entry_t *self); //  PANDA_SIGNATURE_SIZE bytes

//  §9 step 5: the entry's seq num must follow latest_seq_num, the seq num of
//  the latest stored entry of (public key, log id), or 0 for an empty log.
//  Errors (PANDA_ERR_INVALID): "Entry's claimed seq num of X does not match
//  expected seq num of Y for given public key and log", "Max sequence
//  number reached for public key <pk> log <id>".
PANDA_NODISCARD panda_err_t panda_entry_check_seq_num (const panda_entry_t *self, uint64_t latest_seq_num,
                                                       panda_error_t *err);

//  §9 step 7: operation bytes against the payload hash, then the payload
//  size. Errors (PANDA_ERR_INVALID): "operation needs to match payload hash
//  of encoded entry", "operation needs to match payload size of encoded entry".
PANDA_NODISCARD panda_err_t panda_entry_check_payload (const panda_entry_t *self, const uint8_t *operation,
                                                       size_t len, panda_error_t *err);

//  §9 steps 6 and 8: the hashes of the stored entries at seq - 1 and at
//  lipmaa(seq) of the same log (NULL when not found; unused when the entry
//  has no such link) against the entry's backlink and skiplink. Errors:
//  "Expected skiplink entry not found in store: public key <pk>, log id N,
//  seq num M" (PANDA_ERR_NOT_FOUND; "backlink" likewise, our own text),
//  "claimed hash does not match backlink entry", "claimed hash does not
//  match skiplink entry" (PANDA_ERR_INVALID), checked in that order.
PANDA_NODISCARD panda_err_t panda_entry_check_links (const panda_entry_t *self,
                                                     const panda_hash_t *backlink_entry_hash,
                                                     const panda_hash_t *skiplink_entry_hash,
                                                     panda_error_t *err);

//  §9 step 12: log id against the document of the operation. existing_log_id
//  is the author's log for document_id (NULL if none); log_id_in_use says
//  whether the author already has entries in the entry's log id. Errors
//  (PANDA_ERR_INVALID): "Entry's claimed log id of X does not match existing
//  log id of Y for given public key and document id", "Expected log not
//  found in store for: public key <pk>, document id <id>", "Entry's claimed
//  log id of X is already in use for given public key".
PANDA_NODISCARD panda_err_t panda_entry_check_log_id (const panda_entry_t *self,
                                                      const panda_hash_t *document_id,
                                                      const uint64_t *existing_log_id, bool log_id_in_use,
                                                      panda_error_t *err);

//  §9 step 13: a next seq num must exist after this entry. Error
//  (PANDA_ERR_INVALID): "Max sequence number reached for public key <pk> log <id>".
PANDA_NODISCARD panda_err_t panda_entry_check_next_seq_num (const panda_entry_t *self, panda_error_t *err);

//  Arguments for the next entry of a log (§3.8).
typedef struct {
    uint64_t log_id;
    uint64_t seq_num;
    bool has_backlink;
    panda_hash_t backlink;
    bool has_skiplink;
    panda_hash_t skiplink;
} panda_entry_args_t;

//  Stored-entry lookup for panda_entry_next_args: write the hash of the
//  entry at seq_num of the log into *hash. Returns PANDA_OK, or an error
//  (with err filled) when it is missing or the store fails.
typedef panda_err_t (panda_entry_lookup_fn) (void *ctx, uint64_t seq_num, panda_hash_t *hash,
                                             panda_error_t *err);

//  Next entry arguments of log log_id of public_key, whose latest entry has
//  latest_seq_num (0 = empty log: seq 1, no links) and hash latest_hash.
//  lookup is called only when a skiplink is needed, for lipmaa(seq). Errors:
//  "Max sequence number reached for public key <pk> log <id>"
//  (PANDA_ERR_INVALID) and those of lookup.
PANDA_NODISCARD panda_err_t panda_entry_next_args (panda_entry_args_t *args,
                                                   const panda_public_key_t *public_key, uint64_t log_id,
                                                   uint64_t latest_seq_num, const panda_hash_t *latest_hash,
                                                   panda_entry_lookup_fn *lookup, void *ctx,
                                                   panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
