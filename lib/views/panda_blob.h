/*  panda_blob.h - blob files: blob_v1 views written to <base_path>/<view_id>
    and the lookups that serve them (node-api §1.6, §6.7; data-types §8).

    A blob_v1 view's content is the concatenation of the `data` of the
    blob_piece_v1 views its `pieces` list pins, in list order. The node
    keeps one file per materialised blob view, named by its view id, so the
    HTTP api streams it with no database work beyond one lookup.

    panda_blobs_sync is called by the only writer of the views database
    (the materialiser) after each commit. It reads the views tables of
    panda_views.h and keeps one private table of its own in that database:

      blob_refs (document_id BLOB PRIMARY KEY)
          blob documents seen related to at least once (for the purge);
      meta 'blob_purge_cursor' (a BLOB): where the purge walk resumes;
      blob_purged (document_id BLOB PRIMARY KEY)
          purged documents whose entries are still to be deleted from the
          entries database (panda_blobs_purged).

    Both are derived data like the rest of the views database.           */
#ifndef PANDA_BLOB_H_INCLUDED
#define PANDA_BLOB_H_INCLUDED

#include "panda/panda_hash.h"
#include "panda_views.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Largest blob_piece_v1 data (p2panda-rs MAX_BLOB_PIECE_LENGTH).
#define PANDA_BLOB_PIECE_MAX 256000

//  Files being written are named PANDA_BLOBS_TEMP_PREFIX + view id, then
//  renamed; any such file found by a sync is a leftover of a crash.
#define PANDA_BLOBS_TEMP_PREFIX ".tmp-"

//  View ids longer than this (four or more tips) get no file: the name
//  would pass NAME_MAX with the temp prefix. They are counted as invalid.
#define PANDA_BLOBS_VIEW_ID_MAX 240

//  A good per-call bound for panda_blobs_sync.
#define PANDA_BLOBS_SYNC_MAX 8

//  What one sync did.
typedef struct {
    size_t written; //  blob files written (renamed into place)
    size_t pending; //  blob views still waiting for pieces (no file yet)
    size_t invalid; //  blob views that will never get a file (see reason)
    size_t removed; //  files deleted: of views gone from the views table, stale temp files
    size_t purged; //  documents purged (blobs and their pieces)
    bool more; //  stopped at the bound: call again soon
    char reason[PANDA_ERROR_MESSAGE_MAX]; //  why the last invalid view got no file ("" if none)
} panda_blobs_report_t;

//  Told each purged document id after the views commit, blobs before their
//  pieces. piece is true for a blob_piece_v1 document.
typedef void (panda_blobs_purged_fn) (void *ctx, const panda_hash_t *document_id, bool piece);

//  Bring the blob files in base_path in line with the views database, in
//  this order, doing at most max (> 0) blobs of each kind of work:
//
//  1. Purge (aquadoggo 0.6+ garbage collection): a live blob document that
//     no view relates to any more (no relation, relation_list,
//     pinned_relation or pinned_relation_list row of any materialised view
//     holds its document id or one of its view ids) is removed from the
//     views database: its documents, views and fields rows, then the same
//     for each blob_piece_v1 document its views list that no blob_v1 view
//     lists any more. "Any more" as in aquadoggo, which only looks at a
//     blob when it is updated or when a view relating to it is pruned: a
//     blob is purged once unrelated if it was edited or seen related
//     before, so a freshly published blob waits for the document that will
//     relate to it. Blobs are visited round-robin, max per call.
//     aquadoggo also deletes the purged documents' entries and operations
//     (keeping the logs rows so log ids are never reused): that part
//     belongs to the entries database's writer, so the purge's transaction
//     queues each purged id in blob_purged (see panda_blobs_purged), and
//     purged (may be NULL) is told each id after the commit.
//  2. Delete the files of base_path whose name is a view id that is no
//     longer a blob_v1 view in the views table, and every temp file.
//  3. For each blob_v1 view without a file of its `length`: once all its
//     pieces are materialised, and only if their count equals the list
//     length and their lengths sum to `length`, stream them piece by piece
//     into a temp file, fsync it, rename it to <base_path>/<view_id> and
//     fsync the directory. A crash leaves at most a temp file.
//
//  report (may be NULL) says what was done. PANDA_ERR_IO with err set on a
//  database or file system failure (work done before it stays done).
PANDA_NODISCARD panda_err_t panda_blobs_sync (panda_views_t *views, const char *base_path, size_t max,
                                              panda_blobs_purged_fn *purged, void *ctx,
                                              panda_blobs_report_t *report, panda_error_t *err);

//  Purged documents whose entries the entries database still holds: up to
//  max ids into ids[], their number in *count. Queued by the purge in the
//  same transaction as the views part, so a crash loses none.
PANDA_NODISCARD panda_err_t panda_blobs_purged (panda_views_t *views, panda_hash_t *ids, size_t max,
                                                size_t *count, panda_error_t *err);

//  The entries of ids[0..n) are deleted (panda_store_purge): forget them.
PANDA_NODISCARD panda_err_t panda_blobs_purged_done (panda_views_t *views, const panda_hash_t *ids, size_t n,
                                                     panda_error_t *err);

//  A blob view to serve.
typedef struct {
    char *view_id; //  canonical view id string: the file name and the ETag
    char *mime_type; //  verbatim; NULL when the view has no mime_type string
} panda_blob_info_t;

//  Find the blob view to serve for /blobs/<document_id>[/<view_id>]
//  (node-api §1.6 steps 2-3): the current view of document_id when view_id
//  is NULL, else view_id (canonical string form) if it is still
//  materialised and belongs to document_id. The document must be a live
//  (not deleted) blob_v1 document. PANDA_ERR_NOT_FOUND ("Could not find
//  document") otherwise; PANDA_ERR_IO on a database failure. On success
//  the caller owns what *info holds (panda_blob_info_release).
PANDA_NODISCARD panda_err_t panda_blobs_find (panda_views_t *views, const panda_hash_t *document_id,
                                              const char *view_id, panda_blob_info_t *info,
                                              panda_error_t *err);

//  Free what info holds and zero it. Accepts a zeroed info.
void panda_blob_info_release (panda_blob_info_t *info);

#ifdef __cplusplus
}
#endif
#endif
