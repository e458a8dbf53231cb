/*  panda_blob_files.c - blob views written to files, and the files of
    views that are gone removed (steps 2 and 3 of panda_blobs_sync).

    A file is written under a temp name, fsynced and renamed, so the
    served name only ever holds complete content. Pieces are read one row
    at a time (a piece is at most 256000 bytes), never the whole blob.    */
#include "panda_blob_int.h"

#include "panda/panda_view_id.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_PATH_MAX 4096

//  Every blob view with its claimed length (NULL when missing or not int).
static const char s_list[] = "SELECT v.id, v.view_id, (SELECT value FROM fields WHERE view = v.id AND idx = 0"
                             "  AND typeof (value) = 'integer' AND field = (SELECT id FROM schema_fields"
                             "    WHERE schema = 'blob_v1' AND name = 'length'))"
                             " FROM documents d JOIN views v ON v.document = d.id WHERE d.schema = 'blob_v1'";

//  Of view ?1's pieces list: items, items whose piece data is
//  materialised, and their total length (length() reads no BLOB content).
static const char s_count[] =
    "SELECT count (*), count (pd.value), ifnull (sum (length (pd.value)), 0)"
    " FROM fields f LEFT JOIN views pv ON pv.view_id = f.value"
    " LEFT JOIN fields pd ON pd.view = pv.id AND pd.idx = 0 AND typeof (pd.value) = 'blob'"
    "  AND pd.field = (SELECT id FROM schema_fields WHERE schema = 'blob_piece_v1' AND name = 'data')"
    " WHERE f.view = ?1 AND f.value IS NOT NULL"
    "  AND f.field = (SELECT id FROM schema_fields WHERE schema = 'blob_v1' AND name = 'pieces')";

//  The pieces' data of view ?1 in list order, one row per piece.
static const char s_pieces[] =
    "SELECT pd.value FROM fields f JOIN views pv ON pv.view_id = f.value"
    " JOIN fields pd ON pd.view = pv.id AND pd.idx = 0 AND typeof (pd.value) = 'blob'"
    "  AND pd.field = (SELECT id FROM schema_fields WHERE schema = 'blob_piece_v1' AND name = 'data')"
    " WHERE f.view = ?1 AND f.value IS NOT NULL"
    "  AND f.field = (SELECT id FROM schema_fields WHERE schema = 'blob_v1' AND name = 'pieces')"
    " ORDER BY f.idx";

static const char s_exists[] = "SELECT 1 FROM views v JOIN documents d ON d.id = v.document"
                               " WHERE v.view_id = ?1 AND d.schema = 'blob_v1'";

static panda_err_t
s_io_error (const char *what, const char *path, panda_error_t *err)
{
    return panda_error_set (err, PANDA_ERR_IO, "blobs: %s %s: %s", what, path, strerror (errno));
}

//  True if name is the string form of a view id (a file we may own).
static bool
s_is_view_id (const char *name)
{
    panda_hash_t *ids = NULL;
    size_t count = 0;
    panda_error_t ignored;
    bool ok = panda_view_id_from_string (name, strlen (name), &ids, &count, &ignored) == PANDA_OK;
    free (ids);
    return ok;
}

//  Is name a blob view of the views table? -1 on a database error.
static int
s_view_exists (sqlite3_stmt *exists, const char *name)
{
    sqlite3_bind_text (exists, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step (exists);
    sqlite3_reset (exists);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

panda_err_t
panda_blobs_collect (panda_views_t *views, const char *base_path, panda_blobs_report_t *report,
                     panda_error_t *err)
{
    sqlite3 *db = panda_views_db (views);
    sqlite3_stmt *exists = NULL;
    if (sqlite3_prepare_v2 (db, s_exists, -1, &exists, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare exists", err);
    DIR *dir = opendir (base_path);
    if (!dir) {
        sqlite3_finalize (exists);
        return s_io_error ("cannot open", base_path, err);
    }
    panda_err_t rc = PANDA_OK;
    struct dirent *entry;
    size_t prefix = strlen (PANDA_BLOBS_TEMP_PREFIX);
    while (rc == PANDA_OK && (entry = readdir (dir))) {
        const char *name = entry->d_name;
        bool temp = strncmp (name, PANDA_BLOBS_TEMP_PREFIX, prefix) == 0;
        if (!temp) {
            int found = s_is_view_id (name) ? s_view_exists (exists, name) : 1;
            if (found < 0)
                rc = panda_blobs_db_error (db, "look up view", err);
            if (found)
                continue;
        }
        char path[S_PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", base_path, name);
        if (unlink (path) == 0)
            report->removed++;
        else if (errno != ENOENT)
            rc = s_io_error ("cannot remove", path, err);
    }
    closedir (dir);
    sqlite3_finalize (exists);
    return rc;
}

//  Write every piece of view into fd; *count and *length get what was
//  written.
static panda_err_t
s_stream (sqlite3 *db, sqlite3_int64 view, int fd, int64_t *count, int64_t *length, panda_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, s_pieces, -1, &stmt, NULL) != SQLITE_OK)
        return panda_blobs_db_error (db, "prepare pieces", err);
    sqlite3_bind_int64 (stmt, 1, view);
    panda_err_t rc = PANDA_OK;
    int step;
    while (rc == PANDA_OK && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        const uint8_t *data = sqlite3_column_blob (stmt, 0);
        size_t size = (size_t) sqlite3_column_bytes (stmt, 0);
        for (size_t done = 0; rc == PANDA_OK && done < size;) {
            ssize_t n = write (fd, data + done, size - done);
            if (n < 0 && errno != EINTR)
                rc = panda_error_set (err, PANDA_ERR_IO, "blobs: write: %s", strerror (errno));
            done += n > 0 ? (size_t) n : 0;
        }
        *count += 1;
        *length += (int64_t) size;
    }
    if (rc == PANDA_OK && step != SQLITE_DONE)
        rc = panda_blobs_db_error (db, "read pieces", err);
    sqlite3_finalize (stmt);
    return rc;
}

//  Write the file of one complete blob view atomically.
static panda_err_t
s_write_file (sqlite3 *db, const char *base_path, sqlite3_int64 view, const char *view_id, int64_t pieces,
              int64_t length, panda_blobs_report_t *report, panda_error_t *err)
{
    char temp[S_PATH_MAX], final[S_PATH_MAX];
    snprintf (temp, sizeof temp, "%s/" PANDA_BLOBS_TEMP_PREFIX "%s", base_path, view_id);
    snprintf (final, sizeof final, "%s/%s", base_path, view_id);
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return s_io_error ("cannot create", temp, err);
    int64_t count = 0, written = 0;
    panda_err_t rc = s_stream (db, view, fd, &count, &written, err);
    if (rc == PANDA_OK && fsync (fd) != 0)
        rc = s_io_error ("cannot sync", temp, err);
    if (close (fd) != 0 && rc == PANDA_OK)
        rc = s_io_error ("cannot close", temp, err);
    bool valid = count == pieces && written == length;
    if (rc == PANDA_OK && valid && rename (temp, final) != 0)
        rc = s_io_error ("cannot rename", temp, err);
    if (rc != PANDA_OK || !valid) {
        unlink (temp);
        return rc;
    }
    int dir = open (base_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) { //  makes the rename durable; a lost one is redone
        fsync (dir);
        close (dir);
    }
    report->written++;
    return PANDA_OK;
}

//  Count the pieces of view and write its file when they are complete.
static panda_err_t
s_blob (sqlite3 *db, sqlite3_stmt *counter, const char *base_path, sqlite3_int64 view, const char *view_id,
        int64_t length, panda_blobs_report_t *report, panda_error_t *err)
{
    sqlite3_bind_int64 (counter, 1, view);
    if (sqlite3_step (counter) != SQLITE_ROW) {
        sqlite3_reset (counter);
        return panda_blobs_db_error (db, "count pieces", err);
    }
    int64_t listed = sqlite3_column_int64 (counter, 0), found = sqlite3_column_int64 (counter, 1),
            total = sqlite3_column_int64 (counter, 2);
    sqlite3_reset (counter);
    if (found < listed) {
        report->pending++; //  "Some pieces missing for the requested blob"
        return PANDA_OK;
    }
    if (total != length) {
        report->invalid++;
        snprintf (report->reason, sizeof report->reason,
                  "blob %.*s: The combined pieces length and claimed blob length don't match (%lld, %lld)",
                  (int) PANDA_BLOBS_VIEW_ID_MAX, view_id, (long long) total, (long long) length);
        return PANDA_OK;
    }
    return s_write_file (db, base_path, view, view_id, listed, length, report, err);
}

//  True if the file of view_id is there with the claimed length.
static bool
s_has_file (const char *base_path, const char *view_id, int64_t length)
{
    char path[S_PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", base_path, view_id);
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode) && (int64_t) st.st_size == length;
}

panda_err_t
panda_blobs_write (panda_views_t *views, const char *base_path, size_t max, panda_blobs_report_t *report,
                   panda_error_t *err)
{
    sqlite3 *db = panda_views_db (views);
    sqlite3_stmt *list = NULL, *counter = NULL;
    if (sqlite3_prepare_v2 (db, s_list, -1, &list, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2 (db, s_count, -1, &counter, NULL) != SQLITE_OK) {
        sqlite3_finalize (list);
        return panda_blobs_db_error (db, "prepare blob list", err);
    }
    panda_err_t rc = PANDA_OK;
    int step;
    size_t done = 0;
    while (rc == PANDA_OK && (step = sqlite3_step (list)) == SQLITE_ROW) {
        const char *view_id = (const char *) sqlite3_column_text (list, 1);
        int64_t length = sqlite3_column_int64 (list, 2);
        if (sqlite3_column_type (list, 2) != SQLITE_INTEGER || length < 0 ||
            strlen (view_id) > PANDA_BLOBS_VIEW_ID_MAX) {
            report->invalid++;
            snprintf (report->reason, sizeof report->reason, "blob %.*s: no valid length or view id too long",
                      (int) PANDA_BLOBS_VIEW_ID_MAX, view_id);
            continue;
        }
        if (s_has_file (base_path, view_id, length))
            continue;
        if (done == max) {
            report->more = true;
            break;
        }
        size_t before = report->written;
        rc = s_blob (db, counter, base_path, sqlite3_column_int64 (list, 0), view_id, length, report, err);
        done += report->written > before;
    }
    if (rc == PANDA_OK && !report->more && step != SQLITE_DONE)
        rc = panda_blobs_db_error (db, "list blobs", err);
    sqlite3_finalize (counter);
    sqlite3_finalize (list);
    return rc;
}
