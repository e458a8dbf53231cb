/*  test_schema.c - system schemas, field types, name/mime checks, and the
    two application schemas of schema.json built from their definitions.   */
#include "panda_test.h"
#include "panda/panda_schema.h"

#include <stdio.h>

#define H1 "0020065c73270929984625642756ef7ede5c864f2425c3b3d5995f03bc3fcedd3480"
#define H2 "002026d5fce52a8b3cfbb5e1cd5e9be38886d7720358e65b8f899bcab9ed8d6560ce"

//  Simplest use: look up a system schema and read its fields.
static void
test_schema_system (void **state)
{
    json_t *root = panda_test_vectors ("schema.json");
    json_t *expected = json_object_get (root, "system_schemas");
    const char *id;
    json_t *entry;
    size_t systems = 0;
    json_object_foreach (expected, id, entry)
    {
        const panda_schema_t *schema = panda_schema_system (id);
        assert_non_null (schema);
        assert_true (panda_schema_is_system (schema));
        assert_string_equal (panda_schema_id (schema), id);
        json_t *fields = json_object_get (entry, "fields");
        assert_int_equal (panda_schema_field_count (schema), json_object_size (fields));
        //  json_object_foreach keeps file order, which is sorted by name.
        const char *name;
        json_t *type;
        size_t i = 0;
        json_object_foreach (fields, name, type)
        {
            assert_string_equal (panda_schema_field_name (schema, i), name);
            assert_string_equal (panda_schema_field_type (schema, i), json_string_value (type));
            assert_int_equal (panda_schema_field_index (schema, name), (long) i);
            i++;
        }
        systems++;
    }
    assert_int_equal (systems, 4);
    json_decref (root);

    const panda_schema_t *blob = panda_schema_system ("blob_v1");
    assert_string_equal (panda_schema_name (blob), "blob");
    assert_string_equal (panda_schema_description (blob), "Definition of a blob file.");
    assert_int_equal (panda_schema_field_kind (blob, 2), PANDA_FIELD_PINNED_RELATION_LIST);
    assert_string_equal (panda_schema_field_target (blob, 2), "blob_piece_v1");
    assert_null (panda_schema_field_target (blob, 0));
    assert_int_equal (panda_schema_field_index (blob, "nope"), -1);
    assert_string_equal (panda_schema_description (panda_schema_system ("schema_definition_v1")),
                         "Publish data schemas for your application.");
    assert_string_equal (panda_schema_description (panda_schema_system ("schema_field_definition_v1")),
                         "Define fields for application data schemas.");
    assert_string_equal (panda_schema_description (panda_schema_system ("blob_piece_v1")),
                         "Representation of the (partial) binary data of a file.");
    assert_null (panda_schema_system ("blob_v2"));
    assert_null (panda_schema_system ("blob_v01"));
    assert_null (panda_schema_system ("venue_" H1));
    assert_null (panda_schema_system (NULL));

    //  A copy is a heap schema with the same content.
    panda_schema_t *copy = panda_schema_dup (blob);
    assert_non_null (copy);
    assert_false (panda_schema_is_system (copy));
    assert_string_equal (panda_schema_id (copy), "blob_v1");
    assert_string_equal (panda_schema_field_type (copy, 2), "pinned_relation_list(blob_piece_v1)");
    assert_string_equal (panda_schema_field_target (copy, 2), "blob_piece_v1");
    panda_schema_destroy (&copy);
    assert_null (copy);
    panda_schema_destroy (&copy);
}

static void
test_schema_field_type_valid (void **state)
{
    struct {
        const char *text;
        panda_field_kind_t kind;
        const char *target;
    } cases[] = {
        {"bool", PANDA_FIELD_BOOL, NULL},
        {"int", PANDA_FIELD_INT, NULL},
        {"float", PANDA_FIELD_FLOAT, NULL},
        {"str", PANDA_FIELD_STR, NULL},
        {"bytes", PANDA_FIELD_BYTES, NULL},
        {"relation(blob_v1)", PANDA_FIELD_RELATION, "blob_v1"},
        {"relation_list(schema_definition_v1)", PANDA_FIELD_RELATION_LIST, "schema_definition_v1"},
        {"pinned_relation(blob_piece_v1)", PANDA_FIELD_PINNED_RELATION, "blob_piece_v1"},
        {"pinned_relation_list(schema_field_definition_v1)", PANDA_FIELD_PINNED_RELATION_LIST,
         "schema_field_definition_v1"},
        {"relation(venue_" H1 ")", PANDA_FIELD_RELATION, "venue_" H1},
        {"relation(venue_" H1 "_" H2 ")", PANDA_FIELD_RELATION, "venue_" H1 "_" H2},
        {"pinned_relation(Ab_" H2 ")", PANDA_FIELD_PINNED_RELATION, "Ab_" H2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_field_kind_t kind;
        size_t offset, len;
        panda_error_t err;
        const char *text = cases[i].text;
        if (panda_field_type_parse (text, strlen (text), &kind, &offset, &len, &err) != PANDA_OK)
            fail_msg ("'%s' rejected: %s", text, err.message);
        assert_int_equal (kind, cases[i].kind);
        char out[400];
        if (cases[i].target) {
            assert_int_equal (len, strlen (cases[i].target));
            assert_memory_equal (text + offset, cases[i].target, len);
            assert_true (panda_field_kind_is_relation (kind));
            assert_int_equal (panda_field_type_format (kind, cases[i].target, out, sizeof out),
                              strlen (text));
        } else {
            assert_int_equal (len, 0);
            assert_false (panda_field_kind_is_relation (kind));
            assert_string_equal (panda_field_kind_name (kind), text);
            assert_int_equal (panda_field_type_format (kind, NULL, out, sizeof out), strlen (text));
        }
        assert_string_equal (out, text);
    }
}

static void
test_schema_field_type_invalid (void **state)
{
    struct {
        const char *text, *message;
    } cases[] = {
        {"", "unknown field type ''"},
        {"string", "unknown field type 'string'"},
        {"Bool", "unknown field type 'Bool'"},
        {"relation", "field type 'relation' needs a schema id: 'relation(<schema id>)'"},
        {"pinned_relation_list", "field type 'pinned_relation_list' needs a schema id: "
                                 "'pinned_relation_list(<schema id>)'"},
        //  quirks.json field_type_unknown_relation_kind / _trailing_garbage
        {"banana(blob_v1)", "unknown field type 'banana(blob_v1)'"},
        {"relation(blob_v1) trailing",
         "unexpected text after ')' in field type 'relation(blob_v1) trailing'"},
        {"relation(blob_v1))", "unexpected text after ')' in field type 'relation(blob_v1))'"},
        {"relation (blob_v1)", "unknown field type 'relation (blob_v1)'"},
        {"str(blob_v1)", "field type 'str' takes no schema id"},
        {"relation(blob_v1", "missing ')' in field type 'relation(blob_v1'"},
        {"relation()", "invalid or non-canonical schema id in field type 'relation()'"},
        {"relation(not_a_schema)",
         "invalid or non-canonical schema id in field type 'relation(not_a_schema)'"},
        {"relation(blob_v01)", "invalid or non-canonical schema id in field type 'relation(blob_v01)'"},
        {"relation(blob_v+1)", "invalid or non-canonical schema id in field type 'relation(blob_v+1)'"},
        {"relation(blob_v256)", "invalid or non-canonical schema id in field type 'relation(blob_v256)'"},
        {"relation(blob_v)", "invalid or non-canonical schema id in field type 'relation(blob_v)'"},
        {"relation(venue_v1)", "invalid or non-canonical schema id in field type 'relation(venue_v1)'"},
        {"relation(blob)", "invalid or non-canonical schema id in field type 'relation(blob)'"},
        //  Strict like panda_schema_id: there is no system schema version but 1.
        {"relation(blob_v2)", "invalid or non-canonical schema id in field type 'relation(blob_v2)'"},
        {"relation(blob_v0)", "invalid or non-canonical schema id in field type 'relation(blob_v0)'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_field_kind_t kind;
        size_t offset, len;
        panda_error_t err;
        assert_int_equal (
            panda_field_type_parse (cases[i].text, strlen (cases[i].text), &kind, &offset, &len, &err),
            PANDA_ERR_SCHEMA);
        assert_string_equal (err.message, cases[i].message);
    }
    //  Application ids inside a type: canonical hex, sorted, unique, a valid name.
    const char *bad_targets[] = {
        "venue_" H2 "_" H1, //  unsorted
        "venue_" H1 "_" H1, //  duplicate
        "venue_0020065C73270929984625642756EF7EDE5C864F2425C3B3D5995F03BC3FCEDD3480", //  upper case
        "x_" H1, //  one-char name
        "venue__" H1, //  name ends with '_'
        "1venue_" H1, //  name starts with a digit
        "_" H1, //  no name
        H1, //  no underscore
        "venue_0120065c73270929984625642756ef7ede5c864f2425c3b3d5995f03bc3fcedd3480", //  not YASMF
        "venue_0020065c", //  short hash
        "venue_" H1 "_", //  trailing '_'
    };
    for (size_t i = 0; i < sizeof bad_targets / sizeof bad_targets[0]; i++) {
        char text[400];
        panda_field_kind_t kind;
        snprintf (text, sizeof text, "relation(%s)", bad_targets[i]);
        if (panda_field_type_parse (text, strlen (text), &kind, NULL, NULL, NULL) == PANDA_OK)
            fail_msg ("'%s' accepted", text);
    }
}

static void
test_schema_names (void **state)
{
    const char *a64 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const char *a65 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const char *good_schema[] = {"ab", "A1", "a_b", "venues_with_garden", "And_Their_Special_Variants", a64};
    const char *bad_schema[] = {"",
                                "a",
                                "a_",
                                "1a",
                                "_a",
                                "a-b",
                                "venues_",
                                "icecr\xc3\xbc"
                                "mm",
                                "a b",
                                a65};
    const char *good_field[] = {"a", "x_", "a__is___", "c0_1_2_1_a_b_4_____", a64};
    const char *bad_field[] = {"", "1st", "_a", "a-b", "ven\xc3\xbc", a65};
    for (size_t i = 0; i < sizeof good_schema / sizeof good_schema[0]; i++)
        assert_true (panda_schema_name_valid (good_schema[i], strlen (good_schema[i])));
    for (size_t i = 0; i < sizeof bad_schema / sizeof bad_schema[0]; i++)
        assert_false (panda_schema_name_valid (bad_schema[i], strlen (bad_schema[i])));
    for (size_t i = 0; i < sizeof good_field / sizeof good_field[0]; i++)
        assert_true (panda_schema_field_name_is_valid (good_field[i], strlen (good_field[i])));
    for (size_t i = 0; i < sizeof bad_field / sizeof bad_field[0]; i++)
        assert_false (panda_schema_field_name_is_valid (bad_field[i], strlen (bad_field[i])));
}

static void
test_schema_description (void **state)
{
    char text[2048];
    //  256 two-byte characters are fine, 257 are not.
    for (int i = 0; i < 257; i++)
        memcpy (text + 2 * i, "\xc3\xa9", 2);
    assert_true (panda_schema_description_is_valid (text, 512));
    assert_false (panda_schema_description_is_valid (text, 514));
    //  Four-byte characters count once.
    for (int i = 0; i < 256; i++)
        memcpy (text + 4 * i, "\xf0\x9f\x90\xbc", 4);
    assert_true (panda_schema_description_is_valid (text, 1024));
    assert_true (panda_schema_description_is_valid ("", 0));
    const char *bad[] = {"\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false (panda_schema_description_is_valid (bad[i], strlen (bad[i])));
}

static void
test_schema_mime_type (void **state)
{
    const char *good[] = {
        "image/png",
        "video/webm",
        "x-conference/x-cooltalk",
        "application/vnd.cluetrust.cartomobile-config-pkg",
        "application/emma+xml",
        "my/made.up.mime.type",
        "text/a|b",
        "a/b",
        "-/b",
        "---/b",
        "abcdefghijkl/x", //  type part: 12 chars
        "a/bbbbbbbbbbbbbbbb", //  last token: 16 chars
        "a/bbbbbbbbbbbbbbbbbb.c", //  earlier token: 18 chars
        "a/b.c.d.e.f.g.h", //  6 separators
        "a/b|c+d-e.f|g+h",
        "a/0",
        "a/1.2",
    };
    const char *bad[] = {
        "",
        "a",
        "a/",
        "/b",
        "A/b",
        "a/B",
        "Image/PNG",
        "octetstream",
        "text/plain; charset=utf-8",
        "abcdefghijklm/x", //  type part: 13 chars
        "a/bbbbbbbbbbbbbbbbb", //  last token: 17 chars
        "a/bbbbbbbbbbbbbbbbbbb.c", //  earlier token: 19 chars
        "a/b.c.d.e.f.g.h.i", //  7 separators
        "a/.b",
        "a/b.",
        "a/b..c",
        "application/vnd..x",
        "a/b/c",
        "a//b",
        "a_b/c",
        "a1/b",
        "a/b c",
        "wrong/f o r m a t",
        "wrong/!format!",
        "wro.ng/for..mat",
        "this/mime.type.hasoneelementwhichiswaytoolong",
        "thismimetypealsohasonelongelement/one.element.too.long",
        "a/b_c",
        "a/-b",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!panda_schema_mime_type_is_valid (good[i], strlen (good[i])))
            fail_msg ("'%s' rejected", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (panda_schema_mime_type_is_valid (bad[i], strlen (bad[i])))
            fail_msg ("'%s' accepted", bad[i]);
}

static void
test_schema_build_vectors (void **state)
{
    json_t *root = panda_test_vectors ("schema.json");
    json_t *results = json_object_get (root, "resulting_schemas");
    json_t *defs = json_object_get (root, "schema_definitions");
    assert_int_equal (json_array_size (results), 2);
    for (size_t which = 0; which < json_array_size (defs); which++) {
        panda_schema_t *schema = panda_test_vector_schema (root, which);
        json_t *sd = json_array_get (defs, which);
        json_t *expected = json_array_get (results, which);
        assert_string_equal (panda_schema_id (schema),
                             json_string_value (json_object_get (expected, "schema_id")));
        assert_string_equal (panda_schema_id (schema), json_string_value (json_object_get (sd, "schema_id")));
        assert_string_equal (panda_schema_name (schema), json_string_value (json_object_get (sd, "name")));
        assert_string_equal (panda_schema_description (schema),
                             json_string_value (json_object_get (sd, "description")));
        json_t *sorted = json_object_get (sd, "fields_sorted_by_name");
        assert_int_equal (panda_schema_field_count (schema), json_array_size (sorted));
        for (size_t i = 0; i < json_array_size (sorted); i++) {
            json_t *f = json_array_get (sorted, i);
            const char *name = json_string_value (json_object_get (f, "name"));
            assert_string_equal (panda_schema_field_name (schema, i), name);
            assert_string_equal (panda_schema_field_type (schema, i),
                                 json_string_value (json_object_get (f, "type")));
            assert_string_equal (
                panda_schema_field_type (schema, i),
                json_string_value (json_object_get (json_object_get (expected, "fields"), name)));
        }
        panda_schema_destroy (&schema);
    }
    //  vector_item uses all nine kinds.
    panda_schema_t *item = panda_test_vector_schema (root, 1);
    assert_int_equal (panda_schema_field_kind (item, panda_schema_field_index (item, "history")),
                      PANDA_FIELD_PINNED_RELATION_LIST);
    assert_string_equal (panda_schema_field_target (item, panda_schema_field_index (item, "cover")),
                         "blob_v1");
    panda_schema_t *copy = panda_schema_dup (item);
    panda_schema_destroy (&item);
    assert_string_equal (panda_schema_field_type (copy, 0), "int");
    panda_schema_destroy (&copy);
    json_decref (root);
}

//  Build from one-field definitions; returns the error code, message in err.
static panda_err_t
s_try_build (const char *name, const char *description, const char *field_name, const char *type,
             size_t field_count, bool resolvable, panda_error_t *err)
{
    panda_hash_t view, field_view, other;
    panda_hash_compute (&view, "def", 3);
    panda_hash_compute (&field_view, "field", 5);
    panda_hash_compute (&other, "other", 5);
    panda_schema_field_def_t pool[] = {{&field_view, 1, field_name, type}, {&other, 1, "other", "str"}};
    panda_hash_list_t fields[] = {{1, resolvable ? &field_view : &view}, {1, &other}};
    panda_schema_def_t def = {&view, 1, name, description, fields, field_count};
    panda_schema_t *schema = panda_schema_build (&def, pool, 2, err);
    panda_err_t rc = schema ? PANDA_OK : err->code;
    panda_schema_destroy (&schema);
    return rc;
}

static void
test_schema_build_rejects (void **state)
{
    panda_error_t err;
    assert_int_equal (s_try_build ("venue", "", "title", "str", 2, true, &err), PANDA_OK);
    assert_int_equal (s_try_build ("venue", "", "title", "str", 0, true, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "schema 'venue' has no fields, a schema needs 1 to 1024 fields");
    assert_int_equal (s_try_build ("venue", "", "title", "str", 1, false, &err), PANDA_ERR_NOT_FOUND);
    assert_non_null (strstr (err.message, "of schema 'venue' not found"));
    assert_int_equal (s_try_build ("venue", "", "title", "banana(blob_v1)", 1, true, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "schema 'venue': unknown field type 'banana(blob_v1)'");
    assert_int_equal (s_try_build ("venue", "", "title", "relation(blob_v1) trailing", 1, true, &err),
                      PANDA_ERR_SCHEMA);
    assert_string_equal (
        err.message, "schema 'venue': unexpected text after ')' in field type 'relation(blob_v1) trailing'");
    assert_int_equal (s_try_build ("venue", "", "other", "str", 2, true, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "schema 'venue': duplicate field name 'other'");
    assert_int_equal (s_try_build ("venue", "", "", "str", 1, true, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "schema 'venue': invalid field name ''");
    assert_int_equal (s_try_build ("v", "", "title", "str", 1, true, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "invalid schema name 'v'");
    assert_int_equal (s_try_build ("venue", "\xff", "title", "str", 1, true, &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "schema description must be UTF-8 text of at most 256 characters");

    //  The definition view id must be canonical.
    panda_hash_t ids[2];
    panda_hash_compute (&ids[0], "a", 1);
    panda_hash_compute (&ids[1], "b", 1);
    if (panda_hash_cmp (&ids[0], &ids[1]) < 0) {
        panda_hash_t t = ids[0];
        ids[0] = ids[1];
        ids[1] = t;
    }
    panda_schema_field_def_t pool[] = {{&ids[0], 1, "title", "str"}};
    panda_hash_list_t fields[] = {{1, &ids[0]}};
    panda_schema_def_t def = {ids, 2, "venue", "", fields, 1};
    assert_null (panda_schema_build (&def, pool, 1, &err));
    assert_string_equal (err.message,
                         "schema definition view id must be one or more sorted, unique operation ids");
    //  Sorted, a two-id view id gives a two-id schema id.
    panda_hash_t sorted[2] = {ids[1], ids[0]};
    def.view_id = sorted;
    panda_schema_t *schema = panda_schema_build (&def, pool, 1, &err);
    assert_non_null (schema);
    char expected[200], h0[PANDA_HASH_HEX_SIZE + 1], h1[PANDA_HASH_HEX_SIZE + 1];
    snprintf (expected, sizeof expected, "venue_%s_%s", panda_hash_to_hex (&sorted[0], h0),
              panda_hash_to_hex (&sorted[1], h1));
    assert_string_equal (panda_schema_id (schema), expected);
    panda_schema_destroy (&schema);
}

static void
test_schema_new (void **state)
{
    panda_error_t err;
    panda_schema_t *schema = panda_schema_new ("venue_" H1, "venue", "Places", &err);
    assert_non_null (schema);
    assert_int_equal (panda_schema_add_field (schema, "name", "str", &err), PANDA_OK);
    assert_int_equal (panda_schema_add_field (schema, "capacity", "int", &err), PANDA_OK);
    assert_int_equal (panda_schema_add_field (schema, "owner", "relation(blob_v1)", &err), PANDA_OK);
    assert_int_equal (panda_schema_add_field (schema, "name", "int", &err), PANDA_ERR_SCHEMA);
    assert_string_equal (err.message, "duplicate field name 'name'");
    assert_int_equal (panda_schema_field_count (schema), 3);
    assert_string_equal (panda_schema_field_name (schema, 0), "capacity");
    assert_string_equal (panda_schema_field_name (schema, 1), "name");
    assert_string_equal (panda_schema_field_name (schema, 2), "owner");
    assert_null (panda_schema_field_name (schema, 3));
    panda_schema_destroy (&schema);

    //  The id must be the name plus a canonical view id.
    assert_null (panda_schema_new ("venue_" H1, "venues", "", &err));
    assert_int_equal (err.code, PANDA_ERR_SCHEMA);
    assert_null (panda_schema_new ("ab_venue_" H1, "ab", "", &err));
    assert_null (panda_schema_new ("venue_" H2 "_" H1, "venue", "", &err));
    assert_null (panda_schema_new ("blob_v1", "blob", "", &err));

    //  At most 1024 fields.
    schema = panda_schema_new ("venue_" H1, "venue", "", &err);
    char name[16];
    for (int i = 0; i < PANDA_SCHEMA_FIELDS_MAX; i++) {
        snprintf (name, sizeof name, "f%d", i);
        assert_int_equal (panda_schema_add_field (schema, name, "bool", &err), PANDA_OK);
    }
    assert_int_equal (panda_schema_add_field (schema, "last", "bool", &err), PANDA_ERR_LIMIT);
    assert_int_equal (panda_schema_field_index (schema, "f999"), 1023);
    panda_schema_destroy (&schema);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_schema_system),
        cmocka_unit_test (test_schema_field_type_valid),
        cmocka_unit_test (test_schema_field_type_invalid),
        cmocka_unit_test (test_schema_names),
        cmocka_unit_test (test_schema_description),
        cmocka_unit_test (test_schema_mime_type),
        cmocka_unit_test (test_schema_build_vectors),
        cmocka_unit_test (test_schema_build_rejects),
        cmocka_unit_test (test_schema_new),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
