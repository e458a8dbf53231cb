/*  panda_document.h - documents: reducing an operation graph to a view.

    A document is a CREATE plus every UPDATE/DELETE whose previous leads back
    to it (spec data-types.md §6-§7). The builder collects decoded operations
    with their ids, links them into a graph (edge p -> op for each p in
    previous), walks it in the reference's topological order, including its
    quirks, and applies each visited operation last-write-wins. The result is
    a view: view id (the graph tips), view hash, deleted flag, the walk order
    and, per field, its value and the id of the operation that last wrote it.

    The builder borrows the operations: they must outlive the builder and
    every view built from it, because views point at field names and values
    inside them. Arrival order does not matter: nodes are kept sorted by id,
    so any insertion order gives the same view (only the id named in a
    "cannot be connected" error follows insertion order, as in the
    reference).

    On failure nothing is produced; a node keeps the view it had stored
    (spec §7.3, document.json E1).                                          */
#ifndef PANDA_DOCUMENT_H_INCLUDED
#define PANDA_DOCUMENT_H_INCLUDED

#include "panda/panda_operation.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _panda_document_builder_t panda_document_builder_t;
typedef struct _panda_document_view_t panda_document_view_t;

//  Reference message prefix of every reducer failure.
#define PANDA_DOCUMENT_REDUCER_PREFIX "Could not perform reducer function: "

//  Create an empty builder. Caller owns the result; NULL on OOM.
panda_document_builder_t *panda_document_builder_new (void);

//  Free the builder (not the operations it borrowed). NULLs *self_p; accepts
//  NULL. Views already built stay valid.
void panda_document_builder_destroy (panda_document_builder_t **self_p);

//  Add one operation and its id (the hash of the entry that carries it). The
//  id is copied; the operation is borrowed (see above). Only fails on OOM.
PANDA_NODISCARD panda_err_t panda_document_builder_add (panda_document_builder_t *self,
                                                        const panda_hash_t *operation_id,
                                                        const panda_operation_t *operation,
                                                        panda_error_t *err);

//  Number of operations added.
size_t panda_document_builder_size (const panda_document_builder_t *self);

//  Build the latest view from all operations. On success *view_p is a new
//  view (caller owns, destroy with panda_document_view_destroy). On failure
//  *view_p is NULL and err holds PANDA_ERR_DOCUMENT with the reference
//  message: "multiple CREATE operations found when building operation graph",
//  "operation <id> cannot be connected to the document graph", "No root node
//  found", "Cycle detected", "Badly formed graph", "Could not perform reducer
//  function: <reason>" (e.g. "Cannot perform a commit on a deleted
//  document"). Our one addition: "duplicate operation <id> in document" when
//  the same id was added twice. PANDA_ERR_NOMEM on OOM.
PANDA_NODISCARD panda_err_t panda_document_build (panda_document_builder_t *self,
                                                  panda_document_view_t **view_p, panda_error_t *err);

//  Build a historical view (spec §7.4): keep only the operations named in
//  view_id (count ids, any order, duplicates allowed) and their ancestors,
//  then build as above; tips are those of the kept subgraph. Adds the error
//  "Requested trim nodes not found in graph" when an id is unknown, and
//  "expected one or more operation ids" when count is 0.
PANDA_NODISCARD panda_err_t panda_document_build_to_view (panda_document_builder_t *self,
                                                          const panda_hash_t *view_id, size_t count,
                                                          panda_document_view_t **view_p, panda_error_t *err);

//  Walk order of the most recent build attempt, also when it failed (then it
//  ends with the operation that made reduction fail). Borrowed, valid until
//  the next build or add. May list an operation twice (spec §7.2 quirk 3).
const panda_hash_t *panda_document_builder_walk (const panda_document_builder_t *self, size_t *count);

//  Free a view. NULLs *self_p; accepts NULL.
void panda_document_view_destroy (panda_document_view_t **self_p);

//  Document id (= id of the CREATE). Borrowed.
const panda_hash_t *panda_document_view_document_id (const panda_document_view_t *self);

//  Schema id of the CREATE. Borrowed from the operation.
const char *panda_document_view_schema_id (const panda_document_view_t *self);

//  View id: the graph tips, canonical (sorted, unique), *count ids. Borrowed.
const panda_hash_t *panda_document_view_id (const panda_document_view_t *self, size_t *count);

//  View id string form "id_id_...". Borrowed.
const char *panda_document_view_id_str (const panda_document_view_t *self);

//  View hash: YASMF of the concatenated view id. Borrowed.
const panda_hash_t *panda_document_view_hash (const panda_document_view_t *self);

//  True if a DELETE was applied: the view then has no fields.
bool panda_document_view_deleted (const panda_document_view_t *self);

//  Operation ids in walk (application) order, *count entries; an operation
//  may appear twice (spec §7.2 quirk 3). Borrowed.
const panda_hash_t *panda_document_view_sorted (const panda_document_view_t *self, size_t *count);

//  Fields, sorted by name byte-wise; 0 when deleted. Names and values are
//  borrowed from the operations; the writer id from the view.
size_t panda_document_view_field_count (const panda_document_view_t *self);
const char *panda_document_view_field_name (const panda_document_view_t *self, size_t index);
const panda_value_t *panda_document_view_field_value (const panda_document_view_t *self, size_t index);
//  Id of the operation that last wrote the field.
const panda_hash_t *panda_document_view_field_writer (const panda_document_view_t *self, size_t index);

//  Field by name, or NULL if absent (or deleted); *writer_p (if not NULL)
//  gets the id of the operation that last wrote it.
const panda_value_t *panda_document_view_field (const panda_document_view_t *self, const char *name,
                                                const panda_hash_t **writer_p);

#ifdef __cplusplus
}
#endif
#endif
