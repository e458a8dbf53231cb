/*  panda_query_filter.h - private to lib/query/panda_query*.c: WHERE conditions
    of field and meta filters. The item query names the document `d` and
    the listed view `v`.                                                    */
#ifndef PANDA_QUERY_FILTER_H_INCLUDED
#define PANDA_QUERY_FILTER_H_INCLUDED

#include "panda_query_int.h"

//  Append " AND ..." conditions for filter (an object keyed by field name;
//  the operators of one field merged as node-api §6.3.2 says) on the view
//  named by the SQL expression view: per-candidate lookups (EXISTS). The
//  field named skip (may be NULL) is left out: the query is driven from it.
PANDA_NODISCARD panda_err_t panda_query_filter_fields (panda_query_sql_t *sql,
                                                       const panda_query_schema_t *schema, json_t *filter,
                                                       const char *view, const char *skip,
                                                       panda_error_t *err);

//  "(SELECT g.view AS view FROM fields g WHERE <the filter of field name>)":
//  the views matching one (non-list) field's filter, to drive a query from.
void panda_query_filter_drive (panda_query_sql_t *sql, const panda_query_schema_t *schema, const char *name,
                               json_t *ops);

//  How many fields rows match the filter of one field, counting at most
//  cap: how selective it is (old pinned views' rows are counted too). List
//  fields are not probed (*count = cap).
PANDA_NODISCARD panda_err_t panda_query_filter_probe (sqlite3 *db, const panda_query_schema_t *schema,
                                                      const char *name, json_t *ops, int64_t cap,
                                                      int64_t *count, panda_error_t *err);

//  Append " AND ..." conditions for a MetaFilterInputObject (§6.3.3).
PANDA_NODISCARD panda_err_t panda_query_filter_meta (panda_query_sql_t *sql, json_t *meta,
                                                     panda_error_t *err);

#endif
