/*  panda_keypair.c - Ed25519 through libsodium. See panda_keypair.h.

    The key pair holds libsodium's 64-byte secret key (seed || public key);
    it is wiped with sodium_memzero before it is freed.                     */
#include "panda/panda_keypair.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct _panda_keypair_t {
    uint8_t secret_key[crypto_sign_SECRETKEYBYTES];
    panda_public_key_t public_key;
};

static panda_keypair_t *
s_keypair_from_seed (const uint8_t seed[PANDA_PRIVATE_KEY_SIZE])
{
    if (sodium_init () < 0)
        return NULL;
    panda_keypair_t *self = (panda_keypair_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    crypto_sign_seed_keypair (self->public_key.bytes, self->secret_key, seed);
    return self;
}

panda_keypair_t *
panda_keypair_new (void)
{
    if (sodium_init () < 0)
        return NULL;
    uint8_t seed[PANDA_PRIVATE_KEY_SIZE];
    randombytes_buf (seed, sizeof seed);
    panda_keypair_t *self = s_keypair_from_seed (seed);
    sodium_memzero (seed, sizeof seed);
    return self;
}

panda_keypair_t *
panda_keypair_new_from_private_key (const uint8_t private_key[PANDA_PRIVATE_KEY_SIZE])
{
    return s_keypair_from_seed (private_key);
}

panda_keypair_t *
panda_keypair_new_from_hex (const char *hex, size_t len, panda_error_t *err)
{
    uint8_t seed[PANDA_PRIVATE_KEY_SIZE];
    size_t got = 0;
    const char *hex_end = NULL;
    if (len != PANDA_PRIVATE_KEY_HEX_SIZE ||
        sodium_hex2bin (seed, sizeof seed, hex, len, NULL, &got, &hex_end) != 0 || got != sizeof seed ||
        hex_end != hex + len) {
        sodium_memzero (seed, sizeof seed);
        panda_error_set (err, PANDA_ERR_DECODE, "invalid private key: expected %d hex characters",
                         PANDA_PRIVATE_KEY_HEX_SIZE);
        return NULL;
    }
    panda_keypair_t *self = s_keypair_from_seed (seed);
    sodium_memzero (seed, sizeof seed);
    if (!self)
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    return self;
}

void
panda_keypair_destroy (panda_keypair_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_memzero (*self_p, sizeof **self_p);
    free (*self_p);
    *self_p = NULL;
}

panda_public_key_t
panda_keypair_public_key (const panda_keypair_t *self)
{
    return self->public_key;
}

char *
panda_keypair_private_key_hex (const panda_keypair_t *self, char out[PANDA_PRIVATE_KEY_HEX_SIZE + 1])
{
    //  libsodium's secret key starts with the 32-byte seed.
    return sodium_bin2hex (out, PANDA_PRIVATE_KEY_HEX_SIZE + 1, self->secret_key, PANDA_PRIVATE_KEY_SIZE);
}

void
panda_keypair_sign (const panda_keypair_t *self, const uint8_t *msg, size_t len,
                    uint8_t sig[PANDA_SIGNATURE_SIZE])
{
    crypto_sign_detached (sig, NULL, msg, len, self->secret_key);
}

panda_err_t
panda_public_key_from_bytes (panda_public_key_t *self, const uint8_t *bytes, size_t len, panda_error_t *err)
{
    if (len != PANDA_PUBLIC_KEY_SIZE)
        return panda_error_set (err, PANDA_ERR_SIGNATURE,
                                "invalid public key length %zu bytes, expected %d bytes", len,
                                PANDA_PUBLIC_KEY_SIZE);
    if (!crypto_core_ed25519_is_valid_point (bytes)) {
        //  Adding a point succeeds for anything that decompresses, so it
        //  tells "not a point at all" from "a point we refuse".
        static const uint8_t identity[crypto_core_ed25519_BYTES] = {1};
        uint8_t sum[crypto_core_ed25519_BYTES];
        if (crypto_core_ed25519_add (sum, bytes, identity) != 0)
            return panda_error_set (err, PANDA_ERR_SIGNATURE, "invalid public key bytes");
        return panda_error_set (err, PANDA_ERR_SIGNATURE,
                                "public key is a small-order or non-canonical point");
    }
    memcpy (self->bytes, bytes, PANDA_PUBLIC_KEY_SIZE);
    return PANDA_OK;
}

panda_err_t
panda_public_key_from_hex (panda_public_key_t *self, const char *hex, size_t len, panda_error_t *err)
{
    uint8_t bytes[PANDA_PUBLIC_KEY_SIZE];
    for (size_t i = 0; i < len; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex encoding in public key string");
    if (len % 2 != 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex encoding in public key string");
    if (len != PANDA_PUBLIC_KEY_HEX_SIZE)
        return panda_error_set (err, PANDA_ERR_SIGNATURE,
                                "invalid public key length %zu bytes, expected %d bytes", len / 2,
                                PANDA_PUBLIC_KEY_SIZE);
    if (sodium_hex2bin (bytes, sizeof bytes, hex, len, NULL, NULL, NULL) != 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex encoding in public key string");
    return panda_public_key_from_bytes (self, bytes, sizeof bytes, err);
}

char *
panda_public_key_to_hex (const panda_public_key_t *self, char out[PANDA_PUBLIC_KEY_HEX_SIZE + 1])
{
    return sodium_bin2hex (out, PANDA_PUBLIC_KEY_HEX_SIZE + 1, self->bytes, PANDA_PUBLIC_KEY_SIZE);
}

bool
panda_public_key_eq (const panda_public_key_t *a, const panda_public_key_t *b)
{
    return memcmp (a->bytes, b->bytes, PANDA_PUBLIC_KEY_SIZE) == 0;
}

panda_err_t
panda_public_key_verify (const panda_public_key_t *self, const uint8_t *msg, size_t len,
                         const uint8_t sig[PANDA_SIGNATURE_SIZE], panda_error_t *err)
{
    if (crypto_sign_verify_detached (sig, msg, len, self->bytes) != 0)
        return panda_error_set (err, PANDA_ERR_SIGNATURE, "signature invalid");
    return PANDA_OK;
}
