/*  panda_base58.c - Bitcoin-alphabet base58, as bs58 and multiformats
    write it: pagination cursors (node-api §6.3.6) and libp2p peer ids
    (node-api §10). Decoding is quadratic, so its input is bounded.        */
#include <stdlib.h>
#include <string.h>
#include "panda_base58.h"

#define S_BASE58_ALPHABET "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

//  Value of one base58 character, or -1.
static int
s_base58_digit (char c)
{
    const char *at = c ? strchr (S_BASE58_ALPHABET, c) : NULL;
    return at ? (int) (at - S_BASE58_ALPHABET) : -1;
}

panda_err_t
panda_base58_decode (const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                     panda_error_t *err)
{
    *out_len = 0;
    if (len > PANDA_BASE58_MAX_CHARS)
        return panda_error_set (err, PANDA_ERR_DECODE, "base58 text longer than %d characters",
                                PANDA_BASE58_MAX_CHARS);
    size_t zeros = 0;
    while (zeros < len && text[zeros] == '1')
        zeros++;
    //  The number as little-endian 32-bit limbs: log(58)/log(2^32) < 1/5.
    size_t limb_cap = len / 5 + 2, limbs = 0;
    uint32_t *limb = calloc (limb_cap, sizeof (uint32_t));
    if (!limb)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory decoding base58");
    panda_err_t rc = PANDA_OK;
    for (size_t i = zeros; i < len; i++) {
        int digit = s_base58_digit (text[i]);
        if (digit < 0) {
            rc = panda_error_set (err, PANDA_ERR_DECODE, "invalid base58 character at position %zu", i);
            goto done;
        }
        uint64_t carry = (uint64_t) digit;
        for (size_t l = 0; l < limbs; l++) {
            carry += (uint64_t) limb[l] * 58;
            limb[l] = (uint32_t) carry;
            carry >>= 32;
        }
        if (carry && limbs < limb_cap)
            limb[limbs++] = (uint32_t) carry;
    }
    //  Significant bytes of the number, most significant first.
    size_t bytes = limbs * 4;
    while (bytes > 0 && ((limb[(bytes - 1) / 4] >> (8 * ((bytes - 1) % 4))) & 0xff) == 0)
        bytes--;
    if (zeros + bytes > cap) {
        rc = panda_error_set (err, PANDA_ERR_DECODE, "base58 output buffer too small");
        goto done;
    }
    memset (out, 0, zeros);
    for (size_t b = 0; b < bytes; b++) {
        size_t from = bytes - 1 - b;
        out[zeros + b] = (uint8_t) (limb[from / 4] >> (8 * (from % 4)));
    }
    *out_len = zeros + bytes;
done:
    free (limb);
    return rc;
}

char *
panda_base58_encode (const uint8_t *bytes, size_t len)
{
    size_t zeros = 0;
    while (zeros < len && bytes[zeros] == 0)
        zeros++;
    //  Base-58 digits, least significant first: log(256)/log(58) < 1.37.
    size_t cap = (len - zeros) * 137 / 100 + 1, digits = 0;
    uint8_t *digit = calloc (cap, 1);
    char *text = digit ? malloc (zeros + cap + 1) : NULL;
    if (!text) {
        free (digit);
        return NULL;
    }
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = bytes[i];
        for (size_t d = 0; d < digits; d++) {
            carry += (unsigned) digit[d] << 8;
            digit[d] = (uint8_t) (carry % 58);
            carry /= 58;
        }
        while (carry && digits < cap) {
            digit[digits++] = (uint8_t) (carry % 58);
            carry /= 58;
        }
    }
    memset (text, '1', zeros);
    for (size_t d = 0; d < digits; d++)
        text[zeros + d] = S_BASE58_ALPHABET[digit[digits - 1 - d]];
    text[zeros + digits] = 0;
    free (digit);
    return text;
}
