/*  test_blob_purge.c - unused blobs purged as aquadoggo's garbage
    collection does: a blob no view relates to any more goes with the
    pieces no other blob lists (rows and file); a related blob, a freshly
    published one and a shared piece stay; the walk is bounded.            */
#include "test_blob_fixture.h"

#define GALLERY "gallery_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b"

typedef struct {
    panda_views_t *views;
    char db[64];
    char dir[64];
    sqlite3_int64 gallery; //  a document of GALLERY that relates to blobs
    panda_hash_t purged[16];
    bool piece[16];
    size_t count;
} s_fix_t;

static int
s_setup (void **state)
{
    s_fix_t *self = calloc (1, sizeof *self);
    self->views = fix_views_new (self->db, self->dir);
    panda_error_t err;
    panda_schema_t *schema = panda_schema_new (GALLERY, "gallery", "Pictures", &err);
    assert_non_null (schema);
    assert_int_equal (panda_schema_add_field (schema, "cover", "relation(blob_v1)", &err), PANDA_OK);
    assert_int_equal (panda_schema_add_field (schema, "pinned", "pinned_relation(blob_v1)", &err), PANDA_OK);
    panda_hash_t def = fix_hash ("gallery definition");
    assert_int_equal (panda_views_schema_put (self->views, schema, &def, &err), PANDA_OK);
    panda_schema_destroy (&schema);
    panda_hash_t doc = fix_hash ("gallery document");
    char *hex = fix_hex (&doc);
    self->gallery = fix_view (self->views, fix_document (self->views, &doc, GALLERY, false), hex, true);
    free (hex);
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

static void
s_on_purged (void *ctx, const panda_hash_t *document_id, bool piece)
{
    s_fix_t *self = ctx;
    assert_true (self->count < 16);
    self->purged[self->count] = *document_id;
    self->piece[self->count++] = piece;
}

static panda_blobs_report_t
s_sync (s_fix_t *self, size_t max)
{
    panda_blobs_report_t report;
    panda_error_t err;
    self->count = 0;
    if (panda_blobs_sync (self->views, self->dir, max, s_on_purged, self, &report, &err) != PANDA_OK)
        fail_msg ("sync: %s", err.message);
    return report;
}

//  A piece document "<label>" with 4 bytes.
static char *
s_piece (s_fix_t *self, const char *label)
{
    panda_hash_t doc = fix_hash (label);
    fix_piece (self->views, &doc, "abcd", 4);
    return fix_hex (&doc);
}

//  A blob document "<label>" (view id = document id) of the given pieces.
static char *
s_blob (s_fix_t *self, const char *label, bool edited, char **pieces, size_t count)
{
    panda_hash_t doc = fix_hash (label);
    char *hex = fix_hex (&doc);
    fix_blob_view (self->views, fix_document (self->views, &doc, "blob_v1", edited), hex, true,
                   (int64_t) (4 * count), "image/png", pieces, count);
    return hex;
}

static sqlite3_int64
s_count (s_fix_t *self, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (panda_views_db (self->views), sql, -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    sqlite3_int64 n = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return n;
}

static bool
s_document_exists (s_fix_t *self, const char *hex)
{
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM documents WHERE hex (document_id) = upper ('%s')", hex);
    return s_count (self, sql) == 1;
}

//  An edited blob nothing relates to is purged with its own piece, rows
//  and file; the piece it shares with a related blob stays, and so does
//  that blob. The caller hears the blob first, then its piece.
static void
test_blob_purge_unrelated (void **state)
{
    s_fix_t *self = *state;
    char *own = s_piece (self, "own piece"), *shared = s_piece (self, "shared piece");
    char *lone_pieces[] = {own, shared}, *kept_pieces[] = {shared};
    char *lone = s_blob (self, "lone blob", false, lone_pieces, 2);
    char *kept = s_blob (self, "kept blob", true, kept_pieces, 1);
    panda_hash_t kept_doc = fix_hash ("kept blob");
    fix_field (self->views, self->gallery, GALLERY, "cover", 0, NULL, kept_doc.bytes, PANDA_HASH_SIZE, 0);
    assert_int_equal (s_sync (self, 8).written, 2);
    //  An update of the lone blob is what makes aquadoggo look at it.
    fix_exec_id (self->views, "UPDATE documents SET edited = 1 WHERE schema = 'blob_v1'");
    panda_blobs_report_t report = s_sync (self, 8);
    assert_int_equal (report.purged, 2);
    assert_int_equal (self->count, 2);
    panda_hash_t lone_doc = fix_hash ("lone blob"), own_doc = fix_hash ("own piece");
    assert_true (panda_hash_eq (&self->purged[0], &lone_doc) && !self->piece[0]);
    assert_true (panda_hash_eq (&self->purged[1], &own_doc) && self->piece[1]);
    assert_int_equal (report.removed, 1);
    assert_false (fix_exists (self->dir, lone));
    assert_true (fix_exists (self->dir, kept));
    assert_false (s_document_exists (self, lone));
    assert_false (s_document_exists (self, own));
    assert_true (s_document_exists (self, shared));
    assert_true (s_document_exists (self, kept));
    //  No row of a purged document is left behind.
    assert_int_equal (
        s_count (self, "SELECT count (*) FROM views WHERE document NOT IN (SELECT id FROM documents)"), 0);
    assert_int_equal (s_count (self, "SELECT count (*) FROM fields WHERE view NOT IN (SELECT id FROM views)"),
                      0);
    assert_int_equal (s_sync (self, 8).purged, 0);
    //  Both are queued for storage to delete their entries, until done.
    panda_hash_t queued[4];
    size_t count;
    panda_error_t err;
    assert_int_equal (panda_blobs_purged (self->views, queued, 4, &count, &err), PANDA_OK);
    assert_int_equal (count, 2);
    assert_true (panda_hash_eq (&queued[0], &lone_doc) || panda_hash_eq (&queued[1], &lone_doc));
    assert_true (panda_hash_eq (&queued[0], &own_doc) || panda_hash_eq (&queued[1], &own_doc));
    assert_int_equal (panda_blobs_purged (self->views, queued, 1, &count, &err), PANDA_OK);
    assert_int_equal (count, 1);
    assert_int_equal (panda_blobs_purged_done (self->views, &lone_doc, 1, &err), PANDA_OK);
    assert_int_equal (panda_blobs_purged (self->views, queued, 4, &count, &err), PANDA_OK);
    assert_int_equal (count, 1);
    assert_true (panda_hash_eq (&queued[0], &own_doc));
    free (own), free (shared), free (lone), free (kept);
}

//  A freshly published blob (never edited, never related) waits for the
//  document that will relate to it; once related it is remembered, and
//  when the relation goes (a pinned relation to its view here) it is
//  purged.
static void
test_blob_purge_once_related (void **state)
{
    s_fix_t *self = *state;
    char *piece = s_piece (self, "fresh piece");
    char *pieces[] = {piece};
    char *blob = s_blob (self, "fresh blob", false, pieces, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal (s_sync (self, 8).purged, 0);
    assert_true (s_document_exists (self, blob));
    fix_field (self->views, self->gallery, GALLERY, "pinned", 0, blob, NULL, 0, 0);
    assert_int_equal (s_sync (self, 8).purged, 0);
    assert_int_equal (s_count (self, "SELECT count (*) FROM blob_refs"), 1);
    fix_exec_id (self->views,
                 "DELETE FROM fields WHERE field = (SELECT id FROM schema_fields WHERE name = 'pinned')");
    assert_int_equal (s_sync (self, 8).purged, 2);
    assert_false (s_document_exists (self, blob));
    assert_false (s_document_exists (self, piece));
    assert_int_equal (s_count (self, "SELECT count (*) FROM blob_refs"), 0);
    free (piece), free (blob);
}

//  A relation that comes and goes between two syncs still makes the blob
//  purgeable: the views writer remembers every blob a view relates to (by
//  document id, and pinned by view id) as it writes the view.
static void
test_blob_purge_unrelated_before_sync (void **state)
{
    s_fix_t *self = *state;
    char *piece = s_piece (self, "brief piece");
    char *pieces[] = {piece};
    char *by_id = s_blob (self, "briefly related", false, pieces, 1);
    char *by_view = s_blob (self, "briefly pinned", false, pieces, 1);
    panda_hash_t related = fix_hash ("briefly related"), pinned = fix_hash ("briefly pinned");
    panda_hash_t doc = fix_hash ("short-lived picture"), writer = doc;
    panda_value_t cover, pin;
    assert_int_equal (panda_value_set_bytes (&cover, related.bytes, PANDA_HASH_SIZE), PANDA_OK);
    assert_int_equal (panda_value_set_hash_list (&pin, &pinned, 1), PANDA_OK);
    panda_views_field_t fields[] = {{"cover", &cover, &writer}, {"pinned", &pin, &writer}};
    panda_public_key_t owner = {{1}};
    panda_error_t err;
    panda_views_writer_t *views_writer = panda_views_writer_new (self->views, &err);
    assert_non_null (views_writer);
    char *view_id = fix_hex (&doc);
    int64_t row;
    assert_int_equal (panda_views_begin (self->views, &err), PANDA_OK);
    assert_int_equal (panda_views_put_current (views_writer, &doc, GALLERY, &owner, view_id, fields, 2, false,
                                               true, &row, &err),
                      PANDA_OK);
    assert_int_equal (panda_views_delete_document (views_writer, row, &err), PANDA_OK);
    assert_int_equal (panda_views_commit (self->views, &err), PANDA_OK);
    assert_int_equal (s_count (self, "SELECT count (*) FROM blob_refs"), 2);
    assert_int_equal (s_sync (self, 8).purged, 3);
    assert_false (s_document_exists (self, by_id));
    assert_false (s_document_exists (self, by_view));
    assert_false (s_document_exists (self, piece));
    panda_views_writer_destroy (&views_writer);
    panda_value_clear (&cover), panda_value_clear (&pin);
    free (piece), free (by_id), free (by_view), free (view_id);
}

//  The walk visits at most max blobs per call and wraps around.
static void
test_blob_purge_bounded (void **state)
{
    s_fix_t *self = *state;
    char *piece = s_piece (self, "bounded piece");
    char *pieces[] = {piece};
    char *blobs[3];
    for (int i = 0; i < 3; i++) {
        char label[32];
        snprintf (label, sizeof label, "bounded blob %d", i);
        blobs[i] = s_blob (self, label, true, pieces, 1);
    }
    size_t blobs_purged = 0, calls = 0;
    while (blobs_purged < 3 && calls++ < 4) {
        s_sync (self, 2);
        size_t n = 0;
        for (size_t i = 0; i < self->count; i++)
            n += !self->piece[i];
        assert_true (n <= 2);
        blobs_purged += n;
    }
    assert_int_equal (blobs_purged, 3);
    assert_int_equal (calls, 2);
    assert_false (s_document_exists (self, piece)); //  with the last blob that listed it
    for (int i = 0; i < 3; i++)
        free (blobs[i]);
    free (piece);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_blob_purge_unrelated, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_purge_once_related, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_purge_unrelated_before_sync, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_blob_purge_bounded, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
