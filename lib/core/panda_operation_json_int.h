/*  panda_operation_json_int.h - operations to and from jansson values,
    for the node and the tests (the public header has the text forms, so
    no jansson type is in the client API). See panda_operation_json.h for
    the two JSON forms.                                                     */
#ifndef PANDA_OPERATION_JSON_INT_H_INCLUDED
#define PANDA_OPERATION_JSON_INT_H_INCLUDED

#include "panda/panda_operation_json.h"

#include <jansson.h>

//  Build an operation from the typed JSON form. Caller owns the result; NULL
//  with err set (PANDA_ERR_INVALID naming the bad member, or NOMEM).
PANDA_NODISCARD panda_operation_t *panda_operation_from_json (const json_t *json, panda_error_t *err);

//  Fill *value from one typed field {"type": ..., "value": ...}. On success
//  the caller owns the value (panda_value_clear).
PANDA_NODISCARD panda_err_t panda_operation_json_value_from_typed (panda_value_t *value, const json_t *typed,
                                                                   panda_error_t *err);

//  The schema-less JSON form of an operation / of one value. Caller owns the
//  result (json_decref); NULL on OOM.
json_t *panda_operation_to_json (const panda_operation_t *self);
json_t *panda_operation_json_value_to_plain (const panda_value_t *value);

#endif
