/*  fuzz_gql_parse.c - lexer + parser on arbitrary bytes; a parsed document
    is also validated against a tiny schema so the walkers see odd ASTs.   */
#include <stdint.h>
#include <stdlib.h>
#include "panda_gql.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_error_t err;
    panda_gql_document_t *doc = panda_gql_parse ((const char *) data, size, &err, NULL, NULL);
    if (doc) {
        panda_gql_builder_t *b = panda_gql_builder_new ();
        panda_gql_builder_object (b, "Query");
        panda_gql_builder_field (b, "nextArgs", "Query", 0);
        panda_gql_builder_arg (b, "publicKey", "String!", NULL);
        panda_gql_builder_arg (b, "viewId", "[String]", NULL);
        panda_gql_builder_field (b, "logId", "String", 0);
        panda_gql_builder_roots (b, "Query", "Query");
        panda_gql_schema_t *schema = panda_gql_builder_build (&b, NULL);
        json_t *errors = panda_gql_validate (schema, doc, NULL, NULL);
        json_decref (errors);
        panda_gql_schema_unref (&schema);
        panda_gql_document_destroy (&doc);
    }
    return 0;
}
