/*  panda_tunnel.c - the end-to-end channel through a relay. See
    panda_tunnel.h.                                                       */
#include "panda_tunnel.h"
#include "panda_grow.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_OPEN 1
#define S_DATA 2
#define S_RESET 3
#define S_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define S_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES

//  The key derivation's context: a new protocol gets a new label.
static const uint8_t s_label[] = "pandad tunnel v1";

struct _panda_tunnel_t {
    uint8_t our_node[32], their_node[32];
    uint8_t our_secret[32], their_curve[32];
    bool opener;
    uint8_t ephemeral_public[32], ephemeral_secret[32];
    bool waiting; //  opener: our Open is out, its answer not in yet
    bool ready;
    uint8_t tx_key[32], rx_key[32];
    crypto_secretstream_xchacha20poly1305_state push, pull;
    bool header_sent, header_received;
    uint8_t *buffer; //  the last decrypted frame
    size_t buffer_cap;
};

//  Room for n more bytes at the end of out; NULL (and out->failed) on OOM.
static uint8_t *
s_reserve (panda_cbor_writer_t *out, size_t n)
{
    if (out->failed || n > SIZE_MAX / 2 - out->len ||
        !panda_grow ((void **) &out->data, &out->cap, out->len + n, 1)) {
        out->failed = true;
        return NULL;
    }
    uint8_t *at = out->data + out->len;
    out->len += n;
    return at;
}

panda_tunnel_t *
panda_tunnel_new (const uint8_t our_node_key[32], const uint8_t our_curve_secret[32],
                  const uint8_t their_node_key[32], panda_error_t *err)
{
    if (sodium_init () < 0) {
        panda_error_set (err, PANDA_ERR_INTERNAL, "libsodium could not start");
        return NULL;
    }
    int order = memcmp (our_node_key, their_node_key, 32);
    if (order == 0) {
        panda_error_set (err, PANDA_ERR_INVALID, "a tunnel needs two different nodes");
        return NULL;
    }
    panda_tunnel_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy (self->our_node, our_node_key, 32);
    memcpy (self->their_node, their_node_key, 32);
    memcpy (self->our_secret, our_curve_secret, 32);
    self->opener = order < 0;
    if (crypto_sign_ed25519_pk_to_curve25519 (self->their_curve, their_node_key) != 0) {
        panda_error_set (err, PANDA_ERR_INVALID, "the other node key is not a valid Ed25519 key");
        panda_tunnel_destroy (&self);
    }
    return self;
}

void
panda_tunnel_destroy (panda_tunnel_t **self_p)
{
    panda_tunnel_t *self = *self_p;
    if (!self)
        return;
    free (self->buffer);
    sodium_memzero (self, sizeof *self);
    free (self);
    *self_p = NULL;
}

bool
panda_tunnel_opener (const panda_tunnel_t *self)
{
    return self->opener;
}

bool
panda_tunnel_ready (const panda_tunnel_t *self)
{
    return self->ready;
}

static void
s_down (panda_tunnel_t *self)
{
    self->ready = false;
    self->waiting = false;
    self->header_sent = self->header_received = false;
    sodium_memzero (self->tx_key, sizeof self->tx_key);
    sodium_memzero (self->rx_key, sizeof self->rx_key);
}

bool
panda_tunnel_opening (const panda_tunnel_t *self)
{
    return self->waiting;
}

void
panda_tunnel_close (panda_tunnel_t *self)
{
    s_down (self);
}

static void
s_new_ephemeral (panda_tunnel_t *self)
{
    crypto_box_keypair (self->ephemeral_public, self->ephemeral_secret);
}

//  The keys of both directions from the four agreements, in the opener's
//  order, so both ends hash the same bytes. -1 when an agreement gives
//  the all-zero point (a malicious ephemeral key).
static int
s_derive (panda_tunnel_t *self, const uint8_t their_ephemeral[32])
{
    uint8_t dh[4][32];
    //  ss, ee, then (opener static x answerer ephemeral), (opener ephemeral x answerer static)
    int rc = crypto_scalarmult (dh[0], self->our_secret, self->their_curve) |
             crypto_scalarmult (dh[1], self->ephemeral_secret, their_ephemeral);
    if (self->opener)
        rc |= crypto_scalarmult (dh[2], self->our_secret, their_ephemeral) |
              crypto_scalarmult (dh[3], self->ephemeral_secret, self->their_curve);
    else
        rc |= crypto_scalarmult (dh[2], self->ephemeral_secret, self->their_curve) |
              crypto_scalarmult (dh[3], self->our_secret, their_ephemeral);
    const uint8_t *opener_node = self->opener ? self->our_node : self->their_node;
    const uint8_t *answer_node = self->opener ? self->their_node : self->our_node;
    const uint8_t *opener_eph = self->opener ? self->ephemeral_public : their_ephemeral;
    const uint8_t *answer_eph = self->opener ? their_ephemeral : self->ephemeral_public;
    uint8_t keys[64];
    crypto_generichash_state h;
    crypto_generichash_init (&h, s_label, sizeof s_label - 1, sizeof keys);
    crypto_generichash_update (&h, (const uint8_t *) dh, sizeof dh);
    crypto_generichash_update (&h, opener_node, 32);
    crypto_generichash_update (&h, answer_node, 32);
    crypto_generichash_update (&h, opener_eph, 32);
    crypto_generichash_update (&h, answer_eph, 32);
    crypto_generichash_final (&h, keys, sizeof keys);
    memcpy (self->tx_key, keys + (self->opener ? 0 : 32), 32);
    memcpy (self->rx_key, keys + (self->opener ? 32 : 0), 32);
    sodium_memzero (dh, sizeof dh);
    sodium_memzero (keys, sizeof keys);
    sodium_memzero (self->ephemeral_secret, sizeof self->ephemeral_secret);
    if (rc != 0) {
        s_down (self);
        return -1;
    }
    self->ready = true;
    self->waiting = false;
    self->header_sent = self->header_received = false;
    return 0;
}

static void
s_write_open (panda_tunnel_t *self, const uint8_t *echo, panda_cbor_writer_t *out)
{
    uint8_t *at = s_reserve (out, PANDA_TUNNEL_OPEN_SIZE);
    if (!at)
        return;
    at[0] = S_OPEN;
    memcpy (at + 1, self->ephemeral_public, 32);
    if (echo)
        memcpy (at + 33, echo, 32);
    else
        memset (at + 33, 0, 32);
}

panda_err_t
panda_tunnel_start (panda_tunnel_t *self, panda_cbor_writer_t *out, panda_error_t *err)
{
    s_down (self);
    size_t start = out->len;
    if (self->opener) {
        s_new_ephemeral (self);
        self->waiting = true;
        s_write_open (self, NULL, out);
    } else {
        uint8_t *at = s_reserve (out, 1);
        if (at)
            *at = S_RESET;
    }
    if (out->failed) {
        out->len = start;
        out->failed = false;
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    return PANDA_OK;
}

static panda_err_t
s_open (panda_tunnel_t *self, const uint8_t *payload, panda_cbor_writer_t *out, panda_tunnel_event_t *event,
        panda_error_t *err)
{
    const uint8_t *theirs = payload + 1, *echo = payload + 33;
    if (self->opener) {
        //  Only the answer to our current Open counts.
        if (!self->waiting || sodium_memcmp (echo, self->ephemeral_public, 32) != 0)
            return PANDA_OK;
        if (s_derive (self, theirs))
            return panda_error_set (err, PANDA_ERR_DECODE, "tunnel open with a weak ephemeral key");
        *event = PANDA_TUNNEL_UP;
        return PANDA_OK;
    }
    //  The answerer takes every Open: the opener started again.
    bool was_ready = self->ready;
    s_down (self);
    s_new_ephemeral (self);
    size_t start = out->len;
    s_write_open (self, theirs, out);
    if (out->failed) {
        out->len = start;
        out->failed = false;
        *event = was_ready ? PANDA_TUNNEL_DOWN : PANDA_TUNNEL_NONE;
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    if (s_derive (self, theirs)) {
        out->len = start;
        *event = was_ready ? PANDA_TUNNEL_DOWN : PANDA_TUNNEL_NONE;
        return panda_error_set (err, PANDA_ERR_DECODE, "tunnel open with a weak ephemeral key");
    }
    *event = PANDA_TUNNEL_UP;
    return PANDA_OK;
}

static panda_err_t
s_data (panda_tunnel_t *self, const uint8_t *data, size_t len, panda_tunnel_event_t *event,
        const uint8_t **plain, size_t *plain_len, panda_error_t *err)
{
    if (!self->ready)
        return PANDA_OK; //  from a tunnel that is gone
    if (!self->header_received) {
        if (len < S_HEADER + S_ABYTES) {
            s_down (self);
            *event = PANDA_TUNNEL_DOWN;
            return PANDA_OK;
        }
        if (crypto_secretstream_xchacha20poly1305_init_pull (&self->pull, data, self->rx_key) != 0) {
            s_down (self);
            *event = PANDA_TUNNEL_DOWN;
            return PANDA_OK;
        }
        self->header_received = true;
        data += S_HEADER;
        len -= S_HEADER;
    }
    if (len < S_ABYTES) {
        s_down (self);
        *event = PANDA_TUNNEL_DOWN;
        return PANDA_OK;
    }
    size_t need = len - S_ABYTES;
    if (need > self->buffer_cap) {
        uint8_t *grown = realloc (self->buffer, need ? need : 1);
        if (!grown)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        self->buffer = grown;
        self->buffer_cap = need ? need : 1;
    }
    unsigned long long out_len = 0;
    unsigned char tag;
    if (crypto_secretstream_xchacha20poly1305_pull (&self->pull, self->buffer, &out_len, &tag, data, len,
                                                    NULL, 0) != 0) {
        s_down (self);
        *event = PANDA_TUNNEL_DOWN;
        return PANDA_OK;
    }
    *plain = self->buffer;
    *plain_len = (size_t) out_len;
    *event = PANDA_TUNNEL_DATA;
    return PANDA_OK;
}

panda_err_t
panda_tunnel_input (panda_tunnel_t *self, const uint8_t *payload, size_t len, panda_cbor_writer_t *out,
                    panda_tunnel_event_t *event, const uint8_t **plain, size_t *plain_len, panda_error_t *err)
{
    *event = PANDA_TUNNEL_NONE;
    *plain = NULL;
    *plain_len = 0;
    if (len == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "empty tunnel payload");
    switch (payload[0]) {
        case S_OPEN:
            if (len != PANDA_TUNNEL_OPEN_SIZE)
                return panda_error_set (err, PANDA_ERR_DECODE, "tunnel open of %zu bytes, expected %d", len,
                                        PANDA_TUNNEL_OPEN_SIZE);
            return s_open (self, payload, out, event, err);
        case S_DATA: return s_data (self, payload + 1, len - 1, event, plain, plain_len, err);
        case S_RESET:
            if (len != 1)
                return panda_error_set (err, PANDA_ERR_DECODE, "tunnel reset of %zu bytes", len);
            if (!self->opener)
                return PANDA_OK; //  only the answerer asks for a new tunnel
            //  A Reset that crossed our Open: the answerer had no tunnel
            //  when it sent it and answers the Open behind it (a relay
            //  keeps each direction in order), so keep waiting.
            if (self->waiting)
                return PANDA_OK;
            //  The caller opens again; until then nothing goes through.
            bool was_up = self->ready;
            s_down (self);
            *event = was_up ? PANDA_TUNNEL_DOWN : PANDA_TUNNEL_NONE;
            return PANDA_OK;
        default: return panda_error_set (err, PANDA_ERR_DECODE, "unknown tunnel payload type %u", payload[0]);
    }
}

panda_err_t
panda_tunnel_seal (panda_tunnel_t *self, const uint8_t *plain, size_t len, panda_cbor_writer_t *out,
                   panda_error_t *err)
{
    if (!self->ready)
        return panda_error_set (err, PANDA_ERR_INVALID, "the tunnel is not open");
    if (len > SIZE_MAX / 2)
        return panda_error_set (err, PANDA_ERR_LIMIT, "frame too large");
    size_t start = out->len;
    uint8_t *at = s_reserve (out, 1 + (self->header_sent ? 0 : S_HEADER) + len + S_ABYTES);
    if (!at) {
        out->len = start;
        out->failed = false;
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    *at++ = S_DATA;
    if (!self->header_sent) {
        crypto_secretstream_xchacha20poly1305_init_push (&self->push, at, self->tx_key);
        self->header_sent = true;
        at += S_HEADER;
    }
    crypto_secretstream_xchacha20poly1305_push (&self->push, at, NULL, plain, len, NULL, 0,
                                                crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    return PANDA_OK;
}
