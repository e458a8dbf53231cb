/*  fuzz_hash.c - YASMF hash and public key parsing on arbitrary text/bytes.

    The input is tried as hex text and as binary; whatever parses must print
    back as the same lower-case hex and parse again to the same value.       */
#include "panda/panda_hash.h"
#include "panda/panda_keypair.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_check (bool condition)
{
    if (!condition)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_hash_t hash, again;
    panda_error_t err;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    if (panda_hash_from_hex (&hash, (const char *) data, size, &err) == PANDA_OK) {
        s_check (size == PANDA_HASH_HEX_SIZE);
        s_check (memcmp (panda_hash_to_hex (&hash, hex), data, size) == 0);
    } else
        s_check (err.message[0] != '\0');
    if (panda_hash_from_bytes (&hash, data, size, &err) == PANDA_OK) {
        s_check (size == PANDA_HASH_SIZE && memcmp (hash.bytes, data, size) == 0);
        panda_hash_to_hex (&hash, hex);
        s_check (panda_hash_from_hex (&again, hex, strlen (hex), NULL) == PANDA_OK);
        s_check (panda_hash_eq (&hash, &again));
    }
    panda_public_key_t key;
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    if (panda_public_key_from_hex (&key, (const char *) data, size, &err) == PANDA_OK)
        s_check (memcmp (panda_public_key_to_hex (&key, key_hex), data, size) == 0);
    if (panda_public_key_from_bytes (&key, data, size, &err) == PANDA_OK)
        s_check (memcmp (key.bytes, data, size) == 0);
    return 0;
}
