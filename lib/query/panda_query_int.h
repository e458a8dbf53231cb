/*  panda_query_int.h - private to lib/query/panda_query*.c: the query object,
    pages and the SQL text builder with typed bindings.                    */
#ifndef PANDA_QUERY_INT_H_INCLUDED
#define PANDA_QUERY_INT_H_INCLUDED

#include "panda_query.h"
#include "panda/panda_schema.h"
#include "panda_views.h"

#include <sqlite3.h>

#define PANDA_QUERY_SCHEMAS_MAX 4096 //  schemas cached per query object
#define PANDA_QUERY_CURSOR_MAX 4096 //  bytes of a decoded cursor

//  One typed SQL parameter (blob/text bytes owned).
typedef struct {
    int type; //  SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
    int64_t i;
    double d;
    uint8_t *p;
    size_t len;
} panda_query_bind_t;

//  SQL text plus its parameters, in order (?1, ?2, ...).
typedef struct {
    char *text;
    size_t len, cap;
    panda_query_bind_t *binds;
    size_t nbinds, capbinds;
    bool oom;
} panda_query_sql_t;

void panda_query_sql_init (panda_query_sql_t *self);
void panda_query_sql_release (panda_query_sql_t *self);
void panda_query_sql_add (panda_query_sql_t *self, const char *format, ...) PANDA_PRINTF (2, 3);
//  Append "?N" for a new parameter.
void panda_query_sql_int (panda_query_sql_t *self, int64_t value);
void panda_query_sql_real (panda_query_sql_t *self, double value);
void panda_query_sql_text (panda_query_sql_t *self, const char *text, size_t len);
void panda_query_sql_blob (panda_query_sql_t *self, const uint8_t *bytes, size_t len);
//  Append "?N" bound to a copy of an SQLite value (any type).
void panda_query_sql_value (panda_query_sql_t *self, sqlite3_value *value);
//  Copy the parameters of other (appending "?N"s is the caller's business).
void panda_query_sql_binds_from (panda_query_sql_t *self, const panda_query_sql_t *other);
//  Prepare and bind. NULL with err set on failure.
sqlite3_stmt *panda_query_sql_prepare (sqlite3 *db, panda_query_sql_t *self, panda_error_t *err);

//  A schema as the query engine sees it: fields and their schema_fields ids.
typedef struct {
    char *id;
    panda_schema_t *owned; //  NULL for system schemas
    const panda_schema_t *schema;
    int64_t *field_ids; //  per field index
} panda_query_schema_t;

typedef struct {
    int64_t doc, view; //  rowids in documents / views
    char document_id[PANDA_HASH_HEX_SIZE + 1];
    char owner[2 * PANDA_PUBLIC_KEY_SIZE + 1];
    char *view_id;
    int64_t idx; //  list position (lists), 0 otherwise
    int64_t parent; //  lists: the parent's view rowid
    char *parent_view; //  lists: the parent's view id (for the cursor)
    bool has_root;
    uint8_t root[32]; //  row cursor of the parent's list item
    json_t **values; //  per field (NULL until loaded)
    uint8_t (*cursors)[32]; //  per field: greatest row cursor
    char *cursor; //  item cursor text
} panda_query_item_t;

typedef struct {
    bool done;
    panda_query_page_t *page; //  targets (unique), owned
    long *map; //  per item: index in page or -1
} panda_query_rel_t;

//  Relation lists of every item of a page, resolved by one query for one
//  (field, arguments, selection): items of all lists in `all`, parent by
//  parent; per distinct parent view its range and page flags.
typedef struct panda_query_batch_s panda_query_batch_t;
struct panda_query_batch_s {
    char *key;
    panda_query_page_t *all;
    size_t nviews;
    int64_t *views; //  distinct parent view rowids
    size_t *start, *count;
    bool *more, *applied, backward;
    int64_t *totals;
    bool totals_known;
    panda_query_sql_t count_sql; //  grouped by parent view
    panda_query_batch_t *next;
};

struct _panda_query_page_t {
    int refs;
    panda_query_page_t *base; //  a list page: items borrowed from base
    size_t offset; //  ... starting at this index of base
    panda_query_page_t *owner; //  ... whose batch belongs to this page
    panda_query_batch_t *batch; //  ... and this is its range batch_index
    size_t batch_index;
    panda_query_batch_t *batches; //  list batches resolved on this page
    const panda_query_schema_t *schema; //  borrowed from the query object
    panda_query_item_t *items;
    size_t count, cap;
    bool has_next, has_previous;
    bool total_known;
    int64_t total;
    panda_query_sql_t count_sql; //  for totalCount
    json_t *count_args; //  collections: their arguments, to build count_sql
    panda_query_rel_t *rels; //  per field
};

struct _panda_query_t {
    panda_views_t *views;
    sqlite3 *db;
    uint32_t max_page, budget, used;
    bool in_request;
    panda_query_plan_t plan;
    uint64_t statements;
    panda_query_schema_t **schemas; //  PANDA_QUERY_SCHEMAS_MAX slots
    size_t schema_count;
};

//  The columns every item query selects, in this order, and its FROM part
//  for top-level documents.
#define PANDA_QUERY_ITEM_COLUMNS "d.id, d.document_id, d.owner, v.id, v.view_id"

//  Cached schema by id (system or materialised). NULL with err set
//  (PANDA_ERR_NOT_FOUND) when unknown.
const panda_query_schema_t *panda_query_schema (panda_query_t *self, const char *schema_id,
                                                panda_error_t *err);

//  A new empty page (refs 1) of schema; NULL on OOM.
panda_query_page_t *panda_query_page_new (const panda_query_schema_t *schema);

//  Run stmt (columns PANDA_QUERY_ITEM_COLUMNS, then idx, root and parent
//  view rowid when with_list) and append every row as an item.
PANDA_NODISCARD panda_err_t panda_query_page_fill (panda_query_t *self, panda_query_page_t *page,
                                                   sqlite3_stmt *stmt, bool with_list, panda_error_t *err);

//  Load the field values and row cursors of every item (one SQL query),
//  charge the budget, and set item cursors: plain base58 when parent_view is
//  NULL, list cursors otherwise.
PANDA_NODISCARD panda_err_t panda_query_page_finish (panda_query_t *self, panda_query_page_t *page,
                                                     const char *const *selected, size_t selected_count,
                                                     const char *parent_view, panda_error_t *err);

//  Free a batch list (lib/query/panda_query_list.c).
void panda_query_batches_destroy (panda_query_batch_t **self_p);

// ---------------------------------------------------------------------------
//  Sources: what a collection or list reads (lib/query/panda_query_source.c)

typedef struct {
    json_t *filter, *meta;
    const char *order_by; //  NULL: default order
    bool desc;
    int64_t limit;
    bool backward; //  last/before
    const char *cursor; //  after or before
} panda_query_args_t;

//  What is listed: a top-level collection, or the list field of a parent.
typedef struct {
    const panda_query_schema_t *schema;
    const panda_query_item_t *parent; //  NULL at the top level
    int64_t list_field; //  schema_fields id of the parent's list field
    bool pinned;
    long order_field; //  index in schema of the ordering field, or -1
    const char *key, *tie; //  SQL expressions
    bool nocase; //  key is a text field ordered case-insensitively
    bool nullable; //  key can be NULL (ordering by a list field)
    const char *view; //  SQL expression of the listed view's rowid
    bool order_driven; //  walk the ordering field's index (fields o first)
    const char *drive; //  the filter field the page query is driven from
    json_t *drive_ops;
    const int64_t *parents; //  lists of several parents: their view rowids
    size_t nparents;
} panda_query_source_t;

//  Parse and check the arguments of a collection or list (first/last,
//  after/before, orderBy, orderDirection, filter, meta; page size at most max).
panda_err_t panda_query_source_args (json_t *args, uint32_t max, panda_query_args_t *out, panda_error_t *err);

//  Set src's ordering key and tie from args.orderBy (validated here).
panda_err_t panda_query_source_order (panda_query_source_t *src, panda_query_args_t *args,
                                      panda_error_t *err);

//  Choose how a top-level query runs: from its most selective filter when
//  one is selective enough, else along its ordering index.
panda_err_t panda_query_source_plan (panda_query_t *self, panda_query_source_t *src,
                                     const panda_query_args_t *args, panda_error_t *err);

//  FROM ... WHERE <what is listed>, without filters. views: join the
//  views table (its view_id is needed).
void panda_query_source_from (panda_query_sql_t *sql, const panda_query_source_t *src, bool views);

//  Decode a cursor (untrusted): parts[0..2] point into buf. Returns the
//  number of '-' separated parts, 0 when malformed.
size_t panda_query_source_cursor_parts (const char *cursor, char *buf, size_t cap, const char *parts[3]);

//  A row cursor from its 64 hex characters; false when malformed.
bool panda_query_source_row_cursor (const char *hex, uint8_t out[32]);

//  Append the keyset condition "strictly after (or before) the cursor's
//  position" in the page's walking order.
panda_err_t panda_query_source_keyset (panda_query_t *self, const panda_query_source_t *src,
                                       const panda_query_args_t *args, panda_query_sql_t *sql, bool *applied,
                                       panda_error_t *err);

//  Run the page query of src under args and fill page.
panda_err_t panda_query_source_page (panda_query_t *self, const panda_query_source_t *src,
                                     const panda_query_args_t *args, panda_query_page_t *page,
                                     panda_error_t *err);

//  totalCount of a collection (built at its first use): the page's
//  conditions, no cursor, no order. A count reads every match anyway, so
//  any filter matching less than a quarter of the documents drives it.
panda_err_t panda_query_source_count (panda_query_t *self, panda_query_page_t *page, panda_error_t *err);

panda_err_t panda_query_db_error (panda_query_t *self, const char *what, panda_error_t *err);

#endif
