/*  panda_blob_int.h - private to lib/views/panda_blob*.c.                       */
#ifndef PANDA_BLOB_INT_H_INCLUDED
#define PANDA_BLOB_INT_H_INCLUDED

#include "panda_blob.h"

//  Shared by the two halves of a sync.
panda_err_t panda_blobs_db_error (sqlite3 *db, const char *what, panda_error_t *err);

//  Step 1 of panda_blobs_sync (panda_blob_purge.c).
panda_err_t panda_blobs_purge (panda_views_t *views, size_t max, panda_blobs_purged_fn *purged, void *ctx,
                               panda_blobs_report_t *report, panda_error_t *err);

//  Steps 2 and 3 of panda_blobs_sync (panda_blob_files.c).
panda_err_t panda_blobs_collect (panda_views_t *views, const char *base_path, panda_blobs_report_t *report,
                                 panda_error_t *err);
panda_err_t panda_blobs_write (panda_views_t *views, const char *base_path, size_t max,
                               panda_blobs_report_t *report, panda_error_t *err);

#endif
