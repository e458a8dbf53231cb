/*  panda_recon_wire.c - the reconciliation payload: strict decoder and
    budgeted encoder. See panda_recon.h for the layout.

    The decoder checks every rule before the exchange looks at anything, so
    a rejected payload changes no state; the encoder knows each range's
    exact size before writing it, so no reply exceeds the limits.          */
#include "panda_recon_int.h"
#include "panda_grow.h"

#include <stdlib.h>
#include <string.h>

//  Room kept free by panda_recon_out_fits: one held-back skip (array head,
//  a 42-byte bound, mode), the closing [null, 1, fp] and the array head.
#define S_RESERVE_BYTES (1 + 42 + 1 + 20 + 9)
#define S_RESERVE_RANGES 2

int
panda_recon_key_cmp_bound (const uint8_t *key, const panda_recon_bound_t *bound)
{
    if (bound->infinite)
        return -1;
    int c = memcmp (key, bound->key, PANDA_RECON_KEY_SIZE);
    return c < 0 ? -1 : c > 0;
}

static int
s_bound_cmp (const panda_recon_bound_t *a, const panda_recon_bound_t *b)
{
    if (a->infinite || b->infinite)
        return (int) a->infinite - (int) b->infinite;
    return memcmp (a->key, b->key, PANDA_RECON_KEY_SIZE);
}

void
panda_recon_bound_between (const uint8_t *a, const uint8_t *next, panda_recon_bound_t *bound)
{
    //  next[common] > a[common] >= 0, so the bound never ends in a zero byte.
    size_t common = 0;
    while (common < PANDA_RECON_KEY_SIZE - 1 && a[common] == next[common])
        common++;
    memset (bound, 0, sizeof *bound);
    memcpy (bound->key, next, common + 1);
}

//  Length of a bound's key with trailing zero bytes cut.
static size_t
s_bound_len (const panda_recon_bound_t *bound)
{
    size_t len = PANDA_RECON_KEY_SIZE;
    while (len > 0 && bound->key[len - 1] == 0)
        len--;
    return len;
}

size_t
panda_recon_head_size (uint64_t arg)
{
    return arg < 24 ? 1 : arg <= 0xff ? 2 : arg <= 0xffff ? 3 : arg <= 0xffffffffu ? 5 : 9;
}

size_t
panda_recon_bound_size (const panda_recon_bound_t *bound)
{
    if (bound->infinite)
        return 1;
    size_t len = s_bound_len (bound);
    return panda_recon_head_size (len) + len;
}

static uint64_t
s_log_id (const uint8_t *key)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | key[32 + i];
    return v;
}

size_t
panda_recon_item_size (const uint8_t *key, uint64_t seq)
{
    return 1 + 2 + 32 + panda_recon_head_size (s_log_id (key)) + panda_recon_head_size (seq);
}

//  ---------------------------------------------------------------- decoder

static panda_err_t
s_read (panda_cbor_reader_t *r, panda_cbor_head_t *head, uint8_t major, const char *what, panda_error_t *err)
{
    if (panda_cbor_read_head (r, head, err))
        return panda_error_prefix (err, "recon payload: %s: ", what);
    if (head->major != major) {
        char got[64];
        return panda_error_set (err, PANDA_ERR_DECODE, "recon payload: %s: unexpected %s at byte %zu", what,
                                panda_cbor_head_describe (head, got, sizeof got), head->offset);
    }
    return PANDA_OK;
}

static panda_err_t
s_read_bound (panda_cbor_reader_t *r, panda_recon_bound_t *bound, size_t index, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (r, &head, err))
        return panda_error_prefix (err, "recon payload: range %zu bound: ", index);
    memset (bound, 0, sizeof *bound);
    if (head.major == PANDA_CBOR_SIMPLE && head.info == PANDA_CBOR_NULL) {
        bound->infinite = true;
        return PANDA_OK;
    }
    if (head.major != PANDA_CBOR_BYTES || head.arg < 1 || head.arg > PANDA_RECON_KEY_SIZE)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "recon payload: range %zu bound is not null or 1 to 40 bytes", index);
    const uint8_t *data;
    if (panda_cbor_read_payload (r, head.arg, &data, err))
        return panda_error_prefix (err, "recon payload: range %zu bound: ", index);
    if (data[head.arg - 1] == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "recon payload: range %zu bound ends in a zero byte",
                                index);
    memcpy (bound->key, data, (size_t) head.arg);
    return PANDA_OK;
}

static panda_err_t
s_read_item (panda_cbor_reader_t *r, panda_recon_item_t *item, size_t index, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (s_read (r, &head, PANDA_CBOR_ARRAY, "item", err))
        return err ? err->code : PANDA_ERR_DECODE;
    if (head.arg != 3)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "recon payload: range %zu: an item has %llu fields, not 3", index,
                                (unsigned long long) head.arg);
    if (s_read (r, &head, PANDA_CBOR_BYTES, "item public key", err))
        return err ? err->code : PANDA_ERR_DECODE;
    if (head.arg != 32)
        return panda_error_set (err, PANDA_ERR_DECODE, "recon payload: range %zu: public key of %llu bytes",
                                index, (unsigned long long) head.arg);
    const uint8_t *pk;
    if (panda_cbor_read_payload (r, 32, &pk, err))
        return panda_error_prefix (err, "recon payload: ");
    memcpy (item->key, pk, 32);
    if (s_read (r, &head, PANDA_CBOR_UINT, "item log id", err))
        return err ? err->code : PANDA_ERR_DECODE;
    for (int i = 0; i < 8; i++)
        item->key[32 + i] = (uint8_t) (head.arg >> (56 - 8 * i));
    if (s_read (r, &head, PANDA_CBOR_UINT, "item seq", err))
        return err ? err->code : PANDA_ERR_DECODE;
    item->seq = head.arg;
    return PANDA_OK;
}

//  The list of range index: sorted, unique, inside [lower, upper).
static panda_err_t
s_read_list (panda_recon_payload_t *p, panda_cbor_reader_t *r, panda_recon_range_t *range,
             const panda_recon_bound_t *lower, bool has_lower, size_t index,
             const panda_recon_limits_t *limits, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (s_read (r, &head, PANDA_CBOR_ARRAY, "item list", err))
        return err ? err->code : PANDA_ERR_DECODE;
    if (head.arg > limits->max_items - p->item_count)
        return panda_error_set (err, PANDA_ERR_LIMIT, "recon payload: more than %zu items",
                                limits->max_items);
    if (range->mode == PANDA_RECON_ANSWER && head.arg == 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "recon payload: range %zu: empty answer", index);
    range->first_item = p->item_count;
    range->item_count = (size_t) head.arg;
    if (!panda_grow ((void **) &p->items, &p->item_cap, p->item_count + range->item_count, sizeof *p->items))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < range->item_count; i++) {
        panda_recon_item_t *item = &p->items[p->item_count];
        if (s_read_item (r, item, index, err))
            return err ? err->code : PANDA_ERR_DECODE;
        if (range->mode == PANDA_RECON_ITEMS && item->seq == 0)
            return panda_error_set (err, PANDA_ERR_INVALID, "recon payload: range %zu: item %zu has seq 0",
                                    index, i);
        bool above = i > 0 ? memcmp (item->key, item[-1].key, PANDA_RECON_KEY_SIZE) > 0
                           : !has_lower || memcmp (item->key, lower->key, PANDA_RECON_KEY_SIZE) >= 0;
        if (!above || panda_recon_key_cmp_bound (item->key, &range->upper) >= 0)
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "recon payload: range %zu: item %zu out of order or outside the range",
                                    index, i);
        p->item_count++;
    }
    return PANDA_OK;
}

static panda_err_t
s_decode (panda_recon_payload_t *p, const uint8_t *data, size_t len, const panda_recon_limits_t *limits,
          panda_error_t *err)
{
    if (len > limits->max_bytes)
        return panda_error_set (err, PANDA_ERR_LIMIT, "recon payload: %zu bytes, more than %zu", len,
                                limits->max_bytes);
    panda_cbor_reader_t r;
    panda_cbor_reader_init (&r, data, len);
    panda_cbor_head_t head;
    if (s_read (&r, &head, PANDA_CBOR_ARRAY, "ranges", err))
        return err ? err->code : PANDA_ERR_DECODE;
    if (head.arg > limits->max_ranges)
        return panda_error_set (err, PANDA_ERR_LIMIT, "recon payload: more than %zu ranges",
                                limits->max_ranges);
    size_t count = (size_t) head.arg;
    p->ranges = calloc (count ? count : 1, sizeof *p->ranges);
    if (!p->ranges)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    p->range_cap = count;
    p->final = true;
    for (size_t i = 0; i < count; i++) {
        panda_recon_range_t *range = &p->ranges[i];
        const panda_recon_bound_t *lower = i > 0 ? &p->ranges[i - 1].upper : NULL;
        if (s_read (&r, &head, PANDA_CBOR_ARRAY, "range", err))
            return err ? err->code : PANDA_ERR_DECODE;
        if (head.arg != 2 && head.arg != 3)
            return panda_error_set (err, PANDA_ERR_DECODE, "recon payload: range %zu has %llu fields", i,
                                    (unsigned long long) head.arg);
        uint64_t fields = head.arg;
        if (s_read_bound (&r, &range->upper, i, err))
            return err->code;
        //  The first bound is above the zero key: it is non-empty and ends
        //  in a non-zero byte.
        if (lower && (lower->infinite || s_bound_cmp (&range->upper, lower) <= 0))
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "recon payload: range %zu bound not above range %zu", i, i - 1);
        if (s_read (&r, &head, PANDA_CBOR_UINT, "range mode", err))
            return err ? err->code : PANDA_ERR_DECODE;
        if (head.arg > PANDA_RECON_ANSWER || (head.arg == PANDA_RECON_SKIP) != (fields == 2))
            return panda_error_set (err, PANDA_ERR_DECODE, "recon payload: range %zu: bad mode %llu", i,
                                    (unsigned long long) head.arg);
        range->mode = (int) head.arg;
        if (range->mode == PANDA_RECON_SKIP) {
            if (i > 0 && p->ranges[i - 1].mode == PANDA_RECON_SKIP)
                return panda_error_set (err, PANDA_ERR_INVALID,
                                        "recon payload: consecutive skips at range %zu", i);
            if (i + 1 == count)
                return panda_error_set (err, PANDA_ERR_INVALID, "recon payload: last range is a skip");
        } else if (range->mode == PANDA_RECON_FINGERPRINT) {
            p->final = false;
            if (s_read (&r, &head, PANDA_CBOR_BYTES, "fingerprint", err))
                return err ? err->code : PANDA_ERR_DECODE;
            if (head.arg != PANDA_RECON_FINGERPRINT_SIZE)
                return panda_error_set (err, PANDA_ERR_DECODE,
                                        "recon payload: range %zu: fingerprint of %llu bytes", i,
                                        (unsigned long long) head.arg);
            if (panda_cbor_read_payload (&r, head.arg, &range->fingerprint, err))
                return panda_error_prefix (err, "recon payload: ");
        } else {
            if (range->mode == PANDA_RECON_ITEMS)
                p->final = false;
            if (s_read_list (p, &r, range, lower, lower != NULL, i, limits, err))
                return err ? err->code : PANDA_ERR_DECODE;
        }
        p->range_count++;
    }
    if (panda_cbor_remaining (&r) != 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "recon payload: %zu bytes after the ranges",
                                panda_cbor_remaining (&r));
    return PANDA_OK;
}

panda_err_t
panda_recon_payload_decode (panda_recon_payload_t *payload, const uint8_t *data, size_t len,
                            const panda_recon_limits_t *limits, panda_error_t *err)
{
    panda_error_t local;
    if (!err)
        err = &local; //  the helpers read err->code
    panda_error_clear (err);
    panda_err_t rc = s_decode (payload, data, len, limits, err);
    if (rc)
        panda_recon_payload_free (payload);
    return rc;
}

void
panda_recon_payload_free (panda_recon_payload_t *payload)
{
    free (payload->ranges);
    free (payload->items);
    memset (payload, 0, sizeof *payload);
}

//  ---------------------------------------------------------------- encoder

void
panda_recon_out_init (panda_recon_out_t *out, const panda_recon_limits_t *limits)
{
    memset (out, 0, sizeof *out);
    panda_cbor_writer_init (&out->body);
    out->limits = limits;
    out->final = true;
}

void
panda_recon_out_free (panda_recon_out_t *out)
{
    panda_cbor_writer_free (&out->body);
}

bool
panda_recon_out_fits (const panda_recon_out_t *out, size_t bytes, size_t items, size_t ranges)
{
    const panda_recon_limits_t *l = out->limits;
    return out->body.len + bytes + S_RESERVE_BYTES <= l->max_bytes && out->items + items <= l->max_items &&
           out->ranges + ranges + S_RESERVE_RANGES <= l->max_ranges;
}

static void
s_write_bound (panda_recon_out_t *out, const panda_recon_bound_t *bound)
{
    if (bound->infinite)
        panda_cbor_write_head (&out->body, PANDA_CBOR_SIMPLE, PANDA_CBOR_NULL);
    else
        panda_cbor_write_bytes (&out->body, bound->key, s_bound_len (bound));
}

static void
s_flush_skip (panda_recon_out_t *out)
{
    if (!out->skip_pending)
        return;
    panda_cbor_write_head (&out->body, PANDA_CBOR_ARRAY, 2);
    s_write_bound (out, &out->skip_bound);
    panda_cbor_write_head (&out->body, PANDA_CBOR_UINT, PANDA_RECON_SKIP);
    out->ranges++;
    out->skip_pending = false;
}

void
panda_recon_out_skip (panda_recon_out_t *out, const panda_recon_bound_t *upper)
{
    out->skip_pending = true; //  a later skip only moves the bound
    out->skip_bound = *upper;
}

void
panda_recon_out_fingerprint (panda_recon_out_t *out, const panda_recon_bound_t *upper,
                             const uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE])
{
    s_flush_skip (out);
    panda_cbor_write_head (&out->body, PANDA_CBOR_ARRAY, 3);
    s_write_bound (out, upper);
    panda_cbor_write_head (&out->body, PANDA_CBOR_UINT, PANDA_RECON_FINGERPRINT);
    panda_cbor_write_bytes (&out->body, fp, PANDA_RECON_FINGERPRINT_SIZE);
    out->ranges++;
    out->final = false;
}

void
panda_recon_out_list (panda_recon_out_t *out, const panda_recon_bound_t *upper, int mode, size_t count)
{
    s_flush_skip (out);
    panda_cbor_write_head (&out->body, PANDA_CBOR_ARRAY, 3);
    s_write_bound (out, upper);
    panda_cbor_write_head (&out->body, PANDA_CBOR_UINT, (uint64_t) mode);
    panda_cbor_write_head (&out->body, PANDA_CBOR_ARRAY, count);
    out->ranges++;
    if (mode == PANDA_RECON_ITEMS)
        out->final = false;
}

void
panda_recon_out_item (panda_recon_out_t *out, const uint8_t *key, uint64_t seq)
{
    panda_cbor_write_head (&out->body, PANDA_CBOR_ARRAY, 3);
    panda_cbor_write_bytes (&out->body, key, 32);
    panda_cbor_write_head (&out->body, PANDA_CBOR_UINT, s_log_id (key));
    panda_cbor_write_head (&out->body, PANDA_CBOR_UINT, seq);
    out->items++;
}

panda_err_t
panda_recon_out_finish (panda_recon_out_t *out, uint8_t **data, size_t *len, panda_error_t *err)
{
    *data = NULL;
    *len = 0;
    out->skip_pending = false; //  a trailing skip says nothing
    panda_cbor_writer_t all;
    panda_cbor_writer_init (&all);
    panda_cbor_write_head (&all, PANDA_CBOR_ARRAY, out->ranges);
    if (!all.failed && !out->body.failed && out->body.len > 0) {
        if (!panda_grow ((void **) &all.data, &all.cap, all.len + out->body.len, 1))
            all.failed = true;
        else {
            memcpy (all.data + all.len, out->body.data, out->body.len);
            all.len += out->body.len;
        }
    }
    if (all.failed || out->body.failed) {
        panda_cbor_writer_free (&all);
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    *data = all.data;
    *len = all.len;
    return PANDA_OK;
}
