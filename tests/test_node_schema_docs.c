/*  test_node_schema_docs.c - the per-schema part of the node schema
    (node-api §5) seen through introspection: the system schemas exactly as
    §5.5 lists them (plus the agreed extensions), an application schema
    with every field kind, relations to schemas that are not there, the
    §14.16 SOrderBy collisions, the type names of §13 type_name, the
    argument errors of §13 collection_query cases 5-24, and the api's
    schema snapshots (lifetime, loading from the views database).          */
#include "panda_test.h"
#include "panda_pandad.h"
#include "panda_node_schema.h"
#include "panda_views.h"
#include "api.h"

//  §13 collection_query / schema_updates schema id and a document id.
#define SID "schema_name_00201d89fa3c2ff534179d6e4fbd4d10f0a696d273d79a79f6aeeb4e3b7306a4f46c"
#define DOC "002015f3c7541991918e612be61ab58adf2316c9499a91dbfa012077de77c1620220"
#define CHILD "child_0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543"
#define PARENT "parent_0020dda3b3977477e4c621ce124903a736e54b139afcb033e99677a6c8470b26514c"
#define GHOST "ghost_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b"
#define ORPHAN "orphan_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b"
#define ODD "odd_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b"

//  The collection arguments of all_T and of list fields to T (§5.3 plus
//  last/before), as s_sdl writes them.
#define COLL(T)                                                                                              \
    "filter: " T "Filter, meta: MetaFilterInputObject, orderBy: " T "OrderBy = \"DOCUMENT_ID\", "            \
    "orderDirection: OrderDirection = ASC, first: Int = 25, after: Cursor, last: Int, before: Cursor"
#define DOC_TYPES(X)                                                                                         \
    {X, "fields: " X "Fields; meta: DocumentMeta"},                                                          \
        {X "Item", "fields: " X "Fields; meta: DocumentMeta; cursor: String"},                               \
        {X "Collection", "totalCount: Int!; endCursor: String!; hasNextPage: Boolean!; documents: [" X       \
                         "Item!]!; startCursor: String; hasPreviousPage: Boolean!"},                         \
        {"Query." X, X "(id: DocumentId, viewId: DocumentViewId): " X},                                      \
    {                                                                                                        \
        "Query.all_" X, "all_" X "(" COLL (X) "): " X "Collection!"                                          \
    }

static const char *const s_system_ids[] = {"schema_definition_v1", "schema_field_definition_v1", "blob_v1",
                                           "blob_piece_v1"};

// ---------------------------------------------------------------------------
//  Helpers

//  Resolver stubs: every call is counted; objects come back as JSON.
static int s_calls;

static int
s_stub (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_calls++;
    const char *f = call->field_name;
    if (strcmp (f, "documents") == 0)
        out->json = json_pack ("[{}]");
    else if (strcmp (f, "totalCount") == 0)
        out->json = json_integer (1);
    else if (strcmp (f, "hasNextPage") == 0 || strcmp (f, "hasPreviousPage") == 0)
        out->json = json_false ();
    else if (strcmp (f, "endCursor") == 0 || strcmp (f, "cursor") == 0 || strcmp (f, "startCursor") == 0)
        out->json = json_string ("c");
    else if (strcmp (f, "meta") == 0)
        out->json = json_pack ("{s:s}", "documentId", DOC);
    else if (strcmp (call->parent_type, "Query") == 0 || strcmp (f, "fields") == 0)
        out->json = json_object ();
    else
        out->json = json_true ();
    return 0;
}

static const panda_gql_resolve_fn s_fns[PANDA_NODE_RESOLVE_COUNT] = {
    [PANDA_NODE_RESOLVE_DOCUMENT] = s_stub,    [PANDA_NODE_RESOLVE_COLLECTION] = s_stub,
    [PANDA_NODE_RESOLVE_VIEW_FIELDS] = s_stub, [PANDA_NODE_RESOLVE_VIEW_META] = s_stub,
    [PANDA_NODE_RESOLVE_ITEM_CURSOR] = s_stub, [PANDA_NODE_RESOLVE_FIELD] = s_stub,
    [PANDA_NODE_RESOLVE_LIST_FIELD] = s_stub,  [PANDA_NODE_RESOLVE_PAGE] = s_stub};
static const panda_gql_resolvers_t s_resolvers = {s_fns, PANDA_NODE_RESOLVE_COUNT};

//  Execute query; the compact response (static buffer).
static const char *
s_run (const panda_gql_schema_t *schema, const char *query)
{
    static char text[65536];
    json_t *r = panda_gql_execute (schema, NULL, query, strlen (query), NULL, NULL, &s_resolvers, NULL, NULL);
    assert_non_null (r);
    char *dump = json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER);
    snprintf (text, sizeof text, "%s", dump);
    free (dump);
    json_decref (r);
    return text;
}

//  An introspected type reference as GraphQL text ("[X!]!").
static void
s_ref_text (json_t *ref, char *out, size_t size)
{
    const char *kind = json_string_value (json_object_get (ref, "kind"));
    char inner[512];
    if (strcmp (kind, "NON_NULL") == 0 || strcmp (kind, "LIST") == 0) {
        s_ref_text (json_object_get (ref, "ofType"), inner, sizeof inner);
        snprintf (out, size, kind[0] == 'N' ? "%s!" : "[%s]", inner);
    } else
        snprintf (out, size, "%s", json_string_value (json_object_get (ref, "name")));
}

//  Append "name(args): Type" or "name: Type = default" of one member.
static void
s_member (json_t *m, bool field, char *out, size_t size)
{
    char type[512];
    size_t used = strlen (out);
    used += (size_t) snprintf (out + used, size - used, "%s%s", used ? "; " : "",
                               json_string_value (json_object_get (m, "name")));
    json_t *args = json_object_get (m, "args");
    for (size_t i = 0; field && i < json_array_size (args); i++) {
        json_t *a = json_array_get (args, i);
        s_ref_text (json_object_get (a, "type"), type, sizeof type);
        const char *def = json_string_value (json_object_get (a, "defaultValue"));
        used += (size_t) snprintf (out + used, size - used, "%s%s: %s%s%s", i ? ", " : "(",
                                   json_string_value (json_object_get (a, "name")), type, def ? " = " : "",
                                   def ? def : "");
    }
    s_ref_text (json_object_get (m, "type"), type, sizeof type);
    snprintf (out + used, size - used, "%s: %s", json_array_size (args) ? ")" : "", type);
}

//  SDL-like text of a type ("f: T; g(a: A): U", input fields likewise, enum
//  values space-separated), of one field ("Type.field"), or "null".
static const char *
s_sdl (const panda_gql_schema_t *schema, const char *what)
{
    static char out[16384];
    char query[1024], name[512];
    const char *dot = strchr (what, '.');
    snprintf (name, sizeof name, "%.*s", dot ? (int) (dot - what) : (int) strlen (what), what);
    snprintf (query, sizeof query,
              "{ __type(name: \"%s\") { kind fields { name type { ...R } args { name defaultValue type "
              "{ ...R } } } inputFields { name defaultValue type { ...R } } enumValues { name } } } "
              "fragment R on __Type { kind name ofType { kind name ofType { kind name ofType { kind name "
              "} } } }",
              name);
    json_t *r = panda_gql_execute (schema, NULL, query, strlen (query), NULL, NULL, NULL, NULL, NULL);
    json_t *t = json_object_get (json_object_get (r, "data"), "__type");
    if (!t) {
        char *dump = json_dumps (r, JSON_COMPACT);
        print_error ("introspection failed: %s\n", dump);
        free (dump);
        fail ();
    }
    out[0] = 0;
    if (json_is_null (t))
        snprintf (out, sizeof out, "null");
    const char *kind = json_string_value (json_object_get (t, "kind"));
    json_t *list = json_object_get (t, kind && strcmp (kind, "INPUT_OBJECT") == 0 ? "inputFields" : "fields");
    for (size_t i = 0; kind && i < json_array_size (list); i++) {
        json_t *m = json_array_get (list, i);
        if (!dot || strcmp (json_string_value (json_object_get (m, "name")), dot + 1) == 0)
            s_member (m, strcmp (kind, "OBJECT") == 0, out, sizeof out);
    }
    json_t *values = json_object_get (t, "enumValues");
    for (size_t i = 0; i < json_array_size (values); i++) {
        size_t used = strlen (out);
        snprintf (out + used, sizeof out - used, "%s%s", i ? " " : "",
                  json_string_value (json_object_get (json_array_get (values, i), "name")));
    }
    json_decref (r);
    return out;
}

//  The description of a type, or of a field ("Type.field").
static const char *
s_description (const panda_gql_schema_t *schema, const char *what)
{
    static char out[1024];
    char query[1024];
    const char *dot = strchr (what, '.');
    snprintf (query, sizeof query, "{ __type(name: \"%.*s\") { description fields { name description } } }",
              dot ? (int) (dot - what) : (int) strlen (what), what);
    json_t *r = panda_gql_execute (schema, NULL, query, strlen (query), NULL, NULL, NULL, NULL, NULL);
    json_t *t = json_object_get (json_object_get (r, "data"), "__type");
    json_t *d = json_object_get (t, "description");
    json_t *fields = json_object_get (t, "fields");
    for (size_t i = 0; dot && i < json_array_size (fields); i++)
        if (strcmp (json_string_value (json_object_get (json_array_get (fields, i), "name")), dot + 1) == 0)
            d = json_object_get (json_array_get (fields, i), "description");
    snprintf (out, sizeof out, "%s", d && json_is_string (d) ? json_string_value (d) : "(none)");
    json_decref (r);
    return out;
}

//  An application schema from "name:type" pairs (NULL-terminated).
static panda_schema_t *
s_app (const char *id, const char *description, const char *const *fields)
{
    char name[64];
    snprintf (name, sizeof name, "%.*s", (int) (strstr (id, "_0020") - id), id);
    panda_error_t err;
    panda_schema_t *schema = panda_schema_new (id, name, description, &err);
    if (!schema)
        fail_msg ("%s: %s", id, err.message);
    for (size_t i = 0; fields[i]; i++) {
        char field[128];
        const char *colon = strchr (fields[i], ':');
        snprintf (field, sizeof field, "%.*s", (int) (colon - fields[i]), fields[i]);
        if (panda_schema_add_field (schema, field, colon + 1, &err) != PANDA_OK)
            fail_msg ("%s: %s", fields[i], err.message);
    }
    return schema;
}

//  The node schema of the system schemas followed by apps (may be NULL).
static panda_gql_schema_t *
s_build (panda_schema_t *const *apps, size_t app_count)
{
    const panda_schema_t *list[16];
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        list[n++] = panda_schema_system (s_system_ids[i]);
    for (size_t i = 0; i < app_count; i++)
        list[n++] = apps[i];
    panda_error_t err;
    panda_gql_schema_t *schema = panda_node_schema_build (list, n, &err);
    if (!schema)
        fail_msg ("%s", err.message);
    return schema;
}

//  Compare a list of {what, expected SDL} pairs.
typedef struct {
    const char *what, *sdl;
} s_fact_t;

static void
s_check_facts (const panda_gql_schema_t *schema, const s_fact_t *facts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const char *got = s_sdl (schema, facts[i].what);
        if (strcmp (got, facts[i].sdl) != 0) {
            print_error ("%s:\n  got      %s\n  expected %s\n", facts[i].what, got, facts[i].sdl);
            fail ();
        }
    }
}

#define S_COUNT(a) (sizeof (a) / sizeof ((a)[0]))

// ---------------------------------------------------------------------------
//  Generated types

//  §5.5 exactly, plus OWNER, last/before, startCursor/hasPreviousPage.
static void
test_system_schemas (void **state)
{
    panda_gql_schema_t *schema = s_build (NULL, 0);
    static const s_fact_t facts[] = {
        {"schema_definition_v1Fields",
         "description: String; fields(" COLL (
             "schema_field_definition_v1") "): schema_field_definition_v1Collection; name: String"},
        {"schema_definition_v1OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER description fields name"},
        {"schema_definition_v1Filter",
         "description: StringFilter; fields: PinnedRelationListFilter; name: StringFilter"},
        {"schema_field_definition_v1Fields", "name: String; type: String"},
        {"schema_field_definition_v1OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER name type"},
        {"schema_field_definition_v1Filter", "name: StringFilter; type: StringFilter"},
        {"blob_v1Fields",
         "length: Int; mime_type: String; pieces(" COLL ("blob_piece_v1") "): blob_piece_v1Collection"},
        {"blob_v1OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER length mime_type pieces"},
        {"blob_v1Filter", "length: IntegerFilter; mime_type: StringFilter; pieces: PinnedRelationListFilter"},
        {"blob_piece_v1Fields", "data: HexBytes"},
        {"blob_piece_v1OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER data"},
        {"blob_piece_v1Filter", "data: HexBytesFilter"},
        DOC_TYPES ("schema_definition_v1"),
        DOC_TYPES ("schema_field_definition_v1"),
        DOC_TYPES ("blob_v1"),
        DOC_TYPES ("blob_piece_v1"),
        //  The static part is still there.
        {"Query.nextArgs", "nextArgs(publicKey: PublicKey!, viewId: DocumentViewId): NextArguments"},
        {"MutationRoot", "publish(entry: EncodedEntry!, operation: EncodedOperation!): NextArguments!"},
    };
    s_check_facts (schema, facts, S_COUNT (facts));
    assert_string_equal (s_description (schema, "schema_definition_v1"),
                         "Publish data schemas for your application.");
    assert_string_equal (s_description (schema, "schema_field_definition_v1"),
                         "Define fields for application data schemas.");
    assert_string_equal (s_description (schema, "blob_v1"), "Definition of a blob file.");
    assert_string_equal (s_description (schema, "blob_piece_v1Item"),
                         "Representation of the (partial) binary data of a file.");
    assert_string_equal (s_description (schema, "Query.blob_v1"), "Query a blob document by id or view id.");
    assert_string_equal (s_description (schema, "Query.all_blob_v1"),
                         "Get all blob_v1 documents with pagination, ordering and filtering.");
    //  The queries clients send against a fresh node (§5.5) validate; their
    //  data comes from the resolvers (stubs here).
    assert_string_equal (s_run (schema, "query checkNode { all_schema_definition_v1 { totalCount } }"),
                         "{\"data\":{\"all_schema_definition_v1\":{\"totalCount\":1}}}");
    assert_string_equal (
        s_run (schema, "{ all_schema_definition_v1 { documents { fields { name description } } } }"),
        "{\"data\":{\"all_schema_definition_v1\":{\"documents\":[{\"fields\":{\"name\":true,\"description\":"
        "true}}]}}}");
    panda_gql_schema_unref (&schema);
}

static const char *const s_child_fields[] = {"it_works:bool", NULL};
static const char *const s_parent_fields[] = {"bytes_f:bytes",
                                              "flag:bool",
                                              "float_f:float",
                                              "int_f:int",
                                              "list:relation_list(" CHILD ")",
                                              "missing:relation(" GHOST ")",
                                              "pinned:pinned_relation(" CHILD ")",
                                              "pinned_list:pinned_relation_list(" CHILD ")",
                                              "rel:relation(" CHILD ")",
                                              "text:str",
                                              NULL};
static const char *const s_orphan_fields[] = {"only:pinned_relation_list(" GHOST ")", NULL};

//  §5.4 for every field kind, fields ascending by name; a relation to a
//  schema that is not in the list is left out of SFields only.
static void
test_application_schema (void **state)
{
    panda_schema_t *apps[] = {s_app (PARENT, "Parent of many children", s_parent_fields),
                              s_app (CHILD, "A child", s_child_fields),
                              s_app (ORPHAN, "Points nowhere", s_orphan_fields)};
    panda_gql_schema_t *schema = s_build (apps, S_COUNT (apps));
    static const s_fact_t facts[] = {
        {PARENT "Fields",
         "bytes_f: HexBytes; flag: Boolean; float_f: Float; int_f: Int; list(" COLL (
             CHILD) "): " CHILD "Collection; pinned: " CHILD
                    "; pinned_list(" COLL (CHILD) "): " CHILD "Collection; rel: " CHILD "; text: String"},
        {PARENT "Filter", "bytes_f: HexBytesFilter; flag: BooleanFilter; float_f: FloatFilter; int_f: "
                          "IntegerFilter; list: RelationListFilter; missing: RelationFilter; pinned: "
                          "PinnedRelationFilter; pinned_list: PinnedRelationListFilter; rel: RelationFilter; "
                          "text: StringFilter"},
        {PARENT "OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER bytes_f flag float_f int_f list missing "
                           "pinned pinned_list rel text"},
        DOC_TYPES (PARENT),
        DOC_TYPES (CHILD),
        {CHILD "Fields", "it_works: Boolean"},
        //  Nothing of ORPHAN's fields can be output: no SFields, no `fields`.
        {ORPHAN, "meta: DocumentMeta"},
        {ORPHAN "Item", "meta: DocumentMeta; cursor: String"},
        {ORPHAN "Fields", "null"},
        {ORPHAN "Filter", "only: PinnedRelationListFilter"},
        {ORPHAN "OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER only"},
        {"Query.all_" ORPHAN, "all_" ORPHAN "(" COLL (ORPHAN) "): " ORPHAN "Collection!"},
        {GHOST, "null"},
    };
    s_check_facts (schema, facts, S_COUNT (facts));
    assert_string_equal (s_description (schema, PARENT), "Parent of many children");
    assert_string_equal (s_description (schema, "Query." PARENT),
                         "Query a parent document by id or view id.");
    assert_string_equal (s_description (schema, PARENT "Fields.list"),
                         "Get all " CHILD " documents with pagination, ordering and filtering.");
    //  §13 relation_fields: every relation kind resolves through the child's types.
    s_calls = 0;
    assert_string_equal (
        s_run (schema,
               "{ " PARENT "(id: \"" DOC "\") { fields { rel { fields { it_works } } pinned { meta { "
               "documentId } } list(first: 1, orderBy: it_works) { documents { fields { it_works } } } "
               "pinned_list { totalCount } } } }"),
        "{\"data\":{\"" PARENT
        "\":{\"fields\":{\"rel\":{\"fields\":{\"it_works\":true}},\"pinned\":{\"meta\":{"
        "\"documentId\":\"" DOC "\"}},\"list\":{\"documents\":[{\"fields\":{\"it_works\":true}}]},"
        "\"pinned_list\":{\"totalCount\":1}}}}}");
    assert_true (s_calls > 0);
    //  A filter on the field left out of SFields still validates.
    assert_string_equal (s_run (schema,
                                "{ all_" PARENT "(filter: {missing: {eq: \"" DOC "\"}}, orderBy: missing) "
                                "{ totalCount } }"),
                         "{\"data\":{\"all_" PARENT "\":{\"totalCount\":1}}}");
    for (size_t i = 0; i < S_COUNT (apps); i++)
        panda_schema_destroy (&apps[i]);
    panda_gql_schema_unref (&schema);
}

//  §13 type_name: __typename of every generated object type.
static void
test_type_names (void **state)
{
    static const char *const fields[] = {"bool:bool", "data:bytes", NULL};
    panda_schema_t *app = s_app (SID, "collection_query", fields);
    panda_gql_schema_t *schema = s_build (&app, 1);
    assert_string_equal (
        s_run (schema, "{ " SID "(id: \"" DOC "\") { __typename meta { __typename } fields { __typename } } "
                       "all_" SID " { __typename documents { __typename meta { __typename } fields { "
                       "__typename } } } }"),
        "{\"data\":{\"" SID "\":{\"__typename\":\"" SID "\",\"meta\":{\"__typename\":\"DocumentMeta\"},"
        "\"fields\":{\"__typename\":\"" SID "Fields\"}},\"all_" SID "\":{\"__typename\":\"" SID
        "Collection\","
        "\"documents\":[{\"__typename\":\"" SID
        "Item\",\"meta\":{\"__typename\":\"DocumentMeta\"},\"fields\":{"
        "\"__typename\":\"" SID "Fields\"}}]}}}");
    panda_schema_destroy (&app);
    panda_gql_schema_unref (&schema);
}

//  §13 collection_query cases 5-24: argument errors found before any
//  resolver runs. Cases 13 and 17 (a string for an input object) are
//  rejected at validation, as §2.3 allows, with the coercion message.
static void
test_collection_argument_errors (void **state)
{
    static const char *const fields[] = {"bool:bool", "data:bytes", NULL};
    static const char *const cases[][2] = {
        {"first: \"hello\"", "\"first\", expected type \"Int\""},
        {"after: HELLO", "\"after\", expected type \"Cursor\""},
        {"after: \"" DOC "\"", "\"after\", expected type \"Cursor\""},
        {"after: 27", "\"after\", expected type \"Cursor\""},
        {"orderBy: HELLO",
         "\"orderBy\", enumeration type \"" SID "OrderBy\" does not contain the value \"HELLO\""},
        {"orderBy: \"hello\"",
         "\"orderBy\", enumeration type \"" SID "OrderBy\" does not contain the value \"hello\""},
        {"orderDirection: HELLO",
         "\"orderDirection\", enumeration type \"OrderDirection\" does not contain the value \"HELLO\""},
        {"orderDirection: \"hello\"",
         "\"orderDirection\", enumeration type \"OrderDirection\" does not contain the value \"hello\""},
        {"filter: \"hello\"", "\"filter\", expected type \"" SID "Filter\""},
        {"filter: {bool: {in: [\"hello\"]}}",
         "\"filter.bool\", unknown field \"in\" of type \"BooleanFilter\""},
        {"filter: {hello: {eq: true}}", "\"filter\", unknown field \"hello\" of type \"" SID "Filter\""},
        {"filter: {bool: {contains: \"hello\"}}",
         "\"filter.bool\", unknown field \"contains\" of type \"BooleanFilter\""},
        {"meta: \"hello\"", "\"meta\", expected type \"MetaFilterInputObject\""},
        {"meta: {bool: {in: [\"hello\"]}}",
         "\"meta\", unknown field \"bool\" of type \"MetaFilterInputObject\""},
        {"meta: {owner: {contains: \"hello\"}}",
         "\"meta.owner\", unknown field \"contains\" of type \"OwnerFilter\""},
        {"meta: {documentId: {contains: \"hello\"}}",
         "\"meta.documentId\", unknown field \"contains\" of type \"DocumentIdFilter\""},
        {"meta: {viewId: {contains: \"hello\"}}",
         "\"meta.viewId\", unknown field \"contains\" of type \"DocumentViewIdFilter\""},
        {"meta: {documentId: {eq: 27}}", "\"meta.documentId.eq\", expected type \"DocumentId\""},
        {"meta: {viewId: {in: \"hello\"}}", "\"meta.viewId.in\", expected type \"DocumentViewId\""},
        {"meta: {owner: {eq: \"hello\"}}", "\"meta.owner.eq\", expected type \"PublicKey\""},
        //  The extensions are checked alike.
        {"last: \"hello\"", "\"last\", expected type \"Int\""},
        {"before: HELLO", "\"before\", expected type \"Cursor\""},
    };
    panda_schema_t *app = s_app (SID, "collection_query", fields);
    panda_gql_schema_t *schema = s_build (&app, 1);
    s_calls = 0;
    for (size_t i = 0; i < S_COUNT (cases); i++) {
        char query[1024];
        snprintf (query, sizeof query, "{ all_" SID "(%s) { documents { fields { bool } } } }", cases[i][0]);
        json_t *got = json_loads (s_run (schema, query), 0, NULL);
        const char *message = json_string_value (
            json_object_get (json_array_get (json_object_get (got, "errors"), 0), "message"));
        char full[1024];
        snprintf (full, sizeof full, "Invalid value for argument %s", cases[i][1]);
        if (!message || strcmp (message, full) != 0 || !json_is_null (json_object_get (got, "data")))
            fail_msg ("case %zu (%s): %s", i, cases[i][0], message ? message : "no error");
        json_decref (got);
    }
    assert_int_equal (s_calls, 0);
    //  Valid arguments of every kind pass.
    assert_string_equal (s_run (schema,
                                "{ all_" SID
                                "(orderBy: bool, orderDirection: DESC, first: 2, filter: {bool: {eq: true}, "
                                "data: {notEq: \"00\"}}, meta: {owner: {in: []}}) { totalCount } }"),
                         "{\"data\":{\"all_" SID "\":{\"totalCount\":1}}}");
    panda_schema_destroy (&app);
    panda_gql_schema_unref (&schema);
}

//  §14.16: names that collide with meta values or are no legal enum values
//  are left out of SOrderBy; everything else works with them.
static void
test_order_by_collisions (void **state)
{
    static const char *const fields[] = {"DOCUMENT_ID:str", "DOCUMENT_VIEW_ID:int",
                                         "OWNER:bool",      "false:bool",
                                         "null:str",        "title:str",
                                         "true:int",        NULL};
    panda_schema_t *app = s_app (ODD, "odd names", fields);
    panda_gql_schema_t *schema = s_build (&app, 1);
    static const s_fact_t facts[] = {
        {ODD "OrderBy", "DOCUMENT_ID DOCUMENT_VIEW_ID OWNER title"},
        {ODD "Fields",
         "DOCUMENT_ID: String; DOCUMENT_VIEW_ID: Int; OWNER: Boolean; false: Boolean; null: String; "
         "title: String; true: Int"},
        {ODD "Filter",
         "DOCUMENT_ID: StringFilter; DOCUMENT_VIEW_ID: IntegerFilter; OWNER: BooleanFilter; false: "
         "BooleanFilter; null: StringFilter; title: StringFilter; true: IntegerFilter"},
    };
    s_check_facts (schema, facts, S_COUNT (facts));
    assert_false (panda_node_schema_orderable ("OWNER"));
    assert_false (panda_node_schema_orderable ("null"));
    assert_true (panda_node_schema_orderable ("Owner"));
    assert_string_equal (
        s_run (schema, "{ all_" ODD "(orderBy: OWNER, filter: {true: {gt: 1}, DOCUMENT_ID: {eq: \"x\"}}) { "
                       "documents { fields { true false null DOCUMENT_ID } } } }"),
        "{\"data\":{\"all_" ODD "\":{\"documents\":[{\"fields\":{\"true\":true,\"false\":true,\"null\":true,"
        "\"DOCUMENT_ID\":true}}]}}}");
    json_t *got = json_loads (s_run (schema, "{ all_" ODD "(orderBy: \"true\") { totalCount } }"), 0, NULL);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (json_object_get (got, "errors"), 0), "message")),
        "Invalid value for argument \"orderBy\", enumeration type \"" ODD
        "OrderBy\" does not contain the value "
        "\"true\"");
    json_decref (got);
    panda_schema_destroy (&app);
    panda_gql_schema_unref (&schema);
}

//  A schema id given twice is built once; no schemas at all is the static
//  schema.
static void
test_duplicates_and_empty (void **state)
{
    panda_schema_t *apps[] = {s_app (CHILD, "A child", s_child_fields),
                              s_app (CHILD, "again", s_child_fields)};
    panda_gql_schema_t *schema = s_build (apps, 2);
    assert_string_equal (s_description (schema, CHILD), "A child");
    panda_gql_schema_unref (&schema);
    panda_error_t err;
    schema = panda_node_schema_build (NULL, 0, &err);
    assert_non_null (schema);
    assert_string_equal (s_sdl (schema, "blob_v1"), "null");
    assert_string_equal (s_sdl (schema, "Query"),
                         "nextArgs(publicKey: PublicKey!, viewId: DocumentViewId): NextArguments");
    panda_gql_schema_unref (&schema);
    for (size_t i = 0; i < 2; i++)
        panda_schema_destroy (&apps[i]);
}

// ---------------------------------------------------------------------------
//  Snapshots (actors/api_schema.c)

static panda_api_snapshot_t *
s_snapshot (panda_schema_t *app)
{
    panda_schema_t **list = calloc (5, sizeof *list);
    assert_non_null (list);
    size_t n = 0;
    for (; n < 4; n++)
        list[n] = panda_schema_dup (panda_schema_system (s_system_ids[n]));
    if (app)
        list[n++] = app;
    panda_error_t err;
    panda_api_snapshot_t *snapshot = panda_api_snapshot_new (&list, n, &err);
    if (!snapshot)
        fail_msg ("%s", err.message);
    assert_null (list);
    return snapshot;
}

//  A request keeps the snapshot it took while a newer one is installed;
//  the old one goes with the last request that holds it (ASan: no leak,
//  no use after free).
static void
test_snapshot_lifetime (void **state)
{
    panda_api_t api;
    panda_api_init (&api, NULL);
    assert_null (panda_api_snapshot_take (&api));
    panda_api_snapshot_t *first = s_snapshot (NULL);
    panda_api_snapshot_install (&api, &first);
    assert_null (first);
    panda_api_snapshot_t *old_request = panda_api_snapshot_take (&api);
    assert_non_null (panda_api_snapshot_schema (old_request, "blob_v1"));
    assert_null (panda_api_snapshot_schema (old_request, CHILD));

    panda_api_snapshot_t *second = s_snapshot (s_app (CHILD, "A child", s_child_fields));
    panda_api_snapshot_install (&api, &second);
    panda_api_snapshot_t *new_request = panda_api_snapshot_take (&api);
    //  The old request still sees its schema; the new one sees the child.
    const char *query = "{ t: __type(name: \"" CHILD "\") { name } }";
    assert_string_equal (s_run (panda_api_snapshot_gql (old_request), query), "{\"data\":{\"t\":null}}");
    assert_string_equal (s_run (panda_api_snapshot_gql (new_request), query),
                         "{\"data\":{\"t\":{\"name\":\"" CHILD "\"}}}");
    const panda_schema_t *child = panda_api_snapshot_schema (new_request, CHILD);
    assert_non_null (child);
    assert_string_equal (panda_schema_description (child), "A child");
    for (size_t i = 0; i < 4; i++)
        assert_string_equal (panda_schema_id (panda_api_snapshot_schema (new_request, s_system_ids[i])),
                             s_system_ids[i]);
    assert_null (panda_api_snapshot_schema (new_request, "blob_v2"));
    panda_api_snapshot_unref (&old_request); //  frees the first snapshot
    assert_null (old_request);
    panda_api_release (&api); //  the request still holds the second
    assert_string_equal (s_run (panda_api_snapshot_gql (new_request), query),
                         "{\"data\":{\"t\":{\"name\":\"" CHILD "\"}}}");
    panda_api_snapshot_unref (&new_request);
    panda_api_snapshot_unref (&new_request); //  NULL: no-op
}

static panda_config_t *
s_config (const char *const *allowed)
{
    panda_error_t err;
    panda_config_t *config = panda_pandad_inproc_config ("snap", "sqlite::memory:", &err);
    if (!config)
        fail_msg ("%s", err.message);
    if (allowed) {
        config->allow_all_schema_ids = false;
        size_t n = 0;
        while (allowed[n])
            n++;
        config->allow_schema_ids.items = calloc (n, sizeof (char *));
        for (size_t i = 0; i < n; i++)
            config->allow_schema_ids.items[i] = strdup (allowed[i]);
        config->allow_schema_ids.count = n;
    }
    return config;
}

//  The views database of config, opened read-write (keeps a memdb alive).
static panda_views_t *
s_views (const panda_config_t *config)
{
    char *store = panda_actor_store_path (config);
    char *path = panda_views_path (store);
    panda_error_t err;
    panda_views_t *views = panda_views_open (path, false, &err);
    free (store);
    free (path);
    if (!views)
        fail_msg ("%s", err.message);
    return views;
}

static void
s_put (panda_views_t *views, panda_schema_t *schema)
{
    panda_hash_t definition;
    panda_error_t err;
    assert_int_equal (panda_hash_from_hex (&definition, DOC, strlen (DOC), &err), PANDA_OK);
    if (panda_views_schema_put (views, schema, &definition, &err) != PANDA_OK)
        fail_msg ("%s", err.message);
    panda_schema_destroy (&schema);
}

//  Loading: a fresh node (no views database yet) has the system schemas;
//  recorded application schemas follow; the allow list filters both.
static void
test_snapshot_load (void **state)
{
    panda_config_t *config = s_config (NULL);
    panda_error_t err;
    panda_api_snapshot_t *snapshot = panda_api_snapshot_load (config, &err);
    if (!snapshot)
        fail_msg ("%s", err.message);
    assert_non_null (panda_api_snapshot_schema (snapshot, "schema_definition_v1"));
    assert_null (panda_api_snapshot_schema (snapshot, CHILD));
    panda_api_snapshot_unref (&snapshot);

    panda_views_t *views = s_views (config);
    s_put (views, s_app (CHILD, "A child", s_child_fields));
    s_put (views, s_app (PARENT, "Parent of many children", s_parent_fields));
    snapshot = panda_api_snapshot_load (config, &err);
    assert_non_null (snapshot);
    assert_non_null (panda_api_snapshot_schema (snapshot, PARENT));
    assert_string_equal (s_sdl (panda_api_snapshot_gql (snapshot), PARENT "Fields.rel"), "rel: " CHILD);
    panda_api_snapshot_unref (&snapshot);

    //  Only blob_v1 and the parent are allowed: its relations to the child
    //  are left out of its fields, nothing else is built.
    static const char *const allowed[] = {"blob_v1", PARENT, NULL};
    panda_config_t *strict = s_config (allowed);
    panda_views_t *strict_views = s_views (strict);
    s_put (strict_views, s_app (CHILD, "A child", s_child_fields));
    s_put (strict_views, s_app (PARENT, "Parent of many children", s_parent_fields));
    snapshot = panda_api_snapshot_load (strict, &err);
    assert_non_null (snapshot);
    assert_null (panda_api_snapshot_schema (snapshot, CHILD));
    assert_null (panda_api_snapshot_schema (snapshot, "blob_piece_v1"));
    const panda_gql_schema_t *gql = panda_api_snapshot_gql (snapshot);
    assert_string_equal (s_sdl (gql, "schema_definition_v1"), "null");
    assert_string_equal (s_sdl (gql, "blob_v1Fields"), "length: Int; mime_type: String");
    assert_string_equal (s_sdl (gql, PARENT "Fields"),
                         "bytes_f: HexBytes; flag: Boolean; float_f: Float; int_f: Int; text: String");
    panda_api_snapshot_unref (&snapshot);
    panda_views_destroy (&strict_views);
    panda_views_destroy (&views);
    panda_config_destroy (&strict);
    panda_config_destroy (&config);
}

//  A rebuild that cannot read the views database keeps the snapshot that
//  is served and says why.
static void
test_snapshot_reload_failure (void **state)
{
    panda_error_t err;
    panda_config_t *config = s_config (NULL);
    free (config->database_url);
    config->database_url = strdup ("sqlite:/nonexistent-pandad-dir/entries.sqlite3");
    panda_api_t api;
    panda_api_init (&api, config);
    assert_int_not_equal (panda_api_snapshot_reload (&api, &err), PANDA_OK);
    assert_non_null (strstr (err.message, "nonexistent-pandad-dir"));
    assert_null (panda_api_snapshot_take (&api));
    panda_api_snapshot_t *served = s_snapshot (NULL);
    panda_api_snapshot_install (&api, &served);
    served = panda_api_snapshot_take (&api);
    assert_int_not_equal (panda_api_snapshot_reload (&api, &err), PANDA_OK);
    panda_api_snapshot_t *after = panda_api_snapshot_take (&api);
    assert_ptr_equal (after, served);
    panda_api_snapshot_unref (&after);
    panda_api_snapshot_unref (&served);
    panda_api_release (&api);
    panda_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_system_schemas),
        cmocka_unit_test (test_application_schema),
        cmocka_unit_test (test_type_names),
        cmocka_unit_test (test_collection_argument_errors),
        cmocka_unit_test (test_order_by_collisions),
        cmocka_unit_test (test_duplicates_and_empty),
        cmocka_unit_test (test_snapshot_lifetime),
        cmocka_unit_test (test_snapshot_load),
        cmocka_unit_test (test_snapshot_reload_failure),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
