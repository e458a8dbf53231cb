/*  panda_varu64.h - varu64, the variable-length u64 of Bamboo entries.

    0..247 is one byte equal to the value; larger values are a length byte
    247 + k followed by the value in k big-endian bytes (k = 1..8). Only the
    shortest encoding is valid (spec data-types.md §1.2): the decoder rejects
    every longer form, so each value has exactly one encoding.              */
#ifndef PANDA_VARU64_H_INCLUDED
#define PANDA_VARU64_H_INCLUDED

#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_VARU64_MAX_SIZE 9

//  Number of bytes the shortest encoding of value takes (1..9).
size_t panda_varu64_size (uint64_t value);

//  Write the shortest encoding of value into out; returns its length.
size_t panda_varu64_encode (uint64_t value, uint8_t out[PANDA_VARU64_MAX_SIZE]);

//  Read one varu64 at *ptr (not reading at or past end). On success stores
//  the value and advances *ptr; on failure leaves *ptr unchanged. Errors
//  (PANDA_ERR_DECODE): "varu64 is truncated", "varu64 is not in its
//  shortest form".
PANDA_NODISCARD panda_err_t panda_varu64_decode (uint64_t *value, const uint8_t **ptr, const uint8_t *end,
                                                 panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
