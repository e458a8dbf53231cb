/*  panda_json_limits.c - nesting depth and value count of a JSON text in
    one forward pass over its bytes.

    Only what a parser would build is counted: every [ and { opens a level
    and is a value, a run of other bytes outside strings (a number, true,
    false, null, or junk the parser rejects) is one value, and a string is
    a value unless the next significant byte is ':' (then it was a key).
    Inside strings a backslash hides the byte after it.                   */
#include "panda_json_limits.h"

static bool
s_is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
s_is_structural (char c)
{
    return c == '[' || c == ']' || c == '{' || c == '}' || c == ':' || c == ',' || c == '"';
}

//  Index just past the string whose opening quote is at i (len when the
//  string is not closed).
static size_t
s_string_end (const char *text, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (text[i] == '"')
            return i + 1;
        if (text[i] == '\\' && ++i == len)
            break;
    }
    return len;
}

panda_err_t
panda_json_limits_check (const char *text, size_t len, uint32_t max_depth, uint32_t max_values,
                         panda_error_t *err)
{
    uint64_t depth = 0, values = 0;
    bool in_scalar = false, string_pending = false; //  a string ended: key or value?
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        if (s_is_space (c)) {
            in_scalar = false;
            i++;
            continue;
        }
        if (string_pending && c != ':')
            values++;
        string_pending = false;
        if (c == '"') {
            i = s_string_end (text, len, i);
            string_pending = true;
            in_scalar = false;
            continue;
        }
        if (!s_is_structural (c)) {
            values += !in_scalar;
            in_scalar = true;
        } else {
            in_scalar = false;
            if (c == '[' || c == '{') {
                values++;
                if (++depth > max_depth)
                    return panda_error_set (err, PANDA_ERR_LIMIT, "JSON nested deeper than %u", max_depth);
            } else if ((c == ']' || c == '}') && depth > 0)
                depth--;
        }
        if (values > max_values)
            break;
        i++;
    }
    values += string_pending;
    if (values > max_values)
        return panda_error_set (err, PANDA_ERR_LIMIT, "JSON has more than %u values", max_values);
    return PANDA_OK;
}
