/*  test_node_schema.c - the static node schema (node-api §4) executed with
    stub resolvers: shirokuma's and fishy's exact documents (§8), the
    response shapes of §6.1 and §7, validation messages of §2.3 and §13,
    and introspection of every static type.                                 */
#include "panda_test.h"
#include "panda_node_schema.h"

#define PK "8b52ae153142288402382fd6d9619e018978e015e6bc372b1b0c7bd40c6a240a"
#define DOC "002015f3c7541991918e612be61ab58adf2316c9499a91dbfa012077de77c1620220"

//  shirokuma 0.1.3 GQL_NEXT_ARGS and GQL_PUBLISH, as JSON string literals (§8).
#define NEXT_ARGS_QUERY                                                                                      \
    "\"\\n  query NextArgs($publicKey: String!, $viewId: String) {\\n    nextArgs(publicKey: $publicKey, "   \
    "viewId: $viewId) {\\n      logId\\n      seqNum\\n      backlink\\n      skiplink\\n    }\\n  }\\n\""
#define PUBLISH_QUERY                                                                                        \
    "\"\\n  mutation Publish($entry: String!, $operation: String!) {\\n    publish(entry: $entry, "          \
    "operation: "                                                                                            \
    "$operation) {\\n      logId\\n      seqNum\\n      backlink\\n      skiplink\\n    }\\n  }\\n\""

//  What the stub resolvers saw, and what they answer.
typedef struct {
    int calls;
    char *seen; //  compact dump of the arguments of the last call
    panda_entry_args_t answer;
} s_stub_t;

static int
s_stub (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_stub_t *stub = call->user;
    stub->calls++;
    free (stub->seen);
    stub->seen = json_dumps (call->args, JSON_COMPACT | JSON_SORT_KEYS);
    out->json = panda_node_schema_next_args_json (&stub->answer);
    return out->json ? 0 : panda_gql_call_error (call, "out of memory");
}

static const panda_gql_resolve_fn s_fns[PANDA_NODE_RESOLVE_COUNT] = {
    [PANDA_NODE_RESOLVE_NEXT_ARGS] = s_stub, [PANDA_NODE_RESOLVE_PUBLISH] = s_stub};
static const panda_gql_resolvers_t s_resolvers = {s_fns, PANDA_NODE_RESOLVE_COUNT};

//  POST body through panda_gql_execute_body; the compact response the api
//  sends (static buffer).
static const char *
s_post_to (panda_gql_schema_t *schema, s_stub_t *stub, const char *body)
{
    static char text[65536];
    panda_error_t err;
    json_t *r = panda_gql_execute_body (schema, NULL, body, strlen (body), &s_resolvers, stub, NULL, &err);
    if (!r)
        fail_msg ("%s", err.message);
    char *dump = json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    snprintf (text, sizeof text, "%s", dump);
    free (dump);
    json_decref (r);
    return text;
}

static const char *
s_post (s_stub_t *stub, const char *body)
{
    panda_error_t err;
    panda_gql_schema_t *schema = panda_node_schema_new (&err);
    if (!schema)
        fail_msg ("%s", err.message);
    const char *text = s_post_to (schema, stub, body);
    panda_gql_schema_unref (&schema);
    return text;
}

static void
test_node_schema_shirokuma_next_args (void **state)
{
    s_stub_t stub = {.answer = {.log_id = 0, .seq_num = 1}};
    //  Create: viewId omitted from variables arrives as null (§2.2).
    assert_string_equal (
        s_post (&stub, "{\"query\":" NEXT_ARGS_QUERY ",\"variables\":{\"publicKey\":\"" PK
                       "\"},\"operationName\":\"NextArgs\"}"),
        "{\"data\":{\"nextArgs\":{\"logId\":\"0\",\"seqNum\":\"1\",\"backlink\":null,\"skiplink\":null}}}");
    assert_int_equal (stub.calls, 1);
    json_t *seen = json_loads (stub.seen, 0, NULL);
    assert_string_equal (json_string_value (json_object_get (seen, "publicKey")), PK);
    json_t *view = json_object_get (seen, "viewId");
    assert_true (view == NULL || json_is_null (view));
    json_decref (seen);

    //  Update: viewId given (§13 next_args_valid_query_with_document_id).
    stub.answer.seq_num = 2;
    stub.answer.has_backlink = true;
    assert_int_equal (panda_hash_from_hex (&stub.answer.backlink, DOC, 68, NULL), PANDA_OK);
    assert_string_equal (s_post (&stub, "{\"query\":" NEXT_ARGS_QUERY ",\"variables\":{\"publicKey\":\"" PK
                                        "\",\"viewId\":\"" DOC "\"},\"operationName\":\"NextArgs\"}"),
                         "{\"data\":{\"nextArgs\":{\"logId\":\"0\",\"seqNum\":\"2\",\"backlink\":\"" DOC
                         "\",\"skiplink\":null}}}");
    assert_string_equal (stub.seen, "{\"publicKey\":\"" PK "\",\"viewId\":\"" DOC "\"}");

    //  viewId as a JSON array of ids: validation error, nothing resolved.
    assert_string_equal (
        s_post (&stub, "{\"query\":" NEXT_ARGS_QUERY ",\"variables\":{\"publicKey\":\"" PK
                       "\",\"viewId\":[\"" DOC "\"]},\"operationName\":\"NextArgs\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"viewId\\\", expected type "
        "\\\"DocumentViewId\\\"\",\"locations\":[{\"line\":3,\"column\":45}]}]}");
    //  An upper-case key is a PublicKey too; a short one is not.
    s_post (
        &stub,
        "{\"query\":" NEXT_ARGS_QUERY
        ",\"variables\":{\"publicKey\":\"8B52AE153142288402382FD6D9619E018978E015E6BC372B1B0C7BD40C6A240A\"},"
        "\"operationName\":\"NextArgs\"}");
    assert_int_equal (stub.calls, 3);
    assert_string_equal (s_post (&stub, "{\"query\":" NEXT_ARGS_QUERY
                                        ",\"variables\":{\"publicKey\":\"8b52\"},\"operationName\":"
                                        "\"NextArgs\"}"),
                         "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument "
                         "\\\"publicKey\\\", expected type "
                         "\\\"PublicKey\\\"\",\"locations\":[{\"line\":3,\"column\":25}]}]}");
    assert_int_equal (stub.calls, 3);
    free (stub.seen);
}

static void
test_node_schema_next_args_literals (void **state)
{
    s_stub_t stub = {.answer = {.log_id = 0, .seq_num = 1}};
    //  §6.1's fresh-node example, byte for byte.
    assert_string_equal (
        s_post (&stub, "{\"query\":\"{ nextArgs(publicKey: \\\"" PK
                       "\\\") { logId, seqNum, backlink, skiplink } }\"}"),
        "{\"data\":{\"nextArgs\":{\"logId\":\"0\",\"seqNum\":\"1\",\"backlink\":null,\"skiplink\":null}}}");
    assert_string_equal (s_post (&stub, "{\"query\":\"{ nextArgs(publicKey: \\\"nope\\\") { logId } }\"}"),
                         "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument "
                         "\\\"publicKey\\\", expected type "
                         "\\\"PublicKey\\\"\",\"locations\":[{\"line\":1,\"column\":23}]}]}");
    assert_string_equal (
        s_post (&stub, "{\"query\":\"{ nextArgs { logId } }\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Field \\\"nextArgs\\\" argument "
        "\\\"publicKey\\\" of type \\\"Query\\\" is required but not provided\",\"locations\":"
        "[{\"line\":1,\"column\":3}]}]}");
    //  fishy: literal viewId (an entry hash), skiplink before backlink, no operationName.
    stub.answer = (panda_entry_args_t){.log_id = 7, .seq_num = UINT64_MAX, .has_skiplink = true};
    assert_int_equal (panda_hash_from_hex (&stub.answer.skiplink, DOC, 68, NULL), PANDA_OK);
    assert_string_equal (s_post (&stub, "{\"query\":\"{ nextArgs(publicKey: \\\"" PK "\\\", viewId: \\\"" DOC
                                        "\\\") { logId seqNum skiplink backlink } }\"}"),
                         "{\"data\":{\"nextArgs\":{\"logId\":\"7\",\"seqNum\":\"18446744073709551615\","
                         "\"skiplink\":\"" DOC "\",\"backlink\":null}}}");
    assert_string_equal (stub.seen, "{\"publicKey\":\"" PK "\",\"viewId\":\"" DOC "\"}");
    assert_string_equal (s_post (&stub, "{ \"query\": \"{ __schema { __typename } }\" }"),
                         "{\"data\":{\"__schema\":{\"__typename\":\"__Schema\"}}}");
    free (stub.seen);
}

static void
test_node_schema_publish (void **state)
{
    //  The first entry of the publish sequence and what a node answers after it.
    json_t *seq = panda_test_vectors ("publish_sequence.json");
    json_t *first = json_array_get (json_object_get (seq, "entries"), 0);
    const char *entry = json_string_value (json_object_get (first, "entry_hex"));
    const char *operation = json_string_value (json_object_get (first, "operation_hex"));
    json_t *after = json_object_get (first, "next_args_after");
    s_stub_t stub = {.answer = {.log_id = 0, .seq_num = 2, .has_backlink = true}};
    const char *backlink = json_string_value (json_object_get (after, "backlink"));
    assert_int_equal (panda_hash_from_hex (&stub.answer.backlink, backlink, 68, NULL), PANDA_OK);
    assert_string_equal (json_string_value (json_object_get (after, "seq_num")), "2");
    assert_true (json_is_null (json_object_get (after, "skiplink")));

    char body[8192], expected[512];
    snprintf (body, sizeof body,
              "{\"query\":" PUBLISH_QUERY
              ",\"variables\":{\"entry\":\"%s\",\"operation\":\"%s\"},\"operationName\":\"Publish\"}",
              entry, operation);
    snprintf (
        expected, sizeof expected,
        "{\"data\":{\"publish\":{\"logId\":\"0\",\"seqNum\":\"2\",\"backlink\":\"%s\",\"skiplink\":null}}}",
        backlink);
    assert_string_equal (s_post (&stub, body), expected);
    char seen[8192];
    snprintf (seen, sizeof seen, "{\"entry\":\"%s\",\"operation\":\"%s\"}", entry, operation);
    assert_string_equal (stub.seen, seen);

    //  fishy's literal mutation, named but sent without operationName.
    snprintf (
        body, sizeof body,
        "{\"query\":\"mutation Publish { publish(entry: \\\"%s\\\", operation: \\\"%s\\\") { logId seqNum "
        "skiplink backlink } }\"}",
        entry, operation);
    snprintf (
        expected, sizeof expected,
        "{\"data\":{\"publish\":{\"logId\":\"0\",\"seqNum\":\"2\",\"skiplink\":null,\"backlink\":\"%s\"}}}",
        backlink);
    assert_string_equal (s_post (&stub, body), expected);
    assert_int_equal (stub.calls, 2);

    //  Odd-length or non-hex input fails validation (§7.1); empty passes.
    assert_string_equal (
        s_post (&stub, "{\"query\":" PUBLISH_QUERY ",\"variables\":{\"entry\":\"abc\","
                       "\"operation\":\"a1\"},\"operationName\":\"Publish\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"entry\\\", "
        "expected type \\\"EncodedEntry\\\"\",\"locations\":[{\"line\":3,\"column\":20}]}]}");
    assert_string_equal (
        s_post (&stub, "{\"query\":" PUBLISH_QUERY ",\"variables\":{\"entry\":\"00\","
                       "\"operation\":\"zz\"},\"operationName\":\"Publish\"}"),
        "{\"data\":null,\"errors\":[{\"message\":\"Invalid value for argument \\\"operation\\\", "
        "expected type \\\"EncodedOperation\\\"\",\"locations\":[{\"line\":3,\"column\":39}]}]}");
    assert_int_equal (stub.calls, 2);
    s_post (&stub, "{\"query\":" PUBLISH_QUERY ",\"variables\":{\"entry\":\"\",\"operation\":\"\"}}");
    assert_int_equal (stub.calls, 3);
    assert_string_equal (stub.seen, "{\"entry\":\"\",\"operation\":\"\"}");
    free (stub.seen);
    json_decref (seq);
}

//  NextArguments JSON for every next_args_after of the publish sequence.
static void
test_node_next_args_json (void **state)
{
    json_t *seq = panda_test_vectors ("publish_sequence.json");
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get (seq, "entries"), i, e)
    {
        json_t *a = json_object_get (e, "next_args_after");
        const char *log = json_string_value (json_object_get (a, "log_id"));
        const char *seq_num = json_string_value (json_object_get (a, "seq_num"));
        json_t *back = json_object_get (a, "backlink"), *skip = json_object_get (a, "skiplink");
        panda_entry_args_t args = {.log_id = strtoull (log, NULL, 10),
                                   .seq_num = strtoull (seq_num, NULL, 10)};
        if ((args.has_backlink = json_is_string (back)))
            assert_int_equal (panda_hash_from_hex (&args.backlink, json_string_value (back), 68, NULL),
                              PANDA_OK);
        if ((args.has_skiplink = json_is_string (skip)))
            assert_int_equal (panda_hash_from_hex (&args.skiplink, json_string_value (skip), 68, NULL),
                              PANDA_OK);
        json_t *expected = json_pack ("{s:s,s:s,s:O,s:O}", "logId", log, "seqNum", seq_num, "backlink", back,
                                      "skiplink", skip);
        json_t *got = panda_node_schema_next_args_json (&args);
        char *want = json_dumps (expected, JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *have = json_dumps (got, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal (have, want);
        free (want);
        free (have);
        json_decref (got);
        json_decref (expected);
    }
    json_decref (seq);
}

// ---------------------------------------------------------------------------
//  Introspection: the static types read back as §4's SDL.

static const char *s_introspect =
    "{\"query\":\"{ __schema { queryType { name } mutationType { name } types { kind name fields { name "
    "args { name type { ...R } } type { ...R } } inputFields { name type { ...R } } enumValues { name } } } "
    "} "
    "fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }\"}";

//  A __Type reference as GraphQL text ("[Int!]").
static void
s_ref (json_t *t, char *out, size_t size)
{
    const char *kind = json_string_value (json_object_get (t, "kind"));
    char inner[128] = "";
    if (strcmp (kind, "LIST") == 0 || strcmp (kind, "NON_NULL") == 0)
        s_ref (json_object_get (t, "ofType"), inner, sizeof inner);
    if (strcmp (kind, "LIST") == 0)
        snprintf (out, size, "[%s]", inner);
    else if (strcmp (kind, "NON_NULL") == 0)
        snprintf (out, size, "%s!", inner);
    else
        snprintf (out, size, "%s", json_string_value (json_object_get (t, "name")));
}

//  One type of the introspection result as one line of SDL.
static void
s_sdl (json_t *t, char *out, size_t size)
{
    const char *kind = json_string_value (json_object_get (t, "kind"));
    const char *word = strcmp (kind, "OBJECT") == 0         ? "type"
                       : strcmp (kind, "INPUT_OBJECT") == 0 ? "input"
                       : strcmp (kind, "ENUM") == 0         ? "enum"
                                                            : "scalar";
    int n = snprintf (out, size, "%s %s", word, json_string_value (json_object_get (t, "name")));
    json_t *members = json_object_get (t, strcmp (word, "input") == 0 ? "inputFields" : "fields");
    if (strcmp (word, "enum") == 0)
        members = json_object_get (t, "enumValues");
    if (!json_is_array (members))
        return;
    n += snprintf (out + n, size - (size_t) n, " {");
    size_t i, a;
    json_t *m, *arg;
    char ref[128];
    json_array_foreach (members, i, m)
    {
        n += snprintf (out + n, size - (size_t) n, " %s", json_string_value (json_object_get (m, "name")));
        json_t *args = json_object_get (m, "args");
        json_array_foreach (args, a, arg)
        {
            s_ref (json_object_get (arg, "type"), ref, sizeof ref);
            n += snprintf (out + n, size - (size_t) n, "%s%s: %s", a ? ", " : "(",
                           json_string_value (json_object_get (arg, "name")), ref);
        }
        if (json_array_size (args))
            n += snprintf (out + n, size - (size_t) n, ")");
        if (json_object_get (m, "type")) {
            s_ref (json_object_get (m, "type"), ref, sizeof ref);
            n += snprintf (out + n, size - (size_t) n, ": %s", ref);
        }
    }
    snprintf (out + n, size - (size_t) n, " }");
}

//  node-api §4, one definition per line, in registration order.
static const char *s_expected_sdl[] = {
    "scalar PublicKey",
    "scalar DocumentId",
    "scalar DocumentViewId",
    "scalar EncodedEntry",
    "scalar EncodedOperation",
    "scalar EntryHash",
    "scalar LogId",
    "scalar SeqNum",
    "scalar Cursor",
    "scalar HexBytes",
    "type NextArguments { logId: LogId! seqNum: SeqNum! backlink: EntryHash skiplink: EntryHash }",
    "type DocumentMeta { documentId: DocumentId! viewId: DocumentViewId! owner: PublicKey! }",
    "enum OrderDirection { ASC DESC }",
    "input BooleanFilter { eq: Boolean notEq: Boolean }",
    "input IntegerFilter { in: [Int!] notIn: [Int!] eq: Int notEq: Int gte: Int gt: Int lte: Int lt: Int }",
    "input FloatFilter { in: [Float!] notIn: [Float!] eq: Float notEq: Float gte: Float gt: Float lte: Float "
    "lt: Float }",
    "input StringFilter { in: [String!] notIn: [String!] eq: String notEq: String gte: String gt: String "
    "lte: "
    "String lt: String contains: String notContains: String }",
    "input HexBytesFilter { eq: HexBytes notEq: HexBytes }",
    "input RelationFilter { eq: DocumentId notEq: DocumentId in: [DocumentId!] notIn: [DocumentId!] }",
    "input PinnedRelationFilter { eq: DocumentViewId notEq: DocumentViewId in: [DocumentViewId!] notIn: "
    "[DocumentViewId!] }",
    "input RelationListFilter { in: [DocumentId!] notIn: [DocumentId!] }",
    "input PinnedRelationListFilter { in: [DocumentViewId!] notIn: [DocumentViewId!] }",
    "input OwnerFilter { in: [PublicKey!] notIn: [PublicKey!] eq: PublicKey notEq: PublicKey }",
    "input DocumentIdFilter { in: [DocumentId!] notIn: [DocumentId!] eq: DocumentId notEq: DocumentId }",
    "input DocumentViewIdFilter { in: [DocumentViewId!] notIn: [DocumentViewId!] eq: DocumentViewId notEq: "
    "DocumentViewId }",
    "input MetaFilterInputObject { documentId: DocumentIdFilter viewId: DocumentViewIdFilter owner: "
    "OwnerFilter "
    "edited: BooleanFilter deleted: BooleanFilter }",
    "type MutationRoot { publish(entry: EncodedEntry!, operation: EncodedOperation!): NextArguments! }",
    "type Query { nextArgs(publicKey: PublicKey!, viewId: DocumentViewId): NextArguments }",
};

static void
test_node_schema_introspection (void **state)
{
    s_stub_t stub = {0};
    json_t *r = json_loads (s_post (&stub, s_introspect), 0, NULL);
    assert_non_null (r);
    assert_null (json_object_get (r, "errors"));
    json_t *schema = json_object_get (json_object_get (r, "data"), "__schema");
    assert_string_equal (json_string_value (json_object_get (json_object_get (schema, "queryType"), "name")),
                         "Query");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (schema, "mutationType"), "name")),
        "MutationRoot");
    const char *builtin[] = {"Int", "Float", "String", "Boolean", "ID"};
    size_t i, next = 0, count = sizeof s_expected_sdl / sizeof s_expected_sdl[0];
    json_t *t;
    char line[1024];
    json_array_foreach (json_object_get (schema, "types"), i, t)
    {
        const char *name = json_string_value (json_object_get (t, "name"));
        bool skip = strncmp (name, "__", 2) == 0;
        for (size_t b = 0; b < 5; b++)
            skip |= strcmp (name, builtin[b]) == 0;
        if (skip)
            continue;
        s_sdl (t, line, sizeof line);
        assert_true (next < count);
        assert_string_equal (line, s_expected_sdl[next++]);
    }
    assert_int_equal (next, count);
    json_decref (r);

    //  §4's descriptions of the two root fields.
    assert_string_equal (
        s_post (&stub,
                "{\"query\":\"{ q: __type(name: \\\"Query\\\") { fields { description } } m: __type(name: "
                "\\\"MutationRoot\\\") { fields { description } } }\"}"),
        "{\"data\":{\"q\":{\"fields\":[{\"description\":\"Return required arguments for publishing a entry "
        "to a "
        "node.\"}]},\"m\":{\"fields\":[{\"description\":\"Publish an entry using parameters obtained through "
        "`nextArgs` query.\"}]}}}");
    assert_string_equal (
        s_post (&stub, "{\"query\":\"{ schema: __type(name: \\\"chat_0020cf9c\\\") { name } }\"}"),
        "{\"data\":{\"schema\":null}}");
    assert_int_equal (stub.calls, 0);
}

// ---------------------------------------------------------------------------
//  The open Query: per-schema fields added after register, using the
//  filter inputs, Cursor and OrderDirection (messages of §2.3 and §13).

static int
s_echo (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_string ("ok");
    return 0;
}

static const char *
s_message (panda_gql_schema_t *schema, const char *args)
{
    static char text[1024];
    panda_gql_resolve_fn fns[PANDA_NODE_RESOLVE_COUNT + 1] = {[PANDA_NODE_RESOLVE_COUNT] = s_echo};
    panda_gql_resolvers_t resolvers = {fns, PANDA_NODE_RESOLVE_COUNT + 1};
    char query[1024];
    snprintf (query, sizeof query, "{ all_x%s }", args);
    json_t *r = panda_gql_execute (schema, NULL, query, strlen (query), NULL, NULL, &resolvers, NULL, NULL);
    json_t *error = json_array_get (json_object_get (r, "errors"), 0);
    snprintf (text, sizeof text, "%s",
              error ? json_string_value (json_object_get (error, "message"))
                    : json_string_value (json_object_get (json_object_get (r, "data"), "all_x")));
    json_decref (r);
    return text;
}

#define INVALID "Invalid value for argument "

static void
test_node_schema_extension (void **state)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_node_schema_register (b);
    panda_gql_builder_field (b, "all_x", "String", PANDA_NODE_RESOLVE_COUNT); //  still inside Query
    const char *args[][2] = {{"filter", "StringFilter"},
                             {"meta", "MetaFilterInputObject"},
                             {"orderDirection", "OrderDirection"},
                             {"first", "Int"},
                             {"after", "Cursor"},
                             {"bytes", "HexBytesFilter"}};
    for (size_t i = 0; i < 6; i++)
        panda_gql_builder_arg (b, args[i][0], args[i][1], NULL);
    panda_gql_builder_roots (b, PANDA_NODE_SCHEMA_QUERY, PANDA_NODE_SCHEMA_MUTATION);
    panda_error_t err;
    panda_gql_schema_t *s = panda_gql_builder_build (&b, &err);
    if (!s)
        fail_msg ("%s", err.message);
    assert_string_equal (s_message (s, "(meta: {bool: {in: [\"hello\"]}})"),
                         INVALID "\"meta\", unknown field \"bool\" of type \"MetaFilterInputObject\"");
    assert_string_equal (s_message (s, "(meta: {owner: {contains: \"hello\"}})"),
                         INVALID "\"meta.owner\", unknown field \"contains\" of type \"OwnerFilter\"");
    assert_string_equal (s_message (s, "(meta: {documentId: {contains: \"hello\"}})"), INVALID
                         "\"meta.documentId\", unknown field \"contains\" of type \"DocumentIdFilter\"");
    assert_string_equal (s_message (s, "(meta: {viewId: {contains: \"hello\"}})"), INVALID
                         "\"meta.viewId\", unknown field \"contains\" of type \"DocumentViewIdFilter\"");
    assert_string_equal (s_message (s, "(meta: {documentId: {eq: 27}})"),
                         INVALID "\"meta.documentId.eq\", expected type \"DocumentId\"");
    assert_string_equal (s_message (s, "(meta: {viewId: {in: \"hello\"}})"),
                         INVALID "\"meta.viewId.in\", expected type \"DocumentViewId\"");
    assert_string_equal (s_message (s, "(meta: {owner: {eq: \"hello\"}})"),
                         INVALID "\"meta.owner.eq\", expected type \"PublicKey\"");
    const char *not_cursors[] = {"(after: HELLO)", "(after: \"" DOC "\")", "(after: 27)"};
    for (size_t i = 0; i < 3; i++)
        assert_string_equal (s_message (s, not_cursors[i]), INVALID "\"after\", expected type \"Cursor\"");
    assert_string_equal (s_message (s, "(orderDirection: HELLO)"), INVALID
                         "\"orderDirection\", enumeration type \"OrderDirection\" does not contain the "
                         "value \"HELLO\"");
    assert_string_equal (s_message (s, "(orderDirection: \"hello\")"), INVALID
                         "\"orderDirection\", enumeration type \"OrderDirection\" does not contain the "
                         "value \"hello\"");
    assert_string_equal (s_message (s, "(bytes: {eq: \"abc\"})"),
                         INVALID "\"bytes.eq\", expected type \"HexBytes\"");
    assert_string_equal (s_message (s, "(filter: {notIn: [\"a\", 1]})"),
                         INVALID "\"filter.notIn\", expected type \"String\"");
    //  Valid combinations pass.
    assert_string_equal (
        s_message (
            s,
            "(meta: {owner: {eq: \"" PK "\"}, documentId: {in: [\"" DOC "\"]}, viewId: {notIn: \"" DOC
            "\"}, edited: {eq: true}, deleted: {notEq: false}}, orderDirection: DESC, first: 2, after: "
            "\"25rsF8yKgHj3dDxuMFGsuYCKH9yGbuWtWE5e1nMCM6j9PmiUUx6wntNGiEX4LbU7H8xpxZoBGD1XdbAhFA3ywpmv\", "
            "bytes: {eq: \"E8\", notEq: \"\"}, filter: {contains: \"m\", in: [\"a\"], gte: \"b\"})"),
        "ok");
    panda_gql_schema_unref (&s);
}

//  The split form: per-schema types between the static types and Query.
static void
test_node_schema_split (void **state)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_node_schema_types (b);
    panda_gql_builder_object (b, "blob_v1");
    panda_gql_builder_field (b, "meta", "DocumentMeta", 0);
    panda_gql_builder_object (b, PANDA_NODE_SCHEMA_QUERY);
    panda_node_schema_query_fields (b);
    panda_gql_builder_field (b, "blob_v1", "blob_v1", 0);
    panda_gql_builder_arg (b, "id", "DocumentId", NULL);
    panda_node_schema_mutation (b);
    panda_gql_builder_roots (b, PANDA_NODE_SCHEMA_QUERY, PANDA_NODE_SCHEMA_MUTATION);
    panda_error_t err;
    panda_gql_schema_t *s = panda_gql_builder_build (&b, &err);
    if (!s)
        fail_msg ("%s", err.message);
    s_stub_t stub = {0};
    assert_string_equal (
        s_post_to (s, &stub, "{\"query\":\"{ __type(name: \\\"Query\\\") { fields { name } } }\"}"),
        "{\"data\":{\"__type\":{\"fields\":[{\"name\":\"nextArgs\"},{\"name\":\"blob_v1\"}]}}}");
    panda_gql_schema_unref (&s);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_node_schema_shirokuma_next_args),
        cmocka_unit_test (test_node_schema_next_args_literals),
        cmocka_unit_test (test_node_schema_publish),
        cmocka_unit_test (test_node_next_args_json),
        cmocka_unit_test (test_node_schema_introspection),
        cmocka_unit_test (test_node_schema_extension),
        cmocka_unit_test (test_node_schema_split),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
