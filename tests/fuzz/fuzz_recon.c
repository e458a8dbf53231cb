/*  fuzz_recon.c - the reconciliation responder on arbitrary payloads.

    A fixed set of 300 logs answers whatever arrives. Anything may be
    rejected (with a message); nothing may crash or leak, and every reply
    must itself decode within the limits at a peer, which then answers it.  */
#include "panda_recon.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static panda_recon_set_t *
s_set (void)
{
    static panda_recon_set_t *set;
    if (set)
        return set;
    set = panda_recon_set_new ();
    if (!set)
        abort ();
    uint64_t x = 99;
    for (uint64_t i = 0; i < 300; i++) {
        uint8_t pk[32] = {0};
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        pk[0] = (uint8_t) (i % 5 * 0x30); //  a few authors, close keys
        pk[31] = (uint8_t) (x >> 40);
        if (panda_recon_set_add (set, pk, i, 1 + x % 50, NULL))
            abort ();
    }
    if (panda_recon_set_seal (set, NULL))
        abort ();
    return set;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_recon_set_t *set = s_set ();
    panda_recon_limits_t limits = panda_recon_limits_default ();
    limits.max_bytes = 8192; //  small limits reach the budget paths
    limits.max_ranges = 64;
    limits.max_items = 64;
    panda_recon_t *self = panda_recon_new (set, &limits, NULL);
    panda_recon_t *peer = panda_recon_new (set, &limits, NULL);
    if (!self || !peer)
        abort ();
    panda_error_t err;
    uint8_t *out;
    size_t out_len;
    if (panda_recon_respond (self, data, size, &out, &out_len, &err)) {
        if (out || err.message[0] == '\0')
            abort ();
    } else if (out) {
        if (out_len > limits.max_bytes)
            abort ();
        //  What we say must be valid for a peer with the same limits.
        uint8_t *back;
        size_t back_len;
        if (panda_recon_respond (peer, out, out_len, &back, &back_len, &err))
            abort ();
        free (back);
        free (out);
    }
    panda_recon_destroy (&self);
    panda_recon_destroy (&peer);
    return 0;
}
