/*  test_schema_validate.c - operations against their schemas: every schema
    case of invalid.json with its reference message, every valid operation
    of publish_sequence.json and blob.json, and the schema/blob quirks of
    quirks.json, which we reject.                                          */
#include "panda_test.h"
#include "panda/panda_schema.h"

#include <stdio.h>

typedef struct {
    panda_schema_t *item; //  vector_item
    panda_schema_t *tag; //  vector_tag
} schemas_t;

//  The two application schemas of schema.json, from their resulting ids and
//  field lists (test_schema.c builds them from the definition documents).
static void
s_schemas_load (schemas_t *schemas)
{
    json_t *root = panda_test_vectors ("schema.json");
    json_t *defs = json_object_get (root, "schema_definitions");
    json_t *results = json_object_get (root, "resulting_schemas");
    panda_schema_t **slots[2] = {&schemas->tag, &schemas->item};
    for (size_t i = 0; i < 2; i++) {
        json_t *def = json_array_get (defs, i);
        json_t *result = json_array_get (results, i);
        panda_error_t err;
        panda_schema_t *schema =
            panda_schema_new (json_string_value (json_object_get (result, "schema_id")),
                              json_string_value (json_object_get (def, "name")),
                              json_string_value (json_object_get (def, "description")), &err);
        if (!schema)
            fail_msg ("%s", err.message);
        const char *name;
        json_t *type;
        json_object_foreach (json_object_get (result, "fields"), name, type)
        {
            assert_int_equal (panda_schema_add_field (schema, name, json_string_value (type), &err),
                              PANDA_OK);
        }
        *slots[i] = schema;
    }
    assert_string_equal (panda_schema_name (schemas->item), "vector_item");
    json_decref (root);
}

static void
s_schemas_free (schemas_t *schemas)
{
    panda_schema_destroy (&schemas->item);
    panda_schema_destroy (&schemas->tag);
}

static const panda_schema_t *
s_schema_for (const schemas_t *schemas, const char *schema_id)
{
    const panda_schema_t *schema = panda_schema_system (schema_id);
    if (!schema && strcmp (schema_id, panda_schema_id (schemas->item)) == 0)
        schema = schemas->item;
    if (!schema && strcmp (schema_id, panda_schema_id (schemas->tag)) == 0)
        schema = schemas->tag;
    if (!schema)
        fail_msg ("no schema %s", schema_id);
    return schema;
}

//  Decode bytes and validate; returns the code, message in err. Only the
//  cases named in s_decode_rejects may already fail to decode.
static const char *s_decode_rejects[] = {
    "empty_field_name", //  our decoder is strict: "" is no field name (§11: either)
};

static panda_err_t
s_validate_bytes (const schemas_t *schemas, const uint8_t *bytes, size_t len, panda_error_t *err)
{
    panda_operation_t *operation = panda_operation_decode (bytes, len, err);
    if (!operation)
        return err->code;
    panda_err_t rc = panda_schema_validate_operation (
        s_schema_for (schemas, panda_operation_schema_id (operation)), operation, err);
    panda_operation_destroy (&operation);
    return rc;
}

static panda_err_t
s_validate_hex (const schemas_t *schemas, const char *hex, panda_error_t *err)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (hex, &len);
    panda_err_t rc = s_validate_bytes (schemas, bytes, len, err);
    free (bytes);
    return rc;
}

//  Simplest use: a valid CREATE against vector_item, then one that lacks a field.
static void
test_validate_reference (void **state)
{
    schemas_t schemas;
    s_schemas_load (&schemas);
    json_t *root = panda_test_vectors ("invalid.json");
    json_t *valid = json_object_get (root, "valid_reference_for_schema_cases");
    panda_error_t err;
    if (s_validate_hex (&schemas, json_string_value (json_object_get (valid, "operation_hex")), &err) !=
        PANDA_OK)
        fail_msg ("rejected: %s", err.message);
    assert_int_equal (err.code, PANDA_OK);
    //  The same CREATE against another schema id is refused.
    size_t len;
    uint8_t *bytes = panda_test_unhex (json_string_value (json_object_get (valid, "operation_hex")), &len);
    panda_operation_t *operation = panda_operation_decode (bytes, len, &err);
    assert_non_null (operation);
    assert_int_equal (panda_schema_validate_operation (schemas.tag, operation, &err), PANDA_ERR_SCHEMA);
    assert_int_equal (panda_schema_validate_operation (schemas.item, operation, NULL), PANDA_OK);
    panda_operation_destroy (&operation);
    free (bytes);
    json_decref (root);
    s_schemas_free (&schemas);
}

//  Operation bytes of a case: operation_hex, or prefix_hex + N zero bytes.
static uint8_t *
s_case_bytes (json_t *c, size_t *len)
{
    json_t *hex = json_object_get (c, "operation_hex");
    if (hex)
        return panda_test_unhex (json_string_value (hex), len);
    json_t *construction = json_object_get (c, "construction");
    size_t prefix_len;
    uint8_t *prefix =
        panda_test_unhex (json_string_value (json_object_get (construction, "prefix_hex")), &prefix_len);
    size_t zeros = 0;
    assert_int_equal (
        sscanf (json_string_value (json_object_get (construction, "then")), "%zu zero bytes", &zeros), 1);
    *len = prefix_len + zeros;
    assert_int_equal (*len, json_integer_value (json_object_get (c, "operation_size")));
    uint8_t *bytes = calloc (1, *len);
    assert_non_null (bytes);
    memcpy (bytes, prefix, prefix_len);
    free (prefix);
    return bytes;
}

static void
s_run_cases (const char *group)
{
    schemas_t schemas;
    s_schemas_load (&schemas);
    json_t *root = panda_test_vectors ("invalid.json");
    json_t *cases = json_object_get (root, group);
    assert_true (json_array_size (cases) > 0);
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        size_t len;
        uint8_t *bytes = s_case_bytes (c, &len);
        panda_error_t err;
        panda_err_t rc = s_validate_bytes (&schemas, bytes, len, &err);
        free (bytes);
        json_t *expected = json_object_get (c, "expected_error");
        bool decode_reject = false;
        for (size_t k = 0; k < sizeof s_decode_rejects / sizeof s_decode_rejects[0]; k++)
            decode_reject |= strcmp (name, s_decode_rejects[k]) == 0;
        if (decode_reject && rc == PANDA_ERR_DECODE)
            continue;
        if (expected) {
            if (rc != PANDA_ERR_SCHEMA)
                fail_msg ("%s: accepted, expected \"%s\"", name, json_string_value (expected));
            if (strcmp (err.message, json_string_value (expected)) != 0)
                fail_msg ("%s: \"%s\" != \"%s\"", name, err.message, json_string_value (expected));
        } else {
            assert_string_equal (json_string_value (json_object_get (c, "expected")), "valid");
            if (rc != PANDA_OK)
                fail_msg ("%s: rejected: %s", name, err.message);
        }
    }
    json_decref (root);
    s_schemas_free (&schemas);
}

static void
test_validate_operation_schema (void **state)
{
    s_run_cases ("operation_schema");
}

static void
test_validate_schema_definitions (void **state)
{
    s_run_cases ("schema_definitions");
}

static void
test_validate_blobs (void **state)
{
    s_run_cases ("blobs");
}

//  Every operation a node accepts in publish order fits its schema.
static void
test_validate_publish_sequence (void **state)
{
    schemas_t schemas;
    s_schemas_load (&schemas);
    json_t *root = panda_test_vectors ("publish_sequence.json");
    size_t i, actions[3] = {0};
    json_t *entry;
    json_array_foreach (json_object_get (root, "entries"), i, entry)
    {
        panda_error_t err;
        const char *hex = json_string_value (json_object_get (entry, "operation_hex"));
        if (s_validate_hex (&schemas, hex, &err) != PANDA_OK)
            fail_msg ("%s: %s", json_string_value (json_object_get (entry, "label")), err.message);
        const char *action = json_string_value (json_object_get (entry, "action"));
        actions[strcmp (action, "create") == 0 ? 0 : strcmp (action, "update") == 0 ? 1 : 2]++;
    }
    assert_int_equal (i, 89);
    assert_true (actions[0] > 0 && actions[1] > 0 && actions[2] > 0);
    json_decref (root);
    s_schemas_free (&schemas);
}

static void
test_validate_blob_vectors (void **state)
{
    schemas_t schemas;
    s_schemas_load (&schemas);
    json_t *root = panda_test_vectors ("blob.json");
    size_t i;
    json_t *piece;
    panda_error_t err;
    json_array_foreach (json_object_get (root, "pieces"), i, piece)
    {
        if (s_validate_hex (&schemas, json_string_value (json_object_get (piece, "operation_hex")), &err) !=
            PANDA_OK)
            fail_msg ("piece %zu: %s", i, err.message);
    }
    json_t *blob = json_object_get (root, "blob");
    if (s_validate_hex (&schemas, json_string_value (json_object_get (blob, "operation_hex")), &err) !=
        PANDA_OK)
        fail_msg ("blob: %s", err.message);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (root, "expected"), "max_piece_length")),
        PANDA_SCHEMA_BLOB_PIECE_MAX);
    json_decref (root);
    s_schemas_free (&schemas);
}

//  The reference accepts these (§11); we reject each with a clear message.
static void
test_validate_quirks_rejected (void **state)
{
    struct {
        const char *name, *message;
    } expected[] = {
        {"pinned_relation_list_given_as_flat_list",
         "field 'history' does not match schema: invalid field type 'hash[]', expected "
         "'pinned_relation_list(vector_tag_"
         "002097d3a1a0f3425d2909274d3b1bb3eba84047fac3f2392456ee4fede400e5ba2f)'"},
        {"field_type_unknown_relation_kind", "invalid 'schema_field_definition_v1' operation: 'type' field "
                                             "in schema field definitions is wrongly "
                                             "formatted"},
        {"field_type_trailing_garbage", "invalid 'schema_field_definition_v1' operation: 'type' field in "
                                        "schema field definitions is wrongly "
                                        "formatted"},
        {"schema_definition_without_fields", "invalid 'schema_definition_v1' operation: 'fields' field can "
                                             "not be empty, a schema needs 1 to 1024 "
                                             "fields"},
        {"blob_with_empty_pieces", "invalid 'blob_v1' operation: 'pieces' field can not be empty"},
    };
    schemas_t schemas;
    s_schemas_load (&schemas);
    json_t *root = panda_test_vectors ("quirks.json");
    json_t *cases = json_object_get (root, "schema_and_blob");
    assert_int_equal (json_array_size (cases), sizeof expected / sizeof expected[0]);
    size_t i;
    json_t *c;
    json_array_foreach (cases, i, c)
    {
        panda_error_t err;
        assert_string_equal (json_string_value (json_object_get (c, "name")), expected[i].name);
        assert_int_equal (
            s_validate_hex (&schemas, json_string_value (json_object_get (c, "operation_hex")), &err),
            PANDA_ERR_SCHEMA);
        assert_string_equal (err.message, expected[i].message);
    }
    json_decref (root);
    s_schemas_free (&schemas);
}

//  Build an operation by hand and validate it against schema.
static panda_err_t
s_validate_built (const panda_schema_t *schema, panda_action_t action, const char *field,
                  const panda_value_t *value, panda_error_t *err)
{
    panda_hash_t previous;
    panda_hash_compute (&previous, "prev", 4);
    panda_operation_t *operation = panda_operation_new (action, panda_schema_id (schema), &previous,
                                                        action == PANDA_ACTION_CREATE ? 0 : 1, err);
    assert_non_null (operation);
    if (field)
        assert_int_equal (panda_operation_set_field (operation, field, value, err), PANDA_OK);
    panda_err_t rc = panda_schema_validate_operation (schema, operation, err);
    panda_operation_destroy (&operation);
    return rc;
}

static void
test_validate_built_operations (void **state)
{
    panda_error_t err;
    const panda_schema_t *piece = panda_schema_system ("blob_piece_v1");
    const panda_schema_t *blob = panda_schema_system ("blob_v1");
    const panda_schema_t *definition = panda_schema_system ("schema_definition_v1");
    panda_value_t value;
    //  A piece of exactly 256000 bytes is fine, one more byte is not.
    uint8_t *data = calloc (1, PANDA_SCHEMA_BLOB_PIECE_MAX + 1);
    assert_int_equal (panda_value_set_bytes (&value, data, PANDA_SCHEMA_BLOB_PIECE_MAX), PANDA_OK);
    assert_int_equal (s_validate_built (piece, PANDA_ACTION_CREATE, "data", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    assert_int_equal (panda_value_set_bytes (&value, data, PANDA_SCHEMA_BLOB_PIECE_MAX + 1), PANDA_OK);
    assert_int_equal (s_validate_built (piece, PANDA_ACTION_CREATE, "data", &value, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (
        err.message,
        "invalid 'blob_piece_v1' operation: 'data' field in blob is over maximum allowed length");
    //  ... also in an UPDATE.
    assert_int_equal (s_validate_built (piece, PANDA_ACTION_UPDATE, "data", &value, &err), PANDA_ERR_SCHEMA);
    panda_value_clear (&value);
    free (data);

    //  UPDATE: any subset, the content rules apply to what is given.
    assert_int_equal (s_validate_built (blob, PANDA_ACTION_UPDATE, NULL, NULL, &err), PANDA_OK);
    assert_int_equal (panda_value_set_str (&value, "image/png", 9), PANDA_OK);
    assert_int_equal (s_validate_built (blob, PANDA_ACTION_UPDATE, "mime_type", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    assert_int_equal (panda_value_set_str (&value, "image png", 9), PANDA_OK);
    assert_int_equal (s_validate_built (blob, PANDA_ACTION_UPDATE, "mime_type", &value, &err),
                      PANDA_ERR_SCHEMA);
    assert_string_equal (err.message,
                         "invalid 'blob_v1' operation: 'mime_type' field in blob is wrongly formatted");
    panda_value_clear (&value);
    //  A type error is reported, with the reference message.
    panda_value_set_int (&value, 5);
    assert_int_equal (s_validate_built (blob, PANDA_ACTION_UPDATE, "mime_type", &value, &err),
                      PANDA_ERR_SCHEMA);
    assert_string_equal (err.message,
                         "field 'mime_type' does not match schema: invalid field type 'int', expected 'str'");
    assert_int_equal (s_validate_built (blob, PANDA_ACTION_CREATE, "length", &value, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "missing required field: 'mime_type' of type str");
    //  DELETE carries no fields.
    assert_int_equal (s_validate_built (blob, PANDA_ACTION_DELETE, NULL, NULL, &err), PANDA_OK);

    //  Descriptions count characters: 257 'a' is one too many.
    char text[300];
    memset (text, 'a', sizeof text);
    assert_int_equal (panda_value_set_str (&value, text, 256), PANDA_OK);
    assert_int_equal (s_validate_built (definition, PANDA_ACTION_UPDATE, "description", &value, &err),
                      PANDA_OK);
    panda_value_clear (&value);
    assert_int_equal (panda_value_set_str (&value, text, 257), PANDA_OK);
    assert_int_equal (s_validate_built (definition, PANDA_ACTION_UPDATE, "description", &value, &err),
                      PANDA_ERR_SCHEMA);
    assert_string_equal (err.message,
                         "invalid 'schema_definition_v1' operation: 'description' field in schema field "
                         "definitions is wrongly formatted");
    panda_value_clear (&value);

    //  1024 field definitions are allowed, 1025 are not.
    panda_hash_t id;
    panda_hash_compute (&id, "f", 1);
    panda_value_set_hash_list_list (&value);
    for (int i = 0; i < PANDA_SCHEMA_FIELDS_MAX; i++)
        assert_int_equal (panda_value_append_list (&value, &id, 1), PANDA_OK);
    assert_int_equal (s_validate_built (definition, PANDA_ACTION_UPDATE, "fields", &value, &err), PANDA_OK);
    assert_int_equal (panda_value_append_list (&value, &id, 1), PANDA_OK);
    assert_int_equal (s_validate_built (definition, PANDA_ACTION_UPDATE, "fields", &value, &err),
                      PANDA_ERR_SCHEMA);
    assert_string_equal (err.message,
                         "invalid 'schema_definition_v1' operation: 'fields' field in schema field "
                         "definitions is wrongly formatted");
    panda_value_clear (&value);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_validate_reference),
        cmocka_unit_test (test_validate_operation_schema),
        cmocka_unit_test (test_validate_schema_definitions),
        cmocka_unit_test (test_validate_blobs),
        cmocka_unit_test (test_validate_publish_sequence),
        cmocka_unit_test (test_validate_blob_vectors),
        cmocka_unit_test (test_validate_quirks_rejected),
        cmocka_unit_test (test_validate_built_operations),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
