/*  panda_gql_parse.c - recursive-descent parser for executable GraphQL
    documents (spec October 2021, §2). The AST lives in one arena owned by
    the document; depth, token and fragment counts are bounded by
    PANDA_GQL_MAX_*. At the end every spread is linked to its fragment.   */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_grow.h"
#include "panda_gql.h"

// ---------------------------------------------------------------------------
//  Arena: a chain of blocks, freed together.

#define S_ARENA_BLOCK 8192
#define S_STR2(x) #x
#define S_STR(x) S_STR2 (x)

typedef struct s_block_t {
    struct s_block_t *next;
    size_t used, size;
    max_align_t data[];
} s_block_t;

struct _panda_gql_arena_t {
    s_block_t *head;
};

static void *
s_alloc (panda_gql_arena_t *arena, size_t n)
{
    n = (n + sizeof (max_align_t) - 1) / sizeof (max_align_t) * sizeof (max_align_t);
    s_block_t *b = arena->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > S_ARENA_BLOCK ? n : S_ARENA_BLOCK;
        b = malloc (sizeof (s_block_t) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = arena->head;
        arena->head = b;
    }
    void *p = (char *) b->data + b->used;
    b->used += n;
    memset (p, 0, n);
    return p;
}

static char *
s_strndup (panda_gql_arena_t *arena, const char *s, size_t n)
{
    char *p = s_alloc (arena, n + 1);
    if (p) {
        memcpy (p, s, n);
        p[n] = 0;
    }
    return p;
}

// ---------------------------------------------------------------------------
//  Parser state

typedef struct {
    panda_gql_lexer_t lex;
    panda_gql_token_t tok; //  current (lookahead) token
    panda_gql_arena_t *arena;
    panda_error_t *err;
    int depth;
    size_t tokens;
    bool failed;
    int err_line, err_column;
    size_t fragments; //  fragment definitions so far
    panda_gql_selection_t **spreads; //  every spread, linked to its fragment at the end
    size_t spread_count, spread_cap;
} s_parser_t;

static bool
s_fail_at (s_parser_t *self, int line, int column, panda_err_t code, const char *format, const char *arg)
{
    if (!self->failed) {
        self->failed = true;
        self->err_line = line;
        self->err_column = column;
        panda_error_set (self->err, code, format, arg);
    }
    return false;
}

static bool
s_nomem (s_parser_t *self)
{
    return s_fail_at (self, self->tok.line, self->tok.column, PANDA_ERR_NOMEM, "%s", "out of memory");
}

static bool
s_advance (s_parser_t *self)
{
    if (++self->tokens > PANDA_GQL_MAX_TOKENS)
        return s_fail_at (self, self->tok.line, self->tok.column, PANDA_ERR_LIMIT,
                          "Document exceeds the limit of %s tokens", S_STR (PANDA_GQL_MAX_TOKENS));
    panda_error_t lerr;
    if (panda_gql_lexer_next (&self->lex, &self->tok, &lerr) != PANDA_OK)
        return s_fail_at (self, self->tok.line, self->tok.column, lerr.code, "%s", lerr.message);
    return true;
}

static bool
s_is_punct (const s_parser_t *self, const char *p)
{
    return self->tok.kind == PANDA_GQL_TOK_PUNCT && self->tok.len == strlen (p) &&
           memcmp (self->tok.text, p, self->tok.len) == 0;
}

static bool
s_is_name (const s_parser_t *self, const char *name)
{
    return self->tok.kind == PANDA_GQL_TOK_NAME && self->tok.len == strlen (name) &&
           memcmp (self->tok.text, name, self->tok.len) == 0;
}

//  "Syntax Error: Expected X, found Y." at the current token.
static bool
s_unexpected (s_parser_t *self, const char *expected)
{
    char found[64], msg[160];
    if (self->tok.kind == PANDA_GQL_TOK_EOF)
        snprintf (found, sizeof (found), "<EOF>");
    else if (self->tok.kind == PANDA_GQL_TOK_STRING || self->tok.kind == PANDA_GQL_TOK_BLOCK_STRING)
        snprintf (found, sizeof (found), "String");
    else {
        int n = self->tok.len > 40 ? 40 : (int) self->tok.len;
        const char *kind = self->tok.kind == PANDA_GQL_TOK_NAME    ? "Name "
                           : self->tok.kind == PANDA_GQL_TOK_INT   ? "Int "
                           : self->tok.kind == PANDA_GQL_TOK_FLOAT ? "Float "
                                                                   : "";
        snprintf (found, sizeof (found), "%s\"%.*s\"", kind, n, self->tok.text);
    }
    if (expected)
        snprintf (msg, sizeof (msg), "Syntax Error: Expected %s, found %s.", expected, found);
    else
        snprintf (msg, sizeof (msg), "Syntax Error: Unexpected %s.", found);
    return s_fail_at (self, self->tok.line, self->tok.column, PANDA_ERR_DECODE, "%s", msg);
}

static bool
s_expect (s_parser_t *self, const char *p)
{
    if (!s_is_punct (self, p)) {
        char quoted[8];
        snprintf (quoted, sizeof (quoted), "\"%s\"", p);
        return s_unexpected (self, quoted);
    }
    return s_advance (self);
}

//  Expect a Name token; returns its arena copy or NULL.
static const char *
s_name (s_parser_t *self)
{
    if (self->tok.kind != PANDA_GQL_TOK_NAME) {
        s_unexpected (self, "Name");
        return NULL;
    }
    char *name = s_strndup (self->arena, self->tok.text, self->tok.len);
    if (!name) {
        s_nomem (self);
        return NULL;
    }
    return s_advance (self) ? name : NULL;
}

static bool
s_enter (s_parser_t *self)
{
    if (++self->depth > PANDA_GQL_MAX_DEPTH)
        return s_fail_at (self, self->tok.line, self->tok.column, PANDA_ERR_LIMIT,
                          "Document exceeds the limit of %s nesting levels", S_STR (PANDA_GQL_MAX_DEPTH));
    return true;
}

// ---------------------------------------------------------------------------
//  Values and types

static panda_gql_value_t *s_value (s_parser_t *self, bool is_const);

static bool
s_value_items (s_parser_t *self, panda_gql_value_t *v, bool is_const)
{
    bool object = v->kind == PANDA_GQL_VAL_OBJECT;
    const char *close = object ? "}" : "]";
    panda_gql_value_t **tail = &v->items;
    if (!s_advance (self) || !s_enter (self))
        return false;
    while (!s_is_punct (self, close)) {
        const char *field = NULL;
        if (object && (!(field = s_name (self)) || !s_expect (self, ":")))
            return false;
        panda_gql_value_t *item = s_value (self, is_const);
        if (!item)
            return false;
        item->field_name = field;
        *tail = item;
        tail = &item->next;
    }
    self->depth--;
    return s_advance (self);
}

static panda_gql_value_t *
s_value (s_parser_t *self, bool is_const)
{
    panda_gql_value_t *v = s_alloc (self->arena, sizeof (*v));
    if (!v) {
        s_nomem (self);
        return NULL;
    }
    v->line = self->tok.line;
    v->column = self->tok.column;
    const panda_gql_token_t *t = &self->tok;
    bool ok = true;
    if (s_is_punct (self, "$") && !is_const) {
        v->kind = PANDA_GQL_VAL_VARIABLE;
        ok = s_advance (self) && (v->str = s_name (self)) != NULL;
        return ok ? v : NULL;
    }
    if (s_is_punct (self, "[") || s_is_punct (self, "{")) {
        v->kind = s_is_punct (self, "[") ? PANDA_GQL_VAL_LIST : PANDA_GQL_VAL_OBJECT;
        return s_value_items (self, v, is_const) ? v : NULL;
    }
    switch (t->kind) {
        case PANDA_GQL_TOK_INT:
        case PANDA_GQL_TOK_FLOAT:
            v->kind = t->kind == PANDA_GQL_TOK_INT ? PANDA_GQL_VAL_INT : PANDA_GQL_VAL_FLOAT;
            v->str = s_strndup (self->arena, t->text, t->len);
            v->len = t->len;
            break;
        case PANDA_GQL_TOK_STRING:
        case PANDA_GQL_TOK_BLOCK_STRING:
            v->kind = PANDA_GQL_VAL_STRING;
            v->block = t->kind == PANDA_GQL_TOK_BLOCK_STRING;
            v->str = s_strndup (self->arena, t->value, t->value_len);
            v->len = t->value_len;
            break;
        case PANDA_GQL_TOK_NAME:
            if (s_is_name (self, "true") || s_is_name (self, "false")) {
                v->kind = PANDA_GQL_VAL_BOOLEAN;
                v->boolean = s_is_name (self, "true");
            } else
                v->kind = s_is_name (self, "null") ? PANDA_GQL_VAL_NULL : PANDA_GQL_VAL_ENUM;
            v->str = s_strndup (self->arena, t->text, t->len);
            v->len = t->len;
            break;
        default: s_unexpected (self, NULL); return NULL;
    }
    if (!v->str) {
        s_nomem (self);
        return NULL;
    }
    return s_advance (self) ? v : NULL;
}

static panda_gql_type_t *
s_type (s_parser_t *self)
{
    panda_gql_type_t *t = s_alloc (self->arena, sizeof (*t));
    if (!t) {
        s_nomem (self);
        return NULL;
    }
    if (s_is_punct (self, "[")) {
        t->kind = PANDA_GQL_TYPE_LIST;
        if (!s_advance (self) || !s_enter (self) || !(t->of = s_type (self)) || !s_expect (self, "]"))
            return NULL;
        self->depth--;
    } else {
        t->kind = PANDA_GQL_TYPE_NAMED;
        if (!(t->name = s_name (self)))
            return NULL;
    }
    if (s_is_punct (self, "!")) {
        panda_gql_type_t *nn = s_alloc (self->arena, sizeof (*nn));
        if (!nn) {
            s_nomem (self);
            return NULL;
        }
        nn->kind = PANDA_GQL_TYPE_NON_NULL;
        nn->of = t;
        return s_advance (self) ? nn : NULL;
    }
    return t;
}

// ---------------------------------------------------------------------------
//  Arguments, directives, selections

static bool
s_arguments (s_parser_t *self, panda_gql_argument_t **list, bool is_const)
{
    if (!s_is_punct (self, "("))
        return true;
    if (!s_advance (self))
        return false;
    panda_gql_argument_t **tail = list;
    do {
        panda_gql_argument_t *a = s_alloc (self->arena, sizeof (*a));
        if (!a)
            return s_nomem (self);
        a->line = self->tok.line;
        a->column = self->tok.column;
        if (!(a->name = s_name (self)) || !s_expect (self, ":") || !(a->value = s_value (self, is_const)))
            return false;
        *tail = a;
        tail = &a->next;
    } while (!s_is_punct (self, ")"));
    return s_advance (self);
}

static bool
s_directives (s_parser_t *self, panda_gql_directive_t **list, bool is_const)
{
    panda_gql_directive_t **tail = list;
    while (s_is_punct (self, "@")) {
        panda_gql_directive_t *d = s_alloc (self->arena, sizeof (*d));
        if (!d)
            return s_nomem (self);
        d->line = self->tok.line;
        d->column = self->tok.column;
        if (!s_advance (self) || !(d->name = s_name (self)) || !s_arguments (self, &d->args, is_const))
            return false;
        *tail = d;
        tail = &d->next;
    }
    return true;
}

static bool s_selection_set (s_parser_t *self, panda_gql_selection_t **list);

static panda_gql_selection_t *
s_fragment_part (s_parser_t *self, panda_gql_selection_t *s)
{
    if (!s_advance (self))
        return NULL;
    if (self->tok.kind == PANDA_GQL_TOK_NAME && !s_is_name (self, "on")) {
        s->kind = PANDA_GQL_SEL_SPREAD;
        if (!(s->name = s_name (self)) || !s_directives (self, &s->directives, false))
            return NULL;
        if (!panda_grow ((void **) &self->spreads, &self->spread_cap, self->spread_count + 1,
                         sizeof *self->spreads)) {
            s_nomem (self);
            return NULL;
        }
        self->spreads[self->spread_count++] = s;
        return s;
    }
    s->kind = PANDA_GQL_SEL_INLINE;
    if (s_is_name (self, "on") && (!s_advance (self) || !(s->type_condition = s_name (self))))
        return NULL;
    if (!s_directives (self, &s->directives, false) || !s_selection_set (self, &s->selections))
        return NULL;
    return s;
}

static panda_gql_selection_t *
s_selection (s_parser_t *self)
{
    panda_gql_selection_t *s = s_alloc (self->arena, sizeof (*s));
    if (!s) {
        s_nomem (self);
        return NULL;
    }
    s->line = self->tok.line;
    s->column = self->tok.column;
    if (s_is_punct (self, "..."))
        return s_fragment_part (self, s);
    s->kind = PANDA_GQL_SEL_FIELD;
    if (!(s->name = s_name (self)))
        return NULL;
    if (s_is_punct (self, ":")) {
        s->alias = s->name;
        if (!s_advance (self) || !(s->name = s_name (self)))
            return NULL;
    }
    if (!s_arguments (self, &s->args, false) || !s_directives (self, &s->directives, false))
        return NULL;
    if (s_is_punct (self, "{") && !s_selection_set (self, &s->selections))
        return NULL;
    return s;
}

static bool
s_selection_set (s_parser_t *self, panda_gql_selection_t **list)
{
    if (!s_expect (self, "{") || !s_enter (self))
        return false;
    panda_gql_selection_t **tail = list;
    do {
        panda_gql_selection_t *s = s_selection (self);
        if (!s)
            return false;
        *tail = s;
        tail = &s->next;
    } while (!s_is_punct (self, "}"));
    self->depth--;
    return s_advance (self);
}

// ---------------------------------------------------------------------------
//  Definitions

static bool
s_variable_definitions (s_parser_t *self, panda_gql_vardef_t **list)
{
    if (!s_is_punct (self, "("))
        return true;
    if (!s_advance (self))
        return false;
    panda_gql_vardef_t **tail = list;
    do {
        panda_gql_vardef_t *v = s_alloc (self->arena, sizeof (*v));
        if (!v)
            return s_nomem (self);
        v->line = self->tok.line;
        v->column = self->tok.column;
        if (!s_expect (self, "$") || !(v->name = s_name (self)) || !s_expect (self, ":") ||
            !(v->type = s_type (self)))
            return false;
        if (s_is_punct (self, "=") && (!s_advance (self) || !(v->default_value = s_value (self, true))))
            return false;
        if (!s_directives (self, &v->directives, true))
            return false;
        *tail = v;
        tail = &v->next;
    } while (!s_is_punct (self, ")"));
    return s_advance (self);
}

static panda_gql_definition_t *
s_definition (s_parser_t *self)
{
    panda_gql_definition_t *d = s_alloc (self->arena, sizeof (*d));
    if (!d) {
        s_nomem (self);
        return NULL;
    }
    d->line = self->tok.line;
    d->column = self->tok.column;
    if (s_is_punct (self, "{")) {
        d->kind = PANDA_GQL_DEF_OPERATION;
        return s_selection_set (self, &d->selections) ? d : NULL;
    }
    if (s_is_name (self, "fragment")) {
        d->kind = PANDA_GQL_DEF_FRAGMENT;
        if (++self->fragments > PANDA_GQL_MAX_FRAGMENTS) {
            s_fail_at (self, d->line, d->column, PANDA_ERR_LIMIT,
                       "Document exceeds the limit of %s fragments", S_STR (PANDA_GQL_MAX_FRAGMENTS));
            return NULL;
        }
        if (!s_advance (self))
            return NULL;
        if (s_is_name (self, "on")) {
            s_unexpected (self, NULL);
            return NULL;
        }
        if (!(d->name = s_name (self)))
            return NULL;
        if (!s_is_name (self, "on")) {
            s_unexpected (self, "\"on\"");
            return NULL;
        }
        if (!s_advance (self) || !(d->type_condition = s_name (self)))
            return NULL;
    } else {
        d->kind = PANDA_GQL_DEF_OPERATION;
        if (s_is_name (self, "query"))
            d->operation = PANDA_GQL_OP_QUERY;
        else if (s_is_name (self, "mutation"))
            d->operation = PANDA_GQL_OP_MUTATION;
        else if (s_is_name (self, "subscription"))
            d->operation = PANDA_GQL_OP_SUBSCRIPTION;
        else {
            s_unexpected (self, NULL);
            return NULL;
        }
        if (!s_advance (self))
            return NULL;
        if (self->tok.kind == PANDA_GQL_TOK_NAME && !(d->name = s_name (self)))
            return NULL;
        if (!s_variable_definitions (self, &d->variables))
            return NULL;
    }
    if (!s_directives (self, &d->directives, false) || !s_selection_set (self, &d->selections))
        return NULL;
    return d;
}

static const char *
s_fragment_name_at (const void *items, size_t i)
{
    return ((panda_gql_definition_t *const *) items)[i]->name;
}

//  Number the fragments, index them by name and point every spread at its
//  fragment: walkers then never search, and can keep state per fragment.
static bool
s_link (s_parser_t *self, panda_gql_document_t *doc)
{
    doc->fragment_count = self->fragments;
    doc->fragments = s_alloc (self->arena, (self->fragments + 1) * sizeof (panda_gql_definition_t *));
    doc->fragment_index = s_alloc (self->arena, sizeof (panda_gql_index_t));
    if (!doc->fragments || !doc->fragment_index)
        return s_nomem (self);
    size_t n = 0;
    for (panda_gql_definition_t *d = doc->definitions; d; d = d->next)
        if (d->kind == PANDA_GQL_DEF_FRAGMENT) {
            d->index = n;
            doc->fragments[n++] = d;
        }
    if (n && !panda_gql_index_build (doc->fragment_index, n, s_fragment_name_at, doc->fragments))
        return s_nomem (self);
    for (size_t i = 0; i < self->spread_count; i++)
        self->spreads[i]->fragment = panda_gql_document_fragment (doc, self->spreads[i]->name);
    return true;
}

const panda_gql_definition_t *
panda_gql_document_fragment (const panda_gql_document_t *self, const char *name)
{
    long i = self->fragment_index
                 ? panda_gql_index_find (self->fragment_index, name, s_fragment_name_at, self->fragments)
                 : -1;
    return i < 0 ? NULL : self->fragments[i];
}

panda_gql_document_t *
panda_gql_parse (const char *text, size_t len, panda_error_t *err, int *line, int *column)
{
    s_parser_t p;
    memset (&p, 0, sizeof (p));
    p.err = err;
    panda_gql_document_t *doc = calloc (1, sizeof (*doc));
    panda_gql_arena_t *arena = calloc (1, sizeof (*arena));
    if (!doc || !arena) {
        free (doc);
        free (arena);
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    doc->arena = p.arena = arena;
    panda_gql_lexer_init (&p.lex, text, len);
    if (len > PANDA_GQL_MAX_QUERY_BYTES) {
        s_fail_at (&p, 1, 1, PANDA_ERR_LIMIT, "Document exceeds the limit of %s bytes",
                   S_STR (PANDA_GQL_MAX_QUERY_BYTES));
        goto fail;
    }
    if (!s_advance (&p))
        goto fail;
    if (p.tok.kind == PANDA_GQL_TOK_EOF) {
        s_unexpected (&p, "\"{\", \"query\", \"mutation\", \"subscription\" or \"fragment\"");
        goto fail;
    }
    panda_gql_definition_t **tail = &doc->definitions;
    while (p.tok.kind != PANDA_GQL_TOK_EOF) {
        panda_gql_definition_t *d = s_definition (&p);
        if (!d)
            goto fail;
        *tail = d;
        tail = &d->next;
    }
    if (!s_link (&p, doc))
        goto fail;
    doc->tokens = p.tokens;
    panda_gql_lexer_release (&p.lex);
    free (p.spreads);
    return doc;
fail:
    if (line)
        *line = p.err_line;
    if (column)
        *column = p.err_column;
    panda_gql_lexer_release (&p.lex);
    free (p.spreads);
    panda_gql_document_destroy (&doc);
    return NULL;
}

void
panda_gql_document_destroy (panda_gql_document_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_gql_document_t *self = *self_p;
    if (self->fragment_index)
        panda_gql_index_release (self->fragment_index);
    if (self->arena) {
        s_block_t *b = self->arena->head;
        while (b) {
            s_block_t *next = b->next;
            free (b);
            b = next;
        }
        free (self->arena);
    }
    free (self);
    *self_p = NULL;
}
