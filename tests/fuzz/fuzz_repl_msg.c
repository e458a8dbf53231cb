/*  fuzz_repl_msg.c - replication frame decoder on arbitrary bytes.

    Anything may be rejected (with a message); nothing may crash or leak.
    Every message that decodes must encode, decode again to an equal
    message, and that second encoding must be byte-identical to the first.  */
#include "panda_repl_msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
s_bytes_eq (const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    if ((a == NULL) != (b == NULL) || a_len != b_len)
        return false;
    return a_len == 0 || memcmp (a, b, a_len) == 0;
}

static bool
s_msg_eq (const panda_repl_msg_t *a, const panda_repl_msg_t *b)
{
    if (a->type != b->type || a->session_id != b->session_id || a->protocol_version != b->protocol_version ||
        a->timestamp != b->timestamp || a->mode != b->mode || a->live_mode != b->live_mode ||
        a->credit_entries != b->credit_entries || a->credit_bytes != b->credit_bytes ||
        a->max_frame_bytes != b->max_frame_bytes ||
        memcmp (a->network_tag, b->network_tag, sizeof a->network_tag) != 0 || a->n_authors != b->n_authors ||
        !panda_schema_set_eq (&a->schema_ids, &b->schema_ids) ||
        !s_bytes_eq (a->entry, a->entry_len, b->entry, b->entry_len) ||
        !s_bytes_eq (a->operation, a->operation_len, b->operation, b->operation_len) ||
        !s_bytes_eq (a->ranges, a->ranges_len, b->ranges, b->ranges_len) ||
        !s_bytes_eq (a->psk_proof, a->psk_proof ? PANDA_REPL_PSK_PROOF_SIZE : 0, b->psk_proof,
                     b->psk_proof ? PANDA_REPL_PSK_PROOF_SIZE : 0) ||
        !s_bytes_eq (a->node_key, a->node_key ? PANDA_REPL_PUBLIC_KEY_SIZE : 0, b->node_key,
                     b->node_key ? PANDA_REPL_PUBLIC_KEY_SIZE : 0) ||
        a->ttl != b->ttl || a->port != b->port || a->acked_bytes != b->acked_bytes ||
        !s_bytes_eq ((const uint8_t *) a->text, a->text_len, (const uint8_t *) b->text, b->text_len) ||
        !s_bytes_eq (a->payload, a->payload_len, b->payload, b->payload_len) ||
        a->n_relay_peers != b->n_relay_peers)
        return false;
    for (size_t i = 0; i < a->n_relay_peers; i++) {
        const panda_repl_relay_peer_t *x = &a->relay_peers[i], *y = &b->relay_peers[i];
        if (memcmp (x->node_key, y->node_key, sizeof x->node_key) != 0 ||
            !s_bytes_eq ((const uint8_t *) x->address, x->address_len, (const uint8_t *) y->address,
                         y->address_len))
            return false;
    }
    for (size_t i = 0; i < a->n_authors; i++) {
        const panda_repl_author_t *x = &a->authors[i], *y = &b->authors[i];
        if (memcmp (x->public_key, y->public_key, sizeof x->public_key) != 0 || x->n_logs != y->n_logs)
            return false;
        for (size_t j = 0; j < x->n_logs; j++)
            if (x->logs[j].log_id != y->logs[j].log_id || x->logs[j].seq_num != y->logs[j].seq_num)
                return false;
    }
    return true;
}

//  Encode msg, decode it back, compare, encode again, compare bytes.
static void
s_round_trip (const panda_repl_msg_t *msg)
{
    panda_error_t err;
    panda_cbor_writer_t first, second;
    panda_cbor_writer_init (&first);
    panda_cbor_writer_init (&second);
    if (panda_repl_msg_encode (msg, &first, &err))
        abort ();
    panda_repl_msg_t back;
    size_t used;
    if (panda_repl_msg_decode (&back, first.data, first.len, NULL, &used, &err) || used != first.len)
        abort ();
    if (!s_msg_eq (msg, &back))
        abort ();
    if (panda_repl_msg_encode (&back, &second, &err) || second.len != first.len ||
        memcmp (second.data, first.data, first.len) != 0)
        abort ();
    panda_repl_msg_clear (&back);
    panda_cbor_writer_free (&first);
    panda_cbor_writer_free (&second);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_error_t err;
    panda_repl_reader_t reader;
    if (panda_repl_reader_init (&reader, data, size, NULL, &err)) {
        if (err.message[0] == '\0')
            abort ();
        return 0;
    }
    while (panda_repl_reader_more (&reader)) {
        panda_repl_msg_t msg;
        if (panda_repl_reader_next (&reader, &msg, &err)) {
            if (err.message[0] == '\0' || panda_repl_reader_more (&reader))
                abort ();
            break;
        }
        s_round_trip (&msg);
        panda_repl_msg_clear (&msg);
    }
    return 0;
}
