/*  panda_toml.c - the subset of TOML of config files, schema files and lock
    files. See panda_toml.h. A cursor walks the text; every read checks the end.  */
#include "panda/panda_hex.h"
#include "panda_toml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOML_MAX_DEPTH 8 //  nesting of arrays and inline tables; parts of a dotted key

//  Marks on tables and arrays, kept in cursor_t.marks by address.
#define S_DEFINED 1 //  a table made by a [header] or a dotted key: no [header] may name it again
#define S_SEALED 2 //  an inline table or a static array: nothing may be added to it
#define S_AOT 4 //  an array made by [[header]]: headers reach into its last table

typedef struct {
    const char *ptr, *end;
    int line;
    panda_error_t *err;
    bool tables; //  a document: tables, inline tables, dotted keys
    json_t *marks; //  "%p" of a table or array -> S_* bits
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

static int
s_mark (cursor_t *c, json_t *node)
{
    char key[32];
    snprintf (key, sizeof key, "%p", (void *) node);
    return (int) json_integer_value (json_object_get (c->marks, key));
}

static panda_err_t
s_set_mark (cursor_t *c, json_t *node, int bits)
{
    char key[32];
    snprintf (key, sizeof key, "%p", (void *) node);
    if (json_object_set_new (c->marks, key, json_integer (s_mark (c, node) | bits)))
        return panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
    return PANDA_OK;
}

typedef struct {
    char *parts[TOML_MAX_DEPTH];
    size_t count;
} s_path_t;

static void
s_path_free (s_path_t *path)
{
    for (size_t i = 0; i < path->count; i++)
        free (path->parts[i]);
    path->count = 0;
}

static panda_err_t s_parse_value (cursor_t *c, json_t **out, int depth);

//  One key: bare, or a quoted string.
static panda_err_t
s_parse_key_part (cursor_t *c, char **key)
{
    if (c->ptr < c->end && (*c->ptr == '"' || *c->ptr == '\''))
        return s_parse_string (c, key);
    const char *start = c->ptr;
    while (c->ptr < c->end && s_is_bare_key_char (*c->ptr))
        c->ptr++;
    if (c->ptr == start)
        return s_fail (c, "expected a key");
    *key = strndup (start, (size_t) (c->ptr - start));
    return *key ? PANDA_OK : panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
}

//  A key, dotted ("a.b.c", blanks around the dots) in documents.
static panda_err_t
s_parse_key (cursor_t *c, s_path_t *path)
{
    path->count = 0;
    while (true) {
        if (path->count == TOML_MAX_DEPTH) {
            s_path_free (path);
            return s_fail (c, "dotted key has too many parts");
        }
        if (s_parse_key_part (c, &path->parts[path->count])) {
            s_path_free (path);
            return c->err ? c->err->code : PANDA_ERR_DECODE;
        }
        path->count++;
        s_skip_blank (c, false);
        if (c->ptr >= c->end || *c->ptr != '.')
            return PANDA_OK;
        if (!c->tables) {
            s_path_free (path);
            return s_fail (c, "dotted keys are not supported");
        }
        c->ptr++;
        s_skip_blank (c, false);
    }
}

//  The table a dotted key's leading parts name inside table, created
//  (and marked defined) where missing.
static panda_err_t
s_dotted_parent (cursor_t *c, json_t *table, const s_path_t *path, json_t **parent)
{
    for (size_t i = 0; i + 1 < path->count; i++) {
        json_t *next = json_object_get (table, path->parts[i]);
        if (!next) {
            next = json_object ();
            if (!next || json_object_set_new (table, path->parts[i], next) || s_set_mark (c, next, S_DEFINED))
                return panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
        } else if (!json_is_object (next) || (s_mark (c, next) & S_SEALED))
            return panda_error_set (c->err, PANDA_ERR_DECODE,
                                    "line %d: key '%s' is not a table that can be extended", c->line,
                                    path->parts[i]);
        table = next;
    }
    *parent = table;
    return PANDA_OK;
}

//  key = value into table (value taken).
static panda_err_t
s_put (cursor_t *c, json_t *table, const s_path_t *path, json_t *value)
{
    json_t *parent = NULL;
    if (s_dotted_parent (c, table, path, &parent)) {
        json_decref (value);
        return c->err ? c->err->code : PANDA_ERR_DECODE;
    }
    const char *key = path->parts[path->count - 1];
    if (json_object_get (parent, key)) {
        json_decref (value);
        return panda_error_set (c->err, PANDA_ERR_DECODE, "line %d: duplicate key '%s'", c->line, key);
    }
    if (json_object_set_new (parent, key, value))
        return panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
    return PANDA_OK;
}

//  { key = value, ... } on one line.
static panda_err_t
s_parse_inline_table (cursor_t *c, json_t **out, int depth)
{
    if (depth >= TOML_MAX_DEPTH)
        return s_fail (c, "inline tables nested too deep");
    c->ptr++; //  '{'
    json_t *table = json_object ();
    if (!table)
        return panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
    s_skip_blank (c, false);
    bool first = true;
    while (true) {
        if (c->ptr >= c->end || *c->ptr == '\n') {
            json_decref (table);
            return s_fail (c, "unterminated inline table (it must end on its line)");
        }
        if (*c->ptr == '}' && first) {
            c->ptr++;
            break;
        }
        s_path_t path;
        json_t *value;
        if (s_parse_key (c, &path)) {
            json_decref (table);
            return c->err ? c->err->code : PANDA_ERR_DECODE;
        }
        if (c->ptr >= c->end || *c->ptr != '=') {
            s_path_free (&path);
            json_decref (table);
            return s_fail (c, "expected '=' after key");
        }
        c->ptr++;
        s_skip_blank (c, false);
        panda_err_t rc = s_parse_value (c, &value, depth + 1);
        if (!rc)
            rc = s_put (c, table, &path, value);
        s_path_free (&path);
        if (rc) {
            json_decref (table);
            return rc;
        }
        s_skip_blank (c, false);
        first = false;
        if (c->ptr < c->end && *c->ptr == '}') {
            c->ptr++;
            break;
        }
        if (c->ptr >= c->end || *c->ptr != ',') {
            json_decref (table);
            return s_fail (c, c->ptr >= c->end || *c->ptr == '\n'
                                  ? "unterminated inline table (it must end on its line)"
                                  : "expected ',' or '}' in inline table");
        }
        c->ptr++;
        s_skip_blank (c, false);
    }
    if (s_set_mark (c, table, S_SEALED)) {
        json_decref (table);
        return PANDA_ERR_NOMEM;
    }
    *out = table;
    return PANDA_OK;
}

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
    if (c->tables && s_set_mark (c, array, S_SEALED)) {
        json_decref (array);
        return PANDA_ERR_NOMEM;
    }
    *out = array;
    return PANDA_OK;
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
        return c->tables ? s_parse_inline_table (c, out, depth)
                         : s_fail (c, "inline tables are not supported");
    return s_parse_scalar (c, out);
}

//  A [header] or [[header]] line: the table that key/value lines fill next.
static panda_err_t
s_parse_header (cursor_t *c, json_t *root, json_t **table)
{
    bool aot = c->end - c->ptr >= 2 && c->ptr[1] == '[';
    c->ptr += aot ? 2 : 1;
    s_skip_blank (c, false);
    s_path_t path;
    if (s_parse_key (c, &path))
        return c->err ? c->err->code : PANDA_ERR_DECODE;
    panda_err_t rc = PANDA_OK;
    if (c->end - c->ptr < (aot ? 2 : 1) || c->ptr[0] != ']' || (aot && c->ptr[1] != ']')) {
        s_path_free (&path);
        return s_fail (c, aot ? "expected ']]' after the table name" : "expected ']' after the table name");
    }
    c->ptr += aot ? 2 : 1;
    json_t *node = root;
    for (size_t i = 0; i + 1 < path.count && !rc; i++) {
        json_t *next = json_object_get (node, path.parts[i]);
        if (!next) {
            if (!(next = json_object ()) || json_object_set_new (node, path.parts[i], next))
                rc = panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
        } else if (json_is_array (next) && (s_mark (c, next) & S_AOT))
            next = json_array_get (next, json_array_size (next) - 1);
        else if (!json_is_object (next) || (s_mark (c, next) & S_SEALED))
            rc = panda_error_set (c->err, PANDA_ERR_DECODE, "line %d: key '%s' is not a table", c->line,
                                  path.parts[i]);
        node = next;
    }
    const char *last = path.parts[path.count - 1];
    json_t *existing = rc ? NULL : json_object_get (node, last);
    if (rc) {
    } else if (aot) {
        json_t *item = json_object ();
        if (!existing && (existing = json_array ()) &&
            (json_object_set_new (node, last, existing) || s_set_mark (c, existing, S_AOT)))
            existing = NULL;
        if (!existing || !item)
            rc = panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
        else if (!json_is_array (existing) || !(s_mark (c, existing) & S_AOT))
            rc = panda_error_set (c->err, PANDA_ERR_DECODE, "line %d: key '%s' is not an array of tables",
                                  c->line, last);
        else if (json_array_append (existing, item))
            rc = panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
        else
            *table = item;
        json_decref (item);
    } else if (existing && (!json_is_object (existing) || (s_mark (c, existing) & (S_DEFINED | S_SEALED))))
        rc =
            panda_error_set (c->err, PANDA_ERR_DECODE, "line %d: table '%s' is defined twice", c->line, last);
    else {
        if (!existing && (!(existing = json_object ()) || json_object_set_new (node, last, existing)))
            rc = panda_error_set (c->err, PANDA_ERR_NOMEM, "out of memory");
        if (!rc && !(rc = s_set_mark (c, existing, S_DEFINED)))
            *table = existing;
    }
    s_path_free (&path);
    return rc;
}

static json_t *
s_parse (const char *text, size_t len, bool tables, panda_error_t *err)
{
    cursor_t c = {text, text + len, 1, err, tables, json_object ()};
    json_t *root = json_object (), *table = root;
    if (!c.marks || !root) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        goto fail;
    }
    while (true) {
        s_skip_blank (&c, true);
        if (c.ptr >= c.end) {
            json_decref (c.marks);
            return root;
        }
        if (*c.ptr == '[') {
            if (!tables) {
                s_fail (&c, "tables are not supported: config keys are top-level");
                break;
            }
            if (s_parse_header (&c, root, &table))
                break;
        } else {
            s_path_t path;
            json_t *value = NULL;
            if (s_parse_key (&c, &path))
                break;
            if (c.ptr >= c.end || *c.ptr != '=') {
                s_path_free (&path);
                s_fail (&c, "expected '=' after key");
                break;
            }
            c.ptr++;
            s_skip_blank (&c, false);
            panda_err_t rc = s_parse_value (&c, &value, 0);
            if (!rc)
                rc = s_put (&c, table, &path, value);
            s_path_free (&path);
            if (rc)
                break;
        }
        s_skip_blank (&c, false);
        if (c.ptr < c.end && *c.ptr != '\n') {
            s_fail (&c, "expected a new line after the value");
            break;
        }
    }
fail:
    json_decref (c.marks);
    json_decref (root);
    return NULL;
}

json_t *
panda_toml_parse (const char *text, size_t len, panda_error_t *err)
{
    return s_parse (text, len, false, err);
}

json_t *
panda_toml_parse_document (const char *text, size_t len, panda_error_t *err)
{
    return s_parse (text, len, true, err);
}
