/*  panda_toml.c - the flat subset of TOML used by config files.
    See panda_toml.h. A cursor walks the text; every read checks the end.  */
#include "panda/panda_hex.h"
#include "panda_toml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TOML_MAX_DEPTH 8 //  nesting of arrays

typedef struct {
    const char *ptr, *end;
    int line;
    panda_error_t *err;
} cursor_t;

static panda_err_t
s_fail (cursor_t *c, const char *what)
{
    return panda_error_set (c->err, PANDA_ERR_DECODE, "line %d: %s", c->line, what);
}

//  Skip spaces, tabs and a comment; newlines too when multiline is set.
static void
s_skip_blank (cursor_t *c, bool multiline)
{
    while (c->ptr < c->end) {
        char ch = *c->ptr;
        if (ch == ' ' || ch == '\t' || ch == '\r')
            c->ptr++;
        else if (ch == '#')
            while (c->ptr < c->end && *c->ptr != '\n')
                c->ptr++;
        else if (ch == '\n' && multiline) {
            c->line++;
            c->ptr++;
        } else
            break;
    }
}

static bool
s_is_bare_key_char (char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '-';
}

//  Append code point cp as UTF-8 to buf (room for 4 bytes is guaranteed).
static size_t
s_put_utf8 (char *buf, unsigned long cp)
{
    if (cp < 0x80)
        return buf[0] = (char) cp, 1;
    if (cp < 0x800)
        return buf[0] = (char) (0xC0 | cp >> 6), buf[1] = (char) (0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        buf[0] = (char) (0xE0 | cp >> 12);
        buf[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char) (0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char) (0xF0 | cp >> 18);
    buf[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char) (0x80 | (cp & 0x3F));
    return 4;
}

//  The character a one-letter escape stands for, or 0.
static char
s_simple_escape (char esc)
{
    switch (esc) {
        case 'b': return '\b';
        case 't': return '\t';
        case 'n': return '\n';
        case 'f': return '\f';
        case 'r': return '\r';
        case '"': return '"';
        case '\\': return '\\';
        default: return 0;
    }
}

//  A basic ("...") or literal ('...') single-line string. Caller owns *out.
static panda_err_t
s_parse_string (cursor_t *c, char **out)
{
    char quote = *c->ptr++;
    if (c->end - c->ptr >= 2 && c->ptr[0] == quote && c->ptr[1] == quote)
        return s_fail (c, "multi-line strings are not supported");
    size_t cap = (size_t) (c->end - c->ptr) + 1, len = 0;
    char *buf = malloc (cap + 4);
    if (!buf)
        return panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
    while (true) {
        if (c->ptr >= c->end || *c->ptr == '\n') {
            free (buf);
            return s_fail (c, "unterminated string");
        }
        char ch = *c->ptr++;
        if (ch == quote)
            break;
        if (ch != '\\' || quote == '\'') {
            buf[len++] = ch;
            continue;
        }
        if (c->ptr >= c->end)
            continue; //  reported as unterminated next turn
        char esc = *c->ptr++;
        char simple = s_simple_escape (esc);
        if (simple)
            buf[len++] = simple;
        else if (esc == 'u' || esc == 'U') {
            int digits = esc == 'u' ? 4 : 8;
            unsigned long cp = 0;
            for (int i = 0; i < digits; i++) {
                int v = c->ptr < c->end ? panda_hex_digit (*c->ptr) : -1;
                if (v < 0) {
                    free (buf);
                    return s_fail (c, "bad \\u escape in string");
                }
                cp = cp << 4 | (unsigned long) v;
                c->ptr++;
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                free (buf);
                return s_fail (c, "escape is not a Unicode scalar value");
            }
            len += s_put_utf8 (buf + len, cp);
        } else {
            free (buf);
            return s_fail (c, "unknown escape in string");
        }
    }
    buf[len] = '\0';
    *out = buf;
    return PANDA_OK;
}

static panda_err_t s_parse_value (cursor_t *c, json_t **out, int depth);

static panda_err_t
s_parse_array (cursor_t *c, json_t **out, int depth)
{
    if (depth >= TOML_MAX_DEPTH)
        return s_fail (c, "arrays nested too deep");
    c->ptr++; //  '['
    json_t *array = json_array ();
    while (true) {
        s_skip_blank (c, true);
        if (c->ptr >= c->end) {
            json_decref (array);
            return s_fail (c, "unterminated array");
        }
        if (*c->ptr == ']') {
            c->ptr++;
            break;
        }
        json_t *item;
        panda_err_t rc = s_parse_value (c, &item, depth + 1);
        if (rc) {
            json_decref (array);
            return rc;
        }
        json_array_append_new (array, item);
        s_skip_blank (c, true);
        if (c->ptr < c->end && *c->ptr == ',')
            c->ptr++;
        else if (c->ptr < c->end && *c->ptr != ']') {
            json_decref (array);
            return s_fail (c, "expected ',' or ']' in array");
        }
    }
    *out = array;
    return PANDA_OK;
}

//  Integers (decimal with optional sign and underscores, 0x/0o/0b), floats,
//  booleans. Anything else (dates, inf/nan spelled oddly) is an error.
static panda_err_t
s_parse_scalar (cursor_t *c, json_t **out)
{
    const char *start = c->ptr;
    while (c->ptr < c->end && (s_is_bare_key_char (*c->ptr) || strchr ("+.", *c->ptr)))
        c->ptr++;
    size_t n = (size_t) (c->ptr - start);
    char token[64];
    if (n == 0 || n >= sizeof token)
        return s_fail (c, "expected a value");
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        if (start[i] != '_')
            token[len++] = start[i];
    token[len] = '\0';
    if (strcmp (token, "true") == 0 || strcmp (token, "false") == 0)
        return *out = json_boolean (token[0] == 't'), PANDA_OK;
    errno = 0;
    char *stop;
    int base = 10;
    const char *digits = token;
    if (token[0] == '0' && (token[1] == 'x' || token[1] == 'o' || token[1] == 'b')) {
        base = token[1] == 'x' ? 16 : token[1] == 'o' ? 8 : 2;
        digits = token + 2;
    }
    long long integer = strtoll (digits, &stop, base);
    if (*digits && *stop == '\0' && errno == 0)
        return *out = json_integer (integer), PANDA_OK;
    if (base == 10 && strpbrk (token, ".eE")) {
        double real = strtod (token, &stop);
        if (*stop == '\0' && errno == 0)
            return *out = json_real (real), PANDA_OK;
    }
    return s_fail (c, "unsupported or malformed value");
}

static panda_err_t
s_parse_value (cursor_t *c, json_t **out, int depth)
{
    if (c->ptr >= c->end)
        return s_fail (c, "expected a value");
    char ch = *c->ptr;
    if (ch == '"' || ch == '\'') {
        char *text;
        panda_err_t rc = s_parse_string (c, &text);
        if (rc)
            return rc;
        *out = json_string (text);
        free (text);
        return *out ? PANDA_OK : s_fail (c, "string is not valid UTF-8");
    }
    if (ch == '[')
        return s_parse_array (c, out, depth);
    if (ch == '{')
        return s_fail (c, "inline tables are not supported");
    return s_parse_scalar (c, out);
}

static panda_err_t
s_parse_key (cursor_t *c, char **key)
{
    if (*c->ptr == '"' || *c->ptr == '\'')
        return s_parse_string (c, key);
    const char *start = c->ptr;
    while (c->ptr < c->end && s_is_bare_key_char (*c->ptr))
        c->ptr++;
    if (c->ptr == start)
        return s_fail (c, "expected a key");
    if (c->ptr < c->end && *c->ptr == '.')
        return s_fail (c, "dotted keys are not supported");
    *key = strndup (start, (size_t) (c->ptr - start));
    return *key ? PANDA_OK : panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
}

json_t *
panda_toml_parse (const char *text, size_t len, panda_error_t *err)
{
    cursor_t c = {text, text + len, 1, err};
    json_t *root = json_object ();
    while (true) {
        s_skip_blank (&c, true);
        if (c.ptr >= c.end)
            return root;
        if (*c.ptr == '[') {
            s_fail (&c, "tables are not supported: config keys are top-level");
            break;
        }
        char *key = NULL;
        json_t *value = NULL;
        if (s_parse_key (&c, &key))
            break;
        s_skip_blank (&c, false);
        if (c.ptr >= c.end || *c.ptr != '=') {
            free (key);
            s_fail (&c, "expected '=' after key");
            break;
        }
        c.ptr++;
        s_skip_blank (&c, false);
        if (s_parse_value (&c, &value, 0)) {
            free (key);
            break;
        }
        if (json_object_get (root, key)) {
            panda_error_set (err, PANDA_ERR_DECODE, "line %d: duplicate key '%s'", c.line, key);
            json_decref (value);
            free (key);
            break;
        }
        json_object_set_new (root, key, value);
        free (key);
        s_skip_blank (&c, false);
        if (c.ptr < c.end && *c.ptr != '\n') {
            s_fail (&c, "expected a new line after the value");
            break;
        }
    }
    json_decref (root);
    return NULL;
}
