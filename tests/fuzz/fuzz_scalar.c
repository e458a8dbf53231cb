/*  fuzz_scalar.c - the node's scalar checks and the base58 codec on
    arbitrary bytes.

    The input is tried as a JSON string of every scalar, as JSON text (any
    value, as a client could send it), as base58 text and as bytes to
    encode. Whatever passes a check must also pass the stricter parser
    behind it, and base58 must round-trip exactly.                          */
#include <stdlib.h>
#include <string.h>
#include "panda/panda_hash.h"
#include "panda/panda_hex.h"
#include "panda_cbor.h"
#include "panda_scalar.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_check (bool condition)
{
    if (!condition)
        abort ();
}

static void
s_scalars (const json_t *v, const char *text, size_t size)
{
    if (panda_scalar_public_key (v, NULL)) {
        panda_public_key_t key;
        s_check (size == PANDA_PUBLIC_KEY_HEX_SIZE && panda_scalar_public_key_decode (text, size, &key));
    }
    if (panda_scalar_document_id (v, NULL)) {
        panda_hash_t hash;
        s_check (size == PANDA_HASH_HEX_SIZE && panda_hash_from_hex (&hash, text, size, NULL) == PANDA_OK);
    }
    if (panda_scalar_document_view_id (v, NULL))
        s_check (size >= PANDA_HASH_HEX_SIZE && (size + 1) % (PANDA_HASH_HEX_SIZE + 1) == 0);
    if (panda_scalar_hex (v, NULL)) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        s_check (panda_hex_decode (text, size, &bytes, &len, NULL) == PANDA_OK && len == size / 2);
        free (bytes);
    }
    if (panda_scalar_cursor (v, NULL)) {
        uint8_t *out = malloc (size + 1);
        size_t len = 0;
        s_check (out && panda_base58_decode (text, size, out, size, &len, NULL) == PANDA_OK);
        s_check (panda_cbor_utf8_valid (out, len));
        free (out);
    }
}

static void
s_base58 (const uint8_t *data, size_t size)
{
    uint8_t *out = malloc (size + 1);
    size_t len = 0;
    s_check (out != NULL);
    if (panda_base58_decode ((const char *) data, size, out, size, &len, NULL) == PANDA_OK) {
        char *again = panda_base58_encode (out, len);
        s_check (again && strlen (again) == size && memcmp (again, data, size) == 0);
        free (again);
    }
    free (out);
    if (size > PANDA_BASE58_MAX_CHARS / 2)
        return;
    char *text = panda_base58_encode (data, size);
    s_check (text != NULL);
    size_t text_len = strlen (text);
    uint8_t *back = malloc (text_len + 1);
    s_check (back && panda_base58_decode (text, text_len, back, text_len, &len, NULL) == PANDA_OK);
    s_check (len == size && memcmp (back, data, size) == 0);
    free (back);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  Any bytes as a string value: the checks must not trust UTF-8 or NULs.
    json_t *s = json_stringn_nocheck ((const char *) data, size);
    if (s)
        s_scalars (s, (const char *) data, size);
    json_decref (s);
    json_t *v = json_loadb ((const char *) data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v) {
        const char *text = json_string_value (v);
        s_scalars (v, text ? text : "", text ? json_string_length (v) : 0);
    }
    json_decref (v);
    s_base58 (data, size);
    return 0;
}
