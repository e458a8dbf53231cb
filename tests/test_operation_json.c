/*  test_operation_json.c - typed JSON -> operation -> exact p2panda-js
    bytes, and decoded operation -> schema-less JSON (operations.json).      */
#include "panda_test.h"
#include "panda_operation_json_int.h"

#include <stdio.h>
#include <unistd.h>

//  Simplest use: build a CREATE from JSON, encode it, decode it, print it.
static void
test_operation_json_simple (void **state)
{
    const char *text = "{\"version\":1,\"action\":\"create\",\"schemaId\":\"blob_piece_v1\","
                       "\"fields\":{\"data\":{\"type\":\"bytes\",\"value\":\"cafe\"}}}";
    panda_error_t err;
    panda_operation_t *op = panda_operation_from_json_text (text, strlen (text), &err);
    assert_non_null (op);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    char *hex = panda_test_hex (bytes, len);
    //  [1, 0, "blob_piece_v1", {"data": h'cafe'}]
    assert_string_equal (hex, "8401006d626c6f625f70696563655f7631a164646174614"
                              "2cafe");
    free (hex);
    json_t *json = panda_operation_to_json (op);
    char *dump = json_dumps (json, JSON_COMPACT);
    assert_string_equal (dump, "{\"version\":1,\"action\":\"create\",\"schemaId\":\"blob_piece_v1\","
                               "\"fields\":{\"data\":{\"kind\":\"bytes\",\"value\":\"cafe\"}}}");
    free (dump);
    json_decref (json);
    panda_operation_destroy (&op);
}

//  The typed form of a schema-less value (for vectors without typed_fields):
//  flat hash lists as relation_list, nested ones as pinned_relation_list.
static json_t *
s_typed_from_plain (json_t *plain)
{
    static const char *map[][2] = {{"text", "str"},
                                   {"int", "int"},
                                   {"float", "float"},
                                   {"bool", "bool"},
                                   {"bytes", "bytes"},
                                   {"hash_list", "relation_list"},
                                   {"hash_list_list", "pinned_relation_list"}};
    const char *kind = json_string_value (json_object_get (plain, "kind"));
    json_t *typed = json_deep_copy (plain);
    json_object_del (typed, "kind");
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp (map[i][0], kind) == 0)
            json_object_set_new (typed, "type", json_string (map[i][1]));
    return typed;
}

static json_t *
s_typed_operation (json_t *vector)
{
    json_t *plain = json_object_get (vector, "decoded_plain");
    json_t *json = json_pack ("{s:i, s:O, s:O}", "version", 1, "action", json_object_get (plain, "action"),
                              "schemaId", json_object_get (plain, "schema_id"));
    if (json_object_get (plain, "previous"))
        json_object_set (json, "previous", json_object_get (plain, "previous"));
    json_t *typed = json_object_get (vector, "typed_fields");
    if (typed)
        json_object_set (json, "fields", typed);
    else if (json_object_get (plain, "fields")) {
        json_t *fields = json_object ();
        const char *name;
        json_t *field;
        json_object_foreach (json_object_get (plain, "fields"), name, field)
            json_object_set_new (fields, name, s_typed_from_plain (field));
        json_object_set_new (json, "fields", fields);
    }
    return json;
}

static void
test_operation_json_encodes_vectors (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    size_t i;
    json_t *vector;
    json_array_foreach (json_object_get (root, "operations"), i, vector)
    {
        json_t *json = s_typed_operation (vector);
        panda_error_t err;
        panda_operation_t *op = panda_operation_from_json (json, &err);
        if (!op)
            fail_msg ("%s: %s", json_string_value (json_object_get (vector, "name")), err.message);
        size_t len;
        const uint8_t *bytes = panda_operation_bytes (op, &len);
        char *hex = panda_test_hex (bytes, len);
        assert_string_equal (hex, json_string_value (json_object_get (vector, "operation_hex")));
        free (hex);
        panda_operation_destroy (&op);
        json_decref (json);
    }
    json_decref (root);
}

static void
test_operation_json_value_encodings (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    json_t *encodings = json_object_get (root, "value_encodings");
    const char *prefix = json_string_value (json_object_get (encodings, "prefix_hex"));
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (encodings, "cases"), i, c)
    {
        json_t *json =
            json_pack ("{s:s, s:s, s:{s:O}}", "action", "create", "schemaId",
                       "venue_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b", "fields",
                       "v", json_object_get (c, "input"));
        panda_error_t err;
        panda_operation_t *op = panda_operation_from_json (json, &err);
        if (!op)
            fail_msg ("case %zu: %s", i, err.message);
        size_t len;
        const uint8_t *bytes = panda_operation_bytes (op, &len);
        char *hex = panda_test_hex (bytes, len);
        size_t plen = strlen (prefix);
        assert_true (strlen (hex) > plen);
        assert_memory_equal (hex, prefix, plen);
        assert_string_equal (hex + plen, json_string_value (json_object_get (c, "cbor_hex")));
        free (hex);
        panda_operation_destroy (&op);
        json_decref (json);
    }
    json_decref (root);
}

//  decode -> JSON equals decoded_plain (with "schemaId" for "schema_id").
static void
test_operation_json_renders_vectors (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    size_t i;
    json_t *vector;
    json_array_foreach (json_object_get (root, "operations"), i, vector)
    {
        size_t len;
        uint8_t *bytes =
            panda_test_unhex (json_string_value (json_object_get (vector, "operation_hex")), &len);
        panda_operation_t *op = panda_operation_decode (bytes, len, NULL);
        assert_non_null (op);
        json_t *expected = json_deep_copy (json_object_get (vector, "decoded_plain"));
        json_object_set (expected, "schemaId", json_object_get (expected, "schema_id"));
        json_object_del (expected, "schema_id");
        json_t *got = panda_operation_to_json (op);
        if (!json_equal (got, expected)) {
            char *g = json_dumps (got, JSON_COMPACT), *e = json_dumps (expected, JSON_COMPACT);
            fail_msg ("%s:\n got %s\nwant %s", json_string_value (json_object_get (vector, "name")), g, e);
        }
        json_decref (got);
        json_decref (expected);
        panda_operation_destroy (&op);
        free (bytes);
    }
    json_decref (root);
}

static void
test_operation_json_bad_input (void **state)
{
    static const struct {
        const char *json, *message;
    } cases[] = {
        {"[]", "operation JSON must be an object"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{}", "invalid JSON at line 1 column 51: "
                                                                          "'}' expected near end of file"},
        {"{\"version\":2,\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{}}",
         "\"version\" must be 1"},
        {"{\"action\":\"merge\",\"schemaId\":\"blob_v1\"}",
         "\"action\" must be \"create\", \"update\" or \"delete\""},
        {"{\"action\":\"create\",\"schemaId\":\"blob\",\"fields\":{}}",
         "malformed schema id `blob`: doesn't contain an underscore"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\"}", "missing fields for this operation action"},
        {"{\"action\":\"update\",\"schemaId\":\"blob_v1\",\"previous\":[],\"fields\":{}}",
         "\"previous\": expected one or more operation ids"},
        {"{\"action\":\"delete\",\"schemaId\":\"blob_v1\",\"previous\":[\"0020\"]}",
         "\"previous\": item 0: invalid hash length 2 bytes, expected 34 bytes"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{\"length\":{\"type\":\"int\",\"value\":"
         "\"9223372036854775808\"}}}",
         "field 'length': int value '9223372036854775808' is not a 64-bit signed integer"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{\"length\":{\"type\":\"int\",\"value\":"
         "\"1x\"}}}",
         "field 'length': int value '1x' is not a 64-bit signed integer"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{\"x\":{\"type\":\"bytes\",\"value\":"
         "\"abc\"}}}",
         "field 'x': odd number of hex digits"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{\"x\":{\"type\":\"owner\",\"value\":1}}"
         "}",
         "field 'x': unknown field type 'owner'"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{\"x\":{\"type\":\"float\",\"value\":"
         "\"1\"}}}",
         "field 'x': float value must be a number (or give f64_bits)"},
        {"{\"action\":\"create\",\"schemaId\":\"blob_v1\",\"fields\":{\"x\":{\"type\":\"pinned_relation\","
         "\"value\":[]}}}",
         "field 'x': expected one or more operation ids"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        panda_operation_t *op = panda_operation_from_json_text (cases[i].json, strlen (cases[i].json), &err);
        if (op)
            fail_msg ("case %zu accepted", i);
        if (strcmp (err.message, cases[i].message) != 0)
            fail_msg ("case %zu: got \"%s\"", i, err.message);
    }
}

//  The CLI: encode each vector's typed JSON (via stdin), decode its bytes,
//  and fail with exit 1 and one stderr line on bad input.
//  Regression (interop seed 1995805603): JavaScript writes integral floats
//  below 1e21 without an exponent (1.2345678901234568e20 as
//  123456789012345680000), an integer too big for jansson. It must still be
//  read as that float and encode as p2panda-js does (fb 441ac53a7e04bcda).
static void
test_operation_json_huge_integral_float (void **state)
{
    const char *text = "{\"version\":1,\"action\":\"create\",\"schemaId\":\"blob_piece_v1\","
                       "\"fields\":{\"x\":{\"type\":\"float\",\"value\":123456789012345680000},"
                       "\"n\":{\"type\":\"int\",\"value\":42}}}";
    panda_error_t err;
    panda_operation_t *op = panda_operation_from_json_text (text, strlen (text), &err);
    if (!op)
        fail_msg ("%s", err.message);
    const panda_value_t *x = panda_operation_field (op, "x");
    assert_int_equal (x->kind, PANDA_VALUE_FLOAT);
    assert_true (x->as.real == 123456789012345680000.0);
    assert_int_equal (panda_operation_field (op, "n")->as.integer, 42);
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    char *hex = panda_test_hex (bytes, len);
    assert_non_null (strstr (hex, "fb441ac53a7e04bcda"));
    free (hex);
    panda_operation_destroy (&op);
    //  a fraction is still no int
    const char *bad = "{\"version\":1,\"action\":\"create\",\"schemaId\":\"blob_piece_v1\","
                      "\"fields\":{\"n\":{\"type\":\"int\",\"value\":4.5}}}";
    assert_null (panda_operation_from_json_text (bad, strlen (bad), &err));
}

static void
test_operation_json_cli (void **state)
{
    json_t *root = panda_test_vectors ("operations.json");
    size_t i;
    json_t *vector;
    char command[8192];
    json_array_foreach (json_object_get (root, "operations"), i, vector)
    {
        json_t *json = s_typed_operation (vector);
        char path[] = "/tmp/panda_test_op_XXXXXX";
        int fd = mkstemp (path);
        assert_true (fd >= 0);
        FILE *f = fdopen (fd, "w");
        assert_int_equal (json_dumpf (json, f, JSON_COMPACT), 0);
        fclose (f);
        snprintf (command, sizeof command, "%s operation encode - < %s", panda_test_bin ("panda"), path);
        char *out;
        assert_int_equal (panda_test_run (command, &out), 0);
        const char *hex = json_string_value (json_object_get (vector, "operation_hex"));
        assert_int_equal (strlen (out), strlen (hex) + 1);
        assert_memory_equal (out, hex, strlen (hex));
        free (out);
        unlink (path);
        snprintf (command, sizeof command, "%s operation decode %s", panda_test_bin ("panda"), hex);
        assert_int_equal (panda_test_run (command, &out), 0);
        json_t *decoded = json_loads (out, 0, NULL);
        assert_non_null (decoded);
        assert_true (json_equal (json_object_get (decoded, "schemaId"),
                                 json_object_get (json_object_get (vector, "decoded_plain"), "schema_id")));
        json_decref (decoded);
        free (out);
        json_decref (json);
    }
    json_decref (root);
    char *out;
    snprintf (command, sizeof command, "%s operation decode 8401 2>&1", panda_test_bin ("panda"));
    assert_int_equal (panda_test_run (command, &out), 1);
    assert_string_equal (out, "panda: cbor decoder failed failed to fill whole buffer\n");
    free (out);
    snprintf (command, sizeof command, "%s operation encode '{\"action\":\"x\"}' 2>&1",
              panda_test_bin ("panda"));
    assert_int_equal (panda_test_run (command, &out), 1);
    assert_string_equal (out, "panda: \"action\" must be \"create\", \"update\" or \"delete\"\n");
    free (out);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_operation_json_simple),
        cmocka_unit_test (test_operation_json_encodes_vectors),
        cmocka_unit_test (test_operation_json_value_encodings),
        cmocka_unit_test (test_operation_json_renders_vectors),
        cmocka_unit_test (test_operation_json_bad_input),
        cmocka_unit_test (test_operation_json_huge_integral_float),
        cmocka_unit_test (test_operation_json_cli),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
