/*  panda_peer_id.h - node identity: the private key file, the libp2p PeerId
    and the CURVE key pair, all from one Ed25519 key (node-api §10,
    docs/replication.md).

    Key file: aquadoggo writes the 32-byte Ed25519 secret (seed) as 64
    lower-case hex characters with no newline, and reads it back with a
    strict hex decoder. We write the same bytes, and read leniently: ASCII
    whitespace around the hex (the newline an editor or `panda key new`
    adds) is ignored, either case is accepted. Files written here therefore
    load in aquadoggo and the other way round.

    PeerId: base58btc of the identity multihash (0x00, length 36) of the
    protobuf PublicKey {Type: Ed25519 (1), Data: <32-byte key>}, i.e. the
    38 bytes 00 24 08 01 12 20 <key>, which always prints as `12D3KooW...`.
    Peer ids of other key types (RSA `Qm...`, secp256k1, ECDSA) are refused.

    CURVE: the X25519 pair that libsodium derives from the Ed25519 pair
    (crypto_sign_ed25519_{pk,sk}_to_curve25519), so a peer id alone gives
    the CURVE server key to connect to. Z85 text for zmq_setsockopt is left
    to the caller (zmq_z85_encode); this library links no ZeroMQ.           */
#ifndef PANDA_PEER_ID_H_INCLUDED
#define PANDA_PEER_ID_H_INCLUDED

#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_PEER_ED25519_SIZE 32 //  public key and seed
#define PANDA_PEER_CURVE_SIZE 32 //  X25519 public and secret key
#define PANDA_PEER_KEY_FILE_SIZE 64 //  hex characters in a key file
#define PANDA_PEER_ID_MAX 60 //  characters of an Ed25519 peer id (52 in practice)

typedef struct _panda_peer_identity_t panda_peer_identity_t;

//  Parse the text of a private key file into the 32-byte seed. Errors
//  (PANDA_ERR_DECODE): "invalid private key file: expected 64 hex
//  characters, found N", "invalid private key file: invalid hex digit at
//  position N". seed is wiped on error.
PANDA_NODISCARD panda_err_t panda_peer_key_file_parse (const char *text, size_t len,
                                                       uint8_t seed[PANDA_PEER_ED25519_SIZE],
                                                       panda_error_t *err);

//  The key file text of seed: 64 lower-case hex characters plus NUL (write
//  exactly those 64 bytes, mode 0600). A secret: wipe out after use.
char *panda_peer_key_file_format (const uint8_t seed[PANDA_PEER_ED25519_SIZE],
                                  char out[PANDA_PEER_KEY_FILE_SIZE + 1]);

//  The `12D3KooW...` peer id of an Ed25519 public key into out; returns
//  out, or NULL if out of memory.
char *panda_peer_id_from_public_key (const uint8_t public_key[PANDA_PEER_ED25519_SIZE],
                                     char out[PANDA_PEER_ID_MAX + 1]);

//  The Ed25519 public key of len characters of peer id text. Errors
//  (PANDA_ERR_DECODE): bad base58, "peer id is a SHA-256 multihash: only
//  Ed25519 peer ids are supported", "peer id has key type N (RSA/...):
//  only Ed25519 peer ids are supported", "invalid peer id: ...";
//  PANDA_ERR_SIGNATURE if the key is not a usable Ed25519 point.
PANDA_NODISCARD panda_err_t panda_peer_id_parse (const char *text, size_t len,
                                                 uint8_t public_key[PANDA_PEER_ED25519_SIZE],
                                                 panda_error_t *err);

//  The X25519 public key of an Ed25519 public key (the CURVE server key of
//  a peer known by its peer id). PANDA_ERR_SIGNATURE if it has none.
PANDA_NODISCARD panda_err_t panda_peer_curve_public_key (const uint8_t public_key[PANDA_PEER_ED25519_SIZE],
                                                         uint8_t curve_public_key[PANDA_PEER_CURVE_SIZE],
                                                         panda_error_t *err);

//  Identity of a 32-byte seed. Caller owns the result
//  (panda_peer_identity_destroy); NULL and err on failure.
panda_peer_identity_t *panda_peer_identity_new (const uint8_t seed[PANDA_PEER_ED25519_SIZE],
                                                panda_error_t *err);

//  A fresh random (ephemeral) identity. Caller owns the result.
panda_peer_identity_t *panda_peer_identity_new_random (panda_error_t *err);

//  Identity from the text of a private key file. Caller owns the result;
//  NULL and the errors of panda_peer_key_file_parse on bad text.
panda_peer_identity_t *panda_peer_identity_new_from_key_file (const char *text, size_t len,
                                                              panda_error_t *err);

//  Wipe and free, set *self_p to NULL. Accepts NULL.
void panda_peer_identity_destroy (panda_peer_identity_t **self_p);

//  The Ed25519 public key (PANDA_PEER_ED25519_SIZE bytes).
const uint8_t *panda_peer_identity_public_key (const panda_peer_identity_t *self);

//  The `12D3KooW...` peer id.
const char *panda_peer_identity_peer_id (const panda_peer_identity_t *self);

//  The CURVE (X25519) public and secret keys (PANDA_PEER_CURVE_SIZE bytes).
const uint8_t *panda_peer_identity_curve_public_key (const panda_peer_identity_t *self);
const uint8_t *panda_peer_identity_curve_secret_key (const panda_peer_identity_t *self);

//  The key file text of this identity (see panda_peer_key_file_format).
char *panda_peer_identity_key_file (const panda_peer_identity_t *self,
                                    char out[PANDA_PEER_KEY_FILE_SIZE + 1]);

#ifdef __cplusplus
}
#endif
#endif
