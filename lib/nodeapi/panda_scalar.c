/*  panda_scalar.c - the node's custom GraphQL scalar checks (node-api §3)
    and the base58 codec of pagination cursors.

    Scalar values come straight from remote clients: every length is
    checked before reading, strings are taken with their JSON length (they
    may hold NUL bytes), and decoding is bounded by named limits.           */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "panda/panda_hash.h"
#include "panda/panda_hex.h"
#include "panda_scalar.h"
#include "panda/panda_view_id.h"

#define S_BASE58_ALPHABET "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#define S_CURSOR_SEPARATOR '-'
#define S_CURSOR_PARTS_MAX 3

// ---------------------------------------------------------------------------
//  Base58

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

// ---------------------------------------------------------------------------
//  UTF-8 (RFC 3629)

bool
panda_utf8_valid (const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p < end) {
        uint8_t c = *p++;
        if (c < 0x80)
            continue;
        size_t more;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf)
            more = 1, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            more = 2, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            more = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if ((size_t) (end - p) < more)
            return false;
        for (size_t i = 0; i < more; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        p += more;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

// ---------------------------------------------------------------------------
//  Scalars

//  The string of a JSON string value and its length, or NULL.
static const char *
s_string (const json_t *v, size_t *len)
{
    const char *s = json_string_value (v);
    *len = s ? json_string_length (v) : 0;
    return s;
}

bool
panda_scalar_public_key_decode (const char *text, size_t len, panda_public_key_t *key)
{
    uint8_t bytes[PANDA_PUBLIC_KEY_SIZE];
    if (len != PANDA_PUBLIC_KEY_HEX_SIZE)
        return false;
    for (size_t i = 0; i < PANDA_PUBLIC_KEY_SIZE; i++) {
        int hi = panda_hex_digit (text[2 * i]), lo = panda_hex_digit (text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bytes[i] = (uint8_t) (hi << 4 | lo);
    }
    //  Adding the identity succeeds exactly when the point decompresses,
    //  with no small-order or canonical-encoding test (ed25519-dalek 1.0).
    static const uint8_t identity[crypto_core_ed25519_BYTES] = {1};
    uint8_t sum[crypto_core_ed25519_BYTES];
    if (crypto_core_ed25519_add (sum, bytes, identity) != 0)
        return false;
    if (key)
        memcpy (key->bytes, bytes, sizeof bytes);
    return true;
}

bool
panda_scalar_public_key (const json_t *v, void *hint)
{
    (void) hint;
    size_t len;
    const char *s = s_string (v, &len);
    return s && panda_scalar_public_key_decode (s, len, NULL);
}

bool
panda_scalar_document_id (const json_t *v, void *hint)
{
    (void) hint;
    size_t len;
    const char *s = s_string (v, &len);
    panda_hash_t hash;
    return s && len == PANDA_HASH_HEX_SIZE && panda_hash_from_hex (&hash, s, len, NULL) == PANDA_OK;
}

//  len characters form a DocumentViewId (empty text is invalid).
static bool
s_view_id_valid (const char *text, size_t len)
{
    panda_hash_t *ids = NULL;
    size_t count = 0;
    if (len == 0 || panda_view_id_from_string (text, len, &ids, &count, NULL) != PANDA_OK)
        return false;
    free (ids);
    return true;
}

bool
panda_scalar_document_view_id (const json_t *v, void *hint)
{
    (void) hint;
    size_t len;
    const char *s = s_string (v, &len);
    return s && s_view_id_valid (s, len);
}

bool
panda_scalar_hex (const json_t *v, void *hint)
{
    (void) hint;
    size_t len;
    const char *s = s_string (v, &len);
    if (!s || len % 2 != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (panda_hex_digit (s[i]) < 0)
            return false;
    return true;
}

bool
panda_scalar_cursor (const json_t *v, void *hint)
{
    (void) hint;
    size_t len, size = 0;
    const char *s = s_string (v, &len);
    if (!s || len > PANDA_BASE58_MAX_CHARS)
        return false;
    uint8_t *text = malloc (len + 1); //  base58 never decodes to more bytes than characters
    if (!text || panda_base58_decode (s, len, text, len, &size, NULL) != PANDA_OK ||
        !panda_utf8_valid (text, size)) {
        free (text);
        return false;
    }
    //  Split on '-': 1 part, or 3 with a view id as the last.
    const uint8_t *part[S_CURSOR_PARTS_MAX + 1] = {text};
    size_t parts = 1;
    for (size_t i = 0; i < size && parts <= S_CURSOR_PARTS_MAX; i++)
        if (text[i] == S_CURSOR_SEPARATOR)
            part[parts++] = text + i + 1;
    bool valid = parts == 1 || (parts == S_CURSOR_PARTS_MAX &&
                                s_view_id_valid ((const char *) part[2], (size_t) (text + size - part[2])));
    free (text);
    return valid;
}
