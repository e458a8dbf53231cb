/*  panda_document_graph.c - operation graph, reference walk, trimming.

    The walk reproduces p2panda-rs Graph::walk_from exactly, quirks included
    (spec data-types.md §7.2): smallest child first, the other children
    pushed on a LIFO stack ascending (so resumed largest first), a merge
    reached as the smallest child waits until all its predecessors were
    emitted, but anything popped from the stack is emitted unchecked, even
    twice. What differs is cost only: "is X emitted" is a flag, "are all
    predecessors of a merge emitted" a counter, children are pre-sorted, so a
    walk is O(nodes + edges) after one O(n log n) sort at construction.     */
#include "panda_document_graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    panda_hash_t id;
    size_t input;
} s_keyed_t;

static int
s_keyed_cmp (const void *a, const void *b)
{
    const s_keyed_t *x = a, *y = b;
    int rc = panda_hash_cmp (&x->id, &y->id);
    //  Ties only for duplicates, which are rejected; keep qsort deterministic.
    return rc ? rc : (x->input > y->input) - (x->input < y->input);
}

static panda_err_t
s_error_id (panda_error_t *err, const char *format, const panda_hash_t *id)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    return panda_error_set (err, PANDA_ERR_DOCUMENT, format, panda_hash_to_hex (id, hex));
}

size_t
panda_document_graph_find (const panda_document_graph_t *self, const panda_hash_t *id)
{
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int rc = panda_hash_cmp (&self->ids[mid], id);
        if (rc == 0)
            return mid;
        if (rc < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

//  Sort the ids into node order, reject duplicates, fill ids/input.
static panda_err_t
s_graph_sort_nodes (panda_document_graph_t *self, const panda_hash_t *ids, size_t count, panda_error_t *err)
{
    s_keyed_t *keyed = malloc (count * sizeof (s_keyed_t));
    if (!keyed)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building the document graph");
    for (size_t i = 0; i < count; i++) {
        keyed[i].id = ids[i];
        keyed[i].input = i;
    }
    qsort (keyed, count, sizeof (s_keyed_t), s_keyed_cmp);
    panda_err_t rc = PANDA_OK;
    for (size_t n = 0; n < count; n++) {
        if (n > 0 && panda_hash_eq (&keyed[n].id, &keyed[n - 1].id)) {
            rc = s_error_id (err, "duplicate operation %s in document", &keyed[n].id);
            break;
        }
        self->ids[n] = keyed[n].id;
        self->input[n] = keyed[n].input;
    }
    free (keyed);
    return rc;
}

//  Check every previous link in input order (the reference's order of
//  errors) and count predecessors and successors per node.
static panda_err_t
s_graph_check_links (panda_document_graph_t *self, const size_t *node_of, const panda_operation_t *const *ops,
                     panda_error_t *err)
{
    for (size_t i = 0; i < self->count; i++) {
        size_t node = node_of[i], n_previous = 0;
        const panda_hash_t *previous = panda_operation_previous (ops[i], &n_previous);
        for (size_t k = 0; k < n_previous; k++) {
            size_t from = panda_document_graph_find (self, &previous[k]);
            if (from == SIZE_MAX || from == node)
                return s_error_id (err, "operation %s cannot be connected to the document graph",
                                   &self->ids[node]);
            self->pred_start[node + 1]++;
            self->succ_start[from + 1]++;
        }
    }
    for (size_t n = 0; n < self->count; n++) {
        self->pred_start[n + 1] += self->pred_start[n];
        self->succ_start[n + 1] += self->succ_start[n];
    }
    return PANDA_OK;
}

//  Fill the CSR arrays. Visiting targets in ascending node order appends
//  them to each source's successor list already sorted.
static void
s_graph_fill_edges (panda_document_graph_t *self, const panda_operation_t *const *ops, size_t *next_succ)
{
    memcpy (next_succ, self->succ_start, self->count * sizeof (size_t));
    for (size_t node = 0; node < self->count; node++) {
        size_t n_previous = 0, at = self->pred_start[node];
        const panda_hash_t *previous = panda_operation_previous (ops[self->input[node]], &n_previous);
        for (size_t k = 0; k < n_previous; k++) {
            size_t from = panda_document_graph_find (self, &previous[k]);
            self->preds[at++] = from;
            self->succs[next_succ[from]++] = node;
        }
    }
}

panda_err_t
panda_document_graph_init (panda_document_graph_t *self, const panda_hash_t *ids,
                           const panda_operation_t *const *ops, size_t count, panda_error_t *err)
{
    memset (self, 0, sizeof *self);
    self->count = count;
    size_t *scratch = NULL;
    self->ids = malloc ((count ? count : 1) * sizeof (panda_hash_t));
    self->input = malloc ((count ? count : 1) * sizeof (size_t));
    self->pred_start = calloc (count + 1, sizeof (size_t));
    self->succ_start = calloc (count + 1, sizeof (size_t));
    scratch = malloc ((count ? count : 1) * sizeof (size_t));
    panda_err_t rc = PANDA_ERR_NOMEM;
    if (!self->ids || !self->input || !self->pred_start || !self->succ_start || !scratch)
        goto nomem;
    rc = s_graph_sort_nodes (self, ids, count, err);
    if (rc != PANDA_OK)
        goto fail;
    for (size_t n = 0; n < count; n++)
        scratch[self->input[n]] = n; //  input index -> node
    rc = s_graph_check_links (self, scratch, ops, err);
    if (rc != PANDA_OK)
        goto fail;
    size_t edges = self->pred_start[count];
    self->preds = malloc ((edges ? edges : 1) * sizeof (size_t));
    self->succs = malloc ((edges ? edges : 1) * sizeof (size_t));
    rc = PANDA_ERR_NOMEM;
    if (!self->preds || !self->succs)
        goto nomem;
    s_graph_fill_edges (self, ops, scratch);
    free (scratch);
    return PANDA_OK;
nomem:
    rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building the document graph");
fail:
    free (scratch);
    panda_document_graph_fini (self);
    return rc;
}

void
panda_document_graph_fini (panda_document_graph_t *self)
{
    free (self->ids);
    free (self->input);
    free (self->pred_start);
    free (self->preds);
    free (self->succ_start);
    free (self->succs);
    memset (self, 0, sizeof *self);
}

panda_err_t
panda_document_graph_ancestors (const panda_document_graph_t *self, const panda_hash_t *tips, size_t n,
                                bool *keep, panda_error_t *err)
{
    memset (keep, 0, self->count * sizeof (bool));
    //  Each node is pushed at most once (marked when pushed).
    size_t *stack = malloc ((self->count ? self->count : 1) * sizeof (size_t));
    if (!stack)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory trimming the document graph");
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        size_t node = panda_document_graph_find (self, &tips[i]);
        if (node == SIZE_MAX) {
            free (stack);
            return panda_error_set (err, PANDA_ERR_DOCUMENT, "Requested trim nodes not found in graph");
        }
        if (!keep[node]) {
            keep[node] = true;
            stack[depth++] = node;
        }
    }
    while (depth > 0) {
        size_t node = stack[--depth];
        for (size_t e = self->pred_start[node]; e < self->pred_start[node + 1]; e++) {
            size_t pred = self->preds[e];
            if (!keep[pred]) {
                keep[pred] = true;
                stack[depth++] = pred;
            }
        }
    }
    free (stack);
    return PANDA_OK;
}

void
panda_document_walk_fini (panda_document_walk_t *walk)
{
    free (walk->sorted);
    free (walk->tips);
    memset (walk, 0, sizeof *walk);
}

//  Scratch state of one walk.
typedef struct {
    const panda_document_graph_t *graph;
    const bool *keep;
    panda_document_graph_visit_fn *visit;
    void *arg;
    panda_document_walk_t *out;
    bool *emitted; //  node is in sorted
    size_t *ready; //  emitted predecessor links of node
    size_t *stack;
    size_t depth, stack_capacity;
} s_walker_t;

#define S_KEPT(w, n) (!(w)->keep || (w)->keep[n])

static size_t
s_indegree (const panda_document_graph_t *graph, size_t node)
{
    return graph->pred_start[node + 1] - graph->pred_start[node];
}

static bool
s_is_tip (const s_walker_t *w, size_t node)
{
    for (size_t e = w->graph->succ_start[node]; e < w->graph->succ_start[node + 1]; e++)
        if (S_KEPT (w, w->graph->succs[e]))
            return false;
    return true;
}

static panda_err_t
s_push (s_walker_t *w, size_t node, panda_error_t *err)
{
    if (w->depth == w->stack_capacity) {
        size_t capacity = w->stack_capacity ? 2 * w->stack_capacity : 16;
        size_t *stack = realloc (w->stack, capacity * sizeof (size_t));
        if (!stack)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory walking the document graph");
        w->stack = stack;
        w->stack_capacity = capacity;
    }
    w->stack[w->depth++] = node;
    return PANDA_OK;
}

//  Append node to sorted (and tips), then hand it to the reducer.
static panda_err_t
s_emit (s_walker_t *w, size_t node, panda_error_t *err)
{
    panda_document_walk_t *out = w->out;
    if (out->sorted_len == out->capacity) {
        size_t capacity = out->capacity ? 2 * out->capacity : 16;
        size_t *sorted = realloc (out->sorted, capacity * sizeof (size_t));
        if (sorted)
            out->sorted = sorted;
        size_t *tips = realloc (out->tips, capacity * sizeof (size_t));
        if (tips)
            out->tips = tips;
        if (!sorted || !tips)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory walking the document graph");
        out->capacity = capacity;
    }
    out->sorted[out->sorted_len++] = node;
    if (s_is_tip (w, node))
        out->tips[out->tips_len++] = node;
    if (!w->emitted[node]) {
        w->emitted[node] = true;
        for (size_t e = w->graph->succ_start[node]; e < w->graph->succ_start[node + 1]; e++)
            w->ready[w->graph->succs[e]]++;
    }
    return w->visit (w->arg, node, err);
}

//  The inner loop of the reference walk, from a freshly emitted node: follow
//  the smallest unvisited child, pushing its siblings, until a dead end or a
//  merge.
static panda_err_t
s_follow (s_walker_t *w, size_t cur, panda_error_t *err)
{
    const panda_document_graph_t *graph = w->graph;
    while (true) {
        size_t next = SIZE_MAX;
        for (size_t e = graph->succ_start[cur]; e < graph->succ_start[cur + 1]; e++) {
            size_t child = graph->succs[e];
            if (!S_KEPT (w, child) || w->emitted[child])
                continue;
            if (next == SIZE_MAX)
                next = child; //  smallest id: visited now
            else {
                panda_err_t rc = s_push (w, child, err);
                if (rc != PANDA_OK)
                    return rc;
            }
        }
        if (next == SIZE_MAX)
            return PANDA_OK;
        if (s_indegree (graph, next) > 1) {
            if (w->ready[next] == s_indegree (graph, next))
                return s_push (w, next, err);
            if (w->depth == 0)
                return panda_error_set (err, PANDA_ERR_DOCUMENT, "Badly formed graph");
            return PANDA_OK;
        }
        panda_err_t rc = s_emit (w, next, err);
        if (rc != PANDA_OK)
            return rc;
        cur = next;
    }
}

static panda_err_t
s_find_root (const panda_document_graph_t *self, const bool *keep, size_t *root, size_t *kept,
             panda_error_t *err)
{
    size_t roots = 0;
    *kept = 0;
    for (size_t n = 0; n < self->count; n++) {
        if (keep && !keep[n])
            continue;
        (*kept)++;
        if (s_indegree (self, n) == 0) {
            *root = n;
            roots++;
        }
    }
    if (roots == 0)
        return panda_error_set (err, PANDA_ERR_DOCUMENT, "No root node found");
    if (roots > 1)
        return panda_error_set (err, PANDA_ERR_DOCUMENT, "Multiple root nodes found");
    return PANDA_OK;
}

panda_err_t
panda_document_graph_walk (const panda_document_graph_t *self, const bool *keep,
                           panda_document_graph_visit_fn *visit, void *arg, panda_document_walk_t *walk,
                           panda_error_t *err)
{
    walk->sorted_len = walk->tips_len = 0;
    size_t root = 0, kept = 0;
    panda_err_t rc = s_find_root (self, keep, &root, &kept, err);
    if (rc != PANDA_OK)
        return rc;
    s_walker_t w = {.graph = self, .keep = keep, .visit = visit, .arg = arg, .out = walk};
    w.emitted = calloc (self->count, sizeof (bool));
    w.ready = calloc (self->count, sizeof (size_t));
    if (!w.emitted || !w.ready) {
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory walking the document graph");
        goto done;
    }
    rc = s_push (&w, root, err);
    while (rc == PANDA_OK && w.depth > 0) {
        size_t cur = w.stack[--w.depth];
        //  Popped nodes are emitted without any check (reference quirk),
        //  so this bound is what ends a cycle.
        if (walk->sorted_len > kept) {
            rc = panda_error_set (err, PANDA_ERR_DOCUMENT, "Cycle detected");
            break;
        }
        rc = s_emit (&w, cur, err);
        if (rc == PANDA_OK)
            rc = s_follow (&w, cur, err);
    }
done:
    free (w.emitted);
    free (w.ready);
    free (w.stack);
    return rc;
}
