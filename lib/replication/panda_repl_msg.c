/*  panda_repl_msg.c - replication message decoder and frame reader. See
    panda_repl_msg.h; the encoder is panda_repl_encode.c.

    Fields are read in order, so the first missing or wrong field is the
    one reported, and "too many fields" comes last, as in aquadoggo. No
    count read from the input is trusted for an allocation before it is
    checked against the limits and the bytes left (every item takes at
    least one byte).                                                         */
#include "panda_repl_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  One decode: the cursor, the limits, the array length of the message.
typedef struct {
    panda_cbor_reader_t r;
    const panda_repl_limits_t *limits;
    uint64_t fields;
} s_ctx_t;

panda_repl_limits_t
panda_repl_limits_default (void)
{
    panda_repl_limits_t limits = {PANDA_REPL_MAX_FRAME_BYTES, PANDA_REPL_MAX_AUTHORS,
                                  PANDA_REPL_MAX_LOGS,        PANDA_REPL_MAX_SCHEMA_IDS,
                                  PANDA_REPL_MAX_ENTRY_BYTES, PANDA_REPL_MAX_OPERATION_BYTES};
    return limits;
}

const char *
panda_repl_type_name (uint64_t type)
{
    switch (type) {
        case PANDA_REPL_ANNOUNCE: return "Announce";
        case PANDA_REPL_SYNC_REQUEST: return "SyncRequest";
        case PANDA_REPL_ENTRY: return "Entry";
        case PANDA_REPL_SYNC_DONE: return "SyncDone";
        case PANDA_REPL_HAVE: return "Have";
        case PANDA_REPL_RANGES: return "Ranges";
        case PANDA_REPL_CREDIT: return "Credit";
        case PANDA_REPL_HELLO: return "Hello";
        case PANDA_REPL_REGISTER: return "Register";
        case PANDA_REPL_REGISTERED: return "Registered";
        case PANDA_REPL_LOOKUP: return "Lookup";
        case PANDA_REPL_PEERS: return "Peers";
        case PANDA_REPL_FORWARD: return "Forward";
        case PANDA_REPL_REFUSED: return "Refused";
        case PANDA_REPL_ACK: return "Ack";
        default: return "unknown";
    }
}

void
panda_repl_msg_init (panda_repl_msg_t *self)
{
    memset (self, 0, sizeof *self);
}

void
panda_repl_msg_clear (panda_repl_msg_t *self)
{
    if (!self)
        return;
    panda_schema_set_clear (&self->schema_ids);
    for (size_t i = 0; i < self->n_authors; i++)
        free (self->authors[i].logs);
    free (self->authors);
    free (self->relay_peers);
    memset (self, 0, sizeof *self);
}

//  "invalid type: string, expected u64 for timestamp in announce message".
PANDA_NOINLINE static panda_err_t
s_wrong_type (const panda_cbor_head_t *head, const char *expected, const char *what, panda_error_t *err)
{
    char found[96];
    panda_cbor_head_describe (head, found, sizeof found);
    if (!what)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid type: %s, expected %s", found, expected);
    return panda_error_set (err, PANDA_ERR_DECODE, "invalid type: %s, expected %s for %s", found, expected,
                            what);
}

//  Field index (0 is the type) must exist, else the missing-field message.
static panda_err_t
s_need (const s_ctx_t *ctx, uint64_t index, const char *missing, panda_error_t *err)
{
    if (index < ctx->fields)
        return PANDA_OK;
    return panda_error_set (err, PANDA_ERR_DECODE, "%s", missing);
}

static panda_err_t
s_read_u64 (s_ctx_t *ctx, const char *what, uint64_t *out, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (&ctx->r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major != PANDA_CBOR_UINT)
        return s_wrong_type (&head, "u64", what, err);
    *out = head.arg;
    return PANDA_OK;
}

//  LogId and SeqNum: an integer, or its decimal string (digits, with an
//  optional '+' as Rust's u64 parser allows).
static panda_err_t
s_read_u64_lenient (s_ctx_t *ctx, const char *what, uint64_t *out, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (&ctx->r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major == PANDA_CBOR_UINT) {
        *out = head.arg;
        return PANDA_OK;
    }
    if (head.major != PANDA_CBOR_TEXT)
        return s_wrong_type (&head, "u64 or decimal string", what, err);
    const uint8_t *text;
    if (panda_cbor_read_payload (&ctx->r, head.arg, &text, err))
        return PANDA_ERR_DECODE;
    size_t len = (size_t) head.arg, i = len > 0 && text[0] == '+' ? 1 : 0;
    if (i == len)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid %s: empty decimal string", what);
    uint64_t value = 0;
    for (; i < len; i++) {
        unsigned digit = (unsigned) text[i] - '0';
        if (digit > 9)
            return panda_error_set (err, PANDA_ERR_DECODE, "invalid %s: not a decimal string", what);
        if (value > (UINT64_MAX - digit) / 10)
            return panda_error_set (err, PANDA_ERR_DECODE, "invalid %s: larger than u64", what);
        value = value * 10 + digit;
    }
    *out = value;
    return PANDA_OK;
}

//  A byte string of at most max bytes (exactly max if exact), borrowed.
static panda_err_t
s_read_bytes (s_ctx_t *ctx, const char *what, size_t max, bool exact, const uint8_t **out, size_t *len,
              panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (&ctx->r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major != PANDA_CBOR_BYTES)
        return s_wrong_type (&head, "byte array", what, err);
    if (exact && head.arg != max)
        return panda_error_set (err, PANDA_ERR_DECODE, "invalid %s: %llu bytes, expected %zu", what,
                                (unsigned long long) head.arg, max);
    if (head.arg > max)
        return panda_error_set (err, PANDA_ERR_LIMIT, "%s of %llu bytes is over the limit of %zu", what,
                                (unsigned long long) head.arg, max);
    *len = (size_t) head.arg;
    return panda_cbor_read_payload (&ctx->r, head.arg, out, err);
}

//  Optional bytes: null gives *out NULL.
static panda_err_t
s_read_bytes_or_null (s_ctx_t *ctx, const char *what, size_t max, bool exact, const uint8_t **out,
                      size_t *len, panda_error_t *err)
{
    if (panda_cbor_remaining (&ctx->r) > 0 && *ctx->r.ptr == 0xf6) {
        ctx->r.ptr++;
        *out = NULL;
        *len = 0;
        return PANDA_OK;
    }
    return s_read_bytes (ctx, what, max, exact, out, len, err);
}

//  A text string of at most PANDA_REPL_MAX_TEXT bytes, borrowed.
static panda_err_t
s_read_text (s_ctx_t *ctx, const char *what, const char **out, size_t *len, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (&ctx->r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major != PANDA_CBOR_TEXT)
        return s_wrong_type (&head, "a string", what, err);
    if (head.arg > PANDA_REPL_MAX_TEXT)
        return panda_error_set (err, PANDA_ERR_LIMIT, "%s of %llu bytes is over the limit of %d", what,
                                (unsigned long long) head.arg, PANDA_REPL_MAX_TEXT);
    const uint8_t *text;
    if (panda_cbor_read_payload (&ctx->r, head.arg, &text, err))
        return PANDA_ERR_DECODE;
    *out = (const char *) text;
    *len = (size_t) head.arg;
    return PANDA_OK;
}

static panda_err_t
s_read_bool (s_ctx_t *ctx, const char *what, bool *out, panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (&ctx->r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major != PANDA_CBOR_SIMPLE || (head.arg != PANDA_CBOR_FALSE && head.arg != PANDA_CBOR_TRUE))
        return s_wrong_type (&head, "a boolean", what, err);
    *out = head.arg == PANDA_CBOR_TRUE;
    return PANDA_OK;
}

//  Array head with a count that the remaining bytes can hold (min_size
//  bytes per element) and that is within max (0: no limit).
static panda_err_t
s_read_array (s_ctx_t *ctx, const char *what, size_t min_size, size_t max, uint64_t *count,
              panda_error_t *err)
{
    panda_cbor_head_t head;
    if (panda_cbor_read_head (&ctx->r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major != PANDA_CBOR_ARRAY)
        return s_wrong_type (&head, "a sequence", what, err);
    if (max && head.arg > max)
        return panda_error_set (err, PANDA_ERR_LIMIT, "%s has %llu elements, the limit is %zu", what,
                                (unsigned long long) head.arg, max);
    if (head.arg > panda_cbor_remaining (&ctx->r) / min_size)
        return panda_error_set (err, PANDA_ERR_DECODE, "%s", PANDA_CBOR_TRUNCATED);
    *count = head.arg;
    return PANDA_OK;
}

//  A SchemaIdSet (context: "announce" or "sync request"); it must be
//  canonical, and non-empty if non_empty.
static panda_err_t
s_read_schema_set (s_ctx_t *ctx, const char *context, bool non_empty, panda_schema_set_t *set,
                   panda_error_t *err)
{
    char what[64];
    snprintf (what, sizeof what, "target set in %s message", context);
    uint64_t count = 0;
    panda_err_t rc = s_read_array (ctx, what, 1, ctx->limits->max_schema_ids, &count, err);
    for (uint64_t i = 0; rc == PANDA_OK && i < count; i++) {
        panda_cbor_head_t head;
        const uint8_t *text;
        rc = panda_cbor_read_head (&ctx->r, &head, err);
        if (rc == PANDA_OK && head.major != PANDA_CBOR_TEXT)
            rc = s_wrong_type (&head, "schema id string", what, err);
        if (rc == PANDA_OK)
            rc = panda_cbor_read_payload (&ctx->r, head.arg, &text, err);
        if (rc == PANDA_OK)
            rc = panda_schema_set_add_text (set, (const char *) text, (size_t) head.arg, err);
    }
    if (rc == PANDA_OK)
        rc = panda_schema_set_validate (set, err);
    if (rc == PANDA_ERR_DECODE && err)
        panda_error_prefix (err, "invalid %s: ", what);
    if (rc == PANDA_OK && non_empty && set->count == 0)
        rc = panda_error_set (err, PANDA_ERR_DECODE, "empty %s", what);
    return rc;
}

//  [[public_key, [[log_id, seq_num]...]]...]: array sizes are checked
//  before anything is allocated; authors are counted in as they fill.
static panda_err_t
s_read_have (s_ctx_t *ctx, panda_repl_msg_t *msg, panda_error_t *err)
{
    const char *what = "log heights in have message";
    uint64_t n_authors = 0, pair = 0;
    //  An author takes at least 36 bytes: [h'<32 bytes>', []].
    panda_err_t rc = s_read_array (ctx, what, 36, ctx->limits->max_authors, &n_authors, err);
    if (rc == PANDA_OK && n_authors > 0) {
        msg->authors = calloc ((size_t) n_authors, sizeof msg->authors[0]);
        if (!msg->authors)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    size_t total = 0;
    for (uint64_t i = 0; rc == PANDA_OK && i < n_authors; i++) {
        panda_repl_author_t *author = &msg->authors[i];
        const uint8_t *key;
        size_t key_len;
        uint64_t n_logs = 0;
        rc = s_read_array (ctx, what, 1, 0, &pair, err);
        if (rc == PANDA_OK && pair != 2)
            rc = panda_error_set (err, PANDA_ERR_DECODE,
                                  "invalid length %llu, expected (public key, log heights)",
                                  (unsigned long long) pair);
        if (rc == PANDA_OK)
            rc = s_read_bytes (ctx, "public key in have message", PANDA_REPL_PUBLIC_KEY_SIZE, true, &key,
                               &key_len, err);
        if (rc == PANDA_OK) {
            memcpy (author->public_key, key, PANDA_REPL_PUBLIC_KEY_SIZE);
            rc = s_read_array (ctx, what, 3, 0, &n_logs, err);
        }
        if (rc == PANDA_OK && n_logs > ctx->limits->max_logs - total)
            rc = panda_error_set (err, PANDA_ERR_LIMIT, "have message holds more than %zu logs",
                                  ctx->limits->max_logs);
        if (rc == PANDA_OK && n_logs > 0) {
            author->logs = malloc ((size_t) n_logs * sizeof author->logs[0]);
            if (!author->logs)
                rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        }
        msg->n_authors = (size_t) i + 1; //  clear frees this author's logs from here on
        for (uint64_t j = 0; rc == PANDA_OK && j < n_logs; j++) {
            panda_repl_log_height_t *log = &author->logs[j];
            rc = s_read_array (ctx, what, 1, 0, &pair, err);
            if (rc == PANDA_OK && pair != 2)
                rc =
                    panda_error_set (err, PANDA_ERR_DECODE, "invalid length %llu, expected (log id, seq num)",
                                     (unsigned long long) pair);
            if (rc == PANDA_OK)
                rc = s_read_u64_lenient (ctx, "log id in have message", &log->log_id, err);
            if (rc == PANDA_OK)
                rc = s_read_u64_lenient (ctx, "seq num in have message", &log->seq_num, err);
            if (rc == PANDA_OK && log->seq_num == 0)
                rc = panda_error_set (err, PANDA_ERR_DECODE,
                                      "invalid seq num in have message: must be at least 1");
            if (rc == PANDA_OK)
                author->n_logs = (size_t) j + 1;
        }
        total += author->n_logs;
    }
    return rc;
}

//  [[node_key, address]...], sized before it is allocated.
static panda_err_t
s_read_relay_peers (s_ctx_t *ctx, panda_repl_msg_t *msg, panda_error_t *err)
{
    const char *what = "peers in peers message";
    uint64_t n = 0, pair = 0;
    //  A peer takes at least 36 bytes: [h'<32 bytes>', ""].
    panda_err_t rc = s_read_array (ctx, what, 36, PANDA_REPL_MAX_RELAY_PEERS, &n, err);
    if (rc == PANDA_OK && n > 0 && !(msg->relay_peers = calloc ((size_t) n, sizeof msg->relay_peers[0])))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; rc == PANDA_OK && i < n; i++) {
        panda_repl_relay_peer_t *peer = &msg->relay_peers[i];
        const uint8_t *key;
        size_t len;
        rc = s_read_array (ctx, what, 1, 0, &pair, err);
        if (rc == PANDA_OK && pair != 2)
            rc = panda_error_set (err, PANDA_ERR_DECODE, "invalid length %llu, expected (node key, address)",
                                  (unsigned long long) pair);
        if (rc == PANDA_OK)
            rc = s_read_bytes (ctx, "node key in peers message", PANDA_REPL_PUBLIC_KEY_SIZE, true, &key, &len,
                               err);
        if (rc == PANDA_OK) {
            memcpy (peer->node_key, key, PANDA_REPL_PUBLIC_KEY_SIZE);
            rc = s_read_text (ctx, "address in peers message", &peer->address, &peer->address_len, err);
        }
        if (rc == PANDA_OK)
            msg->n_relay_peers = (size_t) i + 1;
    }
    return rc;
}

//  The relay messages' fields (20..26).
static panda_err_t
s_read_relay_fields (s_ctx_t *ctx, panda_repl_msg_t *msg, uint64_t *expected, panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    size_t len;
    switch (msg->type) {
        case PANDA_REPL_REGISTER:
        case PANDA_REPL_REGISTERED: {
            bool reg = msg->type == PANDA_REPL_REGISTER;
            *expected = 3;
            rc = s_need (ctx, 1, "missing ttl in register message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "ttl in register message", &msg->ttl, err);
            if (rc == PANDA_OK)
                rc = s_need (
                    ctx, 2,
                    reg ? "missing port in register message" : "missing address in registered message", err);
            if (rc == PANDA_OK && reg)
                rc = s_read_u64 (ctx, "port in register message", &msg->port, err);
            if (rc == PANDA_OK && reg && msg->port > 65535)
                rc = panda_error_set (err, PANDA_ERR_DECODE, "invalid port in register message: %llu",
                                      (unsigned long long) msg->port);
            if (rc == PANDA_OK && !reg)
                rc = s_read_text (ctx, "address in registered message", &msg->text, &msg->text_len, err);
            return rc;
        }
        case PANDA_REPL_LOOKUP: *expected = 1; return PANDA_OK;
        case PANDA_REPL_PEERS:
            *expected = 2;
            rc = s_need (ctx, 1, "missing peers in peers message", err);
            return rc == PANDA_OK ? s_read_relay_peers (ctx, msg, err) : rc;
        case PANDA_REPL_FORWARD:
        case PANDA_REPL_REFUSED: {
            bool fwd = msg->type == PANDA_REPL_FORWARD;
            *expected = 3;
            rc = s_need (ctx, 1, "missing node key in relay message", err);
            if (rc == PANDA_OK)
                rc = s_read_bytes (ctx, "node key in relay message", PANDA_REPL_PUBLIC_KEY_SIZE, true,
                                   &msg->node_key, &len, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2,
                             fwd ? "missing payload in forward message" : "missing reason in refused message",
                             err);
            if (rc == PANDA_OK && fwd)
                rc = s_read_bytes (ctx, "payload in forward message", ctx->limits->max_frame_bytes, false,
                                   &msg->payload, &msg->payload_len, err);
            if (rc == PANDA_OK && !fwd)
                rc = s_read_text (ctx, "reason in refused message", &msg->text, &msg->text_len, err);
            return rc;
        }
        case PANDA_REPL_ACK:
            *expected = 2;
            rc = s_need (ctx, 1, "missing bytes in ack message", err);
            return rc == PANDA_OK ? s_read_u64 (ctx, "bytes in ack message", &msg->acked_bytes, err) : rc;
        default: return panda_error_set (err, PANDA_ERR_DECODE, "unknown message type");
    }
}

//  The fields after the type, per message type.
static panda_err_t
s_read_fields (s_ctx_t *ctx, panda_repl_msg_t *msg, uint64_t *expected, panda_error_t *err)
{
    const panda_repl_limits_t *limits = ctx->limits;
    const char *sid_missing = "missing session id in replication message";
    const char *sid_what = "session id in replication message";
    panda_err_t rc = PANDA_OK;
    size_t len;
    switch (msg->type) {
        case PANDA_REPL_ANNOUNCE:
            *expected = 4;
            rc = s_need (ctx, 1, "missing protocol version in announce message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "protocol version in announce message", &msg->protocol_version, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing timestamp in announce message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "timestamp in announce message", &msg->timestamp, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 3, "missing target set in announce message", err);
            if (rc == PANDA_OK)
                rc = s_read_schema_set (ctx, "announce", false, &msg->schema_ids, err);
            return rc;
        case PANDA_REPL_SYNC_REQUEST:
            *expected = 4;
            rc = s_need (ctx, 1, sid_missing, err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, sid_what, &msg->session_id, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing mode in sync request message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "mode in sync request message", &msg->mode, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 3, "missing target set in sync request message", err);
            if (rc == PANDA_OK)
                rc = s_read_schema_set (ctx, "sync request", true, &msg->schema_ids, err);
            return rc;
        case PANDA_REPL_ENTRY:
            *expected = 4;
            rc = s_need (ctx, 1, sid_missing, err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, sid_what, &msg->session_id, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing entry bytes in entry message", err);
            if (rc == PANDA_OK)
                rc = s_read_bytes (ctx, "entry in entry message", limits->max_entry_bytes, false, &msg->entry,
                                   &msg->entry_len, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 3, "missing operation in entry message", err);
            if (rc == PANDA_OK)
                rc = s_read_bytes_or_null (ctx, "operation in entry message", limits->max_operation_bytes,
                                           false, &msg->operation, &msg->operation_len, err);
            return rc;
        case PANDA_REPL_SYNC_DONE:
            *expected = 3;
            rc = s_need (ctx, 1, sid_missing, err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, sid_what, &msg->session_id, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing live mode flag in sync done message", err);
            if (rc == PANDA_OK)
                rc = s_read_bool (ctx, "live mode flag in sync done message", &msg->live_mode, err);
            return rc;
        case PANDA_REPL_HAVE:
            *expected = 3;
            rc = s_need (ctx, 1, sid_missing, err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, sid_what, &msg->session_id, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing log heights in have message", err);
            if (rc == PANDA_OK)
                rc = s_read_have (ctx, msg, err);
            return rc;
        case PANDA_REPL_RANGES: {
            *expected = 3;
            rc = s_need (ctx, 1, sid_missing, err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, sid_what, &msg->session_id, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing ranges in ranges message", err);
            const uint8_t *start = ctx->r.ptr;
            if (rc == PANDA_OK)
                rc = panda_cbor_skip (&ctx->r, err);
            if (rc == PANDA_OK) {
                msg->ranges = start;
                msg->ranges_len = (size_t) (ctx->r.ptr - start);
            }
            return rc;
        }
        case PANDA_REPL_CREDIT:
            *expected = 3;
            rc = s_need (ctx, 1, "missing entries in credit message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "entries in credit message", &msg->credit_entries, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing bytes in credit message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "bytes in credit message", &msg->credit_bytes, err);
            return rc;
        case PANDA_REPL_HELLO: {
            *expected = 6;
            const uint8_t *tag;
            rc = s_need (ctx, 1, "missing protocol version in hello message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "protocol version in hello message", &msg->protocol_version, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 2, "missing network tag in hello message", err);
            if (rc == PANDA_OK)
                rc = s_read_bytes (ctx, "network tag in hello message", PANDA_REPL_NETWORK_TAG_SIZE, true,
                                   &tag, &len, err);
            if (rc == PANDA_OK) {
                memcpy (msg->network_tag, tag, PANDA_REPL_NETWORK_TAG_SIZE);
                rc = s_need (ctx, 3, "missing psk proof in hello message", err);
            }
            if (rc == PANDA_OK)
                rc = s_read_bytes_or_null (ctx, "psk proof in hello message", PANDA_REPL_PSK_PROOF_SIZE, true,
                                           &msg->psk_proof, &len, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 4, "missing max frame bytes in hello message", err);
            if (rc == PANDA_OK)
                rc = s_read_u64 (ctx, "max frame bytes in hello message", &msg->max_frame_bytes, err);
            if (rc == PANDA_OK)
                rc = s_need (ctx, 5, "missing node key in hello message", err);
            if (rc == PANDA_OK)
                rc = s_read_bytes (ctx, "node key in hello message", PANDA_REPL_PUBLIC_KEY_SIZE, true,
                                   &msg->node_key, &len, err);
            return rc;
        }
        default: return s_read_relay_fields (ctx, msg, expected, err);
    }
}

panda_err_t
panda_repl_msg_decode (panda_repl_msg_t *self, const uint8_t *data, size_t len,
                       const panda_repl_limits_t *limits, size_t *consumed, panda_error_t *err)
{
    panda_repl_limits_t defaults = panda_repl_limits_default ();
    s_ctx_t ctx = {.limits = limits ? limits : &defaults};
    panda_repl_msg_init (self);
    *consumed = 0;
    panda_cbor_reader_init (&ctx.r, data, len);
    panda_cbor_head_t head;
    uint64_t type = 0, expected = 0;
    if (panda_cbor_read_head (&ctx.r, &head, err))
        return PANDA_ERR_DECODE;
    if (head.major != PANDA_CBOR_ARRAY)
        return s_wrong_type (&head, "p2panda message", NULL, err);
    ctx.fields = head.arg;
    panda_err_t rc = s_need (&ctx, 0, "invalid message type", err);
    if (rc == PANDA_OK)
        rc = s_read_u64 (&ctx, "message type", &type, err);
    if (rc == PANDA_OK) {
        if (strcmp (panda_repl_type_name (type), "unknown") == 0)
            rc = panda_error_set (err, PANDA_ERR_DECODE, "unknown message type");
        else
            self->type = (panda_repl_type_t) type;
    }
    if (rc == PANDA_OK)
        rc = s_read_fields (&ctx, self, &expected, err);
    if (rc == PANDA_OK && ctx.fields > expected)
        rc = panda_error_set (err, PANDA_ERR_DECODE, "too many fields for p2panda message");
    if (rc) {
        panda_repl_msg_clear (self);
        return rc;
    }
    *consumed = panda_cbor_offset (&ctx.r);
    return PANDA_OK;
}

panda_err_t
panda_repl_reader_init (panda_repl_reader_t *self, const uint8_t *data, size_t len,
                        const panda_repl_limits_t *limits, panda_error_t *err)
{
    memset (self, 0, sizeof *self);
    self->limits = limits ? *limits : panda_repl_limits_default ();
    if (len == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "empty replication frame");
    if (len > self->limits.max_frame_bytes)
        return panda_error_set (err, PANDA_ERR_LIMIT,
                                "replication frame of %zu bytes is over the limit of %zu", len,
                                self->limits.max_frame_bytes);
    self->data = data;
    self->len = len;
    return PANDA_OK;
}

bool
panda_repl_reader_more (const panda_repl_reader_t *self)
{
    return self->offset < self->len;
}

panda_err_t
panda_repl_reader_next (panda_repl_reader_t *self, panda_repl_msg_t *msg, panda_error_t *err)
{
    panda_repl_msg_init (msg);
    if (PANDA_NEVER (!panda_repl_reader_more (self)))
        return panda_error_set (err, PANDA_ERR_INTERNAL, "read past the end of a replication frame");
    size_t used;
    panda_err_t rc = panda_repl_msg_decode (msg, self->data + self->offset, self->len - self->offset,
                                            &self->limits, &used, err);
    if (rc) {
        if (err)
            panda_error_prefix (err, "message %zu at offset %zu: ", self->index, self->offset);
        self->offset = self->len;
        return rc;
    }
    self->offset += used;
    self->index++;
    return PANDA_OK;
}
