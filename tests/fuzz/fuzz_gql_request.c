/*  fuzz_gql_request.c - a POST /graphql body ({"query","variables",
    "operationName"}) parsed and executed against a small fake schema, with
    and without the cache, in both error modes, under a tight cost budget
    and with a stop callback.

    Each input runs on a thread whose stack is exactly the civetweb worker
    stack (PANDA_GQL_WORKER_STACK), so a request that recurses too deep is
    a crash here, in libFuzzer and in the corpus replay alike. Build the
    libFuzzer target optimised (the default RelWithDebInfo): clang -O0
    with ASan needs about 3.5 times the stack, and legal inputs of the
    corpus overflow it.                                                    */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "panda_gql.h"

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

//  Node.child, Query.node: an object that has a child again.
static int
s_node (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_pack ("{s:s}", "id", "n");
    return 0;
}

//  Query.page and Node.children: `first` items (at most 300), checking
//  for a stop like a resolver with a loop of its own does.
static int
s_page (panda_gql_call_t *call, panda_gql_out_t *out)
{
    json_int_t first = json_integer_value (json_object_get (call->args, "first"));
    size_t n = first < 0 ? 0 : first > 300 ? 300 : (size_t) first;
    if (panda_gql_out_list (out, n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0 && panda_gql_call_stopped (call))
            return panda_gql_call_error (call, "stopped");
        out->items[i].json = json_pack ("{s:s}", "id", "p");
    }
    return 0;
}

static int
s_echo (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_incref (json_object_get (call->args, "value"));
    return 0;
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
    panda_gql_builder_scalar (b, "JSON", NULL, NULL);
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
    panda_gql_builder_object (b, "Node");
    panda_gql_builder_field (b, "id", "String!", 0);
    panda_gql_builder_field (b, "child", "Node", 3);
    panda_gql_builder_field (b, "children", "[Node!]!", 4);
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_field (b, "echo", "JSON", 5);
    panda_gql_builder_arg (b, "value", "JSON", NULL);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "nextArgs", "NextArguments", 1);
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_arg (b, "viewId", "String", NULL);
    panda_gql_builder_field (b, "all", "[NextArguments!]", 2);
    panda_gql_builder_arg (b, "orderDirection", "OrderDirection", "ASC");
    panda_gql_builder_arg (b, "filter", "Filter", NULL);
    panda_gql_builder_arg (b, "f", "Float", NULL);
    panda_gql_builder_field (b, "node", "Node", 3);
    panda_gql_builder_field (b, "page", "[Node!]!", 4);
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_arg (b, "filter", "Filter", NULL);
    panda_gql_builder_field (b, "echo", "JSON", 5);
    panda_gql_builder_arg (b, "value", "JSON", NULL);
    panda_gql_builder_object (b, "MutationRoot");
    panda_gql_builder_field (b, "publish", "NextArguments!", 1);
    panda_gql_builder_arg (b, "entry", "EncodedEntry!", NULL);
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_roots (b, "Query", "MutationRoot");
    return panda_gql_builder_build (&b, NULL);
}

//  Stops the request at its 200th question.
static const char *
s_stop (void *ctx)
{
    return ++*(int *) ctx > 200 ? "Request timed out" : NULL;
}

typedef struct {
    const uint8_t *data;
    size_t size;
} s_input_t;

static void *
s_run (void *arg)
{
    s_input_t *input = arg;
    static const panda_gql_resolve_fn fns[] = {NULL, s_next_args, s_list, s_node, s_page, s_echo};
    panda_gql_resolvers_t resolvers = {fns, 6};
    panda_gql_schema_t *schema = s_schema ();
    panda_gql_cache_t *cache = panda_gql_cache_new (2);
    for (int round = 0; round < 4; round++) {
        int asked = 0;
        panda_gql_options_t opts = {.spec_errors = round == 2, .max_cost = round == 1 ? 2000 : 0};
        if (round >= 2) {
            opts.stop_fn = s_stop;
            opts.stop_ctx = &asked;
        }
        panda_error_t err;
        json_t *r = panda_gql_execute_body (schema, round ? cache : NULL, (const char *) input->data,
                                            input->size, &resolvers, NULL, &opts, &err);
        if (r) { //  the api prints the response on the worker thread
            char *text = json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER);
            free (text);
        }
        json_decref (r);
    }
    panda_gql_cache_destroy (&cache);
    panda_gql_schema_unref (&schema);
    return NULL;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_input_t input = {data, size};
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init (&attr) || pthread_attr_setstacksize (&attr, PANDA_GQL_WORKER_STACK) ||
        pthread_create (&thread, &attr, s_run, &input) || pthread_join (thread, NULL))
        abort ();
    pthread_attr_destroy (&attr);
    return 0;
}
