/*  panda_toml.h - reads the TOML that node config files use.

    aquadoggo's config.toml is flat: `key = value` lines where a value is a
    string, an integer, a float, a boolean or an array of those, with
    comments anywhere. This reader handles exactly that part of TOML 1.0
    (plus multi-line arrays and trailing commas) and rejects the rest
    (tables, inline tables, dates, multi-line strings) with an error naming
    the line, so a config file is never half understood.                     */
#ifndef PANDA_TOML_H_INCLUDED
#define PANDA_TOML_H_INCLUDED

#include "panda/panda_err.h"

#include <jansson.h>

//  Parse len bytes of TOML into a JSON object (strings, integers, reals,
//  booleans, arrays). Returns NULL with err set ("line N: ...") on any
//  syntax error, duplicate key or unsupported construct. Caller owns the
//  result (json_decref).
json_t *panda_toml_parse (const char *text, size_t len, panda_error_t *err);

#endif
