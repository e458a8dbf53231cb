/*  panda_hash.c - YASMF BLAKE3 hashes. See panda_hash.h.                   */
#include "panda/panda_hash.h"
#include "panda/panda_blake3.h"
#include "panda/panda_hex.h"

#include <stdio.h>
#include <string.h>

void
panda_hash_compute (panda_hash_t *self, const void *data, size_t len)
{
    self->bytes[0] = 0x00;
    self->bytes[1] = PANDA_BLAKE3_OUT_SIZE;
    panda_blake3 (self->bytes + 2, data, len);
}

panda_err_t
panda_hash_from_bytes (panda_hash_t *self, const uint8_t *bytes, size_t len, panda_error_t *err)
{
    if (len != PANDA_HASH_SIZE)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid hash length %zu bytes, expected %d bytes",
                                len, PANDA_HASH_SIZE);
    //  Byte 0 is the varu64 hash-function id (0 = BLAKE3), byte 1 the digest
    //  length. We only accept the one encoding honest encoders write.
    if (bytes[0] != 0x00 || bytes[1] != PANDA_BLAKE3_OUT_SIZE)
        return panda_error_set (err, PANDA_ERR_DECODE, "can not decode YASMF BLAKE3 hash");
    memcpy (self->bytes, bytes, PANDA_HASH_SIZE);
    return PANDA_OK;
}

static int
s_lower_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

panda_err_t
panda_hash_from_hex (panda_hash_t *self, const char *hex, size_t len, panda_error_t *err)
{
    if (len % 2 != 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex encoding in hash string");
    if (len != 2 * PANDA_HASH_SIZE) {
        for (size_t i = 0; i < len; i++)
            if (s_lower_hex_digit (hex[i]) < 0)
                return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex encoding in hash string");
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid hash length %zu bytes, expected %d bytes",
                                len / 2, PANDA_HASH_SIZE);
    }
    uint8_t bytes[PANDA_HASH_SIZE];
    for (size_t i = 0; i < PANDA_HASH_SIZE; i++) {
        int hi = s_lower_hex_digit (hex[2 * i]);
        int lo = s_lower_hex_digit (hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex encoding in hash string");
        bytes[i] = (uint8_t) (hi << 4 | lo);
    }
    return panda_hash_from_bytes (self, bytes, sizeof bytes, err);
}

char *
panda_hash_to_hex (const panda_hash_t *self, char out[PANDA_HASH_HEX_SIZE + 1])
{
    panda_hex_write (self->bytes, PANDA_HASH_SIZE, out);
    return out;
}

int
panda_hash_cmp (const panda_hash_t *a, const panda_hash_t *b)
{
    return memcmp (a->bytes, b->bytes, PANDA_HASH_SIZE);
}

bool
panda_hash_eq (const panda_hash_t *a, const panda_hash_t *b)
{
    return memcmp (a->bytes, b->bytes, PANDA_HASH_SIZE) == 0;
}
