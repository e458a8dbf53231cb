/*  fuzz_gql_request.c - a POST /graphql body ({"query","variables",
    "operationName"}) parsed and executed against a small fake schema, with
    and without the cache, in both error modes.                            */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "panda/panda_gql.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
s_next_args (panda_gql_call_t *call, panda_gql_out_t *out)
{
    if (json_is_string (json_object_get (call->args, "viewId")))
        return panda_gql_call_error (call, "Document is deleted");
    out->json = json_pack ("{s:s,s:s,s:n,s:n}", "logId", "0", "seqNum", "1", "backlink", "skiplink");
    return 0;
}

static int
s_list (panda_gql_call_t *call, panda_gql_out_t *out)
{
    if (panda_gql_out_list (out, 2))
        return -1;
    out->items[0].json = json_pack ("{s:s,s:[ss]}", "logId", "7", "tags", "a", "b");
    return 0; //  the second item stays null
}

static bool
s_hex (const json_t *v, void *hint)
{
    const char *s = json_string_value (v);
    return s && strspn (s, "0123456789abcdef") == strlen (s) && strlen (s) % 2 == 0;
}

static panda_gql_schema_t *
s_schema (void)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_gql_builder_scalar (b, "PublicKey", s_hex, NULL);
    panda_gql_builder_scalar (b, "EncodedEntry", s_hex, NULL);
    panda_gql_builder_enum (b, "OrderDirection");
    panda_gql_builder_enum_value (b, "ASC");
    panda_gql_builder_enum_value (b, "DESC");
    panda_gql_builder_input (b, "Filter");
    panda_gql_builder_field (b, "eq", "[Int!]", 0);
    panda_gql_builder_field (b, "sub", "Filter", 0);
    panda_gql_builder_object (b, "NextArguments");
    panda_gql_builder_field (b, "logId", "String!", 0);
    panda_gql_builder_field (b, "seqNum", "String!", 0);
    panda_gql_builder_field (b, "backlink", "String", 0);
    panda_gql_builder_field (b, "skiplink", "String", 0);
    panda_gql_builder_field (b, "tags", "[String!]!", 0);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "nextArgs", "NextArguments", 1);
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_arg (b, "viewId", "String", NULL);
    panda_gql_builder_field (b, "all", "[NextArguments!]", 2);
    panda_gql_builder_arg (b, "orderDirection", "OrderDirection", "ASC");
    panda_gql_builder_arg (b, "filter", "Filter", NULL);
    panda_gql_builder_arg (b, "f", "Float", NULL);
    panda_gql_builder_object (b, "MutationRoot");
    panda_gql_builder_field (b, "publish", "NextArguments!", 1);
    panda_gql_builder_arg (b, "entry", "EncodedEntry!", NULL);
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_roots (b, "Query", "MutationRoot");
    return panda_gql_builder_build (&b, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static const panda_gql_resolve_fn fns[] = {NULL, s_next_args, s_list};
    panda_gql_resolvers_t resolvers = {fns, 3};
    panda_gql_schema_t *schema = s_schema ();
    panda_gql_cache_t *cache = panda_gql_cache_new (2);
    for (int round = 0; round < 3; round++) {
        panda_gql_options_t opts = {.spec_errors = round == 2};
        panda_error_t err;
        json_t *r = panda_gql_execute_body (schema, round ? cache : NULL, (const char *) data, size,
                                            &resolvers, NULL, &opts, &err);
        if (r) {
            char *text = json_dumps (r, JSON_COMPACT);
            free (text);
        }
        json_decref (r);
    }
    panda_gql_cache_destroy (&cache);
    panda_gql_schema_unref (&schema);
    return 0;
}
