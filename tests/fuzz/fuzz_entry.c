/*  fuzz_entry.c - the Bamboo entry decoder on arbitrary bytes.

    Any input must either fail with a message or decode into an entry whose
    bytes are the input and whose fields are self-consistent; nothing may
    read out of bounds (the replay runs under ASan/UBSan).                  */
#include "panda/panda_entry.h"
#include "panda/panda_lipmaa.h"

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
    panda_entry_t *entry = NULL;
    panda_error_t err;
    if (panda_entry_decode (&entry, data, size, &err) != PANDA_OK) {
        s_check (entry == NULL && err.code != PANDA_OK && err.message[0] != '\0');
        return 0;
    }
    size_t len;
    const uint8_t *bytes = panda_entry_bytes (entry, &len);
    s_check (len == size && len >= PANDA_ENTRY_MIN_SIZE && len <= PANDA_ENTRY_MAX_SIZE);
    s_check (memcmp (bytes, data, size) == 0);
    panda_hash_t hash;
    panda_hash_compute (&hash, data, size);
    s_check (panda_hash_eq (&hash, panda_entry_hash (entry)));
    uint64_t seq = panda_entry_seq_num (entry);
    s_check (seq >= 1);
    s_check ((panda_entry_backlink (entry) != NULL) == (seq > 1));
    s_check ((panda_entry_skiplink (entry) != NULL) == panda_lipmaa_skiplink_required (seq));
    //  Verification and the pure checks never crash, and fill the message
    //  whenever they fail.
    panda_err_t rc[] = {
        panda_entry_verify (entry, &err),
        panda_entry_check_payload (entry, data, size, &err),
        panda_entry_check_links (entry, panda_entry_hash (entry), NULL, &err),
        panda_entry_check_seq_num (entry, seq - 1, &err),
        panda_entry_check_next_seq_num (entry, &err),
    };
    s_check (rc[3] == PANDA_OK); //  seq follows seq - 1
    s_check (rc[1] != PANDA_OK); //  an entry never hashes to its own payload hash
    panda_entry_destroy (&entry);
    return 0;
}
