/*  panda_repl_encode.c - replication message encoder. See panda_repl_msg.h.

    A message is checked completely before its first byte is written, so a
    refused message leaves the writer as it was and a frame never carries
    something the peer would reject as a decode error (node-api §9.1: one
    bad message closes the peer's inbound stream).                         */
#include "panda_repl_msg.h"
#include "panda_grow.h"

#include <stdlib.h>
#include <string.h>

//  Append len raw bytes (an already encoded CBOR item).
static void
s_write_raw (panda_cbor_writer_t *w, const uint8_t *data, size_t len)
{
    if (w->failed || len == 0)
        return;
    if (len > SIZE_MAX / 2 - w->len || !panda_grow ((void **) &w->data, &w->cap, w->len + len, 1)) {
        w->failed = true;
        return;
    }
    memcpy (w->data + w->len, data, len);
    w->len += len;
}

static void
s_write_u64 (panda_cbor_writer_t *w, uint64_t value)
{
    panda_cbor_write_head (w, PANDA_CBOR_UINT, value);
}

static void
s_write_null (panda_cbor_writer_t *w)
{
    panda_cbor_write_head (w, PANDA_CBOR_SIMPLE, PANDA_CBOR_NULL);
}

static panda_err_t
s_check_set (const panda_schema_set_t *set, bool non_empty, panda_error_t *err)
{
    if (panda_schema_set_validate (set, err)) {
        if (err) {
            panda_error_prefix (err, "refusing to send an unsorted schema id set: ");
            err->code = PANDA_ERR_INVALID;
        }
        return PANDA_ERR_INVALID;
    }
    if (non_empty && set->count == 0)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "refusing to send a sync request with an empty target set");
    return PANDA_OK;
}

//  What a peer would reject, refused before anything is written.
static panda_err_t
s_check (const panda_repl_msg_t *msg, panda_error_t *err)
{
    switch (msg->type) {
        case PANDA_REPL_ANNOUNCE: return s_check_set (&msg->schema_ids, false, err);
        case PANDA_REPL_SYNC_REQUEST: return s_check_set (&msg->schema_ids, true, err);
        case PANDA_REPL_ENTRY:
            if (!msg->entry)
                return panda_error_set (err, PANDA_ERR_INVALID,
                                        "refusing to send an entry message without entry");
            return PANDA_OK;
        case PANDA_REPL_HAVE:
            if (msg->n_authors && !msg->authors)
                return panda_error_set (err, PANDA_ERR_INVALID, "have message without its authors");
            for (size_t i = 0; i < msg->n_authors; i++) {
                if (msg->authors[i].n_logs && !msg->authors[i].logs)
                    return panda_error_set (err, PANDA_ERR_INVALID,
                                            "have message without the logs of author %zu", i);
                for (size_t j = 0; j < msg->authors[i].n_logs; j++)
                    if (msg->authors[i].logs[j].seq_num == 0)
                        return panda_error_set (err, PANDA_ERR_INVALID,
                                                "refusing to send seq num 0 (author %zu, log %zu)", i, j);
            }
            return PANDA_OK;
        case PANDA_REPL_RANGES: {
            panda_cbor_reader_t r;
            panda_error_t inner;
            panda_cbor_reader_init (&r, msg->ranges, msg->ranges ? msg->ranges_len : 0);
            if (!msg->ranges || panda_cbor_skip (&r, &inner) || panda_cbor_remaining (&r) != 0)
                return panda_error_set (err, PANDA_ERR_INVALID,
                                        "refusing to send ranges that are not exactly one CBOR item");
            return PANDA_OK;
        }
        case PANDA_REPL_SYNC_DONE:
        case PANDA_REPL_CREDIT:
        case PANDA_REPL_LOOKUP:
        case PANDA_REPL_ACK: return PANDA_OK;
        case PANDA_REPL_REGISTER:
            return msg->port <= 65535 ? PANDA_OK
                                      : panda_error_set (err, PANDA_ERR_INVALID, "register with port %llu",
                                                         (unsigned long long) msg->port);
        case PANDA_REPL_REGISTERED:
        case PANDA_REPL_REFUSED:
            if (msg->type == PANDA_REPL_REFUSED && !msg->node_key)
                return panda_error_set (err, PANDA_ERR_INVALID, "refused without a node key");
            return msg->text_len <= PANDA_REPL_MAX_TEXT && (msg->text || !msg->text_len)
                       ? PANDA_OK
                       : panda_error_set (err, PANDA_ERR_INVALID, "refusing to send a text of %zu bytes",
                                          msg->text_len);
        case PANDA_REPL_PEERS:
            if (msg->n_relay_peers > PANDA_REPL_MAX_RELAY_PEERS || (msg->n_relay_peers && !msg->relay_peers))
                return panda_error_set (err, PANDA_ERR_INVALID, "refusing to send %zu relay peers",
                                        msg->n_relay_peers);
            for (size_t i = 0; i < msg->n_relay_peers; i++)
                if (msg->relay_peers[i].address_len > PANDA_REPL_MAX_TEXT ||
                    (!msg->relay_peers[i].address && msg->relay_peers[i].address_len))
                    return panda_error_set (err, PANDA_ERR_INVALID, "relay peer %zu: bad address", i);
            return PANDA_OK;
        case PANDA_REPL_FORWARD:
            return msg->node_key && (msg->payload || !msg->payload_len)
                       ? PANDA_OK
                       : panda_error_set (err, PANDA_ERR_INVALID, "forward without a node key or payload");
        case PANDA_REPL_HELLO:
            return msg->node_key ? PANDA_OK
                                 : panda_error_set (err, PANDA_ERR_INVALID, "hello without a node key");
        default:
            return panda_error_set (err, PANDA_ERR_INVALID, "refusing to send unknown message type %d",
                                    (int) msg->type);
    }
}

static panda_err_t
s_write_set (panda_cbor_writer_t *w, const panda_schema_set_t *set, panda_error_t *err)
{
    panda_cbor_write_head (w, PANDA_CBOR_ARRAY, set->count);
    for (size_t i = 0; i < set->count; i++) {
        char *text = panda_schema_id_format (&set->ids[i]);
        if (!text)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        panda_cbor_write_text (w, text, strlen (text));
        free (text);
    }
    return PANDA_OK;
}

static panda_err_t
s_write (const panda_repl_msg_t *msg, panda_cbor_writer_t *w, panda_error_t *err)
{
    switch (msg->type) {
        case PANDA_REPL_ANNOUNCE:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 4);
            s_write_u64 (w, PANDA_REPL_ANNOUNCE);
            s_write_u64 (w, msg->protocol_version);
            s_write_u64 (w, msg->timestamp);
            return s_write_set (w, &msg->schema_ids, err);
        case PANDA_REPL_SYNC_REQUEST:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 4);
            s_write_u64 (w, PANDA_REPL_SYNC_REQUEST);
            s_write_u64 (w, msg->session_id);
            s_write_u64 (w, msg->mode);
            return s_write_set (w, &msg->schema_ids, err);
        case PANDA_REPL_ENTRY:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 4);
            s_write_u64 (w, PANDA_REPL_ENTRY);
            s_write_u64 (w, msg->session_id);
            panda_cbor_write_bytes (w, msg->entry, msg->entry_len);
            if (msg->operation)
                panda_cbor_write_bytes (w, msg->operation, msg->operation_len);
            else
                s_write_null (w);
            return PANDA_OK;
        case PANDA_REPL_SYNC_DONE:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
            s_write_u64 (w, PANDA_REPL_SYNC_DONE);
            s_write_u64 (w, msg->session_id);
            panda_cbor_write_bool (w, msg->live_mode);
            return PANDA_OK;
        case PANDA_REPL_HAVE:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
            s_write_u64 (w, PANDA_REPL_HAVE);
            s_write_u64 (w, msg->session_id);
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, msg->n_authors);
            for (size_t i = 0; i < msg->n_authors; i++) {
                const panda_repl_author_t *author = &msg->authors[i];
                panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 2);
                panda_cbor_write_bytes (w, author->public_key, PANDA_REPL_PUBLIC_KEY_SIZE);
                panda_cbor_write_head (w, PANDA_CBOR_ARRAY, author->n_logs);
                for (size_t j = 0; j < author->n_logs; j++) {
                    panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 2);
                    s_write_u64 (w, author->logs[j].log_id);
                    s_write_u64 (w, author->logs[j].seq_num);
                }
            }
            return PANDA_OK;
        case PANDA_REPL_RANGES:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
            s_write_u64 (w, PANDA_REPL_RANGES);
            s_write_u64 (w, msg->session_id);
            s_write_raw (w, msg->ranges, msg->ranges_len);
            return PANDA_OK;
        case PANDA_REPL_CREDIT:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
            s_write_u64 (w, PANDA_REPL_CREDIT);
            s_write_u64 (w, msg->credit_entries);
            s_write_u64 (w, msg->credit_bytes);
            return PANDA_OK;
        case PANDA_REPL_HELLO:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 6);
            s_write_u64 (w, PANDA_REPL_HELLO);
            s_write_u64 (w, msg->protocol_version);
            panda_cbor_write_bytes (w, msg->network_tag, PANDA_REPL_NETWORK_TAG_SIZE);
            if (msg->psk_proof)
                panda_cbor_write_bytes (w, msg->psk_proof, PANDA_REPL_PSK_PROOF_SIZE);
            else
                s_write_null (w);
            s_write_u64 (w, msg->max_frame_bytes);
            panda_cbor_write_bytes (w, msg->node_key, PANDA_REPL_PUBLIC_KEY_SIZE);
            return PANDA_OK;
        case PANDA_REPL_REGISTER:
        case PANDA_REPL_REGISTERED:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
            s_write_u64 (w, msg->type);
            s_write_u64 (w, msg->ttl);
            if (msg->type == PANDA_REPL_REGISTER)
                s_write_u64 (w, msg->port);
            else
                panda_cbor_write_text (w, msg->text ? msg->text : "", msg->text_len);
            return PANDA_OK;
        case PANDA_REPL_LOOKUP:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 1);
            s_write_u64 (w, PANDA_REPL_LOOKUP);
            return PANDA_OK;
        case PANDA_REPL_PEERS:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 2);
            s_write_u64 (w, PANDA_REPL_PEERS);
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, msg->n_relay_peers);
            for (size_t i = 0; i < msg->n_relay_peers; i++) {
                const panda_repl_relay_peer_t *peer = &msg->relay_peers[i];
                panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 2);
                panda_cbor_write_bytes (w, peer->node_key, PANDA_REPL_PUBLIC_KEY_SIZE);
                panda_cbor_write_text (w, peer->address ? peer->address : "", peer->address_len);
            }
            return PANDA_OK;
        case PANDA_REPL_FORWARD:
        case PANDA_REPL_REFUSED:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 3);
            s_write_u64 (w, msg->type);
            panda_cbor_write_bytes (w, msg->node_key, PANDA_REPL_PUBLIC_KEY_SIZE);
            if (msg->type == PANDA_REPL_FORWARD)
                panda_cbor_write_bytes (w, msg->payload ? msg->payload : (const uint8_t *) "",
                                        msg->payload_len);
            else
                panda_cbor_write_text (w, msg->text ? msg->text : "", msg->text_len);
            return PANDA_OK;
        case PANDA_REPL_ACK:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, 2);
            s_write_u64 (w, PANDA_REPL_ACK);
            s_write_u64 (w, msg->acked_bytes);
            return PANDA_OK;
    }
    return panda_error_set (err, PANDA_ERR_INTERNAL, "unchecked message type");
}

panda_err_t
panda_repl_msg_encode (const panda_repl_msg_t *msg, panda_cbor_writer_t *writer, panda_error_t *err)
{
    if (writer->failed)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_err_t rc = s_check (msg, err);
    if (rc)
        return rc;
    size_t start = writer->len;
    rc = s_write (msg, writer, err);
    if (rc == PANDA_OK && writer->failed)
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (rc) {
        writer->len = start; //  no half message in the frame
        writer->failed = false;
    }
    return rc;
}
