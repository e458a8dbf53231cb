/*  test_toml.c - the config-file TOML reader.                              */
#include "panda_test.h"
#include "panda_toml.h"

static json_t *
s_parse (const char *text, panda_error_t *err)
{
    return panda_toml_parse (text, strlen (text), err);
}

//  Simplest use: flat keys become a JSON object.
static void
test_toml_flat_keys (void **state)
{
    panda_error_t err;
    json_t *root = s_parse ("# node\nhttp_port = 2_020\nmdns = false\n"
                            "allow_schema_ids = \"*\" # all\nratio = 0.5\n",
                            &err);
    assert_non_null (root);
    assert_int_equal (json_integer_value (json_object_get (root, "http_port")), 2020);
    assert_true (json_is_false (json_object_get (root, "mdns")));
    assert_string_equal (json_string_value (json_object_get (root, "allow_schema_ids")), "*");
    assert_true (json_real_value (json_object_get (root, "ratio")) == 0.5);
    json_decref (root);
}

//  The shape of aquadoggo's shipped config.toml: commented multi-line arrays,
//  empty arrays, trailing commas.
static void
test_toml_arrays (void **state)
{
    panda_error_t err;
    json_t *root = s_parse ("direct_node_addresses = [\n    # \"192.0.2.0:2022\",\n]\n"
                            "block_peer_ids = []\n"
                            "allow_schema_ids = [\n  \"a_v1\", # first\n  'b_v1',\n]\n"
                            "nested = [[1, 2], [\"x\"]]\n",
                            &err);
    assert_non_null (root);
    assert_int_equal (json_array_size (json_object_get (root, "direct_node_addresses")), 0);
    assert_int_equal (json_array_size (json_object_get (root, "block_peer_ids")), 0);
    json_t *ids = json_object_get (root, "allow_schema_ids");
    assert_int_equal (json_array_size (ids), 2);
    assert_string_equal (json_string_value (json_array_get (ids, 1)), "b_v1");
    assert_int_equal (json_array_size (json_array_get (json_object_get (root, "nested"), 0)), 2);
    json_decref (root);
}

static void
test_toml_strings (void **state)
{
    panda_error_t err;
    json_t *root =
        s_parse ("a = \"tab\\tquote\\\" \\u00e9 \\U0001F43C\"\nb = 'C:\\raw'\n\"quoted key\" = 1\n", &err);
    assert_non_null (root);
    assert_string_equal (json_string_value (json_object_get (root, "a")),
                         "tab\tquote\" \xc3\xa9 \xf0\x9f\x90\xbc");
    assert_string_equal (json_string_value (json_object_get (root, "b")), "C:\\raw");
    assert_int_equal (json_integer_value (json_object_get (root, "quoted key")), 1);
    json_decref (root);
}

static void
test_toml_rejects_what_it_does_not_understand (void **state)
{
    struct {
        const char *text, *message;
    } cases[] = {
        {"[server]\nport = 1\n", "line 1: tables are not supported: config keys are top-level"},
        {"a = 1\na = 2\n", "line 2: duplicate key 'a'"},
        {"a = \"open\n", "line 1: unterminated string"},
        {"a = [1, 2\n", "line 2: unterminated array"},
        {"a = {x = 1}\n", "line 1: inline tables are not supported"},
        {"a = 1979-05-27\n", "line 1: unsupported or malformed value"},
        {"a 1\n", "line 1: expected '=' after key"},
        {"a = 1 b = 2\n", "line 1: expected a new line after the value"},
        {"a.b = 1\n", "line 1: dotted keys are not supported"},
        {"a = \"\\q\"\n", "line 1: unknown escape in string"},
        {"a = \"\\ud800\"\n", "line 1: escape is not a Unicode scalar value"},
        {"a = \"\"\"x\"\"\"\n", "line 1: multi-line strings are not supported"},
        {"a = [[[[[[[[[1]]]]]]]]]\n", "line 1: arrays nested too deep"},
        {"= 1\n", "line 1: expected a key"},
        {"a =\n", "line 1: expected a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        json_t *root = s_parse (cases[i].text, &err);
        if (root)
            fail_msg ("accepted: %s", cases[i].text);
        assert_int_equal (err.code, PANDA_ERR_DECODE);
        assert_string_equal (err.message, cases[i].message);
    }
}

//  A config file shaped like the one aquadoggo ships must load:
//  an aquadoggo user's file works with pandad.
static void
test_toml_reads_aquadoggo_config (void **state)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/../data/aquadoggo-style-config.toml", PANDA_TEST_VECTORS);
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    char *text = malloc (1 << 16);
    size_t len = fread (text, 1, 1 << 16, f);
    fclose (f);
    panda_error_t err;
    json_t *root = panda_toml_parse (text, len, &err);
    if (!root)
        fail_msg ("%s", err.message);
    assert_string_equal (json_string_value (json_object_get (root, "allow_schema_ids")), "*");
    assert_int_equal (json_integer_value (json_object_get (root, "http_port")), 2020);
    assert_int_equal (json_integer_value (json_object_get (root, "worker_pool_size")), 16);
    assert_true (json_is_true (json_object_get (root, "mdns")));
    json_decref (root);
    free (text);
}

static json_t *
s_doc (const char *text, panda_error_t *err)
{
    return panda_toml_parse_document (text, strlen (text), err);
}

//  fishy's schema.toml: tables, dotted headers, inline tables in inline tables.
static void
test_toml_document_tables (void **state)
{
    panda_error_t err;
    json_t *root = s_doc ("[event]\ndescription = \"An event\"\n\n[event.fields]\ndate = { type = \"int\" }\n"
                          "venue = { type = \"relation\", schema = { name = \"venue\" } }\n"
                          "[venue.fields.name]\ntype = 'str'\n\"quoted key\".x.y = 1 # comment\n",
                          &err);
    if (!root)
        fail_msg ("%s", err.message);
    json_t *event = json_object_get (root, "event");
    assert_string_equal (json_string_value (json_object_get (event, "description")), "An event");
    json_t *venue = json_object_get (json_object_get (event, "fields"), "venue");
    assert_string_equal (json_string_value (json_object_get (venue, "type")), "relation");
    assert_string_equal (json_string_value (json_object_get (json_object_get (venue, "schema"), "name")),
                         "venue");
    json_t *name = json_object_get (json_object_get (json_object_get (root, "venue"), "fields"), "name");
    assert_string_equal (json_string_value (json_object_get (name, "type")), "str");
    json_t *quoted = json_object_get (name, "quoted key");
    assert_int_equal (json_integer_value (json_object_get (json_object_get (quoted, "x"), "y")), 1);
    json_decref (root);
}

//  fishy's schema.lock: [[commits]] appends a table each time.
static void
test_toml_document_array_of_tables (void **state)
{
    panda_error_t err;
    json_t *root = s_doc (
        "version = 1\n\n[[commits]]\na = \"1\"\n\n[[commits]]\na = \"2\"\n[commits.sub]\nb = 3\n", &err);
    if (!root)
        fail_msg ("%s", err.message);
    json_t *commits = json_object_get (root, "commits");
    assert_int_equal (json_array_size (commits), 2);
    assert_string_equal (json_string_value (json_object_get (json_array_get (commits, 1), "a")), "2");
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (json_array_get (commits, 1), "sub"), "b")), 3);
    json_decref (root);
}

static void
test_toml_document_rejects_redefinitions (void **state)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"[a]\nx = 1\n[a]\ny = 2\n", "line 3: table 'a' is defined twice"},
        {"a = { x = 1 }\n[a]\n", "line 2: table 'a' is defined twice"},
        {"a = { x = 1 }\na.y = 2\n", "line 2: key 'a' is not a table that can be extended"},
        {"a = 1\n[a.b]\n", "line 2: key 'a' is not a table"},
        {"a = [1]\n[[a]]\n", "line 2: key 'a' is not an array of tables"},
        {"[[a]]\n[a]\n", "line 2: table 'a' is defined twice"},
        {"a = { x = 1, }\n", "line 1: expected a key"},
        {"a = { x = 1\n}\n", "line 1: unterminated inline table (it must end on its line)"},
        {"a = { x = 1, x = 2 }\n", "line 1: duplicate key 'x'"},
        {"[a\n", "line 1: expected ']' after the table name"},
        {"[[a]\n", "line 1: expected ']]' after the table name"},
        {"a = {b = {c = {d = {e = {f = {g = {h = {i = {j = 1}}}}}}}}}\n",
         "line 1: inline tables nested too deep"},
        {"a.b.c.d.e.f.g.h.i = 1\n", "line 1: dotted key has too many parts"},
        {"[a] x = 1\n", "line 1: expected a new line after the value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        panda_error_t err;
        json_t *root = s_doc (cases[i].text, &err);
        if (root)
            fail_msg ("accepted: %s", cases[i].text);
        assert_string_equal (err.message, cases[i].message);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_toml_flat_keys),
        cmocka_unit_test (test_toml_arrays),
        cmocka_unit_test (test_toml_strings),
        cmocka_unit_test (test_toml_rejects_what_it_does_not_understand),
        cmocka_unit_test (test_toml_reads_aquadoggo_config),
        cmocka_unit_test (test_toml_document_tables),
        cmocka_unit_test (test_toml_document_array_of_tables),
        cmocka_unit_test (test_toml_document_rejects_redefinitions),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
