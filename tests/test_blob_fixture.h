/*  test_blob_fixture.h - fill the views database the way panda_views.h
    lays it out (documents, views, fields rows with their row cursor), so
    the blob tests do not depend on the materialiser. Included by the
    test_blob*.c files only.                                               */
#ifndef TEST_BLOB_FIXTURE_H_INCLUDED
#define TEST_BLOB_FIXTURE_H_INCLUDED

#include "panda_test.h"
#include "panda_blob.h"
#include "panda/panda_hash.h"
#include "panda_views.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

//  A hash made from a label, for ids the vectors do not provide.
static inline panda_hash_t
fix_hash (const char *label)
{
    panda_hash_t h;
    panda_hash_compute (&h, label, strlen (label));
    return h;
}

static inline char *
fix_hex (const panda_hash_t *h)
{
    char *out = malloc (PANDA_HASH_HEX_SIZE + 1);
    assert_non_null (out);
    return panda_hash_to_hex (h, out);
}

static inline sqlite3_int64
fix_exec_id (panda_views_t *views, const char *sql)
{
    char *message = NULL;
    int rc = sqlite3_exec (panda_views_db (views), sql, NULL, NULL, &message);
    if (rc != SQLITE_OK)
        fail_msg ("%s: %s", sql, message);
    return sqlite3_last_insert_rowid (panda_views_db (views));
}

//  A documents row (no current view yet); its row id.
static inline sqlite3_int64
fix_document (panda_views_t *views, const panda_hash_t *doc, const char *schema, bool edited)
{
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (panda_views_db (views),
                                          "INSERT INTO documents (document_id, schema, owner, edited)"
                                          " VALUES (?1, ?2, zeroblob (32), ?3)",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_blob (stmt, 1, doc->bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, schema, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, edited);
    assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
    sqlite3_finalize (stmt);
    return sqlite3_last_insert_rowid (panda_views_db (views));
}

//  A views row of document row doc; current makes it documents.view.
static inline sqlite3_int64
fix_view (panda_views_t *views, sqlite3_int64 doc, const char *view_id, bool current)
{
    sqlite3 *db = panda_views_db (views);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db, "INSERT INTO views (document, view_id) VALUES (?1, ?2)", -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, doc);
    sqlite3_bind_text (stmt, 2, view_id, -1, SQLITE_TRANSIENT);
    assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
    sqlite3_finalize (stmt);
    sqlite3_int64 view = sqlite3_last_insert_rowid (db);
    if (current) {
        char sql[128];
        snprintf (sql, sizeof sql, "UPDATE documents SET view = %lld WHERE id = %lld", (long long) view,
                  (long long) doc);
        fix_exec_id (views, sql);
    }
    return view;
}

//  One fields row; exactly one of text / blob (blob_len) / integer is used:
//  text if non-NULL, else blob if non-NULL, else integer.
static inline void
fix_field (panda_views_t *views, sqlite3_int64 view, const char *schema, const char *name, uint64_t idx,
           const char *text, const void *blob, size_t blob_len, int64_t integer)
{
    int64_t field;
    panda_error_t err;
    assert_int_equal (panda_views_field_id (views, schema, name, &field, &err), PANDA_OK);
    panda_hash_t writer = fix_hash (name);
    uint8_t cursor[32];
    panda_views_row_cursor (idx, name, &writer, cursor);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (panda_views_db (views),
                                          "INSERT INTO fields (view, field, idx, value, writer, cursor)"
                                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                          -1, &stmt, NULL),
                      SQLITE_OK);
    sqlite3_bind_int64 (stmt, 1, view);
    sqlite3_bind_int64 (stmt, 2, field);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) idx);
    if (text)
        sqlite3_bind_text (stmt, 4, text, -1, SQLITE_TRANSIENT);
    else if (blob)
        sqlite3_bind_blob (stmt, 4, blob, (int) blob_len, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64 (stmt, 4, integer);
    sqlite3_bind_blob (stmt, 5, writer.bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 6, cursor, 32, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (stmt), SQLITE_DONE);
    sqlite3_finalize (stmt);
}

//  A live blob_piece_v1 document whose current view id is its document id.
static inline void
fix_piece (panda_views_t *views, const panda_hash_t *doc, const void *data, size_t len)
{
    char *hex = fix_hex (doc);
    sqlite3_int64 view = fix_view (views, fix_document (views, doc, "blob_piece_v1", false), hex, true);
    fix_field (views, view, "blob_piece_v1", "data", 0, NULL, data ? data : "", len, 0);
    free (hex);
}

//  A blob_v1 view view_id of document row doc pinning pieces (view ids).
static inline sqlite3_int64
fix_blob_view (panda_views_t *views, sqlite3_int64 doc, const char *view_id, bool current, int64_t length,
               const char *mime, char *const *pieces, size_t count)
{
    sqlite3_int64 view = fix_view (views, doc, view_id, current);
    fix_field (views, view, "blob_v1", "length", 0, NULL, NULL, 0, length);
    fix_field (views, view, "blob_v1", "mime_type", 0, mime, NULL, 0, 0);
    for (size_t i = 0; i < count; i++)
        fix_field (views, view, "blob_v1", "pieces", i, pieces[i], NULL, 0, 0);
    return view;
}

//  Read a whole file (caller frees); NULL if it does not exist.
static inline uint8_t *
fix_read (const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fseek (f, 0, SEEK_SET);
    uint8_t *buf = malloc ((size_t) size + 1);
    assert_non_null (buf);
    assert_int_equal (fread (buf, 1, (size_t) size, f), (size_t) size);
    fclose (f);
    *len = (size_t) size;
    return buf;
}

static inline bool
fix_exists (const char *dir, const char *name)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat (path, &st) == 0;
}

//  Number of directory entries other than . and ..
static inline size_t
fix_dir_count (const char *dir)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir (d)))
        n += strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0;
    closedir (d);
    return n;
}

//  Remove dir and the plain files in it.
static inline void
fix_rmdir (const char *dir)
{
    DIR *d = opendir (dir);
    if (!d)
        return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir (d)))
        if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0) {
            snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
            unlink (path);
        }
    closedir (d);
    rmdir (dir);
}

//  A views database in a fresh temp file (name into db) and an empty blobs
//  directory (name into dir), as each blob test starts from.
static inline panda_views_t *
fix_views_new (char db[64], char dir[64])
{
    snprintf (db, 64, "/tmp/panda_blob_db_XXXXXX");
    snprintf (dir, 64, "/tmp/panda_blob_dir_XXXXXX");
    int fd = mkstemp (db);
    assert_true (fd >= 0);
    close (fd);
    assert_non_null (mkdtemp (dir));
    panda_error_t err;
    panda_views_t *views = panda_views_open (db, false, &err);
    assert_non_null (views);
    return views;
}

//  Close *views and remove its files and the blobs directory.
static inline void
fix_views_destroy (panda_views_t **views, const char *db, const char *dir)
{
    panda_views_destroy (views);
    char path[128];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s%s", db, suffixes[i]);
        unlink (path);
    }
    fix_rmdir (dir);
}

//  The blob.json vector into views (pieces and blob, blob current). Fills
//  the expected assembled bytes (caller frees) and the ids (caller frees).
static inline void
fix_vector_blob (panda_views_t *views, uint8_t **expected, size_t *expected_len, char **doc_hex,
                 char **view_hex, char **mime)
{
    json_t *root = panda_test_vectors ("blob.json");
    json_t *pieces = json_object_get (root, "pieces");
    size_t count = json_array_size (pieces);
    char **ids = calloc (count, sizeof *ids);
    assert_non_null (ids);
    for (size_t i = 0; i < count; i++) {
        json_t *p = json_array_get (pieces, i);
        const char *id = json_string_value (json_object_get (p, "document_id"));
        panda_hash_t doc;
        assert_int_equal (panda_hash_from_hex (&doc, id, strlen (id), NULL), PANDA_OK);
        size_t len;
        uint8_t *data = panda_test_unhex (json_string_value (json_object_get (p, "data_hex")), &len);
        fix_piece (views, &doc, data, len);
        free (data);
        ids[json_integer_value (json_object_get (p, "index"))] = strdup (id);
    }
    json_t *exp = json_object_get (root, "expected");
    const char *doc_id = json_string_value (json_object_get (exp, "blob_document_id"));
    const char *view_id = json_string_value (json_object_get (exp, "blob_view_id"));
    panda_hash_t doc;
    assert_int_equal (panda_hash_from_hex (&doc, doc_id, strlen (doc_id), NULL), PANDA_OK);
    sqlite3_int64 row = fix_document (views, &doc, "blob_v1", false);
    fix_blob_view (views, row, view_id, true, json_integer_value (json_object_get (exp, "length")),
                   json_string_value (json_object_get (exp, "mime_type")), ids, count);
    *expected = panda_test_unhex (json_string_value (json_object_get (exp, "assembled_hex")), expected_len);
    *doc_hex = strdup (doc_id);
    *view_hex = strdup (view_id);
    *mime = strdup (json_string_value (json_object_get (exp, "mime_type")));
    for (size_t i = 0; i < count; i++)
        free (ids[i]);
    free (ids);
    json_decref (root);
}

#endif
