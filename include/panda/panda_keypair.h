/*  panda_keypair.h - Ed25519 key pairs and public keys (libsodium).

    An author is an Ed25519 public key (spec data-types.md §1.4, §2). A key
    pair is opaque and owns its secret, which is wiped on destroy; the
    private key is the 32-byte RFC 8032 seed, 64 hex characters as text.
    panda_public_key_t is a small value type passed by value.

    Public keys parsed here must be canonical points of prime order: invalid
    and small-order points are rejected (stricter than the reference, which
    accepts small-order keys; nobody holds a secret for them).              */
#ifndef PANDA_KEYPAIR_H_INCLUDED
#define PANDA_KEYPAIR_H_INCLUDED

#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_PUBLIC_KEY_SIZE 32
#define PANDA_PUBLIC_KEY_HEX_SIZE 64 //  without the terminating NUL
#define PANDA_PRIVATE_KEY_SIZE 32
#define PANDA_PRIVATE_KEY_HEX_SIZE 64
#define PANDA_SIGNATURE_SIZE 64

typedef struct {
    uint8_t bytes[PANDA_PUBLIC_KEY_SIZE];
} panda_public_key_t;

typedef struct _panda_keypair_t panda_keypair_t;

//  New random key pair. Caller owns the result (panda_keypair_destroy);
//  NULL if out of memory or libsodium cannot initialise.
panda_keypair_t *panda_keypair_new (void);

//  Key pair from a 32-byte private key (seed). Caller owns the result.
panda_keypair_t *panda_keypair_new_from_private_key (const uint8_t private_key[PANDA_PRIVATE_KEY_SIZE]);

//  Key pair from a private key as len hex characters (64, lower or upper
//  case). Caller owns the result; NULL and err filled on bad input
//  ("invalid private key: ...").
panda_keypair_t *panda_keypair_new_from_hex (const char *hex, size_t len, panda_error_t *err);

//  Wipe and free the key pair, set *self_p to NULL. Accepts NULL.
void panda_keypair_destroy (panda_keypair_t **self_p);

//  The public key.
panda_public_key_t panda_keypair_public_key (const panda_keypair_t *self);

//  Write the private key as 64 hex characters plus NUL into out (a secret:
//  the caller wipes it when done); returns out.
char *panda_keypair_private_key_hex (const panda_keypair_t *self, char out[PANDA_PRIVATE_KEY_HEX_SIZE + 1]);

//  Ed25519 signature of len bytes of msg into sig.
void panda_keypair_sign (const panda_keypair_t *self, const uint8_t *msg, size_t len,
                         uint8_t sig[PANDA_SIGNATURE_SIZE]);

//  Parse 32 bytes as a public key. Errors (PANDA_ERR_SIGNATURE): "invalid
//  public key length N bytes, expected 32 bytes", "invalid public key bytes"
//  (not a point), "public key is a small-order or non-canonical point".
PANDA_NODISCARD panda_err_t panda_public_key_from_bytes (panda_public_key_t *self, const uint8_t *bytes,
                                                         size_t len, panda_error_t *err);

//  Parse len hex characters (lower case) as a public key. Errors: "invalid
//  hex encoding in public key string" and those of panda_public_key_from_bytes.
PANDA_NODISCARD panda_err_t panda_public_key_from_hex (panda_public_key_t *self, const char *hex, size_t len,
                                                       panda_error_t *err);

//  Write the 64-char hex form plus NUL into out; returns out.
char *panda_public_key_to_hex (const panda_public_key_t *self, char out[PANDA_PUBLIC_KEY_HEX_SIZE + 1]);

bool panda_public_key_eq (const panda_public_key_t *a, const panda_public_key_t *b);

//  Check an Ed25519 signature by self over len bytes of msg (libsodium:
//  S must be reduced, small-order keys and R are refused). Error
//  (PANDA_ERR_SIGNATURE): "signature invalid".
PANDA_NODISCARD panda_err_t panda_public_key_verify (const panda_public_key_t *self, const uint8_t *msg,
                                                     size_t len, const uint8_t sig[PANDA_SIGNATURE_SIZE],
                                                     panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
