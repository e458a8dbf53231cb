/*  panda_recon_int.h - private: what panda_recon.c (sets, exchange) and
    panda_recon_wire.c (strict decoder, budgeted encoder) share.           */
#ifndef PANDA_RECON_INT_H_INCLUDED
#define PANDA_RECON_INT_H_INCLUDED

#include "panda_recon.h"
#include "panda_cbor.h"

typedef struct {
    uint8_t key[PANDA_RECON_KEY_SIZE];
    uint64_t seq;
} panda_recon_item_t;

//  An exclusive upper bound: a key (zero-padded) or infinity.
typedef struct {
    uint8_t key[PANDA_RECON_KEY_SIZE];
    bool infinite;
} panda_recon_bound_t;

//  One decoded range; its lower bound is the previous range's upper bound
//  (the zero key for the first).
typedef struct {
    panda_recon_bound_t upper;
    int mode; //  PANDA_RECON_SKIP ...
    const uint8_t *fingerprint; //  FINGERPRINT: 16 bytes borrowed from the input
    size_t first_item; //  ITEMS / ANSWER: items[first_item .. + item_count)
    size_t item_count;
} panda_recon_range_t;

typedef struct {
    panda_recon_range_t *ranges;
    size_t range_count, range_cap;
    panda_recon_item_t *items;
    size_t item_count, item_cap;
    bool final; //  no FINGERPRINT and no ITEMS range
} panda_recon_payload_t;

//  Decode data strictly into payload (zeroed by the caller); on failure
//  everything is released. panda_recon_payload_free releases a success.
PANDA_NODISCARD panda_err_t panda_recon_payload_decode (panda_recon_payload_t *payload, const uint8_t *data,
                                                        size_t len, const panda_recon_limits_t *limits,
                                                        panda_error_t *err);
void panda_recon_payload_free (panda_recon_payload_t *payload);

//  An outgoing payload under construction. Skips are held back, so that
//  consecutive ones merge and a trailing one disappears.
typedef struct {
    panda_cbor_writer_t body; //  the ranges, without the array head
    const panda_recon_limits_t *limits;
    size_t ranges;
    size_t items;
    bool final; //  no FINGERPRINT / ITEMS range written
    bool skip_pending;
    panda_recon_bound_t skip_bound;
} panda_recon_out_t;

void panda_recon_out_init (panda_recon_out_t *out, const panda_recon_limits_t *limits);
void panda_recon_out_free (panda_recon_out_t *out);

//  Encoded sizes, to check the budget before writing.
size_t panda_recon_bound_size (const panda_recon_bound_t *bound);
size_t panda_recon_item_size (const uint8_t *key, uint64_t seq);
size_t panda_recon_head_size (uint64_t arg);

//  True if extra bytes, items and ranges still fit, keeping room for one
//  held-back skip, the closing fingerprint and the array head.
bool panda_recon_out_fits (const panda_recon_out_t *out, size_t bytes, size_t items, size_t ranges);

void panda_recon_out_skip (panda_recon_out_t *out, const panda_recon_bound_t *upper);
void panda_recon_out_fingerprint (panda_recon_out_t *out, const panda_recon_bound_t *upper,
                                  const uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE]);
//  Start an ITEMS or ANSWER range of count items; then count out_item calls.
void panda_recon_out_list (panda_recon_out_t *out, const panda_recon_bound_t *upper, int mode, size_t count);
void panda_recon_out_item (panda_recon_out_t *out, const uint8_t *key, uint64_t seq);

//  The finished payload (caller frees). PANDA_ERR_NOMEM if a write failed.
PANDA_NODISCARD panda_err_t panda_recon_out_finish (panda_recon_out_t *out, uint8_t **data, size_t *len,
                                                    panda_error_t *err);

//  The shortest bound b with a < b <= next (a < next).
void panda_recon_bound_between (const uint8_t *a, const uint8_t *next, panda_recon_bound_t *bound);

//  -1, 0, 1: key against bound (infinity is above every key).
int panda_recon_key_cmp_bound (const uint8_t *key, const panda_recon_bound_t *bound);

#endif
