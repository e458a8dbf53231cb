/*  panda_node_schema_docs.c - the per-schema part of the node's GraphQL
    schema (node-api §5): for every p2panda schema S the types S, SFields,
    SItem, SCollection, SFilter, SOrderBy and the root fields S and all_S.

    Beyond aquadoggo (agreed with the query resolvers): all_S and list
    fields also take `last: Int` and `before: Cursor`, SCollection has
    `startCursor` and `hasPreviousPage`, SOrderBy has OWNER.

    Decisions where aquadoggo fails the whole build instead:
    - a relation whose target schema is not in the list (unknown, or not
      allowed) is left out of SFields: its values could not be resolved
      into the target's types. It stays in SFilter and SOrderBy, which need
      only ids. When no field of SFields is left, SFields and the `fields`
      members of S and SItem are left out too;
    - field names that collide with the meta values of SOrderBy or are not
      legal enum values (node-api §14.16) are left out of SOrderBy only;
    - a schema id given twice is built once (the first).                    */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_node_schema.h"

//  Growable scratch buffers for generated names ("<sid>Collection"). The
//  builder copies every string; two slots alternate, so one builder call
//  may take two generated strings (a field's name and its type).
#define S_SLOTS 2
typedef struct {
    char *text[S_SLOTS];
    size_t cap[S_SLOTS];
    unsigned next;
    bool failed; //  out of memory once: the build fails
} s_buf_t;

static const char *s_fmt (s_buf_t *buf, const char *format, ...) PANDA_PRINTF (2, 3);

static const char *
s_fmt (s_buf_t *buf, const char *format, ...)
{
    unsigned slot = buf->next++ % S_SLOTS;
    va_list ap;
    va_start (ap, format);
    int n = vsnprintf (buf->text[slot], buf->cap[slot], format, ap);
    va_end (ap);
    if (n >= 0 && (size_t) n >= buf->cap[slot]) {
        char *bigger = realloc (buf->text[slot], (size_t) n + 64);
        if (bigger) {
            buf->text[slot] = bigger, buf->cap[slot] = (size_t) n + 64;
            va_start (ap, format);
            n = vsnprintf (bigger, buf->cap[slot], format, ap);
            va_end (ap);
        }
    }
    if (n < 0 || (size_t) n >= buf->cap[slot]) {
        buf->failed = true;
        return "\x01"; //  no type has this name: the build fails, never crashes
    }
    return buf->text[slot];
}

//  Meta values of SOrderBy, in this order before the field names.
static const char *const s_meta_order[] = {"DOCUMENT_ID", "DOCUMENT_VIEW_ID", "OWNER"};
#define S_META_ORDER_COUNT (sizeof s_meta_order / sizeof s_meta_order[0])

bool
panda_node_schema_orderable (const char *field_name)
{
    for (size_t i = 0; i < S_META_ORDER_COUNT; i++)
        if (strcmp (field_name, s_meta_order[i]) == 0)
            return false;
    return strcmp (field_name, "true") != 0 && strcmp (field_name, "false") != 0 &&
           strcmp (field_name, "null") != 0;
}

//  True when schemas[index]'s id already appeared before index.
static bool
s_duplicate (const panda_schema_t *const *schemas, size_t index)
{
    for (size_t i = 0; i < index; i++)
        if (strcmp (panda_schema_id (schemas[i]), panda_schema_id (schemas[index])) == 0)
            return true;
    return false;
}

static bool
s_known (const panda_schema_t *const *schemas, size_t count, const char *schema_id)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (panda_schema_id (schemas[i]), schema_id) == 0)
            return true;
    return false;
}

//  True when field index of schema appears in SFields (see the top).
static bool
s_has_output (const panda_schema_t *const *schemas, size_t count, const panda_schema_t *schema, size_t index)
{
    const char *target = panda_schema_field_target (schema, index);
    return !target || s_known (schemas, count, target);
}

static size_t
s_output_count (const panda_schema_t *const *schemas, size_t count, const panda_schema_t *schema)
{
    size_t n = 0;
    for (size_t f = 0; f < panda_schema_field_count (schema); f++)
        n += s_has_output (schemas, count, schema, f);
    return n;
}

//  The collection arguments of all_S and of list fields targeting S.
static void
s_collection_args (panda_gql_builder_t *b, s_buf_t *buf, const char *sid)
{
    panda_gql_builder_arg (b, "filter", s_fmt (buf, "%sFilter", sid), NULL);
    panda_gql_builder_describe (b, "Only documents whose fields pass these filters.");
    panda_gql_builder_arg (b, "meta", "MetaFilterInputObject", NULL);
    panda_gql_builder_describe (b, "Only documents whose meta data pass these filters.");
    //  aquadoggo registers this default as a string: introspection shows
    //  "\"DOCUMENT_ID\"" (node-api §5.3, cosmetic parity).
    panda_gql_builder_arg (b, "orderBy", s_fmt (buf, "%sOrderBy", sid), "\"DOCUMENT_ID\"");
    panda_gql_builder_describe (b, "What the documents are ordered by.");
    panda_gql_builder_arg (b, "orderDirection", "OrderDirection", "ASC");
    panda_gql_builder_describe (b, "Direction of the ordering.");
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_describe (b, "Page size, counted from the start (or from `after`).");
    panda_gql_builder_arg (b, "after", "Cursor", NULL);
    panda_gql_builder_describe (b, "Start the page after the document with this cursor.");
    panda_gql_builder_arg (b, "last", "Int", NULL);
    panda_gql_builder_describe (b, "Page size, counted from the end (or from `before`).");
    panda_gql_builder_arg (b, "before", "Cursor", NULL);
    panda_gql_builder_describe (b, "End the page before the document with this cursor.");
}

static void
s_fields_object (panda_gql_builder_t *b, s_buf_t *buf, const panda_schema_t *const *schemas, size_t count,
                 const panda_schema_t *schema)
{
    const char *sid = panda_schema_id (schema), *name = panda_schema_name (schema);
    panda_gql_builder_object (b, s_fmt (buf, "%sFields", sid));
    panda_gql_builder_describe (b, s_fmt (buf, "The application fields of a %s document.", name));
    for (size_t f = 0; f < panda_schema_field_count (schema); f++) {
        if (!s_has_output (schemas, count, schema, f))
            continue;
        const char *field = panda_schema_field_name (schema, f);
        const char *target = panda_schema_field_target (schema, f);
        switch (panda_schema_field_kind (schema, f)) {
            case PANDA_FIELD_RELATION_LIST:
            case PANDA_FIELD_PINNED_RELATION_LIST:
                panda_gql_builder_field (b, field, s_fmt (buf, "%sCollection", target),
                                         PANDA_NODE_RESOLVE_LIST_FIELD);
                panda_gql_builder_describe (
                    b, s_fmt (buf, "Get all %s documents with pagination, ordering and filtering.", target));
                s_collection_args (b, buf, target);
                continue;
            case PANDA_FIELD_RELATION:
            case PANDA_FIELD_PINNED_RELATION:
                panda_gql_builder_field (b, field, target, PANDA_NODE_RESOLVE_FIELD);
                break;
            case PANDA_FIELD_BOOL:
                panda_gql_builder_field (b, field, "Boolean", PANDA_NODE_RESOLVE_FIELD);
                break;
            case PANDA_FIELD_INT: panda_gql_builder_field (b, field, "Int", PANDA_NODE_RESOLVE_FIELD); break;
            case PANDA_FIELD_FLOAT:
                panda_gql_builder_field (b, field, "Float", PANDA_NODE_RESOLVE_FIELD);
                break;
            case PANDA_FIELD_STR:
                panda_gql_builder_field (b, field, "String", PANDA_NODE_RESOLVE_FIELD);
                break;
            case PANDA_FIELD_BYTES:
                panda_gql_builder_field (b, field, "HexBytes", PANDA_NODE_RESOLVE_FIELD);
                break;
        }
        panda_gql_builder_describe (b, s_fmt (buf, "Field `%s` (%s) of a %s document.", field,
                                              panda_schema_field_type (schema, f), name));
    }
}

//  S and SItem: fields (when SFields exists), meta, and SItem's cursor.
static void
s_document_objects (panda_gql_builder_t *b, s_buf_t *buf, const panda_schema_t *schema, bool has_fields)
{
    const char *sid = panda_schema_id (schema), *name = panda_schema_name (schema);
    for (int item = 0; item < 2; item++) {
        panda_gql_builder_object (b, s_fmt (buf, item ? "%sItem" : "%s", sid));
        panda_gql_builder_describe (b, panda_schema_description (schema));
        if (has_fields) {
            panda_gql_builder_field (b, "fields", s_fmt (buf, "%sFields", sid),
                                     PANDA_NODE_RESOLVE_VIEW_FIELDS);
            panda_gql_builder_describe (b, s_fmt (buf, "Application fields of a %s document.", name));
        }
        panda_gql_builder_field (b, "meta", "DocumentMeta", PANDA_NODE_RESOLVE_VIEW_META);
        panda_gql_builder_describe (b, s_fmt (buf, "Meta data of a %s document.", name));
    }
    panda_gql_builder_field (b, "cursor", "String", PANDA_NODE_RESOLVE_ITEM_CURSOR);
    panda_gql_builder_describe (b, s_fmt (buf, "Pagination cursor of this %s document.", name));
}

static void
s_collection_object (panda_gql_builder_t *b, s_buf_t *buf, const panda_schema_t *schema)
{
    const char *sid = panda_schema_id (schema);
    panda_gql_builder_object (b, s_fmt (buf, "%sCollection", sid));
    panda_gql_builder_describe (
        b, s_fmt (buf, "One page of a collection of %s documents.", panda_schema_name (schema)));
    panda_gql_builder_field (b, "totalCount", "Int!", PANDA_NODE_RESOLVE_PAGE);
    panda_gql_builder_describe (b, "Number of documents in the whole collection (all pages).");
    //  Declared non-null, null on an empty page (node-api §6.3.7, §14.3).
    panda_gql_builder_field (b, "endCursor", "String!", PANDA_NODE_RESOLVE_PAGE);
    panda_gql_builder_describe (b, "Cursor of the last document of this page.");
    panda_gql_builder_field (b, "hasNextPage", "Boolean!", PANDA_NODE_RESOLVE_PAGE);
    panda_gql_builder_describe (b, "Whether documents follow this page.");
    panda_gql_builder_field (b, "documents", s_fmt (buf, "[%sItem!]!", sid), PANDA_NODE_RESOLVE_PAGE);
    panda_gql_builder_describe (b, "The documents of this page.");
    panda_gql_builder_field (b, "startCursor", "String", PANDA_NODE_RESOLVE_PAGE);
    panda_gql_builder_describe (b, "Cursor of the first document of this page.");
    panda_gql_builder_field (b, "hasPreviousPage", "Boolean!", PANDA_NODE_RESOLVE_PAGE);
    panda_gql_builder_describe (b, "Whether documents come before this page.");
}

static const char *
s_filter_type (panda_field_kind_t kind)
{
    switch (kind) {
        case PANDA_FIELD_BOOL: return "BooleanFilter";
        case PANDA_FIELD_INT: return "IntegerFilter";
        case PANDA_FIELD_FLOAT: return "FloatFilter";
        case PANDA_FIELD_STR: return "StringFilter";
        case PANDA_FIELD_BYTES: return "HexBytesFilter";
        case PANDA_FIELD_RELATION: return "RelationFilter";
        case PANDA_FIELD_RELATION_LIST: return "RelationListFilter";
        case PANDA_FIELD_PINNED_RELATION: return "PinnedRelationFilter";
        case PANDA_FIELD_PINNED_RELATION_LIST: return "PinnedRelationListFilter";
    }
    return "";
}

static void
s_filter_and_order (panda_gql_builder_t *b, s_buf_t *buf, const panda_schema_t *schema)
{
    const char *sid = panda_schema_id (schema);
    size_t fields = panda_schema_field_count (schema);
    panda_gql_builder_input (b, s_fmt (buf, "%sFilter", sid));
    panda_gql_builder_describe (b, s_fmt (buf, "Filters on the fields of %s documents.", sid));
    for (size_t f = 0; f < fields; f++)
        panda_gql_builder_field (b, panda_schema_field_name (schema, f),
                                 s_filter_type (panda_schema_field_kind (schema, f)), 0);
    panda_gql_builder_enum (b, s_fmt (buf, "%sOrderBy", sid));
    panda_gql_builder_describe (b, s_fmt (buf, "What %s documents can be ordered by.", sid));
    for (size_t i = 0; i < S_META_ORDER_COUNT; i++)
        panda_gql_builder_enum_value (b, s_meta_order[i]);
    for (size_t f = 0; f < fields; f++)
        if (panda_node_schema_orderable (panda_schema_field_name (schema, f)))
            panda_gql_builder_enum_value (b, panda_schema_field_name (schema, f));
}

static void
s_doc_types (panda_gql_builder_t *b, s_buf_t *buf, const panda_schema_t *const *schemas, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (s_duplicate (schemas, i))
            continue;
        bool has_fields = s_output_count (schemas, count, schemas[i]) > 0;
        s_document_objects (b, buf, schemas[i], has_fields);
        if (has_fields)
            s_fields_object (b, buf, schemas, count, schemas[i]);
        s_collection_object (b, buf, schemas[i]);
        s_filter_and_order (b, buf, schemas[i]);
    }
}

//  Query.S and Query.all_S; the builder is inside Query.
static void
s_doc_queries (panda_gql_builder_t *b, s_buf_t *buf, const panda_schema_t *const *schemas, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (s_duplicate (schemas, i))
            continue;
        const char *sid = panda_schema_id (schemas[i]);
        panda_gql_builder_field (b, sid, sid, PANDA_NODE_RESOLVE_DOCUMENT);
        panda_gql_builder_describe (
            b, s_fmt (buf, "Query a %s document by id or view id.", panda_schema_name (schemas[i])));
        panda_gql_builder_arg (b, "id", "DocumentId", NULL);
        panda_gql_builder_describe (b, "Id of the document.");
        panda_gql_builder_arg (b, "viewId", "DocumentViewId", NULL);
        panda_gql_builder_describe (b, "Id of one view of the document.");
        panda_gql_builder_field (b, s_fmt (buf, "all_%s", sid), s_fmt (buf, "%sCollection!", sid),
                                 PANDA_NODE_RESOLVE_COLLECTION);
        panda_gql_builder_describe (
            b, s_fmt (buf, "Get all %s documents with pagination, ordering and filtering.", sid));
        s_collection_args (b, buf, sid);
    }
}

panda_gql_schema_t *
panda_node_schema_build (const panda_schema_t *const *schemas, size_t count, panda_error_t *err)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    s_buf_t buf = {.failed = false};
    if (!b) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building the GraphQL schema");
        return NULL;
    }
    panda_node_schema_types (b);
    s_doc_types (b, &buf, schemas, count);
    panda_node_schema_mutation (b);
    panda_gql_builder_object (b, PANDA_NODE_SCHEMA_QUERY);
    panda_node_schema_query_fields (b);
    s_doc_queries (b, &buf, schemas, count);
    panda_gql_builder_roots (b, PANDA_NODE_SCHEMA_QUERY, PANDA_NODE_SCHEMA_MUTATION);
    bool failed = buf.failed;
    for (unsigned i = 0; i < S_SLOTS; i++)
        free (buf.text[i]);
    panda_gql_schema_t *schema = panda_gql_builder_build (&b, err);
    if (failed) {
        panda_gql_schema_unref (&schema);
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building the GraphQL schema");
    }
    return schema;
}
