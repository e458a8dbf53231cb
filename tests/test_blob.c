/*  test_blob.c - blob files (panda_blob.h): written atomically with the
    exact bytes of blob.json, multi-piece blobs of full 256000-byte pieces,
    missing pieces and length mismatches, garbage collection of files,
    purge of unused blobs, crash leftovers, the per-call bound, lookups.  */
#include "test_blob_fixture.h"

typedef struct {
    panda_views_t *views;
    char db[64];
    char dir[64];
} s_fix_t;

static int
s_setup (void **state)
{
    s_fix_t *self = calloc (1, sizeof *self);
    self->views = fix_views_new (self->db, self->dir);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fix_t *self = *state;
    fix_views_destroy (&self->views, self->db, self->dir);
    free (self);
    return 0;
}

static panda_blobs_report_t
s_sync (s_fix_t *self, size_t max)
{
    panda_blobs_report_t report;
    panda_error_t err;
    panda_err_t rc = panda_blobs_sync (self->views, self->dir, max, NULL, NULL, &report, &err);
    if (rc != PANDA_OK)
        fail_msg ("sync: %s", err.message);
    return report;
}

static void
s_assert_file (const char *dir, const char *name, const uint8_t *bytes, size_t len)
{
    size_t got_len = 0;
    uint8_t *got = fix_read (dir, name, &got_len);
    assert_non_null (got);
    assert_int_equal (got_len, len);
    assert_memory_equal (got, bytes, len);
    free (got);
}

//  blob.json: the file holds the assembled bytes of the vector (and hashes
//  to its YASMF hash); nothing else is left in the directory; a second
//  sync has nothing to do. The lookups give the view id and mime type.
static void
test_blob_vector_file (void **state)
{
    s_fix_t *self = *state;
    uint8_t *expected;
    size_t len;
    char *doc_hex, *view_hex, *mime;
    fix_vector_blob (self->views, &expected, &len, &doc_hex, &view_hex, &mime);
    panda_blobs_report_t report = s_sync (self, PANDA_BLOBS_SYNC_MAX);
    assert_int_equal (report.written, 1);
    assert_int_equal (report.pending + report.invalid + report.purged, 0);
    s_assert_file (self->dir, view_hex, expected, len);
    assert_int_equal (fix_dir_count (self->dir), 1);
    json_t *root = panda_test_vectors ("blob.json");
    const char *want =
        json_string_value (json_object_get (json_object_get (root, "expected"), "assembled_yasmf_hash"));
    panda_hash_t h;
    panda_hash_compute (&h, expected, len);
    char hex[PANDA_HASH_HEX_SIZE + 1];
    assert_string_equal (panda_hash_to_hex (&h, hex), want);
    json_decref (root);
    report = s_sync (self, PANDA_BLOBS_SYNC_MAX);
    assert_int_equal (report.written + report.removed, 0);

    panda_hash_t doc;
    assert_int_equal (panda_hash_from_hex (&doc, doc_hex, strlen (doc_hex), NULL), PANDA_OK);
    panda_blob_info_t info;
    panda_error_t err;
    assert_int_equal (panda_blobs_find (self->views, &doc, NULL, &info, &err), PANDA_OK);
    assert_string_equal (info.view_id, view_hex);
    assert_string_equal (info.mime_type, mime);
    panda_blob_info_release (&info);
    assert_int_equal (panda_blobs_find (self->views, &doc, view_hex, &info, &err), PANDA_OK);
    assert_string_equal (info.view_id, view_hex);
    panda_blob_info_release (&info);
    free (expected), free (doc_hex), free (view_hex), free (mime);
}

//  Lookups that must answer "Could not find document": unknown document,
//  a piece (not a blob), a view of another document, a deleted blob.
static void
test_blob_find_not_found (void **state)
{
    s_fix_t *self = *state;
    uint8_t *expected;
    size_t len;
    char *doc_hex, *view_hex, *mime;
    fix_vector_blob (self->views, &expected, &len, &doc_hex, &view_hex, &mime);
    json_t *root = panda_test_vectors ("blob.json");
    const char *piece_hex = json_string_value (
        json_object_get (json_array_get (json_object_get (root, "pieces"), 0), "document_id"));
    panda_hash_t doc, piece, unknown = fix_hash ("unknown");
    assert_int_equal (panda_hash_from_hex (&doc, doc_hex, strlen (doc_hex), NULL), PANDA_OK);
    assert_int_equal (panda_hash_from_hex (&piece, piece_hex, strlen (piece_hex), NULL), PANDA_OK);
    panda_blob_info_t info;
    panda_error_t err;
    assert_int_equal (panda_blobs_find (self->views, &unknown, NULL, &info, &err), PANDA_ERR_NOT_FOUND);
    assert_string_equal (err.message, "Could not find document");
    assert_int_equal (panda_blobs_find (self->views, &piece, NULL, &info, &err), PANDA_ERR_NOT_FOUND);
    assert_int_equal (panda_blobs_find (self->views, &piece, piece_hex, &info, &err), PANDA_ERR_NOT_FOUND);
    assert_int_equal (panda_blobs_find (self->views, &doc, piece_hex, &info, &err), PANDA_ERR_NOT_FOUND);
    assert_int_equal (panda_blobs_find (self->views, &unknown, view_hex, &info, &err), PANDA_ERR_NOT_FOUND);
    fix_exec_id (self->views, "UPDATE documents SET deleted = 1, view = NULL WHERE schema = 'blob_v1'");
    assert_int_equal (panda_blobs_find (self->views, &doc, NULL, &info, &err), PANDA_ERR_NOT_FOUND);
    assert_int_equal (panda_blobs_find (self->views, &doc, view_hex, &info, &err), PANDA_ERR_NOT_FOUND);
    json_decref (root);
    free (expected), free (doc_hex), free (view_hex), free (mime);
}

//  count pieces of piece_len bytes (the last tail bytes) under labels
//  "<label>-<i>"; returns the blob content and the piece view ids.
static uint8_t *
s_pieces (s_fix_t *self, const char *label, size_t count, size_t piece_len, size_t tail, char ***ids_p,
          size_t *total)
{
    *total = (count - 1) * piece_len + tail;
    uint8_t *content = malloc (*total);
    uint64_t seed = 42;
    panda_test_random_bytes (&seed, content, *total);
    char **ids = calloc (count, sizeof *ids);
    for (size_t i = 0; i < count; i++) {
        char name[64];
        snprintf (name, sizeof name, "%s-%zu", label, i);
        panda_hash_t doc = fix_hash (name);
        fix_piece (self->views, &doc, content + i * piece_len, i + 1 < count ? piece_len : tail);
        ids[i] = fix_hex (&doc);
    }
    *ids_p = ids;
    return content;
}

static void
s_free_ids (char **ids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (ids[i]);
    free (ids);
}

//  A blob document label with one current view (view id = document id).
static char *
s_blob (s_fix_t *self, const char *label, bool edited, int64_t length, char **ids, size_t count)
{
    panda_hash_t doc = fix_hash (label);
    char *hex = fix_hex (&doc);
    fix_blob_view (self->views, fix_document (self->views, &doc, "blob_v1", edited), hex, true, length,
                   "video/mp4", ids, count);
    return hex;
}

//  Pieces of exactly PANDA_BLOB_PIECE_MAX bytes, and a short tail, give a
//  file with the exact concatenation.
static void
test_blob_multi_piece (void **state)
{
    s_fix_t *self = *state;
    char **ids;
    size_t total;
    uint8_t *content = s_pieces (self, "big", 5, PANDA_BLOB_PIECE_MAX, 1000, &ids, &total);
    char *view = s_blob (self, "big-blob", false, (int64_t) total, ids, 5);
    assert_int_equal (s_sync (self, 1).written, 1);
    s_assert_file (self->dir, view, content, total);
    s_free_ids (ids, 5);
    free (content), free (view);
}

//  A pinned piece that is not materialised yet: no file (pending) until it
//  arrives; then the next sync writes it.
static void
test_blob_missing_piece (void **state)
{
    s_fix_t *self = *state;
    char **ids;
    size_t total;
    uint8_t *content = s_pieces (self, "miss", 3, 100, 50, &ids, &total);
    fix_exec_id (self->views, "DELETE FROM fields WHERE view = (SELECT max (id) FROM views)");
    fix_exec_id (self->views, "DELETE FROM documents WHERE id = (SELECT max (id) FROM documents)");
    fix_exec_id (self->views, "DELETE FROM views WHERE id = (SELECT max (id) FROM views)");
    char *view = s_blob (self, "miss-blob", false, (int64_t) total, ids, 3);
    panda_blobs_report_t report = s_sync (self, 4);
    assert_int_equal (report.written, 0);
    assert_int_equal (report.pending, 1);
    assert_int_equal (fix_dir_count (self->dir), 0);
    panda_hash_t last = fix_hash ("miss-2");
    fix_piece (self->views, &last, content + 200, 50);
    report = s_sync (self, 4);
    assert_int_equal (report.written, 1);
    s_assert_file (self->dir, view, content, total);
    s_free_ids (ids, 3);
    free (content), free (view);
}

//  Claimed length differs from the pieces' total: never a file.
static void
test_blob_length_mismatch (void **state)
{
    s_fix_t *self = *state;
    char **ids;
    size_t total;
    uint8_t *content = s_pieces (self, "len", 2, 10, 10, &ids, &total);
    char *view = s_blob (self, "len-blob", false, (int64_t) total + 1, ids, 2);
    panda_blobs_report_t report = s_sync (self, 4);
    assert_int_equal (report.written, 0);
    assert_int_equal (report.invalid, 1);
    assert_non_null (
        strstr (report.reason, "The combined pieces length and claimed blob length don't match"));
    assert_false (fix_exists (self->dir, view));
    assert_int_equal (fix_dir_count (self->dir), 0);
    s_free_ids (ids, 2);
    free (content), free (view);
}

//  A view that left the views table (garbage-collected) loses its file;
//  files that are not view ids are not ours and stay.
static void
test_blob_gc_files (void **state)
{
    s_fix_t *self = *state;
    char **ids;
    size_t total;
    uint8_t *content = s_pieces (self, "gc", 1, 10, 10, &ids, &total);
    char *a = s_blob (self, "gc-a", false, 10, ids, 1);
    char *b = s_blob (self, "gc-b", false, 10, ids, 1);
    assert_int_equal (s_sync (self, 4).written, 2);
    char other[128];
    snprintf (other, sizeof other, "%s/README", self->dir);
    FILE *f = fopen (other, "w");
    assert_non_null (f);
    fclose (f);
    char sql[256];
    snprintf (sql, sizeof sql,
              "DELETE FROM fields WHERE view = (SELECT id FROM views WHERE view_id = '%s');"
              "DELETE FROM views WHERE view_id = '%s'",
              a, a);
    fix_exec_id (self->views, sql);
    panda_blobs_report_t report = s_sync (self, 4);
    assert_int_equal (report.removed, 1);
    assert_int_equal (report.written, 0);
    assert_false (fix_exists (self->dir, a));
    assert_true (fix_exists (self->dir, b));
    assert_true (fix_exists (self->dir, "README"));
    s_free_ids (ids, 1);
    free (content), free (a), free (b);
}

//  A crash during a write left a temp file and no final file: the next
//  sync removes the leftover and writes the complete file.
static void
test_blob_crash_leftover (void **state)
{
    s_fix_t *self = *state;
    uint8_t *expected;
    size_t len;
    char *doc_hex, *view_hex, *mime;
    fix_vector_blob (self->views, &expected, &len, &doc_hex, &view_hex, &mime);
    char temp[512];
    snprintf (temp, sizeof temp, "%s/" PANDA_BLOBS_TEMP_PREFIX "%s", self->dir, view_hex);
    FILE *f = fopen (temp, "w");
    assert_non_null (f);
    fwrite (expected, 1, len / 2, f);
    fclose (f);
    panda_blobs_report_t report = s_sync (self, 4);
    assert_int_equal (report.removed, 1);
    assert_int_equal (report.written, 1);
    s_assert_file (self->dir, view_hex, expected, len);
    assert_int_equal (fix_dir_count (self->dir), 1);
    //  A truncated file under the final name (not ours) is rewritten too.
    char final[512];
    snprintf (final, sizeof final, "%s/%s", self->dir, view_hex);
    assert_int_equal (truncate (final, 3), 0);
    assert_int_equal (s_sync (self, 4).written, 1);
    s_assert_file (self->dir, view_hex, expected, len);
    free (expected), free (doc_hex), free (view_hex), free (mime);
}

//  At most max files per call; more says so, the next call goes on.
static void
test_blob_bounded (void **state)
{
    s_fix_t *self = *state;
    char **ids;
    size_t total;
    uint8_t *content = s_pieces (self, "bound", 1, 10, 10, &ids, &total);
    char *views[3];
    for (size_t i = 0; i < 3; i++) {
        char label[32];
        snprintf (label, sizeof label, "bound-%zu-blob", i);
        views[i] = s_blob (self, label, false, 10, ids, 1);
    }
    panda_blobs_report_t report = s_sync (self, 2);
    assert_int_equal (report.written, 2);
    assert_true (report.more);
    report = s_sync (self, 2);
    assert_int_equal (report.written, 1);
    assert_false (report.more);
    for (size_t i = 0; i < 3; i++) {
        s_assert_file (self->dir, views[i], content, 10);
        free (views[i]);
    }
    s_free_ids (ids, 1);
    free (content);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_blob_vector_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_find_not_found, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_multi_piece, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_missing_piece, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_length_mismatch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_gc_files, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_crash_leftover, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_bounded, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
