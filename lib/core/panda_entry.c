/*  panda_entry.c - Bamboo entry codec, signatures and log checks.
    See panda_entry.h and spec data-types.md §3, §9, §10.

    The entry owns a copy of its bytes (at most PANDA_ENTRY_MAX_SIZE, so
    inline) and the fields decoded from them; the entry hash is computed
    once, at decode. Every read in the decoder is bounds-checked against the
    cursor's end; the first failing check sets the reference message.       */
#include "panda/panda_entry.h"
#include "panda/panda_lipmaa.h"
#include "panda/panda_varu64.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define S_TAG_OFFSET 0
#define S_KEY_OFFSET 1
#define S_FIELDS_OFFSET (S_KEY_OFFSET + PANDA_PUBLIC_KEY_SIZE)
#define S_VARU64_MULTI 0xf8 //  first byte of a multi-byte varu64
#define S_YASMF_BLAKE3_ID 0x00
#define S_YASMF_DIGEST 0x20

#define S_KEY_ERROR "Could not decode author public key from bytes"

struct _panda_entry_t {
    uint8_t bytes[PANDA_ENTRY_MAX_SIZE];
    size_t size;
    panda_public_key_t public_key;
    uint64_t log_id;
    uint64_t seq_num;
    uint64_t payload_size;
    bool has_backlink;
    bool has_skiplink;
    panda_hash_t backlink;
    panda_hash_t skiplink;
    panda_hash_t payload_hash;
    panda_hash_t hash;
};

//  The three hash fields and the prefix of their reference error messages.
typedef enum { S_SKIPLINK, S_BACKLINK, S_PAYLOAD_HASH } s_hash_field_t;
static const char *const s_hash_field_prefix[] = {
    "Could not decode lipmaa link yamf hash ",
    "Could not decode backlink yamf hash: ",
    "Could not decode payload hash ",
};

//  True when the 32 bytes decompress to a curve point (the reference's only
//  key check). Adding the identity succeeds exactly for such bytes, small
//  order included; only used on error paths (it costs ~1/4 of a verify).
static bool
s_key_decompresses (const uint8_t key[PANDA_PUBLIC_KEY_SIZE])
{
    static const uint8_t identity[crypto_core_ed25519_BYTES] = {1};
    uint8_t sum[crypto_core_ed25519_BYTES];
    return crypto_core_ed25519_add (sum, key, identity) == 0;
}

static panda_err_t
s_read_hash (panda_hash_t *hash, const uint8_t **ptr, const uint8_t *end, s_hash_field_t field,
             panda_error_t *err)
{
    const uint8_t *p = *ptr;
    const char *prefix = s_hash_field_prefix[field];
    if (p < end && *p >= S_VARU64_MULTI) {
        //  The hash-function id is a varu64; a multi-byte one is never 0.
        uint64_t id;
        const uint8_t *q = p;
        if (panda_varu64_decode (&id, &q, end, NULL) != PANDA_OK)
            return panda_error_set (err, PANDA_ERR_DECODE, "%sDecodeVaru64Error", prefix);
        return panda_error_set (err, PANDA_ERR_DECODE, "%sDecodeError", prefix);
    }
    if (end - p < PANDA_HASH_SIZE || p[0] != S_YASMF_BLAKE3_ID)
        return panda_error_set (err, PANDA_ERR_DECODE, "%sDecodeError", prefix);
    //  Stricter than the reference, which ignores the digest length byte and
    //  reports the hash as 0020...: we refuse hashes honest encoders never write.
    if (p[1] != S_YASMF_DIGEST)
        return panda_error_set (err, PANDA_ERR_DECODE, "%s(YASMF digest length byte is 0x%02x, must be 0x20)",
                                prefix, p[1]);
    if (PANDA_NEVER (panda_hash_from_bytes (hash, p, PANDA_HASH_SIZE, err) != PANDA_OK))
        return PANDA_ERR_INTERNAL;
    *ptr = p + PANDA_HASH_SIZE;
    return PANDA_OK;
}

//  Reference steps 3-9 of §3.6, after the public key.
static panda_err_t
s_decode_fields (panda_entry_t *self, const uint8_t *p, const uint8_t *end, panda_error_t *err)
{
    panda_err_t rc;
    if (panda_varu64_decode (&self->log_id, &p, end, NULL) != PANDA_OK)
        return panda_error_set (err, PANDA_ERR_DECODE, "Could not decode log_id, error with varu64 encoding");
    if (panda_varu64_decode (&self->seq_num, &p, end, NULL) != PANDA_OK)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "Could not decode entry sequence number, error with varu64 encoding");
    if (self->seq_num == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "Entry sequence must be larger than 0 but was 0");
    //  Links are decided by the seq num alone: skiplink first, then backlink.
    self->has_skiplink = panda_lipmaa_skiplink_required (self->seq_num);
    self->has_backlink = self->seq_num > 1;
    if (self->has_skiplink && (rc = s_read_hash (&self->skiplink, &p, end, S_SKIPLINK, err)) != PANDA_OK)
        return rc;
    if (self->has_backlink && (rc = s_read_hash (&self->backlink, &p, end, S_BACKLINK, err)) != PANDA_OK)
        return rc;
    if (panda_varu64_decode (&self->payload_size, &p, end, NULL) != PANDA_OK)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "Could not decode payload size, error with varu64 encoding");
    if ((rc = s_read_hash (&self->payload_hash, &p, end, S_PAYLOAD_HASH, err)) != PANDA_OK)
        return rc;
    if (end - p < PANDA_SIGNATURE_SIZE)
        return panda_error_set (err, PANDA_ERR_DECODE, "Could not decode signature: DecodeError");
    p += PANDA_SIGNATURE_SIZE;
    if (self->has_skiplink && panda_hash_eq (&self->backlink, &self->skiplink))
        return panda_error_set (err, PANDA_ERR_DECODE, "backlink and skiplink are identical");
    //  The reference verifies the last 64 bytes as the signature over all
    //  bytes before them, so any trailing byte fails with its message.
    if (p != end)
        return panda_error_set (err, PANDA_ERR_SIGNATURE, "signature invalid");
    return PANDA_OK;
}

static panda_err_t
s_decode (panda_entry_t *self, const uint8_t *bytes, size_t len, panda_error_t *err)
{
    if (len == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "Bytes to decode had length of 0");
    if (len < S_FIELDS_OFFSET)
        return panda_error_set (err, PANDA_ERR_DECODE, S_KEY_ERROR);
    panda_err_t rc;
    //  Stricter than the reference, which ignores the tag (1 = end of log).
    if (bytes[S_TAG_OFFSET] != PANDA_ENTRY_TAG)
        rc = panda_error_set (err, PANDA_ERR_DECODE,
                              "entry tag byte is 0x%02x, must be 0x00 (end-of-log entries are not accepted)",
                              bytes[S_TAG_OFFSET]);
    else
        rc = s_decode_fields (self, bytes + S_FIELDS_OFFSET, bytes + len, err);
    if (rc != PANDA_OK) {
        //  The reference checks the key before everything we checked since.
        if (!s_key_decompresses (bytes + S_KEY_OFFSET))
            return panda_error_set (err, PANDA_ERR_DECODE, S_KEY_ERROR);
        return rc;
    }
    memcpy (self->public_key.bytes, bytes + S_KEY_OFFSET, PANDA_PUBLIC_KEY_SIZE);
    memcpy (self->bytes, bytes, len); //  len <= PANDA_ENTRY_MAX_SIZE: no trailing bytes
    self->size = len;
    panda_hash_compute (&self->hash, bytes, len);
    return PANDA_OK;
}

panda_err_t
panda_entry_decode (panda_entry_t **self_p, const uint8_t *bytes, size_t len, panda_error_t *err)
{
    *self_p = NULL;
    panda_entry_t *self = (panda_entry_t *) malloc (sizeof *self);
    if (!self)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_err_t rc = s_decode (self, bytes, len, err);
    if (rc != PANDA_OK) {
        free (self);
        return rc;
    }
    *self_p = self;
    return PANDA_OK;
}

panda_err_t
panda_entry_verify (const panda_entry_t *self, panda_error_t *err)
{
    size_t signed_len = self->size - PANDA_SIGNATURE_SIZE;
    const uint8_t *key = self->public_key.bytes;
    if (crypto_sign_verify_detached (self->bytes + signed_len, self->bytes, signed_len, key) == 0)
        return PANDA_OK;
    if (!crypto_core_ed25519_is_valid_point (key)) {
        if (!s_key_decompresses (key))
            return panda_error_set (err, PANDA_ERR_SIGNATURE, S_KEY_ERROR);
        //  Stricter than the reference (ed25519-dalek accepts small-order
        //  keys with trivial signatures); libsodium refuses them.
        return panda_error_set (err, PANDA_ERR_SIGNATURE,
                                "author public key is a small-order or non-canonical point");
    }
    return panda_error_set (err, PANDA_ERR_SIGNATURE, "signature invalid");
}

panda_err_t
panda_entry_decode_verified (panda_entry_t **self_p, const uint8_t *bytes, size_t len, panda_error_t *err)
{
    panda_err_t rc = panda_entry_decode (self_p, bytes, len, err);
    if (rc == PANDA_OK && (rc = panda_entry_verify (*self_p, err)) != PANDA_OK)
        panda_entry_destroy (self_p);
    return rc;
}

void
panda_entry_destroy (panda_entry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

//  Arguments of panda_entry_new_signed that do not fit seq_num.
static panda_err_t
s_check_link_args (uint64_t seq_num, const panda_hash_t *backlink, const panda_hash_t **skiplink,
                   panda_error_t *err)
{
    if (seq_num == 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "seq num must be at least 1");
    if (seq_num == 1) {
        if (backlink || *skiplink)
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "an entry at seq num 1 has no backlink or skiplink");
        return PANDA_OK;
    }
    if (!backlink)
        return panda_error_set (err, PANDA_ERR_INVALID, "seq num %" PRIu64 " needs a backlink", seq_num);
    if (!panda_lipmaa_skiplink_required (seq_num)) {
        //  The skiplink target is the backlink target: the link is omitted.
        if (*skiplink && !panda_hash_eq (*skiplink, backlink))
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "seq num %" PRIu64 " has no skiplink (lipmaa is the backlink)", seq_num);
        *skiplink = NULL;
        return PANDA_OK;
    }
    if (!*skiplink)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "seq num %" PRIu64 " needs a skiplink to seq num %" PRIu64, seq_num,
                                panda_lipmaa (seq_num));
    if (panda_hash_eq (*skiplink, backlink))
        return panda_error_set (err, PANDA_ERR_INVALID, "backlink and skiplink are identical");
    return PANDA_OK;
}

panda_entry_t *
panda_entry_new_signed (const panda_keypair_t *keypair, uint64_t log_id, uint64_t seq_num,
                        const panda_hash_t *backlink, const panda_hash_t *skiplink, const uint8_t *operation,
                        size_t len, panda_error_t *err)
{
    if (s_check_link_args (seq_num, backlink, &skiplink, err) != PANDA_OK)
        return NULL;
    uint8_t buf[PANDA_ENTRY_MAX_SIZE];
    uint8_t *p = buf;
    panda_public_key_t key = panda_keypair_public_key (keypair);
    *p++ = PANDA_ENTRY_TAG;
    memcpy (p, key.bytes, PANDA_PUBLIC_KEY_SIZE);
    p += PANDA_PUBLIC_KEY_SIZE;
    p += panda_varu64_encode (log_id, p);
    p += panda_varu64_encode (seq_num, p);
    if (skiplink) {
        memcpy (p, skiplink->bytes, PANDA_HASH_SIZE);
        p += PANDA_HASH_SIZE;
    }
    if (backlink) {
        memcpy (p, backlink->bytes, PANDA_HASH_SIZE);
        p += PANDA_HASH_SIZE;
    }
    p += panda_varu64_encode ((uint64_t) len, p);
    panda_hash_t payload_hash;
    panda_hash_compute (&payload_hash, operation, len);
    memcpy (p, payload_hash.bytes, PANDA_HASH_SIZE);
    p += PANDA_HASH_SIZE;
    panda_keypair_sign (keypair, buf, (size_t) (p - buf), p);
    p += PANDA_SIGNATURE_SIZE;
    //  Decoding what we wrote keeps one source of truth for the fields.
    panda_entry_t *self = NULL;
    panda_err_t rc = panda_entry_decode (&self, buf, (size_t) (p - buf), err);
    if (rc != PANDA_OK && rc != PANDA_ERR_NOMEM)
        panda_error_prefix (err, "cannot encode entry: ");
    return self;
}

const uint8_t *
panda_entry_bytes (const panda_entry_t *self, size_t *len)
{
    if (len)
        *len = self->size;
    return self->bytes;
}

const panda_hash_t *
panda_entry_hash (const panda_entry_t *self)
{
    return &self->hash;
}

panda_public_key_t
panda_entry_public_key (const panda_entry_t *self)
{
    return self->public_key;
}

uint64_t
panda_entry_log_id (const panda_entry_t *self)
{
    return self->log_id;
}

uint64_t
panda_entry_seq_num (const panda_entry_t *self)
{
    return self->seq_num;
}

const panda_hash_t *
panda_entry_backlink (const panda_entry_t *self)
{
    return self->has_backlink ? &self->backlink : NULL;
}

const panda_hash_t *
panda_entry_skiplink (const panda_entry_t *self)
{
    return self->has_skiplink ? &self->skiplink : NULL;
}

uint64_t
panda_entry_payload_size (const panda_entry_t *self)
{
    return self->payload_size;
}

const panda_hash_t *
panda_entry_payload_hash (const panda_entry_t *self)
{
    return &self->payload_hash;
}

const uint8_t *
panda_entry_signature (const panda_entry_t *self)
{
    return self->bytes + self->size - PANDA_SIGNATURE_SIZE;
}

static panda_err_t
s_max_seq_num_error (const panda_public_key_t *key, uint64_t log_id, panda_error_t *err)
{
    char hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    return panda_error_set (err, PANDA_ERR_INVALID,
                            "Max sequence number reached for public key %s log %" PRIu64,
                            panda_public_key_to_hex (key, hex), log_id);
}

panda_err_t
panda_entry_check_seq_num (const panda_entry_t *self, uint64_t latest_seq_num, panda_error_t *err)
{
    if (latest_seq_num == UINT64_MAX)
        return s_max_seq_num_error (&self->public_key, self->log_id, err);
    uint64_t expected = latest_seq_num + 1;
    if (self->seq_num != expected)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "Entry's claimed seq num of %" PRIu64
                                " does not match expected seq num of %" PRIu64
                                " for given public key and log",
                                self->seq_num, expected);
    return PANDA_OK;
}

panda_err_t
panda_entry_check_payload (const panda_entry_t *self, const uint8_t *operation, size_t len,
                           panda_error_t *err)
{
    panda_hash_t hash;
    panda_hash_compute (&hash, operation, len);
    if (!panda_hash_eq (&hash, &self->payload_hash))
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "operation needs to match payload hash of encoded entry");
    if ((uint64_t) len != self->payload_size)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "operation needs to match payload size of encoded entry");
    return PANDA_OK;
}

static panda_err_t
s_link_not_found (const panda_entry_t *self, const char *link, uint64_t seq_num, panda_error_t *err)
{
    char hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    return panda_error_set (err, PANDA_ERR_NOT_FOUND,
                            "Expected %s entry not found in store: public key %s, log id %" PRIu64
                            ", seq num %" PRIu64,
                            link, panda_public_key_to_hex (&self->public_key, hex), self->log_id, seq_num);
}

panda_err_t
panda_entry_check_links (const panda_entry_t *self, const panda_hash_t *backlink_entry_hash,
                         const panda_hash_t *skiplink_entry_hash, panda_error_t *err)
{
    //  Existence first (the skiplink target is fetched before the payload
    //  check in the reference), then the claimed hashes, backlink first.
    if (self->has_skiplink && !skiplink_entry_hash)
        return s_link_not_found (self, "skiplink", panda_lipmaa (self->seq_num), err);
    if (self->has_backlink && !backlink_entry_hash)
        return s_link_not_found (self, "backlink", self->seq_num - 1, err);
    if (self->has_backlink && !panda_hash_eq (&self->backlink, backlink_entry_hash))
        return panda_error_set (err, PANDA_ERR_INVALID, "claimed hash does not match backlink entry");
    if (self->has_skiplink && !panda_hash_eq (&self->skiplink, skiplink_entry_hash))
        return panda_error_set (err, PANDA_ERR_INVALID, "claimed hash does not match skiplink entry");
    return PANDA_OK;
}

panda_err_t
panda_entry_check_log_id (const panda_entry_t *self, const panda_hash_t *document_id,
                          const uint64_t *existing_log_id, bool log_id_in_use, panda_error_t *err)
{
    if (existing_log_id) {
        if (*existing_log_id != self->log_id)
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "Entry's claimed log id of %" PRIu64
                                    " does not match existing log id of %" PRIu64
                                    " for given public key and document id",
                                    self->log_id, *existing_log_id);
        return PANDA_OK;
    }
    if (self->seq_num > 1) {
        char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1], doc_hex[PANDA_HASH_HEX_SIZE + 1];
        return panda_error_set (
            err, PANDA_ERR_INVALID, "Expected log not found in store for: public key %s, document id %s",
            panda_public_key_to_hex (&self->public_key, key_hex), panda_hash_to_hex (document_id, doc_hex));
    }
    if (log_id_in_use)
        return panda_error_set (
            err, PANDA_ERR_INVALID,
            "Entry's claimed log id of %" PRIu64 " is already in use for given public key", self->log_id);
    return PANDA_OK;
}

panda_err_t
panda_entry_check_next_seq_num (const panda_entry_t *self, panda_error_t *err)
{
    if (self->seq_num == UINT64_MAX)
        return s_max_seq_num_error (&self->public_key, self->log_id, err);
    return PANDA_OK;
}

panda_err_t
panda_entry_next_args (panda_entry_args_t *args, const panda_public_key_t *public_key, uint64_t log_id,
                       uint64_t latest_seq_num, const panda_hash_t *latest_hash,
                       panda_entry_lookup_fn *lookup, void *ctx, panda_error_t *err)
{
    memset (args, 0, sizeof *args);
    args->log_id = log_id;
    if (latest_seq_num == UINT64_MAX)
        return s_max_seq_num_error (public_key, log_id, err);
    args->seq_num = latest_seq_num + 1;
    if (latest_seq_num == 0)
        return PANDA_OK;
    args->has_backlink = true;
    args->backlink = *latest_hash;
    if (panda_lipmaa_skiplink_required (args->seq_num)) {
        panda_err_t rc = lookup (ctx, panda_lipmaa (args->seq_num), &args->skiplink, err);
        if (rc != PANDA_OK)
            return rc;
        args->has_skiplink = true;
    }
    return PANDA_OK;
}
