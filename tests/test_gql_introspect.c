/*  test_gql_introspect.c - GraphiQL's standard introspection query and the
    two forms aquadoggo's tests use (node-api §2.6).                        */
#include "panda_test.h"
#include "panda_gql.h"

//  GraphiQL's getIntrospectionQuery() (graphql-js 16, default options).
static const char *s_introspection =
    "query IntrospectionQuery {\n"
    "  __schema {\n"
    "    queryType { name }\n"
    "    mutationType { name }\n"
    "    subscriptionType { name }\n"
    "    types { ...FullType }\n"
    "    directives { name description locations args { ...InputValue } }\n"
    "  }\n"
    "}\n"
    "fragment FullType on __Type {\n"
    "  kind name description\n"
    "  fields(includeDeprecated: true) {\n"
    "    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason\n"
    "  }\n"
    "  inputFields { ...InputValue }\n"
    "  interfaces { ...TypeRef }\n"
    "  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }\n"
    "  possibleTypes { ...TypeRef }\n"
    "}\n"
    "fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }\n"
    "fragment TypeRef on __Type {\n"
    "  kind name\n"
    "  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name\n"
    "    ofType { kind name ofType { kind name ofType { kind name } } } } } } } }\n"
    "}\n";

static panda_gql_schema_t *
s_schema (void)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_gql_builder_scalar (b, "PublicKey", NULL, NULL);
    panda_gql_builder_describe (b, "Ed25519 public key, hex");
    panda_gql_builder_enum (b, "OrderDirection");
    panda_gql_builder_enum_value (b, "ASC");
    panda_gql_builder_enum_value (b, "DESC");
    panda_gql_builder_input (b, "BooleanFilter");
    panda_gql_builder_field (b, "eq", "Boolean", 0);
    panda_gql_builder_field (b, "notEq", "Boolean", 0);
    panda_gql_builder_object (b, "SItem");
    panda_gql_builder_field (b, "cursor", "String", 0);
    panda_gql_builder_object (b, "SCollection");
    panda_gql_builder_field (b, "documents", "[SItem!]!", 0);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "all_S", "SCollection!", 0);
    panda_gql_builder_describe (b, "Get all S documents.");
    panda_gql_builder_arg (b, "first", "Int", NULL);
    panda_gql_builder_default (b, "25");
    panda_gql_builder_arg (b, "orderDirection", "OrderDirection", "ASC");
    panda_gql_builder_arg (b, "filter", "BooleanFilter", NULL);
    panda_gql_builder_object (b, "MutationRoot");
    panda_gql_builder_field (b, "publish", "SItem!", 0);
    panda_gql_builder_arg (b, "entry", "PublicKey!", NULL);
    panda_gql_builder_roots (b, "Query", "MutationRoot");
    return panda_gql_builder_build (&b, NULL);
}

static json_t *
s_run (const char *query)
{
    panda_gql_schema_t *schema = s_schema ();
    assert_non_null (schema);
    json_t *r = panda_gql_execute (schema, NULL, query, strlen (query), NULL, NULL, NULL, NULL, NULL);
    panda_gql_schema_unref (&schema);
    return r;
}

static json_t *
s_find (json_t *array, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach (array, i, item)
    {
        if (strcmp (json_string_value (json_object_get (item, "name")), name) == 0)
            return item;
    }
    fail_msg ("%s not found", name);
    return NULL;
}

static void
test_introspect_full_query (void **state)
{
    json_t *r = s_run (s_introspection);
    assert_null (json_object_get (r, "errors"));
    json_t *schema = json_object_get (json_object_get (r, "data"), "__schema");
    assert_string_equal (json_string_value (json_object_get (json_object_get (schema, "queryType"), "name")),
                         "Query");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (schema, "mutationType"), "name")),
        "MutationRoot");
    assert_true (json_is_null (json_object_get (schema, "subscriptionType")));
    json_t *types = json_object_get (schema, "types");
    //  The query root lists its fields but not __schema/__type.
    json_t *query = s_find (types, "Query");
    assert_string_equal (json_string_value (json_object_get (query, "kind")), "OBJECT");
    json_t *fields = json_object_get (query, "fields");
    assert_int_equal (json_array_size (fields), 1);
    json_t *all = s_find (fields, "all_S");
    assert_string_equal (json_string_value (json_object_get (all, "description")), "Get all S documents.");
    assert_int_equal (json_array_size (json_object_get (query, "interfaces")), 0);
    //  SCollection! is NON_NULL of OBJECT SCollection.
    char *t = json_dumps (json_object_get (all, "type"), JSON_COMPACT);
    assert_string_equal (t, "{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"OBJECT\",\"name\":"
                            "\"SCollection\",\"ofType\":null}}");
    free (t);
    json_t *first = s_find (json_object_get (all, "args"), "first");
    assert_string_equal (json_string_value (json_object_get (first, "defaultValue")), "25");
    json_t *dir = s_find (json_object_get (all, "args"), "orderDirection");
    assert_string_equal (json_string_value (json_object_get (dir, "defaultValue")), "ASC");
    //  [SItem!]! unwraps three levels.
    json_t *docs = s_find (json_object_get (s_find (types, "SCollection"), "fields"), "documents");
    t = json_dumps (json_object_get (docs, "type"), JSON_COMPACT);
    assert_string_equal (
        t, "{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"LIST\",\"name\":null,"
           "\"ofType\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"OBJECT\",\"name\":"
           "\"SItem\",\"ofType\":null}}}}");
    free (t);
    //  Enums, inputs, scalars, built-ins and the introspection types themselves.
    json_t *order = s_find (types, "OrderDirection");
    assert_string_equal (json_string_value (json_object_get (order, "kind")), "ENUM");
    assert_int_equal (json_array_size (json_object_get (order, "enumValues")), 2);
    assert_true (json_is_null (json_object_get (order, "fields")));
    json_t *filter = s_find (types, "BooleanFilter");
    assert_string_equal (json_string_value (json_object_get (filter, "kind")), "INPUT_OBJECT");
    assert_int_equal (json_array_size (json_object_get (filter, "inputFields")), 2);
    json_t *pk = s_find (types, "PublicKey");
    assert_string_equal (json_string_value (json_object_get (pk, "kind")), "SCALAR");
    assert_string_equal (json_string_value (json_object_get (pk, "description")), "Ed25519 public key, hex");
    s_find (types, "String");
    s_find (types, "Boolean");
    s_find (types, "__Schema");
    assert_int_equal (json_array_size (json_object_get (s_find (types, "__TypeKind"), "enumValues")), 8);
    json_t *skip = s_find (json_object_get (schema, "directives"), "skip");
    assert_string_equal (
        json_string_value (json_object_get (s_find (json_object_get (skip, "args"), "if"), "name")), "if");
    json_decref (r);
}

static void
test_introspect_aquadoggo_forms (void **state)
{
    json_t *r = s_run ("{ __schema { __typename } }");
    char *text = json_dumps (r, JSON_COMPACT);
    assert_string_equal (text, "{\"data\":{\"__schema\":{\"__typename\":\"__Schema\"}}}");
    free (text);
    json_decref (r);
    r = s_run ("{ schema: __type(name: \"SItem\") { name } none: __type(name: \"other_S\") { name } }");
    text = json_dumps (r, JSON_COMPACT);
    assert_string_equal (text, "{\"data\":{\"schema\":{\"name\":\"SItem\"},\"none\":null}}");
    free (text);
    json_decref (r);
    //  __type needs its argument; introspection types know __typename.
    r = s_run ("{ __type { name } }");
    assert_true (json_is_null (json_object_get (r, "data")));
    json_decref (r);
    r = s_run ("{ __type(name: \"Query\") { __typename kind fields { __typename name } } }");
    text = json_dumps (r, JSON_COMPACT);
    assert_string_equal (text,
                         "{\"data\":{\"__type\":{\"__typename\":\"__Type\",\"kind\":\"OBJECT\",\"fields\":"
                         "[{\"__typename\":\"__Field\",\"name\":\"all_S\"}]}}}");
    free (text);
    json_decref (r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_introspect_full_query),
        cmocka_unit_test (test_introspect_aquadoggo_forms),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
