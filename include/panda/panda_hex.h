/*  panda_hex.h - hex text for byte strings (entries, operations, values).

    Lenient on case when decoding, as the reference is for hex it decodes;
    identifiers compared as strings (hashes, schema ids) are parsed by their
    own stricter readers. Encoding is always lower-case.                    */
#ifndef PANDA_HEX_H_INCLUDED
#define PANDA_HEX_H_INCLUDED

#include "panda/panda_err.h"

//  Value of one hex digit (either case), or -1.
int panda_hex_digit (char c);

//  Decode len hex characters into fresh bytes (*out never NULL on success,
//  even for len 0). Caller owns *out (free). Errors, PANDA_ERR_DECODE:
//  "odd number of hex digits", "invalid hex digit at position N".
PANDA_NODISCARD panda_err_t panda_hex_decode (const char *hex, size_t len, uint8_t **out, size_t *out_len,
                                              panda_error_t *err);

//  Lower-case hex of len bytes, NUL-terminated. Caller owns the result
//  (free); NULL on OOM.
char *panda_hex_encode (const uint8_t *bytes, size_t len);

//  Write the lower-case hex of len bytes plus NUL into out (2 * len + 1
//  chars), for callers with a fixed buffer.
void panda_hex_write (const uint8_t *bytes, size_t len, char *out);

#endif
