/*  panda_base58.h - Bitcoin-alphabet base58 (cursors, peer ids).
    Internal to the node libraries; not part of the public API.             */
#ifndef PANDA_BASE58_H_INCLUDED
#define PANDA_BASE58_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Longest base58 text panda_base58_decode takes (decoding is quadratic).
//  A cursor holds two 64-char row cursors and a view id: this allows view
//  ids of about 80 operation ids.
#define PANDA_BASE58_MAX_CHARS 8192

//  Decode len characters of Bitcoin-alphabet base58 into out (cap bytes;
//  len bytes always suffice). Leading '1's give leading zero bytes, the
//  empty text gives zero bytes. Errors (PANDA_ERR_DECODE): "invalid base58
//  character at position N", "base58 text longer than 8192 characters",
//  "base58 output buffer too small"; PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_base58_decode (const char *text, size_t len, uint8_t *out, size_t cap,
                                                 size_t *out_len, panda_error_t *err);

//  Bitcoin-alphabet base58 of len bytes, NUL-terminated (output cursors,
//  node-api §6.3.6). Caller owns the result (free); NULL on OOM.
char *panda_base58_encode (const uint8_t *bytes, size_t len);

#ifdef __cplusplus
}
#endif
#endif
