/*  panda_gql_lex.c - GraphQL lexer (spec October 2021, §2.1).

    Commas, white space, line terminators, comments and a BOM are ignored
    tokens. Strings are decoded into a scratch buffer owned by the lexer so
    the parser can copy them into its arena.                                */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_grow.h"
#include "panda_gql.h"
#include "panda/panda_hex.h"

void
panda_gql_lexer_init (panda_gql_lexer_t *self, const char *src, size_t len)
{
    memset (self, 0, sizeof (*self));
    self->src = self->cur = self->line_start = src;
    self->end = src + len;
    self->line = 1;
}

void
panda_gql_lexer_release (panda_gql_lexer_t *self)
{
    free (self->buf);
    self->buf = NULL;
    self->buf_len = self->buf_cap = 0;
}

static int
s_column (const panda_gql_lexer_t *self, const char *at)
{
    return (int) (at - self->line_start) + 1;
}

static panda_err_t
s_fail (panda_gql_lexer_t *self, panda_gql_token_t *tok, const char *at, panda_error_t *err, const char *what)
{
    tok->line = self->line;
    tok->column = s_column (self, at);
    return panda_error_set (err, PANDA_ERR_DECODE, "Syntax Error: %s", what);
}

static bool
s_buf_put (panda_gql_lexer_t *self, const char *bytes, size_t n)
{
    if (!panda_grow ((void **) &self->buf, &self->buf_cap, self->buf_len + n + 1, 1))
        return false;
    memcpy (self->buf + self->buf_len, bytes, n);
    self->buf_len += n;
    self->buf[self->buf_len] = 0;
    return true;
}

static bool
s_buf_put_code_point (panda_gql_lexer_t *self, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char) cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char) (0xC0 | (cp >> 6));
        out[1] = (char) (0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char) (0xE0 | (cp >> 12));
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char) (0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        n = 4;
    }
    return s_buf_put (self, out, n);
}

//  Length of the valid UTF-8 sequence at p (scalar values only), 0 if invalid.
static size_t
s_utf8_len (const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *) p;
    size_t avail = (size_t) (end - p);
    if (u[0] < 0x80)
        return 1;
    size_t n = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : u[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || u[0] > 0xF4 || avail < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((u[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((u[0] == 0xE0 && u[1] < 0xA0) || (u[0] == 0xED && u[1] >= 0xA0)))
        return 0; //  overlong or surrogate
    if (n == 4 && ((u[0] == 0xF0 && u[1] < 0x90) || (u[0] == 0xF4 && u[1] >= 0x90)))
        return 0;
    return n;
}

//  Read \uXXXX or \u{X...} after the "\u" at *pp. Returns the value, or -1.
static long
s_read_unicode (const char **pp, const char *end)
{
    const char *p = *pp;
    long v = 0;
    if (p < end && *p == '{') {
        p++;
        int digits = 0;
        while (p < end && *p != '}') {
            int h = panda_hex_digit (*p++);
            if (h < 0 || ++digits > 8)
                return -1;
            v = v * 16 + h;
            if (v > 0x10FFFF)
                return -1;
        }
        if (p >= end || digits == 0)
            return -1;
        *pp = p + 1;
        return v;
    }
    for (int i = 0; i < 4; i++) {
        int h = p < end ? panda_hex_digit (*p++) : -1;
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    *pp = p;
    return v;
}

//  One escape sequence after the backslash at p[-1]. Returns false on error.
static bool
s_escape (panda_gql_lexer_t *self, const char **pp, bool *nomem)
{
    const char *p = *pp;
    if (p >= self->end)
        return false;
    char c = *p++;
    const char *simple = strchr ("\"\\/bfnrt", c);
    if (c && simple) {
        static const char map[] = "\"\\/\b\f\n\r\t";
        *pp = p;
        *nomem = !s_buf_put (self, &map[simple - "\"\\/bfnrt"], 1);
        return true;
    }
    if (c != 'u')
        return false;
    long cp = s_read_unicode (&p, self->end);
    if (cp >= 0xD800 && cp <= 0xDBFF) { //  leading surrogate: needs a trailing one
        if (p + 1 < self->end && p[0] == '\\' && p[1] == 'u') {
            const char *q = p + 2;
            long lo = s_read_unicode (&q, self->end);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p = q;
            } else
                return false;
        } else
            return false;
    }
    if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    *pp = p;
    *nomem = !s_buf_put_code_point (self, (uint32_t) cp);
    return true;
}

static panda_err_t
s_string (panda_gql_lexer_t *self, panda_gql_token_t *tok, panda_error_t *err)
{
    const char *p = self->cur + 1;
    self->buf_len = 0;
    bool nomem = !s_buf_put (self, "", 0);
    while (!nomem) {
        if (p >= self->end || *p == '\n' || *p == '\r')
            return s_fail (self, tok, self->cur, err, "Unterminated string.");
        unsigned char c = (unsigned char) *p;
        if (c == '"') {
            tok->kind = PANDA_GQL_TOK_STRING;
            tok->len = (size_t) (p + 1 - self->cur);
            self->cur = p + 1;
            return PANDA_OK;
        }
        if (c == '\\') {
            const char *at = p++;
            if (!s_escape (self, &p, &nomem))
                return s_fail (self, tok, at, err, "Invalid escape sequence in string.");
            continue;
        }
        if (c < 0x20 && c != '\t')
            return s_fail (self, tok, p, err, "Invalid character within string.");
        size_t n = s_utf8_len (p, self->end);
        if (n == 0)
            return s_fail (self, tok, p, err, "Invalid UTF-8 within string.");
        nomem = !s_buf_put (self, p, n);
        p += n;
    }
    return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
}

static bool
s_is_blank (const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

//  The spec's BlockStringValue(): strip common indentation and blank
//  leading/trailing lines from the raw text in buf, in place.
static void
s_block_dedent (panda_gql_lexer_t *self)
{
    char *raw = self->buf;
    size_t len = self->buf_len, common = SIZE_MAX;
    //  Split into lines on \n, \r\n, \r; raw already has \r\n/\r folded to \n.
    bool first = true;
    for (size_t i = 0; i <= len;) {
        size_t e = i;
        while (e < len && raw[e] != '\n')
            e++;
        if (!first) {
            size_t ind = 0;
            while (i + ind < e && (raw[i + ind] == ' ' || raw[i + ind] == '\t'))
                ind++;
            if (ind < e - i && ind < common)
                common = ind;
        }
        first = false;
        i = e + 1;
    }
    size_t out = 0;
    first = true;
    for (size_t i = 0; i <= len;) {
        size_t e = i;
        while (e < len && raw[e] != '\n')
            e++;
        size_t s = i;
        if (!first && common != SIZE_MAX)
            s = (e - i > common) ? i + common : e;
        if (!first)
            raw[out++] = '\n';
        memmove (raw + out, raw + s, e - s);
        out += e - s;
        first = false;
        i = e + 1;
    }
    //  Drop blank lines at the start and end.
    size_t start = 0;
    while (start < out) {
        size_t e = start;
        while (e < out && raw[e] != '\n')
            e++;
        if (e == out || !s_is_blank (raw + start, e - start))
            break;
        start = e + 1;
    }
    if (start < out && !s_is_blank (raw + start, out - start)) {
        size_t stop = out;
        while (stop > start) {
            size_t b = stop;
            while (b > start && raw[b - 1] != '\n')
                b--;
            if (!s_is_blank (raw + b, stop - b))
                break;
            stop = b > start ? b - 1 : start;
        }
        memmove (raw, raw + start, stop - start);
        out = stop - start;
    } else
        out = 0;
    raw[out] = 0;
    self->buf_len = out;
}

static panda_err_t
s_block_string (panda_gql_lexer_t *self, panda_gql_token_t *tok, panda_error_t *err)
{
    const char *p = self->cur + 3;
    self->buf_len = 0;
    bool ok = s_buf_put (self, "", 0);
    while (ok) {
        if (p >= self->end)
            return s_fail (self, tok, p, err, "Unterminated string.");
        if (self->end - p >= 3 && memcmp (p, "\"\"\"", 3) == 0) {
            tok->kind = PANDA_GQL_TOK_BLOCK_STRING;
            tok->len = (size_t) (p + 3 - self->cur);
            self->cur = p + 3;
            s_block_dedent (self);
            return PANDA_OK;
        }
        if (self->end - p >= 4 && memcmp (p, "\\\"\"\"", 4) == 0) {
            ok = s_buf_put (self, "\"\"\"", 3);
            p += 4;
            continue;
        }
        unsigned char c = (unsigned char) *p;
        if (c == '\r' || c == '\n') {
            p += (c == '\r' && p + 1 < self->end && p[1] == '\n') ? 2 : 1;
            self->line++;
            self->line_start = p;
            ok = s_buf_put (self, "\n", 1);
            continue;
        }
        if (c < 0x20 && c != '\t')
            return s_fail (self, tok, p, err, "Invalid character within string.");
        size_t n = s_utf8_len (p, self->end);
        if (n == 0)
            return s_fail (self, tok, p, err, "Invalid UTF-8 within string.");
        ok = s_buf_put (self, p, n);
        p += n;
    }
    return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
}

static bool
s_name_start (char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

static panda_err_t
s_number (panda_gql_lexer_t *self, panda_gql_token_t *tok, panda_error_t *err)
{
    const char *p = self->cur;
    bool is_float = false;
    if (*p == '-')
        p++;
    if (p < self->end && *p == '0') {
        p++;
        if (p < self->end && s_digit (*p))
            return s_fail (self, tok, p, err, "Invalid number, unexpected digit after 0.");
    } else {
        if (p >= self->end || !s_digit (*p))
            return s_fail (self, tok, p, err, "Invalid number, expected digit.");
        while (p < self->end && s_digit (*p))
            p++;
    }
    if (p < self->end && *p == '.') {
        is_float = true;
        p++;
        if (p >= self->end || !s_digit (*p))
            return s_fail (self, tok, p, err, "Invalid number, expected digit after \".\".");
        while (p < self->end && s_digit (*p))
            p++;
    }
    if (p < self->end && (*p == 'e' || *p == 'E')) {
        is_float = true;
        p++;
        if (p < self->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= self->end || !s_digit (*p))
            return s_fail (self, tok, p, err, "Invalid number, expected digit in exponent.");
        while (p < self->end && s_digit (*p))
            p++;
    }
    if (p < self->end && (*p == '.' || s_name_start (*p)))
        return s_fail (self, tok, p, err, "Invalid number, expected digit.");
    tok->kind = is_float ? PANDA_GQL_TOK_FLOAT : PANDA_GQL_TOK_INT;
    tok->len = (size_t) (p - self->cur);
    self->cur = p;
    return PANDA_OK;
}

//  Skip ignored tokens: BOM, white space, line terminators, comments, commas.
static void
s_skip_ignored (panda_gql_lexer_t *self)
{
    const char *p = self->cur;
    while (p < self->end) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == ',')
            p++;
        else if (c == '\n' || c == '\r') {
            p += (c == '\r' && p + 1 < self->end && p[1] == '\n') ? 2 : 1;
            self->line++;
            self->line_start = p;
        } else if (c == '#') {
            while (p < self->end && *p != '\n' && *p != '\r')
                p++;
        } else if (self->end - p >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
            p += 3;
        else
            break;
    }
    self->cur = p;
}

panda_err_t
panda_gql_lexer_next (panda_gql_lexer_t *self, panda_gql_token_t *tok, panda_error_t *err)
{
    s_skip_ignored (self);
    memset (tok, 0, sizeof (*tok));
    tok->text = self->cur;
    tok->line = self->line;
    tok->column = s_column (self, self->cur);
    if (self->cur >= self->end)
        return PANDA_OK; //  EOF
    const char *p = self->cur;
    char c = *p;
    panda_err_t rc = PANDA_OK;
    if (strchr ("!$&():=@[]{|}", c) && c) {
        tok->kind = PANDA_GQL_TOK_PUNCT;
        tok->len = 1;
        self->cur++;
    } else if (c == '.') {
        if (self->end - p < 3 || p[1] != '.' || p[2] != '.')
            return s_fail (self, tok, p, err, "Unexpected \".\", did you mean \"...\"?");
        tok->kind = PANDA_GQL_TOK_PUNCT;
        tok->len = 3;
        self->cur += 3;
    } else if (s_name_start (c)) {
        while (p < self->end && (s_name_start (*p) || s_digit (*p)))
            p++;
        tok->kind = PANDA_GQL_TOK_NAME;
        tok->len = (size_t) (p - self->cur);
        self->cur = p;
    } else if (c == '-' || s_digit (c))
        rc = s_number (self, tok, err);
    else if (self->end - p >= 3 && memcmp (p, "\"\"\"", 3) == 0)
        rc = s_block_string (self, tok, err);
    else if (c == '"')
        rc = s_string (self, tok, err);
    else {
        char what[64];
        unsigned char u = (unsigned char) c;
        if (u >= 0x20 && u < 0x7F)
            snprintf (what, sizeof (what), "Unexpected character \"%c\".", c);
        else
            snprintf (what, sizeof (what), "Unexpected character 0x%02X.", u);
        return s_fail (self, tok, p, err, what);
    }
    if (rc == PANDA_OK && (tok->kind == PANDA_GQL_TOK_STRING || tok->kind == PANDA_GQL_TOK_BLOCK_STRING)) {
        tok->value = self->buf;
        tok->value_len = self->buf_len;
    }
    return rc;
}
