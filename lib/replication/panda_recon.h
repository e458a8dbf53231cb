/*  panda_recon.h - range-based set reconciliation of log heights (RBSR).

    Two nodes find the logs whose heights differ without sending all of
    them. An item is a log: key = (public key, log id), ordered by the key's
    40 bytes pk ‖ log_id big-endian; value = seq, the log's height (0 never
    occurs: 0 means "absent"). Item hash = BLAKE3 (pk ‖ log_id BE ‖ seq BE);
    BLAKE3 because it is p2panda's hash, already in libpanda, so a client
    needs nothing new. A range's fingerprint is the first 16 bytes of
    BLAKE3 (Σ item hashes mod 2^256, 32 bytes little-endian ‖ count u64 BE),
    as in negentropy; a sealed set keeps prefix sums, so any range costs
    two binary searches, one 256-bit subtraction and one hash.

    Payload (one CBOR array; the message codec carries it opaquely as
    [12, session_id, payload]): consecutive ranges, in key order, from the
    smallest key up; each range ends at its exclusive upper bound:

        payload = [range, ...]               //  [] = nothing left to resolve
        range   = [bound, 0]                 //  skip: agreed or resolved
                | [bound, 1, bytes(16)]      //  fingerprint of the sender's items
                | [bound, 2, [item, ...]]    //  items: all the sender's logs
                                             //  in the range; answer them
                | [bound, 3, [item, ...]]    //  answer: the sender's height of
                                             //  every log where the two differ
                                             //  (seq 0 = absent); no reply
        bound   = null                       //  infinity
                | bytes(1..40)               //  a key, trailing zero bytes cut
                                             //  (so never empty, never ending
                                             //  in 0x00; shorter = zero-padded)
        item    = [bytes(32) pk, log_id, seq]

    Bounds strictly increase; keys beyond the last bound are skipped. Item
    lists are sorted by key, without duplicates, inside their range. Skips
    are never consecutive nor last (canonical). An answer is never empty;
    in an items list seq >= 1.

    Receiving a range: skip -> skip. Fingerprint equal to ours -> skip; else
    fewer than PANDA_RECON_ITEM_THRESHOLD own logs in it -> items; else
    PANDA_RECON_SPLIT fingerprints over equal shares of our logs. Items ->
    both the peer's and our heights for the range are now known here: the
    differing logs are recorded and answered (skip if none). Answer ->
    recorded, skip. A reply that would exceed the limits stops where the
    budget ends and covers the rest of the key space with one fingerprint.

    Termination: a payload is final when it holds no fingerprint and no
    items range (only answers and skips; [] is final). Its sender is done
    once it is sent; its receiver records it and is done without replying.
    Every payload that is not final gets a reply. So an unchanged pair
    costs one round trip: [[null, 1, fp]] (21 bytes) and [] (1 byte).

    Weak spot: additive fingerprints can be forced to collide by someone
    choosing items (heights) on purpose; a colliding range is taken as
    agreed. That only delays data (other peers, or the session layer's full
    log-height exchange every Nth session, deliver it), never corrupts it.   */
#ifndef PANDA_RECON_H_INCLUDED
#define PANDA_RECON_H_INCLUDED

#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_RECON_KEY_SIZE 40 //  pk ‖ log_id big-endian
#define PANDA_RECON_FINGERPRINT_SIZE 16
#define PANDA_RECON_SPLIT 16 //  fingerprints a differing range splits into
#define PANDA_RECON_ITEM_THRESHOLD 32 //  below this many logs, send them instead

//  Range modes on the wire.
#define PANDA_RECON_SKIP 0
#define PANDA_RECON_FINGERPRINT 1
#define PANDA_RECON_ITEMS 2
#define PANDA_RECON_ANSWER 3

//  Bounds of one exchange, checked on every incoming payload and respected
//  by every outgoing one (both sides must use the same or larger limits).
typedef struct {
    size_t max_bytes; //  payload bytes (default 256 KiB, at least 4 KiB)
    size_t max_ranges; //  ranges per payload (default 4096, at least 64)
    size_t max_items; //  items per payload, all lists together (default 4096, at least 64)
    size_t max_rounds; //  payloads one side accepts in one exchange (default 64)
} panda_recon_limits_t;

//  A log where the two sides differ: this side's and the peer's height
//  (0 = absent). The peer needs entries local_seq > remote_seq ones from
//  remote_seq + 1.
typedef struct {
    uint8_t public_key[32];
    uint64_t log_id;
    uint64_t local_seq;
    uint64_t remote_seq;
} panda_recon_diff_t;

typedef struct _panda_recon_set_t panda_recon_set_t;
typedef struct _panda_recon_t panda_recon_t;

//  The default limits.
panda_recon_limits_t panda_recon_limits_default (void);

//  An empty, unsealed set of logs. NULL on OOM.
panda_recon_set_t *panda_recon_set_new (void);

void panda_recon_set_destroy (panda_recon_set_t **self_p);

//  Add a log at height seq >= 1, in any order, before sealing.
PANDA_NODISCARD panda_err_t panda_recon_set_add (panda_recon_set_t *self, const uint8_t public_key[32],
                                                 uint64_t log_id, uint64_t seq, panda_error_t *err);

//  Sort, reject duplicate logs (PANDA_ERR_INVALID), hash and build the
//  prefix sums: O(n log n). The set is read-only afterwards.
PANDA_NODISCARD panda_err_t panda_recon_set_seal (panda_recon_set_t *self, panda_error_t *err);

size_t panda_recon_set_count (const panda_recon_set_t *self);

//  Fingerprint of the whole sealed set (false if not sealed).
bool panda_recon_set_fingerprint (const panda_recon_set_t *self, uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE]);

//  Height of a log in the sealed set, 0 if absent.
uint64_t panda_recon_set_height (const panda_recon_set_t *self, const uint8_t public_key[32],
                                 uint64_t log_id);

//  Log i (0 <= i < count) of a sealed set, in key order: by public key,
//  then log id.
void panda_recon_set_get (const panda_recon_set_t *self, size_t i, uint8_t public_key[32], uint64_t *log_id,
                          uint64_t *seq);

//  One side of one exchange over a sealed set (borrowed: keep it alive and
//  unchanged). limits NULL = defaults. NULL with err on OOM, an unsealed
//  set or limits below the minimums.
panda_recon_t *panda_recon_new (const panda_recon_set_t *set, const panda_recon_limits_t *limits,
                                panda_error_t *err);

void panda_recon_destroy (panda_recon_t **self_p);

//  The first payload of the initiator: one fingerprint of the whole set.
//  Caller owns *out (free).
PANDA_NODISCARD panda_err_t panda_recon_initiate (panda_recon_t *self, uint8_t **out, size_t *out_len,
                                                  panda_error_t *err);

//  Process a payload from the peer. *out is the reply to send (caller
//  frees), or NULL when nothing is to be sent (the incoming one was final).
//  Malformed or over-limit input: PANDA_ERR_DECODE / _INVALID / _LIMIT,
//  nothing sent; after any error the exchange is over (destroy it).
PANDA_NODISCARD panda_err_t panda_recon_respond (panda_recon_t *self, const uint8_t *in, size_t in_len,
                                                 uint8_t **out, size_t *out_len, panda_error_t *err);

//  True once the termination rule above says this side is finished.
bool panda_recon_done (const panda_recon_t *self);

//  Logs found to differ so far, sorted by key, each once (borrowed; valid
//  until the next respond or destroy). Complete once done.
const panda_recon_diff_t *panda_recon_differences (panda_recon_t *self, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
