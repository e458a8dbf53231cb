/*  panda_operation_json.h - operations to and from JSON text.

    Input is the typed form the test vectors and p2panda-js use (the schema
    says what each field is):
      {"version": 1, "action": "create"|"update"|"delete", "schemaId": "...",
       "previous": ["<hash hex>", ...],
       "fields": {"name": {"type": "str"|"int"|"float"|"bool"|"bytes"|
                  "relation"|"relation_list"|"pinned_relation"|
                  "pinned_relation_list", "value": ...}}}
    ints are decimal strings (JSON integers are accepted too), floats a
    number or "f64_bits" (16 hex digits, needed for NaN/inf), bytes hex,
    relations hash hex strings (lists, lists of lists). Pinned relations are
    document view ids and get sorted and de-duplicated, like `previous`.

    Output is the schema-less form of a decoded operation:
      {"version": 1, "action": ..., "schemaId": ..., "previous": [...],
       "fields": {"name": {"kind": "text"|"int"|"float"|"bool"|"bytes"|
                  "hash_list"|"hash_list_list", "value": ...}}}
    with "previous" only for UPDATE/DELETE and "fields" only for
    CREATE/UPDATE; floats also carry "f64_bits" (value is null for NaN/inf). */
#ifndef PANDA_OPERATION_JSON_H_INCLUDED
#define PANDA_OPERATION_JSON_H_INCLUDED

#include "panda/panda_operation.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Build an operation from len bytes of the typed JSON form. Caller owns
//  the result; NULL with err set (PANDA_ERR_INVALID naming the bad member,
//  or NOMEM).
PANDA_NODISCARD panda_operation_t *panda_operation_from_json_text (const char *text, size_t len,
                                                                   panda_error_t *err);

//  The schema-less JSON form of an operation, compact, floats with 17
//  significant digits. Caller owns the result (free); NULL on OOM.
char *panda_operation_to_json_text (const panda_operation_t *self);

#ifdef __cplusplus
}
#endif
#endif
