/*  test_operation.c - operation decode/encode against operations.json,
    invalid.json (operation_decode) and quirks.json (operation).            */
#include "panda_test.h"
#include "panda/panda_operation.h"

#include <inttypes.h>
#include <stdio.h>

//  Simplest use: decode a DELETE, look at it, get the exact bytes back.
static void
test_operation_simple (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    json_t *ops = json_object_get (root, "operations");
    json_t *del = json_array_get (ops, 3);
    assert_string_equal (json_string_value (json_object_get (del, "name")), "delete");
    size_t len;
    uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (del, "operation_hex")), &len);
    panda_error_t err;
    panda_operation_t *op = panda_operation_decode (bytes, len, &err);
    assert_non_null (op);
    assert_int_equal (panda_operation_action (op), PANDA_ACTION_DELETE);
    assert_string_equal (panda_action_name (panda_operation_action (op)), "delete");
    assert_string_equal (panda_operation_schema_id (op),
                         "vector_item_002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f");
    size_t n;
    const panda_hash_t *previous = panda_operation_previous (op, &n);
    assert_int_equal (n, 1);
    char hex[PANDA_HASH_HEX_SIZE + 1];
    assert_string_equal (panda_hash_to_hex (&previous[0], hex),
                         "002080669bb8696c4444880860b337f3555cfd31791dee5b1c3955a21b6b112d57ed");
    assert_int_equal (panda_operation_field_count (op), 0);
    size_t out_len;
    const uint8_t *out = panda_operation_bytes (op, &out_len);
    assert_int_equal (out_len, len);
    assert_memory_equal (out, bytes, len);
    panda_operation_destroy (&op);
    assert_null (op);
    free (bytes);
    json_decref (root);
}

static void
s_assert_hash_list (const panda_hash_list_t *list, json_t *array)
{
    assert_int_equal (list->count, json_array_size (array));
    for (size_t i = 0; i < list->count; i++) {
        char hex[PANDA_HASH_HEX_SIZE + 1];
        assert_string_equal (panda_hash_to_hex (&list->items[i], hex),
                             json_string_value (json_array_get (array, i)));
    }
}

//  value equals the schema-less form {"kind": ..., "value": ...} of the vectors.
static void
s_assert_plain (const panda_value_t *v, json_t *plain)
{
    const char *kind = json_string_value (json_object_get (plain, "kind"));
    json_t *value = json_object_get (plain, "value");
    if (strcmp (kind, "text") == 0) {
        assert_int_equal (v->kind, PANDA_VALUE_STR);
        assert_int_equal (v->as.bytes.len, json_string_length (value));
        assert_memory_equal (v->as.bytes.data, json_string_value (value), v->as.bytes.len);
        assert_int_equal (v->as.bytes.data[v->as.bytes.len], 0);
    } else if (strcmp (kind, "int") == 0) {
        char buf[32];
        assert_int_equal (v->kind, PANDA_VALUE_INT);
        snprintf (buf, sizeof buf, "%" PRId64, v->as.integer);
        assert_string_equal (buf, json_string_value (value));
    } else if (strcmp (kind, "float") == 0) {
        uint64_t bits,
            expected = strtoull (json_string_value (json_object_get (plain, "f64_bits")), NULL, 16);
        assert_int_equal (v->kind, PANDA_VALUE_FLOAT);
        memcpy (&bits, &v->as.real, sizeof bits);
        assert_int_equal (bits, expected);
    } else if (strcmp (kind, "bool") == 0) {
        assert_int_equal (v->kind, PANDA_VALUE_BOOL);
        assert_int_equal (v->as.boolean, json_is_true (value));
    } else if (strcmp (kind, "bytes") == 0) {
        assert_int_equal (v->kind, PANDA_VALUE_BYTES);
        char *hex = panda_test_hex (v->as.bytes.data, v->as.bytes.len);
        assert_string_equal (hex, json_string_value (value));
        free (hex);
    } else if (strcmp (kind, "hash_list") == 0) {
        assert_int_equal (v->kind, PANDA_VALUE_HASH_LIST);
        s_assert_hash_list (&v->as.list, value);
    } else {
        assert_string_equal (kind, "hash_list_list");
        assert_int_equal (v->kind, PANDA_VALUE_HASH_LIST_LIST);
        assert_int_equal (v->as.lists.count, json_array_size (value));
        for (size_t i = 0; i < v->as.lists.count; i++)
            s_assert_hash_list (&v->as.lists.lists[i], json_array_get (value, i));
    }
}

static void
s_assert_operation (const panda_operation_t *op, json_t *plain)
{
    assert_int_equal (json_integer_value (json_object_get (plain, "version")), 1);
    assert_string_equal (panda_action_name (panda_operation_action (op)),
                         json_string_value (json_object_get (plain, "action")));
    assert_string_equal (panda_operation_schema_id (op),
                         json_string_value (json_object_get (plain, "schema_id")));
    size_t n;
    const panda_hash_t *previous = panda_operation_previous (op, &n);
    json_t *expected_previous = json_object_get (plain, "previous");
    panda_hash_list_t list = {n, (panda_hash_t *) previous};
    if (expected_previous)
        s_assert_hash_list (&list, expected_previous);
    else
        assert_int_equal (n, 0);
    json_t *fields = json_object_get (plain, "fields");
    assert_int_equal (panda_operation_field_count (op), json_object_size (fields));
    //  Field order is byte-wise; jansson keeps the vector's (sorted) order.
    const char *name;
    json_t *field;
    size_t index = 0;
    json_object_foreach (fields, name, field)
    {
        assert_string_equal (panda_operation_field_name (op, index), name);
        s_assert_plain (panda_operation_field_value (op, index), field);
        assert_ptr_equal (panda_operation_field (op, name), panda_operation_field_value (op, index));
        index++;
    }
    assert_null (panda_operation_field (op, "no_such_field"));
}

//  Build a fresh operation from the decoded parts and encode it.
static panda_operation_t *
s_rebuild (const panda_operation_t *op)
{
    size_t n;
    const panda_hash_t *previous = panda_operation_previous (op, &n);
    panda_error_t err;
    panda_operation_t *copy =
        panda_operation_new (panda_operation_action (op), panda_operation_schema_id (op), previous, n, &err);
    assert_non_null (copy);
    for (size_t i = 0; i < panda_operation_field_count (op); i++)
        assert_int_equal (panda_operation_set_field (copy, panda_operation_field_name (op, i),
                                                     panda_operation_field_value (op, i), &err),
                          PANDA_OK);
    return copy;
}

static void
s_assert_reencodes (const panda_operation_t *op, const uint8_t *bytes, size_t len)
{
    panda_operation_t *copy = s_rebuild (op);
    size_t out_len;
    const uint8_t *out = panda_operation_bytes (copy, &out_len);
    assert_non_null (out);
    assert_int_equal (out_len, len);
    assert_memory_equal (out, bytes, len);
    panda_operation_destroy (&copy);
}

static void
test_operation_vectors (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    size_t i;
    json_t *vector;
    json_array_foreach (json_object_get (root, "operations"), i, vector)
    {
        size_t len;
        uint8_t *bytes =
            panda_test_unhex (json_string_value (json_object_get (vector, "operation_hex")), &len);
        panda_error_t err;
        panda_operation_t *op = panda_operation_decode (bytes, len, &err);
        if (!op)
            fail_msg ("%s: %s", json_string_value (json_object_get (vector, "name")), err.message);
        s_assert_operation (op, json_object_get (vector, "decoded_plain"));
        s_assert_reencodes (op, bytes, len);
        panda_operation_destroy (&op);
        free (bytes);
    }
    json_decref (root);
}

static void
test_operation_value_encodings (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    json_t *encodings = json_object_get (root, "value_encodings");
    const char *prefix = json_string_value (json_object_get (encodings, "prefix_hex"));
    static const struct {
        const char *type;
        panda_value_kind_t kind;
    } kinds[] = {
        {"str", PANDA_VALUE_STR},
        {"int", PANDA_VALUE_INT},
        {"float", PANDA_VALUE_FLOAT},
        {"bool", PANDA_VALUE_BOOL},
        {"bytes", PANDA_VALUE_BYTES},
        {"relation", PANDA_VALUE_BYTES},
        {"relation_list", PANDA_VALUE_HASH_LIST},
        {"pinned_relation", PANDA_VALUE_HASH_LIST},
        {"pinned_relation_list", PANDA_VALUE_HASH_LIST_LIST},
    };
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (encodings, "cases"), i, c)
    {
        const char *type = json_string_value (json_object_get (c, "type"));
        const char *cbor = json_string_value (json_object_get (c, "cbor_hex"));
        char *hex = malloc (strlen (prefix) + strlen (cbor) + 1);
        strcpy (hex, prefix);
        strcat (hex, cbor);
        size_t len;
        uint8_t *bytes = panda_test_unhex (hex, &len);
        panda_error_t err;
        panda_operation_t *op = panda_operation_decode (bytes, len, &err);
        if (!op)
            fail_msg ("case %zu (%s): %s", i, cbor, err.message);
        const panda_value_t *v = panda_operation_field (op, "v");
        assert_non_null (v);
        panda_value_kind_t expected = PANDA_VALUE_BOOL;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp (kinds[k].type, type) == 0)
                expected = kinds[k].kind;
        //  An empty list decodes as a flat (ambiguous) hash list.
        if (strcmp (cbor, "80") == 0)
            expected = PANDA_VALUE_HASH_LIST;
        assert_int_equal (v->kind, expected);
        json_t *input = json_object_get (c, "input");
        if (strcmp (type, "float") == 0 || strcmp (type, "int") == 0 || strcmp (type, "bool") == 0) {
            json_t *plain = json_pack ("{s:s, s:O}", "kind", type, "value", json_object_get (input, "value"));
            if (json_object_get (input, "f64_bits"))
                json_object_set (plain, "f64_bits", json_object_get (input, "f64_bits"));
            s_assert_plain (v, plain);
            json_decref (plain);
        }
        s_assert_reencodes (op, bytes, len);
        panda_operation_destroy (&op);
        free (bytes);
        free (hex);
    }
    json_decref (root);
}

static void
test_operation_invalid (void **state)
{
    json_t *root = panda_test_vectors ("invalid.json");
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (root, "operation_decode"), i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        size_t len;
        uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (c, "operation_hex")), &len);
        panda_error_t err;
        panda_operation_t *op = panda_operation_decode (bytes, len, &err);
        if (op)
            fail_msg ("%s: accepted", name);
        assert_int_equal (err.code, PANDA_ERR_DECODE);
        const char *expected = json_string_value (json_object_get (c, "reference_error"));
        if (strcmp (err.message, expected) != 0)
            fail_msg ("%s: got \"%s\", reference \"%s\"", name, err.message, expected);
        free (bytes);
    }
    json_decref (root);
}

//  Every non-canonical input the reference tolerates is rejected, with a
//  message that says what is wrong.
static void
test_operation_quirks_rejected (void **state)
{
    static const struct {
        const char *name, *message;
    } expected[] = {
        {"trailing_bytes", "trailing bytes after the operation at byte 94"},
        {"indefinite_length_array", "non-canonical CBOR at byte 0: indefinite-length item or break"},
        {"indefinite_array_extra_item", "non-canonical CBOR at byte 0: indefinite-length item or break"},
        {"indefinite_length_map", "non-canonical CBOR at byte 85: indefinite-length item or break"},
        {"indefinite_length_text", "non-canonical CBOR at byte 92: indefinite-length item or break"},
        {"non_minimal_version", "non-canonical CBOR at byte 1: integer or length not in shortest form"},
        {"non_minimal_integer_value",
         "non-canonical CBOR at byte 92: integer or length not in shortest form"},
        {"float32_for_half_value", "non-canonical CBOR at byte 92: float not in its shortest exact width"},
        {"float64_for_half_value", "non-canonical CBOR at byte 92: float not in its shortest exact width"},
        {"bignum_tag_2", "error deserializing plain value: CBOR tag 2 (bignum) at byte 92 is not allowed, "
                         "integers must be plain CBOR integers"},
        {"previous_as_text_string",
         "invalid type: string, expected document view id as array of byte strings "
         "(the text form is not accepted inside operations)"},
        {"schema_id_v01", "malformed schema id `schema_definition_v01`: system schema version is not written "
                          "canonically"},
        {"schema_id_v_plus_1",
         "malformed schema id `blob_v+1`: system schema version is not written canonically"},
        {"schema_id_system_version_2", "unsupported system schema version: schema_definition_v2"},
        {"schema_id_uppercase_hex",
         "encountered invalid hash while parsing application schema id: upper-case hex is not canonical"},
        {"hash_length_byte_not_0x20", "can not decode YASMF BLAKE3 hash"},
        {"empty_field_name", "empty field name at byte 86"},
    };
    json_t *root = panda_test_vectors ("quirks.json");
    json_t *cases = json_object_get (root, "operation");
    assert_int_equal (json_array_size (cases), sizeof expected / sizeof expected[0]);
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        assert_string_equal (name, expected[i].name);
        size_t len;
        uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (c, "operation_hex")), &len);
        panda_error_t err;
        panda_operation_t *op = panda_operation_decode (bytes, len, &err);
        if (op)
            fail_msg ("%s: accepted", name);
        assert_int_equal (err.code, PANDA_ERR_DECODE);
        if (strcmp (err.message, expected[i].message) != 0)
            fail_msg ("%s: got \"%s\"", name, err.message);
        free (bytes);
    }
    json_decref (root);
}

//  Every strict prefix of a valid operation fails cleanly (ASan watches the
//  reads: each prefix lives in its own exactly-sized buffer).
static void
test_operation_truncated (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    size_t i;
    json_t *vector;
    json_array_foreach (json_object_get (root, "operations"), i, vector)
    {
        size_t len;
        uint8_t *bytes =
            panda_test_unhex (json_string_value (json_object_get (vector, "operation_hex")), &len);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *prefix = malloc (cut ? cut : 1);
            memcpy (prefix, bytes, cut);
            panda_error_t err;
            panda_operation_t *op = panda_operation_decode (prefix, cut, &err);
            assert_null (op);
            assert_int_equal (err.code, PANDA_ERR_DECODE);
            assert_string_equal (err.message, "cbor decoder failed failed to fill whole buffer");
            free (prefix);
        }
        free (bytes);
    }
    json_decref (root);
}

static void
test_operation_build (void **state)
{
    const char *schema = "venue_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b";
    panda_error_t err;
    panda_hash_t a, b;
    panda_hash_compute (&a, "a", 1);
    panda_hash_compute (&b, "b", 1);
    //  CREATE takes no previous, UPDATE/DELETE need one.
    assert_null (panda_operation_new (PANDA_ACTION_CREATE, schema, &a, 1, &err));
    assert_string_equal (err.message, "a CREATE operation has no previous");
    assert_null (panda_operation_new (PANDA_ACTION_UPDATE, schema, NULL, 0, &err));
    assert_string_equal (err.message, "expected one or more operation ids");
    assert_null (panda_operation_new (PANDA_ACTION_CREATE, "venue", NULL, 0, &err));
    assert_string_equal (err.message, "malformed schema id `venue`: doesn't contain an underscore");
    //  previous is sorted and de-duplicated like a document view id.
    panda_hash_t prev[3] = {b, a, b};
    panda_operation_t *op = panda_operation_new (PANDA_ACTION_UPDATE, schema, prev, 3, &err);
    assert_non_null (op);
    size_t n;
    const panda_hash_t *sorted = panda_operation_previous (op, &n);
    assert_int_equal (n, 2);
    assert_true (panda_hash_cmp (&sorted[0], &sorted[1]) < 0);
    //  Fields stay sorted byte-wise ("aa" before "b"); setting again replaces.
    panda_value_t v;
    panda_value_set_int (&v, 1);
    assert_int_equal (panda_operation_set_field (op, "b", &v, &err), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "aa", &v, &err), PANDA_OK);
    panda_value_set_int (&v, 2);
    assert_int_equal (panda_operation_set_field (op, "b", &v, &err), PANDA_OK);
    assert_int_equal (panda_operation_field_count (op), 2);
    assert_string_equal (panda_operation_field_name (op, 0), "aa");
    assert_int_equal (panda_operation_field (op, "b")->as.integer, 2);
    assert_int_equal (panda_operation_set_field (op, "", &v, &err), PANDA_ERR_INVALID);
    //  A hash list with an invalid hash is refused.
    panda_hash_t bad = a;
    bad.bytes[1] = 0x21;
    assert_int_equal (panda_value_set_hash_list (&v, &bad, 1), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "c", &v, &err), PANDA_ERR_INVALID);
    assert_string_equal (err.message, "field 'c': can not decode YASMF BLAKE3 hash");
    panda_value_clear (&v);
    //  The encoding decodes back to the same operation.
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_operation_t *back = panda_operation_decode (bytes, len, &err);
    assert_non_null (back);
    assert_int_equal (panda_operation_field_count (back), 2);
    assert_int_equal (panda_operation_field (back, "aa")->as.integer, 1);
    panda_operation_destroy (&back);
    panda_operation_destroy (&op);
    //  DELETE has no fields.
    op = panda_operation_new (PANDA_ACTION_DELETE, "blob_v1", &a, 1, &err);
    panda_value_set_bool (&v, true);
    assert_int_equal (panda_operation_set_field (op, "x", &v, &err), PANDA_ERR_INVALID);
    panda_operation_destroy (&op);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_operation_simple),          cmocka_unit_test (test_operation_vectors),
        cmocka_unit_test (test_operation_value_encodings), cmocka_unit_test (test_operation_invalid),
        cmocka_unit_test (test_operation_quirks_rejected), cmocka_unit_test (test_operation_truncated),
        cmocka_unit_test (test_operation_build),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
