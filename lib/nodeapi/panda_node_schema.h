/*  panda_node_schema.h - the static part of the node's GraphQL schema
    (node-api §4): the ten custom scalars, nextArgs, publish, NextArguments,
    DocumentMeta, OrderDirection and the filter input types.

    The GraphQL builder cannot return to a type once another one was
    started (adding a type twice fails), so the static schema comes in
    pieces and the per-schema part (node-api §5) slots in between:

        panda_gql_builder_t *b = panda_gql_builder_new ();
        panda_node_schema_types (b);           //  scalars, objects, inputs
        ... per-schema types (S, SFields, SFilter, ...) ...
        panda_gql_builder_object (b, "Query");
        panda_node_schema_query_fields (b);    //  Query.nextArgs
        ... Query.S / Query.all_S fields ...
        panda_node_schema_mutation (b);        //  MutationRoot.publish
        panda_gql_builder_roots (b, PANDA_NODE_SCHEMA_QUERY, PANDA_NODE_SCHEMA_MUTATION);
        schema = panda_gql_builder_build (&b, &err);

    panda_node_schema_register does the three in one go and ends inside
    Query, so builder_field calls right after it add more Query fields.
    panda_node_schema_build (lib/nodeapi/panda_node_schema_docs.c) does all of it
    for a list of p2panda schemas: the node's complete schema.             */
#ifndef PANDA_NODE_SCHEMA_H_INCLUDED
#define PANDA_NODE_SCHEMA_H_INCLUDED

#include <jansson.h>
#include "panda/panda_entry.h"
#include "panda_gql.h"
#include "panda/panda_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_NODE_SCHEMA_QUERY "Query"
#define PANDA_NODE_SCHEMA_MUTATION "MutationRoot"

//  Resolver ids used by the static schema (index into the caller's table).
//  nextArgs gets args {publicKey: string, viewId: string, null or absent};
//  publish gets {entry, operation}: hex strings, possibly empty.
//  The per-schema part (node-api §5) uses the ids after PUBLISH; which
//  field gets which id, and what the resolver receives:
typedef enum {
    PANDA_NODE_RESOLVE_NEXT_ARGS = 1,
    PANDA_NODE_RESOLVE_PUBLISH,
    PANDA_NODE_RESOLVE_DOCUMENT, //  Query.S(id, viewId): S, nullable
    PANDA_NODE_RESOLVE_COLLECTION, //  Query.all_S(filter, meta, orderBy, ...): SCollection!
    PANDA_NODE_RESOLVE_VIEW_FIELDS, //  S.fields and SItem.fields: SFields
    PANDA_NODE_RESOLVE_VIEW_META, //  S.meta and SItem.meta: DocumentMeta
    PANDA_NODE_RESOLVE_ITEM_CURSOR, //  SItem.cursor: String
    PANDA_NODE_RESOLVE_FIELD, //  SFields.<f> of every non-list kind (scalars, relation, pinned_relation)
    PANDA_NODE_RESOLVE_LIST_FIELD, //  SFields.<f> of relation_list / pinned_relation_list: TCollection
    PANDA_NODE_RESOLVE_PAGE, //  SCollection.totalCount, endCursor, hasNextPage, documents (+ extras)
    PANDA_NODE_RESOLVE_COUNT
} panda_node_resolver_t;

//  Add every static type but the roots: scalars with their checks, the
//  object types NextArguments and DocumentMeta, the enum OrderDirection and
//  the filter inputs, in node-api §4 order.
void panda_node_schema_types (panda_gql_builder_t *b);

//  Add Query.nextArgs to the object type the builder is in (Query).
void panda_node_schema_query_fields (panda_gql_builder_t *b);

//  Start MutationRoot and add publish.
void panda_node_schema_mutation (panda_gql_builder_t *b);

//  types + mutation + Query with nextArgs. Does not set roots or build;
//  afterwards the builder is inside Query (see above).
void panda_node_schema_register (panda_gql_builder_t *b);

//  builder_new + register + roots + build: the schema of a node that knows
//  no p2panda schemas. Caller owns one reference (panda_gql_schema_unref);
//  NULL with err filled on failure.
panda_gql_schema_t *panda_node_schema_new (panda_error_t *err);

//  The complete node schema (node-api §4 and §5) for the p2panda schemas
//  schemas[0..count) (borrowed; nothing is kept): the caller passes the
//  known and allowed ones, system schemas first. For each schema S the
//  types S, SFields, SItem, SCollection, SFilter, SOrderBy and the fields
//  Query.S and Query.all_S, with the resolver ids above. Extensions and
//  the handling of relations to schemas not in the list, of SOrderBy
//  collisions (§14.16) and of duplicate ids: see panda_node_schema_docs.c.
//  Caller owns one reference; NULL with err filled on failure.
panda_gql_schema_t *panda_node_schema_build (const panda_schema_t *const *schemas, size_t count,
                                             panda_error_t *err);

//  True when a field of this name is a value of SOrderBy: not one of the
//  meta values DOCUMENT_ID, DOCUMENT_VIEW_ID, OWNER and not true, false or
//  null, which are no legal enum values (node-api §14.16).
bool panda_node_schema_orderable (const char *field_name);

//  NextArguments as JSON, in field order: {"logId":"<u64>","seqNum":"<u64>",
//  "backlink":"<68 hex>"|null,"skiplink":"<68 hex>"|null}. Caller owns the
//  result; NULL on OOM.
json_t *panda_node_schema_next_args_json (const panda_entry_args_t *args);

#ifdef __cplusplus
}
#endif
#endif
