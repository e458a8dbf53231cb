/*  test_entry.c - Bamboo entries against entries.json, invalid.json,
    quirks.json and publish_sequence.json (made with p2panda-js 0.8.1).      */
#include "panda_test.h"
#include "panda/panda_entry.h"
#include "panda/panda_lipmaa.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <sodium.h>

static uint64_t
s_u64 (json_t *value)
{
    if (json_is_integer (value))
        return (uint64_t) json_integer_value (value);
    errno = 0;
    uint64_t n = strtoull (json_string_value (value), NULL, 10);
    assert_int_equal (errno, 0);
    return n;
}

static const char *
s_str (json_t *object, const char *key)
{
    const char *s = json_string_value (json_object_get (object, key));
    assert_non_null (s);
    return s;
}

//  NULL for JSON null, else the parsed hash in *hash.
static const panda_hash_t *
s_hash_or_null (json_t *value, panda_hash_t *hash)
{
    if (!value || json_is_null (value))
        return NULL;
    const char *hex = json_string_value (value);
    assert_int_equal (panda_hash_from_hex (hash, hex, strlen (hex), NULL), PANDA_OK);
    return hash;
}

static void
s_assert_hash (const panda_hash_t *hash, const char *expected_hex)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    assert_non_null (hash);
    assert_string_equal (panda_hash_to_hex (hash, hex), expected_hex);
}

static panda_keypair_t *
s_keypair (const char *private_hex)
{
    panda_keypair_t *keypair = panda_keypair_new_from_hex (private_hex, strlen (private_hex), NULL);
    assert_non_null (keypair);
    return keypair;
}

//  Decode + verify hex; returns the entry (caller destroys) or NULL with err.
static panda_entry_t *
s_decode_hex (const char *hex, panda_error_t *err)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (hex, &len);
    panda_entry_t *entry = NULL;
    panda_err_t rc = panda_entry_decode_verified (&entry, bytes, len, err);
    free (bytes);
    assert_true ((rc == PANDA_OK) == (entry != NULL));
    return entry;
}

//  Simplest use: sign an operation into an entry, decode and verify it.
static void
test_entry_sign_and_decode (void **state)
{
    panda_keypair_t *keypair = panda_keypair_new ();
    const uint8_t operation[] = {0x84, 0x01, 0x00};
    panda_error_t err;
    panda_entry_t *entry =
        panda_entry_new_signed (keypair, 0, 1, NULL, NULL, operation, sizeof operation, &err);
    assert_non_null (entry);
    size_t len;
    const uint8_t *bytes = panda_entry_bytes (entry, &len);
    assert_int_equal (len, PANDA_ENTRY_MIN_SIZE);
    panda_entry_t *decoded = NULL;
    assert_int_equal (panda_entry_decode_verified (&decoded, bytes, len, &err), PANDA_OK);
    assert_true (panda_hash_eq (panda_entry_hash (entry), panda_entry_hash (decoded)));
    assert_int_equal (panda_entry_check_payload (decoded, operation, sizeof operation, &err), PANDA_OK);
    panda_entry_destroy (&decoded);
    panda_entry_destroy (&entry);
    assert_null (entry);
    panda_keypair_destroy (&keypair);
}

//  Every field of a decoded entry against a vector object with entry_layout.
static void
s_check_fields (const panda_entry_t *entry, json_t *v)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_public_key_t key = panda_entry_public_key (entry);
    size_t len;
    const uint8_t *bytes = panda_entry_bytes (entry, &len);
    char *all = panda_test_hex (bytes, len);
    assert_string_equal (all, s_str (v, "entry_hex"));
    free (all);
    s_assert_hash (panda_entry_hash (entry), s_str (v, "entry_hash"));
    size_t i;
    json_t *field;
    json_array_foreach (json_object_get (v, "entry_layout"), i, field)
    {
        const char *name = s_str (field, "field");
        const char *field_hex = s_str (field, "hex");
        size_t offset = (size_t) json_integer_value (json_object_get (field, "offset"));
        size_t length = (size_t) json_integer_value (json_object_get (field, "length"));
        char *raw = panda_test_hex (bytes + offset, length);
        assert_string_equal (raw, field_hex); //  layout offsets are where we keep the bytes
        free (raw);
        if (strcmp (name, "public_key") == 0)
            assert_string_equal (panda_public_key_to_hex (&key, hex), field_hex);
        else if (strcmp (name, "log_id") == 0)
            assert_true (panda_entry_log_id (entry) == s_u64 (json_object_get (field, "value")));
        else if (strcmp (name, "seq_num") == 0)
            assert_true (panda_entry_seq_num (entry) == s_u64 (json_object_get (field, "value")));
        else if (strcmp (name, "skiplink") == 0)
            s_assert_hash (panda_entry_skiplink (entry), field_hex);
        else if (strcmp (name, "backlink") == 0)
            s_assert_hash (panda_entry_backlink (entry), field_hex);
        else if (strcmp (name, "payload_size") == 0)
            assert_true (panda_entry_payload_size (entry) == s_u64 (json_object_get (field, "value")));
        else if (strcmp (name, "payload_hash") == 0)
            s_assert_hash (panda_entry_payload_hash (entry), field_hex);
        else if (strcmp (name, "signature") == 0) {
            char *sig = panda_test_hex (panda_entry_signature (entry), PANDA_SIGNATURE_SIZE);
            assert_string_equal (sig, field_hex);
            free (sig);
        }
    }
    assert_true (i >= 7);
}

//  Sign from the vector's fields (with key), compare bytes, decode, check all.
static void
s_check_vector_entry (const panda_keypair_t *keypair, json_t *v)
{
    panda_hash_t backlink, skiplink;
    const panda_hash_t *bl = s_hash_or_null (json_object_get (v, "backlink"), &backlink);
    const panda_hash_t *sl = s_hash_or_null (json_object_get (v, "skiplink"), &skiplink);
    size_t op_len;
    uint8_t *operation = panda_test_unhex (s_str (v, "operation_hex"), &op_len);
    uint64_t log_id = s_u64 (json_object_get (v, "log_id")), seq_num = s_u64 (json_object_get (v, "seq_num"));
    panda_error_t err;
    panda_entry_t *signed_entry =
        panda_entry_new_signed (keypair, log_id, seq_num, bl, sl, operation, op_len, &err);
    assert_non_null (signed_entry);
    s_check_fields (signed_entry, v);
    panda_entry_t *entry = s_decode_hex (s_str (v, "entry_hex"), &err);
    assert_non_null (entry);
    s_check_fields (entry, v);
    assert_true ((panda_entry_backlink (entry) == NULL) == (bl == NULL));
    assert_true ((panda_entry_skiplink (entry) == NULL) == (sl == NULL));
    assert_int_equal (panda_entry_check_payload (entry, operation, op_len, &err), PANDA_OK);
    free (operation);
    panda_entry_destroy (&entry);
    panda_entry_destroy (&signed_entry);
}

static void
test_entry_long_log (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    panda_keypair_t *keypair = s_keypair (s_str (root, "private_key"));
    json_t *entries = json_object_get (root, "entries");
    assert_int_equal (json_array_size (entries), 40);
    size_t i;
    json_t *v;
    json_array_foreach (entries, i, v)
    {
        s_check_vector_entry (keypair, v);
        assert_int_equal (json_integer_value (json_object_get (v, "entry_size")),
                          strlen (s_str (v, "entry_hex")) / 2);
        //  Links and lipmaa as stated, links point at the right entries.
        uint64_t seq = s_u64 (json_object_get (v, "seq_num"));
        assert_int_equal (panda_lipmaa_skiplink_required (seq),
                          json_is_true (json_object_get (v, "skiplink_required")));
        if (seq > 1)
            assert_string_equal (s_str (v, "backlink"),
                                 s_str (json_array_get (entries, seq - 2), "entry_hash"));
        if (panda_lipmaa_skiplink_required (seq))
            assert_string_equal (s_str (v, "skiplink"),
                                 s_str (json_array_get (entries, panda_lipmaa (seq) - 1), "entry_hash"));
        const char *signed_hex = s_str (v, "signed_bytes_hex");
        assert_int_equal (strncmp (signed_hex, s_str (v, "entry_hex"), strlen (signed_hex)), 0);
    }
    panda_keypair_destroy (&keypair);
    json_decref (root);
}

static void
test_entry_decode_only_and_fixtures (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    panda_keypair_t *panda = s_keypair (s_str (root, "private_key"));
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (json_object_get (root, "decode_only_entries"), "entries"), i, v)
    {
        s_check_vector_entry (panda, v);
        uint64_t seq = s_u64 (json_object_get (v, "seq_num"));
        assert_true (panda_lipmaa (seq) == s_u64 (json_object_get (v, "lipmaa_seq_num")));
    }
    assert_true (i >= 2);
    json_array_foreach (json_object_get (json_object_get (root, "p2panda_rs_fixtures"), "fixtures"), i, v)
    {
        panda_keypair_t *keypair = s_keypair (s_str (v, "private_key"));
        panda_public_key_t key = panda_keypair_public_key (keypair);
        char hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
        assert_string_equal (panda_public_key_to_hex (&key, hex), s_str (v, "public_key"));
        //  Fixtures carry their fields only in entry_layout.
        json_t *fields = json_object ();
        size_t j;
        json_t *field;
        json_array_foreach (json_object_get (v, "entry_layout"), j, field)
        {
            json_t *value = json_object_get (field, "value");
            json_object_set (fields, s_str (field, "field"), value ? value : json_object_get (field, "hex"));
        }
        json_object_set (v, "log_id", json_object_get (fields, "log_id"));
        json_object_set (v, "seq_num", json_object_get (fields, "seq_num"));
        json_object_set (v, "backlink", json_object_get (fields, "backlink"));
        json_object_set (v, "skiplink", json_object_get (fields, "skiplink"));
        json_decref (fields);
        s_check_vector_entry (keypair, v);
        panda_keypair_destroy (&keypair);
    }
    assert_true (i >= 2);
    panda_keypair_destroy (&panda);
    json_decref (root);
}

//  Where we are stricter than the reference (tag byte, small-order keys and
//  YASMF length bytes) no reference message exists; ours are listed here.
static void
test_entry_invalid_vectors (void **state)
{
    json_t *root = panda_test_vectors ("invalid.json");
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (root, "entry_decode"), i, v)
    {
        panda_error_t err;
        panda_entry_t *entry = s_decode_hex (s_str (v, "entry_hex"), &err);
        assert_null (entry);
        if (strcmp (err.message, s_str (v, "reference_error")) != 0)
            fail_msg ("%s: got '%s', expected '%s'", s_str (v, "name"), err.message,
                      s_str (v, "reference_error"));
    }
    assert_true (i >= 20);
    json_decref (root);
}

static void
test_entry_quirks (void **state)
{
    json_t *root = panda_test_vectors ("quirks.json");
    struct {
        const char *name, *message;
    } strict[] = {
        {"tag_byte_01", "entry tag byte is 0x01, must be 0x00 (end-of-log entries are not accepted)"},
        {"tag_byte_ff", "entry tag byte is 0xff, must be 0x00 (end-of-log entries are not accepted)"},
        {"payload_hash_length_byte_0x21",
         "Could not decode payload hash (YASMF digest length byte is 0x21, must be 0x20)"},
        {"backlink_length_byte_00",
         "Could not decode backlink yamf hash: (YASMF digest length byte is 0x00, must be 0x20)"},
        {"small_order_public_key_trivial_signature",
         "author public key is a small-order or non-canonical point"},
    };
    size_t i, rejected = 0, accepted = 0;
    json_t *v;
    json_array_foreach (json_object_get (root, "entry"), i, v)
    {
        const char *name = s_str (v, "name");
        panda_error_t err;
        panda_entry_t *entry = s_decode_hex (s_str (v, "entry_hex"), &err);
        const char *message = NULL;
        for (size_t j = 0; j < sizeof strict / sizeof strict[0]; j++)
            if (strcmp (name, strict[j].name) == 0)
                message = strict[j].message;
        if (message) {
            assert_null (entry);
            if (strcmp (err.message, message) != 0)
                fail_msg ("%s: got '%s'", name, err.message);
            rejected++;
            continue;
        }
        //  The canonical ones decode exactly as the reference reads them.
        if (!entry)
            fail_msg ("%s: %s", name, err.message);
        json_t *want = json_object_get (v, "reference_decodes_to");
        char hex[PANDA_HASH_HEX_SIZE + 1];
        panda_public_key_t key = panda_entry_public_key (entry);
        assert_string_equal (panda_public_key_to_hex (&key, hex), s_str (want, "publicKey"));
        assert_true (panda_entry_log_id (entry) == s_u64 (json_object_get (want, "logId")));
        assert_true (panda_entry_seq_num (entry) == s_u64 (json_object_get (want, "seqNum")));
        assert_true (panda_entry_payload_size (entry) == s_u64 (json_object_get (want, "payloadSize")));
        s_assert_hash (panda_entry_payload_hash (entry), s_str (want, "payloadHash"));
        panda_hash_t h;
        const panda_hash_t *bl = s_hash_or_null (json_object_get (want, "backlink"), &h);
        if (bl)
            assert_true (panda_hash_eq (bl, panda_entry_backlink (entry)));
        else
            assert_null (panda_entry_backlink (entry));
        const panda_hash_t *sl = s_hash_or_null (json_object_get (want, "skiplink"), &h);
        if (sl)
            assert_true (panda_hash_eq (sl, panda_entry_skiplink (entry)));
        else
            assert_null (panda_entry_skiplink (entry));
        //  seq 2^64 - 1 decodes, but has no next seq num (§9 step 13).
        if (strcmp (name, "seq_num_u64_max") == 0) {
            assert_int_equal (panda_entry_check_next_seq_num (entry, &err), PANDA_ERR_INVALID);
            assert_string_equal (err.message,
                                 "Max sequence number reached for public key "
                                 "b663bfefd81e2ddf8e726928e31ec805a0cb7eaeef9981b9e2cc5bf153da98c5 log 0");
        } else
            assert_int_equal (panda_entry_check_next_seq_num (entry, &err), PANDA_OK);
        panda_entry_destroy (&entry);
        accepted++;
    }
    assert_int_equal (rejected, sizeof strict / sizeof strict[0]);
    assert_true (accepted >= 3);
    json_decref (root);
}

//  A tiny in-memory store of published entries: what a node's storage
//  would answer for the pure §9 checks.
#define S_STORE_MAX 256

typedef struct {
    panda_public_key_t key;
    uint64_t log_id;
    uint64_t seq_num;
    panda_hash_t hash;
    panda_hash_t document_id;
} s_stored_t;

typedef struct {
    s_stored_t items[S_STORE_MAX];
    size_t size;
} s_store_t;

static const s_stored_t *
s_store_find (const s_store_t *store, const panda_public_key_t *key, uint64_t log_id, uint64_t seq_num)
{
    for (size_t i = 0; i < store->size; i++)
        if (panda_public_key_eq (&store->items[i].key, key) && store->items[i].log_id == log_id &&
            store->items[i].seq_num == seq_num)
            return &store->items[i];
    return NULL;
}

static uint64_t
s_store_latest (const s_store_t *store, const panda_public_key_t *key, uint64_t log_id)
{
    uint64_t latest = 0;
    for (size_t i = 0; i < store->size; i++)
        if (panda_public_key_eq (&store->items[i].key, key) && store->items[i].log_id == log_id &&
            store->items[i].seq_num > latest)
            latest = store->items[i].seq_num;
    return latest;
}

//  The author's log for a document, if any.
static const s_stored_t *
s_store_log_of (const s_store_t *store, const panda_public_key_t *key, const panda_hash_t *document_id)
{
    for (size_t i = 0; i < store->size; i++)
        if (panda_public_key_eq (&store->items[i].key, key) &&
            panda_hash_eq (&store->items[i].document_id, document_id))
            return &store->items[i];
    return NULL;
}

typedef struct {
    const s_store_t *store;
    panda_public_key_t key;
    uint64_t log_id;
} s_lookup_ctx_t;

static panda_err_t
s_lookup (void *ctx_, uint64_t seq_num, panda_hash_t *hash, panda_error_t *err)
{
    s_lookup_ctx_t *ctx = (s_lookup_ctx_t *) ctx_;
    const s_stored_t *found = s_store_find (ctx->store, &ctx->key, ctx->log_id, seq_num);
    if (!found)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND, "no entry at seq num %" PRIu64, seq_num);
    *hash = found->hash;
    return PANDA_OK;
}

//  §9 steps 4-8, 12 and 13 for one (entry, operation, document id): the
//  checks that need no operation decoding. Returns the entry on success.
static panda_entry_t *
s_publish_pure (const s_store_t *store, const char *entry_hex, const char *operation_hex,
                const panda_hash_t *document_id, panda_error_t *err)
{
    panda_entry_t *entry = s_decode_hex (entry_hex, err);
    if (!entry)
        return NULL;
    panda_public_key_t key = panda_entry_public_key (entry);
    uint64_t log_id = panda_entry_log_id (entry), seq = panda_entry_seq_num (entry);
    size_t op_len;
    uint8_t *operation = panda_test_unhex (operation_hex, &op_len);
    const s_stored_t *back = seq > 1 ? s_store_find (store, &key, log_id, seq - 1) : NULL;
    const s_stored_t *skip = s_store_find (store, &key, log_id, panda_lipmaa (seq));
    const s_stored_t *log = s_store_log_of (store, &key, document_id);
    panda_err_t rc = panda_entry_check_seq_num (entry, s_store_latest (store, &key, log_id), err);
    if (rc == PANDA_OK)
        rc = panda_entry_check_payload (entry, operation, op_len, err);
    if (rc == PANDA_OK)
        rc = panda_entry_check_links (entry, back ? &back->hash : NULL, skip ? &skip->hash : NULL, err);
    if (rc == PANDA_OK)
        rc = panda_entry_check_log_id (entry, document_id, log ? &log->log_id : NULL,
                                       s_store_latest (store, &key, log_id) > 0, err);
    if (rc == PANDA_OK)
        rc = panda_entry_check_next_seq_num (entry, err);
    free (operation);
    if (rc != PANDA_OK)
        panda_entry_destroy (&entry);
    return entry;
}

static void
s_store_add (s_store_t *store, const panda_entry_t *entry, const panda_hash_t *document_id)
{
    assert_true (store->size < S_STORE_MAX);
    s_stored_t *item = &store->items[store->size++];
    item->key = panda_entry_public_key (entry);
    item->log_id = panda_entry_log_id (entry);
    item->seq_num = panda_entry_seq_num (entry);
    item->hash = *panda_entry_hash (entry);
    item->document_id = *document_id;
}

//  Replays publish_sequence.json into the store: every entry passes the
//  pure checks and the next args after each match the reference.
static void
s_replay (s_store_t *store, json_t *sequence)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (sequence, "entries"), i, v)
    {
        panda_hash_t document_id;
        s_hash_or_null (json_object_get (v, "document_id"), &document_id);
        panda_error_t err;
        panda_entry_t *entry =
            s_publish_pure (store, s_str (v, "entry_hex"), s_str (v, "operation_hex"), &document_id, &err);
        if (!entry)
            fail_msg ("%s: %s", s_str (v, "label"), err.message);
        s_assert_hash (panda_entry_hash (entry), s_str (v, "operation_id"));
        s_store_add (store, entry, &document_id);
        s_lookup_ctx_t ctx = {store, panda_entry_public_key (entry), panda_entry_log_id (entry)};
        panda_entry_args_t args;
        assert_int_equal (panda_entry_next_args (&args, &ctx.key, ctx.log_id, panda_entry_seq_num (entry),
                                                 panda_entry_hash (entry), s_lookup, &ctx, &err),
                          PANDA_OK);
        json_t *want = json_object_get (v, "next_args_after");
        assert_true (args.log_id == s_u64 (json_object_get (want, "log_id")));
        assert_true (args.seq_num == s_u64 (json_object_get (want, "seq_num")));
        panda_hash_t h;
        const panda_hash_t *bl = s_hash_or_null (json_object_get (want, "backlink"), &h);
        assert_true (args.has_backlink && bl && panda_hash_eq (&args.backlink, bl));
        const panda_hash_t *sl = s_hash_or_null (json_object_get (want, "skiplink"), &h);
        assert_int_equal (args.has_skiplink, sl != NULL);
        if (sl)
            assert_true (panda_hash_eq (&args.skiplink, sl));
        panda_entry_destroy (&entry);
    }
    assert_int_equal (store->size, 89);
}

static void
test_entry_publish_sequence (void **state)
{
    json_t *sequence = panda_test_vectors ("publish_sequence.json");
    s_store_t *store = (s_store_t *) calloc (1, sizeof *store);
    s_replay (store, sequence);
    //  Next args for a new log: seq 1, no links, no lookup.
    panda_entry_args_t args;
    panda_public_key_t key = store->items[0].key;
    assert_int_equal (panda_entry_next_args (&args, &key, 19, 0, NULL, s_lookup, NULL, NULL), PANDA_OK);
    assert_true (args.log_id == 19 && args.seq_num == 1 && !args.has_backlink && !args.has_skiplink);
    free (store);
    json_decref (sequence);
}

//  The document an UPDATE/DELETE vector operation belongs to: its single
//  `previous` id (CBOR 81 58 22 <34 bytes>) looked up in the store.
static const panda_hash_t *
s_document_of (const s_store_t *store, const char *operation_hex)
{
    const char *previous = strstr (operation_hex, "8158220020");
    assert_non_null (previous);
    panda_hash_t id;
    assert_int_equal (panda_hash_from_hex (&id, previous + 6, PANDA_HASH_HEX_SIZE, NULL), PANDA_OK);
    for (size_t i = 0; i < store->size; i++)
        if (panda_hash_eq (&store->items[i].hash, &id))
            return &store->items[i].document_id;
    fail_msg ("previous operation not in the store");
    return NULL;
}

static void
test_entry_publish_invalid (void **state)
{
    json_t *sequence = panda_test_vectors ("publish_sequence.json");
    json_t *root = panda_test_vectors ("invalid.json");
    s_store_t *store = (s_store_t *) calloc (1, sizeof *store);
    s_replay (store, sequence);
    //  The publish cases decided by the entry alone (steps 5, 7, 8, 12).
    const char *pure[] = {"seq_num_gap",
                          "fork_same_seq_num",
                          "wrong_backlink",
                          "wrong_skiplink",
                          "skiplink_into_other_log",
                          "payload_hash_mismatch",
                          "payload_size_mismatch",
                          "second_log_for_same_document",
                          "document_in_foreign_log",
                          "first_contribution_in_used_log",
                          "create_in_used_log",
                          "new_log_starting_at_seq_2"};
    size_t checked = 0, i;
    json_t *v;
    json_array_foreach (json_object_get (root, "publish"), i, v)
    {
        bool is_pure = false;
        for (size_t j = 0; j < sizeof pure / sizeof pure[0]; j++)
            is_pure |= strcmp (s_str (v, "name"), pure[j]) == 0;
        if (!is_pure)
            continue;
        const char *operation_hex = s_str (v, "operation_hex");
        panda_hash_t create_id;
        const panda_hash_t *document_id = strncmp (operation_hex, "840100", 6) == 0
                                              ? s_hash_or_null (json_object_get (v, "entry_hash"), &create_id)
                                              : s_document_of (store, operation_hex);
        panda_error_t err;
        panda_entry_t *entry =
            s_publish_pure (store, s_str (v, "entry_hex"), operation_hex, document_id, &err);
        assert_null (entry);
        if (strcmp (err.message, s_str (v, "expected_error")) != 0)
            fail_msg ("%s: got '%s', expected '%s'", s_str (v, "name"), err.message,
                      s_str (v, "expected_error"));
        checked++;
    }
    assert_int_equal (checked, sizeof pure / sizeof pure[0]);
    free (store);
    json_decref (root);
    json_decref (sequence);
}

//  Every prefix and every single-bit flip of valid entries fails cleanly.
static void
test_entry_truncation_and_bit_flips (void **state)
{
    json_t *root = panda_test_vectors ("entries.json");
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (root, "entries"), i, v)
    {
        size_t len;
        uint8_t *bytes = panda_test_unhex (s_str (v, "entry_hex"), &len);
        panda_entry_t *entry = NULL;
        panda_error_t err;
        for (size_t cut = 0; cut < len; cut++) {
            //  Exact-size copies so ASan catches any read past the end.
            uint8_t *prefix = malloc (cut ? cut : 1);
            memcpy (prefix, bytes, cut);
            assert_int_not_equal (panda_entry_decode (&entry, prefix, cut, &err), PANDA_OK);
            assert_null (entry);
            assert_true (strlen (err.message) > 0);
            free (prefix);
        }
        for (size_t bit = 0; bit < 8 * len; bit++) {
            bytes[bit / 8] ^= (uint8_t) (1u << (bit % 8));
            assert_int_not_equal (panda_entry_decode_verified (&entry, bytes, len, &err), PANDA_OK);
            assert_null (entry);
            bytes[bit / 8] ^= (uint8_t) (1u << (bit % 8));
        }
        assert_int_equal (panda_entry_decode_verified (&entry, bytes, len, NULL), PANDA_OK);
        panda_entry_destroy (&entry);
        free (bytes);
    }
    json_decref (root);
}

static void
test_entry_sign_rejects_bad_links (void **state)
{
    panda_keypair_t *keypair = panda_keypair_new ();
    panda_hash_t a, b;
    panda_hash_compute (&a, "a", 1);
    panda_hash_compute (&b, "b", 1);
    const uint8_t op[] = {0x84};
    struct {
        uint64_t seq;
        const panda_hash_t *backlink, *skiplink;
        const char *message;
    } cases[] = {
        {0, NULL, NULL, "seq num must be at least 1"},
        {1, &a, NULL, "an entry at seq num 1 has no backlink or skiplink"},
        {2, NULL, NULL, "seq num 2 needs a backlink"},
        {4, &a, NULL, "seq num 4 needs a skiplink to seq num 1"},
        {4, &a, &a, "backlink and skiplink are identical"},
        {5, &a, &b, "seq num 5 has no skiplink (lipmaa is the backlink)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        assert_null (panda_entry_new_signed (keypair, 0, cases[i].seq, cases[i].backlink, cases[i].skiplink,
                                             op, sizeof op, &err));
        assert_int_equal (err.code, PANDA_ERR_INVALID);
        assert_string_equal (err.message, cases[i].message);
    }
    //  A skiplink equal to the backlink where none is required is dropped.
    panda_entry_t *entry = panda_entry_new_signed (keypair, 0, 5, &a, &a, op, sizeof op, NULL);
    assert_non_null (entry);
    assert_null (panda_entry_skiplink (entry));
    assert_true (panda_hash_eq (panda_entry_backlink (entry), &a));
    panda_entry_destroy (&entry);
    //  Largest entry: both links and 9-byte varu64s.
    entry = panda_entry_new_signed (keypair, UINT64_MAX, UINT64_MAX, &a, &b, op, sizeof op, NULL);
    assert_non_null (entry);
    size_t len;
    panda_entry_bytes (entry, &len);
    assert_int_equal (len, PANDA_ENTRY_MAX_SIZE - 8); //  the payload size is one byte here
    panda_entry_destroy (&entry);
    panda_keypair_destroy (&keypair);
}

static panda_err_t
s_lookup_missing (void *ctx, uint64_t seq_num, panda_hash_t *hash, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_NOT_FOUND, "missing %" PRIu64, seq_num);
}

static void
test_entry_next_args_edges (void **state)
{
    panda_public_key_t key = {{0}};
    panda_hash_t latest;
    panda_hash_compute (&latest, "x", 1);
    panda_entry_args_t args;
    panda_error_t err;
    assert_int_equal (panda_entry_next_args (&args, &key, 3, 3, &latest, s_lookup_missing, NULL, &err),
                      PANDA_ERR_NOT_FOUND);
    assert_string_equal (err.message, "missing 1");
    assert_int_equal (panda_entry_next_args (&args, &key, 3, 4, &latest, s_lookup_missing, NULL, &err),
                      PANDA_OK);
    assert_true (args.seq_num == 5 && args.has_backlink && !args.has_skiplink);
    assert_int_equal (
        panda_entry_next_args (&args, &key, 3, UINT64_MAX, &latest, s_lookup_missing, NULL, &err),
        PANDA_ERR_INVALID);
    assert_string_equal (err.message,
                         "Max sequence number reached for public key "
                         "0000000000000000000000000000000000000000000000000000000000000000 log 3");
}

int
main (void)
{
    assert_true (sodium_init () >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_entry_sign_and_decode),
        cmocka_unit_test (test_entry_long_log),
        cmocka_unit_test (test_entry_decode_only_and_fixtures),
        cmocka_unit_test (test_entry_invalid_vectors),
        cmocka_unit_test (test_entry_quirks),
        cmocka_unit_test (test_entry_publish_sequence),
        cmocka_unit_test (test_entry_publish_invalid),
        cmocka_unit_test (test_entry_truncation_and_bit_flips),
        cmocka_unit_test (test_entry_sign_rejects_bad_links),
        cmocka_unit_test (test_entry_next_args_edges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
