/*  panda_query.h - reads documents out of the views database (node-api
    §6.2-6.6): a single document by id or view id, collections with filter,
    meta filter, ordering and cursor pagination, relations and relation
    lists (paginated per parent), page fields and the cursors of §6.3.6.

    One read-only SQLite connection per query object; use it from one thread.
    A request runs between panda_query_begin and panda_query_end, which hold
    one read transaction (every page of a request sees the same snapshot)
    and reset the per-request item budget.

    Results come as pages: reference-counted lists of document views. Field
    values of all items of a page are loaded with one SQL query, and a
    relation field is resolved for all items of a page at once (one query
    per level of nesting), so resolving a page costs a few queries however
    many items it has.

    Collection arguments are the JSON of the GraphQL arguments (node-api
    §5.3, plus `last`/`before` for backward paging and orderBy OWNER); JSON
    null means absent. Values are bound typed, never interpolated or CAST:
    cursors and filter values are untrusted input.                          */
#ifndef PANDA_QUERY_H_INCLUDED
#define PANDA_QUERY_H_INCLUDED

#include <jansson.h>
#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_QUERY_DEFAULT_FIRST 25 //  page size when first/last is absent
#define PANDA_QUERY_DEFAULT_MAX_PAGE 1000 //  graphql_max_page_size default
#define PANDA_QUERY_DEFAULT_BUDGET 10000 //  items returned per request

typedef struct _panda_query_t panda_query_t;
typedef struct _panda_query_page_t panda_query_page_t;

//  Open the views database at path read-only. max_page: largest first/last
//  (0 = PANDA_QUERY_DEFAULT_MAX_PAGE); budget: items per request (0 =
//  PANDA_QUERY_DEFAULT_BUDGET). Caller owns the result; NULL with err set.
panda_query_t *panda_query_new (const char *path, uint32_t max_page, uint32_t budget, panda_error_t *err);

//  Close; NULLs *self_p, accepts NULL. Pages may outlive it only if they are
//  not used for further queries.
void panda_query_destroy (panda_query_t **self_p);

//  How top-level collections with a filter run. AUTO (the default): from
//  the most selective filter when it matches few rows, else along the
//  ordering index with per-candidate filter lookups. The others force one
//  way (tests and benchmarks compare them; results are the same).
typedef enum { PANDA_QUERY_PLAN_AUTO, PANDA_QUERY_PLAN_FILTER, PANDA_QUERY_PLAN_ORDER } panda_query_plan_t;
void panda_query_set_plan (panda_query_t *self, panda_query_plan_t plan);

//  Call fn(ctx) every `steps` SQLite virtual machine steps of a statement;
//  when it returns non-zero the statement stops and the query fails
//  ("interrupted"). For a request that must stop (deadline, client gone)
//  while one slow statement runs. fn NULL removes it.
void panda_query_set_progress (panda_query_t *self, int steps, int (*fn) (void *ctx), void *ctx);

//  SQL statements run on the connection so far (tests and benchmarks check
//  that resolving a page costs a few statements, not one per item).
uint64_t panda_query_statements (const panda_query_t *self);

//  Start / end a request: one read transaction and a fresh item budget.
PANDA_NODISCARD panda_err_t panda_query_begin (panda_query_t *self, panda_error_t *err);
void panda_query_end (panda_query_t *self);

//  The document of schema_id with this document id (its current view) or
//  this view id (exactly one of them non-NULL). *page_p gets a page of 0 or 1
//  items: 0 when unknown, deleted, of another schema, or the view is not
//  materialised. Caller owns *page_p.
PANDA_NODISCARD panda_err_t panda_query_document (panda_query_t *self, const char *schema_id,
                                                  const char *document_id, const char *view_id,
                                                  panda_query_page_t **page_p, panda_error_t *err);

//  A page of all_<schema_id>(args). selected: the application fields named
//  under documents { fields { ... } } (they define the item cursors,
//  §6.3.6); may be NULL/0. Caller owns *page_p. Errors (PANDA_ERR_INVALID)
//  carry the node's GraphQL message, e.g. "out of range integral type
//  conversion attempted", "internal: is not an object".
PANDA_NODISCARD panda_err_t panda_query_collection (panda_query_t *self, const char *schema_id, json_t *args,
                                                    const char *const *selected, size_t selected_count,
                                                    panda_query_page_t **page_p, panda_error_t *err);

//  The relation_list / pinned_relation_list field of item `item` of page, as
//  a page of its target schema (list order unless orderBy is given,
//  duplicates kept, deleted and unknown targets skipped). Caller owns *page_p.
PANDA_NODISCARD panda_err_t panda_query_list (panda_query_t *self, panda_query_page_t *page, size_t item,
                                              const char *field, json_t *args, const char *const *selected,
                                              size_t selected_count, panda_query_page_t **page_p,
                                              panda_error_t *err);

//  The relation / pinned_relation field of item `item`: *target_p is a
//  borrowed page (valid while page lives) and *index the item in it, or
//  *target_p NULL when the target is unknown, deleted or of another schema.
//  The first call for a field resolves it for every item of the page.
PANDA_NODISCARD panda_err_t panda_query_relation (panda_query_t *self, panda_query_page_t *page, size_t item,
                                                  const char *field, panda_query_page_t **target_p,
                                                  size_t *index, panda_error_t *err);

//  totalCount: documents matching the filters, ignoring pagination
//  (computed on the first call).
PANDA_NODISCARD panda_err_t panda_query_page_total (panda_query_t *self, panda_query_page_t *page,
                                                    int64_t *total, panda_error_t *err);

//  Page reference counting (not thread-safe). unref NULLs *self_p.
panda_query_page_t *panda_query_page_ref (panda_query_page_t *self);
void panda_query_page_unref (panda_query_page_t **self_p);

size_t panda_query_page_count (const panda_query_page_t *self);
bool panda_query_page_has_next (const panda_query_page_t *self);
bool panda_query_page_has_previous (const panda_query_page_t *self);

//  Cursors of the first / last item, NULL on an empty page. Borrowed.
const char *panda_query_page_start_cursor (const panda_query_page_t *self);
const char *panda_query_page_end_cursor (const panda_query_page_t *self);

//  The schema id of the page's documents. Borrowed.
const char *panda_query_page_schema (const panda_query_page_t *self);

//  Item accessors (item < count). Strings borrowed for the page's life.
const char *panda_query_item_cursor (const panda_query_page_t *self, size_t item);
const char *panda_query_item_document_id (const panda_query_page_t *self, size_t item);
const char *panda_query_item_view_id (const panda_query_page_t *self, size_t item);
const char *panda_query_item_owner (const panda_query_page_t *self, size_t item);

//  The value of a field of an item as JSON (borrowed): bool, int, float,
//  str natively, bytes as lowercase hex, relation as the document id,
//  pinned_relation as the view id, lists as arrays of those. NULL when the
//  schema has no such field.
json_t *panda_query_item_value (const panda_query_page_t *self, size_t item, const char *field);

#ifdef __cplusplus
}
#endif
#endif
