/*  panda_varu64.c - shortest-form varu64 codec. See panda_varu64.h.        */
#include "panda/panda_varu64.h"

#define S_ONE_BYTE_MAX 247 //  values 0..247 are their own byte

size_t
panda_varu64_size (uint64_t value)
{
    if (value <= S_ONE_BYTE_MAX)
        return 1;
    size_t k = 1;
    while (k < 8 && (value >> (8 * k)) != 0)
        k++;
    return 1 + k;
}

size_t
panda_varu64_encode (uint64_t value, uint8_t out[PANDA_VARU64_MAX_SIZE])
{
    size_t size = panda_varu64_size (value);
    if (size == 1) {
        out[0] = (uint8_t) value;
        return 1;
    }
    size_t k = size - 1;
    out[0] = (uint8_t) (S_ONE_BYTE_MAX + k);
    for (size_t i = 0; i < k; i++)
        out[1 + i] = (uint8_t) (value >> (8 * (k - 1 - i)));
    return size;
}

panda_err_t
panda_varu64_decode (uint64_t *value, const uint8_t **ptr, const uint8_t *end, panda_error_t *err)
{
    const uint8_t *p = *ptr;
    if (p >= end)
        return panda_error_set (err, PANDA_ERR_DECODE, "varu64 is truncated");
    uint8_t head = *p++;
    if (head <= S_ONE_BYTE_MAX) {
        *value = head;
        *ptr = p;
        return PANDA_OK;
    }
    size_t k = (size_t) head - S_ONE_BYTE_MAX; //  1..8
    if ((size_t) (end - p) < k)
        return panda_error_set (err, PANDA_ERR_DECODE, "varu64 is truncated");
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = v << 8 | p[i];
    //  Shortest form: the value needs exactly k bytes and more than one byte.
    if (panda_varu64_size (v) != 1 + k)
        return panda_error_set (err, PANDA_ERR_DECODE, "varu64 is not in its shortest form");
    *value = v;
    *ptr = p + k;
    return PANDA_OK;
}
