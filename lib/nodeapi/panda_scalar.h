/*  panda_scalar.h - input checks of the node's custom GraphQL scalars
    (node-api §3).

    Each check has the shape of panda_gql_scalar_check_fn (the hint is
    unused): it gets any JSON leaf the client sent and says whether it is a
    valid value. They follow what aquadoggo's scalars accept, which is what
    p2panda-rs 0.8.1 parses:

    - PublicKey: p2panda-rs PublicKey::new = hex::decode (either case) of 32
      bytes, then ed25519-dalek 1.0 PublicKey::from_bytes, which only asks
      curve25519-dalek to decompress the point. Small-order points and
      non-canonical y encodings decompress and so are accepted here, unlike
      panda_public_key_from_bytes (signature checks refuse them later).
    - DocumentId / DocumentViewId: lower-case ids through panda_hash and
      panda_view_id. p2panda-rs' hex::decode would also take upper case, but
      such ids never match anything stored; we refuse them at validation.
    - Cursor: bs58 (Bitcoin alphabet) -> UTF-8 -> 1 or 3 '-' parts, the third
      a DocumentViewId. The empty string decodes to one empty part and is
      valid, as in aquadoggo.                                               */
#ifndef PANDA_SCALAR_H_INCLUDED
#define PANDA_SCALAR_H_INCLUDED

#include <jansson.h>
#include "panda/panda_err.h"
#include "panda/panda_keypair.h"
#include "panda_base58.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Parse a PublicKey scalar value the way the reference does: 64 hex
//  characters of either case, a point that decompresses. Returns false if
//  it is not one; key may be NULL.
bool panda_scalar_public_key_decode (const char *text, size_t len, panda_public_key_t *key);

//  The scalar checks (node-api §3). v is any JSON value; only strings pass.
bool panda_scalar_public_key (const json_t *v, void *hint); //  PublicKey
bool panda_scalar_document_id (const json_t *v, void *hint); //  DocumentId: 68 hex, YASMF hash
bool panda_scalar_document_view_id (const json_t *v, void *hint); //  DocumentViewId: sorted ids
bool panda_scalar_hex (const json_t *v, void *hint); //  EncodedEntry, EncodedOperation, HexBytes
bool panda_scalar_cursor (const json_t *v, void *hint); //  Cursor

#ifdef __cplusplus
}
#endif
#endif
