/*  panda_materialize.h - the materialiser: stored operations -> views.

    Reads the entries stored after the views' resume position, in arrival
    order, and keeps the views database (panda_views.h) up to date: the
    current view of every document, older views that some current view pins
    (pinned_relation / pinned_relation_list), deleted documents, and the
    application schemas whose definition and field definitions are all
    materialised (node-api.md §6.7).

    Each entry at position p leaves the document exactly as
    panda_document_build over its operations stored at positions <= p would
    (or, when that build fails, as it was: the failure is logged and
    counted, other documents go on). An UPDATE whose previous is the
    current view id is applied alone (its fields' rows only) when the
    reference walk of the document ends in a single tip it emitted once:
    then that walk with the UPDATE appended is the walk of the whole graph.
    Everything else (concurrent branches, merges, documents that failed)
    is rebuilt from the document's operations in the store.

    One run is one views transaction that also sets the new position, so a
    crash loses only uncommitted work, which the next run redoes. Per-
    document state lives in SQLite (documents.incremental, .failed), so
    memory does not grow with the number of documents.                    */
#ifndef PANDA_MATERIALIZE_H_INCLUDED
#define PANDA_MATERIALIZE_H_INCLUDED

#include "panda_store.h"
#include "panda_views.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _panda_materializer_t panda_materializer_t;

//  Called after COMMIT with the id of each application schema recorded by
//  that run (panda_views_schema_put), in recording order.
typedef void (panda_materializer_schema_fn) (void *ctx, const char *schema_id);

//  Called for every document whose operations could not be materialised
//  (reduction failed, unknown schema, a bad schema definition), with why.
typedef void (panda_materializer_log_fn) (void *ctx, const panda_hash_t *document_id, const char *message);

//  What happened to a document's current view.
typedef enum {
    PANDA_MATERIALIZER_CREATED,
    PANDA_MATERIALIZER_UPDATED,
    PANDA_MATERIALIZER_DELETED
} panda_materializer_change_t;

//  Called after COMMIT for every document whose current view that run
//  changed, once per entry that changed it, in arrival order. view_id is
//  the new current view (for a deletion: the view the DELETE made).
typedef void (panda_materializer_change_fn) (void *ctx, panda_materializer_change_t change,
                                             const char *schema_id, const panda_hash_t *document_id,
                                             const char *view_id);

//  A materialiser reading store and writing views (both borrowed; must
//  outlive it; store is only read). Caller owns the result; NULL with err
//  set on failure.
panda_materializer_t *panda_materializer_new (panda_store_t *store, panda_views_t *views, panda_error_t *err);

//  Free; NULLs *self_p. Accepts NULL.
void panda_materializer_destroy (panda_materializer_t **self_p);

//  Where failures are reported (default: nowhere, only counted).
void panda_materializer_set_log (panda_materializer_t *self, panda_materializer_log_fn *fn, void *ctx);

//  Where document changes are reported (default: nowhere, and nothing is
//  recorded).
void panda_materializer_set_changes (panda_materializer_t *self, panda_materializer_change_fn *fn, void *ctx);

//  Number of failures reported since panda_materializer_new.
uint64_t panda_materializer_failures (const panda_materializer_t *self);

//  Materialise up to max entries stored after the views' position in one
//  transaction that also sets the new position; *done (if not NULL) gets
//  how many (0: nothing new). After COMMIT calls on_schema (if not NULL)
//  for each newly recorded schema. On PANDA_ERR_IO / NOMEM the transaction
//  was rolled back and nothing changed.
PANDA_NODISCARD panda_err_t panda_materializer_run (panda_materializer_t *self, size_t max, size_t *done,
                                                    panda_materializer_schema_fn *on_schema, void *ctx,
                                                    panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
