/*  test_schema_id.c - schema id parsing against schema.json, invalid.json
    and quirks.json.                                                         */
#include "panda_test.h"
#include "panda/panda_schema_id.h"
#include "panda_cbor.h"

#define S_ITEM_ID "vector_item_002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f"

//  Simplest use: parse an application id, look at it, print it back.
static void
test_schema_id_simple (void **state)
{
    panda_schema_id_t id;
    panda_error_t err;
    assert_int_equal (panda_schema_id_parse (&id, S_ITEM_ID, strlen (S_ITEM_ID), &err), PANDA_OK);
    assert_int_equal (id.kind, PANDA_SCHEMA_ID_APPLICATION);
    assert_int_equal (id.system, PANDA_SYSTEM_SCHEMA_NONE);
    assert_string_equal (id.name, "vector_item");
    assert_int_equal (id.n_view_ids, 1);
    char hex[PANDA_HASH_HEX_SIZE + 1];
    assert_string_equal (panda_hash_to_hex (&id.view_ids[0], hex),
                         "002071098b86ef93d33c02275b922f43e0815d0e9f211900ab9ba987d3527734a33f");
    char *text = panda_schema_id_format (&id);
    assert_string_equal (text, S_ITEM_ID);
    free (text);
    panda_schema_id_clear (&id);
    assert_null (id.view_ids);

    assert_int_equal (panda_schema_id_parse (&id, "blob_piece_v1", 13, &err), PANDA_OK);
    assert_int_equal (id.kind, PANDA_SCHEMA_ID_SYSTEM);
    assert_int_equal (id.system, PANDA_SYSTEM_SCHEMA_BLOB_PIECE);
    assert_string_equal (id.name, "blob_piece");
    assert_int_equal (id.version, 1);
    text = panda_schema_id_format (&id);
    assert_string_equal (text, "blob_piece_v1");
    free (text);
    panda_schema_id_clear (&id);
}

static void
test_schema_id_system (void **state)
{
    static const char *ids[] = {"schema_definition_v1", "schema_field_definition_v1", "blob_v1",
                                "blob_piece_v1"};
    for (size_t i = 0; i < 4; i++) {
        panda_schema_id_t id;
        assert_int_equal (panda_schema_id_parse (&id, ids[i], strlen (ids[i]), NULL), PANDA_OK);
        assert_int_equal (id.system, PANDA_SYSTEM_SCHEMA_DEFINITION + (int) i);
        assert_string_equal (panda_system_schema_id (id.system), ids[i]);
        panda_schema_id_clear (&id);
    }
    assert_null (panda_system_schema_id (PANDA_SYSTEM_SCHEMA_NONE));
}

//  Schema ids and "hash ids" of schema.json.
static void
test_schema_id_schema_vectors (void **state)
{
    json_t *root = panda_test_vectors ("schema.json");
    size_t i;
    json_t *def;
    json_array_foreach (json_object_get (root, "schema_definitions"), i, def)
    {
        const char *text = json_string_value (json_object_get (def, "schema_id"));
        panda_schema_id_t id;
        panda_error_t err;
        assert_int_equal (panda_schema_id_parse (&id, text, strlen (text), &err), PANDA_OK);
        assert_string_equal (id.name, json_string_value (json_object_get (def, "name")));
        char *hash_id = panda_schema_id_hash_id (&id);
        assert_string_equal (hash_id, json_string_value (json_object_get (def, "schema_hash_id")));
        free (hash_id);
        char *view = panda_schema_id_format (&id);
        assert_string_equal (view + strlen (id.name) + 1,
                             json_string_value (json_object_get (def, "schema_definition_view_id")));
        free (view);
        panda_schema_id_clear (&id);
    }
    //  System schema names, and relation targets inside field types.
    const char *name;
    json_t *schema;
    json_object_foreach (json_object_get (root, "system_schemas"), name, schema)
        assert_int_equal (panda_schema_id_validate (name, strlen (name), NULL), PANDA_OK);
    json_array_foreach (json_object_get (root, "field_definitions"), i, def)
    {
        const char *type = json_string_value (json_object_get (def, "type"));
        const char *open = strchr (type, '(');
        if (open)
            assert_int_equal (panda_schema_id_validate (open + 1, strlen (open + 1) - 1, NULL), PANDA_OK);
    }
    json_decref (root);
}

//  The schema id (third item) of an encoded operation.
static char *
s_schema_id_of (const char *operation_hex)
{
    size_t len;
    uint8_t *bytes = panda_test_unhex (operation_hex, &len);
    panda_cbor_reader_t r;
    panda_cbor_head_t head;
    const uint8_t *text;
    panda_cbor_reader_init (&r, bytes, len);
    for (int i = 0; i < 4; i++)
        assert_int_equal (panda_cbor_read_head (&r, &head, NULL), PANDA_OK);
    assert_int_equal (head.major, PANDA_CBOR_TEXT);
    assert_int_equal (panda_cbor_read_payload (&r, head.arg, &text, NULL), PANDA_OK);
    char *id = strndup ((const char *) text, head.arg);
    free (bytes);
    return id;
}

//  invalid.json operation_decode cases whose name starts with schema_id_
//  (except the byte-string one): same message as the reference.
static void
test_schema_id_invalid_vectors (void **state)
{
    json_t *root = panda_test_vectors ("invalid.json");
    size_t i, checked = 0;
    json_t *c;
    json_array_foreach (json_object_get (root, "operation_decode"), i, c)
    {
        const char *name = json_string_value (json_object_get (c, "name"));
        if (strncmp (name, "schema_id_", 10) != 0 || strcmp (name, "schema_id_as_bytes") == 0)
            continue;
        char *text = s_schema_id_of (json_string_value (json_object_get (c, "operation_hex")));
        panda_error_t err;
        panda_schema_id_t id;
        assert_int_equal (panda_schema_id_parse (&id, text, strlen (text), &err), PANDA_ERR_DECODE);
        assert_null (id.view_ids);
        assert_string_equal (err.message, json_string_value (json_object_get (c, "reference_error")));
        free (text);
        checked++;
    }
    assert_int_equal (checked, 11);
    json_decref (root);
}

//  Ids the reference reads leniently: we reject them.
static void
test_schema_id_strict (void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"schema_definition_v01", "malformed schema id `schema_definition_v01`: system schema version is not "
                                  "written canonically"},
        {"blob_v+1", "malformed schema id `blob_v+1`: system schema version is not written canonically"},
        {"blob_v", "malformed schema id `blob_v`: couldn't parse system schema version"},
        {"blob_v-1", "malformed schema id `blob_v-1`: couldn't parse system schema version"},
        {"blob_v0", "unsupported system schema version: blob_v0"},
        {"schema_definition_v2", "unsupported system schema version: schema_definition_v2"},
        {"vector_item_0020EE0AA5190F3C680FBD8AF9962D5684B5595C284D7D29C690720974A6B60EF09E",
         "encountered invalid hash while parsing application schema id: upper-case hex is not canonical"},
        {"venue_0021ee0aa5190f3c680fbd8af9962d5684b5595c284d7d29c690720974a6b60ef09e",
         "encountered invalid hash while parsing application schema id: can not decode YASMF BLAKE3 hash"},
        {"venue_",
         "encountered invalid hash while parsing application schema id: invalid hash length 0 bytes, "
         "expected 34 bytes"},
        {"0020ee0aa5190f3c680fbd8af9962d5684b5595c284d7d29c690720974a6b60ef09e_"
         "0020ee0aa5190f3c680fbd8af9962d5684b5595c284d7d29c690720974a6b60ef09f",
         "application schema id is missing a name: "
         "0020ee0aa5190f3c680fbd8af9962d5684b5595c284d7d29c690720974a6b60ef09e_"
         "0020ee0aa5190f3c680fbd8af9962d5684b5595c284d7d29c690720974a6b60ef09f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        assert_int_equal (panda_schema_id_validate (cases[i].text, strlen (cases[i].text), &err),
                          PANDA_ERR_DECODE);
        assert_string_equal (err.message, cases[i].message);
    }
    //  The text need not be NUL-terminated: only len bytes are read.
    assert_int_equal (panda_schema_id_validate ("blob_v1xyz", 7, NULL), PANDA_OK);
}

static void
test_schema_id_multi_view (void **state)
{
    const char *text = "venue_002025690f9d4d0456a8268869ecd70ad8c06c356ddf0ad1e3f909758d5ca1689ec1_"
                       "0020ee0aa5190f3c680fbd8af9962d5684b5595c284d7d29c690720974a6b60ef09e";
    panda_schema_id_t id;
    assert_int_equal (panda_schema_id_parse (&id, text, strlen (text), NULL), PANDA_OK);
    assert_int_equal (id.n_view_ids, 2);
    assert_true (panda_hash_cmp (&id.view_ids[0], &id.view_ids[1]) < 0);
    char *back = panda_schema_id_format (&id);
    assert_string_equal (back, text);
    free (back);
    panda_schema_id_clear (&id);
}

static void
test_schema_name_rules (void **state)
{
    assert_true (panda_schema_name_valid ("ab", 2));
    assert_true (panda_schema_name_valid ("a_1", 3));
    assert_false (panda_schema_name_valid ("a", 1));
    assert_false (panda_schema_name_valid ("a_", 2));
    assert_false (panda_schema_name_valid ("1a", 2));
    assert_false (panda_schema_name_valid ("a-b", 3));
    char name[66];
    memset (name, 'n', sizeof name);
    assert_true (panda_schema_name_valid (name, 64));
    assert_false (panda_schema_name_valid (name, 65));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_schema_id_simple),         cmocka_unit_test (test_schema_id_system),
        cmocka_unit_test (test_schema_id_schema_vectors), cmocka_unit_test (test_schema_id_invalid_vectors),
        cmocka_unit_test (test_schema_id_strict),         cmocka_unit_test (test_schema_id_multi_view),
        cmocka_unit_test (test_schema_name_rules),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
