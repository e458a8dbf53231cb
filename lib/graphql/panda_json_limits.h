/*  panda_json_limits.h - how deep and how big a JSON text is, measured on
    its bytes before any parser sees it (private to lib/).

    jansson's parser recurses once per nesting level and allocates a node
    per value, so a small body can overflow a 100 kB worker stack and a
    large flat one can take gigabytes. This scanner is one linear pass with
    no recursion and no allocation; it stops at the first limit crossed.   */
#ifndef PANDA_JSON_LIMITS_H_INCLUDED
#define PANDA_JSON_LIMITS_H_INCLUDED

#include "panda/panda_err.h"

//  Check that text (len bytes, need not be terminated nor valid JSON)
//  opens at most max_depth arrays/objects at once and holds at most
//  max_values values (object keys are not values). Returns PANDA_OK, or
//  PANDA_ERR_LIMIT with "JSON nested deeper than N" / "JSON has more than N
//  values" in err. Malformed text is left for the parser to reject.
PANDA_NODISCARD panda_err_t panda_json_limits_check (const char *text, size_t len, uint32_t max_depth,
                                                     uint32_t max_values, panda_error_t *err);

#endif
