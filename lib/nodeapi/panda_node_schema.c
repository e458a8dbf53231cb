/*  panda_node_schema.c - the static part of the node's GraphQL schema
    (node-api §4), written as tables so it reads like the SDL it mirrors.

    Names and member order matter: error messages quote type names
    ("... of type \"MetaFilterInputObject\"") and introspection lists
    members in registration order.                                          */
#include <inttypes.h>
#include <stdio.h>
#include "panda_node_schema.h"
#include "panda_scalar.h"

#define S_FILTER_MEMBERS_MAX 10

static const struct {
    const char *name;
    panda_gql_scalar_check_fn check; //  NULL: output-only
    const char *description;
} s_scalars[] = {
    {"PublicKey", panda_scalar_public_key, "Ed25519 public key of an author, 64 hex characters."},
    {"DocumentId", panda_scalar_document_id, "Id of a document: the hex id of its CREATE operation."},
    {"DocumentViewId", panda_scalar_document_view_id,
     "One state of a document: its graph tips, hex operation ids sorted and joined by `_`."},
    {"EncodedEntry", panda_scalar_hex, "Signed bamboo entry, hex encoded."},
    {"EncodedOperation", panda_scalar_hex, "p2panda operation (CBOR), hex encoded."},
    {"EntryHash", NULL, "YASMF BLAKE3 hash of an entry, 68 hex characters."},
    {"LogId", NULL, "Log id of an entry: an unsigned 64-bit integer as a decimal string."},
    {"SeqNum", NULL, "Sequence number of an entry: an unsigned 64-bit integer as a decimal string."},
    {"Cursor", panda_scalar_cursor, "Opaque pagination cursor."},
    {"HexBytes", panda_scalar_hex, "Bytes, hex encoded."},
};

//  Input objects of node-api §4: name, then members as {name, type}.
static const struct {
    const char *name;
    const char *members[S_FILTER_MEMBERS_MAX][2];
} s_filters[] = {
    {"BooleanFilter", {{"eq", "Boolean"}, {"notEq", "Boolean"}}},
    {"IntegerFilter",
     {{"in", "[Int!]"},
      {"notIn", "[Int!]"},
      {"eq", "Int"},
      {"notEq", "Int"},
      {"gte", "Int"},
      {"gt", "Int"},
      {"lte", "Int"},
      {"lt", "Int"}}},
    {"FloatFilter",
     {{"in", "[Float!]"},
      {"notIn", "[Float!]"},
      {"eq", "Float"},
      {"notEq", "Float"},
      {"gte", "Float"},
      {"gt", "Float"},
      {"lte", "Float"},
      {"lt", "Float"}}},
    {"StringFilter",
     {{"in", "[String!]"},
      {"notIn", "[String!]"},
      {"eq", "String"},
      {"notEq", "String"},
      {"gte", "String"},
      {"gt", "String"},
      {"lte", "String"},
      {"lt", "String"},
      {"contains", "String"},
      {"notContains", "String"}}},
    {"HexBytesFilter", {{"eq", "HexBytes"}, {"notEq", "HexBytes"}}},
    {"RelationFilter",
     {{"eq", "DocumentId"}, {"notEq", "DocumentId"}, {"in", "[DocumentId!]"}, {"notIn", "[DocumentId!]"}}},
    {"PinnedRelationFilter",
     {{"eq", "DocumentViewId"},
      {"notEq", "DocumentViewId"},
      {"in", "[DocumentViewId!]"},
      {"notIn", "[DocumentViewId!]"}}},
    {"RelationListFilter", {{"in", "[DocumentId!]"}, {"notIn", "[DocumentId!]"}}},
    {"PinnedRelationListFilter", {{"in", "[DocumentViewId!]"}, {"notIn", "[DocumentViewId!]"}}},
    {"OwnerFilter",
     {{"in", "[PublicKey!]"}, {"notIn", "[PublicKey!]"}, {"eq", "PublicKey"}, {"notEq", "PublicKey"}}},
    {"DocumentIdFilter",
     {{"in", "[DocumentId!]"}, {"notIn", "[DocumentId!]"}, {"eq", "DocumentId"}, {"notEq", "DocumentId"}}},
    {"DocumentViewIdFilter",
     {{"in", "[DocumentViewId!]"},
      {"notIn", "[DocumentViewId!]"},
      {"eq", "DocumentViewId"},
      {"notEq", "DocumentViewId"}}},
    {"MetaFilterInputObject",
     {{"documentId", "DocumentIdFilter"},
      {"viewId", "DocumentViewIdFilter"},
      {"owner", "OwnerFilter"},
      {"edited", "BooleanFilter"},
      {"deleted", "BooleanFilter"}}},
};

#define S_COUNT(a) (sizeof (a) / sizeof ((a)[0]))

static void
s_objects (panda_gql_builder_t *b)
{
    panda_gql_builder_object (b, "NextArguments");
    panda_gql_builder_describe (b, "Arguments required to sign and encode the next entry of a log.");
    panda_gql_builder_field (b, "logId", "LogId!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Log id of the next entry.");
    panda_gql_builder_field (b, "seqNum", "SeqNum!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Sequence number of the next entry.");
    panda_gql_builder_field (b, "backlink", "EntryHash", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Hash of the entry the next entry links back to.");
    panda_gql_builder_field (b, "skiplink", "EntryHash", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Hash of the entry the next entry skips to, when it needs one.");

    panda_gql_builder_object (b, "DocumentMeta");
    panda_gql_builder_describe (b, "Meta data of a document view.");
    panda_gql_builder_field (b, "documentId", "DocumentId!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Id of the document.");
    panda_gql_builder_field (b, "viewId", "DocumentViewId!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Id of this view of the document.");
    panda_gql_builder_field (b, "owner", "PublicKey!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_describe (b, "Public key of the author who created the document.");

    panda_gql_builder_enum (b, "OrderDirection");
    panda_gql_builder_describe (b, "Direction of a collection's ordering.");
    panda_gql_builder_enum_value (b, "ASC");
    panda_gql_builder_describe (b, "Ascending order.");
    panda_gql_builder_enum_value (b, "DESC");
    panda_gql_builder_describe (b, "Descending order.");
}

void
panda_node_schema_types (panda_gql_builder_t *b)
{
    for (size_t i = 0; i < S_COUNT (s_scalars); i++) {
        panda_gql_builder_scalar (b, s_scalars[i].name, s_scalars[i].check, NULL);
        panda_gql_builder_describe (b, s_scalars[i].description);
    }
    s_objects (b);
    for (size_t i = 0; i < S_COUNT (s_filters); i++) {
        panda_gql_builder_input (b, s_filters[i].name);
        for (size_t m = 0; m < S_FILTER_MEMBERS_MAX && s_filters[i].members[m][0]; m++)
            panda_gql_builder_field (b, s_filters[i].members[m][0], s_filters[i].members[m][1], 0);
    }
}

void
panda_node_schema_query_fields (panda_gql_builder_t *b)
{
    panda_gql_builder_field (b, "nextArgs", "NextArguments", PANDA_NODE_RESOLVE_NEXT_ARGS);
    panda_gql_builder_describe (b, "Return required arguments for publishing a entry to a node.");
    panda_gql_builder_arg (b, "publicKey", "PublicKey!", NULL);
    panda_gql_builder_arg (b, "viewId", "DocumentViewId", NULL);
}

void
panda_node_schema_mutation (panda_gql_builder_t *b)
{
    panda_gql_builder_object (b, PANDA_NODE_SCHEMA_MUTATION);
    panda_gql_builder_field (b, "publish", "NextArguments!", PANDA_NODE_RESOLVE_PUBLISH);
    panda_gql_builder_describe (b, "Publish an entry using parameters obtained through `nextArgs` query.");
    panda_gql_builder_arg (b, "entry", "EncodedEntry!", NULL);
    panda_gql_builder_arg (b, "operation", "EncodedOperation!", NULL);
}

void
panda_node_schema_register (panda_gql_builder_t *b)
{
    panda_node_schema_types (b);
    panda_node_schema_mutation (b);
    panda_gql_builder_object (b, PANDA_NODE_SCHEMA_QUERY);
    panda_node_schema_query_fields (b);
}

panda_gql_schema_t *
panda_node_schema_new (panda_error_t *err)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    if (!b) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building the GraphQL schema");
        return NULL;
    }
    panda_node_schema_register (b);
    panda_gql_builder_roots (b, PANDA_NODE_SCHEMA_QUERY, PANDA_NODE_SCHEMA_MUTATION);
    return panda_gql_builder_build (&b, err);
}

//  A hash as a JSON string, or JSON null when absent.
static json_t *
s_link (bool present, const panda_hash_t *hash)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    return present ? json_string (panda_hash_to_hex (hash, hex)) : json_null ();
}

json_t *
panda_node_schema_next_args_json (const panda_entry_args_t *args)
{
    char log_id[24], seq_num[24];
    snprintf (log_id, sizeof log_id, "%" PRIu64, args->log_id);
    snprintf (seq_num, sizeof seq_num, "%" PRIu64, args->seq_num);
    //  json_pack's 'o' steals the link values, also when packing fails.
    return json_pack ("{s:s,s:s,s:o,s:o}", "logId", log_id, "seqNum", seq_num, "backlink",
                      s_link (args->has_backlink, &args->backlink), "skiplink",
                      s_link (args->has_skiplink, &args->skiplink));
}
