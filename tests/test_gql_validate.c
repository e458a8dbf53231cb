/*  test_gql_validate.c - validation messages clients see (node-api §2.3).  */
#include "panda_test.h"
#include "panda_gql.h"

static bool
s_cursor (const json_t *v, void *hint)
{
    return json_is_string (v) && strncmp (json_string_value (v), "c_", 2) == 0;
}

static panda_gql_schema_t *
s_schema (void)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_gql_builder_scalar (b, "Cursor", s_cursor, NULL);
    panda_gql_builder_enum (b, "OrderDirection");
    panda_gql_builder_enum_value (b, "ASC");
    panda_gql_builder_enum_value (b, "DESC");
    panda_gql_builder_input (b, "BooleanFilter");
    panda_gql_builder_field (b, "eq", "Boolean", 0);
    panda_gql_builder_input (b, "SFilter");
    panda_gql_builder_field (b, "bool", "BooleanFilter", 0);
    panda_gql_builder_object (b, "SItem");
    panda_gql_builder_field (b, "cursor", "String", 0);
    panda_gql_builder_object (b, "SCollection");
    panda_gql_builder_field (b, "totalCount", "Int!", 0);
    panda_gql_builder_field (b, "documents", "[SItem!]!", 0);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "all_S", "SCollection!", 1);
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_arg (b, "after", "Cursor", NULL);
    panda_gql_builder_arg (b, "orderDirection", "OrderDirection", "ASC");
    panda_gql_builder_arg (b, "filter", "SFilter", NULL);
    panda_gql_builder_field (b, "need", "Int", 1);
    panda_gql_builder_arg (b, "x", "Int!", NULL);
    panda_gql_builder_roots (b, "Query", NULL);
    panda_gql_schema_t *schema = panda_gql_builder_build (&b, NULL);
    assert_non_null (schema);
    return schema;
}

//  Validate text; returns all messages joined with " | " (static buffer),
//  or "" when valid.
static const char *
s_check (const char *text)
{
    static char out[4096];
    panda_gql_schema_t *schema = s_schema ();
    panda_gql_document_t *doc = panda_gql_parse (text, strlen (text), NULL, NULL, NULL);
    assert_non_null (doc);
    json_t *errors = panda_gql_validate (schema, doc, NULL, NULL);
    out[0] = 0;
    size_t i;
    json_t *e;
    json_array_foreach (errors, i, e)
    {
        assert_non_null (json_object_get (e, "locations")); //  every validation error has one
        if (i)
            strcat (out, " | ");
        strncat (out, json_string_value (json_object_get (e, "message")), sizeof (out) - strlen (out) - 1);
    }
    json_decref (errors);
    panda_gql_document_destroy (&doc);
    panda_gql_schema_unref (&schema);
    return out;
}

static void
test_validate_fields_and_arguments (void **state)
{
    assert_string_equal (s_check ("{ all_S { totalCount documents { cursor } } }"), "");
    assert_string_equal (s_check ("{ all_unknown { totalCount } }"),
                         "Unknown field \"all_unknown\" on type \"Query\".");
    assert_string_equal (s_check ("{ all_S(nope: 1) { totalCount } }"),
                         "Unknown argument \"nope\" on field \"all_S\" of type \"Query\".");
    assert_string_equal (s_check ("{ need }"),
                         "Field \"need\" argument \"x\" of type \"Query\" is required but not provided");
    assert_string_equal (s_check ("{ all_S }"),
                         "Field \"all_S\" of type \"SCollection!\" must have a selection of subfields");
    assert_string_equal (
        s_check ("{ all_S { totalCount { x } } }"),
        "Field \"totalCount\" must not have a selection since type \"Int!\" has no subfields");
    assert_string_equal (s_check ("{ all_S { documents { cursor } } __typename __schema { __typename } }"),
                         "");
}

static void
test_validate_literal_values (void **state)
{
    assert_string_equal (s_check ("{ all_S(first: \"hello\") { totalCount } }"),
                         "Invalid value for argument \"first\", expected type \"Int\"");
    assert_string_equal (s_check ("{ all_S(after: HELLO) { totalCount } }"),
                         "Invalid value for argument \"after\", expected type \"Cursor\"");
    assert_string_equal (s_check ("{ all_S(after: 27) { totalCount } }"),
                         "Invalid value for argument \"after\", expected type \"Cursor\"");
    assert_string_equal (s_check ("{ all_S(after: \"c_1\", orderDirection: \"DESC\") { totalCount } }"), "");
    assert_string_equal (
        s_check ("{ all_S(orderDirection: HELLO) { totalCount } }"),
        "Invalid value for argument \"orderDirection\", enumeration type \"OrderDirection\" does not "
        "contain the value \"HELLO\"");
    assert_string_equal (
        s_check ("{ all_S(filter: {bool: {in: [\"hello\"]}}) { totalCount } }"),
        "Invalid value for argument \"filter.bool\", unknown field \"in\" of type \"BooleanFilter\"");
    assert_string_equal (
        s_check ("{ all_S(filter: {hello: {eq: true}}) { totalCount } }"),
        "Invalid value for argument \"filter\", unknown field \"hello\" of type \"SFilter\"");
    assert_string_equal (s_check ("{ need(x: null) }"),
                         "Invalid value for argument \"x\", expected type \"Int!\"");
    assert_string_equal (s_check ("{ need(x: 99999999999999999999) }"),
                         "Invalid value for argument \"x\", expected type \"Int\"");
    //  All failures are reported.
    assert_string_equal (
        s_check ("{ a: all_S(first: true) { x } b: nope }"),
        "Invalid value for argument \"first\", expected type \"Int\" | Unknown field \"x\" on type "
        "\"SCollection\". | Unknown field \"nope\" on type \"Query\".");
}

static void
test_validate_variables (void **state)
{
    //  Variable types are not checked against arguments (node-api §2.2).
    assert_string_equal (
        s_check ("query ($a: String!, $o: String) { all_S(after: $a, orderDirection: $o) { totalCount } }"),
        "");
    assert_string_equal (s_check ("{ all_S(first: $n) { totalCount } }"), "Variable \"$n\" is not defined");
    assert_string_equal (s_check ("query ($n: Int) { all_S { totalCount } }"), "Variable \"$n\" is not used");
    assert_string_equal (
        s_check ("query ($n: Int) { ...F } fragment F on Query { all_S(first: $n) { totalCount } }"), "");
    assert_string_equal (s_check ("query ($n: Nope) { need(x: $n) }"), "Unknown type \"Nope\".");
    assert_string_equal (s_check ("query ($n: SItem) { need(x: $n) }"),
                         "Variable \"$n\" cannot be non-input type \"SItem\".");
}

static void
test_validate_operations_and_fragments (void **state)
{
    assert_string_equal (
        s_check ("{ __typename } { __typename }"),
        "This anonymous operation must be the only defined operation. | This anonymous operation must "
        "be the only defined operation.");
    assert_string_equal (s_check ("query A { __typename } query A { __typename }"),
                         "There can be only one operation named \"A\".");
    assert_string_equal (s_check ("subscription { __typename }"),
                         "Schema is not configured for subscriptions.");
    assert_string_equal (s_check ("mutation { __typename }"), "Schema is not configured for mutations.");
    assert_string_equal (s_check ("{ ...G }"), "Unknown fragment \"G\".");
    assert_string_equal (s_check ("{ ...F } fragment F on Query { ...F }"),
                         "Cannot spread fragment \"F\" within itself.");
    assert_string_equal (
        s_check ("{ ...F } fragment F on Query { ...G } fragment G on Query { ...F }"),
        "Cannot spread fragment \"F\" within itself. | Cannot spread fragment \"G\" within itself.");
    assert_string_equal (s_check ("{ __typename } fragment F on Query { __typename }"),
                         "Fragment \"F\" is never used.");
    assert_string_equal (s_check ("{ ...F } fragment F on Nope { a }"), "Unknown type \"Nope\".");
    assert_string_equal (
        s_check ("{ ...F } fragment F on SItem { cursor }"),
        "Fragment \"F\" cannot be spread here as objects of type \"Query\" can never be of type "
        "\"SItem\".");
    assert_string_equal (
        s_check ("{ ... on SItem { cursor } }"),
        "Fragment cannot be spread here as objects of type \"Query\" can never be of type \"SItem\".");
    assert_string_equal (s_check ("{ __typename @foo }"), "Unknown directive \"@foo\".");
    assert_string_equal (
        s_check ("{ __typename @skip }"),
        "Field \"@skip\" argument \"if\" of type \"directive\" is required but not provided");
    assert_string_equal (s_check ("{ __typename @include(if: 1) }"),
                         "Invalid value for argument \"if\", expected type \"Boolean\"");
}

//  fragment F<from> on type { <body with %d = next> } ... up to F<to>,
//  whose body is last. Static buffer.
static const char *
s_chain (const char *head, const char *type, const char *body, int count, const char *last)
{
    static char text[16384];
    int n = snprintf (text, sizeof text, "%s", head);
    for (int i = 0; i < count; i++) {
        n += snprintf (text + n, sizeof text - (size_t) n, " fragment F%d on %s { ", i, type);
        if (i + 1 < count)
            n += snprintf (text + n, sizeof text - (size_t) n, body, i + 1);
        else
            n += snprintf (text + n, sizeof text - (size_t) n, "%s", last);
        n += snprintf (text + n, sizeof text - (size_t) n, " }");
    }
    return text;
}

static void
test_validate_fragment_graphs (void **state)
{
    //  Only fragments on a cycle are reported, not those leading into it.
    assert_string_equal (
        s_check ("{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } "
                 "fragment C on Query { ...D __typename } fragment D on Query { ...B ...C }"),
        "Cannot spread fragment \"B\" within itself. | Cannot spread fragment \"C\" within "
        "itself. | Cannot spread fragment \"D\" within itself.");
    //  A fragment spread many times is walked once; its variables count.
    assert_string_equal (
        s_check ("query ($n: Int) { ...F ...F a: all_S { totalCount } ...F } "
                 "fragment F on Query { need(x: $n) ...G ...G } fragment G on Query { need(x: $m) }"),
        "Variable \"$m\" is not defined");
    //  Variables used in the 70th fragment visited (once a walk kept 64).
    char *many = malloc (8192);
    int n = snprintf (many, 8192, "query ($n: Int!) {");
    for (int i = 0; i < 70; i++)
        n += snprintf (many + n, 8192 - (size_t) n, " ...F%d", i);
    n += snprintf (many + n, 8192 - (size_t) n, " }");
    for (int i = 0; i < 70; i++)
        n += snprintf (many + n, 8192 - (size_t) n, " fragment F%d on Query { %s }", i,
                       i == 69 ? "need(x: $n)" : "__typename");
    assert_string_equal (s_check (many), "");
    free (many);
    //  ... and a chain of 70 fragments nests 70 levels: too deep.
    assert_string_equal (
        s_check (s_chain ("query ($n: Int!) { ...F0 }", "Query", "...F%d", 70, "need(x: $n)")),
        "Document exceeds the limit of 48 nesting levels");
    //  Duplicate names: each repeat once.
    assert_string_equal (
        s_check ("{ ...F } fragment F on Query { __typename } fragment F on Query { __typename }"),
        "There can be only one fragment named \"F\".");
    assert_string_equal (
        s_check ("query A { __typename } query A { __typename } query A { __typename }"),
        "There can be only one operation named \"A\". | There can be only one operation named "
        "\"A\".");
    assert_string_equal (s_check ("query ($a: Int, $a: Int) { need(x: $a) }"),
                         "There can be only one variable named \"$a\". | Variable \"$a\" is not used");
    //  Many variables are looked up through an index: the same answers.
    assert_string_equal (
        s_check ("query ($a: Int, $b: Int, $c: Int, $d: Int, $e: Int, $f: Int, $g: Int, $h: Int, "
                 "$i: Int, $a: Int) { a: need(x: $a) b: need(x: $b) c: need(x: $c) d: need(x: $d) "
                 "e: need(x: $e) f: need(x: $f) g: need(x: $g) h: need(x: $h) i: need(x: $z) }"),
        "There can be only one variable named \"$a\". | Variable \"$z\" is not defined | "
        "Variable \"$i\" is not used | Variable \"$a\" is not used");
    assert_string_equal (s_check ("{ all_S(first: 1, first: 2, after: \"c_1\", first: 3) { totalCount } }"),
                         "There can be only one argument named \"first\" | There can be only one argument "
                         "named \"first\"");
    //  Nesting counts through fragments: each adds its selection set.
    const char *ok =
        s_chain ("{ __type(name: \"Query\") { ...F0 } }", "__Type", "ofType { ...F%d }", 23, "name");
    assert_string_equal (s_check (ok), "");
    const char *deep =
        s_chain ("{ __type(name: \"Query\") { ...F0 } }", "__Type", "ofType { ...F%d }", 24, "name");
    assert_string_equal (s_check (deep), "Document exceeds the limit of 48 nesting levels");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_validate_fields_and_arguments),
        cmocka_unit_test (test_validate_literal_values),
        cmocka_unit_test (test_validate_variables),
        cmocka_unit_test (test_validate_operations_and_fragments),
        cmocka_unit_test (test_validate_fragment_graphs),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
