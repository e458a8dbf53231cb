/*  test_blake3.c - BLAKE3 against the official vectors and b3sum.          */
#include "panda_test.h"
#include "panda/panda_blake3.h"

#include <stdio.h>
#include <unistd.h>

//  Simplest use: one-shot 32-byte hash.
static void
test_blake3_one_shot (void **state)
{
    uint8_t out[PANDA_BLAKE3_OUT_SIZE];
    panda_blake3 (out, "", 0);
    char *hex = panda_test_hex (out, sizeof out);
    assert_string_equal (hex, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    free (hex);
}

static void
s_official_input (uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t) (i % 251);
}

//  Every official case, every mode, the full extended output, fed in one
//  piece and again in uneven pieces to exercise the streaming paths.
static void
test_blake3_official_vectors (void **state)
{
    json_t *root = panda_test_vectors ("blake3_official.json");
    const char *key = json_string_value (json_object_get (root, "key"));
    const char *context = json_string_value (json_object_get (root, "context_string"));
    assert_int_equal (strlen (key), PANDA_BLAKE3_KEY_SIZE);
    size_t index;
    json_t *c;
    int checked = 0;
    json_array_foreach (json_object_get (root, "cases"), index, c)
    {
        size_t len = (size_t) json_integer_value (json_object_get (c, "input_len"));
        uint8_t *input = malloc (len + 1);
        s_official_input (input, len);
        const char *modes[] = {"hash", "keyed_hash", "derive_key"};
        for (int m = 0; m < 3; m++) {
            const char *expected = json_string_value (json_object_get (c, modes[m]));
            size_t out_len = strlen (expected) / 2;
            for (int split = 0; split < 2; split++) {
                panda_blake3_t h;
                if (m == 0)
                    panda_blake3_init (&h);
                else if (m == 1)
                    panda_blake3_init_keyed (&h, (const uint8_t *) key);
                else
                    panda_blake3_init_derive_key (&h, context);
                if (split == 0)
                    panda_blake3_update (&h, input, len);
                else
                    for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 + 1)
                        panda_blake3_update (&h, input + off, step < len - off ? step : len - off);
                uint8_t *out = malloc (out_len);
                panda_blake3_final (&h, out, out_len);
                char *hex = panda_test_hex (out, out_len);
                if (strcmp (hex, expected) != 0)
                    fail_msg ("input_len=%zu mode=%s split=%d: got %s", len, modes[m], split, hex);
                free (hex);
                free (out);
                checked++;
            }
        }
        free (input);
    }
    assert_true (checked >= 6 * 35);
    json_decref (root);
}

//  Random inputs (lengths around chunk and tree boundaries) against b3sum.
static void
test_blake3_agrees_with_b3sum (void **state)
{
    char b3sum[64];
    if (panda_test_run ("command -v b3sum", NULL) != 0)
        fail_msg ("b3sum is not installed (apt-get install b3sum)");
    snprintf (b3sum, sizeof b3sum, "b3sum --no-names");
    uint64_t seed = 0x9e3779b97f4a7c15u;
    const size_t lengths[] = {0,    1,    63,   64,   65,   1023,  1024,   1025,
                              2048, 2049, 3072, 4097, 8193, 65536, 100003, 1 << 20};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        size_t len = lengths[i];
        uint8_t *input = malloc (len + 1);
        panda_test_random_bytes (&seed, input, len);
        char path[] = "/tmp/panda_b3_XXXXXX";
        int fd = mkstemp (path);
        assert_true (fd >= 0);
        assert_int_equal (write (fd, input, len), (ssize_t) len);
        close (fd);
        char command[256], *out = NULL;
        snprintf (command, sizeof command, "%s %s", b3sum, path);
        assert_int_equal (panda_test_run (command, &out), 0);
        uint8_t digest[PANDA_BLAKE3_OUT_SIZE];
        panda_blake3 (digest, input, len);
        char *hex = panda_test_hex (digest, sizeof digest);
        if (strncmp (out, hex, 64) != 0)
            fail_msg ("len=%zu: ours %s, b3sum %.64s", len, hex, out);
        free (hex);
        free (out);
        free (input);
        unlink (path);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_blake3_one_shot),
        cmocka_unit_test (test_blake3_official_vectors),
        cmocka_unit_test (test_blake3_agrees_with_b3sum),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
