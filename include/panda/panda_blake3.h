/*  panda_blake3.h - BLAKE3, written here from the BLAKE3 specification.

    Portable C, all three modes (hash, keyed_hash, derive_key) and extendable
    output. The hasher is a plain struct so it can live on the stack; it holds
    a stack of chaining values deep enough for inputs up to 2^64 bytes.     */
#ifndef PANDA_BLAKE3_H_INCLUDED
#define PANDA_BLAKE3_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_BLAKE3_OUT_SIZE 32
#define PANDA_BLAKE3_KEY_SIZE 32
#define PANDA_BLAKE3_BLOCK_SIZE 64
#define PANDA_BLAKE3_CHUNK_SIZE 1024

typedef struct {
    uint32_t key[8];
    uint32_t flags; //  mode flags (KEYED_HASH, DERIVE_KEY_*)
    //  current chunk
    uint32_t cv[8];
    uint64_t chunk_counter;
    uint8_t block[PANDA_BLAKE3_BLOCK_SIZE];
    uint8_t block_len;
    uint8_t blocks_compressed;
    //  chaining values of completed subtrees, one per set bit of chunk_counter
    uint8_t cv_stack_len;
    uint32_t cv_stack[54][8];
} panda_blake3_t;

//  Start a hasher in the default hash mode.
void panda_blake3_init (panda_blake3_t *self);

//  Start a hasher in keyed_hash mode with a 32-byte key.
void panda_blake3_init_keyed (panda_blake3_t *self, const uint8_t key[PANDA_BLAKE3_KEY_SIZE]);

//  Start a hasher in derive_key mode for a NUL-terminated context string.
void panda_blake3_init_derive_key (panda_blake3_t *self, const char *context);

//  Absorb len bytes.
void panda_blake3_update (panda_blake3_t *self, const void *data, size_t len);

//  Write out_len bytes of output (any length: BLAKE3 is an XOF). Does not
//  change the hasher, so more input may follow.
void panda_blake3_final (const panda_blake3_t *self, uint8_t *out, size_t out_len);

//  One-shot 32-byte hash of data.
void panda_blake3 (uint8_t out[PANDA_BLAKE3_OUT_SIZE], const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
