/*  test_keypair.c - Ed25519 key pairs and public keys against keys.json.  */
#include "panda_test.h"
#include "panda/panda_keypair.h"

#include <sodium.h>

//  Simplest use: load a private key, sign, verify with its public key.
static void
test_keypair_sign_verify (void **state)
{
    const char *private_hex = "4e5a1a7c9b3d2f608e1c5b7a9d3f2e6c8b0a4d7f1e3c5a9b2d6f8e0c4a7b1d30";
    panda_keypair_t *keypair = panda_keypair_new_from_hex (private_hex, strlen (private_hex), NULL);
    assert_non_null (keypair);
    panda_public_key_t key = panda_keypair_public_key (keypair);
    uint8_t sig[PANDA_SIGNATURE_SIZE];
    panda_keypair_sign (keypair, (const uint8_t *) "p2panda", 7, sig);
    assert_int_equal (panda_public_key_verify (&key, (const uint8_t *) "p2panda", 7, sig, NULL), PANDA_OK);
    panda_error_t err;
    assert_int_equal (panda_public_key_verify (&key, (const uint8_t *) "p2pandA", 7, sig, &err),
                      PANDA_ERR_SIGNATURE);
    assert_string_equal (err.message, "signature invalid");
    panda_keypair_destroy (&keypair);
    assert_null (keypair);
    panda_keypair_destroy (&keypair); //  NULL is fine
}

static void
test_keypair_vectors (void **state)
{
    json_t *root = panda_test_vectors ("keys.json");
    const char *name;
    json_t *k;
    json_object_foreach (json_object_get (root, "keys"), name, k)
    {
        const char *private_hex = json_string_value (json_object_get (k, "private_key"));
        const char *public_hex = json_string_value (json_object_get (k, "public_key"));
        panda_keypair_t *keypair = panda_keypair_new_from_hex (private_hex, strlen (private_hex), NULL);
        assert_non_null (keypair);
        char hex[PANDA_PRIVATE_KEY_HEX_SIZE + 1];
        assert_string_equal (panda_keypair_private_key_hex (keypair, hex), private_hex);
        panda_public_key_t key = panda_keypair_public_key (keypair);
        assert_string_equal (panda_public_key_to_hex (&key, hex), public_hex);
        panda_public_key_t parsed;
        assert_int_equal (panda_public_key_from_hex (&parsed, public_hex, strlen (public_hex), NULL),
                          PANDA_OK);
        assert_true (panda_public_key_eq (&key, &parsed));
        //  Binary seed gives the same key pair.
        size_t len;
        uint8_t *seed = panda_test_unhex (private_hex, &len);
        panda_keypair_t *same = panda_keypair_new_from_private_key (seed);
        panda_public_key_t same_key = panda_keypair_public_key (same);
        assert_true (panda_public_key_eq (&key, &same_key));
        free (seed);
        panda_keypair_destroy (&same);
        panda_keypair_destroy (&keypair);
    }
    json_decref (root);
}

//  RFC 8032 test 1: known signature of the empty message.
static void
test_keypair_rfc8032 (void **state)
{
    const char *seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    panda_keypair_t *keypair = panda_keypair_new_from_hex (seed_hex, 64, NULL);
    assert_non_null (keypair);
    panda_public_key_t key = panda_keypair_public_key (keypair);
    char hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    assert_string_equal (panda_public_key_to_hex (&key, hex),
                         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    uint8_t sig[PANDA_SIGNATURE_SIZE];
    panda_keypair_sign (keypair, (const uint8_t *) "", 0, sig);
    char *sig_hex = panda_test_hex (sig, sizeof sig);
    assert_string_equal (sig_hex, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                                  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    free (sig_hex);
    panda_keypair_destroy (&keypair);
}

static void
test_keypair_random (void **state)
{
    panda_keypair_t *a = panda_keypair_new ();
    panda_keypair_t *b = panda_keypair_new ();
    assert_non_null (a);
    assert_non_null (b);
    panda_public_key_t ka = panda_keypair_public_key (a), kb = panda_keypair_public_key (b);
    assert_false (panda_public_key_eq (&ka, &kb));
    //  Re-created from its private key hex, it is the same key pair.
    char hex[PANDA_PRIVATE_KEY_HEX_SIZE + 1];
    panda_keypair_private_key_hex (a, hex);
    panda_keypair_t *again = panda_keypair_new_from_hex (hex, strlen (hex), NULL);
    panda_public_key_t kagain = panda_keypair_public_key (again);
    assert_true (panda_public_key_eq (&ka, &kagain));
    sodium_memzero (hex, sizeof hex);
    panda_keypair_destroy (&a);
    panda_keypair_destroy (&b);
    panda_keypair_destroy (&again);
}

static void
test_keypair_rejects_bad_private_keys (void **state)
{
    const char *cases[] = {
        "",
        "4e5a",
        "4e5a1a7c9b3d2f608e1c5b7a9d3f2e6c8b0a4d7f1e3c5a9b2d6f8e0c4a7b1d3", //  63 chars
        "4e5a1a7c9b3d2f608e1c5b7a9d3f2e6c8b0a4d7f1e3c5a9b2d6f8e0c4a7b1d30ff", //  66 chars
        "zz5a1a7c9b3d2f608e1c5b7a9d3f2e6c8b0a4d7f1e3c5a9b2d6f8e0c4a7b1d30",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        assert_null (panda_keypair_new_from_hex (cases[i], strlen (cases[i]), &err));
        assert_int_equal (err.code, PANDA_ERR_DECODE);
        assert_string_equal (err.message, "invalid private key: expected 64 hex characters");
    }
}

static void
test_public_key_rejects (void **state)
{
    struct {
        const char *hex, *message;
    } cases[] = {
        //  Not a point (invalid.json public_key_not_a_curve_point).
        {"0200000000000000000000000000000000000000000000000000000000000000", "invalid public key bytes"},
        //  Small order: the identity and the point of order 2 (y = -1).
        {"0100000000000000000000000000000000000000000000000000000000000000",
         "public key is a small-order or non-canonical point"},
        {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
         "public key is a small-order or non-canonical point"},
        {"b663bfef", "invalid public key length 4 bytes, expected 32 bytes"},
        {"B663BFEFD81E2DDF8E726928E31EC805A0CB7EAEEF9981B9E2CC5BF153DA98C5",
         "invalid hex encoding in public key string"},
        {"b663bfefd81e2ddf8e726928e31ec805a0cb7eaeef9981b9e2cc5bf153da98c",
         "invalid hex encoding in public key string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_public_key_t key;
        panda_error_t err;
        assert_int_not_equal (panda_public_key_from_hex (&key, cases[i].hex, strlen (cases[i].hex), &err),
                              PANDA_OK);
        assert_string_equal (err.message, cases[i].message);
    }
    uint8_t bytes[PANDA_PUBLIC_KEY_SIZE + 1] = {0};
    panda_public_key_t key;
    panda_error_t err;
    assert_int_equal (panda_public_key_from_bytes (&key, bytes, sizeof bytes, &err), PANDA_ERR_SIGNATURE);
    assert_string_equal (err.message, "invalid public key length 33 bytes, expected 32 bytes");
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_keypair_sign_verify),
        cmocka_unit_test (test_keypair_vectors),
        cmocka_unit_test (test_keypair_rfc8032),
        cmocka_unit_test (test_keypair_random),
        cmocka_unit_test (test_keypair_rejects_bad_private_keys),
        cmocka_unit_test (test_public_key_rejects),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
