/*  fuzz_tunnel.c - tunnel payloads (what a relay, or a node through it,
    may send) on arbitrary bytes.

    The first byte picks whose tunnel takes them: a fresh answerer, an
    opener waiting for its answer, or the answerer of a tunnel that is up.
    The rest is a run of payloads, each [length:1][bytes]. Anything may be
    refused; nothing may crash or leak, a Data frame never comes out longer
    than it went in, and what the opener seals afterwards opens as sent or
    not at all.                                                            */
#include "panda_tunnel.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
    uint8_t node[32], secret[64], curve[32];
} s_node_t;

static void
s_node (s_node_t *n, uint8_t seed_byte)
{
    uint8_t seed[32];
    memset (seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair (n->node, n->secret, seed);
    if (crypto_sign_ed25519_sk_to_curve25519 (n->curve, n->secret) != 0)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1 || sodium_init () < 0)
        return 0;
    s_node_t x, y;
    s_node (&x, 1);
    s_node (&y, 2);
    s_node_t *lo = memcmp (x.node, y.node, 32) < 0 ? &x : &y, *hi = lo == &x ? &y : &x;
    panda_tunnel_t *opener = panda_tunnel_new (lo->node, lo->curve, hi->node, NULL);
    panda_tunnel_t *answerer = panda_tunnel_new (hi->node, hi->curve, lo->node, NULL);
    if (!opener || !answerer)
        abort ();
    panda_cbor_writer_t out, reply;
    panda_cbor_writer_init (&out);
    panda_cbor_writer_init (&reply);
    panda_tunnel_event_t event;
    const uint8_t *plain;
    size_t plain_len;
    int mode = data[0] % 3;
    panda_tunnel_t *target = mode == 1 ? opener : answerer;
    if (mode >= 1 && panda_tunnel_start (opener, &out, NULL) != PANDA_OK)
        abort ();
    if (mode == 2) { //  a real opening first
        if (panda_tunnel_input (answerer, out.data, out.len, &reply, &event, &plain, &plain_len, NULL) ||
            event != PANDA_TUNNEL_UP ||
            panda_tunnel_input (opener, reply.data, reply.len, NULL, &event, &plain, &plain_len, NULL) ||
            event != PANDA_TUNNEL_UP)
            abort ();
    }
    for (size_t at = 1; at < size;) {
        size_t len = data[at++];
        if (len > size - at)
            len = size - at;
        reply.len = 0;
        panda_err_t rc =
            panda_tunnel_input (target, data + at, len, &reply, &event, &plain, &plain_len, NULL);
        if (rc == PANDA_OK && event == PANDA_TUNNEL_DATA && plain_len > len)
            abort ();
        at += len;
    }
    //  Still up: the tunnel still carries frames from the opener.
    if (mode == 2 && panda_tunnel_ready (answerer) && panda_tunnel_ready (opener)) {
        out.len = 0;
        if (panda_tunnel_seal (opener, (const uint8_t *) "ok", 2, &out, NULL) != PANDA_OK)
            abort ();
        //  (It may have been opened again with another key: then DOWN, fine.)
        if (panda_tunnel_input (answerer, out.data, out.len, NULL, &event, &plain, &plain_len, NULL) ==
                PANDA_OK &&
            event == PANDA_TUNNEL_DATA && (plain_len != 2 || memcmp (plain, "ok", 2) != 0))
            abort ();
    }
    panda_cbor_writer_free (&out);
    panda_cbor_writer_free (&reply);
    panda_tunnel_destroy (&opener);
    panda_tunnel_destroy (&answerer);
    return 0;
}
