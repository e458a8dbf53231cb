/*  panda_recon.c - log sets with prefix-summed fingerprints, and the
    reconciliation exchange. See panda_recon.h.

    A sealed set is a sorted array of (key, seq) plus count + 1 prefix sums
    of the item hashes as 256-bit numbers (4 limbs, little-endian), so the
    sum over items [i, j) is sums[j] - sums[i] mod 2^256.                  */
#include "panda_recon_int.h"
#include "panda_grow.h"
#include "panda/panda_blake3.h"

#include <stdlib.h>
#include <string.h>

struct _panda_recon_set_t {
    panda_recon_item_t *items;
    size_t count, cap;
    uint64_t (*sums)[4]; //  sums[k] = Σ hash (items[0 .. k)), once sealed
    bool sealed;
};

//  A log that differs, found while answering an items range.
typedef struct {
    const uint8_t *key;
    uint64_t local, remote;
} s_delta_t;

struct _panda_recon_t {
    const panda_recon_set_t *set;
    panda_recon_limits_t limits;
    panda_recon_diff_t *diffs;
    size_t diff_count, diff_cap;
    bool diffs_sorted;
    s_delta_t *deltas; //  scratch of s_on_items
    size_t delta_cap;
    size_t rounds; //  payloads received
    bool initiated, done, failed;
};

panda_recon_limits_t
panda_recon_limits_default (void)
{
    panda_recon_limits_t limits = {256 * 1024, 4096, 4096, 64};
    return limits;
}

//  ---------------------------------------------------------------- sets

panda_recon_set_t *
panda_recon_set_new (void)
{
    return calloc (1, sizeof (panda_recon_set_t));
}

void
panda_recon_set_destroy (panda_recon_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->items);
    free ((*self_p)->sums);
    free (*self_p);
    *self_p = NULL;
}

static void
s_make_key (uint8_t key[PANDA_RECON_KEY_SIZE], const uint8_t public_key[32], uint64_t log_id)
{
    memcpy (key, public_key, 32);
    for (int i = 0; i < 8; i++)
        key[32 + i] = (uint8_t) (log_id >> (56 - 8 * i));
}

panda_err_t
panda_recon_set_add (panda_recon_set_t *self, const uint8_t public_key[32], uint64_t log_id, uint64_t seq,
                     panda_error_t *err)
{
    if (self->sealed)
        return panda_error_set (err, PANDA_ERR_INVALID, "recon set is sealed");
    if (seq == 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "recon set: a log's height is at least 1");
    if (!panda_grow ((void **) &self->items, &self->cap, self->count + 1, sizeof *self->items))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_recon_item_t *item = &self->items[self->count++];
    s_make_key (item->key, public_key, log_id);
    item->seq = seq;
    return PANDA_OK;
}

static int
s_item_cmp (const void *a, const void *b)
{
    return memcmp (((const panda_recon_item_t *) a)->key, ((const panda_recon_item_t *) b)->key,
                   PANDA_RECON_KEY_SIZE);
}

static void
s_item_hash (const panda_recon_item_t *item, uint64_t limbs[4])
{
    uint8_t buf[PANDA_RECON_KEY_SIZE + 8], hash[PANDA_BLAKE3_OUT_SIZE];
    memcpy (buf, item->key, PANDA_RECON_KEY_SIZE);
    for (int i = 0; i < 8; i++)
        buf[PANDA_RECON_KEY_SIZE + i] = (uint8_t) (item->seq >> (56 - 8 * i));
    panda_blake3 (hash, buf, sizeof buf);
    for (int l = 0; l < 4; l++) {
        limbs[l] = 0;
        for (int i = 7; i >= 0; i--)
            limbs[l] = limbs[l] << 8 | hash[8 * l + i];
    }
}

panda_err_t
panda_recon_set_seal (panda_recon_set_t *self, panda_error_t *err)
{
    if (self->sealed)
        return panda_error_set (err, PANDA_ERR_INVALID, "recon set is sealed");
    if (self->count)
        qsort (self->items, self->count, sizeof *self->items, s_item_cmp);
    for (size_t i = 1; i < self->count; i++)
        if (memcmp (self->items[i - 1].key, self->items[i].key, PANDA_RECON_KEY_SIZE) == 0) {
            uint64_t log_id = 0;
            for (int b = 0; b < 8; b++)
                log_id = log_id << 8 | self->items[i].key[32 + b];
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "recon set: log %02x%02x%02x%02x…/%llu added twice",
                                    self->items[i].key[0], self->items[i].key[1], self->items[i].key[2],
                                    self->items[i].key[3], (unsigned long long) log_id);
        }
    self->sums = calloc (self->count + 1, sizeof *self->sums);
    if (!self->sums)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < self->count; i++) {
        uint64_t h[4], carry = 0;
        s_item_hash (&self->items[i], h);
        for (int l = 0; l < 4; l++) {
            uint64_t a = self->sums[i][l], s = a + h[l];
            uint64_t c = s < a;
            s += carry;
            c |= s < carry;
            self->sums[i + 1][l] = s;
            carry = c;
        }
    }
    self->sealed = true;
    return PANDA_OK;
}

size_t
panda_recon_set_count (const panda_recon_set_t *self)
{
    return self->count;
}

//  First index whose key is >= bound (count for infinity).
static size_t
s_lower_bound (const panda_recon_set_t *self, const panda_recon_bound_t *bound)
{
    if (bound->infinite)
        return self->count;
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp (self->items[mid].key, bound->key, PANDA_RECON_KEY_SIZE) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

//  Fingerprint of items [i, j).
static void
s_fingerprint (const panda_recon_set_t *self, size_t i, size_t j, uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE])
{
    uint8_t buf[32 + 8], hash[PANDA_BLAKE3_OUT_SIZE];
    uint64_t borrow = 0;
    for (int l = 0; l < 4; l++) {
        uint64_t a = self->sums[j][l], b = self->sums[i][l];
        uint64_t d = a - b - borrow;
        borrow = (a < b) || (a - b < borrow);
        for (int k = 0; k < 8; k++)
            buf[8 * l + k] = (uint8_t) (d >> (8 * k));
    }
    uint64_t count = (uint64_t) (j - i);
    for (int k = 0; k < 8; k++)
        buf[32 + k] = (uint8_t) (count >> (56 - 8 * k));
    panda_blake3 (hash, buf, sizeof buf);
    memcpy (fp, hash, PANDA_RECON_FINGERPRINT_SIZE);
}

bool
panda_recon_set_fingerprint (const panda_recon_set_t *self, uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE])
{
    if (!self->sealed)
        return false;
    s_fingerprint (self, 0, self->count, fp);
    return true;
}

static uint64_t
s_height (const panda_recon_set_t *self, const uint8_t *key)
{
    panda_recon_bound_t bound;
    memcpy (bound.key, key, PANDA_RECON_KEY_SIZE);
    bound.infinite = false;
    size_t i = s_lower_bound (self, &bound);
    if (i < self->count && memcmp (self->items[i].key, key, PANDA_RECON_KEY_SIZE) == 0)
        return self->items[i].seq;
    return 0;
}

uint64_t
panda_recon_set_height (const panda_recon_set_t *self, const uint8_t public_key[32], uint64_t log_id)
{
    if (!self->sealed)
        return 0;
    uint8_t key[PANDA_RECON_KEY_SIZE];
    s_make_key (key, public_key, log_id);
    return s_height (self, key);
}

void
panda_recon_set_get (const panda_recon_set_t *self, size_t i, uint8_t public_key[32], uint64_t *log_id,
                     uint64_t *seq)
{
    const panda_recon_item_t *item = &self->items[i];
    memcpy (public_key, item->key, 32);
    *log_id = 0;
    for (size_t b = 32; b < PANDA_RECON_KEY_SIZE; b++)
        *log_id = *log_id << 8 | item->key[b];
    *seq = item->seq;
}

//  ---------------------------------------------------------------- exchange

panda_recon_t *
panda_recon_new (const panda_recon_set_t *set, const panda_recon_limits_t *limits, panda_error_t *err)
{
    panda_recon_limits_t l = limits ? *limits : panda_recon_limits_default ();
    if (!set || !set->sealed) {
        panda_error_set (err, PANDA_ERR_INVALID, "recon: the set is not sealed");
        return NULL;
    }
    //  Below these a reply might not fit even one range, and the exchange
    //  would make no progress.
    if (l.max_bytes < 4096 || l.max_ranges < 64 || l.max_items < 64 || l.max_rounds < 1) {
        panda_error_set (err, PANDA_ERR_INVALID, "recon: limits below the minimums");
        return NULL;
    }
    panda_recon_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    self->set = set;
    self->limits = l;
    return self;
}

void
panda_recon_destroy (panda_recon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->diffs);
    free ((*self_p)->deltas);
    free (*self_p);
    *self_p = NULL;
}

static panda_err_t
s_record (panda_recon_t *self, const uint8_t *key, uint64_t local, uint64_t remote, panda_error_t *err)
{
    if (!panda_grow ((void **) &self->diffs, &self->diff_cap, self->diff_count + 1, sizeof *self->diffs))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_recon_diff_t *d = &self->diffs[self->diff_count++];
    memcpy (d->public_key, key, 32);
    d->log_id = 0;
    for (int i = 0; i < 8; i++)
        d->log_id = d->log_id << 8 | key[32 + i];
    d->local_seq = local;
    d->remote_seq = remote;
    self->diffs_sorted = false;
    return PANDA_OK;
}

panda_err_t
panda_recon_initiate (panda_recon_t *self, uint8_t **out, size_t *out_len, panda_error_t *err)
{
    *out = NULL;
    *out_len = 0;
    if (self->initiated || self->rounds || self->failed)
        return panda_error_set (err, PANDA_ERR_INVALID, "recon: the exchange has already started");
    panda_recon_out_t o;
    panda_recon_out_init (&o, &self->limits);
    uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE];
    s_fingerprint (self->set, 0, self->set->count, fp);
    panda_recon_bound_t infinity = {.infinite = true};
    panda_recon_out_fingerprint (&o, &infinity, fp);
    panda_err_t rc = panda_recon_out_finish (&o, out, out_len, err);
    panda_recon_out_free (&o);
    if (rc == PANDA_OK)
        self->initiated = true;
    return rc;
}

//  Per-respond state: the reply and where it had to stop.
typedef struct {
    panda_recon_out_t out;
    bool deferred; //  the budget ran out: the rest becomes one fingerprint
    panda_recon_bound_t defer_at;
} s_reply_t;

static void
s_defer (s_reply_t *reply, const panda_recon_bound_t *at)
{
    reply->deferred = true;
    reply->defer_at = *at;
}

//  A fingerprint range [lower, upper) from the peer.
static void
s_on_fingerprint (panda_recon_t *self, s_reply_t *reply, const panda_recon_bound_t *lower,
                  const panda_recon_range_t *range)
{
    const panda_recon_set_t *set = self->set;
    size_t i = s_lower_bound (set, lower), j = s_lower_bound (set, &range->upper);
    uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE];
    s_fingerprint (set, i, j, fp);
    if (memcmp (fp, range->fingerprint, sizeof fp) == 0) {
        panda_recon_out_skip (&reply->out, &range->upper);
        return;
    }
    size_t count = j - i;
    if (count < PANDA_RECON_ITEM_THRESHOLD) {
        size_t bytes = 2 + panda_recon_bound_size (&range->upper) + panda_recon_head_size (count);
        for (size_t k = i; k < j; k++)
            bytes += panda_recon_item_size (set->items[k].key, set->items[k].seq);
        if (!panda_recon_out_fits (&reply->out, bytes, count, 1)) {
            s_defer (reply, lower);
            return;
        }
        panda_recon_out_list (&reply->out, &range->upper, PANDA_RECON_ITEMS, count);
        for (size_t k = i; k < j; k++)
            panda_recon_out_item (&reply->out, set->items[k].key, set->items[k].seq);
        return;
    }
    //  Equal shares of our items; each bound separates two neighbours.
    panda_recon_bound_t bounds[PANDA_RECON_SPLIT];
    size_t starts[PANDA_RECON_SPLIT + 1], bytes = 0;
    for (size_t b = 0; b <= PANDA_RECON_SPLIT; b++)
        starts[b] = i + count * b / PANDA_RECON_SPLIT;
    for (size_t b = 0; b < PANDA_RECON_SPLIT; b++) {
        if (b + 1 < PANDA_RECON_SPLIT)
            panda_recon_bound_between (set->items[starts[b + 1] - 1].key, set->items[starts[b + 1]].key,
                                       &bounds[b]);
        else
            bounds[b] = range->upper;
        bytes += 3 + panda_recon_bound_size (&bounds[b]) + PANDA_RECON_FINGERPRINT_SIZE;
    }
    if (!panda_recon_out_fits (&reply->out, bytes, 0, PANDA_RECON_SPLIT)) {
        s_defer (reply, lower);
        return;
    }
    for (size_t b = 0; b < PANDA_RECON_SPLIT; b++) {
        s_fingerprint (set, starts[b], starts[b + 1], fp);
        panda_recon_out_fingerprint (&reply->out, &bounds[b], fp);
    }
}

//  An items range from the peer: its heights in [lower, upper). Record
//  and answer the differing logs, as many as the budget allows.
static panda_err_t
s_on_items (panda_recon_t *self, s_reply_t *reply, const panda_recon_bound_t *lower,
            const panda_recon_range_t *range, const panda_recon_item_t *theirs, panda_error_t *err)
{
    const panda_recon_set_t *set = self->set;
    size_t i = s_lower_bound (set, lower), j = s_lower_bound (set, &range->upper);
    size_t their_count = range->item_count, most = (j - i) + their_count;
    if (!panda_grow ((void **) &self->deltas, &self->delta_cap, most ? most : 1, sizeof *self->deltas))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    size_t n = 0, a = i, b = 0;
    while (a < j || b < their_count) {
        int c = a == j             ? 1
                : b == their_count ? -1
                                   : memcmp (set->items[a].key, theirs[b].key, PANDA_RECON_KEY_SIZE);
        if (c < 0) {
            self->deltas[n++] = (s_delta_t){set->items[a].key, set->items[a].seq, 0};
            a++;
        } else if (c > 0) {
            self->deltas[n++] = (s_delta_t){theirs[b].key, 0, theirs[b].seq};
            b++;
        } else {
            if (set->items[a].seq != theirs[b].seq)
                self->deltas[n++] = (s_delta_t){set->items[a].key, set->items[a].seq, theirs[b].seq};
            a++, b++;
        }
    }
    if (n == 0) {
        panda_recon_out_skip (&reply->out, &range->upper);
        return PANDA_OK;
    }
    //  Worst case for the range head: a 42-byte bound and a 5-byte count.
    size_t take = 0, bytes = 2 + 42 + 5;
    while (take < n) {
        size_t more = panda_recon_item_size (self->deltas[take].key, self->deltas[take].local);
        if (!panda_recon_out_fits (&reply->out, bytes + more, take + 1, 1))
            break;
        bytes += more;
        take++;
    }
    if (take == 0) {
        s_defer (reply, lower);
        return PANDA_OK;
    }
    panda_recon_bound_t upper = range->upper;
    if (take < n)
        panda_recon_bound_between (self->deltas[take - 1].key, self->deltas[take].key, &upper);
    for (size_t k = 0; k < take; k++)
        if (s_record (self, self->deltas[k].key, self->deltas[k].local, self->deltas[k].remote, err))
            return PANDA_ERR_NOMEM;
    panda_recon_out_list (&reply->out, &upper, PANDA_RECON_ANSWER, take);
    for (size_t k = 0; k < take; k++)
        panda_recon_out_item (&reply->out, self->deltas[k].key, self->deltas[k].local);
    if (take < n)
        s_defer (reply, &upper);
    return PANDA_OK;
}

//  An answer from the peer: its heights where they differ from ours.
static panda_err_t
s_on_answer (panda_recon_t *self, const panda_recon_item_t *theirs, size_t count, panda_error_t *err)
{
    for (size_t k = 0; k < count; k++) {
        uint64_t local = s_height (self->set, theirs[k].key);
        if (local != theirs[k].seq && s_record (self, theirs[k].key, local, theirs[k].seq, err))
            return PANDA_ERR_NOMEM;
    }
    return PANDA_OK;
}

static panda_err_t
s_respond (panda_recon_t *self, const panda_recon_payload_t *p, s_reply_t *reply, panda_error_t *err)
{
    panda_recon_bound_t lower = {.infinite = false}; //  the zero key
    for (size_t r = 0; r < p->range_count; r++) {
        const panda_recon_range_t *range = &p->ranges[r];
        const panda_recon_item_t *items = p->items + range->first_item;
        //  Answers are recorded even past the budget: the peer counts them
        //  as delivered.
        if (range->mode == PANDA_RECON_ANSWER && s_on_answer (self, items, range->item_count, err))
            return PANDA_ERR_NOMEM;
        if (!reply->deferred) {
            if (range->mode == PANDA_RECON_SKIP || range->mode == PANDA_RECON_ANSWER)
                panda_recon_out_skip (&reply->out, &range->upper);
            else if (range->mode == PANDA_RECON_FINGERPRINT)
                s_on_fingerprint (self, reply, &lower, range);
            else if (s_on_items (self, reply, &lower, range, items, err))
                return PANDA_ERR_NOMEM;
        }
        lower = range->upper;
    }
    if (reply->deferred) {
        uint8_t fp[PANDA_RECON_FINGERPRINT_SIZE];
        s_fingerprint (self->set, s_lower_bound (self->set, &reply->defer_at), self->set->count, fp);
        panda_recon_bound_t infinity = {.infinite = true};
        panda_recon_out_fingerprint (&reply->out, &infinity, fp);
    }
    return PANDA_OK;
}

panda_err_t
panda_recon_respond (panda_recon_t *self, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
                     panda_error_t *err)
{
    *out = NULL;
    *out_len = 0;
    if (self->failed || self->done)
        return panda_error_set (err, PANDA_ERR_INVALID, "recon: the exchange is over");
    if (self->rounds >= self->limits.max_rounds) {
        self->failed = true;
        return panda_error_set (err, PANDA_ERR_LIMIT, "recon: more than %zu payloads",
                                self->limits.max_rounds);
    }
    panda_recon_payload_t p;
    memset (&p, 0, sizeof p);
    panda_err_t rc = panda_recon_payload_decode (&p, in, in_len, &self->limits, err);
    if (rc) {
        self->failed = true;
        return rc;
    }
    self->rounds++;
    s_reply_t reply;
    memset (&reply, 0, sizeof reply);
    panda_recon_out_init (&reply.out, &self->limits);
    rc = s_respond (self, &p, &reply, err);
    //  A final payload gets no reply (and leaves nothing to say: it holds
    //  only answers and skips).
    if (rc == PANDA_OK && !p.final)
        rc = panda_recon_out_finish (&reply.out, out, out_len, err);
    if (rc)
        self->failed = true;
    else if (p.final || reply.out.final)
        self->done = true;
    panda_recon_out_free (&reply.out);
    panda_recon_payload_free (&p);
    return rc;
}

bool
panda_recon_done (const panda_recon_t *self)
{
    return self->done;
}

static int
s_diff_cmp (const void *a, const void *b)
{
    const panda_recon_diff_t *x = a, *y = b;
    int c = memcmp (x->public_key, y->public_key, 32);
    if (c)
        return c;
    if (x->log_id != y->log_id)
        return x->log_id < y->log_id ? -1 : 1;
    return x->remote_seq < y->remote_seq ? -1 : x->remote_seq > y->remote_seq;
}

const panda_recon_diff_t *
panda_recon_differences (panda_recon_t *self, size_t *count)
{
    //  A range resolved twice (after a deferral) records its logs twice;
    //  an honest peer reports the same height both times, and of two
    //  different claims the lower one sends more, which is the safe side.
    if (!self->diffs_sorted && self->diff_count > 1) {
        qsort (self->diffs, self->diff_count, sizeof *self->diffs, s_diff_cmp);
        size_t kept = 1;
        for (size_t i = 1; i < self->diff_count; i++) {
            const panda_recon_diff_t *prev = &self->diffs[kept - 1], *d = &self->diffs[i];
            if (memcmp (prev->public_key, d->public_key, 32) != 0 || prev->log_id != d->log_id)
                self->diffs[kept++] = *d;
        }
        self->diff_count = kept;
    }
    self->diffs_sorted = true;
    *count = self->diff_count;
    return self->diffs;
}
