/*  fuzz_repl_session.c - one replication session fed arbitrary messages.

    Input: one config byte, then one frame. The config picks the session:
    bit 0 initiator, bit 1 mode 2 (else 0), bit 2 live, bits 3-4 its logs
    (none, 3, 12 or 40 of them; 40 is past the reconciliation's item
    threshold), bit 5 call start first, bit 6 stop_live at the end. Every
    message of the frame that decodes goes to handle (an Entry's bytes go
    to accepts as a schema id instead), as the replicate actor routes them,
    until the session fails or the frame ends.

    Nothing may crash, leak or loop. Checked on the way: a failure always
    has a message; a sends list is sorted, each log once, from_seq >= 1 and
    to_seq our height; sent() ends the catch-up; DONE is final; everything
    the session writes decodes, with its session id.

    The seeds are real exchanges: built with -DPANDA_FUZZ_SEEDS, this file
    has a main that runs each config against a peer session and writes
    config byte + everything the peer said to it (its SyncRequest left
    out) into the directory given. tests/corpus/fuzz_repl_session holds
    those 64 seeds after an 8-minute libFuzzer run, merged down to a
    minimal set covering the same edges (-set_cover_merge=1
    -use_counters=0).                                                     */
#include "panda_repl_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_ID 7

static const char *s_three[] = {"schema_definition_v1", "schema_field_definition_v1",
                                "chat_0020cf9cd48f79fa3d22267a0777a3fe01534732e62593a33af4fe375a66a850696a"};

static void
s_target (panda_schema_set_t *set)
{
    panda_schema_set_init (set);
    for (size_t i = 0; i < 3; i++)
        if (panda_schema_set_add_text (set, s_three[i], strlen (s_three[i]), NULL))
            abort ();
}

//  Logs of a variant, for side 0 (the fuzzed session) or 1 (its peer in
//  the seeds): four authors, heights that differ between the sides, some
//  logs on one side only.
static panda_recon_set_t *
s_logs (unsigned variant, unsigned side)
{
    static const size_t sizes[4] = {0, 3, 12, 40};
    panda_recon_set_t *set = panda_recon_set_new ();
    if (!set)
        abort ();
    for (size_t i = 0; i < sizes[variant]; i++) {
        if ((i + side) % 5 == 0)
            continue;
        uint8_t pk[32];
        memset (pk, 0xa5, sizeof pk);
        pk[0] = (uint8_t) (0x10 + 0x40 * (i % 4));
        uint64_t log_id = i % 7 == 6 ? UINT64_MAX - i : i / 4;
        uint64_t seq = 1 + (i * 7 + side * 3 + variant) % 9;
        if (panda_recon_set_add (set, pk, log_id, seq, NULL))
            abort ();
    }
    return set;
}

static panda_repl_session_t *
s_session (uint8_t config, unsigned side)
{
    panda_schema_set_t target;
    s_target (&target);
    panda_error_t err;
    bool initiator = (config & 1) != side;
    uint64_t mode = config & 2 ? PANDA_REPL_MODE_LOG_HEIGHT_RANGES : PANDA_REPL_MODE_LOG_HEIGHT;
    panda_repl_session_t *session = panda_repl_session_new (
        S_ID, initiator, mode, &target, s_logs ((config >> 3) & 3, side), side || (config & 4), &err);
    panda_schema_set_clear (&target);
    if (!session)
        abort ();
    return session;
}

static int
s_key_cmp (const panda_repl_send_t *a, const panda_repl_send_t *b)
{
    int c = memcmp (a->public_key, b->public_key, 32);
    return c ? c : a->log_id < b->log_id ? -1 : a->log_id > b->log_id;
}

//  The list once ready: well formed, against our own heights.
static void
s_check_sends (panda_repl_session_t *session, const panda_recon_set_t *ours)
{
    size_t n;
    const panda_repl_send_t *sends = panda_repl_session_sends (session, &n);
    if ((n == 0) != (sends == NULL))
        abort ();
    for (size_t i = 0; i < n; i++) {
        if (sends[i].from_seq < 1 || sends[i].from_seq > sends[i].to_seq ||
            sends[i].to_seq != panda_recon_set_height (ours, sends[i].public_key, sends[i].log_id))
            abort ();
        if (i && s_key_cmp (&sends[i - 1], &sends[i]) >= 0)
            abort ();
    }
}

//  Everything written must decode: the session's own messages, its id.
static void
s_check_output (const panda_cbor_writer_t *out)
{
    if (out->failed)
        abort ();
    if (out->len == 0)
        return;
    panda_repl_reader_t reader;
    panda_error_t err;
    if (panda_repl_reader_init (&reader, out->data, out->len, NULL, &err))
        abort ();
    while (panda_repl_reader_more (&reader)) {
        panda_repl_msg_t msg;
        if (panda_repl_reader_next (&reader, &msg, &err))
            abort ();
        if (msg.session_id != S_ID || (msg.type != PANDA_REPL_SYNC_REQUEST && msg.type != PANDA_REPL_HAVE &&
                                       msg.type != PANDA_REPL_RANGES && msg.type != PANDA_REPL_SYNC_DONE))
            abort ();
        panda_repl_msg_clear (&msg);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t config = data[0];
    panda_repl_session_t *session = s_session (config, 0);
    panda_recon_set_t *ours = s_logs ((config >> 3) & 3, 0);
    if (panda_recon_set_seal (ours, NULL))
        abort ();
    panda_cbor_writer_t out;
    panda_cbor_writer_init (&out);
    panda_error_t err;
    if ((config & 32) && panda_repl_session_start (session, &out, &err))
        abort ();

    panda_repl_reader_t reader;
    bool failed = false;
    if (panda_repl_reader_init (&reader, data + 1, size - 1, NULL, &err) == PANDA_OK) {
        while (!failed && panda_repl_reader_more (&reader)) {
            panda_repl_msg_t msg;
            if (panda_repl_reader_next (&reader, &msg, &err))
                break;
            if (msg.type == PANDA_REPL_ENTRY) {
                char *text = malloc (msg.entry_len + 1);
                if (!text)
                    abort ();
                memcpy (text, msg.entry, msg.entry_len);
                text[msg.entry_len] = '\0';
                panda_repl_session_accepts (session, text);
                free (text);
                if (panda_repl_session_state (session) == PANDA_REPL_PENDING)
                    abort ();
                panda_repl_msg_clear (&msg);
                continue;
            }
            bool was_done = panda_repl_session_state (session) == PANDA_REPL_DONE;
            if (panda_repl_session_handle (session, &msg, &out, &err)) {
                if (err.message[0] == '\0')
                    abort ();
                failed = true; //  the actor drops the session
            }
            panda_repl_msg_clear (&msg);
            if (failed)
                break;
            if (was_done || panda_repl_session_state (session) == PANDA_REPL_PENDING)
                abort ();
            if (panda_repl_session_sends_ready (session)) {
                s_check_sends (session, ours);
                if (panda_repl_session_sent (session, &out, &err) ||
                    !panda_repl_session_local_done (session) || panda_repl_session_sends_ready (session))
                    abort ();
            }
        }
    }
    if (!failed && (config & 64) && panda_repl_session_state (session) == PANDA_REPL_LIVE) {
        if (panda_repl_session_stop_live (session, &out, &err) ||
            panda_repl_session_state (session) != PANDA_REPL_DONE)
            abort ();
    }
    s_check_output (&out);
    panda_cbor_writer_free (&out);
    panda_recon_set_destroy (&ours);
    panda_repl_session_destroy (&session);
    return 0;
}

#ifdef PANDA_FUZZ_SEEDS
//  Hand the messages in from's frame to to (skipping a SyncRequest: the
//  sessions exist already), each followed by what the actor does; append
//  them to record when it is given.
static void
s_deliver (panda_cbor_writer_t *from, panda_repl_session_t *to, panda_cbor_writer_t *to_out, FILE *record)
{
    uint8_t *frame = from->data;
    size_t len = from->len;
    panda_cbor_writer_init (from);
    panda_repl_reader_t reader;
    panda_error_t err;
    if (panda_repl_reader_init (&reader, frame, len, NULL, &err))
        abort ();
    while (panda_repl_reader_more (&reader)) {
        size_t start = reader.offset;
        panda_repl_msg_t msg;
        if (panda_repl_reader_next (&reader, &msg, &err))
            abort ();
        if (msg.type != PANDA_REPL_SYNC_REQUEST) {
            if (record && fwrite (frame + start, 1, reader.offset - start, record) != reader.offset - start)
                abort ();
            if (panda_repl_session_handle (to, &msg, to_out, &err))
                abort ();
            if (panda_repl_session_sends_ready (to) && panda_repl_session_sent (to, to_out, &err))
                abort ();
        }
        panda_repl_msg_clear (&msg);
    }
    free (frame);
}

int
main (int argc, char *argv[])
{
    if (argc != 2) {
        fprintf (stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    for (unsigned config = 0; config < 128; config++) {
        if (!(config & 32))
            continue; //  seeds always start the session
        panda_repl_session_t *f = s_session ((uint8_t) config, 0), *p = s_session ((uint8_t) config, 1);
        char path[4096];
        snprintf (path, sizeof path, "%s/seed-%02x", argv[1], config);
        FILE *record = fopen (path, "wb");
        uint8_t byte = (uint8_t) config;
        if (!record || fwrite (&byte, 1, 1, record) != 1)
            abort ();
        panda_cbor_writer_t f_out, p_out;
        panda_cbor_writer_init (&f_out);
        panda_cbor_writer_init (&p_out);
        panda_error_t err;
        if (panda_repl_session_start (f, &f_out, &err) || panda_repl_session_start (p, &p_out, &err))
            abort ();
        for (int rounds = 0; f_out.len || p_out.len; rounds++) {
            if (rounds > 100)
                abort ();
            if (p_out.len)
                s_deliver (&p_out, f, &f_out, record);
            if (f_out.len)
                s_deliver (&f_out, p, &p_out, NULL);
        }
        if (panda_repl_session_state (p) == PANDA_REPL_LIVE) {
            if (panda_repl_session_stop_live (p, &p_out, &err))
                abort ();
            s_deliver (&p_out, f, &f_out, record);
        }
        fclose (record);
        panda_cbor_writer_free (&f_out);
        panda_cbor_writer_free (&p_out);
        panda_repl_session_destroy (&f);
        panda_repl_session_destroy (&p);
    }
    return 0;
}
#endif
