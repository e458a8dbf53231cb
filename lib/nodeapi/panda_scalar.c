/*  panda_scalar.c - the node's custom GraphQL scalar checks (node-api §3).

    Scalar values come straight from remote clients: every length is
    checked before reading, strings are taken with their JSON length (they
    may hold NUL bytes), and decoding is bounded by named limits.           */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "panda/panda_hash.h"
#include "panda/panda_hex.h"
#include "panda_base58.h"
#include "panda_cbor.h"
#include "panda_scalar.h"
#include "panda/panda_view_id.h"

#define S_CURSOR_SEPARATOR '-'
#define S_CURSOR_PARTS_MAX 3

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
        !panda_cbor_utf8_valid (text, size)) {
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
