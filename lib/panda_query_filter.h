/*  panda_query_filter.h - private to lib/panda_query*.c: WHERE conditions
    of field and meta filters. The item query names the document `d` and
    the listed view `v`.                                                    */
#ifndef PANDA_QUERY_FILTER_H_INCLUDED
#define PANDA_QUERY_FILTER_H_INCLUDED

#include "panda_query_int.h"

//  Append " AND ..." conditions for filter (an object keyed by field name;
//  the operators of one field merged as node-api §6.3.2 says).
PANDA_NODISCARD panda_err_t panda_query_filter_fields (panda_query_sql_t *sql,
                                                       const panda_query_schema_t *schema, json_t *filter,
                                                       panda_error_t *err);

//  Append " AND ..." conditions for a MetaFilterInputObject (§6.3.3).
PANDA_NODISCARD panda_err_t panda_query_filter_meta (panda_query_sql_t *sql, json_t *meta,
                                                     panda_error_t *err);

#endif
