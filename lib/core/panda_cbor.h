/*  panda_cbor.h - strict canonical CBOR reader and writer (private to lib/).

    The reader is a cursor over (ptr, end). It accepts only what canonical
    encoders (p2panda-js / ciborium, spec data-types.md §4.2) produce:
    shortest-form heads, definite lengths, floats in the shortest width that
    holds the value exactly. Tags are reported as heads so the caller can
    reject them with the message that fits its context. Every read checks
    bounds first; truncated input fails with the reference message.

    The writer appends canonical bytes to a growing buffer. An allocation
    failure sets `failed`; callers check it once at the end.                 */
#ifndef PANDA_CBOR_H_INCLUDED
#define PANDA_CBOR_H_INCLUDED

#include "panda/panda_err.h"

#define PANDA_CBOR_UINT 0
#define PANDA_CBOR_NINT 1
#define PANDA_CBOR_BYTES 2
#define PANDA_CBOR_TEXT 3
#define PANDA_CBOR_ARRAY 4
#define PANDA_CBOR_MAP 5
#define PANDA_CBOR_TAG 6
#define PANDA_CBOR_SIMPLE 7 //  simple values and floats

//  Additional-info values of major type 7.
#define PANDA_CBOR_FALSE 20
#define PANDA_CBOR_TRUE 21
#define PANDA_CBOR_NULL 22
#define PANDA_CBOR_UNDEFINED 23
#define PANDA_CBOR_FLOAT16 25
#define PANDA_CBOR_FLOAT32 26
#define PANDA_CBOR_FLOAT64 27

//  Nesting limit of panda_cbor_skip.
#define PANDA_CBOR_MAX_DEPTH 16

//  Reference message for reading past the end of the input.
#define PANDA_CBOR_TRUNCATED "cbor decoder failed failed to fill whole buffer"

typedef struct {
    const uint8_t *start; //  first byte of the input (for offsets in messages)
    const uint8_t *ptr; //  next byte to read
    const uint8_t *end; //  one past the last byte
} panda_cbor_reader_t;

typedef struct {
    uint8_t major; //  PANDA_CBOR_UINT ... PANDA_CBOR_SIMPLE
    uint8_t info; //  additional info (low 5 bits of the initial byte)
    uint64_t arg; //  value, length, tag number, simple value or raw float bits
    size_t offset; //  offset of the initial byte in the input
} panda_cbor_head_t;

void panda_cbor_reader_init (panda_cbor_reader_t *self, const uint8_t *data, size_t len);

//  Bytes not yet read.
size_t panda_cbor_remaining (const panda_cbor_reader_t *self);

//  Offset of the cursor in the input.
size_t panda_cbor_offset (const panda_cbor_reader_t *self);

//  Read one head. Rejects truncation, non-shortest arguments, indefinite
//  lengths and breaks, reserved additional info, one-byte simple values below
//  32, and floats that fit a shorter width exactly.
PANDA_NODISCARD panda_err_t panda_cbor_read_head (panda_cbor_reader_t *self, panda_cbor_head_t *head,
                                                  panda_error_t *err);

//  Take the payload of a BYTES/TEXT head (len = head->arg) and advance.
//  *data is borrowed from the input.
PANDA_NODISCARD panda_err_t panda_cbor_read_payload (panda_cbor_reader_t *self, uint64_t len,
                                                     const uint8_t **data, panda_error_t *err);

//  Skip one complete item (at most PANDA_CBOR_MAX_DEPTH nested levels).
PANDA_NODISCARD panda_err_t panda_cbor_skip (panda_cbor_reader_t *self, panda_error_t *err);

//  The double value of a float head (major 7, info 25/26/27).
double panda_cbor_head_float (const panda_cbor_head_t *head);

//  True if len bytes are well-formed UTF-8 (no overlongs, no surrogates,
//  nothing above U+10FFFF), like Rust's str::from_utf8.
bool panda_cbor_utf8_valid (const uint8_t *data, size_t len);

//  Describe an unexpected head the way serde does in "invalid type: X,
//  expected Y" messages: "integer `12`", "string", "byte array", "map",
//  "sequence", "boolean `true`", "floating point `0.5`", ... Returns out.
const char *panda_cbor_head_describe (const panda_cbor_head_t *head, char *out, size_t size);

//  IEEE-754 helpers (exposed for tests): the double bits of a half/single,
//  and the half/single that holds a double exactly (false if none does).
uint64_t panda_cbor_half_to_double_bits (uint16_t half);
uint64_t panda_cbor_single_to_double_bits (uint32_t single);
bool panda_cbor_double_to_half (uint64_t bits, uint16_t *half);
bool panda_cbor_double_to_single (uint64_t bits, uint32_t *single);

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed; //  an allocation failed; data is incomplete
} panda_cbor_writer_t;

//  Start an empty writer. Release data with panda_cbor_writer_free, or take
//  it (then the caller owns data and frees it with free()).
void panda_cbor_writer_init (panda_cbor_writer_t *self);
void panda_cbor_writer_free (panda_cbor_writer_t *self);

//  Canonical (shortest) head of a major type with argument arg.
void panda_cbor_write_head (panda_cbor_writer_t *self, uint8_t major, uint64_t arg);
void panda_cbor_write_int (panda_cbor_writer_t *self, int64_t value);
void panda_cbor_write_bytes (panda_cbor_writer_t *self, const uint8_t *data, size_t len);
void panda_cbor_write_text (panda_cbor_writer_t *self, const char *text, size_t len);
void panda_cbor_write_bool (panda_cbor_writer_t *self, bool value);
//  Shortest of float16/32/64 that holds value bit-exactly (the quiet NaN
//  -> f9 7e00; NaN payloads are kept, as the reference encoder does).
void panda_cbor_write_float (panda_cbor_writer_t *self, double value);

#endif
