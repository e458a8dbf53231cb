/*  test_log_writer.c - the log writer re-signs entries.json's 40-entry log
    byte for byte (links and skiplinks come out right without being given). */
#include "panda_test.h"
#include "panda/panda_log_writer.h"

static void
test_log_writer_vectors (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    const char *secret = json_string_value (json_object_get (root, "private_key"));
    panda_keypair_t *keypair = panda_keypair_new_from_hex (secret, strlen (secret), NULL);
    assert_non_null (keypair);
    panda_log_writer_t *writer = panda_log_writer_new (keypair, 0);
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get (root, "entries"), i, e)
    {
        //  The writer's next args must be what the vector's entry used.
        panda_entry_args_t args;
        panda_log_writer_next_args (writer, &args);
        assert_int_equal (args.seq_num, i + 1);
        json_t *backlink = json_object_get (e, "backlink"), *skiplink = json_object_get (e, "skiplink");
        assert_int_equal (args.has_backlink, json_is_string (backlink));
        assert_int_equal (args.has_skiplink, json_is_string (skiplink));
        char hex[PANDA_HASH_HEX_SIZE + 1];
        if (args.has_skiplink)
            assert_string_equal (panda_hash_to_hex (&args.skiplink, hex), json_string_value (skiplink));
        size_t len;
        uint8_t *op = panda_test_unhex (json_string_value (json_object_get (e, "operation_hex")), &len);
        panda_error_t err;
        panda_entry_t *entry = panda_log_writer_sign (writer, op, len, &err);
        assert_non_null (entry);
        size_t n;
        const uint8_t *bytes = panda_entry_bytes (entry, &n);
        char *got = panda_test_hex (bytes, n);
        assert_string_equal (got, json_string_value (json_object_get (e, "entry_hex")));
        assert_string_equal (panda_hash_to_hex (panda_log_writer_hash (writer, i + 1), hex),
                             json_string_value (json_object_get (e, "entry_hash")));
        free (got);
        free (op);
        panda_entry_destroy (&entry);
    }
    assert_null (panda_log_writer_hash (writer, 41));
    assert_null (panda_log_writer_hash (writer, 0));
    panda_log_writer_destroy (&writer);
    panda_keypair_destroy (&keypair);
    json_decref (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_log_writer_vectors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
