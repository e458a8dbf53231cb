/*  panda_document_graph.h - private: the operation graph of one document.

    Nodes are the operations, indexed 0..count-1 in ascending id order, so
    "sorted by id" and "sorted by node index" are the same thing. Edges run
    from each previous operation to the operation naming it. Adjacency is
    stored compactly (CSR): successors of a node are ascending by index.

    Used by panda_document.c only; the reducer is a callback so the walk
    stays a pure graph algorithm (spec data-types.md §7.1, §7.2, §7.4).     */
#ifndef PANDA_DOCUMENT_GRAPH_H_INCLUDED
#define PANDA_DOCUMENT_GRAPH_H_INCLUDED

#include "panda/panda_operation.h"

typedef struct {
    size_t count;
    panda_hash_t *ids; //  node id, ascending
    size_t *input; //  node -> index in the caller's input arrays
    size_t *pred_start, *preds; //  preds of n: preds[pred_start[n] .. pred_start[n+1])
    size_t *succ_start, *succs; //  succs of n, ascending
} panda_document_graph_t;

//  Link count operations (ids[i], ops[i], in arrival order) into *self.
//  Errors (PANDA_ERR_DOCUMENT): "duplicate operation <id> in document",
//  "operation <id> cannot be connected to the document graph" (a previous
//  id that is unknown or the operation itself; first failing operation in
//  input order); PANDA_ERR_NOMEM. *self is fully released on failure.
PANDA_NODISCARD panda_err_t panda_document_graph_init (panda_document_graph_t *self, const panda_hash_t *ids,
                                                       const panda_operation_t *const *ops, size_t count,
                                                       panda_error_t *err);

//  Release what init allocated; safe on a zeroed struct.
void panda_document_graph_fini (panda_document_graph_t *self);

//  Node index of id, or SIZE_MAX.
size_t panda_document_graph_find (const panda_document_graph_t *self, const panda_hash_t *id);

//  Mark in keep[] (count bools) the nodes named in tips and all their
//  ancestors. Error "Requested trim nodes not found in graph" if one is
//  unknown (PANDA_ERR_DOCUMENT); PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_document_graph_ancestors (const panda_document_graph_t *self,
                                                            const panda_hash_t *tips, size_t n, bool *keep,
                                                            panda_error_t *err);

//  Called for every emitted node in walk order; a non-OK return stops the
//  walk with that error.
typedef panda_err_t (panda_document_graph_visit_fn) (void *arg, size_t node, panda_error_t *err);

//  Walk result buffers, owned by the caller and reused across walks.
typedef struct {
    size_t *sorted; //  emitted nodes, in order (duplicates possible)
    size_t sorted_len;
    size_t *tips; //  emitted nodes without (kept) successors
    size_t tips_len;
    size_t capacity; //  of sorted and tips
} panda_document_walk_t;

//  Walk the subgraph of nodes with keep[n] (all nodes if keep is NULL) from
//  its root, calling visit for each emission (spec §7.2). walk's buffers are
//  grown as needed and hold the order so far also when it fails. Errors
//  (PANDA_ERR_DOCUMENT): "No root node found", "Multiple root nodes found",
//  "Cycle detected", "Badly formed graph", or visit's error; PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_document_graph_walk (const panda_document_graph_t *self, const bool *keep,
                                                       panda_document_graph_visit_fn *visit, void *arg,
                                                       panda_document_walk_t *walk, panda_error_t *err);

//  Free walk's buffers; safe on a zeroed struct.
void panda_document_walk_fini (panda_document_walk_t *walk);

#endif
