/*  api_query.c - resolvers of the per-schema GraphQL part (node-api §5,
    §6.2-6.6) over the query engine (panda_query.h). Each worker thread has
    its own read-only views connection, opened at its first query; one
    request is one read transaction (panda_api_query_end closes it).

    Handles: Query.all_S, list fields -> a page (SCollection); S, SItem,
    SFields, relation targets -> an item (page + index).

    A request that must stop (panda_api_stopped: timeout, client gone, node
    stopping) fails at its next resolver, and SQLite interrupts a statement
    that is running then (a progress handler on the worker's connection).  */
#include "api.h"

#include "panda_query.h"
#include "panda_views.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    panda_query_page_t *page;
    size_t index;
} s_item_t;

static void
s_item_free (void *handle)
{
    s_item_t *item = handle;
    panda_query_page_unref (&item->page);
    free (item);
}

static void
s_page_free (void *handle)
{
    panda_query_page_t *page = handle;
    panda_query_page_unref (&page);
}

static int
s_item_out (panda_gql_call_t *call, panda_gql_out_t *out, panda_query_page_t *page, size_t index)
{
    s_item_t *item = malloc (sizeof *item);
    if (!item)
        return panda_gql_call_error (call, "out of memory");
    item->page = panda_query_page_ref (page);
    item->index = index;
    out->handle = item;
    out->free_fn = s_item_free;
    return 0;
}

//  SQLite runs this every S_PROGRESS_STEPS virtual machine steps (a few
//  microseconds): non-zero interrupts the statement.
#define S_PROGRESS_STEPS 1000

static int
s_progress (void *worker)
{
    return panda_api_stopped (worker) != NULL;
}

//  The resolver's error: why the request stopped if it did (an interrupted
//  statement says only "interrupted"), else err's message.
static int
s_fail (panda_gql_call_t *call, const panda_error_t *err)
{
    const char *stopped = panda_api_stopped (call->user);
    return panda_gql_call_error (call, "%s", stopped ? stopped : err->message);
}

//  The worker's query object inside a request (opened and begun lazily).
static panda_query_t *
s_query (panda_gql_call_t *call)
{
    panda_api_worker_t *worker = call->user;
    panda_error_t err;
    const char *stopped = panda_api_stopped (worker);
    if (stopped) {
        panda_gql_call_error (call, "%s", stopped);
        return NULL;
    }
    if (!worker->query) {
        if (!worker->views_path && worker->config)
            worker->views_path = panda_actor_views_path (worker->config);
        uint32_t max_page = worker->config ? worker->config->graphql_max_page_size : 0;
        uint32_t budget = worker->config ? worker->config->graphql_max_documents : 0;
        worker->query =
            worker->views_path ? panda_query_new (worker->views_path, max_page, budget, &err) : NULL;
        if (!worker->query) {
            panda_gql_call_error (call, "cannot open the views database: %s",
                                  worker->views_path ? err.message : "no path");
            return NULL;
        }
        panda_query_set_progress (worker->query, S_PROGRESS_STEPS, s_progress, worker);
    }
    if (!worker->query_begun) {
        if (panda_query_begin (worker->query, &err) != PANDA_OK) {
            s_fail (call, &err);
            return NULL;
        }
        worker->query_begun = true;
    }
    return worker->query;
}

void
panda_api_query_end (panda_api_worker_t *worker)
{
    if (worker->query && worker->query_begun)
        panda_query_end (worker->query);
    worker->query_begun = false;
}

void
panda_api_query_close (panda_api_worker_t *worker)
{
    panda_api_query_end (worker);
    panda_query_destroy (&worker->query);
    free (worker->views_path);
    worker->views_path = NULL;
}

// ---------------------------------------------------------------------------
//  Which application fields are selected under documents { fields { } }
//  (they define the item cursors, node-api §6.3.6).

#define S_SELECTED_MAX PANDA_SCHEMA_FIELDS_MAX

typedef struct {
    const panda_gql_document_t *doc;
    const char *names[S_SELECTED_MAX];
    size_t count;
} s_selected_t;

static void
s_on_field (void *ctx, const panda_gql_selection_t *field)
{
    s_selected_t *sel = ctx;
    for (size_t i = 0; i < sel->count; i++)
        if (strcmp (sel->names[i], field->name) == 0)
            return;
    if (sel->count < S_SELECTED_MAX && strncmp (field->name, "__", 2) != 0)
        sel->names[sel->count++] = field->name;
}

static void
s_on_fields (void *ctx, const panda_gql_selection_t *field)
{
    if (strcmp (field->name, "fields") == 0)
        panda_gql_selection_fields (((s_selected_t *) ctx)->doc, &field, 1, s_on_field, ctx);
}

static void
s_on_documents (void *ctx, const panda_gql_selection_t *field)
{
    if (strcmp (field->name, "documents") == 0)
        panda_gql_selection_fields (((s_selected_t *) ctx)->doc, &field, 1, s_on_fields, ctx);
}

static s_selected_t *
s_selected (panda_gql_call_t *call)
{
    s_selected_t *sel = calloc (1, sizeof *sel);
    if (!sel)
        return NULL;
    sel->doc = call->document;
    panda_gql_selection_fields (call->document, call->nodes, call->node_count, s_on_documents, sel);
    return sel;
}

// ---------------------------------------------------------------------------
//  Resolvers

static json_t *
s_arg (panda_gql_call_t *call, const char *name)
{
    json_t *v = json_object_get (call->args, name);
    return json_is_null (v) ? NULL : v; //  null is absent (node-api §14.18)
}

//  Query.S(id, viewId): S or null.
int
panda_api_resolve_document (panda_gql_call_t *call, panda_gql_out_t *out)
{
    json_t *id = s_arg (call, "id"), *view = s_arg (call, "viewId");
    if (!id && !view)
        return panda_gql_call_error (call, "Must provide either `id` or `viewId` argument");
    if (id && view)
        return panda_gql_call_error (call, "Must only provide `id` or `viewId` argument");
    panda_query_t *q = s_query (call);
    if (!q)
        return -1;
    panda_query_page_t *page = NULL;
    panda_error_t err;
    if (panda_query_document (q, call->field_name, json_string_value (id), json_string_value (view), &page,
                              &err) != PANDA_OK)
        return s_fail (call, &err);
    int rc = panda_query_page_count (page) ? s_item_out (call, out, page, 0) : 0;
    panda_query_page_unref (&page);
    return rc;
}

static int
s_page_out (panda_gql_call_t *call, panda_gql_out_t *out, panda_err_t rc, panda_query_page_t *page,
            const panda_error_t *err)
{
    if (rc != PANDA_OK)
        return s_fail (call, err);
    out->handle = page;
    out->free_fn = s_page_free;
    return 0;
}

//  Query.all_S(...): SCollection.
int
panda_api_resolve_collection (panda_gql_call_t *call, panda_gql_out_t *out)
{
    panda_query_t *q = s_query (call);
    s_selected_t *sel = q ? s_selected (call) : NULL;
    if (!sel)
        return q ? panda_gql_call_error (call, "out of memory") : -1;
    panda_query_page_t *page = NULL;
    panda_error_t err;
    panda_err_t rc = panda_query_collection (q, call->field_name + strlen ("all_"), call->args, sel->names,
                                             sel->count, &page, &err);
    free (sel);
    return s_page_out (call, out, rc, page, &err);
}

//  SFields.<list field>(...): TCollection of the parent item's list.
int
panda_api_resolve_list_field (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_item_t *parent = call->parent;
    panda_query_t *q = parent ? s_query (call) : NULL;
    s_selected_t *sel = q ? s_selected (call) : NULL;
    if (!sel)
        return q ? panda_gql_call_error (call, "out of memory") : -1;
    panda_query_page_t *page = NULL;
    panda_error_t err;
    panda_err_t rc = panda_query_list (q, parent->page, parent->index, call->field_name, call->args,
                                       sel->names, sel->count, &page, &err);
    free (sel);
    return s_page_out (call, out, rc, page, &err);
}

//  SCollection.totalCount, endCursor, startCursor, hasNextPage,
//  hasPreviousPage, documents.
int
panda_api_resolve_page (panda_gql_call_t *call, panda_gql_out_t *out)
{
    panda_query_page_t *page = call->parent;
    const char *f = call->field_name;
    if (!page)
        return panda_gql_call_error (call, "no collection");
    if (strcmp (f, "totalCount") == 0) {
        panda_query_t *q = s_query (call);
        int64_t total = 0;
        panda_error_t err;
        if (!q || panda_query_page_total (q, page, &total, &err) != PANDA_OK)
            return q ? s_fail (call, &err) : -1;
        out->json = json_integer (total);
    } else if (strcmp (f, "endCursor") == 0 || strcmp (f, "startCursor") == 0) {
        //  null on an empty page, although endCursor is declared String!
        const char *c =
            f[0] == 'e' ? panda_query_page_end_cursor (page) : panda_query_page_start_cursor (page);
        out->json = c ? json_string (c) : NULL;
    } else if (strcmp (f, "hasNextPage") == 0)
        out->json = json_boolean (panda_query_page_has_next (page));
    else if (strcmp (f, "hasPreviousPage") == 0)
        out->json = json_boolean (panda_query_page_has_previous (page));
    else if (strcmp (f, "documents") == 0) {
        size_t n = panda_query_page_count (page);
        if (panda_gql_out_list (out, n) != 0)
            return panda_gql_call_error (call, "out of memory");
        for (size_t i = 0; i < n; i++)
            if (s_item_out (call, &out->items[i], page, i) != 0)
                return -1;
    } else
        return panda_gql_call_error (call, "no page field %s", f);
    return 0;
}

//  S.fields / SItem.fields: the same item, now as SFields.
int
panda_api_resolve_view_fields (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_item_t *item = call->parent;
    return item ? s_item_out (call, out, item->page, item->index) : 0;
}

int
panda_api_resolve_view_meta (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_item_t *item = call->parent;
    if (!item)
        return 0;
    out->json =
        json_pack ("{s:s,s:s,s:s}", "documentId", panda_query_item_document_id (item->page, item->index),
                   "viewId", panda_query_item_view_id (item->page, item->index), "owner",
                   panda_query_item_owner (item->page, item->index));
    return out->json ? 0 : panda_gql_call_error (call, "out of memory");
}

int
panda_api_resolve_item_cursor (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_item_t *item = call->parent;
    const char *c = item ? panda_query_item_cursor (item->page, item->index) : NULL;
    out->json = c ? json_string (c) : NULL;
    return 0;
}

//  SFields.<f>: a value, or for relation fields (object typed) the target.
int
panda_api_resolve_field (panda_gql_call_t *call, panda_gql_out_t *out)
{
    s_item_t *item = call->parent;
    if (!item)
        return 0;
    const panda_gql_typedef_t *parent = panda_gql_schema_type (call->schema, call->parent_type);
    const panda_gql_fielddef_t *def = parent ? panda_gql_type_field (parent, call->field_name) : NULL;
    const panda_gql_typedef_t *type =
        def ? panda_gql_schema_type (call->schema, panda_gql_type_name (def->type)) : NULL;
    if (type && type->kind == PANDA_GQL_KIND_OBJECT) {
        panda_query_t *q = s_query (call);
        panda_query_page_t *target = NULL;
        size_t at = 0;
        panda_error_t err;
        if (!q)
            return -1;
        if (panda_query_relation (q, item->page, item->index, call->field_name, &target, &at, &err) !=
            PANDA_OK)
            return s_fail (call, &err);
        return target ? s_item_out (call, out, target, at) : 0;
    }
    json_t *v = panda_query_item_value (item->page, item->index, call->field_name);
    out->json = v ? json_incref (v) : NULL;
    return 0;
}
