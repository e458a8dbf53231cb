/*  panda_fields.h - operation fields from the command line: NAME=VALUE
    arguments and a --fields JSON object, typed by the schema (from the
    node), by --type NAME=TYPE, or by a value's own {"type", "value"} form.

    Values (the field's type decides how one is read):
      str                   any text / a JSON string
      int                   decimal (JSON: integer or decimal string)
      float                 a number; NaN, inf, -inf
      bool                  true | false
      bytes                 hex
      relation              a document id
      relation_list         document ids joined by ',' (JSON: array)
      pinned_relation       a document view id: operation ids joined by '_'
      pinned_relation_list  view ids joined by ',' (JSON: array of view ids) */
#ifndef PANDA_FIELDS_H_INCLUDED
#define PANDA_FIELDS_H_INCLUDED

#include "panda_client.h"

#define PANDA_FIELDS_INPUT_MAX (64u << 20) //  bytes of a --fields / operation JSON input

//  The text of an argument: "-" is stdin, "@PATH" a file, anything else
//  itself; at most max bytes. Caller owns the result (free), NUL-terminated.
char *panda_fields_read_arg (const char *arg, size_t max, size_t *len, panda_error_t *err);

//  NAME=VALUE arguments (assignments->items[first..]) and the --fields
//  argument (may be NULL) as one JSON object name -> value (NAME=VALUE
//  values as strings). A field given twice is an error. Caller owns.
json_t *panda_fields_collect (const panda_opt_list_t *assignments, size_t first, const char *fields_arg,
                              panda_error_t *err);

//  True when every field has a type without a schema (--type or its own
//  {"type", "value"} form), so the schema need not be fetched.
bool panda_fields_all_typed (const json_t *values, const panda_opt_list_t *types);

//  Set every field of values on operation. A field's type is its own
//  typed form, else its --type (types: "NAME=TYPE" items), else schema's
//  (may be NULL). Errors name the field: unknown to the schema (listing the
//  schema's fields), no type, a value that does not fit the type.
PANDA_NODISCARD panda_err_t panda_fields_apply (panda_operation_t *operation, const json_t *values,
                                                const panda_opt_list_t *types, const panda_schema_t *schema,
                                                panda_error_t *err);

#endif
