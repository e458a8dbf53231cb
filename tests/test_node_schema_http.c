/*  test_node_schema_http.c - the per-schema GraphQL schema served over
    HTTP: by the real pandad (node-api §2.6 and §5.1: the system schemas,
    the allow list), and by an in-process api actor that learns a new
    schema from a SCHEMA event without a restart (§13 schema_updates).      */
#include <stdio.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda_views.h"
#include "panda_actors.h"

#define START_MS 30000
#define REQUEST_MS 10000
#define UPDATE_MS 10000

//  §13 schema_updates: the schema id of the test schema.
#define SID "schema_name_00201d89fa3c2ff534179d6e4fbd4d10f0a696d273d79a79f6aeeb4e3b7306a4f46c"
#define DEFINITION "002015f3c7541991918e612be61ab58adf2316c9499a91dbfa012077de77c1620220"

static const char *const s_system_ids[] = {"schema_definition_v1", "schema_field_definition_v1", "blob_v1",
                                           "blob_piece_v1"};

//  POST query; the compact JSON answer (caller frees).
static char *
s_post (panda_http_t *http, const char *query)
{
    json_t *r = panda_fixture_graphql (http, query, NULL, NULL);
    char *text = json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (r);
    return text;
}

//  The message of the first error, or NULL (static copy).
static const char *
s_error (const char *answer)
{
    static char message[1024];
    json_t *r = json_loads (answer, 0, NULL);
    const char *m =
        json_string_value (json_object_get (json_array_get (json_object_get (r, "errors"), 0), "message"));
    snprintf (message, sizeof message, "%s", m ? m : "");
    json_decref (r);
    return m ? message : NULL;
}

//  A query that validated: no error, or one raised while resolving
//  (validation messages start like this, node-api §2.3).
static void
s_assert_validates (const char *answer)
{
    const char *e = s_error (answer);
    if (e && (strncmp (e, "Unknown ", 8) == 0 || strncmp (e, "Invalid value", 13) == 0 ||
              strncmp (e, "Field \"", 7) == 0 || strncmp (e, "Syntax Error", 12) == 0))
        fail_msg ("validation failed: %s", answer);
}

//  True when the query root has a field of this name.
static bool
s_has_root_field (panda_http_t *http, const char *name)
{
    char *answer = s_post (http, "{ __schema { queryType { fields { name } } } }");
    json_t *r = json_loads (answer, 0, NULL);
    json_t *fields = json_object_get (
        json_object_get (json_object_get (json_object_get (r, "data"), "__schema"), "queryType"), "fields");
    assert_true (json_array_size (fields) > 0);
    bool found = false;
    for (size_t i = 0; i < json_array_size (fields); i++)
        found |= strcmp (json_string_value (json_object_get (json_array_get (fields, i), "name")), name) == 0;
    json_decref (r);
    free (answer);
    return found;
}

static void
test_pandad_system_schemas (void **state)
{
    panda_fixture_require ();
    panda_fixture_t *node = panda_fixture_start (NULL, START_MS, REQUEST_MS);
    assert_non_null (node);
    panda_http_t *http = panda_fixture_http (node);
    panda_http_response_t resp = {0};
    const char body[] = "{ \"query\": \"{ __schema { __typename } }\" }";
    assert_int_equal (panda_http_request (http, "POST", "/graphql", "Content-Type: application/json\r\n",
                                          body, sizeof body - 1, &resp),
                      0);
    assert_string_equal (resp.body, "{\"data\":{\"__schema\":{\"__typename\":\"__Schema\"}}}");
    panda_http_response_release (&resp);
    for (size_t i = 0; i < 4; i++) {
        char all[64];
        snprintf (all, sizeof all, "all_%s", s_system_ids[i]);
        assert_true (s_has_root_field (http, s_system_ids[i]));
        assert_true (s_has_root_field (http, all));
    }
    char *answer = s_post (http, "{ t: __type(name: \"blob_v1\") { name description } }");
    assert_string_equal (
        answer, "{\"data\":{\"t\":{\"name\":\"blob_v1\",\"description\":\"Definition of a blob file.\"}}}");
    free (answer);
    //  The handbook's online check (§5.5) validates.
    answer = s_post (http, "query checkNode { all_schema_definition_v1 { totalCount } }");
    s_assert_validates (answer);
    free (answer);
    answer = s_post (http, "{ all_schema_definition_v1 { documents { fields { name description } } } }");
    s_assert_validates (answer);
    free (answer);
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  With an allow list, system schemas that are not in it disappear (§5.1).
static void
test_pandad_allow_list (void **state)
{
    panda_fixture_require ();
    const char *const args[] = {"--allow-schema-ids", "blob_v1", "blob_piece_v1", NULL};
    panda_fixture_t *node = panda_fixture_start (args, START_MS, REQUEST_MS);
    assert_non_null (node);
    panda_http_t *http = panda_fixture_http (node);
    assert_true (s_has_root_field (http, "all_blob_v1"));
    assert_true (s_has_root_field (http, "blob_piece_v1"));
    assert_false (s_has_root_field (http, "schema_definition_v1"));
    assert_false (s_has_root_field (http, "all_schema_field_definition_v1"));
    char *answer = s_post (http, "{ t: __type(name: \"schema_definition_v1Fields\") { name } }");
    assert_string_equal (answer, "{\"data\":{\"t\":null}}");
    free (answer);
    answer = s_post (http, "{ all_schema_definition_v1 { totalCount } }");
    assert_true (strncmp (s_error (answer), "Unknown field \"all_schema_definition_v1\" on type \"Query\".",
                          strlen ("Unknown field \"all_schema_definition_v1\" on type \"Query\".")) == 0);
    assert_non_null (strstr (answer, "\"data\":null"));
    free (answer);
    assert_int_equal (panda_fixture_stop (&node), 0);
}

//  §13 schema_updates: an in-process api actor; the test stands in for the
//  materialiser (records the schema, publishes SCHEMA on schemas_endpoint).
static void
test_schema_updates (void **state)
{
    panda_error_t err;
    panda_config_t *config = panda_pandad_inproc_config ("gqlupd", "sqlite::memory:", &err);
    assert_non_null (config);
    config->http_port = 0;
    free (config->http_address);
    config->http_address = strdup ("127.0.0.1");
    zsock_t *pub = zsock_new_pub (config->schemas_endpoint);
    assert_non_null (pub);
    panda_actor_args_t args = {.config = config};
    zactor_t *api = panda_actor_start (panda_api_actor, &args, "api", &err);
    if (!api)
        fail_msg ("%s", err.message);
    panda_http_t *http = panda_http_connect ("127.0.0.1", args.port, REQUEST_MS);
    assert_non_null (http);
    const char *query = "{ schema: __type(name: \"" SID "\") { name } }";
    char *answer = s_post (http, query);
    assert_string_equal (answer, "{\"data\":{\"schema\":null}}");
    free (answer);

    //  Record the schema as the materialiser would, keeping the in-memory
    //  views database open, then announce it until the api has it (the
    //  first announcement may come before the subscription is active).
    char *store = panda_actor_store_path (config);
    char *path = panda_views_path (store);
    panda_views_t *views = panda_views_open (path, false, &err);
    assert_non_null (views);
    panda_schema_t *schema = panda_schema_new (SID, "schema_name", "schema_updates", &err);
    assert_non_null (schema);
    assert_int_equal (panda_schema_add_field (schema, "bool", "bool", &err), PANDA_OK);
    panda_hash_t definition;
    assert_int_equal (panda_hash_from_hex (&definition, DEFINITION, strlen (DEFINITION), &err), PANDA_OK);
    assert_int_equal (panda_views_schema_put (views, schema, &definition, &err), PANDA_OK);
    int64_t deadline = zclock_mono () + UPDATE_MS;
    bool seen = false;
    while (!seen && zclock_mono () < deadline) {
        panda_msg_t *event = panda_msg_schema_new (SID);
        assert_int_equal (panda_actor_send (pub, NULL, &event), 0);
        answer = s_post (http, query);
        seen = strcmp (answer, "{\"data\":{\"schema\":{\"name\":\"" SID "\"}}}") == 0;
        if (!seen)
            assert_string_equal (answer, "{\"data\":{\"schema\":null}}");
        free (answer);
    }
    assert_true (seen);
    answer = s_post (http, "{ all_" SID " { totalCount documents { fields { bool } } } }");
    s_assert_validates (answer);
    free (answer);

    panda_http_destroy (&http);
    zactor_destroy (&api);
    zsock_destroy (&pub);
    panda_schema_destroy (&schema);
    panda_views_destroy (&views);
    free (path);
    free (store);
    panda_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pandad_system_schemas),
        cmocka_unit_test (test_pandad_allow_list),
        cmocka_unit_test (test_schema_updates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
