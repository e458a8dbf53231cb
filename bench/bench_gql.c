/*  bench_gql.c - GraphQL parse+validate uncached vs cached lookups, on the
    two shirokuma documents and on GraphiQL's introspection query (larger).
    Baseline: parse only, same query, same run.

    cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target bench
    build-rel/bench/bench_gql                                               */
#include <stdio.h>
#include <string.h>
#include "bench_util.h"
#include "panda_gql.h"

#define RUNS 7
#define ITERS 20000

static const char *s_next_args =
    "\n  query NextArgs($publicKey: String!, $viewId: String) {\n    nextArgs(publicKey: $publicKey, "
    "viewId: $viewId) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";
static const char *s_publish =
    "\n  mutation Publish($entry: String!, $operation: String!) {\n    publish(entry: $entry, operation: "
    "$operation) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";
static const char *s_large =
    "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name "
    "}\n"
    "types { ...FullType } directives { name description locations args { ...InputValue } } } }\n"
    "fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description\n"
    "args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue "
    "}\n"
    "interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated\n"
    "deprecationReason } possibleTypes { ...TypeRef } }\n"
    "fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }\n"
    "fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType "
    "{\n"
    "kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }\n";

static panda_gql_schema_t *
s_schema (void)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    const char *scalars[] = {"PublicKey", "DocumentViewId", "EncodedEntry", "EncodedOperation",
                             "LogId",     "SeqNum",         "EntryHash"};
    for (int i = 0; i < 7; i++)
        panda_gql_builder_scalar (b, scalars[i], NULL, NULL);
    panda_gql_builder_object (b, "NextArguments");
    panda_gql_builder_field (b, "logId", "LogId!", 0);
    panda_gql_builder_field (b, "seqNum", "SeqNum!", 0);
    panda_gql_builder_field (b, "backlink", "EntryHash", 0);
    panda_gql_builder_field (b, "skiplink", "EntryHash", 0);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "nextArgs", "NextArguments", 1);
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_arg (b, "viewId", "DocumentViewId", NULL);
    panda_gql_builder_object (b, "MutationRoot");
    panda_gql_builder_field (b, "publish", "NextArguments!", 2);
    panda_gql_builder_arg (b, "entry", "EncodedEntry!", NULL);
    panda_gql_builder_arg (b, "operation", "EncodedOperation!", NULL);
    panda_gql_builder_roots (b, "Query", "MutationRoot");
    return panda_gql_builder_build (&b, NULL);
}

//  mode 0: parse only; 1: parse + validate; 2: cached lookup.
static double
s_measure (const panda_gql_schema_t *schema, const char *query, int mode, size_t *checksum)
{
    double rates[RUNS];
    size_t len = strlen (query);
    panda_gql_cache_t *cache = panda_gql_cache_new (0);
    for (int r = 0; r < RUNS; r++) {
        uint64_t start = bench_now_ns ();
        for (int i = 0; i < ITERS; i++) {
            if (mode == 2) {
                json_t *errors;
                *checksum += panda_gql_cache_lookup (cache, schema, query, len, NULL, &errors) != NULL;
                json_decref (errors);
                continue;
            }
            panda_gql_document_t *doc = panda_gql_parse (query, len, NULL, NULL, NULL);
            *checksum += doc->tokens;
            if (mode == 1) {
                json_t *errors = panda_gql_validate (schema, doc, NULL, NULL);
                *checksum += errors == NULL;
                json_decref (errors);
            }
            panda_gql_document_destroy (&doc);
        }
        rates[r] = ITERS / ((double) (bench_now_ns () - start) / 1e9);
    }
    panda_gql_cache_destroy (&cache);
    return bench_median (rates, RUNS);
}

int
main (void)
{
    panda_gql_schema_t *schema = s_schema ();
    const char *names[] = {"nextArgs", "publish", "introspection"};
    const char *queries[] = {s_next_args, s_publish, s_large};
    size_t checksum = 0;
    bench_verify_baseline ();
    for (int q = 0; q < 3; q++) {
        char id[8], label[64];
        double base = s_measure (schema, queries[q], 0, &checksum);
        snprintf (id, sizeof (id), "%d.1", q + 1);
        snprintf (label, sizeof (label), "%s: parse only", names[q]);
        bench_report (id, label, base, 0);
        snprintf (id, sizeof (id), "%d.2", q + 1);
        snprintf (label, sizeof (label), "%s: parse + validate", names[q]);
        bench_report (id, label, s_measure (schema, queries[q], 1, &checksum), base);
        snprintf (id, sizeof (id), "%d.3", q + 1);
        snprintf (label, sizeof (label), "%s: cached lookup", names[q]);
        bench_report (id, label, s_measure (schema, queries[q], 2, &checksum), base);
    }
    printf ("checksum %zu\n", checksum);
    panda_gql_schema_unref (&schema);
    return 0;
}
