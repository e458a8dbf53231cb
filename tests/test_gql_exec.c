/*  test_gql_exec.c - executor against a fake node-like schema: shirokuma's
    queries, every literal form, variables leniency, fragments, directives,
    aliases, lists, errors (node-api §2).                                   */
#include "panda_test.h"
#include "panda_gql.h"

enum { R_NEXT_ARGS = 1, R_PUBLISH, R_BOOK, R_BOOKS, R_AUTHOR, R_ECHO, R_FAIL, R_NULL, R_COUNT };

typedef struct {
    const char *title, *author;
} book_t;

static book_t s_books[] = {{"Dune", "Herbert"}, {"Emma", "Austen"}, {"Ulysses", "Joyce"}};

static bool
s_hex64 (const json_t *v, void *hint)
{
    const char *s = json_string_value (v);
    if (!s || strlen (s) != 64)
        return false;
    return strspn (s, "0123456789abcdefABCDEF") == 64;
}

static bool
s_even_hex (const json_t *v, void *hint)
{
    const char *s = json_string_value (v);
    return s && strlen (s) % 2 == 0 && strspn (s, "0123456789abcdef") == strlen (s);
}

static int
s_next_args (panda_gql_call_t *call, panda_gql_out_t *out)
{
    json_t *view = json_object_get (call->args, "viewId");
    if (view && json_is_string (view) && strcmp (json_string_value (view), "dead") == 0)
        return panda_gql_call_error (call, "Document is deleted");
    out->json = json_pack ("{s:s,s:s,s:n,s:n}", "logId", "0", "seqNum", json_is_string (view) ? "2" : "1",
                           "backlink", "skiplink");
    return 0;
}

static int
s_publish (panda_gql_call_t *call, panda_gql_out_t *out)
{
    if (json_string_length (json_object_get (call->args, "entry")) == 0)
        return panda_gql_call_error (call, "Bytes to decode had length of 0");
    out->json =
        json_pack ("{s:s,s:s,s:s,s:n}", "logId", "0", "seqNum", "2", "backlink", "0020aa", "skiplink");
    return 0;
}

static int
s_book (panda_gql_call_t *call, panda_gql_out_t *out)
{
    const char *id = json_string_value (json_object_get (call->args, "id"));
    int i = atoi (id);
    if (i >= 0 && i < 3 && id[0] >= '0' && id[0] <= '9')
        out->handle = &s_books[i]; //  borrowed: no free_fn
    return 0;
}

static void
s_free_copy (void *p)
{
    free (p);
}

static int
s_books_list (panda_gql_call_t *call, panda_gql_out_t *out)
{
    json_t *first = json_object_get (call->args, "first");
    size_t n = first ? (size_t) json_integer_value (first) : 3;
    if (n > 3)
        n = 3;
    const char *dir = json_string_value (json_object_get (call->args, "orderDirection"));
    if (panda_gql_out_list (out, n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        book_t *copy = malloc (sizeof (*copy)); //  owned handles are freed by the executor
        *copy = s_books[dir && strcmp (dir, "DESC") == 0 ? 2 - i : i];
        out->items[i].handle = copy;
        out->items[i].free_fn = s_free_copy;
    }
    return 0;
}

static int
s_book_field (panda_gql_call_t *call, panda_gql_out_t *out)
{
    const book_t *b = call->parent;
    if (strcmp (call->field_name, "title") == 0)
        out->json = json_string (b->title);
    else if (strcmp (call->field_name, "author") == 0)
        out->json = json_pack ("{s:s,s:[ss]}", "name", b->author, "tags", "x", "y"); //  JSON parent
    else
        out->json = json_pack ("[ss]", "classic", "novel");
    return 0;
}

static int
s_echo (panda_gql_call_t *call, panda_gql_out_t *out)
{
    char *text = json_dumps (call->args, JSON_SORT_KEYS);
    out->json = json_string (text);
    free (text);
    return 0;
}

static int
s_fail (panda_gql_call_t *call, panda_gql_out_t *out)
{
    return panda_gql_call_error (call, "Must provide either `id` or `viewId` argument");
}

static int
s_null (panda_gql_call_t *call, panda_gql_out_t *out)
{
    return 0;
}

static panda_gql_resolve_fn s_fns[R_COUNT] = {NULL,         s_next_args, s_publish, s_book, s_books_list,
                                              s_book_field, s_echo,      s_fail,    s_null};
static panda_gql_resolvers_t s_resolvers = {s_fns, R_COUNT};

static panda_gql_schema_t *
s_schema (void)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_gql_builder_scalar (b, "PublicKey", s_hex64, NULL);
    panda_gql_builder_scalar (b, "DocumentViewId", NULL, NULL);
    panda_gql_builder_scalar (b, "EncodedEntry", s_even_hex, NULL);
    panda_gql_builder_scalar (b, "EncodedOperation", s_even_hex, NULL);
    panda_gql_builder_scalar (b, "LogId", NULL, NULL);
    panda_gql_builder_enum (b, "OrderDirection");
    panda_gql_builder_enum_value (b, "ASC");
    panda_gql_builder_enum_value (b, "DESC");
    panda_gql_builder_input (b, "BookFilter");
    panda_gql_builder_field (b, "title", "String", 0);
    panda_gql_builder_field (b, "year", "[Int!]", 0);
    panda_gql_builder_object (b, "NextArguments");
    panda_gql_builder_field (b, "logId", "LogId!", 0);
    panda_gql_builder_field (b, "seqNum", "String!", 0);
    panda_gql_builder_field (b, "backlink", "String", 0);
    panda_gql_builder_field (b, "skiplink", "String", 0);
    panda_gql_builder_object (b, "Author");
    panda_gql_builder_field (b, "name", "String!", 0);
    panda_gql_builder_field (b, "tags", "[String!]", 0);
    panda_gql_builder_object (b, "Book");
    panda_gql_builder_field (b, "title", "String", R_AUTHOR);
    panda_gql_builder_field (b, "author", "Author", R_AUTHOR);
    panda_gql_builder_field (b, "tags", "[String]", R_AUTHOR);
    panda_gql_builder_field (b, "missing", "String!", R_NULL);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "nextArgs", "NextArguments", R_NEXT_ARGS);
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_arg (b, "viewId", "DocumentViewId", NULL);
    panda_gql_builder_field (b, "book", "Book", R_BOOK);
    panda_gql_builder_arg (b, "id", "ID!", NULL);
    panda_gql_builder_field (b, "books", "[Book!]!", R_BOOKS);
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_arg (b, "orderDirection", "OrderDirection", "ASC");
    panda_gql_builder_arg (b, "filter", "BookFilter", NULL);
    panda_gql_builder_field (b, "echo", "String", R_ECHO);
    const char *echo_args[][2] = {
        {"s", "String"}, {"i", "Int"},        {"f", "Float"}, {"b", "Boolean"},  {"e", "OrderDirection"},
        {"l", "[Int]"},  {"o", "BookFilter"}, {"id", "ID"},   {"k", "PublicKey"}};
    for (size_t i = 0; i < sizeof (echo_args) / sizeof (echo_args[0]); i++)
        panda_gql_builder_arg (b, echo_args[i][0], echo_args[i][1], NULL);
    panda_gql_builder_field (b, "fail", "String", R_FAIL);
    panda_gql_builder_object (b, "MutationRoot");
    panda_gql_builder_field (b, "publish", "NextArguments!", R_PUBLISH);
    panda_gql_builder_arg (b, "entry", "EncodedEntry!", NULL);
    panda_gql_builder_arg (b, "operation", "EncodedOperation!", NULL);
    panda_gql_builder_roots (b, "Query", "MutationRoot");
    panda_error_t err;
    panda_gql_schema_t *schema = panda_gql_builder_build (&b, &err);
    if (!schema)
        fail_msg ("%s", err.message);
    return schema;
}

//  Execute and return the compact response text (static buffer).
static const char *
s_run_opts (const char *query, const char *op, const char *vars, bool spec)
{
    static char text[8192];
    panda_gql_schema_t *schema = s_schema ();
    json_t *v = vars ? json_loads (vars, 0, NULL) : NULL;
    panda_gql_options_t opts = {.spec_errors = spec};
    json_t *r = panda_gql_execute (schema, NULL, query, strlen (query), op, v, &s_resolvers, NULL, &opts);
    char *dump = json_dumps (r, JSON_COMPACT);
    snprintf (text, sizeof (text), "%s", dump);
    free (dump);
    json_decref (r);
    json_decref (v);
    panda_gql_schema_unref (&schema);
    return text;
}

static const char *
s_run (const char *query, const char *op, const char *vars)
{
    return s_run_opts (query, op, vars, false);
}

#define PK "8b52ae153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a240a"

static void
test_exec_shirokuma_next_args (void **state)
{
    const char *q =
        "\n  query NextArgs($publicKey: String!, $viewId: String) {\n    nextArgs(publicKey: $publicKey, "
        "viewId: $viewId) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";
    //  viewId omitted: an absent nullable variable acts as null (node-api §2.2).
    assert_string_equal (s_run (q, "NextArgs", "{\"publicKey\":\"" PK "\"}"),
                         "{\"data\":{\"nextArgs\":{\"logId\":\"0\",\"seqNum\":\"1\",\"backlink\":null,"
                         "\"skiplink\":null}}}");
    assert_string_equal (s_run (q, "NextArgs", "{\"publicKey\":\"" PK "\",\"viewId\":\"0020ab\"}"),
                         "{\"data\":{\"nextArgs\":{\"logId\":\"0\",\"seqNum\":\"2\",\"backlink\":null,"
                         "\"skiplink\":null}}}");
    //  The String!-declared variable is checked against the real type.
    assert_string_equal (
        s_run (q, "NextArgs", "{\"publicKey\":\"nope\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"publicKey\\\", "
        "expected type \\\"PublicKey\\\"\",\"locations\":[{\"line\":3,\"column\":25}]}]}");
    assert_string_equal (s_run (q, "NextArgs", "{}"),
                         "{\"data\":null,\"errors\":[{\"message\":\"Variable publicKey is not defined.\","
                         "\"locations\":[{\"line\":2,\"column\":18}]}]}");
    //  A resolver error nulls all data, one error, locations, no path.
    assert_string_equal (
        s_run (q, NULL, "{\"publicKey\":\"" PK "\",\"viewId\":\"dead\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Document is deleted\",\"locations\":[{\"line\":"
        "3,\"column\":5}]}]}");
}

static void
test_exec_shirokuma_publish (void **state)
{
    const char *q =
        "\n  mutation Publish($entry: String!, $operation: String!) {\n    publish(entry: $entry, "
        "operation: $operation) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";
    assert_string_equal (s_run (q, "Publish", "{\"entry\":\"00ff\",\"operation\":\"a1\"}"),
                         "{\"data\":{\"publish\":{\"logId\":\"0\",\"seqNum\":\"2\",\"backlink\":\"0020aa\","
                         "\"skiplink\":null}}}");
    assert_string_equal (s_run (q, "Publish", "{\"entry\":\"\",\"operation\":\"\"}"),
                         "{\"data\":null,\"errors\":[{\"message\":\"Bytes to decode had length of 0\","
                         "\"locations\":[{\"line\":3,\"column\":5}]}]}");
    assert_string_equal (
        s_run (q, "Publish", "{\"entry\":\"xyz\",\"operation\":\"\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"entry\\\", "
        "expected type \\\"EncodedEntry\\\"\",\"locations\":[{\"line\":3,\"column\":20}]}]}");
    //  fishy: literal arguments, named operation without operationName.
    assert_string_equal (
        s_run ("mutation Publish { publish(entry: \"ab\", operation: \"cd\") { logId seqNum } }", NULL, NULL),
        "{\"data\":{\"publish\":{\"logId\":\"0\",\"seqNum\":\"2\"}}}");
}

static void
test_exec_literals_and_coercion (void **state)
{
    assert_string_equal (s_run ("{ echo(s: \"a\\u00e9\", i: -7, f: 2, b: true, e: DESC, l: 5, o: {title: "
                                "\"\"\" x \"\"\", year: [1, 2]}, "
                                "id: 42) }",
                                NULL, NULL),
                         "{\"data\":{\"echo\":\"{\\\"b\\\": true, \\\"e\\\": \\\"DESC\\\", \\\"f\\\": 2.0, "
                         "\\\"i\\\": -7, \\\"id\\\": "
                         "\\\"42\\\", \\\"l\\\": [5], \\\"o\\\": {\\\"title\\\": \\\" x \\\", \\\"year\\\": "
                         "[1, 2]}, \\\"s\\\": "
                         "\\\"a\xC3\xA9\\\"}\"}}");
    //  Enum as a string literal and through a variable (parity), null literal.
    assert_string_equal (s_run ("query ($e: String) { echo(e: $e, s: null) }", NULL, "{\"e\":\"ASC\"}"),
                         "{\"data\":{\"echo\":\"{\\\"e\\\": \\\"ASC\\\", \\\"s\\\": null}\"}}");
    assert_string_equal (s_run ("{ echo(e: \"DESC\") }", NULL, NULL),
                         "{\"data\":{\"echo\":\"{\\\"e\\\": \\\"DESC\\\"}\"}}");
    //  Variables inside list and object literals; defaults.
    assert_string_equal (
        s_run ("query ($y: Int = 3, $t: String) { echo(l: [$y, 4], o: {title: $t}) }", NULL, "{\"t\":\"T\"}"),
        "{\"data\":{\"echo\":\"{\\\"l\\\": [3, 4], \\\"o\\\": {\\\"title\\\": \\\"T\\\"}}\"}}");
    assert_string_equal (s_run ("query ($e: String) { echo(e: $e) }", NULL, "{\"e\":\"HELLO\"}"),
                         "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"e\\\", "
                         "enumeration type \\\"OrderDirection\\\" does not contain the value \\\"HELLO\\\"\","
                         "\"locations\":[{\"line\":1,\"column\":30}]}]}");
    assert_string_equal (
        s_run ("query ($o: String) { echo(o: $o) }", NULL, "{\"o\":{\"year\":[\"x\"]}}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"o.year\\\", "
        "expected type \\\"Int\\\"\",\"locations\":[{\"line\":1,\"column\":30}]}]}");
}

static void
test_exec_objects_lists_fragments (void **state)
{
    assert_string_equal (
        s_run ("query Q { first: book(id: 0) { __typename title author { name } ...T } none: book(id: \"x\") "
               "{ title }"
               " all: books(orderDirection: DESC, first: 2) { title ... on Book { t2: title } } }\n"
               "fragment T on Book { tags author { tags } }",
               NULL, NULL),
        "{\"data\":{\"first\":{\"__typename\":\"Book\",\"title\":\"Dune\",\"author\":{\"name\":\"Herbert\","
        "\"tags\":"
        "[\"x\",\"y\"]},\"tags\":[\"classic\",\"novel\"]},\"none\":null,\"all\":[{\"title\":\"Ulysses\","
        "\"t2\":"
        "\"Ulysses\"},{\"title\":\"Emma\",\"t2\":\"Emma\"}]}}");
    //  @skip / @include with literals and variables; __typename on the root.
    assert_string_equal (
        s_run ("query ($no: Boolean!) { __typename a: book(id: 1) @include(if: $no) { title } "
               "b: book(id: 1) @skip(if: $no) { title @skip(if: true) author { name } } }",
               NULL, "{\"no\":false}"),
        "{\"data\":{\"__typename\":\"Query\",\"b\":{\"author\":{\"name\":\"Austen\"}}}}");
}

static void
test_exec_operation_selection (void **state)
{
    const char *two = "query A { __typename } query B { book(id: 2) { title } }";
    assert_string_equal (s_run (two, "B", NULL), "{\"data\":{\"book\":{\"title\":\"Ulysses\"}}}");
    assert_string_equal (
        s_run (two, NULL, NULL),
        "{\"data\":null,\"errors\":[{\"message\":\"Operation name required in request.\"}]}");
    assert_string_equal (s_run (two, "C", NULL),
                         "{\"data\":null,\"errors\":[{\"message\":\"Unknown operation named \\\"C\\\"\"}]}");
    assert_string_equal (s_run ("{ __typename }", "X", NULL),
                         "{\"data\":null,\"errors\":[{\"message\":\"Unknown operation named \\\"X\\\"\"}]}");
    assert_string_equal (s_run ("{ __schema { __typename } }", NULL, NULL),
                         "{\"data\":{\"__schema\":{\"__typename\":\"__Schema\"}}}");
}

static void
test_exec_errors_and_nulls (void **state)
{
    assert_string_equal (s_run ("{ a: book(id: 0) { title } fail }", NULL, NULL),
                         "{\"data\":null,\"errors\":[{\"message\":\"Must provide either `id` or `viewId` "
                         "argument\",\"locations\":[{\"line\":1,\"column\":28}]}]}");
    //  Parity: a null in a non-null position passes through (endCursor).
    assert_string_equal (s_run ("{ book(id: 0) { missing } }", NULL, NULL),
                         "{\"data\":{\"book\":{\"missing\":null}}}");
    //  Spec mode: the null propagates to the nullable parent, error has a path.
    assert_string_equal (
        s_run_opts ("{ book(id: 0) { missing } x: book(id: 1) { title } }", NULL, NULL, true),
        "{\"data\":{\"book\":null,\"x\":{\"title\":\"Emma\"}},\"errors\":[{\"message\":\"Cannot "
        "return null for non-nullable field Book.missing.\",\"locations\":[{\"line\":1,\"column\":"
        "17}],\"path\":[\"book\",\"missing\"]}]}");
    assert_string_equal (
        s_run_opts ("{ a: book(id: 0) { title } fail }", NULL, NULL, true),
        "{\"data\":{\"a\":{\"title\":\"Dune\"},\"fail\":null},\"errors\":[{\"message\":\"Must "
        "provide either `id` or `viewId` argument\",\"locations\":[{\"line\":1,\"column\":28}],"
        "\"path\":[\"fail\"]}]}");
    //  Syntax errors come back as GraphQL errors with a location.
    assert_string_equal (s_run ("{ book(id: ) }", NULL, NULL),
                         "{\"data\":null,\"errors\":[{\"message\":\"Syntax Error: Unexpected \\\")\\\".\","
                         "\"locations\":[{\"line\":1,\"column\":12}]}]}");
}

static void
test_exec_body_and_cache (void **state)
{
    panda_gql_schema_t *schema = s_schema ();
    panda_gql_cache_t *cache = panda_gql_cache_new (2);
    panda_error_t err;
    const char *body =
        "{\"query\":\"query B($id: ID!) { book(id: $id) { title } }\",\"variables\":{\"id\":\"2\"},"
        "\"operationName\":\"B\",\"extensions\":{}}";
    for (int i = 0; i < 3; i++) {
        json_t *r =
            panda_gql_execute_body (schema, cache, body, strlen (body), &s_resolvers, NULL, NULL, &err);
        char *text = json_dumps (r, JSON_COMPACT);
        assert_string_equal (text, "{\"data\":{\"book\":{\"title\":\"Ulysses\"}}}");
        free (text);
        json_decref (r);
    }
    assert_int_equal (panda_gql_cache_hits (cache), 2);
    assert_null (panda_gql_execute_body (schema, cache, "[{}]", 4, &s_resolvers, NULL, NULL, &err));
    assert_string_equal (err.message, "UnsupportedBatch");
    assert_null (panda_gql_execute_body (schema, cache, "{", 1, &s_resolvers, NULL, NULL, &err));
    assert_null (
        panda_gql_execute_body (schema, cache, "{\"variables\":[]}", 16, &s_resolvers, NULL, NULL, &err));
    //  A missing query is "" and fails as a GraphQL error, not an HTTP one.
    json_t *r = panda_gql_execute_body (schema, cache, "{}", 2, &s_resolvers, NULL, NULL, &err);
    assert_true (json_is_null (json_object_get (r, "data")));
    assert_int_equal (json_array_size (json_object_get (r, "errors")), 1);
    json_decref (r);
    //  A new schema generation revalidates cached documents.
    panda_gql_schema_t *other = s_schema ();
    r = panda_gql_execute (other, cache, "{ __typename }", 14, NULL, NULL, &s_resolvers, NULL, NULL);
    json_decref (r);
    r = panda_gql_execute (schema, cache, "{ __typename }", 14, NULL, NULL, &s_resolvers, NULL, NULL);
    assert_string_equal (json_string_value (json_object_get (json_object_get (r, "data"), "__typename")),
                         "Query");
    json_decref (r);
    panda_gql_schema_unref (&other);
    panda_gql_cache_destroy (&cache);
    //  A request keeps its own reference while the owner drops the schema.
    panda_gql_schema_t *held = panda_gql_schema_ref (schema);
    panda_gql_schema_unref (&schema);
    assert_null (schema);
    assert_true (panda_gql_schema_has_type (held, "Book"));
    panda_gql_schema_unref (&held);
}

static void
test_exec_builder_errors (void **state)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "x", "Nope", 0);
    panda_gql_builder_roots (b, "Query", NULL);
    panda_error_t err;
    assert_null (panda_gql_builder_build (&b, &err));
    assert_null (b);
    assert_string_equal (err.message, "schema: unknown type \"Nope\"");
    b = panda_gql_builder_new ();
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "x", "[Int!", 0);
    assert_null (panda_gql_builder_build (&b, &err));
    assert_string_equal (err.message, "schema: bad type reference \"[Int!\"");
    b = panda_gql_builder_new ();
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "x", "Int", 0);
    assert_null (panda_gql_builder_build (&b, &err));
    assert_string_equal (err.message, "schema: missing query root type \"(null)\"");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_exec_shirokuma_next_args),
        cmocka_unit_test (test_exec_shirokuma_publish),
        cmocka_unit_test (test_exec_literals_and_coercion),
        cmocka_unit_test (test_exec_objects_lists_fragments),
        cmocka_unit_test (test_exec_operation_selection),
        cmocka_unit_test (test_exec_errors_and_nulls),
        cmocka_unit_test (test_exec_body_and_cache),
        cmocka_unit_test (test_exec_builder_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
