/*  test_peer_id.c - node identity: key file text, libp2p peer ids (the
    node-api §10 vector), CURVE keys derived from the Ed25519 key.          */
#include "panda_test.h"
#include "panda_base58.h"
#include "panda_peer_id.h"

#include <sodium.h>

#define S_KEY "799faf7a1fa47c54fac705f30d3c4d80c40efb562da19315fabefcc995a228a1"
#define S_PEER_ID "12D3KooWCw68m5CRcV8vD9iuR325oKwJHLYqTYH5mYwD6k2QV4nm"

static void
test_peer_id_vector (void **state)
{
    panda_error_t err;
    panda_peer_identity_t *id = panda_peer_identity_new_from_key_file (S_KEY, strlen (S_KEY), &err);
    assert_non_null (id);
    assert_string_equal (panda_peer_identity_peer_id (id), S_PEER_ID);
    //  Back from the peer id to the key.
    uint8_t key[32];
    assert_int_equal (panda_peer_id_parse (S_PEER_ID, strlen (S_PEER_ID), key, &err), PANDA_OK);
    assert_memory_equal (key, panda_peer_identity_public_key (id), 32);
    char text[PANDA_PEER_ID_MAX + 1];
    assert_string_equal (panda_peer_id_from_public_key (key, text), S_PEER_ID);
    //  The key file text round trips, lower case and without newline.
    char file[PANDA_PEER_KEY_FILE_SIZE + 1];
    assert_string_equal (panda_peer_identity_key_file (id, file), S_KEY);
    //  CURVE: the secret's X25519 public key is the public key's X25519 form.
    uint8_t curve[32], derived[32];
    assert_int_equal (crypto_scalarmult_base (derived, panda_peer_identity_curve_secret_key (id)), 0);
    assert_memory_equal (derived, panda_peer_identity_curve_public_key (id), 32);
    assert_int_equal (panda_peer_curve_public_key (key, curve, &err), PANDA_OK);
    assert_memory_equal (curve, panda_peer_identity_curve_public_key (id), 32);
    panda_peer_identity_destroy (&id);
    assert_null (id);
    panda_peer_identity_destroy (&id);
}

static void
test_peer_id_round_trip (void **state)
{
    for (int i = 0; i < 50; i++) {
        panda_peer_identity_t *id = panda_peer_identity_new_random (NULL);
        assert_non_null (id);
        const char *text = panda_peer_identity_peer_id (id);
        assert_int_equal (strlen (text), 52);
        assert_memory_equal (text, "12D3KooW", 8);
        uint8_t key[32];
        assert_int_equal (panda_peer_id_parse (text, strlen (text), key, NULL), PANDA_OK);
        assert_memory_equal (key, panda_peer_identity_public_key (id), 32);
        char file[PANDA_PEER_KEY_FILE_SIZE + 1];
        panda_peer_identity_key_file (id, file);
        panda_peer_identity_t *again = panda_peer_identity_new_from_key_file (file, strlen (file), NULL);
        assert_string_equal (panda_peer_identity_peer_id (again), text);
        panda_peer_identity_destroy (&again);
        panda_peer_identity_destroy (&id);
    }
}

//  Base58 of bytes, for hand-made peer ids.
static char *
s_base58 (const char *hex)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (hex, &len);
    char *text = panda_base58_encode (bytes, len);
    free (bytes);
    return text;
}

static void
s_parse_fails (const char *text, panda_err_t code, const char *message)
{
    uint8_t key[32];
    panda_error_t err;
    panda_err_t rc = panda_peer_id_parse (text, strlen (text), key, &err);
    if (rc != code || !strstr (err.message, message))
        fail_msg ("%s: got %d `%s`, expected `%s`", text, rc, rc ? err.message : "", message);
}

static void
test_peer_id_invalid (void **state)
{
    s_parse_fails ("", PANDA_ERR_DECODE, "invalid peer id");
    s_parse_fails ("12D3KooWCw68m5CRcV8vD9iuR325oKwJHLYqTYH5mYwD6k2QV4n0", PANDA_ERR_DECODE,
                   "invalid base58 character");
    s_parse_fails ("12D3KooWCw68m5CRcV8vD9iuR325oKwJHLYqTYH5mYwD6k2QV4n", PANDA_ERR_DECODE,
                   "invalid peer id");
    //  RSA-style: SHA-256 multihash ("Qm...").
    char *text = s_base58 ("1220"
                           "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    assert_int_equal (text[0], 'Q');
    s_parse_fails (text, PANDA_ERR_DECODE, "SHA-256 multihash: only Ed25519");
    free (text);
    //  Secp256k1 key inline: 00 25 08 02 12 21 <33 bytes>.
    text = s_base58 ("0025080212210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    s_parse_fails (text, PANDA_ERR_DECODE, "key type 2 (Secp256k1): only Ed25519");
    free (text);
    //  An Ed25519 peer id whose key is a small-order point.
    text = s_base58 ("002408011220"
                     "0100000000000000000000000000000000000000000000000000000000000000");
    s_parse_fails (text, PANDA_ERR_SIGNATURE, "invalid peer id: ");
    free (text);
    //  Wrong protobuf length.
    text = s_base58 ("0023080112200100000000000000000000000000000000000000000000000000000000");
    s_parse_fails (text, PANDA_ERR_DECODE, "invalid peer id");
    free (text);
    char long_text[200];
    memset (long_text, 'z', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    s_parse_fails (long_text, PANDA_ERR_DECODE, "invalid peer id: 199 characters");
}

static void
s_key_file_ok (const char *text)
{
    uint8_t seed[32];
    panda_error_t err;
    if (panda_peer_key_file_parse (text, strlen (text), seed, &err))
        fail_msg ("`%s`: %s", text, err.message);
    char out[PANDA_PEER_KEY_FILE_SIZE + 1];
    assert_string_equal (panda_peer_key_file_format (seed, out), S_KEY);
}

static void
s_key_file_fails (const char *text, size_t len, const char *message)
{
    uint8_t seed[32];
    panda_error_t err;
    assert_int_equal (panda_peer_key_file_parse (text, len, seed, &err), PANDA_ERR_DECODE);
    if (!strstr (err.message, message))
        fail_msg ("`%s` lacks `%s`", err.message, message);
}

static void
test_peer_key_file (void **state)
{
    s_key_file_ok (S_KEY); //  as aquadoggo writes it
    s_key_file_ok (S_KEY "\n"); //  as `panda key new` and editors write it
    s_key_file_ok ("  " S_KEY " \r\n\n");
    s_key_file_ok ("799FAF7A1FA47C54FAC705F30D3C4D80C40EFB562DA19315FABEFCC995A228A1");
    s_key_file_fails ("", 0, "expected 64 hex characters, found 0");
    s_key_file_fails (" \n", 2, "expected 64 hex characters, found 0");
    s_key_file_fails (S_KEY, 62, "expected 64 hex characters, found 62");
    s_key_file_fails (S_KEY "00", 66, "expected 64 hex characters, found 66");
    s_key_file_fails (S_KEY "\nx", 66, "found 66"); //  only whitespace may follow
    s_key_file_fails ("0x" S_KEY, 66, "found 66");
    s_key_file_fails ("799faf7a1fa47c54fac705f30d3c4d80c40efb562da19315fabefcc995a228ag", 64,
                      "invalid hex digit at position 63");
    s_key_file_fails (" g99faf7a1fa47c54fac705f30d3c4d80c40efb562da19315fabefcc995a228a1", 65,
                      "invalid hex digit at position 1");
    s_key_file_fails ("799faf7a1fa47c54fac705f30d3c4d80c40efb562da19315 abefcc995a228a1", 63, "found 63");
    s_key_file_fails ("799faf7a1fa47c54fac705f30d3c4d80c40efb562da19315 abefcc995a228a1f", 64,
                      "invalid hex digit at position 48");
    panda_error_t err;
    assert_null (panda_peer_identity_new_from_key_file ("abc", 3, &err));
    assert_int_equal (err.code, PANDA_ERR_DECODE);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_peer_id_vector),
        cmocka_unit_test (test_peer_id_round_trip),
        cmocka_unit_test (test_peer_id_invalid),
        cmocka_unit_test (test_peer_key_file),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
