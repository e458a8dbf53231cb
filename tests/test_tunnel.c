/*  test_tunnel.c - the end-to-end tunnel through a relay: two nodes open
    it and talk; a relay in the middle cannot read, alter, replay, reorder
    or drop frames unnoticed, cannot take part with keys of its own, and
    frames of an old tunnel never open in a new one.                      */
#define _GNU_SOURCE //  memmem

#include "panda_test.h"
#include "panda_tunnel.h"

#include <sodium.h>

typedef struct {
    uint8_t node[32], secret[64], curve_secret[32];
} s_node_t;

static void
s_node (s_node_t *n)
{
    crypto_sign_keypair (n->node, n->secret);
    assert_int_equal (crypto_sign_ed25519_sk_to_curve25519 (n->curve_secret, n->secret), 0);
}

//  Two nodes, a the opener (smaller key), and their tunnels.
typedef struct {
    s_node_t a, b;
    panda_tunnel_t *ta, *tb;
} s_pair_t;

static void
s_pair (s_pair_t *p)
{
    do {
        s_node (&p->a);
        s_node (&p->b);
    } while (memcmp (p->a.node, p->b.node, 32) >= 0);
    panda_error_t err;
    p->ta = panda_tunnel_new (p->a.node, p->a.curve_secret, p->b.node, &err);
    p->tb = panda_tunnel_new (p->b.node, p->b.curve_secret, p->a.node, &err);
    assert_non_null (p->ta);
    assert_non_null (p->tb);
    assert_true (panda_tunnel_opener (p->ta));
    assert_false (panda_tunnel_opener (p->tb));
}

static void
s_pair_free (s_pair_t *p)
{
    panda_tunnel_destroy (&p->ta);
    panda_tunnel_destroy (&p->tb);
}

//  Feed payload to t; returns the event, copies a DATA frame to out.
static panda_tunnel_event_t
s_input (panda_tunnel_t *t, const uint8_t *payload, size_t len, panda_cbor_writer_t *reply, char *out,
         size_t size)
{
    panda_tunnel_event_t event;
    const uint8_t *plain;
    size_t plain_len;
    panda_error_t err;
    if (panda_tunnel_input (t, payload, len, reply, &event, &plain, &plain_len, &err))
        fail_msg ("tunnel input: %s", err.message);
    if (event == PANDA_TUNNEL_DATA && out) {
        assert_true (plain_len < size);
        memcpy (out, plain, plain_len);
        out[plain_len] = 0;
    }
    return event;
}

//  Open: a's Open to b, b's answer to a. Both up.
static void
s_open (s_pair_t *p)
{
    panda_cbor_writer_t open, answer;
    panda_cbor_writer_init (&open);
    panda_cbor_writer_init (&answer);
    panda_error_t err;
    assert_int_equal (panda_tunnel_start (p->ta, &open, &err), PANDA_OK);
    assert_int_equal (open.len, PANDA_TUNNEL_OPEN_SIZE);
    assert_true (panda_tunnel_opening (p->ta));
    assert_int_equal (s_input (p->tb, open.data, open.len, &answer, NULL, 0), PANDA_TUNNEL_UP);
    assert_int_equal (answer.len, PANDA_TUNNEL_OPEN_SIZE);
    assert_int_equal (s_input (p->ta, answer.data, answer.len, NULL, NULL, 0), PANDA_TUNNEL_UP);
    assert_true (panda_tunnel_ready (p->ta) && panda_tunnel_ready (p->tb));
    panda_cbor_writer_free (&open);
    panda_cbor_writer_free (&answer);
}

static void
s_seal (panda_tunnel_t *t, const char *text, panda_cbor_writer_t *out)
{
    panda_error_t err;
    out->len = 0;
    assert_int_equal (panda_tunnel_seal (t, (const uint8_t *) text, strlen (text), out, &err), PANDA_OK);
}

static void
test_tunnel_talks (void **state)
{
    s_pair_t p;
    s_pair (&p);
    s_open (&p);
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    char got[256];
    for (int i = 0; i < 100; i++) {
        char text[64];
        snprintf (text, sizeof text, "frame %d from a", i);
        s_seal (p.ta, text, &w);
        //  The relay sees no plaintext.
        assert_null (memmem (w.data, w.len, "frame", 5));
        assert_true (w.len <= strlen (text) + PANDA_TUNNEL_OVERHEAD);
        assert_int_equal (s_input (p.tb, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
        assert_string_equal (got, text);
        snprintf (text, sizeof text, "frame %d from b", i);
        s_seal (p.tb, text, &w);
        assert_int_equal (s_input (p.ta, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
        assert_string_equal (got, text);
    }
    //  An empty frame goes through too.
    s_seal (p.ta, "", &w);
    assert_int_equal (s_input (p.tb, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
    assert_string_equal (got, "");
    panda_cbor_writer_free (&w);
    s_pair_free (&p);
}

//  Altered, replayed, dropped and reordered frames all break the tunnel.
static void
test_tunnel_tamper (void **state)
{
    panda_cbor_writer_t w1, w2;
    panda_cbor_writer_init (&w1);
    panda_cbor_writer_init (&w2);
    char got[64];
    for (int attack = 0; attack < 4; attack++) {
        s_pair_t p;
        s_pair (&p);
        s_open (&p);
        s_seal (p.ta, "first", &w1);
        s_seal (p.ta, "second", &w2);
        switch (attack) {
            case 0: //  a bit flipped
                w1.data[w1.len - 1] ^= 1;
                assert_int_equal (s_input (p.tb, w1.data, w1.len, NULL, got, sizeof got), PANDA_TUNNEL_DOWN);
                break;
            case 1: //  replayed
                assert_int_equal (s_input (p.tb, w1.data, w1.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
                assert_int_equal (s_input (p.tb, w1.data, w1.len, NULL, got, sizeof got), PANDA_TUNNEL_DOWN);
                break;
            case 2: //  the first dropped (it carries the stream header)
                assert_int_equal (s_input (p.tb, w2.data, w2.len, NULL, got, sizeof got), PANDA_TUNNEL_DOWN);
                break;
            case 3: { //  a later one dropped
                panda_cbor_writer_t w3;
                panda_cbor_writer_init (&w3);
                s_seal (p.ta, "third", &w3);
                assert_int_equal (s_input (p.tb, w1.data, w1.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
                assert_int_equal (s_input (p.tb, w3.data, w3.len, NULL, got, sizeof got), PANDA_TUNNEL_DOWN);
                panda_cbor_writer_free (&w3);
                break;
            }
        }
        assert_false (panda_tunnel_ready (p.tb));
        //  Down is down: nothing more comes through until a new Open.
        assert_int_equal (s_input (p.tb, w2.data, w2.len, NULL, got, sizeof got), PANDA_TUNNEL_NONE);
        //  and the tunnel opens again, with fresh keys.
        s_open (&p);
        s_seal (p.ta, "again", &w1);
        assert_int_equal (s_input (p.tb, w1.data, w1.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
        assert_string_equal (got, "again");
        s_pair_free (&p);
    }
    panda_cbor_writer_free (&w1);
    panda_cbor_writer_free (&w2);
}

//  A relay that answers with its own keys, or opens as one side, derives
//  nothing: its frames never decrypt, and ours are noise to it.
static void
test_tunnel_relay_cannot_join (void **state)
{
    s_pair_t p;
    s_pair (&p);
    s_node_t relay;
    s_node (&relay);
    panda_error_t err;
    panda_cbor_writer_t open, answer, w;
    panda_cbor_writer_init (&open);
    panda_cbor_writer_init (&answer);
    panda_cbor_writer_init (&w);
    assert_int_equal (panda_tunnel_start (p.ta, &open, &err), PANDA_OK);
    //  The relay forges b's answer with an ephemeral key of its own, echoing a's.
    uint8_t forged[PANDA_TUNNEL_OPEN_SIZE];
    uint8_t eph_secret[32];
    forged[0] = 1;
    crypto_box_keypair (forged + 1, eph_secret);
    memcpy (forged + 33, open.data + 1, 32);
    assert_int_equal (s_input (p.ta, forged, sizeof forged, NULL, NULL, 0), PANDA_TUNNEL_UP);
    //  a believes it is up, but what a seals is no plaintext to the relay
    //  (its keys need a's or b's static secret) and nothing b takes.
    s_seal (p.ta, "secret", &w);
    assert_null (memmem (w.data, w.len, "secret", 6));
    char got[64];
    assert_int_equal (s_input (p.tb, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_NONE);
    //  The relay impersonates b with a tunnel of its own towards a (it
    //  knows b's public key, not b's secret).
    uint8_t relay_curve_secret[32];
    memcpy (relay_curve_secret, relay.curve_secret, 32);
    panda_tunnel_t *fake_b = panda_tunnel_new (p.b.node, relay_curve_secret, p.a.node, &err);
    assert_non_null (fake_b);
    panda_tunnel_t *a2 = panda_tunnel_new (p.a.node, p.a.curve_secret, p.b.node, &err);
    open.len = 0;
    assert_int_equal (panda_tunnel_start (a2, &open, &err), PANDA_OK);
    assert_int_equal (s_input (fake_b, open.data, open.len, &answer, NULL, 0), PANDA_TUNNEL_UP);
    assert_int_equal (s_input (a2, answer.data, answer.len, NULL, NULL, 0), PANDA_TUNNEL_UP);
    s_seal (fake_b, "I am b", &w);
    assert_int_equal (s_input (a2, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_DOWN);
    panda_tunnel_destroy (&fake_b);
    panda_tunnel_destroy (&a2);
    panda_cbor_writer_free (&open);
    panda_cbor_writer_free (&answer);
    panda_cbor_writer_free (&w);
    s_pair_free (&p);
}

//  Frames of an old tunnel never open in a new one; an old answer is
//  never taken for the current one; restarts from either side.
static void
test_tunnel_restarts (void **state)
{
    s_pair_t p;
    s_pair (&p);
    s_open (&p);
    panda_cbor_writer_t old, open, answer, w, reset;
    panda_cbor_writer_init (&old);
    panda_cbor_writer_init (&open);
    panda_cbor_writer_init (&answer);
    panda_cbor_writer_init (&w);
    panda_cbor_writer_init (&reset);
    panda_error_t err;
    s_seal (p.ta, "old", &old);
    //  a opens again; b answers; the old frame is refused in the new tunnel.
    assert_int_equal (panda_tunnel_start (p.ta, &open, &err), PANDA_OK);
    assert_int_equal (s_input (p.tb, open.data, open.len, &answer, NULL, 0), PANDA_TUNNEL_UP);
    uint8_t stale_answer[PANDA_TUNNEL_OPEN_SIZE];
    memcpy (stale_answer, answer.data, sizeof stale_answer);
    assert_int_equal (s_input (p.ta, answer.data, answer.len, NULL, NULL, 0), PANDA_TUNNEL_UP);
    char got[64];
    assert_int_equal (s_input (p.tb, old.data, old.len, NULL, got, sizeof got), PANDA_TUNNEL_DOWN);
    //  b lost it: b asks for a new tunnel with a Reset.
    assert_int_equal (panda_tunnel_start (p.tb, &reset, &err), PANDA_OK);
    assert_int_equal (reset.len, 1);
    assert_int_equal (s_input (p.ta, reset.data, reset.len, NULL, NULL, 0), PANDA_TUNNEL_DOWN);
    //  a opens; a replayed old answer is ignored, the real one counts.
    open.len = answer.len = 0;
    assert_int_equal (panda_tunnel_start (p.ta, &open, &err), PANDA_OK);
    assert_int_equal (s_input (p.ta, stale_answer, sizeof stale_answer, NULL, NULL, 0), PANDA_TUNNEL_NONE);
    assert_true (panda_tunnel_opening (p.ta));
    assert_int_equal (s_input (p.tb, open.data, open.len, &answer, NULL, 0), PANDA_TUNNEL_UP);
    assert_int_equal (s_input (p.ta, answer.data, answer.len, NULL, NULL, 0), PANDA_TUNNEL_UP);
    s_seal (p.tb, "new", &w);
    assert_int_equal (s_input (p.ta, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
    assert_string_equal (got, "new");
    //  Both learn of each other at once: b's Reset crosses a's Open. a
    //  keeps waiting, and b's answer to the Open brings both up.
    panda_tunnel_close (p.ta);
    panda_tunnel_close (p.tb);
    open.len = answer.len = reset.len = 0;
    assert_int_equal (panda_tunnel_start (p.ta, &open, &err), PANDA_OK);
    assert_int_equal (panda_tunnel_start (p.tb, &reset, &err), PANDA_OK);
    assert_int_equal (s_input (p.ta, reset.data, reset.len, NULL, NULL, 0), PANDA_TUNNEL_NONE);
    assert_true (panda_tunnel_opening (p.ta));
    assert_int_equal (s_input (p.tb, open.data, open.len, &answer, NULL, 0), PANDA_TUNNEL_UP);
    assert_int_equal (s_input (p.ta, answer.data, answer.len, NULL, NULL, 0), PANDA_TUNNEL_UP);
    w.len = 0;
    s_seal (p.ta, "crossed", &w);
    assert_int_equal (s_input (p.tb, w.data, w.len, NULL, got, sizeof got), PANDA_TUNNEL_DATA);
    assert_string_equal (got, "crossed");
    //  A Reset to the answerer means nothing.
    assert_int_equal (s_input (p.tb, reset.data, reset.len, NULL, NULL, 0), PANDA_TUNNEL_NONE);
    assert_true (panda_tunnel_ready (p.tb));
    //  close: quietly down.
    panda_tunnel_close (p.ta);
    assert_false (panda_tunnel_ready (p.ta));
    assert_int_equal (panda_tunnel_seal (p.ta, (const uint8_t *) "x", 1, &w, &err), PANDA_ERR_INVALID);
    panda_cbor_writer_free (&old);
    panda_cbor_writer_free (&open);
    panda_cbor_writer_free (&answer);
    panda_cbor_writer_free (&w);
    panda_cbor_writer_free (&reset);
    s_pair_free (&p);
}

//  Malformed payloads are errors that change nothing.
static void
test_tunnel_malformed (void **state)
{
    s_pair_t p;
    s_pair (&p);
    s_open (&p);
    panda_error_t err;
    panda_tunnel_event_t event;
    const uint8_t *plain;
    size_t plain_len;
    const uint8_t bad[][3] = {{9, 0, 0}, {1, 2, 3}, {3, 3, 3}};
    const size_t lens[] = {3, 3, 2};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (panda_tunnel_input (p.tb, bad[i], lens[i], NULL, &event, &plain, &plain_len, &err),
                          PANDA_ERR_DECODE);
    assert_int_equal (panda_tunnel_input (p.tb, bad[0], 0, NULL, &event, &plain, &plain_len, &err),
                      PANDA_ERR_DECODE);
    assert_true (panda_tunnel_ready (p.tb));
    //  An Open with the all-zero key is refused, not derived from.
    uint8_t weak[PANDA_TUNNEL_OPEN_SIZE] = {1};
    panda_cbor_writer_t answer;
    panda_cbor_writer_init (&answer);
    assert_int_equal (panda_tunnel_input (p.tb, weak, sizeof weak, &answer, &event, &plain, &plain_len, &err),
                      PANDA_ERR_DECODE);
    assert_int_equal (answer.len, 0);
    panda_cbor_writer_free (&answer);
    //  A tunnel to oneself makes no sense.
    assert_null (panda_tunnel_new (p.a.node, p.a.curve_secret, p.a.node, &err));
    s_pair_free (&p);
}

int
main (void)
{
    assert_int_equal (sodium_init () >= 0, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_tunnel_talks),
        cmocka_unit_test (test_tunnel_tamper),
        cmocka_unit_test (test_tunnel_relay_cannot_join),
        cmocka_unit_test (test_tunnel_restarts),
        cmocka_unit_test (test_tunnel_malformed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
