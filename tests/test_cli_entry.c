/*  test_cli_entry.c - the `panda key` and `panda entry` commands, run as a
    user would run them, on the entries.json and invalid.json vectors.       */
#include "panda_test.h"
#include "panda/panda_keypair.h"

#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

//  Run `panda <args>` (stderr merged into the output when merge is true).
static int
s_panda (char **out, bool merge, const char *format, ...)
{
    char args[8192], command[9000];
    va_list ap;
    va_start (ap, format);
    vsnprintf (args, sizeof args, format, ap);
    va_end (ap);
    snprintf (command, sizeof command, "%s %s %s", panda_test_bin ("panda"), args,
              merge ? "2>&1" : "2>/dev/null");
    return panda_test_run (command, out);
}

//  A 0600 file holding private_hex, as `panda entry sign --key` wants it.
//  Returns its path in a static buffer (one at a time); remove with s_key_file_remove.
static const char *
s_key_file (const char *private_hex)
{
    static char path[64];
    snprintf (path, sizeof path, "/tmp/panda_test_sign_XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, private_hex, strlen (private_hex)), (ssize_t) strlen (private_hex));
    assert_int_equal (write (fd, "\n", 1), 1);
    close (fd);
    return path;
}

//  Simplest use: sign the first vector entry and decode it back.
static void
test_cli_sign_then_decode (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    json_t *v = json_array_get (json_object_get (root, "entries"), 0);
    char *out;
    const char *key = s_key_file (json_string_value (json_object_get (root, "private_key")));
    assert_int_equal (s_panda (&out, false, "entry sign --key %s --log-id 0 --seq-num 1 --operation %s", key,
                               json_string_value (json_object_get (v, "operation_hex"))),
                      0);
    unlink (key);
    out[strcspn (out, "\n")] = '\0';
    assert_string_equal (out, json_string_value (json_object_get (v, "entry_hex")));
    char *decoded;
    assert_int_equal (s_panda (&decoded, false, "entry decode %s", out), 0);
    json_t *object = json_loads (decoded, 0, NULL);
    assert_non_null (object);
    assert_string_equal (json_string_value (json_object_get (object, "hash")),
                         json_string_value (json_object_get (v, "entry_hash")));
    json_decref (object);
    free (decoded);
    free (out);
    json_decref (root);
}

static void
s_expect_string (json_t *object, const char *key, json_t *expected)
{
    json_t *got = json_object_get (object, key);
    assert_non_null (got);
    if (json_is_null (expected))
        assert_true (json_is_null (got));
    else if (json_is_integer (expected)) {
        char text[32];
        snprintf (text, sizeof text, "%lld", (long long) json_integer_value (expected));
        assert_string_equal (json_string_value (got), text);
    } else
        assert_string_equal (json_string_value (got), json_string_value (expected));
}

static void
test_cli_long_log (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    const char *key = s_key_file (json_string_value (json_object_get (root, "private_key")));
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (root, "entries"), i, v)
    {
        char links[300] = "";
        const char *backlink = json_string_value (json_object_get (v, "backlink"));
        const char *skiplink = json_string_value (json_object_get (v, "skiplink"));
        if (backlink)
            snprintf (links + strlen (links), sizeof links - strlen (links), " --backlink %s", backlink);
        if (skiplink)
            snprintf (links + strlen (links), sizeof links - strlen (links), " --skiplink %s", skiplink);
        char *out;
        assert_int_equal (s_panda (&out, false,
                                   "entry sign --key %s --log-id %s --seq-num %s --operation %s%s", key,
                                   json_string_value (json_object_get (v, "log_id")),
                                   json_string_value (json_object_get (v, "seq_num")),
                                   json_string_value (json_object_get (v, "operation_hex")), links),
                          0);
        const char *entry_hex = json_string_value (json_object_get (v, "entry_hex"));
        assert_int_equal (strncmp (out, entry_hex, strlen (entry_hex)), 0);
        assert_string_equal (out + strlen (entry_hex), "\n");
        free (out);
        assert_int_equal (s_panda (&out, false, "entry decode %s", entry_hex), 0);
        json_t *object = json_loads (out, 0, NULL);
        assert_non_null (object);
        assert_int_equal (json_object_size (object), 9);
        s_expect_string (object, "publicKey", json_object_get (v, "public_key"));
        s_expect_string (object, "logId", json_object_get (v, "log_id"));
        s_expect_string (object, "seqNum", json_object_get (v, "seq_num"));
        s_expect_string (object, "backlink", json_object_get (v, "backlink"));
        s_expect_string (object, "skiplink", json_object_get (v, "skiplink"));
        s_expect_string (object, "payloadSize", json_object_get (v, "payload_size"));
        s_expect_string (object, "payloadHash", json_object_get (v, "payload_hash"));
        s_expect_string (object, "signature", json_object_get (v, "signature"));
        s_expect_string (object, "hash", json_object_get (v, "entry_hash"));
        json_decref (object);
        free (out);
    }
    unlink (key);
    json_decref (root);
}

//  Bad input: exit status 1 and exactly one line "panda: <message>".
static void
s_expect_failure (const char *expected_message, const char *format, const char *arg)
{
    char *out;
    assert_int_equal (s_panda (&out, true, format, arg), 1);
    if (expected_message) {
        char expected[1200];
        snprintf (expected, sizeof expected, "panda: %s\n", expected_message);
        assert_string_equal (out, expected);
    }
    assert_int_equal (strncmp (out, "panda: ", 7), 0);
    assert_non_null (strchr (out, '\n'));
    assert_string_equal (strchr (out, '\n'), "\n");
    free (out);
}

static void
test_cli_decode_rejects_invalid (void **state)
{
    json_t *root = panda_test_vectors ("invalid.json");
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (root, "entry_decode"), i, v)
    {
        s_expect_failure (json_string_value (json_object_get (v, "reference_error")), "entry decode '%s'",
                          json_string_value (json_object_get (v, "entry_hex")));
    }
    json_decref (root);
    s_expect_failure ("invalid hex encoding in entry", "entry decode %s", "0");
    s_expect_failure ("invalid hex encoding in entry", "entry decode %s", "zz");
    s_expect_failure (NULL, "entry %s", "decode");
    s_expect_failure (NULL, "entry %s", "frobnicate");
}

static void
test_cli_sign_rejects_bad_input (void **state)
{
    const char *key = s_key_file ("4e5a1a7c9b3d2f608e1c5b7a9d3f2e6c8b0a4d7f1e3c5a9b2d6f8e0c4a7b1d30");
    char args[512];
    struct {
        const char *args, *message;
    } cases[] = {
        {"--log-id 0 --seq-num 1 --operation 84", NULL},
        {"--key %s --log-id -1 --seq-num 1 --operation 84", "--log-id: not an unsigned 64-bit integer: -1"},
        {"--key %s --log-id 0 --seq-num 18446744073709551616 --operation 84",
         "--seq-num: not an unsigned 64-bit integer: 18446744073709551616"},
        {"--key %s --log-id 0 --seq-num 1 --operation 8", "--operation: invalid hex"},
        {"--key %s --log-id 0 --seq-num 2 --operation 84", "seq num 2 needs a backlink"},
        {"--key %s --log-id 0 --seq-num 0 --operation 84", "seq num must be at least 1"},
        {"--key %s --log-id 0 --seq-num 2 --operation 84 --backlink 0020",
         "--backlink: invalid hash length 2 bytes, expected 34 bytes"},
        {"--key %s --log-id 0 --seq-num 1 --operation 84 --log-id 1", NULL},
        {"--key %s --log-id 0 --seq-num 1 --operation", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf (args, sizeof args, cases[i].args, key);
        s_expect_failure (cases[i].message, "entry sign %s", args);
    }
    //  The private key never comes from the command line.
    snprintf (args, sizeof args, "entry sign --private-key %s --log-id 0 --seq-num 1 --operation 84",
              "4e5a1a7c9b3d2f608e1c5b7a9d3f2e6c8b0a4d7f1e3c5a9b2d6f8e0c4a7b1d30");
    s_expect_failure (NULL, "%s", args);
    //  A key file that others can read, or that holds no key, is refused.
    char expected[512];
    assert_int_equal (chmod (key, 0644), 0);
    snprintf (expected, sizeof expected, "key file %s can be read by others (mode 0644): run chmod 600 %s",
              key, key);
    s_expect_failure (expected, "entry sign --key %s --log-id 0 --seq-num 1 --operation 84", key);
    unlink (key);
    key = s_key_file ("abcd");
    snprintf (expected, sizeof expected, "key file %s: invalid private key: expected 64 hex characters", key);
    s_expect_failure (expected, "entry sign --key %s --log-id 0 --seq-num 1 --operation 84", key);
    unlink (key);
    snprintf (expected, sizeof expected, "key file %s: No such file or directory", key);
    s_expect_failure (expected, "entry sign --key %s --log-id 0 --seq-num 1 --operation 84", key);
}

static void
test_cli_key_new (void **state)
{
    char dir[] = "/tmp/panda_test_key_XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path[256];
    snprintf (path, sizeof path, "%s/author.key", dir);
    char *out;
    assert_int_equal (s_panda (&out, false, "key new %s", path), 0);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    FILE *f = fopen (path, "r");
    char private_hex[80] = "";
    assert_non_null (fgets (private_hex, sizeof private_hex, f));
    fclose (f);
    assert_int_equal (strlen (private_hex), 65);
    assert_int_equal (private_hex[64], '\n');
    //  stdout is the public key of the private key in the file.
    panda_keypair_t *keypair = panda_keypair_new_from_hex (private_hex, 64, NULL);
    assert_non_null (keypair);
    panda_public_key_t key = panda_keypair_public_key (keypair);
    char public_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 2];
    panda_public_key_to_hex (&key, public_hex);
    strcat (public_hex, "\n");
    assert_string_equal (out, public_hex);
    panda_keypair_destroy (&keypair);
    free (out);
    //  An existing file is never overwritten.
    s_expect_failure (NULL, "key new %s", path);
    //  key public prints the same public key from the file.
    assert_int_equal (s_panda (&out, false, "key public %s", path), 0);
    assert_string_equal (out, public_hex);
    free (out);
    unlink (path);
    rmdir (dir);
    //  A private key never goes to stdout: FILE is required.
    s_expect_failure ("usage: panda key new FILE | panda key public FILE", "key %s", "new");
    s_expect_failure ("usage: panda key new FILE | panda key public FILE", "key %s", "old");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_cli_sign_then_decode),
        cmocka_unit_test (test_cli_long_log),
        cmocka_unit_test (test_cli_decode_rejects_invalid),
        cmocka_unit_test (test_cli_sign_rejects_bad_input),
        cmocka_unit_test (test_cli_key_new),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
