/*  panda_hex.c - hex text for byte strings. See panda_hex.h.               */
#include "panda/panda_hex.h"

#include <stdlib.h>

int
panda_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

panda_err_t
panda_hex_decode (const char *hex, size_t len, uint8_t **out, size_t *out_len, panda_error_t *err)
{
    if (len % 2)
        return panda_error_set (err, PANDA_ERR_DECODE, "odd number of hex digits");
    uint8_t *bytes = malloc (len / 2 + 1);
    if (!bytes)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < len / 2; i++) {
        int hi = panda_hex_digit (hex[2 * i]), lo = panda_hex_digit (hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free (bytes);
            return panda_error_set (err, PANDA_ERR_DECODE, "invalid hex digit at position %zu",
                                    2 * i + (hi >= 0));
        }
        bytes[i] = (uint8_t) (hi << 4 | lo);
    }
    *out = bytes;
    *out_len = len / 2;
    return PANDA_OK;
}

void
panda_hex_write (const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

char *
panda_hex_encode (const uint8_t *bytes, size_t len)
{
    char *out = malloc (2 * len + 1);
    if (out)
        panda_hex_write (bytes, len, out);
    return out;
}
