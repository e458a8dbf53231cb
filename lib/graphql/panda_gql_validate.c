/*  panda_gql_validate.c - the validation rules a client notices. Input
    value coercion, which the argument checks use, is in panda_gql_coerce.c.

    Messages follow async-graphql 5 as listed in node-api §2.3. Variable
    types are deliberately not checked against argument types (node-api
    §2.2): the executor checks variable values instead.                    */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_grow.h"
#include "panda_gql.h"

// ---------------------------------------------------------------------------
//  Validation
//
//  Every walk is linear in the document: each definition's selection set
//  is summarised once (the fragments it spreads, the variables it uses),
//  and whatever crosses fragments works on those summaries, visiting each
//  fragment at most once per walk and never recursing through spreads.

#define S_STOP_EVERY 64 //  validation steps between calls of stop_fn
#define S_FEW 8 //  names searched in a row rather than indexed

//  What one definition's selection set holds itself (spreads not followed).
typedef struct {
    uint32_t *spreads; //  distinct fragments spread, by index
    size_t spread_count, spread_cap;
    const panda_gql_value_t **uses; //  variable uses
    size_t use_count, use_cap;
    int depth; //  nesting with fragments expanded, counted like the parser
    bool cyclic; //  spreads itself, directly or through others
    bool used; //  spread by another definition
    uint32_t order, low, next_edge; //  cycle search (Tarjan)
    bool on_stack;
} s_summary_t;

typedef struct {
    const panda_gql_schema_t *schema;
    const panda_gql_document_t *doc;
    const panda_gql_options_t *options;
    json_t *errors;
    const char *stopped; //  stop_fn's answer
    unsigned steps;
    bool nomem;
    s_summary_t *frags; //  one per fragment
    uint32_t *queue; //  fragments to visit in a walk
    uint32_t *marks; //  per fragment: the walk that last saw it
    uint32_t walk;
    //  The operation being checked: its variables, indexed by name.
    const panda_gql_vardef_t **vars;
    size_t var_count;
    panda_gql_index_t var_index;
    bool *var_used;
} s_ctx_t;

static void PANDA_PRINTF (4, 5) s_error (s_ctx_t *self, int line, int column, const char *format, ...)
{
    if (json_array_size (self->errors) >= PANDA_GQL_MAX_ERRORS)
        return;
    char msg[PANDA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start (ap, format);
    vsnprintf (msg, sizeof (msg), format, ap);
    va_end (ap);
    json_array_append_new (self->errors, panda_gql_error_new (msg, line, column));
}

//  Count a step; every S_STOP_EVERY steps ask stop_fn. True when stopped.
static bool
s_tick (s_ctx_t *self)
{
    if (!self->stopped && self->options && self->options->stop_fn && ++self->steps % S_STOP_EVERY == 0)
        self->stopped = self->options->stop_fn (self->options->stop_ctx);
    return self->stopped != NULL;
}

static bool
s_push (void **items, size_t *count, size_t *cap, size_t size)
{
    return panda_grow (items, cap, *count + 1, size);
}

// ---------------------------------------------------------------------------
//  Summaries

static void
s_value_uses (s_ctx_t *self, const panda_gql_value_t *v, s_summary_t *into)
{
    if (v->kind == PANDA_GQL_VAL_VARIABLE) {
        if (!s_push ((void **) &into->uses, &into->use_count, &into->use_cap, sizeof (*into->uses)))
            self->nomem = true;
        else
            into->uses[into->use_count++] = v;
    }
    for (const panda_gql_value_t *i = v->items; i; i = i->next)
        s_value_uses (self, i, into);
}

static void
s_args_uses (s_ctx_t *self, const panda_gql_argument_t *args, s_summary_t *into)
{
    for (const panda_gql_argument_t *a = args; a; a = a->next)
        s_value_uses (self, a->value, into);
}

//  Walk one selection set (not through spreads); the current walk's marks
//  keep the spread list free of repeats.
static void
s_summarize (s_ctx_t *self, const panda_gql_selection_t *sels, s_summary_t *into)
{
    for (const panda_gql_selection_t *s = sels; s && !s_tick (self); s = s->next) {
        for (const panda_gql_directive_t *d = s->directives; d; d = d->next)
            s_args_uses (self, d->args, into);
        s_args_uses (self, s->args, into);
        if (s->kind != PANDA_GQL_SEL_SPREAD) {
            s_summarize (self, s->selections, into);
            continue;
        }
        if (!s->fragment || self->marks[s->fragment->index] == self->walk)
            continue;
        self->marks[s->fragment->index] = self->walk;
        if (!s_push ((void **) &into->spreads, &into->spread_count, &into->spread_cap, sizeof (uint32_t)))
            self->nomem = true;
        else
            into->spreads[into->spread_count++] = (uint32_t) s->fragment->index;
    }
}

static void
s_summary_init (s_ctx_t *self, const panda_gql_definition_t *d, s_summary_t *into)
{
    memset (into, 0, sizeof (*into));
    self->walk++;
    for (const panda_gql_directive_t *dir = d->directives; dir; dir = dir->next)
        s_args_uses (self, dir->args, into);
    s_summarize (self, d->selections, into);
}

static void
s_summary_release (s_summary_t *self)
{
    free (self->spreads);
    free (self->uses);
}

// ---------------------------------------------------------------------------
//  Depth with fragments expanded: a spread counts like an inline fragment
//  with its fragment's selection set, so PANDA_GQL_MAX_DEPTH bounds every
//  recursion of the executor, however fragments are chained.

static int
s_value_depth (const panda_gql_value_t *v)
{
    int deepest = 0;
    for (const panda_gql_value_t *i = v->items; i; i = i->next) {
        int d = s_value_depth (i);
        deepest = d > deepest ? d : deepest;
    }
    return v->kind == PANDA_GQL_VAL_LIST || v->kind == PANDA_GQL_VAL_OBJECT ? deepest + 1 : 0;
}

static int
s_args_depth (const panda_gql_argument_t *args)
{
    int deepest = 0;
    for (const panda_gql_argument_t *a = args; a; a = a->next) {
        int d = s_value_depth (a->value);
        deepest = d > deepest ? d : deepest;
    }
    return deepest;
}

//  Levels of sels and below (sels itself is one). Needs the depth of every
//  fragment spread here.
static int
s_depth (s_ctx_t *self, const panda_gql_selection_t *sels)
{
    int deepest = 0;
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        int d = s->kind == PANDA_GQL_SEL_SPREAD ? (s->fragment ? self->frags[s->fragment->index].depth : 0)
                : s->selections                 ? s_depth (self, s->selections)
                                                : 0;
        for (const panda_gql_directive_t *dir = s->directives; dir; dir = dir->next) {
            int v = s_args_depth (dir->args);
            d = v > d ? v : d;
        }
        int v = s_args_depth (s->args);
        d = v > d ? v : d;
        deepest = d > deepest ? d : deepest;
    }
    return deepest + 1;
}

// ---------------------------------------------------------------------------
//  Fragment cycles: Tarjan's strongly connected components, iteratively. A
//  component is complete only after every fragment it spreads, so depths
//  are computed when it is popped.

static void
s_component (s_ctx_t *self, uint32_t root, uint32_t *stack, size_t *top)
{
    size_t start = *top;
    while (stack[start - 1] != root)
        start--;
    bool cyclic = *top > start; //  more than the root
    for (size_t i = 0; i < self->frags[root].spread_count; i++)
        cyclic = cyclic || self->frags[root].spreads[i] == root;
    for (size_t i = start - 1; i < *top; i++) {
        s_summary_t *f = &self->frags[stack[i]];
        f->on_stack = false;
        f->cyclic = cyclic;
        f->depth = cyclic ? 0 : s_depth (self, self->doc->fragments[stack[i]]->selections);
    }
    *top = start - 1;
}

static void
s_find_cycles (s_ctx_t *self)
{
    size_t n = self->doc->fragment_count, top = 0, calls = 0;
    uint32_t counter = 0;
    uint32_t *stack = calloc (2 * n + 1, sizeof (uint32_t)), *call = stack + n;
    if (!stack) {
        self->nomem = true;
        return;
    }
    for (uint32_t root = 0; root < n && !self->stopped; root++) {
        if (self->frags[root].order)
            continue;
        call[calls++] = root;
        self->frags[root].order = self->frags[root].low = ++counter;
        self->frags[root].on_stack = true;
        stack[top++] = root;
        while (calls && !s_tick (self)) {
            uint32_t v = call[calls - 1];
            s_summary_t *f = &self->frags[v];
            if (f->next_edge < f->spread_count) {
                uint32_t w = f->spreads[f->next_edge++];
                s_summary_t *g = &self->frags[w];
                if (!g->order) {
                    g->order = g->low = ++counter;
                    g->on_stack = true;
                    stack[top++] = w;
                    call[calls++] = w;
                } else if (g->on_stack && g->order < f->low)
                    f->low = g->order;
                continue;
            }
            calls--;
            if (calls && f->low < self->frags[call[calls - 1]].low)
                self->frags[call[calls - 1]].low = f->low;
            if (f->low == f->order)
                s_component (self, v, stack, &top);
        }
    }
    free (stack);
}

// ---------------------------------------------------------------------------
//  Fields, arguments, directives

//  Out of line: the error buffer and the seen flags stay out of the
//  recursion of s_check_selections.
static PANDA_NOINLINE void
s_check_args (s_ctx_t *self, const panda_gql_fielddef_t *def, const panda_gql_argument_t *args,
              const char *field, const char *type, int line, int column)
{
    bool small[64] = {false};
    bool *seen = def->arg_count <= 64 ? small : calloc (def->arg_count, sizeof (bool));
    if (!seen) {
        self->nomem = true;
        return;
    }
    for (const panda_gql_argument_t *a = args; a && !s_tick (self); a = a->next) {
        const panda_gql_argdef_t *ad = panda_gql_field_arg (def, a->name);
        if (!ad) {
            s_error (self, a->line, a->column, "Unknown argument \"%s\" on field \"%s\" of type \"%s\".",
                     a->name, field, type);
            continue;
        }
        if (seen[ad - def->args])
            s_error (self, a->line, a->column, "There can be only one argument named \"%s\"", a->name);
        seen[ad - def->args] = true;
        panda_error_t err;
        json_t *v = panda_gql_coerce (self->schema, ad->type, a->value, NULL, NULL, a->name, &err);
        if (!v)
            s_error (self, a->value->line, a->value->column, "%s", err.message);
        json_decref (v);
    }
    for (size_t i = 0; i < def->arg_count; i++) {
        const panda_gql_argdef_t *ad = &def->args[i];
        if (ad->type->kind == PANDA_GQL_TYPE_NON_NULL && !ad->default_literal && !seen[i])
            s_error (self, line, column,
                     "Field \"%s\" argument \"%s\" of type \"%s\" is required but not provided", field,
                     ad->name, type);
    }
    if (seen != small)
        free (seen);
}

static void
s_check_directives (s_ctx_t *self, const panda_gql_directive_t *dirs)
{
    size_t count;
    const panda_gql_fielddef_t *defs = panda_gql_schema_directives (self->schema, &count);
    for (const panda_gql_directive_t *d = dirs; d; d = d->next) {
        const panda_gql_fielddef_t *def = NULL;
        for (size_t i = 0; i < count; i++)
            if (strcmp (defs[i].name, d->name) == 0)
                def = &defs[i];
        if (!def) {
            s_error (self, d->line, d->column, "Unknown directive \"@%s\".", d->name);
            continue;
        }
        char at[64];
        snprintf (at, sizeof (at), "@%s", d->name);
        s_check_args (self, def, d->args, at, "directive", d->line, d->column);
    }
}

//  Out of line, like s_check_args: the type's text.
static PANDA_NOINLINE void
s_check_subfields (s_ctx_t *self, const panda_gql_fielddef_t *def, const panda_gql_typedef_t *ft,
                   const panda_gql_selection_t *s)
{
    char text[256];
    panda_gql_type_text (def->type, text, sizeof (text));
    if (ft->kind == PANDA_GQL_KIND_OBJECT && !s->selections)
        s_error (self, s->line, s->column, "Field \"%s\" of type \"%s\" must have a selection of subfields",
                 s->name, text);
    else if (ft->kind != PANDA_GQL_KIND_OBJECT && s->selections)
        s_error (self, s->line, s->column,
                 "Field \"%s\" must not have a selection since type \"%s\" has no subfields", s->name, text);
}

static void s_check_selections (s_ctx_t *self, const panda_gql_typedef_t *type,
                                const panda_gql_selection_t *sels);

static void
s_check_field (s_ctx_t *self, const panda_gql_typedef_t *type, const panda_gql_selection_t *s)
{
    if (strcmp (s->name, "__typename") == 0) {
        if (s->args)
            s_error (self, s->args->line, s->args->column,
                     "Unknown argument \"%s\" on field \"__typename\" of type \"%s\".", s->args->name,
                     type->name);
        if (s->selections)
            s_error (
                self, s->line, s->column,
                "Field \"__typename\" must not have a selection since type \"String!\" has no subfields");
        return;
    }
    const panda_gql_fielddef_t *def = panda_gql_schema_field (self->schema, type, s->name);
    if (!def) {
        s_error (self, s->line, s->column, "Unknown field \"%s\" on type \"%s\".", s->name, type->name);
        return;
    }
    s_check_args (self, def, s->args, s->name, type->name, s->line, s->column);
    const panda_gql_typedef_t *ft = panda_gql_schema_type (self->schema, panda_gql_type_name (def->type));
    s_check_subfields (self, def, ft, s);
    if (ft->kind == PANDA_GQL_KIND_OBJECT && s->selections)
        s_check_selections (self, ft, s->selections);
}

static void
s_check_selections (s_ctx_t *self, const panda_gql_typedef_t *type, const panda_gql_selection_t *sels)
{
    for (const panda_gql_selection_t *s = sels; s && !s_tick (self); s = s->next) {
        s_check_directives (self, s->directives);
        if (s->kind == PANDA_GQL_SEL_FIELD)
            s_check_field (self, type, s);
        else if (s->kind == PANDA_GQL_SEL_SPREAD) {
            const panda_gql_definition_t *f = s->fragment;
            if (!f)
                s_error (self, s->line, s->column, "Unknown fragment \"%s\".", s->name);
            else if (strcmp (f->type_condition, type->name) != 0 &&
                     panda_gql_schema_type (self->schema, f->type_condition))
                s_error (
                    self, s->line, s->column,
                    "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never be of type "
                    "\"%s\".",
                    s->name, type->name, f->type_condition);
        } else {
            const panda_gql_typedef_t *cond = type;
            if (s->type_condition) {
                cond = panda_gql_schema_type (self->schema, s->type_condition);
                if (!cond) {
                    s_error (self, s->line, s->column, "Unknown type \"%s\".", s->type_condition);
                    continue;
                }
                if (cond != type) {
                    s_error (self, s->line, s->column,
                             "Fragment cannot be spread here as objects of type \"%s\" can never be of type "
                             "\"%s\".",
                             type->name, cond->name);
                    continue;
                }
            }
            s_check_selections (self, cond, s->selections);
        }
    }
}

// ---------------------------------------------------------------------------
//  Variables: every use must be defined by the operation, every definition
//  used. The operation's own uses, then those of each fragment it reaches.

static const char *
s_vardef_name_at (const void *items, size_t i)
{
    return ((const panda_gql_vardef_t *const *) items)[i]->name;
}

//  Position of the first variable called name, or -1.
static long
s_var_find (const s_ctx_t *self, const char *name)
{
    if (self->var_index.slots)
        return panda_gql_index_find (&self->var_index, name, s_vardef_name_at, self->vars);
    for (size_t i = 0; i < self->var_count; i++)
        if (strcmp (self->vars[i]->name, name) == 0)
            return (long) i;
    return -1;
}

static void
s_use (s_ctx_t *self, const s_summary_t *summary)
{
    for (size_t i = 0; i < summary->use_count && !s_tick (self); i++) {
        const panda_gql_value_t *v = summary->uses[i];
        long k = s_var_find (self, v->str);
        if (k >= 0)
            self->var_used[k] = true;
        else
            s_error (self, v->line, v->column, "Variable \"$%s\" is not defined", v->str);
    }
}

static void
s_use_reachable (s_ctx_t *self, const s_summary_t *op)
{
    self->walk++;
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < op->spread_count; i++) {
        self->marks[op->spreads[i]] = self->walk;
        self->queue[tail++] = op->spreads[i];
    }
    while (head < tail && !self->stopped) {
        const s_summary_t *f = &self->frags[self->queue[head++]];
        s_use (self, f);
        for (size_t i = 0; i < f->spread_count; i++)
            if (self->marks[f->spreads[i]] != self->walk) {
                self->marks[f->spreads[i]] = self->walk;
                self->queue[tail++] = f->spreads[i];
            }
    }
}

static void
s_check_variables (s_ctx_t *self, const panda_gql_definition_t *op, const s_summary_t *summary)
{
    size_t count = 0;
    for (const panda_gql_vardef_t *d = op->variables; d; d = d->next)
        count++;
    //  The definitions, then their used flags, in one block.
    self->vars = calloc (count + 1, sizeof (*self->vars) + sizeof (bool));
    if (!self->vars) {
        self->nomem = true;
        return;
    }
    self->var_used = (bool *) (self->vars + count + 1);
    self->var_count = 0;
    for (const panda_gql_vardef_t *d = op->variables; d; d = d->next)
        self->vars[self->var_count++] = d;
    if (count > S_FEW && !panda_gql_index_build (&self->var_index, count, s_vardef_name_at, self->vars)) {
        self->nomem = true;
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        const panda_gql_vardef_t *d = self->vars[i];
        if (s_var_find (self, d->name) != (long) i)
            s_error (self, d->line, d->column, "There can be only one variable named \"$%s\".", d->name);
        const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, panda_gql_type_name (d->type));
        if (!t)
            s_error (self, d->line, d->column, "Unknown type \"%s\".", panda_gql_type_name (d->type));
        else if (t->kind == PANDA_GQL_KIND_OBJECT)
            s_error (self, d->line, d->column, "Variable \"$%s\" cannot be non-input type \"%s\".", d->name,
                     t->name);
    }
    s_use (self, summary);
    s_use_reachable (self, summary);
    for (size_t i = 0; i < count && !self->stopped; i++)
        if (!self->var_used[i])
            s_error (self, self->vars[i]->line, self->vars[i]->column, "Variable \"$%s\" is not used",
                     self->vars[i]->name);
done:
    panda_gql_index_release (&self->var_index);
    free (self->vars);
    self->vars = NULL;
    self->var_used = NULL;
    self->var_count = 0;
}

// ---------------------------------------------------------------------------
//  Definitions

static const char *
s_definition_name_at (const void *items, size_t i)
{
    return ((const panda_gql_definition_t *const *) items)[i]->name;
}

static void
s_check_operation (s_ctx_t *self, const panda_gql_definition_t *op, size_t op_count,
                   const panda_gql_index_t *names, const panda_gql_definition_t *const *named)
{
    if (!op->name && op_count > 1)
        s_error (self, op->line, op->column, "This anonymous operation must be the only defined operation.");
    long first =
        op->name && names->slots ? panda_gql_index_find (names, op->name, s_definition_name_at, named) : -1;
    if (first >= 0 && named[first] != op)
        s_error (self, op->line, op->column, "There can be only one operation named \"%s\".", op->name);
    const panda_gql_typedef_t *root = panda_gql_schema_root (self->schema, op->operation);
    if (!root) {
        s_error (self, op->line, op->column,
                 op->operation == PANDA_GQL_OP_MUTATION ? "Schema is not configured for mutations."
                                                        : "Schema is not configured for subscriptions.");
        return;
    }
    s_summary_t summary;
    s_summary_init (self, op, &summary);
    s_check_variables (self, op, &summary);
    s_summary_release (&summary);
    s_check_directives (self, op->directives);
    s_check_selections (self, root, op->selections);
    if (s_depth (self, op->selections) > PANDA_GQL_MAX_DEPTH)
        s_error (self, op->line, op->column, "Document exceeds the limit of %d nesting levels",
                 PANDA_GQL_MAX_DEPTH);
}

static void
s_check_fragment (s_ctx_t *self, const panda_gql_definition_t *f)
{
    //  Spreads name the first fragment of a name: duplicates share its use.
    const panda_gql_definition_t *first = panda_gql_document_fragment (self->doc, f->name);
    if (first != f)
        s_error (self, f->line, f->column, "There can be only one fragment named \"%s\".", f->name);
    const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, f->type_condition);
    if (!t) {
        s_error (self, f->line, f->column, "Unknown type \"%s\".", f->type_condition);
        return;
    }
    if (t->kind != PANDA_GQL_KIND_OBJECT) {
        s_error (self, f->line, f->column, "Fragment \"%s\" cannot condition on non composite type \"%s\".",
                 f->name, t->name);
        return;
    }
    if (self->frags[f->index].cyclic) {
        s_error (self, f->line, f->column, "Cannot spread fragment \"%s\" within itself.", f->name);
        return;
    }
    if (!self->frags[first->index].used)
        s_error (self, f->line, f->column, "Fragment \"%s\" is never used.", f->name);
    s_check_directives (self, f->directives);
    s_check_selections (self, t, f->selections);
}

//  Summarise every fragment, find cycles and depths, and mark the fragments
//  spread by another definition. Fills named with the named operations.
static void
s_prepare (s_ctx_t *self, const panda_gql_definition_t **named, size_t *named_count)
{
    const panda_gql_document_t *doc = self->doc;
    for (size_t i = 0; i < doc->fragment_count && !self->stopped; i++)
        s_summary_init (self, doc->fragments[i], &self->frags[i]);
    for (size_t i = 0; i < doc->fragment_count; i++)
        for (size_t k = 0; k < self->frags[i].spread_count; k++)
            if (self->frags[i].spreads[k] != i)
                self->frags[self->frags[i].spreads[k]].used = true;
    for (const panda_gql_definition_t *d = doc->definitions; d && !self->stopped; d = d->next) {
        if (d->kind != PANDA_GQL_DEF_OPERATION)
            continue;
        if (d->name && named)
            named[(*named_count)++] = d;
        if (!doc->fragment_count)
            continue;
        s_summary_t summary;
        s_summary_init (self, d, &summary);
        for (size_t k = 0; k < summary.spread_count; k++)
            self->frags[summary.spreads[k]].used = true;
        s_summary_release (&summary);
    }
    if (!self->stopped)
        s_find_cycles (self);
}

static void
s_validate (s_ctx_t *self)
{
    const panda_gql_document_t *doc = self->doc;
    size_t op_count = 0, named_count = 0;
    for (const panda_gql_definition_t *d = doc->definitions; d; d = d->next)
        op_count += d->kind == PANDA_GQL_DEF_OPERATION;
    //  Per fragment: summary, mark and queue place, in one block.
    size_t n = doc->fragment_count;
    self->frags = calloc (n + 1, sizeof (s_summary_t) + 2 * sizeof (uint32_t));
    self->marks = self->frags ? (uint32_t *) (self->frags + n + 1) : NULL;
    self->queue = self->marks ? self->marks + n + 1 : NULL;
    //  Operation names can repeat only with several operations.
    const panda_gql_definition_t **named = op_count > 1 ? calloc (op_count, sizeof (*named)) : NULL;
    panda_gql_index_t names = {NULL, 0};
    if (!self->frags || (op_count > 1 && !named)) {
        self->nomem = true;
        goto done;
    }
    s_prepare (self, named, &named_count);
    if (named && !panda_gql_index_build (&names, named_count, s_definition_name_at, named))
        self->nomem = true;
    for (const panda_gql_definition_t *d = doc->definitions; d && !self->stopped && !self->nomem;
         d = d->next) {
        if (d->kind == PANDA_GQL_DEF_OPERATION)
            s_check_operation (self, d, op_count, &names, named);
        else
            s_check_fragment (self, d);
    }
done:
    for (size_t i = 0; self->frags && i < n; i++)
        s_summary_release (&self->frags[i]);
    free (self->frags);
    free (named);
    panda_gql_index_release (&names);
}

json_t *
panda_gql_validate (const panda_gql_schema_t *schema, const panda_gql_document_t *doc,
                    const panda_gql_options_t *options, bool *stopped)
{
    s_ctx_t ctx;
    memset (&ctx, 0, sizeof (ctx));
    ctx.schema = schema;
    ctx.doc = doc;
    ctx.options = options;
    ctx.errors = json_array ();
    if (stopped)
        *stopped = false;
    if (!ctx.errors)
        return NULL;
    s_validate (&ctx);
    if (ctx.stopped || ctx.nomem) {
        json_decref (ctx.errors);
        ctx.errors =
            json_pack ("[o]", panda_gql_error_new (ctx.stopped ? ctx.stopped : "out of memory", 0, 0));
        if (stopped)
            *stopped = ctx.stopped != NULL;
    } else if (json_array_size (ctx.errors) == 0)
        json_decref (ctx.errors), ctx.errors = NULL;
    return ctx.errors;
}
