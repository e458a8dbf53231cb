/*  panda_blake3.c - BLAKE3 (hash, keyed_hash, derive_key, XOF), portable C.

    Written from the BLAKE3 specification: 1024-byte chunks of 64-byte blocks
    compressed with a 7-round ChaCha-like function, chunk chaining values
    merged into a binary tree. The hasher keeps one chaining value per
    completed subtree (a stack whose height is the popcount of the chunk
    counter), so memory is constant whatever the input length.               */
#include "panda/panda_blake3.h"

#include <string.h>

enum {
    CHUNK_START = 1 << 0,
    CHUNK_END = 1 << 1,
    PARENT = 1 << 2,
    ROOT = 1 << 3,
    KEYED_HASH = 1 << 4,
    DERIVE_KEY_CONTEXT = 1 << 5,
    DERIVE_KEY_MATERIAL = 1 << 6
};

static const uint32_t s_iv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

static const uint8_t s_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t
s_rotr (uint32_t w, int c)
{
    return (w >> c) | (w << (32 - c));
}

static inline uint32_t
s_load32 (const uint8_t *p)
{
    return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static inline void
s_store32 (uint8_t *p, uint32_t w)
{
    p[0] = (uint8_t) w;
    p[1] = (uint8_t) (w >> 8);
    p[2] = (uint8_t) (w >> 16);
    p[3] = (uint8_t) (w >> 24);
}

#define G(a, b, c, d, x, y)                                                                                  \
    do {                                                                                                     \
        s[a] = s[a] + s[b] + (x);                                                                            \
        s[d] = s_rotr (s[d] ^ s[a], 16);                                                                     \
        s[c] = s[c] + s[d];                                                                                  \
        s[b] = s_rotr (s[b] ^ s[c], 12);                                                                     \
        s[a] = s[a] + s[b] + (y);                                                                            \
        s[d] = s_rotr (s[d] ^ s[a], 8);                                                                      \
        s[c] = s[c] + s[d];                                                                                  \
        s[b] = s_rotr (s[b] ^ s[c], 7);                                                                      \
    } while (0)

//  The compression function: full 16-word output state.
static void
s_compress (const uint32_t cv[8], const uint8_t block[PANDA_BLAKE3_BLOCK_SIZE], uint8_t block_len,
            uint64_t counter, uint32_t flags, uint32_t out[16])
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = s_load32 (block + 4 * i);
    uint32_t s[16] = {cv[0],
                      cv[1],
                      cv[2],
                      cv[3],
                      cv[4],
                      cv[5],
                      cv[6],
                      cv[7],
                      s_iv[0],
                      s_iv[1],
                      s_iv[2],
                      s_iv[3],
                      (uint32_t) counter,
                      (uint32_t) (counter >> 32),
                      block_len,
                      flags};
    for (int r = 0; r < 7; r++) {
        const uint8_t *o = s_schedule[r];
        G (0, 4, 8, 12, m[o[0]], m[o[1]]);
        G (1, 5, 9, 13, m[o[2]], m[o[3]]);
        G (2, 6, 10, 14, m[o[4]], m[o[5]]);
        G (3, 7, 11, 15, m[o[6]], m[o[7]]);
        G (0, 5, 10, 15, m[o[8]], m[o[9]]);
        G (1, 6, 11, 12, m[o[10]], m[o[11]]);
        G (2, 7, 8, 13, m[o[12]], m[o[13]]);
        G (3, 4, 9, 14, m[o[14]], m[o[15]]);
    }
    for (int i = 0; i < 8; i++) {
        out[i] = s[i] ^ s[i + 8];
        out[i + 8] = s[i + 8] ^ cv[i];
    }
}

//  A node whose compression is still pending: either the final chunk or a
//  parent. Its chaining value feeds the tree; with ROOT set it is the output.
typedef struct {
    uint32_t cv[8];
    uint8_t block[PANDA_BLAKE3_BLOCK_SIZE];
    uint8_t block_len;
    uint64_t counter;
    uint32_t flags;
} output_t;

static void
s_output_cv (const output_t *o, uint32_t cv[8])
{
    uint32_t full[16];
    s_compress (o->cv, o->block, o->block_len, o->counter, o->flags, full);
    memcpy (cv, full, 8 * sizeof (uint32_t));
}

static void
s_parent_output (output_t *o, const uint32_t left[8], const uint32_t right[8], const uint32_t key[8],
                 uint32_t flags)
{
    memcpy (o->cv, key, 8 * sizeof (uint32_t));
    for (int i = 0; i < 8; i++) {
        s_store32 (o->block + 4 * i, left[i]);
        s_store32 (o->block + 32 + 4 * i, right[i]);
    }
    o->block_len = PANDA_BLAKE3_BLOCK_SIZE;
    o->counter = 0;
    o->flags = flags | PARENT;
}

static size_t
s_chunk_len (const panda_blake3_t *self)
{
    return (size_t) self->blocks_compressed * PANDA_BLAKE3_BLOCK_SIZE + self->block_len;
}

static uint32_t
s_chunk_start_flag (const panda_blake3_t *self)
{
    return self->blocks_compressed == 0 ? CHUNK_START : 0;
}

static void
s_chunk_reset (panda_blake3_t *self, uint64_t chunk_counter)
{
    memcpy (self->cv, self->key, sizeof self->cv);
    self->chunk_counter = chunk_counter;
    memset (self->block, 0, sizeof self->block);
    self->block_len = 0;
    self->blocks_compressed = 0;
}

static void
s_chunk_output (const panda_blake3_t *self, output_t *o)
{
    memcpy (o->cv, self->cv, sizeof o->cv);
    memcpy (o->block, self->block, sizeof o->block);
    o->block_len = self->block_len;
    o->counter = self->chunk_counter;
    o->flags = self->flags | s_chunk_start_flag (self) | CHUNK_END;
}

//  Absorb bytes into the current chunk. A full block is only compressed once
//  more input arrives, because the last block of a chunk needs CHUNK_END.
static void
s_chunk_update (panda_blake3_t *self, const uint8_t *input, size_t len)
{
    while (len > 0) {
        if (self->block_len == PANDA_BLAKE3_BLOCK_SIZE) {
            uint32_t full[16];
            s_compress (self->cv, self->block, PANDA_BLAKE3_BLOCK_SIZE, self->chunk_counter,
                        self->flags | s_chunk_start_flag (self), full);
            memcpy (self->cv, full, sizeof self->cv);
            self->blocks_compressed++;
            memset (self->block, 0, sizeof self->block);
            self->block_len = 0;
        }
        size_t take = PANDA_BLAKE3_BLOCK_SIZE - self->block_len;
        if (take > len)
            take = len;
        memcpy (self->block + self->block_len, input, take);
        self->block_len += (uint8_t) take;
        input += take;
        len -= take;
    }
}

//  Push a finished chunk's chaining value, merging completed subtrees: after
//  total_chunks chunks, one stack entry per set bit of total_chunks.
static void
s_push_chunk_cv (panda_blake3_t *self, uint32_t cv[8], uint64_t total_chunks)
{
    while ((total_chunks & 1) == 0) {
        output_t parent;
        self->cv_stack_len--;
        s_parent_output (&parent, self->cv_stack[self->cv_stack_len], cv, self->key, self->flags);
        s_output_cv (&parent, cv);
        total_chunks >>= 1;
    }
    memcpy (self->cv_stack[self->cv_stack_len], cv, 8 * sizeof (uint32_t));
    self->cv_stack_len++;
}

static void
s_init_with (panda_blake3_t *self, const uint32_t key[8], uint32_t flags)
{
    memset (self, 0, sizeof *self);
    memcpy (self->key, key, sizeof self->key);
    self->flags = flags;
    s_chunk_reset (self, 0);
}

void
panda_blake3_init (panda_blake3_t *self)
{
    s_init_with (self, s_iv, 0);
}

void
panda_blake3_init_keyed (panda_blake3_t *self, const uint8_t key[PANDA_BLAKE3_KEY_SIZE])
{
    uint32_t words[8];
    for (int i = 0; i < 8; i++)
        words[i] = s_load32 (key + 4 * i);
    s_init_with (self, words, KEYED_HASH);
}

void
panda_blake3_init_derive_key (panda_blake3_t *self, const char *context)
{
    panda_blake3_t context_hasher;
    s_init_with (&context_hasher, s_iv, DERIVE_KEY_CONTEXT);
    panda_blake3_update (&context_hasher, context, strlen (context));
    uint8_t context_key[PANDA_BLAKE3_KEY_SIZE];
    panda_blake3_final (&context_hasher, context_key, sizeof context_key);
    uint32_t words[8];
    for (int i = 0; i < 8; i++)
        words[i] = s_load32 (context_key + 4 * i);
    s_init_with (self, words, DERIVE_KEY_MATERIAL);
}

void
panda_blake3_update (panda_blake3_t *self, const void *data, size_t len)
{
    const uint8_t *input = (const uint8_t *) data;
    while (len > 0) {
        if (s_chunk_len (self) == PANDA_BLAKE3_CHUNK_SIZE) {
            output_t o;
            uint32_t cv[8];
            s_chunk_output (self, &o);
            s_output_cv (&o, cv);
            uint64_t total_chunks = self->chunk_counter + 1;
            s_push_chunk_cv (self, cv, total_chunks);
            s_chunk_reset (self, total_chunks);
        }
        size_t take = PANDA_BLAKE3_CHUNK_SIZE - s_chunk_len (self);
        if (take > len)
            take = len;
        s_chunk_update (self, input, take);
        input += take;
        len -= take;
    }
}

void
panda_blake3_final (const panda_blake3_t *self, uint8_t *out, size_t out_len)
{
    output_t o;
    s_chunk_output (self, &o);
    for (size_t remaining = self->cv_stack_len; remaining > 0; remaining--) {
        uint32_t right[8];
        s_output_cv (&o, right);
        s_parent_output (&o, self->cv_stack[remaining - 1], right, self->key, self->flags);
    }
    //  Root output: compress the root node once per 64-byte output block.
    for (uint64_t counter = 0; out_len > 0; counter++) {
        uint32_t words[16];
        s_compress (o.cv, o.block, o.block_len, counter, o.flags | ROOT, words);
        uint8_t block[64];
        for (int i = 0; i < 16; i++)
            s_store32 (block + 4 * i, words[i]);
        size_t take = out_len < sizeof block ? out_len : sizeof block;
        memcpy (out, block, take);
        out += take;
        out_len -= take;
    }
}

void
panda_blake3 (uint8_t out[PANDA_BLAKE3_OUT_SIZE], const void *data, size_t len)
{
    panda_blake3_t hasher;
    panda_blake3_init (&hasher);
    panda_blake3_update (&hasher, data, len);
    panda_blake3_final (&hasher, out, PANDA_BLAKE3_OUT_SIZE);
}
