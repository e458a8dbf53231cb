/*  panda_toml.h - reads the TOML of config files, schema files and lock files.

    aquadoggo's config.toml is flat: `key = value` lines where a value is a
    string, an integer, a float, a boolean or an array of those, with
    comments anywhere. panda_toml_parse reads exactly that part of TOML 1.0
    (plus multi-line arrays and trailing commas) and rejects the rest, so a
    config file is never half understood. panda_toml_parse_document adds
    what fishy's schema.toml and schema.lock use: [tables], [[arrays of
    tables]], { inline tables } and dotted keys. Both reject dates and
    multi-line strings with an error naming the line.                      */
#ifndef PANDA_TOML_H_INCLUDED
#define PANDA_TOML_H_INCLUDED

#include "panda/panda_err.h"

#include <jansson.h>

//  Parse len bytes of flat TOML into a JSON object (strings, integers,
//  reals, booleans, arrays). Returns NULL with err set ("line N: ...") on
//  any syntax error, duplicate key or unsupported construct (tables among
//  them). Caller owns the result (json_decref).
json_t *panda_toml_parse (const char *text, size_t len, panda_error_t *err);

//  The same with tables: [a.b] and [[a]] headers, inline tables (on one
//  line, as TOML requires) and dotted keys become nested JSON objects and
//  arrays. A table defined twice, a key that is not a table used as one,
//  or anything added to an inline table or a static array is an error.
json_t *panda_toml_parse_document (const char *text, size_t len, panda_error_t *err);

#endif
