/*  panda_query_filter.h - private to lib/panda_query*.c: WHERE conditions
    of field and meta filters. The item query names the document `d` and
    the listed view `v`.                                                    */
#ifndef PANDA_QUERY_FILTER_H_INCLUDED
#define PANDA_QUERY_FILTER_H_INCLUDED

#include "panda_query_int.h"

//  Append " AND ..." conditions for filter (an object keyed by field name;
//  the operators of one field merged as node-api §6.3.2 says) on the view
//  named by the SQL expression view. in_field: the field whose condition is
//  an IN set the query may be driven from ("*": every field), NULL: all are
//  correlated EXISTS lookups.
PANDA_NODISCARD panda_err_t panda_query_filter_fields (panda_query_sql_t *sql,
                                                       const panda_query_schema_t *schema, json_t *filter,
                                                       const char *view, const char *in_field,
                                                       panda_error_t *err);

//  How many fields rows match the filter of one field, counting at most
//  cap: how selective it is (old pinned views' rows are counted too).
PANDA_NODISCARD panda_err_t panda_query_filter_probe (sqlite3 *db, const panda_query_schema_t *schema,
                                                      const char *name, json_t *ops, int64_t cap,
                                                      int64_t *count, panda_error_t *err);

//  Append " AND ..." conditions for a MetaFilterInputObject (§6.3.3).
PANDA_NODISCARD panda_err_t panda_query_filter_meta (panda_query_sql_t *sql, json_t *meta,
                                                     panda_error_t *err);

#endif
