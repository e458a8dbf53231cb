/*  panda_cbor.c - strict canonical CBOR reader and writer. See panda_cbor.h.

    Float widths follow the reference encoder (ciborium): a double is written
    as float16 if converting it to half and back gives the identical bits,
    else as float32 under the same test, else as float64. Signalling NaNs are
    quieted by that conversion in the reference, so they never narrow.       */
#include "panda_cbor.h"
#include "panda_grow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DOUBLE_MANT_BITS 52
#define S_DOUBLE_EXP_MASK 0x7ff
#define S_DOUBLE_BIAS 1023
#define S_DOUBLE_QUIET (1ULL << 51)

void
panda_cbor_reader_init (panda_cbor_reader_t *self, const uint8_t *data, size_t len)
{
    self->start = data;
    self->ptr = data;
    self->end = data + len;
}

size_t
panda_cbor_remaining (const panda_cbor_reader_t *self)
{
    return (size_t) (self->end - self->ptr);
}

size_t
panda_cbor_offset (const panda_cbor_reader_t *self)
{
    return (size_t) (self->ptr - self->start);
}

//  ---------------------------------------------------------------------------
//  IEEE-754 width conversions, on bit patterns so NaN payloads are exact.

//  Widen a narrow float (ebits exponent bits, mbits mantissa bits) to double bits.
static uint64_t
s_widen (uint32_t narrow, int ebits, int mbits)
{
    uint64_t sign = (uint64_t) (narrow >> (ebits + mbits)) << 63;
    uint32_t emax = (1u << ebits) - 1;
    uint32_t exp = (narrow >> mbits) & emax;
    uint64_t mant = narrow & ((1u << mbits) - 1);
    int bias = (1 << (ebits - 1)) - 1;
    int shift = S_DOUBLE_MANT_BITS - mbits;
    if (exp == emax)
        return sign | (uint64_t) S_DOUBLE_EXP_MASK << S_DOUBLE_MANT_BITS | mant << shift;
    if (exp == 0) {
        if (mant == 0)
            return sign;
        //  Subnormal: mant * 2^(1 - bias - mbits); normalise.
        int top = 63 - __builtin_clzll (mant);
        int e = top + 1 - bias - mbits;
        uint64_t frac = (mant << (S_DOUBLE_MANT_BITS - top)) & ((1ULL << S_DOUBLE_MANT_BITS) - 1);
        return sign | (uint64_t) (e + S_DOUBLE_BIAS) << S_DOUBLE_MANT_BITS | frac;
    }
    return sign | (uint64_t) ((int) exp - bias + S_DOUBLE_BIAS) << S_DOUBLE_MANT_BITS | mant << shift;
}

//  The narrow float that holds double bits exactly, if any.
static bool
s_narrow (uint64_t bits, int ebits, int mbits, uint32_t *out)
{
    uint32_t sign = (uint32_t) (bits >> 63) << (ebits + mbits);
    int exp = (int) ((bits >> S_DOUBLE_MANT_BITS) & S_DOUBLE_EXP_MASK);
    uint64_t mant = bits & ((1ULL << S_DOUBLE_MANT_BITS) - 1);
    int bias = (1 << (ebits - 1)) - 1;
    int shift = S_DOUBLE_MANT_BITS - mbits;
    uint32_t emax = (1u << ebits) - 1;
    uint64_t low_mask = (1ULL << shift) - 1;
    if (exp == S_DOUBLE_EXP_MASK) {
        if ((mant & low_mask) || (mant && !(mant & S_DOUBLE_QUIET)))
            return false;
        *out = sign | emax << mbits | (uint32_t) (mant >> shift);
        return true;
    }
    if (exp == 0) {
        if (mant)
            return false; //  double subnormals are far below any narrow range
        *out = sign;
        return true;
    }
    int e = exp - S_DOUBLE_BIAS;
    if (e > bias)
        return false;
    if (e >= 1 - bias) {
        if (mant & low_mask)
            return false;
        *out = sign | (uint32_t) (e + bias) << mbits | (uint32_t) (mant >> shift);
        return true;
    }
    //  Narrow subnormal k * 2^(1 - bias - mbits): the low rshift bits of the
    //  53-bit significand must be zero.
    int rshift = (1 - bias - mbits) - (e - S_DOUBLE_MANT_BITS);
    if (rshift >= S_DOUBLE_MANT_BITS + 1)
        return false;
    uint64_t sig = mant | 1ULL << S_DOUBLE_MANT_BITS;
    if (sig & ((1ULL << rshift) - 1))
        return false;
    *out = sign | (uint32_t) (sig >> rshift);
    return true;
}

uint64_t
panda_cbor_half_to_double_bits (uint16_t half)
{
    return s_widen (half, 5, 10);
}

uint64_t
panda_cbor_single_to_double_bits (uint32_t single)
{
    return s_widen (single, 8, 23);
}

bool
panda_cbor_double_to_half (uint64_t bits, uint16_t *half)
{
    uint32_t out;
    if (!s_narrow (bits, 5, 10, &out))
        return false;
    *half = (uint16_t) out;
    return true;
}

bool
panda_cbor_double_to_single (uint64_t bits, uint32_t *single)
{
    return s_narrow (bits, 8, 23, single);
}

static uint64_t
s_double_bits (const panda_cbor_head_t *head)
{
    if (head->info == PANDA_CBOR_FLOAT16)
        return panda_cbor_half_to_double_bits ((uint16_t) head->arg);
    if (head->info == PANDA_CBOR_FLOAT32)
        return panda_cbor_single_to_double_bits ((uint32_t) head->arg);
    return head->arg;
}

double
panda_cbor_head_float (const panda_cbor_head_t *head)
{
    uint64_t bits = s_double_bits (head);
    double value;
    memcpy (&value, &bits, sizeof value);
    return value;
}

//  ---------------------------------------------------------------------------
//  Reader

static panda_err_t
s_check_argument (const panda_cbor_head_t *head, panda_error_t *err)
{
    static const uint64_t below[] = {24, 0x100, 0x10000, 0x100000000ULL};
    if (head->major == PANDA_CBOR_SIMPLE) {
        if (head->info == 24 && head->arg < 32)
            return panda_error_set (err, PANDA_ERR_DECODE, "invalid cbor encoding at byte %zu", head->offset);
        uint16_t h;
        uint32_t s;
        uint64_t bits = s_double_bits (head);
        //  A narrow signalling NaN: the reference quiets it when widening, so
        //  no canonical encoder writes one.
        bool narrow = head->info == PANDA_CBOR_FLOAT16 || head->info == PANDA_CBOR_FLOAT32;
        if (narrow && ((bits >> S_DOUBLE_MANT_BITS) & S_DOUBLE_EXP_MASK) == S_DOUBLE_EXP_MASK &&
            (bits & ((1ULL << S_DOUBLE_MANT_BITS) - 1)) && !(bits & S_DOUBLE_QUIET))
            return panda_error_set (err, PANDA_ERR_DECODE, "non-canonical CBOR at byte %zu: signalling NaN",
                                    head->offset);
        bool shorter = (head->info == PANDA_CBOR_FLOAT32 && panda_cbor_double_to_half (bits, &h)) ||
                       (head->info == PANDA_CBOR_FLOAT64 &&
                        (panda_cbor_double_to_half (bits, &h) || panda_cbor_double_to_single (bits, &s)));
        if (shorter)
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "non-canonical CBOR at byte %zu: float not in its shortest exact width",
                                    head->offset);
        return PANDA_OK;
    }
    if (head->arg < below[head->info - 24])
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "non-canonical CBOR at byte %zu: integer or length not in shortest form",
                                head->offset);
    return PANDA_OK;
}

panda_err_t
panda_cbor_read_head (panda_cbor_reader_t *self, panda_cbor_head_t *head, panda_error_t *err)
{
    *head = (panda_cbor_head_t){0, 0, 0, panda_cbor_offset (self)};
    if (self->ptr >= self->end)
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    uint8_t initial = *self->ptr++;
    head->major = initial >> 5;
    head->info = initial & 0x1f;
    if (head->info < 24) {
        head->arg = head->info;
        return PANDA_OK;
    }
    if (head->info == 31)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "non-canonical CBOR at byte %zu: indefinite-length item or break",
                                head->offset);
    if (head->info > 27)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid cbor encoding at byte %zu", head->offset);
    size_t n = (size_t) 1 << (head->info - 24);
    if (panda_cbor_remaining (self) < n)
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    head->arg = 0;
    for (size_t i = 0; i < n; i++)
        head->arg = head->arg << 8 | *self->ptr++;
    return s_check_argument (head, err);
}

panda_err_t
panda_cbor_read_payload (panda_cbor_reader_t *self, uint64_t len, const uint8_t **data, panda_error_t *err)
{
    if (len > panda_cbor_remaining (self))
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    *data = self->ptr;
    self->ptr += len;
    return PANDA_OK;
}

static panda_err_t
s_skip (panda_cbor_reader_t *self, int depth, panda_error_t *err)
{
    panda_cbor_head_t head;
    panda_err_t rc = panda_cbor_read_head (self, &head, err);
    if (rc)
        return rc;
    const uint8_t *data;
    switch (head.major) {
        case PANDA_CBOR_BYTES:
        case PANDA_CBOR_TEXT: return panda_cbor_read_payload (self, head.arg, &data, err);
        case PANDA_CBOR_ARRAY:
        case PANDA_CBOR_MAP:
        case PANDA_CBOR_TAG: break;
        default: return PANDA_OK;
    }
    if (depth >= PANDA_CBOR_MAX_DEPTH)
        return panda_error_set (err, PANDA_ERR_LIMIT, "CBOR nested deeper than %d levels at byte %zu",
                                PANDA_CBOR_MAX_DEPTH, head.offset);
    uint64_t items = head.major == PANDA_CBOR_TAG ? 1 : head.arg;
    //  Every item takes at least one byte: this bounds the loop by the input.
    if (items > panda_cbor_remaining (self) || (head.major == PANDA_CBOR_MAP && items > SIZE_MAX / 2))
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    if (head.major == PANDA_CBOR_MAP)
        items *= 2;
    for (uint64_t i = 0; i < items; i++)
        if ((rc = s_skip (self, depth + 1, err)))
            return rc;
    return PANDA_OK;
}

panda_err_t
panda_cbor_skip (panda_cbor_reader_t *self, panda_error_t *err)
{
    return s_skip (self, 0, err);
}

bool
panda_cbor_utf8_valid (const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            n = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 3, cp = c & 0x07;
        else
            return false;
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        //  Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
            cp > 0x10ffff)
            return false;
        i += n + 1;
    }
    return true;
}

const char *
panda_cbor_head_describe (const panda_cbor_head_t *head, char *out, size_t size)
{
    switch (head->major) {
        case PANDA_CBOR_UINT: snprintf (out, size, "integer `%" PRIu64 "`", head->arg); break;
        case PANDA_CBOR_NINT:
            if (head->arg == UINT64_MAX)
                snprintf (out, size, "integer `-18446744073709551616`");
            else
                snprintf (out, size, "integer `-%" PRIu64 "`", head->arg + 1);
            break;
        case PANDA_CBOR_BYTES: snprintf (out, size, "byte array"); break;
        case PANDA_CBOR_TEXT: snprintf (out, size, "string"); break;
        case PANDA_CBOR_ARRAY: snprintf (out, size, "sequence"); break;
        case PANDA_CBOR_MAP: snprintf (out, size, "map"); break;
        case PANDA_CBOR_TAG: snprintf (out, size, "tag"); break;
        default:
            if (head->info == PANDA_CBOR_FALSE || head->info == PANDA_CBOR_TRUE)
                snprintf (out, size, "boolean `%s`", head->info == PANDA_CBOR_TRUE ? "true" : "false");
            else if (head->info == PANDA_CBOR_NULL || head->info == PANDA_CBOR_UNDEFINED)
                snprintf (out, size, "unit value");
            else if (head->info >= PANDA_CBOR_FLOAT16 && head->info <= PANDA_CBOR_FLOAT64)
                snprintf (out, size, "floating point `%g`", panda_cbor_head_float (head));
            else
                snprintf (out, size, "simple");
    }
    return out;
}

//  ---------------------------------------------------------------------------
//  Writer

void
panda_cbor_writer_init (panda_cbor_writer_t *self)
{
    memset (self, 0, sizeof *self);
}

void
panda_cbor_writer_free (panda_cbor_writer_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

static void
s_append (panda_cbor_writer_t *self, const void *data, size_t len)
{
    if (self->failed || len == 0)
        return;
    if (len > SIZE_MAX / 2 - self->len ||
        !panda_grow ((void **) &self->data, &self->cap, self->len + len, 1)) {
        self->failed = true;
        return;
    }
    memcpy (self->data + self->len, data, len);
    self->len += len;
}

static void
s_write_initial (panda_cbor_writer_t *self, uint8_t major, uint8_t info, uint64_t arg, size_t n)
{
    uint8_t buf[9];
    buf[0] = (uint8_t) (major << 5 | info);
    for (size_t i = 0; i < n; i++)
        buf[1 + i] = (uint8_t) (arg >> (8 * (n - 1 - i)));
    s_append (self, buf, 1 + n);
}

void
panda_cbor_write_head (panda_cbor_writer_t *self, uint8_t major, uint64_t arg)
{
    if (arg < 24)
        s_write_initial (self, major, (uint8_t) arg, 0, 0);
    else if (arg <= 0xff)
        s_write_initial (self, major, 24, arg, 1);
    else if (arg <= 0xffff)
        s_write_initial (self, major, 25, arg, 2);
    else if (arg <= 0xffffffffULL)
        s_write_initial (self, major, 26, arg, 4);
    else
        s_write_initial (self, major, 27, arg, 8);
}

void
panda_cbor_write_int (panda_cbor_writer_t *self, int64_t value)
{
    if (value >= 0)
        panda_cbor_write_head (self, PANDA_CBOR_UINT, (uint64_t) value);
    else
        panda_cbor_write_head (self, PANDA_CBOR_NINT, (uint64_t) (-(value + 1)));
}

void
panda_cbor_write_bytes (panda_cbor_writer_t *self, const uint8_t *data, size_t len)
{
    panda_cbor_write_head (self, PANDA_CBOR_BYTES, len);
    s_append (self, data, len);
}

void
panda_cbor_write_text (panda_cbor_writer_t *self, const char *text, size_t len)
{
    panda_cbor_write_head (self, PANDA_CBOR_TEXT, len);
    s_append (self, text, len);
}

void
panda_cbor_write_bool (panda_cbor_writer_t *self, bool value)
{
    s_write_initial (self, PANDA_CBOR_SIMPLE, value ? PANDA_CBOR_TRUE : PANDA_CBOR_FALSE, 0, 0);
}

void
panda_cbor_write_float (panda_cbor_writer_t *self, double value)
{
    uint64_t bits;
    memcpy (&bits, &value, sizeof bits);
    uint16_t half;
    uint32_t single;
    if (panda_cbor_double_to_half (bits, &half))
        s_write_initial (self, PANDA_CBOR_SIMPLE, PANDA_CBOR_FLOAT16, half, 2);
    else if (panda_cbor_double_to_single (bits, &single))
        s_write_initial (self, PANDA_CBOR_SIMPLE, PANDA_CBOR_FLOAT32, single, 4);
    else
        s_write_initial (self, PANDA_CBOR_SIMPLE, PANDA_CBOR_FLOAT64, bits, 8);
}
