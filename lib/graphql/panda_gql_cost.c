/*  panda_gql_cost.c - the cost estimate of an operation, checked against
    graphql_max_cost before it runs (see PANDA_GQL_PAGED_FIELD_COST).

    A selection set costs fixed + page * per_item, where page is the page
    size of the paged field whose object holds the set (1 when none):
    per_item is what its list fields cost, as their items are that page.
    Fragments are costed once.                                             */
#include <stdlib.h>
#include <string.h>
#include "panda_gql_exec_int.h"

typedef struct {
    uint64_t fixed, per_item;
} s_cost_t;

typedef struct {
    panda_gql_exec_t *exec;
    s_cost_t *fragments; //  memo, per fragment
    bool *costed;
} s_estimate_t;

static uint64_t
s_add (uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
s_mul (uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

//  The page size a paged field asks for: `first` or `last`, else its default.
static uint64_t
s_page_size (panda_gql_exec_t *self, const panda_gql_fielddef_t *def, const panda_gql_selection_t *node)
{
    for (const panda_gql_argument_t *a = node->args; a; a = a->next) {
        if (strcmp (a->name, "first") != 0 && strcmp (a->name, "last") != 0)
            continue;
        json_t *v = panda_gql_literal_json (a->value, self->vars);
        json_int_t n = json_integer_value (v);
        bool given = json_is_integer (v);
        json_decref (v);
        if (given)
            return n > 0 ? (uint64_t) n : 0;
    }
    return def->default_page;
}

static void s_cost_set (s_estimate_t *self, const panda_gql_typedef_t *type,
                        const panda_gql_selection_t *sels, s_cost_t *out, panda_gql_visited_t *visited,
                        int depth);

static void
s_cost_field (s_estimate_t *self, const panda_gql_typedef_t *type, const panda_gql_selection_t *s,
              s_cost_t *out, int depth)
{
    const panda_gql_fielddef_t *def = panda_gql_schema_field (self->exec->schema, type, s->name);
    if (!def) { //  __typename
        out->fixed = s_add (out->fixed, 1);
        return;
    }
    uint64_t own = def->paged ? 1 + PANDA_GQL_PAGED_FIELD_COST : 1;
    s_cost_t below = {0, 0};
    const panda_gql_typedef_t *t =
        panda_gql_schema_type (self->exec->schema, panda_gql_type_name (def->type));
    if (t && t->kind == PANDA_GQL_KIND_OBJECT && s->selections) {
        panda_gql_visited_t visited;
        memset (&visited, 0, sizeof (visited));
        s_cost_set (self, t, s->selections, &below, &visited, depth + 1);
    }
    const panda_gql_type_t *unwrapped =
        def->type->kind == PANDA_GQL_TYPE_NON_NULL ? def->type->of : def->type;
    bool list = unwrapped->kind == PANDA_GQL_TYPE_LIST;
    uint64_t page = def->paged ? s_page_size (self->exec, def, s) : 1;
    uint64_t one = s_add (below.fixed, below.per_item); //  the set below, no page above it
    if (def->paged && list) //  each item of the page gets the set below
        out->fixed = s_add (out->fixed, s_add (own, s_mul (page, one)));
    else if (def->paged) //  a connection: its list fields get the page
        out->fixed = s_add (out->fixed, s_add (own, s_add (below.fixed, s_mul (page, below.per_item))));
    else if (list) { //  its items are the page of the object above, if any
        out->fixed = s_add (out->fixed, own);
        out->per_item = s_add (out->per_item, one);
    } else
        out->fixed = s_add (out->fixed, s_add (own, one));
}

static void
s_cost_fragment (s_estimate_t *self, const panda_gql_typedef_t *type, const panda_gql_definition_t *f,
                 s_cost_t *out, int depth)
{
    if (!self->costed[f->index]) {
        panda_gql_visited_t visited;
        memset (&visited, 0, sizeof (visited));
        s_cost_set (self, type, f->selections, &self->fragments[f->index], &visited, depth + 1);
        self->costed[f->index] = true;
    }
    out->fixed = s_add (out->fixed, self->fragments[f->index].fixed);
    out->per_item = s_add (out->per_item, self->fragments[f->index].per_item);
}

static void
s_cost_set (s_estimate_t *self, const panda_gql_typedef_t *type, const panda_gql_selection_t *sels,
            s_cost_t *out, panda_gql_visited_t *visited, int depth)
{
    if (depth > PANDA_GQL_MAX_DEPTH) //  validation bounds it; bound anyway
        return;
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        if (!panda_gql_collect_included (self->exec, s->directives))
            continue;
        if (s->kind == PANDA_GQL_SEL_FIELD)
            s_cost_field (self, type, s, out, depth);
        else if (s->kind == PANDA_GQL_SEL_INLINE)
            s_cost_set (self, type, s->selections, out, visited, depth + 1);
        else if (s->fragment && panda_gql_collect_visit (visited, s->fragment) &&
                 panda_gql_collect_included (self->exec, s->fragment->directives))
            s_cost_fragment (self, type, s->fragment, out, depth);
    }
}

//  What op would cost at most (lists without a page size count one item).
//  False when out of memory.
bool
panda_gql_cost_estimate (panda_gql_exec_t *self, const panda_gql_definition_t *op,
                         const panda_gql_typedef_t *root, uint64_t *cost)
{
    size_t n = self->doc->fragment_count;
    s_estimate_t e = {self, calloc (n + 1, sizeof (s_cost_t)), calloc (n + 1, sizeof (bool))};
    s_cost_t parts = {0, 0};
    if (e.fragments && e.costed) {
        panda_gql_visited_t visited;
        memset (&visited, 0, sizeof (visited));
        s_cost_set (&e, root, op->selections, &parts, &visited, 1);
    }
    bool ok = e.fragments && e.costed;
    free (e.fragments);
    free (e.costed);
    *cost = s_add (parts.fixed, parts.per_item);
    return ok;
}
