/*  panda_gql_exec_int.h - private to the executor: panda_gql_exec.c runs
    a request, panda_gql_collect.c groups the fields of selection sets and
    panda_gql_cost.c estimates what an operation costs before it runs.     */
#ifndef PANDA_GQL_EXEC_INT_H_INCLUDED
#define PANDA_GQL_EXEC_INT_H_INCLUDED

#include "panda_gql.h"

//  The state of one request.
typedef struct {
    const panda_gql_schema_t *schema;
    const panda_gql_document_t *doc;
    const panda_gql_resolvers_t *resolvers;
    const panda_gql_options_t *options;
    void *user;
    bool spec; //  GraphQL spec errors (path, null propagation)
    bool aborted; //  parity mode: first error stops everything
    json_t *vars; //  coerced variables
    json_t *errors;
    json_t *path;
    json_t *fatal; //  the one error that ends the request (stopped, too expensive)
    uint64_t cost, max_cost; //  counted while running
} panda_gql_exec_t;

//  One response key and the field nodes that share it.
typedef struct {
    const char *key;
    const panda_gql_selection_t *nodes[8];
    size_t count;
} panda_gql_group_t;

//  The fields of a selection set, grouped by response key (hashed: a set
//  may have thousands of aliases). Collected once for all items of a list.
typedef struct {
    panda_gql_group_t *items;
    size_t count, cap;
    uint32_t *slots; //  open addressing: item index + 1, 0 = empty
    size_t mask;
    bool collected;
} panda_gql_groups_t;

//  Fragments already expanded in one collection walk (GraphQL spec
//  CollectFields, visitedFragments): each is expanded at most once.
typedef struct {
    uint64_t bits[(PANDA_GQL_MAX_FRAGMENTS + 63) / 64];
} panda_gql_visited_t;

//  --------------------------------------------------------------------------
//  panda_gql_collect.c

//  Mark fragment visited; false when it was already (or is out of range).
bool panda_gql_collect_visit (panda_gql_visited_t *self, const panda_gql_definition_t *fragment);

//  False when @skip / @include in dirs leave the selection out.
bool panda_gql_collect_included (panda_gql_exec_t *self, const panda_gql_directive_t *dirs);

//  Add the fields of sels to groups, by response key, following inline
//  fragments and spreads not visited yet. False when out of memory.
bool panda_gql_collect (panda_gql_exec_t *self, const panda_gql_selection_t *sels, panda_gql_groups_t *groups,
                        panda_gql_visited_t *visited, int depth);

//  Free what groups holds and empty it.
void panda_gql_collect_release (panda_gql_groups_t *self);

//  --------------------------------------------------------------------------
//  panda_gql_cost.c

//  What op would cost at most (lists without a page size count one item).
//  False when out of memory.
bool panda_gql_cost_estimate (panda_gql_exec_t *self, const panda_gql_definition_t *op,
                              const panda_gql_typedef_t *root, uint64_t *cost);

#endif
