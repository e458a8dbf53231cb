/*  panda_gql_collect.c - field collection for the executor (GraphQL spec
    CollectFields): the fields of selection sets grouped by response key,
    with @skip / @include applied and each fragment expanded once.         */
#include <stdlib.h>
#include <string.h>
#include "panda_grow.h"
#include "panda_gql_exec_int.h"

bool
panda_gql_collect_visit (panda_gql_visited_t *self, const panda_gql_definition_t *fragment)
{
    size_t i = fragment->index;
    if (i >= PANDA_GQL_MAX_FRAGMENTS || (self->bits[i / 64] >> (i % 64) & 1))
        return false;
    self->bits[i / 64] |= (uint64_t) 1 << (i % 64);
    return true;
}

bool
panda_gql_collect_included (panda_gql_exec_t *self, const panda_gql_directive_t *dirs)
{
    for (const panda_gql_directive_t *d = dirs; d; d = d->next) {
        bool skip = strcmp (d->name, "skip") == 0;
        if (!skip && strcmp (d->name, "include") != 0)
            continue;
        json_t *v = d->args ? panda_gql_literal_json (d->args->value, self->vars) : NULL;
        bool cond = json_is_true (v);
        json_decref (v);
        if (skip == cond)
            return false;
    }
    return true;
}

static uint32_t
s_hash (const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t) *s++) * 16777619u;
    return h;
}

static bool
s_groups_rehash (panda_gql_groups_t *self, size_t slots)
{
    uint32_t *grown = calloc (slots, sizeof (uint32_t));
    if (!grown)
        return false;
    free (self->slots);
    self->slots = grown;
    self->mask = slots - 1;
    for (size_t i = 0; i < self->count; i++) {
        size_t at = s_hash (self->items[i].key) & self->mask;
        while (self->slots[at])
            at = (at + 1) & self->mask;
        self->slots[at] = (uint32_t) i + 1;
    }
    return true;
}

//  The group of key, added when new; NULL when out of memory.
static panda_gql_group_t *
s_group (panda_gql_groups_t *self, const char *key)
{
    if (self->count * 2 >= (self->slots ? self->mask + 1 : 0) &&
        !s_groups_rehash (self, self->slots ? (self->mask + 1) * 2 : 16))
        return NULL;
    size_t at = s_hash (key) & self->mask;
    while (self->slots[at]) {
        panda_gql_group_t *g = &self->items[self->slots[at] - 1];
        if (strcmp (g->key, key) == 0)
            return g;
        at = (at + 1) & self->mask;
    }
    if (!panda_grow ((void **) &self->items, &self->cap, self->count + 1, sizeof (panda_gql_group_t)))
        return NULL;
    self->slots[at] = (uint32_t) self->count + 1;
    panda_gql_group_t *g = &self->items[self->count++];
    g->key = key;
    g->count = 0;
    return g;
}

void
panda_gql_collect_release (panda_gql_groups_t *self)
{
    free (self->items);
    free (self->slots);
    memset (self, 0, sizeof (*self));
}

bool
panda_gql_collect (panda_gql_exec_t *self, const panda_gql_selection_t *sels, panda_gql_groups_t *groups,
                   panda_gql_visited_t *visited, int depth)
{
    if (depth > PANDA_GQL_MAX_DEPTH) //  validation bounds it; bound anyway
        return true;
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        if (!panda_gql_collect_included (self, s->directives))
            continue;
        if (s->kind == PANDA_GQL_SEL_INLINE) {
            if (!panda_gql_collect (self, s->selections, groups, visited, depth + 1))
                return false;
            continue;
        }
        if (s->kind == PANDA_GQL_SEL_SPREAD) {
            const panda_gql_definition_t *f = s->fragment;
            if (f && panda_gql_collect_visit (visited, f) &&
                panda_gql_collect_included (self, f->directives) &&
                !panda_gql_collect (self, f->selections, groups, visited, depth + 1))
                return false;
            continue;
        }
        panda_gql_group_t *g = s_group (groups, s->alias ? s->alias : s->name);
        if (!g)
            return false;
        if (g->count < sizeof (g->nodes) / sizeof (g->nodes[0]))
            g->nodes[g->count++] = s;
    }
    return true;
}

static void
s_fields_of (const panda_gql_document_t *doc, const panda_gql_selection_t *sels, panda_gql_selection_fn fn,
             void *ctx, panda_gql_visited_t *visited, int depth)
{
    if (depth > PANDA_GQL_MAX_DEPTH) //  validation bounds it; bound anyway
        return;
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        if (s->kind == PANDA_GQL_SEL_FIELD)
            fn (ctx, s);
        else if (s->kind == PANDA_GQL_SEL_INLINE)
            s_fields_of (doc, s->selections, fn, ctx, visited, depth + 1);
        else if (s->fragment && panda_gql_collect_visit (visited, s->fragment))
            s_fields_of (doc, s->fragment->selections, fn, ctx, visited, depth + 1);
    }
}

void
panda_gql_selection_fields (const panda_gql_document_t *doc, const panda_gql_selection_t *const *nodes,
                            size_t count, panda_gql_selection_fn fn, void *ctx)
{
    panda_gql_visited_t visited;
    memset (&visited, 0, sizeof (visited));
    for (size_t i = 0; i < count; i++)
        s_fields_of (doc, nodes[i]->selections, fn, ctx, &visited, 0);
}
