/*  panda_hash.h - YASMF hashes: the 34-byte BLAKE3 ids of p2panda.

    Binary form: 0x00 (BLAKE3) 0x20 (32 bytes) followed by the BLAKE3-256
    digest. Text form: the 34 bytes as 68 lower-case hex characters. Entry
    hashes, operation ids, document ids and payload hashes are all this type.
    memcmp order of the binary form equals the order of the hex strings.

    This module is strict: a length byte other than 0x20 is rejected (the
    reference accepts and rewrites it; see docs/protocol-notes.md).         */
#ifndef PANDA_HASH_H_INCLUDED
#define PANDA_HASH_H_INCLUDED

#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_HASH_SIZE 34
#define PANDA_HASH_HEX_SIZE 68 //  without the terminating NUL

typedef struct {
    uint8_t bytes[PANDA_HASH_SIZE];
} panda_hash_t;

//  Hash len bytes of data into a YASMF BLAKE3 hash.
void panda_hash_compute (panda_hash_t *self, const void *data, size_t len);

//  Parse 34 binary bytes. Errors (reference texts): "invalid hash length N
//  bytes, expected 34 bytes", "can not decode YASMF BLAKE3 hash".
PANDA_NODISCARD panda_err_t panda_hash_from_bytes (panda_hash_t *self, const uint8_t *bytes, size_t len,
                                                   panda_error_t *err);

//  Parse a 68-char lower-case hex string of len characters (not necessarily
//  NUL-terminated). Errors: "invalid hex encoding in hash string" and those
//  of panda_hash_from_bytes.
PANDA_NODISCARD panda_err_t panda_hash_from_hex (panda_hash_t *self, const char *hex, size_t len,
                                                 panda_error_t *err);

//  Write the 68-char hex form plus NUL into out; returns out.
char *panda_hash_to_hex (const panda_hash_t *self, char out[PANDA_HASH_HEX_SIZE + 1]);

//  memcmp order (= order of the hex strings).
int panda_hash_cmp (const panda_hash_t *a, const panda_hash_t *b);

bool panda_hash_eq (const panda_hash_t *a, const panda_hash_t *b);

#ifdef __cplusplus
}
#endif
#endif
