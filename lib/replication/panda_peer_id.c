/*  panda_peer_id.c - node identity from one Ed25519 key. See panda_peer_id.h.

    libp2p layouts used (multiformats, libp2p peer-ids spec): identity
    multihash = code 0x00, varint length, digest; keys.proto PublicKey =
    field 1 (varint KeyType: RSA 0, Ed25519 1, Secp256k1 2, ECDSA 3),
    field 2 (bytes Data). Peer ids whose protobuf key is longer than 42
    bytes are SHA-256 multihashes (0x12 0x20) and cannot be Ed25519.        */
#include "panda_peer_id.h"
#include "panda_base58.h"
#include "panda/panda_hex.h"
#include "panda/panda_keypair.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define S_MULTIHASH_SIZE 38 //  00 24 08 01 12 20 <32 bytes>

static const uint8_t s_ed25519_prefix[6] = {0x00, 0x24, 0x08, 0x01, 0x12, 0x20};

struct _panda_peer_identity_t {
    uint8_t secret_key[crypto_sign_SECRETKEYBYTES]; //  seed || public key
    uint8_t public_key[PANDA_PEER_ED25519_SIZE];
    uint8_t curve_secret[PANDA_PEER_CURVE_SIZE];
    uint8_t curve_public[PANDA_PEER_CURVE_SIZE];
    char peer_id[PANDA_PEER_ID_MAX + 1];
};

static bool
s_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

panda_err_t
panda_peer_key_file_parse (const char *text, size_t len, uint8_t seed[PANDA_PEER_ED25519_SIZE],
                           panda_error_t *err)
{
    size_t start = 0;
    while (start < len && s_space (text[start]))
        start++;
    while (len > start && s_space (text[len - 1]))
        len--;
    if (len - start != PANDA_PEER_KEY_FILE_SIZE)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "invalid private key file: expected %d hex characters, found %zu",
                                PANDA_PEER_KEY_FILE_SIZE, len - start);
    for (size_t i = 0; i < PANDA_PEER_ED25519_SIZE; i++) {
        int high = panda_hex_digit (text[start + 2 * i]), low = panda_hex_digit (text[start + 2 * i + 1]);
        if (high < 0 || low < 0) {
            sodium_memzero (seed, PANDA_PEER_ED25519_SIZE);
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "invalid private key file: invalid hex digit at position %zu",
                                    start + 2 * i + (high < 0 ? 0 : 1));
        }
        seed[i] = (uint8_t) (high << 4 | low);
    }
    return PANDA_OK;
}

char *
panda_peer_key_file_format (const uint8_t seed[PANDA_PEER_ED25519_SIZE],
                            char out[PANDA_PEER_KEY_FILE_SIZE + 1])
{
    panda_hex_write (seed, PANDA_PEER_ED25519_SIZE, out);
    return out;
}

char *
panda_peer_id_from_public_key (const uint8_t public_key[PANDA_PEER_ED25519_SIZE],
                               char out[PANDA_PEER_ID_MAX + 1])
{
    uint8_t multihash[S_MULTIHASH_SIZE];
    memcpy (multihash, s_ed25519_prefix, sizeof s_ed25519_prefix);
    memcpy (multihash + sizeof s_ed25519_prefix, public_key, PANDA_PEER_ED25519_SIZE);
    char *text = panda_base58_encode (multihash, sizeof multihash);
    if (!text)
        return NULL;
    size_t len = strlen (text);
    if (PANDA_NEVER (len > PANDA_PEER_ID_MAX)) { //  38 bytes are at most 52 characters
        free (text);
        return NULL;
    }
    memcpy (out, text, len + 1);
    free (text);
    return out;
}

static const char *
s_key_type_name (uint8_t type)
{
    switch (type) {
        case 0: return "RSA";
        case 2: return "Secp256k1";
        case 3: return "ECDSA";
        default: return "unknown";
    }
}

panda_err_t
panda_peer_id_parse (const char *text, size_t len, uint8_t public_key[PANDA_PEER_ED25519_SIZE],
                     panda_error_t *err)
{
    //  Peer ids are short; anything longer is not one (and base58 decoding
    //  is quadratic).
    if (len == 0 || len > 128)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid peer id: %zu characters", len);
    uint8_t bytes[128];
    size_t n;
    panda_err_t rc = panda_base58_decode (text, len, bytes, sizeof bytes, &n, err);
    if (rc)
        return panda_error_prefix (err, "invalid peer id: ");
    if (n >= 2 && bytes[0] == 0x12 && bytes[1] == 0x20)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "peer id is a SHA-256 multihash: only Ed25519 peer ids are supported");
    if (n < 4 || bytes[0] != 0x00 || bytes[1] != n - 2 || bytes[2] != 0x08)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "invalid peer id: not an identity multihash of a public key");
    if (bytes[3] != 0x01)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "peer id has key type %u (%s): only Ed25519 peer ids are supported",
                                (unsigned) bytes[3], s_key_type_name (bytes[3]));
    if (n != S_MULTIHASH_SIZE || memcmp (bytes, s_ed25519_prefix, sizeof s_ed25519_prefix) != 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid peer id: malformed Ed25519 public key");
    panda_public_key_t key;
    rc = panda_public_key_from_bytes (&key, bytes + sizeof s_ed25519_prefix, PANDA_PEER_ED25519_SIZE, err);
    if (rc)
        return panda_error_prefix (err, "invalid peer id: ");
    memcpy (public_key, key.bytes, PANDA_PEER_ED25519_SIZE);
    return PANDA_OK;
}

panda_err_t
panda_peer_curve_public_key (const uint8_t public_key[PANDA_PEER_ED25519_SIZE],
                             uint8_t curve_public_key[PANDA_PEER_CURVE_SIZE], panda_error_t *err)
{
    if (sodium_init () < 0)
        return panda_error_set (err, PANDA_ERR_INTERNAL, "libsodium cannot initialise");
    if (crypto_sign_ed25519_pk_to_curve25519 (curve_public_key, public_key) != 0)
        return panda_error_set (err, PANDA_ERR_SIGNATURE, "public key has no X25519 form");
    return PANDA_OK;
}

panda_peer_identity_t *
panda_peer_identity_new (const uint8_t seed[PANDA_PEER_ED25519_SIZE], panda_error_t *err)
{
    if (sodium_init () < 0) {
        panda_error_set (err, PANDA_ERR_INTERNAL, "libsodium cannot initialise");
        return NULL;
    }
    panda_peer_identity_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    crypto_sign_seed_keypair (self->public_key, self->secret_key, seed);
    if (crypto_sign_ed25519_sk_to_curve25519 (self->curve_secret, self->secret_key) != 0 ||
        crypto_sign_ed25519_pk_to_curve25519 (self->curve_public, self->public_key) != 0) {
        panda_error_set (err, PANDA_ERR_SIGNATURE, "key has no X25519 form");
        panda_peer_identity_destroy (&self);
        return NULL;
    }
    if (!panda_peer_id_from_public_key (self->public_key, self->peer_id)) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        panda_peer_identity_destroy (&self);
    }
    return self;
}

panda_peer_identity_t *
panda_peer_identity_new_random (panda_error_t *err)
{
    if (sodium_init () < 0) {
        panda_error_set (err, PANDA_ERR_INTERNAL, "libsodium cannot initialise");
        return NULL;
    }
    uint8_t seed[PANDA_PEER_ED25519_SIZE];
    randombytes_buf (seed, sizeof seed);
    panda_peer_identity_t *self = panda_peer_identity_new (seed, err);
    sodium_memzero (seed, sizeof seed);
    return self;
}

panda_peer_identity_t *
panda_peer_identity_new_from_key_file (const char *text, size_t len, panda_error_t *err)
{
    uint8_t seed[PANDA_PEER_ED25519_SIZE];
    panda_peer_identity_t *self = NULL;
    if (panda_peer_key_file_parse (text, len, seed, err) == PANDA_OK)
        self = panda_peer_identity_new (seed, err);
    sodium_memzero (seed, sizeof seed);
    return self;
}

void
panda_peer_identity_destroy (panda_peer_identity_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_memzero (*self_p, sizeof **self_p);
    free (*self_p);
    *self_p = NULL;
}

const uint8_t *
panda_peer_identity_public_key (const panda_peer_identity_t *self)
{
    return self->public_key;
}

const char *
panda_peer_identity_peer_id (const panda_peer_identity_t *self)
{
    return self->peer_id;
}

const uint8_t *
panda_peer_identity_curve_public_key (const panda_peer_identity_t *self)
{
    return self->curve_public;
}

const uint8_t *
panda_peer_identity_curve_secret_key (const panda_peer_identity_t *self)
{
    return self->curve_secret;
}

char *
panda_peer_identity_key_file (const panda_peer_identity_t *self, char out[PANDA_PEER_KEY_FILE_SIZE + 1])
{
    return panda_peer_key_file_format (self->secret_key, out);
}
